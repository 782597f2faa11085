#![allow(clippy::unwrap_used)]
//! Gains, bands, tiers and profiles on 60,000 scored rows in 4- and 500-level groups: checked
//! against direct recomputation, and identical (bit for bit) on 1 and 4 threads.

use cartera_core::CarteraRng;
use cartera_scoring::Groups;
use cartera_scoring::bands::{BandRule, BandTable, bands_by_group};
use cartera_scoring::gains::{gains, gains_by_group, grouped_gains_table};
use cartera_scoring::profile::profile;
use cartera_scoring::tiers::{RiskTier, TierBounds, risk_tiers};

struct Data {
    score: Vec<f64>,
    y: Vec<bool>,
    g4: Groups,
    g500: Groups,
    x: Vec<f64>,
}

fn data(n: usize) -> Data {
    let mut rng = CarteraRng::stream(11, 0);
    let mut score = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    let mut c4 = Vec::with_capacity(n);
    let mut c500 = Vec::with_capacity(n);
    let mut x = Vec::with_capacity(n);
    for _ in 0..n {
        // Rounded to 3 decimals: plenty of ties.
        let s: f64 = (rng.uniform() * 1000.0).round() / 1000.0;
        score.push(s);
        y.push(rng.uniform() < s * 0.3);
        c4.push(rng.below(4) as u32);
        c500.push(rng.below(500) as u32);
        x.push(if rng.uniform() < 0.01 {
            f64::NAN
        } else {
            rng.uniform() * 100.0
        });
    }
    let labels = |k: usize| (0..k).map(|i| format!("g{i:03}")).collect::<Vec<_>>();
    Data {
        score,
        y,
        g4: Groups::from_codes(c4, labels(4)).unwrap(),
        g500: Groups::from_codes(c500, labels(500)).unwrap(),
        x,
    }
}

fn on_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn grouped_gains_equal_per_group_gains() {
    let d = data(60_000);
    let by = gains_by_group(&d.y, &d.score, &d.g4, 10).unwrap();
    assert_eq!(by.len(), 4);
    for (g, gg) in by.iter().enumerate() {
        let rows: Vec<usize> = (0..d.y.len())
            .filter(|&i| d.g4.codes()[i] as usize == g)
            .collect();
        let y: Vec<bool> = rows.iter().map(|&i| d.y[i]).collect();
        let s: Vec<f64> = rows.iter().map(|&i| d.score[i]).collect();
        assert_eq!(gg.table, gains(&y, &s, 10).unwrap());
    }
    let all = gains(&d.y, &d.score, 10).unwrap();
    assert_eq!(all.rows.iter().map(|r| r.customers).sum::<u64>(), 60_000);
    assert_eq!(all.rows.last().unwrap().cum_capture, 1.0);
    // Scores that rank well give a falling response rate and a first-decile lift above 1.
    assert!(all.rows[0].lift > 1.5 && all.rows[9].lift < 0.5);
    let t = grouped_gains_table(&by);
    assert_eq!(t.n_rows(), 40);
}

#[test]
fn bands_counted_per_group_add_up() {
    let d = data(60_000);
    let rule = BandRule::Quantiles(5);
    let by = bands_by_group(&d.score, Some(&d.y), &d.g500, &rule).unwrap();
    let all = BandTable::from_scores(&d.score, Some(&d.y), &rule).unwrap();
    for b in 0..5 {
        let offers: u64 = by.iter().map(|g| g.table.rows[b].offers).sum();
        assert_eq!(offers, all.rows[b].offers);
        assert_eq!(offers, 12_000);
        let sales: f64 = by.iter().map(|g| g.table.rows[b].expected_sales).sum();
        assert_eq!(sales, all.rows[b].expected_sales);
    }
    // Band 1 holds the highest scores.
    assert!(all.rows[0].min_score >= all.rows[1].max_score);
    // Predicted effectiveness (no outcomes): the mean score per band.
    let pred = BandTable::from_scores(&d.score, None, &rule).unwrap();
    assert!((pred.total.effectiveness - d.score.iter().sum::<f64>() / 60_000.0).abs() < 1e-12);
}

#[test]
fn tiers_match_a_direct_count() {
    let d = data(60_000);
    let b = TierBounds::default();
    let t = risk_tiers(&d.score, Some(&d.g4), b).unwrap();
    for (g, row) in t.rows.iter().enumerate() {
        let mut c = [0u64; 4];
        let mut churn = 0.0;
        let mut n = 0;
        for i in 0..d.score.len() {
            if d.g4.codes()[i] as usize == g {
                let r = d.score[i];
                let k = if r > 0.85 {
                    0
                } else if r >= 0.7 {
                    1
                } else if r >= 0.5 {
                    2
                } else {
                    3
                };
                c[k] += 1;
                churn += 1.0 - r;
                n += 1;
            }
        }
        assert_eq!([row.low, row.moderate, row.high, row.critical], c);
        assert!((row.mean_churn_probability - churn / n as f64).abs() < 1e-12);
    }
    assert_eq!(t.total.total, 60_000);
    assert_eq!(b.tier(0.85), RiskTier::Moderate);
    // 5 columns of counts + group + shares + mean churn.
    assert_eq!(t.to_table().n_rows(), 5);
}

#[test]
fn same_tables_on_one_and_four_threads() {
    let d = data(60_000);
    let run = || {
        let gains = gains_by_group(&d.y, &d.score, &d.g500, 10).unwrap();
        let bands = bands_by_group(&d.score, Some(&d.y), &d.g500, &BandRule::Quantiles(5)).unwrap();
        let tiers = risk_tiers(&d.score, Some(&d.g500), TierBounds::default()).unwrap();
        let prof = profile(&[("x", &d.x), ("score", &d.score)], &d.g500, Some(&d.y)).unwrap();
        serde_json::to_string(&(gains, bands, tiers, prof)).unwrap()
    };
    let one = on_threads(1, run);
    let four = on_threads(4, run);
    assert!(one == four, "tables differ between 1 and 4 threads");
}
