//! [`AtlasError`], the one error type of the SDK, and the exit codes of the `atlas` tool.
//!
//! Every variant's `Display` is a user-facing sentence that names the problem (the file, the
//! input and element, or the ONNX node and operator); the `atlas` binary prints it on one line
//! and exits with [`AtlasError::exit_code`].

use std::path::{Path, PathBuf};

use atlas_onnx::FrontendError;
use atlas_vm::VmError;

/// Exit codes of the `atlas` tool. Scripts may rely on them.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// An internal error: a bug in Atlas (please report it).
    pub const INTERNAL: u8 = 1;
    /// Bad command-line usage (unknown flag, missing argument, malformed number).
    pub const USAGE: u8 = 2;
    /// A bad model or input: missing or unreadable file, not an ONNX model, malformed JSON, an
    /// input of the wrong count, length or value, an output file that cannot be written.
    pub const INPUT: u8 = 3;
    /// The model uses an operator that Atlas does not support (the message names node and
    /// operator; `atlas inspect` lists them all).
    pub const UNSUPPORTED: u8 = 4;
    /// `atlas verify` (or the verification inside `atlas run`): the proof is rejected — it does
    /// not prove that the model maps this input to this output.
    pub const REJECTED: u8 = 5;
    /// The model compiles and runs, but its program uses an instruction that the prover does
    /// not support yet (the message names it); `atlas run` still prints the accuracy report.
    pub const NOT_PROVABLE: u8 = 6;
}

/// Errors of the Atlas SDK.
#[derive(Debug, thiserror::Error)]
pub enum AtlasError {
    /// A file that cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// A file that is not valid JSON (serde_json also rejects numbers that overflow to infinity,
    /// such as `1e999`).
    #[error("{} is not valid JSON: {source}", path.display())]
    Json {
        /// The file (or `<string>` for in-memory JSON).
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Input data that does not fit the model (wrong count, length, or value).
    #[error("invalid input: {0}")]
    Input(String),
    /// An ONNX node whose operator Atlas cannot compile.
    #[error("unsupported operator {op} at node \"{node}\"")]
    Unsupported {
        /// The ONNX node name.
        node: String,
        /// The ONNX operator type.
        op: String,
    },
    /// Input data that does not fit the model's inputs (count, length), found while fixing the
    /// model's input shapes.
    #[error("{} does not fit the model: {source}", path.display())]
    InputFile {
        /// The input file.
        path: PathBuf,
        /// The frontend's error.
        #[source]
        source: FrontendError,
    },
    /// A model file the frontend cannot load: not ONNX, truncated, or not typeable by tract.
    #[error("cannot load {}: {source}", path.display())]
    Load {
        /// The model file.
        path: PathBuf,
        /// The frontend's error.
        #[source]
        source: FrontendError,
    },
    /// Any other error of the ONNX frontend (bad shapes, input data, quantization range).
    #[error("{0}")]
    Model(FrontendError),
    /// The quantized execution failed.
    #[error("execution failed: {0}")]
    Execution(#[from] VmError),
    /// A table plug-in (`--tables`) that cannot be read or does not define valid tables.
    #[error("{0}")]
    Plugin(#[from] atlas_lookups::PluginError),
    /// A key or proof file that is not the artifact expected: another kind (a proving key given
    /// as a verifying key), another format version, or corrupt bytes.
    #[error("{what}: {reason}")]
    Artifact {
        /// The file (or what was being decoded).
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The program uses an instruction that the prover does not support yet.
    #[error(
        "cannot prove: instruction {index} ({op}) is not yet supported by the prover ({reason})"
    )]
    NotProvable {
        /// Position of the instruction in the program.
        index: usize,
        /// The instruction.
        op: String,
        /// The prover's reason.
        reason: String,
    },
    /// The verifier rejected the proof for this input and output.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// Proving failed for another reason than an unsupported instruction.
    #[error("proving failed: {0}")]
    Prove(String),
    /// A broken invariant inside Atlas.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AtlasError {
    /// The exit code of the `atlas` tool for this error (see [`exit`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            // The frontend emitted a program that does not validate: its bug, not the model's.
            Self::Model(FrontendError::Invalid(_)) => exit::INTERNAL,
            Self::Io { .. }
            | Self::Json { .. }
            | Self::Input(_)
            | Self::InputFile { .. }
            | Self::Load { .. }
            | Self::Model(_) => exit::INPUT,
            Self::Unsupported { .. } => exit::UNSUPPORTED,
            Self::Plugin(_) | Self::Artifact { .. } => exit::INPUT,
            Self::NotProvable { .. } => exit::NOT_PROVABLE,
            Self::Rejected(_) => exit::REJECTED,
            // Values that the input drives out of what the quantized program represents: an
            // out-of-vocabulary token id, an input so large that a product overflows.
            Self::Execution(
                VmError::IndexOutOfRange { .. }
                | VmError::Overflow { .. }
                | VmError::NonPositiveDivisor { .. }
                | VmError::UnknownTable(_),
            ) => exit::INPUT,
            Self::Execution(_) | Self::Prove(_) | Self::Internal(_) => exit::INTERNAL,
        }
    }

    pub(crate) fn read(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn write(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        }
    }
}

impl From<atlas_vm::ProveError> for AtlasError {
    fn from(e: atlas_vm::ProveError) -> Self {
        match e {
            atlas_vm::ProveError::Unsupported { index, op, reason } => Self::NotProvable {
                index,
                op: op.to_string(),
                reason,
            },
            other => Self::Prove(other.to_string()),
        }
    }
}

impl From<FrontendError> for AtlasError {
    fn from(e: FrontendError) -> Self {
        match e {
            FrontendError::Unsupported { node, op } => Self::Unsupported { node, op },
            other => Self::Model(other),
        }
    }
}

/// Result with [`AtlasError`].
pub type Result<T, E = AtlasError> = std::result::Result<T, E>;
