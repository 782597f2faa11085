#![allow(clippy::unwrap_used)]
//! Segment profiles against pandas 2.2 `groupby(...).describe()` on real data (fixtures by
//! `scripts/fixtures_scoring.py`): data/universal_bank.csv by Education with Personal Loan as
//! outcome, data/telco_customer_churn.csv by Contract (TotalCharges has 11 blanks, skipped as
//! pandas does) with Churn == "Yes" as outcome. Every statistic within 1e-12 relative.

use cartera_preprocess::{Column, CsvOptions, Table};
use cartera_scoring::Groups;
use cartera_scoring::profile::profile;
use serde_json::Value;

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/scoring_profile.json")).unwrap(),
    )
    .unwrap()
}

fn close(what: &str, got: f64, want: f64) {
    let tol = 1e-12 * want.abs().max(1.0);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.17}, pandas {want:.17}"
    );
}

fn outcome(t: &Table, name: &str) -> Vec<bool> {
    let c = t.column(name).unwrap();
    (0..c.len())
        .map(|i| matches!(c.get_string(i).as_deref(), Some("1") | Some("Yes")))
        .collect()
}

fn check_case(case: &Value, table: &Table, outcome_col: &str) {
    let group = case["group"].as_str().unwrap();
    let features: Vec<String> = case["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let cols: Vec<(&str, &[f64])> = features
        .iter()
        .map(|f| (f.as_str(), table.column(f).unwrap().as_numeric().unwrap()))
        .collect();
    let groups = Groups::from_table(table, group).unwrap();
    let y = outcome(table, outcome_col);
    let p = profile(&cols, &groups, Some(&y)).unwrap();
    let want_groups = case["groups"].as_object().unwrap();
    assert_eq!(p.segments.len(), want_groups.len());
    let all = std::iter::once((&p.overall, &case["overall"])).chain(
        p.segments
            .iter()
            .map(|s| (s, &want_groups[s.segment.as_str()])),
    );
    for (seg, want) in all {
        let name = &seg.segment;
        assert_eq!(seg.size, want["size"].as_u64().unwrap(), "{name}");
        close(
            &format!("{name} outcome rate"),
            seg.outcome_rate.unwrap(),
            want["outcome_rate"].as_f64().unwrap(),
        );
        for fs in &seg.features {
            let w = &want["describe"][fs.feature.as_str()];
            let what = format!("{name} {}", fs.feature);
            assert_eq!(fs.count, w["count"].as_f64().unwrap() as u64, "{what}");
            for (stat, got) in [
                ("mean", fs.mean),
                ("std", fs.std),
                ("min", fs.min),
                ("25%", fs.q25),
                ("50%", fs.q50),
                ("75%", fs.q75),
                ("max", fs.max),
            ] {
                close(&format!("{what} {stat}"), got, w[stat].as_f64().unwrap());
            }
            let overall = &case["overall"]["describe"][fs.feature.as_str()]["mean"];
            close(
                &format!("{what} relative mean"),
                fs.relative_mean,
                w["mean"].as_f64().unwrap() / overall.as_f64().unwrap(),
            );
        }
    }
    let shares: f64 = p.segments.iter().map(|s| s.share).sum();
    assert!((shares - 1.0).abs() < 1e-12);
}

#[test]
fn universal_bank_by_education() {
    let f = fixture();
    let t = Table::read_csv(repo("data/universal_bank.csv"), &CsvOptions::default()).unwrap();
    check_case(&f["cases"][0], &t, "Personal Loan");
}

#[test]
fn telco_by_contract_with_missing_values() {
    let f = fixture();
    let opts = CsvOptions::default().missing_values(&["", " "]);
    let mut t = Table::read_csv(repo("data/telco_customer_churn.csv"), &opts).unwrap();
    // TotalCharges holds " " for new customers; make it numeric with those missing, as pandas'
    // to_numeric(errors="coerce").
    let c = t.column("TotalCharges").unwrap();
    if c.as_numeric().is_none() {
        let v: Vec<f64> = (0..c.len())
            .map(|i| {
                c.get_string(i)
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(f64::NAN)
            })
            .collect();
        t.replace_column("TotalCharges", Column::Numeric(v))
            .unwrap();
    }
    assert_eq!(t.column("TotalCharges").unwrap().missing_count(), 11);
    check_case(&f["cases"][1], &t, "Churn");
}
