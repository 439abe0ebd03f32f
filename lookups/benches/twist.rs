//! Twist prover: commitments to the address chunks and `Inc` plus both sumcheck stages, for
//! `2^16` read/write operations on `2^16` and on `2^20` cells.
#![allow(missing_docs)]

use atlas_lookups::shout::Chunking;
use atlas_lookups::twist::{self, MemoryTrace, TwistStatement};
use criterion::{criterion_group, criterion_main, Criterion};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::transcript::Transcript;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("twist");
    group.sample_size(10);
    for (log_k, log_t) in [(16usize, 16usize), (20, 16)] {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (k, t) = (1u32 << log_k, 1usize << log_t);
        let trace = MemoryTrace {
            init: (0..k).map(|_| rng.gen_range(-1000..1000)).collect(),
            reads: (0..t).map(|_| rng.gen_range(0..k)).collect(),
            writes: (0..t).map(|_| rng.gen_range(0..k)).collect(),
            write_values: (0..t).map(|_| rng.gen_range(-1000..1000)).collect(),
        };
        let (read_values, _, final_memory) = trace.execute();
        let statement = TwistStatement {
            init: &trace.init,
            read_values: &read_values,
            write_values: &trace.write_values,
            final_memory: &final_memory,
        };
        let params = trace.params(Chunking::Auto).unwrap();
        let (setup, _) = DoryScheme::setup(params.chunk_bits.iter().max().unwrap() + log_t);
        group.bench_function(format!("2^{log_t} ops on 2^{log_k} cells"), |b| {
            b.iter(|| {
                let mut transcript = Transcript::new(b"bench");
                let (_, witness) =
                    twist::commit::<DoryScheme>(&setup, &trace, Chunking::Auto, &mut transcript)
                        .unwrap();
                twist::prove(&witness, &statement, &mut transcript).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
