//! The per-axis padded layout every tensor's multilinear extension lives on.
//!
//! A tensor of shape `[d_0, …, d_{n−1}]` is embedded in `{0,1}^m` with `m = Σ_i b_i`,
//! `b_i = log₂ next_pow2(d_i)`: each axis is padded to a power of two, axes are row-major so
//! the **last** axis occupies the lowest index bits, and padding entries are zero. A point on the
//! tensor therefore splits into per-axis sub-points, `point[off_i .. off_i + b_i]` with
//! `off_i = Σ_{j>i} b_j`. The indicator of the real range `[0, d)` of one axis has the extension
//! `valid_d(r) = Σ_{x<d} eq(r, x)`, which the verifier computes in `O(d)`.

use ark_ff::{One, Zero};
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::{DenseMultilinear, EqPolynomial};
use rayon::prelude::*;

/// The padded layout of one tensor shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Extents.
    pub dims: Vec<usize>,
    /// Bits of each axis.
    pub bits: Vec<usize>,
    /// Bit offset of each axis (the last axis has offset 0).
    pub offsets: Vec<usize>,
    /// Total number of variables.
    pub num_vars: usize,
}

/// `log₂ next_pow2(d)` (0 for extents 0 and 1).
pub(crate) fn axis_bits(d: usize) -> usize {
    d.max(1).next_power_of_two().trailing_zeros() as usize
}

impl Layout {
    /// The layout of `shape`.
    pub fn new(shape: &[usize]) -> Self {
        let bits: Vec<usize> = shape.iter().map(|&d| axis_bits(d)).collect();
        let mut offsets = vec![0; shape.len()];
        let mut acc = 0;
        for i in (0..shape.len()).rev() {
            offsets[i] = acc;
            acc += bits[i];
        }
        Self {
            dims: shape.to_vec(),
            bits,
            offsets,
            num_vars: acc,
        }
    }

    /// `2^num_vars`.
    pub fn padded_len(&self) -> usize {
        1 << self.num_vars
    }

    /// The coordinates of `point` that belong to `axis`.
    pub fn sub_point<'p>(&self, point: &'p [Fr], axis: usize) -> &'p [Fr] {
        &point[self.offsets[axis]..self.offsets[axis] + self.bits[axis]]
    }

    /// The padded index of every element, in row-major order of the real elements.
    pub fn padded_indices(&self) -> Vec<usize> {
        let mut out = vec![0usize];
        for (i, &d) in self.dims.iter().enumerate() {
            let off = self.offsets[i];
            let mut next = Vec::with_capacity(out.len() * d);
            for &base in &out {
                for x in 0..d {
                    next.push(base | (x << off));
                }
            }
            out = next;
        }
        out
    }

    /// The padded table of `values` (row-major, one per real element), padding entries `fill`.
    pub fn pad<T: Copy>(&self, values: &[T], fill: T) -> Vec<T> {
        let mut out = vec![fill; self.padded_len()];
        for (v, i) in values.iter().zip(self.padded_indices()) {
            out[i] = *v;
        }
        out
    }

    /// The multilinear extension of the zero-padded tensor `values` at `point`.
    pub fn evaluate(&self, values: &[i64], point: &[Fr]) -> Fr {
        DenseMultilinear::new_padded(to_field(&self.pad(values, 0)), self.num_vars).evaluate(point)
    }

    /// The zero-padded table as a dense multilinear polynomial.
    pub fn dense(&self, values: &[i64]) -> DenseMultilinear {
        DenseMultilinear::new_padded(to_field(&self.pad(values, 0)), self.num_vars)
    }
}

/// Integers to field elements.
pub(crate) fn to_field(values: &[i64]) -> Vec<Fr> {
    values.par_iter().map(|v| from_i64(*v)).collect()
}

/// `Σ_{x<d} eq(r, x)`: the extension of the indicator of `[0, d)` on an axis of `r.len()` bits.
pub(crate) fn valid_axis(r: &[Fr], d: usize) -> Fr {
    if d >= 1 << r.len() {
        return Fr::one();
    }
    EqPolynomial::evals(r)[..d].iter().copied().sum()
}

/// The eq table of a sub-point, or `[1]` for an axis of zero bits.
pub(crate) fn eq_table(r: &[Fr]) -> Vec<Fr> {
    if r.is_empty() {
        vec![Fr::one()]
    } else {
        EqPolynomial::evals(r)
    }
}

/// Assembles a point on `layout` from per-axis sub-points.
pub(crate) fn assemble(layout: &Layout, subs: &[Vec<Fr>]) -> Vec<Fr> {
    let mut p = vec![Fr::zero(); layout.num_vars];
    for (i, s) in subs.iter().enumerate() {
        debug_assert_eq!(s.len(), layout.bits[i]);
        p[layout.offsets[i]..layout.offsets[i] + layout.bits[i]].copy_from_slice(s);
    }
    p
}

/// Row-major strides of a shape.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    atlas_isa::tensor::strides(shape)
}

/// Calls `f(flat, multi_index)` for every element of `shape` in row-major order.
pub(crate) fn for_each_index(shape: &[usize], mut f: impl FnMut(usize, &[usize])) {
    let n: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    for flat in 0..n {
        f(flat, &idx);
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_layout_and_sub_points() {
        let l = Layout::new(&[3, 1, 5]);
        assert_eq!(l.bits, vec![2, 0, 3]);
        assert_eq!(l.offsets, vec![3, 3, 0]);
        assert_eq!(l.num_vars, 5);
        let idx = l.padded_indices();
        assert_eq!(idx[0], 0);
        assert_eq!(idx[5], 8); // element [1, 0, 0]
        let vals: Vec<i64> = (1..=15).collect();
        // The extension at a boolean point of a real element is that element.
        let bits =
            |i: usize| -> Vec<Fr> { (0..5).map(|j| Fr::from(((i >> j) & 1) as u64)).collect() };
        assert_eq!(l.evaluate(&vals, &bits(8 + 2)), Fr::from(8u64));
        assert_eq!(l.evaluate(&vals, &bits(6)), Fr::zero());
        let r = vec![Fr::from(7u64), Fr::from(9u64)];
        let direct: Fr = EqPolynomial::evals(&r)[..3].iter().copied().sum();
        assert_eq!(valid_axis(&r, 3), direct);
        assert_eq!(valid_axis(&r, 4), Fr::one());
    }
}
