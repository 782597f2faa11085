//! The self-contained HTML report of a study.
//!
//! A study fills one [`ReportData`] (it says nothing about which study: churn, segmentation and
//! propensity studies all fit) and [`render`] turns it into **one HTML file** that opens in
//! any browser without a network: the CSS, the figures (inline SVG), the customer table of the
//! look-up (a compact JSON block) and a little plain JavaScript are all inside it. No fonts,
//! images or scripts are fetched from anywhere.
//!
//! The page mirrors study 004's platform:
//!
//! * **overview**: the clusters table (`id="clusters-table"`): name, size, share, mean score and
//!   the count of customers in each risk tier;
//! * **customer look-up** (`id="lookup"`): type an ID, get its segment, score and tier, or
//!   "not found". The URL `report.html#lookup=<ID>` fills the box and shows the answer on load,
//!   so a look-up can be shared as a link; the answer sits in elements with stable ids
//!   (`lookup-status`, `lookup-id`, `lookup-segment`, `lookup-score`, `lookup-tier`);
//! * **one page per cluster** (tabs; `#cluster-<i>` opens page `i`): size, description,
//!   feature statistics against the overall mean, SHAP importance bars, figures and the
//!   campaign message;
//! * **model quality** (metrics and figures), **campaign tables** and study-level **figures**.
//!
//! Sections with nothing to show (no tiers, no tables, no scores...) are left out.
//!
//! ```
//! use cartera_study::report::{
//!     render, ClusterPage, Customers, FeatureStats, Figure, Metric, ReportData, TableSection,
//! };
//!
//! let cluster = |name: &str, size: usize, tiers: Vec<usize>| ClusterPage {
//!     name: name.to_string(),
//!     description: format!("{name}: who they are, in one sentence."),
//!     size,
//!     share: size as f64 / 5.0,
//!     mean_score: Some(0.3),
//!     tier_counts: tiers,
//!     features: vec![FeatureStats {
//!         feature: "monthly recharges".into(),
//!         mean: 4.2, std: 1.1, min: 1.0, q1: 3.0, median: 4.0, q3: 5.0, max: 9.0,
//!         overall_mean: 3.1,
//!     }],
//!     shap_importance: vec![("monthly recharges".into(), 0.8), ("tenure".into(), 0.2)],
//!     figures: vec![],
//!     campaign: "Reward the habit: a bonus on the fifth recharge.".into(),
//! };
//! let data = ReportData {
//!     title: "Telco churn".into(),
//!     subtitle: "Segments, churn risk and campaigns".into(),
//!     description: "Five customers, two segments.".into(),
//!     score_name: "churn probability".into(),
//!     tier_names: vec!["Low".into(), "High".into()],
//!     clusters: vec![cluster("Rechargers", 3, vec![2, 1]), cluster("Talkers", 2, vec![0, 2])],
//!     customers: Customers {
//!         ids: ["a1", "a2", "a3", "b1", "b2"].map(String::from).to_vec(),
//!         segment: Some(vec![0, 0, 0, 1, 1]),
//!         score: Some(vec![0.1, 0.2, 0.7, 0.6, 0.9]),
//!         tier: Some(vec![0, 0, 1, 1, 1]),
//!     },
//!     quality: vec![Metric { name: "AUC".into(), value: 0.91 }],
//!     quality_figures: vec![],
//!     tables: vec![TableSection {
//!         title: "Offers".into(),
//!         note: "One offer per tier.".into(),
//!         columns: vec!["Tier".into(), "Offer".into()],
//!         rows: vec![vec!["High".into(), "Call & 20 % off".into()]],
//!     }],
//!     figures: vec![Figure {
//!         title: "Elbow".into(),
//!         svg: r#"<svg viewBox="0 0 10 10"><line x1="0" y1="0" x2="10" y2="10" stroke="black"/></svg>"#.into(),
//!     }],
//! };
//! let html = render(&data)?;
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.contains("Call &amp; 20 % off")); // every text is escaped
//!
//! // Inconsistent data is an error, not a broken page: tier 7 does not exist.
//! let mut bad = data.clone();
//! bad.customers.tier = Some(vec![0, 0, 7, 1, 1]);
//! assert!(render(&bad).is_err());
//! # Ok::<(), cartera_core::Error>(())
//! ```

mod html;
mod svg;

use std::collections::HashSet;

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

pub use html::render;

/// Everything the report shows about one study.
///
/// Texts are plain text (never HTML): [`render`] escapes them. Figures are SVG documents
/// (as drawn by `cartera-plot`) and are checked before being embedded, see [`Figure`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// Page title, e.g. `"Telco churn"`.
    pub title: String,
    /// One line under the title, e.g. `"371,589 customers, 4 segments"`.
    pub subtitle: String,
    /// What the study did and found; blank lines separate paragraphs.
    pub description: String,
    /// What [`Customers::score`] measures, e.g. `"churn probability"` (shown in headers).
    pub score_name: String,
    /// Names of the score tiers from best to worst, e.g. `["Low", "Moderate", "High",
    /// "Critical"]`; empty when the study has no tiers.
    pub tier_names: Vec<String>,
    /// The segments, in label order: customer segment `i` is `clusters[i]`.
    pub clusters: Vec<ClusterPage>,
    /// The per-customer columns behind the look-up.
    pub customers: Customers,
    /// Model quality figures (accuracy, AUC, precision and recall per class...).
    pub quality: Vec<Metric>,
    /// Figures of the model quality section (gains, lift...).
    pub quality_figures: Vec<Figure>,
    /// Business tables: campaigns, score bands, offers, per-store means...
    pub tables: Vec<TableSection>,
    /// Study-level figures (elbow, silhouette, scatter of the segments...).
    pub figures: Vec<Figure>,
}

/// One segment's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPage {
    /// The segment's name, e.g. `"prodigious rechargers"`.
    pub name: String,
    /// Who these customers are; blank lines separate paragraphs.
    pub description: String,
    /// Number of customers in the segment.
    pub size: usize,
    /// The segment's share of all customers, a fraction in `[0, 1]` (shown as a percentage).
    pub share: f64,
    /// Mean score of the segment's customers (e.g. mean churn probability), if the study
    /// scores customers.
    pub mean_score: Option<f64>,
    /// Customers per tier, aligned with [`ReportData::tier_names`] (empty when there are no
    /// tiers).
    pub tier_counts: Vec<usize>,
    /// Per-feature statistics of the segment, one table row each.
    pub features: Vec<FeatureStats>,
    /// Mean absolute SHAP value per feature, as `(feature, mean |SHAP|)`; shown as bars sorted
    /// from the largest. Values must be finite and non-negative.
    pub shap_importance: Vec<(String, f64)>,
    /// Figures of this segment (SHAP summary, profile...).
    pub figures: Vec<Figure>,
    /// The campaign message for the segment.
    pub campaign: String,
}

/// Distribution of one feature inside a segment, next to its mean over all customers.
///
/// Non-finite values are allowed (a feature missing for the whole segment) and shown as "–".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    /// Feature (column) name.
    pub feature: String,
    /// Mean in the segment.
    pub mean: f64,
    /// Standard deviation in the segment.
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Maximum.
    pub max: f64,
    /// Mean over all customers, to compare the segment with.
    pub overall_mean: f64,
}

/// The customers behind the look-up, stored by column.
///
/// `ids` is required; each other column is either `None` or exactly as long as `ids`. The
/// report embeds these columns as compact JSON (scores rounded to 4 decimals), about 30 bytes
/// a customer, so 371,589 customers make a report of about 11 MB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customers {
    /// Customer IDs as the user knows them; they must be unique (the look-up would otherwise be
    /// ambiguous).
    pub ids: Vec<String>,
    /// Segment of each customer: an index into [`ReportData::clusters`].
    pub segment: Option<Vec<u32>>,
    /// Score of each customer (e.g. churn probability); finite values.
    pub score: Option<Vec<f64>>,
    /// Tier of each customer: an index into [`ReportData::tier_names`].
    pub tier: Option<Vec<u8>>,
}

/// One model quality figure, e.g. `AUC = 0.953`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// What was measured, e.g. `"validation AUC"`.
    pub name: String,
    /// The value (whole numbers are shown without decimals, others with up to 4).
    pub value: f64,
}

/// A table of the campaign section (score bands, offers, per-store means...). Cells are text,
/// formatted by the study; cells that read as numbers are right-aligned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSection {
    /// Heading of the table.
    pub title: String,
    /// A sentence under the heading (may be empty).
    pub note: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows; each has exactly `columns.len()` cells.
    pub rows: Vec<Vec<String>>,
}

/// A chart, as an SVG document.
///
/// The SVG is embedded as is (inline, so it scales and its text can be selected), after a
/// check that it cannot break the page or reach the network: one well-formed `<svg>` element
/// (an XML declaration before it is dropped), with no `script`, `style`, `foreignObject`,
/// event-handler attribute, comment, CDATA, or link other than `data:` and `#` fragments.
/// Figures failing the check make [`render`] return an error naming the figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// Caption of the figure.
    pub title: String,
    /// The SVG document, e.g. from `cartera-plot`.
    pub svg: String,
}

impl ReportData {
    /// Checks that the parts agree: tier counts and customer columns have the right lengths,
    /// segment and tier indices exist, customer IDs are unique, shares, scores and SHAP values
    /// are finite numbers in range, table rows are as wide as their headers and every figure
    /// passes the SVG check of [`Figure`]. [`render`] calls it first.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for lengths, [`Error::InvalidParameter`] for out-of-range
    /// indices and values and unsafe figures (each naming the field, e.g.
    /// `customers.tier[17]`), [`Error::InvalidData`] for duplicate IDs, [`Error::NonFinite`]
    /// for a non-finite score.
    pub fn validate(&self) -> Result<()> {
        let n_tiers = self.tier_names.len();
        if n_tiers > usize::from(u8::MAX) + 1 {
            return Err(Error::invalid_param(
                "tier_names",
                n_tiers,
                "at most 256 tiers (a tier is stored as a u8)",
            ));
        }
        for (i, c) in self.clusters.iter().enumerate() {
            if !(c.share.is_finite() && (0.0..=1.0).contains(&c.share)) {
                return Err(Error::invalid_param(
                    format!("clusters[{i}].share"),
                    c.share,
                    "must be a fraction in [0, 1]",
                ));
            }
            if let Some(m) = c.mean_score
                && !m.is_finite()
            {
                return Err(Error::invalid_param(
                    format!("clusters[{i}].mean_score"),
                    m,
                    "must be a finite number",
                ));
            }
            cartera_core::validate::check_len(
                c.tier_counts.len(),
                n_tiers,
                &format!("clusters[{i}].tier_counts: one count per tier name"),
            )?;
            for (j, (feature, v)) in c.shap_importance.iter().enumerate() {
                if !(v.is_finite() && *v >= 0.0) {
                    return Err(Error::invalid_param(
                        format!("clusters[{i}].shap_importance[{j}] ({feature})"),
                        v,
                        "a mean |SHAP| must be a finite number >= 0",
                    ));
                }
            }
            for (j, f) in c.figures.iter().enumerate() {
                svg::check(&f.svg, &format!("clusters[{i}].figures[{j}].svg"))?;
            }
        }
        self.validate_customers()?;
        for (i, m) in self.quality.iter().enumerate() {
            if !m.value.is_finite() {
                return Err(Error::invalid_param(
                    format!("quality[{i}] ({})", m.name),
                    m.value,
                    "must be a finite number",
                ));
            }
        }
        for (i, t) in self.tables.iter().enumerate() {
            for (r, row) in t.rows.iter().enumerate() {
                cartera_core::validate::check_len(
                    row.len(),
                    t.columns.len(),
                    &format!("tables[{i}] ({}) row {r}: cells per row", t.title),
                )?;
            }
        }
        for (what, figures) in [
            ("quality_figures", &self.quality_figures),
            ("figures", &self.figures),
        ] {
            for (j, f) in figures.iter().enumerate() {
                svg::check(&f.svg, &format!("{what}[{j}].svg"))?;
            }
        }
        Ok(())
    }

    fn validate_customers(&self) -> Result<()> {
        let c = &self.customers;
        let n = c.ids.len();
        let mut seen = HashSet::with_capacity(n);
        for id in &c.ids {
            if !seen.insert(id.as_str()) {
                return Err(Error::invalid_data(
                    "customers.ids",
                    format!(
                        "{id:?} appears twice: customer IDs must be unique (the look-up would be ambiguous)"
                    ),
                ));
            }
        }
        if let Some(segment) = &c.segment {
            cartera_core::validate::check_len(segment.len(), n, "customers.segment: one per ID")?;
            let k = self.clusters.len();
            if let Some(row) = segment.iter().position(|&s| s as usize >= k) {
                return Err(Error::invalid_param(
                    format!("customers.segment[{row}]"),
                    segment[row],
                    format!("must index one of the {k} clusters"),
                ));
            }
        }
        if let Some(score) = &c.score {
            cartera_core::validate::check_len(score.len(), n, "customers.score: one per ID")?;
            if let Some(row) = score.iter().position(|s| !s.is_finite()) {
                return Err(Error::NonFinite {
                    what: "customers.score".into(),
                    row,
                    column: 0,
                    value: score[row].to_string(),
                });
            }
        }
        if let Some(tier) = &c.tier {
            cartera_core::validate::check_len(tier.len(), n, "customers.tier: one per ID")?;
            let t = self.tier_names.len();
            if let Some(row) = tier.iter().position(|&x| usize::from(x) >= t) {
                return Err(Error::invalid_param(
                    format!("customers.tier[{row}]"),
                    tier[row],
                    format!("must index one of the {t} tier names"),
                ));
            }
        }
        Ok(())
    }
}
