//! Tensor metadata: identifiers, shapes, fixed-point scales and roles.

use serde::{Deserialize, Serialize};

/// Index of a tensor in [`crate::Program::tensors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TensorId(pub u32);

impl TensorId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for TensorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// What a tensor is to the proof.
///
/// Inputs and outputs are public by default; weights are committed at setup and never given to
/// the verifier; constants are public and part of the program (and its digest); intermediates are
/// produced by instructions and stay virtual in the proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// A model input, supplied at run time.
    Input,
    /// A model parameter (initializer), quantized at compile time and committed at setup.
    Weight,
    /// A public constant (masks, index tables) whose values are in [`crate::Program::constants`].
    Constant,
    /// The result of an instruction that is not a model output.
    Intermediate,
    /// The result of an instruction that is a model output.
    Output,
}

/// Static description of one tensor.
///
/// Values are fixed-point integers: the real value of an element `q` is `q / 2^scale`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TensorInfo {
    /// Human-readable name (the ONNX value name where there is one).
    pub name: String,
    /// Dimensions, outermost first (row-major layout).
    pub shape: Vec<usize>,
    /// Number of fractional bits.
    pub scale: u32,
    /// Role of the tensor in the program.
    pub role: Role,
}

impl TensorInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        numel(&self.shape)
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Number of elements of a shape (1 for a scalar).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// NumPy-style broadcast of two shapes, or `None` if they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast() {
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shapes(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast_shapes(&[2, 3], &[3, 2]), None);
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}
