//! The `atlas run` pipeline as a library call: load, compile, execute, float reference,
//! accuracy, then setup, prove and verify.
//!
//! Proving is the default. A model whose program uses an instruction the prover does not
//! support yet still gets its accuracy report: [`RunOutcome::prove_error`] holds the
//! [`AtlasError::NotProvable`] that names the instruction (the `atlas` tool prints the report,
//! then the error, and exits with [`crate::error::exit::NOT_PROVABLE`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use atlas_onnx::FrontendError;

use crate::error::{AtlasError, Result};
use crate::io::{InputData, OutputData, SAMPLE_INT_BOUND, SAMPLE_SEED};
use crate::model::{load_onnx_with, Model};
use crate::proof::Proof;
use crate::report::Accuracy;
use crate::stages::{StageReport, Stages};
use crate::tables::Tables;

/// Options of [`run`].
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The ONNX model.
    pub model: PathBuf,
    /// The input file; `None` runs the deterministic sample input ([`InputData::sample`]).
    pub input: Option<PathBuf>,
    /// Fixed-point scale; `None` lets the frontend choose.
    pub scale: Option<u32>,
    /// A table plug-in whose custom operators the model uses.
    pub tables: Option<PathBuf>,
    /// Skip setup, proving and verification (execute and report accuracy only).
    pub no_prove: bool,
    /// Show a progress spinner on stderr for stages that take over a second.
    pub progress: bool,
}

/// Everything `atlas run --json` prints: one flat JSON object.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The model file.
    pub model: String,
    /// The input file, or `"sample"` for the deterministic sample input.
    pub input: String,
    /// The table plug-in, if any.
    pub tables: Option<String>,
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
    /// Seconds of setup (committing the weights); `null` when not proven.
    pub setup_s: Option<f64>,
    /// Seconds to prove the execution; `null` when not proven.
    pub prove_s: Option<f64>,
    /// Seconds to verify the proof; `null` when not proven.
    pub verify_s: Option<f64>,
    /// Size of the proof in bytes; `null` when not proven.
    pub proof_bytes: Option<usize>,
    /// Whether the proof was produced and verified.
    pub verified: bool,
    /// Why the run was not proven (`--no-prove`, or the instruction the prover does not support
    /// yet); `null` when it was.
    pub not_proven: Option<String>,
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
    /// Why proving failed ([`AtlasError::NotProvable`], or [`AtlasError::Rejected`] should the
    /// verifier reject the proof); the report above it is complete.
    pub prove_error: Option<AtlasError>,
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
    let tables = options
        .tables
        .as_deref()
        .map(Tables::from_file)
        .transpose()?
        .map(Arc::new);
    let mut stages = Stages::new().with_progress(options.progress);
    let lens = input.as_ref().map(InputData::lens);
    let onnx = stages
        .run("load", || {
            load_onnx_with(&options.model, lens.as_deref(), tables.as_deref())
        })
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
    let model = stages
        .run("compile", || {
            Model::compile(&options.model, onnx, options.scale)
        })?
        .with_tables(tables);
    let input = match input {
        Some(input) => input,
        None => model.sample_input(),
    };
    let (quantized, execution) = stages.run("execute", || -> Result<_> {
        let quantized = model.quantize(&input)?;
        let execution = model.execute(&quantized)?;
        Ok((quantized, execution))
    })?;
    let float_outputs = stages.run("float", || model.run_float(&input))?;
    let mut proof_bytes = None;
    let mut verified = false;
    let mut prove_error = None;
    if !options.no_prove {
        match prove_and_verify(&mut stages, &model, &quantized, &execution) {
            Ok(bytes) => {
                proof_bytes = Some(bytes);
                verified = true;
            }
            Err(e @ (AtlasError::NotProvable { .. } | AtlasError::Rejected(_))) => {
                prove_error = Some(e)
            }
            Err(e) => return Err(e),
        }
    }
    let not_proven = if options.no_prove {
        Some("--no-prove".to_string())
    } else {
        prove_error.as_ref().map(ToString::to_string)
    };
    let timed = |name: &str| {
        stages
            .reports()
            .iter()
            .any(|r| r.name == name)
            .then(|| stages.seconds(name))
    };
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
        tables: options.tables.as_deref().map(|p| p.display().to_string()),
        params: model.num_params(),
        instructions: model.num_instructions(),
        lookups: execution.num_lookups(),
        scale: model.scale(),
        accuracy,
        load_s: stages.seconds("load"),
        compile_s: stages.seconds("compile"),
        execute_s: stages.seconds("execute"),
        float_s: stages.seconds("float"),
        setup_s: timed("setup"),
        prove_s: timed("prove"),
        verify_s: timed("verify"),
        proof_bytes,
        verified,
        not_proven,
        peak_rss_mb: stages.peak_rss_bytes().map(|b| b as f64 / (1 << 20) as f64),
        per_stage_peaks: stages.per_stage_peaks(),
        stages: stages.reports().to_vec(),
        output_shapes,
    };
    Ok(RunOutcome {
        report,
        outputs: execution.outputs,
        float_outputs,
        prove_error,
    })
}

/// Setup, prove and verify as three stages; returns the proof's size in bytes.
fn prove_and_verify(
    stages: &mut Stages,
    model: &Model,
    quantized: &[Vec<i64>],
    execution: &crate::model::Execution,
) -> Result<usize> {
    let (pk, vk) = stages.run("setup", || model.setup())?;
    let bytes = stages.run("prove", || -> Result<_> {
        Ok(pk.prove_execution(quantized, execution)?.to_bytes())
    })?;
    // The verifier sees what a file would hold: the encoded proof, decoded again.
    stages.run("verify", || {
        let proof = Proof::from_bytes(&bytes)?;
        vk.verify_quantized(quantized, &execution.quantized, &proof)
    })?;
    Ok(bytes.len())
}
