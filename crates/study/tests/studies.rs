#![allow(clippy::unwrap_used)]
//! Each study on a small generated table: its key figures, the campaign lists, the output
//! folder, thread-count invariance and bad input.

use std::collections::HashSet;
use std::path::PathBuf;

use cartera_preprocess::{Column, Table, datasets};
use cartera_study::{Input, NoProgress, RoleMap, Study, StudyOutcome, StudyParams, StudyReport};

fn run(study: Study, rows: usize) -> StudyOutcome {
    StudyParams::new(study)
        .rows(Some(rows))
        .run(Input::Generated, &NoProgress)
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartera-study-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Every customer in exactly one campaign list, lists named after the segments.
fn assert_lists_cover(o: &StudyOutcome, n: usize) {
    let mut seen = HashSet::new();
    for list in &o.campaigns {
        for e in &list.entries {
            assert_eq!(e.segment, list.segment);
            assert!(
                seen.insert(e.customer_id.clone()),
                "customer {} listed twice",
                e.customer_id
            );
        }
    }
    assert_eq!(seen.len(), n, "every customer listed once");
}

#[test]
fn atm_finds_the_three_named_segments() {
    let o = run(Study::Atm, 1_000);
    let StudyReport::Atm(r) = &o.report else {
        panic!("atm report")
    };
    assert_eq!(r.k, 3);
    assert!(
        r.silhouette > 0.5 && r.silhouette <= 1.0,
        "silhouette {}",
        r.silhouette
    );
    let by = |n: &str| r.segments.iter().find(|s| s.name == n).unwrap();
    let (freq, reg, occ) = (
        by("frequent spenders"),
        by("regular users"),
        by("occasional users"),
    );
    assert!(freq.mean_frequency > reg.mean_frequency && reg.mean_frequency > occ.mean_frequency);
    assert!(freq.mean_amount > reg.mean_amount && reg.mean_amount > occ.mean_amount);
    // The generator's shares are 50 / 20 / 30 %.
    assert!((400..600).contains(&reg.size), "regular users {}", reg.size);
    assert_eq!(r.segments.iter().map(|s| s.size).sum::<usize>(), 1_000);
    assert_lists_cover(&o, 1_000);
    assert!(
        o.campaigns
            .iter()
            .all(|c| c.entries.iter().all(|e| e.score_band.is_none()))
    );
}

#[test]
fn telco_recovers_four_segments_and_tiers_everyone() {
    let o = run(Study::Telco, 4_000);
    let StudyReport::Telco(r) = &o.report else {
        panic!("telco report")
    };
    assert_eq!(r.k, 4, "elbow {:?}", r.elbow);
    assert_eq!(r.elbow.knee, Some(4));
    let ari = r.adjusted_rand_index.unwrap();
    assert!(ari >= 0.8, "adjusted Rand index {ari}");
    assert!(
        r.silhouette > 0.1 && r.silhouette < 0.8,
        "silhouette {}",
        r.silhouette
    );
    let mut names: Vec<&str> = r.segments.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cautious rechargers",
            "global communicators",
            "prodigious rechargers",
            "standard users"
        ]
    );
    assert_eq!(r.cleaning.duplicates_removed, 20); // 0.5 % of 4,000
    assert!(r.cleaning.sentinels_replaced > 0);
    assert_eq!(r.cleaning.id_column.as_deref(), Some("IMEI"));
    assert!(
        r.cleaning
            .categorical_left_out
            .contains(&"PLAN".to_string())
    );
    assert!(r.churn_gbdt.auc > 0.85, "churn AUC {}", r.churn_gbdt.auc);
    assert!(r.churn_gbdt.auc > r.churn_logistic.auc);
    assert!(r.churn_gbdt.accuracy > 0.8);
    // Tier counts sum to the customers, per segment and overall.
    let n = o.n_rows;
    assert_eq!(n, 3_980);
    let t = &r.tiers.total;
    assert_eq!(t.low + t.moderate + t.high + t.critical, n as u64);
    for s in &r.segments {
        assert_eq!(s.tiers.iter().sum::<u64>(), s.size as u64, "{}", s.name);
    }
    assert_eq!(r.stores.iter().map(|s| s.customers).sum::<u64>(), n as u64);
    assert!(
        r.stores
            .windows(2)
            .all(|w| w[0].mean_churn_probability >= w[1].mean_churn_probability)
    );
    // Every segment explained by its own top features.
    assert_eq!(r.segment_shap.len(), 4);
    assert!(
        r.segment_shap
            .iter()
            .all(|c| !c.features.is_empty() && c.features[0].mean_abs_shap > 0.0)
    );
    assert!(r.segment_model_accuracy > 0.9);
    assert_lists_cover(&o, n);
    let scores = o.scores.as_ref().unwrap();
    assert_eq!(scores.len(), n);
    assert!(scores.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn bank_searches_k_and_profiles_conversion() {
    let o = run(Study::Bank, 3_000);
    let StudyReport::Bank(r) = &o.report else {
        panic!("bank report")
    };
    assert!((3..=6).contains(&r.k));
    assert_eq!(r.choice.ks, vec![3, 4, 5, 6]);
    let best = r
        .choice
        .silhouettes
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        r.silhouette > 0.0 && r.silhouette < 1.0,
        "silhouette {}",
        r.silhouette
    );
    assert_eq!(r.choice.silhouettes[r.k - 3], best);
    assert!(r.pca_components >= 2);
    assert_eq!(r.segments.iter().map(|s| s.size).sum::<usize>(), 3_000);
    assert!(r.overall_conversion > 0.05 && r.overall_conversion < 0.2);
    // Segment conversion rates average (by size) to the overall rate.
    let weighted: f64 = r
        .segments
        .iter()
        .map(|s| s.conversion_rate * s.size as f64)
        .sum::<f64>()
        / 3_000.0;
    assert!((weighted - r.overall_conversion).abs() < 1e-12);
    assert_lists_cover(&o, 3_000);
}

#[test]
fn propensity_reproduces_study_000_and_scores_bands() {
    let o = run(Study::Propensity, 3_000);
    let StudyReport::Propensity(r) = &o.report else {
        panic!("propensity report")
    };
    assert!(r.gbdt.auc > 0.7, "gbdt AUC {}", r.gbdt.auc);
    assert!(r.logistic.auc > 0.7, "logistic AUC {}", r.logistic.auc);
    // Study 000's campaign table, exactly.
    let (m, t) = (&r.campaign.mass, &r.campaign.targeted);
    assert_eq!(
        (m.audience, m.discount_cost, m.total_cost, m.sales),
        (30_000, 750_000.0, 750_000.0, 300.0)
    );
    assert_eq!((m.total_gain, m.profit), (405_600.0, -344_400.0));
    assert_eq!(
        (t.audience, t.discount_cost, t.project_cost, t.total_cost),
        (3_600, 90_000.0, 40_000.0, 130_000.0)
    );
    assert_eq!(
        (t.sales, t.total_gain, t.profit),
        (108.0, 146_016.0, 16_016.0)
    );
    assert_eq!(r.study_bands.total.offers, 10_068);
    assert!((r.study_bands.total.expected_sales - 100.797).abs() < 1e-9);
    // Five equal bands over everyone, best first.
    assert_eq!(r.bands.rows.len(), 5);
    assert_eq!(r.bands.total.offers, 3_000);
    assert!(
        r.bands
            .rows
            .windows(2)
            .all(|w| w[0].effectiveness >= w[1].effectiveness)
    );
    assert_eq!(r.gains.rows.len(), 10);
    assert!(
        r.gains.rows[0].lift > 1.5,
        "top-decile lift {}",
        r.gains.rows[0].lift
    );
    assert_eq!(r.prioritised_selling.offers, 360);
    // Next best offers cover every customer.
    assert_eq!(
        r.products
            .iter()
            .map(|p| p.next_best_offer_customers)
            .sum::<usize>(),
        3_000
    );
    assert_eq!(r.products[0].product, "y");
    assert_lists_cover(&o, 3_000);
    for list in &o.campaigns {
        let band: u8 = list.segment.trim_start_matches("band ").parse().unwrap();
        assert!(list.entries.iter().all(|e| e.score_band == Some(band)));
    }
}

#[test]
fn telco_is_the_same_whatever_the_thread_count() {
    let at = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| run(Study::Telco, 1_500))
    };
    let one = at(1);
    for threads in [2, 8] {
        let other = at(threads);
        assert_eq!(
            serde_json::to_value(&other.report).unwrap(),
            serde_json::to_value(&one.report).unwrap(),
            "{threads} threads"
        );
        assert_eq!(other.campaigns, one.campaigns, "{threads} threads");
        assert_eq!(other.scores, one.scores, "{threads} threads");
    }
}

#[test]
fn output_folder_holds_tables_charts_report_and_lists() {
    let out = tmp("atm-out");
    let o = StudyParams::new(Study::Atm)
        .rows(Some(300))
        .out_dir(Some(out.clone()))
        .run(Input::Generated, &NoProgress)
        .unwrap();
    for f in [
        "summary.json",
        "segments.csv",
        "customers.csv",
        "segments_scatter.svg",
        "report.html",
        "campaign_frequent_spenders.csv",
    ] {
        assert!(out.join(f).is_file(), "{f} missing; files {:?}", o.files);
    }
    // Every file is listed, plus the hidden manifest that lets the next run replace them.
    assert_eq!(o.files.len() + 1, std::fs::read_dir(&out).unwrap().count());
    let manifest = std::fs::read_to_string(out.join(".cartera-study-files")).unwrap();
    assert!(o.files.iter().all(|f| manifest.lines().any(|l| l == f)));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("occasional users"));
    let listed: usize = o
        .campaigns
        .iter()
        .map(|c| {
            Table::read_csv(out.join(&c.file), &Default::default())
                .unwrap()
                .n_rows()
        })
        .sum();
    assert_eq!(listed, 300);
    // The profiles name the segments as segments.csv does (not "cluster 0").
    let names = Table::read_csv(out.join("segments.csv"), &Default::default()).unwrap();
    let profiles = Table::read_csv(out.join("segment_profiles.csv"), &Default::default()).unwrap();
    let text = |t: &Table, col: &str| -> Vec<String> {
        let c = t.column(col).unwrap();
        (0..t.n_rows()).filter_map(|i| c.get_string(i)).collect()
    };
    let named = text(&names, "segment");
    for label in text(&profiles, "segment") {
        assert!(
            label == "Total" || named.contains(&label),
            "{label} not in {named:?}"
        );
    }
    assert!(o.notes.is_empty(), "{:?}", o.notes);
    // No staging folder left beside it.
    let parent = out.parent().unwrap();
    assert!(
        std::fs::read_dir(parent).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
}

fn err(params: StudyParams, input: Input) -> String {
    params.run(input, &NoProgress).unwrap_err().to_string()
}

#[test]
fn a_missing_mapped_column_names_role_and_column() {
    let t = datasets::bank_customers(500, 1).unwrap();
    let roles = RoleMap::parse(&["target=purchased"]).unwrap();
    let e = err(
        StudyParams::new(Study::Propensity).roles(roles),
        Input::Table(t.clone()),
    );
    assert!(e.contains("target") && e.contains("purchased"), "{e}");
    let roles = RoleMap::parse(&["features=age,income"]).unwrap();
    let e = err(StudyParams::new(Study::Bank).roles(roles), Input::Table(t));
    assert!(e.contains("features") && e.contains("income"), "{e}");
}

#[test]
fn a_target_with_one_class_is_refused() {
    let mut t = datasets::bank_customers(500, 1).unwrap();
    t.replace_column("y", Column::Numeric(vec![0.0; 500]))
        .unwrap();
    let e = err(StudyParams::new(Study::Propensity), Input::Table(t));
    assert!(
        e.contains("target") && e.contains("= y") && e.contains("single class"),
        "{e}"
    );
}

#[test]
fn a_store_column_with_one_value_is_refused_and_nothing_is_written() {
    let mut t = datasets::telco_churn(800, 3).unwrap();
    let one = cartera_preprocess::CategoricalColumn::from_options(&vec![Some("T01"); 800]);
    t.replace_column("TIENDA", Column::Categorical(one))
        .unwrap();
    let out = tmp("telco-one-store");
    let e = err(
        StudyParams::new(Study::Telco).out_dir(Some(out.clone())),
        Input::Table(t),
    );
    assert!(e.contains("TIENDA") && e.contains("single value"), "{e}");
    assert!(!out.exists());
    let parent = out.parent().unwrap();
    assert!(std::fs::read_dir(parent).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("telco-one-store")
    }));
}

#[test]
fn an_unwritable_output_folder_is_one_error() {
    let file = tmp("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = err(
        StudyParams::new(Study::Atm)
            .rows(Some(100))
            .out_dir(Some(file.join("out"))),
        Input::Generated,
    );
    assert!(e.contains("cannot write the output folder"), "{e}");
    let e = err(
        StudyParams::new(Study::Atm)
            .rows(Some(100))
            .out_dir(Some(file.clone())),
        Input::Generated,
    );
    assert!(e.contains("not a folder"), "{e}");
}

#[test]
fn a_users_table_with_mapped_roles_runs() {
    // The ATM table with renamed columns, mapped back by role.
    let t = datasets::atm_customers(400, 5).unwrap();
    let cols: Vec<(String, Column)> = ["id", "age", "freq", "amount"]
        .iter()
        .zip(t.columns())
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    let renamed = Table::from_columns(cols).unwrap();
    let roles = RoleMap::parse(&["id=id", "features=freq,amount"]).unwrap();
    let o = StudyParams::new(Study::Atm)
        .roles(roles)
        .run(Input::Table(renamed), &NoProgress)
        .unwrap();
    let g = run_atm_generated(400, 5);
    assert_eq!(o.campaigns, g.campaigns);
}

fn run_atm_generated(rows: usize, seed: u64) -> StudyOutcome {
    StudyParams::new(Study::Atm)
        .rows(Some(rows))
        .seed(seed)
        .run(Input::Generated, &NoProgress)
        .unwrap()
}

/// The real IBM telco table: the 0/1 SeniorCitizen column takes no part in the IQR fences
/// (every one of its 1,142 seniors was an "outlier" left out of the segmentation), and a note
/// says so.
#[test]
fn flags_take_no_part_in_the_telco_outlier_fences() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/telco_customer_churn.csv");
    let t = Table::read_csv(&path, &cartera_preprocess::CsvOptions::default()).unwrap();
    let roles = RoleMap::parse(&["target=Churn", "id=customerID", "store=PaymentMethod"]).unwrap();
    let o = StudyParams::new(Study::Telco)
        .roles(roles)
        .run(Input::Table(t), &NoProgress)
        .unwrap();
    let StudyReport::Telco(r) = &o.report else {
        panic!("not a telco report");
    };
    assert!(
        r.cleaning.outlier_rows < 1142,
        "{}",
        r.cleaning.outlier_rows
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.starts_with("SeniorCitizen takes two values at most")),
        "{:?}",
        o.notes
    );
}

/// With a target mapped, the bank study's note on its default features does not ask for one.
#[test]
fn the_bank_note_asks_for_a_target_only_without_one() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/universal_bank.csv");
    let t = Table::read_csv(&path, &cartera_preprocess::CsvOptions::default()).unwrap();
    for (roles, asks) in [(vec!["target=Personal Loan"], false), (vec![], true)] {
        let o = StudyParams::new(Study::Bank)
            .roles(RoleMap::parse(&roles).unwrap())
            .run(Input::Table(t.clone()), &NoProgress)
            .unwrap();
        let note = o
            .notes
            .iter()
            .find(|n| n.starts_with("none of the study's features"))
            .unwrap();
        assert_eq!(note.contains("--map target=COLUMN"), asks, "{note}");
    }
}
