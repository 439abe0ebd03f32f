//! Fixed-point arithmetic shared by the VM and the prover: the rounding rules that define
//! Atlas's integer semantics.
//!
//! A tensor with scale `s` stores `q` for the real value `q / 2^s`. All rounding is *round half
//! up* (towards +∞ on ties), computed with floor division so that it is the same for negative
//! numbers and is cheap to prove: `q = ⌊(x + d/2) / d⌋` has remainder `x + ⌊d/2⌋ − q·d ∈ [0, d)`.

/// `round(x / 2^k)` with ties rounded up: `⌊(x + 2^(k−1)) / 2^k⌋`. Identity for `k = 0`.
pub fn round_shift(x: i64, k: u32) -> i64 {
    if k == 0 {
        return x;
    }
    ((x as i128 + (1i128 << (k - 1))) >> k) as i64
}

/// `round(a / b)` with ties rounded up, for `b > 0`: `⌊(2a + b) / 2b⌋`.
///
/// # Panics
/// If `b <= 0`; callers check the sign of divisors first.
pub fn round_div(a: i128, b: i128) -> i128 {
    assert!(b > 0, "round_div: divisor must be positive");
    (2 * a + b).div_euclid(2 * b)
}

/// `⌊√x⌋` for `x ≥ 0` (exact integer square root).
pub fn isqrt(x: i128) -> i128 {
    if x <= 0 {
        return 0;
    }
    let mut r = (x as f64).sqrt() as i128;
    while r * r > x {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= x {
        r += 1;
    }
    r
}

/// Quantizes a real number at scale `s`: `round(v · 2^s)`, ties away from zero.
pub fn quantize(v: f64, s: u32) -> i64 {
    (v * (1u64 << s) as f64).round() as i64
}

/// The real value of `q` at scale `s`.
pub fn dequantize(q: i64, s: u32) -> f64 {
    q as f64 / (1u64 << s) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_shift(5, 1), 3); // 2.5 -> 3
        assert_eq!(round_shift(-5, 1), -2); // -2.5 -> -2 (half up)
        assert_eq!(round_shift(-6, 1), -3);
        assert_eq!(round_shift(7, 0), 7);
        assert_eq!(round_div(7, 2), 4);
        assert_eq!(round_div(-7, 2), -3);
        assert_eq!(round_div(10, 4), 3);
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(16), 4);
        assert_eq!(isqrt(1 << 60), 1 << 30);
        assert_eq!(quantize(0.5, 2), 2);
        assert_eq!(dequantize(-3, 1), -1.5);
    }
}
