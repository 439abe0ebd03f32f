//! The fast kernel for `Σ_x eq(τ, x)·Π_{k<D} p_k(x) = claim`, `D ∈ {1, 2, 3}`, low-to-high.
//!
//! Round `j` factors as `s_j(X) = C_j·eq(τ_j, X)·q_j(X)` (Gruen, ePrint 2024/108; see
//! [`SplitEq`]). The prover computes only `q_j`, of degree `D`, from `D` evaluations:
//! `q_j(0)`, `q_j(2), …, q_j(D−1)` and the leading coefficient `q_j(∞) = Σ eq·Π_k (hi_k − lo_k)`;
//! the missing `q_j(1)` follows from the running claim,
//! `claim = C_j·((1 − τ_j)·q_j(0) + τ_j·q_j(1))`. So the degree-3 `Σ eq·A·B` costs per pair of
//! entries two products and two multiplications by `E_in`, plus two for binding `A` and `B`.
//! The weights `eq(τ_{>j}, x')` come from the two half-size tables `E_in(x'_lo)·E_out(x'_hi)`
//! (Dao–Thaler, ePrint 2024/1210): the inner sum over `x'_lo` is weighted by `E_in`, and each
//! inner sum is multiplied once by `E_out`, so the full `2^n` eq table is never built.
//!
//! The outer loop over `x'_hi` runs on rayon.

use super::instance::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use crate::field::Fr;
use crate::poly::{BindingOrder, DenseMultilinear, EqPolynomial, SplitEq, UniPoly};
use ark_ff::Zero;
use rayon::prelude::*;

/// Prover of `Σ_x eq(τ, x)·Π_k p_k(x)` for one to three dense factors.
pub struct EqProductProver {
    split: SplitEq,
    factors: Vec<DenseMultilinear>,
    claim: Fr,
    num_rounds: usize,
}

impl EqProductProver {
    /// The instance for `eq(tau, ·)·Π factors`, computing the claim.
    ///
    /// # Panics
    /// If there are not 1 to 3 factors, or a factor's number of variables is not `tau.len()`.
    pub fn new(tau: &[Fr], factors: Vec<DenseMultilinear>) -> Self {
        let claim = Self::compute_claim(tau, &factors);
        Self::new_with_claim(tau, factors, claim)
    }

    /// The instance with a claim the caller already knows (it is not recomputed).
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn new_with_claim(tau: &[Fr], factors: Vec<DenseMultilinear>, claim: Fr) -> Self {
        assert!(
            (1..=3).contains(&factors.len()),
            "eq-product kernel supports 1 to 3 factors, got {}",
            factors.len()
        );
        assert!(
            factors.iter().all(|f| f.num_vars() == tau.len()),
            "every factor must have tau.len() = {} variables",
            tau.len()
        );
        EqProductProver {
            split: SplitEq::new(tau),
            factors,
            claim,
            num_rounds: tau.len(),
        }
    }

    /// `Σ_x eq(τ, x)·Π_k p_k(x)`, with the split eq table.
    pub fn compute_claim(tau: &[Fr], factors: &[DenseMultilinear]) -> Fr {
        let m_in = tau.len().div_ceil(2);
        let e_in = EqPolynomial::evals(&tau[..m_in]);
        let e_out = EqPolynomial::evals(&tau[m_in..]);
        e_out
            .par_iter()
            .enumerate()
            .map(|(xo, eo)| {
                let mut inner = Fr::zero();
                for (xi, ei) in e_in.iter().enumerate() {
                    let idx = xi + (xo << m_in);
                    let prod = factors[1..]
                        .iter()
                        .fold(factors[0].evals()[idx], |a, f| a * f.evals()[idx]);
                    inner += *ei * prod;
                }
                *eo * inner
            })
            .sum()
    }

    /// `[q(0), q(2), …, q(D−1), q(∞)]` (or `[q(0)]` for `D = 1`) of the current round.
    fn quotient_evals<const D: usize>(&self) -> [Fr; D] {
        let e_in = self.split.e_in();
        let e_out = self.split.e_out();
        let m_in = e_in.len().trailing_zeros() as usize;
        let tables: [&[Fr]; D] = std::array::from_fn(|k| self.factors[k].evals());
        let inner_sum = |xo: usize| -> [Fr; D] {
            let mut acc = [Fr::zero(); D];
            for (xi, ei) in e_in.iter().enumerate() {
                let i0 = 2 * (xi + (xo << m_in));
                let mut lo = [Fr::zero(); D];
                let mut slope = [Fr::zero(); D];
                for k in 0..D {
                    lo[k] = tables[k][i0];
                    slope[k] = tables[k][i0 + 1] - lo[k];
                }
                let vals = pair_products::<D>(&lo, &slope);
                for k in 0..D {
                    acc[k] += *ei * vals[k];
                }
            }
            acc
        };
        let add = |mut a: [Fr; D], b: [Fr; D]| {
            for k in 0..D {
                a[k] += b[k];
            }
            a
        };
        let weighted = |xo: usize| {
            let s = inner_sum(xo);
            let eo = e_out[xo];
            s.map(|v| v * eo)
        };
        if e_out.len() > 1 {
            e_out
                .par_iter()
                .enumerate()
                .map(|(xo, _)| weighted(xo))
                .reduce(|| [Fr::zero(); D], add)
        } else {
            weighted(0)
        }
    }

    /// `q(1) = Σ eq(τ_{>j}, x')·Π_k hi_k`, computed directly: only needed when the claim
    /// cannot give it (`τ_j = 0` or `C_j = 0`).
    fn quotient_at_one_direct(&self) -> Fr {
        let e_in = self.split.e_in();
        let e_out = self.split.e_out();
        let m_in = e_in.len().trailing_zeros() as usize;
        e_out
            .par_iter()
            .enumerate()
            .map(|(xo, eo)| {
                let mut inner = Fr::zero();
                for (xi, ei) in e_in.iter().enumerate() {
                    let i1 = 2 * (xi + (xo << m_in)) + 1;
                    let prod = self.factors[1..]
                        .iter()
                        .fold(self.factors[0].evals()[i1], |a, f| a * f.evals()[i1]);
                    inner += *ei * prod;
                }
                *eo * inner
            })
            .sum()
    }
}

/// Products of the factor lines at the kernel's points: `[Π lo]` for `D = 1`,
/// `[Π lo, Π slope]` for `D = 2`, `[Π lo, Π (lo + 2·slope), Π slope]` for `D = 3`.
#[inline(always)]
fn pair_products<const D: usize>(lo: &[Fr; D], slope: &[Fr; D]) -> [Fr; D] {
    let mut out = [Fr::zero(); D];
    match D {
        1 => out[0] = lo[0],
        2 => {
            out[0] = lo[0] * lo[1];
            out[1] = slope[0] * slope[1];
        }
        _ => {
            out[0] = lo[0] * lo[1] * lo[2];
            let at2 = |k: usize| lo[k] + slope[k] + slope[k];
            out[1] = at2(0) * at2(1) * at2(2);
            out[2] = slope[0] * slope[1] * slope[2];
        }
    }
    out
}

impl SumcheckInstanceProver for EqProductProver {
    fn degree(&self) -> usize {
        self.factors.len() + 1
    }

    fn num_rounds(&self) -> usize {
        self.num_rounds
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "EqProductProver::compute_round_poly")]
    fn compute_round_poly(&mut self, _round: usize, previous_claim: Fr) -> UniPoly {
        let d = self.factors.len();
        // `finite` = [q(0), q(2), …, q(D−1)], `lead` = q(∞) (for D ≥ 2).
        let (finite, lead): (Vec<Fr>, Option<Fr>) = match d {
            1 => (self.quotient_evals::<1>().to_vec(), None),
            2 => {
                let e = self.quotient_evals::<2>();
                (vec![e[0]], Some(e[1]))
            }
            _ => {
                let e = self.quotient_evals::<3>();
                (vec![e[0], e[1]], Some(e[2]))
            }
        };
        let q1 = self
            .split
            .quotient_at_one(finite[0], previous_claim)
            .unwrap_or_else(|| self.quotient_at_one_direct());
        // Values at 0..D−1 of q(X) − lead·X^D, then interpolate and add lead·X^D back.
        let mut at = Vec::with_capacity(d);
        at.push(finite[0]);
        at.push(q1);
        at.extend_from_slice(&finite[1..]);
        let q = match lead {
            None => UniPoly::from_evals(&at),
            Some(c) => {
                let reduced: Vec<Fr> = at
                    .iter()
                    .enumerate()
                    .map(|(k, v)| *v - c * Fr::from(k as u64).pow_usize(d))
                    .collect();
                let mut coeffs = UniPoly::from_evals(&reduced).coeffs().to_vec();
                coeffs.resize(d + 1, Fr::zero());
                coeffs[d] += c;
                UniPoly::from_coeffs(coeffs)
            }
        };
        self.split.round_poly_from_quotient(&q)
    }

    #[tracing::instrument(skip_all, name = "EqProductProver::bind")]
    fn bind(&mut self, r: Fr, _round: usize) {
        self.split.bind(r);
        self.factors
            .iter_mut()
            .for_each(|f| f.bind(r, BindingOrder::LowToHigh));
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.factors.iter().map(|f| f.final_value()).collect()
    }
}

/// `x^k` for small `k`.
trait PowUsize {
    fn pow_usize(self, k: usize) -> Self;
}

impl PowUsize for Fr {
    fn pow_usize(self, k: usize) -> Fr {
        (0..k).fold(Fr::from(1u64), |acc, _| acc * self)
    }
}

/// Verifier of `Σ_x eq(τ, x)·Π_k p_k(x) = claim`: the output claims are the factor values
/// `p_k(r)`, and `g(r) = eq(τ, r)·Π_k p_k(r)`.
#[derive(Clone, Debug)]
pub struct EqProductVerifier {
    /// The eq point `τ` (one coordinate per round).
    pub tau: Vec<Fr>,
    /// The claimed sum.
    pub claim: Fr,
    /// Number of factors (1 to 3; the degree is one more).
    pub num_factors: usize,
}

impl SumcheckInstanceVerifier for EqProductVerifier {
    fn degree(&self) -> usize {
        self.num_factors + 1
    }

    fn num_rounds(&self) -> usize {
        self.tau.len()
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        self.num_factors
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        EqPolynomial::evaluate(&self.tau, point) * output_claims.iter().product::<Fr>()
    }
}
