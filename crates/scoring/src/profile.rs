//! Segment profiles (studies 002, 003, 004): per segment its size and share, per feature the
//! statistics of pandas' `describe` (count, mean, std, min, 25 %, 50 %, 75 %, max), the mean
//! relative to the overall mean (1.4 = 40 % above average: what names a segment "frequent
//! spenders"), and the outcome rate when a target is given.
//!
//! As in pandas, missing values (NaN) are skipped: `count` is the number of non-missing
//! values; `std` uses `ddof = 1` (NaN for fewer than two values); quantiles interpolate
//! linearly between order statistics (numpy's default). Infinite values are rejected.

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check;
use crate::groups::Groups;
use crate::metrics::compensated_sum;
use crate::table_out::TableBuilder;

/// Statistics of one feature within one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    /// Feature name.
    pub feature: String,
    /// Non-missing values.
    pub count: u64,
    /// Mean (NaN when `count = 0`).
    pub mean: f64,
    /// Sample standard deviation, `ddof = 1` (NaN when `count < 2`).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// First quartile.
    #[serde(rename = "25%")]
    pub q25: f64,
    /// Median.
    #[serde(rename = "50%")]
    pub q50: f64,
    /// Third quartile.
    #[serde(rename = "75%")]
    pub q75: f64,
    /// Maximum.
    pub max: f64,
    /// `mean / overall mean` (NaN when the overall mean is 0).
    pub relative_mean: f64,
}

/// Profile of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentProfile {
    /// Segment label (`Total` for everyone).
    pub segment: String,
    /// Rows in the segment.
    pub size: u64,
    /// `size / all rows`.
    pub share: f64,
    /// Share of positive outcomes, when an outcome was given.
    pub outcome_rate: Option<f64>,
    /// One entry per feature, in the order given.
    pub features: Vec<FeatureStats>,
}

/// Profiles of every segment and of everyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileTable {
    /// Segments in [`Groups`] label order.
    pub segments: Vec<SegmentProfile>,
    /// Everyone (`relative_mean` = 1).
    pub overall: SegmentProfile,
}

/// Quantile rank `lo` and interpolation fraction for `q` over `m` sorted values.
fn rank(q: f64, m: usize) -> (usize, f64) {
    let pos = q * (m - 1) as f64;
    let lo = pos.floor();
    (lo as usize, pos - lo)
}

/// describe() of the values in `buf` (no NaN), which is reordered.
fn describe(buf: &mut [f64]) -> [f64; 8] {
    let m = buf.len();
    if m == 0 {
        return [
            0.0,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
        ];
    }
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in buf.iter() {
        min = min.min(x);
        max = max.max(x);
    }
    let mean = compensated_sum(buf.iter().copied()) / m as f64;
    let std = if m > 1 {
        (compensated_sum(buf.iter().map(|x| (x - mean) * (x - mean))) / (m - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    // Three selections on shrinking suffixes: after selecting rank r at position r, every
    // value of rank > r lies in buf[r + 1..].
    let mut q = [0.0f64; 3];
    let mut start = 0usize;
    let mut last: Option<usize> = None;
    for (k, &p) in [0.25, 0.5, 0.75].iter().enumerate() {
        let (lo, frac) = rank(p, m);
        if last != Some(lo) {
            buf[start..].select_nth_unstable_by(lo - start, f64::total_cmp);
            start = lo + 1;
            last = Some(lo);
        }
        let a = buf[lo];
        q[k] = if frac == 0.0 || lo + 1 >= m {
            a
        } else {
            let b = buf[lo + 1..].iter().copied().fold(f64::INFINITY, f64::min);
            a + (b - a) * frac
        };
    }
    [m as f64, mean, std, min, q[0], q[1], q[2], max]
}

fn stats(feature: &str, d: [f64; 8], overall_mean: f64) -> FeatureStats {
    FeatureStats {
        feature: feature.to_string(),
        count: d[0] as u64,
        mean: d[1],
        std: d[2],
        min: d[3],
        q25: d[4],
        q50: d[5],
        q75: d[6],
        max: d[7],
        relative_mean: if overall_mean == 0.0 {
            f64::NAN
        } else {
            d[1] / overall_mean
        },
    }
}

/// Profile `features` (name, values) by `groups`, with the outcome rate when `outcome` is
/// given.
pub fn profile(
    features: &[(&str, &[f64])],
    groups: &Groups,
    outcome: Option<&[bool]>,
) -> Result<ProfileTable> {
    let n = groups.n_rows();
    check::non_empty("rows to profile", n)?;
    check::non_empty("features to profile", features.len())?;
    for (name, v) in features {
        check::same_len(
            &format!("length of feature {name} (vs group column)"),
            n,
            v.len(),
        )?;
        if let Some(row) = v.iter().position(|x| x.is_infinite()) {
            return Err(Error::NonFinite {
                what: format!("feature {name}"),
                row,
                column: 0,
                value: v[row].to_string(),
            });
        }
    }
    if let Some(y) = outcome {
        check::same_len("length of outcome (vs group column)", n, y.len())?;
    }
    let (offsets, rows) = groups.bucket(0..n);
    let ng = groups.n_groups();
    // Task t < ng * F: (group, feature); the last F tasks: overall per feature.
    let nf = features.len();
    let described: Vec<[f64; 8]> = (0..(ng + 1) * nf)
        .into_par_iter()
        .map(|t| {
            let (g, f) = (t / nf, t % nf);
            let v = features[f].1;
            let mut buf: Vec<f64> = if g < ng {
                rows[offsets[g]..offsets[g + 1]]
                    .iter()
                    .map(|&r| v[r])
                    .filter(|x| !x.is_nan())
                    .collect()
            } else {
                v.iter().copied().filter(|x| !x.is_nan()).collect()
            };
            describe(&mut buf)
        })
        .collect();
    let overall_means: Vec<f64> = (0..nf).map(|f| described[ng * nf + f][1]).collect();
    let segment = |g: usize, label: String, size: usize, resp: Option<usize>| SegmentProfile {
        segment: label,
        size: size as u64,
        share: size as f64 / n as f64,
        outcome_rate: resp.map(|r| r as f64 / size as f64),
        features: (0..nf)
            .map(|f| stats(features[f].0, described[g * nf + f], overall_means[f]))
            .collect(),
    };
    let segments = groups
        .labels()
        .iter()
        .enumerate()
        .map(|(g, label)| {
            let members = &rows[offsets[g]..offsets[g + 1]];
            let resp = outcome.map(|y| members.iter().filter(|&&r| y[r]).count());
            segment(g, label.clone(), members.len(), resp)
        })
        .collect();
    let resp = outcome.map(|y| y.iter().filter(|&&b| b).count());
    Ok(ProfileTable {
        segments,
        overall: segment(ng, "Total".into(), n, resp),
    })
}

impl ProfileTable {
    /// Long format for CSV: one row per (segment, feature), `Total` last.
    pub fn to_table(&self) -> Table {
        let mut rows: Vec<(&SegmentProfile, &FeatureStats)> = Vec::new();
        for s in self.segments.iter().chain(std::iter::once(&self.overall)) {
            rows.extend(s.features.iter().map(|f| (s, f)));
        }
        let seg = |f: fn(&SegmentProfile) -> f64| rows.iter().map(move |(s, _)| f(s));
        let fea = |f: fn(&FeatureStats) -> f64| rows.iter().map(move |(_, x)| f(x));
        let mut b = TableBuilder::new()
            .text("segment", rows.iter().map(|(s, _)| s.segment.clone()))
            .num("size", seg(|s| s.size as f64))
            .num("share", seg(|s| s.share));
        if self.overall.outcome_rate.is_some() {
            b = b.num("outcome_rate", seg(|s| s.outcome_rate.unwrap_or(f64::NAN)));
        }
        b.text("feature", rows.iter().map(|(_, f)| f.feature.clone()))
            .num("count", fea(|f| f.count as f64))
            .num("mean", fea(|f| f.mean))
            .num("std", fea(|f| f.std))
            .num("min", fea(|f| f.min))
            .num("25%", fea(|f| f.q25))
            .num("50%", fea(|f| f.q50))
            .num("75%", fea(|f| f.q75))
            .num("max", fea(|f| f.max))
            .num("relative_mean", fea(|f| f.relative_mean))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_matches_numpy_quantiles() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0, 3.0, 10.0];
        let d = describe(&mut v);
        // numpy: quantile([1,2,3,4,5,10], .25/.5/.75) = 2.25, 3.5, 4.75.
        assert_eq!(d[4], 2.25);
        assert_eq!(d[5], 3.5);
        assert_eq!(d[6], 4.75);
        assert_eq!(d[3], 1.0);
        assert_eq!(d[7], 10.0);
        let mut one = vec![7.0];
        let d = describe(&mut one);
        assert_eq!(d[5], 7.0);
        assert!(d[2].is_nan());
    }
}
