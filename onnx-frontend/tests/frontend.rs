//! Loading, inspection and error behaviour of the frontend.

mod common;

use atlas_onnx::{load, load_bytes, quantize_inputs, CompileOptions, FrontendError, InputKind};
use common::{guest_model, read_inputs, shared_model};

#[test]
fn unsupported_operator_names_node_and_op() {
    let dir = guest_model("unsupported");
    let model = load(&dir.join("network.onnx"), None).expect("tract loads it");
    match model.compile(&CompileOptions::default()) {
        Err(FrontendError::Unsupported { node, op }) => {
            assert_eq!(node, "my_atan");
            assert_eq!(op, "Atan");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    let report = model.inspect();
    let atan = report.iter().find(|r| r.name == "my_atan").expect("listed");
    assert!(!atan.supported);
    assert_eq!(atan.op, "Atan");
    assert!(report
        .iter()
        .filter(|r| r.name != "my_atan")
        .all(|r| r.supported));
}

#[test]
fn inspect_lists_every_node() {
    let dir = guest_model("mlp");
    let model = load(&dir.join("network.onnx"), None).unwrap();
    let report = model.inspect();
    assert_eq!(report.len(), model.tract_model().nodes().len());
    assert!(report.iter().all(|r| r.supported), "{report:?}");
    assert!(report
        .iter()
        .any(|r| r.note.as_deref().is_some_and(|n| n.contains("Einsum"))));
    assert!(model.num_params() > 0);
}

#[test]
fn bad_bytes_and_missing_files() {
    let bytes = std::fs::read(guest_model("mlp").join("network.onnx")).unwrap();
    assert!(matches!(
        load_bytes(&bytes[..bytes.len() / 2], None),
        Err(FrontendError::NotOnnx(_))
    ));
    assert!(matches!(
        load_bytes(b"{\"input_data\": [[1, 2]]}", None),
        Err(FrontendError::NotOnnx(_))
    ));
    let e = load(std::path::Path::new("/does/not/exist.onnx"), None).unwrap_err();
    assert!(matches!(e, FrontendError::Io { .. }), "{e}");
    assert!(e.to_string().contains("/does/not/exist.onnx"));
}

#[test]
fn input_lengths_fix_and_check_shapes() {
    let dir = guest_model("mlp");
    let model = load(&dir.join("network.onnx"), Some(&[64])).unwrap();
    assert_eq!(model.inputs()[0].shape, vec![1, 64]);
    assert_eq!(model.inputs()[0].kind, InputKind::Float);
    assert!(matches!(
        load(&dir.join("network.onnx"), Some(&[63])),
        Err(FrontendError::Shape(_))
    ));
    assert!(load(&dir.join("network.onnx"), Some(&[64, 1])).is_err());
}

#[test]
fn token_ids_are_integer_inputs() {
    let dir = guest_model("tiny_gpt");
    let inputs = read_inputs(&dir);
    let model = load(&dir.join("network.onnx"), Some(&[inputs[0].len()])).unwrap();
    assert_eq!(model.inputs()[0].kind, InputKind::Int);
    let compiled = model.compile(&CompileOptions::default()).unwrap();
    let input = compiled.program.tensor(compiled.program.inputs[0]);
    assert_eq!(input.scale, 0);
    let q = quantize_inputs(&compiled.program, &inputs).unwrap();
    assert_eq!(q[0][0] as f64, inputs[0][0]);
    let e = quantize_inputs(&compiled.program, &[vec![0.5; inputs[0].len()]]).unwrap_err();
    assert!(e.to_string().contains("index 0"), "{e}");
}

#[test]
fn scale_option_is_used_and_checked() {
    let dir = guest_model("mlp");
    let model = load(&dir.join("network.onnx"), None).unwrap();
    let c = model.compile(&CompileOptions { scale: Some(9) }).unwrap();
    assert_eq!(c.program.tensor(c.program.inputs[0]).scale, 9);
    assert!(matches!(
        model.compile(&CompileOptions { scale: Some(0) }),
        Err(FrontendError::Quantization(_))
    ));
    let e = quantize_inputs(&c.program, &[vec![f64::INFINITY; 64]]).unwrap_err();
    assert!(e.to_string().contains("index 0"), "{e}");
}

#[test]
fn every_example_compiles_to_a_valid_program() {
    for name in ["mlp", "cnn", "attention", "tiny_gpt", "ops_zoo"] {
        let dir = guest_model(name);
        let lens: Vec<usize> = read_inputs(&dir).iter().map(Vec::len).collect();
        let model = load(&dir.join("network.onnx"), Some(&lens)).unwrap();
        let c = model.compile(&CompileOptions::default()).unwrap();
        c.program.validate().unwrap();
        assert_eq!(
            c.program.outputs.len(),
            model.output_shapes().unwrap().len()
        );
    }
    for name in ["mlp_mnist", "lenet5", "nanogpt"] {
        if let Some(dir) = shared_model(name) {
            let model = load(&dir.join("network.onnx"), None).unwrap();
            model.compile(&CompileOptions::default()).unwrap();
        }
    }
}

#[test]
fn operator_unknown_to_tract_is_unsupported() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/unknown_op.onnx");
    match load(&path, None) {
        Err(FrontendError::Unsupported { node, op }) => {
            assert_eq!(node, "my_fancy");
            assert_eq!(
                op,
                "com.example::FancyActivation (custom domain; no custom operator is registered for it)"
            );
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn inspect_marks_fused_gelu() {
    let dir = guest_model("tiny_gpt");
    let model = load(&dir.join("network.onnx"), None).unwrap();
    let report = model.inspect();
    let note = |name: &str| {
        report
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.note.clone())
            .unwrap_or_default()
    };
    assert!(
        note("/h.0/mlp/Mul_3").contains("Lookup"),
        "{}",
        note("/h.0/mlp/Mul_3")
    );
    assert!(
        note("/h.0/mlp/Tanh").contains("folded"),
        "{}",
        note("/h.0/mlp/Tanh")
    );
}

#[test]
fn corrupted_models_are_errors_not_panics() {
    let bytes = std::fs::read(guest_model("mlp").join("network.onnx")).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..40 {
        let mut b = bytes.clone();
        for _ in 0..(1 + round % 4) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % b.len() as u64) as usize;
            b[i] ^= (state >> 32) as u8 | 1;
        }
        // Either outcome is fine; a panic is not (the test would fail).
        if let Ok(model) = load_bytes(&b, None) {
            let _ = model.compile(&CompileOptions::default());
            let _ = model.inspect();
        }
    }
}

#[test]
fn compilation_is_deterministic() {
    let dir = guest_model("tiny_gpt");
    let a = load(&dir.join("network.onnx"), None).unwrap();
    let b = load(&dir.join("network.onnx"), None).unwrap();
    let (ca, cb) = (
        a.compile(&CompileOptions::default()).unwrap(),
        b.compile(&CompileOptions::default()).unwrap(),
    );
    assert_eq!(ca.program.digest(), cb.program.digest());
    assert_eq!(ca.weights, cb.weights);
}
