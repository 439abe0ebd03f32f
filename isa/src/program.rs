//! Programs: tensors, instructions, public constants; validation, encoding and digest.

use std::collections::BTreeMap;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use serde::{Deserialize, Serialize};

use crate::instr::Instr;
use crate::table::{Table, TableFn, MAX_CUSTOM_TABLE_ENTRIES};
use crate::tensor::{Role, TensorId, TensorInfo};
use crate::IsaError;

/// Domain separator of the program digest; bump when the encoding changes.
const DIGEST_DOMAIN: &[u8] = b"atlas-program-v2";

/// The values of one tensor, row-major, quantized at the tensor's scale.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TensorData {
    /// The tensor.
    pub id: TensorId,
    /// Its elements.
    pub values: Vec<i64>,
}

/// The quantized weights of a program: one entry per tensor of role [`Role::Weight`].
///
/// Kept apart from the [`Program`] because the verifier holds the program but never the weights.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight tensors, in increasing id order.
    pub tensors: Vec<TensorData>,
}

impl Weights {
    /// Values of a weight tensor.
    pub fn get(&self, id: TensorId) -> Option<&[i64]> {
        self.tensors
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| self.tensors[i].values.as_slice())
    }

    /// Total number of weight elements.
    pub fn num_params(&self) -> usize {
        self.tensors.iter().map(|t| t.values.len()).sum()
    }
}

/// An Atlas program in static single assignment over tensors.
///
/// Tensors of role `Input`, `Weight` and `Constant` are defined before the first instruction;
/// every other tensor is defined by exactly one instruction, before any instruction reads it.
///
/// The program also carries the values of the user-defined tables it looks up
/// ([`Program::custom_tables`]), so its encoding and digest — and a verifying key holding it —
/// bind what those tables compute, not only their names, scales and domains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Every tensor, indexed by [`TensorId`].
    pub tensors: Vec<TensorInfo>,
    /// Instructions in execution order.
    pub instrs: Vec<Instr>,
    /// Model inputs, in the model's order.
    pub inputs: Vec<TensorId>,
    /// Model outputs, in the model's order.
    pub outputs: Vec<TensorId>,
    /// Values of the public constants (role [`Role::Constant`]), in increasing id order.
    pub constants: Vec<TensorData>,
    /// Materialized user-defined tables ([`TableFn::Custom`]), by table name: the outputs for
    /// the inputs `lo, lo + 1, …, hi` of the table's inclusive domain, in order (`hi − lo + 1`
    /// values, at most [`MAX_CUSTOM_TABLE_ENTRIES`]). When a custom table has values here, they
    /// are its semantics: the VM executes them and the prover proves lookups into them. A
    /// custom table without values (a larger one) is executed through a table registry and
    /// cannot be proven. Empty for programs without custom tables.
    #[serde(default)]
    pub custom_tables: BTreeMap<String, Vec<i64>>,
}

impl Program {
    /// Metadata of a tensor.
    ///
    /// # Panics
    /// If `id` is not a tensor of this program; use on validated programs.
    pub fn tensor(&self, id: TensorId) -> &TensorInfo {
        &self.tensors[id.index()]
    }

    /// Values of a public constant.
    pub fn constant(&self, id: TensorId) -> Option<&[i64]> {
        self.constants
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| self.constants[i].values.as_slice())
    }

    /// The materialized values of the custom table `name` (see [`Program::custom_tables`]).
    pub fn custom_table(&self, name: &str) -> Option<&[i64]> {
        self.custom_tables.get(name).map(Vec::as_slice)
    }

    /// The output of a custom `table` for input `x` (clamped to the table's domain first) from
    /// the program's values; `None` when `table` is not custom or the program has no values
    /// for it (or values of another length, which [`Program::validate`] rejects).
    pub fn custom_eval(&self, table: &Table, x: i64) -> Option<i64> {
        let TableFn::Custom(name) = &table.func else {
            return None;
        };
        let values = self.custom_table(name)?;
        let (lo, hi) = table.domain;
        if hi < lo {
            return None;
        }
        let key = x.clamp(lo, hi).checked_sub(lo)?;
        values.get(usize::try_from(key).ok()?).copied()
    }

    /// Every table an instruction uses (a `Lookup`'s table, a `Softmax`'s exponential), with
    /// the instruction's position.
    pub fn tables(&self) -> impl Iterator<Item = (usize, &Table)> {
        self.instrs
            .iter()
            .enumerate()
            .filter_map(|(i, instr)| match instr {
                Instr::Lookup { table, .. } => Some((i, table)),
                Instr::Softmax { exp, .. } => Some((i, exp)),
                _ => None,
            })
    }

    /// Checks the custom tables: every use of one name has the same scales and domain, and the
    /// values the program carries for it have one entry per input of that domain. Values of
    /// tables no instruction uses are allowed (a program cut down by a tool keeps them); every
    /// entry is at most [`MAX_CUSTOM_TABLE_ENTRIES`] long.
    fn validate_custom_tables(&self) -> Result<(), IsaError> {
        for (name, values) in &self.custom_tables {
            if values.len() as u64 > MAX_CUSTOM_TABLE_ENTRIES {
                return Err(IsaError::Malformed(format!(
                    "custom table {name:?} carries {} values, more than {MAX_CUSTOM_TABLE_ENTRIES}",
                    values.len()
                )));
            }
        }
        let mut first: BTreeMap<&str, &Table> = BTreeMap::new();
        for (index, table) in self.tables() {
            let TableFn::Custom(name) = &table.func else {
                continue;
            };
            let instr = &self.instrs[index];
            let bad = |detail: String| IsaError::Instr {
                index,
                op: instr.name(),
                detail,
            };
            match first.get(name.as_str()) {
                Some(t) if *t != table => {
                    return Err(bad(format!(
                        "custom table {name:?} is used with scales and domain {:?} here and {:?} \
                         elsewhere",
                        (table.in_scale, table.out_scale, table.domain),
                        (t.in_scale, t.out_scale, t.domain)
                    )))
                }
                Some(_) => continue,
                None => {
                    first.insert(name, table);
                }
            }
            let Some(values) = self.custom_tables.get(name) else {
                continue;
            };
            let (lo, hi) = table.domain;
            let size = hi as i128 - lo as i128 + 1;
            if size != values.len() as i128 {
                return Err(bad(format!(
                    "custom table {name:?} on [{lo}, {hi}] has {} values, expected {}",
                    values.len(),
                    size.max(0)
                )));
            }
        }
        Ok(())
    }

    /// Ids of the tensors of a role, in increasing order.
    pub fn tensors_with_role(&self, role: Role) -> Vec<TensorId> {
        (0..self.tensors.len() as u32)
            .map(TensorId)
            .filter(|&id| self.tensor(id).role == role)
            .collect()
    }

    /// Checks the program's structure: single assignment, definition before use, every shape and
    /// scale rule, roles of inputs and outputs, constant values present and of the right size,
    /// custom tables used consistently and their values (when carried) of the domain's size.
    pub fn validate(&self) -> Result<(), IsaError> {
        let n = self.tensors.len();
        let mut defined = vec![false; n];
        for (i, t) in self.tensors.iter().enumerate() {
            if matches!(t.role, Role::Input | Role::Weight | Role::Constant) {
                defined[i] = true;
            }
        }
        let check_id = |id: TensorId| {
            if id.index() < n {
                Ok(())
            } else {
                Err(IsaError::UnknownTensor(id))
            }
        };
        for &id in &self.inputs {
            check_id(id)?;
            if self.tensor(id).role != Role::Input {
                return Err(IsaError::Role {
                    id,
                    expected: Role::Input,
                });
            }
        }
        if self.tensors_with_role(Role::Input).len() != self.inputs.len() {
            return Err(IsaError::Malformed(
                "input tensors and the input list disagree".into(),
            ));
        }
        let mut last = None;
        for c in &self.constants {
            check_id(c.id)?;
            let info = self.tensor(c.id);
            if info.role != Role::Constant || last >= Some(c.id) || c.values.len() != info.len() {
                return Err(IsaError::Malformed(format!(
                    "constant {} is misdeclared",
                    c.id
                )));
            }
            last = Some(c.id);
        }
        if self.constants.len() != self.tensors_with_role(Role::Constant).len() {
            return Err(IsaError::Malformed("a constant has no values".into()));
        }
        for (index, instr) in self.instrs.iter().enumerate() {
            let bad = |detail: String| IsaError::Instr {
                index,
                op: instr.name(),
                detail,
            };
            for id in instr.inputs() {
                check_id(id)?;
                if !defined[id.index()] {
                    return Err(bad(format!("reads {id} before it is defined")));
                }
            }
            let out = instr.output();
            check_id(out)?;
            if defined[out.index()] {
                return Err(bad(format!("redefines {out}")));
            }
            if !matches!(self.tensor(out).role, Role::Intermediate | Role::Output) {
                return Err(bad(format!(
                    "writes {out}, which is not an intermediate or output"
                )));
            }
            let shape = instr.infer_shape(&self.tensors).map_err(bad)?;
            if shape != self.tensor(out).shape {
                return Err(bad(format!(
                    "output shape {:?} ≠ declared {:?}",
                    shape,
                    self.tensor(out).shape
                )));
            }
            instr.check_scales(&self.tensors).map_err(bad)?;
            defined[out.index()] = true;
        }
        for &id in &self.outputs {
            check_id(id)?;
            if !defined[id.index()] {
                return Err(IsaError::Malformed(format!("output {id} is never defined")));
            }
        }
        self.validate_custom_tables()
    }

    /// Canonical encoding (postcard).
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("serializing a program to memory cannot fail")
    }

    /// Decodes and validates a program.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IsaError> {
        let p: Self = postcard::from_bytes(bytes).map_err(|e| IsaError::Decode(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    /// Stable 32-byte digest: Blake2b-256 over a domain separator and the canonical encoding.
    /// The prover absorbs it into its transcript.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Blake2b::<U32>::new();
        h.update(DIGEST_DOMAIN);
        h.update(self.to_bytes());
        h.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::TensorInfo;

    fn t(role: Role) -> TensorInfo {
        TensorInfo {
            name: String::new(),
            shape: vec![4],
            scale: 2,
            role,
        }
    }

    fn custom(name: &str, domain: (i64, i64)) -> Table {
        Table {
            func: TableFn::Custom(name.into()),
            in_scale: 2,
            out_scale: 2,
            domain,
        }
    }

    /// x → f → f, with `f` a custom table on [-2, 2] whose values are `values`.
    fn twice(values: Vec<i64>) -> Program {
        let lookup = |x, out| Instr::Lookup {
            x: TensorId(x),
            table: custom("f", (-2, 2)),
            out: TensorId(out),
        };
        Program {
            tensors: vec![t(Role::Input), t(Role::Intermediate), t(Role::Output)],
            instrs: vec![lookup(0, 1), lookup(1, 2)],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(2)],
            constants: vec![],
            custom_tables: [("f".to_string(), values)].into(),
        }
    }

    #[test]
    fn custom_table_values_are_validated_evaluated_and_digested() {
        let p = twice(vec![4, 1, 0, 1, 4]);
        p.validate().unwrap();
        let table = custom("f", (-2, 2));
        assert_eq!(p.custom_eval(&table, -7), Some(4));
        assert_eq!(p.custom_eval(&table, 1), Some(1));
        assert_eq!(p.custom_eval(&table, 0), Some(0));
        assert_eq!(p.custom_eval(&custom("g", (-2, 2)), 0), None);
        assert_eq!(p.custom_table("f"), Some(&[4, 1, 0, 1, 4][..]));
        assert_eq!(Program::from_bytes(&p.to_bytes()).unwrap(), p);

        // The digest binds every value.
        let q = twice(vec![4, 1, 0, 1, 3]);
        assert_ne!(p.digest(), q.digest());

        // One value too few or too many.
        assert!(matches!(
            twice(vec![4, 1, 0, 1]).validate(),
            Err(IsaError::Instr { index: 0, .. })
        ));
        assert!(twice(vec![0; 6]).validate().is_err());
        // Two uses of one name must agree on the domain.
        let mut r = p.clone();
        let Instr::Lookup { table: other, .. } = &mut r.instrs[1] else {
            unreachable!()
        };
        other.domain = (-1, 3);
        assert!(matches!(
            r.validate(),
            Err(IsaError::Instr { index: 1, .. })
        ));
        // Without values the program is still valid (a registry evaluates the table); values of
        // a table no instruction uses are allowed but bounded.
        let mut r = p.clone();
        r.custom_tables.clear();
        r.validate().unwrap();
        assert_eq!(r.custom_eval(&table, 0), None);
        let mut r = p.clone();
        r.custom_tables.insert("unused".into(), vec![1, 2]);
        r.validate().unwrap();
        r.custom_tables.insert(
            "huge".into(),
            vec![0; MAX_CUSTOM_TABLE_ENTRIES as usize + 1],
        );
        assert!(matches!(r.validate(), Err(IsaError::Malformed(_))));
    }
}
