//! The preprocessing steps on the generated telco table (study 004 shape) against scikit-learn:
//! imputer, the three scalers, PCA and one-hot encoding. Fixture made by
//! `scripts/fixtures_telco_prep.py` from `cartera generate telco --rows 3000 --seed 7`.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

use cartera_preprocess::datasets::telco_churn;
use cartera_preprocess::impute::{ImputeStrategy, SimpleImputer};
use cartera_preprocess::pca::Pca;
use cartera_preprocess::pipeline::PrepConfig;
use cartera_preprocess::scale::{MinMaxScaler, RobustScaler, StandardScaler};
use ndarray::Array2;
use serde_json::Value;

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/prep_telco_3000_seed7.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// 1e-10 relative with an absolute floor scaled to the magnitude of the data compared (sums of
/// standardised columns are zero up to rounding).
fn assert_close(ours: &[f64], theirs: &[f64], floor: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let tol = 1e-10 * a.abs().max(b.abs()) + floor;
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: cartera {a} vs scikit-learn {b}"
        );
    }
}

fn first_rows(y: &Array2<f64>, n: usize) -> Vec<f64> {
    y.rows()
        .into_iter()
        .take(n)
        .flat_map(|r| r.to_vec())
        .collect()
}

fn column_sums(y: &Array2<f64>) -> Vec<f64> {
    y.columns().into_iter().map(|c| c.sum()).collect()
}

#[test]
fn imputer_scalers_and_pca_match_scikit_learn() {
    let f = fixture();
    let t = telco_churn(3_000, 7).unwrap();
    let names: Vec<String> = f["numeric"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let raw = t.to_array::<f64>(&refs).unwrap();

    let imp = SimpleImputer::new()
        .strategy(ImputeStrategy::Mean)
        .fit(raw.view())
        .unwrap();
    assert_close(
        imp.statistics(),
        &floats(&f["imputer_mean"]),
        0.0,
        "imputer mean",
    );
    let x = imp.transform(raw.view()).unwrap();

    let cases = [
        (
            "standard",
            StandardScaler::new().fit_transform(x.view()).unwrap().1,
        ),
        (
            "minmax",
            MinMaxScaler::new().fit_transform(x.view()).unwrap().1,
        ),
        (
            "robust",
            RobustScaler::new().fit_transform(x.view()).unwrap().1,
        ),
    ];
    for (name, y) in &cases {
        let rows = floats(&Value::Array(
            f[name]["first_rows"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r.as_array().unwrap().clone())
                .collect(),
        ));
        assert_close(&first_rows(y, 50), &rows, 1e-12, &format!("{name} rows"));
        assert_close(
            &column_sums(y),
            &floats(&f[name]["column_sums"]),
            1e-9,
            &format!("{name} sums"),
        );
    }

    let z = &cases[0].1;
    let (pca, proj) = Pca::new().n_components(5).fit_transform(z.view()).unwrap();
    assert_close(
        &pca.explained_variance().to_vec(),
        &floats(&f["pca"]["explained_variance"]),
        0.0,
        "explained variance",
    );
    let comps: Vec<f64> = f["pca"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    let ours: Vec<f64> = pca.components().iter().copied().collect();
    for (i, (a, b)) in ours.iter().zip(&comps).enumerate() {
        assert!((a - b).abs() <= 1e-8, "component entry {i}: {a} vs {b}");
    }
    let rows: Vec<f64> = f["pca"]["first_rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    for (i, (a, b)) in first_rows(&proj, 50).iter().zip(&rows).enumerate() {
        assert!(
            (a - b).abs() <= 1e-8 * (1.0 + b.abs()),
            "projection {i}: {a} vs {b}"
        );
    }
}

#[test]
fn one_hot_after_most_frequent_imputation_matches_scikit_learn() {
    let f = fixture();
    let t = telco_churn(3_000, 7).unwrap();
    let cat: Vec<String> = f["categorical"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let refs: Vec<&str> = cat.iter().map(String::as_str).collect();
    let config = PrepConfig::new()
        .columns(&refs)
        .impute(ImputeStrategy::MostFrequent)
        .one_hot(true);
    let (_, out, _) = config.fit(&t).unwrap();
    let expected: Vec<&str> = f["one_hot"]["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let sums = floats(&f["one_hot"]["column_sums"]);
    for (name, sum) in expected.iter().zip(sums) {
        let col = out
            .column(name)
            .unwrap_or_else(|_| panic!("missing indicator {name}"));
        assert_eq!(col.as_numeric().unwrap().iter().sum::<f64>(), sum, "{name}");
    }
    let ours = out
        .names()
        .iter()
        .filter(|n| refs.iter().any(|c| n.starts_with(&format!("{c}_"))))
        .count();
    assert_eq!(ours, expected.len());
}
