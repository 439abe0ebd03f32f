//! The tier-2 Dory commitment of a one-hot table, summed by columns when that is cheaper.
//!
//! By bilinearity `Σ_row e(T_row, Γ₂[row]) = Σ_col e(Γ₁[col], S_col)` with
//! `S_col = Σ_{row : (row, col) ≠ 0} Γ₂[row]` for a 0/1 matrix. The row form costs one Miller
//! loop per non-zero row (against prepared setup points); the column form one G2 addition per
//! non-zero and one Miller loop (with preparation) per *used* column. A one-hot chunk of keys
//! that vary little — the high chunks of 32-bit range checks and ReLU operands, nearly always
//! `0` or `2^w − 1` — uses few columns of a wide row (`2^σ / K_c` cycles per row, each in one of
//! `K_c` columns), so its commitment costs a handful of Miller loops instead of one per row.

use ark_bn254::{G1Affine, G2Affine, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use rayon::prelude::*;

/// Relative cost of one G2 mixed addition against one Miller loop with a prepared G2 point.
const G2_ADD_COST: f64 = 1.0 / 150.0;
/// Relative cost of preparing a G2 point and running its Miller loop.
const PREPARED_PAIR_COST: f64 = 1.6;

/// Which columns a 0/1 matrix of rows of `2^sigma` uses, and whether summing by columns is
/// estimated cheaper than by rows (`nonzero_rows` Miller loops).
pub(crate) fn prefer_columns(sigma: usize, nonzero: &[usize], nonzero_rows: usize) -> bool {
    let mut used = vec![false; 1 << sigma];
    let mask = (1usize << sigma) - 1;
    for i in nonzero {
        used[i & mask] = true;
    }
    let columns = used.iter().filter(|u| **u).count();
    let by_columns = columns as f64 * PREPARED_PAIR_COST + nonzero.len() as f64 * G2_ADD_COST;
    by_columns < nonzero_rows as f64
}

/// The pairs `(Γ₁[col], S_col)` of the used columns (see the module documentation).
pub(crate) fn column_pairs(
    sigma: usize,
    nonzero: &[usize],
    g1: &[G1Affine],
    g2: &[G2Affine],
) -> Vec<(G1Affine, G2Affine)> {
    let width = 1usize << sigma;
    let mask = width - 1;
    let chunk = nonzero.len().div_ceil(rayon::current_num_threads()).max(1);
    let sums = nonzero
        .par_chunks(chunk)
        .map(|part| {
            let mut s = vec![G2Projective::zero(); width];
            for &i in part {
                s[i & mask] += g2[i >> sigma];
            }
            s
        })
        .reduce(
            || vec![G2Projective::zero(); width],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        );
    let used: Vec<usize> = (0..width).filter(|c| !sums[*c].is_zero()).collect();
    let points: Vec<G2Projective> = used.iter().map(|c| sums[*c]).collect();
    let affine = G2Projective::normalize_batch(&points);
    used.iter().zip(affine).map(|(c, q)| (g1[*c], q)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, G1Projective};
    use ark_ec::pairing::Pairing;
    use ark_std::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn columns_and_rows_give_the_same_commitment() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let sigma = 3;
        let g1: Vec<G1Affine> = (0..8).map(|_| G1Affine::rand(&mut rng)).collect();
        let g2: Vec<G2Affine> = (0..8).map(|_| G2Affine::rand(&mut rng)).collect();
        // A 0/1 matrix of 6 rows of 8 columns.
        let nonzero = vec![0, 3, 9, 11, 16, 19, 24, 27, 33, 35, 40, 47];
        let mut rows = vec![G1Projective::zero(); 6];
        for &i in &nonzero {
            rows[i >> sigma] += g1[i & 7];
        }
        let by_rows = Bn254::multi_pairing(
            rows.iter().map(|r| r.into_affine()).collect::<Vec<_>>(),
            g2[..6].to_vec(),
        );
        let (a, b): (Vec<G1Affine>, Vec<G2Affine>) =
            column_pairs(sigma, &nonzero, &g1, &g2).into_iter().unzip();
        assert_eq!(a.len(), 4, "columns 0, 1, 3 and 7");
        assert_eq!(Bn254::multi_pairing(a, b), by_rows);
        // Few columns over many rows: columns win; every column used once: rows win.
        let constant: Vec<usize> = (0..64).map(|r| r << 6).collect();
        assert!(prefer_columns(6, &constant, 64));
        let diagonal: Vec<usize> = (0..64).map(|r| (r << 6) + r).collect();
        assert!(!prefer_columns(6, &diagonal, 64));
    }
}
