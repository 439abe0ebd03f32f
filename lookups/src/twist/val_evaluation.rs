//! Val-evaluation sumcheck (Twist & Shout, ePrint 2025/105, §8): reduces the read/write
//! checking's claim on the virtual memory state `Val(ρ_address, ρ_cycle)` to claims on the
//! committed increments and write addresses:
//!
//! ```text
//! Val(ρ_a, ρ_c) − init(ρ_a) = Σ_j Inc(j)·wa(ρ_a, j)·lt(j, ρ_c),
//! ```
//!
//! since `Val(k, j) = init(k) + Σ_{j' < j} wa(k, j')·Inc(j')` and `lt(j', j) = [j' < j]`. The
//! verifier evaluates `init` (public) and `lt` (in `O(log T)`) itself and ends with the claims
//! `Inc(ρ')` and `wa(ρ_a, ρ')`.

use crate::sumcheck::DenseInstance;
use jolt_core::field::Fr;
use jolt_core::poly::LtPolynomial;
use jolt_core::sumcheck::SumcheckInstanceVerifier;

/// The prover: `Inc`, `wa(ρ_a, ·)` and `lt(·, ρ_c)` as dense tables over the cycles.
pub(crate) fn prover(
    inc: Vec<Fr>,
    wa_at_address: Vec<Fr>,
    r_cycle: &[Fr],
    claim: Fr,
) -> DenseInstance<'static> {
    let lt = LtPolynomial::evals_below(r_cycle);
    DenseInstance::with_known_claim(vec![inc, wa_at_address, lt], 3, claim, |t| {
        t[0] * t[1] * t[2]
    })
    .with_outputs(vec![0, 1])
}

/// The verifier.
pub(crate) struct ValEvaluationVerifier<'a> {
    pub(crate) log_t: usize,
    pub(crate) r_cycle: &'a [Fr],
    pub(crate) claim: Fr,
}

impl SumcheckInstanceVerifier for ValEvaluationVerifier<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        2
    }

    fn expected_output_claim(&self, point: &[Fr], c: &[Fr]) -> Fr {
        c[0] * c[1] * LtPolynomial::evaluate(point, self.r_cycle)
    }
}
