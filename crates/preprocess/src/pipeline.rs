//! A fitted, serialisable preprocessing pipeline: fit it on this month's customer table, save it
//! as JSON, and apply the very same transformations to next month's file.
//!
//! The steps run in a fixed order, each optional:
//!
//! 1. drop exact duplicate rows;
//! 2. sentinel values (`DIAS_FRECUENCIA_RECARGA=9999`) to missing;
//! 3. drop identifier columns and constant columns (found at fit time, dropped by name after);
//! 4. choose the feature columns (all numeric and categorical columns left, or the ones named);
//!    every other column passes through untouched, so IDs and targets stay next to the result;
//! 5. impute missing values (numeric features by the chosen strategy, categorical features by
//!    their most frequent value);
//! 6. IQR outliers on the numeric features: report, clip, or drop the rows;
//! 7. scale the numeric features (standard, min-max or robust);
//! 8. one-hot encode the categorical features;
//! 9. PCA on all numeric features, replacing them by `PC1..PCk`.
//!
//! At transform time the input must have exactly the columns seen at fit time, with the same
//! types: a missing or an extra column is an error naming it.
//!
//! ```
//! use cartera_preprocess::pipeline::{OutlierAction, PrepConfig};
//! use cartera_preprocess::scale::ScalerKind;
//! use cartera_preprocess::impute::ImputeStrategy;
//! use cartera_preprocess::datasets::bank_customers;
//!
//! let bank = bank_customers(2_000, 0)?;
//! let config = PrepConfig::new()
//!     .impute(ImputeStrategy::Mean)
//!     .outliers(OutlierAction::Clip)
//!     .scale(ScalerKind::Standard)
//!     .one_hot(true)
//!     .columns(&["age", "balance", "duration", "job", "marital"]);
//! let (pipeline, prepared, summary) = config.fit(&bank)?;
//! assert_eq!(summary.rows_out, 2_000);
//! assert!(prepared.names().iter().any(|n| n == "job_student"));
//!
//! // Save, load, and apply to another table with the same columns.
//! let json = pipeline.to_json()?;
//! let reloaded = cartera_preprocess::pipeline::FittedPipeline::from_json(&json)?;
//! let (again, _) = reloaded.transform(&bank)?;
//! assert_eq!(again, prepared);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::time::Instant;

use cartera_core::validate::first_repeat;
use cartera_core::{Error, Result};
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clean;
use crate::encode::{FittedOneHot, FittedOrdinal, OneHotEncoder, OrdinalEncoder, UnknownCategory};
use crate::impute::{FittedImputer, ImputeStrategy, SimpleImputer};
use crate::outliers::{FittedIqr, IqrOutliers};
use crate::pca::{FittedPca, NComponents, Pca};
use crate::scale::{FittedScaler, ScalerKind};
use crate::table::{CategoricalColumn, Column, ColumnType, Table};

/// The identifier of pipeline files, checked on load.
const FORMAT: &str = "cartera-pipeline";
/// Version of the pipeline file layout; bumped on any incompatible change.
const VERSION: u32 = 1;

/// What to do with values outside the IQR fences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutlierAction {
    /// Count them per column, change nothing.
    Report,
    /// Move them to the nearest fence.
    Clip,
    /// Drop every row with a value outside a fence (study 004, before clustering).
    Drop,
}

/// A sentinel: `value` in `column` means "missing".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentinel {
    /// Column name.
    pub column: String,
    /// The sentinel as text (`9999`).
    pub value: String,
}

/// The unfitted pipeline: which steps to run and how.
///
/// Defaults: every step off, IQR factor 1.5, ID-column uniqueness threshold 0.95, unknown
/// categories at transform time are an error, PCA seed 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepConfig {
    drop_duplicates: bool,
    sentinels: Vec<Sentinel>,
    drop_id_columns: bool,
    id_unique_ratio: f64,
    drop_constant_columns: bool,
    columns: Option<Vec<String>>,
    /// Columns kept out of the features (a target, say), passed through untouched.
    #[serde(default)]
    exclude: Vec<String>,
    impute: Option<ImputeStrategy>,
    outliers: Option<OutlierAction>,
    iqr_factor: f64,
    scale: Option<ScalerKind>,
    one_hot: bool,
    /// One-hot without each feature's first category (its columns then are not collinear).
    #[serde(default)]
    drop_first: bool,
    #[serde(default)]
    codes: bool,
    unknown_categories: UnknownCategory,
    pca: Option<NComponents>,
    seed: u64,
}

impl Default for PrepConfig {
    fn default() -> Self {
        PrepConfig {
            drop_duplicates: false,
            sentinels: Vec::new(),
            drop_id_columns: false,
            id_unique_ratio: clean::DEFAULT_ID_UNIQUE_RATIO,
            drop_constant_columns: false,
            columns: None,
            exclude: Vec::new(),
            impute: None,
            outliers: None,
            iqr_factor: 1.5,
            scale: None,
            one_hot: false,
            drop_first: false,
            codes: false,
            unknown_categories: UnknownCategory::Error,
            pca: None,
            seed: 0,
        }
    }
}

/// A column removed by the pipeline and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedColumn {
    /// Column name.
    pub name: String,
    /// Why, in words.
    pub reason: String,
}

/// Per-column count, as `(column, count)`.
pub type ColumnCount = (String, usize);

/// What one run of the pipeline did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrepSummary {
    /// Rows in the input.
    pub rows_in: usize,
    /// Rows in the output.
    pub rows_out: usize,
    /// Exact duplicate rows removed.
    pub duplicates_removed: usize,
    /// Values turned into missing, per sentinel column.
    pub sentinel_replacements: Vec<ColumnCount>,
    /// Columns dropped (identifiers, constants).
    pub dropped_columns: Vec<DroppedColumn>,
    /// Numeric feature columns.
    pub numeric_features: Vec<String>,
    /// Categorical feature columns.
    pub categorical_features: Vec<String>,
    /// Values imputed per column (only columns with at least one).
    pub imputed: Vec<ColumnCount>,
    /// Values outside the IQR fences per numeric feature.
    pub outliers: Vec<ColumnCount>,
    /// Rows dropped as outliers.
    pub outlier_rows_dropped: usize,
    /// Scaler applied, if any.
    pub scaled: Option<ScalerKind>,
    /// Indicator columns created per one-hot encoded column.
    pub one_hot: Vec<ColumnCount>,
    /// PCA: components kept.
    pub pca_components: Option<usize>,
    /// PCA: explained variance ratio of each kept component.
    pub explained_variance_ratio: Vec<f64>,
    /// Output column names.
    pub columns_out: Vec<String>,
    /// For each output row, its row index in the input (joins results back to the raw table).
    #[serde(skip)]
    pub kept_rows: Vec<usize>,
    /// Wall-clock seconds of each step that ran (fitting included), in order.
    pub step_seconds: Vec<(String, f64)>,
    /// Wall-clock time of the run.
    pub seconds: f64,
}

impl PrepSummary {
    /// Record the time since `clock` under `step` and restart the clock.
    fn lap(&mut self, step: &str, clock: &mut Instant) {
        self.step_seconds
            .push((step.to_string(), clock.elapsed().as_secs_f64()));
        *clock = Instant::now();
    }
}

impl PrepConfig {
    /// Every step off (see the type's defaults).
    pub fn new() -> Self {
        Self::default()
    }
    cartera_core::setter!(/// Drop exact duplicate rows.
        drop_duplicates: bool);
    cartera_core::setter!(/// Drop identifier columns (see [`clean::find_id_columns`]).
        drop_id_columns: bool);
    cartera_core::setter!(/// Smallest distinct-value ratio of an identifier column (default 0.95).
        id_unique_ratio: f64);
    cartera_core::setter!(/// Drop columns with at most one distinct value.
        drop_constant_columns: bool);
    cartera_core::setter!(/// Fence width in IQRs for the outlier step (default 1.5).
        iqr_factor: f64);
    cartera_core::setter!(/// One-hot encode the categorical features.
        one_hot: bool);
    cartera_core::setter!(/// With [`one_hot`](Self::one_hot): leave out each feature's first category (in
        /// sorted order), as pandas' `get_dummies(drop_first=True)`, so that the dummies of a
        /// feature do not sum to the intercept's column (an unpenalised logistic regression
        /// then has no singular direction). Default off.
        drop_first: bool);
    cartera_core::setter!(/// Replace each categorical feature by its category code (0, 1, … in sorted order of
        /// the categories seen at fit time; missing and unseen categories become NaN), for
        /// models that split categories themselves (the GBDT's `categorical_features`).
        /// Ignored when [`one_hot`](Self::one_hot) is on.
        codes: bool);
    cartera_core::setter!(/// What one-hot encoding does with categories unseen at fit time.
        unknown_categories: UnknownCategory);
    cartera_core::setter!(/// Seed for randomized PCA.
        seed: u64);

    /// Treat `value` in `column` as missing (repeatable).
    pub fn sentinel(mut self, column: &str, value: &str) -> Self {
        self.sentinels.push(Sentinel {
            column: column.to_string(),
            value: value.to_string(),
        });
        self
    }
    /// Use only these feature columns; every other column passes through unchanged.
    pub fn columns(mut self, names: &[&str]) -> Self {
        self.columns = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }
    /// Keep these columns out of the features (a target or a key column): they pass through
    /// unchanged. Each must be a column of the table, and none may be named by
    /// [`columns`](Self::columns) as well. The fitted pipeline does not need them: a table
    /// without them (a file to score has no target) is transformed all the same.
    pub fn exclude(mut self, names: &[&str]) -> Self {
        self.exclude = names.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Impute missing values (numeric by `strategy`, categorical by most frequent).
    pub fn impute(mut self, strategy: ImputeStrategy) -> Self {
        self.impute = Some(strategy);
        self
    }
    /// Treat IQR outliers of the numeric features.
    pub fn outliers(mut self, action: OutlierAction) -> Self {
        self.outliers = Some(action);
        self
    }
    /// Scale the numeric features.
    pub fn scale(mut self, kind: ScalerKind) -> Self {
        self.scale = Some(kind);
        self
    }
    /// Reduce all numeric features with PCA.
    pub fn pca(mut self, components: NComponents) -> Self {
        self.pca = Some(components);
        self
    }

    /// Fit every step on `t` and return the fitted pipeline, the transformed table and what
    /// was done.
    pub fn fit(&self, t: &Table) -> Result<(FittedPipeline, Table, PrepSummary)> {
        cartera_core::validate::check_in_range("id_unique_ratio", self.id_unique_ratio, 0.0, 1.0)?;
        cartera_core::validate::check_non_negative("iqr_factor", self.iqr_factor)?;
        if self.one_hot && self.drop_first && self.unknown_categories == UnknownCategory::Ignore {
            return Err(Error::invalid_param(
                "drop_first",
                true,
                "cannot go with unknown categories ignored: all-zero indicators already mean \
                 each feature's first category",
            ));
        }
        let start = Instant::now();
        let mut p = FittedPipeline {
            format: FORMAT.to_string(),
            version: VERSION,
            config: self.clone(),
            input_columns: t
                .names()
                .iter()
                .zip(t.columns())
                .map(|(n, c)| (n.clone(), c.column_type()))
                .collect(),
            dropped_columns: Vec::new(),
            numeric_features: Vec::new(),
            categorical_features: Vec::new(),
            imputer: None,
            categorical_fill: Vec::new(),
            fences: None,
            scaler: None,
            one_hot: None,
            codes: None,
            pca: None,
        };
        let mut s = PrepSummary {
            rows_in: t.n_rows(),
            ..Default::default()
        };
        let mut clock = Instant::now();
        let mut data = p.clean(t, &mut s)?;
        s.lap("clean", &mut clock);

        // Columns to drop are decided on the cleaned training table.
        // Excluded columns pass through unchanged: never dropped as identifiers or constants.
        let kept = |name: &str| self.exclude.iter().any(|e| e == name);
        if self.drop_id_columns {
            for c in clean::find_id_columns(&data, self.id_unique_ratio)
                .into_iter()
                .filter(|c| !kept(&c.name))
            {
                p.dropped_columns.push(DroppedColumn {
                    name: c.name,
                    reason: format!("identifier: {} ({:.3} distinct)", c.reason, c.unique_ratio),
                });
            }
        }
        if self.drop_constant_columns {
            for name in clean::find_constant_columns(&data) {
                if !kept(&name) && !p.dropped_columns.iter().any(|d| d.name == name) {
                    p.dropped_columns.push(DroppedColumn {
                        name,
                        reason: "constant: at most one distinct value".into(),
                    });
                }
            }
        }
        p.choose_features(&data)?;
        data = p.drop_columns(data, &mut s)?;
        s.lap("drop_columns", &mut clock);

        // The numeric steps work on one row-major matrix of the numeric features, written back
        // to the table once, after scaling.
        // Without a numeric step the numeric columns pass through untouched: skip the matrix.
        let numeric_steps =
            self.impute.is_some() || self.outliers.is_some() || self.scale.is_some();
        let mut x = numeric_matrix_if(numeric_steps, &data, &p.numeric_features)?;
        let has_numeric = x.ncols() > 0;

        if let Some(strategy) = self.impute {
            if has_numeric {
                // Name an all-missing column here: the imputer only knows column indices.
                for (j, name) in p.numeric_features.iter().enumerate() {
                    if x.column(j).iter().all(|v| v.is_nan())
                        && !matches!(strategy, ImputeStrategy::Constant(_))
                    {
                        return Err(Error::TooFewSamples {
                            what: format!("non-missing values in column `{name}` to impute from"),
                            needed: 1,
                            found: 0,
                        });
                    }
                }
                p.imputer = Some(SimpleImputer::new().strategy(strategy).fit(x.view())?);
            }
            for name in &p.categorical_features {
                let fill =
                    most_frequent(data.column(name)?).ok_or_else(|| Error::TooFewSamples {
                        what: format!("non-missing values in column `{name}` to impute from"),
                        needed: 1,
                        found: 0,
                    })?;
                p.categorical_fill.push((name.clone(), fill));
            }
        }
        p.impute(&mut data, &mut x, &mut s)?;
        s.lap("impute", &mut clock);

        if self.outliers.is_some() && has_numeric {
            p.fences = Some(IqrOutliers::new().factor(self.iqr_factor).fit(x.view())?);
        }
        p.treat_outliers(&mut data, &mut x, &mut s)?;
        s.lap("treat_outliers", &mut clock);

        if let Some(kind) = self.scale
            && has_numeric
        {
            check_no_missing(&x, &p.numeric_features, "scaling")?;
            p.scaler = Some(kind.fit(x.view())?);
        }
        if numeric_steps {
            p.scale(&mut data, x, &mut s)?;
        }
        s.lap("scale", &mut clock);

        let names: Vec<&str> = p.categorical_features.iter().map(String::as_str).collect();
        if self.one_hot && !names.is_empty() {
            p.one_hot = Some(
                OneHotEncoder::new()
                    .unknown(self.unknown_categories)
                    .drop_first(self.drop_first)
                    .fit(&data, &names)?,
            );
        } else if self.codes && !names.is_empty() {
            // Unseen categories become missing: a tree sends them where missing values go.
            p.codes = Some(
                OrdinalEncoder::new()
                    .unknown(UnknownCategory::Ignore)
                    .fit(&data, &names)?,
            );
        }
        data = p.encode(data, &mut s)?;
        s.lap("encode", &mut clock);

        if let Some(components) = self.pca {
            let inputs = p.pca_inputs();
            let x = numeric_matrix(&data, &inputs)?;
            check_no_missing(&x, &inputs, "PCA")?;
            p.pca = Some(fit_pca(components, self.seed, &x)?);
        }
        data = p.reduce(data, &mut s)?;
        s.lap("reduce", &mut clock);

        s.rows_out = data.n_rows();
        s.columns_out = data.names().to_vec();
        s.seconds = start.elapsed().as_secs_f64();
        Ok((p, data, s))
    }
}

/// A fitted pipeline (see the [module docs](self)). Save it with [`FittedPipeline::to_json`].
///
/// Loading (by [`FittedPipeline::from_json`] or as part of another file, such as a `cartera
/// train` model) checks the format and version and that every step the configuration names has
/// its fitted state, and no other step has one: a damaged file is an error naming the step,
/// never a transform that quietly skips it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PipelineFile")]
pub struct FittedPipeline {
    format: String,
    version: u32,
    config: PrepConfig,
    input_columns: Vec<(String, ColumnType)>,
    dropped_columns: Vec<DroppedColumn>,
    numeric_features: Vec<String>,
    categorical_features: Vec<String>,
    imputer: Option<FittedImputer<f64>>,
    categorical_fill: Vec<(String, String)>,
    fences: Option<FittedIqr>,
    scaler: Option<FittedScaler<f64>>,
    one_hot: Option<FittedOneHot>,
    /// Category codes (when the config asks for codes instead of one-hot).
    #[serde(default)]
    codes: Option<FittedOrdinal>,
    pca: Option<FittedPca<f64>>,
}

/// [`FittedPipeline`] as stored, before [`FittedPipeline::check_state`].
#[derive(Deserialize)]
struct PipelineFile {
    format: String,
    version: u32,
    config: PrepConfig,
    input_columns: Vec<(String, ColumnType)>,
    dropped_columns: Vec<DroppedColumn>,
    numeric_features: Vec<String>,
    categorical_features: Vec<String>,
    imputer: Option<FittedImputer<f64>>,
    categorical_fill: Vec<(String, String)>,
    fences: Option<FittedIqr>,
    scaler: Option<FittedScaler<f64>>,
    one_hot: Option<FittedOneHot>,
    #[serde(default)]
    codes: Option<FittedOrdinal>,
    pca: Option<FittedPca<f64>>,
}

impl TryFrom<PipelineFile> for FittedPipeline {
    type Error = String;

    fn try_from(f: PipelineFile) -> std::result::Result<Self, String> {
        if f.format != FORMAT {
            return Err(format!(
                "pipeline `format` is `{}`, not `{FORMAT}`",
                f.format
            ));
        }
        if f.version != VERSION {
            return Err(format!(
                "pipeline file version {}; this cartera reads version {VERSION}",
                f.version
            ));
        }
        let p = FittedPipeline {
            format: f.format,
            version: f.version,
            config: f.config,
            input_columns: f.input_columns,
            dropped_columns: f.dropped_columns,
            numeric_features: f.numeric_features,
            categorical_features: f.categorical_features,
            imputer: f.imputer,
            categorical_fill: f.categorical_fill,
            fences: f.fences,
            scaler: f.scaler,
            one_hot: f.one_hot,
            codes: f.codes,
            pca: f.pca,
        };
        p.check_state()?;
        Ok(p)
    }
}

impl FittedPipeline {
    /// Every step the configuration asks for has its fitted state exactly when fitting would
    /// have made one (see `PrepConfig::fit`), and the states fit the features.
    fn check_state(&self) -> std::result::Result<(), String> {
        let c = &self.config;
        let numeric = !self.numeric_features.is_empty();
        let categorical = !self.categorical_features.is_empty();
        let steps = [
            (
                "imputer",
                self.imputer.is_some(),
                c.impute.is_some() && numeric,
            ),
            (
                "fences",
                self.fences.is_some(),
                c.outliers.is_some() && numeric,
            ),
            (
                "scaler",
                self.scaler.is_some(),
                c.scale.is_some() && numeric,
            ),
            ("one_hot", self.one_hot.is_some(), c.one_hot && categorical),
            (
                "codes",
                self.codes.is_some(),
                !c.one_hot && c.codes && categorical,
            ),
            ("pca", self.pca.is_some(), c.pca.is_some()),
        ];
        for (name, present, expected) in steps {
            if present != expected {
                return Err(if expected {
                    format!("the configuration asks for `{name}`, whose fitted state is missing")
                } else {
                    format!("`{name}` holds a fitted state the configuration does not ask for")
                });
            }
        }
        for (what, names) in [
            (
                "input_columns",
                self.input_columns
                    .iter()
                    .map(|(n, _)| n)
                    .collect::<Vec<_>>(),
            ),
            (
                "features",
                self.numeric_features
                    .iter()
                    .chain(&self.categorical_features)
                    .collect(),
            ),
        ] {
            if let Some(dup) = first_repeat(names) {
                return Err(format!("`{dup}` appears twice in the pipeline's {what}"));
            }
        }
        let fill_names: Vec<&String> = self.categorical_fill.iter().map(|(n, _)| n).collect();
        let want: Vec<&String> = if c.impute.is_some() {
            self.categorical_features.iter().collect()
        } else {
            Vec::new()
        };
        if fill_names != want {
            return Err(format!(
                "`categorical_fill` names {fill_names:?}; the configuration needs {want:?}"
            ));
        }
        let n = self.numeric_features.len();
        if let Some(sc) = &self.scaler
            && sc.n_features() != n
        {
            return Err(format!(
                "the scaler has {} features, not {n}",
                sc.n_features()
            ));
        }
        if let Some(imp) = &self.imputer
            && imp.n_features() != n
        {
            return Err(format!(
                "the imputer has {} features, not {n}",
                imp.n_features()
            ));
        }
        if let Some(f) = &self.fences
            && f.n_features() != n
        {
            return Err(format!("`fences` has {} features, not {n}", f.n_features()));
        }
        let names = |cols: &[crate::encode::EncodedColumn]| {
            cols.iter().map(|e| e.name.clone()).collect::<Vec<_>>()
        };
        for e in [
            &self.one_hot.as_ref().map(|e| e.columns()),
            &self.codes.as_ref().map(|e| e.columns()),
        ]
        .into_iter()
        .flatten()
        .flat_map(|cols| cols.iter())
        {
            // Fitting needs one category at least (and a one-hot column without its first
            // category would have nothing left to index).
            if e.categories.is_empty() {
                return Err(format!("column `{}` lists no category", e.name));
            }
            if let Some(dup) = first_repeat(&e.categories) {
                return Err(format!(
                    "column `{}` lists the category {dup:?} twice",
                    e.name
                ));
            }
        }
        if let Some(e) = &self.one_hot
            && e.drops_first() != c.drop_first
        {
            return Err(format!(
                "`one_hot` has drop_first {} but the configuration says {}",
                e.drops_first(),
                c.drop_first
            ));
        }
        for (step, cols) in [
            ("one_hot", self.one_hot.as_ref().map(|e| names(e.columns()))),
            ("codes", self.codes.as_ref().map(|e| names(e.columns()))),
        ] {
            if let Some(cols) = cols
                && cols != self.categorical_features
            {
                return Err(format!(
                    "`{step}` encodes {cols:?}, not the categorical features {:?}",
                    self.categorical_features
                ));
            }
        }
        Ok(())
    }
}

fn numeric_matrix(t: &Table, names: &[String]) -> Result<Array2<f64>> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    t.to_array::<f64>(&refs)
}

/// [`numeric_matrix`] when a numeric step needs it, else an empty placeholder that the steps
/// leave alone (no imputer, fences or scaler) and that is never written back.
fn numeric_matrix_if(needed: bool, t: &Table, names: &[String]) -> Result<Array2<f64>> {
    if needed {
        numeric_matrix(t, names)
    } else {
        Ok(Array2::zeros((0, 0)))
    }
}

/// Write the columns of `x` back into `t` under `names` (same positions).
fn put_numeric(t: &mut Table, names: &[String], x: &Array2<f64>) -> Result<()> {
    // Each column is a strided gather over the whole matrix: do them in parallel.
    let cols: Vec<Vec<f64>> = (0..names.len())
        .into_par_iter()
        .map(|j| x.column(j).to_vec())
        .collect();
    for (name, col) in names.iter().zip(cols) {
        t.replace_column(name, Column::Numeric(col))?;
    }
    Ok(())
}

/// Scaling and PCA need complete data: name the first feature with missing values and say how
/// to fix it, rather than letting the kernel report a bare row and column index.
fn check_no_missing(x: &Array2<f64>, names: &[String], step: &str) -> Result<()> {
    for (j, name) in names.iter().enumerate() {
        let n = x.column(j).iter().filter(|v| v.is_nan()).count();
        if n > 0 {
            return Err(Error::invalid_data(
                format!("column `{name}`"),
                format!(
                    "has {n} missing value{} and {step} needs none: impute first \
                     (PrepConfig::impute; `--impute` on the command line)",
                    if n == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    Ok(())
}

/// `col` with its missing values replaced by the level `fill` (added if new).
fn fill_categorical(col: &Column, fill: &str) -> Column {
    match col {
        Column::Categorical(c) => {
            let mut levels = c.levels().to_vec();
            let code = match levels.iter().position(|l| l == fill) {
                Some(k) => k as u32,
                None => {
                    levels.push(fill.to_string());
                    (levels.len() - 1) as u32
                }
            };
            let codes = c
                .codes()
                .iter()
                .map(|&k| {
                    if k == crate::table::MISSING_CODE {
                        code
                    } else {
                        k
                    }
                })
                .collect();
            Column::Categorical(CategoricalColumn::from_codes(codes, levels))
        }
        other => other.clone(),
    }
}

fn most_frequent(col: &Column) -> Option<String> {
    let stats = crate::table::describe_column("", col);
    stats.top
}

impl FittedPipeline {
    /// The configuration it was fitted with.
    pub fn config(&self) -> &PrepConfig {
        &self.config
    }
    /// Numeric feature columns (before one-hot and PCA).
    pub fn numeric_features(&self) -> &[String] {
        &self.numeric_features
    }
    /// Categorical feature columns.
    pub fn categorical_features(&self) -> &[String] {
        &self.categorical_features
    }
    /// A copy whose one-hot step meets categories not seen at fit time with `policy`, every
    /// fitted statistic kept: what a refit with [`PrepConfig::unknown_categories`] set to
    /// `policy` on the same rows gives, without the refit. `cartera train` encodes its own
    /// validation rows this way while the saved pipeline keeps rejecting unknown categories.
    pub fn with_unknown_categories(&self, policy: UnknownCategory) -> FittedPipeline {
        let mut p = self.clone();
        p.config = p.config.unknown_categories(policy);
        p.one_hot = p.one_hot.map(|e| e.with_unknown(policy));
        p
    }
    /// The output columns holding category codes (when fitted with
    /// [`PrepConfig::codes`]): what to pass as a GBDT's categorical features.
    pub fn code_columns(&self) -> Vec<String> {
        self.codes.as_ref().map_or_else(Vec::new, |c| {
            c.columns().iter().map(|e| e.name.clone()).collect()
        })
    }
    /// Columns dropped at fit time and why.
    pub fn dropped_columns(&self) -> &[DroppedColumn] {
        &self.dropped_columns
    }
    /// The fitted PCA, if the pipeline has one.
    pub fn pca(&self) -> Option<&FittedPca<f64>> {
        self.pca.as_ref()
    }

    /// Apply the fitted pipeline to a table with the same columns as the training table.
    /// Only the feature columns are required: a column that passed through at fit time (an
    /// [`exclude`](PrepConfig::exclude)d target, a text column) or that the pipeline drops (an
    /// identifier, a constant) may be missing, and is then missing from the output too, so a
    /// file to score without its target goes through the pipeline fitted with it. A column the
    /// training table did not have is an error.
    ///
    /// A column fitted as categorical that the table holds as text is read as categories: a
    /// file of a few rows (one customer) infers its string columns as text, since too few
    /// values repeat to look categorical, and an all-blank column as numeric (read as missing
    /// categories). Reading the file with [`Self::input_types`] avoids the conversion.
    pub fn transform(&self, t: &Table) -> Result<(Table, PrepSummary)> {
        let start = Instant::now();
        let coerced = self.text_as_categories(t)?;
        let t = coerced.as_ref().unwrap_or(t);
        self.check_columns(t)?;
        let mut s = PrepSummary {
            rows_in: t.n_rows(),
            ..Default::default()
        };
        let mut clock = Instant::now();
        let data = self.clean(t, &mut s)?;
        s.lap("clean", &mut clock);
        let data = self.drop_columns(data, &mut s)?;
        s.lap("drop_columns", &mut clock);
        let mut data = data;
        // As in `fit`: without a numeric step the numeric columns pass through untouched.
        let numeric_steps =
            self.imputer.is_some() || self.fences.is_some() || self.scaler.is_some();
        let mut x = numeric_matrix_if(numeric_steps, &data, &self.numeric_features)?;
        self.impute(&mut data, &mut x, &mut s)?;
        s.lap("impute", &mut clock);
        self.treat_outliers(&mut data, &mut x, &mut s)?;
        s.lap("treat_outliers", &mut clock);
        if numeric_steps {
            self.scale(&mut data, x, &mut s)?;
        }
        s.lap("scale", &mut clock);
        let data = self.encode(data, &mut s)?;
        s.lap("encode", &mut clock);
        let data = self.reduce(data, &mut s)?;
        s.lap("reduce", &mut clock);
        s.rows_out = data.n_rows();
        s.columns_out = data.names().to_vec();
        s.seconds = start.elapsed().as_secs_f64();
        Ok((data, s))
    }

    /// The pipeline as pretty JSON (the pipeline file format, version 1).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::model_format(format!("cannot serialise the pipeline: {e}")))
    }

    /// Load a pipeline saved by [`FittedPipeline::to_json`]. A truncated file, another kind of
    /// file or another format version is an [`Error::ModelFormat`] saying which.
    pub fn from_json(text: &str) -> Result<Self> {
        // A byte-order mark (an editor's "UTF-8 with BOM") is not JSON; skip it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::model_format(format!("pipeline file is not valid JSON (truncated?): {e}"))
        })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(Error::model_format(format!(
                    "this is a `{other}` file, not a cartera pipeline"
                )));
            }
            None => {
                return Err(Error::model_format(
                    "not a cartera pipeline file (no `format`)",
                ));
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(Error::model_format(format!(
                    "pipeline file version {v}; this cartera reads version {VERSION}"
                )));
            }
            None => return Err(Error::model_format("pipeline file has no `version`")),
        }
        serde_json::from_value(value)
            .map_err(|e| Error::model_format(format!("pipeline file is damaged: {e}")))
    }

    /// Save as JSON to `path` (written to a temporary name, then renamed).
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        cartera_core::output::write_text(path, &(self.to_json()? + "\n"))
    }

    /// Load from a JSON file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::from_json(&text).map_err(|e| match e {
            Error::ModelFormat { message } => {
                Error::model_format(format!("{}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// The columns of the table the pipeline was fitted on, with their types: read a new file
    /// with them ([`CsvOptions::column_types_unless_set`](crate::CsvOptions::column_types_unless_set))
    /// so that type inference on a few rows (a categorical column read as text, an all-blank
    /// one as numeric) cannot make it differ from the fitted table.
    pub fn input_types(&self) -> &[(String, ColumnType)] {
        &self.input_columns
    }

    /// The columns [`transform`](Self::transform) returns, in order (the features and the
    /// columns that pass through), found by transforming a table of no rows with the fitted
    /// input columns and types.
    pub fn output_columns(&self) -> Result<Vec<String>> {
        let mut empty = Table::new();
        for (name, ty) in &self.input_columns {
            let col = match ty {
                ColumnType::Numeric => Column::Numeric(Vec::new()),
                ColumnType::Categorical => {
                    Column::Categorical(CategoricalColumn::from_codes(Vec::new(), Vec::new()))
                }
                ColumnType::Text => {
                    Column::Text(crate::table::TextColumn::from_options::<&str>(&[]))
                }
            };
            empty.push_column(name, col)?;
        }
        Ok(self.transform(&empty)?.0.names().to_vec())
    }

    /// `t` with each column fitted as categorical but held as text turned into categories, or
    /// `None` when there is no such column (no copy).
    fn text_as_categories(&self, t: &Table) -> Result<Option<Table>> {
        // Text, or a column with no value at all (a blank cell in a one-row file reads as a
        // numeric column of missing values).
        let convert: Vec<&str> = self
            .input_columns
            .iter()
            .filter(|(name, ty)| {
                *ty == ColumnType::Categorical
                    && t.column(name).is_ok_and(|c| match c.column_type() {
                        ColumnType::Text => true,
                        ColumnType::Numeric => c.missing_count() == c.len(),
                        ColumnType::Categorical => false,
                    })
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if convert.is_empty() {
            return Ok(None);
        }
        // The other columns are copied as they are; the converted ones are built anew.
        let columns = t
            .names()
            .iter()
            .zip(t.columns())
            .map(|(name, col)| {
                let col = if convert.contains(&name.as_str()) {
                    let values: Vec<Option<String>> =
                        (0..col.len()).map(|i| col.get_string(i)).collect();
                    Column::Categorical(CategoricalColumn::from_options(&values))
                } else {
                    col.clone()
                };
                (name.clone(), col)
            })
            .collect();
        Table::from_columns(columns).map(Some)
    }

    /// Whether `name` is one of the fitted features (the columns the steps read).
    fn is_feature(&self, name: &str) -> bool {
        self.numeric_features.iter().any(|f| f == name)
            || self.categorical_features.iter().any(|f| f == name)
    }

    fn check_columns(&self, t: &Table) -> Result<()> {
        let expected: Vec<String> = self.input_columns.iter().map(|(n, _)| n.clone()).collect();
        for (name, ty) in &self.input_columns {
            // Only the features are required: a column that passes through (an excluded target,
            // text) or that the pipeline drops (an identifier, a constant) may be missing, as it
            // is from next month's file to score, which has no target yet.
            let Ok(found) = t.column(name) else {
                if !self.is_feature(name) {
                    continue;
                }
                return Err(Error::UnknownColumn {
                    name: name.clone(),
                    available: t.names().to_vec(),
                });
            };
            // A numeric column may come back categorical (or the reverse) if a month's file
            // happens to look different: that changes what the steps mean, so refuse it.
            if found.column_type() != *ty {
                return Err(Error::ColumnType {
                    name: name.clone(),
                    expected: ty.to_string(),
                    found: found.column_type().to_string(),
                });
            }
        }
        if let Some(extra) = t.names().iter().find(|n| !expected.contains(n)) {
            return Err(Error::invalid_data(
                format!("column `{extra}`"),
                "was not in the table the pipeline was fitted on",
            ));
        }
        Ok(())
    }

    fn clean(&self, t: &Table, s: &mut PrepSummary) -> Result<Table> {
        let mut data = if self.config.drop_duplicates {
            let (d, report) = clean::drop_duplicates(t)?;
            s.duplicates_removed = report.removed;
            s.kept_rows = report.kept_rows;
            d
        } else {
            s.kept_rows = (0..t.n_rows()).collect();
            t.clone()
        };
        for sen in &self.config.sentinels {
            let n = clean::replace_sentinel(&mut data, &sen.column, &sen.value)?;
            s.sentinel_replacements.push((sen.column.clone(), n));
        }
        Ok(data)
    }

    fn drop_columns(&self, mut t: Table, s: &mut PrepSummary) -> Result<Table> {
        s.dropped_columns = self.dropped_columns.clone();
        s.numeric_features = self.numeric_features.clone();
        s.categorical_features = self.categorical_features.clone();
        if self.dropped_columns.is_empty() {
            return Ok(t);
        }
        // Dropped columns the table does not have are already gone (see `check_columns`).
        let names: Vec<&str> = self
            .dropped_columns
            .iter()
            .map(|d| d.name.as_str())
            .filter(|n| t.index_of(n).is_ok())
            .collect();
        t.remove_columns(&names)?;
        Ok(t)
    }

    fn choose_features(&mut self, t: &Table) -> Result<()> {
        let candidates: Vec<String> = match &self.config.columns {
            Some(cols) => {
                if let Some(c) = first_repeat(cols) {
                    return Err(Error::invalid_param("columns", c, "is named twice"));
                }
                for c in cols {
                    if self.dropped_columns.iter().any(|d| &d.name == c) {
                        return Err(Error::invalid_param(
                            "columns",
                            c,
                            "this feature column was dropped by an earlier step",
                        ));
                    }
                    t.index_of(c)?;
                }
                cols.clone()
            }
            None => t
                .names()
                .iter()
                .filter(|n| !self.dropped_columns.iter().any(|d| &d.name == *n))
                .cloned()
                .collect(),
        };
        if let Some(c) = first_repeat(&self.config.exclude) {
            return Err(Error::invalid_param("exclude", c, "is named twice"));
        }
        for c in &self.config.exclude {
            t.index_of(c)?;
            if self
                .config
                .columns
                .as_ref()
                .is_some_and(|cols| cols.contains(c))
            {
                return Err(Error::invalid_param(
                    "exclude",
                    c,
                    "is also named as a feature column",
                ));
            }
        }
        let excluded = |n: &String| self.config.exclude.contains(n);
        for name in candidates.into_iter().filter(|n| !excluded(n)) {
            match t.column_type(&name)? {
                ColumnType::Numeric => self.numeric_features.push(name),
                ColumnType::Categorical => self.categorical_features.push(name),
                ColumnType::Text if self.config.columns.is_some() => {
                    return Err(Error::ColumnType {
                        name,
                        expected: "numeric or categorical (a feature)".into(),
                        found: "text".into(),
                    });
                }
                ColumnType::Text => {}
            }
        }
        if self.numeric_features.is_empty() && self.categorical_features.is_empty() {
            return Err(Error::empty("set of feature columns"));
        }
        Ok(())
    }

    fn impute(&self, t: &mut Table, x: &mut Array2<f64>, s: &mut PrepSummary) -> Result<()> {
        if let Some(imp) = &self.imputer {
            let (y, counts) = imp.transform_with_counts(x.view())?;
            for (name, n) in self.numeric_features.iter().zip(counts) {
                if n > 0 {
                    s.imputed.push((name.clone(), n));
                }
            }
            *x = y;
        }
        for (name, fill) in &self.categorical_fill {
            let col = t.column(name)?;
            let n = col.missing_count();
            if n > 0 {
                s.imputed.push((name.clone(), n));
                let filled = fill_categorical(col, fill);
                t.replace_column(name, filled)?;
            }
        }
        Ok(())
    }

    fn treat_outliers(
        &self,
        t: &mut Table,
        x: &mut Array2<f64>,
        s: &mut PrepSummary,
    ) -> Result<()> {
        let (Some(fences), Some(action)) = (&self.fences, self.config.outliers) else {
            return Ok(());
        };
        let counts = fences.count_outside(x.view())?;
        s.outliers = self.numeric_features.iter().cloned().zip(counts).collect();
        match action {
            OutlierAction::Report => {}
            OutlierAction::Clip => *x = fences.clip(x.view())?,
            OutlierAction::Drop => {
                let mask = fences.inlier_mask(x.view())?;
                let keep: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
                s.outlier_rows_dropped = mask.len() - keep.len();
                s.kept_rows = keep.iter().map(|&i| s.kept_rows[i]).collect();
                *t = t.take_rows(&keep)?;
                *x = x.select(ndarray::Axis(0), &keep);
            }
        }
        Ok(())
    }

    /// Scale the numeric matrix (if configured) and write it back into the table.
    fn scale(&self, t: &mut Table, x: Array2<f64>, s: &mut PrepSummary) -> Result<()> {
        let x = match &self.scaler {
            Some(scaler) => {
                s.scaled = self.config.scale;
                let mut x = x;
                scaler.transform_in_place(x.view_mut())?;
                x
            }
            None => x,
        };
        put_numeric(t, &self.numeric_features, &x)
    }

    fn encode(&self, t: Table, s: &mut PrepSummary) -> Result<Table> {
        if let Some(enc) = &self.codes {
            return enc.transform_owned(t);
        }
        let Some(enc) = &self.one_hot else {
            return Ok(t);
        };
        s.one_hot = enc
            .columns()
            .iter()
            .map(|c| (c.name.clone(), c.categories.len()))
            .collect();
        enc.transform_owned(t)
    }

    /// Numeric columns PCA works on: the numeric features plus the one-hot indicators.
    fn pca_inputs(&self) -> Vec<String> {
        let mut v = self.numeric_features.clone();
        if let Some(enc) = &self.one_hot {
            v.extend(enc.feature_names());
        }
        v
    }

    fn reduce(&self, t: Table, s: &mut PrepSummary) -> Result<Table> {
        let Some(pca) = &self.pca else {
            return Ok(t);
        };
        let inputs = self.pca_inputs();
        let x = numeric_matrix(&t, &inputs)?;
        let z = apply_pca(pca, &x)?;
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let mut out = t.drop(&refs)?;
        for k in 0..z.ncols() {
            out.push_column(
                &format!("PC{}", k + 1),
                Column::Numeric(z.column(k).to_vec()),
            )?;
        }
        s.pca_components = Some(z.ncols());
        s.explained_variance_ratio = pca_ratios(pca);
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// The numeric transformers, adapted to the pipeline's f64 matrices.
// ---------------------------------------------------------------------------------------------

fn fit_pca(components: NComponents, seed: u64, x: &Array2<f64>) -> Result<FittedPca<f64>> {
    let pca = Pca::new().seed(seed);
    let pca = match components {
        NComponents::All => pca.all_components(),
        NComponents::Count(k) => pca.n_components(k),
        NComponents::VarianceFraction(f) => pca.variance_fraction(f),
    };
    pca.fit(x.view())
}

fn apply_pca(p: &FittedPca<f64>, x: &Array2<f64>) -> Result<Array2<f64>> {
    p.transform(x.view())
}

fn pca_ratios(p: &FittedPca<f64>) -> Vec<f64> {
    p.explained_variance_ratio().to_vec()
}
