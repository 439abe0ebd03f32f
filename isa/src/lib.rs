//! # atlas-isa
//!
//! The Atlas tensor ISA: the quantized program that the ONNX frontend produces, the VM executes
//! and the prover proves. No cryptography and no ONNX here — only the data model and its integer
//! semantics.
//!
//! | module | contents |
//! |---|---|
//! | [`tensor`] | [`TensorId`], [`TensorInfo`] (shape, fixed-point scale, [`Role`]), broadcasting |
//! | [`instr`] | [`Instr`], one variant per instruction with its exact integer semantics |
//! | [`table`] | [`Table`]: element-wise non-linear functions on clamped fixed-point domains |
//! | [`fixed`] | the rounding rules (round half up, integer square root) shared by VM and prover |
//! | [`program`] | [`Program`], [`Weights`]: validation, postcard encoding, the program digest |
//!
//! A tensor with scale `s` holds integers `q` standing for `q / 2^s`. Products double the scale;
//! [`Instr::Rescale`] brings it back with rounding and a range-checked remainder.

pub mod fixed;
pub mod instr;
pub mod program;
pub mod table;
pub mod tensor;

pub use instr::{EinsumSpec, Instr, Window};
pub use program::{Program, TensorData, Weights};
pub use table::{Table, TableFn};
pub use tensor::{Role, TensorId, TensorInfo};

/// Errors of program validation and decoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IsaError {
    /// A tensor id past the end of the tensor table.
    #[error("tensor {0} does not exist")]
    UnknownTensor(TensorId),
    /// A tensor listed with the wrong role.
    #[error("tensor {id} should have role {expected:?}")]
    Role {
        /// The tensor.
        id: TensorId,
        /// The role it should have.
        expected: Role,
    },
    /// An instruction that does not fit its tensors.
    #[error("instruction {index} ({op}): {detail}")]
    Instr {
        /// Position in the program.
        index: usize,
        /// Operator name.
        op: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// Any other structural problem.
    #[error("malformed program: {0}")]
    Malformed(String),
    /// Bytes that are not a program.
    #[error("cannot decode program: {0}")]
    Decode(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], scale: u32, role: Role) -> TensorInfo {
        TensorInfo {
            name: String::new(),
            shape: shape.to_vec(),
            scale,
            role,
        }
    }

    /// x:[2,3] · w:[3,4] → rescale → relu.
    fn sample() -> Program {
        Program {
            tensors: vec![
                t(&[2, 3], 8, Role::Input),
                t(&[3, 4], 8, Role::Weight),
                t(&[2, 4], 16, Role::Intermediate),
                t(&[2, 4], 8, Role::Intermediate),
                t(&[2, 4], 8, Role::Output),
            ],
            instrs: vec![
                Instr::Einsum {
                    a: TensorId(0),
                    b: TensorId(1),
                    spec: EinsumSpec {
                        a: "mk".into(),
                        b: "kn".into(),
                        out: "mn".into(),
                    },
                    out: TensorId(2),
                },
                Instr::Rescale {
                    x: TensorId(2),
                    shift: 8,
                    out: TensorId(3),
                },
                Instr::Lookup {
                    x: TensorId(3),
                    table: Table {
                        func: TableFn::Relu,
                        in_scale: 8,
                        out_scale: 8,
                        domain: (0, 0),
                    },
                    out: TensorId(4),
                },
            ],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(4)],
            constants: vec![],
            custom_tables: Default::default(),
        }
    }

    #[test]
    fn round_trip_and_digest() {
        let p = sample();
        p.validate().unwrap();
        let q = Program::from_bytes(&p.to_bytes()).unwrap();
        assert_eq!(p, q);
        assert_eq!(p.digest(), q.digest());
        let mut r = p.clone();
        r.tensors[0].scale = 7;
        assert_ne!(p.digest(), r.digest());
        assert!(Program::from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn validation_rejects() {
        let mut p = sample();
        p.tensors[2].scale = 8;
        assert!(matches!(
            p.validate(),
            Err(IsaError::Instr { index: 0, .. })
        ));
        let mut p = sample();
        p.tensors[3].shape = vec![4, 2];
        assert!(matches!(
            p.validate(),
            Err(IsaError::Instr { index: 1, .. })
        ));
        let mut p = sample();
        p.instrs.swap(0, 1);
        assert!(p.validate().is_err());
        let mut p = sample();
        p.instrs.push(Instr::Neg {
            x: TensorId(0),
            out: TensorId(4),
        });
        assert!(p.validate().is_err());
        let mut p = sample();
        p.instrs[0] = Instr::Einsum {
            a: TensorId(0),
            b: TensorId(1),
            spec: EinsumSpec {
                a: "mk".into(),
                b: "kk".into(),
                out: "mn".into(),
            },
            out: TensorId(2),
        };
        assert!(p.validate().is_err());
    }
}
