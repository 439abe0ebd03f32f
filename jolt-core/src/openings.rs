//! The opening accumulator: claims `p̃(r) = v` produced by sumchecks, and their reduction to
//! one opening proof.
//!
//! Every sumcheck ends in claims on the polynomials its summand is built from. A claim is
//! **virtual** when the polynomial is never committed (an activation, say): a later sumcheck
//! must take it as its input claim and [`OpeningAccumulator::discharge`] it. A claim is
//! **committed** when the polynomial has a commitment: all of those are proven together at the
//! end (DESIGN.md §4, step 4).
//!
//! # Reduction of committed claims
//!
//! Claims `(p_k, r_k, v_k)`, `k = 0..K`, on committed polynomials `p` of `m_p` variables
//! (`r_k` has `m_p` coordinates; several claims may concern one polynomial), `N = max m_p`:
//!
//! 1. Both sides absorb every claim (id, point, value) and draw `ρ`; claim `k` gets `ρ^k`.
//! 2. One batched sumcheck ([`BatchedSumcheck`]) over one instance per polynomial,
//!    `Σ_x E_p(x)·p(x) = Σ_{k on p} ρ^k·v_k` with `E_p(x) = Σ_{k on p} ρ^k·eq(r_k, x)`, degree
//!    2, bound **high-to-low**. The driver pads smaller instances in front, so instance `p`
//!    sees the last `m_p` challenges; bound high-to-low, those are its variables
//!    `x_{m_p−1}, …, x_0`. With `z = reverse(challenges)`, every `p` ends at the point
//!    `z[..m_p]`: the *low* coordinates of one common point `z ∈ F^N`. Its output claim is
//!    `y_p = p̃(z[..m_p])`, and the verifier checks `Σ_p α_p·E_p(z[..m_p])·y_p`.
//! 3. This matches the commitment schemes' embedding of a small table in the low indices of a
//!    large one ([`crate::pcs`]): `p` zero-padded to `N` variables is `p'(x) = p(x_{<m_p})·
//!    Π_{j≥m_p}(1 − x_j)`, so `p̃'(z) = y_p·Π_{j≥m_p}(1 − z_j)`.
//! 4. Both sides draw `γ`; the prover opens `P = Σ_p γ^p·p'` at `z` with ONE proof against the
//!    commitment `Σ_p γ^p·C_p` ([`CommitmentScheme::combine_commitments`]), and the verifier
//!    checks it at `P̃(z) = Σ_p γ^p·y_p·Π_{j≥m_p}(1 − z_j)`.
//!
//! # Soundness
//! The claimed values must have been absorbed before the challenges of the sumchecks that
//! consume them (the batched sumcheck absorbs its output claims), and every commitment must
//! have been absorbed before the challenges that defined the claim points. The reduction
//! absorbs the claims itself before drawing `ρ`. Virtual claims left undischarged are
//! unproven: [`OpeningAccumulator::finish`] reports them (and the prover's accumulator
//! asserts, in debug builds, when dropped with one outstanding).

use crate::field::Fr;
use crate::pcs::{CommitmentScheme, PcsError};
use crate::poly::{BindingOrder, DenseMultilinear, EqPolynomial, UniPoly};
use crate::sumcheck::{
    BatchedSumcheck, BatchedSumcheckProof, ProductProver, SumcheckError, SumcheckInstanceProver,
    SumcheckInstanceVerifier,
};
use crate::transcript::Transcript;
use ark_ff::{One, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use std::collections::BTreeMap;

/// Identifies a polynomial; callers number their polynomials as they like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolyId(pub u64);

/// Whether a claim is on a committed polynomial (opened at the end) or a virtual one (to be
/// discharged by a later sumcheck).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimKind {
    /// Discharged by a later sumcheck.
    Virtual,
    /// Proven by the final batched opening.
    Committed,
}

/// One claim `p̃(point) = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpeningClaim {
    /// The polynomial.
    pub id: PolyId,
    /// The point (`point[j]` = value of `x_j`), of the polynomial's own number of variables.
    pub point: Vec<Fr>,
    /// The claimed value.
    pub value: Fr,
    /// Virtual or committed.
    pub kind: ClaimKind,
}

/// Handle of a recorded claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClaimHandle(usize);

/// Which side owns an accumulator (only the prover's asserts on drop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Prover,
    Verifier,
}

/// Errors of the accumulator and of the opening reduction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    /// Virtual claims nobody discharged.
    #[error("undischarged virtual claims on {0:?}")]
    UndischargedVirtualClaims(Vec<PolyId>),
    /// A claim handle that does not exist or is not a virtual claim.
    #[error("claim handle {0} is not an outstanding virtual claim")]
    NotAVirtualClaim(usize),
    /// There is no committed claim to reduce.
    #[error("no committed claim to open")]
    NoCommittedClaims,
    /// Claims on one polynomial have points of different lengths.
    #[error("claims on {id:?} have points of {expected} and {got} coordinates")]
    InconsistentPointLength {
        /// The polynomial.
        id: PolyId,
        /// Length of the first claim's point.
        expected: usize,
        /// Length of a later claim's point.
        got: usize,
    },
    /// The prover was not given a polynomial that has a claim.
    #[error("no polynomial given for {0:?}")]
    MissingPolynomial(PolyId),
    /// The verifier was not given a commitment for a polynomial that has a claim.
    #[error("no commitment given for {0:?}")]
    MissingCommitment(PolyId),
    /// A polynomial's table does not fit its claims' number of variables.
    #[error("{id:?} has {len} evaluations, more than 2^{num_vars}")]
    PolynomialTooLarge {
        /// The polynomial.
        id: PolyId,
        /// Its table length.
        len: usize,
        /// Number of variables of its claims.
        num_vars: usize,
    },
    /// The prover's claims are not the polynomials' values (a bug upstream of the reduction).
    #[error("claims on {0:?} do not match the polynomial")]
    InconsistentClaim(PolyId),
    /// The reduction sumcheck was rejected.
    #[error("opening-reduction sumcheck: {0}")]
    Sumcheck(#[from] SumcheckError),
    /// The final opening was rejected (or could not be produced).
    #[error("batched opening: {0}")]
    Pcs(#[from] PcsError),
}

/// Records the claims of one proof (prover or verifier side).
#[derive(Debug)]
pub struct OpeningAccumulator {
    claims: Vec<OpeningClaim>,
    /// For each claim: still waiting to be discharged (virtual claims only).
    outstanding: Vec<bool>,
    role: Role,
    finished: bool,
}

impl OpeningAccumulator {
    /// The prover's accumulator: dropping it with an outstanding virtual claim is a bug and
    /// fails a debug assertion.
    pub fn new_prover() -> Self {
        Self::new(Role::Prover)
    }

    /// The verifier's accumulator: never panics; call [`Self::finish`] to check discharge.
    pub fn new_verifier() -> Self {
        Self::new(Role::Verifier)
    }

    fn new(role: Role) -> Self {
        OpeningAccumulator {
            claims: Vec::new(),
            outstanding: Vec::new(),
            role,
            finished: false,
        }
    }

    /// Records a virtual claim `p̃(point) = value`.
    pub fn record_virtual(&mut self, id: PolyId, point: Vec<Fr>, value: Fr) -> ClaimHandle {
        self.record(id, point, value, ClaimKind::Virtual)
    }

    /// Records a claim on a committed polynomial, to be proven by the final opening.
    pub fn record_committed(&mut self, id: PolyId, point: Vec<Fr>, value: Fr) -> ClaimHandle {
        self.record(id, point, value, ClaimKind::Committed)
    }

    fn record(&mut self, id: PolyId, point: Vec<Fr>, value: Fr, kind: ClaimKind) -> ClaimHandle {
        self.claims.push(OpeningClaim {
            id,
            point,
            value,
            kind,
        });
        self.outstanding.push(kind == ClaimKind::Virtual);
        ClaimHandle(self.claims.len() - 1)
    }

    /// The claim behind a handle.
    pub fn claim(&self, handle: ClaimHandle) -> Option<&OpeningClaim> {
        self.claims.get(handle.0)
    }

    /// Every claim recorded so far, in order.
    pub fn claims(&self) -> &[OpeningClaim] {
        &self.claims
    }

    /// Handles of the outstanding virtual claims on `id`.
    pub fn outstanding_virtual(&self, id: PolyId) -> Vec<ClaimHandle> {
        (0..self.claims.len())
            .filter(|&i| self.outstanding[i] && self.claims[i].id == id)
            .map(ClaimHandle)
            .collect()
    }

    /// Marks a virtual claim as discharged: a sumcheck has taken it as (part of) its input
    /// claim. Returns the claim.
    pub fn discharge(&mut self, handle: ClaimHandle) -> Result<&OpeningClaim, OpeningError> {
        match self.outstanding.get_mut(handle.0) {
            Some(o) if *o => {
                *o = false;
                Ok(&self.claims[handle.0])
            }
            _ => Err(OpeningError::NotAVirtualClaim(handle.0)),
        }
    }

    /// Checks that every virtual claim was discharged, and ends the accumulator's life.
    pub fn finish(mut self) -> Result<(), OpeningError> {
        self.finished = true;
        let left = self.undischarged();
        if left.is_empty() {
            Ok(())
        } else {
            Err(OpeningError::UndischargedVirtualClaims(left))
        }
    }

    fn undischarged(&self) -> Vec<PolyId> {
        (0..self.claims.len())
            .filter(|&i| self.outstanding[i])
            .map(|i| self.claims[i].id)
            .collect()
    }

    /// The committed claims grouped by polynomial, checking point lengths.
    fn committed_groups(&self) -> Result<BTreeMap<PolyId, Vec<usize>>, OpeningError> {
        let mut groups: BTreeMap<PolyId, Vec<usize>> = BTreeMap::new();
        for (i, c) in self.claims.iter().enumerate() {
            if c.kind != ClaimKind::Committed {
                continue;
            }
            let g = groups.entry(c.id).or_default();
            if let Some(&first) = g.first() {
                let expected = self.claims[first].point.len();
                if c.point.len() != expected {
                    return Err(OpeningError::InconsistentPointLength {
                        id: c.id,
                        expected,
                        got: c.point.len(),
                    });
                }
            }
            g.push(i);
        }
        if groups.is_empty() {
            return Err(OpeningError::NoCommittedClaims);
        }
        Ok(groups)
    }

    /// Step 1 of the reduction: absorbs the committed claims, draws `ρ`, and returns per
    /// polynomial its `(ρ^k, r_k)` pairs and its combined claim `Σ ρ^k·v_k`.
    fn absorb_and_weight(
        &self,
        transcript: &mut Transcript,
    ) -> Result<BTreeMap<PolyId, WeightedClaims>, OpeningError> {
        let groups = self.committed_groups()?;
        let committed: Vec<&OpeningClaim> = self
            .claims
            .iter()
            .filter(|c| c.kind == ClaimKind::Committed)
            .collect();
        transcript.append_u64(b"opening_claims", committed.len() as u64);
        for c in &committed {
            transcript.append_u64(b"opening_id", c.id.0);
            transcript.append_scalars(b"opening_point", &c.point);
            transcript.append_scalar(b"opening_value", &c.value);
        }
        let rho = transcript.challenge_scalar(b"opening_rho");
        // ρ^k for the k-th committed claim, in recording order.
        let mut power_of = vec![Fr::zero(); self.claims.len()];
        let mut power = Fr::one();
        for (i, c) in self.claims.iter().enumerate() {
            if c.kind == ClaimKind::Committed {
                power_of[i] = power;
                power *= rho;
            }
        }
        Ok(groups
            .into_iter()
            .map(|(id, idx)| {
                let num_vars = self.claims[idx[0]].point.len();
                let terms: Vec<(Fr, Vec<Fr>)> = idx
                    .iter()
                    .map(|&i| (power_of[i], self.claims[i].point.clone()))
                    .collect();
                let claim = idx
                    .iter()
                    .map(|&i| power_of[i] * self.claims[i].value)
                    .sum();
                (
                    id,
                    WeightedClaims {
                        num_vars,
                        terms,
                        claim,
                    },
                )
            })
            .collect())
    }

    /// Proves every committed claim with one batched sumcheck and one opening proof (see the
    /// module documentation). `polys` gives, for each polynomial with a committed claim, its
    /// evaluation table (at most `2^m` entries for claims of `m` coordinates) and its opening
    /// hint.
    ///
    /// Virtual claims are not touched: call [`Self::finish`] as well.
    #[tracing::instrument(skip_all, name = "OpeningAccumulator::prove_openings")]
    pub fn prove_openings<PCS: CommitmentScheme>(
        &self,
        setup: &PCS::ProverSetup,
        polys: &BTreeMap<PolyId, (&[Fr], &PCS::OpeningHint)>,
        transcript: &mut Transcript,
    ) -> Result<OpeningProof<PCS>, OpeningError> {
        let weighted = self.absorb_and_weight(transcript)?;
        let mut instances = Vec::with_capacity(weighted.len());
        let mut tables = Vec::with_capacity(weighted.len());
        for (id, w) in &weighted {
            let (evals, _) = polys.get(id).ok_or(OpeningError::MissingPolynomial(*id))?;
            if evals.len() > 1 << w.num_vars {
                return Err(OpeningError::PolynomialTooLarge {
                    id: *id,
                    len: evals.len(),
                    num_vars: w.num_vars,
                });
            }
            let p = DenseMultilinear::new_padded(evals.to_vec(), w.num_vars);
            let inst = ReductionProver::new(w, p.clone());
            if inst.inner.input_claim() != w.claim {
                return Err(OpeningError::InconsistentClaim(*id));
            }
            instances.push(inst);
            tables.push(p);
        }
        let mut refs: Vec<&mut dyn SumcheckInstanceProver> = instances
            .iter_mut()
            .map(|i| i as &mut dyn SumcheckInstanceProver)
            .collect();
        let (sumcheck, challenges) = BatchedSumcheck::prove(&mut refs, transcript);
        let z = BindingOrder::HighToLow.point_from_challenges(&challenges);

        let gamma = transcript.challenge_scalar(b"opening_gamma");
        let n = z.len();
        let mut combined = vec![Fr::zero(); 1 << n];
        let mut coeffs = Vec::with_capacity(tables.len());
        let mut hints = Vec::with_capacity(tables.len());
        let mut g = Fr::one();
        for ((id, _), table) in weighted.iter().zip(&tables) {
            for (acc, v) in combined.iter_mut().zip(table.evals()) {
                *acc += g * v;
            }
            coeffs.push(g);
            hints.push(polys[id].1);
            g *= gamma;
        }
        let hint = PCS::combine_hints(&hints, &coeffs)?;
        let opening = PCS::prove(setup, &combined, &z, &hint, transcript)?;
        Ok(OpeningProof { sumcheck, opening })
    }

    /// Verifies [`Self::prove_openings`]'s proof for this (verifier) accumulator's committed
    /// claims against the commitments.
    ///
    /// Virtual claims are not touched: call [`Self::finish`] as well.
    #[tracing::instrument(skip_all, name = "OpeningAccumulator::verify_openings")]
    pub fn verify_openings<PCS: CommitmentScheme>(
        &self,
        setup: &PCS::VerifierSetup,
        commitments: &BTreeMap<PolyId, PCS::Commitment>,
        proof: &OpeningProof<PCS>,
        transcript: &mut Transcript,
    ) -> Result<(), OpeningError> {
        let weighted = self.absorb_and_weight(transcript)?;
        let verifiers: Vec<ReductionVerifier<'_>> =
            weighted.values().map(|w| ReductionVerifier { w }).collect();
        let refs: Vec<&dyn SumcheckInstanceVerifier> = verifiers
            .iter()
            .map(|v| v as &dyn SumcheckInstanceVerifier)
            .collect();
        let challenges = BatchedSumcheck::verify(&proof.sumcheck, &refs, transcript)?;
        let z = BindingOrder::HighToLow.point_from_challenges(&challenges);

        let gamma = transcript.challenge_scalar(b"opening_gamma");
        let mut coeffs = Vec::with_capacity(weighted.len());
        let mut comms = Vec::with_capacity(weighted.len());
        let mut eval = Fr::zero();
        let mut g = Fr::one();
        for ((id, w), y) in weighted.iter().zip(&proof.sumcheck.output_claims) {
            comms.push(
                commitments
                    .get(id)
                    .ok_or(OpeningError::MissingCommitment(*id))?,
            );
            // The batched verifier checked the shape: one output claim per instance.
            let zero_pad: Fr = z[w.num_vars..].iter().map(|zj| Fr::one() - zj).product();
            eval += g * y[0] * zero_pad;
            coeffs.push(g);
            g *= gamma;
        }
        let commitment = PCS::combine_commitments(&comms, &coeffs)?;
        PCS::verify(setup, &commitment, &z, &eval, &proof.opening, transcript)?;
        Ok(())
    }
}

impl Drop for OpeningAccumulator {
    fn drop(&mut self) {
        if self.role == Role::Prover && !self.finished && !std::thread::panicking() {
            debug_assert!(
                self.undischarged().is_empty(),
                "prover's opening accumulator dropped with undischarged virtual claims on {:?}",
                self.undischarged()
            );
        }
    }
}

/// The proof of [`OpeningAccumulator::prove_openings`].
pub struct OpeningProof<PCS: CommitmentScheme> {
    /// The reduction sumcheck; its output claims are the `y_p`, in polynomial-id order.
    pub sumcheck: BatchedSumcheckProof,
    /// The single opening of `Σ_p γ^p·p'` at the common point.
    pub opening: PCS::OpeningProof,
}

// Manual impls: derives would demand `PCS: Clone + Debug + ...` of the scheme marker type.
impl<PCS: CommitmentScheme> Clone for OpeningProof<PCS> {
    fn clone(&self) -> Self {
        OpeningProof {
            sumcheck: self.sumcheck.clone(),
            opening: self.opening.clone(),
        }
    }
}

impl<PCS: CommitmentScheme> std::fmt::Debug for OpeningProof<PCS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpeningProof")
            .field("sumcheck", &self.sumcheck)
            .field("opening", &self.opening)
            .finish()
    }
}

impl<PCS: CommitmentScheme> CanonicalSerialize for OpeningProof<PCS> {
    fn serialize_with_mode<W: std::io::Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.sumcheck.serialize_with_mode(&mut writer, compress)?;
        self.opening.serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.sumcheck.serialized_size(compress) + self.opening.serialized_size(compress)
    }
}

impl<PCS: CommitmentScheme> Valid for OpeningProof<PCS> {
    fn check(&self) -> Result<(), SerializationError> {
        self.opening.check()
    }
}

impl<PCS: CommitmentScheme> CanonicalDeserialize for OpeningProof<PCS> {
    fn deserialize_with_mode<R: std::io::Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(OpeningProof {
            sumcheck: BatchedSumcheckProof::deserialize_with_mode(&mut reader, compress, validate)?,
            opening: PCS::OpeningProof::deserialize_with_mode(&mut reader, compress, validate)?,
        })
    }
}

/// The claims on one polynomial, weighted by powers of `ρ`.
#[derive(Clone, Debug)]
struct WeightedClaims {
    num_vars: usize,
    /// `(ρ^k, r_k)`.
    terms: Vec<(Fr, Vec<Fr>)>,
    /// `Σ ρ^k·v_k`.
    claim: Fr,
}

impl WeightedClaims {
    /// `E_p(x) = Σ ρ^k·eq(r_k, x)` as a table.
    fn eq_table(&self) -> DenseMultilinear {
        let mut table = vec![Fr::zero(); 1 << self.num_vars];
        for (c, r) in &self.terms {
            for (t, e) in table.iter_mut().zip(EqPolynomial::evals_scaled(r, *c)) {
                *t += e;
            }
        }
        DenseMultilinear::new(table)
    }

    /// `E_p(point)`.
    fn eq_at(&self, point: &[Fr]) -> Fr {
        self.terms
            .iter()
            .map(|(c, r)| *c * EqPolynomial::evaluate(r, point))
            .sum()
    }
}

/// Prover of `Σ_x E_p(x)·p(x)`, high-to-low; reports only `p`'s value (the verifier computes
/// `E_p` itself).
struct ReductionProver {
    inner: ProductProver,
}

impl ReductionProver {
    fn new(w: &WeightedClaims, p: DenseMultilinear) -> Self {
        ReductionProver {
            inner: ProductProver::new(vec![w.eq_table(), p], BindingOrder::HighToLow),
        }
    }
}

impl SumcheckInstanceProver for ReductionProver {
    fn degree(&self) -> usize {
        2
    }
    fn num_rounds(&self) -> usize {
        self.inner.num_rounds()
    }
    fn input_claim(&self) -> Fr {
        self.inner.input_claim()
    }
    fn binding_order(&self) -> BindingOrder {
        BindingOrder::HighToLow
    }
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        self.inner.compute_round_poly(round, previous_claim)
    }
    fn bind(&mut self, r: Fr, round: usize) {
        self.inner.bind(r, round)
    }
    fn output_claims(&self) -> Vec<Fr> {
        vec![self.inner.output_claims()[1]]
    }
}

/// Verifier side of [`ReductionProver`].
struct ReductionVerifier<'a> {
    w: &'a WeightedClaims,
}

impl SumcheckInstanceVerifier for ReductionVerifier<'_> {
    fn degree(&self) -> usize {
        2
    }
    fn num_rounds(&self) -> usize {
        self.w.num_vars
    }
    fn input_claim(&self) -> Fr {
        self.w.claim
    }
    fn binding_order(&self) -> BindingOrder {
        BindingOrder::HighToLow
    }
    fn num_output_claims(&self) -> usize {
        1
    }
    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        self.w.eq_at(point) * output_claims[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::DoryScheme;
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Twelve polynomials of 0 to 9 variables (some not a power of two long), with one to
    /// three claims each at random points of their own size.
    struct Fixture {
        tables: Vec<(PolyId, Vec<Fr>)>,
        claims: Vec<(PolyId, Vec<Fr>, Fr)>,
    }

    fn fixture() -> Fixture {
        let mut rng = ChaCha20Rng::seed_from_u64(60);
        let sizes = [9usize, 3, 0, 5, 9, 1, 7, 2, 6, 4, 8, 5];
        let mut tables = Vec::new();
        let mut claims = Vec::new();
        for (i, &m) in sizes.iter().enumerate() {
            let len = if i % 3 == 1 && m > 0 {
                (1 << m) - 1
            } else {
                1 << m
            };
            let evals: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
            let p = DenseMultilinear::new_padded(evals.clone(), m);
            let id = PolyId(100 + i as u64);
            for _ in 0..1 + i % 3 {
                let r: Vec<Fr> = (0..m).map(|_| Fr::rand(&mut rng)).collect();
                claims.push((id, r.clone(), p.evaluate(&r)));
            }
            tables.push((id, evals));
        }
        Fixture { tables, claims }
    }

    fn run(fx: &Fixture, tamper_verifier_claim: Option<usize>) -> Result<(), OpeningError> {
        let (pk, vk) = DoryScheme::setup(9);
        let mut commitments = BTreeMap::new();
        let mut hints = BTreeMap::new();
        for (id, evals) in &fx.tables {
            let (c, h) = DoryScheme::commit(&pk, evals).expect("commit");
            commitments.insert(*id, c);
            hints.insert(*id, h);
        }
        let polys: BTreeMap<PolyId, (&[Fr], &_)> = fx
            .tables
            .iter()
            .map(|(id, e)| (*id, (e.as_slice(), &hints[id])))
            .collect();

        let mut prover_acc = OpeningAccumulator::new_prover();
        for (id, r, v) in &fx.claims {
            prover_acc.record_committed(*id, r.clone(), *v);
        }
        let mut pt = Transcript::new_recording(b"openings");
        let proof = prover_acc
            .prove_openings::<DoryScheme>(&pk, &polys, &mut pt)
            .expect("honest prover");
        prover_acc.finish().expect("no virtual claims");

        let mut verifier_acc = OpeningAccumulator::new_verifier();
        for (k, (id, r, v)) in fx.claims.iter().enumerate() {
            let v = if tamper_verifier_claim == Some(k) {
                *v + Fr::one()
            } else {
                *v
            };
            verifier_acc.record_committed(*id, r.clone(), v);
        }
        let mut vt = if tamper_verifier_claim.is_none() {
            Transcript::new_lockstep(b"openings", pt.take_record())
        } else {
            Transcript::new(b"openings")
        };
        let result = verifier_acc.verify_openings::<DoryScheme>(&vk, &commitments, &proof, &mut vt);
        verifier_acc.finish()?;
        result
    }

    #[test]
    fn reduction_of_many_claims_on_polys_of_different_sizes() {
        let fx = fixture();
        assert!(fx.tables.len() >= 10);
        run(&fx, None).expect("honest reduction verifies");
    }

    #[test]
    fn tampered_claim_is_rejected() {
        let fx = fixture();
        for k in [0usize, 3, fx.claims.len() - 1] {
            assert_eq!(
                run(&fx, Some(k)),
                Err(OpeningError::Sumcheck(SumcheckError::FinalCheckFailed)),
                "claim {k}"
            );
        }
    }

    #[test]
    fn prover_with_wrong_claim_is_refused() {
        let fx = fixture();
        let (pk, _) = DoryScheme::setup(9);
        let (id, evals) = &fx.tables[0];
        let (_, hint) = DoryScheme::commit(&pk, evals).expect("commit");
        let mut polys = BTreeMap::new();
        polys.insert(*id, (evals.as_slice(), &hint));
        let mut acc = OpeningAccumulator::new_prover();
        let (_, r, v) = &fx.claims[0];
        acc.record_committed(*id, r.clone(), *v + Fr::one());
        let err = acc
            .prove_openings::<DoryScheme>(&pk, &polys, &mut Transcript::new(b"t"))
            .expect_err("wrong claim");
        assert_eq!(err, OpeningError::InconsistentClaim(*id));
        acc.finish().expect("no virtual claims");
    }

    #[test]
    fn tampered_proof_is_rejected() {
        let fx = fixture();
        let (pk, vk) = DoryScheme::setup(9);
        let mut commitments = BTreeMap::new();
        let mut hints = BTreeMap::new();
        for (id, evals) in &fx.tables {
            let (c, h) = DoryScheme::commit(&pk, evals).expect("commit");
            commitments.insert(*id, c);
            hints.insert(*id, h);
        }
        let polys: BTreeMap<PolyId, (&[Fr], &_)> = fx
            .tables
            .iter()
            .map(|(id, e)| (*id, (e.as_slice(), &hints[id])))
            .collect();
        let mut acc = OpeningAccumulator::new_prover();
        for (id, r, v) in &fx.claims {
            acc.record_committed(*id, r.clone(), *v);
        }
        let proof = acc
            .prove_openings::<DoryScheme>(&pk, &polys, &mut Transcript::new(b"t"))
            .unwrap();
        acc.finish().unwrap();
        let verify = |p: &OpeningProof<DoryScheme>| {
            let mut acc = OpeningAccumulator::new_verifier();
            for (id, r, v) in &fx.claims {
                acc.record_committed(*id, r.clone(), *v);
            }
            acc.verify_openings::<DoryScheme>(&vk, &commitments, p, &mut Transcript::new(b"t"))
        };
        assert_eq!(verify(&proof), Ok(()));
        // A wrong output claim y_p: the sumcheck's final check fails.
        let mut bad = proof.clone();
        bad.sumcheck.output_claims[2][0] += Fr::one();
        assert_eq!(
            verify(&bad),
            Err(OpeningError::Sumcheck(SumcheckError::FinalCheckFailed))
        );
        // A commitment swapped for another: the opening fails.
        let mut swapped = commitments.clone();
        let c0 = swapped[&PolyId(100)];
        swapped.insert(PolyId(101), c0);
        let mut acc = OpeningAccumulator::new_verifier();
        for (id, r, v) in &fx.claims {
            acc.record_committed(*id, r.clone(), *v);
        }
        assert!(matches!(
            acc.verify_openings::<DoryScheme>(&vk, &swapped, &proof, &mut Transcript::new(b"t")),
            Err(OpeningError::Pcs(_))
        ));
        // A missing commitment is reported.
        let mut missing = commitments.clone();
        missing.remove(&PolyId(105));
        let mut acc = OpeningAccumulator::new_verifier();
        for (id, r, v) in &fx.claims {
            acc.record_committed(*id, r.clone(), *v);
        }
        assert_eq!(
            acc.verify_openings::<DoryScheme>(&vk, &missing, &proof, &mut Transcript::new(b"t")),
            Err(OpeningError::MissingCommitment(PolyId(105)))
        );
    }

    #[test]
    fn virtual_claims_must_be_discharged() {
        let mut acc = OpeningAccumulator::new_verifier();
        let h = acc.record_virtual(PolyId(1), vec![Fr::one()], Fr::zero());
        acc.record_virtual(PolyId(2), vec![], Fr::one());
        assert_eq!(acc.outstanding_virtual(PolyId(1)), vec![h]);
        assert_eq!(acc.discharge(h).map(|c| c.id), Ok(PolyId(1)));
        assert_eq!(acc.discharge(h), Err(OpeningError::NotAVirtualClaim(h.0)));
        assert_eq!(
            acc.finish(),
            Err(OpeningError::UndischargedVirtualClaims(vec![PolyId(2)]))
        );

        let mut ok = OpeningAccumulator::new_prover();
        let h = ok.record_virtual(PolyId(3), vec![], Fr::one());
        ok.discharge(h).unwrap();
        assert_eq!(ok.finish(), Ok(()));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "undischarged virtual claims")]
    fn prover_accumulator_asserts_on_drop() {
        let mut acc = OpeningAccumulator::new_prover();
        acc.record_virtual(PolyId(7), vec![], Fr::one());
        drop(acc);
    }
}
