//! Element-wise instructions with NumPy broadcasting: exact integer arithmetic (Add, Sub, Mul,
//! Neg, MulConst — checked, never wrapping), Rescale, comparisons and selections (Max, Min,
//! Equal, Less, Where) and table lookups.

use atlas_isa::fixed::round_shift;
use atlas_isa::tensor::numel;
use atlas_isa::Table;

use super::layout::{broadcast_strides, try_for_each_offset, View};
use crate::error::{OpError, OpResult};
use crate::tables::{CustomTables, Lookup};
use crate::trace::{InstrWitness, LookupWitness};

/// `f(a, b)` over the broadcast shape `out`, row-major.
pub(crate) fn map2<T>(
    a: View<'_>,
    b: View<'_>,
    out: &[usize],
    mut f: impl FnMut(i64, i64) -> OpResult<T>,
) -> OpResult<Vec<T>> {
    let mut res = Vec::with_capacity(numel(out));
    if a.shape == out && b.shape == out {
        for (&x, &y) in a.data.iter().zip(b.data) {
            res.push(f(x, y)?);
        }
        return Ok(res);
    }
    let (sa, sb) = (
        broadcast_strides(a.shape, out),
        broadcast_strides(b.shape, out),
    );
    try_for_each_offset(out, [&sa, &sb], [0, 0], |[i, j]| {
        res.push(f(a.data[i], b.data[j])?);
        Ok(())
    })?;
    Ok(res)
}

/// `f(a, b, c)` over the broadcast shape `out`, row-major.
fn map3(
    a: View<'_>,
    b: View<'_>,
    c: View<'_>,
    out: &[usize],
    f: impl Fn(i64, i64, i64) -> i64,
) -> Vec<i64> {
    let mut res = Vec::with_capacity(numel(out));
    let st = [a, b, c].map(|v| broadcast_strides(v.shape, out));
    let _ = try_for_each_offset::<3, std::convert::Infallible>(
        out,
        [&st[0], &st[1], &st[2]],
        [0; 3],
        |[i, j, k]| {
            res.push(f(a.data[i], b.data[j], c.data[k]));
            Ok(())
        },
    );
    res
}

fn checked(v: Option<i64>) -> OpResult<i64> {
    v.ok_or(OpError::Overflow)
}

/// `a + b`.
pub(crate) fn add(a: View<'_>, b: View<'_>, out: &[usize]) -> OpResult<Vec<i64>> {
    map2(a, b, out, |x, y| checked(x.checked_add(y)))
}

/// `a − b`.
pub(crate) fn sub(a: View<'_>, b: View<'_>, out: &[usize]) -> OpResult<Vec<i64>> {
    map2(a, b, out, |x, y| checked(x.checked_sub(y)))
}

/// `a · b`.
pub(crate) fn mul(a: View<'_>, b: View<'_>, out: &[usize]) -> OpResult<Vec<i64>> {
    map2(a, b, out, |x, y| checked(x.checked_mul(y)))
}

/// `−x`.
pub(crate) fn neg(x: &[i64]) -> OpResult<Vec<i64>> {
    x.iter().map(|v| checked(v.checked_neg())).collect()
}

/// `x · c`.
pub(crate) fn mul_const(x: &[i64], c: i64) -> OpResult<Vec<i64>> {
    x.iter().map(|v| checked(v.checked_mul(c))).collect()
}

/// `round(x / 2^shift)` and the remainders `x + 2^(shift−1) − out · 2^shift ∈ [0, 2^shift)`.
/// Shifts above 64 are refused: their remainders would not fit `u64`.
pub(crate) fn rescale(x: &[i64], shift: u32) -> OpResult<(Vec<i64>, InstrWitness)> {
    if shift > 64 {
        return Err(OpError::Overflow);
    }
    let half = if shift == 0 { 0 } else { 1i128 << (shift - 1) };
    let (out, remainders) = x
        .iter()
        .map(|&v| {
            let q = round_shift(v, shift);
            let r = v as i128 + half - ((q as i128) << shift);
            debug_assert!(r >= 0 && r < 1i128 << shift);
            (q, r as u64)
        })
        .unzip();
    Ok((out, InstrWitness::Rescale { remainders }))
}

/// `max(a, b)` (`is_max`) or `min(a, b)`, recording where `a` is selected (ties select `a`).
pub(crate) fn select(
    a: View<'_>,
    b: View<'_>,
    out: &[usize],
    is_max: bool,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let pairs = map2(a, b, out, |x, y| {
        let take_a = if is_max { x >= y } else { x <= y };
        Ok(if take_a { (x, true) } else { (y, false) })
    })?;
    let (values, a_selected) = pairs.into_iter().unzip();
    Ok((values, InstrWitness::Select { a_selected }))
}

/// `1` where `a = b` (`equal`) or `a < b`, else `0`.
pub(crate) fn compare(a: View<'_>, b: View<'_>, out: &[usize], equal: bool) -> OpResult<Vec<i64>> {
    map2(a, b, out, |x, y| {
        Ok(if equal { x == y } else { x < y } as i64)
    })
}

/// `cond ≠ 0 ? a : b`.
pub(crate) fn where_(cond: View<'_>, a: View<'_>, b: View<'_>, out: &[usize]) -> Vec<i64> {
    map3(cond, a, b, out, |c, x, y| if c != 0 { x } else { y })
}

/// One lookup per element into `table`.
pub(crate) fn lookup(
    x: &[i64],
    table: &Table,
    custom: &dyn CustomTables,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let mut t = Lookup::new(table, custom, x.len())?;
    let mut w = LookupWitness::with_capacity(x.len());
    for &v in x {
        let (key, y) = t.eval(v)?;
        w.keys.push(key);
        w.outputs.push(y);
    }
    Ok((w.outputs.clone(), InstrWitness::Lookup(w)))
}
