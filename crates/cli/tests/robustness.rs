//! Inputs and outputs an analyst meets in practice, from a QA pass of the command line: the
//! CSV on stdout, one customer scored with a saved model, the input named as the output of a
//! streamed fit, a closed pipe, a curve without a knee, a `--positive` value the column never
//! holds, an infinite value, and boosting that grows no tree.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{assert_one_line_error, cartera, ok, ok_json, repo, s, tmp};

/// A small blob table written by `cartera generate`.
fn blobs(name: &str, rows: usize) -> std::path::PathBuf {
    let p = tmp(name);
    ok(&[
        "generate",
        "blobs",
        "--rows",
        &rows.to_string(),
        "--seed",
        "1",
        "--out",
        s(&p),
    ]);
    p
}

/// 40 scored rows with a text outcome: `score` from 0 to 0.975, `churn` `Yes` on every third.
fn outcome_csv(name: &str) -> std::path::PathBuf {
    let p = tmp(name);
    let mut csv = String::from("score,churn\n");
    for i in 0..40 {
        csv += &format!(
            "{},{}\n",
            f64::from(i) / 40.0,
            if i % 3 == 0 { "Yes" } else { "No" }
        );
    }
    std::fs::write(&p, csv).unwrap();
    p
}

#[test]
fn out_dash_writes_the_csv_to_stdout_and_not_with_json_dash() {
    let p = blobs("stdout.csv", 300);
    let out = ok(&["kmeans", s(&p), "--k", "3", "--out", "-"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("x0,x1,cluster\n"), "{text}");
    assert_eq!(text.lines().count(), 301);
    assert!(!std::path::Path::new("-").exists());
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "3", "--out", "-", "--json", "-"]),
        "`--json -` already writes to stdout",
    );
    assert_one_line_error(
        &cartera(&[
            "train",
            s(&p),
            "--target",
            "x0",
            "--model",
            "gbdt",
            "--out",
            "-",
        ]),
        "the model file needs a path",
    );
}

#[test]
fn a_streamed_fit_refuses_its_input_as_output_and_leaves_it_whole() {
    let p = blobs("same.csv", 3000);
    let before = std::fs::read(&p).unwrap();
    for out in [
        s(&p).to_string(),
        format!("{}/./same.csv", s(p.parent().unwrap())),
    ] {
        assert_one_line_error(
            &cartera(&[
                "kmeans",
                s(&p),
                "--k",
                "3",
                "--algorithm",
                "minibatch",
                "--chunk-rows",
                "1000",
                "--out",
                &out,
            ]),
            "is the input file",
        );
        assert_eq!(std::fs::read(&p).unwrap(), before);
    }
}

#[test]
fn a_closed_pipe_ends_a_csv_write_quietly_with_141() {
    let p = blobs("pipe.csv", 100_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cartera"))
        .args(["kmeans", s(&p), "--k", "2", "--out", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then hang up, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141), "stderr: {err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn one_customer_is_scored_with_the_types_of_the_training_table() {
    let telco = repo().join("data/telco_customer_churn.csv");
    let text = std::fs::read_to_string(&telco).unwrap();
    let mut lines = text.lines();
    let one = tmp("one_customer.csv");
    std::fs::write(
        &one,
        format!("{}\n{}\n", lines.next().unwrap(), lines.next().unwrap()),
    )
    .unwrap();
    for (model, extra) in [
        ("gbdt", &["--n-estimators", "20"][..]),
        ("logistic", &[][..]),
    ] {
        let m = tmp(&format!("telco_{model}.json"));
        let base = [
            "train",
            s(&telco),
            "--target",
            "Churn",
            "--model",
            model,
            "--out",
            s(&m),
        ];
        let out = ok(&[&base[..], extra].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let scored = cartera(&["predict", s(&m), s(&one), "--out", "-"]);
        assert!(
            scored.status.success(),
            "{model}: {}",
            String::from_utf8_lossy(&scored.stderr)
        );
        let csv = String::from_utf8(scored.stdout).unwrap();
        assert_eq!(csv.lines().count(), 2, "{csv}");
        assert!(csv.lines().next().unwrap().ends_with(",score,predicted"));
    }
}

#[test]
fn a_curve_without_a_knee_is_decided_by_the_silhouette() {
    let p = blobs("knee.csv", 400);
    // Two k: Kneedle needs a bend, which two points cannot have.
    let v = ok_json(&["kmeans", s(&p), "--k", "2..3", "--json", "-"]);
    assert_eq!(v["knee"], serde_json::Value::Null);
    assert_eq!(v["chosen_by"], "silhouette (no knee)");
    assert_eq!(v["k"], v["best_silhouette_k"]);
}

#[test]
fn a_positive_value_the_outcome_never_holds_is_an_error() {
    let p = outcome_csv("outcome.csv");
    let base = ["--score-column", "score", "--outcome-column", "churn"];
    let ok = cartera(&[&["gains", s(&p)][..], &base, &["--positive", "Yes"]].concat());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_one_line_error(
        &cartera(&[&["gains", s(&p)][..], &base, &["--positive", "yes"]].concat()),
        "is not a value of `churn` (its values: Yes, No)",
    );
}

#[test]
fn an_infinite_value_is_named_by_column_and_data_row() {
    let p = tmp("inf.csv");
    let mut csv = String::from("a,b,y\n");
    for i in 0..60 {
        let b = if i == 41 {
            "inf".to_string()
        } else {
            (i % 7).to_string()
        };
        csv += &format!("{i},{b},{}\n", i % 2);
    }
    std::fs::write(&p, csv).unwrap();
    for model in ["gbdt", "logistic"] {
        assert_one_line_error(
            &cartera(&[
                "train",
                s(&p),
                "--target",
                "y",
                "--model",
                model,
                "--out",
                s(&tmp("inf.json")),
            ]),
            "column `b`: data row 42 is infinite",
        );
    }
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "2", "--columns", "b,a"]),
        "column `b`: data row 42 is infinite",
    );
}

#[test]
fn boosting_that_grows_no_tree_says_so() {
    let p = blobs("notree.csv", 200);
    // A 0/1 target from the first coordinate's sign.
    let text = std::fs::read_to_string(&p).unwrap();
    let mut csv = format!("{},y\n", text.lines().next().unwrap());
    for line in text.lines().skip(1) {
        let x0: f64 = line.split(',').next().unwrap().parse().unwrap();
        csv += &format!("{line},{}\n", u8::from(x0 > 0.0));
    }
    std::fs::write(&p, csv).unwrap();
    let out = cartera(&[
        "train",
        s(&p),
        "--target",
        "y",
        "--model",
        "gbdt",
        "--min-data-in-leaf",
        "100000",
        "--out",
        s(&tmp("notree.json")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning: no tree was grown"), "{err}");
    // It names only flags `train` has.
    assert!(
        !err.contains("--min-sum-hessian") && !err.contains("--min-gain"),
        "{err}"
    );
    // Early stopping that never stopped says so (it said "early stopping at round 3").
    let out = cartera(&[
        "train",
        s(&p),
        "--target",
        "y",
        "--model",
        "gbdt",
        "--n-estimators",
        "3",
        "--early-stopping",
        "50",
        "--out",
        s(&tmp("nostop.json")),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("best validation round 3, the last (no early stop)"),
        "{err}"
    );
}

#[test]
fn an_error_quoting_a_huge_value_is_cut_in_the_middle() {
    let p = outcome_csv("huge_value.csv");
    let huge = "y".repeat(50_000);
    let out = cartera(&[
        "gains",
        s(&p),
        "--score-column",
        "score",
        "--outcome-column",
        "churn",
        "--positive",
        &huge,
    ]);
    assert_one_line_error(&out, "characters cut");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.chars().count() < 1_100,
        "{} characters",
        err.chars().count()
    );
    assert!(err.contains("is not a value of `churn`"), "{err}");
}

#[test]
fn an_output_that_is_a_directory_is_named_as_one() {
    let p = tmp("dir_out.csv");
    let rows: String = (0..40).map(|i| format!("{},{}\n", i % 7, i % 3)).collect();
    std::fs::write(&p, format!("a,b\n{rows}")).unwrap();
    let dir = tmp("an_out_dir");
    std::fs::create_dir_all(&dir).unwrap();
    let slash = format!("{}/", s(&dir));
    for out in [s(&dir), slash.as_str()] {
        assert_one_line_error(
            &cartera(&["kmeans", s(&p), "--k", "2", "--out", out]),
            "that is a directory; name a file in it",
        );
        assert_one_line_error(
            &cartera(&["kmeans", s(&p), "--k", "2", "--json", out]),
            "that is a directory; name a file in it",
        );
        // Refused before the fit, not after it: the model file named by --out is not
        // written when --json names a directory.
        let model = tmp("dir_out_model.json");
        assert_one_line_error(
            &cartera(&[
                "train",
                s(&p),
                "--target",
                "b",
                "--model",
                "gbdt",
                "--out",
                s(&model),
                "--json",
                out,
            ]),
            "that is a directory; name a file in it",
        );
        assert!(!model.exists());
        // The same for a study's --json (its --out is a folder).
        let folder = tmp("dir_out_study");
        assert_one_line_error(
            &cartera(&[
                "study",
                "atm",
                "--rows",
                "200",
                "--out",
                s(&folder),
                "--json",
                out,
            ]),
            "that is a directory; name a file in it",
        );
        assert!(!folder.exists());
    }
}

/// An output in a folder that does not exist fails before the work, and leaves none of the
/// command's other outputs behind (kmeans used to fit, write `--out`, then fail on `--json`).
#[test]
fn an_output_in_a_missing_folder_fails_first() {
    let p = tmp("nodir_in.csv");
    let rows: String = (0..40).map(|i| format!("{},{}\n", i % 7, i % 3)).collect();
    std::fs::write(&p, format!("a,b\n{rows}")).unwrap();
    let missing = tmp("no_such_folder_for_outputs");
    let _ = std::fs::remove_dir_all(&missing);
    let inside = missing.join("x.json");
    let labels = tmp("nodir_labels.csv");
    let _ = std::fs::remove_file(&labels);
    assert_one_line_error(
        &cartera(&[
            "kmeans",
            s(&p),
            "--k",
            "2",
            "--out",
            s(&labels),
            "--json",
            s(&inside),
        ]),
        "does not exist (create it first)",
    );
    assert!(
        !labels.exists(),
        "no output is written when another cannot be"
    );
    let prepped = tmp("nodir_prep.csv");
    let _ = std::fs::remove_file(&prepped);
    assert_one_line_error(
        &cartera(&[
            "prep",
            s(&p),
            "--out",
            s(&prepped),
            "--save-pipeline",
            s(&missing.join("p.json")),
        ]),
        "does not exist (create it first)",
    );
    assert!(!prepped.exists());
}

#[test]
fn cr_only_line_ends_are_lines() {
    // Classic Mac OS line ends, which pandas reads as lines too.
    let p = tmp("mac.csv");
    std::fs::write(&p, "spend,visits\r10,1\r20,2\r30,\r").unwrap();
    let v = ok_json(&["describe", s(&p), "--json", "-"]);
    let text = v.to_string();
    assert!(text.contains("\"visits\""), "{text}");
    assert!(text.contains("\"count\":3"), "{text}");
}

#[test]
fn a_new_category_next_month_is_refused_with_the_flag_that_accepts_it() {
    let (train, next) = (tmp("plans_train.csv"), tmp("plans_next.csv"));
    let plans = ["basic", "plus", "max"];
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", plans[i % 3], i % 11, (i % 3 == 2) as u8))
        .collect();
    std::fs::write(&train, format!("plan,calls,left\n{rows}")).unwrap();
    std::fs::write(&next, "plan,calls,left\nplus,3,0\nultra,4,1\n").unwrap();
    let pipe = tmp("plans_pipe.json");
    let fitted = cartera(&[
        "prep",
        s(&train),
        "--one-hot",
        "--columns",
        "plan,calls",
        "--save-pipeline",
        s(&pipe),
        "--out",
        s(&tmp("plans_prep.csv")),
    ]);
    assert!(
        fitted.status.success(),
        "{}",
        String::from_utf8_lossy(&fitted.stderr)
    );
    let apply = |extra: &[&str]| {
        let mut a = vec!["prep", s(&next), "--apply-pipeline", s(&pipe), "--out", "-"];
        a.extend_from_slice(extra);
        cartera(&a)
    };
    assert_one_line_error(
        &apply(&[]),
        "--unknown-categories ignore encodes such a value",
    );
    let out = apply(&["--unknown-categories", "ignore"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let ultra: Vec<&str> = text.lines().nth(2).unwrap().split(',').collect();
    for (name, v) in header.iter().zip(&ultra) {
        if name.starts_with("plan") {
            assert_eq!(*v, "0", "{name} in {text}");
        }
    }

    let model = tmp("plans_model.json");
    ok(&[
        "train",
        s(&train),
        "--target",
        "left",
        "--model",
        "logistic",
        "--out",
        s(&model),
    ]);
    let predict = |extra: &[&str]| {
        let mut a = vec!["predict", s(&model), s(&next), "--out", "-"];
        a.extend_from_slice(extra);
        cartera(&a)
    };
    assert_one_line_error(
        &predict(&[]),
        "holds \"ultra\", a category not seen at fit time",
    );
    let out = predict(&["--unknown-categories", "ignore"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
    // explain takes the same flag for a one-hot tree model.
    let gbdt = tmp("plans_gbdt.json");
    ok(&[
        "train",
        s(&train),
        "--target",
        "left",
        "--model",
        "gbdt",
        "--n-estimators",
        "5",
        "--out",
        s(&gbdt),
    ]);
    let explain = |extra: &[&str]| {
        let mut a = vec!["explain", s(&gbdt), s(&next), "--out", "-"];
        a.extend_from_slice(extra);
        cartera(&a)
    };
    assert_one_line_error(&explain(&[]), "--unknown-categories ignore encodes");
    let out = explain(&["--unknown-categories", "ignore"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unpenalised_fit_on_one_hot_columns_names_the_singular_feature() {
    let p = tmp("plans_nopen.csv");
    let plans = ["basic", "plus", "max"];
    let rows: String = (0..90)
        .map(|i| format!("{},{},{}\n", plans[i % 3], i % 11, u8::from(i % 4 == 1)))
        .collect();
    std::fs::write(&p, format!("plan,calls,left\n{rows}")).unwrap();
    let out = ok(&[
        "train",
        s(&p),
        "--target",
        "left",
        "--model",
        "logistic",
        "--no-penalty",
        "--valid-fraction",
        "0",
        "--out",
        s(&tmp("plans_nopen.json")),
        "--json",
        "-",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    // The term is the intercept here (the last of the collinear set in the factorisation);
    // a feature would be named, never `x3`.
    assert!(
        err.contains("note: no coefficient table: at intercept"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = v["coefficients_error"].as_str().unwrap();
    assert!(
        why.starts_with("at intercept") && why.contains("collinear with the intercept"),
        "{why}"
    );
}

#[test]
fn a_model_file_saved_with_a_byte_order_mark_is_read() {
    let p = tmp("bom_train.csv");
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", i % 7, i % 5, u8::from(i % 3 == 0)))
        .collect();
    std::fs::write(&p, format!("a,b,y\n{rows}")).unwrap();
    let model = tmp("bom_model.json");
    ok(&[
        "train",
        s(&p),
        "--target",
        "y",
        "--model",
        "gbdt",
        "--n-estimators",
        "3",
        "--out",
        s(&model),
    ]);
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("\u{feff}{text}")).unwrap();
    ok(&["predict", s(&model), s(&p), "--out", "-"]);
    // A name listed twice is refused when the file is read.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = v["input_columns"][0].clone();
    v["input_columns"].as_array_mut().unwrap().push(first);
    std::fs::write(&model, v.to_string()).unwrap();
    assert_one_line_error(
        &cartera(&["predict", s(&model), s(&p), "--out", "-"]),
        "appears twice in",
    );
}

#[test]
fn a_missing_value_is_named_by_column_and_first_row() {
    let p = tmp("one_missing.csv");
    let rows: String = (0..30).map(|i| format!("{},{}\n", i % 7, i % 4)).collect();
    std::fs::write(&p, format!("a,b\n{rows}3,\n1,\n")).unwrap();
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "2"]),
        "column `b`: has 2 missing values (the first at data row 31)",
    );
}

/// Every command names a bad cell the same way: column and data row (1-based, the CSV's rows
/// after the header). `silhouette`, `explain` and the scoring commands passed the library's
/// "row N, column M (0-based)" through, one row off from what the other commands said.
#[test]
fn a_bad_cell_is_named_by_column_and_data_row_in_every_command() {
    let train = tmp("cell_train.csv");
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", i % 7, (i * 3) % 11, i % 2))
        .collect();
    std::fs::write(&train, format!("a,b,y\n{rows}")).unwrap();
    let model = tmp("cell_model.json");
    ok(&[
        "train",
        s(&train),
        "--target",
        "y",
        "--model",
        "gbdt",
        "--out",
        s(&model),
    ]);
    let bad = tmp("cell_bad.csv");
    std::fs::write(&bad, "a,b,y\n1,2,0\n3,4,1\n5,inf,0\n").unwrap();
    for args in [
        vec!["explain", s(&model), s(&bad), "--out", "-"],
        vec!["predict", s(&model), s(&bad), "--out", "-"],
        vec![
            "silhouette",
            s(&bad),
            "--labels",
            s(&bad),
            "--label-column",
            "y",
        ],
    ] {
        assert_one_line_error(&cartera(&args), "column `b`: data row 3 is infinite");
    }
    let scores = tmp("cell_scores.csv");
    std::fs::write(&scores, "score,y\n0.5,1\n,0\n0.3,1\n").unwrap();
    let gains = [
        "gains",
        s(&scores),
        "--score-column",
        "score",
        "--outcome-column",
        "y",
    ];
    assert_one_line_error(&cartera(&gains), "column `score`: data row 2 is missing");
    std::fs::write(&scores, "score,y\n0.5,1\n1.5,0\n0.3,2\n").unwrap();
    assert_one_line_error(&cartera(&gains), "column `y`: data row 3 holds 2");
    let bands = [
        "bands",
        s(&scores),
        "--score-column",
        "score",
        "--bands",
        "2",
    ];
    assert_one_line_error(&cartera(&bands), "column `score`: data row 2 holds 1.5");
    // With outcomes, the effectiveness comes from them: scores on any scale (a logit) band.
    let logits = tmp("cell_logits.csv");
    std::fs::write(&logits, "score,y\n2.5,1\n-1.0,0\n0.3,1\n1.7,0\n").unwrap();
    ok(&[
        "bands",
        s(&logits),
        "--score-column",
        "score",
        "--outcome-column",
        "y",
        "--bands",
        "2",
    ]);
    let offers = ["offers", s(&scores), "--products", "score"];
    assert_one_line_error(&cartera(&offers), "column `score`: data row 2 holds 1.5");
    let tiers = ["tiers", s(&scores), "--churn-column", "score"];
    assert_one_line_error(&cartera(&tiers), "column `score`: data row 2 holds 1.5");
}

/// `--out /dev/null` (and a model or pipeline saved there) writes into the device: the
/// atomic write's rename replaced `/dev/null` itself with a regular file when run as root,
/// and every later reader of `/dev/null` (a compiler's probe, here) read that text.
#[cfg(unix)]
#[test]
fn writing_to_dev_null_leaves_the_device_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let is_device = || std::fs::metadata("/dev/null").is_ok_and(|m| m.file_type().is_char_device());
    assert!(is_device(), "/dev/null was not a device before the test");
    let p = tmp("devnull_in.csv");
    let rows: String = (0..40)
        .map(|i| format!("{},{},{}\n", i % 7, i % 5, u8::from(i % 3 == 0)))
        .collect();
    std::fs::write(&p, format!("a,b,y\n{rows}")).unwrap();
    let runs: [&[&str]; 3] = [
        &["generate", "blobs", "--rows", "50", "--out", "/dev/null"],
        &[
            "train",
            s(&p),
            "--target",
            "y",
            "--model",
            "logistic",
            "--out",
            "/dev/null",
        ],
        &[
            "prep",
            s(&p),
            "--scale",
            "standard",
            "--save-pipeline",
            "/dev/null",
            "--out",
            "/dev/null",
        ],
    ];
    for args in runs {
        let out = cartera(args);
        let still = is_device();
        if !still {
            // Put the device back for the rest of the machine (as root, as the harm needs).
            let _ = std::fs::remove_file("/dev/null");
            let _ = std::process::Command::new("mknod")
                .args(["-m", "666", "/dev/null", "c", "1", "3"])
                .status();
        }
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(still, "{args:?} replaced /dev/null with a regular file");
    }
}

#[test]
fn a_generator_too_large_names_the_rows_flag() {
    assert_one_line_error(
        &cartera(&[
            "generate",
            "blobs",
            "--rows",
            "100000000",
            "--features",
            "11",
            "--out",
            "/dev/null",
        ]),
        "invalid parameter `--rows`",
    );
}

#[test]
fn k_above_the_distinct_rows_names_the_flag() {
    let p = tmp("two_points.csv");
    std::fs::write(&p, "a,b\n1,1\n1,1\n2,2\n2,2\n1,1\n").unwrap();
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "3"]),
        "invalid parameter `--k` = 3: asks for 3 clusters, but the rows of",
    );
}

/// Two models' scores in one file: `--prefix` names the columns, so the second run adds its
/// own instead of replacing the first's (what `offers` reads).
#[test]
fn predict_prefixes_let_two_models_score_one_file() {
    let p = tmp("two_models.csv");
    let rows: String = (0..80)
        .map(|i| {
            format!(
                "{},{},{},{}\n",
                i % 7,
                i % 5,
                u8::from(i % 3 == 0),
                u8::from(i % 4 == 1)
            )
        })
        .collect();
    std::fs::write(&p, format!("a,b,loan,card\n{rows}")).unwrap();
    let (loan, card) = (tmp("loan_model.json"), tmp("card_model.json"));
    for (target, model) in [("loan", &loan), ("card", &card)] {
        ok(&[
            "train",
            s(&p),
            "--target",
            target,
            "--model",
            "logistic",
            "--columns",
            "a,b",
            "--out",
            s(model),
        ]);
    }
    let once = tmp("scored_once.csv");
    ok(&[
        "predict",
        s(&loan),
        s(&p),
        "--prefix",
        "loan",
        "--out",
        s(&once),
    ]);
    let out = ok(&[
        "predict",
        s(&card),
        s(&once),
        "--prefix",
        "card",
        "--out",
        "-",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "a,b,loan,card,loan_score,loan_predicted,card_score,card_predicted"
    );
}

/// pandas' missing-value markers are missing values here too (`NULL`, `None`, `N/A`, `#N/A`,
/// `<NA>`, `n/a`): a numeric column holding them stays numeric. A marker the reader does not
/// know (`-`) turns the column into categories, and every command that reads the file says
/// so, with the flag that reads it as missing; a declared type silences the note. Before, the
/// credit table's `Income` with `NULL` became 352 one-hot columns without a word.
#[test]
fn numbers_read_as_categories_are_noted_and_pandas_markers_are_missing() {
    let p = tmp("pandas_markers.csv");
    std::fs::write(
        &p,
        "id,income,spend\n1,NULL,3\n2,1200,None\n3,N/A,4\n4,#N/A,<NA>\n5,900,n/a\n6,1000,5\n",
    )
    .unwrap();
    let j = ok_json(&["describe", s(&p), "--json", "-"]);
    let cols = j["columns"].as_array().unwrap();
    for (c, missing) in [("income", 3), ("spend", 3)] {
        let col = cols.iter().find(|x| x["name"] == c).unwrap();
        assert_eq!(col["type"], "numeric", "{c}");
        assert_eq!(col["missing"], missing, "{c}");
    }
    let dash = tmp("dash_marker.csv");
    std::fs::write(&dash, "id,income\n1,-\n2,1200\n3,-\n4,900\n5,1000\n").unwrap();
    let out = ok(&["describe", s(&dash)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "note: column `income` is read as text: 3 of its values are numbers, 2 are not (`-`)"
        ) && err.contains("--missing '#N/A,#N/A N/A,#NA,<NA>,N/A,NA,NULL,NaN,None,n/a,null,?,-'"),
        "{err}"
    );
    assert!(!err.contains("`id`"), "{err}");
    // Those mostly distinct values made a text column; a few repeated ones make categories,
    // and the note says which.
    let few = tmp("dash_marker_levels.csv");
    let mut body = String::from("id,children\n");
    for i in 0..60 {
        body.push_str(&format!("{i},{}\n", i % 3));
    }
    body.push_str("60,-\n61,-\n62,-\n");
    std::fs::write(&few, body).unwrap();
    let err = String::from_utf8_lossy(&ok(&["describe", s(&few)]).stderr).to_string();
    assert!(
        err.contains(
            "note: column `children` is read as categories: 60 of its values are numbers, 3 are \
             not (`-`)"
        ),
        "{err}"
    );
    let out = ok(&["describe", s(&dash), "--missing", "-"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ok(&["describe", s(&dash), "--type", "income=categorical"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
