//! Serialized forms: the [`Proof`] object, arkworks values inside serde ([`Ark`]), and the
//! versioned envelope (`magic ‖ kind ‖ version ‖ postcard body`) shared by proofs and keys.

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use jolt_core::field::Fr;
use jolt_core::pcs::dory::{DoryCommitment, DoryOpeningProof};
use jolt_core::sumcheck::BatchedSumcheckProof;
use serde::{Deserialize, Serialize};

/// Magic bytes of every Atlas artifact.
pub const MAGIC: [u8; 4] = *b"ATLS";
/// Version of the proof system and of its encodings; bumped on any incompatible change.
pub const FORMAT_VERSION: u16 = 2;

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

/// An arkworks value carried through serde as its compressed canonical encoding (validated on
/// decoding: field elements canonical, group elements on the curve and in the subgroup).
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
        let mut reader = bytes;
        let value = T::deserialize_compressed(&mut reader).map_err(serde::de::Error::custom)?;
        if !reader.is_empty() {
            return Err(serde::de::Error::custom(
                "trailing bytes in a canonical value",
            ));
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

/// A proof of one execution of a program (see [`crate::prove`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proof {
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

    /// Decodes (never panics; any malformed input is an error). Only the canonical encoding is
    /// accepted: a proof whose re-encoding differs from `bytes` is rejected, so a proof has
    /// exactly one byte string.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let proof: Self = decode(ArtifactKind::Proof, bytes)?;
        if proof.to_bytes() != bytes {
            return Err(DecodeError::Body("non-canonical encoding".into()));
        }
        Ok(proof)
    }
}
