//! Categorical splits (LightGBM's method): the set learned, one-vs-rest for few categories,
//! unseen and missing categories, model files, LightGBM export, TreeSHAP, bad input.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use cartera_core::Error;
use cartera_gbdt::lightgbm::{read_lightgbm_model, write_lightgbm_model};
use cartera_gbdt::shap::TreeShap;
use cartera_gbdt::{BinSampler, GbdtModel, GbdtParams, MAX_CATEGORY, Tree, auc};
use common::is_invalid;
use ndarray::{Array1, Array2, array};

/// Column 0: a category code in 0..20 (every 50th row missing); column 1: noise. The label is
/// 1 mostly for the categories {3, 7, 8, 15}.
fn table(n: usize) -> (Array2<f64>, Array1<f64>) {
    let mut x = Array2::zeros((n, 2));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
        let cat = (h % 20) as f64;
        x[[i, 0]] = if i % 50 == 0 { f64::NAN } else { cat };
        x[[i, 1]] = (h / 20 % 1000) as f64 / 1000.0;
        let hot = [3.0, 7.0, 8.0, 15.0].contains(&cat);
        let flip = (h >> 20).is_multiple_of(10);
        y[i] = f64::from(hot != flip);
    }
    (x, y)
}

/// Category codes sent left by internal node `node` of a tree.
fn left_set(t: &Tree, node: usize) -> BTreeSet<u32> {
    let set = t.threshold[node] as usize;
    let words =
        &t.cat_threshold[t.cat_boundaries[set] as usize..t.cat_boundaries[set + 1] as usize];
    (0..words.len() as u32 * 32)
        .filter(|&c| words[c as usize / 32] >> (c % 32) & 1 == 1)
        .collect()
}

fn fit(params: GbdtParams, x: &Array2<f64>, y: &Array1<f64>) -> GbdtModel {
    params.fit(x.view(), y.view()).unwrap()
}

/// `rounds` rounds with column 0 categorical.
fn cat(rounds: usize) -> GbdtParams {
    GbdtParams::new()
        .categorical_features(vec![0])
        .n_estimators(rounds)
}

#[test]
fn learns_the_category_set_in_one_split() {
    let (x, y) = table(6000);
    let m = fit(cat(10), &x, &y);
    let root = &m.ensemble().trees[0];
    assert!(root.decision[0].categorical);
    assert_eq!(root.split_feature[0], 0);
    // Many-vs-many: the four categories with the lowest gradient ratio (label 1) go left.
    assert_eq!(left_set(root, 0), BTreeSet::from([3, 7, 8, 15]));
    let p = m.predict_proba(x.view()).unwrap();
    let a = auc(&p.column(1).to_vec(), y.as_slice().unwrap(), None).unwrap();
    assert!(a > 0.85, "AUC {a}");
    // The same trees read the codes as numbers need many more splits: with a tiny model the
    // categorical one is clearly better.
    let small = GbdtParams::new().n_estimators(3).num_leaves(3);
    let num = fit(small.clone(), &x, &y);
    let cat = fit(small.categorical_features(vec![0]), &x, &y);
    let score = |m: &GbdtModel| {
        let p = m.predict_proba(x.view()).unwrap();
        auc(&p.column(1).to_vec(), y.as_slice().unwrap(), None).unwrap()
    };
    assert!(
        score(&cat) > score(&num) + 0.05,
        "{} vs {}",
        score(&cat),
        score(&num)
    );
}

#[test]
fn few_categories_split_one_against_the_rest() {
    // Three categories (4 bins with the missing bin <= max_cat_to_onehot 4).
    let n = 3000;
    let x = Array2::from_shape_fn((n, 1), |(i, _)| (i % 3) as f64);
    let y = Array1::from_shape_fn(n, |i| f64::from(i % 3 == 1 || i % 17 == 0));
    let m = fit(cat(3), &x, &y);
    let t = &m.ensemble().trees[0];
    assert!(t.decision[0].categorical);
    assert_eq!(left_set(t, 0), BTreeSet::from([1]));
    // With one-hot turned off (max_cat_to_onehot 1) the many-vs-many search runs instead and
    // finds the same partition here.
    let m = fit(
        GbdtParams::new()
            .categorical_features(vec![0])
            .max_cat_to_onehot(1)
            .min_data_per_group(10)
            .n_estimators(3),
        &x,
        &y,
    );
    let t = &m.ensemble().trees[0];
    assert!(t.decision[0].categorical);
    assert_eq!(left_set(t, 0), BTreeSet::from([1]));
}

#[test]
fn unseen_and_missing_categories_go_right() {
    let (x, y) = table(4000);
    let m = fit(cat(20), &x, &y);
    let rows = array![
        [f64::NAN, 0.5],
        [-1.0, 0.5],
        [99.0, 0.5],
        [7.0, 0.5],
        [7.9, 0.5]
    ];
    let p = m.predict_raw(rows.view()).unwrap();
    assert_eq!(p[[0, 0]], p[[1, 0]], "negative codes are missing");
    assert_eq!(
        p[[0, 0]],
        p[[2, 0]],
        "an unseen code goes where missing goes"
    );
    assert_eq!(p[[3, 0]], p[[4, 0]], "codes are truncated as LightGBM does");
    assert!(
        p[[3, 0]] > p[[2, 0]] + 1.0,
        "category 7 is a churn category"
    );
}

#[test]
fn model_files_lightgbm_export_and_treeshap_keep_categorical_splits() {
    let (x, y) = table(3000);
    let m = fit(cat(15), &x, &y);
    let raw = m.predict_raw(x.view()).unwrap();
    let back = GbdtModel::from_json(&m.to_json().unwrap()).unwrap();
    assert_eq!(back.predict_raw(x.view()).unwrap(), raw);
    let text = write_lightgbm_model(m.ensemble()).unwrap();
    let imported =
        GbdtModel::from_ensemble(read_lightgbm_model(&text, "cat.txt").unwrap()).unwrap();
    let gap = (&imported.predict_raw(x.view()).unwrap() - &raw)
        .iter()
        .fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(gap < 1e-9, "LightGBM round trip moved a score by {gap}");
    // TreeSHAP: contributions plus the expected value add up to the raw score.
    let shap = TreeShap::new(m.ensemble()).unwrap();
    let v = shap.shap_values(x.view()).unwrap();
    for i in 0..x.nrows() {
        let sum: f64 = v.for_output(0).row(i).sum();
        assert!(
            (sum - raw[[i, 0]]).abs() < 1e-9,
            "row {i}: {sum} vs {}",
            raw[[i, 0]]
        );
    }
    assert!(v.for_output(0).column(0).iter().any(|c| c.abs() > 0.1));
}

#[test]
fn thread_count_does_not_change_the_model() {
    let (x, y) = table(5000);
    let params = cat(20).bagging_fraction(0.8).bagging_freq(1);
    let models: Vec<GbdtModel> = [1, 3]
        .iter()
        .map(|&t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| fit(params.clone(), &x, &y))
        })
        .collect();
    assert_eq!(models[0], models[1]);
}

#[test]
fn bad_categorical_input_is_a_typed_error() {
    let (mut x, y) = table(500);
    let p = GbdtParams::new().n_estimators(2);
    is_invalid(
        p.clone()
            .categorical_features(vec![2])
            .fit(x.view(), y.view()),
        "categorical_features",
    );
    is_invalid(
        p.clone()
            .categorical_features(vec![0, 0])
            .fit(x.view(), y.view()),
        "categorical_features",
    );
    is_invalid(
        p.clone()
            .categorical_features(vec![0])
            .cat_l2(-1.0)
            .fit(x.view(), y.view()),
        "cat_l2",
    );
    is_invalid(
        p.clone()
            .categorical_features(vec![0])
            .max_cat_threshold(0)
            .fit(x.view(), y.view()),
        "max_cat_threshold",
    );
    x[[42, 0]] = f64::from(MAX_CATEGORY);
    let e = p
        .clone()
        .categorical_features(vec![0])
        .fit(x.view(), y.view())
        .unwrap_err();
    assert!(e.to_string().contains("row 42"), "{e}");
    // Streaming training bins every feature as numbers: categorical features are refused.
    let p = p.categorical_features(vec![0]);
    let sampler = BinSampler::new(&p, 2);
    let refused = match sampler {
        Err(e) => e,
        Ok(_) => {
            let mut s = BinSampler::new(&GbdtParams::new(), 2).unwrap();
            s.push(x.view()).unwrap();
            let mappers = s.finish().unwrap();
            let mut data = cartera_gbdt::BinnedDataset::new(&mappers);
            data.push_chunk(x.view(), y.view()).unwrap();
            p.fit_binned(data, None).unwrap_err()
        }
    };
    assert!(
        matches!(refused, Error::InvalidParameter { .. }),
        "{refused:?}"
    );
}
