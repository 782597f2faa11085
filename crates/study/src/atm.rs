//! Study 002: ATM modernisation. Standard scaling of transaction frequency and amount,
//! k-means with k = 3 (10 restarts, seed 0), segments named from their profiles and one
//! campaign per segment handed to the CRM.

use cartera_core::{Error, Result};
use cartera_kmeans::KMeansParams;
use cartera_preprocess::scale::StandardScaler;
use cartera_preprocess::{Column, Table, TextColumn};
use cartera_scoring::Groups;
use cartera_scoring::profile::{ProfileTable, profile};
use cartera_silhouette::SilhouetteParams;
use serde::{Deserialize, Serialize};

use crate::common::{self, CampaignList};
use crate::roles::Role;
use crate::{Context, plots};

/// The source study's k-means settings.
const K: usize = 3;
const N_INIT: usize = 10;
const KMEANS_SEED: u64 = 0;
/// Largest sample the silhouette is computed on exactly.
const SILHOUETTE_ROWS: usize = 5_000;

/// One ATM usage segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtmSegment {
    /// Cluster index.
    pub cluster: usize,
    /// Name from the profile: regular users, frequent spenders or occasional users.
    pub name: String,
    /// Customers.
    pub size: usize,
    /// Mean of the frequency feature (withdrawals per month).
    pub mean_frequency: f64,
    /// Mean of the amount feature.
    pub mean_amount: f64,
    /// The segment's campaign.
    pub campaign: String,
    /// Channel of the campaign.
    pub channel: String,
}

/// Figures of the ATM study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtmReport {
    /// The two clustering features: frequency, then amount.
    pub features: Vec<String>,
    /// Number of segments (3, as the study).
    pub k: usize,
    /// Total inertia of the fit (standardised units).
    pub inertia: f64,
    /// Mean silhouette (standardised units; exact up to 5,000 rows, else a sample).
    pub silhouette: f64,
    /// Segments in cluster order.
    pub segments: Vec<AtmSegment>,
    /// Per-segment statistics of the features.
    pub profiles: ProfileTable,
}

fn campaign_of(name: &str) -> (&'static str, &'static str) {
    match name {
        "frequent spenders" => (
            "Premium debit card with cash-back on ATM withdrawals",
            "mobile app",
        ),
        "regular users" => ("Bill payments and deposits at the new ATMs", "email"),
        "occasional users" => (
            "Fee-free withdrawals for a month and digital banking onboarding",
            "SMS",
        ),
        _ => ("ATM modernisation news", "email"),
    }
}

/// Name the three segments by their mean frequency: the highest are frequent spenders, the
/// lowest occasional users, the one between regular users.
pub(crate) fn name_segments(mean_frequency: &[f64]) -> Vec<String> {
    let mut order: Vec<usize> = (0..mean_frequency.len()).collect();
    order.sort_by(|&a, &b| {
        mean_frequency[b]
            .total_cmp(&mean_frequency[a])
            .then(a.cmp(&b))
    });
    let mut names = vec![String::new(); mean_frequency.len()];
    for (rank, &c) in order.iter().enumerate() {
        names[c] = if rank == 0 {
            "frequent spenders".into()
        } else if rank + 1 == order.len() {
            "occasional users".into()
        } else if order.len() == 3 {
            "regular users".into()
        } else {
            format!("regular users {rank}")
        };
    }
    names
}

pub(crate) fn run(
    cx: &mut Context<'_>,
    table: Table,
) -> Result<(AtmReport, Vec<CampaignList>, crate::report::Customers)> {
    let params = cx.params;
    let roles = &params.roles;
    let seed = params.seed;
    let id = roles.column(&table, Role::Id, Some("CustomerID"))?;
    // Checked before any model is fitted: the lists and the report need unique IDs.
    let ids = common::customer_ids(&table, id.as_deref())?;
    let features = match roles.features(&table)? {
        Some(f) => f,
        None => vec![
            "TransactionFrequency".to_string(),
            "AverageTransactionAmount".to_string(),
        ],
    };
    if features.len() != 2 {
        return Err(Error::invalid_param(
            "--map",
            format!("features={}", features.join(",")),
            "the ATM study clusters two columns: frequency,amount",
        ));
    }
    for f in &features {
        if table.index_of(f).is_err() {
            return Err(Error::invalid_param(
                "--map",
                format!("features={f}"),
                format!(
                    "the input has no column `{f}`: map the frequency and amount columns with --map features=FREQ,AMOUNT"
                ),
            ));
        }
    }
    common::check_numeric(&table, &features)?;
    let refs: Vec<&str> = features.iter().map(String::as_str).collect();
    let raw = table.to_array::<f64>(&refs)?;
    let (scaled, model) = cx.step("standard scaling and k-means (k = 3, 10 restarts)", || {
        let (_, z) = StandardScaler::new().fit_transform(raw.view())?;
        let m = KMeansParams::new(K)
            .n_init(N_INIT)
            .seed(KMEANS_SEED)
            .fit(z.view())?;
        Ok((z, m))
    })?;
    let labels = model.labels().to_vec();
    let n = labels.len();
    let sil = cx.step("silhouette", || {
        SilhouetteParams::new()
            .sample_size((n > SILHOUETTE_ROWS).then_some(SILHOUETTE_ROWS))
            .seed(seed)
            .evaluate(scaled.view(), &labels[..])
    })?;
    let g = Groups::from_codes(
        labels.iter().map(|&l| l as u32).collect(),
        (0..K).map(|c| format!("cluster {c}")).collect(),
    )?;
    let cols: Vec<(&str, &[f64])> = features
        .iter()
        .map(|f| Ok((f.as_str(), table.column(f)?.as_numeric().unwrap_or(&[]))))
        .collect::<Result<_>>()?;
    let profiles = profile(&cols, &g, None)?;
    let mean_frequency: Vec<f64> = profiles
        .segments
        .iter()
        .map(|s| s.features[0].mean)
        .collect();
    let names = name_segments(&mean_frequency);
    // Every file names the segments alike (the profiles were taken before the names).
    let mut profiles = profiles;
    profiles.rename_segments(&names)?;
    let sizes = common::counts(&labels, K);
    let segments: Vec<AtmSegment> = (0..K)
        .map(|c| {
            let (campaign, channel) = campaign_of(&names[c]);
            AtmSegment {
                cluster: c,
                name: names[c].clone(),
                size: sizes[c],
                mean_frequency: profiles.segments[c].features[0].mean,
                mean_amount: profiles.segments[c].features[1].mean,
                campaign: campaign.into(),
                channel: channel.into(),
            }
        })
        .collect();
    let lists = common::campaign_lists(&ids, &labels, &names, |i| {
        let (c, ch) = campaign_of(&names[labels[i]]);
        (c.to_string(), ch.to_string(), None)
    });
    let report = AtmReport {
        features: features.clone(),
        k: K,
        inertia: model.inertia(),
        silhouette: sil.score(),
        segments,
        profiles,
    };
    if cx.writing() {
        let x: Vec<f64> = raw.column(0).to_vec();
        let y: Vec<f64> = raw.column(1).to_vec();
        cx.svg("segments_scatter.svg", || {
            plots::scatter(&x, &y, &labels, &names, &features[0], &features[1])
        })?;
        let sil_labels = sil.sample_labels().to_vec();
        cx.svg("silhouette.svg", || {
            plots::silhouette(sil.samples(), &sil_labels, &names)
        })?;
        let s = &report.segments;
        let text = |v: Vec<String>| {
            Column::Text(TextColumn::from_options(
                &v.into_iter().map(Some).collect::<Vec<_>>(),
            ))
        };
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
                    "mean_frequency".into(),
                    Column::Numeric(s.iter().map(|x| x.mean_frequency).collect()),
                ),
                (
                    "mean_amount".into(),
                    Column::Numeric(s.iter().map(|x| x.mean_amount).collect()),
                ),
                (
                    "campaign".into(),
                    text(s.iter().map(|x| x.campaign.clone()).collect()),
                ),
                (
                    "channel".into(),
                    text(s.iter().map(|x| x.channel.clone()).collect()),
                ),
            ])?,
        )?;
        cx.csv("segment_profiles.csv", &report.profiles.to_table())?;
        cx.csv(
            "customers.csv",
            &Table::from_columns(vec![
                ("customer_id".into(), text(ids.clone())),
                (
                    "segment".into(),
                    text(labels.iter().map(|&l| names[l].clone()).collect()),
                ),
            ])?,
        )?;
    }
    let look_up = crate::report::Customers {
        ids,
        segment: Some(labels.iter().map(|&s| s as u32).collect()),
        score: None,
        tier: None,
    };
    Ok((report, lists, look_up))
}
