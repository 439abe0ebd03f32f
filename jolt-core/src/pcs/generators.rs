//! Nothing-up-my-sleeve group elements.
//!
//! The generator `(domain, label, index)` is found by try-and-increment: for `ctr = 0, 1, ...`
//! hash `(domain, label, index, ctr)` with Blake2b-512 into a base-field element `x` (one hash per
//! base-prime-field coordinate, reduced modulo `q`) and a sign bit; the first `x` that is the
//! abscissa of a curve point gives that point, multiplied by the cofactor into the prime-order
//! subgroup. Nobody knows a discrete-log relation between such points, which is what binding of
//! Pedersen and Dory commitments rests on. Each generator depends only on its own index, so a
//! larger setup extends a smaller one.

use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{Field, PrimeField};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

/// Blake2b-512 of the length-prefixed parts.
fn hash_parts(parts: &[&[u8]]) -> [u8; 64] {
    let mut hasher = Blake2b512::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The generator `(domain, label, index)` of the prime-order subgroup of the curve `P`.
pub(crate) fn hash_to_curve<P: SWCurveConfig>(
    domain: &[u8],
    label: &[u8],
    index: u64,
) -> Affine<P> {
    let degree = P::BaseField::extension_degree();
    for ctr in 0u64.. {
        let coords = (0..degree).map(|c| {
            let digest = hash_parts(&[
                domain,
                label,
                &index.to_le_bytes(),
                &ctr.to_le_bytes(),
                &c.to_le_bytes(),
            ]);
            <P::BaseField as Field>::BasePrimeField::from_le_bytes_mod_order(&digest)
        });
        let Some(x) = P::BaseField::from_base_prime_field_elems(coords) else {
            unreachable!("exactly extension_degree() coordinates were given")
        };
        let sign = hash_parts(&[
            domain,
            label,
            &index.to_le_bytes(),
            &ctr.to_le_bytes(),
            b"sign",
        ]);
        if let Some(point) = Affine::<P>::get_point_from_x_unchecked(x, sign[0] & 1 == 1) {
            let point = point.clear_cofactor();
            if !point.is_zero() {
                return point;
            }
        }
    }
    unreachable!("about half of all abscissas lie on the curve")
}

/// Generators `(domain, label, i)` for `i` in `0..n`, computed in parallel.
pub(crate) fn hash_to_curve_vec<P: SWCurveConfig>(
    domain: &[u8],
    label: &[u8],
    n: usize,
) -> Vec<Affine<P>> {
    (0..n as u64)
        .into_par_iter()
        .map(|i| hash_to_curve::<P>(domain, label, i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{g1, g2};

    #[test]
    fn generators_are_in_the_subgroup_and_distinct() {
        let g1s = hash_to_curve_vec::<g1::Config>(b"test", b"g1", 8);
        let g2s = hash_to_curve_vec::<g2::Config>(b"test", b"g2", 4);
        for p in &g1s {
            assert!(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve());
        }
        for p in &g2s {
            assert!(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve());
        }
        for i in 0..g1s.len() {
            for j in 0..i {
                assert_ne!(g1s[i], g1s[j]);
            }
        }
        // Prefix-consistent and domain-separated.
        assert_eq!(hash_to_curve::<g1::Config>(b"test", b"g1", 5), g1s[5]);
        assert_ne!(hash_to_curve::<g1::Config>(b"other", b"g1", 5), g1s[5]);
    }
}
