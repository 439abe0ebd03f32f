//! MaxPool and ReduceMax: maxima with committed advice (the maxima, a one-hot selection, the
//! gaps).
//!
//! # Relation
//!
//! Let `X[p, k] = x[pos(p, k)]` be the grouped tensor of `x` — for MaxPool its im2col tensor
//! over `[N, C, O…, K…]` (zero on padding taps), for ReduceMax `x` with its reduced axes moved
//! last — over its padded layout: output position `p` in the high bits (its sub-point is a point
//! on `out`), tap `k` in the low bits; `I[p, k]` is the public indicator of taps inside the
//! input. The prover commits, up front, `m = out`, `sel ∈ {0,1}` over `(p, k)` and the gaps
//! `g = I·(m_b − X) ∈ [0, 2^32)` (`m_b[p, k] = m[p]`). For the claim `õut(r) = v`:
//!
//! 1. `m̃(r) = v` is an opening claim;
//! 2. selection: `v = Σ_{p,k} eq(r, p)·sel(p, k)·X(p, k)` (degree 3);
//! 3. `sel` is one-hot over the inside taps: at a random `τ`,
//!    `0 = Σ eq(τ, ·)·(sel² − sel·I)` (two batched instances with a common share `c`), which
//!    forces `sel ∈ {0, 1}` inside and `sel = 0` outside;
//! 4. one selected tap per real position: `Σ_k sel(r, k) = Π_axes valid(r_axis)` (degree 1);
//! 5. gaps: at a random `τ'`, `g̃(τ') = Σ eq(τ', ·)·I·m_b − Σ eq(τ', ·)·I·X` (two instances,
//!    shares sent), `g̃(τ')` is an opening claim and the read claim of a Shout range check of
//!    every gap into `[0, 2^32)` (its RAF claim must equal it).
//!
//! Together: `m[p]` is an inside tap's value (2–4) no smaller than any inside tap's (5): the
//! maximum, padding never winning. The claims on `X` (steps 2 and 5) become claims on `x` through
//! the im2col map ([`super::linear_map`]); those on `sel`, `m`, `g` are opening claims.

use atlas_isa::{Instr, Program};
use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::composite::instance;
use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, to_field, valid_axis, Layout};
use super::linear_map::{im2col, prove_single, verify_single, SparseMap};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{
    open_advice, step_name, Claim, OpeningClaim, Poly, ProveError, Prover, Verifier, VerifyError,
};
use crate::trace::{InstrWitness, Trace};

/// Bits of the gap range check.
pub(crate) const GAP_BITS: usize = 32;

/// The public shape of a MaxPool: the im2col map and the inside indicator.
pub(crate) struct MaxPoolShape {
    pub out: Layout,
    pub map: SparseMap,
    /// Padded indices (over the im2col layout) of the inside taps.
    pub inside: Vec<u32>,
}

impl MaxPoolShape {
    pub fn new(program: &Program, index: usize) -> Option<Self> {
        let (out, map) = match &program.instrs[index] {
            Instr::MaxPool { x, window, out } => {
                (out, im2col(&program.tensor(*x).shape, window)?.1)
            }
            Instr::ReduceMax { x, axes, out, .. } => {
                (out, group_map(&program.tensor(*x).shape, axes))
            }
            _ => return None,
        };
        let mut inside: Vec<u32> = map.entries.iter().map(|(c, _)| *c).collect();
        inside.sort_unstable();
        Some(Self {
            out: Layout::new(&program.tensor(*out).shape),
            map,
            inside,
        })
    }

    /// Bits of the tap part (the low bits of the grouped layout).
    fn tap_bits(&self) -> usize {
        self.map.out.num_vars - self.out.num_vars
    }

    fn inside_table(&self) -> Vec<Fr> {
        let mut t = vec![Fr::from(0u64); self.map.out.padded_len()];
        for &i in &self.inside {
            t[i as usize] = Fr::from(1u64);
        }
        t
    }

    fn inside_at(&self, s: &[Fr]) -> Fr {
        let e = eq_table(s);
        self.inside.iter().map(|&i| e[i as usize]).sum()
    }

    /// `eq(r, p)` replicated along the taps.
    fn eq_positions(&self, r: &[Fr]) -> Vec<Fr> {
        let e = eq_table(r);
        let kb = self.tap_bits();
        (0..self.map.out.padded_len()).map(|i| e[i >> kb]).collect()
    }
}

/// ReduceMax's grouping: `X[kept…, reduced…] = x[…]`, a permutation of `x` into
/// `[positions, taps]` form (every tap inside).
fn group_map(shape: &[usize], axes: &[usize]) -> SparseMap {
    let kept: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).collect();
    let order: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let grouped: Vec<usize> = order.iter().map(|&a| shape[a]).collect();
    let st = super::layout::strides(shape);
    let mut pairs = Vec::new();
    super::layout::for_each_index(&grouped, |flat, idx| {
        let src: usize = order.iter().zip(idx).map(|(&a, &i)| i * st[a]).sum();
        pairs.push((flat, src));
    });
    SparseMap::from_flat(&grouped, shape, &pairs)
}

/// The advice tables of the MaxPool at `index`: `[m, sel, g]` (padded), from the trace.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 3], String> {
    let shape = MaxPoolShape::new(program, index).ok_or("not a MaxPool")?;
    let (x, out) = (
        &program.instrs[index].inputs()[0],
        &program.instrs[index].output(),
    );
    let Some(InstrWitness::ArgMax { argmax }) = trace.witnesses().get(index) else {
        return Err("the trace has no argmax for this MaxPool".into());
    };
    let outv = trace.value(*out);
    if argmax.len() != outv.len() {
        return Err("argmax has the wrong length".into());
    }
    let m = shape.out.pad(outv, 0);
    // Per im2col position: the input element it reads (padded index → flat x index).
    let x_flat: Vec<usize> = {
        let mut inv = vec![usize::MAX; shape.map.input.padded_len()];
        for (flat, pi) in shape.map.input.padded_indices().into_iter().enumerate() {
            inv[pi] = flat;
        }
        let mut reads = vec![usize::MAX; shape.map.out.padded_len()];
        for &(c, i) in &shape.map.entries {
            reads[c as usize] = inv[i as usize];
        }
        reads
    };
    let xv = trace.value(*x);
    let kb = shape.tap_bits();
    let out_padded = shape.out.padded_indices();
    let mut pos_of_padded = vec![usize::MAX; shape.out.padded_len()];
    for (flat, pi) in out_padded.into_iter().enumerate() {
        pos_of_padded[pi] = flat;
    }
    let mut sel = vec![0i64; shape.map.out.padded_len()];
    let mut gap = vec![0i64; shape.map.out.padded_len()];
    for c in 0..sel.len() {
        let src = x_flat[c];
        if src == usize::MAX {
            continue;
        }
        let p = pos_of_padded[c >> kb];
        if p == usize::MAX {
            continue;
        }
        if argmax[p] as usize == src {
            sel[c] = 1;
        }
        gap[c] = outv[p] - xv[src];
    }
    Ok([m, sel, gap])
}

/// Prover of the MaxPool at `index`.
#[tracing::instrument(skip_all, name = "maxpool::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let x = program.instrs[index].inputs()[0];
    let shape = MaxPoolShape::new(program, index).expect("validated window");
    let first = p.plan.advice_of[index].expect("a MaxPool has advice");
    let (m_i, sel_i, gap_i) = (first, first + 1, first + 2);
    let nv = shape.map.out.num_vars;
    let trace = p.trace;
    let xv = trace.value(x);
    let col = super::contraction::im2col_values(&shape.map, xv);
    let col_t = DenseMultilinear::new_padded(to_field(&shape.map.out.pad(&col, 0)), nv);
    let sel_t = DenseMultilinear::new_padded(to_field(&p.advice[sel_i]), nv);
    let m_b: Vec<Fr> = {
        let m = to_field(&p.advice[m_i]);
        let kb = shape.tap_bits();
        (0..1usize << nv).map(|i| m[i >> kb]).collect()
    };
    let inside = DenseMultilinear::new_padded(shape.inside_table(), nv);
    let r = claim.point.clone();
    open_advice(&mut p.openings, m_i, [(0, r.clone(), claim.value)]);

    // 2. Selection.
    let eq_p = DenseMultilinear::new_padded(shape.eq_positions(&r), nv);
    let (sc, f) = prove_products(vec![instance(&[&eq_p, &sel_t, &col_t])], &mut p.transcript);
    let (s1, v1) = &f[0];
    let (sel_s1, col_s1) = (
        (s1.clone(), v1[1]),
        Claim {
            point: s1.clone(),
            value: v1[2],
        },
    );
    p.steps.push(StepProof {
        sumchecks: vec![Ark(sc)],
        ..Default::default()
    });

    // 3. One-hot over the inside taps.
    let tau = p.transcript.challenge_scalars(b"maxpool_tau", nv);
    let eq_tau = DenseMultilinear::new_padded(EqPolynomial::evals(&tau), nv);
    let share: Fr = eq_tau
        .evals()
        .iter()
        .zip(sel_t.evals())
        .map(|(e, s)| *e * s * s)
        .sum();
    let mut step = StepProof::default();
    p.send(&mut step, &[share]);
    let (sc, f) = prove_products(
        vec![
            instance(&[&eq_tau, &sel_t, &sel_t]),
            instance(&[&eq_tau, &sel_t, &inside]),
        ],
        &mut p.transcript,
    );
    let sel_s2 = (f[0].0.clone(), f[0].1[1]);
    step.sumchecks.push(Ark(sc));
    p.steps.push(step);

    // 4. One selected tap per position.
    let kb = shape.tap_bits();
    let eq_r = eq_table(&r);
    let mut partial = vec![Fr::from(0u64); 1 << kb];
    for (i, s) in sel_t.evals().iter().enumerate() {
        partial[i & ((1 << kb) - 1)] += eq_r[i >> kb] * s;
    }
    let (sc, f) = prove_products(
        vec![(
            vec![DenseMultilinear::new_padded(partial, kb)],
            BindingOrder::LowToHigh,
        )],
        &mut p.transcript,
    );
    let mut pt = f[0].0.clone();
    pt.extend_from_slice(&r);
    let sel_s3 = (pt, f[0].1[0]);
    p.steps.push(StepProof {
        sumchecks: vec![Ark(sc)],
        ..Default::default()
    });

    // 5. Gaps.
    let tau2 = p.transcript.challenge_scalars(b"maxpool_tau_gap", nv);
    let e2 = EqPolynomial::evals(&tau2);
    let ins = inside.evals();
    let c_m: Fr = (0..1usize << nv).map(|i| e2[i] * ins[i] * m_b[i]).sum();
    let c_x: Fr = (0..1usize << nv)
        .map(|i| e2[i] * ins[i] * col_t.evals()[i])
        .sum();
    let mut step = StepProof::default();
    p.send(&mut step, &[c_m, c_x]);
    let e2 = DenseMultilinear::new_padded(e2, nv);
    let (sc, f) = prove_products(
        vec![
            (
                vec![
                    e2.clone(),
                    inside.clone(),
                    DenseMultilinear::new_padded(m_b, nv),
                ],
                BindingOrder::LowToHigh,
            ),
            instance(&[&e2, &inside, &col_t]),
        ],
        &mut p.transcript,
    );
    let s4 = f[0].0.clone();
    let m_s4 = (s4[kb..].to_vec(), f[0].1[2]);
    let col_s4 = Claim {
        point: s4,
        value: f[1].1[2],
    };
    step.sumchecks.push(Ark(sc));
    let inst = p.plan.lookup_of[index].expect("a MaxPool has a range check");
    let gap = c_m - c_x;
    let (part, _) = super::lookup::prove_reads(p, inst, &tau2, gap)?;
    step.shout = Some(part);
    p.steps.push(step);

    // The im2col claims become claims on x.
    let (sc1, x1) = prove_single(p, &shape.map, xv, &col_s1);
    let (sc2, x2) = prove_single(p, &shape.map, xv, &col_s4);
    p.steps.push(StepProof {
        sumchecks: vec![sc1, sc2],
        ..Default::default()
    });
    p.claim(x, x1.point, x1.value);
    p.claim(x, x2.point, x2.value);
    for (poly, (point, value)) in [
        (Poly::Advice(sel_i), sel_s1),
        (Poly::Advice(sel_i), sel_s2),
        (Poly::Advice(sel_i), sel_s3),
        (Poly::Advice(m_i), m_s4),
        (Poly::Advice(gap_i), (tau2, gap)),
    ] {
        p.openings.push(OpeningClaim { poly, point, value });
    }
    Ok(())
}

/// Verifier of the MaxPool at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let name = step_name(program, index);
    let x = program.instrs[index].inputs()[0];
    let shape = MaxPoolShape::new(program, index)
        .ok_or_else(|| VerifyError::Key(format!("{name}: window does not fit")))?;
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let (m_i, sel_i, gap_i) = (first, first + 1, first + 2);
    let nv = shape.map.out.num_vars;
    let kb = shape.tap_bits();
    let r = claim.point.clone();
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    open_advice(&mut v.openings, m_i, [(0, r.clone(), claim.value)]);

    // 2. Selection.
    let step = v.step(&name, 0, 1, false)?;
    let st = ProductStatement {
        claim: claim.value,
        num_rounds: nv,
        num_factors: 3,
        order: BindingOrder::LowToHigh,
        public: Box::new(|s: &[Fr]| vec![Some(EqPolynomial::evaluate(&r, &s[kb..])), None, None]),
    };
    let f = verify_products(&[st], &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let (s1, v1) = &f[0];
    let sel_s1 = (s1.clone(), v1[1]);
    let col_s1 = Claim {
        point: s1.clone(),
        value: v1[2],
    };

    // 3. One-hot over the inside taps.
    let tau = v.transcript.challenge_scalars(b"maxpool_tau", nv);
    let step = v.step(&name, 1, 1, false)?;
    let share = step.values[0].0;
    let sts = [
        ProductStatement {
            claim: share,
            num_rounds: nv,
            num_factors: 3,
            order: BindingOrder::LowToHigh,
            public: Box::new(|s: &[Fr]| vec![Some(EqPolynomial::evaluate(&tau, s)), None, None]),
        },
        ProductStatement {
            claim: share,
            num_rounds: nv,
            num_factors: 3,
            order: BindingOrder::LowToHigh,
            public: Box::new(|s: &[Fr]| {
                vec![
                    Some(EqPolynomial::evaluate(&tau, s)),
                    None,
                    Some(shape.inside_at(s)),
                ]
            }),
        },
    ];
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    if f[0].1[1] != f[0].1[2] || f[0].1[1] != f[1].1[1] {
        return Err(fail("selection claims disagree"));
    }
    let sel_s2 = (f[0].0.clone(), f[0].1[1]);

    // 4. One selected tap per position.
    let valid: Fr = (0..shape.out.dims.len())
        .map(|a| valid_axis(shape.out.sub_point(&r, a), shape.out.dims[a]))
        .product();
    let step = v.step(&name, 0, 1, false)?;
    let st = ProductStatement {
        claim: valid,
        num_rounds: kb,
        num_factors: 1,
        order: BindingOrder::LowToHigh,
        public: Box::new(|_: &[Fr]| vec![None]),
    };
    let f = verify_products(&[st], &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let mut pt = f[0].0.clone();
    pt.extend_from_slice(&r);
    let sel_s3 = (pt, f[0].1[0]);

    // 5. Gaps.
    let tau2 = v.transcript.challenge_scalars(b"maxpool_tau_gap", nv);
    let step = v.step(&name, 2, 1, true)?;
    let (c_m, c_x) = (step.values[0].0, step.values[1].0);
    let public = |s: &[Fr]| {
        vec![
            Some(EqPolynomial::evaluate(&tau2, s)),
            Some(shape.inside_at(s)),
            None,
        ]
    };
    let sts = [
        ProductStatement {
            claim: c_m,
            num_rounds: nv,
            num_factors: 3,
            order: BindingOrder::LowToHigh,
            public: Box::new(public),
        },
        ProductStatement {
            claim: c_x,
            num_rounds: nv,
            num_factors: 3,
            order: BindingOrder::LowToHigh,
            public: Box::new(public),
        },
    ];
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let s4 = f[0].0.clone();
    let m_s4 = (s4[kb..].to_vec(), f[0].1[2]);
    let col_s4 = Claim {
        point: s4,
        value: f[1].1[2],
    };
    let gap = c_m - c_x;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf = super::lookup::verify_reads(v, inst, part, &tau2, gap, &name)?;
    if raf != gap {
        return Err(fail("range check does not read the gaps"));
    }

    // The im2col claims become claims on x.
    let step = v.step(&name, 0, 2, false)?;
    let x1 = verify_single(v, &shape.map, &col_s1, &step.sumchecks[0].0, &name)?;
    let x2 = verify_single(v, &shape.map, &col_s4, &step.sumchecks[1].0, &name)?;
    v.claim(x, x1.point, x1.value);
    v.claim(x, x2.point, x2.value);
    for (poly, (point, value)) in [
        (Poly::Advice(sel_i), sel_s1),
        (Poly::Advice(sel_i), sel_s2),
        (Poly::Advice(sel_i), sel_s3),
        (Poly::Advice(m_i), m_s4),
        (Poly::Advice(gap_i), (tau2.clone(), gap)),
    ] {
        v.openings.push(OpeningClaim { poly, point, value });
    }
    Ok(())
}
