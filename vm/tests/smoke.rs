//! A quick end-to-end check of a small MLP.
mod common;
use atlas_isa::{EinsumSpec, Instr, Table, TableFn};
use common::*;

#[test]
fn matmul_rescale_relu() {
    let mut r = rng(1);
    let x = random(&mut r, 6, 300);
    let w = random(&mut r, 12, 300);
    let (out, _) = run1(
        &[input(&[2, 3], 8, x.clone()), weight(&[3, 4], 8, w.clone())],
        |ids, out| Instr::Einsum {
            a: ids[0],
            b: ids[1],
            spec: EinsumSpec { a: "mk".into(), b: "kn".into(), out: "mn".into() },
            out,
        },
        &[2, 4],
        16,
    );
    for i in 0..2 {
        for j in 0..4 {
            let s: i64 = (0..3).map(|k| x[i * 3 + k] * w[k * 4 + j]).sum();
            assert_eq!(out[i * 4 + j], s);
        }
    }
    let (out, wit) = run1(
        &[input(&[4], 8, vec![-3, 0, 5, 1000])],
        |ids, out| Instr::Lookup {
            x: ids[0],
            table: Table { func: TableFn::Relu, in_scale: 8, out_scale: 8, domain: (0, 0) },
            out,
        },
        &[4],
        8,
    );
    assert_eq!(out, vec![0, 0, 5, 1000]);
    assert_eq!(wit.num_lookups(), 4);
}
