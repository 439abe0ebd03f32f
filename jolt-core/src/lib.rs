//! # jolt-core
//!
//! Atlas's proving core, written in-house (a16z's jolt-core is not on crates.io).
//!
//! | module | contents |
//! |---|---|
//! | [`field`] | BN254 `Fr`, small-integer conversions and products, batch inversion |
//! | [`poly`] | multilinear polynomials (dense, small-integer), eq / eq+1 / lt tables, split eq, univariate round polynomials |
//! | [`transcript`] | the Blake2b Fiat–Shamir [`Transcript`](transcript::Transcript), with a lock-step debug mode |
//! | [`sumcheck`] | sumcheck instance traits, the batched driver, the eq-product (Gruen) kernel |
//! | [`openings`] | the opening accumulator and the reduction of many claims to one opening |
//! | [`pcs`] | the commitment-scheme trait, Dory, Pedersen |
//!
//! Main types: [`field::Fr`], [`poly::DenseMultilinear`], [`poly::CompactMultilinear`],
//! [`poly::EqPolynomial`], [`poly::SplitEq`], [`poly::UniPoly`], [`transcript::Transcript`],
//! [`sumcheck::SumcheckInstanceProver`], [`sumcheck::SumcheckInstanceVerifier`],
//! [`sumcheck::BatchedSumcheck`], [`sumcheck::EqProductProver`],
//! [`openings::OpeningAccumulator`], [`pcs::CommitmentScheme`].
//!
//! **Conventions.** Evaluation tables are little-endian (`point[j]` is bit `j` of the index),
//! see [`poly`]; sumcheck rounds bind low-to-high by default.

pub mod field;
pub mod openings;
pub mod pcs;
pub mod poly;
pub mod sumcheck;
pub mod transcript;

/// Re-exports for [`serde_via_canonical!`], so that callers need no direct dependency.
#[doc(hidden)]
pub mod __private {
    pub use ark_serialize;
    pub use serde;
}

/// Implements `serde::Serialize` / `Deserialize` for a type through its ark-serialize
/// compressed encoding, carried as a byte string (usable from any crate).
#[macro_export]
macro_rules! serde_via_canonical {
    ($t:ty) => {
        impl $crate::__private::serde::Serialize for $t {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let mut bytes = Vec::new();
                $crate::__private::ark_serialize::CanonicalSerialize::serialize_compressed(
                    self, &mut bytes,
                )
                .map_err(<S::Error as $crate::__private::serde::ser::Error>::custom)?;
                serializer.serialize_bytes(&bytes)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let bytes: Vec<u8> =
                    $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                $crate::__private::ark_serialize::CanonicalDeserialize::deserialize_compressed(
                    &bytes[..],
                )
                .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}
