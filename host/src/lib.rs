//! # atlas-host
//!
//! The Atlas SDK and the `atlas` command-line tool. Today it compiles an ONNX model into a
//! quantized Atlas program, executes it on the VM and reports its accuracy against tract's float
//! run; setup, proving and verification (`model.setup()`, `pk.prove(&input)`, `vk.verify(..)`)
//! join when the prover lands.
//!
//! | module | contents |
//! |---|---|
//! | [`model`] | [`Model`]: load, compile, quantize, execute, float reference; [`inspect`] |
//! | [`io`] | [`InputData`] / [`OutputData`]: `{"input_data": [[...]]}` files, atomic writes, the sample input |
//! | [`report`] | [`Accuracy`]: max / mean absolute error and argmax agreement |
//! | [`stages`] | [`Stages`]: wall time and peak memory per stage |
//! | [`pipeline`] | [`pipeline::run`]: the whole `atlas run` as one call, with its [`RunReport`] |
//! | [`error`] | [`AtlasError`] and the tool's exit codes ([`error::exit`]) |
//!
//! ```no_run
//! use atlas_host::{InputData, Model};
//! # fn main() -> Result<(), atlas_host::AtlasError> {
//! let model = Model::load("guest-examples/models/mlp/network.onnx")?;
//! let input = InputData::from_file("guest-examples/models/mlp/input.json".as_ref())?;
//! let run = model.run(&input)?;
//! println!("{:?}", run.outputs.output_data);
//! # Ok(()) }
//! ```

pub mod error;
pub mod io;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod stages;

pub use error::{AtlasError, Result};
pub use io::{InputData, OutputData};
pub use model::{inspect, load_onnx, Execution, LoadOptions, Model};
pub use pipeline::{RunOptions, RunReport};
pub use report::Accuracy;
pub use stages::{StageReport, Stages};

pub use atlas_onnx::{InputKind, InputSpec, NodeReport};
