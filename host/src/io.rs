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
//!
//! Outputs of the quantized program also carry the exact integers under `"output_quantized"`
//! (each output at its fixed-point scale `s`, `output_data = output_quantized / 2^s`):
//!
//! ```json
//! {"output_data": [[0.25, -1.5]], "output_quantized": [[1024, -6144]]}
//! ```
//!
//! A verifier checks the integers; the floats are what users read. The two cannot disagree
//! silently: `q / 2^s` is exact in `f64` and JSON numbers are written with enough digits to read
//! back bit for bit, so [`OutputData::quantized_for`] requires every float to be exactly its
//! integer divided by `2^s` (and derives the integers from the floats when a file has only
//! `"output_data"`).

use std::io::Write;
use std::path::{Path, PathBuf};

use atlas_isa::Program;
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

/// Values of every model output: `{"output_data": [[...], ...], "output_quantized": [[...], ...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputData {
    /// One flattened row-major list per model output, in real units.
    pub output_data: Vec<Vec<f64>>,
    /// The same outputs as the program's fixed-point integers (absent for float references).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_quantized: Option<Vec<Vec<i64>>>,
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
    /// The outputs of a quantized execution: the integers and their real values.
    pub fn from_quantized(program: &Program, quantized: &[Vec<i64>]) -> Self {
        let output_data = quantized
            .iter()
            .zip(&program.outputs)
            .map(|(values, &id)| {
                let scale = program.tensor(id).scale;
                values
                    .iter()
                    .map(|&q| atlas_isa::fixed::dequantize(q, scale))
                    .collect()
            })
            .collect();
        Self {
            output_data,
            output_quantized: Some(quantized.to_vec()),
        }
    }

    /// The fixed-point integers these outputs claim for `program`: `"output_quantized"` when
    /// present, else the floats times `2^s`. Errors (as [`AtlasError::Input`]) on a wrong
    /// number of outputs or elements; errors (as [`AtlasError::Rejected`]) when a float is not
    /// exactly its integer divided by `2^s` — such a file claims a value the program cannot
    /// output.
    pub fn quantized_for(&self, program: &Program) -> Result<Vec<Vec<i64>>> {
        let outputs = &program.outputs;
        let count = |what: &str, n: usize| {
            if n == outputs.len() {
                Ok(())
            } else {
                Err(AtlasError::Input(format!(
                    "\"{what}\" holds {n} list{} but the model has {} output{}",
                    plural(n),
                    outputs.len(),
                    plural(outputs.len())
                )))
            }
        };
        count("output_data", self.output_data.len())?;
        if let Some(q) = &self.output_quantized {
            count("output_quantized", q.len())?;
        }
        let mut result = Vec::with_capacity(outputs.len());
        for (k, (values, &id)) in self.output_data.iter().zip(outputs).enumerate() {
            let info = program.tensor(id);
            let claimed = self.output_quantized.as_ref().map(|q| &q[k]);
            for (what, n) in [
                ("output_data", Some(values.len())),
                ("output_quantized", claimed.map(Vec::len)),
            ] {
                if let Some(n) = n.filter(|&n| n != info.len()) {
                    return Err(AtlasError::Input(format!(
                        "{what}[{k}] has {n} values but output {k} (`{}`) has {} (shape {:?})",
                        info.name,
                        info.len(),
                        info.shape
                    )));
                }
            }
            let unit = (1u64 << info.scale) as f64;
            let mut ints = Vec::with_capacity(values.len());
            for (j, &v) in values.iter().enumerate() {
                let q = match claimed {
                    Some(c) => c[j],
                    None => (v * unit).round() as i64,
                };
                if atlas_isa::fixed::dequantize(q, info.scale) != v {
                    return Err(AtlasError::Rejected(format!(
                        "output_data[{k}][{j}] is {v}, which is not {q} / 2^{} (the output \
                         file does not state a value of the quantized program)",
                        info.scale
                    )));
                }
                ints.push(q);
            }
            result.push(ints);
        }
        Ok(result)
    }

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

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename. The
/// file is readable by everyone (mode 0644 on Unix), like any output file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] for a file only its owner may read (mode 0600 on Unix): the proving key,
/// which holds the model's private weights.
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(fail)?;
    }
    #[cfg(not(unix))]
    let _ = mode;
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
    fn outputs_round_trip_through_json_exactly() {
        use atlas_isa::{Role, TensorId, TensorInfo};
        let t = |shape: &[usize], scale, role| TensorInfo {
            name: "y".into(),
            shape: shape.to_vec(),
            scale,
            role,
        };
        let program = Program {
            tensors: vec![t(&[4], 12, Role::Input), t(&[4], 12, Role::Output)],
            instrs: vec![],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(1)],
            constants: vec![],
            custom_tables: Default::default(),
        };
        let q = vec![vec![1, -4097, 123_456_789, -(1 << 40) - 3]];
        let out = OutputData::from_quantized(&program, &q);
        let text = serde_json::to_string(&out).unwrap();
        let back: OutputData = serde_json::from_str(&text).unwrap();
        assert_eq!(back.quantized_for(&program).unwrap(), q);
        // Without the integers, the floats alone give them back exactly.
        let floats = OutputData {
            output_data: back.output_data.clone(),
            output_quantized: None,
        };
        assert_eq!(floats.quantized_for(&program).unwrap(), q);
        // A float that disagrees with its integer, or is no multiple of 2^-12, is refused.
        let mut edited = back.clone();
        edited.output_data[0][0] += 1.0;
        assert!(matches!(
            edited.quantized_for(&program),
            Err(AtlasError::Rejected(_))
        ));
        let mut off = floats;
        off.output_data[0][1] = 0.1;
        assert!(matches!(
            off.quantized_for(&program),
            Err(AtlasError::Rejected(_))
        ));
        let mut short = back;
        short.output_data[0].pop();
        assert!(matches!(
            short.quantized_for(&program),
            Err(AtlasError::Input(_))
        ));
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "old").unwrap();
        let out = OutputData {
            output_data: vec![vec![1.5, -2.0]],
            output_quantized: None,
        };
        out.write_atomic(&path).unwrap();
        assert_eq!(OutputData::from_file(&path).unwrap(), out);
        let missing = dir.path().join("no/such/dir/out.json");
        assert!(out.write_atomic(&missing).is_err());
        assert!(!missing.exists());
    }
}
