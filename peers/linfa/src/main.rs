//! `cartera-peer-linfa kmeans FILE.csv K N_INIT SEED`: linfa-clustering's KMeans on the columns
//! named x0, x1, … of FILE.csv (as written by `cartera generate blobs`), with scikit-learn's
//! defaults (max_iter 300, tol 1e-4). Prints one JSON line: seconds of the fit alone, inertia.

use std::time::Instant;

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 || args[1] != "kmeans" {
        return Err("usage: cartera-peer-linfa kmeans FILE.csv K N_INIT SEED".into());
    }
    let (path, k, n_init, seed): (&str, usize, u64, u64) =
        (&args[2], args[3].parse()?, args[4].parse()?, args[5].parse()?);
    let mut rdr = csv::Reader::from_path(path)?;
    let cols: Vec<usize> = rdr
        .headers()?
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with('x'))
        .map(|(i, _)| i)
        .collect();
    let mut values = Vec::new();
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec?;
        for &c in &cols {
            values.push(rec[c].parse::<f64>()?);
        }
        n += 1;
    }
    let x = Array2::from_shape_vec((n, cols.len()), values)?;
    let data = DatasetBase::from(x.clone());
    let start = Instant::now();
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(n_init as usize)
        .max_n_iterations(300)
        .tolerance(1e-4)
        .fit(&data)?;
    let seconds = start.elapsed().as_secs_f64();
    // linfa's `inertia()` is a mean; report the total, as scikit-learn and cartera do.
    let labels = model.predict(&x);
    let c = model.centroids();
    let inertia: f64 = x
        .rows()
        .into_iter()
        .zip(labels.iter())
        .map(|(r, &l)| r.iter().zip(c.row(l)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
        .sum();
    println!("{{\"peer\": \"linfa\", \"seconds\": {seconds}, \"inertia\": {inertia}}}");
    Ok(())
}
