//! Cluster-quality scores on the sizes of the issue (#5): exact silhouette on 20,000 x 20 with
//! k = 8 (f64 and f32), the sampled estimate (10,000 of 371,589 rows), and Calinski-Harabasz and
//! Davies-Bouldin on 371,589 x 20. The data are `Blobs` (8 centres, seed 1) with their true
//! labels, as `scripts/peers_silhouette.py` generates them with `cartera generate blobs`.

use std::hint::black_box;

use cartera::core::datasets::Blobs;
use cartera::silhouette::{
    SilhouetteParams, calinski_harabasz_score, cluster_scores, davies_bouldin_score,
    silhouette_score,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn blobs(n: usize) -> (ndarray::Array2<f64>, Vec<usize>) {
    let (x, y) = Blobs::new(n)
        .n_features(20)
        .centers(8)
        .seed(1)
        .generate()
        .expect("the generator accepts these sizes");
    (x, y.to_vec())
}

fn exact(c: &mut Criterion) {
    let (x, y) = blobs(20_000);
    let xf = x.mapv(|v| v as f32);
    let mut g = c.benchmark_group("silhouette");
    g.sample_size(10);
    g.bench_function("exact_f64_20000x20_k8", |b| {
        b.iter(|| silhouette_score(black_box(x.view()), &y).expect("valid input"))
    });
    g.bench_function("exact_f32_20000x20_k8", |b| {
        b.iter(|| silhouette_score(black_box(xf.view()), &y).expect("valid input"))
    });
    g.finish();
}

fn large(c: &mut Criterion) {
    let (x, y) = blobs(371_589);
    let mut g = c.benchmark_group("silhouette");
    g.sample_size(10);
    g.bench_function("sampled_10000_of_371589x20", |b| {
        let p = SilhouetteParams::new().sample_size(Some(10_000)).seed(0);
        b.iter(|| p.evaluate(black_box(x.view()), &y).expect("valid input"))
    });
    g.bench_function("calinski_harabasz_371589x20", |b| {
        b.iter(|| calinski_harabasz_score(black_box(x.view()), &y).expect("valid input"))
    });
    g.bench_function("davies_bouldin_371589x20", |b| {
        b.iter(|| davies_bouldin_score(black_box(x.view()), &y).expect("valid input"))
    });
    g.bench_function("ch_and_db_371589x20", |b| {
        b.iter(|| cluster_scores(black_box(x.view()), &y).expect("valid input"))
    });
    g.finish();
}

criterion_group!(benches, exact, large);
criterion_main!(benches);
