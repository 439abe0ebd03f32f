//! Twist: read/write memory checking (Setty–Thaler, *Twist and Shout*, ePrint 2025/105, §8).
//!
//! A memory of `K = 2^{log K}` cells starts at `init`; in each of `T = 2^{log T}` cycles the
//! program reads cell `ra_j` (getting `rv_j`, the value before this cycle's write) and writes
//! `wv_j` to cell `wa_j` (a cycle that only reads writes the cell's current value back). The
//! prover commits `ra` and `wa` as one-hot `K × T` tables and the increments
//! `Inc(j) = wv_j − Val(wa_j, j)` as small integers, and proves
//!
//! | relation | module | stage |
//! |---|---|---|
//! | `rv(r) + γ·wv(r) = Σ eq(r,j)·[ra·Val + γ·wa·(Val + Inc)]` | [`read_write`] | 1 |
//! | `final(r_a) − init(r_a) = Σ_j Inc(j)·wa(r_a, j)` | [`final_value`] | 1 |
//! | booleanity and Hamming weight of `ra` and `wa` | [`crate::shout::one_hot`] | 1 |
//! | `Val(ρ_a, ρ_c) − init(ρ_a) = Σ_j Inc(j)·wa(ρ_a, j)·lt(j, ρ_c)` | [`val_evaluation`] | 2 |
//!
//! where `Val(k, j) = init(k) + Σ_{j'<j} wa(k, j')·Inc(j')` stays virtual. Stage 2 starts from
//! stage 1's claim on `Val`. Every remaining claim is an opening claim on `ra`, `wa` or `Inc`
//! ([`TwistOpening`]).
//!
//! The statement here is public (`init`, every read and written value, the final memory), which
//! is what the tests and benchmarks use; the addresses stay committed. Addresses are committed
//! as a single chunk (`d = 1`): memories up to `2^20` cells.
//!
//! # Soundness
//! The caller must discharge every returned opening claim against the commitments.

pub mod final_value;
pub mod read_write;
pub mod val_evaluation;

use crate::poly::{eq_table, mle_eval};
use crate::shout::one_hot::{OneHotChallenges, OneHotProver, OneHotVerifier};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use final_value::FinalValueVerifier;
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::{CommitmentScheme, OneHotLayout, OneHotPolynomial, PcsError};
use jolt_core::sumcheck::{
    BatchedSumcheck, BatchedSumcheckProof, SumcheckError, SumcheckInstanceProver,
    SumcheckInstanceVerifier,
};
use jolt_core::transcript::Transcript;
use rayon::prelude::*;
use read_write::{ReadWriteProver, ReadWriteVerifier};
use val_evaluation::ValEvaluationVerifier;

/// Largest memory: `2^20` cells.
pub const MAX_LOG_K: usize = 20;

/// Errors of the Twist prover and verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwistError {
    /// The trace or statement is malformed.
    #[error("invalid memory trace: {0}")]
    InvalidTrace(String),
    /// Commitment or opening failure.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// A batched sumcheck rejected.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
}

/// A memory trace: initial memory and, per cycle, a read address, a write address and the
/// written value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryTrace {
    /// Initial memory (`K` cells, a power of two).
    pub init: Vec<i64>,
    /// Read address of every cycle (`T`, a power of two).
    pub reads: Vec<u32>,
    /// Write address of every cycle.
    pub writes: Vec<u32>,
    /// Written value of every cycle.
    pub write_values: Vec<i64>,
}

impl MemoryTrace {
    /// The shape, after checking it.
    pub fn params(&self) -> Result<TwistParams, TwistError> {
        let (k, t) = (self.init.len(), self.reads.len());
        if !k.is_power_of_two() || k > 1 << MAX_LOG_K || !t.is_power_of_two() {
            return Err(TwistError::InvalidTrace(format!(
                "{k} cells and {t} cycles: both must be powers of two, at most 2^{MAX_LOG_K} cells"
            )));
        }
        if self.writes.len() != t || self.write_values.len() != t {
            return Err(TwistError::InvalidTrace(format!(
                "{t} reads, {} writes, {} written values",
                self.writes.len(),
                self.write_values.len()
            )));
        }
        if let Some(a) = self
            .reads
            .iter()
            .chain(&self.writes)
            .find(|a| **a as usize >= k)
        {
            return Err(TwistError::InvalidTrace(format!(
                "address {a} outside {k} cells"
            )));
        }
        Ok(TwistParams {
            log_k: k.trailing_zeros() as usize,
            log_t: t.trailing_zeros() as usize,
        })
    }

    /// Runs the trace: the value every read returns, the increments and the final memory.
    pub fn execute(&self) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
        let mut memory = self.init.clone();
        let mut read_values = Vec::with_capacity(self.reads.len());
        let mut increments = Vec::with_capacity(self.reads.len());
        for ((r, w), v) in self.reads.iter().zip(&self.writes).zip(&self.write_values) {
            read_values.push(memory[*r as usize]);
            increments.push(v - memory[*w as usize]);
            memory[*w as usize] = *v;
        }
        (read_values, increments, memory)
    }
}

/// The public shape of a memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TwistParams {
    /// `log K`.
    pub log_k: usize,
    /// `log T`.
    pub log_t: usize,
}

/// The public statement: initial memory, read and written values, final memory.
#[derive(Clone, Copy, Debug)]
pub struct TwistStatement<'a> {
    /// Initial memory.
    pub init: &'a [i64],
    /// The value each read returned.
    pub read_values: &'a [i64],
    /// The value each write stored.
    pub write_values: &'a [i64],
    /// The memory after the last cycle.
    pub final_memory: &'a [i64],
}

impl TwistStatement<'_> {
    fn check(&self, params: &TwistParams) -> Result<(), TwistError> {
        let (k, t) = (1usize << params.log_k, 1usize << params.log_t);
        if self.init.len() != k
            || self.final_memory.len() != k
            || self.read_values.len() != t
            || self.write_values.len() != t
        {
            return Err(TwistError::InvalidTrace(
                "statement does not match the memory shape".into(),
            ));
        }
        Ok(())
    }
}

/// Commitments to the read addresses, write addresses and increments.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TwistCommitments<C: CommitmentScheme> {
    /// One-hot `ra`.
    pub ra: C::Commitment,
    /// One-hot `wa`.
    pub wa: C::Commitment,
    /// `Inc`.
    pub inc: C::Commitment,
}

/// The committed polynomials of Twist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwistPoly {
    /// Read addresses, `K × T` one-hot, cycle-major.
    Ra,
    /// Write addresses, `K × T` one-hot, cycle-major.
    Wa,
    /// Increments, `T` entries.
    Inc,
}

/// An opening claim `poly(point) = eval` (one-hot points are `r_address ‖ r_cycle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwistOpening {
    /// Which polynomial.
    pub poly: TwistPoly,
    /// The point.
    pub point: Vec<Fr>,
    /// The claimed evaluation.
    pub eval: Fr,
}

/// A Twist proof: the two batched sumchecks with their output claims.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TwistProof {
    /// Read/write checking, final value, booleanity and Hamming weight.
    pub stage1: BatchedSumcheckProof,
    /// Val-evaluation.
    pub stage2: BatchedSumcheckProof,
}

/// What the prover keeps from [`commit`] to [`prove`] and to the openings.
pub struct TwistWitness<'a, C: CommitmentScheme> {
    trace: &'a MemoryTrace,
    params: TwistParams,
    increments: Vec<i64>,
    hints: [C::OpeningHint; 3],
}

impl<C: CommitmentScheme> TwistWitness<'_, C> {
    /// The shape.
    pub fn params(&self) -> TwistParams {
        self.params
    }

    /// A committed polynomial as a dense table, with its opening hint (for openings of small
    /// memories and tests).
    pub fn polynomial(&self, poly: TwistPoly) -> Result<(Vec<Fr>, &C::OpeningHint), TwistError> {
        let one_hot = |addresses: &[u32]| -> Result<Vec<Fr>, TwistError> {
            let a: Vec<Option<u32>> = addresses.iter().map(|x| Some(*x)).collect();
            Ok(
                OneHotPolynomial::new(1 << self.params.log_k, &a, OneHotLayout::CycleMajor)?
                    .to_dense(),
            )
        };
        Ok(match poly {
            TwistPoly::Ra => (one_hot(&self.trace.reads)?, &self.hints[0]),
            TwistPoly::Wa => (one_hot(&self.trace.writes)?, &self.hints[1]),
            TwistPoly::Inc => (
                self.increments.iter().map(|v| from_i64(*v)).collect(),
                &self.hints[2],
            ),
        })
    }
}

fn absorb_commitments<C: CommitmentScheme>(c: &TwistCommitments<C>, transcript: &mut Transcript) {
    transcript.append_serializable(b"twist_ra", &c.ra);
    transcript.append_serializable(b"twist_wa", &c.wa);
    transcript.append_serializable(b"twist_inc", &c.inc);
}

/// Commits `ra`, `wa` (one-hot) and `Inc` (small integers) and absorbs the commitments.
#[tracing::instrument(skip_all, name = "twist::commit")]
pub fn commit<'a, C: CommitmentScheme>(
    setup: &C::ProverSetup,
    trace: &'a MemoryTrace,
    transcript: &mut Transcript,
) -> Result<(TwistCommitments<C>, TwistWitness<'a, C>), TwistError> {
    let params = trace.params()?;
    let (_, increments, _) = trace.execute();
    let k = 1usize << params.log_k;
    let one_hot = |addresses: &[u32]| -> Result<(C::Commitment, C::OpeningHint), TwistError> {
        let a: Vec<Option<u32>> = addresses.iter().map(|x| Some(*x)).collect();
        let poly = OneHotPolynomial::new(k, &a, OneHotLayout::CycleMajor)?;
        Ok(C::commit_one_hot(setup, &poly)?)
    };
    let (ra, ra_hint) = one_hot(&trace.reads)?;
    let (wa, wa_hint) = one_hot(&trace.writes)?;
    let (inc, inc_hint) = C::commit_small(setup, &increments)?;
    let commitments = TwistCommitments { ra, wa, inc };
    absorb_commitments(&commitments, transcript);
    Ok((
        commitments,
        TwistWitness {
            trace,
            params,
            increments,
            hints: [ra_hint, wa_hint, inc_hint],
        },
    ))
}

/// The verifier's random choices and the public evaluations, drawn identically on both sides.
struct Stage1 {
    r_cycle: Vec<Fr>,
    r_final: Vec<Fr>,
    gamma: Fr,
    one_hot: OneHotChallenges,
    rw_claim: Fr,
    final_claim: Fr,
}

fn field(v: &[i64]) -> Vec<Fr> {
    v.par_iter().map(|x| from_i64(*x)).collect()
}

fn stage1_challenges(
    params: &TwistParams,
    statement: &TwistStatement<'_>,
    transcript: &mut Transcript,
) -> Stage1 {
    let bytes = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    transcript.append_bytes(b"twist_init", &bytes(statement.init));
    transcript.append_bytes(b"twist_read_values", &bytes(statement.read_values));
    transcript.append_bytes(b"twist_write_values", &bytes(statement.write_values));
    transcript.append_bytes(b"twist_final", &bytes(statement.final_memory));
    let r_cycle = transcript.challenge_scalars(b"twist_r_cycle", params.log_t);
    let r_final = transcript.challenge_scalars(b"twist_r_final", params.log_k);
    let gamma = transcript.challenge_scalar(b"twist_gamma");
    let one_hot_cycle = transcript.challenge_scalars(b"twist_one_hot_cycle", params.log_t);
    let one_hot = OneHotChallenges::draw(params.log_k, &one_hot_cycle, 2, transcript);
    let rw_claim = mle_eval(&field(statement.read_values), &r_cycle)
        + gamma * mle_eval(&field(statement.write_values), &r_cycle);
    let final_claim = mle_eval(&field(statement.final_memory), &r_final)
        - mle_eval(&field(statement.init), &r_final);
    Stage1 {
        r_cycle,
        r_final,
        gamma,
        one_hot,
        rw_claim,
        final_claim,
    }
}

/// `eq(r, addresses[j])` for every cycle.
fn eq_at_addresses(r: &[Fr], addresses: &[u32]) -> Vec<Fr> {
    let eq = eq_table(r);
    addresses.par_iter().map(|a| eq[*a as usize]).collect()
}

/// Proves the trace against the public statement. Returns the proof and the opening claims.
#[tracing::instrument(skip_all, name = "twist::prove")]
pub fn prove<C: CommitmentScheme>(
    witness: &TwistWitness<'_, C>,
    statement: &TwistStatement<'_>,
    transcript: &mut Transcript,
) -> Result<(TwistProof, Vec<TwistOpening>), TwistError> {
    let params = witness.params;
    statement.check(&params)?;
    let trace = witness.trace;
    let s1 = stage1_challenges(&params, statement, transcript);
    let inc = field(&witness.increments);
    let mut rw = ReadWriteProver::new(
        &trace.init,
        &trace.reads,
        &trace.writes,
        &trace.write_values,
        &s1.r_cycle,
        s1.gamma,
        s1.rw_claim,
    );
    let mut fin = final_value::prover(
        inc.clone(),
        eq_at_addresses(&s1.r_final, &trace.writes),
        s1.final_claim,
    );
    let mut one_hot = OneHotProver::new(
        vec![&trace.reads, &trace.writes],
        params.log_k,
        s1.one_hot.clone(),
    );
    let mut stage1: [&mut dyn SumcheckInstanceProver; 3] = [&mut rw, &mut fin, &mut one_hot];
    let (stage1_proof, r1) = BatchedSumcheck::prove(&mut stage1, transcript);
    let (rho_c, rho_a) = r1.split_at(params.log_t);
    let val_claim = stage1_proof.output_claims[0][2] - mle_eval(&field(&trace.init), rho_a);
    let mut val =
        val_evaluation::prover(inc, eq_at_addresses(rho_a, &trace.writes), rho_c, val_claim);
    let mut stage2: [&mut dyn SumcheckInstanceProver; 1] = [&mut val];
    let (stage2_proof, r2) = BatchedSumcheck::prove(&mut stage2, transcript);
    let proof = TwistProof {
        stage1: stage1_proof,
        stage2: stage2_proof,
    };
    let openings = collect_openings(&params, &s1, &r1, &r2, &proof);
    Ok((proof, openings))
}

fn concat(a: &[Fr], b: &[Fr]) -> Vec<Fr> {
    a.iter().chain(b).copied().collect()
}

fn collect_openings(
    params: &TwistParams,
    s1: &Stage1,
    r1: &[Fr],
    r2: &[Fr],
    proof: &TwistProof,
) -> Vec<TwistOpening> {
    let (rho_c, rho_a) = r1.split_at(params.log_t);
    let c1 = &proof.stage1.output_claims;
    let c2 = &proof.stage2.output_claims;
    let final_point = &r1[r1.len() - params.log_t..];
    let opening = |poly, point, eval| TwistOpening { poly, point, eval };
    let mut openings = vec![
        opening(TwistPoly::Ra, concat(rho_a, rho_c), c1[0][0]),
        opening(TwistPoly::Wa, concat(rho_a, rho_c), c1[0][1]),
        opening(TwistPoly::Inc, rho_c.to_vec(), c1[0][3]),
        opening(TwistPoly::Inc, final_point.to_vec(), c1[1][0]),
        opening(TwistPoly::Wa, concat(&s1.r_final, final_point), c1[1][1]),
    ];
    // The one-hot checks run over (address ‖ cycle) with all the rounds.
    openings.push(opening(TwistPoly::Ra, r1.to_vec(), c1[2][0]));
    openings.push(opening(TwistPoly::Wa, r1.to_vec(), c1[2][1]));
    openings.push(opening(TwistPoly::Inc, r2.to_vec(), c2[0][0]));
    openings.push(opening(TwistPoly::Wa, concat(rho_a, r2), c2[0][1]));
    openings
}

/// Verifies a Twist proof of `statement` for a memory of shape `params`. Returns the opening
/// claims left to discharge against `commitments`.
#[tracing::instrument(skip_all, name = "twist::verify")]
pub fn verify<C: CommitmentScheme>(
    params: &TwistParams,
    commitments: &TwistCommitments<C>,
    statement: &TwistStatement<'_>,
    proof: &TwistProof,
    transcript: &mut Transcript,
) -> Result<Vec<TwistOpening>, TwistError> {
    statement.check(params)?;
    if params.log_k > MAX_LOG_K {
        return Err(TwistError::InvalidTrace(format!(
            "2^{} cells exceed 2^{MAX_LOG_K}",
            params.log_k
        )));
    }
    absorb_commitments(commitments, transcript);
    let s1 = stage1_challenges(params, statement, transcript);
    let rw = ReadWriteVerifier {
        log_k: params.log_k,
        log_t: params.log_t,
        r_cycle: &s1.r_cycle,
        gamma: s1.gamma,
        claim: s1.rw_claim,
    };
    let fin = FinalValueVerifier {
        log_t: params.log_t,
        claim: s1.final_claim,
    };
    let one_hot = OneHotVerifier {
        width: params.log_k,
        challenges: &s1.one_hot,
    };
    let stage1: [&dyn SumcheckInstanceVerifier; 3] = [&rw, &fin, &one_hot];
    let r1 = BatchedSumcheck::verify(&proof.stage1, &stage1, transcript)?;
    let (rho_c, rho_a) = r1.split_at(params.log_t);
    let val = ValEvaluationVerifier {
        log_t: params.log_t,
        r_cycle: rho_c,
        claim: proof.stage1.output_claims[0][2] - mle_eval(&field(statement.init), rho_a),
    };
    let r2 = BatchedSumcheck::verify(&proof.stage2, &[&val], transcript)?;
    Ok(collect_openings(params, &s1, &r1, &r2, proof))
}

#[cfg(test)]
mod tests;
