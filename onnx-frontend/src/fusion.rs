//! Activation fusion: an element-wise subgraph of one input that computes a known activation
//! becomes a single lookup table.
//!
//! PyTorch exports GELU as a dozen scalar operations (`0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`
//! in nanoGPT, in several spellings). Rather than matching spellings, the frontend *evaluates*
//! every element-wise subgraph rooted at one tensor on a grid of sample points with tract's own
//! operators, and compares the result with the candidate functions. A node whose subgraph agrees
//! with a candidate to within [`TOLERANCE`] is lowered as that table on the root; the scalar
//! operations it replaces are dropped by dead-code elimination unless something else reads them.

use std::collections::HashMap;

use atlas_isa::TableFn;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;

/// Largest difference from a candidate function on the sample grid (the model computes in f32
/// and rounds its constants).
const TOLERANCE: f64 = 2e-4;

/// Sample grid: `[-GRID_HALF_WIDTH, GRID_HALF_WIDTH]` in `GRID_POINTS` points.
const GRID_HALF_WIDTH: f64 = 8.0;
const GRID_POINTS: usize = 321;

/// Fewest operators a subgraph needs before fusing it is worth it.
const MIN_NODES: usize = 3;

/// A node to lower as one table on another tensor.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fused {
    /// The subgraph's single non-constant input.
    pub root: OutletId,
    /// The activation it computes.
    pub func: TableFn,
}

/// Binary mini-ops an element-wise subgraph may contain.
const ARITH: &[&str] = &["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"];

fn candidates() -> [(TableFn, fn(f64) -> f64); 2] {
    [
        (TableFn::GeluTanh, |x| {
            let c = (2.0 / std::f64::consts::PI).sqrt();
            0.5 * x * (1.0 + libm::tanh(c * (x + 0.044715 * x * x * x)))
        }),
        (TableFn::Gelu, |x| {
            0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))
        }),
    ]
}

/// Finds the fusable nodes of a model: node id → what to lower it as.
pub(crate) fn find(model: &TypedModel) -> HashMap<usize, Fused> {
    let mut fused = HashMap::new();
    let Ok(order) = model.eval_order() else {
        return fused;
    };
    let grid: Vec<f32> = (0..GRID_POINTS)
        .map(|i| {
            (-GRID_HALF_WIDTH + 2.0 * GRID_HALF_WIDTH * i as f64 / (GRID_POINTS - 1) as f64) as f32
        })
        .collect();
    let grid_tensor = tract_ndarray::Array1::from(grid.clone())
        .into_dyn()
        .into_tensor();
    // The grid laid along the last axis of a tensor of the root's rank (tract's binary operators
    // want operands of equal rank).
    let grid_as = |root: OutletId| -> Option<Tensor> {
        let rank = model.outlet_fact(root).ok()?.rank().max(1);
        let mut shape = vec![1; rank];
        shape[rank - 1] = GRID_POINTS;
        grid_tensor.clone().into_shape(&shape).ok()
    };
    // node → (root, number of operators in its subgraph, values on the grid)
    let mut sub: HashMap<usize, (OutletId, usize, Tensor)> = HashMap::new();
    for n in order {
        let node = model.node(n);
        if node.outputs.len() != 1 || node.outputs[0].fact.konst.is_some() {
            continue;
        }
        let element_wise = node
            .op_as::<TypedBinOp>()
            .is_some_and(|b| ARITH.contains(&b.0.name()))
            || node
                .op_as::<ElementWiseOp>()
                .is_some_and(|e| !crate::custom::is_custom(e));
        if !element_wise || node.outputs[0].fact.datum_type != DatumType::F32 {
            continue;
        }
        let mut root: Option<OutletId> = None;
        let mut size = 1;
        let mut inputs: TVec<TValue> = tvec![];
        let mut ok = true;
        for i in &node.inputs {
            let Ok(fact) = model.outlet_fact(*i) else {
                ok = false;
                break;
            };
            if let Some(k) = &fact.konst {
                if k.len() != 1 {
                    ok = false;
                    break;
                }
                inputs.push(k.clone().into_tensor().into_tvalue());
                continue;
            }
            let (r, s, v) = match sub.get(&i.node) {
                Some((r, s, v)) => (*r, *s, v.clone()),
                None => match grid_as(*i) {
                    Some(g) => (*i, 0, g),
                    None => {
                        ok = false;
                        break;
                    }
                },
            };
            if root.is_some_and(|x| x != r) {
                ok = false;
                break;
            }
            root = Some(r);
            size += s;
            inputs.push(v.into_tvalue());
        }
        let Some(root) = root.filter(|_| ok) else {
            continue;
        };
        let same_shape = model
            .outlet_fact(root)
            .is_ok_and(|f| f.shape == node.outputs[0].fact.shape);
        if !same_shape {
            continue;
        }
        let Ok(Some(out)) = node.op.eval_out_of_plan(inputs) else {
            continue;
        };
        let Some(values) = out.into_iter().next() else {
            continue;
        };
        let values = values.into_tensor();
        if size + 1 >= MIN_NODES {
            if let Ok(view) = values.to_plain_array_view::<f32>() {
                if view.len() == GRID_POINTS {
                    for (func, f) in candidates() {
                        let close = view
                            .iter()
                            .zip(&grid)
                            .all(|(&y, &x)| (y as f64 - f(x as f64)).abs() <= TOLERANCE);
                        if close {
                            fused.insert(n, Fused { root, func });
                            break;
                        }
                    }
                }
            }
        }
        sub.insert(n, (root, size, values));
    }
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exported_gelu() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../guest-examples/models/tiny_gpt/network.onnx");
        let model = crate::load(&path, None).unwrap();
        let found = find(&model.model);
        assert_eq!(found.len(), 2);
        assert!(found.values().all(|f| f.func == TableFn::GeluTanh));
    }
}
