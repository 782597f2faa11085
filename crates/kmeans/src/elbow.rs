//! Choosing `k` by the elbow of the inertia curve, located with Kneedle (Satopää, Albrecht,
//! Irwin and Raghavan, "Finding a 'Kneedle' in a Haystack", ICDCS workshops 2011).

use cartera_core::{Error, Float, Result, validate};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::params::KMeansParams;

/// Kneedle's default sensitivity `S` (as the paper and the `kneed` package).
pub const DEFAULT_SENSITIVITY: f64 = 1.0;

/// Inertia for each candidate `k` and the knee Kneedle finds in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElbowCurve {
    /// The candidate numbers of clusters, increasing.
    pub ks: Vec<usize>,
    /// Total inertia of the fit for each `k` (same order).
    pub inertias: Vec<f64>,
    /// The `k` at the knee, or `None` when the curve has none (e.g. a straight line, or fewer
    /// than 3 points).
    pub knee: Option<usize>,
}

/// Fits `params` once for every `k` in `ks` (all other parameters unchanged, including the seed)
/// and locates the knee with Kneedle at sensitivity [`DEFAULT_SENSITIVITY`].
///
/// Errors: [`Error::InvalidParameter`] (`ks`) when `ks` is empty, not strictly increasing or
/// contains 0; then every error of [`KMeansParams::fit`] (a `k` above the number of distinct
/// rows is [`Error::TooFewSamples`]).
pub fn elbow<F: Float>(
    x: ArrayView2<'_, F>,
    ks: &[usize],
    params: &KMeansParams,
) -> Result<ElbowCurve> {
    elbow_with_sensitivity(x, ks, params, DEFAULT_SENSITIVITY)
}

/// [`elbow`] with an explicit Kneedle sensitivity `S` (finite, `>= 0`): larger values need a
/// more pronounced knee (the difference curve must drop `S` times the mean spacing of the
/// normalised `k` values below its peak), smaller values accept earlier, flatter knees.
pub fn elbow_with_sensitivity<F: Float>(
    x: ArrayView2<'_, F>,
    ks: &[usize],
    params: &KMeansParams,
    sensitivity: f64,
) -> Result<ElbowCurve> {
    validate::check_non_negative("sensitivity", sensitivity)?;
    if ks.is_empty() || ks[0] == 0 || ks.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid_param(
            "ks",
            format!("{ks:?}"),
            "must be a non-empty, strictly increasing list of cluster counts >= 1",
        ));
    }
    let inertias: Vec<f64> = params
        .fit_each_k(x, ks)?
        .iter()
        .map(|m| m.inertia())
        .collect();
    let xs: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    let knee = kneedle_decreasing_convex(&xs, &inertias, sensitivity).map(|i| ks[i]);
    Ok(ElbowCurve {
        ks: ks.to_vec(),
        inertias,
        knee,
    })
}

/// Kneedle for a decreasing convex curve `y(x)` (`x` increasing): returns the index of the knee.
///
/// Steps (the paper's offline variant, as the `kneed` package): normalise `x` and `y` to
/// `[0, 1]`; flip `y` to `1 − y` so the curve rises and is concave; take the difference curve
/// `d = y − x`; at each local maximum of `d` set the threshold `d_max − S · mean(Δx)`; the first
/// local maximum after which `d` falls below its threshold (before another local maximum resets
/// it, a local minimum setting it to 0) is the knee. Returns `None` for fewer than 3 points, a
/// flat curve, or when no threshold is crossed.
pub fn kneedle_decreasing_convex(x: &[f64], y: &[f64], sensitivity: f64) -> Option<usize> {
    let n = x.len().min(y.len());
    if n < 3 {
        return None;
    }
    let norm = |v: &[f64]| -> Option<Vec<f64>> {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = hi - lo;
        (span > 0.0 && span.is_finite()).then(|| v.iter().map(|t| (t - lo) / span).collect())
    };
    let xn = norm(&x[..n])?;
    let yn: Vec<f64> = norm(&y[..n])?.iter().map(|t| 1.0 - t).collect();
    let diff: Vec<f64> = yn.iter().zip(&xn).map(|(a, b)| a - b).collect();
    let is_max = |i: usize| i > 0 && i + 1 < n && diff[i] >= diff[i - 1] && diff[i] >= diff[i + 1];
    let is_min = |i: usize| i > 0 && i + 1 < n && diff[i] <= diff[i - 1] && diff[i] <= diff[i + 1];
    let first_max = (0..n).find(|&i| is_max(i))?;
    let mean_dx = (xn[n - 1] - xn[0]) / (n - 1) as f64;
    let (mut threshold, mut at) = (f64::NEG_INFINITY, first_max);
    for i in first_max..n - 1 {
        if is_max(i) {
            threshold = diff[i] - sensitivity * mean_dx;
            at = i;
        }
        if is_min(i) {
            threshold = 0.0;
        }
        if diff[i + 1] < threshold {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::datasets::Blobs;

    #[test]
    fn knee_of_one_over_x() {
        // y = 1/x on 1..=10: the difference curve peaks at x = 3 (0.519), then falls below
        // 0.519 - 1/9 at x = 6.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 1.0 / v).collect();
        assert_eq!(kneedle_decreasing_convex(&x, &y, 1.0), Some(2));
        // A sharper curve has an earlier knee.
        let y: Vec<f64> = x.iter().map(|v| 1.0 / v.powi(3)).collect();
        assert_eq!(kneedle_decreasing_convex(&x, &y, 1.0), Some(1));
    }

    #[test]
    fn a_clear_elbow_is_found_and_lines_have_none() {
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        // Steep until 4, then almost flat.
        let y = [100.0, 70.0, 40.0, 10.0, 9.0, 8.0, 7.0, 6.0, 5.0];
        assert_eq!(kneedle_decreasing_convex(&x, &y, 1.0), Some(3));
        let line: Vec<f64> = x.iter().map(|v| 10.0 - v).collect();
        assert_eq!(kneedle_decreasing_convex(&x, &line, 1.0), None);
        assert_eq!(kneedle_decreasing_convex(&x[..2], &y[..2], 1.0), None);
        assert_eq!(kneedle_decreasing_convex(&x, &[1.0; 9], 1.0), None);
        // A very demanding sensitivity rejects the knee.
        assert_eq!(kneedle_decreasing_convex(&x, &y, 50.0), None);
    }

    #[test]
    fn blobs_with_four_centres_have_their_knee_at_four() {
        // Four centres on a square of side 10, unit spread: four unambiguous groups.
        let centres = ndarray::array![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
        let (x, _) = Blobs::new(800)
            .given_centers(centres)
            .seed(3)
            .generate()
            .expect("valid blob parameters");
        let ks: Vec<usize> = (1..=10).collect();
        let curve = elbow(x.view(), &ks, &KMeansParams::default().n_init(5)).expect("valid fit");
        assert_eq!(curve.knee, Some(4), "{:?}", curve.inertias);
        assert!(curve.inertias.windows(2).all(|w| w[1] <= w[0] * 1.0001));
    }

    #[test]
    fn bad_ks_are_refused() {
        let x = ndarray::Array2::<f64>::zeros((10, 2));
        for ks in [vec![], vec![0, 1], vec![3, 2]] {
            let r = elbow(x.view(), &ks, &KMeansParams::default());
            assert!(
                matches!(r, Err(Error::InvalidParameter { ref name, .. }) if name == "ks"),
                "{r:?}"
            );
        }
    }
}
