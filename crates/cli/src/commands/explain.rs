//! `cartera explain`: TreeSHAP contributions of a tree model (a `cartera train --model gbdt`
//! file, or a LightGBM text model with `--lightgbm`) for the rows of a CSV, and the features
//! ranked by mean |SHAP|.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_gbdt::Ensemble;
use cartera_gbdt::explain::{feature_columns, importance};
use cartera_gbdt::lightgbm::{LightgbmCategories, load_lightgbm_model_with_categories};
use cartera_gbdt::shap::TreeShap;
use cartera_preprocess::{Column, ColumnType, Table};
use ndarray::{Array2, s};
use serde_json::json;

use cartera_study::model_file::{Estimator, ModelFile};

/// Flags of `cartera explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A model file from `cartera train --model gbdt`, or a LightGBM text model
    /// (`Booster.save_model`) with `--lightgbm`.
    model: PathBuf,
    /// CSV with the model's columns (a cartera model applies its saved preprocessing; a
    /// LightGBM model reads the columns named in its `feature_names`, where LightGBM wrote
    /// `CD_Account` for a column `CD Account`; pandas `category` columns hold their categories,
    /// names or numbers, coded through the model's `pandas_categorical` line).
    input: PathBuf,
    /// MODEL is a LightGBM text model.
    #[arg(long)]
    lightgbm: bool,
    /// Explain only the first N rows.
    #[arg(long)]
    rows: Option<usize>,
    /// Write `row` (the 0-based input row), then one column per feature plus `expected_value`
    /// (multiclass: `class` after `row`, one line per input row and class); `-` for stdout.
    #[arg(long, value_name = "SHAP.csv")]
    out: PathBuf,
    /// Write the features ranked by mean |SHAP| (per class for multiclass) and
    /// `explain_seconds` as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Categories of a one-hot encoded column that the model was not trained on: `error` (the
    /// default) or `ignore` (all of the column's indicators 0), as for `predict`.
    #[arg(long, value_enum, default_value = "error")]
    unknown_categories: super::prep::Unknown,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// The ensemble and its input matrix for `table`.
fn load(
    a: &Args,
    file: Option<ModelFile>,
    table: &Table,
) -> Result<(Ensemble, Array2<f64>, Vec<String>)> {
    if let Some(file) = file {
        let Estimator::Gbdt(m) = &file.estimator else {
            return Err(Error::invalid_param(
                "MODEL",
                a.model.display(),
                "is a logistic model: explain needs a tree model (train with --model gbdt); \
                 a logistic model is read through its coefficient table",
            ));
        };
        let inputs: Vec<&str> = file.input_columns.iter().map(String::as_str).collect();
        super::check_finite(table, &inputs, true, 0)?;
        let x = file
            .features(table)
            .map_err(|e| super::explain_type(e, table))?;
        for note in file.unseen_code_notes(table, &x) {
            eprintln!("{note}");
        }
        let mut ensemble = m.ensemble().clone();
        ensemble.feature_names = file.feature_names.clone();
        let classes = if file.classes.len() == 2 {
            vec![file.classes[1].clone()]
        } else {
            file.classes.clone()
        };
        Ok((ensemble, x, classes))
    } else {
        let (ensemble, categories) = load_lightgbm_model_with_categories(&a.model)?;
        let cols = feature_columns(&ensemble.feature_names, table.names())?;
        let names: Vec<&str> = cols.iter().map(|&c| table.names()[c].as_str()).collect();
        let source = a.model.display().to_string();
        let x = lightgbm_matrix(table, &names, &categories, &source)?;
        let classes = match ensemble.objective {
            cartera_gbdt::Objective::Multiclass { n_classes } => {
                (0..n_classes).map(|c| c.to_string()).collect()
            }
            // A binary model's one output is the log-odds of label 1 (LightGBM's positive
            // label), so its contributions are named after that class.
            cartera_gbdt::Objective::Binary { .. } => vec!["1".to_string()],
            cartera_gbdt::Objective::Regression => vec!["0".to_string()],
        };
        Ok((ensemble, x, classes))
    }
}

/// The input matrix of a LightGBM model: numeric columns as they are; the columns that were
/// pandas `category` columns when the model was trained as their codes in the model's
/// `pandas_categorical` lists, which list those columns in column order. A value not in its
/// column's list, or missing, becomes NaN, as LightGBM's pandas path reads an unseen category
/// (missing).
///
/// Which feature columns those are: the model's categorical features (its parameters'
/// `categorical_feature`) when there is one per list, so columns whose categories are numbers
/// (read from the CSV as numbers) are coded too; otherwise the feature columns that hold text.
/// A text column the model reads as numbers is an error.
fn lightgbm_matrix(
    table: &Table,
    names: &[&str],
    categories: &LightgbmCategories,
    model: &str,
) -> Result<Array2<f64>> {
    let is_text = |n: &str| table.column_type(n).is_ok_and(|t| t != ColumnType::Numeric);
    let lists = categories.pandas.as_deref().unwrap_or_default();
    let text: Vec<usize> = (0..names.len()).filter(|&j| is_text(names[j])).collect();
    let declared = &categories.features;
    let coded: &[usize] = if !lists.is_empty()
        && declared.len() == lists.len()
        && declared.iter().all(|&j| j < names.len())
    {
        declared
    } else {
        &text
    };
    // A text column the model reads as numbers.
    let uncoded_text = |j: usize| {
        Error::invalid_data(
            format!("column `{}`", names[j]),
            format!(
                "holds text, and {model} reads it as numbers (the model lists {} pandas \
                 category column(s), pandas_categorical, for {} feature column(s) holding text \
                 here): give the values the model was trained on",
                lists.len(),
                text.len()
            ),
        )
    };
    if let Some(&j) = text.iter().find(|j| !coded.contains(j)) {
        return Err(uncoded_text(j));
    }
    if coded.len() != lists.len() {
        // Only text columns are coded here (the declared features did not fit the lists), and
        // their number is not the lists'.
        let what = coded.first().map_or_else(
            || "feature columns".to_string(),
            |&j| format!("column `{}`", names[j]),
        );
        return Err(Error::invalid_data(
            what,
            format!(
                "{model} lists {} pandas category column(s) (pandas_categorical), and {} \
                 feature column(s) here hold text: mark each of the model's category columns \
                 with --type COL=categorical, or give the codes the model was trained on",
                lists.len(),
                coded.len()
            ),
        ));
    }
    let numeric: Vec<&str> = (0..names.len())
        .filter(|j| !coded.contains(j))
        .map(|j| names[j])
        .collect();
    super::check_finite(table, &numeric, true, 0)?;
    if coded.is_empty() {
        return table.to_array::<f64>(names);
    }
    let n = table.n_rows();
    let mut x = Array2::<f64>::from_elem((n, names.len()), f64::NAN);
    for (j, name) in names.iter().enumerate() {
        let col = table.column(name)?;
        let list = coded.iter().position(|&c| c == j).map(|k| &lists[k]);
        match (list, col) {
            (None, Column::Numeric(v)) => x
                .column_mut(j)
                .assign(&ndarray::ArrayView1::from(v.as_slice())),
            // Every text column is coded (checked above); an error rather than a panic.
            (None, _) => return Err(uncoded_text(j)),
            (Some(list), Column::Numeric(v)) => {
                // Categories that are numbers, matched by value: `3` in the CSV is the
                // category `3` (or `3.0`) of the list. A blank (NaN) stays missing.
                let code: std::collections::HashMap<u64, f64> = list
                    .iter()
                    .enumerate()
                    .filter_map(|(c, v)| v.parse::<f64>().ok().map(|f| (key(f), c as f64)))
                    .collect();
                for (i, &v) in v.iter().enumerate() {
                    if let Some(&c) = code.get(&key(v)).filter(|_| !v.is_nan()) {
                        x[[i, j]] = c;
                    }
                }
            }
            (Some(list), _) => {
                let code: std::collections::HashMap<&str, f64> = list
                    .iter()
                    .enumerate()
                    .map(|(c, v)| (v.as_str(), c as f64))
                    .collect();
                for i in 0..n {
                    if let Some(c) = col
                        .get_string(i)
                        .and_then(|v| code.get(v.as_str()).copied())
                    {
                        x[[i, j]] = c;
                    }
                }
            }
        }
    }
    Ok(x)
}

/// A number as a map key: `-0` is `0`, as pandas matches categories.
fn key(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(Some(&a.out), a.json.as_deref())?;
    if a.rows == Some(0) {
        return Err(Error::invalid_param("--rows", 0, "must be at least 1"));
    }
    // A cartera model file is loaded first: its input types decide how the CSV is read.
    let file = if a.lightgbm {
        None
    } else {
        Some(ModelFile::load(&a.model)?.with_unknown_categories(a.unknown_categories.policy()))
    };
    let mut opts = a.csv.options()?;
    if let Some(f) = &file {
        opts = opts.column_types_unless_set(f.pipeline.input_types());
    }
    let t0 = Instant::now();
    let mut table = super::read_table(&a.input, &opts)?;
    // Only the rows explained are prepared (and named in notes).
    if let Some(r) = a.rows.filter(|&r| r < table.n_rows()) {
        table = table.take_rows(&(0..r).collect::<Vec<_>>())?;
    }
    let read_seconds = t0.elapsed().as_secs_f64();
    let (ensemble, x, classes) = load(&a, file, &table)?;
    let n = a.rows.map_or(x.nrows(), |r| r.min(x.nrows()));
    let x = x.slice(s![..n, ..]);

    let t1 = Instant::now();
    let explainer = TreeShap::new(&ensemble)?;
    let shap = explainer.shap_values(x)?;
    let explain_seconds = t1.elapsed().as_secs_f64();

    let k = shap.n_outputs();
    let d = shap.n_features();
    let mut out = Table::new();
    // The 0-based input row (as `cartera silhouette --out`) lets a reader join the lines back to
    // the input without counting them (`k` lines per input row for multiclass).
    out.push_column(
        "row",
        Column::Numeric((0..n * k).map(|i| (i / k) as f64).collect()),
    )?;
    if k > 1 {
        let codes: Vec<u32> = (0..n * k).map(|i| (i % k) as u32).collect();
        out.push_column(
            "class",
            Column::Categorical(cartera_preprocess::CategoricalColumn::from_codes(
                codes,
                classes.clone(),
            )),
        )?;
    }
    // Row-major over (row, class): row i's classes are adjacent, as LightGBM lays them out.
    let value = |i: usize, j: usize| shap.values[[i / k, i % k, j]];
    for (j, name) in shap.feature_names.iter().enumerate() {
        out.push_column(
            name,
            Column::Numeric((0..n * k).map(|i| value(i, j)).collect()),
        )?;
    }
    out.push_column(
        "expected_value",
        Column::Numeric((0..n * k).map(|i| value(i, d)).collect()),
    )?;
    super::write_table(&out, &a.out)?;

    if let Some(target) = &a.json {
        let imp = importance(&shap);
        let per_class: Vec<_> = imp
            .per_output
            .iter()
            .map(|o| {
                json!({
                    "class": classes.get(o.output).cloned().unwrap_or_else(|| o.output.to_string()),
                    "expected_value": o.expected_value,
                    "features": o.features,
                })
            })
            .collect();
        super::write_json(
            target,
            &json!({
                "rows": n,
                "features": imp.overall,
                "per_class": per_class,
                "algorithm": format!("{:?}", explainer.algorithm()),
                "read_seconds": read_seconds,
                "explain_seconds": explain_seconds,
            }),
        )?;
    }
    Ok(())
}
