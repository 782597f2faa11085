//! `cartera train --model gbdt --chunk-rows N`: GBDT on a CSV larger than memory.
//!
//! Passes over the file (each holds one chunk of text in memory at a time):
//! 1. the classes of the target, the train/validation split, and the bin-construction sample
//!    of the training rows ([`cartera_gbdt::BinSampler`]: `--bin-sample-rows` rows, seeded
//!    reservoir; missing values and ±inf noted);
//! 2. every row binned to one byte per used feature ([`cartera_gbdt::BinnedDataset`]), training
//!    and validation rows apart, then the boosting on the binned matrix;
//! 3. the metrics: class probabilities of the validation rows (or, without a validation part,
//!    the training rows) predicted on their raw values, chunk by chunk.
//!
//! Differences from the in-memory command, all stated in `--help`: numeric features only (a
//! categorical column in the default feature set is left out and listed; named with
//! `--columns` it is an error), no `--impute`/`--scale` (trees need neither), and the
//! validation part is a seeded Bernoulli draw per row (blocks of 65,536 rows, one RNG stream
//! each), not a stratified split. Everything depends on the file, the flags and the seed only,
//! never on `--chunk-rows` or the thread count.

use std::collections::BTreeMap;
use std::time::Instant;

use cartera_core::{CarteraRng, Error, Result};
use cartera_gbdt::{BinSampler, BinnedDataset};
use cartera_preprocess::pipeline::PrepConfig;
use cartera_preprocess::table::CsvChunks;
use cartera_preprocess::{Column, ColumnType, Table};

use super::super::kmeans::stream::probe;
use ndarray::{Array1, Array2, Axis};
use serde_json::{Value, json};

use super::{Args, ModelKind, gbdt_params, metrics_json, objective_for};
use cartera_study::model_file::{Estimator, FORMAT, ModelFile, VERSION};

/// Rows per block of the validation draw (one RNG stream per block).
const SPLIT_BLOCK: u64 = 65_536;
/// Salt keeping the split's streams apart from the model's.
const SPLIT_SALT: u64 = 0x5B11_7C0D;
/// Most distinct values a numeric target may take.
const MAX_CLASSES: usize = 1_000;

/// Which rows are held out: a Bernoulli draw per row, in file order.
struct Splitter {
    seed: u64,
    fraction: f64,
    row: u64,
    rng: CarteraRng,
}

impl Splitter {
    fn new(seed: u64, fraction: f64) -> Self {
        Splitter {
            seed,
            fraction,
            row: 0,
            rng: CarteraRng::stream(seed ^ SPLIT_SALT, 0),
        }
    }

    /// Whether each of the next `n` rows is a validation row.
    fn next(&mut self, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| {
                if self.row.is_multiple_of(SPLIT_BLOCK) {
                    self.rng = CarteraRng::stream(self.seed ^ SPLIT_SALT, self.row / SPLIT_BLOCK);
                }
                self.row += 1;
                self.fraction > 0.0 && self.rng.uniform() < self.fraction
            })
            .collect()
    }
}

/// A class key: numbers compare numerically, text by its bytes.
#[derive(Debug, Clone, PartialEq)]
enum Key {
    Num(f64),
    Text(String),
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.total_cmp(b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Num(_), Key::Text(_)) => std::cmp::Ordering::Less,
            (Key::Text(_), Key::Num(_)) => std::cmp::Ordering::Greater,
        }
    }
}

/// The target values of a chunk as keys; a missing value is an error naming its data row.
fn target_keys(t: &Table, target: &str, first_row: u64) -> Result<Vec<Key>> {
    let col = t.column(target)?;
    if let Some(i) = (0..col.len()).find(|&i| col.is_missing(i)) {
        return Err(Error::invalid_param(
            "--target",
            target,
            format!(
                "data row {} has no value: drop or fill rows without a target",
                first_row + i as u64 + 1
            ),
        ));
    }
    match col {
        Column::Numeric(v) => Ok(v.iter().map(|&x| Key::Num(x)).collect()),
        Column::Categorical(_) => Ok((0..col.len())
            .map(|i| Key::Text(col.get_string(i).unwrap_or_default()))
            .collect()),
        Column::Text(_) => Err(Error::ColumnType {
            name: target.to_string(),
            expected: "numeric or categorical (a class label)".into(),
            found: "text".into(),
        }),
    }
}

/// The feature columns: the user's (numeric, checked) or every numeric column but the target
/// and identifier columns (found on the first rows). Returns them and the non-numeric columns
/// left out of the default set.
fn feature_columns(
    first: &Table,
    target: &str,
    columns: &Option<Vec<String>>,
) -> Result<(Vec<String>, Vec<String>)> {
    first.index_of(target)?;
    if let Some(c) = columns {
        for n in c {
            if n == target {
                return Err(Error::invalid_param("--columns", n, "is the target column"));
            }
            let ty = first.column_type(n)?;
            if ty != ColumnType::Numeric {
                return Err(Error::ColumnType {
                    name: n.clone(),
                    expected: "numeric (with --chunk-rows; one-hot encode it first)".into(),
                    found: ty.to_string(),
                });
            }
        }
        if c.is_empty() {
            return Err(Error::empty("set of feature columns"));
        }
        return Ok((c.clone(), Vec::new()));
    }
    let ids = super::super::id_column_names(first);
    let mut names = Vec::new();
    let mut left_out = Vec::new();
    for (n, c) in first.names().iter().zip(first.columns()) {
        if n == target || ids.contains(n) {
            continue;
        }
        match c.column_type() {
            ColumnType::Numeric => names.push(n.clone()),
            ColumnType::Categorical => left_out.push(n.clone()),
            ColumnType::Text => {}
        }
    }
    if names.is_empty() {
        return Err(Error::empty("set of numeric feature columns"));
    }
    Ok((names, left_out))
}

/// The features of a chunk (NaN = missing, which the trees route); ±inf is an error naming
/// its data row in the file (1-based) and its column.
fn features(t: &Table, names: &[String], first_row: u64) -> Result<Array2<f64>> {
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let x = t.to_array::<f64>(&refs)?;
    for (i, r) in x.rows().into_iter().enumerate() {
        if let Some((j, v)) = r.iter().enumerate().find(|(_, v)| v.is_infinite()) {
            return Err(Error::invalid_param(
                "column",
                &names[j],
                format!(
                    "data row {} holds {v}: trees take missing values, not infinities",
                    first_row + i as u64 + 1
                ),
            ));
        }
    }
    Ok(x)
}

fn rows_where(mask: &[bool], want: bool) -> Vec<usize> {
    mask.iter()
        .enumerate()
        .filter(|(_, m)| **m == want)
        .map(|(i, _)| i)
        .collect()
}

/// Run `cartera train --model gbdt` streaming (see the module docs).
pub fn run(a: &Args, chunk_rows: usize) -> Result<()> {
    if a.model != ModelKind::Gbdt {
        return Err(Error::invalid_param(
            "--chunk-rows",
            chunk_rows,
            "streaming trains --model gbdt only",
        ));
    }
    if a.impute.is_some() || a.scale.is_some() {
        return Err(Error::invalid_param(
            "--chunk-rows",
            chunk_rows,
            "streaming takes no --impute or --scale (trees route missing values and need no scaling)",
        ));
    }
    if chunk_rows == 0 {
        return Err(Error::invalid_param(
            "--chunk-rows",
            0,
            "must be at least 1",
        ));
    }
    let t0 = Instant::now();
    let (first, opts) = probe(&a.input, &a.csv.options()?, chunk_rows)?;
    let open = || CsvChunks::open(&a.input, &opts, chunk_rows);
    let (inputs, left_out) = feature_columns(&first, &a.target, &a.columns)?;
    if !left_out.is_empty() {
        eprintln!(
            "note: --chunk-rows uses numeric features only; left out: {}",
            left_out.join(",")
        );
    }
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    // No step is on: the pipeline only records and checks the input columns at predict time.
    let (pipeline, _, _) = PrepConfig::new().fit(&first.select(&refs)?)?;
    drop(first);
    // Parameters checked before reading the file (the objective is fixed after pass 1).
    let check = gbdt_params(a, objective_for(2), inputs.clone());
    check.validate()?;

    // Pass 1: classes, split, bin sample.
    let mut keys: BTreeMap<Key, String> = BTreeMap::new();
    let mut sampler = BinSampler::new(&check, inputs.len())?;
    let mut split = Splitter::new(a.seed, a.valid_fraction);
    let (mut n_train, mut n_valid, mut n_chunks) = (0usize, 0usize, 0usize);
    let mut it = open()?;
    while let Some(t) = it.next().transpose()? {
        let first_row = it.rows_read() - t.n_rows() as u64;
        let col = t.column(&a.target)?;
        for (i, k) in target_keys(&t, &a.target, first_row)?
            .into_iter()
            .enumerate()
        {
            if !keys.contains_key(&k) {
                if keys.len() == MAX_CLASSES {
                    return Err(Error::invalid_param(
                        "--target",
                        &a.target,
                        format!(
                            "has more than {MAX_CLASSES} distinct values: a class label is expected"
                        ),
                    ));
                }
                keys.insert(k, col.get_string(i).unwrap_or_default());
            }
        }
        let valid = split.next(t.n_rows());
        let train_rows = rows_where(&valid, false);
        n_train += train_rows.len();
        n_valid += valid.len() - train_rows.len();
        let x = features(&t, &inputs, first_row)?;
        sampler.push(x.select(Axis(0), &train_rows).view())?;
        n_chunks += 1;
    }
    let mut classes: Vec<String> = keys.values().cloned().collect();
    if classes.len() < 2 {
        return Err(Error::TooFewSamples {
            what: format!("classes in target `{}`", a.target),
            needed: 2,
            found: classes.len(),
        });
    }
    super::check_scale_pos_weight(a, classes.len())?;
    let swapped = super::positive_last(&mut classes, a.positive_class.as_deref(), &a.target)?;
    if n_train == 0 {
        return Err(Error::empty("training part (lower --valid-fraction)"));
    }
    let params = gbdt_params(a, objective_for(classes.len()), inputs.clone());
    let mappers = sampler.finish()?;
    let sample_seconds = t0.elapsed().as_secs_f64();

    // Pass 2: bin every row.
    let t1 = Instant::now();
    let index: BTreeMap<Key, usize> = keys
        .keys()
        .cloned()
        .enumerate()
        .map(|(i, k)| (k, if swapped { 1 - i } else { i }))
        .collect();
    let class_of = |t: &Table, first_row: u64| -> Result<Vec<usize>> {
        Ok(target_keys(t, &a.target, first_row)?
            .into_iter()
            .map(|k| index.get(&k).copied().unwrap_or(0))
            .collect())
    };
    let mut train = BinnedDataset::new(&mappers);
    let mut valid_ds = (n_valid > 0).then(|| BinnedDataset::new(&mappers));
    let mut split = Splitter::new(a.seed, a.valid_fraction);
    let mut it = open()?;
    while let Some(t) = it.next().transpose()? {
        let first_row = it.rows_read() - t.n_rows() as u64;
        let y = class_of(&t, first_row)?;
        let mask = split.next(t.n_rows());
        let x = features(&t, &inputs, first_row)?;
        for (want, ds) in [(false, Some(&mut train)), (true, valid_ds.as_mut())] {
            if let Some(ds) = ds {
                let rows = rows_where(&mask, want);
                let yr = Array1::from_iter(rows.iter().map(|&i| y[i] as f64));
                ds.push_chunk(x.select(Axis(0), &rows).view(), yr.view())?;
            }
        }
    }
    let bin_seconds = t1.elapsed().as_secs_f64();
    let bin_bytes = train.bin_bytes() + valid_ds.as_ref().map_or(0, BinnedDataset::bin_bytes);
    let t2 = Instant::now();
    let model = params.fit_binned(train, valid_ds.as_ref())?;
    let fit_seconds = t2.elapsed().as_secs_f64();
    drop(valid_ds);

    // Pass 3: metrics on raw values.
    let t3 = Instant::now();
    let on_valid = n_valid > 0;
    let k = classes.len();
    let mut proba: Vec<f64> = Vec::with_capacity(if on_valid { n_valid } else { n_train } * k);
    let mut y_eval: Vec<usize> = Vec::new();
    let mut split = Splitter::new(a.seed, a.valid_fraction);
    let mut it = open()?;
    while let Some(t) = it.next().transpose()? {
        let first_row = it.rows_read() - t.n_rows() as u64;
        let y = class_of(&t, first_row)?;
        let rows = rows_where(&split.next(t.n_rows()), on_valid);
        let x = features(&t, &inputs, first_row)?.select(Axis(0), &rows);
        proba.extend(model.predict_proba(x.view())?.iter().copied());
        y_eval.extend(rows.iter().map(|&i| y[i]));
    }
    let proba = Array2::from_shape_vec((y_eval.len(), k), proba)
        .map_err(|e| Error::invalid_param("probabilities", y_eval.len(), e.to_string()))?;
    let predict_seconds = t3.elapsed().as_secs_f64();
    let mut m = metrics_json(&y_eval, &proba, &classes)?;

    let gain = model.feature_importance(cartera_gbdt::ImportanceType::Gain);
    let splits = model.feature_importance(cartera_gbdt::ImportanceType::Split);
    let mut order: Vec<(usize, f64)> = gain.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let importance: Vec<Value> = order
        .iter()
        .map(|&(j, g)| json!({"feature": inputs[j], "gain": g, "split": splits[j]}))
        .collect();
    let best_iteration = model.best_iteration();
    let n_trees = model.ensemble().trees.len();
    let file = ModelFile {
        format: FORMAT.to_string(),
        version: VERSION,
        target: a.target.clone(),
        classes: classes.clone(),
        input_columns: inputs.clone(),
        feature_names: inputs.clone(),
        pipeline,
        estimator: Estimator::Gbdt(model),
    };
    file.save(&a.out)?;
    eprintln!(
        "{}: {} rows in {n_chunks} chunks ({n_train} train, {n_valid} valid), {n_trees} trees \
         (sample {sample_seconds:.2} s, bin {bin_seconds:.2} s, fit {fit_seconds:.2} s, \
         predict {predict_seconds:.2} s)",
        a.input.display(),
        n_train + n_valid
    );
    if n_trees == 0 {
        eprintln!("{}", super::summary::NO_TREE_WARNING);
    }
    if let Some(target) = &a.json {
        m.insert("model".into(), json!(file.kind()));
        m.insert("target".into(), json!(a.target));
        m.insert("classes".into(), json!(classes));
        m.insert(
            "metrics_on".into(),
            json!(if on_valid { "validation" } else { "train" }),
        );
        m.insert("n_train".into(), json!(n_train));
        m.insert("n_valid".into(), json!(n_valid));
        m.insert("features".into(), json!(inputs));
        m.insert("read_seconds".into(), json!(sample_seconds));
        m.insert("prep_seconds".into(), json!(bin_seconds));
        m.insert("fit_seconds".into(), json!(fit_seconds));
        m.insert("predict_seconds".into(), json!(predict_seconds));
        m.insert("best_iteration".into(), json!(best_iteration));
        m.insert("n_trees".into(), json!(n_trees));
        m.insert("feature_importance".into(), json!(importance));
        m.insert(
            "stream".into(),
            json!({
                "chunk_rows": chunk_rows,
                "chunks": n_chunks,
                "rows": n_train + n_valid,
                "bin_sample_rows": a.bin_sample_rows.min(n_train),
                "bin_bytes": bin_bytes,
                "left_out_columns": left_out,
                "split": "seeded Bernoulli per row (not stratified)",
            }),
        );
        super::super::write_json(target, &Value::Object(m))?;
    }
    Ok(())
}
