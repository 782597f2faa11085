//! The four study examples (`examples/*.rs`) run at small sizes, with their key figures checked:
//! segment names, k found, silhouette range, adjusted Rand index, AUC floors, tier counts
//! summing to the customers, and study 000's campaign table exactly.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../examples/atm_segmentation.rs"]
mod atm;
#[allow(dead_code)]
#[path = "../examples/bank_segmentation.rs"]
mod bank;
#[allow(dead_code)]
#[path = "../examples/purchase_propensity.rs"]
mod propensity;
#[allow(dead_code)]
#[path = "../examples/telco_churn.rs"]
mod telco;

use std::path::{Path, PathBuf};

/// A fresh output folder under the target directory for one test.
fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("examples")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn assert_written(files: &[PathBuf], names: &[&str]) {
    for n in names {
        let f = files.iter().find(|f| f.file_name().unwrap() == *n);
        let f = f.unwrap_or_else(|| panic!("{n} not reported in {files:?}"));
        assert!(
            std::fs::metadata(f).unwrap().len() > 0,
            "{} is empty",
            f.display()
        );
    }
}

#[test]
fn atm_segments_are_named_from_their_centroids() {
    let opts = atm::Options {
        out: out_dir("atm"),
        ..atm::Options::default()
    };
    let s = atm::run(&opts).unwrap();
    assert_eq!(s.customers, 1_000);
    let mut names: Vec<&str> = s.segments.iter().map(|g| g.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["frequent spenders", "occasional users", "regular users"]
    );
    assert_eq!(s.segments.iter().map(|g| g.customers).sum::<usize>(), 1_000);
    let by = |n: &str| s.segments.iter().find(|g| g.name == n).unwrap();
    let (occ, reg, freq) = (
        by("occasional users"),
        by("regular users"),
        by("frequent spenders"),
    );
    // The profiles the study describes: frequency and amount both rise from occasional to
    // regular to frequent.
    assert!(occ.frequency < reg.frequency && reg.frequency < freq.frequency);
    assert!(occ.amount < reg.amount && reg.amount < freq.amount);
    // The names match the generator's own profiles (ATM_GROUPS: regular, frequent, occasional)
    // row by row, not just as a partition.
    let truth = ["regular users", "frequent spenders", "occasional users"];
    let agree = s
        .labels
        .iter()
        .zip(&s.true_groups)
        .filter(|(l, g)| l.as_str() == truth[**g])
        .count();
    assert!(agree > 950, "{agree} of 1000 customers named as simulated");
    assert!(s.adjusted_rand_index > 0.9, "ARI {}", s.adjusted_rand_index);
    assert!(
        (0.5..0.9).contains(&s.silhouette),
        "silhouette {}",
        s.silhouette
    );
    assert_written(
        &s.files,
        &[
            "customers.csv",
            "segments.csv",
            "summary.json",
            "scatter.svg",
        ],
    );
    let crm = std::fs::read_to_string(opts.out.join("customers.csv")).unwrap();
    assert_eq!(crm.lines().count(), 1_001);
    assert!(crm.lines().next().unwrap().ends_with("segment,campaign"));
}

#[test]
fn bank_generated_table_gives_three_profiled_segments() {
    let opts = bank::Options {
        out: out_dir("bank_generated"),
        rows: 2_000,
        ..bank::Options::default()
    };
    let s = bank::run(&opts).unwrap();
    assert_eq!(s.customers, 2_000);
    assert_eq!(
        s.candidates.iter().map(|c| c.k).collect::<Vec<_>>(),
        [3, 4, 5, 6]
    );
    assert!(s.candidates.windows(2).all(|w| w[1].inertia < w[0].inertia));
    assert_eq!(s.k, 3);
    assert_eq!(s.profile.segments.len(), 3);
    assert_eq!(
        s.profile.segments.iter().map(|g| g.size).sum::<u64>(),
        2_000
    );
    for c in &s.candidates {
        assert!(
            (0.0..1.0).contains(&c.silhouette),
            "k {} silhouette {}",
            c.k,
            c.silhouette
        );
    }
    // The overall conversion rate is the generator's (about 11 %), and segments differ.
    let overall = s.profile.overall.outcome_rate.unwrap();
    assert!((0.07..0.16).contains(&overall), "{overall}");
    let rates: Vec<f64> = s
        .profile
        .segments
        .iter()
        .map(|g| g.outcome_rate.unwrap())
        .collect();
    let spread = rates.iter().cloned().fold(f64::MIN, f64::max)
        - rates.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 0.01, "{rates:?}");
    assert_written(
        &s.files,
        &[
            "segmented.csv",
            "profile.csv",
            "pca_scatter.svg",
            "elbow.svg",
            "summary.json",
        ],
    );
}

#[test]
fn bank_real_universal_bank_csv() {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/universal_bank.csv");
    let opts = bank::Options {
        out: out_dir("bank_universal"),
        input: Some(input),
        target: "Personal Loan".into(),
        drop: vec!["ZIP Code".into()],
        ..bank::Options::default()
    };
    let s = bank::run(&opts).unwrap();
    assert_eq!(s.customers, 5_000);
    assert_eq!(s.id_columns, ["ID"]);
    assert!(
        !s.features
            .iter()
            .any(|f| f == "ZIP Code" || f == "Personal Loan" || f == "ID")
    );
    // data/README.md: 9.6 % took the personal loan.
    let overall = s.profile.overall.outcome_rate.unwrap();
    assert!((overall - 0.096).abs() < 1e-12, "{overall}");
    assert_eq!(
        s.profile.segments.iter().map(|g| g.size).sum::<u64>(),
        5_000
    );
    let three = &s.candidates[0];
    assert!(
        (0.15..0.7).contains(&three.silhouette),
        "silhouette at k = 3: {}",
        three.silhouette
    );
    // Income drives the loan: the segments' conversion rates are far apart.
    let rates: Vec<f64> = s
        .profile
        .segments
        .iter()
        .map(|g| g.outcome_rate.unwrap())
        .collect();
    let max = rates.iter().cloned().fold(f64::MIN, f64::max);
    assert!(max > 2.0 * overall, "{rates:?}");
    let joined = std::fs::read_to_string(opts.out.join("segmented.csv")).unwrap();
    assert_eq!(joined.lines().count(), 5_001);
}

#[test]
fn bank_bad_target_is_a_readable_error() {
    let opts = bank::Options {
        out: out_dir("bank_bad"),
        rows: 100,
        target: "no_such_column".into(),
        ..bank::Options::default()
    };
    let e = bank::run(&opts).unwrap_err().to_string();
    assert!(e.contains("no_such_column"), "{e}");
}

#[test]
fn telco_churn_small_table() {
    let opts = telco::Options {
        out: out_dir("telco"),
        rows: 3_000,
        churn_trees: 60,
        ..telco::Options::default()
    };
    let s = telco::run(&opts).unwrap();
    assert_eq!(s.rows, 3_000);
    assert_eq!(s.duplicates, 15); // round(0.5 % of 3,000)
    let n = s.rows - s.duplicates;
    assert!(s.sentinels > 0);
    assert_eq!(s.k, 4, "elbow {:?}", s.elbow);
    assert!(s.ari >= 0.8, "ARI {}", s.ari);
    assert!(
        (0.1..0.8).contains(&s.silhouette),
        "silhouette {}",
        s.silhouette
    );
    let mut names: Vec<&str> = s.segments.iter().map(|g| g.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "cautious rechargers",
            "global communicators",
            "prodigious rechargers",
            "standard users"
        ]
    );
    assert_eq!(s.segments.iter().map(|g| g.customers).sum::<usize>(), n);
    // Tier counts: per segment and in total, they add up to the customers.
    for r in s.tiers.rows.iter().chain(std::iter::once(&s.tiers.total)) {
        assert_eq!(r.low + r.moderate + r.high + r.critical, r.total);
    }
    assert_eq!(s.tiers.total.total as usize, n);
    assert_eq!(s.split.0 + s.split.1, n);
    assert!(s.gbdt.auc > 0.9, "GBDT AUC {}", s.gbdt.auc);
    assert!(s.gbdt.accuracy > 0.85, "GBDT accuracy {}", s.gbdt.accuracy);
    assert!(s.logistic.auc > 0.75, "logistic AUC {}", s.logistic.auc);
    assert!(s.gbdt.auc > s.logistic.auc);
    // The generator's risky stores are T07, T19 and T33.
    let top3: Vec<&str> = s.stores.iter().take(3).map(|s| s.0.as_str()).collect();
    assert!(
        top3.contains(&"T07") && top3.contains(&"T19") && top3.contains(&"T33"),
        "{top3:?}"
    );
    assert_written(
        &s.files,
        &[
            "split.csv",
            "customers.csv",
            "tiers.csv",
            "stores.csv",
            "cluster_shap.csv",
            "elbow.svg",
            "tiers.svg",
            "summary.json",
        ],
    );
    let split = std::fs::read_to_string(opts.out.join("split.csv")).unwrap();
    assert_eq!(split.lines().count(), n + 1);
    assert_eq!(
        split.lines().filter(|l| l.ends_with(",valid")).count(),
        s.split.1
    );
}

#[test]
fn purchase_propensity_reproduces_study_000() {
    let opts = propensity::Options {
        out: out_dir("propensity"),
        rows: 5_000,
        ..propensity::Options::default()
    };
    let s = propensity::run(&opts).unwrap();
    // The campaign table of study 000, exactly.
    let [mass, direct] = &s.campaigns;
    assert_eq!(
        (
            mass.audience,
            mass.discount_cost,
            mass.total_cost,
            mass.sales,
            mass.total_gain,
            mass.profit
        ),
        (30_000, 750_000.0, 750_000.0, 300.0, 405_600.0, -344_400.0)
    );
    assert_eq!(
        (
            direct.audience,
            direct.discount_cost,
            direct.project_cost,
            direct.total_cost
        ),
        (3_600, 90_000.0, 40_000.0, 130_000.0)
    );
    assert_eq!(
        (direct.sales, direct.total_gain, direct.profit),
        (108.0, 146_016.0, 16_016.0)
    );
    assert_eq!(direct.share, Some(0.20));
    assert!((direct.implied_share.unwrap() - 0.12).abs() < 1e-12);
    // The deck's band table: 10,068 offers, 100.797 expected sales.
    assert_eq!(s.study_bands.total.offers, 10_068);
    assert!((s.study_bands.total.expected_sales - 100.797).abs() < 1e-9);
    assert_eq!(s.selling.offers, 2_340);
    assert!(
        (s.selling.expected_sales - (321.0 * 0.036 + 563.0 * 0.021 + 1456.0 * 0.018)).abs() < 1e-9
    );
    // Models on the generated bank table.
    assert!(
        s.auc_logistic > 0.6 && s.auc_gbdt > 0.6,
        "{} {}",
        s.auc_logistic,
        s.auc_gbdt
    );
    assert_eq!(s.bands.rows.len(), 5);
    assert_eq!(s.bands.total.offers as usize, s.rows.2);
    assert!(s.bands.rows[0].effectiveness > s.bands.rows[4].effectiveness);
    assert!(s.gains.rows[0].lift > 1.0);
    assert_eq!(s.offer_counts.iter().map(|c| c.1).sum::<usize>(), s.rows.2);
    assert_written(
        &s.files,
        &[
            "gains.csv",
            "gains.svg",
            "bands.csv",
            "study_bands.csv",
            "offer_matrix.csv",
            "campaigns.csv",
            "summary.json",
        ],
    );
}
