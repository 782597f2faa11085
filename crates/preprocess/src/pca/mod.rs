//! Principal component analysis (PCA), from scratch on `ndarray`: no LAPACK.
//!
//! [`Pca`] holds the parameters; [`Pca::fit`] centres the data, finds the directions of
//! largest variance and returns an immutable [`FittedPca`], which projects new rows
//! ([`FittedPca::transform`]) and maps projections back ([`FittedPca::inverse_transform`]).
//!
//! ```
//! use cartera_core::datasets::Blobs;
//! use cartera_preprocess::pca::Pca;
//!
//! let (x, _) = Blobs::new(500).n_features(6).centers(3).seed(1).generate()?;
//!
//! // Keep the fewest components that explain more than 90 % of the variance.
//! let pca = Pca::default().variance_fraction(0.9).fit(x.view())?;
//! let k = pca.n_components();
//! assert!(k >= 1 && k <= 6);
//! assert!(pca.explained_variance_ratio().sum() > 0.9);
//!
//! // Project, then map back: with every component kept the round trip is exact.
//! let scores = pca.transform(x.view())?;
//! assert_eq!(scores.dim(), (500, k));
//! let full = Pca::default().fit(x.view())?;
//! let back = full.inverse_transform(full.transform(x.view())?.view())?;
//! assert!((&back - &x).iter().all(|d| d.abs() < 1e-9));
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! # Solvers
//!
//! * [`PcaSolver::CovarianceEigh`]: one parallel pass over the rows accumulates the centred
//!   scatter matrix `Σ (x - x̄)(x - x̄)ᵀ` in `f64`, block by block (each block centred on its
//!   own mean, blocks merged with Chan's pairwise update, so a large mean never cancels away
//!   the variance); then a symmetric eigen-decomposition (Householder tridiagonalisation and
//!   implicit QR, see `eigen.rs`) gives every component. Cost `O(n p²) + O(p³)`: the right
//!   choice for customer tables, which are tall (many rows, tens to hundreds of columns).
//! * [`PcaSolver::Randomized`]: randomized SVD of the centred data (Halko et al. 2011) with
//!   `n_oversamples` extra probes and `power_iterations` rounds of subspace iteration, each
//!   re-orthonormalised by modified Gram–Schmidt. Cost `O(n p (k + oversamples) (2q + 2))`:
//!   for wide data and few components.
//! * [`PcaSolver::Auto`] (default): the covariance path up to 500 features, and up to 1,000
//!   features when there are at least ten times as many samples (scikit-learn's rule for
//!   `covariance_eigh`); otherwise the randomized path when `n_components` is a count below
//!   80 % of `min(n_samples, n_features)` (as scikit-learn), the covariance path if not.
//!
//! # Same definitions as scikit-learn's `PCA`
//!
//! | cartera | scikit-learn (1.9) |
//! |---|---|
//! | `Pca::default()` (all components) | `PCA()` (`n_components=None`) |
//! | `.n_components(k)` | `n_components=k` |
//! | `.variance_fraction(f)` | `n_components=f` with `0 < f < 1` |
//! | `.whiten(true)` | `whiten=True` |
//! | `.solver(PcaSolver::CovarianceEigh)` | `svd_solver="covariance_eigh"` |
//! | `.solver(PcaSolver::Randomized)` | `svd_solver="randomized"` |
//! | `.n_oversamples(10)`, `.power_iterations(q)` | `n_oversamples=10`, `iterated_power=q` |
//! | `.seed(s)` | `random_state=s` (different generator: same seed, different probes) |
//! | `components()`, `explained_variance()`, … | `components_`, `explained_variance_`, … |
//!
//! * `explained_variance` uses `n_samples - 1` degrees of freedom; `singular_values` are
//!   `sqrt(explained_variance · (n_samples - 1))`; `explained_variance_ratio` divides by the
//!   total variance (the sum of all eigenvalues of the covariance matrix, negative rounding
//!   noise clipped to zero; on the randomized path the trace of the covariance matrix).
//! * A variance fraction `f` keeps `k = 1 + #{i : c_i <= f}` components, where `c` is the
//!   running sum of `explained_variance_ratio` over all components: scikit-learn's
//!   `searchsorted(c, f, side="right") + 1`. So the kept components explain *strictly more*
//!   than `f` (unless rounding leaves every `c_i <= f`; then all components are kept).
//! * Sign convention (scikit-learn's `svd_flip(u_based_decision=False)`): in each component
//!   the entry of largest absolute value (the first such entry on a tie) is positive.
//! * Whitening divides each projection by `sqrt(explained_variance)`, clamped below at the
//!   float type's machine epsilon so that zero-variance components give finite output.
//! * `noise_variance` is the mean of the discarded eigenvalues among the first
//!   `min(n_samples, n_features)` (0 when nothing is discarded).
//! * One sample is refused with [`Error::TooFewSamples`]: the `n_samples - 1` denominator
//!   leaves its variance undefined (scikit-learn divides by zero there).
//!
//! # Determinism
//!
//! Rows are processed in blocks of fixed size and per-block results are merged in block order,
//! and the randomized path draws its probes from one [`CarteraRng`] stream seeded by `seed`:
//! the same data and parameters give the same bits with 1 or 64 threads.
//!
//! [`CarteraRng`]: cartera_core::rng::CarteraRng

mod eigen;
mod randomized;

use cartera_core::dots::DotTable;
use cartera_core::{Error, Float, Result, validate};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per block in the scatter kernel: a centred `f64` copy of the block stays in the
/// per-core cache while the block's `XᵀX` is formed. Fixed, so results do not depend on the
/// thread count.
const SCATTER_BLOCK_ROWS: usize = 512;

/// Blocks per parallel task in the scatter kernel (8 x 512 = 4,096 rows): each task merges
/// its blocks in order into one partial result; tasks are merged in order afterwards.
const SCATTER_TASK_BLOCKS: usize = 8;

/// Column panel width of the block Gram product. Only the upper triangle of `XᵀX` is formed,
/// one panel of columns at a time (`X[:, ..j1]ᵀ X[:, j0..j1]`); on 371,589 x 42 this was about
/// a fifth faster than the full product. Widths from 16 to 32 measured alike; narrower panels
/// lose to per-call packing overhead. A multiple of the f64 kernel's 8 x 4 tile.
const GRAM_PANEL: usize = 24;

/// Rows per block in `transform` (centred into a scratch buffer that stays in cache, then
/// projected) and in `inverse_transform`.
const PROJECT_BLOCK_ROWS: usize = 256;

/// Blocks per parallel task in `transform` (16 x 256 = 4,096 rows).
const PROJECT_TASK_BLOCKS: usize = 16;

/// Widest data for which [`PcaSolver::Auto`] always takes the covariance path: at 500
/// features the eigen-decomposition takes about 0.3 s on one core.
const AUTO_MAX_COVARIANCE_FEATURES: usize = 500;

/// Widest data for which [`PcaSolver::Auto`] takes the covariance path when the data is tall
/// (at least 10 samples per feature), as scikit-learn's `svd_solver="auto"` does.
const AUTO_MAX_TALL_COVARIANCE_FEATURES: usize = 1000;

/// How many components to keep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NComponents {
    /// All `min(n_samples, n_features)` components (scikit-learn's `n_components=None`).
    All,
    /// Exactly this many, between 1 and `min(n_samples, n_features)`.
    Count(usize),
    /// The fewest components whose cumulative explained-variance ratio exceeds this fraction,
    /// strictly between 0 and 1 (see the module docs for the exact rule).
    VarianceFraction(f64),
}

/// Which algorithm computes the components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PcaSolver {
    /// Covariance eigen-decomposition up to 500 features (1,000 when `n_samples >= 10 ·
    /// n_features`); wider data with a component count below 80 % of `min(n_samples,
    /// n_features)` uses [`PcaSolver::Randomized`].
    Auto,
    /// Exact: eigen-decomposition of the covariance matrix. Every component, any
    /// `n_components`.
    CovarianceEigh,
    /// Approximate randomized SVD for few components of wide data; needs a component count
    /// (not a variance fraction).
    Randomized,
}

/// PCA parameters: build with the setters, then [`Pca::fit`].
///
/// Defaults (as scikit-learn's `PCA()`):
///
/// * `n_components`: [`NComponents::All`], every `min(n_samples, n_features)` component;
/// * `whiten`: `false`;
/// * `solver`: [`PcaSolver::Auto`];
/// * `n_oversamples`: 10 extra random probes (randomized solver only);
/// * `power_iterations`: automatic, 7 when `n_components < 0.1 · min(n_samples, n_features)`
///   and 4 otherwise (randomized solver only);
/// * `seed`: 0 (randomized solver only).
///
/// ```
/// use cartera_preprocess::pca::{NComponents, Pca, PcaSolver};
/// let pca = Pca::default().n_components(3).whiten(true).solver(PcaSolver::CovarianceEigh);
/// assert_eq!(pca.get_n_components(), NComponents::Count(3));
/// assert!(Pca::default().n_components(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    n_components: NComponents,
    whiten: bool,
    solver: PcaSolver,
    n_oversamples: usize,
    power_iterations: Option<usize>,
    seed: u64,
}

impl Default for Pca {
    fn default() -> Self {
        Pca {
            n_components: NComponents::All,
            whiten: false,
            solver: PcaSolver::Auto,
            n_oversamples: 10,
            power_iterations: None,
            seed: 0,
        }
    }
}

impl Pca {
    /// The default parameters (see the type's docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep exactly `k` components (at least 1, at most `min(n_samples, n_features)`).
    pub fn n_components(mut self, k: usize) -> Self {
        self.n_components = NComponents::Count(k);
        self
    }

    /// Keep the fewest components whose cumulative explained-variance ratio exceeds
    /// `fraction`, which must lie strictly between 0 and 1.
    pub fn variance_fraction(mut self, fraction: f64) -> Self {
        self.n_components = NComponents::VarianceFraction(fraction);
        self
    }

    /// Keep every component (the default).
    pub fn all_components(mut self) -> Self {
        self.n_components = NComponents::All;
        self
    }

    /// Scale each projected column to unit variance on the training data.
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.whiten = whiten;
        self
    }

    /// Choose the algorithm (default [`PcaSolver::Auto`]).
    pub fn solver(mut self, solver: PcaSolver) -> Self {
        self.solver = solver;
        self
    }

    /// Extra random probes beyond `n_components` for the randomized solver (at least 1;
    /// default 10).
    pub fn n_oversamples(mut self, n: usize) -> Self {
        self.n_oversamples = n;
        self
    }

    /// Rounds of subspace (power) iteration for the randomized solver, replacing the automatic
    /// choice (7 when `n_components < 0.1 · min(n_samples, n_features)`, 4 otherwise).
    pub fn power_iterations(mut self, q: usize) -> Self {
        self.power_iterations = Some(q);
        self
    }

    /// Seed of the randomized solver's probes (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many components to keep.
    pub fn get_n_components(&self) -> NComponents {
        self.n_components
    }

    /// Whether projections are whitened.
    pub fn get_whiten(&self) -> bool {
        self.whiten
    }

    /// The requested solver.
    pub fn get_solver(&self) -> PcaSolver {
        self.solver
    }

    /// Extra random probes of the randomized solver.
    pub fn get_n_oversamples(&self) -> usize {
        self.n_oversamples
    }

    /// Rounds of power iteration, or `None` for the automatic choice.
    pub fn get_power_iterations(&self) -> Option<usize> {
        self.power_iterations
    }

    /// Seed of the randomized solver.
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// Validates every parameter that does not depend on the data ([`Pca::fit`] calls it
    /// first, then checks `n_components` against the data's shape).
    ///
    /// Fails with [`Error::InvalidParameter`] when a count is 0, a fraction is not strictly
    /// between 0 and 1, `n_oversamples` is 0, or a fraction is combined with
    /// [`PcaSolver::Randomized`].
    pub fn check(&self) -> Result<()> {
        match self.n_components {
            NComponents::All => {}
            NComponents::Count(k) => validate::check_at_least("n_components", k, 1)?,
            NComponents::VarianceFraction(f) => {
                if !(f > 0.0 && f < 1.0) {
                    return Err(Error::invalid_param(
                        "variance_fraction",
                        f,
                        "must lie strictly between 0 and 1",
                    ));
                }
                if self.solver == PcaSolver::Randomized {
                    return Err(Error::invalid_param(
                        "variance_fraction",
                        f,
                        "needs every component, which the randomized solver does not compute; \
                         use a component count or PcaSolver::CovarianceEigh",
                    ));
                }
            }
        }
        validate::check_at_least("n_oversamples", self.n_oversamples, 1)?;
        Ok(())
    }

    /// Fits PCA on `x` (one row per sample).
    ///
    /// Errors: [`Error::InvalidParameter`] for a bad parameter (see [`Pca::check`]) or a count
    /// above `min(n_samples, n_features)`; [`Error::EmptyInput`] for no rows or no columns;
    /// [`Error::NonFinite`] naming the first NaN or ±inf (also when the squares of finite
    /// values above about 1e154 overflow); [`Error::TooFewSamples`] for a single row.
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<FittedPca<F>> {
        self.check()?;
        validate::check_non_empty(x, "X")?;
        let (n, p) = x.dim();
        validate::check_min_samples(n, 2, "PCA samples (the variance divides by n_samples - 1)")?;
        let max_k = n.min(p);
        if let NComponents::Count(k) = self.n_components
            && k > max_k
        {
            return Err(Error::invalid_param(
                "n_components",
                k,
                format!("must be at most min(n_samples, n_features) = {max_k}"),
            ));
        }
        let fit = match self.resolve_solver(n, p) {
            PcaSolver::Randomized => {
                validate::check_finite(x, "X")?;
                self.fit_randomized(x)
            }
            // The covariance path checks finiteness inside its single pass over the data.
            _ => self.fit_covariance(x)?,
        };
        Ok(fit.into_model(self.whiten, n))
    }

    /// Fits on `x` and returns the model with `x`'s projection (as `fit` then `transform`).
    pub fn fit_transform<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
    ) -> Result<(FittedPca<F>, Array2<F>)> {
        let model = self.fit(x)?;
        // `fit` has checked that x is non-empty, finite and of the model's width; a non-finite
        // projection can then only come from overflow, which `transform` also lets through.
        let (projected, _) = model.project(x);
        Ok((model, projected))
    }

    /// The solver [`PcaSolver::Auto`] stands for on `n x p` data.
    fn resolve_solver(&self, n: usize, p: usize) -> PcaSolver {
        match self.solver {
            PcaSolver::Auto => {
                let small_count = match self.n_components {
                    NComponents::Count(k) => (k as f64) < 0.8 * n.min(p) as f64,
                    _ => false,
                };
                let tall = p <= AUTO_MAX_TALL_COVARIANCE_FEATURES && n >= 10 * p;
                if p > AUTO_MAX_COVARIANCE_FEATURES && !tall && small_count {
                    PcaSolver::Randomized
                } else {
                    PcaSolver::CovarianceEigh
                }
            }
            chosen => chosen,
        }
    }

    fn fit_covariance<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<Fit> {
        let (n, p) = x.dim();
        let moments = scatter(x);
        if let Some((i, j)) = moments.first_non_finite() {
            // A NaN or ±inf in x always reaches the block means (and from there the merged
            // mean), so the full scan for the first bad cell is only paid on bad input.
            validate::check_finite(x, "X")?;
            // x is finite, so only overflow can get here.
            return Err(Error::NonFinite {
                what: "the covariance matrix of X (values too large: their squares overflow)"
                    .into(),
                row: i,
                column: j,
                value: "inf".into(),
            });
        }
        let denom = (n - 1) as f64;
        let cov = moments.scatter.mapv(|s| s / denom);
        let eig = eigen::symmetric_eigen(cov.view());
        // The covariance matrix is positive semi-definite: negative eigenvalues are rounding.
        let variance: Vec<f64> = eig.values.iter().map(|v| v.max(0.0)).collect();
        let total: f64 = variance.iter().sum();
        let ratio: Vec<f64> = variance
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();
        let max_k = n.min(p);
        let k = match self.n_components {
            NComponents::All => max_k,
            NComponents::Count(k) => k,
            NComponents::VarianceFraction(f) => components_for_fraction(&ratio, f, max_k),
        };
        let noise_variance = if k < max_k {
            variance[k..max_k].iter().sum::<f64>() / (max_k - k) as f64
        } else {
            0.0
        };
        let mut components = eig.vectors.slice(ndarray::s![..k, ..]).to_owned();
        flip_signs(&mut components);
        Ok(Fit {
            mean: moments.mean,
            components,
            explained_variance: variance[..k].to_vec(),
            explained_variance_ratio: ratio[..k].to_vec(),
            noise_variance,
            solver: PcaSolver::CovarianceEigh,
        })
    }

    fn fit_randomized<F: Float>(&self, x: ArrayView2<'_, F>) -> Fit {
        let (n, p) = x.dim();
        let max_k = n.min(p);
        let k = match self.n_components {
            NComponents::Count(k) => k,
            // A fraction was refused by `check` for this solver; `Auto` never resolves to
            // the randomized path without a count.
            NComponents::All | NComponents::VarianceFraction(_) => max_k,
        };
        let mean = column_means(x);
        let centred = centred_f64(x, &mean);
        let denom = (n - 1) as f64;
        let total = sum_of_squares(centred.view()) / denom;
        let q = self
            .power_iterations
            .unwrap_or(if (k as f64) < 0.1 * max_k as f64 {
                7
            } else {
                4
            });
        let (singular, mut components) =
            randomized::randomized_svd(centred.view(), k, self.n_oversamples, q, self.seed);
        flip_signs(&mut components);
        let variance: Vec<f64> = singular.iter().map(|s| s * s / denom).collect();
        let ratio = variance
            .iter()
            .map(|v| if total > 0.0 { v / total } else { 0.0 })
            .collect();
        let noise_variance = if k < max_k {
            ((total - variance.iter().sum::<f64>()) / (max_k - k) as f64).max(0.0)
        } else {
            0.0
        };
        Fit {
            mean,
            components,
            explained_variance: variance,
            explained_variance_ratio: ratio,
            noise_variance,
            solver: PcaSolver::Randomized,
        }
    }
}

/// A fit in `f64`, before conversion to the caller's float type.
struct Fit {
    mean: Vec<f64>,
    components: Array2<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    noise_variance: f64,
    solver: PcaSolver,
}

impl Fit {
    fn into_model<F: Float>(self, whiten: bool, n_samples: usize) -> FittedPca<F> {
        let cast = |v: &[f64]| {
            v.iter()
                .map(|x| F::cast_from_f64(*x))
                .collect::<Array1<F>>()
        };
        let singular: Vec<f64> = self
            .explained_variance
            .iter()
            .map(|v| (v * (n_samples - 1) as f64).sqrt())
            .collect();
        FittedPca {
            mean: cast(&self.mean),
            components: self.components.mapv(F::cast_from_f64),
            explained_variance: cast(&self.explained_variance),
            explained_variance_ratio: cast(&self.explained_variance_ratio),
            singular_values: cast(&singular),
            noise_variance: F::cast_from_f64(self.noise_variance),
            n_samples,
            whiten,
            solver: self.solver,
        }
    }
}

/// A fitted PCA: the training mean, the components and their variances. Immutable; save and
/// load it with serde (loading checks that the parts fit together and fails with a message
/// otherwise, so a damaged model file cannot make `transform` misbehave).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "FittedPcaFields<F>",
    bound(deserialize = "F: Float", serialize = "F: Float")
)]
pub struct FittedPca<F> {
    mean: Array1<F>,
    components: Array2<F>,
    explained_variance: Array1<F>,
    explained_variance_ratio: Array1<F>,
    singular_values: Array1<F>,
    noise_variance: F,
    n_samples: usize,
    whiten: bool,
    solver: PcaSolver,
}

/// The fields of [`FittedPca`] as stored, before the consistency check.
#[derive(Deserialize)]
#[serde(bound(deserialize = "F: Float"))]
struct FittedPcaFields<F> {
    mean: Array1<F>,
    components: Array2<F>,
    explained_variance: Array1<F>,
    explained_variance_ratio: Array1<F>,
    singular_values: Array1<F>,
    noise_variance: F,
    n_samples: usize,
    whiten: bool,
    solver: PcaSolver,
}

impl<F: Float> TryFrom<FittedPcaFields<F>> for FittedPca<F> {
    type Error = Error;

    fn try_from(f: FittedPcaFields<F>) -> Result<Self> {
        let (k, p) = f.components.dim();
        let mismatch = |what: &str, len: usize, want: usize| {
            Error::model_format(format!(
                "PCA model: {what} has length {len}, but the components are {k} x {p} \
                 (expected {want})"
            ))
        };
        if f.mean.len() != p {
            return Err(mismatch("mean", f.mean.len(), p));
        }
        for (what, len) in [
            ("explained_variance", f.explained_variance.len()),
            ("explained_variance_ratio", f.explained_variance_ratio.len()),
            ("singular_values", f.singular_values.len()),
        ] {
            if len != k {
                return Err(mismatch(what, len, k));
            }
        }
        if f.solver == PcaSolver::Auto {
            return Err(Error::model_format(
                "PCA model: solver is Auto; a fitted model records the solver it used",
            ));
        }
        Ok(FittedPca {
            mean: f.mean,
            components: f.components,
            explained_variance: f.explained_variance,
            explained_variance_ratio: f.explained_variance_ratio,
            singular_values: f.singular_values,
            noise_variance: f.noise_variance,
            n_samples: f.n_samples,
            whiten: f.whiten,
            solver: f.solver,
        })
    }
}

impl<F: Float> FittedPca<F> {
    /// Per-feature mean of the training data (length `n_features`).
    pub fn mean(&self) -> ArrayView1<'_, F> {
        self.mean.view()
    }

    /// The components, one unit vector per row (`n_components x n_features`), mutually
    /// orthogonal, by decreasing explained variance; each row's largest-magnitude entry is
    /// positive.
    pub fn components(&self) -> ArrayView2<'_, F> {
        self.components.view()
    }

    /// Variance of the training data along each component (`n_samples - 1` degrees of
    /// freedom), decreasing.
    pub fn explained_variance(&self) -> ArrayView1<'_, F> {
        self.explained_variance.view()
    }

    /// Share of the total variance along each component, in `[0, 1]`.
    pub fn explained_variance_ratio(&self) -> ArrayView1<'_, F> {
        self.explained_variance_ratio.view()
    }

    /// Singular values of the centred training data: `sqrt(explained_variance · (n - 1))`.
    pub fn singular_values(&self) -> ArrayView1<'_, F> {
        self.singular_values.view()
    }

    /// Mean variance of the discarded directions (probabilistic PCA's noise variance); 0 when
    /// every component is kept.
    pub fn noise_variance(&self) -> F {
        self.noise_variance
    }

    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// Number of features seen at fit.
    pub fn n_features(&self) -> usize {
        self.components.ncols()
    }

    /// Number of samples seen at fit.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Whether [`FittedPca::transform`] whitens.
    pub fn whiten(&self) -> bool {
        self.whiten
    }

    /// The solver that computed the components ([`PcaSolver::CovarianceEigh`] or
    /// [`PcaSolver::Randomized`], never `Auto`).
    pub fn solver(&self) -> PcaSolver {
        self.solver
    }

    /// Projects `x` (`n x n_features`) on the components: `(x - mean) · componentsᵀ`, divided
    /// by `sqrt(explained_variance)` when whitening. Returns `n x n_components`.
    ///
    /// Errors: [`Error::ShapeMismatch`] for the wrong number of columns, [`Error::NonFinite`]
    /// naming the first NaN or ±inf. Zero rows give a `0 x n_components` result. Finite
    /// values so large that the projection overflows give ±inf entries, not an error.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validate::check_width(x, self.n_features(), "X at transform")?;
        let (out, non_finite) = self.project(x);
        if non_finite {
            // A NaN or ±inf in x always makes its row's projection non-finite, so the scan for
            // the first bad cell runs only then. If x is finite after all, the projection
            // overflowed and is returned as it is.
            validate::check_finite(x, "X")?;
        }
        Ok(out)
    }

    /// Maps projections `y` (`n x n_components`) back to feature space:
    /// `y · components + mean`, undoing the whitening first when it was applied. Exact for
    /// rows in the span of the components; otherwise the nearest such row.
    ///
    /// Errors: [`Error::ShapeMismatch`] unless `y` has `n_components` columns,
    /// [`Error::NonFinite`] naming the first NaN or ±inf.
    pub fn inverse_transform(&self, y: ArrayView2<'_, F>) -> Result<Array2<F>> {
        validate::check_width(y, self.n_components(), "projections at inverse_transform")?;
        validate::check_finite(y, "projections")?;
        let mut basis = self.components.clone();
        if self.whiten {
            for (mut row, scale) in basis.rows_mut().into_iter().zip(self.whitening_scales()) {
                row.mapv_inplace(|v| v * scale);
            }
        }
        let mut out = Array2::<F>::zeros((y.nrows(), self.n_features()));
        out.axis_chunks_iter_mut(Axis(0), PROJECT_BLOCK_ROWS)
            .into_par_iter()
            .zip(
                y.axis_chunks_iter(Axis(0), PROJECT_BLOCK_ROWS)
                    .into_par_iter(),
            )
            .for_each(|(mut o, yb)| {
                general_mat_mul(F::one(), &yb, &basis, F::zero(), &mut o);
                for mut row in o.rows_mut() {
                    row += &self.mean;
                }
            });
        Ok(out)
    }

    /// `sqrt(explained_variance)` per component, clamped below at machine epsilon (as
    /// scikit-learn) so that a zero-variance component does not divide by zero.
    fn whitening_scales(&self) -> Vec<F> {
        self.explained_variance
            .iter()
            .map(|v| v.sqrt().max(F::epsilon()))
            .collect()
    }

    /// The projection without validation (`x` must be `n_features` wide), and whether any
    /// projected value is non-finite.
    ///
    /// Parallel over tasks of `PROJECT_TASK_BLOCKS` blocks, each with one scratch buffer for
    /// its centred blocks (allocated once per task, not once per block or per rayon split). The
    /// product is [`DotTable`]'s register-tiled kernel: with 10 components of 42 features,
    /// `general_mat_mul` spent as long packing each block as multiplying it.
    fn project(&self, x: ArrayView2<'_, F>) -> (Array2<F>, bool) {
        let (n, p) = x.dim();
        let k = self.n_components();
        // Fresh output pages are mapped 2 MiB at a time for large projections (see
        // `cartera_core::memory`).
        let mut out = cartera_core::memory::zeroed::<F>(n * k);
        let basis = self.components.as_standard_layout();
        // `as_standard_layout` is contiguous by construction.
        let table = DotTable::new(basis.as_slice().expect("standard layout"), k, p);
        let mean = self.mean.to_vec();
        let scales = self.whiten.then(|| self.whitening_scales());
        let task_rows = PROJECT_BLOCK_ROWS * PROJECT_TASK_BLOCKS;
        let non_finite = out
            .par_chunks_mut((task_rows * k).max(1))
            .zip(x.axis_chunks_iter(Axis(0), task_rows).into_par_iter())
            .map(|(task_out, task_x)| {
                let mut scratch = vec![F::zero(); PROJECT_BLOCK_ROWS.min(task_x.nrows()) * p];
                let mut non_finite = false;
                for (o, xb) in task_out
                    .chunks_mut((PROJECT_BLOCK_ROWS * k).max(1))
                    .zip(task_x.axis_chunks_iter(Axis(0), PROJECT_BLOCK_ROWS))
                {
                    // Centre before projecting (scikit-learn subtracts mean · Vᵀ afterwards):
                    // with a mean far larger than the spread, projecting first would cancel
                    // most of the digits.
                    let centred = &mut scratch[..xb.nrows() * p];
                    for (dst, src) in centred.chunks_exact_mut(p.max(1)).zip(xb.rows()) {
                        centre_row(ArrayViewMut1::from(dst), src, &mean, |v| v);
                    }
                    table.dots(centred, p, o);
                    if let Some(scales) = &scales {
                        for row in o.chunks_exact_mut(k.max(1)) {
                            for (v, s) in row.iter_mut().zip(scales) {
                                *v /= *s;
                            }
                        }
                    }
                    non_finite |= o.iter().any(|v| !v.is_finite());
                }
                non_finite
            })
            .reduce(|| false, |a, b| a || b);
        // `out` was allocated with n * k elements.
        let out = Array2::from_shape_vec((n, k), out).expect("n * k elements");
        (out, non_finite)
    }
}

/// `dst = src - mean` element-wise, converting with `convert`; on contiguous rows (the usual
/// case) through slices, which the compiler vectorises, unlike zipped ndarray iterators.
#[inline]
fn centre_row<S: Copy, D: Float>(
    mut dst: ndarray::ArrayViewMut1<'_, D>,
    src: ArrayView1<'_, S>,
    mean: &[D],
    convert: impl Fn(S) -> D,
) {
    match (dst.as_slice_mut(), src.to_slice()) {
        (Some(d), Some(s)) => {
            for ((d, s), m) in d.iter_mut().zip(s).zip(mean) {
                *d = convert(*s) - *m;
            }
        }
        _ => {
            for ((d, s), m) in dst.iter_mut().zip(src.iter()).zip(mean) {
                *d = convert(*s) - *m;
            }
        }
    }
}

/// `acc += row` element-wise in `f64` (slices when the row is contiguous).
#[inline]
fn add_row<F: Float>(acc: &mut [f64], row: ArrayView1<'_, F>) {
    match row.to_slice() {
        Some(r) => {
            for (a, v) in acc.iter_mut().zip(r) {
                *a += v.as_f64();
            }
        }
        None => {
            for (a, v) in acc.iter_mut().zip(row.iter()) {
                *a += v.as_f64();
            }
        }
    }
}

/// scikit-learn's rule for a variance fraction: `searchsorted(cumsum(ratio), f,
/// side="right") + 1`, i.e. one more than the number of running sums `<= f`, capped at
/// `max_k` (reached only when rounding keeps every running sum at or below `f`).
fn components_for_fraction(ratio: &[f64], fraction: f64, max_k: usize) -> usize {
    let mut running = 0.0;
    let mut at_or_below = 0usize;
    for r in ratio {
        running += r;
        if running <= fraction {
            at_or_below += 1;
        } else {
            break;
        }
    }
    (at_or_below + 1).min(max_k)
}

/// scikit-learn's `svd_flip(u_based_decision=False)`: make the largest-magnitude entry of
/// every row positive (the first such entry when several share the largest magnitude, as
/// `argmax` does).
fn flip_signs(components: &mut Array2<f64>) {
    for mut row in components.rows_mut() {
        let mut best = 0usize;
        let mut best_abs = f64::NEG_INFINITY;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > best_abs {
                best = j;
                best_abs = v.abs();
            }
        }
        if row.get(best).is_some_and(|v| *v < 0.0) {
            row.mapv_inplace(|v| -v);
        }
    }
}

/// Count, mean and centred scatter `Σ (x - mean)(x - mean)ᵀ` of a set of rows, in `f64`.
struct Moments {
    n: usize,
    mean: Vec<f64>,
    scatter: Array2<f64>,
}

impl Moments {
    fn empty(p: usize) -> Self {
        Moments {
            n: 0,
            mean: vec![0.0; p],
            scatter: Array2::zeros((p, p)),
        }
    }

    /// Chan, Golub and LeVeque's pairwise update: the moments of the union of two disjoint
    /// row sets, given `other`'s count, mean and the scatter already added into `self`.
    /// Adding `δ δᵀ n_a n_b / n` (with `δ` the difference of the means) is what makes
    /// per-block centring exact.
    fn merge_mean(&mut self, n_b: usize, mean_b: &[f64]) {
        let n_a = self.n;
        let n = n_a + n_b;
        if n_b == 0 {
            return;
        }
        if n_a == 0 {
            self.n = n_b;
            self.mean.copy_from_slice(mean_b);
            return;
        }
        let delta: Vec<f64> = mean_b.iter().zip(&self.mean).map(|(b, a)| b - a).collect();
        let w = n_a as f64 * n_b as f64 / n as f64;
        for (i, di) in delta.iter().enumerate() {
            let f = w * di;
            for (s, dj) in self.scatter.row_mut(i).iter_mut().zip(&delta) {
                *s += f * dj;
            }
        }
        let t = n_b as f64 / n as f64;
        for (m, d) in self.mean.iter_mut().zip(&delta) {
            *m += t * d;
        }
        self.n = n;
    }

    /// Merges another set's moments (scatter included) into `self`.
    fn merge(&mut self, other: &Moments) {
        self.scatter += &other.scatter;
        self.merge_mean(other.n, &other.mean);
    }

    /// The first non-finite entry of the mean (as `(j, j)`) or the scatter, if any.
    fn first_non_finite(&self) -> Option<(usize, usize)> {
        // An overflowing mean leaves that feature's variance undefined: report its diagonal.
        if let Some(j) = self.mean.iter().position(|v| !v.is_finite()) {
            return Some((j, j));
        }
        self.scatter
            .indexed_iter()
            .find(|(_, v)| !v.is_finite())
            .map(|(ij, _)| ij)
    }
}

/// Centred scatter of the rows of `x` in `f64`: fixed blocks of rows in parallel, each centred
/// on its own mean and multiplied by its transpose with `general_mat_mul`, merged in block
/// order. Partial results are collected a bounded wave of tasks at a time, so memory stays
/// `O(p²)` per task in flight whatever `n`.
fn scatter<F: Float>(x: ArrayView2<'_, F>) -> Moments {
    let (n, p) = x.dim();
    let task_rows = SCATTER_BLOCK_ROWS * SCATTER_TASK_BLOCKS;
    let n_tasks = n.div_ceil(task_rows);
    // At most ~64 MiB of partial p x p matrices alive at once (and at least 8 tasks per wave
    // for parallelism); depends on p only.
    let wave = ((64usize << 20) / (8 * p * p).max(1)).clamp(8, 1024);
    let mut total = Moments::empty(p);
    let mut first = 0usize;
    while first < n_tasks {
        let last = (first + wave).min(n_tasks);
        let partials: Vec<Moments> = (first..last)
            .into_par_iter()
            .map(|t| {
                let start = t * task_rows;
                let end = (start + task_rows).min(n);
                task_scatter(x.slice(ndarray::s![start..end, ..]))
            })
            .collect();
        for part in &partials {
            total.merge(part);
        }
        first = last;
    }
    // Only the upper triangle was formed (see GRAM_PANEL): mirror it.
    let p = total.scatter.nrows();
    for i in 1..p {
        for j in 0..i {
            total.scatter[[i, j]] = total.scatter[[j, i]];
        }
    }
    total
}

/// Scatter of one task's rows, block by block in order (upper triangle only).
fn task_scatter<F: Float>(x: ArrayView2<'_, F>) -> Moments {
    let p = x.ncols();
    let mut acc = Moments::empty(p);
    let mut centred = Array2::<f64>::zeros((SCATTER_BLOCK_ROWS, p));
    let mut mean = vec![0.0f64; p];
    for block in x.axis_chunks_iter(Axis(0), SCATTER_BLOCK_ROWS) {
        let rows = block.nrows();
        mean.iter_mut().for_each(|m| *m = 0.0);
        for row in block.rows() {
            add_row(&mut mean, row);
        }
        let inv = 1.0 / rows as f64;
        mean.iter_mut().for_each(|m| *m *= inv);
        let mut c = centred.slice_mut(ndarray::s![..rows, ..]);
        for (dst, src) in c.rows_mut().into_iter().zip(block.rows()) {
            centre_row(dst, src, &mean, F::as_f64);
        }
        // acc.scatter += cᵀ c (upper triangle, by column panels), then the mean-difference
        // correction.
        let mut j0 = 0;
        while j0 < p {
            let j1 = (j0 + GRAM_PANEL).min(p);
            let mut dst = acc.scatter.slice_mut(ndarray::s![..j1, j0..j1]);
            let left = c.slice(ndarray::s![.., ..j1]);
            let right = c.slice(ndarray::s![.., j0..j1]);
            general_mat_mul(1.0, &left.t(), &right, 1.0, &mut dst);
            j0 = j1;
        }
        acc.merge_mean(rows, &mean);
    }
    acc
}

/// Column means in `f64`, summed over fixed row blocks in block order.
fn column_means<F: Float>(x: ArrayView2<'_, F>) -> Vec<f64> {
    let (n, p) = x.dim();
    let partials: Vec<Vec<f64>> = x
        .axis_chunks_iter(Axis(0), SCATTER_BLOCK_ROWS * SCATTER_TASK_BLOCKS)
        .into_par_iter()
        .map(|block| {
            let mut s = vec![0.0f64; p];
            for row in block.rows() {
                add_row(&mut s, row);
            }
            s
        })
        .collect();
    let mut mean = vec![0.0f64; p];
    for part in &partials {
        for (m, s) in mean.iter_mut().zip(part) {
            *m += s;
        }
    }
    let inv = 1.0 / n as f64;
    mean.iter_mut().for_each(|m| *m *= inv);
    mean
}

/// `x - mean` as a new row-major `f64` matrix.
fn centred_f64<F: Float>(x: ArrayView2<'_, F>, mean: &[f64]) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros(x.dim());
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(x.axis_iter(Axis(0)).into_par_iter())
        .for_each(|(dst, src)| centre_row(dst, src, mean, F::as_f64));
    out
}

/// Sum of squares of all entries, over fixed row blocks summed in block order.
fn sum_of_squares(a: ArrayView2<'_, f64>) -> f64 {
    let partials: Vec<f64> = a
        .axis_chunks_iter(Axis(0), SCATTER_BLOCK_ROWS * SCATTER_TASK_BLOCKS)
        .into_par_iter()
        .map(|b| b.iter().map(|v| v * v).sum::<f64>())
        .collect();
    partials.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::rng::CarteraRng;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::ShapeBuilder;

    fn random_matrix(n: usize, p: usize, seed: u64) -> Array2<f64> {
        let mut rng = CarteraRng::seed_from_u64(seed);
        let data: Vec<f64> = (0..n * p).map(|_| rng.normal()).collect();
        Array2::from_shape_vec((n, p), data).unwrap()
    }

    /// Correlated columns with distinct variances and a non-zero mean.
    fn correlated(n: usize, p: usize, seed: u64) -> Array2<f64> {
        let z = random_matrix(n, p, seed);
        let mix = random_matrix(p, p, seed + 1000);
        let mut x = z.dot(&mix);
        for (j, mut col) in x.columns_mut().into_iter().enumerate() {
            col += 3.0 * j as f64 - 4.0;
        }
        x
    }

    fn invalid_param_name<T: std::fmt::Debug>(r: Result<T>) -> String {
        match r {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn n_components_cannot_be_zero() {
        let x = correlated(20, 3, 1);
        assert_eq!(
            invalid_param_name(Pca::new().n_components(0).fit(x.view())),
            "n_components"
        );
    }

    #[test]
    fn n_components_cannot_exceed_min_of_shape() {
        let x = correlated(20, 3, 1);
        assert_eq!(
            invalid_param_name(Pca::new().n_components(4).fit(x.view())),
            "n_components"
        );
        let short = correlated(3, 8, 1);
        let e = Pca::new().n_components(4).fit(short.view()).unwrap_err();
        assert!(
            e.to_string().contains("min(n_samples, n_features) = 3"),
            "{e}"
        );
        assert!(Pca::new().n_components(3).fit(short.view()).is_ok());
    }

    #[test]
    fn variance_fraction_must_lie_strictly_between_0_and_1() {
        let x = correlated(20, 3, 1);
        for f in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            let r = Pca::new().variance_fraction(f).fit(x.view());
            assert_eq!(invalid_param_name(r), "variance_fraction", "fraction {f}");
        }
    }

    #[test]
    fn variance_fraction_needs_an_exact_solver() {
        let x = correlated(20, 3, 1);
        let r = Pca::new()
            .variance_fraction(0.5)
            .solver(PcaSolver::Randomized)
            .fit(x.view());
        assert_eq!(invalid_param_name(r), "variance_fraction");
    }

    #[test]
    fn n_oversamples_cannot_be_zero() {
        let x = correlated(20, 3, 1);
        assert_eq!(
            invalid_param_name(Pca::new().n_oversamples(0).fit(x.view())),
            "n_oversamples"
        );
    }

    #[test]
    fn one_sample_is_too_few() {
        let x = correlated(1, 3, 1);
        assert!(matches!(
            Pca::new().fit(x.view()),
            Err(Error::TooFewSamples {
                needed: 2,
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn defaults_are_documented_values() {
        let p = Pca::default();
        assert_eq!(p.get_n_components(), NComponents::All);
        assert!(!p.get_whiten());
        assert_eq!(p.get_solver(), PcaSolver::Auto);
        assert_eq!(p.get_n_oversamples(), 10);
        assert_eq!(p.get_power_iterations(), None);
        assert_eq!(p.get_seed(), 0);
        assert_eq!(Pca::new(), p);
    }

    #[test]
    fn fraction_rule_is_searchsorted_right_plus_one() {
        let ratio = [0.5, 0.3, 0.15, 0.05];
        // Running sums 0.5, 0.8, 0.95, 1.0.
        assert_eq!(components_for_fraction(&ratio, 0.4, 4), 1);
        // Exactly equal to a running sum: that component is not enough (strictly more).
        assert_eq!(components_for_fraction(&ratio, 0.5, 4), 2);
        assert_eq!(components_for_fraction(&ratio, 0.8, 4), 3);
        assert_eq!(components_for_fraction(&ratio, 0.9, 4), 3);
        assert_eq!(components_for_fraction(&ratio, 0.99, 4), 4);
        // Rounding leaves the last running sum below the fraction: keep everything.
        assert_eq!(components_for_fraction(&[0.6, 0.3999], 0.99995, 2), 2);
    }

    #[test]
    fn sign_rule_makes_the_largest_entry_positive() {
        let mut c = ndarray::array![[0.1, -0.9, 0.3], [-0.5, 0.5, 0.1], [0.6, -0.8, 0.0]];
        flip_signs(&mut c);
        assert_eq!(c.row(0).to_vec(), vec![-0.1, 0.9, -0.3]);
        // Tie: the first of the largest entries decides.
        assert_eq!(c.row(1).to_vec(), vec![0.5, -0.5, -0.1]);
        assert_eq!(c.row(2).to_vec(), vec![-0.6, 0.8, -0.0]);
    }

    /// The covariance path against the textbook definition on a small matrix.
    #[test]
    fn covariance_path_matches_the_definition() {
        let x = correlated(300, 5, 3);
        let m = Pca::new().fit(x.view()).unwrap();
        let mean = x.mean_axis(Axis(0)).unwrap();
        let xc = &x - &mean;
        let cov = xc.t().dot(&xc) / 299.0;
        for (i, comp) in m.components().rows().into_iter().enumerate() {
            let cv = cov.dot(&comp);
            let lambda = m.explained_variance()[i];
            for (a, b) in cv.iter().zip(comp.iter()) {
                assert!((a - lambda * b).abs() < 1e-10 * lambda.max(1.0));
            }
            assert!((comp.dot(&comp) - 1.0).abs() < 1e-13);
        }
        let trace: f64 = cov.diag().sum();
        assert!((m.explained_variance().sum() - trace).abs() < 1e-10 * trace);
        assert!((m.explained_variance_ratio().sum() - 1.0).abs() < 1e-12);
        for (s, v) in m.singular_values().iter().zip(m.explained_variance()) {
            assert!((s * s / 299.0 - v).abs() < 1e-10 * v);
        }
        assert_eq!(m.noise_variance(), 0.0);
        assert_eq!(m.solver(), PcaSolver::CovarianceEigh);
        // Transformed columns are uncorrelated with the explained variances as variances.
        let z = m.transform(x.view()).unwrap();
        let zc = z.t().dot(&z) / 299.0;
        for i in 0..5 {
            for j in 0..5 {
                let want = if i == j {
                    m.explained_variance()[i]
                } else {
                    0.0
                };
                assert!((zc[[i, j]] - want).abs() < 1e-9, "Z cov [{i},{j}]");
            }
        }
    }

    /// A mean a million times the spread must not cancel the variance away.
    #[test]
    fn large_offsets_keep_their_precision() {
        let x = correlated(2000, 4, 8);
        let shifted = &x + 1e6;
        let a = Pca::new().fit(x.view()).unwrap();
        let b = Pca::new().fit(shifted.view()).unwrap();
        for (u, v) in a.explained_variance().iter().zip(b.explained_variance()) {
            assert!((u - v).abs() < 1e-8 * u, "{u} vs {v}");
        }
        for (u, v) in a.components().iter().zip(b.components()) {
            assert!((u - v).abs() < 1e-8);
        }
        let za = a.transform(x.view()).unwrap();
        let zb = b.transform(shifted.view()).unwrap();
        assert!(za.iter().zip(&zb).all(|(u, v)| (u - v).abs() < 1e-7));
    }

    #[test]
    fn whitening_gives_unit_variance_and_inverts() {
        let x = correlated(400, 4, 5);
        let m = Pca::new()
            .n_components(3)
            .whiten(true)
            .fit(x.view())
            .unwrap();
        let z = m.transform(x.view()).unwrap();
        let var = z.t().dot(&z) / 399.0;
        for i in 0..3 {
            assert!((var[[i, i]] - 1.0).abs() < 1e-10);
        }
        // Round trip through the whitened space equals the unwhitened reconstruction.
        let plain = Pca::new().n_components(3).fit(x.view()).unwrap();
        let a = m.inverse_transform(z.view()).unwrap();
        let b = plain
            .inverse_transform(plain.transform(x.view()).unwrap().view())
            .unwrap();
        assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-9));
        // The noise variance is the discarded eigenvalue.
        let full = Pca::new().fit(x.view()).unwrap();
        assert!((m.noise_variance() - full.explained_variance()[3]).abs() < 1e-12);
    }

    #[test]
    fn constant_data_gives_zero_variances_and_finite_output() {
        let x = Array2::<f64>::from_elem((10, 3), 2.5);
        for whiten in [false, true] {
            let m = Pca::new().whiten(whiten).fit(x.view()).unwrap();
            assert!(m.explained_variance().iter().all(|v| *v == 0.0));
            assert!(m.explained_variance_ratio().iter().all(|v| *v == 0.0));
            let z = m.transform(x.view()).unwrap();
            assert!(z.iter().all(|v| *v == 0.0));
            let back = m.inverse_transform(z.view()).unwrap();
            assert!(back.iter().all(|v| *v == 2.5));
        }
        // A fraction can never be exceeded by zero ratios: every component is kept.
        let m = Pca::new().variance_fraction(0.5).fit(x.view()).unwrap();
        assert_eq!(m.n_components(), 3);
    }

    #[test]
    fn transform_and_inverse_check_their_input() {
        let x = correlated(50, 4, 2);
        let m = Pca::new().n_components(2).fit(x.view()).unwrap();
        assert!(matches!(
            m.transform(Array2::<f64>::zeros((3, 5)).view()),
            Err(Error::ShapeMismatch {
                expected: 4,
                found: 5,
                ..
            })
        ));
        assert!(matches!(
            m.inverse_transform(Array2::<f64>::zeros((3, 4)).view()),
            Err(Error::ShapeMismatch {
                expected: 2,
                found: 4,
                ..
            })
        ));
        let mut y = Array2::<f64>::zeros((3, 2));
        y[[1, 1]] = f64::NAN;
        assert!(matches!(
            m.inverse_transform(y.view()),
            Err(Error::NonFinite {
                row: 1,
                column: 1,
                ..
            })
        ));
        assert_eq!(
            m.transform(Array2::<f64>::zeros((0, 4)).view())
                .unwrap()
                .dim(),
            (0, 2)
        );
    }

    #[test]
    fn fit_transform_equals_fit_then_transform() {
        let x = correlated(5000, 6, 4);
        let pca = Pca::new().n_components(3).whiten(true);
        let (m, z) = pca.fit_transform(x.view()).unwrap();
        assert_eq!(m, pca.fit(x.view()).unwrap());
        assert_eq!(z, m.transform(x.view()).unwrap());
    }

    #[test]
    fn column_major_input_gives_the_same_model_and_projection() {
        // Strided rows take the element-by-element paths instead of the slice paths.
        let x = correlated(5000, 7, 13);
        let mut fortran = Array2::<f64>::zeros(x.dim().f());
        fortran.assign(&x);
        assert!(fortran.row(0).as_slice().is_none());
        for solver in [PcaSolver::CovarianceEigh, PcaSolver::Randomized] {
            let pca = Pca::new().n_components(3).solver(solver);
            let a = pca.fit(x.view()).unwrap();
            let b = pca.fit(fortran.view()).unwrap();
            assert_eq!(a, b);
            assert_eq!(
                a.transform(x.view()).unwrap(),
                b.transform(fortran.view()).unwrap()
            );
        }
    }

    #[test]
    fn f32_input_agrees_with_f64() {
        let x = correlated(3000, 5, 6);
        let x32 = x.mapv(|v| v as f32);
        let a = Pca::new().n_components(3).fit(x.view()).unwrap();
        let b = Pca::new().n_components(3).fit(x32.view()).unwrap();
        for (u, v) in a.explained_variance().iter().zip(b.explained_variance()) {
            assert!((u - f64::from(*v)).abs() < 1e-5 * u);
        }
        for (u, v) in a.components().iter().zip(b.components()) {
            assert!((u - f64::from(*v)).abs() < 1e-4);
        }
        let z = b.transform(x32.view()).unwrap();
        assert_eq!(z.dim(), (3000, 3));
    }

    /// Low rank plus small noise: the randomized top components agree with the exact ones.
    #[test]
    fn randomized_agrees_with_exact_on_low_rank_plus_noise() {
        let (n, p, r) = (600, 80, 5);
        let mut x = random_matrix(n, r, 1).dot(&random_matrix(r, p, 2));
        // Distinct strengths for the 5 directions, so the components are well separated.
        let scales = random_matrix(1, p, 3);
        x += &(random_matrix(n, p, 4) * 1e-3);
        x += &scales;
        let exact = Pca::new()
            .n_components(r)
            .solver(PcaSolver::CovarianceEigh)
            .fit(x.view())
            .unwrap();
        let approx = Pca::new()
            .n_components(r)
            .solver(PcaSolver::Randomized)
            .fit(x.view())
            .unwrap();
        assert_eq!(approx.solver(), PcaSolver::Randomized);
        for (u, v) in exact
            .explained_variance()
            .iter()
            .zip(approx.explained_variance())
        {
            assert!((u - v).abs() < 1e-9 * u, "{u} vs {v}");
        }
        for (u, v) in exact.components().iter().zip(approx.components()) {
            assert!((u - v).abs() < 1e-6, "{u} vs {v}");
        }
        for (u, v) in exact
            .explained_variance_ratio()
            .iter()
            .zip(approx.explained_variance_ratio())
        {
            assert!((u - v).abs() < 1e-9);
        }
        assert!((exact.noise_variance() - approx.noise_variance()).abs() < 1e-9);
        // Same seed, same model; the seed matters only through the probes.
        let again = Pca::new()
            .n_components(r)
            .solver(PcaSolver::Randomized)
            .fit(x.view())
            .unwrap();
        assert_eq!(approx, again);
    }

    #[test]
    fn auto_picks_randomized_only_for_wide_data_and_few_components() {
        let p = Pca::new().n_components(5);
        assert_eq!(p.resolve_solver(10_000, 42), PcaSolver::CovarianceEigh);
        assert_eq!(p.resolve_solver(10_000, 501), PcaSolver::CovarianceEigh);
        assert_eq!(p.resolve_solver(9_999, 1000), PcaSolver::Randomized);
        assert_eq!(p.resolve_solver(10_000, 1000), PcaSolver::CovarianceEigh);
        assert_eq!(p.resolve_solver(100_000, 1001), PcaSolver::Randomized);
        assert_eq!(p.resolve_solver(5_000, 501), PcaSolver::Randomized);
        assert_eq!(
            Pca::new().resolve_solver(5_000, 501),
            PcaSolver::CovarianceEigh
        );
        assert_eq!(
            Pca::new().variance_fraction(0.9).resolve_solver(5_000, 501),
            PcaSolver::CovarianceEigh
        );
        assert_eq!(
            Pca::new().n_components(500).resolve_solver(600, 501),
            PcaSolver::CovarianceEigh
        );
    }

    #[test]
    fn wide_data_with_few_samples() {
        // n < p: at most n components, the last one with (rounding) zero variance.
        let x = correlated(6, 20, 7);
        let m = Pca::new().fit(x.view()).unwrap();
        assert_eq!(m.n_components(), 6);
        assert!(m.explained_variance()[5] < 1e-10 * m.explained_variance()[0]);
        let back = m
            .inverse_transform(m.transform(x.view()).unwrap().view())
            .unwrap();
        assert!(back.iter().zip(&x).all(|(u, v)| (u - v).abs() < 1e-9));
    }

    #[test]
    fn scatter_is_independent_of_block_boundaries() {
        // More rows than one task, with a remainder block: compare with the direct formula.
        let x = correlated(SCATTER_BLOCK_ROWS * SCATTER_TASK_BLOCKS * 2 + 77, 7, 9);
        let m = scatter(x.view());
        let mean = x.mean_axis(Axis(0)).unwrap();
        let xc = &x - &mean;
        let direct = xc.t().dot(&xc);
        assert_eq!(m.n, x.nrows());
        for (a, b) in m.scatter.iter().zip(&direct) {
            assert!((a - b).abs() < 1e-9 * direct[[0, 0]]);
        }
        for (a, b) in m.mean.iter().zip(&mean) {
            assert!((a - b).abs() < 1e-12 * (1.0 + b.abs()));
        }
    }

    #[test]
    fn damaged_model_files_are_refused_on_load() {
        let x = correlated(50, 4, 2);
        let m = Pca::new().n_components(2).fit(x.view()).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let back: FittedPca<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["mean"] = serde_json::json!({"v": 1, "dim": [3], "data": [0.0, 0.0, 0.0]});
        let e = serde_json::from_value::<FittedPca<f64>>(v.clone()).unwrap_err();
        assert!(e.to_string().contains("mean has length 3"), "{e}");
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["explained_variance"] = serde_json::json!({"v": 1, "dim": [1], "data": [1.0]});
        assert!(serde_json::from_value::<FittedPca<f64>>(v).is_err());
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["solver"] = serde_json::json!("Auto");
        assert!(serde_json::from_value::<FittedPca<f64>>(v).is_err());
    }

    #[test]
    fn overflowing_squares_are_reported() {
        let mut x = correlated(10, 3, 1);
        x[[4, 1]] = 1e200;
        assert!(matches!(
            Pca::new().fit(x.view()),
            Err(Error::NonFinite { .. })
        ));
    }

    struct PcaSubject {
        name: &'static str,
        params: Pca,
    }

    impl Subject for PcaSubject {
        type Model = FittedPca<f64>;
        fn name(&self) -> &str {
            self.name
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model> {
            // The kit's one-feature check refits on a single column: a fixed count above 1
            // would be (rightly) refused there, so cap it at the width like a user would.
            match self.params.get_n_components() {
                NComponents::Count(k) if k > x.ncols() => {
                    self.params.clone().n_components(x.ncols().max(1)).fit(x)
                }
                _ => self.params.fit(x),
            }
        }
        fn output(&self, model: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            model.transform(x)
        }
        fn thread_tolerance(&self) -> f64 {
            // Blocks and merge order are fixed: 1 and 4 threads give the same bits.
            0.0
        }
    }

    #[test]
    fn conforms() {
        assert_conforms(&PcaSubject {
            name: "PCA (all components)",
            params: Pca::new(),
        });
        assert_conforms(&PcaSubject {
            name: "PCA (90 % of the variance, whitened)",
            params: Pca::new().variance_fraction(0.9).whiten(true),
        });
        assert_conforms(&PcaSubject {
            name: "PCA (randomized, 1 component)",
            params: Pca::new().n_components(1).solver(PcaSolver::Randomized),
        });
    }

    #[test]
    fn conforms_on_many_rows() {
        // Enough rows for several parallel tasks, so the thread check exercises the merge.
        struct Tall(PcaSubject);
        impl Subject for Tall {
            type Model = FittedPca<f64>;
            fn name(&self) -> &str {
                "PCA (tall data)"
            }
            fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model> {
                self.0.fit(x)
            }
            fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
                self.0.output(m, x)
            }
            fn data(&self) -> Array2<f64> {
                correlated(20_000, 6, 12)
            }
            fn thread_tolerance(&self) -> f64 {
                0.0
            }
        }
        assert_conforms(&Tall(PcaSubject {
            name: "",
            params: Pca::new().n_components(3).whiten(true),
        }));
        assert_conforms(&Tall(PcaSubject {
            name: "",
            params: Pca::new().n_components(2).solver(PcaSolver::Randomized),
        }));
    }
}
