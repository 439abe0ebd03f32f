//! The interpreter: loads inputs, weights and constants, then runs each instruction's kernel in
//! program order.
//!
//! | module | instructions |
//! |---|---|
//! | [`contraction`] | Einsum, Conv |
//! | [`elementwise`] | Add, Sub, Mul, Neg, MulConst, Rescale, Max, Min, Equal, Less, Where, Lookup |
//! | [`reduce`] | ReduceSum, ReduceMax, SumPool, MaxPool |
//! | [`movement`] | Reshape, Transpose, Slice, Concat, Broadcast, Pad, Gather |
//! | [`composite`] | Div, Sqrt, Softmax, RmsNorm |
//! | [`layout`] | strided traversal, broadcasting, window index maps |

mod composite;
mod contraction;
mod elementwise;
mod layout;
mod movement;
mod reduce;

use atlas_isa::{Instr, Program, Role, TensorId, Weights};

use crate::custom::ProgramTables;
use crate::error::{OpResult, VmError};
use crate::tables::CustomTables;
use crate::trace::{InstrWitness, Trace};
use layout::View;

/// Runs a validated program; its custom tables evaluate from the program's values when it
/// carries them, else through `custom`.
pub(crate) fn run(
    program: &Program,
    weights: &Weights,
    inputs: &[Vec<i64>],
    custom: &dyn CustomTables,
) -> Result<Trace, VmError> {
    let tables = ProgramTables::new(program, custom);
    let custom: &dyn CustomTables = &tables;
    let mut values: Vec<Vec<i64>> = vec![Vec::new(); program.tensors.len()];
    for (i, info) in program.tensors.iter().enumerate() {
        if info.len() > u32::MAX as usize {
            return Err(VmError::TensorTooLarge {
                tensor: TensorId(i as u32),
                len: info.len(),
            });
        }
    }
    if inputs.len() != program.inputs.len() {
        return Err(VmError::InputCount {
            expected: program.inputs.len(),
            got: inputs.len(),
        });
    }
    for (index, (&id, data)) in program.inputs.iter().zip(inputs).enumerate() {
        let expected = program.tensor(id).len();
        if data.len() != expected {
            return Err(VmError::InputLength {
                index,
                tensor: id,
                expected,
                got: data.len(),
            });
        }
        values[id.index()] = data.clone();
    }
    for id in program.tensors_with_role(Role::Weight) {
        let data = weights.get(id).ok_or(VmError::MissingWeight(id))?;
        let expected = program.tensor(id).len();
        if data.len() != expected {
            return Err(VmError::WeightLength {
                tensor: id,
                expected,
                got: data.len(),
            });
        }
        values[id.index()] = data.to_vec();
    }
    for c in &program.constants {
        values[c.id.index()] = c.values.clone();
    }

    let mut witnesses = Vec::with_capacity(program.instrs.len());
    for (index, instr) in program.instrs.iter().enumerate() {
        let _span = tracing::trace_span!("instr", index, op = instr.name()).entered();
        let (data, witness) =
            step(program, &values, instr, custom).map_err(|e| e.at(index, instr.name()))?;
        debug_assert_eq!(data.len(), program.tensor(instr.output()).len());
        values[instr.output().index()] = data;
        witnesses.push(witness);
    }
    Ok(Trace::new(values, witnesses))
}

/// Executes one instruction: its output values and witness.
fn step(
    program: &Program,
    values: &[Vec<i64>],
    instr: &Instr,
    custom: &dyn CustomTables,
) -> OpResult<(Vec<i64>, InstrWitness)> {
    let view = |id: &TensorId| View {
        data: &values[id.index()],
        shape: &program.tensor(*id).shape,
    };
    let scale = |id: &TensorId| program.tensor(*id).scale;
    let out_shape = program.tensor(instr.output()).shape.as_slice();
    let plain = |v: Vec<i64>| (v, InstrWitness::None);
    Ok(match instr {
        Instr::Einsum { a, b, spec, .. } => {
            plain(contraction::einsum(spec, view(a), view(b), out_shape)?)
        }
        Instr::Conv {
            x,
            w,
            window,
            group,
            ..
        } => plain(contraction::conv(
            view(x),
            view(w),
            window,
            *group,
            out_shape,
        )?),
        Instr::Add { a, b, .. } => plain(elementwise::add(view(a), view(b), out_shape)?),
        Instr::Sub { a, b, .. } => plain(elementwise::sub(view(a), view(b), out_shape)?),
        Instr::Mul { a, b, .. } => plain(elementwise::mul(view(a), view(b), out_shape)?),
        Instr::Neg { x, .. } => plain(elementwise::neg(view(x).data)?),
        Instr::MulConst { x, c, .. } => plain(elementwise::mul_const(view(x).data, *c)?),
        Instr::ReduceSum { x, axes, .. } => plain(reduce::reduce_sum(view(x), axes)?),
        Instr::Rescale { x, shift, .. } => elementwise::rescale(view(x).data, *shift)?,
        Instr::SumPool { x, window, .. } => plain(reduce::sum_pool(view(x), window)?),
        Instr::Reshape { x, .. } => plain(view(x).data.to_vec()),
        Instr::Transpose { x, perm, .. } => plain(movement::transpose(view(x), perm)),
        Instr::Slice {
            x,
            axis,
            start,
            step,
            ..
        } => plain(movement::slice(view(x), *axis, *start, *step, out_shape)),
        Instr::Concat { xs, axis, .. } => {
            let views: Vec<View<'_>> = xs.iter().map(view).collect();
            plain(movement::concat(&views, *axis, out_shape))
        }
        Instr::Broadcast { x, .. } => plain(movement::broadcast(view(x), out_shape)),
        Instr::Pad { x, pads, value, .. } => plain(movement::pad(view(x), pads, *value, out_shape)),
        Instr::Gather {
            data,
            indices,
            axis,
            ..
        } => movement::gather(view(data), view(indices).data, *axis)?,
        Instr::Lookup { x, table, .. } => elementwise::lookup(view(x).data, table, custom)?,
        Instr::Max { a, b, .. } => elementwise::select(view(a), view(b), out_shape, true)?,
        Instr::Min { a, b, .. } => elementwise::select(view(a), view(b), out_shape, false)?,
        Instr::Equal { a, b, .. } => {
            plain(elementwise::compare(view(a), view(b), out_shape, true)?)
        }
        Instr::Less { a, b, .. } => {
            plain(elementwise::compare(view(a), view(b), out_shape, false)?)
        }
        Instr::Where { cond, a, b, .. } => {
            plain(elementwise::where_(view(cond), view(a), view(b), out_shape))
        }
        Instr::ReduceMax { x, axes, .. } => reduce::reduce_max(view(x), axes)?,
        Instr::MaxPool { x, window, .. } => reduce::max_pool(view(x), window)?,
        Instr::Div { a, b, out } => {
            // Validation guarantees s(out) + s(b) ≥ s(a).
            let k = scale(out) + scale(b) - scale(a);
            composite::div(view(a), view(b), k, out_shape)?
        }
        Instr::Sqrt { x, out } => {
            // Validation guarantees 2·s(out) ≥ s(x).
            let k = 2 * scale(out) - scale(x);
            composite::sqrt(view(x).data, k)?
        }
        Instr::Softmax { x, axis, exp, out } => {
            composite::softmax(view(x), *axis, exp, scale(out), custom)?
        }
        Instr::RmsNorm { x, axis, eps, out } => {
            composite::rms_norm(view(x), *axis, *eps, scale(out))?
        }
    })
}
