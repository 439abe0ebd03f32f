//! Tables on `n`-bit two's-complement keys (n = 32 for Atlas's activations), never
//! materialized: the key is the bit pattern of the operand `x`, `x = Σ_{b<n−1} 2^b k_b − 2^{n−1}
//! k_{n−1}`, and the operand map is that two's-complement reading.
//!
//! * ReLU: `Val(k) = (1 − k_{n−1})·Σ_{b<n−1} 2^b k_b`. At a split `m < n`:
//!   `P_0 = Σ_{b<m} 2^b x_b, S_0(q) = 1 − q_top` and `P_1 = 1, S_1(q) = (1 − q_top)·2^m·q_low`,
//!   where `q_top` is the sign bit and `q_low` the other suffix bits. At `m = n`, `P_0 = Val`.
//! * Sign: `Val(k) = k_{n−1}` (1 for negative operands). At `m < n`: `P_0 = 1, S_0 = q_top`.

use super::{bits_value_mle, LookupTable, OperandMap, PrefixSuffix, TableError};
use ark_ff::{One, Zero};
use jolt_core::field::Fr;

fn check_bits(bits: usize) -> Result<usize, TableError> {
    if (2..=62).contains(&bits) {
        Ok(bits)
    } else {
        Err(TableError::InvalidParameter(format!(
            "two's-complement width {bits} not in 2..=62"
        )))
    }
}

/// The key of an operand `x` (its low `bits` bits).
fn key_of(x: i64, bits: usize) -> u64 {
    (x as u64) & ((1u64 << bits) - 1)
}

/// `(1 − x_{n−1})·Σ_{b<n−1} 2^b x_b` at a full point.
fn relu_mle(point: &[Fr]) -> Fr {
    let (sign, low) = point.split_last().expect("at least two key bits");
    (Fr::one() - sign) * bits_value_mle(low)
}

/// `max(x, 0)` for `n`-bit two's-complement `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReluTable {
    bits: usize,
}

impl ReluTable {
    /// ReLU on `bits`-bit keys, `2 ≤ bits ≤ 62`.
    pub fn new(bits: usize) -> Result<Self, TableError> {
        Ok(Self {
            bits: check_bits(bits)?,
        })
    }

    /// ReLU on 32-bit keys, Atlas's activation width.
    pub fn i32() -> Self {
        Self { bits: 32 }
    }

    /// The key of operand `x` (which must fit in `bits` bits as a signed integer).
    pub fn key(&self, x: i64) -> u64 {
        key_of(x, self.bits)
    }
}

impl LookupTable for ReluTable {
    fn name(&self) -> String {
        format!("relu_i{}", self.bits)
    }

    fn log_k(&self) -> usize {
        self.bits
    }

    fn value(&self, index: u64) -> i64 {
        if (index >> (self.bits - 1)) & 1 == 1 {
            0
        } else {
            index as i64
        }
    }

    fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        relu_mle(point)
    }

    fn operand(&self) -> OperandMap {
        OperandMap::twos_complement(self.bits)
    }

    fn prefix_suffix(&self) -> Option<&dyn PrefixSuffix> {
        Some(self)
    }
}

impl PrefixSuffix for ReluTable {
    fn num_terms(&self) -> usize {
        2
    }

    fn suffix(&self, term: usize, split: usize, q: u64) -> i64 {
        if split == self.bits {
            return (term == 0) as i64;
        }
        let top = self.bits - 1 - split;
        let positive = ((q >> top) & 1) ^ 1;
        match term {
            0 => positive as i64,
            _ => (positive * ((q & ((1u64 << top) - 1)) << split)) as i64,
        }
    }

    fn prefix_mle(&self, term: usize, point: &[Fr]) -> Fr {
        match (term, point.len() == self.bits) {
            (0, true) => relu_mle(point),
            (0, false) => bits_value_mle(point),
            (_, true) => Fr::zero(),
            (_, false) => Fr::one(),
        }
    }
}

/// `[x < 0]` for `n`-bit two's-complement `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignTable {
    bits: usize,
}

impl SignTable {
    /// Sign on `bits`-bit keys, `2 ≤ bits ≤ 62`.
    pub fn new(bits: usize) -> Result<Self, TableError> {
        Ok(Self {
            bits: check_bits(bits)?,
        })
    }

    /// Sign on 32-bit keys.
    pub fn i32() -> Self {
        Self { bits: 32 }
    }

    /// The key of operand `x`.
    pub fn key(&self, x: i64) -> u64 {
        key_of(x, self.bits)
    }
}

impl LookupTable for SignTable {
    fn name(&self) -> String {
        format!("sign_i{}", self.bits)
    }

    fn log_k(&self) -> usize {
        self.bits
    }

    fn value(&self, index: u64) -> i64 {
        ((index >> (self.bits - 1)) & 1) as i64
    }

    fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        point[self.bits - 1]
    }

    fn operand(&self) -> OperandMap {
        OperandMap::twos_complement(self.bits)
    }

    fn prefix_suffix(&self) -> Option<&dyn PrefixSuffix> {
        Some(self)
    }
}

impl PrefixSuffix for SignTable {
    fn num_terms(&self) -> usize {
        1
    }

    fn suffix(&self, _term: usize, split: usize, q: u64) -> i64 {
        if split == self.bits {
            1
        } else {
            ((q >> (self.bits - 1 - split)) & 1) as i64
        }
    }

    fn prefix_mle(&self, _term: usize, point: &[Fr]) -> Fr {
        if point.len() == self.bits {
            point[self.bits - 1]
        } else {
            Fr::one()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::test_support::{check_mle, check_prefix_suffix};

    #[test]
    fn relu_values_are_isa_semantics() {
        let t = ReluTable::i32();
        let isa = atlas_isa::Table {
            func: atlas_isa::TableFn::Relu,
            in_scale: 0,
            out_scale: 0,
            domain: (0, 0),
        };
        for x in [i32::MIN as i64, -7, -1, 0, 1, 12345, i32::MAX as i64] {
            assert_eq!(Some(t.value(t.key(x))), isa.eval(x));
            assert_eq!(t.operand().eval_index(t.key(x)), x);
        }
        let s = SignTable::i32();
        assert_eq!(s.value(s.key(-3)), 1);
        assert_eq!(s.value(s.key(3)), 0);
    }

    #[test]
    fn mle_and_decomposition() {
        for bits in [2, 5, 9] {
            check_mle(&ReluTable::new(bits).unwrap(), bits as u64);
            check_mle(&SignTable::new(bits).unwrap(), bits as u64);
            check_prefix_suffix(&ReluTable::new(bits).unwrap(), bits as u64);
            check_prefix_suffix(&SignTable::new(bits).unwrap(), bits as u64);
        }
        check_prefix_suffix(&ReluTable::i32(), 32);
        check_prefix_suffix(&SignTable::i32(), 32);
    }
}
