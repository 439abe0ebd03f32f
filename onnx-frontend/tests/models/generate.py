#!/usr/bin/env python3
"""Small ONNX models that exercise one operator family each, for atlas-onnx's tests.

Usage: python3 onnx-frontend/tests/models/generate.py   (needs `onnx` and `numpy`)

Deterministic (fixed numpy seed per model). The tests feed deterministic inputs and compare the
quantized program, executed by atlas-vm, with tract's float run of the same file.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, nodes, inputs, outputs, inits, opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # Outputs are declared without shapes (tract infers them), which the checker rejects.
    onnx.save(model, os.path.join(HERE, f"{name}.onnx"))


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def gemm_batchnorm():
    rng = np.random.default_rng(1)
    inits = [
        init("w", rng.normal(0, 0.3, (12, 8))),
        init("b", rng.normal(0, 0.1, (12,))),
        init("gamma", rng.uniform(0.5, 1.5, (12,))),
        init("beta", rng.normal(0, 0.1, (12,))),
        init("mean", rng.normal(0, 0.1, (12,))),
        init("var", rng.uniform(0.5, 1.5, (12,))),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["g"], transB=1, name="fc"),
        helper.make_node("BatchNormalization", ["g", "gamma", "beta", "mean", "var"], ["y"], name="bn"),
    ]
    save("gemm_batchnorm", nodes, [f32("x", [2, 8])], [f32("y", [2, 12])], inits)


def conv_variants():
    rng = np.random.default_rng(2)
    inits = [
        init("w1", rng.normal(0, 0.3, (4, 2, 3, 3))),
        init("w2", rng.normal(0, 0.3, (4, 1, 3, 3))),
        init("gamma", rng.uniform(0.5, 1.5, (4,))),
        init("beta", rng.normal(0, 0.1, (4,))),
        init("mean", rng.normal(0, 0.1, (4,))),
        init("var", rng.uniform(0.5, 1.5, (4,))),
    ]
    nodes = [
        # strided, dilated, padded, no bias, then batch norm
        helper.make_node("Conv", ["x", "w1"], ["c1"], strides=[2, 1], dilations=[1, 2],
                         pads=[1, 2, 1, 2], name="conv_strided"),
        helper.make_node("BatchNormalization", ["c1", "gamma", "beta", "mean", "var"], ["bn"], name="bn"),
        # depthwise (group = channels)
        helper.make_node("Conv", ["bn", "w2"], ["c2"], group=4, pads=[1, 1, 1, 1], name="conv_depthwise"),
        helper.make_node("AveragePool", ["c2"], ["p"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], count_include_pad=0, name="avgpool_pad"),
        helper.make_node("MaxPool", ["c2"], ["m"], kernel_shape=[2, 2], strides=[1, 1],
                         pads=[0, 0, 1, 1], name="maxpool_pad"),
        helper.make_node("GlobalAveragePool", ["m"], ["y2"], name="gap"),
        helper.make_node("Flatten", ["y2"], ["y3"], axis=1, name="flatten"),
    ]
    save("conv_variants", nodes, [f32("x", [1, 2, 9, 8])],
         [f32("p", None), f32("y3", None)], inits)


def elementwise():
    rng = np.random.default_rng(3)
    inits = [
        init("c", rng.uniform(0.5, 2.0, (1, 6))),
        init("idx", np.array([2, 0, 5], dtype=np.float32)),
    ]
    inits[-1] = numpy_helper.from_array(np.array([2, 0, 5], dtype=np.int64), "idx")
    nodes = [
        helper.make_node("Pow", ["x", "two"], ["sq"], name="pow2"),
        helper.make_node("Div", ["x", "c"], ["d"], name="div_const_tensor"),
        helper.make_node("Sub", ["three", "x"], ["s"], name="const_minus_x"),
        helper.make_node("Neg", ["x"], ["n"], name="neg"),
        helper.make_node("Abs", ["x"], ["a"], name="abs"),
        helper.make_node("Max", ["x", "n"], ["mx"], name="max_tensors"),
        helper.make_node("Min", ["x", "n"], ["mn"], name="min_tensors"),
        helper.make_node("Greater", ["x", "n"], ["gt"], name="greater"),
        helper.make_node("Where", ["gt", "sq", "d"], ["w"], name="where_dynamic"),
        helper.make_node("ReduceMax", ["x"], ["rmax"], axes=[1], keepdims=1, name="reduce_max"),
        helper.make_node("ReduceMin", ["x"], ["rmin"], axes=[1], keepdims=1, name="reduce_min"),
        helper.make_node("ReduceSum", ["x", "axes"], ["rsum"], keepdims=0, name="reduce_sum"),
        helper.make_node("Gather", ["x", "idx"], ["g"], axis=1, name="gather_const_idx"),
        helper.make_node("Pad", ["x", "pads", "padv"], ["p"], mode="constant", name="pad"),
        helper.make_node("Split", ["x", "split"], ["s1", "s2"], axis=1, name="split"),
        helper.make_node("Mul", ["s1", "s2"], ["sm"], name="mul_halves"),
        helper.make_node("Reciprocal", ["c2"], ["r"], name="reciprocal"),
        helper.make_node("Sqrt", ["c2"], ["sqrt"], name="sqrt"),
        helper.make_node("Relu", ["x"], ["relu"], name="relu"),
        helper.make_node("Add", ["relu", "one"], ["c2"], name="positive"),
        helper.make_node("Softmax", ["x"], ["sm0"], axis=0, name="softmax_axis0"),
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0], name="transpose"),
        helper.make_node("MatMul", ["t", "x"], ["gram"], name="gram"),
    ]
    consts = [
        helper.make_node("Constant", [], ["two"], value=numpy_helper.from_array(np.array(2.0, np.float32)), name="k2"),
        helper.make_node("Constant", [], ["three"], value=numpy_helper.from_array(np.array(3.0, np.float32)), name="k3"),
        helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.array(1.0, np.float32)), name="k1"),
        helper.make_node("Constant", [], ["axes"], value=numpy_helper.from_array(np.array([1], np.int64)), name="kaxes"),
        helper.make_node("Constant", [], ["pads"], value=numpy_helper.from_array(np.array([0, 1, 1, 2], np.int64)), name="kpads"),
        helper.make_node("Constant", [], ["padv"], value=numpy_helper.from_array(np.array(0.5, np.float32)), name="kpadv"),
        helper.make_node("Constant", [], ["split"], value=numpy_helper.from_array(np.array([3, 3], np.int64)), name="ksplit"),
    ]
    outs = ["sq", "d", "s", "a", "mx", "mn", "w", "rmax", "rmin", "rsum", "g", "p", "sm", "r", "sqrt", "sm0", "gram"]
    save("elementwise", consts + nodes, [f32("x", [4, 6])], [f32(o, None) for o in outs], inits)


def layernorm_gelu():
    rng = np.random.default_rng(4)
    inits = [
        init("gamma", rng.uniform(0.5, 1.5, (16,))),
        init("beta", rng.normal(0, 0.1, (16,))),
        init("w", rng.normal(0, 0.3, (16, 16))),
    ]
    nodes = [
        helper.make_node("LayerNormalization", ["x", "gamma", "beta"], ["ln"], axis=-1, epsilon=1e-5, name="ln"),
        helper.make_node("MatMul", ["ln", "w"], ["h"], name="fc"),
        # erf-form GELU spelled out, as older PyTorch exports do
        helper.make_node("Div", ["h", "sqrt2"], ["h1"], name="gelu_div"),
        helper.make_node("Erf", ["h1"], ["h2"], name="gelu_erf"),
        helper.make_node("Add", ["h2", "one"], ["h3"], name="gelu_add"),
        helper.make_node("Mul", ["h", "h3"], ["h4"], name="gelu_mul"),
        helper.make_node("Mul", ["h4", "half"], ["y"], name="gelu_half"),
        helper.make_node("Sigmoid", ["h"], ["sg"], name="silu_sigmoid"),
        helper.make_node("Mul", ["h", "sg"], ["silu"], name="silu"),
    ]
    consts = [
        helper.make_node("Constant", [], ["sqrt2"], value=numpy_helper.from_array(np.array(np.sqrt(2.0), np.float32)), name="ks"),
        helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.array(1.0, np.float32)), name="k1"),
        helper.make_node("Constant", [], ["half"], value=numpy_helper.from_array(np.array(0.5, np.float32)), name="kh"),
    ]
    save("layernorm_gelu", consts + nodes, [f32("x", [1, 5, 16])], [f32("y", None), f32("silu", None)], inits, opset=17)


def resize_nearest():
    """Nearest-neighbour Resize with integer scales (tract: NearestUpsample), including a factor
    that is not a power of two and one on the channel axis. (A Resize given by `sizes` stays a
    tract `Resize`, which Atlas does not lower.)"""
    inits = [init("s1", [1.0, 1.0, 3.0, 2.0]), init("s2", [1.0, 2.0, 1.0, 1.0])]
    nodes = [
        helper.make_node("Resize", ["x", "", "s1"], ["y"], mode="nearest", name="up_hw"),
        helper.make_node("Resize", ["x", "", "s2"], ["z"], mode="nearest", name="up_c"),
    ]
    save("resize_nearest", nodes, [f32("x", [1, 2, 3, 4])], [f32("y", None), f32("z", None)],
         inits)


def resize_interpolated():
    """Linear and cubic Resize (tract-core's Resize: a product with the interpolation matrix
    per axis): half_pixel by scales, align_corners with a factor of 3, asymmetric by sizes."""
    inits = [
        init("s1", [1.0, 1.0, 2.0, 2.0]),
        init("s2", [1.0, 1.0, 2.0, 3.0]),
        numpy_helper.from_array(np.array([1, 2, 5, 7], dtype=np.int64), "sizes"),
    ]
    nodes = [
        helper.make_node("Resize", ["x", "", "s1"], ["y1"], mode="linear",
                         coordinate_transformation_mode="half_pixel", name="linear_half_pixel"),
        helper.make_node("Resize", ["x", "", "s2"], ["y2"], mode="linear",
                         coordinate_transformation_mode="align_corners", name="linear_corners"),
        helper.make_node("Resize", ["x", "", "", "sizes"], ["y3"], mode="cubic",
                         coordinate_transformation_mode="asymmetric", name="cubic_sizes"),
    ]
    save("resize_interpolated", nodes, [f32("x", [1, 2, 3, 4])],
         [f32("y1", None), f32("y2", None), f32("y3", None)], inits)


def conv_transpose():
    """ConvTranspose (tract: Deconv): stride 2 with padding and output_padding, a bias, and
    asymmetric padding larger than the kernel's reach with a dilation."""
    rng = np.random.default_rng(7)
    inits = [
        init("w1", rng.normal(0, 0.3, (2, 3, 3, 3))),
        init("w2", rng.normal(0, 0.3, (3, 2, 2, 3))),
        init("b2", rng.normal(0, 0.1, (2,))),
    ]
    nodes = [
        helper.make_node("ConvTranspose", ["x", "w1"], ["h"], strides=[2, 2], pads=[1, 1, 1, 1],
                         output_padding=[1, 1], name="up_stride2"),
        helper.make_node("ConvTranspose", ["h", "w2", "b2"], ["y"], strides=[1, 3],
                         dilations=[2, 1], pads=[3, 0, 0, 2], name="dilated_cropped"),
    ]
    save("conv_transpose", nodes, [f32("x", [1, 2, 3, 4])], [f32("y", None)], inits)


def one_sided_clips():
    """Max or Min with one constant (c + ReLU(x − c), x − ReLU(x − c)), HardSigmoid (a Min
    then a Max with constants: one two-sided clip), a Clip with only a lower bound and
    HardSwish (x times a clip)."""
    inits = [init("half", 0.5), init("quarter", -0.25), init("lo", -0.5)]
    nodes = [
        helper.make_node("Min", ["x", "half"], ["a"], name="min_const"),
        helper.make_node("Max", ["x", "quarter"], ["b"], name="max_const"),
        helper.make_node("HardSigmoid", ["x"], ["c"], alpha=0.4, beta=0.3, name="hard_sigmoid"),
        helper.make_node("Clip", ["x", "lo"], ["d"], name="clip_lower"),
        helper.make_node("HardSwish", ["x"], ["e"], name="hard_swish"),
    ]
    save("one_sided_clips", nodes, [f32("x", [2, 6])],
         [f32("a", None), f32("b", None), f32("c", None), f32("d", None), f32("e", None)],
         inits, opset=14)


def arg_extremum():
    """ArgMax and ArgMin (first and last index of the extremum) and TopK (largest and smallest)
    after a ReLU, whose zeros make ties: lowered to ReduceMax, Equal and a product with a public
    index ramp (TopK: k such rounds, the chosen entry replaced below the row minimum)."""
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("ArgMax", ["r"], ["a"], axis=1, keepdims=0, name="argmax_first"),
        helper.make_node("ArgMax", ["r"], ["b"], axis=1, keepdims=1, select_last_index=1,
                         name="argmax_last"),
        helper.make_node("ArgMin", ["r"], ["c"], axis=0, keepdims=0, name="argmin_first"),
        helper.make_node("TopK", ["r", "k3"], ["top_values", "top_indices"], axis=1,
                         name="top3"),
        helper.make_node("TopK", ["r", "k2"], ["low_values", "low_indices"], axis=0,
                         largest=0, name="bottom2"),
    ]
    outputs = [helper.make_tensor_value_info(o, TensorProto.INT64, None) for o in "abc"]
    outputs += [f32("top_values", None),
                helper.make_tensor_value_info("top_indices", TensorProto.INT64, None),
                f32("low_values", None),
                helper.make_tensor_value_info("low_indices", TensorProto.INT64, None)]
    inits = [numpy_helper.from_array(np.array([3], dtype=np.int64), "k3"),
             numpy_helper.from_array(np.array([2], dtype=np.int64), "k2")]
    save("arg_extremum", nodes, [f32("x", [3, 6])], outputs, inits)


def misc_ops():
    """Comparisons with a constant (Less, LessOrEqual, GreaterOrEqual, Not of Equal) cast to
    floats, Log, Sin, Cos, tanh-approximated Gelu, SiLU written out, Expand and a written-out
    RMS normalization."""
    inits = [
        init("t", [0.1, -0.2, 0.3, 0.0, 0.5, -1.0]),
        numpy_helper.from_array(np.array([2, 6], dtype=np.int64), "shape"),
        init("one", [1.0]),
        init("eps", [1e-6]),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "last"),
    ]
    cast = lambda a, b: helper.make_node("Cast", [a], [b], to=TensorProto.FLOAT)  # noqa: E731
    nodes = [
        helper.make_node("Less", ["x", "t"], ["lt"]),
        helper.make_node("LessOrEqual", ["x", "t"], ["le"]),
        helper.make_node("GreaterOrEqual", ["x", "t"], ["ge"]),
        helper.make_node("Equal", ["x", "t"], ["eq"]),
        helper.make_node("Not", ["eq"], ["ne"]),
        cast("lt", "ltf"), cast("le", "lef"), cast("ge", "gef"), cast("ne", "nef"),
        helper.make_node("Abs", ["x"], ["ax"]),
        helper.make_node("Add", ["ax", "one"], ["ax1"]),
        helper.make_node("Log", ["ax1"], ["log"]),
        helper.make_node("Sin", ["x"], ["sin"]),
        helper.make_node("Cos", ["x"], ["cos"]),
        helper.make_node("Gelu", ["x"], ["gelu"], approximate="tanh"),
        helper.make_node("Sigmoid", ["x"], ["sg"]),
        helper.make_node("Mul", ["x", "sg"], ["silu"]),
        helper.make_node("Expand", ["t", "shape"], ["ex"]),
        # RMS normalization written out (tract fuses it into RmsNorm).
        helper.make_node("Mul", ["x", "x"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "last"], ["ms"], keepdims=1),
        helper.make_node("Add", ["ms", "eps"], ["mse"]),
        helper.make_node("Sqrt", ["mse"], ["rms"]),
        helper.make_node("Div", ["x", "rms"], ["xn"]),
        helper.make_node("Mul", ["xn", "t"], ["rmsnorm"]),
    ]
    outs = ["ltf", "lef", "gef", "nef", "log", "sin", "cos", "gelu", "silu", "ex", "rmsnorm"]
    save("misc_ops", nodes, [f32("x", [2, 6])], [f32(o, None) for o in outs], inits, opset=20)


def more_activations():
    """Elu, Selu, Softplus, Mish, PRelu, LogSoftmax, ReduceL2, an Einsum and
    InstanceNormalization, as tract decomposes them."""
    rng = np.random.default_rng(11)
    inits = [
        init("slope", rng.uniform(0.05, 0.3, (1, 6))),
        init("w", rng.normal(0, 0.5, (6, 3))),
        init("scale", rng.uniform(0.5, 1.5, (2,))),
        init("bias", rng.normal(0, 0.1, (2,))),
        numpy_helper.from_array(np.array([1, 2, 3, 2], dtype=np.int64), "as4d"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Elu", ["x"], ["elu"], alpha=0.7),
        helper.make_node("Selu", ["x"], ["selu"]),
        helper.make_node("Softplus", ["x"], ["softplus"]),
        helper.make_node("Mish", ["x"], ["mish"]),
        helper.make_node("PRelu", ["x", "slope"], ["prelu"]),
        helper.make_node("LogSoftmax", ["x"], ["logsoftmax"], axis=1),
        helper.make_node("ReduceL2", ["x", "axis1"], ["l2"], keepdims=1),
        helper.make_node("Einsum", ["x", "w"], ["einsum"], equation="ij,jk->ik"),
        helper.make_node("Reshape", ["x", "as4d"], ["x4"]),
        helper.make_node("InstanceNormalization", ["x4", "scale", "bias"], ["inorm"]),
    ]
    outs = ["elu", "selu", "softplus", "mish", "prelu", "logsoftmax", "l2", "einsum", "inorm"]
    save("more_activations", nodes, [f32("x", [2, 6])], [f32(o, None) for o in outs], inits,
         opset=18)


def tile_cumsum_sign():
    """Tile (a unit axis broadcast and merged), CumSum inclusive and exclusive-reversed (a
    product with a triangular 0/1 matrix), Sign ([0 < x] − [x < 0]), variadic Sum and Mean,
    DepthToSpace, SpaceToDepth, Floor and Ceil (a Rescale of x − 1/2) and a Slice with a
    negative step (a Gather with public indices)."""
    inits = [
        numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "reps"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "axis0"),
        numpy_helper.from_array(np.array([1, 4, 1, 3], dtype=np.int64), "as4d"),
        numpy_helper.from_array(np.array([5], dtype=np.int64), "rev_start"),
        numpy_helper.from_array(np.array([-100], dtype=np.int64), "rev_end"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array([-2], dtype=np.int64), "rev_step"),
    ]
    nodes = [
        helper.make_node("Tile", ["x", "reps"], ["tiled"]),
        helper.make_node("CumSum", ["x", "axis1"], ["cum"]),
        helper.make_node("CumSum", ["x", "axis0"], ["cum_rev"], exclusive=1, reverse=1),
        helper.make_node("Sign", ["x"], ["sign"]),
        helper.make_node("Sum", ["x", "x", "x"], ["sum3"]),
        helper.make_node("Mean", ["x", "x", "x"], ["mean3"]),
        helper.make_node("Reshape", ["x", "as4d"], ["x4"]),
        helper.make_node("DepthToSpace", ["x4"], ["d2s"], blocksize=2),
        helper.make_node("SpaceToDepth", ["d2s"], ["s2d"], blocksize=2),
        helper.make_node("Floor", ["x"], ["floor"]),
        helper.make_node("Ceil", ["x"], ["ceil"]),
        helper.make_node("Slice", ["x", "rev_start", "rev_end", "axis_last", "rev_step"],
                         ["flipped"]),
    ]
    outs = ["tiled", "cum", "cum_rev", "sign", "sum3", "mean3", "d2s", "s2d", "floor", "ceil",
            "flipped"]
    save("tile_cumsum_sign", nodes, [f32("x", [2, 6])], [f32(o, None) for o in outs], inits)


def scatter_nd():
    """ScatterND with constant indices: single elements, a whole row, and every row of a
    constant zero buffer from a computed tensor (Where of a Gather and the data)."""
    inits = [
        numpy_helper.from_array(np.array([[0, 1], [2, 5]], dtype=np.int64), "elements"),
        init("element_values", [9.0, -9.0]),
        numpy_helper.from_array(np.array([[1]], dtype=np.int64), "row"),
        init("row_values", [[0.5] * 6]),
        numpy_helper.from_array(np.array([[2], [0], [1]], dtype=np.int64), "rows"),
        init("zeros", np.zeros((3, 6))),
    ]
    nodes = [
        helper.make_node("ScatterND", ["x", "elements", "element_values"], ["a"]),
        helper.make_node("ScatterND", ["x", "row", "row_values"], ["b"]),
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("ScatterND", ["zeros", "rows", "r"], ["c"]),
    ]
    save("scatter_nd", nodes, [f32("x", [3, 6])], [f32(o, None) for o in "abc"], inits)


def qdq_conv():
    """A QDQ model as onnxruntime's static quantization writes it: QuantizeLinear and
    DequantizeLinear around the activations (uint8, with a zero point), int8 weights
    dequantized (folded by tract), a Conv and a ReLU."""
    rng = np.random.default_rng(13)
    inits = [
        init("x_scale", 0.02),
        numpy_helper.from_array(np.array(128, dtype=np.uint8), "x_zero"),
        numpy_helper.from_array(rng.integers(-100, 100, (4, 2, 3, 3)).astype(np.int8), "w_q"),
        init("w_scale", 0.004),
        numpy_helper.from_array(np.array(0, dtype=np.int8), "w_zero"),
        init("y_scale", 0.03),
        numpy_helper.from_array(np.array(0, dtype=np.uint8), "y_zero"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zero"], ["x_q"]),
        helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zero"], ["x_d"]),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w_d"]),
        helper.make_node("Conv", ["x_d", "w_d"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("QuantizeLinear", ["r", "y_scale", "y_zero"], ["r_q"]),
        helper.make_node("DequantizeLinear", ["r_q", "y_scale", "y_zero"], ["y"]),
    ]
    save("qdq_conv", nodes, [f32("x", [1, 2, 5, 5])], [f32("y", None)], inits)


def unknown_op():
    """An operator tract itself does not know (not an ONNX operator at all)."""
    nodes = [helper.make_node("FancyActivation", ["x"], ["y"], name="my_fancy", domain="com.example")]
    graph = helper.make_graph(nodes, "unknown_op", [f32("x", [1, 4])], [f32("y", [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, "unknown_op.onnx"))


if __name__ == "__main__":
    unknown_op()
    gemm_batchnorm()
    conv_variants()
    elementwise()
    layernorm_gelu()
    resize_nearest()
    resize_interpolated()
    conv_transpose()
    one_sided_clips()
    arg_extremum()
    misc_ops()
    more_activations()
    tile_cumsum_sign()
    scatter_nd()
    qdq_conv()
