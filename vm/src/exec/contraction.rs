//! Contractions: Einsum (any two-operand spec) and Conv, both lowered to one batched matmul
//! kernel over contiguous memory.
//!
//! **Einsum.** Every label is classified by where it appears:
//!
//! | label in | a | b | out | role |
//! |---|---|---|---|---|
//! | batch | ✓ | ✓ | ✓ | kept, paired |
//! | free_a | ✓ | | ✓ | rows of the product |
//! | free_b | | ✓ | ✓ | columns of the product |
//! | contracted | ✓ | ✓ | | summed by the product |
//! | summed_a / summed_b | one of them | | | summed out of that operand first |
//!
//! `a` is packed to `[batch, free_a, contracted]`, `b` to `[batch, contracted, free_b]` (one
//! strided copy each, skipped when the operand already has that layout), multiplied, and the
//! `[batch, free_a, free_b]` product is permuted into `out`'s label order. A label repeated
//! within one operand reads its diagonal; an operand axis of extent 1 broadcasts (stride 0).
//!
//! **Conv.** Per image and group, the input is unfolded into `[C/g · K, P]` columns (taps in the
//! padding read 0) and multiplied by the group's `[M/g, C/g · K]` kernel rows, written straight
//! into the output.
//!
//! **Exactness.** With `Kc` the contracted length, `B = Kc · max|a| · max|b|` bounds every
//! product and partial sum, and picks the kernel:
//!
//! - `B ≤ 2^53`: `f64` arithmetic, which is exact here (every operand, product and partial sum
//!   is an integer of at most 53 bits, so no operation rounds) and about twice as fast as `i64`
//!   multiplication, which has no SIMD instruction on baseline x86-64;
//! - `B ≤ i64::MAX`: plain `i64`;
//! - otherwise checked `i128`, failing with [`OpError::Overflow`] if a result leaves `i64`.

use std::borrow::Cow;

use atlas_isa::tensor::{numel, strides};
use atlas_isa::{EinsumSpec, Window};
use rayon::prelude::*;

use super::layout::{gather_strided, is_contiguous, View, WindowMap, PAD};
use crate::error::{OpError, OpResult};

/// Multiply-accumulates below which the kernel stays on one thread.
const PARALLEL_WORK: usize = 1 << 18;

/// Largest absolute value of a slice, as `u128`.
fn max_abs(v: &[i64]) -> u128 {
    v.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0) as u128
}

/// Arithmetic of the matmul kernel, chosen from the bound on its partial sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// Exact in `f64`: every partial sum is below `2^53`.
    F64,
    /// Exact in `i64`.
    I64,
    /// Checked `i128`.
    I128,
}

impl Kernel {
    /// The cheapest exact kernel for `k` products of values bounded by `max_a` and `max_b`.
    fn for_bound(k: usize, max_a: u128, max_b: u128) -> Self {
        match max_a
            .checked_mul(max_b)
            .and_then(|p| p.checked_mul(k as u128))
        {
            Some(b) if b <= 1 << f64::MANTISSA_DIGITS => Kernel::F64,
            Some(b) if b <= i64::MAX as u128 => Kernel::I64,
            _ => Kernel::I128,
        }
    }
}

/// `c[b] = a[b] · b[b]` for `batch` matrices `a: [m, k]`, `b: [k, n]`, `c: [m, n]` (row-major,
/// consecutive). `c` is overwritten. `kernel` must come from [`Kernel::for_bound`] on `a`, `b`.
fn matmul(
    a: &[i64],
    b: &[i64],
    c: &mut [i64],
    (batch, m, k, n): (usize, usize, usize, usize),
    kernel: Kernel,
) -> OpResult<()> {
    debug_assert_eq!(a.len(), batch * m * k);
    debug_assert_eq!(b.len(), batch * k * n);
    debug_assert_eq!(c.len(), batch * m * n);
    if c.is_empty() {
        return Ok(());
    }
    if n == 0 || k == 0 {
        c.fill(0);
        return Ok(());
    }
    let (af, bf): (Vec<f64>, Vec<f64>) = if kernel == Kernel::F64 {
        (
            a.iter().map(|&v| v as f64).collect(),
            b.iter().map(|&v| v as f64).collect(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // One output row: row `i` of matrix `bi`.
    let row = |(r, out): (usize, &mut [i64])| -> OpResult<()> {
        let bi = r / m;
        let (rows, mat) = (r * k..(r + 1) * k, bi * k * n..(bi + 1) * k * n);
        match kernel {
            Kernel::F64 => {
                let (a_row, b_mat) = (&af[rows], &bf[mat]);
                let mut acc = vec![0f64; n];
                for (kk, &x) in a_row.iter().enumerate() {
                    let b_row = &b_mat[kk * n..(kk + 1) * n];
                    for (o, &y) in acc.iter_mut().zip(b_row) {
                        *o += x * y;
                    }
                }
                for (o, v) in out.iter_mut().zip(acc) {
                    *o = v as i64;
                }
            }
            Kernel::I64 => {
                let (a_row, b_mat) = (&a[rows], &b[mat]);
                out.fill(0);
                for (kk, &x) in a_row.iter().enumerate() {
                    let b_row = &b_mat[kk * n..(kk + 1) * n];
                    for (o, &y) in out.iter_mut().zip(b_row) {
                        *o += x * y;
                    }
                }
            }
            Kernel::I128 => {
                let (a_row, b_mat) = (&a[rows], &b[mat]);
                let mut acc = vec![0i128; n];
                for (kk, &x) in a_row.iter().enumerate() {
                    let b_row = &b_mat[kk * n..(kk + 1) * n];
                    for (o, &y) in acc.iter_mut().zip(b_row) {
                        *o = o
                            .checked_add(x as i128 * y as i128)
                            .ok_or(OpError::Overflow)?;
                    }
                }
                for (o, s) in out.iter_mut().zip(acc) {
                    *o = i64::try_from(s).map_err(|_| OpError::Overflow)?;
                }
            }
        }
        Ok(())
    };
    if batch * m * n * k >= PARALLEL_WORK && batch * m > 1 {
        c.par_chunks_mut(n).enumerate().try_for_each(row)
    } else {
        c.chunks_mut(n).enumerate().try_for_each(row)
    }
}

/// Sums consecutive groups of `group` elements (for labels summed out of a single operand).
fn sum_groups(v: &[i64], group: usize) -> OpResult<Vec<i64>> {
    v.chunks(group)
        .map(|g| {
            g.iter()
                .try_fold(0i64, |s, &x| s.checked_add(x))
                .ok_or(OpError::Overflow)
        })
        .collect()
}

/// One operand's view of the labels: extent and stride of every label it carries.
struct Labels<'a> {
    view: View<'a>,
    chars: Vec<char>,
    strides: Vec<usize>,
}

impl<'a> Labels<'a> {
    fn new(labels: &str, view: View<'a>) -> Self {
        Self {
            view,
            chars: labels.chars().collect(),
            strides: strides(view.shape),
        }
    }

    fn has(&self, c: char) -> bool {
        self.chars.contains(&c)
    }

    /// Stride of label `c` in this operand: the sum over its axes (a repeated label reads the
    /// diagonal); 0 where the label is absent or has extent 1 here (broadcast).
    fn stride(&self, c: char) -> usize {
        self.chars
            .iter()
            .enumerate()
            .filter(|&(i, &l)| l == c && self.view.shape[i] != 1)
            .map(|(i, _)| self.strides[i])
            .sum()
    }

    /// Extent of `c` in this operand (1 if absent or broadcast).
    fn extent(&self, c: char) -> usize {
        self.chars
            .iter()
            .enumerate()
            .filter(|&(_, &l)| l == c)
            .map(|(i, _)| self.view.shape[i])
            .find(|&d| d != 1)
            .unwrap_or(1)
    }

    /// Packs the operand as `dims(groups)` followed by the labels `summed` summed out.
    fn pack(
        &self,
        groups: &[char],
        summed: &[char],
        extent: impl Fn(char) -> usize,
    ) -> OpResult<Cow<'a, [i64]>> {
        let all: Vec<char> = groups.iter().chain(summed).copied().collect();
        let dims: Vec<usize> = all.iter().map(|&c| extent(c)).collect();
        let st: Vec<usize> = all.iter().map(|&c| self.stride(c)).collect();
        let packed: Cow<'a, [i64]> =
            if is_contiguous(&dims, &st) && numel(&dims) == self.view.data.len() {
                Cow::Borrowed(self.view.data)
            } else {
                Cow::Owned(gather_strided(self.view.data, 0, &dims, &st))
            };
        if summed.is_empty() {
            return Ok(packed);
        }
        let group = numel(&dims[groups.len()..]);
        if group == 0 {
            return Ok(Cow::Owned(vec![0; numel(&dims[..groups.len()])]));
        }
        Ok(Cow::Owned(sum_groups(&packed, group)?))
    }
}

/// Two-operand Einstein summation (see the module docs).
pub(crate) fn einsum(
    spec: &EinsumSpec,
    a: View<'_>,
    b: View<'_>,
    out_shape: &[usize],
) -> OpResult<Vec<i64>> {
    let la = Labels::new(&spec.a, a);
    let lb = Labels::new(&spec.b, b);
    let out: Vec<char> = spec.out.chars().collect();
    let extent = |c: char| {
        let (ea, eb) = (la.extent(c), lb.extent(c));
        if ea == 1 {
            eb
        } else {
            ea
        }
    };
    // Kept labels in output order (so that the final permutation is usually the identity),
    // summed labels in order of first appearance.
    let class = |f: &dyn Fn(char) -> bool| -> Vec<char> {
        let mut v = Vec::new();
        for c in out.iter().chain(&la.chars).chain(&lb.chars).copied() {
            if f(c) && !v.contains(&c) {
                v.push(c);
            }
        }
        v
    };
    let in_out = |c: char| out.contains(&c);
    let batch = class(&|c| la.has(c) && lb.has(c) && in_out(c));
    let free_a = class(&|c| la.has(c) && !lb.has(c) && in_out(c));
    let free_b = class(&|c| !la.has(c) && lb.has(c) && in_out(c));
    let contracted = class(&|c| la.has(c) && lb.has(c) && !in_out(c));
    let summed_a = class(&|c| la.has(c) && !lb.has(c) && !in_out(c));
    let summed_b = class(&|c| !la.has(c) && lb.has(c) && !in_out(c));

    let size = |labels: &[char]| labels.iter().map(|&c| extent(c)).product::<usize>();
    let (nb, m, k, n) = (
        size(&batch),
        size(&free_a),
        size(&contracted),
        size(&free_b),
    );
    let groups_a: Vec<char> = batch
        .iter()
        .chain(&free_a)
        .chain(&contracted)
        .copied()
        .collect();
    let groups_b: Vec<char> = batch
        .iter()
        .chain(&contracted)
        .chain(&free_b)
        .copied()
        .collect();
    let pa = la.pack(&groups_a, &summed_a, extent)?;
    let pb = lb.pack(&groups_b, &summed_b, extent)?;

    let kernel = Kernel::for_bound(k, max_abs(&pa), max_abs(&pb));
    let mut product = vec![0i64; nb * m * n];
    matmul(&pa, &pb, &mut product, (nb, m, k, n), kernel)?;

    // `product` is [batch, free_a, free_b]; read it in `out`'s label order.
    let order: Vec<char> = batch
        .iter()
        .chain(&free_a)
        .chain(&free_b)
        .copied()
        .collect();
    if order == out {
        return Ok(product);
    }
    let pdims: Vec<usize> = order.iter().map(|&c| extent(c)).collect();
    let pst = strides(&pdims);
    let st: Vec<usize> = out
        .iter()
        .map(|c| {
            pst[order
                .iter()
                .position(|o| o == c)
                .expect("every output label is kept")]
        })
        .collect();
    Ok(gather_strided(&product, 0, out_shape, &st))
}

/// Direct convolution, ONNX semantics (see [`atlas_isa::Instr::Conv`]).
pub(crate) fn conv(
    x: View<'_>,
    w: View<'_>,
    window: &Window,
    group: usize,
    out_shape: &[usize],
) -> OpResult<Vec<i64>> {
    let (nimg, c) = (x.shape[0], x.shape[1]);
    let m = w.shape[0];
    let (cg, mg) = (c / group, m / group);
    let spatial = &x.shape[2..];
    let s = numel(spatial);
    let map = WindowMap::new(window, spatial);
    let (p, taps) = (map.positions, map.taps);
    let kc = cg * taps;
    let kernel = Kernel::for_bound(kc, max_abs(x.data), max_abs(w.data));
    let mut out = vec![0i64; numel(out_shape)];
    let mut cols = vec![0i64; kc * p];
    for img in 0..nimg {
        for g in 0..group {
            for ci in 0..cg {
                let plane = &x.data[(img * c + g * cg + ci) * s..][..s];
                for pos in 0..p {
                    for (t, &idx) in map.taps_of(pos).iter().enumerate() {
                        cols[(ci * taps + t) * p + pos] =
                            if idx == PAD { 0 } else { plane[idx as usize] };
                    }
                }
            }
            let weights = &w.data[g * mg * kc..(g + 1) * mg * kc];
            let dst = &mut out[(img * m + g * mg) * p..(img * m + (g + 1) * mg) * p];
            matmul(weights, &cols, dst, (1, mg, kc, p), kernel)?;
        }
    }
    Ok(out)
}
