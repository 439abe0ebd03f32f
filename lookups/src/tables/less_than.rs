//! The comparison table `[a < b]` for `n`-bit operands, the building block of max, min, argmax
//! and clip. The key interleaves the operand bits — `k_{2i} = a_i`, `k_{2i+1} = b_i` — so that a
//! prefix of the key is a prefix of both operands and the table decomposes at every even split:
//!
//! ```text
//! LT(a, b) = Σ_i (1 − a_i)·b_i·Π_{l>i} eq(a_l, b_l),
//! LT(a, b) = LT_hi(q) + EQ_hi(q)·LT_lo(p)        (split between the low pairs p and high pairs q).
//! ```
//!
//! Signed operands are offset by `2^{n−1}` (which preserves the order). The operand map is
//! `Op(k) = a + 2^n·b` (with the offset undone for signed tables), so the RAF claim is
//! `ã(r) + 2^n·b̃(r)`: the caller splits it between its two operand claims.

use super::{LookupTable, OperandMap, PrefixSuffix, TableError};
use ark_ff::{One, Zero};
use jolt_core::field::Fr;

/// `[a < b]` on interleaved `n`-bit operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LessThanTable {
    bits: usize,
    signed: bool,
}

impl LessThanTable {
    /// Comparison of `bits`-bit operands, `1 ≤ bits ≤ 30`, unsigned or two's-complement.
    pub fn new(bits: usize, signed: bool) -> Result<Self, TableError> {
        if !(1..=30).contains(&bits) {
            return Err(TableError::InvalidParameter(format!(
                "comparison width {bits} not in 1..=30"
            )));
        }
        Ok(Self { bits, signed })
    }

    fn bias(&self) -> i64 {
        if self.signed {
            1 << (self.bits - 1)
        } else {
            0
        }
    }

    /// The key of the pair `(a, b)` (each in the operand range).
    pub fn key(&self, a: i64, b: i64) -> u64 {
        let (a, b) = ((a + self.bias()) as u64, (b + self.bias()) as u64);
        let mut k = 0u64;
        for i in 0..self.bits {
            k |= ((a >> i) & 1) << (2 * i);
            k |= ((b >> i) & 1) << (2 * i + 1);
        }
        k
    }

    /// `(a, b)` of a key, unbiased.
    fn operands(&self, k: u64) -> (i64, i64) {
        let (mut a, mut b) = (0i64, 0i64);
        for i in 0..self.bits {
            a |= (((k >> (2 * i)) & 1) as i64) << i;
            b |= (((k >> (2 * i + 1)) & 1) as i64) << i;
        }
        (a - self.bias(), b - self.bias())
    }
}

/// `LT` over the interleaved pairs of `point` (an even number of coordinates).
fn lt_interleaved_mle(point: &[Fr]) -> Fr {
    let mut acc = Fr::zero();
    let mut eq_above = Fr::one();
    for pair in point.chunks_exact(2).rev() {
        let (a, b) = (pair[0], pair[1]);
        acc += eq_above * (Fr::one() - a) * b;
        eq_above *= a * b + (Fr::one() - a) * (Fr::one() - b);
    }
    acc
}

impl LookupTable for LessThanTable {
    fn name(&self) -> String {
        format!("lt_{}{}", if self.signed { "i" } else { "u" }, self.bits)
    }

    fn log_k(&self) -> usize {
        2 * self.bits
    }

    fn value(&self, index: u64) -> i64 {
        let (a, b) = self.operands(index);
        (a < b) as i64
    }

    fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        lt_interleaved_mle(point)
    }

    fn operand(&self) -> OperandMap {
        let n = self.bits;
        let weights = (0..2 * n)
            .map(|b| {
                if b % 2 == 0 {
                    1i64 << (b / 2)
                } else {
                    1i64 << (n + b / 2)
                }
            })
            .collect();
        OperandMap {
            offset: -self.bias() * (1 + (1i64 << n)),
            weights,
        }
    }

    fn prefix_suffix(&self) -> Option<&dyn PrefixSuffix> {
        Some(self)
    }
}

impl PrefixSuffix for LessThanTable {
    fn num_terms(&self) -> usize {
        2
    }

    fn supports_split(&self, split: usize) -> bool {
        split % 2 == 0
    }

    fn suffix(&self, term: usize, _split: usize, q: u64) -> i64 {
        // Compare the high pairs: LT_hi and EQ_hi, from the top pair down.
        let mut lt = 0i64;
        let mut eq = 1i64;
        let pairs = 64 - q.leading_zeros().min(63) as usize;
        for i in (0..pairs.div_ceil(2)).rev() {
            let (a, b) = ((q >> (2 * i)) & 1, (q >> (2 * i + 1)) & 1);
            lt += eq * ((a == 0 && b == 1) as i64);
            eq *= (a == b) as i64;
        }
        if term == 0 {
            lt
        } else {
            eq
        }
    }

    fn prefix_mle(&self, term: usize, point: &[Fr]) -> Fr {
        if term == 0 {
            Fr::one()
        } else {
            lt_interleaved_mle(point)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::test_support::{check_mle, check_prefix_suffix};

    #[test]
    fn values_compare() {
        let t = LessThanTable::new(8, true).unwrap();
        for (a, b) in [(-128, 127), (5, -3), (-1, -1), (0, 1)] {
            let k = t.key(a, b);
            assert_eq!(t.value(k), (a < b) as i64);
            assert_eq!(t.operand().eval_index(k), a + (b << 8));
        }
    }

    #[test]
    fn mle_and_decomposition() {
        for (bits, signed) in [(1, false), (3, true), (4, false)] {
            let t = LessThanTable::new(bits, signed).unwrap();
            check_mle(&t, bits as u64);
            check_prefix_suffix(&t, bits as u64);
        }
        check_prefix_suffix(&LessThanTable::new(16, true).unwrap(), 16);
    }
}
