//! The sumcheck proof object and the verifier of one (possibly batched) sumcheck's rounds.

use super::SumcheckError;
use crate::field::Fr;
use crate::poly::unipoly::deserialize_bounded_vec;
use crate::poly::CompressedUniPoly;
use crate::transcript::Transcript;
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use std::io::{Read, Write};

/// Largest number of rounds a deserialized proof may have (bounds allocations).
pub const MAX_ROUNDS: usize = 128;

/// Label of a round challenge.
pub(crate) const ROUND_CHALLENGE: &[u8] = b"sumcheck_challenge";

/// The round polynomials of a sumcheck, compressed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SumcheckProof {
    /// One compressed polynomial per round.
    pub round_polys: Vec<CompressedUniPoly>,
}

impl SumcheckProof {
    /// Replays the rounds against `claim`: for each round checks the degree bound, recovers the
    /// polynomial from the running claim, absorbs it, draws the challenge and evaluates.
    /// Returns the final claim `c_n` and the challenges `r_0..r_{n−1}` in round order.
    ///
    /// # Soundness
    /// This checks only the rounds. The caller must check the returned final claim against an
    /// oracle for the summand at the returned challenges (for a zero-round proof the claim is
    /// returned unchecked), and must have absorbed `claim` before calling.
    pub fn verify(
        &self,
        claim: Fr,
        num_rounds: usize,
        degree_bound: usize,
        transcript: &mut Transcript,
    ) -> Result<(Fr, Vec<Fr>), SumcheckError> {
        if self.round_polys.len() != num_rounds {
            return Err(SumcheckError::WrongNumberOfRounds {
                expected: num_rounds,
                got: self.round_polys.len(),
            });
        }
        let mut claim = claim;
        let mut challenges = Vec::with_capacity(num_rounds);
        for (round, poly) in self.round_polys.iter().enumerate() {
            if poly.coeffs_except_linear.is_empty() {
                return Err(SumcheckError::EmptyRoundPolynomial { round });
            }
            if poly.degree() > degree_bound {
                return Err(SumcheckError::DegreeBoundExceeded {
                    round,
                    degree: poly.degree(),
                    bound: degree_bound,
                });
            }
            poly.append_to_transcript(transcript);
            let r = transcript.challenge_scalar(ROUND_CHALLENGE);
            claim = poly.eval_from_claim(&claim, &r);
            challenges.push(r);
        }
        Ok((claim, challenges))
    }
}

impl CanonicalSerialize for SumcheckProof {
    fn serialize_with_mode<W: Write>(
        &self,
        writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.round_polys.serialize_with_mode(writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.round_polys.serialized_size(compress)
    }
}

impl Valid for SumcheckProof {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for SumcheckProof {
    fn deserialize_with_mode<R: Read>(
        reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(SumcheckProof {
            round_polys: deserialize_bounded_vec(reader, compress, validate, MAX_ROUNDS)?,
        })
    }
}

crate::serde_via_canonical!(SumcheckProof);
