//! Preprocessing kernels on the sizes of study 004: 371,589 rows x 42 columns.
//!
//! `cargo bench --bench preprocess`. The side-by-side comparison with scikit-learn and pandas is
//! `scripts/bench_prep.sh`; see docs/benchmarks.md.

use std::hint::black_box;

use cartera::core::datasets::Blobs;
use cartera::preprocess::datasets;
use cartera::preprocess::impute::ImputeStrategy;
use cartera::preprocess::outliers::IqrOutliers;
use cartera::preprocess::pca::Pca;
use cartera::preprocess::pipeline::{OutlierAction, PrepConfig};
use cartera::preprocess::scale::{MinMaxScaler, ScalerKind, StandardScaler};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 371_589;

fn matrix() -> ndarray::Array2<f64> {
    Blobs::new(ROWS)
        .n_features(42)
        .centers(5)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
        .0
}

fn scaling(c: &mut Criterion) {
    let x = matrix();
    let x32 = x.mapv(|v| v as f32);
    let mut g = c.benchmark_group("scale");
    g.sample_size(20);
    g.bench_function("standard_fit_transform_f64_371589x42", |b| {
        b.iter(|| {
            black_box(
                StandardScaler::new()
                    .fit_transform(x.view())
                    .expect("valid"),
            )
        })
    });
    g.bench_function("standard_fit_transform_f32_371589x42", |b| {
        b.iter(|| {
            black_box(
                StandardScaler::new()
                    .fit_transform(x32.view())
                    .expect("valid"),
            )
        })
    });
    g.bench_function("minmax_fit_transform_f64_371589x42", |b| {
        b.iter(|| black_box(MinMaxScaler::new().fit_transform(x.view()).expect("valid")))
    });
    g.bench_function("iqr_fit_f64_371589x42", |b| {
        b.iter(|| black_box(IqrOutliers::new().fit(x.view()).expect("valid")))
    });
    g.finish();
}

fn pca(c: &mut Criterion) {
    let x = matrix();
    let mut g = c.benchmark_group("pca");
    g.sample_size(20);
    g.bench_function("fit_transform_10_of_42_f64_371589", |b| {
        b.iter(|| {
            black_box(
                Pca::new()
                    .n_components(10)
                    .fit_transform(x.view())
                    .expect("valid"),
            )
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    let telco = datasets::telco_churn(ROWS, 7).expect("fixed, valid generator parameters");
    let config = PrepConfig::new()
        .drop_duplicates(true)
        .sentinel("DIAS_FRECUENCIA_RECARGA", "9999")
        .drop_id_columns(true)
        .impute(ImputeStrategy::Mean)
        .outliers(OutlierAction::Drop)
        .scale(ScalerKind::MinMax)
        .one_hot(true);
    let mut g = c.benchmark_group("prep");
    g.sample_size(10);
    g.bench_function("telco_study004_fit_371589x42", |b| {
        b.iter(|| black_box(config.fit(&telco).expect("valid")))
    });
    g.finish();
}

criterion_group!(benches, scaling, pca, pipeline);
criterion_main!(benches);
