//! Softmax along any axis: a committed, proven row maximum, the exp table read at the
//! clamped differences, and a division with committed quotients and range-checked remainders.
//!
//! # Relation
//!
//! Over the padded layout of `x` (a row is a position of the other axes, see `RowLayout`),
//! with `M` the real-position indicator, `M_row` its row part, `ρ(j)` the row of position `j`,
//! `t = s(out)` and the table's domain `[lo, hi]` (`hi ≥ 0`). The prover commits, up front:
//! the row maxima `m` and row sums `S` (row layout), the selection `sel` (one-hot per real row),
//! the gaps `G`, the quotients `Q` and the remainders `rem` (layout of `x`), and the one-hot keys
//! of five lookups. The relation, position by position:
//!
//! ```text
//! sel ∈ {0, M},   Σ_i sel(ρ, i) = M_row(ρ),   m_ρ = Σ_i sel(ρ, i)·x(ρ, i)        (m = x[argmax])
//! G_j = M_j·m_ρ(j) − x_j ∈ [0, 2^32)                                             (m ≥ every x)
//! a_j = ReLU(−G_j − lo·M_j),   Op(k_j) = lo + a_j,   L_j = exp(k_j + lo)         (e = exp(max(x − m, lo)))
//! S_ρ = Σ_i M·L (ρ, i)
//! M_j·(2^{t+1}·L_j + S_ρ(j) − 2·S_ρ(j)·Q_j − rem_j) = 0,   rem_j ∈ [0, 2^32),
//! M_j·(2·S_ρ(j) − 1 − rem_j) ∈ [0, 2^32)                                          (0 ≤ rem < 2S)
//! out = M·Q
//! ```
//!
//! so `out_j = round(e_j·2^t / S_ρ)` (round half up: `2e·2^t + S = 2S·q + rem`), and `S ≥ 1`.
//! For the claim `õut(r) = v`, with `r = (r_row, r_col)`, one batched sumcheck proves at `r`:
//! `v = Σ eq(r,·)·M·Q`; the shares `c_1 = Σ eq·M·L`, `c_2 = Σ eq·M·S`, `c_3 = Σ eq·M·S·Q`,
//! `c_4 = Σ eq·M·rem` (the verifier checks `2^{t+1}c_1 + c_2 − 2c_3 − c_4 = 0`);
//! `S̃(r_row) = Σ W·M·L`, `M̃_row(r_row) = Σ W·sel`, `m̃(r_row) = Σ W·sel·x` with
//! `W(j) = eq(r_row, ρ(j))`; and `Σ eq·sel² = Σ eq·sel·M`. Its end point `s` gives claims on
//! `x`, `sel`, `Q`, `rem`, `S` and `L̃(s)`. Then: range checks at `r` of `G` (read claim
//! `G̃(r) = m̃(r_row)·valid_col(r_col) − x̃(r)`), of `rem` and of the masked gap
//! `2c_2 − M̃(r) − c_4`, each RAF claim equal to its read claim; a ReLU lookup at `s` (read
//! `ã(s)`, RAF `−G̃(s) − lo·M̃(s)`); the exp table at `s` (read `L̃(s)`, RAF `lo + ã(s)`).
//! Every committed polynomial is fixed before `r` and `s` are drawn, so the identities hold
//! position by position (Schwartz–Zippel).

use atlas_isa::tensor::numel;
use atlas_isa::{Instr, Program, Table, TensorId};
use atlas_lookups::tables::{RangeTable, ReluTable};
use atlas_lookups::LookupTable;
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::DenseMultilinear;

use super::composite::{
    inner_product, instance, range_keys, statement, Frame, EQ, MASK, PRIVATE, ROW_EQ,
};
use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, to_field, valid_axis, Layout};
use super::lookup::{prove_reads, verify_reads, LookupInstance, TableKind};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{open_advice, step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::{InstrWitness, Trace};

/// Bits of every range check (gaps and remainders).
pub(crate) const BITS: usize = 32;

/// Advice polynomials, in commitment order.
const M: usize = 0;
const S: usize = 1;
const SEL: usize = 2;
const G: usize = 3;
const Q: usize = 4;
const REM: usize = 5;

/// Lookup instances, in plan order.
const RANGE_G: usize = 0;
const RANGE_REM: usize = 1;
const RANGE_GAP: usize = 2;
const RELU: usize = 3;
const EXP: usize = 4;

/// The layouts of a row-wise operation along one axis (Softmax, RmsNorm): `x` and its rows
/// (the shape without the axis). The axis occupies the index bits `[col_off, col_off +
/// col_bits)` of `x`; the row layout's bits are `x`'s others, in order.
pub(crate) struct RowLayout {
    pub x: Layout,
    pub rows: Layout,
    /// First index bit of the axis.
    pub col_off: usize,
    /// Bits of the axis.
    pub col_bits: usize,
    /// Extent of the axis.
    pub cols: usize,
    /// Product of the extents after the axis.
    pub inner: usize,
}

fn operands(program: &Program, index: usize) -> (TensorId, usize, &Table, TensorId) {
    match &program.instrs[index] {
        Instr::Softmax { x, axis, exp, out } => (*x, *axis, exp, *out),
        _ => unreachable!("dispatched on Softmax"),
    }
}

impl RowLayout {
    /// The layouts of `shape` with rows along `axis`, or why it is not supported.
    pub fn new(shape: &[usize], axis: usize) -> Result<Self, String> {
        if axis >= shape.len() {
            return Err("axis out of range".into());
        }
        let xl = Layout::new(shape);
        let mut row_shape = shape.to_vec();
        row_shape.remove(axis);
        Ok(Self {
            col_off: xl.offsets[axis],
            col_bits: xl.bits[axis],
            cols: shape[axis],
            inner: shape[axis + 1..].iter().product(),
            x: xl,
            rows: Layout::new(&row_shape),
        })
    }

    /// Row part of a point on `x`.
    pub fn row_point(&self, point: &[Fr]) -> Vec<Fr> {
        let mut p = point[..self.col_off].to_vec();
        p.extend_from_slice(&point[self.col_off + self.col_bits..]);
        p
    }

    /// Column part of a point on `x`.
    pub fn col_point<'p>(&self, point: &'p [Fr]) -> &'p [Fr] {
        &point[self.col_off..self.col_off + self.col_bits]
    }

    /// The padded row index of padded position `j` of `x`.
    pub fn row_of(&self, j: usize) -> usize {
        (j & ((1 << self.col_off) - 1)) | ((j >> (self.col_off + self.col_bits)) << self.col_off)
    }

    /// The row (row-major over the other axes) of flat element `j` of `x`.
    pub fn row_of_flat(&self, j: usize) -> usize {
        j / (self.cols * self.inner) * self.inner + j % self.inner
    }

    /// `M̃(s)`.
    pub fn mask_at(&self, s: &[Fr]) -> Fr {
        self.row_mask_at(&self.row_point(s)) * valid_axis(self.col_point(s), self.cols)
    }

    /// `M̃_row(s_row)`.
    pub fn row_mask_at(&self, s: &[Fr]) -> Fr {
        (0..self.rows.dims.len())
            .map(|a| valid_axis(self.rows.sub_point(s, a), self.rows.dims[a]))
            .product()
    }
}

/// The row layout of the softmax at `index`, or why it is not supported.
fn shape(program: &Program, index: usize) -> Result<RowLayout, String> {
    let (x, axis, exp, _) = operands(program, index);
    if exp.domain.1 < 0 || exp.domain.0 > exp.domain.1 {
        return Err("the exp table's domain must contain 0".into());
    }
    RowLayout::new(&program.tensor(x).shape, axis)
}

/// The plan of the softmax at `index`: the advice polynomials' numbers of variables, the
/// lookup tables and the number of lookups per instance.
pub(crate) fn plan(
    program: &Program,
    index: usize,
) -> Result<(Vec<usize>, Vec<TableKind>, usize), String> {
    let (_, _, exp, _) = operands(program, index);
    let sh = shape(program, index)?;
    let (nx, nr) = (sh.x.num_vars, sh.rows.num_vars);
    let range = || RangeTable::new(BITS).map(TableKind::Range);
    let exp = super::smooth::materialize(program, exp)?;
    let tables = vec![
        range().map_err(|e| e.to_string())?,
        range().map_err(|e| e.to_string())?,
        range().map_err(|e| e.to_string())?,
        TableKind::Relu(ReluTable::i32()),
        TableKind::Clamped(exp),
    ];
    Ok((vec![nr, nr, nx, nx, nx, nx], tables, sh.x.padded_len()))
}

/// Everything the prover commits, over the padded layouts.
struct Witness {
    /// `[m, S, sel, G, Q, rem]`.
    advice: [Vec<i64>; 6],
    /// `M·(2S − 1 − rem)`.
    gap: Vec<i64>,
    /// ReLU operands `−G − lo·M`.
    relu: Vec<i64>,
    /// Keys of the exp table.
    exp_keys: Vec<u64>,
}

fn witness(program: &Program, index: usize, trace: &Trace) -> Result<Witness, String> {
    let (x, _, exp, out) = operands(program, index);
    let sh = shape(program, index)?;
    let Some(InstrWitness::Softmax(w)) = trace.witnesses().get(index) else {
        return Err("the trace has no softmax witness".into());
    };
    let xs = trace.value(x);
    let rows = numel(&sh.rows.dims);
    if w.row_max.len() != rows
        || w.sums.len() != rows
        || w.argmax.len() != rows
        || w.remainders.len() != xs.len()
    {
        return Err("the softmax witness has the wrong shape".into());
    }
    let lo = exp.domain.0;
    let table = super::smooth::materialize(program, exp)?;
    let mut sel = vec![0i64; xs.len()];
    for (row, &a) in w.argmax.iter().enumerate() {
        let a = a as usize;
        if sh.row_of_flat(a) != row {
            return Err("an argmax is outside its row".into());
        }
        sel[a] = 1;
    }
    let g: Vec<i64> = (0..xs.len())
        .map(|j| w.row_max[sh.row_of_flat(j)] - xs[j])
        .collect();
    // Honest remainders are below 2^32; a wrapped one is caught by its range check.
    let rem: Vec<i64> = w.remainders.iter().map(|r| *r as i64).collect();
    let gap: Vec<i64> = (0..xs.len())
        .map(|j| 2 * w.sums[sh.row_of_flat(j)] - 1 - rem[j])
        .collect();
    let relu: Vec<i64> = g.iter().map(|g| -g - lo).collect();
    let exp_keys: Vec<u64> = g.iter().map(|g| table.key(-g)).collect();
    let (xl, rl) = (&sh.x, &sh.rows);
    Ok(Witness {
        advice: [
            rl.pad(&w.row_max, 0),
            rl.pad(&w.sums, 0),
            xl.pad(&sel, 0),
            xl.pad(&g, 0),
            xl.pad(trace.value(out), 0),
            xl.pad(&rem, 0),
        ],
        gap: xl.pad(&gap, 0),
        relu: xl.pad(&relu, 0),
        exp_keys: xl.pad(&exp_keys, 0),
    })
}

/// The advice tables `[m, S, sel, G, Q, rem]` of the softmax at `index`.
pub(crate) fn advice(
    program: &Program,
    index: usize,
    trace: &Trace,
) -> Result<[Vec<i64>; 6], String> {
    Ok(witness(program, index, trace)?.advice)
}

/// The keys of lookup instance `l` of a softmax.
pub(crate) fn keys(
    program: &Program,
    l: &LookupInstance,
    trace: &Trace,
    mask: bool,
) -> Result<Vec<u64>, String> {
    let w = witness(program, l.instr, trace)?;
    match (l.operand, &l.table) {
        (RANGE_G, _) => range_keys(&w.advice[G], BITS, mask, "softmax gap to the row maximum"),
        (RANGE_REM, _) => range_keys(&w.advice[REM], BITS, mask, "softmax remainder"),
        (RANGE_GAP, _) => range_keys(&w.gap, BITS, mask, "softmax remainder gap"),
        (RELU, TableKind::Relu(t)) => w
            .relu
            .iter()
            .map(|v| i32::try_from(*v).ok().map(|v| t.key(i64::from(v))))
            .collect::<Option<_>>()
            .ok_or_else(|| "an exp clamp operand does not fit 32 bits".into()),
        (EXP, TableKind::Clamped(_)) => Ok(w.exp_keys),
        _ => Err("lookup plan does not match the softmax".into()),
    }
}

/// Replicates a row vector over the columns of `x`'s padded layout.
pub(crate) fn replicate(sh: &RowLayout, rows: &[Fr]) -> Vec<Fr> {
    (0..sh.x.padded_len()).map(|j| rows[sh.row_of(j)]).collect()
}

pub(crate) fn mask_table(l: &Layout) -> Vec<Fr> {
    let mut t = vec![Fr::from(0u64); l.padded_len()];
    for i in l.padded_indices() {
        t[i] = Fr::from(1u64);
    }
    t
}

/// The verifier's statements of the batched sumcheck, given the sent values
/// `[c1, c2, c3, c4, S(r_row), m(r_row), c8, rem(r), x(r)]`.
fn statements<'a>(sh: &'a RowLayout, r: &'a [Fr], v: Fr, c: &[Fr]) -> Vec<ProductStatement<'a>> {
    let st = |claim: Fr, factors: Vec<Option<u8>>| statement(Frame::Rows(sh), r, claim, factors);
    vec![
        st(v, vec![EQ, MASK, PRIVATE]),
        st(c[0], vec![EQ, MASK, PRIVATE]),
        st(c[1], vec![EQ, MASK, PRIVATE]),
        st(c[2], vec![EQ, MASK, PRIVATE, PRIVATE]),
        st(c[3], vec![EQ, MASK, PRIVATE]),
        st(c[4], vec![ROW_EQ, MASK, PRIVATE]),
        st(sh.row_mask_at(&sh.row_point(r)), vec![ROW_EQ, PRIVATE]),
        st(c[5], vec![ROW_EQ, PRIVATE, PRIVATE]),
        st(c[6], vec![EQ, PRIVATE, PRIVATE]),
        st(c[6], vec![EQ, PRIVATE, MASK]),
    ]
}

/// `2^{t+1}` for `t = s(out)`.
pub(crate) fn two_t1(program: &Program, out: TensorId) -> Fr {
    jolt_core::field::from_u64(1u64 << (program.tensor(out).scale + 1))
}

/// Prover of the softmax at `index`.
#[tracing::instrument(skip_all, name = "softmax::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let (x, _, exp, _) = operands(program, index);
    let lo = exp.domain.0;
    let plan = p.plan;
    let bad = |e: String| ProveError::Witness(format!("{}: {e}", step_name(program, index)));
    let sh = shape(program, index).map_err(bad)?;
    let first = plan.advice_of[index].expect("the plan has advice for every softmax");
    let inst = plan.lookup_of[index].expect("the plan has lookups for every softmax");
    let nv = sh.x.num_vars;
    let r = claim.point.clone();
    let dense = |t: Vec<Fr>| DenseMultilinear::new_padded(t, nv);
    let adv = |k: usize| to_field(&p.advice[first + k]);
    let w = witness(program, index, p.trace).map_err(bad)?;
    let TableKind::Clamped(table) = &plan.lookups[inst + EXP].table else {
        unreachable!("the plan's fifth softmax lookup is the exp table")
    };
    let l: Vec<i64> = w.exp_keys.iter().map(|k| table.value(*k)).collect();

    let (m_rows, s_rows) = (adv(M), adv(S));
    let eq_r = dense(eq_table(&r));
    let wr = dense(replicate(&sh, &eq_table(&sh.row_point(&r))));
    let mask = dense(mask_table(&sh.x));
    let lp = dense(to_field(&l));
    let srep = dense(replicate(&sh, &s_rows));
    let q = dense(adv(Q));
    let rem = dense(adv(REM));
    let sel = dense(adv(SEL));
    let xv = dense(to_field(&sh.x.pad(p.trace.value(x), 0)));
    let r_row = sh.row_point(&r);
    let values = [
        inner_product(&[&eq_r, &mask, &lp]),
        inner_product(&[&eq_r, &mask, &srep]),
        inner_product(&[&eq_r, &mask, &srep, &q]),
        inner_product(&[&eq_r, &mask, &rem]),
        DenseMultilinear::new_padded(s_rows.clone(), sh.rows.num_vars).evaluate(&r_row),
        DenseMultilinear::new_padded(m_rows.clone(), sh.rows.num_vars).evaluate(&r_row),
        inner_product(&[&eq_r, &sel, &sel]),
        rem.evaluate(&r),
        xv.evaluate(&r),
    ];
    let mut step = StepProof::default();
    p.send(&mut step, &values);
    let (sc, f) = prove_products(
        vec![
            instance(&[&eq_r, &mask, &q]),
            instance(&[&eq_r, &mask, &lp]),
            instance(&[&eq_r, &mask, &srep]),
            instance(&[&eq_r, &mask, &srep, &q]),
            instance(&[&eq_r, &mask, &rem]),
            instance(&[&wr, &mask, &lp]),
            instance(&[&wr, &sel]),
            instance(&[&wr, &sel, &xv]),
            instance(&[&eq_r, &sel, &sel]),
            instance(&[&eq_r, &sel, &mask]),
        ],
        &mut p.transcript,
    );
    step.sumchecks.push(Ark(sc));
    let s = f[0].0.clone();
    let (q_s, l_s, srep_s, rem_s, sel_s, x_s) = (
        f[0].1[2], f[1].1[2], f[2].1[2], f[4].1[2], f[6].1[1], f[7].1[2],
    );
    let [c2, c4, m_r, rem_r, x_r] = [values[1], values[3], values[5], values[7], values[8]];
    let g_r = m_r * valid_axis(sh.col_point(&r), sh.cols) - x_r;
    let gap_r = from_i64(2) * c2 - sh.mask_at(&r) - c4;

    // Range checks at r.
    let (part, _) = prove_reads(p, inst + RANGE_G, &r, g_r)?;
    step.shout = Some(part);
    p.steps.push(step);
    for (k, rv) in [(RANGE_REM, rem_r), (RANGE_GAP, gap_r)] {
        let (part, _) = prove_reads(p, inst + k, &r, rv)?;
        p.steps.push(StepProof {
            shout: Some(part),
            ..Default::default()
        });
    }

    // The clamp and the exp table at s.
    let a: Vec<i64> = w.relu.iter().map(|v| (*v).max(0)).collect();
    let a_s = DenseMultilinear::new_padded(to_field(&a), nv).evaluate(&s);
    let mut step = StepProof::default();
    p.send(&mut step, &[a_s]);
    let (part, raf) = prove_reads(p, inst + RELU, &s, a_s)?;
    step.shout = Some(part);
    p.steps.push(step);
    let (part, _) = prove_reads(p, inst + EXP, &s, l_s)?;
    p.steps.push(StepProof {
        shout: Some(part),
        ..Default::default()
    });
    let g_s = -raf - from_i64(lo) * sh.mask_at(&s);

    let s_row = sh.row_point(&s);
    open_advice(
        &mut p.openings,
        first,
        [
            (M, r_row.clone(), m_r),
            (S, r_row, values[4]),
            (S, s_row, srep_s),
            (SEL, s.clone(), sel_s),
            (G, r.clone(), g_r),
            (G, s.clone(), g_s),
            (Q, s.clone(), q_s),
            (REM, r.clone(), rem_r),
            (REM, s.clone(), rem_s),
        ],
    );
    p.claim(x, r, x_r);
    p.claim(x, s, x_s);
    Ok(())
}

/// Verifier of the softmax at `index`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let (x, _, exp, out) = operands(program, index);
    let lo = exp.domain.0;
    let name = step_name(program, index);
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    let sh = shape(program, index).map_err(VerifyError::Key)?;
    let first = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    if v.plan.lookups.len() < inst + 5 || v.plan.advice_vars.len() < first + 6 {
        return Err(VerifyError::Key(format!("{name}: plan too short")));
    }
    let r = claim.point.clone();

    let step = v.step(&name, 9, 1, true)?;
    let c: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
    if two_t1(program, out) * c[0] + c[1] - from_i64(2) * c[2] - c[3] != Fr::from(0u64) {
        return Err(fail(
            "softmax quotients do not divide the exponentials by the row sums",
        ));
    }
    let sts = statements(&sh, &r, claim.value, &c);
    let f = verify_products(&sts, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    drop(sts);
    let s = f[0].0.clone();
    let (q_s, l_s, srep_s, rem_s, sel_s, x_s) = (
        f[0].1[2], f[1].1[2], f[2].1[2], f[4].1[2], f[6].1[1], f[7].1[2],
    );
    if f[3].1[2] != srep_s
        || f[3].1[3] != q_s
        || f[5].1[2] != l_s
        || f[7].1[1] != sel_s
        || f[8].1[1] != sel_s
        || f[8].1[2] != sel_s
        || f[9].1[1] != sel_s
    {
        return Err(fail("softmax factor claims disagree"));
    }
    let (c2, c4, m_r, rem_r, x_r) = (c[1], c[3], c[5], c[7], c[8]);
    let g_r = m_r * valid_axis(sh.col_point(&r), sh.cols) - x_r;
    let gap_r = from_i64(2) * c2 - sh.mask_at(&r) - c4;

    let part = step.shout.as_ref().expect("shape checked by step");
    if verify_reads(v, inst + RANGE_G, part, &r, g_r, &name)? != g_r {
        return Err(fail(
            "range check does not read the gaps to the row maximum",
        ));
    }
    for (k, rv, what) in [
        (RANGE_REM, rem_r, "range check does not read the remainders"),
        (
            RANGE_GAP,
            gap_r,
            "range check does not read the remainder gaps",
        ),
    ] {
        let step = v.step(&name, 0, 0, true)?;
        let part = step.shout.as_ref().expect("shape checked by step");
        if verify_reads(v, inst + k, part, &r, rv, &name)? != rv {
            return Err(fail(what));
        }
    }

    let step = v.step(&name, 1, 0, true)?;
    let a_s = step.values[0].0;
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf = verify_reads(v, inst + RELU, part, &s, a_s, &name)?;
    let step = v.step(&name, 0, 0, true)?;
    let part = step.shout.as_ref().expect("shape checked by step");
    if verify_reads(v, inst + EXP, part, &s, l_s, &name)? != from_i64(lo) + a_s {
        return Err(fail("exp key is not max(x − m, lo) − lo"));
    }
    let g_s = -raf - from_i64(lo) * sh.mask_at(&s);

    let r_row = sh.row_point(&r);
    let s_row = sh.row_point(&s);
    open_advice(
        &mut v.openings,
        first,
        [
            (M, r_row.clone(), m_r),
            (S, r_row, c[4]),
            (S, s_row, srep_s),
            (SEL, s.clone(), sel_s),
            (G, r.clone(), g_r),
            (G, s.clone(), g_s),
            (Q, s.clone(), q_s),
            (REM, r.clone(), rem_r),
            (REM, s.clone(), rem_s),
        ],
    );
    v.claim(x, r, x_r);
    v.claim(x, s, x_s);
    Ok(())
}
