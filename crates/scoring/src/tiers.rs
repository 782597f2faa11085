//! Retention-risk tiers (study 004) from the retention probability (1 − churn probability).
//!
//! With the default bounds `0.5, 0.7, 0.85`:
//!
//! | tier | retention probability `r` |
//! |---|---|
//! | Low | `r > 0.85` |
//! | Moderate | `0.70 <= r <= 0.85` |
//! | High | `0.50 <= r < 0.70` |
//! | Critical | `r < 0.50` |
//!
//! i.e. the study's "Low > 85 %" and "Critical < 50 %" read literally: the top bound belongs
//! to Moderate, the two lower bounds to the less risky tier above them.

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::groups::{BLOCK, Groups};
use crate::table_out::TableBuilder;

/// The four tiers, least risky first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RiskTier {
    /// Retention above the top bound.
    Low,
    /// Between the middle and the top bound (both included).
    Moderate,
    /// From the lowest bound (included) to the middle bound (excluded).
    High,
    /// Below the lowest bound.
    Critical,
}

impl RiskTier {
    /// All tiers, least risky first.
    pub const ALL: [RiskTier; 4] = [
        RiskTier::Low,
        RiskTier::Moderate,
        RiskTier::High,
        RiskTier::Critical,
    ];

    /// Name as printed.
    pub fn name(self) -> &'static str {
        match self {
            RiskTier::Low => "Low",
            RiskTier::Moderate => "Moderate",
            RiskTier::High => "High",
            RiskTier::Critical => "Critical",
        }
    }
}

/// Tier bounds on the retention probability: `critical < high < low`, all inside (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierBounds {
    /// Below this: Critical (default 0.5).
    pub critical: f64,
    /// Below this (and at or above `critical`): High (default 0.7).
    pub high: f64,
    /// Above this: Low; from `high` to here, both included: Moderate (default 0.85).
    pub low: f64,
}

impl Default for TierBounds {
    fn default() -> Self {
        TierBounds {
            critical: 0.5,
            high: 0.7,
            low: 0.85,
        }
    }
}

impl TierBounds {
    /// Bounds from `[critical, high, low]`, validated.
    pub fn new(bounds: [f64; 3]) -> Result<Self> {
        let b = TierBounds {
            critical: bounds[0],
            high: bounds[1],
            low: bounds[2],
        };
        b.validate()?;
        Ok(b)
    }

    /// Strictly increasing, inside (0, 1).
    pub fn validate(&self) -> Result<()> {
        let v = [self.critical, self.high, self.low];
        if !(v.iter().all(|x| x.is_finite() && *x > 0.0 && *x < 1.0) && v[0] < v[1] && v[1] < v[2])
        {
            return Err(Error::invalid_param(
                "bounds",
                format!("{},{},{}", v[0], v[1], v[2]),
                "must be three strictly increasing numbers inside (0, 1)",
            ));
        }
        Ok(())
    }

    /// The tier of one retention probability.
    #[inline]
    pub fn tier(&self, retention: f64) -> RiskTier {
        if retention < self.critical {
            RiskTier::Critical
        } else if retention < self.high {
            RiskTier::High
        } else if retention <= self.low {
            RiskTier::Moderate
        } else {
            RiskTier::Low
        }
    }
}

/// Tier counts of one group (or of everyone, in the total row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierRow {
    /// Group label (`Total` for the total row).
    pub group: String,
    /// Customers at Low risk.
    pub low: u64,
    /// Customers at Moderate risk.
    pub moderate: u64,
    /// Customers at High risk.
    pub high: u64,
    /// Customers at Critical risk.
    pub critical: u64,
    /// Customers in the group.
    pub total: u64,
    /// Share of the group at Low risk.
    pub low_share: f64,
    /// Share at Moderate risk.
    pub moderate_share: f64,
    /// Share at High risk.
    pub high_share: f64,
    /// Share at Critical risk.
    pub critical_share: f64,
    /// Mean churn probability (1 − retention).
    pub mean_churn_probability: f64,
}

/// Tier counts per group with a total row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierTable {
    /// Bounds used.
    pub bounds: TierBounds,
    /// One row per group, in [`Groups`] label order.
    pub rows: Vec<TierRow>,
    /// Everyone.
    pub total: TierRow,
}

fn row(group: String, c: &[u64; 4], churn_sum: f64) -> TierRow {
    let total: u64 = c.iter().sum();
    let share = |x: u64| {
        if total == 0 {
            f64::NAN
        } else {
            x as f64 / total as f64
        }
    };
    TierRow {
        group,
        low: c[0],
        moderate: c[1],
        high: c[2],
        critical: c[3],
        total,
        low_share: share(c[0]),
        moderate_share: share(c[1]),
        high_share: share(c[2]),
        critical_share: share(c[3]),
        mean_churn_probability: if total == 0 {
            f64::NAN
        } else {
            churn_sum / total as f64
        },
    }
}

/// Tier every customer by its retention probability and count per group (`groups = None`:
/// one row for everyone). Retention probabilities must lie in [0, 1].
pub fn risk_tiers(
    retention: &[f64],
    groups: Option<&Groups>,
    bounds: TierBounds,
) -> Result<TierTable> {
    bounds.validate()?;
    check::non_empty("retention probabilities", retention.len())?;
    check::probabilities("retention probability", retention)?;
    let single;
    let groups = match groups {
        Some(g) => {
            check::same_len(
                "rows of the group column (vs scores)",
                retention.len(),
                g.n_rows(),
            )?;
            g
        }
        None => {
            single = Groups::single(retention.len(), "all");
            &single
        }
    };
    let ng = groups.n_groups();
    let codes = groups.codes();
    // Per block: 4 tier counts and the churn sum per group; blocks combined in order.
    let partials: Vec<(Vec<[u64; 4]>, Vec<f64>)> = retention
        .par_chunks(BLOCK)
        .zip(codes.par_chunks(BLOCK))
        .map(|(r, c)| {
            let mut counts = vec![[0u64; 4]; ng];
            let mut churn = vec![0.0f64; ng];
            for (&x, &g) in r.iter().zip(c) {
                counts[g as usize][bounds.tier(x) as usize] += 1;
                churn[g as usize] += 1.0 - x;
            }
            (counts, churn)
        })
        .collect();
    let mut counts = vec![[0u64; 4]; ng];
    let mut churn = vec![0.0f64; ng];
    for (pc, ps) in partials {
        for g in 0..ng {
            for t in 0..4 {
                counts[g][t] += pc[g][t];
            }
            churn[g] += ps[g];
        }
    }
    let rows: Vec<TierRow> = groups
        .labels()
        .iter()
        .enumerate()
        .map(|(g, l)| row(l.clone(), &counts[g], churn[g]))
        .collect();
    let mut all = [0u64; 4];
    for c in &counts {
        for t in 0..4 {
            all[t] += c[t];
        }
    }
    let total = row("Total".into(), &all, churn.iter().sum());
    Ok(TierTable {
        bounds,
        rows,
        total,
    })
}

impl TierTable {
    /// The table as columns (for CSV output), total row last.
    pub fn to_table(&self) -> Table {
        let rows: Vec<&TierRow> = self
            .rows
            .iter()
            .chain(std::iter::once(&self.total))
            .collect();
        let col = |f: fn(&TierRow) -> f64| rows.iter().map(move |r| f(r));
        TableBuilder::new()
            .text("group", rows.iter().map(|r| r.group.clone()))
            .num("Low", col(|r| r.low as f64))
            .num("Moderate", col(|r| r.moderate as f64))
            .num("High", col(|r| r.high as f64))
            .num("Critical", col(|r| r.critical as f64))
            .num("total", col(|r| r.total as f64))
            .num("Low_share", col(|r| r.low_share))
            .num("Moderate_share", col(|r| r.moderate_share))
            .num("High_share", col(|r| r.high_share))
            .num("Critical_share", col(|r| r.critical_share))
            .num("mean_churn_probability", col(|r| r.mean_churn_probability))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_follow_the_documented_side() {
        let b = TierBounds::default();
        assert_eq!(b.tier(0.85), RiskTier::Moderate);
        assert_eq!(b.tier(0.850001), RiskTier::Low);
        assert_eq!(b.tier(0.7), RiskTier::Moderate);
        assert_eq!(b.tier(0.5), RiskTier::High);
        assert_eq!(b.tier(0.4999), RiskTier::Critical);
        assert!(TierBounds::new([0.5, 0.5, 0.8]).is_err());
        assert!(TierBounds::new([0.0, 0.5, 0.8]).is_err());
    }
}
