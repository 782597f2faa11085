//! Behaviour seen from outside: the fast predictor against the reference one, bad input,
//! model files, early stopping, missing values, determinism and the conformance kit.

#![allow(clippy::unwrap_used)]

mod common;

use cartera_core::Error;
use cartera_core::testkit::{Subject, assert_conforms};
use cartera_gbdt::{
    Ensemble, GbdtModel, GbdtParams, ImportanceType, Metric, MissingType, Objective,
};
use common::{data, is_bad_data, is_invalid};
use ndarray::{Array1, Array2, ArrayView2, Axis, s};

/// 2,000 rows of the generated classification set with some values knocked out.
fn binary_with_nan() -> (Array2<f64>, Array1<f64>) {
    let d = data::classification(2000, 11);
    let mut x = d.x;
    for i in (0..2000).step_by(7) {
        x[[i, i % 5]] = f64::NAN;
    }
    (x, d.y)
}

fn reference_raw(e: &Ensemble, x: ArrayView2<f64>) -> Array2<f64> {
    let k = e.n_outputs();
    let mut out = Array2::zeros((x.nrows(), k));
    for (i, row) in x.rows().into_iter().enumerate() {
        let mut o = vec![0.0; k];
        e.predict_raw_row(&row.to_vec(), &mut o);
        out.row_mut(i).assign(&Array1::from(o));
    }
    out
}

#[test]
fn fast_predictor_equals_reference_for_every_objective() {
    let (x, y) = binary_with_nan();
    let m = GbdtParams::new()
        .n_estimators(30)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(
        m.predict_raw(x.view()).unwrap(),
        reference_raw(m.ensemble(), x.view())
    );
    let xf = x.mapv(|v| v as f32);
    let mf = GbdtParams::new()
        .n_estimators(10)
        .fit(xf.view(), y.view())
        .unwrap();
    let raw32 = mf.predict_raw(xf.view()).unwrap();
    assert_eq!(
        raw32,
        reference_raw(mf.ensemble(), xf.mapv(f64::from).view())
    );

    let g = data::telco(3000, 5, true);
    let m = GbdtParams::new()
        .objective(Objective::Multiclass { n_classes: 4 })
        .n_estimators(10)
        .fit(g.x.view(), g.y.view())
        .unwrap();
    assert_eq!(m.ensemble().trees.len(), 40);
    assert_eq!(
        m.predict_raw(g.x.view()).unwrap(),
        reference_raw(m.ensemble(), g.x.view())
    );
    let p = m.predict_proba(g.x.view()).unwrap();
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
    let acc = m
        .predict(g.x.view())
        .unwrap()
        .iter()
        .zip(&g.y)
        .filter(|(a, b)| a == b)
        .count();
    assert!(acc as f64 > 0.95 * 3000.0, "train accuracy {acc}");

    let reg_y = x.column(0).mapv(|v| if v.is_nan() { 0.0 } else { 2.0 * v });
    let m = GbdtParams::new()
        .objective(Objective::Regression)
        .n_estimators(50)
        .fit(x.view(), reg_y.view())
        .unwrap();
    let pred = m.predict(x.view()).unwrap();
    assert_eq!(
        m.predict_raw(x.view()).unwrap(),
        reference_raw(m.ensemble(), x.view())
    );
    let mse = (&pred - &reg_y).mapv(|v| v * v).mean().unwrap();
    let var = reg_y.var(0.0);
    assert!(mse < 0.05 * var, "mse {mse} var {var}");
    assert!(matches!(
        m.predict_proba(x.view()),
        Err(Error::InvalidParameter { .. })
    ));
    // Targets whose mean overflows: an error about the labels, not about a model file.
    let huge = ndarray::Array1::from_elem(x.nrows(), 1e308);
    let e = GbdtParams::new()
        .objective(Objective::Regression)
        .n_estimators(2)
        .fit(x.view(), huge.view())
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { what, .. } if what == "labels"),
        "{e}"
    );
    assert_eq!(m.n_classes(), 1);
}

#[test]
fn leaves_and_importance_are_consistent() {
    let (x, y) = binary_with_nan();
    let m = GbdtParams::new()
        .n_estimators(20)
        .fit(x.view(), y.view())
        .unwrap();
    let leaves = m.predict_leaf(x.view()).unwrap();
    assert_eq!(leaves.dim(), (2000, 20));
    let raw = m.predict_raw(x.view()).unwrap();
    for i in (0..2000).step_by(97) {
        let sum: f64 = m.ensemble().init_score[0]
            + m.ensemble()
                .trees
                .iter()
                .zip(leaves.row(i))
                .map(|(t, &l)| t.leaf_value[l as usize])
                .sum::<f64>();
        assert!((sum - raw[[i, 0]]).abs() < 1e-12);
    }
    for t in &m.ensemble().trees {
        // Covers are training row counts and hessian sums.
        assert_eq!(t.leaf_count.iter().sum::<f64>(), 2000.0);
        assert_eq!(t.internal_count[0], 2000.0);
        assert!((t.leaf_weight.iter().sum::<f64>() - t.internal_weight[0]).abs() < 1e-9);
        assert!(t.split_gain.iter().all(|g| *g > 0.0));
        // min_data_in_leaf is checked on counts estimated from hessians (LightGBM's rule), so
        // exact counts may fall a little short of 20, never far.
        assert!(
            t.leaf_count.iter().all(|c| *c >= 10.0),
            "min_data_in_leaf: {:?}",
            t.leaf_count
        );
    }
    let split = m.feature_importance(ImportanceType::Split);
    let gain = m.feature_importance(ImportanceType::Gain);
    let n_splits: usize = m.ensemble().trees.iter().map(|t| t.num_internal()).sum();
    assert_eq!(split.iter().sum::<f64>(), n_splits as f64);
    assert!(gain.iter().all(|g| *g >= 0.0));
    // Features with NaN learned a direction; the others have no missing type.
    let t = &m.ensemble().trees[0];
    for (f, d) in t.split_feature.iter().zip(&t.decision) {
        let expected = if *f < 5 {
            MissingType::NaN
        } else {
            MissingType::None
        };
        assert_eq!(d.missing, expected, "feature {f}");
    }
}

#[test]
fn missing_values_follow_the_learned_direction() {
    // y = 1 exactly where x is missing or large.
    let n = 1000;
    let x = Array2::from_shape_fn((n, 1), |(i, _)| {
        if i % 4 == 0 {
            f64::NAN
        } else {
            (i % 100) as f64
        }
    });
    let y = Array1::from_shape_fn(n, |i| {
        if i % 4 == 0 || i % 100 >= 70 {
            1.0
        } else {
            0.0
        }
    });
    let m = GbdtParams::new()
        .n_estimators(20)
        .fit(x.view(), y.view())
        .unwrap();
    let probe = Array2::from_shape_vec((3, 1), vec![f64::NAN, 10.0, 90.0]).unwrap();
    let p = m.predict_proba(probe.view()).unwrap();
    assert!(
        p[[0, 1]] > 0.9 && p[[1, 1]] < 0.1 && p[[2, 1]] > 0.9,
        "{p:?}"
    );
    // No NaN in training: NaN at predict time is read as 0.0 (LightGBM's rule).
    let x0 = Array2::from_shape_fn((n, 1), |(i, _)| (i % 100) as f64);
    let y0 = Array1::from_shape_fn(n, |i| if i % 100 >= 50 { 1.0 } else { 0.0 });
    let m = GbdtParams::new()
        .n_estimators(10)
        .fit(x0.view(), y0.view())
        .unwrap();
    let probe = Array2::from_shape_vec((2, 1), vec![f64::NAN, 0.0]).unwrap();
    let raw = m.predict_raw(probe.view()).unwrap();
    assert_eq!(raw[[0, 0]], raw[[1, 0]]);
}

#[test]
fn bad_input_gives_typed_errors() {
    let (x, y) = binary_with_nan();
    let p = GbdtParams::new().n_estimators(2);
    let mut y2 = y.clone();
    y2[5] = 2.0;
    // A label other than 0/1 is bad data (naming its row), not a bad parameter.
    is_bad_data(p.fit(x.view(), y2.view()), "labels", 5);
    y2[5] = f64::NAN;
    assert!(matches!(
        p.fit(x.view(), y2.view()),
        Err(Error::NonFinite { row: 5, .. })
    ));
    let ones = Array1::from_elem(2000, 1.0);
    assert!(matches!(
        p.fit(x.view(), ones.view()),
        Err(Error::TooFewSamples {
            needed: 2,
            found: 1,
            ..
        })
    ));
    let mut xi = x.clone();
    xi[[17, 3]] = f64::INFINITY;
    assert!(matches!(
        p.fit(xi.view(), y.view()),
        Err(Error::NonFinite {
            row: 17,
            column: 3,
            ..
        })
    ));
    is_invalid(
        p.clone().num_leaves(1).fit(x.view(), y.view()),
        "num_leaves",
    );
    is_invalid(
        p.clone().learning_rate(0.0).fit(x.view(), y.view()),
        "learning_rate",
    );
    is_invalid(
        p.clone().learning_rate(-1.0).fit(x.view(), y.view()),
        "learning_rate",
    );
    let narrow = x.slice(s![..100, ..10]);
    assert!(matches!(
        p.fit_with_validation(x.view(), y.view(), narrow, y.slice(s![..100])),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        p.fit(x.view(), y.slice(s![..10])),
        Err(Error::ShapeMismatch { .. })
    ));
    is_invalid(
        p.clone()
            .early_stopping_rounds(Some(5))
            .fit(x.view(), y.view()),
        "early_stopping_rounds",
    );
    let w = Array1::from_shape_fn(2000, |i| if i == 3 { -1.0 } else { 1.0 });
    is_invalid(
        p.fit_weighted(x.view(), y.view(), w.view(), None),
        "sample_weight",
    );
    let mc = p.clone().objective(Objective::Multiclass { n_classes: 3 });
    let y3 = Array1::from_shape_fn(2000, |i| (i % 4) as f64);
    is_bad_data(mc.fit(x.view(), y3.view()), "labels", 3);
    let yh = Array1::from_shape_fn(2000, |i| (i % 3) as f64 + if i == 9 { 0.5 } else { 0.0 });
    is_bad_data(mc.fit(x.view(), yh.view()), "labels", 9);
    // A categorical feature index beyond the columns (more cases in tests/categorical.rs).
    is_invalid(
        p.clone()
            .categorical_features(vec![x.ncols()])
            .fit(x.view(), y.view()),
        "categorical_features",
    );
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(matches!(
        p.fit(empty.view(), Array1::zeros(0).view()),
        Err(Error::EmptyInput { .. })
    ));
    // At predict time.
    let m = p.fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        m.predict(x.slice(s![.., ..5])),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        m.predict_proba(xi.view()),
        Err(Error::NonFinite {
            row: 17,
            column: 3,
            ..
        })
    ));
}

#[test]
fn model_files_round_trip_and_refuse_damage() {
    let (x, y) = binary_with_nan();
    let m = GbdtParams::new()
        .n_estimators(15)
        .feature_names(Some((0..42).map(|j| format!("x{j}")).collect()))
        .fit(x.view(), y.view())
        .unwrap();
    let text = m.to_json().unwrap();
    assert!(text.starts_with("{\"format\":\"cartera-gbdt\",\"version\":1"));
    let back = GbdtModel::from_json(&text).unwrap();
    assert_eq!(back, m);
    assert_eq!(
        back.predict_raw(x.view()).unwrap(),
        m.predict_raw(x.view()).unwrap()
    );
    assert_eq!(back.ensemble().feature_names[3], "x3");
    // serde goes through the same checks.
    let via_serde: GbdtModel = serde_json::from_str(&text).unwrap();
    assert_eq!(via_serde, m);

    let bad = |t: &str, what: &str| match GbdtModel::from_json(t) {
        Err(Error::ModelFormat { message }) => message,
        other => panic!("{what}: expected ModelFormat, got {other:?}"),
    };
    bad(&text[..text.len() / 2], "truncated");
    bad("", "empty");
    bad("[1, 2]", "not an object");
    let newer = text.replacen("\"version\":1", "\"version\":2", 1);
    assert!(bad(&newer, "newer").contains("newer"));
    bad(&text.replacen("cartera-gbdt", "xgboost", 1), "format");
    // A child pointing back at the root: a cycle.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut v2 = v.clone();
    v2["ensemble"]["trees"][0]["left_child"][1] = serde_json::json!(0);
    assert!(bad(&v2.to_string(), "cycle").contains("tree 0"));
    let mut v3 = v.clone();
    v3["ensemble"]["trees"][2]["split_feature"][0] = serde_json::json!(99);
    bad(&v3.to_string(), "feature out of range");
    let mut v4 = v;
    v4["best_iteration"] = serde_json::json!(1000);
    bad(&v4.to_string(), "best iteration");
    assert!(serde_json::from_str::<GbdtModel>(&v2.to_string()).is_err());
}

#[test]
fn early_stopping_keeps_the_best_round() {
    let d = data::classification(3000, 21);
    let (xt, yt) = (d.x.slice(s![..2000, ..]), d.y.slice(s![..2000]));
    let (xv, yv) = (d.x.slice(s![2000.., ..]), d.y.slice(s![2000..]));
    let m = GbdtParams::new()
        .n_estimators(500)
        .learning_rate(0.3)
        .early_stopping_rounds(Some(10))
        .eval_train(true)
        .fit_with_validation(xt, yt, xv, yv)
        .unwrap();
    let best = m.best_iteration().unwrap();
    let h = m.history();
    assert!(
        best < 500 && h.len() == best + 10,
        "best {best}, {} rounds",
        h.len()
    );
    assert_eq!(m.ensemble().n_rounds(), best);
    let best_valid = h[best - 1].valid.unwrap();
    assert!(h.iter().all(|r| r.valid.unwrap() >= best_valid));
    assert!(h[h.len() - 1].train.unwrap() < h[0].train.unwrap());
    assert_eq!(m.metric(), Some(Metric::LogLoss));
    // AUC: higher is better.
    let m = GbdtParams::new()
        .n_estimators(500)
        .learning_rate(0.3)
        .metric(Some(Metric::Auc))
        .early_stopping_rounds(Some(10))
        .fit_with_validation(xt, yt, xv, yv)
        .unwrap();
    let best = m.best_iteration().unwrap();
    let top = m.history()[best - 1].valid.unwrap();
    assert!(m.history().iter().all(|r| r.valid.unwrap() <= top));
    // A validation set of one class has no AUC: an error, not a model of one round (LightGBM
    // reports AUC 1.0 every round and early stopping keeps the first).
    let one_class = ndarray::Array1::from_elem(yv.len(), 1.0);
    let e = GbdtParams::new()
        .metric(Some(Metric::Auc))
        .early_stopping_rounds(Some(10))
        .fit_with_validation(xt, yt, xv, one_class.view())
        .unwrap_err();
    assert!(e.to_string().contains("validation labels"), "{e}");
    // Log-loss is defined there.
    assert!(
        GbdtParams::new()
            .n_estimators(5)
            .early_stopping_rounds(Some(10))
            .fit_with_validation(xt, yt, xv, one_class.view())
            .is_ok()
    );
}

#[test]
fn bagging_feature_fraction_and_weights() {
    let (x, y) = binary_with_nan();
    let p = GbdtParams::new()
        .n_estimators(20)
        .bagging_fraction(0.5)
        .bagging_freq(1)
        .feature_fraction(0.5)
        .seed(3);
    let fit_in = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.fit(x.view(), y.view()).unwrap())
    };
    let a = fit_in(1);
    let b = fit_in(3);
    assert_eq!(
        a.to_json().unwrap(),
        b.to_json().unwrap(),
        "1 and 3 threads"
    );
    let other_seed = p.clone().seed(4).fit(x.view(), y.view()).unwrap();
    assert_ne!(a, other_seed);
    let t = &a.ensemble().trees[0];
    assert!(
        t.internal_count[0] < 1200.0 && t.internal_count[0] > 800.0,
        "half the rows bagged"
    );
    // Positive rows weighted up raise the mean probability.
    let base = GbdtParams::new()
        .n_estimators(20)
        .fit(x.view(), y.view())
        .unwrap();
    let up = GbdtParams::new()
        .n_estimators(20)
        .scale_pos_weight(4.0)
        .fit(x.view(), y.view())
        .unwrap();
    let mean = |m: &GbdtModel| m.predict_proba(x.view()).unwrap().column(1).mean().unwrap();
    assert!(mean(&up) > mean(&base) + 0.02);
    let w = Array1::from_shape_fn(2000, |i| if y[i] > 0.5 { 4.0 } else { 1.0 });
    let weighted = GbdtParams::new()
        .n_estimators(20)
        .fit_weighted(x.view(), y.view(), w.view(), None)
        .unwrap();
    assert!(mean(&weighted) > mean(&base) + 0.02);
}

#[test]
fn multiclass_trees_grown_side_by_side_do_not_depend_on_threads() {
    // A round's trees grow up to one per thread: five classes go 1+1+1+1+1 on one thread,
    // 2+2+1 on two and 3+2 on three. With bagging, feature sampling and a validation set in
    // play, every thread count must give the same model.
    let g = data::telco(2500, 7, true);
    let y = Array1::from_iter(
        g.y.iter()
            .enumerate()
            .map(|(i, &c)| if i % 7 == 0 { 4.0 } else { c }),
    );
    let (xt, yt) = (g.x.slice(s![..2000, ..]), y.slice(s![..2000]));
    let (xv, yv) = (g.x.slice(s![2000.., ..]), y.slice(s![2000..]));
    let p = GbdtParams::new()
        .objective(Objective::Multiclass { n_classes: 5 })
        .n_estimators(8)
        .num_leaves(15)
        .bagging_fraction(0.7)
        .bagging_freq(1)
        .feature_fraction(0.6)
        .seed(2);
    let fit_in = |threads: usize, p: &GbdtParams| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.fit_with_validation(xt, yt, xv, yv).unwrap())
    };
    let one = fit_in(1, &p);
    assert_eq!(one.ensemble().trees.len(), 40);
    for t in [2, 3] {
        assert_eq!(
            one.to_json().unwrap(),
            fit_in(t, &p).to_json().unwrap(),
            "1 and {t} threads"
        );
    }
    // Without bagging the training scores come from the learners' partitions.
    let p = p.bagging_freq(0);
    let one = fit_in(1, &p);
    assert_eq!(
        one.to_json().unwrap(),
        fit_in(2, &p).to_json().unwrap(),
        "1 and 2 threads, no bagging"
    );
}

#[test]
fn depth_and_leaf_limits_hold() {
    let (x, y) = binary_with_nan();
    let m = GbdtParams::new()
        .n_estimators(5)
        .num_leaves(64)
        .max_depth(3)
        .min_data_in_leaf(5)
        .fit(x.view(), y.view())
        .unwrap();
    for t in &m.ensemble().trees {
        assert!(t.num_leaves() <= 8);
    }
    let m = GbdtParams::new()
        .n_estimators(5)
        .num_leaves(4)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(m.ensemble().trees.iter().all(|t| t.num_leaves() == 4));
    // Huge min_data_in_leaf: no split is possible, so training stops with no trees.
    let m = GbdtParams::new()
        .min_data_in_leaf(5000)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(m.ensemble().trees.len(), 0);
    let prior = y.mean().unwrap();
    let p = m.predict_proba(x.slice(s![..1, ..])).unwrap();
    assert!((p[[0, 1]] - prior).abs() < 1e-9, "boost_from_average prior");
}

struct Kit;
impl Subject for Kit {
    type Model = GbdtModel;
    fn name(&self) -> &str {
        "GBDT"
    }
    fn fit(&self, x: ArrayView2<'_, f64>) -> cartera_core::Result<GbdtModel> {
        let y = if x.ncols() > 0 {
            let m =
                x.column(0).iter().filter(|v| !v.is_nan()).sum::<f64>() / x.nrows().max(1) as f64;
            x.column(0).mapv(|v| if v > m { 1.0 } else { 0.0 })
        } else {
            Array1::zeros(x.nrows())
        };
        GbdtParams::new()
            .n_estimators(10)
            .min_data_in_leaf(5)
            .fit(x, y.view())
    }
    fn output(&self, m: &GbdtModel, x: ArrayView2<'_, f64>) -> cartera_core::Result<Array2<f64>> {
        m.predict_proba(x)
    }
    fn accepts_nan(&self) -> bool {
        true
    }
    fn thread_tolerance(&self) -> f64 {
        0.0
    }
}

#[test]
fn conforms() {
    assert_conforms(&Kit);
    let _ = Axis(0);
}

/// A one-hot table: a numeric column, 12 one-hot columns of one category, 6 of another, and a
/// mostly-zero count with missing values; the label depends on all of them.
fn one_hot_table(n: usize) -> (Array2<f64>, Array1<f64>) {
    let d = 1 + 12 + 6 + 1;
    let mut x = Array2::zeros((n, d));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
        let num = (h % 1000) as f64 / 100.0;
        let a = (h / 1000 % 12) as usize;
        let b = (h / 12_000 % 6) as usize;
        let count = if h.is_multiple_of(9) {
            (h / 7 % 5) as f64
        } else {
            0.0
        };
        x[[i, 0]] = num;
        x[[i, 1 + a]] = 1.0;
        x[[i, 13 + b]] = 1.0;
        x[[i, 19]] = if h.is_multiple_of(31) {
            f64::NAN
        } else {
            count
        };
        let z = num - 5.0 + if a < 4 { 2.0 } else { -1.0 } + b as f64 * 0.5 - count;
        y[i] = f64::from(z + ((h >> 30) % 7) as f64 - 3.0 > 0.0);
    }
    (x, y)
}

#[test]
fn bundling_one_hot_columns_does_not_change_the_model() {
    let (x, y) = one_hot_table(4000);
    let params = GbdtParams::new().n_estimators(40).num_leaves(15);
    let on = params.clone().fit(x.view(), y.view()).unwrap();
    let off = params
        .clone()
        .enable_bundle(false)
        .fit(x.view(), y.view())
        .unwrap();
    // Same splits everywhere (bundling is lossless), outputs equal up to summation order.
    for (a, b) in on.ensemble().trees.iter().zip(&off.ensemble().trees) {
        assert_eq!(a.split_feature, b.split_feature);
        assert_eq!(a.threshold, b.threshold);
        assert_eq!(a.leaf_count, b.leaf_count);
    }
    let (p_on, p_off) = (
        on.predict_raw(x.view()).unwrap(),
        off.predict_raw(x.view()).unwrap(),
    );
    let gap = (&p_on - &p_off).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(gap < 1e-9, "largest raw-score gap {gap}");
    // The category columns are used, so the test exercises bundled features.
    let used: std::collections::BTreeSet<u32> = on
        .ensemble()
        .trees
        .iter()
        .flat_map(|t| t.split_feature.iter().copied())
        .collect();
    assert!(used.iter().any(|&f| (1..13).contains(&f)), "{used:?}");
    assert!(used.contains(&19), "{used:?}");
    // Bagging and feature sampling go through the same path.
    let bag = params
        .bagging_fraction(0.7)
        .bagging_freq(1)
        .feature_fraction(0.8);
    let on = bag.clone().fit(x.view(), y.view()).unwrap();
    let off = bag.enable_bundle(false).fit(x.view(), y.view()).unwrap();
    for (a, b) in on.ensemble().trees.iter().zip(&off.ensemble().trees) {
        assert_eq!(a.split_feature, b.split_feature);
    }
}

/// 40 rows, one per `(a, b, c)` with `a, b` in {0, 1} and `c` in 0..10, and
/// `y = 2a + (3 if a == b else -3) + [c >= 5]`. At the root `b` splits the rows into two halves
/// of the same mean: its gain is 0, below `min_gain_to_split`.
fn xor_table() -> (Array2<f64>, Array1<f64>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for a in 0..2 {
        for b in 0..2 {
            for c in 0..10 {
                x.extend([a, b, c].map(f64::from));
                let xor = if a == b { 3.0 } else { -3.0 };
                y.push(2.0 * f64::from(a) + xor + f64::from(u8::from(c >= 5)));
            }
        }
    }
    (Array2::from_shape_vec((40, 3), x).unwrap(), Array1::from(y))
}

#[test]
fn a_feature_without_a_split_at_the_parent_is_not_searched_in_its_children() {
    // LightGBM searches a leaf's children only on the features that had a valid split at the
    // leaf (`FeatureHistogram::is_splittable`). `b` has none at the root (gain 0 < 1), so
    // neither child searches it, though it would gain 180 in each: both split on `c <= 4.5`
    // (gain 5). Nor is it searched further down: with room for 8 leaves, the grandchildren
    // (where `b` would gain 90, and `c` nothing) are not split. LightGBM 4.7 on this table
    // (regression, 1 round, learning_rate 1, num_leaves 4 or 8, min_data_in_leaf 2,
    // min_gain_to_split 1; `a` and `b` numerical, or both categorical): `a` at the root,
    // `c <= 4.5` in both children, predictions 0, 1, 2, 3 for (a, c >= 5) = (0, no), (0, yes),
    // (1, no), (1, yes).
    let (x, y) = xor_table();
    for (cats, leaves) in [(vec![], 4), (vec![0, 1], 4), (vec![], 8), (vec![0, 1], 8)] {
        let m = GbdtParams::new()
            .objective(Objective::Regression)
            .n_estimators(1)
            .learning_rate(1.0)
            .num_leaves(leaves)
            .min_data_in_leaf(2)
            .min_gain_to_split(1.0)
            .categorical_features(cats.clone())
            .fit(x.view(), y.view())
            .unwrap();
        let t = &m.ensemble().trees[0];
        assert_eq!(
            t.split_feature,
            [0, 2, 2],
            "categorical {cats:?}, {leaves} leaves"
        );
        assert_eq!(t.threshold[1..], [4.5, 4.5]);
        let p = m.predict(x.view()).unwrap();
        for (i, row) in x.rows().into_iter().enumerate() {
            let want = 2.0 * row[0] + f64::from(u8::from(row[2] >= 5.0));
            assert!((p[i] - want).abs() < 1e-9, "row {i}: {} vs {want}", p[i]);
        }
    }
}

#[test]
fn large_leaves_do_not_depend_on_threads() {
    // 40,000 rows: the root's sums come from several blocks, and the gathers and partitions
    // of the large leaves run in parallel blocks; the model must not see the thread count.
    let big = data::classification(40_000, 3);
    let p = GbdtParams::new().n_estimators(3).num_leaves(15);
    let fit_in = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                p.fit(big.x.view(), big.y.view())
                    .unwrap()
                    .to_json()
                    .unwrap()
            })
    };
    let one = fit_in(1);
    for t in [2, 3] {
        assert_eq!(one, fit_in(t), "1 and {t} threads");
    }
}

#[test]
fn quantized_training_does_not_depend_on_threads() {
    // Binary with bagging and feature sampling, and multiclass (trees side by side): the
    // rounding offsets depend on the seed, the tree and the row only.
    let (x, y) = binary_with_nan();
    let g = data::telco(2500, 7, true);
    let binary = GbdtParams::new()
        .n_estimators(10)
        .use_quantized_grad(true)
        .bagging_fraction(0.7)
        .bagging_freq(1)
        .feature_fraction(0.8)
        .seed(5);
    let multi = GbdtParams::new()
        .objective(Objective::Multiclass { n_classes: 4 })
        .n_estimators(5)
        .use_quantized_grad(true)
        .quant_train_renew_leaf(true);
    let fit_in = |threads: usize, p: &GbdtParams, x: ArrayView2<f64>, y: &Array1<f64>| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| p.fit(x, y.view()).unwrap().to_json().unwrap())
    };
    // More rows than one block of the quantization pass (16,384), so the offsets are read
    // across blocks and wrap around the table.
    let big = data::classification(40_000, 3);
    let big_params = binary.clone().n_estimators(3).quant_train_renew_leaf(true);
    for (p, x, y) in [
        (&binary, x.view(), &y),
        (&multi, g.x.view(), &g.y),
        (&big_params, big.x.view(), &big.y),
    ] {
        let one = fit_in(1, p, x, y);
        for t in [2, 3] {
            assert_eq!(one, fit_in(t, p, x, y), "1 and {t} threads");
        }
    }
    // The seed moves the rounding, so the model.
    let other = binary.clone().seed(6).bagging_freq(0).feature_fraction(1.0);
    let same = binary.clone().bagging_freq(0).feature_fraction(1.0);
    assert_ne!(
        fit_in(2, &other, x.view(), &y),
        fit_in(2, &same, x.view(), &y)
    );
}

#[test]
fn renewed_leaves_hold_their_rows_true_newton_step() {
    // Two trees, lambda_l2 = 1. The second tree's rows have scores that differ (the first
    // tree's leaves), so their hessians differ too and are quantized to several levels. Its
    // renewed leaf values must be -lr Σg / (Σh + lambda_l2) over the rows predict_leaf puts in
    // each leaf, with LightGBM's binary gradient and hessian (rounded to f32).
    let d = data::classification(3000, 2);
    let fit = |renew: bool| {
        GbdtParams::new()
            .n_estimators(2)
            .lambda_l2(1.0)
            .use_quantized_grad(true)
            .quant_train_renew_leaf(renew)
            .fit(d.x.view(), d.y.view())
            .unwrap()
    };
    let (renewed, plain) = (fit(true), fit(false));
    let e = renewed.ensemble();
    let (t0, t1) = (&e.trees[0], &e.trees[1]);
    let first = &plain.ensemble().trees[0];
    assert_eq!(
        t0.split_feature, first.split_feature,
        "renewal keeps the splits"
    );
    assert_eq!(t0.threshold, first.threshold);
    assert_ne!(t0.leaf_value, first.leaf_value, "only the leaf values move");
    let leaf = renewed.predict_leaf(d.x.view()).unwrap();
    let mut sums = vec![[0.0f64; 2]; t1.num_leaves()];
    let mut hessians = Vec::new();
    for (i, &y) in d.y.iter().enumerate() {
        let score = e.init_score[0] + t0.leaf_value[leaf[[i, 0]] as usize];
        let label = if y > 0.5 { 1.0 } else { -1.0 };
        let response = -label / (1.0 + (label * score).exp());
        let (g, h) = (
            response as f32 as f64,
            (response.abs() * (1.0 - response.abs())) as f32 as f64,
        );
        let s = &mut sums[leaf[[i, 1]] as usize];
        s[0] += g;
        s[1] += h;
        hessians.push(h);
    }
    hessians.sort_by(f64::total_cmp);
    hessians.dedup();
    assert!(hessians.len() > 5, "the second tree's hessians vary");
    for (l, (s, &v)) in sums.iter().zip(&t1.leaf_value).enumerate() {
        let want = -0.1 * s[0] / (s[1] + 1.0);
        assert!(
            (v - want).abs() <= 1e-9 * want.abs().max(1e-3),
            "leaf {l}: {v} vs {want}"
        );
    }
}

#[test]
fn quantized_parameters_are_checked() {
    let (x, y) = binary_with_nan();
    for bins in [0, 1, 128] {
        let p = GbdtParams::new()
            .use_quantized_grad(true)
            .num_grad_quant_bins(bins);
        is_invalid(p.fit(x.view(), y.view()), "num_grad_quant_bins");
    }
    // Rounding to nearest is deterministic too, and a different model from stochastic rounding.
    let fit = |stochastic: bool| {
        GbdtParams::new()
            .n_estimators(5)
            .use_quantized_grad(true)
            .stochastic_rounding(stochastic)
            .fit(x.view(), y.view())
            .unwrap()
            .to_json()
            .unwrap()
    };
    assert_eq!(fit(false), fit(false));
    assert_ne!(fit(false), fit(true));
}
