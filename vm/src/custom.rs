//! User-defined tables ([`atlas_isa::TableFn::Custom`]).
//!
//! A program normally carries the values of its custom tables ([`Program::custom_tables`]);
//! the VM evaluates those first ([`ProgramTables`]), so such a program executes with plain
//! `execute` and exactly as the prover proves it. A table whose values the program does not
//! carry (one too large to materialize) is resolved through a [`CustomTables`] resolver:
//! `atlas-lookups`' [`TableRegistry`] is one, so the program executes with
//! `execute_with(program, weights, inputs, &registry)`. [`check_custom_tables`] checks, before
//! a run, that the registry has every table a program names, with the scales and domain the
//! program was compiled for.

use std::collections::HashMap;

use atlas_isa::{Instr, Program, TableFn};
use atlas_lookups::{RegistryError, TableRegistry};

use crate::tables::CustomTables;

/// The custom tables of a program: its own values first, then `fallback`.
pub(crate) struct ProgramTables<'a> {
    /// Table name → (domain's lower bound, values on the domain).
    values: HashMap<&'a str, (i64, &'a [i64])>,
    fallback: &'a dyn CustomTables,
}

impl<'a> ProgramTables<'a> {
    /// The resolver of a validated `program` (every use of a custom table has the domain its
    /// values are for).
    pub(crate) fn new(program: &'a Program, fallback: &'a dyn CustomTables) -> Self {
        let values = program
            .tables()
            .filter_map(|(_, table)| match &table.func {
                TableFn::Custom(name) => program
                    .custom_table(name)
                    .map(|v| (name.as_str(), (table.domain.0, v))),
                _ => None,
            })
            .collect();
        Self { values, fallback }
    }
}

impl CustomTables for ProgramTables<'_> {
    /// The program's value for the (already clamped) `x` when it carries the table, else the
    /// fallback's.
    fn eval(&self, name: &str, x: i64) -> Option<i64> {
        match self.values.get(name) {
            Some((lo, values)) => {
                let key = usize::try_from(x.checked_sub(*lo)?).ok()?;
                values.get(key).copied()
            }
            None => self.fallback.eval(name, x),
        }
    }
}

/// Checks that every custom table `program` looks up is registered with the program's scales
/// and domain (a program compiled against one plug-in and run with another is refused here
/// rather than evaluated with the wrong table). Values the program carries are not compared:
/// they take precedence over the registry's when executing.
pub fn check_custom_tables(
    program: &Program,
    registry: &TableRegistry,
) -> Result<(), RegistryError> {
    for instr in &program.instrs {
        let Instr::Lookup { table, .. } = instr else {
            continue;
        };
        let TableFn::Custom(name) = &table.func else {
            continue;
        };
        let spec = registry.spec(name)?;
        let registered = (spec.in_scale, spec.out_scale, spec.domain);
        let used = (table.in_scale, table.out_scale, table.domain);
        if registered != used {
            return Err(RegistryError::SpecMismatch {
                name: name.clone(),
                program: used,
                registered,
            });
        }
    }
    Ok(())
}

impl CustomTables for TableRegistry {
    /// The registered table's output (the registry clamps to the registered domain; the VM has
    /// already clamped to the program's, and the prover checks the two agree).
    fn eval(&self, name: &str, x: i64) -> Option<i64> {
        TableRegistry::eval(self, name, x).ok()
    }
}

#[cfg(test)]
mod tests {
    use atlas_isa::{Role, Table, TensorId, TensorInfo, Weights};
    use atlas_lookups::FnTable;

    use super::*;

    #[test]
    fn executes_a_registered_table() {
        let mut registry = TableRegistry::new();
        // y = 3x on [-4, 4], clamped.
        registry
            .register("triple", FnTable::new(0, 0, (-4, 4), |x| 3 * x))
            .unwrap();
        let t = |role| TensorInfo {
            name: String::new(),
            shape: vec![4],
            scale: 0,
            role,
        };
        let table = Table {
            func: TableFn::Custom("triple".into()),
            in_scale: 0,
            out_scale: 0,
            domain: (-4, 4),
        };
        let program = Program {
            tensors: vec![t(Role::Input), t(Role::Output)],
            instrs: vec![Instr::Lookup {
                x: TensorId(0),
                table,
                out: TensorId(1),
            }],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(1)],
            constants: vec![],
            custom_tables: Default::default(),
        };
        let inputs = [vec![-9, -1, 2, 100]];
        let trace = crate::execute_with(&program, &Weights::default(), &inputs, &registry).unwrap();
        assert_eq!(trace.outputs(&program), vec![vec![-12, -3, 6, 12]]);
        assert_eq!(check_custom_tables(&program, &registry), Ok(()));
        let mut other = TableRegistry::new();
        assert!(matches!(
            check_custom_tables(&program, &other),
            Err(RegistryError::Unknown(_))
        ));
        other
            .register("triple", FnTable::new(1, 0, (-4, 4), |x| 3 * x))
            .unwrap();
        assert!(matches!(
            check_custom_tables(&program, &other),
            Err(RegistryError::SpecMismatch { .. })
        ));
        // Without the registry the table is unknown.
        assert!(crate::execute(&program, &Weights::default(), &inputs).is_err());
        assert_eq!(CustomTables::eval(&registry, "nope", 0), None);

        // With its values in the program, it executes without a registry, and the program's
        // values win over a registry's.
        let mut carried = program.clone();
        carried
            .custom_tables
            .insert("triple".into(), (-4..=4).map(|x| 3 * x + 1).collect());
        let expected = vec![vec![-11, -2, 7, 13]];
        let trace = crate::execute(&carried, &Weights::default(), &inputs).unwrap();
        assert_eq!(trace.outputs(&carried), expected);
        let trace = crate::execute_with(&carried, &Weights::default(), &inputs, &registry).unwrap();
        assert_eq!(trace.outputs(&carried), expected);
        let resolver = ProgramTables::new(&carried, &registry);
        assert_eq!(resolver.eval("triple", 4), Some(13));
        assert_eq!(resolver.eval("triple", 5), None);
        assert_eq!(resolver.eval("nope", 0), None);
    }
}
