//! The batched sumcheck driver (see the [module documentation](super) for the protocol).
//!
//! Transcript order, identical on both sides:
//!
//! 1. `append_scalars("sumcheck_claims", [c_0, …, c_{k−1}])` — every input claim;
//! 2. for `k > 1`, `α = challenge_scalars("sumcheck_batching", k)` (for one instance `α = [1]`);
//! 3. per round: the compressed round polynomial, then the challenge `r_j`;
//! 4. per instance, `append_scalars("sumcheck_output_claims", claims_i)`.

use super::instance::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use super::proof::{SumcheckProof, ROUND_CHALLENGE};
use super::SumcheckError;
use crate::field::Fr;
use crate::poly::unipoly::deserialize_bounded_vec;
use crate::poly::UniPoly;
use crate::transcript::Transcript;
use ark_ff::{Field, One};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use std::io::{Read, Write};

/// Largest number of instances (and of output claims per instance) a deserialized proof may
/// have (bounds allocations).
pub const MAX_INSTANCES: usize = 1 << 16;

/// A batched sumcheck proof: the round polynomials of the combined sum and each instance's
/// output claims.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BatchedSumcheckProof {
    /// The round polynomials of `Σ_i α_i·2^{N−n_i}·g_i`.
    pub sumcheck: SumcheckProof,
    /// Per instance, in the order the instances were given, its output claims.
    pub output_claims: Vec<Vec<Fr>>,
}

/// The batched sumcheck prover and verifier.
pub struct BatchedSumcheck;

impl BatchedSumcheck {
    /// Proves every instance in one batched sumcheck. Returns the proof and the challenges
    /// `r_0..r_{N−1}` in round order; instance `i` was bound with the last `n_i` of them.
    ///
    /// The driver does not stop a dishonest instance (a round polynomial whose `s(0) + s(1)`
    /// is not the running claim, or above the degree bound): it logs a `tracing` warning and
    /// carries on, so that malicious-prover tests can check that the verifier rejects.
    ///
    /// # Panics
    /// If `instances` is empty.
    #[tracing::instrument(skip_all, name = "BatchedSumcheck::prove")]
    pub fn prove(
        instances: &mut [&mut dyn SumcheckInstanceProver],
        transcript: &mut Transcript,
    ) -> (BatchedSumcheckProof, Vec<Fr>) {
        assert!(!instances.is_empty(), "batched sumcheck over no instance");
        let input_claims: Vec<Fr> = instances.iter().map(|i| i.input_claim()).collect();
        let rounds: Vec<usize> = instances.iter().map(|i| i.num_rounds()).collect();
        let alphas = absorb_claims_and_draw(&input_claims, transcript);
        let n = *rounds.iter().max().expect("non-empty");

        // Per-instance running claims, scaled for the dummy rounds: c_i·2^{N−n_i}.
        let mut claims: Vec<Fr> = input_claims
            .iter()
            .zip(&rounds)
            .map(|(c, &ni)| *c * pow2(n - ni))
            .collect();
        let half = Fr::from(2u64)
            .inverse()
            .expect("2 is invertible in a field of odd characteristic");
        let mut round_polys = Vec::with_capacity(n);
        let mut challenges = Vec::with_capacity(n);
        for round in 0..n {
            let polys: Vec<UniPoly> = instances
                .iter_mut()
                .enumerate()
                .map(|(i, inst)| {
                    let offset = n - rounds[i];
                    if round < offset {
                        UniPoly::from_coeffs(vec![claims[i] * half])
                    } else {
                        let p = inst.compute_round_poly(round - offset, claims[i]);
                        // Not an assertion: malicious-prover tests drive dishonest instances
                        // through this driver and expect the verifier to reject.
                        if p.sum_over_boolean() != claims[i] || p.degree() > inst.degree() {
                            tracing::warn!(
                                instance = i,
                                round,
                                "round polynomial inconsistent with the claim or degree bound"
                            );
                        }
                        p
                    }
                })
                .collect();
            let mut combined = UniPoly::default();
            for (p, a) in polys.iter().zip(&alphas) {
                combined.add_scaled(p, *a);
            }
            let compressed = combined.compress();
            compressed.append_to_transcript(transcript);
            let r = transcript.challenge_scalar(ROUND_CHALLENGE);
            for (i, inst) in instances.iter_mut().enumerate() {
                claims[i] = polys[i].evaluate(&r);
                let offset = n - rounds[i];
                if round >= offset {
                    inst.bind(r, round - offset);
                }
            }
            round_polys.push(compressed);
            challenges.push(r);
        }
        let output_claims: Vec<Vec<Fr>> = instances.iter().map(|i| i.output_claims()).collect();
        for c in &output_claims {
            transcript.append_scalars(b"sumcheck_output_claims", c);
        }
        (
            BatchedSumcheckProof {
                sumcheck: SumcheckProof { round_polys },
                output_claims,
            },
            challenges,
        )
    }

    /// Verifies a batched proof against the instances' descriptions. Returns the challenges
    /// `r_0..r_{N−1}` in round order (instance `i` uses the last `n_i`).
    ///
    /// Checks, in order: the number of instances and of output claims, the number of rounds,
    /// each round's degree bound (the largest instance degree), and finally
    /// `c_N = Σ_i α_i·g_i(point_i)` with `g_i(point_i)` from
    /// [`SumcheckInstanceVerifier::expected_output_claim`].
    ///
    /// # Soundness
    /// On success the proof's `output_claims` are claims the caller must still discharge. The
    /// input claims must be bound to the transcript's earlier content (this function absorbs
    /// them, but it cannot know where they came from).
    #[tracing::instrument(skip_all, name = "BatchedSumcheck::verify")]
    pub fn verify(
        proof: &BatchedSumcheckProof,
        instances: &[&dyn SumcheckInstanceVerifier],
        transcript: &mut Transcript,
    ) -> Result<Vec<Fr>, SumcheckError> {
        if instances.is_empty() {
            return Err(SumcheckError::NoInstances);
        }
        if proof.output_claims.len() != instances.len() {
            return Err(SumcheckError::OutputClaimsMismatch {
                instance: usize::MAX,
                expected: instances.len(),
                got: proof.output_claims.len(),
            });
        }
        for (i, (inst, c)) in instances.iter().zip(&proof.output_claims).enumerate() {
            if c.len() != inst.num_output_claims() {
                return Err(SumcheckError::OutputClaimsMismatch {
                    instance: i,
                    expected: inst.num_output_claims(),
                    got: c.len(),
                });
            }
        }
        let input_claims: Vec<Fr> = instances.iter().map(|i| i.input_claim()).collect();
        let rounds: Vec<usize> = instances.iter().map(|i| i.num_rounds()).collect();
        let alphas = absorb_claims_and_draw(&input_claims, transcript);
        let n = *rounds.iter().max().expect("non-empty");
        let degree = instances
            .iter()
            .map(|i| i.degree())
            .max()
            .expect("non-empty");
        let claim: Fr = input_claims
            .iter()
            .zip(&rounds)
            .zip(&alphas)
            .map(|((c, &ni), a)| *a * c * pow2(n - ni))
            .sum();
        let (final_claim, challenges) = proof.sumcheck.verify(claim, n, degree, transcript)?;
        for c in &proof.output_claims {
            transcript.append_scalars(b"sumcheck_output_claims", c);
        }
        let expected: Fr = instances
            .iter()
            .zip(&proof.output_claims)
            .zip(&alphas)
            .zip(&rounds)
            .map(|(((inst, c), a), &ni)| {
                let point = inst
                    .binding_order()
                    .point_from_challenges(&challenges[n - ni..]);
                *a * inst.expected_output_claim(&point, c)
            })
            .sum();
        if expected != final_claim {
            return Err(SumcheckError::FinalCheckFailed);
        }
        Ok(challenges)
    }
}

/// Absorbs the input claims and draws the batching coefficients (`[1]` for one instance).
fn absorb_claims_and_draw(claims: &[Fr], transcript: &mut Transcript) -> Vec<Fr> {
    transcript.append_scalars(b"sumcheck_claims", claims);
    if claims.len() == 1 {
        vec![Fr::one()]
    } else {
        transcript.challenge_scalars(b"sumcheck_batching", claims.len())
    }
}

/// `2^k` as a field element.
fn pow2(k: usize) -> Fr {
    let mut x = Fr::one();
    for _ in 0..k {
        x = x + x;
    }
    x
}

impl CanonicalSerialize for BatchedSumcheckProof {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.sumcheck.serialize_with_mode(&mut writer, compress)?;
        self.output_claims
            .serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.sumcheck.serialized_size(compress) + self.output_claims.serialized_size(compress)
    }
}

impl Valid for BatchedSumcheckProof {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for BatchedSumcheckProof {
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let sumcheck = SumcheckProof::deserialize_with_mode(&mut reader, compress, validate)?;
        let n = u64::deserialize_with_mode(&mut reader, compress, validate)?;
        if n > MAX_INSTANCES as u64 {
            return Err(SerializationError::InvalidData);
        }
        let mut output_claims = Vec::with_capacity(n as usize);
        for _ in 0..n {
            output_claims.push(deserialize_bounded_vec(
                &mut reader,
                compress,
                validate,
                MAX_INSTANCES,
            )?);
        }
        Ok(BatchedSumcheckProof {
            sumcheck,
            output_claims,
        })
    }
}

crate::serde_via_canonical!(BatchedSumcheckProof);

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Zero;

    #[test]
    fn pow2_is_two_to_the_k() {
        assert_eq!(pow2(0), Fr::one());
        assert_eq!(pow2(10), Fr::from(1024u64));
        assert!(!pow2(300).is_zero());
    }
}
