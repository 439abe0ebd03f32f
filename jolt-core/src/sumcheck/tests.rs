//! Completeness and soundness tests of the sumcheck engine.

use super::*;
use crate::field::Fr;
use crate::poly::{BindingOrder, DenseMultilinear, EqPolynomial};
use crate::transcript::Transcript;
use ark_ff::{One, UniformRand, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn random_poly(n: usize, rng: &mut ChaCha20Rng) -> DenseMultilinear {
    DenseMultilinear::new((0..1 << n).map(|_| Fr::rand(rng)).collect())
}

fn random_point(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

/// Proves one product instance and returns the proof, the challenges and the verifier.
fn prove_product(
    factors: Vec<DenseMultilinear>,
    order: BindingOrder,
) -> (BatchedSumcheckProof, Vec<Fr>, ProductVerifier) {
    let n = factors[0].num_vars();
    let d = factors.len();
    let mut prover = ProductProver::new(factors, order);
    let verifier = ProductVerifier {
        claim: prover.input_claim(),
        num_rounds: n,
        num_factors: d,
        order,
    };
    let mut t = Transcript::new(b"test");
    let (proof, r) = BatchedSumcheck::prove(&mut [&mut prover], &mut t);
    (proof, r, verifier)
}

fn verify(
    proof: &BatchedSumcheckProof,
    verifiers: &[&dyn SumcheckInstanceVerifier],
) -> Result<Vec<Fr>, SumcheckError> {
    BatchedSumcheck::verify(proof, verifiers, &mut Transcript::new(b"test"))
}

#[test]
fn product_completeness_degrees_1_to_4() {
    let mut rng = rng(50);
    for (n, degrees) in [(1usize, 1..=4usize), (5, 1..=4), (10, 1..=4), (16, 2..=3)] {
        for d in degrees {
            for order in [BindingOrder::LowToHigh, BindingOrder::HighToLow] {
                let factors: Vec<_> = (0..d).map(|_| random_poly(n, &mut rng)).collect();
                let (proof, r, verifier) = prove_product(factors.clone(), order);
                assert_eq!(proof.sumcheck.round_polys.len(), n);
                let challenges = verify(&proof, &[&verifier]).expect("honest proof verifies");
                assert_eq!(challenges, r);
                // The output claims are the factors at the final point.
                let point = order.point_from_challenges(&r);
                for (f, c) in factors.iter().zip(&proof.output_claims[0]) {
                    assert_eq!(f.evaluate(&point), *c, "n={n} d={d} {order:?}");
                }
            }
        }
    }
}

#[test]
fn eq_product_matches_reference_and_verifies() {
    let mut rng = rng(51);
    for n in [1usize, 2, 3, 8, 16] {
        for d in 1..=3usize {
            let tau = random_point(n, &mut rng);
            let factors: Vec<_> = (0..d).map(|_| random_poly(n, &mut rng)).collect();
            let mut fast = EqProductProver::new(&tau, factors.clone());
            // Reference: the same sum as a plain product with the eq table as a factor.
            let mut with_eq = vec![DenseMultilinear::new(EqPolynomial::evals(&tau))];
            with_eq.extend(factors.iter().cloned());
            let mut slow = ProductProver::new(with_eq, BindingOrder::LowToHigh);
            assert_eq!(fast.input_claim(), slow.input_claim());

            let (p_fast, r_fast) =
                BatchedSumcheck::prove(&mut [&mut fast], &mut Transcript::new(b"test"));
            let (p_slow, r_slow) =
                BatchedSumcheck::prove(&mut [&mut slow], &mut Transcript::new(b"test"));
            // Round polynomials are unique, so both provers send the same messages.
            assert_eq!(p_fast.sumcheck, p_slow.sumcheck, "n={n} d={d}");
            assert_eq!(r_fast, r_slow);

            let verifier = EqProductVerifier {
                tau: tau.clone(),
                claim: fast.input_claim(),
                num_factors: d,
            };
            verify(&p_fast, &[&verifier]).expect("honest proof verifies");
            for (f, c) in factors.iter().zip(&p_fast.output_claims[0]) {
                assert_eq!(f.evaluate(&r_fast), *c);
            }
        }
    }
}

#[test]
fn eq_product_with_zero_tau_coordinates() {
    // τ_j = 0 makes the claim useless for q(1): the kernel falls back to computing it.
    let mut rng = rng(52);
    let n = 6;
    let mut tau = random_point(n, &mut rng);
    tau[0] = Fr::zero();
    tau[3] = Fr::zero();
    let factors: Vec<_> = (0..2).map(|_| random_poly(n, &mut rng)).collect();
    let mut prover = EqProductProver::new(&tau, factors);
    let verifier = EqProductVerifier {
        tau,
        claim: prover.input_claim(),
        num_factors: 2,
    };
    let (proof, _) = BatchedSumcheck::prove(&mut [&mut prover], &mut Transcript::new(b"test"));
    verify(&proof, &[&verifier]).expect("honest proof verifies");
}

/// An honest degree-3 `Σ eq·A·B` proof over 6 variables and its verifier.
fn eq_ab_fixture() -> (BatchedSumcheckProof, EqProductVerifier) {
    let mut rng = rng(53);
    let n = 6;
    let tau = random_point(n, &mut rng);
    let factors: Vec<_> = (0..2).map(|_| random_poly(n, &mut rng)).collect();
    let mut prover = EqProductProver::new(&tau, factors);
    let verifier = EqProductVerifier {
        tau,
        claim: prover.input_claim(),
        num_factors: 2,
    };
    let (proof, _) = BatchedSumcheck::prove(&mut [&mut prover], &mut Transcript::new(b"test"));
    (proof, verifier)
}

#[test]
fn changed_round_polynomial_is_rejected() {
    let (proof, verifier) = eq_ab_fixture();
    for round in [0usize, 2, 5] {
        for coeff in 0..3 {
            let mut bad = proof.clone();
            bad.sumcheck.round_polys[round].coeffs_except_linear[coeff] += Fr::one();
            assert_eq!(
                verify(&bad, &[&verifier]),
                Err(SumcheckError::FinalCheckFailed),
                "round {round} coeff {coeff}"
            );
        }
    }
}

#[test]
fn wrong_claimed_sum_is_rejected() {
    let (proof, mut verifier) = eq_ab_fixture();
    verifier.claim += Fr::one();
    assert_eq!(
        verify(&proof, &[&verifier]),
        Err(SumcheckError::FinalCheckFailed)
    );
}

#[test]
fn degree_above_bound_is_rejected() {
    let (proof, verifier) = eq_ab_fixture();
    let mut bad = proof.clone();
    bad.sumcheck.round_polys[1]
        .coeffs_except_linear
        .push(Fr::from(7u64));
    assert_eq!(
        verify(&bad, &[&verifier]),
        Err(SumcheckError::DegreeBoundExceeded {
            round: 1,
            degree: 4,
            bound: 3
        })
    );
    let mut empty = proof;
    empty.sumcheck.round_polys[4].coeffs_except_linear.clear();
    assert_eq!(
        verify(&empty, &[&verifier]),
        Err(SumcheckError::EmptyRoundPolynomial { round: 4 })
    );
}

#[test]
fn missing_or_extra_round_is_rejected() {
    let (proof, verifier) = eq_ab_fixture();
    let mut missing = proof.clone();
    missing.sumcheck.round_polys.pop();
    assert_eq!(
        verify(&missing, &[&verifier]),
        Err(SumcheckError::WrongNumberOfRounds {
            expected: 6,
            got: 5
        })
    );
    let mut extra = proof.clone();
    let last = extra.sumcheck.round_polys[5].clone();
    extra.sumcheck.round_polys.push(last);
    assert_eq!(
        verify(&extra, &[&verifier]),
        Err(SumcheckError::WrongNumberOfRounds {
            expected: 6,
            got: 7
        })
    );
}

#[test]
fn output_claims_shape_and_value_are_checked() {
    let (proof, verifier) = eq_ab_fixture();
    let mut short = proof.clone();
    short.output_claims[0].pop();
    assert_eq!(
        verify(&short, &[&verifier]),
        Err(SumcheckError::OutputClaimsMismatch {
            instance: 0,
            expected: 2,
            got: 1
        })
    );
    let mut none = proof.clone();
    none.output_claims.clear();
    assert!(matches!(
        verify(&none, &[&verifier]),
        Err(SumcheckError::OutputClaimsMismatch { .. })
    ));
    let mut wrong = proof.clone();
    wrong.output_claims[0][1] += Fr::one();
    assert_eq!(
        verify(&wrong, &[&verifier]),
        Err(SumcheckError::FinalCheckFailed)
    );
    assert_eq!(verify(&proof, &[]), Err(SumcheckError::NoInstances));
}

#[test]
fn batched_mixed_sizes_and_degrees() {
    let mut rng = rng(54);
    let tau_a = random_point(10, &mut rng);
    let fa: Vec<_> = (0..2).map(|_| random_poly(10, &mut rng)).collect();
    let tau_b = random_point(4, &mut rng);
    let fb: Vec<_> = (0..3).map(|_| random_poly(4, &mut rng)).collect();
    let fc: Vec<_> = (0..4).map(|_| random_poly(7, &mut rng)).collect();
    let fd: Vec<_> = (0..1).map(|_| random_poly(7, &mut rng)).collect();

    let mut pa = EqProductProver::new(&tau_a, fa.clone());
    let mut pb = EqProductProver::new(&tau_b, fb.clone());
    let mut pc = ProductProver::new(fc.clone(), BindingOrder::HighToLow);
    let mut pd = ProductProver::new(fd.clone(), BindingOrder::LowToHigh);
    let va = EqProductVerifier {
        tau: tau_a,
        claim: pa.input_claim(),
        num_factors: 2,
    };
    let vb = EqProductVerifier {
        tau: tau_b,
        claim: pb.input_claim(),
        num_factors: 3,
    };
    let vc = ProductVerifier {
        claim: pc.input_claim(),
        num_rounds: 7,
        num_factors: 4,
        order: BindingOrder::HighToLow,
    };
    let vd = ProductVerifier {
        claim: pd.input_claim(),
        num_rounds: 7,
        num_factors: 1,
        order: BindingOrder::LowToHigh,
    };

    let mut pt = Transcript::new_recording(b"test");
    let (proof, r) = BatchedSumcheck::prove(&mut [&mut pa, &mut pb, &mut pc, &mut pd], &mut pt);
    assert_eq!(r.len(), 10);
    let verifiers: [&dyn SumcheckInstanceVerifier; 4] = [&va, &vb, &vc, &vd];
    // Verify in lock-step with the prover's transcript.
    let mut vt = Transcript::new_lockstep(b"test", pt.take_record());
    assert_eq!(
        BatchedSumcheck::verify(&proof, &verifiers, &mut vt),
        Ok(r.clone())
    );

    // Smaller instances see the last n_i challenges.
    for (f, c) in fb.iter().zip(&proof.output_claims[1]) {
        assert_eq!(f.evaluate(&r[6..]), *c);
    }
    let point_c = BindingOrder::HighToLow.point_from_challenges(&r[3..]);
    for (f, c) in fc.iter().zip(&proof.output_claims[2]) {
        assert_eq!(f.evaluate(&point_c), *c);
    }
    assert_eq!(fd[0].evaluate(&r[3..]), proof.output_claims[3][0]);

    // A wrong claim in any single instance is caught.
    let mut vb_bad = vb.clone();
    vb_bad.claim += Fr::one();
    let bad: [&dyn SumcheckInstanceVerifier; 4] = [&va, &vb_bad, &vc, &vd];
    assert_eq!(verify(&proof, &bad), Err(SumcheckError::FinalCheckFailed));
    // Dropping an instance is caught.
    assert!(matches!(
        verify(&proof, &verifiers[..3]),
        Err(SumcheckError::OutputClaimsMismatch { .. })
    ));
}

#[test]
fn serialization_roundtrip_and_byte_flips_never_panic() {
    let (proof, verifier) = eq_ab_fixture();
    let mut bytes = Vec::new();
    proof.serialize_compressed(&mut bytes).unwrap();
    let back = BatchedSumcheckProof::deserialize_compressed(&bytes[..]).unwrap();
    assert_eq!(back, proof);
    let json = serde_json::to_string(&proof).unwrap();
    let from_json: BatchedSumcheckProof = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json, proof);

    let mut rng = rng(55);
    let mut rejected = 0;
    let trials = 300;
    for _ in 0..trials {
        let mut b = bytes.clone();
        let pos = rand::Rng::gen_range(&mut rng, 0..b.len());
        let bit = rand::Rng::gen_range(&mut rng, 0..8);
        b[pos] ^= 1 << bit;
        match BatchedSumcheckProof::deserialize_compressed(&b[..]) {
            Err(_) => rejected += 1,
            Ok(p) => {
                if verify(&p, &[&verifier]).is_err() {
                    rejected += 1;
                }
            }
        }
    }
    assert_eq!(rejected, trials, "every flipped proof must be rejected");
}

#[test]
fn eq_product_small_integer_inputs_match_dense() {
    use crate::field::SmallScalar;
    use crate::poly::CompactMultilinear;
    use rand::Rng;
    let mut rng = rng(56);
    for n in [0usize, 1, 4, 11] {
        for d in 1..=3usize {
            for zero_tau in [false, true] {
                let mut tau = random_point(n, &mut rng);
                if zero_tau && n > 0 {
                    tau[0] = Fr::zero();
                }
                let small: Vec<Vec<i32>> = (0..d)
                    .map(|k| {
                        (0..1usize << n)
                            .map(|i| match (i + k) % 5 {
                                0 => i32::MIN,
                                1 => i32::MAX,
                                _ => rng.gen(),
                            })
                            .collect()
                    })
                    .collect();
                let dense: Vec<DenseMultilinear> = small
                    .iter()
                    .map(|t| DenseMultilinear::new(t.iter().map(|v| v.to_field()).collect()))
                    .collect();
                let compact: Vec<CompactMultilinear<i32>> = small
                    .iter()
                    .map(|t| CompactMultilinear::new(t.clone(), 0))
                    .collect();
                let mut p_small = EqProductProver::new_small(&tau, compact);
                let mut p_dense = EqProductProver::new(&tau, dense);
                assert_eq!(p_small.input_claim(), p_dense.input_claim());
                let (a, ra) =
                    BatchedSumcheck::prove(&mut [&mut p_small], &mut Transcript::new(b"test"));
                let (b, rb) =
                    BatchedSumcheck::prove(&mut [&mut p_dense], &mut Transcript::new(b"test"));
                assert_eq!(a, b, "n={n} d={d} zero_tau={zero_tau}");
                assert_eq!(ra, rb);
                let verifier = EqProductVerifier {
                    tau: tau.clone(),
                    claim: p_small.input_claim(),
                    num_factors: d,
                };
                verify(&a, &[&verifier]).expect("honest proof verifies");
            }
        }
    }
}

#[test]
fn arbitrary_proofs_never_panic_the_verifier() {
    use rand::Rng;
    let (_, verifier) = eq_ab_fixture();
    let mut rng = rng(57);
    for _ in 0..500 {
        let rounds = rng.gen_range(0..9);
        let proof = BatchedSumcheckProof {
            sumcheck: SumcheckProof {
                round_polys: (0..rounds)
                    .map(|_| crate::poly::CompressedUniPoly {
                        coeffs_except_linear: (0..rng.gen_range(0..6))
                            .map(|_| Fr::rand(&mut rng))
                            .collect(),
                    })
                    .collect(),
            },
            output_claims: (0..rng.gen_range(0..3))
                .map(|_| {
                    (0..rng.gen_range(0..4))
                        .map(|_| Fr::rand(&mut rng))
                        .collect()
                })
                .collect(),
        };
        assert!(verify(&proof, &[&verifier]).is_err());
    }
}

/// A prover that claims `true sum + 1` and otherwise follows the protocol.
struct LyingProver(ProductProver);

impl SumcheckInstanceProver for LyingProver {
    fn degree(&self) -> usize {
        self.0.degree()
    }
    fn num_rounds(&self) -> usize {
        self.0.num_rounds()
    }
    fn input_claim(&self) -> Fr {
        self.0.input_claim() + Fr::one()
    }
    fn compute_round_poly(&mut self, round: usize, previous_claim: Fr) -> crate::poly::UniPoly {
        self.0.compute_round_poly(round, previous_claim)
    }
    fn bind(&mut self, r: Fr, round: usize) {
        self.0.bind(r, round)
    }
    fn output_claims(&self) -> Vec<Fr> {
        self.0.output_claims()
    }
}

#[test]
fn dishonest_instance_through_the_driver_is_rejected() {
    let mut rng = rng(58);
    let factors: Vec<_> = (0..2).map(|_| random_poly(5, &mut rng)).collect();
    let mut liar = LyingProver(ProductProver::new(factors, BindingOrder::LowToHigh));
    let verifier = ProductVerifier {
        claim: liar.input_claim(),
        num_rounds: 5,
        num_factors: 2,
        order: BindingOrder::LowToHigh,
    };
    let (proof, _) = BatchedSumcheck::prove(&mut [&mut liar], &mut Transcript::new(b"test"));
    assert_eq!(
        verify(&proof, &[&verifier]),
        Err(SumcheckError::FinalCheckFailed)
    );
}
