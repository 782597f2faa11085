//! Columns far from zero (incomes in the tens of thousands, a year, a shifted score): the fit
//! must reach the same optimum as on the centred columns, since the intercept absorbs a shift.

use cartera_core::datasets::Classification;
use cartera_logistic::LogisticRegressionParams;
use ndarray::{Array2, Axis};

fn data() -> (Array2<f64>, ndarray::Array1<usize>) {
    Classification::new(2000)
        .n_features(5)
        .n_informative(3)
        .n_redundant(1)
        .seed(4)
        .generate()
        .expect("valid parameters")
}

#[test]
fn a_shift_of_the_columns_moves_only_the_intercept() {
    let (x, y) = data();
    let base = LogisticRegressionParams::new()
        .fit(x.view(), y.view())
        .unwrap();
    for shift in [1e3, 1e4] {
        let xs = x.mapv(|v| v + shift);
        let m = LogisticRegressionParams::new()
            .max_iter(1000)
            .fit(xs.view(), y.view())
            .unwrap();
        assert!(m.converged(), "{shift}: {:?}", m.stop_reason());
        let rel = (m.objective() - base.objective()).abs() / base.objective();
        assert!(
            rel < 1e-6,
            "{shift}: objective {} vs {}",
            m.objective(),
            base.objective()
        );
        for (a, b) in m.coefficients().iter().zip(base.coefficients()) {
            assert!((a - b).abs() < 1e-3, "{shift}: coefficient {a} vs {b}");
        }
        // The same probabilities.
        let p = m.predict_proba(xs.view()).unwrap();
        let q = base.predict_proba(x.view()).unwrap();
        let worst = (&p - &q).mapv(f64::abs).fold(0.0f64, |a, &v| a.max(v));
        assert!(worst < 1e-3, "{shift}: probabilities differ by {worst}");
    }
    // Different scales per column as well (a ratio, an income, a count).
    let scales = [1.0, 5e4, 30.0, 1e3, 2.0];
    let mut xw = x.clone();
    for (mut col, s) in xw.axis_iter_mut(Axis(1)).zip(scales) {
        col.mapv_inplace(|v| v * s + s * 10.0);
    }
    let m = LogisticRegressionParams::new()
        .penalty(cartera_logistic::Penalty::None)
        .max_iter(2000)
        .fit(xw.view(), y.view())
        .unwrap();
    let u = LogisticRegressionParams::new()
        .penalty(cartera_logistic::Penalty::None)
        .fit(x.view(), y.view())
        .unwrap();
    let rel = (m.objective() - u.objective()).abs() / u.objective();
    assert!(
        rel < 1e-6,
        "scaled: objective {} vs {}",
        m.objective(),
        u.objective()
    );
}

/// The same in f32, where the fit centres a copy of the rows: before, `x·w` in f32 on columns
/// near 1e3 lost the digits the optimiser needs (coefficients off by up to 1.6).
#[test]
fn a_shift_in_f32_moves_only_the_intercept() {
    let (x, y) = data();
    let x32 = x.mapv(|v| v as f32);
    let base = LogisticRegressionParams::new()
        .fit(x32.view(), y.view())
        .unwrap();
    for shift in [1e3f32, 1e4] {
        let xs = x32.mapv(|v| v + shift);
        let m = LogisticRegressionParams::new()
            .fit(xs.view(), y.view())
            .unwrap();
        assert!(m.converged(), "{shift}: {:?}", m.stop_reason());
        for (a, b) in m.coefficients().iter().zip(base.coefficients()) {
            assert!((a - b).abs() < 2e-3, "{shift}: coefficient {a} vs {b}");
        }
        let p = m.predict_proba(xs.view()).unwrap();
        let q = base.predict_proba(x32.view()).unwrap();
        let worst = (&p - &q).mapv(f32::abs).fold(0.0f32, |a, &v| a.max(v));
        assert!(worst < 2e-3, "{shift}: probabilities differ by {worst}");
    }
}

/// Multinomial and weighted: a shift still moves only the intercepts.
#[test]
fn a_shift_with_three_classes_and_weights() {
    let (x, y) = Classification::new(1500)
        .n_features(4)
        .n_informative(3)
        .n_redundant(0)
        .n_classes(3)
        .seed(9)
        .generate()
        .expect("valid parameters");
    let w = ndarray::Array1::from_shape_fn(x.nrows(), |i| 0.5 + (i % 4) as f64);
    let base = LogisticRegressionParams::new()
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    let xs = x.mapv(|v| v + 2e3);
    let m = LogisticRegressionParams::new()
        .max_iter(1000)
        .fit_weighted(xs.view(), y.view(), w.view())
        .unwrap();
    assert!(m.converged(), "{:?}", m.stop_reason());
    for (a, b) in m.coefficients().iter().zip(base.coefficients()) {
        assert!((a - b).abs() < 1e-3, "coefficient {a} vs {b}");
    }
    let rel = (m.objective() - base.objective()).abs() / base.objective();
    assert!(
        rel < 1e-6,
        "objective {} vs {}",
        m.objective(),
        base.objective()
    );
}
