//! `atlas`: compile an ONNX model into a quantized Atlas program, run it, prove and verify it.
//!
//! ```text
//! atlas run MODEL [--input FILE] [--output FILE] [--scale N] [--tables PLUGIN] [--no-prove] [--json]
//! atlas setup MODEL -o DIR [--scale N] [--tables PLUGIN]      writes DIR/pk and DIR/vk
//! atlas prove --pk DIR/pk --input FILE -o PROOF [--output FILE]
//! atlas verify --vk DIR/vk --input FILE --output FILE --proof PROOF
//! atlas inspect MODEL [--tables PLUGIN] [--json]
//! atlas [--trace FILE] ...            Chrome trace of the run (chrome://tracing, Perfetto)
//! ```
//!
//! `--tables` is needed where a model is compiled (`run`, `setup`, `inspect`); the keys carry the
//! values of the custom tables, so `prove` and `verify` take none.
//!
//! Exit codes: 0 success, 1 internal error, 2 usage, 3 bad model / input / file, 4 unsupported
//! operator, 5 proof rejected, 6 not provable yet (see [`atlas_host::error::exit`]). Errors are
//! one line on stderr; in `--json` mode stdout carries exactly one JSON object and nothing else.
//! Logs go to stderr (`RUST_LOG`).

use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use atlas_host::error::exit;
use atlas_host::model::panic_message;
use atlas_host::pipeline::{self, RunOptions, RunOutcome};
use atlas_host::stages::Stages;
use atlas_host::{
    AtlasError, InputData, LoadOptions, Model, NodeReport, OutputData, Proof, ProvingKey, Tables,
    VerifyingKey,
};
use atlas_onnx::quantize::MAX_SCALE;
use clap::{Parser, Subcommand};
use serde::Serialize;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Atlas: a zero-knowledge prover for ML models. Compiles ONNX into a quantized tensor program,
/// executes it, and proves and verifies the execution.
#[derive(Parser, Debug)]
#[command(name = "atlas", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 ok, 1 internal error, 2 usage, \
3 bad model/input/file, 4 unsupported operator, 5 proof rejected, \
6 not provable yet (an instruction the prover does not support).\n\
Logs go to stderr; set RUST_LOG=info for more.")]
struct Cli {
    /// Write a Chrome trace of the run (the prover's spans included) to FILE (open in
    /// chrome://tracing or ui.perfetto.dev).
    #[arg(long, global = true, value_name = "FILE")]
    trace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile MODEL, execute it quantized, compare with tract's float run, then set up, prove
    /// and verify the execution.
    Run {
        /// The ONNX model.
        model: PathBuf,
        /// Input JSON, {"input_data": [[...], ...]}; without it a deterministic sample input is
        /// used (floats in [-1, 1), integers in [0, 16)).
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Write the dequantized outputs as {"output_data": [[...], ...]} to FILE (atomically).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Activation scale: number of fractional bits, 1 to 20 (default 12).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_SCALE as i64))]
        scale: Option<u32>,
        /// Table plug-in (JSON) defining the model's custom operators.
        #[arg(long, value_name = "PLUGIN")]
        tables: Option<PathBuf>,
        /// Execute and report accuracy only: no setup, proof or verification.
        #[arg(long)]
        no_prove: bool,
        /// Print one JSON object on stdout instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Compile MODEL and commit its weights: writes the proving key DIR/pk and the verifying key
    /// DIR/vk (DIR is created if missing; its parent must exist).
    Setup {
        /// The ONNX model.
        model: PathBuf,
        /// Directory of the keys.
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        /// Activation scale: number of fractional bits, 1 to 20 (default 12).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_SCALE as i64))]
        scale: Option<u32>,
        /// Table plug-in (JSON) defining the model's custom operators. The keys carry the
        /// tables' values: `prove` and `verify` need no plug-in.
        #[arg(long, value_name = "PLUGIN")]
        tables: Option<PathBuf>,
    },
    /// Execute the model of a proving key on an input and prove it: writes the proof and the
    /// outputs.
    Prove {
        /// The proving key (from `atlas setup`).
        #[arg(long, value_name = "FILE")]
        pk: PathBuf,
        /// Input JSON, {"input_data": [[...], ...]}.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// The proof file to write.
        #[arg(short = 'o', long = "out", value_name = "PROOF")]
        out: PathBuf,
        /// The outputs file to write (default: output.json in the proof's directory).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check that PROOF proves that the model of the verifying key maps the input to the output.
    /// Exits 0 for a valid proof, 5 for a rejected one, 3 for unreadable or wrong files.
    Verify {
        /// The verifying key (from `atlas setup`).
        #[arg(long, value_name = "FILE")]
        vk: PathBuf,
        /// Input JSON, {"input_data": [[...], ...]}.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Outputs JSON as `atlas prove` wrote it.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        /// The proof.
        #[arg(long, value_name = "PROOF")]
        proof: PathBuf,
    },
    /// List every node of MODEL with its operator and whether Atlas supports it.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Table plug-in (JSON) defining the model's custom operators.
        #[arg(long, value_name = "PLUGIN")]
        tables: Option<PathBuf>,
        /// Print one JSON object on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Usage errors exit with 2 and help / version with 0, as clap does.
    let cli = Cli::parse();
    let guard = match init_tracing(cli.trace.as_deref()) {
        Ok(guard) => guard,
        Err(e) => return fail(&e),
    };
    // A panic is a bug, but the user still gets one line and exit code 1, not a backtrace:
    // the hook only records where it happened, `main` prints it.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_LOCATION.lock() {
            *slot = at;
        }
    }));
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| dispatch(cli.command)));
    drop(guard);
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => fail(&e),
        Err(payload) => {
            let at = PANIC_LOCATION.lock().map(|s| s.clone()).unwrap_or_default();
            eprintln!(
                "error: internal error (a bug in Atlas): {}{at}",
                one_line(&panic_message(payload.as_ref()))
            );
            ExitCode::from(exit::INTERNAL)
        }
    }
}

/// Where the last panic happened (set by the panic hook).
static PANIC_LOCATION: Mutex<String> = Mutex::new(String::new());

fn dispatch(command: Command) -> Result<(), AtlasError> {
    match command {
        Command::Run {
            model,
            input,
            output,
            scale,
            tables,
            no_prove,
            json,
        } => {
            let sample = input.is_none();
            let mut outcome = pipeline::run(&RunOptions {
                model,
                input,
                scale,
                tables,
                no_prove,
                progress: true,
            })?;
            if let Some(path) = &output {
                outcome.outputs.write_atomic(path)?;
            }
            if json {
                if sample {
                    eprintln!(
                        "note: no --input given: used the {}",
                        pipeline::sample_description()
                    );
                }
                print_json(&outcome.report)?;
            } else {
                print_run(&outcome, output.as_deref());
            }
            // The report is complete; a model that cannot be proven still fails the command.
            match outcome.prove_error.take() {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
        Command::Setup {
            model,
            out,
            scale,
            tables,
        } => setup(&model, &out, scale, tables.as_deref()),
        Command::Prove {
            pk,
            input,
            out,
            output,
        } => {
            let output = output.unwrap_or_else(|| default_output(&out));
            prove(&pk, &input, &out, &output)
        }
        Command::Verify {
            vk,
            input,
            output,
            proof,
        } => {
            // Every file is read before the verdict: a missing file, bad JSON or an artifact of
            // the wrong kind or version is exit 3; a proof that does not decode or does not
            // verify is exit 5.
            let mut stages = Stages::new().with_progress(true);
            let vk = stages.run("load the verifying key", || VerifyingKey::read(&vk))?;
            let input = InputData::from_file(&input)?;
            let output_data = OutputData::from_file(&output)?;
            let proof = Proof::read(&proof)?;
            stages.run("verify", || vk.verify(&input, &output_data, &proof))?;
            println!(
                "proof verified: the model maps the input to {}",
                output.display()
            );
            Ok(())
        }
        Command::Inspect {
            model,
            tables,
            json,
        } => {
            let tables = tables.map(Tables::from_file).transpose()?;
            let nodes = atlas_host::inspect_with(&model, tables.as_ref())?;
            if json {
                print_json(&InspectReport::new(&model, nodes))
            } else {
                print_inspect(&model, &nodes);
                Ok(())
            }
        }
    }
}

/// `atlas setup`: compile, commit, then write both keys (nothing is written if anything fails).
fn setup(
    model: &Path,
    out: &Path,
    scale: Option<u32>,
    tables: Option<&Path>,
) -> Result<(), AtlasError> {
    let tables = tables.map(Tables::from_file).transpose()?.map(Arc::new);
    let model = Model::load_with(
        model,
        &LoadOptions {
            scale,
            input_lens: None,
            tables,
        },
    )?;
    let (pk, vk) = Stages::new()
        .with_progress(true)
        .run("setup", || model.setup())?;
    if !out.is_dir() {
        std::fs::create_dir(out).map_err(|source| AtlasError::Io {
            action: "create the directory",
            path: out.to_path_buf(),
            source,
        })?;
    }
    let (pk_path, vk_path) = (out.join("pk"), out.join("vk"));
    pk.write(&pk_path)?;
    if let Err(e) = vk.write(&vk_path) {
        let _ = std::fs::remove_file(&pk_path);
        return Err(e);
    }
    println!(
        "proving key   {} ({} bytes)\nverifying key {} ({} bytes)",
        pk_path.display(),
        file_len(&pk_path),
        vk_path.display(),
        file_len(&vk_path)
    );
    Ok(())
}

/// `atlas prove`: both files are written only once the proof exists.
fn prove(pk: &Path, input: &Path, out: &Path, output: &Path) -> Result<(), AtlasError> {
    let mut stages = Stages::new().with_progress(true);
    // Loading re-derives the weight commitments: as long as setup.
    let pk = stages.run("load the proving key", || ProvingKey::read(pk))?;
    let input = InputData::from_file(input)?;
    let (proof, outputs) = stages.run("prove", || pk.prove(&input))?;
    outputs.write_atomic(output)?;
    if let Err(e) = proof.write(out) {
        let _ = std::fs::remove_file(output);
        return Err(e);
    }
    println!(
        "proof   {} ({} bytes)\noutputs {}",
        out.display(),
        file_len(out),
        output.display()
    );
    Ok(())
}

/// Where `atlas prove` writes the outputs without `--output`: `output.json` beside the proof.
fn default_output(proof: &Path) -> PathBuf {
    match proof.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("output.json"),
        _ => PathBuf::from("output.json"),
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn fail(e: &AtlasError) -> ExitCode {
    eprintln!("error: {}", one_line(&e.to_string()));
    ExitCode::from(e.exit_code())
}

/// Messages from deep inside tract can span lines (and, with `RUST_BACKTRACE` set, carry an
/// `anyhow` backtrace); a script wants one line.
fn one_line(s: &str) -> String {
    let s = s.find("Stack backtrace:").map_or(s, |i| &s[..i]);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print_json(value: &impl Serialize) -> Result<(), AtlasError> {
    let text = serde_json::to_string(value)
        .map_err(|e| AtlasError::Internal(format!("cannot encode the report: {e}")))?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`atlas run --json | head -c0`) is not worth a panic.
    let _ = writeln!(out, "{text}");
    Ok(())
}

/// Logs on stderr filtered by `RUST_LOG` (default: warnings), plus an optional Chrome trace.
fn init_tracing(trace: Option<&Path>) -> Result<Option<tracing_chrome::FlushGuard>, AtlasError> {
    // tract warns about opsets it has not been tested against; Atlas's own checks are the ones
    // that matter to a user, so tract speaks only on errors unless RUST_LOG says otherwise.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("warn,tract_onnx=error,tract_hir=error,tract_core=error")
    });
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter);
    let (chrome, guard) = match trace {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|source| AtlasError::Io {
                action: "write",
                path: path.to_path_buf(),
                source,
            })?;
            let (layer, guard) = tracing_chrome::ChromeLayerBuilder::new()
                .writer(file)
                .include_args(true)
                .build();
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry().with(fmt).with(chrome).init();
    Ok(guard)
}

fn print_run(outcome: &RunOutcome, output: Option<&Path>) {
    let r = &outcome.report;
    let a = &r.accuracy;
    println!("model         {}", r.model);
    if r.input == "sample" {
        println!("input         {}", pipeline::sample_description());
    } else {
        println!("input         {}", r.input);
    }
    println!("params        {}", r.params);
    println!("instructions  {}", r.instructions);
    println!("lookups       {}", r.lookups);
    println!("scale         {} fractional bits", r.scale);
    if let Some(tables) = &r.tables {
        println!("tables        {tables}");
    }
    println!();
    println!("{:<10} {:>12} {:>14}", "stage", "time", "peak memory");
    for s in &r.stages {
        let mem = s.peak_rss_bytes.map_or_else(
            || "n/a".to_string(),
            |b| format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        );
        println!("{:<10} {:>12} {:>14}", s.name, seconds(s.seconds), mem);
    }
    if !r.per_stage_peaks {
        println!("(peak memory is the process's peak so far: per-stage reset unavailable)");
    }
    println!();
    println!("accuracy (quantized vs tract float)");
    println!("max |err|     {:.6}", a.max_abs_err);
    println!("mean |err|    {:.6}", a.mean_abs_err);
    println!(
        "argmax        {} ({}/{} positions)",
        if a.argmax_match { "match" } else { "MISMATCH" },
        a.argmax_agree,
        a.argmax_rows
    );
    println!();
    match (r.proof_bytes, &outcome.prove_error) {
        (Some(bytes), None) => {
            println!("proof         {bytes} bytes");
            println!("verified      {}", if r.verified { "yes" } else { "NO" });
        }
        _ => println!(
            "proof         none ({})",
            r.not_proven.as_deref().unwrap_or("not proven")
        ),
    }
    if let Some(path) = output {
        println!();
        println!("outputs written to {}", path.display());
    }
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// `atlas inspect --json`.
#[derive(Serialize)]
struct InspectReport {
    model: String,
    nodes: usize,
    unsupported: usize,
    node_reports: Vec<NodeJson>,
}

#[derive(Serialize)]
struct NodeJson {
    name: String,
    op: String,
    supported: bool,
    note: Option<String>,
}

impl InspectReport {
    fn new(model: &Path, nodes: Vec<NodeReport>) -> Self {
        Self {
            model: model.display().to_string(),
            nodes: nodes.len(),
            unsupported: nodes.iter().filter(|n| !n.supported).count(),
            node_reports: nodes
                .into_iter()
                .map(|n| NodeJson {
                    name: n.name,
                    op: n.op,
                    supported: n.supported,
                    note: n.note,
                })
                .collect(),
        }
    }
}

fn print_inspect(model: &Path, nodes: &[NodeReport]) {
    let name_w = nodes
        .iter()
        .map(|n| n.name.len())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    let op_w = nodes.iter().map(|n| n.op.len()).max().unwrap_or(2).max(8);
    println!("{}", model.display());
    println!(
        "{:>4}  {:<name_w$}  {:<op_w$}  supported",
        "#", "node", "operator"
    );
    for (i, n) in nodes.iter().enumerate() {
        let note = n
            .note
            .as_deref()
            .map(|s| format!("  ({})", one_line(s)))
            .unwrap_or_default();
        println!(
            "{i:>4}  {:<name_w$}  {:<op_w$}  {:<3}{note}",
            n.name,
            n.op,
            if n.supported { "yes" } else { "NO" },
        );
    }
    let bad = nodes.iter().filter(|n| !n.supported).count();
    println!();
    if bad == 0 {
        println!("{} nodes, all supported", nodes.len());
    } else {
        println!(
            "{} nodes, {bad} unsupported: `atlas run` will refuse this model",
            nodes.len()
        );
    }
}
