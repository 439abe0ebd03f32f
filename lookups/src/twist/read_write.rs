//! Read/write-checking sumcheck (Twist & Shout, ePrint 2025/105, §8).
//!
//! For a memory of `K` cells over `T` cycles with one-hot read and write addresses `ra`, `wa`,
//! increments `Inc(j) = wv(j) − Val(wa_j, j)` and the (virtual) memory state
//! `Val(k, j) = init(k) + Σ_{j' < j} wa(k, j')·Inc(j')`, for a cycle point `r` and challenge `γ`:
//!
//! ```text
//! rv(r) + γ·wv(r) = Σ_{j, k} eq(r, j)·[ra(k, j)·Val(k, j) + γ·wa(k, j)·(Val(k, j) + Inc(j))].
//! ```
//!
//! The read part says every read returns the cell's current value; the write part says the
//! increment moves the written cell to the written value. `Val` is not committed: its final
//! claim is reduced by the Val-evaluation sumcheck.
//!
//! The prover binds the `log T` cycle variables first, on a sparse matrix holding, for every
//! block of cycles and every cell the block touches, the bound `ra`, `wa` and `Val` and the
//! cell's (boolean-time) value before and after the block. A cell absent from a block keeps a
//! constant value through it, so when two blocks merge the missing side is the neighbour's
//! "after" (for the odd block) or "before" (for the even block) value: each round costs
//! `O(entries)`, at most `2T`. The `log K` address variables are then bound densely.
//! The verifier ends at `(ρ_cycle, ρ_address)` with claims `ra, wa, Val` at
//! `(ρ_address, ρ_cycle)` and `Inc(ρ_cycle)`.

use crate::poly::eq_table;
use crate::sumcheck::DenseInstance;
use ark_ff::Zero;
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::{EqPolynomial, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use rayon::prelude::*;

/// One non-zero of the sparse read/write matrix: cell `row` in cycle block `col`.
#[derive(Clone, Copy, Debug)]
struct Entry {
    row: u32,
    col: u32,
    ra: Fr,
    wa: Fr,
    val: Fr,
    /// Value of the cell at the first cycle of the block.
    before: Fr,
    /// Value of the cell at the first cycle after the block.
    after: Fr,
}

/// The even/odd halves of a pair of blocks for one cell, as lines in the round variable.
fn pair_values(even: Option<&Entry>, odd: Option<&Entry>) -> ([Fr; 3], [Fr; 3]) {
    let zero = Fr::zero();
    let (e, o) = match (even, odd) {
        (Some(e), Some(o)) => ([e.ra, e.wa, e.val], [o.ra, o.wa, o.val]),
        (Some(e), None) => ([e.ra, e.wa, e.val], [zero, zero, e.after]),
        (None, Some(o)) => ([zero, zero, o.before], [o.ra, o.wa, o.val]),
        (None, None) => ([zero; 3], [zero; 3]),
    };
    (e, o)
}

/// Merges the entries of one pair of blocks (sorted by row) with `f(even, odd)`.
fn for_each_row<'e>(entries: &'e [Entry], mut f: impl FnMut(Option<&'e Entry>, Option<&'e Entry>)) {
    let split = entries.partition_point(|e| e.col % 2 == 0);
    let (evens, odds) = entries.split_at(split);
    let (mut i, mut k) = (0, 0);
    while i < evens.len() || k < odds.len() {
        match (evens.get(i), odds.get(k)) {
            (Some(e), Some(o)) if e.row == o.row => {
                f(Some(e), Some(o));
                i += 1;
                k += 1;
            }
            (Some(e), Some(o)) if e.row < o.row => {
                f(Some(e), None);
                i += 1;
            }
            (Some(e), None) => {
                f(Some(e), None);
                i += 1;
            }
            (_, Some(o)) => {
                f(None, Some(o));
                k += 1;
            }
            (None, None) => break,
        }
    }
}

/// Prover of the read/write-checking sum.
pub(crate) struct ReadWriteProver {
    log_k: usize,
    log_t: usize,
    gamma: Fr,
    claim: Fr,
    /// Sorted by `(col, row)`.
    entries: Vec<Entry>,
    /// Start of every pair of blocks in `entries`.
    pairs: Vec<usize>,
    eq_cycle: Vec<Fr>,
    inc: Vec<Fr>,
    init: Vec<Fr>,
    address: Option<DenseInstance<'static>>,
    inc_final: Fr,
}

impl ReadWriteProver {
    /// The prover for the accesses `(read, write, write value)` of every cycle from `init`.
    pub(crate) fn new(
        init: &[i64],
        reads: &[u32],
        writes: &[u32],
        write_values: &[i64],
        r_cycle: &[Fr],
        gamma: Fr,
        claim: Fr,
    ) -> Self {
        let mut memory: Vec<i64> = init.to_vec();
        let mut entries = Vec::with_capacity(2 * reads.len());
        let mut inc = Vec::with_capacity(reads.len());
        let one = Fr::from(1u64);
        for (j, ((r, w), wv)) in reads.iter().zip(writes).zip(write_values).enumerate() {
            let (r, w) = (*r, *w);
            let old_w = memory[w as usize];
            inc.push(from_i64(wv - old_w));
            let read_val = from_i64(memory[r as usize]);
            let write_entry = Entry {
                row: w,
                col: j as u32,
                ra: if r == w { one } else { Fr::zero() },
                wa: one,
                val: from_i64(old_w),
                before: from_i64(old_w),
                after: from_i64(*wv),
            };
            if r == w {
                entries.push(write_entry);
            } else {
                let read_entry = Entry {
                    row: r,
                    col: j as u32,
                    ra: one,
                    wa: Fr::zero(),
                    val: read_val,
                    before: read_val,
                    after: read_val,
                };
                if r < w {
                    entries.extend([read_entry, write_entry]);
                } else {
                    entries.extend([write_entry, read_entry]);
                }
            }
            memory[w as usize] = *wv;
        }
        let mut prover = Self {
            log_k: init.len().trailing_zeros() as usize,
            log_t: reads.len().trailing_zeros() as usize,
            gamma,
            claim,
            entries,
            pairs: Vec::new(),
            eq_cycle: eq_table(r_cycle),
            inc,
            init: init.iter().map(|v| from_i64(*v)).collect(),
            address: None,
            inc_final: Fr::zero(),
        };
        prover.index_pairs();
        if prover.log_t == 0 {
            prover.start_address_phase();
        }
        prover
    }

    fn index_pairs(&mut self) {
        self.pairs.clear();
        for (i, e) in self.entries.iter().enumerate() {
            if i == 0 || self.entries[i - 1].col / 2 != e.col / 2 {
                self.pairs.push(i);
            }
        }
        self.pairs.push(self.entries.len());
    }

    fn cycle_round(&self, claim: Fr) -> UniPoly {
        let gamma = self.gamma;
        // s(0), s(2), s(3). Every factor is a line in the round variable, so its values at
        // 2 and 3 follow from those at 0 and 1 by additions; `eq` and `Inc` are shared by a
        // block's rows, so each block sums `ra·Val` and `wa·(Val + Inc)` over its rows and
        // multiplies by `eq` and `γ` once.
        let evals = self
            .pairs
            .par_windows(2)
            .map(|w| {
                let block = &self.entries[w[0]..w[1]];
                let m = (block[0].col / 2) as usize;
                let line = |a: Fr, b: Fr| {
                    let d = b - a;
                    let two = b + d;
                    [a, two, two + d]
                };
                let eq = line(self.eq_cycle[2 * m], self.eq_cycle[2 * m + 1]);
                let inc = line(self.inc[2 * m], self.inc[2 * m + 1]);
                let mut reads = [Fr::zero(); 3];
                let mut writes = [Fr::zero(); 3];
                for_each_row(block, |even, odd| {
                    let (lo, hi) = pair_values(even, odd);
                    let (ra, wa, val) =
                        (line(lo[0], hi[0]), line(lo[1], hi[1]), line(lo[2], hi[2]));
                    for x in 0..3 {
                        if !ra[x].is_zero() {
                            reads[x] += ra[x] * val[x];
                        }
                        if !wa[x].is_zero() {
                            writes[x] += wa[x] * (val[x] + inc[x]);
                        }
                    }
                });
                [0, 1, 2].map(|x| eq[x] * (reads[x] + gamma * writes[x]))
            })
            .reduce(
                || [Fr::zero(); 3],
                |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2]],
            );
        UniPoly::from_evals(&[evals[0], claim - evals[0], evals[1], evals[2]])
    }

    #[tracing::instrument(skip_all, name = "twist::read_write::bind")]
    fn bind_cycle(&mut self, r: Fr) {
        let at = |a: Fr, b: Fr| a + r * (b - a);
        let merged: Vec<Vec<Entry>> = self
            .pairs
            .par_windows(2)
            .map(|w| {
                let block = &self.entries[w[0]..w[1]];
                let col = block[0].col / 2;
                let mut out = Vec::with_capacity(block.len());
                for_each_row(block, |even, odd| {
                    let (lo, hi) = pair_values(even, odd);
                    let (row, before, after) = match (even, odd) {
                        (Some(e), Some(o)) => (e.row, e.before, o.after),
                        (Some(e), None) => (e.row, e.before, e.after),
                        (None, Some(o)) => (o.row, o.before, o.after),
                        (None, None) => unreachable!("for_each_row yields a side"),
                    };
                    out.push(Entry {
                        row,
                        col,
                        ra: at(lo[0], hi[0]),
                        wa: at(lo[1], hi[1]),
                        val: at(lo[2], hi[2]),
                        before,
                        after,
                    });
                });
                out
            })
            .collect();
        self.entries = merged.into_iter().flatten().collect();
        crate::poly::bind_low(&mut self.eq_cycle, r);
        crate::poly::bind_low(&mut self.inc, r);
        self.index_pairs();
    }

    /// After the cycle rounds: the dense sum over cells of
    /// `eq·[ra(k)·Val(k) + γ·wa(k)·(Val(k) + Inc)]`, where untouched cells keep `init`.
    fn start_address_phase(&mut self) {
        let k = 1usize << self.log_k;
        let mut ra = vec![Fr::zero(); k];
        let mut wa = vec![Fr::zero(); k];
        let mut val = std::mem::take(&mut self.init);
        for e in &self.entries {
            ra[e.row as usize] = e.ra;
            wa[e.row as usize] = e.wa;
            val[e.row as usize] = e.val;
        }
        let eq = self.eq_cycle[0];
        let inc = self.inc[0];
        self.inc_final = inc;
        let gamma = self.gamma;
        self.address = Some(DenseInstance::with_known_claim(
            vec![ra, wa, val],
            2,
            Fr::zero(),
            move |t| eq * (t[0] * t[2] + gamma * t[1] * (t[2] + inc)),
        ));
        self.entries.clear();
    }
}

impl SumcheckInstanceProver for ReadWriteProver {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.log_t + self.log_k
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "twist::read_write::round")]
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        match &mut self.address {
            Some(a) => a.compute_round_poly(round, previous_claim),
            None => self.cycle_round(previous_claim),
        }
    }

    fn bind(&mut self, r: Fr, round: usize) {
        match &mut self.address {
            Some(a) => a.bind(r, round),
            None => {
                self.bind_cycle(r);
                if round + 1 == self.log_t {
                    self.start_address_phase();
                }
            }
        }
    }

    /// `[ra, wa, Val, Inc]` at the final point.
    fn output_claims(&self) -> Vec<Fr> {
        let mut claims = self
            .address
            .as_ref()
            .map(|a| a.output_claims())
            .unwrap_or_default();
        claims.push(self.inc_final);
        claims
    }
}

/// Verifier of the read/write-checking sum.
pub(crate) struct ReadWriteVerifier<'a> {
    pub(crate) log_k: usize,
    pub(crate) log_t: usize,
    pub(crate) r_cycle: &'a [Fr],
    pub(crate) gamma: Fr,
    pub(crate) claim: Fr,
}

impl SumcheckInstanceVerifier for ReadWriteVerifier<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.log_t + self.log_k
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        4
    }

    fn expected_output_claim(&self, point: &[Fr], c: &[Fr]) -> Fr {
        let (ra, wa, val, inc) = (c[0], c[1], c[2], c[3]);
        EqPolynomial::evaluate(self.r_cycle, &point[..self.log_t])
            * (ra * val + self.gamma * wa * (val + inc))
    }
}
