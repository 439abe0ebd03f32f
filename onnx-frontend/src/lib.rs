//! # atlas-onnx
//!
//! The ONNX frontend of Atlas: loads a model with tract, fixes its input shapes, lets tract
//! declutter it into its small canonical operator set, and lowers that graph into a quantized
//! [`atlas_isa::Program`] plus its [`atlas_isa::Weights`]. tract's own float run of the same graph
//! is the accuracy reference.
//!
//! | module | contents |
//! |---|---|
//! | [`custom`] | [`CustomOp`]: an ONNX custom operator (domain, name) bound to a user-defined table; [`load_with`] |
//! | [`load`](mod@load) | [`load()`]: ONNX bytes → typed, decluttered graph with concrete shapes; [`OnnxModel`], [`InputSpec`], the float run |
//! | [`lower`] | [`OnnxModel::compile`], [`OnnxModel::inspect`]: the node-by-node walk, [`CompileOptions`], [`Compiled`], [`NodeReport`] |
//! | `ops` | one lowering per family of tract operators (arithmetic, tables and normalizations, contractions and windows, data movement) |
//! | `einsum` | tract's axes mapping → the ISA's einsum labels |
//! | `fusion` | element-wise subgraphs that compute a known activation (exported GELU) → one table |
//! | `builder` | the program under construction: tensors, scales, constants, dead-code elimination |
//! | [`quantize`] | scale choices, [`quantize_inputs`] |
//! | [`error`] | [`FrontendError`] |
//!
//! ## Lowering
//!
//! Every activation is a fixed-point tensor at the global scale `s` (default
//! [`quantize::DEFAULT_SCALE`], overridable in [`CompileOptions`]); integer inputs (token ids)
//! are at scale 0. Weights sit at `s` plus the bits their magnitude leaves unused below 1.
//!
//! 1. A product (`EinSum`, `Conv`, `Mul`) reads operands at most at `s` and writes at the sum of
//!    its operand scales; a bias or other constant added to it is quantized at that product scale;
//!    the first consumer that needs `s` inserts one `Rescale` (shared by every such consumer).
//!    Constant scalings and shifts right after a product with constant weights (batch
//!    normalization that tract left as `Mul`/`Add`) fold into its weights and bias. Sums of
//!    tensors at different scales meet at the finer one, up to the wide scale `s + 6`.
//! 2. A scalar factor (tract's division by a constant, mean normalization) is `MulConst`;
//!    division by a tensor (`Mul` by `Recip`) is `Div`; `x^k` is repeated `Mul`.
//! 3. Smooth activations are lookup tables on clamped domains at the table scale `min(s, 12)`;
//!    ReLU (tract's `Max` with 0), LeakyReLU and Clip (tract's `Max`/`Min` with constants) are
//!    exact piecewise tables. `Softmax` and `RmsNorm` (LayerNorm after tract's mean subtraction)
//!    are the ISA's composite instructions; `RmsNorm` reads its input at `s + 6`.
//!    An element-wise subgraph of one tensor that computes GELU (PyTorch's scalar spelling of it)
//!    is recognized by evaluating it on sample points and becomes one GELU table.
//!    A node of a custom ONNX domain declared as a [`CustomOp`] (passed to [`load_with`]) is
//!    one lookup in the user's table ([`atlas_isa::TableFn::Custom`]) at the table's own scales.
//! 4. Data movement (`AxisOp`, `Slice`, `Concat`, `Gather`...) keeps scales.
//! 5. Finally, instructions and constants the outputs do not depend on are dropped and the
//!    program is validated.
//!
//! An operator without a lowering is [`FrontendError::Unsupported`], naming the node and the
//! operator; [`OnnxModel::inspect`] lists every node with its fate.
//!
//! ## Accuracy at the default scale (12)
//!
//! Measured by `tests/accuracy.rs` (compile, execute with `atlas-vm`, dequantize, compare with
//! tract's float run; argmax along the last axis):
//!
//! | model | max abs error | mean abs error | argmax agreement | instructions |
//! |---|---|---|---|---|
//! | mlp_mnist | 2.6e-4 | 1.7e-4 | 1/1 | 7 |
//! | lenet5 | 2.6e-4 | 6.6e-5 | 1/1 | 25 |
//! | nanoGPT (64 positions) | 7.5e-4 | 1.3e-4 | 64/64 | 161 |
//! | examples: mlp, cnn, attention, tiny_gpt, ops_zoo | ≤ 2.1e-3 | ≤ 5.0e-4 | all | 11–105 |
//!
//! nanoGPT keeps every argmax from scale 11 up (63/64 at 8–10), also on random token
//! sequences (640/640 positions over ten of them at scales 11–13). In release, nanoGPT loads in
//! about 0.1 s and compiles in about 20 ms.

mod builder;
pub mod custom;
mod einsum;
pub mod error;
mod fusion;
pub mod load;
pub mod lower;
mod ops;
pub mod quantize;

pub use custom::CustomOp;
pub use error::FrontendError;
pub use load::{load, load_bytes, load_bytes_with, load_with, InputKind, InputSpec, OnnxModel};
pub use lower::{CompileOptions, Compiled, NodeReport};
pub use quantize::quantize_inputs;
