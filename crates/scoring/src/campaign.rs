//! Campaign economics (study 000): mass versus targeted campaigns, and the profit curve of a
//! scored list over targeting depth.
//!
//! For a campaign reaching `audience` customers:
//!
//! ```text
//! discount_cost = audience × unit_cost
//! total_cost    = discount_cost + project_cost
//! sales         = audience × response_rate
//! total_gain    = sales × profit_per_sale
//! profit        = total_gain − total_cost
//! roi           = profit / total_cost          (None when total_cost = 0)
//! ```
//!
//! Study 000's table follows: mass 30,000 × 25 = 750,000, 300 sales, 405,600 gain, −344,400
//! profit; targeted 3,600 customers, 90,000 + 40,000 = 130,000, 108 sales, 146,016 gain,
//! 16,016 profit. The source labels the targeted audience "20 %" of the base although 3,600 is
//! 12 % of 30,000: the share is an input echoed as printed, and [`CampaignResult::implied_share`]
//! reports what the audience implies when the base is known.

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::check;
use crate::order;

/// Inputs of one campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignParams {
    /// Customers contacted.
    pub audience: u64,
    /// Share of the customer base, as stated (echoed, not used in the money).
    pub share: Option<f64>,
    /// Size of the customer base, when known (gives the implied share).
    pub base: Option<u64>,
    /// Discount (or contact) cost per customer.
    pub unit_cost: f64,
    /// Fixed cost (e.g. the ML project).
    pub project_cost: f64,
    /// Expected share of the audience that buys.
    pub response_rate: f64,
    /// Profit per sale (over the horizon the business counts, 3 months in study 000).
    pub profit_per_sale: f64,
}

impl Default for CampaignParams {
    /// Study 000's mass mailing: 30,000 customers at 25 each, 1 % response, 1,352 per sale (no
    /// share stated).
    fn default() -> Self {
        CampaignParams {
            audience: 30_000,
            // Echoed only when stated: a default of 100 % would stay beside any audience set.
            share: None,
            base: None,
            unit_cost: 25.0,
            project_cost: 0.0,
            response_rate: 0.01,
            profit_per_sale: 1352.0,
        }
    }
}

impl CampaignParams {
    cartera_core::setter!(/// Customers contacted.
        audience: u64);
    cartera_core::setter!(/// Share of the base as stated.
        share: Option<f64>);
    cartera_core::setter!(/// Size of the customer base.
        base: Option<u64>);
    cartera_core::setter!(/// Cost per customer contacted.
        unit_cost: f64);
    cartera_core::setter!(/// Fixed cost.
        project_cost: f64);
    cartera_core::setter!(/// Response rate in [0, 1].
        response_rate: f64);
    cartera_core::setter!(/// Profit per sale.
        profit_per_sale: f64);

    /// Costs and profit per sale finite and >= 0, rates in [0, 1], audience within the base.
    pub fn validate(&self) -> Result<()> {
        check::non_negative("unit_cost", self.unit_cost)?;
        check::non_negative("project_cost", self.project_cost)?;
        check::non_negative("profit_per_sale", self.profit_per_sale)?;
        check::unit_interval("response_rate", self.response_rate)?;
        if let Some(s) = self.share {
            check::unit_interval("share", s)?;
        }
        if let Some(b) = self.base
            && self.audience > b
        {
            return Err(Error::invalid_param(
                "audience",
                self.audience,
                format!("exceeds the customer base ({b})"),
            ));
        }
        Ok(())
    }

    /// The campaign's economics.
    pub fn evaluate(&self) -> Result<CampaignResult> {
        self.validate()?;
        let audience = self.audience as f64;
        let discount_cost = audience * self.unit_cost;
        let total_cost = discount_cost + self.project_cost;
        let sales = audience * self.response_rate;
        let total_gain = sales * self.profit_per_sale;
        let profit = total_gain - total_cost;
        // Each input is finite, but their products can overflow: an `inf` cost or gain (and
        // the `NaN` profit of `inf - inf`) would read as a result.
        for (what, v) in [
            ("audience x unit_cost", discount_cost),
            ("discount_cost + project_cost", total_cost),
            ("sales x profit_per_sale", total_gain),
        ] {
            if !v.is_finite() {
                return Err(Error::invalid_data(
                    "campaign",
                    format!("{what} overflows the floating-point range; check the units"),
                ));
            }
        }
        Ok(CampaignResult {
            audience: self.audience,
            share: self.share,
            implied_share: self.base.filter(|&b| b > 0).map(|b| audience / b as f64),
            unit_cost: self.unit_cost,
            discount_cost,
            project_cost: self.project_cost,
            total_cost,
            response_rate: self.response_rate,
            sales,
            profit_per_sale: self.profit_per_sale,
            total_gain,
            profit,
            roi: (total_cost > 0.0).then(|| profit / total_cost),
        })
    }
}

/// One column of the campaign table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignResult {
    /// Customers contacted.
    pub audience: u64,
    /// Share of the base as stated.
    pub share: Option<f64>,
    /// `audience / base` when the base is known.
    pub implied_share: Option<f64>,
    /// Cost per customer.
    pub unit_cost: f64,
    /// `audience × unit_cost`.
    pub discount_cost: f64,
    /// Fixed cost.
    pub project_cost: f64,
    /// `discount_cost + project_cost`.
    pub total_cost: f64,
    /// Response rate.
    pub response_rate: f64,
    /// `audience × response_rate`.
    pub sales: f64,
    /// Profit per sale.
    pub profit_per_sale: f64,
    /// `sales × profit_per_sale`.
    pub total_gain: f64,
    /// `total_gain − total_cost`.
    pub profit: f64,
    /// `profit / total_cost` (None when nothing is spent).
    pub roi: Option<f64>,
}

/// Money per contact and per sale for a [`profit_curve`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Economics {
    /// Cost per customer contacted.
    pub unit_cost: f64,
    /// Fixed cost of any non-empty campaign.
    pub project_cost: f64,
    /// Profit per responder.
    pub profit_per_sale: f64,
}

/// One point of a [`ProfitCurve`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProfitPoint {
    /// Customers contacted (the best-scored first).
    pub depth: u64,
    /// `depth / n`.
    pub share: f64,
    /// Responders among them.
    pub responders: u64,
    /// `responders × profit_per_sale − depth × unit_cost − project_cost`.
    pub profit: f64,
}

/// Profit over targeting depth of a scored list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfitCurve {
    /// At the end of each of `bins` equal-size slices (as the gains bins).
    pub points: Vec<ProfitPoint>,
    /// The depth, over every row, that maximises profit (ties: the smallest depth; contacting
    /// nobody, profit 0, is depth 0).
    pub best: ProfitPoint,
}

/// Profit of contacting the top `depth` customers, for every depth, from scores and known
/// outcomes (score order as the gains table: highest first, ties by row).
pub fn profit_curve(
    y_true: &[bool],
    score: &[f64],
    bins: usize,
    economics: Economics,
) -> Result<ProfitCurve> {
    check::non_empty("y_true", y_true.len())?;
    check::same_len("length of score (vs y_true)", y_true.len(), score.len())?;
    check::finite("score", score)?;
    check::non_negative("unit_cost", economics.unit_cost)?;
    check::non_negative("project_cost", economics.project_cost)?;
    check::non_negative("profit_per_sale", economics.profit_per_sale)?;
    let n = y_true.len();
    if bins == 0 || bins > n {
        return Err(Error::invalid_param(
            "bins",
            bins,
            format!("must be between 1 and the number of rows ({n})"),
        ));
    }
    let profit = |depth: u64, resp: u64| {
        if depth == 0 {
            0.0
        } else {
            resp as f64 * economics.profit_per_sale
                - depth as f64 * economics.unit_cost
                - economics.project_cost
        }
    };
    let point = |depth: u64, resp: u64| ProfitPoint {
        depth,
        share: depth as f64 / n as f64,
        responders: resp,
        profit: profit(depth, resp),
    };
    let mut best = point(0, 0);
    let mut points = Vec::with_capacity(bins);
    let mut next_edge = 1;
    let mut resp = 0u64;
    for (k, &i) in order::descending(score).iter().enumerate() {
        resp += u64::from(y_true[i as usize]);
        let depth = (k + 1) as u64;
        let p = point(depth, resp);
        if p.profit > best.profit {
            best = p;
        }
        while next_edge <= bins && next_edge * n / bins == k + 1 {
            points.push(p);
            next_edge += 1;
        }
    }
    Ok(ProfitCurve { points, best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_totals_are_an_error() {
        let c = CampaignParams {
            audience: 1_000_000_000_000,
            unit_cost: 1e300,
            ..CampaignParams::default()
        };
        let e = c.evaluate().unwrap_err().to_string();
        assert!(e.contains("audience x unit_cost overflows"), "{e}");
    }

    /// No share is stated unless set, whatever the order of the setters.
    #[test]
    fn the_share_is_echoed_only_when_stated() {
        assert_eq!(CampaignParams::default().evaluate().unwrap().share, None);
        let r = CampaignParams::default()
            .audience(1_500)
            .evaluate()
            .unwrap();
        assert_eq!((r.audience, r.share), (1_500, None));
        for p in [
            CampaignParams::default().audience(1_500).share(Some(0.05)),
            CampaignParams::default().share(Some(0.05)).audience(1_500),
        ] {
            assert_eq!(p.evaluate().unwrap().share, Some(0.05));
        }
    }

    #[test]
    fn roi_is_none_without_cost() {
        let r = CampaignParams::default().unit_cost(0.0).evaluate().unwrap();
        assert_eq!(r.roi, None);
        assert!(
            CampaignParams::default()
                .unit_cost(-1.0)
                .evaluate()
                .is_err()
        );
        assert!(
            CampaignParams::default()
                .response_rate(1.5)
                .evaluate()
                .is_err()
        );
    }

    #[test]
    fn profit_curve_finds_the_best_depth() {
        let y = [true, false, true, false, false, false];
        let s = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
        let e = Economics {
            unit_cost: 1.0,
            project_cost: 0.0,
            profit_per_sale: 2.5,
        };
        let c = profit_curve(&y, &s, 3, e).unwrap();
        assert_eq!(c.best.depth, 3);
        assert_eq!(c.best.profit, 2.0);
        assert_eq!(c.points.len(), 3);
        assert_eq!(c.points[2].depth, 6);
        assert_eq!(c.points[2].profit, -1.0);
    }
}
