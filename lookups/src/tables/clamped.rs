//! Materialized tables of a function on a clamped integer domain `[lo, hi]`.
//!
//! The key of an operand `x ∈ [lo, hi]` is `x − lo` and the operand map is `Op(k) = k + lo`.
//! The table has `K = 2^⌈log₂(hi − lo + 1)⌉` entries; keys past the domain hold `f(hi)`, which is
//! what clamping gives for the operands they stand for, so `Val(k) = f(clamp(k + lo))` on every
//! key. The verifier evaluates `Val`'s extension in `O(K)` from the materialized entries.
//!
//! `f` is a built-in smooth function ([`ClampedTable::from_isa`]), any closure
//! ([`ClampedTable::from_fn`]), or given by its values on the domain
//! ([`ClampedTable::from_values`]: a user-defined table, whose values the program carries).

use super::{LookupTable, OperandMap, TableError, MAX_MATERIALIZED_LOG_K};
use crate::poly::mle_eval_i64;
use atlas_isa::Table;
use jolt_core::field::Fr;

/// A function of a bounded integer domain, materialized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClampedTable {
    name: String,
    lo: i64,
    hi: i64,
    log_k: usize,
    values: Vec<i64>,
}

impl ClampedTable {
    /// Materializes `f` on `[lo, hi]` (keys past `hi` hold `f(hi)`).
    pub fn from_fn(
        name: impl Into<String>,
        domain: (i64, i64),
        f: impl Fn(i64) -> i64,
    ) -> Result<Self, TableError> {
        let name = name.into();
        let (lo, hi) = domain;
        if hi < lo {
            return Err(TableError::EmptyDomain { name, lo, hi });
        }
        let size = (hi - lo) as u64 + 1;
        let log_k = (size.next_power_of_two().trailing_zeros() as usize).max(1);
        if log_k > MAX_MATERIALIZED_LOG_K {
            return Err(TableError::TooLarge {
                name,
                log_k,
                max: MAX_MATERIALIZED_LOG_K,
            });
        }
        let values = (0..1i64 << log_k).map(|k| f((lo + k).min(hi))).collect();
        Ok(Self {
            name,
            lo,
            hi,
            log_k,
            values,
        })
    }

    /// The table whose outputs on `lo, lo + 1, …, hi` are `values` (a user-defined table as
    /// [`atlas_isa::Program::custom_tables`] holds it): entry for entry what
    /// [`ClampedTable::from_fn`] gives for the function with those values.
    pub fn from_values(
        name: impl Into<String>,
        domain: (i64, i64),
        values: &[i64],
    ) -> Result<Self, TableError> {
        let name = name.into();
        let (lo, hi) = domain;
        let size = hi as i128 - lo as i128 + 1;
        if size > 0 && size != values.len() as i128 {
            return Err(TableError::InvalidParameter(format!(
                "table {name}: {} values for the {size} inputs of [{lo}, {hi}]",
                values.len()
            )));
        }
        // `from_fn` only calls `f` on `[lo, hi]` (and refuses an empty domain first).
        Self::from_fn(name, domain, |x| values[(x - lo) as usize])
    }

    /// The table of a smooth [`atlas_isa::Table`] (sigmoid, tanh, erf, GELU, exp, log, sqrt,
    /// rsqrt, reciprocal, sin, cos) on its domain, entry for entry equal to [`Table::eval`].
    pub fn from_isa(table: &Table) -> Result<Self, TableError> {
        if table.is_piecewise_linear() {
            return Err(TableError::Unsupported(format!(
                "{:?} is exact on i32 and is not materialized",
                table.func
            )));
        }
        if table.eval(table.domain.0).is_none() {
            return Err(TableError::Unsupported(format!("{:?}", table.func)));
        }
        Self::from_fn(
            format!("{:?}", table.func).to_lowercase(),
            table.domain,
            // `eval` is `Some` for every non-custom function, checked just above.
            |x| table.eval(x).unwrap_or_default(),
        )
    }

    /// The inclusive domain `[lo, hi]`.
    pub fn domain(&self) -> (i64, i64) {
        (self.lo, self.hi)
    }

    /// The key of operand `x` (clamped to the domain first, as the table's semantics say).
    pub fn key(&self, x: i64) -> u64 {
        (x.clamp(self.lo, self.hi) - self.lo) as u64
    }
}

impl LookupTable for ClampedTable {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn log_k(&self) -> usize {
        self.log_k
    }

    fn value(&self, index: u64) -> i64 {
        self.values[index as usize]
    }

    fn evaluate_mle(&self, point: &[Fr]) -> Fr {
        mle_eval_i64(&self.values, point)
    }

    fn operand(&self) -> OperandMap {
        OperandMap::shifted(self.log_k, self.lo)
    }

    fn materialize(&self) -> Vec<i64> {
        self.values.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::test_support::check_mle;
    use atlas_isa::TableFn;

    fn isa(func: TableFn, domain: (i64, i64)) -> Table {
        Table {
            func,
            in_scale: 6,
            out_scale: 8,
            domain,
        }
    }

    #[test]
    fn every_smooth_function_matches_isa() {
        let funcs = [
            (TableFn::Sigmoid, (-512, 511)),
            (TableFn::Tanh, (-300, 300)),
            (TableFn::Erf, (-256, 255)),
            (TableFn::Gelu, (-256, 255)),
            (TableFn::GeluTanh, (-256, 255)),
            (TableFn::Exp, (-512, 64)),
            (TableFn::Log, (1, 1000)),
            (TableFn::Sqrt, (0, 1023)),
            (TableFn::Rsqrt, (1, 1023)),
            (TableFn::Reciprocal, (1, 700)),
            (TableFn::Sin, (-400, 400)),
            (TableFn::Cos, (-400, 400)),
        ];
        for (i, (func, domain)) in funcs.into_iter().enumerate() {
            let spec = isa(func, domain);
            let t = ClampedTable::from_isa(&spec).unwrap();
            for x in domain.0 - 5..=domain.1 + 5 {
                assert_eq!(Some(t.value(t.key(x))), spec.eval(x), "{} at {x}", t.name());
                if (domain.0..=domain.1).contains(&x) {
                    assert_eq!(t.operand().eval_index(t.key(x)), x);
                }
            }
            check_mle(&t, i as u64);
        }
    }

    #[test]
    fn from_values_equals_from_isa() {
        for (func, domain) in [
            (TableFn::Tanh, (-300, 300)),
            (TableFn::Exp, (-512, 64)),
            (TableFn::Sqrt, (0, 1024)),
        ] {
            let spec = isa(func, domain);
            let values: Vec<i64> = (domain.0..=domain.1)
                .map(|x| spec.eval(x).unwrap())
                .collect();
            let t = ClampedTable::from_isa(&spec).unwrap();
            let v = ClampedTable::from_values(t.name(), domain, &values).unwrap();
            assert_eq!(v, t);
            // One value changed is another table.
            let mut other = values.clone();
            other[values.len() / 2] += 1;
            let w = ClampedTable::from_values(t.name(), domain, &other).unwrap();
            assert_ne!(w, t);
        }
        assert!(ClampedTable::from_values("f", (0, 3), &[1, 2, 3]).is_err());
        assert!(ClampedTable::from_values("f", (0, 3), &[1, 2, 3, 4, 5]).is_err());
        assert!(ClampedTable::from_values("f", (3, 2), &[]).is_err());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(ClampedTable::from_isa(&isa(TableFn::Relu, (0, 1))).is_err());
        assert!(ClampedTable::from_isa(&isa(TableFn::Custom("f".into()), (0, 1))).is_err());
        assert!(ClampedTable::from_fn("f", (3, 2), |x| x).is_err());
        assert!(ClampedTable::from_fn("f", (0, 1 << 30), |x| x).is_err());
    }
}
