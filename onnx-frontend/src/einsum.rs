//! tract's `EinSum` axes mapping → the ISA's two-operand [`EinsumSpec`].
//!
//! tract describes an einsum by its axes: each axis has a label and its positions in every input
//! and in the output. Labels are renamed to `a`, `b`, `c`... in axis order. An axis that appears
//! in the output but in no input (tract inserts such size-1 axes when it folds reshapes) is left
//! out of the ISA einsum and restored by a `Reshape` afterwards. An axis repeated within one
//! operand (a diagonal) has no ISA form.

use atlas_isa::EinsumSpec;
use tract_onnx::prelude::tract_itertools::{EitherOrBoth, Itertools};
use tract_onnx::tract_core::axes::{AxesMapping, Axis};

/// The ISA form of a two-input einsum.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Lowered {
    /// Labels for the ISA instruction.
    pub spec: EinsumSpec,
    /// Whether the output of the ISA einsum must be reshaped to tract's output shape (it lacks
    /// some size-1 axes).
    pub needs_reshape: bool,
    /// The label of every axis of tract's output (`None` for the output-only size-1 axes).
    pub out_labels: Vec<Option<char>>,
}

/// Converts a two-input, one-output axes mapping; `Err` says why it has no ISA form.
pub(crate) fn lower_mapping(mapping: &AxesMapping, out_shape: &[usize]) -> Result<Lowered, String> {
    if mapping.input_count() != 2 || mapping.output_count() != 1 {
        return Err(format!(
            "einsum with {} inputs and {} outputs",
            mapping.input_count(),
            mapping.output_count()
        ));
    }
    let rank = |f: &dyn Fn(&Axis) -> usize| mapping.iter_all_axes().map(f).sum::<usize>();
    let mut a = vec![' '; rank(&|x| x.inputs[0].len())];
    let mut b = vec![' '; rank(&|x| x.inputs[1].len())];
    let mut out = vec![None; rank(&|x| x.outputs[0].len())];
    let labels = ('a'..='z').chain('A'..='Z');
    for pair in mapping.iter_all_axes().zip_longest(labels) {
        let (axis, label) = match pair {
            EitherOrBoth::Both(axis, label) => (axis, label),
            EitherOrBoth::Left(_) => return Err("einsum with more than 52 axes".into()),
            EitherOrBoth::Right(_) => break,
        };
        let (ia, ib, io) = (&axis.inputs[0], &axis.inputs[1], &axis.outputs[0]);
        if ia.len() > 1 || ib.len() > 1 || io.len() > 1 {
            return Err(format!(
                "einsum axis {} repeated within an operand",
                axis.repr
            ));
        }
        for &p in ia {
            a[p] = label;
        }
        for &p in ib {
            b[p] = label;
        }
        for &p in io {
            let in_inputs = !ia.is_empty() || !ib.is_empty();
            if !in_inputs && out_shape.get(p) != Some(&1) {
                return Err(format!(
                    "einsum output axis {} comes from no input",
                    axis.repr
                ));
            }
            out[p] = in_inputs.then_some(label);
        }
    }
    let needs_reshape = out.iter().any(|l| l.is_none());
    Ok(Lowered {
        spec: EinsumSpec {
            a: a.into_iter().collect(),
            b: b.into_iter().collect(),
            out: out.iter().flatten().collect(),
        },
        needs_reshape,
        out_labels: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn matmul_and_attention() {
        let m = AxesMapping::from_str("mk,kn->mn").unwrap();
        let l = lower_mapping(&m, &[2, 3]).unwrap();
        assert_eq!(l.spec.a.len(), 2);
        assert_eq!(l.spec.out.len(), 2);
        assert!(!l.needs_reshape);
        // 'a' only in the output, of size 1.
        let m = AxesMapping::from_str("mbk,nbk->abmn").unwrap();
        let l = lower_mapping(&m, &[1, 4, 8, 8]).unwrap();
        assert!(l.needs_reshape);
        assert_eq!(l.spec.out.len(), 3);
        assert!(lower_mapping(&m, &[2, 4, 8, 8]).is_err());
        let m = AxesMapping::from_str("ii,ij->j").unwrap();
        assert!(lower_mapping(&m, &[3]).is_err());
    }
}
