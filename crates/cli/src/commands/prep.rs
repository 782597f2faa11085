//! `cartera prep`: clean, impute, treat outliers, scale, encode and reduce a customer CSV, with
//! the fitted steps saved and re-applied to the next file.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_preprocess::Column;
use cartera_preprocess::encode::UnknownCategory;
use cartera_preprocess::impute::ImputeStrategy;
use cartera_preprocess::pca::NComponents;
use cartera_preprocess::pipeline::{FittedPipeline, OutlierAction, PrepConfig};
use clap::ValueEnum;
use serde_json::json;

/// `--impute` choices.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Impute {
    /// Column mean.
    Mean,
    /// Column median.
    Median,
    /// Most frequent value.
    MostFrequent,
}

impl From<Impute> for ImputeStrategy {
    fn from(i: Impute) -> Self {
        match i {
            Impute::Mean => ImputeStrategy::Mean,
            Impute::Median => ImputeStrategy::Median,
            Impute::MostFrequent => ImputeStrategy::MostFrequent,
        }
    }
}

/// `--outliers` choices.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Outliers {
    /// Count values outside the IQR fences.
    Report,
    /// Move them to the fences.
    Clip,
    /// Drop rows with any value outside.
    Drop,
}

/// `--unknown-categories` choices.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Unknown {
    /// Fail, naming the column, row and value.
    Error,
    /// Encode as all zeros.
    Ignore,
}

impl Unknown {
    /// The library's policy of the same name.
    pub fn policy(self) -> UnknownCategory {
        match self {
            Unknown::Error => UnknownCategory::Error,
            Unknown::Ignore => UnknownCategory::Ignore,
        }
    }
}

/// Flags of `cartera prep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input CSV with a header row.
    input: PathBuf,
    /// Output CSV (`-` for stdout).
    #[arg(long)]
    out: PathBuf,
    /// Drop exact duplicate rows.
    #[arg(long)]
    drop_duplicates: bool,
    /// Treat VALUE in column COL as missing (repeatable), e.g. DIAS_FRECUENCIA_RECARGA=9999.
    #[arg(long = "sentinel", value_name = "COL=VALUE")]
    sentinels: Vec<String>,
    /// Drop identifier columns (nearly all values distinct: codes, row numbers).
    #[arg(long)]
    drop_id_columns: bool,
    /// Drop columns with at most one distinct value.
    #[arg(long)]
    drop_constant_columns: bool,
    /// Impute missing numeric values (categorical features get their most frequent value).
    #[arg(long, value_enum)]
    impute: Option<Impute>,
    /// Treat outliers of the numeric features by the IQR rule (a column of two values, a 0/1
    /// flag, is fenced at its own range: its minority value is no outlier).
    #[arg(long, value_enum)]
    outliers: Option<Outliers>,
    /// With --outliers: the IQR fence factor.
    #[arg(long, default_value_t = 1.5, requires = "outliers")]
    iqr_factor: f64,
    /// Scale the numeric features.
    #[arg(long, value_enum)]
    scale: Option<super::ScaleArg>,
    /// One-hot encode the categorical features.
    #[arg(long)]
    one_hot: bool,
    /// With --one-hot: leave out each feature's first category (as pandas'
    /// `get_dummies(drop_first=True)`), so the dummies are not collinear in a linear model.
    #[arg(long, requires = "one_hot")]
    drop_first: bool,
    /// Columns kept out of the features (comma-separated; a target, say): passed through
    /// unchanged.
    #[arg(long, value_delimiter = ',', value_name = "A,B,..")]
    exclude: Option<Vec<String>>,
    /// What one-hot encoding does with categories unseen at fit time: `error` (the default)
    /// or `ignore` (all indicators 0). With --apply-pipeline it overrides the saved pipeline's
    /// policy, so next month's file with a new category can still be encoded.
    #[arg(long, value_enum)]
    unknown_categories: Option<Unknown>,
    /// PCA on the numeric features: a number of components (3) or a fraction of variance (0.9).
    #[arg(long, value_name = "N|FRACTION")]
    pca: Option<String>,
    /// With --pca: random seed (randomized PCA on wide data).
    #[arg(long, default_value_t = 0, requires = "pca")]
    seed: u64,
    /// Feature columns (comma-separated); other columns pass through unchanged.
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Save the fitted steps as JSON.
    #[arg(long, value_name = "P.json")]
    save_pipeline: Option<PathBuf>,
    /// Apply steps saved by --save-pipeline instead of fitting new ones.
    #[arg(long, value_name = "P.json")]
    apply_pipeline: Option<PathBuf>,
    /// Add a `row_index` column: each output row's 0-based row in the input (to join results
    /// back after duplicates or outliers were dropped).
    #[arg(long)]
    keep_row_index: bool,
    /// Write a summary of what each step did as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

fn parse_pca(text: &str) -> Result<NComponents> {
    let bad = || {
        Error::invalid_param(
            "--pca",
            text,
            "expected a whole number of components (3) or a fraction of variance in (0, 1) (0.9)",
        )
    };
    if let Ok(n) = text.parse::<usize>() {
        return if n == 0 {
            Err(bad())
        } else {
            Ok(NComponents::Count(n))
        };
    }
    match text.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(NComponents::VarianceFraction(f)),
        _ => Err(bad()),
    }
}

fn config(a: &Args) -> Result<PrepConfig> {
    let mut c = PrepConfig::new()
        .drop_duplicates(a.drop_duplicates)
        .drop_id_columns(a.drop_id_columns)
        .drop_constant_columns(a.drop_constant_columns)
        .iqr_factor(a.iqr_factor)
        .one_hot(a.one_hot)
        .drop_first(a.drop_first)
        .seed(a.seed)
        .unknown_categories(
            a.unknown_categories
                .map_or(UnknownCategory::Error, Unknown::policy),
        );
    for s in &a.sentinels {
        let (col, value) = s.split_once('=').ok_or_else(|| {
            Error::invalid_param(
                "--sentinel",
                s,
                "expected COL=VALUE, e.g. DIAS_FRECUENCIA_RECARGA=9999",
            )
        })?;
        c = c.sentinel(col, value);
    }
    if let Some(i) = a.impute {
        c = c.impute(i.into());
    }
    if let Some(o) = a.outliers {
        c = c.outliers(match o {
            Outliers::Report => OutlierAction::Report,
            Outliers::Clip => OutlierAction::Clip,
            Outliers::Drop => OutlierAction::Drop,
        });
    }
    if let Some(s) = a.scale {
        c = c.scale(s.into());
    }
    if let Some(p) = &a.pca {
        c = c.pca(parse_pca(p)?);
    }
    if let Some(cols) = &a.columns {
        super::no_repeats(cols)?;
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        c = c.columns(&refs);
    }
    if let Some(cols) = &a.exclude {
        let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
        c = c.exclude(&refs);
    }
    Ok(c)
}

/// Flags that choose steps: with --apply-pipeline the saved steps are used, so these would be
/// silently ignored; refuse them instead.
fn fitting_flags(a: &Args) -> Vec<&'static str> {
    let mut v = Vec::new();
    let flags: [(&'static str, bool); 13] = [
        ("--drop-duplicates", a.drop_duplicates),
        ("--sentinel", !a.sentinels.is_empty()),
        ("--drop-id-columns", a.drop_id_columns),
        ("--drop-constant-columns", a.drop_constant_columns),
        ("--impute", a.impute.is_some()),
        ("--outliers", a.outliers.is_some()),
        ("--scale", a.scale.is_some()),
        ("--one-hot", a.one_hot),
        ("--drop-first", a.drop_first),
        ("--exclude", a.exclude.is_some()),
        ("--pca", a.pca.is_some()),
        ("--columns", a.columns.is_some()),
        ("--save-pipeline", a.save_pipeline.is_some()),
    ];
    for (name, given) in flags {
        if given {
            v.push(name);
        }
    }
    v
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(Some(&a.out), a.json.as_deref())?;
    if let Some(p) = &a.save_pipeline {
        cartera_core::validate::check_output_file(p)?;
    }
    let opts = a.csv.options()?;
    // Validate everything about the flags before the (possibly long) read.
    let fitted_from = match &a.apply_pipeline {
        Some(p) => {
            let conflicting = fitting_flags(&a);
            if !conflicting.is_empty() {
                return Err(Error::invalid_param(
                    "--apply-pipeline",
                    p.display(),
                    format!(
                        "applies the saved steps; remove {} (they belong to the run that fitted it)",
                        conflicting.join(", ")
                    ),
                ));
            }
            let saved = FittedPipeline::load(p)?;
            Some(match a.unknown_categories {
                Some(u) => saved.with_unknown_categories(u.policy()),
                None => saved,
            })
        }
        None => None,
    };
    let cfg = config(&a)?;
    // Applying saved steps: read the file with the types of the table they were fitted on.
    let opts = match &fitted_from {
        Some(p) => opts.column_types_unless_set(p.input_types()),
        None => opts,
    };

    let t0 = Instant::now();
    let table = super::read_table(&a.input, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();
    let names: Vec<&str> = table.names().iter().map(String::as_str).collect();
    super::check_finite(&table, &names, true, 0)?;

    let t1 = Instant::now();
    let (pipeline, mut out, summary) = match fitted_from {
        Some(p) => {
            let (out, s) = p
                .transform(&table)
                .map_err(|e| super::explain_type(e, &table))?;
            (p, out, s)
        }
        None => cfg.fit(&table)?,
    };
    let prep_seconds = t1.elapsed().as_secs_f64();
    // Without --columns every categorical column is a feature, an outcome (churn yes/no)
    // included: said, so that a later clustering or model does not train on the answer.
    if a.one_hot
        && a.columns.is_none()
        && a.exclude.is_none()
        && !pipeline.categorical_features().is_empty()
    {
        eprintln!(
            "note: --one-hot encoded every categorical column ({}); to keep a target out, \
             name it with --exclude (or the feature columns with --columns)",
            pipeline.categorical_features().join(", ")
        );
    }

    if a.keep_row_index {
        let idx = summary.kept_rows.iter().map(|&i| i as f64).collect();
        out.push_column("row_index", Column::Numeric(idx))?;
    }
    let t2 = Instant::now();
    super::write_table(&out, &a.out)?;
    if let Some(p) = &a.save_pipeline {
        pipeline.save(p)?;
    }
    let write_seconds = t2.elapsed().as_secs_f64();

    eprintln!(
        "{}: {} rows in, {} rows x {} columns out to {} (read {:.2} s, prep {:.2} s, write {:.2} s)",
        a.input.display(),
        summary.rows_in,
        out.n_rows(),
        out.n_cols(),
        a.out.display(),
        read_seconds,
        prep_seconds,
        write_seconds
    );
    if let Some(target) = &a.json {
        let mut value = serde_json::to_value(&summary)
            .map_err(|e| Error::io("formatting JSON", std::io::Error::other(e)))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("input".into(), json!(a.input.display().to_string()));
            obj.insert("output".into(), json!(a.out.display().to_string()));
            obj.insert(
                "mode".into(),
                json!(if a.apply_pipeline.is_some() {
                    "apply"
                } else {
                    "fit"
                }),
            );
            obj.insert("read_seconds".into(), json!(read_seconds));
            obj.insert("prep_seconds".into(), json!(prep_seconds));
            obj.insert("write_seconds".into(), json!(write_seconds));
        }
        super::write_json(target, &value)?;
    }
    Ok(())
}
