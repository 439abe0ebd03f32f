//! Execution benchmark (filled in below).
fn main() {}
