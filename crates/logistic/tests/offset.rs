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
