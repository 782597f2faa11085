//! `cartera kmeans`: segment the rows of a CSV with K-Means, or choose k by the elbow.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Float, Result};
use cartera_kmeans::{Algorithm, KMeansParams, MiniBatchKMeansParams};
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{Column, Table};
use cartera_study::choose_k::{ChosenBy, EXACT_SILHOUETTE_ROWS, KRule, KSearch, search_k};
use clap::ValueEnum;
use ndarray::{Array2, ArrayView2};
use serde_json::json;

/// `--algorithm` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Algo {
    /// Lloyd's iterations (every distance).
    Lloyd,
    /// Elkan's iterations (triangle-inequality bounds).
    Elkan,
    /// Mini-batch K-Means (for very large tables).
    Minibatch,
}

/// `--choose` choices: how `--k A..B` picks its k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Choose {
    /// The knee of the inertia curve (Kneedle).
    Knee,
    /// The highest silhouette (ties: the smaller k).
    Silhouette,
}

impl Choose {
    /// The flag's value as typed.
    fn name(self) -> &'static str {
        match self {
            Choose::Knee => "knee",
            Choose::Silhouette => "silhouette",
        }
    }
}

/// `--precision` choices: the floating-point type the fit runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// 64-bit floats (the default; matches scikit-learn on float64 input).
    F64,
    /// 32-bit floats: the f32 kernels, half the memory traffic of f64 (inertia agrees with
    /// f64 to about 1e-6 relative on well-conditioned data).
    F32,
}

impl Precision {
    fn name(self) -> &'static str {
        match self {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        }
    }
}

pub mod stream;

/// The column `--out` appends, and which the default feature set leaves out.
const LABEL_COLUMN: &str = "cluster";

/// `t` with the labels as its last column, [`LABEL_COLUMN`]; an existing column of that name
/// (the truth of `cartera generate blobs`, or an earlier run's labels) is replaced, with a
/// note on stderr when `note` is set. Takes the table by value so that the usual case, no such
/// column, appends in place without a copy (the streamed path calls it once per chunk).
fn with_labels(t: Table, labels: impl IntoIterator<Item = usize>, note: bool) -> Result<Table> {
    let (mut t, earlier) = super::drop_earlier_output(t, &[LABEL_COLUMN])?;
    if note && !earlier.is_empty() {
        eprintln!(
            "note: the input's `{LABEL_COLUMN}` column is replaced by the new labels in --out"
        );
    }
    t.push_column(
        LABEL_COLUMN,
        Column::Numeric(labels.into_iter().map(|l| l as f64).collect()),
    )?;
    Ok(t)
}

/// Flags of `cartera kmeans`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input CSV with a header row.
    input: PathBuf,
    /// Columns to cluster on (comma-separated; default: every numeric column except `cluster`,
    /// the column --out writes, so that a labelled file can be clustered again, and except
    /// identifier columns such as a row number or an account code, as `train` does).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Number of clusters, or a range `2..10` to fit each k, report its inertia and silhouette,
    /// and pick one (see --choose).
    #[arg(long)]
    k: String,
    /// How a range of k is decided: the knee of the inertia curve or the best silhouette (the
    /// silhouette is exact up to 20,000 rows, estimated from 10,000 rows above). When the
    /// curve has no knee, the best silhouette decides, with a note (JSON `chosen_by`). Default:
    /// knee. Only with a range of k.
    #[arg(long, value_enum)]
    choose: Option<Choose>,
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
    /// Write the input rows with a `cluster` column appended (replacing the input's own
    /// `cluster` column, if it has one, with a note on stderr); `-` for stdout.
    #[arg(long, value_name = "LABELS.csv")]
    out: Option<PathBuf>,
    /// Write a summary as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Floating-point type of the fit: the data are read and scaled in f64, then converted
    /// once (before the timed fit) and clustered with the f32 or f64 kernels. Every path
    /// (lloyd, elkan, minibatch, a --k range) supports both; --chunk-rows needs f64. The JSON
    /// numbers are f64 either way.
    #[arg(long, value_enum, default_value = "f64")]
    precision: Precision,
    /// With --algorithm minibatch: rows per step (default 1024).
    #[arg(long, value_name = "N")]
    batch_size: Option<usize>,
    /// Stream the file in chunks of N rows instead of reading it whole, for files larger than
    /// memory (needs --algorithm minibatch and a single k): one pass of `partial_fit` over
    /// consecutive batches of --batch-size rows, then one pass assigning every row.
    #[arg(long, value_name = "N")]
    chunk_rows: Option<usize>,
    /// With --chunk-rows and --scale: the scaler is fitted on a uniform sample of this many
    /// rows (seeded reservoir, one extra pass); a file with fewer rows is used whole.
    #[arg(
        long,
        default_value_t = 200_000,
        value_name = "N",
        requires = "chunk_rows"
    )]
    sample_rows: usize,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Robust scaling divides by the interquartile range, and leaves a column whose range is 0
/// (half its values or more equal) unscaled, as scikit-learn does. Such a column's few other
/// values are then far larger than every scaled column's, and the clusters follow them: said on
/// stderr. `scale` is the fitted scale per column (1 where the range was 0); only those columns'
/// quartiles are looked at.
fn robust_note(table: &Table, names: &[String], scale: Option<&[f64]>) {
    let Some(scale) = scale else { return };
    let flat: Vec<&str> = names
        .iter()
        .zip(scale)
        .filter(|(_, s)| **s == 1.0)
        .filter_map(|(n, _)| {
            let d = cartera_preprocess::table::describe_column(n, table.column(n).ok()?);
            (d.q25? == d.q75?).then_some(n.as_str())
        })
        .collect();
    if !flat.is_empty() {
        eprintln!(
            "note: robust scaling left {} unscaled (interquartile range 0: half the values or \
             more are equal, as scikit-learn leaves them); their other values can dominate the \
             distances: consider --scale standard, or leaving them out with --columns",
            flat.join(", ")
        );
    }
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
    let why = |reason: &str| Error::invalid_param("--k", text, reason);
    if let Some((a, b)) = text.split_once("..") {
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a == 0 {
            return Err(why("a range of k starts at 1 or more (2..10)"));
        }
        if b <= a {
            return Err(why(
                "a range of k ends above its start (2..10); for one k, give the number alone",
            ));
        }
        return Ok((a..=b).collect());
    }
    match text.trim().parse::<usize>() {
        Ok(0) => Err(why("the number of clusters is at least 1")),
        Ok(k) => Ok(vec![k]),
        _ => Err(bad()),
    }
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

/// What a fit produced, in f64 whatever precision it ran in.
struct Fitted {
    k: usize,
    labels: Vec<usize>,
    centroids: Array2<f64>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    /// Mini-batch only: the number of steps (batches) taken.
    n_steps: Option<usize>,
    curve: Option<KSearch>,
    /// How k was picked from a range: `knee`, `silhouette`, or a fallback when the curve has
    /// no knee (`silhouette (no knee)`, `smallest k (no knee)`); `k` for a single k.
    chosen_by: &'static str,
    /// Seconds of the whole fit: every k of a range with its silhouette, and the final model.
    fit_seconds: f64,
}

/// The library's "distinct samples for n_clusters" error in the command line's terms: the
/// flag, and the file's distinct rows.
fn distinct_rows_error(e: Error, input: &std::path::Path) -> Error {
    match e {
        Error::TooFewSamples {
            what,
            needed,
            found,
        } if what.starts_with("distinct samples") => Error::invalid_param(
            "--k",
            needed,
            format!(
                "asks for {needed} clusters, but the rows of {} hold {found} distinct points \
                 (k-means needs one per cluster)",
                input.display()
            ),
        ),
        e => e,
    }
}

/// Fits the k (or range of k) asked for on `x`, in the precision `F`.
fn fit<F: Float>(x: ArrayView2<'_, F>, a: &Args, ks: &[usize]) -> Result<Fitted> {
    let params = KMeansParams::new(ks[0])
        .n_init(a.n_init)
        .seed(a.seed)
        .algorithm(match a.algorithm {
            Algo::Elkan => Algorithm::Elkan,
            _ => Algorithm::Lloyd,
        });

    let t1 = Instant::now();
    let (curve, mut models) = if ks.len() > 1 {
        let rule = match a.choose.unwrap_or(Choose::Knee) {
            Choose::Knee => KRule::Knee,
            Choose::Silhouette => KRule::Silhouette,
        };
        let (c, m) = search_k(x, ks, &params, rule).map_err(|e| match e {
            Error::InvalidParameter { name, .. } if name == "rule" => Error::invalid_param(
                "--choose",
                "silhouette",
                "needs a k of at least 2 in the --k range",
            ),
            e => e,
        })?;
        (Some(c), m)
    } else {
        (None, Vec::new())
    };
    let (k, chosen_by) = match &curve {
        None => (ks[0], "k"),
        Some(c) => {
            let range = format!("k = {}..{}", c.ks[0], c.ks[c.ks.len() - 1]);
            match c.chosen_by {
                ChosenBy::SilhouetteNoKnee => eprintln!(
                    "note: the inertia curve of {range} has no knee; k = {} is chosen by the \
                     best silhouette instead",
                    c.k
                ),
                ChosenBy::SmallestNoKnee => eprintln!(
                    "note: the inertia curve of {range} has no knee and no k of at least 2 has \
                     a silhouette; the smallest k, {}, is used",
                    c.k
                ),
                ChosenBy::Knee | ChosenBy::Silhouette => {}
            }
            (c.k, c.chosen_by.as_str())
        }
    };
    let widen = |c: &Array2<F>| c.mapv(F::as_f64);
    let (labels, centroids, inertia, n_iter, converged, n_steps) = match a.algorithm {
        Algo::Minibatch => {
            let m = MiniBatchKMeansParams::new(k)
                .batch_size(a.batch_size())
                .n_init(a.n_init)
                .seed(a.seed)
                .fit(x)?;
            // The fit already assigned every row; no second pass.
            let labels = m.labels().to_vec();
            (
                labels,
                widen(m.centroids()),
                m.inertia(),
                m.n_iter(),
                true,
                Some(m.n_steps()),
            )
        }
        _ => {
            // The curve already fitted this k with these very parameters.
            let m = match curve
                .as_ref()
                .and_then(|c| c.ks.iter().position(|&kk| kk == k))
            {
                Some(i) => models.swap_remove(i),
                None => params.clone().n_clusters(k).fit(x)?,
            };
            (
                m.labels().to_vec(),
                widen(m.centroids()),
                m.inertia(),
                m.n_iter(),
                m.converged(),
                None,
            )
        }
    };
    Ok(Fitted {
        k,
        labels,
        centroids,
        inertia,
        n_iter,
        converged,
        n_steps,
        curve,
        chosen_by,
        fit_seconds: t1.elapsed().as_secs_f64(),
    })
}

impl Args {
    /// Mini-batch rows per step.
    fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(DEFAULT_BATCH_SIZE)
    }

    /// Flags that would be ignored with the others given: refused rather than dropped.
    fn check_unused(&self, ks: &[usize]) -> Result<()> {
        if let (Some(choose), 1) = (self.choose, ks.len()) {
            return Err(Error::invalid_param(
                "--choose",
                choose.name(),
                "decides among a range of k (--k 2..10); with one k it would be ignored",
            ));
        }
        if let (Some(b), false) = (self.batch_size, self.algorithm == Algo::Minibatch) {
            return Err(Error::invalid_param(
                "--batch-size",
                b,
                "is the mini-batch step (--algorithm minibatch); it would be ignored",
            ));
        }
        Ok(())
    }
}

/// Mini-batch rows per step without --batch-size (scikit-learn's `MiniBatchKMeans` default).
const DEFAULT_BATCH_SIZE: usize = 1024;

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(a.out.as_deref(), a.json.as_deref())?;
    let ks = parse_k(&a.k)?;
    a.check_unused(&ks)?;
    if a.n_init == 0 {
        return Err(Error::invalid_param("--n-init", 0, "must be at least 1"));
    }
    if a.n_init > cartera_kmeans::MAX_N_INIT {
        return Err(Error::invalid_param(
            "--n-init",
            a.n_init,
            format!("must be at most {}", cartera_kmeans::MAX_N_INIT),
        ));
    }
    if let Some(chunk_rows) = a.chunk_rows {
        if a.precision != Precision::F64 {
            return Err(Error::invalid_param(
                "--precision",
                a.precision.name(),
                "is not supported with --chunk-rows (the streamed fit runs in f64): drop one of the two flags",
            ));
        }
        return stream::run(&a, &ks, chunk_rows);
    }
    let opts = a.csv.options()?;
    let t0 = Instant::now();
    let table = super::read_table(&a.input, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();

    let names = super::numeric_features(&table, &a.columns, &[LABEL_COLUMN], "cluster on")?;
    // Every k of a range is checked before the first fit, not when its turn comes.
    if let Some(&k_max) = ks.iter().max()
        && k_max > table.n_rows()
    {
        return Err(Error::invalid_param(
            "--k",
            &a.k,
            format!(
                "asks for up to {k_max} clusters, but {} has {} rows (at most one cluster per row)",
                a.input.display(),
                table.n_rows()
            ),
        ));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    super::check_finite(&table, &refs, false, 0)?;
    let raw = table.to_array::<f64>(&refs)?;
    let t_scale = Instant::now();
    let scaler = a
        .scale
        .map(|s| ScalerKind::from(s).fit(raw.view()))
        .transpose()?;
    if let (Some(super::ScaleArg::Robust), Some(s)) = (a.scale, &scaler) {
        robust_note(&table, &names, s.scale());
    }
    let x = match &scaler {
        Some(s) => {
            let z = s.transform(raw.view())?;
            // Only the scaled copy is clustered: free the raw one before the fit.
            drop(raw);
            z
        }
        None => raw,
    };
    let scale_seconds = t_scale.elapsed().as_secs_f64();

    // The conversion to f32 is preparation, not part of the timed fit; the f64 copy is
    // dropped once converted, so that the fit holds one copy of X.
    let Fitted {
        k,
        labels,
        centroids,
        inertia,
        n_iter,
        converged,
        n_steps,
        curve,
        chosen_by,
        fit_seconds,
    } = match a.precision {
        Precision::F64 => fit(x.view(), &a, &ks).map_err(|e| distinct_rows_error(e, &a.input))?,
        Precision::F32 => {
            let x32 = x.mapv(|v| v as f32);
            drop(x);
            fit(x32.view(), &a, &ks).map_err(|e| distinct_rows_error(e, &a.input))?
        }
    };
    let mut sizes = vec![0usize; k];
    for &l in &labels {
        sizes[l] += 1;
    }

    if let Some(out) = &a.out {
        super::write_table(
            &with_labels(table.clone(), labels.iter().copied(), true)?,
            out,
        )?;
    }
    // Sizes of many clusters would flood the terminal: the JSON has them all.
    let shown = if k <= 20 {
        format!("sizes {sizes:?}")
    } else {
        let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
        format!(
            "sizes {}..{} (all {k} in the JSON)",
            lo.copied().unwrap_or(0),
            hi.copied().unwrap_or(0)
        )
    };
    eprintln!(
        "{}: {} rows, k = {k}, inertia {inertia:.6e}, {shown} (read {read_seconds:.2} s, fit {fit_seconds:.2} s)",
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
            "precision": a.precision.name(),
            "read_seconds": read_seconds,
            "scale_seconds": scale_seconds,
            "fit_seconds": fit_seconds,
        });
        if let (Some(steps), Some(obj)) = (n_steps, v.as_object_mut()) {
            obj.insert("n_steps".into(), json!(steps));
        }
        if let (Some(s), Some(obj)) = (&scaler, v.as_object_mut()) {
            obj.insert(
                "centroids_original".into(),
                json!(rows(&s.inverse_transform(centroids.view())?)),
            );
        }
        if let (Some(c), Some(obj)) = (&curve, v.as_object_mut()) {
            let points: Vec<_> = (0..c.ks.len())
                .map(|i| {
                    json!({
                        "k": c.ks[i],
                        "inertia": c.inertias[i],
                        "silhouette": c.silhouettes[i].map(|s| s.0),
                        "silhouette_std_error": c.silhouettes[i].map(|s| s.1),
                    })
                })
                .collect();
            obj.insert("elbow".into(), json!(points));
            obj.insert("knee".into(), json!(c.knee));
            obj.insert("elbow_seconds".into(), json!(c.elbow_seconds));
            obj.insert("silhouette_seconds".into(), json!(c.silhouette_seconds));
            obj.insert("best_silhouette_k".into(), json!(c.best_silhouette()));
            obj.insert("chosen_by".into(), json!(chosen_by));
            obj.insert(
                "silhouette_method".into(),
                json!({
                    "sampled": c.sampled,
                    "sample_size": c.sample_size,
                    "seed": a.seed,
                    "exact_up_to_rows": EXACT_SILHOUETTE_ROWS,
                }),
            );
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
