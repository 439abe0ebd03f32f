//! Merging the claims several consumers make on one tensor.
//!
//! # Relation
//!
//! Claims `t̃(r_i) = v_i`, `i < m`, become one: after `ρ` is drawn,
//!
//! ```text
//! Σ_i ρ_i·v_i = Σ_x (Σ_i ρ_i·eq(r_i, x))·t(x),
//! ```
//!
//! a degree-2 sumcheck ending at a random `s` with the claim `t̃(s)`; the verifier evaluates the
//! combined eq weight at `s` itself, in `O(m·log|t|)`.

use atlas_isa::TensorId;
use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::encoding::{Ark, StepProof};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{Claim, Prover, Verifier, VerifyError};

const MERGE: &[u8] = b"merge_coefficients";

/// Merges `claims` on `id` into one (a single claim passes through without a step).
#[tracing::instrument(skip_all, name = "merge::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, id: TensorId, mut claims: Vec<Claim>) -> Claim {
    if claims.len() == 1 {
        return claims.pop().expect("one claim");
    }
    let rho = p.transcript.challenge_scalars(MERGE, claims.len());
    let layout = p.layout(id);
    let mut weights = vec![Fr::from(0u64); layout.padded_len()];
    for (c, r) in claims.iter().zip(&rho) {
        for (w, e) in weights
            .iter_mut()
            .zip(EqPolynomial::evals_scaled(&c.point, *r))
        {
            *w += e;
        }
    }
    let factors = vec![
        DenseMultilinear::new_padded(weights, layout.num_vars),
        layout.dense(p.value(id)),
    ];
    let (proof, finals) =
        prove_products(vec![(factors, BindingOrder::LowToHigh)], &mut p.transcript);
    p.steps.push(StepProof {
        sumchecks: vec![Ark(proof)],
        ..Default::default()
    });
    let (point, values) = finals.into_iter().next().expect("one instance");
    Claim {
        point,
        value: values[1],
    }
}

/// Verifier of [`prove`].
pub(crate) fn verify(
    v: &mut Verifier<'_>,
    id: TensorId,
    mut claims: Vec<Claim>,
) -> Result<Claim, VerifyError> {
    if claims.len() == 1 {
        return Ok(claims.pop().expect("one claim"));
    }
    let rho = v.transcript.challenge_scalars(MERGE, claims.len());
    let num_vars = v.layout(id).num_vars;
    let name = format!("merge of the claims on {id}");
    let step = v.step(&name, 0, 1, false)?;
    let claim: Fr = claims.iter().zip(&rho).map(|(c, r)| c.value * r).sum();
    let statement = ProductStatement {
        claim,
        num_rounds: num_vars,
        num_factors: 2,
        order: BindingOrder::LowToHigh,
        public: Box::new(|s: &[Fr]| {
            let w: Fr = claims
                .iter()
                .zip(&rho)
                .map(|(c, r)| EqPolynomial::evaluate(&c.point, s) * r)
                .sum();
            vec![Some(w), None]
        }),
    };
    let finals = verify_products(&[statement], &step.sumchecks[0].0, &mut v.transcript, &name)?;
    let (point, values) = finals.into_iter().next().expect("one instance");
    Ok(Claim {
        point,
        value: values[1],
    })
}
