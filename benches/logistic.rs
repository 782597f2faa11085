//! Logistic regression on the sizes of study 004: 371,589 rows x 42 features, binary, C = 1.
//!
//! `cargo bench --bench logistic`. The side-by-side comparison with scikit-learn (and
//! linfa-logistic) at the same objective value is `scripts/bench_logistic.sh`; see
//! docs/benchmarks.md.

use std::hint::black_box;

use cartera::core::datasets::Classification;
use cartera::logistic::LogisticRegressionParams;
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 371_589;

fn data() -> (ndarray::Array2<f64>, ndarray::Array1<usize>) {
    Classification::new(ROWS)
        .n_features(42)
        .seed(0)
        .generate()
        .expect("fixed, valid generator parameters")
}

fn binary(c: &mut Criterion) {
    let (x, y) = data();
    let x32 = x.mapv(|v| v as f32);
    let params = LogisticRegressionParams::new().c(1.0).tol(1e-4);
    let mut g = c.benchmark_group("logistic");
    g.sample_size(10);
    g.bench_function("fit_f64_371589x42_c1", |b| {
        b.iter(|| black_box(params.fit(x.view(), y.view()).expect("valid")))
    });
    g.bench_function("fit_f32_371589x42_c1", |b| {
        b.iter(|| black_box(params.fit(x32.view(), y.view()).expect("valid")))
    });
    let m = params.fit(x.view(), y.view()).expect("valid");
    let m32 = params.fit(x32.view(), y.view()).expect("valid");
    g.bench_function("predict_proba_f64_371589x42", |b| {
        b.iter(|| black_box(m.predict_proba(x.view()).expect("valid")))
    });
    g.bench_function("predict_proba_f32_371589x42", |b| {
        b.iter(|| black_box(m32.predict_proba(x32.view()).expect("valid")))
    });
    g.bench_function("coefficient_table_371589x42", |b| {
        b.iter(|| {
            black_box(
                m.coefficient_table(x.view(), y.view(), None)
                    .expect("valid"),
            )
        })
    });
    g.finish();
}

fn multinomial(c: &mut Criterion) {
    let (x, y) = Classification::new(100_000)
        .n_features(20)
        .n_informative(6)
        .n_classes(4)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters");
    let params = LogisticRegressionParams::new();
    let mut g = c.benchmark_group("logistic");
    g.sample_size(10);
    g.bench_function("fit_multinomial_f64_100000x20_k4", |b| {
        b.iter(|| black_box(params.fit(x.view(), y.view()).expect("valid")))
    });
    g.finish();
}

criterion_group!(benches, binary, multinomial);
criterion_main!(benches);
