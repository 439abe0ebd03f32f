//! Gather: with public indices (token and position embeddings) a public sparse 0/1 map; with
//! computed indices a committed one-hot selection.
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
//! indices themselves need no claim (they are public).
//!
//! # Computed indices
//!
//! When `idx` is computed in the program (and non-negative), the prover commits the one-hot
//! selection `S(j, v) = [idx_j = v]` over the padded layout of `(idx, n)` and proves
//!
//! ```text
//! S² = S·M,      Σ_v S(j, v) = M_idx(j),      Σ_v S(j, v)·v = idx_j,
//! out(p, j, q) = Σ_v S(j, v)·data(p, v, q)
//! ```
//!
//! (`M` the real positions of `(idx, n)`, `M_idx` those of `idx`): at a random `τ = (τ_j, τ_v)`
//! one batched sumcheck proves `Σ eq(τ,·)·S² = Σ eq(τ,·)·S·M`, `Σ W·S = M̃_idx(τ_j)` and
//! `Σ W·S·V = ĩdx(τ_j)` with `W(j, v) = eq(τ_j, j)` and `V(j, v) = v` (public, linear); the
//! last is a claim on `idx`. For the claim `õut(r_p, r_j, r_q) = w` a sumcheck over `v` proves
//! `w = Σ_v S̃(r_j, v)·d̃ata(r_p, v, r_q)`, ending in an opening of `S` and a claim on `data`.
//! `S` is committed before `τ` and `r` are drawn (Schwartz–Zippel).

use atlas_isa::{Instr, Program, Role, TensorId};

use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::composite::{inner_product, instance};
use super::encoding::{Ark, StepProof};
use super::layout::{assemble, eq_table, for_each_index, to_field, Layout};
use super::linear_map::{prove_single, verify_single, SparseMap};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::Trace;

/// The operands `(data, indices, axis, out)` of the Gather at `index`.
fn operands(program: &Program, index: usize) -> (TensorId, TensorId, usize, TensorId) {
    let Instr::Gather {
        data,
        indices,
        axis,
        out,
    } = &program.instrs[index]
    else {
        unreachable!("dispatched on Gather")
    };
    (*data, *indices, *axis, *out)
}

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
    let (data, indices, axis, out) = operands(program, index);
    let d_shape = &program.tensor(data).shape;
    let o_shape = &program.tensor(out).shape;
    let n = d_shape[axis] as i64;
    let rank_i = program.tensor(indices).shape.len();
    let d_strides = super::layout::strides(d_shape);
    let i_strides = super::layout::strides(&program.tensor(indices).shape);
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
        let src: usize = (0..axis).map(|a| o[a] * d_strides[a]).sum::<usize>()
            + v as usize * d_strides[axis]
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
    let (data, indices, _, _) = operands(p.program, index);
    if !indices_are_public(p.program, indices) {
        return prove_private(p, index, claim);
    }
    let trace = p.trace;
    let m = map(p.program, index, trace.value(indices)).map_err(|v| {
        ProveError::Witness(format!(
            "{}: index {v} out of range",
            step_name(p.program, index)
        ))
    })?;
    let (proof, input_claim) = prove_single(p, &m, trace.value(data), &claim);
    p.steps.push(StepProof {
        sumchecks: vec![proof],
        ..Default::default()
    });
    p.claim(data, input_claim.point, input_claim.value);
    Ok(())
}

/// Verifier of the Gather at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let (data, indices, _, _) = operands(v.program, index);
    if !indices_are_public(v.program, indices) {
        return verify_private(v, index, claim);
    }
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

/// The layouts of a Gather with computed indices: `out`, `data`, `idx`, the selection `S` over
/// `(idx, n)`, and the axis.
struct Private {
    out: Layout,
    data: Layout,
    idx: Layout,
    sel: Layout,
    axis: usize,
}

impl Private {
    fn new(program: &Program, index: usize) -> Self {
        let (data, indices, axis, out) = operands(program, index);
        let idx_shape = &program.tensor(indices).shape;
        let mut sel_shape = idx_shape.clone();
        sel_shape.push(program.tensor(data).shape[axis]);
        Self {
            out: Layout::new(&program.tensor(out).shape),
            data: Layout::new(&program.tensor(data).shape),
            idx: Layout::new(idx_shape),
            sel: Layout::new(&sel_shape),
            axis,
        }
    }

    /// `(r_j, point on data with v*, point on S)` from a point on `out` and `v*`.
    fn points(&self, r: &[Fr], v: &[Fr]) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
        let ri = self.idx.dims.len();
        let sub = |a: usize| self.out.sub_point(r, a).to_vec();
        let idx_subs: Vec<Vec<Fr>> = (0..ri).map(|b| sub(self.axis + b)).collect();
        let mut data_subs: Vec<Vec<Fr>> = (0..self.axis).map(sub).collect();
        data_subs.push(v.to_vec());
        data_subs.extend((self.axis + 1..self.data.dims.len()).map(|a| sub(a + ri - 1)));
        let mut sel_subs = idx_subs.clone();
        sel_subs.push(v.to_vec());
        (
            assemble(&self.idx, &idx_subs),
            assemble(&self.data, &data_subs),
            assemble(&self.sel, &sel_subs),
        )
    }

    /// Bits of the gathered axis (the low bits of `S`).
    fn v_bits(&self) -> usize {
        self.sel.bits[self.sel.dims.len() - 1]
    }
}

/// The selection `S` of the Gather at `index` with computed indices, padded.
pub(crate) fn selection(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<Vec<i64>, String> {
    let (_, indices, _, _) = operands(program, index);
    let pr = Private::new(program, index);
    let n = *pr
        .sel
        .dims
        .last()
        .expect("the selection has the gathered axis");
    let mut flat = vec![0i64; program.tensor(indices).len() * n];
    for (j, &v) in trace.value(indices).iter().enumerate() {
        if !(0..n as i64).contains(&v) {
            return Err(format!(
                "computed index {v} is not in [0, {n}) (negative computed indices are not supported)"
            ));
        }
        flat[j * n + v as usize] = 1;
    }
    Ok(pr.sel.pad(&flat, 0))
}

/// `Ṽ(s) = Σ_b 2^b·s_b` over the low `bits` coordinates.
fn v_at(s: &[Fr], bits: usize) -> Fr {
    s[..bits]
        .iter()
        .enumerate()
        .map(|(b, x)| jolt_core::field::from_u64(1u64 << b) * x)
        .sum()
}

/// The public factors of the selection checks at `τ`: `eq(τ,·)`, `M`, `W`, `V`.
fn sel_statements<'a>(
    pr: &'a Private,
    tau: &'a [Fr],
    c: Fr,
    idx_tau: Fr,
) -> Vec<ProductStatement<'a>> {
    let vb = pr.v_bits();
    let st = |claim: Fr, factors: Vec<u8>| ProductStatement {
        claim,
        num_rounds: pr.sel.num_vars,
        num_factors: factors.len(),
        order: BindingOrder::LowToHigh,
        public: Box::new(move |s: &[Fr]| {
            factors
                .iter()
                .map(|f| match f {
                    0 => Some(EqPolynomial::evaluate(tau, s)),
                    1 => Some(super::select::mask_at(&pr.sel, s)),
                    2 => Some(EqPolynomial::evaluate(&tau[vb..], &s[vb..])),
                    3 => Some(v_at(s, vb)),
                    _ => None,
                })
                .collect()
        }),
    };
    let m_idx = super::select::mask_at(&pr.idx, &tau[vb..]);
    vec![
        st(c, vec![0, 9, 9]),
        st(c, vec![0, 9, 1]),
        st(m_idx, vec![2, 9]),
        st(idx_tau, vec![2, 9, 3]),
    ]
}

/// Prover of a Gather with computed indices.
fn prove_private(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let (data, indices, _, _) = operands(p.program, index);
    let pr = Private::new(p.program, index);
    let adv = p.plan.advice_of[index].expect("a Gather with computed indices has advice");
    let sel_vals = to_field(&p.advice[adv]);
    let nv = pr.sel.num_vars;
    let vb = pr.v_bits();
    let sel = DenseMultilinear::new_padded(sel_vals.clone(), nv);
    let mut step = StepProof::default();

    // The selection checks at τ.
    let tau = p.transcript.challenge_scalars(b"gather_tau", nv);
    let eq_tau = DenseMultilinear::new_padded(EqPolynomial::evals(&tau), nv);
    let mask = DenseMultilinear::new_padded(super::softmax::mask_table(&pr.sel), nv);
    let w_tab: Vec<Fr> = {
        let e = eq_table(&tau[vb..]);
        (0..1usize << nv).map(|i| e[i >> vb]).collect()
    };
    let w = DenseMultilinear::new_padded(w_tab, nv);
    let v_tab: Vec<Fr> = (0..1u64 << nv)
        .map(|i| jolt_core::field::from_u64(i & ((1 << vb) - 1)))
        .collect();
    let vv = DenseMultilinear::new_padded(v_tab, nv);
    let c = inner_product(&[&eq_tau, &sel, &sel]);
    let idx_tau = p
        .layout(indices)
        .evaluate(p.trace.value(indices), &tau[vb..]);
    p.send(&mut step, &[c, idx_tau]);
    let (sc, f) = prove_products(
        vec![
            instance(&[&eq_tau, &sel, &sel]),
            instance(&[&eq_tau, &sel, &mask]),
            instance(&[&w, &sel]),
            instance(&[&w, &sel, &vv]),
        ],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    let (s1, sel_s1) = (f[0].0.clone(), f[0].1[1]);

    // The gather over v at r.
    let rj = pr.points(&claim.point, &vec![Fr::from(0u64); vb]).0;
    let e_j = eq_table(&rj);
    let n_pad = 1usize << vb;
    let sr: Vec<Fr> = (0..n_pad)
        .map(|v| {
            (0..e_j.len())
                .map(|j| e_j[j] * sel_vals[j * n_pad + v])
                .sum()
        })
        .collect();
    // d̃ata(r_p, v, r_q) for every v, in one pass over data.
    let rows =
        super::softmax::RowLayout::new(&pr.data.dims, pr.axis).map_err(ProveError::Witness)?;
    let e_rows = eq_table(&rows.row_point(&pr.points(&claim.point, &vec![Fr::from(0u64); vb]).1));
    let mut dr = vec![Fr::from(0u64); n_pad];
    for (i, x) in pr.data.pad(p.trace.value(data), 0).iter().enumerate() {
        if *x != 0 {
            let v = (i >> rows.col_off) & (n_pad - 1);
            dr[v] += e_rows[rows.row_of(i)] * jolt_core::field::from_i64(*x);
        }
    }
    let (sc, f) = prove_products(
        vec![instance(&[
            &DenseMultilinear::new_padded(sr, vb),
            &DenseMultilinear::new_padded(dr, vb),
        ])],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    p.steps.push(step);
    let (v_star, s_v, d_v) = (f[0].0.clone(), f[0].1[0], f[0].1[1]);
    let (_, data_point, sel_point) = pr.points(&claim.point, &v_star);
    p.claim(data, data_point, d_v);
    p.claim(indices, tau[vb..].to_vec(), idx_tau);
    open_advice(&mut p.openings, adv, [(0, s1, sel_s1), (0, sel_point, s_v)]);
    Ok(())
}

/// Verifier of a Gather with computed indices.
fn verify_private(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let (data, indices, _, _) = operands(v.program, index);
    let name = step_name(v.program, index);
    let pr = Private::new(v.program, index);
    let adv = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let nv = pr.sel.num_vars;
    let vb = pr.v_bits();
    let tau = v.transcript.challenge_scalars(b"gather_tau", nv);
    let step = v.step(&name, 2, 2, false)?;
    let (c, idx_tau) = (step.values[0].0, step.values[1].0);
    let sts = sel_statements(&pr, &tau, c, idx_tau);
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    drop(sts);
    let (s1, sel_s1) = (f[0].0.clone(), f[0].1[1]);
    if f[0].1[2] != sel_s1 || f[1].1[1] != sel_s1 || f[2].1[1] != sel_s1 || f[3].1[1] != sel_s1 {
        return Err(VerifyError::Check {
            step: name,
            what: "selection claims disagree",
        });
    }
    let st = ProductStatement {
        claim: claim.value,
        num_rounds: vb,
        num_factors: 2,
        order: BindingOrder::LowToHigh,
        public: Box::new(|_: &[Fr]| vec![None, None]),
    };
    let f = verify_products(&[st], &step.sumchecks[1].0, &mut v.transcript, &name)?;
    let (v_star, s_v, d_v) = (f[0].0.clone(), f[0].1[0], f[0].1[1]);
    let (_, data_point, sel_point) = pr.points(&claim.point, &v_star);
    v.claim(data, data_point, d_v);
    v.claim(indices, tau[vb..].to_vec(), idx_tau);
    open_advice(&mut v.openings, adv, [(0, s1, sel_s1), (0, sel_point, s_v)]);
    Ok(())
}

/// Number of variables of the selection of the Gather at `index` (computed indices).
pub(crate) fn selection_vars(program: &Program, index: usize) -> usize {
    Private::new(program, index).sel.num_vars
}
