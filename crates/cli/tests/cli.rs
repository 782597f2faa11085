//! The `cartera` binary seen from outside: exit codes, one-line errors, generated files, and
//! `describe` against pandas' `describe()` fixtures (made by scripts/make_fixtures.sh).

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{cartera, repo, s, tmp};
use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// A failed command: exit code 1, exactly one stderr line starting with `error: `, no panic.
fn assert_one_line_error(out: &Output, contains: &str) {
    let err = common::one_line_error(out, contains);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn help_and_version() {
    let out = cartera(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("generate") && text.contains("describe"));
    let out = cartera(&["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("cartera "));
    // A usage error is clap's: exit code 2.
    assert_eq!(cartera(&["generate"]).status.code(), Some(2));
}

#[test]
fn generate_each_kind() {
    for (kind, cols) in [
        ("atm", 4),
        ("bank", 15),
        ("telco", 42),
        ("blobs", 3),
        ("classification", 21),
    ] {
        let path = tmp(&format!("{kind}.csv"));
        let out = cartera(&[
            "generate",
            kind,
            "--rows",
            "300",
            "--seed",
            "3",
            "--out",
            path.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 301, "{kind}");
        assert_eq!(
            text.lines().next().unwrap().split(',').count(),
            cols,
            "{kind}"
        );
    }
    let path = tmp("b5.csv");
    let out = cartera(&[
        "generate",
        "blobs",
        "--rows",
        "50",
        "--features",
        "5",
        "--centers",
        "4",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let header = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(header, "x0,x1,x2,x3,x4,cluster");
}

#[test]
fn generate_is_deterministic() {
    let a = tmp("det-a.csv");
    let b = tmp("det-b.csv");
    for p in [&a, &b] {
        assert!(
            cartera(&[
                "generate",
                "telco",
                "--rows",
                "2000",
                "--seed",
                "9",
                "--out",
                p.to_str().unwrap()
            ])
            .status
            .success()
        );
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn bad_generate_requests_are_one_line_errors() {
    let p = tmp("never.csv");
    let p = p.to_str().unwrap();
    assert_one_line_error(
        &cartera(&["generate", "telco", "--rows", "0", "--out", p]),
        "n_rows",
    );
    assert_one_line_error(
        &cartera(&["generate", "blobs", "--centers", "0", "--out", p]),
        "centers",
    );
    assert_one_line_error(
        &cartera(&["generate", "telco", "--features", "3", "--out", p]),
        "--features",
    );
    assert_one_line_error(
        &cartera(&[
            "generate",
            "atm",
            "--rows",
            "10",
            "--out",
            "/no/such/dir/x.csv",
        ]),
        "/no/such/dir/x.csv",
    );
}

#[test]
fn bad_describe_inputs_are_one_line_errors() {
    assert_one_line_error(
        &cartera(&["describe", "/no/such/file.csv"]),
        "/no/such/file.csv",
    );
    let ragged = tmp("ragged.csv");
    std::fs::write(&ragged, "a,b\n1,2\n3\n").unwrap();
    assert_one_line_error(
        &cartera(&["describe", ragged.to_str().unwrap()]),
        ":3:0: expected 2 fields",
    );
    let ok = tmp("ok.csv");
    std::fs::write(&ok, "a,b\n1,2\n3,x\n").unwrap();
    let ok = ok.to_str().unwrap();
    assert_one_line_error(
        &cartera(&["describe", ok, "--delimiter", "::"]),
        "unknown delimiter",
    );
    assert_one_line_error(
        &cartera(&["describe", ok, "--type", "b=numeric"]),
        "`x` is not a number",
    );
    assert_one_line_error(&cartera(&["describe", ok, "--type", "b"]), "NAME=");
    assert_one_line_error(
        &cartera(&["describe", ok, "--type", "c=text"]),
        "no column named `c`",
    );
    let latin1 = tmp("latin1.csv");
    std::fs::write(&latin1, b"nombre\nJos\xe9\n").unwrap();
    assert_one_line_error(&cartera(&["describe", latin1.to_str().unwrap()]), "UTF-8");
}

fn describe_json(path: &Path) -> Value {
    let out = cartera(&["describe", path.to_str().unwrap(), "--json", "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json - prints only JSON")
}

fn close(a: f64, b: f64) -> bool {
    // 1e-9 relative, with a tiny absolute floor for values that are exactly or nearly zero.
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-12
}

/// Compare `cartera describe --json` with a pandas fixture, column by column.
fn assert_matches_fixture(csv: &Path, fixture: &str) {
    let ours = describe_json(csv);
    let text = std::fs::read_to_string(repo().join("tests/fixtures").join(fixture))
        .expect("fixture exists");
    let theirs: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ours["rows"], theirs["rows"]);
    let ours = ours["columns"].as_array().unwrap();
    let theirs = theirs["columns"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    let mut compared = 0;
    for (o, t) in ours.iter().zip(theirs) {
        let name = t["name"].as_str().unwrap();
        assert_eq!(o["name"], t["name"]);
        for key in ["count", "missing", "unique"] {
            assert_eq!(o[key], t[key], "{fixture}: {name}.{key}");
        }
        let numeric = t["numeric"].as_bool().unwrap();
        assert_eq!(o["type"] == "numeric", numeric, "{fixture}: type of {name}");
        if numeric {
            for key in ["mean", "std", "min", "25%", "50%", "75%", "max"] {
                match (o.get(key).and_then(Value::as_f64), t[key].as_f64()) {
                    (Some(a), Some(b)) => assert!(
                        close(a, b),
                        "{fixture}: {name}.{key}: cartera {a} vs pandas {b}"
                    ),
                    (None, None) => {}
                    (a, b) => panic!("{fixture}: {name}.{key}: cartera {a:?} vs pandas {b:?}"),
                }
                compared += 1;
            }
        } else if let Some(freq) = t.get("freq") {
            assert_eq!(&o["freq"], freq, "{fixture}: {name}.freq");
            if t["top_tied"] == false {
                assert_eq!(o["top"], t["top"], "{fixture}: {name}.top");
            }
        }
    }
    assert!(compared > 0);
}

#[test]
fn describe_generated_telco_matches_pandas() {
    let path = tmp("telco-20000-7.csv");
    let out = cartera(&[
        "generate",
        "telco",
        "--rows",
        "20000",
        "--seed",
        "7",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert_matches_fixture(&path, "describe_telco_20000_seed7.json");
}

#[test]
fn describe_real_data_matches_pandas() {
    let data = repo().join("data");
    assert_matches_fixture(
        &data.join("universal_bank.csv"),
        "describe_universal_bank.json",
    );
    assert_matches_fixture(
        &data.join("telco_customer_churn.csv"),
        "describe_telco_customer_churn.json",
    );
    assert_matches_fixture(
        &data.join("eastwest_airlines_cluster.csv"),
        "describe_eastwest_airlines.json",
    );
}

/// credit_scoring.csv is GPL-3 and not copied into the repository: compared when the shared
/// data folder sits next to the clone (as on CI), reported and skipped otherwise.
#[test]
fn describe_credit_scoring_matches_pandas_when_available() {
    let path = repo().join("../shared/data/credit_scoring.csv");
    if !path.exists() {
        eprintln!("skipped: {} not present", path.display());
        return;
    }
    assert_matches_fixture(&path, "describe_credit_scoring.json");
}

#[test]
fn describe_json_reports_timings() {
    let v = describe_json(&repo().join("data/universal_bank.csv"));
    assert!(v["read_seconds"].as_f64().unwrap() >= 0.0);
    assert!(v["describe_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(v["rows"], 5000);
}

fn csv_header(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect()
}

#[test]
fn prep_fits_saves_and_applies_a_pipeline() {
    let month1 = tmp("prep-m1.csv");
    let month2 = tmp("prep-m2.csv");
    for (p, seed) in [(&month1, "1"), (&month2, "2")] {
        assert!(
            cartera(&[
                "generate",
                "telco",
                "--rows",
                "5000",
                "--seed",
                seed,
                "--out",
                p.to_str().unwrap()
            ])
            .status
            .success()
        );
    }
    let out1 = tmp("prep-o1.csv");
    let out2 = tmp("prep-o2.csv");
    let pipe = tmp("prep-p.json");
    let out = cartera(&[
        "prep",
        month1.to_str().unwrap(),
        "--out",
        out1.to_str().unwrap(),
        "--drop-duplicates",
        "--sentinel",
        "DIAS_FRECUENCIA_RECARGA=9999",
        "--drop-id-columns",
        "--impute",
        "median",
        "--outliers",
        "clip",
        "--scale",
        "robust",
        "--one-hot",
        "--unknown-categories",
        "ignore",
        "--keep-row-index",
        "--save-pipeline",
        pipe.to_str().unwrap(),
        "--json",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["mode"], "fit");
    assert_eq!(summary["rows_in"], 5000);
    assert_eq!(summary["duplicates_removed"], 25);
    assert!(summary["sentinel_replacements"][0][1].as_u64().unwrap() > 0);
    assert_eq!(summary["dropped_columns"][0]["name"], "IMEI");
    assert!(summary["prep_seconds"].as_f64().unwrap() >= 0.0);
    let header = csv_header(&out1);
    assert!(header.contains(&"row_index".to_string()));
    assert!(header.contains(&"PLAN_PREPAGO DATOS".to_string()));

    let out = cartera(&[
        "prep",
        month2.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--apply-pipeline",
        pipe.to_str().unwrap(),
        "--json",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["mode"], "apply");
    assert_eq!(
        csv_header(&out2),
        csv_header(&out1)[..csv_header(&out1).len() - 1].to_vec()
    );
}

#[test]
fn prep_pca_on_real_data() {
    let out = tmp("prep-bank.csv");
    let res = cartera(&[
        "prep",
        repo().join("data/universal_bank.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--drop-id-columns",
        "--columns",
        "Age,Experience,Income,Family,CCAvg,Mortgage",
        "--scale",
        "standard",
        "--pca",
        "0.9",
        "--json",
        "-",
    ]);
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let summary: Value = serde_json::from_slice(&res.stdout).unwrap();
    let ratios: Vec<f64> = summary["explained_variance_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(ratios.iter().sum::<f64>() >= 0.9);
    let header = csv_header(&out);
    assert!(header.contains(&"PC1".to_string()) && !header.contains(&"Income".to_string()));
    // Passthrough columns stay: the target is still there, the ID is gone.
    assert!(header.contains(&"Personal Loan".to_string()) && !header.contains(&"ID".to_string()));
}

#[test]
fn bad_prep_requests_are_one_line_errors() {
    let input = repo().join("data/universal_bank.csv");
    let input = input.to_str().unwrap();
    let out = tmp("never-prep.csv");
    let out = out.to_str().unwrap();
    assert_one_line_error(
        &cartera(&["prep", input, "--out", out, "--pca", "0"]),
        "--pca",
    );
    assert_one_line_error(
        &cartera(&["prep", input, "--out", out, "--pca", "1.5"]),
        "--pca",
    );
    assert_one_line_error(
        &cartera(&["prep", input, "--out", out, "--sentinel", "Age"]),
        "COL=VALUE",
    );
    assert_one_line_error(
        &cartera(&["prep", input, "--out", out, "--columns", "Agee"]),
        "no column named `Agee`",
    );
    let truncated = tmp("truncated.json");
    std::fs::write(&truncated, "{\"format\": \"cartera-pipel").unwrap();
    assert_one_line_error(
        &cartera(&[
            "prep",
            input,
            "--out",
            out,
            "--apply-pipeline",
            truncated.to_str().unwrap(),
        ]),
        "truncated",
    );
    assert_one_line_error(
        &cartera(&[
            "prep",
            input,
            "--out",
            out,
            "--apply-pipeline",
            truncated.to_str().unwrap(),
            "--scale",
            "standard",
        ]),
        "remove --scale",
    );
    // A pipeline fitted on one table refuses a table with other columns, naming the column.
    let pipe = tmp("bank-pipe.json");
    assert!(
        cartera(&[
            "prep",
            input,
            "--out",
            out,
            "--scale",
            "minmax",
            "--save-pipeline",
            pipe.to_str().unwrap()
        ])
        .status
        .success()
    );
    let airline = repo().join("data/eastwest_airlines_cluster.csv");
    assert_one_line_error(
        &cartera(&[
            "prep",
            airline.to_str().unwrap(),
            "--out",
            out,
            "--apply-pipeline",
            pipe.to_str().unwrap(),
        ]),
        "no column named `ID`",
    );
}

#[test]
fn kmeans_segments_atm_customers_as_study_002() {
    let atm = tmp("km-atm.csv");
    assert!(
        cartera(&[
            "generate",
            "atm",
            "--rows",
            "1000",
            "--seed",
            "0",
            "--out",
            atm.to_str().unwrap()
        ])
        .status
        .success()
    );
    let seg = tmp("km-atm-seg.csv");
    let out = cartera(&[
        "kmeans",
        atm.to_str().unwrap(),
        "--columns",
        "TransactionFrequency,AverageTransactionAmount",
        "--k",
        "3",
        "--n-init",
        "10",
        "--seed",
        "0",
        "--scale",
        "standard",
        "--out",
        seg.to_str().unwrap(),
        "--json",
        "-",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["k"], 3);
    let sizes: Vec<u64> = s["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(sizes.iter().sum::<u64>(), 1000);
    assert!(sizes.iter().all(|&n| n > 100), "{sizes:?}");
    assert_eq!(s["centroids_original"].as_array().unwrap().len(), 3);
    assert!(s["fit_seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(csv_header(&seg).last().unwrap(), "cluster");

    let out = cartera(&[
        "kmeans",
        atm.to_str().unwrap(),
        "--columns",
        "TransactionFrequency,AverageTransactionAmount",
        "--k",
        "2..8",
        "--scale",
        "standard",
        "--json",
        "-",
    ]);
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["knee"], 3);
    assert_eq!(s["elbow"].as_array().unwrap().len(), 7);
}

/// A file that already has a `cluster` column (the truth written by `generate blobs`, or an
/// earlier run's labels): the default features leave it out, and `--out` replaces it instead
/// of failing, so a labelled file can be clustered again.
#[test]
fn kmeans_leaves_out_and_replaces_an_existing_cluster_column() {
    let input = tmp("labelled-blobs.csv");
    let out = cartera(&[
        "generate",
        "blobs",
        "--rows",
        "600",
        "--features",
        "3",
        "--centers",
        "3",
        "--seed",
        "4",
        "--out",
        input.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let first = tmp("labelled-blobs-out.csv");
    let run = |inp: &Path, out: &Path| -> (Value, String) {
        let o = cartera(&[
            "kmeans",
            s(inp),
            "--k",
            "3",
            "--seed",
            "0",
            "--out",
            s(out),
            "--json",
            "-",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            serde_json::from_slice(&o.stdout).unwrap(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (v, err) = run(&input, &first);
    assert_eq!(v["columns"], serde_json::json!(["x0", "x1", "x2"]));
    assert!(err.contains("`cluster` column is replaced"), "{err}");
    let text = std::fs::read_to_string(&first).unwrap();
    let header = text.lines().next().unwrap();
    assert_eq!(header, "x0,x1,x2,cluster");
    assert_eq!(text.lines().count(), 601);
    // Clustering the output again gives the same segments (its labels are not a feature).
    let second = tmp("labelled-blobs-out2.csv");
    let (v2, _) = run(&first, &second);
    assert_eq!(v2["inertia"], v["inertia"]);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), text);
}

#[test]
fn bad_kmeans_requests_are_one_line_errors() {
    let telco = tmp("km-telco.csv");
    assert!(
        cartera(&[
            "generate",
            "telco",
            "--rows",
            "500",
            "--seed",
            "1",
            "--out",
            telco.to_str().unwrap()
        ])
        .status
        .success()
    );
    let t = telco.to_str().unwrap();
    assert_one_line_error(&cartera(&["kmeans", t, "--k", "0"]), "--k");
    assert_one_line_error(&cartera(&["kmeans", t, "--k", "5..2"]), "--k");
    assert_one_line_error(
        &cartera(&["kmeans", t, "--k", "3", "--columns", "PLAN"]),
        "column `PLAN` is categorical",
    );
    assert_one_line_error(
        &cartera(&["kmeans", t, "--k", "3", "--columns", "SALDO_PROMEDIO"]),
        "impute first",
    );
    let tiny = tmp("km-tiny.csv");
    std::fs::write(&tiny, "a,b\n1,2\n3,4\n5,6\n").unwrap();
    assert_one_line_error(
        &cartera(&["kmeans", tiny.to_str().unwrap(), "--k", "10"]),
        "",
    );
}

/// `prep --one-hot` without `--columns` encodes every categorical column, an outcome included:
/// a note names them; with `--columns` the user chose, and nothing is said.
#[test]
fn prep_one_hot_names_the_columns_it_encoded() {
    let data = tmp("onehot_in.csv");
    let rows: String = (0..30)
        .map(|i| {
            let plan = ["basic", "pro", "plus"][i % 3];
            let churn = ["yes", "no"][i % 2];
            format!("{},{plan},{churn}\n", 20 + i)
        })
        .collect();
    std::fs::write(&data, format!("age,plan,churn\n{rows}")).unwrap();
    let out = cartera(&[
        "prep",
        s(&data),
        "--one-hot",
        "--out",
        s(&tmp("onehot_out.csv")),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("every categorical column (plan, churn)"),
        "{err}"
    );
    let out = cartera(&[
        "prep",
        s(&data),
        "--one-hot",
        "--columns",
        "age,plan",
        "--out",
        s(&tmp("onehot_out2.csv")),
    ]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note: --one-hot"));
    // --exclude keeps the outcome out (passed through as read, no note); --drop-first leaves
    // out each feature's first category.
    let out = cartera(&[
        "prep",
        s(&data),
        "--one-hot",
        "--drop-first",
        "--exclude",
        "churn",
        "--out",
        "-",
    ]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note: --one-hot"));
    let csv = String::from_utf8_lossy(&out.stdout);
    let header = csv.lines().next().unwrap();
    assert_eq!(header, "age,plan_plus,plan_pro,churn", "{csv}");
    assert_eq!(csv.lines().nth(1).unwrap(), "20,0,0,yes", "{csv}");
    let out = cartera(&["prep", s(&data), "--drop-first", "--out", "-"]);
    assert!(!out.status.success(), "--drop-first needs --one-hot");
}

/// Robust scaling leaves a column with an interquartile range of 0 unscaled (as scikit-learn):
/// on the airline members, `Qual_miles` is 0 for most members, and a note names it.
#[test]
fn kmeans_robust_scaling_names_the_columns_it_left_unscaled() {
    let data = repo().join("data/eastwest_airlines_cluster.csv");
    let out = cartera(&["kmeans", s(&data), "--k", "4", "--scale", "robust"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let note = err
        .lines()
        .find(|l| l.starts_with("note: robust scaling left"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        note.contains("Qual_miles") && !note.contains("Balance"),
        "{note}"
    );
    let out = cartera(&["kmeans", s(&data), "--k", "4", "--scale", "standard"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("robust scaling left"));
}

/// `cartera describe big.csv | head`: when the reader of stdout has gone, the command stops
/// quietly with the status of a process killed by SIGPIPE (141), not an "internal error".
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_is_not_an_internal_error() {
    use std::process::{Command, Stdio};
    let csv = tmp("pipe.csv");
    let mut text = String::from("a,b\n");
    for i in 0..20_000 {
        text.push_str(&format!("{i},{}\n", i % 7));
    }
    std::fs::write(&csv, text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cartera"))
        .args(["describe", s(&csv)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cartera binary runs");
    // Close the read end before the command prints anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("internal error"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

/// `--no-header` (pandas' `header=None`): every line is data, the columns are `0`, `1`, ...,
/// and the same file with a header line gives the same clusters.
#[test]
fn a_headerless_file_reads_with_numbered_columns() {
    let mut body = String::new();
    for i in 0..60 {
        let g = (i % 3) as f64;
        body.push_str(&format!(
            "{};{}\n",
            1.0 + 10.0 * g + (i % 7) as f64 * 0.1,
            g + 0.5 + 0.01 * i as f64
        ));
    }
    let bare = tmp("no_header.csv");
    std::fs::write(&bare, &body).unwrap();
    let named = tmp("with_header.csv");
    std::fs::write(&named, format!("spend;visits\n{body}")).unwrap();
    let kmeans = |path: &Path, extra: &[&str]| {
        let mut a = vec!["kmeans", s(path), "--k", "3", "--seed", "0", "--json", "-"];
        a.extend_from_slice(extra);
        common::ok_json(&a)
    };
    let bare_fit = kmeans(&bare, &["--no-header", "--columns", "0,1"]);
    let named_fit = kmeans(&named, &[]);
    assert_eq!(bare_fit["columns"], serde_json::json!(["0", "1"]));
    assert_eq!(bare_fit["sizes"], named_fit["sizes"]);
    assert_eq!(bare_fit["inertia"], named_fit["inertia"]);
    // Streamed in chunks, the same numbered columns and every row.
    let streamed = kmeans(
        &bare,
        &[
            "--no-header",
            "--columns",
            "0,1",
            "--chunk-rows",
            "16",
            "--algorithm",
            "minibatch",
        ],
    );
    assert_eq!(streamed["columns"], serde_json::json!(["0", "1"]));
    let sizes: u64 = streamed["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 60);
    // Without the flag the first line is taken for the header: one row fewer.
    let d = describe_json_args(&[s(&bare)]);
    let d_bare = describe_json_args(&[s(&bare), "--no-header"]);
    assert_eq!(
        d["rows"].as_u64().unwrap() + 1,
        d_bare["rows"].as_u64().unwrap()
    );
    // A column named by its header name does not exist without one: one line naming it.
    assert_one_line_error(
        &cartera(&[
            "kmeans",
            s(&bare),
            "--no-header",
            "--k",
            "3",
            "--columns",
            "spend",
        ]),
        "spend",
    );
}

fn describe_json_args(args: &[&str]) -> Value {
    let mut a = vec!["describe"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--json", "-"]);
    common::ok_json(&a)
}
