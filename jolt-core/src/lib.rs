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
//! **Conventions.** Evaluation tables are little-endian (`point[j]` is bit `j` of the index),
//! see [`poly`]; sumcheck rounds bind low-to-high by default.

pub mod field;
pub mod openings;
pub mod pcs;
pub mod poly;
pub mod sumcheck;
pub mod transcript;

/// Implements `serde::Serialize` / `Deserialize` for a type through its ark-serialize
/// compressed encoding, carried as a byte string.
#[macro_export]
macro_rules! serde_via_canonical {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut bytes = Vec::new();
                ark_serialize::CanonicalSerialize::serialize_compressed(self, &mut bytes)
                    .map_err(serde::ser::Error::custom)?;
                serializer.serialize_bytes(&bytes)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let bytes: Vec<u8> = serde::Deserialize::deserialize(deserializer)?;
                ark_serialize::CanonicalDeserialize::deserialize_compressed(&bytes[..])
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}
