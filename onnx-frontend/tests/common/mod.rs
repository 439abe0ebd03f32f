//! Shared helpers of the frontend's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use atlas_onnx::{load, quantize_inputs, CompileOptions};

/// The repository's example models.
pub fn guest_model(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest-examples/models")
        .join(name)
}

/// The shared benchmark models beside the repository, if present.
pub fn shared_model(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/models")
        .join(name);
    p.join("network.onnx").exists().then_some(p)
}

/// `input_data` of an `input.json`.
pub fn read_inputs(dir: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(dir.join("input.json")).expect("input.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["input_data"]
        .as_array()
        .expect("input_data")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().expect("number"))
                .collect()
        })
        .collect()
}

/// Accuracy of the quantized program against tract's float run.
#[derive(Debug)]
pub struct Accuracy {
    pub max_abs: f64,
    pub mean_abs: f64,
    /// (positions whose argmax along the last axis agrees, positions)
    pub argmax: (usize, usize),
    pub instrs: usize,
}

/// Compiles, runs the reference interpreter and compares with the float model.
pub fn measure(dir: &Path, scale: Option<u32>) -> Accuracy {
    let inputs = read_inputs(dir);
    let lens: Vec<usize> = inputs.iter().map(|i| i.len()).collect();
    let model = load(&dir.join("network.onnx"), Some(&lens)).expect("load");
    let compiled = model.compile(&CompileOptions { scale }).expect("compile");
    let q = quantize_inputs(&compiled.program, &inputs).expect("quantize");
    let trace = atlas_vm::execute(&compiled.program, &compiled.weights, &q).expect("execute");
    let values = trace.outputs(&compiled.program);
    let float = model.run_float(&inputs).expect("float run");
    let out_shapes = model.output_shapes().expect("shapes");
    let (mut max_abs, mut sum, mut count, mut agree, mut positions) = (0f64, 0f64, 0usize, 0, 0);
    for (((o, v), f), shape) in compiled
        .program
        .outputs
        .iter()
        .zip(&values)
        .zip(&float)
        .zip(&out_shapes)
    {
        let info = compiled.program.tensor(*o);
        let deq: Vec<f64> = v
            .iter()
            .map(|&v| atlas_isa::fixed::dequantize(v, info.scale))
            .collect();
        assert_eq!(deq.len(), f.len());
        for (a, b) in deq.iter().zip(f) {
            let e = (a - b).abs();
            max_abs = max_abs.max(e);
            sum += e;
            count += 1;
        }
        let last = *shape.last().unwrap_or(&1);
        for (rq, rf) in deq.chunks(last.max(1)).zip(f.chunks(last.max(1))) {
            positions += 1;
            let am = |r: &[f64]| {
                r.iter()
                    .enumerate()
                    .fold(
                        (0, f64::MIN),
                        |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
                    )
                    .0
            };
            if am(rq) == am(rf) {
                agree += 1;
            }
        }
    }
    Accuracy {
        max_abs,
        mean_abs: sum / count.max(1) as f64,
        argmax: (agree, positions),
        instrs: compiled.program.instrs.len(),
    }
}
