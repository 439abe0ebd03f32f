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
//! (`O(K_c)` per round), then the cycle variables densely over `eq(r_cycle, j)·v_j` with
//! `v_j = eq(ρ_address, c_j)`. It is batched with the booleanity check of the chunk
//! ([`super::one_hot`]), so both end at the same point and share one opening.

use ark_ff::Zero;
use jolt_core::field::Fr;

/// `B[c] = Σ_{j : chunk(j) = c} eq(r_cycle, j)` for every `c < 2^width`.
pub(crate) fn address_weights(chunks: &[u32], eq_cycle: &[Fr], width: usize) -> Vec<Fr> {
    let mut b = vec![Fr::zero(); 1 << width];
    for (c, e) in chunks.iter().zip(eq_cycle) {
        b[*c as usize] += e;
    }
    b
}

/// `[s(0), s(1)]` of an address round of `Σ_c B(c)` (a multilinear sum, degree 1).
pub(crate) fn address_round_evals(weights: &[Fr]) -> [Fr; 2] {
    let s0: Fr = weights.iter().step_by(2).sum();
    let s1: Fr = weights.iter().skip(1).step_by(2).sum();
    [s0, s1]
}
