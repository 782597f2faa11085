//! Times cartera-gbdt on a CSV written by `gbdt_fixture_data` (last column `target`): fit on
//! the first 80 % of rows, predict_proba on the rest (74,318 rows of the 371,589-row set);
//! prints one JSON line. Used by `scripts/bench_gbdt.sh` against `scripts/peers_gbdt.py`.
//!
//! `cargo run --release -p cartera-gbdt --example gbdt_timing -- data.csv [ROUNDS] [MODE]`
//!
//! `MODE` is `plain` (the default), `quantized` (`use_quantized_grad`) or `renew` (quantized
//! with `quant_train_renew_leaf`, as `cartera train --quantized-grad`); the quantized modes
//! report the tool as `cartera_quant`.

#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::time::Instant;

use cartera_gbdt::{GbdtParams, auc};
use ndarray::{Array1, Array2, s};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: gbdt_timing data.csv [ROUNDS]");
    let rounds: usize = std::env::args().nth(2).map_or(200, |r| r.parse().unwrap());
    let mode = std::env::args().nth(3).unwrap_or_else(|| "plain".into());
    let (quantized, renew) = match mode.as_str() {
        "plain" => (false, false),
        "quantized" => (true, false),
        "renew" => (true, true),
        other => panic!("MODE must be plain, quantized or renew, not {other}"),
    };
    // Read line by line so the CSV text never sits in memory (peak RSS is measured).
    let mut lines = BufReader::new(File::open(&path).unwrap())
        .lines()
        .map(|l| l.unwrap());
    let d = lines.next().unwrap().split(',').count() - 1;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for l in lines {
        let mut f = l.split(',');
        for _ in 0..d {
            let v = f.next().unwrap();
            xs.push(if v.is_empty() {
                f64::NAN
            } else {
                v.parse().unwrap()
            });
        }
        ys.push(f.next().unwrap().parse::<f64>().unwrap());
    }
    let n = ys.len();
    let x = Array2::from_shape_vec((n, d), xs).unwrap();
    let y = Array1::from(ys);
    let nt = n * 4 / 5;
    let t = Instant::now();
    let m = GbdtParams::new()
        .n_estimators(rounds)
        .use_quantized_grad(quantized)
        .quant_train_renew_leaf(renew)
        .fit(x.slice(s![..nt, ..]), y.slice(s![..nt]))
        .unwrap();
    let fit = t.elapsed().as_secs_f64();
    let xv = x.slice(s![nt.., ..]);
    let t = Instant::now();
    let p = m.predict_proba(xv).unwrap();
    let predict = t.elapsed().as_secs_f64();
    let yv = &y.as_slice().unwrap()[nt..];
    let a = auc(&p.column(1).to_vec(), yv, None).unwrap();
    let log_loss = p
        .column(1)
        .iter()
        .zip(yv)
        .map(|(&q, &t)| {
            let q = q.clamp(1e-15, 1.0 - 1e-15);
            -(t * q.ln() + (1.0 - t) * (1.0 - q).ln())
        })
        .sum::<f64>()
        / yv.len() as f64;
    let tool = if quantized {
        "cartera_quant"
    } else {
        "cartera"
    };
    println!(
        "{{\"tool\": \"{tool}\", \"n_train\": {nt}, \"n_valid\": {}, \"fit_seconds\": {fit:.4}, \"predict_seconds\": {predict:.4}, \"auc\": {a:.6}, \"log_loss\": {log_loss:.6}}}",
        n - nt
    );
}
