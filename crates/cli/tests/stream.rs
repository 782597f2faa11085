//! Streaming a CSV in chunks (`--chunk-rows`): `cartera kmeans --algorithm minibatch` and
//! `cartera train --model gbdt` on small files with tiny chunks give what the in-memory code
//! gives on the same rows, and a bad later chunk is a one-line error naming its cell.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{assert_one_line_error, cartera, ok_json, s, tmp};
use std::path::{Path, PathBuf};

use cartera_core::datasets::Blobs;
use cartera_kmeans::MiniBatchKMeansParams;
use cartera_preprocess::scale::StandardScaler;
use cartera_preprocess::{CsvOptions, Table};
use ndarray::{Array2, s as sl};
use serde_json::Value;

/// 200 rows of 3 blobs in 2 columns, plus a text column, as CSV.
fn blobs_csv(name: &str) -> (PathBuf, Array2<f64>) {
    let (x, _) = Blobs::new(200)
        .n_features(2)
        .centers(3)
        .seed(4)
        .generate()
        .unwrap();
    let mut text = String::from("a,b,name\n");
    for (i, r) in x.rows().into_iter().enumerate() {
        text.push_str(&format!("{},{},c{}\n", r[0], r[1], i % 5));
    }
    let p = tmp(name);
    std::fs::write(&p, text).unwrap();
    // The values as the CSV reader reads them back.
    let t = Table::read_csv(&p, &CsvOptions::default()).unwrap();
    (p, t.to_array::<f64>(&["a", "b"]).unwrap())
}

fn kmeans_stream(p: &Path, chunk: usize, extra: &[&str]) -> Value {
    let chunk = chunk.to_string();
    let mut args = vec![
        "kmeans",
        s(p),
        "--k",
        "3",
        "--algorithm",
        "minibatch",
        "--batch-size",
        "16",
        "--chunk-rows",
        &chunk,
        "--seed",
        "3",
        "--json",
        "-",
    ];
    args.extend_from_slice(extra);
    ok_json(&args)
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect()
}

/// The in-memory sequence of `partial_fit` calls on consecutive batches of 16 rows.
fn in_memory(x: &Array2<f64>) -> cartera_kmeans::MiniBatchKMeans<f64> {
    let params = MiniBatchKMeansParams::new(3)
        .batch_size(16)
        .n_init(10)
        .seed(3);
    let mut m = params.partial_fit(x.slice(sl![0..16, ..])).unwrap();
    let mut r = 16;
    while r < x.nrows() {
        let e = (r + 16).min(x.nrows());
        m.partial_fit(x.slice(sl![r..e, ..])).unwrap();
        r = e;
    }
    m
}

#[test]
fn kmeans_stream_equals_in_memory_partial_fit_whatever_the_chunk_size() {
    let (p, x) = blobs_csv("blobs.csv");
    let m = in_memory(&x);
    let want: Vec<f64> = m.centroids().iter().copied().collect();
    let labels = m.predict(x.view()).unwrap();
    let inertia = -m.score(x.view()).unwrap();
    let mut first: Option<Value> = None;
    for chunk in [7, 16, 1000] {
        let v = kmeans_stream(&p, chunk, &[]);
        assert_eq!(floats(&v["centroids"]), want, "chunk {chunk}");
        assert!((v["inertia"].as_f64().unwrap() - inertia).abs() <= 1e-9 * inertia);
        assert_eq!(v["stream"]["rows"], 200);
        assert_eq!(v["stream"]["chunks"], 200usize.div_ceil(chunk));
        // The fit is timed apart from reading and scaling, as in memory; the parts fit in
        // the whole.
        let secs = |key: &str| {
            v[key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} missing: {v}"))
        };
        let parts = secs("read_seconds") + secs("scale_seconds") + secs("fit_seconds");
        assert!(parts <= secs("seconds"), "{v}");
        assert!(secs("assign_seconds") <= secs("seconds"), "{v}");
        let sizes: Vec<usize> = (0..3)
            .map(|c| labels.iter().filter(|&&l| l == c).count())
            .collect();
        assert_eq!(v["sizes"], serde_json::json!(sizes));
        if let Some(f) = &first {
            assert_eq!(f["inertia"], v["inertia"], "chunking changed the fit");
        }
        first = Some(v);
    }
}

#[test]
fn kmeans_stream_scaled_writes_labels_chunk_by_chunk() {
    let (p, x) = blobs_csv("blobs_scaled.csv");
    let out = tmp("blobs_scaled_labels.csv");
    let v = kmeans_stream(&p, 7, &["--scale", "standard", "--out", s(&out)]);
    // Fewer rows than --sample-rows: the scaler is the in-memory one.
    let scaler = StandardScaler::new().fit(x.view()).unwrap();
    let z = scaler.transform(x.view()).unwrap();
    let m = in_memory(&z);
    assert_eq!(
        floats(&v["centroids"]),
        m.centroids().iter().copied().collect::<Vec<_>>()
    );
    assert_eq!(v["stream"]["scaler_sample_rows"], 200);
    let back = floats(&v["centroids_original"]);
    let want = scaler.inverse_transform(m.centroids().view()).unwrap();
    for (a, b) in back.iter().zip(want.iter()) {
        assert!((a - b).abs() < 1e-12);
    }
    // One header, every row, its label.
    let written = Table::read_csv(&out, &CsvOptions::default()).unwrap();
    assert_eq!(written.n_rows(), 200);
    assert_eq!(written.names(), ["a", "b", "name", "cluster"]);
    let labels = m.predict(z.view()).unwrap();
    let got = written.column("cluster").unwrap().as_numeric().unwrap();
    assert!(got.iter().zip(&labels).all(|(g, &l)| *g == l as f64));
    assert_eq!(
        written.column("name").unwrap().get_string(7).as_deref(),
        Some("c2")
    );
    // A sample smaller than the file: a different (sampled) scaler, same shape of answer.
    let v = kmeans_stream(&p, 7, &["--scale", "minmax", "--sample-rows", "50"]);
    assert_eq!(v["stream"]["scaler_sample_rows"], 50);
    assert_eq!(v["sizes"].as_array().unwrap().len(), 3);
}

#[test]
fn kmeans_stream_bad_input_is_one_line() {
    let (p, _) = blobs_csv("blobs_bad.csv");
    // Past the rows that fix the column types (10,000): a later bad value.
    let mut text = String::from("a,b,name\n");
    for i in 0..10_050 {
        text.push_str(&format!("{}.5,{},c{}\n", i % 17, i % 5, i % 3));
    }
    let good = text.clone();
    text.push_str("1.5,oops,c1\n");
    let bad = tmp("blobs_bad_tail.csv");
    std::fs::write(&bad, &text).unwrap();
    let run = |file: &Path, extra: &[&str]| {
        let mut a = vec!["kmeans", s(file), "--k", "3", "--algorithm", "minibatch"];
        a.extend_from_slice(extra);
        cartera(&a)
    };
    // Line 10,052 of the file (header + 10,050 rows + this one), column 2.
    assert_one_line_error(&run(&bad, &["--chunk-rows", "1000"]), ":10052:2:");
    std::fs::write(&bad, good + "1.5,,c1\n").unwrap();
    assert_one_line_error(
        &run(&bad, &["--chunk-rows", "1000"]),
        "data row 10051 has a missing value",
    );
    let out = cartera(&["kmeans", s(&p), "--k", "3", "--chunk-rows", "7"]);
    assert_one_line_error(&out, "--algorithm minibatch");
    let out = cartera(&[
        "kmeans",
        s(&p),
        "--k",
        "2..4",
        "--algorithm",
        "minibatch",
        "--chunk-rows",
        "7",
    ]);
    assert_one_line_error(&out, "single k");
    // The first batch seeds the centres: it must hold k rows, and so must the file.
    assert_one_line_error(
        &run(&p, &["--chunk-rows", "7", "--batch-size", "2"]),
        "--batch-size` = 2: is below --k 3",
    );
    let few = tmp("blobs_two_rows.csv");
    std::fs::write(&few, "a,b\n1,2\n3,4\n").unwrap();
    assert_one_line_error(
        &run(&few, &["--chunk-rows", "7"]),
        "asks for 3 clusters, but",
    );
}

/// A generated telco table of `rows` rows.
fn telco(rows: usize, name: &str) -> PathBuf {
    let p = tmp(name);
    let out = cartera(&[
        "generate",
        "telco",
        "--rows",
        &rows.to_string(),
        "--seed",
        "5",
        "--out",
        s(&p),
    ]);
    assert!(out.status.success());
    p
}

/// `cartera train --model gbdt` on `p`, with extra flags; returns the metrics and the model
/// file's estimator.
fn train(p: &Path, name: &str, extra: &[&str]) -> (Value, Value) {
    let model = tmp(name);
    let mut args = vec![
        "train",
        s(p),
        "--target",
        "CHURN",
        "--model",
        "gbdt",
        "--n-estimators",
        "15",
        "--num-leaves",
        "7",
        "--seed",
        "2",
        "--out",
        s(&model),
        "--json",
        "-",
    ];
    args.extend_from_slice(extra);
    let m = ok_json(&args);
    let file: Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    (m, file)
}

const NUMERIC: &str = "NUM_RECARGAS_M1,MONTO_RECARGAS_M1,DIAS_DESDE_ULTIMA_RECARGA,\
                       MIN_LLAMADAS_SALIENTES,MB_DATOS,ANTIGUEDAD_MESES,NUM_RECLAMOS,\
                       NUM_LLAMADAS_SOPORTE,ARPU_PROMEDIO,SALDO_PROMEDIO";

#[test]
fn gbdt_from_chunks_equals_the_in_memory_model() {
    let p = telco(400, "telco_small.csv");
    let base = ["--columns", NUMERIC, "--valid-fraction", "0"];
    let (whole, whole_file) = train(&p, "whole.json", &base);
    let mut first: Option<Value> = None;
    for chunk in ["7", "1000"] {
        let mut args = base.to_vec();
        args.extend_from_slice(&["--chunk-rows", chunk]);
        let (m, file) = train(&p, &format!("chunks_{chunk}.json"), &args);
        // Every row is in the bin sample (400 < 200,000): the very same trees.
        assert_eq!(file["estimator"], whole_file["estimator"], "chunk {chunk}");
        assert_eq!(file["input_columns"], whole_file["input_columns"]);
        assert_eq!(m["auc"], whole["auc"]);
        assert_eq!(m["n_train"], 400);
        assert_eq!(m["stream"]["bin_bytes"].as_u64().unwrap() % 400, 0);
        if let Some(f) = &first {
            assert_eq!(f, &file, "chunking changed the model file");
        }
        first = Some(file);
    }
}

#[test]
fn gbdt_stream_with_validation_predicts_on_raw_rows() {
    let p = telco(600, "telco_valid.csv");
    let args = ["--valid-fraction", "0.25", "--early-stopping", "5"];
    let mut results = Vec::new();
    for chunk in ["7", "5000"] {
        let mut a = args.to_vec();
        a.extend_from_slice(&["--chunk-rows", chunk]);
        results.push(train(&p, &format!("valid_{chunk}.json"), &a));
    }
    let (m, file) = &results[0];
    assert_eq!(results[1].1, *file, "chunking changed the model");
    assert_eq!(results[1].0["auc"], m["auc"]);
    assert_eq!(m["metrics_on"], "validation");
    let n_valid = m["n_valid"].as_u64().unwrap();
    assert!((100..200).contains(&n_valid), "{n_valid}");
    assert_eq!(m["n_train"].as_u64().unwrap() + n_valid, 600);
    let features: Vec<&str> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!features.contains(&"IMEI"), "identifier left out");
    assert!(!features.contains(&"CHURN"));
    let left_out = m["stream"]["left_out_columns"].as_array().unwrap();
    assert!(left_out.iter().any(|c| c == "PLAN"), "{left_out:?}");
    assert!(m["auc"].as_f64().unwrap() > 0.6);
    // The saved model scores a CSV with `cartera predict` (raw values, no other argument).
    let scores = tmp("stream_scores.csv");
    let out = cartera(&[
        "predict",
        s(&tmp("valid_7.json")),
        s(&p),
        "--out",
        s(&scores),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = Table::read_csv(&scores, &CsvOptions::default()).unwrap();
    assert_eq!(t.n_rows(), 600);
}

#[test]
fn gbdt_stream_bad_input_is_one_line() {
    let p = telco(60, "telco_bad.csv");
    // Past the rows that fix the column types (10,000): a later bad value.
    let mut text = String::from("x1,x2,CHURN\n");
    for i in 0..10_050 {
        text.push_str(&format!("{},{}.25,{}\n", i % 13, i % 7, i % 2));
    }
    let good = text.clone();
    text.push_str("3,many,1\n");
    let bad = tmp("numbers_bad_tail.csv");
    std::fs::write(&bad, &text).unwrap();
    let model = tmp("bad.json");
    let run = |file: &Path, extra: &[&str]| {
        let mut a = vec![
            "train",
            s(file),
            "--target",
            "CHURN",
            "--model",
            "gbdt",
            "--out",
            s(&model),
            "--n-estimators",
            "2",
        ];
        a.extend_from_slice(extra);
        cartera(&a)
    };
    assert_one_line_error(&run(&bad, &["--chunk-rows", "1000"]), ":10052:2:");
    std::fs::write(&bad, good.clone() + "3,inf,1\n").unwrap();
    assert_one_line_error(
        &run(&bad, &["--chunk-rows", "1000"]),
        "data row 10051 holds inf",
    );
    std::fs::write(&bad, good + "3,1,\n").unwrap();
    assert_one_line_error(
        &run(&bad, &["--chunk-rows", "1000"]),
        "data row 10051 has no value",
    );
    assert_one_line_error(
        &run(&p, &["--chunk-rows", "7", "--columns", "PLAN"]),
        "numeric",
    );
    assert_one_line_error(
        &run(&p, &["--chunk-rows", "7", "--scale", "minmax"]),
        "--scale",
    );
    let out = cartera(&[
        "train",
        s(&p),
        "--target",
        "CHURN",
        "--model",
        "logistic",
        "--out",
        s(&model),
        "--chunk-rows",
        "7",
    ]);
    assert_one_line_error(&out, "gbdt only");
}
