//! Outliers by the interquartile range: per column fences `Q1 - f·IQR` and `Q3 + f·IQR`.
//!
//! Quartiles use numpy's default linear interpolation over the non-missing values, so the fences
//! are the ones a pandas user computes with `s.quantile([.25, .75])`. Three actions: count the
//! values outside the fences per column ([`FittedIqr::count_outside`]), clip them to the fences
//! ([`FittedIqr::clip`]), or drop the rows with any value outside ([`FittedIqr::inlier_mask`],
//! study 004's treatment before clustering), keeping the mask so labels can be joined back.
//! Missing values (NaN) are never outliers.
//!
//! ```
//! use cartera_preprocess::outliers::IqrOutliers;
//! use ndarray::array;
//!
//! let x = array![[1.0, 10.0], [2.0, 11.0], [3.0, 12.0], [4.0, 13.0], [100.0, 12.0]];
//! let fitted = IqrOutliers::new().fit(x.view())?;
//! assert_eq!(fitted.count_outside(x.view())?, vec![1, 0]);
//! assert_eq!(fitted.inlier_mask(x.view())?, vec![true, true, true, true, false]);
//! let clipped = fitted.clip(x.view())?;
//! assert_eq!(clipped[[4, 0]], fitted.upper()[0]);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// IQR outlier rule. Default `factor = 1.5` (Tukey's fences).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IqrOutliers {
    factor: f64,
}

impl Default for IqrOutliers {
    fn default() -> Self {
        IqrOutliers { factor: 1.5 }
    }
}

/// Fitted fences, one pair per column.
///
/// Deserialising checks that the four per-column vectors have the same length, so a damaged
/// pipeline file is an error when it is loaded instead of an index past the end later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IqrFile")]
pub struct FittedIqr {
    factor: f64,
    q1: Vec<f64>,
    q3: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

/// [`FittedIqr`] as read from a file, before its lengths are checked.
#[derive(Deserialize)]
struct IqrFile {
    factor: f64,
    q1: Vec<f64>,
    q3: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl TryFrom<IqrFile> for FittedIqr {
    type Error = String;

    fn try_from(f: IqrFile) -> std::result::Result<Self, String> {
        let n = f.q1.len();
        for (name, len) in [
            ("q3", f.q3.len()),
            ("lower", f.lower.len()),
            ("upper", f.upper.len()),
        ] {
            if len != n {
                return Err(format!(
                    "IQR fences: `{name}` has {len} values but `q1` has {n}"
                ));
            }
        }
        Ok(FittedIqr {
            factor: f.factor,
            q1: f.q1,
            q3: f.q3,
            lower: f.lower,
            upper: f.upper,
        })
    }
}

/// Value at quantile `q` of `v` (modified in place) by linear interpolation between order
/// statistics, found by selection in O(n).
pub(crate) fn quantile_in_place(v: &mut [f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    let (_, &mut at_lo, right) = v.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || right.is_empty() {
        return at_lo;
    }
    let next = right.iter().copied().fold(f64::INFINITY, f64::min);
    at_lo + (next - at_lo) * frac
}

/// `Some((least, greatest))` when `values` (no NaN, at least one) take at most two distinct
/// values, a 0/1 flag say: [`IqrOutliers::fit`] fences such a column at that range instead of
/// Tukey's fences. `None` otherwise.
pub fn own_range(values: impl Iterator<Item = f64> + Clone) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .clone()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), a| {
            (l.min(a), h.max(a))
        });
    let mut values = values;
    values.all(|a| a == lo || a == hi).then_some((lo, hi))
}

impl IqrOutliers {
    /// The default rule (`factor = 1.5`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Fence width in IQRs (finite, `>= 0`; 3.0 flags only "far out" values).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Compute the fences of each column of `x` (NaN = missing; ±inf is an error). A column with
    /// no non-missing value is an error naming its index.
    ///
    /// A column of at most two distinct values (a 0/1 flag or target) is fenced at its own
    /// least and greatest value: its quartiles are usually equal, and Tukey's fences would call
    /// every minority value (every churner, every senior customer) an outlier. Only a value
    /// outside those seen at fit time is flagged there.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedIqr> {
        validate::check_non_negative("factor", self.factor)?;
        validate::check_non_empty(x, "data for IQR fences")?;
        check_no_inf(x, "data for IQR fences")?;
        let quartiles: Vec<(f64, f64, (f64, f64))> = (0..x.ncols())
            .into_par_iter()
            .map(|j| {
                let mut v: Vec<f64> = x
                    .column(j)
                    .iter()
                    .map(|a| a.as_f64())
                    .filter(|a| !a.is_nan())
                    .collect();
                if v.is_empty() {
                    return Err(Error::TooFewSamples {
                        what: format!("non-missing values in column {j} for IQR fences"),
                        needed: 1,
                        found: 0,
                    });
                }
                // At most two distinct values: the flag's own range (see the doc above).
                let flag = own_range(v.iter().copied());
                let q1 = quantile_in_place(&mut v, 0.25);
                let q3 = quantile_in_place(&mut v, 0.75);
                let fences = if let Some(range) = flag {
                    range
                } else {
                    (q1 - self.factor * (q3 - q1), q3 + self.factor * (q3 - q1))
                };
                Ok((q1, q3, fences))
            })
            .collect::<Result<_>>()?;
        let q1 = quartiles.iter().map(|q| q.0).collect();
        let q3 = quartiles.iter().map(|q| q.1).collect();
        let lower = quartiles.iter().map(|q| q.2.0).collect();
        let upper = quartiles.iter().map(|q| q.2.1).collect();
        Ok(FittedIqr {
            factor: self.factor,
            q1,
            q3,
            lower,
            upper,
        })
    }
}

fn check_no_inf<F: Float>(x: ArrayView2<'_, F>, what: &str) -> Result<()> {
    for (row, r) in x.axis_iter(Axis(0)).enumerate() {
        if let Some(column) = r.iter().position(|v| v.is_infinite()) {
            return Err(Error::NonFinite {
                what: what.to_string(),
                row,
                column,
                value: if r[column] > F::zero() { "inf" } else { "-inf" }.into(),
            });
        }
    }
    Ok(())
}

impl FittedIqr {
    /// First quartiles.
    pub fn q1(&self) -> &[f64] {
        &self.q1
    }
    /// Third quartiles.
    pub fn q3(&self) -> &[f64] {
        &self.q3
    }
    /// Lower fences `Q1 - f·IQR`.
    pub fn lower(&self) -> &[f64] {
        &self.lower
    }
    /// Upper fences `Q3 + f·IQR`.
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }
    /// Number of columns.
    pub fn n_features(&self) -> usize {
        self.q1.len()
    }

    fn check<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<()> {
        validate::check_width(x, self.n_features(), "data")?;
        check_no_inf(x, "data")
    }

    fn outside(&self, j: usize, v: f64) -> bool {
        v < self.lower[j] || v > self.upper[j]
    }

    /// Values outside the fences in each column.
    pub fn count_outside<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Vec<usize>> {
        self.check(x)?;
        Ok((0..x.ncols())
            .map(|j| {
                x.column(j)
                    .iter()
                    .filter(|v| self.outside(j, v.as_f64()))
                    .count()
            })
            .collect())
    }

    /// `x` with every value outside its column's fences moved to the nearest fence.
    pub fn clip<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.check(x)?;
        let mut out = x.to_owned();
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .for_each(|mut row| {
                for (j, v) in row.iter_mut().enumerate() {
                    let a = v.as_f64();
                    if a < self.lower[j] {
                        *v = F::cast_from_f64(self.lower[j]);
                    } else if a > self.upper[j] {
                        *v = F::cast_from_f64(self.upper[j]);
                    }
                }
            });
        Ok(out)
    }

    /// `true` for each row whose values all lie within the fences (missing values count as
    /// within); `false` rows are the ones study 004 drops before clustering.
    pub fn inlier_mask<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Vec<bool>> {
        self.check(x)?;
        Ok(x.axis_iter(Axis(0))
            .into_par_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .all(|(j, v)| !self.outside(j, v.as_f64()))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::array;

    /// A 0/1 column (10 % ones) is fenced at 0 and 1: no churner is an outlier (Tukey's fences
    /// are [0, 0] there); a 2 seen later is. A third value makes it an ordinary column.
    #[test]
    fn flags_are_fenced_at_their_own_range() {
        let x = Array2::from_shape_fn((100, 2), |(i, j)| {
            if j == 0 {
                f64::from(u8::from(i % 10 == 0))
            } else {
                (i % 7) as f64
            }
        });
        let f = IqrOutliers::new().fit(x.view()).unwrap();
        assert_eq!((f.lower()[0], f.upper()[0]), (0.0, 1.0));
        assert_eq!((f.q1()[0], f.q3()[0]), (0.0, 0.0));
        assert!(f.inlier_mask(x.view()).unwrap().iter().all(|&m| m));
        let later = array![[2.0, 3.0], [1.0, 3.0]];
        assert_eq!(f.inlier_mask(later.view()).unwrap(), [false, true]);
        let mut three = x.clone();
        three[[1, 0]] = 0.5;
        let f = IqrOutliers::new().fit(three.view()).unwrap();
        assert_eq!((f.lower()[0], f.upper()[0]), (0.0, 0.0));
    }

    #[test]
    fn quartiles_match_numpy_linear() {
        // numpy.percentile([1, 2, 3, 4, 100], [25, 75]) == [2, 4]
        let x = array![[1.0], [2.0], [3.0], [4.0], [100.0]];
        let f = IqrOutliers::new().fit(x.view()).unwrap();
        assert_eq!((f.q1()[0], f.q3()[0]), (2.0, 4.0));
        assert_eq!((f.lower()[0], f.upper()[0]), (-1.0, 7.0));
        // numpy.percentile([1, 2, 3, 4], [25, 75]) == [1.75, 3.25]
        let y = array![[4.0], [1.0], [3.0], [2.0], [f64::NAN]];
        let f = IqrOutliers::new().factor(0.0).fit(y.view()).unwrap();
        assert_eq!((f.q1()[0], f.q3()[0]), (1.75, 3.25));
        assert_eq!(f.count_outside(y.view()).unwrap(), vec![2]);
        assert_eq!(
            f.inlier_mask(y.view()).unwrap(),
            vec![false, false, true, true, true]
        );
    }

    #[test]
    fn bad_input() {
        assert!(
            IqrOutliers::new()
                .factor(-1.0)
                .fit(array![[1.0]].view())
                .is_err()
        );
        assert!(
            IqrOutliers::new()
                .factor(f64::NAN)
                .fit(array![[1.0]].view())
                .is_err()
        );
        let all_nan = array![[1.0, f64::NAN], [2.0, f64::NAN]];
        assert!(matches!(
            IqrOutliers::new().fit(all_nan.view()),
            Err(Error::TooFewSamples { .. })
        ));
    }

    #[test]
    fn f32_and_f64_agree() {
        let x = array![[1.0f32, 5.0], [2.0, 6.0], [3.0, 7.0], [50.0, 8.0]];
        let f = IqrOutliers::new().fit(x.view()).unwrap();
        let x64 = x.mapv(f64::from);
        assert_eq!(f, IqrOutliers::new().fit(x64.view()).unwrap());
    }

    struct Clip;
    impl Subject for Clip {
        type Model = FittedIqr;
        fn name(&self) -> &str {
            "IqrOutliers (clip)"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedIqr> {
            IqrOutliers::new().fit(x)
        }
        fn output(&self, m: &FittedIqr, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            m.clip(x)
        }
        fn accepts_nan(&self) -> bool {
            true
        }
    }

    #[test]
    fn conforms() {
        assert_conforms(&Clip);
    }
}
