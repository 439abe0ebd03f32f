//! `atlas setup` / `prove` / `verify` and `atlas run` with proofs, through the binary: round
//! trips, every kind of rejection (exit 5) and bad file (exit 3), atomic writes, custom tables.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

use serde_json::Value;

fn swish_plugin() -> PathBuf {
    guest().join("plugins/swish.json")
}

fn assert_ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
}

const REJECTED: i32 = 5;
const BAD_FILE: i32 = 3;
const NOT_PROVABLE: i32 = 6;

/// Keys, a proof and its outputs for a guest model, in a fresh directory.
struct Proven {
    dir: tempfile::TempDir,
}

impl Proven {
    fn new(name: &str, extra_setup: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"setup", &"-o"];
        let m = model(name);
        args.push(&keys);
        args.push(&m);
        for a in extra_setup {
            args.push(a);
        }
        let o = atlas(&args);
        assert_ok(&o);
        assert!(stdout(&o).contains("verifying key"), "{}", stdout(&o));
        let proof = dir.path().join("proof.bin");
        let o = atlas(&[
            &"prove",
            &"--pk",
            &keys.join("pk"),
            &"--input",
            &input(name),
            &"-o",
            &proof,
        ]);
        assert_ok(&o);
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn vk(&self) -> PathBuf {
        self.path("keys/vk")
    }

    /// `atlas verify` with this directory's files, replacing any of them.
    fn verify(
        &self,
        vk: Option<&Path>,
        input_file: &Path,
        output: Option<&Path>,
        proof: Option<&Path>,
    ) -> Output {
        atlas(&[
            &"verify",
            &"--vk",
            &vk.map_or_else(|| self.vk(), Path::to_path_buf),
            &"--input",
            &input_file,
            &"--output",
            &output.map_or_else(|| self.path("output.json"), Path::to_path_buf),
            &"--proof",
            &proof.map_or_else(|| self.path("proof.bin"), Path::to_path_buf),
        ])
    }
}

/// Sets up, proves and verifies model `name` (with `outputs` output values) through the CLI.
fn round_trip(name: &str, outputs: usize) {
    let p = Proven::new(name, &[]);
    // The outputs went to output.json beside the proof, with their exact integers.
    let out: Value =
        serde_json::from_slice(&std::fs::read(p.path("output.json")).unwrap()).unwrap();
    let (floats, ints) = (
        out["output_data"][0].as_array().unwrap(),
        out["output_quantized"][0].as_array().unwrap(),
    );
    assert_eq!((floats.len(), ints.len()), (outputs, outputs));
    // Each float is exactly its integer over 2^s, for the output's scale s.
    let exact = |s: u32| {
        floats
            .iter()
            .zip(ints)
            .all(|(f, q)| f.as_f64().unwrap() == q.as_i64().unwrap() as f64 / (1u64 << s) as f64)
    };
    assert!((0..=40).any(exact), "{out}");
    let o = p.verify(None, &input(name), None, None);
    assert_ok(&o);
    assert!(stdout(&o).contains("proof verified"), "{}", stdout(&o));
}

#[test]
fn setup_prove_verify_mlp() {
    round_trip("mlp", 10);
}

#[test]
fn setup_prove_verify_cnn() {
    round_trip("cnn", 10);
}

/// Depthwise and grouped convolutions.
#[test]
fn setup_prove_verify_mobile() {
    round_trip("mobile", 10);
}

/// `atlas run` proves and verifies the frontend's test model `name` (inputs generated), within
/// `max_err` of tract's float run.
fn frontend_model_is_proven(name: &str, max_err: f64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../onnx-frontend/tests/models")
        .join(format!("{name}.onnx"));
    let o = atlas(&[&"run", &path, &"--json"]);
    assert_ok(&o);
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["verified"], true, "{name}: {r}");
    assert!(r["max_abs_err"].as_f64().unwrap() < max_err, "{name}: {r}");
}

/// The frontend's operator test models, each proven and verified by `atlas run`:
/// * `resize_interpolated`: linear and cubic `Resize` (a public interpolation matrix per axis);
/// * `conv_transpose`: a convolution of the zero-spread input;
/// * `one_sided_clips`: `Max`/`Min` with one constant, HardSigmoid, HardSwish, whatever the
///   sign of the inputs;
/// * `arg_extremum`: `ArgMax` / `ArgMin`, first and last index, and `TopK`, with ties;
/// * `misc_ops`: comparisons with a constant, `Not`, `Cast`, Log, Sin, Cos, tanh GELU, SiLU,
///   Expand, RMS normalization;
/// * `more_activations`: Elu, Selu, Softplus, Mish, PRelu, LogSoftmax, ReduceL2, Einsum,
///   InstanceNormalization;
/// * `tile_cumsum_sign`: Tile, CumSum (inclusive, exclusive and reversed), Sign, Sum, Mean,
///   DepthToSpace, SpaceToDepth, Floor, Ceil, a Slice with a negative step;
/// * `scatter_nd`: ScatterND with constant indices (elements, a row, a whole buffer);
/// * `qdq_conv`: QuantizeLinear / DequantizeLinear around a Conv (onnxruntime's QDQ format).
#[test]
fn frontend_test_models_are_proven() {
    for (name, max_err) in [
        ("resize_interpolated", 2e-3),
        ("conv_transpose", 5e-3),
        ("one_sided_clips", 1e-3),
        ("arg_extremum", 1e-3),
        ("misc_ops", 5e-3),
        ("more_activations", 1e-3),
        ("tile_cumsum_sign", 1e-3),
        ("scatter_nd", 1e-3),
        ("qdq_conv", 1e-3),
    ] {
        frontend_model_is_proven(name, max_err);
    }
}

/// Nearest-neighbour upsampling (`Resize`) and a skip connection.
#[test]
fn setup_prove_verify_unet() {
    round_trip("unet", 512);
}

#[test]
fn verify_rejects_tampering() {
    let p = Proven::new("mlp", &[]);
    let bytes = std::fs::read(p.path("proof.bin")).unwrap();

    // A flipped byte anywhere past the header: the body no longer decodes, or a check fails.
    for at in [7, 20, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let mut t = bytes.clone();
        t[at] ^= 0x01;
        let path = p.path("tampered.bin");
        std::fs::write(&path, &t).unwrap();
        let o = p.verify(None, &input("mlp"), None, Some(&path));
        assert_error_line(&o, REJECTED, &["proof rejected"]);
    }

    // Another output: one logit moved by one quantization step (floats and integers agree).
    let mut out: Value =
        serde_json::from_slice(&std::fs::read(p.path("output.json")).unwrap()).unwrap();
    let old = out["output_quantized"][0][3].as_i64().unwrap();
    let unit = out["output_data"][0][3].as_f64().unwrap() / old as f64; // 2^-scale
    out["output_quantized"][0][3] = (old + 1).into();
    out["output_data"][0][3] = ((old + 1) as f64 * unit).into();
    let other_out = p.path("other_output.json");
    std::fs::write(&other_out, out.to_string()).unwrap();
    let o = p.verify(None, &input("mlp"), Some(&other_out), None);
    assert_error_line(&o, REJECTED, &["proof rejected"]);
    assert!(!stderr(&o).contains("does not state"), "{}", stderr(&o));

    // The float edited but not its integer: the file claims what the proof does not prove.
    let mut out: Value =
        serde_json::from_slice(&std::fs::read(p.path("output.json")).unwrap()).unwrap();
    out["output_data"][0][0] = 42.0.into();
    std::fs::write(&other_out, out.to_string()).unwrap();
    let o = p.verify(None, &input("mlp"), Some(&other_out), None);
    assert_error_line(&o, REJECTED, &["output_data[0][0] is 42"]);

    // Another input of the right shape.
    let mut inp: Value = serde_json::from_slice(&std::fs::read(input("mlp")).unwrap()).unwrap();
    let v = inp["input_data"][0][5].as_f64().unwrap();
    inp["input_data"][0][5] = (v + 0.25).into();
    let other_in = p.path("other_input.json");
    std::fs::write(&other_in, inp.to_string()).unwrap();
    let o = p.verify(None, &other_in, None, None);
    assert_error_line(&o, REJECTED, &["proof rejected"]);
}

#[test]
fn verify_rejects_another_models_key() {
    let p = Proven::new("mlp", &[]);
    // The same network at another scale: another program, same shapes.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("k10");
    assert_ok(&atlas(&[
        &"setup",
        &model("mlp"),
        &"-o",
        &keys,
        &"--scale",
        &"10",
    ]));
    let o = p.verify(Some(&keys.join("vk")), &input("mlp"), None, None);
    assert_error_line(&o, REJECTED, &["proof rejected"]);
    // Another network: the input does not even fit it.
    let keys = dir.path().join("cnn");
    assert_ok(&atlas(&[&"setup", &model("cnn"), &"-o", &keys]));
    let o = p.verify(Some(&keys.join("vk")), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["input"]);
}

#[test]
fn wrong_kinds_and_missing_files() {
    let p = Proven::new("mlp", &[]);
    // A proving key given as the verifying key, a proof as a key, a key as the proof.
    let o = p.verify(Some(&p.path("keys/pk")), &input("mlp"), None, None);
    assert_error_line(
        &o,
        BAD_FILE,
        &["keys/pk", "proving key, expected a verifying key"],
    );
    let o = p.verify(Some(&p.path("proof.bin")), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["a proof, expected a verifying key"]);
    let o = p.verify(None, &input("mlp"), None, Some(&p.vk()));
    assert_error_line(&o, BAD_FILE, &["a verifying key, expected a proof"]);
    let o = atlas(&[
        &"prove",
        &"--pk",
        &p.vk(),
        &"--input",
        &input("mlp"),
        &"-o",
        &p.path("x.bin"),
    ]);
    assert_error_line(&o, BAD_FILE, &["verifying key, expected a proving key"]);
    // Not an Atlas file; another format version; a truncated key.
    let o = p.verify(Some(&input("mlp")), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["not an Atlas file"]);
    let mut vk = std::fs::read(p.vk()).unwrap();
    vk[5] = 99;
    let v99 = p.path("vk99");
    std::fs::write(&v99, &vk).unwrap();
    let o = p.verify(Some(&v99), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["format version 99"]);
    let vk = std::fs::read(p.vk()).unwrap();
    let cut = p.path("vk_cut");
    std::fs::write(&cut, &vk[..vk.len() / 2]).unwrap();
    let o = p.verify(Some(&cut), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["corrupt verifying key"]);
    // Missing files.
    let none = p.path("no/such/file");
    let o = p.verify(Some(&none), &input("mlp"), None, None);
    assert_error_line(&o, BAD_FILE, &["cannot read", "no/such/file"]);
    let o = p.verify(None, &input("mlp"), Some(&none), None);
    assert_error_line(&o, BAD_FILE, &["cannot read"]);
    let o = p.verify(None, &input("mlp"), None, Some(&none));
    assert_error_line(&o, BAD_FILE, &["cannot read"]);
    let o = atlas(&[
        &"prove",
        &"--pk",
        &none,
        &"--input",
        &input("mlp"),
        &"-o",
        &p.path("x.bin"),
    ]);
    assert_error_line(&o, BAD_FILE, &["cannot read"]);
    assert!(!p.path("x.bin").exists());
}

#[test]
fn nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Keys into a directory whose parent does not exist.
    let o = atlas(&[&"setup", &model("mlp"), &"-o", &d.join("a/b/keys")]);
    assert_error_line(&o, BAD_FILE, &["a/b/keys"]);
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 0);
    // A model that does not compile: no directory either.
    let o = atlas(&[&"setup", &model("unsupported"), &"-o", &d.join("keys")]);
    assert_error_line(&o, 4, &["Atan"]);
    assert_eq!(std::fs::read_dir(d).unwrap().count(), 0);

    let keys = d.join("keys");
    assert_ok(&atlas(&[&"setup", &model("mlp"), &"-o", &keys]));
    let pk = keys.join("pk");
    // A failing prove (an input of the wrong length) writes neither file.
    let bad = d.join("bad.json");
    std::fs::write(&bad, "{\"input_data\": [[1, 2, 3]]}").unwrap();
    let proof = d.join("proof.bin");
    let o = atlas(&[&"prove", &"--pk", &pk, &"--input", &bad, &"-o", &proof]);
    assert_error_line(&o, BAD_FILE, &["3"]);
    assert!(!proof.exists() && !d.join("output.json").exists());
    // A proof into a missing directory: no outputs file left behind either.
    let out = d.join("out.json");
    let o = atlas(&[
        &"prove",
        &"--pk",
        &pk,
        &"--input",
        &input("mlp"),
        &"-o",
        &d.join("missing/proof.bin"),
        &"--output",
        &out,
    ]);
    assert_error_line(&o, BAD_FILE, &["cannot write", "missing/proof.bin"]);
    assert!(!out.exists());
    let names: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}"); // keys/ and bad.json
}

/// `atlas run --json` proves and verifies by default.
fn run_json(name: &str) -> Value {
    let o = atlas(&[&"run", &model(name), &"--input", &input(name), &"--json"]);
    assert_ok(&o);
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn check_proven(r: &Value) {
    assert_eq!(r["verified"], Value::Bool(true), "{r}");
    assert!(r["proof_bytes"].as_u64().unwrap() > 1000, "{r}");
    for key in ["setup_s", "prove_s", "verify_s", "peak_rss_mb"] {
        assert!(r[key].as_f64().unwrap() > 0.0, "{key}: {r}");
    }
    assert!(r["not_proven"].is_null(), "{r}");
    let stages: Vec<&str> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for s in ["load", "compile", "execute", "setup", "prove", "verify"] {
        assert!(stages.contains(&s), "{stages:?}");
    }
}

#[test]
fn run_proves_mlp() {
    check_proven(&run_json("mlp"));
}

#[test]
fn run_proves_cnn() {
    check_proven(&run_json("cnn"));
}

#[test]
fn run_human_output_and_no_prove() {
    let o = atlas(&[&"run", &model("mlp"), &"--input", &input("mlp")]);
    assert_ok(&o);
    let out = stdout(&o);
    for needle in [
        "setup",
        "prove",
        "verify",
        "proof ",
        "bytes",
        "verified      yes",
    ] {
        assert!(out.contains(needle), "{needle:?} not in {out}");
    }
    let o = atlas(&[&"run", &model("mlp"), &"--no-prove", &"--json"]);
    assert_ok(&o);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["verified"], Value::Bool(false));
    assert!(r["proof_bytes"].is_null() && r["prove_s"].is_null(), "{r}");
    assert_eq!(r["not_proven"], "--no-prove");
}

#[test]
fn custom_tables_run_and_prove() {
    let plugin = swish_plugin();
    let m = model("custom_swish");
    // Without the plug-in the custom operator is unknown.
    let o = atlas(&[&"run", &m, &"--json"]);
    assert_error_line(&o, 4, &["atlas.custom::Swish"]);
    // With it, inspect knows the operator.
    let o = atlas(&[&"inspect", &m, &"--tables", &plugin, &"--json"]);
    assert_ok(&o);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["unsupported"], 0, "{r}");
    // run executes with the user's table, reports accuracy, and proves and verifies.
    let o = atlas(&[
        &"run",
        &m,
        &"--input",
        &input("custom_swish"),
        &"--tables",
        &plugin,
        &"--json",
    ]);
    assert_ok(&o);
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["argmax_match"], Value::Bool(true), "{r}");
    assert!(r["max_abs_err"].as_f64().unwrap() < 2e-3, "{r}");
    assert_eq!(r["verified"], Value::Bool(true), "{r}");
    assert!(r["proof_bytes"].as_u64().unwrap() > 0, "{r}");
    assert!(r["not_proven"].is_null(), "{r}");
    // --no-prove still works.
    let o = atlas(&[&"run", &m, &"--tables", &plugin, &"--no-prove"]);
    assert_ok(&o);
    assert!(stdout(&o).contains("max |err|"), "{}", stdout(&o));

    // setup takes the plug-in; the keys carry the table's values, so prove and verify take none.
    let plugin_arg = plugin.to_str().unwrap();
    let p = Proven::new("custom_swish", &["--tables", plugin_arg]);
    let o = p.verify(None, &input("custom_swish"), None, None);
    assert_ok(&o);
    assert!(stdout(&o).contains("proof verified"), "{}", stdout(&o));

    // A verifying key set up with another swish (one breakpoint moved by 2^-12) rejects it.
    let dir = tempfile::tempdir().unwrap();
    let mut json: Value = serde_json::from_slice(&std::fs::read(&plugin).unwrap()).unwrap();
    let points = json["tables"][0]["piecewise_linear"]
        .as_array_mut()
        .unwrap();
    let mid = points.len() / 2;
    let y = points[mid][1].as_f64().unwrap();
    points[mid][1] = Value::from(y + 1.0 / 4096.0);
    let other = dir.path().join("other.json");
    std::fs::write(&other, serde_json::to_vec(&json).unwrap()).unwrap();
    let keys = dir.path().join("keys");
    let o = atlas(&[&"setup", &m, &"--tables", &other, &"-o", &keys]);
    assert_ok(&o);
    let o = p.verify(Some(&keys.join("vk")), &input("custom_swish"), None, None);
    assert_error_line(&o, REJECTED, &["proof rejected"]);

    // A custom table too large for the program to carry (2^21 + 1 entries at input scale 17)
    // runs through the plug-in but is not provable: run reports accuracy then exits 6, setup
    // names the table and the limit and writes nothing.
    let mut json: Value = serde_json::from_slice(&std::fs::read(&plugin).unwrap()).unwrap();
    json["tables"][0]["in_scale"] = Value::from(17);
    let big = dir.path().join("big.json");
    std::fs::write(&big, serde_json::to_vec(&json).unwrap()).unwrap();
    let o = atlas(&[&"run", &m, &"--tables", &big, &"--json"]);
    assert_error_line(
        &o,
        NOT_PROVABLE,
        &["cannot prove", "Lookup", "\"swish\"", "1048576"],
    );
    let r: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["verified"], Value::Bool(false));
    assert_eq!(r["argmax_match"], Value::Bool(true), "{r}");
    let none = dir.path().join("none");
    let o = atlas(&[&"setup", &m, &"--tables", &big, &"-o", &none]);
    assert_error_line(&o, NOT_PROVABLE, &["cannot prove", "\"swish\"", "1048576"]);
    assert!(!none.exists());

    // A broken plug-in is a bad file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"tables\": [{\"name\": \"swish\"}]}").unwrap();
    let o = atlas(&[&"run", &m, &"--tables", &bad]);
    assert_error_line(&o, BAD_FILE, &["table plug-in"]);
    let o = atlas(&[&"inspect", &m, &"--tables", &dir.path().join("none.json")]);
    assert_error_line(&o, BAD_FILE, &["none.json"]);
}

#[test]
fn chrome_trace_has_prover_spans() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let o = atlas(&[&"--trace", &trace, &"run", &model("mlp"), &"--json"]);
    assert_ok(&o);
    let text = std::fs::read_to_string(&trace).unwrap();
    let _: Value = serde_json::from_str(&text).unwrap();
    for span in ["atlas_vm::setup", "atlas_vm::prove", "atlas_vm::verify"] {
        assert!(text.contains(span), "{span} not in the trace");
    }
}
