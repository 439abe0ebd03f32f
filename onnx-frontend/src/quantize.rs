//! Fixed-point choices: the activation scale, weight scales, constant scales, and the
//! quantization of model inputs and constants.
//!
//! One global activation scale `s` (default [`DEFAULT_SCALE`]) holds every activation between
//! operators. Weights get their own power-of-two scale, `s` plus as many bits as their largest
//! magnitude leaves unused below 1 (so small weights keep as many significant bits as activations
//! do), capped at [`MAX_WEIGHT_EXTRA_BITS`] extra bits. Products therefore come out at
//! `s + s_w` and are rescaled back to `s` by the first consumer that needs `s`.

use atlas_isa::{Program, Role};
use tract_onnx::prelude::*;

use crate::error::FrontendError;

/// Default activation scale (fractional bits); see the crate documentation for the accuracy it
/// gives on the reference models.
pub const DEFAULT_SCALE: u32 = 12;

/// Largest activation scale accepted (products reach `2s` plus weight bits in 64-bit
/// intermediate arithmetic of the VM).
pub const MAX_SCALE: u32 = 20;

/// At most this many bits are added to `s` for weights of small magnitude.
pub const MAX_WEIGHT_EXTRA_BITS: u32 = 6;

/// Largest magnitude of a quantized value the frontend emits (weights, constants, inputs).
const MAX_QUANT: f64 = (1u64 << 53) as f64;

/// Scale of a weight tensor whose largest magnitude is `max_abs`, for activation scale `s`.
pub(crate) fn weight_scale(s: u32, max_abs: f64) -> u32 {
    if max_abs <= 0.0 || !max_abs.is_finite() {
        return s;
    }
    let spare = (-max_abs.log2()).floor();
    if spare <= 0.0 {
        s
    } else {
        s + (spare as u32).min(MAX_WEIGHT_EXTRA_BITS)
    }
}

/// Scale for a scalar constant `c` used in `MulConst`: at least `s`, raised until `c` has about
/// 12 significant bits, at most `2s`.
pub(crate) fn const_scale(s: u32, c: f64) -> u32 {
    let mut cs = s;
    while cs < 2 * s && c.abs() * ((1u64 << cs) as f64) < 4096.0 {
        cs += 1;
    }
    cs
}

/// Quantizes one real value at scale `scale`, or says why it cannot be.
pub(crate) fn quantize_value(
    v: f64,
    scale: u32,
    what: &dyn Fn() -> String,
) -> Result<i64, FrontendError> {
    if !v.is_finite() {
        return Err(FrontendError::Quantization(format!("{} is {v}", what())));
    }
    let q = (v * (1u64 << scale) as f64).round();
    if q.abs() >= MAX_QUANT {
        return Err(FrontendError::Quantization(format!(
            "{} = {v} does not fit at scale {scale}",
            what()
        )));
    }
    Ok(q as i64)
}

/// Quantizes a slice of values at `scale`.
pub(crate) fn quantize_all(
    values: &[f64],
    scale: u32,
    name: &str,
) -> Result<Vec<i64>, FrontendError> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| quantize_value(v, scale, &|| format!("{name}[{i}]")))
        .collect()
}

/// The elements of a tract tensor as `f64`, row-major (booleans as 0/1).
pub(crate) fn tensor_to_f64(t: &Tensor) -> Result<Vec<f64>, FrontendError> {
    let t = if t.datum_type() == TDim::datum_type() {
        t.cast_to::<i64>()
            .map_err(FrontendError::tract)?
            .into_owned()
    } else {
        t.clone()
    };
    let f = t.cast_to::<f64>().map_err(FrontendError::tract)?;
    let view = f
        .to_plain_array_view::<f64>()
        .map_err(FrontendError::tract)?;
    Ok(view.iter().copied().collect())
}

/// Quantizes the user's inputs for a compiled program: one flattened row-major list per program
/// input, each at its tensor's scale (integer inputs at scale 0 must hold integers).
///
/// Checks the number of inputs and their lengths, and rejects NaN and infinities with a message
/// that names the input and the index.
pub fn quantize_inputs(
    program: &Program,
    inputs: &[Vec<f64>],
) -> Result<Vec<Vec<i64>>, FrontendError> {
    if inputs.len() != program.inputs.len() {
        return Err(FrontendError::Input(format!(
            "the program has {} inputs, got {}",
            program.inputs.len(),
            inputs.len()
        )));
    }
    program
        .inputs
        .iter()
        .zip(inputs)
        .map(|(&id, data)| {
            let info = program
                .tensors
                .get(id.index())
                .filter(|t| t.role == Role::Input)
                .ok_or_else(|| {
                    FrontendError::Input(format!("program input {id} is not an input tensor"))
                })?;
            if data.len() != info.len() {
                return Err(FrontendError::Input(format!(
                    "input \"{}\" needs {} values (shape {:?}), got {}",
                    info.name,
                    info.len(),
                    info.shape,
                    data.len()
                )));
            }
            data.iter()
                .enumerate()
                .map(|(i, &v)| {
                    if !v.is_finite() {
                        return Err(FrontendError::Input(format!(
                            "input \"{}\" has {v} at index {i}",
                            info.name
                        )));
                    }
                    if info.scale == 0 && v.fract() != 0.0 {
                        return Err(FrontendError::Input(format!(
                            "input \"{}\" is an integer input but has {v} at index {i}",
                            info.name
                        )));
                    }
                    quantize_value(v, info.scale, &|| {
                        format!("input \"{}\" at index {i}", info.name)
                    })
                    .map_err(|e| FrontendError::Input(e.to_string()))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlas_isa::TensorInfo;

    #[test]
    fn scales() {
        assert_eq!(weight_scale(12, 1.5), 12);
        assert_eq!(weight_scale(12, 0.3), 13);
        assert_eq!(weight_scale(12, 0.01), 12 + MAX_WEIGHT_EXTRA_BITS);
        assert_eq!(weight_scale(12, 0.0), 12);
        assert_eq!(const_scale(12, 2.0), 12);
        assert!(const_scale(12, 0.044715) > 12);
    }

    #[test]
    fn inputs() {
        let p = Program {
            tensors: vec![TensorInfo {
                name: "x".into(),
                shape: vec![2],
                scale: 4,
                role: Role::Input,
            }],
            inputs: vec![atlas_isa::TensorId(0)],
            ..Default::default()
        };
        assert_eq!(
            quantize_inputs(&p, &[vec![1.0, -0.5]]).unwrap(),
            vec![vec![16, -8]]
        );
        assert!(quantize_inputs(&p, &[vec![1.0]]).is_err());
        let e = quantize_inputs(&p, &[vec![1.0, f64::NAN]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"x\"") && e.contains("index 1"), "{e}");
    }
}
