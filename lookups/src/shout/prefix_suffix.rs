//! The address phase of the read-checking + RAF prover, by prefix–suffix decomposition
//! (Twist & Shout, ePrint 2025/105 §7; ePrint 2025/611 appendix A).
//!
//! While the `log K` address variables are bound (low bit first), the read-checking + RAF sum is
//!
//! ```text
//! Σ_k F(k)·g(k),     F(k) = Σ_j eq(r_cycle, j)·ra(k, j),     g = Val + γ·Op.
//! ```
//!
//! `F` has at most `T` non-zero entries, but `K` may be `2^32`. The address bits are cut into
//! phases `[s, e)` (the one-hot chunks). In a phase the bits below `s` are bound to challenges
//! `ρ`, the phase bits `c` are being bound and the bits `q` above `e` are still boolean, so by
//! the decomposition `g(ρ, c, q) = Σ_ℓ P_ℓ(ρ, c)·S_ℓ(q)`:
//!
//! ```text
//! Σ_{c,q} F(ρ, c, q)·g(ρ, c, q) = Σ_c Σ_ℓ P_ℓ(ρ, c)·Q_ℓ(c),
//! Q_ℓ(c) = Σ_{j : chunk(j) = c} w_j·S_ℓ(q_j),      w_j = eq(r_cycle, j)·eq(ρ, k_j[..s]),
//! ```
//!
//! a sumcheck over the `e − s` phase variables on tables of `2^{e−s}` entries. Building the `Q_ℓ`
//! costs one pass over the `T` cycles with small-integer multiplications, accumulated without
//! modular reduction (`WideAcc`); after the phase each `w_j` absorbs `eq(ρ_phase, chunk(j))`.
//! When two consecutive phases are narrow, the first one's factor is deferred: the next pass
//! buckets by both chunks and applies it per bucket, and one pass over the weights absorbs both
//! phases. The operand `Op = prefix + suffix` contributes the two
//! terms `(γ·Op_prefix, 1)` and `(γ, Op_suffix)`. A materialized table is the special case of
//! one phase covering all bits with the single term `(Val + γ·Op, 1)`.

use crate::poly::{eq_table, index_to_point};
use crate::tables::{LookupTable, OperandMap};
use ark_ff::{BigInt, PrimeField, Zero};
use jolt_core::field::{from_i64, mul_i64, Fr};
use rayon::prelude::*;

/// `Σ_j w_j·k_j` for field elements `w_j` and signed 64-bit `k_j`, accumulated on the
/// Montgomery representations without modular reduction: `w̃·|k| < 2^320`, so 384-bit sums of
/// positive and of negative terms hold up to `2^64` terms. One accumulation costs four word
/// multiplications instead of a reduced product.
#[derive(Clone, Copy, Debug, Default)]
struct WideAcc {
    pos: [u64; 6],
    neg: [u64; 6],
}

impl WideAcc {
    /// `acc += w`.
    #[inline]
    fn add(&mut self, w: &Fr) {
        let a = &w.0 .0;
        let mut carry = 0u64;
        for (x, y) in self.pos.iter_mut().zip(a) {
            let (s1, c1) = x.overflowing_add(*y);
            let (s2, c2) = s1.overflowing_add(carry);
            *x = s2;
            carry = (c1 | c2) as u64;
        }
        add_carry(&mut self.pos[4..], carry);
    }

    /// `acc += w·k`.
    #[inline]
    fn add_mul(&mut self, w: &Fr, k: i64) {
        let (acc, k) = if k < 0 {
            (&mut self.neg, k.unsigned_abs())
        } else {
            (&mut self.pos, k as u64)
        };
        let a = &w.0 .0;
        let mut carry = 0u128;
        for (x, y) in acc.iter_mut().zip(a) {
            let v = (*y as u128) * (k as u128) + (*x as u128) + carry;
            *x = v as u64;
            carry = v >> 64;
        }
        let v = (acc[4] as u128) + carry;
        acc[4] = v as u64;
        acc[5] = acc[5].wrapping_add((v >> 64) as u64);
    }

    /// `self += other`.
    fn merge(&mut self, other: &WideAcc) {
        for (a, b) in [(&mut self.pos, &other.pos), (&mut self.neg, &other.neg)] {
            let mut carry = false;
            for (x, y) in a.iter_mut().zip(b) {
                let (s1, c1) = x.overflowing_add(*y);
                let (s2, c2) = s1.overflowing_add(carry as u64);
                *x = s2;
                carry = c1 | c2;
            }
        }
    }

    /// The field element: the sums are of Montgomery representations `w̃ = w·R`, `R = 2^256`,
    /// so the value is `(pos − neg)·R^{-1}`; for a sum `L + H·2^256` (`L < 2^256`) that is
    /// the element of Montgomery representation `L mod p`, plus `H`.
    fn value(&self) -> Fr {
        let field = |a: &[u64; 6]| {
            let mut low = [a[0], a[1], a[2], a[3]];
            while geq(&low, &MODULUS) {
                sub_assign(&mut low, &MODULUS);
            }
            Fr::new_unchecked(BigInt::new(low)) + Fr::from(((a[5] as u128) << 64) | a[4] as u128)
        };
        field(&self.pos) - field(&self.neg)
    }
}

/// The limbs of the field modulus.
const MODULUS: [u64; 4] = <Fr as PrimeField>::MODULUS.0;

/// `a ≥ b` for 4-limb integers.
fn geq(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a −= b` for 4-limb integers (`a ≥ b`).
fn sub_assign(a: &mut [u64; 4], b: &[u64; 4]) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(borrow as u64);
        *x = d2;
        borrow = b1 | b2;
    }
}

/// Adds a carry into the upper limbs.
#[inline]
fn add_carry(limbs: &mut [u64], mut carry: u64) {
    for x in limbs {
        if carry == 0 {
            return;
        }
        let (s, c) = x.overflowing_add(carry);
        *x = s;
        carry = c as u64;
    }
}

/// A sum `Σ_j w_j·k_j` of field elements times signed integers.
trait Accumulator: Clone + Default + Send + Sync {
    /// `acc += w`.
    fn add(&mut self, w: &Fr);
    /// `acc += w·k`.
    fn add_mul(&mut self, w: &Fr, k: i64);
    /// `acc += other`.
    fn merge(&mut self, other: &Self);
    /// The sum.
    fn value(&self) -> Fr;
}

impl Accumulator for WideAcc {
    #[inline]
    fn add(&mut self, w: &Fr) {
        WideAcc::add(self, w)
    }
    #[inline]
    fn add_mul(&mut self, w: &Fr, k: i64) {
        WideAcc::add_mul(self, w, k)
    }
    fn merge(&mut self, other: &Self) {
        WideAcc::merge(self, other)
    }
    fn value(&self) -> Fr {
        WideAcc::value(self)
    }
}

impl Accumulator for Fr {
    #[inline]
    fn add(&mut self, w: &Fr) {
        *self += w;
    }
    #[inline]
    fn add_mul(&mut self, w: &Fr, k: i64) {
        *self += mul_i64(w, k);
    }
    fn merge(&mut self, other: &Self) {
        *self += other;
    }
    fn value(&self) -> Fr {
        *self
    }
}

/// `sums[l·buckets + b] = Σ_{j : bucket(k_j) = b} w_j·factor(l, k_j)` for every term `l`.
fn bucket_sums<A: Accumulator>(
    keys: &[u64],
    weights: &[Fr],
    num_terms: usize,
    buckets: usize,
    bucket: impl Fn(u64) -> usize + Sync,
    factor: impl Fn(usize, u64) -> i64 + Sync,
) -> Vec<Fr> {
    let chunk_len = (keys.len() / rayon::current_num_threads().max(1)).max(1 << 10);
    let acc = keys
        .par_chunks(chunk_len)
        .zip(weights.par_chunks(chunk_len))
        .map(|(keys, weights)| {
            let mut acc = vec![A::default(); num_terms * buckets];
            for (k, w) in keys.iter().zip(weights) {
                let b = bucket(*k);
                for l in 0..num_terms {
                    let a = &mut acc[l * buckets + b];
                    match factor(l, *k) {
                        0 => {}
                        1 => a.add(w),
                        f => a.add_mul(w, f),
                    }
                }
            }
            acc
        })
        .reduce(
            || vec![A::default(); num_terms * buckets],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    x.merge(y);
                }
                a
            },
        );
    acc.iter().map(A::value).collect()
}

/// The operand's suffix `Σ_b w_{e+b}·q_b` at split `e`, by tables over the bytes of `q` (the
/// same sum as [`OperandMap::suffix`], eight bits per lookup).
struct OperandSuffix {
    tables: Vec<[i64; 256]>,
}

impl OperandSuffix {
    fn new(op: &OperandMap, end: usize) -> Self {
        let weights = &op.weights[end.min(op.weights.len())..];
        let tables = weights
            .chunks(8)
            .map(|w| {
                let mut t = [0i64; 256];
                for (byte, entry) in t.iter_mut().enumerate() {
                    *entry = w
                        .iter()
                        .enumerate()
                        .filter(|(b, _)| (byte >> b) & 1 == 1)
                        .fold(0i64, |acc, (_, x)| acc.wrapping_add(*x));
                }
                t
            })
            .collect();
        Self { tables }
    }

    #[inline]
    fn eval(&self, q: u64) -> i64 {
        self.tables.iter().enumerate().fold(0i64, |acc, (i, t)| {
            acc.wrapping_add(t[((q >> (8 * i)) & 0xff) as usize])
        })
    }
}

/// A suffix function `S_ℓ` of a phase, evaluated on the key bits above the phase.
#[derive(Clone, Copy, Debug)]
enum Suffix {
    /// `S ≡ 1`.
    One,
    /// The table's term `ℓ` at split `e`.
    Table(usize),
    /// The operand's suffix at split `e`.
    Operand,
}

/// The state of the address variables of one read-checking + RAF instance.
pub(crate) struct AddressPhases<'a> {
    table: &'a dyn LookupTable,
    keys: &'a [u64],
    gamma: Fr,
    /// `(start, width)` of each phase.
    phases: Vec<(usize, usize)>,
    /// `w_j`.
    weights: Vec<Fr>,
    /// Address challenges so far.
    bound: Vec<Fr>,
    phase: usize,
    round_in_phase: usize,
    /// `(P_ℓ, Q_ℓ)` of the current phase, partially bound.
    terms: Vec<(Vec<Fr>, Vec<Fr>)>,
    /// A finished phase `(start, width)` not yet folded into the weights.
    pending: Option<(usize, usize)>,
}

/// Largest number of buckets (address chunk of a pending phase × of the current one) the
/// accumulation of `Q_ℓ` uses to defer folding a phase into the weights.
const MAX_DEFERRED_BUCKETS: usize = 1 << 8;

impl<'a> AddressPhases<'a> {
    /// Starts the address phase: `eq_cycle` is `eq(r_cycle, ·)` over the cycles.
    pub(crate) fn new(
        table: &'a dyn LookupTable,
        keys: &'a [u64],
        gamma: Fr,
        phases: Vec<(usize, usize)>,
        eq_cycle: Vec<Fr>,
    ) -> Self {
        Self {
            table,
            keys,
            gamma,
            phases,
            weights: eq_cycle,
            bound: Vec::new(),
            phase: 0,
            round_in_phase: 0,
            terms: Vec::new(),
            pending: None,
        }
    }

    /// Frees the tables once every address variable is bound.
    pub(crate) fn finish(&mut self) {
        self.weights = Vec::new();
        self.terms = Vec::new();
    }

    /// The address challenges bound so far.
    pub(crate) fn bound(&self) -> &[Fr] {
        &self.bound
    }

    /// Builds `P_ℓ` and `Q_ℓ` for the current phase.
    #[tracing::instrument(skip_all, name = "shout::prefix_suffix::init_phase")]
    fn init_phase(&mut self) {
        let (start, width) = self.phases[self.phase];
        let end = start + width;
        let log_k = self.table.log_k();
        let op = self.table.operand();
        let prefix_point = |c: usize| {
            let mut p = self.bound.clone();
            p.extend(index_to_point(c as u64, width));
            p
        };
        let size = 1usize << width;
        let mut terms: Vec<(Vec<Fr>, Suffix)> = Vec::new();
        match self.table.prefix_suffix() {
            Some(ps) => {
                for l in 0..ps.num_terms() {
                    let p: Vec<Fr> = (0..size)
                        .into_par_iter()
                        .map(|c| ps.prefix_mle(l, &prefix_point(c)))
                        .collect();
                    terms.push((p, Suffix::Table(l)));
                }
                let p_op: Vec<Fr> = (0..size)
                    .into_par_iter()
                    .map(|c| self.gamma * op.prefix_mle(&prefix_point(c)))
                    .collect();
                terms.push((p_op, Suffix::One));
                if end < log_k {
                    terms.push((vec![self.gamma; size], Suffix::Operand));
                }
            }
            None => {
                // One phase over all bits: P = Val + γ·Op on the materialized table.
                debug_assert!(start == 0 && end == log_k);
                let values = self.table.materialize();
                let p: Vec<Fr> = values
                    .par_iter()
                    .enumerate()
                    .map(|(k, v)| from_i64(*v) + self.gamma * from_i64(op.eval_index(k as u64)))
                    .collect();
                terms.push((p, Suffix::One));
            }
        }
        let suffixes: Vec<Suffix> = terms.iter().map(|(_, s)| *s).collect();
        let ps = self.table.prefix_suffix();
        let op_suffix = OperandSuffix::new(&op, end);
        // With a pending phase, bucket by its chunk too: `w_j` still lacks its factor
        // `eq(ρ_pending, chunk)`, applied per bucket below.
        let (pending_start, pending_width) = self.pending.unwrap_or((0, 0));
        let pending_mask = (1u64 << pending_width) - 1;
        let mask = (size - 1) as u64;
        let buckets = size << pending_width;
        let num_terms = suffixes.len();
        let bucket = |k: u64| {
            ((((k >> pending_start) & pending_mask) << width) | ((k >> start) & mask)) as usize
        };
        let factor = |l: usize, k: u64| {
            let q = if end >= 64 { 0 } else { k >> end };
            match suffixes[l] {
                Suffix::One => 1,
                Suffix::Table(t) => ps.map_or(1, |ps| ps.suffix(t, end, q)),
                Suffix::Operand => op_suffix.eval(q),
            }
        };
        let sums = if suffixes.iter().all(|s| matches!(s, Suffix::One)) {
            // Additions only (a materialized table): plain field sums.
            bucket_sums::<Fr>(self.keys, &self.weights, num_terms, buckets, bucket, factor)
        } else {
            bucket_sums::<WideAcc>(self.keys, &self.weights, num_terms, buckets, bucket, factor)
        };
        let eq_pending = eq_table(&self.bound[pending_start..pending_start + pending_width]);
        let qs: Vec<Vec<Fr>> = sums
            .chunks(buckets)
            .map(|q| {
                if pending_width == 0 {
                    return q.to_vec();
                }
                let mut out = vec![Fr::zero(); size];
                for (by_pending, e) in q.chunks(size).zip(&eq_pending) {
                    for (o, a) in out.iter_mut().zip(by_pending) {
                        *o += *e * a;
                    }
                }
                out
            })
            .collect();
        self.terms = terms.into_iter().map(|(p, _)| p).zip(qs).collect();
    }

    /// `[s(0), s(1), s(2)]` of the current address round.
    pub(crate) fn round_evals(&mut self) -> [Fr; 3] {
        if self.round_in_phase == 0 {
            self.init_phase();
        }
        let mut evals = [Fr::zero(); 3];
        for (p, q) in &self.terms {
            for i in 0..p.len() / 2 {
                let (p0, p1) = (p[2 * i], p[2 * i + 1]);
                let (q0, q1) = (q[2 * i], q[2 * i + 1]);
                evals[0] += p0 * q0;
                evals[1] += p1 * q1;
                evals[2] += (p1 + p1 - p0) * (q1 + q1 - q0);
            }
        }
        evals
    }

    /// Binds the current address variable; at the end of a phase, folds its challenges into the
    /// cycle weights.
    #[tracing::instrument(skip_all, name = "shout::prefix_suffix::bind")]
    pub(crate) fn bind(&mut self, r: Fr) {
        for (p, q) in &mut self.terms {
            crate::poly::bind_low(p, r);
            crate::poly::bind_low(q, r);
        }
        self.bound.push(r);
        self.round_in_phase += 1;
        let (start, width) = self.phases[self.phase];
        if self.round_in_phase < width {
            return;
        }
        // End of the phase.
        self.phase += 1;
        self.round_in_phase = 0;
        self.terms.clear();
        let Some(&(_, next_width)) = self.phases.get(self.phase) else {
            // The last phase: the weights are not needed any more.
            return;
        };
        match self.pending.take() {
            None if (1usize << (width + next_width)) <= MAX_DEFERRED_BUCKETS => {
                // Fold this phase with the next one: one pass over the weights for both.
                self.pending = Some((start, width));
            }
            pending => {
                let (first, prefix_width) = pending.map_or((start, 0), |(s, w)| (s, w));
                debug_assert!(pending.is_none() || first + prefix_width == start);
                let all = prefix_width + width;
                let eq_phases = eq_table(&self.bound[first..first + all]);
                let mask = (1u64 << all) - 1;
                self.weights
                    .par_iter_mut()
                    .zip(self.keys.par_iter())
                    .for_each(|(w, k)| *w *= eq_phases[((k >> first) & mask) as usize]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// The unreduced accumulator agrees with field arithmetic, for factors of every size and
    /// sign, over enough terms to fill the upper limbs.
    #[test]
    fn wide_accumulator_matches_field_sums() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut wide = WideAcc::default();
        let mut other = WideAcc::default();
        let mut expected = Fr::zero();
        for i in 0..5000 {
            let w = if i % 7 == 0 {
                -Fr::from(1u64)
            } else {
                Fr::rand(&mut rng)
            };
            let k: i64 = match i % 4 {
                0 => rng.gen(),
                1 => i64::MIN,
                2 => i64::MAX,
                _ => rng.gen_range(-5..5),
            };
            let acc = if i % 2 == 0 { &mut wide } else { &mut other };
            if i % 5 == 0 {
                acc.add(&w);
                expected += w;
            } else {
                acc.add_mul(&w, k);
                expected += mul_i64(&w, k);
            }
        }
        wide.merge(&other);
        assert_eq!(Accumulator::value(&wide), expected);
    }

    /// The byte tables give the operand map's suffix.
    #[test]
    fn operand_suffix_tables() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        for op in [
            OperandMap::identity(32),
            OperandMap::twos_complement(20),
            OperandMap::shifted(13, -9),
        ] {
            for end in 0..=op.weights.len() {
                let s = OperandSuffix::new(&op, end);
                for _ in 0..50 {
                    let q = rng.gen::<u64>();
                    assert_eq!(s.eval(q), op.suffix(end, q), "end {end}");
                }
            }
        }
    }
}
