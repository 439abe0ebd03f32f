//! Smooth element-wise tables (sigmoid, tanh, erf, GELU, exp, log, sqrt, rsqrt, reciprocal,
//! sin, cos): `out = f(clamp(x, lo, hi))` on a materialized table.
//!
//! # Relation
//!
//! The clamp is not linear in `x`, so it is proven as a Clip first (two ReLU lookups, as in
//! [`super::lookup`]) and the table is read at the clipped value. Over the padded layout of
//! `x` (`T = 2^m` positions), with `M` the public indicator of real positions:
//!
//! ```text
//! a_j = ReLU(x_j − lo·M_j),   b_j = ReLU(x_j − hi·M_j),   c_j = lo + a_j − b_j
//! L_j = Val(k_j)  with  Op(k_j) = k_j + lo = c_j,         out_j = M_j·L_j
//! ```
//!
//! On real positions `c_j = clamp(x_j, lo, hi)`; on padding `x_j = 0` gives `c_j = lo`
//! (key 0), and the validity factor `M` keeps `out`'s padding zero whatever `f(lo)` is. For
//! the claim `õut(r) = v`:
//!
//! 1. a product sumcheck `v = Σ_j eq(r, j)·M(j)·L(j)` ends at a random `s` with the claim
//!    `L̃(s)`;
//! 2. Shout reads the [`ClampedTable`] at `s` with read claim `L̃(s)`; its RAF claim is
//!    `Σ_j eq(s, j)·Op(k_j) = c̃(s)`;
//! 3. the prover sends `ã(s)`, `b̃(s)`; two ReLU lookups at `s` read them, with RAF claims
//!    `x̃(s) − lo·M̃(s)` and `x̃(s) − hi·M̃(s)`;
//! 4. the verifier checks `c̃(s) = lo + ã(s) − b̃(s)` and that both ReLU operands give the same
//!    `x̃(s)`, which becomes the claim on `x`.
//!
//! All keys are committed before `r` and `s` are drawn, so the identities hold position by
//! position (Schwartz–Zippel): `k_j = clamp(x_j, lo, hi) − lo` and `out_j = f(clamp(x_j))`.
//! The ReLU operands must fit 32 bits (checked by the prover; the ReLU table's operand map is
//! injective on `[−2^31, 2^31)`).
