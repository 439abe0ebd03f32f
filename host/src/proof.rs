//! Setup, proving and verification: the SDK's keys and proofs around `atlas_vm::prove`.
//!
//! The statement a [`Proof`] proves (see `atlas_vm::prove`): the committed model, run on the
//! public input (quantized at the program's input scales), outputs exactly the public output
//! integers (`"output_quantized"` of the output file, see [`crate::io`]). The weights stay
//! private: the [`VerifyingKey`] holds their commitments only.
//!
//! User-defined tables (a `--tables` plug-in) need the plug-in only to compile the model: the
//! program in both keys carries the tables' values (`Program::custom_tables`), which the prover
//! executes and proves and the verifying key binds through the program digest. A proof made
//! with one table's values is rejected by a key set up with any other values.
//!
//! Every artifact is encoded as `ATLS ‖ kind ‖ version ‖ body`; reading checks the header first,
//! so a proving key given where a verifying key is expected, a file of another format version or
//! a corrupt key is an [`AtlasError::Artifact`] with a sentence saying which. A proof whose
//! header is right but whose body does not decode is [`AtlasError::Rejected`], like any other
//! tampered proof.
//!
//! ```no_run
//! use atlas_host::{InputData, Model, Proof, VerifyingKey};
//! # fn main() -> Result<(), atlas_host::AtlasError> {
//! let model = Model::load("guest-examples/models/mlp/network.onnx")?;
//! let (pk, vk) = model.setup()?;
//! let input = InputData::from_file("guest-examples/models/mlp/input.json".as_ref())?;
//! let (proof, output) = pk.prove(&input)?;
//! // Ship the bytes; the other side decodes and checks them.
//! let (vk_bytes, proof_bytes) = (vk.to_bytes(), proof.to_bytes());
//! let vk = VerifyingKey::from_bytes(&vk_bytes)?;
//! vk.verify(&input, &output, &Proof::from_bytes(&proof_bytes)?)?;
//! # Ok(()) }
//! ```

use std::path::Path;

use atlas_isa::{Program, Weights};
use atlas_vm::prove::encoding::{ArtifactKind, FORMAT_VERSION, MAGIC};

use crate::error::{AtlasError, Result};
use crate::io::{write_atomic, write_atomic_private, InputData, OutputData};
use crate::model::{quantize_input, Execution};

/// What the prover holds: the program, its weights and their commitments.
#[derive(Clone, Debug)]
pub struct ProvingKey {
    inner: atlas_vm::ProvingKey,
}

/// What the verifier holds: the program and the weights' commitments (never the weights).
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    inner: atlas_vm::VerifyingKey,
}

/// A proof of one execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof {
    inner: atlas_vm::Proof,
}

impl ProvingKey {
    /// Commits `weights` for `program` (what [`crate::Model::setup`] calls).
    #[tracing::instrument(skip_all, name = "atlas_host::setup")]
    pub fn setup(program: &Program, weights: &Weights) -> Result<(Self, VerifyingKey)> {
        let (pk, vk) = atlas_vm::setup(program, weights)?;
        Ok((Self { inner: pk }, VerifyingKey { inner: vk }))
    }

    /// The program this key proves.
    pub fn program(&self) -> &Program {
        &self.inner.vk.program
    }

    /// The verifying key inside this proving key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            inner: self.inner.vk.clone(),
        }
    }

    /// Quantizes `input`, executes the program and proves the execution. Returns the proof and
    /// the outputs (real values and the exact integers the proof is about). Custom tables
    /// evaluate from the values the key's program carries (no plug-in needed).
    pub fn prove(&self, input: &InputData) -> Result<(Proof, OutputData)> {
        let program = self.program();
        let inputs = quantize_input(program, input)?;
        let trace = atlas_vm::execute(program, &self.inner.weights, &inputs)?;
        let outputs = OutputData::from_quantized(program, &trace.outputs(program));
        let proof = atlas_vm::prove(&self.inner, &trace, &inputs)?;
        Ok((Proof { inner: proof }, outputs))
    }

    /// Proves an execution already made with [`crate::Model::execute`] on the quantized
    /// `inputs` (the model must be the one this key was set up for).
    pub fn prove_execution(&self, inputs: &[Vec<i64>], execution: &Execution) -> Result<Proof> {
        let proof = atlas_vm::prove(&self.inner, &execution.trace, inputs)?;
        Ok(Proof { inner: proof })
    }

    /// The versioned encoding (program and weights; the commitments are re-derived on load).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// Decodes a proving key (and re-commits its weights).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, "proving key")
    }

    /// Reads a proving key file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| AtlasError::read(path, e))?;
        Self::decode(&bytes, &path.display().to_string())
    }

    /// Writes the key atomically, readable by its owner only (it holds the private weights).
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic_private(path, &self.to_bytes())
    }

    fn decode(bytes: &[u8], what: &str) -> Result<Self> {
        check_header(bytes, ArtifactKind::ProvingKey, what)?;
        let inner = atlas_vm::ProvingKey::from_bytes(bytes).map_err(|e| match e {
            atlas_vm::ProveError::Unsupported { .. } => AtlasError::from(e),
            other => corrupt(what, "proving key", other),
        })?;
        Ok(Self { inner })
    }
}

impl VerifyingKey {
    /// The program this key verifies.
    pub fn program(&self) -> &Program {
        &self.inner.program
    }

    /// Checks that `proof` proves that the model maps `input` to `output`.
    ///
    /// The input is quantized at the program's input scales, the output is taken as the
    /// integers it states ([`OutputData::quantized_for`]). A wrong number or length of lists is
    /// [`AtlasError::Input`]; anything else that fails is [`AtlasError::Rejected`].
    pub fn verify(&self, input: &InputData, output: &OutputData, proof: &Proof) -> Result<()> {
        let program = self.program();
        let inputs = quantize_input(program, input)?;
        let outputs = output.quantized_for(program)?;
        self.verify_quantized(&inputs, &outputs, proof)
    }

    /// [`VerifyingKey::verify`] on inputs and outputs already quantized.
    #[tracing::instrument(skip_all, name = "atlas_host::verify")]
    pub fn verify_quantized(
        &self,
        inputs: &[Vec<i64>],
        outputs: &[Vec<i64>],
        proof: &Proof,
    ) -> Result<()> {
        atlas_vm::verify(&self.inner, inputs, outputs, &proof.inner)
            .map_err(|e| AtlasError::Rejected(e.to_string()))
    }

    /// The versioned encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// Decodes a verifying key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, "verifying key")
    }

    /// Reads a verifying key file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| AtlasError::read(path, e))?;
        Self::decode(&bytes, &path.display().to_string())
    }

    /// Writes the key atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_bytes())
    }

    fn decode(bytes: &[u8], what: &str) -> Result<Self> {
        check_header(bytes, ArtifactKind::VerifyingKey, what)?;
        let inner = atlas_vm::VerifyingKey::from_bytes(bytes)
            .map_err(|e| corrupt(what, "verifying key", e))?;
        Ok(Self { inner })
    }
}

impl Proof {
    /// The versioned encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// Size of the encoding in bytes.
    pub fn size(&self) -> usize {
        self.to_bytes().len()
    }

    /// Decodes a proof (only its canonical encoding is accepted).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, "proof")
    }

    /// Reads a proof file.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| AtlasError::read(path, e))?;
        Self::decode(&bytes, &path.display().to_string())
    }

    /// Writes the proof atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_bytes())
    }

    /// A file that is not a proof of this format (another artifact, another version) is a bad
    /// file; a proof whose body does not decode is a rejected proof: a verifier cannot tell a
    /// tampered byte that breaks the encoding from one that breaks a check.
    fn decode(bytes: &[u8], what: &str) -> Result<Self> {
        check_header(bytes, ArtifactKind::Proof, what)?;
        let inner = atlas_vm::Proof::from_bytes(bytes)
            .map_err(|e| AtlasError::Rejected(format!("{what} is malformed: {e}")))?;
        Ok(Self { inner })
    }
}

/// The user's name of an artifact kind.
fn kind_name(kind: u8) -> Option<&'static str> {
    [
        (ArtifactKind::Proof, "a proof"),
        (ArtifactKind::ProvingKey, "a proving key"),
        (ArtifactKind::VerifyingKey, "a verifying key"),
    ]
    .into_iter()
    .find(|(k, _)| *k as u8 == kind)
    .map(|(_, name)| name)
}

/// Checks the `ATLS ‖ kind ‖ version` header, with a message a user can act on.
fn check_header(bytes: &[u8], expected: ArtifactKind, what: &str) -> Result<()> {
    let expected_name = kind_name(expected as u8).unwrap_or("an artifact");
    let fail = |reason: String| {
        Err(AtlasError::Artifact {
            what: what.to_string(),
            reason,
        })
    };
    if bytes.len() < 7 || bytes[..4] != MAGIC {
        return fail(format!(
            "not an Atlas file (expected {expected_name}, which starts with \"ATLS\")"
        ));
    }
    if bytes[4] != expected as u8 {
        return match kind_name(bytes[4]) {
            Some(found) => fail(format!("this is {found}, expected {expected_name}")),
            None => fail(format!(
                "unknown Atlas artifact kind {}, expected {expected_name}",
                bytes[4]
            )),
        };
    }
    let version = u16::from_le_bytes([bytes[5], bytes[6]]);
    if version != FORMAT_VERSION {
        return fail(format!(
            "{expected_name} of format version {version}, but this build of Atlas reads \
             version {FORMAT_VERSION} (regenerate it with this version)"
        ));
    }
    Ok(())
}

fn corrupt(what: &str, kind: &str, e: impl std::fmt::Display) -> AtlasError {
    AtlasError::Artifact {
        what: what.to_string(),
        reason: format!("corrupt {kind}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_the_problem() {
        let mut bytes = MAGIC.to_vec();
        bytes.push(ArtifactKind::ProvingKey as u8);
        bytes.extend(FORMAT_VERSION.to_le_bytes());
        let e = check_header(&bytes, ArtifactKind::VerifyingKey, "keys/pk").unwrap_err();
        assert_eq!(
            e.to_string(),
            "keys/pk: this is a proving key, expected a verifying key"
        );
        assert_eq!(e.exit_code(), crate::error::exit::INPUT);
        assert!(check_header(&bytes, ArtifactKind::ProvingKey, "pk").is_ok());
        bytes[5] = 9;
        let e = check_header(&bytes, ArtifactKind::ProvingKey, "pk").unwrap_err();
        assert!(e.to_string().contains("format version 9"), "{e}");
        let e = check_header(b"{\"a\":1}", ArtifactKind::Proof, "p").unwrap_err();
        assert!(e.to_string().contains("not an Atlas file"), "{e}");
        assert!(Proof::from_bytes(&[]).is_err());
    }
}
