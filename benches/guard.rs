//! The CI regression guard: instruction counts of a fixed set of kernels on small, fixed inputs,
//! measured under valgrind's callgrind by gungraun.
//!
//! Run it through `scripts/guard.sh` (which compares every kernel's instruction count with the
//! committed baseline `benches/guard_baseline.json` and fails above the threshold), not directly.
//! Instruction counts, unlike wall-clock times, do not move with the load of a shared CI machine,
//! so a 5 % bar does not flap.
//!
//! Why every input is small: callgrind runs code about 50x slower than native, and the whole
//! guard must stay under five minutes. Why one thread, and why the thread pool is built on the
//! benchmark's own thread: callgrind only counts the instructions executed *inside* the
//! benchmark function's call stack, so work handed to a rayon worker thread would go uncounted.
//! A global pool of one thread that *is* the current thread (`use_current_thread`) runs every
//! parallel block inline, in block order, and so counts all the work, the same on every run.
//!
//! Inputs are built in `setup` functions, which gungraun runs outside the measured region.

// gungraun's macros generate undocumented modules and items for each benchmark.
#![allow(missing_docs)]

use std::hint::black_box;

use cartera::core::datasets::{Blobs, Classification};
use cartera::gbdt::shap::TreeShap;
use cartera::gbdt::{GbdtModel, GbdtParams};
use cartera::kmeans::{Algorithm, Init, KMeansParams};
use cartera::logistic::LogisticRegressionParams;
use cartera::preprocess::pca::Pca;
use cartera::preprocess::scale::StandardScaler;
use cartera::preprocess::{CsvOptions, Table, datasets};
use cartera::silhouette::silhouette_score;
use gungraun::{LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main};
use ndarray::{Array1, Array2};

/// Makes the calling thread the only worker of rayon's global pool (see the module docs).
fn single_thread_pool() {
    // The pool can only be built once per process; gungraun runs one benchmark per process, but
    // a second call (or a pool already started) is harmless, so the error is ignored on purpose.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global();
}

/// Gaussian blobs with a fixed seed: `rows x features`, five centres.
fn blobs(rows: usize, features: usize) -> Array2<f64> {
    single_thread_pool();
    Blobs::new(rows)
        .n_features(features)
        .centers(5)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
        .0
}

fn setup_blobs_2000x16() -> Array2<f64> {
    blobs(2_000, 16)
}

fn setup_blobs_2000x8() -> Array2<f64> {
    blobs(2_000, 8)
}

/// The generated telco table (42 columns), 2,000 rows, as CSV bytes in memory.
fn setup_telco_csv() -> Vec<u8> {
    single_thread_pool();
    let table = datasets::telco_churn(2_000, 7).expect("fixed, valid generator parameters");
    let mut bytes = Vec::new();
    table
        .write_csv_to(&mut bytes)
        .expect("writing to a Vec cannot fail");
    bytes
}

#[library_benchmark]
#[bench::blobs_2000x16(setup = setup_blobs_2000x16)]
fn standard_scaler_fit_transform(x: Array2<f64>) -> Array2<f64> {
    let (_fitted, scaled) = StandardScaler::new()
        .fit_transform(black_box(x.view()))
        .expect("finite input");
    black_box(scaled)
}

#[library_benchmark]
#[bench::blobs_2000x16(setup = setup_blobs_2000x16)]
fn pca_fit_4_of_16(x: Array2<f64>) -> usize {
    // Covariance (the XᵀX product) plus the symmetric eigen-decomposition.
    let fitted = Pca::new()
        .n_components(4)
        .fit(black_box(x.view()))
        .expect("finite input");
    black_box(fitted.n_components())
}

#[library_benchmark]
#[bench::telco_2000x42(setup = setup_telco_csv)]
fn csv_parse(bytes: Vec<u8>) -> usize {
    let table = Table::read_csv_bytes(black_box(&bytes), "telco.csv", &CsvOptions::default())
        .expect("generated file is valid");
    black_box(table.n_rows())
}

#[library_benchmark]
#[bench::blobs_2000x8_k5(setup = setup_blobs_2000x8)]
fn kmeans_lloyd_fit(x: Array2<f64>) -> f64 {
    let model = KMeansParams::new(5)
        .n_init(1)
        .max_iter(20)
        .algorithm(Algorithm::Lloyd)
        .seed(0)
        .fit(black_box(x.view()))
        .expect("valid input");
    black_box(model.inertia())
}

#[library_benchmark]
#[bench::blobs_2000x8_k5(setup = setup_blobs_2000x8)]
fn kmeans_plusplus_init(x: Array2<f64>) -> f64 {
    // k-means++ seeding is not public on its own; one Lloyd step after it is the smallest fit,
    // and the seeding (k rounds of 2 + ln k candidates over every row) dominates its count.
    let model = KMeansParams::new(5)
        .init(Init::KMeansPlusPlus)
        .n_init(1)
        .max_iter(1)
        .algorithm(Algorithm::Lloyd)
        .seed(0)
        .fit(black_box(x.view()))
        .expect("valid input");
    black_box(model.inertia())
}

/// Blobs with their true labels, for the silhouette.
fn setup_labelled_blobs_1000x8() -> (Array2<f64>, Array1<usize>) {
    single_thread_pool();
    Blobs::new(1_000)
        .n_features(8)
        .centers(5)
        .seed(1)
        .generate()
        .expect("fixed, valid generator parameters")
}

/// A binary classification problem: 2,000 rows, 10 features, fixed seed.
fn setup_classification() -> (Array2<f64>, Array1<usize>) {
    single_thread_pool();
    Classification::new(2_000)
        .n_features(10)
        .seed(3)
        .generate()
        .expect("fixed, valid generator parameters")
}

fn gbdt_params() -> GbdtParams {
    GbdtParams::new().n_estimators(20).num_leaves(15).seed(0)
}

fn setup_gbdt_model() -> (Array2<f64>, GbdtModel) {
    let (x, y) = setup_classification();
    let y = y.mapv(|c| c as f64);
    let model = gbdt_params().fit(x.view(), y.view()).expect("valid input");
    (x, model)
}

fn setup_treeshap() -> (Array2<f64>, TreeShap) {
    let (x, model) = setup_gbdt_model();
    let explainer = TreeShap::new(model.ensemble()).expect("a trained ensemble is valid");
    // 200 rows: TreeSHAP costs far more per row than prediction.
    (x.slice(ndarray::s![..200, ..]).to_owned(), explainer)
}

#[library_benchmark]
#[bench::blobs_1000x8_k5(setup = setup_labelled_blobs_1000x8)]
fn silhouette_exact((x, labels): (Array2<f64>, Array1<usize>)) -> f64 {
    black_box(silhouette_score(black_box(x.view()), labels.view()).expect("valid input"))
}

#[library_benchmark]
#[bench::classification_2000x10(setup = setup_classification)]
fn logistic_fit((x, y): (Array2<f64>, Array1<usize>)) -> usize {
    let model = LogisticRegressionParams::new()
        .fit(black_box(x.view()), y.view())
        .expect("valid input");
    black_box(model.n_features())
}

#[library_benchmark]
#[bench::classification_2000x10_20_trees(setup = setup_classification)]
fn gbdt_train((x, y): (Array2<f64>, Array1<usize>)) -> usize {
    let y = y.mapv(|c| c as f64);
    let model = gbdt_params()
        .fit(black_box(x.view()), y.view())
        .expect("valid input");
    black_box(model.ensemble().n_rounds())
}

#[library_benchmark]
#[bench::classification_2000x10_20_trees(setup = setup_gbdt_model)]
fn gbdt_predict((x, model): (Array2<f64>, GbdtModel)) -> Array2<f64> {
    black_box(
        model
            .predict_proba(black_box(x.view()))
            .expect("valid input"),
    )
}

#[library_benchmark]
#[bench::classification_200x10_20_trees(setup = setup_treeshap)]
fn treeshap((x, explainer): (Array2<f64>, TreeShap)) -> f64 {
    let values = explainer
        .shap_values(black_box(x.view()))
        .expect("valid input");
    black_box(values.contributions(0)[[0, 0]])
}

library_benchmark_group!(
    name = models;
    benchmarks = silhouette_exact, logistic_fit, gbdt_train, gbdt_predict, treeshap
);

library_benchmark_group!(
    name = preprocess;
    benchmarks = standard_scaler_fit_transform, pca_fit_4_of_16, csv_parse
);

library_benchmark_group!(
    name = kmeans;
    benchmarks = kmeans_lloyd_fit, kmeans_plusplus_init
);

main!(
    config = LibraryBenchmarkConfig::default()
        .env("RAYON_NUM_THREADS", "1");
    library_benchmark_groups = preprocess, kmeans, models
);
