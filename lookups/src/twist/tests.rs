//! Completeness on random traces (with Dory openings) and rejected dishonest statements.

use super::*;
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

type Pcs = DoryScheme;

fn random_trace(log_k: usize, log_t: usize, seed: u64) -> MemoryTrace {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (k, t) = (1u32 << log_k, 1usize << log_t);
    MemoryTrace {
        init: (0..k).map(|_| rng.gen_range(-100..100)).collect(),
        reads: (0..t).map(|_| rng.gen_range(0..k)).collect(),
        // Reuse a few cells so that reads see earlier writes.
        writes: (0..t).map(|_| rng.gen_range(0..k.min(4))).collect(),
        write_values: (0..t).map(|_| rng.gen_range(-1000..1000)).collect(),
    }
}

struct Public {
    read_values: Vec<i64>,
    final_memory: Vec<i64>,
}

fn public(trace: &MemoryTrace) -> Public {
    let (read_values, _, final_memory) = trace.execute();
    Public {
        read_values,
        final_memory,
    }
}

/// Discharges `openings`: each claim must equal the dense polynomial's evaluation and, with
/// `open`, a Dory opening against the commitment must verify.
fn discharge(
    setup: &(
        <Pcs as CommitmentScheme>::ProverSetup,
        <Pcs as CommitmentScheme>::VerifierSetup,
    ),
    commitments: &TwistCommitments<Pcs>,
    witness: &TwistWitness<'_, Pcs>,
    openings: &[TwistOpening],
    open: bool,
) -> Result<(), TwistError> {
    let mut ot = Transcript::new(b"openings");
    let mut vt = Transcript::new(b"openings");
    for o in openings {
        let (dense, hint) = witness.polynomial(o.poly)?;
        assert_eq!(mle_eval(&dense, &o.point), o.eval, "{:?}", o.poly);
        if open {
            let c = match o.poly {
                TwistPoly::Ra(i) => &commitments.ra[i],
                TwistPoly::Wa(i) => &commitments.wa[i],
                TwistPoly::Inc => &commitments.inc,
            };
            let p = Pcs::prove(&setup.0, &dense, &o.point, hint, &mut ot)?;
            Pcs::verify(&setup.1, c, &o.point, &o.eval, &p, &mut vt)?;
        }
    }
    Ok(())
}

/// Proves `trace` and verifies it against `statement`; with `open`, discharges every opening
/// claim with Dory, otherwise checks the claims against the dense polynomials.
fn verdict_chunked(
    trace: &MemoryTrace,
    statement: &TwistStatement<'_>,
    chunking: Chunking,
    open: bool,
) -> Result<Vec<TwistOpening>, TwistError> {
    let params = trace.params(chunking)?;
    let setup = Pcs::setup(params.commitment_vars());
    let mut pt = Transcript::new(b"twist test");
    let (commitments, witness) = commit::<Pcs>(&setup.0, trace, chunking, &mut pt)?;
    let (proof, prover_openings) = prove(&witness, statement, &mut pt)?;
    let mut vt = Transcript::new(b"twist test");
    let openings = verify(&params, &commitments, statement, &proof, &mut vt)?;
    assert_eq!(openings, prover_openings);
    discharge(&setup, &commitments, &witness, &openings, open)?;
    Ok(openings)
}

/// The shape, commitments and proof of an honest prover with 2-bit address chunks.
fn honest_proof(
    trace: &MemoryTrace,
    statement: &TwistStatement<'_>,
    label: &'static [u8],
) -> (TwistParams, TwistCommitments<Pcs>, TwistProof) {
    let chunking = Chunking::Fixed(2);
    let params = trace.params(chunking).unwrap();
    let setup = Pcs::setup(params.commitment_vars());
    let mut pt = Transcript::new(label);
    let (commitments, witness) = commit::<Pcs>(&setup.0, trace, chunking, &mut pt).unwrap();
    let (proof, _) = prove(&witness, statement, &mut pt).unwrap();
    (params, commitments, proof)
}

fn verdict(
    trace: &MemoryTrace,
    statement: &TwistStatement<'_>,
    open: bool,
) -> Result<Vec<TwistOpening>, TwistError> {
    verdict_chunked(trace, statement, Chunking::Auto, open)
}

fn statement<'a>(trace: &'a MemoryTrace, p: &'a Public) -> TwistStatement<'a> {
    TwistStatement {
        init: &trace.init,
        read_values: &p.read_values,
        write_values: &trace.write_values,
        final_memory: &p.final_memory,
    }
}

#[test]
fn random_traces_verify_with_dory_openings() {
    for (log_k, log_t, seed) in [(4, 5, 1), (3, 0, 2), (1, 3, 3), (5, 4, 4)] {
        let trace = random_trace(log_k, log_t, seed);
        let p = public(&trace);
        let openings = verdict(&trace, &statement(&trace, &p), true).unwrap();
        assert!(openings.iter().all(|o| !matches!(o.poly, TwistPoly::Ra(1))));
    }
}

/// Addresses cut into several one-hot chunks, including a narrower last one (two groups of
/// one-hot checks) and a single-cycle trace.
#[test]
fn chunked_addresses_verify_with_dory_openings() {
    for (log_k, log_t, bits, seed) in [(5, 4, 2, 11), (4, 5, 2, 12), (6, 0, 4, 13), (3, 3, 1, 14)] {
        let trace = random_trace(log_k, log_t, seed);
        let p = public(&trace);
        let chunking = Chunking::Fixed(bits);
        let openings = verdict_chunked(&trace, &statement(&trace, &p), chunking, true).unwrap();
        let chunks = log_k.div_ceil(bits);
        let ra = openings
            .iter()
            .filter(|o| matches!(o.poly, TwistPoly::Ra(_)))
            .count();
        // Per chunk: the virtualization claim and the one-hot check's.
        assert_eq!(ra, 2 * chunks, "log K {log_k}, {bits}-bit chunks");
    }
}

#[test]
fn larger_random_trace_verifies() {
    let trace = random_trace(10, 12, 5);
    let p = public(&trace);
    verdict(&trace, &statement(&trace, &p), false).unwrap();
    verdict_chunked(&trace, &statement(&trace, &p), Chunking::Fixed(4), false).unwrap();
}

/// A prover that commits write-address chunks of another address than the one its trace
/// writes (the read/write and final-value sums see the real one) is rejected, as is one whose
/// read-address chunk is changed.
#[test]
fn chunks_that_disagree_with_the_addresses_are_rejected() {
    let trace = random_trace(4, 4, 15);
    let p = public(&trace);
    let st = statement(&trace, &p);
    let chunking = Chunking::Fixed(2);
    let params = trace.params(chunking).unwrap();
    let setup = Pcs::setup(params.commitment_vars());
    for (write, chunk) in [(true, 0), (true, 1), (false, 0), (false, 1)] {
        let mut pt = Transcript::new(b"twist test");
        let (mut commitments, mut witness) =
            commit::<Pcs>(&setup.0, &trace, chunking, &mut pt).unwrap();
        let (values, hints, slots) = if write {
            (&mut witness.wa, &mut witness.wa_hints, &mut commitments.wa)
        } else {
            (&mut witness.ra, &mut witness.ra_hints, &mut commitments.ra)
        };
        values[chunk][3] ^= 1;
        let a: Vec<Option<u32>> = values[chunk].iter().map(|x| Some(*x)).collect();
        let poly = OneHotPolynomial::new(4, &a, OneHotLayout::CycleMajor).unwrap();
        let (c, h) = Pcs::commit_one_hot(&setup.0, &poly).unwrap();
        (slots[chunk], hints[chunk]) = (c, h);
        // The transcript absorbed the honest commitments: start over with the forged ones.
        let mut pt = Transcript::new(b"twist test");
        absorb_commitments(&commitments, &mut pt);
        let (proof, _) = prove(&witness, &st, &mut pt).unwrap();
        let mut vt = Transcript::new(b"twist test");
        let verdict = verify(&params, &commitments, &st, &proof, &mut vt);
        assert!(
            matches!(verdict, Err(TwistError::Sumcheck(_))),
            "write {write}, chunk {chunk}: {verdict:?}"
        );
    }
}

/// Shapes from outside are checked: chunk widths that do not cut `log K`, and commitment
/// lists of the wrong length, are errors.
#[test]
fn malformed_shapes_are_refused_by_the_verifier() {
    let trace = random_trace(4, 3, 16);
    let p = public(&trace);
    let st = statement(&trace, &p);
    let (params, commitments, proof) = honest_proof(&trace, &st, b"twist test");
    let run = |params: &TwistParams, commitments: &TwistCommitments<Pcs>| {
        let mut vt = Transcript::new(b"twist test");
        verify(params, commitments, &st, &proof, &mut vt)
    };
    assert!(run(&params, &commitments).is_ok());
    for bits in [vec![2, 1], vec![4, 0], vec![]] {
        let bad = TwistParams {
            chunk_bits: bits,
            ..params.clone()
        };
        assert!(matches!(
            run(&bad, &commitments),
            Err(TwistError::InvalidTrace(_))
        ));
    }
    let mut short = commitments.clone();
    short.wa.pop();
    assert!(matches!(
        run(&params, &short),
        Err(TwistError::InvalidTrace(_))
    ));
    // Another chunking of the same memory: the proof's claims have the wrong shape.
    let single = trace.params(Chunking::Auto).unwrap();
    assert!(run(&single, &commitments).is_err());
}

/// A cycle whose read follows an earlier write to the same cell, with the value the cell held
/// before that write.
fn stale_read(trace: &MemoryTrace) -> Option<(usize, i64)> {
    let mut memory = trace.init.clone();
    let mut previous: Vec<Option<i64>> = vec![None; memory.len()];
    for (j, ((r, w), v)) in trace
        .reads
        .iter()
        .zip(&trace.writes)
        .zip(&trace.write_values)
        .enumerate()
    {
        if let Some(old) = previous[*r as usize] {
            if old != memory[*r as usize] {
                return Some((j, old));
            }
        }
        previous[*w as usize] = Some(memory[*w as usize]);
        memory[*w as usize] = *v;
    }
    None
}

#[test]
fn stale_or_wrong_read_is_rejected() {
    let mut trace = random_trace(3, 5, 6);
    // Make reads hit the written cells.
    for (j, r) in trace.reads.iter_mut().enumerate() {
        *r = (j % 4) as u32;
    }
    let p = public(&trace);
    assert!(verdict(&trace, &statement(&trace, &p), false).is_ok());
    let (j, old) = stale_read(&trace).expect("the trace has a stale value to read");
    let mut stale = p.read_values.clone();
    stale[j] = old;
    let bad = TwistStatement {
        read_values: &stale,
        ..statement(&trace, &p)
    };
    assert!(matches!(
        verdict(&trace, &bad, false),
        Err(TwistError::Sumcheck(_))
    ));
    let mut wrong = p.read_values.clone();
    wrong[3] += 1;
    let bad = TwistStatement {
        read_values: &wrong,
        ..statement(&trace, &p)
    };
    assert!(matches!(
        verdict(&trace, &bad, false),
        Err(TwistError::Sumcheck(_))
    ));
}

#[test]
fn wrong_final_memory_is_rejected() {
    let trace = random_trace(4, 5, 7);
    let p = public(&trace);
    let mut wrong = p.final_memory.clone();
    wrong[2] += 5;
    let bad = TwistStatement {
        final_memory: &wrong,
        ..statement(&trace, &p)
    };
    assert!(matches!(
        verdict(&trace, &bad, false),
        Err(TwistError::Sumcheck(_))
    ));
}

#[test]
fn malformed_traces_are_refused() {
    let mut trace = random_trace(2, 2, 8);
    trace.reads[0] = 4;
    assert!(trace.params(Chunking::Auto).is_err());
    let mut trace = random_trace(2, 2, 8);
    trace.write_values.pop();
    assert!(trace.params(Chunking::Auto).is_err());
    let mut trace = random_trace(2, 2, 8);
    trace.init.truncate(1);
    (trace.reads, trace.writes) = (vec![0; 4], vec![0; 4]);
    assert!(trace.params(Chunking::Auto).is_err(), "a single cell");
}

#[test]
fn tampered_proof_bytes_are_rejected() {
    let trace = random_trace(3, 3, 9);
    let p = public(&trace);
    let st = statement(&trace, &p);
    let (params, commitments, proof) = honest_proof(&trace, &st, b"tamper");
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    for position in (0..bytes.len()).step_by(23) {
        let mut tampered = bytes.clone();
        tampered[position] ^= 1;
        if let Ok(bad) = TwistProof::deserialize_compressed(&tampered[..]) {
            let mut vt = Transcript::new(b"tamper");
            assert!(
                verify(&params, &commitments, &st, &bad, &mut vt).is_err(),
                "flipping byte {position} went unnoticed"
            );
        }
    }
}
