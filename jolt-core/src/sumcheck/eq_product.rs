//! The fast kernel for `Σ_x eq(τ, x)·Π_{k<D} p_k(x) = claim`, `D ∈ {1, 2, 3}`, low-to-high.
//!
//! Round `j` factors as `s_j(X) = C_j·eq(τ_j, X)·q_j(X)` (Gruen, ePrint 2024/108; see
//! [`SplitEq`]). The prover computes only `q_j`, of degree `D`, from `D` evaluations:
//! `q_j(0)`, `q_j(2), …, q_j(D−1)` and the leading coefficient `q_j(∞) = Σ eq·Π_k (hi_k − lo_k)`;
//! the missing `q_j(1)` follows from the running claim,
//! `claim = C_j·((1 − τ_j)·q_j(0) + τ_j·q_j(1))`. So the degree-3 `Σ eq·A·B` costs per pair of
//! entries two products and two multiplications by `E_in`, plus two for binding `A` and `B`.
//! The weights `eq(τ_{>j}, x')` come from the two half-size tables `E_in(x'_lo)·E_out(x'_hi)`
//! (Dao–Thaler, ePrint 2024/1210): the inner sum over `x'_lo` is weighted by `E_in`, and each
//! inner sum is multiplied once by `E_out`, so the full `2^n` eq table is never built.
//!
//! The outer loop over `x'_hi` runs on rayon.

use super::instance::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use crate::field::{mul_i128, Fr, SmallScalar};
use crate::poly::{
    BindingOrder, CompactMultilinear, DenseMultilinear, EqPolynomial, SplitEq, UniPoly,
};
use ark_ff::Zero;
use rayon::prelude::*;

/// Prover of `Σ_x eq(τ, x)·Π_k p_k(x)` for one to three dense factors.
///
/// Binding is deferred and fused into the next round's pass: `bind` only records the
/// challenge, and the next [`compute_round_poly`](SumcheckInstanceProver::compute_round_poly)
/// reads each group of four old entries once, writes the two bound entries and uses them
/// right away. Two buffers per factor alternate, so nothing is allocated after the first round.
pub struct EqProductProver {
    split: SplitEq,
    /// Small-integer tables, one per factor, until the first bind (then empty).
    small: Vec<Vec<i32>>,
    num_factors: usize,
    /// Current tables, one per factor (not yet bound to `pending`); empty while `small` is used.
    tables: Vec<Vec<Fr>>,
    /// Spare buffers the next fused bind writes into.
    spare: Vec<Vec<Fr>>,
    /// The last challenge, not yet applied to `tables`.
    pending: Option<Fr>,
    claim: Fr,
    num_rounds: usize,
}

impl EqProductProver {
    /// The instance for `eq(tau, ·)·Π factors`, computing the claim.
    ///
    /// # Panics
    /// If there are not 1 to 3 factors, or a factor's number of variables is not `tau.len()`.
    pub fn new(tau: &[Fr], factors: Vec<DenseMultilinear>) -> Self {
        let claim = Self::compute_claim(tau, &factors);
        Self::new_with_claim(tau, factors, claim)
    }

    /// The instance with a claim the caller already knows (it is not recomputed).
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn new_with_claim(tau: &[Fr], factors: Vec<DenseMultilinear>, claim: Fr) -> Self {
        assert!(
            (1..=3).contains(&factors.len()),
            "eq-product kernel supports 1 to 3 factors, got {}",
            factors.len()
        );
        assert!(
            factors.iter().all(|f| f.num_vars() == tau.len()),
            "every factor must have tau.len() = {} variables",
            tau.len()
        );
        let d = factors.len();
        EqProductProver {
            split: SplitEq::new(tau),
            small: Vec::new(),
            num_factors: d,
            tables: factors.into_iter().map(|f| f.into_evals()).collect(),
            spare: vec![Vec::new(); d],
            pending: None,
            claim,
            num_rounds: tau.len(),
        }
    }

    /// `Σ_x eq(τ, x)·Π_k p_k(x)`, with the split eq table.
    pub fn compute_claim(tau: &[Fr], factors: &[DenseMultilinear]) -> Fr {
        let m_in = tau.len().div_ceil(2);
        let e_in = EqPolynomial::evals(&tau[..m_in]);
        let e_out = EqPolynomial::evals(&tau[m_in..]);
        e_out
            .par_iter()
            .enumerate()
            .map(|(xo, eo)| {
                let mut inner = Fr::zero();
                for (xi, ei) in e_in.iter().enumerate() {
                    let idx = xi + (xo << m_in);
                    let prod = factors[1..]
                        .iter()
                        .fold(factors[0].evals()[idx], |a, f| a * f.evals()[idx]);
                    inner += *ei * prod;
                }
                *eo * inner
            })
            .sum()
    }

    /// The instance for small-integer factors (any type that fits in `i32`), computing the
    /// claim. The first round works on the integers — every pair product of `D ≤ 2` factors
    /// fits in 64 bits, so it is weighted by `E_in` with [`mul_i128`]'s cheap path instead of a
    /// field multiplication — and the first bind turns the tables into field elements
    /// ([`CompactMultilinear::bind`]).
    ///
    /// # Panics
    /// As [`Self::new`].
    pub fn new_small<T: SmallScalar + Into<i32>>(
        tau: &[Fr],
        factors: Vec<CompactMultilinear<T>>,
    ) -> Self {
        let small: Vec<Vec<i32>> = factors
            .iter()
            .map(|f| f.values().iter().map(|v| (*v).into()).collect())
            .collect();
        assert!(
            (1..=3).contains(&small.len()),
            "eq-product kernel supports 1 to 3 factors, got {}",
            small.len()
        );
        assert!(
            factors.iter().all(|f| f.num_vars() == tau.len()),
            "every factor must have tau.len() = {} variables",
            tau.len()
        );
        let claim = Self::compute_claim_small(tau, &small);
        EqProductProver {
            split: SplitEq::new(tau),
            num_factors: small.len(),
            small,
            tables: Vec::new(),
            spare: vec![Vec::new(); factors.len()],
            pending: None,
            claim,
            num_rounds: tau.len(),
        }
    }

    /// `Σ_x eq(τ, x)·Π_k p_k(x)` for integer tables.
    fn compute_claim_small(tau: &[Fr], small: &[Vec<i32>]) -> Fr {
        let m_in = tau.len().div_ceil(2);
        let e_in = EqPolynomial::evals(&tau[..m_in]);
        let e_out = EqPolynomial::evals(&tau[m_in..]);
        e_out
            .par_iter()
            .enumerate()
            .map(|(xo, eo)| {
                let mut inner = Fr::zero();
                for (xi, ei) in e_in.iter().enumerate() {
                    let idx = xi + (xo << m_in);
                    // |Π| < 2^93 for three i32 factors.
                    let prod = small.iter().fold(1i128, |a, t| a * t[idx] as i128);
                    inner += mul_i128(ei, prod);
                }
                *eo * inner
            })
            .sum()
    }

    /// Round 0 on the integer tables: `[q(0), q(2), …, q(D−1), q(∞)]` (or `[q(0)]`).
    fn quotient_evals_small<const D: usize>(&self) -> [Fr; D] {
        let e_in = self.split.e_in();
        let e_out = self.split.e_out();
        let m_in = e_in.len().trailing_zeros() as usize;
        let block = 2usize << m_in;
        let tables: [&[i32]; D] = std::array::from_fn(|k| self.small[k].as_slice());
        let zero = [Fr::zero(); D];
        (0..e_out.len())
            .into_par_iter()
            .map(|xo| {
                let mut acc = zero;
                for (xi, ei) in e_in.iter().enumerate() {
                    let i0 = xo * block + 2 * xi;
                    let lo: [i128; D] = std::array::from_fn(|k| tables[k][i0] as i128);
                    let slope: [i128; D] =
                        std::array::from_fn(|k| tables[k][i0 + 1] as i128 - lo[k]);
                    // |lo| < 2^31, |slope| < 2^32, |lo + 2·slope| < 2^34: products of up to
                    // three fit in i128.
                    let vals: [i128; D] = match D {
                        1 => std::array::from_fn(|_| lo[0]),
                        2 => {
                            let v = [lo[0] * lo[1], slope[0] * slope[1]];
                            std::array::from_fn(|k| v[k])
                        }
                        _ => {
                            let at2 = |k: usize| lo[k] + 2 * slope[k];
                            let v = [
                                lo[0] * lo[1] * lo[2],
                                at2(0) * at2(1) * at2(2),
                                slope[0] * slope[1] * slope[2],
                            ];
                            std::array::from_fn(|k| v[k])
                        }
                    };
                    for k in 0..D {
                        acc[k] += mul_i128(ei, vals[k]);
                    }
                }
                acc.map(|v| v * e_out[xo])
            })
            .reduce(
                || zero,
                |mut a, b| {
                    for k in 0..D {
                        a[k] += b[k];
                    }
                    a
                },
            )
    }

    /// Converts integer tables to field tables (only for the `τ_0 = 0` fallback).
    fn densify(&mut self) {
        if !self.small.is_empty() {
            self.tables = std::mem::take(&mut self.small)
                .into_iter()
                .map(|t| t.into_iter().map(|v| v.to_field()).collect())
                .collect();
        }
    }

    /// Applies the pending challenge (if any) and returns
    /// `[q(0), q(2), …, q(D−1), q(∞)]` (or `[q(0)]` for `D = 1`) of the current round.
    fn quotient_evals<const D: usize>(&mut self) -> [Fr; D] {
        let e_in = self.split.e_in();
        let e_out = self.split.e_out();
        let m_in = e_in.len().trailing_zeros() as usize;
        // Entries of the current (bound) tables per x_out block.
        let block = 2usize << m_in;
        let zero = [Fr::zero(); D];
        let add = |mut a: [Fr; D], b: [Fr; D]| {
            for k in 0..D {
                a[k] += b[k];
            }
            a
        };
        match self.pending.take() {
            None => {
                let tables: [&[Fr]; D] = std::array::from_fn(|k| self.tables[k].as_slice());
                let block_sum = |xo: usize| -> [Fr; D] {
                    let mut acc = zero;
                    for (xi, ei) in e_in.iter().enumerate() {
                        let i0 = xo * block + 2 * xi;
                        let lo: [Fr; D] = std::array::from_fn(|k| tables[k][i0]);
                        let slope: [Fr; D] = std::array::from_fn(|k| tables[k][i0 + 1] - lo[k]);
                        let vals = pair_products::<D>(&lo, &slope);
                        for k in 0..D {
                            acc[k] += *ei * vals[k];
                        }
                    }
                    acc.map(|v| v * e_out[xo])
                };
                (0..e_out.len())
                    .into_par_iter()
                    .map(block_sum)
                    .reduce(|| zero, add)
            }
            Some(r) => {
                // Bind the old tables (twice the length) into the spare buffers while summing.
                let new_len = self.tables[0].len() / 2;
                let mut outs: Vec<Vec<Fr>> = std::mem::take(&mut self.spare);
                for o in outs.iter_mut() {
                    o.clear();
                    o.resize(new_len, Fr::zero());
                }
                let olds: [&[Fr]; D] = std::array::from_fn(|k| self.tables[k].as_slice());
                // Per x_out block: the D output chunks, transposed for rayon.
                let mut chunks: Vec<Vec<&mut [Fr]>> =
                    (0..e_out.len()).map(|_| Vec::new()).collect();
                for o in outs.iter_mut() {
                    for (xo, c) in o.chunks_mut(block).enumerate() {
                        chunks[xo].push(c);
                    }
                }
                let result = chunks
                    .into_par_iter()
                    .enumerate()
                    .map(|(xo, mut out)| {
                        let mut acc = zero;
                        let base = 2 * xo * block;
                        for (xi, ei) in e_in.iter().enumerate() {
                            let j = base + 4 * xi;
                            let mut lo = [Fr::zero(); D];
                            let mut slope = [Fr::zero(); D];
                            for k in 0..D {
                                let t = olds[k];
                                let a = t[j] + r * (t[j + 1] - t[j]);
                                let b = t[j + 2] + r * (t[j + 3] - t[j + 2]);
                                out[k][2 * xi] = a;
                                out[k][2 * xi + 1] = b;
                                lo[k] = a;
                                slope[k] = b - a;
                            }
                            let vals = pair_products::<D>(&lo, &slope);
                            for k in 0..D {
                                acc[k] += *ei * vals[k];
                            }
                        }
                        acc.map(|v| v * e_out[xo])
                    })
                    .reduce(|| zero, add);
                // The new tables become current; the old ones are the next spares.
                self.spare = std::mem::replace(&mut self.tables, outs);
                result
            }
        }
    }

    /// Applies a pending challenge to the tables (needed only when reading values).
    fn flush(&mut self) {
        if let Some(r) = self.pending.take() {
            for t in self.tables.iter_mut() {
                let mut p = DenseMultilinear::new(std::mem::take(t));
                p.bind(r, BindingOrder::LowToHigh);
                *t = p.into_evals();
            }
        }
    }

    /// `q(1) = Σ eq(τ_{>j}, x')·Π_k hi_k`, computed directly: only needed when the claim
    /// cannot give it (`τ_j = 0` or `C_j = 0`).
    fn quotient_at_one_direct(&mut self) -> Fr {
        self.densify();
        self.flush();
        let e_in = self.split.e_in();
        let e_out = self.split.e_out();
        let m_in = e_in.len().trailing_zeros() as usize;
        let tables = &self.tables;
        e_out
            .par_iter()
            .enumerate()
            .map(|(xo, eo)| {
                let mut inner = Fr::zero();
                for (xi, ei) in e_in.iter().enumerate() {
                    let i1 = 2 * (xi + (xo << m_in)) + 1;
                    let prod = tables[1..].iter().fold(tables[0][i1], |a, t| a * t[i1]);
                    inner += *ei * prod;
                }
                *eo * inner
            })
            .sum()
    }
}

/// Products of the factor lines at the kernel's points: `[Π lo]` for `D = 1`,
/// `[Π lo, Π slope]` for `D = 2`, `[Π lo, Π (lo + 2·slope), Π slope]` for `D = 3`.
#[inline(always)]
fn pair_products<const D: usize>(lo: &[Fr; D], slope: &[Fr; D]) -> [Fr; D] {
    let mut out = [Fr::zero(); D];
    match D {
        1 => out[0] = lo[0],
        2 => {
            out[0] = lo[0] * lo[1];
            out[1] = slope[0] * slope[1];
        }
        _ => {
            out[0] = lo[0] * lo[1] * lo[2];
            let at2 = |k: usize| lo[k] + slope[k] + slope[k];
            out[1] = at2(0) * at2(1) * at2(2);
            out[2] = slope[0] * slope[1] * slope[2];
        }
    }
    out
}

impl SumcheckInstanceProver for EqProductProver {
    fn degree(&self) -> usize {
        self.num_factors + 1
    }

    fn num_rounds(&self) -> usize {
        self.num_rounds
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "EqProductProver::compute_round_poly")]
    fn compute_round_poly(&mut self, _round: usize, previous_claim: Fr) -> UniPoly {
        let d = self.num_factors;
        let small = !self.small.is_empty();
        // `finite` = [q(0), q(2), …, q(D−1)], `lead` = q(∞) (for D ≥ 2).
        let (finite, lead): (Vec<Fr>, Option<Fr>) = match (d, small) {
            (1, true) => (self.quotient_evals_small::<1>().to_vec(), None),
            (1, false) => (self.quotient_evals::<1>().to_vec(), None),
            (2, _) => {
                let e = if small {
                    self.quotient_evals_small::<2>()
                } else {
                    self.quotient_evals::<2>()
                };
                (vec![e[0]], Some(e[1]))
            }
            _ => {
                let e = if small {
                    self.quotient_evals_small::<3>()
                } else {
                    self.quotient_evals::<3>()
                };
                (vec![e[0], e[1]], Some(e[2]))
            }
        };
        let q1 = self
            .split
            .quotient_at_one(finite[0], previous_claim)
            .unwrap_or_else(|| self.quotient_at_one_direct());
        // Values at 0..D−1 of q(X) − lead·X^D, then interpolate and add lead·X^D back.
        let mut at = Vec::with_capacity(d);
        at.push(finite[0]);
        at.push(q1);
        at.extend_from_slice(&finite[1..]);
        let q = match lead {
            None => UniPoly::from_evals(&at),
            Some(c) => {
                let reduced: Vec<Fr> = at
                    .iter()
                    .enumerate()
                    .map(|(k, v)| *v - c * Fr::from(k as u64).pow_usize(d))
                    .collect();
                let mut coeffs = UniPoly::from_evals(&reduced).coeffs().to_vec();
                coeffs.resize(d + 1, Fr::zero());
                coeffs[d] += c;
                UniPoly::from_coeffs(coeffs)
            }
        };
        self.split.round_poly_from_quotient(&q)
    }

    #[tracing::instrument(skip_all, name = "EqProductProver::bind")]
    fn bind(&mut self, r: Fr, _round: usize) {
        // A challenge still pending means no round was computed since the last bind (a
        // driver bug, or a caller binding by hand): apply it before recording the new one.
        self.flush();
        self.split.bind(r);
        if self.small.is_empty() {
            self.pending = Some(r);
        } else {
            self.tables = std::mem::take(&mut self.small)
                .into_iter()
                .map(|t| {
                    CompactMultilinear::new(t, 0)
                        .bind(r, BindingOrder::LowToHigh)
                        .into_evals()
                })
                .collect();
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        if !self.small.is_empty() {
            // Zero rounds: the tables are single integers.
            return self.small.iter().map(|t| t[0].to_field()).collect();
        }
        self.tables
            .iter()
            .map(|t| match self.pending {
                Some(r) if t.len() == 2 => t[0] + r * (t[1] - t[0]),
                _ => t[0],
            })
            .collect()
    }
}

/// `x^k` for small `k`.
trait PowUsize {
    fn pow_usize(self, k: usize) -> Self;
}

impl PowUsize for Fr {
    fn pow_usize(self, k: usize) -> Fr {
        (0..k).fold(Fr::from(1u64), |acc, _| acc * self)
    }
}

/// Verifier of `Σ_x eq(τ, x)·Π_k p_k(x) = claim`: the output claims are the factor values
/// `p_k(r)`, and `g(r) = eq(τ, r)·Π_k p_k(r)`.
#[derive(Clone, Debug)]
pub struct EqProductVerifier {
    /// The eq point `τ` (one coordinate per round).
    pub tau: Vec<Fr>,
    /// The claimed sum.
    pub claim: Fr,
    /// Number of factors (1 to 3; the degree is one more).
    pub num_factors: usize,
}

impl SumcheckInstanceVerifier for EqProductVerifier {
    fn degree(&self) -> usize {
        self.num_factors + 1
    }

    fn num_rounds(&self) -> usize {
        self.tau.len()
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        self.num_factors
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        EqPolynomial::evaluate(&self.tau, point) * output_claims.iter().product::<Fr>()
    }
}
