//! Gather with public indices (token and position embeddings): a public sparse 0/1 map.
//!
//! # Relation
//!
//! For `out[i, j, k] = data[i, idx[j], k]` along `axis` (negative indices resolved to
//! `idx + n`), with `idx` a public input or a public constant, `out = S·data` for the 0/1
//! matrix `S` with one entry per output element. The verifier builds `S` from the index values
//! (checking every index is in `[−n, n)`), so the relation is [`super::linear_map`]'s: for the
//! claim `õut(r) = v`, one degree-2 sumcheck
//!
//! ```text
//! v = Σ_y data(y)·W(y),        W(y) = Σ_{(x, y) ∈ S} eq(r, x),
//! ```
//!
//! ends at `s` with the claim `d̃ata(s)`; the verifier computes `W(s)` in `O(|out|)`. The
//! indices themselves need no claim (they are public). Indices computed inside the program
//! (data-dependent addresses) need a lookup into the committed table and are refused by the
//! plan.
