//! Programs: tensors, instructions, public constants; validation, encoding and digest.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use serde::{Deserialize, Serialize};

use crate::instr::Instr;
use crate::tensor::{Role, TensorId, TensorInfo};
use crate::IsaError;

/// Domain separator of the program digest; bump when the encoding changes.
const DIGEST_DOMAIN: &[u8] = b"atlas-program-v1";

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

    /// Ids of the tensors of a role, in increasing order.
    pub fn tensors_with_role(&self, role: Role) -> Vec<TensorId> {
        (0..self.tensors.len() as u32)
            .map(TensorId)
            .filter(|&id| self.tensor(id).role == role)
            .collect()
    }

    /// Checks the program's structure: single assignment, definition before use, every shape and
    /// scale rule, roles of inputs and outputs, constant values present and of the right size.
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
        Ok(())
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
