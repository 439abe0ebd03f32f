//! Booleanity of a committed one-hot chunk.
//!
//! For a chunk `ra_i` of `K_c × T` entries and random `r_address ∈ F^{log K_c}`,
//! `r_cycle ∈ F^{log T}`:
//!
//! ```text
//! 0 = Σ_{k, j} eq(r_address, k)·eq(r_cycle, j)·(ra_i(k, j)² − ra_i(k, j)),
//! ```
//!
//! which holds (except with probability `O((log K_c + log T)/|F|)`) only if every entry is 0 or
//! 1 (Twist & Shout, ePrint 2025/105, §6). Together with the Hamming-weight check this makes
//! every column one-hot; without it a prover could commit, e.g., the value 2 or fractions.
//!
//! The prover binds the address variables first. Since column `j` is the indicator of its
//! address `c_j`, every quantity depends on `j` only through `c_j`, so with
//! `B[c] = Σ_{j : c_j = c} eq(r_cycle, j)` an address round costs `O(K_c)`:
//!
//! ```text
//! s_t(X) = eq(r_a[..t], ρ)·eq(r_a[t], X)·Σ_c B[c]·eq(r_a[t+1..], c[t+1..])·(E_c(X)² − E_c(X)),
//! E_c(X) = eq(ρ, c[..t])·eq(X, c_t).
//! ```
//!
//! (`B` may already be a random combination over several chunks: every other factor depends on
//! `c` only.) The cycle variables are then bound densely over `eq(r_cycle, j)·(v_j² − v_j)`
//! with `v_j = eq(ρ_address, c_j)`. The output claim is `ra_i(ρ_address, ρ_cycle)`. The
//! prover and verifier, batched with the Hamming-weight check, are in [`super::one_hot`].

use crate::poly::eq_table;
use ark_ff::{One, Zero};
use jolt_core::field::Fr;

/// `eq(a, x)` for scalars.
pub(crate) fn eq1(a: Fr, x: Fr) -> Fr {
    a * x + (Fr::one() - a) * (Fr::one() - x)
}

/// The booleanity round polynomial `s_t` at `x` (see the module documentation): `weights` is
/// `B` (or a combination of several chunks' `B`), `prefix[c] = eq(ρ, c[..t])` and `eq_bound`
/// `= eq(r_address[..t], ρ)`.
pub(crate) fn address_round_eval(
    weights: &[Fr],
    prefix: &[Fr],
    r_address: &[Fr],
    eq_bound: Fr,
    t: usize,
    x: Fr,
) -> Fr {
    let eq_above = eq_table(&r_address[t + 1..]);
    let mut sum = Fr::zero();
    for (c, w) in weights.iter().enumerate() {
        if w.is_zero() {
            continue;
        }
        let e = prefix[c] * if (c >> t) & 1 == 1 { x } else { Fr::one() - x };
        sum += *w * eq_above[c >> (t + 1)] * (e * e - e);
    }
    eq_bound * eq1(r_address[t], x) * sum
}

/// The booleanity summand `ra² − ra` at the final point.
pub(crate) fn defect(ra: Fr) -> Fr {
    ra * ra - ra
}
