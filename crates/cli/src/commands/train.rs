//! `cartera train`: fit a logistic regression or a GBDT on a CSV, report held-out metrics and
//! save a model file that `cartera predict` applies to next month's CSV.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_gbdt::{GbdtParams, Objective};
use cartera_logistic::{ClassWeight, LogisticRegressionParams, Penalty};
use cartera_preprocess::encode::UnknownCategory;
use cartera_preprocess::pipeline::PrepConfig;
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::split::stratified_split;
use cartera_preprocess::{Column, ColumnType, Table};
use cartera_scoring::metrics::{self, ClassificationReport};
use clap::ValueEnum;
use ndarray::{Array1, Array2};
use serde_json::{Map, Value, json};

use cartera_study::model_file::{Estimator, FORMAT, ModelFile, VERSION};

/// `--model` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// L2-penalised logistic regression (L-BFGS); multinomial for more than two classes.
    Logistic,
    /// Histogram gradient-boosted trees (LightGBM's method).
    Gbdt,
}

/// `--categorical` choices: how categorical feature columns reach the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CategoricalArg {
    /// One 0/1 column per category (any model).
    Onehot,
    /// One column of category codes, split by the GBDT as categories (LightGBM's method;
    /// `--model gbdt` only).
    Native,
}

/// `--class-weight` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassWeightArg {
    /// Every row weighs 1.
    None,
    /// Weights inversely proportional to class frequencies (as scikit-learn's "balanced").
    Balanced,
}

/// Flags of `cartera train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input CSV with a header row.
    input: PathBuf,
    /// The column to predict (numeric 0/1, any two or more values, or categories).
    #[arg(long)]
    target: String,
    /// For a two-class target, the class whose probability is the `score` (and whose AUC,
    /// precision and recall lead the metrics): default the last in sorted order (`1` of 0/1,
    /// `Yes` of No/Yes). E.g. `--positive-class bad` to score the risk of a bad credit.
    #[arg(long, value_name = "CLASS", visible_alias = "positive")]
    positive_class: Option<String>,
    /// A numeric column of sample weights (finite, >= 0, not all zero; not a feature): each
    /// training row counts that many times in the fit, as scikit-learn's and LightGBM's
    /// `sample_weight`. The validation metrics stay unweighted.
    #[arg(long, value_name = "COL")]
    weight_column: Option<String>,
    /// Which model to fit.
    #[arg(long, value_enum)]
    model: ModelKind,
    /// Feature columns (comma-separated; default: every numeric and categorical column except
    /// the target, text columns and identifier columns such as an IMEI or a row number).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Fill missing numeric values (default: mean for logistic; none for gbdt, whose splits
    /// learn where missing values go).
    #[arg(long, value_enum)]
    impute: Option<super::prep::Impute>,
    /// Scale the numeric features before fitting (saved with the model).
    #[arg(long, value_enum)]
    scale: Option<super::ScaleArg>,
    /// Share of rows held out (stratified) for the metrics and early stopping; 0 trains on
    /// every row and reports training metrics.
    #[arg(long, default_value_t = 0.2)]
    valid_fraction: f64,
    /// Seed of the split, bagging and feature sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where to save the model file.
    #[arg(long, value_name = "MODEL.json")]
    out: PathBuf,
    /// Write the metrics as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,

    /// Logistic: inverse L2 strength, as scikit-learn's `C`.
    #[arg(long, default_value_t = 1.0, help_heading = LOGISTIC_HEADING)]
    c: f64,
    /// Logistic: fit without penalty (as `penalty=None`).
    #[arg(long, help_heading = LOGISTIC_HEADING)]
    no_penalty: bool,
    /// Logistic: class weights.
    #[arg(
        long,
        value_enum,
        default_value = "none",
        help_heading = LOGISTIC_HEADING
    )]
    class_weight: ClassWeightArg,
    /// Logistic: L-BFGS iterations.
    #[arg(long, default_value_t = 100, help_heading = LOGISTIC_HEADING)]
    max_iter: usize,
    /// Logistic: stop when the largest gradient entry is below this.
    #[arg(long, default_value_t = 1e-4, help_heading = LOGISTIC_HEADING)]
    tol: f64,

    /// GBDT: leaves per tree.
    #[arg(long, default_value_t = 31, help_heading = GBDT_HEADING)]
    num_leaves: usize,
    /// GBDT: shrinkage of each tree.
    #[arg(long, default_value_t = 0.1, help_heading = GBDT_HEADING)]
    learning_rate: f64,
    /// GBDT: boosting rounds.
    #[arg(long, default_value_t = 200, help_heading = GBDT_HEADING)]
    n_estimators: usize,
    /// GBDT: histogram bins per feature.
    #[arg(long, default_value_t = 255, help_heading = GBDT_HEADING)]
    max_bin: usize,
    /// GBDT: stop when the validation metric has not improved for this many rounds (needs a
    /// validation part; `--model gbdt` only).
    #[arg(long, help_heading = GBDT_HEADING)]
    early_stopping: Option<usize>,
    /// GBDT: minimum rows per leaf.
    #[arg(long, default_value_t = 20, help_heading = GBDT_HEADING)]
    min_data_in_leaf: usize,
    /// GBDT: maximum depth (-1: none).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true, help_heading = GBDT_HEADING)]
    max_depth: i32,
    /// GBDT: L2 penalty on leaf values.
    #[arg(long, default_value_t = 0.0, help_heading = GBDT_HEADING)]
    lambda_l2: f64,
    /// GBDT: share of features sampled per tree.
    #[arg(long, default_value_t = 1.0, help_heading = GBDT_HEADING)]
    feature_fraction: f64,
    /// GBDT: share of rows sampled every `--bagging-freq` rounds.
    #[arg(long, default_value_t = 1.0, help_heading = GBDT_HEADING)]
    bagging_fraction: f64,
    /// GBDT: resample rows every this many rounds (0: no bagging).
    #[arg(long, default_value_t = 0, help_heading = GBDT_HEADING)]
    bagging_freq: usize,
    /// GBDT: sum gradients quantized to a few integer levels, rounded stochastically
    /// (LightGBM's use_quantized_grad), with leaf values from the true gradients
    /// (quant_train_renew_leaf): a faster fit, slightly different trees.
    #[arg(long, help_heading = GBDT_HEADING)]
    quantized_grad: bool,
    /// GBDT: weight of the positive class's rows (two-class targets; the positive class is
    /// `--positive-class`, by default the last in sorted order), as LightGBM's
    /// `scale_pos_weight`: e.g. negatives / positives for a rare churn class.
    #[arg(
        long,
        default_value_t = 1.0,
        allow_negative_numbers = true,
        help_heading = GBDT_HEADING
    )]
    scale_pos_weight: f64,
    /// GBDT: levels of quantized gradients (2-127; needs `--quantized-grad`).
    #[arg(long, default_value_t = 4, requires = "quantized_grad", help_heading = GBDT_HEADING)]
    grad_quant_bins: usize,

    /// Categorical feature columns: one-hot encoded, or (`native`, GBDT only) kept as category
    /// codes the trees split by category sets.
    #[arg(long, value_enum, default_value_t = CategoricalArg::Onehot)]
    categorical: CategoricalArg,

    /// GBDT: rows sampled (uniformly, seeded) to find the bin boundaries, as LightGBM's
    /// `bin_construct_sample_cnt`.
    #[arg(
        long,
        default_value_t = 200_000,
        help_heading = GBDT_HEADING
    )]
    bin_sample_rows: usize,
    /// GBDT: stream the file in chunks of N rows instead of reading it whole, for files larger
    /// than memory: bins from a sample, then every row binned to one byte per feature (numeric
    /// features only; the validation part is a seeded random share of rows, not stratified).
    #[arg(long, value_name = "N", help_heading = GBDT_HEADING)]
    chunk_rows: Option<usize>,

    #[command(flatten)]
    csv: super::CsvArgs,
}

pub mod stream;
pub mod summary;
pub mod unseen;

/// With `--positive-class`, puts that class last among the two (index 1, the one `score` and
/// the AUC are about). Returns whether the two classes swapped, so that class indices `y`
/// become `1 - y`.
pub fn positive_last(classes: &mut [String], positive: Option<&str>, target: &str) -> Result<bool> {
    let Some(positive) = positive else {
        return Ok(false);
    };
    let Some(at) = classes.iter().position(|c| c == positive) else {
        return Err(Error::invalid_param(
            "--positive-class",
            positive,
            format!(
                "is not a class of `{target}` (its classes: {})",
                classes.join(", ")
            ),
        ));
    };
    if classes.len() != 2 {
        return Err(Error::invalid_param(
            "--positive-class",
            positive,
            format!(
                "applies to a two-class target; `{target}` has {} classes, each with its own \
                 proba_<class> column",
                classes.len()
            ),
        ));
    }
    if at == 0 {
        classes.swap(0, 1);
    }
    Ok(at == 0)
}

/// Class indices of the target and the class names, sorted (numbers numerically, text
/// alphabetically). A missing target value is an error naming its row.
pub fn encode_target(table: &Table, name: &str) -> Result<(Vec<usize>, Vec<String>)> {
    let col = table.column(name)?;
    if let Some(i) = (0..col.len()).find(|&i| col.is_missing(i)) {
        return Err(Error::invalid_param(
            "--target",
            name,
            format!(
                "row {} has no value: drop or fill rows without a target",
                i + 1
            ),
        ));
    }
    match col {
        Column::Numeric(v) => {
            let mut distinct = v.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            if distinct.len() > 1_000 {
                return Err(Error::invalid_param(
                    "--target",
                    name,
                    format!(
                        "has {} distinct values: a class label is expected",
                        distinct.len()
                    ),
                ));
            }
            let idx = v
                .iter()
                .map(|x| distinct.partition_point(|d| d < x))
                .collect();
            let names = (0..distinct.len())
                .map(|i| {
                    let row = v.iter().position(|x| *x == distinct[i]).unwrap_or(0);
                    col.get_string(row).unwrap_or_default()
                })
                .collect();
            Ok((idx, names))
        }
        Column::Categorical(c) => {
            let levels = c.levels();
            let mut order: Vec<usize> = (0..levels.len()).collect();
            order.sort_by(|&a, &b| levels[a].cmp(&levels[b]));
            let mut rank = vec![0usize; levels.len()];
            for (r, &l) in order.iter().enumerate() {
                rank[l] = r;
            }
            // Levels that never occur would become empty classes: keep only the used ones.
            let used = c.used_levels();
            let kept: Vec<usize> = order.iter().copied().filter(|&l| used[l]).collect();
            let mut new_index = vec![0usize; levels.len()];
            for (i, &l) in kept.iter().enumerate() {
                new_index[l] = i;
            }
            let idx = c
                .codes()
                .iter()
                .map(|&code| new_index[code as usize])
                .collect();
            Ok((idx, kept.iter().map(|&l| levels[l].clone()).collect()))
        }
        Column::Text(_) => Err(Error::ColumnType {
            name: name.to_string(),
            expected: "numeric or categorical (a class label)".into(),
            found: "text".into(),
        }),
    }
}

/// The input columns: the user's list (checked) or every numeric and categorical column but
/// the target.
fn input_columns(
    table: &Table,
    target: &str,
    columns: &Option<Vec<String>>,
    weight: Option<&str>,
) -> Result<Vec<String>> {
    let names: Vec<String> = match columns {
        Some(c) => {
            for n in c {
                if n == target {
                    return Err(Error::invalid_param("--columns", n, "is the target column"));
                }
                if Some(n.as_str()) == weight {
                    return Err(Error::invalid_param(
                        "--columns",
                        n,
                        "is the --weight-column (weights are not a feature)",
                    ));
                }
                if table.column_type(n)? == ColumnType::Text {
                    return Err(Error::ColumnType {
                        name: n.clone(),
                        expected: "numeric or categorical".into(),
                        found: "text".into(),
                    });
                }
            }
            c.clone()
        }
        None => {
            // Identifier columns (an IMEI, a row number) would let a model memorise customers:
            // leave them out unless named with --columns.
            let ids = super::id_column_names(table);
            table
                .names()
                .iter()
                .zip(table.columns())
                .filter(|(n, c)| {
                    n.as_str() != target
                        && Some(n.as_str()) != weight
                        && c.column_type() != ColumnType::Text
                        && !ids.contains(n)
                })
                .map(|(n, _)| n.clone())
                .collect()
        }
    };
    if names.is_empty() {
        return Err(Error::empty("set of feature columns"));
    }
    Ok(names)
}

/// The `--weight-column`: numeric, every value finite and `>= 0`, not all zero (the error
/// names the first bad data row, 1-based as the file's lines after the header), and not the
/// target.
fn weight_column(table: &Table, name: &str, target: &str) -> Result<Vec<f64>> {
    if name == target {
        return Err(Error::invalid_param(
            "--weight-column",
            name,
            "is the target column",
        ));
    }
    let cartera_preprocess::Column::Numeric(v) = table.column(name)? else {
        return Err(Error::invalid_param(
            "--weight-column",
            name,
            format!(
                "holds values that are not numbers: sample weights must be numbers (`--type \
                 {name}=numeric` names the first value that is not one)"
            ),
        ));
    };
    if let Some(i) = v.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(Error::invalid_param(
            "--weight-column",
            name,
            format!(
                "data row {} (line {} of the file) holds {}: weights must be finite and >= 0 \
                 (a missing weight too)",
                i + 1,
                i + 2,
                v[i]
            ),
        ));
    }
    if v.iter().all(|w| *w == 0.0) {
        return Err(Error::invalid_param(
            "--weight-column",
            name,
            "every weight is 0",
        ));
    }
    Ok(v.to_vec())
}

/// Every class needs some weight among the training rows: a class whose rows all weigh 0
/// would be fitted as absent (a logistic fit "converges" with an intercept far out, a GBDT
/// grows no tree), silently. The error names the class and the column.
fn check_class_weights(w: &Array1<f64>, y: &[usize], classes: &[String], name: &str) -> Result<()> {
    let mut total = vec![0.0f64; classes.len()];
    for (&c, &wi) in y.iter().zip(w) {
        total[c] += wi;
    }
    match total.iter().position(|&t| t <= 0.0) {
        Some(c) => Err(Error::invalid_param(
            "--weight-column",
            name,
            format!(
                "every training row of class `{}` weighs 0, so the model cannot learn it",
                classes[c]
            ),
        )),
        None => Ok(()),
    }
}

/// Held-out (or training) metrics of class probabilities against class indices.
fn metrics_json(
    y: &[usize],
    proba: &Array2<f64>,
    classes: &[String],
) -> Result<Map<String, Value>> {
    let pred: Vec<usize> = proba
        .rows()
        .into_iter()
        .map(|r| {
            // Ties go to the lower class index, as numpy's argmax.
            r.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (i, &p)| {
                    if p > best.1 { (i, p) } else { best }
                })
                .0
        })
        .collect();
    let report = ClassificationReport::new(y, &pred, classes.len())?;
    let mut m = Map::new();
    if classes.len() == 2 {
        let truth: Vec<bool> = y.iter().map(|&c| c == 1).collect();
        let score: Vec<f64> = proba.column(1).to_vec();
        m.insert("auc".into(), json!(metrics::roc_auc(&truth, &score)?));
    }
    m.insert("accuracy".into(), json!(metrics::accuracy(y, &pred)?));
    m.insert(
        "log_loss".into(),
        json!(metrics::log_loss(y, proba.view())?),
    );
    let per = |f: &dyn Fn(usize) -> f64| -> Value {
        Value::Object(
            classes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), json!(f(i))))
                .collect(),
        )
    };
    m.insert("precision".into(), per(&|i| report.per_class[i].precision));
    m.insert("recall".into(), per(&|i| report.per_class[i].recall));
    m.insert("f1".into(), per(&|i| report.per_class[i].f1));
    m.insert(
        "support".into(),
        per(&|i| report.per_class[i].support as f64),
    );
    m.insert("confusion".into(), json!(report.confusion));
    Ok(m)
}

/// The GBDT parameters the flags ask for.
fn gbdt_params(a: &Args, objective: Objective, feature_names: Vec<String>) -> GbdtParams {
    GbdtParams::new()
        .objective(objective)
        .num_leaves(a.num_leaves)
        .learning_rate(a.learning_rate)
        .n_estimators(a.n_estimators)
        .max_bin(a.max_bin)
        .early_stopping_rounds(a.early_stopping)
        .min_data_in_leaf(a.min_data_in_leaf)
        .max_depth(a.max_depth)
        .lambda_l2(a.lambda_l2)
        .feature_fraction(a.feature_fraction)
        .bagging_fraction(a.bagging_fraction)
        .bagging_freq(a.bagging_freq)
        .use_quantized_grad(a.quantized_grad)
        .quant_train_renew_leaf(a.quantized_grad)
        .num_grad_quant_bins(a.grad_quant_bins)
        .bin_construct_sample_cnt(a.bin_sample_rows)
        .scale_pos_weight(a.scale_pos_weight)
        .seed(a.seed)
        .feature_names(Some(feature_names))
}

/// The help headings of the flags that belong to one model: `cartera train --help` groups
/// them under these, and the check below reads the same headings, so a new model-specific
/// flag is covered by giving it its heading.
const LOGISTIC_HEADING: &str = "Logistic regression";
const GBDT_HEADING: &str = "Gradient-boosted trees";

/// Rejects flags given on the command line that only the other model reads (`--num-leaves`
/// with `--model logistic`, `--c` with `--model gbdt`): they would be silently ignored, and a
/// user who sets one expects it to change the fit. `cmd` is the `train` subcommand's
/// definition, `m` its parsed matches and `a` the parsed flags; flags left at their defaults are not "given".
pub fn check_model_flags(cmd: &clap::Command, m: &clap::ArgMatches, a: &Args) -> Result<()> {
    let (this, other_model, other) = match a.model {
        ModelKind::Logistic => ("logistic", "gbdt", GBDT_HEADING),
        ModelKind::Gbdt => ("gbdt", "logistic", LOGISTIC_HEADING),
    };
    let given: Vec<String> = cmd
        .get_arguments()
        .filter(|arg| arg.get_help_heading() == Some(other))
        .filter(|arg| {
            m.value_source(arg.get_id().as_str()) == Some(clap::parser::ValueSource::CommandLine)
        })
        .map(|arg| format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str())))
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(Error::invalid_param(
        "--model",
        this,
        format!(
            "{} appl{} to --model {other_model} only and would be ignored; drop {} or \
             choose --model {other_model}",
            given.join(", "),
            if given.len() == 1 { "ies" } else { "y" },
            if given.len() == 1 { "it" } else { "them" },
        ),
    ))
}

/// `--scale-pos-weight` weighs the positive class of a two-class target; with more classes
/// the library would ignore it (as LightGBM's multiclass objective does), so it is an error.
pub fn check_scale_pos_weight(a: &Args, n_classes: usize) -> Result<()> {
    if n_classes > 2 && a.scale_pos_weight != 1.0 {
        return Err(Error::invalid_param(
            "--scale-pos-weight",
            a.scale_pos_weight,
            format!(
                "weighs the positive class of a two-class target, and `{}` has {n_classes} \
                 classes (use --weight-column to weigh rows)",
                a.target
            ),
        ));
    }
    Ok(())
}

/// The objective for `n_classes` classes.
fn objective_for(n_classes: usize) -> Objective {
    if n_classes == 2 {
        Objective::Binary { sigmoid: 1.0 }
    } else {
        Objective::Multiclass { n_classes }
    }
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    if !(a.no_penalty || a.c.is_finite() && a.c > 0.0) {
        return Err(Error::invalid_param(
            "--c",
            a.c,
            "must be finite and > 0 (use --no-penalty for no penalty)",
        ));
    }
    if super::is_stdout(&a.out) {
        return Err(Error::invalid_param(
            "--out",
            "-",
            "the model file needs a path, for `predict` to read it back",
        ));
    }
    super::check_outputs(Some(&a.out), a.json.as_deref())?;
    if !(0.0..1.0).contains(&a.valid_fraction) {
        return Err(Error::invalid_param(
            "--valid-fraction",
            a.valid_fraction,
            "must be in [0, 1)",
        ));
    }
    if a.early_stopping.is_some() && a.valid_fraction == 0.0 {
        return Err(Error::invalid_param(
            "--early-stopping",
            a.early_stopping.unwrap_or(0),
            "needs a validation part: set --valid-fraction above 0",
        ));
    }
    if let Some(chunk_rows) = a.chunk_rows {
        if a.categorical == CategoricalArg::Native {
            return Err(Error::invalid_param(
                "--categorical",
                "native",
                "--chunk-rows trains on numeric columns only; drop one of the two flags",
            ));
        }
        if let Some(w) = &a.weight_column {
            return Err(Error::invalid_param(
                "--weight-column",
                w,
                "--chunk-rows trains without sample weights; drop one of the two flags",
            ));
        }
        return stream::run(&a, chunk_rows);
    }
    let opts = a.csv.options()?;
    let t0 = Instant::now();
    let table = super::read_table(&a.input, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();

    let (mut y_all, mut classes) = encode_target(&table, &a.target)?;
    if classes.len() < 2 {
        return Err(Error::TooFewSamples {
            what: format!("classes in target `{}`", a.target),
            needed: 2,
            found: classes.len(),
        });
    }
    // A target of many distinct values is more likely a quantity than a label (tenure in
    // months): it is trained as asked, but said, since each class then gets its own trees or
    // coefficients and probability column.
    if classes.len() > 20 {
        eprintln!(
            "note: `{}` has {} distinct values, trained as a {}-class problem (one probability \
             column per class in predict); a quantity to forecast is not a class label",
            a.target,
            classes.len(),
            classes.len()
        );
    }
    check_scale_pos_weight(&a, classes.len())?;
    let swapped = positive_last(&mut classes, a.positive_class.as_deref(), &a.target)?;
    let weights_all = match &a.weight_column {
        Some(w) => Some(weight_column(&table, w, &a.target)?),
        None => None,
    };
    let inputs = input_columns(&table, &a.target, &a.columns, a.weight_column.as_deref())?;
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    super::check_finite(&table, &refs, true, 0)?;
    let features_table = table.select(&refs)?;

    let t1 = Instant::now();
    let split = stratified_split(&y_all, a.valid_fraction, a.seed)?;
    // The split is drawn on the sorted classes' indices, so that choosing the positive class
    // does not change which rows train and which validate; the indices follow it after.
    if swapped {
        y_all.iter_mut().for_each(|y| *y = 1 - *y);
    }
    // The preprocessing is fitted on the training rows only, so the validation metrics see
    // the same treatment next month's file will.
    let train_table = features_table.take_rows(&split.train)?;
    let has_categorical = inputs
        .iter()
        .any(|n| features_table.column_type(n).ok() == Some(ColumnType::Categorical));
    let native = a.categorical == CategoricalArg::Native;
    if native && a.model != ModelKind::Gbdt {
        return Err(Error::invalid_param(
            "--categorical",
            "native",
            "native categorical splits need --model gbdt (a linear model needs one-hot columns)",
        ));
    }
    let mut config = PrepConfig::new()
        .one_hot(has_categorical && !native)
        .codes(has_categorical && native);
    if let Some(i) = imputer(&a) {
        config = config.impute(i.into());
    }
    if let Some(s) = a.scale {
        config = config.scale(ScalerKind::from(s));
    }
    let (pipeline, prepared_train, _) = config.fit(&train_table)?;
    let feature_names = prepared_train.names().to_vec();
    let fnames: Vec<&str> = feature_names.iter().map(String::as_str).collect();
    let x_train = prepared_train.to_array::<f64>(&fnames)?;
    let y_train: Vec<usize> = split.train.iter().map(|&i| y_all[i]).collect();
    let w_train: Option<Array1<f64>> = weights_all
        .as_ref()
        .map(|w| split.train.iter().map(|&i| w[i]).collect());
    if let (Some(w), Some(name)) = (&w_train, &a.weight_column) {
        check_class_weights(w, &y_train, &classes, name)?;
    }
    let (x_valid, y_valid) = if split.valid.is_empty() {
        (None, Vec::new())
    } else {
        let valid_table = features_table.take_rows(&split.valid)?;
        let unseen = unseen::unseen_categories(
            &train_table,
            &valid_table,
            &split.valid,
            pipeline.categorical_features(),
        )?;
        for u in &unseen {
            eprintln!("{}", u.note());
        }
        // The saved pipeline rejects unknown categories, so that `predict` keeps refusing
        // them in next month's file. The validation rows come from the user's own file and
        // must be scored: encode them with the same fitted steps, told to ignore an unknown
        // category. Category codes (`--categorical native`) already ignore them.
        let prepared = if unseen.is_empty() || native {
            pipeline.transform(&valid_table)?.0
        } else {
            pipeline
                .with_unknown_categories(UnknownCategory::Ignore)
                .transform(&valid_table)?
                .0
        };
        (
            Some(prepared.to_array::<f64>(&fnames)?),
            split.valid.iter().map(|&i| y_all[i]).collect(),
        )
    };
    let prep_seconds = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let mut extra = Map::new();
    let mut warning = None;
    let estimator = match a.model {
        ModelKind::Logistic => {
            let params = LogisticRegressionParams::new()
                .c(a.c)
                .penalty(if a.no_penalty {
                    Penalty::None
                } else {
                    Penalty::L2
                })
                .class_weight(match a.class_weight {
                    ClassWeightArg::None => ClassWeight::None,
                    ClassWeightArg::Balanced => ClassWeight::Balanced,
                })
                .max_iter(a.max_iter)
                .tol(a.tol);
            // The metrics file records the settings the coefficients come from: with C = 1 and
            // --scale they are penalised and on scaled units, which a reader must know.
            extra.insert("params".into(), json!(params));
            let y = Array1::from(y_train.clone());
            let m = match &w_train {
                Some(w) => params.fit_weighted(x_train.view(), y.view(), w.view())?,
                None => params.fit(x_train.view(), y.view())?,
            };
            extra.insert("n_iter".into(), json!(m.n_iter()));
            extra.insert("converged".into(), json!(m.converged()));
            extra.insert("grad_norm".into(), json!(m.grad_norm()));
            extra.insert("stop_reason".into(), json!(m.stop_reason().describe()));
            warning = summary::convergence_warning(&m, &a);
            Estimator::Logistic(m)
        }
        ModelKind::Gbdt => {
            let codes = pipeline.code_columns();
            let categorical: Vec<usize> = feature_names
                .iter()
                .enumerate()
                .filter(|(_, n)| codes.contains(n))
                .map(|(j, _)| j)
                .collect();
            let params = gbdt_params(&a, objective_for(classes.len()), feature_names.clone())
                .categorical_features(categorical);
            // The names are the JSON's `features` already.
            extra.insert("params".into(), json!(params.clone().feature_names(None)));
            let y = Array1::from_iter(y_train.iter().map(|&c| c as f64));
            let yv = Array1::from_iter(y_valid.iter().map(|&c| c as f64));
            let valid = x_valid.as_ref().map(|xv| (xv.view(), yv.view()));
            let m = match (&w_train, valid) {
                (Some(w), valid) => {
                    params.fit_weighted(x_train.view(), y.view(), w.view(), valid)?
                }
                (None, Some((xv, yv))) => {
                    params.fit_with_validation(x_train.view(), y.view(), xv, yv)?
                }
                (None, None) => params.fit(x_train.view(), y.view())?,
            };
            extra.insert("best_iteration".into(), json!(m.best_iteration()));
            extra.insert("n_trees".into(), json!(m.ensemble().trees.len()));
            if m.ensemble().trees.is_empty() {
                warning = Some(summary::NO_TREE_WARNING.to_string());
            }
            Estimator::Gbdt(m)
        }
    };
    let fit_seconds = t2.elapsed().as_secs_f64();

    let file = ModelFile {
        format: FORMAT.to_string(),
        version: VERSION,
        target: a.target.clone(),
        classes: classes.clone(),
        input_columns: inputs.clone(),
        feature_names: feature_names.clone(),
        pipeline,
        estimator,
    };

    let (x_eval, y_eval, on) = match &x_valid {
        Some(xv) => (xv, &y_valid, "validation"),
        None => (&x_train, &y_train, "train"),
    };
    let t3 = Instant::now();
    let proba = file.predict_proba(x_eval)?;
    let predict_seconds = t3.elapsed().as_secs_f64();
    let mut m = metrics_json(y_eval, &proba, &classes)?;

    match &file.estimator {
        Estimator::Logistic(model) => {
            let y = Array1::from(y_train.clone());
            match model.coefficient_table(
                x_train.view(),
                y.view(),
                w_train.as_ref().map(|w| w.view()),
            ) {
                Ok(table) => {
                    let table = table.with_names(&feature_names)?;
                    extra.insert("coefficients".into(), json!(table));
                }
                // A singular information matrix (collinear one-hot columns, say) leaves the
                // coefficients valid but their standard errors undefined: report why.
                Err(e) => {
                    let one_hot = !native && !file.pipeline.categorical_features().is_empty();
                    let why = singular_term_message(e, &feature_names, &classes, one_hot);
                    eprintln!("note: no coefficient table: {why}");
                    extra.insert("coefficients_error".into(), json!(why));
                }
            }
        }
        Estimator::Gbdt(model) => {
            let gain = model.feature_importance(cartera_gbdt::ImportanceType::Gain);
            let split = model.feature_importance(cartera_gbdt::ImportanceType::Split);
            let mut rows: Vec<(usize, f64)> = gain.iter().copied().enumerate().collect();
            rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let imp: Vec<Value> = rows
                .iter()
                .map(|&(j, g)| json!({"feature": feature_names[j], "gain": g, "split": split[j]}))
                .collect();
            extra.insert("feature_importance".into(), json!(imp));
        }
    }
    file.save(&a.out)?;

    let fit_detail = match &file.estimator {
        Estimator::Logistic(model) => format!("{} L-BFGS iterations", model.n_iter()),
        Estimator::Gbdt(model) => {
            let trees = format!("{} trees", model.ensemble().trees.len());
            match model.best_iteration() {
                // Early stopping was on; it stopped boosting only if the best round came
                // before the last allowed.
                Some(best) if best >= a.n_estimators => {
                    format!("{trees}, best validation round {best}, the last (no early stop)")
                }
                Some(best) => format!("{trees}, early stopping at round {best}"),
                None => trees,
            }
        }
    };
    let report = summary::Summary {
        kind: file.kind(),
        n_train: split.train.len(),
        n_valid: split.valid.len(),
        n_features: feature_names.len(),
        fit_detail,
        fit_seconds,
        metrics: &m,
    };
    for line in report.lines(&a.input.display().to_string(), &a.out.display().to_string()) {
        eprintln!("{line}");
    }
    if let Some(w) = warning {
        eprintln!("{w}");
    }

    if let Some(target) = &a.json {
        m.insert("model".into(), json!(file.kind()));
        m.insert("target".into(), json!(a.target));
        m.insert("classes".into(), json!(classes));
        m.insert("metrics_on".into(), json!(on));
        m.insert("n_train".into(), json!(split.train.len()));
        m.insert("n_valid".into(), json!(split.valid.len()));
        m.insert("features".into(), json!(feature_names));
        m.insert("prep".into(), prep_json(&a, has_categorical, native));
        m.insert("read_seconds".into(), json!(read_seconds));
        m.insert("prep_seconds".into(), json!(prep_seconds));
        m.insert("fit_seconds".into(), json!(fit_seconds));
        m.insert("predict_seconds".into(), json!(predict_seconds));
        m.extend(extra);
        super::write_json(target, &Value::Object(m))?;
    }
    Ok(())
}

/// The imputer the fit's preprocessing uses: `--impute`, else the mean for a logistic fit
/// (a linear model needs every value) and none for the GBDT (its splits route missing values).
fn imputer(a: &Args) -> Option<super::prep::Impute> {
    match (a.impute, a.model) {
        (Some(i), _) => Some(i),
        (None, ModelKind::Logistic) => Some(super::prep::Impute::Mean),
        (None, ModelKind::Gbdt) => None,
    }
}

/// What was done to the columns before the fit, for the metrics JSON's `prep`: the scaler
/// and imputer by their flag values (`null` when not applied; a logistic fit without
/// `--impute` fills with the mean), how categorical columns were fed (`one-hot`, `codes` or
/// `null` when there are none), the split that chose the validation rows, the positive class
/// asked for (`--positive-class`, `null` for the default), and how the CSV was read
/// (`--missing`, `--type`, `--no-header`; see [`super::CsvArgs::settings_json`]).
fn prep_json(a: &Args, has_categorical: bool, native: bool) -> Value {
    use clap::ValueEnum;
    let name = |v: Option<clap::builder::PossibleValue>| v.map(|p| p.get_name().to_string());
    let impute = imputer(a).and_then(|i| name(i.to_possible_value()));
    let categorical = match (has_categorical, native) {
        (false, _) => None,
        (true, true) => Some("codes"),
        (true, false) => Some("one-hot"),
    };
    let mut prep = json!({
        "scale": a.scale.and_then(|s| name(s.to_possible_value())),
        "impute": impute,
        "categorical": categorical,
        "valid_fraction": a.valid_fraction,
        "seed": a.seed,
        "weight_column": a.weight_column,
        "positive_class": a.positive_class,
    });
    if let (Value::Object(p), Value::Object(read)) = (&mut prep, a.csv.settings_json()) {
        p.extend(read);
    }
    prep
}

/// The coefficient table's error in the user's terms: the library names the term where the
/// information matrix is singular by its index (`x13`, `(class 2)`); this names the feature and
/// the class label, and says what usually causes it: one-hot columns collinear with the
/// intercept when the model has some (`one_hot`), else a constant or duplicated column or
/// classes a feature separates.
fn singular_term_message(
    e: Error,
    feature_names: &[String],
    classes: &[String],
    one_hot: bool,
) -> String {
    let Error::InvalidParameter { value, reason, .. } = &e else {
        return e.to_string();
    };
    let term = value.strip_prefix("term ").unwrap_or(value);
    let (index, class) = match term.split_once(' ') {
        Some((t, rest)) => {
            let label = rest
                .strip_prefix("(class ")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| classes.get(i));
            match label {
                Some(l) => (t, format!(" (class `{l}`)")),
                None => (t, format!(" {rest}")),
            }
        }
        None => (term, String::new()),
    };
    let name = match index
        .strip_prefix('x')
        .and_then(|i| i.parse::<usize>().ok())
    {
        Some(j) if j < feature_names.len() => format!("`{}`", feature_names[j]),
        _ => index.to_string(),
    };
    let hint = match (reason.contains("singular"), one_hot) {
        (true, true) => {
            " (a categorical feature's one-hot columns sum to 1, collinear with the intercept: \
             without a penalty their standard errors are undefined; the default --c gives them)"
        }
        (true, false) => {
            " (look for a constant or duplicated feature, or a feature that separates the \
             classes)"
        }
        _ => "",
    };
    format!("at {name}{class}: {reason}{hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_singular_term_is_named_by_its_feature() {
        let names = ["age".to_string(), "plan_max".to_string()];
        let classes = ["a".to_string(), "b".to_string(), "c".to_string()];
        let e = Error::invalid_param("X", "term x1 (class 2)", "the matrix is singular there");
        let m = singular_term_message(e, &names, &classes, true);
        assert!(
            m.starts_with("at `plan_max` (class `c`): the matrix is singular there (a categorical"),
            "{m}"
        );
        let e = Error::invalid_param("X", "term x0", "the matrix is singular there");
        let m = singular_term_message(e, &names, &classes, false);
        assert!(
            m.contains("(look for a constant or duplicated feature"),
            "{m}"
        );
        let e = Error::invalid_param("X", "term x7", "other");
        assert_eq!(
            singular_term_message(e, &names, &classes, true),
            "at x7: other"
        );
    }

    #[test]
    fn target_classes_are_sorted() {
        let t = Table::from_columns(vec![(
            "y".into(),
            Column::Numeric(vec![1.0, 0.0, 1.0, 2.0]),
        )])
        .unwrap();
        let (idx, names) = encode_target(&t, "y").unwrap();
        assert_eq!(idx, vec![1, 0, 1, 2]);
        assert_eq!(names, vec!["0", "1", "2"]);
        let t = Table::from_columns(vec![(
            "y".into(),
            Column::Categorical(cartera_preprocess::CategoricalColumn::from_options(&[
                Some("Yes"),
                Some("No"),
                Some("No"),
            ])),
        )])
        .unwrap();
        let (idx, names) = encode_target(&t, "y").unwrap();
        assert_eq!(names, vec!["No", "Yes"]);
        assert_eq!(idx, vec![1, 0, 0]);
        let t =
            Table::from_columns(vec![("y".into(), Column::Numeric(vec![1.0, f64::NAN]))]).unwrap();
        let e = encode_target(&t, "y").unwrap_err().to_string();
        assert!(e.contains("row 2"), "{e}");
    }
}
