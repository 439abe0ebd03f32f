//! Property tests of the algebra layer: small-integer products, signed conversions,
//! interpolation and compression of round polynomials, eq-table identities and binding.

use ark_ff::{Field, One, PrimeField, Zero};
use jolt_core::field::{batch_inverse, from_i128, from_i64, mul_i128, mul_i64, mul_u64, Fr};
use jolt_core::poly::{
    BindingOrder, DenseMultilinear, EqPlusOnePolynomial, EqPolynomial, LtPolynomial, UniPoly,
};
use proptest::prelude::*;

/// A field element from 32 arbitrary bytes (reduced modulo p).
fn fr() -> impl Strategy<Value = Fr> {
    any::<[u8; 32]>().prop_map(|b| Fr::from_le_bytes_mod_order(&b))
}

fn frs(n: usize) -> impl Strategy<Value = Vec<Fr>> {
    proptest::collection::vec(fr(), n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn small_products_agree_with_field_mul(f in fr(), k in any::<u64>(), s in any::<i64>(), w in any::<i128>()) {
        prop_assert_eq!(mul_u64(&f, k), f * Fr::from(k));
        prop_assert_eq!(mul_i64(&f, s), f * Fr::from(s));
        prop_assert_eq!(mul_i128(&f, w), f * Fr::from(w));
        prop_assert_eq!(from_i64(s), Fr::from(s));
        prop_assert_eq!(from_i128(w), Fr::from(w));
    }

    #[test]
    fn canonical_form_is_reduced(f in fr(), k in any::<u64>()) {
        // The product must be the canonical representative (below p), or equality and
        // serialization would break.
        let x = mul_u64(&f, k);
        prop_assert!(x.into_bigint() < Fr::MODULUS);
    }

    #[test]
    fn batch_inverse_inverts(mut v in proptest::collection::vec(fr(), 0..40)) {
        let orig = v.clone();
        batch_inverse(&mut v);
        for (a, b) in orig.iter().zip(&v) {
            if a.is_zero() {
                prop_assert!(b.is_zero());
            } else {
                prop_assert_eq!(*a * b, Fr::one());
                prop_assert_eq!(Some(*b), a.inverse());
            }
        }
    }

    #[test]
    fn interpolation_and_compression_roundtrip(coeffs in proptest::collection::vec(fr(), 1..8), x in fr()) {
        let p = UniPoly::from_coeffs(coeffs);
        let d = p.coeffs().len() - 1;
        let evals: Vec<Fr> = (0..=d).map(|i| p.evaluate(&Fr::from(i as u64))).collect();
        prop_assert_eq!(UniPoly::from_evals(&evals).evaluate(&x), p.evaluate(&x));
        let claim = p.sum_over_boolean();
        prop_assert_eq!(p.compress().decompress(&claim).evaluate(&x), p.evaluate(&x));
    }

    #[test]
    fn eq_tables_sum_to_one_and_partition(r in frs(6)) {
        let eq = EqPolynomial::evals(&r);
        prop_assert_eq!(eq.iter().sum::<Fr>(), Fr::one());
        // Σ_y eq+1(r, y) = 1 − eq(r, 1…1) (the last point has no successor).
        let ones = vec![Fr::one(); r.len()];
        let succ: Fr = EqPlusOnePolynomial::evals(&r).iter().sum();
        prop_assert_eq!(succ, Fr::one() - EqPolynomial::evaluate(&r, &ones));
        let below = LtPolynomial::evals_below(&r);
        let above = LtPolynomial::evals_above(&r);
        for i in 0..eq.len() {
            prop_assert_eq!(below[i] + above[i] + eq[i], Fr::one());
        }
    }

    #[test]
    fn binding_commutes_with_evaluation(table in frs(32), r in frs(5)) {
        let p = DenseMultilinear::new(table);
        for order in [BindingOrder::LowToHigh, BindingOrder::HighToLow] {
            let mut q = p.clone();
            for c in &r {
                q.bind(*c, order);
            }
            prop_assert_eq!(q.final_value(), p.evaluate(&order.point_from_challenges(&r)));
        }
    }
}
