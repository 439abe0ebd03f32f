//! Composite instructions with advice: Div, Sqrt, Softmax, RmsNorm.
//!
//! Every rounded division `q = round(a / b)` (b > 0) is `q = ⌊(2a + b) / 2b⌋`
//! ([`atlas_isa::fixed::round_div`], ties up) with the remainder `2a + b − 2b·q ∈ [0, 2b)` as
//! advice. Every root is `r = ⌊√v⌋` ([`atlas_isa::fixed::isqrt`]) with remainder
//! `v − r² ∈ [0, 2r]`. Intermediates are computed in `i128`; anything that leaves `i64` (a
//! quotient, a row sum) or whose scaling `2^k` exceeds `2^62` is [`OpError::Overflow`].
//!
//! Semantics the ISA leaves to the VM:
//! - Div: a divisor `≤ 0` is [`OpError::NonPositiveDivisor`].
//! - Softmax: `x_i − m` is clamped by the exp table like any lookup; a row whose exp outputs sum
//!   to `≤ 0` (only possible with a table whose domain excludes 0) is
//!   [`OpError::NonPositiveDivisor`].
//! - RmsNorm: `n` is the extent of the normalized axis; `d ≥ 1` always, since the root is taken
//!   of `ms + max(eps, 1) ≥ 1`.

use atlas_isa::fixed::{isqrt, round_div};
use atlas_isa::Table;

use super::elementwise::map2;
use super::layout::{split_axis, View};
use crate::error::{OpError, OpResult};
use crate::tables::{CustomTables, Lookup};
use crate::trace::{InstrWitness, LookupWitness, RmsNormWitness, SoftmaxWitness};

/// Largest `k` for which `v · 2^k` is computed (it stays below `2^125` for any `i64` `v`).
const MAX_SHIFT: u32 = 62;

/// `v · 2^k` in `i128`.
fn shl(v: i64, k: u32) -> OpResult<i128> {
    if k > MAX_SHIFT {
        return Err(OpError::Overflow);
    }
    Ok((v as i128) << k)
}

/// Operands below this bound take the `i64` path of [`div_round`] (`2·num + den` fits `i64`).
const SMALL: i128 = 1 << 61;

/// `round(num / den)` for `den > 0` and `|num| < 2^125`, with its remainder in `[0, 2·den)`.
fn div_round(num: i128, den: i64) -> OpResult<(i64, u64)> {
    debug_assert!(den > 0);
    if num.abs() < SMALL && (den as i128) < SMALL {
        // Same rule as `round_div` in 64-bit arithmetic, which is several times faster than
        // `i128` division.
        let (num, two_den) = (num as i64, 2 * den);
        let q = (2 * num + den).div_euclid(two_den);
        let rem = 2 * num + den - two_den * q;
        debug_assert_eq!(q as i128, round_div(num as i128, den as i128));
        return Ok((q, rem as u64));
    }
    let den = den as i128;
    let q = round_div(num, den);
    let rem = 2 * num + den - 2 * den * q;
    debug_assert!((0..2 * den).contains(&rem));
    Ok((i64::try_from(q).map_err(|_| OpError::Overflow)?, rem as u64))
}

/// `⌊√v⌋` for `0 ≤ v < 2^126`, with the remainder `v − r²`.
fn root(v: i128) -> OpResult<(i64, u64)> {
    let r = isqrt(v);
    let rem = v - r * r;
    Ok((
        i64::try_from(r).map_err(|_| OpError::Overflow)?,
        u64::try_from(rem).map_err(|_| OpError::Overflow)?,
    ))
}

/// `round(a · 2^k / b)`, broadcast.
pub(crate) fn div(
    a: View<'_>,
    b: View<'_>,
    k: u32,
    out: &[usize],
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let pairs = map2(a, b, out, |x, y| {
        if y <= 0 {
            return Err(OpError::NonPositiveDivisor { value: y });
        }
        div_round(shl(x, k)?, y)
    })?;
    let (values, remainders) = pairs.into_iter().unzip();
    Ok((values, InstrWitness::Div { remainders }))
}

/// `⌊√(max(x, 0) · 2^k)⌋`.
pub(crate) fn sqrt(x: &[i64], k: u32) -> OpResult<(Vec<i64>, InstrWitness)> {
    let pairs = x
        .iter()
        .map(|&v| root(shl(v.max(0), k)?))
        .collect::<OpResult<Vec<_>>>()?;
    let (values, remainders) = pairs.into_iter().unzip();
    Ok((values, InstrWitness::Sqrt { remainders }))
}

/// Softmax along `axis` (see [`atlas_isa::Instr::Softmax`]).
pub(crate) fn softmax(
    x: View<'_>,
    axis: usize,
    exp: &Table,
    out_scale: u32,
    custom: &dyn CustomTables,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let mut table = Lookup::new(exp, custom, x.data.len())?;
    let (outer, len, inner) = split_axis(x.shape, axis);
    let n = x.data.len();
    let rows = outer * inner;
    let mut out = vec![0i64; n];
    let mut w = SoftmaxWitness {
        row_max: Vec::with_capacity(rows),
        argmax: Vec::with_capacity(rows),
        exp: LookupWitness {
            keys: vec![0; n],
            outputs: vec![0; n],
        },
        sums: Vec::with_capacity(rows),
        remainders: vec![0; n],
    };
    if len == 0 {
        return Ok((out, InstrWitness::Softmax(w)));
    }
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * len + j) * inner + i;
            let mut arg = at(0);
            for j in 1..len {
                if x.data[at(j)] > x.data[arg] {
                    arg = at(j);
                }
            }
            let m = x.data[arg];
            let mut sum = 0i64;
            for j in 0..len {
                let d = x.data[at(j)].checked_sub(m).ok_or(OpError::Overflow)?;
                let (key, e) = table.eval(d)?;
                w.exp.keys[at(j)] = key;
                w.exp.outputs[at(j)] = e;
                sum = sum.checked_add(e).ok_or(OpError::Overflow)?;
            }
            if sum <= 0 {
                return Err(OpError::NonPositiveDivisor { value: sum });
            }
            for j in 0..len {
                let (q, r) = div_round(shl(w.exp.outputs[at(j)], out_scale)?, sum)?;
                out[at(j)] = q;
                w.remainders[at(j)] = r;
            }
            w.row_max.push(m);
            w.argmax.push(arg as u32);
            w.sums.push(sum);
        }
    }
    Ok((out, InstrWitness::Softmax(w)))
}

/// RMS normalization along `axis` (see [`atlas_isa::Instr::RmsNorm`]).
pub(crate) fn rms_norm(
    x: View<'_>,
    axis: usize,
    eps: i64,
    out_scale: u32,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let (outer, len, inner) = split_axis(x.shape, axis);
    let rows = outer * inner;
    let mut out = vec![0i64; x.data.len()];
    let mut w = RmsNormWitness {
        sum_squares: Vec::with_capacity(rows),
        mean_squares: Vec::with_capacity(rows),
        mean_remainders: Vec::with_capacity(rows),
        roots: Vec::with_capacity(rows),
        root_remainders: Vec::with_capacity(rows),
        remainders: vec![0; x.data.len()],
    };
    if len == 0 {
        return Ok((out, InstrWitness::RmsNorm(w)));
    }
    let n = i64::try_from(len).map_err(|_| OpError::Overflow)?;
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * len + j) * inner + i;
            let mut sum_sq = 0i128;
            for j in 0..len {
                let v = x.data[at(j)] as i128;
                sum_sq = sum_sq.checked_add(v * v).ok_or(OpError::Overflow)?;
            }
            let sum_sq = i64::try_from(sum_sq).map_err(|_| OpError::Overflow)?;
            let (ms, ms_rem) = div_round(sum_sq as i128, n)?;
            let radicand = ms.checked_add(eps.max(1)).ok_or(OpError::Overflow)?;
            let (d, d_rem) = root(radicand as i128)?;
            for j in 0..len {
                let (q, r) = div_round(shl(x.data[at(j)], out_scale)?, d)?;
                out[at(j)] = q;
                w.remainders[at(j)] = r;
            }
            w.sum_squares.push(sum_sq);
            w.mean_squares.push(ms);
            w.mean_remainders.push(ms_rem);
            w.roots.push(d);
            w.root_remainders.push(d_rem);
        }
    }
    Ok((out, InstrWitness::RmsNorm(w)))
}
