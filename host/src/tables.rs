//! User-defined tables from a JSON plug-in (`--tables PLUGIN.json`): the registry the VM
//! evaluates them with and the ONNX custom operators they implement.
//!
//! The file format is `atlas_lookups::plugin`'s (piecewise-linear breakpoints or explicit
//! values, with scales, input domain and the ONNX `domain` / `op_type` each table implements);
//! `guest-examples/plugins/swish.json` is an example.

use std::path::{Path, PathBuf};

use atlas_lookups::{CustomOpDecl, TableRegistry};
use atlas_onnx::CustomOp;

use crate::error::Result;

/// The tables of a plug-in file and the custom operators they implement.
#[derive(Debug)]
pub struct Tables {
    path: PathBuf,
    registry: TableRegistry,
    decls: Vec<CustomOpDecl>,
}

impl Tables {
    /// Reads a plug-in file. Nothing is registered if any entry is invalid.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let (registry, decls) = TableRegistry::from_json_file(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            registry,
            decls,
        })
    }

    /// Tables from plug-in JSON held in memory.
    pub fn from_json_str(json: &str) -> Result<Self> {
        let (registry, decls) = TableRegistry::from_json(json)?;
        Ok(Self {
            path: PathBuf::from("<string>"),
            registry,
            decls,
        })
    }

    /// The plug-in file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The registry the VM resolves custom tables with.
    pub fn registry(&self) -> &TableRegistry {
        &self.registry
    }

    /// The ONNX custom operators of the plug-in.
    pub fn declarations(&self) -> &[CustomOpDecl] {
        &self.decls
    }

    /// The frontend's operators of the plug-in (see [`custom_ops`]).
    pub fn custom_ops(&self) -> Vec<CustomOp> {
        custom_ops(&self.decls)
    }
}

/// The frontend's operators for declared custom operators: each evaluates through the registered
/// table (the registry's integer semantics are authoritative) and uses the declaration's real
/// curve as the float reference when it has one.
pub fn custom_ops(decls: &[CustomOpDecl]) -> Vec<CustomOp> {
    decls
        .iter()
        .map(|d| {
            let decl = d.clone();
            let mut op = CustomOp::new(
                &d.domain,
                &d.op_type,
                &d.table,
                d.spec.in_scale,
                d.spec.out_scale,
                d.spec.domain,
                move |x| decl.eval(x),
            );
            op.float = d.float.clone();
            op
        })
        .collect()
}
