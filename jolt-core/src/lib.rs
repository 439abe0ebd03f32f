//! # jolt-core
//!
//! Atlas's proving core, written in-house (a16z's jolt-core is not on crates.io).
//! Module table: see each module's documentation.
#![allow(missing_docs)]

pub mod field;
pub mod openings;
pub mod pcs;
pub mod poly;
pub mod sumcheck;
pub mod transcript;
