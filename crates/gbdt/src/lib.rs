//! # cartera-gbdt
//!
//! Histogram gradient-boosted trees (LightGBM's method), TreeSHAP explanations and LightGBM
//! model import.
//!
//! ```
//! use cartera_core::datasets::Classification;
//! use cartera_gbdt::{GbdtParams, GbdtModel, ImportanceType};
//!
//! let (x, y) = Classification::new(2000).n_features(8).seed(3).generate()?;
//! let y = y.mapv(|c| c as f64);
//! let (xt, xv) = (x.slice(ndarray::s![..1500, ..]), x.slice(ndarray::s![1500.., ..]));
//! let (yt, yv) = (y.slice(ndarray::s![..1500]), y.slice(ndarray::s![1500..]));
//!
//! let model = GbdtParams::new()
//!     .n_estimators(200)
//!     .early_stopping_rounds(Some(20))
//!     .fit_with_validation(xt, yt, xv, yv)?;
//! let p = model.predict_proba(xv)?; // n x 2: P(0), P(1)
//! assert_eq!(p.ncols(), 2);
//! let acc = model.predict(xv)?.iter().zip(yv).filter(|(a, b)| a == b).count() as f64 / 500.0;
//! assert!(acc > 0.8, "accuracy {acc}");
//! assert!(model.best_iteration().is_some());
//!
//! // Model files are versioned JSON and reload to the same predictions.
//! let back = GbdtModel::from_json(&model.to_json()?)?;
//! assert_eq!(back.predict_raw(xv)?, model.predict_raw(xv)?);
//! assert_eq!(model.feature_importance(ImportanceType::Split).len(), 8);
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! ## Map
//! - [`GbdtParams`] (LightGBM's parameter names and defaults) → [`GbdtModel`].
//! - Training: `binning` (quantile bins as `u8`, NaN bin), `histogram` (parallel row blocks,
//!   subtraction trick), `split` (gain with L1/L2, missing direction), `partition`,
//!   `learner` (leaf-wise growth), `objective`, `metric`, `boosting` (bagging, feature
//!   fraction, early stopping), `quantize` (quantized gradients, LightGBM's
//!   `use_quantized_grad`: see [`GbdtParams`]).
//! - Prediction: a flattened forest scored in row blocks (`predict`), checked against
//!   [`Ensemble::predict_raw_row`].
//! - [`tree`]: the `Tree`/`Ensemble` interchange type; [`shap`], [`explain`], [`lightgbm`].
//!
//! Training is deterministic for a seed whatever the number of rayon threads: histograms are
//! summed over row blocks sized by the data in block order, and random draws come from
//! per-(seed, round, block) streams.

pub mod explain;
pub mod lightgbm;
pub mod shap;
pub mod tree;

mod binning;
mod boosting;
mod bundle;
mod histogram;
mod learner;
mod metric;
mod model;
mod model_file;
mod objective;
mod params;
mod partition;
mod predict;
mod quantize;
mod split;
pub mod stream;

pub use binning::MAX_CATEGORY;
pub use metric::auc;
pub use model::{EvalRecord, GbdtModel, ImportanceType};
pub use model_file::{FORMAT as MODEL_FORMAT, VERSION as MODEL_VERSION};
pub use params::{GbdtParams, MAX_CLASSES, Metric};
pub use stream::{BinMappers, BinSampler, BinnedDataset};
pub use tree::{Decision, Ensemble, MissingType, Objective, Tree};
