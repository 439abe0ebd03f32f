//! Univariate round polynomials.
//!
//! A sumcheck round polynomial `p(X) = c_0 + c_1·X + … + c_d·X^d` must satisfy
//! `p(0) + p(1) = claim`, i.e. `2c_0 + c_1 + c_2 + … + c_d = claim`. The prover therefore sends
//! it *compressed*, without `c_1`, and the verifier recovers `c_1 = claim − 2c_0 − c_2 − … − c_d`
//! (Thaler, *Proofs, Arguments and Zero-Knowledge*, §4.1; the compression is Jolt's). The round
//! check `p(0) + p(1) = claim` then holds by construction, and a wrong polynomial is caught by
//! the next round's claim or the final oracle check.

use crate::field::Fr;
use crate::transcript::Transcript;
use ark_ff::{Field, One, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use std::io::{Read, Write};

/// Largest number of coefficients a deserialized [`CompressedUniPoly`] may have: bounds the
/// allocation a malformed proof can cause (round polynomials have degree ≤ ~10 in practice).
pub const MAX_COMPRESSED_COEFFS: usize = 64;

/// A univariate polynomial by its coefficients, constant term first.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UniPoly {
    coeffs: Vec<Fr>,
}

impl UniPoly {
    /// The polynomial `Σ coeffs[i]·X^i`.
    pub fn from_coeffs(coeffs: Vec<Fr>) -> Self {
        UniPoly { coeffs }
    }

    /// The unique polynomial of degree ≤ `d` with `p(i) = evals[i]` for `i = 0..=d`
    /// (`d = evals.len() − 1`), by Lagrange interpolation in `O(d²)`.
    pub fn from_evals(evals: &[Fr]) -> Self {
        let n = evals.len();
        if n == 0 {
            return UniPoly::default();
        }
        // full(X) = Π_{j=0}^{d} (X − j), coefficients low first.
        let mut full = vec![Fr::zero(); n + 1];
        full[0] = Fr::one();
        for j in 0..n {
            let fj = Fr::from(j as u64);
            for k in (0..=j + 1).rev() {
                let prev = if k > 0 { full[k - 1] } else { Fr::zero() };
                full[k] = prev - fj * full[k];
            }
        }
        let mut coeffs = vec![Fr::zero(); n];
        for (i, &yi) in evals.iter().enumerate() {
            if yi.is_zero() {
                continue;
            }
            // Π_{j≠i} (i − j) = i! · (−1)^{d−i} · (d − i)!.
            let mut denom = Fr::one();
            for j in 0..n {
                if j != i {
                    denom *= Fr::from(i as i64 - j as i64);
                }
            }
            let scale = yi
                * denom
                    .inverse()
                    .expect("distinct interpolation nodes give a non-zero denominator");
            // quotient = full / (X − i), by synthetic division from the top.
            let fi = Fr::from(i as u64);
            let mut carry = Fr::zero();
            for k in (0..n).rev() {
                carry = full[k + 1] + fi * carry;
                coeffs[k] += scale * carry;
            }
        }
        UniPoly { coeffs }
    }

    /// The polynomial of degree ≤ `d` with `p(0) = evals[0]`, `p(1) = claim − p(0)` and
    /// `p(k) = evals[k − 1]` for `k = 2..=d`: the usual way a prover that computed its round
    /// polynomial at `0, 2, 3, …, d` completes it.
    pub fn from_evals_and_claim(claim: Fr, evals_without_one: &[Fr]) -> Self {
        let mut all = Vec::with_capacity(evals_without_one.len() + 1);
        all.push(evals_without_one[0]);
        all.push(claim - evals_without_one[0]);
        all.extend_from_slice(&evals_without_one[1..]);
        Self::from_evals(&all)
    }

    /// The coefficients, constant term first.
    pub fn coeffs(&self) -> &[Fr] {
        &self.coeffs
    }

    /// The degree (of the coefficient vector, ignoring trailing zeros; 0 for the zero poly).
    pub fn degree(&self) -> usize {
        self.coeffs.iter().rposition(|c| !c.is_zero()).unwrap_or(0)
    }

    /// `p(x)` by Horner's rule.
    pub fn evaluate(&self, x: &Fr) -> Fr {
        self.coeffs
            .iter()
            .rev()
            .fold(Fr::zero(), |acc, c| acc * x + c)
    }

    /// `p(0) + p(1)`.
    pub fn sum_over_boolean(&self) -> Fr {
        let all: Fr = self.coeffs.iter().sum();
        all + self.coeffs.first().copied().unwrap_or_default()
    }

    /// `c · p`.
    pub fn scale(&self, c: Fr) -> UniPoly {
        UniPoly::from_coeffs(self.coeffs.iter().map(|x| *x * c).collect())
    }

    /// `p · q`.
    pub fn mul(&self, other: &UniPoly) -> UniPoly {
        if self.coeffs.is_empty() || other.coeffs.is_empty() {
            return UniPoly::default();
        }
        let mut out = vec![Fr::zero(); self.coeffs.len() + other.coeffs.len() - 1];
        for (i, a) in self.coeffs.iter().enumerate() {
            for (j, b) in other.coeffs.iter().enumerate() {
                out[i + j] += *a * b;
            }
        }
        UniPoly::from_coeffs(out)
    }

    /// `p + c·q` in place (the longer length wins).
    pub fn add_scaled(&mut self, other: &UniPoly, c: Fr) {
        if other.coeffs.len() > self.coeffs.len() {
            self.coeffs.resize(other.coeffs.len(), Fr::zero());
        }
        for (a, b) in self.coeffs.iter_mut().zip(&other.coeffs) {
            *a += c * b;
        }
    }

    /// The compressed form: every coefficient but the linear one, up to the degree. A
    /// polynomial of degree 0 is treated as degree 1, so the compressed form is never empty.
    pub fn compress(&self) -> CompressedUniPoly {
        // Trailing zero coefficients are dropped, so the form encodes the true degree.
        let len = self.degree() + 1;
        let mut coeffs_except_linear = Vec::with_capacity(len.max(2) - 1);
        coeffs_except_linear.push(self.coeffs.first().copied().unwrap_or_default());
        if len > 2 {
            coeffs_except_linear.extend_from_slice(&self.coeffs[2..len]);
        }
        CompressedUniPoly {
            coeffs_except_linear,
        }
    }
}

/// A round polynomial without its linear coefficient (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CompressedUniPoly {
    /// `[c_0, c_2, c_3, …, c_d]`.
    pub coeffs_except_linear: Vec<Fr>,
}

impl CompressedUniPoly {
    /// The degree bound this form encodes: `d` for `[c_0, c_2, …, c_d]`, i.e. the number of
    /// stored coefficients (an empty form is malformed and has degree 0).
    pub fn degree(&self) -> usize {
        self.coeffs_except_linear.len()
    }

    /// The full polynomial, with `c_1 = claim − 2c_0 − c_2 − … − c_d`.
    pub fn decompress(&self, claim: &Fr) -> UniPoly {
        let Some((&c0, rest)) = self.coeffs_except_linear.split_first() else {
            return UniPoly::from_coeffs(vec![Fr::zero(), *claim]);
        };
        let mut linear = *claim - c0 - c0;
        for c in rest {
            linear -= c;
        }
        let mut coeffs = Vec::with_capacity(rest.len() + 2);
        coeffs.push(c0);
        coeffs.push(linear);
        coeffs.extend_from_slice(rest);
        UniPoly::from_coeffs(coeffs)
    }

    /// `p(r)` for the decompressed `p`, without materialising it.
    pub fn eval_from_claim(&self, claim: &Fr, r: &Fr) -> Fr {
        self.decompress(claim).evaluate(r)
    }

    /// Absorbs the stored coefficients into `transcript`.
    pub fn append_to_transcript(&self, transcript: &mut Transcript) {
        transcript.append_scalars(b"round_poly", &self.coeffs_except_linear);
    }
}

impl CanonicalSerialize for CompressedUniPoly {
    fn serialize_with_mode<W: Write>(
        &self,
        writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.coeffs_except_linear
            .serialize_with_mode(writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.coeffs_except_linear.serialized_size(compress)
    }
}

impl Valid for CompressedUniPoly {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for CompressedUniPoly {
    fn deserialize_with_mode<R: Read>(
        reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(CompressedUniPoly {
            coeffs_except_linear: deserialize_bounded_vec(
                reader,
                compress,
                validate,
                MAX_COMPRESSED_COEFFS,
            )?,
        })
    }
}

/// Reads a vector in ark-serialize's layout (`u64` length, then the items), refusing lengths
/// above `max` before allocating, so that a malformed length cannot exhaust memory.
pub(crate) fn deserialize_bounded_vec<T: CanonicalDeserialize, R: Read>(
    mut reader: R,
    compress: Compress,
    validate: Validate,
    max: usize,
) -> Result<Vec<T>, SerializationError> {
    let len = u64::deserialize_with_mode(&mut reader, compress, validate)?;
    if len > max as u64 {
        return Err(SerializationError::InvalidData);
    }
    let mut out = Vec::with_capacity(len as usize);
    for _ in 0..len {
        out.push(T::deserialize_with_mode(&mut reader, compress, validate)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn interpolation_roundtrip() {
        let mut rng = ChaCha20Rng::seed_from_u64(40);
        for d in 0..8usize {
            let p = UniPoly::from_coeffs((0..=d).map(|_| Fr::rand(&mut rng)).collect());
            let evals: Vec<Fr> = (0..=d).map(|i| p.evaluate(&Fr::from(i as u64))).collect();
            assert_eq!(UniPoly::from_evals(&evals), p, "degree {d}");
            if d >= 1 {
                let claim = p.sum_over_boolean();
                let mut without_one = vec![evals[0]];
                without_one.extend_from_slice(&evals[2..]);
                assert_eq!(UniPoly::from_evals_and_claim(claim, &without_one), p);
            }
        }
    }

    #[test]
    fn compression_roundtrip_and_mul() {
        let mut rng = ChaCha20Rng::seed_from_u64(41);
        for d in 0..6usize {
            let p = UniPoly::from_coeffs((0..=d).map(|_| Fr::rand(&mut rng)).collect());
            let claim = p.evaluate(&Fr::zero()) + p.evaluate(&Fr::one());
            assert_eq!(claim, p.sum_over_boolean());
            let c = p.compress();
            assert_eq!(c.degree(), d.max(1));
            let back = c.decompress(&claim);
            let x = Fr::rand(&mut rng);
            assert_eq!(back.evaluate(&x), p.evaluate(&x));
            // A wrong claim changes the recovered polynomial.
            assert_ne!(
                c.decompress(&(claim + Fr::one())).evaluate(&x),
                p.evaluate(&x)
            );
            let q = UniPoly::from_coeffs(vec![Fr::rand(&mut rng), Fr::rand(&mut rng)]);
            assert_eq!(p.mul(&q).evaluate(&x), p.evaluate(&x) * q.evaluate(&x));
            let mut bytes = Vec::new();
            c.serialize_compressed(&mut bytes).unwrap();
            assert_eq!(
                CompressedUniPoly::deserialize_compressed(&bytes[..]).unwrap(),
                c
            );
        }
    }

    #[test]
    fn huge_length_is_rejected_without_allocating() {
        let mut bytes = Vec::new();
        u64::MAX.serialize_compressed(&mut bytes).unwrap();
        assert!(CompressedUniPoly::deserialize_compressed(&bytes[..]).is_err());
    }
}
