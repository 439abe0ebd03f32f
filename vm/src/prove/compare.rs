//! Equal (broadcast): a committed signed indicator of inequality and a range-checked gap.
//!
//! # Relation
//!
//! Over the padded layout of `out`, with `A`, `B` the replicated broadcasts of `a`, `b` and `M`
//! the real-position indicator, the prover commits `v ∈ {−1, 0, 1}` (the sign of `a − b`) and
//! `g ∈ [0, 2^32)` (`|a − b| − 1` where they differ, else 0; both zero on padding):
//!
//! ```text
//! v³ = v,      M·(A − B) = M·v·(g + 1),      g ∈ [0, 2^32),      out = M·(1 − v²)
//! ```
//!
//! `v = 0` forces `a = b`; `v = ±1` forces `|a − b| = g + 1 ≥ 1`; so `out = [a = b]`. For the
//! claim `õut(r) = w`, one batched sumcheck at `r` proves `M̃(r) − w = Σ eq·M·v²`, the shares
//! `c_A = Σ eq·M·A`, `c_B = Σ eq·M·B`, `c_vg = Σ eq·M·v·g`, `c_v = Σ eq·M·v` (checked:
//! `c_A − c_B = c_vg + c_v`) and `Σ eq·v³ = Σ eq·v`; a Shout range check reads `g̃(r)`
//! (RAF claim equal to it). The end point gives claims on `a`, `b` (projected) and openings of
//! `v`, `g`; everything committed is fixed before `r` (Schwartz–Zippel).

use atlas_isa::{Instr, Program, TensorId};
use jolt_core::field::Fr;
use jolt_core::poly::DenseMultilinear;

use super::composite::{inner_product, instance, range_keys, statement, Frame, EQ, MASK, PRIVATE};
use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, to_field, Layout};
use super::lookup::{prove_reads, verify_reads};
use super::product::{prove_products, verify_products};
use super::select::{mask_at, project, replicate};
use super::softmax::mask_table;
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::Trace;

/// Bits of the gap range check.
pub(crate) const GAP_BITS: usize = 32;

fn operands(program: &Program, index: usize) -> (TensorId, TensorId, TensorId) {
    match &program.instrs[index] {
        Instr::Equal { a, b, out } => (*a, *b, *out),
        _ => unreachable!("dispatched on Equal"),
    }
}

/// The advice `[v, g]` of the Equal at `index`, padded over `out`.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 2], String> {
    let (a, b, out) = operands(program, index);
    let lo = Layout::new(&program.tensor(out).shape);
    let av = replicate(&lo, &Layout::new(&program.tensor(a).shape), trace.value(a));
    let bv = replicate(&lo, &Layout::new(&program.tensor(b).shape), trace.value(b));
    let (mut v, mut g) = (vec![0i64; lo.padded_len()], vec![0i64; lo.padded_len()]);
    for j in lo.padded_indices() {
        let d = av[j]
            .checked_sub(bv[j])
            .ok_or("a difference overflows 64 bits")?;
        v[j] = d.signum();
        g[j] = (d.unsigned_abs().max(1) - 1) as i64;
    }
    Ok([v, g])
}

/// The keys of the gap range check (`mask`: a cheating prover reduces them modulo `2^32`).
pub(crate) fn keys(
    program: &Program,
    index: usize,
    trace: &Trace,
    mask: bool,
) -> Result<Vec<u64>, String> {
    let [_, g] = advice(program, index, trace)?;
    range_keys(&g, GAP_BITS, mask, "equality gap")
}

/// Prover of the Equal at `index`.
#[tracing::instrument(skip_all, name = "compare::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let (a, b, out) = operands(program, index);
    let first = p.plan.advice_of[index].expect("the plan has advice for every Equal");
    let inst = p.plan.lookup_of[index].expect("the plan has a range check for every Equal");
    let lo = p.layout(out);
    let (la, lb) = (p.layout(a), p.layout(b));
    let nv = lo.num_vars;
    let r = claim.point.clone();
    let trace = p.trace;
    let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
    let eq_r = dense(eq_table(&r));
    let mask = dense(mask_table(&lo));
    let av = dense(to_field(&replicate(&lo, &la, trace.value(a))));
    let bv = dense(to_field(&replicate(&lo, &lb, trace.value(b))));
    let v = dense(to_field(&p.advice[first]));
    let g = dense(to_field(&p.advice[first + 1]));
    let g_r = g.evaluate(&r);
    let c = [
        inner_product(&[&eq_r, &mask, &av]),
        inner_product(&[&eq_r, &mask, &bv]),
        inner_product(&[&eq_r, &mask, &v, &g]),
        inner_product(&[&eq_r, &mask, &v]),
        inner_product(&[&eq_r, &v, &v, &v]),
        g_r,
    ];
    let mut step = StepProof::default();
    p.send(&mut step, &c);
    let (sc, f) = prove_products(
        vec![
            instance(&[&eq_r, &mask, &v, &v]),
            instance(&[&eq_r, &mask, &av]),
            instance(&[&eq_r, &mask, &bv]),
            instance(&[&eq_r, &mask, &v, &g]),
            instance(&[&eq_r, &mask, &v]),
            instance(&[&eq_r, &v, &v, &v]),
            instance(&[&eq_r, &v]),
        ],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    let (part, _) = prove_reads(p, inst, &r, g_r)?;
    step.shout = Some(part);
    p.steps.push(step);
    let s = f[0].0.clone();
    p.claim(a, project(&lo, &la, &s), f[1].1[2]);
    p.claim(b, project(&lo, &lb, &s), f[2].1[2]);
    open_advice(
        &mut p.openings,
        first,
        [(0, s.clone(), f[0].1[2]), (1, s, f[3].1[3]), (1, r, g_r)],
    );
    Ok(())
}

/// Verifier of the Equal at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let (a, b, out) = operands(program, index);
    let name = step_name(program, index);
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let lo = v.layout(out);
    let r = claim.point.clone();
    let step = v.step(&name, 6, 1, true)?;
    let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
    if c[0] - c[1] != c[2] + c[3] {
        return Err(fail("a − b is not v·(g + 1)"));
    }
    let st = |claim: Fr, factors: Vec<Option<u8>>| statement(Frame::Flat(&lo), &r, claim, factors);
    let sts = vec![
        st(
            mask_at(&lo, &r) - claim.value,
            vec![EQ, MASK, PRIVATE, PRIVATE],
        ),
        st(c[0], vec![EQ, MASK, PRIVATE]),
        st(c[1], vec![EQ, MASK, PRIVATE]),
        st(c[2], vec![EQ, MASK, PRIVATE, PRIVATE]),
        st(c[3], vec![EQ, MASK, PRIVATE]),
        st(c[4], vec![EQ, PRIVATE, PRIVATE, PRIVATE]),
        st(c[4], vec![EQ, PRIVATE]),
    ];
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    drop(sts);
    let s = f[0].0.clone();
    let v_s = f[0].1[2];
    if f[0].1[3] != v_s
        || f[3].1[2] != v_s
        || f[4].1[2] != v_s
        || f[5].1[1..].iter().any(|x| *x != v_s)
        || f[6].1[1] != v_s
    {
        return Err(fail("indicator claims disagree"));
    }
    let g_r = c[5];
    let part = step.shout.as_ref().expect("shape checked by step");
    if verify_reads(v, inst, part, &r, g_r, &name)? != g_r {
        return Err(fail("range check does not read the gaps"));
    }
    let (la, lb) = (v.layout(a), v.layout(b));
    v.claim(a, project(&lo, &la, &s), f[1].1[2]);
    v.claim(b, project(&lo, &lb, &s), f[2].1[2]);
    open_advice(
        &mut v.openings,
        first,
        [(0, s.clone(), v_s), (1, s, f[3].1[3]), (1, r, g_r)],
    );
    Ok(())
}
