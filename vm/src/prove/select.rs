//! Max, Min and Less (broadcast): a committed selection bit and a range-checked gap.
//!
//! # Relation
//!
//! Over the padded layout of `out`, let `A`, `B` be the operands broadcast by *replication*
//! (`A(x) = a[proj(x)]` for every `x` whose own coordinates are real, whatever its broadcast
//! coordinates, so `Ã(s) = ã(s_a)`), `M` the public indicator of real positions, and `d = A − B`
//! for Max (`d = B − A` for Min). The prover commits, up front, `sel ∈ {0, 1}` (1 where the
//! output is `a`; 0 on padding) and the gap `g = M·(sel·(2d + 1) − d − 1) ∈ [0, 2^32)` —
//! `d ≥ 0` where `a` is selected, `d ≤ −1` where `b` is. For the claim `õut(r) = v`:
//!
//! 1. `v = Σ eq(r,·)·M·B + Σ eq(r,·)·sel·A − Σ eq(r,·)·sel·B` (three batched instances,
//!    shares sent);
//! 2. `sel ∈ {0, M}`: `0 = Σ eq(τ,·)·(sel² − sel·M)` at a random `τ` (common share);
//! 3. at a random `τ'`: `g̃(τ') = 2c_{sA} − 2c_{sB} + c_s ∓ (c_A − c_B) − Σ eq(τ',·)·M` with the
//!    shares `c_{sA} = Σ eq·M·sel·A`, `c_{sB}`, `c_s = Σ eq·M·sel`, `c_A = Σ eq·M·A`, `c_B`
//!    (five instances), `g̃(τ')` an opening claim and the read claim of a Shout range check
//!    into `[0, 2^32)`.
//!
//! The claims on `A`, `B` become claims on `a`, `b` at the projected points; those on `sel` and
//! `g` are opening claims.
//!
//! **Less** (`out = [a < b]`) is the same with `sel = out` committed: step 1 is the opening
//! claim `s̃el(r) = v`, and the gap is `g = M·(d − sel·(2d + 1))` with `d = A − B` (`d ≤ −1`
//! where `out = 1`, `d ≥ 0` where `out = 0`).

use atlas_isa::{Instr, Program};
use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::composite::{inner_product, instance};
use super::encoding::{Ark, StepProof};
use super::layout::{assemble, eq_table, to_field, valid_axis, Layout};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::{InstrWitness, Trace};

/// Advice polynomials, in commitment order: the selection bit and the gap.
const SEL: usize = 0;
const GAP: usize = 1;

/// Bits of the gap range check.
pub(crate) const GAP_BITS: usize = 32;

/// Which comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Max,
    Min,
    Less,
}

/// `(a, b, out, kind)` of a Max / Min / Less.
fn operands(
    program: &Program,
    index: usize,
) -> (
    atlas_isa::TensorId,
    atlas_isa::TensorId,
    atlas_isa::TensorId,
    Kind,
) {
    match &program.instrs[index] {
        Instr::Max { a, b, out } => (*a, *b, *out, Kind::Max),
        Instr::Min { a, b, out } => (*a, *b, *out, Kind::Min),
        Instr::Less { a, b, out } => (*a, *b, *out, Kind::Less),
        _ => unreachable!("dispatched on Max / Min / Less"),
    }
}

/// The replicated broadcast of `values` (shape `input`) over the padded layout `out`.
pub(crate) fn replicate(out: &Layout, input: &Layout, values: &[i64]) -> Vec<i64> {
    let lead = out.dims.len() - input.dims.len();
    let st = super::layout::strides(&input.dims);
    (0..out.padded_len())
        .map(|x| {
            let mut flat = 0;
            for (j, &d) in input.dims.iter().enumerate() {
                let a = j + lead;
                let c = (x >> out.offsets[a]) & ((1 << out.bits[a]) - 1);
                if d == out.dims[a] {
                    if c >= d {
                        return 0;
                    }
                    flat += c * st[j];
                }
            }
            values[flat]
        })
        .collect()
}

/// The projected point of an operand (its own axes' sub-points).
pub(crate) fn project(out: &Layout, input: &Layout, s: &[Fr]) -> Vec<Fr> {
    let lead = out.dims.len() - input.dims.len();
    let subs: Vec<Vec<Fr>> = (0..input.dims.len())
        .map(|j| {
            if input.dims[j] == out.dims[j + lead] {
                out.sub_point(s, j + lead).to_vec()
            } else {
                Vec::new()
            }
        })
        .collect();
    assemble(input, &subs)
}

fn mask_table(out: &Layout) -> Vec<Fr> {
    let mut t = vec![Fr::from(0u64); out.padded_len()];
    for i in out.padded_indices() {
        t[i] = Fr::from(1u64);
    }
    t
}

pub(crate) fn mask_at(out: &Layout, s: &[Fr]) -> Fr {
    (0..out.dims.len())
        .map(|a| valid_axis(out.sub_point(s, a), out.dims[a]))
        .product()
}

/// The advice `[sel, g]` (padded over `out`) of the Max / Min at `index`.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 2], String> {
    let (a, b, out, kind) = operands(program, index);
    let lo = Layout::new(&program.tensor(out).shape);
    let bits: Vec<i64> = match (kind, trace.witnesses().get(index)) {
        (Kind::Less, _) => trace.value(out).to_vec(),
        (_, Some(InstrWitness::Select { a_selected })) => {
            a_selected.iter().map(|s| i64::from(*s)).collect()
        }
        _ => return Err("the trace has no selection for this instruction".into()),
    };
    if bits.len() != program.tensor(out).len() || bits.iter().any(|b| !(0..=1).contains(b)) {
        return Err("selection bits have the wrong length or are not bits".into());
    }
    let sel: Vec<i64> = lo.pad(&bits, 0);
    let av = replicate(&lo, &Layout::new(&program.tensor(a).shape), trace.value(a));
    let bv = replicate(&lo, &Layout::new(&program.tensor(b).shape), trace.value(b));
    let mut mask = vec![0i64; lo.padded_len()];
    for i in lo.padded_indices() {
        mask[i] = 1;
    }
    let gap = (0..lo.padded_len())
        .map(|i| match kind {
            Kind::Max => mask[i] * (sel[i] * (2 * (av[i] - bv[i]) + 1) - (av[i] - bv[i]) - 1),
            Kind::Min => mask[i] * (sel[i] * (2 * (bv[i] - av[i]) + 1) - (bv[i] - av[i]) - 1),
            Kind::Less => mask[i] * ((av[i] - bv[i]) - sel[i] * (2 * (av[i] - bv[i]) + 1)),
        })
        .collect();
    Ok([sel, gap])
}

/// Prover of the Max / Min at `index`.
#[tracing::instrument(skip_all, name = "select::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let (a, b, out, kind) = operands(program, index);
    let first = p.plan.advice_of[index].expect("Max / Min have advice");
    let lo = p.layout(out);
    let nv = lo.num_vars;
    let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
    let trace = p.trace;
    let av = dense(to_field(&replicate(&lo, &p.layout(a), trace.value(a))));
    let bv = dense(to_field(&replicate(&lo, &p.layout(b), trace.value(b))));
    let sel = dense(to_field(&p.advice[first + SEL]));
    let mask = dense(mask_table(&lo));
    let r = claim.point.clone();

    // 1. The output (for Less, the committed bit itself).
    let first_claims = if kind == Kind::Less {
        open_advice(&mut p.openings, first, [(SEL, r.clone(), claim.value)]);
        None
    } else {
        let e = dense(eq_table(&r));
        let shares = [
            inner_product(&[&e, &mask, &bv]),
            inner_product(&[&e, &sel, &av]),
            inner_product(&[&e, &sel, &bv]),
        ];
        let mut step = StepProof::default();
        p.send(&mut step, &shares);
        let (sc, f) = prove_products(
            vec![
                instance(&[&e, &mask, &bv]),
                instance(&[&e, &sel, &av]),
                instance(&[&e, &sel, &bv]),
            ],
            &mut p.transcript,
        );
        step.sumchecks.push(Ark(sc));
        p.steps.push(step);
        let s1 = f[0].0.clone();
        let (b1, sel1, a1) = (f[0].1[2], f[1].1[1], f[1].1[2]);
        Some((s1, a1, b1, sel1))
    };

    // 2. sel ∈ {0, M}.
    let tau = p.transcript.challenge_scalars(b"select_tau", nv);
    let et = dense(EqPolynomial::evals(&tau));
    let share = inner_product(&[&et, &sel, &sel]);
    let mut step = StepProof::default();
    p.send(&mut step, &[share]);
    let (sc, f) = prove_products(
        vec![instance(&[&et, &sel, &sel]), instance(&[&et, &sel, &mask])],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    p.steps.push(step);
    let (s2, sel2) = (f[0].0.clone(), f[0].1[1]);

    // 3. Gaps.
    let tau2 = p.transcript.challenge_scalars(b"select_tau_gap", nv);
    let e2 = dense(EqPolynomial::evals(&tau2));
    let shares = [
        inner_product(&[&e2, &mask, &sel, &av]),
        inner_product(&[&e2, &mask, &sel, &bv]),
        inner_product(&[&e2, &mask, &sel]),
        inner_product(&[&e2, &mask, &av]),
        inner_product(&[&e2, &mask, &bv]),
    ];
    let mut step = StepProof::default();
    p.send(&mut step, &shares);
    let (sc, f) = prove_products(
        vec![
            instance(&[&e2, &mask, &sel, &av]),
            instance(&[&e2, &mask, &sel, &bv]),
            instance(&[&e2, &mask, &sel]),
            instance(&[&e2, &mask, &av]),
            instance(&[&e2, &mask, &bv]),
        ],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    let s3 = f[0].0.clone();
    let (a3, b3, sel3) = (f[0].1[3], f[1].1[3], f[0].1[2]);
    let gap = gap_value(&shares, kind, mask_at(&lo, &tau2));
    let inst = p.plan.lookup_of[index].expect("Max / Min have a range check");
    let (part, _) = super::lookup::prove_reads(p, inst, &tau2, gap)?;
    step.shout = Some(part);
    p.steps.push(step);

    let (la, lb) = (p.layout(a), p.layout(b));
    if let Some((s1, a1, b1, sel1)) = first_claims {
        p.claim(a, project(&lo, &la, &s1), a1);
        p.claim(b, project(&lo, &lb, &s1), b1);
        open_advice(&mut p.openings, first, [(SEL, s1, sel1)]);
    }
    p.claim(a, project(&lo, &la, &s3), a3);
    p.claim(b, project(&lo, &lb, &s3), b3);
    open_advice(
        &mut p.openings,
        first,
        [(SEL, s2, sel2), (SEL, s3, sel3), (GAP, tau2, gap)],
    );
    Ok(())
}

/// `g̃(τ')` from the five shares and `Σ eq(τ',·)·M`.
fn gap_value(c: &[Fr], kind: Kind, mask: Fr) -> Fr {
    let two = Fr::from(2u64);
    match kind {
        Kind::Max => two * (c[0] - c[1]) + c[2] - (c[3] - c[4]) - mask,
        Kind::Min => two * (c[1] - c[0]) + c[2] - (c[4] - c[3]) - mask,
        // M·(d − sel·(2d + 1)) with d = A − B.
        Kind::Less => (c[3] - c[4]) - two * (c[0] - c[1]) - c[2],
    }
}

/// A product instance over `out`'s `nv` variables.
fn statement(
    claim: Fr,
    nv: usize,
    public: super::product::PublicFactors<'_>,
    num_factors: usize,
) -> ProductStatement<'_> {
    ProductStatement {
        claim,
        num_rounds: nv,
        num_factors,
        order: BindingOrder::LowToHigh,
        public,
    }
}

/// Verifier of the Max / Min at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let name = step_name(program, index);
    let (a, b, out, kind) = operands(program, index);
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let lo = v.layout(out);
    let nv = lo.num_vars;
    let r = claim.point.clone();
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };

    // 1. The output (for Less, the committed bit itself).
    let first_claims = if kind == Kind::Less {
        open_advice(&mut v.openings, first, [(SEL, r.clone(), claim.value)]);
        None
    } else {
        let step = v.step(&name, 3, 1, false)?;
        let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
        if c[0] + c[1] - c[2] != claim.value {
            return Err(fail("output shares do not add up"));
        }
        let eq_r = |s: &[Fr]| EqPolynomial::evaluate(&r, s);
        let sts = [
            statement(
                c[0],
                nv,
                Box::new(|s: &[Fr]| vec![Some(eq_r(s)), Some(mask_at(&lo, s)), None]),
                3,
            ),
            statement(
                c[1],
                nv,
                Box::new(|s: &[Fr]| vec![Some(eq_r(s)), None, None]),
                3,
            ),
            statement(
                c[2],
                nv,
                Box::new(|s: &[Fr]| vec![Some(eq_r(s)), None, None]),
                3,
            ),
        ];
        let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
        let s1 = f[0].0.clone();
        let (b1, sel1, a1) = (f[0].1[2], f[1].1[1], f[1].1[2]);
        if f[2].1[1] != sel1 || f[2].1[2] != b1 {
            return Err(fail("operand claims disagree"));
        }
        Some((s1, a1, b1, sel1))
    };

    // 2. sel ∈ {0, M}.
    let tau = v.transcript.challenge_scalars(b"select_tau", nv);
    let step = v.step(&name, 1, 1, false)?;
    let share = step.values[0].0;
    let eq_t = |s: &[Fr]| EqPolynomial::evaluate(&tau, s);
    let sts = [
        statement(
            share,
            nv,
            Box::new(|s: &[Fr]| vec![Some(eq_t(s)), None, None]),
            3,
        ),
        statement(
            share,
            nv,
            Box::new(|s: &[Fr]| vec![Some(eq_t(s)), None, Some(mask_at(&lo, s))]),
            3,
        ),
    ];
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    if f[0].1[1] != f[0].1[2] || f[0].1[1] != f[1].1[1] {
        return Err(fail("selection claims disagree"));
    }
    let (s2, sel2) = (f[0].0.clone(), f[0].1[1]);

    // 3. Gaps.
    let tau2 = v.transcript.challenge_scalars(b"select_tau_gap", nv);
    let step = v.step(&name, 5, 1, true)?;
    let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
    let pub2 = |s: &[Fr], n: usize| {
        let mut out = vec![
            Some(EqPolynomial::evaluate(&tau2, s)),
            Some(mask_at(&lo, s)),
        ];
        out.resize(n, None);
        out
    };
    let sts = [
        statement(c[0], nv, Box::new(|s: &[Fr]| pub2(s, 4)), 4),
        statement(c[1], nv, Box::new(|s: &[Fr]| pub2(s, 4)), 4),
        statement(c[2], nv, Box::new(|s: &[Fr]| pub2(s, 3)), 3),
        statement(c[3], nv, Box::new(|s: &[Fr]| pub2(s, 3)), 3),
        statement(c[4], nv, Box::new(|s: &[Fr]| pub2(s, 3)), 3),
    ];
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let s3 = f[0].0.clone();
    let (a3, b3, sel3) = (f[0].1[3], f[1].1[3], f[0].1[2]);
    if f[1].1[2] != sel3 || f[2].1[2] != sel3 || f[3].1[2] != a3 || f[4].1[2] != b3 {
        return Err(fail("gap claims disagree"));
    }
    let gap = gap_value(&c, kind, mask_at(&lo, &tau2));
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf = super::lookup::verify_reads(v, inst, part, &tau2, gap, &name)?;
    if raf != gap {
        return Err(fail("range check does not read the gaps"));
    }

    let (la, lb) = (v.layout(a), v.layout(b));
    if let Some((s1, a1, b1, sel1)) = first_claims {
        v.claim(a, project(&lo, &la, &s1), a1);
        v.claim(b, project(&lo, &lb, &s1), b1);
        open_advice(&mut v.openings, first, [(SEL, s1, sel1)]);
    }
    v.claim(a, project(&lo, &la, &s3), a3);
    v.claim(b, project(&lo, &lb, &s3), b3);
    open_advice(
        &mut v.openings,
        first,
        [(SEL, s2, sel2), (SEL, s3, sel3), (GAP, tau2.clone(), gap)],
    );
    Ok(())
}

/// Where (`out = cond ≠ 0 ? a : b`, broadcast) for a 0/1 condition.
///
/// # Relation
///
/// With the replicated broadcasts `C`, `A`, `B` and the real-position mask `M` over `out`'s
/// padded layout, `out = M·B + M·C·A − M·C·B`, and the condition is boolean on real positions:
///
/// 1. `v = Σ eq(r,·)·M·B + Σ eq(r,·)·M·C·A − Σ eq(r,·)·M·C·B` (three instances, shares sent);
/// 2. `0 = Σ eq(τ,·)·M·(C² − C)` at a random `τ` (two instances, common share).
///
/// The claims on `C`, `A`, `B` become claims on `cond`, `a`, `b` at the projected points (the
/// condition is an ordinary tensor of the claim flow, nothing is committed). A condition with a
/// value other than 0 and 1 is refused by the prover.
pub(crate) mod where_select {
    use super::*;

    fn operands(program: &Program, index: usize) -> [atlas_isa::TensorId; 4] {
        match &program.instrs[index] {
            Instr::Where { cond, a, b, out } => [*cond, *a, *b, *out],
            _ => unreachable!("dispatched on Where"),
        }
    }

    /// Prover of the Where at `index`.
    #[tracing::instrument(skip_all, name = "where::prove")]
    pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
        let program = p.program;
        let [c, a, b, out] = operands(program, index);
        let trace = p.trace;
        if trace.value(c).iter().any(|v| !(0..=1).contains(v)) {
            return Err(ProveError::Unsupported {
                index,
                op: "Where",
                reason: "the condition is not 0/1".into(),
            });
        }
        let lo = p.layout(out);
        let nv = lo.num_vars;
        let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
        let rep = |id| {
            dense(to_field(&replicate(
                &lo,
                &Layout::new(&program.tensor(id).shape),
                trace.value(id),
            )))
        };
        let (cv, av, bv) = (rep(c), rep(a), rep(b));
        let mask = dense(mask_table(&lo));
        let r = claim.point.clone();
        let e = dense(eq_table(&r));
        let shares = [
            inner_product(&[&e, &mask, &bv]),
            inner_product(&[&e, &mask, &cv, &av]),
            inner_product(&[&e, &mask, &cv, &bv]),
        ];
        let mut step = StepProof::default();
        p.send(&mut step, &shares);
        let (sc, f) = prove_products(
            vec![
                instance(&[&e, &mask, &bv]),
                instance(&[&e, &mask, &cv, &av]),
                instance(&[&e, &mask, &cv, &bv]),
            ],
            &mut p.transcript,
        );
        step.sumchecks.push(Ark(sc));
        p.steps.push(step);
        let s1 = f[0].0.clone();
        let (b1, c1, a1) = (f[0].1[2], f[1].1[2], f[1].1[3]);

        let tau = p.transcript.challenge_scalars(b"where_tau", nv);
        let et = dense(EqPolynomial::evals(&tau));
        let share = inner_product(&[&et, &mask, &cv, &cv]);
        let mut step = StepProof::default();
        p.send(&mut step, &[share]);
        let (sc, f) = prove_products(
            vec![
                instance(&[&et, &mask, &cv, &cv]),
                instance(&[&et, &mask, &cv]),
            ],
            &mut p.transcript,
        );
        step.sumchecks.push(Ark(sc));
        p.steps.push(step);
        let (s2, c2) = (f[0].0.clone(), f[0].1[2]);

        let l = |id| Layout::new(&program.tensor(id).shape);
        p.claim(a, project(&lo, &l(a), &s1), a1);
        p.claim(b, project(&lo, &l(b), &s1), b1);
        p.claim(c, project(&lo, &l(c), &s1), c1);
        p.claim(c, project(&lo, &l(c), &s2), c2);
        Ok(())
    }

    /// Verifier of the Where at `index`.
    pub(crate) fn verify(
        v: &mut Verifier<'_>,
        index: usize,
        claim: Claim,
    ) -> Result<(), VerifyError> {
        let program = v.program;
        let name = step_name(program, index);
        let [c, a, b, out] = operands(program, index);
        let lo = v.layout(out);
        let nv = lo.num_vars;
        let r = claim.point.clone();
        let fail = |what| VerifyError::Check {
            step: name.clone(),
            what,
        };
        let public = |point: &[Fr], s: &[Fr], n: usize| {
            let mut out = vec![
                Some(EqPolynomial::evaluate(point, s)),
                Some(mask_at(&lo, s)),
            ];
            out.resize(n, None);
            out
        };

        let step = v.step(&name, 3, 1, false)?;
        let sh: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
        if sh[0] + sh[1] - sh[2] != claim.value {
            return Err(fail("output shares do not add up"));
        }
        let sts = [
            statement(sh[0], nv, Box::new(|s: &[Fr]| public(&r, s, 3)), 3),
            statement(sh[1], nv, Box::new(|s: &[Fr]| public(&r, s, 4)), 4),
            statement(sh[2], nv, Box::new(|s: &[Fr]| public(&r, s, 4)), 4),
        ];
        let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
        let s1 = f[0].0.clone();
        let (b1, c1, a1) = (f[0].1[2], f[1].1[2], f[1].1[3]);
        if f[2].1[2] != c1 || f[2].1[3] != b1 {
            return Err(fail("operand claims disagree"));
        }

        let tau = v.transcript.challenge_scalars(b"where_tau", nv);
        let step = v.step(&name, 1, 1, false)?;
        let share = step.values[0].0;
        let sts = [
            statement(share, nv, Box::new(|s: &[Fr]| public(&tau, s, 4)), 4),
            statement(share, nv, Box::new(|s: &[Fr]| public(&tau, s, 3)), 3),
        ];
        let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
        let (s2, c2) = (f[0].0.clone(), f[0].1[2]);
        if f[0].1[3] != c2 || f[1].1[2] != c2 {
            return Err(fail("condition claims disagree"));
        }

        let l = |id| Layout::new(&program.tensor(id).shape);
        v.claim(a, project(&lo, &l(a), &s1), a1);
        v.claim(b, project(&lo, &l(b), &s1), b1);
        v.claim(c, project(&lo, &l(c), &s1), c1);
        v.claim(c, project(&lo, &l(c), &s2), c2);
        Ok(())
    }
}
