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
//!
//! Prover: the address rounds run on the prefix–suffix tables ([`super::prefix_suffix`]); the
//! cycle rounds are a [`ProductInstance`] over the chunks `ra_i(ρ_i, j) = eq(ρ_i, chunk_i(j))`
//! (read through their 2^{w_i} values until bound) with the constant `g(ρ)`. When `W` is a single
//! scaled `eq(r_cycle, ·)` (recognized from its table) the eq factor is handled by Gruen's
//! factorization, so a round sums a quotient of degree `d` instead of `d + 1`; any other `W` (a sum
//! of segments) is one more dense factor.

use super::prefix_suffix::AddressPhases;
use super::ShoutParams;
use crate::poly::{eq_at_index, eq_table};
use crate::sumcheck::{ProductInstance, Weight};
use crate::tables::LookupTable;
use ark_ff::{Field, One, Zero};
use jolt_core::field::Fr;
use jolt_core::poly::{EqPolynomial, SplitEq, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use rayon::prelude::*;
use std::borrow::Cow;

/// The cycle weights `W` as the cycle phase uses them.
enum CycleTable {
    /// `W = c·eq(r, ·)`: the point `r` and the coefficient `c` (Gruen's optimization applies).
    Eq(Vec<Fr>, Fr),
    /// Any other table (a sum of segment terms).
    Dense(Vec<Fr>),
}

/// `(r, c)` with `weights = c·eq(r, ·)`, if the table has that form: `r_b` is read off
/// `W[2^b] / (W[0] + W[2^b])` and the whole table is checked against `c·eq(r, ·)`.
fn as_scaled_eq(weights: &[Fr]) -> Option<(Vec<Fr>, Fr)> {
    let log_t = weights.len().trailing_zeros() as usize;
    let w0 = weights[0];
    if w0.is_zero() {
        return None;
    }
    let mut point = Vec::with_capacity(log_t);
    for b in 0..log_t {
        let wb = weights[1 << b];
        point.push(wb * (w0 + wb).inverse()?);
    }
    let zero_point: Fr = point.iter().map(|r| Fr::one() - r).product();
    let coeff = w0 * zero_point.inverse()?;
    // A few entries first: most other tables fail here, before the full comparison.
    let n = weights.len();
    for j in [n - 1, n / 2 + 1, n / 3, 3] {
        if j < n && coeff * eq_at_index(&point, j as u64) != weights[j] {
            return None;
        }
    }
    let table = EqPolynomial::evals_scaled(&point, coeff);
    let equal = table
        .par_iter()
        .zip(weights.par_iter())
        .all(|(a, b)| a == b);
    equal.then_some((point, coeff))
}

/// Prover of one read-checking + RAF instance.
pub(crate) struct ReadRafProver<'a> {
    params: &'a ShoutParams,
    table: &'a dyn LookupTable,
    keys: &'a [u64],
    gamma: Fr,
    claim: Fr,
    weights: Option<CycleTable>,
    address: AddressPhases<'a>,
    cycle: Option<ProductInstance<'static>>,
}

impl<'a> ReadRafProver<'a> {
    /// The prover for `keys` (already padded to `T`) with cycle weights `eq_cycle` (the table of
    /// `W(j)`, usually `eq(r_cycle, j)`) and the claim `rv + γ·raf`.
    #[tracing::instrument(skip_all, name = "shout::read_raf::new")]
    pub(crate) fn new(
        params: &'a ShoutParams,
        table: &'a dyn LookupTable,
        keys: &'a [u64],
        eq_cycle: Vec<Fr>,
        gamma: Fr,
        claim: Fr,
    ) -> Self {
        let weights = match as_scaled_eq(&eq_cycle) {
            Some((point, coeff)) => CycleTable::Eq(point, coeff),
            None => CycleTable::Dense(eq_cycle.clone()),
        };
        let address = AddressPhases::new(table, keys, gamma, params.phases(table), eq_cycle);
        Self {
            params,
            table,
            keys,
            gamma,
            claim,
            weights: Some(weights),
            address,
            cycle: None,
        }
    }

    /// After the last address round: the cycle phase over
    /// `W(j)·Π_i ra_i(ρ_i, j)·g(ρ)`, with `ra_i(ρ_i, j) = eq(ρ_i, chunk_i(j))` read through the
    /// chunk values until the first cycle variable is bound.
    #[tracing::instrument(skip_all, name = "shout::read_raf::start_cycle_phase")]
    fn start_cycle_phase(&mut self) {
        self.address.finish();
        let rho = self.address.bound();
        let g = self.table.evaluate_mle(rho) + self.gamma * self.table.operand().evaluate_mle(rho);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        for (offset, width) in self.params.chunks() {
            values.push(eq_table(&rho[offset..offset + width]));
            let mask = (1u64 << width) - 1;
            let chunk: Vec<u32> = self
                .keys
                .par_iter()
                .map(|k| ((k >> offset) & mask) as u32)
                .collect();
            indices.push(Cow::Owned(chunk));
        }
        let (weight, scale) = match self.weights.take() {
            Some(CycleTable::Eq(point, coeff)) => (Weight::Eq(SplitEq::new(&point)), g * coeff),
            Some(CycleTable::Dense(w)) => (Weight::Dense(w), g),
            None => unreachable!("the cycle phase starts once"),
        };
        self.cycle = Some(ProductInstance::indexed(weight, scale, indices, values));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shout::{CycleWeights, WeightTerm};
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A scaled eq table is recognized with its point and coefficient; a segment (an eq with
    /// boolean high coordinates, zero at cycle 0) or a sum of terms falls back to the dense path.
    #[test]
    fn scaled_eq_tables_are_recognized() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let point: Vec<Fr> = (0..6).map(|_| Fr::rand(&mut rng)).collect();
        let coeff = Fr::rand(&mut rng);
        let table = EqPolynomial::evals_scaled(&point, coeff);
        assert_eq!(as_scaled_eq(&table), Some((point.clone(), coeff)));
        let segment = CycleWeights {
            terms: vec![WeightTerm {
                coeff,
                offset: 16,
                point: point[..4].to_vec(),
            }],
        };
        assert_eq!(as_scaled_eq(&segment.table(6)), None);
        // eq(r, j) + c·eq(r[..5], j)·[j < 32] is still a scaled eq (in the top coordinate)...
        let mut nested = CycleWeights::eq(&point);
        nested.terms.push(WeightTerm {
            coeff,
            offset: 0,
            point: point[..5].to_vec(),
        });
        let (p, c) = as_scaled_eq(&nested.table(6)).expect("a product of linear factors");
        assert_eq!(EqPolynomial::evals_scaled(&p, c), nested.table(6));
        // ... but not with another point.
        let mut two = CycleWeights::eq(&point);
        two.terms.push(WeightTerm {
            coeff,
            offset: 0,
            point: (0..5).map(|_| Fr::rand(&mut rng)).collect(),
        });
        assert_eq!(as_scaled_eq(&two.table(6)), None);
        assert_eq!(as_scaled_eq(&[coeff]), Some((Vec::new(), coeff)));
    }
}
