#![allow(clippy::unwrap_used)] // tests: a panic is a failed test
//! `cartera silhouette` and the silhouette part of `cartera kmeans --k A..B`, seen from outside.

mod common;
use common::{assert_one_line_error, cartera, s, tmp};
use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `cartera generate blobs` into `name`, without its last column (the true `cluster`), so
/// that `cartera kmeans --out` can add its own.
fn blobs_without_labels(
    name: &str,
    rows: &str,
    features: &str,
    centers: &str,
    seed: &str,
) -> PathBuf {
    let with = tmp(&format!("with-{name}"));
    assert!(
        cartera(&[
            "generate",
            "blobs",
            "--rows",
            rows,
            "--features",
            features,
            "--centers",
            centers,
            "--seed",
            seed,
            "--out",
            s(&with),
        ])
        .status
        .success()
    );
    let text = std::fs::read_to_string(&with).unwrap();
    let stripped: String = text
        .lines()
        .map(|l| format!("{}\n", l.rsplit_once(',').unwrap().0))
        .collect();
    let p = tmp(name);
    std::fs::write(&p, stripped).unwrap();
    p
}

/// Three tight groups on a line, with labels in a second file (non-contiguous values).
fn small_files() -> (PathBuf, PathBuf) {
    let data = tmp("points.csv");
    let labels = tmp("labels.csv");
    std::fs::write(
        &data,
        "a,b,name\n0,0,x\n0,1,y\n10,0,z\n10,1,w\n20,0,v\n20,1,u\n",
    )
    .unwrap();
    std::fs::write(&labels, "id,cluster\n1,5\n2,5\n3,9\n4,9\n5,2\n6,2\n").unwrap();
    (data, labels)
}

#[test]
fn scores_a_labelled_file_as_the_library_does() {
    let (data, labels) = small_files();
    let per = tmp("per.csv");
    let v = ok_json(&cartera(&[
        "silhouette",
        s(&data),
        "--labels",
        s(&labels),
        "--json",
        "-",
        "--out",
        s(&per),
    ]));
    // By hand: each point's own-cluster distance is 1, the nearest other cluster's mean
    // distance is (10 + sqrt(101)) / 2.
    let b = (10.0 + 101f64.sqrt()) / 2.0;
    let want = (b - 1.0) / b;
    assert!(
        (v["silhouette"].as_f64().unwrap() - want).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(v["sampled"], false);
    assert_eq!(v["columns"], serde_json::json!(["a", "b"]));
    let per_cluster = v["per_cluster"].as_array().unwrap();
    let labels_seen: Vec<u64> = per_cluster
        .iter()
        .map(|c| c["label"].as_u64().unwrap())
        .collect();
    assert_eq!(labels_seen, vec![2, 5, 9]);
    assert!(per_cluster.iter().all(|c| c["size"] == 2));
    // Middle cluster: its nearest other cluster is as near as the outer ones' nearest.
    assert!((per_cluster[1]["mean"].as_f64().unwrap() - want).abs() < 1e-12);
    assert!(v["calinski_harabasz"].as_f64().unwrap() > 100.0);
    assert!(v["davies_bouldin"].as_f64().unwrap() < 0.2);
    assert!(v["fit_seconds"].as_f64().unwrap() >= 0.0);
    assert!(v["read_seconds"].as_f64().unwrap() >= 0.0);
    let text = std::fs::read_to_string(&per).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "row,cluster,silhouette");
    assert_eq!(lines.count(), 6);
}

#[test]
fn labels_from_kmeans_out_and_sampling() {
    let blobs = blobs_without_labels("blobs.csv", "3000", "4", "3", "2");
    let seg = tmp("blobs-seg.csv");
    let km = ok_json(&cartera(&[
        "kmeans",
        s(&blobs),
        "--k",
        "3",
        "--out",
        s(&seg),
        "--json",
        "-",
    ]));
    assert_eq!(km["k"], 3);
    // The kmeans output is both the data and the labels; its `cluster` column is not a feature.
    let exact = ok_json(&cartera(&[
        "silhouette",
        s(&seg),
        "--labels",
        s(&seg),
        "--json",
        "-",
    ]));
    let cols: Vec<&str> = exact["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(!cols.contains(&"cluster"), "{cols:?}");
    let e = exact["silhouette"].as_f64().unwrap();
    assert!(e > 0.3, "{e}");
    let est = ok_json(&cartera(&[
        "silhouette",
        s(&blobs),
        "--labels",
        s(&seg),
        "--columns",
        &cols.join(","),
        "--sample-size",
        "800",
        "--seed",
        "3",
        "--json",
        "-",
    ]));
    assert_eq!(est["sampled"], true);
    assert_eq!(est["sample_size"], 800);
    let (g, se) = (
        est["silhouette"].as_f64().unwrap(),
        est["silhouette_std_error"].as_f64().unwrap(),
    );
    assert!(
        se > 0.0 && (g - e).abs() < 5.0 * se + 1e-3,
        "{g} ± {se} vs {e}"
    );
    // Same seed, same estimate.
    let again = ok_json(&cartera(&[
        "silhouette",
        s(&blobs),
        "--labels",
        s(&seg),
        "--columns",
        &cols.join(","),
        "--sample-size",
        "800",
        "--seed",
        "3",
        "--json",
        "-",
    ]));
    assert_eq!(again["silhouette"], est["silhouette"]);
    // Scaling changes the space, hence the score.
    let scaled = ok_json(&cartera(&[
        "silhouette",
        s(&seg),
        "--labels",
        s(&seg),
        "--scale",
        "minmax",
        "--json",
        "-",
    ]));
    assert_ne!(scaled["silhouette"], exact["silhouette"]);
}

#[test]
fn generated_blobs_score_their_true_labels() {
    let blobs = tmp("true-blobs.csv");
    assert!(
        cartera(&[
            "generate",
            "blobs",
            "--rows",
            "900",
            "--features",
            "3",
            "--centers",
            "3",
            "--seed",
            "4",
            "--out",
            s(&blobs),
        ])
        .status
        .success()
    );
    let v = ok_json(&cartera(&[
        "silhouette",
        s(&blobs),
        "--labels",
        s(&blobs),
        "--json",
        "-",
    ]));
    assert_eq!(v["columns"], serde_json::json!(["x0", "x1", "x2"]));
    assert_eq!(v["per_cluster"].as_array().unwrap().len(), 3);
    assert!(v["silhouette"].as_f64().unwrap() > 0.5, "{v}");
}

#[test]
fn kmeans_range_reports_silhouettes_and_can_choose_by_them() {
    let blobs = blobs_without_labels("blobs4.csv", "1500", "3", "4", "5");
    let v = ok_json(&cartera(&[
        "kmeans",
        s(&blobs),
        "--k",
        "2..6",
        "--n-init",
        "3",
        "--choose",
        "silhouette",
        "--json",
        "-",
    ]));
    let points = v["elbow"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    let sil: Vec<f64> = points
        .iter()
        .map(|p| p["silhouette"].as_f64().unwrap())
        .collect();
    assert!(sil.iter().all(|s| (-1.0..=1.0).contains(s)), "{sil:?}");
    let best = 2 + sil
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |b, (i, &s)| if s > b.1 { (i, s) } else { b })
        .0;
    assert_eq!(v["k"], best);
    assert_eq!(v["best_silhouette_k"], best);
    assert_eq!(v["chosen_by"], "silhouette");
    assert_eq!(v["silhouette_method"]["sampled"], false);
    assert!(points.iter().all(|p| p["silhouette_std_error"] == 0.0));
    // The reported silhouette of the chosen k is the one `cartera silhouette` gives.
    let seg = tmp("blobs4-seg.csv");
    let v2 = ok_json(&cartera(&[
        "kmeans",
        s(&blobs),
        "--k",
        "2..6",
        "--n-init",
        "3",
        "--choose",
        "silhouette",
        "--out",
        s(&seg),
        "--json",
        "-",
    ]));
    assert_eq!(v2["k"], v["k"]);
    let sv = ok_json(&cartera(&[
        "silhouette",
        s(&seg),
        "--labels",
        s(&seg),
        "--json",
        "-",
    ]));
    assert_eq!(sv["silhouette"], points[best - 2]["silhouette"]);
    // The knee stays the default.
    let knee = ok_json(&cartera(&[
        "kmeans",
        s(&blobs),
        "--k",
        "2..6",
        "--n-init",
        "3",
        "--json",
        "-",
    ]));
    assert_eq!(knee["chosen_by"], "knee");
    assert_eq!(knee["k"], knee["knee"]);
}

#[test]
fn kmeans_range_samples_the_silhouette_above_20000_rows() {
    let big = blobs_without_labels("blobs-big.csv", "20500", "2", "3", "1");
    let v = ok_json(&cartera(&[
        "kmeans",
        s(&big),
        "--k",
        "2..3",
        "--n-init",
        "1",
        "--json",
        "-",
    ]));
    assert_eq!(v["silhouette_method"]["sampled"], true);
    assert_eq!(v["silhouette_method"]["sample_size"], 10000);
    let p = &v["elbow"][1];
    assert!(p["silhouette_std_error"].as_f64().unwrap() > 0.0, "{p}");
}

#[test]
fn bad_labels_are_one_line_errors() {
    let (data, _) = small_files();
    let write = |name: &str, text: &str| {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let neg = write("neg.csv", "cluster\n0\n0\n1\n-1\n2\n2\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&neg)]),
        "neg.csv:5:1: label -1 in column `cluster` is not a non-negative integer",
    );
    let frac = write("frac.csv", "x,cluster\n1,0\n1,0\n1,1.5\n1,1\n1,2\n1,2\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&frac)]),
        "frac.csv:4:2: label 1.5",
    );
    let text = write("text.csv", "cluster\ngold\ngold\nsilver\nsilver\nx\nx\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&text)]),
        "column `cluster` is",
    );
    let short = write("short.csv", "cluster\n0\n1\n1\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&short)]),
        "expected 6, found 3",
    );
    let one = write("one.csv", "cluster\n4\n4\n4\n4\n4\n4\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&one)]),
        "distinct cluster labels: needs at least 2, found 1",
    );
    let all = write("all.csv", "cluster\n0\n1\n2\n3\n4\n5\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&data), "--labels", s(&all)]),
        "6 clusters for 6 samples",
    );
    let good = write("good.csv", "cluster\n0\n0\n1\n1\n2\n2\n");
    assert_one_line_error(
        &cartera(&[
            "silhouette",
            s(&data),
            "--labels",
            s(&good),
            "--sample-size",
            "7",
        ]),
        "--sample-size",
    );
    assert_one_line_error(
        &cartera(&[
            "silhouette",
            s(&data),
            "--labels",
            s(&good),
            "--label-column",
            "seg",
        ]),
        "no column named `seg`",
    );
    assert_one_line_error(
        &cartera(&[
            "silhouette",
            s(&data),
            "--labels",
            s(&good),
            "--columns",
            "a,name",
        ]),
        "column `name` is",
    );
    let gap = write("gap.csv", "a,b\n0,0\n0,\n10,0\n10,1\n20,0\n20,1\n");
    assert_one_line_error(
        &cartera(&["silhouette", s(&gap), "--labels", s(&good)]),
        "has a missing value (the first at data row",
    );
}

/// A sample that misses a small cluster: the summary still counts every cluster of the labels
/// (it said 5 of 6), and a note says the sample lacks one.
#[test]
fn a_sample_missing_a_cluster_is_noted_and_the_count_is_of_all_rows() {
    let p = tmp("one_small_cluster.csv");
    let mut text = String::from("x,y,cluster\n");
    for i in 0..600 {
        let c = i % 2;
        text.push_str(&format!("{},{},{c}\n", c * 10 + i % 5, i % 3));
    }
    // Cluster 7: two rows of 602.
    text.push_str("50,50,7\n51,50,7\n");
    std::fs::write(&p, text).unwrap();
    let out = cartera(&[
        "silhouette",
        s(&p),
        "--labels",
        s(&p),
        "--sample-size",
        "50",
        "--seed",
        "1",
        "--json",
        "-",
    ]);
    let v = ok_json(&out);
    assert_eq!(v["n_clusters"], 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("602 rows, 3 clusters"), "{err}");
    assert!(err.contains("hold 2 of the 3 clusters"), "{err}");
}
