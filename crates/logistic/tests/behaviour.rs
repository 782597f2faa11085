#![allow(clippy::unwrap_used)]
//! Behaviour seen from outside: conformance kit, bad input, separation, weights, f32, serde.

use cartera_core::Error;
use cartera_core::datasets::Classification;
use cartera_core::testkit::{Subject, assert_conforms};
use cartera_logistic::{
    ClassWeight, LogisticRegression, LogisticRegressionParams, Penalty, StopReason,
};
use ndarray::{Array1, Array2, ArrayView2, array};

/// Labels from the data: class 1 when the first column is above its median.
fn median_labels(x: ArrayView2<'_, f64>) -> Array1<usize> {
    let mut col: Vec<f64> = x.column(0).to_vec();
    col.sort_by(f64::total_cmp);
    let med = col[col.len() / 2];
    x.column(0).mapv(|v| usize::from(v >= med))
}

struct Binary;
impl Subject for Binary {
    type Model = LogisticRegression<f64>;
    fn name(&self) -> &str {
        "LogisticRegression (binary)"
    }
    fn fit(&self, x: ArrayView2<'_, f64>) -> cartera_core::Result<Self::Model> {
        // Validate X before deriving labels from it (the kit feeds NaN and empty input).
        cartera_core::validate::check_non_empty(x, "X")?;
        cartera_core::validate::check_finite(x, "X")?;
        LogisticRegressionParams::new().fit(x, median_labels(x).view())
    }
    fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> cartera_core::Result<Array2<f64>> {
        m.predict_proba(x)
    }
}

struct Multinomial;
impl Subject for Multinomial {
    type Model = LogisticRegression<f64>;
    fn name(&self) -> &str {
        "LogisticRegression (multinomial)"
    }
    fn fit(&self, x: ArrayView2<'_, f64>) -> cartera_core::Result<Self::Model> {
        cartera_core::validate::check_non_empty(x, "X")?;
        cartera_core::validate::check_finite(x, "X")?;
        let n = x.nrows();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| x[[a, 0]].total_cmp(&x[[b, 0]]));
        let mut y = Array1::zeros(n);
        for (rank, &i) in order.iter().enumerate() {
            y[i] = rank * 3 / n.max(1);
        }
        LogisticRegressionParams::new()
            .class_weight(ClassWeight::Balanced)
            .fit(x, y.view())
    }
    fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> cartera_core::Result<Array2<f64>> {
        m.predict_proba(x)
    }
}

#[test]
fn conformance_kit() {
    assert_conforms(&Binary);
    assert_conforms(&Multinomial);
}

fn data(n: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    Classification::new(n)
        .n_features(6)
        .n_informative(4)
        .n_redundant(1)
        .seed(seed)
        .generate()
        .unwrap()
}

#[test]
fn bad_input_gives_typed_errors() {
    let (x, y) = data(200, 1);
    let p = LogisticRegressionParams::new();
    // One class.
    let e = p
        .fit(x.view(), Array1::<usize>::zeros(200).view())
        .unwrap_err();
    assert!(matches!(e, Error::TooFewSamples { .. }), "{e}");
    // A class index that never occurs (0, 1, 3 present; 2 missing).
    let mut y3 = y.clone();
    y3[0] = 3;
    let e = p.fit(x.view(), y3.view()).unwrap_err();
    assert!(
        matches!(e, Error::TooFewSamples { .. }) && e.to_string().contains("class 2"),
        "{e}"
    );
    // NaN in X.
    let mut xn = x.clone();
    xn[[17, 4]] = f64::NAN;
    let e = p.fit(xn.view(), y.view()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                row: 17,
                column: 4,
                ..
            }
        ),
        "{e}"
    );
    // C <= 0.
    for c in [0.0, -1.0] {
        let e = p.clone().c(c).fit(x.view(), y.view()).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    }
    // Rows of X vs length of y.
    let e = p
        .fit(x.view(), y.slice(ndarray::s![..199]).view())
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    // Sample weights: wrong length, negative, all zero.
    let e = p
        .fit_weighted(x.view(), y.view(), Array1::ones(3).view())
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    let mut w = Array1::ones(200);
    w[5] = -1.0;
    assert!(p.fit_weighted(x.view(), y.view(), w.view()).is_err());
    assert!(
        p.fit_weighted(x.view(), y.view(), Array1::zeros(200).view())
            .is_err()
    );
    // Explicit class weights: one per class.
    let e = p
        .clone()
        .class_weight(ClassWeight::Explicit(vec![1.0, 2.0, 3.0]))
        .fit(x.view(), y.view())
        .unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
    // Wrong width at predict; threshold on a multinomial model.
    let m = p.fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        m.predict(x.slice(ndarray::s![.., ..5]).view()).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let ym = x.column(0).mapv(|v| {
        if v < -0.5 {
            0
        } else if v < 0.5 {
            1
        } else {
            2
        }
    });
    let mm = p.fit(x.view(), ym.view()).unwrap();
    assert!(mm.predict_with_threshold(x.view(), 0.5).is_err());
}

#[test]
fn separable_data_without_penalty_stops_with_a_report() {
    // Two clusters split by x0 = 0: perfectly separable.
    let x = Array2::from_shape_fn((100, 2), |(i, j)| {
        let side = if i < 50 { -1.0 } else { 1.0 };
        if j == 0 {
            side * (1.0 + (i % 7) as f64 * 0.1)
        } else {
            ((i * 13) % 11) as f64 / 11.0
        }
    });
    let y: Array1<usize> = (0..100).map(|i| usize::from(i >= 50)).collect();
    let m = LogisticRegressionParams::new()
        .penalty(Penalty::None)
        .max_iter(1_000)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(m.stop_reason(), StopReason::Separable);
    assert!(!m.converged());
    assert!(m.stop_reason().describe().contains("separable"));
    assert!(m.coefficients().iter().all(|v| v.is_finite()));
    assert!(m.intercepts().iter().all(|v| v.is_finite()));
    assert_eq!(m.predict(x.view()).unwrap(), y);
    // The information matrix is (nearly) singular there or the errors are enormous; either way
    // no NaN leaks out.
    if let Ok(t) = m.coefficient_table(x.view(), y.view(), None) {
        assert!(t.rows.iter().all(|r| !r.std_err.is_nan()));
    }
    // With an L2 penalty the optimum exists and is found.
    let m = LogisticRegressionParams::new()
        .fit(x.view(), y.view())
        .unwrap();
    assert!(m.converged(), "{:?}", m.stop_reason());
}

#[test]
fn max_iter_reached_is_not_converged() {
    let (x, y) = data(500, 2);
    let m = LogisticRegressionParams::new()
        .max_iter(2)
        .tol(0.0)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(m.n_iter(), 2);
    assert_eq!(m.stop_reason(), StopReason::MaxIter);
    assert!(!m.converged());
}

#[test]
fn integer_weights_equal_repeated_rows_and_class_weights_equal_sample_weights() {
    let (x, y) = data(300, 3);
    let w: Array1<f64> = (0..300).map(|i| (i % 3) as f64).collect();
    let params = LogisticRegressionParams::new().tol(1e-10).max_iter(1000);
    let weighted = params.fit_weighted(x.view(), y.view(), w.view()).unwrap();
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for i in 0..300 {
        for _ in 0..(i % 3) {
            rows.extend(x.row(i).iter().copied());
            labels.push(y[i]);
        }
    }
    let xr = Array2::from_shape_vec((labels.len(), 6), rows).unwrap();
    // Repeating rows multiplies S, so C must scale with it for the same optimum: the
    // objective is (1/S) Σ + ‖w‖²/(2CS), i.e. C is per total weight, not per row.
    let repeated = params.fit(xr.view(), Array1::from(labels).view()).unwrap();
    for (a, b) in weighted.coefficients().iter().zip(repeated.coefficients()) {
        assert!((a - b).abs() < 1e-7, "{a} vs {b}");
    }
    // Explicit class weights = sample weights of the class.
    let cw = params
        .clone()
        .class_weight(ClassWeight::Explicit(vec![2.0, 0.5]))
        .fit(x.view(), y.view())
        .unwrap();
    let sw = y.mapv(|c| if c == 0 { 2.0 } else { 0.5 });
    let sm = params.fit_weighted(x.view(), y.view(), sw.view()).unwrap();
    for (a, b) in cw.coefficients().iter().zip(sm.coefficients()) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
}

#[test]
fn f32_fits_agree_with_f64() {
    let (x, y) = data(5_000, 4);
    let m64 = LogisticRegressionParams::new()
        .tol(1e-8)
        .fit(x.view(), y.view())
        .unwrap();
    let x32 = x.mapv(|v| v as f32);
    let m32 = LogisticRegressionParams::new()
        .tol(1e-5)
        .fit(x32.view(), y.view())
        .unwrap();
    for (a, b) in m32.coefficients().iter().zip(m64.coefficients()) {
        assert!(
            (f64::from(*a) - b).abs() < 1e-3 * b.abs().max(0.1),
            "{a} vs {b}"
        );
    }
    let p32 = m32.predict_proba(x32.view()).unwrap();
    let p64 = m64.predict_proba(x.view()).unwrap();
    let worst = p32
        .iter()
        .zip(&p64)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-3, "{worst}");
}

#[test]
fn serde_round_trip_and_multinomial_shapes() {
    let (x, _) = data(600, 5);
    let y = x.column(1).mapv(|v| {
        if v < -0.4 {
            0
        } else if v < 0.4 {
            1
        } else {
            2
        }
    });
    let m = LogisticRegressionParams::new()
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(m.n_classes(), 3);
    assert_eq!(m.coefficients().dim(), (3, 6));
    assert_eq!(m.intercepts().len(), 3);
    assert_eq!(m.decision_function(x.view()).unwrap().dim(), (600, 3));
    let proba = m.predict_proba(x.view()).unwrap();
    for r in proba.rows() {
        assert!((r.sum() - 1.0).abs() < 1e-12);
    }
    // The symmetric parametrisation keeps the class rows centred.
    for j in 0..6 {
        assert!(m.coefficients().column(j).sum().abs() < 1e-6);
    }
    let json = serde_json::to_string(&m).unwrap();
    let back: LogisticRegression<f64> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    assert_eq!(
        back.predict(x.view()).unwrap(),
        m.predict(x.view()).unwrap()
    );
    // Multinomial coefficient table: one block per class, finite positive errors.
    let t = m.coefficient_table(x.view(), y.view(), None).unwrap();
    assert_eq!(t.rows.len(), 3 * 7);
    assert_eq!(t.rows[7].class, Some(1));
    assert_eq!(t.rows[7].term, "intercept");
    assert!(
        t.rows
            .iter()
            .all(|r| r.std_err.is_finite() && r.std_err > 0.0)
    );
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains("\"p_value\""));
}

#[test]
fn fit_intercept_false_keeps_zero_intercepts() {
    let (x, y) = data(400, 6);
    let m = LogisticRegressionParams::new()
        .fit_intercept(false)
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(m.intercepts().to_vec(), vec![0.0]);
    let t = m.coefficient_table(x.view(), y.view(), None).unwrap();
    assert_eq!(t.rows.len(), 6);
    assert_eq!(t.rows[0].term, "x0");
}

#[test]
fn singular_information_is_a_typed_error() {
    let (x, y) = data(300, 7);
    // Duplicate a column: the unpenalised information is singular.
    let mut xd = Array2::zeros((300, 7));
    xd.slice_mut(ndarray::s![.., ..6]).assign(&x);
    xd.column_mut(6).assign(&x.column(0));
    let m = LogisticRegressionParams::new()
        .penalty(Penalty::None)
        .max_iter(500)
        .fit(xd.view(), y.view())
        .unwrap();
    let e = m.coefficient_table(xd.view(), y.view(), None).unwrap_err();
    assert!(e.to_string().contains("singular"), "{e}");
    // The penalised fit has a regular information matrix.
    let m = LogisticRegressionParams::new()
        .fit(xd.view(), y.view())
        .unwrap();
    assert!(m.coefficient_table(xd.view(), y.view(), None).is_ok());
}

#[test]
fn tiny_example_is_deterministic() {
    let x = array![
        [0.0, 1.0],
        [1.0, 0.0],
        [2.0, 1.0],
        [3.0, 0.5],
        [0.5, 0.2],
        [2.5, 0.1]
    ];
    let y = array![0usize, 0, 1, 1, 1, 0];
    let a = LogisticRegressionParams::new()
        .fit(x.view(), y.view())
        .unwrap();
    let b = LogisticRegressionParams::new()
        .fit(x.view(), y.view())
        .unwrap();
    assert_eq!(a, b);
}
