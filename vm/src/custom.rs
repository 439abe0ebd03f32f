//! User-defined tables from `atlas-lookups`' registry: [`TableRegistry`] is a [`CustomTables`]
//! resolver, so a program whose lookups name registered tables ([`atlas_isa::TableFn::Custom`])
//! executes with `execute_with(program, weights, inputs, &registry)`.

use atlas_lookups::TableRegistry;

use crate::tables::CustomTables;

impl CustomTables for TableRegistry {
    /// The registered table's output (the registry clamps to the registered domain; the VM has
    /// already clamped to the program's, and the prover checks the two agree).
    fn eval(&self, name: &str, x: i64) -> Option<i64> {
        TableRegistry::eval(self, name, x).ok()
    }
}

#[cfg(test)]
mod tests {
    use atlas_isa::{Instr, Program, Role, Table, TableFn, TensorId, TensorInfo, Weights};
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
        };
        let inputs = [vec![-9, -1, 2, 100]];
        let trace = crate::execute_with(&program, &Weights::default(), &inputs, &registry).unwrap();
        assert_eq!(trace.outputs(&program), vec![vec![-12, -3, 6, 12]]);
        // Without the registry the table is unknown.
        assert!(crate::execute(&program, &Weights::default(), &inputs).is_err());
        assert_eq!(CustomTables::eval(&registry, "nope", 0), None);
    }
}
