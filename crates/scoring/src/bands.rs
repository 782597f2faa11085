//! Score bands 1..k (band 1 = best) and the band table of study 000.
//!
//! **Assignment.** [`BandRule::Quantiles`] cuts the score order (highest first, ties by row
//! index) into `k` bands of equal size by position, the same rule as the gains bins.
//! [`BandRule::CutPoints`] takes strictly increasing cut points `c_1 < … < c_{k-1}`: a score
//! lands in band `1 + (number of cut points strictly above it)`, so a score equal to a cut
//! point belongs to the better band, and `score >= c_{k-1}` is band 1.
//!
//! **Table.** Per band the number of offers and the expected effectiveness: the observed
//! response rate when outcomes are known, else the mean predicted probability; expected sales
//! are offers × effectiveness, and the total row sums offers and expected sales
//! (effectiveness = sales / offers). With study 000's counts and rates the total is 10,068
//! offers and 100.8 expected sales, 1.0 %; the source prints 1.2 %, which its rows do not give.

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::groups::{BLOCK, Groups};
use crate::order;
use crate::table_out::TableBuilder;

/// Most bands a rule may ask for.
pub const MAX_BANDS: usize = 100;

/// How scores become bands. In JSON: `{"quantiles": 5}` or `{"cut_points": [0.2, 0.5]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandRule {
    /// `k` bands of equal size by score order.
    Quantiles(usize),
    /// Strictly increasing cut points; `len + 1` bands.
    CutPoints(Vec<f64>),
}

impl Default for BandRule {
    /// Five equal-size bands, as study 000.
    fn default() -> Self {
        BandRule::Quantiles(5)
    }
}

impl BandRule {
    /// Number of bands.
    pub fn n_bands(&self) -> usize {
        match self {
            BandRule::Quantiles(k) => *k,
            BandRule::CutPoints(c) => c.len() + 1,
        }
    }

    /// Check the rule: 1..=[`MAX_BANDS`] bands, finite strictly increasing cut points.
    pub fn validate(&self) -> Result<()> {
        match self {
            BandRule::Quantiles(k) => {
                if *k == 0 || *k > MAX_BANDS {
                    return Err(Error::invalid_param(
                        "bands",
                        k,
                        format!("must be between 1 and {MAX_BANDS}"),
                    ));
                }
            }
            BandRule::CutPoints(c) => {
                if c.len() + 1 > MAX_BANDS {
                    return Err(Error::invalid_param(
                        "cut points",
                        c.len(),
                        format!("at most {} cut points", MAX_BANDS - 1),
                    ));
                }
                check::finite("cut points", c)?;
                if let Some(i) = c.windows(2).position(|w| w[0] >= w[1]) {
                    return Err(Error::invalid_param(
                        "cut points",
                        format!("{}, {}", c[i], c[i + 1]),
                        format!(
                            "cut points must be strictly increasing (positions {i} and {})",
                            i + 1
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The band (1-based) of every score under `rule`.
///
/// Errors: an invalid rule, no scores, a non-finite score, and more equal-count bands than
/// scores ([`Error::InvalidParameter`]).
pub fn assign_bands(score: &[f64], rule: &BandRule) -> Result<Vec<u8>> {
    rule.validate()?;
    check::non_empty("score", score.len())?;
    check::finite("score", score)?;
    Ok(match rule {
        BandRule::Quantiles(k) => {
            let n = score.len();
            // More bands than scores would leave bands empty between filled ones (two scores
            // in five bands land in bands 3 and 5), as gains refuses more bins than rows.
            if *k > n {
                return Err(Error::invalid_param(
                    "bands",
                    k,
                    format!("at most the number of scores ({n}) for equal-count bands"),
                ));
            }
            let mut band = vec![0u8; n];
            for (pos, &i) in order::descending(score).iter().enumerate() {
                // Position `pos` lies in band b (0-based) iff floor(b n / k) <= pos <
                // floor((b + 1) n / k), i.e. b = floor(((pos + 1) k - 1) / n).
                band[i as usize] = (((pos + 1) * k - 1) / n + 1) as u8;
            }
            band
        }
        BandRule::CutPoints(c) => score
            .par_iter()
            .with_min_len(BLOCK)
            .map(|&s| {
                // Cut points above the score: c is sorted, so count from the partition point.
                let at_or_below = c.partition_point(|&x| x <= s);
                (1 + c.len() - at_or_below) as u8
            })
            .collect(),
    })
}

/// Where a band table's effectiveness comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effectiveness {
    /// Observed response rate of known outcomes.
    Observed,
    /// Mean predicted probability.
    Predicted,
    /// Rates given by the user (e.g. a table copied from a report).
    Given,
}

/// One band of a [`BandTable`] (or its total row, `band = 0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    /// 1 = best; 0 in the total row.
    pub band: usize,
    /// Customers in the band (offers to make).
    pub offers: u64,
    /// Expected response rate.
    pub effectiveness: f64,
    /// `offers × effectiveness`.
    pub expected_sales: f64,
    /// Lowest score in the band (NaN when not known or empty).
    pub min_score: f64,
    /// Highest score in the band (NaN when not known or empty).
    pub max_score: f64,
}

/// Offers and expected effectiveness per score band, with a total row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandTable {
    /// Bands 1..k.
    pub rows: Vec<BandRow>,
    /// Sum of offers and expected sales; effectiveness = sales / offers.
    pub total: BandRow,
    /// Where the effectiveness comes from.
    pub effectiveness: Effectiveness,
}

/// The band table of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupBands {
    /// Group label.
    pub group: String,
    /// Its table.
    pub table: BandTable,
}

fn total_row(rows: &[BandRow]) -> BandRow {
    let offers: u64 = rows.iter().map(|r| r.offers).sum();
    let sales: f64 = rows.iter().map(|r| r.expected_sales).sum();
    let fold = |f: fn(f64, f64) -> f64, init: f64, get: fn(&BandRow) -> f64| {
        let v = rows.iter().map(get).filter(|x| !x.is_nan()).fold(init, f);
        if v.is_infinite() { f64::NAN } else { v }
    };
    BandRow {
        band: 0,
        offers,
        effectiveness: if offers == 0 {
            f64::NAN
        } else {
            sales / offers as f64
        },
        expected_sales: sales,
        min_score: fold(f64::min, f64::INFINITY, |r| r.min_score),
        max_score: fold(f64::max, f64::NEG_INFINITY, |r| r.max_score),
    }
}

impl BandTable {
    /// A table from per-band offer counts and rates (band 1 first), e.g. study 000's.
    ///
    /// Errors: no bands, as many rates as counts, rates outside [0, 1], counts whose sum
    /// overflows.
    pub fn from_counts(offers: &[u64], effectiveness: &[f64]) -> Result<Self> {
        check::non_empty("offers", offers.len())?;
        check::same_len(
            "number of rates (vs offers)",
            offers.len(),
            effectiveness.len(),
        )?;
        check::probabilities("effectiveness", effectiveness)?;
        // The total row sums the counts: it must fit in a u64.
        if offers
            .iter()
            .try_fold(0u64, |a, &o| a.checked_add(o))
            .is_none()
        {
            return Err(Error::invalid_param(
                "offers",
                format!("{offers:?}"),
                "the counts sum beyond u64::MAX",
            ));
        }
        let rows: Vec<BandRow> = offers
            .iter()
            .zip(effectiveness)
            .enumerate()
            .map(|(b, (&o, &e))| BandRow {
                band: b + 1,
                offers: o,
                effectiveness: e,
                expected_sales: o as f64 * e,
                min_score: f64::NAN,
                max_score: f64::NAN,
            })
            .collect();
        let total = total_row(&rows);
        Ok(BandTable {
            rows,
            total,
            effectiveness: Effectiveness::Given,
        })
    }

    /// The table of scored rows: observed rates when `outcomes` are given, else the mean score
    /// (which must then be a probability).
    pub fn from_scores(score: &[f64], outcomes: Option<&[bool]>, rule: &BandRule) -> Result<Self> {
        let groups = Groups::single(score.len(), "all");
        let mut t = bands_by_group(score, outcomes, &groups, rule)?;
        // One group by construction.
        Ok(t.swap_remove(0).table)
    }

    /// The table as columns (for CSV output), total row last with band `Total`.
    pub fn to_table(&self, group: Option<&str>) -> Table {
        bands_columns(std::iter::once((group, self)))
    }
}

/// Band tables per group, bands assigned over all rows (one score scale for everyone) and
/// counted within each group.
pub fn bands_by_group(
    score: &[f64],
    outcomes: Option<&[bool]>,
    groups: &Groups,
    rule: &BandRule,
) -> Result<Vec<GroupBands>> {
    check::same_len(
        "rows of the group column (vs score)",
        score.len(),
        groups.n_rows(),
    )?;
    if let Some(y) = outcomes {
        check::same_len("length of outcomes (vs score)", score.len(), y.len())?;
    } else {
        check::probabilities("score", score)?;
    }
    let band = assign_bands(score, rule)?;
    let k = rule.n_bands();
    let ng = groups.n_groups();
    // Per block: per (group, band) count, hits (outcomes) or score sum, min and max score.
    #[derive(Clone)]
    struct Acc {
        n: u64,
        hits: u64,
        sum: f64,
        min: f64,
        max: f64,
    }
    let empty = Acc {
        n: 0,
        hits: 0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };
    let codes = groups.codes();
    let partials: Vec<Vec<Acc>> = (0..score.len().div_ceil(BLOCK))
        .into_par_iter()
        .map(|blk| {
            let mut acc = vec![empty.clone(); ng * k];
            let (lo, hi) = (blk * BLOCK, ((blk + 1) * BLOCK).min(score.len()));
            for i in lo..hi {
                let a = &mut acc[codes[i] as usize * k + band[i] as usize - 1];
                a.n += 1;
                let s = score[i];
                match outcomes {
                    Some(y) => a.hits += u64::from(y[i]),
                    None => a.sum += s,
                }
                a.min = a.min.min(s);
                a.max = a.max.max(s);
            }
            acc
        })
        .collect();
    let mut acc = vec![empty; ng * k];
    for p in partials {
        for (a, b) in acc.iter_mut().zip(p) {
            a.n += b.n;
            a.hits += b.hits;
            a.sum += b.sum;
            a.min = a.min.min(b.min);
            a.max = a.max.max(b.max);
        }
    }
    let kind = if outcomes.is_some() {
        Effectiveness::Observed
    } else {
        Effectiveness::Predicted
    };
    Ok(groups
        .labels()
        .iter()
        .enumerate()
        .map(|(g, label)| {
            let rows: Vec<BandRow> = (0..k)
                .map(|b| {
                    let a = &acc[g * k + b];
                    let eff = if a.n == 0 {
                        f64::NAN
                    } else if outcomes.is_some() {
                        a.hits as f64 / a.n as f64
                    } else {
                        a.sum / a.n as f64
                    };
                    BandRow {
                        band: b + 1,
                        offers: a.n,
                        effectiveness: eff,
                        // Observed: the sales are the hits themselves (no rounding).
                        expected_sales: match outcomes {
                            Some(_) => a.hits as f64,
                            None => a.sum,
                        },
                        min_score: if a.n == 0 { f64::NAN } else { a.min },
                        max_score: if a.n == 0 { f64::NAN } else { a.max },
                    }
                })
                .collect();
            let total = total_row(&rows);
            GroupBands {
                group: label.clone(),
                table: BandTable {
                    rows,
                    total,
                    effectiveness: kind,
                },
            }
        })
        .collect())
}

/// Several groups' band tables stacked, with a leading `group` column.
pub fn grouped_bands_table(groups: &[GroupBands]) -> Table {
    bands_columns(groups.iter().map(|g| (Some(g.group.as_str()), &g.table)))
}

fn bands_columns<'a>(tables: impl Iterator<Item = (Option<&'a str>, &'a BandTable)>) -> Table {
    let mut rows: Vec<(Option<&str>, &BandRow)> = Vec::new();
    for (g, t) in tables {
        rows.extend(t.rows.iter().map(|r| (g, r)));
        rows.push((g, &t.total));
    }
    let mut b = TableBuilder::new();
    if rows.first().is_some_and(|(g, _)| g.is_some()) {
        b = b.text(
            "group",
            rows.iter().map(|(g, _)| g.unwrap_or("").to_string()),
        );
    }
    let col = |f: fn(&BandRow) -> f64| rows.iter().map(move |(_, r)| f(r)).collect::<Vec<_>>();
    b.text(
        "band",
        rows.iter().map(|(_, r)| {
            if r.band == 0 {
                "Total".to_string()
            } else {
                r.band.to_string()
            }
        }),
    )
    .num("offers", col(|r| r.offers as f64).into_iter())
    .num("effectiveness", col(|r| r.effectiveness).into_iter())
    .num("expected_sales", col(|r| r.expected_sales).into_iter())
    .num("min_score", col(|r| r.min_score).into_iter())
    .num("max_score", col(|r| r.max_score).into_iter())
    .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_put_equal_scores_in_the_better_band() {
        let b = assign_bands(&[0.1, 0.2, 0.25, 0.9], &BandRule::CutPoints(vec![0.2, 0.5])).unwrap();
        assert_eq!(b, [3, 2, 2, 1]);
    }

    #[test]
    fn quantile_bands_have_equal_sizes() {
        let s: Vec<f64> = (0..10).map(f64::from).collect();
        let b = assign_bands(&s, &BandRule::Quantiles(5)).unwrap();
        assert_eq!(b, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        let s: Vec<f64> = (0..7).map(f64::from).collect();
        let b = assign_bands(&s, &BandRule::Quantiles(3)).unwrap();
        // positions 0..2 -> band 1 (floor(7/3) = 2), 2..4 -> band 2, 4..7 -> band 3.
        assert_eq!(b, [3, 3, 3, 2, 2, 1, 1]);
    }

    #[test]
    fn bad_rules() {
        assert!(BandRule::CutPoints(vec![0.5, 0.5]).validate().is_err());
        assert!(BandRule::CutPoints(vec![0.7, 0.2]).validate().is_err());
        assert!(BandRule::Quantiles(0).validate().is_err());
        // The JSON form the commands print (snake case, as every other key).
        assert_eq!(
            serde_json::to_string(&BandRule::Quantiles(5)).unwrap(),
            r#"{"quantiles":5}"#
        );
        assert_eq!(
            serde_json::to_string(&BandRule::CutPoints(vec![0.5])).unwrap(),
            r#"{"cut_points":[0.5]}"#
        );
    }
}
