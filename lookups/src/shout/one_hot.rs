//! Booleanity and Hamming weight of a group of committed one-hot chunks of equal width,
//! batched into one sumcheck instance.
//!
//! For chunks `ra_1..ra_m` (each `K_c × T`), random `r_a ∈ F^{log K_c}`, `r_c ∈ F^{log T}` and
//! random coefficients `β_i`, `δ_i`:
//!
//! ```text
//! Σ_i δ_i = Σ_{k, j} eq(r_c, j)·Σ_i [β_i·eq(r_a, k)·(ra_i(k, j)² − ra_i(k, j)) + δ_i·ra_i(k, j)],
//! ```
//!
//! the random combination of every chunk's [booleanity](super::booleanity) claim (0) and
//! [Hamming-weight](super::hamming) claim (1). Batching them shares the eq tables and the
//! address point, so the cycle phase binds `1 + m` tables instead of `4m`, and each chunk ends
//! with a single claim `ra_i(ρ_a, ρ_c)`.
//!
//! Address rounds: every factor but the weights depends on the address `c` only, so the
//! chunks' weights combine into `W = Σ_i β_i·B_i` (booleanity) and `H = Σ_i δ_i·B_i` (Hamming)
//! and a round costs `O(K_c)`. Cycle rounds: the dense sum of
//! `eq(r_c, j)·Σ_i v_ij·(β_i·E·v_ij + δ_i − β_i·E)` with `v_ij = eq(ρ_a, chunk_i(j))` and
//! `E = eq(r_a, ρ_a)`.

use super::booleanity::{self, eq1};
use super::hamming;
use crate::poly::{bind_low, eq_table};
use crate::sumcheck::DenseInstance;
use ark_ff::{One, Zero};
use jolt_core::field::Fr;
use jolt_core::poly::{EqPolynomial, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use jolt_core::transcript::Transcript;

/// The verifier's randomness for one group of chunks.
#[derive(Clone, Debug)]
pub(crate) struct OneHotChallenges {
    /// `r_a`.
    pub(crate) r_address: Vec<Fr>,
    /// `r_c`.
    pub(crate) r_cycle: Vec<Fr>,
    /// `β_i`.
    pub(crate) betas: Vec<Fr>,
    /// `δ_i`.
    pub(crate) deltas: Vec<Fr>,
}

impl OneHotChallenges {
    /// Draws the challenges for `num_chunks` chunks of `width` bits over `2^log_t` cycles
    /// (`r_cycle` is given: it may be shared between groups).
    pub(crate) fn draw(
        width: usize,
        r_cycle: &[Fr],
        num_chunks: usize,
        transcript: &mut Transcript,
    ) -> Self {
        Self {
            r_address: transcript.challenge_scalars(b"one_hot_r_address", width),
            r_cycle: r_cycle.to_vec(),
            betas: transcript.challenge_scalars(b"one_hot_booleanity", num_chunks),
            deltas: transcript.challenge_scalars(b"one_hot_hamming", num_chunks),
        }
    }

    fn input_claim(&self) -> Fr {
        self.deltas.iter().sum()
    }
}

/// Prover of the batched booleanity and Hamming-weight checks of a group of chunks.
pub(crate) struct OneHotProver<'a> {
    width: usize,
    log_t: usize,
    chunks: Vec<&'a [u32]>,
    challenges: OneHotChallenges,
    eq_cycle: Option<Vec<Fr>>,
    /// `W = Σ_i β_i·B_i`.
    booleanity: Vec<Fr>,
    /// `H = Σ_i δ_i·B_i`, bound as the rounds go.
    hamming: Vec<Fr>,
    /// `eq(ρ, c[..t])` for every `c`.
    prefix: Vec<Fr>,
    /// `eq(r_a[..t], ρ)`.
    eq_bound: Fr,
    cycle: Option<DenseInstance<'static>>,
}

impl<'a> OneHotProver<'a> {
    /// The prover for chunks given by their value in every cycle (each below `2^width`).
    pub(crate) fn new(chunks: Vec<&'a [u32]>, width: usize, challenges: OneHotChallenges) -> Self {
        let eq_cycle = eq_table(&challenges.r_cycle);
        let mut booleanity = vec![Fr::zero(); 1 << width];
        let mut hamming = vec![Fr::zero(); 1 << width];
        for ((chunk, beta), delta) in chunks.iter().zip(&challenges.betas).zip(&challenges.deltas) {
            let b = hamming::address_weights(chunk, &eq_cycle, width);
            for (c, bc) in b.iter().enumerate() {
                booleanity[c] += *beta * bc;
                hamming[c] += *delta * bc;
            }
        }
        Self {
            width,
            log_t: challenges.r_cycle.len(),
            chunks,
            challenges,
            eq_cycle: Some(eq_cycle),
            booleanity,
            hamming,
            prefix: vec![Fr::one(); 1 << width],
            eq_bound: Fr::one(),
            cycle: None,
        }
    }

    fn start_cycle_phase(&mut self) {
        let e = self.eq_bound;
        let mut tables = vec![self.eq_cycle.take().unwrap_or_default()];
        for chunk in &self.chunks {
            tables.push(chunk.iter().map(|c| self.prefix[*c as usize]).collect());
        }
        // Σ_i v_i·(a_i·v_i + b_i) with a_i = β_i·E, b_i = δ_i − β_i·E.
        let coeffs: Vec<(Fr, Fr)> = self
            .challenges
            .betas
            .iter()
            .zip(&self.challenges.deltas)
            .map(|(b, d)| (*b * e, *d - *b * e))
            .collect();
        let outputs = (1..tables.len()).collect();
        self.cycle = Some(
            DenseInstance::with_known_claim(tables, 3, Fr::zero(), move |t| {
                let mut sum = Fr::zero();
                for (v, (a, b)) in t[1..].iter().zip(&coeffs) {
                    sum += *v * (*a * v + b);
                }
                t[0] * sum
            })
            .with_outputs(outputs),
        );
    }
}

impl SumcheckInstanceProver for OneHotProver<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.width + self.log_t
    }

    fn input_claim(&self) -> Fr {
        self.challenges.input_claim()
    }

    #[tracing::instrument(skip_all, name = "shout::one_hot::round")]
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        if let Some(cycle) = &mut self.cycle {
            return cycle.compute_round_poly(round, previous_claim);
        }
        let [h0, h1] = hamming::address_round_evals(&self.hamming);
        let at = |x: u64| {
            let x = Fr::from(x);
            booleanity::address_round_eval(
                &self.booleanity,
                &self.prefix,
                &self.challenges.r_address,
                self.eq_bound,
                round,
                x,
            ) + h0
                + x * (h1 - h0)
        };
        let s0 = at(0);
        // s(1) from the claim: a prover whose claim is false still sends a consistent
        // polynomial and is caught at the final check.
        UniPoly::from_evals(&[s0, previous_claim - s0, at(2), at(3)])
    }

    fn bind(&mut self, r: Fr, round: usize) {
        if let Some(cycle) = &mut self.cycle {
            cycle.bind(r, round);
            return;
        }
        self.eq_bound *= eq1(self.challenges.r_address[round], r);
        for (c, p) in self.prefix.iter_mut().enumerate() {
            *p *= if (c >> round) & 1 == 1 {
                r
            } else {
                Fr::one() - r
            };
        }
        bind_low(&mut self.hamming, r);
        if round + 1 == self.width {
            self.start_cycle_phase();
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.cycle
            .as_ref()
            .map(|c| c.output_claims())
            .unwrap_or_default()
    }
}

/// Verifier of the batched booleanity and Hamming-weight checks of a group of chunks.
pub(crate) struct OneHotVerifier<'a> {
    pub(crate) width: usize,
    pub(crate) challenges: &'a OneHotChallenges,
}

impl SumcheckInstanceVerifier for OneHotVerifier<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.width + self.challenges.r_cycle.len()
    }

    fn input_claim(&self) -> Fr {
        self.challenges.input_claim()
    }

    fn num_output_claims(&self) -> usize {
        self.challenges.betas.len()
    }

    fn expected_output_claim(&self, point: &[Fr], claims: &[Fr]) -> Fr {
        let (rho_a, rho_c) = point.split_at(self.width);
        let e = EqPolynomial::evaluate(&self.challenges.r_address, rho_a);
        let sum: Fr = claims
            .iter()
            .zip(&self.challenges.betas)
            .zip(&self.challenges.deltas)
            .map(|((ra, b), d)| *b * e * booleanity::defect(*ra) + *d * ra)
            .sum();
        EqPolynomial::evaluate(&self.challenges.r_cycle, rho_c) * sum
    }
}
