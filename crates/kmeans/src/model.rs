//! The fitted [`KMeans`] model: centres, labels, inertia, and prediction.

use cartera_core::{Error, Float, Result, validate};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::kernel::{BLOCK_ROWS, CentreTable, sq_dist};
use crate::lloyd::Run;
use crate::params::Algorithm;

/// What prediction input is called in error messages.
const PREDICT_WHAT: &str = "data to assign to clusters";

/// A fitted K-Means model (immutable; `Serialize + Deserialize`, saved as JSON it reloads to the
/// same bits). Loading checks that the parts fit together (at least one finite centre, a size
/// per centre, labels below `k`) and fails with [`cartera_core::Error::ModelFormat`]
/// otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "KMeansFields<F>", bound = "")]
pub struct KMeans<F: Float> {
    centroids: Array2<F>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    cluster_sizes: Vec<usize>,
    algorithm: Algorithm,
}

/// The fields of [`KMeans`] as stored, before the consistency check.
#[derive(Deserialize)]
#[serde(bound = "")]
struct KMeansFields<F: Float> {
    centroids: Array2<F>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    cluster_sizes: Vec<usize>,
    algorithm: Algorithm,
}

impl<F: Float> TryFrom<KMeansFields<F>> for KMeans<F> {
    type Error = Error;

    fn try_from(f: KMeansFields<F>) -> Result<Self> {
        check_centres("K-Means model", &f.centroids, &f.labels)?;
        let k = f.centroids.nrows();
        if f.cluster_sizes.len() != k {
            return Err(Error::model_format(format!(
                "K-Means model: cluster_sizes has {} values for {k} centres",
                f.cluster_sizes.len()
            )));
        }
        Ok(KMeans {
            centroids: f.centroids.as_standard_layout().into_owned(),
            labels: f.labels,
            inertia: f.inertia,
            n_iter: f.n_iter,
            converged: f.converged,
            cluster_sizes: f.cluster_sizes,
            algorithm: f.algorithm,
        })
    }
}

/// The checks a loaded model's centres and labels pass (`what` names the model in the error):
/// at least one centre of at least one feature, every value finite, every label below `k`.
pub(crate) fn check_centres<F: Float>(
    what: &str,
    centroids: &Array2<F>,
    labels: &[usize],
) -> Result<()> {
    let (k, d) = centroids.dim();
    if k == 0 || d == 0 {
        return Err(Error::model_format(format!(
            "{what}: centroids are {k} x {d}, at least one centre of one feature expected"
        )));
    }
    if let Some(v) = centroids.iter().find(|v| !v.is_finite()) {
        return Err(Error::model_format(format!(
            "{what}: a centroid value is {v}"
        )));
    }
    if let Some(l) = labels.iter().find(|&&l| l >= k) {
        return Err(Error::model_format(format!(
            "{what}: label {l} for {k} centres"
        )));
    }
    Ok(())
}

impl<F: Float> KMeans<F> {
    /// Builds the model from the best run (shifting centres back from centred coordinates).
    pub(crate) fn from_run(run: Run<F>, mean: &[F], k: usize, algorithm: Algorithm) -> Self {
        let d = mean.len();
        let centroids = Array2::from_shape_fn((k, d), |(c, j)| run.centres[c * d + j] + mean[j]);
        let mut cluster_sizes = vec![0; k];
        for &l in &run.labels {
            cluster_sizes[l as usize] += 1;
        }
        KMeans {
            centroids,
            labels: run.labels.iter().map(|&l| l as usize).collect(),
            inertia: run.inertia,
            n_iter: run.n_iter,
            converged: run.converged,
            cluster_sizes,
            algorithm,
        }
    }

    /// Cluster centres, `k x d` (scikit-learn's `cluster_centers_`).
    pub fn centroids(&self) -> &Array2<F> {
        &self.centroids
    }

    /// Cluster of each training row, in `0..k` (`labels_`).
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Total weighted sum of squared distances of the training rows to their centre
    /// (`inertia_`: the total, not the mean).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Iterations run by the kept restart (`n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept restart stopped before `max_iter` (labels unchanged or centre shift
    /// within `tol`).
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Number of training rows in each cluster (unweighted).
    pub fn cluster_sizes(&self) -> &[usize] {
        &self.cluster_sizes
    }

    /// The algorithm that ran (Auto resolved; Elkan with `k = 1` runs Lloyd).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centroids.nrows()
    }

    /// Number of features the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.centroids.ncols()
    }

    /// Nearest centre of each row (ties: the lower cluster index), in parallel over row blocks.
    ///
    /// Errors: [`cartera_core::Error::ShapeMismatch`] for a different number of columns,
    /// [`cartera_core::Error::NonFinite`] at the first NaN or ±inf.
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<usize>> {
        predict(&self.centroids, x)
    }

    /// Euclidean distance of each row to every centre, `n x k` (scikit-learn's `transform`).
    ///
    /// Errors: as [`predict`](Self::predict).
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        transform(&self.centroids, x)
    }

    /// Negative total inertia of `x` against the centres (scikit-learn's `score`: higher is
    /// better).
    ///
    /// Errors: as [`predict`](Self::predict).
    pub fn score(&self, x: ArrayView2<'_, F>) -> Result<f64> {
        score(&self.centroids, x)
    }
}

fn check_input<F: Float>(centroids: &Array2<F>, x: ArrayView2<'_, F>) -> Result<()> {
    validate::check_width(x, centroids.ncols(), PREDICT_WHAT)?;
    validate::check_finite(x, PREDICT_WHAT)
}

fn flat<F: Float>(centroids: &Array2<F>) -> Vec<F> {
    centroids.iter().copied().collect()
}

/// Subtracts `origin` from every row of `rows` (`origin.len()` values each), in place: the one
/// place rows and centres are moved to the coordinates prediction and the mini-batch steps
/// measure in.
#[inline]
pub(crate) fn sub_origin<F: Float>(rows: &mut [F], origin: &[F]) {
    for row in rows.chunks_exact_mut(origin.len().max(1)) {
        for (v, &o) in row.iter_mut().zip(origin) {
            *v -= o;
        }
    }
}

/// Row-major centres (`d` values each) measured from their mean: `(mean, centres − mean)`,
/// the mean summed in `f64`. The mean lies among the data, so `‖c‖² − 2 x·c` keeps the digits
/// that tell centres apart.
pub(crate) fn from_centre_mean<F: Float>(mut centres: Vec<F>, d: usize) -> (Vec<F>, Vec<F>) {
    let k = (centres.len() / d.max(1)).max(1) as f64;
    let mean: Vec<F> = (0..d)
        .map(|j| {
            let sum: f64 = centres.iter().skip(j).step_by(d).map(|v| v.as_f64()).sum();
            F::cast_from_f64(sum / k)
        })
        .collect();
    sub_origin(&mut centres, &mean);
    (mean, centres)
}

/// [`KMeans::predict`] for any centres.
///
/// The distances are `‖c‖² − 2 x·c` (plus `‖x‖²`, the same for every centre), which loses the
/// digits that tell centres apart when `‖x‖` is large against the distances (customers'
/// coordinates around latitude 40.7, in `f32`). The fit measures from the column means; here
/// rows and centres are measured from the centres' mean, which lies among the data.
pub(crate) fn predict<F: Float>(
    centroids: &Array2<F>,
    x: ArrayView2<'_, F>,
) -> Result<Array1<usize>> {
    check_input(centroids, x)?;
    let (k, d) = centroids.dim();
    let (origin, centred) = from_centre_mean(flat(centroids), d);
    let table = CentreTable::new(&centred, k, d);
    Ok(predict_with(&table, x, &origin))
}

/// [`KMeans::transform`] for any centres.
pub(crate) fn transform<F: Float>(
    centroids: &Array2<F>,
    x: ArrayView2<'_, F>,
) -> Result<Array2<F>> {
    check_input(centroids, x)?;
    let (n, (k, d)) = (x.nrows(), centroids.dim());
    let centres = flat(centroids);
    let mut out = Array2::zeros((n, k));
    out.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .enumerate()
        .for_each(|(b, mut block)| {
            let mut row_buf = vec![F::zero(); d];
            for (i, mut o) in block.rows_mut().into_iter().enumerate() {
                for (r, v) in row_buf.iter_mut().zip(x.row(b * BLOCK_ROWS + i)) {
                    *r = *v;
                }
                for (c, v) in o.iter_mut().enumerate() {
                    *v = sq_dist(&row_buf, &centres[c * d..(c + 1) * d]).sqrt();
                }
            }
        });
    Ok(out)
}

/// [`KMeans::score`] for any centres.
pub(crate) fn score<F: Float>(centroids: &Array2<F>, x: ArrayView2<'_, F>) -> Result<f64> {
    let labels = predict(centroids, x)?.to_vec();
    let d = centroids.ncols();
    let centres = flat(centroids);
    let parts: Vec<f64> = x
        .axis_chunks_iter(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .zip(labels.par_chunks(BLOCK_ROWS))
        .map(|(block, lab)| {
            let mut buf = vec![F::zero(); d];
            let mut s = 0.0;
            for (row, &l) in block.rows().into_iter().zip(lab) {
                for (b, v) in buf.iter_mut().zip(row) {
                    *b = *v;
                }
                s += sq_dist(&buf, &centres[l * d..(l + 1) * d]).as_f64();
            }
            s
        })
        .collect();
    Ok(-parts.iter().sum::<f64>())
}

/// Nearest centre per row of `x` (any layout) among the centres of `table`, which are measured
/// from `origin`: each block of rows is copied, less `origin`, then assigned; parallel over
/// row blocks.
fn predict_with<F: Float>(
    table: &CentreTable<F>,
    x: ArrayView2<'_, F>,
    origin: &[F],
) -> Array1<usize> {
    let (n, d) = x.dim();
    let k = table.k();
    let contiguous = x.as_slice();
    let mut labels = vec![0usize; n];
    labels.par_chunks_mut(BLOCK_ROWS).enumerate().for_each_init(
        || {
            (
                vec![F::zero(); BLOCK_ROWS * k],
                Vec::with_capacity(BLOCK_ROWS * d),
            )
        },
        |(dots, buf), (b, lab)| {
            let start = b * BLOCK_ROWS;
            buf.clear();
            match contiguous {
                Some(all) => buf.extend_from_slice(&all[start * d..(start + lab.len()) * d]),
                None => {
                    for i in start..start + lab.len() {
                        buf.extend(x.row(i).iter().copied());
                    }
                }
            }
            sub_origin(buf, origin);
            table.dots(buf, d, dots);
            for (l, dx) in lab.iter_mut().zip(dots.chunks_exact(k.max(1))) {
                *l = table.argmin(dx);
            }
        },
    );
    Array1::from(labels)
}
