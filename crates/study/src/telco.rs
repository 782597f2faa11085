//! Study 004: prepaid-telco churn. Clean, segment (elbow → k-means), explain the segments
//! with a GBDT on the cluster labels and TreeSHAP, predict churn (GBDT and a logistic
//! baseline), tier customers by retention probability and plan one campaign per segment.

use cartera_core::{Error, Result};
use cartera_gbdt::explain::{ClusterImportance, cluster_importance};
use cartera_gbdt::shap::TreeShap;
use cartera_gbdt::{GbdtParams, Objective};
use cartera_kmeans::{ElbowCurve, KMeansParams, elbow};
use cartera_preprocess::clean::{drop_duplicates, replace_sentinel};
use cartera_preprocess::impute::{ImputeStrategy, SimpleImputer};
use cartera_preprocess::outliers::{IqrOutliers, own_range};
use cartera_preprocess::pca::Pca;
use cartera_preprocess::scale::{MinMaxScaler, ScalerKind};
use cartera_preprocess::split::stratified_split;
use cartera_preprocess::{ColumnType, Table};
use cartera_scoring::Groups;
use cartera_scoring::bands::{BandRule, assign_bands};
use cartera_scoring::profile::{ProfileTable, profile};
use cartera_scoring::tiers::{RiskTier, TierBounds, TierTable, risk_tiers};
use cartera_silhouette::SilhouetteParams;
use ndarray::{Array1, Axis};
use serde::{Deserialize, Serialize};

use crate::common::{self, CampaignList};
use crate::models::{self, ModelQuality};
use crate::roles::{self, Role};
use crate::{Context, plots};

/// The sentinel of the source's recharge-frequency column.
const SENTINEL_COLUMN: &str = "DIAS_FRECUENCIA_RECARGA";
/// Rows the elbow curve is computed on (a sample: the curve's shape, not its scale, matters).
const ELBOW_ROWS: usize = 20_000;
/// Rows of the exact silhouette estimate.
const SILHOUETTE_ROWS: usize = 4_000;
/// Rows the cluster-label GBDT is fitted on.
const CLUSTER_MODEL_ROWS: usize = 20_000;
/// Rows explained with TreeSHAP.
const SHAP_ROWS: usize = 2_000;
/// Boosting rounds of the cluster-label GBDT.
const CLUSTER_MODEL_ROUNDS: usize = 40;
/// Most boosting rounds of the churn GBDT (early stopping usually ends it sooner).
const CHURN_ROUNDS: usize = 150;

/// What the cleaning steps did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelcoCleaning {
    /// Rows read.
    pub rows_in: usize,
    /// Exact duplicate rows removed.
    pub duplicates_removed: usize,
    /// Sentinel values (9999) turned into missing values.
    pub sentinels_replaced: usize,
    /// Identifier column left out of every model.
    pub id_column: Option<String>,
    /// Categorical columns left out of the clustering (used by the churn model).
    pub categorical_left_out: Vec<String>,
    /// Rows outside the IQR fences of a clustering feature, left out of the k-means fit (they
    /// still get the nearest segment).
    pub outlier_rows: usize,
}

/// One segment: its name, size, risk tiers and campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelcoSegment {
    /// Cluster index (k-means label).
    pub cluster: usize,
    /// Name given from the profile.
    pub name: String,
    /// Customers.
    pub size: usize,
    /// What sets the segment apart, in words (the features furthest from the average).
    pub description: String,
    /// Customers per risk tier: Low, Moderate, High, Critical.
    pub tiers: [u64; 4],
    /// Mean churn probability.
    pub mean_churn_probability: f64,
    /// The campaign message for the segment.
    pub campaign: String,
    /// Channel of the campaign.
    pub channel: String,
}

/// Mean churn probability of one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreChurn {
    /// Store label.
    pub store: String,
    /// Customers.
    pub customers: u64,
    /// Mean churn probability.
    pub mean_churn_probability: f64,
}

/// Figures of the telco churn study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TelcoReport {
    /// What cleaning did.
    pub cleaning: TelcoCleaning,
    /// Features the segments were found on.
    pub cluster_features: Vec<String>,
    /// Inertia per k and the knee.
    pub elbow: ElbowCurve,
    /// The k used (the knee, or 4 when the curve has none).
    pub k: usize,
    /// Mean silhouette (estimated on a sample of the clustered rows, min-max scale).
    pub silhouette: f64,
    /// Standard error of the silhouette estimate.
    pub silhouette_std_error: f64,
    /// Adjusted Rand index against the generator's latent groups (generated input only).
    pub adjusted_rand_index: Option<f64>,
    /// Segments in cluster order.
    pub segments: Vec<TelcoSegment>,
    /// Per-segment statistics of the clustering features.
    pub profiles: ProfileTable,
    /// Per-segment features ranked by mean |SHAP| of the cluster-label GBDT.
    pub segment_shap: Vec<ClusterImportance>,
    /// Held-out accuracy of the cluster-label GBDT (how well the segments can be explained).
    pub segment_model_accuracy: f64,
    /// Churn GBDT on the held-out 30 %.
    pub churn_gbdt: ModelQuality,
    /// Logistic-regression baseline on the same rows.
    pub churn_logistic: ModelQuality,
    /// Features of the churn models.
    pub churn_features: Vec<String>,
    /// Risk tiers per segment (total row: everyone).
    pub tiers: TierTable,
    /// Mean churn probability per store, highest first.
    pub stores: Vec<StoreChurn>,
}

/// Per-customer results, in the cleaned table's row order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TelcoCustomers {
    pub ids: Vec<String>,
    pub segment: Vec<usize>,
    pub churn_probability: Vec<f64>,
    pub tier: Vec<RiskTier>,
}

/// The segment names of the source study and what each is told.
const SEGMENT_CAMPAIGNS: [(&str, &str, &str); 4] = [
    (
        "prodigious rechargers",
        "Recharge bonus: extra credit on every top-up above S/ 30 this month",
        "app push",
    ),
    (
        "cautious rechargers",
        "Small top-up bundles and a reminder before the balance runs out",
        "SMS",
    ),
    (
        "global communicators",
        "International minutes and roaming pack at a loyalty price",
        "email",
    ),
    (
        "standard users",
        "Data bundle upgrade with the first month free",
        "SMS",
    ),
];

fn campaign_of(name: &str) -> (&'static str, &'static str) {
    SEGMENT_CAMPAIGNS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(
            ("Personalised offer from the segment's profile", "SMS"),
            |(_, c, ch)| (*c, *ch),
        )
}

/// Mean relative mean (segment mean / overall mean) over the listed features present.
fn relative(p: &ProfileTable, segment: usize, features: &[&str]) -> Option<f64> {
    let f = &p.segments[segment].features;
    let vals: Vec<f64> = f
        .iter()
        .filter(|s| features.contains(&s.feature.as_str()) && s.relative_mean.is_finite())
        .map(|s| s.relative_mean)
        .collect();
    (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
}

/// Name the segments from their profiles, by rules on the source's columns (never by cluster
/// index): the most international → global communicators; of the rest, the most recharges
/// → prodigious rechargers; the fewest → cautious rechargers; the one closest to average →
/// standard users. A rule whose columns are absent, or whose segment is not clearly apart,
/// names nothing; unnamed segments are `segment N`.
pub(crate) fn name_segments(p: &ProfileTable) -> Vec<String> {
    let k = p.segments.len();
    let mut names: Vec<Option<String>> = vec![None; k];
    let intl = [
        "MIN_LLAMADAS_INTERNACIONALES",
        "NUM_LLAMADAS_INTERNACIONALES",
        "GASTO_INTERNACIONAL",
        "DIAS_ROAMING",
    ];
    let recharges = ["NUM_RECARGAS_M1", "NUM_RECARGAS_M2", "NUM_RECARGAS_M3"];
    let pick =
        |names: &Vec<Option<String>>, feats: &[&str], highest: bool| -> Option<(usize, f64)> {
            (0..k)
                .filter(|&c| names[c].is_none())
                .filter_map(|c| relative(p, c, feats).map(|r| (c, r)))
                .max_by(|a, b| {
                    let o = a.1.total_cmp(&b.1);
                    if highest { o } else { o.reverse() }
                })
        };
    if let Some((c, r)) = pick(&names, &intl, true)
        && r > 1.5
    {
        names[c] = Some("global communicators".into());
    }
    if let Some((c, r)) = pick(&names, &recharges, true)
        && r > 1.2
    {
        names[c] = Some("prodigious rechargers".into());
    }
    if let Some((c, r)) = pick(&names, &recharges, false)
        && r < 0.8
    {
        names[c] = Some("cautious rechargers".into());
    }
    // Standard users: the unnamed segment whose profile is closest to the average customer.
    let closest = (0..k).filter(|&c| names[c].is_none()).min_by(|&a, &b| {
        let dist = |c: usize| -> f64 {
            p.segments[c]
                .features
                .iter()
                .filter(|f| f.relative_mean.is_finite())
                .map(|f| (f.relative_mean - 1.0).abs())
                .sum()
        };
        dist(a).total_cmp(&dist(b))
    });
    if let Some(c) = closest
        && names.iter().any(Option::is_some)
    {
        names[c] = Some("standard users".into());
    }
    names
        .into_iter()
        .enumerate()
        .map(|(c, n)| n.unwrap_or_else(|| format!("segment {}", c + 1)))
        .collect()
}

/// The features furthest from average in a segment, in words.
pub(crate) fn describe_segment(p: &ProfileTable, segment: usize) -> String {
    let mut f: Vec<(&str, f64)> = p.segments[segment]
        .features
        .iter()
        .filter(|s| s.relative_mean.is_finite() && s.relative_mean > 0.0)
        .map(|s| (s.feature.as_str(), s.relative_mean))
        .collect();
    f.sort_by(|a, b| b.1.ln().abs().total_cmp(&a.1.ln().abs()).then(a.0.cmp(b.0)));
    let parts: Vec<String> = f
        .iter()
        .take(3)
        .map(|(name, r)| format!("{name} {:.1}x average", r))
        .collect();
    format!(
        "{} customers ({:.1} %); {}",
        p.segments[segment].size,
        100.0 * p.segments[segment].share,
        parts.join(", ")
    )
}

/// Run the study on `table` (generated or the user's). `groups`: the generator's latent
/// groups, for the adjusted Rand index.
pub(crate) fn run(
    cx: &mut Context<'_>,
    table: Table,
    groups: Option<Vec<usize>>,
) -> Result<(TelcoReport, TelcoCustomers, Vec<CampaignList>)> {
    let params = cx.params;
    let roles = &params.roles;
    let seed = params.seed;
    let id = roles.column(&table, Role::Id, Some("IMEI"))?;
    let target = roles::required(roles, &table, Role::Target, "CHURN")?;
    let store = roles::required(roles, &table, Role::Store, "TIENDA")?;
    let user_features = roles.features(&table)?;
    let rows_in = table.n_rows();

    // --- cleaning -----------------------------------------------------------------------
    let (mut table, dup) = cx.step("dropping duplicate rows", || drop_duplicates(&table))?;
    let groups = groups.map(|g| dup.kept_rows.iter().map(|&i| g[i]).collect::<Vec<usize>>());
    let sentinels_replaced = if table.column_type(SENTINEL_COLUMN).ok() == Some(ColumnType::Numeric)
    {
        replace_sentinel(&mut table, SENTINEL_COLUMN, "9999")?
    } else {
        0
    };
    let (y, classes) = common::study_target(cx, &table, &target)?;
    let store_groups = common::store_groups(&table, &store)?;
    let ids = common::customer_ids(&table, id.as_deref())?;
    let exclude: Vec<&str> = [Some(target.as_str()), id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    // Model features: numeric and categorical (never text, the ID or the target). The store is
    // one of them: where a customer signed up says something about churn.
    let model_features: Vec<String> = match &user_features {
        Some(f) => f.clone(),
        None => table
            .names()
            .iter()
            .filter(|n| !exclude.contains(&n.as_str()))
            .filter(|n| table.column_type(n).ok() != Some(ColumnType::Text))
            .cloned()
            .collect(),
    };
    let (cluster_features, categorical_left_out): (Vec<String>, Vec<String>) = model_features
        .iter()
        .filter(|&n| *n != store)
        .cloned()
        .partition(|n| table.column_type(n).ok() == Some(ColumnType::Numeric));
    if cluster_features.is_empty() {
        return Err(Error::empty("set of numeric features to cluster on"));
    }
    let n = table.n_rows();

    // --- segmentation -------------------------------------------------------------------
    let refs: Vec<&str> = cluster_features.iter().map(String::as_str).collect();
    let raw = table.to_array::<f64>(&refs)?;
    let (scaled, inliers, flags) = cx.step("IQR outliers and min-max scaling", || {
        // Missing values (the sentinel, a missing balance) take the median so every customer
        // can be placed in a segment; the fences and the scale come from complete rows.
        let filled = SimpleImputer::new()
            .strategy(ImputeStrategy::Median)
            .fit_transform(raw.view())?
            .1;
        // Flags (at most two values, such as SeniorCitizen 0/1) have Q1 = Q3; `IqrOutliers`
        // fences them at their own range, so no senior customer is an outlier. Named in a note.
        let flags: Vec<String> = (0..filled.ncols())
            .filter(|&j| own_range(filled.column(j).iter().copied()).is_some())
            .map(|j| refs[j].to_string())
            .collect();
        let mask = IqrOutliers::new()
            .fit(filled.view())?
            .inlier_mask(filled.view())?;
        let inliers: Vec<usize> = (0..n).filter(|&i| mask[i]).collect();
        if inliers.len() < 10 {
            return Err(Error::TooFewSamples {
                what: "rows inside the IQR fences of every clustering feature".into(),
                needed: 10,
                found: inliers.len(),
            });
        }
        let scaler = MinMaxScaler::new().fit(filled.select(Axis(0), &inliers).view())?;
        Ok((scaler.transform(filled.view())?, inliers, flags))
    })?;
    if !flags.is_empty() {
        cx.notes.push(format!(
            "{} take{} two values at most and no part in the IQR outlier fences (the fences \
             would call every minority value an outlier)",
            flags.join(", "),
            if flags.len() == 1 { "s" } else { "" }
        ));
    }
    let inlier_x = scaled.select(Axis(0), &inliers);
    let elbow_rows = common::sample_rows(inliers.len(), ELBOW_ROWS, seed);
    let elbow_x = inlier_x.select(Axis(0), &elbow_rows);
    let max_k = 8.min(elbow_x.nrows().saturating_sub(1)).max(2);
    let ks: Vec<usize> = (1..=max_k).collect();
    let curve = cx.step("elbow curve (k = 1..8)", || {
        elbow(
            elbow_x.view(),
            &ks,
            &KMeansParams::default().n_init(3).seed(seed),
        )
    })?;
    let k = curve.knee.unwrap_or(4.min(max_k));
    let kmeans = cx.step("k-means on the clustering rows", || {
        KMeansParams::new(k)
            .n_init(3)
            .seed(seed)
            .fit(inlier_x.view())
    })?;
    let labels: Vec<usize> = kmeans.predict(scaled.view())?.to_vec();
    let sil = cx.step("silhouette", || {
        let lab: Vec<usize> = inliers.iter().map(|&i| labels[i]).collect();
        SilhouetteParams::new()
            .sample_size(Some(SILHOUETTE_ROWS.min(inliers.len())))
            .seed(seed)
            .evaluate(inlier_x.view(), &lab[..])
    })?;
    let ari = groups
        .as_ref()
        .map(|g| cartera_silhouette::adjusted_rand_index(g, &labels))
        .transpose()?;

    let profiles = cx.step("segment profiles", || {
        let cols: Vec<(&str, &[f64])> = cluster_features
            .iter()
            .map(|name| {
                let v = table
                    .column(name)?
                    .as_numeric()
                    .ok_or_else(|| Error::ColumnType {
                        name: name.clone(),
                        expected: "numeric".into(),
                        found: "another type".into(),
                    })?;
                Ok((name.as_str(), v))
            })
            .collect::<Result<_>>()?;
        let g = Groups::from_codes(
            labels.iter().map(|&l| l as u32).collect(),
            (0..k).map(|c| format!("cluster {c}")).collect(),
        )?;
        profile(&cols, &g, Some(&y))
    })?;
    let names = name_segments(&profiles);
    // Every file names the segments alike (the profiles were taken before the names).
    let mut profiles = profiles;
    profiles.rename_segments(&names)?;

    // --- explaining the segments --------------------------------------------------------
    let (segment_shap, segment_model_accuracy, beeswarm) =
        cx.step("explaining segments (GBDT + TreeSHAP)", || {
            let rows = common::sample_rows(inliers.len(), CLUSTER_MODEL_ROWS, seed ^ 1);
            let rows: Vec<usize> = rows.iter().map(|&r| inliers[r]).collect();
            let lab: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
            let split = stratified_split(&lab, 0.2, seed)?;
            let x = raw.select(Axis(0), &rows);
            let xt = x.select(Axis(0), &split.train);
            let yt = Array1::from_iter(split.train.iter().map(|&i| lab[i] as f64));
            let model = GbdtParams::new()
                .objective(Objective::Multiclass { n_classes: k })
                .n_estimators(CLUSTER_MODEL_ROUNDS)
                .num_leaves(15)
                .feature_names(Some(cluster_features.clone()))
                .seed(seed)
                .fit(xt.view(), yt.view())?;
            let xv = x.select(Axis(0), &split.valid);
            let pred = model.predict(xv.view())?;
            let hits = split
                .valid
                .iter()
                .zip(pred.iter())
                .filter(|(i, p)| lab[**i] as f64 == **p)
                .count();
            let accuracy = hits as f64 / split.valid.len().max(1) as f64;
            let explain: Vec<usize> = split.valid.iter().copied().take(SHAP_ROWS).collect();
            let xs = x.select(Axis(0), &explain);
            let shap = TreeShap::new(model.ensemble())?.shap_values(xs.view())?;
            let member: Vec<usize> = explain.iter().map(|&i| lab[i]).collect();
            let table = cluster_importance(&shap, Some(&member), Some(&names), Some(10))?;
            let mut beeswarm = Vec::new();
            for c in 0..k {
                beeswarm.push(shap.contributions(c).to_owned());
            }
            Ok((table, accuracy, (xs, beeswarm)))
        })?;

    // --- churn --------------------------------------------------------------------------
    let x_model = common::tree_matrix(&table, &model_features)?;
    let y_idx: Vec<usize> = y.iter().map(|&b| usize::from(b)).collect();
    let split = stratified_split(&y_idx, 0.3, seed)?;
    let y_train: Vec<bool> = split.train.iter().map(|&i| y[i]).collect();
    let y_valid: Vec<bool> = split.valid.iter().map(|&i| y[i]).collect();
    let (gbdt, churn_gbdt) = cx.step("churn GBDT", || {
        let xt = models::rows_of(&x_model, &split.train);
        let xv = models::rows_of(&x_model, &split.valid);
        let m = models::fit_gbdt(
            &xt,
            &y_train,
            &xv,
            &y_valid,
            &model_features,
            CHURN_ROUNDS,
            seed,
        )?;
        let p = models::positive_proba(&m, &xv)?;
        let q = models::gbdt_quality(&m, split.train.len(), &y_valid, &p, &classes)?;
        Ok((m, q))
    })?;
    let churn_logistic = cx.step("churn logistic baseline", || {
        let refs: Vec<&str> = model_features.iter().map(String::as_str).collect();
        let ft = table.select(&refs)?;
        let (p, fitted) = models::logistic_baseline(
            &ft,
            &split.train,
            &split.valid,
            &y_train,
            ScalerKind::Robust,
            seed,
        )?;
        models::quality("logistic", fitted, &y_valid, &p, &classes)
    })?;
    let churn_probability = cx.step("scoring every customer", || {
        models::positive_proba(&gbdt, &x_model)
    })?;
    let retention: Vec<f64> = churn_probability.iter().map(|p| 1.0 - p).collect();
    let bounds = TierBounds::default();
    let segment_groups =
        Groups::from_codes(labels.iter().map(|&l| l as u32).collect(), names.clone())?;
    let tiers = risk_tiers(&retention, Some(&segment_groups), bounds)?;
    let by_store = risk_tiers(&retention, Some(&store_groups), bounds)?;
    let mut stores: Vec<StoreChurn> = by_store
        .rows
        .iter()
        .map(|r| StoreChurn {
            store: r.group.clone(),
            customers: r.total,
            mean_churn_probability: r.mean_churn_probability,
        })
        .collect();
    stores.sort_by(|a, b| {
        b.mean_churn_probability
            .total_cmp(&a.mean_churn_probability)
            .then(a.store.cmp(&b.store))
    });
    let tier: Vec<RiskTier> = retention.iter().map(|&r| bounds.tier(r)).collect();

    // --- campaigns ----------------------------------------------------------------------
    let sizes = common::counts(&labels, k);
    let segments: Vec<TelcoSegment> = (0..k)
        .map(|c| {
            let (campaign, channel) = campaign_of(&names[c]);
            let r = &tiers.rows[c];
            TelcoSegment {
                cluster: c,
                name: names[c].clone(),
                size: sizes[c],
                description: describe_segment(&profiles, c),
                tiers: [r.low, r.moderate, r.high, r.critical],
                mean_churn_probability: r.mean_churn_probability,
                campaign: campaign.to_string(),
                channel: channel.to_string(),
            }
        })
        .collect();
    // Band 1 = the fifth of customers most likely to leave.
    let bands = assign_bands(&churn_probability, &BandRule::Quantiles(5))?;
    let lists = common::campaign_lists(&ids, &labels, &names, |i| {
        let (campaign, channel) = campaign_of(&names[labels[i]]);
        match tier[i] {
            RiskTier::Critical => (
                format!("retention call: {campaign}"),
                "call centre".into(),
                Some(bands[i]),
            ),
            RiskTier::High => (
                format!("retention: {campaign}"),
                channel.into(),
                Some(bands[i]),
            ),
            RiskTier::Moderate | RiskTier::Low => {
                (campaign.to_string(), channel.into(), Some(bands[i]))
            }
        }
    });

    // --- plots --------------------------------------------------------------------------
    cx.svg("elbow.svg", || {
        plots::elbow(&curve.ks, &curve.inertias, curve.knee)
    })?;
    let sil_labels = sil.sample_labels().to_vec();
    cx.svg("silhouette.svg", || {
        plots::silhouette(sil.samples(), &sil_labels, &names)
    })?;
    if cx.writing() {
        // First two principal components of a sample of the clustered rows.
        let rows = common::sample_rows(inliers.len(), 3_000, seed ^ 2);
        let xs = inlier_x.select(Axis(0), &rows);
        let (_, pcs) = Pca::new()
            .n_components(2.min(xs.ncols()))
            .fit_transform(xs.view())?;
        let lab: Vec<usize> = rows.iter().map(|&r| labels[inliers[r]]).collect();
        let second = if pcs.ncols() > 1 {
            pcs.column(1).to_vec()
        } else {
            vec![0.0; pcs.nrows()]
        };
        cx.svg("segments_scatter.svg", || {
            plots::scatter(
                &pcs.column(0).to_vec(),
                &second,
                &lab,
                &names,
                "PC 1",
                "PC 2",
            )
        })?;
    }
    let tier_names: Vec<String> = RiskTier::ALL.iter().map(|t| t.name().to_string()).collect();
    let tier_counts: Vec<Vec<usize>> = segments
        .iter()
        .map(|s| s.tiers.iter().map(|&c| c as usize).collect())
        .collect();
    cx.svg("risk_tiers.svg", || {
        plots::stacked_tiers(&names, &tier_names, &tier_counts)
    })?;
    let (xs, swarm) = &beeswarm;
    for (c, shap_c) in swarm.iter().enumerate() {
        let feats: Vec<String> = cluster_features.clone();
        let mean_abs: Vec<f64> = shap_c
            .columns()
            .into_iter()
            .map(|col| col.iter().map(|v| v.abs()).sum::<f64>() / col.len().max(1) as f64)
            .collect();
        let slug = common::slug(&names[c]);
        cx.svg(&format!("shap_bar_{slug}.svg"), || {
            plots::shap_bar(&feats, &mean_abs, 10)
        })?;
        cx.svg(&format!("shap_beeswarm_{slug}.svg"), || {
            plots::shap_beeswarm(&feats, shap_c.view(), xs.view(), 10)
        })?;
    }

    let report = TelcoReport {
        cleaning: TelcoCleaning {
            rows_in,
            duplicates_removed: dup.removed,
            sentinels_replaced,
            id_column: id.clone(),
            categorical_left_out,
            outlier_rows: n - inliers.len(),
        },
        cluster_features,
        elbow: curve,
        k,
        silhouette: sil.score(),
        silhouette_std_error: sil.std_error(),
        adjusted_rand_index: ari,
        segments,
        profiles,
        segment_shap,
        segment_model_accuracy,
        churn_gbdt,
        churn_logistic,
        churn_features: model_features,
        tiers,
        stores,
    };
    let customers = TelcoCustomers {
        ids,
        segment: labels,
        churn_probability,
        tier,
    };
    Ok((report, customers, lists))
}

/// Write the study's tables: segments, profiles, SHAP per segment, churn metrics, tiers, churn
/// per store and the per-customer look-up table.
pub(crate) fn write(cx: &mut Context<'_>, r: &TelcoReport, c: &TelcoCustomers) -> Result<()> {
    if !cx.writing() {
        return Ok(());
    }
    use cartera_preprocess::{Column, TextColumn};
    let text = |v: Vec<String>| {
        Column::Text(TextColumn::from_options(
            &v.into_iter().map(Some).collect::<Vec<_>>(),
        ))
    };
    let num = |v: Vec<f64>| Column::Numeric(v);
    let s = &r.segments;
    let segments = Table::from_columns(vec![
        (
            "cluster".into(),
            num(s.iter().map(|x| x.cluster as f64).collect()),
        ),
        (
            "segment".into(),
            text(s.iter().map(|x| x.name.clone()).collect()),
        ),
        (
            "customers".into(),
            num(s.iter().map(|x| x.size as f64).collect()),
        ),
        (
            "low".into(),
            num(s.iter().map(|x| x.tiers[0] as f64).collect()),
        ),
        (
            "moderate".into(),
            num(s.iter().map(|x| x.tiers[1] as f64).collect()),
        ),
        (
            "high".into(),
            num(s.iter().map(|x| x.tiers[2] as f64).collect()),
        ),
        (
            "critical".into(),
            num(s.iter().map(|x| x.tiers[3] as f64).collect()),
        ),
        (
            "mean_churn_probability".into(),
            num(s.iter().map(|x| x.mean_churn_probability).collect()),
        ),
        (
            "description".into(),
            text(s.iter().map(|x| x.description.clone()).collect()),
        ),
        (
            "campaign".into(),
            text(s.iter().map(|x| x.campaign.clone()).collect()),
        ),
        (
            "channel".into(),
            text(s.iter().map(|x| x.channel.clone()).collect()),
        ),
    ])?;
    cx.csv("segments.csv", &segments)?;
    cx.csv("segment_profiles.csv", &r.profiles.to_table())?;
    let mut rows: (Vec<String>, Vec<String>, Vec<f64>, Vec<f64>) = Default::default();
    for ci in &r.segment_shap {
        for f in &ci.features {
            rows.0.push(ci.name.clone());
            rows.1.push(f.feature.clone());
            rows.2.push(f.mean_abs_shap);
            rows.3.push(f.mean_shap_members.unwrap_or(f64::NAN));
        }
    }
    cx.csv(
        "segment_shap.csv",
        &Table::from_columns(vec![
            ("segment".into(), text(rows.0)),
            ("feature".into(), text(rows.1)),
            ("mean_abs_shap".into(), num(rows.2)),
            ("mean_shap_members".into(), num(rows.3)),
        ])?,
    )?;
    cx.json("elbow.json", &r.elbow)?;
    cx.json(
        "churn_model.json",
        &serde_json::json!({"gbdt": r.churn_gbdt, "logistic": r.churn_logistic, "features": r.churn_features}),
    )?;
    cx.csv("risk_tiers.csv", &r.tiers.to_table())?;
    cx.csv(
        "churn_by_store.csv",
        &Table::from_columns(vec![
            (
                "store".into(),
                text(r.stores.iter().map(|x| x.store.clone()).collect()),
            ),
            (
                "customers".into(),
                num(r.stores.iter().map(|x| x.customers as f64).collect()),
            ),
            (
                "mean_churn_probability".into(),
                num(r.stores.iter().map(|x| x.mean_churn_probability).collect()),
            ),
        ])?,
    )?;
    cx.csv(
        "customers.csv",
        &Table::from_columns(vec![
            ("customer_id".into(), text(c.ids.clone())),
            (
                "segment".into(),
                text(c.segment.iter().map(|&l| s[l].name.clone()).collect()),
            ),
            ("churn_probability".into(), num(c.churn_probability.clone())),
            (
                "risk_tier".into(),
                text(c.tier.iter().map(|t| t.name().to_string()).collect()),
            ),
        ])?,
    )?;
    Ok(())
}
