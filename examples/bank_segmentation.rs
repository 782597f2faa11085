//! Bank customer segmentation for personalised campaigns (studies 001 and 003).
//!
//! Study 001 segments bank customers with K-Means on demographic and financial columns and
//! judges the segments by inertia, size (no unrepresentative cluster) and conversion rate per
//! segment; study 003 imputes missing values with the mean, keeps outliers (they are
//! informative), reduces the dimension with PCA, searches k in 3..6 and settles on 3 segments
//! (silhouette about 0.50), then joins the clusters back to the original rows and profiles them.
//! This example does each step with cartera:
//!
//! 1. read the bank table: generated (`bank_customers`, the UCI "bank marketing" columns, target
//!    `y`) by default, or a CSV with `--input` (e.g. the real `data/universal_bank.csv`, target
//!    `Personal Loan`);
//! 2. keep the numeric columns but the target, identifier columns and `--drop` ones; mean
//!    imputation; outliers kept; standard scaling; PCA keeping 80 % of the variance;
//! 3. K-Means (10 restarts, seed 0) for k = 3..6: inertia and its knee, silhouette of each k;
//!    the study's 3 segments (`--k` to choose another);
//! 4. the segments joined back to the original rows (`segmented.csv`), profiled in original
//!    units with their conversion rate against the overall rate (`profile.csv`), and drawn on
//!    the first two principal components (`pca_scatter.svg`).
//!
//! ```sh
//! cargo run --release --example bank_segmentation -- --out target/examples/bank_segmentation
//! cargo run --release --example bank_segmentation -- --input data/universal_bank.csv \
//!     --target "Personal Loan" --drop "ZIP Code"
//! ```
//! Options: `--out DIR` (default `target/examples/bank_segmentation`), `--rows N` (generated
//! rows, default 10,000), `--seed S` (default 0), `--input FILE.csv`, `--target COL` (default
//! `y`), `--positive VALUE` (the target value that counts as a conversion: `yes` for text
//! targets, 1 for numeric ones), `--drop COL` (repeatable), `--k K` (default 3).

use std::path::{Path, PathBuf};

use cartera::Result;
use cartera::kmeans::{DEFAULT_SENSITIVITY, KMeans, KMeansParams, kneedle_decreasing_convex};
use cartera::preprocess::clean::find_id_columns;
use cartera::preprocess::datasets::bank_customers;
use cartera::preprocess::impute::{ImputeStrategy, SimpleImputer};
use cartera::preprocess::pca::Pca;
use cartera::preprocess::scale::StandardScaler;
use cartera::preprocess::{Column, CsvOptions, Table, TextColumn};
use cartera::scoring::Groups;
use cartera::scoring::profile::{ProfileTable, profile};
use cartera::silhouette::SilhouetteParams;

/// The candidate numbers of segments (study 003).
const KS: [usize; 4] = [3, 4, 5, 6];
/// Above this many rows the silhouette of each k is estimated from a sample of 10,000 rows.
const EXACT_SILHOUETTE_ROWS: usize = 20_000;

/// What to run and where to write.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Rows of the generated table (ignored with `input`).
    pub rows: usize,
    /// Seed of the generated table, K-Means and the silhouette sample.
    pub seed: u64,
    /// A bank CSV to segment instead of the generated table.
    pub input: Option<PathBuf>,
    /// The campaign response column.
    pub target: String,
    /// The response value that counts as a conversion (default: `yes`, or 1 for numbers).
    pub positive: Option<String>,
    /// Columns left out of the segmentation (besides the target and identifier columns).
    pub drop: Vec<String>,
    /// Number of segments kept.
    pub k: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out: PathBuf::from("target/examples/bank_segmentation"),
            rows: 10_000,
            seed: 0,
            input: None,
            target: "y".into(),
            positive: None,
            drop: Vec::new(),
            k: 3,
        }
    }
}

/// One candidate k.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Number of segments.
    pub k: usize,
    /// Total within-cluster sum of squares (PCA space).
    pub inertia: f64,
    /// Mean silhouette (PCA space).
    pub silhouette: f64,
}

/// What the example found.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Where the table came from.
    pub source: String,
    /// Customers segmented.
    pub customers: usize,
    /// Columns clustered on (original names).
    pub features: Vec<String>,
    /// Columns left out as identifiers.
    pub id_columns: Vec<String>,
    /// Missing values filled with the column mean.
    pub imputed: usize,
    /// Principal components kept, and the share of variance they explain.
    pub components: (usize, f64),
    /// Each k of 3..6.
    pub candidates: Vec<Candidate>,
    /// The knee of the inertia curve.
    pub knee: Option<usize>,
    /// The k with the best silhouette.
    pub best_silhouette_k: usize,
    /// Segments kept.
    pub k: usize,
    /// Segment of every row, in table order.
    pub labels: Vec<usize>,
    /// Per-segment profile in original units with the conversion rate.
    pub profile: ProfileTable,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Run the study and write its outputs to `opts.out`.
pub fn run(opts: &Options) -> Result<Summary> {
    // 1. The table.
    let (table, source) = match &opts.input {
        Some(path) => (
            Table::read_csv(path, &CsvOptions::default())?,
            path.display().to_string(),
        ),
        None => (
            bank_customers(opts.rows, opts.seed)?,
            format!("bank_customers({}, {})", opts.rows, opts.seed),
        ),
    };
    let converted = outcome(&table, &opts.target, opts.positive.as_deref())?;

    // 2. Features: numeric columns, without the target, identifiers (a customer number would
    //    dominate every distance) and what the user drops.
    let id_columns: Vec<String> = find_id_columns(&table, 0.95)
        .into_iter()
        .map(|c| c.name)
        .collect();
    for d in &opts.drop {
        table.index_of(d)?;
    }
    let features: Vec<String> = table
        .numeric_names()
        .into_iter()
        .filter(|n| *n != opts.target && !id_columns.iter().any(|c| c == n))
        .filter(|n| !opts.drop.iter().any(|d| d == n))
        .map(str::to_string)
        .collect();
    if features.is_empty() {
        return Err(cartera::Error::empty(
            "set of numeric columns to segment on",
        ));
    }
    let refs: Vec<&str> = features.iter().map(String::as_str).collect();
    let raw = table.to_array::<f64>(&refs)?;
    let imputed = raw.iter().filter(|v| v.is_nan()).count();
    // Mean imputation; outliers are kept on purpose (study 003: a big balance is a signal).
    let x = SimpleImputer::new()
        .strategy(ImputeStrategy::Mean)
        .fit_transform(raw.view())?
        .1;
    let z = StandardScaler::new().fit_transform(x.view())?.1;
    let (pca, p) = Pca::new().variance_fraction(0.8).fit_transform(z.view())?;
    let explained: f64 = pca.explained_variance_ratio().sum();

    // 3. k = 3..6: inertia, knee, silhouette.
    let n = table.n_rows();
    let sil = SilhouetteParams::new()
        .sample_size((n > EXACT_SILHOUETTE_ROWS).then_some(10_000))
        .seed(opts.seed);
    let mut models: Vec<KMeans<f64>> = Vec::new();
    let mut candidates = Vec::new();
    for &k in &KS {
        let m = KMeansParams::new(k)
            .n_init(10)
            .seed(opts.seed)
            .fit(p.view())?;
        candidates.push(Candidate {
            k,
            inertia: m.inertia(),
            silhouette: sil.evaluate(p.view(), m.labels())?.score(),
        });
        models.push(m);
    }
    let ks_f: Vec<f64> = KS.iter().map(|&k| k as f64).collect();
    let inertias: Vec<f64> = candidates.iter().map(|c| c.inertia).collect();
    let knee = kneedle_decreasing_convex(&ks_f, &inertias, DEFAULT_SENSITIVITY).map(|i| KS[i]);
    let best_silhouette_k = candidates
        .iter()
        .fold((KS[0], f64::NEG_INFINITY), |best, c| {
            if c.silhouette > best.1 {
                (c.k, c.silhouette)
            } else {
                best
            }
        })
        .0;
    let model = match KS.iter().position(|&k| k == opts.k) {
        Some(i) => models.swap_remove(i),
        None => KMeansParams::new(opts.k)
            .n_init(10)
            .seed(opts.seed)
            .fit(p.view())?,
    };
    let labels = model.labels().to_vec();

    // 4. Join back and profile in original units (imputed values are not shown as data).
    let names: Vec<String> = (0..opts.k).map(|c| format!("segment {}", c + 1)).collect();
    let groups = Groups::from_codes(labels.iter().map(|&l| l as u32).collect(), names.clone())?;
    let columns: Vec<(&str, &[f64])> = refs
        .iter()
        .map(|&c| numeric(&table, c).map(|v| (c, v)))
        .collect::<Result<_>>()?;
    let prof = profile(&columns, &groups, Some(&converted))?;

    std::fs::create_dir_all(&opts.out)
        .map_err(|e| cartera::Error::io(format!("creating {}", opts.out.display()), e))?;
    let mut files = Vec::new();
    let mut joined = table.clone();
    let seg: Vec<Option<&str>> = labels.iter().map(|&l| Some(names[l].as_str())).collect();
    joined.push_column("segment", Column::Text(TextColumn::from_options(&seg)))?;
    files.push(write_csv(&joined, &opts.out, "segmented.csv")?);
    files.push(write_csv(&prof.to_table(), &opts.out, "profile.csv")?);
    if p.ncols() >= 2 {
        let pc1 = p.column(0).to_vec();
        let pc2 = p.column(1).to_vec();
        let svg = cartera::plot::scatter(&pc1, &pc2, &labels, &names, "PC1", "PC2")?;
        files.push(write_text(&svg, &opts.out, "pca_scatter.svg")?);
    }
    let svg = cartera::plot::elbow(&KS, &inertias, knee)?;
    files.push(write_text(&svg, &opts.out, "elbow.svg")?);

    let mut summary = Summary {
        source,
        customers: n,
        features,
        id_columns,
        imputed,
        components: (pca.n_components(), explained),
        candidates,
        knee,
        best_silhouette_k,
        k: opts.k,
        labels,
        profile: prof,
        files: Vec::new(),
    };
    files.push(write_json(
        &summary_json(&summary),
        &opts.out,
        "summary.json",
    )?);
    summary.files = files;
    Ok(summary)
}

/// The conversion of every row: `positive` (default `yes`; `1` for a numeric column).
fn outcome(t: &Table, name: &str, positive: Option<&str>) -> Result<Vec<bool>> {
    let col = t.column(name)?;
    if let (Some(v), None) = (col.as_numeric(), positive) {
        return cartera::scoring::outcomes_from_f64(name, v);
    }
    let positive = positive.unwrap_or("yes");
    (0..col.len())
        .map(|i| match col.get_string(i) {
            Some(s) => Ok(s == positive),
            None => Err(cartera::Error::invalid_param(
                name,
                "missing",
                format!("row {i}: the campaign response is missing"),
            )),
        })
        .collect()
}

fn summary_json(s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "study": "001/003 bank segmentation",
        "source": s.source,
        "customers": s.customers,
        "features": s.features,
        "id_columns": s.id_columns,
        "imputed_values": s.imputed,
        "pca": {"components": s.components.0, "explained_variance": s.components.1},
        "candidates": s.candidates.iter().map(|c| serde_json::json!({"k": c.k, "inertia": c.inertia, "silhouette": c.silhouette})).collect::<Vec<_>>(),
        "knee": s.knee,
        "best_silhouette_k": s.best_silhouette_k,
        "k": s.k,
        "segments": s.profile.segments.iter().map(|g| serde_json::json!({
            "segment": g.segment, "size": g.size, "share": g.share, "conversion_rate": g.outcome_rate,
            "means": g.features.iter().map(|f| (f.feature.clone(), serde_json::json!(f.mean))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "overall_conversion_rate": s.profile.overall.outcome_rate,
    })
}

/// A numeric column as a slice.
fn numeric<'a>(t: &'a Table, name: &str) -> Result<&'a [f64]> {
    let col = t.column(name)?;
    col.as_numeric().ok_or_else(|| cartera::Error::ColumnType {
        name: name.to_string(),
        expected: "numeric".into(),
        found: col.column_type().to_string(),
    })
}

fn write_csv(t: &Table, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    t.write_csv(&path)?;
    Ok(path)
}

fn write_text(text: &str, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)
        .map_err(|e| cartera::Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

fn write_json(v: &serde_json::Value, dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| cartera::Error::io("formatting JSON", std::io::Error::other(e)))?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| cartera::Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

impl Summary {
    /// The few lines `main` prints.
    pub fn print(&self) {
        println!(
            "Bank segmentation (studies 001, 003): {} customers from {}",
            self.customers, self.source
        );
        println!(
            "{} numeric columns ({} missing values mean-imputed, outliers kept, identifiers left out: {}), standard-scaled, PCA {} components ({:.0} % of the variance)",
            self.features.len(),
            self.imputed,
            if self.id_columns.is_empty() {
                "none".to_string()
            } else {
                self.id_columns.join(", ")
            },
            self.components.0,
            100.0 * self.components.1
        );
        println!("{:>3} {:>14} {:>11}", "k", "inertia", "silhouette");
        for c in &self.candidates {
            println!("{:>3} {:>14.1} {:>11.3}", c.k, c.inertia, c.silhouette);
        }
        println!(
            "knee of the inertia curve: {}; best silhouette: k = {}; kept: k = {} (the study's choice)",
            self.knee.map_or("none".to_string(), |k| format!("k = {k}")),
            self.best_silhouette_k,
            self.k
        );
        let shown: Vec<&str> = self.features.iter().take(4).map(String::as_str).collect();
        print!(
            "{:<10} {:>9} {:>7} {:>11}",
            "segment", "customers", "share", "conversion"
        );
        for f in &shown {
            print!(" {:>12}", truncate(f, 12));
        }
        println!();
        for g in self
            .profile
            .segments
            .iter()
            .chain(std::iter::once(&self.profile.overall))
        {
            print!(
                "{:<10} {:>9} {:>6.1}% {:>10.1}%",
                truncate(&g.segment, 10),
                g.size,
                100.0 * g.share,
                100.0 * g.outcome_rate.unwrap_or(f64::NAN)
            );
            for f in &shown {
                let mean = g
                    .features
                    .iter()
                    .find(|s| s.feature == *f)
                    .map_or(f64::NAN, |s| s.mean);
                print!(" {:>12.1}", mean);
            }
            println!();
        }
        let names: Vec<String> = self
            .files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        if let Some(dir) = self.files.first().and_then(|f| f.parent()) {
            println!("wrote {}/{{{}}}", dir.display(), names.join(", "));
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `--out DIR --rows N --seed S --input FILE --target COL --positive V --drop COL --k K`.
fn parse_args(args: impl Iterator<Item = String>) -> std::result::Result<Options, String> {
    let mut o = Options::default();
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => o.out = PathBuf::from(value()?),
            "--rows" => o.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
            "--seed" => o.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--input" => o.input = Some(PathBuf::from(value()?)),
            "--target" => o.target = value()?,
            "--positive" => o.positive = Some(value()?),
            "--drop" => o.drop.push(value()?),
            "--k" => o.k = value()?.parse().map_err(|e| format!("--k: {e}"))?,
            other => {
                return Err(format!(
                    "unknown option {other} (options: --out --rows --seed --input --target --positive --drop --k)"
                ));
            }
        }
    }
    Ok(o)
}

fn main() {
    let result =
        parse_args(std::env::args().skip(1)).and_then(|o| run(&o).map_err(|e| e.to_string()));
    match result {
        Ok(summary) => summary.print(),
        Err(e) => {
            eprintln!("bank_segmentation: {e}");
            std::process::exit(1);
        }
    }
}
