//! Read-checking and read-address (RAF) sumcheck, with RA virtualization.
//!
//! For `T` lookups with keys `k_j` into a table `Val` with operand map `Op`, a cycle point
//! `r_cycle` and a challenge `γ`, the relation is
//!
//! ```text
//! rv(r_cycle) + γ·raf(r_cycle) = Σ_{k ∈ {0,1}^{log K}, j ∈ {0,1}^{log T}}
//!                                  eq(r_cycle, j)·ra(k, j)·(Val(k) + γ·Op(k)),
//! ra(k, j) = Π_{i<d} ra_i(k_i, j),
//! ```
//!
//! where `rv` is the looked-up values' polynomial, `raf` the operands' polynomial and `ra_i` the
//! committed one-hot chunks (`k = k_0 ‖ … ‖ k_{d−1}`, chunk 0 the low bits). The sum holds for
//! every `r_cycle` only if `ra` selects, in every cycle, an entry whose value is the looked-up
//! value *and* whose operand is the instruction's operand (Twist & Shout, ePrint 2025/105, §6:
//! read-checking and the RAF evaluation sumcheck, batched with `γ`). `ra` is never committed:
//! it is the product of the chunks (virtualized), so the sum has degree `d + 1` in the cycle
//! variables.
//!
//! More generally `eq(r_cycle, j)` is any cycle weighting `W(j)` with a succinct extension
//! ([`super::CycleWeights`]): an instance shared by several users proves a random combination of
//! their claims, each on its own segment of the cycles.
//!
//! Variables are bound address first (low bit first), then cycle. The verifier ends at
//! `(ρ_address, ρ_cycle)` with the claims `ra_i(ρ_address[chunk i], ρ_cycle)` and checks
//!
//! ```text
//! final = eq(r_cycle, ρ_cycle)·Π_i ra_i(…)·(Val~(ρ_address) + γ·Op~(ρ_address)),
//! ```
//!
//! evaluating `Val~` itself (in `O(log K)` for structured tables).

use super::prefix_suffix::AddressPhases;
use super::ShoutParams;
use crate::poly::eq_table;
use crate::sumcheck::DenseInstance;
use crate::tables::LookupTable;
use ark_ff::Zero;
use jolt_core::field::Fr;
use jolt_core::poly::UniPoly;
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};

/// Prover of one read-checking + RAF instance.
pub(crate) struct ReadRafProver<'a> {
    params: &'a ShoutParams,
    table: &'a dyn LookupTable,
    keys: &'a [u64],
    gamma: Fr,
    claim: Fr,
    eq_cycle: Option<Vec<Fr>>,
    address: AddressPhases<'a>,
    cycle: Option<DenseInstance<'static>>,
}

impl<'a> ReadRafProver<'a> {
    /// The prover for `keys` (already padded to `T`) with cycle weights `eq_cycle` (the table of
    /// `W(j)`, usually `eq(r_cycle, j)`) and the claim `rv + γ·raf`.
    pub(crate) fn new(
        params: &'a ShoutParams,
        table: &'a dyn LookupTable,
        keys: &'a [u64],
        eq_cycle: Vec<Fr>,
        gamma: Fr,
        claim: Fr,
    ) -> Self {
        let address =
            AddressPhases::new(table, keys, gamma, params.phases(table), eq_cycle.clone());
        Self {
            params,
            table,
            keys,
            gamma,
            claim,
            eq_cycle: Some(eq_cycle),
            address,
            cycle: None,
        }
    }

    /// After the last address round: the dense cycle phase over
    /// `eq(r_cycle, j)·Π_i ra_i(ρ_i, j)·g(ρ)`.
    #[tracing::instrument(skip_all, name = "shout::read_raf::start_cycle_phase")]
    fn start_cycle_phase(&mut self) {
        let rho = self.address.bound();
        let g = self.table.evaluate_mle(rho) + self.gamma * self.table.operand().evaluate_mle(rho);
        let mut tables = vec![self.eq_cycle.take().unwrap_or_default()];
        for (offset, width) in self.params.chunks() {
            let eq_chunk = eq_table(&rho[offset..offset + width]);
            let mask = (1u64 << width) - 1;
            tables.push(
                self.keys
                    .iter()
                    .map(|k| eq_chunk[((k >> offset) & mask) as usize])
                    .collect(),
            );
        }
        let degree = tables.len();
        let outputs = (1..tables.len()).collect();
        self.cycle = Some(
            DenseInstance::with_known_claim(tables, degree, Fr::zero(), move |v| {
                g * v.iter().product::<Fr>()
            })
            .with_outputs(outputs),
        );
    }
}

impl SumcheckInstanceProver for ReadRafProver<'_> {
    fn degree(&self) -> usize {
        self.params.read_raf_degree()
    }

    fn num_rounds(&self) -> usize {
        self.params.log_k + self.params.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    #[tracing::instrument(skip_all, name = "shout::read_raf::round")]
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> UniPoly {
        match &mut self.cycle {
            Some(cycle) => cycle.compute_round_poly(round, previous_claim),
            None => {
                // s(1) from the claim, as in every round: a prover whose claim is false still
                // sends a consistent polynomial and is caught at the final check.
                let [s0, _, s2] = self.address.round_evals();
                UniPoly::from_evals(&[s0, previous_claim - s0, s2])
            }
        }
    }

    fn bind(&mut self, r: Fr, round: usize) {
        match &mut self.cycle {
            Some(cycle) => cycle.bind(r, round),
            None => {
                self.address.bind(r);
                if round + 1 == self.params.log_k {
                    self.start_cycle_phase();
                }
            }
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.cycle
            .as_ref()
            .map(|c| c.output_claims())
            .unwrap_or_default()
    }
}

/// Verifier of one read-checking + RAF instance.
pub(crate) struct ReadRafVerifier<'a> {
    pub(crate) params: &'a ShoutParams,
    pub(crate) table: &'a dyn LookupTable,
    pub(crate) cycle: &'a super::CycleWeights,
    pub(crate) gamma: Fr,
    pub(crate) claim: Fr,
}

impl SumcheckInstanceVerifier for ReadRafVerifier<'_> {
    fn degree(&self) -> usize {
        self.params.read_raf_degree()
    }

    fn num_rounds(&self) -> usize {
        self.params.log_k + self.params.log_t
    }

    fn input_claim(&self) -> Fr {
        self.claim
    }

    fn num_output_claims(&self) -> usize {
        self.params.chunk_bits.len()
    }

    fn expected_output_claim(&self, point: &[Fr], output_claims: &[Fr]) -> Fr {
        let (rho_address, rho_cycle) = point.split_at(self.params.log_k);
        let g = self.table.evaluate_mle(rho_address)
            + self.gamma * self.table.operand().evaluate_mle(rho_address);
        self.cycle.evaluate(rho_cycle) * output_claims.iter().product::<Fr>() * g
    }
}
