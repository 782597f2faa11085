//! Evaluation metrics on raw scores (LightGBM's `binary_logloss`, `auc`, `multi_logloss`,
//! `l2`), weighted when weights are given.

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
        Metric::Auc => auc(score, y, w),
    }
}

/// Weighted ROC AUC, tied scores counted half; 1.0 when one class is absent (as LightGBM).
pub fn auc(score: &[f64], y: &[f64], w: Option<&[f64]>) -> f64 {
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
            auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0], None),
            0.75
        );
        assert_eq!(auc(&[0.5, 0.5], &[0.0, 1.0], None), 0.5);
        assert_eq!(auc(&[1.0, 2.0], &[0.0, 1.0], None), 1.0);
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
