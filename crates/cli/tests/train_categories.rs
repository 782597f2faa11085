//! `cartera train` with a category that a single row holds: whichever side of the internal
//! train/validation split that row lands on, training succeeds. A category only the validation
//! rows hold is scored as no known category (all one-hot columns 0), and the note naming it
//! counts rows as data rows of the file; the saved model still rejects it in `predict`.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{cartera, one_line_error, s, tmp};
use std::path::PathBuf;

/// The data row (1-based, header not counted) holding the only `vip` plan.
const RARE_ROW: usize = 137;

/// 240 rows: a numeric `x`, a `plan` with three common categories and one `vip` at
/// [`RARE_ROW`], and a 0/1 target `y` that depends on both, with overlap.
fn rare_category_csv(name: &str) -> PathBuf {
    let plans = ["basic", "plus", "pro"];
    let mut text = String::from("x,plan,y\n");
    for row in 1..=240usize {
        let plan = if row == RARE_ROW {
            "vip"
        } else {
            plans[row % 3]
        };
        let x = (row * 37 % 101) as f64 / 10.0;
        // A deterministic scramble keeps the classes overlapping (no separable fit).
        let y = u8::from((row * 7_919 % 13) < 4 + 2 * (row % 3) + usize::from(x > 5.0));
        text.push_str(&format!("{x},{plan},{y}\n"));
    }
    let p = tmp(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_category_held_by_one_row_trains_with_every_seed() {
    let data = rare_category_csv("rare.csv");
    let note = format!("category \"vip\" only in validation rows (data row {RARE_ROW})");
    for model in ["logistic", "gbdt"] {
        let mut held_out = Vec::new();
        for seed in 0..12u64 {
            let path = tmp(&format!("rare_{model}_{seed}.json"));
            let out = cartera(&[
                "train",
                s(&data),
                "--target",
                "y",
                "--model",
                model,
                if model == "gbdt" {
                    "--n-estimators"
                } else {
                    "--max-iter"
                },
                if model == "gbdt" { "10" } else { "100" },
                "--seed",
                &seed.to_string(),
                "--out",
                s(&path),
                "--json",
                "-",
            ]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{model} seed {seed}: {err}");
            let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(m["metrics_on"], "validation", "{model} seed {seed}");
            assert_eq!(
                m["n_train"].as_u64().unwrap() + m["n_valid"].as_u64().unwrap(),
                240
            );
            if err.contains(&note) {
                held_out.push((seed, path));
            }
        }
        // Otherwise the seeds above never exercise the failing case and the test proves
        // nothing.
        assert!(
            !held_out.is_empty(),
            "{model}: no seed put row {RARE_ROW} in the validation part"
        );
        // The saved model keeps rejecting a category it never saw, as before.
        let (seed, path) = &held_out[0];
        let out = cartera(&[
            "predict",
            s(path),
            s(&data),
            "--out",
            s(&tmp(&format!("rare_{model}_{seed}.csv"))),
        ]);
        one_line_error(&out, "\"vip\"");
    }
}
