//! Cycle weights of a read claim: which cycles a claim reads, with which coefficients.
//!
//! A plain read claim is `rv(r) = Σ_j eq(r, j)·Val(k_j)`: the weight of cycle `j` is `eq(r, j)`.
//! When one instance serves several users — every ReLU of a program, say, each owning an aligned
//! *segment* of the cycles — a batch of claims `rv_t(r_t)` on segments is combined with random
//! coefficients `c_t` into one claim with weights
//!
//! ```text
//! W(j) = Σ_t c_t·eq(r_t, j − o_t)·[o_t ≤ j < o_t + 2^{|r_t|}],
//! ```
//!
//! where segment `t` starts at `o_t`, a multiple of its size `2^{|r_t|}`. Because the segment is
//! aligned, its indicator is an `eq` on the high index bits, and the verifier evaluates the
//! multilinear extension of `W` at any point in `O(Σ_t log T)`:
//! `W̃(ρ) = Σ_t c_t·eq(r_t, ρ[..|r_t|])·Π_{b ≥ |r_t|} (o_t bit b ? ρ_b : 1 − ρ_b)`.

use ark_ff::{One, Zero};
use jolt_core::field::Fr;
use jolt_core::poly::EqPolynomial;

/// One term `c·eq(point, j − offset)` on the segment `[offset, offset + 2^{|point|})`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightTerm {
    /// The coefficient `c`.
    pub coeff: Fr,
    /// First cycle of the segment, a multiple of `2^{|point|}`.
    pub offset: usize,
    /// The point on the segment's cycles (little-endian, `point[b]` is bit `b`).
    pub point: Vec<Fr>,
}

/// The weights `W(j)` of a read claim: a sum of [`WeightTerm`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleWeights {
    /// The terms.
    pub terms: Vec<WeightTerm>,
}

impl CycleWeights {
    /// `W(j) = eq(r_cycle, j)` over all `2^{|r_cycle|}` cycles: the plain read claim.
    pub fn eq(r_cycle: &[Fr]) -> Self {
        Self {
            terms: vec![WeightTerm {
                coeff: Fr::one(),
                offset: 0,
                point: r_cycle.to_vec(),
            }],
        }
    }

    /// Checks that every segment is aligned and lies within `2^log_t` cycles.
    pub fn check(&self, log_t: usize) -> Result<(), String> {
        for (i, t) in self.terms.iter().enumerate() {
            let len = t.point.len();
            if len > log_t {
                return Err(format!(
                    "weight term {i}: {len} coordinates for 2^{log_t} cycles"
                ));
            }
            let size = 1usize << len;
            if t.offset % size != 0 || t.offset + size > 1 << log_t {
                return Err(format!(
                    "weight term {i}: segment at {} of 2^{len} cycles is not aligned within 2^{log_t}",
                    t.offset
                ));
            }
        }
        Ok(())
    }

    /// The table `W(j)` for `j < 2^log_t` (terms checked by [`Self::check`]).
    pub fn table(&self, log_t: usize) -> Vec<Fr> {
        if let [t] = self.terms.as_slice() {
            if t.point.len() == log_t && t.offset == 0 {
                return EqPolynomial::evals_scaled(&t.point, t.coeff);
            }
        }
        let mut w = vec![Fr::zero(); 1 << log_t];
        for t in &self.terms {
            let evals = EqPolynomial::evals_scaled(&t.point, t.coeff);
            for (a, b) in w[t.offset..t.offset + evals.len()].iter_mut().zip(evals) {
                *a += b;
            }
        }
        w
    }

    /// `W̃(ρ)` for `ρ` of `log T` coordinates.
    pub fn evaluate(&self, rho: &[Fr]) -> Fr {
        self.terms
            .iter()
            .map(|t| {
                let len = t.point.len();
                let high: Fr = rho[len..]
                    .iter()
                    .enumerate()
                    .map(|(b, r)| {
                        if (t.offset >> (len + b)) & 1 == 1 {
                            *r
                        } else {
                            Fr::one() - r
                        }
                    })
                    .product();
                t.coeff * EqPolynomial::evaluate(&t.point, &rho[..len]) * high
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use jolt_core::poly::DenseMultilinear;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn segments_evaluate_like_their_table() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut point = |n: usize| (0..n).map(|_| Fr::rand(&mut rng)).collect::<Vec<Fr>>();
        let weights = CycleWeights {
            terms: vec![
                WeightTerm {
                    coeff: Fr::from(3u64),
                    offset: 0,
                    point: point(3),
                },
                WeightTerm {
                    coeff: Fr::from(5u64),
                    offset: 8,
                    point: point(2),
                },
                WeightTerm {
                    coeff: Fr::from(7u64),
                    offset: 12,
                    point: point(1),
                },
                WeightTerm {
                    coeff: Fr::from(11u64),
                    offset: 8,
                    point: point(2),
                },
            ],
        };
        weights.check(4).unwrap();
        let table = weights.table(4);
        assert_eq!(table[14], Fr::zero());
        let rho = point(4);
        assert_eq!(
            weights.evaluate(&rho),
            DenseMultilinear::new(table).evaluate(&rho)
        );
        let eq = CycleWeights::eq(&rho);
        assert_eq!(eq.table(4), EqPolynomial::evals(&rho));
    }

    #[test]
    fn misaligned_segments_are_refused() {
        let w = |offset, n| CycleWeights {
            terms: vec![WeightTerm {
                coeff: Fr::one(),
                offset,
                point: vec![Fr::zero(); n],
            }],
        };
        assert!(w(4, 2).check(4).is_ok());
        assert!(w(2, 2).check(4).is_err());
        assert!(w(12, 3).check(4).is_err());
        assert!(w(0, 5).check(4).is_err());
    }
}
