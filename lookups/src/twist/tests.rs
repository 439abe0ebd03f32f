//! Completeness on random traces (with Dory openings) and rejected dishonest statements.

use super::*;
use jolt_core::pcs::DoryScheme;
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

/// Proves `trace` and verifies it against `statement`; with `open`, discharges every opening
/// claim with Dory, otherwise checks the claims against the dense polynomials.
fn verdict(
    trace: &MemoryTrace,
    statement: &TwistStatement<'_>,
    open: bool,
) -> Result<Vec<TwistOpening>, TwistError> {
    let params = trace.params()?;
    let setup = Pcs::setup(params.log_k + params.log_t);
    let mut pt = Transcript::new(b"twist test");
    let (commitments, witness) = commit::<Pcs>(&setup.0, trace, &mut pt)?;
    let (proof, prover_openings) = prove(&witness, statement, &mut pt)?;
    let mut vt = Transcript::new(b"twist test");
    let openings = verify(&params, &commitments, statement, &proof, &mut vt)?;
    assert_eq!(openings, prover_openings);
    let mut ot = Transcript::new(b"openings");
    let mut vt = Transcript::new(b"openings");
    for o in &openings {
        let (dense, hint) = witness.polynomial(o.poly)?;
        assert_eq!(mle_eval(&dense, &o.point), o.eval, "{:?}", o.poly);
        if open {
            let c = match o.poly {
                TwistPoly::Ra => &commitments.ra,
                TwistPoly::Wa => &commitments.wa,
                TwistPoly::Inc => &commitments.inc,
            };
            let p = Pcs::prove(&setup.0, &dense, &o.point, hint, &mut ot)?;
            Pcs::verify(&setup.1, c, &o.point, &o.eval, &p, &mut vt)?;
        }
    }
    Ok(openings)
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
        verdict(&trace, &statement(&trace, &p), true).unwrap();
    }
}

#[test]
fn larger_random_trace_verifies() {
    let trace = random_trace(10, 12, 5);
    let p = public(&trace);
    verdict(&trace, &statement(&trace, &p), false).unwrap();
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
    assert!(trace.params().is_err());
    let mut trace = random_trace(2, 2, 8);
    trace.write_values.pop();
    assert!(trace.params().is_err());
}

#[test]
fn tampered_proof_bytes_are_rejected() {
    let trace = random_trace(3, 3, 9);
    let p = public(&trace);
    let st = statement(&trace, &p);
    let params = trace.params().unwrap();
    let setup = Pcs::setup(6);
    let mut pt = Transcript::new(b"tamper");
    let (commitments, witness) = commit::<Pcs>(&setup.0, &trace, &mut pt).unwrap();
    let (proof, _) = prove(&witness, &st, &mut pt).unwrap();
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
