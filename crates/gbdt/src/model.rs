//! The fitted [`GbdtModel`]: the ensemble, its fast predictor, the evaluation history.

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::binning::scan_input;
use crate::model_file::{self, FORMAT, ModelFile, VERSION};
use crate::objective::{sigmoid, softmax};
use crate::params::Metric;
use crate::predict::FlatForest;
use crate::tree::{Ensemble, Objective};

/// What prediction input is called in error messages.
const PREDICT_WHAT: &str = "data to predict";

/// The metric after one boosting round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalRecord {
    /// Round number, from 1.
    pub iteration: usize,
    /// Metric on the training rows (only with `eval_train(true)`).
    pub train: Option<f64>,
    /// Metric on the validation set (when one was given).
    pub valid: Option<f64>,
}

/// Which feature importance to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportanceType {
    /// Number of splits on the feature (LightGBM's `importance_type="split"`).
    Split,
    /// Total loss reduction of the feature's splits (`importance_type="gain"`).
    Gain,
}

/// A fitted gradient-boosting model (immutable). Saved and loaded as a versioned JSON file
/// ([`to_json`](Self::to_json), [`from_json`](Self::from_json)); serde goes through the same
/// validation, so no malformed model can be built.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "ModelFile", try_from = "ModelFile")]
pub struct GbdtModel {
    ensemble: Ensemble,
    best_iteration: Option<usize>,
    metric: Option<Metric>,
    history: Vec<EvalRecord>,
    flat: FlatForest,
}

impl PartialEq for GbdtModel {
    fn eq(&self, other: &Self) -> bool {
        self.ensemble == other.ensemble
            && self.best_iteration == other.best_iteration
            && self.metric == other.metric
            && self.history == other.history
    }
}

impl GbdtModel {
    pub(crate) fn build(
        ensemble: Ensemble,
        best_iteration: Option<usize>,
        metric: Option<Metric>,
        history: Vec<EvalRecord>,
    ) -> Result<GbdtModel> {
        ensemble.validate()?;
        let flat = FlatForest::new(&ensemble);
        Ok(GbdtModel {
            ensemble,
            best_iteration,
            metric,
            history,
            flat,
        })
    }

    pub(crate) fn to_file(&self) -> ModelFile {
        ModelFile {
            format: FORMAT.into(),
            version: VERSION,
            ensemble: self.ensemble.clone(),
            best_iteration: self.best_iteration,
            metric: self.metric,
            history: self.history.clone(),
        }
    }

    pub(crate) fn into_file(self) -> ModelFile {
        ModelFile {
            format: FORMAT.into(),
            version: VERSION,
            ensemble: self.ensemble,
            best_iteration: self.best_iteration,
            metric: self.metric,
            history: self.history,
        }
    }

    /// Wrap an ensemble (for example an imported LightGBM model) after [`Ensemble::validate`].
    ///
    /// # Errors
    /// [`Error::ModelFormat`] when the ensemble is inconsistent.
    pub fn from_ensemble(e: Ensemble) -> Result<GbdtModel> {
        Self::build(e, None, None, Vec::new())
    }

    /// The trees, objective and initial score.
    pub fn ensemble(&self) -> &Ensemble {
        &self.ensemble
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.ensemble.n_features
    }

    /// 2 for binary, `K` for multiclass, 1 for regression.
    pub fn n_classes(&self) -> usize {
        match self.ensemble.objective {
            Objective::Binary { .. } => 2,
            Objective::Multiclass { n_classes } => n_classes,
            Objective::Regression => 1,
        }
    }

    /// The best round (from 1) found by early stopping; the model keeps that many rounds.
    /// `None` without early stopping.
    pub fn best_iteration(&self) -> Option<usize> {
        self.best_iteration
    }

    /// The metric the history was recorded with (`None` for imported models).
    pub fn metric(&self) -> Option<Metric> {
        self.metric
    }

    /// Per-round metrics (train with `eval_train`, validation when given), every round run,
    /// including those after the best one.
    pub fn history(&self) -> &[EvalRecord] {
        &self.history
    }

    fn check_input<F: Float>(&self, x: ArrayView2<F>) -> Result<()> {
        validate::check_width(x, self.n_features(), PREDICT_WHAT)?;
        scan_input(x, PREDICT_WHAT).map(|_| ())
    }

    /// Raw scores (log-odds for binary, one column per class for multiclass), `n x outputs`,
    /// parallel over rows. NaN is missing; ±inf is refused.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another width, [`Error::NonFinite`] for ±inf.
    pub fn predict_raw<F: Float>(&self, x: ArrayView2<F>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        let k = self.ensemble.n_outputs();
        let raw = self.flat.predict_raw(x);
        Array2::from_shape_vec((x.nrows(), k), raw)
            .map_err(|e| Error::model_format(format!("prediction shape: {e}")))
    }

    /// Class probabilities, `n x n_classes` (binary: columns `P(0)`, `P(1)`).
    ///
    /// # Errors
    /// As [`predict_raw`](Self::predict_raw), plus [`Error::InvalidParameter`] for a regression
    /// model.
    pub fn predict_proba<F: Float>(&self, x: ArrayView2<F>) -> Result<Array2<f64>> {
        let mut raw = self.predict_raw(x)?;
        match self.ensemble.objective {
            Objective::Binary { sigmoid: slope } => {
                let n = raw.nrows();
                Ok(Array2::from_shape_fn((n, 2), |(i, c)| {
                    let p = sigmoid(raw[[i, 0]], slope);
                    if c == 1 { p } else { 1.0 - p }
                }))
            }
            Objective::Multiclass { n_classes } => {
                let mut p = vec![0.0; n_classes];
                for mut row in raw.rows_mut() {
                    let s: Vec<f64> = row.to_vec();
                    softmax(&s, &mut p);
                    for (o, v) in row.iter_mut().zip(&p) {
                        *o = *v;
                    }
                }
                Ok(raw)
            }
            Objective::Regression => Err(Error::invalid_param(
                "objective",
                "Regression",
                "predict_proba needs a classification model; use predict",
            )),
        }
    }

    /// Predicted class (as `f64`; binary: `P(1) > 0.5`, multiclass: the most probable, ties to
    /// the smaller class) or the regression value.
    ///
    /// # Errors
    /// As [`predict_raw`](Self::predict_raw).
    pub fn predict<F: Float>(&self, x: ArrayView2<F>) -> Result<Array1<f64>> {
        let raw = self.predict_raw(x)?;
        Ok(match self.ensemble.objective {
            Objective::Binary { .. } => raw.column(0).mapv(|v| if v > 0.0 { 1.0 } else { 0.0 }),
            Objective::Regression => raw.column(0).to_owned(),
            Objective::Multiclass { .. } => raw
                .rows()
                .into_iter()
                .map(|r| {
                    let mut best = 0;
                    for (c, v) in r.iter().enumerate() {
                        if *v > r[best] {
                            best = c;
                        }
                    }
                    best as f64
                })
                .collect(),
        })
    }

    /// Leaf index of each row in each tree, `n x n_trees` (LightGBM's `pred_leaf`).
    ///
    /// # Errors
    /// As [`predict_raw`](Self::predict_raw).
    pub fn predict_leaf<F: Float>(&self, x: ArrayView2<F>) -> Result<Array2<u32>> {
        self.check_input(x)?;
        let nt = self.ensemble.trees.len();
        Array2::from_shape_vec((x.nrows(), nt), self.flat.predict_leaf(x))
            .map_err(|e| Error::model_format(format!("prediction shape: {e}")))
    }

    /// Importance of each input feature: split counts or total gain over every tree.
    pub fn feature_importance(&self, kind: ImportanceType) -> Vec<f64> {
        let mut imp = vec![0.0; self.n_features()];
        for t in &self.ensemble.trees {
            for (f, g) in t.split_feature.iter().zip(&t.split_gain) {
                imp[*f as usize] += match kind {
                    ImportanceType::Split => 1.0,
                    ImportanceType::Gain => *g,
                };
            }
        }
        imp
    }

    /// The model as a JSON model file (format `"cartera-gbdt"`, version 1).
    ///
    /// # Errors
    /// [`Error::ModelFormat`] if serialization fails (it does not for a valid model).
    pub fn to_json(&self) -> Result<String> {
        model_file::to_json(self)
    }

    /// Load a model file written by [`to_json`](Self::to_json).
    ///
    /// # Errors
    /// [`Error::ModelFormat`] for text that is not JSON (truncated), another format, a newer
    /// version, missing fields or an inconsistent ensemble.
    pub fn from_json(text: &str) -> Result<GbdtModel> {
        model_file::from_json(text)
    }
}
