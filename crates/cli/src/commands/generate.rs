//! `cartera generate`: generated data sets as CSV.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::datasets::{Blobs, Classification};
use cartera_core::{Error, Result};
use cartera_preprocess::{Column, Table, datasets};
use clap::ValueEnum;

/// Which data set to generate.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Telco churn table of study 004 (42 columns; default 371,589 rows).
    Telco,
    /// Bank marketing table of study 001 (default 45,211 rows).
    Bank,
    /// ATM customers of study 002 (default 1,000 rows).
    Atm,
    /// Gaussian blobs, as scikit-learn's make_blobs (default 10,000 rows).
    Blobs,
    /// Classification problem, as scikit-learn's make_classification (default 10,000 rows).
    Classification,
}

/// Flags of `cartera generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Data set to generate.
    kind: Kind,
    /// Number of rows (default depends on the data set).
    #[arg(long)]
    rows: Option<usize>,
    /// Number of features (blobs: 2, classification: 20).
    #[arg(long)]
    features: Option<usize>,
    /// Number of centres (blobs only; default 3).
    #[arg(long)]
    centers: Option<usize>,
    /// Standard deviation of each blob (blobs only; default 1.0).
    #[arg(long)]
    cluster_std: Option<f64>,
    /// Random seed: the same seed gives the same file on every machine.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output CSV file (`-` for stdout).
    #[arg(long)]
    out: PathBuf,
}

fn numeric_table(
    x: ndarray::Array2<f64>,
    labels: ndarray::Array1<usize>,
    label: &str,
) -> Result<Table> {
    let names: Vec<String> = (0..x.ncols()).map(|j| format!("x{j}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut t = Table::from_array(&refs, x.view())?;
    t.push_column(
        label,
        Column::Numeric(labels.iter().map(|&l| l as f64).collect()),
    )?;
    Ok(t)
}

fn reject(flag: &str, kind: &str) -> Error {
    Error::invalid_param(
        flag,
        "given",
        format!("does not apply to `generate {kind}`"),
    )
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(Some(&a.out), None)?;
    let start = Instant::now();
    let table = match a.kind {
        Kind::Blobs => {
            let mut g = Blobs::new(a.rows.unwrap_or(10_000)).seed(a.seed);
            if let Some(d) = a.features {
                g = g.n_features(d);
            }
            if let Some(k) = a.centers {
                g = g.centers(k);
            }
            if let Some(sd) = a.cluster_std {
                g = g.cluster_std(sd);
            }
            let (x, y) = g.generate()?;
            numeric_table(x, y, "cluster")?
        }
        Kind::Classification => {
            if a.centers.is_some() {
                return Err(reject("--centers", "classification"));
            }
            if a.cluster_std.is_some() {
                return Err(reject("--cluster-std", "classification"));
            }
            let mut g = Classification::new(a.rows.unwrap_or(10_000)).seed(a.seed);
            if let Some(d) = a.features {
                g = g.n_features(d);
            }
            let (x, y) = g.generate()?;
            numeric_table(x, y, "y")?
        }
        kind => {
            let name = format!("{kind:?}").to_lowercase();
            if a.features.is_some() {
                return Err(reject("--features", &name));
            }
            if a.centers.is_some() {
                return Err(reject("--centers", &name));
            }
            if a.cluster_std.is_some() {
                return Err(reject("--cluster-std", &name));
            }
            match kind {
                Kind::Telco => {
                    datasets::telco_churn(a.rows.unwrap_or(datasets::TELCO_DEFAULT_ROWS), a.seed)?
                }
                Kind::Bank => datasets::bank_customers(a.rows.unwrap_or(45_211), a.seed)?,
                _ => datasets::atm_customers(a.rows.unwrap_or(1_000), a.seed)?,
            }
        }
    };
    let generated = start.elapsed().as_secs_f64();
    super::write_table(&table, &a.out)?;
    eprintln!(
        "wrote {} rows x {} columns to {} (generate {:.2} s, write {:.2} s)",
        table.n_rows(),
        table.n_cols(),
        a.out.display(),
        generated,
        start.elapsed().as_secs_f64() - generated
    );
    Ok(())
}
