//! The sumcheck protocol, batched.
//!
//! For a polynomial `g` in `n` variables of degree at most `d` in each, the prover claims
//! `Σ_{x ∈ {0,1}^n} g(x) = c`. In round `j = 0..n` it sends the univariate
//!
//! ```text
//! s_j(X) = Σ_{x ∈ {0,1}^{n−j−1}} g(r_0, …, r_{j−1}, X, x)       (for the low-to-high order)
//! ```
//!
//! the verifier checks `deg s_j ≤ d` and `s_j(0) + s_j(1) = c_j` (with `c_0 = c`), draws
//! `r_j` and sets `c_{j+1} = s_j(r_j)`. At the end it must check `c_n = g(r)` against an oracle
//! for `g` — usually claimed evaluations of the polynomials `g` is built from, which become
//! new claims for later protocols (Thaler, *Proofs, Arguments and Zero-Knowledge*, §4.1).
//! Round polynomials travel compressed ([`CompressedUniPoly`](crate::poly::CompressedUniPoly)),
//! so the round-sum check holds by construction and a wrong message surfaces at the next
//! round or the final check.
//!
//! **Batching.** Instances with claims `c_i` over `n_i ≤ N` variables are proven together:
//! after every `c_i` is absorbed, the verifier draws `α_i` and the batch proves
//! `Σ_i α_i·2^{N−n_i}·c_i`. Instance `i` is padded *in front*: in the first `N − n_i` rounds it
//! contributes the constant `c_{i,j}/2` (a dummy variable the summand does not depend on) and it
//! sees only the last `n_i` challenges.
//!
//! **Products with eq.** [`eq_product`] proves `Σ_x eq(τ, x)·Π_{k<D} p_k(x)` for `D ≤ 3` with
//! Gruen's factorisation (ePrint 2024/108) and the split eq table (Dao–Thaler, ePrint
//! 2024/1210), see [`SplitEq`](crate::poly::SplitEq).
//!
//! | module | contents |
//! |---|---|
//! | [`proof`] | [`SumcheckProof`] and the verifier of a single sumcheck |
//! | [`instance`] | the [`SumcheckInstanceProver`] / [`SumcheckInstanceVerifier`] traits |
//! | [`batched`] | [`BatchedSumcheck`]: the driver, [`BatchedSumcheckProof`] |
//! | [`product`] | [`ProductProver`]: `Σ_x Π_k p_k(x)` for dense factors, either binding order |
//! | [`eq_product`] | [`EqProductProver`]: the split-eq/Gruen kernel for `Σ eq·Π p_k` |

pub mod batched;
pub mod eq_product;
pub mod instance;
pub mod product;
pub mod proof;

pub use batched::{BatchedSumcheck, BatchedSumcheckProof};
pub use eq_product::{EqProductProver, EqProductVerifier};
pub use instance::{SumcheckInstanceProver, SumcheckInstanceVerifier};
pub use product::{ProductProver, ProductVerifier};
pub use proof::SumcheckProof;

/// Why a sumcheck verifier rejected a proof. Verifiers return these and never panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SumcheckError {
    /// The proof has a different number of round polynomials than the statement has rounds.
    #[error("wrong number of rounds: expected {expected}, got {got}")]
    WrongNumberOfRounds {
        /// Rounds of the statement.
        expected: usize,
        /// Round polynomials in the proof.
        got: usize,
    },
    /// A round polynomial has more coefficients than the degree bound allows.
    #[error("round {round}: degree {degree} exceeds the bound {bound}")]
    DegreeBoundExceeded {
        /// Round index.
        round: usize,
        /// Degree encoded by the compressed polynomial.
        degree: usize,
        /// The statement's degree bound.
        bound: usize,
    },
    /// A compressed round polynomial has no coefficient at all.
    #[error("round {round}: empty round polynomial")]
    EmptyRoundPolynomial {
        /// Round index.
        round: usize,
    },
    /// The proof's output claims do not have the shape the instances expect.
    #[error("instance {instance}: expected {expected} output claims, got {got}")]
    OutputClaimsMismatch {
        /// Instance index (`usize::MAX` when the number of instances itself differs).
        instance: usize,
        /// Expected number.
        expected: usize,
        /// Number in the proof.
        got: usize,
    },
    /// A batch with no instance.
    #[error("batched sumcheck over no instance")]
    NoInstances,
    /// The final claim differs from the value the output claims imply.
    #[error("final sumcheck check failed")]
    FinalCheckFailed,
}

#[cfg(test)]
mod tests;
