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
//! costs one pass over the `T` cycles with small-integer multiplications; after the phase each
//! `w_j` absorbs `eq(ρ_phase, chunk(j))`. The operand `Op = prefix + suffix` contributes the two
//! terms `(γ·Op_prefix, 1)` and `(γ, Op_suffix)`. A materialized table is the special case of
//! one phase covering all bits with the single term `(Val + γ·Op, 1)`.

use crate::poly::{eq_table, index_to_point};
use crate::tables::LookupTable;
use ark_ff::Zero;
use jolt_core::field::{from_i64, mul_i64, Fr};
use rayon::prelude::*;

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
}

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
        }
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
        let mask = (size - 1) as u64;
        let keys = self.keys;
        let weights = &self.weights;
        let num_terms = suffixes.len();
        let chunk_len = (keys.len() / rayon::current_num_threads().max(1)).max(1 << 10);
        let qs = keys
            .par_chunks(chunk_len)
            .zip(weights.par_chunks(chunk_len))
            .map(|(keys, weights)| {
                let mut acc = vec![vec![Fr::zero(); size]; num_terms];
                for (k, w) in keys.iter().zip(weights) {
                    let c = ((k >> start) & mask) as usize;
                    let q = if end >= 64 { 0 } else { k >> end };
                    for (l, s) in suffixes.iter().enumerate() {
                        let factor = match s {
                            Suffix::One => 1,
                            Suffix::Table(t) => ps.map_or(1, |ps| ps.suffix(*t, end, q)),
                            Suffix::Operand => op.suffix(end, q),
                        };
                        match factor {
                            0 => {}
                            1 => acc[l][c] += w,
                            f => acc[l][c] += mul_i64(w, f),
                        }
                    }
                }
                acc
            })
            .reduce(
                || vec![vec![Fr::zero(); size]; num_terms],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        for (u, v) in x.iter_mut().zip(y) {
                            *u += v;
                        }
                    }
                    a
                },
            );
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
        if self.round_in_phase == width {
            let eq_phase = eq_table(&self.bound[start..start + width]);
            let mask = (1u64 << width) - 1;
            self.weights
                .par_iter_mut()
                .zip(self.keys.par_iter())
                .for_each(|(w, k)| *w *= eq_phase[((k >> start) & mask) as usize]);
            self.phase += 1;
            self.round_in_phase = 0;
            self.terms.clear();
        }
    }
}
