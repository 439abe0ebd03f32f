//! # atlas-lookups
//!
//! Sparse lookup arguments of Twist & Shout (Setty–Thaler, ePrint 2025/105) over Atlas's
//! proving core, and the tables Atlas looks things up in.
//!
//! | module | contents |
//! |---|---|
//! | [`tables`] | the [`LookupTable`] trait, operand maps, prefix–suffix decompositions, built-in tables |
//! | [`registry`] | user-defined tables ([`UserTable`], [`FnTable`]) registered by name ([`TableRegistry`]) |
//! | [`shout`] | read-only lookups: read-checking + RAF, booleanity, Hamming weight, prefix–suffix prover |
//! | [`twist`] | read/write memory checking: read/write-checking, Val-evaluation, final value |
//! | [`sumcheck`] | a dense prover for jolt-core's batched sumcheck (cycle phases, soundness tests) |
//! | `poly` (private) | eq / lt tables and multilinear evaluation, little-endian |

pub mod poly;
pub mod registry;
pub mod shout;
pub mod sumcheck;
pub mod tables;
pub mod twist;

pub use registry::{FnTable, RegistryError, TableRegistry, TableSpec, UserTable};
pub use tables::{LookupTable, OperandMap, PrefixSuffix, TableError};
