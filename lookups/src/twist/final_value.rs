//! Final-value sumcheck (Twist & Shout, ePrint 2025/105, §8): the memory after the last cycle
//! is the initial memory plus every increment at its write address. For a random address point
//! `r_a`:
//!
//! ```text
//! final(r_a) − init(r_a) = Σ_j Inc(j)·wa(r_a, j),
//! ```
//!
//! ending with the claims `Inc(ρ')` and `wa(r_a, ρ')`. A wrong final memory (or a write the
//! increments do not account for) makes the left side differ at a random `r_a`.

use crate::sumcheck::DenseInstance;
use jolt_core::field::Fr;
use jolt_core::sumcheck::SumcheckInstanceVerifier;

/// The prover: `Inc` and `wa(r_a, ·)` as dense tables over the cycles.
pub(crate) fn prover(inc: Vec<Fr>, wa_at_address: Vec<Fr>, claim: Fr) -> DenseInstance<'static> {
    DenseInstance::with_known_claim(vec![inc, wa_at_address], 2, claim, |t| t[0] * t[1])
}

/// The verifier.
pub(crate) struct FinalValueVerifier {
    pub(crate) log_t: usize,
    pub(crate) claim: Fr,
}

impl SumcheckInstanceVerifier for FinalValueVerifier {
    fn degree(&self) -> usize {
        2
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

    fn expected_output_claim(&self, _point: &[Fr], c: &[Fr]) -> Fr {
        c[0] * c[1]
    }
}
