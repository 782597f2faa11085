//! Feature scaling that matches scikit-learn: [`StandardScaler`], [`MinMaxScaler`] and
//! [`RobustScaler`], each fitted into one [`FittedScaler`].
//!
//! A scaler's parameters are a small builder (every default is listed on the type); `fit`
//! validates them and the data and returns an immutable, serialisable [`FittedScaler`] whose
//! `transform` and `inverse_transform` work on `f32` or `f64` matrices.
//!
//! | cartera | scikit-learn | transform |
//! |---|---|---|
//! | [`StandardScaler`] | `StandardScaler(with_mean, with_std)` | `(x - mean) / scale`, `scale = sqrt(var)` (population variance, ddof = 0) |
//! | [`MinMaxScaler`] | `MinMaxScaler(feature_range)` | `x * scale + min`, `scale = (b - a) / (data_max - data_min)`, `min = a - data_min * scale` |
//! | [`RobustScaler`] | `RobustScaler(with_centering, with_scaling, quantile_range)` | `(x - median) / (q_hi - q_lo)`, quantiles by NumPy's default linear interpolation |
//!
//! The formulas (including the order of operations) are scikit-learn's, so given the same
//! fitted statistics the transformed values are the same floating-point numbers; the statistics
//! themselves agree with scikit-learn 1.9 to about 1e-15 relative (see
//! `tests/scale_impute_vs_sklearn.rs`).
//!
//! **Constant columns** never produce NaN or ±inf: as scikit-learn's `_handle_zeros_in_scale`,
//! a scale that is (nearly) zero is replaced by 1, so a constant column is only shifted.
//! "Nearly" is scikit-learn's rule, which differs per scaler:
//!
//! * standard: the column is constant when `var <= n * eps * var + (n * |mean| * eps)^2`
//!   (`eps` = `f64::EPSILON` for both `f32` and `f64` data, since the moments are accumulated in
//!   `f64`), the error bound of the two-pass variance algorithm (Chan, Golub and LeVeque);
//! * min-max and robust: the range (`data_max - data_min`, `q_hi - q_lo`) is below
//!   `10 * eps` of the element type. This threshold is absolute, as in scikit-learn: a column
//!   whose whole range is below about 2.2e-15 (`f64`) is treated as constant.
//!
//! **Missing values are refused**: scalers accept only finite values, at fit and at transform.
//! NaN (missing) or ±inf is an [`Error::NonFinite`] naming the first offending row and column
//! (so a column without any finite value is reported at its first row). Fill gaps first with
//! [`crate::impute::SimpleImputer`]. Values so large that a block's column sum overflows
//! (magnitude above about 1e304) are refused by the standard scaler for the same reason
//! scikit-learn returns NaN for them.
//!
//! **Speed and determinism**: statistics are reduced over fixed blocks of rows in parallel
//! (rayon) and the partial results combined in block order, so 1 or 64 threads give the same
//! bits. The standard scaler computes mean and variance in one parallel pass over the data
//! (a two-pass computation inside each cache-resident block, blocks combined with Chan's
//! formula), and the transform is one fused parallel pass.
//!
//! ```
//! use cartera_preprocess::scale::{MinMaxScaler, RobustScaler, StandardScaler};
//! use ndarray::{Array2, array};
//!
//! // Three customers: age, monthly spend, and a constant flag column.
//! let x: Array2<f64> = array![[25.0, 120.0, 1.0], [35.0, 80.0, 1.0], [45.0, 40.0, 1.0]];
//!
//! let standard = StandardScaler::new().fit(x.view())?;
//! assert_eq!(standard.mean(), Some(&[35.0, 80.0, 1.0][..]));
//! let z = standard.transform(x.view())?;
//! assert!((z[[0, 0]] + 1.224744871391589).abs() < 1e-15);
//! // The constant column is centred, never divided by zero.
//! assert_eq!(z.column(2).to_vec(), vec![0.0, 0.0, 0.0]);
//! let back = standard.inverse_transform(z.view())?;
//! assert!((back[[2, 1]] - 40.0).abs() < 1e-12);
//!
//! let minmax = MinMaxScaler::new().feature_range(-1.0, 1.0).fit(x.view())?;
//! assert_eq!(minmax.transform(x.view())?.column(1).to_vec(), vec![1.0, 0.0, -1.0]);
//!
//! let (robust, scaled) = RobustScaler::new().fit_transform(x.view())?;
//! assert_eq!(robust.center(), Some(&[35.0, 80.0, 1.0][..]));
//! assert_eq!(scaled[[0, 0]], -1.0);
//!
//! // NaN is refused with its position: impute first.
//! let gap = array![[1.0, f64::NAN]];
//! assert!(StandardScaler::new().fit(gap.view()).is_err());
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::blocks::{Op, apply, apply_in_place, block_rows, reduce_row_blocks, rows_of, to_columns};

/// What the fit input is called in error messages.
const FIT_WHAT: &str = "data to scale (impute missing values and replace infinite ones first)";
/// What the transform input is called in error messages.
const TRANSFORM_WHAT: &str = "data to scale";
/// What the inverse-transform input is called in error messages.
const INVERSE_WHAT: &str = "data to inverse-transform";

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/// Standardisation: remove the mean and divide by the population standard deviation, as
/// scikit-learn's `StandardScaler`.
///
/// Defaults (as scikit-learn): `with_mean = true`, `with_std = true`.
///
/// With `with_std`, a (near-)constant column gets scale 1 (see the [module docs](self)).
/// The fitted [`FittedScaler::mean`] is available whenever `with_mean` or `with_std` is set,
/// [`FittedScaler::var`] and [`FittedScaler::scale`] only with `with_std` (as scikit-learn's
/// `mean_`, `var_` and `scale_`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardScaler {
    with_mean: bool,
    with_std: bool,
}

impl Default for StandardScaler {
    fn default() -> Self {
        Self {
            with_mean: true,
            with_std: true,
        }
    }
}

impl StandardScaler {
    /// The defaults: centre and scale.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to subtract the column mean (default `true`).
    pub fn with_mean(mut self, yes: bool) -> Self {
        self.with_mean = yes;
        self
    }

    /// Whether to divide by the column standard deviation (default `true`).
    pub fn with_std(mut self, yes: bool) -> Self {
        self.with_std = yes;
        self
    }

    /// Computes each column's mean and population variance in one parallel pass.
    ///
    /// Errors: [`Error::EmptyInput`] without rows or columns, [`Error::NonFinite`] at the first
    /// NaN or ±inf (row-major order), [`Error::NonFinite`] naming a block's first row when a
    /// column sum overflows (values above about 1e304), and [`Error::InvalidData`] naming the
    /// column when its variance overflows (values beyond about 1e154 from the mean).
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedScaler<F>> {
        validate::check_non_empty(x, FIT_WHAT)?;
        let (n, d) = x.dim();
        let moments = if self.with_mean || self.with_std {
            Some(moments(x)?)
        } else {
            validate::check_finite(x, FIT_WHAT)?;
            None
        };
        let (mean, var, scale) = match moments {
            None => (None, None, None),
            Some((mean, var)) => {
                if self.with_std
                    && let Some(j) = var.iter().position(|v| !v.is_finite())
                {
                    return Err(overflow_error(j, "variance"));
                }
                let scale = self.with_std.then(|| {
                    mean.iter()
                        .zip(&var)
                        .map(|(&m, &v)| F::cast_from_f64(standard_scale(v, m, n)))
                        .collect()
                });
                let cast = |v: &[f64]| v.iter().map(|&s| F::cast_from_f64(s)).collect();
                (Some(cast(&mean)), self.with_std.then(|| cast(&var)), scale)
            }
        };
        Ok(FittedScaler {
            n_features: d,
            n_samples_seen: n,
            stats: Stats::Standard {
                with_mean: self.with_mean,
                with_std: self.with_std,
                mean,
                var,
                scale,
            },
        })
    }

    /// [`fit`](Self::fit) then [`FittedScaler::transform`] on the same data.
    pub fn fit_transform<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(FittedScaler<F>, Array2<F>)> {
        let fitted = self.fit(x)?;
        let out = fitted.transform(x)?;
        Ok((fitted, out))
    }
}

/// The error for finite values whose statistic `what` (variance, range) overflows in column
/// `j`: scaling by 1 instead would leave the column silently unscaled (or map it to one
/// value).
fn overflow_error(j: usize, what: &str) -> Error {
    Error::invalid_data(
        format!("column {j} (0-based)"),
        format!(
            "its {what} overflows the floating-point range (values near the type's largest): \
             divide the column by a constant (e.g. 1e6) first"
        ),
    )
}

/// Scikit-learn's standard deviation with its near-constant rule (`_is_constant_feature`, then
/// `_handle_zeros_in_scale` with that mask): scale 1 when the variance is within the rounding
/// error bound of the two-pass algorithm.
fn standard_scale(var: f64, mean: f64, n: usize) -> f64 {
    let n = n as f64;
    let eps = f64::EPSILON;
    let bound = n * eps * var + (n * mean * eps).powi(2);
    if var <= bound { 1.0 } else { var.sqrt() }
}

/// Min-max scaling to a feature range `(a, b)`, as scikit-learn's `MinMaxScaler`:
/// `y = x * scale + min` with `scale = (b - a) / (data_max - data_min)` and
/// `min = a - data_min * scale`.
///
/// Defaults (as scikit-learn): `feature_range = (0.0, 1.0)`. `a < b`, both finite, is required.
///
/// A column whose range is below `10 * eps` is treated as constant (range 1), so it maps to
/// `a` rather than NaN (see the [module docs](self)). Values outside the training range map
/// outside `(a, b)` (no clipping, scikit-learn's default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinMaxScaler {
    feature_range: (f64, f64),
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        Self {
            feature_range: (0.0, 1.0),
        }
    }
}

impl MinMaxScaler {
    /// The defaults: scale to `[0, 1]`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The target range `(a, b)` of the training data (default `(0.0, 1.0)`); `a < b` required,
    /// checked at fit.
    pub fn feature_range(mut self, a: f64, b: f64) -> Self {
        self.feature_range = (a, b);
        self
    }

    fn check(&self) -> Result<()> {
        let (a, b) = self.feature_range;
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(Error::invalid_param(
                "feature_range",
                format!("({a}, {b})"),
                "must be two finite numbers (a, b) with a < b",
            ));
        }
        Ok(())
    }

    /// Finds each column's minimum and maximum in one parallel pass.
    ///
    /// Errors: [`Error::InvalidParameter`] for a bad `feature_range` (also when it does not fit
    /// in `F`), [`Error::EmptyInput`], [`Error::NonFinite`] at the first NaN or ±inf,
    /// [`Error::InvalidData`] naming the column when its range `max - min` overflows.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedScaler<F>> {
        self.check()?;
        let (a, b) = (
            F::cast_from_f64(self.feature_range.0),
            F::cast_from_f64(self.feature_range.1),
        );
        // An f32 range such as (-1e300, 1e300) overflows: refuse it rather than scale by inf.
        if !(a.is_finite() && b.is_finite() && (b - a).is_finite() && a < b) {
            return Err(Error::invalid_param(
                "feature_range",
                format!("({}, {})", self.feature_range.0, self.feature_range.1),
                format!("must be representable as {} with a finite b - a", F::NAME),
            ));
        }
        validate::check_non_empty(x, FIT_WHAT)?;
        let (n, d) = x.dim();
        let (data_min, data_max) = min_max(x)?;
        let ten_eps = F::cast_from_f64(10.0) * F::epsilon();
        let data_range: Vec<F> = data_min
            .iter()
            .zip(&data_max)
            .map(|(&lo, &hi)| hi - lo)
            .collect();
        if let Some(j) = data_range.iter().position(|r| !r.is_finite()) {
            return Err(overflow_error(j, "range (max - min)"));
        }
        // scikit-learn: scale_ = (b - a) / _handle_zeros_in_scale(data_range).
        let scale: Vec<F> = data_range
            .iter()
            .map(|&r| (b - a) / if r < ten_eps { F::one() } else { r })
            .collect();
        let min = data_min
            .iter()
            .zip(&scale)
            .map(|(&lo, &s)| a - lo * s)
            .collect();
        Ok(FittedScaler {
            n_features: d,
            n_samples_seen: n,
            stats: Stats::MinMax {
                feature_range: (a, b),
                data_min,
                data_max,
                data_range,
                scale,
                min,
            },
        })
    }

    /// [`fit`](Self::fit) then [`FittedScaler::transform`] on the same data.
    pub fn fit_transform<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(FittedScaler<F>, Array2<F>)> {
        let fitted = self.fit(x)?;
        let out = fitted.transform(x)?;
        Ok((fitted, out))
    }
}

/// Robust scaling: subtract the median and divide by an inter-quantile range, as scikit-learn's
/// `RobustScaler` (without its `unit_variance` option).
///
/// Defaults (as scikit-learn): `with_centering = true`, `with_scaling = true`,
/// `quantile_range = (25.0, 75.0)` (percent, the IQR). `0 <= q_lo < q_hi <= 100` is required.
///
/// Quantiles use NumPy's default (`linear`) interpolation and the median NumPy's (the mean of
/// the two middle values for an even count). A range below `10 * eps` becomes 1 (see the
/// [module docs](self)). Fitting copies the data into columns (one extra matrix of memory) and
/// selects order statistics per column in parallel, in O(n) per column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustScaler {
    with_centering: bool,
    with_scaling: bool,
    quantile_range: (f64, f64),
}

impl Default for RobustScaler {
    fn default() -> Self {
        Self {
            with_centering: true,
            with_scaling: true,
            quantile_range: (25.0, 75.0),
        }
    }
}

impl RobustScaler {
    /// The defaults: median and IQR.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether to subtract the column median (default `true`).
    pub fn with_centering(mut self, yes: bool) -> Self {
        self.with_centering = yes;
        self
    }

    /// Whether to divide by the inter-quantile range (default `true`).
    pub fn with_scaling(mut self, yes: bool) -> Self {
        self.with_scaling = yes;
        self
    }

    /// The quantiles `(q_lo, q_hi)` in percent whose difference is the scale (default
    /// `(25.0, 75.0)`); `0 <= q_lo < q_hi <= 100` required, checked at fit.
    pub fn quantile_range(mut self, q_lo: f64, q_hi: f64) -> Self {
        self.quantile_range = (q_lo, q_hi);
        self
    }

    fn check(&self) -> Result<()> {
        let (lo, hi) = self.quantile_range;
        if !(0.0 <= lo && lo < hi && hi <= 100.0) {
            return Err(Error::invalid_param(
                "quantile_range",
                format!("({lo}, {hi})"),
                "must be percentages (q_lo, q_hi) with 0 <= q_lo < q_hi <= 100",
            ));
        }
        Ok(())
    }

    /// Computes each column's median and quantiles (in parallel over columns).
    ///
    /// Errors: [`Error::InvalidParameter`] for a bad `quantile_range`, [`Error::EmptyInput`],
    /// [`Error::NonFinite`] at the first NaN or ±inf, [`Error::InvalidData`] naming the column
    /// when its median or interquartile range overflows.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedScaler<F>> {
        self.check()?;
        validate::check_non_empty(x, FIT_WHAT)?;
        validate::check_finite(x, FIT_WHAT)?;
        let (n, d) = x.dim();
        let (mut center, mut scale) = (None, None);
        if self.with_centering || self.with_scaling {
            let (q_lo, q_hi) = self.quantile_range;
            let (want_median, want_range) = (self.with_centering, self.with_scaling);
            let mut columns = rows_of(x, |xs| to_columns(xs, n, d));
            let per_column: Vec<(F, F)> = columns
                .par_chunks_mut(n)
                .map(|col| {
                    let plan = blocks::QuantilePlan::new(n, want_median, want_range, q_lo, q_hi);
                    plan.evaluate(col)
                })
                .collect();
            if let Some(j) = per_column
                .iter()
                .position(|p| !(p.0.is_finite() && p.1.is_finite()))
            {
                return Err(overflow_error(j, "interquartile range"));
            }
            let ten_eps = F::cast_from_f64(10.0) * F::epsilon();
            if want_median {
                center = Some(per_column.iter().map(|p| p.0).collect());
            }
            if want_range {
                scale = Some(
                    per_column
                        .iter()
                        .map(|p| if p.1 < ten_eps { F::one() } else { p.1 })
                        .collect(),
                );
            }
        }
        Ok(FittedScaler {
            n_features: d,
            n_samples_seen: n,
            stats: Stats::Robust {
                with_centering: self.with_centering,
                with_scaling: self.with_scaling,
                quantile_range: self.quantile_range,
                center,
                scale,
            },
        })
    }

    /// [`fit`](Self::fit) then [`FittedScaler::transform`] on the same data.
    pub fn fit_transform<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(FittedScaler<F>, Array2<F>)> {
        let fitted = self.fit(x)?;
        let out = fitted.transform(x)?;
        Ok((fitted, out))
    }
}

// ---------------------------------------------------------------------------------------------
// Fitted model
// ---------------------------------------------------------------------------------------------

/// Which scaler produced a [`FittedScaler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalerKind {
    /// [`StandardScaler`].
    Standard,
    /// [`MinMaxScaler`].
    MinMax,
    /// [`RobustScaler`].
    Robust,
}

impl ScalerKind {
    /// Fit this kind of scaler with its default parameters (what `cartera prep --scale` and
    /// `cartera kmeans --scale` do).
    pub fn fit<F: Float>(self, x: ArrayView2<'_, F>) -> Result<FittedScaler<F>> {
        match self {
            ScalerKind::Standard => StandardScaler::new().fit(x),
            ScalerKind::MinMax => MinMaxScaler::new().fit(x),
            ScalerKind::Robust => RobustScaler::new().fit(x),
        }
    }
}

/// A fitted scaler: per-column statistics and the transform they define. Immutable; saved and
/// loaded with serde (the JSON names the kind and holds scikit-learn's attributes).
///
/// Accessors are named after scikit-learn's fitted attributes (`mean_` is [`mean`](Self::mean),
/// and so on) and return `None` where scikit-learn's attribute is `None` or absent.
///
/// Loading checks that the statistics fit together (one value per feature; a mean exactly when
/// `with_mean` or `with_std`, a scale exactly when `with_std`, and so on): a damaged file is an error when it
/// is read, never a transform that quietly skips a statistic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "ScalerFile<F>",
    bound(deserialize = "F: Float", serialize = "F: Serialize")
)]
pub struct FittedScaler<F> {
    n_features: usize,
    n_samples_seen: usize,
    stats: Stats<F>,
}

/// [`FittedScaler`] as stored, before its statistics are checked.
#[derive(Deserialize)]
#[serde(bound(deserialize = "F: Float"))]
struct ScalerFile<F> {
    n_features: usize,
    n_samples_seen: usize,
    stats: Stats<F>,
}

impl<F: Float> TryFrom<ScalerFile<F>> for FittedScaler<F> {
    type Error = String;

    fn try_from(f: ScalerFile<F>) -> std::result::Result<Self, String> {
        let n = f.n_features;
        // (name, values, required, a divisor)
        let parts: Vec<(&str, Option<&[F]>, bool, bool)> = match &f.stats {
            Stats::Standard {
                with_mean,
                with_std,
                mean,
                var,
                scale,
            } => vec![
                // The mean is kept for the variance too (scikit-learn's `mean_`).
                ("mean", mean.as_deref(), *with_mean || *with_std, false),
                ("var", var.as_deref(), *with_std, false),
                ("scale", scale.as_deref(), *with_std, true),
            ],
            Stats::MinMax {
                data_min,
                data_max,
                data_range,
                scale,
                min,
                ..
            } => vec![
                ("data_min", Some(&data_min[..]), true, false),
                ("data_max", Some(&data_max[..]), true, false),
                ("data_range", Some(&data_range[..]), true, false),
                ("scale", Some(&scale[..]), true, true),
                ("min", Some(&min[..]), true, false),
            ],
            Stats::Robust {
                with_centering,
                with_scaling,
                center,
                scale,
                ..
            } => vec![
                ("center", center.as_deref(), *with_centering, false),
                ("scale", scale.as_deref(), *with_scaling, true),
            ],
        };
        for (name, values, required, divisor) in parts {
            match (values, required) {
                (Some(v), true) if v.len() != n => {
                    return Err(format!(
                        "scaler `{name}` holds {} values for {n} features",
                        v.len()
                    ));
                }
                (None, true) => return Err(format!("scaler `{name}` is missing")),
                (Some(_), false) => {
                    return Err(format!(
                        "scaler `{name}` is present although its flag (with_mean, with_std, \
                         with_centering or with_scaling) is off"
                    ));
                }
                _ => {}
            }
            // Every statistic finite, and every divisor nonzero (a fit replaces a zero range by
            // 1): an edited file would otherwise turn each row into infinities, reported later
            // as bad input rows.
            let v = values.unwrap_or_default();
            if let Some(j) = v
                .iter()
                .position(|x| !x.is_finite() || (divisor && *x == F::zero()))
            {
                return Err(format!(
                    "scaler `{name}` of feature {j} (0-based) is {}: the file was edited or damaged",
                    v[j].as_f64()
                ));
            }
        }
        Ok(FittedScaler {
            n_features: f.n_features,
            n_samples_seen: f.n_samples_seen,
            stats: f.stats,
        })
    }
}

/// The statistics of each scaler, with scikit-learn's names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Stats<F> {
    Standard {
        with_mean: bool,
        with_std: bool,
        mean: Option<Vec<F>>,
        var: Option<Vec<F>>,
        scale: Option<Vec<F>>,
    },
    MinMax {
        feature_range: (F, F),
        data_min: Vec<F>,
        data_max: Vec<F>,
        data_range: Vec<F>,
        scale: Vec<F>,
        min: Vec<F>,
    },
    Robust {
        with_centering: bool,
        with_scaling: bool,
        quantile_range: (f64, f64),
        center: Option<Vec<F>>,
        scale: Option<Vec<F>>,
    },
}

impl<F: Float> FittedScaler<F> {
    /// Which scaler this is.
    pub fn kind(&self) -> ScalerKind {
        match self.stats {
            Stats::Standard { .. } => ScalerKind::Standard,
            Stats::MinMax { .. } => ScalerKind::MinMax,
            Stats::Robust { .. } => ScalerKind::Robust,
        }
    }

    /// Number of columns seen at fit (scikit-learn's `n_features_in_`).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of rows seen at fit (scikit-learn's `n_samples_seen_`).
    pub fn n_samples_seen(&self) -> usize {
        self.n_samples_seen
    }

    /// Column means (`mean_`): standard scaler with `with_mean` or `with_std`, else `None`.
    pub fn mean(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::Standard { mean, .. } => mean.as_deref(),
            _ => None,
        }
    }

    /// Column population variances, ddof = 0 (`var_`): standard scaler with `with_std`.
    pub fn var(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::Standard { var, .. } => var.as_deref(),
            _ => None,
        }
    }

    /// Per-column scale (`scale_`): the standard deviation (standard), `(b - a) / data_range`
    /// (min-max) or the inter-quantile range (robust), with near-zero ranges replaced by 1.
    /// `None` for a standard scaler without `with_std` or a robust one without `with_scaling`.
    pub fn scale(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::Standard { scale, .. } | Stats::Robust { scale, .. } => scale.as_deref(),
            Stats::MinMax { scale, .. } => Some(scale),
        }
    }

    /// Column medians (`center_`): robust scaler with `with_centering`.
    pub fn center(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::Robust { center, .. } => center.as_deref(),
            _ => None,
        }
    }

    /// Column minima (`data_min_`): min-max scaler.
    pub fn data_min(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::MinMax { data_min, .. } => Some(data_min),
            _ => None,
        }
    }

    /// Column maxima (`data_max_`): min-max scaler.
    pub fn data_max(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::MinMax { data_max, .. } => Some(data_max),
            _ => None,
        }
    }

    /// `data_max - data_min` before the constant-column rule (`data_range_`): min-max scaler.
    pub fn data_range(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::MinMax { data_range, .. } => Some(data_range),
            _ => None,
        }
    }

    /// The per-column shift `a - data_min * scale` (`min_`): min-max scaler.
    pub fn min(&self) -> Option<&[F]> {
        match &self.stats {
            Stats::MinMax { min, .. } => Some(min),
            _ => None,
        }
    }

    /// The target range `(a, b)` in `F` (`feature_range`): min-max scaler.
    pub fn feature_range(&self) -> Option<(F, F)> {
        match &self.stats {
            Stats::MinMax { feature_range, .. } => Some(*feature_range),
            _ => None,
        }
    }

    /// The quantiles in percent (`quantile_range`): robust scaler.
    pub fn quantile_range(&self) -> Option<(f64, f64)> {
        match &self.stats {
            Stats::Robust { quantile_range, .. } => Some(*quantile_range),
            _ => None,
        }
    }

    /// Scales `x` (one fused parallel pass over row blocks).
    ///
    /// Errors: [`Error::ShapeMismatch`] unless `x` has [`n_features`](Self::n_features)
    /// columns, [`Error::NonFinite`] at the first NaN or ±inf, [`Error::ModelFormat`] for a
    /// loaded model whose statistics have the wrong length. An empty `x` (no rows) gives an
    /// empty output.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validate::check_width(x, self.n_features, TRANSFORM_WHAT)?;
        let (op, p, q) = self.coefficients(false)?;
        apply(x, op, &p, &q, TRANSFORM_WHAT)
    }

    /// Undoes [`transform`](Self::transform) (up to rounding), with scikit-learn's formulas:
    /// `x * scale + mean` (standard), `(x - min) / scale` (min-max), `x * scale + center`
    /// (robust). Errors as [`transform`](Self::transform).
    pub fn inverse_transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validate::check_width(x, self.n_features, INVERSE_WHAT)?;
        let (op, p, q) = self.coefficients(true)?;
        apply(x, op, &p, &q, INVERSE_WHAT)
    }

    /// Scales `x` in place, as scikit-learn's `copy=False`: no new matrix is allocated when `x`
    /// is in standard (row-major) layout, which for large inputs also saves the page faults of
    /// a fresh output. `x` is validated first, so on error it is left unchanged.
    ///
    /// Errors as [`transform`](Self::transform).
    pub fn transform_in_place(&self, x: ArrayViewMut2<'_, F>) -> Result<()> {
        validate::check_width(x.view(), self.n_features, TRANSFORM_WHAT)?;
        validate::check_finite(x.view(), TRANSFORM_WHAT)?;
        let (op, p, q) = self.coefficients(false)?;
        apply_in_place(x, op, &p, &q)
    }

    /// The kernel and its two per-column coefficient vectors, for the transform or its inverse.
    /// Checks the lengths, because a model loaded from a file may be inconsistent.
    fn coefficients(&self, inverse: bool) -> Result<(Op, Vec<F>, Vec<F>)> {
        let d = self.n_features;
        if d == 0 {
            return Err(Error::model_format("scaler with 0 features"));
        }
        let checked = |v: Option<&Vec<F>>, fill: F, name: &str| -> Result<Vec<F>> {
            match v {
                None => Ok(vec![fill; d]),
                Some(v) if v.len() == d => Ok(v.clone()),
                Some(v) => Err(Error::model_format(format!(
                    "scaler `{name}` has {} values for {d} features",
                    v.len()
                ))),
            }
        };
        let (zero, one) = (F::zero(), F::one());
        // Each pair is exactly scikit-learn's in-place sequence (`X -= a; X /= b` or
        // `X *= b; X += a`), so results match it bit for bit given the same statistics.
        Ok(match &self.stats {
            Stats::Standard {
                with_mean,
                with_std,
                mean,
                scale,
                ..
            } => {
                let mean = if *with_mean { mean.as_ref() } else { None };
                let scale = if *with_std { scale.as_ref() } else { None };
                let (a, b) = (checked(mean, zero, "mean")?, checked(scale, one, "scale")?);
                if inverse {
                    (Op::MulAdd, b, a)
                } else {
                    (Op::SubDiv, a, b)
                }
            }
            Stats::MinMax { scale, min, .. } => {
                let (s, m) = (
                    checked(Some(scale), one, "scale")?,
                    checked(Some(min), zero, "min")?,
                );
                if inverse {
                    (Op::SubDiv, m, s)
                } else {
                    (Op::MulAdd, s, m)
                }
            }
            Stats::Robust { center, scale, .. } => {
                let c = checked(center.as_ref(), zero, "center")?;
                let s = checked(scale.as_ref(), one, "scale")?;
                if inverse {
                    (Op::MulAdd, s, c)
                } else {
                    (Op::SubDiv, c, s)
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Fitting kernels
// ---------------------------------------------------------------------------------------------

/// One block's column sums, means and centred sums of squares.
struct BlockMoments {
    rows: usize,
    sum: Vec<f64>,
    mean: Vec<f64>,
    /// `sum(x - mean)`: what the rounding of `mean` left over (the block's true mean is
    /// `mean + correction / rows`).
    correction: Vec<f64>,
    m2: Vec<f64>,
}

/// Two passes over one block (the second from cache): sums, then scikit-learn's corrected
/// two-pass sum of squares `sum((x - m)^2) - sum(x - m)^2 / n` around the block mean.
/// `Err(column)` names the first column whose sum is not finite.
fn block_moments<F: Float>(block: &[F], d: usize) -> std::result::Result<BlockMoments, usize> {
    let rows = block.len() / d;
    let mut sum = vec![0.0f64; d];
    for row in block.chunks_exact(d) {
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += v.as_f64();
        }
    }
    // NaN or ±inf anywhere in the block makes its column sum non-finite (so does overflow).
    if let Some(column) = sum.iter().position(|s| !s.is_finite()) {
        return Err(column);
    }
    let nb = rows as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / nb).collect();
    let mut correction = vec![0.0f64; d];
    let mut squares = vec![0.0f64; d];
    for row in block.chunks_exact(d) {
        for (((c, q), &m), &v) in correction.iter_mut().zip(&mut squares).zip(&mean).zip(row) {
            let dev = v.as_f64() - m;
            *c += dev;
            *q += dev * dev;
        }
    }
    // The correction can only remove rounding error; it never makes a sum of squares negative.
    let m2 = squares
        .iter()
        .zip(&correction)
        .map(|(q, c)| (q - c * c / nb).max(0.0))
        .collect();
    Ok(BlockMoments {
        rows,
        sum,
        mean,
        correction,
        m2,
    })
}

/// Column means and population variances (f64), reduced over blocks in block order.
fn moments<F: Float>(x: ArrayView2<'_, F>) -> Result<(Vec<f64>, Vec<f64>)> {
    let (n, d) = x.dim();
    let blocks: Vec<std::result::Result<BlockMoments, usize>> =
        rows_of(x, |xs| reduce_row_blocks(xs, d, |b| block_moments(b, d)));
    let mut parts = Vec::with_capacity(blocks.len());
    for (i, b) in blocks.into_iter().enumerate() {
        match b {
            Ok(b) => parts.push(b),
            Err(column) => {
                validate::check_finite(x, FIT_WHAT)?;
                // Finite values whose sum overflows (magnitudes near f64::MAX): no mean exists
                // in floating point, as in scikit-learn (which returns NaN).
                let row = i * block_rows(d);
                return Err(Error::NonFinite {
                    what: format!(
                        "the sum of column {column} from row {row} on (values too large to average)"
                    ),
                    row,
                    column,
                    value: "inf".into(),
                });
            }
        }
    }
    let nf = n as f64;
    let mut total = vec![0.0f64; d];
    for p in &parts {
        for (t, s) in total.iter_mut().zip(&p.sum) {
            *t += s;
        }
    }
    // The reported mean is scikit-learn's estimate, column sum / n (bit-identical to it when
    // the data fit in one block, whose rows are summed in the same order as NumPy).
    let mean: Vec<f64> = total.iter().map(|t| t / nf).collect();
    // The variance combines blocks with Chan et al.'s M2 = sum_b (M2_b + n_b (mu_b - mu)^2), in
    // block order, with the block means mu_b and global mean mu corrected by the residuals the
    // second pass measured. With rounded means instead, an error of a few ulp in a mean near
    // 1e9 would cost the variance hundreds of ulp. With one block, delta is exactly 0 and the
    // variance is scikit-learn's formula.
    let mut residual = vec![0.0f64; d];
    for p in &parts {
        let nb = p.rows as f64;
        for ((r, (&mb, &c)), &m) in residual
            .iter_mut()
            .zip(p.mean.iter().zip(&p.correction))
            .zip(&mean)
        {
            *r += nb * (mb - m) + c;
        }
    }
    // The global correction stays apart from the mean: added to a mean near 1e9 it would round
    // away. `mb - m` is exact (two close numbers); the corrections are small.
    let shift: Vec<f64> = residual.iter().map(|r| r / nf).collect();
    let mut m2 = vec![0.0f64; d];
    for p in &parts {
        let nb = p.rows as f64;
        for (((acc, &m2b), (&mb, &c)), (&m, &e)) in m2
            .iter_mut()
            .zip(&p.m2)
            .zip(p.mean.iter().zip(&p.correction))
            .zip(mean.iter().zip(&shift))
        {
            let delta = (mb - m) + (c / nb - e);
            *acc += m2b + nb * delta * delta;
        }
    }
    let var = m2.iter().map(|s| s / nf).collect();
    Ok((mean, var))
}

/// Column minima and maxima in one parallel pass.
fn min_max<F: Float>(x: ArrayView2<'_, F>) -> Result<(Vec<F>, Vec<F>)> {
    let d = x.ncols();
    let blocks: Vec<Option<(Vec<F>, Vec<F>)>> = rows_of(x, |xs| {
        reduce_row_blocks(xs, d, |block| {
            let first = block.get(..d)?;
            let (mut lo, mut hi) = (first.to_vec(), first.to_vec());
            // `v * 0` is 0 for finite v and NaN otherwise: a branch-free finiteness check.
            let mut poison = vec![F::zero(); d];
            for row in block.chunks_exact(d) {
                for (((l, h), z), &v) in lo.iter_mut().zip(&mut hi).zip(&mut poison).zip(row) {
                    if v < *l {
                        *l = v;
                    }
                    if v > *h {
                        *h = v;
                    }
                    *z += v * F::zero();
                }
            }
            poison.iter().all(|z| *z == F::zero()).then_some((lo, hi))
        })
    });
    let mut lo: Option<Vec<F>> = None;
    let mut hi: Option<Vec<F>> = None;
    for b in blocks {
        let Some((bl, bh)) = b else {
            validate::check_finite(x, FIT_WHAT)?;
            // Not reached: the poison sum is non-finite only when an input value is, and then
            // `check_finite` has returned the error naming it.
            return Err(Error::empty(FIT_WHAT));
        };
        match (&mut lo, &mut hi) {
            (Some(l), Some(h)) => {
                for (a, v) in l.iter_mut().zip(&bl) {
                    if *v < *a {
                        *a = *v;
                    }
                }
                for (a, v) in h.iter_mut().zip(&bh) {
                    if *v > *a {
                        *a = *v;
                    }
                }
            }
            _ => {
                lo = Some(bl);
                hi = Some(bh);
            }
        }
    }
    match (lo, hi) {
        (Some(l), Some(h)) => Ok((l, h)),
        _ => Err(Error::empty(FIT_WHAT)),
    }
}

// ---------------------------------------------------------------------------------------------
// Block kernels shared with `impute`
// ---------------------------------------------------------------------------------------------

/// Row-block and column kernels shared by the scalers and the imputer.
pub(crate) mod blocks {
    use std::cmp::Ordering;

    use cartera_core::{Error, Float, Result, validate};
    use ndarray::{Array2, ArrayView2, ArrayViewMut2};
    use rayon::prelude::*;

    /// Target elements per block (1 MiB of `f64`): a block stays in L2 cache between the two
    /// passes of the variance computation.
    const BLOCK_ELEMENTS: usize = 1 << 17;

    /// Rows per block for `d` columns. It depends on the shape only, never on the thread
    /// count, so block-ordered reductions give the same bits with any number of threads.
    pub(crate) fn block_rows(d: usize) -> usize {
        (BLOCK_ELEMENTS / d.max(1)).clamp(64, 4096)
    }

    /// Calls `f` with the row-major elements of `x`: borrowed when `x` is already in standard
    /// layout, copied once otherwise (transposed or sliced views).
    pub(crate) fn rows_of<F: Float, T>(x: ArrayView2<'_, F>, f: impl FnOnce(&[F]) -> T) -> T {
        let standard = x.as_standard_layout();
        match standard.as_slice() {
            Some(xs) => f(xs),
            // `as_standard_layout` is contiguous, so this copy is a fallback that never runs.
            None => f(&standard.iter().copied().collect::<Vec<F>>()),
        }
    }

    /// `f` on each block of whole rows of the row-major `xs` (`d` columns), in parallel;
    /// results in block order.
    pub(crate) fn reduce_row_blocks<F: Float, T: Send>(
        xs: &[F],
        d: usize,
        f: impl Fn(&[F]) -> T + Sync,
    ) -> Vec<T> {
        let d = d.max(1);
        xs.par_chunks(block_rows(d) * d).map(&f).collect()
    }

    /// A fresh row-major `n x d` output filled block by block by `kernel(input_block,
    /// output_block)` in parallel, with each block's kernel result in block order.
    pub(crate) fn map_row_blocks<F: Float, T: Send>(
        xs: &[F],
        n: usize,
        d: usize,
        kernel: impl Fn(&[F], &mut [F]) -> T + Sync,
    ) -> Result<(Array2<F>, Vec<T>)> {
        // A zeroed allocation: pages are mapped lazily, first touched by the worker that writes
        // them, and (large outputs on Linux) 2 MiB at a time, see `cartera_core::memory`.
        let mut out = cartera_core::memory::zeroed::<F>(n * d);
        let chunk = block_rows(d) * d.max(1);
        let results = out
            .par_chunks_mut(chunk)
            .zip(xs.par_chunks(chunk))
            .map(|(o, i)| kernel(i, o))
            .collect();
        let out = Array2::from_shape_vec((n, d), out).map_err(|_| Error::ShapeMismatch {
            what: "output elements".into(),
            expected: n * d,
            found: xs.len(),
        })?;
        Ok((out, results))
    }

    /// The two fused per-column affine maps, each exactly one of scikit-learn's in-place
    /// sequences.
    #[derive(Clone, Copy, Debug)]
    pub(crate) enum Op {
        /// `(x - p) / q`
        SubDiv,
        /// `x * p + q`
        MulAdd,
    }

    /// Applies `op` with per-column coefficients `p`, `q` to `x` in one parallel pass, refusing
    /// NaN and ±inf (named as `what`, first offending cell in row-major order).
    pub(crate) fn apply<F: Float>(
        x: ArrayView2<'_, F>,
        op: Op,
        p: &[F],
        q: &[F],
        what: &str,
    ) -> Result<Array2<F>> {
        let (n, d) = x.dim();
        let (out, finite) = rows_of(x, |xs| {
            map_row_blocks(xs, n, d, |xb, ob| {
                // `v * 0` is 0 for finite v and NaN otherwise: a branch-free finiteness check
                // fused into the pass instead of a second read of the input.
                let mut poison = vec![F::zero(); d];
                let rows = xb.chunks_exact(d).zip(ob.chunks_exact_mut(d));
                match op {
                    Op::SubDiv => {
                        for (xr, or) in rows {
                            for ((((o, &v), &a), &b), z) in
                                or.iter_mut().zip(xr).zip(p).zip(q).zip(&mut poison)
                            {
                                *o = (v - a) / b;
                                *z += v * F::zero();
                            }
                        }
                    }
                    Op::MulAdd => {
                        for (xr, or) in rows {
                            for ((((o, &v), &a), &b), z) in
                                or.iter_mut().zip(xr).zip(p).zip(q).zip(&mut poison)
                            {
                                *o = v * a + b;
                                *z += v * F::zero();
                            }
                        }
                    }
                }
                poison.iter().all(|z| *z == F::zero())
            })
        })?;
        if !finite.iter().all(|&ok| ok) {
            validate::check_finite(x, what)?;
        }
        Ok(out)
    }

    /// Applies `op` to already validated data in place: parallel over blocks of rows when `x`
    /// is row-major, otherwise through one row-major copy assigned back.
    pub(crate) fn apply_in_place<F: Float>(
        mut x: ArrayViewMut2<'_, F>,
        op: Op,
        p: &[F],
        q: &[F],
    ) -> Result<()> {
        let d = x.ncols();
        if let Some(xs) = x.as_slice_mut() {
            xs.par_chunks_mut(block_rows(d) * d.max(1))
                .for_each(|block| {
                    for row in block.chunks_exact_mut(d) {
                        match op {
                            Op::SubDiv => {
                                for ((v, &a), &b) in row.iter_mut().zip(p).zip(q) {
                                    *v = (*v - a) / b;
                                }
                            }
                            Op::MulAdd => {
                                for ((v, &a), &b) in row.iter_mut().zip(p).zip(q) {
                                    *v = *v * a + b;
                                }
                            }
                        }
                    }
                });
            return Ok(());
        }
        let out = apply(x.view(), op, p, q, "data to scale")?;
        x.assign(&out);
        Ok(())
    }

    /// The row-major `xs` (`n` rows, `d` columns) copied into column-major order (column `j` is
    /// `out[j * n..(j + 1) * n]`). Parallel over groups of 8 columns (one cache line of `f64`),
    /// each reading the rows in order.
    pub(crate) fn to_columns<F: Float>(xs: &[F], n: usize, d: usize) -> Vec<F> {
        const GROUP: usize = 8;
        let mut cols = vec![F::zero(); n * d];
        if n == 0 || d == 0 {
            return cols;
        }
        cols.par_chunks_mut(n * GROUP)
            .enumerate()
            .for_each(|(g, dst)| {
                let j0 = g * GROUP;
                let width = dst.len() / n;
                for (r, row) in xs.chunks_exact(d).enumerate() {
                    for (k, &v) in row[j0..j0 + width].iter().enumerate() {
                        dst[k * n + r] = v;
                    }
                }
            });
        cols
    }

    /// Orders NaN-free values; `total_cmp` on the exact `f64` widening gives a total order.
    pub(crate) fn cmp<F: Float>(a: &F, b: &F) -> Ordering {
        a.as_f64().total_cmp(&b.as_f64())
    }

    /// The order statistics at the ascending, distinct indices `ks` (each `< v.len()`) of
    /// NaN-free `v`, in O(len) each by successive selection on the part right of the last one.
    pub(crate) fn order_stats<F: Float>(v: &mut [F], ks: &[usize]) -> Vec<F> {
        let mut out = Vec::with_capacity(ks.len());
        let mut start = 0;
        for &k in ks {
            match v.get_mut(start..) {
                Some(rest) if k >= start && k - start < rest.len() => {
                    let (_, kth, _) = rest.select_nth_unstable_by(k - start, cmp);
                    out.push(*kth);
                    start = k + 1;
                }
                // Callers pass valid indices; anything else yields NaN rather than a panic.
                _ => out.push(F::nan()),
            }
        }
        out
    }

    /// Which order statistics a median and/or a quantile pair need, and how to combine them:
    /// NumPy's `median` and its default (`linear`) `percentile`.
    pub(crate) struct QuantilePlan {
        median: Option<(usize, usize)>,
        range: Option<[Linear; 2]>,
    }

    /// NumPy's linear method: `g = (n - 1) * q`, then `lerp(v[floor g], v[floor g + 1], g - floor g)`,
    /// or the last value when `g >= n - 1`.
    struct Linear {
        lo: usize,
        hi: usize,
        gamma: f64,
    }

    impl Linear {
        fn new(n: usize, percent: f64) -> Self {
            // As `np.percentile`: q / 100 first, then the virtual index (n - 1) * q.
            let g = (n as f64 - 1.0) * (percent / 100.0);
            if g >= n as f64 - 1.0 {
                return Self {
                    lo: n - 1,
                    hi: n - 1,
                    gamma: 0.0,
                };
            }
            // 0 <= g < n - 1 here (percent is checked to lie in [0, 100]).
            let lo = g.floor().max(0.0) as usize;
            Self {
                lo,
                hi: lo + 1,
                gamma: g - lo as f64,
            }
        }

        /// NumPy's `_lerp`, which interpolates from the nearer end for accuracy.
        fn eval(&self, a: f64, b: f64) -> f64 {
            let diff = b - a;
            if self.gamma >= 0.5 {
                b - diff * (1.0 - self.gamma)
            } else {
                a + diff * self.gamma
            }
        }
    }

    impl QuantilePlan {
        /// For `n >= 1` values: the median if `median`, the percentiles `q_lo`, `q_hi` if `range`.
        pub(crate) fn new(n: usize, median: bool, range: bool, q_lo: f64, q_hi: f64) -> Self {
            Self {
                median: median.then(|| median_indices(n)),
                range: range.then(|| [Linear::new(n, q_lo), Linear::new(n, q_hi)]),
            }
        }

        /// `(median, q_hi - q_lo)` of the NaN-free `v` (unrequested parts are 0); reorders `v`.
        pub(crate) fn evaluate<F: Float>(&self, v: &mut [F]) -> (F, F) {
            let mut ks = Vec::with_capacity(6);
            if let Some((a, b)) = self.median {
                ks.extend([a, b]);
            }
            if let Some(r) = &self.range {
                ks.extend([r[0].lo, r[0].hi, r[1].lo, r[1].hi]);
            }
            ks.sort_unstable();
            ks.dedup();
            let values = order_stats(v, &ks);
            let at = |k: usize| {
                ks.iter()
                    .position(|&i| i == k)
                    .and_then(|i| values.get(i))
                    .map_or(f64::NAN, |v| v.as_f64())
            };
            let median = self
                .median
                .map_or(F::zero(), |(a, b)| F::cast_from_f64(midpoint(at(a), at(b))));
            let range = self.range.as_ref().map_or(F::zero(), |[lo, hi]| {
                let q_lo = F::cast_from_f64(lo.eval(at(lo.lo), at(lo.hi)));
                let q_hi = F::cast_from_f64(hi.eval(at(hi.lo), at(hi.hi)));
                q_hi - q_lo
            });
            (median, range)
        }
    }

    /// The two middle indices of `n >= 1` sorted values (equal for odd `n`).
    pub(crate) fn median_indices(n: usize) -> (usize, usize) {
        let half = n / 2;
        if n % 2 == 1 {
            (half, half)
        } else {
            (half.saturating_sub(1), half)
        }
    }

    /// NumPy's median of two middle values, `(a + b) / 2`, without overflow for huge values.
    pub(crate) fn midpoint(a: f64, b: f64) -> f64 {
        let m = (a + b) / 2.0;
        if m.is_finite() { m } else { a / 2.0 + b / 2.0 }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is a failed test

    use super::*;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::Axis;
    use ndarray::{Array2, array, concatenate, s};

    /// Finite values whose variance, range or interquartile range overflows are an error
    /// naming the column, not a scale silently set to 1 (or a column mapped to one value).
    #[test]
    fn overflowing_statistics_are_errors() {
        let x = array![[1.0, 1e308], [2.0, -1e308], [3.0, 1e308], [4.0, -1e308]];
        for e in [
            StandardScaler::new().fit(x.view()).unwrap_err(),
            MinMaxScaler::new().fit(x.view()).unwrap_err(),
            RobustScaler::new().fit(x.view()).unwrap_err(),
        ] {
            assert!(matches!(e, Error::InvalidData { .. }), "{e}");
            let e = e.to_string();
            assert!(e.contains("column 1") && e.contains("overflows"), "{e}");
        }
        let x32 = array![[3e38f32], [-3e38], [3e38], [-3e38]];
        assert!(MinMaxScaler::new().fit(x32.view()).is_err());
        // Large values whose statistics fit are scaled as before.
        let ok: Array2<f64> = array![[1e150], [-1e150], [3e150]];
        let (_, z) = StandardScaler::new().fit_transform(ok.view()).unwrap();
        assert!(z.iter().all(|v| v.is_finite() && v.abs() < 2.0), "{z:?}");
    }

    /// Drives a scaler through the kit; the output is `[transform | inverse_transform]` so both
    /// directions are checked for determinism and serde.
    struct Kit<P: Fn(ArrayView2<'_, f64>) -> Result<FittedScaler<f64>> + Sync>(&'static str, P);

    impl<P: Fn(ArrayView2<'_, f64>) -> Result<FittedScaler<f64>> + Sync> Subject for Kit<P> {
        type Model = FittedScaler<f64>;
        fn name(&self) -> &str {
            self.0
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model> {
            (self.1)(x)
        }
        fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            let z = m.transform(x)?;
            let back = m.inverse_transform(z.view())?;
            Ok(concatenate![Axis(1), z, back])
        }
        fn thread_tolerance(&self) -> f64 {
            0.0
        }
    }

    #[test]
    fn standard_conforms() {
        assert_conforms(&Kit("StandardScaler", |x| StandardScaler::new().fit(x)));
        assert_conforms(&Kit("StandardScaler(with_mean=false)", |x| {
            StandardScaler::new().with_mean(false).fit(x)
        }));
        assert_conforms(&Kit("StandardScaler(identity)", |x| {
            StandardScaler::new()
                .with_mean(false)
                .with_std(false)
                .fit(x)
        }));
    }

    #[test]
    fn minmax_conforms() {
        assert_conforms(&Kit("MinMaxScaler", |x| MinMaxScaler::new().fit(x)));
    }

    #[test]
    fn robust_conforms() {
        assert_conforms(&Kit("RobustScaler", |x| RobustScaler::new().fit(x)));
        assert_conforms(&Kit("RobustScaler(10, 90, no centering)", |x| {
            RobustScaler::new()
                .quantile_range(10.0, 90.0)
                .with_centering(false)
                .fit(x)
        }));
    }

    fn invalid_param(r: Result<FittedScaler<f64>>, name: &str) {
        match r {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
    }

    fn x3() -> Array2<f64> {
        array![[1.0, 2.0], [3.0, 5.0], [4.0, 9.0]]
    }

    #[test]
    fn feature_range_must_be_increasing() {
        invalid_param(
            MinMaxScaler::new().feature_range(1.0, 0.0).fit(x3().view()),
            "feature_range",
        );
    }

    #[test]
    fn feature_range_cannot_be_a_point() {
        invalid_param(
            MinMaxScaler::new().feature_range(2.0, 2.0).fit(x3().view()),
            "feature_range",
        );
    }

    #[test]
    fn feature_range_must_be_finite() {
        invalid_param(
            MinMaxScaler::new()
                .feature_range(f64::NAN, 1.0)
                .fit(x3().view()),
            "feature_range",
        );
        invalid_param(
            MinMaxScaler::new()
                .feature_range(0.0, f64::INFINITY)
                .fit(x3().view()),
            "feature_range",
        );
    }

    #[test]
    fn feature_range_must_fit_in_f32() {
        let x = x3().mapv(|v| v as f32);
        let r = MinMaxScaler::new()
            .feature_range(-1e300, 1e300)
            .fit(x.view());
        assert!(matches!(r, Err(Error::InvalidParameter { .. })), "{r:?}");
    }

    #[test]
    fn quantile_range_low_cannot_be_negative() {
        invalid_param(
            RobustScaler::new()
                .quantile_range(-1.0, 75.0)
                .fit(x3().view()),
            "quantile_range",
        );
    }

    #[test]
    fn quantile_range_high_cannot_exceed_100() {
        invalid_param(
            RobustScaler::new()
                .quantile_range(25.0, 100.5)
                .fit(x3().view()),
            "quantile_range",
        );
    }

    #[test]
    fn quantile_range_must_be_increasing() {
        invalid_param(
            RobustScaler::new()
                .quantile_range(75.0, 25.0)
                .fit(x3().view()),
            "quantile_range",
        );
        invalid_param(
            RobustScaler::new()
                .quantile_range(50.0, 50.0)
                .fit(x3().view()),
            "quantile_range",
        );
    }

    #[test]
    fn quantile_range_cannot_be_nan() {
        invalid_param(
            RobustScaler::new()
                .quantile_range(f64::NAN, 75.0)
                .fit(x3().view()),
            "quantile_range",
        );
    }

    #[test]
    fn quantile_range_may_span_everything() {
        let m = RobustScaler::new()
            .quantile_range(0.0, 100.0)
            .fit(x3().view())
            .unwrap();
        assert_eq!(m.scale().unwrap(), &[3.0, 7.0]);
        assert_eq!(m.center().unwrap(), &[3.0, 5.0]);
    }

    #[test]
    fn constant_columns_get_scale_one() {
        let x: Array2<f64> = array![[7.0, 1.0, 1e9], [7.0, 2.0, 1e9], [7.0, 3.0, 1e9]];
        let st = StandardScaler::new().fit(x.view()).unwrap();
        assert_eq!(st.scale().unwrap()[0], 1.0);
        assert_eq!(st.scale().unwrap()[2], 1.0);
        assert_eq!(st.var().unwrap()[0], 0.0);
        let mm = MinMaxScaler::new().fit(x.view()).unwrap();
        assert_eq!(mm.data_range().unwrap()[0], 0.0);
        assert_eq!(mm.scale().unwrap()[0], 1.0);
        let rb = RobustScaler::new().fit(x.view()).unwrap();
        assert_eq!(rb.scale().unwrap()[0], 1.0);
        for m in [&st, &mm, &rb] {
            let z = m.transform(x.view()).unwrap();
            assert!(z.iter().all(|v| v.is_finite()), "{:?}: {z}", m.kind());
        }
        assert_eq!(
            st.transform(x.view()).unwrap().column(0).to_vec(),
            vec![0.0; 3]
        );
        assert_eq!(
            mm.transform(x.view()).unwrap().column(0).to_vec(),
            vec![0.0; 3]
        );
    }

    #[test]
    fn nearly_constant_column_follows_sklearn_bound() {
        // Rounding noise around a large mean: the variance is within the two-pass error bound.
        let x = array![[1e10], [1e10 + 1e-6], [1e10]];
        let m = StandardScaler::new().fit(x.view()).unwrap();
        assert_eq!(m.scale().unwrap()[0], 1.0);
        // A genuinely spread column is scaled.
        let y = array![[0.0], [1e-6], [2e-6]];
        let m = StandardScaler::new().fit(y.view()).unwrap();
        assert!((m.scale().unwrap()[0] - (2.0f64 / 3.0).sqrt() * 1e-6).abs() < 1e-20);
    }

    #[test]
    fn nan_and_inf_are_refused_with_position() {
        let mut x = Array2::<f64>::ones((10_000, 3));
        x[[9_000, 2]] = f64::NAN;
        for r in [
            StandardScaler::new().fit(x.view()),
            MinMaxScaler::new().fit(x.view()),
            RobustScaler::new().fit(x.view()),
        ] {
            match r {
                Err(Error::NonFinite { row, column, .. }) => assert_eq!((row, column), (9_000, 2)),
                other => panic!("{other:?}"),
            }
        }
        let all_nan = Array2::from_elem((4, 2), f64::NAN);
        let e = StandardScaler::new().fit(all_nan.view()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "data to scale (impute missing values and replace infinite ones first) contains a non-finite value (NaN) at row 0, column 0 (0-based)"
        );
    }

    #[test]
    fn overflowing_sums_are_refused() {
        let mut x = Array2::from_elem((4, 3), 1.0);
        x.column_mut(2).fill(1.5e308);
        let e = StandardScaler::new().fit(x.view()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonFinite {
                    row: 0,
                    column: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the sum of column 2 from row 0 on (values too large to average) contains a \
             non-finite value (inf) at row 0, column 2 (0-based)"
        );
    }

    /// Large, shifted data over many blocks: one pass agrees with a careful two-pass reference,
    /// and 1, 2 and 3 threads give the same bits.
    #[test]
    fn moments_are_stable_and_thread_independent() {
        let n = 50_001;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| {
            let t = ((i * 7919 + j * 104_729) % 10_007) as f64 / 10_007.0;
            [1e9 + t, t * 1e-3, -5.0 + 3.0 * t][j]
        });
        let fit = || StandardScaler::new().fit(x.view()).unwrap();
        let pools: Vec<FittedScaler<f64>> = [1, 2, 3]
            .iter()
            .map(|&k| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(k)
                    .build()
                    .unwrap()
                    .install(fit)
            })
            .collect();
        assert_eq!(pools[0], pools[1]);
        assert_eq!(pools[0], pools[2]);
        let m = &pools[0];
        for j in 0..3 {
            let col = x.column(j);
            let mean = col.iter().sum::<f64>() / n as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
            assert!(rel(m.mean().unwrap()[j], mean) < 1e-14, "mean {j}");
            assert!(
                rel(m.var().unwrap()[j], var) < 1e-9,
                "var {j}: {} vs {var}",
                m.var().unwrap()[j]
            );
        }
    }

    #[test]
    fn f32_and_f64_agree() {
        let x = array![[1.0, 10.0], [2.0, 30.0], [4.0, 20.0], [8.0, 0.0]];
        let x32 = x.mapv(|v| v as f32);
        for (a, b) in [
            (
                StandardScaler::new()
                    .fit(x.view())
                    .unwrap()
                    .transform(x.view())
                    .unwrap(),
                StandardScaler::new()
                    .fit(x32.view())
                    .unwrap()
                    .transform(x32.view())
                    .unwrap(),
            ),
            (
                RobustScaler::new()
                    .fit(x.view())
                    .unwrap()
                    .transform(x.view())
                    .unwrap(),
                RobustScaler::new()
                    .fit(x32.view())
                    .unwrap()
                    .transform(x32.view())
                    .unwrap(),
            ),
            (
                MinMaxScaler::new()
                    .fit(x.view())
                    .unwrap()
                    .transform(x.view())
                    .unwrap(),
                MinMaxScaler::new()
                    .fit(x32.view())
                    .unwrap()
                    .transform(x32.view())
                    .unwrap(),
            ),
        ] {
            for (u, v) in a.iter().zip(b.iter()) {
                assert!((u - f64::from(*v)).abs() < 1e-6, "{u} vs {v}");
            }
        }
    }

    #[test]
    fn non_contiguous_views_give_the_same_result() {
        let big = Array2::from_shape_fn((300, 6), |(i, j)| ((i * 31 + j * 17) % 97) as f64);
        let view = big.slice(s![..;2, 1..5]);
        let owned = view.to_owned();
        let t = big.t().to_owned();
        let fortran = t.t();
        for scaler in [
            StandardScaler::new().fit(view).unwrap(),
            RobustScaler::new().fit(view).unwrap(),
            MinMaxScaler::new().fit(view).unwrap(),
        ] {
            assert_eq!(
                scaler.transform(view).unwrap(),
                scaler.transform(owned.view()).unwrap()
            );
        }
        let a = StandardScaler::new().fit(fortran).unwrap();
        let b = StandardScaler::new().fit(big.view()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.transform(fortran).unwrap(),
            a.transform(big.view()).unwrap()
        );
    }

    #[test]
    fn robust_matches_numpy_interpolation() {
        // np.percentile([1, 2, 4, 8, 16], [25, 75]) = [2, 8]; median 4.
        let x = array![[16.0], [1.0], [8.0], [2.0], [4.0]];
        let m = RobustScaler::new().fit(x.view()).unwrap();
        assert_eq!(m.center().unwrap(), &[4.0]);
        assert_eq!(m.scale().unwrap(), &[6.0]);
        // np.percentile([1, 2, 4, 8], [10, 90]) = [1.3, 6.8]; median 3.
        let x: Array2<f64> = array![[8.0], [1.0], [4.0], [2.0]];
        let m = RobustScaler::new()
            .quantile_range(10.0, 90.0)
            .fit(x.view())
            .unwrap();
        assert_eq!(m.center().unwrap(), &[3.0]);
        assert!((m.scale().unwrap()[0] - 5.5).abs() < 1e-12);
    }

    #[test]
    fn inverse_round_trips() {
        let x = Array2::from_shape_fn((200, 4), |(i, j)| ((i * 13 + j * 7) % 23) as f64 - 5.0);
        for m in [
            StandardScaler::new().fit(x.view()).unwrap(),
            MinMaxScaler::new()
                .feature_range(-1.0, 2.0)
                .fit(x.view())
                .unwrap(),
            RobustScaler::new().fit(x.view()).unwrap(),
        ] {
            let back = m
                .inverse_transform(m.transform(x.view()).unwrap().view())
                .unwrap();
            for (a, b) in back.iter().zip(x.iter()) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn disabled_parts_are_none() {
        let m = StandardScaler::new()
            .with_std(false)
            .fit(x3().view())
            .unwrap();
        assert!(m.mean().is_some() && m.var().is_none() && m.scale().is_none());
        let m = StandardScaler::new()
            .with_mean(false)
            .with_std(false)
            .fit(x3().view())
            .unwrap();
        assert!(m.mean().is_none());
        assert_eq!(m.transform(x3().view()).unwrap(), x3());
        let m = RobustScaler::new()
            .with_scaling(false)
            .fit(x3().view())
            .unwrap();
        assert!(m.center().is_some() && m.scale().is_none());
        assert_eq!(m.kind(), ScalerKind::Robust);
        assert_eq!(m.data_min(), None);
    }

    #[test]
    fn inconsistent_model_file_is_refused() {
        let m = StandardScaler::new().fit(x3().view()).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let broken = json.replace("\"n_features\":2", "\"n_features\":3");
        // Refused when read: the statistics hold 2 values for 3 features.
        let e = serde_json::from_str::<FittedScaler<f64>>(&broken).unwrap_err();
        assert!(
            e.to_string().contains("holds 2 values for 3 features"),
            "{e}"
        );
        // A mean deleted from a scaler that centres (it was read as zeros).
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut no_mean = v.clone();
        no_mean["stats"].as_object_mut().unwrap().remove("mean");
        let e = serde_json::from_value::<FittedScaler<f64>>(no_mean).unwrap_err();
        assert!(e.to_string().contains("scaler `mean` is missing"), "{e}");
        assert!(serde_json::from_value::<FittedScaler<f64>>(v).is_ok());
    }

    #[test]
    fn in_place_matches_transform_and_leaves_bad_input_unchanged() {
        let x = Array2::from_shape_fn((9_000, 5), |(i, j)| ((i * 13 + j * 7) % 101) as f64 - 20.0);
        for m in [
            StandardScaler::new().fit(x.view()).unwrap(),
            MinMaxScaler::new().fit(x.view()).unwrap(),
            RobustScaler::new().fit(x.view()).unwrap(),
        ] {
            let expected = m.transform(x.view()).unwrap();
            let mut y = x.clone();
            m.transform_in_place(y.view_mut()).unwrap();
            assert_eq!(y, expected);
            // A strided view goes through the fallback.
            let mut wide = Array2::<f64>::zeros((9_000, 10));
            wide.slice_mut(s![.., ..;2]).assign(&x);
            m.transform_in_place(wide.slice_mut(s![.., ..;2])).unwrap();
            assert_eq!(wide.slice(s![.., ..;2]), expected);
            let mut bad = x.clone();
            bad[[8_000, 3]] = f64::NAN;
            let before = bad.clone();
            assert!(matches!(
                m.transform_in_place(bad.view_mut()),
                Err(Error::NonFinite {
                    row: 8_000,
                    column: 3,
                    ..
                })
            ));
            assert!(
                bad.iter()
                    .zip(before.iter())
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
        }
    }

    #[test]
    fn empty_rows_at_transform_give_empty_output() {
        let m = StandardScaler::new().fit(x3().view()).unwrap();
        let z = m.transform(Array2::<f64>::zeros((0, 2)).view()).unwrap();
        assert_eq!(z.dim(), (0, 2));
    }
}
