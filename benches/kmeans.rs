//! K-Means on the sizes of study 004: 371,589 rows x 20 standardized features, k = 8.
//!
//! `cargo bench --bench kmeans`. The side-by-side comparison with scikit-learn and linfa is
//! `scripts/bench_kmeans.sh`; see docs/benchmarks.md. One restart per measurement (n_init = 1)
//! keeps a sample short; the peers' figures use n_init = 10.

use std::hint::black_box;

use cartera::core::datasets::Blobs;
use cartera::kmeans::{Algorithm, KMeansParams, MiniBatchKMeansParams, elbow};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 371_589;

fn blobs() -> ndarray::Array2<f64> {
    Blobs::new(ROWS)
        .n_features(20)
        .centers(8)
        .cluster_std(2.0)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
        .0
}

fn full_batch(c: &mut Criterion) {
    let x = blobs();
    let x32 = x.mapv(|v| v as f32);
    let mut g = c.benchmark_group("kmeans");
    g.sample_size(10);
    for (name, algorithm) in [("lloyd", Algorithm::Lloyd), ("elkan", Algorithm::Elkan)] {
        let params = KMeansParams::new(8).n_init(1).seed(0).algorithm(algorithm);
        g.bench_function(format!("{name}_f64_371589x20_k8"), |b| {
            b.iter(|| black_box(params.fit(x.view()).expect("valid")))
        });
        g.bench_function(format!("{name}_f32_371589x20_k8"), |b| {
            b.iter(|| black_box(params.fit(x32.view()).expect("valid")))
        });
    }
    let mb = MiniBatchKMeansParams::new(8).seed(0).batch_size(4096);
    g.bench_function("minibatch_f64_371589x20_k8", |b| {
        b.iter(|| black_box(mb.fit(x.view()).expect("valid")))
    });
    g.bench_function("minibatch_f32_371589x20_k8", |b| {
        b.iter(|| black_box(mb.fit(x32.view()).expect("valid")))
    });
    g.finish();
}

fn elbow_curve(c: &mut Criterion) {
    let x = blobs();
    let sub = x.slice(ndarray::s![..50_000, ..]).to_owned();
    let mut g = c.benchmark_group("kmeans_elbow");
    g.sample_size(10);
    let params = KMeansParams::default().n_init(1).seed(0);
    g.bench_function("k2_to_10_f64_50000x20", |b| {
        b.iter(|| {
            black_box(elbow(sub.view(), &[2, 3, 4, 5, 6, 7, 8, 9, 10], &params).expect("valid"))
        })
    });
    g.finish();
}

criterion_group!(benches, full_batch, elbow_curve);
criterion_main!(benches);
