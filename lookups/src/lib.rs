//! # atlas-lookups
//!
//! Sparse lookup arguments of *Twist and Shout* (Setty–Thaler, ePrint 2025/105) over Atlas's
//! proving core, and the tables Atlas looks things up in.
//!
//! | module | contents |
//! |---|---|
//! | [`tables`] | the [`LookupTable`] trait, operand maps, prefix–suffix decompositions, built-in tables |
//! | [`registry`] | user-defined tables ([`UserTable`], [`FnTable`]) registered by name ([`TableRegistry`]) |
//! | [`plugin`] | user-defined tables from JSON ([`TableRegistry::from_json_file`]), bound to ONNX custom operators ([`CustomOpDecl`]) |
//! | [`shout`] | read-only lookups: read-checking + RAF, booleanity, Hamming weight, prefix–suffix prover |
//! | [`twist`] | read/write memory checking: read/write checking, Val-evaluation, final value |
//! | [`sumcheck`] | a dense prover for jolt-core's batched sumcheck (cycle phases, soundness tests) |
//! | [`poly`] | eq tables and multilinear evaluation helpers, little-endian |
//!
//! ## Main entry points
//!
//! * Tables: [`tables::RangeTable`], [`tables::ReluTable`], [`tables::SignTable`],
//!   [`tables::LessThanTable`], [`tables::ClampedTable`] (every smooth `atlas_isa::Table`), and
//!   [`TableRegistry::resolve`] from an `atlas_isa::Table` (built-in or custom).
//! * Shout, inside a larger proof: [`shout::commit`] (commit and absorb the one-hot chunks of
//!   every instance, at the start of the proof; chunk widths from [`shout::Chunking`]), then
//!   [`shout::prove`] with one
//!   [`shout::ReadClaim`] `(r_cycle, rv(r_cycle))` per instance, giving a [`shout::ShoutProof`]
//!   and a [`shout::ShoutOutput`]: the operand claims `raf(r_cycle)` and the chunk opening
//!   claims. [`shout::verify`] mirrors it, given [`shout::ShoutParams`] built from the same
//!   tables, sizes and chunking. Standalone (operands and values public):
//!   [`shout::prove_standalone`] / [`shout::verify_standalone`].
//! * Twist: [`twist::commit`], [`twist::prove`], [`twist::verify`] on a [`twist::MemoryTrace`]
//!   and its public [`twist::TwistStatement`].

pub mod plugin;
pub mod poly;
pub mod registry;
pub mod shout;
pub mod sumcheck;
pub mod tables;
pub mod twist;

pub use plugin::{CustomOpDecl, PluginError};
pub use registry::{FnTable, RegistryError, TableRegistry, TableSpec, UserTable};
pub use tables::{LookupTable, OperandMap, PrefixSuffix, TableError};
