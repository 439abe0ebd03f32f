//! The `atlas run` pipeline as a library call: load, compile, execute, float reference, accuracy.

use std::path::{Path, PathBuf};

use serde::Serialize;

use atlas_onnx::FrontendError;

use crate::error::{AtlasError, Result};
use crate::io::{InputData, OutputData, SAMPLE_INT_BOUND, SAMPLE_SEED};
use crate::model::{load_onnx, Model};
use crate::report::Accuracy;
use crate::stages::{StageReport, Stages};

/// Options of [`run`].
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The ONNX model.
    pub model: PathBuf,
    /// The input file; `None` runs the deterministic sample input ([`InputData::sample`]).
    pub input: Option<PathBuf>,
    /// Fixed-point scale; `None` lets the frontend choose.
    pub scale: Option<u32>,
}

/// Everything `atlas run --json` prints: one flat JSON object.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The model file.
    pub model: String,
    /// The input file, or `"sample"` for the deterministic sample input.
    pub input: String,
    /// Number of model parameters.
    pub params: usize,
    /// Number of instructions of the compiled program.
    pub instructions: usize,
    /// Number of lookups of the execution.
    pub lookups: usize,
    /// Fixed-point scale (fractional bits) of the program.
    pub scale: u32,
    /// Accuracy against tract's float run.
    #[serde(flatten)]
    pub accuracy: Accuracy,
    /// Seconds to load and type-check the ONNX file.
    pub load_s: f64,
    /// Seconds to compile (quantize) it into an Atlas program.
    pub compile_s: f64,
    /// Seconds to quantize the input and execute the program on the VM.
    pub execute_s: f64,
    /// Seconds of tract's float run (the reference).
    pub float_s: f64,
    /// Peak resident memory over all stages, in MiB (absent where the platform does not say).
    pub peak_rss_mb: Option<f64>,
    /// Whether each stage's peak memory is its own (`false`: the process's peak so far).
    pub per_stage_peaks: bool,
    /// Every stage with its time and peak memory.
    pub stages: Vec<StageReport>,
    /// Shapes of the outputs.
    pub output_shapes: Vec<Vec<usize>>,
}

/// The result of [`run`].
pub struct RunOutcome {
    /// The report.
    pub report: RunReport,
    /// The dequantized outputs of the quantized run.
    pub outputs: OutputData,
    /// The float reference outputs.
    pub float_outputs: OutputData,
}

/// A one-line description of the sample input, for users.
pub fn sample_description() -> String {
    format!(
        "deterministic sample input (ChaCha8 seed {SAMPLE_SEED:#x}: floats in [-1, 1), \
         integers in [0, {SAMPLE_INT_BOUND}))"
    )
}

/// Loads, compiles and executes a model on an input, runs the float reference and compares.
pub fn run(options: &RunOptions) -> Result<RunOutcome> {
    let input = options
        .input
        .as_deref()
        .map(InputData::from_file)
        .transpose()?;
    let mut stages = Stages::new();
    let lens = input.as_ref().map(InputData::lens);
    let onnx = stages
        .run("load", || load_onnx(&options.model, lens.as_deref()))
        .map_err(|e| match (e, &options.input) {
            (
                AtlasError::Model(e @ (FrontendError::Input(_) | FrontendError::Shape(_))),
                Some(p),
            ) => AtlasError::InputFile {
                path: p.clone(),
                source: e,
            },
            (e, _) => e,
        })?;
    let model = stages.run("compile", || {
        Model::compile(&options.model, onnx, options.scale)
    })?;
    let input = match input {
        Some(input) => input,
        None => model.sample_input(),
    };
    let execution = stages.run("execute", || model.run(&input))?;
    let float_outputs = stages.run("float", || model.run_float(&input))?;
    let output_shapes = model.output_shapes();
    let accuracy = Accuracy::compare(
        &execution.outputs.output_data,
        &float_outputs.output_data,
        &output_shapes,
    )?;
    let report = RunReport {
        model: options.model.display().to_string(),
        input: options
            .input
            .as_deref()
            .map_or_else(|| "sample".to_string(), |p: &Path| p.display().to_string()),
        params: model.num_params(),
        instructions: model.num_instructions(),
        lookups: execution.num_lookups(),
        scale: model.scale(),
        accuracy,
        load_s: stages.seconds("load"),
        compile_s: stages.seconds("compile"),
        execute_s: stages.seconds("execute"),
        float_s: stages.seconds("float"),
        peak_rss_mb: stages.peak_rss_bytes().map(|b| b as f64 / (1 << 20) as f64),
        per_stage_peaks: stages.per_stage_peaks(),
        stages: stages.reports().to_vec(),
        output_shapes,
    };
    Ok(RunOutcome {
        report,
        outputs: execution.outputs,
        float_outputs,
    })
}
