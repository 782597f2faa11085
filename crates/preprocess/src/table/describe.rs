//! Per-column summary statistics, as pandas' `DataFrame.describe()`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::column::{Column, ColumnType, MISSING_CODE};

/// Summary of one column.
///
/// For numeric columns the statistics follow pandas' `describe()`: `mean` of the non-missing
/// values, `std` with `ddof = 1` (absent for a single value), and the 25/50/75 % quantiles by
/// linear interpolation between order statistics (numpy's default). For categorical and text
/// columns `top` is the most frequent value (ties: the one seen first) and `freq` its count.
/// pandas agrees on ties among a few distinct values; with more (about 16 and up) its
/// `value_counts` orders ties by an unstable sort, so its `top` may be another of them.
/// `unique` counts distinct non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    /// Column name.
    pub name: String,
    /// Column type.
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Non-missing values.
    pub count: usize,
    /// Missing values.
    pub missing: usize,
    /// Distinct non-missing values.
    pub unique: usize,
    /// Most frequent value (categorical and text columns).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub top: Option<String>,
    /// Count of the most frequent value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub freq: Option<usize>,
    /// Mean (numeric columns).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mean: Option<f64>,
    /// Sample standard deviation, `ddof = 1` (numeric columns with at least two values).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub std: Option<f64>,
    /// Minimum.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<f64>,
    /// First quartile.
    #[serde(rename = "25%", skip_serializing_if = "Option::is_none", default)]
    pub q25: Option<f64>,
    /// Median.
    #[serde(rename = "50%", skip_serializing_if = "Option::is_none", default)]
    pub q50: Option<f64>,
    /// Third quartile.
    #[serde(rename = "75%", skip_serializing_if = "Option::is_none", default)]
    pub q75: Option<f64>,
    /// Maximum.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<f64>,
}

/// Neumaier-compensated sum: keeps means and variances of long columns accurate to a few ulps.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            c += (sum - t) + v;
        } else {
            c += (v - t) + sum;
        }
        sum = t;
    }
    // An infinite value makes the correction `inf - inf = NaN`; the plain sum is then the
    // answer (inf, -inf, or NaN for both signs), as pandas gives.
    if sum.is_finite() { sum + c } else { sum }
}

/// Quantile `q` of sorted values by linear interpolation (numpy's default).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let frac = pos - lo as f64;
    if frac == 0.0 {
        sorted[lo]
    } else {
        sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }
}

/// The most frequent value of `(value, count, first row)` triples and its count; ties go to
/// the value seen first (pandas' choice among a few distinct values; with many, its unstable
/// sort may pick another of the tied values).
fn top_of<'a>(counts: impl Iterator<Item = (&'a str, usize, usize)>) -> Option<(String, usize)> {
    counts
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.2.cmp(&a.2)))
        .map(|(s, n, _)| (s.to_string(), n))
}

/// Summarise one column (see [`ColumnSummary`]).
pub fn describe_column(name: &str, column: &Column) -> ColumnSummary {
    let missing = column.missing_count();
    let mut s = ColumnSummary {
        name: name.to_string(),
        column_type: column.column_type(),
        count: column.len() - missing,
        missing,
        unique: 0,
        top: None,
        freq: None,
        mean: None,
        std: None,
        min: None,
        q25: None,
        q50: None,
        q75: None,
        max: None,
    };
    match column {
        Column::Numeric(v) => {
            let mut sorted: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            if sorted.is_empty() {
                return s;
            }
            sorted.sort_unstable_by(f64::total_cmp);
            let n = sorted.len() as f64;
            let mean = compensated_sum(sorted.iter().copied()) / n;
            s.mean = Some(mean);
            if sorted.len() > 1 {
                // Deviations past 1e150 would overflow when squared (a representable std came
                // out NaN): those columns are summed in units of the largest deviation. Other
                // columns keep the plain sum, bit for bit.
                let largest = (sorted[0] - mean)
                    .abs()
                    .max((sorted[sorted.len() - 1] - mean).abs());
                let unit = if largest > 1e150 && largest.is_finite() {
                    largest
                } else {
                    1.0
                };
                let ss = compensated_sum(sorted.iter().map(|x| {
                    let d = (x - mean) / unit;
                    d * d
                }));
                s.std = Some(unit * (ss / (n - 1.0)).sqrt());
            }
            s.min = sorted.first().copied();
            s.max = sorted.last().copied();
            s.q25 = Some(quantile_sorted(&sorted, 0.25));
            s.q50 = Some(quantile_sorted(&sorted, 0.5));
            s.q75 = Some(quantile_sorted(&sorted, 0.75));
            s.unique = 1 + sorted.windows(2).filter(|w| w[0] != w[1]).count();
        }
        Column::Categorical(c) => {
            let mut counts = vec![0usize; c.levels().len()];
            let mut first = vec![usize::MAX; c.levels().len()];
            for (i, &code) in c.codes().iter().enumerate() {
                if code != MISSING_CODE {
                    let l = code as usize;
                    counts[l] += 1;
                    first[l] = first[l].min(i);
                }
            }
            s.unique = counts.iter().filter(|&&n| n > 0).count();
            if let Some((top, freq)) = top_of(
                c.levels()
                    .iter()
                    .zip(counts.iter().zip(&first))
                    .map(|(l, (&n, &f))| (l.as_str(), n, f)),
            ) && freq > 0
            {
                s.top = Some(top);
                s.freq = Some(freq);
            }
        }
        Column::Text(t) => {
            // Count and first row of each value.
            let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
            for (i, v) in t.iter().enumerate() {
                if let Some(v) = v {
                    counts.entry(v).or_insert((0, i)).0 += 1;
                }
            }
            s.unique = counts.len();
            if let Some((top, freq)) = top_of(counts.into_iter().map(|(v, (n, f))| (v, n, f))) {
                s.top = Some(top);
                s.freq = Some(freq);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{CategoricalColumn, TextColumn};

    #[test]
    fn numeric_matches_pandas_conventions() {
        // pandas: pd.Series([1, 2, 3, 4, None]).describe()
        let s = describe_column("x", &Column::Numeric(vec![1.0, 2.0, 3.0, 4.0, f64::NAN]));
        assert_eq!((s.count, s.missing, s.unique), (4, 1, 4));
        assert_eq!(s.mean, Some(2.5));
        assert!((s.std.unwrap() - 1.2909944487358056).abs() < 1e-15);
        assert_eq!((s.q25, s.q50, s.q75), (Some(1.75), Some(2.5), Some(3.25)));
        assert_eq!((s.min, s.max), (Some(1.0), Some(4.0)));
        let one = describe_column("y", &Column::Numeric(vec![5.0]));
        assert_eq!(one.std, None);
        // Deviations whose squares overflow still give the representable std.
        let huge = describe_column("h", &Column::Numeric(vec![2.0, 1e308, -1e308, 6.0]));
        let want = (2.0f64 / 3.0).sqrt() * 1e308;
        assert!(
            (huge.std.unwrap() / want - 1.0).abs() < 1e-12,
            "{:?}",
            huge.std
        );
        assert_eq!(one.q75, Some(5.0));
        let none = describe_column("z", &Column::Numeric(vec![f64::NAN]));
        assert_eq!((none.count, none.mean), (0, None));
        // pandas: Series([1, inf]).mean() is inf, Series([inf, -inf]).mean() NaN.
        let inf = describe_column("i", &Column::Numeric(vec![1.0, f64::INFINITY]));
        assert_eq!(
            (inf.mean, inf.max),
            (Some(f64::INFINITY), Some(f64::INFINITY))
        );
        let both = describe_column(
            "b",
            &Column::Numeric(vec![f64::NEG_INFINITY, f64::INFINITY]),
        );
        assert!(both.mean.unwrap().is_nan());
    }

    #[test]
    fn strings_report_top_and_freq() {
        let c = Column::Categorical(CategoricalColumn::from_options(&[
            Some("b"),
            Some("a"),
            Some("b"),
            None,
        ]));
        let s = describe_column("c", &c);
        assert_eq!(
            (s.unique, s.top.as_deref(), s.freq, s.missing),
            (2, Some("b"), Some(2), 1)
        );
        let t = Column::Text(TextColumn::from_options(&[Some("y"), Some("x")]));
        let s = describe_column("t", &t);
        // A tie goes to the value seen first, as pandas (not to the hash order).
        assert_eq!(
            (s.unique, s.top.as_deref(), s.freq),
            (2, Some("y"), Some(1))
        );
        // pandas: `pd.Series(list("zyxyzx")).describe()["top"]` is "z"; and for a
        // categorical column whose levels are sorted ("a" before "m").
        let t = Column::Text(TextColumn::from_options(
            &["z", "y", "x", "y", "z", "x"].map(Some),
        ));
        assert_eq!(describe_column("t", &t).top.as_deref(), Some("z"));
        let c = Column::Categorical(CategoricalColumn::from_options(&[
            None,
            Some("m"),
            Some("a"),
            Some("a"),
            Some("m"),
        ]));
        assert_eq!(describe_column("c", &c).top.as_deref(), Some("m"));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["type"], "text");
        assert!(json.get("mean").is_none());
    }
}
