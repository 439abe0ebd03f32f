//! # atlas-folding
//!
//! Relaxed R1CS, Nova-style folding (ePrint 2021/370) and BlindFold (ePrint 2025/2094):
//! zero knowledge for sumcheck proofs and accumulation of segment proofs (DESIGN.md §5–6).
//!
//! Nothing lives here yet: this crate will hold the R1CS encoding of the sumcheck verifier's
//! checks, the folding of that instance with a random satisfying one, and its Spartan proof.
