//! `cartera kmeans`: segment the rows of a CSV with K-Means, or choose k by the elbow.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_kmeans::{Algorithm, ElbowCurve, KMeansParams, MiniBatchKMeansParams, elbow};
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{Column, ColumnType, Table};
use clap::ValueEnum;
use ndarray::Array2;
use serde_json::json;

/// `--algorithm` choices.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Algo {
    /// Lloyd's iterations (every distance).
    Lloyd,
    /// Elkan's iterations (triangle-inequality bounds).
    Elkan,
    /// Mini-batch K-Means (for very large tables).
    Minibatch,
}

/// Flags of `cartera kmeans`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input CSV with a header row.
    input: PathBuf,
    /// Columns to cluster on (comma-separated; default: every numeric column).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Number of clusters, or a range `2..10` to fit each k and pick the elbow.
    #[arg(long)]
    k: String,
    /// Restarts; the best inertia is kept.
    #[arg(long, default_value_t = 10)]
    n_init: usize,
    /// Iterations.
    #[arg(long, value_enum, default_value = "lloyd")]
    algorithm: Algo,
    /// Random seed: the same seed gives the same segments on every machine.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Scale the columns before clustering (centroids are reported in both spaces).
    #[arg(long, value_enum)]
    scale: Option<super::ScaleArg>,
    /// Write the input rows with a `cluster` column appended.
    #[arg(long, value_name = "LABELS.csv")]
    out: Option<PathBuf>,
    /// Write a summary as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "SUMMARY|-")]
    json: Option<String>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// `K` or `A..B` (inclusive).
fn parse_k(text: &str) -> Result<Vec<usize>> {
    let bad = || {
        Error::invalid_param(
            "--k",
            text,
            "expected a number of clusters (4) or a range (2..10)",
        )
    };
    if let Some((a, b)) = text.split_once("..") {
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a == 0 || b <= a {
            return Err(bad());
        }
        return Ok((a..=b).collect());
    }
    match text.trim().parse::<usize>() {
        Ok(k) if k > 0 => Ok(vec![k]),
        _ => Err(bad()),
    }
}

fn feature_names(t: &Table, cols: &Option<Vec<String>>) -> Result<Vec<String>> {
    let names: Vec<String> = match cols {
        Some(c) => c.clone(),
        None => t.numeric_names().iter().map(|s| s.to_string()).collect(),
    };
    if names.is_empty() {
        return Err(Error::empty("set of numeric columns to cluster on"));
    }
    for n in &names {
        let col = t.column(n)?;
        if col.column_type() != ColumnType::Numeric {
            return Err(Error::ColumnType {
                name: n.clone(),
                expected: "numeric".into(),
                found: col.column_type().to_string(),
            });
        }
        let missing = col.missing_count();
        if missing > 0 {
            return Err(Error::invalid_param(
                "column",
                n,
                format!("has {missing} missing values: impute first (cartera prep --impute mean)"),
            ));
        }
    }
    Ok(names)
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    let ks = parse_k(&a.k)?;
    if a.n_init == 0 {
        return Err(Error::invalid_param("--n-init", 0, "must be at least 1"));
    }
    let opts = a.csv.options()?;
    let t0 = Instant::now();
    let table = Table::read_csv(&a.input, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();

    let names = feature_names(&table, &a.columns)?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let raw = table.to_array::<f64>(&refs)?;
    let scaler = a
        .scale
        .map(|s| ScalerKind::from(s).fit(raw.view()))
        .transpose()?;
    let x = match &scaler {
        Some(s) => s.transform(raw.view())?,
        None => raw,
    };

    let params = KMeansParams::new(ks[0])
        .n_init(a.n_init)
        .seed(a.seed)
        .algorithm(match a.algorithm {
            Algo::Elkan => Algorithm::Elkan,
            _ => Algorithm::Lloyd,
        });

    let t1 = Instant::now();
    let curve: Option<ElbowCurve> = if ks.len() > 1 {
        Some(elbow(x.view(), &ks, &params)?)
    } else {
        None
    };
    let k = curve.as_ref().map_or(ks[0], |c| c.knee.unwrap_or(c.ks[0]));
    let (labels, centroids, inertia, n_iter, converged) = match a.algorithm {
        Algo::Minibatch => {
            let m = MiniBatchKMeansParams::new(k)
                .n_init(a.n_init)
                .seed(a.seed)
                .fit(x.view())?;
            // The fit already assigned every row; no second pass.
            let labels = m.labels().to_vec();
            (labels, m.centroids().clone(), m.inertia(), m.n_iter(), true)
        }
        _ => {
            let m = params.clone().n_clusters(k).fit(x.view())?;
            (
                m.labels().to_vec(),
                m.centroids().clone(),
                m.inertia(),
                m.n_iter(),
                m.converged(),
            )
        }
    };
    let fit_seconds = t1.elapsed().as_secs_f64();
    let mut sizes = vec![0usize; k];
    for &l in &labels {
        sizes[l] += 1;
    }

    if let Some(out) = &a.out {
        let mut t = table.clone();
        t.push_column(
            "cluster",
            Column::Numeric(labels.iter().map(|&l| l as f64).collect()),
        )?;
        t.write_csv(out)?;
    }
    eprintln!(
        "{}: {} rows, k = {k}, inertia {inertia:.6e}, sizes {sizes:?} (read {read_seconds:.2} s, fit {fit_seconds:.2} s)",
        a.input.display(),
        table.n_rows()
    );
    if let Some(target) = &a.json {
        let mut v = json!({
            "input": a.input.display().to_string(),
            "columns": names,
            "k": k,
            "inertia": inertia,
            "n_iter": n_iter,
            "converged": converged,
            "sizes": sizes,
            "centroids": rows(&centroids),
            "read_seconds": read_seconds,
            "fit_seconds": fit_seconds,
        });
        if let (Some(s), Some(obj)) = (&scaler, v.as_object_mut()) {
            obj.insert(
                "centroids_original".into(),
                json!(rows(&s.inverse_transform(centroids.view())?)),
            );
        }
        if let (Some(c), Some(obj)) = (&curve, v.as_object_mut()) {
            let points: Vec<_> =
                c.ks.iter()
                    .zip(&c.inertias)
                    .map(|(k, i)| json!({"k": k, "inertia": i}))
                    .collect();
            obj.insert("elbow".into(), json!(points));
            obj.insert("knee".into(), json!(c.knee));
        }
        super::write_json(target, &v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_and_ranges() {
        assert_eq!(parse_k("4").unwrap(), vec![4]);
        assert_eq!(parse_k("2..5").unwrap(), vec![2, 3, 4, 5]);
        for bad in ["0", "x", "5..2", "0..3", "3..3", ""] {
            assert!(parse_k(bad).is_err(), "{bad}");
        }
    }
}
