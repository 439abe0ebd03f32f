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
//! the random combination of every chunk's [`booleanity`] claim (0) and [`hamming`]-weight claim
//! (1). Batching them shares the eq tables and the address point, so the cycle phase binds `m`
//! tables (and the split eq tables) instead of `4m`, and each chunk ends with a single claim
//! `ra_i(ρ_a, ρ_c)`.
//!
//! Address rounds: every factor but the weights depends on the address `c` only, so the
//! chunks' weights combine into `W = Σ_i β_i·B_i` (booleanity) and `H = Σ_i δ_i·B_i` (Hamming)
//! and a round costs `O(K_c)`. Cycle rounds: the sum of
//! `eq(r_c, j)·Σ_i v_ij·(β_i·E·v_ij + δ_i − β_i·E)` with `v_ij = eq(ρ_a, chunk_i(j))` and
//! `E = eq(r_a, ρ_a)`, by Gruen's factorization of the eq factor over split eq tables (a
//! quotient of degree 2 per round); the chunks are read through their values for the first two
//! rounds (`OneHotCycle`).

use super::booleanity::{self, eq1};
use super::hamming;
use crate::poly::bind_low;
use crate::sumcheck::{
    bind_all_dense, bind_all_indexed, poly_from_evals_and_lead, IndexedTable, PAIR_TABLE_MAX,
};
use ark_ff::{Field, One, Zero};
use jolt_core::field::Fr;
use jolt_core::poly::{EqPolynomial, SplitEq, UniPoly};
use jolt_core::sumcheck::{SumcheckInstanceProver, SumcheckInstanceVerifier};
use jolt_core::transcript::Transcript;
use rayon::prelude::*;
use std::borrow::Cow;

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
    /// `W = Σ_i β_i·B_i`.
    booleanity: Vec<Fr>,
    /// `H = Σ_i δ_i·B_i`, bound as the rounds go.
    hamming: Vec<Fr>,
    /// `eq(ρ, c[..t])` for every `c`.
    prefix: Vec<Fr>,
    /// `eq(r_a[..t], ρ)`.
    eq_bound: Fr,
    cycle: Option<OneHotCycle<'a>>,
}

impl<'a> OneHotProver<'a> {
    /// The prover for chunks given by their value in every cycle (each below `2^width`).
    #[tracing::instrument(skip_all, name = "shout::one_hot::new")]
    pub(crate) fn new(chunks: Vec<&'a [u32]>, width: usize, challenges: OneHotChallenges) -> Self {
        let per_chunk: Vec<Vec<Fr>> = chunks
            .par_iter()
            .map(|chunk| hamming::address_weights(chunk, &challenges.r_cycle, width))
            .collect();
        let mut booleanity = vec![Fr::zero(); 1 << width];
        let mut hamming = vec![Fr::zero(); 1 << width];
        for ((b, beta), delta) in per_chunk
            .iter()
            .zip(&challenges.betas)
            .zip(&challenges.deltas)
        {
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
            booleanity,
            hamming,
            prefix: vec![Fr::one(); 1 << width],
            eq_bound: Fr::one(),
            cycle: None,
        }
    }

    fn start_cycle_phase(&mut self) {
        let e = self.eq_bound;
        // Σ_i v_i·(a_i·v_i + b_i) with a_i = β_i·E, b_i = δ_i − β_i·E.
        let coeffs: Vec<(Fr, Fr)> = self
            .challenges
            .betas
            .iter()
            .zip(&self.challenges.deltas)
            .map(|(b, d)| (*b * e, *d - *b * e))
            .collect();
        self.cycle = Some(OneHotCycle {
            split: SplitEq::new(&self.challenges.r_cycle),
            coeffs,
            tables: CycleTables::Indexed(
                std::mem::take(&mut self.chunks)
                    .into_iter()
                    .map(|c| IndexedTable::new(Cow::Borrowed(c), self.prefix.clone()))
                    .collect(),
            ),
        });
    }
}

/// The chunk tables `v_i(j) = eq(ρ_a, chunk_i(j))` of the cycle phase.
enum CycleTables<'a> {
    /// Read through the chunk values (first rounds).
    Indexed(Vec<IndexedTable<'a>>),
    /// Dense tables, one per chunk.
    Dense(Vec<Vec<Fr>>),
}

/// The cycle phase of a group's one-hot checks:
/// `Σ_j eq(r_c, j)·Σ_i v_i(j)·(a_i·v_i(j) + b_i)`, by Gruen's factorization
/// `s(X) = C·eq(τ_j, X)·q(X)` with `q` of degree 2, from `q(0)`, the claim and the leading
/// coefficient `q(∞) = Σ eq·Σ_i a_i·(v_i(1) − v_i(0))²`, summed over the split eq tables.
///
/// While the chunks are read through their values ([`IndexedTable`], first two rounds), each
/// chunk's `v·(a·v + b)` comes from a table over the values, and in the first round
/// `a·(v' − v)²` from a table over the value pairs, so the largest round costs additions only.
struct OneHotCycle<'a> {
    split: SplitEq,
    coeffs: Vec<(Fr, Fr)>,
    tables: CycleTables<'a>,
}

/// Per-chunk tables of a round on indexed chunks.
struct ValueTables {
    /// `at[i][e] = v_e·(a_i·v_e + b_i)` over the values `v` of chunk `i`.
    at: Vec<Vec<Fr>>,
    /// `lead[i][e·n + e'] = a_i·(v_{e'} − v_e)²` when the `n²` pairs are few enough.
    lead: Option<Vec<Vec<Fr>>>,
}

impl ValueTables {
    fn new(tables: &[IndexedTable<'_>], coeffs: &[(Fr, Fr)]) -> Self {
        let at = tables
            .iter()
            .zip(coeffs)
            .map(|(t, (a, b))| t.values.iter().map(|v| *v * (*a * v + b)).collect())
            .collect();
        let lead = tables
            .iter()
            .all(|t| t.values.len() * t.values.len() <= PAIR_TABLE_MAX)
            .then(|| {
                tables
                    .iter()
                    .zip(coeffs)
                    .map(|(t, (a, _))| {
                        let v = &t.values;
                        let n = v.len();
                        (0..n * n)
                            .map(|ee| *a * (v[ee % n] - v[ee / n]).square())
                            .collect()
                    })
                    .collect()
            });
        Self { at, lead }
    }
}

impl OneHotCycle<'_> {
    /// Over the pairs `i ∈ [start, start + e_in.len())`: `Σ e_in·q_i(0)`, `Σ e_in·q_i(∞)` and,
    /// if `with_one`, `Σ e_in·q_i(1)`.
    fn block_sums(
        &self,
        start: usize,
        e_in: &[Fr],
        with_one: bool,
        value_tables: Option<&ValueTables>,
    ) -> [Fr; 3] {
        let mut acc = [Fr::zero(); 3];
        for (x, e) in e_in.iter().enumerate() {
            let (lo, hi) = (2 * (start + x), 2 * (start + x) + 1);
            let (mut s0, mut sinf, mut s1) = (Fr::zero(), Fr::zero(), Fr::zero());
            match (&self.tables, value_tables) {
                (CycleTables::Indexed(tables), Some(vt)) => {
                    for (c, t) in tables.iter().enumerate() {
                        let (e0, e1) = (t.entry(lo), t.entry(hi));
                        s0 += vt.at[c][e0];
                        sinf += match &vt.lead {
                            Some(lead) => lead[c][e0 * t.values.len() + e1],
                            None => self.coeffs[c].0 * (t.values[e1] - t.values[e0]).square(),
                        };
                        if with_one {
                            s1 += vt.at[c][e1];
                        }
                    }
                }
                (tables, _) => {
                    for (c, (a, b)) in self.coeffs.iter().enumerate() {
                        let (v0, v1) = match tables {
                            CycleTables::Indexed(t) => (t[c].value(lo), t[c].value(hi)),
                            CycleTables::Dense(t) => (t[c][lo], t[c][hi]),
                        };
                        s0 += v0 * (*a * v0 + b);
                        sinf += *a * (v1 - v0).square();
                        if with_one {
                            s1 += v1 * (*a * v1 + b);
                        }
                    }
                }
            }
            acc[0] += *e * s0;
            acc[1] += *e * sinf;
            if with_one {
                acc[2] += *e * s1;
            }
        }
        acc
    }

    fn compute_round_poly(&self, claim: Fr) -> UniPoly {
        let (e_in, e_out) = (self.split.e_in(), self.split.e_out());
        let block = e_in.len();
        let with_one = (self.split.scalar() * self.split.current_tau()).is_zero();
        let value_tables = match &self.tables {
            CycleTables::Indexed(t) if t.iter().all(|t| t.values.len() <= PAIR_TABLE_MAX) => {
                Some(ValueTables::new(t, &self.coeffs))
            }
            _ => None,
        };
        let [q0, lead, q1] = (0..e_out.len())
            .into_par_iter()
            .map(|xo| {
                self.block_sums(xo * block, e_in, with_one, value_tables.as_ref())
                    .map(|v| v * e_out[xo])
            })
            .reduce(
                || [Fr::zero(); 3],
                |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2]],
            );
        let q1 = if with_one {
            q1
        } else {
            self.split
                .quotient_at_one(q0, claim)
                .expect("C_j·τ_j is invertible")
        };
        let q = poly_from_evals_and_lead(&[q0, q1], lead);
        self.split.round_poly_from_quotient(&q)
    }

    fn bind(&mut self, r: Fr) {
        self.split.bind(r);
        self.tables = match std::mem::replace(&mut self.tables, CycleTables::Dense(Vec::new())) {
            CycleTables::Indexed(tables) => match bind_all_indexed(tables, r) {
                Ok(t) => CycleTables::Indexed(t),
                Err(t) => CycleTables::Dense(t),
            },
            CycleTables::Dense(mut tables) => {
                bind_all_dense(&mut tables, r);
                CycleTables::Dense(tables)
            }
        };
    }

    fn output_claims(&self) -> Vec<Fr> {
        match &self.tables {
            CycleTables::Indexed(tables) => tables.iter().map(|t| t.value(0)).collect(),
            CycleTables::Dense(tables) => tables.iter().map(|t| t[0]).collect(),
        }
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
        if let Some(cycle) = &self.cycle {
            return cycle.compute_round_poly(previous_claim);
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
            cycle.bind(r);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poly::eq_table;
    use crate::sumcheck::DenseInstance;
    use ark_std::UniformRand;
    use jolt_core::sumcheck::{BatchedSumcheck, BatchedSumcheckProof};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn prove_alone(prover: &mut dyn SumcheckInstanceProver) -> (BatchedSumcheckProof, Vec<Fr>) {
        let mut t = Transcript::new(b"one-hot");
        BatchedSumcheck::prove(&mut [prover], &mut t)
    }

    /// The one-hot prover gives the same proof as the generic dense prover over the full
    /// hypercube, for chunk widths with and without value-pair tables, and for a cycle point
    /// with zero coordinates (where `q(1)` cannot come from the claim).
    #[test]
    fn matches_dense_instance() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let log_t = 5;
        for (width, zeros) in [(2, false), (4, false), (4, true), (7, false)] {
            let kc = 1usize << width;
            let chunks: Vec<Vec<u32>> = (0..3)
                .map(|_| {
                    (0..1 << log_t)
                        .map(|_| rng.gen_range(0..kc as u32))
                        .collect()
                })
                .collect();
            let mut r_cycle: Vec<Fr> = (0..log_t).map(|_| Fr::rand(&mut rng)).collect();
            if zeros {
                r_cycle[1] = Fr::zero();
                r_cycle[4] = Fr::zero();
            }
            let ch = OneHotChallenges {
                r_address: (0..width).map(|_| Fr::rand(&mut rng)).collect(),
                r_cycle,
                betas: (0..3).map(|_| Fr::rand(&mut rng)).collect(),
                deltas: (0..3).map(|_| Fr::rand(&mut rng)).collect(),
            };
            let (eq_a, eq_c) = (eq_table(&ch.r_address), eq_table(&ch.r_cycle));
            let size = kc << log_t;
            let mut tables = vec![
                (0..size).map(|x| eq_a[x % kc]).collect::<Vec<Fr>>(),
                (0..size).map(|x| eq_c[x / kc]).collect(),
            ];
            for c in &chunks {
                tables.push(
                    (0..size)
                        .map(|x| Fr::from((c[x / kc] as usize == x % kc) as u64))
                        .collect(),
                );
            }
            let (betas, deltas) = (ch.betas.clone(), ch.deltas.clone());
            let mut dense = DenseInstance::new(tables, 3, move |v| {
                let mut sum = Fr::zero();
                for ((ra, b), d) in v[2..].iter().zip(&betas).zip(&deltas) {
                    sum += *b * v[0] * (*ra * ra - ra) + *d * ra;
                }
                v[1] * sum
            })
            .with_outputs(vec![2, 3, 4]);
            let mut prover =
                OneHotProver::new(chunks.iter().map(Vec::as_slice).collect(), width, ch);
            assert_eq!(dense.input_claim(), prover.input_claim());
            assert_eq!(
                prove_alone(&mut prover),
                prove_alone(&mut dense),
                "width {width}"
            );
        }
    }
}
