//! The three band strategies of study 000: prioritised selling, differentiated commissions,
//! tiered retention rewards. Each reads a [`BandTable`] (band 1 = best prospects, or for
//! retention the highest churn ratio).

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::bands::BandTable;
use crate::check;

/// How far prioritised selling goes down the bands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SellingTarget {
    /// Make this many offers.
    Offers(u64),
    /// Spend at most `budget` at `cost_per_offer` each (`floor(budget / cost)` offers).
    Budget {
        /// Money available.
        budget: f64,
        /// Cost of one offer (must be > 0).
        cost_per_offer: f64,
    },
}

/// Offers taken from one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRow {
    /// Band (1 = best).
    pub band: usize,
    /// Offers made in the band (the last band used may be taken partly).
    pub offers: u64,
    /// `offers × the band's effectiveness`.
    pub expected_sales: f64,
}

/// Result of [`prioritised_selling`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SellingPlan {
    /// Bands used, best first.
    pub rows: Vec<PlanRow>,
    /// Offers made (less than asked when the bands run out).
    pub offers: u64,
    /// Expected sales.
    pub expected_sales: f64,
    /// `expected_sales / offers`.
    pub effectiveness: f64,
}

/// Offer to the best bands first until the target is met: whole bands, then part of the
/// next one.
pub fn prioritised_selling(table: &BandTable, target: SellingTarget) -> Result<SellingPlan> {
    let mut left = match target {
        SellingTarget::Offers(n) => n,
        SellingTarget::Budget {
            budget,
            cost_per_offer,
        } => {
            check::non_negative("budget", budget)?;
            if !(cost_per_offer.is_finite() && cost_per_offer > 0.0) {
                return Err(Error::invalid_param(
                    "cost_per_offer",
                    cost_per_offer,
                    "must be a finite number > 0",
                ));
            }
            (budget / cost_per_offer).floor() as u64
        }
    };
    let mut rows = Vec::new();
    for r in &table.rows {
        if left == 0 {
            break;
        }
        let take = left.min(r.offers);
        if take == 0 {
            continue;
        }
        left -= take;
        rows.push(PlanRow {
            band: r.band,
            offers: take,
            expected_sales: take as f64 * r.effectiveness,
        });
    }
    let offers: u64 = rows.iter().map(|r| r.offers).sum();
    let expected_sales: f64 = rows.iter().map(|r| r.expected_sales).sum();
    Ok(SellingPlan {
        rows,
        offers,
        expected_sales,
        effectiveness: if offers == 0 {
            0.0
        } else {
            expected_sales / offers as f64
        },
    })
}

/// Commission of one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommissionRow {
    /// Band.
    pub band: usize,
    /// Offers in the band.
    pub offers: u64,
    /// Expected sales in the band.
    pub expected_sales: f64,
    /// Commission paid per sale in this band.
    pub commission_per_sale: f64,
    /// `expected_sales × commission_per_sale`.
    pub cost: f64,
}

/// Result of [`commissions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommissionPlan {
    /// Per band.
    pub rows: Vec<CommissionRow>,
    /// Total commission cost.
    pub total_cost: f64,
    /// Total expected sales.
    pub expected_sales: f64,
    /// `total_cost / expected_sales` (NaN when no sale is expected).
    pub cost_per_sale: f64,
}

/// Differentiated sales commissions: a commission per sale for each band (typically higher in
/// the worse bands, where a sale takes more calls), with the total cost and the cost per
/// expected sale.
pub fn commissions(table: &BandTable, commission_per_sale: &[f64]) -> Result<CommissionPlan> {
    check::same_len(
        "number of commissions (vs bands)",
        table.rows.len(),
        commission_per_sale.len(),
    )?;
    for &c in commission_per_sale {
        check::non_negative("commission_per_sale", c)?;
    }
    let rows: Vec<CommissionRow> = table
        .rows
        .iter()
        .zip(commission_per_sale)
        .map(|(r, &c)| CommissionRow {
            band: r.band,
            offers: r.offers,
            expected_sales: r.expected_sales,
            commission_per_sale: c,
            cost: r.expected_sales * c,
        })
        .collect();
    let total_cost: f64 = rows.iter().map(|r| r.cost).sum();
    let expected_sales: f64 = rows.iter().map(|r| r.expected_sales).sum();
    Ok(CommissionPlan {
        rows,
        total_cost,
        expected_sales,
        cost_per_sale: if expected_sales > 0.0 {
            total_cost / expected_sales
        } else {
            f64::NAN
        },
    })
}

/// Retention reward of one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardRow {
    /// Band (1 = highest churn ratio when the table holds churn scores).
    pub band: usize,
    /// Customers rewarded.
    pub customers: u64,
    /// The band's churn ratio (the table's effectiveness read as churn).
    pub churn_ratio: f64,
    /// `customers × churn_ratio`.
    pub expected_churners: f64,
    /// Reward per customer.
    pub reward: f64,
    /// Share of would-be churners the reward keeps.
    pub save_rate: f64,
    /// `customers × reward`.
    pub cost: f64,
    /// `expected_churners × save_rate`.
    pub churners_saved: f64,
}

/// Result of [`retention_rewards`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardPlan {
    /// Per band.
    pub rows: Vec<RewardRow>,
    /// Total reward cost.
    pub total_cost: f64,
    /// Expected churners over all bands.
    pub expected_churners: f64,
    /// Churners kept.
    pub churners_saved: f64,
    /// `total_cost / churners_saved` (NaN when nobody is saved).
    pub cost_per_saved: f64,
}

/// Tiered retention rewards: the band table read as churn ratios, a reward per customer and
/// a save rate (share of would-be churners it keeps) per band; bands with reward 0 are simply
/// not rewarded.
pub fn retention_rewards(
    table: &BandTable,
    reward: &[f64],
    save_rate: &[f64],
) -> Result<RewardPlan> {
    check::same_len(
        "number of rewards (vs bands)",
        table.rows.len(),
        reward.len(),
    )?;
    check::same_len(
        "number of save rates (vs bands)",
        table.rows.len(),
        save_rate.len(),
    )?;
    for &r in reward {
        check::non_negative("reward", r)?;
    }
    for &s in save_rate {
        check::unit_interval("save_rate", s)?;
    }
    let rows: Vec<RewardRow> = table
        .rows
        .iter()
        .zip(reward.iter().zip(save_rate))
        .map(|(r, (&w, &s))| RewardRow {
            band: r.band,
            customers: r.offers,
            churn_ratio: r.effectiveness,
            expected_churners: r.expected_sales,
            reward: w,
            save_rate: s,
            cost: r.offers as f64 * w,
            churners_saved: if w > 0.0 { r.expected_sales * s } else { 0.0 },
        })
        .collect();
    let total_cost: f64 = rows.iter().map(|r| r.cost).sum();
    let churners_saved: f64 = rows.iter().map(|r| r.churners_saved).sum();
    Ok(RewardPlan {
        expected_churners: rows.iter().map(|r| r.expected_churners).sum(),
        rows,
        total_cost,
        churners_saved,
        cost_per_saved: if churners_saved > 0.0 {
            total_cost / churners_saved
        } else {
            f64::NAN
        },
    })
}
