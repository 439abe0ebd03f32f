//! Shout: read-only lookups (Setty–Thaler, *Twist and Shout*, ePrint 2025/105).
//!
//! An instance is `T = 2^{log T}` lookups into a table of `K = 2^{log K}` entries: cycle `j`
//! reads key `k_j`, whose operand is `Op(k_j)` and whose value is `Val(k_j)`. The prover commits
//! the key as `d` one-hot chunks `ra_i ∈ {0,1}^{K_c × T}` (`k_j = Σ_i chunk_i(j)·K_c^i`) and
//! proves, for the caller's cycle point `r_cycle` and claimed `rv(r_cycle)` (the looked-up
//! values' polynomial, usually a claim of the VM's claim flow):
//!
//! | relation | module | rounds |
//! |---|---|---|
//! | `rv(r) + γ·raf(r) = Σ_{k,j} eq(r,j)·Π_i ra_i(k_i,j)·(Val(k) + γ·Op(k))` | [`read_raf`] | `log K + log T` |
//! | `0 = Σ_{k,j} eq(r_a,k)·eq(r_c,j)·(ra_i² − ra_i)` per chunk | [`booleanity`] | `log K_c + log T` |
//! | `1 = Σ_{k,j} eq(r_c,j)·ra_i(k,j)` per chunk | [`hamming`] | `log K_c + log T` |
//!
//! (the last two batched over the chunks of equal width by [`one_hot`])
//!
//! all in one batched sumcheck over every instance (tables and sizes may differ). The address
//! rounds of the read-checking sum use the prefix–suffix prover ([`prefix_suffix`]) so that a
//! structured table of `2^32` entries is never materialized.
//!
//! What the caller gets back ([`ShoutOutput`]):
//! * `raf(r_cycle) = Σ_j eq(r_cycle, j)·Op(k_j)`, a claim on the *operand* polynomial at the same
//!   point — the claim flow continues with it (for the standalone API, the verifier checks it
//!   against the public operands);
//! * per chunk, two opening claims (the read-checking point and the booleanity/Hamming point),
//!   to be discharged by the opening reduction against the chunk commitments.
//!
//! # Protocol
//! 1. [`commit`]: the chunks are committed (one-hot, one group addition per cycle) and every
//!    commitment is absorbed ([`absorb_commitments`]).
//! 2. For each instance, `rv` and the prover's `raf` are absorbed; `γ`, the one-hot point
//!    `r_c` and, per group of equal-width chunks, `r_a` and the coefficients `β_i, δ_i` are
//!    drawn.
//! 3. One batched sumcheck over: per instance its read-checking + RAF sum, then per group its
//!    one-hot checks. Output claims are absorbed by the driver.
//! 4. The verifier checks the final claim against every instance's output claims.
//!
//! # Soundness
//! The caller must have absorbed `r_cycle`'s provenance and must discharge the returned opening
//! claims and the `raf` claim. Keys must be below `K`; `T` must be a power of two: the caller
//! pads, consistently with its own tensors (a padding cycle is a real lookup).

pub mod booleanity;
pub mod hamming;
pub mod one_hot;
pub mod prefix_suffix;
pub mod read_raf;
pub mod weights;

use crate::tables::{LookupTable, TableError, MAX_MATERIALIZED_LOG_K};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::{CommitmentScheme, OneHotLayout, OneHotPolynomial, PcsError};
use jolt_core::sumcheck::{
    BatchedSumcheck, BatchedSumcheckProof, SumcheckError, SumcheckInstanceProver,
    SumcheckInstanceVerifier,
};
use jolt_core::transcript::Transcript;
use one_hot::{OneHotChallenges, OneHotProver, OneHotVerifier};
use rayon::prelude::*;
use read_raf::{ReadRafProver, ReadRafVerifier};
pub use weights::{CycleWeights, WeightTerm};

/// Default chunk width: `K_c = 2^8`, so a chunk of `T` cycles is a `2^{8 + log T}` one-hot table.
pub const DEFAULT_LOG_CHUNK: usize = 8;

/// Largest one-hot table (in variables) committed as a single chunk by [`choose_log_chunk`].
pub const MAX_SINGLE_CHUNK_VARS: usize = 24;

/// How an instance's keys are cut into one-hot chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Chunking {
    /// [`choose_log_chunk`] from the table and trace sizes.
    #[default]
    Auto,
    /// Chunks of this many bits (the last one narrower).
    Fixed(usize),
}

impl Chunking {
    /// The chunk width for `2^log_t` lookups into a table of `2^log_k` entries.
    pub fn log_chunk(self, log_k: usize, log_t: usize) -> usize {
        match self {
            Chunking::Auto => choose_log_chunk(log_k, log_t),
            Chunking::Fixed(bits) => bits,
        }
    }
}

/// The chunk width for `2^log_t` lookups into a table of `2^log_k` entries.
///
/// * The whole key in one chunk when the one-hot table has at most
///   `2^MAX_SINGLE_CHUNK_VARS` entries: no RA virtualization, read-checking degree 2.
/// * Otherwise 4-bit chunks below `2^25` lookups, [`DEFAULT_LOG_CHUNK`] (8) bits above. The
///   one-hot tables then hold `⌈log K / w⌉·2^w·T` entries in all, and a Dory commitment costs
///   one Miller loop per row of `2^σ` of them, so 4-bit chunks commit 8× fewer entries than
///   8-bit ones at the price of a higher read-checking degree `d + 1` (measured on 2^20 ReLU
///   lookups: 3.9 s + 5.7 s of CPU for commitments + sumchecks with 4 bits, 12.6 s + 2.6 s with
///   8 bits); for very long traces the sumcheck dominates and 8 bits wins, as in Jolt.
pub fn choose_log_chunk(log_k: usize, log_t: usize) -> usize {
    if log_k + log_t <= MAX_SINGLE_CHUNK_VARS {
        log_k.max(1)
    } else if log_t < 25 {
        4
    } else {
        DEFAULT_LOG_CHUNK
    }
}

/// Widths of the chunks of a `log_k`-bit key cut every `log_chunk` bits, low bits first: equal
/// widths, the last one narrower (`log_k, log_chunk ≥ 1`).
pub(crate) fn split_bits(log_k: usize, log_chunk: usize) -> Vec<usize> {
    let w = log_chunk.min(log_k);
    let mut bits = vec![w; log_k / w];
    if log_k % w != 0 {
        bits.push(log_k % w);
    }
    bits
}

/// The chunks grouped by width, in order of first appearance: `(width, chunk indices)`.
pub(crate) fn width_groups(chunk_bits: &[usize]) -> Vec<(usize, Vec<usize>)> {
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, w) in chunk_bits.iter().enumerate() {
        match groups.iter_mut().find(|g| g.0 == *w) {
            Some(g) => g.1.push(i),
            None => groups.push((*w, vec![i])),
        }
    }
    groups
}

/// Errors of the Shout prover and verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShoutError {
    /// An instance is malformed (lengths, sizes, chunking).
    #[error("lookup instance {instance}: {reason}")]
    InvalidInstance {
        /// Instance index.
        instance: usize,
        /// What is wrong.
        reason: String,
    },
    /// A key is not below `K`.
    #[error("lookup instance {instance}, cycle {cycle}: key {key} not below 2^{log_k}")]
    KeyOutOfRange {
        /// Instance index.
        instance: usize,
        /// Cycle.
        cycle: usize,
        /// The key.
        key: u64,
        /// `log K`.
        log_k: usize,
    },
    /// A list in the proof or the statement has the wrong length.
    #[error("{what}: expected {expected}, got {actual}")]
    ShapeMismatch {
        /// What was counted.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The RAF claim does not match the public operands (standalone API).
    #[error("lookup instance {0}: addresses do not match the operands")]
    RafMismatch(usize),
    /// The table cannot be used.
    #[error(transparent)]
    Table(#[from] TableError),
    /// Commitment or opening failure.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// The batched sumcheck rejected.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
}

/// The public shape of one lookup instance, shared by prover and verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShoutParams {
    /// `log K`.
    pub log_k: usize,
    /// `log T`.
    pub log_t: usize,
    /// Width of each chunk, low bits first (`Σ = log K`).
    pub chunk_bits: Vec<usize>,
    /// Whether the address rounds use the table's prefix–suffix decomposition (otherwise the
    /// table is materialized).
    pub prefix_suffix: bool,
}

impl ShoutParams {
    /// The shape of `num_lookups` lookups into `table`, chunked as `chunking` says (chunks of
    /// equal width, the last one narrower).
    pub fn new(
        table: &dyn LookupTable,
        num_lookups: usize,
        chunking: Chunking,
    ) -> Result<Self, ShoutError> {
        let invalid = |reason: String| ShoutError::InvalidInstance {
            instance: 0,
            reason,
        };
        if !num_lookups.is_power_of_two() {
            return Err(invalid(format!(
                "{num_lookups} lookups: pad to a power of two"
            )));
        }
        let log_k = table.log_k();
        let log_chunk = chunking.log_chunk(log_k, num_lookups.trailing_zeros() as usize);
        if log_chunk == 0 || log_k == 0 || log_k > 63 {
            return Err(invalid(format!(
                "table of 2^{log_k} entries with chunks of {log_chunk} bits"
            )));
        }
        let chunk_bits = split_bits(log_k, log_chunk);
        let prefix_suffix = match table.prefix_suffix() {
            Some(ps) => {
                let mut end = 0;
                for w in &chunk_bits {
                    end += w;
                    if !ps.supports_split(end) {
                        return Err(invalid(format!(
                            "table {} does not decompose at bit {end}",
                            table.name()
                        )));
                    }
                }
                true
            }
            None if log_k <= MAX_MATERIALIZED_LOG_K => false,
            None => {
                return Err(TableError::TooLarge {
                    name: table.name(),
                    log_k,
                    max: MAX_MATERIALIZED_LOG_K,
                }
                .into())
            }
        };
        Ok(Self {
            log_k,
            log_t: num_lookups.trailing_zeros() as usize,
            chunk_bits,
            prefix_suffix,
        })
    }

    /// `(offset, width)` of every chunk.
    pub fn chunks(&self) -> Vec<(usize, usize)> {
        let mut offset = 0;
        self.chunk_bits
            .iter()
            .map(|w| {
                let c = (offset, *w);
                offset += w;
                c
            })
            .collect()
    }

    /// `(start, width)` of every phase of the address rounds.
    pub(crate) fn phases(&self, _table: &dyn LookupTable) -> Vec<(usize, usize)> {
        if self.prefix_suffix {
            self.chunks()
        } else {
            vec![(0, self.log_k)]
        }
    }

    /// Degree of the read-checking + RAF sum: `d + 1` in the cycle variables, 2 in the address
    /// variables.
    pub fn read_raf_degree(&self) -> usize {
        (self.chunk_bits.len() + 1).max(2)
    }

    /// The value of chunk `i` of every key.
    pub fn chunk_values(&self, keys: &[u64], chunk: usize) -> Vec<u32> {
        let (offset, width) = self.chunks()[chunk];
        let mask = (1u64 << width) - 1;
        keys.par_iter()
            .map(|k| ((k >> offset) & mask) as u32)
            .collect()
    }
}

/// One lookup instance on the prover's side: a table and the keys read (`T` a power of two).
#[derive(Clone, Copy, Debug)]
pub struct Lookups<'a> {
    /// The table.
    pub table: &'a dyn LookupTable,
    /// The key of every cycle.
    pub keys: &'a [u64],
}

/// Commitments to the chunks of every instance: `chunks[instance][chunk]`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ShoutCommitments<C: CommitmentScheme> {
    /// `ra_i` of every instance.
    pub chunks: Vec<Vec<C::Commitment>>,
}

/// What the prover keeps from [`commit`] to [`prove`] and to the openings.
pub struct ShoutWitness<'a, C: CommitmentScheme> {
    lookups: Vec<Lookups<'a>>,
    params: Vec<ShoutParams>,
    /// `chunks[instance][chunk][cycle]`.
    chunks: Vec<Vec<Vec<u32>>>,
    hints: Vec<Vec<C::OpeningHint>>,
}

impl<C: CommitmentScheme> ShoutWitness<'_, C> {
    /// The shape of every instance.
    pub fn params(&self) -> &[ShoutParams] {
        &self.params
    }

    /// The one-hot chunk `chunk` of instance `instance` as a dense table (for openings of small
    /// instances and tests) and its opening hint.
    pub fn chunk_polynomial(
        &self,
        instance: usize,
        chunk: usize,
    ) -> Result<(Vec<Fr>, &C::OpeningHint), ShoutError> {
        let addresses: Vec<Option<u32>> = self.chunks[instance][chunk]
            .iter()
            .map(|c| Some(*c))
            .collect();
        let width = self.params[instance].chunk_bits[chunk];
        let poly = OneHotPolynomial::new(1 << width, &addresses, OneHotLayout::CycleMajor)?;
        Ok((poly.to_dense(), &self.hints[instance][chunk]))
    }

    /// The one-hot chunk `chunk` of instance `instance` without densifying it: the address
    /// (chunk value, below `K_c = 2^width`) of every cycle, the width `log K_c`, and the opening
    /// hint. The chunk polynomial is cycle-major: its single `1` of cycle `j` sits at index
    /// `j·K_c + values[j]`.
    pub fn chunk_values(&self, instance: usize, chunk: usize) -> (&[u32], usize, &C::OpeningHint) {
        (
            &self.chunks[instance][chunk],
            self.params[instance].chunk_bits[chunk],
            &self.hints[instance][chunk],
        )
    }
}

/// Absorbs the chunk commitments after checking their shape against `params`.
pub fn absorb_commitments<C: CommitmentScheme>(
    params: &[ShoutParams],
    commitments: &ShoutCommitments<C>,
    transcript: &mut Transcript,
) -> Result<(), ShoutError> {
    if commitments.chunks.len() != params.len() {
        return Err(ShoutError::ShapeMismatch {
            what: "instances with commitments",
            expected: params.len(),
            actual: commitments.chunks.len(),
        });
    }
    for (p, cs) in params.iter().zip(&commitments.chunks) {
        if cs.len() != p.chunk_bits.len() {
            return Err(ShoutError::ShapeMismatch {
                what: "chunk commitments",
                expected: p.chunk_bits.len(),
                actual: cs.len(),
            });
        }
        for c in cs {
            transcript.append_serializable(b"shout_chunk_commitment", c);
        }
    }
    Ok(())
}

/// Step 1: chunks every key, commits every chunk (one-hot, cycle-major: entry `(k, j)` at index
/// `j·K_c + k`) and absorbs the commitments.
#[tracing::instrument(skip_all, name = "shout::commit")]
pub fn commit<'a, C: CommitmentScheme>(
    setup: &C::ProverSetup,
    lookups: &[Lookups<'a>],
    chunking: Chunking,
    transcript: &mut Transcript,
) -> Result<(ShoutCommitments<C>, ShoutWitness<'a, C>), ShoutError> {
    let mut params = Vec::with_capacity(lookups.len());
    let mut chunks = Vec::with_capacity(lookups.len());
    let mut commitments = Vec::with_capacity(lookups.len());
    let mut hints = Vec::with_capacity(lookups.len());
    for (instance, l) in lookups.iter().enumerate() {
        let p = ShoutParams::new(l.table, l.keys.len(), chunking).map_err(|e| match e {
            ShoutError::InvalidInstance { reason, .. } => {
                ShoutError::InvalidInstance { instance, reason }
            }
            e => e,
        })?;
        if let Some(cycle) = l
            .keys
            .iter()
            .position(|k| p.log_k < 64 && *k >> p.log_k != 0)
        {
            return Err(ShoutError::KeyOutOfRange {
                instance,
                cycle,
                key: l.keys[cycle],
                log_k: p.log_k,
            });
        }
        let inst_chunks: Vec<Vec<u32>> = (0..p.chunk_bits.len())
            .map(|i| p.chunk_values(l.keys, i))
            .collect();
        let mut inst_commitments = Vec::new();
        let mut inst_hints = Vec::new();
        for (values, width) in inst_chunks.iter().zip(&p.chunk_bits) {
            let addresses: Vec<Option<u32>> = values.iter().map(|c| Some(*c)).collect();
            let poly = OneHotPolynomial::new(1 << width, &addresses, OneHotLayout::CycleMajor)?;
            let (c, h) = C::commit_one_hot(setup, &poly)?;
            inst_commitments.push(c);
            inst_hints.push(h);
        }
        params.push(p);
        chunks.push(inst_chunks);
        commitments.push(inst_commitments);
        hints.push(inst_hints);
    }
    let commitments = ShoutCommitments {
        chunks: commitments,
    };
    absorb_commitments(&params, &commitments, transcript)?;
    Ok((
        commitments,
        ShoutWitness {
            lookups: lookups.to_vec(),
            params,
            chunks,
            hints,
        },
    ))
}

/// The claim an instance's read-checking starts from: `rv = Σ_j W(j)·Val(k_j)` for the cycle
/// weights `W` — usually `W = eq(r_cycle, ·)`, the values' polynomial at `r_cycle`
/// ([`ReadClaim::at`]); for an instance shared by several users, a random combination of
/// claims on their segments ([`CycleWeights`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadClaim {
    /// The cycle weights.
    pub cycle: CycleWeights,
    /// `Σ_j W(j)·Val(k_j)`.
    pub rv: Fr,
}

impl ReadClaim {
    /// The claim `rv(r_cycle) = rv` (`log T` coordinates).
    pub fn at(r_cycle: Vec<Fr>, rv: Fr) -> Self {
        Self {
            cycle: CycleWeights::eq(&r_cycle),
            rv,
        }
    }
}

/// A Shout proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ShoutProof {
    /// `raf(r_cycle)` of every instance.
    pub raf_claims: Vec<Fr>,
    /// The batched sumcheck, with its output claims.
    pub sumcheck: BatchedSumcheckProof,
}

/// An opening claim on a committed chunk: `ra_{instance, chunk}(point) = eval`, with `point` in
/// the cycle-major layout (`r_address ‖ r_cycle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkOpening {
    /// Instance index.
    pub instance: usize,
    /// Chunk index.
    pub chunk: usize,
    /// The point, `log K_c + log T` coordinates.
    pub point: Vec<Fr>,
    /// The claimed evaluation.
    pub eval: Fr,
}

/// What a Shout proof leaves to discharge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShoutOutput {
    /// `raf(r_cycle)` of every instance: claims on the operand polynomials.
    pub raf_claims: Vec<Fr>,
    /// Opening claims on the committed chunks.
    pub openings: Vec<ChunkOpening>,
}

/// The one-hot checks of one group of equal-width chunks of an instance.
#[derive(Clone, Debug)]
struct OneHotGroup {
    width: usize,
    chunks: Vec<usize>,
    challenges: OneHotChallenges,
}

/// The verifier's random choices, drawn identically on both sides.
struct Challenges {
    gammas: Vec<Fr>,
    /// Per instance, its groups of chunks of equal width (in order of first chunk).
    one_hot: Vec<Vec<OneHotGroup>>,
}

fn draw_challenges(
    params: &[ShoutParams],
    claims: &[ReadClaim],
    raf_claims: &[Fr],
    transcript: &mut Transcript,
) -> Challenges {
    let mut ch = Challenges {
        gammas: Vec::new(),
        one_hot: Vec::new(),
    };
    for ((p, claim), raf) in params.iter().zip(claims).zip(raf_claims) {
        transcript.append_scalar(b"shout_rv", &claim.rv);
        transcript.append_scalar(b"shout_raf", raf);
        ch.gammas.push(transcript.challenge_scalar(b"shout_gamma"));
        let r_cycle = transcript.challenge_scalars(b"shout_one_hot_cycle", p.log_t);
        let groups = width_groups(&p.chunk_bits)
            .into_iter()
            .map(|(width, chunks)| OneHotGroup {
                width,
                challenges: OneHotChallenges::draw(width, &r_cycle, chunks.len(), transcript),
                chunks,
            })
            .collect();
        ch.one_hot.push(groups);
    }
    ch
}

fn check_claims(params: &[ShoutParams], claims: &[ReadClaim]) -> Result<(), ShoutError> {
    if claims.len() != params.len() {
        return Err(ShoutError::ShapeMismatch {
            what: "read claims",
            expected: params.len(),
            actual: claims.len(),
        });
    }
    for (i, (p, c)) in params.iter().zip(claims).enumerate() {
        c.cycle
            .check(p.log_t)
            .map_err(|reason| ShoutError::InvalidInstance {
                instance: i,
                reason,
            })?;
    }
    Ok(())
}

/// Which instance provers a Shout batch runs, given the drawn challenges (the honest prover
/// builds them from the one-hot witness; tests build them from malformed witnesses).
type BuildProvers<'w> = dyn FnOnce(&Challenges) -> Vec<Box<dyn SumcheckInstanceProver + 'w>> + 'w;

/// Steps 2–3 for a given set of instance provers.
fn prove_batch<'w>(
    params: &[ShoutParams],
    claims: &[ReadClaim],
    raf_claims: Vec<Fr>,
    build: Box<BuildProvers<'w>>,
    transcript: &mut Transcript,
) -> Result<(ShoutProof, ShoutOutput), ShoutError> {
    let challenges = draw_challenges(params, claims, &raf_claims, transcript);
    let mut provers = build(&challenges);
    let mut refs: Vec<&mut dyn SumcheckInstanceProver> = provers
        .iter_mut()
        .map(|p| p.as_mut() as &mut dyn SumcheckInstanceProver)
        .collect();
    let (sumcheck, r) = BatchedSumcheck::prove(&mut refs, transcript);
    let openings = collect_openings(params, &challenges.one_hot, &r, &sumcheck.output_claims);
    Ok((
        ShoutProof {
            raf_claims: raf_claims.clone(),
            sumcheck,
        },
        ShoutOutput {
            raf_claims,
            openings,
        },
    ))
}

/// Steps 2–3: proves every instance's lookups against the caller's read claims.
#[tracing::instrument(skip_all, name = "shout::prove")]
pub fn prove<'a, C: CommitmentScheme>(
    witness: &'a ShoutWitness<'a, C>,
    claims: &[ReadClaim],
    transcript: &mut Transcript,
) -> Result<(ShoutProof, ShoutOutput), ShoutError> {
    let params = &witness.params;
    check_claims(params, claims)?;
    let weights: Vec<Vec<Fr>> = params
        .iter()
        .zip(claims)
        .map(|(p, c)| c.cycle.table(p.log_t))
        .collect();
    let raf_claims: Vec<Fr> = witness
        .lookups
        .iter()
        .zip(&weights)
        .map(|(l, w)| {
            let op = l.table.operand();
            l.keys
                .par_iter()
                .zip(w.par_iter())
                .map(|(k, e)| jolt_core::field::mul_i64(e, op.eval_index(*k)))
                .sum()
        })
        .collect();
    let rvs = claims.iter().map(|c| c.rv).collect();
    let build = honest_provers(witness, weights, rvs, raf_claims.clone());
    prove_batch(params, claims, raf_claims, build, transcript)
}

/// The honest instance provers: read-checking + RAF from the keys, booleanity and Hamming
/// weight from the one-hot chunks. `raf_claims` enter the read-checking claim `rv + γ·raf`.
#[tracing::instrument(skip_all, name = "shout::honest_provers")]
fn honest_provers<'a, C: CommitmentScheme>(
    witness: &'a ShoutWitness<'a, C>,
    weights: Vec<Vec<Fr>>,
    rvs: Vec<Fr>,
    raf_claims: Vec<Fr>,
) -> Box<BuildProvers<'a>> {
    Box::new(move |ch: &Challenges| {
        let mut provers: Vec<Box<dyn SumcheckInstanceProver + 'a>> = Vec::new();
        for (i, (l, w)) in witness.lookups.iter().zip(weights).enumerate() {
            let p = &witness.params[i];
            let claim = rvs[i] + ch.gammas[i] * raf_claims[i];
            provers.push(Box::new(ReadRafProver::new(
                p,
                l.table,
                l.keys,
                w,
                ch.gammas[i],
                claim,
            )));
            for g in &ch.one_hot[i] {
                let chunks = g.chunks.iter().map(|c| witness.chunks[i][*c].as_slice());
                provers.push(Box::new(OneHotProver::new(
                    chunks.collect(),
                    g.width,
                    g.challenges.clone(),
                )));
            }
        }
        provers
    })
}

/// The opening claims of a batch: per chunk, the read-checking point and the one-hot check
/// point of its group.
fn collect_openings(
    params: &[ShoutParams],
    groups: &[Vec<OneHotGroup>],
    challenges: &[Fr],
    output_claims: &[Vec<Fr>],
) -> Vec<ChunkOpening> {
    let n = challenges.len();
    let mut openings = Vec::new();
    let mut next = 0;
    for (instance, (p, groups)) in params.iter().zip(groups).enumerate() {
        let rounds = p.log_k + p.log_t;
        let point = &challenges[n - rounds..];
        let (rho_a, rho_c) = point.split_at(p.log_k);
        let read = &output_claims[next];
        next += 1;
        for (chunk, (offset, width)) in p.chunks().into_iter().enumerate() {
            let mut read_point = rho_a[offset..offset + width].to_vec();
            read_point.extend_from_slice(rho_c);
            openings.push(ChunkOpening {
                instance,
                chunk,
                point: read_point,
                eval: read[chunk],
            });
        }
        for g in groups {
            let point = &challenges[n - g.width - p.log_t..];
            for (chunk, eval) in g.chunks.iter().zip(&output_claims[next]) {
                openings.push(ChunkOpening {
                    instance,
                    chunk: *chunk,
                    point: point.to_vec(),
                    eval: *eval,
                });
            }
            next += 1;
        }
    }
    openings
}

/// Verifies a Shout proof for `tables[i]` of shape `params[i]` against the read claims; the
/// chunk commitments must have been absorbed already ([`absorb_commitments`]). Returns the
/// claims left to discharge.
#[tracing::instrument(skip_all, name = "shout::verify")]
pub fn verify(
    params: &[ShoutParams],
    tables: &[&dyn LookupTable],
    claims: &[ReadClaim],
    proof: &ShoutProof,
    transcript: &mut Transcript,
) -> Result<ShoutOutput, ShoutError> {
    check_claims(params, claims)?;
    if tables.len() != params.len() || proof.raf_claims.len() != params.len() {
        return Err(ShoutError::ShapeMismatch {
            what: "tables and RAF claims",
            expected: params.len(),
            actual: tables.len().min(proof.raf_claims.len()),
        });
    }
    for (i, (p, t)) in params.iter().zip(tables).enumerate() {
        if t.log_k() != p.log_k {
            return Err(ShoutError::InvalidInstance {
                instance: i,
                reason: format!("table {} has 2^{} entries", t.name(), t.log_k()),
            });
        }
    }
    let ch = draw_challenges(params, claims, &proof.raf_claims, transcript);
    let read: Vec<ReadRafVerifier<'_>> = params
        .iter()
        .enumerate()
        .map(|(i, p)| ReadRafVerifier {
            params: p,
            table: tables[i],
            cycle: &claims[i].cycle,
            gamma: ch.gammas[i],
            claim: claims[i].rv + ch.gammas[i] * proof.raf_claims[i],
        })
        .collect();
    let one_hot: Vec<Vec<OneHotVerifier<'_>>> = ch
        .one_hot
        .iter()
        .map(|groups| {
            groups
                .iter()
                .map(|g| OneHotVerifier {
                    width: g.width,
                    challenges: &g.challenges,
                })
                .collect()
        })
        .collect();
    let mut verifiers: Vec<&dyn SumcheckInstanceVerifier> = Vec::new();
    for (r, groups) in read.iter().zip(&one_hot) {
        verifiers.push(r);
        for g in groups {
            verifiers.push(g);
        }
    }
    let r = BatchedSumcheck::verify(&proof.sumcheck, &verifiers, transcript)?;
    let openings = collect_openings(params, &ch.one_hot, &r, &proof.sumcheck.output_claims);
    Ok(ShoutOutput {
        raf_claims: proof.raf_claims.clone(),
        openings,
    })
}

/// The public side of a standalone lookup instance: every operand and looked-up value.
#[derive(Clone, Copy, Debug)]
pub struct PublicLookups<'a> {
    /// The table.
    pub table: &'a dyn LookupTable,
    /// The operand of every cycle.
    pub operands: &'a [i64],
    /// The value read in every cycle.
    pub values: &'a [i64],
}

/// Absorbs the public operands and values and draws every instance's `r_cycle`; returns the read
/// claims and the expected RAF claims.
fn standalone_claims(
    public: &[PublicLookups<'_>],
    transcript: &mut Transcript,
) -> Result<(Vec<ReadClaim>, Vec<Fr>), ShoutError> {
    let mut claims = Vec::new();
    let mut rafs = Vec::new();
    for (i, p) in public.iter().enumerate() {
        if p.operands.len() != p.values.len() || !p.values.len().is_power_of_two() {
            return Err(ShoutError::InvalidInstance {
                instance: i,
                reason: format!(
                    "{} operands and {} values",
                    p.operands.len(),
                    p.values.len()
                ),
            });
        }
        let bytes = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        transcript.append_bytes(b"shout_public_operands", &bytes(p.operands));
        transcript.append_bytes(b"shout_public_values", &bytes(p.values));
        let r_cycle = transcript
            .challenge_scalars(b"shout_r_cycle", p.values.len().trailing_zeros() as usize);
        let field = |v: &[i64]| v.par_iter().map(|x| from_i64(*x)).collect::<Vec<Fr>>();
        let rv = crate::poly::mle_eval(&field(p.values), &r_cycle);
        rafs.push(crate::poly::mle_eval(&field(p.operands), &r_cycle));
        claims.push(ReadClaim::at(r_cycle, rv));
    }
    Ok((claims, rafs))
}

/// The standalone prover: commits, absorbs the public operands and values, draws the cycle
/// points and proves. `public[i]` must describe `lookups[i]`.
pub fn prove_standalone<'a, C: CommitmentScheme>(
    setup: &C::ProverSetup,
    lookups: &[Lookups<'a>],
    public: &[PublicLookups<'_>],
    chunking: Chunking,
    transcript: &mut Transcript,
) -> Result<
    (
        ShoutCommitments<C>,
        ShoutProof,
        ShoutWitness<'a, C>,
        ShoutOutput,
    ),
    ShoutError,
> {
    let (commitments, witness) = commit::<C>(setup, lookups, chunking, transcript)?;
    let (claims, _) = standalone_claims(public, transcript)?;
    let (proof, output) = prove(&witness, &claims, transcript)?;
    Ok((commitments, proof, witness, output))
}

/// The standalone verifier: checks the lookups of `public` (operands and values in the clear)
/// and returns the chunk opening claims left to discharge.
pub fn verify_standalone<C: CommitmentScheme>(
    public: &[PublicLookups<'_>],
    chunking: Chunking,
    commitments: &ShoutCommitments<C>,
    proof: &ShoutProof,
    transcript: &mut Transcript,
) -> Result<Vec<ChunkOpening>, ShoutError> {
    let params = public
        .iter()
        .map(|p| ShoutParams::new(p.table, p.values.len(), chunking))
        .collect::<Result<Vec<_>, _>>()?;
    absorb_commitments(&params, commitments, transcript)?;
    let (claims, rafs) = standalone_claims(public, transcript)?;
    let tables: Vec<&dyn LookupTable> = public.iter().map(|p| p.table).collect();
    let output = verify(&params, &tables, &claims, proof, transcript)?;
    for (i, (claimed, expected)) in output.raf_claims.iter().zip(&rafs).enumerate() {
        if claimed != expected {
            return Err(ShoutError::RafMismatch(i));
        }
    }
    Ok(output.openings)
}

#[cfg(test)]
mod tests;
