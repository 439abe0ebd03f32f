//! The `atlas` binary end to end: every example model, every kind of bad input, exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

use serde_json::Value;

/// Asserts the exit code, a one-line error on stderr that contains every `needle`, and an empty
/// stdout.
fn assert_fails(o: &Output, code: i32, needles: &[&str]) {
    assert_error_line(o, code, needles);
    assert!(stdout(o).is_empty(), "stdout: {}", stdout(o));
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

/// `atlas run --no-prove --json` on a model's own input (accuracy only: proofs are tested in
/// `prove_cli.rs`); returns the report.
fn run_json(name: &str) -> Value {
    let o = atlas(&[
        &"run",
        &model(name),
        &"--input",
        &input(name),
        &"--no-prove",
        &"--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.trim().lines().count(), 1, "one JSON line: {out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{name}: {e}: {out}"))
}

/// Accuracy bounds established on the example models at the default scale (measured errors
/// are well below; see README "Accuracy").
fn check_model(name: &str, max_err: f64) {
    let r = run_json(name);
    for key in [
        "model",
        "input",
        "params",
        "instructions",
        "lookups",
        "scale",
        "max_abs_err",
        "mean_abs_err",
        "argmax_match",
        "load_s",
        "compile_s",
        "execute_s",
        "float_s",
        "peak_rss_mb",
        "stages",
    ] {
        assert!(r.get(key).is_some(), "{name}: no {key} in {r}");
    }
    assert!(r["params"].as_u64().unwrap() > 0, "{r}");
    assert!(r["instructions"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(r["argmax_match"], Value::Bool(true), "{name}: {r}");
    let max = r["max_abs_err"].as_f64().unwrap();
    let mean = r["mean_abs_err"].as_f64().unwrap();
    assert!(max <= max_err, "{name}: max_abs_err {max} > {max_err}");
    assert!(mean <= max, "{name}: {r}");
    for stage in ["load_s", "compile_s", "execute_s"] {
        assert!(r[stage].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn run_mlp() {
    check_model("mlp", 0.005);
}

#[test]
fn run_cnn() {
    check_model("cnn", 0.005);
}

#[test]
fn run_mobile() {
    check_model("mobile", 0.005);
}

#[test]
fn run_unet() {
    check_model("unet", 0.005);
}

#[test]
fn run_attention() {
    check_model("attention", 0.01);
}

#[test]
fn run_tiny_gpt() {
    check_model("tiny_gpt", 0.02);
}

#[test]
fn run_ops_zoo() {
    check_model("ops_zoo", 0.01);
}

#[test]
fn run_human_output_and_sample_input() {
    let o = atlas(&[&"run", &model("mlp")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "stage",
        "load",
        "compile",
        "execute",
        "max |err|",
        "argmax",
        "sample",
    ] {
        assert!(out.contains(needle), "{needle:?} not in {out}");
    }
    // Token ids for an integer input.
    let o = atlas(&[&"run", &model("tiny_gpt"), &"--no-prove", &"--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("sample input"), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["input"], "sample");
}

#[test]
fn output_file_holds_dequantized_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let o = atlas(&[
        &"run",
        &model("cnn"),
        &"--input",
        &input("cnn"),
        &"--output",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let want: Value =
        serde_json::from_slice(&std::fs::read(models().join("cnn/expected.json")).unwrap())
            .unwrap();
    let (got, want) = (
        got["output_data"][0].as_array().unwrap(),
        want["output_data"][0].as_array().unwrap(),
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g.as_f64().unwrap() - w.as_f64().unwrap()).abs() < 0.005);
    }
}

#[test]
fn output_to_unwritable_place_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing-dir/out.json");
    let o = atlas(&[&"run", &model("mlp"), &"--output", &out]);
    assert_fails(&o, 3, &["cannot write", "missing-dir"]);
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn unsupported_operator_names_node_and_op() {
    let o = atlas(&[
        &"run",
        &model("unsupported"),
        &"--input",
        &input("unsupported"),
    ]);
    assert_fails(&o, 4, &["my_atan", "Atan"]);
    let o = atlas(&[&"run", &model("unsupported"), &"--json"]);
    assert_fails(&o, 4, &["my_atan", "Atan"]);
}

#[test]
fn inspect_lists_nodes() {
    let o = atlas(&[&"inspect", &model("unsupported")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("my_atan") && out.contains("Atan"), "{out}");
    assert!(out.contains("1 unsupported"), "{out}");

    let o = atlas(&[&"inspect", &model("tiny_gpt"), &"--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["unsupported"], 0, "{r}");
    let nodes = r["node_reports"].as_array().unwrap();
    assert!(nodes.len() > 10);
    assert!(nodes.iter().any(|n| n["op"] == "Softmax"), "{r}");
}

#[test]
fn missing_files() {
    let o = atlas(&[&"run", &"no/such/model.onnx"]);
    assert_fails(&o, 3, &["no/such/model.onnx"]);
    let o = atlas(&[&"run", &model("mlp"), &"--input", &"no/such/input.json"]);
    assert_fails(&o, 3, &["no/such/input.json"]);
    let o = atlas(&[&"inspect", &"no/such/model.onnx"]);
    assert_fails(&o, 3, &["no/such/model.onnx"]);
}

#[test]
fn not_an_onnx_file() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(model("mlp")).unwrap();
    let truncated = write(dir.path(), "truncated.onnx", &bytes[..bytes.len() / 2]);
    assert_fails(&atlas(&[&"run", &truncated]), 3, &["truncated.onnx"]);
    let text = write(dir.path(), "text.onnx", "this is not a model\n");
    assert_fails(&atlas(&[&"run", &text]), 3, &["text.onnx"]);
    let empty = write(dir.path(), "empty.onnx", "");
    assert_fails(&atlas(&[&"inspect", &empty]), 3, &["empty.onnx"]);
    // Five flipped bytes (found by mutation fuzzing) that make tract's ONNX import panic on a
    // reduction axis: still a bad model (exit 3), not a crash.
    let mut bytes = std::fs::read(model("tiny_gpt")).unwrap();
    for (at, byte) in [
        (13689, 155),
        (15547, 106),
        (26340, 47),
        (39648, 141),
        (45249, 82),
    ] {
        bytes[at] = byte;
    }
    let corrupt = write(dir.path(), "corrupt.onnx", bytes);
    assert_fails(&atlas(&[&"run", &corrupt]), 3, &["corrupt.onnx"]);
}

#[test]
fn bad_input_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mlp = model("mlp");
    let ones = |n: usize| vec!["0.5"; n].join(",");
    let n = serde_json::from_slice::<Value>(&std::fs::read(input("mlp")).unwrap()).unwrap()
        ["input_data"][0]
        .as_array()
        .unwrap()
        .len();
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "malformed.json",
            "{\"input_data\": [[1, 2".into(),
            vec!["not valid JSON".into()],
        ),
        (
            "count.json",
            format!("{{\"input_data\": [[{}], [{}]]}}", ones(n), ones(n)),
            vec!["count.json".into(), "1 input".into(), "2".into()],
        ),
        (
            "length.json",
            format!("{{\"input_data\": [[{}]]}}", ones(n - 1)),
            vec!["length.json".into(), format!("{} values", n - 1)],
        ),
        (
            "null.json",
            format!("{{\"input_data\": [[{}, null]]}}", ones(n - 1)),
            vec![format!("input_data[0][{}] is null", n - 1)],
        ),
        (
            "overflow.json",
            format!("{{\"input_data\": [[1e999, {}]]}}", ones(n - 1)),
            vec!["not valid JSON".into(), "out of range".into()],
        ),
        (
            "string.json",
            format!("{{\"input_data\": [[\"NaN\", {}]]}}", ones(n - 1)),
            vec!["input_data[0][0] is a string".into()],
        ),
        (
            "huge.json",
            format!("{{\"input_data\": [[1e300, {}]]}}", ones(n - 1)),
            vec!["element 0 is 1e300".into(), "scale 12".into()],
        ),
        (
            "field.json",
            format!("{{\"inputs\": [[{}]]}}", ones(n)),
            vec!["input_data".into()],
        ),
    ];
    for (file, text, needles) in cases {
        let path = write(d, file, text);
        let o = atlas(&[&"run", &mlp, &"--input", &path, &"--json"]);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert_fails(&o, 3, &needles);
    }
}

#[test]
fn bad_token_ids() {
    let dir = tempfile::tempdir().unwrap();
    let gpt = model("tiny_gpt");
    let ids = |last: &str| {
        let mut v = vec!["1".to_string(); 15];
        v.push(last.into());
        format!("{{\"input_data\": [[{}]]}}", v.join(","))
    };
    let frac = write(dir.path(), "frac.json", ids("2.5"));
    assert_fails(
        &atlas(&[&"run", &gpt, &"--input", &frac]),
        3,
        &["integer", "2.5"],
    );
    let oov = write(dir.path(), "oov.json", ids("32"));
    assert_fails(&atlas(&[&"run", &gpt, &"--input", &oov]), 3, &["32"]);
}

#[test]
fn usage_errors_exit_2() {
    let o = atlas(&[&"run", &model("mlp"), &"--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    let o = atlas(&[&"run", &model("mlp"), &"--scale", &"many"]);
    assert_eq!(o.status.code(), Some(2));
    let o = atlas(&[&"run"]);
    assert_eq!(o.status.code(), Some(2));
    let o = atlas(&[&"frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = atlas(&[&"--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Exit codes"));
}

#[test]
fn scale_option_changes_the_program() {
    let run = |scale: &str| -> Value {
        let o = atlas(&[
            &"run",
            &model("mlp"),
            &"--input",
            &input("mlp"),
            &"--scale",
            &scale,
            &"--no-prove",
            &"--json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        serde_json::from_str(&stdout(&o)).unwrap()
    };
    let coarse = run("4");
    let fine = run("12");
    assert_eq!(coarse["scale"], 4);
    assert_eq!(fine["scale"], 12);
    assert!(
        fine["max_abs_err"].as_f64().unwrap() < coarse["max_abs_err"].as_f64().unwrap(),
        "{coarse} {fine}"
    );
}

#[test]
fn chrome_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let o = atlas(&[&"--trace", &trace, &"run", &model("mlp"), &"--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events: Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let text = events.to_string();
    assert!(
        text.contains("compile") && text.contains("execute"),
        "{text}"
    );
}
