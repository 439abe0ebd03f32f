//! `atlas`: compile an ONNX model into a quantized Atlas program, run it, report its accuracy.
//!
//! ```text
//! atlas run MODEL [--input FILE] [--output FILE] [--scale N] [--json]
//! atlas inspect MODEL [--json]
//! atlas [--trace FILE] ...            Chrome trace of the run (chrome://tracing, Perfetto)
//! ```
//!
//! Exit codes: 0 success, 1 internal error, 2 usage, 3 bad model / input / file, 4 unsupported
//! operator (see [`atlas_host::error::exit`]). Errors are one line on stderr; in `--json` mode
//! stdout carries exactly one JSON object and nothing else. Logs go to stderr (`RUST_LOG`).

use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use atlas_host::error::exit;
use atlas_host::model::panic_message;
use atlas_host::pipeline::{self, RunOptions, RunOutcome};
use atlas_host::{AtlasError, NodeReport};
use atlas_onnx::quantize::MAX_SCALE;
use clap::{Parser, Subcommand};
use serde::Serialize;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Atlas: a zero-knowledge prover for ML models. Compiles ONNX into a quantized tensor program
/// and executes it (proofs arrive with the prover).
#[derive(Parser, Debug)]
#[command(name = "atlas", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 ok, 1 internal error, 2 usage, \
3 bad model/input/file, 4 unsupported operator.\nLogs go to stderr; set RUST_LOG=info for more.")]
struct Cli {
    /// Write a Chrome trace of the run to FILE (open in chrome://tracing or ui.perfetto.dev).
    #[arg(long, global = true, value_name = "FILE")]
    trace: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile MODEL, execute it quantized, and compare with tract's float run.
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
        /// Print one JSON object on stdout instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// List every node of MODEL with its operator and whether Atlas supports it.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
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
            json,
        } => {
            let sample = input.is_none();
            let outcome = pipeline::run(&RunOptions {
                model,
                input,
                scale,
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
                print_json(&outcome.report)
            } else {
                print_run(&outcome, output.as_deref());
                Ok(())
            }
        }
        Command::Inspect { model, json } => {
            let nodes = atlas_host::inspect(&model)?;
            if json {
                print_json(&InspectReport::new(&model, nodes))
            } else {
                print_inspect(&model, &nodes);
                Ok(())
            }
        }
    }
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
