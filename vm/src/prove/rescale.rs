//! Rescale: `out = ⌊(x + h) / 2^k⌋` with `h = 2^(k−1)`; and the commitment of every advice
//! table (rescale remainders, MaxPool's maxima, selections and gaps).
//!
//! # Relation
//!
//! The remainder `rem = x + h − 2^k·out ∈ [0, 2^k)` is committed advice over the layout of `x`.
//! On padding positions `x = out = 0`, so `rem = h` there and the identity holds on the whole
//! hypercube; as multilinear extensions,
//!
//! ```text
//! x̃(r) = 2^k·õut(r) + r̃em(r) − h.
//! ```
//!
//! For the claim `õut(r) = v` the prover sends `R = r̃em(r)` (an opening claim on the advice
//! commitment); the verifier derives the claim `x̃(r) = 2^k·v + R − h`. The range check is a
//! Shout lookup of every remainder into `[0, 2^k)` (`Val = Op = id`) read at the same `r`: its
//! read claim is `R` and its RAF claim must equal `R` too. With `rem` committed before `r` is
//! drawn, this proves every remainder (padding included) is in range, hence `out` is the
//! rounded quotient. For `k = 0`, `out = x` and the claim passes through.

use atlas_isa::Instr;
use jolt_core::field::{from_u64, Fr};
use jolt_core::pcs::dory::{DoryCommitment, DoryHint};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::transcript::Transcript;

use super::encoding::StepProof;
use super::layout::Layout;
use super::{
    open_advice, step_name, Claim, OpeningClaim, Poly, ProveError, Prover, ProvingKey, Verifier,
    VerifyError,
};
use crate::trace::Trace;

const ADVICE_COMMITMENT: &[u8] = b"advice_commitment";

/// Builds every advice table (rescale remainders with padding `h`, and the other relations'
/// advice), packs them into the plan's bins, commits the bins and absorbs the commitments.
/// Returns the tables, the bins, the bin commitments and their hints.
#[allow(clippy::type_complexity)]
#[tracing::instrument(skip_all, name = "rescale::commit_advice")]
pub(crate) fn commit_advice(
    pk: &ProvingKey,
    trace: &Trace,
    transcript: &mut Transcript,
) -> Result<
    (
        Vec<Vec<i64>>,
        Vec<Vec<i64>>,
        Vec<DoryCommitment>,
        Vec<DoryHint>,
    ),
    ProveError,
> {
    let program = &pk.vk.program;
    let mut tables = Vec::new();
    let mut bin_tables = Vec::new();
    let mut commitments = Vec::new();
    let mut hints = Vec::new();
    for (index, instr) in program.instrs.iter().enumerate() {
        if pk.plan.advice_of[index].is_none() {
            continue;
        }
        let bad = |e: String| ProveError::Witness(format!("{}: {e}", step_name(program, index)));
        let instr_tables: Vec<Vec<i64>> = match instr {
            Instr::Rescale { x, shift, .. } => {
                let info = program.tensor(*x);
                let rem =
                    super::lookup::rescale_remainders(trace, index, info.len()).map_err(bad)?;
                let rem: Vec<i64> = rem
                    .iter()
                    .map(|r| i64::try_from(*r))
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad("remainder beyond 2^63".into()))?;
                vec![Layout::new(&info.shape).pad(&rem, 1i64 << (shift - 1))]
            }
            Instr::Lookup { x, table, .. } => {
                let atlas_isa::TableFn::LeakyRelu { alpha_q } = table.func else {
                    return Err(bad("no advice for this table".into()));
                };
                let rem = super::lookup::leaky_remainders(trace.value(*x), alpha_q).map_err(bad)?;
                let h = 1i64 << (atlas_isa::table::LEAKY_ALPHA_BITS - 1);
                vec![Layout::new(&program.tensor(*x).shape).pad(&rem, h)]
            }
            Instr::Max { .. } | Instr::Min { .. } | Instr::Less { .. } => {
                super::select::advice(program, index, trace)
                    .map_err(bad)?
                    .to_vec()
            }
            Instr::Gather { .. } => {
                vec![super::gather::selection(program, index, trace).map_err(bad)?]
            }
            Instr::Equal { .. } => super::compare::advice(program, index, trace)
                .map_err(bad)?
                .to_vec(),
            Instr::Div { .. } | Instr::Sqrt { .. } => {
                super::division::advice(program, index, trace)
                    .map_err(bad)?
                    .to_vec()
            }
            Instr::RmsNorm { .. } => super::norm::advice(program, index, trace)
                .map_err(bad)?
                .to_vec(),
            Instr::Softmax { .. } => super::softmax::advice(program, index, trace)
                .map_err(bad)?
                .to_vec(),
            Instr::MaxPool { .. } | Instr::ReduceMax { .. } => {
                super::maxpool::advice(program, index, trace)
                    .map_err(bad)?
                    .to_vec()
            }
            _ => return Err(bad("no advice for this instruction".into())),
        };
        tables.extend(instr_tables);
    }
    let plan = &pk.plan;
    if tables.len() != plan.advice_vars.len()
        || tables
            .iter()
            .zip(&plan.advice_vars)
            .any(|(t, v)| t.len() != 1 << v)
    {
        return Err(ProveError::Witness(
            "advice tables do not match the plan".into(),
        ));
    }
    let mut bins: Vec<Vec<i64>> = plan.advice_bins.iter().map(|v| vec![0; 1 << v]).collect();
    for (table, &(bin, offset)) in tables.iter().zip(&plan.advice_slot) {
        bins[bin][offset..offset + table.len()].copy_from_slice(table);
    }
    for bin in bins {
        let (c, h) = DoryScheme::commit_small(&pk.setup, &bin)?;
        transcript.append_serializable(ADVICE_COMMITMENT, &c);
        commitments.push(c);
        hints.push(h);
        bin_tables.push(bin);
    }
    Ok((tables, bin_tables, commitments, hints))
}

/// Moves the opening claims on advice polynomials to their bins: a claim `a_i(r) = v` is the
/// claim `bin(r ‖ bits(offset_i / 2^{|r|})) = v` on the bin holding `a_i` at `offset_i` (the
/// bin's high coordinates select the segment).
pub(crate) fn pack_advice_claims(plan: &super::lookup::Plan, openings: &mut [OpeningClaim]) {
    for o in openings.iter_mut() {
        let Poly::Advice(i) = o.poly else {
            continue;
        };
        let (bin, offset) = plan.advice_slot[i];
        let vars = plan.advice_vars[i];
        o.point.resize(vars, Fr::from(0u64));
        let segment = offset >> vars;
        o.point.extend(
            (0..plan.advice_bins[bin] - vars).map(|b| from_u64(((segment >> b) & 1) as u64)),
        );
        o.poly = Poly::Advice(bin);
    }
}

/// Absorbs the proof's advice commitments, checking their number.
pub(crate) fn absorb_advice(
    plan: &super::lookup::Plan,
    proof: &super::Proof,
    transcript: &mut Transcript,
) -> Result<(), VerifyError> {
    if proof.advice_commitments.len() != plan.advice_bins.len() {
        return Err(VerifyError::Malformed(format!(
            "{} advice commitments, expected {}",
            proof.advice_commitments.len(),
            plan.advice_bins.len()
        )));
    }
    for c in &proof.advice_commitments {
        transcript.append_serializable(ADVICE_COMMITMENT, &c.0);
    }
    Ok(())
}

/// `2^k` and `h = 2^(k−1)` as field elements.
fn constants(shift: u32) -> (Fr, Fr) {
    (from_u64(1u64 << shift), from_u64(1u64 << (shift - 1)))
}

/// Prover of the rescale at `index`.
#[tracing::instrument(skip_all, name = "rescale::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let Instr::Rescale { x, shift, .. } = p.program.instrs[index] else {
        unreachable!("dispatched on Rescale")
    };
    let Some(advice) = p.plan.advice_of[index] else {
        p.claim(x, claim.point, claim.value);
        return Ok(());
    };
    let table = super::layout::to_field(&p.advice[advice]);
    let rem = jolt_core::poly::DenseMultilinear::new(table).evaluate(&claim.point);
    let mut step = StepProof::default();
    p.send(&mut step, &[rem]);
    let inst = p.plan.lookup_of[index].expect("every rescale with advice has a range check");
    // The honest read claim is `rem` itself; a cheating prover that looked up `rem mod 2^k`
    // must read that polynomial (and is then caught by the verifier's `raf = rem` check).
    let rv = if p.mask_range_keys {
        let mask = (1i64 << shift) - 1;
        let masked: Vec<i64> = p.advice[advice].iter().map(|r| r & mask).collect();
        jolt_core::poly::DenseMultilinear::new(super::layout::to_field(&masked))
            .evaluate(&claim.point)
    } else {
        rem
    };
    let (part, _raf) = super::lookup::prove_reads(p, inst, &claim.point, rv)?;
    step.shout = Some(part);
    p.steps.push(step);
    let (two_k, h) = constants(shift);
    open_advice(&mut p.openings, advice, [(0, claim.point.clone(), rem)]);
    p.claim(x, claim.point, two_k * claim.value + rem - h);
    Ok(())
}

/// Verifier of the rescale at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let Instr::Rescale { x, shift, .. } = v.program.instrs[index] else {
        unreachable!("dispatched on Rescale")
    };
    let Some(advice) = v.plan.advice_of[index] else {
        v.claim(x, claim.point, claim.value);
        return Ok(());
    };
    let name = step_name(v.program, index);
    let step = v.step(&name, 1, 0, true)?;
    let rem = step.values[0].0;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf = super::lookup::verify_reads(v, inst, part, &claim.point, rem, &name)?;
    if raf != rem {
        return Err(VerifyError::Check {
            step: name,
            what: "range check does not read the remainders",
        });
    }
    let (two_k, h) = constants(shift);
    open_advice(&mut v.openings, advice, [(0, claim.point.clone(), rem)]);
    v.claim(x, claim.point, two_k * claim.value + rem - h);
    Ok(())
}
