//! One small model per operator family (`tests/models/*.onnx`, from `generate.py`): compile,
//! execute with atlas-vm, compare every output with tract's float run.

mod common;

use std::path::Path;

use atlas_onnx::{load, quantize_inputs, CompileOptions};

/// Deterministic inputs in about ±1.5.
fn inputs_for(model: &atlas_onnx::OnnxModel) -> Vec<Vec<f64>> {
    model
        .inputs()
        .iter()
        .enumerate()
        .map(|(k, spec)| {
            let n: usize = spec.shape.iter().product();
            (0..n)
                .map(|i| 1.5 * ((i as f64 + 1.0) * 0.731 + k as f64).sin())
                .collect()
        })
        .collect()
}

/// Largest error over all outputs.
fn max_error(name: &str, scale: Option<u32>) -> f64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/models")
        .join(format!("{name}.onnx"));
    let model = load(&path, None).expect("load");
    let inputs = inputs_for(&model);
    let compiled = model.compile(&CompileOptions { scale }).expect("compile");
    let q = quantize_inputs(&compiled.program, &inputs).expect("quantize");
    let trace = atlas_vm::execute(&compiled.program, &compiled.weights, &q).expect("execute");
    let float = model.run_float(&inputs).expect("float");
    let mut worst = 0f64;
    for ((o, v), f) in compiled
        .program
        .outputs
        .iter()
        .zip(trace.outputs(&compiled.program))
        .zip(&float)
    {
        let scale = compiled.program.tensor(*o).scale;
        assert_eq!(v.len(), f.len(), "{name}: output {o} length");
        for (q, f) in v.iter().zip(f) {
            worst = worst.max((atlas_isa::fixed::dequantize(*q, scale) - f).abs());
        }
    }
    eprintln!(
        "{name}: max abs error {worst:.2e}, {} instructions",
        compiled.program.instrs.len()
    );
    worst
}

#[test]
fn gemm_then_batchnorm() {
    assert!(max_error("gemm_batchnorm", None) < 5e-3);
}

#[test]
fn convolutions_and_pools() {
    assert!(max_error("conv_variants", None) < 5e-3);
}

#[test]
fn element_wise_reductions_and_movement() {
    assert!(max_error("elementwise", None) < 1e-2);
}

#[test]
fn layernorm_and_activations() {
    assert!(max_error("layernorm_gelu", None) < 1e-2);
}

#[test]
fn nearest_neighbour_resize() {
    assert!(max_error("resize_nearest", None) < 1e-3);
}

#[test]
fn linear_and_cubic_resize() {
    assert!(max_error("resize_interpolated", None) < 2e-3);
}

#[test]
fn transposed_convolutions() {
    assert!(max_error("conv_transpose", None) < 5e-3);
}

#[test]
fn max_and_min_with_one_constant() {
    assert!(max_error("one_sided_clips", None) < 1e-3);
}

#[test]
fn arg_max_and_arg_min() {
    // Indices are exact (an index off by one is an error of 1); TopK's values carry the
    // quantization error.
    assert!(max_error("arg_extremum", None) < 1e-3);
}

#[test]
fn comparisons_trigonometry_and_expand() {
    assert!(max_error("misc_ops", None) < 5e-3);
}

#[test]
fn more_activations_and_normalizations() {
    assert!(max_error("more_activations", None) < 1e-3);
}

#[test]
fn tile_cumsum_and_sign() {
    assert!(max_error("tile_cumsum_sign", None) < 1e-3);
}

#[test]
fn scatter_nd_with_constant_indices() {
    assert!(max_error("scatter_nd", None) < 1e-3);
}

#[test]
fn quantize_and_dequantize_linear() {
    // Rounding half up instead of half to even could move a value by one step (0.03) on an
    // exact tie; the test input has none.
    assert!(max_error("qdq_conv", None) < 1e-3);
}
