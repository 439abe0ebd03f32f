//! Benchmarks of the sumcheck engine: the degree-3 `Σ_x eq(τ, x)·A(x)·B(x)` prover (split eq
//! table, Gruen's factorisation) at 2^16, 2^20 and 2^22, the same at 2^20 from `i32` tables,
//! and the small-integer product
//! `mul_u64` against a plain field multiplication.

// `criterion_group!` generates undocumented functions.
#![allow(missing_docs)]

use ark_ff::UniformRand;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use jolt_core::field::{mul_u64, Fr};
use jolt_core::poly::{CompactMultilinear, DenseMultilinear};
use jolt_core::sumcheck::{BatchedSumcheck, EqProductProver};
use jolt_core::transcript::Transcript;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// Random inputs of `n` variables: `τ`, `A`, `B`.
fn inputs(n: usize) -> (Vec<Fr>, DenseMultilinear, DenseMultilinear) {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let tau: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    // Parallel generation: 2^22 sequential draws would dominate the setup time.
    let table = |seed: u64| -> DenseMultilinear {
        DenseMultilinear::new(
            (0..1usize << n)
                .into_par_iter()
                .map(|i| {
                    let mut r = ChaCha20Rng::seed_from_u64(seed ^ ((i as u64) << 8));
                    Fr::rand(&mut r)
                })
                .collect(),
        )
    };
    (tau, table(1), table(2))
}

fn bench_eq_ab(c: &mut Criterion) {
    let mut group = c.benchmark_group("sumcheck_eq_a_b_prove");
    group.sample_size(10);
    for n in [16usize, 20, 22] {
        let (tau, a, b) = inputs(n);
        // The claim is part of the statement; computing it is not part of proving.
        let claim = EqProductProver::compute_claim(&tau, &[a.clone(), b.clone()]);
        group.bench_function(format!("2^{n}"), |bench| {
            bench.iter_batched(
                || EqProductProver::new_with_claim(&tau, vec![a.clone(), b.clone()], claim),
                |mut prover| {
                    let mut t = Transcript::new(b"bench");
                    black_box(BatchedSumcheck::prove(&mut [&mut prover], &mut t))
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn bench_eq_ab_i32(c: &mut Criterion) {
    let mut group = c.benchmark_group("sumcheck_eq_a_b_i32_prove");
    group.sample_size(10);
    let n = 20usize;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let tau: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let a: Vec<i32> = (0..1 << n).map(|_| rand::Rng::gen(&mut rng)).collect();
    let b: Vec<i32> = (0..1 << n).map(|_| rand::Rng::gen(&mut rng)).collect();
    group.bench_function(format!("2^{n}"), |bench| {
        bench.iter_batched(
            || {
                EqProductProver::new_small(
                    &tau,
                    vec![
                        CompactMultilinear::new(a.clone(), 0),
                        CompactMultilinear::new(b.clone(), 0),
                    ],
                )
            },
            |mut prover| {
                let mut t = Transcript::new(b"bench");
                black_box(BatchedSumcheck::prove(&mut [&mut prover], &mut t))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn bench_small_mul(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let xs: Vec<Fr> = (0..1024).map(|_| Fr::rand(&mut rng)).collect();
    let ks: Vec<u64> = (0..1024)
        .map(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    let kf: Vec<Fr> = ks.iter().map(|k| Fr::from(*k)).collect();
    let mut group = c.benchmark_group("small_mul_1024");
    group.bench_function("mul_u64", |b| {
        b.iter(|| {
            xs.iter()
                .zip(&ks)
                .map(|(x, k)| mul_u64(x, *k))
                .fold(Fr::from(0u64), |a, y| a + y)
        })
    });
    group.bench_function("field_mul", |b| {
        b.iter(|| {
            xs.iter()
                .zip(&kf)
                .map(|(x, k)| *x * k)
                .fold(Fr::from(0u64), |a, y| a + y)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_eq_ab, bench_eq_ab_i32, bench_small_mul);
criterion_main!(benches);
