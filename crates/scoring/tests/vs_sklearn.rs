#![allow(clippy::unwrap_used)]
//! Agreement with scikit-learn 1.9.1 and scipy (fixtures by `scripts/fixtures_scoring.py`):
//! every metric within 1e-12 on continuous, rounded (tied), five-valued and logit scores, and
//! on 3- and 4-class predictions.

use cartera_core::testkit::fixture;
use cartera_scoring::metrics::{
    ClassificationReport, ThresholdCriterion, accuracy, average_precision, best_threshold,
    brier_score, ks_statistic, log_loss, roc_auc,
};
use ndarray::Array2;
use serde_json::Value;

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12,
        "{what}: got {got:.17}, scikit-learn {want:.17}"
    );
}

#[test]
fn binary_metrics_match_sklearn() {
    let f = fixture("scoring_metrics.json");
    let cases = f["binary"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let y: Vec<bool> = usizes(&c["y"]).iter().map(|&v| v == 1).collect();
        let s = f64s(&c["score"]);
        close(
            &format!("{name} roc_auc"),
            roc_auc(&y, &s).unwrap(),
            c["roc_auc"].as_f64().unwrap(),
        );
        close(
            &format!("{name} average_precision"),
            average_precision(&y, &s).unwrap(),
            c["average_precision"].as_f64().unwrap(),
        );
        close(
            &format!("{name} ks"),
            ks_statistic(&y, &s).unwrap(),
            c["ks"].as_f64().unwrap(),
        );
        if let Some(b) = c["brier"].as_f64() {
            close(&format!("{name} brier"), brier_score(&y, &s).unwrap(), b);
            let proba = Array2::from_shape_fn(
                (s.len(), 2),
                |(i, j)| {
                    if j == 1 { s[i] } else { 1.0 - s[i] }
                },
            );
            let t: Vec<usize> = y.iter().map(|&b| usize::from(b)).collect();
            close(
                &format!("{name} log_loss"),
                log_loss(&t, proba.view()).unwrap(),
                c["log_loss"].as_f64().unwrap(),
            );
        } else {
            // Logits are not probabilities.
            assert!(brier_score(&y, &s).is_err(), "{name}");
        }
        for (key, crit) in [
            ("best_f1", ThresholdCriterion::F1),
            ("best_youden", ThresholdCriterion::Youden),
        ] {
            let want = &c[key];
            let got = best_threshold(&y, &s, crit).unwrap();
            assert_eq!(
                got.threshold,
                want["threshold"].as_f64().unwrap(),
                "{name} {key}"
            );
            close(
                &format!("{name} {key}"),
                got.value,
                want["value"].as_f64().unwrap(),
            );
            assert_eq!(got.true_positives, want["tp"].as_u64().unwrap());
            assert_eq!(got.false_positives, want["fp"].as_u64().unwrap());
        }
        let h = &c["at_half"];
        let r = ClassificationReport::at_threshold(&y, &s, 0.5).unwrap();
        let conf: Vec<Vec<u64>> = h["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| usizes(r).iter().map(|&v| v as u64).collect())
            .collect();
        assert_eq!(r.confusion, conf, "{name}");
        close(
            &format!("{name} accuracy"),
            r.accuracy,
            h["accuracy"].as_f64().unwrap(),
        );
        for k in 0..2 {
            close(
                "precision",
                r.per_class[k].precision,
                f64s(&h["precision"])[k],
            );
            close("recall", r.per_class[k].recall, f64s(&h["recall"])[k]);
            close("f1", r.per_class[k].f1, f64s(&h["f1"])[k]);
            assert_eq!(r.per_class[k].support as usize, usizes(&h["support"])[k]);
        }
    }
}

#[test]
fn multiclass_metrics_match_sklearn() {
    let f = fixture("scoring_metrics.json");
    for c in f["multiclass"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let k = c["k"].as_u64().unwrap() as usize;
        let y = usizes(&c["y"]);
        let pred = usizes(&c["pred"]);
        let rows: Vec<f64> = c["proba"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(f64s)
            .collect();
        let proba = Array2::from_shape_vec((y.len(), k), rows).unwrap();
        close(
            &format!("{name} accuracy"),
            accuracy(&y, &pred).unwrap(),
            c["accuracy"].as_f64().unwrap(),
        );
        close(
            &format!("{name} log_loss"),
            log_loss(&y, proba.view()).unwrap(),
            c["log_loss"].as_f64().unwrap(),
        );
        let r = ClassificationReport::new(&y, &pred, k).unwrap();
        for j in 0..k {
            assert_eq!(
                r.confusion[j]
                    .iter()
                    .map(|&v| v as usize)
                    .collect::<Vec<_>>(),
                usizes(&c["confusion"][j])
            );
            close(
                "precision",
                r.per_class[j].precision,
                f64s(&c["precision"])[j],
            );
            close("recall", r.per_class[j].recall, f64s(&c["recall"])[j]);
            close("f1", r.per_class[j].f1, f64s(&c["f1"])[j]);
        }
    }
}

/// Study 004's LightGBM figures: churned precision 0.96 / recall 0.83, retained precision
/// 0.95 / recall 0.99, accuracy 0.95. A confusion matrix with those rates (per 1,000 retained
/// and 300 churned customers, rounded as the study prints) gives them back.
#[test]
fn study_004_classification_report() {
    // Retained (0): 990 of 1,000 kept; churned (1): 249 of 300 caught.
    let mut y = Vec::new();
    let mut p = Vec::new();
    for (t, pr, n) in [(0, 0, 990), (0, 1, 10), (1, 1, 249), (1, 0, 51)] {
        y.extend(std::iter::repeat_n(t, n));
        p.extend(std::iter::repeat_n(pr, n));
    }
    let r = ClassificationReport::new(&y, &p, 2).unwrap();
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    assert_eq!(round2(r.per_class[1].precision), 0.96);
    assert_eq!(round2(r.per_class[1].recall), 0.83);
    assert_eq!(round2(r.per_class[0].precision), 0.95);
    assert_eq!(round2(r.per_class[0].recall), 0.99);
    assert_eq!(round2(r.accuracy), 0.95);
}
