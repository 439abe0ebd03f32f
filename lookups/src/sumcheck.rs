//! The batched sumcheck Shout and Twist run their relations in (Thaler, *Proofs, Arguments and
//! Zero-Knowledge*, §4.1; batching as in Jolt).
//!
//! Each instance `i` claims `Σ_{x ∈ {0,1}^{n_i}} g_i(x) = c_i` with `deg g_i ≤ d_i` in every
//! variable. With `N = max n_i`, an instance with fewer rounds is *front-padded*: it is viewed as
//! the `N`-variate sum `Σ_{y ∈ {0,1}^{N−n_i}} Σ_x g_i(x) = 2^{N−n_i}·c_i`, constant in the first
//! `N − n_i` variables, and binds its own variables to the last `n_i` challenges. After absorbing
//! every `c_i`, the verifier draws `β_i` and the prover proves the single claim
//! `Σ_i β_i·2^{N−n_i}·c_i` for `Σ_i β_i·g_i`:
//!
//! 1. in round `t` the prover sends `s_t(X)` of degree `D = max d_i`, compressed (its value at 1
//!    is implied by `s_t(0) + s_t(1) = claim`): `[s_t(0), s_t(2), …, s_t(D)]`;
//! 2. the verifier checks the length, absorbs `s_t`, draws `r_t` and sets `claim = s_t(r_t)`;
//! 3. at the end `claim` must equal `Σ_i β_i·g_i(r_{N−n_i..N})`, which the caller computes from
//!    the instances' output claims.
//!
//! # Soundness
//! [`verify`] only reduces the input claim to the final claim: the caller must compare it with
//! `Σ β_i·g_i(r)` and absorb the output claims that value depends on before drawing further
//! challenges.

use ark_ff::{Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use jolt_core::field::Fr;
use jolt_core::transcript::Transcript;
use rayon::prelude::*;

/// Errors of sumcheck verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SumcheckError {
    /// The proof has a different number of rounds than the instances need.
    #[error("sumcheck has {actual} rounds, expected {expected}")]
    WrongNumberOfRounds {
        /// Rounds the instances need.
        expected: usize,
        /// Rounds in the proof.
        actual: usize,
    },
    /// A round polynomial has the wrong number of coefficients.
    #[error("round {round}: polynomial has degree {actual}, expected {expected}")]
    DegreeBoundExceeded {
        /// The round.
        round: usize,
        /// The degree bound.
        expected: usize,
        /// The degree sent.
        actual: usize,
    },
    /// The instances' output claims do not explain the final claim.
    #[error("final sumcheck claim does not match the output claims")]
    FinalClaimMismatch,
    /// Instance descriptions are inconsistent (lengths of claims, rounds, degrees).
    #[error("malformed batch: {0}")]
    MalformedBatch(String),
}

/// One round polynomial `s`, compressed: `[s(0), s(2), s(3), …, s(D)]`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct CompressedRoundPoly(pub Vec<Fr>);

/// A batched sumcheck proof: one compressed round polynomial per round.
#[derive(Clone, Debug, Default, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct SumcheckProof {
    /// The round polynomials.
    pub rounds: Vec<CompressedRoundPoly>,
}

/// The prover side of one instance.
pub trait SumcheckInstanceProver: Send {
    /// `n_i`.
    fn num_rounds(&self) -> usize;
    /// `d_i`, the degree bound in each variable.
    fn degree(&self) -> usize;
    /// `c_i`, the claimed sum.
    fn input_claim(&self) -> Fr;
    /// `s(0), s(1), …, s(e)` of this round's polynomial, for some `1 ≤ e ≤ d_i`; `claim` is the
    /// instance's current claim, `s(0) + s(1)`, for provers that prefer to derive `s(1)`.
    fn round_evals(&mut self, claim: Fr) -> Vec<Fr>;
    /// Binds the current variable to `r`.
    fn bind(&mut self, r: Fr);
    /// The claims the verifier needs to evaluate `g_i` at the final point (in the order the
    /// relation's verifier expects them).
    fn output_claims(&self) -> Vec<Fr>;
}

/// `s(r)` from `s(0), …, s(n−1)` by Lagrange interpolation on the nodes `0..n`.
pub fn interpolate(evals: &[Fr], r: Fr) -> Fr {
    let n = evals.len();
    if let Some(i) = (0..n).find(|i| r == Fr::from(*i as u64)) {
        return evals[i];
    }
    // s(r) = Σ_i evals[i] · Π_{j≠i} (r − j)/(i − j).
    let diffs: Vec<Fr> = (0..n).map(|j| r - Fr::from(j as u64)).collect();
    let total: Fr = diffs.iter().product();
    let mut acc = Fr::zero();
    for (i, e) in evals.iter().enumerate() {
        let mut denom = Fr::one();
        for j in 0..n {
            if i != j {
                denom *= Fr::from(i as u64) - Fr::from(j as u64);
            }
        }
        // r ≠ i here, so diffs[i] is invertible; denom is a product of non-zero small integers.
        let inv = (denom * diffs[i]).inverse().unwrap_or_default();
        acc += *e * total * inv;
    }
    acc
}

/// Extends `s(0..n)` to `s(0..=degree)`.
fn extend(evals: Vec<Fr>, degree: usize) -> Vec<Fr> {
    if evals.len() > degree {
        return evals;
    }
    let mut out = evals.clone();
    for x in evals.len()..=degree {
        out.push(interpolate(&evals, Fr::from(x as u64)));
    }
    out
}

/// What a batched sumcheck leaves the caller: the challenges and the batching coefficients.
#[derive(Clone, Debug)]
pub struct BatchOutcome {
    /// All `N` challenges; instance `i` is bound to `r[N − n_i..]`.
    pub challenges: Vec<Fr>,
    /// `β_i`.
    pub coeffs: Vec<Fr>,
    /// The final claim.
    pub final_claim: Fr,
}

impl BatchOutcome {
    /// The challenges instance `i` was bound to, given its round count.
    pub fn point(&self, num_rounds: usize) -> &[Fr] {
        &self.challenges[self.challenges.len() - num_rounds..]
    }
}

fn draw_coeffs(claims: &[Fr], transcript: &mut Transcript) -> Vec<Fr> {
    transcript.append_scalars(b"sumcheck_input_claims", claims);
    transcript.challenge_scalars(b"sumcheck_batching", claims.len())
}

/// Proves the batch; returns the proof and the outcome. Instances are bound in place and keep
/// their output claims.
#[tracing::instrument(skip_all, name = "batched_sumcheck::prove")]
pub fn prove(
    instances: &mut [Box<dyn SumcheckInstanceProver + '_>],
    transcript: &mut Transcript,
) -> (SumcheckProof, BatchOutcome) {
    let claims: Vec<Fr> = instances.iter().map(|i| i.input_claim()).collect();
    let coeffs = draw_coeffs(&claims, transcript);
    let rounds: Vec<usize> = instances.iter().map(|i| i.num_rounds()).collect();
    let n = rounds.iter().copied().max().unwrap_or(0);
    let degree = instances.iter().map(|i| i.degree()).max().unwrap_or(1);
    let mut current: Vec<Fr> = claims
        .iter()
        .zip(&rounds)
        .map(|(c, r)| *c * pow2(n - r))
        .collect();
    let mut combined_claim: Fr = current.iter().zip(&coeffs).map(|(c, b)| *c * b).sum();
    let mut proof = SumcheckProof::default();
    let mut challenges = Vec::with_capacity(n);
    for t in 0..n {
        let per_instance: Vec<Vec<Fr>> = instances
            .par_iter_mut()
            .zip(current.par_iter())
            .zip(rounds.par_iter())
            .map(|((inst, claim), r)| {
                if t < n - r {
                    let half = *claim * half();
                    vec![half, half]
                } else {
                    extend(inst.round_evals(*claim), degree)
                }
            })
            .collect();
        let mut combined = vec![Fr::zero(); degree + 1];
        for (evals, beta) in per_instance.iter().zip(&coeffs) {
            let evals = extend(evals.clone(), degree);
            for (c, e) in combined.iter_mut().zip(&evals) {
                *c += *beta * e;
            }
        }
        debug_assert_eq!(combined[0] + combined[1], combined_claim, "round {t}");
        let compressed: Vec<Fr> = std::iter::once(combined[0])
            .chain(combined[2..].iter().copied())
            .collect();
        transcript.append_scalars(b"sumcheck_round", &compressed);
        proof.rounds.push(CompressedRoundPoly(compressed));
        let r = transcript.challenge_scalar(b"sumcheck_challenge");
        challenges.push(r);
        combined_claim = interpolate(&combined, r);
        for (((inst, claim), rr), evals) in instances
            .iter_mut()
            .zip(current.iter_mut())
            .zip(&rounds)
            .zip(&per_instance)
        {
            *claim = interpolate(evals, r);
            if t >= n - rr {
                inst.bind(r);
            }
        }
    }
    (
        proof,
        BatchOutcome {
            challenges,
            coeffs,
            final_claim: combined_claim,
        },
    )
}

/// `2^k` in the field.
pub fn pow2(k: usize) -> Fr {
    Fr::from(2u64).pow([k as u64])
}

fn half() -> Fr {
    // 2 is invertible in a field of odd characteristic.
    Fr::from(2u64).inverse().unwrap_or_default()
}

/// Verifies a batch described by each instance's `(input claim, rounds, degree)`; returns the
/// outcome, whose `final_claim` the caller must check against the instances' output claims.
pub fn verify(
    claims: &[Fr],
    rounds: &[usize],
    degrees: &[usize],
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<BatchOutcome, SumcheckError> {
    if claims.len() != rounds.len() || claims.len() != degrees.len() {
        return Err(SumcheckError::MalformedBatch(format!(
            "{} claims, {} round counts, {} degrees",
            claims.len(),
            rounds.len(),
            degrees.len()
        )));
    }
    let coeffs = draw_coeffs(claims, transcript);
    let n = rounds.iter().copied().max().unwrap_or(0);
    let degree = degrees.iter().copied().max().unwrap_or(1);
    if proof.rounds.len() != n {
        return Err(SumcheckError::WrongNumberOfRounds {
            expected: n,
            actual: proof.rounds.len(),
        });
    }
    let mut claim: Fr = claims
        .iter()
        .zip(rounds)
        .zip(&coeffs)
        .map(|((c, r), b)| *c * pow2(n - r) * b)
        .sum();
    let mut challenges = Vec::with_capacity(n);
    for (t, round) in proof.rounds.iter().enumerate() {
        if round.0.len() != degree {
            return Err(SumcheckError::DegreeBoundExceeded {
                round: t,
                expected: degree,
                actual: round.0.len(),
            });
        }
        transcript.append_scalars(b"sumcheck_round", &round.0);
        let r = transcript.challenge_scalar(b"sumcheck_challenge");
        challenges.push(r);
        let mut evals = Vec::with_capacity(degree + 1);
        evals.push(round.0[0]);
        evals.push(claim - round.0[0]);
        evals.extend_from_slice(&round.0[1..]);
        claim = interpolate(&evals, r);
    }
    Ok(BatchOutcome {
        challenges,
        coeffs,
        final_claim: claim,
    })
}

/// `Σ_x f(t_1(x), …, t_m(x))` for dense multilinear tables `t_i` and a polynomial `f` of total
/// degree `degree`: the generic prover (tables bound low variable first).
pub struct DenseInstance<'a> {
    tables: Vec<Vec<Fr>>,
    degree: usize,
    claim: Fr,
    combine: Box<dyn Fn(&[Fr]) -> Fr + Send + Sync + 'a>,
}

impl<'a> DenseInstance<'a> {
    /// The instance for `tables` (all of the same power-of-two length) and `combine`; the claim
    /// is computed.
    pub fn new(
        tables: Vec<Vec<Fr>>,
        degree: usize,
        combine: impl Fn(&[Fr]) -> Fr + Send + Sync + 'a,
    ) -> Self {
        let len = tables.first().map_or(1, Vec::len);
        debug_assert!(tables.iter().all(|t| t.len() == len) && len.is_power_of_two());
        let combine: Box<dyn Fn(&[Fr]) -> Fr + Send + Sync + 'a> = Box::new(combine);
        let claim = (0..len)
            .into_par_iter()
            .map_init(
                || vec![Fr::zero(); tables.len()],
                |buf, i| {
                    for (b, t) in buf.iter_mut().zip(&tables) {
                        *b = t[i];
                    }
                    combine(buf)
                },
            )
            .sum();
        Self {
            tables,
            degree,
            claim,
            combine,
        }
    }

    /// The instance's tables (fully bound ones have a single entry).
    pub fn tables(&self) -> &[Vec<Fr>] {
        &self.tables
    }
}

impl SumcheckInstanceProver for DenseInstance<'_> {
    fn num_rounds(&self) -> usize {
        self.tables
            .first()
            .map_or(0, |t| t.len().trailing_zeros() as usize)
    }

    fn degree(&self) -> usize {
        self.degree
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn round_evals(&mut self, claim: Fr) -> Vec<Fr> {
        let half = self.tables[0].len() / 2;
        let m = self.tables.len();
        let d = self.degree;
        let tables = &self.tables;
        let combine = &self.combine;
        // acc[0] = s(0), acc[x − 1] = s(x) for x ≥ 2.
        let acc = (0..half)
            .into_par_iter()
            .fold(
                || {
                    (
                        vec![Fr::zero(); d],
                        vec![Fr::zero(); m],
                        vec![Fr::zero(); m],
                    )
                },
                |(mut acc, mut cur, mut diff), i| {
                    for t in 0..m {
                        cur[t] = tables[t][2 * i];
                        diff[t] = tables[t][2 * i + 1] - cur[t];
                    }
                    acc[0] += combine(&cur);
                    for t in 0..m {
                        cur[t] += diff[t] + diff[t];
                    }
                    for x in 2..=d {
                        acc[x - 1] += combine(&cur);
                        if x < d {
                            for t in 0..m {
                                cur[t] += diff[t];
                            }
                        }
                    }
                    (acc, cur, diff)
                },
            )
            .map(|(acc, _, _)| acc)
            .reduce(
                || vec![Fr::zero(); d],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            );
        let mut evals = Vec::with_capacity(d + 1);
        evals.push(acc[0]);
        evals.push(claim - acc[0]);
        evals.extend_from_slice(&acc[1..]);
        evals
    }

    fn bind(&mut self, r: Fr) {
        self.tables
            .par_iter_mut()
            .for_each(|t| crate::poly::bind_low(t, r));
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.tables.iter().map(|t| t[0]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn batched_dense_instances_verify() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let mut rand_table = |n: usize| (0..1 << n).map(|_| Fr::rand(&mut rng)).collect::<Vec<_>>();
        let (a, b, c) = (rand_table(4), rand_table(4), rand_table(2));
        let mut instances: Vec<Box<dyn SumcheckInstanceProver>> = vec![
            Box::new(DenseInstance::new(vec![a, b], 2, |v| v[0] * v[1])),
            Box::new(DenseInstance::new(vec![c.clone()], 3, |v| {
                v[0] * v[0] * v[0]
            })),
        ];
        let claims: Vec<Fr> = instances.iter().map(|i| i.input_claim()).collect();
        let mut pt = Transcript::new(b"test");
        let (proof, outcome) = prove(&mut instances, &mut pt);
        let expected: Vec<Fr> = instances
            .iter()
            .map(|i| {
                let o = i.output_claims();
                if o.len() == 2 {
                    o[0] * o[1]
                } else {
                    o[0] * o[0] * o[0]
                }
            })
            .collect();
        let mut vt = Transcript::new(b"test");
        let v = verify(&claims, &[4, 2], &[2, 3], &proof, &mut vt).unwrap();
        let combined: Fr = expected.iter().zip(&v.coeffs).map(|(e, b)| *e * b).sum();
        assert_eq!(v.final_claim, combined);
        assert_eq!(v.challenges, outcome.challenges);
        assert_eq!(
            crate::poly::mle_eval(&c, v.point(2)),
            instances[1].output_claims()[0]
        );
        let mut bad = proof.clone();
        bad.rounds[1].0[0] += Fr::one();
        let mut vt = Transcript::new(b"test");
        let v = verify(&claims, &[4, 2], &[2, 3], &bad, &mut vt).unwrap();
        assert_ne!(v.final_claim, combined);
    }
}
