//! Test helpers: one-instruction programs, random tensors and naive index math.

#![allow(dead_code)]

use atlas_isa::{Instr, Program, Role, TensorData, TensorId, TensorInfo, Weights};
use atlas_vm::{CustomTables, InstrWitness, Trace, VmError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded generator.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `n` values uniform in `[-bound, bound]`.
pub fn random(rng: &mut ChaCha8Rng, n: usize, bound: i64) -> Vec<i64> {
    (0..n).map(|_| rng.gen_range(-bound..=bound)).collect()
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major multi-index of flat position `i`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Flat position of a multi-index.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// Flat position in `shape` of the output index `out_idx` under NumPy broadcasting.
pub fn bcast_index(out_idx: &[usize], shape: &[usize]) -> usize {
    let lead = out_idx.len() - shape.len();
    let idx: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &e)| if e == 1 { 0 } else { out_idx[lead + d] })
        .collect();
    ravel(&idx, shape)
}

/// An operand of a one-instruction program.
#[derive(Clone)]
pub struct Arg {
    pub shape: Vec<usize>,
    pub scale: u32,
    pub values: Vec<i64>,
    pub role: Role,
}

pub fn input(shape: &[usize], scale: u32, values: Vec<i64>) -> Arg {
    assert_eq!(values.len(), numel(shape));
    Arg {
        shape: shape.to_vec(),
        scale,
        values,
        role: Role::Input,
    }
}

pub fn weight(shape: &[usize], scale: u32, values: Vec<i64>) -> Arg {
    Arg {
        role: Role::Weight,
        ..input(shape, scale, values)
    }
}

pub fn constant(shape: &[usize], scale: u32, values: Vec<i64>) -> Arg {
    Arg {
        role: Role::Constant,
        ..input(shape, scale, values)
    }
}

pub fn info(shape: &[usize], scale: u32, role: Role) -> TensorInfo {
    TensorInfo {
        name: String::new(),
        shape: shape.to_vec(),
        scale,
        role,
    }
}

/// A program of one instruction: operands are tensors `0..args.len()`, the output is the last.
pub fn program1(
    args: &[Arg],
    make: impl FnOnce(&[TensorId], TensorId) -> Instr,
    out_shape: &[usize],
    out_scale: u32,
) -> (Program, Weights, Vec<Vec<i64>>) {
    let mut p = Program::default();
    let mut w = Weights::default();
    let mut inputs = Vec::new();
    let ids: Vec<TensorId> = (0..args.len() as u32).map(TensorId).collect();
    for (a, &id) in args.iter().zip(&ids) {
        p.tensors.push(info(&a.shape, a.scale, a.role));
        match a.role {
            Role::Input => {
                p.inputs.push(id);
                inputs.push(a.values.clone());
            }
            Role::Weight => w.tensors.push(TensorData {
                id,
                values: a.values.clone(),
            }),
            Role::Constant => p.constants.push(TensorData {
                id,
                values: a.values.clone(),
            }),
            _ => unreachable!("operands are inputs, weights or constants"),
        }
    }
    let out = TensorId(args.len() as u32);
    p.tensors.push(info(out_shape, out_scale, Role::Output));
    p.instrs.push(make(&ids, out));
    p.outputs.push(out);
    (p, w, inputs)
}

/// Runs a one-instruction program with custom tables.
pub fn try_run1_with(
    args: &[Arg],
    make: impl FnOnce(&[TensorId], TensorId) -> Instr,
    out_shape: &[usize],
    out_scale: u32,
    custom: &dyn CustomTables,
) -> Result<(Vec<i64>, InstrWitness), VmError> {
    let (p, w, inputs) = program1(args, make, out_shape, out_scale);
    let trace: Trace = atlas_vm::execute_with(&p, &w, &inputs, custom)?;
    Ok((trace.outputs(&p).remove(0), trace.witness(0).clone()))
}

/// Runs a one-instruction program.
pub fn try_run1(
    args: &[Arg],
    make: impl FnOnce(&[TensorId], TensorId) -> Instr,
    out_shape: &[usize],
    out_scale: u32,
) -> Result<(Vec<i64>, InstrWitness), VmError> {
    try_run1_with(args, make, out_shape, out_scale, &atlas_vm::NoCustomTables)
}

/// Runs a one-instruction program that must succeed.
pub fn run1(
    args: &[Arg],
    make: impl FnOnce(&[TensorId], TensorId) -> Instr,
    out_shape: &[usize],
    out_scale: u32,
) -> (Vec<i64>, InstrWitness) {
    try_run1(args, make, out_shape, out_scale).expect("execution succeeds")
}
