//! Shout prover: commitments to the one-hot chunks plus the batched sumcheck, for `T` lookups
//! into a materialized 2^16-entry table and into the 32-bit ReLU table (prefix–suffix).
#![allow(missing_docs)]

use atlas_lookups::shout::{self, Chunking, Lookups, ReadClaim, DEFAULT_LOG_CHUNK};
use atlas_lookups::tables::{ClampedTable, ReluTable};
use atlas_lookups::LookupTable;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::transcript::Transcript;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn prove_once(
    setup: &<DoryScheme as CommitmentScheme>::ProverSetup,
    table: &dyn LookupTable,
    keys: &[u64],
    values: &[Fr],
) {
    let mut transcript = Transcript::new(b"bench");
    let lookups = [Lookups { table, keys }];
    let (_, witness) =
        shout::commit::<DoryScheme>(setup, &lookups, Chunking::Auto, &mut transcript).unwrap();
    let r_cycle = transcript.challenge_scalars(b"r_cycle", keys.len().trailing_zeros() as usize);
    let rv = atlas_lookups::poly::mle_eval(values, &r_cycle);
    shout::prove(&witness, &[ReadClaim::at(r_cycle, rv)], &mut transcript).unwrap();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("shout");
    group.sample_size(10);
    let relu = ReluTable::i32();
    let table16 = ClampedTable::from_isa(&atlas_isa::Table {
        func: atlas_isa::TableFn::Tanh,
        in_scale: 12,
        out_scale: 12,
        domain: (-(1 << 15), (1 << 15) - 1),
    })
    .unwrap();
    let tables: [(&str, &dyn LookupTable); 2] = [("table_2^16", &table16), ("relu_i32", &relu)];
    for log_t in [16usize, 20] {
        let (setup, _) = DoryScheme::setup(DEFAULT_LOG_CHUNK + log_t);
        for (name, table) in tables {
            let mut rng = ChaCha20Rng::seed_from_u64(log_t as u64);
            let keys: Vec<u64> = (0..1usize << log_t)
                .map(|_| rng.gen_range(0..1u64 << table.log_k()))
                .collect();
            let values: Vec<Fr> = keys.iter().map(|k| from_i64(table.value(*k))).collect();
            group.bench_with_input(
                BenchmarkId::new(name, format!("2^{log_t}")),
                &keys,
                |b, keys| b.iter(|| prove_once(&setup, table, keys, &values)),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
