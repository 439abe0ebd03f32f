//! Products with a constant weight, kept symbolic so that constants applied after them fold into
//! their weights and bias.
//!
//! tract folds an ONNX `BatchNormalization` into a preceding `Conv` itself, but leaves it as a
//! per-channel `Mul` and `Add` after a `Gemm` or `MatMul` (and after a convolution it cannot see
//! through). An [`Affine`] remembers `y = x ⊛ W + b` for a product whose weight `W` is constant;
//! when the only consumer of `y` multiplies it by a constant `c` that varies only along axes
//! indexed by `W` alone (output channels), or adds a constant, the product is re-emitted with
//! `W·c` and `b·c + d`. The superseded instructions are then dead and dropped.

use std::sync::Arc;

use atlas_isa::tensor::{broadcast_shapes, numel, strides};
use atlas_isa::{EinsumSpec, Instr, TensorId, Window};

use crate::builder::ConstVal;
use crate::error::FrontendError;
use crate::lower::Lowering;

/// The contraction of an [`Affine`].
#[derive(Clone, Debug)]
pub(crate) enum Core {
    /// An einsum; `x_first` when the tensor is the left operand.
    Einsum {
        spec: EinsumSpec,
        x_first: bool,
        /// Label of each of tract's output axes (`None`: a size-1 axis from no operand).
        out_labels: Vec<Option<char>>,
    },
    /// A convolution with an OIHW kernel; its output channels are axis `channel_axis` of the
    /// output (1, or 0 for the batch-less data format).
    Conv {
        window: Window,
        group: usize,
        channel_axis: usize,
    },
}

/// `y = x ⊛ w + bias` with a constant `w` and an optional constant `bias` (in output space).
#[derive(Clone, Debug)]
pub(crate) struct Affine {
    pub core: Core,
    pub x: TensorId,
    pub w: Arc<ConstVal>,
    pub bias: Option<Arc<ConstVal>>,
    /// tract's output shape.
    pub out_shape: Vec<usize>,
}

impl Affine {
    /// For each output axis, the axis of `w` that alone indexes it.
    fn weight_axes(&self) -> Vec<Option<usize>> {
        match &self.core {
            Core::Einsum {
                spec,
                x_first,
                out_labels,
            } => {
                let (xl, wl) = if *x_first {
                    (&spec.a, &spec.b)
                } else {
                    (&spec.b, &spec.a)
                };
                out_labels
                    .iter()
                    .map(|l| l.filter(|l| !xl.contains(*l)).and_then(|l| wl.find(l)))
                    .collect()
            }
            Core::Conv { channel_axis, .. } => (0..self.out_shape.len())
                .map(|a| (a == *channel_axis).then_some(0))
                .collect(),
        }
    }

    /// The product scaled by a constant `c`, if `c` varies only along weight-only output axes.
    pub fn scaled(&self, cx: &mut Lowering, c: &ConstVal) -> Option<Affine> {
        let r = self.out_shape.len();
        let off = r.checked_sub(c.shape.len())?;
        let axes = self.weight_axes();
        // For each axis of c: the axis of w it follows (None where c has extent 1).
        let mut follow = Vec::with_capacity(c.shape.len());
        for (j, &d) in c.shape.iter().enumerate() {
            if d == 1 {
                follow.push(None);
                continue;
            }
            let wa = axes[off + j]?;
            if self.w.shape.get(wa) != Some(&d) {
                return None;
            }
            follow.push(Some(wa));
        }
        let ws = strides(&self.w.shape);
        let cs = strides(&c.shape);
        let values = self
            .w
            .values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let ci: usize = follow
                    .iter()
                    .enumerate()
                    .filter_map(|(j, f)| f.map(|wa| (i / ws[wa]) % self.w.shape[wa] * cs[j]))
                    .sum();
                v * c.values[ci]
            })
            .collect();
        let w = ConstVal {
            key: cx.b.fresh_key(),
            name: format!("{}.folded", self.w.name),
            shape: self.w.shape.clone(),
            values,
            is_float: true,
            public: false,
        };
        let bias = match &self.bias {
            Some(b) => Some(Arc::new(combine(cx, b, c, |x, y| x * y)?)),
            None => None,
        };
        Some(Affine {
            w: Arc::new(w),
            bias,
            ..self.clone()
        })
    }

    /// The product plus `sign · c`, if `c` broadcasts to the output.
    pub fn shifted(&self, cx: &mut Lowering, c: &ConstVal, sign: f64) -> Option<Affine> {
        if broadcast_shapes(&self.out_shape, &c.shape)? != self.out_shape {
            return None;
        }
        let bias = match &self.bias {
            Some(b) => combine(cx, b, c, |x, y| x + sign * y)?,
            None => ConstVal {
                key: cx.b.fresh_key(),
                name: c.name.clone(),
                shape: c.shape.clone(),
                values: c.values.iter().map(|v| sign * v).collect(),
                is_float: true,
                public: false,
            },
        };
        Some(Affine {
            bias: Some(Arc::new(bias)),
            ..self.clone()
        })
    }

    /// Emits the product (and its bias at the product's scale) and remembers it.
    pub fn emit(self, cx: &mut Lowering, name: &str) -> Result<TensorId, FrontendError> {
        let w = cx.b.weight(&self.w)?;
        let x = self.x;
        let scale = cx.b.scale(x) + cx.b.scale(w);
        let has_bias = self
            .bias
            .as_ref()
            .is_some_and(|b| b.values.iter().any(|v| *v != 0.0));
        let needs_reshape = match &self.core {
            Core::Einsum { out_labels, .. } => out_labels.iter().any(Option::is_none),
            Core::Conv { channel_axis, .. } => *channel_axis == 0,
        };
        let core_name = if has_bias || needs_reshape {
            format!("{name}.product")
        } else {
            name.to_string()
        };
        let mut y = match &self.core {
            Core::Einsum { spec, x_first, .. } => {
                let (a, b) = if *x_first { (x, w) } else { (w, x) };
                let spec = spec.clone();
                cx.b.emit_inferred(&core_name, scale, |out| Instr::Einsum { a, b, spec, out })?
            }
            Core::Conv { window, group, .. } => {
                let (window, group) = (window.clone(), *group);
                cx.b.emit_inferred(&core_name, scale, |out| Instr::Conv {
                    x,
                    w,
                    window,
                    group,
                    out,
                })?
            }
        };
        if cx.b.shape(y) != self.out_shape {
            let shape = self.out_shape.clone();
            let reshape_name = if has_bias {
                format!("{name}.reshape")
            } else {
                name.to_string()
            };
            y =
                cx.b.emit(&reshape_name, shape, scale, |out| Instr::Reshape {
                    x: y,
                    out,
                });
        }
        if let (Some(bias), true) = (&self.bias, has_bias) {
            let bt = cx.b.materialize(bias, scale)?;
            y =
                cx.b.emit_inferred(name, scale, |out| Instr::Add { a: y, b: bt, out })?;
        }
        cx.affine.insert(y, self);
        Ok(y)
    }
}

/// Element-wise `f(a, b)` of two constants, broadcast, or `None` if they do not broadcast.
fn combine(
    cx: &mut Lowering,
    a: &ConstVal,
    b: &ConstVal,
    f: impl Fn(f64, f64) -> f64,
) -> Option<ConstVal> {
    let shape = broadcast_shapes(&a.shape, &b.shape)?;
    let pick = |c: &ConstVal, idx: &[usize]| -> f64 {
        let off = idx.len() - c.shape.len();
        let mut flat = 0;
        for (k, &d) in c.shape.iter().enumerate() {
            flat = flat * d + if d == 1 { 0 } else { idx[off + k] };
        }
        c.values[flat]
    };
    let st = strides(&shape);
    let values = (0..numel(&shape))
        .map(|i| {
            let idx: Vec<usize> = (0..shape.len()).map(|k| (i / st[k]) % shape[k]).collect();
            f(pick(a, &idx), pick(b, &idx))
        })
        .collect();
    Some(ConstVal {
        key: cx.b.fresh_key(),
        name: format!("{}.folded", a.name),
        shape,
        values,
        is_float: true,
        public: false,
    })
}
