//! RmsNorm along any axis (LayerNorm is a mean subtraction, then this): committed row
//! statistics (mean square, root) and quotients, every remainder range-checked.
//!
//! # Relation
//!
//! With `n` the row length, `e = max(eps, 1)`, `t = s(out)`, `M` the real-position indicator
//! of `x`'s padded layout, `M_row` its row part and `ρ(j)` the row of position `j`, the prover
//! commits the row vectors `ms`, `mr`, `d`, `rr` and, over `x`'s layout, the quotients `Q` and
//! remainders `rem`:
//!
//! ```text
//! 2·Σ_i x(ρ, i)² + n·M_row(ρ) = 2n·ms_ρ + mr_ρ,    mr ∈ [0, 2^32),  2n − 1 − mr ∈ [0, 2^32)
//! ms_ρ + e·M_row(ρ) = d_ρ² + rr_ρ,                 rr ∈ [0, 2^32),  2d − rr ∈ [0, 2^32)
//! M_j·(2^{t+1}·x_j + d_ρ(j) − 2·d_ρ(j)·Q_j − rem_j) = 0,
//!                                                  rem ∈ [0, 2^32),  M·(2d − 1 − rem) ∈ [0, 2^32)
//! out = M·Q
//! ```
//!
//! i.e. `ms = round(Σx²/n)`, `d = ⌊√(ms + e)⌋` (`d ≥ 0` follows from the two root ranges, and
//! `d ≥ 1` on real rows from the quotient ranges), `out = round(x·2^t / d)`; padding rows are
//! forced to zero statistics by the unmasked row ranges. For the claim `õut(r) = v`,
//! `r = (r_row, r_col)`, one batched sumcheck proves `v = Σ eq(r,·)·M·Q` and the shares
//! `c_ss = Σ W·x²` (`W(j) = eq(r_row, ρ(j))`), `c_dd = Σ eq(r,·)·d_rep²`, `c_2 = Σ eq·M·d_rep`,
//! `c_3 = Σ eq·M·d_rep·Q`, `c_4 = Σ eq·M·rem`. The verifier checks, with the openings
//! `ms̃, m̃r, d̃, r̃r` at `r_row`:
//!
//! ```text
//! 2c_ss + n·M̃_row(r_row) − 2n·ms̃ − m̃r = 0,    ms̃ + e·M̃_row(r_row) − c_dd − r̃r = 0,
//! 2^{t+1}·x̃(r) + c_2 − 2c_3 − c_4 = 0,
//! ```
//!
//! and six Shout range checks read `mr`, `2n − 1 − mr`, `rr`, `2d − rr` at `r_row` and `rem`,
//! `2c_2 − M̃(r) − c_4` at `r`, each RAF claim equal to its read claim. All polynomials are
//! committed before `r` is drawn (Schwartz–Zippel, position by position).

use atlas_isa::{Instr, Program, TensorId};
use atlas_lookups::tables::RangeTable;
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::DenseMultilinear;

use super::composite::{
    inner_product, instance, range_keys, statement, Frame, EQ, MASK, PRIVATE, ROW_EQ,
};
use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, to_field};
use super::lookup::{prove_reads, verify_reads, LookupInstance, TableKind};
use super::product::{prove_products, verify_products, ProductStatement};
use super::softmax::{mask_table, replicate, two_t1, RowLayout};
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::{InstrWitness, Trace};

/// Bits of every range check.
pub(crate) const BITS: usize = 32;

/// Advice polynomials, in commitment order (rows first).
const MS: usize = 0;
const MR: usize = 1;
const D: usize = 2;
const RR: usize = 3;
const Q: usize = 4;
const REM: usize = 5;

/// Range checks, in plan order: four over the rows, two over `x`.
const R_MR: usize = 0;
const R_MR_GAP: usize = 1;
const R_RR: usize = 2;
const R_RR_GAP: usize = 3;
const R_REM: usize = 4;
const R_REM_GAP: usize = 5;

fn operands(program: &Program, index: usize) -> (TensorId, usize, i64, TensorId) {
    match &program.instrs[index] {
        Instr::RmsNorm { x, axis, eps, out } => (*x, *axis, *eps, *out),
        _ => unreachable!("dispatched on RmsNorm"),
    }
}

fn shape(program: &Program, index: usize) -> Result<RowLayout, String> {
    let (x, axis, _, _) = operands(program, index);
    RowLayout::new(&program.tensor(x).shape, axis)
}

/// The plan of the RmsNorm at `index`: advice sizes, and the range checks with their sizes.
#[allow(clippy::type_complexity)]
pub(crate) fn plan(
    program: &Program,
    index: usize,
) -> Result<(Vec<usize>, Vec<(TableKind, usize)>), String> {
    let sh = shape(program, index)?;
    let (nx, nr) = (sh.x.num_vars, sh.rows.num_vars);
    let range = || {
        RangeTable::new(BITS)
            .map(TableKind::Range)
            .map_err(|e| e.to_string())
    };
    let (tx, tr) = (sh.x.padded_len(), sh.rows.padded_len());
    Ok((
        vec![nr, nr, nr, nr, nx, nx],
        vec![
            (range()?, tr),
            (range()?, tr),
            (range()?, tr),
            (range()?, tr),
            (range()?, tx),
            (range()?, tx),
        ],
    ))
}

/// `[ms, mr, d, rr, Q, rem]` and the range-checked gaps `[2n − 1 − mr, 2d − rr, M·(2d − 1 −
/// rem)]`, padded.
struct Witness {
    advice: [Vec<i64>; 6],
    gaps: [Vec<i64>; 3],
}

fn witness(program: &Program, index: usize, trace: &Trace) -> Result<Witness, String> {
    let (_, _, _, out) = operands(program, index);
    let sh = shape(program, index)?;
    let Some(InstrWitness::RmsNorm(w)) = trace.witnesses().get(index) else {
        return Err("the trace has no RmsNorm witness".into());
    };
    let n = sh.cols;
    let rows = atlas_isa::tensor::numel(&sh.rows.dims);
    let len = rows * n;
    if w.mean_squares.len() != rows
        || w.mean_remainders.len() != rows
        || w.roots.len() != rows
        || w.root_remainders.len() != rows
        || w.remainders.len() != len
    {
        return Err("the RmsNorm witness has the wrong shape".into());
    }
    // Honest remainders are below 2^32; a wrapped one is caught by its range check.
    let signed = |v: &[u64]| -> Vec<i64> { v.iter().map(|r| *r as i64).collect() };
    let (mr, rr, rem) = (
        signed(&w.mean_remainders),
        signed(&w.root_remainders),
        signed(&w.remainders),
    );
    let n2 = 2 * n as i64 - 1;
    let mr_gap: Vec<i64> = mr.iter().map(|m| n2 - m).collect();
    let rr_gap: Vec<i64> = (0..rows).map(|k| 2 * w.roots[k] - rr[k]).collect();
    let rem_gap: Vec<i64> = (0..len)
        .map(|j| 2 * w.roots[sh.row_of_flat(j)] - 1 - rem[j])
        .collect();
    let (xl, rl) = (&sh.x, &sh.rows);
    // Padding rows: zero statistics, so the unmasked row gaps are 2n − 1 and 0.
    Ok(Witness {
        advice: [
            rl.pad(&w.mean_squares, 0),
            rl.pad(&mr, 0),
            rl.pad(&w.roots, 0),
            rl.pad(&rr, 0),
            xl.pad(trace.value(out), 0),
            xl.pad(&rem, 0),
        ],
        gaps: [rl.pad(&mr_gap, n2), rl.pad(&rr_gap, 0), xl.pad(&rem_gap, 0)],
    })
}

/// The advice tables of the RmsNorm at `index`.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 6], String> {
    Ok(witness(program, index, trace)?.advice)
}

/// The keys of range check `l` of an RmsNorm (a cheating prover, `mask`, reduces them).
pub(crate) fn keys(
    program: &Program,
    l: &LookupInstance,
    trace: &Trace,
    mask: bool,
) -> Result<Vec<u64>, String> {
    let w = witness(program, l.instr, trace)?;
    let values = match l.operand {
        R_MR => &w.advice[MR],
        R_MR_GAP => &w.gaps[0],
        R_RR => &w.advice[RR],
        R_RR_GAP => &w.gaps[1],
        R_REM => &w.advice[REM],
        R_REM_GAP => &w.gaps[2],
        _ => return Err("lookup plan does not match the RmsNorm".into()),
    };
    range_keys(values, BITS, mask, "RmsNorm range-checked value")
}

/// Sent values: `[c_ss, c_dd, c_2, c_3, c_4, ms̃, m̃r, d̃, r̃r, r̃em(r), x̃(r)]`.
const SENT: usize = 11;

fn statements<'a>(sh: &'a RowLayout, r: &'a [Fr], v: Fr, c: &[Fr]) -> Vec<ProductStatement<'a>> {
    let st = |claim: Fr, factors: Vec<Option<u8>>| statement(Frame::Rows(sh), r, claim, factors);
    vec![
        st(v, vec![EQ, MASK, PRIVATE]),
        st(c[0], vec![ROW_EQ, PRIVATE, PRIVATE]),
        st(c[1], vec![EQ, PRIVATE, PRIVATE]),
        st(c[2], vec![EQ, MASK, PRIVATE]),
        st(c[3], vec![EQ, MASK, PRIVATE, PRIVATE]),
        st(c[4], vec![EQ, MASK, PRIVATE]),
    ]
}

/// The read claims of the six range checks, from the sent values.
fn range_reads(sh: &RowLayout, n: usize, r: &[Fr], c: &[Fr]) -> [Fr; 6] {
    let (c2, c4, mr, d, rr, rem) = (c[2], c[4], c[6], c[7], c[8], c[9]);
    let two = from_i64(2);
    [
        mr,
        from_i64(2 * n as i64 - 1) - mr,
        rr,
        two * d - rr,
        rem,
        two * c2 - sh.mask_at(r) - c4,
    ]
}

/// Prover of the RmsNorm at `index`.
#[tracing::instrument(skip_all, name = "norm::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let (x, _, _, _) = operands(program, index);
    let plan = p.plan;
    let bad = |e: String| ProveError::Witness(format!("{}: {e}", step_name(program, index)));
    let sh = shape(program, index).map_err(bad)?;
    let first = plan.advice_of[index].expect("the plan has advice for every RmsNorm");
    let inst = plan.lookup_of[index].expect("the plan has range checks for every RmsNorm");
    let nv = sh.x.num_vars;
    let r = claim.point.clone();
    let r_row = sh.row_point(&r);
    let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
    let adv = |k: usize| to_field(&p.advice[first + k]);
    let row_eval =
        |k: usize| DenseMultilinear::new_padded(adv(k), sh.rows.num_vars).evaluate(&r_row);

    let eq_r = dense(eq_table(&r));
    let wr = dense(replicate(&sh, &eq_table(&r_row)));
    let mask = dense(mask_table(&sh.x));
    let drep = dense(replicate(&sh, &adv(D)));
    let q = dense(adv(Q));
    let rem = dense(adv(REM));
    let xv = dense(to_field(&sh.x.pad(p.trace.value(x), 0)));
    let values: [Fr; SENT] = [
        inner_product(&[&wr, &xv, &xv]),
        inner_product(&[&eq_r, &drep, &drep]),
        inner_product(&[&eq_r, &mask, &drep]),
        inner_product(&[&eq_r, &mask, &drep, &q]),
        inner_product(&[&eq_r, &mask, &rem]),
        row_eval(MS),
        row_eval(MR),
        row_eval(D),
        row_eval(RR),
        rem.evaluate(&r),
        xv.evaluate(&r),
    ];
    let mut step = StepProof::default();
    p.send(&mut step, &values);
    let (sc, f) = prove_products(
        vec![
            instance(&[&eq_r, &mask, &q]),
            instance(&[&wr, &xv, &xv]),
            instance(&[&eq_r, &drep, &drep]),
            instance(&[&eq_r, &mask, &drep]),
            instance(&[&eq_r, &mask, &drep, &q]),
            instance(&[&eq_r, &mask, &rem]),
        ],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    let s = f[0].0.clone();
    let (q_s, x_s, d_s, rem_s) = (f[0].1[2], f[1].1[1], f[2].1[1], f[5].1[2]);

    let reads = range_reads(&sh, sh.cols, &r, &values);
    for (k, rv) in reads.into_iter().enumerate() {
        let point = if k < R_REM { &r_row } else { &r };
        let (part, _) = prove_reads(p, inst + k, point, rv)?;
        if k == 0 {
            step.shout = Some(part);
            p.steps.push(std::mem::take(&mut step));
        } else {
            p.steps.push(StepProof {
                shout: Some(part),
                ..Default::default()
            });
        }
    }

    let s_row = sh.row_point(&s);
    open_advice(
        &mut p.openings,
        first,
        [
            (MS, r_row.clone(), values[5]),
            (MR, r_row.clone(), values[6]),
            (D, r_row.clone(), values[7]),
            (RR, r_row, values[8]),
            (D, s_row, d_s),
            (Q, s.clone(), q_s),
            (REM, r.clone(), values[9]),
            (REM, s.clone(), rem_s),
        ],
    );
    p.claim(x, r, values[10]);
    p.claim(x, s, x_s);
    Ok(())
}

/// Verifier of the RmsNorm at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let (x, _, eps, out) = operands(program, index);
    let name = step_name(program, index);
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    let sh = shape(program, index).map_err(VerifyError::Key)?;
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    if v.plan.lookups.len() < inst + 6 || v.plan.advice_vars.len() < first + 6 {
        return Err(VerifyError::Key(format!("{name}: plan too short")));
    }
    let r = claim.point.clone();
    let r_row = sh.row_point(&r);
    let n = from_i64(sh.cols as i64);
    let m_row = sh.row_mask_at(&r_row);

    let step = v.step(&name, SENT, 1, true)?;
    let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
    let two = from_i64(2);
    if two * c[0] + n * m_row - two * n * c[5] - c[6] != Fr::from(0u64) {
        return Err(fail("mean square is not round(Σx² / n)"));
    }
    if c[5] + from_i64(eps.max(1)) * m_row - c[1] - c[8] != Fr::from(0u64) {
        return Err(fail("root remainder is not ms + eps − d²"));
    }
    if two_t1(program, out) * c[10] + c[2] - two * c[3] - c[4] != Fr::from(0u64) {
        return Err(fail("quotients do not divide x by the root"));
    }
    let sts = statements(&sh, &r, claim.value, &c);
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    drop(sts);
    let s = f[0].0.clone();
    let (q_s, x_s, d_s, rem_s) = (f[0].1[2], f[1].1[1], f[2].1[1], f[5].1[2]);
    if f[1].1[2] != x_s
        || f[2].1[2] != d_s
        || f[3].1[2] != d_s
        || f[4].1[2] != d_s
        || f[4].1[3] != q_s
    {
        return Err(fail("RmsNorm factor claims disagree"));
    }

    let reads = range_reads(&sh, sh.cols, &r, &c);
    for (k, rv) in reads.into_iter().enumerate() {
        let point = if k < R_REM { &r_row } else { &r };
        let part = if k == 0 {
            step.shout.as_ref().expect("shape checked by step")
        } else {
            let step = v.step(&name, 0, 0, true)?;
            step.shout.as_ref().expect("shape checked by step")
        };
        if verify_reads(v, inst + k, part, point, rv, &name)? != rv {
            return Err(fail("a range check does not read its values"));
        }
    }

    let s_row = sh.row_point(&s);
    open_advice(
        &mut v.openings,
        first,
        [
            (MS, r_row.clone(), c[5]),
            (MR, r_row.clone(), c[6]),
            (D, r_row.clone(), c[7]),
            (RR, r_row, c[8]),
            (D, s_row, d_s),
            (Q, s.clone(), q_s),
            (REM, r.clone(), c[9]),
            (REM, s.clone(), rem_s),
        ],
    );
    v.claim(x, r, c[10]);
    v.claim(x, s, x_s);
    Ok(())
}
