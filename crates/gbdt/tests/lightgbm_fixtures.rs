#![allow(clippy::unwrap_used)]
//! Agreement with LightGBM 4.7.0 and shap 0.51.0 (fixtures by `scripts/fixtures_treeshap.py`).
//!
//! For each committed LightGBM text model (binary, 4-class on cluster labels, L2 regression
//! with NaN, zero-as-missing binary, categorical, cross-entropy), the import reproduces LightGBM's
//! `predict(raw_score=True)` within 1e-9 and TreeSHAP (fast and reference) its
//! `predict(pred_contrib=True)` within 1e-6; on the binary model, also shap's TreeExplainer.

use cartera_core::testkit::{fixture, fixture_matrix as matrix, fixture_path};
use cartera_gbdt::Objective;
use cartera_gbdt::lightgbm::load_lightgbm_model;
use cartera_gbdt::shap::{ShapAlgorithm, TreeShap};
use ndarray::Array2;
use serde_json::Value;

/// `raw` is a vector (one output) or a matrix (multiclass).
fn raw_scores(v: &Value, k: usize) -> Array2<f64> {
    if k == 1 {
        let col: Vec<f64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        Array2::from_shape_vec((col.len(), 1), col).unwrap()
    } else {
        matrix(v)
    }
}

fn check(name: &str, expect: Objective) {
    let doc = fixture(&format!("lightgbm_{name}.json"));
    let model = load_lightgbm_model(&fixture_path(&format!("lightgbm_{name}.txt"))).unwrap();
    assert_eq!(model.objective, expect, "{name}");
    let x = matrix(&doc["x"]);
    let k = model.n_outputs();
    let d = model.n_features;
    assert_eq!(d, doc["n_features"].as_u64().unwrap() as usize);
    let raw = raw_scores(&doc["raw"], k);
    let mut out = vec![0.0; k];
    for (i, row) in x.outer_iter().enumerate() {
        model.predict_raw_row(row.as_slice().unwrap(), &mut out);
        for c in 0..k {
            let diff = (out[c] - raw[[i, c]]).abs();
            assert!(
                diff <= 1e-9,
                "{name}: row {i} output {c}: {} vs {}",
                out[c],
                raw[[i, c]]
            );
        }
    }
    let contrib = matrix(&doc["contrib"]);
    assert_eq!(contrib.dim(), (x.nrows(), k * (d + 1)));
    for algo in [ShapAlgorithm::Fast, ShapAlgorithm::Reference] {
        let ts = TreeShap::with_algorithm(&model, algo).unwrap();
        let sv = ts.shap_values(x.view()).unwrap();
        let flat = sv.flat();
        let mut worst = 0.0f64;
        for ((i, j), v) in contrib.indexed_iter() {
            let diff = (flat[[i, j]] - v).abs();
            worst = worst.max(diff);
            assert!(
                diff <= 1e-6,
                "{name} {algo:?}: row {i} column {j}: {} vs {v}",
                flat[[i, j]]
            );
        }
        // The sum of contributions and expected value reproduces the raw score.
        for i in 0..x.nrows() {
            for c in 0..k {
                let s: f64 = sv.for_output(c).row(i).sum();
                assert!(
                    (s - raw[[i, c]]).abs() <= 1e-9,
                    "{name} {algo:?}: row {i} sum"
                );
            }
        }
        eprintln!("{name} {algo:?}: max |ours - LightGBM pred_contrib| = {worst:.2e}");
    }
}

#[test]
fn binary_matches_lightgbm() {
    check("binary", Objective::Binary { sigmoid: 1.0 });
}

#[test]
fn multiclass_on_cluster_labels_matches_lightgbm() {
    check("multiclass", Objective::Multiclass { n_classes: 4 });
}

#[test]
fn regression_with_nan_matches_lightgbm() {
    check("regression_nan", Objective::Regression);
}

#[test]
fn zero_as_missing_matches_lightgbm() {
    check("binary_zero", Objective::Binary { sigmoid: 1.0 });
}

#[test]
fn categorical_matches_lightgbm() {
    check("categorical", Objective::Binary { sigmoid: 1.0 });
}

/// LightGBM's `cross_entropy` objective (labels are shares in [0, 1]) imports as a binary
/// model with slope 1: raw scores and contributions as LightGBM's, and its probabilities are
/// LightGBM's `predict`.
#[test]
fn cross_entropy_matches_lightgbm_and_its_probabilities() {
    check("cross_entropy", Objective::Binary { sigmoid: 1.0 });
    let doc = fixture("lightgbm_cross_entropy.json");
    let ensemble = load_lightgbm_model(&fixture_path("lightgbm_cross_entropy.txt")).unwrap();
    let model = cartera_gbdt::GbdtModel::from_ensemble(ensemble).unwrap();
    let proba = model.predict_proba(matrix(&doc["x"]).view()).unwrap();
    let want = doc["proba"].as_array().unwrap();
    assert_eq!(proba.nrows(), want.len());
    for (i, w) in want.iter().enumerate() {
        let w = w.as_f64().unwrap();
        assert!(
            (proba[[i, 1]] - w).abs() <= 1e-12,
            "row {i}: {} vs {w}",
            proba[[i, 1]]
        );
    }
}

#[test]
fn binary_matches_shap_tree_explainer() {
    let doc = fixture("lightgbm_binary.json");
    let model = load_lightgbm_model(&fixture_path("lightgbm_binary.txt")).unwrap();
    let x = matrix(&doc["x"]);
    let theirs = matrix(&doc["shap_values"]);
    let base = doc["shap_expected_value"][0].as_f64().unwrap();
    let sv = TreeShap::new(&model)
        .unwrap()
        .shap_values(x.view())
        .unwrap();
    assert!((sv.expected_value(0) - base).abs() <= 1e-6);
    let ours = sv.contributions(0);
    assert_eq!(ours.dim(), theirs.dim());
    for ((i, j), v) in theirs.indexed_iter() {
        assert!(
            (ours[[i, j]] - v).abs() <= 1e-6,
            "row {i} feature {j}: {} vs {v}",
            ours[[i, j]]
        );
    }
}

#[test]
fn f32_rows_give_the_values_of_their_f64_widening() {
    let doc = fixture("lightgbm_categorical.json");
    let model = load_lightgbm_model(&fixture_path("lightgbm_categorical.txt")).unwrap();
    let x = matrix(&doc["x"]);
    let x32 = x.mapv(|v| v as f32);
    let ts = TreeShap::new(&model).unwrap();
    let a = ts.shap_values(x32.view()).unwrap();
    let b = ts.shap_values(x32.mapv(f64::from).view()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn truncated_fixture_is_a_parse_error_naming_the_line() {
    let text = std::fs::read_to_string(fixture_path("lightgbm_multiclass.txt")).unwrap();
    // Cut after the last tree's `leaf_count` line: the block lacks its internal_* arrays.
    let lines: Vec<&str> = text.lines().collect();
    let last_tree = lines.iter().rposition(|l| l.starts_with("Tree=")).unwrap();
    let leaf_count = last_tree
        + lines[last_tree..]
            .iter()
            .position(|l| l.starts_with("leaf_count="))
            .unwrap();
    let cut = lines[..=leaf_count].join("\n");
    let err = cartera_gbdt::lightgbm::read_lightgbm_model(&cut, "cut.txt").unwrap_err();
    match err {
        cartera_core::Error::Parse {
            line, ref message, ..
        } => {
            assert_eq!(line as usize, last_tree + 1, "{err}");
            assert!(
                message.contains("internal_value") && message.contains("truncated"),
                "{err}"
            );
        }
        _ => panic!("expected a parse error, got {err}"),
    }
    // Cut between trees: no `end of trees`.
    let cut = lines[..last_tree].join("\n");
    let err = cartera_gbdt::lightgbm::read_lightgbm_model(&cut, "cut.txt").unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}
