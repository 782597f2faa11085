//! `cartera kmeans --precision f32|f64` and the timing keys of the `--k A..B` path: the f32
//! fit finds the f64 clustering (inertia within 1e-3 relative), the JSON says which precision
//! ran, the elbow JSON splits its time into K-Means fits and silhouettes, and a bad
//! `--precision` (or one the streamed path cannot run) is a clear error.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{assert_one_line_error, cartera, ok_json, s, tmp};
use std::path::PathBuf;

use serde_json::Value;

/// 3,000 rows of 4 well-separated blobs in 5 columns (`x0..x4`, plus the generator's
/// `cluster` column, which the tests leave out with `--columns`).
fn blobs_csv(name: &str) -> PathBuf {
    let p = tmp(name);
    let out = cartera(&[
        "generate",
        "blobs",
        "--rows",
        "3000",
        "--features",
        "5",
        "--centers",
        "4",
        "--cluster-std",
        "1.5",
        "--seed",
        "3",
        "--out",
        s(&p),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    p
}

const COLUMNS: &str = "x0,x1,x2,x3,x4";

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn f32_fit_matches_f64_and_json_names_the_precision() {
    let p = blobs_csv("precision.csv");
    for algorithm in ["lloyd", "elkan", "minibatch"] {
        let run = |precision: Option<&str>| {
            let mut args = vec![
                "kmeans",
                s(&p),
                "--columns",
                COLUMNS,
                "--k",
                "4",
                "--n-init",
                "3",
                "--algorithm",
                algorithm,
                "--json",
                "-",
            ];
            if let Some(precision) = precision {
                args.extend(["--precision", precision]);
            }
            ok_json(&args)
        };
        let default = run(None);
        let f64_run = run(Some("f64"));
        let f32_run = run(Some("f32"));
        assert_eq!(default["precision"], "f64", "{algorithm}: the default");
        assert_eq!(f64_run["precision"], "f64");
        assert_eq!(f32_run["precision"], "f32");
        let (i64_, i32_) = (
            f64_run["inertia"].as_f64().unwrap(),
            f32_run["inertia"].as_f64().unwrap(),
        );
        assert!(i64_ > 0.0);
        assert!(
            relative(i32_, i64_) < 1e-3,
            "{algorithm}: f32 inertia {i32_} vs f64 {i64_}"
        );
        // Four well-separated blobs: both precisions find the same segment sizes.
        let sizes = |v: &Value| {
            let mut s: Vec<u64> = v["sizes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            s.sort_unstable();
            s
        };
        assert_eq!(sizes(&f32_run), sizes(&f64_run), "{algorithm}");
        assert_eq!(sizes(&f32_run).iter().sum::<u64>(), 3000);
        // Mini-batch reports its steps (batches); full-batch fits do not.
        for v in [&f64_run, &f32_run] {
            match algorithm {
                "minibatch" => assert!(v["n_steps"].as_u64().unwrap() >= 1, "{v}"),
                _ => assert!(v.get("n_steps").is_none(), "{v}"),
            }
        }
        // JSON numbers stay f64 numbers: centroids are arrays of numbers either way.
        assert_eq!(f32_run["centroids"].as_array().unwrap().len(), 4);
        assert!(f32_run["centroids"][0][0].is_f64());
    }
}

#[test]
fn elbow_json_splits_fit_time_into_kmeans_and_silhouettes() {
    let p = blobs_csv("elbow.csv");
    let run = |precision: &str| {
        ok_json(&[
            "kmeans",
            s(&p),
            "--columns",
            COLUMNS,
            "--k",
            "2..6",
            "--n-init",
            "2",
            "--precision",
            precision,
            "--json",
            "-",
        ])
    };
    let v64 = run("f64");
    let v32 = run("f32");
    for v in [&v64, &v32] {
        let fit = v["fit_seconds"].as_f64().unwrap();
        let elbow = v["elbow_seconds"].as_f64().unwrap();
        let sil = v["silhouette_seconds"].as_f64().unwrap();
        assert!(elbow > 0.0 && sil > 0.0, "{v}");
        // Both parts are inside the total (which also holds the knee and bookkeeping).
        assert!(elbow + sil <= fit + 1e-9, "{elbow} + {sil} > {fit}");
        assert_eq!(v["elbow"].as_array().unwrap().len(), 5);
    }
    assert_eq!(v32["precision"], "f32");
    assert_eq!(v32["k"], v64["k"]);
    assert_eq!(v32["knee"], v64["knee"]);
    for (a, b) in v32["elbow"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v64["elbow"].as_array().unwrap())
    {
        let (a, b) = (
            a["inertia"].as_f64().unwrap(),
            b["inertia"].as_f64().unwrap(),
        );
        assert!(relative(a, b) < 1e-3, "k = {}: {a} vs {b}", v64["k"]);
    }
    // A single k has no elbow and so no elbow timings.
    let single = ok_json(&[
        "kmeans",
        s(&p),
        "--columns",
        COLUMNS,
        "--k",
        "3",
        "--json",
        "-",
    ]);
    assert!(single.get("elbow_seconds").is_none());
    assert!(single["scale_seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn bad_precision_requests_are_clear_errors() {
    let p = blobs_csv("bad.csv");
    let out = cartera(&["kmeans", s(&p), "--k", "3", "--precision", "f16"]);
    let err = String::from_utf8_lossy(&out.stderr);
    // clap's own refusal: exit code 2, naming the flag, the value and the choices.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--precision") && err.contains("f16"), "{err}");
    assert!(err.contains("f64") && err.contains("f32"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The streamed path runs in f64 only: refused, naming both flags.
    let streamed = |precision: &str| {
        cartera(&[
            "kmeans",
            s(&p),
            "--columns",
            COLUMNS,
            "--k",
            "3",
            "--algorithm",
            "minibatch",
            "--chunk-rows",
            "500",
            "--precision",
            precision,
        ])
    };
    assert_one_line_error(&streamed("f32"), "--chunk-rows");
    // f64 with --chunk-rows stays allowed.
    assert!(streamed("f64").status.success());
}
