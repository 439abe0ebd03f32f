//! The SDK end to end on every example model: compile, execute quantized, and compare with
//! both tract's float run and the ONNX reference evaluator's outputs (`expected.json`).

use std::path::{Path, PathBuf};

use atlas_host::{Accuracy, AtlasError, InputData, Model, OutputData};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest-examples/models")
        .join(name)
}

struct Case {
    model: Model,
    input: InputData,
    expected: OutputData,
}

fn case(name: &str) -> Case {
    let d = dir(name);
    Case {
        model: Model::load(d.join("network.onnx")).unwrap_or_else(|e| panic!("{name}: {e}")),
        input: InputData::from_file(&d.join("input.json")).unwrap(),
        expected: OutputData::from_file(&d.join("expected.json")).unwrap(),
    }
}

/// Quantized run vs float run vs the ONNX reference; `tol` bounds the quantization error.
fn check(name: &str, tol: f64) {
    let c = case(name);
    let shapes = c.model.output_shapes();
    let float = c.model.run_float(&c.input).unwrap();
    // tract agrees with onnx's reference evaluator (both float32).
    let conformance =
        Accuracy::compare(&float.output_data, &c.expected.output_data, &shapes).unwrap();
    assert!(
        conformance.max_abs_err < 1e-4 && conformance.argmax_match,
        "{name}: tract vs reference {conformance:?}"
    );
    let run = c.model.run(&c.input).unwrap();
    let acc = Accuracy::compare(&run.outputs.output_data, &float.output_data, &shapes).unwrap();
    assert!(acc.argmax_match, "{name}: {acc:?}");
    assert!(acc.max_abs_err <= tol, "{name}: {acc:?} exceeds {tol}");
    assert!(
        run.num_lookups() > 0,
        "{name}: every example has a non-linearity"
    );
    // Execution is deterministic, bit for bit.
    let again = c.model.run(&c.input).unwrap();
    assert_eq!(run.quantized, again.quantized, "{name}");
    // Dequantized outputs are the quantized ones at each output's scale.
    for (q, (f, &id)) in run.quantized.iter().zip(
        run.outputs
            .output_data
            .iter()
            .zip(&c.model.program().outputs),
    ) {
        let s = c.model.program().tensor(id).scale;
        for (&q, &f) in q.iter().zip(f) {
            assert_eq!(q as f64 / (1u64 << s) as f64, f);
        }
    }
}

#[test]
fn mlp() {
    check("mlp", 0.005);
}

#[test]
fn cnn() {
    check("cnn", 0.005);
}

#[test]
fn attention() {
    check("attention", 0.01);
}

#[test]
fn tiny_gpt() {
    check("tiny_gpt", 0.02);
}

#[test]
fn ops_zoo() {
    check("ops_zoo", 0.01);
}

#[test]
fn program_is_valid_and_reports_sizes() {
    let c = case("tiny_gpt");
    c.model.program().validate().unwrap();
    assert!(c.model.num_params() > 0);
    assert_eq!(c.model.num_instructions(), c.model.program().instrs.len());
    assert_eq!(c.model.output_shapes(), vec![vec![1, 16, 32]]);
    assert_eq!(c.model.inputs().len(), 1);
    assert_eq!(c.model.inputs()[0].shape, vec![1, 16]);
}

#[test]
fn unsupported_operator_is_a_typed_error() {
    let err = Model::load(dir("unsupported").join("network.onnx"))
        .err()
        .expect("Atan is not supported");
    match &err {
        AtlasError::Unsupported { node, op } => {
            assert_eq!(node, "my_atan");
            assert_eq!(op, "Atan");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert_eq!(err.exit_code(), atlas_host::error::exit::UNSUPPORTED);
    let nodes = atlas_host::inspect(&dir("unsupported").join("network.onnx")).unwrap();
    let bad: Vec<_> = nodes.iter().filter(|n| !n.supported).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(
        (bad[0].name.as_str(), bad[0].op.as_str()),
        ("my_atan", "Atan")
    );
}

#[test]
fn sample_input_runs() {
    let c = case("attention");
    let sample = c.model.sample_input();
    assert_eq!(sample, c.model.sample_input());
    let run = c.model.run(&sample).unwrap();
    let float = c.model.run_float(&sample).unwrap();
    let acc = Accuracy::compare(
        &run.outputs.output_data,
        &float.output_data,
        &c.model.output_shapes(),
    )
    .unwrap();
    assert!(acc.max_abs_err < 0.01, "{acc:?}");
}

#[test]
fn wrong_input_is_rejected_before_execution() {
    let c = case("cnn");
    let short = InputData {
        input_data: vec![vec![0.0; 3]],
    };
    let e = c.model.run(&short).err().expect("too short");
    assert!(matches!(e, AtlasError::Input(_)), "{e:?}");
    assert!(c.model.run_float(&short).is_err());
}
