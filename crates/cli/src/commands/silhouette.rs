//! `cartera silhouette`: cluster-quality scores of a labelled CSV.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{Column, Table};
use cartera_silhouette::{ClusterScores, Silhouette, SilhouetteParams, cluster_scores};
use serde_json::json;

/// Flags of `cartera silhouette`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input CSV with a header row (the rows that were clustered).
    input: PathBuf,
    /// CSV holding one label per input row, in the same order (e.g. the file written by
    /// `cartera kmeans --out`; it may be the input file itself).
    #[arg(long, value_name = "LABELS.csv")]
    labels: PathBuf,
    /// Column of LABELS.csv holding the labels (non-negative integers).
    #[arg(long, default_value = "cluster")]
    label_column: String,
    /// Columns to score on (comma-separated; default: every numeric column of the input
    /// except the label column and identifier columns, as `cartera kmeans` chooses them).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Scale the columns first (use the scaling the clustering used).
    #[arg(long, value_enum)]
    scale: Option<super::ScaleArg>,
    /// Estimate the silhouette from this many rows drawn at random (default: exact, every
    /// pair of rows; the cost grows as rows²).
    #[arg(long, value_name = "N")]
    sample_size: Option<usize>,
    /// With --sample-size: seed of the sample (the same seed gives the same estimate on every
    /// machine).
    #[arg(long, default_value_t = 0, requires = "sample_size")]
    seed: u64,
    /// Write a summary as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Write each scored row's silhouette: columns `row` (0-based), `cluster`, `silhouette`
    /// (`-` for stdout).
    #[arg(long, value_name = "PER_SAMPLE.csv")]
    out: Option<PathBuf>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// The label column as non-negative integers; anything else is an error naming the file, the
/// line (1-based, the header being line 1) and the column.
pub(crate) fn read_labels(t: &Table, column: &str, source: &std::path::Path) -> Result<Vec<usize>> {
    let at = t.index_of(column)? as u64 + 1;
    let bad = |row: usize, message: String| Error::Parse {
        source_name: source.display().to_string(),
        line: row as u64 + 2,
        column: at,
        message,
    };
    match t.column(column)? {
        Column::Numeric(v) => v
            .iter()
            .enumerate()
            .map(|(row, &x)| {
                if x.is_nan() {
                    Err(bad(row, format!("missing label in column `{column}`")))
                } else if x < 0.0 || x.fract() != 0.0 || x > (1u64 << 53) as f64 {
                    Err(bad(
                        row,
                        format!("label {x} in column `{column}` is not a non-negative integer"),
                    ))
                } else {
                    Ok(x as usize)
                }
            })
            .collect(),
        other => Err(Error::ColumnType {
            name: column.to_string(),
            expected: "numeric (non-negative integer cluster labels)".into(),
            found: other.column_type().to_string(),
        }),
    }
}

/// The per-cluster lines of the JSON summary.
pub(crate) fn per_cluster_json(s: &Silhouette) -> serde_json::Value {
    json!(
        s.clusters()
            .iter()
            .map(|c| json!({"label": c.label, "size": c.size, "mean": c.mean}))
            .collect::<Vec<_>>()
    )
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(a.out.as_deref(), a.json.as_deref())?;
    let opts = a.csv.options()?;
    let t0 = Instant::now();
    let table = super::read_table(&a.input, &opts)?;
    let same_file = a.labels == a.input;
    let label_table = if same_file {
        None
    } else {
        Some(Table::read_csv(&a.labels, &opts)?)
    };
    let read_seconds = t0.elapsed().as_secs_f64();
    let labels = read_labels(
        label_table.as_ref().unwrap_or(&table),
        &a.label_column,
        &a.labels,
    )?;
    if labels.len() != table.n_rows() {
        return Err(Error::ShapeMismatch {
            what: format!(
                "rows of {} (one label per row of {})",
                a.labels.display(),
                a.input.display()
            ),
            expected: table.n_rows(),
            found: labels.len(),
        });
    }
    // The label column is never a default feature (it is there when LABELS.csv is the input).
    let names =
        super::numeric_features(&table, &a.columns, &[a.label_column.as_str()], "score on")?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    // An infinite cell named by column and data row, as `kmeans` does (missing values are
    // named by the feature check above).
    super::check_finite(&table, &refs, true, 0)?;
    let raw = table.to_array::<f64>(&refs)?;
    let x = match a.scale {
        Some(s) => ScalerKind::from(s).fit(raw.view())?.transform(raw.view())?,
        None => raw,
    };

    let t1 = Instant::now();
    let sil = SilhouetteParams::new()
        .sample_size(a.sample_size)
        .seed(a.seed)
        .evaluate(x.view(), &labels)?;
    let silhouette_seconds = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let ClusterScores {
        calinski_harabasz,
        davies_bouldin,
    } = cluster_scores(x.view(), &labels)?;
    let centroid_scores_seconds = t2.elapsed().as_secs_f64();
    let fit_seconds = t1.elapsed().as_secs_f64();

    if let Some(out) = &a.out {
        let rows: Vec<f64> = match sil.rows() {
            Some(r) => r.iter().map(|&i| i as f64).collect(),
            None => (0..sil.samples().len()).map(|i| i as f64).collect(),
        };
        let t = Table::from_columns(vec![
            ("row".into(), Column::Numeric(rows)),
            (
                "cluster".into(),
                Column::Numeric(sil.sample_labels().iter().map(|&l| l as f64).collect()),
            ),
            ("silhouette".into(), Column::Numeric(sil.samples().to_vec())),
        ])?;
        super::write_table(&t, out)?;
    }
    // Clusters of the labels, every row: a sample may miss a small cluster, which the
    // silhouette's own list then lacks (Calinski-Harabasz and Davies-Bouldin see all rows).
    let n_clusters = {
        let mut l = labels.clone();
        l.sort_unstable();
        l.dedup();
        l.len()
    };
    if sil.clusters().len() < n_clusters {
        eprintln!(
            "note: the {} sampled rows hold {} of the {n_clusters} clusters; the per-cluster \
             silhouettes cover those (raise --sample-size, or drop it for every row)",
            sil.samples().len(),
            sil.clusters().len()
        );
    }
    let how = if sil.is_sampled() && sil.std_error().is_nan() {
        format!(
            "estimated from {} rows: {:.4} (too few rows for a standard error)",
            sil.samples().len(),
            sil.score(),
        )
    } else if sil.is_sampled() {
        format!(
            "estimated from {} rows: {:.4} ± {:.4} (s.e.)",
            sil.samples().len(),
            sil.score(),
            sil.std_error()
        )
    } else {
        format!("{:.4}", sil.score())
    };
    eprintln!(
        "{}: {} rows, {} clusters, silhouette {how}, Calinski-Harabasz {calinski_harabasz:.6e}, Davies-Bouldin {davies_bouldin:.4} (read {read_seconds:.2} s, scores {fit_seconds:.2} s)",
        a.input.display(),
        table.n_rows(),
        n_clusters,
    );
    if let Some(target) = &a.json {
        let v = json!({
            "input": a.input.display().to_string(),
            "labels": a.labels.display().to_string(),
            "label_column": a.label_column,
            "columns": names,
            "n_rows": table.n_rows(),
            "n_clusters": n_clusters,
            "silhouette": sil.score(),
            "silhouette_std_error": sil.std_error(),
            "sampled": sil.is_sampled(),
            "sample_size": sil.samples().len(),
            "seed": a.seed,
            "per_cluster": per_cluster_json(&sil),
            "calinski_harabasz": calinski_harabasz,
            "davies_bouldin": davies_bouldin,
            "read_seconds": read_seconds,
            "fit_seconds": fit_seconds,
            "silhouette_seconds": silhouette_seconds,
            "ch_db_seconds": centroid_scores_seconds,
        });
        super::write_json(target, &v)?;
    }
    Ok(())
}
