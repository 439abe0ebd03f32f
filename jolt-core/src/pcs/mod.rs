//! Polynomial commitment schemes for multilinear polynomials.
//!
//! A multilinear polynomial `p` in `n` variables is given by its evaluation table over the boolean
//! hypercube, **little-endian**: `evals[i] = p(x)` where `i = Σ_j x_j·2^j`, and an opening point
//! `r ∈ F^n` assigns `r[j]` to the variable `x_j`. Its multilinear extension is
//!
//! ```text
//! p̃(r) = Σ_i evals[i] · eq(r, i),      eq(r, i) = Π_j (r_j·i_j + (1 − r_j)(1 − i_j)).
//! ```
//!
//! A [`CommitmentScheme`] commits to such a table and proves claims `p̃(r) = y`. It is the seam
//! between the protocols (sumcheck, Shout, Twist) and the cryptography: [`dory`] implements it with
//! Dory (Lee, ePrint 2020/1274), transparent and with logarithmic proofs; a HyperKZG implementation
//! can be added behind the same trait.
//!
//! | module | contents |
//! |---|---|
//! | [`dory`] | [`dory::DoryScheme`]: deterministic transparent setup with a pinned digest, dense / small-integer / one-hot commitments, openings through our [`Transcript`] |
//! | [`pedersen`] | Pedersen vector commitments on BN254 G1, for BlindFold's committed round polynomials |
//! | `generators` (private) | nothing-up-my-sleeve group elements by try-and-increment hashing |
//!
//! # Sizes and embedding of smaller polynomials
//!
//! Commitments are *size-independent*: a table of `m` evaluations is committed as if it were
//! zero-padded to any larger power of two, and the commitment does not change. So a polynomial
//! `q` in `m` variables, viewed as a polynomial `q'` in `n ≥ m` variables, is
//!
//! ```text
//! q'(x_0..x_{n−1}) = q(x_0..x_{m−1}) · Π_{j ≥ m} (1 − x_j),
//! ```
//!
//! i.e. `q̃'(r) = q̃(r[..m]) · Π_{j≥m} (1 − r_j)` (the factor is [`embedding_factor`]): the
//! small table occupies the **low** indices and the high variables are "zero". The
//! opening-reduction (accumulator) relies on this: to open polynomials `p_1..p_k` of different
//! sizes at one point `r` of the largest size `n`, it
//!
//! 1. draws coefficients `ρ_i` from the transcript (after absorbing all claims),
//! 2. forms `C = Σ ρ_i·C_i` with [`CommitmentScheme::combine_commitments`], the hint with
//!    [`CommitmentScheme::combine_hints`], and the dense table `Σ ρ_i·p_i` (each zero-padded),
//! 3. proves and verifies the single claim `Σ ρ_i · p̃_i(r[..m_i]) · Π_{j≥m_i}(1 − r_j)` at `r`.
//!
//! The small table's variables are the **low** coordinates `r[..m]` of the common point. Claims
//! at different points must first be reduced to one point (e.g. by a batched sumcheck over
//! `Σ_i γ^i·eq(r_i, x)·p_i(x)`), arranged so that each smaller polynomial's variables land on a
//! low prefix of the final point; a reduction that leaves them on the high coordinates needs a
//! different embedding, which this module does not provide.
//!
//! For one-hot tables, [`OneHotPolynomial::add_scaled_to`] adds `ρ·ra` into the dense
//! combination without materialising `ra`.
//!
//! # One-hot polynomials
//!
//! Shout's address chunks `ra(k, j)` are `K × T` tables with exactly one `1` per cycle `j` (or
//! none, for a padding cycle). [`OneHotPolynomial`] stores only the address of each cycle; its
//! [`OneHotLayout`] fixes where entry `(k, j)` sits in the evaluation table, and therefore which
//! point coordinates are address and which are cycle variables. Committing costs one group
//! addition per non-zero (no multi-scalar multiplication).
//!
//! # Zero knowledge
//!
//! The trait is the transparent interface. Dory's hiding mode (for BlindFold, DESIGN.md §5) is
//! in [`dory::DoryScheme::hide`], [`dory::DoryScheme::prove_zk`] and
//! [`dory::DoryScheme::verify_zk`]: the verifier gets a Pedersen commitment `y_com` to the
//! evaluation instead of the evaluation, and the caller must bind `y_com` into its R1CS.
//!
//! # Soundness
//! `prove` and `verify` absorb the commitment, the point and the claimed evaluation into the
//! transcript before any challenge, so a proof cannot be replayed for another statement. The
//! caller must still have absorbed each commitment before drawing the challenges that define the
//! point (DESIGN.md §7), and must absorb the claims before drawing the `ρ_i` above.
//!
//! The verifier must know, from the protocol, how many variables each committed table has, and
//! open it at points of at least that many coordinates: a commitment binds the whole table, and
//! an opening at a shorter point either fails or speaks only of the table's first `2^n` entries.

mod columns;
pub mod dory;
mod generators;
pub mod pedersen;

use crate::field::Fr;
pub use crate::field::SmallScalar;
use crate::poly::EqPolynomial;
use crate::transcript::Transcript;
use ark_ff::{One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use std::fmt::Debug;

pub use dory::DoryScheme;

/// Errors of commitment, opening and verification.
///
/// Verification returns these, it never panics, whatever the proof bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcsError {
    /// The table has more entries than the setup supports.
    #[error("polynomial has {len} evaluations but the setup supports at most 2^{max_num_vars}")]
    PolynomialTooLarge {
        /// Number of evaluations given.
        len: usize,
        /// Largest number of variables the setup supports.
        max_num_vars: usize,
    },
    /// The opening point has more variables than the setup supports.
    #[error(
        "opening point has {num_vars} variables but the setup supports at most {max_num_vars}"
    )]
    PointTooLarge {
        /// Number of variables of the point.
        num_vars: usize,
        /// Largest number of variables the setup supports.
        max_num_vars: usize,
    },
    /// The table does not fit the hypercube of the opening point.
    #[error("polynomial has {len} evaluations, more than 2^{num_vars} for a point of {num_vars} variables")]
    PointTooShort {
        /// Number of evaluations given.
        len: usize,
        /// Number of variables of the point.
        num_vars: usize,
    },
    /// Two lists that must have equal lengths (commitments and coefficients, ...) do not.
    #[error("length mismatch: expected {expected}, got {actual}")]
    LengthMismatch {
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The opening hint does not belong to the polynomial or setup.
    #[error("opening hint has {rows} rows, more than the {max_rows} of the opened polynomial")]
    HintMismatch {
        /// Rows in the hint.
        rows: usize,
        /// Rows the opened polynomial has.
        max_rows: usize,
    },
    /// A one-hot polynomial is ill-formed.
    #[error("invalid one-hot polynomial: {0}")]
    InvalidOneHot(String),
    /// The proof has the wrong shape (number of rounds, matrix dimensions, mode).
    #[error("malformed opening proof: {0}")]
    MalformedProof(String),
    /// The proof is well formed but does not prove the claimed evaluation.
    #[error("opening proof rejected")]
    VerificationFailed,
    /// A setup's digest is not the pinned one.
    #[error("setup digest mismatch for 2^{sigma} generators")]
    SetupDigestMismatch {
        /// log₂ of the number of generators of the setup.
        sigma: usize,
    },
    /// No digest is pinned for this setup size.
    #[error("no pinned setup digest for 2^{sigma} generators")]
    UnpinnedSetup {
        /// log₂ of the number of generators of the setup.
        sigma: usize,
    },
    /// The prover failed to build a proof (an internal invariant of the backend).
    #[error("prover error: {0}")]
    Prover(String),
}

/// A polynomial commitment scheme for multilinear polynomials over BN254's scalar field.
///
/// All tables are little-endian (see the module documentation) and may have any length up to
/// `2^max_num_vars`: a table is implicitly zero-padded, and padding never changes a commitment.
pub trait CommitmentScheme: Send + Sync + 'static {
    /// What the prover needs: generators (and precomputations).
    type ProverSetup: Clone + Send + Sync;
    /// What the verifier needs: succinct public parameters.
    type VerifierSetup: Clone + Send + Sync;
    /// A commitment. Homomorphic: see [`Self::combine_commitments`].
    type Commitment: Clone
        + PartialEq
        + Eq
        + Debug
        + CanonicalSerialize
        + CanonicalDeserialize
        + Send
        + Sync;
    /// An evaluation proof.
    type OpeningProof: Clone + Debug + CanonicalSerialize + CanonicalDeserialize + Send + Sync;
    /// What the prover keeps from commitment to opening (for Dory: the row commitments).
    type OpeningHint: Clone + Debug + CanonicalSerialize + CanonicalDeserialize + Send + Sync;

    /// Domain-separation name of the scheme, absorbed by `prove` and `verify`.
    const PROTOCOL_NAME: &'static [u8];

    /// The deterministic setup for tables of up to `2^max_num_vars` entries.
    ///
    /// Implementations may round `max_num_vars` up and cache the result in-process.
    fn setup(max_num_vars: usize) -> (Self::ProverSetup, Self::VerifierSetup);

    /// The largest number of variables `setup` supports.
    fn max_num_vars(setup: &Self::ProverSetup) -> usize;

    /// Commits to a table of full-width field elements.
    fn commit(
        setup: &Self::ProverSetup,
        evals: &[Fr],
    ) -> Result<(Self::Commitment, Self::OpeningHint), PcsError>;

    /// Commits to a table of small integers (`i32`, `u8`, `i64`, `bool`, ...) without converting
    /// them to field elements; equal to [`Self::commit`] of the same values as field elements
    /// (negative integers map to `p − |x|`).
    fn commit_small<S: SmallScalar>(
        setup: &Self::ProverSetup,
        evals: &[S],
    ) -> Result<(Self::Commitment, Self::OpeningHint), PcsError>;

    /// Commits to a one-hot table; equal to [`Self::commit`] of [`OneHotPolynomial::to_dense`].
    fn commit_one_hot(
        setup: &Self::ProverSetup,
        poly: &OneHotPolynomial<'_>,
    ) -> Result<(Self::Commitment, Self::OpeningHint), PcsError>;

    /// Proves `p̃(point) = y` for the table `evals` committed with `hint`, where `y` is computed
    /// from `evals`. Requires `evals.len() ≤ 2^point.len()`.
    ///
    /// Absorbs the commitment, the point and `y` into `transcript` first.
    fn prove(
        setup: &Self::ProverSetup,
        evals: &[Fr],
        point: &[Fr],
        hint: &Self::OpeningHint,
        transcript: &mut Transcript,
    ) -> Result<Self::OpeningProof, PcsError>;

    /// Verifies `p̃(point) = eval` for the committed table. Never panics on a malformed proof.
    fn verify(
        setup: &Self::VerifierSetup,
        commitment: &Self::Commitment,
        point: &[Fr],
        eval: &Fr,
        proof: &Self::OpeningProof,
        transcript: &mut Transcript,
    ) -> Result<(), PcsError>;

    /// `Σ coeffs[i] · commitments[i]`: a commitment to `Σ coeffs[i] · p_i` (each `p_i`
    /// zero-padded to the largest size).
    fn combine_commitments(
        commitments: &[&Self::Commitment],
        coeffs: &[Fr],
    ) -> Result<Self::Commitment, PcsError>;

    /// The hint of `Σ coeffs[i] · p_i`, from the hints of the `p_i`; matches
    /// [`Self::combine_commitments`] with the same coefficients.
    fn combine_hints(
        hints: &[&Self::OpeningHint],
        coeffs: &[Fr],
    ) -> Result<Self::OpeningHint, PcsError>;
}

/// Where entry `(k, j)` (address `k < K`, cycle `j < T`) of a one-hot table sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OneHotLayout {
    /// `index = k·T + j`: the low `log T` point coordinates are the cycle variables, the high
    /// `log K` ones the address variables; `point = r_cycle ‖ r_address`.
    AddressMajor,
    /// `index = j·K + k`: the low `log K` point coordinates are the address variables, the high
    /// `log T` ones the cycle variables; `point = r_address ‖ r_cycle`.
    CycleMajor,
}

/// A `K × T` one-hot table: column `j` (a cycle) has a single `1`, in row `addresses[j]`, or is
/// all zero when `addresses[j]` is `None` (a padding cycle).
///
/// `K` and `T = addresses.len()` must be powers of two; the table has `log K + log T` variables.
#[derive(Clone, Copy, Debug)]
pub struct OneHotPolynomial<'a> {
    num_addresses: usize,
    addresses: &'a [Option<u32>],
    layout: OneHotLayout,
}

impl<'a> OneHotPolynomial<'a> {
    /// Checks the shape (`K`, `T` powers of two, every address below `K`).
    pub fn new(
        num_addresses: usize,
        addresses: &'a [Option<u32>],
        layout: OneHotLayout,
    ) -> Result<Self, PcsError> {
        if !num_addresses.is_power_of_two() {
            return Err(PcsError::InvalidOneHot(format!(
                "K = {num_addresses} is not a power of two"
            )));
        }
        if !addresses.len().is_power_of_two() {
            return Err(PcsError::InvalidOneHot(format!(
                "T = {} is not a power of two",
                addresses.len()
            )));
        }
        if let Some(j) = addresses
            .iter()
            .position(|a| a.is_some_and(|k| k as usize >= num_addresses))
        {
            return Err(PcsError::InvalidOneHot(format!(
                "cycle {j} has address {:?}, not below K = {num_addresses}",
                addresses[j]
            )));
        }
        Ok(Self {
            num_addresses,
            addresses,
            layout,
        })
    }

    /// `K`, the number of addresses.
    pub fn num_addresses(&self) -> usize {
        self.num_addresses
    }

    /// `T`, the number of cycles.
    pub fn num_cycles(&self) -> usize {
        self.addresses.len()
    }

    /// The address of each cycle.
    pub fn addresses(&self) -> &'a [Option<u32>] {
        self.addresses
    }

    /// The layout of the table.
    pub fn layout(&self) -> OneHotLayout {
        self.layout
    }

    /// `log K + log T`.
    pub fn num_vars(&self) -> usize {
        (self.num_addresses * self.num_cycles()).trailing_zeros() as usize
    }

    /// Index of entry `(k, j)` in the evaluation table.
    #[inline]
    pub fn index(&self, k: usize, j: usize) -> usize {
        match self.layout {
            OneHotLayout::AddressMajor => k * self.num_cycles() + j,
            OneHotLayout::CycleMajor => j * self.num_addresses + k,
        }
    }

    /// Indices of the non-zero entries, in cycle order.
    pub fn nonzero_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.addresses
            .iter()
            .enumerate()
            .filter_map(|(j, a)| a.map(|k| self.index(k as usize, j)))
    }

    /// The dense evaluation table (`K·T` field elements).
    pub fn to_dense(&self) -> Vec<Fr> {
        let mut out = vec![Fr::zero(); self.num_addresses * self.num_cycles()];
        self.add_scaled_to(&mut out, &Fr::one());
        out
    }

    /// `acc[i] += coeff` for every non-zero entry `i`: how an opening accumulator folds this
    /// table into a random linear combination. `acc` must have at least `K·T` entries.
    pub fn add_scaled_to(&self, acc: &mut [Fr], coeff: &Fr) {
        for i in self.nonzero_indices() {
            acc[i] += coeff;
        }
    }

    /// The multilinear extension at `point` (of `log K + log T` coordinates, ordered as the
    /// layout says), in `O(K + T)`.
    pub fn evaluate(&self, point: &[Fr]) -> Result<Fr, PcsError> {
        if point.len() != self.num_vars() {
            return Err(PcsError::LengthMismatch {
                expected: self.num_vars(),
                actual: point.len(),
            });
        }
        let log_k = self.num_addresses.trailing_zeros() as usize;
        let log_t = self.num_cycles().trailing_zeros() as usize;
        let (r_address, r_cycle) = match self.layout {
            OneHotLayout::AddressMajor => (&point[log_t..], &point[..log_t]),
            OneHotLayout::CycleMajor => (&point[..log_k], &point[log_k..]),
        };
        let eq_address = EqPolynomial::evals(r_address);
        let eq_cycle = EqPolynomial::evals(r_cycle);
        Ok(self
            .addresses
            .iter()
            .zip(&eq_cycle)
            .filter_map(|(a, e)| a.map(|k| eq_address[k as usize] * e))
            .sum())
    }
}

/// `Π_{j ≥ num_vars} (1 − point[j])`: the factor by which a polynomial of `num_vars` variables,
/// zero-padded to `point.len()` variables, is scaled at `point` (see "Sizes and embedding" above):
/// `q̃'(point) = q̃(point[..num_vars]) · embedding_factor(point, num_vars)`.
pub fn embedding_factor(point: &[Fr], num_vars: usize) -> Fr {
    point.iter().skip(num_vars).map(|r| Fr::one() - r).product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn one_hot_evaluation_matches_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let addresses = [
            Some(3),
            None,
            Some(0),
            Some(3),
            Some(1),
            Some(2),
            None,
            Some(0),
        ];
        for layout in [OneHotLayout::AddressMajor, OneHotLayout::CycleMajor] {
            let poly = OneHotPolynomial::new(4, &addresses, layout).unwrap();
            let point: Vec<Fr> = (0..poly.num_vars()).map(|_| Fr::rand(&mut rng)).collect();
            let dense = poly.to_dense();
            let expected: Fr = dense
                .iter()
                .zip(EqPolynomial::evals(&point))
                .map(|(a, b)| *a * b)
                .sum();
            assert_eq!(poly.evaluate(&point).unwrap(), expected);
        }
    }

    #[test]
    fn one_hot_rejects_bad_shapes() {
        assert!(OneHotPolynomial::new(3, &[Some(0); 4], OneHotLayout::AddressMajor).is_err());
        assert!(OneHotPolynomial::new(4, &[Some(0); 3], OneHotLayout::AddressMajor).is_err());
        assert!(OneHotPolynomial::new(4, &[Some(4); 4], OneHotLayout::AddressMajor).is_err());
    }
}
