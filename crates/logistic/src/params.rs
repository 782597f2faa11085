//! [`LogisticRegressionParams`]: the builder, its validation and `fit`.

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, CowArray, Ix2};
use serde::{Deserialize, Serialize};

use crate::lbfgs::{LbfgsOptions, minimize};
use crate::model::LogisticRegression;
use crate::objective::Objective;

/// What the training data is called in error messages.
pub(crate) const FIT_WHAT: &str = "training data X";

/// The penalty added to the log-loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Penalty {
    /// `‖w‖² / (2C)` on the coefficients (never on the intercepts), scikit-learn's `l2`.
    #[default]
    L2,
    /// No penalty (scikit-learn's `penalty=None`); `C` is ignored. On linearly separable data
    /// the maximum-likelihood estimate does not exist: the fit then stops with
    /// [`StopReason::Separable`](crate::StopReason::Separable) and `converged() == false`.
    None,
}

/// How each class's rows are weighted (multiplies the sample weights, as scikit-learn).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Every class weighs 1.
    #[default]
    None,
    /// Class `k` weighs `total weight / (K × weight of class k)`, with the weights being the
    /// sample weights (scikit-learn's `"balanced"`, computed after sample weights are applied).
    Balanced,
    /// One weight per class index `0..K` (finite, `>= 0`).
    Explicit(Vec<f64>),
}

/// Logistic regression parameters (a builder); [`fit`](Self::fit) returns a fitted
/// [`LogisticRegression`].
///
/// Defaults (scikit-learn 1.9's `LogisticRegression(solver="lbfgs")` unless said otherwise):
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `c` | 1.0 | inverse penalty strength (finite, `> 0`) |
/// | `penalty` | [`Penalty::L2`] | L2 on the coefficients or none |
/// | `fit_intercept` | true | fit an unpenalised intercept per class |
/// | `max_iter` | 100 | L-BFGS iterations (at least 1) |
/// | `tol` | 1e-4 | stop when `max_j |∂f/∂w_j| <= tol` (the objective `f` below; scipy's `pgtol`) |
/// | `class_weight` | [`ClassWeight::None`] | per-class weights |
/// | `history_size` | 10 | L-BFGS memory `m` (scipy's `maxcor`) |
///
/// The objective, exactly as scikit-learn >= 1.8 with lbfgs: with sample weights `s_i` (times
/// class weights), `S = Σ s_i`,
///
/// `f(w, b) = (1/S) Σ_i s_i ℓ_i(w, b) + ‖w‖² / (2 C S)`
///
/// where `ℓ_i` is the log-loss of row `i` (binary: `log(1 + e^z) − y z`; multinomial:
/// `logsumexp_k z_k − z_y`). Its minimiser is that of `Σ s_i ℓ_i + ‖w‖²/(2C)` (the textbook
/// form); only the scale of `tol` depends on the division by `S`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegressionParams {
    c: f64,
    penalty: Penalty,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    class_weight: ClassWeight,
    history_size: usize,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams {
            c: 1.0,
            penalty: Penalty::L2,
            fit_intercept: true,
            max_iter: 100,
            tol: 1e-4,
            class_weight: ClassWeight::None,
            history_size: 10,
        }
    }
}

impl LogisticRegressionParams {
    /// The defaults (see the type's table).
    pub fn new() -> Self {
        Self::default()
    }

    cartera_core::setter!(
        /// Inverse L2 strength `C` (default 1.0; finite and `> 0`, ignored with [`Penalty::None`]).
        c: f64);
    cartera_core::setter!(
        /// L2 or no penalty (default [`Penalty::L2`]).
        penalty: Penalty);
    cartera_core::setter!(
        /// Fit an unpenalised intercept (default true).
        fit_intercept: bool);
    cartera_core::setter!(
        /// Maximum L-BFGS iterations (default 100, at least 1).
        max_iter: usize);
    cartera_core::setter!(
        /// Gradient tolerance (default 1e-4; finite, `>= 0`): see the type's doc for the scale.
        tol: f64);
    cartera_core::setter!(
        /// Per-class weights (default [`ClassWeight::None`]).
        class_weight: ClassWeight);
    cartera_core::setter!(
        /// L-BFGS history size `m` (default 10, at least 1).
        history_size: usize);

    /// `C`.
    pub fn get_c(&self) -> f64 {
        self.c
    }
    /// The penalty.
    pub fn get_penalty(&self) -> Penalty {
        self.penalty
    }
    /// Whether an intercept is fitted.
    pub fn get_fit_intercept(&self) -> bool {
        self.fit_intercept
    }
    /// The class weights asked for.
    pub fn get_class_weight(&self) -> &ClassWeight {
        &self.class_weight
    }

    /// Checks every parameter; `fit` calls it first.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        if self.penalty == Penalty::L2 && !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::invalid_param(
                "c",
                self.c,
                "must be finite and > 0 (use Penalty::None for no penalty)",
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_param("max_iter", 0, "must be at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::invalid_param(
                "tol",
                self.tol,
                "must be finite and >= 0",
            ));
        }
        if self.history_size == 0 {
            return Err(Error::invalid_param(
                "history_size",
                0,
                "must be at least 1",
            ));
        }
        if let ClassWeight::Explicit(w) = &self.class_weight
            && let Some((k, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(Error::invalid_param(
                "class_weight",
                format!("{v} (class {k})"),
                "every class weight must be finite and >= 0",
            ));
        }
        Ok(())
    }

    /// Fits on `x` (`n x d`) and class indices `y` (`0..K`, every class present, `K >= 2`).
    ///
    /// `K == 2` fits one coefficient vector (sigmoid); `K > 2` the multinomial (softmax) model
    /// with one coefficient vector per class, as scikit-learn >= 1.5 with lbfgs.
    ///
    /// # Errors
    /// Invalid parameters; [`Error::EmptyInput`]; [`Error::NonFinite`] for NaN/±inf in `x`;
    /// [`Error::ShapeMismatch`] when `y` and `x` differ in rows or explicit class weights are
    /// not one per class; [`Error::TooFewSamples`] for fewer than 2 classes or a class index
    /// below `max(y)` that never occurs.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, usize>,
    ) -> Result<LogisticRegression<F>> {
        self.fit_inner(x, y, None)
    }

    /// [`fit`](Self::fit) with one non-negative, finite weight per row (not all zero).
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::ShapeMismatch`] for a weight vector of the wrong
    /// length and [`Error::InvalidParameter`] (`sample_weight`) for a negative or non-finite
    /// weight, or, with balanced class weights, a class whose rows all weigh 0 (without them
    /// such a class is fitted as absent, as scikit-learn does).
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, usize>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<LogisticRegression<F>> {
        self.fit_inner(x, y, Some(sample_weight))
    }

    fn fit_inner<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, usize>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<LogisticRegression<F>> {
        self.validate()?;
        validate::check_non_empty(x, FIT_WHAT)?;
        validate::check_len(y.len(), x.nrows(), "length of y vs rows of X")?;
        validate::check_finite(x, FIT_WHAT)?;
        let n_classes = check_classes(y)?;
        let row_weights = resolve_weights(&self.class_weight, y, sample_weight, n_classes)?;
        let class_weights = row_weights.class_weights.clone();

        let x: CowArray<'_, F, Ix2> = x.as_standard_layout();
        let y_vec: Vec<usize> = y.to_vec();
        let d = x.ncols();
        let (centre, far) = if self.fit_intercept {
            // Invariant: `as_standard_layout` returns a C-contiguous array.
            let rows = x.as_slice().unwrap_or(&[]);
            let (mean, sd) = sample_moments(rows, d, &row_weights.weights);
            // A column whose mean is large against its spread is where raw `x·w` cancels.
            let far = mean.iter().zip(&sd).any(|(m, s)| m.abs() > FAR * s);
            (mean, far)
        } else {
            (Vec::new(), false)
        };
        // In f32 the kernels centre each row as they read it (`x·w` on raw columns far from
        // zero would cancel away the digits the fit needs); in f64 the chain rule on the raw
        // rows is exact enough. The means are subtracted as F, so the intercept is mapped back
        // with those.
        // Only where some column sits far from zero: centring each row costs an f32 fit
        // about a third more time, for nothing on columns near zero.
        let row_centre: Vec<F> = if std::mem::size_of::<F>() == 4 && far {
            centre.iter().map(|&v| F::cast_from_f64(v)).collect()
        } else {
            Vec::new()
        };
        let centre: Vec<f64> = if row_centre.is_empty() {
            centre
        } else {
            row_centre.iter().map(|v| v.as_f64()).collect()
        };
        let n_out = if n_classes == 2 { 1 } else { n_classes };
        let x_slice = match x.as_slice() {
            Some(s) => s,
            // Invariant: `as_standard_layout` returns a C-contiguous array.
            None => unreachable!("standard layout array without a slice"),
        };
        let l2 = match self.penalty {
            Penalty::L2 => 1.0 / (self.c * row_weights.total),
            Penalty::None => 0.0,
        };
        let objective = Objective {
            x: x_slice,
            n: x.nrows(),
            d,
            y: &y_vec,
            sw: &row_weights.weights,
            sw_total: row_weights.total,
            n_out,
            fit_intercept: self.fit_intercept,
            l2,
            check_separation: self.penalty == Penalty::None,
            evals: Default::default(),
            centre,
            row_centre,
        };
        let p = objective.dim();
        let opts = LbfgsOptions {
            m: self.history_size,
            max_iter: self.max_iter,
            pgtol: self.tol,
        };
        let mut result = minimize(&objective, vec![0.0; p], &opts);
        // Back from the centred parameters to scikit-learn's `coef_` and `intercept_`.
        result.x = objective.intercepts_of(&result.x);

        let mut coef = Array2::<F>::zeros((n_out, d));
        let mut intercept = Array1::<F>::zeros(n_out);
        for k in 0..n_out {
            for j in 0..d {
                coef[[k, j]] = F::cast_from_f64(result.x[k * (d + 1) + j]);
            }
            intercept[k] = F::cast_from_f64(result.x[k * (d + 1) + d]);
        }
        let grad_norm = result.g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        Ok(LogisticRegression::from_parts(
            coef,
            intercept,
            n_classes,
            self.fit_intercept,
            self.penalty,
            self.c,
            class_weights,
            result.n_iter,
            objective.evals.into_inner(),
            result.stop,
            grad_norm,
            result.f,
        ))
    }
}

/// Rows sampled for the centre: enough to place it among the data, few enough to cost
/// nothing beside one evaluation of the objective.
const CENTRE_SAMPLE: usize = 8192;

/// The columns' weighted means and standard deviations over an evenly spaced sample of at
/// most [`CENTRE_SAMPLE`] rows, in `f64`: the origin the optimiser measures from. Any origin
/// gives the same optimum; one among the data makes the problem well conditioned, so a
/// sample does (unweighted if the sampled rows all weigh 0).
fn sample_moments<F: Float>(x: &[F], d: usize, w: &[F]) -> (Vec<f64>, Vec<f64>) {
    let d1 = d.max(1);
    let n = x.len() / d1;
    let stride = n.div_ceil(CENTRE_SAMPLE).max(1);
    let moments = |weight: &dyn Fn(usize) -> f64| {
        let mut sums = vec![[0.0f64; 2]; d];
        let mut total = 0.0;
        for i in (0..n).step_by(stride) {
            let wi = weight(i);
            total += wi;
            for (s, v) in sums.iter_mut().zip(&x[i * d1..(i + 1) * d1]) {
                let v = v.as_f64();
                s[0] += wi * v;
                s[1] += wi * v * v;
            }
        }
        (sums, total)
    };
    let (mut sums, mut total) = moments(&|i| w[i].as_f64());
    if total <= 0.0 {
        (sums, total) = moments(&|_| 1.0);
    }
    let mean: Vec<f64> = sums.iter().map(|s| s[0] / total).collect();
    // Only a rough spread is needed (whether the mean dwarfs it), so the one-pass formula
    // will do; its cancellation on far columns only makes them look farther.
    let sd = sums
        .iter()
        .zip(&mean)
        .map(|(s, m)| (s[1] / total - m * m).max(0.0).sqrt())
        .collect();
    (mean, sd)
}

/// A column's mean beyond this many standard deviations from zero makes an `f32` fit centre
/// its rows.
const FAR: f64 = 4.0;

/// `K = max(y) + 1` after checking that `K >= 2` and every class occurs.
pub(crate) fn check_classes(y: ArrayView1<'_, usize>) -> Result<usize> {
    let max = y.iter().copied().max().unwrap_or(0);
    // Every class of 0..=max needs a row: checked before `max + 1`, which overflows for a
    // label of usize::MAX.
    if max >= y.len() {
        return Err(Error::TooFewSamples {
            what: format!(
                "rows for the classes 0..={max} implied by max(y) = {max} (labels must be 0..K)"
            ),
            needed: max.saturating_add(1),
            found: y.len(),
        });
    }
    let k = if y.is_empty() { 0 } else { max + 1 };
    let mut counts = vec![0usize; k];
    for &c in y.iter() {
        counts[c] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(Error::TooFewSamples {
            what: "distinct classes in y".into(),
            needed: 2,
            found: present,
        });
    }
    if let Some(missing) = counts.iter().position(|&c| c == 0) {
        return Err(Error::TooFewSamples {
            what: format!(
                "rows of class {missing} in y (classes are 0..{k}, every one must occur)"
            ),
            needed: 1,
            found: 0,
        });
    }
    Ok(k)
}

/// Row weights after class weights, and their sum.
pub(crate) struct RowWeights<F> {
    pub(crate) weights: Vec<F>,
    pub(crate) total: f64,
    pub(crate) class_weights: Vec<f64>,
}

/// Sample weights (default 1) times class weights, validated.
pub(crate) fn resolve_weights<F: Float>(
    class_weight: &ClassWeight,
    y: ArrayView1<'_, usize>,
    sample_weight: Option<ArrayView1<'_, F>>,
    n_classes: usize,
) -> Result<RowWeights<F>> {
    let n = y.len();
    let base: Vec<f64> = match sample_weight {
        None => vec![1.0; n],
        Some(w) => {
            validate::check_len(w.len(), n, "length of sample_weight vs rows of X")?;
            validate::check_finite_1d(w, "sample_weight")?;
            if let Some(i) = w.iter().position(|v| *v < F::zero()) {
                return Err(Error::invalid_param(
                    "sample_weight",
                    format!("{} (row {i})", w[i]),
                    "weights must be >= 0",
                ));
            }
            w.iter().map(|v| v.as_f64()).collect()
        }
    };
    let mut per_class = vec![0.0f64; n_classes];
    for (&c, &w) in y.iter().zip(&base) {
        per_class[c] += w;
    }
    let class_weights: Vec<f64> = match class_weight {
        ClassWeight::None => vec![1.0; n_classes],
        ClassWeight::Explicit(v) => {
            validate::check_len(v.len(), n_classes, "class_weight: one weight per class")?;
            v.clone()
        }
        ClassWeight::Balanced => {
            if let Some(k) = per_class.iter().position(|&t| t <= 0.0) {
                return Err(Error::invalid_param(
                    "sample_weight",
                    format!("0 (total of class {k})"),
                    "balanced class weights need every class to have positive total weight",
                ));
            }
            let total: f64 = per_class.iter().sum();
            per_class
                .iter()
                .map(|&t| total / (n_classes as f64 * t))
                .collect()
        }
    };
    let weights_f64: Vec<f64> = y
        .iter()
        .zip(&base)
        .map(|(&c, &w)| w * class_weights[c])
        .collect();
    let total: f64 = weights_f64.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(Error::invalid_param(
            "sample_weight",
            total,
            "the weights (times class weights) must have a positive, finite sum",
        ));
    }
    Ok(RowWeights {
        weights: weights_f64.into_iter().map(F::cast_from_f64).collect(),
        total,
        class_weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_must_be_positive_and_finite() {
        for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = LogisticRegressionParams::new().c(c).validate().unwrap_err();
            assert!(
                matches!(e, Error::InvalidParameter { ref name, .. } if name == "c"),
                "{e}"
            );
        }
        // No penalty: C is ignored.
        assert!(
            LogisticRegressionParams::new()
                .penalty(Penalty::None)
                .c(0.0)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn max_iter_tol_history_are_checked() {
        let p = LogisticRegressionParams::new();
        assert!(p.clone().max_iter(0).validate().is_err());
        assert!(p.clone().tol(-1.0).validate().is_err());
        assert!(p.clone().tol(f64::NAN).validate().is_err());
        assert!(p.clone().history_size(0).validate().is_err());
        assert!(
            p.clone()
                .class_weight(ClassWeight::Explicit(vec![1.0, -2.0]))
                .validate()
                .is_err()
        );
        assert!(p.validate().is_ok());
    }

    /// A label of usize::MAX is an error naming it, not an overflow of `max + 1`.
    #[test]
    fn a_huge_label_is_an_error() {
        let y = ndarray::array![0usize, usize::MAX];
        let e = check_classes(y.view()).unwrap_err().to_string();
        assert!(e.contains(&format!("max(y) = {}", usize::MAX)), "{e}");
    }

    #[test]
    fn classes_must_be_two_or_more_and_all_present() {
        let y = ndarray::array![1usize, 1, 1];
        assert!(matches!(
            check_classes(y.view()),
            Err(Error::TooFewSamples { .. })
        ));
        let y = ndarray::array![0usize, 2, 2, 0];
        let e = check_classes(y.view()).unwrap_err();
        assert!(e.to_string().contains("class 1"), "{e}");
        let y = ndarray::array![0usize, 5];
        assert!(check_classes(y.view()).is_err());
        let y = ndarray::array![0usize, 1, 2, 1];
        assert_eq!(check_classes(y.view()).unwrap(), 3);
    }

    #[test]
    fn balanced_weights_match_sklearn_formula() {
        let y = ndarray::array![1usize, 1, 1, 1, 0, 0];
        let w = resolve_weights::<f64>(&ClassWeight::Balanced, y.view(), None, 2).unwrap();
        assert!((w.class_weights[0] - 1.5).abs() < 1e-15);
        assert!((w.class_weights[1] - 0.75).abs() < 1e-15);
        assert!((w.total - 6.0).abs() < 1e-12);
        let sw = ndarray::array![1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        assert!(resolve_weights(&ClassWeight::Balanced, y.view(), Some(sw.view()), 2).is_err());
        let sw = ndarray::array![1.0, -1.0, 1.0, 1.0, 1.0, 1.0];
        assert!(resolve_weights(&ClassWeight::None, y.view(), Some(sw.view()), 2).is_err());
        assert!(
            resolve_weights::<f64>(&ClassWeight::Explicit(vec![1.0]), y.view(), None, 2).is_err()
        );
    }
}
