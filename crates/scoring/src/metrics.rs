//! Classification metrics, as scikit-learn computes them.
//!
//! Binary metrics take `y_true: &[bool]` (true = the positive class: churned, bought) and a
//! score where higher means more likely positive. Ranking metrics ([`roc_auc`],
//! [`average_precision`], [`ks_statistic`], [`best_threshold`]) accept any finite score
//! (probabilities, logits, linear scores); [`brier_score`] and [`log_loss`] need probabilities.
//!
//! Ties: rows with equal scores form one threshold, as in scikit-learn's `roc_curve` and
//! `precision_recall_curve`, so the ROC curve crosses a block of ties along a diagonal (the
//! trapezoid) and the precision-recall curve steps once per distinct score. Counts are kept
//! as integers until the last division, so results agree with scikit-learn to about 1e-15.
//!
//! ```
//! use cartera_scoring::metrics::{roc_auc, ClassificationReport};
//! let y = [false, false, true, true];
//! assert_eq!(roc_auc(&y, &[0.1, 0.4, 0.35, 0.8])?, 0.75);
//! let r = ClassificationReport::new(&[0, 1, 1, 0], &[0, 1, 0, 0], 2)?;
//! assert_eq!(r.confusion, vec![vec![2, 0], vec![1, 1]]);
//! assert_eq!(r.per_class[1].recall, 0.5);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::{Error, Result};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::order;

/// Neumaier-compensated sum: means of long columns stay accurate to a few ulps.
pub(crate) fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            c += (sum - t) + v;
        } else {
            c += (v - t) + sum;
        }
        sum = t;
    }
    sum + c
}

/// One point of the cumulative confusion counts: everything scored `>= threshold` is
/// predicted positive.
#[derive(Debug, Clone, Copy)]
struct Point {
    threshold: f64,
    tp: u64,
    fp: u64,
}

/// Checks shared by the binary ranking metrics; returns (positives, negatives).
fn check_binary(y_true: &[bool], score: &[f64]) -> Result<(u64, u64)> {
    check::non_empty("y_true", y_true.len())?;
    check::same_len("length of score (vs y_true)", y_true.len(), score.len())?;
    check::finite("score", score)?;
    let p = y_true.iter().filter(|&&y| y).count() as u64;
    let n = y_true.len() as u64 - p;
    if p == 0 || n == 0 {
        return Err(Error::TooFewSamples {
            what: "classes present in y_true (both outcomes are needed)".into(),
            needed: 2,
            found: 1,
        });
    }
    Ok((p, n))
}

/// Cumulative (tp, fp) at every distinct score, highest score first.
fn curve(y_true: &[bool], score: &[f64]) -> Vec<Point> {
    let order = order::descending(score);
    let mut out = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    for (k, &i) in order.iter().enumerate() {
        let i = i as usize;
        if y_true[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = match order.get(k + 1) {
            Some(&j) => !order::same(score[j as usize], score[i]),
            None => true,
        };
        if last_of_tie {
            out.push(Point {
                threshold: score[i],
                tp,
                fp,
            });
        }
    }
    out
}

/// Area under the ROC curve (ties as scikit-learn's `roc_auc_score`: trapezoid over distinct
/// thresholds). Needs both outcomes present.
pub fn roc_auc(y_true: &[bool], score: &[f64]) -> Result<f64> {
    let (p, n) = check_binary(y_true, score)?;
    // Twice the area in count units: sum of (dfp) * (tp + tp_prev). Exact in u128.
    let (mut area2, mut tp0, mut fp0) = (0u128, 0u64, 0u64);
    for pt in curve(y_true, score) {
        area2 += u128::from(pt.fp - fp0) * u128::from(pt.tp + tp0);
        tp0 = pt.tp;
        fp0 = pt.fp;
    }
    Ok(area2 as f64 / (2.0 * p as f64 * n as f64))
}

/// Average precision, as scikit-learn's `average_precision_score`: the sum over distinct
/// thresholds of (recall gain) × precision, no interpolation.
pub fn average_precision(y_true: &[bool], score: &[f64]) -> Result<f64> {
    let (p, _) = check_binary(y_true, score)?;
    let mut tp0 = 0u64;
    let mut ap = 0.0;
    for pt in curve(y_true, score) {
        if pt.tp > tp0 {
            ap += (pt.tp - tp0) as f64 / p as f64 * (pt.tp as f64 / (pt.tp + pt.fp) as f64);
        }
        tp0 = pt.tp;
    }
    Ok(ap)
}

/// Kolmogorov-Smirnov statistic between the score distributions of positives and negatives:
/// the largest gap `|TPR - FPR|` over thresholds (as `scipy.stats.ks_2samp(...).statistic`).
pub fn ks_statistic(y_true: &[bool], score: &[f64]) -> Result<f64> {
    let (p, n) = check_binary(y_true, score)?;
    Ok(curve(y_true, score)
        .iter()
        .map(|pt| (pt.tp as f64 / p as f64 - pt.fp as f64 / n as f64).abs())
        .fold(0.0, f64::max))
}

/// Fraction of labels predicted exactly.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    check::non_empty("y_true", y_true.len())?;
    check::same_len("length of y_pred (vs y_true)", y_true.len(), y_pred.len())?;
    let hits = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// Mean negative log-likelihood of the true class (`sklearn.metrics.log_loss`).
///
/// `proba` is `n × K` with rows summing to 1 (within `sqrt(f64::EPSILON)` relative, the
/// tolerance at which scikit-learn warns; here it is an error). Probabilities are clipped to
/// `[eps, 1 - eps]` with `eps = f64::EPSILON`, as scikit-learn does for float64 input.
pub fn log_loss(y_true: &[usize], proba: ArrayView2<'_, f64>) -> Result<f64> {
    let (n, k) = proba.dim();
    check::non_empty("y_true", y_true.len())?;
    check::same_len("rows of proba (vs y_true)", y_true.len(), n)?;
    cartera_core::validate::check_finite(proba, "proba")?;
    if k < 2 {
        return Err(Error::TooFewSamples {
            what: "columns of proba (classes)".into(),
            needed: 2,
            found: k,
        });
    }
    let tol = f64::EPSILON.sqrt();
    for (i, row) in proba.rows().into_iter().enumerate() {
        if let Some(j) = row.iter().position(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::invalid_data(
                "proba",
                format!(
                    "row {i}, column {j} (0-based) holds {}: a probability must lie in [0, 1]",
                    row[j]
                ),
            ));
        }
        let s: f64 = row.sum();
        if (s - 1.0).abs() > tol {
            return Err(Error::invalid_data(
                "proba",
                format!("row {i} (0-based) sums to {s}: probabilities must sum to 1"),
            ));
        }
    }
    if let Some(i) = y_true.iter().position(|&c| c >= k) {
        return Err(Error::invalid_data(
            "y_true",
            format!(
                "row {i} (0-based) holds class {}: a class must be below the number of proba \
                 columns ({k})",
                y_true[i]
            ),
        ));
    }
    let eps = f64::EPSILON;
    let total = compensated_sum(
        y_true
            .iter()
            .enumerate()
            .map(|(i, &c)| -proba[[i, c]].clamp(eps, 1.0 - eps).ln()),
    );
    Ok(total / n as f64)
}

/// Mean squared difference between the predicted probability and the 0/1 outcome
/// (`sklearn.metrics.brier_score_loss`).
pub fn brier_score(y_true: &[bool], prob: &[f64]) -> Result<f64> {
    check::non_empty("y_true", y_true.len())?;
    check::same_len("length of prob (vs y_true)", y_true.len(), prob.len())?;
    check::probabilities("prob", prob)?;
    let total = compensated_sum(y_true.iter().zip(prob).map(|(&y, &p)| {
        let d = p - if y { 1.0 } else { 0.0 };
        d * d
    }));
    Ok(total / y_true.len() as f64)
}

/// Precision, recall and F1 of one class (one-vs-rest).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Of the rows predicted as this class, the share that are (0 when none are predicted,
    /// scikit-learn's `zero_division` result).
    pub precision: f64,
    /// Of the rows of this class, the share predicted as it (0 when the class is absent).
    pub recall: f64,
    /// `2 tp / (2 tp + fp + fn)` (scikit-learn's form; 0 when the class is neither present
    /// nor predicted).
    pub f1: f64,
    /// Rows of this class.
    pub support: u64,
}

/// Confusion matrix, per-class precision/recall/F1 and accuracy of a multi-class prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// `confusion[true][predicted]` counts (rows: true class, as scikit-learn).
    pub confusion: Vec<Vec<u64>>,
    /// Metrics of class `0..n_classes`.
    pub per_class: Vec<ClassMetrics>,
    /// Fraction of rows on the diagonal.
    pub accuracy: f64,
}

/// The most classes a [`ClassificationReport`] holds: its confusion matrix has
/// `n_classes²` counts (800 MB at this limit).
pub const MAX_REPORT_CLASSES: usize = 10_000;

impl ClassificationReport {
    /// Build the report of labels in `0..n_classes`.
    ///
    /// Errors: empty or mismatched inputs; `n_classes` of 0 or above
    /// [`MAX_REPORT_CLASSES`] ([`Error::InvalidParameter`]); a label not below `n_classes`
    /// ([`Error::InvalidData`]).
    pub fn new(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Self> {
        check::non_empty("y_true", y_true.len())?;
        check::same_len("length of y_pred (vs y_true)", y_true.len(), y_pred.len())?;
        cartera_core::validate::check_at_least("n_classes", n_classes, 1)?;
        if n_classes > MAX_REPORT_CLASSES {
            return Err(Error::invalid_param(
                "n_classes",
                n_classes,
                format!(
                    "at most {MAX_REPORT_CLASSES}: the confusion matrix holds n_classes² counts"
                ),
            ));
        }
        for (what, ys) in [("y_true", y_true), ("y_pred", y_pred)] {
            if let Some(i) = ys.iter().position(|&c| c >= n_classes) {
                return Err(Error::invalid_data(
                    what,
                    format!(
                        "row {i} (0-based) holds class {}: a class must be below n_classes \
                         ({n_classes})",
                        ys[i]
                    ),
                ));
            }
        }
        let mut confusion = vec![vec![0u64; n_classes]; n_classes];
        for (&t, &p) in y_true.iter().zip(y_pred) {
            confusion[t][p] += 1;
        }
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class = (0..n_classes)
            .map(|c| {
                let tp = confusion[c][c];
                let support: u64 = confusion[c].iter().sum();
                let predicted: u64 = confusion.iter().map(|r| r[c]).sum();
                let (fp, fn_) = (predicted - tp, support - tp);
                ClassMetrics {
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, support),
                    f1: ratio(2 * tp, 2 * tp + fp + fn_),
                    support,
                }
            })
            .collect();
        let hits: u64 = (0..n_classes).map(|c| confusion[c][c]).sum();
        Ok(ClassificationReport {
            confusion,
            per_class,
            accuracy: hits as f64 / y_true.len() as f64,
        })
    }

    /// Binary shorthand: class 1 = `true`, predicted positive when `score >= threshold`.
    ///
    /// Errors: as [`new`](Self::new), plus a non-finite score and a NaN threshold (every
    /// score would then be predicted negative).
    pub fn at_threshold(y_true: &[bool], score: &[f64], threshold: f64) -> Result<Self> {
        if threshold.is_nan() {
            return Err(Error::invalid_param(
                "threshold",
                threshold,
                "must be a number",
            ));
        }
        check::same_len("length of score (vs y_true)", y_true.len(), score.len())?;
        check::finite("score", score)?;
        let t: Vec<usize> = y_true.iter().map(|&y| usize::from(y)).collect();
        let p: Vec<usize> = score.iter().map(|&s| usize::from(s >= threshold)).collect();
        Self::new(&t, &p, 2)
    }
}

/// What [`best_threshold`] maximises.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ThresholdCriterion {
    /// F1 of the positive class.
    F1,
    /// Youden's J = TPR − FPR (the KS point).
    Youden,
    /// Campaign profit: `gain_per_positive` per true positive reached minus `cost_per_contact`
    /// per customer contacted (true and false positives).
    Profit {
        /// Money earned per positive reached (e.g. profit per sale).
        gain_per_positive: f64,
        /// Money spent per customer contacted (e.g. unit discount cost).
        cost_per_contact: f64,
    },
}

/// The threshold chosen by [`best_threshold`] and its confusion counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChoice {
    /// Predict positive when `score >= threshold`; always one of the scores.
    pub threshold: f64,
    /// The criterion's value there.
    pub value: f64,
    /// Positives at or above the threshold.
    pub true_positives: u64,
    /// Negatives at or above the threshold.
    pub false_positives: u64,
    /// Negatives below the threshold.
    pub true_negatives: u64,
    /// Positives below the threshold.
    pub false_negatives: u64,
}

/// The score threshold that maximises `criterion`, among the distinct scores (predict
/// positive when `score >= threshold`). Ties in the criterion go to the highest threshold
/// (the smallest campaign). Needs both outcomes present.
pub fn best_threshold(
    y_true: &[bool],
    score: &[f64],
    criterion: ThresholdCriterion,
) -> Result<ThresholdChoice> {
    let (p, n) = check_binary(y_true, score)?;
    if let ThresholdCriterion::Profit {
        gain_per_positive,
        cost_per_contact,
    } = criterion
    {
        check::non_negative("gain_per_positive", gain_per_positive)?;
        check::non_negative("cost_per_contact", cost_per_contact)?;
    }
    let mut best: Option<ThresholdChoice> = None;
    for pt in curve(y_true, score) {
        let (tp, fp) = (pt.tp as f64, pt.fp as f64);
        let fn_ = (p - pt.tp) as f64;
        let value = match criterion {
            ThresholdCriterion::F1 => 2.0 * tp / (2.0 * tp + fp + fn_),
            ThresholdCriterion::Youden => tp / p as f64 - fp / n as f64,
            ThresholdCriterion::Profit {
                gain_per_positive,
                cost_per_contact,
            } => tp * gain_per_positive - (tp + fp) * cost_per_contact,
        };
        if best.is_none_or(|b| value > b.value) {
            best = Some(ThresholdChoice {
                threshold: pt.threshold,
                value,
                true_positives: pt.tp,
                false_positives: pt.fp,
                true_negatives: n - pt.fp,
                false_negatives: p - pt.tp,
            });
        }
    }
    // check_binary guarantees at least one row, hence one point.
    best.ok_or_else(|| Error::empty("score"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_as_half() {
        // One positive tied with one negative: half a pair.
        let auc = roc_auc(&[true, false, false], &[0.5, 0.5, 0.1]).unwrap();
        assert!((auc - 0.75).abs() < 1e-15);
    }

    #[test]
    fn one_class_is_an_error() {
        assert!(matches!(
            roc_auc(&[true, true], &[0.1, 0.2]),
            Err(Error::TooFewSamples { .. })
        ));
        assert!(matches!(
            roc_auc(&[true, false], &[0.1, f64::NAN]),
            Err(Error::NonFinite { row: 1, .. })
        ));
    }

    #[test]
    fn profit_threshold_prefers_the_smaller_campaign_on_ties() {
        let y = [true, false, true, false];
        let s = [0.9, 0.8, 0.7, 0.1];
        let c = best_threshold(
            &y,
            &s,
            ThresholdCriterion::Profit {
                gain_per_positive: 10.0,
                cost_per_contact: 5.0,
            },
        )
        .unwrap();
        // 0.9: 10 - 5 = 5; 0.8: 10 - 10 = 0; 0.7: 20 - 15 = 5 (tie, smaller campaign wins).
        assert_eq!(c.threshold, 0.9);
        assert_eq!(c.value, 5.0);
    }
}
