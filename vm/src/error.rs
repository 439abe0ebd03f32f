//! Execution errors.

use atlas_isa::{IsaError, TensorId};

/// Why a program could not be executed.
///
/// Errors raised while running an instruction name its position in the program (`instr`) and
/// its operator (`op`), so that the frontend can map them back to the ONNX node.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    /// The program failed [`atlas_isa::Program::validate`].
    #[error("invalid program: {0}")]
    InvalidProgram(#[from] IsaError),
    /// Wrong number of input tensors.
    #[error("expected {expected} inputs, got {got}")]
    InputCount {
        /// Inputs the program declares.
        expected: usize,
        /// Inputs supplied.
        got: usize,
    },
    /// An input with the wrong number of elements.
    #[error("input {index} ({tensor}) has {got} elements, expected {expected}")]
    InputLength {
        /// Position in the program's input list.
        index: usize,
        /// The input tensor.
        tensor: TensorId,
        /// Elements of its shape.
        expected: usize,
        /// Elements supplied.
        got: usize,
    },
    /// A weight tensor absent from the [`atlas_isa::Weights`].
    #[error("weight {0} is missing")]
    MissingWeight(TensorId),
    /// A weight tensor with the wrong number of elements.
    #[error("weight {tensor} has {got} elements, expected {expected}")]
    WeightLength {
        /// The weight tensor.
        tensor: TensorId,
        /// Elements of its shape.
        expected: usize,
        /// Elements supplied.
        got: usize,
    },
    /// A tensor too large for the trace's 32-bit element indices.
    #[error("tensor {tensor} has {len} elements; the VM indexes at most 2^32 − 1")]
    TensorTooLarge {
        /// The tensor.
        tensor: TensorId,
        /// Its number of elements.
        len: usize,
    },
    /// An intermediate value, advice value or shift that does not fit its integer type.
    #[error("instruction {instr} ({op}): arithmetic overflow")]
    Overflow {
        /// Position in the program.
        instr: usize,
        /// Operator name.
        op: &'static str,
    },
    /// A divisor that is zero or negative (Div, or the row sum of a Softmax).
    #[error("instruction {instr} ({op}): divisor {value} is not positive")]
    NonPositiveDivisor {
        /// Position in the program.
        instr: usize,
        /// Operator name.
        op: &'static str,
        /// The offending divisor.
        value: i64,
    },
    /// A Gather index outside `[−len, len)`.
    #[error("instruction {instr} ({op}): index {index} out of range for axis of length {len}")]
    IndexOutOfRange {
        /// Position in the program.
        instr: usize,
        /// Operator name.
        op: &'static str,
        /// The offending index.
        index: i64,
        /// Extent of the gathered axis.
        len: usize,
    },
    /// A maximum over no element (a MaxPool window entirely in the padding, a ReduceMax over an
    /// empty axis).
    #[error("instruction {instr} ({op}): maximum over an empty set")]
    EmptyReduction {
        /// Position in the program.
        instr: usize,
        /// Operator name.
        op: &'static str,
    },
    /// A table whose clamped domain `[lo, hi]` is empty (`lo > hi`).
    #[error("instruction {instr} ({op}): table domain [{lo}, {hi}] is empty")]
    EmptyTableDomain {
        /// Position in the program.
        instr: usize,
        /// Operator name.
        op: &'static str,
        /// Lower end.
        lo: i64,
        /// Upper end.
        hi: i64,
    },
    /// A custom table that the [`crate::CustomTables`] resolver does not know.
    #[error("custom table {0:?} is not registered")]
    UnknownTable(String),
}

/// An instruction's failure before it is tied to its position (see [`OpError::at`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpError {
    Overflow,
    NonPositiveDivisor { value: i64 },
    IndexOutOfRange { index: i64, len: usize },
    EmptyReduction,
    EmptyTableDomain { lo: i64, hi: i64 },
    UnknownTable(String),
}

impl OpError {
    /// Attaches the instruction's position and operator name.
    pub(crate) fn at(self, instr: usize, op: &'static str) -> VmError {
        match self {
            OpError::Overflow => VmError::Overflow { instr, op },
            OpError::NonPositiveDivisor { value } => {
                VmError::NonPositiveDivisor { instr, op, value }
            }
            OpError::IndexOutOfRange { index, len } => VmError::IndexOutOfRange {
                instr,
                op,
                index,
                len,
            },
            OpError::EmptyReduction => VmError::EmptyReduction { instr, op },
            OpError::EmptyTableDomain { lo, hi } => VmError::EmptyTableDomain { instr, op, lo, hi },
            OpError::UnknownTable(name) => VmError::UnknownTable(name),
        }
    }
}

/// Result of one instruction's kernel.
pub(crate) type OpResult<T> = Result<T, OpError>;
