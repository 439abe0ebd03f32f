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

/// A table ready for evaluation: its domain checked once.
pub(crate) struct Lookup<'a> {
    table: &'a Table,
    custom: &'a dyn CustomTables,
}

impl<'a> Lookup<'a> {
    /// Checks the table's domain (clamped tables need `lo ≤ hi`).
    pub(crate) fn new(table: &'a Table, custom: &'a dyn CustomTables) -> OpResult<Self> {
        let (lo, hi) = table.domain;
        if !table.is_piecewise_linear() && lo > hi {
            return Err(OpError::EmptyTableDomain { lo, hi });
        }
        Ok(Self { table, custom })
    }

    /// The table address and output for input `x`.
    pub(crate) fn eval(&self, x: i64) -> OpResult<(u64, i64)> {
        let t = self.table;
        if let TableFn::LeakyRelu { alpha_q } = t.func {
            if x < 0 && x.checked_mul(alpha_q).is_none() {
                return Err(OpError::Overflow);
            }
        }
        let (lo, hi) = t.domain;
        let (key, y) = if t.is_piecewise_linear() {
            (x as u64, t.eval(x))
        } else {
            let xc = x.clamp(lo, hi);
            let key = xc.wrapping_sub(lo) as u64;
            match &t.func {
                TableFn::Custom(name) => (key, self.custom.eval(name, xc)),
                _ => (key, t.eval(xc)),
            }
        };
        match y {
            Some(y) => Ok((key, y)),
            None => Err(OpError::UnknownTable(match &t.func {
                TableFn::Custom(name) => name.clone(),
                other => format!("{other:?}"),
            })),
        }
    }
}
