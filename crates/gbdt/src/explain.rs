//! Global explanations from SHAP values: mean |SHAP| per feature (overall and per class), the
//! per-cluster importance table of a model trained on cluster labels, and the data of a SHAP
//! summary plot (raw points or quantile bins of the feature value).
//!
//! Everything here is a plain, `Serialize` record built from [`ShapValues`], so a report or the
//! CLI can write it as JSON.
//!
//! ```
//! use cartera_gbdt::explain::{SummaryDetail, importance, summary_plot};
//! use cartera_gbdt::lightgbm::read_lightgbm_model;
//! use cartera_gbdt::shap::TreeShap;
//! use ndarray::array;
//! let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
//!             max_feature_idx=1\nobjective=regression\nfeature_names=age tenure\n\n\
//!             Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=1\nsplit_gain=1\nthreshold=0.5\n\
//!             decision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=-1 1\n\
//!             leaf_weight=1 1\nleaf_count=1 1\ninternal_value=0\ninternal_weight=2\n\
//!             internal_count=2\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";
//! let model = read_lightgbm_model(text, "m.txt").unwrap();
//! let x = array![[30.0, 0.0], [40.0, 1.0], [50.0, 2.0]];
//! let shap = TreeShap::new(&model).unwrap().shap_values(x.view()).unwrap();
//! let imp = importance(&shap);
//! assert_eq!(imp.overall[0].feature, "tenure");
//! assert_eq!(imp.overall[0].mean_abs_shap, 1.0);
//! let plot = summary_plot(&shap, x.view(), 0, SummaryDetail::Bins(2)).unwrap();
//! assert_eq!(plot.features[0].bins.as_ref().unwrap().len(), 2);
//! ```

use cartera_core::{Error, Float, Result};
use ndarray::ArrayView2;
use serde::Serialize;

use crate::shap::ShapValues;

/// One feature's mean |SHAP| value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureImportance {
    /// Feature name.
    pub feature: String,
    /// Feature index (column of the model's input).
    pub index: usize,
    /// Mean over rows of the absolute contribution (raw-score units).
    pub mean_abs_shap: f64,
}

/// Features ranked by mean |SHAP| for one output (class).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputImportance {
    /// Output (class) index.
    pub output: usize,
    /// The output's expected value (base value).
    pub expected_value: f64,
    /// Features, largest mean |SHAP| first (ties: smaller index first).
    pub features: Vec<FeatureImportance>,
}

/// Mean |SHAP| per feature, overall and per output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GlobalImportance {
    /// Rows the means are taken over.
    pub n_rows: usize,
    /// Ranked by the sum over outputs of each output's mean |SHAP| (for one output, that
    /// output's ranking; for multiclass, the total of shap's stacked bar chart).
    pub overall: Vec<FeatureImportance>,
    /// One ranking per output (one entry for binary and regression models).
    pub per_output: Vec<OutputImportance>,
}

/// Rank features by mean |SHAP|, overall and per output. With no rows, every mean is 0.
pub fn importance(values: &ShapValues) -> GlobalImportance {
    let (n, k, d) = (values.n_rows(), values.n_outputs(), values.n_features());
    let mut sums = vec![0.0f64; k * d];
    // Rows in order, so the sums do not depend on anything but the data.
    for row in values.values.outer_iter() {
        for (c, out) in row.outer_iter().enumerate() {
            for (j, v) in out.iter().take(d).enumerate() {
                sums[c * d + j] += v.abs();
            }
        }
    }
    let denom = n.max(1) as f64;
    let names = &values.feature_names;
    let per_output: Vec<OutputImportance> = (0..k)
        .map(|c| OutputImportance {
            output: c,
            expected_value: if n > 0 {
                values.expected_value(c)
            } else {
                f64::NAN
            },
            features: ranked(names, (0..d).map(|j| sums[c * d + j] / denom)),
        })
        .collect();
    let overall = ranked(
        names,
        (0..d).map(|j| (0..k).map(|c| sums[c * d + j]).sum::<f64>() / denom),
    );
    GlobalImportance {
        n_rows: n,
        overall,
        per_output,
    }
}

fn ranked(names: &[String], means: impl Iterator<Item = f64>) -> Vec<FeatureImportance> {
    let mut out: Vec<FeatureImportance> = means
        .enumerate()
        .map(|(index, mean_abs_shap)| FeatureImportance {
            feature: names
                .get(index)
                .cloned()
                .unwrap_or_else(|| format!("Column_{index}")),
            index,
            mean_abs_shap,
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean_abs_shap
            .total_cmp(&a.mean_abs_shap)
            .then(a.index.cmp(&b.index))
    });
    out
}

/// One row of the per-cluster importance table: what sets one cluster (class) apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterFeature {
    /// Feature name.
    pub feature: String,
    /// Feature index.
    pub index: usize,
    /// Mean |SHAP| of this cluster's output over all rows: how much the feature moves the
    /// score of "belongs to this cluster".
    pub mean_abs_shap: f64,
    /// Mean signed SHAP of this cluster's output over the cluster's own members (when
    /// memberships were given and the cluster has members): positive means the members'
    /// values of the feature push them into the cluster.
    pub mean_shap_members: Option<f64>,
}

/// The features of one cluster, ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterImportance {
    /// Cluster (class) index: the output of a model trained on cluster labels.
    pub cluster: usize,
    /// The cluster's name (given, or `cluster_<index>`).
    pub name: String,
    /// Number of rows whose membership is this cluster (0 when no memberships were given).
    pub n_members: usize,
    /// Features, largest mean |SHAP| first, cut to `top` when asked.
    pub features: Vec<ClusterFeature>,
}

/// The per-cluster importance table (study 004): for a model trained with the cluster as
/// target, each cluster's features ranked by mean |SHAP| of that cluster's output.
///
/// `membership` (optional) gives each explained row's cluster, to add the members' mean signed
/// SHAP; `names` (optional) names the clusters; `top` keeps the first `top` features of each.
///
/// Errors: [`Error::ShapeMismatch`] when `membership` or `names` has the wrong length,
/// [`Error::InvalidParameter`] for a membership that is not an output index, or a binary or
/// regression model (one output: train the cluster model as multiclass).
pub fn cluster_importance(
    values: &ShapValues,
    membership: Option<&[usize]>,
    names: Option<&[String]>,
    top: Option<usize>,
) -> Result<Vec<ClusterImportance>> {
    let (n, k, d) = (values.n_rows(), values.n_outputs(), values.n_features());
    if k < 2 {
        return Err(Error::invalid_param(
            "model",
            format!("{k} output"),
            "the per-cluster table needs a multiclass model trained on the cluster labels",
        ));
    }
    if let Some(m) = membership {
        if m.len() != n {
            return Err(Error::ShapeMismatch {
                what: "cluster memberships (one per explained row)".into(),
                expected: n,
                found: m.len(),
            });
        }
        if let Some((row, c)) = m.iter().enumerate().find(|(_, c)| **c >= k) {
            return Err(Error::invalid_param(
                format!("membership[{row}]"),
                c,
                format!("clusters are numbered 0..{k} (the model's classes)"),
            ));
        }
    }
    if let Some(nm) = names
        && nm.len() != k
    {
        return Err(Error::ShapeMismatch {
            what: "cluster names".into(),
            expected: k,
            found: nm.len(),
        });
    }
    let global = importance(values);
    let mut member_sums = vec![0.0f64; k * d];
    let mut counts = vec![0usize; k];
    if let Some(m) = membership {
        for (row, &c) in values.values.outer_iter().zip(m) {
            counts[c] += 1;
            for (j, v) in row.row(c).iter().take(d).enumerate() {
                member_sums[c * d + j] += v;
            }
        }
    }
    Ok(global
        .per_output
        .into_iter()
        .map(|o| {
            let c = o.output;
            let features = o
                .features
                .into_iter()
                .take(top.unwrap_or(d))
                .map(|f| ClusterFeature {
                    mean_shap_members: (counts[c] > 0)
                        .then(|| member_sums[c * d + f.index] / counts[c] as f64),
                    feature: f.feature,
                    index: f.index,
                    mean_abs_shap: f.mean_abs_shap,
                })
                .collect();
            ClusterImportance {
                cluster: c,
                name: names.map_or_else(|| format!("cluster_{c}"), |nm| nm[c].clone()),
                n_members: counts[c],
                features,
            }
        })
        .collect())
}

/// How much of each feature a [`SummaryPlot`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryDetail {
    /// Every row's (feature value, SHAP value) pair: the beeswarm plot's points.
    Points,
    /// At most this many quantile bins of the feature value (equal counts, ties kept in one
    /// bin), each with its mean SHAP; rows with a missing (NaN) value are summarised apart.
    Bins(usize),
}

/// One quantile bin of a feature's values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryBin {
    /// Smallest feature value in the bin.
    pub lower: f64,
    /// Largest feature value in the bin.
    pub upper: f64,
    /// Number of rows.
    pub count: usize,
    /// Mean feature value.
    pub mean_value: f64,
    /// Mean SHAP value.
    pub mean_shap: f64,
    /// Smallest and largest SHAP value (the spread a beeswarm would show).
    pub min_shap: f64,
    /// Largest SHAP value.
    pub max_shap: f64,
}

/// Rows whose feature value is missing (NaN).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissingSummary {
    /// Number of rows.
    pub count: usize,
    /// Mean SHAP value of those rows.
    pub mean_shap: f64,
}

/// The summary-plot data of one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureSummary {
    /// Feature name.
    pub feature: String,
    /// Feature index.
    pub index: usize,
    /// Mean |SHAP| (the plot's ordering).
    pub mean_abs_shap: f64,
    /// With [`SummaryDetail::Points`]: each row's feature value (NaN, serialised as `null`,
    /// for missing).
    pub values: Option<Vec<f64>>,
    /// With [`SummaryDetail::Points`]: each row's SHAP value.
    pub shap: Option<Vec<f64>>,
    /// With [`SummaryDetail::Bins`]: the bins, by increasing feature value.
    pub bins: Option<Vec<SummaryBin>>,
    /// With [`SummaryDetail::Bins`]: the rows with a missing value, if any.
    pub missing: Option<MissingSummary>,
}

/// The data of a SHAP summary plot for one output: features ordered by mean |SHAP|.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryPlot {
    /// Output (class) index.
    pub output: usize,
    /// Expected value (base value) of the output.
    pub expected_value: f64,
    /// Number of rows.
    pub n_rows: usize,
    /// One entry per feature, largest mean |SHAP| first.
    pub features: Vec<FeatureSummary>,
}

/// Summary-plot data of one output from the SHAP values and the rows they explain.
///
/// Errors: [`Error::ShapeMismatch`] when `x` is not the explained rows' shape,
/// [`Error::InvalidParameter`] for an output out of range or zero bins.
pub fn summary_plot<F: Float>(
    values: &ShapValues,
    x: ArrayView2<'_, F>,
    output: usize,
    detail: SummaryDetail,
) -> Result<SummaryPlot> {
    let (n, k, d) = (values.n_rows(), values.n_outputs(), values.n_features());
    if x.nrows() != n {
        return Err(Error::ShapeMismatch {
            what: "rows of the feature matrix (one per explained row)".into(),
            expected: n,
            found: x.nrows(),
        });
    }
    if x.ncols() != d {
        return Err(Error::ShapeMismatch {
            what: "columns of the feature matrix".into(),
            expected: d,
            found: x.ncols(),
        });
    }
    if output >= k {
        return Err(Error::invalid_param(
            "output",
            output,
            format!("the model has {k} outputs"),
        ));
    }
    if detail == SummaryDetail::Bins(0) {
        return Err(Error::invalid_param("bins", 0, "must be at least 1"));
    }
    let phi = values.for_output(output);
    let order = &importance(values).per_output[output];
    let features = order
        .features
        .iter()
        .map(|f| {
            let j = f.index;
            let xs: Vec<f64> = x.column(j).iter().map(|v| v.as_f64()).collect();
            let ss: Vec<f64> = phi.column(j).to_vec();
            let mut s = FeatureSummary {
                feature: f.feature.clone(),
                index: j,
                mean_abs_shap: f.mean_abs_shap,
                values: None,
                shap: None,
                bins: None,
                missing: None,
            };
            match detail {
                SummaryDetail::Points => {
                    s.values = Some(xs);
                    s.shap = Some(ss);
                }
                SummaryDetail::Bins(b) => {
                    let (bins, missing) = quantile_bins(&xs, &ss, b);
                    s.bins = Some(bins);
                    s.missing = missing;
                }
            }
            s
        })
        .collect();
    Ok(SummaryPlot {
        output,
        expected_value: if n > 0 {
            values.expected_value(output)
        } else {
            f64::NAN
        },
        n_rows: n,
        features,
    })
}

fn quantile_bins(xs: &[f64], ss: &[f64], bins: usize) -> (Vec<SummaryBin>, Option<MissingSummary>) {
    let mut pairs: Vec<(f64, f64)> = xs
        .iter()
        .zip(ss)
        .filter(|(x, _)| !x.is_nan())
        .map(|(&x, &s)| (x, s))
        .collect();
    let n_missing = xs.len() - pairs.len();
    let missing = (n_missing > 0).then(|| MissingSummary {
        count: n_missing,
        mean_shap: xs
            .iter()
            .zip(ss)
            .filter(|(x, _)| x.is_nan())
            .map(|(_, s)| s)
            .sum::<f64>()
            / n_missing as f64,
    });
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let m = pairs.len();
    let mut out = Vec::new();
    let mut start = 0;
    for b in 1..=bins {
        if start >= m {
            break;
        }
        let mut end = ((b * m) as f64 / bins as f64).round() as usize;
        end = end.clamp(start + 1, m);
        // Equal feature values stay in one bin, so bins never overlap.
        while end < m && pairs[end].0 == pairs[end - 1].0 {
            end += 1;
        }
        let part = &pairs[start..end];
        let cnt = part.len() as f64;
        out.push(SummaryBin {
            lower: part[0].0,
            upper: part[part.len() - 1].0,
            count: part.len(),
            mean_value: part.iter().map(|p| p.0).sum::<f64>() / cnt,
            mean_shap: part.iter().map(|p| p.1).sum::<f64>() / cnt,
            min_shap: part.iter().map(|p| p.1).fold(f64::INFINITY, f64::min),
            max_shap: part.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
        });
        start = end;
    }
    (out, missing)
}

/// For each of the model's features, the index of the column with the same name in `header`
/// (e.g. a CSV header), so rows can be assembled in the model's order whatever the file's
/// column order. A feature without a column of its name matches the one column whose name with
/// spaces turned into underscores is the feature's: LightGBM stores `CD Account` as
/// `CD_Account`, so a model trained on a pandas frame finds the CSV it was exported from.
///
/// Errors: [`Error::UnknownColumn`] naming the first model feature missing from `header`.
pub fn feature_columns(model_features: &[String], header: &[String]) -> Result<Vec<usize>> {
    model_features
        .iter()
        .map(|name| {
            let exact = header.iter().position(|h| h == name);
            let renamed = || {
                let mut hits = header
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.contains(' ') && h.replace(' ', "_") == *name);
                match (hits.next(), hits.next()) {
                    (Some((j, _)), None) => Some(j),
                    _ => None,
                }
            };
            exact.or_else(renamed).ok_or_else(|| Error::UnknownColumn {
                name: name.clone(),
                available: header.to_vec(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, array};

    fn values(v: Array3<f64>) -> ShapValues {
        let d = v.dim().2 - 1;
        ShapValues {
            values: v,
            feature_names: (0..d).map(|j| format!("f{j}")).collect(),
        }
    }

    #[test]
    fn ranks_overall_and_per_class() {
        // 2 rows, 2 classes, 3 features (+ expected value).
        let v = values(
            Array3::from_shape_vec(
                (2, 2, 4),
                vec![
                    1.0, -2.0, 0.0, 0.5, /* */ 0.0, 0.5, 3.0, -0.5, //
                    -1.0, 2.0, 0.0, 0.5, /* */ 0.0, -0.5, 1.0, -0.5,
                ],
            )
            .unwrap(),
        );
        let imp = importance(&v);
        assert_eq!(imp.per_output[0].features[0].feature, "f1");
        assert_eq!(imp.per_output[0].features[0].mean_abs_shap, 2.0);
        assert_eq!(imp.per_output[0].features[2].feature, "f2");
        assert_eq!(imp.per_output[1].features[0].feature, "f2");
        assert_eq!(imp.per_output[1].expected_value, -0.5);
        // Overall: f1 = 2 + 0.5, f2 = 0 + 2, f0 = 1 + 0.
        let names: Vec<&str> = imp.overall.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(names, ["f1", "f2", "f0"]);
        assert_eq!(imp.overall[0].mean_abs_shap, 2.5);

        let table = cluster_importance(&v, Some(&[1, 1]), None, Some(2)).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table[1].n_members, 2);
        assert_eq!(table[1].features.len(), 2);
        assert_eq!(table[1].features[0].feature, "f2");
        assert_eq!(table[1].features[0].mean_shap_members, Some(2.0));
        assert_eq!(table[0].features[0].mean_shap_members, None);
        assert!(cluster_importance(&v, Some(&[0]), None, None).is_err());
        assert!(cluster_importance(&v, Some(&[0, 2]), None, None).is_err());
        assert!(cluster_importance(&v, None, Some(&["a".into()]), None).is_err());
    }

    #[test]
    fn quantile_bins_keep_ties_and_missing_apart() {
        let xs = [1.0, 1.0, 1.0, 2.0, 3.0, f64::NAN, 4.0, 5.0];
        let ss = [0.1, 0.2, 0.3, 0.4, 0.5, 9.0, 0.7, 0.8];
        let (bins, missing) = quantile_bins(&xs, &ss, 2);
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].lower, bins[0].upper, bins[0].count), (1.0, 2.0, 4));
        assert_eq!((bins[1].lower, bins[1].upper, bins[1].count), (3.0, 5.0, 3));
        assert!((bins[0].mean_shap - 0.25).abs() < 1e-15);
        assert_eq!(missing.unwrap().count, 1);
        let (bins, _) = quantile_bins(&[2.0; 10], &[0.0; 10], 20);
        assert_eq!(bins.len(), 1, "one value: one bin");
        let (bins, _) = quantile_bins(&[1.0, 2.0, 3.0], &[0.0; 3], 20);
        assert_eq!(bins.len(), 3);
    }

    #[test]
    fn summary_plot_checks_shapes() {
        let v = values(Array3::zeros((2, 1, 3)));
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        assert!(summary_plot(&v, x.view(), 1, SummaryDetail::Points).is_err());
        assert!(summary_plot(&v, x.view(), 0, SummaryDetail::Bins(0)).is_err());
        assert!(summary_plot(&v, x.slice(ndarray::s![..1, ..]), 0, SummaryDetail::Points).is_err());
        let p = summary_plot(&v, x.view(), 0, SummaryDetail::Points).unwrap();
        assert_eq!(p.features[0].values.as_deref(), Some(&[1.0, 3.0][..]));
        assert!(serde_json::to_string(&p).is_ok());
    }

    #[test]
    fn feature_columns_by_name() {
        let model = vec!["b".to_string(), "a".to_string()];
        let header = vec!["a".to_string(), "x".to_string(), "b".to_string()];
        assert_eq!(feature_columns(&model, &header).unwrap(), [2, 0]);
        let err = feature_columns(&["zz".to_string()], &header).unwrap_err();
        assert!(matches!(err, Error::UnknownColumn { ref name, .. } if name == "zz"));
    }

    /// A feature matches its column by name, or by LightGBM's renaming of spaces to
    /// underscores when no column has its name; two columns that rename alike match neither.
    #[test]
    fn feature_columns_match_lightgbm_names() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let header = h(&[
            "Income",
            "CD Account",
            "Securities_Account",
            "Securities Account",
        ]);
        let got = feature_columns(&h(&["CD_Account", "Income", "Securities_Account"]), &header);
        assert_eq!(got.unwrap(), vec![1, 0, 2]);
        let twice = h(&["a b", "a_b c", "a b_c"]);
        assert!(matches!(
            feature_columns(&h(&["a_b_c"]), &twice),
            Err(Error::UnknownColumn { .. })
        ));
        assert_eq!(feature_columns(&h(&["a_b"]), &twice).unwrap(), vec![0]);
    }
}
