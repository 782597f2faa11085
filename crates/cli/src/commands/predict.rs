//! `cartera predict`: score a CSV with a model file written by `cartera train`.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::Result;
use cartera_preprocess::{CategoricalColumn, Column};
use serde_json::json;

use cartera_study::model_file::ModelFile;

/// Flags of `cartera predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model file written by `cartera train`.
    model: PathBuf,
    /// CSV to score; it must have the model's input columns (others pass through).
    input: PathBuf,
    /// Write the input rows plus `score` (probability of the positive class; for more than two
    /// classes, the probability of the predicted class), one `proba_<class>` column per class
    /// when there are more than two, and `predicted` (the class label). Columns of those names
    /// in the input (an earlier run's) are replaced, with a note on stderr. `-` for stdout.
    #[arg(long, value_name = "SCORES.csv")]
    out: PathBuf,
    /// Write timings and counts as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Categories of a one-hot encoded column that the model was not trained on: `error` (the
    /// default: the file is refused, naming column, row and value) or `ignore` (all of the
    /// column's indicators 0, scikit-learn's `handle_unknown='ignore'`). Native-categorical
    /// models score them as missing values either way, with a note.
    #[arg(long, value_enum, default_value = "error")]
    unknown_categories: super::prep::Unknown,
    /// Prefix of the columns written: `--prefix loan` writes `loan_score`, `loan_predicted`
    /// (and `loan_proba_<class>`), so that a second model's scores join the first's in the same
    /// file (for `cartera offers`) instead of replacing them.
    #[arg(long, value_name = "NAME")]
    prefix: Option<String>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(Some(&a.out), a.json.as_deref())?;
    let model = ModelFile::load(&a.model)?.with_unknown_categories(a.unknown_categories.policy());
    // The file is read with the types of the table the model was trained on, so that a few
    // rows (one customer) are read as that table was.
    let opts = a
        .csv
        .options()?
        .column_types_unless_set(model.pipeline.input_types());
    let t0 = Instant::now();
    let mut table = super::read_table(&a.input, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();
    let inputs: Vec<&str> = model.input_columns.iter().map(String::as_str).collect();
    super::check_finite(&table, &inputs, true, 0)?;
    let t1 = Instant::now();
    let x = model
        .features(&table)
        .map_err(|e| super::explain_type(e, &table))?;
    let prep_seconds = t1.elapsed().as_secs_f64();
    for note in model.unseen_code_notes(&table, &x) {
        eprintln!("{note}");
    }
    let t2 = Instant::now();
    let proba = model.predict_proba(&x)?;
    let predict_seconds = t2.elapsed().as_secs_f64();

    let k = model.classes.len();
    let predicted: Vec<u32> = proba
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |b, (i, &p)| if p > b.1 { (i, p) } else { b },
                )
                .0 as u32
        })
        .collect();
    let score: Vec<f64> = if k == 2 {
        proba.column(1).to_vec()
    } else {
        predicted
            .iter()
            .zip(proba.rows())
            .map(|(&c, r)| r[c as usize])
            .collect()
    };
    // Scoring an already scored file (an earlier run's output) replaces that run's columns,
    // as `cartera kmeans` replaces `cluster`: the new ones are written at the end.
    let name = |base: &str| match &a.prefix {
        Some(p) => format!("{p}_{base}"),
        None => base.to_string(),
    };
    let (score_name, predicted_name) = (name("score"), name("predicted"));
    let probas: Vec<String> = model
        .classes
        .iter()
        .map(|c| name(&format!("proba_{c}")))
        .collect();
    let mut written = vec![score_name.as_str(), predicted_name.as_str()];
    if k > 2 {
        written.extend(probas.iter().map(String::as_str));
    }
    let (rest, earlier) = super::drop_earlier_output(table, &written)?;
    table = rest;
    if !earlier.is_empty() {
        eprintln!(
            "note: the input's {} column{} replaced by this model's in --out",
            earlier
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if earlier.len() == 1 { " is" } else { "s are" }
        );
    }
    table.push_column(&score_name, Column::Numeric(score))?;
    if k > 2 {
        for (c, name) in probas.iter().enumerate() {
            table.push_column(name, Column::Numeric(proba.column(c).to_vec()))?;
        }
    }
    table.push_column(
        &predicted_name,
        Column::Categorical(CategoricalColumn::from_codes(
            predicted,
            model.classes.clone(),
        )),
    )?;
    let t3 = Instant::now();
    super::write_table(&table, &a.out)?;
    let write_seconds = t3.elapsed().as_secs_f64();
    if let Some(target) = &a.json {
        super::write_json(
            target,
            &json!({
                "model": model.kind(),
                "target": model.target,
                "classes": model.classes,
                "rows": table.n_rows(),
                "read_seconds": read_seconds,
                "prep_seconds": prep_seconds,
                "predict_seconds": predict_seconds,
                "write_seconds": write_seconds,
            }),
        )?;
    }
    Ok(())
}
