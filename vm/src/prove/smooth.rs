//! Smooth element-wise tables (sigmoid, tanh, erf, GELU, exp, log, sqrt, rsqrt, reciprocal,
//! sin, cos) and user-defined tables: `out = f(clamp(x, lo, hi))` on a materialized table.
//!
//! A built-in function is materialized from its definition ([`ClampedTable::from_isa`]); a
//! custom table ([`atlas_isa::TableFn::Custom`]) from the values the program carries
//! ([`atlas_isa::Program::custom_tables`], [`ClampedTable::from_values`]). Both sides build
//! the table from the program — the verifier from its key's, whose digest covers those
//! values — so a verifying key binds a custom table's values, not only its name. A custom table
//! without values in the program (more than [`MAX_CUSTOM_TABLE_ENTRIES`] entries) is refused
//! at setup.
//!
//! # Relation
//!
//! The clamp is not linear in `x`, so it is proven as a Clip first (two ReLU lookups, as in
//! [`super::lookup`]) and the table is read at the clipped value. Over the padded layout of
//! `x` (`T = 2^m` positions), with `M` the public indicator of real positions:
//!
//! ```text
//! a_j = ReLU(x_j − lo·M_j),   b_j = ReLU(x_j − hi·M_j),   c_j = lo + a_j − b_j
//! L_j = Val(k_j)  with  Op(k_j) = k_j + lo = c_j,         out_j = M_j·L_j
//! ```
//!
//! On real positions `c_j = clamp(x_j, lo, hi)`; on padding `x_j = 0` gives `c_j = lo`
//! (key 0), and the validity factor `M` keeps `out`'s padding zero whatever `f(lo)` is. For
//! the claim `õut(r) = v`:
//!
//! 1. a product sumcheck `v = Σ_j eq(r, j)·M(j)·L(j)` ends at a random `s` with the claim
//!    `L̃(s)`;
//! 2. Shout reads the [`ClampedTable`] at `s` with read claim `L̃(s)`; its RAF claim is
//!    `Σ_j eq(s, j)·Op(k_j) = c̃(s)`;
//! 3. the prover sends `ã(s)`, `b̃(s)`; two ReLU lookups at `s` read them, with RAF claims
//!    `x̃(s) − lo·M̃(s)` and `x̃(s) − hi·M̃(s)`;
//! 4. the verifier checks `c̃(s) = lo + ã(s) − b̃(s)` and that both ReLU operands give the same
//!    `x̃(s)`, which becomes the claim on `x`.
//!
//! All keys are committed before `r` and `s` are drawn, so the identities hold position by
//! position (Schwartz–Zippel): `k_j = clamp(x_j, lo, hi) − lo` and `out_j = f(clamp(x_j))`.
//!
//! **Unclamped.** When every input lies in `[lo, lo + K)` for the table's `K` entries (keys
//! past `hi` hold `f(hi)`), the proof may list the lookup as unclamped
//! (`Plan::with_unclamped`): the key is `x − lo` itself and steps 3–4 become
//! `x̃(s) = c̃(s) − lo·(1 − M̃(s))` (`c = x` on real positions, `lo` on padding). The lookup
//! proves `k_j ∈ [0, K)`, so `out_j = Val(x_j − lo) = f(clamp(x_j, lo, hi))`; two ReLU
//! lookups per element are saved.
//! The ReLU operands must fit 32 bits (checked by the prover; the ReLU table's operand map is
//! injective on `[−2^31, 2^31)`).

use atlas_isa::table::MAX_CUSTOM_TABLE_ENTRIES;
use atlas_isa::{Instr, Program, Table, TableFn};
use atlas_lookups::tables::{ClampedTable, ReluTable};
use atlas_lookups::LookupTable;
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::encoding::{Ark, StepProof};
use super::layout::{to_field, valid_axis, Layout};
use super::lookup::{prove_reads, verify_reads, LookupInstance, TableKind};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{step_name, Claim, ProveError, Prover, Verifier, VerifyError};
use crate::trace::Trace;

/// Whether the table of a `Lookup` is proven here: every clamped table, built-in smooth or
/// custom. Whether it can be materialized is [`tables`]' question (setup refuses the lookup
/// when it cannot).
pub(crate) fn is_smooth(table: &Table) -> bool {
    !table.is_piecewise_linear()
}

/// The materialized table of a clamped `table` of `program`: a built-in function's, or a custom
/// table's from the program's values.
pub(crate) fn materialize(program: &Program, table: &Table) -> Result<ClampedTable, String> {
    match &table.func {
        TableFn::Custom(name) => {
            let values = program.custom_table(name).ok_or_else(|| {
                format!(
                    "custom table {name:?} has {} entries; only custom tables of at most \
                     {MAX_CUSTOM_TABLE_ENTRIES} entries carry their values in the program and \
                     can be proven",
                    table.domain_size()
                )
            })?;
            ClampedTable::from_values(name.clone(), table.domain, values)
        }
        _ => ClampedTable::from_isa(table),
    }
    .map_err(|e| e.to_string())
}

/// The three lookup instances of a clamped table of `program`, in order: the materialized table,
/// ReLU at `lo`, ReLU at `hi`.
pub(crate) fn tables(program: &Program, table: &Table) -> Result<[TableKind; 3], String> {
    let clamped = materialize(program, table)?;
    Ok([
        TableKind::Clamped(clamped),
        TableKind::Relu(ReluTable::i32()),
        TableKind::Relu(ReluTable::i32()),
    ])
}

/// Number of entries of the materialized table of `table` (as [`ClampedTable::from_fn`] sizes
/// it): the domain's size rounded up to a power of two, at least 2.
fn table_len(table: &Table) -> i128 {
    let size = table.domain.1 as i128 - table.domain.0 as i128 + 1;
    (size.max(2) as u128).next_power_of_two() as i128
}

/// Whether the smooth lookup at `index` may skip its clamp in this trace: every input lies in
/// `[lo, lo + K)` ([`super::lookup::Plan::with_unclamped`]).
pub(crate) fn clamp_is_identity(program: &Program, index: usize, trace: &Trace) -> bool {
    let Instr::Lookup { x, table, .. } = &program.instrs[index] else {
        return false;
    };
    let (lo, len) = (table.domain.0 as i128, table_len(table));
    trace
        .value(*x)
        .iter()
        .all(|v| (0..len).contains(&(*v as i128 - lo)))
}

/// The keys of lookup instance `l` (one of [`tables`]) over the padded layout of `x`; for an
/// unclamped lookup the table's keys are `x − lo` (reduced modulo `K` by a cheating prover,
/// `mask`).
pub(crate) fn keys(
    program: &Program,
    l: &LookupInstance,
    trace: &Trace,
    unclamped: bool,
    mask: bool,
) -> Result<Vec<u64>, String> {
    let Instr::Lookup { x, table, .. } = &program.instrs[l.instr] else {
        return Err("not a lookup".into());
    };
    let layout = Layout::new(&program.tensor(*x).shape);
    let values = trace.value(*x);
    match (&l.table, l.operand) {
        (TableKind::Clamped(_), 0) if unclamped => {
            let (lo, len) = (table.domain.0 as i128, table_len(table));
            let keys = values
                .iter()
                .map(|v| {
                    let k = *v as i128 - lo;
                    match (0..len).contains(&k) {
                        true => Ok(k as u64),
                        false if mask => Ok(k.rem_euclid(len) as u64),
                        false => Err(format!("input {v} is outside [lo, lo + {len})")),
                    }
                })
                .collect::<Result<Vec<u64>, String>>()?;
            Ok(layout.pad(&keys, 0))
        }
        // Padding key 0 stands for the operand `lo`, matching `c = lo` on padding.
        (TableKind::Clamped(t), 0) => {
            let keys: Vec<u64> = values.iter().map(|v| t.key(*v)).collect();
            Ok(layout.pad(&keys, 0))
        }
        (TableKind::Relu(t), k @ (1 | 2)) => {
            let shift = if k == 1 {
                table.domain.0
            } else {
                table.domain.1
            };
            let keys = values
                .iter()
                .map(|v| {
                    v.checked_sub(shift)
                        .and_then(|a| i32::try_from(a).ok())
                        .map(|a| t.key(i64::from(a)))
                })
                .collect::<Option<Vec<u64>>>()
                .ok_or("a clamp operand x − lo or x − hi does not fit 32 bits")?;
            Ok(layout.pad(&keys, t.key(0)))
        }
        _ => Err("lookup plan does not match the smooth table".into()),
    }
}

/// `M̃(s) = Π_axes valid(s_axis)`: the extension of the real-position indicator.
fn mask_at(layout: &Layout, s: &[Fr]) -> Fr {
    (0..layout.dims.len())
        .map(|a| valid_axis(layout.sub_point(s, a), layout.dims[a]))
        .product()
}

/// The materialized table of instance `inst`.
fn clamped(plan: &super::lookup::Plan, inst: usize) -> Option<&ClampedTable> {
    match &plan.lookups.get(inst)?.table {
        TableKind::Clamped(t) => Some(t),
        _ => None,
    }
}

/// Prover of a smooth `Lookup` (see the module documentation).
#[tracing::instrument(skip_all, name = "smooth::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let Instr::Lookup { x, table, .. } = &p.program.instrs[index] else {
        unreachable!("dispatched on Lookup")
    };
    let (x, lo, hi) = (*x, table.domain.0, table.domain.1);
    let inst = p.plan.lookup_of[index].expect("the plan has instances for every lookup");
    let t = clamped(p.plan, inst).expect("the first instance of a smooth table is materialized");
    let layout = p.layout(x);
    let nv = layout.num_vars;
    let xs = p.trace.value(x);

    // 1. v = Σ eq(r, j)·M(j)·L(j).
    let mut mask = vec![0i64; layout.padded_len()];
    for i in layout.padded_indices() {
        mask[i] = 1;
    }
    let keys = &p.lookup_keys[inst];
    let l: Vec<i64> = keys.iter().map(|k| t.value(*k)).collect();
    let dense = |v: &[i64]| DenseMultilinear::new_padded(to_field(v), nv);
    let (sc, f) = prove_products(
        vec![(
            vec![
                DenseMultilinear::new_padded(EqPolynomial::evals(&claim.point), nv),
                dense(&mask),
                dense(&l),
            ],
            BindingOrder::LowToHigh,
        )],
        &mut p.transcript,
    );
    let (s, l_s) = (f[0].0.clone(), f[0].1[2]);

    // 2. The table read at s.
    let (part, c_s) = prove_reads(p, inst, &s, l_s)?;
    p.steps.push(StepProof {
        sumchecks: vec![Ark(sc)],
        shout: Some(part),
        ..Default::default()
    });
    let m = mask_at(&layout, &s);
    if p.plan.is_unclamped(index) {
        // c = x on real positions and lo on padding.
        p.claim(x, s, c_s - from_i64(lo) * (Fr::from(1u64) - m));
        return Ok(());
    }

    // 3. The clamp: a = ReLU(x − lo·M), b = ReLU(x − hi·M) at s.
    let relu_at = |shift: i64| {
        let y: Vec<i64> = xs.iter().map(|v| (v - shift).max(0)).collect();
        layout.evaluate(&y, &s)
    };
    let (a, b) = (relu_at(lo), relu_at(hi));
    let mut step = StepProof::default();
    p.send(&mut step, &[a, b]);
    let (part, raf_a) = prove_reads(p, inst + 1, &s, a)?;
    step.shout = Some(part);
    p.steps.push(step);
    let (part, _) = prove_reads(p, inst + 2, &s, b)?;
    p.steps.push(StepProof {
        shout: Some(part),
        ..Default::default()
    });
    p.claim(x, s, raf_a + from_i64(lo) * m);
    Ok(())
}

/// Verifier of a smooth `Lookup`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let Instr::Lookup { x, table, .. } = &v.program.instrs[index] else {
        unreachable!("dispatched on Lookup")
    };
    let (x, lo, hi) = (*x, table.domain.0, table.domain.1);
    let name = step_name(v.program, index);
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let unclamped = v.plan.is_unclamped(index);
    let uses = if unclamped { 1 } else { 3 };
    if clamped(v.plan, inst).is_none() || v.plan.lookups.len() < inst + uses {
        return Err(VerifyError::Key(format!("{name}: no materialized table")));
    }
    let layout = v.layout(x);
    let nv = layout.num_vars;

    // 1. v = Σ eq(r, j)·M(j)·L(j).
    let step = v.step(&name, 0, 1, true)?;
    let r = claim.point.clone();
    let st = ProductStatement {
        claim: claim.value,
        num_rounds: nv,
        num_factors: 3,
        order: BindingOrder::LowToHigh,
        public: Box::new(|s: &[Fr]| {
            vec![
                Some(EqPolynomial::evaluate(&r, s)),
                Some(mask_at(&layout, s)),
                None,
            ]
        }),
    };
    let f = verify_products(&[st], &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let (s, l_s) = (f[0].0.clone(), f[0].1[2]);

    // 2. The table read at s; its RAF claim is c̃(s).
    let part = step.shout.as_ref().expect("shape checked by step");
    let c_s = verify_reads(v, inst, part, &s, l_s, &name)?;
    let m = mask_at(&layout, &s);
    if unclamped {
        v.claim(x, s, c_s - from_i64(lo) * (Fr::from(1u64) - m));
        return Ok(());
    }

    // 3. The clamp.
    let step = v.step(&name, 2, 0, true)?;
    let (a, b) = (step.values[0].0, step.values[1].0);
    if c_s != from_i64(lo) + a - b {
        return Err(fail("table key is not clamp(x, lo, hi) − lo"));
    }
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf_a = verify_reads(v, inst + 1, part, &s, a, &name)?;
    let step = v.step(&name, 0, 0, true)?;
    let part = step.shout.as_ref().expect("shape checked by step");
    let raf_b = verify_reads(v, inst + 2, part, &s, b, &name)?;
    let x_s = raf_a + from_i64(lo) * m;
    if x_s != raf_b + from_i64(hi) * m {
        return Err(fail("the two ReLU operands are not x − lo and x − hi"));
    }
    v.claim(x, s, x_s);
    Ok(())
}
