//! Studies 001 and 003: bank customer segmentation. Mean imputation, outliers kept, one-hot
//! categories and standard scaling, PCA, k searched in 3..6 by the elbow and the silhouette,
//! segments joined back to the rows and profiled with their conversion rate.

use cartera_core::{Error, Result};
use cartera_kmeans::{ElbowCurve, KMeansParams, elbow};
use cartera_preprocess::impute::ImputeStrategy;
use cartera_preprocess::pca::Pca;
use cartera_preprocess::pipeline::PrepConfig;
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::{Column, ColumnType, Table, TextColumn};
use cartera_scoring::Groups;
use cartera_scoring::profile::{ProfileTable, profile};
use cartera_silhouette::SilhouetteParams;
use ndarray::Axis;
use serde::{Deserialize, Serialize};

use crate::common::{self, CampaignList};
use crate::roles::Role;
use crate::{Context, plots};

/// The candidate numbers of segments (study 003).
const KS: [usize; 4] = [3, 4, 5, 6];
/// Rows the silhouette of each candidate is estimated on.
const SILHOUETTE_ROWS: usize = 3_000;
/// Share of variance the principal components keep.
const PCA_VARIANCE: f64 = 0.9;
/// Demographic (age, education, marital status) and financial (yearly balance, loans) columns
/// of study 001, used when no features are mapped.
const DEFAULT_FEATURES: [&str; 5] = ["age", "education", "marital", "balance", "loan"];
/// The k range of the elbow curve (its knee needs points on both sides of the bend).
const ELBOW_KS: [usize; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// How k was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KChoice {
    /// Inertia for k = 1..8 and Kneedle's knee.
    pub elbow: ElbowCurve,
    /// The knee, if the curve has one.
    pub elbow_knee: Option<usize>,
    /// The candidates, 3..6.
    pub ks: Vec<usize>,
    /// Mean silhouette of each candidate (same sample of rows).
    pub silhouettes: Vec<f64>,
    /// The candidate with the highest silhouette (ties: the smaller k).
    pub best_silhouette_k: usize,
}

/// One bank segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankSegment {
    /// Cluster index.
    pub cluster: usize,
    /// Name from the profile (its most distinctive features).
    pub name: String,
    /// Customers.
    pub size: usize,
    /// Share of customers who took the product (the target), NaN without a target.
    pub conversion_rate: f64,
    /// Offer for the segment's campaign.
    pub offer: String,
    /// Channel of the campaign.
    pub channel: String,
}

/// Figures of the bank segmentation study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankReport {
    /// Columns segmented on (before one-hot encoding).
    pub features: Vec<String>,
    /// Principal components kept (90 % of the variance).
    pub pca_components: usize,
    /// Explained variance ratio of each kept component.
    pub explained_variance_ratio: Vec<f64>,
    /// The k search.
    pub choice: KChoice,
    /// The k used: the best silhouette among 3..6.
    pub k: usize,
    /// Mean silhouette of the final segments (sample of rows, PCA space).
    pub silhouette: f64,
    /// Overall conversion rate (NaN without a target).
    pub overall_conversion: f64,
    /// Segments in cluster order.
    pub segments: Vec<BankSegment>,
    /// Per-segment statistics of the numeric columns, with the conversion rate.
    pub profiles: ProfileTable,
}

/// Name each segment by its two features of `among` (all profiled features when none of them
/// is profiled) furthest from average (`older`, `high balance`, …); repeated names get a
/// number.
pub(crate) fn name_segments(p: &ProfileTable, among: &[String]) -> Vec<String> {
    let use_all = !p
        .overall
        .features
        .iter()
        .any(|f| among.contains(&f.feature));
    let mut names: Vec<String> = p
        .segments
        .iter()
        .map(|s| {
            let mut f: Vec<(&str, f64)> = s
                .features
                .iter()
                .filter(|x| x.relative_mean.is_finite() && x.relative_mean > 0.0)
                .filter(|x| use_all || among.contains(&x.feature))
                .map(|x| (x.feature.as_str(), x.relative_mean.ln()))
                .collect();
            f.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
            let words: Vec<String> = f
                .iter()
                .take(2)
                .map(|(name, l)| match (*name, *l > 0.0) {
                    ("age", true) => "older".to_string(),
                    ("age", false) => "younger".to_string(),
                    (n, true) => format!("high {n}"),
                    (n, false) => format!("low {n}"),
                })
                .collect();
            if words.is_empty() {
                "segment".to_string()
            } else {
                words.join(", ")
            }
        })
        .collect();
    let repeated: Vec<bool> = (0..names.len())
        .map(|i| names.iter().filter(|n| **n == names[i]).count() > 1)
        .collect();
    for (i, r) in repeated.iter().enumerate() {
        if *r {
            names[i] = format!("{} ({})", names[i], i + 1);
        }
    }
    names
}

pub(crate) fn run(
    cx: &mut Context<'_>,
    table: Table,
) -> Result<(BankReport, Vec<CampaignList>, crate::report::Customers)> {
    let params = cx.params;
    let roles = &params.roles;
    let seed = params.seed;
    let id = roles.column(&table, Role::Id, None)?;
    // Checked before any model is fitted: the lists and the report need unique IDs.
    let ids = common::customer_ids(&table, id.as_deref())?;
    let target = roles.column(&table, Role::Target, Some("y"))?;
    let outcome = match &target {
        Some(t) => Some(common::binary_target(&table, t, params.positive_class.as_deref())?.0),
        None => {
            cx.notes.push(
                "no target column (`y`, or one mapped with --map target=COLUMN): the segments' \
                 conversion rates are not computed"
                    .to_string(),
            );
            None
        }
    };
    let features: Vec<String> = match roles.features(&table)? {
        Some(f) => f,
        None => {
            let present: Vec<String> = DEFAULT_FEATURES
                .iter()
                .filter(|f| table.index_of(f).is_ok())
                .map(|f| f.to_string())
                .collect();
            if present.is_empty() {
                // None of the study's columns: every numeric column but the target, the ID
                // and any other identifier (a row number would split customers by sign-up
                // order), said in a note since the user did not choose them.
                let ids = cartera_preprocess::clean::find_id_columns(
                    &table,
                    cartera_preprocess::clean::DEFAULT_ID_UNIQUE_RATIO,
                );
                let exclude: Vec<&str> = [target.as_deref(), id.as_deref()]
                    .into_iter()
                    .flatten()
                    .chain(ids.iter().map(|c| c.name.as_str()))
                    .collect();
                let chosen = common::numeric_columns(&table, &exclude);
                let left_out = if ids.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> = ids.iter().map(|c| c.name.as_str()).collect();
                    format!(" (identifier columns left out: {})", names.join(", "))
                };
                // The target advice only while no target is known.
                let target_advice = if target.is_none() {
                    ", and map the outcome with --map target=COLUMN so that it is not \
                     segmented on"
                } else {
                    ""
                };
                cx.notes.push(format!(
                    "none of the study's features is in the input: segmented on every numeric \
                     column, {}{left_out}; choose them with --map features=A,B,C{target_advice}",
                    chosen.join(", ")
                ));
                chosen
            } else {
                present
            }
        }
    };
    if features.is_empty() {
        return Err(Error::empty("set of features to segment on"));
    }
    let refs: Vec<&str> = features.iter().map(String::as_str).collect();
    let x = cx.step("mean imputation, one-hot, scaling and PCA", || {
        let sub = table.select(&refs)?;
        let has_cat = refs
            .iter()
            .any(|n| sub.column_type(n).ok() == Some(ColumnType::Categorical));
        if let Some(text) = refs
            .iter()
            .find(|n| sub.column_type(n).ok() == Some(ColumnType::Text))
        {
            return Err(Error::ColumnType {
                name: text.to_string(),
                expected: "numeric or categorical".into(),
                found: "text".into(),
            });
        }
        // Outliers are kept: in this study extreme balances are customers, not errors.
        let (_, prepared, _) = PrepConfig::new()
            .impute(ImputeStrategy::Mean)
            .scale(ScalerKind::Standard)
            .one_hot(has_cat)
            .fit(&sub)?;
        let names: Vec<&str> = prepared.names().iter().map(String::as_str).collect();
        let z = prepared.to_array::<f64>(&names)?;
        let (pca, proj) = Pca::new()
            .variance_fraction(PCA_VARIANCE)
            .seed(seed)
            .fit_transform(z.view())?;
        Ok((proj, pca.explained_variance_ratio().to_vec()))
    })?;
    let (x, evr) = x;
    let n = x.nrows();
    let sample = common::sample_rows(n, SILHOUETTE_ROWS, seed);
    let xs = x.select(Axis(0), &sample);
    let (curve, silhouettes) = cx.step("k search in 3..6 (elbow and silhouette)", || {
        let base = KMeansParams::default().n_init(3).seed(seed);
        let curve = elbow(x.view(), &ELBOW_KS, &base)?;
        let mut sils = Vec::new();
        for &k in &KS {
            let m = base.clone().n_clusters(k).fit(x.view())?;
            let lab: Vec<usize> = sample.iter().map(|&i| m.labels()[i]).collect();
            sils.push(
                SilhouetteParams::new()
                    .evaluate(xs.view(), &lab[..])?
                    .score(),
            );
        }
        Ok((curve, sils))
    })?;
    let best = (0..KS.len())
        .max_by(|&a, &b| silhouettes[a].total_cmp(&silhouettes[b]).then(b.cmp(&a)))
        .unwrap_or(0);
    let k = KS[best];
    let model = cx.step("final k-means", || {
        KMeansParams::new(k).n_init(10).seed(seed).fit(x.view())
    })?;
    let labels = model.labels().to_vec();
    let sil_sample: Vec<usize> = sample.iter().map(|&i| labels[i]).collect();
    let sil = SilhouetteParams::new().evaluate(xs.view(), &sil_sample[..])?;

    let exclude: Vec<&str> = [target.as_deref(), id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let numeric: Vec<String> = common::numeric_columns(&table, &exclude);
    let g = Groups::from_codes(
        labels.iter().map(|&l| l as u32).collect(),
        (0..k).map(|c| format!("cluster {c}")).collect(),
    )?;
    let cols: Vec<(&str, &[f64])> = numeric
        .iter()
        .filter_map(|f| Some((f.as_str(), table.column(f).ok()?.as_numeric()?)))
        .collect();
    let profiles = profile(&cols, &g, outcome.as_deref())?;
    let names = name_segments(&profiles, &features);
    // Every file names the segments alike (the profiles were taken before the names).
    let mut profiles = profiles;
    profiles.rename_segments(&names)?;
    let overall = profiles.overall.outcome_rate.unwrap_or(f64::NAN);
    let sizes = common::counts(&labels, k);
    let offer_of = |rate: f64| -> (String, String) {
        if rate.is_finite() && rate >= overall {
            (
                "term deposit at a preferential rate".into(),
                "phone call".into(),
            )
        } else {
            ("savings plan awareness".into(), "email".into())
        }
    };
    let segments: Vec<BankSegment> = (0..k)
        .map(|c| {
            let rate = profiles.segments[c].outcome_rate.unwrap_or(f64::NAN);
            let (offer, channel) = offer_of(rate);
            BankSegment {
                cluster: c,
                name: names[c].clone(),
                size: sizes[c],
                conversion_rate: rate,
                offer,
                channel,
            }
        })
        .collect();
    let lists = common::campaign_lists(&ids, &labels, &names, |i| {
        let s = &segments[labels[i]];
        (s.offer.clone(), s.channel.clone(), None)
    });
    let report = BankReport {
        features,
        pca_components: x.ncols(),
        explained_variance_ratio: evr,
        choice: KChoice {
            elbow_knee: curve.knee,
            elbow: curve,
            ks: KS.to_vec(),
            silhouettes,
            best_silhouette_k: k,
        },
        k,
        silhouette: sil.score(),
        overall_conversion: overall,
        segments,
        profiles,
    };
    if cx.writing() {
        let c = &report.choice;
        cx.svg("elbow.svg", || {
            plots::elbow(&c.elbow.ks, &c.elbow.inertias, c.elbow.knee)
        })?;
        let sl = sil.sample_labels().to_vec();
        cx.svg("silhouette.svg", || {
            plots::silhouette(sil.samples(), &sl, &names)
        })?;
        let second = if xs.ncols() > 1 {
            xs.column(1).to_vec()
        } else {
            vec![0.0; xs.nrows()]
        };
        cx.svg("segments_scatter.svg", || {
            plots::scatter(
                &xs.column(0).to_vec(),
                &second,
                &sil_sample,
                &names,
                "PC 1",
                "PC 2",
            )
        })?;
        let text = |v: Vec<String>| {
            Column::Text(TextColumn::from_options(
                &v.into_iter().map(Some).collect::<Vec<_>>(),
            ))
        };
        let s = &report.segments;
        cx.csv(
            "segments.csv",
            &Table::from_columns(vec![
                (
                    "cluster".into(),
                    Column::Numeric(s.iter().map(|x| x.cluster as f64).collect()),
                ),
                (
                    "segment".into(),
                    text(s.iter().map(|x| x.name.clone()).collect()),
                ),
                (
                    "customers".into(),
                    Column::Numeric(s.iter().map(|x| x.size as f64).collect()),
                ),
                (
                    "conversion_rate".into(),
                    Column::Numeric(s.iter().map(|x| x.conversion_rate).collect()),
                ),
                (
                    "offer".into(),
                    text(s.iter().map(|x| x.offer.clone()).collect()),
                ),
                (
                    "channel".into(),
                    text(s.iter().map(|x| x.channel.clone()).collect()),
                ),
            ])?,
        )?;
        cx.csv(
            "k_search.csv",
            &Table::from_columns(vec![
                (
                    "k".into(),
                    Column::Numeric(KS.iter().map(|&k| k as f64).collect()),
                ),
                (
                    "inertia".into(),
                    Column::Numeric(
                        KS.iter()
                            .map(|k| {
                                c.elbow
                                    .ks
                                    .iter()
                                    .position(|e| e == k)
                                    .map_or(f64::NAN, |i| c.elbow.inertias[i])
                            })
                            .collect(),
                    ),
                ),
                ("silhouette".into(), Column::Numeric(c.silhouettes.clone())),
            ])?,
        )?;
        cx.csv("segment_profiles.csv", &report.profiles.to_table())?;
        // The segments joined back to the original rows.
        let mut joined = table.clone();
        let column = if table.index_of("segment").is_ok() {
            "cartera_segment"
        } else {
            "segment"
        };
        joined.push_column(
            column,
            text(labels.iter().map(|&l| names[l].clone()).collect()),
        )?;
        cx.csv("customers_segmented.csv", &joined)?;
    }
    let look_up = crate::report::Customers {
        ids,
        segment: Some(labels.iter().map(|&s| s as u32).collect()),
        score: None,
        tier: None,
    };
    Ok((report, lists, look_up))
}
