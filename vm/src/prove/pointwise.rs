//! Relations without a sumcheck: Add, Sub, Neg, MulConst, Broadcast, Transpose and bit-aligned
//! Reshape.
//!
//! # Relations
//!
//! For the claim `õut(r) = v`:
//!
//! * **Broadcast** (NumPy, right-aligned) of `a` to the shape of `out`: `a` does not depend on
//!   the axes it is broadcast along, and the zero padding of `out` restricts them to `[0, d)`:
//!   `ã_b(r) = ã(r_a)·Π_{broadcast axes} valid_d(r_axis)`, where `r_a` keeps the sub-points of
//!   the axes `a` has (its extent-1 axes have no variables).
//! * **Add / Sub**: the prover sends `A = ã(r_a)`, `B = b̃(r_b)`; the verifier checks
//!   `v = A·V_a ± B·V_b` with the validity products `V` above.
//! * **Neg**: `x̃(r) = −v`. **MulConst** by `c ≠ 0`: `x̃(r) = v/c`; for `c = 0` the verifier
//!   checks `v = 0` and `x` gets no claim.
//! * **Broadcast**: the prover sends `X = x̃(r_x)`; the verifier checks `v = X·V_x`.
//! * **Transpose** by `perm`: `x̃` at the point whose axis `perm[i]` sub-point is `out`'s axis
//!   `i` sub-point (padding is per axis, so it permutes with the axes).
//! * **Reshape**, when every element keeps its padded index (e.g. `[1,16,4,4] → [1,256]`): the
//!   same point. Other reshapes are sparse linear maps ([`super::linear_map`]).

use ark_ff::{Field, Zero};
use atlas_isa::{Instr, Program, TensorId};
use jolt_core::field::{from_i64, Fr};

use super::encoding::StepProof;
use super::layout::{assemble, valid_axis, Layout};
use super::{step_name, Claim, Prover, Verifier, VerifyError};

/// The point on `input` (broadcast to `out`) matching the point `r` on `out`, and the validity
/// product of the broadcast axes.
pub(crate) fn project(out: &Layout, input: &Layout, r: &[Fr]) -> (Vec<Fr>, Fr) {
    let lead = out.dims.len() - input.dims.len();
    let mut factor = Fr::from(1u64);
    let mut subs = Vec::with_capacity(input.dims.len());
    for axis in 0..out.dims.len() {
        let sub = out.sub_point(r, axis);
        if axis < lead || input.dims[axis - lead] != out.dims[axis] {
            factor *= valid_axis(sub, out.dims[axis]);
            if axis >= lead {
                subs.push(Vec::new());
            }
        } else {
            subs.push(sub.to_vec());
        }
    }
    (assemble(input, &subs), factor)
}

/// Whether a reshape keeps every element's padded index (then it is free).
pub(crate) fn reshape_is_aligned(program: &Program, x: TensorId, out: TensorId) -> bool {
    let a = Layout::new(&program.tensor(x).shape);
    let b = Layout::new(&program.tensor(out).shape);
    a.num_vars == b.num_vars && a.padded_indices() == b.padded_indices()
}

/// The transposed point.
fn transpose_point(
    program: &Program,
    x: TensorId,
    out: TensorId,
    perm: &[usize],
    r: &[Fr],
) -> Vec<Fr> {
    let lo = Layout::new(&program.tensor(out).shape);
    let lx = Layout::new(&program.tensor(x).shape);
    let mut subs = vec![Vec::new(); lx.dims.len()];
    for (i, &p) in perm.iter().enumerate() {
        subs[p] = lo.sub_point(r, i).to_vec();
    }
    assemble(&lx, &subs)
}

/// Prover of the sumcheck-free relations.
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) {
    let program = p.program;
    let Claim { point, value } = claim;
    match &program.instrs[index] {
        Instr::Add { a, b, out } | Instr::Sub { a, b, out } => {
            let lo = p.layout(*out);
            let (ra, _) = project(&lo, &p.layout(*a), &point);
            let (rb, _) = project(&lo, &p.layout(*b), &point);
            let va = p.layout(*a).evaluate(p.value(*a), &ra);
            let vb = p.layout(*b).evaluate(p.value(*b), &rb);
            let mut step = StepProof::default();
            p.send(&mut step, &[va, vb]);
            p.steps.push(step);
            p.claim(*a, ra, va);
            p.claim(*b, rb, vb);
        }
        Instr::Neg { x, .. } => p.claim(*x, point, -value),
        Instr::MulConst { x, c, .. } => {
            if *c != 0 {
                let inv = from_i64(*c).inverse().expect("c ≠ 0");
                p.claim(*x, point, value * inv);
            }
        }
        Instr::Broadcast { x, out } => {
            let (rx, _) = project(&p.layout(*out), &p.layout(*x), &point);
            let vx = p.layout(*x).evaluate(p.value(*x), &rx);
            let mut step = StepProof::default();
            p.send(&mut step, &[vx]);
            p.steps.push(step);
            p.claim(*x, rx, vx);
        }
        Instr::Transpose { x, perm, out } => {
            let rx = transpose_point(program, *x, *out, perm, &point);
            p.claim(*x, rx, value);
        }
        Instr::Reshape { x, .. } => p.claim(*x, point, value),
        _ => unreachable!("dispatched on a pointwise instruction"),
    }
}

/// Verifier of the sumcheck-free relations.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let name = step_name(program, index);
    let Claim { point, value } = claim;
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    match &program.instrs[index] {
        instr @ (Instr::Add { a, b, out } | Instr::Sub { a, b, out }) => {
            let lo = v.layout(*out);
            let (ra, fa) = project(&lo, &v.layout(*a), &point);
            let (rb, fb) = project(&lo, &v.layout(*b), &point);
            let step = v.step(&name, 2, 0, false)?;
            let (va, vb) = (step.values[0].0, step.values[1].0);
            let combined = if matches!(instr, Instr::Add { .. }) {
                va * fa + vb * fb
            } else {
                va * fa - vb * fb
            };
            if combined != value {
                return Err(fail("output claim is not the sum of the operand claims"));
            }
            v.claim(*a, ra, va);
            v.claim(*b, rb, vb);
        }
        Instr::Neg { x, .. } => v.claim(*x, point, -value),
        Instr::MulConst { x, c, .. } => {
            if *c == 0 {
                if !value.is_zero() {
                    return Err(fail("a product with 0 must be 0"));
                }
            } else {
                let inv = from_i64(*c).inverse().expect("c ≠ 0");
                v.claim(*x, point, value * inv);
            }
        }
        Instr::Broadcast { x, out } => {
            let (rx, fx) = project(&v.layout(*out), &v.layout(*x), &point);
            let step = v.step(&name, 1, 0, false)?;
            let vx = step.values[0].0;
            if vx * fx != value {
                return Err(fail("broadcast claim does not match its operand"));
            }
            v.claim(*x, rx, vx);
        }
        Instr::Transpose { x, perm, out } => {
            let rx = transpose_point(program, *x, *out, perm, &point);
            v.claim(*x, rx, value);
        }
        Instr::Reshape { x, .. } => v.claim(*x, point, value),
        _ => unreachable!("dispatched on a pointwise instruction"),
    }
    Ok(())
}
