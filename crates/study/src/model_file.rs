//! The model file `cartera train` writes and `cartera predict` / `cartera explain` read.
//!
//! One JSON document carries everything needed to score next month's CSV with no other
//! argument: the input columns it was trained on, the fitted preprocessing pipeline, the class
//! names of the target, and the estimator itself (logistic regression or GBDT), each in its
//! own crate's serde form. The file is written under a temporary name and renamed, and on load
//! the format name and version are checked before anything else, then the estimator is
//! validated, so a truncated or edited file is a one-line error, never a wrong score.
//!
//! A model fitted through the library becomes such a file with [`ModelFile::new`], so that
//! `cartera predict MODEL.json next_month.csv` scores with it:
//!
//! ```
//! use cartera_gbdt::GbdtParams;
//! use cartera_preprocess::pipeline::PrepConfig;
//! use cartera_preprocess::{CsvOptions, Table};
//! use cartera_study::model_file::{Estimator, ModelFile};
//!
//! // 200 customers: a plan (categorical), an age, and whether they left.
//! let rows: String = (0..200)
//!     .map(|i| format!("{},{},{}\n", ["basic", "pro"][i % 2], 20 + i % 50, usize::from(i % 50 > 30)))
//!     .collect();
//! let csv = format!("plan,age,churn\n{rows}");
//! let table = Table::read_csv_bytes(csv.as_bytes(), "customers", &CsvOptions::default())?;
//!
//! // The pipeline is fitted on the input columns only (the target stays out).
//! let inputs = ["plan", "age"];
//! let (pipeline, prepared, _) = PrepConfig::new().one_hot(true).fit(&table.select(&inputs)?)?;
//! let features = prepared.names().to_vec();
//! let names: Vec<&str> = features.iter().map(String::as_str).collect();
//! let x = prepared.to_array::<f64>(&names)?;
//! let y = table.to_array::<f64>(&["churn"])?.column(0).to_owned();
//! let model = GbdtParams::new().n_estimators(20).fit(x.view(), y.view())?;
//!
//! let file = ModelFile::new(
//!     "churn",
//!     vec!["0".into(), "1".into()],
//!     inputs.iter().map(|c| c.to_string()).collect(),
//!     features,
//!     pipeline,
//!     Estimator::Gbdt(model),
//! )?;
//! // file.save(path) writes it; here, the same JSON read back.
//! let again = ModelFile::from_json(&file.to_json()?, "churn model")?;
//! let proba = again.predict_proba(&again.features(&table)?)?;
//! assert_eq!(proba.dim(), (200, 2));
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::path::Path;

use cartera_core::{Error, Result};
use cartera_gbdt::GbdtModel;
use cartera_logistic::LogisticRegression;
use cartera_preprocess::Table;
use cartera_preprocess::pipeline::FittedPipeline;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// The `format` field of every cartera model file.
pub const FORMAT: &str = "cartera-model";
/// The newest model-file version this build reads and the one it writes.
pub const VERSION: u32 = 1;

/// The estimator inside a model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "model", rename_all = "lowercase")]
pub enum Estimator {
    /// L-BFGS logistic regression (binary or multinomial), f64.
    Logistic(LogisticRegression<f64>),
    /// Histogram gradient-boosted trees.
    Gbdt(GbdtModel),
}

/// A trained model with its preprocessing, as saved by `cartera train`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// File format version ([`VERSION`]).
    pub version: u32,
    /// Name of the target column in the training CSV.
    pub target: String,
    /// Class names of the target, in class-index order (`classes[1]` is the positive class of
    /// a binary model).
    pub classes: Vec<String>,
    /// CSV columns the model reads (before preprocessing), in order.
    pub input_columns: Vec<String>,
    /// Columns after preprocessing: the estimator's features, in order.
    pub feature_names: Vec<String>,
    /// The fitted preprocessing (imputation, scaling, one-hot), applied before the estimator.
    pub pipeline: FittedPipeline,
    /// The estimator.
    pub estimator: Estimator,
}

impl ModelFile {
    /// A model file for an estimator fitted through the library: `target` names the column it
    /// predicts, `classes` its class names in class-index order (`["0", "1"]` for a 0/1
    /// target; `classes[1]` is the positive class), `input_columns` the CSV columns the
    /// pipeline was fitted on (the target not among them), `feature_names` the pipeline's
    /// output columns the estimator was fitted on, in order.
    ///
    /// Errors ([`Error::ModelFormat`]): the estimator's class or feature count differs from
    /// `classes` or `feature_names`; a name appears twice in a list; `input_columns` are not
    /// the columns the pipeline was fitted on, or hold the target; `feature_names` are not the
    /// pipeline's output columns ([`FittedPipeline::output_columns`]) in order. The same checks
    /// as [`load`](Self::load), so a file saved from here always loads and scores.
    pub fn new(
        target: &str,
        classes: Vec<String>,
        input_columns: Vec<String>,
        feature_names: Vec<String>,
        pipeline: FittedPipeline,
        estimator: Estimator,
    ) -> Result<Self> {
        let file = ModelFile {
            format: FORMAT.to_string(),
            version: VERSION,
            target: target.to_string(),
            classes,
            input_columns,
            feature_names,
            pipeline,
            estimator,
        };
        file.check("new model file")?;
        Ok(file)
    }

    /// The file's JSON text (what [`save`](Self::save) writes, without the final newline).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| Error::io("formatting the model file", std::io::Error::other(e)))
    }

    /// Which estimator this is, as the `--model` flag spells it.
    pub fn kind(&self) -> &'static str {
        match self.estimator {
            Estimator::Logistic(_) => "logistic",
            Estimator::Gbdt(_) => "gbdt",
        }
    }

    /// Write the file atomically (temporary name, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        cartera_core::output::write_text(path, &(self.to_json()? + "\n"))
    }

    /// The model with its pipeline meeting categories of a one-hot column unseen at fit time
    /// with `policy` (`--unknown-categories` of `predict` and `explain`); files from `train`
    /// hold `Error`.
    pub fn with_unknown_categories(
        mut self,
        policy: cartera_preprocess::encode::UnknownCategory,
    ) -> Self {
        self.pipeline = self.pipeline.with_unknown_categories(policy);
        self
    }

    /// Read and check a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Parse and check a model file's text; `source` names it in errors.
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        // A byte-order mark (an editor's "UTF-8 with BOM") is not JSON; skip it.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Header first: a file from a newer cartera or another tool gets a clear message rather
        // than a serde complaint about some field deep inside.
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            version: Option<u32>,
        }
        let header: Header = serde_json::from_str(text).map_err(|e| {
            Error::model_format(format!("{source}: not a cartera model file ({e})"))
        })?;
        if header.format.as_deref() != Some(FORMAT) {
            return Err(Error::model_format(format!(
                "{source}: format is {:?}, expected \"{FORMAT}\" (a file written by `cartera train`)",
                header.format.unwrap_or_default()
            )));
        }
        match header.version {
            Some(v) if v <= VERSION && v >= 1 => {}
            v => {
                let v = v.map_or("missing".to_string(), |v| v.to_string());
                return Err(Error::model_format(format!(
                    "{source}: model file version {v} is not supported by this cartera (reads 1..={VERSION})"
                )));
            }
        }
        let file: ModelFile = serde_json::from_str(text).map_err(|e| {
            // An estimator's own load check is already a model-format error ("model file:
            // …"): said once, after the file's name.
            let text = e.to_string();
            let text = text.strip_prefix("model file: ").unwrap_or(&text);
            Error::model_format(format!("{source}: {text}"))
        })?;
        file.check(source)?;
        Ok(file)
    }

    /// Internal consistency: class count and feature count agree with the estimator.
    fn check(&self, source: &str) -> Result<()> {
        let bad = |m: String| Err(Error::model_format(format!("{source}: {m}")));
        let (n_classes, n_features) = match &self.estimator {
            Estimator::Logistic(m) => {
                // The serde form is not checked by the logistic crate: coefficient rows and
                // intercepts must match the class count, or scoring would index past them.
                let k = m.n_classes();
                let rows = if k == 2 { 1 } else { k };
                let (coef_rows, n_intercepts) = (m.coefficients().nrows(), m.intercepts().len());
                if k < 2 || coef_rows != rows || n_intercepts != rows {
                    return bad(format!(
                        "the logistic model has {k} classes, {coef_rows} coefficient rows and \
                         {n_intercepts} intercepts (expected at least 2 classes and {rows} of each)"
                    ));
                }
                (k, m.n_features())
            }
            Estimator::Gbdt(m) => {
                m.ensemble().validate()?;
                (m.n_classes(), m.n_features())
            }
        };
        if n_classes != self.classes.len() {
            return bad(format!(
                "the estimator has {n_classes} classes but the file names {}",
                self.classes.len()
            ));
        }
        if n_features != self.feature_names.len() {
            return bad(format!(
                "the estimator has {n_features} features but the file names {}",
                self.feature_names.len()
            ));
        }
        for (what, names) in [
            ("input_columns", &self.input_columns),
            ("feature_names", &self.feature_names),
            ("classes", &self.classes),
        ] {
            if let Some(dup) = cartera_core::validate::first_repeat(names) {
                return bad(format!("`{dup}` appears twice in {what}"));
            }
        }
        // The columns a file is scored from are those the pipeline was fitted on, and the
        // estimator's features are the pipeline's output in order: otherwise every scoring
        // would fail, or (features reordered) score the wrong columns without a word.
        if self.input_columns.contains(&self.target) {
            return bad(format!(
                "the target `{}` is among the input columns",
                self.target
            ));
        }
        let mut fitted: Vec<&str> = self
            .pipeline
            .input_types()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let mut inputs: Vec<&str> = self.input_columns.iter().map(String::as_str).collect();
        fitted.sort_unstable();
        inputs.sort_unstable();
        if fitted != inputs {
            return bad(format!(
                "the input columns {inputs:?} are not those the pipeline was fitted on {fitted:?}"
            ));
        }
        let out = self.pipeline.output_columns().map_err(|e| {
            Error::model_format(format!(
                "{source}: the pipeline cannot transform its own columns: {e}"
            ))
        })?;
        if out != self.feature_names {
            return bad(format!(
                "the feature names {:?} are not the pipeline's output columns {out:?}, in order",
                self.feature_names
            ));
        }
        Ok(())
    }

    /// The estimator's input matrix for `table`: the model's columns selected (an error names
    /// the first one missing), the pipeline applied, features in training order.
    pub fn features(&self, table: &Table) -> Result<Array2<f64>> {
        // Quoted, so that an empty or space-padded name is visible.
        let missing: Vec<String> = self
            .input_columns
            .iter()
            .filter(|c| table.index_of(c).is_err())
            .map(|c| format!("`{c}`"))
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid_data(
                "input CSV",
                format!(
                    "the model was trained on columns the file lacks: {} ({} missing of {})",
                    missing.join(", "),
                    missing.len(),
                    self.input_columns.len()
                ),
            ));
        }
        let refs: Vec<&str> = self.input_columns.iter().map(String::as_str).collect();
        let selected = table.select(&refs)?;
        let (prepared, _) = self.pipeline.transform(&selected)?;
        let names: Vec<&str> = self.feature_names.iter().map(String::as_str).collect();
        prepared.to_array::<f64>(&names)
    }

    /// Class probabilities, `n x classes`.
    pub fn predict_proba(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        match &self.estimator {
            Estimator::Logistic(m) => m.predict_proba(x.view()),
            Estimator::Gbdt(m) => m.predict_proba(x.view()),
        }
    }

    /// Notes for a model with native categorical splits (`train --categorical native`), one per
    /// category-code column where the file holds categories the model was not trained on. Those
    /// rows are scored as missing values there (LightGBM's rule), where a one-hot model refuses
    /// the file: the user should know. Rows are data rows of the file (1-based, header not
    /// counted).
    pub fn unseen_code_notes(&self, table: &Table, x: &Array2<f64>) -> Vec<String> {
        let mut notes = Vec::new();
        for name in self.pipeline.code_columns() {
            let (Some(j), Ok(col)) = (
                self.feature_names.iter().position(|f| *f == name),
                table.column(&name),
            ) else {
                continue;
            };
            let rows: Vec<usize> = (0..table.n_rows())
                .filter(|&r| x[[r, j]].is_nan() && !col.is_missing(r))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let mut values: Vec<String> = Vec::new();
            for &r in &rows {
                if let Some(v) = col.get_string(r)
                    && !values.contains(&v)
                {
                    values.push(v);
                }
            }
            let list = |items: Vec<String>, total: usize| {
                let more = total.saturating_sub(SHOWN);
                let shown = items.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
                if more > 0 {
                    format!("{shown} and {more} more")
                } else {
                    shown
                }
            };
            let n_values = values.len();
            notes.push(format!(
                "note: column `{name}`: {} row{} hold{} categories the model was not trained on ({}; \
                 data rows {}), scored as missing values",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                if rows.len() == 1 { "s" } else { "" },
                list(
                    values.into_iter().map(|v| format!("{v:?}")).collect(),
                    n_values
                ),
                list(
                    rows.iter().map(|r| (r + 1).to_string()).collect(),
                    rows.len()
                ),
            ));
        }
        notes
    }
}

/// Example rows and values named per column before "and N more".
const SHOWN: usize = 3;
