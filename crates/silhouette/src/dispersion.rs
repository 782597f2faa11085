//! Scores from cluster centroids and dispersions: Calinski–Harabasz and Davies–Bouldin.
//!
//! Both need the centroids and, per cluster, a sum over its rows of the (squared) distance to
//! its centroid. Two parallel passes over `x` give all of it: per-block cluster sums (combined
//! in block order, in `f64`), then per-block dispersions around the finished centroids (the
//! two-pass form, which does not lose precision as `Σx² − n·μ²` would).

use cartera_core::{Error, Float, Result};
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::silhouette::checked_labels;

/// Rows per block of the dispersion passes (fixed, so the sums do not depend on threads).
const ROWS: usize = 2048;

/// Both centroid-based scores, from one computation of the centroids and dispersions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterScores {
    /// [`calinski_harabasz_score`]: higher is better.
    pub calinski_harabasz: f64,
    /// [`davies_bouldin_score`]: lower is better, 0 at best.
    pub davies_bouldin: f64,
}

/// Calinski–Harabasz index (variance ratio criterion): between-cluster dispersion over
/// within-cluster dispersion, each divided by its degrees of freedom,
/// `[Σ_c n_c ‖μ_c − μ‖² / (k − 1)] / [Σ_i ‖x_i − μ_c(i)‖² / (n − k)]`.
///
/// As scikit-learn, returns 1 when every row sits on its centroid (within dispersion 0).
/// Time `O(n·d)`, in parallel. Errors: those of
/// [`silhouette_samples`](crate::silhouette_samples).
pub fn calinski_harabasz_score<'l, F: Float>(
    x: ArrayView2<'_, F>,
    labels: impl Into<ArrayView1<'l, usize>>,
) -> Result<f64> {
    Ok(cluster_scores(x, labels)?.calinski_harabasz)
}

/// Davies–Bouldin index: the mean over clusters of the worst ratio
/// `(s_i + s_j) / ‖μ_i − μ_j‖`, where `s_c` is the mean distance of cluster `c`'s rows to its
/// centroid.
///
/// As scikit-learn: 0 when all `s_c` are 0 or all centroid distances are 0 (within `1e-8`);
/// a pair of coincident centroids is skipped (its ratio is taken as 0). Time `O(n·d + k²·d)`.
/// Errors: those of [`silhouette_samples`](crate::silhouette_samples).
pub fn davies_bouldin_score<'l, F: Float>(
    x: ArrayView2<'_, F>,
    labels: impl Into<ArrayView1<'l, usize>>,
) -> Result<f64> {
    Ok(cluster_scores(x, labels)?.davies_bouldin)
}

/// Calinski–Harabasz and Davies–Bouldin together (two passes over `x` for both).
///
/// Errors: those of [`silhouette_samples`](crate::silhouette_samples).
pub fn cluster_scores<'l, F: Float>(
    x: ArrayView2<'_, F>,
    labels: impl Into<ArrayView1<'l, usize>>,
) -> Result<ClusterScores> {
    let l = checked_labels(x, labels.into())?;
    let (n, d) = x.dim();
    let k = l.k();
    let ids = &l.ids;
    let n_blocks = n.div_ceil(ROWS);

    // Pass 1: cluster sums.
    let partial: Vec<Vec<f64>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let mut s = vec![0.0f64; k * d];
            for_rows(x, b, |r, row| {
                let c = ids[r] as usize;
                for (acc, v) in s[c * d..(c + 1) * d].iter_mut().zip(row) {
                    *acc += v.as_f64();
                }
            });
            s
        })
        .collect();
    let mut sums = vec![0.0f64; k * d];
    for p in &partial {
        for (s, v) in sums.iter_mut().zip(p) {
            *s += v;
        }
    }
    let mut centroids = vec![0.0f64; k * d];
    let mut mean = vec![0.0f64; d];
    for c in 0..k {
        let size = l.sizes[c] as f64;
        for j in 0..d {
            centroids[c * d + j] = sums[c * d + j] / size;
            mean[j] += sums[c * d + j];
        }
    }
    for m in &mut mean {
        *m /= n as f64;
    }

    // Pass 2: squared and plain distances to the own centroid, per cluster.
    let partial: Vec<Vec<[f64; 2]>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let mut s = vec![[0.0f64; 2]; k];
            for_rows(x, b, |r, row| {
                let c = ids[r] as usize;
                let mut d2 = 0.0f64;
                for (v, m) in row.iter().zip(&centroids[c * d..(c + 1) * d]) {
                    let t = v.as_f64() - m;
                    d2 += t * t;
                }
                s[c][0] += d2;
                s[c][1] += d2.sqrt();
            });
            s
        })
        .collect();
    let mut disp = vec![[0.0f64; 2]; k];
    for p in &partial {
        for (t, v) in disp.iter_mut().zip(p) {
            t[0] += v[0];
            t[1] += v[1];
        }
    }

    // Calinski–Harabasz.
    let mut extra = 0.0f64;
    let mut intra = 0.0f64;
    for c in 0..k {
        let mut e = 0.0f64;
        for j in 0..d {
            let t = centroids[c * d + j] - mean[j];
            e += t * t;
        }
        extra += l.sizes[c] as f64 * e;
        intra += disp[c][0];
    }
    // Distances are taken in f64 whatever F; finite values near 1e154 still overflow their
    // squares, and the scores would be NaN, infinite or a wrong 0. Checked on the sums, after
    // the fact (no extra pass over x).
    if !(extra.is_finite() && intra.is_finite() && mean.iter().all(|m| m.is_finite())) {
        return Err(Error::invalid_data(
            "X",
            "squared distances overflow the floating-point range; scale the data (e.g. \
             standard scaling) first",
        ));
    }
    let calinski_harabasz = if intra == 0.0 {
        1.0
    } else {
        extra * (n - k) as f64 / (intra * (k - 1) as f64)
    };

    // Davies–Bouldin.
    let spread: Vec<f64> = (0..k).map(|c| disp[c][1] / l.sizes[c] as f64).collect();
    let centre_dist = |a: usize, b: usize| -> f64 {
        let mut s = 0.0f64;
        for j in 0..d {
            let t = centroids[a * d + j] - centroids[b * d + j];
            s += t * t;
        }
        s.sqrt()
    };
    // scikit-learn's `np.allclose(v, 0)`: |v| <= 1e-8 everywhere.
    let all_spread_zero = spread.iter().all(|s| s.abs() <= 1e-8);
    let mut all_centres_close = true;
    let mut worst = vec![0.0f64; k];
    for a in 0..k {
        for b in 0..k {
            if a == b {
                continue;
            }
            let dist = centre_dist(a, b);
            if dist > 1e-8 {
                all_centres_close = false;
            }
            if dist > 0.0 {
                worst[a] = worst[a].max((spread[a] + spread[b]) / dist);
            }
        }
    }
    let davies_bouldin = if all_spread_zero || all_centres_close {
        0.0
    } else {
        worst.iter().sum::<f64>() / k as f64
    };
    Ok(ClusterScores {
        calinski_harabasz,
        davies_bouldin,
    })
}

/// Calls `f(row index, row)` for the rows of block `b`, in order. Rows of a row-major `x`
/// are handed over as they are; other layouts are copied row by row into a small buffer.
fn for_rows<F: Float>(x: ArrayView2<'_, F>, b: usize, mut f: impl FnMut(usize, &[F])) {
    let (n, d) = x.dim();
    let (start, end) = (b * ROWS, ((b + 1) * ROWS).min(n));
    if let Some(all) = x.as_slice() {
        if d == 0 {
            return;
        }
        for (i, row) in all[start * d..end * d].chunks_exact(d).enumerate() {
            f(start + i, row);
        }
    } else {
        let mut buf = vec![F::zero(); d];
        for r in start..end {
            for (o, v) in buf.iter_mut().zip(x.row(r)) {
                *o = *v;
            }
            f(r, &buf);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ndarray::array;

    #[test]
    fn hand_computed_case() {
        // Clusters {0, 2} (centroid 1) and {10, 12} (centroid 11); overall mean 6.
        let x = array![[0.0], [2.0], [10.0], [12.0]];
        let l = [5, 5, 8, 8];
        // CH: extra = 2·25 + 2·25 = 100, intra = 4 · 1 = 4 → 100 · 2 / (4 · 1) = 50.
        let ch = calinski_harabasz_score(x.view(), &l).unwrap();
        assert!((ch - 50.0).abs() < 1e-12, "{ch}");
        // DB: s = 1 for both, centroid distance 10 → 0.2.
        let db = davies_bouldin_score(x.view(), &l).unwrap();
        assert!((db - 0.2).abs() < 1e-15, "{db}");
        // A column-major view takes the copying path and gives the same bits.
        let xt = x.t().to_owned();
        let s_t = cluster_scores(xt.t(), &l).unwrap();
        assert_eq!(s_t, cluster_scores(x.view(), &l).unwrap());
        // f32 gives the same to f32 precision.
        let xf = x.mapv(|v| v as f32);
        let s = cluster_scores(xf.view(), &l).unwrap();
        assert!((s.calinski_harabasz - 50.0).abs() < 1e-4);
    }

    #[test]
    fn degenerate_cases_follow_scikit_learn() {
        // Every row on its centroid: CH is 1 and DB is 0.
        let x = array![[1.0, 1.0], [1.0, 1.0], [4.0, 5.0], [4.0, 5.0]];
        let s = cluster_scores(x.view(), &[0, 0, 1, 1]).unwrap();
        assert_eq!(s.calinski_harabasz, 1.0);
        assert_eq!(s.davies_bouldin, 0.0);
        // Coincident centroids: DB 0.
        let x = array![[0.0], [2.0], [1.0], [1.0]];
        assert_eq!(davies_bouldin_score(x.view(), &[0, 0, 1, 1]).unwrap(), 0.0);
    }
}
