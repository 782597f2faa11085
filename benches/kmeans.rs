//! K-Means on the sizes of study 004: 371,589 rows x 20 standardized features, k = 8.
//!
//! `cargo bench --bench kmeans`. The side-by-side comparison with scikit-learn and linfa is
//! `scripts/bench_kmeans.sh`; see docs/benchmarks.md. One restart per measurement (n_init = 1)
//! keeps a sample short; the peers' figures use n_init = 10.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cartera::core::datasets::Blobs;
use cartera::kmeans::bench_support::LloydIteration;
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

/// One Lloyd iteration on the full table, every row assigned and summed (labels forgotten
/// before each, outside the timing), each followed by one read pass over the very matrix the
/// iteration reads: the memory floor that bounds it from below, measured in the same run
/// (`benches/memory_floor.rs` reads a matrix of the same shape, on 1 and 2 threads). Centres:
/// those of a 2-iteration fit.
fn lloyd_iteration(c: &mut Criterion) {
    let x = cartera::core::datasets::Blobs::new(ROWS)
        .n_features(20)
        .centers(8)
        .cluster_std(5.0)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
        .0;
    let start = KMeansParams::new(8)
        .n_init(1)
        .max_iter(2)
        .seed(0)
        .fit(x.view())
        .expect("valid");
    let mut g = c.benchmark_group("kmeans_iteration");
    g.sample_size(30);
    let mut it64 = LloydIteration::new(x.view(), start.centroids().view());
    g.bench_function("lloyd_f64_371589x20_k8", |b| {
        b.iter_custom(|iters| time_steps(&mut it64, iters))
    });
    g.bench_function("read_pass_f64_371589x20", |b| {
        b.iter(|| black_box(it64.read_pass()))
    });
    let x32 = x.mapv(|v| v as f32);
    let c32 = start.centroids().mapv(|v| v as f32);
    let mut it32 = LloydIteration::new(x32.view(), c32.view());
    g.bench_function("lloyd_f32_371589x20_k8", |b| {
        b.iter_custom(|iters| time_steps(&mut it32, iters))
    });
    g.bench_function("read_pass_f32_371589x20", |b| {
        b.iter(|| black_box(it32.read_pass()))
    });
    g.finish();
}

/// `iters` full iterations, each timed alone (forgetting the labels is not timed).
fn time_steps<F: cartera::core::Float>(it: &mut LloydIteration<F>, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        it.forget_labels();
        let t = Instant::now();
        black_box(it.step());
        total += t.elapsed();
    }
    total
}

criterion_group!(benches, full_batch, elbow_curve, lloyd_iteration);
criterion_main!(benches);
