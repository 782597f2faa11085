//! `cartera study` seen from outside: the output folder, the JSON figures, a user's CSV with
//! mapped roles, and one-line errors on bad input with nothing half-written left behind.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;
use common::{assert_one_line_error, cartera, ok, s, tmp};

use serde_json::Value;

#[test]
fn atm_writes_its_folder_and_prints_a_summary() {
    let dir = tmp("atm");
    let out = ok(&["study", "atm", "--rows", "500", "--out", s(&dir)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("k = 3") && text.contains("frequent spenders"),
        "{text}"
    );
    // stderr is not a terminal here: no progress drawn.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "report.html",
        "summary.json",
        "segments.csv",
        "campaign_occasional_users.csv",
        "segments_scatter.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let list = std::fs::read_to_string(dir.join("campaign_regular_users.csv")).unwrap();
    assert!(
        list.starts_with("customer_id,segment,offer,channel,score_band"),
        "{list}"
    );
}

#[test]
fn propensity_json_has_the_study_000_campaign() {
    let dir = tmp("propensity");
    let out = ok(&[
        "study",
        "propensity",
        "--rows",
        "1500",
        "--out",
        s(&dir),
        "--json",
        "--quiet",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["study"], "propensity");
    assert_eq!(v["report"]["campaign"]["targeted"]["profit"], 16016.0);
    assert_eq!(v["report"]["campaign"]["mass"]["profit"], -344400.0);
    assert_eq!(v["n_rows"], 1500);
    let listed: u64 = v["campaign_lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(listed, 1500);
}

/// `--positive-class` chooses which target value is the outcome: the propensity study on a
/// table whose classes are `bad`/`good` takes `good` with a note by default, `bad` when told;
/// a value the target does not hold, and the flag on the atm study, are errors.
#[test]
fn the_positive_class_is_chosen_or_named() {
    let csv = tmp("good-bad.csv");
    let mut t = String::from("age,balance,Status\n");
    for i in 0..400 {
        let bad = (i * 7) % 10 < 3;
        t.push_str(&format!(
            "{},{},{}\n",
            20 + i % 50,
            (i * 37) % 1000 + if bad { 0 } else { 400 },
            if bad { "bad" } else { "good" }
        ));
    }
    std::fs::write(&csv, t).unwrap();
    let run = |extra: &[&str]| {
        let dir = tmp("good-bad-out");
        let mut args = vec![
            "study",
            "propensity",
            "--input",
            s(&csv),
            "--map",
            "target=Status",
            "--out",
            s(&dir),
            "--json",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        cartera(&args)
    };
    let default: Value = serde_json::from_slice(&run(&[]).stdout).unwrap();
    let notes = default["notes"].to_string();
    assert!(
        notes.contains("`good` is taken as the positive class"),
        "{notes}"
    );
    let chosen = run(&["--positive-class", "bad"]);
    assert!(
        chosen.status.success(),
        "{}",
        String::from_utf8_lossy(&chosen.stderr)
    );
    let chosen: Value = serde_json::from_slice(&chosen.stdout).unwrap();
    assert!(!chosen["notes"].to_string().contains("positive class"));
    assert_ne!(default["report"], chosen["report"]);
    assert_one_line_error(
        &run(&["--positive-class", "ok"]),
        "its values: `bad`, `good`",
    );
    assert_one_line_error(
        &cartera(&["study", "atm", "--rows", "200", "--positive-class", "1"]),
        "no target",
    );
}

#[test]
fn a_users_csv_with_mapped_columns_runs() {
    let csv = tmp("atm-renamed.csv");
    std::fs::write(&csv, {
        let mut t = String::from("client,freq,amount\n");
        for i in 0..60 {
            let (f, a) = match i % 3 {
                0 => (3.0 + (i % 5) as f64 * 0.1, 20.0 + (i % 7) as f64),
                1 => (10.0 + (i % 5) as f64 * 0.1, 60.0 + (i % 7) as f64),
                _ => (22.0 + (i % 5) as f64 * 0.1, 110.0 + (i % 7) as f64),
            };
            t.push_str(&format!("C{i:03},{f},{a}\n"));
        }
        t
    })
    .unwrap();
    let dir = tmp("atm-user");
    ok(&[
        "study",
        "atm",
        "--input",
        s(&csv),
        "--map",
        "id=client",
        "--map",
        "features=freq,amount",
        "--out",
        s(&dir),
    ]);
    let list = std::fs::read_to_string(dir.join("campaign_frequent_spenders.csv")).unwrap();
    assert_eq!(list.lines().count(), 21, "{list}");
    assert!(list.lines().skip(1).all(|l| l.starts_with('C')), "{list}");
}

#[test]
fn a_missing_mapped_column_is_one_error_and_writes_nothing() {
    let dir = tmp("missing-col");
    let out = cartera(&[
        "study",
        "bank",
        "--rows",
        "300",
        "--map",
        "features=age,income",
        "--out",
        s(&dir),
    ]);
    assert_one_line_error(&out, "income");
    assert!(!dir.exists());
    let out = cartera(&["study", "bank", "--map", "colour=red"]);
    assert_one_line_error(&out, "unknown role");
}

#[test]
fn bad_targets_stores_and_folders_are_one_error() {
    // A target with a single class.
    let csv = tmp("one-class.csv");
    let mut t = String::from("age,balance,y\n");
    for i in 0..300 {
        t.push_str(&format!("{},{},no\n", 20 + i % 50, i * 10));
    }
    std::fs::write(&csv, t).unwrap();
    let out = cartera(&[
        "study",
        "propensity",
        "--input",
        s(&csv),
        "--out",
        s(&tmp("one-class")),
    ]);
    assert_one_line_error(&out, "single class");
    assert!(!tmp("one-class").exists());

    // A store column with one value.
    let csv = tmp("one-store.csv");
    let mut t = String::from("IMEI,CHURN,TIENDA,recargas,minutos\n");
    for i in 0..300 {
        t.push_str(&format!(
            "{},{},T01,{},{}\n",
            350_000_000_000_u64 + i as u64,
            i % 2,
            i % 9,
            (i * 7) % 31
        ));
    }
    std::fs::write(&csv, t).unwrap();
    let out = cartera(&[
        "study",
        "telco",
        "--input",
        s(&csv),
        "--out",
        s(&tmp("one-store")),
    ]);
    assert_one_line_error(&out, "single value");

    // An output folder that cannot be written.
    let file = tmp("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = cartera(&[
        "study",
        "atm",
        "--rows",
        "100",
        "--out",
        s(&file.join("out")),
    ]);
    assert_one_line_error(&out, "cannot write the output folder");
}
