//! The BN254 scalar field `Fr` and the small-integer helpers the prover leans on.
//!
//! * Conversions from signed machine integers (`i32`, `i64`, `i128`): a negative `k` maps to
//!   `p - |k|`.
//! * [`mul_u64`] / [`mul_i64`]: the product `f · k` of a field element and a 64-bit integer
//!   without a full Montgomery multiplication. Field elements are held in Montgomery form
//!   `ã = a·R mod p`; since `(a·k)·R = ã·k`, the Montgomery form of the product is just
//!   `ã·k mod p`. The 5-limb product `t = ã·k < 2^64·p` is reduced Barrett-style: the quotient
//!   `q = ⌊t/p⌋ < 2^64` is estimated from the top bits as `q̂ = ⌊(t ≫ 254)·μ / 2^66⌋` with
//!   `μ = ⌊2^320/p⌋`, which satisfies `q - 3 ≤ q̂ ≤ q`, so `t - q̂·p` needs at most three
//!   final subtractions. That is 10 word multiplications instead of the ~32 of a 4-limb
//!   Montgomery product.
//! * [`batch_inverse`]: Montgomery's trick — one inversion and `3(n-1)` multiplications for `n`
//!   inverses; zeros are left as zero.
//! * [`SmallScalar`]: the integer types witness values are stored in until they must become
//!   field elements (STYLE.md: "convert to field elements at the last moment").

use ark_ff::{BigInt, Field, PrimeField, Zero};
use rayon::prelude::*;

pub use ark_bn254::Fr;

/// Limbs of the modulus `p` (little-endian 64-bit words).
const P: [u64; 4] = <Fr as PrimeField>::MODULUS.0;
/// Low 64 bits of `μ = ⌊2^320 / p⌋`.
const MU_LO: u64 = 0x4a47_4626_23a0_4a7a;
/// High bits of `μ` (`μ` has 67 bits).
const MU_HI: u64 = 0x5;

/// `f · k` for a 64-bit unsigned `k`, without a Montgomery multiplication (see module docs).
#[inline]
pub fn mul_u64(f: &Fr, k: u64) -> Fr {
    let a = &f.0 .0;
    // t = ã·k, 5 limbs.
    let mut t = [0u64; 5];
    let mut carry = 0u128;
    for i in 0..4 {
        let v = (a[i] as u128) * (k as u128) + carry;
        t[i] = v as u64;
        carry = v >> 64;
    }
    t[4] = carry as u64;
    // x = t >> 254 < 2^64 because t < 2^64·p < 2^318.
    let x = (t[3] >> 62) | (t[4] << 2);
    let lo = (x as u128) * (MU_LO as u128);
    let hi = (x as u128) * (MU_HI as u128);
    let q = ((hi + (lo >> 64)) >> 2) as u64;
    // r = t - q·p; q ≤ ⌊t/p⌋ so no underflow, and r < 4p < 2^256.
    let mut qp = [0u64; 5];
    let mut carry = 0u128;
    for i in 0..4 {
        let v = (P[i] as u128) * (q as u128) + carry;
        qp[i] = v as u64;
        carry = v >> 64;
    }
    qp[4] = carry as u64;
    let mut r = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = t[i].overflowing_sub(qp[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        r[i] = d;
        borrow = b1 | b2;
    }
    debug_assert_eq!(
        t[4].wrapping_sub(qp[4]).wrapping_sub(borrow as u64),
        0,
        "Barrett estimate must leave a remainder below 2^256"
    );
    while geq(&r, &P) {
        sub_assign(&mut r, &P);
    }
    Fr::new_unchecked(BigInt::new(r))
}

/// `f · k` for a signed 64-bit `k` (see [`mul_u64`]).
#[inline]
pub fn mul_i64(f: &Fr, k: i64) -> Fr {
    let r = mul_u64(f, k.unsigned_abs());
    if k < 0 {
        -r
    } else {
        r
    }
}

/// `f · k` for a signed 128-bit `k`: one [`mul_u64`] when `|k| < 2^64`, else a field
/// multiplication.
#[inline]
pub fn mul_i128(f: &Fr, k: i128) -> Fr {
    let mag = k.unsigned_abs();
    let r = if mag <= u64::MAX as u128 {
        mul_u64(f, mag as u64)
    } else {
        *f * from_u128(mag)
    };
    if k < 0 {
        -r
    } else {
        r
    }
}

/// `a ≥ b` for 4-limb little-endian integers.
#[inline(always)]
fn geq(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a -= b` for 4-limb little-endian integers with `a ≥ b`.
#[inline(always)]
fn sub_assign(a: &mut [u64; 4], b: &[u64; 4]) {
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        a[i] = d;
        borrow = b1 | b2;
    }
}

/// The field element `k` for an unsigned 64-bit `k` (one [`mul_u64`] of the Montgomery one).
#[inline]
pub fn from_u64(k: u64) -> Fr {
    mul_u64(&Fr::ONE, k)
}

/// The field element `k` for a signed 32-bit `k` (`p - |k|` when negative).
#[inline]
pub fn from_i32(k: i32) -> Fr {
    from_i64(k as i64)
}

/// The field element `k` for a signed 64-bit `k` (`p - |k|` when negative).
#[inline]
pub fn from_i64(k: i64) -> Fr {
    mul_i64(&Fr::ONE, k)
}

/// The field element `k` for an unsigned 128-bit `k`.
#[inline]
pub fn from_u128(k: u128) -> Fr {
    let lo = from_u64(k as u64);
    let hi = (k >> 64) as u64;
    if hi == 0 {
        lo
    } else {
        // 2^64 times hi, plus lo.
        let two_64 = from_u64(u64::MAX) + Fr::ONE;
        mul_u64(&two_64, hi) + lo
    }
}

/// The field element `k` for a signed 128-bit `k` (`p - |k|` when negative).
#[inline]
pub fn from_i128(k: i128) -> Fr {
    let r = from_u128(k.unsigned_abs());
    if k < 0 {
        -r
    } else {
        r
    }
}

/// Integer types witness values are kept in before they become field elements.
///
/// A value is a sign and a magnitude below `2^64`; it stands for the field element
/// `±magnitude`. (The same shape as the commitment side's small-scalar trait, so that one
/// implementation can serve both.)
pub trait SmallScalar: Copy + Send + Sync + std::fmt::Debug + 'static {
    /// `(is_negative, |self|)`.
    fn sign_magnitude(self) -> (bool, u64);

    /// The field element this integer stands for (negative values map to `p - |k|`).
    #[inline]
    fn to_field(self) -> Fr {
        let (negative, magnitude) = self.sign_magnitude();
        let x = from_u64(magnitude);
        if negative {
            -x
        } else {
            x
        }
    }

    /// `f · self`, cheaper than a field multiplication (see [`mul_u64`]).
    #[inline]
    fn mul_field(self, f: &Fr) -> Fr {
        let (negative, magnitude) = self.sign_magnitude();
        let x = mul_u64(f, magnitude);
        if negative {
            -x
        } else {
            x
        }
    }
}

macro_rules! small_unsigned {
    ($($t:ty),*) => {$(
        impl SmallScalar for $t {
            #[inline]
            fn sign_magnitude(self) -> (bool, u64) {
                (false, self as u64)
            }
        }
    )*};
}
macro_rules! small_signed {
    ($($t:ty),*) => {$(
        impl SmallScalar for $t {
            #[inline]
            fn sign_magnitude(self) -> (bool, u64) {
                (self < 0, self.unsigned_abs() as u64)
            }
        }
    )*};
}
small_unsigned!(u8, u16, u32, u64);
small_signed!(i8, i16, i32, i64);

impl SmallScalar for bool {
    #[inline]
    fn sign_magnitude(self) -> (bool, u64) {
        (false, self as u64)
    }
}

/// Length below which [`batch_inverse`] stays on one thread.
const PAR_INVERSE_CHUNK: usize = 1 << 12;

/// Replaces every non-zero entry of `v` by its inverse (zeros stay zero), with Montgomery's
/// trick: one field inversion per chunk of 4096 entries, chunks in parallel.
pub fn batch_inverse(v: &mut [Fr]) {
    if v.len() <= PAR_INVERSE_CHUNK {
        batch_inverse_serial(v);
    } else {
        v.par_chunks_mut(PAR_INVERSE_CHUNK)
            .for_each(batch_inverse_serial);
    }
}

/// Single-threaded Montgomery trick.
fn batch_inverse_serial(v: &mut [Fr]) {
    // prefix[i] = product of the non-zero entries before i.
    let mut prefix = Vec::with_capacity(v.len());
    let mut acc = Fr::ONE;
    for x in v.iter() {
        prefix.push(acc);
        if !x.is_zero() {
            acc *= x;
        }
    }
    // acc is a product of non-zero elements, hence invertible.
    let mut inv = acc
        .inverse()
        .expect("a product of non-zero field elements is non-zero");
    for (x, p) in v.iter_mut().zip(prefix).rev() {
        if !x.is_zero() {
            let new_inv = inv * *x;
            *x = inv * p;
            inv = new_inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `a · b` for little-endian limb vectors.
    fn mul_limbs(a: &[u64], b: &[u64]) -> Vec<u64> {
        let mut out = vec![0u64; a.len() + b.len()];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &y) in b.iter().enumerate() {
                let v = (x as u128) * (y as u128) + out[i + j] as u128 + carry;
                out[i + j] = v as u64;
                carry = v >> 64;
            }
            out[i + b.len()] = carry as u64;
        }
        out
    }

    #[test]
    fn mu_constant_is_floor_of_two_320_over_p() {
        // μ·p < 2^320 ≤ (μ+1)·p, i.e. limb 5 of μ·p is 0 and limb 5 of (μ+1)·p is non-zero.
        let below = mul_limbs(&[MU_LO, MU_HI], &P);
        assert_eq!(below[5], 0);
        let above = mul_limbs(&[MU_LO + 1, MU_HI], &P);
        assert_ne!(above[5], 0);
    }

    #[test]
    fn mul_u64_matches_field_mul() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let edge_f = [
            Fr::zero(),
            Fr::ONE,
            -Fr::ONE,
            -Fr::from(2u64),
            Fr::from(u64::MAX),
        ];
        let edge_k = [
            0u64,
            1,
            2,
            3,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) - 1,
        ];
        for f in edge_f {
            for k in edge_k {
                assert_eq!(mul_u64(&f, k), f * Fr::from(k), "f={f} k={k}");
            }
        }
        for _ in 0..20_000 {
            let f = Fr::rand(&mut rng);
            let k: u64 = rand::Rng::gen(&mut rng);
            assert_eq!(mul_u64(&f, k), f * Fr::from(k));
            let ks: i64 = rand::Rng::gen(&mut rng);
            assert_eq!(mul_i64(&f, ks), f * Fr::from(ks));
        }
        for k in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
            assert_eq!(mul_i64(&-Fr::ONE, k), -Fr::from(k));
        }
    }

    #[test]
    fn signed_conversions() {
        assert_eq!(from_i32(-5) + Fr::from(5u64), Fr::zero());
        assert_eq!(from_i64(i64::MIN), -Fr::from(1u64 << 63));
        assert_eq!(from_i128(-1), -Fr::ONE);
        let big: i128 = (1i128 << 100) + 12345;
        let two_100 = Fr::from(2u64).pow([100u64]);
        assert_eq!(from_i128(big), two_100 + Fr::from(12345u64));
        assert_eq!(from_i128(-big), -(two_100 + Fr::from(12345u64)));
        assert_eq!(from_i128(i128::MIN), -Fr::from(2u64).pow([127u64]));
        assert_eq!(from_u64(u64::MAX), Fr::from(u64::MAX));
        let f = Fr::from(12345678901234567u64);
        for k in [
            0i128,
            1,
            -1,
            i64::MIN as i128,
            u64::MAX as i128,
            -(u64::MAX as i128),
            big,
            -big,
            i128::MIN,
            i128::MAX,
        ] {
            assert_eq!(mul_i128(&f, k), f * Fr::from(k), "k={k}");
        }
        for k in [-3i32, 0, 7, i32::MIN, i32::MAX] {
            assert_eq!(k.to_field(), Fr::from(k));
            assert_eq!(k.mul_field(&Fr::from(9u64)), Fr::from(k) * Fr::from(9u64));
        }
    }

    #[test]
    fn batch_inverse_with_zeros() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for n in [0usize, 1, 5, PAR_INVERSE_CHUNK + 3] {
            let mut v: Vec<Fr> = (0..n)
                .map(|i| {
                    if i % 7 == 3 {
                        Fr::zero()
                    } else {
                        Fr::rand(&mut rng)
                    }
                })
                .collect();
            let orig = v.clone();
            batch_inverse(&mut v);
            for (x, y) in orig.iter().zip(&v) {
                if x.is_zero() {
                    assert!(y.is_zero());
                } else {
                    assert_eq!(*x * y, Fr::ONE);
                }
            }
        }
    }
}
