//! The fitted [`LogisticRegression`]: scores, probabilities, classes, odds ratios.

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, CowArray, Ix2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::inference::{CoefficientTable, coefficient_table};
use crate::objective::{BLOCK_ROWS, dot};
use crate::params::Penalty;

/// What the input to `predict*` is called in error messages.
const PREDICT_WHAT: &str = "X to score";

/// Why the optimiser stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// `max |∂f/∂w| <= tol` (converged).
    GradientTolerance,
    /// `max_iter` iterations without meeting the tolerance (not converged).
    MaxIter,
    /// No step along the search direction decreased the objective (not converged; usually a
    /// badly scaled problem: standardise the columns).
    LineSearchFailed,
    /// Without penalty, the current coefficients classify every training row with positive
    /// weight strictly correctly: the classes are linearly separable and the
    /// maximum-likelihood estimate does not exist (the coefficients would grow without
    /// bound). The fit stops at the first such iterate, with finite coefficients that
    /// separate the data (not converged). Add an L2 penalty to get a finite optimum.
    Separable,
}

impl StopReason {
    /// True for [`GradientTolerance`](Self::GradientTolerance) only.
    pub fn converged(self) -> bool {
        matches!(self, StopReason::GradientTolerance)
    }

    /// A one-line explanation for reports.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::GradientTolerance => "converged: gradient below tol",
            StopReason::MaxIter => {
                "not converged: max_iter reached (raise max_iter or scale the columns)"
            }
            StopReason::LineSearchFailed => {
                "not converged: line search found no decrease (scale the columns)"
            }
            StopReason::Separable => {
                "not converged: the classes are linearly separable and the unpenalised fit has no finite optimum (use an L2 penalty)"
            }
        }
    }
}

/// A fitted logistic regression (binary or multinomial); immutable, serde-ready.
///
/// Binary (`K = 2`): one coefficient row `w` and intercept `b`, `P(y = 1 | x) = σ(wᵀx + b)`.
/// Multinomial (`K > 2`): one row per class, `P(y = k | x) = softmax(Wx + b)_k`; the rows are
/// symmetric (no reference class), as scikit-learn's `coef_`.
///
/// Loading checks that the parts fit together (coefficient rows, intercepts and class weights
/// for the number of classes, finite coefficients) and fails with
/// [`Error::ModelFormat`] otherwise, so a damaged model file cannot make prediction panic or
/// score with the wrong numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LogisticRegressionFields<F>", bound = "")]
pub struct LogisticRegression<F: Float> {
    coef: Array2<F>,
    intercept: Array1<F>,
    n_classes: usize,
    fit_intercept: bool,
    penalty: Penalty,
    c: f64,
    class_weights: Vec<f64>,
    n_iter: usize,
    n_evals: usize,
    stop: StopReason,
    grad_norm: f64,
    objective: f64,
}

/// The fields of [`LogisticRegression`] as stored, before the consistency check.
#[derive(Deserialize)]
#[serde(bound = "")]
struct LogisticRegressionFields<F: Float> {
    coef: Array2<F>,
    intercept: Array1<F>,
    n_classes: usize,
    fit_intercept: bool,
    penalty: Penalty,
    c: f64,
    class_weights: Vec<f64>,
    n_iter: usize,
    n_evals: usize,
    stop: StopReason,
    grad_norm: f64,
    objective: f64,
}

impl<F: Float> TryFrom<LogisticRegressionFields<F>> for LogisticRegression<F> {
    type Error = Error;

    fn try_from(f: LogisticRegressionFields<F>) -> Result<Self> {
        let bad = |what: String| Err(Error::model_format(format!("logistic model: {what}")));
        let k = f.n_classes;
        if k < 2 {
            return bad(format!("n_classes is {k}, at least 2 expected"));
        }
        let rows = if k == 2 { 1 } else { k };
        let (r, d) = f.coef.dim();
        if r != rows || d == 0 {
            return bad(format!(
                "coef is {r} x {d}: {k} classes need {rows} coefficient rows of at least one \
                 coefficient"
            ));
        }
        if f.intercept.len() != rows {
            return bad(format!(
                "intercept has {} values, {rows} expected for {k} classes",
                f.intercept.len()
            ));
        }
        if f.class_weights.len() != k {
            return bad(format!(
                "class_weights has {} values, {k} expected",
                f.class_weights.len()
            ));
        }
        if let Some(v) = f.coef.iter().chain(&f.intercept).find(|v| !v.is_finite()) {
            return bad(format!("a coefficient or intercept is {v}"));
        }
        if let Some(w) = f
            .class_weights
            .iter()
            .find(|w| !(w.is_finite() && **w >= 0.0))
        {
            return bad(format!(
                "a class weight is {w}, a finite value >= 0 expected"
            ));
        }
        // C is ignored (and may be anything) without a penalty.
        if f.penalty == Penalty::L2 && !(f.c.is_finite() && f.c > 0.0) {
            return bad(format!("C is {}, a finite value > 0 expected", f.c));
        }
        Ok(LogisticRegression::from_parts(
            f.coef.as_standard_layout().into_owned(),
            f.intercept,
            k,
            f.fit_intercept,
            f.penalty,
            f.c,
            f.class_weights,
            f.n_iter,
            f.n_evals,
            f.stop,
            f.grad_norm,
            f.objective,
        ))
    }
}

impl<F: Float> LogisticRegression<F> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        coef: Array2<F>,
        intercept: Array1<F>,
        n_classes: usize,
        fit_intercept: bool,
        penalty: Penalty,
        c: f64,
        class_weights: Vec<f64>,
        n_iter: usize,
        n_evals: usize,
        stop: StopReason,
        grad_norm: f64,
        objective: f64,
    ) -> Self {
        LogisticRegression {
            coef,
            intercept,
            n_classes,
            fit_intercept,
            penalty,
            c,
            class_weights,
            n_iter,
            n_evals,
            stop,
            grad_norm,
            objective,
        }
    }

    /// Number of classes `K` (2 for binary).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of features `d`.
    pub fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    /// Coefficients as scikit-learn's `coef_`: `1 x d` for binary, `K x d` for multinomial.
    pub fn coefficients(&self) -> ArrayView2<'_, F> {
        self.coef.view()
    }

    /// Intercepts as scikit-learn's `intercept_`: length 1 (binary) or `K` (zeros when
    /// `fit_intercept` is false).
    pub fn intercepts(&self) -> ArrayView1<'_, F> {
        self.intercept.view()
    }

    /// L-BFGS iterations made.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Objective-and-gradient evaluations made (each one pass over the data).
    pub fn n_evals(&self) -> usize {
        self.n_evals
    }

    /// Whether the optimiser met its tolerance (see [`stop_reason`](Self::stop_reason)).
    pub fn converged(&self) -> bool {
        self.stop.converged()
    }

    /// Why the optimiser stopped.
    pub fn stop_reason(&self) -> StopReason {
        self.stop
    }

    /// The largest gradient entry at the returned coefficients, in the objective's scale: the
    /// quantity compared with `tol`. With an intercept the optimiser measures the coefficients
    /// from the column means (intercept `b = c − m·w`), so this is the gradient in `(w, c)`,
    /// not in scikit-learn's `(w, b)`: the two agree on centred columns, and on columns far
    /// from zero only the former says how near the optimum the fit is.
    pub fn grad_norm(&self) -> f64 {
        self.grad_norm
    }

    /// The objective `f` at the returned coefficients (mean weighted log-loss plus the scaled
    /// penalty; see [`LogisticRegressionParams`](crate::LogisticRegressionParams)).
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Whether an intercept was fitted.
    pub fn fit_intercept(&self) -> bool {
        self.fit_intercept
    }

    /// The penalty used.
    pub fn penalty(&self) -> Penalty {
        self.penalty
    }

    /// `C` used (meaningful with [`Penalty::L2`]).
    pub fn c(&self) -> f64 {
        self.c
    }

    /// The weight applied to each class's rows (all 1 without class weights; the resolved
    /// values for [`ClassWeight::Balanced`](crate::ClassWeight::Balanced)).
    pub fn class_weights(&self) -> &[f64] {
        &self.class_weights
    }

    /// Odds ratios `exp(coef)`, same shape as [`coefficients`](Self::coefficients): the factor
    /// by which the odds (binary) or the odds of class `k` against any fixed class
    /// (multinomial) change when the feature grows by one unit.
    pub fn odds_ratios(&self) -> Array2<F> {
        self.coef.mapv(|v| v.exp())
    }

    fn n_out(&self) -> usize {
        self.coef.nrows()
    }

    /// Linear scores `Xwᵀ + b`: `n x 1` for binary, `n x K` for multinomial.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for the wrong number of columns, [`Error::NonFinite`] for
    /// NaN/±inf in `x`.
    pub fn decision_function(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        let k = self.n_out();
        self.score_rows(x, k, |row, out| {
            let mut finite = true;
            for (c, o) in out.iter_mut().enumerate() {
                *o = dot(row, self.coef_row(c)) + self.intercept[c];
                finite &= o.is_finite();
            }
            finite
        })
    }

    /// Class probabilities, `n x K` (binary: columns `P(0)`, `P(1)`); rows sum to 1.
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function).
    pub fn predict_proba(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        let k = self.n_classes;
        if self.n_out() == 1 {
            let w = self.coef_row(0);
            let b = self.intercept[0];
            self.score_rows(x, 2, |row, out| {
                let z = dot(row, w) + b;
                // One exponential for both columns; the smaller probability is computed as
                // e/(1+e) directly, so tiny P(0) or P(1) keep full relative precision.
                let e = (-z.abs()).exp();
                let inv = F::one() / (F::one() + e);
                let (small, large) = (e * inv, inv);
                let (q, p) = if z >= F::zero() {
                    (small, large)
                } else {
                    (large, small)
                };
                out[0] = q;
                out[1] = p;
                z.is_finite()
            })
        } else {
            self.score_rows(x, k, |row, out| {
                let mut zmax = F::neg_infinity();
                for (c, o) in out.iter_mut().enumerate() {
                    *o = dot(row, self.coef_row(c)) + self.intercept[c];
                    zmax = zmax.max(*o);
                }
                let mut sum = F::zero();
                for o in out.iter_mut() {
                    *o = (*o - zmax).exp();
                    sum += *o;
                }
                let inv = F::one() / sum;
                out.iter_mut().for_each(|o| *o *= inv);
                zmax.is_finite() && sum.is_finite()
            })
        }
    }

    /// The most probable class of each row (binary: class 1 when `P(1) > 0.5`; ties go to the
    /// lower class index, as scikit-learn).
    ///
    /// # Errors
    /// As [`decision_function`](Self::decision_function).
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<usize>> {
        let scores = self.decision_function(x)?;
        Ok(if self.n_out() == 1 {
            scores.column(0).mapv(|z| usize::from(z > F::zero()))
        } else {
            scores
                .rows()
                .into_iter()
                .map(|r| {
                    let mut best = 0;
                    for (c, v) in r.iter().enumerate() {
                        if *v > r[best] {
                            best = c;
                        }
                    }
                    best
                })
                .collect()
        })
    }

    /// Binary only: class 1 when `P(1) >= threshold`, otherwise 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`threshold`) for a multinomial model or a threshold outside
    /// `[0, 1]`; otherwise as [`decision_function`](Self::decision_function).
    pub fn predict_with_threshold(
        &self,
        x: ArrayView2<'_, F>,
        threshold: f64,
    ) -> Result<Array1<usize>> {
        if self.n_out() != 1 {
            return Err(Error::invalid_param(
                "threshold",
                threshold,
                format!(
                    "a threshold applies to binary models only (this one has {} classes)",
                    self.n_classes
                ),
            ));
        }
        if !(0.0..=1.0).contains(&threshold) {
            return Err(Error::invalid_param(
                "threshold",
                threshold,
                "must be a probability in [0, 1]",
            ));
        }
        let proba = self.predict_proba(x)?;
        let t = F::cast_from_f64(threshold);
        Ok(proba.column(1).mapv(|p| usize::from(p >= t)))
    }

    /// Coefficient table with standard errors, z, p-values, 95 % intervals and odds ratios,
    /// computed on the training data `x`, `y` (and the sample weights used at fit; the class
    /// weights of the fit are re-applied). See [`CoefficientTable`] for the method.
    ///
    /// # Errors
    /// Shape and finiteness errors as `fit`; [`Error::InvalidParameter`] (`X`) when the
    /// observed information matrix is singular (collinear columns, a constant column, or
    /// separation).
    pub fn coefficient_table(
        &self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, usize>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<CoefficientTable> {
        coefficient_table(self, x, y, sample_weight)
    }

    pub(crate) fn coef_row(&self, c: usize) -> &[F] {
        let d = self.coef.ncols();
        // Invariant: `coef` is built as a standard-layout array (fit or deserialisation
        // through ndarray's serde, which produces standard layout).
        let all = self.coef.as_slice().unwrap_or(&[]);
        &all[c * d..(c + 1) * d]
    }

    /// Validates `x`, then fills an `n x k` output row by row in parallel blocks; `kernel`
    /// returns whether the row's linear scores were finite. A non-finite score triggers the full finiteness scan so that NaN/inf in `x` are reported by position
    /// (a fused check: finite inputs are read once).
    fn score_rows(
        &self,
        x: ArrayView2<'_, F>,
        k: usize,
        kernel: impl Fn(&[F], &mut [F]) -> bool + Sync,
    ) -> Result<Array2<F>> {
        let d = self.n_features();
        validate::check_width(x, d, PREDICT_WHAT)?;
        let n = x.nrows();
        let x: CowArray<'_, F, Ix2> = x.as_standard_layout();
        let xs = match x.as_slice() {
            Some(s) => s,
            // Invariant: `as_standard_layout` returns a C-contiguous array.
            None => unreachable!("standard layout array without a slice"),
        };
        let mut out = vec![F::zero(); n * k];
        let any_non_finite = if d == 0 {
            out.par_chunks_mut(k.max(1)).for_each(|o| {
                kernel(&[], o);
            });
            false
        } else {
            out.par_chunks_mut(BLOCK_ROWS * k)
                .zip(xs.par_chunks(BLOCK_ROWS * d))
                .map(|(o, rows)| {
                    let mut bad = false;
                    // Rows wider than two lines: their lines are requested ahead, as the
                    // fit's kernels do (the scan is bound by memory).
                    #[cfg(target_arch = "x86_64")]
                    let ahead = crate::objective::rows_ahead::<F>(d);
                    for (i, (orow, row)) in
                        o.chunks_exact_mut(k).zip(rows.chunks_exact(d)).enumerate()
                    {
                        #[cfg(target_arch = "x86_64")]
                        if let Some(ahead) = ahead {
                            cartera_core::dots::prefetch_rows(rows, (i + ahead) * d, d);
                        }
                        bad |= !kernel(row, orow);
                    }
                    bad
                })
                .reduce(|| false, |a, b| a | b)
        };
        if any_non_finite {
            validate::check_finite(x.view(), PREDICT_WHAT)?;
        }
        Array2::from_shape_vec((n, k), out)
            .map_err(|e| Error::invalid_param("X", n, format!("internal shape error: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn binary() -> LogisticRegression<f64> {
        LogisticRegression::from_parts(
            array![[2.0, -1.0]],
            array![0.5],
            2,
            true,
            Penalty::L2,
            1.0,
            vec![1.0, 1.0],
            3,
            4,
            StopReason::GradientTolerance,
            0.0,
            0.0,
        )
    }

    /// A saved model loads back to the same model; a damaged one is a model-format error
    /// naming the part, never a model whose prediction panics.
    #[test]
    fn loading_checks_the_parts() {
        let m = binary();
        let v = serde_json::to_value(&m).unwrap();
        let back: LogisticRegression<f64> = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(back, m);
        let damaged = |field: &str, value: serde_json::Value| {
            let mut w = v.clone();
            w[field] = value;
            serde_json::from_value::<LogisticRegression<f64>>(w)
                .unwrap_err()
                .to_string()
        };
        let e = damaged(
            "coef",
            serde_json::json!({"v": 1, "dim": [2, 3], "data": [1, 2, 3, 4, 5, 6]}),
        );
        assert!(e.contains("coef is 2 x 3"), "{e}");
        let e = damaged(
            "intercept",
            serde_json::json!({"v": 1, "dim": [0], "data": []}),
        );
        assert!(e.contains("intercept has 0 values"), "{e}");
        let e = damaged("class_weights", serde_json::json!([]));
        assert!(e.contains("class_weights has 0 values"), "{e}");
        let e = damaged("n_classes", serde_json::json!(1));
        assert!(e.contains("n_classes is 1"), "{e}");
        let e = damaged("n_classes", serde_json::json!(3));
        assert!(
            e.contains("coef is 1 x 2: 3 classes need 3 coefficient rows"),
            "{e}"
        );
        let e = damaged("c", serde_json::json!(-1.0));
        assert!(e.contains("C is -1"), "{e}");
        // Without a penalty C is not used, and a model fitted with C = 0 loads.
        let mut w = v.clone();
        w["penalty"] = serde_json::json!("None");
        w["c"] = serde_json::json!(0.0);
        assert!(serde_json::from_value::<LogisticRegression<f64>>(w).is_ok());
    }

    #[test]
    fn probabilities_scores_and_classes_agree() {
        let m = binary();
        let x = array![[1.0, 1.0], [-1.0, 0.0], [0.0, 0.5]];
        let z = m.decision_function(x.view()).unwrap();
        assert_eq!(z.column(0).to_vec(), vec![1.5, -1.5, 0.0]);
        let p = m.predict_proba(x.view()).unwrap();
        for i in 0..3 {
            let want = 1.0 / (1.0 + (-z[[i, 0]]).exp());
            assert!((p[[i, 1]] - want).abs() < 1e-15);
            assert!((p[[i, 0]] + p[[i, 1]] - 1.0).abs() < 1e-15);
        }
        // z = 0 exactly: P(1) = 0.5 is not > 0.5, so class 0 (scikit-learn's tie rule).
        assert_eq!(m.predict(x.view()).unwrap().to_vec(), vec![1, 0, 0]);
        assert_eq!(
            m.predict_with_threshold(x.view(), 0.5).unwrap().to_vec(),
            vec![1, 0, 1]
        );
        assert_eq!(
            m.predict_with_threshold(x.view(), 0.9).unwrap().to_vec(),
            vec![0, 0, 0]
        );
        assert!(m.predict_with_threshold(x.view(), 1.5).is_err());
        let or = m.odds_ratios();
        assert!((or[[0, 0]] - 2f64.exp()).abs() < 1e-12);
    }

    #[test]
    fn nan_at_predict_is_reported_by_position() {
        let m = binary();
        let x = array![[1.0, 1.0], [f64::NAN, 0.0]];
        let e = m.predict_proba(x.view()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::NonFinite {
                    row: 1,
                    column: 0,
                    ..
                }
            ),
            "{e}"
        );
        let e = m.predict(array![[1.0, 2.0, 3.0]].view()).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    }

    #[test]
    fn column_major_input_is_accepted() {
        let m = binary();
        let x = array![[1.0, 1.0], [-1.0, 0.0], [0.0, 0.5]];
        let xt = x.t().to_owned();
        let p1 = m.predict_proba(x.view()).unwrap();
        let p2 = m.predict_proba(xt.t()).unwrap();
        assert_eq!(p1, p2);
    }
}
