//! The shared benchmark models (`../shared/models` beside the repository: nanoGPT, an MNIST MLP,
//! LeNet-5), when present: compile, execute, and stay within the accuracy measured on them.
//! Each test passes with a note when the folder is absent — the repository's own tests must not
//! need anything outside it.

use std::path::{Path, PathBuf};

use atlas_host::{Accuracy, InputData, LoadOptions, Model};

fn shared(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/models")
        .join(name);
    if dir.join("network.onnx").exists() {
        Some(dir)
    } else {
        eprintln!("skipping {name}: {} is absent", dir.display());
        None
    }
}

fn check(name: &str, max_err: f64, rows: usize) {
    let Some(dir) = shared(name) else { return };
    let input = InputData::from_file(&dir.join("input.json")).unwrap();
    let model = Model::load_with(
        dir.join("network.onnx"),
        &LoadOptions {
            input_lens: Some(input.lens()),
            ..LoadOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let run = model.run(&input).unwrap();
    let float = model.run_float(&input).unwrap();
    let acc = Accuracy::compare(
        &run.outputs.output_data,
        &float.output_data,
        &model.output_shapes(),
    )
    .unwrap();
    assert!(acc.argmax_match, "{name}: {acc:?}");
    assert_eq!(acc.argmax_rows, rows, "{name}");
    assert!(acc.max_abs_err <= max_err, "{name}: {acc:?}");
}

#[test]
fn mlp_mnist() {
    check("mlp_mnist", 0.005, 1);
}

#[test]
fn lenet5() {
    check("lenet5", 0.005, 1);
}

#[test]
fn nanogpt() {
    check("nanogpt", 0.02, 64);
}
