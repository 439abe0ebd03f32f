//! Input and output files in the form EZKL, DeepProve and ZKTorch users already have.
//!
//! ```json
//! {"input_data": [[0.5, -1.25, 3], [7, 8]]}
//! ```
//!
//! One list per model input, in the model's input order, each the input tensor flattened in
//! row-major order. Numbers may be written as integers or decimals; integer inputs (token ids)
//! must hold whole numbers (`51` or `51.0`). Nested lists are flattened in row-major order. Other
//! keys (an `output_data` left over from another tool) are ignored. Outputs are written the same
//! way under `"output_data"`, dequantized to real numbers.

use std::io::Write;
use std::path::{Path, PathBuf};

use atlas_onnx::{InputKind, InputSpec};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AtlasError, Result};

/// Seed of the deterministic sample input ([`InputData::sample`]).
pub const SAMPLE_SEED: u64 = 0xA71A5;
/// Sample integer inputs are drawn from `[0, SAMPLE_INT_BOUND)` (small enough to be a valid
/// token id for any realistic vocabulary).
pub const SAMPLE_INT_BOUND: i64 = 16;

/// Values for every model input: `{"input_data": [[...], ...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputData {
    /// One flattened row-major list per model input.
    pub input_data: Vec<Vec<f64>>,
}

/// Values of every model output: `{"output_data": [[...], ...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputData {
    /// One flattened row-major list per model output.
    pub output_data: Vec<Vec<f64>>,
}

impl InputData {
    /// Reads and parses an input file. Does not check it against a model: see
    /// [`InputData::check`].
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AtlasError::read(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses input JSON held in memory.
    pub fn from_json_str(text: &str) -> Result<Self> {
        Self::parse(text, Path::new("<string>"))
    }

    fn parse(text: &str, path: &Path) -> Result<Self> {
        let json = |source| AtlasError::Json {
            path: path.to_path_buf(),
            source,
        };
        let value: Value = serde_json::from_str(text).map_err(json)?;
        let Some(lists) = value.get("input_data") else {
            return Err(AtlasError::Input(format!(
                "{} has no \"input_data\" field (expected {{\"input_data\": [[...], ...]}})",
                path.display()
            )));
        };
        let Value::Array(lists) = lists else {
            return Err(AtlasError::Input(format!(
                "\"input_data\" in {} is {}, expected a list of lists of numbers",
                path.display(),
                kind_of(lists)
            )));
        };
        let mut input_data = Vec::with_capacity(lists.len());
        for (i, list) in lists.iter().enumerate() {
            let mut values = Vec::new();
            flatten(list, &mut values, &mut format!("input_data[{i}]"), true)?;
            input_data.push(values);
        }
        Ok(Self { input_data })
    }

    /// Lengths of the lists, as the frontend takes them to fix symbolic dimensions.
    pub fn lens(&self) -> Vec<usize> {
        self.input_data.iter().map(Vec::len).collect()
    }

    /// Checks the data against the model's inputs: one list per input, each of the input's
    /// element count, integer inputs holding whole numbers.
    pub fn check(&self, specs: &[InputSpec]) -> Result<()> {
        if self.input_data.len() != specs.len() {
            let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            return Err(AtlasError::Input(format!(
                "the model has {} input{} ({}) but \"input_data\" holds {} list{}",
                specs.len(),
                plural(specs.len()),
                names.join(", "),
                self.input_data.len(),
                plural(self.input_data.len()),
            )));
        }
        for (i, (values, spec)) in self.input_data.iter().zip(specs).enumerate() {
            let expected: usize = spec.shape.iter().product();
            if values.len() != expected {
                return Err(AtlasError::Input(format!(
                    "input {i} (`{}`) has {} values but the model expects {expected} (shape {:?})",
                    spec.name,
                    values.len(),
                    spec.shape
                )));
            }
            if matches!(spec.kind, InputKind::Int) {
                if let Some((j, v)) = values
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.fract() != 0.0 || v.abs() > i64::MAX as f64)
                {
                    return Err(AtlasError::Input(format!(
                        "input {i} (`{}`) is an integer tensor but element {j} is {v}",
                        spec.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// A deterministic sample input for the given inputs: floats uniform in `[-1, 1)` and
    /// integers uniform in `[0, SAMPLE_INT_BOUND)`, from a ChaCha8 generator seeded with
    /// [`SAMPLE_SEED`].
    pub fn sample(specs: &[InputSpec]) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SAMPLE_SEED);
        let input_data = specs
            .iter()
            .map(|spec| {
                let n: usize = spec.shape.iter().product();
                (0..n)
                    .map(|_| match spec.kind {
                        InputKind::Float => rng.gen_range(-1.0..1.0),
                        InputKind::Int => rng.gen_range(0..SAMPLE_INT_BOUND) as f64,
                    })
                    .collect()
            })
            .collect();
        Self { input_data }
    }
}

impl OutputData {
    /// Writes the outputs as JSON, atomically: to a temporary file in the same directory, then
    /// renamed over `path`, so that a failure never leaves a half-written file.
    pub fn write_atomic(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_vec(self)
            .map_err(|e| AtlasError::Internal(format!("cannot encode outputs: {e}")))?;
        write_atomic(path, &text)
    }

    /// Reads an output file (for instance an `expected.json` from a reference evaluator).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AtlasError::read(path, e))?;
        serde_json::from_str(&text).map_err(|source| AtlasError::Json {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // tempfile's errors name the temporary file; the user wants the one they asked for.
    let fail = |e: std::io::Error| {
        let e = e
            .raw_os_error()
            .map_or(e, std::io::Error::from_raw_os_error);
        AtlasError::write(path, e)
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Appends the numbers of `value` (a number or nested lists of numbers) to `out`, naming the
/// offending element in the error.
fn flatten(value: &Value, out: &mut Vec<f64>, at: &mut String, top: bool) -> Result<()> {
    match value {
        Value::Number(n) => {
            if top {
                return Err(AtlasError::Input(format!(
                    "{at} is a number, expected a list of numbers"
                )));
            }
            match n.as_f64() {
                Some(v) if v.is_finite() => out.push(v),
                _ => {
                    return Err(AtlasError::Input(format!(
                        "{at} is {n}, which is not a finite number"
                    )))
                }
            }
        }
        Value::Array(items) => {
            let len = at.len();
            for (k, item) in items.iter().enumerate() {
                at.push_str(&format!("[{k}]"));
                flatten(item, out, at, false)?;
                at.truncate(len);
            }
        }
        other => {
            return Err(AtlasError::Input(format!(
                "{at} is {}, expected {}",
                kind_of(other),
                if top { "a list of numbers" } else { "a number" }
            )))
        }
    }
    Ok(())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, shape: &[usize], kind: InputKind) -> InputSpec {
        InputSpec {
            name: name.into(),
            shape: shape.to_vec(),
            kind,
        }
    }

    fn err(text: &str) -> String {
        InputData::from_json_str(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_ints_floats_and_nested_lists() {
        let d = InputData::from_json_str(
            r#"{"input_data": [[1, 2.5, -3e2], [[1, 2], [3, 4]]], "output_data": [[0]]}"#,
        )
        .unwrap();
        assert_eq!(
            d.input_data,
            vec![vec![1.0, 2.5, -300.0], vec![1.0, 2.0, 3.0, 4.0]]
        );
        assert_eq!(d.lens(), vec![3, 4]);
    }

    #[test]
    fn rejects_bad_json_and_values() {
        assert!(err("{\"input_data\": [[1, 2]").contains("not valid JSON"));
        assert!(err("{\"input_data\": [[1e999]]}").contains("not valid JSON"));
        assert!(err("{\"input_data\": [[1, null]]}").contains("input_data[0][1] is null"));
        assert!(err("{\"input_data\": [[\"NaN\"]]}").contains("input_data[0][0] is a string"));
        assert!(err("{\"input_data\": [1, 2]}").contains("input_data[0] is a number"));
        assert!(err("{\"inputs\": [[1]]}").contains("no \"input_data\""));
        assert!(err("[1]").contains("no \"input_data\""));
    }

    #[test]
    fn checks_against_specs() {
        let specs = [
            spec("x", &[1, 3], InputKind::Float),
            spec("ids", &[2], InputKind::Int),
        ];
        let ok = InputData::from_json_str(r#"{"input_data": [[1, 2, 3], [4, 5.0]]}"#).unwrap();
        ok.check(&specs).unwrap();
        let e = InputData::from_json_str(r#"{"input_data": [[1, 2, 3]]}"#)
            .unwrap()
            .check(&specs)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 inputs") && e.contains("holds 1 list"), "{e}");
        let e = InputData::from_json_str(r#"{"input_data": [[1, 2], [4, 5]]}"#)
            .unwrap()
            .check(&specs)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`x`") && e.contains("2 values") && e.contains("expects 3"));
        let e = InputData::from_json_str(r#"{"input_data": [[1, 2, 3], [4, 5.5]]}"#)
            .unwrap()
            .check(&specs)
            .unwrap_err()
            .to_string();
        assert!(e.contains("integer") && e.contains("5.5"), "{e}");
    }

    #[test]
    fn sample_is_deterministic_and_in_range() {
        let specs = [
            spec("x", &[2, 5], InputKind::Float),
            spec("ids", &[7], InputKind::Int),
        ];
        let a = InputData::sample(&specs);
        assert_eq!(a, InputData::sample(&specs));
        a.check(&specs).unwrap();
        assert!(a.input_data[0].iter().all(|v| (-1.0..1.0).contains(v)));
        assert!(a.input_data[1]
            .iter()
            .all(|&v| v.fract() == 0.0 && (0.0..SAMPLE_INT_BOUND as f64).contains(&v)));
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        let out = OutputData {
            output_data: vec![vec![1.5, -2.0]],
        };
        out.write_atomic(&path).unwrap();
        assert_eq!(OutputData::from_file(&path).unwrap(), out);
        let missing = dir.path().join("no/such/dir/out.json");
        assert!(out.write_atomic(&missing).is_err());
        assert!(!missing.exists());
    }
}
