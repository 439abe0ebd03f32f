//! User-defined operators: an ONNX node of a custom domain and operator name, lowered to a
//! user-defined lookup table ([`TableFn::Custom`]).
//!
//! A [`CustomOp`] says which ONNX node it stands for (`domain`, `op_type`), which registered
//! table implements it (`table`, the registry name the VM and the prover resolve), and the
//! table's public description: input and output scales and the clamped input domain. The
//! frontend does not depend on `atlas-lookups`, so the integer table itself travels as a
//! closure ([`CustomOp::new`]); `atlas-lookups`' registry is the authority on it.
//!
//! ## Loading
//!
//! tract's ONNX operator register is keyed by operator name only (not domain) and holds plain
//! function pointers, which cannot carry a user's table. So [`crate::load_with`] works around
//! it: every node that matches a custom operator is renamed in a copy of the protobuf to an
//! operator name tract cannot know, parsed as a placeholder, and then replaced in tract's
//! inference graph by an element-wise operator ([`CustomElementWise`]) that tract types,
//! declutters and runs like its own activations. A node of a domain other than the standard
//! ones, `ai.onnx.ml` and `com.microsoft` (which tract implements) that matches no custom
//! operator is [`FrontendError::Unsupported`], naming the node, the operator and the domain —
//! even when tract knows an operator of that name, whose semantics it would otherwise guess.
//!
//! ## Float reference
//!
//! tract's float run (the accuracy reference) evaluates a custom node with the operator's
//! float function ([`CustomOp::with_float`]) when one is given, else with the quantized table
//! itself, dequantized: `table(clamp(round(x · 2^in_scale))) / 2^out_scale`. Without a float
//! function the reported accuracy therefore excludes the table's own quantization error.
//!
//! ## Lowering
//!
//! The node becomes one `Lookup` with `Table { func: Custom(table), in_scale, out_scale,
//! domain }`, preceded by a `Rescale` when the activation is not at `in_scale`. The output is
//! at `out_scale`; consumers rescale it like any other tensor.
//!
//! The table's values on its domain (`eval` at `lo, …, hi`) go into the program
//! ([`atlas_isa::Program::custom_tables`]) when the domain has at most
//! [`MAX_CUSTOM_TABLE_ENTRIES`] entries: they are what the VM executes and the prover proves,
//! and the program digest — hence a verifying key — binds them. A larger table keeps only its
//! name in the program: it executes through a table registry, and setup refuses to prove it.
//! Two operators naming one table must give it the same values.

use std::collections::HashMap;
use std::sync::Arc;

use atlas_isa::table::{Table, TableFn, MAX_CUSTOM_TABLE_ENTRIES};
use atlas_isa::Instr;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::element_wise::{ElementWiseMiniOp, ElementWiseOp};
use tract_onnx::tract_hir::ops::element_wise::ElementWiseOp as HirElementWise;
use tract_onnx::tract_hir::ops::expandable::expand;

use crate::builder::Value;
use crate::error::FrontendError;
use crate::lower::{Lowering, NodeCx};

/// The standard ONNX domains: a custom operator cannot be declared there.
const STANDARD_DOMAINS: &[&str] = &["", "ai.onnx"];

/// The domains whose operators tract implements (it matches operators by name only, so a node
/// of any other domain would silently get the semantics of a standard operator of the same
/// name — ONNX's own `Swish`, say — and is refused unless declared as a [`CustomOp`]).
const TRACT_DOMAINS: &[&str] = &["", "ai.onnx", "ai.onnx.ml", "com.microsoft"];

/// Largest custom-table domain accepted (`2^24` entries): larger tables cannot be
/// materialized by the prover.
pub const MAX_CUSTOM_DOMAIN: u64 = 1 << 24;

/// An ONNX custom operator bound to a user-defined table.
#[derive(Clone)]
pub struct CustomOp {
    /// ONNX domain of the node (e.g. `"atlas.custom"`); not a standard domain.
    pub domain: String,
    /// ONNX operator name (e.g. `"Swish"`).
    pub op_type: String,
    /// Name of the table in the table registry (what [`TableFn::Custom`] carries).
    pub table: String,
    /// Fixed-point scale of the table's input.
    pub in_scale: u32,
    /// Fixed-point scale of the table's output.
    pub out_scale: u32,
    /// Inclusive input domain `[lo, hi]` of the table, quantized at `in_scale`.
    pub table_domain: (i64, i64),
    /// The integer table on its domain (inputs are clamped before the call).
    pub eval: Arc<dyn Fn(i64) -> i64 + Send + Sync>,
    /// The real function the table approximates, for tract's float reference run.
    pub float: Option<Arc<dyn Fn(f64) -> f64 + Send + Sync>>,
}

impl CustomOp {
    /// The node `domain::op_type` computed by the table `table`, of the given scales and
    /// domain, whose integer values are `eval` (clamping is done by the caller).
    pub fn new(
        domain: impl Into<String>,
        op_type: impl Into<String>,
        table: impl Into<String>,
        in_scale: u32,
        out_scale: u32,
        table_domain: (i64, i64),
        eval: impl Fn(i64) -> i64 + Send + Sync + 'static,
    ) -> Self {
        Self {
            domain: domain.into(),
            op_type: op_type.into(),
            table: table.into(),
            in_scale,
            out_scale,
            table_domain,
            eval: Arc::new(eval),
            float: None,
        }
    }

    /// Uses `f` as the float reference instead of the dequantized table.
    pub fn with_float(mut self, f: impl Fn(f64) -> f64 + Send + Sync + 'static) -> Self {
        self.float = Some(Arc::new(f));
        self
    }

    /// The table's values on its domain, `eval(lo), …, eval(hi)`, when it has at most
    /// [`MAX_CUSTOM_TABLE_ENTRIES`] entries (what the program carries); `None` for a larger
    /// table or an empty domain.
    pub fn materialize(&self) -> Option<Vec<i64>> {
        let (lo, hi) = self.table_domain;
        if hi < lo || (hi as i128 - lo as i128 + 1) > MAX_CUSTOM_TABLE_ENTRIES as i128 {
            return None;
        }
        Some((lo..=hi).map(|x| (self.eval)(x)).collect())
    }

    /// The ISA table of this operator.
    pub fn isa_table(&self) -> Table {
        Table {
            func: TableFn::Custom(self.table.clone()),
            in_scale: self.in_scale,
            out_scale: self.out_scale,
            domain: self.table_domain,
        }
    }

    /// The table's real output at the real input `v`: the float function if given, else the
    /// dequantized table.
    pub fn eval_real(&self, v: f64) -> f64 {
        if let Some(f) = &self.float {
            return f(v);
        }
        let q = (v * (1u64 << self.in_scale) as f64).round();
        let (lo, hi) = self.table_domain;
        let q = if q.is_nan() {
            0
        } else {
            (q as i64).clamp(lo, hi)
        };
        (self.eval)(q) as f64 / (1u64 << self.out_scale) as f64
    }

    fn key(&self) -> (&str, &str) {
        (&self.domain, &self.op_type)
    }

    fn check(&self) -> Result<(), FrontendError> {
        let bad = |why: String| {
            Err(FrontendError::CustomOp(format!(
                "{}::{} (table {:?}): {why}",
                self.domain, self.op_type, self.table
            )))
        };
        if STANDARD_DOMAINS.contains(&self.domain.as_str()) {
            return bad("a custom operator needs a custom ONNX domain".into());
        }
        if self.table.is_empty() {
            return bad("empty table name".into());
        }
        let (lo, hi) = self.table_domain;
        if lo > hi {
            return bad(format!("empty table domain [{lo}, {hi}]"));
        }
        if (hi as i128 - lo as i128 + 1) as u128 > MAX_CUSTOM_DOMAIN as u128 {
            return bad(format!(
                "table domain [{lo}, {hi}] exceeds {MAX_CUSTOM_DOMAIN} entries"
            ));
        }
        if self.in_scale > crate::quantize::MAX_SCALE || self.out_scale > crate::quantize::MAX_SCALE
        {
            return bad(format!(
                "scales ({}, {}) exceed {}",
                self.in_scale,
                self.out_scale,
                crate::quantize::MAX_SCALE
            ));
        }
        Ok(())
    }
}

impl std::fmt::Debug for CustomOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomOp")
            .field("domain", &self.domain)
            .field("op_type", &self.op_type)
            .field("table", &self.table)
            .field("in_scale", &self.in_scale)
            .field("out_scale", &self.out_scale)
            .field("table_domain", &self.table_domain)
            .field("float", &self.float.is_some())
            .finish_non_exhaustive()
    }
}

/// The element-wise tract operator of a custom node (float semantics: [`CustomOp::eval_real`]).
#[derive(Clone, Debug)]
pub struct CustomElementWise(pub CustomOp);

impl PartialEq for CustomElementWise {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.key() == b.key()
            && a.isa_table() == b.isa_table()
            && Arc::ptr_eq(&a.eval, &b.eval)
            && a.float.is_some() == b.float.is_some()
    }
}

impl Eq for CustomElementWise {}

impl ElementWiseMiniOp for CustomElementWise {
    fn name(&self) -> String {
        format!("{}::{}", self.0.domain, self.0.op_type)
    }

    fn eval_in_place(&self, t: &mut Tensor, _out_dt: Option<DatumType>) -> TractResult<()> {
        let dt = t.datum_type();
        let mut plain = t.try_as_plain_ram_mut()?;
        match dt {
            DatumType::F32 => plain
                .as_slice_mut::<f32>()?
                .iter_mut()
                .for_each(|x| *x = self.0.eval_real(*x as f64) as f32),
            DatumType::F64 => plain
                .as_slice_mut::<f64>()?
                .iter_mut()
                .for_each(|x| *x = self.0.eval_real(*x)),
            dt => tract_onnx::tract_core::internal::bail!(
                "{}: no float evaluation for {dt:?}",
                self.name()
            ),
        }
        Ok(())
    }
}

/// Whether an element-wise tract operator is a custom one (activation fusion leaves those
/// alone: their function is the user's, not one of Atlas' candidates).
pub(crate) fn is_custom(op: &ElementWiseOp) -> bool {
    op.0.downcast_ref::<CustomElementWise>().is_some()
}

/// The custom nodes of a model: ONNX node name → its operator.
pub(crate) type CustomNodes = HashMap<String, CustomOp>;

/// Checks `ops`, finds the nodes they stand for and renames those nodes' operators so that
/// tract parses them as placeholders; reports a node of a domain that neither `ops` nor tract
/// implements.
pub(crate) fn prepare(
    proto: &mut ModelProto,
    ops: &[CustomOp],
) -> Result<CustomNodes, FrontendError> {
    let mut by_key: HashMap<(&str, &str), &CustomOp> = HashMap::new();
    for op in ops {
        op.check()?;
        if by_key.insert(op.key(), op).is_some() {
            return Err(FrontendError::CustomOp(format!(
                "{}::{} is declared twice",
                op.domain, op.op_type
            )));
        }
    }
    let mut nodes = CustomNodes::new();
    let Some(graph) = proto.graph.as_mut() else {
        return Ok(nodes);
    };
    for node in graph.node.iter_mut() {
        // tract's naming rule for nodes (see `ParsingContext::parse_graph`).
        let name = if !node.name.is_empty() {
            node.name.clone()
        } else {
            node.output.first().cloned().unwrap_or_default()
        };
        let found = by_key
            .get(&(node.domain.as_str(), node.op_type.as_str()))
            .copied();
        if let Some(op) = found {
            if node.input.iter().filter(|i| !i.is_empty()).count() != 1 || node.output.len() != 1 {
                return Err(FrontendError::Unsupported {
                    node: name,
                    op: format!(
                        "{}::{} (a custom table takes one input and gives one output)",
                        op.domain, op.op_type
                    ),
                });
            }
            node.name = name.clone();
            node.op_type = format!("atlas-custom:{}::{}", op.domain, op.op_type);
            nodes.insert(name, op.clone());
        } else if !TRACT_DOMAINS.contains(&node.domain.as_str()) {
            return Err(FrontendError::Unsupported {
                node: name,
                op: format!(
                    "{}::{} (custom domain; no custom operator is registered for it)",
                    node.domain, node.op_type
                ),
            });
        }
    }
    Ok(nodes)
}

/// Replaces the placeholders [`prepare`] made by the custom element-wise operators.
pub(crate) fn install(
    model: &mut InferenceModel,
    nodes: &CustomNodes,
) -> Result<(), FrontendError> {
    for (name, op) in nodes {
        let id = model.node_id_by_name(name).map_err(FrontendError::tract)?;
        model.node_mut(id).op = expand(HirElementWise(Box::new(CustomElementWise(op.clone()))));
    }
    Ok(())
}

/// Lowers a custom node: a `Rescale` to the table's input scale if needed, then the lookup; the
/// table's values go into the program (once per table name, see the module documentation).
pub(crate) fn lower(
    cx: &mut Lowering,
    n: &NodeCx<'_>,
    op: &CustomElementWise,
) -> Result<Value, FrontendError> {
    let op = &op.0;
    cx.b.custom_table(op)?;
    let x = cx.b.at_scale(n.tensor(0)?, op.in_scale);
    let table = op.isa_table();
    let shape = cx.b.shape(x);
    Ok(Value::Tensor(cx.b.emit(
        n.name,
        shape,
        op.out_scale,
        |out| Instr::Lookup { x, table, out },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(domain: (i64, i64)) -> CustomOp {
        CustomOp::new("atlas.test", "F", "f", 4, 4, domain, |x| 2 * x + 1)
    }

    #[test]
    fn materializes_tables_up_to_the_limit() {
        assert_eq!(op((-2, 2)).materialize(), Some(vec![-3, -1, 1, 3, 5]));
        let limit = MAX_CUSTOM_TABLE_ENTRIES as i64;
        let values = op((0, limit - 1)).materialize().unwrap();
        assert_eq!(values.len() as i64, limit);
        assert_eq!(values[limit as usize - 1], 2 * limit - 1);
        assert_eq!(op((0, limit)).materialize(), None);
        assert_eq!(op((3, 2)).materialize(), None);
    }
}
