//! Whole programs: input validation, error reporting, and a multi-instruction trace.

mod common;

use atlas_isa::{EinsumSpec, Instr, Program, Role, Table, TableFn, TensorData, TensorId, Weights};
use atlas_vm::{execute, InstrWitness, VmError};
use common::*;

/// `relu(rescale(x · w, 8)) + bias` then a softmax: x:[2,3]@8, w:[3,4]@8, bias:[4]@8 constant.
fn mlp() -> (Program, Weights) {
    let t = TensorId;
    let program = Program {
        tensors: vec![
            info(&[2, 3], 8, Role::Input),
            info(&[3, 4], 8, Role::Weight),
            info(&[4], 8, Role::Constant),
            info(&[2, 4], 16, Role::Intermediate),
            info(&[2, 4], 8, Role::Intermediate),
            info(&[2, 4], 8, Role::Intermediate),
            info(&[2, 4], 8, Role::Intermediate),
            info(&[2, 4], 8, Role::Output),
        ],
        instrs: vec![
            Instr::Einsum {
                a: t(0),
                b: t(1),
                spec: EinsumSpec {
                    a: "mk".into(),
                    b: "kn".into(),
                    out: "mn".into(),
                },
                out: t(3),
            },
            Instr::Rescale {
                x: t(3),
                shift: 8,
                out: t(4),
            },
            Instr::Lookup {
                x: t(4),
                table: Table {
                    func: TableFn::Relu,
                    in_scale: 8,
                    out_scale: 8,
                    domain: (0, 0),
                },
                out: t(5),
            },
            Instr::Add {
                a: t(5),
                b: t(2),
                out: t(6),
            },
            Instr::Softmax {
                x: t(6),
                axis: 1,
                exp: Table {
                    func: TableFn::Exp,
                    in_scale: 8,
                    out_scale: 8,
                    domain: (-8 * 256, 0),
                },
                out: t(7),
            },
        ],
        inputs: vec![t(0)],
        outputs: vec![t(7)],
        constants: vec![TensorData {
            id: t(2),
            values: vec![10, -20, 30, 0],
        }],
        custom_tables: Default::default(),
    };
    let weights = Weights {
        tensors: vec![TensorData {
            id: t(1),
            values: vec![256, 0, -128, 64, 0, 256, 512, -256, 128, 128, 0, 32],
        }],
    };
    (program, weights)
}

#[test]
fn mlp_trace_records_every_tensor_and_witness() {
    let (p, w) = mlp();
    let x = vec![256, -512, 128, 0, 300, -700];
    let trace = execute(&p, &w, std::slice::from_ref(&x)).unwrap();
    let wv = w.get(TensorId(1)).unwrap();
    let mm: Vec<i64> = (0..8)
        .map(|o| (0..3).map(|k| x[o / 4 * 3 + k] * wv[k * 4 + o % 4]).sum())
        .collect();
    assert_eq!(trace.value(TensorId(0)), x.as_slice());
    assert_eq!(trace.value(TensorId(1)), wv);
    assert_eq!(trace.value(TensorId(2)), &[10, -20, 30, 0]);
    assert_eq!(trace.value(TensorId(3)), mm.as_slice());
    let rescaled: Vec<i64> = mm.iter().map(|&v| (v + 128).div_euclid(256)).collect();
    assert_eq!(trace.value(TensorId(4)), rescaled.as_slice());
    let relu: Vec<i64> = rescaled.iter().map(|&v| v.max(0)).collect();
    assert_eq!(trace.value(TensorId(5)), relu.as_slice());
    let biased: Vec<i64> = relu
        .iter()
        .enumerate()
        .map(|(i, v)| v + [10, -20, 30, 0][i % 4])
        .collect();
    assert_eq!(trace.value(TensorId(6)), biased.as_slice());
    assert_eq!(trace.witness(0), &InstrWitness::None);
    assert!(
        matches!(trace.witness(1), InstrWitness::Rescale { remainders } if remainders.len() == 8)
    );
    assert!(matches!(trace.witness(4), InstrWitness::Softmax(s) if s.sums.len() == 2));
    assert_eq!(trace.witnesses().len(), 5);
    // 8 ReLU lookups and 8 exp lookups.
    assert_eq!(trace.num_lookups(), 16);
    // 8 rescale remainders and 8 softmax remainders.
    assert_eq!(trace.num_range_checks(), 16);
    let out = trace.outputs(&p);
    assert_eq!(out.len(), 1);
    for row in out[0].chunks(4) {
        let total: i64 = row.iter().sum();
        assert!((total - 256).abs() <= 2, "softmax row sums to {total}/256");
    }
    // Deterministic.
    assert_eq!(execute(&p, &w, &[x]).unwrap(), trace);
}

#[test]
fn inputs_and_weights_are_validated() {
    let (p, w) = mlp();
    assert!(matches!(
        execute(&p, &w, &[]),
        Err(VmError::InputCount {
            expected: 1,
            got: 0
        })
    ));
    assert!(matches!(
        execute(&p, &w, &[vec![1; 5]]),
        Err(VmError::InputLength {
            index: 0,
            tensor: TensorId(0),
            expected: 6,
            got: 5
        })
    ));
    assert!(matches!(
        execute(&p, &Weights::default(), &[vec![1; 6]]),
        Err(VmError::MissingWeight(TensorId(1)))
    ));
    let mut short = w.clone();
    short.tensors[0].values.pop();
    assert!(matches!(
        execute(&p, &short, &[vec![1; 6]]),
        Err(VmError::WeightLength {
            tensor: TensorId(1),
            expected: 12,
            got: 11
        })
    ));
    let mut bad = p.clone();
    bad.tensors[4].scale = 9;
    assert!(matches!(
        execute(&bad, &w, &[vec![1; 6]]),
        Err(VmError::InvalidProgram(_))
    ));
}

#[test]
fn errors_name_the_failing_instruction() {
    let (p, w) = mlp();
    // x · w overflows in the einsum (instruction 0).
    let err = execute(&p, &w, &[vec![i64::MAX / 4; 6]]).unwrap_err();
    assert!(
        matches!(
            err,
            VmError::Overflow {
                instr: 0,
                op: "Einsum"
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("instruction 0 (Einsum)"));
}

fn unary_err(
    x: Vec<i64>,
    x_scale: u32,
    make: impl FnOnce(TensorId, TensorId) -> Instr,
    out_shape: &[usize],
    out_scale: u32,
) -> VmError {
    let shape = [x.len()];
    try_run1(
        &[input(&shape, x_scale, x)],
        |ids, out| make(ids[0], out),
        out_shape,
        out_scale,
    )
    .unwrap_err()
}

#[test]
fn arithmetic_overflow_is_an_error_not_a_wrap() {
    let two =
        |a: Vec<i64>, b: Vec<i64>, make: fn(TensorId, TensorId, TensorId) -> Instr, out_scale| {
            try_run1(
                &[input(&[a.len()], 0, a), input(&[b.len()], 0, b)],
                |ids, out| make(ids[0], ids[1], out),
                &[1],
                out_scale,
            )
            .unwrap_err()
        };
    for err in [
        two(
            vec![i64::MAX],
            vec![1],
            |a, b, out| Instr::Add { a, b, out },
            0,
        ),
        two(
            vec![i64::MIN],
            vec![1],
            |a, b, out| Instr::Sub { a, b, out },
            0,
        ),
        two(
            vec![1 << 32],
            vec![1 << 31],
            |a, b, out| Instr::Mul { a, b, out },
            0,
        ),
        unary_err(vec![i64::MIN], 0, |x, out| Instr::Neg { x, out }, &[1], 0),
        unary_err(
            vec![i64::MAX / 2],
            0,
            |x, out| Instr::MulConst {
                x,
                c: 3,
                c_scale: 0,
                out,
            },
            &[1],
            0,
        ),
        unary_err(
            vec![i64::MAX, 1],
            0,
            |x, out| Instr::ReduceSum {
                x,
                axes: vec![0],
                keep_dims: false,
                out,
            },
            &[],
            0,
        ),
        unary_err(
            vec![1],
            70,
            |x, out| Instr::Rescale { x, shift: 65, out },
            &[1],
            5,
        ),
        unary_err(vec![1], 0, |x, out| Instr::Sqrt { x, out }, &[1], 40),
        unary_err(
            vec![i64::MIN],
            0,
            |x, out| Instr::Lookup {
                x,
                table: Table {
                    func: TableFn::LeakyRelu { alpha_q: 3 },
                    in_scale: 0,
                    out_scale: 0,
                    domain: (0, 0),
                },
                out,
            },
            &[1],
            0,
        ),
    ] {
        assert!(matches!(err, VmError::Overflow { instr: 0, .. }), "{err}");
    }
}

#[test]
fn division_by_a_non_positive_divisor_is_an_error() {
    for d in [0, -3] {
        let err = try_run1(
            &[input(&[2], 0, vec![5, 6]), input(&[2], 0, vec![2, d])],
            |ids, out| Instr::Div {
                a: ids[0],
                b: ids[1],
                out,
            },
            &[2],
            0,
        )
        .unwrap_err();
        assert!(
            matches!(err, VmError::NonPositiveDivisor { instr: 0, op: "Div", value } if value == d),
            "{err}"
        );
    }
    // A softmax whose exp table rounds every entry to 0.
    let exp = Table {
        func: TableFn::Exp,
        in_scale: 8,
        out_scale: 0,
        domain: (-16 * 256, -4 * 256),
    };
    let err = unary_err(
        vec![0, 1],
        8,
        |x, out| Instr::Softmax {
            x,
            axis: 0,
            exp,
            out,
        },
        &[2],
        8,
    );
    assert!(
        matches!(
            err,
            VmError::NonPositiveDivisor {
                op: "Softmax",
                value: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn gather_out_of_range_is_an_error() {
    for bad in [3, -4] {
        let err = try_run1(
            &[input(&[3], 0, vec![1, 2, 3]), input(&[1], 0, vec![bad])],
            |ids, out| Instr::Gather {
                data: ids[0],
                indices: ids[1],
                axis: 0,
                out,
            },
            &[1],
            0,
        )
        .unwrap_err();
        assert!(
            matches!(err, VmError::IndexOutOfRange { instr: 0, op: "Gather", index, len: 3 } if index == bad),
            "{err}"
        );
    }
}

#[test]
fn empty_table_domain_is_an_error() {
    let t = Table {
        func: TableFn::Tanh,
        in_scale: 8,
        out_scale: 8,
        domain: (5, 4),
    };
    let err = unary_err(
        vec![1],
        8,
        |x, out| Instr::Lookup { x, table: t, out },
        &[1],
        8,
    );
    assert!(
        matches!(err, VmError::EmptyTableDomain { lo: 5, hi: 4, .. }),
        "{err}"
    );
}
