//! Streaming a CSV in chunks (`--chunk-rows`): `cartera kmeans --algorithm minibatch` and
//! `cartera train --model gbdt` on small files with tiny chunks give what the in-memory code
//! gives on the same rows, and a bad later chunk is a one-line error naming its cell.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{assert_one_line_error, cartera, s, tmp};
use std::path::{Path, PathBuf};

use cartera_core::datasets::Blobs;
use cartera_kmeans::MiniBatchKMeansParams;
use cartera_preprocess::scale::StandardScaler;
use cartera_preprocess::{CsvOptions, Table};
use ndarray::{Array2, s as sl};
use serde_json::Value;

fn ok_json(args: &[&str]) -> Value {
    let out = cartera(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

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
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("1.5,oops,c1\n");
    let bad = tmp("blobs_bad_tail.csv");
    std::fs::write(&bad, text).unwrap();
    let out = cartera(&[
        "kmeans",
        s(&bad),
        "--k",
        "3",
        "--algorithm",
        "minibatch",
        "--chunk-rows",
        "7",
    ]);
    // Line 202 of the file (header + 200 rows + this one), column 2.
    assert_one_line_error(&out, ":202:2:");
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
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("1.5,,c1\n");
    std::fs::write(&bad, text).unwrap();
    let out = cartera(&[
        "kmeans",
        s(&bad),
        "--k",
        "3",
        "--algorithm",
        "minibatch",
        "--chunk-rows",
        "7",
    ]);
    assert_one_line_error(&out, "data row 201 has a missing value");
}
