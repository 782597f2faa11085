//! From a study's figures to the HTML report's [`ReportData`](crate::report::ReportData).

use cartera_core::Result;
use cartera_scoring::profile::ProfileTable;

use crate::common::slug;
use crate::report::{self, ClusterPage, Customers, Figure, Metric, ReportData, TableSection};
use crate::{StudyOutcome, StudyReport};

/// A number as the tables show it: whole numbers with thousands separators, others with 3
/// significant decimals.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let s = format!("{}", x.abs() as u64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 { format!("-{out}") } else { out }
    } else {
        format!("{x:.3}")
    }
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1} %", 100.0 * x)
    } else {
        "–".into()
    }
}

fn figure(figures: &[(String, String)], file: &str, title: &str) -> Option<Figure> {
    figures
        .iter()
        .find(|(n, _)| n == file)
        .map(|(_, svg)| Figure {
            title: title.to_string(),
            svg: svg.clone(),
        })
}

fn stats(p: &ProfileTable, segment: usize) -> Vec<report::FeatureStats> {
    p.segments[segment]
        .features
        .iter()
        .zip(&p.overall.features)
        .map(|(f, o)| report::FeatureStats {
            feature: f.feature.clone(),
            mean: f.mean,
            std: f.std,
            min: f.min,
            q1: f.q25,
            median: f.q50,
            q3: f.q75,
            max: f.max,
            overall_mean: o.mean,
        })
        .collect()
}

fn campaign_section(o: &StudyOutcome) -> TableSection {
    TableSection {
        title: "CRM campaign lists".into(),
        note: "One CSV per segment (customer_id, segment, offer, channel, score_band), ready to import.".into(),
        columns: vec!["Segment".into(), "File".into(), "Customers".into()],
        rows: o
            .campaigns
            .iter()
            .map(|c| vec![c.segment.clone(), c.file.clone(), num(c.entries.len() as f64)])
            .collect(),
    }
}

/// Render the report of `outcome`, with the per-customer look-up columns and the charts drawn.
pub(crate) fn render(
    outcome: &StudyOutcome,
    customers: Customers,
    figures: &[(String, String)],
) -> Result<String> {
    let data = match &outcome.report {
        StudyReport::Telco(r) => {
            let clusters = r
                .segments
                .iter()
                .map(|s| {
                    let sl = slug(&s.name);
                    ClusterPage {
                        name: s.name.clone(),
                        description: s.description.clone(),
                        size: s.size,
                        share: s.size as f64 / outcome.n_rows.max(1) as f64,
                        mean_score: Some(s.mean_churn_probability),
                        tier_counts: s.tiers.iter().map(|&c| c as usize).collect(),
                        features: stats(&r.profiles, s.cluster),
                        shap_importance: r.segment_shap[s.cluster]
                            .features
                            .iter()
                            .map(|f| (f.feature.clone(), f.mean_abs_shap))
                            .collect(),
                        figures: [
                            figure(
                                figures,
                                &format!("shap_bar_{sl}.svg"),
                                "Mean |SHAP| of the segment's output",
                            ),
                            figure(figures, &format!("shap_beeswarm_{sl}.svg"), "SHAP beeswarm"),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                        campaign: format!("{} (channel: {})", s.campaign, s.channel),
                    }
                })
                .collect();
            let g = &r.churn_gbdt;
            let l = &r.churn_logistic;
            let c = &r.cleaning;
            ReportData {
                title: "Telco churn (study 004)".into(),
                subtitle: format!("{} customers, {} segments", num(outcome.n_rows as f64), r.k),
                description: format!(
                    "{} rows read; {} exact duplicates removed; {} sentinel values 9999 turned into missing values; \
                     the identifier column left out; {} categorical columns left out of the clustering.\n\n\
                     Segments: min-max scaled numeric columns, {} rows outside the IQR fences left out of the fit; \
                     the elbow of the inertia curve gave k = {}; mean silhouette {:.3}. A GBDT trained on the segment \
                     labels ({:.1} % held-out accuracy) explains each segment with TreeSHAP.\n\n\
                     Churn: a GBDT on every feature reached {:.1} % accuracy and AUC {:.3} on the held-out 30 % \
                     (logistic baseline {:.1} %, AUC {:.3}). Retention probability = 1 − churn probability; \
                     tiers Low > 85 %, Moderate 70–85 %, High 50–70 %, Critical < 50 %.",
                    num(c.rows_in as f64),
                    num(c.duplicates_removed as f64),
                    num(c.sentinels_replaced as f64),
                    c.categorical_left_out.len(),
                    num(c.outlier_rows as f64),
                    r.k,
                    r.silhouette,
                    100.0 * r.segment_model_accuracy,
                    100.0 * g.accuracy,
                    g.auc,
                    100.0 * l.accuracy,
                    l.auc
                ),
                score_name: "churn probability".into(),
                tier_names: ["Low", "Moderate", "High", "Critical"].map(String::from).to_vec(),
                clusters,
                customers,
                quality: vec![
                    Metric { name: "churn GBDT accuracy".into(), value: g.accuracy },
                    Metric { name: "churn GBDT AUC".into(), value: g.auc },
                    Metric { name: format!("precision ({})", g.classes[1]), value: g.precision[1] },
                    Metric { name: format!("recall ({})", g.classes[1]), value: g.recall[1] },
                    Metric { name: format!("precision ({})", g.classes[0]), value: g.precision[0] },
                    Metric { name: format!("recall ({})", g.classes[0]), value: g.recall[0] },
                    Metric { name: "logistic baseline accuracy".into(), value: l.accuracy },
                    Metric { name: "logistic baseline AUC".into(), value: l.auc },
                    Metric { name: "segment model accuracy".into(), value: r.segment_model_accuracy },
                    Metric { name: "mean silhouette".into(), value: r.silhouette },
                ],
                quality_figures: vec![],
                tables: vec![
                    TableSection {
                        title: "Mean churn probability per store".into(),
                        note: "Highest first.".into(),
                        columns: vec!["Store".into(), "Customers".into(), "Mean churn probability".into()],
                        rows: r
                            .stores
                            .iter()
                            .map(|s| vec![s.store.clone(), num(s.customers as f64), pct(s.mean_churn_probability)])
                            .collect(),
                    },
                    TableSection {
                        title: "Campaign per segment".into(),
                        note: "Critical customers are called by the call centre; High ones get the retention version.".into(),
                        columns: vec!["Segment".into(), "Message".into(), "Channel".into()],
                        rows: r
                            .segments
                            .iter()
                            .map(|s| vec![s.name.clone(), s.campaign.clone(), s.channel.clone()])
                            .collect(),
                    },
                    campaign_section(outcome),
                ],
                figures: [
                    figure(figures, "elbow.svg", "Elbow curve"),
                    figure(figures, "silhouette.svg", "Silhouette per segment (sample)"),
                    figure(figures, "segments_scatter.svg", "Segments on the first two principal components"),
                    figure(figures, "risk_tiers.svg", "Risk tiers per segment"),
                ]
                .into_iter()
                .flatten()
                .collect(),
            }
        }
        StudyReport::Bank(r) => ReportData {
            title: "Bank customer segmentation (studies 001 and 003)".into(),
            subtitle: format!("{} customers, {} segments", num(outcome.n_rows as f64), r.k),
            description: format!(
                "Features {}: mean imputation, outliers kept, categories one-hot encoded, standard scaling, \
                 PCA keeping {} components (90 % of the variance). k searched in 3..6: elbow knee {}, \
                 silhouettes {}; k = {} (best silhouette), mean silhouette {:.3}. Overall conversion {}.",
                r.features.join(", "),
                r.pca_components,
                r.choice.elbow_knee.map_or("none".into(), |k| k.to_string()),
                r.choice
                    .silhouettes
                    .iter()
                    .map(|s| format!("{s:.3}"))
                    .collect::<Vec<_>>()
                    .join(" / "),
                r.k,
                r.silhouette,
                pct(r.overall_conversion)
            ),
            score_name: "score".into(),
            tier_names: vec![],
            clusters: r
                .segments
                .iter()
                .map(|s| ClusterPage {
                    name: s.name.clone(),
                    description: format!(
                        "Conversion rate {} (overall {}).",
                        pct(s.conversion_rate),
                        pct(r.overall_conversion)
                    ),
                    size: s.size,
                    share: s.size as f64 / outcome.n_rows.max(1) as f64,
                    mean_score: None,
                    tier_counts: vec![],
                    features: stats(&r.profiles, s.cluster),
                    shap_importance: vec![],
                    figures: vec![],
                    campaign: format!("{} (channel: {})", s.offer, s.channel),
                })
                .collect(),
            customers,
            quality: vec![Metric {
                name: "mean silhouette".into(),
                value: r.silhouette,
            }],
            quality_figures: vec![],
            tables: vec![
                TableSection {
                    title: "Choosing k".into(),
                    note: "Inertia and silhouette for each candidate.".into(),
                    columns: vec!["k".into(), "Inertia".into(), "Silhouette".into()],
                    rows: r
                        .choice
                        .ks
                        .iter()
                        .zip(&r.choice.silhouettes)
                        .map(|(k, s)| {
                            let inertia = r
                                .choice
                                .elbow
                                .ks
                                .iter()
                                .position(|e| e == k)
                                .map_or(f64::NAN, |i| r.choice.elbow.inertias[i]);
                            vec![k.to_string(), num(inertia.round()), format!("{s:.3}")]
                        })
                        .collect(),
                },
                TableSection {
                    title: "Conversion per segment".into(),
                    note: String::new(),
                    columns: vec![
                        "Segment".into(),
                        "Customers".into(),
                        "Conversion".into(),
                        "Offer".into(),
                    ],
                    rows: r
                        .segments
                        .iter()
                        .map(|s| {
                            vec![
                                s.name.clone(),
                                num(s.size as f64),
                                pct(s.conversion_rate),
                                s.offer.clone(),
                            ]
                        })
                        .collect(),
                },
                campaign_section(outcome),
            ],
            figures: [
                figure(figures, "elbow.svg", "Elbow curve (k = 1..8)"),
                figure(figures, "silhouette.svg", "Silhouette per segment (sample)"),
                figure(
                    figures,
                    "segments_scatter.svg",
                    "Segments on the first two principal components",
                ),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        StudyReport::Atm(r) => ReportData {
            title: "ATM usage segments (study 002)".into(),
            subtitle: format!("{} customers, {} segments", num(outcome.n_rows as f64), r.k),
            description: format!(
                "Standard scaling of {} and {}; k-means with k = 3, 10 restarts, seed 0; mean silhouette {:.3}. \
                 Segments named from their mean frequency.",
                r.features[0], r.features[1], r.silhouette
            ),
            score_name: "score".into(),
            tier_names: vec![],
            clusters: r
                .segments
                .iter()
                .map(|s| ClusterPage {
                    name: s.name.clone(),
                    description: format!(
                        "{:.1} withdrawals a month on average, {:.2} per withdrawal.",
                        s.mean_frequency, s.mean_amount
                    ),
                    size: s.size,
                    share: s.size as f64 / outcome.n_rows.max(1) as f64,
                    mean_score: None,
                    tier_counts: vec![],
                    features: stats(&r.profiles, s.cluster),
                    shap_importance: vec![],
                    figures: vec![],
                    campaign: format!("{} (channel: {})", s.campaign, s.channel),
                })
                .collect(),
            customers,
            quality: vec![
                Metric {
                    name: "mean silhouette".into(),
                    value: r.silhouette,
                },
                Metric {
                    name: "inertia".into(),
                    value: r.inertia,
                },
            ],
            quality_figures: vec![],
            tables: vec![campaign_section(outcome)],
            figures: [
                figure(figures, "segments_scatter.svg", "Segments"),
                figure(figures, "silhouette.svg", "Silhouette per segment"),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        StudyReport::Propensity(r) => {
            let band_rows = |t: &cartera_scoring::bands::BandTable| -> Vec<Vec<String>> {
                t.rows
                    .iter()
                    .chain(std::iter::once(&t.total))
                    .map(|b| {
                        vec![
                            if b.band == 0 {
                                "Total".into()
                            } else {
                                b.band.to_string()
                            },
                            num(b.offers as f64),
                            pct(b.effectiveness),
                            format!("{:.1}", b.expected_sales),
                        ]
                    })
                    .collect()
            };
            let band_cols = vec![
                "Band".into(),
                "Offers".into(),
                "Effectiveness".into(),
                "Expected sales".into(),
            ];
            let camp = |c: &crate::propensity::CampaignComparison| -> Vec<Vec<String>> {
                type Row = (
                    &'static str,
                    fn(&cartera_scoring::campaign::CampaignResult) -> String,
                );
                let rows: [Row; 10] = [
                    ("Target audience", |r| num(r.audience as f64)),
                    ("Unit discount cost", |r| num(r.unit_cost)),
                    ("Discount cost", |r| num(r.discount_cost)),
                    ("ML project cost", |r| num(r.project_cost)),
                    ("Total cost", |r| num(r.total_cost)),
                    ("Response rate", |r| pct(r.response_rate)),
                    ("Sales", |r| num(r.sales.round())),
                    ("Profit per sale", |r| num(r.profit_per_sale)),
                    ("Total gain", |r| num(r.total_gain.round())),
                    ("Campaign profit", |r| num(r.profit.round())),
                ];
                rows.iter()
                    .map(|(n, f)| vec![n.to_string(), f(&c.mass), f(&c.targeted)])
                    .collect()
            };
            ReportData {
                title: "Purchase propensity (study 000)".into(),
                subtitle: format!("{} customers, target `{}`", num(outcome.n_rows as f64), r.target),
                description: format!(
                    "A GBDT and a logistic regression learn the purchase from {} features (30 % held out). \
                     Customers are split into five equal score bands (band 1 = best prospects); each band's \
                     campaign list carries the customer's next best offer among {} products.",
                    r.features.len(),
                    r.products.len()
                ),
                score_name: "purchase probability".into(),
                tier_names: vec![],
                clusters: r
                    .bands
                    .rows
                    .iter()
                    .map(|b| ClusterPage {
                        name: format!("band {}", b.band),
                        description: format!(
                            "Scores {:.3} to {:.3}; expected effectiveness {}.",
                            b.min_score,
                            b.max_score,
                            pct(b.effectiveness)
                        ),
                        size: b.offers as usize,
                        share: b.offers as f64 / outcome.n_rows.max(1) as f64,
                        mean_score: Some(b.effectiveness),
                        tier_counts: vec![],
                        features: vec![],
                        shap_importance: vec![],
                        figures: vec![],
                        campaign: match b.band {
                            1 | 2 => "Next best offer by phone call".into(),
                            3 => "Next best offer by email".into(),
                            _ => "Newsletter only".into(),
                        },
                    })
                    .collect(),
                customers,
                quality: vec![
                    Metric { name: "GBDT AUC".into(), value: r.gbdt.auc },
                    Metric { name: "GBDT accuracy".into(), value: r.gbdt.accuracy },
                    Metric { name: "logistic AUC".into(), value: r.logistic.auc },
                    Metric { name: "logistic accuracy".into(), value: r.logistic.accuracy },
                    Metric {
                        name: "top-decile lift".into(),
                        value: r.gains.rows.first().map_or(0.0, |g| if g.lift.is_finite() { g.lift } else { 0.0 }),
                    },
                ],
                quality_figures: [
                    figure(figures, "gains.svg", "Cumulative gains (held-out rows)"),
                    figure(figures, "lift.svg", "Lift by decile"),
                ]
                .into_iter()
                .flatten()
                .collect(),
                tables: vec![
                    TableSection {
                        title: "Score bands (every customer)".into(),
                        note: "Effectiveness = mean predicted probability.".into(),
                        columns: band_cols.clone(),
                        rows: band_rows(&r.bands),
                    },
                    TableSection {
                        title: "Score bands (held-out rows)".into(),
                        note: "Effectiveness = observed purchase rate.".into(),
                        columns: band_cols.clone(),
                        rows: band_rows(&r.bands_observed),
                    },
                    TableSection {
                        title: "Study 000's score bands".into(),
                        note: "10,068 offers as printed in the source.".into(),
                        columns: band_cols,
                        rows: band_rows(&r.study_bands),
                    },
                    TableSection {
                        title: "Campaign economics (study 000)".into(),
                        note: "Mass mailing versus ML-targeted direct mailing.".into(),
                        columns: vec!["".into(), "Mass".into(), "Targeted".into()],
                        rows: camp(&r.campaign),
                    },
                    TableSection {
                        title: "Campaign economics on this table".into(),
                        note: "Everyone versus the best 12 % by score; response rates observed on held-out rows.".into(),
                        columns: vec!["".into(), "Mass".into(), "Targeted".into()],
                        rows: camp(&r.model_campaign),
                    },
                    TableSection {
                        title: "Next best offer".into(),
                        note: String::new(),
                        columns: vec!["Product".into(), "AUC".into(), "Customers".into()],
                        rows: r
                            .products
                            .iter()
                            .map(|p| vec![p.product.clone(), format!("{:.3}", p.quality.auc), num(p.next_best_offer_customers as f64)])
                            .collect(),
                    },
                    campaign_section(outcome),
                ],
                figures: [figure(figures, "band_effectiveness.svg", "Expected effectiveness per band")]
                    .into_iter()
                    .flatten()
                    .collect(),
            }
        }
    };
    report::render(&data)
}
