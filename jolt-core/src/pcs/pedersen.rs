//! Pedersen vector commitments on BN254 G1.
//!
//! With generators `G_0, …, G_{n−1}` and a blinding generator `H`, all hashed to the curve from a
//! public seed (so no discrete-log relation among them is known),
//!
//! ```text
//! Com(v; ρ) = Σ_i v_i·G_i + ρ·H.
//! ```
//!
//! The commitment is perfectly hiding (for uniform `ρ`), computationally binding under the
//! discrete-log assumption in G1, and additively homomorphic:
//! `Com(v; ρ) + Com(w; τ) = Com(v + w; ρ + τ)` and `k·Com(v; ρ) = Com(k·v; k·ρ)`. BlindFold
//! (ePrint 2025/2094) commits to sumcheck round polynomials this way, and the verifier's linear
//! checks on them become checks on commitments.
//!
//! Generator `i` depends only on `i`, so generators for `n` values are a prefix of those for more
//! values: a vector shorter than the generator list is committed as if zero-padded.

use super::generators::{hash_to_curve, hash_to_curve_vec};
use super::PcsError;
use crate::field::Fr;
use ark_bn254::{g1, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use std::ops::{Add, Mul, Neg, Sub};

/// Public seed of the Pedersen generators.
pub const PEDERSEN_SEED: &[u8] = b"atlas-pedersen-v1";

/// Generators `G_0, …, G_{n−1}` and the blinding generator `H`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PedersenGenerators {
    generators: Vec<G1Affine>,
    blinding: G1Affine,
}

impl PedersenGenerators {
    /// The first `n` generators derived from [`PEDERSEN_SEED`], and `H`.
    pub fn new(n: usize) -> Self {
        Self {
            generators: hash_to_curve_vec::<g1::Config>(PEDERSEN_SEED, b"G", n),
            blinding: hash_to_curve::<g1::Config>(PEDERSEN_SEED, b"H", 0),
        }
    }

    /// Number of value generators.
    pub fn len(&self) -> usize {
        self.generators.len()
    }

    /// Whether there are no value generators.
    pub fn is_empty(&self) -> bool {
        self.generators.is_empty()
    }

    /// The value generators `G_i`.
    pub fn generators(&self) -> &[G1Affine] {
        &self.generators
    }

    /// The blinding generator `H`.
    pub fn blinding_generator(&self) -> &G1Affine {
        &self.blinding
    }

    /// `Com(values; blinding)`; `values` may be shorter than the generator list.
    pub fn commit(&self, values: &[Fr], blinding: &Fr) -> Result<PedersenCommitment, PcsError> {
        if values.len() > self.generators.len() {
            return Err(PcsError::LengthMismatch {
                expected: self.generators.len(),
                actual: values.len(),
            });
        }
        let msm = G1Projective::msm_unchecked(&self.generators[..values.len()], values);
        Ok(PedersenCommitment(msm + self.blinding * blinding))
    }

    /// Checks that `(values, blinding)` opens `commitment`.
    pub fn verify_opening(
        &self,
        commitment: &PedersenCommitment,
        values: &[Fr],
        blinding: &Fr,
    ) -> Result<(), PcsError> {
        if self.commit(values, blinding)? == *commitment {
            Ok(())
        } else {
            Err(PcsError::VerificationFailed)
        }
    }
}

/// A Pedersen commitment, a point of G1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct PedersenCommitment(pub G1Projective);

impl Default for PedersenCommitment {
    fn default() -> Self {
        Self(G1Projective::zero())
    }
}

impl PedersenCommitment {
    /// The commitment to the zero vector with zero blinding (the group identity).
    pub fn zero() -> Self {
        Self::default()
    }

    /// `k · self`: a commitment to `k·v` with blinding `k·ρ`.
    pub fn scale(&self, k: &Fr) -> Self {
        Self(self.0 * k)
    }

    /// `Σ coeffs[i] · commitments[i]`.
    pub fn linear_combination(
        commitments: &[PedersenCommitment],
        coeffs: &[Fr],
    ) -> Result<Self, PcsError> {
        if commitments.len() != coeffs.len() {
            return Err(PcsError::LengthMismatch {
                expected: commitments.len(),
                actual: coeffs.len(),
            });
        }
        let points: Vec<G1Projective> = commitments.iter().map(|c| c.0).collect();
        let bases = G1Projective::normalize_batch(&points);
        Ok(Self(G1Projective::msm_unchecked(&bases, coeffs)))
    }

    /// The affine form, e.g. for hashing into a transcript.
    pub fn to_affine(&self) -> G1Affine {
        self.0.into_affine()
    }

    /// Whether this is the identity.
    pub fn is_zero(&self) -> bool {
        self.0.into_affine().is_zero()
    }
}

impl Add for PedersenCommitment {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0 + rhs.0)
    }
}

impl Sub for PedersenCommitment {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0 - rhs.0)
    }
}

impl Neg for PedersenCommitment {
    type Output = Self;
    fn neg(self) -> Self {
        Self(-self.0)
    }
}

impl Mul<Fr> for PedersenCommitment {
    type Output = Self;
    fn mul(self, k: Fr) -> Self {
        self.scale(&k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn random_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    #[test]
    fn opening_round_trip_and_binding() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let gens = PedersenGenerators::new(8);
        let v = random_vec(&mut rng, 8);
        let rho = Fr::rand(&mut rng);
        let c = gens.commit(&v, &rho).unwrap();
        gens.verify_opening(&c, &v, &rho).unwrap();

        let mut w = v.clone();
        w[3] += Fr::from(1u64);
        assert_eq!(
            gens.verify_opening(&c, &w, &rho),
            Err(PcsError::VerificationFailed)
        );
        assert!(gens
            .verify_opening(&c, &v, &(rho + Fr::from(1u64)))
            .is_err());
        // Permuting values changes the commitment (generators are distinct).
        let mut swapped = v.clone();
        swapped.swap(0, 1);
        assert!(gens.verify_opening(&c, &swapped, &rho).is_err());
    }

    #[test]
    fn hiding_blinding_changes_commitment() {
        let gens = PedersenGenerators::new(2);
        let v = [Fr::from(1u64), Fr::from(2u64)];
        let a = gens.commit(&v, &Fr::from(10u64)).unwrap();
        let b = gens.commit(&v, &Fr::from(11u64)).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn homomorphism() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let gens = PedersenGenerators::new(6);
        let (v, w) = (random_vec(&mut rng, 6), random_vec(&mut rng, 4));
        let (rho, tau, k) = (Fr::rand(&mut rng), Fr::rand(&mut rng), Fr::rand(&mut rng));
        let cv = gens.commit(&v, &rho).unwrap();
        let cw = gens.commit(&w, &tau).unwrap();

        let mut sum = v.clone();
        for (s, x) in sum.iter_mut().zip(&w) {
            *s += x;
        }
        gens.verify_opening(&(cv + cw), &sum, &(rho + tau)).unwrap();

        let scaled: Vec<Fr> = v.iter().map(|x| *x * k).collect();
        gens.verify_opening(&(cv * k), &scaled, &(rho * k)).unwrap();

        let combo =
            PedersenCommitment::linear_combination(&[cv, cw], &[k, Fr::from(3u64)]).unwrap();
        let expected = cv.scale(&k) + cw.scale(&Fr::from(3u64));
        assert_eq!(combo, expected);
        assert_eq!(cv - cv, PedersenCommitment::zero());
        assert!((cv + (-cv)).is_zero());
    }

    #[test]
    fn prefix_generators_and_length_check() {
        let small = PedersenGenerators::new(3);
        let large = PedersenGenerators::new(5);
        assert_eq!(small.generators(), &large.generators()[..3]);
        let v = [Fr::from(5u64), Fr::from(6u64)];
        assert_eq!(
            small.commit(&v, &Fr::from(1u64)).unwrap(),
            large.commit(&v, &Fr::from(1u64)).unwrap()
        );
        assert!(small.commit(&[Fr::from(1u64); 4], &Fr::from(0u64)).is_err());
    }

    #[test]
    fn serialization_round_trip() {
        let gens = PedersenGenerators::new(2);
        let c = gens.commit(&[Fr::from(3u64)], &Fr::from(4u64)).unwrap();
        let mut bytes = Vec::new();
        c.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(
            PedersenCommitment::deserialize_compressed(&bytes[..]).unwrap(),
            c
        );
        assert!(PedersenCommitment::deserialize_compressed(&bytes[..5]).is_err());
    }
}
