//! The boosting loop: gradients, bagging, feature sampling, one tree per output per round,
//! score updates, evaluation and early stopping.

use cartera_core::{CarteraRng, Error, Float, Result, validate};
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::binning::{BinnedData, MAX_CATEGORY, bin_rows, bin_training, scan_input};
use crate::learner::{GrowParams, GrownTree, Layout, Learner};
use crate::metric::evaluate;
use crate::model::{EvalRecord, GbdtModel};
use crate::objective::{GradPair, Loss};
use crate::params::{GbdtParams, Metric};
use crate::partition::DataPartition;
use crate::quantize::{self, Offsets, Quantized};
use crate::split::{CatParams, SplitParams};
use crate::tree::{Ensemble, Objective};

/// What the training data is called in error messages.
const FIT_WHAT: &str = "training data";
/// Rows per bagging block (each block draws from its own RNG stream).
const BAG_BLOCK: usize = 65536;
/// Rows per block when updating scores in parallel.
const SCORE_BLOCK: usize = 8192;
/// Seed offsets keeping bagging and feature draws on separate streams.
const BAG_SALT: u64 = 0xBA66_1A6E;
const FEATURE_SALT: u64 = 0xFEA7_0FF0;

/// Check labels against the objective; `need_two_classes` for training labels.
pub(crate) fn check_labels(
    y: ArrayView1<f64>,
    objective: Objective,
    what: &str,
    need_two_classes: bool,
) -> Result<()> {
    let mut seen = [false; 2];
    let mut first_class: Option<f64> = None;
    let mut distinct = 0usize;
    for (i, &v) in y.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what: what.into(),
                row: i,
                column: 0,
                value: v.to_string(),
            });
        }
        match objective {
            Objective::Binary { .. } => {
                if v != 0.0 && v != 1.0 {
                    return Err(Error::invalid_data(
                        what,
                        format!("row {i} (0-based) holds {v}: binary labels must be 0 or 1"),
                    ));
                }
                seen[v as usize] = true;
            }
            Objective::Multiclass { n_classes } => {
                if v < 0.0 || v.fract() != 0.0 || v >= n_classes as f64 {
                    return Err(Error::invalid_data(
                        what,
                        format!(
                            "row {i} (0-based) holds {v}: multiclass labels must be integers in \
                             0..{n_classes}"
                        ),
                    ));
                }
                match first_class {
                    None => {
                        first_class = Some(v);
                        distinct = 1;
                    }
                    Some(c) if c != v => distinct = 2,
                    _ => {}
                }
            }
            Objective::Regression => {}
        }
    }
    if need_two_classes {
        let found = match objective {
            Objective::Binary { .. } => seen.iter().filter(|s| **s).count(),
            Objective::Multiclass { .. } => distinct,
            Objective::Regression => 2,
        };
        if found < 2 {
            return Err(Error::TooFewSamples {
                what: format!("classes in the {what}"),
                needed: 2,
                found,
            });
        }
    }
    Ok(())
}

/// Categorical codes must be missing (NaN, negative) or below [`MAX_CATEGORY`]: the model
/// keeps category sets as bitsets over codes.
fn check_category_codes<F: Float>(col: ArrayView1<F>, f: usize, what: &str) -> Result<()> {
    match col.iter().position(|v| v.as_f64() >= MAX_CATEGORY as f64) {
        None => Ok(()),
        Some(row) => Err(Error::invalid_param(
            "categorical_features",
            format!(
                "{} at row {row}, column {f} of the {what}",
                col[row].as_f64()
            ),
            format!(
                "category codes must be integers in 0..{MAX_CATEGORY} (NaN and negative values \
                 are missing); re-code the categories"
            ),
        )),
    }
}

/// Draw the bag of round `iter`: each row kept with probability `fraction`, per-block streams.
fn draw_bag(n: usize, fraction: f64, seed: u64, iter: usize) -> Vec<u32> {
    let parts: Vec<Vec<u32>> = (0..n.div_ceil(BAG_BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut rng = CarteraRng::stream(
                seed.wrapping_add(BAG_SALT),
                ((iter as u64) << 24) | b as u64,
            );
            (b * BAG_BLOCK..((b + 1) * BAG_BLOCK).min(n))
                .filter(|_| rng.uniform() < fraction)
                .map(|r| r as u32)
                .collect()
        })
        .collect();
    parts.concat()
}

/// Add a tree's (shrunk) leaf values to the scores of output `c` of binned rows.
fn add_tree_scores(
    grown: &GrownTree,
    bins: &[u8],
    nu: usize,
    k: usize,
    c: usize,
    score: &mut [f64],
) {
    let values = &grown.tree.leaf_value;
    score
        .par_chunks_mut(SCORE_BLOCK * k)
        .enumerate()
        .for_each(|(b, s)| {
            for (i, o) in s.chunks_mut(k).enumerate() {
                let r = b * SCORE_BLOCK + i;
                o[c] += values[grown.leaf_of_binned(&bins[r * nu..(r + 1) * nu])];
            }
        });
}

/// Add each leaf's value to the scores of output `c` of its rows, from the partition that grew
/// the tree, in parallel blocks of rows. A leaf's rows are in increasing order (the partition
/// starts from increasing rows and splits stably), so each block finds its part of every
/// leaf by two binary searches, and every row of the block gets its one addition: the
/// serial loop's result, bit for bit.
fn add_leaf_scores(values: &[f64], part: &DataPartition, k: usize, c: usize, score: &mut [f64]) {
    score
        .par_chunks_mut(SCORE_BLOCK * k)
        .enumerate()
        .for_each(|(b, s)| {
            let lo = (b * SCORE_BLOCK) as u32;
            let hi = lo + (s.len() / k) as u32;
            for (l, v) in values.iter().enumerate() {
                let rows = part.rows(l);
                debug_assert!(
                    b > 0 || rows.windows(2).all(|w| w[0] < w[1]),
                    "leaf {l} in row order"
                );
                let from = rows.partition_point(|&r| r < lo);
                let to = rows.partition_point(|&r| r < hi);
                for &r in &rows[from..to] {
                    s[(r - lo) as usize * k + c] += v;
                }
            }
        });
}

/// Train a model (see [`GbdtParams::fit_weighted`]).
pub(crate) fn train<F: Float>(
    params: &GbdtParams,
    x: ArrayView2<F>,
    y: ArrayView1<f64>,
    w: Option<ArrayView1<f64>>,
    valid: Option<(ArrayView2<F>, ArrayView1<f64>)>,
) -> Result<GbdtModel> {
    params.validate()?;
    validate::check_non_empty(x, FIT_WHAT)?;
    let (n, d) = x.dim();
    validate::check_len(y.len(), n, "number of labels")?;
    if n > u32::MAX as usize {
        return Err(Error::invalid_param(
            "rows",
            n,
            "at most 4,294,967,295 rows",
        ));
    }
    let objective = params.objective;
    check_labels(y, objective, "labels", true)?;
    let weights: Option<Vec<f64>> = match w {
        None => None,
        Some(w) => {
            validate::check_len(w.len(), n, "number of sample weights")?;
            if let Some((i, v)) = w
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
            {
                return Err(Error::invalid_param(
                    "sample_weight",
                    format!("{v} at row {i}"),
                    "weights must be finite and >= 0",
                ));
            }
            if w.sum() <= 0.0 {
                return Err(Error::invalid_param(
                    "sample_weight",
                    "all zero",
                    "needs a positive weight",
                ));
            }
            Some(w.to_vec())
        }
    };
    if let Some(names) = &params.feature_names {
        validate::check_len(names.len(), d, "number of feature names")?;
    }
    let mut is_cat = vec![false; d];
    for &f in &params.categorical_features {
        if f >= d {
            return Err(Error::invalid_param(
                "categorical_features",
                format!("{:?}", params.categorical_features),
                format!("feature {f} is out of range (the data has {d} columns)"),
            ));
        }
        is_cat[f] = true;
        check_category_codes(x.column(f), f, FIT_WHAT)?;
    }
    if params.early_stopping_rounds.is_some() && valid.is_none() {
        return Err(Error::invalid_param(
            "early_stopping_rounds",
            format!("{:?}", params.early_stopping_rounds),
            "early stopping needs a validation set (fit_with_validation)",
        ));
    }
    scan_input(x, FIT_WHAT)?;
    if let Some((xv, yv)) = &valid {
        validate::check_width(*xv, d, "validation data")?;
        for &f in &params.categorical_features {
            check_category_codes(xv.column(f), f, "validation data")?;
        }
        validate::check_non_empty(*xv, "validation data")?;
        validate::check_len(yv.len(), xv.nrows(), "number of validation labels")?;
        // AUC of one class is undefined (LightGBM reports 1.0, and early stopping on it
        // would keep the first round): the validation labels must hold both.
        let auc = params.effective_metric() == Metric::Auc;
        check_labels(*yv, objective, "validation labels", auc)?;
        scan_input(*xv, "validation data")?;
    }

    let data = bin_training(
        x,
        &is_cat,
        params.max_bin,
        params.bin_construct_sample_cnt,
        params.seed,
    );
    let valid_bins = valid
        .as_ref()
        .map(|(xv, yv)| (bin_rows(*xv, &data.mappers, &data.used), yv.to_vec()));
    let yv: Vec<f64> = y.to_vec();
    train_binned(
        params,
        &data,
        &yv,
        weights.as_deref(),
        valid_bins
            .as_ref()
            .map(|(b, yv)| (b.as_slice(), yv.as_slice())),
        d,
    )
}

/// The boosting loop on binned data (checked by the caller): `yv` the training labels,
/// `valid_bins` the validation rows binned with the same mappers and their labels, `d` the
/// number of input features.
pub(crate) fn train_binned(
    params: &GbdtParams,
    data: &BinnedData,
    yv: &[f64],
    wv: Option<&[f64]>,
    valid_bins: Option<(&[u8], &[f64])>,
    d: usize,
) -> Result<GbdtModel> {
    // The loop runs on a worker of rayon's pool: its many short parallel steps (a histogram,
    // a split search, a partition per split: thousands per fit) are then forks inside the pool
    // rather than jobs injected from outside, each of which costs the calling thread a sleep
    // and a wake-up.
    rayon::scope(|_| boost(params, data, yv, wv, valid_bins, d))
}

/// [`train_binned`]'s body, run on a worker thread of the pool.
fn boost(
    params: &GbdtParams,
    data: &BinnedData,
    yv: &[f64],
    wv: Option<&[f64]>,
    valid_bins: Option<(&[u8], &[f64])>,
    d: usize,
) -> Result<GbdtModel> {
    let n = data.n_rows;
    if params.use_quantized_grad && !quantize::check_rows(n, params.num_grad_quant_bins) {
        return Err(Error::invalid_param(
            "num_grad_quant_bins",
            params.num_grad_quant_bins,
            format!(
                "with {n} rows, quantized gradient sums need rows x bins < 2^32: use fewer \
                 bins, or train without quantized gradients"
            ),
        ));
    }
    let objective = params.objective;
    let nu = data.n_used();
    let loss = Loss {
        objective,
        scale_pos_weight: params.scale_pos_weight,
    };
    let k = loss.k();
    let init = loss.init_scores(yv, wv);
    // Finite regression targets near f64::MAX have no finite mean: said here, not later as a
    // model that fails its own check.
    if init.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid_data(
            "labels",
            "their (weighted) mean overflows the floating-point range: divide the target by a \
             constant (e.g. 1e6) first",
        ));
    }
    let mut score: Vec<f64> = (0..n * k).map(|i| init[i % k]).collect();
    let mut valid_score: Vec<f64> = valid_bins
        .as_ref()
        .map(|(_, yv)| (0..yv.len() * k).map(|i| init[i % k]).collect())
        .unwrap_or_default();

    let grow = GrowParams {
        split: SplitParams {
            lambda_l1: params.lambda_l1,
            lambda_l2: params.lambda_l2,
            min_data_in_leaf: params.min_data_in_leaf,
            min_sum_hessian_in_leaf: params.min_sum_hessian_in_leaf,
            min_gain_to_split: params.min_gain_to_split,
        },
        cat: CatParams {
            max_cat_to_onehot: params.max_cat_to_onehot,
            max_cat_threshold: params.max_cat_threshold,
            cat_l2: params.cat_l2,
            cat_smooth: params.cat_smooth,
            min_data_per_group: params.min_data_per_group,
        },
        num_leaves: params.num_leaves,
        max_depth: (params.max_depth > 0).then_some(params.max_depth as usize),
    };
    let layout = Layout::new(data, params.enable_bundle);
    // The k trees of a round are independent (every gradient is taken before the round), so
    // a multiclass fit grows up to one per thread at a time, each on its own learner: on a
    // small table a single tree's parallel steps are too short to keep two threads busy.
    // Each tree is the same whichever learner grows it (a learner keeps no state between
    // trees), so the model does not depend on the number of threads.
    let n_learners = k.min(rayon::current_num_threads()).max(1);
    let mut growers = if params.use_quantized_grad {
        Growers::Quantized {
            learners: (0..n_learners)
                .map(|_| Learner::new(data, &layout, grow))
                .collect(),
            // One buffer per learner: a class's quantized gradients are read only while its
            // tree grows.
            q: (0..n_learners).map(|_| Quantized::new(n)).collect(),
            offsets: params
                .stochastic_rounding
                .then(|| Offsets::new(n, params.seed)),
        }
    } else {
        Growers::Plain(
            (0..n_learners)
                .map(|_| Learner::new(data, &layout, grow))
                .collect(),
        )
    };
    let mut gh: Vec<Vec<GradPair>> = vec![vec![[0.0; 2]; n]; k];
    let bagging = params.bagging_freq > 0 && params.bagging_fraction < 1.0;
    let mut bag: Option<Vec<u32>> = None;
    let mut features = vec![vec![true; nu]; k];
    let n_pick = ((params.feature_fraction * nu as f64 + 0.5) as usize).clamp(1, nu.max(1));
    let metric = params.effective_metric();
    let lr = params.learning_rate;

    // Room for the usual ensemble up front, not for any `n_estimators`: 10^8 rounds asked
    // for 33 GB before the first tree (training stops early or the trees come one by one).
    let mut trees = Vec::with_capacity(params.n_estimators.saturating_mul(k).min(4096));
    let mut history = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    for iter in 0..params.n_estimators {
        loss.gradients(&score, yv, wv, &mut gh);
        if bagging && iter % params.bagging_freq == 0 {
            bag = Some(draw_bag(n, params.bagging_fraction, params.seed, iter));
        }
        if n_pick < nu {
            for (c, f) in features.iter_mut().enumerate() {
                let mut rng = CarteraRng::stream(
                    params.seed.wrapping_add(FEATURE_SALT),
                    (iter * k + c) as u64,
                );
                let perm = rng.permutation(nu);
                f.iter_mut().for_each(|f| *f = false);
                for &j in &perm[..n_pick] {
                    f[j] = true;
                }
            }
        }
        let mut round = Vec::with_capacity(k);
        for c0 in (0..k).step_by(n_learners) {
            let c1 = (c0 + n_learners).min(k);
            let grown = growers.grow(params, &gh, iter, c0..c1, bag.as_deref(), &features);
            for (i, mut grown) in grown.into_iter().enumerate() {
                let c = c0 + i;
                for v in grown
                    .tree
                    .leaf_value
                    .iter_mut()
                    .chain(grown.tree.internal_value.iter_mut())
                {
                    *v *= lr;
                }
                if bag.is_some() {
                    add_tree_scores(&grown, &data.bins, nu, k, c, &mut score);
                } else {
                    // The learner's partition still holds this tree's leaves.
                    add_leaf_scores(
                        &grown.tree.leaf_value,
                        growers.partition(i),
                        k,
                        c,
                        &mut score,
                    );
                }
                if let Some((vb, _)) = &valid_bins {
                    add_tree_scores(&grown, vb, nu, k, c, &mut valid_score);
                }
                round.push(grown.tree);
            }
        }
        if round.iter().all(|t| t.num_leaves() <= 1) {
            // No split passes the constraints any more (LightGBM stops here too); the round
            // is dropped, its trees being constants of zero gain.
            for (c, t) in round.iter().enumerate() {
                let v = t.leaf_value[0];
                if v != 0.0 {
                    score.iter_mut().skip(c).step_by(k).for_each(|s| *s -= v);
                    valid_score
                        .iter_mut()
                        .skip(c)
                        .step_by(k)
                        .for_each(|s| *s -= v);
                }
            }
            break;
        }
        trees.extend(round);
        let train_m = params
            .eval_train
            .then(|| evaluate(metric, objective, &score, yv, wv));
        let valid_m = valid_bins
            .as_ref()
            .map(|(_, yv)| evaluate(metric, objective, &valid_score, yv, None));
        history.push(EvalRecord {
            iteration: iter + 1,
            train: train_m,
            valid: valid_m,
        });
        if let (Some(rounds), Some(v)) = (params.early_stopping_rounds, valid_m) {
            let improved = match best {
                None => true,
                Some((_, b)) => {
                    if metric.higher_is_better() {
                        v > b
                    } else {
                        v < b
                    }
                }
            };
            if improved {
                best = Some((iter + 1, v));
            } else if let Some((b, _)) = best
                && iter + 1 - b >= rounds
            {
                break;
            }
        }
    }
    let best_iteration = best.map(|(b, _)| b);
    if let Some(b) = best_iteration {
        trees.truncate(b * k);
    }
    let feature_names = params
        .feature_names
        .clone()
        .unwrap_or_else(|| (0..d).map(|j| format!("Column_{j}")).collect());
    let ensemble = Ensemble {
        trees,
        n_features: d,
        feature_names,
        objective,
        init_score: init,
    };
    GbdtModel::build(ensemble, best_iteration, Some(metric), history)
}

/// The learners of a fit, by the form of the gradients their histograms sum.
enum Growers<'a> {
    /// `f64` gradient pairs.
    Plain(Vec<Learner<'a, [f64; 2]>>),
    /// Quantized pairs (LightGBM's `use_quantized_grad`), with one buffer per learner (the
    /// class it grows a tree of, at a time).
    Quantized {
        learners: Vec<Learner<'a, i64>>,
        q: Vec<Quantized>,
        /// The offsets of stochastic rounding (`None`: to nearest).
        offsets: Option<Offsets>,
    },
}

impl Growers<'_> {
    /// The trees of classes `classes` (at most one per learner) of round `round`, grown side by
    /// side on the gradients `gh` (one vector per class).
    fn grow(
        &mut self,
        params: &GbdtParams,
        gh: &[Vec<GradPair>],
        round: usize,
        classes: std::ops::Range<usize>,
        bag: Option<&[u32]>,
        features: &[Vec<bool>],
    ) -> Vec<GrownTree> {
        // A single tree (binary, regression, a last odd class) is not split across threads
        // here: rayon runs a one-item iterator on the calling thread.
        match self {
            Growers::Plain(learners) => learners
                .par_iter_mut()
                .zip(classes)
                .map(|(l, c)| l.grow(&gh[c], [1.0; 2], bag, &features[c], None))
                .collect(),
            Growers::Quantized {
                learners,
                q,
                offsets,
            } => {
                let k = gh.len();
                for (buf, c) in q.iter_mut().zip(classes.clone()) {
                    let n = gh[c].len();
                    let start = quantize::start(params.seed, round, c, k, n);
                    let offsets = offsets.as_ref().map(|t| (t, start));
                    buf.fill(&gh[c], params.num_grad_quant_bins, offsets);
                }
                let renew = params.quant_train_renew_leaf;
                learners
                    .par_iter_mut()
                    .zip(q.par_iter())
                    .zip(classes)
                    .map(|((l, q), c)| {
                        let renew = renew.then_some(&gh[c][..]);
                        l.grow(&q.packed, q.scale, bag, &features[c], renew)
                    })
                    .collect()
            }
        }
    }

    /// The partition of the last tree learner `i` grew.
    fn partition(&self, i: usize) -> &DataPartition {
        match self {
            Growers::Plain(l) => l[i].partition(),
            Growers::Quantized { learners, .. } => learners[i].partition(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_scores_by_blocks_are_the_serial_additions() {
        // Three outputs, rows over several score blocks, a bag that skips rows, and leaves
        // made by stable splits: each row of a leaf gets the leaf's value once, in output `c`.
        let (n, k, c) = (3 * SCORE_BLOCK + 77, 3, 1);
        let bag: Vec<u32> = (0..n as u32).filter(|r| r % 5 != 2).collect();
        let mut part = DataPartition::new(n, 4);
        part.reset(n, Some(&bag));
        part.split(0, |r| r % 3 == 0);
        part.split(1, |r| (r / 1000) % 2 == 0);
        part.split(0, |r| r < (n / 2) as u32);
        let values = [0.5, -1.25, 2.0, 0.125];
        let start: Vec<f64> = (0..n * k).map(|i| i as f64 * 0.001).collect();
        let mut want = start.clone();
        for (l, v) in values.iter().enumerate() {
            for &r in part.rows(l) {
                want[r as usize * k + c] += v;
            }
        }
        let mut got = start.clone();
        add_leaf_scores(&values, &part, k, c, &mut got);
        assert_eq!(got, want);
        // Rows outside the bag and the other outputs are untouched.
        assert_eq!(got[2 * k], start[2 * k]);
        assert_eq!(got[c + 1], start[c + 1]);
    }
}
