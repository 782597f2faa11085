//! Time one preprocessing kernel on a CSV file, for side-by-side comparisons with scikit-learn
//! (`scripts/bench_prep.sh` alternates this with `scripts/peers_prep.py`).
//!
//! ```sh
//! cargo run --release --example kernel_timings -- scale blobs.csv
//! ```
//! Tasks: `scale` (StandardScaler fit + transform) and `pca` (PCA to 10 components, fit +
//! transform) on the columns `x0..x41`, in f64. Prints one JSON line with the seconds of the
//! kernel alone (reading the CSV is not timed, as on the peer side).

use std::time::Instant;

use cartera::preprocess::pca::Pca;
use cartera::preprocess::scale::StandardScaler;
use cartera::preprocess::{CsvOptions, Table};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(task), Some(path)) = (args.next(), args.next()) else {
        return Err("usage: kernel_timings scale|pca FILE.csv".into());
    };
    let table = Table::read_csv(&path, &CsvOptions::default())?;
    let names: Vec<String> = (0..42).map(|j| format!("x{j}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let x = table.to_array::<f64>(&refs)?;
    let start = Instant::now();
    let shape = match task.as_str() {
        "scale" => StandardScaler::new().fit_transform(x.view())?.1.dim(),
        "pca" => Pca::new().n_components(10).fit_transform(x.view())?.1.dim(),
        other => return Err(format!("unknown task {other}").into()),
    };
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"task\": \"{task}\", \"seconds\": {seconds}, \"shape\": [{}, {}]}}",
        shape.0, shape.1
    );
    Ok(())
}
