//! `logistic FILE.csv C GRAD_TOL`: linfa-logistic's binary LogisticRegression on the columns
//! x0, x1, … and target y of FILE.csv (as written by `cartera generate classification`).
//! linfa minimises `Σ log-loss + α‖w‖²/2` (a sum, not a mean), so scikit-learn's `C` is
//! `α = 1/C`; GRAD_TOL is argmin's L-BFGS gradient tolerance on that sum scale. Prints one
//! JSON line: seconds of the fit alone, predict_probabilities seconds, iterations and the
//! objective in scikit-learn >= 1.8's scale (mean log-loss + ‖w‖²/(2 C n)), so it can be
//! compared with cartera's and scikit-learn's at the same value.

use std::time::Instant;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: logistic FILE.csv C GRAD_TOL".into());
    }
    let (path, c, tol): (&str, f64, f64) = (&args[1], args[2].parse()?, args[3].parse()?);
    let mut rdr = csv::Reader::from_path(path)?;
    let headers = rdr.headers()?.clone();
    let cols: Vec<usize> =
        headers.iter().enumerate().filter(|(_, h)| h.starts_with('x')).map(|(i, _)| i).collect();
    let ycol = headers.iter().position(|h| h == "y").ok_or("no column y")?;
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        for &c in &cols {
            values.push(rec[c].parse::<f64>()?);
        }
        labels.push(rec[ycol].parse::<usize>()?);
    }
    let n = labels.len();
    let x = Array2::from_shape_vec((n, cols.len()), values)?;
    let y = Array1::from(labels.clone());
    let data = Dataset::new(x.clone(), y);
    let start = Instant::now();
    let model = LogisticRegression::default()
        .alpha(1.0 / c)
        .max_iterations(10_000)
        .gradient_tolerance(tol)
        .fit(&data)?;
    let seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let p = model.predict_probabilities(&x);
    let predict_seconds = start.elapsed().as_secs_f64();
    // Objective in scikit-learn's scale. linfa's scores are logits of its "positive" class,
    // which is the first label met in y, not necessarily 1.
    let w = model.params();
    let b = model.intercept();
    let sign = if model.labels().pos.class == 1 { 1.0 } else { -1.0 };
    let mut loss = 0.0;
    for (i, row) in x.rows().into_iter().enumerate() {
        let z: f64 = sign * (row.dot(w) + b);
        let lse = z.max(0.0) + (-z.abs()).exp().ln_1p();
        loss += lse - if labels[i] == 1 { z } else { 0.0 };
    }
    let objective = loss / n as f64 + w.dot(w) / (2.0 * c * n as f64);
    std::hint::black_box(p);
    println!(
        "{{\"peer\": \"linfa-logistic\", \"fit_seconds\": {seconds}, \"predict_proba_seconds\": {predict_seconds}, \"objective\": {objective}}}"
    );
    Ok(())
}
