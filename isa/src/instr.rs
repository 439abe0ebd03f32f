//! Instructions and their integer semantics.
//!
//! Every instruction writes exactly one new tensor (`out`). The semantics documented on each
//! variant are the definition of correctness: the VM computes exactly this, and the prover proves
//! exactly this. "Broadcast" means NumPy broadcasting. Scales: `s(t)` is the scale of tensor `t`;
//! [`Instr::check_scales`] enforces the scale rule of each instruction.

use serde::{Deserialize, Serialize};

use crate::table::Table;
use crate::tensor::{broadcast_shapes, numel, TensorId, TensorInfo};

/// Axis labels of a two-operand Einstein summation, one ASCII letter per axis.
///
/// `out[o] = Σ_{labels not in out} a[ia] · b[ib]`. A label's extent is the same in every operand
/// where it appears, except that an extent of 1 broadcasts. Every output label appears in `a`
/// or `b`. Covers MatMul, Gemm, batched MatMul and tract's EinSum forms.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EinsumSpec {
    /// Labels of `a`'s axes.
    pub a: String,
    /// Labels of `b`'s axes.
    pub b: String,
    /// Labels of the output's axes.
    pub out: String,
}

/// Geometry of a sliding-window operator (Conv, pools) over the trailing spatial axes of an
/// `[N, C, spatial...]` tensor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    /// Kernel extent per spatial axis.
    pub kernel: Vec<usize>,
    /// Stride per spatial axis.
    pub strides: Vec<usize>,
    /// Dilation per spatial axis.
    pub dilations: Vec<usize>,
    /// Padding `(before, after)` per spatial axis.
    pub pads: Vec<(usize, usize)>,
}

impl Window {
    /// Output extent of each spatial axis for input extents `input`, or `None` if the window does
    /// not fit.
    pub fn output_dims(&self, input: &[usize]) -> Option<Vec<usize>> {
        let k = self.kernel.len();
        if input.len() != k
            || self.strides.len() != k
            || self.dilations.len() != k
            || self.pads.len() != k
        {
            return None;
        }
        (0..k)
            .map(|i| {
                let padded = input[i] + self.pads[i].0 + self.pads[i].1;
                let span = self.dilations[i] * (self.kernel[i].checked_sub(1)?) + 1;
                if self.strides[i] == 0 || padded < span {
                    return None;
                }
                Some((padded - span) / self.strides[i] + 1)
            })
            .collect()
    }
}

/// One instruction of the Atlas ISA.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    // ---------------------------------------------------------------- contractions, linear maps
    /// Two-operand Einstein summation (see [`EinsumSpec`]). Exact; `s(out) = s(a) + s(b)`.
    Einsum {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Axis labels.
        spec: EinsumSpec,
        /// Result.
        out: TensorId,
    },
    /// Direct convolution, ONNX semantics: `x: [N, C, S...]`, `w: [M, C/group, K...]`,
    /// `out: [N, M, O...]`, zero padding, no bias. Exact; `s(out) = s(x) + s(w)`.
    Conv {
        /// Input.
        x: TensorId,
        /// Kernel.
        w: TensorId,
        /// Window geometry (kernel extents must match `w`).
        window: Window,
        /// Number of groups.
        group: usize,
        /// Result.
        out: TensorId,
    },
    /// `a + b`, broadcast. Requires `s(a) = s(b) = s(out)`.
    Add {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `a − b`, broadcast. Requires `s(a) = s(b) = s(out)`.
    Sub {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `a · b`, broadcast, exact. `s(out) = s(a) + s(b)`.
    Mul {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `−x`. `s(out) = s(x)`.
    Neg {
        /// Operand.
        x: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `x · c` for an integer constant `c` at scale `c_scale`; `s(out) = s(x) + c_scale`.
    MulConst {
        /// Operand.
        x: TensorId,
        /// The constant, quantized.
        c: i64,
        /// Scale of `c`.
        c_scale: u32,
        /// Result.
        out: TensorId,
    },
    /// Sum over `axes` (sorted, distinct); with `keep_dims` the reduced axes stay as extent 1.
    /// `s(out) = s(x)`.
    ReduceSum {
        /// Operand.
        x: TensorId,
        /// Reduced axes.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1.
        keep_dims: bool,
        /// Result.
        out: TensorId,
    },
    /// `round(x / 2^shift)`, ties up ([`crate::fixed::round_shift`]); the remainder is advice in
    /// `[0, 2^shift)`, range-checked. `s(out) = s(x) − shift`.
    Rescale {
        /// Operand.
        x: TensorId,
        /// Bits dropped.
        shift: u32,
        /// Result.
        out: TensorId,
    },
    /// Zero-padded sum over sliding windows of `[N, C, S...]` (AveragePool is SumPool then a
    /// constant scaling and a rescale). `s(out) = s(x)`.
    SumPool {
        /// Operand.
        x: TensorId,
        /// Window geometry.
        window: Window,
        /// Result.
        out: TensorId,
    },
    // ---------------------------------------------------------------- data movement
    /// Same elements, new shape (row-major order kept). `s(out) = s(x)`.
    Reshape {
        /// Operand.
        x: TensorId,
        /// Result.
        out: TensorId,
    },
    /// Axis permutation: `out.shape[i] = x.shape[perm[i]]`. `s(out) = s(x)`.
    Transpose {
        /// Operand.
        x: TensorId,
        /// Permutation.
        perm: Vec<usize>,
        /// Result.
        out: TensorId,
    },
    /// Elements `start, start+step, … < end` of one axis. `s(out) = s(x)`.
    Slice {
        /// Operand.
        x: TensorId,
        /// Sliced axis.
        axis: usize,
        /// First index.
        start: usize,
        /// One past the last index bound.
        end: usize,
        /// Step (≥ 1).
        step: usize,
        /// Result.
        out: TensorId,
    },
    /// Concatenation along `axis`. All scales equal.
    Concat {
        /// Operands, in order.
        xs: Vec<TensorId>,
        /// Axis.
        axis: usize,
        /// Result.
        out: TensorId,
    },
    /// Broadcast `x` to the shape of `out`. `s(out) = s(x)`.
    Broadcast {
        /// Operand.
        x: TensorId,
        /// Result.
        out: TensorId,
    },
    /// Constant padding: `pads[i] = (before, after)` for every axis. `s(out) = s(x)`.
    Pad {
        /// Operand.
        x: TensorId,
        /// Padding per axis.
        pads: Vec<(usize, usize)>,
        /// Padding value (quantized).
        value: i64,
        /// Result.
        out: TensorId,
    },
    /// ONNX Gather: `out[i.., j.., k..] = data[i.., idx[j..], k..]` along `axis`, with indices
    /// read from the integer tensor `indices` (negative indices count from the end; out of range
    /// is an execution error). `s(out) = s(data)`; `s(indices) = 0`.
    Gather {
        /// Gathered tensor.
        data: TensorId,
        /// Index tensor (scale 0).
        indices: TensorId,
        /// Axis of `data`.
        axis: usize,
        /// Result.
        out: TensorId,
    },
    // ---------------------------------------------------------------- element-wise non-linear
    /// `out = table(x)` element-wise (see [`Table`]). `s(x) = table.in_scale`,
    /// `s(out) = table.out_scale`.
    Lookup {
        /// Operand.
        x: TensorId,
        /// The table.
        table: Table,
        /// Result.
        out: TensorId,
    },
    /// Element-wise maximum, broadcast. All scales equal.
    Max {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// Element-wise minimum, broadcast. All scales equal.
    Min {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `1` where `a = b`, else `0`, broadcast. `s(a) = s(b)`, `s(out) = 0`.
    Equal {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `1` where `a < b`, else `0`, broadcast. `s(a) = s(b)`, `s(out) = 0`.
    Less {
        /// Left operand.
        a: TensorId,
        /// Right operand.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `cond ≠ 0 ? a : b`, broadcast. `s(cond) = 0`, `s(a) = s(b) = s(out)`.
    Where {
        /// Condition (scale 0).
        cond: TensorId,
        /// Chosen where `cond ≠ 0`.
        a: TensorId,
        /// Chosen where `cond = 0`.
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// Maximum over `axes`, like [`Instr::ReduceSum`]. `s(out) = s(x)`.
    ReduceMax {
        /// Operand.
        x: TensorId,
        /// Reduced axes.
        axes: Vec<usize>,
        /// Keep reduced axes as size 1.
        keep_dims: bool,
        /// Result.
        out: TensorId,
    },
    /// Max over sliding windows of `[N, C, S...]`; padding never wins. `s(out) = s(x)`.
    MaxPool {
        /// Operand.
        x: TensorId,
        /// Window geometry (dilations allowed).
        window: Window,
        /// Result.
        out: TensorId,
    },
    // ---------------------------------------------------------------- composites with advice
    /// Tensor division `round(a · 2^k / b)` with `k = s(out) + s(b) − s(a) ≥ 0`, broadcast;
    /// every divisor must be positive (execution error otherwise). The quotient and remainder are
    /// advice, range-checked.
    Div {
        /// Dividend.
        a: TensorId,
        /// Divisor (positive).
        b: TensorId,
        /// Result.
        out: TensorId,
    },
    /// `⌊√(x · 2^(2·s(out) − s(x)))⌋` element-wise, negative inputs treated as 0; requires
    /// `2·s(out) ≥ s(x)`. The root is advice with `r² ≤ v < (r+1)²` range-checked.
    Sqrt {
        /// Operand.
        x: TensorId,
        /// Result.
        out: TensorId,
    },
    /// Softmax along `axis`: `m = max x`, `e_i = exp(x_i − m)` by the `exp` table (its
    /// `in_scale = s(x)`, domain `[lo, 0]`), `out_i = round(e_i · 2^s(out) / Σ e)`. The row maximum,
    /// the quotients and the remainders are advice.
    Softmax {
        /// Operand.
        x: TensorId,
        /// Normalized axis.
        axis: usize,
        /// The exponential table.
        exp: Table,
        /// Result.
        out: TensorId,
    },
    /// RMS normalization along `axis` (tract's `RmsNorm`; LayerNorm is mean subtraction then
    /// this): `ms = round(Σ x² / n)` at scale `2·s(x)`, `d = ⌊√(ms + max(eps, 1))⌋` at scale
    /// `s(x)`, `out_i = round(x_i · 2^s(out) / d)`.
    RmsNorm {
        /// Operand.
        x: TensorId,
        /// Normalized axis.
        axis: usize,
        /// Epsilon, quantized at scale `2·s(x)`.
        eps: i64,
        /// Result.
        out: TensorId,
    },
}

/// Why an instruction does not fit the tensors it names.
pub type CheckError = String;

impl Instr {
    /// Short operator name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Instr::Einsum { .. } => "Einsum",
            Instr::Conv { .. } => "Conv",
            Instr::Add { .. } => "Add",
            Instr::Sub { .. } => "Sub",
            Instr::Mul { .. } => "Mul",
            Instr::Neg { .. } => "Neg",
            Instr::MulConst { .. } => "MulConst",
            Instr::ReduceSum { .. } => "ReduceSum",
            Instr::Rescale { .. } => "Rescale",
            Instr::SumPool { .. } => "SumPool",
            Instr::Reshape { .. } => "Reshape",
            Instr::Transpose { .. } => "Transpose",
            Instr::Slice { .. } => "Slice",
            Instr::Concat { .. } => "Concat",
            Instr::Broadcast { .. } => "Broadcast",
            Instr::Pad { .. } => "Pad",
            Instr::Gather { .. } => "Gather",
            Instr::Lookup { .. } => "Lookup",
            Instr::Max { .. } => "Max",
            Instr::Min { .. } => "Min",
            Instr::Equal { .. } => "Equal",
            Instr::Less { .. } => "Less",
            Instr::Where { .. } => "Where",
            Instr::ReduceMax { .. } => "ReduceMax",
            Instr::MaxPool { .. } => "MaxPool",
            Instr::Div { .. } => "Div",
            Instr::Sqrt { .. } => "Sqrt",
            Instr::Softmax { .. } => "Softmax",
            Instr::RmsNorm { .. } => "RmsNorm",
        }
    }

    /// The tensor this instruction defines.
    pub fn output(&self) -> TensorId {
        match self {
            Instr::Einsum { out, .. }
            | Instr::Conv { out, .. }
            | Instr::Add { out, .. }
            | Instr::Sub { out, .. }
            | Instr::Mul { out, .. }
            | Instr::Neg { out, .. }
            | Instr::MulConst { out, .. }
            | Instr::ReduceSum { out, .. }
            | Instr::Rescale { out, .. }
            | Instr::SumPool { out, .. }
            | Instr::Reshape { out, .. }
            | Instr::Transpose { out, .. }
            | Instr::Slice { out, .. }
            | Instr::Concat { out, .. }
            | Instr::Broadcast { out, .. }
            | Instr::Pad { out, .. }
            | Instr::Gather { out, .. }
            | Instr::Lookup { out, .. }
            | Instr::Max { out, .. }
            | Instr::Min { out, .. }
            | Instr::Equal { out, .. }
            | Instr::Less { out, .. }
            | Instr::Where { out, .. }
            | Instr::ReduceMax { out, .. }
            | Instr::MaxPool { out, .. }
            | Instr::Div { out, .. }
            | Instr::Sqrt { out, .. }
            | Instr::Softmax { out, .. }
            | Instr::RmsNorm { out, .. } => *out,
        }
    }

    /// The tensors this instruction reads, in operand order.
    pub fn inputs(&self) -> Vec<TensorId> {
        match self {
            Instr::Einsum { a, b, .. }
            | Instr::Add { a, b, .. }
            | Instr::Sub { a, b, .. }
            | Instr::Mul { a, b, .. }
            | Instr::Max { a, b, .. }
            | Instr::Min { a, b, .. }
            | Instr::Equal { a, b, .. }
            | Instr::Less { a, b, .. }
            | Instr::Div { a, b, .. } => vec![*a, *b],
            Instr::Conv { x, w, .. } => vec![*x, *w],
            Instr::Gather { data, indices, .. } => vec![*data, *indices],
            Instr::Where { cond, a, b, .. } => vec![*cond, *a, *b],
            Instr::Concat { xs, .. } => xs.clone(),
            Instr::Neg { x, .. }
            | Instr::MulConst { x, .. }
            | Instr::ReduceSum { x, .. }
            | Instr::Rescale { x, .. }
            | Instr::SumPool { x, .. }
            | Instr::Reshape { x, .. }
            | Instr::Transpose { x, .. }
            | Instr::Slice { x, .. }
            | Instr::Broadcast { x, .. }
            | Instr::Pad { x, .. }
            | Instr::Lookup { x, .. }
            | Instr::ReduceMax { x, .. }
            | Instr::MaxPool { x, .. }
            | Instr::Sqrt { x, .. }
            | Instr::Softmax { x, .. }
            | Instr::RmsNorm { x, .. } => vec![*x],
        }
    }

    /// The output shape implied by the input shapes, or why the inputs do not fit.
    ///
    /// `Reshape` and `Broadcast` take their shape from `out`, so it is passed in as well.
    pub fn infer_shape(&self, t: &[TensorInfo]) -> Result<Vec<usize>, CheckError> {
        let shape = |id: &TensorId| -> Result<&[usize], CheckError> {
            t.get(id.index())
                .map(|i| i.shape.as_slice())
                .ok_or_else(|| format!("tensor {id} does not exist"))
        };
        let out_shape = shape(&self.output())?.to_vec();
        let bcast = |a: &TensorId, b: &TensorId| -> Result<Vec<usize>, CheckError> {
            let (sa, sb) = (shape(a)?, shape(b)?);
            broadcast_shapes(sa, sb)
                .ok_or_else(|| format!("shapes {sa:?} and {sb:?} do not broadcast"))
        };
        let reduce = |x: &TensorId, axes: &[usize], keep: bool| -> Result<Vec<usize>, CheckError> {
            let s = shape(x)?;
            if axes.windows(2).any(|w| w[0] >= w[1]) || axes.iter().any(|&a| a >= s.len()) {
                return Err(format!("bad reduction axes {axes:?} for shape {s:?}"));
            }
            Ok(s.iter()
                .enumerate()
                .filter_map(|(i, &d)| match (axes.contains(&i), keep) {
                    (false, _) => Some(d),
                    (true, true) => Some(1),
                    (true, false) => None,
                })
                .collect())
        };
        let axis_ok = |x: &TensorId, axis: usize| -> Result<Vec<usize>, CheckError> {
            let s = shape(x)?;
            if axis >= s.len() {
                return Err(format!("axis {axis} out of range for shape {s:?}"));
            }
            Ok(s.to_vec())
        };
        let window =
            |x: &TensorId, w: &Window, channels: Option<usize>| -> Result<Vec<usize>, CheckError> {
                let s = shape(x)?;
                if s.len() < 3 {
                    return Err(format!(
                        "window input must be [N, C, spatial...], got {s:?}"
                    ));
                }
                let dims = w
                    .output_dims(&s[2..])
                    .ok_or_else(|| format!("window {w:?} does not fit input {s:?}"))?;
                let mut o = vec![s[0], channels.unwrap_or(s[1])];
                o.extend(dims);
                Ok(o)
            };
        match self {
            Instr::Einsum { a, b, spec, .. } => einsum_shape(spec, shape(a)?, shape(b)?),
            Instr::Conv {
                x,
                w,
                window: win,
                group,
                ..
            } => {
                let (sx, sw) = (shape(x)?, shape(w)?);
                if sw.len() != sx.len() || sx.len() < 3 || *group == 0 {
                    return Err(format!("conv input {sx:?} and kernel {sw:?} disagree"));
                }
                if sx[1] != sw[1] * group || sw[0] % group != 0 || sw[2..] != win.kernel[..] {
                    return Err(format!(
                        "conv input {sx:?}, kernel {sw:?}, group {group}, window {:?} disagree",
                        win.kernel
                    ));
                }
                window(x, win, Some(sw[0]))
            }
            Instr::Add { a, b, .. }
            | Instr::Sub { a, b, .. }
            | Instr::Mul { a, b, .. }
            | Instr::Max { a, b, .. }
            | Instr::Min { a, b, .. }
            | Instr::Equal { a, b, .. }
            | Instr::Less { a, b, .. }
            | Instr::Div { a, b, .. } => bcast(a, b),
            Instr::Where { cond, a, b, .. } => {
                let ab = bcast(a, b)?;
                let sc = shape(cond)?;
                broadcast_shapes(sc, &ab)
                    .ok_or_else(|| format!("condition {sc:?} does not broadcast to {ab:?}"))
            }
            Instr::Neg { x, .. }
            | Instr::MulConst { x, .. }
            | Instr::Rescale { x, .. }
            | Instr::Lookup { x, .. }
            | Instr::Sqrt { x, .. } => Ok(shape(x)?.to_vec()),
            Instr::ReduceSum {
                x, axes, keep_dims, ..
            }
            | Instr::ReduceMax {
                x, axes, keep_dims, ..
            } => reduce(x, axes, *keep_dims),
            Instr::SumPool { x, window: w, .. } | Instr::MaxPool { x, window: w, .. } => {
                window(x, w, None)
            }
            Instr::Reshape { x, .. } => {
                let s = shape(x)?;
                if numel(s) != numel(&out_shape) {
                    return Err(format!("cannot reshape {s:?} into {out_shape:?}"));
                }
                Ok(out_shape)
            }
            Instr::Broadcast { x, .. } => {
                let s = shape(x)?;
                match broadcast_shapes(s, &out_shape) {
                    Some(b) if b == out_shape => Ok(out_shape),
                    _ => Err(format!("cannot broadcast {s:?} to {out_shape:?}")),
                }
            }
            Instr::Transpose { x, perm, .. } => {
                let s = shape(x)?;
                let mut seen = vec![false; s.len()];
                if perm.len() != s.len()
                    || perm
                        .iter()
                        .any(|&p| p >= s.len() || std::mem::replace(&mut seen[p], true))
                {
                    return Err(format!("bad permutation {perm:?} for shape {s:?}"));
                }
                Ok(perm.iter().map(|&p| s[p]).collect())
            }
            Instr::Slice {
                x,
                axis,
                start,
                end,
                step,
                ..
            } => {
                let mut s = axis_ok(x, *axis)?;
                if *step == 0 || start > end || *end > s[*axis] {
                    return Err(format!(
                        "bad slice {start}..{end} step {step} of axis {axis} of {s:?}"
                    ));
                }
                s[*axis] = (end - start).div_ceil(*step);
                Ok(s)
            }
            Instr::Concat { xs, axis, .. } => {
                let first = xs.first().ok_or("concat of nothing")?;
                let mut s = axis_ok(first, *axis)?;
                for x in &xs[1..] {
                    let sx = shape(x)?;
                    let same =
                        sx.len() == s.len() && (0..s.len()).all(|i| i == *axis || sx[i] == s[i]);
                    if !same {
                        return Err(format!("cannot concatenate {sx:?} to {s:?} on axis {axis}"));
                    }
                    s[*axis] += sx[*axis];
                }
                Ok(s)
            }
            Instr::Pad { x, pads, .. } => {
                let s = shape(x)?;
                if pads.len() != s.len() {
                    return Err(format!("{} pads for rank {}", pads.len(), s.len()));
                }
                Ok(s.iter().zip(pads).map(|(d, (b, a))| d + b + a).collect())
            }
            Instr::Gather {
                data,
                indices,
                axis,
                ..
            } => {
                let s = axis_ok(data, *axis)?;
                let mut o = s[..*axis].to_vec();
                o.extend_from_slice(shape(indices)?);
                o.extend_from_slice(&s[axis + 1..]);
                Ok(o)
            }
            Instr::Softmax { x, axis, .. } | Instr::RmsNorm { x, axis, .. } => axis_ok(x, *axis),
        }
    }

    /// Checks the scale rule of the instruction (see each variant).
    pub fn check_scales(&self, t: &[TensorInfo]) -> Result<(), CheckError> {
        let s = |id: &TensorId| t.get(id.index()).map(|i| i.scale).unwrap_or(u32::MAX);
        let o = s(&self.output());
        let eq = |what: &str, l: u32, r: u32| {
            if l == r {
                Ok(())
            } else {
                Err(format!("{what}: scale {l} ≠ {r}"))
            }
        };
        match self {
            Instr::Einsum { a, b, .. } | Instr::Mul { a, b, .. } => {
                eq("out = a + b", o, s(a) + s(b))
            }
            Instr::Conv { x, w, .. } => eq("out = x + w", o, s(x) + s(w)),
            Instr::Add { a, b, .. }
            | Instr::Sub { a, b, .. }
            | Instr::Max { a, b, .. }
            | Instr::Min { a, b, .. } => {
                eq("a = b", s(a), s(b))?;
                eq("out = a", o, s(a))
            }
            Instr::Equal { a, b, .. } | Instr::Less { a, b, .. } => {
                eq("a = b", s(a), s(b))?;
                eq("out = 0", o, 0)
            }
            Instr::Where { cond, a, b, .. } => {
                eq("cond = 0", s(cond), 0)?;
                eq("a = b", s(a), s(b))?;
                eq("out = a", o, s(a))
            }
            Instr::MulConst { x, c_scale, .. } => eq("out = x + c", o, s(x) + c_scale),
            Instr::Rescale { x, shift, .. } => eq("out = x − shift", o + shift, s(x)),
            Instr::Lookup { x, table, .. } => {
                eq("x = table in", s(x), table.in_scale)?;
                eq("out = table out", o, table.out_scale)
            }
            Instr::Gather { data, indices, .. } => {
                eq("indices = 0", s(indices), 0)?;
                eq("out = data", o, s(data))
            }
            Instr::Concat { xs, .. } => xs.iter().try_for_each(|x| eq("out = x", o, s(x))),
            Instr::Div { a, b, .. } => {
                if o + s(b) < s(a) {
                    return Err(format!(
                        "div: 2^(out + b − a) is fractional ({o} + {} < {})",
                        s(b),
                        s(a)
                    ));
                }
                Ok(())
            }
            Instr::Sqrt { x, .. } => {
                if 2 * o < s(x) {
                    return Err(format!("sqrt: 2·out < x ({o}, {})", s(x)));
                }
                Ok(())
            }
            Instr::Softmax { x, exp, .. } => eq("x = exp in", s(x), exp.in_scale),
            Instr::RmsNorm { .. } => Ok(()),
            Instr::Neg { x, .. }
            | Instr::ReduceSum { x, .. }
            | Instr::SumPool { x, .. }
            | Instr::Reshape { x, .. }
            | Instr::Transpose { x, .. }
            | Instr::Slice { x, .. }
            | Instr::Broadcast { x, .. }
            | Instr::Pad { x, .. }
            | Instr::ReduceMax { x, .. }
            | Instr::MaxPool { x, .. } => eq("out = x", o, s(x)),
        }
    }
}

/// Output shape of an einsum, checking label consistency.
pub fn einsum_shape(spec: &EinsumSpec, a: &[usize], b: &[usize]) -> Result<Vec<usize>, CheckError> {
    let la: Vec<char> = spec.a.chars().collect();
    let lb: Vec<char> = spec.b.chars().collect();
    if la.len() != a.len() || lb.len() != b.len() {
        return Err(format!(
            "einsum {spec:?} does not match ranks of {a:?} and {b:?}"
        ));
    }
    let extent = |c: char| -> Result<usize, CheckError> {
        let mut e = 1;
        for (labels, dims) in [(&la, a), (&lb, b)] {
            for (i, &l) in labels.iter().enumerate() {
                if l == c {
                    match (e, dims[i]) {
                        (x, y) if x == y => {}
                        (1, y) => e = y,
                        (_, 1) => {}
                        (x, y) => return Err(format!("einsum label {c} has extents {x} and {y}")),
                    }
                }
            }
        }
        Ok(e)
    };
    let mut out = Vec::new();
    for (i, c) in spec.out.chars().enumerate() {
        if !la.contains(&c) && !lb.contains(&c) || spec.out.chars().skip(i + 1).any(|d| d == c) {
            return Err(format!("einsum output label {c} is unknown or repeated"));
        }
        out.push(extent(c)?);
    }
    for c in la.iter().chain(&lb) {
        extent(*c)?;
    }
    Ok(out)
}
