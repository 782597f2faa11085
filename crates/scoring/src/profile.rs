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
    /// `mean / overall mean` (NaN when the overall mean is 0, or within [`CENTRED`] times the
    /// overall standard deviation of it: a centred or standardised column, where the ratio
    /// would only measure rounding).
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

/// Order-preserving integer image of a non-NaN value (`-0.0` maps with `0.0`), so the
/// quantile selections compare integers instead of floats.
#[inline]
fn to_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[inline]
fn from_key(k: u64) -> f64 {
    // Branch-free inverse of `to_key`: flip the sign bit of keys whose top bit is set, every
    // bit of the others.
    let top = ((k as i64) >> 63) as u64; // all ones when the top bit is set
    f64::from_bits(k ^ (!top | (1 << 63)))
}

/// Pairwise (cascade) sum of `f(key)` as numpy: error O(log n · ε), and the 8-lane leaves
/// vectorize, unlike a compensated loop.
fn pairwise_sum(keys: &[u64], f: &impl Fn(u64) -> f64) -> f64 {
    const LEAF: usize = 128;
    if keys.len() <= LEAF {
        let mut lanes = [0.0f64; 8];
        let mut chunks = keys.chunks_exact(8);
        for c in &mut chunks {
            for (l, &k) in lanes.iter_mut().zip(c) {
                *l += f(k);
            }
        }
        let mut s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
            + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for &k in chunks.remainder() {
            s += f(k);
        }
        s
    } else {
        // Split at a multiple of 8 so the leaves stay full.
        let half = (keys.len() / 2).div_ceil(8) * 8;
        let (a, b) = keys.split_at(half.min(keys.len()));
        pairwise_sum(a, f) + pairwise_sum(b, f)
    }
}

/// Key standing for a missing value: no number maps to it (`to_key` of +inf is below it).
const MISSING: u64 = u64::MAX;

/// describe() of the values whose keys are in `buf` ([`MISSING`] entries are skipped); `buf`
/// is reordered.
fn describe(buf: &mut [u64]) -> [f64; 8] {
    // Move the missing values (if any) to the end.
    let mut m = buf.len();
    if buf.contains(&MISSING) {
        m = 0;
        for i in 0..buf.len() {
            let k = buf[i];
            if k != MISSING {
                buf[i] = buf[m];
                buf[m] = k;
                m += 1;
            }
        }
    }
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
    let buf = &mut buf[..m];
    let min = buf.iter().copied().min().unwrap_or(MISSING);
    let max = buf.iter().copied().max().unwrap_or(MISSING);
    let mean = pairwise_sum(buf, &from_key) / m as f64;
    let std = if m > 1 {
        let ss = pairwise_sum(buf, &|k| {
            let d = from_key(k) - mean;
            d * d
        });
        (ss / (m - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    // The median first, then the quartiles inside each half: n + n/2 + n/2 element visits.
    let (lo50, f50) = rank(0.5, m);
    buf.select_nth_unstable(lo50);
    let (left, rest) = buf.split_at_mut(lo50);
    let (mid, right) = rest.split_at_mut(1);
    let median_lo = mid[0];
    let q50 = interpolate(median_lo, right, f50);
    let (lo25, f25) = rank(0.25, m);
    let q25 = if lo25 == lo50 {
        interpolate(median_lo, right, f25)
    } else {
        left.select_nth_unstable(lo25);
        let (_, r) = left.split_at_mut(lo25);
        let (a, above) = r.split_at_mut(1);
        // Ranks above lo25 are in `above` (left part) and, past it, at the median.
        let next = above
            .iter()
            .copied()
            .min()
            .unwrap_or(median_lo)
            .min(median_lo);
        lerp(from_key(a[0]), from_key(next), f25)
    };
    let (lo75, f75) = rank(0.75, m);
    let q75 = if lo75 == lo50 {
        interpolate(median_lo, right, f75)
    } else {
        let i = lo75 - lo50 - 1;
        right.select_nth_unstable(i);
        let (_, r) = right.split_at_mut(i);
        let (a, above) = r.split_at_mut(1);
        interpolate(a[0], above, f75)
    };
    [
        m as f64,
        mean,
        std,
        from_key(min),
        q25,
        q50,
        q75,
        from_key(max),
    ]
}

/// Linear interpolation as numpy: `a + (b - a) * frac`.
fn lerp(a: f64, b: f64, frac: f64) -> f64 {
    if frac == 0.0 { a } else { a + (b - a) * frac }
}

/// Value at rank `lo` (key `at`) interpolated towards the next rank, the smallest of `above`.
fn interpolate(at: u64, above: &[u64], frac: f64) -> f64 {
    let a = from_key(at);
    if frac == 0.0 || above.is_empty() {
        return a;
    }
    let b = above.iter().copied().min().unwrap_or(at);
    lerp(a, from_key(b), frac)
}

/// An overall mean within this fraction of the overall standard deviation of 0 counts as 0
/// for `relative_mean` (a centred or standardised column).
pub const CENTRED: f64 = 1e-9;

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
    let ng = groups.n_groups();
    let nf = features.len();
    // Group offsets: the rows of group g occupy [offsets[g], offsets[g + 1]) of each feature's
    // grouped buffer.
    let mut offsets = vec![0usize; ng + 1];
    for &c in groups.codes() {
        offsets[c as usize + 1] += 1;
    }
    for g in 0..ng {
        offsets[g + 1] += offsets[g];
    }
    // Per feature, one sequential pass scatters the keys into group order (a counting sort):
    // reads stream through the column and each group's writes are sequential, which is far
    // kinder to the cache than gathering every group's rows from across the table.
    let mut grouped: Vec<Vec<u64>> = features
        .par_iter()
        .map(|(_, v)| {
            let mut next = offsets.clone();
            let mut buf = vec![0u64; n];
            for (&c, &x) in groups.codes().iter().zip(v.iter()) {
                let slot = &mut next[c as usize];
                buf[*slot] = if x.is_nan() { MISSING } else { to_key(x) };
                *slot += 1;
            }
            buf
        })
        .collect();
    // Each group's slice is described in place first (its selections reorder only inside the
    // slice), then each whole buffer for the overall row (any order of its values will do).
    let mut tasks: Vec<(usize, usize, &mut [u64])> = Vec::with_capacity(ng * nf);
    for (f, buf) in grouped.iter_mut().enumerate() {
        let mut rest: &mut [u64] = buf;
        for g in 0..ng {
            let (head, tail) = rest.split_at_mut(offsets[g + 1] - offsets[g]);
            tasks.push((g, f, head));
            rest = tail;
        }
    }
    let mut described = vec![[0.0f64; 8]; (ng + 1) * nf];
    let per_group: Vec<(usize, [f64; 8])> = tasks
        .into_par_iter()
        .map(|(g, f, slice)| (g * nf + f, describe(slice)))
        .collect();
    for (i, d) in per_group {
        described[i] = d;
    }
    let overall: Vec<[f64; 8]> = grouped.par_iter_mut().map(|b| describe(b)).collect();
    for (f, d) in overall.into_iter().enumerate() {
        described[ng * nf + f] = d;
    }
    let mut positives = vec![0usize; ng];
    if let Some(y) = outcome {
        for (&c, &hit) in groups.codes().iter().zip(y) {
            positives[c as usize] += usize::from(hit);
        }
    }
    // A mean that is 0 up to rounding (a standardised column: 6e-17 with a spread of 1) is
    // taken as 0, or segment means would read as 10^16 times the average.
    let overall_means: Vec<f64> = (0..nf)
        .map(|f| {
            let [_, mean, std, ..] = described[ng * nf + f];
            if mean.abs() <= CENTRED * std {
                0.0
            } else {
                mean
            }
        })
        .collect();
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
            let resp = outcome.map(|_| positives[g]);
            segment(g, label.clone(), offsets[g + 1] - offsets[g], resp)
        })
        .collect();
    let resp = outcome.map(|y| y.iter().filter(|&&b| b).count());
    Ok(ProfileTable {
        segments,
        overall: segment(ng, "Total".into(), n, resp),
    })
}

impl ProfileTable {
    /// The segments relabelled with `names` (segment `c` takes `names[c]`; the `Total` row
    /// keeps its label), for segments named after their profiles were taken: a study then
    /// writes one name per segment in every file.
    ///
    /// Errors: [`Error::ShapeMismatch`] when `names` does not hold one name per segment.
    pub fn rename_segments(&mut self, names: &[String]) -> Result<()> {
        check::same_len(
            "segment names (vs segments)",
            self.segments.len(),
            names.len(),
        )?;
        for (s, n) in self.segments.iter_mut().zip(names) {
            s.segment.clone_from(n);
        }
        Ok(())
    }

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

    /// Renaming relabels every segment but the total, and refuses another number of names.
    #[test]
    fn segments_take_their_names() {
        let g = Groups::from_codes(vec![0, 1, 1], vec!["cluster 0".into(), "cluster 1".into()])
            .unwrap();
        let x = [1.0, 2.0, 3.0];
        let mut p = profile(&[("x", &x[..])], &g, None).unwrap();
        p.rename_segments(&["savers".into(), "spenders".into()])
            .unwrap();
        let labels: Vec<&str> = p.segments.iter().map(|s| s.segment.as_str()).collect();
        assert_eq!(labels, ["savers", "spenders"]);
        assert_eq!(p.overall.segment, "Total");
        assert!(p.rename_segments(&["one".into()]).is_err());
    }

    /// A centred column (its mean 0 up to rounding: 0.1 + 0.2 - 0.3 is 5.6e-17) has no relative
    /// means; they read as 10^16 before.
    #[test]
    fn a_centred_column_has_no_relative_mean() {
        let g = Groups::from_codes(vec![0, 0, 1], vec!["a".into(), "b".into()]).unwrap();
        let centred = [0.1, 0.2, -0.3];
        let plain = [1.0, 2.0, 6.0];
        let p = profile(&[("z", &centred[..]), ("x", &plain[..])], &g, None).unwrap();
        assert!(p.segments[0].features[0].relative_mean.is_nan());
        assert_eq!(p.segments[0].features[1].relative_mean, 1.5 / 3.0);
        assert_eq!(p.segments[1].features[1].relative_mean, 2.0);
    }

    #[test]
    fn describe_matches_numpy_quantiles() {
        let mut v: Vec<u64> = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0].map(to_key).to_vec();
        let d = describe(&mut v);
        // numpy: quantile([1,2,3,4,5,10], .25/.5/.75) = 2.25, 3.5, 4.75.
        assert_eq!(d[4], 2.25);
        assert_eq!(d[5], 3.5);
        assert_eq!(d[6], 4.75);
        assert_eq!(d[3], 1.0);
        assert_eq!(d[7], 10.0);
        let mut one = vec![to_key(7.0)];
        let d = describe(&mut one);
        assert_eq!(d[5], 7.0);
        assert!(d[2].is_nan());
        for x in [-3.5, -0.0, 0.0, 1e-300, 7.25, f64::MAX] {
            assert_eq!(from_key(to_key(x)), x + 0.0);
        }
    }

    #[test]
    fn quantiles_agree_with_sorting_for_every_small_size() {
        let mut state = 3u64;
        for m in 1..60usize {
            let v: Vec<f64> = (0..m)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 40) % 17) as f64 - 5.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let q = |p: f64| {
                let (lo, frac) = rank(p, m);
                let hi = (lo + 1).min(m - 1);
                lerp(sorted[lo], sorted[hi], frac)
            };
            let mut keys: Vec<u64> = v.iter().map(|&x| to_key(x)).collect();
            keys.push(MISSING);
            let d = describe(&mut keys);
            assert_eq!(d[0], m as f64);
            assert_eq!(
                [d[3], d[4], d[5], d[6], d[7]],
                [sorted[0], q(0.25), q(0.5), q(0.75), sorted[m - 1]],
                "m = {m}"
            );
        }
    }
}
