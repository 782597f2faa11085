//! cartera-gbdt: training and prediction on `make_classification`-style data with 42 features
//! (the shape of study 004's churn table). The full-size comparison with LightGBM and
//! scikit-learn (371,589 rows, 200 rounds) is `scripts/bench_gbdt.sh`.

use cartera::core::datasets::Classification;
use cartera::gbdt::GbdtParams;
use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array1, Array2};

fn data(n: usize) -> (Array2<f64>, Array1<f64>) {
    let (x, y) = Classification::new(n)
        .n_features(42)
        .n_informative(12)
        .n_redundant(6)
        .flip_y(0.02)
        .seed(4)
        .generate()
        .unwrap_or_else(|e| panic!("bench data: {e}"));
    (x, y.mapv(|c| c as f64))
}

fn bench(c: &mut Criterion) {
    let (x, y) = data(100_000);
    let mut g = c.benchmark_group("gbdt");
    g.sample_size(10);
    g.bench_function("fit_100k_x42_50_rounds", |b| {
        b.iter(|| {
            GbdtParams::new()
                .n_estimators(50)
                .fit(x.view(), y.view())
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    g.bench_function("fit_100k_x42_50_rounds_quantized", |b| {
        b.iter(|| {
            GbdtParams::new()
                .n_estimators(50)
                .use_quantized_grad(true)
                .quant_train_renew_leaf(true)
                .fit(x.view(), y.view())
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    let model = GbdtParams::new()
        .n_estimators(200)
        .fit(x.view(), y.view())
        .unwrap_or_else(|e| panic!("{e}"));
    let (xp, _) = data(74_000);
    g.bench_function("predict_proba_74k_x42_200_trees", |b| {
        b.iter(|| {
            model
                .predict_proba(xp.view())
                .unwrap_or_else(|e| panic!("{e}"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
