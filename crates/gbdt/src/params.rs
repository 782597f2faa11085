//! [`GbdtParams`]: the builder, its validation and the `fit` entry points.

use cartera_core::{Error, Float, Result};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::boosting;
use crate::model::GbdtModel;
use crate::tree::Objective;

/// Most classes a multiclass GBDT accepts. Each class costs one tree per round and one score
/// per row, allocated up front, so a larger value is a mistake: bounding it makes that a typed
/// error instead of an allocation abort.
pub const MAX_CLASSES: usize = 65_536;

/// Evaluation metric for the per-round history and early stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// Binary log-loss (LightGBM `binary_logloss`), lower is better.
    LogLoss,
    /// Area under the ROC curve (LightGBM `auc`, ties counted half), higher is better.
    Auc,
    /// Multiclass log-loss (LightGBM `multi_logloss`), lower is better.
    MultiLogLoss,
    /// Mean squared error (LightGBM `l2`), lower is better.
    L2,
}

impl Metric {
    /// Whether a larger value is better (only AUC).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Auc)
    }

    /// The default metric of an objective: log-loss, multi-log-loss or L2.
    pub fn default_for(objective: Objective) -> Metric {
        match objective {
            Objective::Binary { .. } => Metric::LogLoss,
            Objective::Multiclass { .. } => Metric::MultiLogLoss,
            Objective::Regression => Metric::L2,
        }
    }
}

/// Histogram gradient-boosting parameters (a builder); [`fit`](Self::fit) returns a fitted
/// [`GbdtModel`].
///
/// Names and defaults are LightGBM's (4.x), so a LightGBM configuration carries over:
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `objective` | `Binary { sigmoid: 1.0 }` | binary log-loss, multiclass softmax or L2 regression |
/// | `num_leaves` | 31 | leaves per tree (leaf-wise, best-first growth), at least 2 |
/// | `max_depth` | -1 | depth limit; -1 = none, otherwise at least 1 |
/// | `min_data_in_leaf` | 20 | rows a leaf must keep |
/// | `min_sum_hessian_in_leaf` | 1e-3 | hessian sum a leaf must keep |
/// | `lambda_l1`, `lambda_l2` | 0, 0 | L1 / L2 penalties on leaf outputs |
/// | `min_gain_to_split` | 0 | smallest loss reduction a split must bring |
/// | `learning_rate` | 0.1 | shrinkage of each tree, `> 0` |
/// | `n_estimators` | 100 | boosting rounds (one tree per class per round for multiclass) |
/// | `max_bin` | 255 | bins per feature (2..=255), the NaN bin of a feature with missing values included, as LightGBM |
/// | `bin_construct_sample_cnt` | 200,000 | rows sampled to find bin boundaries |
/// | `feature_fraction` | 1.0 | share of features drawn for each tree, in (0, 1] |
/// | `bagging_fraction`, `bagging_freq` | 1.0, 0 | share of rows drawn every `bagging_freq` rounds (0 = no bagging) |
/// | `seed` | 0 | seed of sampling, bagging and feature draws |
/// | `scale_pos_weight` | 1.0 | weight of positive rows (binary) |
/// | `early_stopping_rounds` | `None` | stop when the validation metric has not improved for this many rounds |
/// | `metric` | `None` = by objective | log-loss, multi-log-loss or L2 |
/// | `categorical_features` | empty | feature indices to split as categories (LightGBM's method) |
/// | `max_cat_to_onehot` | 4 | bins (categories + 1) up to which a categorical split is one-vs-rest |
/// | `max_cat_threshold` | 32 | most categories on the smaller side of a many-vs-many split |
/// | `cat_l2`, `cat_smooth` | 10, 10 | extra L2 penalty of many-vs-many splits; smoothing of the gradient ratio categories are sorted by (categories with fewer rows are skipped) |
/// | `min_data_per_group` | 100 | rows a group of categories must add before a many-vs-many split is scored |
/// | `feature_names` | `None` | names stored in the model (`Column_0`, … otherwise) |
/// | `enable_bundle` | true | bundle mutually exclusive sparse features (one-hot columns) into one histogram column; lossless |
/// | `eval_train` | false | also record the training metric in the history (costs a pass per round) |
/// | `use_quantized_grad` | false | sum gradients quantized to a few integer levels (faster histograms; the trees change, see below) |
/// | `num_grad_quant_bins` | 4 | levels of quantized gradients (2..=127): gradients in `[-B/2, B/2]`, hessians in `[0, B]` |
/// | `quant_train_renew_leaf` | false | with quantized gradients, take leaf values from the rows' true gradients |
/// | `stochastic_rounding` | true | round quantized gradients at random (unbiased) rather than to nearest |
///
/// **Quantized gradients** (LightGBM's `use_quantized_grad`, Shi et al. 2022): before each
/// tree, gradients and hessians are scaled to small integers and each row's pair is packed in
/// one 64-bit integer, so histogram entries are exact integer sums in half the memory. Split
/// search and leaf values read them back in gradient units (`f64`), or, with
/// `quant_train_renew_leaf`, leaf values come from the true gradients (with `lambda_l1` and
/// `lambda_l2`, not `cat_l2`, as LightGBM). The trees differ from full-precision training:
/// accuracy is usually within noise of it (see `docs/benchmarks.md` for measured figures), and
/// the fit is faster where histograms dominate. Like everything else it is deterministic for a
/// seed.
///
/// ```
/// use cartera_core::datasets::Classification;
/// use cartera_gbdt::GbdtParams;
///
/// let (x, y) = Classification::new(3000).n_features(8).seed(5).generate()?;
/// let y = y.mapv(|c| c as f64);
/// let fit = |quantized: bool| {
///     GbdtParams::new()
///         .n_estimators(50)
///         .use_quantized_grad(quantized)
///         .quant_train_renew_leaf(quantized) // leaf values from the true gradients
///         .fit(x.view(), y.view())
/// };
/// let (full, quantized) = (fit(false)?, fit(true)?);
/// // Different trees, nearly the same scores.
/// assert_ne!(full.to_json()?, quantized.to_json()?);
/// let (p, q) = (full.predict_proba(x.view())?, quantized.predict_proba(x.view())?);
/// let gap = p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>() / p.len() as f64;
/// assert!(gap < 0.05, "mean probability gap {gap}");
/// # Ok::<(), cartera_core::Error>(())
/// ```
///
/// Results are bit-identical for a seed whatever the number of rayon threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    pub(crate) objective: Objective,
    pub(crate) num_leaves: usize,
    pub(crate) max_depth: i32,
    pub(crate) min_data_in_leaf: usize,
    pub(crate) min_sum_hessian_in_leaf: f64,
    pub(crate) lambda_l1: f64,
    pub(crate) lambda_l2: f64,
    pub(crate) min_gain_to_split: f64,
    pub(crate) learning_rate: f64,
    pub(crate) n_estimators: usize,
    pub(crate) max_bin: usize,
    pub(crate) bin_construct_sample_cnt: usize,
    pub(crate) feature_fraction: f64,
    pub(crate) bagging_fraction: f64,
    pub(crate) bagging_freq: usize,
    pub(crate) seed: u64,
    pub(crate) scale_pos_weight: f64,
    pub(crate) early_stopping_rounds: Option<usize>,
    pub(crate) metric: Option<Metric>,
    pub(crate) categorical_features: Vec<usize>,
    pub(crate) max_cat_to_onehot: usize,
    #[serde(default = "default_max_cat_threshold")]
    pub(crate) max_cat_threshold: usize,
    #[serde(default = "default_cat_ten")]
    pub(crate) cat_l2: f64,
    #[serde(default = "default_cat_ten")]
    pub(crate) cat_smooth: f64,
    #[serde(default = "default_min_data_per_group")]
    pub(crate) min_data_per_group: usize,
    pub(crate) feature_names: Option<Vec<String>>,
    pub(crate) eval_train: bool,
    #[serde(default = "enabled")]
    pub(crate) enable_bundle: bool,
    #[serde(default)]
    pub(crate) use_quantized_grad: bool,
    #[serde(default = "default_quant_bins")]
    pub(crate) num_grad_quant_bins: usize,
    #[serde(default)]
    pub(crate) quant_train_renew_leaf: bool,
    #[serde(default = "enabled")]
    pub(crate) stochastic_rounding: bool,
}

fn default_quant_bins() -> usize {
    4
}

fn enabled() -> bool {
    true
}

fn default_max_cat_threshold() -> usize {
    32
}

fn default_cat_ten() -> f64 {
    10.0
}

fn default_min_data_per_group() -> usize {
    100
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            objective: Objective::Binary { sigmoid: 1.0 },
            num_leaves: 31,
            max_depth: -1,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            min_gain_to_split: 0.0,
            learning_rate: 0.1,
            n_estimators: 100,
            max_bin: 255,
            bin_construct_sample_cnt: 200_000,
            feature_fraction: 1.0,
            bagging_fraction: 1.0,
            bagging_freq: 0,
            seed: 0,
            scale_pos_weight: 1.0,
            early_stopping_rounds: None,
            metric: None,
            categorical_features: Vec::new(),
            max_cat_to_onehot: 4,
            max_cat_threshold: 32,
            cat_l2: 10.0,
            cat_smooth: 10.0,
            min_data_per_group: 100,
            feature_names: None,
            eval_train: false,
            enable_bundle: true,
            use_quantized_grad: false,
            num_grad_quant_bins: 4,
            quant_train_renew_leaf: false,
            stochastic_rounding: true,
        }
    }
}

impl GbdtParams {
    /// The defaults (see the type's table).
    pub fn new() -> Self {
        Self::default()
    }

    cartera_core::setter!(/// Objective (default binary log-loss with sigmoid 1).
        objective: Objective);
    cartera_core::setter!(/// Leaves per tree (default 31, at least 2).
        num_leaves: usize);
    cartera_core::setter!(/// Maximum depth (default -1 = no limit; otherwise at least 1).
        max_depth: i32);
    cartera_core::setter!(/// Minimum rows per leaf (default 20).
        min_data_in_leaf: usize);
    cartera_core::setter!(/// Minimum hessian sum per leaf (default 1e-3).
        min_sum_hessian_in_leaf: f64);
    cartera_core::setter!(/// L1 penalty on leaf outputs (default 0).
        lambda_l1: f64);
    cartera_core::setter!(/// L2 penalty on leaf outputs (default 0).
        lambda_l2: f64);
    cartera_core::setter!(/// Minimum loss reduction of a split (default 0).
        min_gain_to_split: f64);
    cartera_core::setter!(/// Shrinkage (default 0.1, `> 0`).
        learning_rate: f64);
    cartera_core::setter!(/// Boosting rounds (default 100, at least 1).
        n_estimators: usize);
    cartera_core::setter!(/// Bins per feature (default 255, 2..=255). As in LightGBM, a feature with missing
        /// values in the bin-construction sample gets at most `max_bin - 1` value bins and its
        /// NaN bin.
        max_bin: usize);
    cartera_core::setter!(/// Rows sampled to find bin boundaries (default 200,000).
        bin_construct_sample_cnt: usize);
    cartera_core::setter!(/// Share of features drawn per tree (default 1.0, in (0, 1]).
        feature_fraction: f64);
    cartera_core::setter!(/// Share of rows drawn when bagging (default 1.0, in (0, 1]).
        bagging_fraction: f64);
    cartera_core::setter!(/// Redraw the bag every this many rounds (default 0 = no bagging).
        bagging_freq: usize);
    cartera_core::setter!(/// Seed of every random draw (default 0).
        seed: u64);
    cartera_core::setter!(/// Weight of positive rows for binary objectives (default 1.0, `> 0`).
        scale_pos_weight: f64);
    cartera_core::setter!(/// Early stopping patience in rounds (default `None`; needs a validation set).
        early_stopping_rounds: Option<usize>);
    cartera_core::setter!(/// Metric of the history and early stopping (default by objective).
        metric: Option<Metric>);
    cartera_core::setter!(/// Features split as categories (non-negative integer codes; default none).
        categorical_features: Vec<usize>);
    cartera_core::setter!(/// Bins of a categorical feature (its categories plus the missing bin) up to which
        /// a split is one category against the rest (default 4, at least 1).
        max_cat_to_onehot: usize);
    cartera_core::setter!(/// Most categories sent left by a many-vs-many split (default 32, at least 1).
        max_cat_threshold: usize);
    cartera_core::setter!(/// Extra L2 penalty of many-vs-many categorical splits (default 10, `>= 0`).
        cat_l2: f64);
    cartera_core::setter!(/// Smoothing of `Σgrad / (Σhess + cat_smooth)`, the order categories are tried in;
        /// categories with fewer rows than this are left out of a many-vs-many split (default
        /// 10, `>= 0`).
        cat_smooth: f64);
    cartera_core::setter!(/// Rows each further group of categories must bring before a many-vs-many
        /// split is scored (default 100, at least 1).
        min_data_per_group: usize);
    cartera_core::setter!(/// Feature names stored in the model (default `Column_0`, …).
        feature_names: Option<Vec<String>>);
    cartera_core::setter!(/// Bundle mutually exclusive sparse features into one histogram column (LightGBM's
        /// Exclusive Feature Bundling; default true). Exclusivity is checked on every training
        /// row, so the trees are the same either way (up to float summation order); only the
        /// speed changes.
        enable_bundle: bool);
    cartera_core::setter!(/// Also evaluate the training set each round (default false).
        eval_train: bool);
    cartera_core::setter!(/// Train on quantized gradients (LightGBM's `use_quantized_grad`; default false;
        /// see the type's doc).
        use_quantized_grad: bool);
    cartera_core::setter!(/// Levels of quantized gradients (default 4, 2..=127): gradients become integers
        /// in `[-B/2, B/2]`, hessians in `[0, B]`. More levels, closer to full precision. Fits
        /// need `rows * B < 2^32`.
        num_grad_quant_bins: usize);
    cartera_core::setter!(/// With quantized gradients, compute each leaf's value from its rows' true
        /// gradients once the tree is grown (default false).
        quant_train_renew_leaf: bool);
    cartera_core::setter!(/// Round quantized gradients stochastically, an unbiased estimate of each value
        /// (default true), rather than to the nearest level.
        stochastic_rounding: bool);

    /// The objective.
    pub fn get_objective(&self) -> Objective {
        self.objective
    }

    /// The metric used: the one set, or the objective's default.
    pub fn effective_metric(&self) -> Metric {
        self.metric
            .unwrap_or_else(|| Metric::default_for(self.objective))
    }

    /// Check every value; the first rule broken is returned as [`Error::InvalidParameter`].
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, value: String, reason: &str| {
            Err(Error::invalid_param(name, value, reason))
        };
        match self.objective {
            Objective::Binary { sigmoid } if !crate::objective::valid_sigmoid(sigmoid) => {
                return bad("sigmoid", sigmoid.to_string(), "must be finite and > 0");
            }
            Objective::Multiclass { n_classes } if n_classes < 2 => {
                return bad("n_classes", n_classes.to_string(), "must be at least 2");
            }
            // One score column and one tree per class and round are allocated up front: a
            // bound here turns an absurd value into an error instead of an allocation abort.
            Objective::Multiclass { n_classes } if n_classes > MAX_CLASSES => {
                return bad(
                    "n_classes",
                    n_classes.to_string(),
                    &format!("must be at most {MAX_CLASSES}"),
                );
            }
            _ => {}
        }
        if self.num_leaves < 2 || self.num_leaves > 131_072 {
            return bad(
                "num_leaves",
                self.num_leaves.to_string(),
                "must be between 2 and 131072",
            );
        }
        if self.max_depth == 0 || self.max_depth < -1 {
            return bad(
                "max_depth",
                self.max_depth.to_string(),
                "must be -1 (no limit) or at least 1",
            );
        }
        for (name, v) in [
            ("min_sum_hessian_in_leaf", self.min_sum_hessian_in_leaf),
            ("lambda_l1", self.lambda_l1),
            ("lambda_l2", self.lambda_l2),
            ("min_gain_to_split", self.min_gain_to_split),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v.to_string(), "must be finite and >= 0");
            }
        }
        for (name, v) in [
            ("learning_rate", self.learning_rate),
            ("scale_pos_weight", self.scale_pos_weight),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(name, v.to_string(), "must be finite and > 0");
            }
        }
        for (name, v) in [
            ("feature_fraction", self.feature_fraction),
            ("bagging_fraction", self.bagging_fraction),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return bad(name, v.to_string(), "must be in (0, 1]");
            }
        }
        if self.n_estimators == 0 {
            return bad("n_estimators", "0".into(), "must be at least 1");
        }
        if !(2..=255).contains(&self.max_bin) {
            return bad(
                "max_bin",
                self.max_bin.to_string(),
                "must be between 2 and 255 (bins are stored as bytes)",
            );
        }
        if self.bin_construct_sample_cnt == 0 {
            return bad("bin_construct_sample_cnt", "0".into(), "must be at least 1");
        }
        if !(2..=127).contains(&self.num_grad_quant_bins) {
            return bad(
                "num_grad_quant_bins",
                self.num_grad_quant_bins.to_string(),
                "must be between 2 and 127",
            );
        }
        if self.early_stopping_rounds == Some(0) {
            return bad("early_stopping_rounds", "0".into(), "must be at least 1");
        }
        for (name, v) in [
            ("max_cat_to_onehot", self.max_cat_to_onehot),
            ("max_cat_threshold", self.max_cat_threshold),
            ("min_data_per_group", self.min_data_per_group),
        ] {
            if v == 0 {
                return bad(name, "0".into(), "must be at least 1");
            }
        }
        for (name, v) in [("cat_l2", self.cat_l2), ("cat_smooth", self.cat_smooth)] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name, v.to_string(), "must be finite and >= 0");
            }
        }
        let mut seen = self.categorical_features.clone();
        seen.sort_unstable();
        if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
            return bad(
                "categorical_features",
                format!("{:?}", self.categorical_features),
                &format!("feature {} is listed twice", w[0]),
            );
        }
        let metric = self.effective_metric();
        let ok = matches!(
            (self.objective, metric),
            (Objective::Binary { .. }, Metric::LogLoss | Metric::Auc)
                | (Objective::Multiclass { .. }, Metric::MultiLogLoss)
                | (Objective::Regression, Metric::L2)
        );
        if !ok {
            return bad(
                "metric",
                format!("{metric:?}"),
                &format!("does not apply to the {:?} objective", self.objective),
            );
        }
        Ok(())
    }

    /// Fit on `x` (`n x d`, NaN = missing) and labels `y` (binary 0/1, multiclass `0..K`,
    /// regression any finite value).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a rejected parameter or label value,
    /// [`Error::EmptyInput`], [`Error::NonFinite`] for ±inf in `x` or NaN/inf in `y`,
    /// [`Error::ShapeMismatch`] when `y` has another length, [`Error::TooFewSamples`] when the
    /// labels hold a single class.
    pub fn fit<F: Float>(&self, x: ArrayView2<F>, y: ArrayView1<f64>) -> Result<GbdtModel> {
        boosting::train(self, x, y, None, None)
    }

    /// [`fit`](Self::fit) with a validation set: the per-round metric is recorded in
    /// [`GbdtModel::history`] and, with `early_stopping_rounds`, training stops when it has not
    /// improved for that many rounds and the model keeps the best round's trees.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] when `x_valid` has another width.
    pub fn fit_with_validation<F: Float>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<f64>,
        x_valid: ArrayView2<F>,
        y_valid: ArrayView1<f64>,
    ) -> Result<GbdtModel> {
        boosting::train(self, x, y, None, Some((x_valid, y_valid)))
    }

    /// [`fit`](Self::fit) with a weight per training row (finite, `>= 0`, not all zero) and an
    /// optional validation set.
    ///
    /// # Errors
    /// As [`fit_with_validation`](Self::fit_with_validation), plus [`Error::InvalidParameter`]
    /// for a negative or non-finite weight.
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<F>,
        y: ArrayView1<f64>,
        sample_weight: ArrayView1<f64>,
        valid: Option<(ArrayView2<F>, ArrayView1<f64>)>,
    ) -> Result<GbdtModel> {
        boosting::train(self, x, y, Some(sample_weight), valid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejects(p: GbdtParams, name: &str) {
        match p.validate() {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_lightgbms() {
        let p = GbdtParams::new();
        assert_eq!(p.num_leaves, 31);
        assert_eq!(p.max_depth, -1);
        assert_eq!(p.min_data_in_leaf, 20);
        assert_eq!(p.max_bin, 255);
        assert_eq!(p.effective_metric(), Metric::LogLoss);
        p.validate().unwrap();
    }

    #[test]
    fn each_rule_has_its_error() {
        rejects(GbdtParams::new().num_leaves(1), "num_leaves");
        rejects(GbdtParams::new().learning_rate(0.0), "learning_rate");
        rejects(GbdtParams::new().learning_rate(-0.1), "learning_rate");
        rejects(GbdtParams::new().learning_rate(f64::NAN), "learning_rate");
        rejects(GbdtParams::new().max_depth(0), "max_depth");
        rejects(GbdtParams::new().max_bin(256), "max_bin");
        rejects(GbdtParams::new().max_bin(1), "max_bin");
        rejects(GbdtParams::new().lambda_l2(-1.0), "lambda_l2");
        rejects(GbdtParams::new().feature_fraction(0.0), "feature_fraction");
        rejects(GbdtParams::new().bagging_fraction(1.5), "bagging_fraction");
        rejects(GbdtParams::new().n_estimators(0), "n_estimators");
        rejects(
            GbdtParams::new().early_stopping_rounds(Some(0)),
            "early_stopping_rounds",
        );
        rejects(GbdtParams::new().scale_pos_weight(0.0), "scale_pos_weight");
        rejects(
            GbdtParams::new().metric(Some(Metric::MultiLogLoss)),
            "metric",
        );
        rejects(
            GbdtParams::new().objective(Objective::Multiclass { n_classes: 1 }),
            "n_classes",
        );
        rejects(
            GbdtParams::new().objective(Objective::Multiclass { n_classes: 1 << 40 }),
            "n_classes",
        );
        rejects(
            GbdtParams::new().objective(Objective::Binary { sigmoid: 0.0 }),
            "sigmoid",
        );
    }
}
