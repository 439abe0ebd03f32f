//! Hamming weight of a committed one-hot chunk: every column has entries summing to one.
//!
//! For a chunk `ra_i` of `K_c × T` entries and random `r_cycle ∈ F^{log T}`:
//!
//! ```text
//! 1 = Σ_{k, j} eq(r_cycle, j)·ra_i(k, j),
//! ```
//!
//! since `Σ_j eq(r_cycle, j) = 1`; by Schwartz–Zippel on the multilinear `h(j) = Σ_k ra_i(k, j)`
//! this holds only if `h ≡ 1` on the hypercube. With booleanity, every column then has exactly
//! one `1` (a column of zeros would let a lookup read `0` at no address; two ones would read a
//! sum of entries).
//!
//! The prover binds the address variables first, on `B[c] = Σ_{j : c_j = c} eq(r_cycle, j)`
//! (`O(K_c)` per round; building `B` costs one addition per cycle, `address_weights`), then
//! the cycle variables over `eq(r_cycle, j)·v_j` with `v_j = eq(ρ_address, c_j)`. It is batched with the booleanity check of the chunk
//! ([`super::one_hot`]), so both end at the same point and share one opening.

use crate::poly::eq_table;
use ark_ff::Zero;
use jolt_core::field::Fr;
use rayon::prelude::*;

/// `B[c] = Σ_{j : chunk(j) = c} eq(r_cycle, j)` for every `c < 2^width`.
///
/// With `eq(r_cycle, j) = E_in(j_lo)·E_out(j_hi)` (low and high halves of the cycle bits), each
/// block of cycles sharing `j_hi` is summed into `2^width` buckets with additions only and then
/// weighted by `E_out(j_hi)`, so the `T`-entry eq table is never built (unless the chunk is too
/// wide for the blocks).
pub(crate) fn address_weights(chunks: &[u32], r_cycle: &[Fr], width: usize) -> Vec<Fr> {
    let k = 1usize << width;
    let m_in = r_cycle.len().div_ceil(2);
    if k > (1usize << m_in) / 4 {
        let eq_cycle = eq_table(r_cycle);
        let mut b = vec![Fr::zero(); k];
        for (c, e) in chunks.iter().zip(&eq_cycle) {
            b[*c as usize] += e;
        }
        return b;
    }
    let (e_in, e_out) = (eq_table(&r_cycle[..m_in]), eq_table(&r_cycle[m_in..]));
    let block = e_in.len();
    (0..e_out.len())
        .into_par_iter()
        .fold(
            || (vec![Fr::zero(); k], vec![Fr::zero(); k]),
            |(mut acc, mut local), hi| {
                local.fill(Fr::zero());
                for (c, e) in chunks[hi * block..(hi + 1) * block].iter().zip(&e_in) {
                    local[*c as usize] += e;
                }
                for (a, l) in acc.iter_mut().zip(&local) {
                    *a += e_out[hi] * l;
                }
                (acc, local)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || vec![Fr::zero(); k],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// `[s(0), s(1)]` of an address round of `Σ_c B(c)` (a multilinear sum, degree 1).
pub(crate) fn address_round_evals(weights: &[Fr]) -> [Fr; 2] {
    let s0: Fr = weights.iter().step_by(2).sum();
    let s1: Fr = weights.iter().skip(1).step_by(2).sum();
    [s0, s1]
}
