//! Gains and lift tables by decile (or any number of bins) of a score.
//!
//! **Binning rule.** Rows are put in score order (highest first, ties by row index
//! ascending) and cut into `bins` bins of equal size by position: bin `b` (1-based) holds the
//! positions `floor((b-1)·n/bins) .. floor(b·n/bins)`. Every bin therefore has `n/bins` rows
//! (±1), whatever the ties: rows with equal scores that straddle an edge are split by their
//! row order, so the table is the same on every run and every machine. (pandas' `qcut` keeps
//! ties together instead and fails on repeated edges; equal-count bins are what a campaign
//! planner needs: "the top 10 % of the list".) When a group has fewer rows than bins, the
//! surplus bins are empty (0 customers, NaN rates).
//!
//! Lift is the bin's response rate over the overall rate (NaN when nobody responded).

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::groups::Groups;
use crate::order;
use crate::table_out::TableBuilder;

/// One bin of a [`GainsTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    /// 1 = the highest scores.
    pub bin: usize,
    /// Rows in the bin.
    pub customers: u64,
    /// Positive outcomes in the bin.
    pub responders: u64,
    /// `responders / customers` (NaN for an empty bin).
    pub response_rate: f64,
    /// Lowest score in the bin (NaN for an empty bin).
    pub min_score: f64,
    /// Highest score in the bin (NaN for an empty bin).
    pub max_score: f64,
    /// Rows in this and the better bins.
    pub cum_customers: u64,
    /// Responders in this and the better bins.
    pub cum_responders: u64,
    /// `cum_responders / cum_customers`.
    pub cum_response_rate: f64,
    /// Share of all responders found in this bin.
    pub capture: f64,
    /// Share of all responders found in this and the better bins (the gains curve).
    pub cum_capture: f64,
    /// `response_rate / overall rate`.
    pub lift: f64,
    /// `cum_response_rate / overall rate`.
    pub cum_lift: f64,
}

/// A gains and lift table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsTable {
    /// Bins, best first.
    pub rows: Vec<GainsRow>,
    /// All rows.
    pub customers: u64,
    /// All positive outcomes.
    pub responders: u64,
    /// `responders / customers`.
    pub overall_rate: f64,
}

/// The gains table of one group, labelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupGains {
    /// Group label.
    pub group: String,
    /// Its table.
    pub table: GainsTable,
}

fn check_inputs(y_true: &[bool], score: &[f64], bins: usize) -> Result<()> {
    check::non_empty("y_true", y_true.len())?;
    check::same_len("length of score (vs y_true)", y_true.len(), score.len())?;
    check::finite("score", score)?;
    if bins == 0 {
        return Err(Error::invalid_param("bins", bins, "must be at least 1"));
    }
    Ok(())
}

/// Gains table of all rows in `bins` bins (see the module documentation for the tie rule).
/// `bins` may not exceed the number of rows.
pub fn gains(y_true: &[bool], score: &[f64], bins: usize) -> Result<GainsTable> {
    check_inputs(y_true, score, bins)?;
    if bins > y_true.len() {
        return Err(Error::invalid_param(
            "bins",
            bins,
            format!("must not exceed the number of rows ({})", y_true.len()),
        ));
    }
    let order: Vec<usize> = order::descending(score)
        .into_iter()
        .map(|i| i as usize)
        .collect();
    Ok(from_sorted(&order, y_true, score, bins))
}

/// One gains table per group (groups in [`Groups`] label order). The bins are cut within
/// each group.
pub fn gains_by_group(
    y_true: &[bool],
    score: &[f64],
    groups: &Groups,
    bins: usize,
) -> Result<Vec<GroupGains>> {
    check_inputs(y_true, score, bins)?;
    check::same_len(
        "rows of the group column (vs y_true)",
        y_true.len(),
        groups.n_rows(),
    )?;
    // One global sort; distributing the sorted rows keeps each group in score order.
    let order = order::descending(score);
    let (offsets, rows) = groups.bucket(order.iter().map(|&i| i as usize));
    Ok(groups
        .labels()
        .par_iter()
        .enumerate()
        .map(|(g, label)| GroupGains {
            group: label.clone(),
            table: from_sorted(&rows[offsets[g]..offsets[g + 1]], y_true, score, bins),
        })
        .collect())
}

/// The table of rows already in score order.
fn from_sorted(sorted: &[usize], y_true: &[bool], score: &[f64], bins: usize) -> GainsTable {
    let n = sorted.len();
    let total_resp = sorted.iter().filter(|&&i| y_true[i]).count() as u64;
    let overall = total_resp as f64 / n as f64;
    let div = |a: f64, b: f64| if b == 0.0 { f64::NAN } else { a / b };
    let (mut cum_c, mut cum_r) = (0u64, 0u64);
    let rows = (0..bins)
        .map(|b| {
            let (lo, hi) = (b * n / bins, (b + 1) * n / bins);
            let part = &sorted[lo..hi];
            let customers = part.len() as u64;
            let responders = part.iter().filter(|&&i| y_true[i]).count() as u64;
            cum_c += customers;
            cum_r += responders;
            let rate = div(responders as f64, customers as f64);
            let cum_rate = div(cum_r as f64, cum_c as f64);
            GainsRow {
                bin: b + 1,
                customers,
                responders,
                response_rate: rate,
                // Sorted descending: the last row has the lowest score.
                min_score: part.last().map_or(f64::NAN, |&i| score[i]),
                max_score: part.first().map_or(f64::NAN, |&i| score[i]),
                cum_customers: cum_c,
                cum_responders: cum_r,
                cum_response_rate: cum_rate,
                capture: div(responders as f64, total_resp as f64),
                cum_capture: div(cum_r as f64, total_resp as f64),
                lift: div(rate, overall),
                cum_lift: div(cum_rate, overall),
            }
        })
        .collect();
    GainsTable {
        rows,
        customers: n as u64,
        responders: total_resp,
        overall_rate: overall,
    }
}

impl GainsTable {
    /// The table as columns (for CSV output); `group` adds a leading group column.
    pub fn to_table(&self, group: Option<&str>) -> Table {
        gains_columns(self.rows.iter().map(|r| (group, r)))
    }
}

/// Several groups' tables stacked, with a leading `group` column.
pub fn grouped_gains_table(groups: &[GroupGains]) -> Table {
    gains_columns(groups.iter().flat_map(|g| {
        g.table
            .rows
            .iter()
            .map(move |r| (Some(g.group.as_str()), r))
    }))
}

fn gains_columns<'a>(rows: impl Iterator<Item = (Option<&'a str>, &'a GainsRow)>) -> Table {
    let rows: Vec<(Option<&str>, &GainsRow)> = rows.collect();
    let mut b = TableBuilder::new();
    if rows.first().is_some_and(|(g, _)| g.is_some()) {
        b = b.text(
            "group",
            rows.iter().map(|(g, _)| g.unwrap_or("").to_string()),
        );
    }
    let col = |f: fn(&GainsRow) -> f64| rows.iter().map(move |(_, r)| f(r)).collect::<Vec<_>>();
    b.num("bin", col(|r| r.bin as f64).into_iter())
        .num("customers", col(|r| r.customers as f64).into_iter())
        .num("responders", col(|r| r.responders as f64).into_iter())
        .num("response_rate", col(|r| r.response_rate).into_iter())
        .num("min_score", col(|r| r.min_score).into_iter())
        .num("max_score", col(|r| r.max_score).into_iter())
        .num("cum_customers", col(|r| r.cum_customers as f64).into_iter())
        .num(
            "cum_responders",
            col(|r| r.cum_responders as f64).into_iter(),
        )
        .num(
            "cum_response_rate",
            col(|r| r.cum_response_rate).into_iter(),
        )
        .num("capture", col(|r| r.capture).into_iter())
        .num("cum_capture", col(|r| r.cum_capture).into_iter())
        .num("lift", col(|r| r.lift).into_iter())
        .num("cum_lift", col(|r| r.cum_lift).into_iter())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_of_ten_rows() {
        let score: Vec<f64> = (0..10).map(|i| i as f64 / 10.0).collect();
        let y: Vec<bool> = (0..10).map(|i| i >= 7).collect();
        let g = gains(&y, &score, 5).unwrap();
        assert_eq!(g.rows[0].customers, 2);
        assert_eq!(g.rows[0].responders, 2);
        assert_eq!(g.rows[1].responders, 1);
        assert_eq!(g.rows[0].lift, 1.0 / 0.3);
        assert_eq!(g.rows[4].cum_capture, 1.0);
        assert_eq!(g.rows[0].max_score, 0.9);
        assert_eq!(g.rows[0].min_score, 0.8);
    }

    #[test]
    fn ties_split_by_row_order() {
        // All scores equal: bins follow row order, so bin 1 holds rows 0 and 1.
        let y = [true, true, false, false];
        let g = gains(&y, &[0.5; 4], 2).unwrap();
        assert_eq!(g.rows[0].responders, 2);
        assert_eq!(g.rows[1].responders, 0);
    }

    #[test]
    fn bad_bins() {
        assert!(gains(&[true], &[0.5], 0).is_err());
        assert!(gains(&[true], &[0.5], 2).is_err());
    }
}
