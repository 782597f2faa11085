//! Study 000: purchase propensity. Logistic and GBDT purchase models on the bank table, gains
//! and lift, five score bands with offers and expected effectiveness, the band strategies, a
//! multi-product offer matrix and the mass-versus-targeted campaign economics.

use cartera_core::{Error, Result};
use cartera_preprocess::scale::ScalerKind;
use cartera_preprocess::split::stratified_split;
use cartera_preprocess::{Column, ColumnType, Table, TextColumn};
use cartera_scoring::bands::{BandRule, BandTable, assign_bands};
use cartera_scoring::campaign::{CampaignParams, CampaignResult};
use cartera_scoring::gains::{GainsTable, gains};
use cartera_scoring::offers::{OfferMatrix, OfferRule};
use cartera_scoring::strategy::{
    CommissionPlan, SellingPlan, SellingTarget, commissions, prioritised_selling,
};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::common::{self, CampaignList};
use crate::models::{self, ModelQuality};
use crate::roles::{self, Role};
use crate::{Context, plots};

/// Study 000's score bands: offers and expected effectiveness per band.
pub const STUDY_BAND_OFFERS: [u64; 5] = [321, 563, 1_456, 2_514, 5_214];
/// Study 000's expected effectiveness per band.
pub const STUDY_BAND_RATES: [f64; 5] = [0.036, 0.021, 0.018, 0.010, 0.005];
/// Share of the base a targeted campaign reaches (study 000: 3,600 of 30,000).
pub(crate) const TARGET_SHARE: f64 = 0.12;
/// Commission per sale by band (higher where a sale takes more calls).
const COMMISSIONS: [f64; 5] = [40.0, 50.0, 60.0, 80.0, 100.0];
/// Boosting rounds of the purchase GBDT (early stopping usually ends it sooner).
const ROUNDS: usize = 200;
/// Boosting rounds of the other products' models.
const PRODUCT_ROUNDS: usize = 60;

/// Mass versus targeted campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignComparison {
    /// Everyone contacted.
    pub mass: CampaignResult,
    /// The model's best prospects contacted.
    pub targeted: CampaignResult,
}

/// One product of the offer matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductModel {
    /// Product (the yes/no column it was learned from).
    pub product: String,
    /// Held-out quality of its GBDT.
    pub quality: ModelQuality,
    /// Customers whose next best offer it is.
    pub next_best_offer_customers: usize,
}

/// Figures of the propensity study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropensityReport {
    /// Target column (the purchase).
    pub target: String,
    /// Features of the purchase models.
    pub features: Vec<String>,
    /// Purchase GBDT on the held-out 30 %.
    pub gbdt: ModelQuality,
    /// Logistic regression on the same rows.
    pub logistic: ModelQuality,
    /// Gains and lift by decile of the GBDT score on the held-out rows.
    pub gains: GainsTable,
    /// Five equal bands of every customer's GBDT score, effectiveness = mean probability.
    pub bands: BandTable,
    /// The same bands on the held-out rows, effectiveness = observed purchase rate.
    pub bands_observed: BandTable,
    /// Prioritised selling: the best 12 % of customers, best bands first.
    pub prioritised_selling: SellingPlan,
    /// Differentiated commissions per band.
    pub commissions: CommissionPlan,
    /// Study 000's band table (10,068 offers), reproduced.
    pub study_bands: BandTable,
    /// The other products modelled for the offer matrix (and the target itself).
    pub products: Vec<ProductModel>,
    /// Study 000's campaign table (30,000 customers; 3,600 targeted), reproduced exactly.
    pub campaign: CampaignComparison,
    /// The same economics with this table: everyone versus the best 12 % by score, response
    /// rates observed on the held-out rows.
    pub model_campaign: CampaignComparison,
}

/// Study 000's campaign table.
pub(crate) fn study_campaign() -> Result<CampaignComparison> {
    Ok(CampaignComparison {
        mass: CampaignParams::default().share(Some(1.0)).evaluate()?,
        targeted: CampaignParams::default()
            .audience(3_600)
            .share(Some(0.2))
            .project_cost(40_000.0)
            .response_rate(0.03)
            .evaluate()?,
    })
}

/// Yes/no columns (two values) other than the target that can be offered as products.
fn other_products(table: &Table, target: &str, exclude: &[&str]) -> Vec<String> {
    ["housing", "loan"]
        .iter()
        .filter(|p| **p != target && !exclude.contains(p))
        .filter(|p| table.column_type(p).ok() == Some(ColumnType::Categorical))
        .filter(|p| common::binary_target(table, p, None).is_ok())
        .map(|p| p.to_string())
        .collect()
}

pub(crate) fn run(
    cx: &mut Context<'_>,
    table: Table,
) -> Result<(
    PropensityReport,
    Vec<CampaignList>,
    crate::report::Customers,
)> {
    let params = cx.params;
    let roles = &params.roles;
    let seed = params.seed;
    let id = roles.column(&table, Role::Id, None)?;
    // Checked before any model is fitted: the lists and the report need unique IDs.
    let ids = common::customer_ids(&table, id.as_deref())?;
    let target = roles::required(roles, &table, Role::Target, "y")?;
    let (y, classes) = common::study_target(cx, &table, &target)?;
    let exclude: Vec<&str> = [Some(target.as_str()), id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let features: Vec<String> = match roles.features(&table)? {
        Some(f) => f,
        None => table
            .names()
            .iter()
            .filter(|n| !exclude.contains(&n.as_str()))
            .filter(|n| table.column_type(n).ok() != Some(ColumnType::Text))
            .cloned()
            .collect(),
    };
    if features.is_empty() {
        return Err(Error::empty("set of features to model the purchase with"));
    }
    let n = table.n_rows();
    let x = common::tree_matrix(&table, &features)?;
    let y_idx: Vec<usize> = y.iter().map(|&b| usize::from(b)).collect();
    let split = stratified_split(&y_idx, 0.3, seed)?;
    let y_train: Vec<bool> = split.train.iter().map(|&i| y[i]).collect();
    let y_valid: Vec<bool> = split.valid.iter().map(|&i| y[i]).collect();
    let xt = models::rows_of(&x, &split.train);
    let xv = models::rows_of(&x, &split.valid);
    let (model, gbdt, p_valid) = cx.step("purchase GBDT", || {
        let m = models::fit_gbdt(&xt, &y_train, &xv, &y_valid, &features, ROUNDS, seed)?;
        let p = models::positive_proba(&m, &xv)?;
        let q = models::gbdt_quality(&m, split.train.len(), &y_valid, &p, &classes)?;
        Ok((m, q, p))
    })?;
    let logistic = cx.step("purchase logistic regression", || {
        let refs: Vec<&str> = features.iter().map(String::as_str).collect();
        let ft = table.select(&refs)?;
        let (p, fitted) = models::logistic_baseline(
            &ft,
            &split.train,
            &split.valid,
            &y_train,
            ScalerKind::Standard,
            seed,
        )?;
        models::quality("logistic", fitted, &y_valid, &p, &classes)
    })?;
    let score = models::positive_proba(&model, &x)?;
    let (gains_table, bands, bands_observed, selling, commission_plan, study_bands) =
        cx.step("gains, score bands and strategies", || {
            let g = gains(&y_valid, &p_valid, 10)?;
            let rule = BandRule::Quantiles(5);
            let bands = BandTable::from_scores(&score, None, &rule)?;
            let observed = BandTable::from_scores(&p_valid, Some(&y_valid), &rule)?;
            let target_offers = (TARGET_SHARE * n as f64).round() as u64;
            let selling = prioritised_selling(&bands, SellingTarget::Offers(target_offers))?;
            let comm = commissions(&bands, &COMMISSIONS)?;
            let study = BandTable::from_counts(&STUDY_BAND_OFFERS, &STUDY_BAND_RATES)?;
            Ok((g, bands, observed, selling, comm, study))
        })?;

    // Multi-product offers: the purchase plus every other yes/no product in the table, each
    // modelled from the features other than itself.
    let product_names = other_products(&table, &target, &exclude);
    let (offers, products) = cx.step("multi-product offer matrix", || {
        let mut names = vec![target.clone()];
        let mut scores = vec![score.clone()];
        let mut qualities = vec![gbdt.clone()];
        for p in &product_names {
            let (yp, pc) = common::binary_target(&table, p, None)?;
            let feats: Vec<String> = features.iter().filter(|f| *f != p).cloned().collect();
            let xp = common::tree_matrix(&table, &feats)?;
            let yi: Vec<usize> = yp.iter().map(|&b| usize::from(b)).collect();
            let sp = stratified_split(&yi, 0.3, seed)?;
            let ytr: Vec<bool> = sp.train.iter().map(|&i| yp[i]).collect();
            let yva: Vec<bool> = sp.valid.iter().map(|&i| yp[i]).collect();
            let xtr = models::rows_of(&xp, &sp.train);
            let xva = models::rows_of(&xp, &sp.valid);
            let m = models::fit_gbdt(&xtr, &ytr, &xva, &yva, &feats, PRODUCT_ROUNDS, seed)?;
            let pv = models::positive_proba(&m, &xva)?;
            qualities.push(models::gbdt_quality(&m, sp.train.len(), &yva, &pv, &pc)?);
            scores.push(models::positive_proba(&m, &xp)?);
            names.push(p.clone());
        }
        let mut s = Array2::<f64>::zeros((n, names.len()));
        for (j, col) in scores.iter().enumerate() {
            s.column_mut(j)
                .iter_mut()
                .zip(col)
                .for_each(|(d, v)| *d = *v);
        }
        let rule = OfferRule {
            churn_override_band: None,
            margins: None,
            by_expected_margin: false,
        };
        let m = OfferMatrix::from_scores(&names, s.view(), None, &BandRule::Quantiles(5), &rule)?;
        let products: Vec<ProductModel> = names
            .iter()
            .zip(qualities)
            .map(|(name, quality)| ProductModel {
                product: name.clone(),
                next_best_offer_customers: (0..n).filter(|&i| m.offer_name(i) == name).count(),
                quality,
            })
            .collect();
        Ok((m, products))
    })?;

    let campaign = study_campaign()?;
    // This table's economics: response rates observed on the held-out rows.
    let model_campaign = {
        let overall = y_valid.iter().filter(|&&b| b).count() as f64 / y_valid.len() as f64;
        let mut order: Vec<usize> = (0..p_valid.len()).collect();
        order.sort_by(|&a, &b| p_valid[b].total_cmp(&p_valid[a]).then(a.cmp(&b)));
        let top = ((TARGET_SHARE * p_valid.len() as f64).round() as usize).max(1);
        let top_rate = order[..top].iter().filter(|&&i| y_valid[i]).count() as f64 / top as f64;
        let audience = (TARGET_SHARE * n as f64).round() as u64;
        CampaignComparison {
            mass: CampaignParams::default()
                .audience(n as u64)
                .share(Some(1.0))
                .base(Some(n as u64))
                .response_rate(overall)
                .evaluate()?,
            targeted: CampaignParams::default()
                .audience(audience)
                .share(Some(TARGET_SHARE))
                .base(Some(n as u64))
                .project_cost(40_000.0)
                .response_rate(top_rate)
                .evaluate()?,
        }
    };

    // CRM lists: one per score band of the purchase score.
    let band = assign_bands(&score, &BandRule::Quantiles(5))?;
    let band_names: Vec<String> = (1..=5).map(|b| format!("band {b}")).collect();
    let segment: Vec<usize> = band.iter().map(|&b| usize::from(b) - 1).collect();
    let lists = common::campaign_lists(&ids, &segment, &band_names, |i| {
        let channel = match band[i] {
            1 | 2 => "phone call",
            3 => "email",
            _ => "newsletter",
        };
        (
            offers.offer_name(i).to_string(),
            channel.to_string(),
            Some(band[i]),
        )
    });

    let report = PropensityReport {
        target,
        features,
        gbdt,
        logistic,
        gains: gains_table,
        bands,
        bands_observed,
        prioritised_selling: selling,
        commissions: commission_plan,
        study_bands,
        products,
        campaign,
        model_campaign,
    };
    if cx.writing() {
        let g = &report.gains;
        let mut pop = vec![0.0];
        let mut cap = vec![0.0];
        for r in &g.rows {
            pop.push(r.cum_customers as f64 / g.customers.max(1) as f64);
            cap.push(r.cum_capture);
        }
        cx.svg("gains.svg", || plots::gains(&pop, &cap))?;
        let buckets: Vec<String> = g.rows.iter().map(|r| r.bin.to_string()).collect();
        let lifts: Vec<f64> = g
            .rows
            .iter()
            .map(|r| if r.lift.is_finite() { r.lift } else { 0.0 })
            .collect();
        cx.svg("lift.svg", || plots::lift(&buckets, &lifts))?;
        let bn: Vec<String> = report
            .bands
            .rows
            .iter()
            .map(|r| format!("band {}", r.band))
            .collect();
        let eff: Vec<f64> = report.bands.rows.iter().map(|r| r.effectiveness).collect();
        cx.svg("band_effectiveness.svg", || {
            plots::band_effectiveness(&bn, &eff)
        })?;
        cx.json("models.json", &serde_json::json!({"gbdt": report.gbdt, "logistic": report.logistic, "products": report.products}))?;
        cx.csv("gains.csv", &report.gains.to_table(None))?;
        cx.csv("bands.csv", &report.bands.to_table(None))?;
        cx.csv("bands_observed.csv", &report.bands_observed.to_table(None))?;
        cx.csv("study000_bands.csv", &report.study_bands.to_table(None))?;
        cx.json(
            "strategies.json",
            &serde_json::json!({"prioritised_selling": report.prioritised_selling, "commissions": report.commissions}),
        )?;
        cx.csv("campaign.csv", &campaign_table(&report.campaign)?)?;
        cx.csv(
            "campaign_this_table.csv",
            &campaign_table(&report.model_campaign)?,
        )?;
        let mut t = Table::new();
        t.push_column("customer_id", text_column(&ids))?;
        t.push_column("score", Column::Numeric(score.clone()))?;
        let m = offers.to_table();
        for (name, col) in m.names().iter().zip(m.columns()) {
            t.push_column(name, col.clone())?;
        }
        cx.csv("offers.csv", &t)?;
    }
    let look_up = crate::report::Customers {
        ids,
        segment: Some(segment.iter().map(|&s| s as u32).collect()),
        score: Some(score),
        tier: None,
    };
    Ok((report, lists, look_up))
}

fn text_column(v: &[String]) -> Column {
    Column::Text(TextColumn::from_options(
        &v.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>(),
    ))
}

/// The campaign table in the study's layout: one row per quantity, one column per campaign.
pub(crate) fn campaign_table(c: &CampaignComparison) -> Result<Table> {
    type Row = (&'static str, fn(&CampaignResult) -> f64);
    let rows: [Row; 12] = [
        ("audience", |r| r.audience as f64),
        ("share", |r| r.share.unwrap_or(f64::NAN)),
        ("unit_cost", |r| r.unit_cost),
        ("discount_cost", |r| r.discount_cost),
        ("project_cost", |r| r.project_cost),
        ("total_cost", |r| r.total_cost),
        ("response_rate", |r| r.response_rate),
        ("sales", |r| r.sales),
        ("profit_per_sale", |r| r.profit_per_sale),
        ("total_gain", |r| r.total_gain),
        ("profit", |r| r.profit),
        ("roi", |r| r.roi.unwrap_or(f64::NAN)),
    ];
    let names: Vec<String> = rows.iter().map(|(n, _)| n.to_string()).collect();
    Table::from_columns(vec![
        ("quantity".into(), text_column(&names)),
        (
            "mass".into(),
            Column::Numeric(rows.iter().map(|(_, f)| f(&c.mass)).collect()),
        ),
        (
            "targeted".into(),
            Column::Numeric(rows.iter().map(|(_, f)| f(&c.targeted)).collect()),
        ),
    ])
}
