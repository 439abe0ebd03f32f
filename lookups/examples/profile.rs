//! One-shot stage timings (setup, commit, prove) with span timings on stderr:
//!
//! ```text
//! cargo run --release --example profile -- shout relu 20 [chunk bits] [setup vars]
//! cargo run --release --example profile -- shout table16 16
//! cargo run --release --example profile -- twist 16 16
//! ```

use atlas_lookups::shout::{self, Chunking, Lookups, ReadClaim, DEFAULT_LOG_CHUNK};
use atlas_lookups::tables::{ClampedTable, ReluTable};
use atlas_lookups::twist;
use atlas_lookups::LookupTable;
use common::RandomMemory;
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::transcript::Transcript;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

/// CPU time of this process (user + system), from `/proc/self/stat`, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command name: utime is the 12th, stime the 13th (0-based 11, 12).
    (ticks(11) + ticks(12)) / 100.0
}

/// Runs `f`, printing its wall-clock and CPU time.
fn stage<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let out = f();
    println!(
        "{name:8} wall {:8.3} s   cpu {:8.3} s",
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    out
}

fn shout_run(table: &dyn LookupTable, log_t: usize, chunking: Chunking, setup_vars: usize) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys: Vec<u64> = (0..1usize << log_t)
        .map(|_| rng.gen_range(0..1u64 << table.log_k()))
        .collect();
    let values: Vec<Fr> = keys.iter().map(|k| from_i64(table.value(*k))).collect();
    let (setup, _) = stage("setup", || DoryScheme::setup(setup_vars));
    let mut transcript = Transcript::new(b"profile");
    let lookups = [Lookups { table, keys: &keys }];
    let (_, witness) = stage("commit", || {
        shout::commit::<DoryScheme>(&setup, &lookups, chunking, &mut transcript).unwrap()
    });
    let r_cycle = transcript.challenge_scalars(b"r_cycle", log_t);
    let rv = atlas_lookups::poly::mle_eval(&values, &r_cycle);
    stage("prove", || {
        shout::prove(&witness, &[ReadClaim::at(r_cycle, rv)], &mut transcript).unwrap()
    });
}

fn twist_run(log_k: usize, log_t: usize) {
    let memory = RandomMemory::new(log_k, log_t);
    let (trace, statement) = (&memory.trace, memory.statement());
    let params = trace.params(Chunking::Auto).unwrap();
    let (setup, _) = stage("setup", || DoryScheme::setup(params.commitment_vars()));
    let mut transcript = Transcript::new(b"profile");
    let (_, witness) = stage("commit", || {
        twist::commit::<DoryScheme>(&setup, trace, Chunking::Auto, &mut transcript).unwrap()
    });
    stage("prove", || {
        twist::prove(&witness, &statement, &mut transcript).unwrap()
    });
}

fn main() {
    tracing_subscriber::fmt()
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(16);
    match args.first().map(String::as_str) {
        Some("twist") => twist_run(num(1), num(2)),
        _ => {
            let table16 = ClampedTable::from_isa(&atlas_isa::Table {
                func: atlas_isa::TableFn::Tanh,
                in_scale: 12,
                out_scale: 12,
                domain: (-(1 << 15), (1 << 15) - 1),
            })
            .unwrap();
            let relu = ReluTable::i32();
            let table: &dyn LookupTable = match args.get(1).map(String::as_str) {
                Some("table16") => &table16,
                _ => &relu,
            };
            // Optional: chunk bits (default: automatic) and setup size (default 8 + log T).
            let chunking = args
                .get(3)
                .and_then(|a| a.parse().ok())
                .map_or(Chunking::Auto, Chunking::Fixed);
            let setup_vars = args
                .get(4)
                .and_then(|a| a.parse().ok())
                .unwrap_or(DEFAULT_LOG_CHUNK + num(2));
            shout_run(table, num(2), chunking, setup_vars);
        }
    }
}
