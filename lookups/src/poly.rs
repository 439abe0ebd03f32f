//! Multilinear helpers on top of `jolt_core::poly`, little-endian as everywhere in Atlas:
//! evaluation index `i = Σ_j x_j·2^j` and `point[j]` is the variable `x_j`.

use ark_ff::{One, Zero};
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::EqPolynomial;
use rayon::prelude::*;

/// Length from which the folding loops run in parallel.
const PAR_THRESHOLD: usize = 1 << 12;

/// `eq(r, i)` for every `i < 2^r.len()`.
pub fn eq_table(r: &[Fr]) -> Vec<Fr> {
    EqPolynomial::evals(r)
}

/// `eq(r, bits(k))` for an integer `k` with `r.len()` bits.
pub fn eq_at_index(r: &[Fr], k: u64) -> Fr {
    r.iter()
        .enumerate()
        .map(|(b, r_b)| {
            if (k >> b) & 1 == 1 {
                *r_b
            } else {
                Fr::one() - r_b
            }
        })
        .product()
}

/// The multilinear extension of `evals` (little-endian, zero-padded to `2^point.len()`) at
/// `point`, by folding one variable at a time.
pub fn mle_eval(evals: &[Fr], point: &[Fr]) -> Fr {
    debug_assert!(evals.len() <= 1 << point.len());
    let mut cur: Vec<Fr> = evals.to_vec();
    cur.resize(1 << point.len(), Fr::zero());
    for r in point {
        bind_low(&mut cur, *r);
    }
    cur.first().copied().unwrap_or_else(Fr::zero)
}

/// [`mle_eval`] of a table of signed integers.
pub fn mle_eval_i64(evals: &[i64], point: &[Fr]) -> Fr {
    let as_field: Vec<Fr> = evals.iter().map(|v| from_i64(*v)).collect();
    mle_eval(&as_field, point)
}

/// Binds the lowest variable `x_0` of a table to `r`: `t'[i] = t[2i] + r·(t[2i+1] − t[2i])`.
/// The table shrinks to half its length.
pub fn bind_low(table: &mut Vec<Fr>, r: Fr) {
    let half = table.len() / 2;
    if half >= PAR_THRESHOLD {
        let next: Vec<Fr> = (0..half)
            .into_par_iter()
            .map(|i| table[2 * i] + r * (table[2 * i + 1] - table[2 * i]))
            .collect();
        *table = next;
    } else {
        bind_low_in_place(table, r);
    }
}

/// [`bind_low`] on one thread, without allocating (for callers that parallelize over tables).
pub fn bind_low_in_place(table: &mut Vec<Fr>, r: Fr) {
    let half = table.len() / 2;
    for i in 0..half {
        table[i] = table[2 * i] + r * (table[2 * i + 1] - table[2 * i]);
    }
    table.truncate(half);
}

/// The bits of `k` as field elements, `n` of them, little-endian.
pub fn index_to_point(k: u64, n: usize) -> Vec<Fr> {
    (0..n)
        .map(|b| {
            if (k >> b) & 1 == 1 {
                Fr::one()
            } else {
                Fr::zero()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn random_point(n: usize, seed: u64) -> Vec<Fr> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..n).map(|_| Fr::rand(&mut rng)).collect()
    }

    #[test]
    fn eq_at_index_matches_table() {
        let r = random_point(4, 1);
        let table = eq_table(&r);
        for (k, e) in table.iter().enumerate() {
            assert_eq!(*e, eq_at_index(&r, k as u64));
            assert_eq!(*e, EqPolynomial::evaluate(&r, &index_to_point(k as u64, 4)));
        }
    }

    #[test]
    fn mle_eval_agrees_with_eq_sum() {
        let r = random_point(3, 3);
        let evals: Vec<Fr> = (0..8u64).map(|i| Fr::from(i * i + 1)).collect();
        let expected: Fr = evals.iter().zip(eq_table(&r)).map(|(a, b)| *a * b).sum();
        assert_eq!(mle_eval(&evals, &r), expected);
    }
}
