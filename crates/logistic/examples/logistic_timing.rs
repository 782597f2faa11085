//! `logistic_timing FILE.csv C TOL [f32|f64] [REPEATS]`: times cartera's logistic regression on
//! the columns `x0, x1, …` of FILE.csv with target column `y` (as written by `cartera generate
//! classification`). Prints one JSON line: the best fit time and predict_proba time over
//! REPEATS runs (default 3), the objective, n_iter, and whether it converged.
//! Used by `scripts/bench_logistic.sh` against `scripts/peers_logistic.py`.

use std::time::Instant;

use cartera_core::Float;
use cartera_logistic::LogisticRegressionParams;
use cartera_preprocess::{CsvOptions, Table};
use ndarray::{Array1, Array2};

fn run<F: Float>(
    x: &Array2<f64>,
    y: &Array1<usize>,
    c: f64,
    tol: f64,
    repeats: usize,
) -> Result<String, Box<dyn std::error::Error>> {
    let x = x.mapv(F::cast_from_f64);
    let params = LogisticRegressionParams::new()
        .c(c)
        .tol(tol)
        .max_iter(10_000);
    let mut fit_best = f64::INFINITY;
    let mut proba_best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats {
        let t = Instant::now();
        let m = params.fit(x.view(), y.view())?;
        fit_best = fit_best.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let p = m.predict_proba(x.view())?;
        proba_best = proba_best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(p);
        last = Some(m);
    }
    let m = last.ok_or("REPEATS must be at least 1")?;
    Ok(format!(
        "{{\"peer\": \"cartera\", \"dtype\": \"{}\", \"threads\": {}, \"fit_seconds\": {fit_best}, \"predict_proba_seconds\": {proba_best}, \"objective\": {}, \"n_iter\": {}, \"n_evals\": {}, \"converged\": {}, \"grad_max_abs\": {}}}",
        F::NAME,
        rayon::current_num_threads(),
        m.objective(),
        m.n_iter(),
        m.n_evals(),
        m.converged(),
        m.grad_norm()
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: logistic_timing FILE.csv C TOL [f32|f64] [REPEATS]".into());
    }
    let (c, tol): (f64, f64) = (args[2].parse()?, args[3].parse()?);
    let dtype = args.get(4).map_or("f64", String::as_str);
    let repeats: usize = args.get(5).map_or(Ok(3), |s| s.parse())?;
    let table = Table::read_csv(&args[1], &CsvOptions::default())?;
    let names: Vec<String> = table
        .names()
        .iter()
        .filter(|n| n.starts_with('x'))
        .map(|n| n.to_string())
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let x = table.to_array::<f64>(&refs)?;
    let y = table
        .to_array::<f64>(&["y"])?
        .column(0)
        .mapv(|v| v as usize);
    let line = match dtype {
        "f32" => run::<f32>(&x, &y, c, tol, repeats)?,
        _ => run::<f64>(&x, &y, c, tol, repeats)?,
    };
    println!("{line}");
    Ok(())
}
