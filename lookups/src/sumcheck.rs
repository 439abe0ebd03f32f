//! A generic prover for jolt-core's batched sumcheck: `Σ_x f(t_1(x), …, t_m(x))` for dense
//! multilinear tables `t_k` and a polynomial `f` of total degree `d`, bound low variable first.
//!
//! Shout and Twist hand their relations to [`jolt_core::sumcheck::BatchedSumcheck`]; their
//! provers run a sparse, relation-specific algorithm while the address variables are bound and
//! switch to this dense prover for the cycle variables, where every factor is a dense table of
//! `T` entries (`eq(r, j)`, `ra_i(r_address, j)`, `Inc(j)`, ...). The soundness tests also use it to
//! run the honest algorithm on malformed witnesses.

use ark_ff::Zero;
use jolt_core::field::Fr;
use jolt_core::poly::UniPoly;
use jolt_core::sumcheck::SumcheckInstanceProver;
use rayon::prelude::*;

/// `Σ_x f(t_1(x), …, t_m(x))` for dense multilinear tables `t_i` and a polynomial `f` of total
/// degree `degree`: the generic prover (tables bound low variable first).
pub struct DenseInstance<'a> {
    tables: Vec<Vec<Fr>>,
    degree: usize,
    claim: Fr,
    combine: Box<dyn Fn(&[Fr]) -> Fr + Send + Sync + 'a>,
    outputs: Vec<usize>,
}

impl<'a> DenseInstance<'a> {
    /// The instance for `tables` (all of the same power-of-two length) and `combine`; the claim
    /// is computed (one pass over the tables).
    #[tracing::instrument(skip_all, name = "dense::new")]
    pub fn new(
        tables: Vec<Vec<Fr>>,
        degree: usize,
        combine: impl Fn(&[Fr]) -> Fr + Send + Sync + 'a,
    ) -> Self {
        let mut instance = Self::with_known_claim(tables, degree, Fr::zero(), combine);
        let tables = &instance.tables;
        let combine = &instance.combine;
        let len = tables.first().map_or(1, Vec::len);
        instance.claim = (0..len)
            .into_par_iter()
            .map_init(
                || vec![Fr::zero(); tables.len()],
                |buf, i| {
                    for (b, t) in buf.iter_mut().zip(tables) {
                        *b = t[i];
                    }
                    combine(buf)
                },
            )
            .sum();
        instance
    }

    /// The instance with a claim the caller already knows: the input claim of a relation, or,
    /// for the dense phase of a larger instance, anything (the batched driver passes the
    /// running claim to every round).
    pub fn with_known_claim(
        tables: Vec<Vec<Fr>>,
        degree: usize,
        claim: Fr,
        combine: impl Fn(&[Fr]) -> Fr + Send + Sync + 'a,
    ) -> Self {
        let len = tables.first().map_or(1, Vec::len);
        debug_assert!(tables.iter().all(|t| t.len() == len) && len.is_power_of_two());
        let outputs = (0..tables.len()).collect();
        Self {
            tables,
            degree,
            claim,
            combine: Box::new(combine),
            outputs,
        }
    }

    /// Replaces the computed claim (a dishonest prover's claim, in tests).
    pub fn with_claim(mut self, claim: Fr) -> Self {
        self.claim = claim;
        self
    }

    /// Reports only the final values of the tables at `outputs` as output claims (by default
    /// every table's).
    pub fn with_outputs(mut self, outputs: Vec<usize>) -> Self {
        self.outputs = outputs;
        self
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

    #[tracing::instrument(skip_all, name = "dense::round")]
    fn compute_round_poly(&mut self, _round: usize, claim: Fr) -> UniPoly {
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
        UniPoly::from_evals(&evals)
    }

    #[tracing::instrument(skip_all, name = "dense::bind")]
    fn bind(&mut self, r: Fr, _round: usize) {
        // Several tables: one thread per table, in place; a single table: split it.
        if self.tables.len() >= rayon::current_num_threads() {
            self.tables
                .par_iter_mut()
                .for_each(|t| crate::poly::bind_low_in_place(t, r));
        } else {
            for t in &mut self.tables {
                crate::poly::bind_low(t, r);
            }
        }
    }

    fn output_claims(&self) -> Vec<Fr> {
        self.outputs.iter().map(|i| self.tables[*i][0]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use jolt_core::sumcheck::{BatchedSumcheck, ProductVerifier, SumcheckInstanceVerifier};
    use jolt_core::transcript::Transcript;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn dense_product_matches_jolt_core_verifier() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let a: Vec<Fr> = (0..16).map(|_| Fr::rand(&mut rng)).collect();
        let b: Vec<Fr> = (0..16).map(|_| Fr::rand(&mut rng)).collect();
        let mut prover = DenseInstance::new(vec![a, b], 2, |v| v[0] * v[1]);
        let claim = prover.input_claim();
        let mut pt = Transcript::new(b"test");
        let (proof, _) = BatchedSumcheck::prove(&mut [&mut prover], &mut pt);
        let verifier = ProductVerifier {
            claim,
            num_rounds: 4,
            num_factors: 2,
            order: jolt_core::poly::BindingOrder::LowToHigh,
        };
        let mut vt = Transcript::new(b"test");
        let verifiers: [&dyn SumcheckInstanceVerifier; 1] = [&verifier];
        assert!(BatchedSumcheck::verify(&proof, &verifiers, &mut vt).is_ok());
    }
}
