//! Contractions and windows: `EinSum` (MatMul, Gemm and every folded form), `Conv` with its bias,
//! `SumPool` (sum and average pooling) and `MaxPool`.
//!
//! Operands are brought to at most `s` (weights sit at their own weight scale); the product is
//! left at the sum of the scales so that a bias is added exactly, at the product's scale, before
//! the next consumer rescales.

use std::sync::Arc;

use atlas_isa::{Instr, TensorId, Window};
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PoolSpec, SumPool};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::DataFormat;

use super::affine::{Affine, Core};
use super::arith::mul_const;
use crate::builder::{ConstVal, Value};
use crate::einsum::lower_mapping;
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};

/// An operand of a product: tensors at most at `s`, constants as weights.
fn operand(cx: &mut Lowering, v: &Value) -> Result<TensorId, FrontendError> {
    Ok(match v {
        Value::Tensor(t) => cx.b.canon(*t),
        Value::Const(c) => cx.b.weight(c)?,
    })
}

/// Reshapes `x` to `shape` unless it already has it.
fn reshape_to(cx: &mut Lowering, name: &str, x: TensorId, shape: &[usize]) -> TensorId {
    if cx.b.shape(x) == shape {
        return x;
    }
    let scale = cx.b.scale(x);
    cx.b.emit(name, shape.to_vec(), scale, |out| Instr::Reshape { x, out })
}

/// `EinSum` with two inputs: ISA `Einsum` (plus a `Reshape` for output-only size-1 axes).
pub(crate) fn einsum(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &EinSum,
) -> Result<Value, FrontendError> {
    if op.q_params.is_some() {
        return Err(n.unsupported("quantized einsum"));
    }
    let lowered = lower_mapping(&op.axes, &n.shape).map_err(|e| n.unsupported(e))?;
    if n.inputs.len() != 2 {
        return Err(n.unsupported("einsum arity"));
    }
    // A tensor times a constant weight: an affine product that later constants can fold into.
    let weighted = match (&n.inputs[0], &n.inputs[1]) {
        (Value::Tensor(x), Value::Const(w)) => Some((*x, w.clone(), true)),
        (Value::Const(w), Value::Tensor(x)) => Some((*x, w.clone(), false)),
        _ => None,
    };
    if let Some((x, w, x_first)) = weighted {
        let affine = Affine {
            core: Core::Einsum {
                spec: lowered.spec,
                x_first,
                out_labels: lowered.out_labels,
            },
            x: cx.b.canon(x),
            w,
            bias: None,
            out_shape: n.shape.clone(),
        };
        return Ok(Value::Tensor(affine.emit(cx, n.name)?));
    }
    let a = operand(cx, &n.inputs[0])?;
    let b = operand(cx, &n.inputs[1])?;
    let scale = cx.b.scale(a) + cx.b.scale(b);
    let name = if lowered.needs_reshape {
        format!("{}.einsum", n.name)
    } else {
        n.name.to_string()
    };
    let spec = lowered.spec;
    let t =
        cx.b.emit_inferred(&name, scale, |out| Instr::Einsum { a, b, spec, out })?;
    Ok(Value::Tensor(reshape_to(cx, n.name, t, &n.shape)))
}

/// Window geometry of a pool spec for spatial input extents `hw`.
fn window(spec: &PoolSpec, hw: &[usize]) -> Window {
    let padding = spec.computed_padding(hw);
    Window {
        kernel: spec.kernel_shape.to_vec(),
        strides: spec.strides().to_vec(),
        dilations: spec.dilations().to_vec(),
        pads: padding
            .iter()
            .map(|p| (p.pad_before, p.pad_after))
            .collect(),
    }
}

/// The input of a window operator as `[N, C, spatial...]` (a batch axis is added for the
/// batch-less data format) with the window's geometry.
fn spatial_input(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    spec: &PoolSpec,
    x: TensorId,
) -> Result<(TensorId, Window), FrontendError> {
    let x = match spec.data_format {
        DataFormat::NCHW => x,
        DataFormat::CHW => {
            let mut shape = vec![1];
            shape.extend(cx.b.shape(x));
            reshape_to(cx, &format!("{}.batch", n.name), x, &shape)
        }
        fmt => return Err(n.unsupported(format!("data format {fmt:?}"))),
    };
    let xs = cx.b.shape(x);
    if xs.len() != spec.kernel_shape.len() + 2 {
        return Err(n.unsupported(format!(
            "input {xs:?} for a {}-d window",
            spec.kernel_shape.len()
        )));
    }
    Ok((x, window(spec, &xs[2..])))
}

/// `Conv` (direct, OIHW kernel) with its bias added at the product's scale.
pub(crate) fn conv(cx: &mut Lowering, n: &NodeCx<'_>, op: &Conv) -> Result<Value, FrontendError> {
    if op.q_params.is_some() {
        return Err(n.unsupported("quantized convolution"));
    }
    let fmt = op.pool_spec.data_format;
    let x = n.tensor(0)?;
    let x = cx.b.canon(x);
    let (x, window) = spatial_input(cx, n, &op.pool_spec, x)?;
    let kernel = n.konst(1)?;
    let kernel = match op.kernel_fmt {
        KernelFormat::OIHW => kernel,
        other => {
            // Permute the constant kernel to OIHW.
            let rank = kernel.shape.len();
            if rank < 3 {
                return Err(n.unsupported(format!("kernel of shape {:?}", kernel.shape)));
            }
            let perm: Vec<usize> = match other {
                KernelFormat::HWIO => [rank - 1, rank - 2]
                    .into_iter()
                    .chain(0..rank - 2)
                    .collect(),
                _ => [0, rank - 1].into_iter().chain(1..rank - 1).collect(), // OHWI
            };
            Arc::new(permute_const(cx, &kernel, &perm))
        }
    };
    let channel_axis = if fmt == DataFormat::CHW { 0 } else { 1 };
    let bias = match n.inputs.get(2) {
        Some(Value::Const(b)) => Some(channel_bias(b, n.shape.len(), channel_axis)),
        Some(Value::Tensor(_)) => return Err(n.unsupported("computed bias")),
        None => None,
    };
    let affine = Affine {
        core: Core::Conv {
            window,
            group: op.group,
            channel_axis,
        },
        x,
        w: kernel,
        bias,
        out_shape: n.shape.clone(),
    };
    Ok(Value::Tensor(affine.emit(cx, n.name)?))
}

/// A per-channel bias as a tensor of `rank` axes, all 1 but `channel_axis`.
fn channel_bias(b: &ConstVal, rank: usize, channel_axis: usize) -> Arc<ConstVal> {
    let mut shape = vec![1; rank];
    shape[channel_axis] = b.values.len();
    Arc::new(ConstVal {
        key: b.key,
        name: b.name.clone(),
        shape,
        values: b.values.clone(),
        is_float: true,
        public: false,
    })
}

/// A constant with its axes permuted.
fn permute_const(cx: &mut Lowering, c: &ConstVal, perm: &[usize]) -> ConstVal {
    let shape: Vec<usize> = perm.iter().map(|&p| c.shape[p]).collect();
    let strides = atlas_isa::tensor::strides(&c.shape);
    let out_strides = atlas_isa::tensor::strides(&shape);
    let mut values = vec![0.0; c.values.len()];
    for (i, v) in values.iter_mut().enumerate() {
        let mut src = 0;
        for (k, &p) in perm.iter().enumerate() {
            src += (i / out_strides[k]) % shape[k] * strides[p];
        }
        *v = c.values[src];
    }
    ConstVal {
        key: cx.b.fresh_key(),
        name: format!("{}.oihw", c.name),
        shape,
        values,
        is_float: c.is_float,
        public: false,
    }
}

/// `SumPool`: ISA `SumPool`; with `normalize` (AveragePool) a constant scaling by `1/k`, or, when
/// the padding does not count, a product with the public tensor of per-position reciprocals.
pub(crate) fn sum_pool(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &SumPool,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let (x, win) = spatial_input(cx, n, &op.pool_spec, x)?;
    let xs = cx.b.shape(x);
    let padded = win.pads.iter().any(|&(a, b)| a + b > 0);
    let count: usize = win.kernel.iter().product();
    let scale = cx.b.scale(x);
    let name = if op.normalize {
        format!("{}.sum", n.name)
    } else {
        n.name.to_string()
    };
    let divisors =
        (op.normalize && padded && !op.count_include_pad).then(|| window_counts(&win, &xs[2..]));
    let mut y = cx.b.emit_inferred(&name, scale, |out| Instr::SumPool {
        x,
        window: win,
        out,
    })?;
    if let Some((shape, counts)) = divisors {
        let mut full = vec![1, 1];
        full.extend(shape);
        let r = ConstVal {
            key: cx.b.fresh_key(),
            name: format!("{}.divisors", n.name),
            shape: full,
            values: counts.iter().map(|&c| 1.0 / c as f64).collect(),
            is_float: true,
            public: true,
        };
        let y0 = cx.b.canon(y);
        let w = cx.b.weight(&r)?;
        let scale = cx.b.scale(y0) + cx.b.scale(w);
        y =
            cx.b.emit_inferred(n.name, scale, |out| Instr::Mul { a: y0, b: w, out })?;
    } else if op.normalize {
        y = mul_const(cx, n.name, y, 1.0 / count as f64)?;
    }
    Ok(Value::Tensor(reshape_to(cx, n.name, y, &n.shape)))
}

/// Output spatial shape of a window and, per output position, how many of its taps fall inside
/// the input (not in the padding).
fn window_counts(w: &Window, input: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let dims = w.output_dims(input).unwrap_or_default();
    let per_axis: Vec<Vec<usize>> = (0..dims.len())
        .map(|a| {
            (0..dims[a])
                .map(|o| {
                    (0..w.kernel[a])
                        .filter(|&k| {
                            let p =
                                (o * w.strides[a] + k * w.dilations[a]) as i64 - w.pads[a].0 as i64;
                            p >= 0 && p < input[a] as i64
                        })
                        .count()
                })
                .collect()
        })
        .collect();
    let total: usize = dims.iter().product();
    let strides = atlas_isa::tensor::strides(&dims);
    let counts = (0..total)
        .map(|i| {
            (0..dims.len())
                .map(|a| per_axis[a][(i / strides[a]) % dims[a]])
                .product::<usize>()
                .max(1)
        })
        .collect();
    (dims, counts)
}

/// `MaxPool` without index outputs: ISA `MaxPool`.
pub(crate) fn max_pool(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &MaxPool,
) -> Result<Value, FrontendError> {
    if op.with_index_outputs.is_some() {
        return Err(n.unsupported("max pool with indices"));
    }
    let x = n.tensor(0)?;
    let x = cx.b.canon(x);
    let (x, win) = spatial_input(cx, n, &op.pool_spec, x)?;
    let scale = cx.b.scale(x);
    let y = cx.b.emit_inferred(n.name, scale, |out| Instr::MaxPool {
        x,
        window: win,
        out,
    })?;
    Ok(Value::Tensor(reshape_to(cx, n.name, y, &n.shape)))
}

/// Labels `a, b, …` of a tensor's axes.
fn axis_labels(rank: usize) -> Vec<char> {
    (0..rank).map(|i| (b'a' + i as u8) as char).collect()
}

/// tract-core's `Resize` (linear, cubic or nearest interpolation; scales or sizes): each
/// resized axis is a product with the public matrix `W[o, i]` of the op's own resampling plan
/// (`Resize::plan_axis`, so the taps, weights and edge handling are tract's). A matrix of 0s
/// and 1s (nearest) is exact at scale 0; interpolation weights sit at a weight scale, and the
/// product is left at the sum of the scales like every other product.
pub(crate) fn resize(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::nn::resize::Resize,
) -> Result<Value, FrontendError> {
    let mut x = n.tensor(0)?;
    let in_shape = cx.b.shape(x);
    let rank = in_shape.len();
    if n.shape.len() != rank || rank > 25 {
        return Err(n.unsupported(format!("resize of rank {rank} to {:?}", n.shape)));
    }
    let given = op
        .optional_scales_input
        .and_then(|ix| n.inputs.get(ix))
        .and_then(|v| match v {
            Value::Const(c) if c.values.len() == rank => Some(c.values.clone()),
            _ => None,
        });
    for axis in 0..rank {
        let (len_in, len_out) = (in_shape[axis], n.shape[axis]);
        let scale = given
            .as_ref()
            .map_or(len_out as f64 / len_in as f64, |s| s[axis]);
        if len_in == len_out && scale == 1.0 {
            continue;
        }
        let plan = op.plan_axis(scale as f32, len_in, len_out);
        let mut w = vec![0f64; len_out * len_in];
        for o in (0..len_out).filter(|o| !plan.extrapolated[*o]) {
            for k in 0..plan.window {
                let tap = o * plan.window + k;
                w[o * len_in + plan.indices[tap]] += f64::from(plan.weights[tap]);
            }
        }
        let binary = w.iter().all(|v| *v == 0.0 || *v == 1.0);
        let max_abs = w.iter().fold(0f64, |m, v| m.max(v.abs()));
        let w_scale = if binary {
            0
        } else {
            crate::quantize::weight_scale(cx.b.s(), max_abs)
        };
        x = axis_product(
            cx,
            &format!("{}.axis{axis}", n.name),
            x,
            axis,
            w,
            len_out,
            w_scale,
        )?;
    }
    Ok(Value::Tensor(x))
}

/// `out[…, o, …] = Σ_i W[o, i]·x[…, i, …]` along `axis` for the public `len_out × len` matrix
/// `W` (row-major `weights`) at `w_scale` (0 for a 0/1 matrix, exact): one `Einsum`, the product
/// left at the sum of the scales.
fn axis_product(
    cx: &mut Lowering,
    name: &str,
    x: TensorId,
    axis: usize,
    weights: Vec<f64>,
    len_out: usize,
    w_scale: u32,
) -> Result<TensorId, FrontendError> {
    let x = cx.b.canon(x);
    let mut shape = cx.b.shape(x);
    let (rank, len) = (shape.len(), shape[axis]);
    let w = cx.b.public_const(
        &format!("{name}.weights"),
        vec![len_out, len],
        weights,
        w_scale > 0,
        w_scale,
    )?;
    let labels = axis_labels(rank);
    let new = (b'a' + rank as u8) as char;
    let mut out_labels = labels.clone();
    out_labels[axis] = new;
    let spec = atlas_isa::EinsumSpec {
        a: labels.iter().collect(),
        b: [new, labels[axis]].iter().collect(),
        out: out_labels.iter().collect(),
    };
    shape[axis] = len_out;
    let scale = cx.b.scale(x) + w_scale;
    Ok(cx.b.emit(name, shape, scale, |out| Instr::Einsum {
        a: x,
        b: w,
        spec,
        out,
    }))
}

/// tract's `CumSum` along `axis`: a product with the public triangular 0/1 matrix (inclusive or
/// exclusive, forward or reversed), exact at the input's scale.
pub(crate) fn cum_sum(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::array::CumSum,
) -> Result<Value, FrontendError> {
    let x = n.tensor(0)?;
    let shape = cx.b.shape(x);
    if op.axis >= shape.len() || shape.len() > 25 {
        return Err(n.unsupported(format!("axis {} of a rank-{} tensor", op.axis, shape.len())));
    }
    let len = shape[op.axis];
    let take = |o: usize, i: usize| match (op.reverse, op.exclusive) {
        (false, false) => i <= o,
        (false, true) => i < o,
        (true, false) => i >= o,
        (true, true) => i > o,
    };
    let weights = (0..len * len)
        .map(|k| f64::from(u8::from(take(k / len, k % len))))
        .collect();
    Ok(Value::Tensor(axis_product(
        cx, n.name, x, op.axis, weights, len, 0,
    )?))
}

/// tract's `Deconv` (ONNX `ConvTranspose`, `NCHW`): a convolution of the input with zeros
/// inserted between its elements. Per spatial axis with stride `s`, kernel `k`, dilation `d`,
/// padding `(b, e)` and output adjustment `a`: each element is followed by `s − 1` zeros (a unit
/// axis padded and merged), the result padded by `d(k − 1) − b` before and
/// `d(k − 1) − e + a − (s − 1)` after (sliced where negative), and convolved with stride 1 and
/// dilation `d` by the kernel with its spatial axes flipped and input and output channels
/// swapped. Every step is an instruction the prover already handles. Grouped deconvolutions
/// are refused (see the body).
pub(crate) fn deconv(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::cnn::Deconv,
) -> Result<Value, FrontendError> {
    use tract_onnx::tract_core::ops::cnn::PaddingSpec;
    let spec = &op.pool_spec;
    if op.group != 1 {
        // ONNX gives `W.shape[1]·group` output channels; tract 0.23.9 (and onnx's reference
        // evaluator) give `W.shape[1]`, so the float reference itself is in doubt.
        return Err(n.unsupported(format!(
            "ConvTranspose with {} groups: tract's output channels disagree with the ONNX \
             specification",
            op.group
        )));
    }
    if spec.data_format != DataFormat::NCHW {
        return Err(n.unsupported(format!("data format {:?}", spec.data_format)));
    }
    let mut x = cx.b.canon(n.tensor(0)?);
    let xs = cx.b.shape(x);
    let rank = spec.kernel_shape.len();
    if xs.len() != rank + 2 || n.shape.len() != rank + 2 {
        return Err(n.unsupported(format!("input {xs:?} for a {rank}-d kernel")));
    }
    let (strides, dilations) = (spec.strides(), spec.dilations());
    let (before, after): (Vec<usize>, Vec<usize>) = match &spec.padding {
        PaddingSpec::Explicit(b, e) | PaddingSpec::ExplicitOnnxPool(b, e, _) => {
            (b.to_vec(), e.to_vec())
        }
        PaddingSpec::Valid => (vec![0; rank], vec![0; rank]),
        other => return Err(n.unsupported(format!("padding {other:?}"))),
    };
    let scale = cx.b.scale(x);
    let mut window = Window {
        kernel: spec.kernel_shape.to_vec(),
        strides: vec![1; rank],
        dilations: dilations.to_vec(),
        pads: vec![(0, 0); rank],
    };
    for j in 0..rank {
        let axis = 2 + j;
        let (s, k, d) = (strides[j], spec.kernel_shape[j], dilations[j]);
        let adjust = op.adjustments.get(j).copied().unwrap_or(0);
        let name = |step: &str| format!("{}.axis{j}.{step}", n.name);
        if s > 1 {
            let mut shape = cx.b.shape(x);
            shape.insert(axis + 1, 1);
            let unit =
                cx.b.emit(&name("unit"), shape.clone(), scale, |out| Instr::Reshape {
                    x,
                    out,
                });
            let mut pads = vec![(0, 0); shape.len()];
            pads[axis + 1] = (0, s - 1);
            shape[axis + 1] = s;
            let spread =
                cx.b.emit(&name("zeros"), shape.clone(), scale, |out| Instr::Pad {
                    x: unit,
                    pads,
                    value: 0,
                    out,
                });
            shape[axis] *= s;
            shape.remove(axis + 1);
            x =
                cx.b.emit(&name("spread"), shape, scale, |out| Instr::Reshape {
                    x: spread,
                    out,
                });
        }
        let reach = (d * (k - 1)) as i64;
        let begin = reach - before[j] as i64;
        let end = reach - after[j] as i64 + adjust as i64 - (s as i64 - 1);
        let len = cx.b.shape(x)[axis] as i64;
        let (cut_begin, cut_end) = ((-begin).max(0), (-end).max(0));
        if cut_begin + cut_end >= len {
            return Err(n.unsupported("padding larger than the input"));
        }
        if cut_begin > 0 || cut_end > 0 {
            let mut shape = cx.b.shape(x);
            shape[axis] = (len - cut_begin - cut_end) as usize;
            x = cx.b.emit(&name("crop"), shape, scale, |out| Instr::Slice {
                x,
                axis,
                start: cut_begin as usize,
                end: (len - cut_end) as usize,
                step: 1,
                out,
            });
        }
        window.pads[j] = (begin.max(0) as usize, end.max(0) as usize);
    }
    let kernel = flipped_kernel(cx, n, op)?;
    let bias = match n.inputs.get(2) {
        Some(Value::Const(b)) if b.values.iter().all(|v| *v == 0.0) => None,
        Some(Value::Const(b)) if b.values.len() == n.shape[1] => {
            Some(channel_bias(b, n.shape.len(), 1))
        }
        None => None,
        Some(_) => return Err(n.unsupported("bias")),
    };
    let affine = Affine {
        core: Core::Conv {
            window,
            group: op.group,
            channel_axis: 1,
        },
        x,
        w: Arc::new(kernel),
        bias,
        out_shape: n.shape.clone(),
    };
    Ok(Value::Tensor(affine.emit(cx, n.name)?))
}

/// The convolution kernel `[O, I/G, k…]` equivalent to `op`'s deconvolution kernel: per group,
/// input and output channels swapped and every spatial axis reversed.
fn flipped_kernel(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &tract_onnx::tract_core::ops::cnn::Deconv,
) -> Result<ConstVal, FrontendError> {
    let c = n.konst(1)?;
    let values: Vec<f32> = c.values.iter().map(|v| *v as f32).collect();
    let goi = tract_onnx::prelude::Tensor::from_shape(&c.shape, &values)
        .and_then(|t| op.kernel_format.kernel_as_group_o_i_hw(&t, op.group))
        .map_err(|e| n.unsupported(format!("kernel: {e}")))?;
    let shape = goi.shape().to_vec();
    let data: Vec<f32> = goi
        .try_as_plain_ram()
        .and_then(|t| t.as_slice::<f32>().map(<[f32]>::to_vec))
        .map_err(|e| n.unsupported(format!("kernel: {e}")))?;
    // [G, O/G, I/G, k…] (the taps possibly collapsed) → [G·O/G, I/G, k…] with the spatial
    // axes reversed: reversing the row-major tap index reverses every axis.
    let spatial = &op.pool_spec.kernel_shape[..];
    let taps: usize = spatial.iter().product();
    if shape.len() < 3 || shape[3..].iter().product::<usize>() != taps {
        return Err(n.unsupported(format!("kernel of shape {shape:?}")));
    }
    let out_shape: Vec<usize> = [shape[0] * shape[1], shape[2]]
        .into_iter()
        .chain(spatial.iter().copied())
        .collect();
    let mut out = vec![0f64; data.len()];
    for (block, chunk) in data.chunks_exact(taps).enumerate() {
        for (t, v) in chunk.iter().enumerate() {
            out[block * taps + (taps - 1 - t)] = f64::from(*v);
        }
    }
    Ok(ConstVal {
        key: cx.b.fresh_key(),
        name: format!("{}.kernel_flipped", c.name),
        shape: out_shape,
        values: out,
        is_float: true,
        public: false,
    })
}
