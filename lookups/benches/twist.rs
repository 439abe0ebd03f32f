//! Twist prover: commitments to the address chunks and `Inc` plus both sumcheck stages, for
//! `2^16` read/write operations on `2^16` and on `2^20` cells.
#![allow(missing_docs)]

mod common;

use atlas_lookups::shout::Chunking;
use atlas_lookups::twist;
use common::RandomMemory;
use criterion::{criterion_group, criterion_main, Criterion};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::transcript::Transcript;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("twist");
    group.sample_size(10);
    for (log_k, log_t) in [(16usize, 16usize), (20, 16)] {
        let memory = RandomMemory::new(log_k, log_t);
        let (trace, statement) = (&memory.trace, memory.statement());
        let params = trace.params(Chunking::Auto).unwrap();
        let (setup, _) = DoryScheme::setup(params.commitment_vars());
        group.bench_function(format!("2^{log_t} ops on 2^{log_k} cells"), |b| {
            b.iter(|| {
                let mut transcript = Transcript::new(b"bench");
                let (_, witness) =
                    twist::commit::<DoryScheme>(&setup, trace, Chunking::Auto, &mut transcript)
                        .unwrap();
                twist::prove(&witness, &statement, &mut transcript).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
