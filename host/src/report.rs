//! The accuracy report: the quantized run against tract's float run of the same model.
//!
//! * `max_abs_err`, `mean_abs_err`: over every element of every output, `|dequantized − float|`.
//! * `argmax_match`: for every output, the argmax along the last axis agrees at every position
//!   (for logits `[1, 64, 65]`, all 64 rows). Ties resolve to the first maximal index.

use serde::Serialize;

use crate::error::{AtlasError, Result};

/// Accuracy of the quantized outputs against the float reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Accuracy {
    /// Largest absolute error over all output elements.
    pub max_abs_err: f64,
    /// Mean absolute error over all output elements.
    pub mean_abs_err: f64,
    /// Whether the argmax along the last axis agrees at every position of every output.
    pub argmax_match: bool,
    /// Number of positions compared for the argmax.
    pub argmax_rows: usize,
    /// Number of positions where the argmax agrees.
    pub argmax_agree: usize,
}

impl Accuracy {
    /// Compares `quantized` (dequantized outputs) with `float`, output by output; `shapes` are
    /// the output shapes (their last extent defines the argmax rows).
    pub fn compare(
        quantized: &[Vec<f64>],
        float: &[Vec<f64>],
        shapes: &[Vec<usize>],
    ) -> Result<Self> {
        if quantized.len() != float.len() || quantized.len() != shapes.len() {
            return Err(AtlasError::Internal(format!(
                "the quantized run has {} outputs, the float run {}, the program declares {}",
                quantized.len(),
                float.len(),
                shapes.len()
            )));
        }
        let (mut max, mut sum, mut count) = (0.0f64, 0.0f64, 0usize);
        let (mut rows, mut agree) = (0, 0);
        for (k, ((q, f), shape)) in quantized.iter().zip(float).zip(shapes).enumerate() {
            let n: usize = shape.iter().product();
            if q.len() != n || f.len() != n {
                return Err(AtlasError::Internal(format!(
                    "output {k}: quantized run has {} values, float run {}, shape {shape:?} needs {n}",
                    q.len(),
                    f.len()
                )));
            }
            for (a, b) in q.iter().zip(f) {
                let e = (a - b).abs();
                // NaN in the float reference must show, not vanish in `max`.
                max = if e > max || e.is_nan() { e } else { max };
                sum += e;
            }
            count += n;
            let last = shape.last().copied().unwrap_or(1);
            if last > 0 {
                for (rq, rf) in q.chunks(last).zip(f.chunks(last)) {
                    rows += 1;
                    agree += usize::from(argmax(rq) == argmax(rf));
                }
            }
        }
        Ok(Self {
            max_abs_err: max,
            mean_abs_err: if count == 0 { 0.0 } else { sum / count as f64 },
            argmax_match: agree == rows,
            argmax_rows: rows,
            argmax_agree: agree,
        })
    }
}

/// Index of the first maximal element (NaN never wins).
fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] || xs[best].is_nan() {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_argmax_rows() {
        let shapes = vec![vec![1, 2, 3]];
        let f = vec![vec![0.0, 1.0, 0.5, 3.0, 2.0, 1.0]];
        let q = vec![vec![0.0, 1.25, 0.5, 3.0, 2.0, 1.0]];
        let a = Accuracy::compare(&q, &f, &shapes).unwrap();
        assert_eq!(a.max_abs_err, 0.25);
        assert!((a.mean_abs_err - 0.25 / 6.0).abs() < 1e-15);
        assert!(a.argmax_match);
        assert_eq!((a.argmax_rows, a.argmax_agree), (2, 2));

        let q = vec![vec![0.0, 1.0, 0.5, 3.0, 3.5, 1.0]];
        let a = Accuracy::compare(&q, &f, &shapes).unwrap();
        assert!(!a.argmax_match);
        assert_eq!((a.argmax_rows, a.argmax_agree), (2, 1));
    }

    #[test]
    fn mismatched_outputs_are_an_error() {
        assert!(Accuracy::compare(&[vec![1.0]], &[], &[vec![1]]).is_err());
        assert!(Accuracy::compare(&[vec![1.0]], &[vec![1.0, 2.0]], &[vec![1]]).is_err());
    }

    #[test]
    fn nan_reference_shows() {
        let a = Accuracy::compare(&[vec![1.0, 2.0]], &[vec![f64::NAN, 2.0]], &[vec![2]]).unwrap();
        assert!(a.max_abs_err.is_nan());
        assert_eq!(argmax(&[f64::NAN, 1.0, 0.0]), 1);
    }
}
