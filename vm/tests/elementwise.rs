//! Element-wise instructions and composites against plain references (integer index math, or
//! the f64 definition within its rounding).

mod common;

use atlas_isa::table::LEAKY_ALPHA_BITS;
use atlas_isa::{Instr, Table, TableFn, TensorId};
use atlas_vm::{CustomTables, InstrWitness, VmError};
use common::*;
use rand::Rng;

type Make2 = fn(TensorId, TensorId, TensorId) -> Instr;

/// Shape pairs exercising NumPy broadcasting.
const BROADCASTS: &[(&[usize], &[usize], &[usize])] = &[
    (&[3, 4], &[3, 4], &[3, 4]),
    (&[3, 4], &[4], &[3, 4]),
    (&[2, 1, 4], &[3, 1], &[2, 3, 4]),
    (&[1], &[2, 3], &[2, 3]),
    (&[], &[5], &[5]),
    (&[2, 3, 1], &[1, 3, 4], &[2, 3, 4]),
];

/// Runs a broadcasting binary instruction on random operands and compares every element with
/// `f` applied at the naively broadcast indices.
fn check_binary(
    make: Make2,
    scales: (u32, u32, u32),
    bound: i64,
    f: impl Fn(i64, i64) -> i64,
) -> Vec<InstrWitness> {
    let mut r = rng(7);
    let mut witnesses = Vec::new();
    for (sa, sb, so) in BROADCASTS {
        let a = random(&mut r, numel(sa), bound);
        // Small values on b make Equal and Max/Min ties likely.
        let b = random(&mut r, numel(sb), bound);
        let (got, w) = run1(
            &[
                input(sa, scales.0, a.clone()),
                input(sb, scales.1, b.clone()),
            ],
            |ids, out| make(ids[0], ids[1], out),
            so,
            scales.2,
        );
        for (i, &g) in got.iter().enumerate() {
            let idx = unravel(i, so);
            assert_eq!(
                g,
                f(a[bcast_index(&idx, sa)], b[bcast_index(&idx, sb)]),
                "{sa:?} {sb:?} at {idx:?}"
            );
        }
        witnesses.push(w);
    }
    witnesses
}

#[test]
fn add_sub_mul() {
    check_binary(
        |a, b, out| Instr::Add { a, b, out },
        (3, 3, 3),
        1 << 40,
        |x, y| x + y,
    );
    check_binary(
        |a, b, out| Instr::Sub { a, b, out },
        (3, 3, 3),
        1 << 40,
        |x, y| x - y,
    );
    check_binary(
        |a, b, out| Instr::Mul { a, b, out },
        (3, 4, 7),
        1 << 20,
        |x, y| x * y,
    );
}

#[test]
fn comparisons_and_selection() {
    check_binary(
        |a, b, out| Instr::Equal { a, b, out },
        (2, 2, 0),
        2,
        |x, y| (x == y) as i64,
    );
    check_binary(
        |a, b, out| Instr::Less { a, b, out },
        (2, 2, 0),
        2,
        |x, y| (x < y) as i64,
    );
    for (is_max, ws) in [
        (
            true,
            check_binary(
                |a, b, out| Instr::Max { a, b, out },
                (2, 2, 2),
                3,
                |x, y| x.max(y),
            ),
        ),
        (
            false,
            check_binary(
                |a, b, out| Instr::Min { a, b, out },
                (2, 2, 2),
                3,
                |x, y| x.min(y),
            ),
        ),
    ] {
        // The selection bits agree with the values: re-run one case and check them.
        let a = vec![1, 5, 3, 3];
        let b = vec![2, 4, 3, -1];
        let (_, w) = run1(
            &[input(&[4], 0, a.clone()), input(&[4], 0, b.clone())],
            |ids, out| {
                if is_max {
                    Instr::Max {
                        a: ids[0],
                        b: ids[1],
                        out,
                    }
                } else {
                    Instr::Min {
                        a: ids[0],
                        b: ids[1],
                        out,
                    }
                }
            },
            &[4],
            0,
        );
        let want: Vec<bool> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| if is_max { x >= y } else { x <= y })
            .collect();
        assert_eq!(w, InstrWitness::Select { a_selected: want });
        assert!(ws.iter().all(|w| matches!(w, InstrWitness::Select { .. })));
    }
}

#[test]
fn where_broadcasts_three_ways() {
    let mut r = rng(3);
    let (sc, sa, sb, so): (&[usize], &[usize], &[usize], &[usize]) =
        (&[2, 1, 4], &[3, 1], &[4], &[2, 3, 4]);
    let c: Vec<i64> = (0..numel(sc)).map(|_| r.gen_range(-1..=1)).collect();
    let a = random(&mut r, numel(sa), 100);
    let b = random(&mut r, numel(sb), 100);
    let (got, w) = run1(
        &[
            input(sc, 0, c.clone()),
            input(sa, 5, a.clone()),
            input(sb, 5, b.clone()),
        ],
        |ids, out| Instr::Where {
            cond: ids[0],
            a: ids[1],
            b: ids[2],
            out,
        },
        so,
        5,
    );
    assert_eq!(w, InstrWitness::None);
    for (i, &g) in got.iter().enumerate() {
        let idx = unravel(i, so);
        let want = if c[bcast_index(&idx, sc)] != 0 {
            a[bcast_index(&idx, sa)]
        } else {
            b[bcast_index(&idx, sb)]
        };
        assert_eq!(g, want);
    }
}

#[test]
fn neg_and_mul_const() {
    let mut r = rng(4);
    let x = random(&mut r, 20, 1 << 30);
    let (got, _) = run1(
        &[input(&[4, 5], 6, x.clone())],
        |ids, out| Instr::Neg { x: ids[0], out },
        &[4, 5],
        6,
    );
    assert_eq!(got, x.iter().map(|v| -v).collect::<Vec<_>>());
    let (got, _) = run1(
        &[input(&[4, 5], 6, x.clone())],
        |ids, out| Instr::MulConst {
            x: ids[0],
            c: -77,
            c_scale: 3,
            out,
        },
        &[4, 5],
        9,
    );
    assert_eq!(got, x.iter().map(|v| v * -77).collect::<Vec<_>>());
}

#[test]
fn rescale_matches_float_rounding() {
    let mut r = rng(5);
    let mut x = random(&mut r, 500, 1 << 40);
    x.extend([-5, -6, 5, 6, -4, 4, 0, 7, -7, 1 << 45, -(1 << 45) - 1]);
    for shift in [0u32, 1, 2, 7, 16, 30] {
        let (got, w) = run1(
            &[input(&[x.len()], 16 + shift, x.clone())],
            |ids, out| Instr::Rescale {
                x: ids[0],
                shift,
                out,
            },
            &[x.len()],
            16,
        );
        let InstrWitness::Rescale { remainders } = w else {
            panic!("rescale witness")
        };
        for ((&v, &q), &rem) in x.iter().zip(&got).zip(&remainders) {
            // Round half up in f64 (exact for these magnitudes).
            let want = (v as f64 / (1u64 << shift) as f64 + 0.5).floor() as i64;
            assert_eq!(q, want, "{v} >> {shift}");
            let half = if shift == 0 { 0 } else { 1i128 << (shift - 1) };
            assert_eq!(rem as i128, v as i128 + half - ((q as i128) << shift));
            assert!((rem as i128) < 1i128 << shift);
        }
    }
}

fn table(func: TableFn, domain: (i64, i64)) -> Table {
    Table {
        func,
        in_scale: 8,
        out_scale: 10,
        domain,
    }
}

#[test]
fn smooth_lookups_clamp_and_key_by_domain_index() {
    let domain = (-6 * 256, 6 * 256);
    let mut r = rng(6);
    let mut x = random(&mut r, 300, 10 * 256);
    x.extend([domain.0, domain.1, domain.0 - 1, domain.1 + 1, 0]);
    for func in [
        TableFn::Sigmoid,
        TableFn::Tanh,
        TableFn::Gelu,
        TableFn::Erf,
        TableFn::Exp,
        TableFn::Sin,
    ] {
        let t = table(func.clone(), domain);
        let t2 = t.clone();
        let (got, w) = run1(
            &[input(&[x.len()], 8, x.clone())],
            |ids, out| Instr::Lookup {
                x: ids[0],
                table: t2,
                out,
            },
            &[x.len()],
            10,
        );
        let InstrWitness::Lookup(l) = w else {
            panic!("lookup witness")
        };
        assert_eq!(l.outputs, got);
        for (i, &v) in x.iter().enumerate() {
            let xc = v.clamp(domain.0, domain.1);
            let f = match func {
                TableFn::Sigmoid => 1.0 / (1.0 + (-(xc as f64) / 256.0).exp()),
                TableFn::Tanh => (xc as f64 / 256.0).tanh(),
                TableFn::Exp => (xc as f64 / 256.0).exp(),
                TableFn::Sin => (xc as f64 / 256.0).sin(),
                _ => f64::NAN,
            };
            if !f.is_nan() {
                assert!(
                    (got[i] as f64 / 1024.0 - f).abs() <= 0.5 / 1024.0 + 1e-9,
                    "{func:?}({v})"
                );
            }
            assert_eq!(got[i], t.eval(xc).unwrap());
            assert_eq!(l.keys[i], (xc - domain.0) as u64);
            assert!(l.keys[i] < t.domain_size());
        }
    }
}

#[test]
fn piecewise_linear_lookups_are_exact_and_keyed_by_value() {
    let x = vec![
        -1000,
        -3,
        -1,
        0,
        1,
        2,
        999,
        i32::MAX as i64,
        i32::MIN as i64,
    ];
    let alpha_q = 3 << (LEAKY_ALPHA_BITS - 4); // 0.1875
    for (func, f) in [
        (
            TableFn::Relu,
            Box::new(|v: i64| v.max(0)) as Box<dyn Fn(i64) -> i64>,
        ),
        (
            TableFn::Clip { lo: -2, hi: 100 },
            Box::new(|v: i64| v.clamp(-2, 100)),
        ),
        (
            TableFn::LeakyRelu { alpha_q },
            Box::new(move |v: i64| {
                if v >= 0 {
                    v
                } else {
                    (v as f64 * 0.1875 + 0.5).floor() as i64
                }
            }),
        ),
    ] {
        let t = Table {
            func,
            in_scale: 8,
            out_scale: 8,
            domain: (0, 0),
        };
        let (got, w) = run1(
            &[input(&[x.len()], 8, x.clone())],
            |ids, out| Instr::Lookup {
                x: ids[0],
                table: t,
                out,
            },
            &[x.len()],
            8,
        );
        let InstrWitness::Lookup(l) = w else {
            panic!("lookup witness")
        };
        assert_eq!(got, x.iter().map(|&v| f(v)).collect::<Vec<_>>());
        assert_eq!(l.keys, x.iter().map(|&v| v as u64).collect::<Vec<_>>());
    }
}

struct Square;
impl CustomTables for Square {
    fn eval(&self, name: &str, x: i64) -> Option<i64> {
        (name == "square").then_some(x * x)
    }
}

#[test]
fn custom_tables_resolve_by_name_on_the_clamped_input() {
    let t = table(TableFn::Custom("square".into()), (-10, 10));
    let x = vec![-20, -3, 0, 4, 11];
    let (got, w) = try_run1_with(
        &[input(&[5], 8, x)],
        |ids, out| Instr::Lookup {
            x: ids[0],
            table: t.clone(),
            out,
        },
        &[5],
        10,
        &Square,
    )
    .unwrap();
    assert_eq!(got, vec![100, 9, 0, 16, 100]);
    let InstrWitness::Lookup(l) = w else {
        panic!("lookup witness")
    };
    assert_eq!(l.keys, vec![0, 7, 10, 14, 20]);
    let err = try_run1(
        &[input(&[1], 8, vec![1])],
        |ids, out| Instr::Lookup {
            x: ids[0],
            table: t.clone(),
            out,
        },
        &[1],
        10,
    )
    .unwrap_err();
    assert!(matches!(err, VmError::UnknownTable(ref n) if n == "square"));
}

#[test]
fn div_matches_exact_rounding() {
    let mut r = rng(8);
    let (sa, sb, so): (&[usize], &[usize], &[usize]) = (&[6, 10], &[10], &[6, 10]);
    let a = random(&mut r, 60, 1 << 30);
    let b: Vec<i64> = (0..10).map(|_| r.gen_range(1..=5000)).collect();
    // s(out) + s(b) − s(a) = 8 + 4 − 6 = 6.
    let (got, w) = run1(
        &[input(sa, 6, a.clone()), input(sb, 4, b.clone())],
        |ids, out| Instr::Div {
            a: ids[0],
            b: ids[1],
            out,
        },
        so,
        8,
    );
    let InstrWitness::Div { remainders } = w else {
        panic!("div witness")
    };
    for i in 0..60 {
        let (num, den, q) = ((a[i] as i128) << 6, b[i % 10] as i128, got[i] as i128);
        // q = round(num / den), ties up: den(2q − 1) ≤ 2num < den(2q + 1).
        assert!(
            den * (2 * q - 1) <= 2 * num && 2 * num < den * (2 * q + 1),
            "{num}/{den} → {q}"
        );
        assert!(((num as f64 / den as f64) - q as f64).abs() <= 0.5 + 1e-9);
        assert_eq!(remainders[i] as i128, 2 * num + den - 2 * den * q);
    }
}

#[test]
fn sqrt_matches_floor_root() {
    let mut r = rng(9);
    let mut x = random(&mut r, 300, 1 << 40);
    x.extend([0, 1, 2, 3, 4, -1]);
    // k = 2·s(out) − s(x) = 2·10 − 12 = 8.
    let (got, w) = run1(
        &[input(&[x.len()], 12, x.clone())],
        |ids, out| Instr::Sqrt { x: ids[0], out },
        &[x.len()],
        10,
    );
    let InstrWitness::Sqrt { remainders } = w else {
        panic!("sqrt witness")
    };
    for i in 0..x.len() {
        let v = (x[i].max(0) as i128) << 8;
        let root = got[i] as i128;
        assert!(
            root * root <= v && v < (root + 1) * (root + 1),
            "√{v} → {root}"
        );
        assert!(((v as f64).sqrt() - root as f64).abs() < 1.0);
        assert_eq!(remainders[i] as i128, v - root * root);
    }
}

#[test]
fn softmax_matches_float_within_table_rounding() {
    let mut r = rng(10);
    let shape = [2, 5, 3];
    let x = random(&mut r, numel(&shape), 4 * 256);
    let exp = Table {
        func: TableFn::Exp,
        in_scale: 8,
        out_scale: 14,
        domain: (-16 * 256, 0),
    };
    for axis in 0..3 {
        let e2 = exp.clone();
        let (got, w) = run1(
            &[input(&shape, 8, x.clone())],
            |ids, out| Instr::Softmax {
                x: ids[0],
                axis,
                exp: e2,
                out,
            },
            &shape,
            12,
        );
        let InstrWitness::Softmax(sw) = w else {
            panic!("softmax witness")
        };
        let rows = numel(&shape) / shape[axis];
        assert_eq!(
            (sw.row_max.len(), sw.sums.len(), sw.argmax.len()),
            (rows, rows, rows)
        );
        let mut row = 0;
        for flat in 0..numel(&shape) {
            let idx = unravel(flat, &shape);
            if idx[axis] != 0 {
                continue;
            }
            let members: Vec<usize> = (0..shape[axis])
                .map(|j| {
                    let mut k = idx.clone();
                    k[axis] = j;
                    ravel(&k, &shape)
                })
                .collect();
            let m = members.iter().map(|&i| x[i]).max().unwrap();
            assert_eq!(sw.row_max[row], m);
            assert_eq!(x[sw.argmax[row] as usize], m);
            let denom: f64 = members
                .iter()
                .map(|&i| ((x[i] - m) as f64 / 256.0).exp())
                .sum();
            let mut sum = 0;
            for &i in &members {
                let e = sw.exp.outputs[i];
                assert_eq!(sw.exp.keys[i], (x[i] - m + 16 * 256) as u64);
                assert_eq!(e, exp.eval(x[i] - m).unwrap());
                sum += e;
                let want = ((x[i] - m) as f64 / 256.0).exp() / denom;
                assert!(
                    (got[i] as f64 / 4096.0 - want).abs() < 2e-3,
                    "softmax {} vs {want}",
                    got[i]
                );
            }
            assert_eq!(sw.sums[row], sum);
            for &i in &members {
                let (num, den, q) = (
                    (sw.exp.outputs[i] as i128) << 12,
                    sum as i128,
                    got[i] as i128,
                );
                assert_eq!(sw.remainders[i] as i128, 2 * num + den - 2 * den * q);
                assert!((0..2 * den).contains(&(sw.remainders[i] as i128)));
            }
            row += 1;
        }
    }
}

#[test]
fn rms_norm_matches_float() {
    let mut r = rng(11);
    let shape = [3, 16];
    let x = random(&mut r, 48, 2000);
    let eps = 5; // at scale 2·8
    let (got, w) = run1(
        &[input(&shape, 8, x.clone())],
        |ids, out| Instr::RmsNorm {
            x: ids[0],
            axis: 1,
            eps,
            out,
        },
        &shape,
        10,
    );
    let InstrWitness::RmsNorm(rw) = w else {
        panic!("rmsnorm witness")
    };
    for row in 0..3 {
        let xs = &x[row * 16..(row + 1) * 16];
        let ss: i64 = xs.iter().map(|v| v * v).sum();
        assert_eq!(rw.sum_squares[row], ss);
        let ms = rw.mean_squares[row];
        assert_eq!(rw.mean_remainders[row] as i64, 2 * ss + 16 - 32 * ms);
        let d = rw.roots[row];
        assert_eq!(rw.root_remainders[row] as i64, ms + eps - d * d);
        assert!(d * d <= ms + eps && ms + eps < (d + 1) * (d + 1));
        let rms = (xs.iter().map(|&v| (v as f64 / 256.0).powi(2)).sum::<f64>() / 16.0
            + eps as f64 / 65536.0)
            .sqrt();
        for j in 0..16 {
            let i = row * 16 + j;
            let want = x[i] as f64 / 256.0 / rms;
            assert!(
                (got[i] as f64 / 1024.0 - want).abs() < 0.02,
                "{} vs {want}",
                got[i]
            );
            assert_eq!(
                rw.remainders[i] as i64,
                2 * (x[i] << 10) + d - 2 * d * got[i]
            );
        }
    }
}
