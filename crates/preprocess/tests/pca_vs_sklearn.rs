#![allow(clippy::unwrap_used)]
//! cartera's PCA against scikit-learn 1.9.1's `PCA` on the fixtures written by
//! `scripts/fixtures_pca.py` (a random correlated matrix and the first 500 standardized rows of
//! two real customer tables). Same definitions and the same sign convention, so values are
//! compared directly: explained variances within 1e-10 relative, components, means,
//! projections and reconstructions within 1e-8 (relative to max(1, |value|)).

use cartera_preprocess::pca::{FittedPca, Pca, PcaSolver};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, s};
use serde_json::Value;

const VARIANCE_RTOL: f64 = 1e-10;
const VALUE_TOL: f64 = 1e-8;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/pca_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn vector(v: &Value) -> Array1<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Array1<f64>> = v.as_array().unwrap().iter().map(vector).collect();
    let ncols = rows.first().map_or(0, |r| r.len());
    let flat: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Array2::from_shape_vec((rows.len(), ncols), flat).unwrap()
}

/// Largest `|a - b| / max(1, |b|)`, after checking the shapes agree.
fn worst_diff<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64>,
) -> f64 {
    a.into_iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

fn worst_relative(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs())
        .fold(0.0, f64::max)
}

fn assert_close_2d(what: &str, a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    assert_eq!(a.dim(), b.dim(), "{what}: shapes differ");
    let d = worst_diff(a.iter(), b.iter());
    assert!(d <= VALUE_TOL, "{what}: worst difference {d:e}");
    d
}

fn params(case: &Value, solver: PcaSolver) -> Pca {
    let pca = Pca::new()
        .whiten(case["whiten"].as_bool().unwrap())
        .solver(solver);
    let n = &case["n_components"];
    if n.is_u64() {
        pca.n_components(n.as_u64().unwrap() as usize)
    } else {
        pca.variance_fraction(n.as_f64().unwrap())
    }
}

/// Compares every case of a fixture; returns the worst (variance, value) differences seen.
fn check_fixture(name: &str) -> (f64, f64) {
    let fx = load(name);
    let x = matrix(&fx["x"]);
    assert_eq!(x.dim().0, fx["n_samples"].as_u64().unwrap() as usize);
    let head = fx["head_rows"].as_u64().unwrap() as usize;
    let (mut worst_var, mut worst_val) = (0.0f64, 0.0f64);
    for case in fx["cases"].as_array().unwrap() {
        let label = format!("{name}/{}", case["name"].as_str().unwrap());
        let model: FittedPca<f64> = params(case, PcaSolver::Auto).fit(x.view()).unwrap();
        assert_eq!(model.solver(), PcaSolver::CovarianceEigh);
        assert_eq!(
            model.n_components(),
            case["n_components_"].as_u64().unwrap() as usize,
            "{label}: number of components"
        );
        for (what, ours, theirs) in [
            (
                "explained_variance",
                model.explained_variance(),
                vector(&case["explained_variance"]),
            ),
            (
                "explained_variance_ratio",
                model.explained_variance_ratio(),
                vector(&case["explained_variance_ratio"]),
            ),
            (
                "singular_values",
                model.singular_values(),
                vector(&case["singular_values"]),
            ),
        ] {
            let d = worst_relative(ours, theirs.view());
            assert!(
                d <= VARIANCE_RTOL,
                "{label}: {what}: relative difference {d:e}"
            );
            worst_var = worst_var.max(d);
        }
        let noise = case["noise_variance"].as_f64().unwrap();
        let d = (model.noise_variance() - noise).abs() / noise.abs().max(f64::MIN_POSITIVE);
        assert!(
            d <= VARIANCE_RTOL,
            "{label}: noise_variance: relative difference {d:e}"
        );
        worst_var = worst_var.max(d);

        let mean = vector(&case["mean"]);
        let d = worst_diff(model.mean().iter(), mean.iter());
        assert!(d <= VALUE_TOL, "{label}: mean: {d:e}");
        worst_val = worst_val.max(d);
        worst_val = worst_val.max(assert_close_2d(
            &format!("{label}: components"),
            model.components(),
            matrix(&case["components"]).view(),
        ));
        let z = model.transform(x.view()).unwrap();
        worst_val = worst_val.max(assert_close_2d(
            &format!("{label}: transform"),
            z.slice(s![..head, ..]),
            matrix(&case["transform_head"]).view(),
        ));
        let back = model.inverse_transform(z.view()).unwrap();
        worst_val = worst_val.max(assert_close_2d(
            &format!("{label}: inverse_transform"),
            back.slice(s![..head, ..]),
            matrix(&case["inverse_transform_head"]).view(),
        ));
    }
    println!(
        "{name}: worst relative variance difference {worst_var:e}, worst value difference {worst_val:e}"
    );
    (worst_var, worst_val)
}

#[test]
fn pca_random_correlated_matrix_matches_sklearn() {
    check_fixture("random");
}

#[test]
fn pca_universal_bank_matches_sklearn() {
    check_fixture("universal_bank");
}

#[test]
fn pca_eastwest_airlines_matches_sklearn() {
    check_fixture("eastwest_airlines");
}

/// The randomized solver reaches the same top components on these small tables (few
/// features, so its range finder spans nearly everything); looser tolerance, it is iterative.
#[test]
fn pca_randomized_solver_agrees_with_sklearn_on_count_cases() {
    for name in ["random", "universal_bank", "eastwest_airlines"] {
        let fx = load(name);
        let x = matrix(&fx["x"]);
        for case in fx["cases"].as_array().unwrap() {
            if !case["n_components"].is_u64() {
                continue;
            }
            let model = params(case, PcaSolver::Randomized).fit(x.view()).unwrap();
            let ev = vector(&case["explained_variance"]);
            let d = worst_relative(model.explained_variance(), ev.view());
            assert!(d < 1e-8, "{name}: randomized explained_variance {d:e}");
            let c = matrix(&case["components"]);
            let d = worst_diff(model.components().iter(), c.iter());
            assert!(d < 1e-6, "{name}: randomized components {d:e}");
        }
    }
}

/// f32 input follows the same definitions at single precision.
#[test]
fn pca_f32_input_matches_sklearn_at_single_precision() {
    let fx = load("universal_bank");
    let x = matrix(&fx["x"]).mapv(|v| v as f32);
    let case = &fx["cases"][0];
    let model = params(case, PcaSolver::Auto).fit(x.view()).unwrap();
    let ev = vector(&case["explained_variance"]);
    for (a, b) in model.explained_variance().iter().zip(&ev) {
        assert!((f64::from(*a) - b).abs() < 1e-5 * b, "{a} vs {b}");
    }
    let c = matrix(&case["components"]);
    for (a, b) in model.components().iter().zip(&c) {
        assert!((f64::from(*a) - b).abs() < 1e-4, "{a} vs {b}");
    }
}
