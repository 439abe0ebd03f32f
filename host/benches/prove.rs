//! Setup, prove and verify on the shared benchmark models `mlp_mnist` and `lenet5` (read from
//! `../shared/models` beside the repository; each is skipped with a message if absent). Prints
//! the proof size and the peak resident memory of each model's setup + prove + verify.
//!
//! `cargo bench -p atlas-host --bench prove`

use std::path::{Path, PathBuf};
use std::time::Duration;

use atlas_host::stages::{peak_rss_bytes, reset_peak_rss};
use atlas_host::{InputData, Model, Proof};
use criterion::{criterion_main, Criterion};

fn shared_model(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/models")
        .join(name);
    dir.join("network.onnx").exists().then_some(dir)
}

fn bench_model(c: &mut Criterion, name: &str) {
    let Some(dir) = shared_model(name) else {
        eprintln!("skipping {name}: ../shared/models/{name} not found beside the repository");
        return;
    };
    let model = Model::load(dir.join("network.onnx")).expect("the model compiles");
    let input = InputData::from_file(&dir.join("input.json")).expect("its input");

    // One measured pass for the report: proof size and peak memory.
    let per_stage = reset_peak_rss();
    let (pk, vk) = model.setup().expect("setup");
    let (proof, output) = pk.prove(&input).expect("prove");
    vk.verify(&input, &output, &proof)
        .expect("the proof verifies");
    let peak = peak_rss_bytes().map_or_else(
        || "n/a".to_string(),
        |b| format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
    );
    eprintln!(
        "{name}: proof {} bytes, verifying key {} bytes, peak RSS {peak} ({})",
        proof.size(),
        vk.to_bytes().len(),
        if per_stage {
            "setup + prove + verify"
        } else {
            "process peak so far"
        }
    );

    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("setup", |b| b.iter(|| model.setup().expect("setup")));
    group.bench_function("prove", |b| b.iter(|| pk.prove(&input).expect("prove")));
    let bytes = proof.to_bytes();
    group.bench_function("verify", |b| {
        b.iter(|| {
            let proof = Proof::from_bytes(&bytes).expect("decode");
            vk.verify(&input, &output, &proof).expect("verify")
        })
    });
    group.finish();
}

fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench_model(&mut c, "mlp_mnist");
    bench_model(&mut c, "lenet5");
    c.final_summary();
}

criterion_main!(benches);
