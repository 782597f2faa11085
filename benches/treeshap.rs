//! TreeSHAP: contributions for 10,000 rows of LightGBM models imported from text.
//!
//! `cargo bench --bench treeshap`. The models and rows are made by
//! `python3 scripts/peers_treeshap.py --prepare-only` in `$CARTERA_TREESHAP_DIR` (default
//! `/tmp/cartera-treeshap`): a 200-tree, 31-leaf binary model on 42 features and a 4-class,
//! 100-round model on 20 features, with 10,000 rows each. The same script times LightGBM's
//! `predict(pred_contrib=True)` and shap's `TreeExplainer` on them; `scripts/bench_treeshap.sh`
//! runs both sides alternately (see docs/benchmarks.md). Without those files the bench falls
//! back to the committed 40-tree fixture model and seeded random rows.

use std::hint::black_box;
use std::path::PathBuf;

use cartera::core::rng::CarteraRng;
use cartera::gbdt::Ensemble;
use cartera::gbdt::lightgbm::load_lightgbm_model;
use cartera::gbdt::shap::{ShapAlgorithm, TreeShap};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;

fn data_dir() -> PathBuf {
    std::env::var_os("CARTERA_TREESHAP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/cartera-treeshap"))
}

/// The peer script's model and rows, or the committed fixture model with random rows.
fn case(name: &str) -> (String, Ensemble, Array2<f64>) {
    let dir = data_dir();
    let model_path = dir.join(format!("{name}.txt"));
    let rows_path = dir.join(format!("{name}_rows.f64"));
    if let (Ok(model), Ok(bytes)) = (load_lightgbm_model(&model_path), std::fs::read(&rows_path)) {
        let d = model.n_features;
        let values: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")))
            .collect();
        let x = Array2::from_shape_vec((values.len() / d, d), values)
            .expect("rows file holds whole rows of the model's width");
        let label = format!("{name}_{}x{d}_{}trees", x.nrows(), model.trees.len());
        return (label, model, x);
    }
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/lightgbm_{name}.txt"));
    let model = load_lightgbm_model(&fixture).expect("committed fixture model");
    let d = model.n_features;
    let mut rng = CarteraRng::seed_from_u64(7);
    let x = Array2::from_shape_fn((10_000, d), |_| rng.normal());
    let label = format!(
        "fixture_{name}_{}x{d}_{}trees",
        x.nrows(),
        model.trees.len()
    );
    (label, model, x)
}

fn contributions(c: &mut Criterion) {
    let mut g = c.benchmark_group("treeshap");
    g.sample_size(10);
    for name in ["binary", "multiclass"] {
        let (label, model, x) = case(name);
        g.throughput(Throughput::Elements(x.nrows() as u64));
        let fast = TreeShap::new(&model).expect("valid imported model");
        g.bench_function(format!("fast/{label}"), |b| {
            b.iter(|| {
                black_box(
                    fast.shap_values(black_box(x.view()))
                        .expect("width matches"),
                )
            })
        });
        g.bench_function(format!("precompute/{label}"), |b| {
            b.iter(|| black_box(TreeShap::new(black_box(&model)).expect("valid model")))
        });
        // Algorithm 2 on a tenth of the rows: the plain algorithm the fast one replaces.
        let reference =
            TreeShap::with_algorithm(&model, ShapAlgorithm::Reference).expect("valid model");
        let sub = x.slice(ndarray::s![..x.nrows() / 10, ..]);
        g.throughput(Throughput::Elements(sub.nrows() as u64));
        g.bench_function(format!("reference_tenth/{label}"), |b| {
            b.iter(|| {
                black_box(
                    reference
                        .shap_values(black_box(sub))
                        .expect("width matches"),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, contributions);
criterion_main!(benches);
