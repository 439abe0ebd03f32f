//! Softmax along the last axis: a committed, proven row maximum, the exp table read at the
//! clamped differences, and a division with committed quotients and range-checked remainders.
//!
//! # Relation
//!
//! Over the padded layout of `x` (rows in the high bits, the softmax axis in the low bits),
//! with `M` the real-position indicator, `M_row` its row part, `ρ(j)` the row of position `j`,
//! `t = s(out)` and the table's domain `[lo, hi]` (`hi ≥ 0`). The prover commits, up front:
//! the row maxima `m` and row sums `S` (row layout), the selection `sel` (one-hot per real row),
//! the gaps `G`, the quotients `Q` and the remainders `rem` (layout of `x`), and the one-hot keys
//! of five lookups. The relation, position by position:
//!
//! ```text
//! sel ∈ {0, M},   Σ_i sel(ρ, i) = M_row(ρ),   m_ρ = Σ_i sel(ρ, i)·x(ρ, i)        (m = x[argmax])
//! G_j = M_j·m_ρ(j) − x_j ∈ [0, 2^32)                                             (m ≥ every x)
//! a_j = ReLU(−G_j − lo·M_j),   Op(k_j) = lo + a_j,   L_j = exp(k_j + lo)         (e = exp(max(x − m, lo)))
//! S_ρ = Σ_i M·L (ρ, i)
//! M_j·(2^{t+1}·L_j + S_ρ(j) − 2·S_ρ(j)·Q_j − rem_j) = 0,   rem_j ∈ [0, 2^32),
//! M_j·(2·S_ρ(j) − 1 − rem_j) ∈ [0, 2^32)                                          (0 ≤ rem < 2S)
//! out = M·Q
//! ```
//!
//! so `out_j = round(e_j·2^t / S_ρ)` (round half up: `2e·2^t + S = 2S·q + rem`), and `S ≥ 1`.
//! For the claim `õut(r) = v`, with `r = (r_row, r_col)`, one batched sumcheck proves at `r`:
//! `v = Σ eq(r,·)·M·Q`; the shares `c_1 = Σ eq·M·L`, `c_2 = Σ eq·M·S`, `c_3 = Σ eq·M·S·Q`,
//! `c_4 = Σ eq·M·rem` (the verifier checks `2^{t+1}c_1 + c_2 − 2c_3 − c_4 = 0`);
//! `S̃(r_row) = Σ W·M·L`, `M̃_row(r_row) = Σ W·sel`, `m̃(r_row) = Σ W·sel·x` with
//! `W(j) = eq(r_row, ρ(j))`; and `Σ eq·sel² = Σ eq·sel·M`. Its end point `s` gives claims on
//! `x`, `sel`, `Q`, `rem`, `S` and `L̃(s)`. Then: range checks at `r` of `G` (read claim
//! `G̃(r) = m̃(r_row)·valid_col(r_col) − x̃(r)`), of `rem` and of the masked gap
//! `2c_2 − M̃(r) − c_4`, each RAF claim equal to its read claim; a ReLU lookup at `s` (read
//! `ã(s)`, RAF `−G̃(s) − lo·M̃(s)`); the exp table at `s` (read `L̃(s)`, RAF `lo + ã(s)`).
//! Every committed polynomial is fixed before `r` and `s` are drawn, so the identities hold
//! position by position (Schwartz–Zippel). Softmax along another axis is refused by the plan.
