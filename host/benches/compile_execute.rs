//! nanoGPT (the cross-project benchmark model, 4 layers, context 64): compile and quantized
//! execution. Reads `../shared/models/nanogpt` beside the repository; skips with a message if
//! it is absent.
//!
//! `cargo bench -p atlas-host --bench compile_execute`

use std::path::{Path, PathBuf};
use std::time::Duration;

use atlas_host::{load_onnx, InputData, Model};
use atlas_onnx::CompileOptions;
use criterion::{criterion_main, Criterion};

fn nanogpt() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/models/nanogpt");
    dir.join("network.onnx").exists().then_some(dir)
}

fn bench(c: &mut Criterion) {
    let Some(dir) = nanogpt() else {
        eprintln!("skipping: ../shared/models/nanogpt not found beside the repository");
        return;
    };
    let onnx_path = dir.join("network.onnx");
    let input = InputData::from_file(&dir.join("input.json")).expect("nanoGPT input");
    let lens = input.lens();
    let mut group = c.benchmark_group("nanogpt");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));

    group.bench_function("load", |b| {
        b.iter(|| load_onnx(&onnx_path, Some(&lens)).expect("load"))
    });
    let onnx = load_onnx(&onnx_path, Some(&lens)).expect("load");
    group.bench_function("compile", |b| {
        b.iter(|| {
            onnx.compile(&CompileOptions { scale: None })
                .expect("compile")
        })
    });
    let model = Model::compile(&onnx_path, onnx, None).expect("compile");
    let quantized = model.quantize(&input).expect("quantize");
    group.bench_function("execute", |b| {
        b.iter(|| model.execute(&quantized).expect("execute"))
    });
    group.bench_function("compile+execute", |b| {
        b.iter(|| {
            let compiled = model
                .onnx()
                .compile(&CompileOptions { scale: None })
                .expect("compile");
            atlas_vm::execute(&compiled.program, &compiled.weights, &quantized).expect("execute")
        })
    });
    group.bench_function("float (tract)", |b| {
        b.iter(|| model.run_float(&input).expect("float run"))
    });
    group.finish();
}

mod harness {
    // criterion_group! defines an undocumented public function.
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(harness::benches);
