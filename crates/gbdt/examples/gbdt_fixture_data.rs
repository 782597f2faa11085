//! Writes the generated data sets of the LightGBM comparison as CSV on stdout (full precision,
//! empty cell = missing, target in the last column `target`), for `scripts/fixtures_gbdt.py`
//! and `scripts/peers_gbdt.py`. The tests regenerate the same sets in memory.
//!
//! `cargo run --release -q -p cartera-gbdt --example gbdt_fixture_data -- telco 10000 7`
//! (sets: `telco ROWS SEED`, `telco_groups ROWS SEED`, `telco_cat ROWS SEED` (categorical columns
//! as level codes, named `cat_*`), `classification ROWS SEED`)

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/data.rs"]
mod data;

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: gbdt_fixture_data telco|telco_groups|telco_cat|classification ROWS SEED");
        std::process::exit(2);
    }
    let rows: usize = args[2].parse().unwrap();
    let seed: u64 = args[3].parse().unwrap();
    let d = match args[1].as_str() {
        "telco" => data::telco(rows, seed, false),
        "telco_groups" => data::telco(rows, seed, true),
        "telco_cat" => data::telco_categorical(rows, seed).0,
        "classification" => data::classification(rows, seed),
        other => {
            eprintln!("unknown set {other}");
            std::process::exit(2);
        }
    };
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    writeln!(w, "{},target", d.names.join(",")).unwrap();
    let mut line = String::new();
    for (row, y) in d.x.rows().into_iter().zip(&d.y) {
        line.clear();
        for v in row {
            if !v.is_nan() {
                line.push_str(&format!("{v:?}"));
            }
            line.push(',');
        }
        line.push_str(&format!("{y:?}"));
        writeln!(w, "{line}").unwrap();
    }
}
