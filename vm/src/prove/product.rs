//! Product sumchecks with public factors: the one sumcheck shape every relation of this crate
//! reduces to.
//!
//! An instance claims `Σ_{x ∈ {0,1}^n} Π_k f_k(x) = c` for dense multilinear factors `f_k`.
//! Some factors are *public*: the verifier evaluates them itself at the final point `s` (eq
//! tables, sparse-map weights, validity masks); the others are *private* and their values
//! `f_k(s)` become claims for later relations. The prover runs jolt-core's
//! [`jolt_core::sumcheck::ProductProver`] (degree `D` = number of factors) and
//! reports every factor's final value; the verifier recomputes the public ones, rejects the proof
//! if a reported public value differs, and uses its own values in the final check.

use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear};
use jolt_core::sumcheck::{
    BatchedSumcheck, BatchedSumcheckProof, ProductProver, SumcheckInstanceProver,
    SumcheckInstanceVerifier,
};
use jolt_core::transcript::Transcript;

use super::VerifyError;

/// The public factors of an instance at the final point: `Some(value)` for a public factor,
/// `None` for a private one.
pub(crate) type PublicFactors<'a> = Box<dyn Fn(&[Fr]) -> Vec<Option<Fr>> + 'a>;

/// The verifier's statement of one product instance.
pub(crate) struct ProductStatement<'a> {
    /// The claimed sum.
    pub claim: Fr,
    /// Number of variables.
    pub num_rounds: usize,
    /// Number of factors (the degree).
    pub num_factors: usize,
    /// Binding order of the prover.
    pub order: BindingOrder,
    /// The public factors at the final point.
    pub public: PublicFactors<'a>,
}

impl SumcheckInstanceVerifier for ProductStatement<'_> {
    fn degree(&self) -> usize {
        self.num_factors
    }

    fn num_rounds(&self) -> usize {
        self.num_rounds
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn binding_order(&self) -> BindingOrder {
        self.order
    }

    fn num_output_claims(&self) -> usize {
        self.num_factors
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        let public = (self.public)(point);
        public
            .iter()
            .zip(output_claims)
            .map(|(p, c)| p.unwrap_or(*c))
            .product()
    }
}

/// Proves a batch of product instances (factors of each instance share their number of
/// variables). Returns the proof and, per instance, its final point and factor values.
pub(crate) fn prove_products(
    instances: Vec<(Vec<DenseMultilinear>, BindingOrder)>,
    transcript: &mut Transcript,
) -> (BatchedSumcheckProof, Vec<(Vec<Fr>, Vec<Fr>)>) {
    let mut provers: Vec<ProductProver> = instances
        .into_iter()
        .map(|(f, order)| ProductProver::new(f, order))
        .collect();
    let meta: Vec<(usize, BindingOrder)> = provers
        .iter()
        .map(|p| (p.num_rounds(), p.binding_order()))
        .collect();
    let mut refs: Vec<&mut dyn SumcheckInstanceProver> = provers
        .iter_mut()
        .map(|p| p as &mut dyn SumcheckInstanceProver)
        .collect();
    let (proof, challenges) = BatchedSumcheck::prove(&mut refs, transcript);
    let n = challenges.len();
    let finals = meta
        .iter()
        .zip(&proof.output_claims)
        .map(|((rounds, order), claims)| {
            (
                order.point_from_challenges(&challenges[n - rounds..]),
                claims.clone(),
            )
        })
        .collect();
    (proof, finals)
}

/// Verifies a batch of product instances; returns, per instance, its final point and the
/// factor values (public ones recomputed and checked against the proof).
pub(crate) fn verify_products(
    statements: &[ProductStatement<'_>],
    proof: &BatchedSumcheckProof,
    transcript: &mut Transcript,
    step: &str,
) -> Result<Vec<(Vec<Fr>, Vec<Fr>)>, VerifyError> {
    let refs: Vec<&dyn SumcheckInstanceVerifier> = statements
        .iter()
        .map(|s| s as &dyn SumcheckInstanceVerifier)
        .collect();
    let challenges =
        BatchedSumcheck::verify(proof, &refs, transcript).map_err(|e| VerifyError::Sumcheck {
            step: step.to_string(),
            source: e,
        })?;
    let n = challenges.len();
    statements
        .iter()
        .zip(&proof.output_claims)
        .map(|(s, claims)| {
            let point = s
                .order
                .point_from_challenges(&challenges[n - s.num_rounds..]);
            let public = (s.public)(&point);
            for (p, c) in public.iter().zip(claims) {
                if p.is_some_and(|p| p != *c) {
                    return Err(VerifyError::Check {
                        step: step.to_string(),
                        what: "a public factor's reported value is wrong",
                    });
                }
            }
            Ok((point, claims.clone()))
        })
        .collect()
}
