//! Numeric dataset generators for tests, examples and benchmarks.
//!
//! [`Blobs`] and [`Classification`] take the parameters of scikit-learn's `make_blobs` and
//! `make_classification`, with the same meaning and defaults, so a scikit-learn user can read
//! them directly. The streams of random numbers differ from scikit-learn's (bit-for-bit equality
//! is not a goal); the statistical construction is the same. Both are deterministic in `seed`
//! (see [`crate::rng`]).
//!
//! ```
//! use cartera_core::datasets::Blobs;
//! let (x, labels) = Blobs::new(300).n_features(2).centers(3).seed(0).generate()?;
//! assert_eq!(x.dim(), (300, 2));
//! assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 100);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use ndarray::{Array1, Array2};

use crate::rng::CarteraRng;
use crate::validate::{check_at_least, check_in_range, check_non_negative};
use crate::{Error, Result};

/// Isotropic Gaussian blobs, as scikit-learn's `make_blobs`.
///
/// Defaults: `n_features = 2`, `centers = 3` (drawn uniformly in `center_box`), `cluster_std =
/// 1.0`, `center_box = (-10, 10)`, `shuffle = true`, `seed = 0`. Samples are split as evenly as
/// possible between the centers, the first centers taking one more when it does not divide.
#[derive(Debug, Clone)]
pub struct Blobs {
    n_samples: usize,
    n_features: usize,
    centers: BlobCenters,
    cluster_std: f64,
    center_box: (f64, f64),
    shuffle: bool,
    seed: u64,
}

#[derive(Debug, Clone)]
enum BlobCenters {
    Count(usize),
    Given(Array2<f64>),
}

impl Blobs {
    /// `n_samples` points with the defaults listed on the type.
    pub fn new(n_samples: usize) -> Self {
        Blobs {
            n_samples,
            n_features: 2,
            centers: BlobCenters::Count(3),
            cluster_std: 1.0,
            center_box: (-10.0, 10.0),
            shuffle: true,
            seed: 0,
        }
    }
    /// Number of features (ignored when explicit centers are given: their width is used).
    pub fn n_features(mut self, d: usize) -> Self {
        self.n_features = d;
        self
    }
    /// Number of centers, drawn uniformly in `center_box`.
    pub fn centers(mut self, k: usize) -> Self {
        self.centers = BlobCenters::Count(k);
        self
    }
    /// Explicit centers, one per row.
    pub fn given_centers(mut self, centers: Array2<f64>) -> Self {
        self.centers = BlobCenters::Given(centers);
        self
    }
    /// Standard deviation of each blob.
    pub fn cluster_std(mut self, std: f64) -> Self {
        self.cluster_std = std;
        self
    }
    /// Bounds for randomly drawn centers.
    pub fn center_box(mut self, low: f64, high: f64) -> Self {
        self.center_box = (low, high);
        self
    }
    /// Whether to shuffle the rows (otherwise they come grouped by blob).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Generate `(X, labels)`; `labels[i]` is the blob (center index) of row `i`.
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<usize>)> {
        check_at_least("n_samples", self.n_samples, 1)?;
        check_size(self.n_samples, self.n_features)?;
        check_non_negative("cluster_std", self.cluster_std)?;
        let (lo, hi) = self.center_box;
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(Error::invalid_param(
                "center_box",
                format!("({lo}, {hi})"),
                "bounds must be finite with low <= high",
            ));
        }
        let mut rng = CarteraRng::seed_from_u64(self.seed);
        let centers = match &self.centers {
            BlobCenters::Count(k) => {
                check_at_least("centers", *k, 1)?;
                check_at_least("n_features", self.n_features, 1)?;
                // More centres than rows leaves centres without a row; and k x d centres must
                // be allocatable.
                if *k > self.n_samples {
                    return Err(Error::invalid_param(
                        "centers",
                        k,
                        format!("at most n_samples ({})", self.n_samples),
                    ));
                }
                if k.checked_mul(self.n_features)
                    .is_none_or(|v| v > isize::MAX as usize / 8)
                {
                    return Err(Error::invalid_param(
                        "centers",
                        k,
                        "centers x n_features is beyond the addressable memory",
                    ));
                }
                Array2::from_shape_fn((*k, self.n_features), |_| rng.uniform_range(lo, hi))
            }
            BlobCenters::Given(c) => {
                if c.nrows() == 0 || c.ncols() == 0 {
                    return Err(Error::empty("centers"));
                }
                crate::validate::check_finite(c.view(), "centers")?;
                c.clone()
            }
        };
        let (k, d) = centers.dim();
        let n = self.n_samples;
        let mut x = Array2::<f64>::zeros((n, d));
        let mut labels = Array1::<usize>::zeros(n);
        let mut row = 0;
        for c in 0..k {
            let count = n / k + usize::from(c < n % k);
            for _ in 0..count {
                for j in 0..d {
                    x[[row, j]] = centers[[c, j]] + self.cluster_std * rng.normal();
                }
                labels[row] = c;
                row += 1;
            }
        }
        if self.shuffle {
            let perm = rng.permutation(n);
            x = x.select(ndarray::Axis(0), &perm);
            labels = perm.iter().map(|&i| labels[i]).collect();
        }
        Ok((x, labels))
    }
}

/// A random n-class classification problem, as scikit-learn's `make_classification`.
///
/// Each class is made of `n_clusters_per_class` Gaussian clusters placed on the vertices of an
/// `n_informative`-dimensional hypercube of side `2 * class_sep`, each cluster stretched by a
/// random linear map. Redundant features are random linear combinations of the informative ones,
/// repeated features are copies, the rest is noise; `flip_y` of the labels are then reassigned
/// at random.
///
/// Defaults (scikit-learn's): `n_features = 20`, `n_informative = 2`, `n_redundant = 2`,
/// `n_repeated = 0`, `n_classes = 2`, `n_clusters_per_class = 2`, balanced `weights`,
/// `flip_y = 0.01`, `class_sep = 1.0`, `hypercube = true`, `shift = 0.0`, `scale = 1.0`,
/// `shuffle = true`, `seed = 0`.
///
/// ```
/// use cartera_core::datasets::Classification;
/// let (x, y) = Classification::new(1000).n_features(5).n_informative(3).n_redundant(1).seed(1).generate()?;
/// assert_eq!(x.dim(), (1000, 5));
/// assert!(y.iter().all(|&c| c < 2));
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Classification {
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    n_redundant: usize,
    n_repeated: usize,
    n_classes: usize,
    n_clusters_per_class: usize,
    weights: Option<Vec<f64>>,
    flip_y: f64,
    class_sep: f64,
    hypercube: bool,
    shift: f64,
    scale: f64,
    shuffle: bool,
    seed: u64,
}

impl Classification {
    /// `n_samples` rows with the defaults listed on the type.
    pub fn new(n_samples: usize) -> Self {
        Classification {
            n_samples,
            n_features: 20,
            n_informative: 2,
            n_redundant: 2,
            n_repeated: 0,
            n_classes: 2,
            n_clusters_per_class: 2,
            weights: None,
            flip_y: 0.01,
            class_sep: 1.0,
            hypercube: true,
            shift: 0.0,
            scale: 1.0,
            shuffle: true,
            seed: 0,
        }
    }
    crate::setter!(/// Total number of features.
        n_features: usize);
    crate::setter!(/// Features that carry the class signal.
        n_informative: usize);
    crate::setter!(/// Linear combinations of the informative features.
        n_redundant: usize);
    crate::setter!(/// Copies of informative or redundant features.
        n_repeated: usize);
    crate::setter!(/// Number of classes.
        n_classes: usize);
    crate::setter!(/// Gaussian clusters per class.
        n_clusters_per_class: usize);
    crate::setter!(/// Fraction of labels reassigned at random.
        flip_y: f64);
    crate::setter!(/// Half the side of the hypercube: larger is easier.
        class_sep: f64);
    crate::setter!(/// Put cluster centres on hypercube vertices (otherwise a random polytope).
        hypercube: bool);
    crate::setter!(/// Added to every feature.
        shift: f64);
    crate::setter!(/// Multiplies every feature (after `shift`).
        scale: f64);
    crate::setter!(/// Shuffle rows and columns.
        shuffle: bool);
    crate::setter!(/// Random seed.
        seed: u64);

    /// Class proportions (`n_classes` values, or `n_classes - 1` with the last inferred), as
    /// scikit-learn's `weights`.
    pub fn weights(mut self, w: Vec<f64>) -> Self {
        self.weights = Some(w);
        self
    }

    fn class_weights(&self) -> Result<Vec<f64>> {
        let k = self.n_classes;
        let w = match &self.weights {
            None => vec![1.0 / k as f64; k],
            Some(w) if w.len() == k => w.clone(),
            Some(w) if w.len() + 1 == k => {
                let s: f64 = w.iter().sum();
                let mut w = w.clone();
                w.push(1.0 - s);
                w
            }
            Some(w) => {
                return Err(Error::invalid_param(
                    "weights",
                    format!("{} values", w.len()),
                    format!("needs n_classes ({k}) or n_classes - 1 values"),
                ));
            }
        };
        if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || w.iter().sum::<f64>() <= 0.0 {
            return Err(Error::invalid_param(
                "weights",
                format!("{w:?}"),
                "must be finite, non-negative and not all zero",
            ));
        }
        Ok(w)
    }

    /// Generate `(X, y)` with `y[i]` in `0..n_classes`.
    pub fn generate(&self) -> Result<(Array2<f64>, Array1<usize>)> {
        check_at_least("n_samples", self.n_samples, 1)?;
        check_size(self.n_samples, self.n_features)?;
        check_at_least("n_informative", self.n_informative, 1)?;
        check_at_least("n_classes", self.n_classes, 1)?;
        check_at_least("n_clusters_per_class", self.n_clusters_per_class, 1)?;
        check_in_range("flip_y", self.flip_y, 0.0, 1.0)?;
        for (name, v) in [
            ("class_sep", self.class_sep),
            ("shift", self.shift),
            ("scale", self.scale),
        ] {
            if !v.is_finite() {
                return Err(Error::invalid_param(name, v, "must be finite"));
            }
        }
        let used = self.n_informative + self.n_redundant + self.n_repeated;
        if used > self.n_features {
            return Err(Error::invalid_param(
                "n_features",
                self.n_features,
                format!("must be at least n_informative + n_redundant + n_repeated = {used}"),
            ));
        }
        let n_clusters = self.n_classes * self.n_clusters_per_class;
        if self.n_informative < 64 && (n_clusters as u128) > (1u128 << self.n_informative) {
            return Err(Error::invalid_param(
                "n_informative",
                self.n_informative,
                format!(
                    "n_classes * n_clusters_per_class = {n_clusters} must be at most 2^n_informative"
                ),
            ));
        }
        let weights = self.class_weights()?;
        let wsum: f64 = weights.iter().sum();

        let mut rng = CarteraRng::seed_from_u64(self.seed);
        let (n, d, ni) = (self.n_samples, self.n_features, self.n_informative);

        // Samples per cluster: class share split evenly among the class's clusters, the
        // remainder handed out round-robin, as scikit-learn does.
        let mut per_cluster: Vec<usize> = (0..n_clusters)
            .map(|c| {
                let w = weights[c % self.n_classes] / wsum;
                (n as f64 * w / self.n_clusters_per_class as f64) as usize
            })
            .collect();
        let mut assigned: usize = per_cluster.iter().sum();
        let mut i = 0;
        while assigned < n {
            per_cluster[i % n_clusters] += 1;
            assigned += 1;
            i += 1;
        }

        // Distinct hypercube vertices as centroids.
        let mut vertices: Vec<u128> = Vec::with_capacity(n_clusters);
        while vertices.len() < n_clusters {
            let v: u128 = if ni >= 64 {
                u128::from(rng.next_u64()) | (u128::from(rng.next_u64()) << 64)
            } else {
                u128::from(rng.below(1u64 << ni))
            };
            if !vertices.contains(&v) {
                vertices.push(v);
            }
        }
        let mut centroids = Array2::<f64>::zeros((n_clusters, ni));
        for (c, v) in vertices.iter().enumerate() {
            for j in 0..ni {
                let bit = if j < 128 { (v >> j) & 1 } else { 0 };
                centroids[[c, j]] = (bit as f64) * 2.0 * self.class_sep - self.class_sep;
            }
        }
        if !self.hypercube {
            for c in 0..n_clusters {
                let s = rng.uniform();
                centroids.row_mut(c).mapv_inplace(|v| v * s);
            }
            for j in 0..ni {
                let s = rng.uniform();
                centroids.column_mut(j).mapv_inplace(|v| v * s);
            }
        }

        let mut x = Array2::<f64>::zeros((n, d));
        let mut y = Array1::<usize>::zeros(n);
        let mut start = 0;
        for (c, &count) in per_cluster.iter().enumerate() {
            let a = Array2::from_shape_fn((ni, ni), |_| 2.0 * rng.uniform() - 1.0);
            let mut z = vec![0.0; ni];
            for r in start..start + count {
                for v in z.iter_mut() {
                    *v = rng.normal();
                }
                for j in 0..ni {
                    let mut s = centroids[[c, j]];
                    for (l, zl) in z.iter().enumerate() {
                        s += zl * a[[l, j]];
                    }
                    x[[r, j]] = s;
                }
                y[r] = c % self.n_classes;
            }
            start += count;
        }

        if self.n_redundant > 0 {
            let b = Array2::from_shape_fn((ni, self.n_redundant), |_| 2.0 * rng.uniform() - 1.0);
            for r in 0..n {
                for k in 0..self.n_redundant {
                    let s: f64 = (0..ni).map(|l| x[[r, l]] * b[[l, k]]).sum();
                    x[[r, ni + k]] = s;
                }
            }
        }
        let base = ni + self.n_redundant;
        for k in 0..self.n_repeated {
            let src = rng.index(base);
            for r in 0..n {
                x[[r, base + k]] = x[[r, src]];
            }
        }
        for r in 0..n {
            for j in used..d {
                x[[r, j]] = rng.normal();
            }
        }
        if self.flip_y > 0.0 {
            for label in y.iter_mut() {
                if rng.uniform() < self.flip_y {
                    *label = rng.index(self.n_classes);
                }
            }
        }
        x.mapv_inplace(|v| (v + self.shift) * self.scale);

        if self.shuffle {
            let rows = rng.permutation(n);
            x = x.select(ndarray::Axis(0), &rows);
            y = rows.iter().map(|&i| y[i]).collect();
            let cols = rng.permutation(d);
            x = x.select(ndarray::Axis(1), &cols);
        }
        Ok((x, y))
    }
}

/// Most values (rows x features) a generator writes: 10^9, 8 GB of `f64`. A larger table
/// would abort the process when its memory cannot be had; this says so first.
pub const MAX_GENERATED_VALUES: usize = 1_000_000_000;

fn check_size(n_samples: usize, n_features: usize) -> Result<()> {
    match n_samples.checked_mul(n_features.max(1)) {
        Some(v) if v <= MAX_GENERATED_VALUES => Ok(()),
        _ => Err(Error::invalid_param(
            "n_samples",
            n_samples,
            format!(
                "with {n_features} features: at most {MAX_GENERATED_VALUES} values (rows x \
                 features) are generated in memory"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_refuse_tables_past_the_size_limit() {
        let e = Blobs::new(100_000_000_000).generate().unwrap_err();
        assert!(e.to_string().contains("at most 1000000000 values"), "{e}");
        let e = Classification::new(10)
            .n_features(usize::MAX)
            .generate()
            .unwrap_err();
        assert!(e.to_string().contains("n_samples"), "{e}");
    }

    #[test]
    fn blobs_are_separable_and_deterministic() {
        let g = Blobs::new(601)
            .n_features(4)
            .centers(3)
            .cluster_std(0.5)
            .seed(11);
        let (x, l) = g.generate().unwrap();
        let (x2, l2) = g.generate().unwrap();
        assert_eq!(x, x2);
        assert_eq!(l, l2);
        let counts: Vec<usize> = (0..3)
            .map(|c| l.iter().filter(|&&v| v == c).count())
            .collect();
        assert_eq!(counts, vec![201, 200, 200]);
        // Each point is much closer to its own blob's mean than to the others'.
        let means: Vec<Vec<f64>> = (0..3)
            .map(|c| {
                (0..4)
                    .map(|j| {
                        let v: Vec<f64> =
                            (0..601).filter(|&i| l[i] == c).map(|i| x[[i, j]]).collect();
                        v.iter().sum::<f64>() / v.len() as f64
                    })
                    .collect()
            })
            .collect();
        let dist =
            |i: usize, c: usize| -> f64 { (0..4).map(|j| (x[[i, j]] - means[c][j]).powi(2)).sum() };
        let wrong = (0..601)
            .filter(|&i| (0..3).any(|c| c != l[i] && dist(i, c) < dist(i, l[i])))
            .count();
        assert!(wrong < 6, "{wrong} points nearer another blob");
    }

    #[test]
    fn blobs_reject_bad_parameters() {
        assert!(matches!(
            Blobs::new(10).cluster_std(f64::NAN).generate(),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(Blobs::new(0).generate().is_err());
        assert!(Blobs::new(10).centers(0).generate().is_err());
        // More centres than rows, or centres beyond memory: errors, not a panic or an abort.
        assert!(Blobs::new(10).centers(11).generate().is_err());
        assert!(Blobs::new(10).centers(usize::MAX).generate().is_err());
        assert!(Blobs::new(10).center_box(f64::NAN, 1.0).generate().is_err());
        let mut c = Array2::<f64>::zeros((2, 2));
        c[[1, 1]] = f64::INFINITY;
        assert!(matches!(
            Blobs::new(10).given_centers(c).generate(),
            Err(Error::NonFinite {
                row: 1,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn classification_has_signal_and_respects_weights() {
        let (x, y) = Classification::new(4000)
            .n_features(6)
            .n_informative(3)
            .n_redundant(1)
            .n_repeated(1)
            .weights(vec![0.8])
            .flip_y(0.0)
            .class_sep(2.0)
            .shuffle(false)
            .seed(5)
            .generate()
            .unwrap();
        let ones = y.iter().filter(|&&c| c == 1).count() as f64 / 4000.0;
        assert!((ones - 0.2).abs() < 0.01, "share of class 1 {ones}");
        // The repeated column duplicates an earlier one.
        let rep = x.column(4);
        assert!((0..4).any(|j| x.column(j) == rep));
        // Noise column is roughly standard normal.
        let noise = x.column(5);
        let m = noise.mean().unwrap();
        assert!(m.abs() < 0.1);
        // A nearest-class-mean rule on the informative columns beats chance clearly.
        let mean = |c: usize, j: usize| {
            let v: Vec<f64> = (0..4000)
                .filter(|&i| y[i] == c)
                .map(|i| x[[i, j]])
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let differs = (0..3).any(|j| (mean(0, j) - mean(1, j)).abs() > 0.5);
        assert!(differs);
    }

    #[test]
    fn classification_rejects_bad_parameters() {
        assert!(Classification::new(10).n_features(3).generate().is_err()); // 2+2 > 3
        assert!(
            Classification::new(10)
                .n_informative(1)
                .n_classes(3)
                .n_redundant(0)
                .generate()
                .is_err()
        );
        assert!(Classification::new(10).flip_y(2.0).generate().is_err());
        assert!(
            Classification::new(10)
                .weights(vec![0.1, 0.2, 0.3])
                .generate()
                .is_err()
        );
        assert!(
            Classification::new(10)
                .weights(vec![f64::NAN])
                .generate()
                .is_err()
        );
        assert!(
            Classification::new(10)
                .class_sep(f64::INFINITY)
                .generate()
                .is_err()
        );
    }
}
