//! Data movement, reductions and pools against naive index math.

mod common;

use atlas_isa::{Instr, Window};
use atlas_vm::{InstrWitness, VmError};
use common::*;
use rand::seq::SliceRandom;
use rand::Rng;

#[test]
fn reshape_keeps_row_major_order() {
    let x: Vec<i64> = (0..24).collect();
    let (got, _) = run1(
        &[input(&[2, 3, 4], 1, x.clone())],
        |ids, out| Instr::Reshape { x: ids[0], out },
        &[6, 4],
        1,
    );
    assert_eq!(got, x);
}

#[test]
fn transpose_matches_naive() {
    let mut r = rng(1);
    for rank in 1..=5 {
        let shape: Vec<usize> = (0..rank).map(|_| r.gen_range(1..=4)).collect();
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.shuffle(&mut r);
        let x = random(&mut r, numel(&shape), 100);
        let os: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let p2 = perm.clone();
        let (got, _) = run1(
            &[input(&shape, 0, x.clone())],
            |ids, out| Instr::Transpose {
                x: ids[0],
                perm: p2,
                out,
            },
            &os,
            0,
        );
        for (i, &g) in got.iter().enumerate() {
            let oi = unravel(i, &os);
            let mut xi = vec![0; rank];
            for (d, &p) in perm.iter().enumerate() {
                xi[p] = oi[d];
            }
            assert_eq!(g, x[ravel(&xi, &shape)]);
        }
    }
}

#[test]
fn slice_matches_naive() {
    let mut r = rng(2);
    let shape = [4, 7, 3];
    let x = random(&mut r, numel(&shape), 100);
    for _ in 0..30 {
        let axis = r.gen_range(0..3);
        let start = r.gen_range(0..=shape[axis]);
        let end = r.gen_range(start..=shape[axis]);
        let step = r.gen_range(1..=3);
        let mut os = shape.to_vec();
        os[axis] = (end - start).div_ceil(step);
        let (got, _) = run1(
            &[input(&shape, 0, x.clone())],
            |ids, out| Instr::Slice {
                x: ids[0],
                axis,
                start,
                end,
                step,
                out,
            },
            &os,
            0,
        );
        assert_eq!(got.len(), numel(&os));
        for (i, &g) in got.iter().enumerate() {
            let mut xi = unravel(i, &os);
            xi[axis] = start + xi[axis] * step;
            assert_eq!(g, x[ravel(&xi, &shape)]);
        }
    }
}

#[test]
fn concat_matches_naive() {
    let mut r = rng(3);
    for axis in 0..3 {
        let extents = [2usize, 1, 3];
        let shapes: Vec<Vec<usize>> = extents
            .iter()
            .map(|&e| {
                let mut s = vec![2, 3, 4];
                s[axis] = e;
                s
            })
            .collect();
        let xs: Vec<Vec<i64>> = shapes
            .iter()
            .map(|s| random(&mut r, numel(s), 100))
            .collect();
        let mut os = vec![2, 3, 4];
        os[axis] = 6;
        let args: Vec<Arg> = shapes
            .iter()
            .zip(&xs)
            .map(|(s, x)| input(s, 2, x.clone()))
            .collect();
        let (got, _) = run1(
            &args,
            |ids, out| Instr::Concat {
                xs: ids.to_vec(),
                axis,
                out,
            },
            &os,
            2,
        );
        for (i, &g) in got.iter().enumerate() {
            let mut oi = unravel(i, &os);
            let mut which = 0;
            while oi[axis] >= extents[which] {
                oi[axis] -= extents[which];
                which += 1;
            }
            assert_eq!(g, xs[which][ravel(&oi, &shapes[which])]);
        }
    }
}

#[test]
fn broadcast_matches_naive() {
    let mut r = rng(4);
    for (s, os) in [
        (&[3, 1][..], &[2, 3, 4][..]),
        (&[1], &[5]),
        (&[2, 1, 3], &[2, 4, 3]),
        (&[], &[2, 2]),
    ] {
        let x = random(&mut r, numel(s), 100);
        let (got, _) = run1(
            &[input(s, 0, x.clone())],
            |ids, out| Instr::Broadcast { x: ids[0], out },
            os,
            0,
        );
        for (i, &g) in got.iter().enumerate() {
            assert_eq!(g, x[bcast_index(&unravel(i, os), s)]);
        }
    }
}

#[test]
fn pad_matches_naive() {
    let mut r = rng(5);
    let shape = [2, 3, 2];
    let pads = vec![(1, 0), (0, 2), (2, 1)];
    let x = random(&mut r, 12, 100);
    let os: Vec<usize> = shape
        .iter()
        .zip(&pads)
        .map(|(d, (b, a))| d + b + a)
        .collect();
    let p2 = pads.clone();
    let (got, _) = run1(
        &[input(&shape, 0, x.clone())],
        |ids, out| Instr::Pad {
            x: ids[0],
            pads: p2,
            value: -9,
            out,
        },
        &os,
        0,
    );
    for (i, &g) in got.iter().enumerate() {
        let oi = unravel(i, &os);
        let xi: Option<Vec<usize>> = oi
            .iter()
            .zip(&pads)
            .zip(&shape)
            .map(|((&o, &(b, _)), &d)| (o >= b && o - b < d).then(|| o - b))
            .collect();
        assert_eq!(g, xi.map_or(-9, |xi| x[ravel(&xi, &shape)]));
    }
}

#[test]
fn gather_matches_naive_with_negative_indices() {
    let mut r = rng(6);
    let shape = [3, 5, 2];
    let x = random(&mut r, 30, 100);
    for axis in 0..3 {
        let len = shape[axis] as i64;
        let idx: Vec<i64> = (0..6).map(|_| r.gen_range(-len..len)).collect();
        let mut os = shape[..axis].to_vec();
        os.extend([2, 3]);
        os.extend(&shape[axis + 1..]);
        let (got, w) = run1(
            &[
                input(&shape, 3, x.clone()),
                constant(&[2, 3], 0, idx.clone()),
            ],
            |ids, out| Instr::Gather {
                data: ids[0],
                indices: ids[1],
                axis,
                out,
            },
            &os,
            3,
        );
        let resolved: Vec<u32> = idx.iter().map(|&i| i.rem_euclid(len) as u32).collect();
        assert_eq!(
            w,
            InstrWitness::Gather {
                indices: resolved.clone()
            }
        );
        for (i, &g) in got.iter().enumerate() {
            let oi = unravel(i, &os);
            let j = ravel(&oi[axis..axis + 2], &[2, 3]);
            let mut xi = oi[..axis].to_vec();
            xi.push(resolved[j] as usize);
            xi.extend(&oi[axis + 2..]);
            assert_eq!(g, x[ravel(&xi, &shape)]);
        }
    }
}

/// Every sorted, non-empty subset of `0..rank`.
fn axis_sets(rank: usize) -> Vec<Vec<usize>> {
    (1..1usize << rank)
        .map(|m| (0..rank).filter(|a| m >> a & 1 == 1).collect())
        .collect()
}

#[test]
fn reductions_match_naive() {
    let mut r = rng(7);
    let shape = [3, 4, 2];
    let x = random(&mut r, 24, 5);
    for axes in axis_sets(3) {
        for keep_dims in [false, true] {
            let os: Vec<usize> = (0..3)
                .filter_map(|a| match (axes.contains(&a), keep_dims) {
                    (false, _) => Some(shape[a]),
                    (true, true) => Some(1),
                    (true, false) => None,
                })
                .collect();
            let a2 = axes.clone();
            let (sum, _) = run1(
                &[input(&shape, 0, x.clone())],
                |ids, out| Instr::ReduceSum {
                    x: ids[0],
                    axes: a2,
                    keep_dims,
                    out,
                },
                &os,
                0,
            );
            let a2 = axes.clone();
            let (max, w) = run1(
                &[input(&shape, 0, x.clone())],
                |ids, out| Instr::ReduceMax {
                    x: ids[0],
                    axes: a2,
                    keep_dims,
                    out,
                },
                &os,
                0,
            );
            let InstrWitness::ArgMax { argmax } = w else {
                panic!("argmax witness")
            };
            let kept: Vec<usize> = (0..3).filter(|a| !axes.contains(a)).collect();
            let ks: Vec<usize> = kept.iter().map(|&a| shape[a]).collect();
            let mut want_sum = vec![0i64; numel(&ks)];
            let mut want_arg = vec![usize::MAX; numel(&ks)];
            for (i, &v) in x.iter().enumerate() {
                let xi = unravel(i, &shape);
                let o = ravel(&kept.iter().map(|&a| xi[a]).collect::<Vec<_>>(), &ks);
                want_sum[o] += v;
                if want_arg[o] == usize::MAX || v > x[want_arg[o]] {
                    want_arg[o] = i;
                }
            }
            assert_eq!(sum, want_sum, "axes {axes:?}");
            assert_eq!(
                argmax.iter().map(|&a| a as usize).collect::<Vec<_>>(),
                want_arg
            );
            assert_eq!(max, want_arg.iter().map(|&a| x[a]).collect::<Vec<_>>());
        }
    }
}

/// Naive pool: per (plane, output position), the in-bounds input positions of the window.
fn window_members(spatial: &[usize], win: &Window) -> Vec<Vec<usize>> {
    let od = win.output_dims(spatial).unwrap();
    (0..numel(&od))
        .map(|p| {
            let o = unravel(p, &od);
            (0..numel(&win.kernel))
                .filter_map(|k| {
                    let k = unravel(k, &win.kernel);
                    let c: Option<Vec<usize>> = (0..spatial.len())
                        .map(|d| {
                            let c = (o[d] * win.strides[d] + k[d] * win.dilations[d]) as i64
                                - win.pads[d].0 as i64;
                            (c >= 0 && (c as usize) < spatial[d]).then_some(c as usize)
                        })
                        .collect();
                    c.map(|c| ravel(&c, spatial))
                })
                .collect()
        })
        .collect()
}

#[test]
fn pools_match_naive() {
    let mut r = rng(8);
    for case in 0..40 {
        let rank = 1 + case % 2;
        let kernel: Vec<usize> = (0..rank).map(|_| r.gen_range(1..=3)).collect();
        let win = Window {
            strides: (0..rank).map(|_| r.gen_range(1..=2)).collect(),
            dilations: (0..rank).map(|_| r.gen_range(1..=2)).collect(),
            pads: kernel
                .iter()
                .map(|&k| (r.gen_range(0..k), r.gen_range(0..k)))
                .collect(),
            kernel,
        };
        let spatial: Vec<usize> = (0..rank)
            .map(|d| win.dilations[d] * (win.kernel[d] - 1) + 1 + r.gen_range(0..4))
            .collect();
        let mut shape = vec![2, 3];
        shape.extend(&spatial);
        let mut os = vec![2, 3];
        os.extend(win.output_dims(&spatial).unwrap());
        // Negative values: padding (0 for SumPool) must never win a MaxPool.
        let x: Vec<i64> = (0..numel(&shape)).map(|_| r.gen_range(-50..=-1)).collect();
        let members = window_members(&spatial, &win);
        let s = numel(&spatial);
        let w2 = win.clone();
        let (sum, _) = run1(
            &[input(&shape, 0, x.clone())],
            |ids, out| Instr::SumPool {
                x: ids[0],
                window: w2,
                out,
            },
            &os,
            0,
        );
        let w2 = win.clone();
        let (max, w) = run1(
            &[input(&shape, 0, x.clone())],
            |ids, out| Instr::MaxPool {
                x: ids[0],
                window: w2,
                out,
            },
            &os,
            0,
        );
        let InstrWitness::ArgMax { argmax } = w else {
            panic!("argmax witness")
        };
        for plane in 0..6 {
            for (p, m) in members.iter().enumerate() {
                let o = plane * members.len() + p;
                assert_eq!(sum[o], m.iter().map(|&i| x[plane * s + i]).sum::<i64>());
                let want = m.iter().map(|&i| x[plane * s + i]).max().unwrap();
                assert_eq!(max[o], want);
                let a = argmax[o] as usize;
                assert_eq!(x[a], want);
                assert!(m.contains(&(a - plane * s)));
            }
        }
    }
}

#[test]
fn max_pool_window_in_padding_is_an_error() {
    let win = Window {
        kernel: vec![1],
        strides: vec![1],
        dilations: vec![1],
        pads: vec![(1, 0)],
    };
    let err = try_run1(
        &[input(&[1, 1, 2], 0, vec![1, 2])],
        |ids, out| Instr::MaxPool {
            x: ids[0],
            window: win,
            out,
        },
        &[1, 1, 3],
        0,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        VmError::EmptyReduction {
            instr: 0,
            op: "MaxPool"
        }
    ));
}
