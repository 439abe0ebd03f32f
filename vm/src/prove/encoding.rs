//! Serialized forms: the [`Proof`] object, arkworks values inside serde ([`Ark`]), and the
//! versioned envelope (`magic ‖ kind ‖ version ‖ postcard body`) shared by proofs and keys.

use std::cell::RefCell;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use jolt_core::field::Fr;
use jolt_core::pcs::dory::{DoryCommitment, DoryOpeningProof};
use jolt_core::sumcheck::BatchedSumcheckProof;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Magic bytes of every Atlas artifact.
pub const MAGIC: [u8; 4] = *b"ATLS";
/// Version of the proof system and of its encodings; bumped on any incompatible change (3: the
/// PCS row width is chosen from all committed tables, so a key records a wider setup; 4: a
/// proof records the key widths of its lookup instances and its unclamped smooth lookups).
pub const FORMAT_VERSION: u16 = 4;

/// What an encoded artifact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ArtifactKind {
    /// A [`Proof`].
    Proof = 1,
    /// A [`crate::prove::ProvingKey`].
    ProvingKey = 2,
    /// A [`crate::prove::VerifyingKey`].
    VerifyingKey = 3,
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Too short or not starting with [`MAGIC`].
    #[error("not an Atlas artifact (bad magic)")]
    BadMagic,
    /// Another kind of artifact.
    #[error("expected a {expected:?}, found artifact kind {found}")]
    WrongKind {
        /// The kind asked for.
        expected: ArtifactKind,
        /// The kind byte found.
        found: u8,
    },
    /// Another format version.
    #[error("artifact format version {found} is not supported (this build reads {supported})")]
    WrongVersion {
        /// The version found.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The body does not parse.
    #[error("malformed artifact body: {0}")]
    Body(String),
}

/// `MAGIC ‖ kind ‖ version (LE) ‖ postcard(value)`.
pub fn encode<T: Serialize>(kind: ArtifactKind, value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.push(kind as u8);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend(postcard::to_allocvec(value).expect("serializing to memory cannot fail"));
    out
}

/// Checks the envelope and decodes the body; trailing bytes are an error.
pub fn decode<T: for<'de> Deserialize<'de>>(
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    if bytes.len() < 7 || bytes[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes[4] != kind as u8 {
        return Err(DecodeError::WrongKind {
            expected: kind,
            found: bytes[4],
        });
    }
    let version = u16::from_le_bytes([bytes[5], bytes[6]]);
    if version != FORMAT_VERSION {
        return Err(DecodeError::WrongVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let (value, rest) =
        postcard::take_from_bytes(&bytes[7..]).map_err(|e| DecodeError::Body(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DecodeError::Body(format!("{} trailing bytes", rest.len())));
    }
    Ok(value)
}

/// Decodes like [`decode`], validating the arkworks values afterwards, in parallel: while the
/// body is parsed, [`Ark`]'s deserializer reads each value unchecked (its encoding parsed, field
/// elements canonical) and records its encoding; every recorded encoding is then decoded again
/// with validation (group elements on the curve and in their subgroups). Any failure is an
/// error, as with [`decode`].
pub(crate) fn decode_validated_in_parallel<T: for<'de> Deserialize<'de>>(
    kind: ArtifactKind,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    /// Restores the previous deferral state, also when unwinding.
    struct Restore(Option<Vec<DeferredCheck>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEFERRED.with(|d| *d.borrow_mut() = self.0.take());
        }
    }
    let restore = Restore(DEFERRED.with(|d| d.borrow_mut().replace(Vec::new())));
    let value = decode(kind, bytes);
    let checks = DEFERRED.with(|d| d.borrow_mut().take()).unwrap_or_default();
    drop(restore);
    let value = value?;
    checks
        .par_iter()
        .try_for_each(|c| (c.check)(&c.bytes))
        .map_err(|e| DecodeError::Body(e.to_string()))?;
    Ok(value)
}

/// A canonical encoding whose validation [`Ark`]'s deserializer deferred, and its checked
/// decoder.
struct DeferredCheck {
    bytes: Vec<u8>,
    check: fn(&[u8]) -> Result<(), SerializationError>,
}

thread_local! {
    /// While [`decode_validated_in_parallel`] parses a body on this thread: the validations
    /// deferred so far.
    static DEFERRED: RefCell<Option<Vec<DeferredCheck>>> = const { RefCell::new(None) };
}

/// Decodes `bytes` as a `T` with validation, discarding the value.
fn check_encoding<T: CanonicalDeserialize>(bytes: &[u8]) -> Result<(), SerializationError> {
    T::deserialize_compressed(bytes).map(|_| ())
}

/// An arkworks value carried through serde as its compressed canonical encoding (validated on
/// decoding: field elements canonical, group elements on the curve and in the subgroup; inside
/// `decode_validated_in_parallel`, the validation is deferred to its parallel pass).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ark<T>(pub T);

impl<T: CanonicalSerialize> Serialize for Ark<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::new();
        self.0
            .serialize_compressed(&mut bytes)
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_bytes(&bytes)
    }
}

impl<'de, T: CanonicalDeserialize> Deserialize<'de> for Ark<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes: &[u8] = serde::Deserialize::deserialize(deserializer)?;
        let deferred = DEFERRED.with(|d| d.borrow().is_some());
        let mut reader = bytes;
        let value = if deferred {
            T::deserialize_compressed_unchecked(&mut reader)
        } else {
            T::deserialize_compressed(&mut reader)
        }
        .map_err(serde::de::Error::custom)?;
        if !reader.is_empty() {
            return Err(serde::de::Error::custom(
                "trailing bytes in a canonical value",
            ));
        }
        if deferred {
            DEFERRED.with(|d| {
                if let Some(checks) = d.borrow_mut().as_mut() {
                    checks.push(DeferredCheck {
                        bytes: bytes.to_vec(),
                        check: check_encoding::<T>,
                    });
                }
            });
        }
        Ok(Ark(value))
    }
}

/// The lookup part of a step: the claim on the operands at the read point. The read itself is
/// proven at the end, with every read of the same table ([`LookupProof`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShoutPart {
    /// `raf(r) = Σ_j eq(r, j)·Op(k_j)` over the use's lookups.
    pub raf: Ark<Fr>,
}

/// The Shout proof of one shared lookup instance: the RAF claim and the batched
/// read-checking / booleanity / Hamming sumcheck (kept apart from
/// `lookups::shout::ShoutProof` so that every length is bounded by the serde layer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupProof {
    /// The combined `raf` of the instance.
    pub raf_claims: Vec<Ark<Fr>>,
    /// The batched sumcheck.
    pub sumcheck: Ark<BatchedSumcheckProof>,
}

/// What the prover sends for one step of the claim flow (a claim merge or one instruction's
/// relation). Each relation fixes how many of each it expects; the verifier checks the counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProof {
    /// Claimed evaluations sent in the clear (absorbed before the step's challenges).
    pub values: Vec<Ark<Fr>>,
    /// Sumcheck proofs, in the relation's order.
    pub sumchecks: Vec<Ark<BatchedSumcheckProof>>,
    /// The lookup argument, for lookups.
    pub shout: Option<ShoutPart>,
}

/// The final opening: the sumcheck that moves every opening claim to one point, and one Dory
/// proof of the random combination there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpeningProof {
    /// The reduction sumcheck (one instance per opening claim, bound high-to-low).
    pub reduction: Ark<BatchedSumcheckProof>,
    /// The Dory evaluation proof.
    pub dory: Ark<DoryOpeningProof>,
}

/// A proof of one execution of a program (see [`mod@crate::prove`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    /// The smooth lookups proven without their clamp (increasing instruction indices): their
    /// inputs all lie in their tables (see `Plan::with_unclamped` in [`mod@crate::prove`]).
    pub unclamped_lookups: Vec<u32>,
    /// The key width of every shared lookup instance's table, in plan order: the program's
    /// width, or a narrower one its keys fit (`lookup::Plan::narrowed`; see [`mod@crate::prove`],
    /// step 2).
    pub lookup_key_bits: Vec<u8>,
    /// Commitments to the rescale remainders, one per `Rescale` with `shift ≥ 1`, in program
    /// order.
    pub advice_commitments: Vec<Ark<DoryCommitment>>,
    /// Commitments to the one-hot address chunks of every shared lookup instance (one per
    /// distinct table: range checks, activation tables), per chunk.
    pub lookup_commitments: Vec<Vec<Ark<DoryCommitment>>>,
    /// The claim flow's steps, in the order the verifier replays them.
    pub steps: Vec<StepProof>,
    /// The Shout proof of every shared lookup instance, after the claim flow.
    pub lookups: Vec<LookupProof>,
    /// The final opening (absent when nothing is committed).
    pub opening: Option<OpeningProof>,
}

impl Proof {
    /// The versioned encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(ArtifactKind::Proof, self)
    }

    /// Decodes (never panics; any malformed input is an error), validating the group elements
    /// in parallel (`decode_validated_in_parallel`). Only the canonical encoding is accepted:
    /// a proof whose re-encoding differs from `bytes` is rejected, so a proof has exactly one
    /// byte string.
    #[tracing::instrument(skip_all, name = "Proof::from_bytes", fields(len = bytes.len()))]
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let proof: Self = decode_validated_in_parallel(ArtifactKind::Proof, bytes)?;
        if proof.to_bytes() != bytes {
            return Err(DecodeError::Body("non-canonical encoding".into()));
        }
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jolt_core::pcs::{CommitmentScheme, DoryScheme};

    fn proof_with(commitments: Vec<DoryCommitment>) -> Proof {
        Proof {
            unclamped_lookups: Vec::new(),
            lookup_key_bits: Vec::new(),
            advice_commitments: commitments.into_iter().map(Ark).collect(),
            lookup_commitments: Vec::new(),
            steps: Vec::new(),
            lookups: Vec::new(),
            opening: None,
        }
    }

    #[test]
    fn decoding_validates_every_commitment() {
        let (pk, _) = DoryScheme::setup(4);
        let commitments: Vec<DoryCommitment> = (0..8i32)
            .map(|i| DoryScheme::commit_small(&pk, &[i, 1, 2, 3]).unwrap().0)
            .collect();
        let proof = proof_with(commitments.clone());
        assert_eq!(Proof::from_bytes(&proof.to_bytes()).unwrap(), proof);

        // An element of F_p¹² outside GT, in the middle of the list.
        let mut bytes = Vec::new();
        commitments[3].serialize_compressed(&mut bytes).unwrap();
        bytes[0] ^= 1;
        let outside = DoryCommitment::deserialize_compressed_unchecked(&bytes[..]).unwrap();
        assert!(DoryCommitment::deserialize_compressed(&bytes[..]).is_err());
        let mut bad = commitments;
        bad[5] = outside;
        let encoded = proof_with(bad).to_bytes();
        assert!(matches!(
            Proof::from_bytes(&encoded),
            Err(DecodeError::Body(_))
        ));
        // Outside the parallel decoder, `Ark` validates as it reads.
        assert!(decode::<Proof>(ArtifactKind::Proof, &encoded).is_err());
        assert!(DEFERRED.with(|d| d.borrow().is_none()));
        // Truncations are errors, never panics, and leave no deferred state behind.
        let good = proof.to_bytes();
        for len in 0..good.len() {
            assert!(Proof::from_bytes(&good[..len]).is_err());
        }
        assert!(DEFERRED.with(|d| d.borrow().is_none()));
    }
}
