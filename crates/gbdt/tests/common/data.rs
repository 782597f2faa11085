//! The data sets of the LightGBM comparison, generated the same way by the tests and by the
//! `gbdt_fixture_data` example (which writes them as CSV for `scripts/fixtures_gbdt.py`).
//! Every set is split in order: the first 80 % of rows train, the rest validate.

#![allow(dead_code)]

use cartera_core::datasets::Classification;
use cartera_preprocess::datasets;
use ndarray::{Array1, Array2};

/// A data set: features, target, column names.
pub struct DataSet {
    pub x: Array2<f64>,
    pub y: Array1<f64>,
    pub names: Vec<String>,
}

impl DataSet {
    /// Rows used for training (the first 80 %).
    pub fn n_train(&self) -> usize {
        self.x.nrows() * 4 / 5
    }
}

/// Generated telco churn table: numeric columns (NaN kept as missing), target `CHURN`; or the
/// latent behaviour group (4 classes) as target when `groups`.
pub fn telco(n: usize, seed: u64, groups: bool) -> DataSet {
    let (t, g) = datasets::telco_churn_with_groups(n, seed).unwrap();
    let names: Vec<String> = t
        .numeric_names()
        .into_iter()
        .filter(|c| *c != "CHURN" && *c != "IMEI")
        .map(String::from)
        .collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let x = t.to_array::<f64>(&refs).unwrap();
    let y = if groups {
        g.iter().map(|&c| c as f64).collect()
    } else {
        t.to_array::<f64>(&["CHURN"]).unwrap().column(0).to_owned()
    };
    DataSet { x, y, names }
}

/// Generated telco churn table with its categorical columns as level codes (missing: NaN)
/// after the numeric ones; the categorical columns are named `cat_<name>` (what
/// `scripts/fixtures_gbdt.py` passes to LightGBM as `categorical_feature`). Returns the set and
/// the indices of the categorical columns.
pub fn telco_categorical(n: usize, seed: u64) -> (DataSet, Vec<usize>) {
    use cartera_preprocess::table::{Column, ColumnType};
    let base = telco(n, seed, false);
    let (t, _) = datasets::telco_churn_with_groups(n, seed).unwrap();
    let cats: Vec<String> = t
        .names_of_type(ColumnType::Categorical)
        .into_iter()
        .map(String::from)
        .collect();
    let d0 = base.x.ncols();
    let mut x = Array2::from_elem((n, d0 + cats.len()), f64::NAN);
    x.slice_mut(ndarray::s![.., ..d0]).assign(&base.x);
    let mut names = base.names;
    for (k, c) in cats.iter().enumerate() {
        let Column::Categorical(col) = t.column(c).unwrap() else {
            unreachable!("listed as categorical")
        };
        let levels = col.levels().len() as u32;
        for (i, &code) in col.codes().iter().enumerate() {
            if code < levels {
                x[[i, d0 + k]] = f64::from(code);
            }
        }
        names.push(format!("cat_{c}"));
    }
    let idx = (d0..d0 + cats.len()).collect();
    (
        DataSet {
            x,
            y: base.y,
            names,
        },
        idx,
    )
}

/// scikit-learn-style `make_classification` with 42 features.
pub fn classification(n: usize, seed: u64) -> DataSet {
    let (x, y) = Classification::new(n)
        .n_features(42)
        .n_informative(12)
        .n_redundant(6)
        .flip_y(0.02)
        .seed(seed)
        .generate()
        .unwrap();
    let names = (0..42).map(|j| format!("f{j}")).collect();
    DataSet {
        x,
        y: y.mapv(|c| c as f64),
        names,
    }
}
