//! The execution trace: every tensor's values and, per instruction, the witness the prover
//! consumes.
//!
//! The trace is the prover's witness. Tensor values ([`Trace::value`]) cover inputs, weights,
//! constants and every instruction's output (weights and constants are copied in, so that a
//! trace is self-contained and serializable); [`InstrWitness`] adds, per instruction, only what
//! the prover cannot read off those tensors: lookup addresses, advice (remainders, row maxima,
//! sums, roots) and the selections made by comparisons.
//!
//! Conventions shared by all witnesses:
//!
//! - **Element order.** Per-element vectors follow the row-major order of the instruction's
//!   output (or, for Softmax's exp lookups, of its input, which has the same shape). Per-row
//!   vectors (Softmax, RmsNorm) follow the row-major order of the shape with the normalized axis
//!   removed.
//! - **Quotients are the output.** Div, Softmax and RmsNorm compute `q = round(a / b)` as
//!   `q = ⌊(2a + b) / 2b⌋` (round half up, [`atlas_isa::fixed::round_div`]); the quotient is the
//!   instruction's output tensor and is not duplicated; the witness holds the remainder
//!   `r = 2a + b − 2b·q ∈ [0, 2b)`.
//! - **Indices** into tensors are `u32` flat row-major offsets (the VM refuses larger tensors).
//! - Remainders are non-negative by construction and stored as `u64`.

use atlas_isa::{Program, TensorId};
use serde::{Deserialize, Serialize};

/// Keys and outputs of the element-wise lookups of one instruction, one entry per element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupWitness {
    /// Table address of each lookup.
    ///
    /// For tables with a clamped domain `[lo, hi]` (the smooth functions and custom tables):
    /// `clamp(x, lo, hi) − lo ∈ [0, domain_size)`, the index into the materialized table. For the
    /// exact piecewise-linear tables (ReLU, LeakyReLU, Clip), which are never materialized and
    /// are decomposed prefix–suffix instead: the input's 64-bit two's complement, `x as u64`.
    pub keys: Vec<u64>,
    /// Table output of each lookup (for a `Lookup` instruction, equal to its output tensor).
    pub outputs: Vec<i64>,
}

impl LookupWitness {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            keys: Vec::with_capacity(n),
            outputs: Vec::with_capacity(n),
        }
    }
}

/// Witness of a Softmax along an axis; "row" means one position of the other axes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftmaxWitness {
    /// Row maxima `m` (advice: the prover shows `x_i − m ≤ 0` and `m = x[argmax]`).
    pub row_max: Vec<i64>,
    /// Flat index into `x` of each row's maximum (the first one on ties).
    pub argmax: Vec<u32>,
    /// The exp lookups on `x_i − m`, in `x`'s element order.
    pub exp: LookupWitness,
    /// Row sums `Σ e_i` of the exp outputs (always positive).
    pub sums: Vec<i64>,
    /// Per element, the remainder of `out_i = round(e_i · 2^s(out) / Σ e)`, in `[0, 2·Σ e)`.
    pub remainders: Vec<u64>,
}

/// Witness of an RMS normalization along an axis; "row" means one position of the other axes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RmsNormWitness {
    /// Row sums of squares `Σ x_i²` (scale `2·s(x)`).
    pub sum_squares: Vec<i64>,
    /// Row mean squares `ms = round(Σ x_i² / n)`.
    pub mean_squares: Vec<i64>,
    /// Remainders of the mean, in `[0, 2n)`.
    pub mean_remainders: Vec<u64>,
    /// Row roots `d = ⌊√(ms + max(eps, 1))⌋ ≥ 1`.
    pub roots: Vec<i64>,
    /// Remainders of the root, `ms + max(eps, 1) − d² ∈ [0, 2d]`.
    pub root_remainders: Vec<u64>,
    /// Per element, the remainder of `out_i = round(x_i · 2^s(out) / d)`, in `[0, 2d)`.
    pub remainders: Vec<u64>,
}

/// What one instruction adds to the witness beyond the tensors it reads and writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstrWitness {
    /// Nothing: the linear maps (Einsum, Conv, Add, Sub, Mul, Neg, MulConst, ReduceSum, SumPool),
    /// data movement (Reshape, Transpose, Slice, Concat, Broadcast, Pad) and the comparisons whose
    /// output already is the bit (Equal, Less) or that select by a given bit (Where).
    None,
    /// `Lookup`: one lookup per element.
    Lookup(LookupWitness),
    /// `Rescale`: per element, `r = x + 2^(k−1) − out · 2^k ∈ [0, 2^k)` (zero when `k = 0`).
    Rescale {
        /// The remainders.
        remainders: Vec<u64>,
    },
    /// `Max` / `Min`: per element, whether the output is the (broadcast) `a` operand. Ties select
    /// `a`.
    Select {
        /// `true` where `out = a`, `false` where `out = b` (and `b` strictly wins).
        a_selected: Vec<bool>,
    },
    /// `ReduceMax` / `MaxPool`: per output element, the flat index into `x` of the selected
    /// maximum (the first in row-major order — window order for MaxPool — on ties).
    ArgMax {
        /// Flat indices into `x`.
        argmax: Vec<u32>,
    },
    /// `Gather`: the indices after resolving negative ones, in `[0, len)`, in the order of the
    /// index tensor.
    Gather {
        /// Resolved indices along the gathered axis.
        indices: Vec<u32>,
    },
    /// `Div`: per element, the remainder of `out = round(a · 2^k / b)`, in `[0, 2b)`.
    Div {
        /// The remainders.
        remainders: Vec<u64>,
    },
    /// `Sqrt`: per element, with `v = max(x, 0) · 2^(2·s(out) − s(x))` and `r = out`, the
    /// remainder `v − r² ∈ [0, 2r]`.
    Sqrt {
        /// The remainders.
        remainders: Vec<u64>,
    },
    /// `Softmax`.
    Softmax(SoftmaxWitness),
    /// `RmsNorm`.
    RmsNorm(RmsNormWitness),
}

impl InstrWitness {
    /// Table lookups this instruction performs: one per element for `Lookup` and for Softmax's
    /// exp, one per index for `Gather` (a lookup into the gathered tensor).
    pub fn num_lookups(&self) -> usize {
        match self {
            InstrWitness::Lookup(l) => l.keys.len(),
            InstrWitness::Softmax(s) => s.exp.keys.len(),
            InstrWitness::Gather { indices } => indices.len(),
            _ => 0,
        }
    }

    /// Advice values that need a range check (remainders).
    pub fn num_range_checks(&self) -> usize {
        match self {
            InstrWitness::Rescale { remainders }
            | InstrWitness::Div { remainders }
            | InstrWitness::Sqrt { remainders } => remainders.len(),
            InstrWitness::Softmax(s) => s.remainders.len(),
            InstrWitness::RmsNorm(r) => {
                r.remainders.len() + r.mean_remainders.len() + r.root_remainders.len()
            }
            _ => 0,
        }
    }
}

/// A complete execution: every tensor's values and one [`InstrWitness`] per instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// Values of every tensor, indexed by [`TensorId`], row-major, at the tensor's scale.
    values: Vec<Vec<i64>>,
    /// Witness of every instruction, in program order.
    witnesses: Vec<InstrWitness>,
}

impl Trace {
    pub(crate) fn new(values: Vec<Vec<i64>>, witnesses: Vec<InstrWitness>) -> Self {
        Self { values, witnesses }
    }

    /// Values of a tensor (input, weight, constant or instruction output), row-major.
    ///
    /// # Panics
    /// If `id` is not a tensor of the executed program.
    pub fn value(&self, id: TensorId) -> &[i64] {
        &self.values[id.index()]
    }

    /// Values of the program's outputs, in the program's output order.
    pub fn outputs(&self, program: &Program) -> Vec<Vec<i64>> {
        program
            .outputs
            .iter()
            .map(|&id| self.value(id).to_vec())
            .collect()
    }

    /// Witness of the instruction at `instr_index`.
    ///
    /// # Panics
    /// If `instr_index` is not an instruction of the executed program.
    pub fn witness(&self, instr_index: usize) -> &InstrWitness {
        &self.witnesses[instr_index]
    }

    /// Witnesses of all instructions, in program order.
    pub fn witnesses(&self) -> &[InstrWitness] {
        &self.witnesses
    }

    /// Total number of table lookups (see [`InstrWitness::num_lookups`]).
    pub fn num_lookups(&self) -> usize {
        self.witnesses.iter().map(InstrWitness::num_lookups).sum()
    }

    /// Total number of range-checked advice values (see [`InstrWitness::num_range_checks`]).
    pub fn num_range_checks(&self) -> usize {
        self.witnesses
            .iter()
            .map(InstrWitness::num_range_checks)
            .sum()
    }
}
