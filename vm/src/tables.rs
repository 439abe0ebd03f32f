//! Evaluation of lookup tables, including user-defined ones through a [`CustomTables`] resolver.
//!
//! The built-in tables are defined by [`Table::eval`]. This module adds what the VM needs on top:
//! the table address of each lookup (see [`crate::LookupWitness::keys`]), overflow checks, and
//! custom tables. A custom table ([`TableFn::Custom`]) clamps its input to the table's domain
//! exactly like the smooth built-ins, and the resolver is called with the clamped input.

use atlas_isa::{Table, TableFn};

use crate::error::{OpError, OpResult};

/// Resolves user-defined tables ([`TableFn::Custom`]) by name.
pub trait CustomTables {
    /// The table's output on the (already clamped) input `x`, or `None` if `name` is unknown.
    fn eval(&self, name: &str, x: i64) -> Option<i64>;
}

/// A resolver that knows no custom table.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCustomTables;

impl CustomTables for NoCustomTables {
    fn eval(&self, _name: &str, _x: i64) -> Option<i64> {
        None
    }
}

/// Largest clamped domain whose outputs are memoized.
const MAX_MEMO: u64 = 1 << 20;

/// A table ready for evaluation: its domain checked once and, when the domain is small next to
/// the number of lookups, its outputs memoized by address.
pub(crate) struct Lookup<'a> {
    table: &'a Table,
    custom: &'a dyn CustomTables,
    /// Outputs by table address, filled on first use.
    memo: Vec<Option<i64>>,
}

impl<'a> Lookup<'a> {
    /// Checks the table's domain (clamped tables need `lo ≤ hi`); `lookups` is the expected
    /// number of evaluations, which decides whether outputs are memoized.
    pub(crate) fn new(
        table: &'a Table,
        custom: &'a dyn CustomTables,
        lookups: usize,
    ) -> OpResult<Self> {
        let (lo, hi) = table.domain;
        let mut memo = Vec::new();
        if !table.is_piecewise_linear() {
            if lo > hi {
                return Err(OpError::EmptyTableDomain { lo, hi });
            }
            let size = (hi as i128 - lo as i128 + 1) as u128;
            if size <= MAX_MEMO as u128 && size as usize <= 2 * lookups {
                memo = vec![None; size as usize];
            }
        }
        Ok(Self {
            table,
            custom,
            memo,
        })
    }

    /// The table address and output for input `x`.
    pub(crate) fn eval(&mut self, x: i64) -> OpResult<(u64, i64)> {
        let t = self.table;
        if t.is_piecewise_linear() {
            if let TableFn::LeakyRelu { alpha_q } = t.func {
                if x < 0 && x.checked_mul(alpha_q).is_none() {
                    return Err(OpError::Overflow);
                }
            }
            let y = t.eval(x).expect("built-in tables always evaluate");
            return Ok((x as u64, y));
        }
        let (lo, hi) = t.domain;
        let xc = x.clamp(lo, hi);
        let key = xc.wrapping_sub(lo) as u64;
        if let Some(Some(y)) = self.memo.get(key as usize) {
            return Ok((key, *y));
        }
        let y = match &t.func {
            TableFn::Custom(name) => self
                .custom
                .eval(name, xc)
                .ok_or_else(|| OpError::UnknownTable(name.clone()))?,
            _ => t.eval(xc).expect("built-in tables always evaluate"),
        };
        if let Some(slot) = self.memo.get_mut(key as usize) {
            *slot = Some(y);
        }
        Ok((key, y))
    }
}
