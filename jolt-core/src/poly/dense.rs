//! Dense multilinear polynomials: a little-endian table of `2^n` field elements (see the
//! [module documentation](super) for the convention).

use super::{BindingOrder, PAR_THRESHOLD};
use crate::field::Fr;
use ark_ff::Zero;
use rayon::prelude::*;

/// A multilinear polynomial in `num_vars` variables given by its `2^num_vars` evaluations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseMultilinear {
    evals: Vec<Fr>,
    num_vars: usize,
}

impl DenseMultilinear {
    /// The polynomial with evaluation table `evals`, zero-padded to the next power of two (an
    /// empty table is the zero polynomial in 0 variables).
    pub fn new(mut evals: Vec<Fr>) -> Self {
        let len = evals.len().max(1).next_power_of_two();
        evals.resize(len, Fr::zero());
        DenseMultilinear {
            num_vars: len.trailing_zeros() as usize,
            evals,
        }
    }

    /// The polynomial with evaluation table `evals` zero-padded to `2^num_vars` entries.
    ///
    /// # Panics
    /// If `evals.len() > 2^num_vars` (a caller bug: the table does not fit).
    pub fn new_padded(mut evals: Vec<Fr>, num_vars: usize) -> Self {
        assert!(
            evals.len() <= 1 << num_vars,
            "table of {} entries does not fit {num_vars} variables",
            evals.len()
        );
        evals.resize(1 << num_vars, Fr::zero());
        DenseMultilinear { evals, num_vars }
    }

    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Number of evaluations, `2^num_vars`.
    pub fn len(&self) -> usize {
        self.evals.len()
    }

    /// Whether the table is empty (never: a 0-variable polynomial has one entry).
    pub fn is_empty(&self) -> bool {
        self.evals.is_empty()
    }

    /// The evaluation table.
    pub fn evals(&self) -> &[Fr] {
        &self.evals
    }

    /// The evaluation table, by value.
    pub fn into_evals(self) -> Vec<Fr> {
        self.evals
    }

    /// The value of a 0-variable polynomial (after every variable is bound).
    pub fn final_value(&self) -> Fr {
        self.evals[0]
    }

    /// Binds one variable to `r` in the given order, halving the table.
    ///
    /// # Panics
    /// If no variable is left.
    pub fn bind(&mut self, r: Fr, order: BindingOrder) {
        assert!(self.num_vars > 0, "no variable left to bind");
        let half = self.evals.len() / 2;
        match order {
            BindingOrder::LowToHigh => {
                if half >= PAR_THRESHOLD {
                    self.evals = self
                        .evals
                        .par_chunks_exact(2)
                        .map(|p| p[0] + r * (p[1] - p[0]))
                        .collect();
                } else {
                    for i in 0..half {
                        let (a, b) = (self.evals[2 * i], self.evals[2 * i + 1]);
                        self.evals[i] = a + r * (b - a);
                    }
                    self.evals.truncate(half);
                }
            }
            BindingOrder::HighToLow => {
                let (lo, hi) = self.evals.split_at_mut(half);
                if half >= PAR_THRESHOLD {
                    lo.par_iter_mut()
                        .zip(hi.par_iter())
                        .for_each(|(a, b)| *a += r * (*b - *a));
                } else {
                    for (a, b) in lo.iter_mut().zip(hi.iter()) {
                        *a += r * (*b - *a);
                    }
                }
                self.evals.truncate(half);
            }
        }
        self.num_vars -= 1;
    }

    /// The multilinear extension at `point` (`point[j]` is the value of `x_j`); `point` may be
    /// longer than `num_vars`, in which case the table is zero-padded (see the module docs).
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
        let own = evaluate_table(&self.evals, &point[..self.num_vars]);
        point[self.num_vars..]
            .iter()
            .fold(own, |acc, r| acc * (Fr::from(1u64) - r))
    }
}

/// The multilinear extension of a little-endian table of length `2^point.len()` at `point`,
/// by folding the top variable first (reads the table once, allocates half of it).
pub(crate) fn evaluate_table(table: &[Fr], point: &[Fr]) -> Fr {
    debug_assert_eq!(table.len(), 1 << point.len());
    let Some((&r_top, rest)) = point.split_last() else {
        return table[0];
    };
    let half = table.len() / 2;
    let (lo, hi) = table.split_at(half);
    let mut buf: Vec<Fr> = if half >= PAR_THRESHOLD {
        lo.par_iter()
            .zip(hi.par_iter())
            .map(|(a, b)| *a + r_top * (*b - *a))
            .collect()
    } else {
        lo.iter()
            .zip(hi)
            .map(|(a, b)| *a + r_top * (*b - *a))
            .collect()
    };
    for &r in rest.iter().rev() {
        let half = buf.len() / 2;
        let (lo, hi) = buf.split_at_mut(half);
        if half >= PAR_THRESHOLD {
            lo.par_iter_mut()
                .zip(hi.par_iter())
                .for_each(|(a, b)| *a += r * (*b - *a));
        } else {
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a += r * (*b - *a);
            }
        }
        buf.truncate(half);
    }
    buf[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poly::eq::EqPolynomial;
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn random(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    #[test]
    fn evaluate_matches_eq_sum_and_hypercube() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        for n in [0usize, 1, 3, 6, 13] {
            let p = DenseMultilinear::new(random(1 << n, &mut rng));
            let r = random(n, &mut rng);
            let eq = EqPolynomial::evals(&r);
            let direct: Fr = eq.iter().zip(p.evals()).map(|(e, v)| *e * v).sum();
            assert_eq!(p.evaluate(&r), direct);
            // On hypercube points, the extension is the table (little-endian bits).
            for i in [0usize, (1 << n) - 1, (1 << n) / 3] {
                let bits: Vec<Fr> = (0..n).map(|j| Fr::from(((i >> j) & 1) as u64)).collect();
                assert_eq!(p.evaluate(&bits), p.evals()[i]);
            }
        }
    }

    #[test]
    fn binding_in_both_orders_matches_evaluation() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for n in [1usize, 4, 14] {
            let p = DenseMultilinear::new(random(1 << n, &mut rng));
            let challenges = random(n, &mut rng);
            for order in [BindingOrder::LowToHigh, BindingOrder::HighToLow] {
                let mut q = p.clone();
                for (k, &c) in challenges.iter().enumerate() {
                    q.bind(c, order);
                    assert_eq!(q.num_vars(), n - k - 1);
                }
                let point = order.point_from_challenges(&challenges);
                assert_eq!(q.final_value(), p.evaluate(&point), "{order:?} n={n}");
            }
            // Partial binding: the remaining table is p with the bound variables fixed.
            let mut q = p.clone();
            q.bind(challenges[0], BindingOrder::LowToHigh);
            let mut full = vec![challenges[0]];
            full.extend_from_slice(&challenges[1..]);
            assert_eq!(q.evaluate(&challenges[1..]), p.evaluate(&full));
        }
    }

    #[test]
    fn padding_embeds_in_low_indices() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let small = DenseMultilinear::new(random(8, &mut rng));
        let big = DenseMultilinear::new_padded(small.evals().to_vec(), 5);
        let r = random(5, &mut rng);
        assert_eq!(small.evaluate(&r), big.evaluate(&r));
        let factor = (Fr::from(1u64) - r[3]) * (Fr::from(1u64) - r[4]);
        assert_eq!(big.evaluate(&r), small.evaluate(&r[..3]) * factor);
        // Non-power-of-two input is padded.
        assert_eq!(DenseMultilinear::new(random(5, &mut rng)).num_vars(), 3);
    }
}
