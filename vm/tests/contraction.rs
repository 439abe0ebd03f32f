//! Einsum and Conv against naive nested-loop references.

mod common;

use atlas_isa::instr::einsum_shape;
use atlas_isa::{EinsumSpec, Instr, Window};
use atlas_vm::{InstrWitness, VmError};
use common::*;
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;

fn spec(s: &str) -> EinsumSpec {
    let (ins, out) = s.split_once("->").expect("spec has an arrow");
    let (a, b) = ins.split_once(',').expect("spec has two operands");
    EinsumSpec {
        a: a.into(),
        b: b.into(),
        out: out.into(),
    }
}

/// Naive einsum: enumerate every assignment of every label.
fn naive_einsum(
    sp: &EinsumSpec,
    a: &[i64],
    sa: &[usize],
    b: &[i64],
    sb: &[usize],
) -> (Vec<i64>, Vec<usize>) {
    let la: Vec<char> = sp.a.chars().collect();
    let lb: Vec<char> = sp.b.chars().collect();
    let lo: Vec<char> = sp.out.chars().collect();
    let mut labels: Vec<char> = la.iter().chain(&lb).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let extent = |c: char| {
        la.iter()
            .zip(sa)
            .chain(lb.iter().zip(sb))
            .filter(|(l, _)| **l == c)
            .map(|(_, &d)| d)
            .max()
            .unwrap()
    };
    let ext: Vec<usize> = labels.iter().map(|&c| extent(c)).collect();
    let out_shape: Vec<usize> = lo.iter().map(|&c| extent(c)).collect();
    let mut out = vec![0i128; numel(&out_shape)];
    let pos = |c: char| labels.iter().position(|&l| l == c).unwrap();
    for flat in 0..numel(&ext) {
        let asg = unravel(flat, &ext);
        let idx = |ls: &[char], shape: &[usize]| -> usize {
            let i: Vec<usize> = ls
                .iter()
                .zip(shape)
                .map(|(&c, &d)| if d == 1 { 0 } else { asg[pos(c)] })
                .collect();
            ravel(&i, shape)
        };
        let o: Vec<usize> = lo.iter().map(|&c| asg[pos(c)]).collect();
        out[ravel(&o, &out_shape)] += a[idx(&la, sa)] as i128 * b[idx(&lb, sb)] as i128;
    }
    (out.into_iter().map(|v| v as i64).collect(), out_shape)
}

fn run_einsum(
    sp: &EinsumSpec,
    a: &[i64],
    sa: &[usize],
    b: &[i64],
    sb: &[usize],
) -> Result<Vec<i64>, VmError> {
    let out_shape = einsum_shape(sp, sa, sb).expect("valid spec");
    let sp2 = sp.clone();
    try_run1(
        &[input(sa, 4, a.to_vec()), weight(sb, 4, b.to_vec())],
        move |ids, out| Instr::Einsum {
            a: ids[0],
            b: ids[1],
            spec: sp2,
            out,
        },
        &out_shape,
        8,
    )
    .map(|(v, w)| {
        assert_eq!(w, InstrWitness::None);
        v
    })
}

fn check_einsum(s: &str, sa: &[usize], sb: &[usize], seed: u64) {
    let sp = spec(s);
    let mut r = rng(seed);
    let a = random(&mut r, numel(sa), 1000);
    let b = random(&mut r, numel(sb), 1000);
    let got = run_einsum(&sp, &a, sa, &b, sb).unwrap();
    let (want, _) = naive_einsum(&sp, &a, sa, &b, sb);
    assert_eq!(got, want, "einsum {s} {sa:?} {sb:?}");
}

#[test]
fn einsum_named_forms() {
    let cases: &[(&str, &[usize], &[usize])] = &[
        ("mk,kn->mn", &[5, 7], &[7, 3]),                   // matmul
        ("mk,nk->mn", &[5, 7], &[3, 7]),                   // transposed weight (Linear)
        ("km,kn->mn", &[7, 5], &[7, 3]),                   // transposed left operand
        ("mk,kn->nm", &[5, 7], &[7, 3]),                   // transposed output
        ("bmk,bkn->bmn", &[2, 4, 6], &[2, 6, 3]),          // batched
        ("bhqd,bhkd->bhqk", &[2, 3, 4, 5], &[2, 3, 6, 5]), // attention scores
        ("bhqk,bhkd->bhqd", &[2, 3, 4, 6], &[2, 3, 6, 5]), // attention values
        ("bmk,kn->bmn", &[3, 4, 6], &[6, 2]),              // batch on one side
        ("bmk,bkn->bmn", &[1, 4, 6], &[3, 6, 2]),          // broadcast batch
        ("i,j->ij", &[4], &[5]),                           // outer product
        ("i,i->", &[9], &[9]),                             // dot product
        ("ij,ij->i", &[4, 5], &[4, 5]),                    // row-wise dot
        ("ij,ij->ij", &[4, 5], &[1, 5]),                   // Hadamard with broadcast
        ("ij,jk->", &[3, 4], &[4, 5]),                     // full reduction
        ("ijk,k->i", &[3, 4, 5], &[5]),                    // summed label only in a
        ("i,jk->ij", &[3], &[4, 5]),                       // summed label only in b
        ("ii,i->i", &[4, 4], &[4]),                        // diagonal
        ("mk,kn->mn", &[1, 7], &[7, 1]),                   // degenerate extents
        ("mk,kn->mn", &[64, 64], &[64, 256]),              // nanoGPT-sized, parallel kernel
    ];
    for (i, (s, sa, sb)) in cases.iter().enumerate() {
        check_einsum(s, sa, sb, i as u64);
    }
}

/// A random valid spec with shapes: each label picks its operands, extents and broadcasting.
fn random_einsum(seed: u64) -> (EinsumSpec, Vec<usize>, Vec<usize>) {
    let mut r = rng(seed);
    let n = r.gen_range(1..=5);
    let mut la = Vec::new();
    let mut lb = Vec::new();
    let mut lo = Vec::new();
    let mut sa = Vec::new();
    let mut sb = Vec::new();
    for c in "abcdefgh".chars().take(n) {
        let e = r.gen_range(1..=4usize);
        let (in_a, in_b) = match r.gen_range(0..4) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        // Occasionally broadcast the label on one side.
        let bc = in_a && in_b && r.gen_bool(0.2);
        if in_a {
            la.push(c);
            sa.push(if bc && r.gen_bool(0.5) { 1 } else { e });
        }
        if in_b {
            lb.push(c);
            sb.push(if bc && *sa.last().unwrap_or(&e) != 1 && in_a {
                1
            } else {
                e
            });
        }
        if r.gen_bool(0.6) {
            lo.push(c);
        }
    }
    // Shuffle axis orders (labels together with their extents).
    let mut za: Vec<(char, usize)> = la.into_iter().zip(sa).collect();
    let mut zb: Vec<(char, usize)> = lb.into_iter().zip(sb).collect();
    za.shuffle(&mut r);
    zb.shuffle(&mut r);
    lo.shuffle(&mut r);
    let sp = EinsumSpec {
        a: za.iter().map(|p| p.0).collect(),
        b: zb.iter().map(|p| p.0).collect(),
        out: lo.into_iter().collect(),
    };
    (
        sp,
        za.iter().map(|p| p.1).collect(),
        zb.iter().map(|p| p.1).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn einsum_random_specs(seed in any::<u64>()) {
        let (sp, sa, sb) = random_einsum(seed);
        prop_assume!(einsum_shape(&sp, &sa, &sb).is_ok());
        let mut r = rng(seed ^ 0x5eed);
        let a = random(&mut r, numel(&sa), 1 << 20);
        let b = random(&mut r, numel(&sb), 1 << 20);
        let got = run_einsum(&sp, &a, &sa, &b, &sb).unwrap();
        let (want, _) = naive_einsum(&sp, &a, &sa, &b, &sb);
        prop_assert_eq!(got, want, "{:?} {:?} {:?}", sp, sa, sb);
    }
}

/// Values on both sides of the `f64` kernel's 2^53 bound, and up to the `i64` kernel's bound.
#[test]
fn einsum_is_exact_across_kernel_bounds() {
    let sp = spec("mk,kn->mn");
    let (sa, sb) = ([8usize, 64], [64usize, 8]);
    // K · max|a| · max|b| = 2^6 · 2^b · 2^b for b in 20, 23 (f64), 24, 28 (i64).
    for (seed, bits) in [20u32, 23, 24, 28].into_iter().enumerate() {
        let mut r = rng(seed as u64);
        let bound = 1i64 << bits;
        let mut a = random(&mut r, numel(&sa), bound);
        let mut b = random(&mut r, numel(&sb), bound);
        // Extreme values in row 0 and column 0, so sums reach the bound.
        a[..64].fill(bound);
        for kk in 0..64 {
            b[kk * 8] = bound - (kk as i64 % 2);
        }
        let got = run_einsum(&sp, &a, &sa, &b, &sb).unwrap();
        let (want, _) = naive_einsum(&sp, &a, &sa, &b, &sb);
        assert_eq!(got, want, "bound 2^{bits}");
    }
}

#[test]
fn einsum_wide_values_take_the_exact_i128_path() {
    // K · max|a| · max|b| = 4 · 2^62 exceeds i64, but the alternating sums fit.
    let big = 1i64 << 31;
    let a = vec![big, big, big, big];
    let b = vec![big, -big, big, -(big - 1)];
    let got = run_einsum(&spec("k,k->"), &a, &[4], &b, &[4]).unwrap();
    assert_eq!(got, vec![big]);
    let b = vec![big; 4];
    assert!(matches!(
        run_einsum(&spec("k,k->"), &a, &[4], &b, &[4]),
        Err(VmError::Overflow {
            instr: 0,
            op: "Einsum"
        })
    ));
}

/// Naive N-d convolution, ONNX semantics.
fn naive_conv(
    x: &[i64],
    sx: &[usize],
    w: &[i64],
    sw: &[usize],
    win: &Window,
    group: usize,
) -> (Vec<i64>, Vec<usize>) {
    let spatial = &sx[2..];
    let od = win.output_dims(spatial).unwrap();
    let (n, c, m) = (sx[0], sx[1], sw[0]);
    let (cg, mg) = (c / group, m / group);
    let mut os = vec![n, m];
    os.extend(&od);
    let mut out = vec![0i64; numel(&os)];
    for (flat, o) in out.iter_mut().enumerate() {
        let idx = unravel(flat, &os);
        let (img, oc) = (idx[0], idx[1]);
        let g = oc / mg;
        let mut acc = 0i64;
        for ci in 0..cg {
            for kf in 0..numel(&win.kernel) {
                let k = unravel(kf, &win.kernel);
                let mut xi = vec![img, g * cg + ci];
                let mut inside = true;
                for d in 0..spatial.len() {
                    let p = (idx[2 + d] * win.strides[d] + k[d] * win.dilations[d]) as i64
                        - win.pads[d].0 as i64;
                    inside &= p >= 0 && (p as usize) < spatial[d];
                    xi.push(p.max(0) as usize);
                }
                if inside {
                    let mut wi = vec![oc, ci];
                    wi.extend(&k);
                    acc += x[ravel(&xi, sx)] * w[ravel(&wi, sw)];
                }
            }
        }
        *o = acc;
    }
    (out, os)
}

fn random_window(r: &mut impl Rng, rank: usize) -> (Window, Vec<usize>) {
    let kernel: Vec<usize> = (0..rank).map(|_| r.gen_range(1..=3)).collect();
    let dilations: Vec<usize> = (0..rank).map(|_| r.gen_range(1..=2)).collect();
    let strides: Vec<usize> = (0..rank).map(|_| r.gen_range(1..=3)).collect();
    let pads: Vec<(usize, usize)> = kernel
        .iter()
        .map(|&k| (r.gen_range(0..k), r.gen_range(0..k)))
        .collect();
    let spatial: Vec<usize> = (0..rank)
        .map(|d| dilations[d] * (kernel[d] - 1) + 1 + r.gen_range(0..5))
        .collect();
    (
        Window {
            kernel,
            strides,
            dilations,
            pads,
        },
        spatial,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn conv_matches_naive(seed in any::<u64>()) {
        let mut r = rng(seed);
        let rank = r.gen_range(1..=2);
        let (win, spatial) = random_window(&mut r, rank);
        let group = r.gen_range(1..=3);
        let (n, cg, mg) = (r.gen_range(1..=2), r.gen_range(1..=3), r.gen_range(1..=3));
        let mut sx = vec![n, cg * group];
        sx.extend(&spatial);
        let mut sw = vec![mg * group, cg];
        sw.extend(&win.kernel);
        let x = random(&mut r, numel(&sx), 500);
        let w = random(&mut r, numel(&sw), 500);
        let (want, os) = naive_conv(&x, &sx, &w, &sw, &win, group);
        let win2 = win.clone();
        let (got, _) = run1(
            &[input(&sx, 4, x), weight(&sw, 4, w)],
            move |ids, out| Instr::Conv { x: ids[0], w: ids[1], window: win2, group, out },
            &os,
            8,
        );
        prop_assert_eq!(got, want);
    }
}

#[test]
fn conv_overflow_is_reported() {
    let x = vec![i64::MAX / 2; 4];
    let w = vec![3; 4];
    let win = Window {
        kernel: vec![2, 2],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![(0, 0), (0, 0)],
    };
    let err = try_run1(
        &[input(&[1, 1, 2, 2], 0, x), weight(&[1, 1, 2, 2], 0, w)],
        |ids, out| Instr::Conv {
            x: ids[0],
            w: ids[1],
            window: win,
            group: 1,
            out,
        },
        &[1, 1, 1, 1],
        0,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        VmError::Overflow {
            instr: 0,
            op: "Conv"
        }
    ));
}
