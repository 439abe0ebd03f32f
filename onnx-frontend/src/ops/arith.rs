//! Arithmetic: tract's binary mini-ops (`Add`, `Sub`, `Mul`, `Div`, `Max`, `Min`, `Pow`,
//! comparisons, logic), `Iff`, and the element-wise unary mini-ops.
//!
//! Scale rules: sums align their operands (a constant is quantized at the tensor's scale; two
//! tensors at different scales meet at the finer one, but at most at the wide scale `s + 6`);
//! products bring their tensor operands to at most `s` and leave the product at the sum of the
//! scales, for the next consumer to rescale; a scalar constant factor becomes `MulConst` at
//! [`const_scale`] (a power of two is exact: `±1` at scale `k`); division by a constant is a
//! multiplication by its reciprocal, division by a tensor is `Div`.

use atlas_isa::table::{TableFn, LEAKY_ALPHA_BITS};
use atlas_isa::{Instr, TensorId};
use tract_onnx::tract_core::ops;
use tract_onnx::tract_core::ops::element_wise::ElementWiseMiniOp;

use super::nonlinear::{piecewise, smooth_table, GELU_DOMAIN};
use crate::builder::{ConstVal, Value};
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};
use crate::quantize::{const_scale, quantize_value};

/// Lowers a `TypedBinOp` by its mini-op name.
pub(crate) fn binary(cx: &mut Lowering, n: &NodeCx<'_>, op: &str) -> Result<Value, FrontendError> {
    if n.inputs.len() != 2 {
        return Err(n.unsupported("arity"));
    }
    let (a, b) = (&n.inputs[0], &n.inputs[1]);
    let t = match op {
        "Add" | "Sub" => return add_sub(cx, n, op == "Sub"),
        "Mul" => return mul(cx, n, a, b),
        "Div" => div(cx, n, a, b)?,
        "Max" | "Min" => max_min(cx, n, op == "Max")?,
        "Pow" => {
            let x = n.tensor(0)?;
            let e = n
                .konst(1)?
                .scalar()
                .ok_or_else(|| n.unsupported("non-scalar exponent"))?;
            pow(cx, n, x, e)?
        }
        "Eq" | "NE" | "LT" | "GT" | "LTE" | "GTE" => compare(cx, n, op)?,
        "And" => {
            let (x, y) = align(cx, n, a, b)?;
            cx.b.emit_inferred(n.name, 0, |out| Instr::Mul { a: x, b: y, out })?
        }
        "Or" => {
            let (x, y) = align(cx, n, a, b)?;
            cx.b.emit_inferred(n.name, 0, |out| Instr::Max { a: x, b: y, out })?
        }
        _ => return Err(n.unsupported_op()),
    };
    Ok(Value::Tensor(t))
}

/// Brings two operands of a sum, comparison or selection to one scale.
pub(crate) fn align(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    a: &Value,
    b: &Value,
) -> Result<(TensorId, TensorId), FrontendError> {
    Ok(match (a, b) {
        (Value::Tensor(x), Value::Tensor(y)) => {
            let (sx, sy) = (cx.b.scale(*x), cx.b.scale(*y));
            if sx == sy {
                (*x, *y)
            } else {
                // The finer of the two, up to the wide scale: exact raises where possible.
                let target = sx.max(sy).min(cx.b.scales.wide).max(cx.b.s());
                (cx.b.at_scale(*x, target), cx.b.at_scale(*y, target))
            }
        }
        (Value::Tensor(x), Value::Const(c)) => {
            let y = cx.b.materialize(c, cx.b.scale(*x))?;
            (*x, y)
        }
        (Value::Const(c), Value::Tensor(y)) => {
            let x = cx.b.materialize(c, cx.b.scale(*y))?;
            (x, *y)
        }
        (Value::Const(_), Value::Const(_)) => return Err(n.unsupported("two constant operands")),
    })
}

fn add_sub(cx: &mut Lowering, n: &NodeCx<'_>, sub: bool) -> Result<Value, FrontendError> {
    let (a, b) = (&n.inputs[0], &n.inputs[1]);
    // x ± 0 is x when the shape does not change.
    if let (Value::Tensor(x), Value::Const(c)) = (a, b) {
        if c.values.iter().all(|v| *v == 0.0) && cx.b.shape(*x) == n.shape {
            return Ok(a.clone());
        }
    }
    let folded = match (a, b) {
        (Value::Tensor(x), Value::Const(c)) => {
            let sign = if sub { -1.0 } else { 1.0 };
            cx.foldable(*x).and_then(|af| af.shifted(cx, c, sign))
        }
        (Value::Const(c), Value::Tensor(x)) if !sub => {
            cx.foldable(*x).and_then(|af| af.shifted(cx, c, 1.0))
        }
        _ => None,
    };
    if let Some(af) = folded {
        return Ok(Value::Tensor(af.emit(cx, n.name)?));
    }
    let (x, y) = align(cx, n, a, b)?;
    let scale = cx.b.scale(x);
    let t = cx.b.emit_inferred(n.name, scale, |out| {
        if sub {
            Instr::Sub { a: x, b: y, out }
        } else {
            Instr::Add { a: x, b: y, out }
        }
    })?;
    Ok(Value::Tensor(t))
}

fn mul(cx: &mut Lowering, n: &NodeCx<'_>, a: &Value, b: &Value) -> Result<Value, FrontendError> {
    let t = match (a, b) {
        (Value::Tensor(x), Value::Tensor(y)) => {
            if let Some(&d) = cx.recip_of.get(y) {
                divide(cx, n.name, *x, d)?
            } else if let Some(&d) = cx.recip_of.get(x) {
                divide(cx, n.name, *y, d)?
            } else {
                mul_tensors(cx, n.name, *x, *y)?
            }
        }
        (Value::Tensor(x), Value::Const(c)) | (Value::Const(c), Value::Tensor(x)) => {
            let folded = cx.foldable(*x).and_then(|a| a.scaled(cx, c));
            match c.scalar() {
                _ if folded.is_some() => folded.expect("checked").emit(cx, n.name)?,
                Some(v) if cx.b.shape(*x) == n.shape => mul_const(cx, n.name, *x, v)?,
                _ => {
                    let xc = cx.b.canon(*x);
                    let w = cx.b.weight(c)?;
                    let scale = cx.b.scale(xc) + cx.b.scale(w);
                    cx.b.emit_inferred(n.name, scale, |out| Instr::Mul { a: xc, b: w, out })?
                }
            }
        }
        (Value::Const(_), Value::Const(_)) => return Err(n.unsupported("two constant operands")),
    };
    Ok(Value::Tensor(t))
}

/// `x · y` at scale `s(x) + s(y)`, both brought to at most `s` first.
pub(crate) fn mul_tensors(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    y: TensorId,
) -> Result<TensorId, FrontendError> {
    let (x, y) = (cx.b.canon(x), cx.b.canon(y));
    let scale = cx.b.scale(x) + cx.b.scale(y);
    cx.b.emit_inferred(name, scale, |out| Instr::Mul { a: x, b: y, out })
}

/// `x · c` for a real constant `c`.
pub(crate) fn mul_const(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    c: f64,
) -> Result<TensorId, FrontendError> {
    if c == 1.0 {
        return Ok(x);
    }
    if c == -1.0 {
        let shape = cx.b.shape(x);
        let scale = cx.b.scale(x);
        return Ok(cx.b.emit(name, shape, scale, |out| Instr::Neg { x, out }));
    }
    // A power of two 2^-k is exact as the integer ±1 at scale k: no rounding, no rescale first.
    let e = c.abs().log2();
    let (x, q, cs) = if e.fract() == 0.0 && (-30.0..=30.0).contains(&e) {
        let x = if cx.b.scale(x) + (-e).max(0.0) as u32 > cx.b.max_pending() {
            cx.b.canon(x)
        } else {
            x
        };
        let q = c.signum() as i64 * (1i64 << e.max(0.0) as u32);
        (x, q, (-e).max(0.0) as u32)
    } else {
        let x = cx.b.canon(x);
        let cs = const_scale(cx.b.s(), c);
        (
            x,
            quantize_value(c, cs, &|| format!("constant factor of {name}"))?,
            cs,
        )
    };
    let shape = cx.b.shape(x);
    let scale = cx.b.scale(x) + cs;
    Ok(cx.b.emit(name, shape, scale, |out| Instr::MulConst {
        x,
        c: q,
        c_scale: cs,
        out,
    }))
}

/// `a / d` for tensors, at scale `s` (`Div`; every divisor must be positive at run time).
pub(crate) fn divide(
    cx: &mut Lowering,
    name: &str,
    a: TensorId,
    d: TensorId,
) -> Result<TensorId, FrontendError> {
    let (a, d) = (cx.b.canon(a), cx.b.exact(d));
    let s = cx.b.s();
    cx.b.emit_inferred(name, s, |out| Instr::Div { a, b: d, out })
}

fn div(cx: &mut Lowering, n: &NodeCx<'_>, a: &Value, b: &Value) -> Result<TensorId, FrontendError> {
    match (a, b) {
        (Value::Tensor(x), Value::Tensor(d)) => divide(cx, n.name, *x, *d),
        (Value::Tensor(x), Value::Const(c)) => match c.scalar() {
            Some(v) if v != 0.0 && cx.b.shape(*x) == n.shape => mul_const(cx, n.name, *x, 1.0 / v),
            _ => {
                if c.values.contains(&0.0) {
                    return Err(n.unsupported("division by zero"));
                }
                let r = derived_const(cx, c, format!("{}.recip", c.name), |v| 1.0 / v);
                let xc = cx.b.canon(*x);
                let w = cx.b.weight(&r)?;
                let scale = cx.b.scale(xc) + cx.b.scale(w);
                cx.b.emit_inferred(n.name, scale, |out| Instr::Mul { a: xc, b: w, out })
            }
        },
        (Value::Const(c), Value::Tensor(d)) => {
            let s = cx.b.s();
            let x = cx.b.materialize(c, s)?;
            divide(cx, n.name, x, *d)
        }
        (Value::Const(_), Value::Const(_)) => Err(n.unsupported("two constant operands")),
    }
}

/// A new compile-time constant computed element-wise from another.
pub(crate) fn derived_const(
    cx: &mut Lowering,
    c: &ConstVal,
    name: String,
    f: impl Fn(f64) -> f64,
) -> ConstVal {
    ConstVal {
        key: cx.b.fresh_key(),
        name,
        shape: c.shape.clone(),
        values: c.values.iter().map(|&v| f(v)).collect(),
        is_float: true,
        public: false,
    }
}

/// `1 / x` as `Div(1, x)`, remembered so that a product with it becomes one `Div`.
fn recip(cx: &mut Lowering, name: &str, x: TensorId) -> Result<TensorId, FrontendError> {
    let s = cx.b.s();
    let one = ConstVal {
        key: cx.b.fresh_key(),
        name: format!("{name}.one"),
        shape: vec![],
        values: vec![1.0],
        is_float: true,
        public: false,
    };
    let one = cx.b.materialize(&one, s)?;
    let t = divide(cx, name, one, x)?;
    let d = cx.b.exact(x);
    cx.recip_of.insert(t, d);
    Ok(t)
}

fn max_min(cx: &mut Lowering, n: &NodeCx<'_>, is_max: bool) -> Result<TensorId, FrontendError> {
    let (a, b) = (&n.inputs[0], &n.inputs[1]);
    let scalar = match (a, b) {
        (Value::Tensor(x), Value::Const(c)) | (Value::Const(c), Value::Tensor(x)) => c
            .scalar()
            .filter(|_| cx.b.shape(*x) == n.shape)
            .map(|v| (*x, v)),
        _ => None,
    };
    if let Some((x, v)) = scalar {
        let x = cx.b.canon(x);
        let q = quantize_value(v, cx.b.scale(x), &|| format!("bound of {}", n.name))?;
        // max(min(x, hi), lo) and min(max(x, lo), hi) are one two-sided clip.
        let fused = match is_max {
            true => cx.clip_hi_of.get(&x).map(|&(src, hi)| (src, q, hi.max(q))),
            false => cx.clip_of.get(&x).map(|&(src, lo)| (src, lo, q.max(lo))),
        };
        if let Some((src, lo, hi)) = fused {
            return Ok(piecewise(cx, n.name, src, TableFn::Clip { lo, hi }));
        }
        if is_max && q == 0 {
            return Ok(piecewise(cx, n.name, x, TableFn::Relu));
        }
        let t = one_sided(cx, n.name, x, v, is_max)?;
        match is_max {
            true => cx.clip_of.insert(t, (x, q)),
            false => cx.clip_hi_of.insert(t, (x, q)),
        };
        return Ok(t);
    }
    let (x, y) = align(cx, n, a, b)?;
    let scale = cx.b.scale(x);
    cx.b.emit_inferred(n.name, scale, |out| {
        if is_max {
            Instr::Max { a: x, b: y, out }
        } else {
            Instr::Min { a: x, b: y, out }
        }
    })
}

/// A public scalar constant `v` at `scale`.
fn public_scalar(
    cx: &mut Lowering,
    name: &str,
    v: f64,
    scale: u32,
) -> Result<TensorId, FrontendError> {
    cx.b.public_const(name, vec![], vec![v], true, scale)
}

/// `max(x, c)` as `c + ReLU(x − c)`, or `min(x, c)` as `x − ReLU(x − c)`, for a constant `c`:
/// one ReLU lookup on `x − c`, whose operand fits 32 bits whenever `x` and `c` do (a two-sided
/// clip with an open end would read `x − i32::MIN`).
fn one_sided(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    c: f64,
    is_max: bool,
) -> Result<TensorId, FrontendError> {
    let scale = cx.b.scale(x);
    let c = public_scalar(cx, &format!("{name}.bound"), c, scale)?;
    let d =
        cx.b.emit_inferred(&format!("{name}.gap"), scale, |out| Instr::Sub {
            a: x,
            b: c,
            out,
        })?;
    let r = piecewise(cx, &format!("{name}.relu"), d, TableFn::Relu);
    cx.b.emit_inferred(name, scale, |out| match is_max {
        true => Instr::Add { a: c, b: r, out },
        false => Instr::Sub { a: x, b: r, out },
    })
}

/// ONNX `QuantizeLinear` as tract keeps it (`x·multiplier`, the multiplier being `1/scale`):
/// `clip(round(x·multiplier) + zero_point, lo, hi)`, an integer tensor. The rounding is a
/// `Rescale`, half up where ONNX rounds half to even: the two differ only on exact ties.
fn quantize_linear(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    multiplier: f64,
    zero_point: i64,
    (lo, hi): (i64, i64),
) -> Result<TensorId, FrontendError> {
    let x = cx.b.canon(x);
    let scaled = mul_const(cx, &format!("{name}.scaled"), x, multiplier)?;
    let rounded = cx.b.at_scale(scaled, 0);
    let shifted = match zero_point {
        0 => rounded,
        z => {
            let z = cx.b.public_const(
                &format!("{name}.zero_point"),
                vec![],
                vec![z as f64],
                false,
                0,
            )?;
            cx.b.emit_inferred(&format!("{name}.shifted"), 0, |out| Instr::Add {
                a: rounded,
                b: z,
                out,
            })?
        }
    };
    Ok(piecewise(cx, name, shifted, TableFn::Clip { lo, hi }))
}

/// ONNX `DequantizeLinear` (tract's `DequantizeLinearF32`): `(q − zero_point)·scale`.
pub(crate) fn dequantize_linear(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &ops::quant::DequantizeLinearF32,
) -> Result<Value, FrontendError> {
    let q = n.tensor(0)?;
    if cx.b.scale(q) != 0 {
        return Err(n.unsupported("dequantizing a real-valued tensor"));
    }
    let centered = match op.zero_point {
        0 => q,
        z => {
            let z = cx.b.public_const(
                &format!("{}.zero_point", n.name),
                vec![],
                vec![f64::from(z)],
                false,
                0,
            )?;
            cx.b.emit_inferred(&format!("{}.centered", n.name), 0, |out| Instr::Sub {
                a: q,
                b: z,
                out,
            })?
        }
    };
    Ok(Value::Tensor(mul_const(
        cx,
        n.name,
        centered,
        f64::from(op.scale),
    )?))
}

/// `HardSwish(x) = x·clip(x + 3, 0, 6)/6`: the clip of `x` to `[−3, 3]` (one clip table), plus
/// 3, times `x`, times `1/6`.
fn hard_swish(cx: &mut Lowering, name: &str, x: TensorId) -> Result<TensorId, FrontendError> {
    let x = cx.b.canon(x);
    let scale = cx.b.scale(x);
    let three = quantize_value(3.0, scale, &|| format!("HardSwish bound of {name}"))?;
    let clipped = piecewise(
        cx,
        &format!("{name}.clip"),
        x,
        TableFn::Clip {
            lo: -three,
            hi: three,
        },
    );
    let offset = public_scalar(cx, &format!("{name}.three"), 3.0, scale)?;
    let gate =
        cx.b.emit_inferred(&format!("{name}.gate"), scale, |out| Instr::Add {
            a: clipped,
            b: offset,
            out,
        })?;
    let product = mul_tensors(cx, &format!("{name}.product"), x, gate)?;
    mul_const(cx, name, product, 1.0 / 6.0)
}

fn compare(cx: &mut Lowering, n: &NodeCx<'_>, op: &str) -> Result<TensorId, FrontendError> {
    let (x, y) = align(cx, n, &n.inputs[0], &n.inputs[1])?;
    let (l, r, negate) = match op {
        "Eq" | "NE" => (x, y, op == "NE"),
        "LT" => (x, y, false),
        "GT" => (y, x, false),
        "LTE" => (y, x, true),
        _ => (x, y, true), // GTE
    };
    let eq = op == "Eq" || op == "NE";
    let name = if negate {
        format!("{}.not", n.name)
    } else {
        n.name.to_string()
    };
    let t = cx.b.emit_inferred(&name, 0, |out| {
        if eq {
            Instr::Equal { a: l, b: r, out }
        } else {
            Instr::Less { a: l, b: r, out }
        }
    })?;
    if !negate {
        return Ok(t);
    }
    let one = ConstVal {
        key: cx.b.fresh_key(),
        name: format!("{}.one", n.name),
        shape: vec![],
        values: vec![1.0],
        is_float: false,
        public: false,
    };
    let one = cx.b.materialize(&one, 0)?;
    cx.b.emit_inferred(n.name, 0, |out| Instr::Sub { a: one, b: t, out })
}

/// tract's `Iff(cond, a, b)`: ISA `Where`.
pub(crate) fn iff(cx: &mut Lowering, n: &NodeCx<'_>) -> Result<Value, FrontendError> {
    if n.inputs.len() != 3 {
        return Err(n.unsupported("arity"));
    }
    let cond = match &n.inputs[0] {
        Value::Const(c) => cx.b.materialize(c, 0)?,
        Value::Tensor(t) if cx.b.scale(*t) == 0 => *t,
        Value::Tensor(_) => return Err(n.unsupported("condition is not a 0/1 tensor")),
    };
    let (a, b) = match (&n.inputs[1], &n.inputs[2]) {
        (Value::Const(ca), Value::Const(cb)) => {
            let s = if ca.is_float || cb.is_float {
                cx.b.s()
            } else {
                0
            };
            (cx.b.materialize(ca, s)?, cx.b.materialize(cb, s)?)
        }
        (a, b) => align(cx, n, a, b)?,
    };
    let scale = cx.b.scale(a);
    Ok(Value::Tensor(cx.b.emit_inferred(n.name, scale, |out| {
        Instr::Where { cond, a, b, out }
    })?))
}

/// `x^e` for the exponents with an exact lowering.
fn pow(cx: &mut Lowering, n: &NodeCx<'_>, x: TensorId, e: f64) -> Result<TensorId, FrontendError> {
    if e == 0.5 {
        return sqrt(cx, n.name, x);
    }
    if e == -1.0 {
        return recip(cx, n.name, x);
    }
    if e == -0.5 {
        let r = sqrt(cx, &format!("{}.sqrt", n.name), x)?;
        return recip(cx, n.name, r);
    }
    if e.fract() != 0.0 || !(1.0..=8.0).contains(&e) {
        return Err(n.unsupported(format!("exponent {e}")));
    }
    let mut y = x;
    for i in 1..e as u32 {
        let name = if i + 1 == e as u32 {
            n.name.to_string()
        } else {
            format!("{}.pow{}", n.name, i + 1)
        };
        y = mul_tensors(cx, &name, y, x)?;
    }
    Ok(y)
}

fn sqrt(cx: &mut Lowering, name: &str, x: TensorId) -> Result<TensorId, FrontendError> {
    let x = cx.b.canon(x);
    let s = cx.b.s();
    cx.b.emit_inferred(name, s, |out| Instr::Sqrt { x, out })
}

/// Lowers an `ElementWiseOp` by its mini-op.
pub(crate) fn unary(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &dyn ElementWiseMiniOp,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let name = n.name;
    let t = match op.name().as_str() {
        "Sigmoid" => smooth_table(cx, name, x, TableFn::Sigmoid, -8.0, 8.0),
        "Tanh" => smooth_table(cx, name, x, TableFn::Tanh, -8.0, 8.0),
        "Erf" => smooth_table(cx, name, x, TableFn::Erf, -8.0, 8.0),
        "Exp" => smooth_table(cx, name, x, TableFn::Exp, -16.0, 8.0),
        "Ln" => match cx.softmax_of.get(&x).copied() {
            Some((input, axis)) => super::nonlinear::log_softmax(cx, name, input, axis),
            None => smooth_table(cx, name, x, TableFn::Log, 0.0, 16.0),
        },
        "Sin" => smooth_table(cx, name, x, TableFn::Sin, -8.0, 8.0),
        "Cos" => smooth_table(cx, name, x, TableFn::Cos, -8.0, 8.0),
        "GeluExact" => smooth_table(cx, name, x, TableFn::Gelu, GELU_DOMAIN.0, GELU_DOMAIN.1),
        "GeluApproximate" => {
            smooth_table(cx, name, x, TableFn::GeluTanh, GELU_DOMAIN.0, GELU_DOMAIN.1)
        }
        "LeakyRelu" => {
            let alpha = op
                .downcast_ref::<ops::nn::LeakyRelu>()
                .map(|l| l.alpha as f64)
                .ok_or_else(|| n.unsupported_op())?;
            let alpha_q = (alpha * (1u64 << LEAKY_ALPHA_BITS) as f64).round() as i64;
            let x = cx.b.canon(x);
            Ok(piecewise(cx, name, x, TableFn::LeakyRelu { alpha_q }))
        }
        "Silu" => {
            let sg = smooth_table(
                cx,
                &format!("{name}.sigmoid"),
                x,
                TableFn::Sigmoid,
                -8.0,
                8.0,
            )?;
            mul_tensors(cx, name, x, sg)
        }
        "Neg" => {
            let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
            Ok(cx.b.emit(name, shape, scale, |out| Instr::Neg { x, out }))
        }
        "Abs" => {
            let x = cx.b.canon(x);
            let (shape, scale) = (cx.b.shape(x), cx.b.scale(x));
            let neg =
                cx.b.emit(&format!("{name}.neg"), shape.clone(), scale, |out| {
                    Instr::Neg { x, out }
                });
            Ok(cx
                .b
                .emit(name, shape, scale, |out| Instr::Max { a: x, b: neg, out }))
        }
        "HardSwish" => hard_swish(cx, name, x),
        "Floor" | "Ceil" => {
            // floor(v) = round_half_up(v − 1/2): a Rescale of x − 2^(s−1) by s; ceil(v) =
            // −floor(−v). An integer tensor.
            let x = cx.b.canon(x);
            let scale = cx.b.scale(x);
            let ceil = op.name() == "Ceil";
            let x = match ceil {
                true => {
                    let shape = cx.b.shape(x);
                    cx.b.emit(&format!("{name}.neg"), shape, scale, |out| Instr::Neg {
                        x,
                        out,
                    })
                }
                false => x,
            };
            let floor =
                match scale {
                    0 => x,
                    _ => {
                        let half = public_scalar(cx, &format!("{name}.half"), 0.5, scale)?;
                        let shifted =
                            cx.b.emit_inferred(&format!("{name}.shifted"), scale, |out| {
                                Instr::Sub { a: x, b: half, out }
                            })?;
                        let shape = cx.b.shape(shifted);
                        let floor_name = if ceil {
                            format!("{name}.floor")
                        } else {
                            name.to_string()
                        };
                        cx.b.emit(&floor_name, shape, 0, |out| Instr::Rescale {
                            x: shifted,
                            shift: scale,
                            out,
                        })
                    }
                };
            match ceil {
                true => {
                    let shape = cx.b.shape(floor);
                    Ok(cx
                        .b
                        .emit(name, shape, 0, |out| Instr::Neg { x: floor, out }))
                }
                false => Ok(floor),
            }
        }
        "QuantizeLinearU8" | "QuantizeLinearI8" => {
            let (multiplier, zero_point, range) =
                if let Some(q) = op.downcast_ref::<ops::quant::QuantizeLinearU8>() {
                    (q.scale, i64::from(q.zero_point), (0, 255))
                } else if let Some(q) = op.downcast_ref::<ops::quant::QuantizeLinearI8>() {
                    (q.scale, i64::from(q.zero_point), (-128, 127))
                } else {
                    return Err(n.unsupported_op());
                };
            quantize_linear(cx, name, x, f64::from(multiplier), zero_point, range)
        }
        "Sign" => {
            // sign(x) = [0 < x] − [x < 0], an integer tensor.
            let x = cx.b.canon(x);
            let zero = public_scalar(cx, &format!("{name}.zero"), 0.0, cx.b.scale(x))?;
            let pos =
                cx.b.emit_inferred(&format!("{name}.pos"), 0, |out| Instr::Less {
                    a: zero,
                    b: x,
                    out,
                })?;
            let neg =
                cx.b.emit_inferred(&format!("{name}.neg"), 0, |out| Instr::Less {
                    a: x,
                    b: zero,
                    out,
                })?;
            cx.b.emit_inferred(name, 0, |out| Instr::Sub {
                a: pos,
                b: neg,
                out,
            })
        }
        "Not" if cx.b.scale(x) == 0 => {
            // Booleans are 0/1 at scale 0: not(b) = 1 − b.
            let one = public_scalar(cx, &format!("{name}.one"), 1.0, 0)?;
            cx.b.emit_inferred(name, 0, |out| Instr::Sub { a: one, b: x, out })
        }
        "Square" => mul_tensors(cx, name, x, x),
        "PowConst" => {
            let e = op
                .downcast_ref::<ops::math::PowConst>()
                .map(|p| p.exponent as f64)
                .ok_or_else(|| n.unsupported_op())?;
            pow(cx, n, x, e)
        }
        "Recip" => recip(cx, name, x),
        "Sqrt" => sqrt(cx, name, x),
        "Rsqrt" => {
            let r = sqrt(cx, &format!("{name}.sqrt"), x)?;
            recip(cx, name, r)
        }
        _ => Err(n.unsupported_op()),
    }?;
    Ok(Value::Tensor(t))
}
