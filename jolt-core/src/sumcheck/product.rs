//! The generic product sumcheck `Σ_x Π_{k<D} p_k(x)` over dense multilinear factors.
//!
//! Each round, for every pair of table entries bound together (`(2i, 2i+1)` low-to-high,
//! `(i, i + len/2)` high-to-low), each factor restricted to the round variable is the line
//! `p_k(t) = lo + t·(hi − lo)`; the round polynomial `s(t) = Σ_pairs Π_k p_k(t)` has degree `D`
//! and is computed at `t = 0, 2, 3, …, D`, with `s(1) = claim − s(0)`. Cost per round:
//! about `D²/2` multiplications per pair. This is the reference instance (any degree, either
//! order); [`EqProductProver`](super::EqProductProver) is the fast path for `eq·Π p_k`.

use super::instance::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use crate::field::Fr;
use crate::poly::{BindingOrder, DenseMultilinear, UniPoly, PAR_THRESHOLD};
use ark_ff::{One, Zero};
use rayon::prelude::*;

/// Prover of `Σ_x Π_k p_k(x) = claim`.
pub struct ProductProver {
    factors: Vec<DenseMultilinear>,
    claim: Fr,
    num_rounds: usize,
    order: BindingOrder,
}

impl ProductProver {
    /// The instance for `factors` (all with the same number of variables), binding in
    /// `order`. Computes the claim.
    ///
    /// # Panics
    /// If `factors` is empty or the factors have different numbers of variables.
    pub fn new(factors: Vec<DenseMultilinear>, order: BindingOrder) -> Self {
        assert!(!factors.is_empty(), "product of no factor");
        let n = factors[0].num_vars();
        assert!(
            factors.iter().all(|f| f.num_vars() == n),
            "factors have different numbers of variables"
        );
        let claim = product_sum(&factors);
        ProductProver {
            factors,
            claim,
            num_rounds: n,
            order,
        }
    }
}

/// `Σ_x Π_k f_k(x)`.
fn product_sum(factors: &[DenseMultilinear]) -> Fr {
    let len = factors[0].len();
    let term = |i: usize| {
        factors[1..]
            .iter()
            .fold(factors[0].evals()[i], |acc, f| acc * f.evals()[i])
    };
    if len >= PAR_THRESHOLD {
        (0..len).into_par_iter().map(term).sum()
    } else {
        (0..len).map(term).sum()
    }
}

impl SumcheckInstanceProver for ProductProver {
    fn degree(&self) -> usize {
        self.factors.len()
    }

    fn num_rounds(&self) -> usize {
        self.num_rounds
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn binding_order(&self) -> BindingOrder {
        self.order
    }

    fn compute_round_poly(&mut self, _round: usize, previous_claim: Fr) -> UniPoly {
        let d = self.factors.len();
        let half = self.factors[0].len() / 2;
        let order = self.order;
        let factors = &self.factors;
        // evals[0] = s(0), evals[k−1] = s(k) for k = 2..=d.
        let pair_evals = |i: usize| -> Vec<Fr> {
            let (ilo, ihi) = match order {
                BindingOrder::LowToHigh => (2 * i, 2 * i + 1),
                BindingOrder::HighToLow => (i, i + half),
            };
            let mut prods = vec![Fr::one(); d];
            for f in factors {
                let lo = f.evals()[ilo];
                let slope = f.evals()[ihi] - lo;
                prods[0] *= lo;
                let mut v = f.evals()[ihi];
                for p in prods.iter_mut().skip(1) {
                    v += slope;
                    *p *= v;
                }
            }
            prods
        };
        let add = |mut a: Vec<Fr>, b: Vec<Fr>| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
            a
        };
        let evals = if half >= PAR_THRESHOLD {
            (0..half)
                .into_par_iter()
                .map(pair_evals)
                .reduce(|| vec![Fr::zero(); d], add)
        } else {
            (0..half).map(pair_evals).fold(vec![Fr::zero(); d], add)
        };
        UniPoly::from_evals_and_claim(previous_claim, &evals)
    }

    fn bind(&mut self, r: Fr, _round: usize) {
        let order = self.order;
        self.factors.par_iter_mut().for_each(|f| f.bind(r, order));
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.factors.iter().map(|f| f.final_value()).collect()
    }
}

/// Verifier of `Σ_x Π_k p_k(x) = claim`: the output claims are the `D` factor values.
#[derive(Clone, Debug)]
pub struct ProductVerifier {
    /// The claimed sum.
    pub claim: Fr,
    /// Number of variables.
    pub num_rounds: usize,
    /// Number of factors `D` (the degree).
    pub num_factors: usize,
    /// The binding order the prover uses.
    pub order: BindingOrder,
}

impl SumcheckInstanceVerifier for ProductVerifier {
    fn degree(&self) -> usize {
        self.num_factors
    }

    fn num_rounds(&self) -> usize {
        self.num_rounds
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn binding_order(&self) -> BindingOrder {
        self.order
    }

    fn num_output_claims(&self) -> usize {
        self.num_factors
    }

    fn expected_output_claim(&self, _point: &[Fr], output_claims: &[Fr]) -> Fr {
        output_claims.iter().product()
    }
}
