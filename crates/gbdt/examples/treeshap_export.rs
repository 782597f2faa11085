//! Train a small cartera GBDT and export it as a LightGBM text model, for the "cartera-trained
//! model explained by LightGBM and shap" fixture (`scripts/fixtures_treeshap.py` runs this).
//!
//! `cargo run --release -p cartera-gbdt --example treeshap_export -- OUT_DIR`
//! writes `OUT_DIR/treeshap_cartera_binary.txt` (LightGBM text) and
//! `OUT_DIR/treeshap_cartera_rows.json` (`{"x": [[...], ...]}`, 200 held-out rows).

use cartera_core::datasets::Classification;
use cartera_gbdt::GbdtParams;
use cartera_gbdt::lightgbm::write_lightgbm_model;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures".into());
    let (x, y) = Classification::new(1700)
        .n_features(10)
        .seed(5)
        .generate()?;
    let y = y.mapv(|c| c as f64);
    let model = GbdtParams::new()
        .n_estimators(30)
        .num_leaves(15)
        .seed(5)
        .fit(
            x.slice(ndarray::s![..1500, ..]),
            y.slice(ndarray::s![..1500]),
        )?;
    let text = write_lightgbm_model(model.ensemble())?;
    std::fs::write(format!("{out}/treeshap_cartera_binary.txt"), text)?;
    let rows: Vec<Vec<f64>> = x
        .slice(ndarray::s![1500.., ..])
        .outer_iter()
        .map(|r| r.to_vec())
        .collect();
    std::fs::write(
        format!("{out}/treeshap_cartera_rows.json"),
        serde_json::to_string(&serde_json::json!({ "x": rows }))?,
    )?;
    println!("wrote {out}/treeshap_cartera_binary.txt and treeshap_cartera_rows.json");
    Ok(())
}
