//! Drawing time of the point charts on the study sizes of issue #10: the telco table's 371,589
//! customers in a scatter and a 10-feature beeswarm (5,000 points drawn of each), and a
//! 100,000-sample silhouette plot; plus a small chart (the elbow curve) for the fixed cost.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;

const TELCO_ROWS: usize = 371_589;

fn labels(n: usize) -> Vec<usize> {
    (0..n).map(|i| (i * 7 + i / 13) % 4).collect()
}

fn charts(c: &mut Criterion) {
    let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let l = labels(TELCO_ROWS);
    let x: Vec<f64> = (0..TELCO_ROWS).map(|i| (i as f64 * 0.001).sin()).collect();
    let y: Vec<f64> = (0..TELCO_ROWS).map(|i| (i as f64 * 0.0007).cos()).collect();
    let p = 10;
    let features: Vec<String> = (0..p).map(|j| format!("feature_{j}")).collect();
    let values = Array2::from_shape_fn((TELCO_ROWS, p), |(i, j)| ((i * 31 + j * 17) % 997) as f64);
    let shap = values.mapv(|v| (v - 498.0) / 498.0);
    let sil_labels = labels(100_000);
    let sil: Vec<f64> = (0..100_000)
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0 * 1.3 - 0.3)
        .collect();

    let mut g = c.benchmark_group("plot");
    g.sample_size(10);
    g.bench_function("scatter_371589", |b| {
        b.iter(|| cartera_plot::scatter(black_box(&x), &y, &l, &names, "x", "y").expect("valid"))
    });
    g.bench_function("beeswarm_371589x10", |b| {
        b.iter(|| {
            cartera_plot::shap_beeswarm(&features, black_box(shap.view()), values.view(), 10)
                .expect("valid")
        })
    });
    g.bench_function("silhouette_100000", |b| {
        b.iter(|| cartera_plot::silhouette(black_box(&sil), &sil_labels, &names).expect("valid"))
    });
    g.bench_function("elbow_10", |b| {
        let ks: Vec<usize> = (1..=10).collect();
        let inertia: Vec<f64> = ks.iter().map(|&k| 100.0 / k as f64).collect();
        b.iter(|| cartera_plot::elbow(black_box(&ks), &inertia, Some(3)).expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
