//! [`Model`]: an ONNX model compiled to an Atlas program, ready to run.
//!
//! The steps, each usable on its own (the `atlas` tool times them separately):
//!
//! 1. [`load_onnx`] reads and type-checks the ONNX file with tract;
//! 2. [`Model::compile`] quantizes it into an [`atlas_isa::Program`] and its [`Weights`];
//! 3. [`Model::run`] checks and quantizes an input and executes the program on the VM;
//! 4. [`Model::run_float`] runs tract's float model, the reference of the accuracy report;
//! 5. [`Model::setup`] commits the weights into a [`ProvingKey`] / [`VerifyingKey`] pair, with
//!    which [`ProvingKey::prove`] and [`VerifyingKey::verify`] prove and check executions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atlas_isa::{Program, Weights};
use atlas_onnx::{CompileOptions, FrontendError, InputSpec, NodeReport, OnnxModel};
use atlas_vm::Trace;

use crate::error::{AtlasError, Result};
use crate::io::{InputData, OutputData};
use crate::proof::{ProvingKey, VerifyingKey};
use crate::tables::Tables;

/// Options of [`Model::load_with`].
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Fixed-point scale (fractional bits); `None` lets the frontend choose.
    pub scale: Option<u32>,
    /// Flattened length of each input, used to fix symbolic dimensions (such as a sequence
    /// length) when the model leaves them open; `None` keeps the model's declared shapes.
    pub input_lens: Option<Vec<usize>>,
    /// User-defined tables (a `--tables` plug-in): their custom ONNX operators compile to
    /// lookups in these tables, which the VM evaluates through the plug-in's registry.
    pub tables: Option<Arc<Tables>>,
}

/// Reads an ONNX file and type-checks it with tract (no quantization yet).
pub fn load_onnx(path: &Path, input_lens: Option<&[usize]>) -> Result<OnnxModel> {
    load_onnx_with(path, input_lens, None)
}

/// [`load_onnx`] with the custom operators of a table plug-in.
#[tracing::instrument(skip_all, fields(path = %path.display()))]
pub fn load_onnx_with(
    path: &Path,
    input_lens: Option<&[usize]>,
    tables: Option<&Tables>,
) -> Result<OnnxModel> {
    // The frontend's own I/O error would do, but checking first gives the plain
    // "cannot read FILE: No such file or directory" every user expects.
    std::fs::metadata(path).map_err(|e| AtlasError::read(path, e))?;
    // tract's ONNX import still has `unwrap`s that a corrupted file can reach; a model file is
    // untrusted input, so such a panic is reported as a bad model, not as a crash.
    let ops = tables.map(Tables::custom_ops).unwrap_or_default();
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        atlas_onnx::load_with(path, input_lens, &ops)
    }))
    .unwrap_or_else(|payload| {
        Err(FrontendError::Tract(format!(
            "import panicked: {}",
            panic_message(payload.as_ref())
        )))
    });
    loaded.map_err(|e| match e {
        FrontendError::NotOnnx(_) | FrontendError::Tract(_) => AtlasError::Load {
            path: path.to_path_buf(),
            source: e,
        },
        other => other.into(),
    })
}

/// The message of a panic payload (`&str` or `String`, as `panic!` makes them), up to any
/// backtrace that an `anyhow` error appended.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    match msg.find("Stack backtrace:") {
        Some(i) => msg[..i].trim_end().to_string(),
        None => msg,
    }
}

/// Every node of an ONNX model with its operator and whether Atlas supports it.
pub fn inspect(path: &Path) -> Result<Vec<NodeReport>> {
    inspect_with(path, None)
}

/// [`inspect`] with the custom operators of a table plug-in.
pub fn inspect_with(path: &Path, tables: Option<&Tables>) -> Result<Vec<NodeReport>> {
    Ok(load_onnx_with(path, None, tables)?.inspect())
}

/// An ONNX model compiled to an Atlas program.
pub struct Model {
    path: PathBuf,
    onnx: OnnxModel,
    program: Program,
    weights: Weights,
    scale: u32,
    tables: Option<Arc<Tables>>,
}

/// The result of one quantized execution.
pub struct Execution {
    /// The VM's trace (what the prover will prove).
    pub trace: Trace,
    /// Outputs as fixed-point integers, at each output tensor's scale.
    pub quantized: Vec<Vec<i64>>,
    /// Outputs dequantized to real numbers.
    pub outputs: OutputData,
}

impl Model {
    /// Loads and compiles an ONNX model with the frontend's default options.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path, &LoadOptions::default())
    }

    /// Loads and compiles an ONNX model.
    pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        let onnx = load_onnx_with(
            path,
            options.input_lens.as_deref(),
            options.tables.as_deref(),
        )?;
        Ok(Self::compile(path, onnx, options.scale)?.with_tables(options.tables.clone()))
    }

    /// Resolves the program's custom tables through `tables` when executing (the tables the
    /// model was loaded with, see [`load_onnx_with`]).
    pub fn with_tables(mut self, tables: Option<Arc<Tables>>) -> Self {
        self.tables = tables;
        self
    }

    /// Compiles a loaded model (the second step of [`Model::load_with`]).
    #[tracing::instrument(skip_all)]
    pub fn compile(path: impl AsRef<Path>, onnx: OnnxModel, scale: Option<u32>) -> Result<Self> {
        let compiled = onnx.compile(&CompileOptions { scale })?;
        Ok(Self {
            path: path.as_ref().to_path_buf(),
            onnx,
            program: compiled.program,
            weights: compiled.weights,
            scale: scale.unwrap_or(atlas_onnx::quantize::DEFAULT_SCALE),
            tables: None,
        })
    }

    /// The ONNX file this model came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The model's inputs: names, shapes, kinds.
    pub fn inputs(&self) -> &[InputSpec] {
        self.onnx.inputs()
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The quantized weights.
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// The loaded ONNX model (tract's view of it).
    pub fn onnx(&self) -> &OnnxModel {
        &self.onnx
    }

    /// Number of model parameters (elements of the ONNX initializers).
    pub fn num_params(&self) -> usize {
        self.onnx.num_params()
    }

    /// Number of instructions of the compiled program.
    pub fn num_instructions(&self) -> usize {
        self.program.instrs.len()
    }

    /// The activation scale (fractional bits) the program was compiled at. Weights may sit at
    /// a few more bits, integer inputs at 0.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// Shapes of the program's outputs, in order.
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.program
            .outputs
            .iter()
            .map(|&id| self.program.tensor(id).shape.clone())
            .collect()
    }

    /// The deterministic sample input of this model (see [`InputData::sample`]).
    pub fn sample_input(&self) -> InputData {
        InputData::sample(self.inputs())
    }

    /// Checks `input` against the model and quantizes it at the input tensors' scales.
    pub fn quantize(&self, input: &InputData) -> Result<Vec<Vec<i64>>> {
        input.check(self.inputs())?;
        quantize_input(&self.program, input)
    }

    /// Executes the program on quantized inputs.
    #[tracing::instrument(skip_all)]
    pub fn execute(&self, quantized_inputs: &[Vec<i64>]) -> Result<Execution> {
        let trace = match &self.tables {
            Some(tables) => atlas_vm::execute_with(
                &self.program,
                &self.weights,
                quantized_inputs,
                tables.registry(),
            )?,
            None => atlas_vm::execute(&self.program, &self.weights, quantized_inputs)?,
        };
        let quantized = trace.outputs(&self.program);
        let outputs = OutputData::from_quantized(&self.program, &quantized);
        Ok(Execution {
            trace,
            quantized,
            outputs,
        })
    }

    /// Checks, quantizes and executes one input.
    pub fn run(&self, input: &InputData) -> Result<Execution> {
        self.execute(&self.quantize(input)?)
    }

    /// Sets up the prover for this model: commits the weights and returns the proving key and
    /// the verifying key. Fails with [`AtlasError::NotProvable`] when the program uses an
    /// instruction the prover does not support yet.
    pub fn setup(&self) -> Result<(ProvingKey, VerifyingKey)> {
        ProvingKey::setup(&self.program, &self.weights)
    }

    /// tract's float run of the same model: the reference for accuracy.
    #[tracing::instrument(skip_all)]
    pub fn run_float(&self, input: &InputData) -> Result<OutputData> {
        input.check(self.inputs())?;
        let output_data = self.onnx.run_float(&input.input_data)?;
        Ok(OutputData {
            output_data,
            output_quantized: None,
        })
    }
}

impl Execution {
    /// Number of lookups the trace performs (one per element of every non-linear instruction
    /// and range check).
    pub fn num_lookups(&self) -> usize {
        self.trace.num_lookups()
    }
}

/// Quantizes `input` at the scales of `program`'s inputs (count, lengths and integer inputs are
/// checked by the frontend; [`InputData::check`] gives friendlier messages when the model's
/// input names are at hand).
pub(crate) fn quantize_input(program: &Program, input: &InputData) -> Result<Vec<Vec<i64>>> {
    // The frontend keeps quantized values below 2^53 (exact in f64); say so in real units.
    for (i, (values, &id)) in input.input_data.iter().zip(&program.inputs).enumerate() {
        let info = program.tensor(id);
        let bound = (1u64 << 53) as f64 / (1u64 << info.scale) as f64;
        if let Some((j, v)) = values.iter().enumerate().find(|(_, v)| v.abs() >= bound) {
            return Err(AtlasError::Input(format!(
                "input {i} (`{}`) element {j} is {v:e}, beyond what scale {} represents \
                 (|value| < {bound:.3e})",
                info.name, info.scale
            )));
        }
    }
    Ok(atlas_onnx::quantize_inputs(program, &input.input_data)?)
}
