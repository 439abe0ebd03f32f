//! Keys: the weights are committed once, at setup.
//!
//! The [`VerifyingKey`] holds the program, the weight commitments and the PCS setup's size and
//! digest — never the weights. The [`ProvingKey`] adds the weights, their opening hints and the
//! prover's PCS setup. The Dory setup is transparent and deterministic
//! ([`jolt_core::pcs::dory`]); its row width `2^σ` is a function of the program: of the sizes
//! of every committed table (weights, advice bins, one-hot chunks), through
//! [`dory::sigma_for_tables`], which trades the Miller loops of committing (one per row) against
//! the opening's cost (linear in `2^σ`). Both keys re-derive the setup on load and check its
//! digest.

use ark_serialize::CanonicalSerialize;
use atlas_isa::{Program, Role, TensorId, Weights};
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use jolt_core::pcs::dory::{self, DoryCommitment, DoryHint, DoryProverSetup, DoryVerifierSetup};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use serde::{Deserialize, Serialize};

use super::encoding::{
    decode, decode_validated_in_parallel, encode, Ark, ArtifactKind, DecodeError,
};
use super::layout::Layout;
use super::lookup::Plan;
use super::{ProveError, VerifyError};

/// Largest number of variables a key may ask the PCS setup for (bounds decoding).
const MAX_SETUP_VARS: usize = 32;

/// What the verifier holds: program, weight commitments, PCS setup.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    /// The program.
    pub program: Program,
    /// Commitment of every weight tensor, in increasing tensor id order.
    pub weight_commitments: Vec<DoryCommitment>,
    /// Number of variables the PCS setup supports: `2σ` for its row width `2^σ`
    /// (`setup_num_vars`).
    pub max_num_vars: usize,
    /// Digest of the verifier's PCS setup.
    pub setup_digest: [u8; 32],
    pub(crate) setup: DoryVerifierSetup,
    pub(crate) plan: Plan,
}

/// What the prover holds: the verifying key, the weights and their opening hints.
#[derive(Clone, Debug)]
pub struct ProvingKey {
    /// The verifying key.
    pub vk: VerifyingKey,
    /// The weights.
    pub weights: Weights,
    pub(crate) weight_hints: Vec<DoryHint>,
    pub(crate) setup: DoryProverSetup,
    pub(crate) plan: Plan,
}

/// Validates the program, plans its lookups, sizes the PCS setup and commits the weights.
#[tracing::instrument(skip_all, name = "atlas_vm::setup")]
pub fn setup(
    program: &Program,
    weights: &Weights,
) -> Result<(ProvingKey, VerifyingKey), ProveError> {
    program.validate()?;
    let plan = Plan::new(program)?;
    let setup_vars = setup_num_vars(program, &plan);
    let (prover_setup, verifier_setup) = DoryScheme::setup(setup_vars);
    let mut commitments = Vec::new();
    let mut hints = Vec::new();
    for id in program.tensors_with_role(Role::Weight) {
        let values = weights
            .get(id)
            .ok_or_else(|| ProveError::Witness(format!("weight {id} is missing")))?;
        let info = program.tensor(id);
        if values.len() != info.len() {
            return Err(ProveError::Witness(format!(
                "weight {id} has {} values, expected {}",
                values.len(),
                info.len()
            )));
        }
        let padded = Layout::new(&info.shape).pad(values, 0i64);
        let (c, h) = DoryScheme::commit_small(&prover_setup, &padded)?;
        commitments.push(c);
        hints.push(h);
    }
    let vk = VerifyingKey {
        program: program.clone(),
        weight_commitments: commitments,
        max_num_vars: setup_vars,
        setup_digest: verifier_setup.digest(),
        setup: verifier_setup,
        plan: plan.clone(),
    };
    let pk = ProvingKey {
        vk: vk.clone(),
        weights: weights.clone(),
        weight_hints: hints,
        setup: prover_setup,
        plan,
    };
    Ok((pk, vk))
}

/// Number of variables of every table the prover commits: the weights (at setup), the advice
/// bins and the one-hot chunks of every shared lookup instance.
fn committed_table_vars(program: &Program, plan: &Plan) -> Vec<usize> {
    let weights = program
        .tensors_with_role(Role::Weight)
        .into_iter()
        .map(|id| Layout::new(&program.tensor(id).shape).num_vars);
    let chunks = plan
        .shared
        .iter()
        .flat_map(|l| l.params.chunk_bits.iter().map(move |w| w + l.params.log_t));
    weights
        .chain(plan.advice_bins.iter().copied())
        .chain(chunks)
        .collect()
}

/// Number of variables the PCS setup is asked for: `2σ`, for the row width
/// [`dory::sigma_for_tables`] chooses from the committed tables (a pure function of the
/// program). Every committed table fits (`plan.max_num_vars ≤ 2σ`).
pub(crate) fn setup_num_vars(program: &Program, plan: &Plan) -> usize {
    let sigma = dory::sigma_for_tables(&committed_table_vars(program, plan));
    debug_assert!(plan.max_num_vars <= 2 * sigma);
    2 * sigma
}

impl VerifyingKey {
    /// Digest of the key: program digest, setup size and digest, weight commitments.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Blake2b::<U32>::new();
        h.update(b"atlas-vm-vk-v1");
        h.update(self.program.digest());
        h.update((self.max_num_vars as u64).to_le_bytes());
        h.update(self.setup_digest);
        for c in &self.weight_commitments {
            let mut bytes = Vec::new();
            c.serialize_compressed(&mut bytes)
                .expect("serializing into a Vec cannot fail");
            h.update(bytes);
        }
        h.finalize().into()
    }

    /// The commitment of weight tensor `id`.
    pub(crate) fn weight_commitment(&self, id: TensorId) -> Option<&DoryCommitment> {
        let k = self
            .program
            .tensors_with_role(Role::Weight)
            .iter()
            .position(|w| *w == id)?;
        self.weight_commitments.get(k)
    }

    /// The versioned encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(
            ArtifactKind::VerifyingKey,
            &VkBody {
                program: self.program.clone(),
                weight_commitments: self.weight_commitments.iter().copied().map(Ark).collect(),
                max_num_vars: self.max_num_vars as u32,
                setup_digest: self.setup_digest,
            },
        )
    }

    /// Decodes a key: validates the program, re-derives the PCS setup and checks its digest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let body: VkBody = decode_validated_in_parallel(ArtifactKind::VerifyingKey, bytes)
            .map_err(|e| VerifyError::Key(e.to_string()))?;
        body.program
            .validate()
            .map_err(|e| VerifyError::Key(e.to_string()))?;
        let plan = Plan::new(&body.program).map_err(|e| VerifyError::Key(e.to_string()))?;
        let n_weights = body.program.tensors_with_role(Role::Weight).len();
        if body.weight_commitments.len() != n_weights || plan.max_num_vars > MAX_SETUP_VARS {
            return Err(VerifyError::Key(
                "weight commitments or setup size do not fit the program".into(),
            ));
        }
        let setup_vars = setup_num_vars(&body.program, &plan);
        if body.max_num_vars as usize != setup_vars {
            return Err(VerifyError::Key(
                "weight commitments or setup size do not fit the program".into(),
            ));
        }
        let (_, setup) = DoryScheme::setup(setup_vars);
        if setup.digest() != body.setup_digest {
            return Err(VerifyError::Key("PCS setup digest mismatch".into()));
        }
        Ok(Self {
            program: body.program,
            weight_commitments: body.weight_commitments.into_iter().map(|c| c.0).collect(),
            max_num_vars: setup_vars,
            setup_digest: body.setup_digest,
            setup,
            plan,
        })
    }
}

impl ProvingKey {
    /// The versioned encoding: program and weights (the commitments and the setup are
    /// re-derived on load, deterministically).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(
            ArtifactKind::ProvingKey,
            &PkBody {
                program: self.vk.program.clone(),
                weights: self.weights.clone(),
            },
        )
    }

    /// Decodes a key and re-runs [`setup`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProveError> {
        let body: PkBody = decode(ArtifactKind::ProvingKey, bytes)
            .map_err(|e: DecodeError| ProveError::Witness(e.to_string()))?;
        Ok(setup(&body.program, &body.weights)?.0)
    }
}

#[derive(Serialize, Deserialize)]
struct VkBody {
    program: Program,
    weight_commitments: Vec<Ark<DoryCommitment>>,
    max_num_vars: u32,
    setup_digest: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct PkBody {
    program: Program,
    weights: Weights,
}
