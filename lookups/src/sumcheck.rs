//! A generic prover for jolt-core's batched sumcheck: `Σ_x f(t_1(x), …, t_m(x))` for dense
//! multilinear tables `t_k` and a polynomial `f` of total degree `d`, bound low variable first.
//!
//! Shout and Twist hand their relations to [`jolt_core::sumcheck::BatchedSumcheck`]; their
//! provers run a sparse, relation-specific algorithm while the address variables are bound and
//! switch to a dense prover for the cycle variables, where every factor is a table of `T`
//! entries (`eq(r, j)`, `ra_i(r_address, j)`, `Inc(j)`, ...): [`DenseInstance`] for Twist, and
//! for the soundness tests, which run the honest algorithm on malformed witnesses.
//!
//! [`ProductInstance`] is the fast prover of the one shape that dominates Shout's cost, a weight
//! times a product of multilinears `Σ_x w(x)·c·Π_k f_k(x)` (the read-checking cycle rounds, degree
//! `d + 1` for `d` chunks): products of the factors' lines by a balanced tree with
//! finite-difference extension ([`product_tree`]), Gruen's factorization of an eq weight over split
//! eq tables, and factors read through small value tables before their first binds (one-hot
//! chunks, `IndexedTable`).

use ark_ff::{Field, Zero};
use jolt_core::field::{mul_u64, Fr};
use jolt_core::poly::{SplitEq, UniPoly};
use jolt_core::sumcheck::SumcheckInstanceProver;
use rayon::prelude::*;
use std::borrow::Cow;

/// `Σ_x f(t_1(x), …, t_m(x))` for dense multilinear tables `t_i` and a polynomial `f` of total
/// degree `degree`: the generic prover (tables bound low variable first).
pub struct DenseInstance<'a> {
    tables: Vec<Vec<Fr>>,
    degree: usize,
    claim: Fr,
    combine: Box<dyn Fn(&[Fr]) -> Fr + Send + Sync + 'a>,
    outputs: Vec<usize>,
}

impl<'a> DenseInstance<'a> {
    /// The instance for `tables` (all of the same power-of-two length) and `combine`; the claim
    /// is computed (one pass over the tables).
    #[tracing::instrument(skip_all, name = "dense::new")]
    pub fn new(
        tables: Vec<Vec<Fr>>,
        degree: usize,
        combine: impl Fn(&[Fr]) -> Fr + Send + Sync + 'a,
    ) -> Self {
        let mut instance = Self::with_known_claim(tables, degree, Fr::zero(), combine);
        let tables = &instance.tables;
        let combine = &instance.combine;
        let len = tables.first().map_or(1, Vec::len);
        instance.claim = (0..len)
            .into_par_iter()
            .map_init(
                || vec![Fr::zero(); tables.len()],
                |buf, i| {
                    for (b, t) in buf.iter_mut().zip(tables) {
                        *b = t[i];
                    }
                    combine(buf)
                },
            )
            .sum();
        instance
    }

    /// The instance with a claim the caller already knows: the input claim of a relation, or,
    /// for the dense phase of a larger instance, anything (the batched driver passes the
    /// running claim to every round).
    pub fn with_known_claim(
        tables: Vec<Vec<Fr>>,
        degree: usize,
        claim: Fr,
        combine: impl Fn(&[Fr]) -> Fr + Send + Sync + 'a,
    ) -> Self {
        let len = tables.first().map_or(1, Vec::len);
        debug_assert!(tables.iter().all(|t| t.len() == len) && len.is_power_of_two());
        let outputs = (0..tables.len()).collect();
        Self {
            tables,
            degree,
            claim,
            combine: Box::new(combine),
            outputs,
        }
    }

    /// Replaces the computed claim (a dishonest prover's claim, in tests).
    pub fn with_claim(mut self, claim: Fr) -> Self {
        self.claim = claim;
        self
    }

    /// Reports only the final values of the tables at `outputs` as output claims (by default
    /// every table's).
    pub fn with_outputs(mut self, outputs: Vec<usize>) -> Self {
        self.outputs = outputs;
        self
    }

    /// The instance's tables (fully bound ones have a single entry).
    pub fn tables(&self) -> &[Vec<Fr>] {
        &self.tables
    }
}

impl SumcheckInstanceProver for DenseInstance<'_> {
    fn num_rounds(&self) -> usize {
        self.tables
            .first()
            .map_or(0, |t| t.len().trailing_zeros() as usize)
    }

    fn degree(&self) -> usize {
        self.degree
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "dense::round")]
    fn compute_round_poly(&mut self, _round: usize, claim: Fr) -> UniPoly {
        let half = self.tables[0].len() / 2;
        let m = self.tables.len();
        let d = self.degree;
        let tables = &self.tables;
        let combine = &self.combine;
        // acc[0] = s(0), acc[x − 1] = s(x) for x ≥ 2.
        let acc = (0..half)
            .into_par_iter()
            .fold(
                || {
                    (
                        vec![Fr::zero(); d],
                        vec![Fr::zero(); m],
                        vec![Fr::zero(); m],
                    )
                },
                |(mut acc, mut cur, mut diff), i| {
                    for t in 0..m {
                        cur[t] = tables[t][2 * i];
                        diff[t] = tables[t][2 * i + 1] - cur[t];
                    }
                    acc[0] += combine(&cur);
                    for t in 0..m {
                        cur[t] += diff[t] + diff[t];
                    }
                    for x in 2..=d {
                        acc[x - 1] += combine(&cur);
                        if x < d {
                            for t in 0..m {
                                cur[t] += diff[t];
                            }
                        }
                    }
                    (acc, cur, diff)
                },
            )
            .map(|(acc, _, _)| acc)
            .reduce(
                || vec![Fr::zero(); d],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        let mut evals = Vec::with_capacity(d + 1);
        evals.push(acc[0]);
        evals.push(claim - acc[0]);
        evals.extend_from_slice(&acc[1..]);
        UniPoly::from_evals(&evals)
    }

    #[tracing::instrument(skip_all, name = "dense::bind")]
    fn bind(&mut self, r: Fr, _round: usize) {
        // Several tables: one thread per table, in place; a single table: split it.
        if self.tables.len() >= rayon::current_num_threads() {
            self.tables
                .par_iter_mut()
                .for_each(|t| crate::poly::bind_low_in_place(t, r));
        } else {
            for t in &mut self.tables {
                crate::poly::bind_low(t, r);
            }
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.outputs.iter().map(|i| self.tables[*i][0]).collect()
    }
}

/// A leaf of a product tree ([`product_tree`]): the product of one or two linear factors, as
/// its values at `0..deg` followed by its leading coefficient (`vals[deg]`).
#[derive(Clone, Copy, Debug)]
pub struct Leaf {
    /// Values at `0..deg`, then the leading coefficient.
    pub vals: [Fr; 3],
    /// 1 or 2.
    pub deg: usize,
}

impl Leaf {
    /// The line `lo + X·slope`.
    #[inline]
    pub fn linear(lo: Fr, slope: Fr) -> Self {
        Self {
            vals: [lo, slope, Fr::zero()],
            deg: 1,
        }
    }

    /// `(lo_a + X·(hi_a − lo_a))·(lo_b + X·(hi_b − lo_b))`.
    #[inline]
    pub fn pair(lo_a: Fr, hi_a: Fr, lo_b: Fr, hi_b: Fr) -> Self {
        Self {
            vals: [lo_a * lo_b, hi_a * hi_b, (hi_a - lo_a) * (hi_b - lo_b)],
            deg: 2,
        }
    }

    /// The leaf's value at 1.
    #[inline]
    fn at_one(&self) -> Fr {
        match self.deg {
            1 => self.vals[0] + self.vals[1],
            _ => self.vals[1],
        }
    }

    /// Multiplies the leaf by a constant.
    #[inline]
    fn scale(&mut self, c: Fr) {
        for v in &mut self.vals[..=self.deg] {
            *v *= c;
        }
    }
}

/// Scratch entries [`product_tree`] needs for a product of total degree `d`.
pub fn product_scratch_len(d: usize) -> usize {
    4 * d + 16 * (usize::BITS - d.leading_zeros() + 2) as usize
}

/// The product of the leaves (total degree `d`): its values at `0..d` into `out[..d]` (except
/// at 1 if `skip_one`) and its leading coefficient into `out[d]`; returns `d`.
///
/// The leaves are multiplied in a balanced tree (as Jolt's product of linear factors): each
/// sub-product of degree `h` is evaluated at `h` points plus its leading coefficient, then
/// extended to the points its parent needs by finite differences (additions only). Eight
/// linear factors (four pair leaves of three multiplications each) cost 12 + 10 + 9
/// multiplications instead of the 63 of evaluating every point separately. `scratch` must hold
/// [`product_scratch_len`]`(d)` entries.
pub fn product_tree(leaves: &[Leaf], out: &mut [Fr], scratch: &mut [Fr], skip_one: bool) -> usize {
    if let [leaf] = leaves {
        out[..=leaf.deg].copy_from_slice(&leaf.vals[..=leaf.deg]);
        return leaf.deg;
    }
    let d: usize = leaves.iter().map(|l| l.deg).sum();
    let h = leaves.len() / 2;
    let (left, rest) = scratch.split_at_mut(d + 1);
    let (right, rest) = rest.split_at_mut(d + 1);
    let dl = product_tree(&leaves[..h], left, rest, false);
    let lead_left = left[dl];
    extend_evals(&mut left[..d], dl, lead_left, rest);
    let dr = product_tree(&leaves[h..], right, rest, false);
    let lead_right = right[dr];
    extend_evals(&mut right[..d], dr, lead_right, rest);
    for (x, ((o, a), b)) in out[..d]
        .iter_mut()
        .zip(&left[..d])
        .zip(&right[..d])
        .enumerate()
    {
        if !(skip_one && x == 1) {
            *o = *a * b;
        }
    }
    out[d] = lead_left * lead_right;
    d
}

/// `Π_{k<m} (lo_k + X·slope_k)` at `X = 0, 1, …, m − 1` into `out[..m]` and its leading
/// coefficient `Π_k slope_k` into `out[m]`, for `m = lo.len() ≥ 1` linear factors (paired into
/// leaves, then [`product_tree`]). `scratch` must hold [`product_scratch_len`]`(m)` entries.
pub fn linear_product(lo: &[Fr], slope: &[Fr], out: &mut [Fr], scratch: &mut [Fr]) {
    let leaves: Vec<Leaf> = (0..lo.len())
        .step_by(2)
        .map(|k| match lo.get(k + 1) {
            Some(l1) => Leaf::pair(lo[k], lo[k] + slope[k], *l1, *l1 + slope[k + 1]),
            None => Leaf::linear(lo[k], slope[k]),
        })
        .collect();
    product_tree(&leaves, out, scratch, false);
}

/// Extends the values `vals[..deg]` at `0..deg` of a polynomial of degree `deg` with leading
/// coefficient `lead` to the whole of `vals` (points `0..vals.len()`), by finite differences.
/// `diffs` must hold `deg` entries.
#[inline]
fn extend_evals(vals: &mut [Fr], deg: usize, lead: Fr, diffs: &mut [Fr]) {
    let n = vals.len();
    if n <= deg {
        return;
    }
    match deg {
        1 => {
            for x in 1..n {
                vals[x] = vals[x - 1] + lead;
            }
        }
        2 => {
            // Second difference 2·lead.
            let top = lead + lead;
            let mut diff = vals[1] - vals[0];
            for x in 2..n {
                diff += top;
                vals[x] = vals[x - 1] + diff;
            }
        }
        4 => {
            // Fourth difference 24·lead, unrolled.
            let top = mul_u64(&lead, 24);
            let (d1, d2, d3) = (vals[1] - vals[0], vals[2] - vals[1], vals[3] - vals[2]);
            let (dd2, mut dd3) = (d2 - d1, d3 - d2);
            let mut ddd = dd3 - dd2;
            let (mut d, mut v) = (d3, vals[3]);
            for x in &mut vals[4..] {
                ddd += top;
                dd3 += ddd;
                d += dd3;
                v += d;
                *x = v;
            }
        }
        _ => {
            let top = if deg <= 20 {
                mul_u64(&lead, (1..=deg as u64).product())
            } else {
                (1..=deg as u64).fold(lead, |acc, i| mul_u64(&acc, i))
            };
            // e[deg − 1 − k] = ∇^k v_{deg−1} (backward differences at the last known point).
            let e = &mut diffs[..deg];
            e.copy_from_slice(&vals[..deg]);
            for k in 1..deg {
                for i in 0..deg - k {
                    e[i] = e[i + 1] - e[i];
                }
            }
            for v in &mut vals[deg..] {
                e[0] += top;
                for i in 1..deg {
                    let prev = e[i - 1];
                    e[i] += prev;
                }
                *v = e[deg - 1];
            }
        }
    }
}

/// The polynomial of degree `≤ at.len()` with values `at[x]` at `x = 0..at.len()` and leading
/// coefficient (of `X^{at.len()}`) `lead`.
pub fn poly_from_evals_and_lead(at: &[Fr], lead: Fr) -> UniPoly {
    let d = at.len();
    let reduced: Vec<Fr> = at
        .iter()
        .enumerate()
        .map(|(k, v)| *v - lead * Fr::from(k as u64).pow([d as u64]))
        .collect();
    let mut coeffs = UniPoly::from_evals(&reduced).coeffs().to_vec();
    coeffs.resize(d + 1, Fr::zero());
    coeffs[d] += lead;
    UniPoly::from_coeffs(coeffs)
}

/// The weight `w(x)` of a [`ProductInstance`].
pub enum Weight {
    /// `eq(τ, x)`, as split eq tables: the round polynomial is `C·eq(τ_j, X)·q(X)` (Gruen,
    /// ePrint 2024/108) and only `q`, one degree lower, is computed.
    Eq(SplitEq),
    /// Any table, multiplied in as one more linear factor.
    Dense(Vec<Fr>),
}

/// Largest table of value pairs (products in a round, bound values in a bind) built for
/// indexed tables.
pub(crate) const PAIR_TABLE_MAX: usize = 1 << 12;

/// A multilinear table `x ↦ values[e(x)]` over a small table of values, read through an index
/// per entry: `e(x) = indices[x]`, or, once bound, `e(x) = indices[2x]·radix + indices[2x + 1]`
/// over the table of bound value pairs (the one-hot chunks: `ra(ρ, j) = eq(ρ, chunk(j))`). The
/// first two rounds then read cached values and the first bind costs one multiplication per
/// pair of distinct values instead of one per entry.
pub(crate) struct IndexedTable<'a> {
    indices: Cow<'a, [u32]>,
    /// The values (`radix` of them before the first bind, `radix²` after).
    pub(crate) values: Vec<Fr>,
    radix: usize,
    /// Indices per entry: 1, or 2 once bound.
    group: usize,
}

impl<'a> IndexedTable<'a> {
    /// The table `x ↦ values[indices[x]]` (every index below `values.len()`).
    pub(crate) fn new(indices: Cow<'a, [u32]>, values: Vec<Fr>) -> Self {
        Self {
            indices,
            radix: values.len(),
            values,
            group: 1,
        }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.indices.len() / self.group
    }

    /// The position in `values` of entry `x`.
    #[inline]
    pub(crate) fn entry(&self, x: usize) -> usize {
        if self.group == 1 {
            self.indices[x] as usize
        } else {
            self.indices[2 * x] as usize * self.radix + self.indices[2 * x + 1] as usize
        }
    }

    /// Entry `x`.
    #[inline]
    pub(crate) fn value(&self, x: usize) -> Fr {
        self.values[self.entry(x)]
    }

    /// Whether [`Self::bind`] keeps the table indexed.
    pub(crate) fn binds_to_pairs(&self) -> bool {
        self.group == 1 && self.values.len() * self.values.len() <= PAIR_TABLE_MAX
    }

    /// Binds the lowest variable to `r`: over the table of value pairs if
    /// [`Self::binds_to_pairs`], else densely.
    pub(crate) fn bind(self, r: Fr) -> Result<IndexedTable<'a>, Vec<Fr>> {
        if self.binds_to_pairs() {
            let k = self.values.len();
            let values = (0..k * k)
                .map(|ab| {
                    let (a, b) = (self.values[ab / k], self.values[ab % k]);
                    a + r * (b - a)
                })
                .collect();
            Ok(IndexedTable {
                indices: self.indices,
                values,
                radix: k,
                group: 2,
            })
        } else {
            Err(self.bind_dense(r))
        }
    }

    /// Binds the lowest variable to `r` into a dense table.
    pub(crate) fn bind_dense(&self, r: Fr) -> Vec<Fr> {
        (0..self.len() / 2)
            .into_par_iter()
            .with_min_len(1 << 10)
            .map(|j| {
                let (a, b) = (self.value(2 * j), self.value(2 * j + 1));
                a + r * (b - a)
            })
            .collect()
    }
}

/// Binds a list of indexed tables: all stay indexed if they all can, else all become dense.
pub(crate) fn bind_all_indexed<'a>(
    tables: Vec<IndexedTable<'a>>,
    r: Fr,
) -> Result<Vec<IndexedTable<'a>>, Vec<Vec<Fr>>> {
    if tables.iter().all(IndexedTable::binds_to_pairs) {
        Ok(tables
            .into_iter()
            .map(|t| t.bind(r).unwrap_or_else(|_| unreachable!("checked")))
            .collect())
    } else {
        Err(tables.iter().map(|t| t.bind_dense(r)).collect())
    }
}

/// Binds dense tables in place (in parallel over the tables, or within each).
pub(crate) fn bind_all_dense(tables: &mut [Vec<Fr>], r: Fr) {
    if tables.len() >= rayon::current_num_threads() {
        tables
            .par_iter_mut()
            .for_each(|t| crate::poly::bind_low_in_place(t, r));
    } else {
        for t in tables.iter_mut() {
            crate::poly::bind_low(t, r);
        }
    }
}

/// The factor tables of a [`ProductInstance`].
enum Factors<'a> {
    /// Indexed tables (first rounds).
    Indexed(Vec<IndexedTable<'a>>),
    /// Dense tables.
    Dense(Vec<Vec<Fr>>),
}

/// Per-thread buffers of a [`ProductInstance`] round.
struct PairBuffers {
    leaves: Vec<Leaf>,
    out: Vec<Fr>,
    scratch: Vec<Fr>,
}

impl PairBuffers {
    fn new(m: usize) -> Self {
        Self {
            leaves: vec![Leaf::linear(Fr::zero(), Fr::zero()); m.div_ceil(2) + 1],
            out: vec![Fr::zero(); m + 1],
            scratch: vec![Fr::zero(); product_scratch_len(m)],
        }
    }
}

/// Pairs per parallel task when there is no split eq table to follow.
const DENSE_BLOCK: usize = 1 << 10;

/// `Σ_x w(x)·c·Π_k f_k(x)` for multilinear factors `f_k` (bound low variable first), a weight
/// `w` that is either `eq(τ, ·)` or a dense table, and a constant `c`: the cycle phase of
/// Shout's read-checking + RAF sum (`w = eq(r_cycle, ·)`, `f_k = ra_k(ρ_k, ·)`,
/// `c = Val~(ρ) + γ·Op~(ρ)`).
///
/// A round evaluates, per pair of entries, the product of the factors' lines: consecutive
/// factors are multiplied into degree-2 leaves, and the leaves by [`product_tree`]. With an eq
/// weight the round polynomial is `C·eq(τ_j, X)·q(X)` and only `q` is summed, weighted by the
/// split tables `E_in(x'_lo)·E_out(x'_hi)` ([`SplitEq`]; `E_in` is folded into the first
/// leaf); a dense weight enters the product as one more linear leaf. Factors may start as small
/// value tables read through an index per entry (the one-hot chunks: `ra_k(ρ_k, j) =
/// eq(ρ_k, chunk_k(j))`): the first round then reads the values of each leaf at 0 and 1 from a
/// table of products of value pairs, and the first bind costs one multiplication per pair of
/// distinct values.
pub struct ProductInstance<'a> {
    weight: Weight,
    scale: Fr,
    factors: Factors<'a>,
    claim: Fr,
}

/// `values[a][x]·values[b][y]` for every leaf `(a, b)` of indexed factors, when small enough.
type PairProducts = Vec<Option<Vec<Fr>>>;

impl<'a> ProductInstance<'a> {
    /// The instance over indexed factors `x ↦ values[k][indices[k][x]]` (every index list of
    /// the same power-of-two length, every index below its value table's length).
    ///
    /// # Panics
    /// If there is no factor, or an eq weight's point or a dense weight's length does not match
    /// the factors.
    pub fn indexed(
        weight: Weight,
        scale: Fr,
        indices: Vec<Cow<'a, [u32]>>,
        values: Vec<Vec<Fr>>,
    ) -> Self {
        assert_eq!(
            indices.len(),
            values.len(),
            "one value table per index list"
        );
        Self::checked(
            weight,
            scale,
            Factors::Indexed(
                indices
                    .into_iter()
                    .zip(values)
                    .map(|(i, v)| IndexedTable::new(i, v))
                    .collect(),
            ),
            Fr::zero(),
        )
    }

    /// The instance over dense factor tables (all of the same power-of-two length).
    ///
    /// # Panics
    /// As [`Self::indexed`].
    pub fn dense(weight: Weight, scale: Fr, tables: Vec<Vec<Fr>>) -> Self {
        Self::checked(weight, scale, Factors::Dense(tables), Fr::zero())
    }

    fn checked(weight: Weight, scale: Fr, factors: Factors<'a>, claim: Fr) -> Self {
        let s = Self {
            weight,
            scale,
            factors,
            claim,
        };
        assert!(s.num_factors() > 0, "a product of no factor");
        let len = s.len();
        assert!(len.is_power_of_two(), "tables of {len} entries");
        match &s.weight {
            Weight::Eq(split) => assert_eq!(1 << split.num_unbound(), len),
            Weight::Dense(w) => assert_eq!(w.len(), len),
        }
        s
    }

    /// Sets the input claim (the instance does not compute it; a phase inside a larger instance
    /// never needs it).
    pub fn with_claim(mut self, claim: Fr) -> Self {
        self.claim = claim;
        self
    }

    fn num_factors(&self) -> usize {
        match &self.factors {
            Factors::Indexed(t) => t.len(),
            Factors::Dense(t) => t.len(),
        }
    }

    /// Current number of entries of every table.
    fn len(&self) -> usize {
        match &self.factors {
            Factors::Indexed(t) => t[0].len(),
            Factors::Dense(t) => t[0].len(),
        }
    }

    /// The products of value pairs of every leaf of indexed factors, when small enough.
    fn pair_products(&self) -> PairProducts {
        let Factors::Indexed(tables) = &self.factors else {
            return Vec::new();
        };
        tables
            .chunks(2)
            .map(|ab| match ab {
                [a, b] if a.values.len() * b.values.len() <= PAIR_TABLE_MAX => Some(
                    a.values
                        .iter()
                        .flat_map(|x| b.values.iter().map(move |y| *x * y))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }

    /// The leaves of the pair `(2i, 2i + 1)`: consecutive factors paired, the dense weight (if
    /// any) last; returns their number.
    #[inline]
    fn read_leaves(&self, i: usize, products: &PairProducts, leaves: &mut [Leaf]) -> usize {
        let (lo, hi) = (2 * i, 2 * i + 1);
        let mut n = 0;
        match &self.factors {
            Factors::Indexed(tables) => {
                for (l, ab) in tables.chunks(2).enumerate() {
                    leaves[n] = match ab {
                        [a, b] => {
                            let (a0, a1) = (a.entry(lo), a.entry(hi));
                            let (b0, b1) = (b.entry(lo), b.entry(hi));
                            let (va, vb) = (&a.values, &b.values);
                            match &products[l] {
                                Some(p) => {
                                    let k = vb.len();
                                    Leaf {
                                        vals: [
                                            p[a0 * k + b0],
                                            p[a1 * k + b1],
                                            (va[a1] - va[a0]) * (vb[b1] - vb[b0]),
                                        ],
                                        deg: 2,
                                    }
                                }
                                None => Leaf::pair(va[a0], va[a1], vb[b0], vb[b1]),
                            }
                        }
                        _ => {
                            let a0 = ab[0].value(lo);
                            Leaf::linear(a0, ab[0].value(hi) - a0)
                        }
                    };
                    n += 1;
                }
            }
            Factors::Dense(tables) => {
                for t in tables.chunks(2) {
                    leaves[n] = match t {
                        [a, b] => Leaf::pair(a[lo], a[hi], b[lo], b[hi]),
                        _ => Leaf::linear(t[0][lo], t[0][hi] - t[0][lo]),
                    };
                    n += 1;
                }
            }
        }
        if let Weight::Dense(w) = &self.weight {
            leaves[n] = Leaf::linear(w[lo], w[hi] - w[lo]);
            n += 1;
        }
        n
    }

    /// Over the pairs `i ∈ [start, start + len)`: `Σ e_i·P_i(x)` for `x = 0, 2, …, m − 1`
    /// (at `[x]`), the leading coefficient (at `[m]`) and, if `with_one`, `x = 1` (at
    /// `[m + 1]`), where `P_i` is the product of the lines and `e_i = weights[i − start]` (1
    /// without weights).
    fn block_sums(
        &self,
        buf: &mut PairBuffers,
        products: &PairProducts,
        start: usize,
        len: usize,
        weights: Option<&[Fr]>,
        with_one: bool,
    ) -> Vec<Fr> {
        let m = buf.out.len() - 1;
        let mut acc = vec![Fr::zero(); m + 2];
        let PairBuffers {
            leaves,
            out,
            scratch,
        } = buf;
        for x in 0..len {
            let n = self.read_leaves(start + x, products, leaves);
            let leaves = &mut leaves[..n];
            if let Some(e) = weights {
                leaves[0].scale(e[x]);
            }
            product_tree(leaves, out, scratch, true);
            acc[0] += out[0];
            for p in 2..=m {
                acc[p] += out[p];
            }
            if with_one {
                acc[m + 1] += leaves.iter().map(Leaf::at_one).product::<Fr>();
            }
        }
        acc
    }
}

fn add_assign_all(mut a: Vec<Fr>, b: Vec<Fr>) -> Vec<Fr> {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

impl SumcheckInstanceProver for ProductInstance<'_> {
    fn num_rounds(&self) -> usize {
        self.len().trailing_zeros() as usize
    }

    fn degree(&self) -> usize {
        self.num_factors() + 1
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "product::round")]
    fn compute_round_poly(&mut self, _round: usize, claim: Fr) -> UniPoly {
        let half = self.len() / 2;
        let dense_weight = matches!(self.weight, Weight::Dense(_));
        let m = self.num_factors() + dense_weight as usize;
        let products = self.pair_products();
        let this = &*self;
        let products = &products;
        match &self.weight {
            Weight::Eq(split) => {
                let (e_in, e_out) = (split.e_in(), split.e_out());
                let block = e_in.len();
                debug_assert_eq!(block * e_out.len(), half);
                // q(1) from the claim unless C_j·τ_j = 0.
                let with_one = (split.scalar() * split.current_tau()).is_zero();
                let sums = (0..e_out.len())
                    .into_par_iter()
                    .map_init(
                        || PairBuffers::new(m),
                        |buf, xo| {
                            let mut acc = this.block_sums(
                                buf,
                                products,
                                xo * block,
                                block,
                                Some(e_in),
                                with_one,
                            );
                            for a in &mut acc {
                                *a *= e_out[xo];
                            }
                            acc
                        },
                    )
                    .reduce(|| vec![Fr::zero(); m + 2], add_assign_all);
                let sums: Vec<Fr> = sums.into_iter().map(|v| v * self.scale).collect();
                let q1 = if with_one {
                    sums[m + 1]
                } else {
                    split
                        .quotient_at_one(sums[0], claim)
                        .expect("C_j·τ_j is invertible")
                };
                let q = if m == 1 {
                    UniPoly::from_evals(&[sums[0], q1])
                } else {
                    let mut at = vec![sums[0], q1];
                    at.extend_from_slice(&sums[2..m]);
                    poly_from_evals_and_lead(&at, sums[m])
                };
                split.round_poly_from_quotient(&q)
            }
            Weight::Dense(_) => {
                let blocks = half.div_ceil(DENSE_BLOCK);
                let sums = (0..blocks)
                    .into_par_iter()
                    .map_init(
                        || PairBuffers::new(m),
                        |buf, b| {
                            let start = b * DENSE_BLOCK;
                            let len = DENSE_BLOCK.min(half - start);
                            this.block_sums(buf, products, start, len, None, false)
                        },
                    )
                    .reduce(|| vec![Fr::zero(); m + 2], add_assign_all);
                let sums: Vec<Fr> = sums.into_iter().map(|v| v * self.scale).collect();
                // m ≥ 2: the weight and at least one factor.
                let mut at = vec![sums[0], claim - sums[0]];
                at.extend_from_slice(&sums[2..m]);
                poly_from_evals_and_lead(&at, sums[m])
            }
        }
    }

    #[tracing::instrument(skip_all, name = "product::bind")]
    fn bind(&mut self, r: Fr, _round: usize) {
        match &mut self.weight {
            Weight::Eq(split) => split.bind(r),
            Weight::Dense(w) => crate::poly::bind_low(w, r),
        }
        self.factors = match std::mem::replace(&mut self.factors, Factors::Dense(Vec::new())) {
            Factors::Indexed(tables) => match bind_all_indexed(tables, r) {
                Ok(t) => Factors::Indexed(t),
                Err(t) => Factors::Dense(t),
            },
            Factors::Dense(mut tables) => {
                bind_all_dense(&mut tables, r);
                Factors::Dense(tables)
            }
        };
    }

    fn output_claims(&self) -> Vec<Fr> {
        match &self.factors {
            Factors::Indexed(tables) => tables.iter().map(|t| t.value(0)).collect(),
            Factors::Dense(tables) => tables.iter().map(|t| t[0]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use jolt_core::poly::EqPolynomial;
    use jolt_core::sumcheck::{
        BatchedSumcheck, BatchedSumcheckProof, ProductVerifier, SumcheckInstanceVerifier,
    };
    use jolt_core::transcript::Transcript;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn dense_product_matches_jolt_core_verifier() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let a: Vec<Fr> = (0..16).map(|_| Fr::rand(&mut rng)).collect();
        let b: Vec<Fr> = (0..16).map(|_| Fr::rand(&mut rng)).collect();
        let mut prover = DenseInstance::new(vec![a, b], 2, |v| v[0] * v[1]);
        let claim = prover.input_claim();
        let mut pt = Transcript::new(b"test");
        let (proof, _) = BatchedSumcheck::prove(&mut [&mut prover], &mut pt);
        let verifier = ProductVerifier {
            claim,
            num_rounds: 4,
            num_factors: 2,
            order: jolt_core::poly::BindingOrder::LowToHigh,
        };
        let mut vt = Transcript::new(b"test");
        let verifiers: [&dyn SumcheckInstanceVerifier; 1] = [&verifier];
        assert!(BatchedSumcheck::verify(&proof, &verifiers, &mut vt).is_ok());
    }
    /// Random field elements.
    fn random(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    #[test]
    fn linear_product_matches_pointwise_products() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for m in 1..=17 {
            let (lo, slope) = (random(m, &mut rng), random(m, &mut rng));
            let mut out = vec![Fr::zero(); m + 1];
            let mut scratch = vec![Fr::zero(); product_scratch_len(m)];
            linear_product(&lo, &slope, &mut out, &mut scratch);
            for (x, o) in out[..m].iter().enumerate() {
                let x = Fr::from(x as u64);
                let expected: Fr = lo.iter().zip(&slope).map(|(l, s)| *l + x * s).product();
                assert_eq!(*o, expected, "m = {m}");
            }
            assert_eq!(out[m], slope.iter().product::<Fr>(), "m = {m}");
        }
    }

    /// Proves `prover` alone and returns the proof and challenges.
    fn prove_alone(prover: &mut dyn SumcheckInstanceProver) -> (BatchedSumcheckProof, Vec<Fr>) {
        let mut t = Transcript::new(b"product");
        BatchedSumcheck::prove(&mut [prover], &mut t)
    }

    /// The product instance gives the same proof as the generic dense prover, for an eq or a
    /// dense weight, indexed or dense factors, and an eq point with zero coordinates (where
    /// `q(1)` cannot come from the claim).
    #[test]
    fn product_instance_matches_dense_instance() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let n = 6;
        for m in [1usize, 2, 3, 8] {
            // 0: eq weight, 1: dense factors, 2: dense weight, 3: eq point with zeros, 4: value
            // tables too large for pair tables.
            for case in 0..5 {
                let mut tau = random(n, &mut rng);
                if case == 3 {
                    tau[0] = Fr::zero();
                    tau[3] = Fr::zero();
                }
                let scale = Fr::rand(&mut rng);
                let k = if case == 4 { 128 } else { 16 };
                let values: Vec<Vec<Fr>> = (0..m).map(|_| random(k, &mut rng)).collect();
                let indices: Vec<Vec<u32>> = (0..m)
                    .map(|_| (0..1 << n).map(|_| rng.gen_range(0..k as u32)).collect())
                    .collect();
                let tables: Vec<Vec<Fr>> = indices
                    .iter()
                    .zip(&values)
                    .map(|(idx, v)| idx.iter().map(|i| v[*i as usize]).collect())
                    .collect();
                let weight = if case == 2 {
                    random(1 << n, &mut rng)
                } else {
                    EqPolynomial::evals(&tau)
                };
                let mut all = vec![weight.clone()];
                all.extend(tables.iter().cloned());
                let mut dense =
                    DenseInstance::new(all, m + 1, move |v| scale * v.iter().product::<Fr>())
                        .with_outputs((1..=m).collect());
                let claim = dense.input_claim();
                let w = || match case {
                    2 => Weight::Dense(weight.clone()),
                    _ => Weight::Eq(SplitEq::new(&tau)),
                };
                let mut product = if case == 1 {
                    ProductInstance::dense(w(), scale, tables.clone())
                } else {
                    let idx = indices
                        .iter()
                        .map(|i| Cow::Borrowed(i.as_slice()))
                        .collect();
                    ProductInstance::indexed(w(), scale, idx, values.clone())
                }
                .with_claim(claim);
                let expected = prove_alone(&mut dense);
                assert_eq!(prove_alone(&mut product), expected, "m = {m}, case {case}");
            }
        }
    }
}
