//! The silhouette: per sample, per cluster, overall, exact or estimated from a sample.

use cartera_core::{CarteraRng, Error, Float, Result, validate};
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::kernel::SortedRows;
use crate::labels::Labels;

/// What `x` is called in error messages.
pub(crate) const X_WHAT: &str = "data to score";

/// Per-sample silhouettes of the rows of `x` (original row order), computed exactly.
///
/// For a row `i` in cluster `A`: `a(i)` is its mean distance to the *other* rows of `A`,
/// `b(i)` the smallest mean distance to the rows of another cluster, and
/// `s(i) = (b − a) / max(a, b)`. As in scikit-learn, a row alone in its cluster scores 0, and so
/// does a row with `a = b = 0` (duplicates).
///
/// Distances are Euclidean. Time `O(n²·d / 2)` (each pair once), memory `O(n·(d + k))`: the
/// distance matrix is never stored. Labels may be any `usize` values (they need not be
/// `0..k`). Deterministic: the same bits whatever the number of threads.
///
/// Errors (checked in this order): [`Error::EmptyInput`] (no rows or no columns),
/// [`Error::ShapeMismatch`] (labels not one per row), [`Error::NonFinite`] (NaN or ±inf in
/// `x`, naming the first cell), [`Error::TooFewSamples`] (a single cluster) and
/// [`Error::InvalidParameter`] (`labels`: as many clusters as rows), the two cases where
/// scikit-learn raises `ValueError`, and [`Error::InvalidData`] for values so large that
/// squared distances overflow (scale the data).
pub fn silhouette_samples<'l, F: Float>(
    x: ArrayView2<'_, F>,
    labels: impl Into<ArrayView1<'l, usize>>,
) -> Result<Array1<f64>> {
    let labels = checked_labels(x, labels.into())?;
    check_magnitude(x, F::max_value().as_f64())?;
    let (values, _) = exact(x, None, &labels.ids, labels.k());
    Ok(Array1::from(values))
}

/// Mean silhouette of all rows (scikit-learn's `silhouette_score` without `sample_size`).
///
/// Errors: those of [`silhouette_samples`].
pub fn silhouette_score<'l, F: Float>(
    x: ArrayView2<'_, F>,
    labels: impl Into<ArrayView1<'l, usize>>,
) -> Result<f64> {
    Ok(SilhouetteParams::default().evaluate(x, labels)?.score())
}

/// Validates `x` and `labels` for any score.
pub(crate) fn checked_labels<F: Float>(
    x: ArrayView2<'_, F>,
    labels: ArrayView1<'_, usize>,
) -> Result<Labels> {
    validate::check_non_empty(x, X_WHAT)?;
    let l = Labels::new(labels, x.nrows())?;
    validate::check_finite(x, X_WHAT)?;
    l.check_number()?;
    Ok(l)
}

/// Values so far from their column means that a squared distance could overflow a type whose
/// largest value is `max` (the silhouette kernel works in `F` on rows centred on the column
/// means): every distance would then be infinite, and the silhouettes came out as zeros. An
/// error saying to scale, as K-Means gives. (The dispersion scores, in `f64`, check their
/// sums instead.)
fn check_magnitude<F: Float>(x: ArrayView2<'_, F>, max: f64) -> Result<()> {
    let (n, d) = x.dim();
    let mut mean = vec![0.0f64; d];
    for row in x.rows() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v.as_f64() / n as f64;
        }
    }
    let largest = x.rows().into_iter().fold(0.0f64, |acc, row| {
        row.iter()
            .zip(&mean)
            .fold(acc, |a, (v, m)| a.max((v.as_f64() - m).abs()))
    });
    let limit = (max / d.max(1) as f64).sqrt() / 2.0;
    if largest > limit {
        return Err(Error::invalid_data(
            X_WHAT,
            format!(
                "values up to {largest:e} from their column means: squared distances overflow; \
                 scale the data (e.g. standard scaling) first"
            ),
        ));
    }
    Ok(())
}

/// Exact silhouettes of the rows `rows` of `x` (all when `None`) against each other; `ids` are
/// the compact clusters of those rows. Returns the values (in the order of `ids`) and the size
/// of each cluster among those rows.
fn exact<F: Float>(
    x: ArrayView2<'_, F>,
    rows: Option<&[usize]>,
    ids: &[u32],
    k: usize,
) -> (Vec<f64>, Vec<usize>) {
    let n = ids.len();
    let sorted = SortedRows::new(x, rows, ids, k);
    let sums = sorted.cluster_distance_sums();
    let mut sizes = vec![0usize; k];
    for &c in ids {
        sizes[c as usize] += 1;
    }
    let mut values = vec![0.0f64; n];
    for (si, s) in sums.chunks_exact(k).enumerate() {
        values[sorted.order[si]] = silhouette_of(s, sorted.id(si), &sizes);
    }
    (values, sizes)
}

/// `s(i)` from the row's per-cluster distance sums, scikit-learn's way (including its
/// `nan_to_num`: 0 for a singleton cluster and for `a = b = 0`).
fn silhouette_of(sums: &[f64], own: usize, sizes: &[usize]) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = sums[own] / (sizes[own] - 1) as f64;
    let mut b = f64::INFINITY;
    for (c, (&s, &size)) in sums.iter().zip(sizes).enumerate() {
        if c != own && size > 0 {
            b = b.min(s / size as f64);
        }
    }
    let den = a.max(b);
    if den > 0.0 && den.is_finite() {
        (b - a) / den
    } else {
        0.0
    }
}

/// Silhouette parameters (a builder): exact, or estimated from a random sample of rows.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `sample_size` | `None` (exact, all rows) | rows drawn without replacement; the silhouette is computed among them only, as scikit-learn's `silhouette_score(sample_size=…)` |
/// | `seed` | 0 | the sample is drawn from `CarteraRng::stream(seed, 0)` |
///
/// ```
/// use cartera_core::datasets::Blobs;
/// use cartera_silhouette::SilhouetteParams;
///
/// let (x, labels) = Blobs::new(3_000).n_features(4).centers(3).seed(2).generate()?;
/// let exact = SilhouetteParams::new().evaluate(x.view(), &labels)?;
/// let est = SilhouetteParams::new().sample_size(Some(500)).seed(9).evaluate(x.view(), &labels)?;
/// // The estimate is within a few standard errors of the exact value.
/// assert!((est.score() - exact.score()).abs() < 4.0 * est.std_error() + 1e-3);
/// assert_eq!(exact.std_error(), 0.0);
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilhouetteParams {
    sample_size: Option<usize>,
    seed: u64,
}

impl SilhouetteParams {
    /// The defaults: exact silhouette over all rows.
    pub fn new() -> Self {
        Self::default()
    }

    cartera_core::setter!(
        /// Estimate from this many rows drawn without replacement (`None`: exact, all rows).
        sample_size: Option<usize>
    );
    cartera_core::setter!(
        /// Seed of the sample (ignored when exact).
        seed: u64
    );

    /// Checks the parameters against `n` rows.
    ///
    /// Errors: [`Error::InvalidParameter`] (`sample_size`) when it is below 2 or above `n`.
    pub fn validate(&self, n: usize) -> Result<()> {
        if let Some(m) = self.sample_size
            && (m < 2 || m > n)
        {
            return Err(Error::invalid_param(
                "sample_size",
                m,
                format!("must lie in [2, {n}] (the number of rows)"),
            ));
        }
        Ok(())
    }

    /// Computes the silhouette of `x` clustered as `labels`.
    ///
    /// Errors: those of [`silhouette_samples`]; [`Error::InvalidParameter`] (`sample_size`) as
    /// in [`validate`](Self::validate); and, when sampling, [`Error::TooFewSamples`] or
    /// [`Error::InvalidParameter`] (`labels`) when the *sample* holds a single cluster or only
    /// singletons (scikit-learn raises then too).
    pub fn evaluate<'l, F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        labels: impl Into<ArrayView1<'l, usize>>,
    ) -> Result<Silhouette> {
        let labels = labels.into();
        validate::check_non_empty(x, X_WHAT)?;
        let n = x.nrows();
        self.validate(n)?;
        let l = checked_labels(x, labels)?;
        check_magnitude(x, F::max_value().as_f64())?;
        let k = l.k();
        match self.sample_size {
            Some(m) if m < n => {
                let rows = sample_rows(n, m, self.seed);
                let ids: Vec<u32> = rows.iter().map(|&r| l.ids[r]).collect();
                let present = Labels::new(
                    ArrayView1::from(&ids.iter().map(|&c| c as usize).collect::<Vec<_>>()[..]),
                    m,
                )?;
                present.check_number()?;
                let (values, sizes) = exact(x, Some(&rows), &ids, k);
                Ok(Silhouette::new(
                    values,
                    Some(rows),
                    &ids,
                    &sizes,
                    &l.classes,
                    n,
                ))
            }
            _ => {
                let (values, sizes) = exact(x, None, &l.ids, k);
                Ok(Silhouette::new(values, None, &l.ids, &sizes, &l.classes, n))
            }
        }
    }
}

/// `m` distinct rows of `0..n`, increasing: a partial Fisher–Yates shuffle from
/// `CarteraRng::stream(seed, 0)`.
fn sample_rows(n: usize, m: usize, seed: u64) -> Vec<usize> {
    let mut rng = CarteraRng::stream(seed, 0);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = i + rng.index(n - i);
        idx.swap(i, j);
    }
    idx.truncate(m);
    idx.sort_unstable();
    idx
}

/// One cluster's line of a silhouette plot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSilhouette {
    /// The cluster's label as given.
    pub label: usize,
    /// Rows of the cluster that were evaluated (all of its rows when exact).
    pub size: usize,
    /// Mean silhouette of those rows.
    pub mean: f64,
}

/// A computed silhouette: per-sample values, per-cluster means and sizes, the overall score
/// and, for an estimate, its standard error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Silhouette {
    samples: Vec<f64>,
    rows: Option<Vec<usize>>,
    sample_labels: Vec<usize>,
    score: f64,
    std_error: f64,
    clusters: Vec<ClusterSilhouette>,
    n_rows: usize,
}

impl Silhouette {
    fn new(
        samples: Vec<f64>,
        rows: Option<Vec<usize>>,
        ids: &[u32],
        sizes: &[usize],
        classes: &[usize],
        n_rows: usize,
    ) -> Self {
        let m = samples.len();
        let mut sum = vec![0.0f64; classes.len()];
        for (&v, &c) in samples.iter().zip(ids) {
            sum[c as usize] += v;
        }
        let clusters = classes
            .iter()
            .zip(sizes)
            .zip(&sum)
            .filter(|((_, size), _)| **size > 0)
            .map(|((&label, &size), &s)| ClusterSilhouette {
                label,
                size,
                mean: s / size as f64,
            })
            .collect();
        let score = samples.iter().sum::<f64>() / m as f64;
        let std_error = if rows.is_some() && m > 1 {
            let var = samples.iter().map(|v| (v - score).powi(2)).sum::<f64>() / (m - 1) as f64;
            // Finite-population correction: the rows are drawn without replacement.
            let fpc = ((n_rows - m) as f64 / (n_rows - 1).max(1) as f64).max(0.0);
            (var / m as f64 * fpc).sqrt()
        } else {
            0.0
        };
        let sample_labels = ids.iter().map(|&c| classes[c as usize]).collect();
        Silhouette {
            samples,
            rows,
            sample_labels,
            score,
            std_error,
            clusters,
            n_rows,
        }
    }

    /// The mean silhouette (exact, or the estimate from the sample).
    pub fn score(&self) -> f64 {
        self.score
    }

    /// Standard error of [`score`](Self::score): 0 when exact; for a sample of `m` of `n`
    /// rows, `sd(s) / √m · √((n − m)/(n − 1))` (sampling without replacement).
    ///
    /// It measures how far the mean of the sampled rows' silhouettes can be from the mean
    /// over all rows. It does not include the (smaller, and biased towards lower `a(i)` and
    /// `b(i)` alike) error of computing `a(i)` and `b(i)` within the sample rather than against
    /// every row, which is what scikit-learn's `sample_size` does too.
    pub fn std_error(&self) -> f64 {
        self.std_error
    }

    /// Whether this is an estimate from a sample.
    pub fn is_sampled(&self) -> bool {
        self.rows.is_some()
    }

    /// Per-sample silhouettes: one per row of `x` (in order) when exact, one per entry of
    /// [`rows`](Self::rows) when sampled.
    pub fn samples(&self) -> &[f64] {
        &self.samples
    }

    /// The sampled rows (increasing), or `None` when every row was evaluated.
    pub fn rows(&self) -> Option<&[usize]> {
        self.rows.as_deref()
    }

    /// The label of each entry of [`samples`](Self::samples).
    pub fn sample_labels(&self) -> &[usize] {
        &self.sample_labels
    }

    /// Per-cluster sizes and mean silhouettes, in increasing label order (clusters absent from
    /// a sample are left out).
    pub fn clusters(&self) -> &[ClusterSilhouette] {
        &self.clusters
    }

    /// Rows of the data scored (not only the sampled ones).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn hand_computed_case() {
        // Two clusters on a line: {0, 1} and {4}, {5}: by hand,
        // row 0: a = 1, b = (4 + 5)/2 = 4.5 → 3.5/4.5.
        let x = array![[0.0], [1.0], [4.0], [5.0]];
        let s = silhouette_samples(x.view(), &[3, 3, 9, 9]).unwrap();
        let want = [3.5 / 4.5, (3.5 - 1.0) / 3.5, (3.5 - 1.0) / 3.5, 3.5 / 4.5];
        for (g, w) in s.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{g} vs {w}");
        }
    }

    #[test]
    fn singletons_and_duplicates_score_zero() {
        let x = array![[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]];
        // Row 2 alone in its cluster: 0. Rows 0 and 1: a = 0, b = 5 → 1.
        let s = silhouette_samples(x.view(), &[0, 0, 1]).unwrap();
        assert_eq!(s.to_vec(), vec![1.0, 1.0, 0.0]);
        // Two identical points split into two clusters, plus a third: a = b = 0 for none, but
        // a row whose a and b are both 0 scores 0 (scikit-learn's nan_to_num).
        let x = array![[1.0], [1.0], [1.0], [1.0]];
        let s = silhouette_samples(x.view(), &[0, 0, 1, 1]).unwrap();
        assert_eq!(s.to_vec(), vec![0.0; 4]);
    }

    /// Values whose squared distances overflow are an error that says to scale, for the
    /// silhouette and the dispersion scores; large values that fit still score.
    #[test]
    fn overflowing_distances_are_an_error() {
        let x = array![[1e200, 0.0], [1.1e200, 0.0], [-1e200, 0.0], [-1.1e200, 0.0]];
        let labels = [0, 0, 1, 1];
        let e = silhouette_samples(x.view(), &labels)
            .unwrap_err()
            .to_string();
        assert!(e.contains("overflow") && e.contains("scale"), "{e}");
        assert!(crate::calinski_harabasz_score(x.view(), &labels).is_err());
        let x32 = array![[1e20f32], [1.1e20], [-1e20], [-1.1e20]];
        assert!(silhouette_samples(x32.view(), &labels).is_err());
        // The dispersion scores work in f64: the same f32 rows score.
        assert!(crate::calinski_harabasz_score(x32.view(), &labels).unwrap() > 100.0);
        // Large values close together are fine: the kernel measures from the column means.
        let near = array![[1e154], [1.0001e154], [1.01e154], [1.0101e154]];
        let s = silhouette_score(near.view(), &labels).unwrap();
        assert!(s > 0.98, "{s}");
        let ok = x.mapv(|v| v * 1e-60);
        let s = silhouette_samples(ok.view(), &labels).unwrap();
        assert!(s.iter().all(|v| *v > 0.9), "{s:?}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let x = array![[0.0], [1.0], [4.0]];
        assert!(matches!(
            silhouette_samples(x.view(), &[0, 1]),
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            silhouette_score(x.view(), &[2, 2, 2]),
            Err(Error::TooFewSamples { .. })
        ));
        assert!(matches!(
            silhouette_score(x.view(), &[0, 1, 2]),
            Err(Error::InvalidParameter { .. })
        ));
        let nan = array![[0.0], [f64::NAN], [4.0]];
        assert!(matches!(
            silhouette_score(nan.view(), &[0, 0, 1]),
            Err(Error::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
        let empty = Array2::<f64>::zeros((0, 3));
        let no_labels: [usize; 0] = [];
        assert!(matches!(
            silhouette_score(empty.view(), &no_labels),
            Err(Error::EmptyInput { .. })
        ));
        for m in [0, 1, 4] {
            assert!(
                matches!(
                    SilhouetteParams::new()
                        .sample_size(Some(m))
                        .evaluate(x.view(), &[0, 0, 1]),
                    Err(Error::InvalidParameter { .. })
                ),
                "{m}"
            );
        }
    }

    #[test]
    fn sample_of_all_rows_is_exact() {
        let x = array![[0.0], [1.0], [4.0], [5.0], [9.0]];
        let l = [0, 0, 1, 1, 2];
        let all = SilhouetteParams::new()
            .sample_size(Some(5))
            .evaluate(x.view(), &l)
            .unwrap();
        let exact = SilhouetteParams::new().evaluate(x.view(), &l).unwrap();
        assert_eq!(all, exact);
        assert!(!exact.is_sampled());
        assert_eq!(exact.clusters().len(), 3);
        assert_eq!(
            exact.clusters()[2],
            ClusterSilhouette {
                label: 2,
                size: 1,
                mean: 0.0
            }
        );
    }

    #[test]
    fn sampled_rows_are_distinct_and_reproducible() {
        let a = sample_rows(1000, 100, 5);
        assert_eq!(a, sample_rows(1000, 100, 5));
        assert_ne!(a, sample_rows(1000, 100, 6));
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a.len(), 100);
    }
}
