//! Completeness on every built-in table, end-to-end openings with Dory, and malicious provers.

use super::*;
use crate::poly::eq_table;
use crate::registry::{FnTable, TableRegistry};
use crate::sumcheck::DenseInstance;
use crate::tables::{ClampedTable, LessThanTable, RangeTable, ReluTable, SignTable};
use atlas_isa::{Table, TableFn};
use jolt_core::pcs::DoryScheme;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

type Pcs = DoryScheme;

/// Random keys for a table.
fn random_keys(table: &dyn LookupTable, t: usize, seed: u64) -> Vec<u64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..t)
        .map(|_| rng.gen_range(0..1u64 << table.log_k()))
        .collect()
}

/// Honest operands and values of `keys`.
fn public_of(table: &dyn LookupTable, keys: &[u64]) -> (Vec<i64>, Vec<i64>) {
    let op = table.operand();
    (
        keys.iter().map(|k| op.eval_index(*k)).collect(),
        keys.iter().map(|k| table.value(*k)).collect(),
    )
}

/// Checks every opening claim by evaluating the chunk directly.
fn check_openings(witness: &ShoutWitness<'_, Pcs>, openings: &[ChunkOpening]) {
    for o in openings {
        let addresses: Vec<Option<u32>> = witness.chunks[o.instance][o.chunk]
            .iter()
            .map(|c| Some(*c))
            .collect();
        let width = witness.params[o.instance].chunk_bits[o.chunk];
        let poly = OneHotPolynomial::new(1 << width, &addresses, OneHotLayout::CycleMajor).unwrap();
        assert_eq!(poly.evaluate(&o.point).unwrap(), o.eval);
    }
}

/// Discharges every opening claim with a real Dory opening proof.
fn open_with_dory(
    setup: &(
        <Pcs as CommitmentScheme>::ProverSetup,
        <Pcs as CommitmentScheme>::VerifierSetup,
    ),
    witness: &ShoutWitness<'_, Pcs>,
    commitments: &ShoutCommitments<Pcs>,
    openings: &[ChunkOpening],
) {
    let mut pt = Transcript::new(b"openings");
    let mut vt = Transcript::new(b"openings");
    for o in openings {
        let (dense, hint) = witness.chunk_polynomial(o.instance, o.chunk).unwrap();
        let proof = Pcs::prove(&setup.0, &dense, &o.point, hint, &mut pt).unwrap();
        Pcs::verify(
            &setup.1,
            &commitments.chunks[o.instance][o.chunk],
            &o.point,
            &o.eval,
            &proof,
            &mut vt,
        )
        .unwrap();
    }
}

/// Proves and verifies `instances` (table, keys); returns the verifier's result.
fn run(
    instances: &[(&dyn LookupTable, Vec<u64>)],
    log_chunk: usize,
    max_vars: usize,
    dory_openings: bool,
) {
    let setup = Pcs::setup(max_vars);
    let publics: Vec<(Vec<i64>, Vec<i64>)> =
        instances.iter().map(|(t, k)| public_of(*t, k)).collect();
    let lookups: Vec<Lookups<'_>> = instances
        .iter()
        .map(|(table, keys)| Lookups {
            table: *table,
            keys,
        })
        .collect();
    let public: Vec<PublicLookups<'_>> = instances
        .iter()
        .zip(&publics)
        .map(|((table, _), (ops, vals))| PublicLookups {
            table: *table,
            operands: ops,
            values: vals,
        })
        .collect();
    let mut pt = Transcript::new(b"shout test");
    let (commitments, proof, witness, output) = prove_standalone::<Pcs>(
        &setup.0,
        &lookups,
        &public,
        Chunking::Fixed(log_chunk),
        &mut pt,
    )
    .unwrap();
    let mut vt = Transcript::new(b"shout test");
    let openings = verify_standalone::<Pcs>(
        &public,
        Chunking::Fixed(log_chunk),
        &commitments,
        &proof,
        &mut vt,
    )
    .unwrap();
    assert_eq!(openings, output.openings);
    check_openings(&witness, &openings);
    if dory_openings {
        open_with_dory(&setup, &witness, &commitments, &openings);
    }
}

fn smooth_tables() -> Vec<ClampedTable> {
    [
        TableFn::Sigmoid,
        TableFn::Tanh,
        TableFn::Erf,
        TableFn::Gelu,
        TableFn::GeluTanh,
        TableFn::Exp,
        TableFn::Log,
        TableFn::Sqrt,
        TableFn::Rsqrt,
        TableFn::Reciprocal,
        TableFn::Sin,
        TableFn::Cos,
    ]
    .into_iter()
    .map(|func| {
        let positive = matches!(
            func,
            TableFn::Log | TableFn::Sqrt | TableFn::Rsqrt | TableFn::Reciprocal
        );
        let domain = if positive { (1, 256) } else { (-128, 127) };
        ClampedTable::from_isa(&Table {
            func,
            in_scale: 5,
            out_scale: 7,
            domain,
        })
        .unwrap()
    })
    .collect()
}

#[test]
fn every_builtin_table_batched_with_dory_openings() {
    let range = RangeTable::new(8).unwrap();
    let relu = ReluTable::i32();
    let sign = SignTable::i32();
    let lt = LessThanTable::new(8, true).unwrap();
    let mut registry = TableRegistry::new();
    registry
        .register("cube", FnTable::new(0, 0, (-20, 20), |x| x * x * x))
        .unwrap();
    let custom = registry
        .resolve(&Table {
            func: TableFn::Custom("cube".into()),
            in_scale: 0,
            out_scale: 0,
            domain: (-20, 20),
        })
        .unwrap();
    let smooth = smooth_tables();
    let mut instances: Vec<(&dyn LookupTable, Vec<u64>)> = vec![
        (&range, random_keys(&range, 16, 1)),
        (&relu, random_keys(&relu, 32, 2)),
        (&sign, random_keys(&sign, 8, 3)),
        (&lt, random_keys(&lt, 16, 4)),
        (custom.as_ref(), random_keys(custom.as_ref(), 16, 5)),
    ];
    for (i, t) in smooth.iter().enumerate() {
        instances.push((t, random_keys(t, 16, 10 + i as u64)));
    }
    run(&instances, 4, 9, true);
}

#[test]
fn materialized_and_prefix_suffix_paths_with_wide_chunks() {
    let relu = ReluTable::i32();
    let tanh = ClampedTable::from_fn("t", (-(1 << 9), (1 << 9) - 1), |x| x / 3).unwrap();
    run(
        &[
            (&relu, random_keys(&relu, 64, 20)),
            (&tanh, random_keys(&tanh, 128, 21)),
        ],
        8,
        16,
        false,
    );
}

#[test]
fn relu_and_table_2_16_lookups() {
    let relu = ReluTable::i32();
    let table = ClampedTable::from_fn("q", (0, (1 << 16) - 1), |x| (x * 7) % 1000).unwrap();
    run(
        &[
            (&relu, random_keys(&relu, 1 << 16, 30)),
            (&table, random_keys(&table, 1 << 16, 31)),
        ],
        8,
        24,
        false,
    );
}

// ---------------------------------------------------------------------------------------------
// Malicious provers.

/// The statement and honest witness of one instance for the attacks.
struct Attack {
    keys: Vec<u64>,
    operands: Vec<i64>,
    values: Vec<i64>,
}

fn attack_base(table: &dyn LookupTable, t: usize, seed: u64) -> Attack {
    let keys = random_keys(table, t, seed);
    let (operands, values) = public_of(table, &keys);
    Attack {
        keys,
        operands,
        values,
    }
}

/// Verifies a proof of `attack` produced by the honest algorithm on `keys`, with the RAF claim
/// either from the keys (honest computation) or from the public operands.
fn honest_algorithm_verdict(
    table: &dyn LookupTable,
    attack: &Attack,
    prover_keys: &[u64],
    raf_from_public: bool,
) -> Result<Vec<ChunkOpening>, ShoutError> {
    let setup = Pcs::setup(8);
    let public = [PublicLookups {
        table,
        operands: &attack.operands,
        values: &attack.values,
    }];
    let lookups = [Lookups {
        table,
        keys: prover_keys,
    }];
    let mut pt = Transcript::new(b"attack");
    let (commitments, witness) =
        commit::<Pcs>(&setup.0, &lookups, Chunking::Fixed(4), &mut pt).unwrap();
    let (claims, public_rafs) = standalone_claims(&public, &mut pt).unwrap();
    let proof = if raf_from_public {
        let weights = claims
            .iter()
            .zip(&witness.params)
            .map(|(c, p)| c.cycle.table(p.log_t))
            .collect();
        let rvs = claims.iter().map(|c| c.rv).collect();
        let build = honest_provers(&witness, weights, rvs, public_rafs.clone());
        prove_batch(&witness.params, &claims, public_rafs, build, &mut pt)
            .unwrap()
            .0
    } else {
        prove(&witness, &claims, &mut pt).unwrap().0
    };
    let mut vt = Transcript::new(b"attack");
    verify_standalone::<Pcs>(&public, Chunking::Fixed(4), &commitments, &proof, &mut vt)
}

#[test]
fn wrong_looked_up_value_is_rejected() {
    let relu = ReluTable::i32();
    let mut attack = attack_base(&relu, 16, 40);
    let honest = attack.keys.clone();
    assert!(honest_algorithm_verdict(&relu, &attack, &honest, false).is_ok());
    attack.values[5] += 1;
    assert!(matches!(
        honest_algorithm_verdict(&relu, &attack, &honest, false),
        Err(ShoutError::Sumcheck(_))
    ));
}

#[test]
fn address_not_matching_operand_is_rejected() {
    // Cycle 3 reads key(−7) instead of key(−5): the same ReLU value 0, a different operand.
    let relu = ReluTable::i32();
    let mut attack = attack_base(&relu, 16, 41);
    attack.operands[3] = -5;
    attack.values[3] = 0;
    let mut keys = attack.keys.clone();
    keys[3] = relu.key(-5);
    assert!(honest_algorithm_verdict(&relu, &attack, &keys, false).is_ok());
    keys[3] = relu.key(-7);
    assert!(matches!(
        honest_algorithm_verdict(&relu, &attack, &keys, false),
        Err(ShoutError::RafMismatch(0))
    ));
    assert!(matches!(
        honest_algorithm_verdict(&relu, &attack, &keys, true),
        Err(ShoutError::Sumcheck(_))
    ));
}

/// A chunk as a dense cycle-major table `ra[j·K_c + k]`, which may be anything.
type DenseChunk = Vec<Fr>;

/// The honest sumcheck algorithms run on arbitrary dense chunks, over the full hypercube.
fn dense_provers<'a>(
    table: &'a dyn LookupTable,
    params: &'a ShoutParams,
    chunks: &'a [DenseChunk],
    claims: Vec<ReadClaim>,
    raf: Fr,
) -> Box<BuildProvers<'a>> {
    Box::new(move |ch: &Challenges| {
        let (k_bits, t) = (params.log_k, 1usize << params.log_t);
        let k_all = 1usize << k_bits;
        let eq_c = claims[0].cycle.table(params.log_t);
        let op = table.operand();
        let gamma = ch.gammas[0];
        let mut tables = vec![(0..k_all * t).map(|x| eq_c[x / k_all]).collect::<Vec<Fr>>()];
        for ((offset, width), chunk) in params.chunks().into_iter().zip(chunks) {
            tables.push(
                (0..k_all * t)
                    .map(|x| {
                        let (k, j) = (x % k_all, x / k_all);
                        chunk[(j << width) + ((k >> offset) & ((1 << width) - 1))]
                    })
                    .collect(),
            );
        }
        tables.push(
            (0..k_all * t)
                .map(|x| {
                    let k = (x % k_all) as u64;
                    from_i64(table.value(k)) + gamma * from_i64(op.eval_index(k))
                })
                .collect(),
        );
        let d = chunks.len();
        let read = DenseInstance::new(tables, d + 1, |v| v.iter().product())
            .with_outputs((1..=d).collect())
            .with_claim(claims[0].rv + gamma * raf);
        let mut provers: Vec<Box<dyn SumcheckInstanceProver + 'a>> = vec![Box::new(read)];
        for g in &ch.one_hot[0] {
            let c = &g.challenges;
            let eq_a = eq_table(&c.r_address);
            let eq_c = eq_table(&c.r_cycle);
            let kc = 1usize << g.width;
            let mut tables = vec![
                (0..kc * t).map(|x| eq_a[x % kc]).collect::<Vec<Fr>>(),
                (0..kc * t).map(|x| eq_c[x / kc]).collect(),
            ];
            tables.extend(g.chunks.iter().map(|i| chunks[*i].clone()));
            let (betas, deltas) = (c.betas.clone(), c.deltas.clone());
            let claim = deltas.iter().sum();
            let outputs = (2..tables.len()).collect();
            let one_hot = DenseInstance::new(tables, 3, move |v| {
                let mut sum = Fr::from(0u64);
                for ((ra, b), d) in v[2..].iter().zip(&betas).zip(&deltas) {
                    sum += *b * v[0] * (*ra * ra - ra) + *d * ra;
                }
                v[1] * sum
            })
            .with_outputs(outputs)
            .with_claim(claim);
            provers.push(Box::new(one_hot));
        }
        provers
    })
}

/// The attacked cycles of [`tampered_chunk_verdict`]: cycle 0 reads key 0, cycle 1 key 3 and
/// cycle 2 key 4 (high chunk 0, so only the low chunk matters).
const ATTACKED_KEYS: [u64; 3] = [0, 3, 4];

/// Runs the honest algorithm on tampered dense chunks of a range table (`Val = Op = k`, two
/// 4-bit chunks) and returns the verifier's verdict.
fn tampered_chunk_verdict(tamper: impl Fn(&mut DenseChunk, usize)) -> Result<(), ShoutError> {
    let table = RangeTable::new(8).unwrap();
    let t = 16;
    let mut keys = random_keys(&table, t, 50);
    keys[..3].copy_from_slice(&ATTACKED_KEYS);
    let (operands, values) = public_of(&table, &keys);
    let params = ShoutParams::new(&table, t, Chunking::Fixed(4)).unwrap();
    let mut chunks: Vec<DenseChunk> = params
        .chunks()
        .into_iter()
        .map(|(offset, width)| {
            let mut dense = vec![Fr::from(0u64); t << width];
            for (j, k) in keys.iter().enumerate() {
                dense[(j << width) + ((k >> offset) as usize & ((1 << width) - 1))] =
                    Fr::from(1u64);
            }
            dense
        })
        .collect();
    tamper(&mut chunks[0], 1 << params.chunk_bits[0]);
    let setup = Pcs::setup(8);
    let public = [PublicLookups {
        table: &table,
        operands: &operands,
        values: &values,
    }];
    let mut pt = Transcript::new(b"attack");
    let commitments = ShoutCommitments::<Pcs> {
        chunks: vec![chunks
            .iter()
            .map(|c| Pcs::commit(&setup.0, c).unwrap().0)
            .collect()],
    };
    let params = vec![params];
    absorb_commitments(&params, &commitments, &mut pt).unwrap();
    let (claims, rafs) = standalone_claims(&public, &mut pt).unwrap();
    let build = dense_provers(&table, &params[0], &chunks, claims.clone(), rafs[0]);
    let (proof, _) = prove_batch(&params, &claims, rafs, build, &mut pt).unwrap();
    let mut vt = Transcript::new(b"attack");
    verify_standalone::<Pcs>(&public, Chunking::Fixed(4), &commitments, &proof, &mut vt).map(|_| ())
}

/// Overwrites column `j` of a dense chunk with `entries`.
fn set_column(chunk: &mut DenseChunk, kc: usize, j: usize, entries: &[(usize, i64)]) {
    for k in 0..kc {
        chunk[j * kc + k] = Fr::from(0u64);
    }
    for (k, v) in entries {
        chunk[j * kc + k] = from_i64(*v);
    }
}

#[test]
fn honest_dense_chunks_are_accepted() {
    assert!(tampered_chunk_verdict(|_, _| {}).is_ok());
}

#[test]
fn non_one_hot_chunks_are_rejected() {
    // Each tampering leaves the read-checking + RAF sum unchanged (Val = Op = k, and the column
    // still reads Σ_k ra(k)·k = key), so only booleanity or Hamming weight can catch it.
    let cases: [(&str, usize, &[(usize, i64)]); 4] = [
        // Key 0 read from an all-zero column: Hamming weight 0.
        ("all zero", 0, &[]),
        // Key 3 = 1 + 2 from two ones: Hamming weight 2.
        ("two ones", 1, &[(1, 1), (2, 1)]),
        // Key 3 = 2·2 − 1: Hamming weight 1, entries not boolean.
        ("value 2 and -1", 1, &[(2, 2), (1, -1)]),
        // Key 4 = 2·2: a lone 2.
        ("value 2", 2, &[(2, 2)]),
    ];
    for (name, j, entries) in cases {
        let verdict = tampered_chunk_verdict(|chunk, kc| set_column(chunk, kc, j, entries));
        assert!(
            matches!(verdict, Err(ShoutError::Sumcheck(_))),
            "{name}: {verdict:?}"
        );
    }
}

#[test]
fn tampered_proof_bytes_are_rejected() {
    let table = ReluTable::i32();
    let keys = random_keys(&table, 8, 60);
    let (operands, values) = public_of(&table, &keys);
    let setup = Pcs::setup(8);
    let lookups = [Lookups {
        table: &table,
        keys: &keys,
    }];
    let public = [PublicLookups {
        table: &table,
        operands: &operands,
        values: &values,
    }];
    let chunking = Chunking::Fixed(4);
    let mut pt = Transcript::new(b"tamper");
    let (commitments, proof, _, _) =
        prove_standalone::<Pcs>(&setup.0, &lookups, &public, chunking, &mut pt).unwrap();
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    let mut vt = Transcript::new(b"tamper");
    assert!(verify_standalone::<Pcs>(&public, chunking, &commitments, &proof, &mut vt).is_ok());
    for position in (0..bytes.len()).step_by(29) {
        let mut tampered = bytes.clone();
        tampered[position] ^= 1;
        if let Ok(bad) = ShoutProof::deserialize_compressed(&tampered[..]) {
            let mut vt = Transcript::new(b"tamper");
            assert!(
                verify_standalone::<Pcs>(&public, chunking, &commitments, &bad, &mut vt).is_err(),
                "flipping byte {position} went unnoticed"
            );
        }
    }
}

/// One instance shared by three users, each reading its own aligned segment at its own point:
/// a random combination of their claims is proven, and a wrong value or operand on one segment
/// is rejected.
#[test]
fn segmented_claims_of_a_shared_instance() {
    let table = RangeTable::new(6).unwrap();
    let keys = random_keys(&table, 32, 11);
    let setup = Pcs::setup(12);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut rand_point = |n: usize| -> Vec<Fr> {
        (0..n)
            .map(|_| Fr::from(rng.gen_range(0..u64::MAX)))
            .collect()
    };
    // Segments [0, 16), [16, 24), [24, 26) (the rest is padding nobody reads).
    let segments = [(0usize, 4usize), (16, 3), (24, 1)];
    let terms: Vec<WeightTerm> = segments
        .iter()
        .map(|&(offset, len)| WeightTerm {
            coeff: rand_point(1)[0],
            offset,
            point: rand_point(len),
        })
        .collect();
    let field = |v: &[u64]| v.iter().map(|k| Fr::from(*k)).collect::<Vec<Fr>>();
    // The honest combined claim and RAF (Val = Op = id for a range table).
    let segment_claim = |t: &WeightTerm| {
        let seg = &keys[t.offset..t.offset + (1 << t.point.len())];
        crate::poly::mle_eval(&field(seg), &t.point)
    };
    let rv: Fr = terms.iter().map(|t| t.coeff * segment_claim(t)).sum();
    let run = |rv: Fr, expected_raf: Fr| -> Result<(), ShoutError> {
        let lookups = [Lookups {
            table: &table,
            keys: &keys,
        }];
        let claim = ReadClaim {
            cycle: CycleWeights {
                terms: terms.clone(),
            },
            rv,
        };
        let mut pt = Transcript::new(b"segments");
        let (commitments, witness) =
            commit::<Pcs>(&setup.0, &lookups, Chunking::Fixed(3), &mut pt)?;
        let (proof, out) = prove(&witness, std::slice::from_ref(&claim), &mut pt)?;
        check_openings(&witness, &out.openings);
        let mut vt = Transcript::new(b"segments");
        absorb_commitments(&witness.params, &commitments, &mut vt)?;
        let verified = verify(
            &witness.params,
            &[&table],
            std::slice::from_ref(&claim),
            &proof,
            &mut vt,
        )?;
        if verified.raf_claims[0] != expected_raf {
            return Err(ShoutError::RafMismatch(0));
        }
        Ok(())
    };
    run(rv, rv).unwrap();
    let wrong = rv + terms[2].coeff;
    assert!(run(wrong, rv).is_err(), "a wrong value on the last segment");
    assert!(
        run(rv, wrong).is_err(),
        "a wrong operand on the last segment"
    );
}
