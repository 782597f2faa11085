//! The JSON model file: `{"format": "cartera-gbdt", "version": 1, ...}`.
//!
//! Loading checks the header first (so a file from a newer cartera says so rather than
//! "missing field"), then the structure, then [`Ensemble::validate`]: a truncated, corrupted
//! or hand-edited file is an [`Error::ModelFormat`], never a panic or a wrong prediction.

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::model::{EvalRecord, GbdtModel};
use crate::params::Metric;
use crate::tree::Ensemble;

/// The `format` field of every cartera GBDT model file.
pub const FORMAT: &str = "cartera-gbdt";
/// The newest model file version this build reads and the one it writes.
pub const VERSION: u32 = 1;

/// What a model file holds (the serde form of [`GbdtModel`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ModelFile {
    pub format: String,
    pub version: u32,
    pub ensemble: Ensemble,
    pub best_iteration: Option<usize>,
    pub metric: Option<Metric>,
    pub history: Vec<EvalRecord>,
}

fn check_header(format: Option<&str>, version: Option<u64>) -> Result<()> {
    match format {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(Error::model_format(format!(
                "format is \"{other}\", expected \"{FORMAT}\""
            )));
        }
        None => {
            return Err(Error::model_format(format!(
                "no \"format\": \"{FORMAT}\" field"
            )));
        }
    }
    match version {
        Some(v) if v == u64::from(VERSION) => Ok(()),
        Some(v) if v > u64::from(VERSION) => Err(Error::model_format(format!(
            "version {v} was written by a newer cartera; this build reads version {VERSION}"
        ))),
        Some(v) => Err(Error::model_format(format!("unknown version {v}"))),
        None => Err(Error::model_format("no \"version\" field")),
    }
}

impl TryFrom<ModelFile> for GbdtModel {
    type Error = Error;

    fn try_from(f: ModelFile) -> Result<GbdtModel> {
        check_header(Some(&f.format), Some(u64::from(f.version)))?;
        let rounds = f.ensemble.n_rounds();
        if let Some(b) = f.best_iteration
            && b > rounds
        {
            return Err(Error::model_format(format!(
                "best_iteration {b} but the model has {rounds} rounds"
            )));
        }
        GbdtModel::build(f.ensemble, f.best_iteration, f.metric, f.history)
    }
}

impl From<GbdtModel> for ModelFile {
    fn from(m: GbdtModel) -> ModelFile {
        m.into_file()
    }
}

/// Parse a model file (see the module docs).
pub(crate) fn from_json(text: &str) -> Result<GbdtModel> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::model_format(format!("not valid JSON ({e}); truncated?")))?;
    check_header(
        value.get("format").and_then(|v| v.as_str()),
        value.get("version").and_then(|v| v.as_u64()),
    )?;
    let file: ModelFile = serde_json::from_value(value)
        .map_err(|e| Error::model_format(format!("malformed model: {e}")))?;
    GbdtModel::try_from(file)
}

/// Write a model file.
pub(crate) fn to_json(m: &GbdtModel) -> Result<String> {
    serde_json::to_string(&m.to_file())
        .map_err(|e| Error::model_format(format!("cannot serialize the model: {e}")))
}
