//! Times the scoring tables on study 004's size (371,589 scored rows, groups of 4 and 500
//! levels) and prints JSON; with a path, first writes the same data as CSV for
//! `scripts/peers_scoring.py`. Used by `scripts/bench_scoring.sh`.
//!
//! `cargo run --release -p cartera-scoring --example scoring_timing -- [DATA.csv] [ROUNDS]`

use std::time::Instant;

use cartera_core::CarteraRng;
use cartera_preprocess::{CategoricalColumn, Column, Table};
use cartera_scoring::Groups;
use cartera_scoring::bands::{BandRule, bands_by_group};
use cartera_scoring::gains::gains_by_group;
use cartera_scoring::outcomes_from_f64;
use cartera_scoring::profile::profile;
use cartera_scoring::tiers::{TierBounds, risk_tiers};

const ROWS: usize = 371_589;
const FEATURES: [&str; 5] = ["f0", "f1", "f2", "f3", "f4"];

/// The scored table: score (3 decimals, many ties), y (0/1), retention, g4 and g500
/// (categorical), five features (f3 with 1 % missing).
fn data() -> Table {
    let mut rng = CarteraRng::stream(2024, 0);
    let mut cols: Vec<Vec<f64>> = (0..8).map(|_| Vec::with_capacity(ROWS)).collect();
    let mut g4 = Vec::with_capacity(ROWS);
    let mut g500 = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let s = (rng.uniform() * 1000.0).round() / 1000.0;
        cols[0].push(s);
        cols[1].push(f64::from(u8::from(rng.uniform() < 0.3 * s)));
        cols[2].push(rng.uniform());
        cols[3].push(rng.uniform() * 100.0);
        cols[4].push((rng.uniform() * 4.0).exp());
        cols[5].push((rng.uniform() * 30.0).round());
        cols[6].push(if rng.uniform() < 0.01 {
            f64::NAN
        } else {
            rng.uniform_range(-5.0, 5.0)
        });
        cols[7].push(s * 1000.0 + rng.uniform());
        g4.push(rng.below(4) as u32);
        g500.push(rng.below(500) as u32);
    }
    let names = ["score", "y", "retention", "f0", "f1", "f2", "f3", "f4"];
    let mut columns: Vec<(String, Column)> = names
        .iter()
        .zip(cols)
        .map(|(n, v)| (n.to_string(), Column::Numeric(v)))
        .collect();
    let levels = |k: usize, p: &str| (0..k).map(|i| format!("{p}{i:03}")).collect::<Vec<_>>();
    columns.push((
        "g4".into(),
        Column::Categorical(CategoricalColumn::from_codes(g4, levels(4, "s"))),
    ));
    columns.push((
        "g500".into(),
        Column::Categorical(CategoricalColumn::from_codes(g500, levels(500, "r"))),
    ));
    Table::from_columns(columns).expect("fixed, valid columns")
}

/// CPU seconds (user + system) used by this process so far, from /proc (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn median_seconds(rounds: usize, mut f: impl FnMut()) -> f64 {
    if std::env::var_os("SCORING_TIMING_CPU").is_some() {
        // On a busy machine: CPU time per call (all threads), averaged over many calls.
        let c0 = cpu_seconds();
        for _ in 0..rounds {
            f();
        }
        return (cpu_seconds() - c0) / rounds as f64;
    }
    let mut t: Vec<f64> = (0..rounds)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() -> cartera_core::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5);
    let t = data();
    if let Some(path) = args.get(1).filter(|p| !p.is_empty()) {
        t.write_csv(path)?;
    }
    let num = |n: &str| t.column(n).ok().and_then(|c| c.as_numeric()).unwrap_or(&[]);
    let score = num("score");
    let retention = num("retention");
    let y = outcomes_from_f64("y", num("y"))?;
    let features: Vec<(&str, &[f64])> = FEATURES.iter().map(|&f| (f, num(f))).collect();
    let mut out = serde_json::Map::new();
    for g in ["g4", "g500"] {
        // Grouping the column is part of every timed operation, as in pandas' groupby.
        let time = |f: &mut dyn FnMut(&Groups)| {
            median_seconds(rounds, || {
                let groups = Groups::from_table(&t, g).expect("column exists");
                f(&groups);
            })
        };
        let gains = time(&mut |gr| {
            std::hint::black_box(gains_by_group(&y, score, gr, 10).expect("valid"));
        });
        let bands = time(&mut |gr| {
            std::hint::black_box(
                bands_by_group(score, Some(&y), gr, &BandRule::Quantiles(5)).expect("valid"),
            );
        });
        let tiers = time(&mut |gr| {
            std::hint::black_box(
                risk_tiers(retention, Some(gr), TierBounds::default()).expect("valid"),
            );
        });
        let prof = time(&mut |gr| {
            std::hint::black_box(profile(&features, gr, Some(&y)).expect("valid"));
        });
        for (op, s) in [
            ("gains", gains),
            ("bands", bands),
            ("tiers", tiers),
            ("profile", prof),
        ] {
            out.insert(format!("{op}_{g}"), serde_json::json!(s));
        }
    }
    println!("{}", serde_json::Value::Object(out));
    Ok(())
}
