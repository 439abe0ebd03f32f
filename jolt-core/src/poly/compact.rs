//! Multilinear polynomials whose table holds small integers (`i32`, `i64`, ...).
//!
//! Witness values stay in their integer type until they must become field elements: the first
//! binding computes `t[lo] + ρ·(t[hi] − t[lo])` with one small-integer × field product
//! ([`SmallScalar::mul_field`]) per output entry, and yields a [`DenseMultilinear`].

use super::dense::DenseMultilinear;
use super::{BindingOrder, PAR_THRESHOLD};
use crate::field::{mul_u64, Fr, SmallScalar};
use ark_ff::Zero;
use rayon::prelude::*;

/// A multilinear polynomial with a little-endian table of small integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactMultilinear<T: SmallScalar> {
    values: Vec<T>,
    num_vars: usize,
}

/// `lo + r·(hi − lo)` for integers `lo`, `hi` of one small type.
#[inline]
fn interpolate<T: SmallScalar>(lo: T, hi: T, r: &Fr) -> Fr {
    let (nl, ml) = lo.sign_magnitude();
    let (nh, mh) = hi.sign_magnitude();
    let l = ml as i128 * if nl { -1 } else { 1 };
    let h = mh as i128 * if nh { -1 } else { 1 };
    let d = h - l;
    // Both values lie in [-2^63, 2^64), of the same type, so |d| < 2^64.
    let mag = d.unsigned_abs();
    debug_assert!(mag <= u64::MAX as u128);
    let step = mul_u64(r, mag as u64);
    let step = if d < 0 { -step } else { step };
    lo.to_field() + step
}

impl<T: SmallScalar> CompactMultilinear<T> {
    /// The polynomial with table `values`, padded with `pad` (normally zero) to the next power
    /// of two.
    pub fn new(mut values: Vec<T>, pad: T) -> Self {
        let len = values.len().max(1).next_power_of_two();
        values.resize(len, pad);
        CompactMultilinear {
            num_vars: len.trailing_zeros() as usize,
            values,
        }
    }

    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The integer table.
    pub fn values(&self) -> &[T] {
        &self.values
    }

    /// The table as field elements.
    pub fn to_dense(&self) -> DenseMultilinear {
        let evals: Vec<Fr> = if self.values.len() >= PAR_THRESHOLD {
            self.values.par_iter().map(|v| v.to_field()).collect()
        } else {
            self.values.iter().map(|v| v.to_field()).collect()
        };
        DenseMultilinear::new(evals)
    }

    /// Binds one variable to `r` in the given order; the result has field entries.
    ///
    /// # Panics
    /// If the polynomial has no variable.
    pub fn bind(&self, r: Fr, order: BindingOrder) -> DenseMultilinear {
        assert!(self.num_vars > 0, "no variable left to bind");
        let half = self.values.len() / 2;
        let v = &self.values;
        let evals: Vec<Fr> = match order {
            BindingOrder::LowToHigh => {
                if half >= PAR_THRESHOLD {
                    v.par_chunks_exact(2)
                        .map(|p| interpolate(p[0], p[1], &r))
                        .collect()
                } else {
                    v.chunks_exact(2)
                        .map(|p| interpolate(p[0], p[1], &r))
                        .collect()
                }
            }
            BindingOrder::HighToLow => {
                let (lo, hi) = v.split_at(half);
                if half >= PAR_THRESHOLD {
                    lo.par_iter()
                        .zip(hi.par_iter())
                        .map(|(a, b)| interpolate(*a, *b, &r))
                        .collect()
                } else {
                    lo.iter()
                        .zip(hi)
                        .map(|(a, b)| interpolate(*a, *b, &r))
                        .collect()
                }
            }
        };
        DenseMultilinear::new(evals)
    }

    /// The multilinear extension at `point` (at least `num_vars` coordinates; extra high
    /// coordinates mean zero-padding), as `Σ_i eq(point, i)·t[i]` with small-integer products.
    ///
    /// # Panics
    /// If `point` has fewer than `num_vars` coordinates.
    pub fn evaluate(&self, point: &[Fr]) -> Fr {
        assert!(
            point.len() >= self.num_vars,
            "point has {} coordinates, polynomial has {} variables",
            point.len(),
            self.num_vars
        );
        let eq = super::eq::EqPolynomial::evals(&point[..self.num_vars]);
        let own: Fr = if eq.len() >= PAR_THRESHOLD {
            eq.par_iter()
                .zip(self.values.par_iter())
                .map(|(e, v)| v.mul_field(e))
                .sum()
        } else {
            eq.iter()
                .zip(&self.values)
                .map(|(e, v)| v.mul_field(e))
                .fold(Fr::zero(), |a, b| a + b)
        };
        point[self.num_vars..]
            .iter()
            .fold(own, |acc, r| acc * (Fr::from(1u64) - r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::Rng;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn compact_matches_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(20);
        for n in [1usize, 5, 13] {
            let mut vals: Vec<i64> = (0..1 << n).map(|_| rng.gen()).collect();
            vals[0] = i64::MIN;
            vals[1] = i64::MAX;
            let c = CompactMultilinear::new(vals, 0);
            let d = c.to_dense();
            let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            assert_eq!(c.evaluate(&r), d.evaluate(&r));
            for order in [BindingOrder::LowToHigh, BindingOrder::HighToLow] {
                let mut dd = d.clone();
                dd.bind(r[0], order);
                assert_eq!(c.bind(r[0], order), dd, "{order:?}");
            }
            let small: Vec<i32> = (0..1 << n).map(|_| rng.gen_range(-100..100)).collect();
            let c32 = CompactMultilinear::new(small, 0);
            assert_eq!(c32.evaluate(&r), c32.to_dense().evaluate(&r));
        }
    }
}
