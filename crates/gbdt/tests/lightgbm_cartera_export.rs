#![allow(clippy::unwrap_used)]
//! A cartera-trained model exported as a LightGBM text model (`write_lightgbm_model`):
//!
//! * the committed export (`tests/fixtures/treeshap_cartera_binary.*`, made by
//!   `scripts/fixtures_treeshap.py` through the `treeshap_export` example) is scored and
//!   explained by LightGBM 4.7.0 and shap 0.51.0 exactly as cartera does: raw scores within
//!   1e-9, LightGBM's pred_contrib and shap's TreeExplainer within 1e-6;
//! * a model trained now round-trips through the text format with the same raw scores and
//!   SHAP values.

use cartera_core::datasets::Classification;
use cartera_core::testkit::{fixture_matrix as matrix, fixture_path};
use cartera_gbdt::GbdtParams;
use cartera_gbdt::lightgbm::{load_lightgbm_model, read_lightgbm_model, write_lightgbm_model};
use cartera_gbdt::shap::TreeShap;
use serde_json::Value;

#[test]
fn exported_cartera_model_agrees_with_lightgbm_and_shap() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_path("treeshap_cartera_binary.json")).unwrap(),
    )
    .unwrap();
    let model = load_lightgbm_model(&fixture_path("treeshap_cartera_binary.txt")).unwrap();
    let x = matrix(&doc["x"]);
    let raw: Vec<f64> = doc["raw"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut out = [0.0];
    for (i, row) in x.outer_iter().enumerate() {
        model.predict_raw_row(row.as_slice().unwrap(), &mut out);
        assert!((out[0] - raw[i]).abs() <= 1e-9, "row {i}");
    }
    let sv = TreeShap::new(&model)
        .unwrap()
        .shap_values(x.view())
        .unwrap();
    let contrib = matrix(&doc["contrib"]);
    for ((i, j), v) in contrib.indexed_iter() {
        assert!(
            (sv.flat()[[i, j]] - v).abs() <= 1e-6,
            "LightGBM row {i} column {j}"
        );
    }
    let theirs = matrix(&doc["shap_values"]);
    let ours = sv.contributions(0);
    for ((i, j), v) in theirs.indexed_iter() {
        assert!((ours[[i, j]] - v).abs() <= 1e-6, "shap row {i} feature {j}");
    }
    let base = doc["shap_expected_value"][0].as_f64().unwrap();
    assert!((sv.expected_value(0) - base).abs() <= 1e-6);
}

#[test]
fn trained_model_round_trips_through_lightgbm_text() {
    let (x, y) = Classification::new(1200)
        .n_features(6)
        .seed(9)
        .generate()
        .unwrap();
    let y = y.mapv(|c| c as f64);
    let model = GbdtParams::new()
        .n_estimators(15)
        .num_leaves(7)
        .fit(x.view(), y.view())
        .unwrap();
    let e = model.ensemble();
    let back = read_lightgbm_model(&write_lightgbm_model(e).unwrap(), "export.txt").unwrap();
    assert_eq!(back.trees.len(), e.trees.len());
    assert_eq!(back.init_score, vec![0.0]);
    let (mut a, mut b) = ([0.0], [0.0]);
    for row in x.outer_iter() {
        let row = row.to_vec();
        e.predict_raw_row(&row, &mut a);
        back.predict_raw_row(&row, &mut b);
        // The initial score folded into the first tree's leaves is added in the same order.
        assert_eq!(a, b);
    }
    let s1 = TreeShap::new(e).unwrap().shap_values(x.view()).unwrap();
    let s2 = TreeShap::new(&back).unwrap().shap_values(x.view()).unwrap();
    for (p, q) in s1.values.iter().zip(s2.values.iter()) {
        assert!((p - q).abs() <= 1e-12);
    }
}
