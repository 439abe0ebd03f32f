//! Tests of the transformer relations (issue 6): completeness on small hand-built programs and
//! malicious provers, beside the other prover tests.

use super::*;

/// A smooth table at scale 4 on `domain`.
fn smooth(x: u32, out: u32, func: TableFn, domain: (i64, i64)) -> Instr {
    Instr::Lookup {
        x: id(x),
        table: Table {
            func,
            in_scale: 4,
            out_scale: 4,
            domain,
        },
        out: id(out),
    }
}

/// Sigmoid (inputs beyond both ends of the domain) → Log (a domain without 0, so padding
/// reads `f(lo) ≠ 0`) → GELU → Exp (a domain of non-positive inputs).
fn smooth_tables() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 4, Input),        // 0
            t(&[3, 5], 4, Intermediate), // 1
            t(&[3, 5], 4, Intermediate), // 2
            t(&[3, 5], 4, Intermediate), // 3
            t(&[3, 5], 4, Output),       // 4
        ],
        vec![
            smooth(0, 1, TableFn::Sigmoid, (-40, 40)),
            smooth(1, 2, TableFn::Log, (1, 20)),
            smooth(2, 3, TableFn::Gelu, (-64, 63)),
            smooth(3, 4, TableFn::Exp, (-100, 0)),
        ],
    )
}

#[test]
fn smooth_tables_completeness_and_soundness() {
    let p = smooth_tables();
    let r = run(&p, 11);
    let x = r.trace.value(id(0));
    assert!(x.iter().any(|v| *v < -40) && x.iter().any(|v| *v > 40));
    check_soundness(&p, &r);
}

/// A prover whose table output is `f` of an unclamped (or otherwise wrong) key is rejected:
/// the output claims `f(x + 1)` at one position.
#[test]
fn smooth_table_wrong_key_is_rejected() {
    let p = smooth_tables();
    let r = run(&p, 12);
    let (tampered, outputs) = tamper(&p, &r, 0);
    assert!(!accepted(
        &r.pk, &r.vk, &tampered, &r.inputs, &outputs, false
    ));
}
