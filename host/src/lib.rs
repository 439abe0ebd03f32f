//! # atlas-host
//!
//! The Atlas SDK and the `atlas` command-line tool: compile an ONNX model into a quantized Atlas
//! program, execute it on the VM, report its accuracy against tract's float run, and prove and
//! verify the execution (`model.setup()`, `pk.prove(&input)`, `vk.verify(..)`).
//!
//! | module | contents |
//! |---|---|
//! | [`model`] | [`Model`]: load, compile, quantize, execute, float reference; [`inspect`] |
//! | [`proof`] | [`ProvingKey`], [`VerifyingKey`], [`Proof`]: setup, prove, verify, versioned files |
//! | [`tables`] | [`Tables`]: user-defined tables from a JSON plug-in (`--tables`) |
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
//!
//! let (pk, vk) = model.setup()?;
//! let (proof, output) = pk.prove(&input)?;
//! vk.verify(&input, &output, &proof)?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod io;
pub mod model;
pub mod pipeline;
pub mod proof;
pub mod report;
pub mod stages;
pub mod tables;

pub use error::{AtlasError, Result};
pub use io::{InputData, OutputData};
pub use model::{inspect, inspect_with, load_onnx, load_onnx_with, Execution, LoadOptions, Model};
pub use pipeline::{RunOptions, RunReport};
pub use proof::{Proof, ProvingKey, VerifyingKey};
pub use report::Accuracy;
pub use stages::{StageReport, Stages};
pub use tables::Tables;

pub use atlas_onnx::{InputKind, InputSpec, NodeReport};
