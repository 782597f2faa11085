//! LightGBM text model import (`Booster.save_model` / `model_to_string`).
//!
//! A LightGBM model file is a header of `key=value` lines, then one `Tree=i` block per tree,
//! then `end of trees` followed by feature importances and parameters (ignored here). The tree
//! arrays are stored as LightGBM writes them (struct of arrays, `!leaf` child pointers), so the
//! imported [`Ensemble`] predicts exactly as LightGBM's `predict(raw_score=True)`, missing-value
//! rules and categorical bitsets included. LightGBM folds its initial score into the first
//! trees' leaves, so the ensemble's `init_score` is zero.
//!
//! Supported: objectives `binary` (any `sigmoid:`), `cross_entropy` (imported as `binary` with
//! `sigmoid:1`, its output transform), `multiclass` (`num_class:K`) and L2 `regression`;
//! numerical and categorical splits with every missing type. Anything else
//! (another objective, linear trees, a missing type LightGBM does not define) is a typed
//! [`Error::Parse`] naming the file and the 1-based line, as are malformed numbers, arrays of
//! the wrong length and truncated files.
//!
//! ```
//! use cartera_gbdt::lightgbm::read_lightgbm_model;
//! let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
//!             max_feature_idx=0\nobjective=regression\nfeature_names=x\n\n\
//!             Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nsplit_gain=1\nthreshold=0.5\n\
//!             decision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=-1 1\n\
//!             leaf_weight=3 3\nleaf_count=3 3\ninternal_value=0\ninternal_weight=6\n\
//!             internal_count=6\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";
//! let model = read_lightgbm_model(text, "stump.txt").unwrap();
//! let mut raw = [0.0];
//! model.predict_raw_row(&[0.2], &mut raw);
//! assert_eq!(raw, [-1.0]);
//! assert!(read_lightgbm_model(&text.replace("regression", "poisson"), "p.txt").is_err());
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use cartera_core::{Error, Result};

use crate::tree::{Decision, Ensemble, MissingType, Objective, Tree};

/// Most features a LightGBM model may declare (`max_feature_idx + 1`): far beyond any
/// customer table, and low enough that the generated `Column_j` names of a file without
/// `feature_names` fit in memory.
pub const MAX_FEATURES: usize = 1 << 20;

/// Read a LightGBM model file from disk (see [`read_lightgbm_model`]).
///
/// I/O failures are [`Error::Io`] naming the path; content errors are [`Error::Parse`] naming
/// the path and line.
pub fn load_lightgbm_model(path: &Path) -> Result<Ensemble> {
    let text = read_text(path)?;
    read_lightgbm_model(&text, &path.display().to_string())
}

/// What a LightGBM model file says about its categorical inputs, for assembling rows from a
/// table whose categorical columns hold category names (or category values) rather than the
/// codes the model was trained on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LightgbmCategories {
    /// The [`pandas_categorical`] lists: for each pandas `category` column of the training
    /// frame, in column order, its categories in code order. `None` when the file has none.
    pub pandas: Option<Vec<Vec<String>>>,
    /// The [`categorical_features`] of the training parameters (0-based feature indices,
    /// ascending); empty when the model has none or the file does not list them.
    pub features: Vec<usize>,
}

/// [`load_lightgbm_model`] with the model's [`LightgbmCategories`], read from the same file.
pub fn load_lightgbm_model_with_categories(path: &Path) -> Result<(Ensemble, LightgbmCategories)> {
    let text = read_text(path)?;
    let source = path.display().to_string();
    Ok((
        read_lightgbm_model(&text, &source)?,
        LightgbmCategories {
            pandas: pandas_categorical(&text, &source)?,
            features: categorical_features(&text),
        },
    ))
}

/// The features a LightGBM model was told are categorical: the `[categorical_feature: 0,2]`
/// line of its parameters section (the indices the Python package passes for a pandas frame's
/// `category` columns, plus any named by the user). Empty when the line is absent, empty, or
/// not a list of indices (a model trained from the command line may name columns instead).
pub fn categorical_features(text: &str) -> Vec<usize> {
    let Some(list) = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("[categorical_feature:"))
        .and_then(|r| r.trim().strip_suffix(']'))
    else {
        return Vec::new();
    };
    let parsed: Option<Vec<usize>> = list
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| f.parse().ok())
        .collect();
    let mut features = parsed.unwrap_or_default();
    features.sort_unstable();
    features.dedup();
    features
}

/// The text of a model file; an I/O failure names the path.
fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
}

/// The category lists of a model LightGBM's Python package trained on a pandas `DataFrame`
/// with `category` columns: its last line `pandas_categorical:[[...], ...]` holds, for each
/// such column in column order, its categories in code order (the model was trained on the
/// codes: category `i` is the value `i`). `None` when the line is absent or `null`. Categories
/// that are numbers are returned as they print in JSON. A line that is not a JSON list of lists
/// is an [`Error::Parse`] naming `source_name` and the line.
pub fn pandas_categorical(text: &str, source_name: &str) -> Result<Option<Vec<Vec<String>>>> {
    let Some((line, rest)) = text
        .lines()
        .enumerate()
        .filter_map(|(i, l)| l.strip_prefix("pandas_categorical:").map(|r| (i + 1, r)))
        .last()
    else {
        return Ok(None);
    };
    let bad = |message: String| Error::Parse {
        source_name: source_name.to_string(),
        line: line as u64,
        column: 0,
        message,
    };
    let value: serde_json::Value = serde_json::from_str(rest.trim())
        .map_err(|e| bad(format!("pandas_categorical is not JSON: {e}")))?;
    if value.is_null() {
        return Ok(None);
    }
    let lists = value
        .as_array()
        .ok_or_else(|| bad("pandas_categorical is not a list".into()))?;
    lists
        .iter()
        .map(|l| {
            l.as_array()
                .ok_or_else(|| bad("pandas_categorical holds something other than lists".into()))
                .map(|cats| {
                    cats.iter()
                        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
                        .collect()
                })
        })
        .collect::<Result<Vec<Vec<String>>>>()
        .map(Some)
}

/// Parse the text of a LightGBM model (`Booster.save_model` or `model_to_string`) into a
/// validated [`Ensemble`].
///
/// `source_name` is used in error messages (a file name or `"<memory>"`). Every content
/// error is an [`Error::Parse`] with the 1-based line it was found on; an ensemble whose
/// structure is inconsistent after parsing is rejected by [`Ensemble::validate`]
/// ([`Error::ModelFormat`]).
pub fn read_lightgbm_model(text: &str, source_name: &str) -> Result<Ensemble> {
    // A byte-order mark (a file saved by an editor as "UTF-8 with BOM") is not part of the
    // first line's key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Parser {
        lines: text.lines().collect(),
        pos: 0,
        source_name,
    }
    .parse()
}

/// Write an ensemble as a LightGBM text model that LightGBM (`lgb.Booster(model_file=...)`)
/// and shap's `TreeExplainer` load, so a cartera-trained model can be scored and explained by
/// them (and read back by [`read_lightgbm_model`]).
///
/// LightGBM has no separate initial score: each output's `init_score` is added to the leaves
/// (and internal values) of that output's first tree, as LightGBM's own `boost_from_average`
/// does. Numbers are written in Rust's shortest round-trip form, so reading the file back
/// gives the same predictions bit for bit up to that one addition.
///
/// Errors: [`Error::ModelFormat`] if the ensemble is invalid or a feature name is empty or
/// contains whitespace (LightGBM separates names by spaces).
pub fn write_lightgbm_model(ensemble: &Ensemble) -> Result<String> {
    use std::fmt::Write;
    ensemble.validate()?;
    if let Some(name) = ensemble
        .feature_names
        .iter()
        .find(|n| n.is_empty() || n.chars().any(char::is_whitespace))
    {
        return Err(Error::model_format(format!(
            "feature name `{name}` cannot be written to a LightGBM model (empty or with spaces)"
        )));
    }
    let k = ensemble.n_outputs();
    let objective = match ensemble.objective {
        Objective::Binary { sigmoid } => format!("binary sigmoid:{sigmoid:?}"),
        Objective::Multiclass { n_classes } => format!("multiclass num_class:{n_classes}"),
        Objective::Regression => "regression".to_string(),
    };
    let d = ensemble.n_features;
    let mut s = String::new();
    // `write!` into a String cannot fail.
    let _ = write!(
        s,
        "tree\nversion=v4\nnum_class={k}\nnum_tree_per_iteration={k}\nlabel_index=0\n\
         max_feature_idx={}\nobjective={objective}\nfeature_names={}\nfeature_infos={}\n\n",
        d.saturating_sub(1),
        ensemble.feature_names.join(" "),
        vec!["none"; d].join(" ")
    );
    fn join<T: std::fmt::Debug>(v: &[T]) -> String {
        v.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
    // LightGBM reads counts as integers.
    fn counts(v: &[f64]) -> String {
        v.iter()
            .map(|&c| {
                if c.fract() == 0.0 && c.abs() < 9e15 {
                    format!("{}", c as i64)
                } else {
                    format!("{c:?}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
    for (i, t) in ensemble.trees.iter().enumerate() {
        let shift = if i < k { ensemble.init_score[i] } else { 0.0 };
        let leaf_value: Vec<f64> = t.leaf_value.iter().map(|v| v + shift).collect();
        let internal_value: Vec<f64> = t.internal_value.iter().map(|v| v + shift).collect();
        let decision: Vec<u8> = t
            .decision
            .iter()
            .map(|d| {
                let missing = match d.missing {
                    MissingType::None => 0u8,
                    MissingType::Zero => 1,
                    MissingType::NaN => 2,
                };
                u8::from(d.categorical) | (u8::from(d.default_left) << 1) | (missing << 2)
            })
            .collect();
        let num_cat = t.decision.iter().filter(|d| d.categorical).count();
        let _ = write!(
            s,
            "Tree={i}\nnum_leaves={}\nnum_cat={num_cat}\nsplit_feature={}\nsplit_gain={}\n\
             threshold={}\ndecision_type={}\nleft_child={}\nright_child={}\nleaf_value={}\n\
             leaf_weight={}\nleaf_count={}\ninternal_value={}\ninternal_weight={}\n\
             internal_count={}\n",
            t.num_leaves(),
            join(&t.split_feature),
            join(&t.split_gain),
            join(&t.threshold),
            join(&decision),
            join(&t.left_child),
            join(&t.right_child),
            join(&leaf_value),
            join(&t.leaf_weight),
            counts(&t.leaf_count),
            join(&internal_value),
            join(&t.internal_weight),
            counts(&t.internal_count),
        );
        if num_cat > 0 {
            let _ = write!(
                s,
                "cat_boundaries={}\ncat_threshold={}\n",
                join(&t.cat_boundaries),
                join(&t.cat_threshold)
            );
        }
        s.push_str("is_linear=0\nshrinkage=1\n\n\n");
    }
    s.push_str("end of trees\n\nfeature_importances:\n\nparameters:\nend of parameters\n\n");
    s.push_str("pandas_categorical:null\n");
    Ok(s)
}

/// A `key=value` line with its 1-based line number.
#[derive(Clone, Copy)]
struct Field<'a> {
    line: u64,
    value: &'a str,
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    pos: usize,
    source_name: &'a str,
}

impl<'a> Parser<'a> {
    fn err(&self, line: u64, column: u64, message: impl Into<String>) -> Error {
        Error::Parse {
            source_name: self.source_name.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Read `key=value` lines until a blank line, a `Tree=` line or `end of trees`; returns
    /// the fields and leaves `pos` on the line that stopped it.
    fn block(&mut self) -> Result<HashMap<&'a str, Field<'a>>> {
        let mut fields = HashMap::new();
        while self.pos < self.lines.len() {
            let raw = self.lines[self.pos].trim_end_matches('\r');
            let line = self.pos as u64 + 1;
            if raw.trim().is_empty() || raw.starts_with("Tree=") || raw == "end of trees" {
                break;
            }
            self.pos += 1;
            let Some((key, value)) = raw.split_once('=') else {
                // The first line of a model file is the bare word `tree`.
                if raw == "tree" && line == 1 {
                    continue;
                }
                return Err(self.err(line, 0, format!("expected `key=value`, found `{raw}`")));
            };
            if fields.insert(key, Field { line, value }).is_some() {
                return Err(self.err(line, 0, format!("`{key}` appears twice")));
            }
        }
        Ok(fields)
    }

    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() && self.lines[self.pos].trim().is_empty() {
            self.pos += 1;
        }
    }

    /// The line number to blame for something missing from a block ending at `pos`.
    fn here(&self) -> u64 {
        (self.pos.min(self.lines.len()) as u64).max(1)
    }

    fn required<'f>(
        &self,
        fields: &'f HashMap<&'a str, Field<'a>>,
        key: &str,
        block_line: u64,
        what: &str,
    ) -> Result<&'f Field<'a>> {
        fields.get(key).ok_or_else(|| {
            self.err(
                block_line,
                0,
                format!("{what} has no `{key}=` line (truncated or not a LightGBM model?)"),
            )
        })
    }

    fn scalar<T: FromStr>(&self, f: &Field<'a>, key: &str) -> Result<T> {
        f.value.trim().parse::<T>().map_err(|_| {
            self.err(
                f.line,
                0,
                format!("`{key}` is not a valid number: `{}`", f.value.trim()),
            )
        })
    }

    /// A space-separated array of exactly `len` numbers.
    fn array<T: FromStr>(&self, f: &Field<'a>, key: &str, len: usize) -> Result<Vec<T>> {
        // `len` comes from the file (`num_leaves`): reserve no more than the text can hold (an
        // entry takes at least two bytes with its separator), so a huge declared size is the
        // length error below rather than an allocation failure.
        let mut out = Vec::with_capacity(len.min(f.value.len() / 2 + 1));
        for (i, tok) in f.value.split_whitespace().enumerate() {
            let v = tok.parse::<T>().map_err(|_| {
                self.err(
                    f.line,
                    i as u64 + 1,
                    format!("`{key}` entry {} is not a valid number: `{tok}`", i + 1),
                )
            })?;
            out.push(v);
        }
        if out.len() != len {
            return Err(self.err(
                f.line,
                0,
                format!("`{key}` has {} entries, expected {len}", out.len()),
            ));
        }
        Ok(out)
    }

    fn parse(mut self) -> Result<Ensemble> {
        // A JSON file (a cartera model, say) would otherwise be reported through its first
        // line, quoted whole.
        if let Some((i, _)) = self
            .lines
            .iter()
            .enumerate()
            .find(|(_, l)| !l.trim().is_empty())
            .filter(|(_, l)| l.trim_start().starts_with('{'))
        {
            return Err(self.err(
                i as u64 + 1,
                0,
                "this is JSON (a cartera model file?), not a LightGBM text model, which starts \
                 with a `tree` line",
            ));
        }
        let header = self.block()?;
        if header.is_empty() {
            return Err(self.err(self.here(), 0, "empty input: not a LightGBM text model"));
        }
        let hl = 1;
        let version = self.required(&header, "version", hl, "the header")?;
        if !matches!(version.value.trim(), "v2" | "v3" | "v4") {
            return Err(self.err(
                version.line,
                0,
                format!(
                    "unsupported model version `{}` (supported: v2, v3, v4)",
                    version.value.trim()
                ),
            ));
        }
        let num_class: usize = self.scalar(
            self.required(&header, "num_class", hl, "the header")?,
            "num_class",
        )?;
        let per_iter_f = *self.required(&header, "num_tree_per_iteration", hl, "the header")?;
        let per_iter: usize = self.scalar(&per_iter_f, "num_tree_per_iteration")?;
        let max_f = *self.required(&header, "max_feature_idx", hl, "the header")?;
        let max_feature_idx: i64 = self.scalar(&max_f, "max_feature_idx")?;
        if max_feature_idx < 0 {
            return Err(self.err(max_f.line, 0, "`max_feature_idx` is negative"));
        }
        if max_feature_idx >= MAX_FEATURES as i64 {
            return Err(self.err(
                max_f.line,
                0,
                format!(
                    "`max_feature_idx` {max_feature_idx} is beyond the supported {} features",
                    MAX_FEATURES
                ),
            ));
        }
        let n_features = max_feature_idx as usize + 1;
        let obj_f = *self.required(&header, "objective", hl, "the header")?;
        let objective = self.objective(&obj_f, num_class)?;
        if per_iter != objective.n_outputs() {
            return Err(self.err(
                per_iter_f.line,
                0,
                format!(
                    "num_tree_per_iteration={per_iter} but the objective has {} outputs",
                    objective.n_outputs()
                ),
            ));
        }
        let feature_names = match header.get("feature_names") {
            Some(f) => {
                let names: Vec<String> = f.value.split_whitespace().map(str::to_string).collect();
                if names.len() != n_features {
                    return Err(self.err(
                        f.line,
                        0,
                        format!(
                            "{} feature names but max_feature_idx={max_feature_idx}",
                            names.len()
                        ),
                    ));
                }
                // Names key the columns of the rows to explain: a repeated one would be
                // refused later without naming this file.
                if let Some(dup) = cartera_core::validate::first_repeat(&names) {
                    return Err(self.err(
                        f.line,
                        0,
                        format!("feature name `{dup}` appears twice in feature_names"),
                    ));
                }
                Some(names)
            }
            // Generated only once the trees have parsed: a broken file declaring many features
            // fails fast instead of first building millions of names.
            None => None,
        };

        let mut trees = Vec::new();
        loop {
            self.skip_blank();
            if self.pos >= self.lines.len() {
                return Err(self.err(
                    self.here(),
                    0,
                    format!(
                        "file ends after {} trees without `end of trees` (truncated)",
                        trees.len()
                    ),
                ));
            }
            let line = self.lines[self.pos].trim_end_matches('\r');
            let line_no = self.pos as u64 + 1;
            if line == "end of trees" {
                break;
            }
            let Some(idx) = line.strip_prefix("Tree=") else {
                return Err(self.err(
                    line_no,
                    0,
                    format!(
                        "expected `Tree={}` or `end of trees`, found `{line}`",
                        trees.len()
                    ),
                ));
            };
            if idx.trim().parse::<usize>().ok() != Some(trees.len()) {
                return Err(self.err(
                    line_no,
                    0,
                    format!("expected `Tree={}`, found `{line}`", trees.len()),
                ));
            }
            self.pos += 1;
            let fields = self.block()?;
            trees.push(self.tree(&fields, line_no, trees.len())?);
        }
        if trees.is_empty() {
            return Err(self.err(self.here(), 0, "the model has no trees"));
        }
        if !trees.len().is_multiple_of(per_iter) {
            return Err(self.err(
                self.here(),
                0,
                format!(
                    "{} trees is not a multiple of num_tree_per_iteration={per_iter}",
                    trees.len()
                ),
            ));
        }
        let k = objective.n_outputs();
        let ensemble = Ensemble {
            trees,
            n_features,
            feature_names: feature_names
                .unwrap_or_else(|| (0..n_features).map(|i| format!("Column_{i}")).collect()),
            objective,
            init_score: vec![0.0; k],
        };
        ensemble.validate()?;
        Ok(ensemble)
    }

    fn objective(&self, f: &Field<'a>, num_class: usize) -> Result<Objective> {
        let mut toks = f.value.split_whitespace();
        let name = toks.next().unwrap_or("");
        let mut opts = HashMap::new();
        for t in toks {
            if let Some((k, v)) = t.split_once(':') {
                opts.insert(k, v);
            }
        }
        let num = |key: &str| -> Result<Option<f64>> {
            opts.get(key)
                .map(|v| {
                    v.parse::<f64>().map_err(|_| {
                        self.err(
                            f.line,
                            0,
                            format!("objective option `{key}:{v}` is not a number"),
                        )
                    })
                })
                .transpose()
        };
        let objective = match name {
            "binary" => {
                let sigmoid = num("sigmoid")?.unwrap_or(1.0);
                if !crate::objective::valid_sigmoid(sigmoid) {
                    return Err(self.err(
                        f.line,
                        0,
                        format!("binary sigmoid {sigmoid} must be > 0"),
                    ));
                }
                Objective::Binary { sigmoid }
            }
            // Labels in [0, 1] and the output is the sigmoid of the raw score (slope 1):
            // LightGBM's `CrossEntropy::ConvertOutput` is the binary objective's with
            // `sigmoid:1`, so the model predicts and explains as one. (`cross_entropy_lambda`
            // has another link and stays unsupported.)
            "cross_entropy" | "xentropy" => Objective::Binary { sigmoid: 1.0 },
            "multiclass" | "softmax" => {
                let k = num("num_class")?.unwrap_or(num_class as f64);
                if k != num_class as f64 || num_class < 2 {
                    return Err(self.err(
                        f.line,
                        0,
                        format!(
                            "multiclass objective with num_class:{k} but num_class={num_class}"
                        ),
                    ));
                }
                Objective::Multiclass {
                    n_classes: num_class,
                }
            }
            "regression" | "regression_l2" | "l2" | "mean_squared_error" | "mse" => {
                Objective::Regression
            }
            other => {
                return Err(self.err(
                    f.line,
                    0,
                    format!(
                        "objective `{other}` is not supported (supported: binary, \
                         cross_entropy, multiclass, regression)"
                    ),
                ));
            }
        };
        if objective.n_outputs() == 1 && num_class != 1 {
            return Err(self.err(
                f.line,
                0,
                format!("objective `{name}` with num_class={num_class}"),
            ));
        }
        Ok(objective)
    }

    fn tree(
        &self,
        fields: &HashMap<&'a str, Field<'a>>,
        tree_line: u64,
        index: usize,
    ) -> Result<Tree> {
        let what = format!("Tree={index}");
        let req = |key: &str| self.required(fields, key, tree_line, &what);
        let nl_f = *req("num_leaves")?;
        let num_leaves: usize = self.scalar(&nl_f, "num_leaves")?;
        if num_leaves == 0 {
            return Err(self.err(nl_f.line, 0, "num_leaves is 0"));
        }
        if let Some(f) = fields.get("is_linear")
            && f.value.trim() != "0"
        {
            return Err(self.err(f.line, 0, "linear trees (is_linear=1) are not supported"));
        }
        let n_int = num_leaves - 1;
        let num_cat: usize = match fields.get("num_cat") {
            Some(f) => self.scalar(f, "num_cat")?,
            None => 0,
        };
        let arr_f64 =
            |key: &str, len: usize| -> Result<Vec<f64>> { self.array::<f64>(req(key)?, key, len) };
        let leaf_value = arr_f64("leaf_value", num_leaves)?;
        if n_int == 0 {
            // LightGBM writes the arrays of a single-leaf tree empty (even leaf_weight).
            let count = self.array::<f64>(req("leaf_count")?, "leaf_count", 1)?;
            let weight = match fields.get("leaf_weight") {
                Some(f) if !f.value.trim().is_empty() => self.array::<f64>(f, "leaf_weight", 1)?[0],
                _ => 0.0,
            };
            return Ok(Tree::constant(leaf_value[0], count[0], weight));
        }
        let split_feature = self.array::<u32>(req("split_feature")?, "split_feature", n_int)?;
        let dt_f = *req("decision_type")?;
        let raw_dt = self.array::<u8>(&dt_f, "decision_type", n_int)?;
        let mut decision = Vec::with_capacity(n_int);
        for (i, &d) in raw_dt.iter().enumerate() {
            let missing = match (d >> 2) & 3 {
                0 => MissingType::None,
                1 => MissingType::Zero,
                2 => MissingType::NaN,
                m => {
                    return Err(self.err(
                        dt_f.line,
                        i as u64 + 1,
                        format!(
                            "decision_type {d} has missing type {m}, which LightGBM does not define"
                        ),
                    ));
                }
            };
            if d > 15 {
                return Err(self.err(
                    dt_f.line,
                    i as u64 + 1,
                    format!("decision_type {d} sets unknown split bits"),
                ));
            }
            decision.push(Decision {
                categorical: d & 1 == 1,
                default_left: d & 2 == 2,
                missing,
            });
        }
        let n_cat_nodes = decision.iter().filter(|d| d.categorical).count();
        if n_cat_nodes != num_cat {
            return Err(self.err(
                dt_f.line,
                0,
                format!("{n_cat_nodes} categorical splits but num_cat={num_cat}"),
            ));
        }
        let (cat_boundaries, cat_threshold) = if num_cat > 0 {
            let cb = self.array::<u32>(req("cat_boundaries")?, "cat_boundaries", num_cat + 1)?;
            let words = *cb.last().unwrap_or(&0) as usize;
            let ct = self.array::<u32>(req("cat_threshold")?, "cat_threshold", words)?;
            (cb, ct)
        } else {
            (Vec::new(), Vec::new())
        };
        let leaf_weight = arr_f64("leaf_weight", num_leaves)?;
        let leaf_count = arr_f64("leaf_count", num_leaves)?;
        Ok(Tree {
            split_feature,
            threshold: arr_f64("threshold", n_int)?,
            decision,
            left_child: self.array::<i32>(req("left_child")?, "left_child", n_int)?,
            right_child: self.array::<i32>(req("right_child")?, "right_child", n_int)?,
            split_gain: arr_f64("split_gain", n_int)?,
            internal_value: arr_f64("internal_value", n_int)?,
            internal_weight: arr_f64("internal_weight", n_int)?,
            internal_count: arr_f64("internal_count", n_int)?,
            leaf_value,
            leaf_weight,
            leaf_count,
            cat_boundaries,
            cat_threshold,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUMP: &str = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\n\
        label_index=0\nmax_feature_idx=1\nobjective=binary sigmoid:1\nfeature_names=a b\n\
        feature_infos=[0:1] [0:1]\ntree_sizes=100\n\nTree=0\nnum_leaves=2\nnum_cat=0\n\
        split_feature=1\nsplit_gain=1.5\nthreshold=0.5\ndecision_type=10\nleft_child=-1\n\
        right_child=-2\nleaf_value=-0.25 0.75\nleaf_weight=2 2\nleaf_count=4 4\n\
        internal_value=0\ninternal_weight=4\ninternal_count=8\nis_linear=0\nshrinkage=1\n\n\n\
        end of trees\n\nfeature_importances:\nb=1\n\nparameters:\n[boosting: gbdt]\n\n\
        end of parameters\n";

    fn parse_err(text: &str) -> (u64, String) {
        match read_lightgbm_model(text, "m.txt") {
            Err(Error::Parse { line, message, .. }) => (line, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn stump_reads_and_predicts() {
        let m = read_lightgbm_model(STUMP, "m.txt").unwrap();
        // Saved as "UTF-8 with BOM": the same model.
        let bom = read_lightgbm_model(&format!("\u{feff}{STUMP}"), "m.txt").unwrap();
        assert_eq!(bom.trees, m.trees);
        assert_eq!(m.objective, Objective::Binary { sigmoid: 1.0 });
        assert_eq!(m.feature_names, ["a", "b"]);
        let t = &m.trees[0];
        assert!(t.decision[0].default_left);
        assert_eq!(t.decision[0].missing, MissingType::NaN);
        let mut out = [0.0];
        m.predict_raw_row(&[9.0, f64::NAN], &mut out);
        assert_eq!(out, [-0.25], "NaN goes default left");
        m.predict_raw_row(&[9.0, 0.6], &mut out);
        assert_eq!(out, [0.75]);
    }

    #[test]
    fn errors_name_the_line() {
        let (line, msg) = parse_err(&STUMP.replace("binary sigmoid:1", "lambdarank"));
        assert_eq!(line, 7);
        assert!(msg.contains("lambdarank"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("threshold=0.5", "threshold=0.5x"));
        assert_eq!(line, 17);
        assert!(msg.contains("0.5x"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("leaf_count=4 4", "leaf_count=4"));
        assert_eq!(line, 23);
        assert!(msg.contains("expected 2"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("decision_type=10", "decision_type=12"));
        assert_eq!(line, 18);
        assert!(msg.contains("missing type 3"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("decision_type=10", "decision_type=11"));
        assert_eq!(line, 18, "categorical node but num_cat=0");
        assert!(msg.contains("num_cat"), "{msg}");
        let (_, msg) = parse_err(&STUMP.replace("is_linear=0", "is_linear=1"));
        assert!(msg.contains("linear"), "{msg}");
        let cut = &STUMP[..STUMP.find("leaf_value").unwrap()];
        let (_, msg) = parse_err(cut);
        assert!(msg.contains("truncated"), "{msg}");
        let cut = &STUMP[..STUMP.find("end of trees").unwrap()];
        let (_, msg) = parse_err(cut);
        assert!(msg.contains("truncated"), "{msg}");
        let (line, _) = parse_err(&STUMP.replace("Tree=0", "Tree=3"));
        assert_eq!(line, 12);
        let (_, msg) = parse_err("");
        assert!(msg.contains("empty"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("feature_names=a b", "feature_names=a"));
        assert_eq!(line, 8);
        assert!(msg.contains("feature names"), "{msg}");
        let (line, msg) = parse_err(&STUMP.replace("feature_names=a b", "feature_names=b b"));
        assert_eq!(line, 8);
        assert!(msg.contains("`b` appears twice"), "{msg}");
    }

    #[test]
    fn structural_errors_are_model_format() {
        let bad = STUMP.replace("right_child=-2", "right_child=-1");
        assert!(matches!(
            read_lightgbm_model(&bad, "m.txt"),
            Err(Error::ModelFormat { .. })
        ));
        let bad = STUMP.replace("split_feature=1", "split_feature=2");
        assert!(matches!(
            read_lightgbm_model(&bad, "m.txt"),
            Err(Error::ModelFormat { .. })
        ));
    }

    #[test]
    fn written_model_reads_back_identically() {
        let m = read_lightgbm_model(STUMP, "m.txt").unwrap();
        let text = write_lightgbm_model(&m).unwrap();
        assert_eq!(read_lightgbm_model(&text, "w.txt").unwrap(), m);
        let mut shifted = m.clone();
        shifted.init_score = vec![0.5];
        let back = read_lightgbm_model(&write_lightgbm_model(&shifted).unwrap(), "w.txt").unwrap();
        let (mut a, mut b) = ([0.0], [0.0]);
        for row in [[0.0, 0.1], [0.0, 0.9], [0.0, f64::NAN]] {
            shifted.predict_raw_row(&row, &mut a);
            back.predict_raw_row(&row, &mut b);
            assert_eq!(a, b);
        }
        let mut bad = m;
        bad.feature_names[0] = "two words".into();
        assert!(write_lightgbm_model(&bad).is_err());
    }

    /// A JSON file is named as one, without quoting it.
    #[test]
    fn json_is_not_a_text_model() {
        let e = read_lightgbm_model("\n  {\"format\": \"cartera-gbdt\", \"x\": 1}", "m.json")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("this is JSON") && e.contains("m.json") && !e.contains("format"),
            "{e}"
        );
    }

    /// The last line's category lists: absent or `null` is `None`; numbers come back as they
    /// print; anything but a list of lists is a parse error naming the line.
    /// The parameters' categorical features: indices in order, and nothing from an absent,
    /// empty or named list.
    #[test]
    fn categorical_features_of_the_parameters() {
        let text =
            |line: &str| format!("tree\nversion=v4\n\nparameters:\n{line}\nend of parameters\n");
        assert_eq!(
            categorical_features(&text("[categorical_feature: 2,0]")),
            vec![0, 2]
        );
        assert_eq!(
            categorical_features(&text("[categorical_feature: 5]")),
            vec![5]
        );
        assert!(categorical_features(&text("[categorical_feature: ]")).is_empty());
        assert!(categorical_features(&text("[categorical_feature: name:plan]")).is_empty());
        assert!(categorical_features(&text("[max_bin: 255]")).is_empty());
    }

    #[test]
    fn pandas_categorical_lists() {
        let text = |last: &str| format!("tree\nversion=v4\n\nend of parameters\n\n{last}\n");
        assert_eq!(pandas_categorical(&text(""), "m").unwrap(), None);
        assert_eq!(
            pandas_categorical(&text("pandas_categorical:null"), "m").unwrap(),
            None
        );
        let got = pandas_categorical(&text(r#"pandas_categorical:[["a", "b"], [3, 1.5]]"#), "m");
        assert_eq!(
            got.unwrap(),
            Some(vec![
                vec!["a".to_string(), "b".into()],
                vec!["3".into(), "1.5".into()]
            ])
        );
        for bad in [
            "pandas_categorical:[\"a\"]",
            "pandas_categorical:{",
            "pandas_categorical:3",
        ] {
            match pandas_categorical(&text(bad), "m") {
                Err(Error::Parse { line, .. }) => assert_eq!(line, 6, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn single_leaf_tree() {
        let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
            max_feature_idx=2\nobjective=regression\nfeature_names=a b c\n\
            feature_infos=none none none\ntree_sizes=223\n\nTree=0\nnum_leaves=1\nnum_cat=0\n\
            split_feature=\nsplit_gain=\nthreshold=\ndecision_type=\nleft_child=\nright_child=\n\
            leaf_value=1.5\nleaf_weight=\nleaf_count=50\ninternal_value=\ninternal_weight=\n\
            internal_count=\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";
        let m = read_lightgbm_model(text, "one.txt").unwrap();
        assert_eq!(m.objective, Objective::Regression);
        let mut out = [0.0];
        m.predict_raw_row(&[0.0, 1.0, 2.0], &mut out);
        assert_eq!(out, [1.5]);
    }
}
