//! Mini-batch K-Means (Sculley 2010) as scikit-learn's `MiniBatchKMeans`: each step assigns a
//! random batch to the nearest centres and moves each centre towards its batch members with a
//! per-centre learning rate (`1 / accumulated weight`). [`MiniBatchKMeans::partial_fit`] takes
//! successive chunks, so a table larger than memory can be clustered chunk by chunk.

use cartera_core::{CarteraRng, Error, Float, Result, validate};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::init::{kmeans_plusplus, random_rows};
use crate::kernel::{CentreTable, Prepared, assign, inertia, n_blocks, partial_len};
use crate::model;
use crate::params::{FIT_WHAT, Init, check_fit_input};

/// Stream index offset for the mini-batch draws, so they never reuse the initialisation's
/// streams (which use the restart index).
const BATCH_STREAMS: u64 = 1 << 32;

/// Mini-batch K-Means parameters; [`fit`](Self::fit) or [`partial_fit`](Self::partial_fit)
/// return a [`MiniBatchKMeans`].
///
/// Defaults (scikit-learn 1.9's `MiniBatchKMeans` unless said otherwise):
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | `n_clusters` | 8 | number of clusters |
/// | `init` | [`Init::KMeansPlusPlus`] | initial centres, computed on `init_size` random rows |
/// | `n_init` | `None` = "auto" | initialisations tried (best inertia on a random validation sample kept): 1 for k-means++ and given centres, 3 for random |
/// | `max_iter` | 100 | passes over the data (epochs) at most |
/// | `batch_size` | 1024 | rows per step, drawn with replacement |
/// | `tol` | 0.0 | stop when the squared centre change is `<= tol × mean column variance` (0 disables) |
/// | `max_no_improvement` | `Some(10)` | stop after this many steps without improvement of the smoothed (exponentially weighted, `α = 2 · batch / (n + 1)`) batch inertia; `None` disables |
/// | `init_size` | `None` = `3 × batch_size` (at least `3 × k`, at most `n`) | rows for the initialisation |
/// | `reassignment_ratio` | 0.01 | centres whose accumulated weight is below this fraction of the largest are moved to random batch rows (at most half the batch) every `10 × k` rows seen, or whenever a centre has no weight yet |
/// | `seed` | 0 | every random draw (scikit-learn: `random_state=None`) |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MiniBatchKMeansParams {
    n_clusters: usize,
    init: Init,
    n_init: Option<usize>,
    max_iter: usize,
    batch_size: usize,
    tol: f64,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    reassignment_ratio: f64,
    seed: u64,
}

impl Default for MiniBatchKMeansParams {
    fn default() -> Self {
        MiniBatchKMeansParams {
            n_clusters: 8,
            init: Init::KMeansPlusPlus,
            n_init: None,
            max_iter: 100,
            batch_size: 1024,
            tol: 0.0,
            max_no_improvement: Some(10),
            init_size: None,
            reassignment_ratio: 0.01,
            seed: 0,
        }
    }
}

impl MiniBatchKMeansParams {
    /// The defaults with `n_clusters` clusters.
    pub fn new(n_clusters: usize) -> Self {
        Self::default().n_clusters(n_clusters)
    }

    /// Number of clusters (default 8).
    pub fn n_clusters(mut self, k: usize) -> Self {
        self.n_clusters = k;
        self
    }

    /// Initial centres (default k-means++).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Initialisations tried (default "auto": 1, or 3 for random).
    pub fn n_init(mut self, n: usize) -> Self {
        self.n_init = Some(n);
        self
    }

    /// Maximum number of passes over the data (default 100).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// Rows per step (default 1024).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Centre-change tolerance relative to the mean column variance (default 0, disabled).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Steps without improvement of the smoothed batch inertia before stopping (default
    /// `Some(10)`; `None` disables early stopping on inertia).
    pub fn max_no_improvement(mut self, n: Option<usize>) -> Self {
        self.max_no_improvement = n;
        self
    }

    /// Rows used to initialise (default `3 × batch_size`).
    pub fn init_size(mut self, n: usize) -> Self {
        self.init_size = Some(n);
        self
    }

    /// Fraction of the largest centre weight under which a centre is reassigned (default 0.01;
    /// 0 disables reassignment).
    pub fn reassignment_ratio(mut self, r: f64) -> Self {
        self.reassignment_ratio = r;
        self
    }

    /// Seed of every random draw (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn effective_n_init(&self) -> usize {
        match (&self.init, self.n_init) {
            (Init::Given(_), _) => 1,
            (_, Some(n)) => n,
            (Init::Random, None) => 3,
            (Init::KMeansPlusPlus, None) => 1,
        }
    }

    /// Checks every parameter that does not depend on the data.
    ///
    /// Errors: [`Error::InvalidParameter`] for `n_clusters`, `n_init`, `max_iter`,
    /// `batch_size`, `init_size` or `max_no_improvement` equal to 0, `n_init` above
    /// [`MAX_N_INIT`](crate::MAX_N_INIT), `tol` or
    /// `reassignment_ratio` negative or not finite; [`Error::ShapeMismatch`] /
    /// [`Error::NonFinite`] for bad given centres.
    pub fn check(&self) -> Result<()> {
        validate::check_at_least("n_clusters", self.n_clusters, 1)?;
        if let Some(n) = self.n_init {
            validate::check_at_least("n_init", n, 1)?;
            crate::params::check_n_init_at_most(n)?;
        }
        validate::check_at_least("max_iter", self.max_iter, 1)?;
        validate::check_at_least("batch_size", self.batch_size, 1)?;
        if let Some(n) = self.init_size {
            validate::check_at_least("init_size", n, 1)?;
        }
        if let Some(n) = self.max_no_improvement {
            validate::check_at_least("max_no_improvement", n, 1)?;
        }
        validate::check_non_negative("tol", self.tol)?;
        validate::check_non_negative("reassignment_ratio", self.reassignment_ratio)?;
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

    fn check_data<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<Vec<F>> {
        self.check()?;
        let weights = check_fit_input(x, w, &self.init)?;
        validate::check_min_samples(
            x.nrows(),
            self.n_clusters,
            &format!("samples for n_clusters = {}", self.n_clusters),
        )?;
        Ok(weights)
    }

    /// Initial centres (in the coordinates of `x`) from `init_size` random rows of `x`; with
    /// several initialisations the one with the lowest inertia on another random sample wins.
    fn initial_centres<F: Float>(&self, x: ArrayView2<'_, F>, w: &[F]) -> Result<Vec<F>> {
        let (n, d) = x.dim();
        let k = self.n_clusters;
        if let Init::Given(c) = &self.init {
            return Ok(c.iter().map(|&v| F::cast_from_f64(v)).collect());
        }
        let init_size = self
            .init_size
            .unwrap_or(3 * self.batch_size)
            .max(3 * k)
            .min(n);
        let mut best: Option<(f64, Vec<F>)> = None;
        for trial in 0..self.effective_n_init() {
            let mut rng = CarteraRng::stream(self.seed, trial as u64);
            let sample = gather(x, w, &random_indices(&mut rng, n, init_size));
            // k-means++ picks k centres among the sample's rows (`partial_fit` checks that its
            // first chunk holds k distinct ones).
            let p = Prepared::new(sample_view(&sample)?, sample.weights.clone());
            let centred = match self.init {
                Init::Random => random_rows(&p, k, &mut rng),
                _ => kmeans_plusplus(&p, k, &mut rng),
            };
            let centres: Vec<F> = centred
                .chunks_exact(d)
                .flat_map(|c| {
                    c.iter()
                        .zip(&p.mean)
                        .map(|(&v, &m)| v + m)
                        .collect::<Vec<F>>()
                })
                .collect();
            // Scored as the steps assign: rows and candidates measured from the candidates'
            // mean.
            let mut valid = gather(x, w, &random_indices(&mut rng, n, init_size));
            let (origin, cand) = model::from_centre_mean(centres.clone(), d);
            model::sub_origin(&mut valid.data, &origin);
            let table = CentreTable::new(&cand, k, d);
            let mut labels = vec![u32::MAX; valid.weights.len()];
            assign(&valid, &table, &mut labels, None);
            let score = inertia(&valid.data, &valid.weights, d, &cand, &labels);
            if best.as_ref().is_none_or(|b| score < b.0) {
                best = Some((score, centres));
            }
        }
        best.map(|b| b.1)
            .ok_or_else(|| Error::invalid_param("n_init", 0, "must be at least 1"))
    }

    /// Fits on all of `x` (rows drawn in batches with replacement).
    pub fn fit<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<MiniBatchKMeans<F>> {
        self.fit_weighted(x, None)
    }

    /// Fits on all of `x` with optional non-negative row weights.
    ///
    /// Errors: as [`KMeansParams::fit_weighted`](crate::KMeansParams::fit_weighted) (except the
    /// distinct-rows check, which only applies to the initialisation sample).
    pub fn fit_weighted<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<MiniBatchKMeans<F>> {
        // On a worker of rayon's pool, as `KMeansParams::fit_weighted`: every batch step is a
        // short parallel pass, a fork inside the pool rather than a job injected from outside.
        rayon::scope(|_| self.fit_in_pool(x, sample_weight))
    }

    /// [`fit_weighted`](Self::fit_weighted)'s body, run on a worker thread of the pool.
    fn fit_in_pool<F: Float>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: Option<ArrayView1<'_, F>>,
    ) -> Result<MiniBatchKMeans<F>> {
        let w = self.check_data(x, sample_weight)?;
        let (n, d) = x.dim();
        let k = self.n_clusters;
        let centres = self.initial_centres(x, &w)?;
        let tol = if self.tol > 0.0 {
            let full = Prepared::new(x, w.clone());
            full.mean_variance() * self.tol
        } else {
            0.0
        };
        let mut model = MiniBatchKMeans::start(self.clone(), centres, k, d);
        let batch = self.batch_size.min(n);
        let n_steps = self.max_iter.saturating_mul(n).div_ceil(batch).max(1);
        let alpha = (batch as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
        let (mut ewa, mut ewa_min, mut no_improvement) = (None::<f64>, None::<f64>, 0usize);
        let mut steps = 0;
        for step in 0..n_steps {
            steps = step + 1;
            let mut rng = CarteraRng::stream(self.seed, BATCH_STREAMS + step as u64);
            let idx = random_indices(&mut rng, n, batch);
            let b = gather(x, &w, &idx);
            let (batch_inertia, shift) = model.step(b, &mut rng);
            // Convergence as scikit-learn's `_mini_batch_convergence` (first step ignored).
            if step == 0 {
                continue;
            }
            let per_row = batch_inertia / batch as f64;
            let e = match ewa {
                None => per_row,
                Some(prev) => prev * (1.0 - alpha) + per_row * alpha,
            };
            ewa = Some(e);
            if tol > 0.0 && shift <= tol {
                break;
            }
            if ewa_min.is_none_or(|m| e < m) {
                no_improvement = 0;
                ewa_min = Some(e);
            } else {
                no_improvement += 1;
            }
            if self.max_no_improvement.is_some_and(|m| no_improvement >= m) {
                break;
            }
        }
        model.n_iter = (steps * batch).div_ceil(n);
        model.relabel(x, &w)?;
        Ok(model)
    }

    /// Starts a streamed fit on the first chunk: initialises the centres on it (its rows must
    /// include `n_clusters` distinct ones) and runs one step on the whole chunk. Continue with
    /// [`MiniBatchKMeans::partial_fit`] on the next chunks.
    pub fn partial_fit<F: Float>(
        &self,
        first_chunk: ArrayView2<'_, F>,
    ) -> Result<MiniBatchKMeans<F>> {
        let w = self.check_data(first_chunk, None)?;
        let (_, d) = first_chunk.dim();
        // The first chunk seeds the centres: with fewer than k distinct rows, k-means++ would
        // have to repeat centres.
        let k = self.n_clusters;
        if !matches!(self.init, Init::Given(_)) {
            validate::check_min_samples(
                crate::params::count_distinct(first_chunk, &w, k),
                k,
                &format!("distinct rows in the first chunk for n_clusters = {k}"),
            )?;
        }
        let centres = self.initial_centres(first_chunk, &w)?;
        let mut model = MiniBatchKMeans::start(self.clone(), centres, self.n_clusters, d);
        model.partial_fit(first_chunk)?;
        Ok(model)
    }
}

/// `m` indices drawn uniformly with replacement (scikit-learn's `randint`).
fn random_indices(rng: &mut CarteraRng, n: usize, m: usize) -> Vec<usize> {
    (0..m).map(|_| rng.index(n)).collect()
}

/// The chosen rows of `x`, as the kernels want them.
fn gather<F: Float>(x: ArrayView2<'_, F>, w: &[F], idx: &[usize]) -> Prepared<F> {
    let d = x.ncols();
    let mut data = Vec::with_capacity(idx.len() * d);
    for &i in idx {
        data.extend(x.row(i).iter().copied());
    }
    Prepared::raw(data, idx.iter().map(|&i| w[i]).collect(), d)
}

fn sample_view<F: Float>(p: &Prepared<F>) -> Result<ArrayView2<'_, F>> {
    ArrayView2::from_shape((p.n, p.d), &p.data)
        .map_err(|e| Error::invalid_param("init_size", p.n, format!("internal shape error: {e}")))
}

/// A mini-batch K-Means model; keeps learning with [`partial_fit`](Self::partial_fit).
/// Loading checks that the parts fit together (finite centres, a non-negative count per
/// centre, labels below `k`, valid parameters) and fails with [`Error::ModelFormat`]
/// otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MiniBatchFields<F>", bound = "")]
pub struct MiniBatchKMeans<F: Float> {
    params: MiniBatchKMeansParams,
    centroids: Array2<F>,
    /// Accumulated sample weight of each centre (scikit-learn's `_counts`).
    counts: Vec<f64>,
    n_steps: usize,
    n_iter: usize,
    since_reassign: usize,
    labels: Vec<usize>,
    inertia: f64,
}

/// The fields of [`MiniBatchKMeans`] as stored, before the consistency check.
#[derive(Deserialize)]
#[serde(bound = "")]
struct MiniBatchFields<F: Float> {
    params: MiniBatchKMeansParams,
    centroids: Array2<F>,
    counts: Vec<f64>,
    n_steps: usize,
    n_iter: usize,
    since_reassign: usize,
    labels: Vec<usize>,
    inertia: f64,
}

impl<F: Float> TryFrom<MiniBatchFields<F>> for MiniBatchKMeans<F> {
    type Error = Error;

    fn try_from(f: MiniBatchFields<F>) -> Result<Self> {
        const WHAT: &str = "mini-batch K-Means model";
        model::check_centres(WHAT, &f.centroids, &f.labels)?;
        let k = f.centroids.nrows();
        if f.counts.len() != k {
            return Err(Error::model_format(format!(
                "{WHAT}: counts has {} values for {k} centres",
                f.counts.len()
            )));
        }
        if let Some(c) = f.counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
            return Err(Error::model_format(format!(
                "{WHAT}: a count is {c}, a finite value >= 0 expected"
            )));
        }
        if f.params.n_clusters != k {
            return Err(Error::model_format(format!(
                "{WHAT}: n_clusters is {} for {k} centres",
                f.params.n_clusters
            )));
        }
        f.params
            .check()
            .map_err(|e| Error::model_format(format!("{WHAT}: {e}")))?;
        Ok(MiniBatchKMeans {
            params: f.params,
            centroids: f.centroids.as_standard_layout().into_owned(),
            counts: f.counts,
            n_steps: f.n_steps,
            n_iter: f.n_iter,
            since_reassign: f.since_reassign,
            labels: f.labels,
            inertia: f.inertia,
        })
    }
}

impl<F: Float> MiniBatchKMeans<F> {
    fn start(params: MiniBatchKMeansParams, centres: Vec<F>, k: usize, d: usize) -> Self {
        MiniBatchKMeans {
            params,
            centroids: Array2::from_shape_fn((k, d), |(c, j)| centres[c * d + j]),
            counts: vec![0.0; k],
            n_steps: 0,
            n_iter: 0,
            since_reassign: 0,
            labels: Vec::new(),
            inertia: 0.0,
        }
    }

    /// One step on the rows of `b`: assign, move centres, maybe reassign small clusters.
    /// Returns the batch's total inertia (against the centres before the step) and the total
    /// squared centre change.
    ///
    /// The step runs measured from the centres' mean, as prediction does: the assignment's
    /// `‖c‖² − 2 x·c` would otherwise lose the digits that tell centres apart when the data sit
    /// far from the origin.
    fn step(&mut self, mut batch: Prepared<F>, rng: &mut CarteraRng) -> (f64, f64) {
        let (k, d) = self.centroids.dim();
        let (origin, old) = model::from_centre_mean(self.centroids.iter().copied().collect(), d);
        // The batch is this step's own copy: moved to the centred coordinates in place.
        model::sub_origin(&mut batch.data, &origin);
        let b = &batch;
        let table = CentreTable::new(&old, k, d);
        let mut labels = vec![u32::MAX; b.n];
        let mut partial = vec![F::zero(); n_blocks(b.n) * partial_len(k, d)];
        assign(b, &table, &mut labels, Some(&mut partial));
        let batch_inertia = inertia(&b.data, &b.weights, d, &old, &labels);
        // Combine block sums in block order.
        let mut sums = vec![0.0f64; k * d];
        let mut wsum = vec![0.0f64; k];
        for part in partial.chunks_exact(partial_len(k, d)) {
            for (s, v) in sums.iter_mut().zip(&part[..k * d]) {
                *s += v.as_f64();
            }
            for (s, v) in wsum.iter_mut().zip(&part[k * d..]) {
                *s += v.as_f64();
            }
        }
        let mut new = old.clone();
        for c in 0..k {
            if wsum[c] > 0.0 {
                let total = self.counts[c] + wsum[c];
                let alpha = 1.0 / total;
                for j in 0..d {
                    let v = old[c * d + j].as_f64() * self.counts[c] + sums[c * d + j];
                    new[c * d + j] = F::cast_from_f64(v * alpha);
                }
                self.counts[c] = total;
            }
        }
        // Reassignment of small clusters (scikit-learn's `_random_reassign`).
        self.since_reassign += b.n;
        let due = self.counts.contains(&0.0) || self.since_reassign >= 10 * k;
        if due && self.params.reassignment_ratio > 0.0 {
            self.since_reassign = 0;
            let max = self.counts.iter().fold(0.0f64, |a, &v| a.max(v));
            let mut to_reassign: Vec<bool> = self
                .counts
                .iter()
                .map(|&c| c < self.params.reassignment_ratio * max)
                .collect();
            let limit = b.n / 2;
            if to_reassign.iter().filter(|&&t| t).count() > limit {
                // Reassign at most half a batch: only the `limit` lightest clusters stay marked, as
                // scikit-learn (`argsort(weight_sums)[int(.5 * batch):]` are spared).
                let mut order: Vec<usize> = (0..k).collect();
                order.sort_by(|&a, &c| self.counts[a].total_cmp(&self.counts[c]).then(a.cmp(&c)));
                for &c in &order[limit..] {
                    to_reassign[c] = false;
                }
            }
            let chosen: Vec<usize> = (0..k).filter(|&c| to_reassign[c]).collect();
            if !chosen.is_empty() {
                let mut pool: Vec<f64> = vec![1.0; b.n];
                let min_kept = (0..k)
                    .filter(|&c| !to_reassign[c])
                    .map(|c| self.counts[c])
                    .fold(f64::INFINITY, f64::min);
                for &c in &chosen {
                    let i = rng.weighted_index(&pool);
                    pool[i] = 0.0;
                    new[c * d..(c + 1) * d].copy_from_slice(&b.data[i * d..(i + 1) * d]);
                    self.counts[c] = if min_kept.is_finite() { min_kept } else { 0.0 };
                }
            }
        } else if due {
            self.since_reassign = 0;
        }
        let shift: f64 = old
            .iter()
            .zip(&new)
            .map(|(a, b)| (*a - *b).as_f64().powi(2))
            .sum();
        self.centroids = Array2::from_shape_fn((k, d), |(c, j)| new[c * d + j] + origin[j]);
        self.n_steps += 1;
        (batch_inertia, shift)
    }

    /// Labels and inertia of `x` against the current centres.
    fn relabel(&mut self, x: ArrayView2<'_, F>, w: &[F]) -> Result<()> {
        let labels = model::predict(&self.centroids, x)?;
        let d = x.ncols();
        let centres: Vec<F> = self.centroids.iter().copied().collect();
        let rows: Vec<F> = x.iter().copied().collect();
        let lab: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let total = inertia(&rows, w, d, &centres, &lab);
        // As the full-batch fit: finite values near 1e154 (f64) or 1e19 (f32) give infinite
        // distances, every centre is as near as another, and the labels mean nothing.
        if !total.is_finite() {
            return Err(crate::params::overflow_error(&rows, "in magnitude"));
        }
        self.inertia = total;
        self.labels = labels.to_vec();
        Ok(())
    }

    /// One step on a whole new chunk (of any number of rows), as scikit-learn's `partial_fit`;
    /// then [`labels`](Self::labels) and [`inertia`](Self::inertia) describe this chunk.
    ///
    /// Errors: [`Error::ShapeMismatch`] for a chunk of another width, [`Error::EmptyInput`],
    /// [`Error::NonFinite`], and [`Error::InvalidParameter`] for finite values whose squared
    /// distances overflow (scale the data); after an error the model is unchanged.
    pub fn partial_fit(&mut self, chunk: ArrayView2<'_, F>) -> Result<()> {
        validate::check_non_empty(chunk, FIT_WHAT)?;
        validate::check_width(chunk, self.centroids.ncols(), FIT_WHAT)?;
        validate::check_finite(chunk, FIT_WHAT)?;
        let w = vec![F::one(); chunk.nrows()];
        let idx: Vec<usize> = (0..chunk.nrows()).collect();
        let b = gather(chunk, &w, &idx);
        // A chunk whose distances overflow is found only after the step; what the step
        // changes is kept aside and put back, so an error leaves the model as it was.
        let before = (
            self.centroids.clone(),
            self.counts.clone(),
            self.n_steps,
            self.since_reassign,
        );
        let mut rng = CarteraRng::stream(self.params.seed, BATCH_STREAMS + self.n_steps as u64);
        self.step(b, &mut rng);
        self.relabel(chunk, &w).inspect_err(|_| {
            (
                self.centroids,
                self.counts,
                self.n_steps,
                self.since_reassign,
            ) = before;
        })?;
        self.n_iter += 1;
        Ok(())
    }

    /// Cluster centres, `k x d`.
    pub fn centroids(&self) -> &Array2<F> {
        &self.centroids
    }

    /// Accumulated weight of each centre (scikit-learn's `_counts`).
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// Labels of the rows last fitted (all of `x` after `fit`, the last chunk after
    /// `partial_fit`).
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Total inertia of the rows last fitted against the final centres.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Mini-batch steps taken (`n_steps_`).
    pub fn n_steps(&self) -> usize {
        self.n_steps
    }

    /// Passes over the data (`n_iter_`; chunks seen after `partial_fit`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The parameters it was fitted with.
    pub fn params(&self) -> &MiniBatchKMeansParams {
        &self.params
    }

    /// Nearest centre of each row. Errors as [`crate::KMeans::predict`].
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<usize>> {
        model::predict(&self.centroids, x)
    }

    /// Distances to every centre. Errors as [`crate::KMeans::predict`].
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        model::transform(&self.centroids, x)
    }

    /// Negative total inertia of `x`. Errors as [`crate::KMeans::predict`].
    pub fn score(&self, x: ArrayView2<'_, F>) -> Result<f64> {
        model::score(&self.centroids, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KMeansParams;
    use cartera_core::datasets::Blobs;
    use cartera_core::testkit::{Subject, assert_conforms};
    use ndarray::s;

    fn blobs(n: usize) -> Array2<f64> {
        Blobs::new(n)
            .n_features(4)
            .centers(5)
            .seed(11)
            .generate()
            .map(|(x, _)| x)
            .expect("valid blob parameters")
    }

    #[test]
    fn fit_comes_close_to_full_kmeans() {
        let x = blobs(20_000);
        let full = KMeansParams::new(5).n_init(3).fit(x.view()).expect("valid");
        let mb = MiniBatchKMeansParams::new(5)
            .n_init(3)
            .fit(x.view())
            .expect("valid");
        assert!(
            mb.inertia() < full.inertia() * 1.02,
            "{} vs {}",
            mb.inertia(),
            full.inertia()
        );
        // Early stopping on the smoothed inertia stops long before 100 epochs.
        assert!(mb.n_iter() < 100, "{}", mb.n_iter());
        assert_eq!(mb.labels().len(), 20_000);
        assert!((mb.score(x.view()).expect("valid") + mb.inertia()).abs() < 1e-6 * mb.inertia());
    }

    /// Finite values whose squared distances overflow are an error saying to scale, in `fit`
    /// and in `partial_fit` (which then leaves the model as it was), as in the full-batch fit.
    #[test]
    fn overflowing_distances_are_an_error() {
        let big = ndarray::array![[1.0, 2.0], [3.0, 1e308], [5.0, -1e308], [7.0, 6.0]];
        let e = MiniBatchKMeansParams::new(2)
            .fit(big.view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("overflow") && e.contains("scale"), "{e}");
        let x = blobs(400);
        let mut m = MiniBatchKMeansParams::new(2)
            .partial_fit(x.view())
            .expect("valid");
        let kept = m.clone();
        let wide = ndarray::Array2::from_elem((4, 4), 1e200);
        assert!(m.partial_fit(wide.view()).is_err());
        assert_eq!(m, kept);
        // Large but safe values still fit.
        let ok = ndarray::array![[1.0, 2e150], [3.0, 1e150], [5.0, -1e150], [7.0, 6.0]];
        assert!(MiniBatchKMeansParams::new(2).fit(ok.view()).is_ok());
    }

    /// One step on f32 rows far from the origin (coordinates near latitude 40.7, longitude
    /// -74.0) moves each centre to the mean of the rows nearest to it by exact distance: the
    /// step measures from the centres' mean (on raw coordinates, `‖c‖² − 2 x·c` in f32 put
    /// rows on the wrong centre and moved the means by about 1e-4).
    #[test]
    fn a_step_assigns_by_distance_far_from_the_origin() {
        let (k, d, n) = (6, 2, 3000);
        let base = [
            (40.70, -74.01),
            (40.75, -73.98),
            (40.65, -73.95),
            (40.80, -73.94),
            (40.72, -74.08),
            (40.60, -74.02),
        ];
        let centres: Vec<f32> = base
            .iter()
            .flat_map(|&(a, b)| [a as f32, b as f32])
            .collect();
        let mut rng = CarteraRng::seed_from_u64(3);
        let rows: Vec<f32> = (0..n)
            .flat_map(|i| {
                let (a, b) = base[i % k];
                [
                    (a + rng.normal() * 0.04) as f32,
                    (b + rng.normal() * 0.04) as f32,
                ]
            })
            .collect();
        // Expected: nearest centre by exact distance in f64, then each cluster's mean.
        let mut sums = vec![0.0f64; k * d];
        let mut counts = vec![0.0f64; k];
        for row in rows.chunks_exact(d) {
            let dist = |c: usize| -> f64 {
                (0..d)
                    .map(|j| (row[j] as f64 - centres[c * d + j] as f64).powi(2))
                    .sum()
            };
            let best = (0..k).fold(0, |b, c| if dist(c) < dist(b) { c } else { b });
            counts[best] += 1.0;
            for j in 0..d {
                sums[best * d + j] += row[j] as f64;
            }
        }
        let params = MiniBatchKMeansParams::new(k).reassignment_ratio(0.0);
        let mut m = MiniBatchKMeans::start(params, centres.clone(), k, d);
        let batch = Prepared::raw(rows, vec![1.0f32; n], d);
        m.step(batch, &mut CarteraRng::stream(0, 0));
        for c in 0..k {
            assert_eq!(m.counts()[c], counts[c], "cluster {c}");
            for j in 0..d {
                let want = sums[c * d + j] / counts[c];
                let got = m.centroids()[[c, j]] as f64;
                assert!(
                    (got - want).abs() < 2e-5,
                    "centre {c}, {j}: {got} vs {want}"
                );
            }
        }
    }

    /// A first chunk of fewer distinct rows than clusters is refused (k-means++ would repeat
    /// a centre); later chunks may hold anything.
    #[test]
    fn partial_fit_needs_k_distinct_rows_first() {
        let same = Array2::from_elem((50, 3), 1.5);
        let e = MiniBatchKMeansParams::new(3)
            .partial_fit(same.view())
            .unwrap_err();
        assert!(matches!(e, Error::TooFewSamples { found: 1, .. }), "{e}");
        let x = blobs(300);
        let mut m = MiniBatchKMeansParams::new(3)
            .partial_fit(x.view())
            .expect("valid");
        assert!(
            m.partial_fit(Array2::from_elem((10, 4), 0.5).view())
                .is_ok()
        );
    }

    #[test]
    fn partial_fit_on_chunks_learns_the_clusters() {
        let x = blobs(20_000);
        let full = KMeansParams::new(5).n_init(3).fit(x.view()).expect("valid");
        let params = MiniBatchKMeansParams::new(5);
        let mut m = params.partial_fit(x.slice(s![..2000, ..])).expect("valid");
        for start in (2000..20_000).step_by(2000) {
            m.partial_fit(x.slice(s![start..start + 2000, ..]))
                .expect("valid");
        }
        assert_eq!(m.n_steps(), 10);
        let score = -m.score(x.view()).expect("valid");
        assert!(
            score < full.inertia() * 1.05,
            "{score} vs {}",
            full.inertia()
        );
        let wrong = m.partial_fit(Array2::zeros((3, 5)).view());
        assert!(matches!(
            wrong,
            Err(Error::ShapeMismatch {
                expected: 4,
                found: 5,
                ..
            })
        ));
        // A model saved between chunks continues identically.
        let json = serde_json::to_string(&m).expect("serialises");
        let mut back: MiniBatchKMeans<f64> = serde_json::from_str(&json).expect("deserialises");
        let next = x.slice(s![..500, ..]);
        m.partial_fit(next).expect("valid");
        back.partial_fit(next).expect("valid");
        assert_eq!(m, back);
    }

    /// A damaged model file is a model-format error naming the part, never a model whose
    /// `partial_fit` or `predict` panics or answers for the wrong centres.
    #[test]
    fn loading_checks_the_parts() {
        let x = blobs(300);
        let m = MiniBatchKMeansParams::new(3).fit(x.view()).expect("valid");
        let v = serde_json::to_value(&m).expect("serialises");
        let damaged = |field: &str, value: serde_json::Value| {
            let mut w = v.clone();
            w[field] = value;
            serde_json::from_value::<MiniBatchKMeans<f64>>(w)
                .unwrap_err()
                .to_string()
        };
        let e = damaged("counts", serde_json::json!([]));
        assert!(e.contains("counts has 0 values for 3 centres"), "{e}");
        let e = damaged("counts", serde_json::json!([1.0, -2.0, 3.0]));
        assert!(e.contains("a count is -2"), "{e}");
        let e = damaged("labels", serde_json::json!([0, 7]));
        assert!(e.contains("label 7 for 3 centres"), "{e}");
        let e = damaged(
            "centroids",
            serde_json::json!({"v": 1, "dim": [0, 4], "data": []}),
        );
        assert!(e.contains("centroids are 0 x 4"), "{e}");
        let mut w = v.clone();
        w["params"]["batch_size"] = serde_json::json!(0);
        let e = serde_json::from_value::<MiniBatchKMeans<f64>>(w)
            .unwrap_err()
            .to_string();
        assert!(e.contains("batch_size"), "{e}");
        // And the full-batch model.
        let full = KMeansParams::new(3).fit(x.view()).expect("valid");
        let v = serde_json::to_value(&full).expect("serialises");
        let back: crate::KMeans<f64> = serde_json::from_value(v.clone()).expect("loads");
        assert_eq!(back, full);
        for (field, value, want) in [
            (
                "centroids",
                serde_json::json!({"v": 1, "dim": [0, 3], "data": []}),
                "centroids are 0 x 3",
            ),
            (
                "cluster_sizes",
                serde_json::json!([1, 2]),
                "cluster_sizes has 2 values",
            ),
            ("labels", serde_json::json!([3]), "label 3 for 3 centres"),
        ] {
            let mut w = v.clone();
            w[field] = value;
            let e = serde_json::from_value::<crate::KMeans<f64>>(w)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{field}: {e}");
        }
    }

    #[test]
    fn parameters_are_checked() {
        let x = blobs(100);
        let bad = |p: MiniBatchKMeansParams, name: &str| match p.fit(x.view()) {
            Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        };
        bad(MiniBatchKMeansParams::new(0), "n_clusters");
        bad(MiniBatchKMeansParams::new(2).batch_size(0), "batch_size");
        bad(
            MiniBatchKMeansParams::new(2).reassignment_ratio(-0.1),
            "reassignment_ratio",
        );
        bad(MiniBatchKMeansParams::new(2).tol(-1.0), "tol");
        bad(
            MiniBatchKMeansParams::new(2).max_no_improvement(Some(0)),
            "max_no_improvement",
        );
        assert!(matches!(
            MiniBatchKMeansParams::new(101).fit(x.view()),
            Err(Error::TooFewSamples { .. })
        ));
    }

    #[test]
    fn small_clusters_are_reassigned() {
        // One initial centre far away from everything gets no weight and must be moved.
        let x = blobs(5000);
        let mut init = Array2::zeros((5, 4));
        for c in 0..4 {
            init.row_mut(c).assign(&x.row(c * 1000));
        }
        init.row_mut(4).fill(1e3);
        let m = MiniBatchKMeansParams::new(5)
            .init(Init::Given(init))
            .fit(x.view())
            .expect("valid");
        assert!(
            m.centroids().row(4).iter().all(|v| v.abs() < 100.0),
            "{:?}",
            m.centroids()
        );
        assert!(m.counts().iter().all(|&c| c > 0.0));
    }

    struct Kit;
    impl Subject for Kit {
        type Model = MiniBatchKMeans<f64>;
        fn name(&self) -> &str {
            "MiniBatchKMeans"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model> {
            MiniBatchKMeansParams::new(3).batch_size(50).fit(x)
        }
        fn output(&self, m: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            m.transform(x)
        }
        fn thread_tolerance(&self) -> f64 {
            0.0
        }
    }

    #[test]
    fn conforms() {
        assert_conforms(&Kit);
    }
}
