//! Data movement: Reshape, Transpose, Slice, Concat, Broadcast, Pad, Gather. No arithmetic;
//! only Gather can fail (an index outside `[−len, len)`; negative indices count from the end,
//! as in ONNX).

use atlas_isa::tensor::{numel, strides};

use super::layout::{broadcast_strides, for_each_offset, gather_strided, split_axis, View};
use crate::error::{OpError, OpResult};
use crate::trace::InstrWitness;

/// `out.shape[i] = x.shape[perm[i]]`.
pub(crate) fn transpose(x: View<'_>, perm: &[usize]) -> Vec<i64> {
    let st = strides(x.shape);
    let dims: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
    let pst: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    gather_strided(x.data, 0, &dims, &pst)
}

/// Indices `start, start + step, … < end` of `axis`.
pub(crate) fn slice(
    x: View<'_>,
    axis: usize,
    start: usize,
    step: usize,
    out_shape: &[usize],
) -> Vec<i64> {
    let mut st = strides(x.shape);
    let offset = start * st[axis];
    st[axis] *= step;
    gather_strided(x.data, offset, out_shape, &st)
}

/// Concatenation along `axis`.
pub(crate) fn concat(xs: &[View<'_>], axis: usize, out_shape: &[usize]) -> Vec<i64> {
    let (outer, _, inner) = split_axis(out_shape, axis);
    let mut out = Vec::with_capacity(numel(out_shape));
    for o in 0..outer {
        for x in xs {
            let block = x.shape[axis] * inner;
            out.extend_from_slice(&x.data[o * block..(o + 1) * block]);
        }
    }
    out
}

/// `x` broadcast to `out_shape`.
pub(crate) fn broadcast(x: View<'_>, out_shape: &[usize]) -> Vec<i64> {
    gather_strided(x.data, 0, out_shape, &broadcast_strides(x.shape, out_shape))
}

/// Constant padding.
pub(crate) fn pad(
    x: View<'_>,
    pads: &[(usize, usize)],
    value: i64,
    out_shape: &[usize],
) -> Vec<i64> {
    let mut out = vec![value; numel(out_shape)];
    let ost = strides(out_shape);
    let base = pads
        .iter()
        .zip(&ost)
        .map(|((before, _), s)| before * s)
        .sum();
    let xst = strides(x.shape);
    for_each_offset(x.shape, [&xst, &ost], [0, base], |[i, o]| {
        out[o] = x.data[i]
    });
    out
}

/// ONNX Gather along `axis`, recording the resolved indices.
pub(crate) fn gather(
    data: View<'_>,
    indices: &[i64],
    axis: usize,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let (outer, len, inner) = split_axis(data.shape, axis);
    let resolved = indices
        .iter()
        .map(|&i| {
            let r = if i < 0 { i + len as i64 } else { i };
            if (0..len as i64).contains(&r) {
                Ok(r as u32)
            } else {
                Err(OpError::IndexOutOfRange { index: i, len })
            }
        })
        .collect::<OpResult<Vec<u32>>>()?;
    let mut out = Vec::with_capacity(outer * resolved.len() * inner);
    for o in 0..outer {
        for &r in &resolved {
            let start = (o * len + r as usize) * inner;
            out.extend_from_slice(&data.data[start..start + inner]);
        }
    }
    Ok((out, InstrWitness::Gather { indices: resolved }))
}
