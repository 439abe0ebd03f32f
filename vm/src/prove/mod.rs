//! The trace prover and verifier: a GKR-style claim flow over the program, backwards.
//!
//! # The statement
//!
//! For a program `P` with committed weights `W` (commitments in the [`VerifyingKey`]), public
//! inputs `x` and public outputs `y`: there is an execution of `P` on `(x, W)` — every
//! intermediate tensor, rescale remainder and lookup address — whose outputs are `y`, with the
//! exact integer semantics of [`atlas_isa::Instr`].
//!
//! # Layout
//!
//! Every tensor is a multilinear extension over its per-axis padded layout ([`layout`]): each
//! axis padded to a power of two, the last axis in the lowest index bits, padding entries zero.
//!
//! # Protocol
//!
//! 1. **Preamble.** Protocol version, program digest, verifying-key digest (which covers the
//!    weight commitments and the PCS setup), the public inputs and outputs are absorbed.
//! 2. **Commitments, up front.** The rescale remainders (advice) and the one-hot address chunks
//!    of every lookup are committed and absorbed. Lookups are **shared program-wide**: every use
//!    of one table (all 32-bit ReLUs, all 12-bit range checks, one exp table…) is a segment of
//!    one Shout instance (`lookup::Plan`), so a program commits one set of chunks per
//!    distinct table, not per instruction. Before them the proof states each instance's **key
//!    width** (absorbed): a 32-bit range check or ReLU may be narrowed to the multiple of 4
//!    bits its keys need (`lookup::Plan::narrowed`), a stronger statement with fewer chunks
//!    (nanoGPT's comparison gaps fit 16–20 bits), and a smooth lookup whose inputs all lie in
//!    its table may skip its clamp (`lookup::Plan::with_unclamped`, [`smooth`]). Widths and
//!    unclamped lookups are all a proof reveals about the magnitude of those values.
//! 3. **Output claims.** For every output a random point `r` is drawn; the verifier computes
//!    `ỹ(r)` itself.
//! 4. **Claim flow.** Instructions are visited in reverse. Claims on an instruction's output
//!    from several consumers are first merged into one ([`merge`]); the instruction's relation
//!    then turns the claim on its output into claims on its inputs ([`contraction`],
//!    [`pointwise`], [`linear_map`], [`rescale`], [`lookup`]). An intermediate tensor with no
//!    claim (dead code) needs no proof. A relation that reads a table sends the operands'
//!    claim `raf(r)` next to the values' claim `rv(r)` and continues with it; the read is
//!    *deferred*.
//! 5. **Shared lookups.** Per shared instance, the deferred reads are combined with random
//!    coefficients into one read claim whose cycle weights are the segments' `eq`s
//!    (`atlas_lookups::shout::CycleWeights`), and one Shout proof (read-checking + RAF,
//!    booleanity, Hamming weight) checks them all: every `rv` and every `raf`.
//! 6. **Terminal claims.** Claims on public inputs and constants are evaluated by the verifier;
//!    claims on weights, advice bins and one-hot chunks are opening claims, reduced to one
//!    point by a sumcheck and proven by one Dory opening ([`opening`]).
//!
//! Everything the prover sends is absorbed before the next challenge (DESIGN.md §7). The
//! verifier checks every length and shape and returns [`VerifyError`], never panics.
//!
//! # Instructions
//!
//! Proven: Einsum (no repeated label within an operand), Conv (grouped too, when the channels
//! per group are powers of two), Add, Sub, Mul, Neg, MulConst, ReduceSum, Rescale, SumPool,
//! Reshape, Transpose, Slice, Concat, Pad, Broadcast, MaxPool, ReduceMax, Max, Min, Less,
//! Equal, Where (0/1 conditions), Gather (public indices, or non-negative computed ones),
//! Softmax, RmsNorm, Div, Sqrt, and Lookup with ReLU, LeakyReLU, Clip, the smooth tables and
//! user-defined tables whose values the program carries (`Program::custom_tables`, bound by
//! the program digest). Not yet: grouped Conv with other channel counts per group, and custom
//! tables too large to carry (over `2^20` entries) — [`setup`] refuses such
//! programs with [`ProveError::Unsupported`] naming the instruction.
//!
//! # Costs
//!
//! The verifier's work is linear in the *activation* sizes where a relation needs a public
//! table (validity masks `O(d)` per axis, sparse-map weights `O(nnz)` for Conv / SumPool /
//! Slice / Concat / Pad / unaligned Reshape, public input and output evaluations), and
//! logarithmic in the weights, which it never sees.
//!
//! | module | contents |
//! |---|---|
//! | [`keys`] | [`setup`], [`ProvingKey`], [`VerifyingKey`] |
//! | [`encoding`] | [`Proof`], the versioned envelope, serde for arkworks values |
//! | [`layout`] | the padded layout, validity masks |
//! | [`product`] | product sumchecks with public factors |
//! | [`merge`] | several claims on one tensor → one claim |
//! | [`contraction`] | Einsum, Mul (broadcast), ReduceSum, and Conv's contraction |
//! | [`linear_map`] | sparse 0/1 linear maps: im2col, SumPool, Slice, Concat, Pad, unaligned Reshape |
//! | [`pointwise`] | Add, Sub, Neg, MulConst, Broadcast, Transpose, aligned Reshape (no sumcheck) |
//! | [`rescale`] | Rescale with committed remainders and a range check; advice commitments |
//! | [`select`] | Max, Min, Less: a committed selection bit and a range-checked gap |
//! | [`maxpool`] | MaxPool and ReduceMax: committed maxima, one-hot selections, range-checked gaps |
//! | [`lookup`] | the lookup plan; ReLU, LeakyReLU (plus a range-checked rounding remainder), Clip (two ReLUs) |
//! | [`gather`] | Gather: public indices as a sparse 0/1 map, computed ones as a committed one-hot |
//! | [`softmax`] | Softmax: proven row maximum, exp table, range-checked division |
//! | [`composite`] | shared pieces of the committed-result relations: range keys, product instances |
//! | [`compare`] | Equal: a committed sign of `a − b` and a range-checked gap |
//! | [`division`] | Div (broadcast) and Sqrt: committed results, range-checked remainders |
//! | [`norm`] | RmsNorm: committed mean square, root and quotients, range-checked |
//! | [`smooth`] | smooth and custom tables: a Clip, then a materialized-table lookup at the clipped value |
//! | [`opening`] | the opening reduction and the final Dory proof |

pub mod compare;
pub mod composite;
pub mod contraction;
pub mod division;
pub mod encoding;
pub mod gather;
pub mod keys;
pub mod layout;
pub mod linear_map;
pub mod lookup;
pub mod maxpool;
pub mod merge;
pub mod norm;
pub mod opening;
pub mod pointwise;
pub mod product;
pub mod rescale;
pub mod select;
pub mod smooth;
pub mod softmax;

#[cfg(test)]
mod tests;

use atlas_isa::{Instr, IsaError, Program, Role, TensorId};
use atlas_lookups::shout::{ShoutError, ShoutWitness};
use jolt_core::field::Fr;
use jolt_core::pcs::dory::DoryScheme;
use jolt_core::pcs::PcsError;
use jolt_core::sumcheck::SumcheckError;
use jolt_core::transcript::Transcript;

use crate::trace::Trace;
pub use encoding::{ArtifactKind, DecodeError, Proof, StepProof};
pub use keys::{setup, ProvingKey, VerifyingKey};
use layout::Layout;
use lookup::Plan;

/// Version of the claim-flow protocol, absorbed first.
pub const PROTOCOL_VERSION: u64 = 1;

/// Why a proof could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The program is invalid.
    #[error("invalid program: {0}")]
    Program(#[from] IsaError),
    /// An instruction the prover does not support (yet).
    #[error("instruction {index} ({op}) is not supported by the prover: {reason}")]
    Unsupported {
        /// Position in the program.
        index: usize,
        /// Operator.
        op: &'static str,
        /// Why.
        reason: String,
    },
    /// The trace does not fit the program, key or inputs.
    #[error("bad witness: {0}")]
    Witness(String),
    /// A lookup argument failed (for example a value outside its table).
    #[error("lookup argument: {0}")]
    Shout(#[from] ShoutError),
    /// Commitment or opening failure.
    #[error("commitment scheme: {0}")]
    Pcs(#[from] PcsError),
}

/// Why a proof was rejected. The verifier returns these and never panics.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The public inputs or outputs do not fit the program.
    #[error("statement: {0}")]
    Statement(String),
    /// The proof has the wrong shape (counts, lengths).
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// A sumcheck of a step rejected.
    #[error("{step}: sumcheck rejected: {source}")]
    Sumcheck {
        /// The step (instruction or merge).
        step: String,
        /// The sumcheck error.
        source: SumcheckError,
    },
    /// An algebraic check of a step failed.
    #[error("{step}: {what}")]
    Check {
        /// The step.
        step: String,
        /// The check.
        what: &'static str,
    },
    /// A lookup argument rejected.
    #[error("{step}: lookup argument rejected: {source}")]
    Shout {
        /// The step.
        step: String,
        /// The Shout error.
        source: ShoutError,
    },
    /// The opening proof rejected.
    #[error("opening: {0}")]
    Pcs(#[from] PcsError),
    /// The key is unusable.
    #[error("key: {0}")]
    Key(String),
}

/// A claim `t̃(point) = value` on a tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Claim {
    pub point: Vec<Fr>,
    pub value: Fr,
}

/// A committed polynomial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Poly {
    /// A weight tensor, committed at setup.
    Weight(TensorId),
    /// An advice polynomial during the claim flow (the `i`-th of the plan); advice bin `i` in
    /// the final opening ([`rescale::pack_advice_claims`]).
    Advice(usize),
    /// Chunk `c` of the `i`-th lookup instance.
    Chunk(usize, usize),
}

/// A claim on a committed polynomial, discharged by the final opening.
#[derive(Clone, Debug)]
pub(crate) struct OpeningClaim {
    pub poly: Poly,
    pub point: Vec<Fr>,
    pub value: Fr,
}

/// Records the opening claims `(k, point, value)` on the advice polynomials `first + k`, in
/// order (the same on both sides).
pub(crate) fn open_advice(
    openings: &mut Vec<OpeningClaim>,
    first: usize,
    claims: impl IntoIterator<Item = (usize, Vec<Fr>, Fr)>,
) {
    openings.extend(claims.into_iter().map(|(k, point, value)| OpeningClaim {
        poly: Poly::Advice(first + k),
        point,
        value,
    }));
}

/// Absorbs the shape a proof chose for its lookups: the unclamped smooth lookups and the key
/// widths.
fn absorb_lookup_shape(transcript: &mut Transcript, unclamped: &[u32], key_bits: &[u8]) {
    let indices: Vec<u8> = unclamped.iter().flat_map(|i| i.to_le_bytes()).collect();
    transcript.append_bytes(b"unclamped_lookups", &indices);
    transcript.append_bytes(b"lookup_key_bits", key_bits);
}

/// Whether instruction `index` is a smooth lookup ([`smooth`]).
fn smooth_lookup(program: &Program, index: usize) -> bool {
    matches!(&program.instrs[index], Instr::Lookup { table, .. } if smooth::is_smooth(table))
}

/// Transcript label of step values.
const STEP_VALUES: &[u8] = b"step_values";

/// The prover's state along the claim flow.
pub(crate) struct Prover<'a> {
    pub program: &'a Program,
    pub trace: &'a Trace,
    pub plan: &'a Plan,
    pub transcript: Transcript,
    pub steps: Vec<StepProof>,
    pub claims: Vec<Vec<Claim>>,
    pub openings: Vec<OpeningClaim>,
    /// Shout witnesses of every shared lookup instance.
    pub shout: Vec<ShoutWitness<'a, DoryScheme>>,
    /// The keys of every lookup use (padded to the use's size).
    pub lookup_keys: &'a [Vec<u64>],
    /// Reads proven at the end ([`lookup::prove_deferred`]).
    pub deferred: Vec<lookup::DeferredRead>,
    /// Padded remainder tables of every advice polynomial.
    pub advice: Vec<Vec<i64>>,
    /// The committed advice bins ([`lookup::Plan::advice_bins`]).
    pub advice_bins: Vec<Vec<i64>>,
    /// Test switch: range-check keys were taken modulo `2^k` (a cheating prover).
    pub mask_range_keys: bool,
}

impl Prover<'_> {
    /// Values of a tensor.
    pub fn value(&self, id: TensorId) -> &[i64] {
        self.trace.value(id)
    }

    /// The layout of a tensor.
    pub fn layout(&self, id: TensorId) -> Layout {
        Layout::new(&self.program.tensor(id).shape)
    }

    /// Sends values in the clear (absorbed).
    pub fn send(&mut self, step: &mut StepProof, values: &[Fr]) {
        self.transcript.append_scalars(STEP_VALUES, values);
        step.values.extend(values.iter().map(|v| encoding::Ark(*v)));
    }

    /// Records a claim on a tensor.
    pub fn claim(&mut self, id: TensorId, point: Vec<Fr>, value: Fr) {
        self.claims[id.index()].push(Claim { point, value });
    }
}

/// The verifier's state along the claim flow.
pub(crate) struct Verifier<'a> {
    pub program: &'a Program,
    pub plan: &'a Plan,
    pub proof: &'a Proof,
    pub transcript: Transcript,
    pub next_step: usize,
    /// The public inputs (Gather reads public indices).
    pub inputs: &'a [Vec<i64>],
    pub claims: Vec<Vec<Claim>>,
    pub openings: Vec<OpeningClaim>,
    /// Reads checked at the end ([`lookup::verify_deferred`]).
    pub deferred: Vec<lookup::DeferredRead>,
}

impl<'a> Verifier<'a> {
    /// The layout of a tensor.
    pub fn layout(&self, id: TensorId) -> Layout {
        Layout::new(&self.program.tensor(id).shape)
    }

    /// Takes the next step, checking its shape; absorbs its values.
    pub fn step(
        &mut self,
        name: &str,
        values: usize,
        sumchecks: usize,
        shout: bool,
    ) -> Result<&'a StepProof, VerifyError> {
        let proof: &'a Proof = self.proof;
        let step = proof
            .steps
            .get(self.next_step)
            .ok_or_else(|| VerifyError::Malformed(format!("{name}: missing step")))?;
        self.next_step += 1;
        if step.values.len() != values
            || step.sumchecks.len() != sumchecks
            || step.shout.is_some() != shout
        {
            return Err(VerifyError::Malformed(format!(
                "{name}: expected {values} values, {sumchecks} sumchecks, lookup: {shout}"
            )));
        }
        if values > 0 {
            let v: Vec<Fr> = step.values.iter().map(|v| v.0).collect();
            self.transcript.append_scalars(STEP_VALUES, &v);
        }
        Ok(step)
    }

    /// Records a claim on a tensor.
    pub fn claim(&mut self, id: TensorId, point: Vec<Fr>, value: Fr) {
        self.claims[id.index()].push(Claim { point, value });
    }
}

/// A short name of instruction `index`, for errors.
pub(crate) fn step_name(program: &Program, index: usize) -> String {
    format!("instruction {index} ({})", program.instrs[index].name())
}

/// Transcript label of trace proofs.
const PROOF_LABEL: &[u8] = b"atlas-vm-trace-proof";

/// The preamble (step 1) absorbed into `t` (a fresh transcript labelled [`PROOF_LABEL`]),
/// identical on both sides.
fn preamble(
    mut t: Transcript,
    vk: &VerifyingKey,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
) -> Transcript {
    t.append_u64(b"protocol_version", PROTOCOL_VERSION);
    t.append_bytes(b"program_digest", &vk.program.digest());
    t.append_bytes(b"vk_digest", &vk.digest());
    let bytes = |v: &[Vec<i64>]| -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((v.len() as u64).to_le_bytes());
        for t in v {
            out.extend((t.len() as u64).to_le_bytes());
            for x in t {
                out.extend(x.to_le_bytes());
            }
        }
        out
    };
    t.append_bytes(b"public_inputs", &bytes(inputs));
    t.append_bytes(b"public_outputs", &bytes(outputs));
    t
}

/// Draws the random point of every output (step 3) and the claims the verifier can compute.
fn output_claims(
    program: &Program,
    outputs: &[Vec<i64>],
    transcript: &mut Transcript,
) -> Vec<(TensorId, Claim)> {
    program
        .outputs
        .iter()
        .zip(outputs)
        .map(|(&id, values)| {
            let layout = Layout::new(&program.tensor(id).shape);
            let point = transcript.challenge_scalars(b"output_point", layout.num_vars);
            let value = layout.evaluate(values, &point);
            (id, Claim { point, value })
        })
        .collect()
}

/// Proves the execution `trace` of `pk`'s program on `inputs`.
///
/// The trace must come from [`crate::execute`] on the same program, the key's weights and
/// `inputs`; the public outputs are the trace's.
#[tracing::instrument(skip_all, name = "atlas_vm::prove")]
pub fn prove(pk: &ProvingKey, trace: &Trace, inputs: &[Vec<i64>]) -> Result<Proof, ProveError> {
    prove_with(
        pk,
        trace,
        inputs,
        Cheats::default(),
        Transcript::new(PROOF_LABEL),
    )
}

/// Switches of [`prove_with`] that make a cheating prover, for soundness tests.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cheats {
    /// Look up range-checked values modulo `2^k` instead of refusing out-of-range ones.
    pub mask_range_keys: bool,
    /// Narrow the lookup instances to these key widths ([`lookup::Plan::narrowed`]) instead of
    /// the narrowest ones the keys fit; keys that do not fit are truncated.
    pub key_bits: Option<Vec<u8>>,
    /// Skip the clamp of these smooth lookups ([`lookup::Plan::with_unclamped`]) instead of
    /// those whose inputs all lie in their table; keys outside are reduced modulo `K` when
    /// `mask_range_keys` is set.
    pub unclamped: Option<Vec<usize>>,
}

/// [`prove`], with switches for soundness tests ([`Cheats`]); `transcript` is the fresh
/// transcript to use (recording, in tests).
pub(crate) fn prove_with(
    pk: &ProvingKey,
    trace: &Trace,
    inputs: &[Vec<i64>],
    cheats: Cheats,
    transcript: Transcript,
) -> Result<Proof, ProveError> {
    let mask_range_keys = cheats.mask_range_keys;
    let program = &pk.vk.program;
    if inputs.len() != program.inputs.len()
        || program
            .inputs
            .iter()
            .zip(inputs)
            .any(|(&id, x)| trace.value(id) != x.as_slice())
    {
        return Err(ProveError::Witness(
            "the inputs are not the trace's inputs".into(),
        ));
    }
    for id in program.tensors_with_role(Role::Weight) {
        if pk.weights.get(id) != Some(trace.value(id)) {
            return Err(ProveError::Witness(format!(
                "weight {id} of the trace is not the key's"
            )));
        }
    }
    let outputs = trace.outputs(program);
    let mut transcript = preamble(transcript, &pk.vk, inputs, &outputs);

    // Step 2: the lookup key widths, then advice and one-hot chunks, committed and absorbed up
    // front.
    let unclamped = cheats.unclamped.unwrap_or_else(|| {
        (0..program.instrs.len())
            .filter(|&i| smooth_lookup(program, i) && smooth::clamp_is_identity(program, i, trace))
            .collect()
    });
    let base = pk
        .plan
        .with_unclamped(program, &unclamped)
        .map_err(ProveError::Witness)?;
    let wide_keys = lookup::lookup_keys(program, &base, trace, mask_range_keys)?;
    let key_bits = cheats
        .key_bits
        .unwrap_or_else(|| lookup::narrowest_bits(&base, &wide_keys));
    let narrowed = base.narrowed(&key_bits).map_err(ProveError::Witness)?;
    let plan = &narrowed;
    let keys = lookup::narrow_keys(&base, plan, wide_keys);
    let unclamped: Vec<u32> = unclamped.iter().map(|i| *i as u32).collect();
    absorb_lookup_shape(&mut transcript, &unclamped, &key_bits);
    let (advice, advice_bins, advice_commitments, advice_hints) =
        rescale::commit_advice(pk, trace, &mut transcript)?;
    let shared_keys = lookup::shared_keys(plan, &keys);
    let (lookup_commitments, shout) =
        lookup::commit(&pk.setup, plan, &shared_keys, &mut transcript)?;

    let mut p = Prover {
        program,
        trace,
        plan,
        transcript,
        steps: Vec::new(),
        claims: vec![Vec::new(); program.tensors.len()],
        openings: Vec::new(),
        shout,
        lookup_keys: &keys,
        deferred: Vec::new(),
        advice,
        advice_bins,
        mask_range_keys,
    };
    for (id, claim) in output_claims(program, &outputs, &mut p.transcript) {
        p.claims[id.index()].push(claim);
    }

    // Step 4: the claim flow.
    for index in (0..program.instrs.len()).rev() {
        let out = program.instrs[index].output();
        let pending = std::mem::take(&mut p.claims[out.index()]);
        if pending.is_empty() {
            continue;
        }
        let claim = merge::prove(&mut p, out, pending);
        prove_instr(&mut p, index, claim)?;
    }

    // Step 5: terminal claims.
    for id in program.tensors_with_role(Role::Weight) {
        for c in std::mem::take(&mut p.claims[id.index()]) {
            p.openings.push(OpeningClaim {
                poly: Poly::Weight(id),
                point: c.point,
                value: c.value,
            });
        }
    }
    let lookups = lookup::prove_deferred(&mut p)?;
    rescale::pack_advice_claims(plan, &mut p.openings);
    let opening = opening::prove(&mut p, pk, &advice_hints)?;
    Ok(Proof {
        unclamped_lookups: unclamped,
        lookup_key_bits: key_bits,
        advice_commitments: advice_commitments.into_iter().map(encoding::Ark).collect(),
        lookup_commitments: lookup_commitments
            .into_iter()
            .map(|cs| cs.into_iter().map(encoding::Ark).collect())
            .collect(),
        steps: p.steps,
        lookups,
        opening,
    })
}

/// Dispatches instruction `index`'s relation (prover).
fn prove_instr(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    match &program.instrs[index] {
        Instr::Einsum { .. } | Instr::Mul { .. } | Instr::ReduceSum { .. } | Instr::Conv { .. } => {
            contraction::prove(p, index, claim)
        }
        Instr::Add { .. }
        | Instr::Sub { .. }
        | Instr::Neg { .. }
        | Instr::MulConst { .. }
        | Instr::Broadcast { .. }
        | Instr::Transpose { .. } => {
            pointwise::prove(p, index, claim);
            Ok(())
        }
        Instr::Reshape { x, out } if pointwise::reshape_is_aligned(program, *x, *out) => {
            pointwise::prove(p, index, claim);
            Ok(())
        }
        Instr::Reshape { .. }
        | Instr::SumPool { .. }
        | Instr::Slice { .. }
        | Instr::Concat { .. }
        | Instr::Pad { .. } => {
            linear_map::prove(p, index, claim);
            Ok(())
        }
        Instr::Rescale { .. } => rescale::prove(p, index, claim),
        Instr::MaxPool { .. } | Instr::ReduceMax { .. } => maxpool::prove(p, index, claim),
        Instr::Max { .. } | Instr::Min { .. } | Instr::Less { .. } => {
            select::prove(p, index, claim)
        }
        Instr::Where { .. } => select::where_select::prove(p, index, claim),
        Instr::Gather { .. } => gather::prove(p, index, claim),
        Instr::Softmax { .. } => softmax::prove(p, index, claim),
        Instr::RmsNorm { .. } => norm::prove(p, index, claim),
        Instr::Div { .. } | Instr::Sqrt { .. } => division::prove(p, index, claim),
        Instr::Equal { .. } => compare::prove(p, index, claim),
        Instr::Lookup { .. } => lookup::prove(p, index, claim),
    }
}

/// Dispatches instruction `index`'s relation (verifier).
fn verify_instr(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    match &program.instrs[index] {
        Instr::Einsum { .. } | Instr::Mul { .. } | Instr::ReduceSum { .. } | Instr::Conv { .. } => {
            contraction::verify(v, index, claim)
        }
        Instr::Add { .. }
        | Instr::Sub { .. }
        | Instr::Neg { .. }
        | Instr::MulConst { .. }
        | Instr::Broadcast { .. }
        | Instr::Transpose { .. } => pointwise::verify(v, index, claim),
        Instr::Reshape { x, out } if pointwise::reshape_is_aligned(program, *x, *out) => {
            pointwise::verify(v, index, claim)
        }
        Instr::Reshape { .. }
        | Instr::SumPool { .. }
        | Instr::Slice { .. }
        | Instr::Concat { .. }
        | Instr::Pad { .. } => linear_map::verify(v, index, claim),
        Instr::Rescale { .. } => rescale::verify(v, index, claim),
        Instr::MaxPool { .. } | Instr::ReduceMax { .. } => maxpool::verify(v, index, claim),
        Instr::Max { .. } | Instr::Min { .. } | Instr::Less { .. } => {
            select::verify(v, index, claim)
        }
        Instr::Where { .. } => select::where_select::verify(v, index, claim),
        Instr::Gather { .. } => gather::verify(v, index, claim),
        Instr::Softmax { .. } => softmax::verify(v, index, claim),
        Instr::RmsNorm { .. } => norm::verify(v, index, claim),
        Instr::Div { .. } | Instr::Sqrt { .. } => division::verify(v, index, claim),
        Instr::Equal { .. } => compare::verify(v, index, claim),
        Instr::Lookup { .. } => lookup::verify(v, index, claim),
    }
}

/// Verifies `proof` for `vk`'s program on the public `inputs` and `outputs`.
#[tracing::instrument(skip_all, name = "atlas_vm::verify")]
pub fn verify(
    vk: &VerifyingKey,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
    proof: &Proof,
) -> Result<(), VerifyError> {
    verify_with(vk, inputs, outputs, proof, Transcript::new(PROOF_LABEL)).map(|_| ())
}

/// [`verify`] with a given fresh transcript (recording or frozen, in tests); returns the
/// transcript at the end.
pub(crate) fn verify_with(
    vk: &VerifyingKey,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
    proof: &Proof,
    transcript: Transcript,
) -> Result<Transcript, VerifyError> {
    let program = &vk.program;
    let check_lengths = |what: &str, ids: &[TensorId], data: &[Vec<i64>]| {
        if ids.len() != data.len() {
            return Err(VerifyError::Statement(format!(
                "{} {what}, expected {}",
                data.len(),
                ids.len()
            )));
        }
        for (k, (&id, d)) in ids.iter().zip(data).enumerate() {
            if d.len() != program.tensor(id).len() {
                return Err(VerifyError::Statement(format!(
                    "{what} {k} has {} elements, expected {}",
                    d.len(),
                    program.tensor(id).len()
                )));
            }
        }
        Ok(())
    };
    check_lengths("inputs", &program.inputs, inputs)?;
    check_lengths("outputs", &program.outputs, outputs)?;
    let unclamped: Vec<usize> = proof
        .unclamped_lookups
        .iter()
        .map(|i| *i as usize)
        .collect();
    let base = vk
        .plan
        .with_unclamped(program, &unclamped)
        .map_err(VerifyError::Malformed)?;
    let narrowed = base
        .narrowed(&proof.lookup_key_bits)
        .map_err(VerifyError::Malformed)?;
    let plan = &narrowed;
    let mut transcript = preamble(transcript, vk, inputs, outputs);
    absorb_lookup_shape(
        &mut transcript,
        &proof.unclamped_lookups,
        &proof.lookup_key_bits,
    );
    rescale::absorb_advice(plan, proof, &mut transcript)?;
    lookup::absorb(plan, proof, &mut transcript)?;

    let mut v = Verifier {
        program,
        plan,
        proof,
        transcript,
        next_step: 0,
        inputs,
        claims: vec![Vec::new(); program.tensors.len()],
        openings: Vec::new(),
        deferred: Vec::new(),
    };
    for (id, claim) in output_claims(program, outputs, &mut v.transcript) {
        v.claims[id.index()].push(claim);
    }
    for index in (0..program.instrs.len()).rev() {
        let out = program.instrs[index].output();
        let pending = std::mem::take(&mut v.claims[out.index()]);
        if pending.is_empty() {
            continue;
        }
        let claim = merge::verify(&mut v, out, pending)?;
        verify_instr(&mut v, index, claim)?;
    }
    if v.next_step != proof.steps.len() {
        return Err(VerifyError::Malformed(format!(
            "{} steps left over",
            proof.steps.len() - v.next_step
        )));
    }

    // Terminal claims: public tensors are evaluated here, weights are opened.
    for (k, &id) in program.inputs.iter().enumerate() {
        let layout = v.layout(id);
        for c in std::mem::take(&mut v.claims[id.index()]) {
            if layout.evaluate(&inputs[k], &c.point) != c.value {
                return Err(VerifyError::Check {
                    step: format!("input {k}"),
                    what: "claim on a public input is wrong",
                });
            }
        }
    }
    for constant in &program.constants {
        let layout = v.layout(constant.id);
        for c in std::mem::take(&mut v.claims[constant.id.index()]) {
            if layout.evaluate(&constant.values, &c.point) != c.value {
                return Err(VerifyError::Check {
                    step: format!("constant {}", constant.id),
                    what: "claim on a public constant is wrong",
                });
            }
        }
    }
    for id in program.tensors_with_role(Role::Weight) {
        for c in std::mem::take(&mut v.claims[id.index()]) {
            v.openings.push(OpeningClaim {
                poly: Poly::Weight(id),
                point: c.point,
                value: c.value,
            });
        }
    }
    debug_assert!(
        v.claims.iter().all(|c| c.is_empty()),
        "every claim is discharged"
    );
    lookup::verify_deferred(&mut v)?;
    rescale::pack_advice_claims(plan, &mut v.openings);
    opening::verify(&mut v, vk)?;
    Ok(v.transcript)
}
