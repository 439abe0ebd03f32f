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
//!
//! # Prover strategy
//!
//! Weights and remainders are small dense tables: their instance is jolt-core's two-factor
//! [`ProductProver`] over `W_g = Σ_i ρ_{g,i}·eq(r_{g,i}, ·)` and `P_g`.
//!
//! A one-hot chunk `P(k, j) = [k = key_j]` (`K_c` addresses, `T` cycles, cycle-major: index
//! `j·K_c + k`, so the high `log T` variables are the cycle and are bound first) is never
//! densified (`OneHotProver`). With `r_i = a_i ‖ c_i`, during the cycle rounds
//! `Σ_k W(k, j)·P(k, j) = Σ_i ρ_i·eq(c_i, j)·eq(a_i, key_j)`, and binding commutes with the sum
//! over `k`: the prover keeps, per distinct cycle point `c`, the two `T`-entry tables
//! `E_c = eq(c, ·)` and `Q_c(j) = Σ_{i: c_i = c} ρ_i·eq(a_i, key_j)` and runs the two-factor
//! product rounds on them. Once the cycle variables are bound to `R_c`, it switches to the
//! `K_c`-entry tables `P'(k) = Σ_j eq(R_c, j)·[key_j = k]` and
//! `W'(k) = Σ_c E_c(R_c)·Σ_{i: c_i = c} ρ_i·eq(a_i, k)` for the address rounds. Every round
//! polynomial is the one the dense product would send (same evaluations at `0` and `2`, same
//! completion from the running claim), so the proof is the same as with dense tables; the cost
//! is `O(T)` per chunk instead of `O(K_c·T)`. The combination `Q` adds `β_g` at the `T`
//! one-hot positions, and the combined hint comes from the row commitments
//! ([`DoryScheme::combine_hints`]).

use std::borrow::Cow;
use std::collections::HashMap;

use ark_ff::{One, Zero};
use jolt_core::field::{mul_i64, Fr};
use jolt_core::pcs::dory::{DoryCommitment, DoryHint};
use jolt_core::pcs::{CommitmentScheme, DoryScheme};
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial, UniPoly};
use jolt_core::sumcheck::{BatchedSumcheck, ProductProver, SumcheckInstanceProver};
use rayon::prelude::*;

use super::encoding::{Ark, OpeningProof};
use super::layout::{to_field, Layout};
use super::product::{verify_products, ProductStatement};
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

/// `Σ_i ρ_i·eq(r_i, ·)` as a table of `2^vars` entries (points of `vars` coordinates).
///
/// A point whose top coordinates are boolean (a claim moved to a segment of an advice bin)
/// has `eq(r_i, ·)` zero outside that segment: only the segment's entries are computed.
fn eq_combination(claims: &[(Vec<Fr>, Fr)], rho: &[Fr], vars: usize) -> Vec<Fr> {
    let mut t = vec![Fr::from(0u64); 1 << vars];
    for ((point, _), r) in claims.iter().zip(rho) {
        debug_assert_eq!(point.len(), vars);
        let free = point.len()
            - point
                .iter()
                .rev()
                .take_while(|x| x.is_zero() || x.is_one())
                .count();
        let segment = point[free..]
            .iter()
            .enumerate()
            .fold(0usize, |acc, (b, x)| acc | (usize::from(x.is_one()) << b));
        let offset = segment << free;
        let e = EqPolynomial::evals_scaled(&point[..free], *r);
        let dst = &mut t[offset..offset + e.len()];
        if e.len() >= PAR_THRESHOLD {
            dst.par_iter_mut()
                .zip(e.par_iter())
                .for_each(|(a, b)| *a += b);
        } else {
            dst.iter_mut().zip(&e).for_each(|(a, b)| *a += b);
        }
    }
    t
}

const OPENING_RHO: &[u8] = b"opening_rho";
const OPENING_BETA: &[u8] = b"opening_beta";

/// Tables at or above this length are processed with rayon.
const PAR_THRESHOLD: usize = 1 << 12;

/// The committed polynomial of a group, on the prover's side.
enum Source<'a> {
    /// A dense table of small integers (weights, remainders), zero-padded to the group's
    /// variables.
    Small(Cow<'a, [i64]>),
    /// A one-hot chunk (cycle-major): the address of every cycle, below `2^log_k`.
    OneHot { keys: &'a [u32], log_k: usize },
}

/// The instance `Σ_x W(x)·P(x)` of a one-hot chunk `P` with `W = Σ_i ρ_i·eq(a_i ‖ c_i, ·)`,
/// bound high-to-low without densifying `P` (see the module documentation). Its round
/// polynomials and output claims `[W(R), P(R)]` are those of [`ProductProver`] on the dense
/// tables.
struct OneHotProver<'a> {
    keys: &'a [u32],
    log_k: usize,
    log_t: usize,
    claim: Fr,
    /// Cycle rounds: one term per distinct cycle point (emptied at the switch).
    terms: Vec<CycleTerm>,
    /// The cycle challenges so far, in round order.
    r_cycle: Vec<Fr>,
    /// Address rounds: the product `W'·P'` (set at the switch).
    address: Option<ProductProver>,
}

/// The claims of a one-hot instance that share one cycle point `c`.
struct CycleTerm {
    /// `E_c = eq(c, ·)` over the cycles, partially bound.
    eq: DenseMultilinear,
    /// `Q_c(j) = A_c(key_j)`, partially bound.
    q: DenseMultilinear,
    /// `A_c = Σ_{i: c_i = c} ρ_i·eq(a_i, ·)` over the addresses.
    address: Vec<Fr>,
}

impl<'a> OneHotProver<'a> {
    /// The instance of the chunk with addresses `keys` (`T` a power of two, every key below
    /// `2^log_k`) for the claim points `points` (`log_k + log T` coordinates, address first)
    /// weighted by `rho`.
    fn new(keys: &'a [u32], log_k: usize, points: &[&[Fr]], rho: &[Fr]) -> Self {
        assert!(keys.len().is_power_of_two(), "T is a power of two");
        let log_t = keys.len().trailing_zeros() as usize;
        let mut cycle_points: Vec<&[Fr]> = Vec::new();
        let mut terms: Vec<CycleTerm> = Vec::new();
        for (point, r) in points.iter().zip(rho) {
            assert_eq!(point.len(), log_k + log_t, "a chunk claim's point");
            let (a, c) = point.split_at(log_k);
            let t = match cycle_points.iter().position(|x| *x == c) {
                Some(t) => t,
                None => {
                    cycle_points.push(c);
                    terms.push(CycleTerm {
                        eq: DenseMultilinear::new(EqPolynomial::evals(c)),
                        q: DenseMultilinear::new(Vec::new()),
                        address: vec![Fr::from(0u64); 1 << log_k],
                    });
                    terms.len() - 1
                }
            };
            for (x, e) in terms[t]
                .address
                .iter_mut()
                .zip(EqPolynomial::evals_scaled(a, *r))
            {
                *x += e;
            }
        }
        for t in &mut terms {
            let address = &t.address;
            t.q = DenseMultilinear::new(keys.par_iter().map(|k| address[*k as usize]).collect());
        }
        let claim = terms
            .iter()
            .map(|t| {
                t.eq.evals()
                    .par_iter()
                    .zip(t.q.evals().par_iter())
                    .map(|(e, q)| *e * q)
                    .sum::<Fr>()
            })
            .sum();
        let mut prover = OneHotProver {
            keys,
            log_k,
            log_t,
            claim,
            terms,
            r_cycle: Vec::with_capacity(log_t),
            address: None,
        };
        if log_t == 0 {
            prover.switch_to_address();
        }
        prover
    }

    /// After the last cycle round: the address tables `W'` and `P'` at the bound cycles `R_c`.
    fn switch_to_address(&mut self) {
        let r_c = BindingOrder::HighToLow.point_from_challenges(&self.r_cycle);
        let eq = EqPolynomial::evals(&r_c);
        let k = 1usize << self.log_k;
        let chunk = (self.keys.len() / rayon::current_num_threads().max(1)).max(PAR_THRESHOLD);
        let p = self
            .keys
            .par_chunks(chunk)
            .zip(eq.par_chunks(chunk))
            .map(|(keys, eq)| {
                let mut acc = vec![Fr::from(0u64); k];
                for (key, e) in keys.iter().zip(eq) {
                    acc[*key as usize] += e;
                }
                acc
            })
            .reduce(
                || vec![Fr::from(0u64); k],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        let mut w = vec![Fr::from(0u64); k];
        for t in std::mem::take(&mut self.terms) {
            let e = t.eq.final_value();
            for (x, a) in w.iter_mut().zip(&t.address) {
                *x += e * a;
            }
        }
        self.address = Some(ProductProver::new(
            vec![
                DenseMultilinear::new_padded(w, self.log_k),
                DenseMultilinear::new_padded(p, self.log_k),
            ],
            BindingOrder::HighToLow,
        ));
    }
}

/// `[s(0), s(2)]` of `Σ_pairs E(t)·Q(t)` for tables bound high-to-low.
fn cycle_round_evals(eq: &[Fr], q: &[Fr]) -> [Fr; 2] {
    let half = eq.len() / 2;
    let (e_lo, e_hi) = eq.split_at(half);
    let (q_lo, q_hi) = q.split_at(half);
    let pair = |i: usize| {
        let e2 = e_hi[i] + e_hi[i] - e_lo[i];
        let q2 = q_hi[i] + q_hi[i] - q_lo[i];
        [e_lo[i] * q_lo[i], e2 * q2]
    };
    let add = |a: [Fr; 2], b: [Fr; 2]| [a[0] + b[0], a[1] + b[1]];
    let zero = [Fr::from(0u64); 2];
    if half >= PAR_THRESHOLD {
        (0..half).into_par_iter().map(pair).reduce(|| zero, add)
    } else {
        (0..half).map(pair).fold(zero, add)
    }
}

impl SumcheckInstanceProver for OneHotProver<'_> {
    fn degree(&self) -> usize {
        2
    }

    fn num_rounds(&self) -> usize {
        self.log_k + self.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn binding_order(&self) -> BindingOrder {
        BindingOrder::HighToLow
    }

    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        if round < self.log_t {
            let mut evals = [Fr::from(0u64); 2];
            for t in &self.terms {
                let [s0, s2] = cycle_round_evals(t.eq.evals(), t.q.evals());
                evals[0] += s0;
                evals[1] += s2;
            }
            UniPoly::from_evals_and_claim(previous_claim, &evals)
        } else {
            self.address
                .as_mut()
                .expect("set after the cycle rounds")
                .compute_round_poly(round - self.log_t, previous_claim)
        }
    }

    fn bind(&mut self, r: Fr, round: usize) {
        if round < self.log_t {
            for t in &mut self.terms {
                t.eq.bind(r, BindingOrder::HighToLow);
                t.q.bind(r, BindingOrder::HighToLow);
            }
            self.r_cycle.push(r);
            if round + 1 == self.log_t {
                self.switch_to_address();
            }
        } else {
            self.address
                .as_mut()
                .expect("set after the cycle rounds")
                .bind(r, round - self.log_t);
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.address
            .as_ref()
            .expect("set after the cycle rounds")
            .output_claims()
    }
}

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
    #[cfg(test)]
    if tests::REFERENCE.with(|r| r.get()) {
        return tests::prove_dense(p, pk, advice_hints, claims);
    }
    let groups = group(claims);
    let total: usize = groups.iter().map(|g| g.2.len()).sum();
    let rho = p.transcript.challenge_scalars(OPENING_RHO, total);
    let weight_ids = pk.vk.program.tensors_with_role(atlas_isa::Role::Weight);
    let mut sources: Vec<Source<'_>> = Vec::new();
    let mut hints: Vec<&DoryHint> = Vec::new();
    for (poly, _, cl) in &groups {
        let (source, hint) = match *poly {
            Poly::Weight(id) => {
                let k = weight_ids.iter().position(|w| *w == id).expect("a weight");
                let info = pk.vk.program.tensor(id);
                let values = pk.weights.get(id).expect("checked at setup");
                (
                    Source::Small(Cow::Owned(Layout::new(&info.shape).pad(values, 0))),
                    &pk.weight_hints[k],
                )
            }
            Poly::Advice(i) => (
                Source::Small(Cow::Borrowed(&p.advice_bins[i])),
                &advice_hints[i],
            ),
            Poly::Chunk(i, c) => {
                let (keys, log_k, hint) = p.shout[i].chunk_values(0, c);
                let vars = log_k + keys.len().trailing_zeros() as usize;
                if cl.iter().any(|(pt, _)| pt.len() != vars) {
                    return Err(ProveError::Witness(format!(
                        "chunk {c} of lookup instance {i}: a claim not on {vars} variables"
                    )));
                }
                (Source::OneHot { keys, log_k }, hint)
            }
        };
        sources.push(source);
        hints.push(hint);
    }
    let span = tracing::info_span!("opening::instances").entered();
    let mut provers: Vec<Box<dyn SumcheckInstanceProver + '_>> = Vec::new();
    let mut offset = 0;
    for ((_, vars, cl), source) in groups.iter().zip(&sources) {
        let rho = &rho[offset..offset + cl.len()];
        offset += cl.len();
        provers.push(match source {
            Source::Small(values) => Box::new(ProductProver::new(
                vec![
                    DenseMultilinear::new_padded(eq_combination(cl, rho, *vars), *vars),
                    DenseMultilinear::new_padded(to_field(values), *vars),
                ],
                BindingOrder::HighToLow,
            )),
            Source::OneHot { keys, log_k } => {
                let points: Vec<&[Fr]> = cl.iter().map(|(pt, _)| pt.as_slice()).collect();
                Box::new(OneHotProver::new(keys, *log_k, &points, rho))
            }
        });
    }
    drop(span);
    let mut refs: Vec<&mut dyn SumcheckInstanceProver> = provers
        .iter_mut()
        .map(|b| b.as_mut() as &mut dyn SumcheckInstanceProver)
        .collect();
    let (reduction, challenges) = BatchedSumcheck::prove(&mut refs, &mut p.transcript);
    drop(refs);
    drop(provers);
    let n = groups.iter().map(|g| g.1).max().expect("non-empty");
    debug_assert_eq!(challenges.len(), n);
    let point = BindingOrder::HighToLow.point_from_challenges(&challenges);
    let coeffs = p.transcript.challenge_scalars(OPENING_BETA, groups.len());
    let combined = combine(&sources, &coeffs, n);
    drop(sources);
    let hint = tracing::info_span!("opening::combine_hints", hints = hints.len())
        .in_scope(|| DoryScheme::combine_hints(&hints, &coeffs))?;
    let dory = DoryScheme::prove(&pk.setup, &combined, &point, &hint, &mut p.transcript)?;
    Ok(Some(OpeningProof {
        reduction: Ark(reduction),
        dory: Ark(dory),
    }))
}

/// `Σ_g β_g·P_g`, each zero-padded to `n` variables: dense tables added entry by entry,
/// one-hot chunks by adding `β_g` at their `T` non-zero positions.
#[tracing::instrument(skip_all, name = "opening::combine")]
fn combine(sources: &[Source<'_>], coeffs: &[Fr], n: usize) -> Vec<Fr> {
    let mut combined = vec![Fr::from(0u64); 1 << n];
    for (source, beta) in sources.iter().zip(coeffs) {
        match source {
            Source::Small(values) => combined[..values.len()]
                .par_iter_mut()
                .zip(values.par_iter())
                .for_each(|(a, v)| {
                    if *v != 0 {
                        *a += mul_i64(beta, *v);
                    }
                }),
            Source::OneHot { keys, log_k } => combined[..keys.len() << log_k]
                .par_chunks_mut(1 << log_k)
                .zip(keys.par_iter())
                .for_each(|(row, k)| row[*k as usize] += beta),
        }
    }
    combined
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

#[cfg(test)]
pub(crate) mod tests {
    //! The one-hot aware prover against the dense reference (the prover before it): same
    //! proofs, byte for byte.

    use std::cell::Cell;

    use ark_ff::UniformRand;
    use atlas_isa::{
        EinsumSpec, Instr, Program, Role, Table, TableFn, TensorData, TensorId, TensorInfo, Weights,
    };
    use jolt_core::sumcheck::BatchedSumcheckProof;
    use jolt_core::transcript::Transcript;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::super::product::prove_products;
    use super::*;

    thread_local! {
        /// Test switch: [`prove`] runs the dense reference [`prove_dense`] instead.
        pub(crate) static REFERENCE: Cell<bool> = const { Cell::new(false) };
    }

    /// The dense reference: every polynomial (one-hot chunks included) as a dense table, one
    /// two-factor product per group, the combination summed densely.
    pub(crate) fn prove_dense(
        p: &mut Prover<'_>,
        pk: &ProvingKey,
        advice_hints: &[DoryHint],
        claims: Vec<OpeningClaim>,
    ) -> Result<Option<OpeningProof>, ProveError> {
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
                Poly::Chunk(i, c) => p.shout[i].chunk_polynomial(0, c)?,
            };
            tables.push(table);
            hints.push(hint);
        }
        let mut instances = Vec::new();
        let mut offset = 0;
        for ((_, vars, cl), table) in groups.iter().zip(&tables) {
            let e = eq_combination_dense(cl, &rho[offset..offset + cl.len()], *vars);
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

    /// `Σ_i ρ_i·eq(r_i, ·)` as a table, every eq table in full (the reference's).
    fn eq_combination_dense(claims: &[(Vec<Fr>, Fr)], rho: &[Fr], vars: usize) -> Vec<Fr> {
        let mut t = vec![Fr::from(0u64); 1 << vars];
        for ((point, _), r) in claims.iter().zip(rho) {
            for (a, b) in t.iter_mut().zip(EqPolynomial::evals_scaled(point, *r)) {
                *a += b;
            }
        }
        t
    }

    fn random(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    /// One batch: a dense product of `dense_vars` variables, then one-hot chunks given by
    /// `(keys, log_k, points)`, proven with [`OneHotProver`] or densely.
    fn batch(
        dense_vars: usize,
        chunks: &[(Vec<u32>, usize, Vec<Vec<Fr>>)],
        one_hot: bool,
        rng: &mut ChaCha20Rng,
    ) -> (BatchedSumcheckProof, Vec<Fr>, Fr) {
        let dense = ProductProver::new(
            vec![
                DenseMultilinear::new(random(1 << dense_vars, rng)),
                DenseMultilinear::new(random(1 << dense_vars, rng)),
            ],
            BindingOrder::HighToLow,
        );
        let rhos: Vec<Vec<Fr>> = chunks
            .iter()
            .map(|(_, _, pts)| random(pts.len(), rng))
            .collect();
        let mut provers: Vec<Box<dyn SumcheckInstanceProver + '_>> = vec![Box::new(dense)];
        for ((keys, log_k, points), rho) in chunks.iter().zip(&rhos) {
            if one_hot {
                let pts: Vec<&[Fr]> = points.iter().map(|p| p.as_slice()).collect();
                provers.push(Box::new(OneHotProver::new(keys, *log_k, &pts, rho)));
            } else {
                let addresses: Vec<Option<u32>> = keys.iter().map(|k| Some(*k)).collect();
                let table = jolt_core::pcs::OneHotPolynomial::new(
                    1 << log_k,
                    &addresses,
                    jolt_core::pcs::OneHotLayout::CycleMajor,
                )
                .unwrap()
                .to_dense();
                let claims: Vec<(Vec<Fr>, Fr)> =
                    points.iter().map(|p| (p.clone(), Fr::from(0u64))).collect();
                let vars = points[0].len();
                provers.push(Box::new(ProductProver::new(
                    vec![
                        DenseMultilinear::new_padded(
                            eq_combination_dense(&claims, rho, vars),
                            vars,
                        ),
                        DenseMultilinear::new_padded(table, vars),
                    ],
                    BindingOrder::HighToLow,
                )));
            }
        }
        let mut refs: Vec<&mut dyn SumcheckInstanceProver> = provers
            .iter_mut()
            .map(|b| b.as_mut() as &mut dyn SumcheckInstanceProver)
            .collect();
        let mut transcript = Transcript::new(b"one_hot_test");
        let (proof, challenges) = BatchedSumcheck::prove(&mut refs, &mut transcript);
        (proof, challenges, transcript.challenge_scalar(b"end"))
    }

    #[test]
    fn one_hot_instance_matches_dense_product() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut chunks = Vec::new();
        // (log_k, log_t, number of claims, distinct cycle points): one cycle point shared by
        // two claims, two cycle points, no cycle variable, a table above the parallel
        // threshold.
        for (log_k, log_t, claims, cycles) in
            [(4, 6, 2, 1), (2, 5, 3, 2), (3, 0, 2, 1), (4, 13, 2, 1)]
        {
            let keys: Vec<u32> = (0..1usize << log_t)
                .map(|_| u32::rand(&mut rng) % (1 << log_k))
                .collect();
            let cycle_points: Vec<Vec<Fr>> = (0..cycles).map(|_| random(log_t, &mut rng)).collect();
            let points: Vec<Vec<Fr>> = (0..claims)
                .map(|i| {
                    let mut pt = random(log_k, &mut rng);
                    pt.extend_from_slice(&cycle_points[i % cycles]);
                    pt
                })
                .collect();
            chunks.push((keys, log_k, points));
        }
        let sparse = batch(9, &chunks, true, &mut ChaCha20Rng::seed_from_u64(8));
        let dense = batch(9, &chunks, false, &mut ChaCha20Rng::seed_from_u64(8));
        assert_eq!(sparse, dense);
    }

    #[test]
    fn eq_combination_on_segments_matches_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let vars = 14;
        // Boolean top coordinates (0, 3 or all of them), and a boolean coordinate below a
        // random one (not a segment).
        let claims: Vec<(Vec<Fr>, Fr)> = [0usize, 3, 3, vars, 1]
            .iter()
            .enumerate()
            .map(|(i, &boolean)| {
                let mut pt = random(vars - boolean, &mut rng);
                if i == 4 {
                    pt[2] = Fr::from(1u64);
                }
                pt.extend((0..boolean).map(|b| Fr::from(((i + b) % 2) as u64)));
                (pt, Fr::from(0u64))
            })
            .collect();
        let rho = random(claims.len(), &mut rng);
        assert_eq!(
            eq_combination(&claims, &rho, vars),
            eq_combination_dense(&claims, &rho, vars)
        );
    }

    fn t(shape: &[usize], scale: u32, role: Role) -> TensorInfo {
        TensorInfo {
            name: String::new(),
            shape: shape.to_vec(),
            scale,
            role,
        }
    }

    /// `y = relu(x:[16,40]·w:[40,24] + b ≫ 4)`, `tanh(y)·y ≫ 4`: weights, two remainder tables
    /// (segments of one advice bin) and several lookup tables (chunks of several widths).
    fn layer() -> Program {
        use Role::*;
        let lookup = |x: u32, out: u32, func: TableFn, domain: (i64, i64)| Instr::Lookup {
            x: TensorId(x),
            table: Table {
                func,
                in_scale: 4,
                out_scale: 4,
                domain,
            },
            out: TensorId(out),
        };
        let tensors = vec![
            t(&[16, 40], 4, Input),
            t(&[40, 24], 4, Weight),
            t(&[16, 24], 8, Intermediate),
            t(&[24], 8, Weight),
            t(&[16, 24], 8, Intermediate),
            t(&[16, 24], 4, Intermediate),
            t(&[16, 24], 4, Intermediate),
            t(&[16, 24], 4, Intermediate),
            t(&[16, 24], 8, Intermediate),
            t(&[16, 24], 4, Output),
        ];
        let program = Program {
            tensors,
            instrs: vec![
                Instr::Einsum {
                    a: TensorId(0),
                    b: TensorId(1),
                    spec: EinsumSpec {
                        a: "mk".into(),
                        b: "kn".into(),
                        out: "mn".into(),
                    },
                    out: TensorId(2),
                },
                Instr::Add {
                    a: TensorId(2),
                    b: TensorId(3),
                    out: TensorId(4),
                },
                Instr::Rescale {
                    x: TensorId(4),
                    shift: 4,
                    out: TensorId(5),
                },
                lookup(5, 6, TableFn::Relu, (0, 0)),
                lookup(6, 7, TableFn::Tanh, (-64, 63)),
                Instr::Mul {
                    a: TensorId(7),
                    b: TensorId(6),
                    out: TensorId(8),
                },
                Instr::Rescale {
                    x: TensorId(8),
                    shift: 4,
                    out: TensorId(9),
                },
            ],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(9)],
            constants: vec![],
            custom_tables: Default::default(),
        };
        program.validate().expect("valid test program");
        program
    }

    #[test]
    fn proof_matches_dense_reference() {
        let program = layer();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut sample = |n: usize, m: i64| -> Vec<i64> {
            (0..n)
                .map(|_| (u64::rand(&mut rng) % (2 * m as u64 + 1)) as i64 - m)
                .collect()
        };
        let weights = Weights {
            tensors: program
                .tensors_with_role(Role::Weight)
                .into_iter()
                .map(|w| TensorData {
                    id: w,
                    values: sample(program.tensor(w).len(), 20),
                })
                .collect(),
        };
        let inputs = vec![sample(program.tensor(TensorId(0)).len(), 50)];
        let (pk, vk) = crate::prove::setup(&program, &weights).expect("setup");
        let trace = crate::execute(&program, &weights, &inputs).expect("execute");
        let proof = crate::prove::prove(&pk, &trace, &inputs).expect("prove");
        REFERENCE.with(|r| r.set(true));
        let reference = crate::prove::prove(&pk, &trace, &inputs);
        REFERENCE.with(|r| r.set(false));
        let reference = reference.expect("prove densely");
        assert!(proof.opening.is_some());
        assert_eq!(proof.opening, reference.opening);
        assert_eq!(proof.to_bytes(), reference.to_bytes());
        crate::prove::verify(&vk, &inputs, &trace.outputs(&program), &proof).expect("verifies");
    }
}
