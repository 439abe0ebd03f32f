//! Div (tensor by tensor, broadcast) and Sqrt: committed results, range-checked remainders.
//!
//! # Div
//!
//! `out = round(a·2^k / b)` with `k = s(out) + s(b) − s(a)`, round half up:
//! `2a·2^k + b = 2b·q + rem`, `0 ≤ rem < 2b`. Over the padded layout of `out`, with `A`, `B`
//! the replicated broadcasts of `a`, `b` and `M` the real-position indicator, the prover commits
//! the quotients `Q` and remainders `rem` and proves
//!
//! ```text
//! M·(2^{k+1}·A + B − 2·B·Q − rem) = 0,   rem ∈ [0, 2^32),   M·(2B − 1 − rem) ∈ [0, 2^32),
//! out = M·Q
//! ```
//!
//! (`b ≥ 1` on real positions follows from the two ranges). For the claim `õut(r) = v` one
//! batched sumcheck proves `v = Σ eq(r,·)·M·Q` and the shares `c_1 = Σ eq·M·A`,
//! `c_2 = Σ eq·M·B`, `c_3 = Σ eq·M·B·Q`, `c_4 = Σ eq·M·rem`; the verifier checks
//! `2^{k+1}c_1 + c_2 − 2c_3 − c_4 = 0`, and two Shout range checks read `r̃em(r)` and
//! `2c_2 − M̃(r) − c_4` at `r` (RAF claim = read claim). The end point gives claims on `a`, `b`
//! (projected) and openings of `Q`, `rem`.
//!
//! # Sqrt
//!
//! `out = ⌊√v⌋` with `v = max(x, 0)·2^t`, `t = 2·s(out) − s(x)`. The prover commits the roots
//! `R` and remainders `rem = v − R²`, and the keys of a ReLU lookup `y = max(x, 0)`:
//!
//! ```text
//! 2^t·y − R² − rem = 0,   rem ∈ [0, 2^32),   2R − rem ∈ [0, 2^32),   out = R
//! ```
//!
//! (so `R ≥ 0`, `R² ≤ v < (R + 1)²`; on padding `y = 0` forces `R = rem = 0`). For the claim
//! `õut(r) = v`: `R̃(r) = v` is an opening; a sumcheck proves `c = Σ eq(r,·)·R²`; the prover
//! sends `ỹ(r)` and `r̃em(r)`, the verifier checks `2^t·ỹ(r) − c − r̃em(r) = 0`; range checks
//! read `r̃em(r)` and `2v − r̃em(r)`; the ReLU lookup reads `ỹ(r)` with RAF claim `x̃(r)`.
//!
//! All committed polynomials are fixed before `r` is drawn (Schwartz–Zippel, position by
//! position).

use atlas_isa::{Instr, Program, TensorId};
use atlas_lookups::tables::{RangeTable, ReluTable};
use jolt_core::field::{from_i64, from_u64, Fr};
use jolt_core::poly::DenseMultilinear;

use super::composite::{inner_product, instance, range_keys, statement, Frame, EQ, MASK, PRIVATE};
use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, to_field, Layout};
use super::lookup::{prove_reads, verify_reads, LookupInstance, TableKind};
use super::product::{prove_products, verify_products};
use super::select::{mask_at, project, replicate};
use super::softmax::mask_table;
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::{InstrWitness, Trace};

/// Bits of every range check.
pub(crate) const BITS: usize = 32;

/// Advice: the result (`Q` or `R`), then the remainders.
const RES: usize = 0;
const REM: usize = 1;

/// Lookups: the two range checks, then (Sqrt) the ReLU.
const R_REM: usize = 0;
const R_GAP: usize = 1;
const RELU: usize = 2;

/// The operands of a Div or Sqrt: `(a or x, Some(b) for Div, out, scale exponent)`.
fn operands(program: &Program, index: usize) -> (TensorId, Option<TensorId>, TensorId, u32) {
    let s = |id: TensorId| program.tensor(id).scale;
    match &program.instrs[index] {
        Instr::Div { a, b, out } => (*a, Some(*b), *out, s(*out) + s(*b) - s(*a)),
        Instr::Sqrt { x, out } => (*x, None, *out, 2 * s(*out) - s(*x)),
        _ => unreachable!("dispatched on Div / Sqrt"),
    }
}

/// The plan of the Div or Sqrt at `index`: advice sizes, tables, lookups per instance.
pub(crate) fn plan(
    program: &Program,
    index: usize,
) -> Result<(Vec<usize>, Vec<TableKind>, usize), String> {
    let (_, b, out, k) = operands(program, index);
    if k > 61 {
        return Err("scale exponent above 61".into());
    }
    let lo = Layout::new(&program.tensor(out).shape);
    let range = || {
        RangeTable::new(BITS)
            .map(TableKind::Range)
            .map_err(|e| e.to_string())
    };
    let mut tables = vec![range()?, range()?];
    if b.is_none() {
        tables.push(TableKind::Relu(ReluTable::i32()));
    }
    Ok((vec![lo.num_vars, lo.num_vars], tables, lo.padded_len()))
}

/// `[result, rem]` and the range-checked gap, padded over `out`; for Sqrt also `y = max(x, 0)`.
struct Witness {
    advice: [Vec<i64>; 2],
    gap: Vec<i64>,
    relu: Vec<i64>,
}

fn witness(program: &Program, index: usize, trace: &Trace) -> Result<Witness, String> {
    let (a, b, out, _) = operands(program, index);
    let lo = Layout::new(&program.tensor(out).shape);
    let rem = match trace.witnesses().get(index) {
        Some(InstrWitness::Div { remainders } | InstrWitness::Sqrt { remainders })
            if remainders.len() == program.tensor(out).len() =>
        {
            // Honest remainders are below 2^32; a wrapped one is caught by its range check.
            lo.pad(&remainders.iter().map(|r| *r as i64).collect::<Vec<_>>(), 0)
        }
        _ => return Err("the trace has no remainders for this instruction".into()),
    };
    let res = lo.pad(trace.value(out), 0);
    let (gap, relu) = match b {
        Some(b) => {
            let bv = replicate(&lo, &Layout::new(&program.tensor(b).shape), trace.value(b));
            let mut gap = vec![0i64; lo.padded_len()];
            for j in lo.padded_indices() {
                gap[j] = 2 * bv[j] - 1 - rem[j];
            }
            (gap, Vec::new())
        }
        None => {
            let gap = res.iter().zip(&rem).map(|(r, m)| 2 * r - m).collect();
            let y: Vec<i64> = trace.value(a).to_vec();
            (gap, lo.pad(&y, 0))
        }
    };
    Ok(Witness {
        advice: [res, rem],
        gap,
        relu,
    })
}

/// The advice tables `[result, rem]` of the Div or Sqrt at `index`.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 2], String> {
    Ok(witness(program, index, trace)?.advice)
}

/// The keys of lookup `l` of a Div or Sqrt (a cheating prover, `mask`, reduces range keys).
pub(crate) fn keys(
    program: &Program,
    l: &LookupInstance,
    trace: &Trace,
    mask: bool,
) -> Result<Vec<u64>, String> {
    let w = witness(program, l.instr, trace)?;
    let values = match (l.operand, &l.table) {
        (R_REM, _) => &w.advice[REM],
        (R_GAP, _) => &w.gap,
        (RELU, TableKind::Relu(t)) => {
            return w
                .relu
                .iter()
                .map(|v| i32::try_from(*v).ok().map(|v| t.key(i64::from(v))))
                .collect::<Option<_>>()
                .ok_or_else(|| "a square-root operand does not fit 32 bits".into());
        }
        _ => return Err("lookup plan does not match the instruction".into()),
    };
    range_keys(values, BITS, mask, "range-checked value")
}

/// Prover of the Div or Sqrt at `index`.
#[tracing::instrument(skip_all, name = "division::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let (a, b, out, _) = operands(program, index);
    let plan = p.plan;
    let bad = |e: String| ProveError::Witness(format!("{}: {e}", step_name(program, index)));
    let first = plan.advice_of[index].expect("the plan has advice for every Div / Sqrt");
    let inst = plan.lookup_of[index].expect("the plan has range checks for every Div / Sqrt");
    let lo = p.layout(out);
    let nv = lo.num_vars;
    let r = claim.point.clone();
    let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
    let res = dense(to_field(&p.advice[first + RES]));
    let rem = dense(to_field(&p.advice[first + REM]));
    let eq_r = dense(eq_table(&r));
    let rem_r = rem.evaluate(&r);
    let mut step = StepProof::default();
    let gap_r;
    let mut y_read = None;
    match b {
        Some(b) => {
            let trace = p.trace;
            let mask = dense(mask_table(&lo));
            let (la, lb) = (p.layout(a), p.layout(b));
            let av = dense(to_field(&replicate(&lo, &la, trace.value(a))));
            let bv = dense(to_field(&replicate(&lo, &lb, trace.value(b))));
            let c = [
                inner_product(&[&eq_r, &mask, &av]),
                inner_product(&[&eq_r, &mask, &bv]),
                inner_product(&[&eq_r, &mask, &bv, &res]),
                inner_product(&[&eq_r, &mask, &rem]),
                rem_r,
            ];
            p.send(&mut step, &c);
            let (sc, f) = prove_products(
                vec![
                    instance(&[&eq_r, &mask, &res]),
                    instance(&[&eq_r, &mask, &av]),
                    instance(&[&eq_r, &mask, &bv]),
                    instance(&[&eq_r, &mask, &bv, &res]),
                    instance(&[&eq_r, &mask, &rem]),
                ],
                &mut p.transcript,
            );
            step.sumchecks.push(Ark(sc));
            let s = f[0].0.clone();
            gap_r = from_i64(2) * c[1] - mask_at(&lo, &r) - c[3];
            p.claim(a, project(&lo, &la, &s), f[1].1[2]);
            p.claim(b, project(&lo, &lb, &s), f[2].1[2]);
            open_advice(
                &mut p.openings,
                first,
                [(RES, s.clone(), f[0].1[2]), (REM, s, f[4].1[2])],
            );
        }
        None => {
            let w = witness(program, index, p.trace).map_err(bad)?;
            let y: Vec<i64> = w.relu.iter().map(|v| (*v).max(0)).collect();
            let y_r = dense(to_field(&y)).evaluate(&r);
            y_read = Some(y_r);
            let c = [inner_product(&[&eq_r, &res, &res]), y_r, rem_r];
            p.send(&mut step, &c);
            let (sc, f) = prove_products(vec![instance(&[&eq_r, &res, &res])], &mut p.transcript);
            step.sumchecks.push(Ark(sc));
            gap_r = from_i64(2) * claim.value - rem_r;
            open_advice(
                &mut p.openings,
                first,
                [
                    (RES, f[0].0.clone(), f[0].1[1]),
                    (RES, r.clone(), claim.value),
                ],
            );
        }
    }
    let (part, _) = prove_reads(p, inst + R_REM, &r, rem_r)?;
    step.shout = Some(part);
    p.steps.push(step);
    let (part, _) = prove_reads(p, inst + R_GAP, &r, gap_r)?;
    p.steps.push(StepProof {
        shout: Some(part),
        ..Default::default()
    });
    if let Some(y_r) = y_read {
        let (part, raf) = prove_reads(p, inst + RELU, &r, y_r)?;
        p.steps.push(StepProof {
            shout: Some(part),
            ..Default::default()
        });
        p.claim(a, r.clone(), raf);
    }
    open_advice(&mut p.openings, first, [(REM, r, rem_r)]);
    Ok(())
}

/// Verifier of the Div or Sqrt at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let (a, b, out, k) = operands(program, index);
    let name = step_name(program, index);
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let needed = if b.is_some() { 2 } else { 3 };
    if v.plan.lookups.len() < inst + needed || v.plan.advice_vars.len() < first + 2 || k > 61 {
        return Err(VerifyError::Key(format!("{name}: plan too short")));
    }
    let lo = v.layout(out);
    let r = claim.point.clone();
    let two = from_i64(2);
    let zero = Fr::from(0u64);
    let (step, rem_r, gap_r, y_r) = match b {
        Some(b) => {
            let step = v.step(&name, 5, 1, true)?;
            let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
            if from_u64(1u64 << (k + 1)) * c[0] + c[1] - two * c[2] - c[3] != zero {
                return Err(fail("quotients do not divide a by b"));
            }
            let sts = vec![
                statement(Frame::Flat(&lo), &r, claim.value, vec![EQ, MASK, PRIVATE]),
                statement(Frame::Flat(&lo), &r, c[0], vec![EQ, MASK, PRIVATE]),
                statement(Frame::Flat(&lo), &r, c[1], vec![EQ, MASK, PRIVATE]),
                statement(Frame::Flat(&lo), &r, c[2], vec![EQ, MASK, PRIVATE, PRIVATE]),
                statement(Frame::Flat(&lo), &r, c[3], vec![EQ, MASK, PRIVATE]),
            ];
            let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
            drop(sts);
            let s = f[0].0.clone();
            if f[3].1[2] != f[2].1[2] || f[3].1[3] != f[0].1[2] {
                return Err(fail("Div factor claims disagree"));
            }
            let (la, lb) = (v.layout(a), v.layout(b));
            v.claim(a, project(&lo, &la, &s), f[1].1[2]);
            v.claim(b, project(&lo, &lb, &s), f[2].1[2]);
            open_advice(
                &mut v.openings,
                first,
                [(RES, s.clone(), f[0].1[2]), (REM, s, f[4].1[2])],
            );
            (step, c[4], two * c[1] - mask_at(&lo, &r) - c[3], None)
        }
        None => {
            let step = v.step(&name, 3, 1, true)?;
            let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
            if from_u64(1u64 << k) * c[1] - c[0] - c[2] != zero {
                return Err(fail("root and remainder do not add up to the radicand"));
            }
            let sts = vec![statement(
                Frame::Flat(&lo),
                &r,
                c[0],
                vec![EQ, PRIVATE, PRIVATE],
            )];
            let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
            drop(sts);
            if f[0].1[1] != f[0].1[2] {
                return Err(fail("root claims disagree"));
            }
            open_advice(
                &mut v.openings,
                first,
                [
                    (RES, f[0].0.clone(), f[0].1[1]),
                    (RES, r.clone(), claim.value),
                ],
            );
            (step, c[2], two * claim.value - c[2], Some(c[1]))
        }
    };
    let part = step.shout.as_ref().expect("shape checked by step");
    if verify_reads(v, inst + R_REM, part, &r, rem_r, &name)? != rem_r {
        return Err(fail("range check does not read the remainders"));
    }
    let step = v.step(&name, 0, 0, true)?;
    let part = step.shout.as_ref().expect("shape checked by step");
    if verify_reads(v, inst + R_GAP, part, &r, gap_r, &name)? != gap_r {
        return Err(fail("range check does not read the remainder gaps"));
    }
    if let Some(y_r) = y_r {
        let step = v.step(&name, 0, 0, true)?;
        let part = step.shout.as_ref().expect("shape checked by step");
        let raf = verify_reads(v, inst + RELU, part, &r, y_r, &name)?;
        v.claim(a, r.clone(), raf);
    }
    open_advice(&mut v.openings, first, [(REM, r, rem_r)]);
    Ok(())
}
