//! User-defined tables: a function of a bounded integer domain, with the fixed-point scales of
//! its input and output, registered under a name.
//!
//! An ONNX custom operator (or any caller) names a table; the frontend needs its scales and
//! domain to quantize around it ([`TableRegistry::spec`]) and the VM its integer semantics
//! ([`TableRegistry::eval`]). [`TableRegistry::resolve`] gives the table as a [`LookupTable`]:
//! the function materialized on its domain with clamping semantics, exactly like a built-in
//! smooth table ([`ClampedTable`]). The zkVM prover does not consult the registry: the compiled
//! program carries each custom table's values (`atlas_isa::Program::custom_tables`), so the
//! verifying key binds them.

use crate::tables::{ClampedTable, LookupTable, ReluTable, TableError};
use atlas_isa::{Table, TableFn};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Errors of the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A table of that name is already registered.
    #[error("a table named {0:?} is already registered")]
    Duplicate(String),
    /// No table of that name is registered.
    #[error("no table named {0:?} is registered")]
    Unknown(String),
    /// The ISA table's scales or domain differ from the registered ones.
    #[error("table {name:?}: program uses scales {program:?} but the registered table has {registered:?}")]
    SpecMismatch {
        /// Table name.
        name: String,
        /// `(in_scale, out_scale, domain)` in the program.
        program: (u32, u32, (i64, i64)),
        /// `(in_scale, out_scale, domain)` registered.
        registered: (u32, u32, (i64, i64)),
    },
    /// The table cannot be built.
    #[error(transparent)]
    Table(#[from] TableError),
}

/// What a user implements to define a table: a function from the integers of `domain` (at
/// `in_scale`) to integers (at `out_scale`). Inputs outside the domain are clamped to it.
pub trait UserTable: Send + Sync + fmt::Debug {
    /// Fixed-point scale of the input (`value = q / 2^in_scale`).
    fn in_scale(&self) -> u32;
    /// Fixed-point scale of the output.
    fn out_scale(&self) -> u32;
    /// Inclusive input domain `[lo, hi]`, quantized.
    fn domain(&self) -> (i64, i64);
    /// The output for an input in the domain.
    fn eval(&self, x: i64) -> i64;
}

/// A [`UserTable`] from a closure.
#[derive(Clone)]
pub struct FnTable {
    in_scale: u32,
    out_scale: u32,
    domain: (i64, i64),
    f: Arc<dyn Fn(i64) -> i64 + Send + Sync>,
}

impl FnTable {
    /// The table of `f` on `domain`, with the given scales.
    pub fn new(
        in_scale: u32,
        out_scale: u32,
        domain: (i64, i64),
        f: impl Fn(i64) -> i64 + Send + Sync + 'static,
    ) -> Self {
        Self {
            in_scale,
            out_scale,
            domain,
            f: Arc::new(f),
        }
    }
}

impl fmt::Debug for FnTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTable")
            .field("in_scale", &self.in_scale)
            .field("out_scale", &self.out_scale)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl UserTable for FnTable {
    fn in_scale(&self) -> u32 {
        self.in_scale
    }
    fn out_scale(&self) -> u32 {
        self.out_scale
    }
    fn domain(&self) -> (i64, i64) {
        self.domain
    }
    fn eval(&self, x: i64) -> i64 {
        (self.f)(x)
    }
}

/// The public description of a registered table: `(in_scale, out_scale, domain)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// Input scale.
    pub in_scale: u32,
    /// Output scale.
    pub out_scale: u32,
    /// Inclusive input domain.
    pub domain: (i64, i64),
}

/// Named user-defined tables.
#[derive(Clone, Debug, Default)]
pub struct TableRegistry {
    tables: BTreeMap<String, Arc<dyn UserTable>>,
}

impl TableRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `table` under `name`; names are unique.
    pub fn register(
        &mut self,
        name: impl Into<String>,
        table: impl UserTable + 'static,
    ) -> Result<(), RegistryError> {
        let name = name.into();
        if self.tables.contains_key(&name) {
            return Err(RegistryError::Duplicate(name));
        }
        self.tables.insert(name, Arc::new(table));
        Ok(())
    }

    /// The table registered under `name`.
    pub fn get(&self, name: &str) -> Result<&Arc<dyn UserTable>, RegistryError> {
        self.tables
            .get(name)
            .ok_or_else(|| RegistryError::Unknown(name.to_string()))
    }

    /// The registered names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Scales and domain of `name`.
    pub fn spec(&self, name: &str) -> Result<TableSpec, RegistryError> {
        let t = self.get(name)?;
        Ok(TableSpec {
            in_scale: t.in_scale(),
            out_scale: t.out_scale(),
            domain: t.domain(),
        })
    }

    /// The table's output for `x`, clamped to the domain first.
    pub fn eval(&self, name: &str, x: i64) -> Result<i64, RegistryError> {
        let t = self.get(name)?;
        let (lo, hi) = t.domain();
        Ok(t.eval(x.clamp(lo, hi)))
    }

    /// The lookup table of an ISA table: ReLU on 32-bit keys, a smooth function materialized on
    /// its domain, or a registered custom table (whose scales and domain must match).
    pub fn resolve(&self, table: &Table) -> Result<Arc<dyn LookupTable>, RegistryError> {
        match &table.func {
            TableFn::Relu => Ok(Arc::new(ReluTable::i32())),
            TableFn::Custom(name) => {
                let spec = self.spec(name)?;
                let program = (table.in_scale, table.out_scale, table.domain);
                let registered = (spec.in_scale, spec.out_scale, spec.domain);
                if program != registered {
                    return Err(RegistryError::SpecMismatch {
                        name: name.clone(),
                        program,
                        registered,
                    });
                }
                let user = self.get(name)?.clone();
                Ok(Arc::new(ClampedTable::from_fn(
                    name.clone(),
                    spec.domain,
                    move |x| user.eval(x),
                )?))
            }
            _ => Ok(Arc::new(ClampedTable::from_isa(table)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swish() -> FnTable {
        FnTable::new(4, 4, (-64, 63), |x| {
            let v = x as f64 / 16.0;
            (v / (1.0 + (-v).exp()) * 16.0).round() as i64
        })
    }

    #[test]
    fn register_resolve_and_evaluate() {
        let mut reg = TableRegistry::new();
        reg.register("swish", swish()).unwrap();
        assert_eq!(
            reg.register("swish", swish()),
            Err(RegistryError::Duplicate("swish".into()))
        );
        assert_eq!(reg.names().collect::<Vec<_>>(), ["swish"]);
        let spec = reg.spec("swish").unwrap();
        assert_eq!(spec.domain, (-64, 63));
        let isa = Table {
            func: TableFn::Custom("swish".into()),
            in_scale: 4,
            out_scale: 4,
            domain: (-64, 63),
        };
        let table = reg.resolve(&isa).unwrap();
        assert_eq!(table.log_k(), 7);
        for x in -64..=63 {
            let k = (x + 64) as u64;
            assert_eq!(table.value(k), reg.eval("swish", x).unwrap());
            assert_eq!(table.operand().eval_index(k), x);
        }
        assert_eq!(
            reg.eval("swish", 1000).unwrap(),
            reg.eval("swish", 63).unwrap()
        );
        let wrong = Table {
            in_scale: 5,
            ..isa.clone()
        };
        assert!(matches!(
            reg.resolve(&wrong),
            Err(RegistryError::SpecMismatch { .. })
        ));
        assert!(matches!(
            reg.eval("nope", 0),
            Err(RegistryError::Unknown(_))
        ));
    }

    #[test]
    fn resolves_builtins() {
        let reg = TableRegistry::new();
        let relu = Table {
            func: TableFn::Relu,
            in_scale: 8,
            out_scale: 8,
            domain: (0, 0),
        };
        assert_eq!(reg.resolve(&relu).unwrap().log_k(), 32);
        let tanh = Table {
            func: TableFn::Tanh,
            domain: (-1024, 1023),
            ..relu
        };
        assert_eq!(reg.resolve(&tanh).unwrap().log_k(), 11);
    }
}
