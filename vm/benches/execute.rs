//! Execution benchmarks on synthetic programs of nanoGPT-like sizes (the real nanoGPT benchmark
//! lives in `host/`): one `[64, 64] × [64, 256]` matmul, a 4-layer MLP, and a 4-layer
//! transformer (T = 64, C = 64, 4 heads, MLP 256, vocabulary 65).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use atlas_isa::{
    EinsumSpec, Instr, Program, Role, Table, TableFn, TensorData, TensorId, TensorInfo, Weights,
};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Fixed-point bits of activations and weights.
const S: u32 = 8;

struct Builder {
    program: Program,
    weights: Weights,
    rng: ChaCha8Rng,
}

impl Builder {
    fn new() -> Self {
        Self {
            program: Program::default(),
            weights: Weights::default(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    fn tensor(&mut self, shape: &[usize], scale: u32, role: Role) -> TensorId {
        self.program.tensors.push(TensorInfo {
            name: String::new(),
            shape: shape.to_vec(),
            scale,
            role,
        });
        TensorId(self.program.tensors.len() as u32 - 1)
    }

    fn input(&mut self, shape: &[usize]) -> TensorId {
        let id = self.tensor(shape, S, Role::Input);
        self.program.inputs.push(id);
        id
    }

    /// A weight with values in ±0.5.
    fn weight(&mut self, shape: &[usize]) -> TensorId {
        let id = self.tensor(shape, S, Role::Weight);
        let n = shape.iter().product();
        let values = (0..n).map(|_| self.rng.gen_range(-128..=128)).collect();
        self.weights.tensors.push(TensorData { id, values });
        id
    }

    fn constant(&mut self, shape: &[usize], values: Vec<i64>) -> TensorId {
        let id = self.tensor(shape, S, Role::Constant);
        self.program.constants.push(TensorData { id, values });
        id
    }

    fn op(
        &mut self,
        shape: &[usize],
        scale: u32,
        make: impl FnOnce(TensorId) -> Instr,
    ) -> TensorId {
        let out = self.tensor(shape, scale, Role::Intermediate);
        self.program.instrs.push(make(out));
        out
    }

    fn shape(&self, id: TensorId) -> Vec<usize> {
        self.program.tensor(id).shape.clone()
    }

    /// `einsum(a, b)` rescaled back to scale `S`.
    fn contract(&mut self, a: TensorId, b: TensorId, spec: &str, shape: &[usize]) -> TensorId {
        let (ins, o) = spec.split_once("->").unwrap();
        let (sa, sb) = ins.split_once(',').unwrap();
        let spec = EinsumSpec {
            a: sa.into(),
            b: sb.into(),
            out: o.into(),
        };
        let wide = self.op(shape, 2 * S, |out| Instr::Einsum { a, b, spec, out });
        self.op(shape, S, |out| Instr::Rescale {
            x: wide,
            shift: S,
            out,
        })
    }

    fn linear(&mut self, x: TensorId, n: usize) -> TensorId {
        let [t, c] = self.shape(x)[..] else {
            panic!("linear on a matrix")
        };
        let w = self.weight(&[c, n]);
        self.contract(x, w, "tc,cn->tn", &[t, n])
    }

    fn lookup(&mut self, x: TensorId, func: TableFn) -> TensorId {
        let table = Table {
            func,
            in_scale: S,
            out_scale: S,
            domain: (-8 << S, 8 << S),
        };
        let shape = self.shape(x);
        self.op(&shape, S, |out| Instr::Lookup { x, table, out })
    }

    fn binary(
        &mut self,
        a: TensorId,
        b: TensorId,
        make: fn(TensorId, TensorId, TensorId) -> Instr,
    ) -> TensorId {
        let shape = self.shape(a);
        self.op(&shape, S, |out| make(a, b, out))
    }

    fn finish(mut self, out: TensorId) -> (Program, Weights, Vec<Vec<i64>>) {
        self.program.tensors[out.index()].role = Role::Output;
        self.program.outputs.push(out);
        self.program.validate().expect("benchmark program is valid");
        let inputs = self
            .program
            .inputs
            .clone()
            .iter()
            .map(|&id| {
                (0..self.program.tensor(id).len())
                    .map(|_| self.rng.gen_range(-256..=256))
                    .collect()
            })
            .collect();
        (self.program, self.weights, inputs)
    }
}

fn matmul() -> (Program, Weights, Vec<Vec<i64>>) {
    let mut b = Builder::new();
    let x = b.input(&[64, 64]);
    let y = b.linear(x, 256);
    b.finish(y)
}

fn mlp() -> (Program, Weights, Vec<Vec<i64>>) {
    let mut b = Builder::new();
    let mut x = b.input(&[64, 256]);
    for _ in 0..4 {
        let h = b.linear(x, 256);
        x = b.lookup(h, TableFn::Relu);
    }
    b.finish(x)
}

fn transformer() -> (Program, Weights, Vec<Vec<i64>>) {
    let (t, c, heads, hidden, vocab) = (64, 64, 4, 256, 65);
    let d = c / heads;
    let mut b = Builder::new();
    let mut x = b.input(&[t, c]);
    let mask: Vec<i64> = (0..t * t)
        .map(|i| if i % t > i / t { -32 << S } else { 0 })
        .collect();
    let mask = b.constant(&[t, t], mask);
    let exp = Table {
        func: TableFn::Exp,
        in_scale: S,
        out_scale: S,
        domain: (-16 << S, 0),
    };
    for _ in 0..4 {
        // Attention.
        let n = b.op(&[t, c], S, |out| Instr::RmsNorm {
            x,
            axis: 1,
            eps: 1,
            out,
        });
        let qkv = b.linear(n, 3 * c);
        let heads_of = |b: &mut Builder, part: usize| {
            let s = b.op(&[t, c], S, |out| Instr::Slice {
                x: qkv,
                axis: 1,
                start: part * c,
                end: (part + 1) * c,
                step: 1,
                out,
            });
            let r = b.op(&[t, heads, d], S, |out| Instr::Reshape { x: s, out });
            b.op(&[heads, t, d], S, |out| Instr::Transpose {
                x: r,
                perm: vec![1, 0, 2],
                out,
            })
        };
        let (q, k, v) = (
            heads_of(&mut b, 0),
            heads_of(&mut b, 1),
            heads_of(&mut b, 2),
        );
        let att = b.contract(q, k, "hqd,hkd->hqk", &[heads, t, t]);
        let att = b.op(&[heads, t, t], S, |out| Instr::Add {
            a: att,
            b: mask,
            out,
        });
        let exp = exp.clone();
        let p = b.op(&[heads, t, t], S, |out| Instr::Softmax {
            x: att,
            axis: 2,
            exp,
            out,
        });
        let y = b.contract(p, v, "hqk,hkd->qhd", &[t, heads, d]);
        let y = b.op(&[t, c], S, |out| Instr::Reshape { x: y, out });
        let y = b.linear(y, c);
        x = b.binary(x, y, |a, b, out| Instr::Add { a, b, out });
        // MLP.
        let n = b.op(&[t, c], S, |out| Instr::RmsNorm {
            x,
            axis: 1,
            eps: 1,
            out,
        });
        let h = b.linear(n, hidden);
        let h = b.lookup(h, TableFn::Gelu);
        let h = b.linear(h, c);
        x = b.binary(x, h, |a, b, out| Instr::Add { a, b, out });
    }
    let logits = b.linear(x, vocab);
    b.finish(logits)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("execute");
    group.sample_size(20);
    for (name, (program, weights, inputs)) in [
        ("matmul_64x64x256", matmul()),
        ("mlp_4x256", mlp()),
        ("transformer_4_layers", transformer()),
    ] {
        let trace =
            atlas_vm::execute(&program, &weights, &inputs).expect("benchmark program executes");
        eprintln!(
            "{name}: {} instructions, {} weights, {} lookups, {} range checks",
            program.instrs.len(),
            weights.num_params(),
            trace.num_lookups(),
            trace.num_range_checks()
        );
        group.bench_function(name, |bch| {
            bch.iter(|| atlas_vm::execute(&program, &weights, &inputs).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
