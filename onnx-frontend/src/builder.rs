//! The program under construction: tensor table, instructions, weights and constants, and the
//! scale bookkeeping every lowering shares (rescaling, raising, materializing constants).

use std::collections::HashMap;
use std::sync::Arc;

use atlas_isa::{Instr, Program, Role, TableFn, TensorData, TensorId, TensorInfo, Weights};

use crate::custom::CustomOp;
use crate::error::FrontendError;
use crate::quantize::{quantize_all, weight_scale};

/// A constant known at compile time (a tract constant), in real values.
#[derive(Debug)]
pub(crate) struct ConstVal {
    /// Cache key: the tract node that produced it.
    pub key: usize,
    /// Name for the tensor table.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub values: Vec<f64>,
    /// Whether it is a floating-point constant (a parameter) rather than integers or booleans.
    pub is_float: bool,
    /// A structural constant the frontend derived (pooling divisors...): public even when it is
    /// a float tensor.
    pub public: bool,
}

impl ConstVal {
    /// The single value of a one-element constant.
    pub fn scalar(&self) -> Option<f64> {
        (self.values.len() == 1).then(|| self.values[0])
    }

    /// Largest magnitude.
    pub fn max_abs(&self) -> f64 {
        self.values.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

/// What a tract outlet is in the program being built.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// A compile-time constant, materialized on demand at the scale its consumer needs.
    Const(Arc<ConstVal>),
    /// A program tensor (its scale is in the tensor table).
    Tensor(TensorId),
}

/// Scale parameters of one compilation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scales {
    /// The activation scale `s`.
    pub act: u32,
    /// Input scale of smooth lookup tables (bounds their size).
    pub table: u32,
    /// The wide scale `s + 6`: RMS normalization reads its input at it (its divisor is an
    /// integer square root, which needs the extra bits), and sums of tensors at different scales
    /// meet at most at it (so the residual stream of a transformer keeps those bits).
    pub wide: u32,
}

/// Builds a [`Program`] and its [`Weights`].
pub(crate) struct Builder {
    pub program: Program,
    weights: Vec<TensorData>,
    pub scales: Scales,
    /// (const key, scale) → materialized tensor.
    const_cache: HashMap<(usize, u32), TensorId>,
    /// (tensor, scale) → the same tensor at another scale.
    scale_cache: HashMap<(TensorId, u32), TensorId>,
    /// Instructions emitted by the node being lowered (for `inspect` notes).
    pub emitted: Vec<&'static str>,
    /// Next cache key for constants the frontend derives (tract node ids are below it).
    next_key: usize,
    /// Custom table name → the evaluation its values in the program came from.
    custom_sources: HashMap<String, CustomEval>,
}

/// A custom operator's integer table ([`CustomOp::eval`]).
type CustomEval = Arc<dyn Fn(i64) -> i64 + Send + Sync>;

impl Builder {
    pub fn new(scales: Scales) -> Self {
        Builder {
            program: Program::default(),
            weights: Vec::new(),
            scales,
            const_cache: HashMap::new(),
            scale_cache: HashMap::new(),
            emitted: Vec::new(),
            next_key: 1 << 40,
            custom_sources: HashMap::new(),
        }
    }

    /// Records the values of `op`'s table in the program (if it is small enough to carry,
    /// [`CustomOp::materialize`]). A table already recorded from another operator must have the
    /// same values.
    pub fn custom_table(&mut self, op: &CustomOp) -> Result<(), FrontendError> {
        if let Some(source) = self.custom_sources.get(&op.table) {
            if Arc::ptr_eq(source, &op.eval) {
                return Ok(());
            }
            if op.materialize().as_ref() != self.program.custom_tables.get(&op.table) {
                return Err(FrontendError::CustomOp(format!(
                    "{}::{}: table {:?} is already defined with other values by another \
                     operator",
                    op.domain, op.op_type, op.table
                )));
            }
            return Ok(());
        }
        if let Some(values) = op.materialize() {
            self.program.custom_tables.insert(op.table.clone(), values);
        }
        self.custom_sources
            .insert(op.table.clone(), Arc::clone(&op.eval));
        Ok(())
    }

    /// A cache key for a derived constant.
    pub fn fresh_key(&mut self) -> usize {
        self.next_key += 1;
        self.next_key
    }

    /// The activation scale.
    pub fn s(&self) -> u32 {
        self.scales.act
    }

    pub fn info(&self, id: TensorId) -> &TensorInfo {
        &self.program.tensors[id.index()]
    }

    pub fn scale(&self, id: TensorId) -> u32 {
        self.info(id).scale
    }

    pub fn shape(&self, id: TensorId) -> Vec<usize> {
        self.info(id).shape.clone()
    }

    /// Adds a tensor to the table.
    pub fn tensor(&mut self, name: &str, shape: Vec<usize>, scale: u32, role: Role) -> TensorId {
        let id = TensorId(self.program.tensors.len() as u32);
        self.program.tensors.push(TensorInfo {
            name: name.to_string(),
            shape,
            scale,
            role,
        });
        id
    }

    /// A new model input.
    pub fn input(&mut self, name: &str, shape: Vec<usize>, scale: u32) -> TensorId {
        let id = self.tensor(name, shape, scale, Role::Input);
        self.program.inputs.push(id);
        id
    }

    /// Emits `make(out)` writing a new intermediate tensor of the given shape and scale.
    pub fn emit(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        scale: u32,
        make: impl FnOnce(TensorId) -> Instr,
    ) -> TensorId {
        let out = self.tensor(name, shape, scale, Role::Intermediate);
        let instr = make(out);
        self.emitted.push(instr.name());
        self.program.instrs.push(instr);
        out
    }

    /// Emits an instruction whose output shape is what the instruction implies.
    pub fn emit_inferred(
        &mut self,
        name: &str,
        scale: u32,
        make: impl FnOnce(TensorId) -> Instr,
    ) -> Result<TensorId, FrontendError> {
        let out = self.tensor(name, Vec::new(), scale, Role::Intermediate);
        let instr = make(out);
        let shape = instr.infer_shape(&self.program.tensors).map_err(|e| {
            FrontendError::Shape(format!("{name}: {} does not fit: {e}", instr.name()))
        })?;
        self.program.tensors[out.index()].shape = shape;
        self.emitted.push(instr.name());
        self.program.instrs.push(instr);
        Ok(out)
    }

    /// The tensor `x` at scale `target`: rounded down with `Rescale`, or raised exactly with a
    /// `MulConst` by a power of two. Cached, so a tensor is rescaled once per target.
    pub fn at_scale(&mut self, x: TensorId, target: u32) -> TensorId {
        let sx = self.scale(x);
        if sx == target {
            return x;
        }
        if let Some(&t) = self.scale_cache.get(&(x, target)) {
            return t;
        }
        let name = format!("{}.s{target}", self.info(x).name);
        let shape = self.shape(x);
        let t = if sx > target {
            self.emit(&name, shape, target, |out| Instr::Rescale {
                x,
                shift: sx - target,
                out,
            })
        } else {
            let k = target - sx;
            self.emit(&name, shape, target, |out| Instr::MulConst {
                x,
                c: 1i64 << k,
                c_scale: k,
                out,
            })
        };
        self.scale_cache.insert((x, target), t);
        t
    }

    /// Largest scale a product may be left at before its consumer rescales it (`2s + 8`: keeps
    /// intermediate magnitudes far inside `i64`).
    pub fn max_pending(&self) -> u32 {
        2 * self.s() + 8
    }

    /// `x` brought down to at most the activation scale (integer tensors stay at their scale).
    pub fn canon(&mut self, x: TensorId) -> TensorId {
        let s = self.s();
        if self.scale(x) > s {
            self.at_scale(x, s)
        } else {
            x
        }
    }

    /// `x` at exactly the activation scale.
    pub fn exact(&mut self, x: TensorId) -> TensorId {
        let s = self.s();
        self.at_scale(x, s)
    }

    /// The program tensor for a constant at a given scale (weights for float parameters,
    /// public constants for booleans, integers and scalars).
    pub fn materialize(&mut self, c: &ConstVal, scale: u32) -> Result<TensorId, FrontendError> {
        if let Some(&t) = self.const_cache.get(&(c.key, scale)) {
            return Ok(t);
        }
        let values = quantize_all(&c.values, scale, &c.name)?;
        let role = if c.is_float && c.values.len() > 1 && !c.public {
            Role::Weight
        } else {
            Role::Constant
        };
        let id = self.tensor(&c.name, c.shape.clone(), scale, role);
        let data = TensorData { id, values };
        match role {
            Role::Weight => self.weights.push(data),
            _ => self.program.constants.push(data),
        }
        self.const_cache.insert((c.key, scale), id);
        Ok(id)
    }

    /// A structural constant the frontend derives (bounds, index ramps, interpolation
    /// weights): public, materialized at `scale` (`is_float: false` for integers at scale 0).
    pub fn public_const(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        values: Vec<f64>,
        is_float: bool,
        scale: u32,
    ) -> Result<TensorId, FrontendError> {
        let c = ConstVal {
            key: self.fresh_key(),
            name: name.to_string(),
            shape,
            values,
            is_float,
            public: true,
        };
        self.materialize(&c, scale)
    }

    /// A constant as a weight at its own weight scale (see [`weight_scale`]).
    pub fn weight(&mut self, c: &ConstVal) -> Result<TensorId, FrontendError> {
        let scale = if c.is_float {
            weight_scale(self.s(), c.max_abs())
        } else {
            0
        };
        self.materialize(c, scale)
    }

    /// Marks the program outputs, drops everything they do not depend on, renumbers the tensors
    /// and validates the result.
    pub fn finish(mut self, outputs: Vec<TensorId>) -> Result<(Program, Weights), FrontendError> {
        let mut outs = Vec::with_capacity(outputs.len());
        for o in outputs {
            let info = self.info(o).clone();
            // An output must be written by an instruction, once: copy inputs, constants and
            // repeated outputs.
            let t = if info.role == Role::Intermediate {
                o
            } else {
                self.emit(&info.name, info.shape.clone(), info.scale, |out| {
                    Instr::Reshape { x: o, out }
                })
            };
            self.program.tensors[t.index()].role = Role::Output;
            outs.push(t);
        }
        self.program.outputs = outs;
        let (program, weights) = compact(self.program, self.weights);
        program.validate()?;
        Ok((program, weights))
    }
}

/// Which tensors and instructions `outputs` depend on (inputs always count as live).
pub(crate) fn liveness(p: &Program, outputs: &[TensorId]) -> (Vec<bool>, Vec<bool>) {
    let mut live = vec![false; p.tensors.len()];
    for &o in outputs.iter().chain(&p.inputs) {
        live[o.index()] = true;
    }
    let mut keep = vec![false; p.instrs.len()];
    for (k, instr) in p.instrs.iter().enumerate().rev() {
        if live[instr.output().index()] {
            keep[k] = true;
            for i in instr.inputs() {
                live[i.index()] = true;
            }
        }
    }
    (live, keep)
}

/// Dead-code elimination and renumbering: keeps the inputs, the instructions the outputs depend
/// on, and the weights, constants and custom-table values those read.
fn compact(p: Program, weights: Vec<TensorData>) -> (Program, Weights) {
    let n = p.tensors.len();
    let (live, keep) = liveness(&p, &p.outputs);
    let mut map = vec![None; n];
    let mut tensors = Vec::new();
    for (i, t) in p.tensors.into_iter().enumerate() {
        if live[i] {
            map[i] = Some(TensorId(tensors.len() as u32));
            tensors.push(t);
        }
    }
    let m = |id: TensorId| map[id.index()].expect("live tensors are mapped");
    let instrs = p
        .instrs
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(i, _)| remap(i, &m))
        .collect();
    let relist = |v: Vec<TensorData>| -> Vec<TensorData> {
        let mut v: Vec<TensorData> = v
            .into_iter()
            .filter_map(|d| {
                map[d.id.index()].map(|id| TensorData {
                    id,
                    values: d.values,
                })
            })
            .collect();
        v.sort_by_key(|d| d.id);
        v
    };
    let mut program = Program {
        tensors,
        instrs,
        inputs: p.inputs.iter().map(|&i| m(i)).collect(),
        outputs: p.outputs.iter().map(|&o| m(o)).collect(),
        constants: relist(p.constants),
        custom_tables: Default::default(),
    };
    // Only the custom tables a kept instruction looks up.
    let used: Vec<String> = program
        .tables()
        .filter_map(|(_, table)| match &table.func {
            TableFn::Custom(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut custom_tables = p.custom_tables;
    for name in used {
        if let Some(values) = custom_tables.remove(&name) {
            program.custom_tables.insert(name, values);
        }
    }
    (
        program,
        Weights {
            tensors: relist(weights),
        },
    )
}

/// Renames every tensor an instruction names.
fn remap(instr: Instr, m: &impl Fn(TensorId) -> TensorId) -> Instr {
    use Instr::*;
    match instr {
        Einsum { a, b, spec, out } => Einsum {
            a: m(a),
            b: m(b),
            spec,
            out: m(out),
        },
        Conv {
            x,
            w,
            window,
            group,
            out,
        } => Conv {
            x: m(x),
            w: m(w),
            window,
            group,
            out: m(out),
        },
        Add { a, b, out } => Add {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Sub { a, b, out } => Sub {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Mul { a, b, out } => Mul {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Neg { x, out } => Neg {
            x: m(x),
            out: m(out),
        },
        MulConst { x, c, c_scale, out } => MulConst {
            x: m(x),
            c,
            c_scale,
            out: m(out),
        },
        ReduceSum {
            x,
            axes,
            keep_dims,
            out,
        } => ReduceSum {
            x: m(x),
            axes,
            keep_dims,
            out: m(out),
        },
        Rescale { x, shift, out } => Rescale {
            x: m(x),
            shift,
            out: m(out),
        },
        SumPool { x, window, out } => SumPool {
            x: m(x),
            window,
            out: m(out),
        },
        Reshape { x, out } => Reshape {
            x: m(x),
            out: m(out),
        },
        Transpose { x, perm, out } => Transpose {
            x: m(x),
            perm,
            out: m(out),
        },
        Slice {
            x,
            axis,
            start,
            end,
            step,
            out,
        } => Slice {
            x: m(x),
            axis,
            start,
            end,
            step,
            out: m(out),
        },
        Concat { xs, axis, out } => Concat {
            xs: xs.into_iter().map(m).collect(),
            axis,
            out: m(out),
        },
        Broadcast { x, out } => Broadcast {
            x: m(x),
            out: m(out),
        },
        Pad {
            x,
            pads,
            value,
            out,
        } => Pad {
            x: m(x),
            pads,
            value,
            out: m(out),
        },
        Gather {
            data,
            indices,
            axis,
            out,
        } => Gather {
            data: m(data),
            indices: m(indices),
            axis,
            out: m(out),
        },
        Lookup { x, table, out } => Lookup {
            x: m(x),
            table,
            out: m(out),
        },
        Max { a, b, out } => Max {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Min { a, b, out } => Min {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Equal { a, b, out } => Equal {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Less { a, b, out } => Less {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Where { cond, a, b, out } => Where {
            cond: m(cond),
            a: m(a),
            b: m(b),
            out: m(out),
        },
        ReduceMax {
            x,
            axes,
            keep_dims,
            out,
        } => ReduceMax {
            x: m(x),
            axes,
            keep_dims,
            out: m(out),
        },
        MaxPool { x, window, out } => MaxPool {
            x: m(x),
            window,
            out: m(out),
        },
        Div { a, b, out } => Div {
            a: m(a),
            b: m(b),
            out: m(out),
        },
        Sqrt { x, out } => Sqrt {
            x: m(x),
            out: m(out),
        },
        Softmax { x, axis, exp, out } => Softmax {
            x: m(x),
            axis,
            exp,
            out: m(out),
        },
        RmsNorm { x, axis, eps, out } => RmsNorm {
            x: m(x),
            axis,
            eps,
            out: m(out),
        },
    }
}
