//! `cartera train` and `cartera predict` seen from outside: metrics JSON, model files that
//! score next month's CSV with no other argument, and one-line errors on bad input.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{cartera, ok_json, one_line_error, repo, s, tmp};
use std::path::PathBuf;

use serde_json::Value;

fn telco(rows: usize, seed: u64, name: &str) -> PathBuf {
    let p = tmp(name);
    let out = cartera(&[
        "generate",
        "telco",
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        p.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    p
}

#[test]
fn gbdt_and_logistic_on_telco_then_predict_next_month() {
    let month = telco(4_000, 3, "telco_m1.csv");
    let next = telco(1_000, 4, "telco_m2.csv");
    for model in ["gbdt", "logistic"] {
        let path = tmp(&format!("{model}.json"));
        let m = ok_json(&[
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            model,
            if model == "gbdt" {
                "--n-estimators"
            } else {
                "--max-iter"
            },
            if model == "gbdt" { "60" } else { "100" },
            "--scale",
            if model == "gbdt" {
                "minmax"
            } else {
                "standard"
            },
            "--impute",
            "median",
            "--seed",
            "1",
            "--out",
            s(&path),
            "--json",
            "-",
        ]);
        assert_eq!(m["n_valid"], 800, "{model}: stratified 20 % hold-out");
        assert_eq!(m["metrics_on"], "validation");
        let auc = m["auc"].as_f64().unwrap();
        assert!(auc > 0.8 && auc <= 1.0, "{model}: auc {auc}");
        assert!(m["accuracy"].as_f64().unwrap() > 0.75);
        assert!(m["log_loss"].as_f64().unwrap() > 0.0);
        for key in ["fit_seconds", "predict_seconds", "read_seconds"] {
            assert!(m[key].as_f64().unwrap() >= 0.0, "{key}");
        }
        let recall = m["recall"]["1"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&recall));
        assert!(
            !m["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "IMEI"),
            "identifier column left out"
        );
        // The settings the model came from are recorded beside its metrics.
        let scale = if model == "gbdt" {
            "minmax"
        } else {
            "standard"
        };
        assert_eq!(m["prep"]["scale"], scale, "{model}");
        assert_eq!(m["prep"]["impute"], "median", "{model}");
        assert_eq!(m["prep"]["categorical"], "one-hot", "{model}");
        assert_eq!(m["prep"]["valid_fraction"], 0.2, "{model}");
        assert_eq!(m["prep"]["seed"], 1, "{model}");
        // How the CSV was read: the default markers, no declared type, a header line.
        assert!(m["prep"]["missing"].is_null(), "{model}");
        assert_eq!(m["prep"]["types"], serde_json::json!({}), "{model}");
        assert_eq!(m["prep"]["no_header"], false, "{model}");
        if model == "logistic" {
            assert_eq!(m["params"]["c"], 1.0);
            assert_eq!(m["params"]["penalty"], "L2");
            assert_eq!(m["params"]["max_iter"], 100);
            assert_eq!(m["converged"], true);
            let rows = m["coefficients"]["rows"].as_array().unwrap();
            assert!(rows.iter().any(|r| r["term"] == "ANTIGUEDAD_MESES"));
        } else {
            assert_eq!(m["params"]["n_estimators"], 60);
            assert_eq!(m["params"]["num_leaves"], 31);
            assert!(
                m["params"]["feature_names"].is_null(),
                "names are `features`"
            );
            assert!(m["feature_importance"].as_array().unwrap().len() > 10);
        }

        // Next month's file scores with no other argument; the target column may be absent.
        let scores = tmp(&format!("{model}_scores.csv"));
        let p = ok_json(&[
            "predict",
            s(&path),
            s(&next),
            "--out",
            s(&scores),
            "--json",
            "-",
        ]);
        assert_eq!(p["rows"], 1000);
        let text = std::fs::read_to_string(&scores).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(&header[header.len() - 2..], ["score", "predicted"]);
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(lines.len(), 1000);
        for l in &lines {
            // From the end: text columns before it may hold quoted commas.
            let v: f64 = l.rsplit(',').nth(1).unwrap().parse().unwrap();
            assert!((0.0..=1.0).contains(&v));
        }
    }
}

/// The metrics JSON's `prep` records how the CSV was read, so that a results file says which
/// markers counted as missing and which column types were declared rather than inferred.
#[test]
fn metrics_record_the_reading_flags() {
    let data = telco(1500, 3, "reading_flags.csv");
    let model = tmp("reading_flags.json");
    let m = ok_json(&[
        "train",
        s(&data),
        "--target",
        "CHURN",
        "--model",
        "gbdt",
        "--n-estimators",
        "5",
        "--missing",
        "?,NA",
        "--type",
        "NUM_RECARGAS_M1=numeric",
        "--out",
        s(&model),
        "--json",
        "-",
    ]);
    assert_eq!(m["prep"]["missing"], serde_json::json!(["?", "NA"]));
    assert_eq!(
        m["prep"]["types"],
        serde_json::json!({"NUM_RECARGAS_M1": "numeric"})
    );
    assert_eq!(m["prep"]["no_header"], false);
}

#[test]
fn multiclass_target_with_text_labels_on_real_data() {
    // The IBM telco table: a Yes/No target (two classes by name) and a 3-level contract type
    // as a multiclass target.
    let data = repo().join("data/telco_customer_churn.csv");
    let path = tmp("contract.json");
    let m = ok_json(&[
        "train",
        s(&data),
        "--target",
        "Contract",
        "--model",
        "gbdt",
        "--n-estimators",
        "30",
        "--columns",
        "tenure,MonthlyCharges,InternetService,PaymentMethod",
        "--out",
        s(&path),
        "--json",
        "-",
    ]);
    assert_eq!(
        m["classes"],
        serde_json::json!(["Month-to-month", "One year", "Two year"])
    );
    assert!(m.get("auc").is_none(), "no AUC for three classes");
    assert!(m["accuracy"].as_f64().unwrap() > 0.6);
    let scores = tmp("contract_scores.csv");
    let out = cartera(&["predict", s(&path), s(&data), "--out", s(&scores)]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&scores).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with("score,proba_Month-to-month,proba_One year,proba_Two year,predicted"));

    let churn = tmp("churn_logit.json");
    let m = ok_json(&[
        "train",
        s(&data),
        "--target",
        "Churn",
        "--model",
        "logistic",
        "--scale",
        "standard",
        "--class-weight",
        "balanced",
        "--out",
        s(&churn),
        "--json",
        "-",
    ]);
    assert_eq!(m["classes"], serde_json::json!(["No", "Yes"]));
    assert!(m["auc"].as_f64().unwrap() > 0.8);
    // Balanced weights trade precision for recall of the rare class.
    assert!(m["recall"]["Yes"].as_f64().unwrap() > 0.6);
}

#[test]
fn bad_input_is_one_line() {
    let month = telco(300, 5, "bad_m.csv");
    let model = tmp("bad_model.json");
    one_line_error(
        &cartera(&[
            "train",
            s(&month),
            "--target",
            "NOPE",
            "--model",
            "gbdt",
            "--out",
            s(&model),
        ]),
        "NOPE",
    );
    one_line_error(
        &cartera(&[
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            "logistic",
            "--c",
            "0",
            "--out",
            s(&model),
        ]),
        "c",
    );
    one_line_error(
        &cartera(&[
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            "gbdt",
            "--valid-fraction",
            "1",
            "--out",
            s(&model),
        ]),
        "--valid-fraction",
    );
    // One class only.
    let one = tmp("one_class.csv");
    std::fs::write(&one, "x,y\n1,0\n2,0\n3,0\n4,0\n").unwrap();
    one_line_error(
        &cartera(&[
            "train",
            s(&one),
            "--target",
            "y",
            "--model",
            "gbdt",
            "--out",
            s(&model),
        ]),
        "classes",
    );
    // Predict with a file lacking the model's columns, with a corrupted and a future model.
    assert!(
        cartera(&[
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            "gbdt",
            "--n-estimators",
            "5",
            "--out",
            s(&model),
        ])
        .status
        .success()
    );
    one_line_error(
        &cartera(&["predict", s(&model), s(&one), "--out", s(&tmp("x.csv"))]),
        "lacks",
    );
    let text = std::fs::read_to_string(&model).unwrap();
    let cut = tmp("cut.json");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    one_line_error(
        &cartera(&["predict", s(&cut), s(&month), "--out", s(&tmp("x.csv"))]),
        "model",
    );
    let future = tmp("future.json");
    std::fs::write(&future, text.replacen("\"version\":1", "\"version\":99", 1)).unwrap();
    one_line_error(
        &cartera(&["predict", s(&future), s(&month), "--out", s(&tmp("x.csv"))]),
        "model file version 99 is not supported",
    );
}

/// The first `take` rows `x` of a LightGBM fixture as a CSV named `name` (columns `Column_j`,
/// LightGBM's names for unnamed features; NaN as a blank).
fn fixture_rows_csv(fixture: &Value, take: usize, name: &str) -> std::path::PathBuf {
    let d = fixture["n_features"].as_u64().unwrap() as usize;
    let mut csv = (0..d)
        .map(|j| format!("Column_{j}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for r in fixture["x"].as_array().unwrap().iter().take(take) {
        let cells: Vec<String> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().map_or(String::new(), |x| format!("{x:?}")))
            .collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let path = tmp(name);
    std::fs::write(&path, csv).unwrap();
    path
}

/// A binary model's explanation starts each line with `row`, the 0-based input row, as the
/// multiclass one does, so that it joins back to the input; the values are LightGBM's.
#[test]
fn binary_explanations_name_their_input_rows() {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/lightgbm_binary.json")).unwrap(),
    )
    .unwrap();
    let input = fixture_rows_csv(&fixture, 30, "lgb_binary_rows.csv");
    let out = tmp("lgb_binary_shap.csv");
    let model = repo().join("tests/fixtures/lightgbm_binary.txt");
    let run = cartera(&[
        "explain",
        s(&model),
        s(&input),
        "--lightgbm",
        "--out",
        s(&out),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("row,Column_0,"), "{}", lines[0]);
    assert!(lines[0].ends_with(",expected_value"));
    assert_eq!(lines.len(), 1 + 30);
    for (i, line) in lines[1..].iter().enumerate() {
        let (row, rest) = line.split_once(',').unwrap();
        assert_eq!(row, i.to_string());
        let want = fixture["contrib"][i].as_array().unwrap();
        for (g, w) in rest.split(',').zip(want) {
            let (g, w): (f64, f64) = (g.parse().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() < 1e-6, "row {i}: {g} vs {w}");
        }
    }
}

/// A LightGBM model trained on pandas `category` columns explains a CSV of category names: each
/// name becomes its code in the model's `pandas_categorical` list (an unseen one or a blank is
/// missing, as in LightGBM's pandas path), and the contributions are LightGBM's
/// (`scripts/fixtures_pandas_categorical.py`). Without the list, the text column is refused with
/// what to do.
#[test]
fn lightgbm_models_on_pandas_categories_explain_category_names() {
    explain_matches_fixture(
        "lightgbm_pandas_categorical",
        "row,plan,spend,region,expected_value",
    );
    let model = repo().join("tests/fixtures/lightgbm_pandas_categorical.txt");
    let rows = repo().join("tests/fixtures/lightgbm_pandas_categorical.csv");
    let bare = tmp("lgb_no_pandas.txt");
    let model_text = std::fs::read_to_string(&model).unwrap();
    let cut: String = model_text
        .lines()
        .filter(|l| !l.starts_with("pandas_categorical:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&bare, cut).unwrap();
    one_line_error(
        &cartera(&["explain", s(&bare), s(&rows), "--lightgbm", "--out", "-"]),
        "lists 0 pandas category column(s)",
    );
}

/// Checks `explain --lightgbm MODEL ROWS`'s contributions against a fixture's `contrib`.
fn explain_matches_fixture(stem: &str, header: &str) {
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join(format!("tests/fixtures/{stem}.json"))).unwrap(),
    )
    .unwrap();
    let model = repo().join(format!("tests/fixtures/{stem}.txt"));
    let rows = repo().join(format!("tests/fixtures/{stem}.csv"));
    let json = tmp(&format!("{stem}_explain.json"));
    let run = cartera(&[
        "explain",
        s(&model),
        s(&rows),
        "--lightgbm",
        "--out",
        "-",
        "--json",
        s(&json),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Binary models: the contributions are to the log-odds of label 1.
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["per_class"][0]["class"], "1");
    let text = String::from_utf8(run.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], header);
    let want = fixture["contrib"].as_array().unwrap();
    assert_eq!(lines.len(), 1 + want.len());
    for (i, (line, w)) in lines[1..].iter().zip(want).enumerate() {
        let got: Vec<f64> = line
            .split(',')
            .skip(1)
            .map(|v| v.parse().unwrap())
            .collect();
        for (g, w) in got.iter().zip(w.as_array().unwrap()) {
            assert!(
                (g - w.as_f64().unwrap()).abs() < 1e-9,
                "{stem} row {i}: {g} vs {w}"
            );
        }
    }
}

/// Category columns whose categories are numbers (read from the CSV as numbers) are coded
/// through the model's lists too, found by the model's categorical features: `3` and `3.0` are
/// the category 3, an unseen `4` and a blank are missing; `Monthly Spend` is found under
/// LightGBM's name `Monthly_Spend`. Contributions equal LightGBM's pred_contrib
/// (`scripts/fixtures_pandas_categorical.py`); they used to be computed on the raw numbers,
/// silently wrong. Without the categorical features line, which columns the lists belong to is
/// unknown, and the error says how to mark them.
#[test]
fn lightgbm_models_on_number_categories_code_the_numbers() {
    let stem = "lightgbm_pandas_categorical_numbers";
    explain_matches_fixture(stem, "row,Education,Monthly_Spend,Tier,expected_value");
    let model = repo().join(format!("tests/fixtures/{stem}.txt"));
    let rows = repo().join(format!("tests/fixtures/{stem}.csv"));
    let bare = tmp("lgb_numbers_no_categorical_feature.txt");
    let cut: String = std::fs::read_to_string(&model)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("[categorical_feature:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&bare, cut).unwrap();
    one_line_error(
        &cartera(&["explain", s(&bare), s(&rows), "--lightgbm", "--out", "-"]),
        "--type COL=categorical",
    );
    // Marked as text, the columns are coded by their names in the lists.
    let run = cartera(&[
        "explain",
        s(&bare),
        s(&rows),
        "--lightgbm",
        "--type",
        "Education=categorical",
        "--type",
        "Tier=categorical",
        "--out",
        "-",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn explain_lightgbm_model_matches_pred_contrib() {
    // LightGBM's own 4-class model and pred_contrib output (scripts/fixtures_treeshap.py).
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/lightgbm_multiclass.json")).unwrap(),
    )
    .unwrap();
    let d = fixture["n_features"].as_u64().unwrap() as usize;
    let input = fixture_rows_csv(&fixture, 40, "lgb_rows.csv");
    let out = tmp("lgb_shap.csv");
    let model = repo().join("tests/fixtures/lightgbm_multiclass.txt");
    let j = ok_json(&[
        "explain",
        s(&model),
        s(&input),
        "--lightgbm",
        "--rows",
        "25",
        "--out",
        s(&out),
        "--json",
        "-",
    ]);
    assert_eq!(j["rows"], 25);
    let k = j["per_class"].as_array().unwrap().len();
    assert_eq!(k, 4);
    assert!(j["explain_seconds"].as_f64().unwrap() >= 0.0);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("row,class,Column_0,"));
    assert!(lines[0].ends_with(",expected_value"));
    assert_eq!(lines.len(), 1 + 25 * k);
    // LightGBM's pred_contrib row layout: class blocks of d + 1 values.
    for i in 0..25 {
        let want = fixture["contrib"][i].as_array().unwrap();
        for c in 0..k {
            let line = lines[1 + i * k + c];
            // Each line names its input row and class.
            let (row, rest) = line.split_once(',').unwrap();
            assert_eq!(row, i.to_string(), "line {}", 1 + i * k + c);
            assert_eq!(rest.split(',').next().unwrap(), c.to_string());
            let got: Vec<f64> = rest
                .split(',')
                .skip(1)
                .map(|v| v.parse().unwrap())
                .collect();
            for (jj, g) in got.iter().enumerate() {
                let w = want[c * (d + 1) + jj].as_f64().unwrap();
                assert!(
                    (g - w).abs() < 1e-6,
                    "row {i} class {c} feature {jj}: {g} vs {w}"
                );
            }
        }
    }
    // A header that lacks one of the LightGBM model's features: one line naming it.
    let renamed = tmp("lgb_renamed.csv");
    let text = std::fs::read_to_string(&input).unwrap();
    std::fs::write(&renamed, text.replacen("Column_3", "tenure", 1)).unwrap();
    one_line_error(
        &cartera(&[
            "explain",
            s(&model),
            s(&renamed),
            "--lightgbm",
            "--out",
            s(&tmp("r.csv")),
        ]),
        "Column_3",
    );
    // A logistic model has no trees to explain: one line.
    let month = telco(300, 9, "explain_m.csv");
    let logit = tmp("explain_logit.json");
    assert!(
        cartera(&[
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            "logistic",
            "--out",
            s(&logit)
        ])
        .status
        .success()
    );
    one_line_error(
        &cartera(&["explain", s(&logit), s(&month), "--out", s(&tmp("e.csv"))]),
        "tree model",
    );
}

#[test]
fn native_categorical_splits_on_the_ibm_telco_table() {
    // Churn on the real IBM table with its categorical columns kept as categories: no one-hot
    // columns reach the model, trees split category sets, the model file scores the file again.
    let data = repo().join("data/telco_customer_churn.csv");
    let path = tmp("native_cat.json");
    let m = ok_json(&[
        "train",
        s(&data),
        "--target",
        "Churn",
        "--model",
        "gbdt",
        "--categorical",
        "native",
        "--n-estimators",
        "60",
        "--columns",
        "tenure,MonthlyCharges,Contract,InternetService,PaymentMethod,TechSupport",
        "--out",
        s(&path),
        "--json",
        "-",
    ]);
    let features: Vec<&str> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(features.contains(&"Contract"), "{features:?}");
    assert_eq!(
        features.len(),
        6,
        "one column per input, no indicators: {features:?}"
    );
    let auc = m["auc"].as_f64().unwrap();
    assert!(auc > 0.8, "auc {auc}");
    let model: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let text = model.to_string();
    assert!(
        text.contains("\"categorical\":true"),
        "no categorical split in the model file"
    );
    let scores = tmp("native_cat_scores.csv");
    let p = ok_json(&[
        "predict",
        s(&path),
        s(&data),
        "--out",
        s(&scores),
        "--json",
        "-",
    ]);
    assert_eq!(p["rows"], 7043);
    // No note when every category is known.
    let out = cartera(&["predict", s(&path), s(&data), "--out", s(&scores)]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not trained on"));
    // Categories the model never saw are scored as missing values, with a note naming them.
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines: Vec<String> = text.lines().take(6).map(str::to_string).collect();
    for l in &mut lines[2..4] {
        // Contract is the 16th field; these lines hold no quoted commas.
        let mut f: Vec<&str> = l.split(',').collect();
        f[15] = "Ten year";
        *l = f.join(",");
    }
    let month = tmp("native_cat_unseen.csv");
    std::fs::write(&month, lines.join("\n") + "\n").unwrap();
    let out = cartera(&["predict", s(&path), s(&month), "--out", s(&scores)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("column `Contract`: 2 rows hold categories the model was not trained on")
            && err.contains("\"Ten year\"; data rows 2, 3)"),
        "{err}"
    );

    // A linear model needs indicators; streaming reads numeric columns only.
    let out = cartera(&[
        "train",
        s(&data),
        "--target",
        "Churn",
        "--model",
        "logistic",
        "--categorical",
        "native",
        "--out",
        s(&path),
    ]);
    one_line_error(&out, "--categorical");
    let out = cartera(&[
        "train",
        s(&data),
        "--target",
        "Churn",
        "--model",
        "gbdt",
        "--categorical",
        "native",
        "--chunk-rows",
        "1000",
        "--out",
        s(&path),
    ]);
    one_line_error(&out, "--chunk-rows");
}

#[test]
fn plain_train_prints_a_summary_and_warns_when_the_logistic_fit_did_not_converge() {
    let month = telco(600, 7, "summary_m.csv");
    let model = tmp("summary_model.json");
    let args = |model_kind: &'static str, max_iter: &'static str| {
        vec![
            "train".to_string(),
            s(&month).to_string(),
            "--target".into(),
            "CHURN".into(),
            "--model".into(),
            model_kind.into(),
            // Each model's own flag (the other model's would be an error).
            if model_kind == "logistic" {
                "--max-iter".into()
            } else {
                "--n-estimators".into()
            },
            if model_kind == "logistic" {
                max_iter.into()
            } else {
                "10".into()
            },
            "--out".into(),
            s(&model).to_string(),
        ]
    };
    let run = |a: &[String]| cartera(&a.iter().map(String::as_str).collect::<Vec<_>>());

    // Two L-BFGS iterations cannot converge: the summary says so on stderr, stdout stays
    // empty without --json.
    let out = run(&args("logistic", "2"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty());
    for expected in [
        "logistic on 480 training rows",
        "metrics on validation (120 rows): AUC ",
        &format!("model written to {}", s(&model)),
        "warning: the logistic fit did not converge: --max-iter 2 reached",
    ] {
        assert!(err.contains(expected), "{expected:?} not in {err}");
    }
    assert!(err.contains("raise --max-iter"), "{err}");

    // With --json -, stdout is the metrics JSON alone; the summary stays on stderr.
    let mut with_json = args("logistic", "2");
    with_json.extend(["--json".into(), "-".into()]);
    let out = run(&with_json);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["converged"], false);
    assert!(err.contains("did not converge"), "{err}");

    // A converged fit (scaled features) and a GBDT: a summary, no warning.
    for (kind, max_iter, scale) in [("logistic", "1000", true), ("gbdt", "100", false)] {
        let mut a = args(kind, max_iter);
        if scale {
            a.extend(["--scale".into(), "standard".into()]);
        }
        let out = run(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains(&format!("{kind} on 480 training rows")),
            "{err}"
        );
        assert!(!err.contains("warning"), "{kind}: {err}");
    }
}

#[test]
fn early_stopping_with_logistic_is_rejected() {
    let month = telco(300, 8, "early_m.csv");
    let out = cartera(&[
        "train",
        s(&month),
        "--target",
        "CHURN",
        "--model",
        "logistic",
        "--early-stopping",
        "5",
        "--out",
        s(&tmp("early.json")),
    ]);
    let err = one_line_error(&out, "--early-stopping");
    assert!(err.contains("--model gbdt only"), "{err}");
}

/// A flag that only the other model reads is an error naming it, not silently ignored; the
/// same flags with their own model are accepted.
#[test]
fn other_models_flags_are_rejected() {
    let month = telco(300, 8, "flags_m.csv");
    let out = tmp("flags.json");
    let train = |model: &str, flags: &[&str]| {
        let mut args = vec![
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            model,
            "--out",
            s(&out),
        ];
        args.extend_from_slice(flags);
        cartera(&args)
    };
    let err = one_line_error(
        &train(
            "logistic",
            &["--num-leaves", "7", "--learning-rate", "0.05"],
        ),
        "--num-leaves, --learning-rate apply to --model gbdt only",
    );
    assert!(err.contains("`--model` = logistic"), "{err}");
    one_line_error(
        &train("gbdt", &["--c", "0.5"]),
        "--c applies to --model logistic only",
    );
    one_line_error(
        &train("gbdt", &["--no-penalty", "--max-iter", "50"]),
        "--no-penalty, --max-iter apply to --model logistic only",
    );
    // Each model's own flags, and flags every model reads, pass.
    assert!(
        train("logistic", &["--c", "0.5", "--seed", "3"])
            .status
            .success()
    );
    assert!(
        train("gbdt", &["--num-leaves", "7", "--n-estimators", "5"])
            .status
            .success()
    );
}

/// `--positive-class` makes `score` that class's probability: with the same rows in training
/// and validation (the split is drawn before the classes are reordered), the GBDT's scores are
/// the complements of the default's and its AUC is the same. An unknown class, and a target of
/// more than two classes, are errors.
#[test]
fn positive_class_chooses_what_score_is_the_probability_of() {
    let data = repo().join("data/universal_bank.csv");
    let run = |extra: &[&str], name: &str| {
        let model = tmp(name);
        let mut args = vec![
            "train",
            s(&data),
            "--target",
            "Personal Loan",
            "--model",
            "gbdt",
            "--n-estimators",
            "30",
            "--out",
            s(&model),
            "--json",
            "-",
        ];
        args.extend_from_slice(extra);
        let m = ok_json(&args);
        let scores = tmp(&format!("{name}.csv"));
        let out = cartera(&["predict", s(&model), s(&data), "--out", s(&scores)]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&scores).unwrap();
        let mut lines = text.lines();
        let col = lines
            .next()
            .unwrap()
            .split(',')
            .position(|c| c == "score")
            .unwrap();
        let score: Vec<f64> = lines
            .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
            .collect();
        (m, score)
    };
    let (m1, s1) = run(&[], "pos_default.json");
    let (m0, s0) = run(&["--positive-class", "0"], "pos_zero.json");
    assert_eq!(m1["classes"], serde_json::json!(["0", "1"]));
    assert_eq!(m0["classes"], serde_json::json!(["1", "0"]));
    // The metrics file records the flag as given (null: the default, the last class).
    assert!(m1["prep"]["positive_class"].is_null());
    assert_eq!(m0["prep"]["positive_class"], "0");
    assert!((m1["auc"].as_f64().unwrap() - m0["auc"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(s1.len(), s0.len());
    for (a, b) in s1.iter().zip(&s0) {
        assert!((a + b - 1.0).abs() < 1e-6, "{a} + {b}");
    }
    let e = one_line_error(
        &cartera(&[
            "train",
            s(&data),
            "--target",
            "Personal Loan",
            "--model",
            "logistic",
            "--positive-class",
            "yes",
            "--out",
            s(&tmp("pos_bad.json")),
        ]),
        "is not a class",
    );
    assert!(e.contains("0, 1"), "{e}");
    one_line_error(
        &cartera(&[
            "train",
            s(&data),
            "--target",
            "Family",
            "--model",
            "logistic",
            "--positive-class",
            "2",
            "--out",
            s(&tmp("pos_multi.json")),
        ]),
        "two-class target",
    );
}

/// A model fitted through the library and saved with `ModelFile::new` is scored by `cartera
/// predict` as a `train` model is: the same probabilities as the library's own.
#[test]
fn a_library_model_file_is_scored_by_predict() {
    use cartera_logistic::LogisticRegressionParams;
    use cartera_preprocess::pipeline::PrepConfig;
    use cartera_preprocess::scale::ScalerKind;
    use cartera_preprocess::{CsvOptions, Table};
    use cartera_study::model_file::{Estimator, ModelFile};

    let rows: String = (0..120)
        .map(|i| {
            let plan = ["basic", "pro", "plus"][i % 3];
            format!(
                "{plan},{},{}\n",
                20 + (i * 7) % 45,
                usize::from((i * 7) % 45 > 25)
            )
        })
        .collect();
    let data = tmp("libmodel.csv");
    std::fs::write(&data, format!("plan,age,left\n{rows}")).unwrap();
    let table = Table::read_csv(&data, &CsvOptions::default()).unwrap();
    let inputs = ["plan", "age"];
    let (pipeline, prepared, _) = PrepConfig::new()
        .one_hot(true)
        .scale(ScalerKind::Standard)
        .fit(&table.select(&inputs).unwrap())
        .unwrap();
    let features = prepared.names().to_vec();
    let names: Vec<&str> = features.iter().map(String::as_str).collect();
    let x = prepared.to_array::<f64>(&names).unwrap();
    let y: Vec<usize> = table
        .to_array::<f64>(&["left"])
        .unwrap()
        .iter()
        .map(|&v| v as usize)
        .collect();
    let model = LogisticRegressionParams::new()
        .fit(x.view(), ndarray::ArrayView1::from(&y[..]))
        .unwrap();
    let want = model.predict_proba(x.view()).unwrap();
    let file = ModelFile::new(
        "left",
        vec!["0".into(), "1".into()],
        inputs.iter().map(|c| c.to_string()).collect(),
        features.clone(),
        pipeline,
        Estimator::Logistic(model),
    )
    .unwrap();
    let path = tmp("libmodel.json");
    file.save(&path).unwrap();
    let out = cartera(&["predict", s(&path), s(&data), "--out", "-"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "score").unwrap();
    for (i, line) in csv.lines().skip(1).enumerate() {
        let score: f64 = line.split(',').nth(col).unwrap().parse().unwrap();
        assert!(
            (score - want[[i, 1]]).abs() < 1e-12,
            "row {i}: {score} vs {}",
            want[[i, 1]]
        );
    }
    // Files that could never score right are refused when built: features reordered (the
    // estimator would read the wrong columns), inputs other than the pipeline's, the target
    // among the inputs.
    let refit = || {
        PrepConfig::new()
            .one_hot(true)
            .scale(ScalerKind::Standard)
            .fit(&table.select(&inputs).unwrap())
            .unwrap()
            .0
    };
    let fitted = || {
        LogisticRegressionParams::new()
            .fit(x.view(), ndarray::ArrayView1::from(&y[..]))
            .unwrap()
    };
    let mut swapped = features.clone();
    swapped.swap(0, 1);
    let owned = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    for (inputs, features, what) in [
        (owned(&inputs), swapped, "not the pipeline's output columns"),
        (
            owned(&["plan", "age", "left"]),
            features.clone(),
            "the target `left`",
        ),
        (
            owned(&["plan"]),
            features.clone(),
            "not those the pipeline was fitted on",
        ),
    ] {
        let e = ModelFile::new(
            "left",
            vec!["0".into(), "1".into()],
            inputs,
            features,
            refit(),
            Estimator::Logistic(fitted()),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(what), "{e}");
    }
    // A file whose feature names do not match the estimator is refused when built.
    let (pipeline, _, _) = PrepConfig::new()
        .fit(&table.select(&["age"]).unwrap())
        .unwrap();
    let short = LogisticRegressionParams::new()
        .fit(x.view(), ndarray::ArrayView1::from(&y[..]))
        .unwrap();
    assert!(
        ModelFile::new(
            "left",
            vec!["0".into(), "1".into()],
            vec!["age".into()],
            vec!["age".into()],
            pipeline,
            Estimator::Logistic(short),
        )
        .is_err()
    );
}

#[test]
fn quantized_gradients_train_from_the_command_line() {
    let month = telco(4_000, 3, "quant_m1.csv");
    // `cartera train` of a GBDT on the month's churn, with `extra` flags, writing `model`.
    let args = |model: &'_ PathBuf, extra: &[&'static str]| -> Vec<String> {
        let base = [
            "train",
            s(&month),
            "--target",
            "CHURN",
            "--model",
            "gbdt",
            "--out",
        ];
        let mut a: Vec<String> = base.iter().map(|v| v.to_string()).collect();
        a.push(s(model).to_string());
        a.extend(extra.iter().map(|v| v.to_string()));
        a
    };
    let run = |extra: &[&'static str], name: &str| {
        let a = args(&tmp(name), extra);
        cartera(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let train = |extra: &[&'static str], name: &str| {
        let path = tmp(name);
        let fit = [
            &["--n-estimators", "60", "--seed", "1", "--json", "-"],
            extra,
        ]
        .concat();
        let a = args(&path, &fit);
        let m = ok_json(&a.iter().map(String::as_str).collect::<Vec<_>>());
        (m, std::fs::read_to_string(&path).unwrap())
    };
    let (plain, plain_file) = train(&[], "quant_plain.json");
    let (quant, quant_file) = train(&["--quantized-grad"], "quant_q.json");
    let (coarse, _) = train(
        &["--quantized-grad", "--grad-quant-bins", "2"],
        "quant_2.json",
    );
    assert_ne!(plain_file, quant_file, "the flag changes the trees");
    let (a, b) = (
        plain["auc"].as_f64().unwrap(),
        quant["auc"].as_f64().unwrap(),
    );
    assert!((a - b).abs() < 0.01, "plain AUC {a}, quantized {b}");
    assert_ne!(
        quant["log_loss"], coarse["log_loss"],
        "--grad-quant-bins is used"
    );
    // Levels without quantization would be ignored: refused.
    let out = run(&["--grad-quant-bins", "8"], "quant_alone.json");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--quantized-grad"), "{err}");
    // The library's parameter name comes back as the flag.
    let out = run(
        &["--quantized-grad", "--grad-quant-bins", "200"],
        "quant_bad.json",
    );
    one_line_error(&out, "--grad-quant-bins");
}

/// `--weight-column`: weights of 1 are no weights (same metrics to the bit), heavier
/// positive rows raise the positive class's recall for both models, the column is not a
/// feature, and bad weights are one-line errors naming the row. `--scale-pos-weight` moves a
/// binary GBDT the same way and is refused for a multiclass target.
#[test]
fn sample_weights_and_scale_pos_weight() {
    let bank = repo().join("data/universal_bank.csv");
    let text = std::fs::read_to_string(&bank).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let target = header.iter().position(|h| *h == "Personal Loan").unwrap();
    let mut out = format!("{},one,heavy\n", header.join(","));
    let mut neg = out.clone();
    let mut zero = out.clone();
    for (i, l) in lines.enumerate() {
        let positive = l.split(',').nth(target).unwrap() == "1";
        let heavy = if positive { "5" } else { "1" };
        out.push_str(&format!("{l},1,{heavy}\n"));
        // Data row 8 (1-based) gets a negative weight.
        let w = if i == 7 { "-2" } else { heavy };
        neg.push_str(&format!("{l},1,{w}\n"));
        // Every positive row weighs 0.
        zero.push_str(&format!("{l},1,{}\n", if positive { "0" } else { "1" }));
    }
    let path = tmp("bank_weights.csv");
    std::fs::write(&path, out).unwrap();
    let bad = tmp("bank_weights_negative.csv");
    std::fs::write(&bad, neg).unwrap();
    let zero_class = tmp("bank_weights_zero_class.csv");
    std::fs::write(&zero_class, zero).unwrap();
    let cols = "Age,Income,Family,CCAvg,Education,Mortgage";
    let train = |model: &str, extra: &[&str]| {
        let model_path = tmp(&format!("bank_w_{model}.json"));
        let mut args = vec![
            "train",
            s(&path),
            "--target",
            "Personal Loan",
            "--model",
            model,
            "--columns",
            cols,
            "--out",
            s(&model_path),
            "--json",
            "-",
        ];
        // Few rounds: a fully grown ensemble fits the training rows whatever the weights
        // (LightGBM's mean score moves by 0.02 % with these weights at 200 rounds).
        if model == "gbdt" {
            args.extend_from_slice(&["--n-estimators", "10"]);
        }
        args.extend_from_slice(extra);
        ok_json(&args)
    };
    for model in ["logistic", "gbdt"] {
        let plain = train(model, &[]);
        let plain_mean = mean_score(&tmp(&format!("bank_w_{model}.json")), &path);
        let ones = train(model, &["--weight-column", "one"]);
        for key in ["auc", "log_loss", "recall"] {
            assert_eq!(plain[key], ones[key], "{model} {key}: weights of 1");
        }
        assert_eq!(ones["prep"]["weight_column"], "one");
        assert!(plain["prep"]["weight_column"].is_null());
        let heavy = train(model, &["--weight-column", "heavy"]);
        assert!(
            !heavy["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "heavy")
        );
        let heavy_mean = mean_score(&tmp(&format!("bank_w_{model}.json")), &path);
        // Positive rows weigh 5: the model's probabilities of the positive class rise.
        assert!(
            heavy_mean > plain_mean * 1.2,
            "{model}: mean score {plain_mean} -> {heavy_mean}"
        );
        if model == "gbdt" {
            let spw = train(model, &["--scale-pos-weight", "5"]);
            assert_eq!(spw["params"]["scale_pos_weight"], 5.0);
            let spw_mean = mean_score(&tmp(&format!("bank_w_{model}.json")), &path);
            // As LightGBM, scale_pos_weight weighs the gradients but not the initial score
            // (its boost_from_average reads sample weights only), so it moves less in 10
            // rounds: LightGBM's mean score on these rows is 0.0994 plain, 0.1107 with
            // scale_pos_weight 5, 0.1994 with the weights.
            assert!(
                spw_mean > plain_mean * 1.05 && spw_mean < heavy_mean,
                "scale_pos_weight: {plain_mean} -> {spw_mean} (weights: {heavy_mean})"
            );
        }
    }

    let fails = |args: &[&str], contains: &str| {
        let o = cartera(args);
        assert!(!o.status.success(), "{args:?} should fail");
        one_line_error(&o, contains);
    };
    let m = tmp("bank_w_fail.json");
    let base = [
        "train",
        "--target",
        "Personal Loan",
        "--out",
        s(&m),
        "--model",
    ];
    let with = |file: &std::path::Path, model: &str, rest: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = base.iter().map(|x| x.to_string()).collect();
        v.push(model.into());
        v.push(s(file).into());
        v.extend(rest.iter().map(|x| x.to_string()));
        v
    };
    let run = |v: Vec<String>, contains: &str| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        fails(&refs, contains);
    };
    run(
        with(&bad, "gbdt", &["--weight-column", "heavy"]),
        "data row 8 (line 9 of the file) holds -2",
    );
    for model in ["gbdt", "logistic"] {
        run(
            with(&zero_class, model, &["--weight-column", "heavy"]),
            "every training row of class `1` weighs 0",
        );
    }
    run(
        with(
            &path,
            "gbdt",
            &["--weight-column", "heavy", "--columns", "Age,heavy"],
        ),
        "is the --weight-column",
    );
    run(
        with(&path, "gbdt", &["--weight-column", "Personal Loan"]),
        "is the target column",
    );
    let family = ["train", s(&path), "--target", "Family", "--model", "gbdt"];
    let mut v: Vec<String> = family.iter().map(|x| x.to_string()).collect();
    v.extend(["--scale-pos-weight", "3", "--out", s(&m)].map(String::from));
    run(v, "two-class target");
}

/// The mean `score` (P of the positive class) of `model` over the rows of `csv`.
fn mean_score(model: &std::path::Path, csv: &std::path::Path) -> f64 {
    let stem = model.file_stem().unwrap().to_str().unwrap();
    let out = tmp(&format!("{stem}_scores.csv"));
    ok_json(&["predict", s(model), s(csv), "--out", s(&out), "--json", "-"]);
    let text = std::fs::read_to_string(&out).unwrap();
    let scores: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').nth(1).unwrap().parse().unwrap())
        .collect();
    scores.iter().sum::<f64>() / scores.len() as f64
}
