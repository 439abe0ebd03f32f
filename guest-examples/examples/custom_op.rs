//! A user-defined table behind an ONNX custom operator, end to end (execution; the proof of
//! custom tables comes with the end-to-end prover).
//!
//! ```sh
//! cargo run -p atlas-guest-examples --example custom_op
//! ```
//!
//! 1. Register Swish as a table from Rust code (`FnTable`, outside `atlas-lookups`).
//! 2. Bind it to the ONNX operator `atlas.custom::Swish` and hand that to the frontend.
//! 3. Compile `models/custom_swish`, execute it with the registry resolving the table, and
//!    compare with tract's float run.
//! 4. The same from the declarative plug-in `plugins/swish.json` (what `atlas run --tables`
//!    loads).

use atlas_guest_examples::{
    argmax, custom_ops, model_dir, plugins_dir, run_model, swish, Accuracy, CUSTOM_DOMAIN,
};
use atlas_lookups::{CustomOpDecl, FnTable, TableRegistry};

fn report(label: &str, acc: &Accuracy) {
    let (q, f) = (&acc.quantized[0], &acc.float[0]);
    println!("{label}");
    println!(
        "  {} instructions, {} custom-table lookup(s)",
        acc.instrs, acc.custom_lookups
    );
    println!(
        "  max |error| {:.2e}, mean |error| {:.2e}, argmax quantized {} / float {}",
        acc.max_abs,
        acc.mean_abs,
        argmax(q),
        argmax(f)
    );
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:+.4}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("  quantized {}", show(q));
    println!("  float     {}", show(f));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = model_dir("custom_swish");

    // 1. The table: swish at scale 12 on [-8, 8], as plain integer code.
    let mut registry = TableRegistry::new();
    registry.register(
        "swish",
        FnTable::new(12, 12, (-8 << 12, 8 << 12), |q| {
            (swish(q as f64 / 4096.0) * 4096.0).round() as i64
        }),
    )?;
    // 2. The ONNX operator it implements, with the exact function as the float reference.
    let decls = vec![
        CustomOpDecl::for_table(&registry, "swish", CUSTOM_DOMAIN, "Swish")?.with_float(swish),
    ];
    // 3. Compile, execute, compare.
    let acc = run_model(&dir, &custom_ops(&decls), &registry)?;
    report("custom_swish with a Rust-registered FnTable:", &acc);

    // 4. The declarative plug-in: a piecewise-linear swish (its curve is the float reference).
    let (registry, decls) = TableRegistry::from_json_file(&plugins_dir().join("swish.json"))?;
    let acc = run_model(&dir, &custom_ops(&decls), &registry)?;
    report("custom_swish with plugins/swish.json:", &acc);
    Ok(())
}
