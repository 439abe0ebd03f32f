//! Multilinear and univariate polynomials over [`Fr`].
//!
//! # Endianness (one convention, used everywhere)
//!
//! A multilinear polynomial `p` in `n` variables is stored as its evaluation table over the
//! boolean hypercube, **little-endian, as in dory-pcs**: entry `i` is `p(x)` for the `x` with
//! `i = Σ_j x_j·2^j`, and in an evaluation point `point[j]` is the value of the variable `x_j`
//! (bit `j` of the index). The multilinear extension is
//!
//! ```text
//! p̃(r) = Σ_i table[i] · eq(r, bits(i)),   eq(r, x) = Π_j (r_j·x_j + (1 − r_j)(1 − x_j)).
//! ```
//!
//! Binding a variable to a challenge `ρ` halves the table:
//!
//! * [`BindingOrder::LowToHigh`] binds `x_0` first: `t'[i] = t[2i] + ρ·(t[2i+1] − t[2i])`.
//!   This is the default order of sumcheck rounds; after `k` rounds with challenges
//!   `ρ_0..ρ_{k−1}` the bound point is `(ρ_0, .., ρ_{k−1}, x_k, ..)`.
//! * [`BindingOrder::HighToLow`] binds `x_{n−1}` first: `t'[i] = t[i] + ρ·(t[i+n/2] − t[i])`;
//!   the challenges fill the point from the top, so the final point is the reversed list of
//!   challenges (see [`BindingOrder::point_from_challenges`]).
//!
//! A table with `2^m` entries viewed as a polynomial in `n ≥ m` variables is zero-padded: the
//! high variables are "zero", `q̃(r) = p̃(r[..m])·Π_{j≥m}(1 − r_j)` — the same embedding as
//! the commitment schemes of [`crate::pcs`].
//!
//! | module | contents |
//! |---|---|
//! | [`dense`] | [`DenseMultilinear`]: a table of field elements; binding, evaluation |
//! | [`compact`] | [`CompactMultilinear`]: a table of small integers, dense after the first bind |
//! | [`eq`] | `eq`, `eq+1` and `lt` tables and evaluations, [`SplitEq`] for Gruen/Dao–Thaler |
//! | [`unipoly`] | [`UniPoly`] round polynomials and their [`CompressedUniPoly`] form |

pub mod compact;
pub mod dense;
pub mod eq;
pub mod unipoly;

pub use compact::CompactMultilinear;
pub use dense::DenseMultilinear;
pub use eq::{EqPlusOnePolynomial, EqPolynomial, LtPolynomial, SplitEq};
pub use unipoly::{CompressedUniPoly, UniPoly};

use crate::field::Fr;

/// Which variable a sumcheck round (or a [`DenseMultilinear::bind`]) binds first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BindingOrder {
    /// Bind `x_0` first (pairs `(2i, 2i+1)`). The default.
    #[default]
    LowToHigh,
    /// Bind the top variable first (pairs `(i, i + len/2)`).
    HighToLow,
}

impl BindingOrder {
    /// The evaluation point (`point[j]` = value of `x_j`) reached by binding with `challenges`
    /// in this order, one challenge per variable.
    pub fn point_from_challenges(self, challenges: &[Fr]) -> Vec<Fr> {
        match self {
            BindingOrder::LowToHigh => challenges.to_vec(),
            BindingOrder::HighToLow => challenges.iter().rev().copied().collect(),
        }
    }
}

/// Tables at or above this length are processed with rayon.
pub(crate) const PAR_THRESHOLD: usize = 1 << 12;
