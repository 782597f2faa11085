#![allow(clippy::unwrap_used)]
//! Global explanations on the 4-class LightGBM model trained on k-means cluster labels
//! (`tests/fixtures/lightgbm_multiclass.*`): the per-cluster importance table agrees with the
//! ranking computed from LightGBM's own `pred_contrib`, and the summary-plot bins account for
//! every row.

use cartera_core::testkit::{fixture_matrix as matrix, fixture_path};
use cartera_gbdt::explain::{
    SummaryDetail, cluster_importance, feature_columns, importance, summary_plot,
};
use cartera_gbdt::lightgbm::load_lightgbm_model;
use cartera_gbdt::shap::TreeShap;
use serde_json::Value;

#[test]
fn cluster_table_matches_lightgbm_pred_contrib_ranking() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_path("lightgbm_multiclass.json")).unwrap(),
    )
    .unwrap();
    let model = load_lightgbm_model(&fixture_path("lightgbm_multiclass.txt")).unwrap();
    let x = matrix(&doc["x"]);
    let contrib = matrix(&doc["contrib"]);
    let (n, d, k) = (x.nrows(), model.n_features, 4);
    let sv = TreeShap::new(&model)
        .unwrap()
        .shap_values(x.view())
        .unwrap();
    // Memberships: the class with the largest raw score (the cluster the model assigns).
    let raw = matrix(&doc["raw"]);
    let membership: Vec<usize> = raw
        .outer_iter()
        .map(|r| (0..k).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
        .collect();
    let names: Vec<String> = (0..k).map(|c| format!("segment {c}")).collect();
    let table = cluster_importance(&sv, Some(&membership), Some(&names), Some(5)).unwrap();
    assert_eq!(table.len(), k);
    for c in 0..k {
        // LightGBM's mean |contribution| of class c, feature j.
        let mut theirs: Vec<(usize, f64)> = (0..d)
            .map(|j| {
                let col = c * (d + 1) + j;
                (
                    j,
                    contrib.column(col).iter().map(|v| v.abs()).sum::<f64>() / n as f64,
                )
            })
            .collect();
        theirs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let row = &table[c];
        assert_eq!(row.name, names[c]);
        assert_eq!(row.features.len(), 5);
        assert_eq!(
            row.n_members,
            membership.iter().filter(|&&m| m == c).count()
        );
        for (ours, (j, m)) in row.features.iter().zip(&theirs) {
            assert_eq!(ours.index, *j, "cluster {c}");
            assert!((ours.mean_abs_shap - m).abs() < 1e-9);
            assert_eq!(ours.feature, model.feature_names[*j]);
        }
        // Every cluster has members among these rows, so their mean signed SHAP is there.
        assert!(row.features[0].mean_shap_members.is_some());
    }
    let global = importance(&sv);
    assert_eq!(global.per_output.len(), k);
    let total: f64 = global.overall.iter().map(|f| f.mean_abs_shap).sum();
    let per_class: f64 = global
        .per_output
        .iter()
        .flat_map(|o| o.features.iter().map(|f| f.mean_abs_shap))
        .sum();
    assert!((total - per_class).abs() < 1e-9);
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(
        json[0]["features"][0]["feature"],
        table[0].features[0].feature.as_str()
    );
}

#[test]
fn summary_bins_cover_every_row_with_missing_apart() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture_path("lightgbm_regression_nan.json")).unwrap(),
    )
    .unwrap();
    let model = load_lightgbm_model(&fixture_path("lightgbm_regression_nan.txt")).unwrap();
    let x = matrix(&doc["x"]);
    let sv = TreeShap::new(&model)
        .unwrap()
        .shap_values(x.view())
        .unwrap();
    let plot = summary_plot(&sv, x.view(), 0, SummaryDetail::Bins(20)).unwrap();
    assert_eq!(plot.features.len(), model.n_features);
    for f in &plot.features {
        let bins = f.bins.as_ref().unwrap();
        assert!(bins.len() <= 20 && bins.len() >= 10, "{}", bins.len());
        let missing = f.missing.as_ref().map_or(0, |m| m.count);
        let nan = x.column(f.index).iter().filter(|v| v.is_nan()).count();
        assert_eq!(missing, nan);
        assert_eq!(
            bins.iter().map(|b| b.count).sum::<usize>() + missing,
            x.nrows()
        );
        assert!(bins.windows(2).all(|w| w[0].upper < w[1].lower));
        // The bins' weighted mean SHAP plus the missing rows' equals the column's mean.
        let mean: f64 = sv.for_output(0).column(f.index).sum() / x.nrows() as f64;
        let weighted: f64 = bins
            .iter()
            .map(|b| b.mean_shap * b.count as f64)
            .sum::<f64>()
            + f.missing
                .as_ref()
                .map_or(0.0, |m| m.mean_shap * m.count as f64);
        assert!((weighted / x.nrows() as f64 - mean).abs() < 1e-12);
    }
    // Features ordered by mean |SHAP|.
    assert!(
        plot.features
            .windows(2)
            .all(|w| w[0].mean_abs_shap >= w[1].mean_abs_shap)
    );
    let points = summary_plot(&sv, x.view(), 0, SummaryDetail::Points).unwrap();
    assert_eq!(points.features[0].shap.as_ref().unwrap().len(), x.nrows());
    // A CSV header in another order maps back to the model's features; a missing one is named.
    let mut header: Vec<String> = model.feature_names.iter().rev().cloned().collect();
    let cols = feature_columns(&model.feature_names, &header).unwrap();
    assert_eq!(cols[0], model.n_features - 1);
    header.pop();
    let err = feature_columns(&model.feature_names, &header).unwrap_err();
    assert!(err.to_string().contains(&model.feature_names[0]), "{err}");
}
