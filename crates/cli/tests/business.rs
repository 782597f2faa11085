#![allow(clippy::unwrap_used)] // tests: a panic is a failed test
//! `cartera bands|gains|tiers|offers|campaign|profile` seen from outside: study 000's figures,
//! tables that add up, pandas' describe figures, and one-line errors for bad input.

mod common;
use common::{assert_one_line_error, cartera, ok_json, repo, tmp};
use std::path::PathBuf;

use serde_json::Value;

/// 2,000 scored customers: id, score (ties at 2 decimals), churn probability, two product
/// scores, a 0/1 outcome that follows the score, a store (4 levels) and a region (text).
fn scored_csv(name: &str) -> PathBuf {
    let path = tmp(&format!("scored_{name}.csv"));
    let mut s = String::from("id,score,churn,p_loan,p_savings,bought,store,region\n");
    let mut state = 12345u64;
    let mut next = || {
        // xorshift: a fixed sequence, enough for test data.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..2000 {
        let score = (next() * 100.0).round() / 100.0;
        let churn = (next() * 1000.0).round() / 1000.0;
        let bought = u8::from(next() < score * 0.4);
        let store = ["north", "south", "east", "west"][i % 4];
        let region = if i % 3 == 0 { "Lima" } else { "Cusco" };
        s.push_str(&format!(
            "{i},{score},{churn},{:.3},{:.3},{bought},{store},{region}\n",
            next(),
            next()
        ));
    }
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn campaign_reproduces_study_000() {
    let v = ok_json(&[
        "campaign",
        "--audience",
        "30000",
        "--share",
        "1.0",
        "--unit-cost",
        "25",
        "--project-cost",
        "0",
        "--response-rate",
        "0.01",
        "--profit-per-sale",
        "1352",
        "--json",
        "-",
    ]);
    assert_eq!(v["discount_cost"], 750000.0);
    assert_eq!(v["total_cost"], 750000.0);
    assert_eq!(v["sales"], 300.0);
    assert_eq!(v["total_gain"], 405600.0);
    assert_eq!(v["profit"], -344400.0);
    assert_eq!(v["roi"], -344400.0 / 750000.0);

    let out = tmp("campaigns.csv");
    let v = ok_json(&[
        "campaign",
        "--compare",
        "--audience",
        "30000,3600",
        "--share",
        "1.0,0.2",
        "--unit-cost",
        "25",
        "--project-cost",
        "0,40000",
        "--response-rate",
        "0.01,0.03",
        "--profit-per-sale",
        "1352",
        "--out",
        out.to_str().unwrap(),
        "--json",
        "-",
    ]);
    let t = &v["campaigns"][1];
    assert_eq!(t["discount_cost"], 90000.0);
    assert_eq!(t["total_cost"], 130000.0);
    assert_eq!(t["sales"], 108.0);
    assert_eq!(t["total_gain"], 146016.0);
    assert_eq!(t["profit"], 16016.0);
    assert_eq!(t["implied_share"], 0.12);
    assert_eq!(v["profit_difference"], 16016.0 + 344400.0);
    let csv = std::fs::read_to_string(out).unwrap();
    assert!(csv.starts_with("quantity,campaign_1,campaign_2\n"), "{csv}");
    assert!(csv.contains("profit,-344400,16016"), "{csv}");

    // The plain text table.
    let out = cartera(&[
        "campaign",
        "--audience",
        "3600",
        "--unit-cost",
        "25",
        "--project-cost",
        "40000",
        "--response-rate",
        "0.03",
        "--profit-per-sale",
        "1352",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("profit") && l.ends_with("16016")),
        "{text}"
    );
}

#[test]
fn campaign_bad_input() {
    let base = [
        "campaign",
        "--audience",
        "100",
        "--response-rate",
        "0.01",
        "--profit-per-sale",
        "10",
    ];
    let out = cartera(&[&base[..], &["--unit-cost", "-25"]].concat());
    assert_one_line_error(&out, "--unit-cost");
    let out = cartera(&[&base[..], &["--unit-cost", "1,2"]].concat());
    assert_one_line_error(&out, "--compare");
}

#[test]
fn bands_from_the_study_counts_and_from_scores() {
    let v = ok_json(&[
        "bands",
        "--counts",
        "321,563,1456,2514,5214",
        "--rates",
        "0.036,0.021,0.018,0.010,0.005",
        "--prioritise",
        "1000",
        "--commissions",
        "50,60,70,90,120",
        "--rewards",
        "100,50,20,0,0",
        "--save-rates",
        "0.5,0.4,0.3,0,0",
        "--json",
        "-",
    ]);
    assert_eq!(v["bands"]["total"]["offers"], 10068);
    let sales = v["bands"]["total"]["expected_sales"].as_f64().unwrap();
    assert!((sales - 100.797).abs() < 1e-9);
    assert_eq!(v["prioritised_selling"]["offers"], 1000);
    assert!(v["commissions"]["total_cost"].as_f64().unwrap() > 0.0);
    assert_eq!(v["retention_rewards"]["total_cost"], 89370.0);
    // Without --json the strategies' totals are on stderr, the band table on stdout.
    let out = cartera(&[
        "bands",
        "--counts",
        "321,563,1456,2514,5214",
        "--rates",
        "0.036,0.021,0.018,0.010,0.005",
        "--prioritise",
        "1000",
        "--rewards",
        "100,50,20,0,0",
        "--save-rates",
        "0.5,0.4,0.3,0,0",
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("prioritised selling: 1000 offers in bands 1, 2, 3"),
        "{err}"
    );
    assert!(err.contains("retention rewards: 89370.00 in all"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("band,"));

    let csv = scored_csv("bands");
    let out = tmp("bands.csv");
    let v = ok_json(&[
        "bands",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--outcome-column",
        "bought",
        "--by",
        "store",
        "--out",
        out.to_str().unwrap(),
        "--json",
        "-",
    ]);
    assert_eq!(v["bands"]["total"]["offers"], 2000);
    assert_eq!(v["bands"]["rows"][0]["offers"], 400);
    let by = v["by_group"].as_array().unwrap();
    assert_eq!(by.len(), 4);
    let band1: u64 = by
        .iter()
        .map(|g| g["table"]["rows"][0]["offers"].as_u64().unwrap())
        .sum();
    assert_eq!(band1, 400);
    // Better bands convert better.
    let e1 = v["bands"]["rows"][0]["effectiveness"].as_f64().unwrap();
    let e5 = v["bands"]["rows"][4]["effectiveness"].as_f64().unwrap();
    assert!(e1 > 2.0 * e5, "{e1} {e5}");
    let table = std::fs::read_to_string(out).unwrap();
    assert_eq!(table.lines().count(), 1 + 4 * 6);

    let out = cartera(&[
        "bands",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--cuts",
        "0.5,0.2",
    ]);
    assert_one_line_error(&out, "strictly increasing");
    let out = cartera(&[
        "bands",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--outcome-column",
        "churn",
    ]);
    assert_one_line_error(&out, "0 or 1");
}

#[test]
fn gains_deciles_and_profit_curve() {
    let csv = scored_csv("gains");
    let v = ok_json(&[
        "gains",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--outcome-column",
        "bought",
        "--unit-cost",
        "1",
        "--profit-per-sale",
        "5",
        "--json",
        "-",
    ]);
    let rows = v["gains"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["customers"] == 200));
    assert_eq!(rows[9]["cum_capture"], 1.0);
    assert!(rows[0]["lift"].as_f64().unwrap() > 1.5);
    let best = &v["profit_curve"]["best"];
    assert!(best["profit"].as_f64().unwrap() > 0.0);

    let out = cartera(&[
        "gains",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--outcome-column",
        "bought",
        "--bins",
        "5",
        "--by",
        "region",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("group,bin,customers"), "{text}");
    assert_eq!(text.lines().count(), 1 + 2 * 5);

    let out = cartera(&[
        "gains",
        csv.to_str().unwrap(),
        "--score-column",
        "score",
        "--outcome-column",
        "bought",
        "--by",
        "stor",
    ]);
    assert_one_line_error(&out, "no column named `stor`");
    let out = cartera(&[
        "gains",
        csv.to_str().unwrap(),
        "--score-column",
        "region",
        "--outcome-column",
        "bought",
    ]);
    assert_one_line_error(&out, "numeric");
}

#[test]
fn tiers_per_group() {
    let csv = scored_csv("tiers");
    let out = tmp("tiers.csv");
    let v = ok_json(&[
        "tiers",
        csv.to_str().unwrap(),
        "--churn-column",
        "churn",
        "--by",
        "store",
        "--out",
        out.to_str().unwrap(),
        "--json",
        "-",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["group"], "east");
    assert_eq!(v["total"]["total"], 2000);
    let sum: u64 = ["low", "moderate", "high", "critical"]
        .iter()
        .map(|k| v["total"][k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 2000);
    // Churn uniform on [0, 1]: about half the customers are Critical (retention < 0.5).
    let crit = v["total"]["critical_share"].as_f64().unwrap();
    assert!((crit - 0.5).abs() < 0.05, "{crit}");
    let table = std::fs::read_to_string(out).unwrap();
    assert!(
        table.starts_with("group,Low,Moderate,High,Critical,total"),
        "{table}"
    );
    assert_eq!(table.lines().count(), 6);

    // Same counts from the retention side when retention = 1 - churn.
    let v2 = ok_json(&[
        "tiers",
        csv.to_str().unwrap(),
        "--churn-column",
        "churn",
        "--bounds",
        "0.4,0.6,0.9",
        "--json",
        "-",
    ]);
    assert_eq!(v2["bounds"]["low"], 0.9);

    let out = cartera(&["tiers", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2)); // clap: one of the two columns is required
    let out = cartera(&[
        "tiers",
        csv.to_str().unwrap(),
        "--churn-column",
        "churn",
        "--bounds",
        "0.7,0.5,0.85",
    ]);
    assert_one_line_error(&out, "strictly increasing");
    let out = cartera(&["tiers", csv.to_str().unwrap(), "--retention-column", "id"]);
    assert_one_line_error(&out, "[0, 1]");
    // A churn column outside [0, 1] is named with its first bad data row (1-based: id 2 is
    // the third row).
    let out = cartera(&["tiers", csv.to_str().unwrap(), "--churn-column", "id"]);
    assert_one_line_error(&out, "column `id`: data row 3 holds 2: a churn probability");
}

#[test]
fn offers_next_best() {
    let csv = scored_csv("offers");
    let out = tmp("offers.csv");
    let v = ok_json(&[
        "offers",
        csv.to_str().unwrap(),
        "--products",
        "p_loan,p_savings",
        "--churn-column",
        "churn",
        "--id-column",
        "id",
        "--out",
        out.to_str().unwrap(),
        "--json",
        "-",
    ]);
    let c = &v["next_best_offer_counts"];
    let total: u64 = ["p_loan", "p_savings", "retention"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2000);
    // Churn band 1 (the riskiest fifth) gets the retention offer.
    assert_eq!(c["retention"], 400);
    let table = std::fs::read_to_string(out).unwrap();
    assert!(
        table.starts_with("id,band_p_loan,band_p_savings,band_churn,next_best_offer\n"),
        "{table}"
    );
    let out = cartera(&[
        "offers",
        csv.to_str().unwrap(),
        "--products",
        "p_loan",
        "--rule",
        "margin",
        "--margins",
        "1,2",
    ]);
    assert_one_line_error(&out, "margins");
}

#[test]
fn profile_matches_pandas_describe() {
    let data = repo().join("data/universal_bank.csv");
    let v = ok_json(&[
        "profile",
        data.to_str().unwrap(),
        "--by",
        "Education",
        "--columns",
        "Income,CCAvg",
        "--outcome-column",
        "Personal Loan",
        "--json",
        "-",
    ]);
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/scoring_profile.json")).unwrap(),
    )
    .unwrap();
    let want = &fixture["cases"][0]["groups"];
    for seg in v["segments"].as_array().unwrap() {
        let label = seg["segment"].as_str().unwrap();
        assert_eq!(seg["size"], want[label]["size"]);
        let rate = seg["outcome_rate"].as_f64().unwrap();
        assert!((rate - want[label]["outcome_rate"].as_f64().unwrap()).abs() < 1e-12);
        for f in seg["features"].as_array().unwrap() {
            let name = f["feature"].as_str().unwrap();
            for stat in ["mean", "std", "min", "25%", "50%", "75%", "max"] {
                let got = f[stat].as_f64().unwrap();
                let w = want[label]["describe"][name][stat].as_f64().unwrap();
                assert!(
                    (got - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "{label} {name} {stat}"
                );
            }
        }
    }
    // Text outcome with --positive, CSV to stdout.
    let telco = repo().join("data/telco_customer_churn.csv");
    let by_contract = |positive_flag: &str| {
        cartera(&[
            "profile",
            telco.to_str().unwrap(),
            "--by",
            "Contract",
            "--columns",
            "tenure,MonthlyCharges",
            "--outcome-column",
            "Churn",
            positive_flag,
            "Yes",
        ])
    };
    let out = by_contract("--positive");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("segment,size,share,outcome_rate,feature,count,mean"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 4 * 2);
    // `train`'s name for the flag works too, with the same output.
    let alias = by_contract("--positive-class");
    assert_eq!(alias.stdout, out.stdout);
    let out = cartera(&[
        "profile",
        repo()
            .join("data/telco_customer_churn.csv")
            .to_str()
            .unwrap(),
        "--by",
        "Contract",
        "--outcome-column",
        "Churn",
    ]);
    assert_one_line_error(&out, "--positive");
}

#[test]
fn campaign_console_keeps_huge_figures_in_their_column_and_refuses_overflow() {
    let out = cartera(&[
        "campaign",
        "--audience",
        "1000",
        "--unit-cost",
        "2.5e20",
        "--response-rate",
        "0.1",
        "--profit-per-sale",
        "3",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("unit_cost")).unwrap();
    assert_eq!(
        line.trim_end(),
        "unit_cost            2.500000e20",
        "{text}"
    );
    assert_one_line_error(
        &cartera(&[
            "campaign",
            "--audience",
            "1000000000000",
            "--unit-cost",
            "1e300",
            "--response-rate",
            "0.1",
            "--profit-per-sale",
            "3",
        ]),
        "audience x unit_cost overflows",
    );
}

/// The airline members' `ID#` is an identifier: not profiled unless named.
#[test]
fn profile_leaves_identifier_columns_out() {
    let data = repo().join("data/eastwest_airlines_cluster.csv");
    let v = ok_json(&[
        "profile",
        data.to_str().unwrap(),
        "--by",
        "Award?",
        "--json",
        "-",
    ]);
    let text = v.to_string();
    assert!(text.contains("\"Balance\""), "{text}");
    assert!(!text.contains("\"ID#\""), "{text}");
}

#[test]
fn campaign_compare_of_two_equal_campaigns_says_so() {
    let args = |audience: &'static str| {
        cartera(&[
            "campaign",
            "--compare",
            "--audience",
            audience,
            "--unit-cost",
            "2",
            "--response-rate",
            "0.1",
            "--profit-per-sale",
            "30",
        ])
    };
    let same = args("1000");
    assert!(same.status.success());
    assert!(String::from_utf8_lossy(&same.stderr).contains("both campaigns are the same"));
    let two = args("1000,100");
    assert!(two.status.success());
    assert!(
        two.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
}
