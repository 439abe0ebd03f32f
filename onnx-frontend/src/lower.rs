//! The lowering walk: tract's decluttered graph, node by node in evaluation order, into ISA
//! instructions through the `Builder`; plus `compile` and `inspect`.

use std::collections::HashMap;
use std::sync::Arc;

use atlas_isa::{Program, TensorId, Weights};
use tract_onnx::prelude::*;

use crate::builder::{Builder, ConstVal, Scales, Value};
use crate::error::FrontendError;
use crate::fusion::Fused;
use crate::load::{InputKind, OnnxModel};
use crate::ops::affine::Affine;
use crate::quantize::{tensor_to_f64, DEFAULT_SCALE, MAX_SCALE};

/// Options of [`OnnxModel::compile`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Activation scale in fractional bits; `None` picks [`DEFAULT_SCALE`].
    pub scale: Option<u32>,
}

/// A compiled model: the program (public) and its quantized weights (private to the prover).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    /// The quantized tensor program.
    pub program: Program,
    /// Values of the program's weight tensors.
    pub weights: Weights,
}

/// One node of the decluttered graph, as `inspect` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    /// tract's node name (the ONNX node name, with a suffix when tract split the node).
    pub name: String,
    /// tract's operator name after decluttering.
    pub op: String,
    /// Whether Atlas lowers it.
    pub supported: bool,
    /// The ISA instructions it became, or why it is not supported.
    pub note: Option<String>,
}

/// Concrete shape of a tract fact.
pub(crate) fn concrete_shape(shape: &ShapeFact) -> Result<Vec<usize>, FrontendError> {
    shape
        .as_concrete()
        .map(|s| s.to_vec())
        .ok_or_else(|| FrontendError::Shape(format!("symbolic shape {shape:?} after loading")))
}

/// The state of one lowering.
pub(crate) struct Lowering {
    pub b: Builder,
    values: HashMap<OutletId, Value>,
    /// Tensors that are `1 / d`: tensor → `d` (so that `a · (1/d)` becomes one `Div`).
    pub recip_of: HashMap<TensorId, TensorId>,
    /// Tensors that are `max(x, lo)` with a constant `lo`: tensor → (`x`, `lo`), so that a
    /// following `min` with a constant fuses into one two-sided clip.
    pub clip_of: HashMap<TensorId, (TensorId, i64)>,
    /// Tensors that are `min(x, hi)` with a constant `hi`: tensor → (`x`, `hi`), so that a
    /// following `max` with a constant fuses into one two-sided clip.
    pub clip_hi_of: HashMap<TensorId, (TensorId, i64)>,
    /// Softmax outputs: tensor → (input, axis), so that a following `Ln` becomes one log-softmax
    /// computed from the input ([`crate::ops::nonlinear::log_softmax`]).
    pub softmax_of: HashMap<TensorId, (TensorId, usize)>,
    /// Nodes lowered as one activation table (see [`crate::fusion`]).
    fused: HashMap<usize, Fused>,
    /// Products with a constant weight, by their result (see [`crate::ops::affine`]).
    pub affine: HashMap<TensorId, Affine>,
    /// How many tract consumers (model outputs included) read each tensor.
    uses: HashMap<TensorId, usize>,
    /// The model's output outlets.
    model_outputs: Vec<OutletId>,
}

/// What the lowering of one node sees.
pub(crate) struct NodeCx<'a> {
    /// Node name.
    pub name: &'a str,
    /// Operator name.
    pub op: String,
    /// Input values.
    pub inputs: Vec<Value>,
    /// Output shape.
    pub shape: Vec<usize>,
}

impl NodeCx<'_> {
    /// The error for this node with a reason.
    pub fn unsupported(&self, why: impl std::fmt::Display) -> FrontendError {
        FrontendError::Unsupported {
            node: self.name.to_string(),
            op: format!("{} ({why})", self.op),
        }
    }

    /// The error for this node's operator.
    pub fn unsupported_op(&self) -> FrontendError {
        FrontendError::Unsupported {
            node: self.name.to_string(),
            op: self.op.clone(),
        }
    }

    /// Input `i` as a tensor, or an error if it is a constant.
    pub fn tensor(&self, i: usize) -> Result<TensorId, FrontendError> {
        match self.inputs.get(i) {
            Some(Value::Tensor(t)) => Ok(*t),
            Some(Value::Const(_)) => Err(self.unsupported(format!("constant input {i}"))),
            None => Err(self.unsupported(format!("missing input {i}"))),
        }
    }

    /// Input `i` as a constant, or an error if it is computed.
    pub fn konst(&self, i: usize) -> Result<Arc<ConstVal>, FrontendError> {
        match self.inputs.get(i) {
            Some(Value::Const(c)) => Ok(c.clone()),
            Some(Value::Tensor(_)) => Err(self.unsupported(format!("input {i} must be constant"))),
            None => Err(self.unsupported(format!("missing input {i}"))),
        }
    }
}

impl Lowering {
    /// The affine product behind `t`, if `t` has it and nothing else reads `t`.
    pub fn foldable(&self, t: TensorId) -> Option<Affine> {
        (self.uses.get(&t) == Some(&1))
            .then(|| self.affine.get(&t).cloned())
            .flatten()
    }

    fn new(scales: Scales, fused: HashMap<usize, Fused>, model_outputs: Vec<OutletId>) -> Self {
        Lowering {
            model_outputs,
            fused,
            affine: HashMap::new(),
            uses: HashMap::new(),
            b: Builder::new(scales),
            values: HashMap::new(),
            recip_of: HashMap::new(),
            clip_of: HashMap::new(),
            clip_hi_of: HashMap::new(),
            softmax_of: HashMap::new(),
        }
    }
}

/// Lowers the whole model. With `tolerant`, a node that fails is reported and replaced by a
/// placeholder so that the walk continues (for `inspect`); otherwise the first failure is
/// returned.
fn lower(
    m: &OnnxModel,
    opts: &CompileOptions,
    tolerant: bool,
) -> (Result<Compiled, FrontendError>, Vec<NodeReport>) {
    let mut reports = Vec::new();
    let s = opts.scale.unwrap_or(DEFAULT_SCALE);
    if s == 0 || s > MAX_SCALE {
        let e = FrontendError::Quantization(format!("scale {s} is outside 1..={MAX_SCALE}"));
        return (Err(e), reports);
    }
    let scales = Scales {
        act: s,
        table: s.min(12),
        wide: s + 6,
    };
    let model = &m.model;
    let mut cx = Lowering::new(
        scales,
        // Fusion only reads the model and evaluates tract operators on sample points (so the
        // model is never seen half-updated); if tract panics there, the model is simply lowered
        // without fusion.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::fusion::find(model)))
            .unwrap_or_default(),
        model
            .output_outlets()
            .map(|o| o.to_vec())
            .unwrap_or_default(),
    );
    // (report index, tensor the node produced): to mark nodes folded into a consumer.
    let mut produced: Vec<(usize, TensorId)> = Vec::new();
    let result = (|| -> Result<Vec<TensorId>, FrontendError> {
        let inputs = model.input_outlets().map_err(FrontendError::tract)?;
        for (spec, outlet) in m.inputs.iter().zip(inputs) {
            let scale = match spec.kind {
                InputKind::Float => s,
                InputKind::Int => 0,
            };
            let id = cx.b.input(&spec.name, spec.shape.clone(), scale);
            cx.values.insert(*outlet, Value::Tensor(id));
        }
        let order = model.eval_order().map_err(FrontendError::tract)?;
        for n in order {
            let node = model.node(n);
            let op = node.op.name().to_string();
            if node.op_is::<tract_onnx::tract_core::ops::source::TypedSource>() {
                reports.push(NodeReport {
                    name: node.name.clone(),
                    op,
                    supported: true,
                    note: Some("input".into()),
                });
                continue;
            }
            cx.b.emitted.clear();
            let lowered = lower_node(&mut cx, node);
            let (supported, note) = match &lowered {
                Ok(notes) => (true, notes.clone()),
                Err(e) => (false, Some(e.to_string())),
            };
            reports.push(NodeReport {
                name: node.name.clone(),
                op,
                supported,
                note,
            });
            match lowered {
                Ok(_) => {
                    let produced_here = cx.values.get(&OutletId::new(n, 0));
                    if let (Some(Value::Tensor(t)), false) =
                        (produced_here, cx.b.emitted.is_empty())
                    {
                        produced.push((reports.len() - 1, *t));
                    }
                }
                Err(e) if !tolerant => return Err(e),
                Err(_) => {
                    for (slot, o) in node.outputs.iter().enumerate() {
                        let shape = concrete_shape(&o.fact.shape).unwrap_or_default();
                        let id = cx.b.tensor(&node.name, shape, s, atlas_isa::Role::Input);
                        cx.values.insert(OutletId::new(n, slot), Value::Tensor(id));
                    }
                }
            }
        }
        let mut outs = Vec::new();
        for o in model.output_outlets().map_err(FrontendError::tract)? {
            let v =
                cx.values.get(o).cloned().ok_or_else(|| {
                    FrontendError::Shape(format!("output {o:?} was not computed"))
                })?;
            let t = match v {
                Value::Tensor(t) => t,
                Value::Const(c) => {
                    let scale = if c.is_float { s } else { 0 };
                    cx.b.materialize(&c, scale)?
                }
            };
            outs.push(t);
        }
        Ok(outs)
    })();
    if let Ok(outs) = &result {
        let (live, _) = crate::builder::liveness(&cx.b.program, outs);
        for (r, t) in produced {
            if !live[t.index()] {
                reports[r].note = Some("folded into a consumer (no instruction of its own)".into());
            }
        }
    }
    let compiled = result.and_then(|outs| {
        let (program, weights) = cx.b.finish(outs)?;
        Ok(Compiled { program, weights })
    });
    (compiled, reports)
}

/// Lowers one node and records its output value; returns the note for `inspect`.
fn lower_node(cx: &mut Lowering, node: &TypedNode) -> Result<Option<String>, FrontendError> {
    let out_fact = node.outputs.first().map(|o| &o.fact);
    // A constant output (tract folded it): kept as a compile-time value.
    if let Some(konst) = out_fact.and_then(|f| f.konst.clone()) {
        if node.outputs.len() == 1 {
            let c = ConstVal {
                key: node.id,
                name: node.name.clone(),
                shape: konst.shape().to_vec(),
                values: tensor_to_f64(&konst)?,
                is_float: konst.datum_type().is_float(),
                public: false,
            };
            let note = format!("constant {:?}", c.shape);
            cx.values
                .insert(OutletId::new(node.id, 0), Value::Const(Arc::new(c)));
            return Ok(Some(note));
        }
    }
    let unsupported = || FrontendError::Unsupported {
        node: node.name.clone(),
        op: node.op.name().to_string(),
    };
    if let Some(op) = node.op_as::<tract_onnx::tract_core::ops::array::Topk>() {
        return lower_top_k(cx, node, op);
    }
    if node.outputs.len() != 1 {
        return Err(unsupported());
    }
    let fact = &node.outputs[0].fact;
    let inputs = node
        .inputs
        .iter()
        .map(|i| cx.values.get(i).cloned().ok_or_else(unsupported))
        .collect::<Result<Vec<_>, _>>()?;
    let ncx = NodeCx {
        name: &node.name,
        op: node.op.name().to_string(),
        inputs,
        shape: concrete_shape(&fact.shape)?,
    };
    let fused = cx
        .fused
        .get(&node.id)
        .and_then(|f| match cx.values.get(&f.root) {
            Some(Value::Tensor(t)) => Some((*t, f.func.clone())),
            _ => None,
        });
    let v = match fused {
        Some((root, func)) => {
            cx.b.emitted.clear();
            let (lo, hi) = crate::ops::nonlinear::GELU_DOMAIN;
            let t = crate::ops::nonlinear::smooth_table(cx, &node.name, root, func, lo, hi)?;
            Value::Tensor(t)
        }
        None => crate::ops::lower_op(cx, node, &ncx)?,
    };
    if let Value::Tensor(t) = &v {
        if cx.b.shape(*t) != ncx.shape {
            return Err(FrontendError::Shape(format!(
                "node \"{}\" ({}): lowered to shape {:?}, tract says {:?}",
                node.name,
                ncx.op,
                cx.b.shape(*t),
                ncx.shape
            )));
        }
    }
    if let Value::Tensor(t) = &v {
        let outlet = OutletId::new(node.id, 0);
        let is_output = cx.model_outputs.contains(&outlet);
        *cx.uses.entry(*t).or_default() += node.outputs[0].successors.len() + is_output as usize;
    }
    cx.values.insert(OutletId::new(node.id, 0), v);
    let note = if cx.b.emitted.is_empty() {
        "no instruction".to_string()
    } else {
        cx.b.emitted.join(", ")
    };
    Ok(Some(note))
}

/// `TopK`, the one node with two outputs Atlas lowers: values and indices
/// ([`crate::ops::nonlinear::top_k`]); `k` is the outputs' static extent.
fn lower_top_k(
    cx: &mut Lowering,
    node: &TypedNode,
    op: &tract_onnx::tract_core::ops::array::Topk,
) -> Result<Option<String>, FrontendError> {
    let unsupported = || FrontendError::Unsupported {
        node: node.name.clone(),
        op: node.op.name().to_string(),
    };
    let inputs = node
        .inputs
        .iter()
        .map(|i| cx.values.get(i).cloned().ok_or_else(unsupported))
        .collect::<Result<Vec<_>, _>>()?;
    let shape = concrete_shape(&node.outputs[0].fact.shape)?;
    let k = *shape.get(op.axis).ok_or_else(unsupported)?;
    let ncx = NodeCx {
        name: &node.name,
        op: node.op.name().to_string(),
        inputs,
        shape,
    };
    cx.b.emitted.clear();
    let (values, indices) = crate::ops::nonlinear::top_k(cx, &ncx, op.axis, k, op.largest)?;
    for (slot, t) in [values, indices].into_iter().enumerate() {
        let outlet = OutletId::new(node.id, slot);
        let is_output = cx.model_outputs.contains(&outlet);
        *cx.uses.entry(t).or_default() += node.outputs[slot].successors.len() + is_output as usize;
        cx.values.insert(outlet, Value::Tensor(t));
    }
    Ok(Some(cx.b.emitted.join(", ")))
}

impl OnnxModel {
    /// Compiles the model to an Atlas program and its quantized weights.
    ///
    /// Fails with [`FrontendError::Unsupported`] naming the first node whose operator Atlas
    /// cannot lower.
    pub fn compile(&self, opts: &CompileOptions) -> Result<Compiled, FrontendError> {
        lower(self, opts, false).0
    }

    /// Every node of the decluttered graph with its operator and whether Atlas lowers it (and
    /// into what). Works on models whose compilation fails.
    pub fn inspect(&self) -> Vec<NodeReport> {
        lower(self, &CompileOptions::default(), true).1
    }
}
