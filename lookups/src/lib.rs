//! # atlas-lookups
//!
//! The `LookupTable` trait, built-in tables, prefix–suffix decomposition, the Shout
//! (read-only) and Twist (read/write) arguments of ePrint 2025/105, and the registry of
//! user-defined tables. Under construction: see the lookups issue.
