//! Compile → execute (atlas-vm) → dequantize, against tract's
//! float run, on the repository's example models and (when present) the shared benchmark models.

mod common;

use common::{guest_model, measure, shared_model};

fn check(name: &str, dir: &std::path::Path, max_err: f64) {
    let acc = measure(dir, None);
    eprintln!("{name}: {acc:?}");
    assert_eq!(acc.argmax.0, acc.argmax.1, "{name}: argmax disagrees");
    assert!(
        acc.max_abs <= max_err,
        "{name}: max abs error {}",
        acc.max_abs
    );
}

#[test]
fn guest_mlp() {
    check("mlp", &guest_model("mlp"), 1e-2);
}

#[test]
fn guest_cnn() {
    check("cnn", &guest_model("cnn"), 1e-2);
}

#[test]
fn guest_attention() {
    check("attention", &guest_model("attention"), 2e-2);
}

#[test]
fn guest_tiny_gpt() {
    check("tiny_gpt", &guest_model("tiny_gpt"), 5e-2);
}

#[test]
fn guest_ops_zoo() {
    check("ops_zoo", &guest_model("ops_zoo"), 2e-2);
}

#[test]
fn shared_mlp_mnist() {
    if let Some(dir) = shared_model("mlp_mnist") {
        check("mlp_mnist", &dir, 1e-2);
    }
}

#[test]
fn shared_lenet5() {
    if let Some(dir) = shared_model("lenet5") {
        check("lenet5", &dir, 1e-2);
    }
}

#[test]
fn shared_nanogpt() {
    if let Some(dir) = shared_model("nanogpt") {
        check("nanogpt", &dir, 5e-2);
    }
}

/// Accuracy at every scale from 8 to 16 (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn scale_sweep() {
    let mut dirs: Vec<(String, std::path::PathBuf)> =
        ["mlp", "cnn", "attention", "tiny_gpt", "ops_zoo"]
            .iter()
            .map(|n| (n.to_string(), guest_model(n)))
            .collect();
    for n in ["mlp_mnist", "lenet5", "nanogpt"] {
        if let Some(d) = shared_model(n) {
            dirs.push((n.to_string(), d));
        }
    }
    for (name, dir) in dirs {
        for s in 8..=16 {
            let acc = common::measure(&dir, Some(s));
            eprintln!(
                "{name} s={s}: max {:.2e} mean {:.2e} argmax {}/{} instrs {}",
                acc.max_abs, acc.mean_abs, acc.argmax.0, acc.argmax.1, acc.instrs
            );
        }
    }
}

/// Load, compile and execute times of nanoGPT (run in release with `--ignored --nocapture`).
#[test]
#[ignore]
fn nanogpt_timing() {
    let Some(dir) = shared_model("nanogpt") else {
        return;
    };
    let inputs = common::read_inputs(&dir);
    let t = std::time::Instant::now();
    let model = atlas_onnx::load(&dir.join("network.onnx"), Some(&[inputs[0].len()])).unwrap();
    let loaded = t.elapsed();
    let t = std::time::Instant::now();
    let compiled = model.compile(&Default::default()).unwrap();
    let compile = t.elapsed();
    let t = std::time::Instant::now();
    let q = atlas_onnx::quantize_inputs(&compiled.program, &inputs).unwrap();
    atlas_vm::execute(&compiled.program, &compiled.weights, &q).unwrap();
    let execute = t.elapsed();
    eprintln!("nanoGPT: load {loaded:?}, compile {compile:?}, execute {execute:?}");
}
