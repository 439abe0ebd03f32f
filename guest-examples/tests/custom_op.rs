//! The custom-operator path end to end: a table registered outside `atlas-lookups` (from Rust,
//! and from the JSON plug-in) is used by `models/custom_swish` through compile and execution.

use atlas_guest_examples::{argmax, custom_ops, model_dir, plugins_dir, run_model, swish_registry};
use atlas_lookups::TableRegistry;

/// `output_data` of the model's `expected.json` (numpy's float32 reference, exact swish).
fn expected() -> Vec<f64> {
    let text = std::fs::read_to_string(model_dir("custom_swish").join("expected.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["output_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn rust_registered_table() {
    let (registry, decls) = swish_registry();
    let acc = run_model(&model_dir("custom_swish"), &custom_ops(&decls), &registry).unwrap();
    assert_eq!(acc.custom_lookups, 1);
    // tract's float run with the exact swish is numpy's reference.
    assert!(max_diff(&acc.float[0], &expected()) < 1e-5);
    assert!(acc.max_abs < 2e-3, "max abs error {}", acc.max_abs);
    assert_eq!(argmax(&acc.quantized[0]), argmax(&acc.float[0]));
}

#[test]
fn json_plugin_table() {
    let (registry, decls) =
        TableRegistry::from_json_file(&plugins_dir().join("swish.json")).unwrap();
    assert_eq!(registry.names().collect::<Vec<_>>(), ["swish"]);
    let acc = run_model(&model_dir("custom_swish"), &custom_ops(&decls), &registry).unwrap();
    assert_eq!(acc.custom_lookups, 1);
    // Against its own float reference (the plug-in's piecewise-linear curve)...
    assert!(acc.max_abs < 2e-3, "max abs error {}", acc.max_abs);
    // ...and against exact swish: the curve is within 1e-3 of it.
    assert!(max_diff(&acc.quantized[0], &expected()) < 5e-3);
    assert_eq!(argmax(&acc.quantized[0]), argmax(&expected()));
}

#[test]
fn without_the_operator_the_node_is_unsupported() {
    let err = run_model(&model_dir("custom_swish"), &[], &TableRegistry::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("/act/Swish") && msg.contains("atlas.custom") && msg.contains("Swish"),
        "{msg}"
    );
}
