//! Bad input through the `cartera` binary: each case gives the result documented in
//! `docs/limits.md` or exits 1 with one `error: …` line naming what and where (never a panic,
//! a hang or a wrong number).
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_one_line_error, cartera, one_line_error, s, tmp};
use serde_json::Value;

fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = tmp(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn bom_crlf_and_empty_name_are_read() {
    let p = write("bom.csv", b"\xEF\xBB\xBF,amount\r\n1,2.5\r\n2,3.5\r\n");
    let text = stdout(&cartera(&["describe", s(&p)]));
    assert!(text.contains("2 rows x 2 columns"), "{text}");
    assert!(text.contains("Unnamed: 0"), "{text}");
    assert!(
        !text.contains('\u{feff}'),
        "the BOM leaked into a name: {text}"
    );
    // The amount column is numeric (mean 3), so CR did not stick to the values.
    let line = text.lines().find(|l| l.starts_with("amount")).unwrap();
    assert!(
        line.contains("numeric") && line.contains("3.0000"),
        "{line}"
    );
}

#[test]
fn latin1_names_line_and_column() {
    let p = write("latin1.csv", b"name,city\nAna,Madrid\nJos\xE9,M\xE1laga\n");
    assert_one_line_error(
        &cartera(&["describe", s(&p)]),
        "latin1.csv:3:1: invalid UTF-8",
    );
    // With CRLF line ends the line is the same.
    let p = write(
        "latin1_crlf.csv",
        b"name,city\r\nAna,Madrid\r\nJos\xE9,M\r\n",
    );
    assert_one_line_error(&cartera(&["describe", s(&p)]), "latin1_crlf.csv:3:1:");
}

#[test]
fn decimal_commas_are_not_numbers() {
    let p = write(
        "eu.csv",
        b"id;amount;age\n1;1.234,56;30\n2;7,5;40\n3;2,0;50\n",
    );
    // Read as text: k-means on it is refused, naming the column.
    assert_one_line_error(
        &cartera(&[
            "kmeans",
            s(&p),
            "--columns",
            "amount,age",
            "--k",
            "2",
            "--out",
            s(&tmp("eu_labels.csv")),
        ]),
        "amount",
    );
    // Declared numeric: the cell is named.
    assert_one_line_error(
        &cartera(&["describe", s(&p), "--type", "amount=numeric"]),
        "eu.csv:2:2:",
    );
}

#[test]
fn inf_text_is_refused_by_kmeans() {
    let p = write("inf.csv", b"a,b\n1,2\ninf,3\n4,-inf\n5,6\n");
    assert_one_line_error(
        &cartera(&[
            "kmeans",
            s(&p),
            "--columns",
            "a,b",
            "--k",
            "2",
            "--out",
            s(&tmp("inf_labels.csv")),
        ]),
        "inf",
    );
}

#[test]
fn nul_byte_and_ten_megabyte_field_are_read() {
    let mut bytes = b"id,note\n1,a\0b\n2,".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 10 << 20));
    bytes.extend_from_slice(b"\n3,c\n");
    let p = write("big.csv", &bytes);
    let text = stdout(&cartera(&["describe", s(&p)]));
    assert!(text.contains("3 rows x 2 columns"), "{text}");
}

/// A small binary training file and a model trained on it.
fn trained(kind: &str) -> (std::path::PathBuf, Value) {
    let mut csv = String::from("age,balance,plan,churn\n");
    for i in 0..60 {
        let plan = ["basic", "plus", "pro"][i % 3];
        let churn = usize::from((i * 7) % 10 < 4 + i % 3);
        csv += &format!("{},{},{plan},{churn}\n", 20 + i % 40, 100 * (i % 13));
    }
    let data = write(&format!("train_{kind}.csv"), csv.as_bytes());
    let model = tmp(&format!("model_{kind}.json"));
    let out = cartera(&[
        "train",
        s(&data),
        "--target",
        "churn",
        "--model",
        kind,
        "--out",
        s(&model),
    ]);
    stdout(&out);
    let json = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    (data, json)
}

fn predict_with(name: &str, model: &Value, data: &std::path::Path) -> std::process::Output {
    let p = write(name, model.to_string().as_bytes());
    cartera(&["predict", s(&p), s(data), "--out", s(&tmp("scores.csv"))])
}

#[test]
fn model_files_with_huge_or_wrong_array_lengths_are_errors() {
    let (data, logistic) = trained("logistic");
    stdout(&predict_with("ok_logistic.json", &logistic, &data));
    // A million class names.
    let mut m = logistic.clone();
    m["classes"] = Value::from(vec!["x"; 1_000_000]);
    assert_one_line_error(&predict_with("classes.json", &m, &data), "classes");
    // Intercepts a million long, or none: the estimator's shape is checked, not indexed.
    for len in [0usize, 1_000_000] {
        let mut m = logistic.clone();
        m["estimator"]["model"]["intercept"]["data"] = Value::from(vec![0.0; len]);
        m["estimator"]["model"]["intercept"]["dim"] = Value::from(vec![len]);
        let out = predict_with("intercept.json", &m, &data);
        let e = String::from_utf8_lossy(&out.stderr);
        assert_one_line_error(&out, &format!("intercept has {len} values"));
        assert_eq!(e.matches("model file").count(), 1, "{e}");
    }
    // Three classes named and declared, one coefficient row.
    let mut m = logistic.clone();
    m["estimator"]["model"]["n_classes"] = Value::from(3);
    m["classes"] = serde_json::json!(["0", "1", "2"]);
    assert_one_line_error(&predict_with("rows.json", &m, &data), "coefficient rows");
    // A feature count of 2^64 - 1 in the coefficient matrix.
    let mut m = logistic.clone();
    m["estimator"]["model"]["coef"]["dim"] = serde_json::json!([1, u64::MAX]);
    assert_one_line_error(&predict_with("dim.json", &m, &data), "model file");

    let (data, gbdt) = trained("gbdt");
    stdout(&predict_with("ok_gbdt.json", &gbdt, &data));
    let mut m = gbdt.clone();
    m["estimator"]["model"]["ensemble"]["trees"][0]["leaf_value"] =
        Value::from(vec![0.5; 1_000_000]);
    assert_one_line_error(&predict_with("leaves.json", &m, &data), "tree 0");
    let mut m = gbdt.clone();
    m["estimator"]["model"]["ensemble"]["n_features"] = Value::from(u64::MAX);
    assert_one_line_error(&predict_with("features.json", &m, &data), "feature names");
}

const LIGHTGBM: &str = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
    max_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=age balance\n\n\
    Tree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=1 0\nsplit_gain=1 1\nthreshold=500 30\n\
    decision_type=2 2\nleft_child=1 -1\nright_child=-3 -2\nleaf_value=-1 1 2\n\
    leaf_weight=1 3 2\nleaf_count=1 3 2\ninternal_value=0 0\ninternal_weight=6 4\n\
    internal_count=6 4\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";

fn explain_lightgbm(name: &str, text: &str) -> std::process::Output {
    let data = write("lgb_rows.csv", b"age,balance\n25,100\n45,900\n");
    let model = write(name, text.as_bytes());
    cartera(&[
        "explain",
        "--lightgbm",
        s(&model),
        s(&data),
        "--out",
        s(&tmp("lgb_shap.csv")),
    ])
}

#[test]
fn lightgbm_cyclic_or_out_of_range_trees_are_errors() {
    stdout(&explain_lightgbm("ok.txt", LIGHTGBM));
    assert_one_line_error(
        &explain_lightgbm(
            "cycle.txt",
            &LIGHTGBM.replace("left_child=1 -1", "left_child=1 0"),
        ),
        "node 1",
    );
    assert_one_line_error(
        &explain_lightgbm(
            "range.txt",
            &LIGHTGBM.replace("left_child=1 -1", "left_child=9 -1"),
        ),
        "node 9",
    );
    assert_one_line_error(
        &explain_lightgbm(
            "leaves.txt",
            &LIGHTGBM.replace("num_leaves=3", "num_leaves=100000000000000"),
        ),
        "entries, expected",
    );
}

/// A table with a row-number column: `kmeans` and `silhouette` leave it out unless named (as
/// `train` does), a column named twice is refused, and every k of a range is checked against
/// the rows before the first fit.
#[test]
fn kmeans_leaves_identifiers_out_and_checks_columns_and_k_first() {
    let mut csv = String::from("customer_id,spend,visits\n");
    for i in 0..60 {
        let g = (i % 3) as f64;
        csv.push_str(&format!(
            "{},{},{}\n",
            1001 + i,
            10.0 * g + (i % 7) as f64 * 0.1,
            g
        ));
    }
    let p = write("ids.csv", csv.as_bytes());
    let v = common::ok_json(&["kmeans", s(&p), "--k", "3", "--json", "-"]);
    assert_eq!(v["columns"], serde_json::json!(["spend", "visits"]), "{v}");
    // Named, an identifier is used as asked.
    let v = common::ok_json(&[
        "kmeans",
        s(&p),
        "--k",
        "3",
        "--columns",
        "customer_id,spend",
        "--json",
        "-",
    ]);
    assert_eq!(
        v["columns"],
        serde_json::json!(["customer_id", "spend"]),
        "{v}"
    );
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "3", "--columns", "spend,spend"]),
        "named twice",
    );
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "50..61"]),
        "up to 61 clusters",
    );
    assert_one_line_error(&cartera(&["kmeans", s(&p), "--k", "5..2"]), "ends above");
    assert_one_line_error(&cartera(&["kmeans", s(&p), "--k", "0..3"]), "starts at 1");
}

/// Scoring an already scored file replaces the earlier run's columns (with a note), as
/// `kmeans --out` replaces `cluster`, instead of refusing a second `score` column.
#[test]
fn predict_on_its_own_output_replaces_the_scores() {
    let (data, gbdt) = trained("gbdt");
    let model = write("rescore_model.json", gbdt.to_string().as_bytes());
    let first = tmp("rescore_1.csv");
    stdout(&cartera(&[
        "predict",
        s(&model),
        s(&data),
        "--out",
        s(&first),
    ]));
    let second = tmp("rescore_2.csv");
    let out = cartera(&["predict", s(&model), s(&first), "--out", s(&second)]);
    stdout(&out);
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(note.contains("`score`, `predicted`"), "{note}");
    let a = std::fs::read_to_string(&first).unwrap();
    let b = std::fs::read_to_string(&second).unwrap();
    // Same header (each column once, the new ones last) and the same scores.
    assert_eq!(a.lines().next(), b.lines().next());
    assert_eq!(a, b);
}

/// A column with no value at all cannot be imputed: the error says to leave it out or drop it,
/// and the suggested `prep --drop-constant-columns` does drop it.
#[test]
fn an_empty_column_is_named_with_a_way_out() {
    let p = write("empty_col.csv", b"a,b,c\n1,,2\n2,,3\n3,,5\n4,,4\n");
    assert_one_line_error(
        &cartera(&["kmeans", s(&p), "--k", "2"]),
        "has no value at all",
    );
    let out = tmp("empty_col_out.csv");
    stdout(&cartera(&[
        "prep",
        s(&p),
        "--drop-constant-columns",
        "--out",
        s(&out),
    ]));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("a,c\n"));
}

/// One stray cell makes a numeric column text: the error names the first such data row and its
/// value, in `kmeans`, and its line and field in `predict` (which reads with the model's types).
#[test]
fn a_stray_cell_in_a_numeric_column_is_named() {
    // The columns of `trained`'s model, so that `predict` reads them too.
    let mut csv = String::from("age,balance,plan\n");
    for i in 0..30 {
        let balance = if i == 11 {
            "n.d.".to_string()
        } else {
            (100 * i).to_string()
        };
        csv += &format!("{},{balance},basic\n", 20 + i);
    }
    let p = write("stray.csv", csv.as_bytes());
    // The reader's note on the column comes first, then the one error line.
    let run = cartera(&["kmeans", s(&p), "--k", "2", "--columns", "age,balance"]);
    assert!(!run.status.success());
    let e = String::from_utf8_lossy(&run.stderr).to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    // Thirty distinct values make a text column: the note and the error say the same.
    assert!(
        lines[0].starts_with("note: column `balance` is read as text"),
        "{e}"
    );
    assert!(lines[1].contains("column `balance` is text"), "{e}");
    assert!(lines[1].contains("data row 12 holds \"n.d.\""), "{e}");
    let (_, gbdt) = trained("gbdt");
    // `predict` reads the file with the model's column types: the reader names the cell.
    let e = one_line_error(&predict_with("stray_model.json", &gbdt, &p), "balance");
    assert!(e.contains("stray.csv:13:2: `n.d.` is not a number"), "{e}");
}

/// A flag that only means something with another one is refused without it, rather than
/// silently doing nothing (as `train` refuses the other model's flags).
#[test]
fn flags_that_would_do_nothing_are_refused() {
    let rows: String = (0..30)
        .map(|i| format!("{},{}\n", i % 7, (i * 3) % 11))
        .collect();
    let p = write("lonely_flags.csv", format!("a,b\n{rows}").as_bytes());
    let out_path = tmp("lonely_out.csv");
    let out = s(&out_path);
    for (args, says) in [
        (
            &["kmeans", s(&p), "--k", "3", "--choose", "silhouette"][..],
            "--choose",
        ),
        (
            &["kmeans", s(&p), "--k", "3", "--batch-size", "50"],
            "--batch-size",
        ),
        (
            &["kmeans", s(&p), "--k", "3", "--sample-rows", "50"],
            "--chunk-rows",
        ),
        (
            &[
                "silhouette",
                s(&p),
                "--labels",
                s(&p),
                "--label-column",
                "a",
                "--seed",
                "5",
            ],
            "--sample-size",
        ),
        (
            &["prep", s(&p), "--out", out, "--iqr-factor", "3"],
            "--outliers",
        ),
        (&["prep", s(&p), "--out", out, "--seed", "3"], "--pca"),
    ] {
        let run = cartera(args);
        assert!(!run.status.success(), "{args:?} was accepted");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // The same flags where they do something are accepted.
    for args in [
        &["kmeans", s(&p), "--k", "2..4", "--choose", "silhouette"][..],
        &[
            "kmeans",
            s(&p),
            "--k",
            "3",
            "--algorithm",
            "minibatch",
            "--batch-size",
            "16",
        ],
        &[
            "silhouette",
            s(&p),
            "--labels",
            s(&p),
            "--label-column",
            "a",
            "--sample-size",
            "20",
            "--seed",
            "5",
        ],
        &[
            "prep",
            s(&p),
            "--out",
            out,
            "--outliers",
            "clip",
            "--iqr-factor",
            "3",
        ],
    ] {
        let run = cartera(args);
        assert!(
            run.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// The scoring commands' errors name the flag the user typed, not the library's parameter.
#[test]
fn scoring_errors_name_the_flags() {
    let p = write("flag_scores.csv", b"s\n0.1\n0.5\n0.9\n0.3\n0.7\n");
    assert_one_line_error(
        &cartera(&["bands", s(&p), "--score-column", "s", "--cuts", "0.5,0.2"]),
        "invalid parameter `--cuts`",
    );
    assert_one_line_error(
        &cartera(&[
            "bands",
            s(&p),
            "--score-column",
            "s",
            "--bands",
            "2",
            "--rewards",
            "1,2",
            "--save-rates",
            "0.5,2",
        ]),
        "invalid parameter `--save-rates`",
    );
}
