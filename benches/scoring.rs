//! The scoring tables on study 004's size: 371,589 scored rows grouped by a 4-level and a
//! 500-level column (gains by decile, quantile bands 1..5, retention-risk tiers, profiles of
//! five features with an outcome), plus the ranking metrics on the same rows.
//!
//! `cargo bench --bench scoring`. The side-by-side comparison with the pandas groupby
//! equivalents is `scripts/bench_scoring.sh` (same rows, via the `scoring_timing` example);
//! see docs/benchmarks.md. Target: each grouped table under 50 ms on 2 threads.

use std::hint::black_box;

use cartera::core::CarteraRng;
use cartera::preprocess::{CategoricalColumn, Column, Table};
use cartera::scoring::Groups;
use cartera::scoring::bands::{BandRule, bands_by_group};
use cartera::scoring::gains::gains_by_group;
use cartera::scoring::metrics::{average_precision, roc_auc};
use cartera::scoring::profile::profile;
use cartera::scoring::tiers::{TierBounds, risk_tiers};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: usize = 371_589;

struct Data {
    table: Table,
    score: Vec<f64>,
    y: Vec<bool>,
    retention: Vec<f64>,
    features: Vec<Vec<f64>>,
}

/// Same distributions as the `scoring_timing` example: 3-decimal scores (many ties), outcomes
/// following the score, uniform retention, five features (one with 1 % missing), categorical
/// groups of 4 and 500 levels.
fn data() -> Data {
    let mut rng = CarteraRng::stream(2024, 0);
    let (mut score, mut y, mut retention) = (vec![], vec![], vec![]);
    let mut features: Vec<Vec<f64>> = (0..5).map(|_| Vec::with_capacity(ROWS)).collect();
    let (mut g4, mut g500) = (vec![], vec![]);
    for _ in 0..ROWS {
        let s = (rng.uniform() * 1000.0).round() / 1000.0;
        score.push(s);
        y.push(rng.uniform() < 0.3 * s);
        retention.push(rng.uniform());
        features[0].push(rng.uniform() * 100.0);
        features[1].push((rng.uniform() * 4.0).exp());
        features[2].push((rng.uniform() * 30.0).round());
        features[3].push(if rng.uniform() < 0.01 {
            f64::NAN
        } else {
            rng.uniform_range(-5.0, 5.0)
        });
        features[4].push(s * 1000.0 + rng.uniform());
        g4.push(rng.below(4) as u32);
        g500.push(rng.below(500) as u32);
    }
    let levels = |k: usize| (0..k).map(|i| format!("g{i:03}")).collect::<Vec<_>>();
    let table = Table::from_columns(vec![
        (
            "g4".into(),
            Column::Categorical(CategoricalColumn::from_codes(g4, levels(4))),
        ),
        (
            "g500".into(),
            Column::Categorical(CategoricalColumn::from_codes(g500, levels(500))),
        ),
    ])
    .expect("fixed, valid columns");
    Data {
        table,
        score,
        y,
        retention,
        features,
    }
}

fn grouped(c: &mut Criterion) {
    let d = data();
    let names = ["f0", "f1", "f2", "f3", "f4"];
    let feats: Vec<(&str, &[f64])> = names
        .iter()
        .zip(&d.features)
        .map(|(n, v)| (*n, v.as_slice()))
        .collect();
    let mut g = c.benchmark_group("scoring");
    g.sample_size(20);
    for col in ["g4", "g500"] {
        // Grouping the column is part of each table, as in pandas' groupby.
        let groups = || Groups::from_table(&d.table, col).expect("column exists");
        g.bench_function(format!("gains_deciles_371589_{col}"), |b| {
            b.iter(|| black_box(gains_by_group(&d.y, &d.score, &groups(), 10).expect("valid")))
        });
        g.bench_function(format!("bands_quantile5_371589_{col}"), |b| {
            b.iter(|| {
                black_box(
                    bands_by_group(&d.score, Some(&d.y), &groups(), &BandRule::Quantiles(5))
                        .expect("valid"),
                )
            })
        });
        g.bench_function(format!("tiers_371589_{col}"), |b| {
            b.iter(|| {
                black_box(
                    risk_tiers(&d.retention, Some(&groups()), TierBounds::default())
                        .expect("valid"),
                )
            })
        });
        g.bench_function(format!("profile_5features_371589_{col}"), |b| {
            b.iter(|| black_box(profile(&feats, &groups(), Some(&d.y)).expect("valid")))
        });
    }
    g.bench_function("roc_auc_371589", |b| {
        b.iter(|| black_box(roc_auc(&d.y, &d.score).expect("valid")))
    });
    g.bench_function("average_precision_371589", |b| {
        b.iter(|| black_box(average_precision(&d.y, &d.score).expect("valid")))
    });
    g.finish();
}

criterion_group!(benches, grouped);
criterion_main!(benches);
