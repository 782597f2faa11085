//! [`KMeansParams`]: the builder, its validation and `fit`.

use std::collections::HashSet;

use cartera_core::{CarteraRng, Error, Float, Result, validate};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::elkan::elkan;
use crate::init::{kmeans_plusplus_many, random_rows};
use crate::kernel::Prepared;
use crate::lloyd::{Run, lloyd_many};
use crate::model::KMeans;

/// What the training data is called in error messages.
pub(crate) const FIT_WHAT: &str = "data to cluster";

/// How the initial centres of each restart are chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Greedy k-means++ as scikit-learn (`init='k-means++'`): `2 + ⌊ln k⌋` candidates per
    /// centre, the one lowering the potential most is kept.
    KMeansPlusPlus,
    /// `k` distinct rows drawn at random, with probability proportional to their weight
    /// (scikit-learn's `init='random'`).
    Random,
    /// The given `k x d` centres (scikit-learn's array `init`); only one run is made.
    Given(Array2<f64>),
}

/// Which iteration to run. Both give the same clustering (up to exact distance ties).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    /// Lloyd's algorithm: every distance, every iteration (memory `O(k·d)` per row block).
    Lloyd,
    /// Elkan's algorithm: triangle-inequality bounds skip most distances once clusters settle;
    /// needs `n * (k + 1)` extra values of memory. Falls back to Lloyd when `k = 1`.
    Elkan,
    /// Lloyd (scikit-learn's default since 1.1; our Lloyd kernel is vectorised over centres and
    /// usually beats Elkan for the small `k` of customer segmentation).
    Auto,
}

/// K-Means parameters (a builder); [`fit`](Self::fit) returns a fitted [`KMeans`].
///
/// Defaults (scikit-learn 1.9's `KMeans` unless said otherwise):
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `n_clusters` | 8 | number of clusters `k` |
/// | `init` | [`Init::KMeansPlusPlus`] | initial centres |
/// | `n_init` | `None` = "auto" | restarts; "auto" is 1 for k-means++ and given centres, 10 for random (scikit-learn's `n_init='auto'`) |
/// | `max_iter` | 300 | iterations per restart |
/// | `tol` | 1e-4 | stop when the total squared centre shift is `<= tol × mean column variance` |
/// | `algorithm` | [`Algorithm::Auto`] (Lloyd) | Lloyd or Elkan |
/// | `seed` | 0 | restart `r` draws from `CarteraRng::stream(seed, r)` (scikit-learn's `random_state=None` has no equivalent: cartera is always reproducible) |
///
/// Sample weights are given to [`fit_weighted`](Self::fit_weighted). The restart with the
/// lowest inertia is kept (ties: the lower restart index), so the result never depends on
/// scheduling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    n_clusters: usize,
    init: Init,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    algorithm: Algorithm,
    seed: u64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 8,
            init: Init::KMeansPlusPlus,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            algorithm: Algorithm::Auto,
            seed: 0,
        }
    }
}

impl KMeansParams {
    /// The defaults with `n_clusters` clusters.
    pub fn new(n_clusters: usize) -> Self {
        Self::default().n_clusters(n_clusters)
    }

    cartera_core::setter! {
        /// Number of clusters (default 8; at least 1, at most the number of distinct rows).
        n_clusters: usize
    }

    cartera_core::setter! {
        /// How initial centres are chosen (default [`Init::KMeansPlusPlus`]).
        init: Init
    }

    /// Number of restarts (default "auto": 1 for k-means++ and given centres, 10 for random).
    /// Ignored (one run) with [`Init::Given`], as scikit-learn.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    cartera_core::setter! {
        /// Maximum iterations per restart (default 300, at least 1).
        max_iter: usize
    }

    cartera_core::setter! {
        /// Convergence tolerance relative to the mean column variance of the data (default 1e-4,
        /// finite and `>= 0`; 0 iterates until labels stop changing or `max_iter`).
        tol: f64
    }

    cartera_core::setter! {
        /// Lloyd, Elkan or Auto (default Auto = Lloyd).
        algorithm: Algorithm
    }

    cartera_core::setter! {
        /// Seed of every random draw (default 0).
        seed: u64
    }

    /// The number of clusters asked for.
    pub fn get_n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// How initial centres are chosen.
    pub fn get_init(&self) -> &Init {
        &self.init
    }

    /// The maximum number of iterations per restart.
    pub fn get_max_iter(&self) -> usize {
        self.max_iter
    }

    /// The convergence tolerance (relative to the mean column variance).
    pub fn get_tol(&self) -> f64 {
        self.tol
    }

    /// The algorithm asked for (`Auto` unresolved; the fitted model reports the one that ran).
    pub fn get_algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The seed of every random draw.
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// The number of restarts that will run ("auto" resolved).
    pub fn effective_n_init(&self) -> usize {
        match (&self.init, self.n_init) {
            (Init::Given(_), _) => 1,
            (_, Some(n)) => n,
            (Init::KMeansPlusPlus, None) => 1,
            (Init::Random, None) => 10,
        }
    }

    /// Checks every parameter that does not depend on the data.
    ///
    /// Errors: [`Error::InvalidParameter`] for `n_clusters = 0`, `n_init = 0` or above
    /// [`MAX_N_INIT`], `max_iter = 0`,
    /// `tol` negative or not finite, given centres with a non-finite value or a number of rows
    /// other than `n_clusters`.
    pub fn check(&self) -> Result<()> {
        validate::check_at_least("n_clusters", self.n_clusters, 1)?;
        if let Some(n) = self.n_init {
            validate::check_at_least("n_init", n, 1)?;
            check_n_init_at_most(n)?;
        }
        validate::check_at_least("max_iter", self.max_iter, 1)?;
        validate::check_non_negative("tol", self.tol)?;
        if let Init::Given(c) = &self.init {
            if c.nrows() != self.n_clusters {
                return Err(Error::ShapeMismatch {
                    what: "initial centres: number of rows (n_clusters)".into(),
                    expected: self.n_clusters,
                    found: c.nrows(),
                });
            }
            validate::check_finite(c.view(), "initial centres")?;
        }
        Ok(())
    }

    /// Fits K-Means with every sample weighing 1. See [`fit_weighted`](Self::fit_weighted).
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<KMeans<F>> {
        self.fit_weighted(x, None)
    }

    /// Fits K-Means on `x` (rows are customers), optionally with one non-negative weight per row.
    ///
    /// Errors, checked in this order: [`Error::InvalidParameter`] (see [`check`](Self::check)),
    /// [`Error::EmptyInput`], [`Error::NonFinite`] naming the first bad row and column,
    /// [`Error::ShapeMismatch`] for a weight vector of the wrong length or given centres of the
    /// wrong width, [`Error::NonFinite`] / [`Error::InvalidParameter`] (`sample_weight`) for a
    /// non-finite or negative weight or weights that are all zero,
    /// [`Error::TooFewSamples`] when there are fewer rows, or fewer distinct rows among those of
    /// positive weight, than `n_clusters`.
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<KMeans<F>> {
        // Run on a worker of rayon's pool: the seeding steps and Lloyd iterations are short
        // parallel passes (hundreds per fit with n_init restarts), which are then forks inside
        // the pool rather than jobs injected from outside, each costing the calling thread a
        // sleep and a wake-up.
        rayon::scope(|_| self.fit_in_pool(x, sample_weight))
    }

    /// Fits one model per number of clusters in `ks` (every other parameter, the seed included,
    /// as set here): the same models as calling [`fit`](Self::fit) once per `k`, but the data
    /// are checked and prepared (centred, their norms computed) once instead of once per `k`.
    /// This is what an elbow curve needs.
    ///
    /// ```
    /// use cartera_core::datasets::Blobs;
    /// use cartera_kmeans::KMeansParams;
    ///
    /// let (x, _) = Blobs::new(300).centers(3).seed(1).generate()?;
    /// let params = KMeansParams::new(1).n_init(2).seed(0);
    /// let models = params.fit_each_k(x.view(), &[2, 3, 4])?;
    /// assert_eq!(models.len(), 3);
    /// assert_eq!(models[1], params.clone().n_clusters(3).fit(x.view())?);
    /// # Ok::<(), cartera_core::Error>(())
    /// ```
    ///
    /// Errors: those of [`fit`](Self::fit) for each `k` (the first failing `k` in order), and
    /// [`Error::EmptyInput`] when `ks` is empty.
    pub fn fit_each_k<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        ks: &[usize],
    ) -> Result<Vec<KMeans<F>>> {
        if ks.is_empty() {
            return Err(Error::empty("list of cluster counts"));
        }
        let params: Vec<KMeansParams> = ks.iter().map(|&k| self.clone().n_clusters(k)).collect();
        rayon::scope(|_| {
            for p in &params {
                p.check()?;
            }
            // `ks` is not empty (checked above).
            let max_k = ks.iter().copied().max().unwrap_or(1);
            let prepared = self.prepare(x, None, max_k)?;
            params
                .iter()
                .map(|p| {
                    p.check_counts(x.nrows(), &prepared)?;
                    p.fit_prepared(&prepared)
                })
                .collect()
        })
    }

    /// Checks and prepares `x` for fits with up to `max_k` clusters: the input checks, the
    /// weights, given centres against the width, and the count of distinct rows (up to
    /// `max_k`) kept in the result.
    fn prepare<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
        max_k: usize,
    ) -> Result<PreparedFit<F>> {
        let weights = check_fit_input(x, sample_weight, &self.init)?;
        let given = match &self.init {
            Init::Given(c) => Some(c.mapv(F::cast_from_f64)),
            _ => None,
        };
        let distinct = count_distinct(x, &weights, max_k);
        let p = Prepared::new(x, weights);
        Ok(PreparedFit {
            // Depends on the data only: computed once however many `k` are fitted.
            mean_variance: p.mean_variance(),
            p,
            distinct,
            given,
        })
    }

    /// The row-count checks of a fit with `self.n_clusters` clusters.
    fn check_counts<F: Float>(&self, n: usize, prepared: &PreparedFit<F>) -> Result<()> {
        let k = self.n_clusters;
        validate::check_min_samples(n, k, &format!("samples for n_clusters = {k}"))?;
        validate::check_min_samples(
            prepared.distinct.min(k),
            k,
            &format!("distinct samples (of positive weight) for n_clusters = {k}"),
        )
    }

    /// [`fit_weighted`](Self::fit_weighted)'s body, run on a worker thread of the pool.
    fn fit_in_pool<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<KMeans<F>> {
        self.check()?;
        let prepared = self.prepare(x, sample_weight, self.n_clusters)?;
        self.check_counts(x.nrows(), &prepared)?;
        self.fit_prepared(&prepared)
    }

    /// The restarts on prepared, checked data.
    fn fit_prepared<F: Float>(&self, prepared: &PreparedFit<F>) -> Result<KMeans<F>> {
        let (p, given) = (&prepared.p, &prepared.given);
        let k = self.n_clusters;
        let tol = prepared.mean_variance * self.tol;
        let algorithm = match self.algorithm {
            Algorithm::Elkan if k > 1 => Algorithm::Elkan,
            _ => Algorithm::Lloyd,
        };
        let n_init = self.effective_n_init();
        let mut rngs: Vec<CarteraRng> = (0..n_init)
            .map(|restart| CarteraRng::stream(self.seed, restart as u64))
            .collect();
        // k-means++ seeds all restarts up front (in lock step where that pays, see
        // `kmeans_plusplus_many`); each restart's centres are those it would get on its own.
        let mut seeded: Vec<Vec<F>> = Vec::new();
        if given.is_none() && !matches!(self.init, Init::Random) {
            seeded = kmeans_plusplus_many(p, k, &mut rngs);
        }
        let inits: Vec<Vec<F>> = rngs
            .iter_mut()
            .enumerate()
            .map(|(restart, rng)| match (&self.init, given) {
                (_, Some(c)) => p.centred(c.view()),
                (Init::Random, None) => random_rows(p, k, rng),
                _ => std::mem::take(&mut seeded[restart]),
            })
            .collect();
        // Strictly lower inertia wins, so ties keep the earlier restart.
        let mut best: Option<Run<F>> = None;
        let mut keep_best = |run: Run<F>| {
            if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
                best = Some(run);
            }
        };
        match algorithm {
            // One restart at a time: only the best run's labels are kept.
            Algorithm::Elkan => inits
                .into_iter()
                .for_each(|init| keep_best(elkan(p, init, k, self.max_iter, tol))),
            // The restarts iterate in lock step, one pass over the rows per iteration for all
            // of them; each gets the result it gets alone.
            _ => lloyd_many(p, inits, k, self.max_iter, tol)
                .into_iter()
                .for_each(keep_best),
        }
        let run = best.ok_or_else(|| Error::invalid_param("n_init", 0, "must be at least 1"))?;
        // Finite values can still have squared distances past the type's range (values near
        // 1e154 in f64, 1e19 in f32): every distance is then infinite, no centre is nearer than
        // another, and the labels mean nothing. Said here rather than returned as a model.
        if !run.inertia.is_finite() {
            return Err(overflow_error(&p.data, "from the column means"));
        }
        Ok(KMeans::from_run(run, &p.mean, k, algorithm))
    }
}

/// Most restarts (`n_init`) a fit accepts. k-means++ seeds every restart up front, so a count
/// beyond any real use (scikit-learn's default is 1 to 10) would only exhaust memory; the
/// error says so instead.
pub const MAX_N_INIT: usize = 10_000;

/// [`MAX_N_INIT`] as a parameter check, shared with mini-batch K-Means.
pub(crate) fn check_n_init_at_most(n: usize) -> Result<()> {
    if n > MAX_N_INIT {
        return Err(Error::invalid_param(
            "n_init",
            n,
            format!("must be at most {MAX_N_INIT} restarts"),
        ));
    }
    Ok(())
}

/// The error for finite values whose squared distances overflow (an infinite inertia), with
/// the largest magnitude in `data`; `measured` says from where the values are measured.
pub(crate) fn overflow_error<F: Float>(data: &[F], measured: &str) -> Error {
    let largest = data.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
    Error::invalid_param(
        "X",
        format!("values up to {largest:e} {measured}"),
        "squared distances overflow the floating-point range: scale the data (e.g. standard \
         scaling) before clustering",
    )
}

/// Data checked and prepared once for one or more fits.
struct PreparedFit<F: Float> {
    p: Prepared<F>,
    /// Mean over columns of the column variances ([`Prepared::mean_variance`]): the scale of
    /// `tol`.
    mean_variance: f64,
    /// Distinct rows of positive weight, counted up to the largest `k` to fit.
    distinct: usize,
    /// The given initial centres, as `F` (`Init::Given`).
    given: Option<Array2<F>>,
}

/// The input checks of every K-Means fit (full and mini-batch), in order: `x` non-empty and
/// finite, the weights, and given initial centres as wide as `x`. Returns the weights (all
/// one when none were given).
pub(crate) fn check_fit_input<F: Float>(
    x: ArrayView2<'_, F>,
    sample_weight: Option<ArrayView1<'_, F>>,
    init: &Init,
) -> Result<Vec<F>> {
    validate::check_non_empty(x, FIT_WHAT)?;
    validate::check_finite(x, FIT_WHAT)?;
    let weights = check_weights(sample_weight, x.nrows())?;
    if let Init::Given(c) = init {
        validate::check_width(c.view(), x.ncols(), "initial centres")?;
    }
    Ok(weights)
}

/// Validates weights; `None` means all ones.
pub(crate) fn check_weights<F: Float>(w: Option<ArrayView1<'_, F>>, n: usize) -> Result<Vec<F>> {
    let Some(w) = w else {
        return Ok(vec![F::one(); n]);
    };
    validate::check_len(w.len(), n, "sample_weight: length (number of rows)")?;
    validate::check_finite_1d(w, "sample_weight")?;
    if let Some(i) = w.iter().position(|v| *v < F::zero()) {
        return Err(Error::invalid_param(
            "sample_weight",
            format!("{} at row {i}", w[i]),
            "weights must be >= 0",
        ));
    }
    if !w.iter().any(|v| *v > F::zero()) {
        return Err(Error::invalid_param(
            "sample_weight",
            "all zero",
            "at least one weight must be positive",
        ));
    }
    // Subnormal weights (below about 1e-308 in f64, 1e-38 in f32) keep a few bits at most:
    // the weighted sums then lose the data, and the centres come out infinite or wrong.
    if let Some(i) = w
        .iter()
        .position(|v| *v > F::zero() && *v < F::min_positive_value())
    {
        return Err(Error::invalid_param(
            "sample_weight",
            format!("{} at row {i}", w[i]),
            "positive weights must be normal numbers: multiply all weights by a constant \
             (only their ratios matter)",
        ));
    }
    Ok(w.to_vec())
}

/// Distinct rows among those of positive weight, counted up to `cap` (the scan stops there, so
/// it is cheap whenever the data are fine).
pub(crate) fn count_distinct<F: Float>(x: ArrayView2<'_, F>, w: &[F], cap: usize) -> usize {
    let mut seen: HashSet<Vec<u64>> = HashSet::new();
    for (row, wi) in x.rows().into_iter().zip(w) {
        if *wi > F::zero() {
            // + 0.0 turns -0.0 into 0.0, which is the same point.
            seen.insert(row.iter().map(|v| (v.as_f64() + 0.0).to_bits()).collect());
            if seen.len() >= cap {
                break;
            }
        }
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::datasets::Blobs;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::{Array1, array};

    /// Every setter has a getter that returns what was set.
    #[test]
    fn getters_return_the_settings() {
        let p = KMeansParams::new(4)
            .init(Init::Random)
            .n_init(3)
            .max_iter(50)
            .tol(1e-6)
            .algorithm(Algorithm::Elkan)
            .seed(11);
        assert_eq!(p.get_n_clusters(), 4);
        assert_eq!(p.get_init(), &Init::Random);
        assert_eq!(p.effective_n_init(), 3);
        assert_eq!(p.get_max_iter(), 50);
        assert_eq!(p.get_tol(), 1e-6);
        assert_eq!(p.get_algorithm(), Algorithm::Elkan);
        assert_eq!(p.get_seed(), 11);
    }

    /// Subnormal weights are a weight error, not an overflow of the data or infinite centres.
    #[test]
    fn subnormal_weights_are_an_error() {
        let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 9.0]];
        let w = array![1e-320, 1e-320, 1e-320, 1e-320];
        let e = KMeansParams::new(2)
            .fit_weighted(x.view(), Some(w.view()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sample_weight") && e.contains("normal"), "{e}");
        assert!(
            crate::MiniBatchKMeansParams::new(2)
                .fit_weighted(x.view(), Some(w.view()))
                .is_err()
        );
    }

    /// Finite values whose squared distances overflow are an error that says to scale, not a
    /// model with an infinite inertia and an empty cluster.
    #[test]
    fn overflowing_distances_are_an_error() {
        let x = array![[1.0, 2.0], [3.0, 1e308], [5.0, -1e308], [7.0, 6.0]];
        let e = KMeansParams::new(2).fit(x.view()).unwrap_err().to_string();
        assert!(e.contains("overflow") && e.contains("scale"), "{e}");
        let x32 = array![[1.0f32, 2.0], [3.0, 3e19], [5.0, -3e19], [7.0, 6.0]];
        assert!(KMeansParams::new(2).fit(x32.view()).is_err());
        // Large but safe values still fit.
        let ok = array![[1.0, 2e150], [3.0, 1e150], [5.0, -1e150], [7.0, 6.0]];
        assert!(
            KMeansParams::new(2)
                .fit(ok.view())
                .unwrap()
                .inertia()
                .is_finite()
        );
    }

    fn blobs(n: usize, centers: usize) -> Array2<f64> {
        Blobs::new(n)
            .n_features(3)
            .centers(centers)
            .seed(5)
            .generate()
            .map(|(x, _)| x)
            .expect("valid blob parameters")
    }

    fn invalid(r: Result<KMeans<f64>>, name: &str) {
        match r {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
    }

    /// `fit_each_k` gives each `k` the model a fit of its own gives (f32 and f64, Lloyd and
    /// Elkan), and the errors of that `k` in order.
    #[test]
    fn fit_each_k_matches_separate_fits() {
        let x = blobs(600, 4);
        for algorithm in [Algorithm::Lloyd, Algorithm::Elkan] {
            let params = KMeansParams::new(1).n_init(3).seed(9).algorithm(algorithm);
            let ks = [1, 2, 4, 7];
            let all = params.fit_each_k(x.view(), &ks).unwrap();
            for (m, &k) in all.iter().zip(&ks) {
                assert_eq!(*m, params.clone().n_clusters(k).fit(x.view()).unwrap());
            }
            let x32 = x.mapv(|v| v as f32);
            let all32 = params.fit_each_k(x32.view(), &ks).unwrap();
            assert_eq!(
                all32[2],
                params.clone().n_clusters(4).fit(x32.view()).unwrap()
            );
        }
        // Three distinct rows: k = 2 fits, k = 4 is refused as a fit of its own would be.
        let few = array![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [1.0, 1.0], [0.0, 0.0]];
        let r = KMeansParams::new(1).fit_each_k(few.view(), &[2, 4]);
        assert!(
            matches!(
                r,
                Err(Error::TooFewSamples {
                    needed: 4,
                    found: 3,
                    ..
                })
            ),
            "{r:?}"
        );
        assert!(matches!(
            KMeansParams::new(1).fit_each_k(few.view(), &[]),
            Err(Error::EmptyInput { .. })
        ));
        invalid(
            KMeansParams::new(1)
                .fit_each_k(few.view(), &[2, 0])
                .map(|mut v| v.remove(0)),
            "n_clusters",
        );
        let mut bad = x.clone();
        bad[[3, 1]] = f64::NAN;
        assert!(matches!(
            KMeansParams::new(1).fit_each_k(bad.view(), &[2, 3]),
            Err(Error::NonFinite {
                row: 3,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn n_clusters_cannot_be_zero() {
        invalid(KMeansParams::new(0).fit(blobs(20, 2).view()), "n_clusters");
    }

    #[test]
    fn more_clusters_than_rows_is_too_few_samples() {
        let r = KMeansParams::new(21).fit(blobs(20, 2).view());
        assert!(
            matches!(
                r,
                Err(Error::TooFewSamples {
                    needed: 21,
                    found: 20,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn fewer_distinct_rows_than_clusters_is_refused() {
        let x = array![
            [1.0, 2.0],
            [1.0, 2.0],
            [3.0, 4.0],
            [3.0, 4.0],
            [-0.0, 0.0],
            [0.0, 0.0]
        ];
        let r = KMeansParams::new(4).fit(x.view());
        match r {
            Err(Error::TooFewSamples {
                what,
                needed: 4,
                found: 3,
            }) => assert!(what.contains("distinct"), "{what}"),
            other => panic!("{other:?}"),
        }
        assert!(KMeansParams::new(3).fit(x.view()).is_ok());
        // Rows of zero weight do not count.
        let w = array![1.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let r = KMeansParams::new(3).fit_weighted(x.view(), Some(w.view()));
        assert!(
            matches!(r, Err(Error::TooFewSamples { found: 2, .. })),
            "{r:?}"
        );
    }

    #[test]
    fn non_finite_data_names_row_and_column() {
        let mut x = blobs(50, 2);
        x[[17, 2]] = f64::NAN;
        x[[30, 0]] = f64::INFINITY;
        let r = KMeansParams::new(2).fit(x.view());
        assert!(
            matches!(
                r,
                Err(Error::NonFinite {
                    row: 17,
                    column: 2,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn weights_must_be_non_negative_finite_and_not_all_zero() {
        let x = blobs(10, 2);
        let fit = |w: Array1<f64>| KMeansParams::new(2).fit_weighted(x.view(), Some(w.view()));
        invalid(fit(Array1::zeros(10)), "sample_weight");
        let mut w = Array1::ones(10);
        w[3] = -1.0;
        invalid(fit(w), "sample_weight");
        let mut w = Array1::ones(10);
        w[4] = f64::NAN;
        assert!(matches!(fit(w), Err(Error::NonFinite { row: 4, .. })));
        assert!(matches!(
            fit(Array1::ones(9)),
            Err(Error::ShapeMismatch {
                expected: 10,
                found: 9,
                ..
            })
        ));
    }

    #[test]
    fn tolerance_cannot_be_negative() {
        invalid(
            KMeansParams::new(2).tol(-1e-4).fit(blobs(20, 2).view()),
            "tol",
        );
        invalid(
            KMeansParams::new(2).tol(f64::NAN).fit(blobs(20, 2).view()),
            "tol",
        );
    }

    #[test]
    fn n_init_has_a_ceiling() {
        let x = blobs(20, 2);
        let e = KMeansParams::new(2)
            .n_init(usize::MAX)
            .fit(x.view())
            .unwrap_err();
        assert!(e.to_string().contains("n_init"), "{e}");
        let e = crate::MiniBatchKMeansParams::new(2)
            .n_init(MAX_N_INIT + 1)
            .fit(x.view())
            .unwrap_err();
        assert!(e.to_string().contains("at most 10000"), "{e}");
        assert!(KMeansParams::new(2).n_init(MAX_N_INIT).check().is_ok());
    }

    #[test]
    fn n_init_and_max_iter_must_be_positive() {
        invalid(
            KMeansParams::new(2).n_init(0).fit(blobs(20, 2).view()),
            "n_init",
        );
        invalid(
            KMeansParams::new(2).max_iter(0).fit(blobs(20, 2).view()),
            "max_iter",
        );
    }

    #[test]
    fn given_centres_of_wrong_shape_are_refused() {
        let x = blobs(20, 2);
        let r = KMeansParams::new(2)
            .init(Init::Given(Array2::zeros((3, 3))))
            .fit(x.view());
        assert!(
            matches!(
                r,
                Err(Error::ShapeMismatch {
                    expected: 2,
                    found: 3,
                    ..
                })
            ),
            "{r:?}"
        );
        let r = KMeansParams::new(2)
            .init(Init::Given(Array2::zeros((2, 4))))
            .fit(x.view());
        assert!(
            matches!(
                r,
                Err(Error::ShapeMismatch {
                    expected: 3,
                    found: 4,
                    ..
                })
            ),
            "{r:?}"
        );
        let mut c = Array2::zeros((2, 3));
        c[[1, 1]] = f64::NAN;
        let r = KMeansParams::new(2).init(Init::Given(c)).fit(x.view());
        assert!(
            matches!(
                r,
                Err(Error::NonFinite {
                    row: 1,
                    column: 1,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn wrong_width_at_predict_is_shape_mismatch() {
        let m = KMeansParams::new(2)
            .fit(blobs(20, 2).view())
            .expect("valid fit");
        let r = m.predict(Array2::zeros((2, 4)).view());
        assert!(matches!(
            r,
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 4,
                ..
            })
        ));
    }

    #[test]
    fn auto_n_init_follows_sklearn() {
        assert_eq!(KMeansParams::default().effective_n_init(), 1);
        assert_eq!(
            KMeansParams::default()
                .init(Init::Random)
                .effective_n_init(),
            10
        );
        assert_eq!(
            KMeansParams::default()
                .init(Init::Given(Array2::zeros((8, 2))))
                .n_init(5)
                .effective_n_init(),
            1
        );
    }

    #[test]
    fn well_separated_blobs_are_found_by_every_variant() {
        let x = blobs(400, 4);
        for init in [Init::KMeansPlusPlus, Init::Random] {
            for algorithm in [Algorithm::Lloyd, Algorithm::Elkan] {
                let m = KMeansParams::new(4)
                    .init(init.clone())
                    .algorithm(algorithm)
                    .n_init(5)
                    .fit(x.view())
                    .expect("valid fit");
                assert!(m.converged());
                assert_eq!(m.cluster_sizes().iter().sum::<usize>(), 400);
                assert_eq!(m.predict(x.view()).expect("valid").to_vec(), m.labels());
                assert!(
                    (m.score(x.view()).expect("valid") + m.inertia()).abs() < 1e-9 * m.inertia()
                );
                let t = m.transform(x.view()).expect("valid");
                let from_t: f64 = t
                    .rows()
                    .into_iter()
                    .map(|r| r.iter().fold(f64::INFINITY, |a, &v| a.min(v)).powi(2))
                    .sum();
                assert!((from_t - m.inertia()).abs() < 1e-9 * m.inertia());
            }
        }
    }

    #[test]
    fn f32_kernel_agrees_with_f64() {
        let x = blobs(600, 5);
        let x32 = x.mapv(|v| v as f32);
        let m64 = KMeansParams::new(5).n_init(3).fit(x.view()).expect("valid");
        let m32 = KMeansParams::new(5)
            .n_init(3)
            .fit(x32.view())
            .expect("valid");
        assert!((m32.inertia() / m64.inertia() - 1.0).abs() < 1e-4);
        let same = m32
            .labels()
            .iter()
            .zip(m64.labels())
            .filter(|(a, b)| a == b)
            .count();
        assert!(same >= 598, "{same}");
    }

    #[test]
    fn thread_count_does_not_change_the_model() {
        let x = blobs(5000, 6);
        let fit = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool")
                .install(|| KMeansParams::new(6).n_init(4).fit(x.view()).expect("valid"))
        };
        let (a, b) = (fit(1), fit(3));
        assert_eq!(a, b);
    }

    struct Kit(Algorithm);
    impl Subject for Kit {
        type Model = KMeans<f64>;
        fn name(&self) -> &str {
            "KMeans"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<KMeans<f64>> {
            KMeansParams::new(3).n_init(3).algorithm(self.0).fit(x)
        }
        fn output(&self, m: &KMeans<f64>, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            let labels = m.predict(x)?.mapv(|l| l as f64);
            let t = m.transform(x)?;
            Ok(ndarray::concatenate![
                ndarray::Axis(1),
                labels.insert_axis(ndarray::Axis(1)),
                t
            ])
        }
        fn thread_tolerance(&self) -> f64 {
            0.0
        }
    }

    #[test]
    fn conforms() {
        assert_conforms(&Kit(Algorithm::Lloyd));
        assert_conforms(&Kit(Algorithm::Elkan));
    }
}
