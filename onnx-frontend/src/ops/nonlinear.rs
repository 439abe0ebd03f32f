//! Non-linear operators: lookup tables, softmax, RMS normalization and reductions.
//!
//! Smooth tables read their input at the table scale `t = min(s, 12)` on a clamped domain (±8
//! for sigmoid, tanh and erf, which saturate there; ±16 for GELU, which is the identity beyond;
//! `[-16, 8]` for exp), so a table has at most `32 · 2^12 + 1` entries; they write at `s`.
//! Piecewise-linear tables (ReLU, LeakyReLU, Clip) are exact at any scale and keep their input's
//! scale.

use atlas_isa::table::{Table, TableFn};
use atlas_isa::{Instr, TensorId};
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer, RmsNorm, Softmax, SoftmaxKind};

use super::arith::{mul_const, mul_tensors};
use crate::builder::Value;
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};
use crate::quantize::{quantize_value, tensor_to_f64};

/// Domain of the GELU tables (real units): GELU is the identity beyond it, and `±16` at the
/// table scale 12 is `2^17` entries.
pub(crate) const GELU_DOMAIN: (f64, f64) = (-16.0, 16.0);

/// Lower end of the softmax exponential's domain (in real units): `e^-16 ≈ 1e-7`.
const SOFTMAX_EXP_LO: f64 = -16.0;

/// An exact piecewise-linear table at `x`'s scale.
pub(crate) fn piecewise(cx: &mut Lowering, name: &str, x: TensorId, func: TableFn) -> TensorId {
    let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
    let table = Table {
        func,
        in_scale: scale,
        out_scale: scale,
        domain: (0, 0),
    };
    cx.b.emit(name, shape, scale, |out| Instr::Lookup { x, table, out })
}

/// A smooth table on the real domain `[lo, hi]`, read at the table scale, written at `s`.
pub(crate) fn smooth_table(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    func: TableFn,
    lo: f64,
    hi: f64,
) -> Result<TensorId, FrontendError> {
    let t = cx.b.scales.table;
    let x = cx.b.at_scale(x, t);
    let unit = (1u64 << t) as f64;
    let mut domain = ((lo * unit).floor() as i64, (hi * unit).ceil() as i64);
    if matches!(func, TableFn::Log | TableFn::Rsqrt | TableFn::Reciprocal) {
        domain.0 = domain.0.max(1);
    }
    let table = Table {
        func,
        in_scale: t,
        out_scale: cx.b.s(),
        domain,
    };
    let (shape, s) = (cx.b.shape(x), cx.b.s());
    Ok(cx
        .b
        .emit(name, shape, s, |out| Instr::Lookup { x, table, out }))
}

/// `Softmax` along one axis: ISA `Softmax` with an exp table on `[-16, 0]` at the table scale.
pub(crate) fn softmax(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &Softmax,
) -> Result<Value, FrontendError> {
    if op.kind != SoftmaxKind::Softmax || op.quant_output_dt.is_some() {
        return Err(n.unsupported_op());
    }
    let [axis] = op.axes.as_slice() else {
        return Err(n.unsupported("softmax over several axes"));
    };
    let t = cx.b.scales.table;
    let input = n.tensor(0)?;
    let x = cx.b.at_scale(input, t);
    let exp = Table {
        func: TableFn::Exp,
        in_scale: t,
        out_scale: cx.b.s(),
        domain: ((SOFTMAX_EXP_LO * (1u64 << t) as f64) as i64, 0),
    };
    let (shape, s) = (cx.b.shape(x), cx.b.s());
    let axis = *axis;
    let out =
        cx.b.emit(n.name, shape, s, |out| Instr::Softmax { x, axis, exp, out });
    cx.softmax_of.insert(out, (input, axis));
    Ok(Value::Tensor(out))
}

/// `log(softmax(x))` along `axis` as `d − log Σ exp(d)` with `d = x − max x` (tract spells ONNX
/// `LogSoftmax` as `Ln` of a `Softmax`): `d` is exact and `Σ exp(d) ∈ [1, n]`, where the log of
/// a quantized probability would lose every probability below the scale's resolution.
pub(crate) fn log_softmax(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    axis: usize,
) -> Result<TensorId, FrontendError> {
    let x = cx.b.exact(x);
    let s = cx.b.scale(x);
    let len = cx.b.shape(x)[axis];
    let m =
        cx.b.emit_inferred(&format!("{name}.max"), s, |out| Instr::ReduceMax {
            x,
            axes: vec![axis],
            keep_dims: true,
            out,
        })?;
    let d =
        cx.b.emit_inferred(&format!("{name}.shifted"), s, |out| Instr::Sub {
            a: x,
            b: m,
            out,
        })?;
    let e = smooth_table(
        cx,
        &format!("{name}.exp"),
        d,
        TableFn::Exp,
        SOFTMAX_EXP_LO,
        0.0,
    )?;
    let sum =
        cx.b.emit_inferred(&format!("{name}.sum"), s, |out| Instr::ReduceSum {
            x: e,
            axes: vec![axis],
            keep_dims: true,
            out,
        })?;
    let log = smooth_table(
        cx,
        &format!("{name}.log"),
        sum,
        TableFn::Log,
        1.0,
        len as f64,
    )?;
    cx.b.emit_inferred(name, s, |out| Instr::Sub { a: d, b: log, out })
}

/// tract's `RmsNorm` (`x / √(mean(x²) + eps)`): ISA `RmsNorm` with its input at the RMS scale.
pub(crate) fn rms_norm(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &RmsNorm,
) -> Result<Value, FrontendError> {
    let r = cx.b.scales.wide;
    let x = cx.b.at_scale(n.tensor(0)?, r);
    let eps = tensor_to_f64(&op.eps)?
        .first()
        .copied()
        .ok_or_else(|| n.unsupported("empty epsilon"))?;
    let eps = quantize_value(eps, 2 * r, &|| format!("epsilon of {}", n.name))?;
    let (shape, s) = (cx.b.shape(x), cx.b.s());
    let axis = op.axis;
    Ok(Value::Tensor(cx.b.emit(n.name, shape, s, |out| {
        Instr::RmsNorm { x, axis, eps, out }
    })))
}

/// `Reduce<Sum | Max | Min | MeanOfSquares>` (tract keeps the reduced axes).
pub(crate) fn reduce(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &Reduce,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let mut axes: Vec<usize> = op.axes.to_vec();
    axes.sort_unstable();
    axes.dedup();
    let name = n.name;
    let t = match op.reducer {
        Reducer::Sum => {
            let scale = cx.b.scale(x);
            cx.b.emit_inferred(name, scale, |out| Instr::ReduceSum {
                x,
                axes,
                keep_dims: true,
                out,
            })?
        }
        Reducer::Max => {
            let x = cx.b.canon(x);
            let scale = cx.b.scale(x);
            cx.b.emit_inferred(name, scale, |out| Instr::ReduceMax {
                x,
                axes,
                keep_dims: true,
                out,
            })?
        }
        Reducer::Min => {
            let x = cx.b.canon(x);
            let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
            let neg =
                cx.b.emit(&format!("{name}.neg"), shape, scale, |out| Instr::Neg {
                    x,
                    out,
                });
            let m =
                cx.b.emit_inferred(&format!("{name}.max"), scale, |out| Instr::ReduceMax {
                    x: neg,
                    axes,
                    keep_dims: true,
                    out,
                })?;
            let shape = cx.b.shape(m);
            cx.b.emit(name, shape, scale, |out| Instr::Neg { x: m, out })
        }
        Reducer::MeanOfSquares => {
            let count: usize = axes.iter().map(|&a| cx.b.shape(x)[a]).product();
            let sq = mul_tensors(cx, &format!("{name}.square"), x, x)?;
            let sq = cx.b.canon(sq);
            let scale = cx.b.scale(sq);
            let sum =
                cx.b.emit_inferred(&format!("{name}.sum"), scale, |out| Instr::ReduceSum {
                    x: sq,
                    axes,
                    keep_dims: true,
                    out,
                })?;
            mul_const(cx, name, sum, 1.0 / count as f64)?
        }
        Reducer::ArgMax(last) | Reducer::ArgMin(last) => {
            let is_max = matches!(op.reducer, Reducer::ArgMax(_));
            arg_extremum(cx, n, x, &axes, is_max, last)?
        }
        _ => return Err(n.unsupported_op()),
    };
    Ok(Value::Tensor(t))
}

/// `ArgMax` / `ArgMin` along one axis of `n` entries, from proven instructions only: with
/// `m = ReduceMax(x)` (of `−x` for ArgMin) and `e_j = [x_j = m]`, the first maximal index is
/// `n − ReduceMax(e_j·(n − j))` and the last one `ReduceMax(e_j·(j + 1)) − 1` (ONNX's
/// `select_last_index`). The result is an integer tensor (scale 0) with the axis kept.
fn arg_extremum(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    x: TensorId,
    axes: &[usize],
    is_max: bool,
    last: bool,
) -> Result<TensorId, FrontendError> {
    let &[axis] = axes else {
        return Err(n.unsupported(format!("arg-reduction over axes {axes:?}")));
    };
    let x = cx.b.canon(x);
    let x = if is_max { x } else { negate(cx, n.name, x) };
    Ok(arg_max_along(cx, n.name, x, axis, last)?.1)
}

/// `−x`.
fn negate(cx: &mut Lowering, name: &str, x: TensorId) -> TensorId {
    let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
    cx.b.emit(&format!("{name}.neg"), shape, scale, |out| Instr::Neg {
        x,
        out,
    })
}

/// `(max, argmax)` of `x` along `axis`, both with the axis kept (extent 1); the argmax is the
/// first (or, with `last`, the last) maximal index, an integer tensor named `name`.
fn arg_max_along(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    axis: usize,
    last: bool,
) -> Result<(TensorId, TensorId), FrontendError> {
    let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
    let reduce_max = |cx: &mut Lowering, step: &str, x: TensorId, scale: u32| {
        cx.b.emit_inferred(&format!("{name}.{step}"), scale, |out| Instr::ReduceMax {
            x,
            axes: vec![axis],
            keep_dims: true,
            out,
        })
    };
    let m = reduce_max(cx, "max", x, scale)?;
    let hit =
        cx.b.emit_inferred(&format!("{name}.hit"), 0, |out| Instr::Equal {
            a: x,
            b: m,
            out,
        })?;
    let len = shape[axis];
    let rank = |j: usize| if last { j + 1 } else { len - j } as f64;
    let iota = axis_ramp(cx, &format!("{name}.rank"), shape.len(), axis, len, rank)?;
    let score =
        cx.b.emit_inferred(&format!("{name}.score"), 0, |out| Instr::Mul {
            a: hit,
            b: iota,
            out,
        })?;
    let best = reduce_max(cx, "best", score, 0)?;
    let offset = if last { 1.0 } else { len as f64 };
    let offset =
        cx.b.public_const(&format!("{name}.offset"), vec![], vec![offset], false, 0)?;
    let index = cx.b.emit_inferred(name, 0, |out| match last {
        true => Instr::Sub {
            a: best,
            b: offset,
            out,
        },
        false => Instr::Sub {
            a: offset,
            b: best,
            out,
        },
    })?;
    Ok((m, index))
}

/// The public integer tensor `f(j)` along `axis` (extent `len`, every other axis 1).
fn axis_ramp(
    cx: &mut Lowering,
    name: &str,
    rank: usize,
    axis: usize,
    len: usize,
    f: impl Fn(usize) -> f64,
) -> Result<TensorId, FrontendError> {
    let mut shape = vec![1; rank];
    shape[axis] = len;
    cx.b.public_const(name, shape, (0..len).map(f).collect(), false, 0)
}

/// Largest `k` that `TopK` unrolls into (each step is about eight instructions).
const MAX_TOP_K: usize = 64;

/// `TopK` along `axis` (values and indices, sorted, ties to the lower index as tract does): `k`
/// rounds of the first argmax ([`arg_max_along`]), each replacing the chosen entry by the
/// row minimum minus one (`Where` on `index_ramp = argmax`), then the rounds' values and
/// indices concatenated. `largest = false` works on `−x`.
pub(crate) fn top_k(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    axis: usize,
    k: usize,
    largest: bool,
) -> Result<(TensorId, TensorId), FrontendError> {
    let x = cx.b.canon(n.tensor(0)?);
    let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
    let len = *shape
        .get(axis)
        .ok_or_else(|| n.unsupported("axis out of range"))?;
    if k == 0 || k > len || k > MAX_TOP_K {
        return Err(n.unsupported(format!("k = {k} of {len} (at most {MAX_TOP_K})")));
    }
    let name = n.name;
    let mut cur = if largest { x } else { negate(cx, name, x) };
    let positions = axis_ramp(
        cx,
        &format!("{name}.positions"),
        shape.len(),
        axis,
        len,
        |j| j as f64,
    )?;
    let one =
        cx.b.public_const(&format!("{name}.quantum"), vec![], vec![1.0], false, scale)?;
    let (mut values, mut indices) = (Vec::new(), Vec::new());
    for round in 0..k {
        let step = format!("{name}.top{round}");
        let (m, index) = arg_max_along(cx, &step, cur, axis, false)?;
        values.push(m);
        indices.push(index);
        if round + 1 == k {
            break;
        }
        let chosen =
            cx.b.emit_inferred(&format!("{step}.chosen"), 0, |out| Instr::Equal {
                a: positions,
                b: index,
                out,
            })?;
        // The row minimum minus one quantum: below every remaining entry.
        let neg = negate(cx, &format!("{step}.low"), cur);
        let top =
            cx.b.emit_inferred(&format!("{step}.low.max"), scale, |out| Instr::ReduceMax {
                x: neg,
                axes: vec![axis],
                keep_dims: true,
                out,
            })?;
        // min(cur) − 1 = −(max(−cur) + 1).
        let raised =
            cx.b.emit_inferred(&format!("{step}.low.raised"), scale, |out| Instr::Add {
                a: top,
                b: one,
                out,
            })?;
        let floor = negate(cx, &format!("{step}.floor"), raised);
        cur =
            cx.b.emit_inferred(&format!("{step}.rest"), scale, |out| Instr::Where {
                cond: chosen,
                a: floor,
                b: cur,
                out,
            })?;
    }
    let join = |cx: &mut Lowering, label: &str, xs: Vec<TensorId>, scale: u32| {
        if xs.len() == 1 {
            return Ok(xs[0]);
        }
        cx.b.emit_inferred(&format!("{name}.{label}"), scale, |out| Instr::Concat {
            xs,
            axis,
            out,
        })
    };
    let values = join(cx, "values", values, scale)?;
    let values = if largest {
        values
    } else {
        negate(cx, &format!("{name}.values"), values)
    };
    let indices = join(cx, "indices", indices, 0)?;
    Ok((values, indices))
}
