//! The yes/no models the churn and propensity studies fit, and how their quality is measured.

use cartera_core::Result;
use cartera_gbdt::{GbdtModel, GbdtParams, Objective};
use cartera_logistic::LogisticRegressionParams;
use cartera_preprocess::impute::ImputeStrategy;
use cartera_preprocess::pipeline::PrepConfig;
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{ColumnType, Table};
use cartera_scoring::metrics::{self, ClassificationReport};
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

/// Held-out quality of a yes/no model (threshold 0.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQuality {
    /// `gbdt` or `logistic`.
    pub model: String,
    /// Rows the model was fitted on.
    pub n_train: usize,
    /// Held-out rows the figures are measured on.
    pub n_valid: usize,
    /// Share of held-out rows classified right.
    pub accuracy: f64,
    /// Area under the ROC curve of the positive-class probability.
    pub auc: f64,
    /// Class names: negative, positive.
    pub classes: [String; 2],
    /// Precision of the negative and the positive class.
    pub precision: [f64; 2],
    /// Recall of the negative and the positive class.
    pub recall: [f64; 2],
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Boosting rounds kept (GBDT: the best iteration of early stopping); `None` for the
    /// logistic regression.
    pub rounds: Option<usize>,
}

/// Quality of positive-class probabilities `p` against `y`.
pub(crate) fn quality(
    model: &str,
    n_train: usize,
    y: &[bool],
    p: &[f64],
    classes: &[String; 2],
) -> Result<ModelQuality> {
    let truth: Vec<usize> = y.iter().map(|&b| usize::from(b)).collect();
    let pred: Vec<usize> = p.iter().map(|&x| usize::from(x >= 0.5)).collect();
    let report = ClassificationReport::new(&truth, &pred, 2)?;
    Ok(ModelQuality {
        model: model.to_string(),
        n_train,
        n_valid: y.len(),
        accuracy: report.accuracy,
        auc: metrics::roc_auc(y, p)?,
        classes: classes.clone(),
        precision: [report.per_class[0].precision, report.per_class[1].precision],
        recall: [report.per_class[0].recall, report.per_class[1].recall],
        confusion: report.confusion,
        rounds: None,
    })
}

/// Take rows of a matrix.
pub(crate) fn rows_of(x: &Array2<f64>, rows: &[usize]) -> Array2<f64> {
    x.select(Axis(0), rows)
}

/// Fit a binary GBDT with early stopping on the held-out rows. Categorical columns arrive as
/// level codes and are split as ordered numbers (the GBDT has no category splits yet).
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_gbdt(
    x_train: &Array2<f64>,
    y_train: &[bool],
    x_valid: &Array2<f64>,
    y_valid: &[bool],
    names: &[String],
    rounds: usize,
    seed: u64,
) -> Result<GbdtModel> {
    let yt = Array1::from_iter(y_train.iter().map(|&b| f64::from(u8::from(b))));
    let yv = Array1::from_iter(y_valid.iter().map(|&b| f64::from(u8::from(b))));
    GbdtParams::new()
        .objective(Objective::Binary { sigmoid: 1.0 })
        .n_estimators(rounds)
        .learning_rate(0.1)
        .num_leaves(31)
        .early_stopping_rounds(Some(20))
        .feature_names(Some(names.to_vec()))
        .seed(seed)
        .fit_with_validation(x_train.view(), yt.view(), x_valid.view(), yv.view())
}

/// [`quality`] of a GBDT, with the rounds it kept.
pub(crate) fn gbdt_quality(
    model: &GbdtModel,
    n_train: usize,
    y: &[bool],
    p: &[f64],
    classes: &[String; 2],
) -> Result<ModelQuality> {
    let mut q = quality("gbdt", n_train, y, p, classes)?;
    // Early stopping keeps `best_iteration` rounds (counted from 1); without it, every round
    // (one tree per round for a yes/no model).
    q.rounds = Some(
        model
            .best_iteration()
            .unwrap_or(model.ensemble().trees.len()),
    );
    Ok(q)
}

/// Positive-class probability of every row of `x`.
pub(crate) fn positive_proba(model: &GbdtModel, x: &Array2<f64>) -> Result<Vec<f64>> {
    Ok(model.predict_proba(x.view())?.column(1).to_vec())
}

/// Most training rows of the logistic baseline: a linear model's coefficients settle long
/// before this, and the baseline must not dominate a study's time.
const LOGISTIC_ROWS: usize = 60_000;

/// The logistic baseline: mean imputation, `scale` on numeric features, one-hot categories,
/// fitted on the training rows (a seeded sample of at most 60,000 of them); returns the
/// held-out positive-class probabilities and the number of rows fitted on.
pub(crate) fn logistic_baseline(
    features: &Table,
    train: &[usize],
    valid: &[usize],
    y_train: &[bool],
    scale: ScalerKind,
    seed: u64,
) -> Result<(Vec<f64>, usize)> {
    let keep = crate::common::sample_rows(train.len(), LOGISTIC_ROWS, seed);
    let train: Vec<usize> = keep.iter().map(|&i| train[i]).collect();
    let y_train: Vec<bool> = keep.iter().map(|&i| y_train[i]).collect();
    let train_table = features.take_rows(&train)?;
    let has_categorical = features
        .names()
        .iter()
        .any(|n| features.column_type(n).ok() == Some(ColumnType::Categorical));
    let config = PrepConfig::new()
        .impute(ImputeStrategy::Mean)
        .scale(scale)
        .one_hot(has_categorical)
        .unknown_categories(cartera_preprocess::encode::UnknownCategory::Ignore);
    let (pipeline, prepared, _) = config.fit(&train_table)?;
    let names: Vec<&str> = prepared.names().iter().map(String::as_str).collect();
    let x = prepared.to_array::<f64>(&names)?;
    let y = Array1::from_iter(y_train.iter().map(|&b| usize::from(b)));
    let model = LogisticRegressionParams::new()
        .max_iter(200)
        .fit(x.view(), y.view())?;
    let (valid_prepared, _) = pipeline.transform(&features.take_rows(valid)?)?;
    let xv = valid_prepared.to_array::<f64>(&names)?;
    Ok((
        model.predict_proba(xv.view())?.column(1).to_vec(),
        train.len(),
    ))
}
