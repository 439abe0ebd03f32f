//! Data movement: reshapes and axis moves, slices, concatenation, padding, broadcasting,
//! nearest-neighbour upsampling, gathers, casts. None changes a scale; constants reaching them are folded by tract beforehand.

use atlas_isa::{Instr, TensorId};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Gather, Pad, PadMode, Slice, TypedConcat};
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::nn::resize::NearestUpsample;
use tract_onnx::tract_core::ops::Downsample;

use crate::builder::{ConstVal, Value};
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};
use crate::quantize::{quantize_value, tensor_to_f64};

/// `Cast` and `Identity`: the value itself (booleans and integers are already 0/1 or integers at
/// scale 0; floats keep their scale).
pub(crate) fn identity(_cx: &mut Lowering, n: &NodeCx<'_>) -> Result<Value, FrontendError> {
    match &n.inputs[..] {
        [v] => Ok(v.clone()),
        _ => Err(n.unsupported("arity")),
    }
}

/// `AxisOp`: `Move` is a `Transpose`, every other form a `Reshape`.
pub(crate) fn axis_op(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &AxisOp,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let scale = cx.b.scale(x);
    let t = match op {
        AxisOp::Move(from, to) => {
            let rank = cx.b.shape(x).len();
            let mut perm: Vec<usize> = (0..rank).collect();
            if *from >= rank || *to >= rank {
                return Err(n.unsupported("axis out of range"));
            }
            let moved = perm.remove(*from);
            perm.insert(*to, moved);
            cx.b.emit_inferred(n.name, scale, |out| Instr::Transpose { x, perm, out })?
        }
        _ => {
            cx.b.emit(n.name, n.shape.clone(), scale, |out| Instr::Reshape {
                x,
                out,
            })
        }
    };
    Ok(Value::Tensor(t))
}

/// A concrete dimension.
fn dim(n: &NodeCx<'_>, d: &TDim) -> Result<usize, FrontendError> {
    d.to_i64()
        .ok()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| n.unsupported(format!("symbolic bound {d}")))
}

/// `Slice` of one axis with unit step.
pub(crate) fn slice(cx: &mut Lowering, n: &NodeCx<'_>, op: &Slice) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let (start, end) = (dim(n, &op.start)?, dim(n, &op.end)?);
    let scale = cx.b.scale(x);
    let axis = op.axis;
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Slice {
            x,
            axis,
            start,
            end,
            step: 1,
            out,
        }
    })?))
}

/// `Downsample` (strided slicing): `Slice` with a step.
pub(crate) fn downsample(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &Downsample,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    if op.stride == 0 || (op.stride < 0 && op.modulo != 0) {
        return Err(n.unsupported(format!("stride {} from {}", op.stride, op.modulo)));
    }
    if op.stride < 0 {
        return reversed(cx, n, x, op.axis, op.stride.unsigned_abs());
    }
    let shape = cx.b.shape(x);
    let axis = op.axis;
    let end = *shape
        .get(axis)
        .ok_or_else(|| n.unsupported("axis out of range"))?;
    let start = op.modulo.min(end);
    let step = op.stride as usize;
    let scale = cx.b.scale(x);
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Slice {
            x,
            axis,
            start,
            end,
            step,
            out,
        }
    })?))
}

/// A negative-stride `Downsample` (a Slice with a negative step, `flip`): entries
/// `len − 1, len − 1 − s, …` of `axis`, a Gather with a public index table.
fn reversed(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    x: TensorId,
    axis: usize,
    step: usize,
) -> Result<Value, FrontendError> {
    let len = *cx
        .b
        .shape(x)
        .get(axis)
        .ok_or_else(|| n.unsupported("axis out of range"))?;
    let picked: Vec<f64> = (0..len).rev().step_by(step).map(|i| i as f64).collect();
    let count = picked.len();
    let indices = cx.b.public_const(
        &format!("{}.indices", n.name),
        vec![count],
        picked,
        false,
        0,
    )?;
    let scale = cx.b.scale(x);
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Gather {
            data: x,
            indices,
            axis,
            out,
        }
    })?))
}

/// `TypedConcat`: operands at one scale (that of the tensors if they agree, else `s`).
pub(crate) fn concat(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &TypedConcat,
) -> Result<Value, FrontendError> {
    let scales: Vec<u32> = n
        .inputs
        .iter()
        .filter_map(|v| match v {
            Value::Tensor(t) => Some(cx.b.scale(*t)),
            Value::Const(_) => None,
        })
        .collect();
    let scale = match scales.first() {
        Some(&first) if scales.iter().all(|&s| s == first) => first,
        _ => cx.b.s(),
    };
    let mut xs = Vec::with_capacity(n.inputs.len());
    for v in &n.inputs {
        xs.push(match v {
            Value::Tensor(t) => cx.b.at_scale(*t, scale),
            Value::Const(c) => cx.b.materialize(c, scale)?,
        });
    }
    let axis = op.axis;
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Concat { xs, axis, out }
    })?))
}

/// `Pad` with a constant.
pub(crate) fn pad(cx: &mut Lowering, n: &NodeCx<'_>, op: &Pad) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let PadMode::Constant(v) = &op.mode else {
        return Err(n.unsupported("reflect or edge padding"));
    };
    let v = tensor_to_f64(v)?.first().copied().unwrap_or(0.0);
    let scale = cx.b.scale(x);
    let value = quantize_value(v, scale, &|| format!("padding value of {}", n.name))?;
    let pads = op.pads.clone();
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Pad {
            x,
            pads,
            value,
            out,
        }
    })?))
}

/// `MultiBroadcastTo`: ISA `Broadcast`.
pub(crate) fn broadcast(cx: &mut Lowering, n: &NodeCx<'_>) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let scale = cx.b.scale(x);
    Ok(Value::Tensor(cx.b.emit(
        n.name,
        n.shape.clone(),
        scale,
        |out| Instr::Broadcast { x, out },
    )))
}

/// `NearestUpsample` (ONNX `Resize` / `Upsample` in `nearest` mode with integer scales, as tract
/// declutters them): every axis with scale `s > 1` repeats each element `s` times — a unit axis
/// after it (`Reshape`), broadcast to `s` (`Broadcast`), merged back (`Reshape`).
pub(crate) fn nearest_upsample(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &NearestUpsample,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let shape = cx.b.shape(x);
    if op.scales.len() != shape.len() || op.scales.contains(&0) {
        return Err(n.unsupported(format!(
            "upsampling scales {:?} for a tensor of shape {shape:?}",
            op.scales
        )));
    }
    repeat_axes(cx, n, x, &op.scales, Repeat::Elements)
}

/// What [`repeat_axis`] repeats.
#[derive(Clone, Copy)]
enum Repeat {
    /// Each element `r` times in place (`a a b b`): nearest upsampling.
    Elements,
    /// The whole axis `r` times (`a b a b`): `Tile`.
    Axis,
}

/// `axis` of `x` repeated `r` times: a unit axis after it ([`Repeat::Elements`]) or before it
/// ([`Repeat::Axis`]) by `Reshape`, broadcast to `r`, merged back by `Reshape`.
fn repeat_axis(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    axis: usize,
    r: usize,
    how: Repeat,
) -> TensorId {
    let scale = cx.b.scale(x);
    let mut shape = cx.b.shape(x);
    let unit_axis = match how {
        Repeat::Elements => axis + 1,
        Repeat::Axis => axis,
    };
    let mut split = shape.clone();
    split.insert(unit_axis, 1);
    let step = |s: &str| format!("{name}.axis{axis}.{s}");
    let unit =
        cx.b.emit(&step("unit"), split.clone(), scale, |out| Instr::Reshape {
            x,
            out,
        });
    split[unit_axis] = r;
    let repeated =
        cx.b.emit(&step("repeat"), split, scale, |out| Instr::Broadcast {
            x: unit,
            out,
        });
    shape[axis] *= r;
    cx.b.emit(&step("merge"), shape, scale, |out| Instr::Reshape {
        x: repeated,
        out,
    })
}

/// `Tile`: every axis with multiplier `r > 1` repeats the whole axis `r` times — a unit axis
/// before it (`Reshape`), broadcast to `r` (`Broadcast`), merged back (`Reshape`).
pub(crate) fn tile(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::array::Tile,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let shape = cx.b.shape(x);
    let multipliers = op
        .multipliers
        .iter()
        .map(|d| dim(n, d))
        .collect::<Result<Vec<usize>, _>>()?;
    if multipliers.len() != shape.len() || multipliers.contains(&0) {
        return Err(n.unsupported(format!("multipliers {multipliers:?} for {shape:?}")));
    }
    repeat_axes(cx, n, x, &multipliers, Repeat::Axis)
}

/// Every axis of `x` repeated `factors[axis]` times ([`repeat_axis`]), checked against the
/// shape tract expects.
fn repeat_axes(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    mut x: TensorId,
    factors: &[usize],
    how: Repeat,
) -> Result<Value, FrontendError> {
    let mut shape = cx.b.shape(x);
    for (axis, &r) in factors.iter().enumerate().filter(|(_, r)| **r > 1) {
        x = repeat_axis(cx, n.name, x, axis, r, how);
        shape[axis] *= r;
    }
    if shape != n.shape {
        return Err(n.unsupported(format!(
            "repeated shape {shape:?}, tract expects {:?}",
            n.shape
        )));
    }
    Ok(Value::Tensor(x))
}

/// A tensor operand, or a constant materialized (weights at the activation scale).
fn operand(cx: &mut Lowering, v: &Value) -> Result<TensorId, FrontendError> {
    Ok(match v {
        Value::Tensor(t) => *t,
        Value::Const(c) => {
            let scale = if c.is_float { cx.b.s() } else { 0 };
            cx.b.materialize(c, scale)?
        }
    })
}

/// `ScatterND` with constant indices and no reduction: viewing `data` as `[P, inner]` (the
/// indexed leading axes flattened) and `updates` as `[U, inner]`, the result is
/// `Where(written, Gather(updates, source), data)` for the public tables `source[p]` (the
/// update written at `p`; the last one when several are) and `written[p]`.
pub(crate) fn scatter_nd(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::array::ScatterNd,
) -> Result<Value, FrontendError> {
    use tract_onnx::tract_core::ops::array::ScatterReduction;
    if op.reduction != ScatterReduction::None {
        return Err(n.unsupported(format!("reduction {:?}", op.reduction)));
    }
    if n.inputs.len() != 3 {
        return Err(n.unsupported("arity"));
    }
    let indices = n.konst(1)?;
    let (mut data, mut updates) = (operand(cx, &n.inputs[0])?, operand(cx, &n.inputs[2])?);
    if cx.b.scale(data) != cx.b.scale(updates) {
        (data, updates) = (cx.b.exact(data), cx.b.exact(updates));
    }
    let scale = cx.b.scale(data);
    let (dshape, ushape) = (cx.b.shape(data), cx.b.shape(updates));
    let q = *indices.shape.last().unwrap_or(&0);
    let lead = &indices.shape[..indices.shape.len().saturating_sub(1)];
    if q == 0 || q > dshape.len() || ushape[..] != [lead, &dshape[q..]].concat()[..] {
        return Err(n.unsupported(format!(
            "indices {:?} and updates {ushape:?} for data {dshape:?}",
            indices.shape
        )));
    }
    let (outer, inner): (usize, usize) =
        (dshape[..q].iter().product(), dshape[q..].iter().product());
    let count: usize = lead.iter().product();
    let (mut source, mut written) = (vec![0f64; outer], vec![0f64; outer]);
    for (u, tuple) in indices.values.chunks_exact(q).enumerate() {
        let mut p = 0usize;
        for (axis, v) in tuple.iter().enumerate() {
            let len = dshape[axis] as i64;
            let i = *v as i64;
            let i = if i < 0 { i + len } else { i };
            if !(0..len).contains(&i) {
                return Err(n.unsupported(format!("index {v} outside axis {axis} of {len}")));
            }
            p = p * dshape[axis] + i as usize;
        }
        (source[p], written[p]) = (u as f64, 1.0);
    }
    let name = |step: &str| format!("{}.{step}", n.name);
    let flat_data = cx.b.emit(&name("data"), vec![outer, inner], scale, |out| {
        Instr::Reshape { x: data, out }
    });
    let flat_updates =
        cx.b.emit(&name("updates"), vec![count, inner], scale, |out| {
            Instr::Reshape { x: updates, out }
        });
    let source =
        cx.b.public_const(&name("source"), vec![outer], source, false, 0)?;
    let written =
        cx.b.public_const(&name("written"), vec![outer, 1], written, false, 0)?;
    let gathered =
        cx.b.emit_inferred(&name("gathered"), scale, |out| Instr::Gather {
            data: flat_updates,
            indices: source,
            axis: 0,
            out,
        })?;
    let merged =
        cx.b.emit_inferred(&name("merged"), scale, |out| Instr::Where {
            cond: written,
            a: gathered,
            b: flat_data,
            out,
        })?;
    Ok(Value::Tensor(cx.b.emit(n.name, dshape, scale, |out| {
        Instr::Reshape { x: merged, out }
    })))
}

/// `Gather`: data-dependent indices (token ids) gather from a tensor or a weight; constant
/// indices become a public index table.
pub(crate) fn gather(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &Gather,
) -> Result<Value, FrontendError> {
    if n.inputs.len() != 2 {
        return Err(n.unsupported("arity"));
    }
    let data: TensorId = match &n.inputs[0] {
        Value::Tensor(t) => cx.b.canon(*t),
        Value::Const(c) => cx.b.weight(c)?,
    };
    let indices = match &n.inputs[1] {
        Value::Tensor(t) if cx.b.scale(*t) == 0 => *t,
        Value::Tensor(_) => return Err(n.unsupported("real-valued indices")),
        Value::Const(c) => {
            let idx = ConstVal {
                key: c.key,
                name: c.name.clone(),
                shape: c.shape.clone(),
                values: c.values.clone(),
                is_float: false,
                public: false,
            };
            cx.b.materialize(&idx, 0)?
        }
    };
    let scale = cx.b.scale(data);
    let axis = op.axis;
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Gather {
            data,
            indices,
            axis,
            out,
        }
    })?))
}
