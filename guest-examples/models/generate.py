#!/usr/bin/env python3
"""Generate Atlas's small example ONNX models, their inputs and reference outputs.

Usage (from anywhere):

    pip install onnx numpy
    python3 guest-examples/models/generate.py

Only the `onnx` helper API and numpy are used (no torch). Everything is deterministic: every model
draws its weights and inputs from its own fixed numpy seed, so re-running the script rewrites
byte-identical files (for a given onnx / numpy / protobuf version).

For every model `<name>` this writes, next to this script:

    <name>/network.onnx   the model (checked with onnx.checker.check_model, full_check=True,
                          except for custom domains, which have no schemas)
    <name>/input.json     {"input_data": [[...], ...]}  one flattened row-major list per graph input
    <name>/expected.json  {"output_data": [[...], ...]} one flattened list per graph output, computed
                          in float32 with onnx.reference.ReferenceEvaluator

Floats in the JSON files are written as the shortest decimal that reads back to the same float32.
Integer inputs (token ids) are written as JSON integers.

With `custom_swish` it also writes ../plugins/swish.json, the table plug-in of its custom operator.
"""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

HERE = os.path.dirname(os.path.abspath(__file__))

# Finite fill value for masked (future) attention scores, as in the nanoGPT benchmark export
# (which uses -10, not -inf): keeps every value in a range a fixed-point prover can represent.
MASK_FILL = -10.0

# ONNX domain of Atlas's example custom operators (see guest-examples/plugins/).
CUSTOM_DOMAIN = "atlas.custom"

# IR version pinned so the files stay loadable by older runtimes (tract, onnxruntime).
IR_VERSION = 8


# ----------------------------------------------------------------------------------------------
# small graph-building helper
# ----------------------------------------------------------------------------------------------


class Graph:
    """Collects nodes / initializers and names every node explicitly (`<prefix>/<Op>_<n>`)."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.counts: dict[str, int] = {}
        self.tmp = 0

    def _fresh(self, stem: str) -> str:
        n = self.counts.get(stem, 0)
        self.counts[stem] = n + 1
        return stem if n == 0 else f"{stem}_{n}"

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def const(self, arr, dtype=np.float32, prefix: str = "") -> str:
        """A `Constant` node (as PyTorch exports scalars / shapes)."""
        arr = np.asarray(arr, dtype=dtype)
        node_name = self._fresh(f"{prefix}/Constant")
        out = f"{node_name}_output_0"
        self.nodes.append(
            helper.make_node(
                "Constant", [], [out], name=node_name, value=numpy_helper.from_array(arr, out)
            )
        )
        return out

    def op(self, op_type: str, inputs, prefix: str = "", name: str | None = None,
           n_out: int = 1, outputs=None, **attrs):
        node_name = name if name is not None else self._fresh(f"{prefix}/{op_type}")
        if outputs is None:
            outputs = [f"{node_name}_output_{i}" for i in range(n_out)]
        self.nodes.append(
            helper.make_node(op_type, list(inputs), list(outputs), name=node_name, **attrs)
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def model(self, inputs, outputs, opset: int, doc: str,
              extra_opsets=()) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", opset)]
            + [helper.make_opsetid(d, v) for d, v in extra_opsets],
            producer_name="atlas-guest-examples",
            producer_version="1",
            doc_string=doc,
        )
        m.ir_version = IR_VERSION
        return m


def normal(rng: np.random.Generator, shape, std: float) -> np.ndarray:
    return (rng.standard_normal(shape) * std).astype(np.float32)


def he(rng, shape, fan_in):  # ReLU layers
    return normal(rng, shape, math.sqrt(2.0 / fan_in))


def xavier(rng, shape, fan_in):  # linear / attention layers (unit gain)
    return normal(rng, shape, math.sqrt(1.0 / fan_in))


def f32_input(rng, shape, lo=-2.0, hi=2.0, decimals=3) -> np.ndarray:
    """Uniform inputs rounded to a few decimals (short JSON), as float32."""
    return np.round(rng.uniform(lo, hi, size=shape), decimals).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# writing + checking
# ----------------------------------------------------------------------------------------------


def _json_list(arr: np.ndarray) -> list:
    flat = np.asarray(arr).reshape(-1)
    if np.issubdtype(flat.dtype, np.integer):
        return [int(v) for v in flat]
    if flat.dtype == np.bool_:
        return [int(v) for v in flat]
    # shortest repr that round-trips to the same float32
    return [float(np.format_float_positional(np.float32(v), unique=True, trim="0"))
            for v in flat.astype(np.float32)]


def _dump(path: str, obj) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


class BatchNormalization(OpRun):
    """Inference-mode BatchNormalization for opsets 9-13.

    onnx's reference BatchNormalization_9 (used for opsets 9-13) receives the schema's default
    `momentum=0.9` and then blends the batch statistics into the running mean / variance, which is
    training behaviour: an inference model's output would depend on its batch. The operator's
    definition (and tract, onnxruntime, PyTorch) normalises with the given mean / var inputs.
    """

    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None,  # noqa: ARG002
             training_mode=None):  # noqa: ARG002
        shape = (-1,) + (1,) * (x.ndim - 2)
        eps = np.float32(1e-5 if epsilon is None else epsilon)
        y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
        return ((y * scale.reshape(shape) + bias.reshape(shape)).astype(x.dtype),)


class Swish(OpRun):
    """The custom operator `atlas.custom::Swish`: `x · sigmoid(x)` (numpy reference)."""

    op_domain = CUSTOM_DOMAIN

    def _run(self, x, alpha=None):  # noqa: ARG002 (onnx lends it the opset-24 Swish schema)
        return ((x / (1.0 + np.exp(-x))).astype(x.dtype),)


def evaluator(model: onnx.ModelProto) -> ReferenceEvaluator:
    opset = model.opset_import[0].version
    uses_bn = any(n.op_type == "BatchNormalization" for n in model.graph.node)
    new_ops = [BatchNormalization] if uses_bn and 9 <= opset <= 13 else []
    if any(n.domain == CUSTOM_DOMAIN for n in model.graph.node):
        new_ops.append(Swish)
    return ReferenceEvaluator(model, new_ops=new_ops or None)


def emit(name: str, model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict:
    # Full checking runs strict shape inference, which refuses operators of a domain without
    # registered schemas (the custom operator); the structural check still runs.
    custom = any(n.domain == CUSTOM_DOMAIN for n in model.graph.node)
    onnx.checker.check_model(model, full_check=not custom)
    in_names = [i.name for i in model.graph.input]
    assert set(in_names) == set(feeds), (in_names, list(feeds))

    # feeds must agree with the declared input types / shapes
    for vi in model.graph.input:
        tt = vi.type.tensor_type
        dims = [d.dim_value for d in tt.shape.dim]
        arr = feeds[vi.name]
        assert list(arr.shape) == dims, (name, vi.name, arr.shape, dims)
        assert arr.dtype == helper.tensor_dtype_to_np_dtype(tt.elem_type), (name, vi.name)

    sess = evaluator(model)
    outs = sess.run(None, feeds)
    for vi, o in zip(model.graph.output, outs):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        assert list(o.shape) == dims, (name, vi.name, o.shape, dims)
        assert o.dtype == np.float32, (name, vi.name, o.dtype)
        assert np.all(np.isfinite(o)), (name, vi.name)

    # largest |value| over every intermediate tensor (range sanity for quantization)
    inter = sess.run(None, feeds, intermediate=True)
    # (constants, and Where outputs holding the mask fill value, are not activations)
    producer = {o: n.op_type for n in model.graph.node for o in n.output}
    max_abs = 0.0
    for k, v in inter.items():
        v = np.asarray(v)
        if v.dtype == np.float32 and v.size and producer.get(k) not in (None, "Constant", "Where"):
            max_abs = max(max_abs, float(np.max(np.abs(v))))

    out_dir = os.path.join(HERE, name)
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "network.onnx"))
    _dump(os.path.join(out_dir, "input.json"),
          {"input_data": [_json_list(feeds[n]) for n in in_names]})
    _dump(os.path.join(out_dir, "expected.json"),
          {"output_data": [_json_list(o) for o in outs]})

    # the JSON round trip must reproduce the float32 values exactly
    with open(os.path.join(out_dir, "expected.json")) as f:
        back = json.load(f)["output_data"]
    for o, b in zip(outs, back):
        assert np.array_equal(np.asarray(b, dtype=np.float32), o.reshape(-1)), name
    with open(os.path.join(out_dir, "input.json")) as f:
        back = json.load(f)["input_data"]
    for n, b in zip(in_names, back):
        assert np.array_equal(np.asarray(b, dtype=feeds[n].dtype), feeds[n].reshape(-1)), name

    ops = sorted({n.op_type for n in model.graph.node})
    size = os.path.getsize(os.path.join(out_dir, "network.onnx"))
    info = {
        "name": name,
        "opset": model.opset_import[0].version,
        "inputs": [(vi.name, [d.dim_value for d in vi.type.tensor_type.shape.dim],
                    helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type).name)
                   for vi in model.graph.input],
        "outputs": [(vi.name, [d.dim_value for d in vi.type.tensor_type.shape.dim])
                    for vi in model.graph.output],
        "ops": ops,
        "bytes": size,
        "params": int(sum(np.prod(t.dims) for t in model.graph.initializer)),
        "max_abs_intermediate": max_abs,
    }
    print(f"{name:12s} opset {info['opset']:2d}  {size:7d} B  params {info['params']:6d}  "
          f"max|x| {max_abs:7.3f}  in {info['inputs']}  out {info['outputs']}")
    print(f"{'':12s} ops: {', '.join(ops)}")
    return info


def vinfo(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


# ----------------------------------------------------------------------------------------------
# 1. mlp: 64-32-16-10, Gemm(transB=1)+Relu, Gemm(transB=1)+Relu, MatMul+Add
# ----------------------------------------------------------------------------------------------


def build_mlp():
    rng = np.random.default_rng(1001)
    g = Graph("mlp")
    w1 = g.init("fc1.weight", he(rng, (32, 64), 64))  # [out, in] -> Gemm transB=1
    b1 = g.init("fc1.bias", normal(rng, (32,), 0.1))
    w2 = g.init("fc2.weight", he(rng, (16, 32), 32))
    b2 = g.init("fc2.bias", normal(rng, (16,), 0.1))
    w3 = g.init("fc3.weight", xavier(rng, (16, 10), 16))  # [in, out] -> MatMul
    b3 = g.init("fc3.bias", normal(rng, (10,), 0.1))

    h = g.op("Gemm", ["input", w1, b1], prefix="/fc1", transB=1)
    h = g.op("Relu", [h], prefix="/relu1")
    h = g.op("Gemm", [h, w2, b2], prefix="/fc2", transB=1)
    h = g.op("Relu", [h], prefix="/relu2")
    h = g.op("MatMul", [h, w3], prefix="/fc3")
    g.op("Add", [h, b3], prefix="/fc3", outputs=["output"])

    m = g.model([vinfo("input", TensorProto.FLOAT, [1, 64])],
                [vinfo("output", TensorProto.FLOAT, [1, 10])], 13,
                "64-32-16-10 MLP: Gemm(transB=1)+Relu x2, MatMul+Add logits")
    feeds = {"input": f32_input(rng, (1, 64), -1.0, 1.0)}
    return "mlp", m, feeds


# ----------------------------------------------------------------------------------------------
# 2. cnn: LeNet-style on [1,1,16,16]
# ----------------------------------------------------------------------------------------------


def build_cnn():
    rng = np.random.default_rng(1002)
    g = Graph("cnn")
    c1w = g.init("conv1.weight", he(rng, (4, 1, 3, 3), 9))
    c1b = g.init("conv1.bias", normal(rng, (4,), 0.1))
    bn_s = g.init("bn1.weight", rng.uniform(0.8, 1.2, 4).astype(np.float32))
    bn_b = g.init("bn1.bias", normal(rng, (4,), 0.1))
    bn_m = g.init("bn1.running_mean", normal(rng, (4,), 0.1))
    bn_v = g.init("bn1.running_var", rng.uniform(0.5, 1.5, 4).astype(np.float32))
    c2w = g.init("conv2.weight", he(rng, (8, 4, 3, 3), 36))
    c2b = g.init("conv2.bias", normal(rng, (8,), 0.1))
    fw = g.init("fc.weight", xavier(rng, (10, 72), 72))
    fb = g.init("fc.bias", normal(rng, (10,), 0.1))

    h = g.op("Conv", ["input", c1w, c1b], prefix="/conv1", kernel_shape=[3, 3],
             pads=[1, 1, 1, 1], strides=[1, 1])                              # [1,4,16,16]
    h = g.op("BatchNormalization", [h, bn_s, bn_b, bn_m, bn_v], prefix="/bn1", epsilon=1e-5)
    h = g.op("Relu", [h], prefix="/relu1")
    h = g.op("MaxPool", [h], prefix="/pool1", kernel_shape=[2, 2], strides=[2, 2])  # [1,4,8,8]
    h = g.op("Conv", [h, c2w, c2b], prefix="/conv2", kernel_shape=[3, 3],
             pads=[0, 0, 0, 0], strides=[1, 1])                              # [1,8,6,6]
    h = g.op("Relu", [h], prefix="/relu2")
    h = g.op("AveragePool", [h], prefix="/pool2", kernel_shape=[2, 2], strides=[2, 2])  # [1,8,3,3]
    h = g.op("Flatten", [h], prefix="/flatten", axis=1)                      # [1,72]
    g.op("Gemm", [h, fw, fb], prefix="/fc", transB=1, outputs=["output"])    # [1,10]

    m = g.model([vinfo("input", TensorProto.FLOAT, [1, 1, 16, 16])],
                [vinfo("output", TensorProto.FLOAT, [1, 10])], 13,
                "LeNet-style CNN: Conv3x3(4,pad1)+BN+Relu+MaxPool2, Conv3x3(8)+Relu+AvgPool2, "
                "Flatten, Gemm(10)")
    feeds = {"input": f32_input(rng, (1, 1, 16, 16), -1.0, 1.0)}
    return "cnn", m, feeds


# ----------------------------------------------------------------------------------------------
# 2b. mobile: a MobileNet-style block (depthwise-separable convolution), x [1,1,16,16], opset 13
# ----------------------------------------------------------------------------------------------


def build_mobile():
    rng = np.random.default_rng(1008)
    g = Graph("mobile")
    c1w = g.init("stem.weight", he(rng, (8, 1, 3, 3), 9))
    c1b = g.init("stem.bias", normal(rng, (8,), 0.1))
    dww = g.init("dw.weight", he(rng, (8, 1, 3, 3), 9))
    dwb = g.init("dw.bias", normal(rng, (8,), 0.1))
    bn_s = g.init("bn.weight", rng.uniform(0.8, 1.2, 8).astype(np.float32))
    bn_b = g.init("bn.bias", normal(rng, (8,), 0.1))
    bn_m = g.init("bn.running_mean", normal(rng, (8,), 0.1))
    bn_v = g.init("bn.running_var", rng.uniform(0.5, 1.5, 8).astype(np.float32))
    pww = g.init("pw.weight", he(rng, (16, 8, 1, 1), 8))
    gw = g.init("gpw.weight", he(rng, (16, 4, 1, 1), 4))
    fw = g.init("fc.weight", xavier(rng, (10, 16), 16))
    fb = g.init("fc.bias", normal(rng, (10,), 0.1))

    h = g.op("Conv", ["input", c1w, c1b], prefix="/stem", kernel_shape=[3, 3],
             pads=[1, 1, 1, 1])                                               # [1,8,16,16]
    h = g.op("Relu", [h], prefix="/stem_relu")
    h = g.op("Conv", [h, dww, dwb], prefix="/dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
             strides=[2, 2], group=8)                                         # [1,8,8,8] depthwise
    h = g.op("BatchNormalization", [h, bn_s, bn_b, bn_m, bn_v], prefix="/bn", epsilon=1e-5)
    h = g.op("Relu", [h], prefix="/dw_relu")
    h = g.op("Conv", [h, pww], prefix="/pw", kernel_shape=[1, 1])            # [1,16,8,8]
    h = g.op("Relu", [h], prefix="/pw_relu")
    h = g.op("Conv", [h, gw], prefix="/gpw", kernel_shape=[1, 1], group=4)   # [1,16,8,8] 4 groups
    h = g.op("GlobalAveragePool", [h], prefix="/gap")                        # [1,16,1,1]
    h = g.op("Flatten", [h], prefix="/flatten", axis=1)                      # [1,16]
    g.op("Gemm", [h, fw, fb], prefix="/fc", transB=1, outputs=["output"])    # [1,10]

    m = g.model([vinfo("input", TensorProto.FLOAT, [1, 1, 16, 16])],
                [vinfo("output", TensorProto.FLOAT, [1, 10])], 13,
                "MobileNet-style block: Conv3x3(8)+Relu, depthwise Conv3x3 stride 2 (group 8)"
                "+BN+Relu, pointwise Conv1x1(16)+Relu, grouped Conv1x1 (group 4), "
                "GlobalAveragePool, Gemm(10)")
    feeds = {"input": f32_input(rng, (1, 1, 16, 16), -1.0, 1.0)}
    return "mobile", m, feeds


# ----------------------------------------------------------------------------------------------
# 2c. unet: a one-level U-Net (nearest-neighbour Resize, skip connection), x [1,1,16,16], opset 13
# ----------------------------------------------------------------------------------------------


def build_unet():
    rng = np.random.default_rng(1009)
    g = Graph("unet")
    e1w = g.init("enc.weight", he(rng, (4, 1, 3, 3), 9))
    e1b = g.init("enc.bias", normal(rng, (4,), 0.1))
    mw = g.init("mid.weight", he(rng, (8, 4, 3, 3), 36))
    mb = g.init("mid.bias", normal(rng, (8,), 0.1))
    dw = g.init("dec.weight", he(rng, (4, 12, 3, 3), 108))
    db = g.init("dec.bias", normal(rng, (4,), 0.1))
    hw = g.init("head.weight", xavier(rng, (2, 4, 1, 1), 4))
    hb = g.init("head.bias", normal(rng, (2,), 0.1))
    scales = g.const(np.array([1.0, 1.0, 2.0, 2.0], dtype=np.float32), prefix="up.scales")

    skip = g.op("Conv", ["input", e1w, e1b], prefix="/enc", kernel_shape=[3, 3],
                pads=[1, 1, 1, 1])                                           # [1,4,16,16]
    skip = g.op("Relu", [skip], prefix="/enc_relu")
    h = g.op("MaxPool", [skip], prefix="/down", kernel_shape=[2, 2], strides=[2, 2])  # [1,4,8,8]
    h = g.op("Conv", [h, mw, mb], prefix="/mid", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = g.op("Relu", [h], prefix="/mid_relu")                                # [1,8,8,8]
    h = g.op("Resize", [h, "", scales], prefix="/up", mode="nearest")        # [1,8,16,16]
    h = g.op("Concat", [h, skip], prefix="/cat", axis=1)                     # [1,12,16,16]
    h = g.op("Conv", [h, dw, db], prefix="/dec", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = g.op("Relu", [h], prefix="/dec_relu")                                # [1,4,16,16]
    g.op("Conv", [h, hw, hb], prefix="/head", kernel_shape=[1, 1], outputs=["output"])

    m = g.model([vinfo("input", TensorProto.FLOAT, [1, 1, 16, 16])],
                [vinfo("output", TensorProto.FLOAT, [1, 2, 16, 16])], 13,
                "One-level U-Net: Conv3x3(4)+Relu (skip), MaxPool2, Conv3x3(8)+Relu, "
                "Resize x2 (nearest), Concat with the skip, Conv3x3(4)+Relu, Conv1x1(2)")
    feeds = {"input": f32_input(rng, (1, 1, 16, 16), -1.0, 1.0)}
    return "unet", m, feeds


# ----------------------------------------------------------------------------------------------
# 3. attention: one pre-norm causal self-attention block, x [1,8,16], 2 heads, opset 17
# ----------------------------------------------------------------------------------------------


def build_attention():
    rng = np.random.default_rng(1003)
    T, D, H = 8, 16, 2
    hd = D // H
    g = Graph("attention")
    ln_w = g.init("ln.weight", (1.0 + normal(rng, (D,), 0.1)).astype(np.float32))
    ln_b = g.init("ln.bias", normal(rng, (D,), 0.1))
    wq = g.init("attn.q.weight", xavier(rng, (D, D), D))
    wk = g.init("attn.k.weight", xavier(rng, (D, D), D))
    wv = g.init("attn.v.weight", xavier(rng, (D, D), D))
    wo = g.init("attn.proj.weight", xavier(rng, (D, D), D))
    bo = g.init("attn.proj.bias", normal(rng, (D,), 0.1))
    heads_shape = g.init("heads_shape", np.array([1, T, H, hd], dtype=np.int64))
    merged_shape = g.init("merged_shape", np.array([1, T, D], dtype=np.int64))
    scale = g.init("attn.scale", np.array(math.sqrt(hd), dtype=np.float32))
    causal = g.init("causal_mask", np.tril(np.ones((T, T), dtype=bool)).reshape(1, 1, T, T))
    fill = g.init("mask_fill", np.array(MASK_FILL, dtype=np.float32))

    h = g.op("LayerNormalization", ["x", ln_w, ln_b], prefix="/ln", axis=-1, epsilon=1e-5)
    q = g.op("MatMul", [h, wq], prefix="/attn/q")
    k = g.op("MatMul", [h, wk], prefix="/attn/k")
    v = g.op("MatMul", [h, wv], prefix="/attn/v")
    q = g.op("Reshape", [q, heads_shape], prefix="/attn/q")
    k = g.op("Reshape", [k, heads_shape], prefix="/attn/k")
    v = g.op("Reshape", [v, heads_shape], prefix="/attn/v")
    q = g.op("Transpose", [q], prefix="/attn/q", perm=[0, 2, 1, 3])          # [1,H,T,hd]
    kt = g.op("Transpose", [k], prefix="/attn/k", perm=[0, 2, 3, 1])         # [1,H,hd,T]
    v = g.op("Transpose", [v], prefix="/attn/v", perm=[0, 2, 1, 3])          # [1,H,T,hd]
    s = g.op("MatMul", [q, kt], prefix="/attn/scores")                       # [1,H,T,T]
    s = g.op("Div", [s, scale], prefix="/attn/scores")
    s = g.op("Where", [causal, s, fill], prefix="/attn/mask")
    p = g.op("Softmax", [s], prefix="/attn", axis=-1)
    y = g.op("MatMul", [p, v], prefix="/attn/context")                       # [1,H,T,hd]
    y = g.op("Transpose", [y], prefix="/attn/context", perm=[0, 2, 1, 3])    # [1,T,H,hd]
    y = g.op("Reshape", [y, merged_shape], prefix="/attn/context")           # [1,T,D]
    y = g.op("MatMul", [y, wo], prefix="/attn/proj")
    y = g.op("Add", [y, bo], prefix="/attn/proj")
    g.op("Add", ["x", y], prefix="/residual", outputs=["output"])

    m = g.model([vinfo("x", TensorProto.FLOAT, [1, T, D])],
                [vinfo("output", TensorProto.FLOAT, [1, T, D])], 17,
                "Pre-norm causal self-attention block (seq 8, d 16, 2 heads) with residual")
    feeds = {"x": f32_input(rng, (1, T, D), -1.5, 1.5)}
    return "attention", m, feeds


# ----------------------------------------------------------------------------------------------
# 4. tiny_gpt: nanoGPT-style export, vocab 32, ctx 16, d 16, 2 heads, 2 layers, opset 13
# ----------------------------------------------------------------------------------------------


def build_tiny_gpt():
    rng = np.random.default_rng(1004)
    V, T, D, H, L, BLOCK = 32, 16, 16, 2, 2, 32
    hd = D // H
    g = Graph("tiny_gpt")

    wte = g.init("transformer.wte.weight", normal(rng, (V, D), 0.5))
    wpe = g.init("transformer.wpe.weight", normal(rng, (BLOCK, D), 0.2))
    # causal buffer of the full block size, sliced to the sequence length as nanoGPT does
    bias = g.init("transformer.attn.bias",
                  np.tril(np.ones((BLOCK, BLOCK), dtype=np.float32)).reshape(1, 1, BLOCK, BLOCK))

    def layernorm(x, prefix, w, b):
        mu = g.op("ReduceMean", [x], prefix=prefix, axes=[-1])
        xc = g.op("Sub", [x, mu], prefix=prefix)
        sq = g.op("Pow", [xc, g.const(2.0, prefix=prefix)], prefix=prefix)
        var = g.op("ReduceMean", [sq], prefix=prefix, axes=[-1])
        var = g.op("Add", [var, g.const(1e-5, prefix=prefix)], prefix=prefix)
        sd = g.op("Sqrt", [var], prefix=prefix)
        y = g.op("Div", [xc, sd], prefix=prefix)
        y = g.op("Mul", [y, w], prefix=prefix)
        return g.op("Add", [y, b], prefix=prefix)

    def ln_params(name):
        w = g.init(f"{name}.weight", (1.0 + normal(rng, (D,), 0.1)).astype(np.float32))
        b = g.init(f"{name}.bias", normal(rng, (D,), 0.05))
        return w, b

    def gelu_tanh(x, prefix):
        # 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
        half = g.op("Mul", [x, g.const(0.5, prefix=prefix)], prefix=prefix)
        cube = g.op("Pow", [x, g.const(3.0, prefix=prefix)], prefix=prefix)
        c = g.op("Mul", [cube, g.const(0.044715, prefix=prefix)], prefix=prefix)
        inner = g.op("Add", [x, c], prefix=prefix)
        inner = g.op("Mul", [inner, g.const(math.sqrt(2.0 / math.pi), prefix=prefix)],
                     prefix=prefix)
        t = g.op("Tanh", [inner], prefix=prefix)
        t = g.op("Add", [t, g.const(1.0, prefix=prefix)], prefix=prefix)
        return g.op("Mul", [half, t], prefix=prefix)

    positions = g.const(np.arange(T).reshape(1, T), dtype=np.int64, prefix="")
    tok = g.op("Gather", [wte, "input"], prefix="/wte", axis=0)              # [1,T,D]
    pos = g.op("Gather", [wpe, positions], prefix="/wpe", axis=0)            # [1,T,D]
    x = g.op("Add", [tok, pos], prefix="")

    for l in range(L):
        p = f"/h.{l}"
        ln1_w, ln1_b = ln_params(f"transformer.h.{l}.ln_1")
        w_attn = g.init(f"transformer.h.{l}.attn.c_attn.weight", xavier(rng, (D, 3 * D), D))
        w_proj = g.init(f"transformer.h.{l}.attn.c_proj.weight",
                        xavier(rng, (D, D), D) * np.float32(0.5))
        ln2_w, ln2_b = ln_params(f"transformer.h.{l}.ln_2")
        # scaled down so the GELU's x^3 stays around 10 at most
        w_fc = g.init(f"transformer.h.{l}.mlp.c_fc.weight",
                      xavier(rng, (D, 4 * D), D) * np.float32(0.6))
        b_fc = g.init(f"transformer.h.{l}.mlp.c_fc.bias", normal(rng, (4 * D,), 0.1))
        w_fc2 = g.init(f"transformer.h.{l}.mlp.c_proj.weight",
                       xavier(rng, (4 * D, D), 4 * D) * np.float32(0.5))

        # --- attention
        a = f"{p}/attn"
        h = layernorm(x, f"{p}/ln_1", ln1_w, ln1_b)
        qkv = g.op("MatMul", [h, w_attn], prefix=f"{a}/c_attn")                 # [1,T,3D]
        split = g.const([D, D, D], dtype=np.int64, prefix=a)
        q, k, v = g.op("Split", [qkv, split], prefix=a, n_out=3, axis=2)
        shp = g.const([1, T, H, hd], dtype=np.int64, prefix=a)
        k = g.op("Reshape", [k, shp], prefix=a)
        q = g.op("Reshape", [q, shp], prefix=a)
        q = g.op("Transpose", [q], prefix=a, perm=[0, 2, 1, 3])                  # [1,H,T,hd]
        v = g.op("Reshape", [v, shp], prefix=a)
        v = g.op("Transpose", [v], prefix=a, perm=[0, 2, 1, 3])                  # [1,H,T,hd]
        kt = g.op("Transpose", [k], prefix=a, perm=[0, 2, 3, 1])                 # [1,H,hd,T]
        att = g.op("MatMul", [q, kt], prefix=a)                                  # [1,H,T,T]
        att = g.op("Mul", [att, g.const(1.0 / math.sqrt(hd), prefix=a)], prefix=a)
        m = g.op("Slice", [bias,
                           g.const([0, 0], dtype=np.int64, prefix=a),
                           g.const([T, T], dtype=np.int64, prefix=a),
                           g.const([2, 3], dtype=np.int64, prefix=a),
                           g.const([1, 1], dtype=np.int64, prefix=a)], prefix=a)  # [1,1,T,T]
        eq = g.op("Equal", [m, g.const(0.0, prefix=a)], prefix=a)
        fill = g.const(MASK_FILL, prefix=a)
        att = g.op("Where", [eq, fill, att], prefix=a)
        att = g.op("Softmax", [att], prefix=a, axis=3)
        y = g.op("MatMul", [att, v], prefix=a)                                   # [1,H,T,hd]
        y = g.op("Transpose", [y], prefix=a, perm=[0, 2, 1, 3])                  # [1,T,H,hd]
        y = g.op("Reshape", [y, g.const([1, T, D], dtype=np.int64, prefix=a)], prefix=a)
        y = g.op("MatMul", [y, w_proj], prefix=f"{a}/c_proj")
        x = g.op("Add", [x, y], prefix=p)

        # --- MLP
        h = layernorm(x, f"{p}/ln_2", ln2_w, ln2_b)
        h = g.op("MatMul", [h, w_fc], prefix=f"{p}/mlp/c_fc")
        h = g.op("Add", [h, b_fc], prefix=f"{p}/mlp/c_fc")
        h = gelu_tanh(h, f"{p}/mlp")
        h = g.op("MatMul", [h, w_fc2], prefix=f"{p}/mlp/c_proj")
        x = g.op("Add", [x, h], prefix=p)

    lnf_w, lnf_b = ln_params("transformer.ln_f")
    lm_head = g.init("lm_head.weight", xavier(rng, (D, V), D))
    x = layernorm(x, "/ln_f", lnf_w, lnf_b)
    g.op("MatMul", [x, lm_head], prefix="/lm_head", outputs=["output"])

    model = g.model([vinfo("input", TensorProto.INT64, [1, T])],
                    [vinfo("output", TensorProto.FLOAT, [1, T, V])], 13,
                    "Tiny GPT in the style of the nanoGPT benchmark export: vocab 32, context 16, "
                    "d_model 16, 2 heads, 2 layers, tanh-GELU, written-out layernorm")
    feeds = {"input": rng.integers(0, V, size=(1, T), dtype=np.int64)}
    return "tiny_gpt", model, feeds


# ----------------------------------------------------------------------------------------------
# 5. ops_zoo: element-wise / shape operators on x [1,4,8], one concatenated output, opset 20
# ----------------------------------------------------------------------------------------------


def build_ops_zoo():
    rng = np.random.default_rng(1005)
    g = Graph("ops_zoo")

    def c(val, dtype=np.float32, name=None):
        return g.init(name, np.asarray(val, dtype=dtype))

    x = "x"                                                   # [1,4,8], values in [-3,3]
    parts = []
    sig = g.op("Sigmoid", [x], name="sigmoid")                # (0,1)
    parts.append(sig)
    tanh = g.op("Tanh", [x], name="tanh")                     # (-1,1)
    parts.append(tanh)
    parts.append(g.op("Erf", [x], name="erf"))                # (-1,1)
    clip = g.op("Clip", [x, c(-2.0, name="clip_min"), c(2.0, name="clip_max")], name="clip")
    parts.append(clip)                                        # [-2,2]
    exp = g.op("Exp", [clip], name="exp")                     # [e^-2, e^2] = [0.135, 7.39]
    parts.append(exp)
    leaky = g.op("LeakyRelu", [x], name="leaky_relu", alpha=0.1)
    parts.append(leaky)
    parts.append(g.op("Gelu", [x], name="gelu"))              # exact (erf) GELU, opset 20
    parts.append(g.op("Gelu", [x], name="gelu_tanh", approximate="tanh"))
    pos = g.op("Add", [sig, c(0.5, name="half")], name="sig_plus_half")   # (0.5,1.5)
    sqrt = g.op("Sqrt", [pos], name="sqrt")                   # (0.707,1.225)
    parts.append(sqrt)
    parts.append(g.op("Div", [tanh, sqrt], name="div"))      # denominator tensor > 0.7
    parts.append(g.op("Sub", [exp, leaky], name="sub"))
    parts.append(g.op("Mul", [sig, x], name="mul"))          # SiLU
    parts.append(g.op("Max", [clip, leaky], name="max"))
    # Slice + Concat: swap the two halves of the last axis
    hi = g.op("Slice", [x, c([4], np.int64, "slice_hi_starts"), c([8], np.int64, "slice_hi_ends"),
                        c([2], np.int64, "slice_axes")], name="slice_hi")          # [1,4,4]
    lo = g.op("Slice", [x, c([0], np.int64, "slice_lo_starts"), c([4], np.int64, "slice_lo_ends"),
                        c([2], np.int64, "slice_axes_lo"), c([1], np.int64, "slice_steps")],
              name="slice_lo")                                                      # [1,4,4]
    parts.append(g.op("Concat", [hi, lo], name="concat_halves", axis=2))
    # Transpose there and back, with an op in between on the transposed layout
    t = g.op("Transpose", [x], name="transpose_in", perm=[0, 2, 1])                 # [1,8,4]
    t = g.op("Mul", [t, c(np.linspace(-1, 1, 4).astype(np.float32), name="col_scale")],
             name="mul_transposed")
    parts.append(g.op("Transpose", [t], name="transpose_out", perm=[0, 2, 1]))     # [1,4,8]
    # Unsqueeze / Squeeze round trip
    u = g.op("Unsqueeze", [x, c([1], np.int64, "unsqueeze_axes")], name="unsqueeze")  # [1,1,4,8]
    u = g.op("Relu", [u], name="relu")
    parts.append(g.op("Squeeze", [u, c([1], np.int64, "squeeze_axes")], name="squeeze"))
    # ReduceMean over the last axis (axes as an input since opset 18), broadcast back with Sub
    mean = g.op("ReduceMean", [x, c([2], np.int64, "reduce_axes")], name="reduce_mean",
                keepdims=1)                                                          # [1,4,1]
    parts.append(g.op("Sub", [x, mean], name="center"))
    # Softmax over axis 1 (the 4-long axis)
    parts.append(g.op("Softmax", [x], name="softmax", axis=1))

    g.op("Concat", parts, name="concat_all", axis=1, outputs=["output"])
    n = len(parts)
    model = g.model([vinfo("x", TensorProto.FLOAT, [1, 4, 8])],
                    [vinfo("output", TensorProto.FLOAT, [1, 4 * n, 8])], 20,
                    "Operator zoo: each block of 4 rows of the output is one operator applied "
                    "to x (see guest-examples/README.md for the order)")
    feeds = {"x": f32_input(rng, (1, 4, 8), -3.0, 3.0, decimals=2)}
    return "ops_zoo", model, feeds


# ----------------------------------------------------------------------------------------------
# 6. unsupported: one Atan node named "my_atan"
# ----------------------------------------------------------------------------------------------


def build_unsupported():
    rng = np.random.default_rng(1006)
    g = Graph("unsupported")
    w = g.init("fc.weight", xavier(rng, (8, 4), 8))
    h = g.op("MatMul", ["x", w], name="fc")
    g.op("Atan", [h], name="my_atan", outputs=["output"])
    model = g.model([vinfo("x", TensorProto.FLOAT, [1, 8])],
                    [vinfo("output", TensorProto.FLOAT, [1, 4])], 13,
                    "MatMul followed by Atan (node 'my_atan'): runs in ONNX runtimes, "
                    "not supported by Atlas's quantized prover")
    feeds = {"x": f32_input(rng, (1, 8), -1.0, 1.0)}
    return "unsupported", model, feeds


# ----------------------------------------------------------------------------------------------
# 7. custom_swish: an MLP with one custom operator (atlas.custom::Swish) and its table plug-in
# ----------------------------------------------------------------------------------------------

# Swish's plug-in table: breakpoints every 1/8 on [-8, 8] (piecewise-linear interpolation of
# x·sigmoid(x) there is within 1e-3 of it), in real units; Atlas quantizes them at 2^12.
SWISH_STEP = 0.125
SWISH_RANGE = 8.0


def build_custom_swish():
    rng = np.random.default_rng(1007)
    g = Graph("custom_swish")
    w1 = g.init("fc1.weight", xavier(rng, (32, 16), 16))
    b1 = g.init("fc1.bias", normal(rng, (32,), 0.1))
    w2 = g.init("fc2.weight", xavier(rng, (10, 32), 32))
    b2 = g.init("fc2.bias", normal(rng, (10,), 0.1))
    h = g.op("Gemm", ["input", w1, b1], prefix="/fc1", transB=1)
    h = g.op("Swish", [h], name="/act/Swish", domain=CUSTOM_DOMAIN)
    g.op("Gemm", [h, w2, b2], prefix="/fc2", transB=1, outputs=["output"])
    model = g.model([vinfo("input", TensorProto.FLOAT, [1, 16])],
                    [vinfo("output", TensorProto.FLOAT, [1, 10])], 13,
                    "16-32-10 MLP whose activation is the custom operator atlas.custom::Swish",
                    extra_opsets=[(CUSTOM_DOMAIN, 1)])
    feeds = {"input": f32_input(rng, (1, 16), -2.0, 2.0)}
    return "custom_swish", model, feeds


def write_swish_plugin() -> None:
    """guest-examples/plugins/swish.json: the Swish table for `atlas run --tables`."""
    n = int(round(2 * SWISH_RANGE / SWISH_STEP))
    xs = [-SWISH_RANGE + i * SWISH_STEP for i in range(n + 1)]
    points = [[x, round(x / (1.0 + math.exp(-x)), 9)] for x in xs]
    fields = {
        "name": "swish",
        "domain": CUSTOM_DOMAIN,
        "op_type": "Swish",
        "in_scale": 12,
        "out_scale": 12,
        "range": [-SWISH_RANGE, SWISH_RANGE],
    }
    # one field, then one breakpoint, per line: readable, and diffs stay small
    head = "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in fields.items())
    body = ",\n      ".join(json.dumps(p) for p in points)
    text = ('{"tables": [\n  {\n' + head + '    "piecewise_linear": [\n      ' + body
            + "\n    ]\n  }\n]}\n")
    assert json.loads(text) == {"tables": [dict(fields, piecewise_linear=points)]}
    out_dir = os.path.join(os.path.dirname(HERE), "plugins")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "swish.json"), "w") as f:
        f.write(text)
    # the curve stays within 1e-3 of swish on its range (checked at the midpoints)
    mids = np.array(xs[:-1]) + SWISH_STEP / 2
    interp = np.interp(mids, [p[0] for p in points], [p[1] for p in points])
    assert np.max(np.abs(interp - mids / (1.0 + np.exp(-mids)))) < 1e-3


BUILDERS = [build_mlp, build_cnn, build_mobile, build_unet, build_attention, build_tiny_gpt,
            build_ops_zoo, build_unsupported, build_custom_swish]


def main(argv: list[str]) -> int:
    wanted = set(argv[1:])
    infos = []
    for build in BUILDERS:
        name, model, feeds = build()
        if wanted and name not in wanted:
            continue
        infos.append(emit(name, model, feeds))
        if name == "custom_swish":
            write_swish_plugin()
    for info in infos:
        assert info["bytes"] < 300_000, info
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
