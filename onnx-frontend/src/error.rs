//! The frontend's typed errors.

use std::path::PathBuf;

/// Everything that can go wrong between an ONNX file and an Atlas program.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// The model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model (not protobuf, truncated, or without a graph).
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
    /// tract could not type, declutter or run the model.
    #[error("tract: {0}")]
    Tract(String),
    /// A node whose operator Atlas does not support (or not in this configuration).
    #[error("unsupported operator {op} at node \"{node}\"")]
    Unsupported {
        /// The ONNX node (tract's node name, which keeps the ONNX name as prefix).
        node: String,
        /// The operator, as tract names it after decluttering.
        op: String,
    },
    /// A user-defined operator declaration that cannot be used (standard domain, declared
    /// twice, empty or oversized table domain...).
    #[error("custom operator {0}")]
    CustomOp(String),
    /// A shape that Atlas cannot handle (symbolic, inconsistent with the input data...).
    #[error("shape: {0}")]
    Shape(String),
    /// Input data that cannot be quantized (wrong length, NaN, infinity...).
    #[error("input: {0}")]
    Input(String),
    /// A scale or quantization choice that cannot represent the model.
    #[error("quantization: {0}")]
    Quantization(String),
    /// The emitted program did not validate (a frontend bug; please report it).
    #[error("internal: emitted program is invalid: {0}")]
    Invalid(#[from] atlas_isa::IsaError),
}

impl FrontendError {
    /// Wraps a tract error with its context chain (and without the backtrace `anyhow` keeps).
    pub(crate) fn tract(e: impl std::fmt::Display) -> Self {
        FrontendError::Tract(format!("{e:#}"))
    }
}
