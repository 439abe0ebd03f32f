//! A small reference interpreter of the ISA's integer semantics, for the frontend's own accuracy
//! tests (the VM crate is the real executor).

use atlas_isa::fixed::{isqrt, round_div, round_shift};
use atlas_isa::tensor::{broadcast_shapes, numel, strides};
use atlas_isa::{Instr, Program, Weights, Window};

/// Flat index into a tensor of `shape` for an output multi-index `idx` of a (broadcast) output
/// of rank `idx.len()`.
fn bidx(shape: &[usize], idx: &[usize]) -> usize {
    let off = idx.len() - shape.len();
    let mut f = 0;
    for (i, &d) in shape.iter().enumerate() {
        f = f * d + if d == 1 { 0 } else { idx[off + i] };
    }
    f
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for k in (0..shape.len()).rev() {
        idx[k] = i % shape[k];
        i /= shape[k];
    }
    idx
}

fn binary(
    sa: &[usize],
    a: &[i64],
    sb: &[usize],
    b: &[i64],
    f: impl Fn(i64, i64) -> i64,
) -> Vec<i64> {
    let so = broadcast_shapes(sa, sb).expect("validated");
    (0..numel(&so))
        .map(|i| {
            let idx = unravel(i, &so);
            f(a[bidx(sa, &idx)], b[bidx(sb, &idx)])
        })
        .collect()
}

fn window_apply(
    xs: &[usize],
    x: &[i64],
    w: &Window,
    init: i64,
    f: impl Fn(i64, i64) -> i64,
    pad_value: Option<i64>,
) -> Vec<i64> {
    let dims = w.output_dims(&xs[2..]).expect("validated");
    let mut os = vec![xs[0], xs[1]];
    os.extend(&dims);
    let k = w.kernel.len();
    let mut out = vec![0; numel(&os)];
    for (o, v) in out.iter_mut().enumerate() {
        let oi = unravel(o, &os);
        let mut acc = init;
        for kk in 0..numel(&w.kernel) {
            let ki = unravel(kk, &w.kernel);
            let mut inside = true;
            let mut xi = vec![oi[0], oi[1]];
            for d in 0..k {
                let p =
                    (oi[2 + d] * w.strides[d] + ki[d] * w.dilations[d]) as i64 - w.pads[d].0 as i64;
                if p < 0 || p >= xs[2 + d] as i64 {
                    inside = false;
                }
                xi.push(p.max(0) as usize);
            }
            if inside {
                acc = f(acc, x[bidx(xs, &xi)]);
            } else if let Some(pv) = pad_value {
                acc = f(acc, pv);
            }
        }
        *v = acc;
    }
    out
}

/// Runs a program; returns every tensor's values.
pub fn run(p: &Program, w: &Weights, inputs: &[Vec<i64>]) -> Vec<Vec<i64>> {
    let mut t: Vec<Vec<i64>> = vec![Vec::new(); p.tensors.len()];
    for (&id, v) in p.inputs.iter().zip(inputs) {
        t[id.index()] = v.clone();
    }
    for c in &p.constants {
        t[c.id.index()] = c.values.clone();
    }
    for c in &w.tensors {
        t[c.id.index()] = c.values.clone();
    }
    let sh = |id: atlas_isa::TensorId| p.tensor(id).shape.clone();
    let sc = |id: atlas_isa::TensorId| p.tensor(id).scale;
    for instr in &p.instrs {
        let o = instr.output();
        let os = sh(o);
        let v: Vec<i64> = match instr {
            Instr::Einsum { a, b, spec, .. } => {
                let (sa, sb) = (sh(*a), sh(*b));
                let mut labels: Vec<char> = Vec::new();
                for c in spec.a.chars().chain(spec.b.chars()).chain(spec.out.chars()) {
                    if !labels.contains(&c) {
                        labels.push(c);
                    }
                }
                let ext: Vec<usize> = labels
                    .iter()
                    .map(|&l| {
                        let mut e = 1;
                        for (s, dims) in [(&spec.a, &sa), (&spec.b, &sb), (&spec.out, &os)] {
                            for (i, c) in s.chars().enumerate() {
                                if c == l {
                                    e = e.max(dims[i]);
                                }
                            }
                        }
                        e
                    })
                    .collect();
                let lstr = |s: &str, dims: &[usize]| -> Vec<usize> {
                    let st = strides(dims);
                    labels
                        .iter()
                        .map(|&l| {
                            s.chars()
                                .enumerate()
                                .filter(|&(i, c)| c == l && dims[i] != 1)
                                .map(|(i, _)| st[i])
                                .sum()
                        })
                        .collect()
                };
                let (la, lb, lo) = (lstr(&spec.a, &sa), lstr(&spec.b, &sb), lstr(&spec.out, &os));
                let (xa, xb) = (&t[a.index()], &t[b.index()]);
                let mut out = vec![0i64; numel(&os)];
                let total: usize = ext.iter().product();
                let mut idx = vec![0usize; labels.len()];
                let (mut ia, mut ib, mut io) = (0usize, 0usize, 0usize);
                for _ in 0..total {
                    out[io] += xa[ia] * xb[ib];
                    for k in (0..labels.len()).rev() {
                        idx[k] += 1;
                        ia += la[k];
                        ib += lb[k];
                        io += lo[k];
                        if idx[k] < ext[k] {
                            break;
                        }
                        ia -= la[k] * ext[k];
                        ib -= lb[k] * ext[k];
                        io -= lo[k] * ext[k];
                        idx[k] = 0;
                    }
                }
                out
            }
            Instr::Conv {
                x,
                w: k,
                window,
                group,
                ..
            } => {
                let (xs, ks) = (sh(*x), sh(*k));
                let (xv, kv) = (&t[x.index()], &t[k.index()]);
                let cg = ks[1];
                let mg = ks[0] / group;
                let nk = numel(&window.kernel);
                let mut out = vec![0i64; numel(&os)];
                for (oi, v) in out.iter_mut().enumerate() {
                    let idx = unravel(oi, &os);
                    let (nb, m) = (idx[0], idx[1]);
                    let g = m / mg;
                    let mut acc = 0i64;
                    for c in 0..cg {
                        for kk in 0..nk {
                            let ki = unravel(kk, &window.kernel);
                            let mut xi = vec![nb, g * cg + c];
                            let mut inside = true;
                            for d in 0..ki.len() {
                                let pos = (idx[2 + d] * window.strides[d]
                                    + ki[d] * window.dilations[d])
                                    as i64
                                    - window.pads[d].0 as i64;
                                if pos < 0 || pos >= xs[2 + d] as i64 {
                                    inside = false;
                                }
                                xi.push(pos.max(0) as usize);
                            }
                            if inside {
                                let mut kidx = vec![m, c];
                                kidx.extend(&ki);
                                acc += xv[bidx(&xs, &xi)] * kv[bidx(&ks, &kidx)];
                            }
                        }
                    }
                    *v = acc;
                }
                out
            }
            Instr::Add { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| x + y)
            }
            Instr::Sub { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| x - y)
            }
            Instr::Mul { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| x * y)
            }
            Instr::Max { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], i64::max)
            }
            Instr::Min { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], i64::min)
            }
            Instr::Equal { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| {
                    (x == y) as i64
                })
            }
            Instr::Less { a, b, .. } => {
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| {
                    (x < y) as i64
                })
            }
            Instr::Div { a, b, .. } => {
                let k = sc(o) + sc(*b) - sc(*a);
                binary(&sh(*a), &t[a.index()], &sh(*b), &t[b.index()], |x, y| {
                    assert!(y > 0, "division by {y}");
                    round_div((x as i128) << k, y as i128) as i64
                })
            }
            Instr::Where { cond, a, b, .. } => {
                let (sc_, sa, sb) = (sh(*cond), sh(*a), sh(*b));
                (0..numel(&os))
                    .map(|i| {
                        let idx = unravel(i, &os);
                        if t[cond.index()][bidx(&sc_, &idx)] != 0 {
                            t[a.index()][bidx(&sa, &idx)]
                        } else {
                            t[b.index()][bidx(&sb, &idx)]
                        }
                    })
                    .collect()
            }
            Instr::Neg { x, .. } => t[x.index()].iter().map(|v| -v).collect(),
            Instr::MulConst { x, c, .. } => t[x.index()].iter().map(|v| v * c).collect(),
            Instr::Rescale { x, shift, .. } => t[x.index()]
                .iter()
                .map(|&v| round_shift(v, *shift))
                .collect(),
            Instr::ReduceSum { x, axes, .. } | Instr::ReduceMax { x, axes, .. } => {
                let xs = sh(*x);
                let is_max = matches!(instr, Instr::ReduceMax { .. });
                let mut keep = xs.clone();
                for &a in axes {
                    keep[a] = 1;
                }
                let mut out = vec![if is_max { i64::MIN } else { 0 }; numel(&keep)];
                for (i, &v) in t[x.index()].iter().enumerate() {
                    let idx = unravel(i, &xs);
                    let j = bidx(&keep, &idx);
                    out[j] = if is_max { out[j].max(v) } else { out[j] + v };
                }
                out
            }
            Instr::SumPool { x, window, .. } => {
                window_apply(&sh(*x), &t[x.index()], window, 0, |a, b| a + b, Some(0))
            }
            Instr::MaxPool { x, window, .. } => {
                window_apply(&sh(*x), &t[x.index()], window, i64::MIN, i64::max, None)
            }
            Instr::Reshape { x, .. } => t[x.index()].clone(),
            Instr::Broadcast { x, .. } => {
                let xs = sh(*x);
                (0..numel(&os))
                    .map(|i| t[x.index()][bidx(&xs, &unravel(i, &os))])
                    .collect()
            }
            Instr::Transpose { x, perm, .. } => {
                let xs = sh(*x);
                let st = strides(&xs);
                (0..numel(&os))
                    .map(|i| {
                        let idx = unravel(i, &os);
                        let f: usize = perm.iter().enumerate().map(|(k, &p)| idx[k] * st[p]).sum();
                        t[x.index()][f]
                    })
                    .collect()
            }
            Instr::Slice {
                x,
                axis,
                start,
                step,
                ..
            } => {
                let xs = sh(*x);
                let st = strides(&xs);
                (0..numel(&os))
                    .map(|i| {
                        let mut idx = unravel(i, &os);
                        idx[*axis] = start + idx[*axis] * step;
                        t[x.index()][idx.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()]
                    })
                    .collect()
            }
            Instr::Concat { xs, axis, .. } => {
                let mut out = vec![0; numel(&os)];
                let mut off = 0;
                for x in xs {
                    let s = sh(*x);
                    let ost = strides(&os);
                    for (i, &v) in t[x.index()].iter().enumerate() {
                        let mut idx = unravel(i, &s);
                        idx[*axis] += off;
                        out[idx.iter().zip(&ost).map(|(a, b)| a * b).sum::<usize>()] = v;
                    }
                    off += s[*axis];
                }
                out
            }
            Instr::Pad { x, pads, value, .. } => {
                let xs = sh(*x);
                let ost = strides(&os);
                let mut out = vec![*value; numel(&os)];
                for (i, &v) in t[x.index()].iter().enumerate() {
                    let idx = unravel(i, &xs);
                    let f: usize = idx
                        .iter()
                        .zip(pads)
                        .zip(&ost)
                        .map(|((a, p), s)| (a + p.0) * s)
                        .sum();
                    out[f] = v;
                }
                out
            }
            Instr::Gather {
                data,
                indices,
                axis,
                ..
            } => {
                let ds = sh(*data);
                let is = sh(*indices);
                let st = strides(&ds);
                (0..numel(&os))
                    .map(|i| {
                        let idx = unravel(i, &os);
                        let pre = &idx[..*axis];
                        let mid = &idx[*axis..*axis + is.len()];
                        let post = &idx[*axis + is.len()..];
                        let mut j = t[indices.index()][bidx(&is, mid)];
                        if j < 0 {
                            j += ds[*axis] as i64;
                        }
                        let full: Vec<usize> = pre
                            .iter()
                            .copied()
                            .chain([j as usize])
                            .chain(post.iter().copied())
                            .collect();
                        t[data.index()][full.iter().zip(&st).map(|(a, b)| a * b).sum::<usize>()]
                    })
                    .collect()
            }
            Instr::Lookup { x, table, .. } => t[x.index()]
                .iter()
                .map(|&v| table.eval(v).expect("builtin"))
                .collect(),
            Instr::Sqrt { x, .. } => {
                let e = 2 * sc(o) - sc(*x);
                t[x.index()]
                    .iter()
                    .map(|&v| isqrt((v.max(0) as i128) << e) as i64)
                    .collect()
            }
            Instr::Softmax { x, axis, exp, .. } => rows(&sh(*x), *axis, &t[x.index()], |row| {
                let m = *row.iter().max().expect("non-empty");
                let e: Vec<i64> = row
                    .iter()
                    .map(|&v| exp.eval(v - m).expect("builtin"))
                    .collect();
                let sum: i128 = e.iter().map(|&v| v as i128).sum();
                e.iter()
                    .map(|&v| round_div((v as i128) << sc(o), sum) as i64)
                    .collect()
            }),
            Instr::RmsNorm { x, axis, eps, .. } => rows(&sh(*x), *axis, &t[x.index()], |row| {
                let n = row.len() as i128;
                let ss: i128 = row.iter().map(|&v| v as i128 * v as i128).sum();
                let ms = round_div(ss, n);
                let d = isqrt(ms + (*eps as i128).max(1));
                row.iter()
                    .map(|&v| round_div((v as i128) << sc(o), d) as i64)
                    .collect()
            }),
        };
        t[o.index()] = v;
    }
    t
}

/// Applies `f` to every 1-D row along `axis`.
fn rows(shape: &[usize], axis: usize, x: &[i64], f: impl Fn(&[i64]) -> Vec<i64>) -> Vec<i64> {
    let st = strides(shape);
    let n = shape[axis];
    let mut out = vec![0; x.len()];
    for base in 0..x.len() {
        if (base / st[axis]) % n != 0 {
            continue;
        }
        let row: Vec<i64> = (0..n).map(|k| x[base + k * st[axis]]).collect();
        for (k, v) in f(&row).into_iter().enumerate() {
            out[base + k * st[axis]] = v;
        }
    }
    out
}
