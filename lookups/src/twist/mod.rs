//! Twist: read/write memory checking (Setty–Thaler, *Twist and Shout*, ePrint 2025/105, §8).
//!
//! A memory of `K = 2^{log K}` cells starts at `init`; in each of `T = 2^{log T}` cycles the
//! program reads cell `ra_j` (getting `rv_j`, the value before this cycle's write) and writes
//! `wv_j` to cell `wa_j` (a cycle that only reads writes the cell's current value back). The
//! prover commits each address as `d` one-hot chunks (`ra(k, j) = Π_i ra_i(k_i, j)`, the same
//! chunking as Shout, [`Chunking`]) and the increments `Inc(j) = wv_j − Val(wa_j, j)` as small
//! integers, and proves
//!
//! | relation | where | stage |
//! |---|---|---|
//! | `rv(r) + γ·wv(r) = Σ eq(r,j)·[ra·Val + γ·wa·(Val + Inc)]` (`ra`, `wa`, `Val` virtual) | [`read_write`] | 1 |
//! | `final(r_f) − init(r_f) = Σ_j Inc(j)·Π_i wa_i(r_f, j)` | final value | 1 |
//! | booleanity and Hamming weight of every `ra_i` and `wa_i` | [`crate::shout::one_hot`] | 1 |
//! | `Val(ρ_a, ρ_c) − init(ρ_a) + μ·wa(ρ_a, ρ_c) = Σ_j [Inc(j)·lt(j, ρ_c) + μ·eq(ρ_c, j)]·Π_i wa_i(ρ_a, j)` | Val-evaluation | 2 |
//! | `ra(ρ_a, ρ_c) = Σ_j eq(ρ_c, j)·Π_i ra_i(ρ_a, j)` | address virtualization | 2 |
//!
//! where `Val(k, j) = init(k) + Σ_{j'<j} wa(k, j')·Inc(j')` stays virtual (`lt(j', j) = [j' < j]`).
//! The final-value sum says the memory after the last cycle is the initial memory plus every
//! increment at its write address; Val-evaluation reduces stage 1's claim on `Val` to the
//! committed `Inc` and `wa_i`, and with it (weight `μ`) the claim on the virtual `wa`; the
//! virtualization does the same for `ra`. Every remaining claim is an opening claim on an
//! `ra_i`, a `wa_i` or `Inc` ([`TwistOpening`]).
//!
//! The statement here is public (`init`, every read and written value, the final memory), which
//! is what the tests and benchmarks use; the addresses stay committed. Memories of up to `2^20`
//! cells: the committed one-hot tables hold `Σ_i 2^{w_i}·T` entries, not `K·T`.
//!
//! # Soundness
//! The caller must discharge every returned opening claim against the commitments.

pub mod read_write;

use crate::poly::{eq_table, mle_eval};
use crate::shout::one_hot::{OneHotChallenges, OneHotProver, OneHotVerifier};
use crate::shout::{split_bits, width_groups, Chunking};
use crate::sumcheck::DenseInstance;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::{CommitmentScheme, OneHotLayout, OneHotPolynomial, PcsError};
use jolt_core::poly::{EqPolynomial, LtPolynomial};
use jolt_core::sumcheck::{
    BatchedSumcheck, BatchedSumcheckProof, SumcheckError, SumcheckInstanceProver,
    SumcheckInstanceVerifier,
};
use jolt_core::transcript::Transcript;
use rayon::prelude::*;
use read_write::{ReadWriteProver, ReadWriteVerifier};

/// Largest memory: `2^20` cells.
pub const MAX_LOG_K: usize = 20;

/// Longest trace: `2^32` cycles.
pub const MAX_LOG_T: usize = 32;

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
    /// The shape, after checking it, with addresses chunked as `chunking` says.
    pub fn params(&self, chunking: Chunking) -> Result<TwistParams, TwistError> {
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
        TwistParams::new(
            k.trailing_zeros() as usize,
            t.trailing_zeros() as usize,
            chunking,
        )
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

/// The public shape of a memory: its size, the trace length and how addresses are chunked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwistParams {
    /// `log K`.
    pub log_k: usize,
    /// `log T`.
    pub log_t: usize,
    /// Width of each address chunk, low bits first (`Σ = log K`).
    pub chunk_bits: Vec<usize>,
}

impl TwistParams {
    /// The shape of `2^log_t` cycles on `2^log_k` cells, addresses chunked as `chunking` says
    /// (the same rule as Shout's: [`crate::shout::choose_log_chunk`] for [`Chunking::Auto`]).
    pub fn new(log_k: usize, log_t: usize, chunking: Chunking) -> Result<Self, TwistError> {
        let log_chunk = chunking.log_chunk(log_k, log_t);
        if log_k == 0 || log_chunk == 0 {
            return Err(TwistError::InvalidTrace(format!(
                "2^{log_k} cells with address chunks of {log_chunk} bits: both must be at least 1"
            )));
        }
        let params = Self {
            log_k,
            log_t,
            chunk_bits: split_bits(log_k, log_chunk),
        };
        params.check()?;
        Ok(params)
    }

    /// Checks a shape received from outside (the verifier's): sizes within bounds, chunks of
    /// at least one bit adding up to `log K`.
    pub fn check(&self) -> Result<(), TwistError> {
        if self.log_k == 0 || self.log_k > MAX_LOG_K || self.log_t > MAX_LOG_T {
            return Err(TwistError::InvalidTrace(format!(
                "2^{} cells and 2^{} cycles: at most 2^{MAX_LOG_K} cells (at least 2) and \
                 2^{MAX_LOG_T} cycles",
                self.log_k, self.log_t
            )));
        }
        if self.chunk_bits.contains(&0) || self.chunk_bits.iter().sum::<usize>() != self.log_k {
            return Err(TwistError::InvalidTrace(format!(
                "address chunks of {:?} bits do not cut {} bits",
                self.chunk_bits, self.log_k
            )));
        }
        Ok(())
    }

    /// Variables of the largest committed table (the widest one-hot chunk; `Inc` is smaller):
    /// the size a commitment setup must support.
    pub fn commitment_vars(&self) -> usize {
        self.chunk_bits.iter().max().copied().unwrap_or(0) + self.log_t
    }

    /// `(offset, width)` of every address chunk.
    pub fn chunks(&self) -> Vec<(usize, usize)> {
        let mut offset = 0;
        self.chunk_bits
            .iter()
            .map(|w| {
                offset += w;
                (offset - w, *w)
            })
            .collect()
    }

    /// Chunk `(offset, width)` of every address.
    fn chunk_values(addresses: &[u32], (offset, width): (usize, usize)) -> Vec<u32> {
        let mask = (1u32 << width) - 1;
        addresses.par_iter().map(|a| (a >> offset) & mask).collect()
    }

    /// `eq(r[chunk], chunk value)` for every cycle: `ra_i(r_i, j)` of a one-hot chunk.
    fn chunk_eq(r: &[Fr], values: &[u32]) -> Vec<Fr> {
        let eq = eq_table(r);
        values.par_iter().map(|v| eq[*v as usize]).collect()
    }

    /// `Π_i ra_i(r_i, ·)` as its `d` factors: the virtual one-hot `addresses` at `r`.
    fn address_factors(&self, r: &[Fr], chunks: &[Vec<u32>]) -> Vec<Vec<Fr>> {
        self.chunks()
            .iter()
            .zip(chunks)
            .map(|((offset, width), values)| Self::chunk_eq(&r[*offset..offset + width], values))
            .collect()
    }
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

/// Commitments to the read-address chunks, write-address chunks and increments.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct TwistCommitments<C: CommitmentScheme> {
    /// One-hot `ra_i`, one per address chunk.
    pub ra: Vec<C::Commitment>,
    /// One-hot `wa_i`, one per address chunk.
    pub wa: Vec<C::Commitment>,
    /// `Inc`.
    pub inc: C::Commitment,
}

/// The committed polynomials of Twist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwistPoly {
    /// Chunk `i` of the read addresses, `K_i × T` one-hot, cycle-major.
    Ra(usize),
    /// Chunk `i` of the write addresses, `K_i × T` one-hot, cycle-major.
    Wa(usize),
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
    /// Val-evaluation and address virtualization.
    pub stage2: BatchedSumcheckProof,
}

/// What the prover keeps from [`commit`] to [`prove`] and to the openings.
pub struct TwistWitness<'a, C: CommitmentScheme> {
    trace: &'a MemoryTrace,
    params: TwistParams,
    increments: Vec<i64>,
    /// Chunk values of the read and the write addresses, per chunk.
    ra: Vec<Vec<u32>>,
    wa: Vec<Vec<u32>>,
    ra_hints: Vec<C::OpeningHint>,
    wa_hints: Vec<C::OpeningHint>,
    inc_hint: C::OpeningHint,
}

impl<C: CommitmentScheme> TwistWitness<'_, C> {
    /// The shape.
    pub fn params(&self) -> &TwistParams {
        &self.params
    }

    /// A committed polynomial as a dense table, with its opening hint (for openings of small
    /// memories and tests).
    pub fn polynomial(&self, poly: TwistPoly) -> Result<(Vec<Fr>, &C::OpeningHint), TwistError> {
        let one_hot = |chunks: &[Vec<u32>], i: usize| -> Result<Vec<Fr>, TwistError> {
            let values = chunks.get(i).ok_or_else(|| {
                TwistError::InvalidTrace(format!("no address chunk {i} in {}", chunks.len()))
            })?;
            let a: Vec<Option<u32>> = values.iter().map(|x| Some(*x)).collect();
            let width = self.params.chunk_bits[i];
            Ok(OneHotPolynomial::new(1 << width, &a, OneHotLayout::CycleMajor)?.to_dense())
        };
        Ok(match poly {
            TwistPoly::Ra(i) => (one_hot(&self.ra, i)?, &self.ra_hints[i]),
            TwistPoly::Wa(i) => (one_hot(&self.wa, i)?, &self.wa_hints[i]),
            TwistPoly::Inc => (
                self.increments.iter().map(|v| from_i64(*v)).collect(),
                &self.inc_hint,
            ),
        })
    }
}

fn absorb_commitments<C: CommitmentScheme>(c: &TwistCommitments<C>, transcript: &mut Transcript) {
    for ra in &c.ra {
        transcript.append_serializable(b"twist_ra", ra);
    }
    for wa in &c.wa {
        transcript.append_serializable(b"twist_wa", wa);
    }
    transcript.append_serializable(b"twist_inc", &c.inc);
}

/// Commits the address chunks `ra_i`, `wa_i` (one-hot) and `Inc` (small integers) and absorbs
/// the commitments.
#[tracing::instrument(skip_all, name = "twist::commit")]
pub fn commit<'a, C: CommitmentScheme>(
    setup: &C::ProverSetup,
    trace: &'a MemoryTrace,
    chunking: Chunking,
    transcript: &mut Transcript,
) -> Result<(TwistCommitments<C>, TwistWitness<'a, C>), TwistError> {
    let params = trace.params(chunking)?;
    let (_, increments, _) = trace.execute();
    let split = |addresses: &[u32]| -> Vec<Vec<u32>> {
        params
            .chunks()
            .into_iter()
            .map(|chunk| TwistParams::chunk_values(addresses, chunk))
            .collect()
    };
    let (ra, wa) = (split(&trace.reads), split(&trace.writes));
    let commit_chunks = |chunks: &[Vec<u32>]| -> Result<Vec<_>, TwistError> {
        chunks
            .iter()
            .zip(&params.chunk_bits)
            .map(|(values, width)| {
                let a: Vec<Option<u32>> = values.iter().map(|x| Some(*x)).collect();
                let poly = OneHotPolynomial::new(1 << width, &a, OneHotLayout::CycleMajor)?;
                Ok(C::commit_one_hot(setup, &poly)?)
            })
            .collect()
    };
    let (ra_commitments, ra_hints): (Vec<_>, Vec<_>) = commit_chunks(&ra)?.into_iter().unzip();
    let (wa_commitments, wa_hints): (Vec<_>, Vec<_>) = commit_chunks(&wa)?.into_iter().unzip();
    let (inc, inc_hint) = C::commit_small(setup, &increments)?;
    let commitments = TwistCommitments {
        ra: ra_commitments,
        wa: wa_commitments,
        inc,
    };
    absorb_commitments(&commitments, transcript);
    Ok((
        commitments,
        TwistWitness {
            trace,
            params,
            increments,
            ra,
            wa,
            ra_hints,
            wa_hints,
            inc_hint,
        },
    ))
}

/// The one-hot checks of the read and write chunks of one width: `chunks` are the chunk
/// indices; the group's claims are every read chunk's, then every write chunk's.
struct OneHotGroup {
    width: usize,
    chunks: Vec<usize>,
    challenges: OneHotChallenges,
}

/// The verifier's random choices of stage 1 and the public evaluations, drawn identically on
/// both sides.
struct Stage1 {
    r_cycle: Vec<Fr>,
    r_final: Vec<Fr>,
    gamma: Fr,
    one_hot: Vec<OneHotGroup>,
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
    let one_hot = width_groups(&params.chunk_bits)
        .into_iter()
        .map(|(width, chunks)| OneHotGroup {
            width,
            challenges: OneHotChallenges::draw(width, &one_hot_cycle, 2 * chunks.len(), transcript),
            chunks,
        })
        .collect();
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

/// Stage 2's claims and challenge, from stage 1's point and output claims.
struct Stage2 {
    /// `Val(ρ_a, ρ_c) − init(ρ_a)`.
    val_claim: Fr,
    /// `wa(ρ_a, ρ_c)`.
    wa_claim: Fr,
    /// `ra(ρ_a, ρ_c)`.
    ra_claim: Fr,
    /// Weight of the write-address virtualization next to Val-evaluation.
    mu: Fr,
}

fn stage2_challenges(
    params: &TwistParams,
    init: &[Fr],
    r1: &[Fr],
    stage1: &BatchedSumcheckProof,
    transcript: &mut Transcript,
) -> Result<Stage2, TwistError> {
    let rw = stage1
        .output_claims
        .first()
        .filter(|c| c.len() == 4)
        .ok_or_else(|| TwistError::InvalidTrace("read/write output claims".into()))?;
    let rho_a = &r1[params.log_t..];
    Ok(Stage2 {
        val_claim: rw[2] - mle_eval(init, rho_a),
        wa_claim: rw[1],
        ra_claim: rw[0],
        mu: transcript.challenge_scalar(b"twist_mu"),
    })
}

/// Proves the trace against the public statement. Returns the proof and the opening claims.
#[tracing::instrument(skip_all, name = "twist::prove")]
pub fn prove<C: CommitmentScheme>(
    witness: &TwistWitness<'_, C>,
    statement: &TwistStatement<'_>,
    transcript: &mut Transcript,
) -> Result<(TwistProof, Vec<TwistOpening>), TwistError> {
    let params = &witness.params;
    statement.check(params)?;
    let trace = witness.trace;
    let d = params.chunk_bits.len();
    let s1 = stage1_challenges(params, statement, transcript);
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
    let mut fin = {
        let mut tables = vec![inc.clone()];
        tables.extend(params.address_factors(&s1.r_final, &witness.wa));
        DenseInstance::with_known_claim(tables, d + 1, s1.final_claim, |t| t.iter().product())
    };
    let mut one_hot: Vec<OneHotProver<'_>> = s1
        .one_hot
        .iter()
        .map(|g| {
            let chunks = (g.chunks.iter().map(|c| witness.ra[*c].as_slice()))
                .chain(g.chunks.iter().map(|c| witness.wa[*c].as_slice()));
            OneHotProver::new(chunks.collect(), g.width, g.challenges.clone())
        })
        .collect();
    let mut stage1: Vec<&mut dyn SumcheckInstanceProver> = vec![&mut rw, &mut fin];
    stage1.extend(
        one_hot
            .iter_mut()
            .map(|p| p as &mut dyn SumcheckInstanceProver),
    );
    let (stage1_proof, r1) = BatchedSumcheck::prove(&mut stage1, transcript);
    let init = field(&trace.init);
    let s2 = stage2_challenges(params, &init, &r1, &stage1_proof, transcript)?;
    let (rho_c, rho_a) = r1.split_at(params.log_t);
    // Val-evaluation and wa(ρ_a, ρ_c) share the factors Π_i wa_i(ρ_a, j):
    // Σ_j [Inc(j)·lt(j, ρ_c) + μ·eq(ρ_c, j)]·Π_i wa_i(ρ_a, j).
    let mut val = {
        let mut tables = vec![inc, LtPolynomial::evals_below(rho_c), eq_table(rho_c)];
        tables.extend(params.address_factors(rho_a, &witness.wa));
        let mu = s2.mu;
        DenseInstance::with_known_claim(tables, d + 2, s2.val_claim + mu * s2.wa_claim, move |t| {
            (t[0] * t[1] + mu * t[2]) * t[3..].iter().product::<Fr>()
        })
        .with_outputs([0].into_iter().chain(3..3 + d).collect())
    };
    let mut ra = {
        let mut tables = vec![eq_table(rho_c)];
        tables.extend(params.address_factors(rho_a, &witness.ra));
        DenseInstance::with_known_claim(tables, d + 1, s2.ra_claim, |t| t.iter().product())
            .with_outputs((1..=d).collect())
    };
    let mut stage2: [&mut dyn SumcheckInstanceProver; 2] = [&mut val, &mut ra];
    let (stage2_proof, r2) = BatchedSumcheck::prove(&mut stage2, transcript);
    let proof = TwistProof {
        stage1: stage1_proof,
        stage2: stage2_proof,
    };
    let openings = collect_openings(params, &s1, &r1, &r2, &proof)?;
    Ok((proof, openings))
}

fn concat(a: &[Fr], b: &[Fr]) -> Vec<Fr> {
    a.iter().chain(b).copied().collect()
}

/// Every opening claim the two stages leave, from their points and output claims (whose
/// shapes the batched verifier has checked; a shape error is returned, never a panic).
fn collect_openings(
    params: &TwistParams,
    s1: &Stage1,
    r1: &[Fr],
    r2: &[Fr],
    proof: &TwistProof,
) -> Result<Vec<TwistOpening>, TwistError> {
    let d = params.chunk_bits.len();
    let (c1, c2) = (&proof.stage1.output_claims, &proof.stage2.output_claims);
    let shape_ok = c1.len() == 2 + s1.one_hot.len()
        && c1[0].len() == 4
        && c1[1].len() == 1 + d
        && c2.len() == 2
        && c2[0].len() == 1 + d
        && c2[1].len() == d;
    if !shape_ok {
        return Err(TwistError::InvalidTrace("proof output claims".into()));
    }
    let (rho_c, rho_a) = r1.split_at(params.log_t);
    let final_point = &r1[r1.len() - params.log_t..];
    let opening = |poly, point, eval| TwistOpening { poly, point, eval };
    let mut openings = vec![
        opening(TwistPoly::Inc, rho_c.to_vec(), c1[0][3]),
        opening(TwistPoly::Inc, final_point.to_vec(), c1[1][0]),
        opening(TwistPoly::Inc, r2.to_vec(), c2[0][0]),
    ];
    for (i, (offset, width)) in params.chunks().into_iter().enumerate() {
        let at = |r: &[Fr], cycle: &[Fr]| concat(&r[offset..offset + width], cycle);
        openings.push(opening(
            TwistPoly::Wa(i),
            at(&s1.r_final, final_point),
            c1[1][1 + i],
        ));
        openings.push(opening(TwistPoly::Wa(i), at(rho_a, r2), c2[0][1 + i]));
        openings.push(opening(TwistPoly::Ra(i), at(rho_a, r2), c2[1][i]));
    }
    // The one-hot checks of a group run over (address ‖ cycle), the last rounds of stage 1.
    for (g, claims) in s1.one_hot.iter().zip(&c1[2..]) {
        let point = &r1[r1.len() - g.width - params.log_t..];
        let polys = (g.chunks.iter().map(|c| TwistPoly::Ra(*c)))
            .chain(g.chunks.iter().map(|c| TwistPoly::Wa(*c)));
        for (poly, eval) in polys.zip(claims) {
            openings.push(opening(poly, point.to_vec(), *eval));
        }
    }
    Ok(openings)
}

/// `Σ_j weight(j)·Π_k factor_k(j)` over the cycles, the factors being the output claims: the
/// verifier of the final-value sum (weight 1, factors `Inc, wa_1(r_f), …`) and of the
/// read-address virtualization (weight `eq(ρ_c, ·)`, factors `ra_1(ρ_a), …`).
struct ProductVerifier<'a> {
    log_t: usize,
    factors: usize,
    claim: Fr,
    /// `eq(r, ·)` weight, or none.
    eq: Option<&'a [Fr]>,
}

impl SumcheckInstanceVerifier for ProductVerifier<'_> {
    fn degree(&self) -> usize {
        self.factors + usize::from(self.eq.is_some())
    }

    fn num_rounds(&self) -> usize {
        self.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        self.factors
    }

    fn expected_output_claim(&self, point: &[Fr], c: &[Fr]) -> Fr {
        let weight = self
            .eq
            .map_or(Fr::from(1u64), |r| EqPolynomial::evaluate(r, point));
        weight * c.iter().product::<Fr>()
    }
}

/// The verifier of `Σ_j [Inc(j)·lt(j, ρ_c) + μ·eq(ρ_c, j)]·Π_i wa_i(ρ_a, j)`.
struct ValVerifier<'a> {
    log_t: usize,
    factors: usize,
    rho_c: &'a [Fr],
    mu: Fr,
    claim: Fr,
}

impl SumcheckInstanceVerifier for ValVerifier<'_> {
    fn degree(&self) -> usize {
        self.factors + 2
    }

    fn num_rounds(&self) -> usize {
        self.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        self.factors + 1
    }

    fn expected_output_claim(&self, point: &[Fr], c: &[Fr]) -> Fr {
        (c[0] * LtPolynomial::evaluate(point, self.rho_c)
            + self.mu * EqPolynomial::evaluate(self.rho_c, point))
            * c[1..].iter().product::<Fr>()
    }
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
    params.check()?;
    statement.check(params)?;
    let d = params.chunk_bits.len();
    if commitments.ra.len() != d || commitments.wa.len() != d {
        return Err(TwistError::InvalidTrace(format!(
            "{} read and {} write chunk commitments for {d} address chunks",
            commitments.ra.len(),
            commitments.wa.len()
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
    let fin = ProductVerifier {
        log_t: params.log_t,
        factors: d + 1,
        claim: s1.final_claim,
        eq: None,
    };
    let one_hot: Vec<OneHotVerifier<'_>> = s1
        .one_hot
        .iter()
        .map(|g| OneHotVerifier {
            width: g.width,
            challenges: &g.challenges,
        })
        .collect();
    let mut stage1: Vec<&dyn SumcheckInstanceVerifier> = vec![&rw, &fin];
    stage1.extend(one_hot.iter().map(|v| v as &dyn SumcheckInstanceVerifier));
    let r1 = BatchedSumcheck::verify(&proof.stage1, &stage1, transcript)?;
    let s2 = stage2_challenges(
        params,
        &field(statement.init),
        &r1,
        &proof.stage1,
        transcript,
    )?;
    let rho_c = &r1[..params.log_t];
    let val = ValVerifier {
        log_t: params.log_t,
        factors: d,
        rho_c,
        mu: s2.mu,
        claim: s2.val_claim + s2.mu * s2.wa_claim,
    };
    let ra = ProductVerifier {
        log_t: params.log_t,
        factors: d,
        claim: s2.ra_claim,
        eq: Some(rho_c),
    };
    let r2 = BatchedSumcheck::verify(&proof.stage2, &[&val, &ra], transcript)?;
    collect_openings(params, &s1, &r1, &r2, proof)
}

#[cfg(test)]
mod tests;
