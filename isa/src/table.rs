//! Element-wise lookup tables: the integer semantics of every non-linear function.
//!
//! A [`Table`] maps a fixed-point input `x` at `in_scale` to an output at `out_scale`. Piecewise
//! linear functions (ReLU, LeakyReLU, Clip) are exact on all of `i32`. Smooth functions clamp
//! their input to `domain` (inclusive, in quantized units) and return
//! `round(f(x / 2^in_scale) · 2^out_scale)` computed in `f64` with the pure-Rust `libm`, so the
//! table is bit-identical on every platform; the prover materializes or decomposes it in
//! `atlas-lookups`.

use serde::{Deserialize, Serialize};

/// Bits of the fixed-point LeakyReLU slope: `alpha = alpha_q / 2^16`.
pub const LEAKY_ALPHA_BITS: u32 = 16;

/// Largest user-defined table whose values a [`crate::Program`] carries
/// ([`crate::Program::custom_tables`]): `2^20` entries. The prover materializes a custom table
/// from those values, so a larger one still executes (through a table registry) but cannot be
/// proven.
pub const MAX_CUSTOM_TABLE_ENTRIES: u64 = 1 << 20;

/// The function a table computes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TableFn {
    /// `max(x, 0)`.
    Relu,
    /// `x` for `x ≥ 0`, else `round(x · alpha_q / 2^16)`.
    LeakyRelu {
        /// Slope for negative inputs, with [`LEAKY_ALPHA_BITS`] fractional bits.
        alpha_q: i64,
    },
    /// `min(max(x, lo), hi)` in quantized units.
    Clip {
        /// Lower bound (quantized).
        lo: i64,
        /// Upper bound (quantized).
        hi: i64,
    },
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// Error function.
    Erf,
    /// GELU, erf form: `x · (1 + erf(x/√2)) / 2`.
    Gelu,
    /// GELU, tanh approximation.
    GeluTanh,
    /// `e^x`.
    Exp,
    /// Natural logarithm (domain must be positive).
    Log,
    /// Square root (domain must be non-negative).
    Sqrt,
    /// `1/√x` (domain must be positive).
    Rsqrt,
    /// `1/x` (domain must be positive).
    Reciprocal,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// A user-defined table registered under this name. Its values on the domain travel in the
    /// program ([`crate::Program::custom_tables`]) when it has at most
    /// [`MAX_CUSTOM_TABLE_ENTRIES`] entries; otherwise only a registry evaluates it.
    Custom(String),
}

/// A lookup table: function, scales and clamped input domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Table {
    /// The function.
    pub func: TableFn,
    /// Scale of the input.
    pub in_scale: u32,
    /// Scale of the output.
    pub out_scale: u32,
    /// Inclusive input domain `[lo, hi]` in quantized units; inputs are clamped to it.
    /// Ignored for the exact piecewise-linear functions.
    pub domain: (i64, i64),
}

impl Table {
    /// Whether the table is exact over all of `i32` (and needs no clamping or materialization).
    pub fn is_piecewise_linear(&self) -> bool {
        matches!(
            self.func,
            TableFn::Relu | TableFn::LeakyRelu { .. } | TableFn::Clip { .. }
        )
    }

    /// Number of entries of the clamped domain (for smooth and custom tables).
    pub fn domain_size(&self) -> u64 {
        (self.domain.1 - self.domain.0 + 1).max(0) as u64
    }

    /// Evaluates the table; `None` for [`TableFn::Custom`], whose values are the program's
    /// ([`crate::Program::custom_eval`]) or a registry's.
    pub fn eval(&self, x: i64) -> Option<i64> {
        let f: fn(f64) -> f64 = match &self.func {
            TableFn::Relu => return Some(x.max(0)),
            TableFn::LeakyRelu { alpha_q } => {
                return Some(if x >= 0 {
                    x
                } else {
                    crate::fixed::round_shift(x * alpha_q, LEAKY_ALPHA_BITS)
                })
            }
            TableFn::Clip { lo, hi } => return Some(x.clamp(*lo, *hi)),
            TableFn::Custom(_) => return None,
            TableFn::Sigmoid => |v| 1.0 / (1.0 + libm::exp(-v)),
            TableFn::Tanh => libm::tanh,
            TableFn::Erf => libm::erf,
            TableFn::Gelu => |v| 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2)),
            TableFn::GeluTanh => |v| {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * v * (1.0 + libm::tanh(c * (v + 0.044715 * v * v * v)))
            },
            TableFn::Exp => libm::exp,
            TableFn::Log => libm::log,
            TableFn::Sqrt => libm::sqrt,
            TableFn::Rsqrt => |v| 1.0 / libm::sqrt(v),
            TableFn::Reciprocal => |v| 1.0 / v,
            TableFn::Sin => libm::sin,
            TableFn::Cos => libm::cos,
        };
        let xc = x.clamp(self.domain.0, self.domain.1);
        let v = f(crate::fixed::dequantize(xc, self.in_scale));
        Some(crate::fixed::quantize(v, self.out_scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(func: TableFn) -> Table {
        Table {
            func,
            in_scale: 8,
            out_scale: 8,
            domain: (-8 * 256, 8 * 256),
        }
    }

    #[test]
    fn values() {
        assert_eq!(t(TableFn::Relu).eval(-5), Some(0));
        assert_eq!(
            t(TableFn::Relu).eval(i32::MAX as i64),
            Some(i32::MAX as i64)
        );
        assert_eq!(
            t(TableFn::LeakyRelu { alpha_q: 1 << 14 }).eval(-8),
            Some(-2)
        );
        assert_eq!(t(TableFn::Clip { lo: -3, hi: 3 }).eval(9), Some(3));
        assert_eq!(t(TableFn::Sigmoid).eval(0), Some(128));
        assert_eq!(t(TableFn::Tanh).eval(100_000), Some(256)); // clamped to 8.0
        assert_eq!(t(TableFn::Exp).eval(256), Some(696)); // e · 256 = 695.9
        assert_eq!(t(TableFn::Custom("swish".into())).eval(1), None);
    }
}
