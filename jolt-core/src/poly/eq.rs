//! The equality, successor and less-than polynomials, and the split eq table.
//!
//! For `x, y ∈ {0,1}^n` read as little-endian integers:
//!
//! ```text
//! eq(x, y)   = Π_j (x_j·y_j + (1 − x_j)(1 − y_j))                       [x = y]
//! eq+1(x, y) = Σ_k Π_{j<k} x_j(1 − y_j) · (1 − x_k)·y_k · Π_{j>k} eq(x_j, y_j)   [y = x + 1]
//! lt(x, y)   = Σ_k (1 − x_k)·y_k · Π_{j>k} eq(x_j, y_j)                   [x < y]
//! ```
//!
//! In `eq+1`, `k` is the lowest zero bit of `x` (the carry stops there); in `lt`, `k` is the
//! highest bit where `x` and `y` differ. Each formula is multilinear in each argument and
//! agrees with the bracketed predicate on the hypercube, so it *is* the multilinear extension,
//! and each is evaluated in `O(n)` with prefix/suffix products. (`eq+1` and `lt` are used by
//! Twist's Val-evaluation and read/write-checking sumchecks, ePrint 2025/105.)
//!
//! Tables (`2^n` entries, little-endian) are built one variable at a time with one field
//! multiplication per entry.
//!
//! [`SplitEq`] is the bookkeeping for sums `Σ_x eq(τ, x)·g(x)` bound low-to-high. At round `j`
//! (variables `x_0..x_{j−1}` bound to `r_0..r_{j−1}`) the round polynomial factors as
//!
//! ```text
//! s_j(X) = C_j · l_j(X) · q_j(X),   C_j = Π_{k<j} eq(τ_k, r_k),   l_j(X) = eq(τ_j, X),
//! q_j(X) = Σ_{x'} eq(τ_{>j}, x') · g(r_{<j}, X, x'),
//! ```
//!
//! (Gruen, ePrint 2024/108): the prover only computes `q_j`, one degree lower than `s_j`, and
//! `eq(τ_{>j}, x')` is stored as two tables over the low and the high half of the remaining
//! variables, `E_in(x'_lo)·E_out(x'_hi)`, of about `2^{(n−j)/2}` entries each, instead of one
//! table of `2^{n−j}` (Dao–Thaler, ePrint 2024/1210).

use super::unipoly::UniPoly;
use super::PAR_THRESHOLD;
use crate::field::Fr;
use ark_ff::{One, Zero};
use rayon::prelude::*;

/// The equality polynomial `eq(x, y) = [x = y]`.
pub struct EqPolynomial;

impl EqPolynomial {
    /// `eq(x, y)` for two points of equal length, in `O(n)`.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn evaluate(x: &[Fr], y: &[Fr]) -> Fr {
        assert_eq!(x.len(), y.len(), "eq of points of different lengths");
        x.iter()
            .zip(y)
            .map(|(a, b)| {
                let ab = *a * b;
                Fr::one() - a - b + ab + ab
            })
            .product()
    }

    /// The table `E[i] = eq(r, bits(i))` (little-endian), `2^r.len()` entries.
    pub fn evals(r: &[Fr]) -> Vec<Fr> {
        Self::evals_scaled(r, Fr::one())
    }

    /// The table `E[i] = scale · eq(r, bits(i))`.
    pub fn evals_scaled(r: &[Fr], scale: Fr) -> Vec<Fr> {
        let mut table = Vec::with_capacity(1 << r.len());
        table.push(scale);
        for &rj in r {
            let len = table.len();
            // New top variable x_j: upper half = E·r_j, lower half = E·(1 − r_j) = E − upper.
            table.resize(2 * len, Fr::zero());
            let (lo, hi) = table.split_at_mut(len);
            if len >= PAR_THRESHOLD {
                lo.par_iter_mut().zip(hi.par_iter_mut()).for_each(|(l, h)| {
                    *h = *l * rj;
                    *l -= *h;
                });
            } else {
                for (l, h) in lo.iter_mut().zip(hi.iter_mut()) {
                    *h = *l * rj;
                    *l -= *h;
                }
            }
        }
        table
    }

    /// The linear factor `eq(τ, X) = (1 − τ) + (2τ − 1)·X` as a univariate polynomial.
    pub fn linear_factor(tau: Fr) -> UniPoly {
        UniPoly::from_coeffs(vec![Fr::one() - tau, tau + tau - Fr::one()])
    }
}

/// The successor polynomial `eq+1(x, y) = [y = x + 1]` (no wrap-around: `x = 2^n − 1` has no
/// successor).
pub struct EqPlusOnePolynomial;

impl EqPlusOnePolynomial {
    /// `eq+1(x, y)` in `O(n)`.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn evaluate(x: &[Fr], y: &[Fr]) -> Fr {
        assert_eq!(x.len(), y.len(), "eq+1 of points of different lengths");
        let n = x.len();
        // suffix[k] = Π_{j ≥ k} eq(x_j, y_j).
        let mut suffix = vec![Fr::one(); n + 1];
        for j in (0..n).rev() {
            let ab = x[j] * y[j];
            suffix[j] = suffix[j + 1] * (Fr::one() - x[j] - y[j] + ab + ab);
        }
        let mut prefix = Fr::one(); // Π_{j<k} x_j(1 − y_j)
        let mut sum = Fr::zero();
        for k in 0..n {
            sum += prefix * (Fr::one() - x[k]) * y[k] * suffix[k + 1];
            prefix *= x[k] * (Fr::one() - y[k]);
        }
        sum
    }

    /// The table over the successor: `T[y] = eq+1(r, y)` = `eq(r, y − 1)` for `y ≥ 1`, `0` at
    /// `y = 0`.
    pub fn evals(r: &[Fr]) -> Vec<Fr> {
        let eq = EqPolynomial::evals(r);
        let mut table = Vec::with_capacity(eq.len());
        table.push(Fr::zero());
        table.extend_from_slice(&eq[..eq.len() - 1]);
        table
    }

    /// The table over the predecessor: `T[x] = eq+1(x, r)` = `eq(x + 1, r)` for
    /// `x < 2^n − 1`, `0` at `x = 2^n − 1`.
    pub fn evals_of_predecessor(r: &[Fr]) -> Vec<Fr> {
        let eq = EqPolynomial::evals(r);
        let mut table = Vec::with_capacity(eq.len());
        table.extend_from_slice(&eq[1..]);
        table.push(Fr::zero());
        table
    }
}

/// The less-than polynomial `lt(x, y) = [x < y]`.
pub struct LtPolynomial;

impl LtPolynomial {
    /// `lt(x, y)` in `O(n)`.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn evaluate(x: &[Fr], y: &[Fr]) -> Fr {
        assert_eq!(x.len(), y.len(), "lt of points of different lengths");
        // Scan from the top bit: acc = Σ over k ≥ j, eqs = Π_{i ≥ j} eq(x_i, y_i).
        let mut acc = Fr::zero();
        let mut eqs = Fr::one();
        for j in (0..x.len()).rev() {
            acc += eqs * (Fr::one() - x[j]) * y[j];
            let ab = x[j] * y[j];
            eqs *= Fr::one() - x[j] - y[j] + ab + ab;
        }
        acc
    }

    /// The table `T[x] = lt(x, r)`: the weight of the hypercube points below `r`.
    pub fn evals_below(r: &[Fr]) -> Vec<Fr> {
        // lt(x, r) over bits 0..=k = (1 − x_k)·r_k + eq(x_k, r_k)·lt(x_{<k}, r_{<k}).
        let mut table = Vec::with_capacity(1 << r.len());
        table.push(Fr::zero());
        for &rk in r {
            let len = table.len();
            table.resize(2 * len, Fr::zero());
            let (lo, hi) = table.split_at_mut(len);
            for (l, h) in lo.iter_mut().zip(hi.iter_mut()) {
                *h = rk * *l; // x_k = 1
                *l = rk + *l - *h; // x_k = 0: r_k + (1 − r_k)·T
            }
        }
        table
    }

    /// The table `T[x] = lt(r, x)`: the weight of the hypercube points above `r`.
    pub fn evals_above(r: &[Fr]) -> Vec<Fr> {
        // lt(r, x) over bits 0..=k = (1 − r_k)·x_k + eq(r_k, x_k)·lt(r_{<k}, x_{<k}).
        let mut table = Vec::with_capacity(1 << r.len());
        table.push(Fr::zero());
        for &rk in r {
            let len = table.len();
            table.resize(2 * len, Fr::zero());
            let one_minus = Fr::one() - rk;
            let (lo, hi) = table.split_at_mut(len);
            for (l, h) in lo.iter_mut().zip(hi.iter_mut()) {
                *h = one_minus + rk * *l; // x_k = 1
                *l *= one_minus; // x_k = 0
            }
        }
        table
    }
}

/// The split eq table of a sum `Σ_x eq(τ, x)·g(x)` bound low-to-high (see the module docs).
#[derive(Clone, Debug)]
pub struct SplitEq {
    tau: Vec<Fr>,
    bound: usize,
    scalar: Fr,
    e_in: Vec<Fr>,
    e_out: Vec<Fr>,
}

impl SplitEq {
    /// The split table for `eq(τ, ·)`, nothing bound yet.
    pub fn new(tau: &[Fr]) -> Self {
        let mut s = SplitEq {
            tau: tau.to_vec(),
            bound: 0,
            scalar: Fr::one(),
            e_in: vec![Fr::one()],
            e_out: vec![Fr::one()],
        };
        if !tau.is_empty() {
            s.rebuild_tables();
        }
        s
    }

    /// Number of variables not yet bound.
    pub fn num_unbound(&self) -> usize {
        self.tau.len() - self.bound
    }

    /// `τ_j` of the variable bound in the current round `j`.
    ///
    /// # Panics
    /// If every variable is bound.
    pub fn current_tau(&self) -> Fr {
        self.tau[self.bound]
    }

    /// `C_j = Π_{k<j} eq(τ_k, r_k)`.
    pub fn scalar(&self) -> Fr {
        self.scalar
    }

    /// `E_in`, over the low `⌈m/2⌉` of the `m` variables after the current one.
    pub fn e_in(&self) -> &[Fr] {
        &self.e_in
    }

    /// `E_out`, over the high `⌊m/2⌋` of the `m` variables after the current one.
    pub fn e_out(&self) -> &[Fr] {
        &self.e_out
    }

    /// Binds the current variable to `r`.
    pub fn bind(&mut self, r: Fr) {
        let t = self.current_tau();
        let tr = t * r;
        self.scalar *= Fr::one() - t - r + tr + tr;
        self.bound += 1;
        if self.bound < self.tau.len() {
            self.rebuild_tables();
        }
    }

    /// `s_j(X) = C_j · eq(τ_j, X) · q(X)` from `q = q_j` (Gruen's factorisation).
    pub fn round_poly_from_quotient(&self, q: &UniPoly) -> UniPoly {
        EqPolynomial::linear_factor(self.current_tau()).mul(&q.scale(self.scalar))
    }

    /// `q_j(1)` from `q_j(0)` and the round claim `s_j(0) + s_j(1)`, or `None` when
    /// `τ_j = 0` or `C_j = 0` (then `s_j(1)` carries no information on `q_j(1)`).
    pub fn quotient_at_one(&self, q0: Fr, claim: Fr) -> Option<Fr> {
        use ark_ff::Field;
        let t = self.current_tau();
        let denom = (self.scalar * t).inverse()?;
        // claim = C·((1 − τ)·q(0) + τ·q(1)).
        Some((claim - self.scalar * (Fr::one() - t) * q0) * denom)
    }

    /// Rebuilds `E_in`, `E_out` for the variables after the current one.
    fn rebuild_tables(&mut self) {
        let rest = &self.tau[self.bound + 1..];
        let m_in = rest.len().div_ceil(2);
        self.e_in = EqPolynomial::evals(&rest[..m_in]);
        self.e_out = EqPolynomial::evals(&rest[m_in..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn bits(i: usize, n: usize) -> Vec<Fr> {
        (0..n).map(|j| Fr::from(((i >> j) & 1) as u64)).collect()
    }

    #[test]
    fn predicates_on_hypercube() {
        let n = 4;
        for x in 0..16usize {
            for y in 0..16usize {
                let (bx, by) = (bits(x, n), bits(y, n));
                let b = |c: bool| if c { Fr::one() } else { Fr::zero() };
                assert_eq!(EqPolynomial::evaluate(&bx, &by), b(x == y));
                assert_eq!(EqPlusOnePolynomial::evaluate(&bx, &by), b(y == x + 1));
                assert_eq!(LtPolynomial::evaluate(&bx, &by), b(x < y), "{x} < {y}");
            }
        }
    }

    #[test]
    fn tables_match_evaluations_at_random_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(30);
        for n in [0usize, 1, 2, 5, 9] {
            let r: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let eq = EqPolynomial::evals(&r);
            let eq1 = EqPlusOnePolynomial::evals(&r);
            let eq1p = EqPlusOnePolynomial::evals_of_predecessor(&r);
            let below = LtPolynomial::evals_below(&r);
            let above = LtPolynomial::evals_above(&r);
            assert_eq!(eq.len(), 1 << n);
            for i in 0..1usize << n {
                let bi = bits(i, n);
                assert_eq!(eq[i], EqPolynomial::evaluate(&r, &bi));
                assert_eq!(eq1[i], EqPlusOnePolynomial::evaluate(&r, &bi));
                assert_eq!(eq1p[i], EqPlusOnePolynomial::evaluate(&bi, &r));
                assert_eq!(below[i], LtPolynomial::evaluate(&bi, &r));
                assert_eq!(above[i], LtPolynomial::evaluate(&r, &bi));
                // lt(x, r) + lt(r, x) + eq(x, r) = 1 as multilinear polynomials.
                assert_eq!(below[i] + above[i] + eq[i], Fr::one());
            }
            // The evaluations are multilinear in both arguments: compare to the MLE of the
            // table at a second random point.
            let s: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let mle = |t: &[Fr]| -> Fr {
                EqPolynomial::evals(&s)
                    .iter()
                    .zip(t)
                    .map(|(a, b)| *a * b)
                    .sum()
            };
            assert_eq!(mle(&eq1), EqPlusOnePolynomial::evaluate(&r, &s));
            assert_eq!(mle(&below), LtPolynomial::evaluate(&s, &r));
            assert_eq!(mle(&above), LtPolynomial::evaluate(&r, &s));
            let scaled = EqPolynomial::evals_scaled(&r, Fr::from(3u64));
            assert_eq!(scaled[0], eq[0] * Fr::from(3u64));
        }
    }

    #[test]
    fn split_eq_factorisation() {
        let mut rng = ChaCha20Rng::seed_from_u64(31);
        let n: usize = 7;
        let tau: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mut split = SplitEq::new(&tau);
        let mut rs = Vec::new();
        for j in 0..n {
            // eq(τ, (r_<j, b, x')) = C · eq(τ_j, b) · E_in(x'_lo) · E_out(x'_hi).
            let m = n - j - 1;
            let m_in = m.div_ceil(2);
            for b in 0..2usize {
                for xp in 0..1usize << m {
                    let mut point = rs.clone();
                    point.push(Fr::from(b as u64));
                    point.extend(bits(xp, m));
                    let lhs = EqPolynomial::evaluate(&tau, &point);
                    let lin = EqPolynomial::linear_factor(split.current_tau())
                        .evaluate(&Fr::from(b as u64));
                    let rhs = split.scalar()
                        * lin
                        * split.e_in()[xp & ((1 << m_in) - 1)]
                        * split.e_out()[xp >> m_in];
                    assert_eq!(lhs, rhs);
                }
            }
            let r = Fr::rand(&mut rng);
            rs.push(r);
            split.bind(r);
        }
        assert_eq!(split.scalar(), EqPolynomial::evaluate(&tau, &rs));
    }
}
