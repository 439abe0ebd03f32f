//! The few multilinear helpers the lookup arguments need, little-endian as everywhere in Atlas:
//! evaluation index `i = Σ_j x_j·2^j` and `point[j]` is the variable `x_j`.
//!
//! * `eq(x, y) = Π_j (x_j·y_j + (1 − x_j)(1 − y_j))`;
//! * `lt(x, y)`, the multilinear extension of `[x < y]` for the integers encoded by `x` and `y`:
//!   `lt(x, y) = Σ_i (1 − x_i)·y_i·Π_{l > i} eq(x_l, y_l)` (bit `i` decides when all higher bits
//!   agree).

use ark_ff::{One, Zero};
use jolt_core::field::{from_i64, Fr};
use rayon::prelude::*;

/// Length from which the folding loops run in parallel.
const PAR_THRESHOLD: usize = 1 << 12;

/// `eq(r, i)` for every `i < 2^r.len()`.
pub fn eq_table(r: &[Fr]) -> Vec<Fr> {
    eq_table_scaled(r, Fr::one())
}

/// `scale · eq(r, i)` for every `i < 2^r.len()`.
pub fn eq_table_scaled(r: &[Fr], scale: Fr) -> Vec<Fr> {
    let mut table = vec![Fr::zero(); 1 << r.len()];
    table[0] = scale;
    let mut len = 1;
    // Step j doubles the table: index i + 2^j (bit j set) takes the factor r_j, index i the
    // factor 1 − r_j, so variable j lands on bit j.
    for r_j in r {
        let (lo, hi) = table.split_at_mut(len);
        let work = |(l, h): (&mut Fr, &mut Fr)| {
            *h = *l * r_j;
            *l -= *h;
        };
        if len >= PAR_THRESHOLD {
            lo.par_iter_mut()
                .zip(hi[..len].par_iter_mut())
                .for_each(work);
        } else {
            lo.iter_mut().zip(hi[..len].iter_mut()).for_each(work);
        }
        len *= 2;
    }
    table
}

/// `eq(x, y)` for two points of equal length.
pub fn eq_eval(x: &[Fr], y: &[Fr]) -> Fr {
    debug_assert_eq!(x.len(), y.len());
    x.iter()
        .zip(y)
        .map(|(a, b)| *a * b + (Fr::one() - a) * (Fr::one() - b))
        .product()
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

/// `lt(x, y)`, the multilinear extension of `[x < y]` (see the module documentation).
pub fn lt_eval(x: &[Fr], y: &[Fr]) -> Fr {
    debug_assert_eq!(x.len(), y.len());
    let mut acc = Fr::zero();
    // Walk from the most significant bit down, carrying Π_{l > i} eq(x_l, y_l).
    let mut eq_above = Fr::one();
    for i in (0..x.len()).rev() {
        acc += eq_above * (Fr::one() - x[i]) * y[i];
        eq_above *= x[i] * y[i] + (Fr::one() - x[i]) * (Fr::one() - y[i]);
    }
    acc
}

/// `lt(j, r)` for every `j < 2^r.len()`, in `O(2^n)`.
pub fn lt_table(r: &[Fr]) -> Vec<Fr> {
    // lt over n bits from lt over the low n−1 bits: with j = j' + 2^{n−1}·b,
    // lt(j, r) = (1 − b)·r_top + eq(b, r_top)·lt(j', r_low).
    let mut table = vec![Fr::zero()];
    for (level, r_top) in r.iter().enumerate() {
        let len = 1 << level;
        let mut next = vec![Fr::zero(); 2 * len];
        let one_minus = Fr::one() - r_top;
        for i in 0..len {
            next[i] = *r_top + one_minus * table[i];
            next[i + len] = *r_top * table[i];
        }
        table = next;
    }
    table
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
        for i in 0..half {
            table[i] = table[2 * i] + r * (table[2 * i + 1] - table[2 * i]);
        }
        table.truncate(half);
    }
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
    fn eq_table_is_little_endian() {
        let r = random_point(4, 1);
        let table = eq_table(&r);
        for (k, e) in table.iter().enumerate() {
            assert_eq!(*e, eq_at_index(&r, k as u64));
            assert_eq!(*e, eq_eval(&r, &index_to_point(k as u64, 4)));
        }
    }

    #[test]
    fn lt_matches_integers_and_table() {
        for x in 0..16u64 {
            for y in 0..16u64 {
                let v = lt_eval(&index_to_point(x, 4), &index_to_point(y, 4));
                assert_eq!(v, Fr::from((x < y) as u64));
            }
        }
        let r = random_point(5, 2);
        let table = lt_table(&r);
        for (j, v) in table.iter().enumerate() {
            assert_eq!(*v, lt_eval(&index_to_point(j as u64, 5), &r));
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
