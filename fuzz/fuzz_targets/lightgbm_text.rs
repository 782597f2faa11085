//! The LightGBM text-model parser (`read_lightgbm_model`) on arbitrary text. A file either
//! fails with a typed error or gives a valid ensemble that predicts, explains (TreeSHAP) and
//! writes back without panicking.
#![no_main]

use cartera_gbdt::lightgbm::{read_lightgbm_model, write_lightgbm_model};
use cartera_gbdt::shap::TreeShap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ensemble) = read_lightgbm_model(text, "fuzz.txt") else {
        return;
    };
    ensemble.validate().expect("a parsed ensemble is valid");
    if ensemble.n_features > 4096 {
        return;
    }
    let values = [0.0, f64::NAN, -1e300, 2.5, 3.0, 1e300];
    let mut out = vec![0.0; ensemble.n_outputs()];
    for shift in 0..values.len() {
        let row: Vec<f64> = (0..ensemble.n_features)
            .map(|j| values[(j + shift) % values.len()])
            .collect();
        ensemble.predict_raw_row(&row, &mut out);
    }
    if let Ok(shap) = TreeShap::new(&ensemble) {
        let x = ndarray::Array2::from_shape_fn((2, ensemble.n_features), |(i, j)| {
            values[(i + j) % values.len()]
        });
        let _ = shap.shap_values(x.view());
    }
    let _ = write_lightgbm_model(&ensemble);
});
