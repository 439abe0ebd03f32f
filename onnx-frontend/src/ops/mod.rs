//! Operator lowerings, one module per family of tract's canonical (decluttered) operators.
//!
//! | module | tract operators |
//! |---|---|
//! | [`arith`] | `Add`, `Sub`, `Mul`, `Div`, `Max`, `Min` (one constant: a ReLU), `Pow`, comparisons, `Iff`, `Neg`, `Abs`, `Sign`, `Floor`, `Ceil`, `Not`, `HardSwish`, `QuantizeLinear`, `DequantizeLinearF32`, `Square`, `PowConst`, `Recip`, `Sqrt`, `Rsqrt` |
//! | `crate::custom` | user-defined operators (custom ONNX domains) → user-defined tables |
//! | [`nonlinear`] | lookup-table activations (ReLU via `Max` with 0, sigmoid, tanh, erf, GELU, exp, log...), `Softmax` (and `Ln` of it: log-softmax), `RmsNorm`, `Reduce` (with `ArgMax` / `ArgMin`), `Topk` (two outputs, dispatched from `crate::lower`) |
//! | [`linear`] | `EinSum`, `Conv`, `Deconv` (a convolution of the zero-spread input), `SumPool`, `MaxPool`, `Resize` (a product with the interpolation matrix per axis), `CumSum` (a triangular 0/1 matrix) |
//! | [`affine`] | constant scalings and shifts folded into a preceding product's weights and bias (batch normalization) |
//! | [`movement`] | `AxisOp`, `Slice`, `Downsample`, `TypedConcat`, `Pad`, `MultiBroadcastTo`, `Tile`, `ScatterNd` (constant indices), `NearestUpsample` (`Resize` nearest, integer scales), `Gather`, `Cast`, `Identity` |

pub(crate) mod affine;
pub(crate) mod arith;
pub(crate) mod linear;
pub(crate) mod movement;
pub(crate) mod nonlinear;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops;

use crate::builder::Value;
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};

/// Lowers one non-constant node with a single output.
pub(crate) fn lower_op(
    cx: &mut Lowering,
    node: &TypedNode,
    n: &NodeCx<'_>,
) -> Result<Value, FrontendError> {
    if let Some(op) = node.op_as::<ops::binary::TypedBinOp>() {
        return arith::binary(cx, n, op.0.name());
    }
    if let Some(op) = node.op_as::<ops::element_wise::ElementWiseOp>() {
        if let Some(custom) = op.0.downcast_ref::<crate::custom::CustomElementWise>() {
            return crate::custom::lower(cx, n, custom);
        }
        return arith::unary(cx, n, op.0.as_ref());
    }
    if node.op_is::<ops::logic::Iff>() {
        return arith::iff(cx, n);
    }
    if let Some(op) = node.op_as::<ops::einsum::EinSum>() {
        return linear::einsum(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::cnn::Conv>() {
        return linear::conv(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::cnn::Deconv>() {
        return linear::deconv(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::cnn::SumPool>() {
        return linear::sum_pool(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::cnn::MaxPool>() {
        return linear::max_pool(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::nn::Softmax>() {
        return nonlinear::softmax(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::nn::RmsNorm>() {
        return nonlinear::rms_norm(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::nn::Reduce>() {
        return nonlinear::reduce(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::change_axes::AxisOp>() {
        return movement::axis_op(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::Slice>() {
        return movement::slice(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::Downsample>() {
        return movement::downsample(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::TypedConcat>() {
        return movement::concat(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::Pad>() {
        return movement::pad(cx, n, op);
    }
    if node.op_is::<ops::array::MultiBroadcastTo>() {
        return movement::broadcast(cx, n);
    }
    if let Some(op) = node.op_as::<ops::nn::resize::Resize>() {
        return linear::resize(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::nn::resize::NearestUpsample>() {
        return movement::nearest_upsample(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::quant::DequantizeLinearF32>() {
        return arith::dequantize_linear(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::ScatterNd>() {
        return movement::scatter_nd(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::Tile>() {
        return movement::tile(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::CumSum>() {
        return linear::cum_sum(cx, n, op);
    }
    if let Some(op) = node.op_as::<ops::array::Gather>() {
        return movement::gather(cx, n, op);
    }
    if node.op_is::<ops::cast::Cast>() || node.op_is::<ops::identity::Identity>() {
        return movement::identity(cx, n);
    }
    Err(n.unsupported_op())
}
