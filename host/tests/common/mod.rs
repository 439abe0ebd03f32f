//! Helpers shared by the command-line tests: paths of the example models and running the binary.

// Each test binary uses only some of the helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `atlas` binary built for these tests.
pub const ATLAS: &str = env!("CARGO_BIN_EXE_atlas");

/// `guest-examples/`.
pub fn guest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-examples")
}

/// `guest-examples/models/`.
pub fn models() -> PathBuf {
    guest().join("models")
}

/// An example model's ONNX file.
pub fn model(name: &str) -> PathBuf {
    models().join(name).join("network.onnx")
}

/// An example model's input file.
pub fn input(name: &str) -> PathBuf {
    models().join(name).join("input.json")
}

/// Runs `atlas` with `args` (no `RUST_LOG`, so stderr holds only what the tool says).
pub fn atlas(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(ATLAS)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the atlas binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, no panic, and an `error:` line on stderr containing every needle.
pub fn assert_error_line(o: &Output, code: i32, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in stderr: {err}"));
    for n in needles {
        assert!(line.contains(n), "{n:?} not in {line:?}");
    }
    assert!(!err.contains("panicked at"), "{err}");
}
