//! Gather with public indices (token and position embeddings): a public sparse 0/1 map.
//!
//! # Relation
//!
//! For `out[i, j, k] = data[i, idx[j], k]` along `axis` (negative indices resolved to
//! `idx + n`), with `idx` a public input or a public constant, `out = S·data` for the 0/1
//! matrix `S` with one entry per output element. The verifier builds `S` from the index values
//! (checking every index is in `[−n, n)`), so the relation is [`super::linear_map`]'s: for the
//! claim `õut(r) = v`, one degree-2 sumcheck
//!
//! ```text
//! v = Σ_y data(y)·W(y),        W(y) = Σ_{(x, y) ∈ S} eq(r, x),
//! ```
//!
//! ends at `s` with the claim `d̃ata(s)`; the verifier computes `W(s)` in `O(|out|)`. The
//! indices themselves need no claim (they are public). Indices computed inside the program
//! (data-dependent addresses) need a lookup into the committed table and are refused by the
//! plan.

use atlas_isa::{Instr, Program, Role, TensorId};

use super::layout::for_each_index;
use super::linear_map::{prove_single, verify_single, SparseMap};
use super::{step_name, Claim, ProveError, Prover, Verifier, VerifyError};

/// Whether the indices of a Gather are public (an input or a constant).
pub(crate) fn indices_are_public(program: &Program, indices: TensorId) -> bool {
    matches!(program.tensor(indices).role, Role::Input | Role::Constant)
}

/// The values of a public tensor: an input from `inputs`, or a constant of the program.
pub(crate) fn public_values<'a>(
    program: &'a Program,
    inputs: &'a [Vec<i64>],
    id: TensorId,
) -> Option<&'a [i64]> {
    match program.tensor(id).role {
        Role::Input => {
            let k = program.inputs.iter().position(|&i| i == id)?;
            inputs.get(k).map(Vec::as_slice)
        }
        Role::Constant => program
            .constants
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.values.as_slice()),
        _ => None,
    }
}

/// The map `data → out` of the Gather at `index` for the index values `idx`; `Err` names the
/// first index outside `[−n, n)`.
pub(crate) fn map(program: &Program, index: usize, idx: &[i64]) -> Result<SparseMap, i64> {
    let Instr::Gather {
        data,
        indices,
        axis,
        out,
    } = &program.instrs[index]
    else {
        unreachable!("dispatched on Gather")
    };
    let d_shape = &program.tensor(*data).shape;
    let o_shape = &program.tensor(*out).shape;
    let n = d_shape[*axis] as i64;
    let rank_i = program.tensor(*indices).shape.len();
    let d_strides = super::layout::strides(d_shape);
    let i_strides = super::layout::strides(&program.tensor(*indices).shape);
    let mut pairs = Vec::with_capacity(idx.len());
    let mut bad = None;
    for_each_index(o_shape, |flat, o| {
        // out[pre, j, post] = data[pre, idx[j], post].
        let j: usize = (0..rank_i).map(|b| o[axis + b] * i_strides[b]).sum();
        let mut v = idx[j];
        if v < 0 {
            v += n;
        }
        if !(0..n).contains(&v) {
            bad.get_or_insert(idx[j]);
            return;
        }
        let src: usize = (0..*axis).map(|a| o[a] * d_strides[a]).sum::<usize>()
            + v as usize * d_strides[*axis]
            + (axis + 1..d_shape.len())
                .map(|a| o[a + rank_i - 1] * d_strides[a])
                .sum::<usize>();
        pairs.push((flat, src));
    });
    match bad {
        Some(v) => Err(v),
        None => Ok(SparseMap::from_flat(o_shape, d_shape, &pairs)),
    }
}

/// Prover of the Gather at `index`.
#[tracing::instrument(skip_all, name = "gather::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let Instr::Gather { data, indices, .. } = &p.program.instrs[index] else {
        unreachable!("dispatched on Gather")
    };
    let (data, indices) = (*data, *indices);
    let trace = p.trace;
    let m = map(p.program, index, trace.value(indices)).map_err(|v| {
        ProveError::Witness(format!(
            "{}: index {v} out of range",
            step_name(p.program, index)
        ))
    })?;
    let (proof, input_claim) = prove_single(p, &m, trace.value(data), &claim);
    p.steps.push(super::StepProof {
        sumchecks: vec![proof],
        ..Default::default()
    });
    p.claim(data, input_claim.point, input_claim.value);
    Ok(())
}

/// Verifier of the Gather at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let Instr::Gather { data, indices, .. } = &v.program.instrs[index] else {
        unreachable!("dispatched on Gather")
    };
    let (data, indices) = (*data, *indices);
    let name = step_name(v.program, index);
    let idx = public_values(v.program, v.inputs, indices)
        .ok_or_else(|| VerifyError::Key(format!("{name}: the indices are not public")))?;
    let m = map(v.program, index, idx)
        .map_err(|i| VerifyError::Statement(format!("{name}: index {i} out of range")))?;
    let step = v.step(&name, 0, 1, false)?;
    let input_claim = verify_single(v, &m, &claim, &step.sumchecks[0].0, &name)?;
    v.claim(data, input_claim.point, input_claim.value);
    Ok(())
}
