//! The final opening: every claim on a committed polynomial, proven with one Dory opening.
//!
//! # Protocol
//!
//! Claims `P̃_g(r_{g,i}) = v_{g,i}` on committed polynomials `P_g` of `n_g` variables (weights,
//! remainders, one-hot chunks; `n_g ≥ 1`, smaller tables padded with a zero variable):
//!
//! 1. Draw `ρ` and, per polynomial, run the instance
//!    `Σ_i ρ_{g,i}·v_{g,i} = Σ_x (Σ_i ρ_{g,i}·eq(r_{g,i}, x))·P_g(x)` — all instances in one
//!    batched sumcheck, bound **high-to-low**, so that the instance of `n_g` variables ends at
//!    the prefix `R[..n_g]` of one point `R` of `N = max n_g` coordinates. The output claims
//!    are `u_g = P̃_g(R[..n_g])` (the eq weights are recomputed by the verifier).
//! 2. Draw `β`; the combination `Q = Σ_g β_g·P_g` (each zero-padded to `N` variables, so
//!    `P̃_g(R) = P̃_g(R[..n_g])·Π_{j≥n_g}(1 − R_j)`; commitments combine homomorphically)
//!    satisfies `Q̃(R) = Σ_g β_g·Π_{j≥n_g}(1 − R_j)·u_g`, proven by one Dory opening at `R`.

use std::collections::HashMap;

use jolt_core::field::Fr;
use jolt_core::pcs::dory::{DoryCommitment, DoryHint};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::encoding::{Ark, OpeningProof};
use super::layout::{to_field, Layout};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{
    OpeningClaim, Poly, ProveError, Prover, ProvingKey, Verifier, VerifyError, VerifyingKey,
};

/// Claims grouped by polynomial (in order of first appearance), points padded to `≥ 1`
/// coordinate.
fn group(claims: Vec<OpeningClaim>) -> Vec<(Poly, usize, Vec<(Vec<Fr>, Fr)>)> {
    let mut groups: Vec<(Poly, usize, Vec<(Vec<Fr>, Fr)>)> = Vec::new();
    let mut index: HashMap<PolyKey, usize> = HashMap::new();
    for mut c in claims {
        let vars = c.point.len().max(1);
        c.point.resize(vars, Fr::from(0u64));
        let key = PolyKey::from(c.poly);
        let g = *index.entry(key).or_insert_with(|| {
            groups.push((c.poly, vars, Vec::new()));
            groups.len() - 1
        });
        groups[g].2.push((c.point, c.value));
    }
    groups
}

#[derive(Hash, PartialEq, Eq)]
enum PolyKey {
    Weight(u32),
    Advice(usize),
    Chunk(usize, usize),
}

impl From<Poly> for PolyKey {
    fn from(p: Poly) -> Self {
        match p {
            Poly::Weight(id) => PolyKey::Weight(id.0),
            Poly::Advice(i) => PolyKey::Advice(i),
            Poly::Chunk(i, c) => PolyKey::Chunk(i, c),
        }
    }
}

/// `Π_{j ≥ n}(1 − R_j)`.
fn tail_factor(r: &[Fr], n: usize) -> Fr {
    r[n..].iter().map(|x| Fr::from(1u64) - x).product()
}

/// `Σ_i ρ_i·eq(r_i, ·)` as a table.
fn eq_combination(claims: &[(Vec<Fr>, Fr)], rho: &[Fr], vars: usize) -> Vec<Fr> {
    let mut t = vec![Fr::from(0u64); 1 << vars];
    for ((point, _), r) in claims.iter().zip(rho) {
        for (a, b) in t.iter_mut().zip(EqPolynomial::evals_scaled(point, *r)) {
            *a += b;
        }
    }
    t
}

const OPENING_RHO: &[u8] = b"opening_rho";
const OPENING_BETA: &[u8] = b"opening_beta";

/// Proves every recorded opening claim.
#[tracing::instrument(skip_all, name = "opening::prove")]
pub(crate) fn prove(
    p: &mut Prover<'_>,
    pk: &ProvingKey,
    advice_hints: &[DoryHint],
) -> Result<Option<OpeningProof>, ProveError> {
    let claims = std::mem::take(&mut p.openings);
    if claims.is_empty() {
        return Ok(None);
    }
    let groups = group(claims);
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let rho = p.transcript.challenge_scalars(OPENING_RHO, total);
    let weight_ids = pk.vk.program.tensors_with_role(atlas_isa::Role::Weight);
    let mut tables = Vec::new();
    let mut hints: Vec<&DoryHint> = Vec::new();
    for (poly, _, _) in &groups {
        let (table, hint) = match *poly {
            Poly::Weight(id) => {
                let k = weight_ids.iter().position(|w| *w == id).expect("a weight");
                let info = pk.vk.program.tensor(id);
                let values = pk.weights.get(id).expect("checked at setup");
                (
                    to_field(&Layout::new(&info.shape).pad(values, 0)),
                    &pk.weight_hints[k],
                )
            }
            Poly::Advice(i) => (to_field(&p.advice_bins[i]), &advice_hints[i]),
            Poly::Chunk(i, c) => {
                let (t, h) = p.shout[i].chunk_polynomial(0, c)?;
                (t, h)
            }
        };
        tables.push(table);
        hints.push(hint);
    }
    let mut instances = Vec::new();
    let mut offset = 0;
    for ((_, vars, cl), table) in groups.iter().zip(&tables) {
        let e = eq_combination(cl, &rho[offset..offset + cl.len()], *vars);
        offset += cl.len();
        instances.push((
            vec![
                DenseMultilinear::new_padded(e, *vars),
                DenseMultilinear::new_padded(table.clone(), *vars),
            ],
            BindingOrder::HighToLow,
        ));
    }
    let (reduction, finals) = prove_products(instances, &mut p.transcript);
    let n = groups.iter().map(|g| g.1).max().expect("non-empty");
    let point = finals
        .iter()
        .find(|(pt, _)| pt.len() == n)
        .map(|(pt, _)| pt.clone())
        .expect("the largest instance spans the point");
    let coeffs = p.transcript.challenge_scalars(OPENING_BETA, groups.len());
    let mut combined = vec![Fr::from(0u64); 1 << n];
    for (t, c) in tables.iter().zip(&coeffs) {
        for (a, b) in combined.iter_mut().zip(t) {
            *a += *c * b;
        }
    }
    let hint = DoryScheme::combine_hints(&hints, &coeffs)?;
    let dory = DoryScheme::prove(&pk.setup, &combined, &point, &hint, &mut p.transcript)?;
    Ok(Some(OpeningProof {
        reduction: Ark(reduction),
        dory: Ark(dory),
    }))
}

/// Verifies the opening of every recorded claim.
pub(crate) fn verify(v: &mut Verifier<'_>, vk: &VerifyingKey) -> Result<(), VerifyError> {
    let claims = std::mem::take(&mut v.openings);
    let proof = match (&v.proof.opening, claims.is_empty()) {
        (None, true) => return Ok(()),
        (Some(p), false) => p,
        _ => return Err(VerifyError::Malformed("opening proof presence".into())),
    };
    let groups = group(claims);
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let rho = v.transcript.challenge_scalars(OPENING_RHO, total);
    let mut commitments: Vec<&DoryCommitment> = Vec::new();
    for (poly, _, _) in &groups {
        let c = match *poly {
            Poly::Weight(id) => vk
                .weight_commitment(id)
                .ok_or_else(|| VerifyError::Key(format!("no commitment for weight {id}")))?,
            Poly::Advice(i) => v
                .proof
                .advice_commitments
                .get(i)
                .map(|c| &c.0)
                .ok_or_else(|| VerifyError::Malformed("advice commitment".into()))?,
            Poly::Chunk(i, c) => v
                .proof
                .lookup_commitments
                .get(i)
                .and_then(|cs| cs.get(c))
                .map(|c| &c.0)
                .ok_or_else(|| VerifyError::Malformed("chunk commitment".into()))?,
        };
        commitments.push(c);
    }
    let mut offset = 0;
    let statements: Vec<ProductStatement<'_>> = groups
        .iter()
        .map(|(_, vars, cl)| {
            let rho = &rho[offset..offset + cl.len()];
            offset += cl.len();
            ProductStatement {
                claim: cl.iter().zip(rho).map(|((_, v), r)| *v * r).sum(),
                num_rounds: *vars,
                num_factors: 2,
                order: BindingOrder::HighToLow,
                public: Box::new(move |s: &[Fr]| {
                    let w: Fr = cl
                        .iter()
                        .zip(rho)
                        .map(|((pt, _), r)| EqPolynomial::evaluate(pt, s) * r)
                        .sum();
                    vec![Some(w), None]
                }),
            }
        })
        .collect();
    let finals = verify_products(
        &statements,
        &proof.reduction.0,
        &mut v.transcript,
        "opening",
    )?;
    let n = groups.iter().map(|g| g.1).max().expect("non-empty");
    let point = finals
        .iter()
        .find(|(pt, _)| pt.len() == n)
        .map(|(pt, _)| pt.clone())
        .expect("the largest instance spans the point");
    if n > vk.max_num_vars {
        return Err(VerifyError::Malformed(
            "opening point beyond the setup".into(),
        ));
    }
    let coeffs = v.transcript.challenge_scalars(OPENING_BETA, groups.len());
    let eval: Fr = finals
        .iter()
        .zip(&coeffs)
        .zip(&groups)
        .map(|(((_, u), c), (_, vars, _))| u[1] * c * tail_factor(&point, *vars))
        .sum();
    let commitment = DoryScheme::combine_commitments(&commitments, &coeffs)?;
    DoryScheme::verify(
        &vk.setup,
        &commitment,
        &point,
        &eval,
        &proof.dory.0,
        &mut v.transcript,
    )?;
    Ok(())
}
