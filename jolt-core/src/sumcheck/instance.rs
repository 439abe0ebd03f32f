//! One sumcheck statement, prover and verifier side.
//!
//! An instance proves `Σ_{x ∈ {0,1}^n} g(x) = input_claim` where `g` has degree at most
//! `degree()` in each variable. The prover side produces the round polynomial of its own rounds
//! and binds challenges; when every round is done it reports its *output claims*: the values at
//! the final point of the polynomials `g` is built from (for example `[A(r), B(r)]` for
//! `g = eq(τ,·)·A·B`). The verifier side recomputes `g(r)` from those claims and from what it
//! knows itself (`eq(τ, r)`).
//!
//! Both sides share the binding order (default [`BindingOrder::LowToHigh`]); the verifier is
//! handed the final point already in variable order (`point[j]` = value of `x_j`).

use crate::field::Fr;
use crate::poly::{BindingOrder, UniPoly};

/// The prover of one sumcheck instance, driven by [`BatchedSumcheck`](super::BatchedSumcheck).
pub trait SumcheckInstanceProver: Send {
    /// Degree bound of the round polynomials.
    fn degree(&self) -> usize;

    /// Number of rounds (variables).
    fn num_rounds(&self) -> usize;

    /// The claimed sum.
    fn input_claim(&self) -> Fr;

    /// Order in which this instance binds its variables.
    fn binding_order(&self) -> BindingOrder {
        BindingOrder::LowToHigh
    }

    /// The round polynomial `s_j` of round `round` (`0..num_rounds`, counted in this instance's
    /// own rounds), given the running claim `previous_claim = s_{j−1}(r_{j−1})` (or the input
    /// claim), which equals `s_j(0) + s_j(1)` for an honest prover. Degree at most `degree()`.
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly;

    /// Binds the variable of round `round` to the challenge `r`.
    fn bind(&mut self, r: Fr, round: usize);

    /// The output claims once every round is bound (see the module documentation).
    fn output_claims(&self) -> Vec<Fr>;
}

/// The verifier's description of one sumcheck instance.
pub trait SumcheckInstanceVerifier {
    /// Degree bound of the round polynomials.
    fn degree(&self) -> usize;

    /// Number of rounds (variables).
    fn num_rounds(&self) -> usize;

    /// The claimed sum (which the verifier must know, and must have absorbed or derived from
    /// absorbed data).
    fn input_claim(&self) -> Fr;

    /// Order in which the prover binds the variables.
    fn binding_order(&self) -> BindingOrder {
        BindingOrder::LowToHigh
    }

    /// How many output claims the prover reports.
    fn num_output_claims(&self) -> usize;

    /// `g(point)` computed from the prover's `output_claims` (of length
    /// `num_output_claims()`, checked by the driver). `point[j]` is the value of `x_j`.
    ///
    /// # Soundness
    /// The output claims are *claims*: the caller must discharge each of them later (by
    /// another sumcheck or an opening proof), typically through the
    /// [`openings`](crate::openings) accumulator.
    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr;
}
