//! Loading: ONNX bytes → tract inference model → fixed input shapes → typed, decluttered graph.
//!
//! Symbolic input dimensions (`batch_size`, sequence length...) are fixed here, once, so that
//! every later stage sees concrete shapes: from the flattened length of the user's input data when
//! it is given (the one symbolic dimension is whatever makes the length fit), else 1. Decluttering
//! then folds the shape arithmetic of PyTorch exports (Shape / Gather / ConstantOfShape / NonZero
//! chains) into constants.

use std::path::Path;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::custom::CustomOp;
use crate::error::FrontendError;
use crate::quantize::tensor_to_f64;

/// Whether a model input holds real numbers or integers (token ids, indices).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A real-valued input, quantized at the program's activation scale.
    Float,
    /// An integer input (scale 0), e.g. token ids.
    Int,
}

/// One model input after its shape has been fixed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    /// The ONNX input name.
    pub name: String,
    /// Concrete shape.
    pub shape: Vec<usize>,
    /// Real or integer.
    pub kind: InputKind,
}

/// A loaded ONNX model: tract's typed, decluttered graph with concrete input shapes.
#[derive(Debug, Clone)]
pub struct OnnxModel {
    pub(crate) model: TypedModel,
    pub(crate) inputs: Vec<InputSpec>,
}

/// Loads an ONNX file and fixes its input shapes.
///
/// `input_lens` are the flattened lengths of the input data (one per model input), used to fix
/// symbolic dimensions; without them every symbolic dimension is 1. Operators that tract loads but
/// Atlas does not support are *not* an error here: [`OnnxModel::inspect`] lists them and
/// [`OnnxModel::compile`] rejects them.
pub fn load(path: &Path, input_lens: Option<&[usize]>) -> Result<OnnxModel, FrontendError> {
    load_with(path, input_lens, &[])
}

/// [`load`] with user-defined operators: every node of a custom ONNX domain that one of
/// `custom` declares becomes that operator's table (see [`crate::custom`]).
pub fn load_with(
    path: &Path,
    input_lens: Option<&[usize]>,
    custom: &[CustomOp],
) -> Result<OnnxModel, FrontendError> {
    let bytes = std::fs::read(path).map_err(|source| FrontendError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes_with(&bytes, input_lens, custom)
}

/// [`load`] from bytes already in memory.
pub fn load_bytes(bytes: &[u8], input_lens: Option<&[usize]>) -> Result<OnnxModel, FrontendError> {
    load_bytes_with(bytes, input_lens, &[])
}

/// [`load_with`] from bytes already in memory.
pub fn load_bytes_with(
    bytes: &[u8],
    input_lens: Option<&[usize]>,
    custom: &[CustomOp],
) -> Result<OnnxModel, FrontendError> {
    // tract's ONNX import can still panic on some corrupted files; a model file is untrusted
    // input, so such a panic is an error here, not a crash.
    // A custom operator's closures are only called by tract's evaluation, never here.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        load_unguarded(bytes, input_lens, custom)
    }))
    .unwrap_or_else(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(FrontendError::Tract(format!("tract panicked: {msg}")))
    })
}

fn load_unguarded(
    bytes: &[u8],
    input_lens: Option<&[usize]>,
    custom: &[CustomOp],
) -> Result<OnnxModel, FrontendError> {
    let onnx = tract_onnx::onnx();
    let mut proto = onnx
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| FrontendError::NotOnnx(format!("{e}")))?;
    if proto.graph.is_none() {
        return Err(FrontendError::NotOnnx("the file has no graph".into()));
    }
    let custom_nodes = crate::custom::prepare(&mut proto, custom)?;
    let mut model = onnx
        .model_for_proto_model(&proto)
        .map_err(FrontendError::tract)?;
    crate::custom::install(&mut model, &custom_nodes)?;
    // An operator tract does not know cannot be typed: name it rather than tract's error.
    for node in model.nodes() {
        let op = node.op.name();
        if let Some(inner) = op
            .strip_prefix("Unimplemented(")
            .and_then(|o| o.strip_suffix(')'))
        {
            return Err(FrontendError::Unsupported {
                node: node.name.clone(),
                op: inner.to_string(),
            });
        }
    }
    let outlets = model
        .input_outlets()
        .map_err(FrontendError::tract)?
        .to_vec();
    if let Some(lens) = input_lens {
        if lens.len() != outlets.len() {
            return Err(FrontendError::Input(format!(
                "the model has {} inputs, the input data {}",
                outlets.len(),
                lens.len()
            )));
        }
    }
    let mut inputs = Vec::with_capacity(outlets.len());
    for (ix, outlet) in outlets.iter().enumerate() {
        let name = model.node(outlet.node).name.clone();
        let fact = model.outlet_fact(*outlet).map_err(FrontendError::tract)?;
        let dt = fact.datum_type.concretize().unwrap_or(DatumType::F32);
        let dims: Vec<Option<usize>> = match fact.shape.concretize() {
            Some(dims) => dims
                .iter()
                .map(|d| d.to_i64().ok().and_then(|v| usize::try_from(v).ok()))
                .collect(),
            None => {
                return Err(FrontendError::Shape(format!(
                    "input \"{name}\" has no known rank"
                )))
            }
        };
        let shape = fix_dims(&name, &dims, input_lens.map(|l| l[ix]))?;
        let kind = if dt.is_float() {
            InputKind::Float
        } else if dt.is_integer() || dt == DatumType::Bool {
            InputKind::Int
        } else {
            return Err(FrontendError::Unsupported {
                node: name,
                op: format!("input of type {dt:?}"),
            });
        };
        model
            .set_input_fact(ix, InferenceFact::dt_shape(dt, shape.clone()))
            .map_err(FrontendError::tract)?;
        inputs.push(InputSpec { name, shape, kind });
    }
    let model = model
        .into_typed()
        .and_then(|m| m.into_decluttered())
        .map_err(FrontendError::tract)?;
    Ok(OnnxModel { model, inputs })
}

/// Concrete shape for an input whose dimensions may be symbolic (`None`).
fn fix_dims(
    name: &str,
    dims: &[Option<usize>],
    len: Option<usize>,
) -> Result<Vec<usize>, FrontendError> {
    let known: usize = dims.iter().flatten().product();
    let free = dims.iter().filter(|d| d.is_none()).count();
    let Some(len) = len else {
        return Ok(dims.iter().map(|d| d.unwrap_or(1)).collect());
    };
    let mismatch = || {
        FrontendError::Shape(format!(
            "input \"{name}\" has shape {dims:?} but the input data has {len} values"
        ))
    };
    if free == 0 {
        return if known == len {
            Ok(dims.iter().flatten().copied().collect())
        } else {
            Err(mismatch())
        };
    }
    if known == 0 || len % known != 0 {
        return Err(mismatch());
    }
    // The first symbolic dimension takes what the data length leaves; any other one is 1.
    let mut rest = Some(len / known);
    Ok(dims
        .iter()
        .map(|d| d.unwrap_or_else(|| rest.take().unwrap_or(1)))
        .collect())
}

impl OnnxModel {
    /// The model's inputs with their fixed shapes.
    pub fn inputs(&self) -> &[InputSpec] {
        &self.inputs
    }

    /// The typed, decluttered tract graph.
    pub fn tract_model(&self) -> &TypedModel {
        &self.model
    }

    /// Shapes of the model's outputs.
    pub fn output_shapes(&self) -> Result<Vec<Vec<usize>>, FrontendError> {
        self.model
            .output_outlets()
            .map_err(FrontendError::tract)?
            .iter()
            .map(|o| {
                let fact = self.model.outlet_fact(*o).map_err(FrontendError::tract)?;
                crate::lower::concrete_shape(&fact.shape)
            })
            .collect()
    }

    /// Runs the float model with tract (the accuracy reference); outputs are flattened.
    pub fn run_float(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, FrontendError> {
        if inputs.len() != self.inputs.len() {
            return Err(FrontendError::Input(format!(
                "the model has {} inputs, got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        let outlets = self.model.input_outlets().map_err(FrontendError::tract)?;
        let mut values: TVec<TValue> = tvec![];
        for ((spec, data), outlet) in self.inputs.iter().zip(inputs).zip(outlets) {
            let dt = self
                .model
                .outlet_fact(*outlet)
                .map_err(FrontendError::tract)?
                .datum_type;
            let arr = tract_ndarray::ArrayD::from_shape_vec(spec.shape.clone(), data.clone())
                .map_err(|_| {
                    FrontendError::Input(format!(
                        "input \"{}\" needs {} values, got {}",
                        spec.name,
                        spec.shape.iter().product::<usize>(),
                        data.len()
                    ))
                })?;
            let t = Tensor::from(arr)
                .cast_to_dt(dt)
                .map_err(FrontendError::tract)?
                .into_owned();
            values.push(t.into_tvalue());
        }
        let plan = tract_onnx::tract_core::internal::SimplePlan::new(self.model.clone())
            .map_err(FrontendError::tract)?;
        let outs = plan.run(values).map_err(FrontendError::tract)?;
        outs.iter().map(|t| tensor_to_f64(t)).collect()
    }

    /// Number of model parameters: elements of the float constants of the graph that are not
    /// scalars.
    pub fn num_params(&self) -> usize {
        self.model
            .nodes()
            .iter()
            .filter_map(|n| n.outputs.first()?.fact.konst.clone())
            .filter(|t| t.datum_type().is_float() && t.len() > 1)
            .map(|t| t.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_dims() {
        assert_eq!(fix_dims("x", &[None, Some(64)], None).unwrap(), [1, 64]);
        assert_eq!(fix_dims("x", &[None, Some(4)], Some(12)).unwrap(), [3, 4]);
        assert_eq!(
            fix_dims("x", &[Some(1), None, None], Some(5)).unwrap(),
            [1, 5, 1]
        );
        assert!(fix_dims("x", &[Some(2), Some(4)], Some(7)).is_err());
        assert!(fix_dims("x", &[None, Some(4)], Some(7)).is_err());
    }

    #[test]
    fn not_onnx() {
        assert!(matches!(
            load_bytes(b"\xff\xff\xff garbage", None),
            Err(FrontendError::NotOnnx(_))
        ));
        assert!(matches!(
            load_bytes(b"", None),
            Err(FrontendError::NotOnnx(_))
        ));
        assert!(matches!(
            load(Path::new("/nonexistent/model.onnx"), None),
            Err(FrontendError::Io { .. })
        ));
    }
}
