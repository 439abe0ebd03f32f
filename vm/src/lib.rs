//! # atlas-vm
//!
//! Executes an Atlas ISA [`Program`] on fixed-point tensors into a [`Trace`]: the value of every
//! tensor plus, per instruction, the witness the prover consumes ([`InstrWitness`]).
//!
//! | module | contents |
//! |---|---|
//! | [`trace`] | [`Trace`], [`InstrWitness`] and its parts: the prover's view of an execution |
//! | [`tables`] | lookup-table evaluation, [`CustomTables`] resolvers for user-defined tables (`atlas_lookups::TableRegistry` is one) |
//! | [`error`] | [`VmError`] |
//! | [`mod@prove`] | the trace prover and verifier: [`setup`], [`fn@prove`], [`verify`], keys, [`Proof`] |
//! | `exec` | the interpreter, one module per instruction family (contraction, element-wise, reduction, data movement, composites) |
//!
//! Execution is deterministic and exact: tensors hold `i64` elements, row-major, at their
//! fixed-point scale; every operation is the integer semantics documented on
//! [`atlas_isa::Instr`], with rounding from [`atlas_isa::fixed`]. Nothing wraps: a value that
//! leaves `i64` is [`VmError::Overflow`]. The VM's result is the definition of correctness.
//!
//! Where the ISA leaves a choice open, the VM decides:
//!
//! - **Ties.** Max/Min select `a`; ReduceMax, MaxPool and Softmax's row maximum select the first
//!   maximal element in row-major (window) order.
//! - **MaxPool padding never wins**; a window entirely in the padding is
//!   [`VmError::EmptyReduction`]. SumPool and Conv padding contributes 0.
//! - **Gather** resolves a negative index `i` to `i + len`; anything outside `[−len, len)` is
//!   [`VmError::IndexOutOfRange`].
//! - **Div** requires every divisor to be positive ([`VmError::NonPositiveDivisor`]); so does
//!   Softmax of its row sums.
//! - **Tables** clamp their input to the table's domain (smooth and custom tables) before the
//!   lookup; a domain with `lo > hi` is [`VmError::EmptyTableDomain`]. A custom table takes
//!   its values from the program ([`Program::custom_tables`]) when it carries them — those are
//!   what the prover proves — and is otherwise resolved by name through [`CustomTables`].
//! - **Shifts.** Rescale accepts shifts up to 64; Div, Sqrt, Softmax and RmsNorm scale by at most
//!   `2^62`; beyond that is [`VmError::Overflow`].
//!
//! ```
//! use atlas_isa::{Instr, Program, Role, TensorId, TensorInfo, Weights};
//!
//! let t = |shape: &[usize], role| TensorInfo { name: String::new(), shape: shape.to_vec(), scale: 0, role };
//! let program = Program {
//!     tensors: vec![t(&[3], Role::Input), t(&[3], Role::Output)],
//!     instrs: vec![Instr::Neg { x: TensorId(0), out: TensorId(1) }],
//!     inputs: vec![TensorId(0)],
//!     outputs: vec![TensorId(1)],
//!     constants: vec![],
//!     custom_tables: Default::default(),
//! };
//! let trace = atlas_vm::execute(&program, &Weights::default(), &[vec![1, -2, 3]]).unwrap();
//! assert_eq!(trace.outputs(&program), vec![vec![-1, 2, -3]]);
//! ```

mod custom;
pub mod error;
mod exec;
pub mod prove;
pub mod tables;
pub mod trace;

use atlas_isa::{Program, Weights};

pub use custom::check_custom_tables;
pub use error::VmError;
pub use prove::{prove, setup, verify, Proof, ProveError, ProvingKey, VerifyError, VerifyingKey};
pub use tables::{CustomTables, NoCustomTables};
pub use trace::{InstrWitness, LookupWitness, RmsNormWitness, SoftmaxWitness, Trace};

/// Validates `program` and executes it on `inputs` (one vector per program input, in the
/// program's input order), with no table registry: custom tables evaluate from the values the
/// program carries ([`Program::custom_tables`]).
pub fn execute(
    program: &Program,
    weights: &Weights,
    inputs: &[Vec<i64>],
) -> Result<Trace, VmError> {
    execute_with(program, weights, inputs, &NoCustomTables)
}

/// Validates `program` and executes it on `inputs`, resolving the custom tables whose values the
/// program does not carry through `custom` (the program's values take precedence).
#[tracing::instrument(skip_all, fields(instrs = program.instrs.len()))]
pub fn execute_with(
    program: &Program,
    weights: &Weights,
    inputs: &[Vec<i64>],
    custom: &dyn CustomTables,
) -> Result<Trace, VmError> {
    program.validate()?;
    exec::run(program, weights, inputs, custom)
}
