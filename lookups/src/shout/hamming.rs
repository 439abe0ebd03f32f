//! Hamming weight of a committed one-hot chunk: every column has entries summing to one.
//!
//! For a chunk `ra_i` of `K_c × T` entries and random `r_cycle ∈ F^{log T}`:
//!
//! ```text
//! 1 = Σ_{k, j} eq(r_cycle, j)·ra_i(k, j),
//! ```
//!
//! since `Σ_j eq(r_cycle, j) = 1`; by Schwartz–Zippel on the multilinear `h(j) = Σ_k ra_i(k, j)`
//! this holds only if `h ≡ 1` on the hypercube. With booleanity, every column then has exactly
//! one `1` (a column of zeros would let a lookup read `0` at no address; two ones would read a
//! sum of entries).
//!
//! The prover binds the address variables first, on `B[c] = Σ_{j : c_j = c} eq(r_cycle, j)`
//! (`O(K_c)` per round), then the cycle variables densely over `eq(r_cycle, j)·v_j` with
//! `v_j = eq(ρ_address, c_j)`. It runs with the same number of rounds as the booleanity check of
//! the chunk, so both end at the same point and share one opening.

use crate::poly::{bind_low, eq_table};
use crate::sumcheck::DenseInstance;
use ark_ff::One;
use jolt_core::field::Fr;
use jolt_core::poly::{EqPolynomial, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};

/// Prover of the Hamming weight of one chunk.
pub(crate) struct HammingProver<'a> {
    width: usize,
    log_t: usize,
    chunks: &'a [u32],
    eq_cycle: Option<Vec<Fr>>,
    b: Vec<Fr>,
    bound: Vec<Fr>,
    cycle: Option<DenseInstance<'static>>,
}

impl<'a> HammingProver<'a> {
    /// The prover for the chunk values `chunks`; `b` is `B[c]` for `eq_cycle`.
    pub(crate) fn new(chunks: &'a [u32], width: usize, eq_cycle: Vec<Fr>, b: Vec<Fr>) -> Self {
        Self {
            width,
            log_t: chunks.len().trailing_zeros() as usize,
            chunks,
            eq_cycle: Some(eq_cycle),
            b,
            bound: Vec::new(),
            cycle: None,
        }
    }
}

impl SumcheckInstanceProver for HammingProver<'_> {
    fn degree(&self) -> usize {
        2
    }

    fn num_rounds(&self) -> usize {
        self.width + self.log_t
    }

    fn input_claim(&self) -> Fr {
        Fr::one()
    }

    #[tracing::instrument(skip_all, name = "shout::hamming::round")]
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        if let Some(cycle) = &mut self.cycle {
            return cycle.compute_round_poly(round, previous_claim);
        }
        let s0: Fr = self.b.iter().step_by(2).sum();
        UniPoly::from_evals(&[s0, previous_claim - s0])
    }

    fn bind(&mut self, r: Fr, round: usize) {
        if let Some(cycle) = &mut self.cycle {
            cycle.bind(r, round);
            return;
        }
        bind_low(&mut self.b, r);
        self.bound.push(r);
        if round + 1 == self.width {
            let eq_address = eq_table(&self.bound);
            let v: Vec<Fr> = self
                .chunks
                .iter()
                .map(|c| eq_address[*c as usize])
                .collect();
            let tables = vec![self.eq_cycle.take().unwrap_or_default(), v];
            self.cycle = Some(
                DenseInstance::with_known_claim(tables, 2, Fr::one(), |t| t[0] * t[1])
                    .with_outputs(vec![1]),
            );
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.cycle
            .as_ref()
            .map(|c| c.output_claims())
            .unwrap_or_default()
    }
}

/// Verifier of the Hamming weight of one chunk.
pub(crate) struct HammingVerifier<'a> {
    pub(crate) width: usize,
    pub(crate) log_t: usize,
    pub(crate) r_cycle: &'a [Fr],
}

impl SumcheckInstanceVerifier for HammingVerifier<'_> {
    fn degree(&self) -> usize {
        2
    }

    fn num_rounds(&self) -> usize {
        self.width + self.log_t
    }

    fn input_claim(&self) -> Fr {
        Fr::one()
    }

    fn num_output_claims(&self) -> usize {
        1
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        EqPolynomial::evaluate(self.r_cycle, &point[self.width..]) * output_claims[0]
    }
}
