//! Dory polynomial commitments (Lee, ePrint 2020/1274), through the `dory-pcs` crate.
//!
//! # The scheme
//!
//! A table of `2^(ν+σ)` evaluations is laid out as a matrix `M` with `2^ν` rows of `2^σ`
//! columns, `M[row][col] = evals[row·2^σ + col]`, so the **low** `σ` variables index the column
//! and the high `ν` ones the row (little-endian, as in the rest of the crate). With transparent
//! generators `Γ₁ ∈ G1^{2^σ}`, `Γ₂ ∈ G2^{2^σ}`, the commitment is two-tiered (AFGHO):
//!
//! ```text
//! T_row = ⟨M[row], Γ₁⟩ ∈ G1   (row commitments, the prover's hint)
//! C     = Σ_row e(T_row, Γ₂[row]) ∈ GT
//! ```
//!
//! An evaluation `p̃(r) = L(r_high)ᵀ · M · R(r_low)` (with `L`, `R` the eq tables of the row and
//! column coordinates) is proven by Dory's vector–matrix–vector reduction followed by `σ` rounds of
//! the inner-pairing-product reduce-and-fold; the verifier does `O(σ)` GT operations and one
//! multi-pairing.
//!
//! # Choices made here
//!
//! - **Fixed width, chosen by the caller.** The column count `2^σ` is a property of the setup:
//!   every commitment made with one setup has rows of the same width. A table of `m` variables
//!   has `2^max(m−σ, 0)` rows (one partial row when `m < σ`), and a proof for it runs with
//!   `ν = max(m − σ, 0)` and the point zero-padded to `ν + σ` coordinates. Hence zero-padding a
//!   table never changes its commitment, and commitments of different sizes combine
//!   homomorphically (see the [parent module](super)). Prover and verifier must use setups of
//!   the same `σ`. [`CommitmentScheme::setup`]`(n)` gives `σ = ⌈n/2⌉`, the narrowest setup for
//!   tables of up to `2^n` entries. A caller committing many tables asks for a wider one,
//!   [`sigma_for_tables`] (then `setup(2σ)`): committing costs one Miller loop per row, so
//!   doubling the width halves it, while an opening costs about 2 ms per column.
//! - **Deterministic transparent setup.** `Γ₁[i]`, `Γ₂[i]`, `H₁`, `H₂` are hashed to the curve from
//!   the public seed [`SETUP_SEED`] (try-and-increment, so nobody knows discrete logs between
//!   them); each generator depends only on its index, so a larger setup extends a smaller one.
//!   The digest of each verifier setup is pinned in [`PINNED_SETUP_DIGESTS`]; loaders call
//!   [`check_setup_digest`]. Setups are cached in-process, never on disk.
//! - **Cheap commitments.** Row commitments are computed here, not by `dory-pcs`: full-width rows
//!   use arkworks' MSM; small-integer rows a windowed MSM over only the bits the values occupy;
//!   one-hot rows a plain sum of the selected generators, taken pairwise in affine coordinates
//!   with one batched inversion per level (`sum_rows`). The tier-2 pairing product is one
//!   multi-Miller loop against the setup's `Γ₂`, prepared once per setup (`multi_miller_loop`:
//!   borrowed pairs, up to 64 pairs per accumulator), and one final exponentiation. The rows are
//!   handed to `dory-pcs` as the opening hint.
//! - **Our pairing routines in `dory-pcs`'s prover.** It runs on `ProverCurve` (the same
//!   groups): its multi-pairings use `multi_miller_loop`, and those against the setup's `Γ₂`
//!   (half of them) its prepared form, registered for the thread while it proves. Its G2
//!   scalar multiplications use the GLV decomposition (`AtlasG2Routines`). The verifier
//!   setup is computed from the prepared `Γ₂` too, the same values as `dory-pcs`'s.
//! - **Decoding.** A commitment or proof read with validation is checked to lie in the right
//!   groups: GT by Scott's test ([`is_in_gt`], about three times cheaper than `g^r = 1`), the
//!   proof's elements all at once, in parallel.
//! - **Our transcript.** Dory's Fiat–Shamir challenges are drawn from the crate's
//!   [`Transcript`] through an adapter, after the statement (commitment, point, evaluation) has
//!   been absorbed.
//!
//! # Soundness
//! The verifier accepts only transparent-mode proofs with the matrix shape the point implies.
//! (`dory-pcs`'s verifier ignores the claimed evaluation for a zero-knowledge-shaped proof, which
//! binds it only through `y_com`; accepting that shape here would let a prover open to anything.)

use super::generators::{hash_to_curve, hash_to_curve_vec};
use super::{CommitmentScheme, OneHotPolynomial, PcsError, SmallScalar};
use crate::field::Fr;
use crate::poly::EqPolynomial;
use crate::transcript::Transcript;
use ark_bn254::{g1, g2, Bn254, Fq12, Fq2, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::bn::BnConfig;
use ark_ec::pairing::{MillerLoopOutput, Pairing, PairingOutput};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{AdditiveGroup, CyclotomicMultSubgroup, Field, One, UniformRand, Zero};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Valid, Validate,
};
use blake2::{Blake2b512, Digest};
use dory_pcs::backends::arkworks::{
    ArkDoryProof, ArkFr, ArkG1, ArkG2, ArkGT, ArkworksVerifierSetup, G1Routines, G2Routines, BN254,
};
use dory_pcs::messages::{
    FirstReduceMessage, ScalarProductMessage, ScalarProductProof, SecondReduceMessage, Sigma1Proof,
    Sigma2Proof, VMVMessage,
};
use dory_pcs::mode::Mode;
use dory_pcs::primitives::arithmetic::{DoryRoutines, Group, PairingCurve};
use dory_pcs::primitives::poly::{MultilinearLagrange, Polynomial};
use dory_pcs::primitives::DorySerialize;
use dory_pcs::{DoryError, DoryProof, ProofMode, ProverSetup, Transparent, VerifierSetup, ZK};
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

/// Public seed of the transparent setup. Changing it changes every commitment.
pub const SETUP_SEED: &[u8] = b"atlas-dory-setup-v1";

/// Domain tag of [`setup_digest`].
const DIGEST_DOMAIN: &[u8] = b"atlas-dory-setup-digest-v1";

/// Most rounds a serialized proof may announce (a setup of `2^32` generators is far beyond reach);
/// bounds the allocation made while deserializing untrusted bytes.
const MAX_PROOF_ROUNDS: usize = 32;

/// Blake2b digests ([`setup_digest`], in hex) of the verifier setups derived from
/// [`SETUP_SEED`], by `σ` (the setup for `max_num_vars ∈ {2σ − 1, 2σ}`).
pub const PINNED_SETUP_DIGESTS: &[(usize, &str)] = &[
    (
        1,
        "12038f2f65336d728caf462fbbd182dac6badcb2e46941be0d5b65d48cf0f666",
    ),
    (
        2,
        "2be0cfdd7a495964e2302ed6a4d147c4a336909d03404e0d130030ae145633e0",
    ),
    (
        3,
        "cd62b7a447286678053679e8eeb20dddc6b3b8050b23152043dccb07738a1d1c",
    ),
    (
        4,
        "78797022dda2e0af50996391b3b1c1f4ddf084f37b43ac979c906a5b2ec3126b",
    ),
    (
        5,
        "83c7b314b96d3ec087795b0966594af72f66e4999a41d79cb1d8b25e1879fbc8",
    ),
    (
        6,
        "4559fb588b1f849d5f31705135164edc70ffb7f46fb8753265e7f6e8630e5720",
    ),
    (
        7,
        "a3a365c287422de4e1fc88b0e7c0d8b555cab916f060b6d22b9f07bacbf97b29",
    ),
    (
        8,
        "e82557f9c7cc67fa4c6d568cdbc668a274fd2025f193ca9079b15ff009772358",
    ),
    (
        9,
        "7c2ae4fc3618d180c6742ecee01700c315237ab9e5475aa896c32d7f5a1b936e",
    ),
    (
        10,
        "36f668b655c761f0435fcc23e28622d3f6769c3daabdee936bb0f7d1ae696c89",
    ),
    (
        11,
        "9fed902dea50ac914bf159e23128aec128b694cf749a0222592b888e70268092",
    ),
];

/// `σ` of the setup for tables of up to `2^max_num_vars` entries (at least 1).
fn sigma_for(max_num_vars: usize) -> usize {
    max_num_vars.div_ceil(2).max(1)
}

/// Largest `σ` in [`PINNED_SETUP_DIGESTS`].
pub const MAX_PINNED_SIGMA: usize = 11;

/// Estimated prover time per committed row, in µs: one Miller loop, and the row's share of
/// combining the opening hints.
const ROW_COST_US: f64 = 150.0;

/// Estimated time per column of the setup, in µs: the opening proof's rounds (pairings and G2
/// scalar multiplications, about 2.1 ms per column) and generating the setup (0.8 ms).
const COLUMN_COST_US: f64 = 2_900.0;

/// The row width `σ` for committing tables of `2^m` entries, one per `m` in `table_vars`, and
/// opening combinations of them: the `σ` minimizing `rows·ROW_COST + 2^σ·COLUMN_COST`
/// (committing costs a Miller loop per row; opening and generating the setup are linear in
/// `2^σ`), from the narrowest setup that fits every table, `⌈max/2⌉`, up to the widest useful
/// one (`max`, capped at [`MAX_PINNED_SIGMA`] unless the narrowest is wider). Ties go to the
/// narrower width. Pass `2σ` to [`CommitmentScheme::setup`] to get that setup.
pub fn sigma_for_tables(table_vars: &[usize]) -> usize {
    let max = table_vars.iter().copied().max().unwrap_or(1).max(1);
    let narrowest = sigma_for(max);
    let widest = max.min(MAX_PINNED_SIGMA).max(narrowest);
    let pow2 = |e: usize| 2f64.powi(e.min(1 << 16) as i32);
    let cost = |sigma: usize| -> f64 {
        let rows: f64 = table_vars
            .iter()
            .map(|&m| pow2(m.saturating_sub(sigma)))
            .sum();
        rows * ROW_COST_US + pow2(sigma) * COLUMN_COST_US
    };
    (narrowest..=widest)
        .map(|sigma| (sigma, cost(sigma)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(narrowest, |(sigma, _)| sigma)
}

/// The prover's setup: `2^σ` generators in G1 and G2 and the blinding generators.
///
/// Cheap to clone (shared).
#[derive(Clone)]
pub struct DoryProverSetup {
    inner: Arc<ProverSetup<ProverCurve>>,
    /// `Γ₁` in affine form, for our row MSMs.
    g1_affine: Arc<Vec<G1Affine>>,
    /// `Γ₂` in affine form, for one-hot commitments summed by columns.
    g2_affine: Arc<Vec<G2Affine>>,
    /// `Γ₂` prepared for Miller loops: for the tier-2 commitment, the verifier setup and the
    /// opening prover's multi-pairings against the setup.
    g2_prepared: Arc<Vec<G2Prepared>>,
    sigma: usize,
}

impl std::fmt::Debug for DoryProverSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoryProverSetup")
            .field("sigma", &self.sigma)
            .finish_non_exhaustive()
    }
}

/// The verifier's setup: `O(σ)` precomputed pairings. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct DoryVerifierSetup {
    inner: Arc<VerifierSetup<BN254>>,
    sigma: usize,
}

impl DoryProverSetup {
    /// log₂ of the row width.
    pub fn sigma(&self) -> usize {
        self.sigma
    }

    /// Largest number of variables supported, `2σ`.
    pub fn max_num_vars(&self) -> usize {
        2 * self.sigma
    }

    /// The verifier setup (recomputes its pairings; prefer the one [`DoryScheme::setup`] returns).
    pub fn to_verifier_setup(&self) -> DoryVerifierSetup {
        DoryVerifierSetup {
            inner: Arc::new(verifier_setup(
                &self.inner,
                &self.g1_affine,
                &self.g2_prepared,
            )),
            sigma: self.sigma,
        }
    }

    fn check_len(&self, len: usize) -> Result<(), PcsError> {
        let max_num_vars = self.max_num_vars();
        if len > 1usize << max_num_vars {
            return Err(PcsError::PolynomialTooLarge { len, max_num_vars });
        }
        Ok(())
    }

    /// `(ν, σ)` of the matrix used to open at a point of `num_vars` coordinates.
    fn shape(&self, num_vars: usize) -> Result<(usize, usize), PcsError> {
        shape(self.sigma, num_vars)
    }

    /// Tier 2: `C = Σ_row e(T_row, Γ₂[row])`, skipping zero rows.
    fn finish(&self, rows: Vec<G1Projective>) -> (DoryCommitment, DoryHint) {
        self.finish_with(rows, None)
    }

    /// [`Self::finish`]; for a 0/1 table with non-zeros at `one_hot`, the tier-2 sum is taken
    /// by columns when that is estimated cheaper (same commitment, see [`super::columns`]).
    fn finish_with(
        &self,
        rows: Vec<G1Projective>,
        one_hot: Option<&[usize]>,
    ) -> (DoryCommitment, DoryHint) {
        if let Some(nonzero) = one_hot {
            let nonzero_rows = rows.iter().filter(|r| !r.is_zero()).count();
            if super::columns::prefer_columns(self.sigma, nonzero, nonzero_rows) {
                let pairs = super::columns::column_pairs(
                    self.sigma,
                    nonzero,
                    &self.g1_affine,
                    &self.g2_affine,
                );
                let (a, b): (Vec<G1Affine>, Vec<G2Affine>) = pairs.into_iter().unzip();
                let commitment = DoryCommitment(Bn254::multi_pairing(a, b));
                return (
                    commitment,
                    DoryHint {
                        rows,
                        commitment,
                        blind: Fr::zero(),
                    },
                );
            }
        }
        let affine = G1Projective::normalize_batch(&rows);
        let pairs: Vec<(G1Affine, usize)> = affine
            .into_iter()
            .enumerate()
            .filter(|(_, p)| !p.is_zero())
            .map(|(i, p)| (p, i))
            .collect();
        let pairs: Vec<(G1Affine, &G2Prepared)> = pairs
            .iter()
            .map(|(p, i)| (*p, &self.g2_prepared[*i]))
            .collect();
        let commitment = DoryCommitment(final_exponentiation(multi_miller_loop(&pairs)).0);
        (
            commitment,
            DoryHint {
                rows,
                commitment,
                blind: Fr::zero(),
            },
        )
    }
}

impl DoryVerifierSetup {
    /// log₂ of the row width.
    pub fn sigma(&self) -> usize {
        self.sigma
    }

    /// Largest number of variables supported, `2σ`.
    pub fn max_num_vars(&self) -> usize {
        2 * self.sigma
    }

    /// See [`setup_digest`].
    pub fn digest(&self) -> [u8; 32] {
        setup_digest(self)
    }

    /// `(G, H) = (Γ₁[0], H₁)`: the Pedersen generators of the `y_com` that
    /// [`DoryScheme::verify_zk`] returns.
    pub fn evaluation_generators(&self) -> (G1Projective, G1Projective) {
        (self.inner.g1_0.0, self.inner.h1.0)
    }
}

/// BN254's prepared G2 point (the line coefficients of its Miller loop).
type G2Prepared = <Bn254 as Pairing>::G2Prepared;

/// Most pairs sharing one accumulator in [`multi_miller_loop`].
const MILLER_CHUNK: usize = 64;

/// `f ← f · ℓ(P)` for the line with coefficients `c` (BN254 is a D-type twist).
#[inline]
fn ell(f: &mut Fq12, c: &(Fq2, Fq2, Fq2), p: &G1Affine) {
    let (mut c0, mut c1, c2) = *c;
    c0.mul_assign_by_fp(&p.y);
    c1.mul_assign_by_fp(&p.x);
    f.mul_by_034(&c0, &c1, &c2);
}

/// `Π_i f_{P_i, Q_i}` over one chunk of pairs, sequentially: the accumulator's squarings are
/// shared by the chunk, and the loop's two final lines are applied here too (a product of field
/// elements does not depend on the order). Pairs with a point at infinity contribute 1.
fn miller_chunk(pairs: &[(G1Affine, &G2Prepared)]) -> Fq12 {
    use ark_bn254::Config;
    let ate = <Config as BnConfig>::ATE_LOOP_COUNT;
    let pairs: Vec<&(G1Affine, &G2Prepared)> = pairs
        .iter()
        .filter(|(p, q)| !p.is_zero() && !q.infinity)
        .collect();
    let mut f = Fq12::one();
    let mut k = 0;
    for i in (1..ate.len()).rev() {
        if i != ate.len() - 1 {
            f.square_in_place();
        }
        for (p, q) in &pairs {
            ell(&mut f, &q.ell_coeffs[k], p);
        }
        k += 1;
        if ate[i - 1] != 0 {
            for (p, q) in &pairs {
                ell(&mut f, &q.ell_coeffs[k], p);
            }
            k += 1;
        }
    }
    if <Config as BnConfig>::X_IS_NEGATIVE {
        f.cyclotomic_inverse_in_place();
    }
    for _ in 0..2 {
        for (p, q) in &pairs {
            ell(&mut f, &q.ell_coeffs[k], p);
        }
        k += 1;
    }
    f
}

/// Chunk size for `n` pairs: a few chunks per thread, at most [`MILLER_CHUNK`] pairs each.
fn miller_chunk_size(n: usize) -> usize {
    n.div_ceil(2 * rayon::current_num_threads())
        .clamp(1, MILLER_CHUNK)
}

/// `Π_i f_{P_i, Q_i}`: the Miller loops of many pairs with prepared `Q_i`, in parallel chunks.
///
/// The same value as arkworks' `Bn254::multi_miller_loop`, but the pairs are borrowed (arkworks
/// takes the prepared points by value, so a cached setup would be cloned, 17 KB per point) and
/// each chunk shares its accumulator's squarings among up to [`MILLER_CHUNK`] pairs rather
/// than 4 (about 20% fewer multiplications).
fn multi_miller_loop(pairs: &[(G1Affine, &G2Prepared)]) -> MillerLoopOutput<Bn254> {
    MillerLoopOutput(
        pairs
            .par_chunks(miller_chunk_size(pairs.len()))
            .map(miller_chunk)
            .product(),
    )
}

/// `Σ_i e(P_i, Q_i)` from the Miller loops' product.
fn final_exponentiation(f: MillerLoopOutput<Bn254>) -> ArkGT {
    ArkGT(
        Bn254::final_exponentiation(f)
            .expect("a product of Miller loops of subgroup points is non-zero"),
    )
}

/// `Σ_i e(P_i, Q_i)` for points in projective form: normalized in batches, each chunk's `Q_i`
/// prepared just before its Miller loops.
fn multi_pair_projective(ps: &[ArkG1], qs: &[ArkG2]) -> ArkGT {
    assert_eq!(ps.len(), qs.len(), "multi_pair requires equal lengths");
    let ps: Vec<G1Projective> = ps.iter().map(|p| p.0).collect();
    let qs: Vec<G2Projective> = qs.iter().map(|q| q.0).collect();
    let (ps, qs) = rayon::join(
        || G1Projective::normalize_batch(&ps),
        || G2Projective::normalize_batch(&qs),
    );
    let chunk = miller_chunk_size(ps.len());
    let f = ps
        .par_chunks(chunk)
        .zip(qs.par_chunks(chunk))
        .map(|(ps, qs)| {
            let prepared: Vec<G2Prepared> = qs.iter().map(|q| (*q).into()).collect();
            let pairs: Vec<(G1Affine, &G2Prepared)> = ps.iter().copied().zip(&prepared).collect();
            miller_chunk(&pairs)
        })
        .product();
    final_exponentiation(MillerLoopOutput(f))
}

/// `Σ_i e(P_i, Q_i)` with the `Q_i` prepared already.
fn multi_pair_prepared(ps: &[ArkG1], qs: &[G2Prepared]) -> ArkGT {
    assert_eq!(ps.len(), qs.len(), "multi_pair requires equal lengths");
    let ps: Vec<G1Projective> = ps.iter().map(|p| p.0).collect();
    let ps = G1Projective::normalize_batch(&ps);
    let pairs: Vec<(G1Affine, &G2Prepared)> = ps.into_iter().zip(qs).collect();
    final_exponentiation(multi_miller_loop(&pairs))
}

thread_local! {
    /// While this thread runs `dory-pcs`'s prover ([`with_setup_g2`]): the address of the
    /// setup's `Γ₂` and its prepared form, for [`ProverCurve::multi_pair_g2_setup`].
    static SETUP_G2: RefCell<Option<(usize, Arc<Vec<G2Prepared>>)>> = const { RefCell::new(None) };
}

/// Runs `f` with the setup's prepared `Γ₂` registered for this thread (restored on exit, even
/// by unwinding). The setup is borrowed for the whole call, so its `Γ₂` cannot move or be freed
/// while registered: a slice starting at the registered address is a prefix of that `Γ₂`.
fn with_setup_g2<R>(setup: &DoryProverSetup, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(usize, Arc<Vec<G2Prepared>>)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SETUP_G2.with(|s| *s.borrow_mut() = self.0.take());
        }
    }
    let entry = (
        setup.inner.g2_vec.as_ptr() as usize,
        Arc::clone(&setup.g2_prepared),
    );
    let _restore = Restore(SETUP_G2.with(|s| s.borrow_mut().replace(entry)));
    f()
}

/// BN254 as `dory-pcs`'s prover sees it: the groups of its [`BN254`], with multi-pairings by
/// [`multi_miller_loop`] and, against the setup's `Γ₂`, its cached prepared form (the prover
/// spends most of its time in these multi-pairings).
#[derive(Clone, Copy, Debug, Default)]
struct ProverCurve;

impl PairingCurve for ProverCurve {
    type G1 = ArkG1;
    type G2 = ArkG2;
    type GT = ArkGT;

    fn pair(p: &ArkG1, q: &ArkG2) -> ArkGT {
        BN254::pair(p, q)
    }

    fn multi_pair(ps: &[ArkG1], qs: &[ArkG2]) -> ArkGT {
        multi_pair_projective(ps, qs)
    }

    fn multi_pair_g2_setup(ps: &[ArkG1], qs: &[ArkG2]) -> ArkGT {
        let prepared = SETUP_G2.with(|s| {
            s.borrow()
                .as_ref()
                .filter(|(address, prepared)| {
                    *address == qs.as_ptr() as usize && qs.len() <= prepared.len()
                })
                .map(|(_, prepared)| Arc::clone(prepared))
        });
        match prepared {
            Some(prepared) => multi_pair_prepared(ps, &prepared[..qs.len()]),
            None => multi_pair_projective(ps, qs),
        }
    }

    fn gt_msm(ts: &[ArkGT], ks: &[ArkFr]) -> ArkGT {
        BN254::gt_msm(ts, ks)
    }
}

/// The verifier setup of `prover` (`dory-pcs`'s `to_verifier_setup`, with the prepared `Γ₂`):
/// `χ[k] = ⟨Γ₁[..2^k], Γ₂[..2^k]⟩`, `Δ₁R[k] = ⟨Γ₁[2^(k−1)..2^k], Γ₂[..2^(k−1)]⟩`,
/// `Δ₂R[k] = ⟨Γ₁[..2^(k−1)], Γ₂[2^(k−1)..2^k]⟩`, `Δ₁L = Δ₂L = χ[k−1]`.
fn verifier_setup(
    prover: &ProverSetup<ProverCurve>,
    g1: &[G1Affine],
    g2: &[G2Prepared],
) -> VerifierSetup<BN254> {
    let rounds = g1.len().trailing_zeros() as usize;
    let pair = |a: std::ops::Range<usize>, b: std::ops::Range<usize>| {
        let pairs: Vec<(G1Affine, &G2Prepared)> = g1[a].iter().copied().zip(&g2[b]).collect();
        final_exponentiation(multi_miller_loop(&pairs))
    };
    let mut delta_1l = vec![ArkGT::identity()];
    let mut delta_1r = vec![ArkGT::identity()];
    let mut delta_2r = vec![ArkGT::identity()];
    let mut chi = vec![pair(0..1, 0..1)];
    for k in 1..=rounds {
        let (half, full) = (1 << (k - 1), 1 << k);
        delta_1l.push(chi[k - 1]);
        delta_1r.push(pair(half..full, 0..half));
        delta_2r.push(pair(0..half, half..full));
        chi.push(chi[k - 1] + pair(half..full, half..full));
    }
    VerifierSetup {
        delta_1l: delta_1l.clone(),
        delta_1r,
        delta_2l: delta_1l,
        delta_2r,
        chi,
        g1_0: prover.g1_vec[0],
        g2_0: prover.g2_vec[0],
        h1: prover.h1,
        h2: prover.h2,
        ht: prover.ht,
        max_log_n: 2 * rounds,
    }
}

/// `(ν, σ)` for a point of `num_vars` coordinates under width `2^σ`.
fn shape(sigma: usize, num_vars: usize) -> Result<(usize, usize), PcsError> {
    if num_vars > 2 * sigma {
        return Err(PcsError::PointTooLarge {
            num_vars,
            max_num_vars: 2 * sigma,
        });
    }
    Ok((num_vars.saturating_sub(sigma), sigma))
}

/// Blake2b-512 (truncated to 32 bytes) of the domain tag, `σ` and the compressed canonical
/// serialization of the verifier setup.
pub fn setup_digest(setup: &DoryVerifierSetup) -> [u8; 32] {
    let mut bytes = Vec::new();
    ArkworksVerifierSetup((*setup.inner).clone())
        .serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    let mut hasher = Blake2b512::new();
    hasher.update(DIGEST_DOMAIN);
    hasher.update((setup.sigma as u64).to_le_bytes());
    hasher.update(&bytes);
    let digest = hasher.finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest[..32]);
    out
}

/// Checks a verifier setup against [`PINNED_SETUP_DIGESTS`].
pub fn check_setup_digest(setup: &DoryVerifierSetup) -> Result<(), PcsError> {
    let sigma = setup.sigma;
    let (_, pinned) = PINNED_SETUP_DIGESTS
        .iter()
        .find(|(s, _)| *s == sigma)
        .ok_or(PcsError::UnpinnedSetup { sigma })?;
    if to_hex(&setup_digest(setup)) == *pinned {
        Ok(())
    } else {
        Err(PcsError::SetupDigestMismatch { sigma })
    }
}

/// Lower-case hexadecimal.
fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Generates the setup with `2^σ` generators from [`SETUP_SEED`] (no cache).
pub fn generate_setup(sigma: usize) -> (DoryProverSetup, DoryVerifierSetup) {
    let n = 1usize << sigma;
    let g1_affine = hash_to_curve_vec::<g1::Config>(SETUP_SEED, b"gamma1", n);
    let g2_affine = hash_to_curve_vec::<g2::Config>(SETUP_SEED, b"gamma2", n);
    let h1 = ArkG1(hash_to_curve::<g1::Config>(SETUP_SEED, b"h1", 0).into_group());
    let h2 = ArkG2(hash_to_curve::<g2::Config>(SETUP_SEED, b"h2", 0).into_group());
    let inner = ProverSetup::<ProverCurve> {
        g1_vec: g1_affine.iter().map(|p| ArkG1(p.into_group())).collect(),
        g2_vec: g2_affine.iter().map(|p| ArkG2(p.into_group())).collect(),
        h1,
        h2,
        ht: BN254::pair(&h1, &h2),
    };
    let g2_prepared: Vec<G2Prepared> = g2_affine.par_iter().map(|q| (*q).into()).collect();
    let g2_affine = Arc::new(g2_affine);
    let verifier = DoryVerifierSetup {
        inner: Arc::new(verifier_setup(&inner, &g1_affine, &g2_prepared)),
        sigma,
    };
    let prover = DoryProverSetup {
        inner: Arc::new(inner),
        g1_affine: Arc::new(g1_affine),
        g2_affine,
        g2_prepared: Arc::new(g2_prepared),
        sigma,
    };
    (prover, verifier)
}

/// The setup with `2^σ` generators cut out of a larger one (generators are prefix-consistent and
/// the verifier's precomputations are indexed by round).
fn truncate_setup(
    (prover, verifier): &(DoryProverSetup, DoryVerifierSetup),
    sigma: usize,
) -> (DoryProverSetup, DoryVerifierSetup) {
    let n = 1usize << sigma;
    let p = &prover.inner;
    let inner = ProverSetup::<ProverCurve> {
        g1_vec: p.g1_vec[..n].to_vec(),
        g2_vec: p.g2_vec[..n].to_vec(),
        h1: p.h1,
        h2: p.h2,
        ht: p.ht,
    };
    let v = &verifier.inner;
    let vinner = VerifierSetup::<BN254> {
        delta_1l: v.delta_1l[..=sigma].to_vec(),
        delta_1r: v.delta_1r[..=sigma].to_vec(),
        delta_2l: v.delta_2l[..=sigma].to_vec(),
        delta_2r: v.delta_2r[..=sigma].to_vec(),
        chi: v.chi[..=sigma].to_vec(),
        g1_0: v.g1_0,
        g2_0: v.g2_0,
        h1: v.h1,
        h2: v.h2,
        ht: v.ht,
        max_log_n: 2 * sigma,
    };
    (
        DoryProverSetup {
            inner: Arc::new(inner),
            g1_affine: Arc::new(prover.g1_affine[..n].to_vec()),
            g2_affine: Arc::new(prover.g2_affine[..n].to_vec()),
            g2_prepared: Arc::new(prover.g2_prepared[..n].to_vec()),
            sigma,
        },
        DoryVerifierSetup {
            inner: Arc::new(vinner),
            sigma,
        },
    )
}

/// In-process cache of setups by `σ`.
static SETUPS: OnceLock<Mutex<BTreeMap<usize, (DoryProverSetup, DoryVerifierSetup)>>> =
    OnceLock::new();

/// A commitment: an element of GT (written additively).
///
/// Deserialized with validation, it is checked to lie in GT by [`is_in_gt`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, CanonicalSerialize)]
pub struct DoryCommitment(pub PairingOutput<Bn254>);

impl Valid for DoryCommitment {
    fn check(&self) -> Result<(), SerializationError> {
        check_gt(&self.0)
    }
}

impl CanonicalDeserialize for DoryCommitment {
    fn deserialize_with_mode<R: Read>(
        reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let c = Self(PairingOutput::deserialize_with_mode(
            reader,
            compress,
            Validate::No,
        )?);
        if validate == Validate::Yes {
            c.check()?;
        }
        Ok(c)
    }
}

/// `6u²` for the BN parameter `u` of BN254 (`p ≡ 6u² mod r`).
const SIX_U_SQUARED: u128 = {
    let u = <ark_bn254::Config as BnConfig>::X[0] as u128;
    6 * u * u
};

/// Whether `g` lies in GT, the subgroup of order `r` of `F_{p¹²}^*`, by Scott's test (ePrint
/// 2021/1130, §7): `g ≠ 0`, `g` is in the cyclotomic subgroup (`g^(p⁴ − p² + 1) = 1`, checked as
/// `g^(p⁴)·g = g^(p²)` with Frobenius maps), and `g^p = g^(6u²)`. Complete: GT lies in the
/// cyclotomic subgroup and `p ≡ 6u² (mod r)`. Sound: the order of such a `g` divides
/// `gcd(p − 6u², p⁴ − p² + 1)`, which is `r` for BN254 (checked by a test). About four times
/// cheaper than arkworks' check (`g^r = 1`, a generic 254-bit exponentiation): the exponent has
/// 127 bits and its squarings are cyclotomic.
pub fn is_in_gt(g: &Fq12) -> bool {
    if g.is_zero() {
        return false;
    }
    let mut p2 = *g;
    p2.frobenius_map_in_place(2);
    let mut p4 = p2;
    p4.frobenius_map_in_place(2);
    if p4 * g != p2 {
        return false;
    }
    let mut p1 = *g;
    p1.frobenius_map_in_place(1);
    let e = [SIX_U_SQUARED as u64, (SIX_U_SQUARED >> 64) as u64];
    p1 == g.cyclotomic_exp(e)
}

/// [`is_in_gt`] as a deserialization check.
fn check_gt(g: &PairingOutput<Bn254>) -> Result<(), SerializationError> {
    if is_in_gt(&g.0) {
        Ok(())
    } else {
        Err(SerializationError::InvalidData)
    }
}

/// The prover's opening hint: the row commitments `T_row`, the commitment itself and, for a
/// hiding commitment, its blinding scalar `r` (`C = Σ_row e(T_row, Γ₂[row]) + r·e(H₁, H₂)`).
///
/// Serializable so that a proving key can store the hints of commitments made at setup (the
/// weights). It is secret when the commitment is hiding.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct DoryHint {
    rows: Vec<G1Projective>,
    commitment: DoryCommitment,
    blind: Fr,
}

impl DoryHint {
    /// The row commitments.
    pub fn rows(&self) -> &[G1Projective] {
        &self.rows
    }

    /// The commitment these rows make.
    pub fn commitment(&self) -> &DoryCommitment {
        &self.commitment
    }

    /// Whether the commitment is hiding (blinded).
    pub fn is_hiding(&self) -> bool {
        !self.blind.is_zero()
    }
}

/// A Dory evaluation proof (`σ` rounds; about 27 KB compressed at `σ = 10`).
///
/// Its deserialization bounds every length before allocating and validates every group
/// element (on the curve, in the prime-order subgroup).
#[derive(Clone, Debug, PartialEq)]
pub struct DoryOpeningProof(ArkDoryProof);

impl DoryOpeningProof {
    /// The `dory-pcs` proof.
    pub fn inner(&self) -> &ArkDoryProof {
        &self.0
    }
}

/// The Dory commitment scheme over BN254.
#[derive(Clone, Copy, Debug, Default)]
pub struct DoryScheme;

impl CommitmentScheme for DoryScheme {
    type ProverSetup = DoryProverSetup;
    type VerifierSetup = DoryVerifierSetup;
    type Commitment = DoryCommitment;
    type OpeningProof = DoryOpeningProof;
    type OpeningHint = DoryHint;

    const PROTOCOL_NAME: &'static [u8] = b"atlas-dory-v1";

    /// The setup for `σ = ⌈max_num_vars/2⌉`, from the in-process cache, cut out of a larger
    /// cached setup, or generated.
    fn setup(max_num_vars: usize) -> (DoryProverSetup, DoryVerifierSetup) {
        let sigma = sigma_for(max_num_vars);
        let cache = SETUPS.get_or_init(Default::default);
        // A poisoned lock only means another thread panicked while generating; the map itself
        // holds complete entries only.
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = cache.get(&sigma) {
            return entry.clone();
        }
        let entry = match cache.range(sigma..).next() {
            Some((_, larger)) => truncate_setup(larger, sigma),
            None => generate_setup(sigma),
        };
        cache.insert(sigma, entry.clone());
        entry
    }

    fn max_num_vars(setup: &DoryProverSetup) -> usize {
        setup.max_num_vars()
    }

    #[tracing::instrument(skip_all, name = "Dory::commit", fields(len = evals.len()))]
    fn commit(
        setup: &DoryProverSetup,
        evals: &[Fr],
    ) -> Result<(DoryCommitment, DoryHint), PcsError> {
        setup.check_len(evals.len())?;
        let rows = evals
            .par_chunks(1 << setup.sigma)
            .map(|row| G1Projective::msm_unchecked(&setup.g1_affine[..row.len()], row))
            .collect();
        Ok(setup.finish(rows))
    }

    #[tracing::instrument(skip_all, name = "Dory::commit_small", fields(len = evals.len()))]
    fn commit_small<S: SmallScalar>(
        setup: &DoryProverSetup,
        evals: &[S],
    ) -> Result<(DoryCommitment, DoryHint), PcsError> {
        setup.check_len(evals.len())?;
        let rows = evals
            .par_chunks(1 << setup.sigma)
            .map(|row| msm_small(&setup.g1_affine[..row.len()], row))
            .collect();
        Ok(setup.finish(rows))
    }

    #[tracing::instrument(skip_all, name = "Dory::commit_one_hot", fields(k = poly.num_addresses(), t = poly.num_cycles()))]
    fn commit_one_hot(
        setup: &DoryProverSetup,
        poly: &OneHotPolynomial<'_>,
    ) -> Result<(DoryCommitment, DoryHint), PcsError> {
        let len = poly.num_addresses() * poly.num_cycles();
        setup.check_len(len)?;
        let sigma = setup.sigma;
        let num_rows = len.div_ceil(1 << sigma);
        // Bucket the non-zero columns by row (counting sort), then sum generators row by row.
        let mut offsets = vec![0usize; num_rows + 1];
        for i in poly.nonzero_indices() {
            offsets[(i >> sigma) + 1] += 1;
        }
        for r in 0..num_rows {
            offsets[r + 1] += offsets[r];
        }
        let mut cursor = offsets.clone();
        let mut columns = vec![0u32; offsets[num_rows]];
        let col_mask = (1usize << sigma) - 1;
        for i in poly.nonzero_indices() {
            let r = i >> sigma;
            columns[cursor[r]] = (i & col_mask) as u32;
            cursor[r] += 1;
        }
        let rows_per_task = num_rows.div_ceil(4 * rayon::current_num_threads()).max(1);
        let rows = (0..num_rows)
            .step_by(rows_per_task)
            .collect::<Vec<_>>()
            .into_par_iter()
            .flat_map_iter(|first| {
                let bounds = &offsets[first..=(first + rows_per_task).min(num_rows)];
                sum_rows(&setup.g1_affine, &columns, bounds)
            })
            .collect();
        let nonzero: Vec<usize> = poly.nonzero_indices().collect();
        Ok(setup.finish_with(rows, Some(&nonzero)))
    }

    #[tracing::instrument(skip_all, name = "Dory::prove", fields(len = evals.len(), num_vars = point.len()))]
    fn prove(
        setup: &DoryProverSetup,
        evals: &[Fr],
        point: &[Fr],
        hint: &DoryHint,
        transcript: &mut Transcript,
    ) -> Result<DoryOpeningProof, PcsError> {
        let num_vars = point.len();
        let (nu, sigma) = setup.shape(num_vars)?;
        if evals.len() > 1usize << num_vars {
            return Err(PcsError::PointTooShort {
                len: evals.len(),
                num_vars,
            });
        }
        if hint.is_hiding() {
            return Err(PcsError::Prover(
                "a hiding commitment is opened with DoryScheme::prove_zk".to_string(),
            ));
        }
        let padded_point = pad_point(point, nu + sigma);
        let eval = evaluate_matrix(evals, &padded_point, sigma);
        absorb_statement(transcript, &hint.commitment, point, Some(&eval));
        let (proof, _) =
            prove_with_mode::<Transparent>(setup, evals, &padded_point, nu, hint, transcript)?;
        Ok(proof)
    }

    #[tracing::instrument(skip_all, name = "Dory::verify", fields(num_vars = point.len()))]
    fn verify(
        setup: &DoryVerifierSetup,
        commitment: &DoryCommitment,
        point: &[Fr],
        eval: &Fr,
        proof: &DoryOpeningProof,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError> {
        let p = &proof.0;
        check_proof_shape(setup, point.len(), p)?;
        if !matches!(p.mode(), Ok(ProofMode::Transparent(..))) {
            return Err(PcsError::MalformedProof(
                "not a transparent-mode proof".to_string(),
            ));
        }
        absorb_statement(transcript, commitment, point, Some(eval));
        verify_with_eval(setup, commitment, point, eval, p, transcript)
    }

    fn combine_commitments(
        commitments: &[&DoryCommitment],
        coeffs: &[Fr],
    ) -> Result<DoryCommitment, PcsError> {
        if commitments.len() != coeffs.len() {
            return Err(PcsError::LengthMismatch {
                expected: commitments.len(),
                actual: coeffs.len(),
            });
        }
        let ts: Vec<ArkGT> = commitments.iter().map(|c| ArkGT(c.0)).collect();
        let ks: Vec<ArkFr> = coeffs.iter().copied().map(ArkFr).collect();
        Ok(DoryCommitment(BN254::gt_msm(&ts, &ks).0))
    }

    fn combine_hints(hints: &[&DoryHint], coeffs: &[Fr]) -> Result<DoryHint, PcsError> {
        if hints.len() != coeffs.len() {
            return Err(PcsError::LengthMismatch {
                expected: hints.len(),
                actual: coeffs.len(),
            });
        }
        let affine: Vec<Vec<G1Affine>> = hints
            .par_iter()
            .map(|h| G1Projective::normalize_batch(&h.rows))
            .collect();
        let num_rows = hints.iter().map(|h| h.rows.len()).max().unwrap_or(0);
        let rows = (0..num_rows)
            .into_par_iter()
            .map(|i| {
                let (bases, scalars): (Vec<G1Affine>, Vec<Fr>) = affine
                    .iter()
                    .zip(coeffs)
                    .filter_map(|(rows, c)| rows.get(i).map(|r| (*r, *c)))
                    .unzip();
                G1Projective::msm_unchecked(&bases, &scalars)
            })
            .collect();
        let commitments: Vec<&DoryCommitment> = hints.iter().map(|h| &h.commitment).collect();
        let commitment = Self::combine_commitments(&commitments, coeffs)?;
        let blind = hints.iter().zip(coeffs).map(|(h, c)| h.blind * c).sum();
        Ok(DoryHint {
            rows,
            commitment,
            blind,
        })
    }
}

/// Absorbs the statement `(C, r, y)` of an opening (`y` is absent, hidden, in zero-knowledge
/// mode: Dory then absorbs its commitment `y_com`).
fn absorb_statement(
    transcript: &mut Transcript,
    commitment: &DoryCommitment,
    point: &[Fr],
    eval: Option<&Fr>,
) {
    transcript.append_bytes(b"pcs_protocol", DoryScheme::PROTOCOL_NAME);
    transcript.append_serializable(b"pcs_commitment", commitment);
    transcript.append_scalars(b"pcs_point", point);
    if let Some(eval) = eval {
        transcript.append_scalar(b"pcs_eval", eval);
    }
}

/// Runs `dory-pcs`'s prover in mode `Mo` on a table whose point is already padded to `ν + σ`
/// coordinates; returns the proof and, in zero-knowledge mode, the blinding of `y_com`.
fn prove_with_mode<Mo: Mode>(
    setup: &DoryProverSetup,
    evals: &[Fr],
    padded_point: &[Fr],
    nu: usize,
    hint: &DoryHint,
    transcript: &mut Transcript,
) -> Result<(DoryOpeningProof, Option<Fr>), PcsError> {
    let sigma = setup.sigma;
    let num_rows = 1usize << nu;
    if hint.rows.len() > num_rows {
        return Err(PcsError::HintMismatch {
            rows: hint.rows.len(),
            max_rows: num_rows,
        });
    }
    let mut rows: Vec<ArkG1> = hint.rows.iter().map(|r| ArkG1(*r)).collect();
    rows.resize(num_rows, ArkG1::identity());
    let poly = DenseMatrix {
        evals,
        num_vars: nu + sigma,
        sigma,
    };
    let ark_point: Vec<ArkFr> = padded_point.iter().copied().map(ArkFr).collect();
    let (proof, r_y) = with_setup_g2(setup, || {
        dory_pcs::prove::<_, ProverCurve, G1Routines, AtlasG2Routines, _, _, Mo>(
            &poly,
            &ark_point,
            rows,
            ArkFr(hint.blind),
            nu,
            sigma,
            &setup.inner,
            &mut DoryTranscript::new(transcript),
        )
    })
    .map_err(|e| PcsError::Prover(e.to_string()))?;
    Ok((DoryOpeningProof(proof), r_y.map(|r| r.0)))
}

/// `dory-pcs`'s G2 routines with GLV scalar multiplication in the folds (arkworks multiplies G2
/// points by plain double-and-add; G1 already uses GLV).
struct AtlasG2Routines;

/// `k·p` in G2 by the GLV decomposition.
fn g2_mul(p: &G2Projective, k: &Fr) -> G2Projective {
    <g2::Config as GLVConfig>::glv_mul_projective(*p, *k)
}

impl DoryRoutines<ArkG2> for AtlasG2Routines {
    fn msm(bases: &[ArkG2], scalars: &[ArkFr]) -> ArkG2 {
        G2Routines::msm(bases, scalars)
    }

    fn fixed_base_vector_scalar_mul(base: &ArkG2, scalars: &[ArkFr]) -> Vec<ArkG2> {
        scalars
            .par_iter()
            .map(|k| ArkG2(g2_mul(&base.0, &k.0)))
            .collect()
    }

    fn fixed_scalar_mul_bases_then_add(bases: &[ArkG2], vs: &mut [ArkG2], scalar: &ArkFr) {
        assert_eq!(bases.len(), vs.len(), "lengths must match");
        vs.par_iter_mut()
            .zip(bases.par_iter())
            .for_each(|(v, base)| v.0 += g2_mul(&base.0, &scalar.0));
    }

    fn fixed_scalar_mul_vs_then_add(vs: &mut [ArkG2], addends: &[ArkG2], scalar: &ArkFr) {
        assert_eq!(vs.len(), addends.len(), "lengths must match");
        vs.par_iter_mut()
            .zip(addends.par_iter())
            .for_each(|(v, addend)| v.0 = g2_mul(&v.0, &scalar.0) + addend.0);
    }

    fn fold_field_vectors(left: &mut [ArkFr], right: &[ArkFr], scalar: &ArkFr) {
        G2Routines::fold_field_vectors(left, right, scalar)
    }
}

/// Checks the matrix shape and round count of a proof for a point of `num_vars` coordinates.
fn check_proof_shape(
    setup: &DoryVerifierSetup,
    num_vars: usize,
    p: &ArkDoryProof,
) -> Result<(), PcsError> {
    let (nu, sigma) = shape(setup.sigma, num_vars)?;
    if p.nu != nu || p.sigma != sigma {
        return Err(PcsError::MalformedProof(format!(
            "matrix is 2^{} x 2^{}, expected 2^{nu} x 2^{sigma}",
            p.nu, p.sigma
        )));
    }
    if p.first_messages.len() != sigma || p.second_messages.len() != sigma {
        return Err(PcsError::MalformedProof(format!(
            "{} and {} reduce messages, expected {sigma}",
            p.first_messages.len(),
            p.second_messages.len()
        )));
    }
    Ok(())
}

/// Runs `dory-pcs`'s verifier (shape already checked, statement already absorbed). In
/// zero-knowledge mode `dory-pcs` ignores `eval`.
fn verify_with_eval(
    setup: &DoryVerifierSetup,
    commitment: &DoryCommitment,
    point: &[Fr],
    eval: &Fr,
    p: &ArkDoryProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let ark_point: Vec<ArkFr> = pad_point(point, p.nu + p.sigma)
        .into_iter()
        .map(ArkFr)
        .collect();
    dory_pcs::verify::<_, BN254, G1Routines, G2Routines, _>(
        ArkGT(commitment.0),
        ArkFr(*eval),
        &ark_point,
        p,
        (*setup.inner).clone(),
        &mut DoryTranscript::new(transcript),
    )
    .map_err(|e| match e {
        DoryError::InvalidProof => PcsError::VerificationFailed,
        other => PcsError::MalformedProof(other.to_string()),
    })
}

/// What a zero-knowledge opening tells the prover about the hidden evaluation `y`: the Pedersen
/// commitment `y_com = y·G + r_y·H` the verifier receives (with `(G, H)` =
/// [`DoryVerifierSetup::evaluation_generators`]) and its opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZkEvaluation {
    /// The evaluation `p̃(r)`.
    pub eval: Fr,
    /// The blinding `r_y` of `y_com`.
    pub blind: Fr,
    /// `y_com = eval·G + blind·H`.
    pub y_com: G1Projective,
}

/// Zero-knowledge (hiding) mode, for BlindFold (DESIGN.md §5).
///
/// A hiding commitment is `C + r·e(H₁, H₂)` for a fresh random `r`; a zero-knowledge opening
/// reveals neither the table nor the evaluation `y`, only `y_com = y·G + r_y·H`.
///
/// # Soundness
/// [`DoryScheme::verify_zk`] proves that `y_com` commits to `p̃(r)`, nothing about its value: the
/// caller must bind `y_com` into the relation it checks (BlindFold's R1CS), or the opening proves
/// nothing. The transparent [`CommitmentScheme::verify`] rejects zero-knowledge proofs.
impl DoryScheme {
    /// Blinds a commitment made by any `commit*` function with a fresh random scalar.
    pub fn hide(
        setup: &DoryProverSetup,
        (commitment, hint): (DoryCommitment, DoryHint),
    ) -> (DoryCommitment, DoryHint) {
        let r = Fr::rand(&mut rand::thread_rng());
        let hidden = DoryCommitment(commitment.0 + setup.inner.ht.0 * r);
        (
            hidden,
            DoryHint {
                rows: hint.rows,
                commitment: hidden,
                blind: hint.blind + r,
            },
        )
    }

    /// Proves in zero knowledge that the table committed with `hint` (hiding or not) evaluates at
    /// `point` to the value committed in the returned `y_com`.
    pub fn prove_zk(
        setup: &DoryProverSetup,
        evals: &[Fr],
        point: &[Fr],
        hint: &DoryHint,
        transcript: &mut Transcript,
    ) -> Result<(DoryOpeningProof, ZkEvaluation), PcsError> {
        let num_vars = point.len();
        let (nu, sigma) = setup.shape(num_vars)?;
        if evals.len() > 1usize << num_vars {
            return Err(PcsError::PointTooShort {
                len: evals.len(),
                num_vars,
            });
        }
        let padded_point = pad_point(point, nu + sigma);
        absorb_statement(transcript, &hint.commitment, point, None);
        let (proof, blind) =
            prove_with_mode::<ZK>(setup, evals, &padded_point, nu, hint, transcript)?;
        let (Some(blind), Some(y_com)) = (blind, proof.0.y_com) else {
            return Err(PcsError::Prover(
                "zero-knowledge proof without y_com".to_string(),
            ));
        };
        let eval = evaluate_matrix(evals, &padded_point, sigma);
        Ok((
            proof,
            ZkEvaluation {
                eval,
                blind,
                y_com: y_com.0,
            },
        ))
    }

    /// Verifies a zero-knowledge opening of `commitment` at `point` and returns `y_com`, the
    /// commitment to the evaluation. See the soundness note above.
    pub fn verify_zk(
        setup: &DoryVerifierSetup,
        commitment: &DoryCommitment,
        point: &[Fr],
        proof: &DoryOpeningProof,
        transcript: &mut Transcript,
    ) -> Result<G1Projective, PcsError> {
        let p = &proof.0;
        check_proof_shape(setup, point.len(), p)?;
        let y_com = match p.mode() {
            Ok(ProofMode::Zk { y_com, .. }) => y_com.0,
            _ => {
                return Err(PcsError::MalformedProof(
                    "not a zero-knowledge proof".to_string(),
                ))
            }
        };
        absorb_statement(transcript, commitment, point, None);
        verify_with_eval(setup, commitment, point, &Fr::zero(), p, transcript)?;
        Ok(y_com)
    }
}

/// `point` followed by zeros up to `len` coordinates.
fn pad_point(point: &[Fr], len: usize) -> Vec<Fr> {
    let mut padded = point.to_vec();
    padded.resize(len, Fr::zero());
    padded
}

/// `p̃(point)` for a table laid out in rows of `2^σ` (`point` has at least `σ` coordinates).
fn evaluate_matrix(evals: &[Fr], point: &[Fr], sigma: usize) -> Fr {
    let right = EqPolynomial::evals(&point[..sigma]);
    let left = EqPolynomial::evals(&point[sigma..]);
    evals
        .par_chunks(1 << sigma)
        .zip(left.par_iter())
        .map(|(row, l)| *l * row.iter().zip(&right).map(|(a, b)| *a * b).sum::<Fr>())
        .sum()
}

/// `Σ_{c ∈ S_r} bases[c]` for each row `r`, where `S_r = columns[bounds[r]..bounds[r + 1]]` (a
/// set: no column twice). The sums are taken pairwise, level by level, in affine coordinates
/// with one batched inversion per level: about 6 multiplications per addition, against 11 for
/// a mixed addition. Should two summands share an x-coordinate (`P = ±Q`, which needs a known
/// relation between the hashed generators) the rows are summed projectively instead.
fn sum_rows(bases: &[G1Affine], columns: &[u32], bounds: &[usize]) -> Vec<G1Projective> {
    let start = bounds[0];
    let mut points: Vec<G1Affine> = columns[start..bounds[bounds.len() - 1]]
        .iter()
        .map(|&c| bases[c as usize])
        .collect();
    let mut bounds: Vec<usize> = bounds.iter().map(|b| b - start).collect();
    let projective = |points: &[G1Affine], bounds: &[usize]| {
        bounds
            .windows(2)
            .map(|w| {
                points[w[0]..w[1]]
                    .iter()
                    .fold(G1Projective::zero(), |a, p| a + p)
            })
            .collect()
    };
    let mut inverses = Vec::new();
    while bounds.windows(2).any(|w| w[1] - w[0] > 1) {
        // Denominators x₂ − x₁ of every pair, each row's points paired in order.
        inverses.clear();
        for w in bounds.windows(2) {
            for pair in points[w[0]..w[1]].chunks_exact(2) {
                let d = pair[1].x - pair[0].x;
                if d.is_zero() || pair[0].is_zero() || pair[1].is_zero() {
                    return projective(&points, &bounds);
                }
                inverses.push(d);
            }
        }
        ark_ff::batch_inversion(&mut inverses);
        let mut next = Vec::with_capacity(points.len().div_ceil(2));
        let mut next_bounds = Vec::with_capacity(bounds.len());
        next_bounds.push(0);
        let mut inv = inverses.iter();
        for w in bounds.windows(2) {
            let row = &points[w[0]..w[1]];
            for pair in row.chunks(2) {
                match pair {
                    [p, q] => {
                        let lambda = (q.y - p.y) * inv.next().expect("one inverse per pair");
                        let x = lambda.square() - p.x - q.x;
                        let y = lambda * (p.x - x) - p.y;
                        next.push(G1Affine::new_unchecked(x, y));
                    }
                    [p] => next.push(*p),
                    _ => unreachable!("chunks of one or two"),
                }
            }
            next_bounds.push(next.len());
        }
        points = next;
        bounds = next_bounds;
    }
    bounds
        .windows(2)
        .map(|w| match w[1] - w[0] {
            0 => G1Projective::zero(),
            _ => points[w[0]].into_group(),
        })
        .collect()
}

/// `Σ_i scalars[i]·bases[i]` for small integers: Pippenger over only the windows the largest
/// magnitude occupies, with the sign applied to the base.
fn msm_small<S: SmallScalar>(bases: &[G1Affine], scalars: &[S]) -> G1Projective {
    let max = scalars
        .iter()
        .map(|s| s.sign_magnitude().1)
        .max()
        .unwrap_or(0);
    if max == 0 {
        return G1Projective::zero();
    }
    let bits = (u64::BITS - max.leading_zeros()) as usize;
    let n = scalars.len();
    // Cost of window c: one mixed addition per point per window plus two per bucket.
    let c = (1..=16usize)
        .min_by_key(|&c| bits.div_ceil(c) * (n + (2usize << c)))
        .unwrap_or(1);
    let windows = bits.div_ceil(c);
    let mask = (1u64 << c) - 1;
    let mut buckets = vec![G1Projective::zero(); (1 << c) - 1];
    let mut total = G1Projective::zero();
    for w in (0..windows).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        buckets.fill(G1Projective::zero());
        for (base, s) in bases.iter().zip(scalars) {
            let (negative, magnitude) = s.sign_magnitude();
            // w·c < bits ≤ 64, so the shift is in range.
            let digit = (magnitude >> (w * c)) & mask;
            if digit != 0 {
                let bucket = &mut buckets[digit as usize - 1];
                if negative {
                    *bucket -= base;
                } else {
                    *bucket += base;
                }
            }
        }
        let mut running = G1Projective::zero();
        let mut window_sum = G1Projective::zero();
        for bucket in buckets.iter().rev() {
            running += bucket;
            window_sum += running;
        }
        total += window_sum;
    }
    total
}

/// A borrowed dense table viewed as `dory-pcs`'s matrix polynomial.
struct DenseMatrix<'a> {
    evals: &'a [Fr],
    num_vars: usize,
    sigma: usize,
}

impl Polynomial<ArkFr> for DenseMatrix<'_> {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn evaluate(&self, point: &[ArkFr]) -> ArkFr {
        let point: Vec<Fr> = point.iter().map(|x| x.0).collect();
        ArkFr(evaluate_matrix(self.evals, &point, self.sigma))
    }

    /// Never used: [`DoryScheme`] computes the row commitments itself and always passes them.
    fn commit<E, Mo, M1>(
        &self,
        _nu: usize,
        _sigma: usize,
        _setup: &ProverSetup<E>,
    ) -> Result<(E::GT, Vec<E::G1>, ArkFr), DoryError>
    where
        E: PairingCurve,
        Mo: Mode,
        M1: DoryRoutines<E::G1>,
        E::G1: Group<Scalar = ArkFr>,
        E::GT: Group<Scalar = ArkFr>,
    {
        Err(DoryError::InvalidInput(
            "row commitments are computed by DoryScheme".to_string(),
        ))
    }
}

impl MultilinearLagrange<ArkFr> for DenseMatrix<'_> {
    /// `v[col] = Σ_row left[row]·M[row][col]`, row-major and in parallel.
    fn vector_matrix_product(&self, left_vec: &[ArkFr], _nu: usize, sigma: usize) -> Vec<ArkFr> {
        let cols = 1usize << sigma;
        let add = |mut a: Vec<Fr>, b: Vec<Fr>| {
            for (x, y) in a.iter_mut().zip(&b) {
                *x += y;
            }
            a
        };
        self.evals
            .par_chunks(cols)
            .zip(left_vec.par_iter())
            .fold(
                || vec![Fr::zero(); cols],
                |mut acc, (row, l)| {
                    for (a, m) in acc.iter_mut().zip(row) {
                        *a += l.0 * m;
                    }
                    acc
                },
            )
            .reduce(|| vec![Fr::zero(); cols], add)
            .into_iter()
            .map(ArkFr)
            .collect()
    }
}

/// Every label `dory-pcs` uses, so that its appends keep their names in our transcript (whose
/// labels are `'static`).
const DORY_LABELS: &[&[u8]] = &[
    b"vmv_c",
    b"vmv_d2",
    b"vmv_e1",
    b"vmv_e2",
    b"vmv_y_com",
    b"d1_left",
    b"d1_right",
    b"d2_left",
    b"d2_right",
    b"e1_beta",
    b"e2_beta",
    b"c_plus",
    b"c_minus",
    b"e1_plus",
    b"e1_minus",
    b"e2_plus",
    b"e2_minus",
    b"final_e1",
    b"final_e2",
    b"alpha",
    b"beta",
    b"gamma",
    b"d",
    b"sigma1_a1",
    b"sigma1_a2",
    b"sigma1_c",
    b"sigma2_a",
    b"sigma2_c",
    b"sigma2_z1",
    b"sigma2_z2",
    b"sigma_c",
    b"sigma_e1",
    b"sigma_e2",
    b"sigma_p1",
    b"sigma_p2",
    b"sigma_q",
    b"sigma_r",
    b"sigma_r1",
    b"sigma_r2",
    b"sigma_r3",
];

/// Forwards `dory-pcs`'s Fiat–Shamir operations to our [`Transcript`] (for the curve type `E`
/// the prover or the verifier runs with).
struct DoryTranscript<'a, E>(&'a mut Transcript, PhantomData<E>);

impl<'a, E> DoryTranscript<'a, E> {
    fn new(transcript: &'a mut Transcript) -> Self {
        Self(transcript, PhantomData)
    }
}

impl<E> DoryTranscript<'_, E> {
    /// Appends under the dory label when it is a known one; otherwise under a fixed label with
    /// the dory label prefixed to the payload (so the encoding stays injective).
    fn absorb(&mut self, label: &[u8], bytes: &[u8]) {
        match DORY_LABELS.iter().find(|l| **l == label) {
            Some(label) => self.0.append_bytes(label, bytes),
            None => {
                let mut payload = Vec::with_capacity(8 + label.len() + bytes.len());
                payload.extend_from_slice(&(label.len() as u64).to_le_bytes());
                payload.extend_from_slice(label);
                payload.extend_from_slice(bytes);
                self.0.append_bytes(b"dory_other", &payload);
            }
        }
    }

    fn absorb_dory<S: DorySerialize>(&mut self, label: &[u8], s: &S) {
        let mut bytes = Vec::new();
        s.serialize_compressed(&mut bytes)
            .expect("serializing into a Vec cannot fail");
        self.absorb(label, &bytes);
    }
}

impl<E: PairingCurve<G1 = ArkG1>> dory_pcs::primitives::transcript::Transcript
    for DoryTranscript<'_, E>
{
    type Curve = E;

    fn append_bytes(&mut self, label: &[u8], bytes: &[u8]) {
        self.absorb(label, bytes);
    }

    fn append_field(&mut self, label: &[u8], x: &ArkFr) {
        self.absorb_dory(label, x);
    }

    fn append_group<G: Group>(&mut self, label: &[u8], g: &G) {
        self.absorb_dory(label, g);
    }

    fn append_serde<S: DorySerialize>(&mut self, label: &[u8], s: &S) {
        self.absorb_dory(label, s);
    }

    fn challenge_scalar(&mut self, label: &[u8]) -> ArkFr {
        let label = DORY_LABELS
            .iter()
            .find(|l| **l == label)
            .copied()
            .unwrap_or(b"dory_challenge");
        ArkFr(self.0.challenge_scalar(label))
    }

    /// `dory-pcs` never resets the transcript during `prove` or `verify`; doing so would discard
    /// the statement absorbed before the proof, so it is refused.
    fn reset(&mut self, _domain_label: &[u8]) {
        panic!("the Dory transcript adapter cannot be reset: it would forget the statement");
    }
}

impl Valid for DoryOpeningProof {
    /// Every group element on the curve and in its prime-order subgroup (GT by [`is_in_gt`]),
    /// checked in parallel; the zero-knowledge parts are validated while they are read.
    fn check(&self) -> Result<(), SerializationError> {
        let p = &self.0;
        let mut gt = vec![&p.vmv_message.c, &p.vmv_message.d2];
        let mut g1 = vec![&p.vmv_message.e1];
        let mut g2 = Vec::new();
        for m in &p.first_messages {
            gt.extend([&m.d1_left, &m.d1_right, &m.d2_left, &m.d2_right]);
            g1.push(&m.e1_beta);
            g2.push(&m.e2_beta);
        }
        for m in &p.second_messages {
            gt.extend([&m.c_plus, &m.c_minus]);
            g1.extend([&m.e1_plus, &m.e1_minus]);
            g2.extend([&m.e2_plus, &m.e2_minus]);
        }
        if let Some(m) = &p.final_message {
            g1.push(&m.e1);
            g2.push(&m.e2);
        }
        g2.extend(&p.e2);
        g1.extend(&p.y_com);
        let checks = gt.par_iter().map(|t| check_gt(&t.0));
        let checks = checks.chain(g1.par_iter().map(|x| x.0.check()));
        let checks = checks.chain(g2.par_iter().map(|x| x.0.check()));
        checks.collect()
    }
}

impl CanonicalSerialize for DoryOpeningProof {
    fn serialize_with_mode<W: Write>(
        &self,
        writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.0.serialize_with_mode(writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.0.serialized_size(compress)
    }
}

/// Reads `dory-pcs`'s optional field encoding: a `0`/`1` tag byte, then the value.
fn read_option<T: CanonicalDeserialize, R: Read>(
    reader: &mut R,
    compress: Compress,
    validate: Validate,
) -> Result<Option<T>, SerializationError> {
    match u8::deserialize_with_mode(&mut *reader, compress, validate)? {
        0 => Ok(None),
        1 => Ok(Some(T::deserialize_with_mode(reader, compress, validate)?)),
        _ => Err(SerializationError::InvalidData),
    }
}

/// Reads a GT element without validating it (see [`DoryOpeningProof`]'s `check`).
fn read_gt<R: Read>(reader: &mut R, compress: Compress) -> Result<ArkGT, SerializationError> {
    PairingOutput::deserialize_with_mode(reader, compress, Validate::No).map(ArkGT)
}

/// Reads a G1 point on the curve, without the subgroup check.
fn read_g1<R: Read>(reader: &mut R, compress: Compress) -> Result<ArkG1, SerializationError> {
    G1Projective::deserialize_with_mode(reader, compress, Validate::No).map(ArkG1)
}

/// Reads a G2 point on the curve, without the subgroup check.
fn read_g2<R: Read>(reader: &mut R, compress: Compress) -> Result<ArkG2, SerializationError> {
    G2Projective::deserialize_with_mode(reader, compress, Validate::No).map(ArkG2)
}

/// Reads `dory-pcs`'s optional field encoding with `read` for the value.
fn read_option_with<T, R: Read>(
    reader: &mut R,
    compress: Compress,
    read: impl FnOnce(&mut R, Compress) -> Result<T, SerializationError>,
) -> Result<Option<T>, SerializationError> {
    match u8::deserialize_with_mode(&mut *reader, compress, Validate::No)? {
        0 => Ok(None),
        1 => Ok(Some(read(reader, compress)?)),
        _ => Err(SerializationError::InvalidData),
    }
}

impl CanonicalDeserialize for DoryOpeningProof {
    /// The `dory-pcs` encoding, read field by field so that the round count is bounded by
    /// `MAX_PROOF_ROUNDS` (32) before anything is allocated. The group elements are read
    /// unchecked, then (with [`Validate::Yes`]) checked all at once, in parallel.
    fn deserialize_with_mode<R: Read>(
        mut reader: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let r = &mut reader;
        macro_rules! gt {
            () => {
                read_gt(&mut *r, compress)?
            };
        }
        macro_rules! g1 {
            () => {
                read_g1(&mut *r, compress)?
            };
        }
        macro_rules! g2 {
            () => {
                read_g2(&mut *r, compress)?
            };
        }
        let vmv_message = VMVMessage::<ArkG1, ArkGT> {
            c: gt!(),
            d2: gt!(),
            e1: g1!(),
        };
        let num_rounds = u32::deserialize_with_mode(&mut *r, compress, validate)? as usize;
        if num_rounds > MAX_PROOF_ROUNDS {
            return Err(SerializationError::InvalidData);
        }
        let mut first_messages = Vec::with_capacity(num_rounds);
        for _ in 0..num_rounds {
            first_messages.push(FirstReduceMessage::<ArkG1, ArkG2, ArkGT> {
                d1_left: gt!(),
                d1_right: gt!(),
                d2_left: gt!(),
                d2_right: gt!(),
                e1_beta: g1!(),
                e2_beta: g2!(),
            });
        }
        let mut second_messages = Vec::with_capacity(num_rounds);
        for _ in 0..num_rounds {
            second_messages.push(SecondReduceMessage::<ArkG1, ArkG2, ArkGT> {
                c_plus: gt!(),
                c_minus: gt!(),
                e1_plus: g1!(),
                e1_minus: g1!(),
                e2_plus: g2!(),
                e2_minus: g2!(),
            });
        }
        let final_message = read_option_with(r, compress, |r, c| {
            Ok(ScalarProductMessage::<ArkG1, ArkG2> {
                e1: read_g1(r, c)?,
                e2: read_g2(r, c)?,
            })
        })?;
        let nu = u32::deserialize_with_mode(&mut *r, compress, validate)? as usize;
        let sigma = u32::deserialize_with_mode(&mut *r, compress, validate)? as usize;
        let proof = DoryOpeningProof(DoryProof {
            vmv_message,
            first_messages,
            second_messages,
            final_message,
            nu,
            sigma,
            e2: read_option_with(r, compress, read_g2)?,
            y_com: read_option_with(r, compress, read_g1)?,
            sigma1_proof: read_option::<Sigma1Proof<ArkG1, ArkG2, ArkFr>, _>(
                r, compress, validate,
            )?,
            sigma2_proof: read_option::<Sigma2Proof<ArkFr, ArkGT>, _>(r, compress, validate)?,
            scalar_product_proof: read_option::<ScalarProductProof<ArkG1, ArkG2, ArkFr, ArkGT>, _>(
                r, compress, validate,
            )?,
        });
        if validate == Validate::Yes {
            proof.check()?;
        }
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::{embedding_factor, OneHotLayout};
    use ark_ff::One;
    use ark_std::UniformRand;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    type Scheme = DoryScheme;

    fn random_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    fn mle(evals: &[Fr], point: &[Fr]) -> Fr {
        evals
            .iter()
            .zip(EqPolynomial::evals(point))
            .map(|(a, b)| *a * b)
            .sum()
    }

    /// Commits, proves and verifies; returns the pieces for tampering.
    fn open(
        max_num_vars: usize,
        evals: &[Fr],
        point: &[Fr],
    ) -> (DoryVerifierSetup, DoryCommitment, Fr, DoryOpeningProof) {
        let (pk, vk) = Scheme::setup(max_num_vars);
        let (c, hint) = Scheme::commit(&pk, evals).unwrap();
        let proof = Scheme::prove(&pk, evals, point, &hint, &mut Transcript::new(b"test")).unwrap();
        let eval = mle(evals, point);
        (vk, c, eval, proof)
    }

    fn check(
        vk: &DoryVerifierSetup,
        c: &DoryCommitment,
        point: &[Fr],
        eval: &Fr,
        proof: &DoryOpeningProof,
    ) -> Result<(), PcsError> {
        Scheme::verify(vk, c, point, eval, proof, &mut Transcript::new(b"test"))
    }

    #[test]
    fn miller_loop_matches_arkworks() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let (pk, _) = Scheme::setup(10);
        for n in [0usize, 1, 3, 4, 5, 33, 130] {
            let ps: Vec<G1Affine> = (0..n)
                .map(|i| match i {
                    2 => G1Affine::zero(),
                    _ => G1Projective::rand(&mut rng).into_affine(),
                })
                .collect();
            let pairs: Vec<(G1Affine, &G2Prepared)> = ps
                .iter()
                .enumerate()
                .map(|(i, p)| (*p, &pk.g2_prepared[(7 * i) % 32]))
                .collect();
            let theirs =
                Bn254::multi_miller_loop(ps.clone(), pairs.iter().map(|(_, q)| (*q).clone()));
            assert_eq!(multi_miller_loop(&pairs).0, theirs.0, "{n} pairs");
        }
    }

    #[test]
    fn row_sums_match_projective_sums() {
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let g: Vec<G1Affine> = (0..6)
            .map(|_| G1Projective::rand(&mut rng).into_affine())
            .collect();
        // Bases with a repeated point and a point and its negation, so that some rows add
        // `P + P` or `P + (−P)` (the projective fallback) and others not.
        let bases = vec![g[0], g[1], g[0], -g[1], g[2], g[3], g[4], g[5]];
        let cases: Vec<(Vec<u32>, Vec<usize>)> = vec![
            (vec![], vec![0, 0]),
            (vec![4], vec![0, 1]),
            (vec![4, 5, 6, 7, 0], vec![0, 0, 2, 5]),
            (vec![0, 2], vec![0, 2]),
            (vec![1, 3, 4], vec![0, 1, 3]),
            (vec![4, 5, 6, 7, 0, 1, 2], vec![0, 3, 7]),
        ];
        for (columns, bounds) in cases {
            let expected: Vec<G1Projective> = bounds
                .windows(2)
                .map(|w| columns[w[0]..w[1]].iter().map(|&c| bases[c as usize]).sum())
                .collect();
            assert_eq!(
                sum_rows(&bases, &columns, &bounds),
                expected,
                "{columns:?} {bounds:?}"
            );
        }
    }

    #[test]
    fn sigma_grows_with_the_committed_size() {
        // The narrowest setup that fits, for a few small tables.
        assert_eq!(sigma_for_tables(&[]), 1);
        assert_eq!(sigma_for_tables(&[3]), 2);
        assert_eq!(sigma_for_tables(&[17, 10, 4]), 9);
        // Many tables of 2^20 entries: wider rows, up to the pinned maximum.
        assert_eq!(sigma_for_tables(&[20; 2]), 10);
        assert_eq!(sigma_for_tables(&[20; 100]), 11);
        assert_eq!(sigma_for_tables(&[20; 10_000]), MAX_PINNED_SIGMA);
        // Never narrower than the largest table needs, even beyond the pinned sizes.
        assert_eq!(sigma_for_tables(&[26, 3]), 13);
        // Never wider than the largest table.
        assert_eq!(sigma_for_tables(&[8; 100_000]), 8);
    }

    /// Binary gcd.
    fn gcd(mut a: ark_ff::BigInt<16>, mut b: ark_ff::BigInt<16>) -> ark_ff::BigInt<16> {
        use ark_ff::BigInteger;
        if a.is_zero() {
            return b;
        }
        let mut shift = 0;
        while a.is_even() && b.is_even() {
            a.div2();
            b.div2();
            shift += 1;
        }
        while a.is_even() {
            a.div2();
        }
        while !b.is_zero() {
            while b.is_even() {
                b.div2();
            }
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            b.sub_with_borrow(&a);
        }
        a << shift
    }

    #[test]
    fn gt_membership_test_is_sound() {
        use ark_ff::{BigInt, BigInteger, PrimeField};
        let widen = |limbs: &[u64]| {
            let mut b = BigInt::<16>::zero();
            b.0[..limbs.len()].copy_from_slice(limbs);
            b
        };
        let p = widen(&ark_bn254::Fq::MODULUS.0);
        let r = widen(&Fr::MODULUS.0);
        // Φ₁₂(p) = p⁴ − p² + 1, the order of the cyclotomic subgroup.
        let p2 = p.mul_low(&p);
        let mut phi = p2.mul_low(&p2);
        phi.sub_with_borrow(&p2);
        phi.add_with_carry(&BigInt::from(1u64));
        let mut a = p;
        a.sub_with_borrow(&widen(&[
            SIX_U_SQUARED as u64,
            (SIX_U_SQUARED >> 64) as u64,
        ]));
        assert_eq!(gcd(a, phi), r);
    }

    #[test]
    fn gt_membership() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let member = |rng: &mut ChaCha20Rng| {
            Bn254::pairing(G1Projective::rand(rng), G2Projective::rand(rng)).0
        };
        // The cyclotomic subgroup: f^((p⁶ − 1)(p² + 1)).
        let cyclotomic = |rng: &mut ChaCha20Rng| {
            let f = Fq12::rand(rng);
            let mut g = f;
            g.cyclotomic_inverse_in_place();
            g *= f.inverse().unwrap();
            let mut h = g;
            h.frobenius_map_in_place(2);
            h * g
        };
        assert!(is_in_gt(&Fq12::one()));
        assert!(!is_in_gt(&Fq12::zero()));
        for _ in 0..4 {
            let g = member(&mut rng);
            assert!(is_in_gt(&g));
            assert!(PairingOutput::<Bn254>(g).check().is_ok());
            let f = Fq12::rand(&mut rng);
            assert!(!is_in_gt(&f));
            assert!(!is_in_gt(&-g));
            // Cyclotomic, but not of order r: a random one, its component of order
            // Φ₁₂(p)/r, and a member times that component.
            let c = cyclotomic(&mut rng);
            assert!(!is_in_gt(&c));
            assert!(PairingOutput::<Bn254>(c).check().is_err());
            let h = c.cyclotomic_exp(<Fr as ark_ff::PrimeField>::MODULUS);
            assert!(!h.is_one());
            assert!(!is_in_gt(&h));
            assert!(!is_in_gt(&(h * g)));
            // A non-member is refused when a commitment or a proof is decoded.
            let mut bytes = Vec::new();
            DoryCommitment(PairingOutput(h * g))
                .serialize_compressed(&mut bytes)
                .unwrap();
            assert!(DoryCommitment::deserialize_compressed(&bytes[..]).is_err());
            assert!(DoryCommitment::deserialize_compressed_unchecked(&bytes[..]).is_ok());
        }
        let evals = random_vec(&mut rng, 1 << 4);
        let point = random_vec(&mut rng, 4);
        let (_, _, _, mut proof) = open(4, &evals, &point);
        proof.0.second_messages[1].c_minus = ArkGT(PairingOutput(cyclotomic(&mut rng)));
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        assert!(DoryOpeningProof::deserialize_compressed(&bytes[..]).is_err());
        assert!(DoryOpeningProof::deserialize_compressed_unchecked(&bytes[..]).is_ok());
    }

    #[test]
    fn round_trip_at_several_sizes() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for (max_num_vars, num_vars) in [
            (1, 1),
            (2, 2),
            (3, 3),
            (5, 5),
            (6, 6),
            (7, 7),
            (8, 3),
            (8, 8),
            (9, 0),
        ] {
            let evals = random_vec(&mut rng, 1 << num_vars);
            let point = random_vec(&mut rng, num_vars);
            let (vk, c, eval, proof) = open(max_num_vars, &evals, &point);
            check(&vk, &c, &point, &eval, &proof)
                .unwrap_or_else(|e| panic!("{max_num_vars}/{num_vars}: {e}"));
        }
    }

    #[test]
    fn tampering_is_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let evals = random_vec(&mut rng, 1 << 7);
        let point = random_vec(&mut rng, 7);
        let (vk, c, eval, proof) = open(7, &evals, &point);
        check(&vk, &c, &point, &eval, &proof).unwrap();

        // Wrong evaluation.
        let bad_eval = eval + Fr::from(1u64);
        assert_eq!(
            check(&vk, &c, &point, &bad_eval, &proof),
            Err(PcsError::VerificationFailed)
        );
        // Wrong point.
        let mut bad_point = point.clone();
        bad_point[0] += Fr::from(1u64);
        assert_eq!(
            check(&vk, &c, &bad_point, &eval, &proof),
            Err(PcsError::VerificationFailed)
        );
        // Wrong commitment.
        let mut other = evals.clone();
        other[5] += Fr::from(1u64);
        let (pk, _) = Scheme::setup(7);
        let (bad_c, _) = Scheme::commit(&pk, &other).unwrap();
        assert_eq!(
            check(&vk, &bad_c, &point, &eval, &proof),
            Err(PcsError::VerificationFailed)
        );
        // Different transcript history.
        let mut t = Transcript::new(b"test");
        t.append_u64(b"extra", 1);
        assert!(Scheme::verify(&vk, &c, &point, &eval, &proof, &mut t).is_err());
        // A point of a different size is a shape error, not a panic.
        assert!(check(&vk, &c, &point[..5], &eval, &proof).is_err());
        // A tampered proof message.
        let mut bad_proof = proof.clone();
        bad_proof.0.vmv_message.e1 = ArkG1(bad_proof.0.vmv_message.e1.0.double());
        assert!(check(&vk, &c, &point, &eval, &bad_proof).is_err());
    }

    #[test]
    fn well_formed_but_wrong_messages_are_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let evals = random_vec(&mut rng, 1 << 6);
        let point = random_vec(&mut rng, 6);
        let (vk, c, eval, proof) = open(6, &evals, &point);
        // Valid group elements in the wrong places: swapped rounds, swapped halves, a replaced
        // final message, a changed dimension.
        let mut swapped = proof.clone();
        swapped.0.first_messages.swap(0, 1);
        let mut halves = proof.clone();
        let m = &mut halves.0.second_messages[1];
        std::mem::swap(&mut m.c_plus, &mut m.c_minus);
        let mut final_msg = proof.clone();
        if let Some(f) = final_msg.0.final_message.as_mut() {
            f.e1 = ArkG1(f.e1.0 + G1Affine::generator());
        }
        let mut dims = proof.clone();
        dims.0.nu += 1;
        dims.0.sigma -= 1;
        for bad in [swapped, halves, final_msg, dims] {
            assert!(check(&vk, &c, &point, &eval, &bad).is_err());
        }
        // Random bytes of a proof's length never panic the deserializer.
        let len = proof.compressed_size();
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            if let Ok(p) = DoryOpeningProof::deserialize_compressed(&bytes[..]) {
                assert!(check(&vk, &c, &point, &eval, &p).is_err());
            }
        }
    }

    #[test]
    fn zero_knowledge_shaped_proof_is_rejected() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let evals = random_vec(&mut rng, 1 << 4);
        let point = random_vec(&mut rng, 4);
        let (vk, c, eval, mut proof) = open(4, &evals, &point);
        proof.0.final_message = None;
        assert!(matches!(
            check(&vk, &c, &point, &eval, &proof),
            Err(PcsError::MalformedProof(_))
        ));
    }

    #[test]
    fn proof_serialization_and_malformed_bytes() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let evals = random_vec(&mut rng, 1 << 6);
        let point = random_vec(&mut rng, 6);
        let (vk, c, eval, proof) = open(6, &evals, &point);
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes.len(), proof.compressed_size());
        let back = DoryOpeningProof::deserialize_compressed(&bytes[..]).unwrap();
        assert_eq!(back, proof);
        check(&vk, &c, &point, &eval, &back).unwrap();

        // Truncations never panic.
        for len in (0..bytes.len()).step_by(97) {
            assert!(DoryOpeningProof::deserialize_compressed(&bytes[..len]).is_err());
        }
        // A huge round count is refused before allocating.
        let mut huge = bytes.clone();
        let offset = 2 * CanonicalSerialize::compressed_size(&ArkGT::default())
            + CanonicalSerialize::compressed_size(&ArkG1::default());
        huge[offset..offset + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(DoryOpeningProof::deserialize_compressed(&huge[..]).is_err());
        // Flipping bytes gives an error (bad encoding) or a rejected proof, never a panic.
        for i in (0..bytes.len()).step_by(53) {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x5a;
            if let Ok(p) = DoryOpeningProof::deserialize_compressed(&flipped[..]) {
                assert!(check(&vk, &c, &point, &eval, &p).is_err(), "byte {i}");
            }
        }
        // Commitment bytes round-trip too.
        let mut cb = Vec::new();
        c.serialize_compressed(&mut cb).unwrap();
        assert_eq!(DoryCommitment::deserialize_compressed(&cb[..]).unwrap(), c);
        assert!(DoryCommitment::deserialize_compressed(&cb[..10]).is_err());
    }

    #[test]
    fn small_and_one_hot_commitments_match_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let (pk, _) = Scheme::setup(10);
        for len in [1usize, 5, 64, 1000, 1024] {
            let small: Vec<i32> = (0..len).map(|_| rng.gen()).collect();
            let dense: Vec<Fr> = small.iter().map(|x| x.to_field()).collect();
            let (c, h) = Scheme::commit(&pk, &dense).unwrap();
            let (cs, hs) = Scheme::commit_small(&pk, &small).unwrap();
            assert_eq!(c, cs, "i32 len {len}");
            assert_eq!(h, hs);
            let small64: Vec<i64> = (0..len)
                .map(|_| rng.gen::<i64>() >> rng.gen_range(0..60))
                .collect();
            let dense64: Vec<Fr> = small64.iter().map(|x| x.to_field()).collect();
            assert_eq!(
                Scheme::commit(&pk, &dense64).unwrap().0,
                Scheme::commit_small(&pk, &small64).unwrap().0
            );
            let bits: Vec<bool> = (0..len).map(|_| rng.gen()).collect();
            let dense_bits: Vec<Fr> = bits.iter().map(|x| x.to_field()).collect();
            assert_eq!(
                Scheme::commit(&pk, &dense_bits).unwrap().0,
                Scheme::commit_small(&pk, &bits).unwrap().0
            );
        }
        // The last case (nearly constant keys, many rows) commits by columns.
        for (k, t, spread) in [
            (4usize, 16usize, 4u32),
            (16, 64, 16),
            (2, 4, 2),
            (16, 64, 2),
        ] {
            let addresses: Vec<Option<u32>> = (0..t)
                .map(|_| {
                    rng.gen_bool(0.8)
                        .then(|| 3 + rng.gen_range(0..spread) % k as u32)
                })
                .map(|a| a.map(|a| a % k as u32))
                .collect();
            for layout in [OneHotLayout::AddressMajor, OneHotLayout::CycleMajor] {
                let poly = OneHotPolynomial::new(k, &addresses, layout).unwrap();
                let dense = poly.to_dense();
                let (c, h) = Scheme::commit(&pk, &dense).unwrap();
                let (co, ho) = Scheme::commit_one_hot(&pk, &poly).unwrap();
                assert_eq!(c, co, "one-hot {k}x{t} {layout:?}");
                assert_eq!(h.commitment, ho.commitment);
                // And it opens.
                let point = random_vec(&mut rng, poly.num_vars());
                let mut t1 = Transcript::new(b"oh");
                let proof = Scheme::prove(&pk, &dense, &point, &ho, &mut t1).unwrap();
                let (_, vk) = Scheme::setup(10);
                let eval = poly.evaluate(&point).unwrap();
                Scheme::verify(&vk, &co, &point, &eval, &proof, &mut Transcript::new(b"oh"))
                    .unwrap();
            }
        }
    }

    #[test]
    fn combined_commitments_open_to_combined_evaluation() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let (pk, vk) = Scheme::setup(8);
        // Polynomials of 8, 5 and 2 variables, opened at one 8-variable point.
        let sizes = [8usize, 5, 2];
        let polys: Vec<Vec<Fr>> = sizes.iter().map(|m| random_vec(&mut rng, 1 << m)).collect();
        let small: Vec<i32> = (0..1 << 6).map(|_| rng.gen_range(-100..100)).collect();
        let mut committed: Vec<(DoryCommitment, DoryHint)> = polys
            .iter()
            .map(|p| Scheme::commit(&pk, p).unwrap())
            .collect();
        committed.push(Scheme::commit_small(&pk, &small).unwrap());
        let mut all_polys = polys.clone();
        all_polys.push(small.iter().map(|x| x.to_field()).collect());

        let point = random_vec(&mut rng, 8);
        let coeffs = random_vec(&mut rng, all_polys.len());
        let mut combined = vec![Fr::zero(); 1 << 8];
        let mut claim = Fr::zero();
        for ((p, rho), m) in all_polys.iter().zip(&coeffs).zip([8usize, 5, 2, 6]) {
            for (acc, x) in combined.iter_mut().zip(p) {
                *acc += *rho * x;
            }
            // Embedding: p̃(r[..m]) · Π_{j ≥ m} (1 − r_j).
            claim += *rho * mle(p, &point[..m]) * embedding_factor(&point, m);
        }
        let cs: Vec<&DoryCommitment> = committed.iter().map(|(c, _)| c).collect();
        let hs: Vec<&DoryHint> = committed.iter().map(|(_, h)| h).collect();
        let c = Scheme::combine_commitments(&cs, &coeffs).unwrap();
        let h = Scheme::combine_hints(&hs, &coeffs).unwrap();
        assert_eq!(c, Scheme::commit(&pk, &combined).unwrap().0);
        assert_eq!(h.commitment, c);

        let proof =
            Scheme::prove(&pk, &combined, &point, &h, &mut Transcript::new(b"acc")).unwrap();
        Scheme::verify(
            &vk,
            &c,
            &point,
            &claim,
            &proof,
            &mut Transcript::new(b"acc"),
        )
        .unwrap();
        assert!(Scheme::combine_commitments(&cs, &coeffs[..2]).is_err());
    }

    #[test]
    fn zero_knowledge_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let (pk, vk) = Scheme::setup(6);
        let small: Vec<i32> = (0..1 << 5).map(|_| rng.gen_range(-50..50)).collect();
        let evals: Vec<Fr> = small.iter().map(|x| x.to_field()).collect();
        let point = random_vec(&mut rng, 5);
        let plain = Scheme::commit_small(&pk, &small).unwrap();
        let (c, hint) = Scheme::hide(&pk, plain.clone());
        assert!(hint.is_hiding());
        assert_ne!(c, plain.0);
        assert_ne!(
            Scheme::hide(&pk, plain.clone()).0,
            c,
            "fresh blinding each time"
        );

        let (proof, zk_eval) =
            Scheme::prove_zk(&pk, &evals, &point, &hint, &mut Transcript::new(b"zk")).unwrap();
        assert_eq!(zk_eval.eval, mle(&evals, &point));
        let y_com =
            Scheme::verify_zk(&vk, &c, &point, &proof, &mut Transcript::new(b"zk")).unwrap();
        let (g, h) = vk.evaluation_generators();
        assert_eq!(y_com, g * zk_eval.eval + h * zk_eval.blind);
        assert_eq!(y_com, zk_eval.y_com);

        // Wrong point, wrong commitment, wrong mode are rejected.
        let mut bad_point = point.clone();
        bad_point[1] += Fr::one();
        assert!(
            Scheme::verify_zk(&vk, &c, &bad_point, &proof, &mut Transcript::new(b"zk")).is_err()
        );
        assert!(
            Scheme::verify_zk(&vk, &plain.0, &point, &proof, &mut Transcript::new(b"zk")).is_err()
        );
        assert!(matches!(
            Scheme::verify(
                &vk,
                &c,
                &point,
                &zk_eval.eval,
                &proof,
                &mut Transcript::new(b"zk")
            ),
            Err(PcsError::MalformedProof(_))
        ));
        let transparent =
            Scheme::prove(&pk, &evals, &point, &plain.1, &mut Transcript::new(b"zk")).unwrap();
        assert!(matches!(
            Scheme::verify_zk(
                &vk,
                &plain.0,
                &point,
                &transparent,
                &mut Transcript::new(b"zk")
            ),
            Err(PcsError::MalformedProof(_))
        ));
        // A hiding hint cannot be opened transparently.
        assert!(Scheme::prove(&pk, &evals, &point, &hint, &mut Transcript::new(b"zk")).is_err());
        // The proof survives serialization.
        let mut bytes = Vec::new();
        proof.serialize_compressed(&mut bytes).unwrap();
        let back = DoryOpeningProof::deserialize_compressed(&bytes[..]).unwrap();
        let again = Scheme::verify_zk(&vk, &c, &point, &back, &mut Transcript::new(b"zk")).unwrap();
        assert_eq!(again, y_com);
    }

    #[test]
    fn hiding_commitments_combine() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let (pk, vk) = Scheme::setup(4);
        let a = random_vec(&mut rng, 16);
        let b = random_vec(&mut rng, 8);
        let ca = Scheme::hide(&pk, Scheme::commit(&pk, &a).unwrap());
        let cb = Scheme::hide(&pk, Scheme::commit(&pk, &b).unwrap());
        let coeffs = random_vec(&mut rng, 2);
        let c = Scheme::combine_commitments(&[&ca.0, &cb.0], &coeffs).unwrap();
        let h = Scheme::combine_hints(&[&ca.1, &cb.1], &coeffs).unwrap();
        let combined: Vec<Fr> = (0..16)
            .map(|i| coeffs[0] * a[i] + coeffs[1] * b.get(i).copied().unwrap_or_default())
            .collect();
        let point = random_vec(&mut rng, 4);
        let (proof, zk_eval) =
            Scheme::prove_zk(&pk, &combined, &point, &h, &mut Transcript::new(b"c")).unwrap();
        let y_com = Scheme::verify_zk(&vk, &c, &point, &proof, &mut Transcript::new(b"c")).unwrap();
        assert_eq!(y_com, zk_eval.y_com);
        // Hints serialize (a proving key stores them).
        let mut bytes = Vec::new();
        h.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(DoryHint::deserialize_compressed(&bytes[..]).unwrap(), h);
    }

    #[test]
    fn shape_errors_are_reported() {
        let (pk, vk) = Scheme::setup(4);
        let evals = vec![Fr::one(); 1 << 4];
        assert!(matches!(
            Scheme::commit(&pk, &vec![Fr::one(); 1 << 5]),
            Err(PcsError::PolynomialTooLarge { .. })
        ));
        let (c, h) = Scheme::commit(&pk, &evals).unwrap();
        let mut t = Transcript::new(b"x");
        assert!(matches!(
            Scheme::prove(&pk, &evals, &[Fr::one(); 3], &h, &mut t),
            Err(PcsError::PointTooShort { .. })
        ));
        assert!(matches!(
            Scheme::prove(&pk, &evals, &[Fr::one(); 5], &h, &mut t),
            Err(PcsError::PointTooLarge { .. })
        ));
        let proof = Scheme::prove(&pk, &evals, &[Fr::one(); 4], &h, &mut t).unwrap();
        assert!(matches!(
            Scheme::verify(&vk, &c, &[Fr::one(); 9], &Fr::one(), &proof, &mut t),
            Err(PcsError::PointTooLarge { .. })
        ));
    }

    #[test]
    fn setup_is_deterministic_and_cached_setups_agree() {
        // Cut out of a cached larger setup, and generated fresh, give the same digest.
        let _ = Scheme::setup(8);
        let (_, truncated) = Scheme::setup(6);
        let (_, fresh) = generate_setup(3);
        assert_eq!(truncated.sigma(), 3);
        assert_eq!(setup_digest(&truncated), setup_digest(&fresh));
    }

    fn check_pinned(max_sigma: usize) {
        for &(sigma, digest) in PINNED_SETUP_DIGESTS.iter().filter(|(s, _)| *s <= max_sigma) {
            let (_, vk) = generate_setup(sigma);
            assert_eq!(to_hex(&setup_digest(&vk)), digest, "sigma {sigma}");
            check_setup_digest(&vk).unwrap();
        }
    }

    /// All pinned sizes (about 20 s): `cargo test -p jolt-core all_setup_digests -- --ignored`.
    #[test]
    #[ignore]
    fn all_setup_digests_are_pinned() {
        check_pinned(usize::MAX);
    }

    #[test]
    fn setup_digests_are_pinned() {
        check_pinned(6);
        // The cached setup (possibly cut out of a larger one) passes too.
        let (_, vk) = Scheme::setup(4);
        check_setup_digest(&vk).unwrap();
        let (_, mut other) = generate_setup(2);
        let mut inner = (*other.inner).clone();
        inner.chi[1] = inner.chi[0];
        other.inner = Arc::new(inner);
        assert_eq!(
            check_setup_digest(&other),
            Err(PcsError::SetupDigestMismatch { sigma: 2 })
        );
    }

    /// Prints the digests to pin:
    /// `cargo test -p jolt-core print_setup_digests -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_setup_digests() {
        for sigma in 1..=11 {
            let (_, vk) = generate_setup(sigma);
            println!("({sigma}, \"{}\"),", to_hex(&setup_digest(&vk)));
        }
    }
}
