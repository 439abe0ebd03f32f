//! Booleanity of a committed one-hot chunk.
//!
//! For a chunk `ra_i` of `K_c × T` entries and random `r_address ∈ F^{log K_c}`,
//! `r_cycle ∈ F^{log T}`:
//!
//! ```text
//! 0 = Σ_{k, j} eq(r_address, k)·eq(r_cycle, j)·(ra_i(k, j)² − ra_i(k, j)),
//! ```
//!
//! which holds (except with probability `O((log K_c + log T)/|F|)`) only if every entry is 0 or
//! 1 (Twist & Shout, ePrint 2025/105, §6). Together with the Hamming-weight check this makes
//! every column one-hot; without it a prover could commit, e.g., the value 2 or fractions.
//!
//! The prover binds the address variables first. Since column `j` is the indicator of its
//! address `c_j`, every quantity depends on `j` only through `c_j`, so with
//! `B[c] = Σ_{j : c_j = c} eq(r_cycle, j)` an address round costs `O(K_c)`:
//!
//! ```text
//! s_t(X) = eq(r_a[..t], ρ)·eq(r_a[t], X)·Σ_c B[c]·eq(r_a[t+1..], c[t+1..])·(E_c(X)² − E_c(X)),
//! E_c(X) = eq(ρ, c[..t])·eq(X, c_t).
//! ```
//!
//! The cycle variables are then bound densely over `eq(r_cycle, j)·(v_j² − v_j)` with
//! `v_j = eq(ρ_address, c_j)`. The output claim is `ra_i(ρ_address, ρ_cycle)`.

use crate::poly::eq_table;
use crate::sumcheck::DenseInstance;
use ark_ff::{One, Zero};
use jolt_core::field::Fr;
use jolt_core::poly::{EqPolynomial, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};

/// `eq(a, X)` for a scalar `a`.
fn eq1(a: Fr, x: Fr) -> Fr {
    a * x + (Fr::one() - a) * (Fr::one() - x)
}

/// `Σ_{j : chunk(j) = c} eq(r_cycle, j)` for every `c < 2^width`.
pub(crate) fn address_weights(chunks: &[u32], eq_cycle: &[Fr], width: usize) -> Vec<Fr> {
    let mut b = vec![Fr::zero(); 1 << width];
    for (c, e) in chunks.iter().zip(eq_cycle) {
        b[*c as usize] += e;
    }
    b
}

/// Prover of the booleanity of one chunk.
pub(crate) struct BooleanityProver<'a> {
    width: usize,
    log_t: usize,
    chunks: &'a [u32],
    r_address: Vec<Fr>,
    eq_cycle: Option<Vec<Fr>>,
    b: Vec<Fr>,
    /// `eq(ρ, c[..t])` for every `c`.
    prefix: Vec<Fr>,
    /// `eq(r_address[..t], ρ)`.
    eq_bound: Fr,
    cycle: Option<DenseInstance<'static>>,
}

impl<'a> BooleanityProver<'a> {
    /// The prover for the chunk values `chunks` (one per cycle, each below `2^width`).
    pub(crate) fn new(
        chunks: &'a [u32],
        width: usize,
        r_address: Vec<Fr>,
        eq_cycle: Vec<Fr>,
        b: Vec<Fr>,
    ) -> Self {
        Self {
            width,
            log_t: chunks.len().trailing_zeros() as usize,
            chunks,
            r_address,
            eq_cycle: Some(eq_cycle),
            b,
            prefix: vec![Fr::one(); 1 << width],
            eq_bound: Fr::one(),
            cycle: None,
        }
    }

    fn address_round(&self, t: usize) -> Vec<Fr> {
        let eq_above = eq_table(&self.r_address[t + 1..]);
        // s(1) is derived from the claim by the caller.
        let xs = [Fr::zero(), Fr::from(2u64), Fr::from(3u64)];
        let mut evals: Vec<Fr> = xs
            .iter()
            .map(|x| {
                let mut sum = Fr::zero();
                for (c, bc) in self.b.iter().enumerate() {
                    if bc.is_zero() {
                        continue;
                    }
                    let bit = (c >> t) & 1 == 1;
                    let e = self.prefix[c] * if bit { *x } else { Fr::one() - x };
                    sum += *bc * eq_above[c >> (t + 1)] * (e * e - e);
                }
                self.eq_bound * eq1(self.r_address[t], *x) * sum
            })
            .collect();
        evals.insert(1, Fr::zero());
        evals
    }
}

impl SumcheckInstanceProver for BooleanityProver<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.width + self.log_t
    }

    fn input_claim(&self) -> Fr {
        Fr::zero()
    }

    #[tracing::instrument(skip_all, name = "shout::booleanity::round")]
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        match &mut self.cycle {
            Some(cycle) => cycle.compute_round_poly(round, previous_claim),
            None => {
                let mut evals = self.address_round(round);
                evals[1] = previous_claim - evals[0];
                UniPoly::from_evals(&evals)
            }
        }
    }

    fn bind(&mut self, r: Fr, round: usize) {
        if let Some(cycle) = &mut self.cycle {
            cycle.bind(r, round);
            return;
        }
        self.eq_bound *= eq1(self.r_address[round], r);
        for (c, p) in self.prefix.iter_mut().enumerate() {
            *p *= if (c >> round) & 1 == 1 {
                r
            } else {
                Fr::one() - r
            };
        }
        if round + 1 == self.width {
            let v: Vec<Fr> = self
                .chunks
                .iter()
                .map(|c| self.prefix[*c as usize])
                .collect();
            let scale = self.eq_bound;
            let tables = vec![self.eq_cycle.take().unwrap_or_default(), v];
            self.cycle = Some(
                DenseInstance::with_known_claim(tables, 3, Fr::zero(), move |t| {
                    scale * t[0] * (t[1] * t[1] - t[1])
                })
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

/// Verifier of the booleanity of one chunk.
pub(crate) struct BooleanityVerifier<'a> {
    pub(crate) width: usize,
    pub(crate) log_t: usize,
    pub(crate) r_address: &'a [Fr],
    pub(crate) r_cycle: &'a [Fr],
}

impl SumcheckInstanceVerifier for BooleanityVerifier<'_> {
    fn degree(&self) -> usize {
        3
    }

    fn num_rounds(&self) -> usize {
        self.width + self.log_t
    }

    fn input_claim(&self) -> Fr {
        Fr::zero()
    }

    fn num_output_claims(&self) -> usize {
        1
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        let (rho_a, rho_c) = point.split_at(self.width);
        let ra = output_claims[0];
        EqPolynomial::evaluate(self.r_address, rho_a)
            * EqPolynomial::evaluate(self.r_cycle, rho_c)
            * (ra * ra - ra)
    }
}
