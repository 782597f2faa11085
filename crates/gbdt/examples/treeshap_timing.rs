//! Time TreeSHAP on a LightGBM model and rows made by `scripts/peers_treeshap.py`, and print
//! the shape of the model's trees (depth, distinct features per leaf path).
//!
//! `cargo run --release -p cartera-gbdt --example treeshap_timing -- DIR NAME [ROWS]`

use std::time::Instant;

use cartera_gbdt::lightgbm::load_lightgbm_model;
use cartera_gbdt::shap::{ShapAlgorithm, TreeShap};
use ndarray::Array2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map_or("/tmp/cartera-treeshap", String::as_str);
    let name = args.get(2).map_or("binary", String::as_str);
    let model = load_lightgbm_model(&std::path::Path::new(dir).join(format!("{name}.txt")))?;
    let bytes = std::fs::read(std::path::Path::new(dir).join(format!("{name}_rows.f64")))?;
    let d = model.n_features;
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect();
    let mut x = Array2::from_shape_vec((values.len() / d, d), values)?;
    if let Some(rows) = args.get(3) {
        let rows: usize = rows.parse()?;
        x = x.slice(ndarray::s![..rows, ..]).to_owned();
    }
    let t0 = Instant::now();
    let fast = TreeShap::new(&model)?;
    println!(
        "precompute {:.3}s, {} trees on Algorithm 2",
        t0.elapsed().as_secs_f64(),
        fast.n_reference_trees()
    );
    for (label, ts) in [
        ("fast", fast),
        (
            "reference",
            TreeShap::with_algorithm(&model, ShapAlgorithm::Reference)?,
        ),
    ] {
        let t0 = Instant::now();
        let sv = ts.shap_values(x.view())?;
        println!(
            "{label}: {} rows in {:.3}s (checksum {:.6})",
            x.nrows(),
            t0.elapsed().as_secs_f64(),
            sv.values.sum()
        );
    }
    Ok(())
}
