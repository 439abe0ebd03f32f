//! Dory commitment and opening costs at 2^16 and 2^20 evaluations.
//!
//! `cargo bench -p jolt-core --bench dory`. Commitments: full-width field elements, uniformly
//! random `i32` values, and a one-hot table with `K = 16` addresses (`2^16` non-zeros among
//! `2^20` entries at the large size), also in rows twice as wide (`σ = n/2 + 1`); openings:
//! prove and verify of a full-width table; decoding: the GT membership check of a commitment.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use jolt_core::field::Fr;
use jolt_core::pcs::dory::DoryCommitment;
use jolt_core::pcs::{CommitmentScheme, DoryScheme, OneHotLayout, OneHotPolynomial};
use jolt_core::poly::DenseMultilinear;
use jolt_core::transcript::Transcript;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

const SIZES: [usize; 2] = [16, 20];
const ONE_HOT_ADDRESSES: usize = 16;

fn bench_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("dory_commit");
    group.sample_size(10);
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    for num_vars in SIZES {
        let (pk, _) = DoryScheme::setup(num_vars);
        let n = 1usize << num_vars;
        let dense: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let small: Vec<i32> = (0..n).map(|_| rng.gen()).collect();
        let addresses: Vec<Option<u32>> = (0..n / ONE_HOT_ADDRESSES)
            .map(|_| Some(rng.gen_range(0..ONE_HOT_ADDRESSES as u32)))
            .collect();
        let one_hot =
            OneHotPolynomial::new(ONE_HOT_ADDRESSES, &addresses, OneHotLayout::AddressMajor)
                .expect("K and T are powers of two");

        group.bench_function(BenchmarkId::new("full_width", num_vars), |b| {
            b.iter(|| DoryScheme::commit(&pk, &dense).expect("fits the setup"))
        });
        group.bench_function(BenchmarkId::new("i32", num_vars), |b| {
            b.iter(|| DoryScheme::commit_small(&pk, &small).expect("fits the setup"))
        });
        group.bench_function(BenchmarkId::new("one_hot_k16", num_vars), |b| {
            b.iter(|| DoryScheme::commit_one_hot(&pk, &one_hot).expect("fits the setup"))
        });
        // The same table in rows twice as wide (half as many Miller loops), as a program
        // committing many such tables chooses (`dory::sigma_for_tables`).
        let (wide, _) = DoryScheme::setup(num_vars + 2);
        group.bench_function(BenchmarkId::new("one_hot_k16_wide", num_vars), |b| {
            b.iter(|| DoryScheme::commit_one_hot(&wide, &one_hot).expect("fits the setup"))
        });
    }
    group.finish();
}

fn bench_open(c: &mut Criterion) {
    let mut group = c.benchmark_group("dory_open");
    group.sample_size(10);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for num_vars in SIZES {
        let (pk, vk) = DoryScheme::setup(num_vars);
        let evals: Vec<Fr> = (0..1usize << num_vars)
            .map(|_| Fr::rand(&mut rng))
            .collect();
        let point: Vec<Fr> = (0..num_vars).map(|_| Fr::rand(&mut rng)).collect();
        let (commitment, hint) = DoryScheme::commit(&pk, &evals).expect("fits the setup");
        let prove = || {
            DoryScheme::prove(&pk, &evals, &point, &hint, &mut Transcript::new(b"bench"))
                .expect("honest proof")
        };
        let proof = prove();
        let eval = DenseMultilinear::new(evals.clone()).evaluate(&point);
        let verify = || {
            DoryScheme::verify(
                &vk,
                &commitment,
                &point,
                &eval,
                &proof,
                &mut Transcript::new(b"bench"),
            )
        };
        verify().expect("honest proof verifies");

        group.bench_function(BenchmarkId::new("prove", num_vars), |b| b.iter(prove));
        group.bench_function(BenchmarkId::new("verify", num_vars), |b| b.iter(verify));
    }
    group.finish();
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("dory_decode");
    let (pk, _) = DoryScheme::setup(4);
    let (commitment, _) = DoryScheme::commit_small(&pk, &[1i32, 2, 3, 4]).expect("fits");
    let mut bytes = Vec::new();
    commitment
        .serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    group.bench_function("commitment_checked", |b| {
        b.iter(|| DoryCommitment::deserialize_compressed(&bytes[..]).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, bench_commit, bench_open, bench_decode);
criterion_main!(benches);
