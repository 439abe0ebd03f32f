//! Pieces shared by the relations with committed results and range-checked remainders
//! ([`super::softmax`], [`super::norm`], [`super::division`], [`super::compare`]): range-check
//! keys, and product instances whose public factors are `eq(r, ·)`, the real-position mask
//! `M` and the row eq `W(j) = eq(r_row, ρ(j))`.

use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::layout::Layout;
use super::product::ProductStatement;
use super::select::mask_at;
use super::softmax::RowLayout;

/// Public factor `eq(r, ·)`.
pub(crate) const EQ: Option<u8> = Some(0);
/// Public factor `M`, the real-position indicator.
pub(crate) const MASK: Option<u8> = Some(1);
/// Public factor `W(j) = eq(r_row, ρ(j))` (row-wise relations only).
pub(crate) const ROW_EQ: Option<u8> = Some(2);
/// A private factor, whose value at the end point becomes a claim.
pub(crate) const PRIVATE: Option<u8> = None;

/// The layout the public factors live on.
#[derive(Clone, Copy)]
pub(crate) enum Frame<'a> {
    /// An element-wise relation over one layout.
    Flat(&'a Layout),
    /// A row-wise relation (the row eq is defined).
    Rows(&'a RowLayout),
}

impl Frame<'_> {
    fn num_vars(&self) -> usize {
        match self {
            Frame::Flat(l) => l.num_vars,
            Frame::Rows(sh) => sh.x.num_vars,
        }
    }

    fn public(&self, code: u8, r: &[Fr], s: &[Fr]) -> Fr {
        match (code, self) {
            (0, _) => EqPolynomial::evaluate(r, s),
            (1, Frame::Flat(l)) => mask_at(l, s),
            (1, Frame::Rows(sh)) => sh.mask_at(s),
            (_, Frame::Rows(sh)) => EqPolynomial::evaluate(&sh.row_point(r), &sh.row_point(s)),
            (_, Frame::Flat(_)) => EqPolynomial::evaluate(r, s),
        }
    }
}

/// The verifier's statement of `Σ_j Π_k f_k(j) = claim` over the frame, with the public factors
/// given by `factors` ([`EQ`], [`MASK`], [`ROW_EQ`], [`PRIVATE`]) at the point `r`.
pub(crate) fn statement<'a>(
    frame: Frame<'a>,
    r: &'a [Fr],
    claim: Fr,
    factors: Vec<Option<u8>>,
) -> ProductStatement<'a> {
    ProductStatement {
        claim,
        num_rounds: frame.num_vars(),
        num_factors: factors.len(),
        order: BindingOrder::LowToHigh,
        public: Box::new(move |s: &[Fr]| {
            factors
                .iter()
                .map(|p| p.map(|code| frame.public(code, r, s)))
                .collect()
        }),
    }
}

/// `Σ_j Π_k f_k(j)` over the hypercube (the prover's share of an instance).
pub(crate) fn inner_product(f: &[&DenseMultilinear]) -> Fr {
    let n = f.first().map_or(0, |t| t.evals().len());
    (0..n)
        .map(|i| f.iter().map(|t| t.evals()[i]).product::<Fr>())
        .sum()
}

/// A product instance of the prover (bound low to high).
pub(crate) fn instance(f: &[&DenseMultilinear]) -> (Vec<DenseMultilinear>, BindingOrder) {
    (
        f.iter().map(|t| (*t).clone()).collect(),
        BindingOrder::LowToHigh,
    )
}

/// Range-check keys of `values` into `[0, 2^bits)`; a value outside is an error, unless `mask`
/// (a cheating prover in soundness tests), which reduces it modulo `2^bits`.
pub(crate) fn range_keys(
    values: &[i64],
    bits: usize,
    mask: bool,
    what: &str,
) -> Result<Vec<u64>, String> {
    let bound = 1i64 << bits;
    if let Some(v) = values.iter().find(|v| !(0..bound).contains(*v)) {
        if !mask {
            return Err(format!("{what} {v} is not in [0, 2^{bits})"));
        }
    }
    Ok(values.iter().map(|v| v.rem_euclid(bound) as u64).collect())
}
