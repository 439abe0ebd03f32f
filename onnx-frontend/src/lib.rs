//! # atlas-onnx
//!
//! The ONNX frontend of Atlas: loads a model with tract, fixes its input shapes, lets tract
//! declutter it into its small canonical operator set, and lowers that graph into a quantized
//! [`atlas_isa::Program`] plus its [`atlas_isa::Weights`]. tract's own float run of the same graph
//! is the accuracy reference.
//!
//! | module | contents |
//! |---|---|
//! | [`load`] | [`load`]: ONNX bytes → typed, decluttered graph with concrete shapes; [`OnnxModel`], [`InputSpec`], the float run |
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
//! 2. A scalar factor (tract's division by a constant, mean normalization) is `MulConst`;
//!    division by a tensor (`Mul` by `Recip`) is `Div`; `x^k` is repeated `Mul`.
//! 3. Smooth activations are lookup tables on clamped domains at the table scale `min(s, 12)`;
//!    ReLU (tract's `Max` with 0), LeakyReLU and Clip (tract's `Max`/`Min` with constants) are
//!    exact piecewise tables. `Softmax` and `RmsNorm` (LayerNorm after tract's mean subtraction)
//!    are the ISA's composite instructions; `RmsNorm` reads its input at `s + 6`.
//!    An element-wise subgraph of one tensor that computes GELU (PyTorch's scalar spelling of it)
//!    is recognized by evaluating it on sample points and becomes one GELU table.
//! 4. Data movement (`AxisOp`, `Slice`, `Concat`, `Gather`...) keeps scales.
//! 5. Finally, instructions and constants the outputs do not depend on are dropped and the
//!    program is validated.
//!
//! An operator without a lowering is [`FrontendError::Unsupported`], naming the node and the
//! operator; [`OnnxModel::inspect`] lists every node with its fate.

mod builder;
mod einsum;
pub mod error;
mod fusion;
pub mod load;
pub mod lower;
mod ops;
pub mod quantize;

pub use error::FrontendError;
pub use load::{load, load_bytes, InputKind, InputSpec, OnnxModel};
pub use lower::{CompileOptions, Compiled, NodeReport};
pub use quantize::quantize_inputs;
