//! The range-check table `Val(k) = k` on `[0, 2^k)`: a lookup succeeds exactly when the
//! operand lies in the range, because the RAF sumcheck ties the key to the operand.
//!
//! `Val(x) = Σ_b 2^b·x_b`; at split `m` it decomposes as `P_0 = Σ_{b<m} 2^b x_b, S_0 = 1` and
//! `P_1 = 1, S_1(q) = 2^m·q`.

use super::{bits_value_mle, LookupTable, PrefixSuffix, TableError};
use ark_ff::One;
use jolt_core::field::Fr;

/// `Val(k) = k` for `k < 2^log_k`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeTable {
    log_k: usize,
}

impl RangeTable {
    /// The range `[0, 2^log_k)`, `1 ≤ log_k ≤ 62`.
    pub fn new(log_k: usize) -> Result<Self, TableError> {
        if !(1..=62).contains(&log_k) {
            return Err(TableError::InvalidParameter(format!(
                "range check width {log_k} not in 1..=62"
            )));
        }
        Ok(Self { log_k })
    }
}

impl LookupTable for RangeTable {
    fn name(&self) -> String {
        format!("range[0,2^{})", self.log_k)
    }

    fn log_k(&self) -> usize {
        self.log_k
    }

    fn value(&self, index: u64) -> i64 {
        index as i64
    }

    fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        bits_value_mle(point)
    }

    fn prefix_suffix(&self) -> Option<&dyn PrefixSuffix> {
        Some(self)
    }
}

impl PrefixSuffix for RangeTable {
    fn num_terms(&self) -> usize {
        2
    }

    fn suffix(&self, term: usize, split: usize, q: u64) -> i64 {
        match term {
            0 => 1,
            _ => (q << split) as i64,
        }
    }

    fn prefix_mle(&self, term: usize, point: &[Fr]) -> Fr {
        match term {
            0 => bits_value_mle(point),
            _ => Fr::one(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::test_support::{check_mle, check_prefix_suffix};

    #[test]
    fn mle_and_decomposition() {
        for log_k in [1, 4, 10] {
            let t = RangeTable::new(log_k).unwrap();
            check_mle(&t, log_k as u64);
            check_prefix_suffix(&t, log_k as u64);
        }
        check_prefix_suffix(&RangeTable::new(40).unwrap(), 9);
        assert!(RangeTable::new(0).is_err());
    }
}
