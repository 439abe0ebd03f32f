//! User-defined operators: an ONNX node of a custom domain lowered to a user-defined table
//! (the `custom_swish` guest model, whose activation is `atlas.custom::Swish`).

mod common;

use atlas_isa::{Instr, TableFn};
use atlas_onnx::{load, load_with, quantize_inputs, CompileOptions, CustomOp, FrontendError};
use common::{guest_model, read_inputs};

fn swish(v: f64) -> f64 {
    v / (1.0 + (-v).exp())
}

/// Swish as a table at `in_scale` → 12 on `[-8, 8]`.
fn swish_op(in_scale: u32) -> CustomOp {
    let (u_in, u_out) = ((1i64 << in_scale) as f64, 4096.0);
    CustomOp::new(
        "atlas.custom",
        "Swish",
        "swish",
        in_scale,
        12,
        (-8 << in_scale, 8 << in_scale),
        move |q| (swish(q as f64 / u_in) * u_out).round() as i64,
    )
}

/// Resolves the table `"swish"` through the operator's own closure.
struct Resolver(CustomOp);

impl atlas_vm::CustomTables for Resolver {
    fn eval(&self, name: &str, x: i64) -> Option<i64> {
        (name == self.0.table).then(|| (self.0.eval)(x))
    }
}

/// Compiles with `op`, executes, and returns (max abs error vs tract's float run, program).
fn run(op: CustomOp) -> (f64, atlas_isa::Program) {
    let dir = guest_model("custom_swish");
    let inputs = read_inputs(&dir);
    let model = load_with(&dir.join("network.onnx"), None, std::slice::from_ref(&op)).unwrap();
    let compiled = model.compile(&CompileOptions::default()).unwrap();
    let q = quantize_inputs(&compiled.program, &inputs).unwrap();
    let trace =
        atlas_vm::execute_with(&compiled.program, &compiled.weights, &q, &Resolver(op)).unwrap();
    let out = compiled.program.outputs[0];
    let scale = compiled.program.tensor(out).scale;
    let float = model.run_float(&inputs).unwrap();
    let err = trace
        .value(out)
        .iter()
        .zip(&float[0])
        .map(|(&a, b)| (atlas_isa::fixed::dequantize(a, scale) - b).abs())
        .fold(0.0, f64::max);
    (err, compiled.program)
}

/// The custom lookup of a program: (its input's scale, the instruction before it).
fn custom_lookup(p: &atlas_isa::Program) -> (u32, &'static str, atlas_isa::Table) {
    let i = p
        .instrs
        .iter()
        .position(|i| matches!(i, Instr::Lookup { table, .. } if matches!(table.func, TableFn::Custom(_))))
        .expect("a custom lookup");
    let Instr::Lookup { x, table, .. } = &p.instrs[i] else {
        unreachable!()
    };
    (p.tensor(*x).scale, p.instrs[i - 1].name(), table.clone())
}

#[test]
fn unregistered_custom_operator_names_node_op_and_domain() {
    let path = guest_model("custom_swish").join("network.onnx");
    match load(&path, None) {
        Err(FrontendError::Unsupported { node, op }) => {
            assert_eq!(node, "/act/Swish");
            assert_eq!(
                op,
                "atlas.custom::Swish (custom domain; no custom operator is registered for it)"
            );
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    // Another custom operator does not stand in for it.
    let other = CustomOp::new("atlas.custom", "Mish", "mish", 12, 12, (0, 1), |x| x);
    assert!(matches!(
        load_with(&path, None, &[other]),
        Err(FrontendError::Unsupported { .. })
    ));
}

#[test]
fn lowers_to_the_custom_table_and_executes() {
    let (err, program) = run(swish_op(12).with_float(swish));
    let (in_scale, _, table) = custom_lookup(&program);
    assert_eq!(in_scale, 12);
    assert_eq!(table.func, TableFn::Custom("swish".into()));
    assert_eq!(
        (table.in_scale, table.out_scale, table.domain),
        (12, 12, (-8 << 12, 8 << 12))
    );
    assert!(err < 2e-3, "max abs error {err}");
}

#[test]
fn rescales_to_the_table_input_scale() {
    let (err, program) = run(swish_op(10).with_float(swish));
    let (in_scale, before, table) = custom_lookup(&program);
    assert_eq!((in_scale, before, table.in_scale), (10, "Rescale", 10));
    assert!(err < 5e-3, "max abs error {err}");
}

#[test]
fn float_reference_without_a_float_function_is_the_dequantized_table() {
    let op = swish_op(12);
    // Between table points: the reference reads the table at the rounded input.
    assert_eq!(
        op.eval_real(0.5 + 0.1 / 4096.0),
        (op.eval)(2048) as f64 / 4096.0
    );
    assert_eq!(op.eval_real(100.0), (op.eval)(8 << 12) as f64 / 4096.0); // clamped
    let (err, _) = run(op);
    // The VM computes exactly the table, so only the output layer's rounding remains.
    assert!(err < 1e-3, "max abs error {err}");
}

#[test]
fn inspect_reports_the_custom_node() {
    let path = guest_model("custom_swish").join("network.onnx");
    let model = load_with(&path, None, &[swish_op(12)]).unwrap();
    let report = model.inspect();
    let node = report.iter().find(|r| r.name == "/act/Swish").unwrap();
    assert!(node.supported);
    assert_eq!(node.op, "atlas.custom::Swish");
    assert!(node.note.as_deref().unwrap().contains("Lookup"), "{node:?}");
}

#[test]
fn invalid_declarations_are_refused() {
    let path = guest_model("custom_swish").join("network.onnx");
    let refused = |ops: &[CustomOp]| match load_with(&path, None, ops) {
        Err(FrontendError::CustomOp(msg)) => msg,
        other => panic!("expected CustomOp error, got {other:?}"),
    };
    let standard = CustomOp::new("", "Relu", "r", 12, 12, (0, 1), |x| x);
    assert!(refused(&[standard]).contains("custom ONNX domain"));
    assert!(refused(&[swish_op(12), swish_op(12)]).contains("declared twice"));
    let empty = CustomOp::new("atlas.custom", "Swish", "swish", 12, 12, (1, 0), |x| x);
    assert!(refused(&[empty]).contains("empty table domain"));
    let huge = CustomOp::new(
        "atlas.custom",
        "Swish",
        "swish",
        12,
        12,
        (0, 1 << 30),
        |x| x,
    );
    assert!(refused(&[huge]).contains("exceeds"));
}
