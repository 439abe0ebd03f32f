//! Reductions over axes (ReduceSum, ReduceMax) and over sliding windows (SumPool, MaxPool).
//!
//! Maxima record the flat index into `x` of the element they select, the first one in
//! row-major order (window order for MaxPool) on ties. MaxPool's padding never wins: only taps
//! inside the input compete, and a window with no such tap is [`OpError::EmptyReduction`].
//! SumPool's padding contributes 0.

use atlas_isa::tensor::{numel, strides};
use atlas_isa::Window;

use super::layout::{try_for_each_offset, View, WindowMap, PAD};
use crate::error::{OpError, OpResult};
use crate::trace::InstrWitness;

/// For each axis of `shape`, the stride of the reduced tensor (0 on reduced axes), and the
/// reduced tensor's size.
fn reduced_strides(shape: &[usize], axes: &[usize]) -> (Vec<usize>, usize) {
    let kept: Vec<usize> = (0..shape.len())
        .filter(|a| !axes.contains(a))
        .map(|a| shape[a])
        .collect();
    let kst = strides(&kept);
    let mut it = kst.into_iter();
    let st = (0..shape.len())
        .map(|a| {
            if axes.contains(&a) {
                0
            } else {
                it.next().expect("one kept stride per kept axis")
            }
        })
        .collect();
    (st, numel(&kept))
}

/// Sum over `axes`.
pub(crate) fn reduce_sum(x: View<'_>, axes: &[usize]) -> OpResult<Vec<i64>> {
    let (ost, len) = reduced_strides(x.shape, axes);
    let mut acc = vec![0i64; len];
    let xst = strides(x.shape);
    try_for_each_offset(x.shape, [&xst, &ost], [0, 0], |[i, o]| {
        acc[o] = acc[o].checked_add(x.data[i]).ok_or(OpError::Overflow)?;
        Ok(())
    })?;
    Ok(acc)
}

/// Maximum over `axes`, with the flat index of each selected element.
pub(crate) fn reduce_max(x: View<'_>, axes: &[usize]) -> OpResult<(Vec<i64>, InstrWitness)> {
    let (ost, len) = reduced_strides(x.shape, axes);
    let mut best = vec![i64::MIN; len];
    let mut argmax = vec![u32::MAX; len];
    let xst = strides(x.shape);
    let _ = try_for_each_offset::<2, std::convert::Infallible>(
        x.shape,
        [&xst, &ost],
        [0, 0],
        |[i, o]| {
            if argmax[o] == u32::MAX || x.data[i] > best[o] {
                best[o] = x.data[i];
                argmax[o] = i as u32;
            }
            Ok(())
        },
    );
    if argmax.contains(&u32::MAX) {
        return Err(OpError::EmptyReduction);
    }
    Ok((best, InstrWitness::ArgMax { argmax }))
}

/// Zero-padded window sums over `[N, C, S...]`.
pub(crate) fn sum_pool(x: View<'_>, window: &Window) -> OpResult<Vec<i64>> {
    let planes = x.shape[0] * x.shape[1];
    let s = numel(&x.shape[2..]);
    let map = WindowMap::new(window, &x.shape[2..]);
    let mut out = Vec::with_capacity(planes * map.positions);
    for plane in x.data.chunks(s.max(1)).take(planes) {
        for p in 0..map.positions {
            let mut acc = 0i64;
            for &idx in map.taps_of(p) {
                if idx != PAD {
                    acc = acc
                        .checked_add(plane[idx as usize])
                        .ok_or(OpError::Overflow)?;
                }
            }
            out.push(acc);
        }
    }
    Ok(out)
}

/// Window maxima over `[N, C, S...]`, padding excluded, with the flat index of each selected
/// element.
pub(crate) fn max_pool(x: View<'_>, window: &Window) -> OpResult<(Vec<i64>, InstrWitness)> {
    let planes = x.shape[0] * x.shape[1];
    let s = numel(&x.shape[2..]);
    let map = WindowMap::new(window, &x.shape[2..]);
    let mut out = Vec::with_capacity(planes * map.positions);
    let mut argmax = Vec::with_capacity(planes * map.positions);
    for (pi, plane) in x.data.chunks(s.max(1)).take(planes).enumerate() {
        for p in 0..map.positions {
            let mut sel: Option<u32> = None;
            for &idx in map.taps_of(p) {
                if idx != PAD && sel.is_none_or(|b| plane[idx as usize] > plane[b as usize]) {
                    sel = Some(idx);
                }
            }
            let idx = sel.ok_or(OpError::EmptyReduction)?;
            out.push(plane[idx as usize]);
            argmax.push((pi * s) as u32 + idx);
        }
    }
    Ok((out, InstrWitness::ArgMax { argmax }))
}
