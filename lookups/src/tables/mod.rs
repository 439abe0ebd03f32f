//! Lookup tables: `Val : {0,1}^{log K} → Z`, their multilinear extensions, the operand map that
//! the read-address (RAF) sumcheck ties every address to, and prefix–suffix decompositions.
//!
//! A table of `K = 2^{log K}` entries is indexed by a key `k ∈ [0, K)`, read little-endian as the
//! bits `k_0..k_{log K − 1}`. Two multilinear polynomials describe it to Shout:
//!
//! * `Val(k)`, the entry, whose extension [`LookupTable::evaluate_mle`] the verifier evaluates at
//!   the random address point the read-checking sumcheck ends on;
//! * `Op(k) = offset + Σ_b w_b·k_b` ([`OperandMap`]), the operand an address stands for. The RAF
//!   sumcheck proves `Σ_k ra(k, j)·Op(k) = op_j` for every cycle, so an address is bound to the
//!   instruction's operand (`x − lo` for a clamped table, the two's complement bits of `x` for
//!   the 32-bit tables). `Op` must be injective on `{0,1}^{log K}`.
//!
//! Tables of up to 2^[`MAX_MATERIALIZED_LOG_K`] entries may be materialized. Larger structured
//! tables give a [`PrefixSuffix`] decomposition (Twist & Shout, ePrint 2025/105 §7; ePrint
//! 2025/611 appendix A): for every split `m`,
//!
//! ```text
//! Val(x) = Σ_ℓ P_ℓ(x_0..x_{m−1}) · S_ℓ(x_m..x_{log K − 1})        for boolean x,
//! ```
//!
//! with multilinear prefixes `P_ℓ` (evaluated at field points) and integer suffixes `S_ℓ`
//! (evaluated on boolean suffixes only), so that the prover never materializes the table.
//!
//! | module | tables |
//! |---|---|
//! | [`range`] | range check `[0, 2^k)` |
//! | [`signed`] | ReLU and sign on 32-bit two's-complement keys (prefix–suffix) |
//! | [`clamped`] | smooth functions of [`atlas_isa::Table`] on their clamped domain (materialized) |
//! | [`less_than`] | `[a < b]` on interleaved operand bits, for max / argmax / clip (prefix–suffix) |

pub mod clamped;
pub mod less_than;
pub mod range;
pub mod signed;

use ark_ff::{One, Zero};
use jolt_core::field::{from_i64, Fr};
use std::fmt::Debug;

pub use clamped::ClampedTable;
pub use less_than::LessThanTable;
pub use range::RangeTable;
pub use signed::{ReluTable, SignTable};

/// log₂ of the largest table the provers materialize.
pub const MAX_MATERIALIZED_LOG_K: usize = 24;

/// Errors of table construction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The table's domain is empty or reversed.
    #[error("table {name}: empty domain [{lo}, {hi}]")]
    EmptyDomain {
        /// Table name.
        name: String,
        /// Lower bound.
        lo: i64,
        /// Upper bound.
        hi: i64,
    },
    /// The table is too large to materialize and has no prefix–suffix decomposition.
    #[error("table {name}: 2^{log_k} entries exceed the materialization limit 2^{max}")]
    TooLarge {
        /// Table name.
        name: String,
        /// log₂ of its size.
        log_k: usize,
        /// The limit.
        max: usize,
    },
    /// The function cannot be a built-in table (it is exact on all of `i32` but not linear in
    /// the key bits, or it is a custom function the registry does not know).
    #[error("no lookup table for {0}")]
    Unsupported(String),
    /// A parameter is out of range.
    #[error("invalid table parameter: {0}")]
    InvalidParameter(String),
}

/// A read-only table for Shout.
pub trait LookupTable: Send + Sync + Debug {
    /// A short name, for errors and traces.
    fn name(&self) -> String;

    /// `log K`: the number of key bits.
    fn log_k(&self) -> usize;

    /// `Val(k)` for a key `k < K`.
    fn value(&self, index: u64) -> i64;

    /// The multilinear extension of `Val` at `point` (`log K` coordinates).
    fn evaluate_mle(&self, point: &[Fr]) -> Fr;

    /// The operand each key stands for (default: the key itself).
    fn operand(&self) -> OperandMap {
        OperandMap::identity(self.log_k())
    }

    /// A prefix–suffix decomposition, for tables too large to materialize.
    fn prefix_suffix(&self) -> Option<&dyn PrefixSuffix> {
        None
    }

    /// All `K` entries (only called for `log K ≤` [`MAX_MATERIALIZED_LOG_K`]).
    fn materialize(&self) -> Vec<i64> {
        (0..1u64 << self.log_k()).map(|k| self.value(k)).collect()
    }
}

/// `Val(x) = Σ_ℓ P_ℓ(x_{<m})·S_ℓ(x_{≥m})` on boolean `x`, for every split `0 ≤ m ≤ log K`
/// (see the module documentation).
pub trait PrefixSuffix: Send + Sync {
    /// The number of terms `ℓ`.
    fn num_terms(&self) -> usize;

    /// Whether the decomposition exists at split `m` (default: every split).
    fn supports_split(&self, _split: usize) -> bool {
        true
    }

    /// `S_ℓ(q)` where `q` holds the key bits `[split, log K)` (bit `split` of the key is bit 0 of
    /// `q`).
    fn suffix(&self, term: usize, split: usize, q: u64) -> i64;

    /// The multilinear `P_ℓ` at a point of `split = point.len()` coordinates.
    fn prefix_mle(&self, term: usize, point: &[Fr]) -> Fr;
}

/// The affine operand map `Op(k) = offset + Σ_b weights[b]·k_b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperandMap {
    /// Constant term.
    pub offset: i64,
    /// Weight of each key bit.
    pub weights: Vec<i64>,
}

impl OperandMap {
    /// `Op(k) = k`.
    pub fn identity(log_k: usize) -> Self {
        Self {
            offset: 0,
            weights: (0..log_k).map(|b| 1i64 << b).collect(),
        }
    }

    /// `Op(k) = k + offset`.
    pub fn shifted(log_k: usize, offset: i64) -> Self {
        Self {
            offset,
            ..Self::identity(log_k)
        }
    }

    /// `Op(k)` read as a `log K`-bit two's complement integer.
    pub fn twos_complement(log_k: usize) -> Self {
        let mut map = Self::identity(log_k);
        if let Some(top) = map.weights.last_mut() {
            *top = -*top;
        }
        map
    }

    /// `Op(k)` on a boolean key.
    pub fn eval_index(&self, k: u64) -> i64 {
        self.weights
            .iter()
            .enumerate()
            .filter(|(b, _)| (k >> b) & 1 == 1)
            .map(|(_, w)| *w)
            .sum::<i64>()
            + self.offset
    }

    /// The extension of `Op` at `point`, in `O(log K)`.
    pub fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        self.prefix_mle(point)
    }

    /// `offset + Σ_{b < m} w_b·x_b` for a point of `m ≤ log K` coordinates (the prefix part of
    /// the decomposition `Op = prefix(x_{<m}) + suffix(x_{≥m})`).
    pub fn prefix_mle(&self, point: &[Fr]) -> Fr {
        point
            .iter()
            .zip(&self.weights)
            .map(|(x, w)| *x * from_i64(*w))
            .sum::<Fr>()
            + from_i64(self.offset)
    }

    /// `Σ_{b ≥ m} w_b·k_b` for the suffix `q` of key bits `[m, log K)`.
    pub fn suffix(&self, split: usize, q: u64) -> i64 {
        self.weights[split.min(self.weights.len())..]
            .iter()
            .enumerate()
            .filter(|(b, _)| (q >> b) & 1 == 1)
            .map(|(_, w)| *w)
            .sum()
    }
}

/// `Σ_{b<m} 2^b·x_b` at a field point (the extension of the low `m` bits read as an integer).
pub(crate) fn bits_value_mle(point: &[Fr]) -> Fr {
    let mut acc = Fr::zero();
    let mut pow = Fr::one();
    for x in point {
        acc += pow * x;
        pow += pow;
    }
    acc
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Brute-force checks every table must pass.
    use super::*;
    use crate::poly::{index_to_point, mle_eval_i64};
    use ark_std::UniformRand;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// `evaluate_mle` equals the brute-force extension of `materialize` at random points, and
    /// the operand map matches its extension.
    pub fn check_mle(table: &dyn LookupTable, seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let n = table.log_k();
        let values = table.materialize();
        for _ in 0..3 {
            let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            assert_eq!(
                table.evaluate_mle(&point),
                mle_eval_i64(&values, &point),
                "{}",
                table.name()
            );
            let ops: Vec<i64> = (0..1u64 << n)
                .map(|k| table.operand().eval_index(k))
                .collect();
            assert_eq!(
                table.operand().evaluate_mle(&point),
                mle_eval_i64(&ops, &point)
            );
        }
        for k in 0..1u64 << n {
            assert_eq!(
                table.evaluate_mle(&index_to_point(k, n)),
                from_i64(values[k as usize])
            );
        }
    }

    /// The prefix–suffix combination equals the table on random keys, at every split, and the
    /// operand map's split agrees with it too.
    pub fn check_prefix_suffix(table: &dyn LookupTable, seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let ps = table.prefix_suffix().expect("table has a decomposition");
        let n = table.log_k();
        let op = table.operand();
        for split in 0..=n {
            if !ps.supports_split(split) {
                continue;
            }
            for _ in 0..50 {
                let k: u64 = if n == 64 {
                    rng.gen()
                } else {
                    rng.gen_range(0..1u64 << n)
                };
                let prefix = index_to_point(k & ((1u64 << split) - 1), split);
                let q = if split >= 64 { 0 } else { k >> split };
                let combined: Fr = (0..ps.num_terms())
                    .map(|l| ps.prefix_mle(l, &prefix) * from_i64(ps.suffix(l, split, q)))
                    .sum();
                assert_eq!(combined, from_i64(table.value(k)), "split {split} key {k}");
                assert_eq!(
                    op.prefix_mle(&prefix) + from_i64(op.suffix(split, q)),
                    from_i64(op.eval_index(k))
                );
            }
        }
    }
}
