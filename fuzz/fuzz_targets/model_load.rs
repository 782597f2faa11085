//! The cartera model loaders on arbitrary text: the GBDT model file
//! (`GbdtModel::from_json`) and the `cartera train` model file (`cartera_study::model_file::ModelFile`, compiled
//! here from its source), then predictions on a few rows. Loading fails with a typed error, or
//! the model predicts finite probabilities without panicking.
#![no_main]

use cartera_gbdt::GbdtModel;
use cartera_gbdt::shap::TreeShap;
use libfuzzer_sys::fuzz_target;
use ndarray::Array2;

#[allow(dead_code, missing_docs)]
#[path = "../../crates/study/src/model_file.rs"]
mod model_file;

/// A few rows over `n` features: zeros, missing values, extremes.
fn rows(n: usize) -> Array2<f64> {
    let values = [0.0, f64::NAN, -1e300, 2.5, 1e-300, 7.0];
    Array2::from_shape_fn((values.len(), n), |(i, j)| values[(i + j) % values.len()])
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = GbdtModel::from_json(text) {
        // Bound the work per input: a huge declared feature count is legal but slow.
        if model.n_features() <= 4096 {
            let x = rows(model.n_features());
            if let Ok(p) = model.predict_proba(x.view()) {
                assert_eq!(p.nrows(), x.nrows());
            }
            if let Ok(shap) = TreeShap::new(model.ensemble()) {
                let _ = shap.shap_values(x.view());
            }
        }
        let saved = model.to_json().expect("a loaded model serialises");
        GbdtModel::from_json(&saved).expect("a saved model loads");
    }
    if let Ok(file) = model_file::ModelFile::from_json(text, "fuzz.json")
        && file.feature_names.len() <= 4096
    {
        let x = rows(file.feature_names.len());
        if let Ok(p) = file.predict_proba(&x) {
            assert_eq!(p.dim(), (x.nrows(), file.classes.len()));
        }
    }
});
