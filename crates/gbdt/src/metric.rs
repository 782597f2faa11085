//! Evaluation metrics on raw scores (LightGBM's `binary_logloss`, `auc`, `multi_logloss`,
//! `l2`), weighted when weights are given.

use cartera_core::{Error, Result, validate};

use crate::objective::{sigmoid, softmax};
use crate::params::Metric;
use crate::tree::Objective;

/// Probability clamp of the log-losses (LightGBM's `kEpsilon`).
const EPS: f64 = 1e-15;

/// The metric of raw scores `score` (row-major, `n x k`) against labels `y`.
pub(crate) fn evaluate(
    metric: Metric,
    objective: Objective,
    score: &[f64],
    y: &[f64],
    w: Option<&[f64]>,
) -> f64 {
    let n = y.len();
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let sw: f64 = (0..n).map(wt).sum();
    match metric {
        Metric::LogLoss => {
            let slope = match objective {
                Objective::Binary { sigmoid } => sigmoid,
                _ => 1.0,
            };
            let s: f64 = (0..n)
                .map(|i| {
                    let p = sigmoid(score[i], slope);
                    let q = if y[i] > 0.5 { p } else { 1.0 - p };
                    -q.max(EPS).ln() * wt(i)
                })
                .sum();
            s / sw
        }
        Metric::MultiLogLoss => {
            let k = objective.n_outputs();
            let mut p = vec![0.0; k];
            let s: f64 = (0..n)
                .map(|i| {
                    softmax(&score[i * k..(i + 1) * k], &mut p);
                    -p[y[i] as usize].max(EPS).ln() * wt(i)
                })
                .sum();
            s / sw
        }
        Metric::L2 => {
            let s: f64 = (0..n).map(|i| (score[i] - y[i]).powi(2) * wt(i)).sum();
            s / sw
        }
        Metric::Auc => auc_of(score, y, w),
    }
}

/// Weighted ROC AUC of scores `score` against 0/1 labels `y` (optional non-negative weights
/// `w`), tied scores counted half, as LightGBM's `auc` metric.
///
/// ```
/// let a = cartera_gbdt::auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0], None).unwrap();
/// assert_eq!(a, 0.75);
/// ```
///
/// Errors: lengths that differ ([`Error::ShapeMismatch`]), an empty input, a NaN score, a
/// label other than 0 or 1 or a negative or non-finite weight ([`Error::InvalidData`] /
/// [`Error::NonFinite`]), and labels of one class only, or a class whose rows all weigh 0, for
/// which the AUC is undefined ([`Error::TooFewSamples`]; LightGBM reports 1.0 there).
pub fn auc(score: &[f64], y: &[f64], w: Option<&[f64]>) -> Result<f64> {
    validate::check_len(score.len(), y.len(), "number of scores (vs labels)")?;
    if y.is_empty() {
        return Err(Error::empty("scores and labels"));
    }
    if let Some(w) = w {
        validate::check_len(w.len(), y.len(), "number of weights (vs labels)")?;
        if let Some(i) = w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(Error::invalid_data(
                "weights",
                format!(
                    "row {i} (0-based) holds {}: a weight must be finite and >= 0",
                    w[i]
                ),
            ));
        }
    }
    if let Some(i) = score.iter().position(|v| v.is_nan()) {
        return Err(Error::NonFinite {
            what: "scores".into(),
            row: i,
            column: 0,
            value: score[i].to_string(),
        });
    }
    if let Some(i) = y.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(Error::invalid_data(
            "labels",
            format!("row {i} (0-based) holds {}: a label must be 0 or 1", y[i]),
        ));
    }
    // A class counts when its rows weigh something: a class of zero total weight leaves the
    // AUC as undefined as an absent one.
    let (mut pos, mut neg) = (0.0, 0.0);
    for (i, &v) in y.iter().enumerate() {
        let wi = w.map_or(1.0, |w| w[i]);
        if v == 1.0 { pos += wi } else { neg += wi }
    }
    let classes = usize::from(pos > 0.0) + usize::from(neg > 0.0);
    if classes < 2 {
        return Err(Error::TooFewSamples {
            what: "classes of positive weight among the labels (the AUC of one class is \
                   undefined)"
                .into(),
            needed: 2,
            found: classes,
        });
    }
    Ok(auc_of(score, y, w))
}

/// [`auc`] on checked inputs; 1.0 when one class is absent or weighs nothing (as LightGBM),
/// which early stopping never meets: a fit on AUC requires both classes among the validation
/// labels.
fn auc_of(score: &[f64], y: &[f64], w: Option<&[f64]>) -> f64 {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
    let wt = |i: usize| w.map_or(1.0, |w| w[i]);
    let (mut neg_below, mut area, mut pos_total) = (0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let (mut pos, mut neg) = (0.0, 0.0);
        while j < order.len() && score[order[j]] == score[order[i]] {
            let r = order[j];
            if y[r] > 0.5 {
                pos += wt(r);
            } else {
                neg += wt(r);
            }
            j += 1;
        }
        area += pos * (neg_below + neg / 2.0);
        neg_below += neg;
        pos_total += pos;
        i = j;
    }
    if pos_total == 0.0 || neg_below == 0.0 {
        return 1.0;
    }
    area / (pos_total * neg_below)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        assert_eq!(
            auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0], None).unwrap(),
            0.75
        );
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0], None).unwrap(), 0.5);
        assert_eq!(auc(&[1.0, 2.0], &[0.0, 1.0], None).unwrap(), 1.0);
        let w = [1.0, 3.0, 1.0, 1.0];
        let weighted = auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0], Some(&w)).unwrap();
        // Positive 0.35 outranks negative weight 1, positive 0.8 all 4: 5 of 2 x 4.
        assert_eq!(weighted, 5.0 / 8.0);
    }

    /// Bad inputs are typed errors, not a panic or a number (1.0 for one class, below 0 with
    /// a negative weight).
    #[test]
    fn auc_checks_its_inputs() {
        let e = auc(&[0.1], &[0.0, 1.0], None).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
        let e = auc(&[0.1, 0.2], &[0.0, 1.0], Some(&[1.0])).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
        let e = auc(&[0.1, 0.2], &[1.0, 1.0], None).unwrap_err();
        assert!(matches!(e, Error::TooFewSamples { found: 1, .. }), "{e}");
        // Both labels present, but the negatives weigh nothing.
        let e = auc(&[0.1, 0.2, 0.3], &[0.0, 1.0, 1.0], Some(&[0.0, 1.0, 2.0])).unwrap_err();
        assert!(matches!(e, Error::TooFewSamples { found: 1, .. }), "{e}");
        let e = auc(&[0.1, 0.2], &[0.0, 1.0], Some(&[1.0, -1.0])).unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = auc(&[0.1, f64::NAN], &[0.0, 1.0], None).unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 1, .. }), "{e}");
        let e = auc(&[0.1, 0.2], &[0.0, 2.0], None).unwrap_err();
        assert!(e.to_string().contains("0 or 1"), "{e}");
        assert!(auc(&[], &[], None).is_err());
    }

    #[test]
    fn logloss_of_even_odds() {
        let b = Objective::Binary { sigmoid: 1.0 };
        let v = evaluate(Metric::LogLoss, b, &[0.0, 0.0], &[0.0, 1.0], None);
        assert!((v - 2f64.ln()).abs() < 1e-12);
        let m = Objective::Multiclass { n_classes: 3 };
        let v = evaluate(Metric::MultiLogLoss, m, &[0.0; 3], &[2.0], None);
        assert!((v - 3f64.ln()).abs() < 1e-12);
        let v = evaluate(
            Metric::L2,
            Objective::Regression,
            &[1.0, 2.0],
            &[0.0, 0.0],
            None,
        );
        assert_eq!(v, 2.5);
    }
}
