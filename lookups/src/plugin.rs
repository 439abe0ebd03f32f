//! Declarative table plug-ins: user-defined tables from a JSON file, without Rust code.
//!
//! ```json
//! {"tables": [{
//!   "name": "credit_curve",
//!   "domain": "atlas.custom", "op_type": "CreditCurve",
//!   "in_scale": 12, "out_scale": 12,
//!   "range": [-8.0, 8.0],
//!   "piecewise_linear": [[-8.0, 0.0], [0.0, 0.25], [8.0, 1.0]]
//! }]}
//! ```
//!
//! Each entry registers one table under `name` (see [`TableRegistry::load_json`]):
//!
//! - **scales** `in_scale`, `out_scale` (fractional bits, at most [`MAX_PLUGIN_SCALE`]);
//! - **input domain**: `range` in real units, quantized outward to
//!   `[⌊lo · 2^in_scale⌋, ⌈hi · 2^in_scale⌉]`, or `range_q`, the quantized bounds themselves;
//!   at most [`MAX_PLUGIN_DOMAIN`] entries;
//! - **function**, exactly one of
//!   - `piecewise_linear`: real breakpoints `[x, y]`, strictly increasing in `x`, at least one.
//!     They are quantized once (`X = round(x · 2^in_scale)`, `Y = round(y · 2^out_scale)`, ties
//!     away from zero; two breakpoints may not quantize to the same `X`), and the table is then
//!     pure integer arithmetic: `Y_i + round((Y_{i+1} − Y_i)(q − X_i) / (X_{i+1} − X_i))` with
//!     ties rounded up ([`atlas_isa::fixed::round_div`]) between breakpoints, `Y_0` below the
//!     first and `Y_n` above the last. So the table is bit-identical on every platform;
//!   - `values`: the quantized outputs (at `out_scale`) for every input of the domain, in
//!     order — the table given explicitly.
//! - **ONNX binding** (optional, both or neither): `domain` and `op_type` of the ONNX custom
//!   operator the table implements; each such entry yields a [`CustomOpDecl`].
//!
//! The registry's integer semantics are authoritative: the float function a
//! [`CustomOpDecl`] carries (the real piecewise-linear curve) only serves as the accuracy
//! reference.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atlas_isa::fixed::round_div;
use serde::Deserialize;

use crate::registry::{RegistryError, TableRegistry, TableSpec, UserTable};

/// Largest input domain of a plug-in table (entries).
pub const MAX_PLUGIN_DOMAIN: u64 = 1 << 24;

/// Largest scale of a plug-in table (fractional bits).
pub const MAX_PLUGIN_SCALE: u32 = 24;

/// Errors of plug-in files.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The file could not be read.
    #[error("cannot read table plug-in {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON of the plug-in format (syntax, unknown or missing field, wrong type).
    #[error("table plug-in: {0}")]
    Json(String),
    /// An entry that does not define a table.
    #[error("table plug-in, table {table:?}: {reason}")]
    Invalid {
        /// The entry's `name` (or its position when the name is empty).
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// The registry refused the table (a name already registered).
    #[error("table plug-in: {0}")]
    Registry(#[from] RegistryError),
}

/// An ONNX custom operator bound to a registered table: what the frontend needs to lower the
/// operator (`atlas_onnx::CustomOp` is built from it).
#[derive(Clone)]
pub struct CustomOpDecl {
    /// ONNX domain of the operator.
    pub domain: String,
    /// ONNX operator name.
    pub op_type: String,
    /// Name of the table in the registry.
    pub table: String,
    /// The table's scales and domain.
    pub spec: TableSpec,
    /// The registered table (its integer semantics).
    pub user: Arc<dyn UserTable>,
    /// The real function the table approximates, when the plug-in defines one (the float
    /// reference); `None` means "use the dequantized table".
    pub float: Option<Arc<dyn Fn(f64) -> f64 + Send + Sync>>,
}

impl CustomOpDecl {
    /// Binds the ONNX operator `domain::op_type` to the table `table` of `registry`.
    pub fn for_table(
        registry: &TableRegistry,
        table: &str,
        domain: impl Into<String>,
        op_type: impl Into<String>,
    ) -> Result<Self, RegistryError> {
        Ok(Self {
            domain: domain.into(),
            op_type: op_type.into(),
            table: table.to_string(),
            spec: registry.spec(table)?,
            user: registry.get(table)?.clone(),
            float: None,
        })
    }

    /// Uses `f` as the float reference.
    pub fn with_float(mut self, f: impl Fn(f64) -> f64 + Send + Sync + 'static) -> Self {
        self.float = Some(Arc::new(f));
        self
    }

    /// The table's output for `x`, clamped to its domain first (as the registry evaluates).
    pub fn eval(&self, x: i64) -> i64 {
        let (lo, hi) = self.spec.domain;
        self.user.eval(x.clamp(lo, hi))
    }
}

impl fmt::Debug for CustomOpDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomOpDecl")
            .field("domain", &self.domain)
            .field("op_type", &self.op_type)
            .field("table", &self.table)
            .field("spec", &self.spec)
            .field("float", &self.float.is_some())
            .finish_non_exhaustive()
    }
}

/// A plug-in file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginFile {
    tables: Vec<TableEntry>,
}

/// One entry of a plug-in file (see the module documentation).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableEntry {
    name: String,
    domain: Option<String>,
    op_type: Option<String>,
    in_scale: u32,
    out_scale: u32,
    range: Option<[f64; 2]>,
    range_q: Option<[i64; 2]>,
    piecewise_linear: Option<Vec<[f64; 2]>>,
    values: Option<Vec<i64>>,
}

/// A piecewise-linear table on quantized breakpoints (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PiecewiseLinearTable {
    spec: TableSpec,
    /// Quantized breakpoints `(X_i, Y_i)`, strictly increasing in `X`.
    points: Vec<(i64, i64)>,
}

impl PiecewiseLinearTable {
    /// The table through the quantized breakpoints `points` (strictly increasing `X`, at least
    /// one), clamped outside them.
    pub fn new(spec: TableSpec, points: Vec<(i64, i64)>) -> Result<Self, String> {
        if points.is_empty() {
            return Err("piecewise_linear needs at least one breakpoint".into());
        }
        if let Some(w) = points.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(format!(
                "breakpoints must be strictly increasing in x after quantization \
                 (quantized x {} then {})",
                w[0].0, w[1].0
            ));
        }
        Ok(Self { spec, points })
    }
}

impl UserTable for PiecewiseLinearTable {
    fn in_scale(&self) -> u32 {
        self.spec.in_scale
    }
    fn out_scale(&self) -> u32 {
        self.spec.out_scale
    }
    fn domain(&self) -> (i64, i64) {
        self.spec.domain
    }
    fn eval(&self, q: i64) -> i64 {
        let p = &self.points;
        // First breakpoint strictly right of q; q lies in [p[i-1], p[i]).
        let i = p.partition_point(|&(x, _)| x <= q);
        if i == 0 {
            return p[0].1;
        }
        if i == p.len() {
            return p[i - 1].1;
        }
        let ((x0, y0), (x1, y1)) = (p[i - 1], p[i]);
        let step = round_div(
            (y1 as i128 - y0 as i128) * (q as i128 - x0 as i128),
            x1 as i128 - x0 as i128,
        );
        (y0 as i128 + step) as i64
    }
}

/// A table given by its values on the domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValuesTable {
    spec: TableSpec,
    values: Vec<i64>,
}

impl UserTable for ValuesTable {
    fn in_scale(&self) -> u32 {
        self.spec.in_scale
    }
    fn out_scale(&self) -> u32 {
        self.spec.out_scale
    }
    fn domain(&self) -> (i64, i64) {
        self.spec.domain
    }
    fn eval(&self, q: i64) -> i64 {
        let (lo, hi) = self.spec.domain;
        self.values[(q.clamp(lo, hi) - lo) as usize]
    }
}

/// The real piecewise-linear curve through `points`, clamped outside them.
fn real_curve(points: Vec<[f64; 2]>) -> impl Fn(f64) -> f64 + Send + Sync + 'static {
    move |v| {
        let i = points.partition_point(|p| p[0] <= v);
        if i == 0 {
            return points[0][1];
        }
        if i == points.len() {
            return points[i - 1][1];
        }
        let ([x0, y0], [x1, y1]) = (points[i - 1], points[i]);
        y0 + (y1 - y0) * (v - x0) / (x1 - x0)
    }
}

impl TableRegistry {
    /// Registers every table of a plug-in file's JSON text and returns the ONNX operators they
    /// implement. Nothing is registered if any entry is invalid.
    pub fn load_json(&mut self, json: &str) -> Result<Vec<CustomOpDecl>, PluginError> {
        let file: PluginFile =
            serde_json::from_str(json).map_err(|e| PluginError::Json(e.to_string()))?;
        let mut staged = self.clone();
        let mut decls = Vec::new();
        for (ix, entry) in file.tables.into_iter().enumerate() {
            let label = if entry.name.is_empty() {
                format!("#{ix}")
            } else {
                entry.name.clone()
            };
            let invalid = |reason: String| PluginError::Invalid {
                table: label.clone(),
                reason,
            };
            let (table, float) = build(entry_parts(&entry).map_err(&invalid)?).map_err(&invalid)?;
            if entry.name.is_empty() {
                return Err(invalid("empty name".into()));
            }
            staged.register(entry.name.clone(), table)?;
            match (entry.domain, entry.op_type) {
                (Some(domain), Some(op_type)) => {
                    let mut decl = CustomOpDecl::for_table(&staged, &entry.name, domain, op_type)?;
                    decl.float = float;
                    decls.push(decl);
                }
                (None, None) => {}
                _ => {
                    return Err(invalid(
                        "give both \"domain\" and \"op_type\", or neither".into(),
                    ))
                }
            }
        }
        *self = staged;
        Ok(decls)
    }

    /// A registry with the tables of a plug-in file's JSON text, and their ONNX operators.
    pub fn from_json(json: &str) -> Result<(Self, Vec<CustomOpDecl>), PluginError> {
        let mut registry = Self::new();
        let decls = registry.load_json(json)?;
        Ok((registry, decls))
    }

    /// [`TableRegistry::from_json`] of a file.
    pub fn from_json_file(path: &Path) -> Result<(Self, Vec<CustomOpDecl>), PluginError> {
        let json = std::fs::read_to_string(path).map_err(|source| PluginError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&json)
    }
}

/// The function of an entry.
enum Function {
    Piecewise(Vec<[f64; 2]>),
    Values(Vec<i64>),
}

/// An entry's scales, quantized domain and function, checked.
fn entry_parts(e: &TableEntry) -> Result<(TableSpec, Function), String> {
    for (what, s) in [("in_scale", e.in_scale), ("out_scale", e.out_scale)] {
        if s > MAX_PLUGIN_SCALE {
            return Err(format!("{what} {s} exceeds {MAX_PLUGIN_SCALE}"));
        }
    }
    let unit_in = (1u64 << e.in_scale) as f64;
    let domain = match (e.range, e.range_q) {
        (Some([lo, hi]), None) => {
            if !(lo.is_finite() && hi.is_finite()) {
                return Err(format!("range [{lo}, {hi}] is not finite"));
            }
            let (lo, hi) = ((lo * unit_in).floor(), (hi * unit_in).ceil());
            let limit = MAX_PLUGIN_DOMAIN as f64;
            if lo.abs() > limit || hi.abs() > limit {
                return Err(format!(
                    "range exceeds {MAX_PLUGIN_DOMAIN} entries at in_scale {}",
                    e.in_scale
                ));
            }
            (lo as i64, hi as i64)
        }
        (None, Some([lo, hi])) => (lo, hi),
        _ => return Err("give exactly one of \"range\" and \"range_q\"".into()),
    };
    let (lo, hi) = domain;
    if lo > hi {
        return Err(format!("empty domain [{lo}, {hi}]"));
    }
    let size = (hi as i128 - lo as i128 + 1) as u128;
    if size > MAX_PLUGIN_DOMAIN as u128 {
        return Err(format!(
            "domain [{lo}, {hi}] has {size} entries, more than {MAX_PLUGIN_DOMAIN}"
        ));
    }
    let function = match (&e.piecewise_linear, &e.values) {
        (Some(points), None) => Function::Piecewise(points.clone()),
        (None, Some(values)) => {
            if values.len() as u128 != size {
                return Err(format!(
                    "\"values\" has {} entries but the domain [{lo}, {hi}] has {size}",
                    values.len()
                ));
            }
            Function::Values(values.clone())
        }
        _ => return Err("give exactly one of \"piecewise_linear\" and \"values\"".into()),
    };
    let spec = TableSpec {
        in_scale: e.in_scale,
        out_scale: e.out_scale,
        domain,
    };
    Ok((spec, function))
}

/// The table of an entry, and its real function when it has one.
fn build(
    (spec, function): (TableSpec, Function),
) -> Result<
    (
        Box<dyn UserTable>,
        Option<Arc<dyn Fn(f64) -> f64 + Send + Sync>>,
    ),
    String,
> {
    match function {
        Function::Values(values) => Ok((Box::new(ValuesTable { spec, values }), None)),
        Function::Piecewise(points) => {
            let bound = (1u64 << 40) as f64;
            let mut quantized = Vec::with_capacity(points.len());
            for &[x, y] in &points {
                let (qx, qy) = (
                    (x * (1u64 << spec.in_scale) as f64).round(),
                    (y * (1u64 << spec.out_scale) as f64).round(),
                );
                if !(qx.abs() <= bound && qy.abs() <= bound) {
                    return Err(format!(
                        "breakpoint [{x}, {y}] is not finite or exceeds 2^40 once quantized"
                    ));
                }
                quantized.push((qx as i64, qy as i64));
            }
            let table = PiecewiseLinearTable::new(spec, quantized)?;
            Ok((Box::new(table), Some(Arc::new(real_curve(points)))))
        }
    }
}

impl UserTable for Box<dyn UserTable> {
    fn in_scale(&self) -> u32 {
        self.as_ref().in_scale()
    }
    fn out_scale(&self) -> u32 {
        self.as_ref().out_scale()
    }
    fn domain(&self) -> (i64, i64) {
        self.as_ref().domain()
    }
    fn eval(&self, x: i64) -> i64 {
        self.as_ref().eval(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDIT: &str = r#"{"tables": [{
        "name": "credit_curve", "domain": "atlas.custom", "op_type": "CreditCurve",
        "in_scale": 4, "out_scale": 4, "range": [-2.0, 2.0],
        "piecewise_linear": [[-1.0, 0.0], [0.0, 0.5], [1.0, 3.0]]
    }]}"#;

    #[test]
    fn piecewise_linear_is_exact_integer_interpolation() {
        let (reg, decls) = TableRegistry::from_json(CREDIT).unwrap();
        let spec = reg.spec("credit_curve").unwrap();
        assert_eq!(spec.domain, (-32, 32));
        // Breakpoints quantized at 2^4: (-16, 0), (0, 8), (16, 48).
        let ev = |x| reg.eval("credit_curve", x).unwrap();
        assert_eq!(ev(-32), 0); // clamped below the first breakpoint
        assert_eq!(ev(-16), 0);
        assert_eq!(ev(-8), 4); // halfway: 0 + 8·8/16
        assert_eq!(ev(-7), 5); // 8·9/16 = 4.5, tie rounded up
        assert_eq!(ev(0), 8);
        assert_eq!(ev(1), 11); // 8 + 40/16 = 10.5 → 11
        assert_eq!(ev(16), 48);
        assert_eq!(ev(1000), 48); // clamped to the domain, then above the last breakpoint
        assert_eq!(decls.len(), 1);
        let d = &decls[0];
        assert_eq!(
            (d.domain.as_str(), d.op_type.as_str(), d.table.as_str()),
            ("atlas.custom", "CreditCurve", "credit_curve")
        );
        assert_eq!(d.spec, spec);
        assert_eq!(d.eval(-8), 4);
        let f = d.float.as_ref().unwrap();
        assert_eq!(f(-0.5), 0.25);
        assert_eq!(f(0.25), 1.125);
        assert_eq!(f(-5.0), 0.0);
        assert_eq!(f(5.0), 3.0);
    }

    #[test]
    fn explicit_values() {
        let json = r#"{"tables": [{"name": "sq", "in_scale": 0, "out_scale": 0,
            "range_q": [-2, 2], "values": [4, 1, 0, 1, 4]}]}"#;
        let (reg, decls) = TableRegistry::from_json(json).unwrap();
        assert!(decls.is_empty());
        let got: Vec<i64> = (-4..=4).map(|x| reg.eval("sq", x).unwrap()).collect();
        assert_eq!(got, [4, 4, 4, 1, 0, 1, 4, 4, 4]);
    }

    #[test]
    fn malformed_files_are_named_errors() {
        let err = |json: &str| TableRegistry::from_json(json).unwrap_err().to_string();
        assert!(err("{").contains("EOF"), "{}", err("{"));
        assert!(err(r#"{"tables": [{"name": "a"}]}"#).contains("missing field `in_scale`"));
        assert!(err(r#"{"tables": [], "extra": 1}"#).contains("unknown field `extra`"));
        let base = r#""name": "t", "in_scale": 4, "out_scale": 4"#;
        let e = err(&format!(
            r#"{{"tables": [{{{base}, "range_q": [0, 3], "values": [1]}}]}}"#
        ));
        assert!(
            e.contains("\"values\" has 1 entries but the domain [0, 3] has 4"),
            "{e}"
        );
        let e = err(&format!(
            r#"{{"tables": [{{{base}, "range": [0, 1], "piecewise_linear": [[0, 0], [0.01, 1]]}}]}}"#
        ));
        assert!(e.contains("strictly increasing"), "{e}");
        let e = err(&format!(r#"{{"tables": [{{{base}, "range": [0, 1]}}]}}"#));
        assert!(
            e.contains("exactly one of \"piecewise_linear\" and \"values\""),
            "{e}"
        );
        let e = err(&format!(
            r#"{{"tables": [{{{base}, "range": [0, 1], "range_q": [0, 1], "values": [0, 0]}}]}}"#
        ));
        assert!(
            e.contains("exactly one of \"range\" and \"range_q\""),
            "{e}"
        );
        let e = err(&format!(
            r#"{{"tables": [{{{base}, "range_q": [0, 100000000], "values": []}}]}}"#
        ));
        assert!(e.contains("more than"), "{e}");
        let e = err(&format!(
            r#"{{"tables": [{{{base}, "domain": "d", "range_q": [0, 0], "values": [0]}}]}}"#
        ));
        assert!(e.contains("both"), "{e}");
        let twice = format!(
            r#"{{"tables": [{{{base}, "range_q": [0, 0], "values": [0]}}, {{{base}, "range_q": [0, 0], "values": [0]}}]}}"#
        );
        assert!(matches!(
            TableRegistry::from_json(&twice),
            Err(PluginError::Registry(RegistryError::Duplicate(_)))
        ));
        assert!(matches!(
            TableRegistry::from_json_file(Path::new("/nonexistent/plugin.json")),
            Err(PluginError::Io { .. })
        ));
        // A failed load leaves the registry as it was.
        let mut reg = TableRegistry::new();
        assert!(reg.load_json(&twice).is_err());
        assert_eq!(reg.names().count(), 0);
    }
}
