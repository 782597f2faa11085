//! Filling missing values (NaN) in numeric matrices, as scikit-learn's `SimpleImputer`.
//!
//! [`SimpleImputer`] learns one statistic per column (mean, median, most frequent value or a
//! constant) from the non-missing values; the fitted [`FittedImputer`] replaces each NaN by its
//! column's statistic and can report how many values it filled per column
//! ([`FittedImputer::transform_with_counts`]).
//!
//! | strategy | statistic (over the non-missing values) | scikit-learn |
//! |---|---|---|
//! | [`ImputeStrategy::Mean`] (default) | arithmetic mean, accumulated in `f64` | `strategy="mean"` |
//! | [`ImputeStrategy::Median`] | median; the mean of the two middle values for an even count | `strategy="median"` |
//! | [`ImputeStrategy::MostFrequent`] | the most frequent value; ties go to the smallest | `strategy="most_frequent"` |
//! | [`ImputeStrategy::Constant`] | the given value | `strategy="constant", fill_value=...` |
//!
//! NaN is the missing marker. ±inf is refused ([`Error::NonFinite`] naming the first cell), at
//! fit and at transform. A column with no value at all at fit cannot give a mean, median or mode:
//! instead of dropping it silently as scikit-learn does, `fit` fails with
//! [`Error::TooFewSamples`] naming the column index (the constant strategy fills such a column).
//!
//! Fitting and transforming run over fixed blocks of rows in parallel and combine results in
//! block order, so the statistics and counts do not depend on the thread count.
//!
//! ```
//! use cartera_preprocess::impute::{ImputeStrategy, SimpleImputer};
//! use ndarray::{Array2, array};
//!
//! let nan = f64::NAN;
//! // income, assets: two customers did not report one of them.
//! let x: Array2<f64> = array![[1200.0, 0.0], [nan, 3000.0], [900.0, nan], [1500.0, 3000.0]];
//!
//! let imputer = SimpleImputer::new().strategy(ImputeStrategy::Median).fit(x.view())?;
//! assert_eq!(imputer.statistics(), &[1200.0, 3000.0]);
//! let (filled, counts) = imputer.transform_with_counts(x.view())?;
//! assert_eq!(filled[[1, 0]], 1200.0);
//! assert_eq!(filled[[2, 1]], 3000.0);
//! assert_eq!(counts, vec![1, 1]);
//!
//! // A column with nothing to learn from is an error naming it.
//! let empty_column: Array2<f64> = array![[1.0, nan], [2.0, nan]];
//! let err = SimpleImputer::new().fit(empty_column.view()).unwrap_err();
//! assert!(err.to_string().contains("column 1"), "{err}");
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::scale::blocks::{
    block_rows, cmp, map_row_blocks, median_indices, midpoint, order_stats, reduce_row_blocks,
    rows_of, to_columns,
};

/// What the input is called in error messages.
const WHAT: &str = "data to impute";

/// How [`SimpleImputer`] chooses each column's fill value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The mean of the column's non-missing values (scikit-learn's default).
    Mean,
    /// The median of the column's non-missing values (NumPy's: the mean of the two middle
    /// values for an even count).
    Median,
    /// The most frequent non-missing value; ties go to the smallest value, as scikit-learn.
    MostFrequent,
    /// This value for every column; it must be finite (and finite in the element type).
    Constant(f64),
}

impl ImputeStrategy {
    /// The strategy's scikit-learn name (`"mean"`, `"median"`, `"most_frequent"`, `"constant"`).
    pub fn name(self) -> &'static str {
        match self {
            ImputeStrategy::Mean => "mean",
            ImputeStrategy::Median => "median",
            ImputeStrategy::MostFrequent => "most_frequent",
            ImputeStrategy::Constant(_) => "constant",
        }
    }
}

/// Parameters of the imputer, as scikit-learn's `SimpleImputer` for numeric data with NaN as
/// the missing value.
///
/// Defaults (as scikit-learn): `strategy = ImputeStrategy::Mean`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleImputer {
    strategy: ImputeStrategy,
}

impl Default for SimpleImputer {
    fn default() -> Self {
        Self {
            strategy: ImputeStrategy::Mean,
        }
    }
}

impl SimpleImputer {
    /// The defaults: fill with the column mean.
    pub fn new() -> Self {
        Self::default()
    }

    /// How to choose the fill value (default [`ImputeStrategy::Mean`]).
    pub fn strategy(mut self, strategy: ImputeStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Learns each column's fill value from its non-missing values.
    ///
    /// Errors: [`Error::InvalidParameter`] for a constant that is not finite in `F`,
    /// [`Error::EmptyInput`] without rows or columns, [`Error::NonFinite`] at the first ±inf
    /// (row-major order), [`Error::TooFewSamples`] naming the first column without any
    /// non-missing value (mean, median and most-frequent strategies).
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedImputer<F>> {
        if let ImputeStrategy::Constant(c) = self.strategy
            && !(c.is_finite() && F::cast_from_f64(c).is_finite())
        {
            return Err(Error::invalid_param(
                "fill_value",
                c,
                format!("must be a finite number (in {})", F::NAME),
            ));
        }
        validate::check_non_empty(x, WHAT)?;
        let (n, d) = x.dim();
        let statistics = match self.strategy {
            ImputeStrategy::Mean => column_means(x)?,
            ImputeStrategy::Median | ImputeStrategy::MostFrequent => {
                check_no_inf(x, WHAT)?;
                let median = self.strategy == ImputeStrategy::Median;
                let mut columns = rows_of(x, |xs| to_columns(xs, n, d));
                let per_column: Vec<Option<F>> = columns
                    .par_chunks_mut(n)
                    .map(|col| {
                        let present = move_nan_last(col);
                        let values = col.get_mut(..present)?;
                        if values.is_empty() {
                            None
                        } else if median {
                            Some(median_of(values))
                        } else {
                            Some(most_frequent(values))
                        }
                    })
                    .collect();
                per_column
                    .into_iter()
                    .enumerate()
                    .map(|(j, s)| s.ok_or_else(|| all_missing(j, self.strategy)))
                    .collect::<Result<Vec<F>>>()?
            }
            ImputeStrategy::Constant(c) => {
                check_no_inf(x, WHAT)?;
                vec![F::cast_from_f64(c); d]
            }
        };
        Ok(FittedImputer {
            strategy: self.strategy,
            n_samples_seen: n,
            statistics,
        })
    }

    /// [`fit`](Self::fit) then [`FittedImputer::transform_with_counts`] on the same data.
    pub fn fit_transform<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(FittedImputer<F>, Array2<F>, Vec<usize>)> {
        let fitted = self.fit(x)?;
        let (out, counts) = fitted.transform_with_counts(x)?;
        Ok((fitted, out, counts))
    }
}

/// A fitted imputer: one fill value per column. Immutable; saved and loaded with serde.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedImputer<F> {
    strategy: ImputeStrategy,
    n_samples_seen: usize,
    statistics: Vec<F>,
}

impl<F: Float> FittedImputer<F> {
    /// The fill value of each column (scikit-learn's `statistics_`).
    pub fn statistics(&self) -> &[F] {
        &self.statistics
    }

    /// The strategy that chose the statistics.
    pub fn strategy(&self) -> ImputeStrategy {
        self.strategy
    }

    /// Number of columns seen at fit (`n_features_in_`).
    pub fn n_features(&self) -> usize {
        self.statistics.len()
    }

    /// Number of rows seen at fit.
    pub fn n_samples_seen(&self) -> usize {
        self.n_samples_seen
    }

    /// `x` with every NaN replaced by its column's statistic.
    ///
    /// Errors: [`Error::ShapeMismatch`] for the wrong number of columns, [`Error::NonFinite`]
    /// at the first ±inf, [`Error::ModelFormat`] for a loaded model with non-finite statistics.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.transform_with_counts(x).map(|(out, _)| out)
    }

    /// As [`transform`](Self::transform), also returning how many values were filled in each
    /// column (the "values imputed" of a cleaning summary).
    pub fn transform_with_counts(&self, x: ArrayView2<'_, F>) -> Result<(Array2<F>, Vec<usize>)> {
        let d = self.statistics.len();
        validate::check_width(x, d, WHAT)?;
        self.check_statistics()?;
        let stats = &self.statistics;
        let n = x.nrows();
        let (out, blocks) = rows_of(x, |xs| {
            map_row_blocks(xs, n, d, |xb, ob| {
                let mut filled = vec![0usize; d];
                // The filled value times 0 is 0 unless the input was ±inf (NaN is replaced by a
                // finite statistic): a branch-free check fused into the pass.
                let mut poison = vec![F::zero(); d];
                for (xr, or) in xb.chunks_exact(d).zip(ob.chunks_exact_mut(d)) {
                    for ((((o, &v), &s), c), z) in or
                        .iter_mut()
                        .zip(xr)
                        .zip(stats)
                        .zip(&mut filled)
                        .zip(&mut poison)
                    {
                        let missing = v.is_nan();
                        *o = if missing { s } else { v };
                        *c += usize::from(missing);
                        *z += *o * F::zero();
                    }
                }
                let finite = poison.iter().all(|z| *z == F::zero());
                (filled, finite)
            })
        })?;
        if blocks.iter().any(|(_, finite)| !finite) {
            check_no_inf(x, WHAT)?;
        }
        let mut counts = vec![0usize; d];
        for (filled, _) in &blocks {
            for (c, f) in counts.iter_mut().zip(filled) {
                *c += f;
            }
        }
        Ok((out, counts))
    }

    /// Replaces the NaN of `x` in place (as scikit-learn's `copy=False`) and returns how many
    /// values were filled per column. No new matrix is allocated when `x` is in standard
    /// (row-major) layout. `x` is validated first, so on error it is left unchanged.
    ///
    /// Errors as [`transform`](Self::transform).
    pub fn transform_in_place(&self, mut x: ArrayViewMut2<'_, F>) -> Result<Vec<usize>> {
        let d = self.statistics.len();
        validate::check_width(x.view(), d, WHAT)?;
        self.check_statistics()?;
        check_no_inf(x.view(), WHAT)?;
        let stats = &self.statistics;
        if let Some(xs) = x.as_slice_mut() {
            let blocks: Vec<Vec<usize>> = xs
                .par_chunks_mut(block_rows(d) * d.max(1))
                .map(|block| {
                    let mut filled = vec![0usize; d];
                    for row in block.chunks_exact_mut(d) {
                        for ((v, &s), c) in row.iter_mut().zip(stats).zip(&mut filled) {
                            if v.is_nan() {
                                *v = s;
                                *c += 1;
                            }
                        }
                    }
                    filled
                })
                .collect();
            let mut counts = vec![0usize; d];
            for b in &blocks {
                for (c, f) in counts.iter_mut().zip(b) {
                    *c += f;
                }
            }
            return Ok(counts);
        }
        let (out, counts) = self.transform_with_counts(x.view())?;
        x.assign(&out);
        Ok(counts)
    }

    /// A model loaded from a file could hold non-finite statistics; transforming with them
    /// would silently write NaN or inf.
    fn check_statistics(&self) -> Result<()> {
        match self.statistics.iter().position(|s| !s.is_finite()) {
            None => Ok(()),
            Some(j) => Err(Error::model_format(format!(
                "imputer statistic of column {j} is not finite"
            ))),
        }
    }
}

/// Number of missing values (NaN) in each column of `x`, in one parallel pass.
pub fn count_missing<F: Float>(x: ArrayView2<'_, F>) -> Vec<usize> {
    let d = x.ncols();
    let blocks: Vec<Vec<usize>> = rows_of(x, |xs| {
        reduce_row_blocks(xs, d, |block| {
            let mut counts = vec![0usize; d];
            for row in block.chunks_exact(d.max(1)) {
                for (c, v) in counts.iter_mut().zip(row) {
                    *c += usize::from(v.is_nan());
                }
            }
            counts
        })
    });
    let mut counts = vec![0usize; d];
    for b in &blocks {
        for (c, v) in counts.iter_mut().zip(b) {
            *c += v;
        }
    }
    counts
}

/// Fails with [`Error::NonFinite`] naming the first ±inf of `x` in row-major order (NaN, the
/// missing marker, is allowed). Parallel over fixed row blocks; the cell reported does not
/// depend on the thread count.
fn check_no_inf<F: Float>(x: ArrayView2<'_, F>, what: &str) -> Result<()> {
    let d = x.ncols().max(1);
    let rows = block_rows(d);
    let first = rows_of(x, |xs| {
        xs.par_chunks(rows * d)
            .enumerate()
            .find_map_first(|(b, block)| {
                block
                    .iter()
                    .position(|v| v.is_infinite())
                    .map(|i| (b * rows + i / d, i % d, block[i]))
            })
    });
    match first {
        None => Ok(()),
        Some((row, column, v)) => Err(Error::NonFinite {
            what: what.to_string(),
            row,
            column,
            value: if v > F::zero() { "inf" } else { "-inf" }.into(),
        }),
    }
}

/// Column means over non-missing values: per-block sums and counts, combined in block order.
fn column_means<F: Float>(x: ArrayView2<'_, F>) -> Result<Vec<F>> {
    let d = x.ncols();
    let blocks: Vec<(Vec<f64>, Vec<usize>)> = rows_of(x, |xs| {
        reduce_row_blocks(xs, d, |block| {
            let mut sum = vec![0.0f64; d];
            let mut count = vec![0usize; d];
            for row in block.chunks_exact(d) {
                for ((s, c), &v) in sum.iter_mut().zip(&mut count).zip(row) {
                    let present = !v.is_nan();
                    *s += if present { v.as_f64() } else { 0.0 };
                    *c += usize::from(present);
                }
            }
            (sum, count)
        })
    });
    let mut sum = vec![0.0f64; d];
    let mut count = vec![0usize; d];
    for (bs, bc) in &blocks {
        // ±inf (or an overflowing sum) makes a block sum non-finite: find out which.
        if bs.iter().any(|s| !s.is_finite()) {
            check_no_inf(x, WHAT)?;
        }
        for ((s, c), (v, k)) in sum.iter_mut().zip(&mut count).zip(bs.iter().zip(bc)) {
            *s += v;
            *c += k;
        }
    }
    sum.iter()
        .zip(&count)
        .enumerate()
        .map(|(j, (&s, &c))| {
            if c == 0 {
                return Err(all_missing(j, ImputeStrategy::Mean));
            }
            let mean = F::cast_from_f64(s / c as f64);
            if !mean.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("the mean of column {j} of the {WHAT} (values too large)"),
                    row: 0,
                    column: j,
                    value: "inf".into(),
                });
            }
            Ok(mean)
        })
        .collect()
}

/// The error for a column with nothing to learn from.
fn all_missing(column: usize, strategy: ImputeStrategy) -> Error {
    Error::TooFewSamples {
        what: format!(
            "non-missing values in column {column} (to compute its {})",
            strategy.name()
        ),
        needed: 1,
        found: 0,
    }
}

/// Moves the non-NaN values of `col` to its front (order not kept) and returns their count.
fn move_nan_last<F: Float>(col: &mut [F]) -> usize {
    let mut present = 0;
    for i in 0..col.len() {
        if !col[i].is_nan() {
            col.swap(present, i);
            present += 1;
        }
    }
    present
}

/// NumPy's median of NaN-free, non-empty `values` (reorders them).
fn median_of<F: Float>(values: &mut [F]) -> F {
    let (a, b) = median_indices(values.len());
    let ks: Vec<usize> = if a == b { vec![a] } else { vec![a, b] };
    let v = order_stats(values, &ks);
    match v.as_slice() {
        [m] => *m,
        [lo, hi] => F::cast_from_f64(midpoint(lo.as_f64(), hi.as_f64())),
        _ => F::nan(),
    }
}

/// The most frequent of NaN-free, non-empty `values`, the smallest on ties (sorts them).
fn most_frequent<F: Float>(values: &mut [F]) -> F {
    values.sort_unstable_by(cmp);
    let mut best = F::nan();
    let mut best_count = 0;
    let mut start = 0;
    while start < values.len() {
        let v = values[start];
        // `==` rather than the sort order, so that -0.0 and 0.0 count as one value.
        let run = values[start..].iter().take_while(|&&w| w == v).count();
        // Strictly greater: on a tie the earlier (smaller) value stays.
        if run > best_count {
            best = v;
            best_count = run;
        }
        start += run.max(1);
    }
    best
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is a failed test

    use super::*;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::{Array2, array, s};

    struct Kit(ImputeStrategy);

    impl Subject for Kit {
        type Model = FittedImputer<f64>;
        fn name(&self) -> &str {
            self.0.name()
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model> {
            SimpleImputer::new().strategy(self.0).fit(x)
        }
        fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            m.transform(x)
        }
        fn accepts_nan(&self) -> bool {
            true
        }
        fn thread_tolerance(&self) -> f64 {
            0.0
        }
        fn data(&self) -> Array2<f64> {
            // Blobs with a few holes, so that the statistics skip missing values.
            let mut x = Array2::from_shape_fn((120, 3), |(i, j)| {
                ((i * 37 + j * 11) % 29) as f64 - 10.0 + j as f64
            });
            for i in (0..120).step_by(7) {
                x[[i, i % 3]] = f64::NAN;
            }
            x
        }
    }

    #[test]
    fn every_strategy_conforms() {
        for s in [
            ImputeStrategy::Mean,
            ImputeStrategy::Median,
            ImputeStrategy::MostFrequent,
            ImputeStrategy::Constant(-1.5),
        ] {
            assert_conforms(&Kit(s));
        }
    }

    #[test]
    fn fill_value_cannot_be_nan() {
        let x = array![[1.0, 2.0]];
        let r = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant(f64::NAN))
            .fit(x.view());
        assert!(matches!(r, Err(Error::InvalidParameter { ref name, .. }) if name == "fill_value"));
    }

    #[test]
    fn fill_value_cannot_be_infinite() {
        let x = array![[1.0, 2.0]];
        let r = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant(f64::NEG_INFINITY))
            .fit(x.view());
        assert!(matches!(r, Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn fill_value_must_fit_in_f32() {
        let x = array![[1.0f32, 2.0]];
        let r = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant(1e300))
            .fit(x.view());
        assert!(matches!(r, Err(Error::InvalidParameter { .. })));
    }

    const NAN: f64 = f64::NAN;

    fn sample() -> Array2<f64> {
        array![
            [1.0, NAN, 5.0],
            [NAN, 2.0, 5.0],
            [3.0, 2.0, NAN],
            [3.0, 8.0, 1.0],
            [7.0, 8.0, 1.0]
        ]
    }

    fn stats(strategy: ImputeStrategy) -> Vec<f64> {
        SimpleImputer::new()
            .strategy(strategy)
            .fit(sample().view())
            .unwrap()
            .statistics()
            .to_vec()
    }

    #[test]
    fn statistics_skip_missing_values() {
        assert_eq!(stats(ImputeStrategy::Mean), vec![3.5, 5.0, 3.0]);
        assert_eq!(stats(ImputeStrategy::Median), vec![3.0, 5.0, 3.0]);
        // Column 1: 2 and 8 tie (twice each) -> 2; column 2: 5 and 1 tie -> 1.
        assert_eq!(stats(ImputeStrategy::MostFrequent), vec![3.0, 2.0, 1.0]);
        assert_eq!(stats(ImputeStrategy::Constant(0.0)), vec![0.0; 3]);
    }

    #[test]
    fn transform_fills_and_counts() {
        let m = SimpleImputer::new().fit(sample().view()).unwrap();
        let (out, counts) = m.transform_with_counts(sample().view()).unwrap();
        assert_eq!(counts, vec![1, 1, 1]);
        assert_eq!(out[[1, 0]], 3.5);
        assert_eq!(out[[0, 1]], 5.0);
        assert_eq!(out[[3, 1]], 8.0);
        assert!(out.iter().all(|v| v.is_finite()));
        assert_eq!(count_missing(sample().view()), vec![1, 1, 1]);
    }

    #[test]
    fn all_missing_column_is_named() {
        let x = array![[1.0, NAN, NAN], [2.0, NAN, NAN]];
        for s in [
            ImputeStrategy::Mean,
            ImputeStrategy::Median,
            ImputeStrategy::MostFrequent,
        ] {
            let e = SimpleImputer::new().strategy(s).fit(x.view()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "non-missing values in column 1 (to compute its {}): needs at least 1, found 0",
                    s.name()
                )
            );
        }
        let m = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant(9.0))
            .fit(x.view())
            .unwrap();
        assert_eq!(m.transform(x.view()).unwrap()[[0, 2]], 9.0);
    }

    #[test]
    fn infinity_is_refused_with_position() {
        let mut x = Array2::<f64>::from_elem((9_000, 2), NAN);
        x[[8_500, 1]] = f64::NEG_INFINITY;
        x[[8_600, 0]] = f64::INFINITY;
        x[[0, 0]] = 1.0;
        x[[0, 1]] = 1.0;
        for s in [
            ImputeStrategy::Mean,
            ImputeStrategy::Median,
            ImputeStrategy::MostFrequent,
            ImputeStrategy::Constant(0.0),
        ] {
            match SimpleImputer::new().strategy(s).fit(x.view()) {
                Err(Error::NonFinite {
                    row, column, value, ..
                }) => {
                    assert_eq!((row, column, value.as_str()), (8_500, 1, "-inf"))
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn counts_and_statistics_are_thread_independent() {
        let x = Array2::from_shape_fn((30_000, 3), |(i, j)| {
            if (i * 7 + j) % 11 == 0 {
                NAN
            } else {
                ((i * 31 + j * 7) % 1000) as f64 / 7.0
            }
        });
        let run = || {
            let m = SimpleImputer::new().fit(x.view()).unwrap();
            let (out, counts) = m.transform_with_counts(x.view()).unwrap();
            (m, out, counts)
        };
        let pool = |k| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .unwrap()
        };
        let one = pool(1).install(run);
        let three = pool(3).install(run);
        assert_eq!(one.0, three.0);
        assert_eq!(one.1, three.1);
        assert_eq!(one.2, three.2);
        assert_eq!(one.2, count_missing(x.view()));
        assert_eq!(
            one.2.iter().sum::<usize>(),
            x.iter().filter(|v| v.is_nan()).count()
        );
    }

    #[test]
    fn in_place_matches_transform_and_leaves_bad_input_unchanged() {
        let m = SimpleImputer::new()
            .strategy(ImputeStrategy::Median)
            .fit(sample().view())
            .unwrap();
        let (expected, counts) = m.transform_with_counts(sample().view()).unwrap();
        let mut y = sample();
        assert_eq!(m.transform_in_place(y.view_mut()).unwrap(), counts);
        assert_eq!(y, expected);
        let mut t = sample().reversed_axes().as_standard_layout().to_owned();
        assert_eq!(
            m.transform_in_place(t.view_mut().reversed_axes()).unwrap(),
            counts
        );
        assert_eq!(t.t(), expected);
        let mut bad = sample();
        bad[[4, 2]] = f64::INFINITY;
        let before = bad.clone();
        assert!(matches!(
            m.transform_in_place(bad.view_mut()),
            Err(Error::NonFinite {
                row: 4,
                column: 2,
                ..
            })
        ));
        assert!(
            bad.iter()
                .zip(before.iter())
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }

    #[test]
    fn most_frequent_merges_signed_zeros() {
        let mut v = vec![-0.0, 1.0, 0.0, 1.0, 0.0];
        assert_eq!(most_frequent(&mut v), 0.0);
        let mut v = vec![5.0];
        assert_eq!(most_frequent(&mut v), 5.0);
    }

    #[test]
    fn f32_and_views() {
        let x = sample();
        let x32 = x.mapv(|v| v as f32);
        let m32 = SimpleImputer::new()
            .strategy(ImputeStrategy::Median)
            .fit(x32.view())
            .unwrap();
        assert_eq!(m32.statistics(), &[3.0f32, 5.0, 3.0]);
        let view = x.slice(s![..;2, ..]);
        let m = SimpleImputer::new().fit(view).unwrap();
        assert_eq!(
            m.transform(view).unwrap(),
            m.transform(view.to_owned().view()).unwrap()
        );
    }

    #[test]
    fn non_finite_statistic_in_a_loaded_model_is_refused() {
        let bad = FittedImputer {
            strategy: ImputeStrategy::Mean,
            n_samples_seen: 5,
            statistics: vec![1.0, f64::INFINITY, 2.0],
        };
        assert!(matches!(
            bad.transform(sample().view()),
            Err(Error::ModelFormat { .. })
        ));
    }
}
