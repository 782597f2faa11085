//! Split finding on one feature's histogram, as LightGBM's `FeatureHistogram`.
//!
//! The gain of a leaf with gradient sum `G` and hessian sum `H` is `T(G)² / (H + λ₂)` with
//! `T(G) = sign(G)·max(|G| − λ₁, 0)`, and its output `−T(G) / (H + λ₂)`. A split is kept when
//! both sides hold `min_data_in_leaf` rows and `min_sum_hessian_in_leaf`, and its gain beats
//! the parent's by more than `min_gain_to_split`. Row counts per bin are estimated from the
//! hessians (`round(h · rows / H)`), as LightGBM does. With a NaN bin, two scans learn where
//! missing values go: right-to-left with NaN on the left, then left-to-right with NaN on the
//! right. Ties keep the first candidate found; across features, the higher gain and then the
//! smaller feature index wins.

use crate::binning::FirstBin;

/// The regularisation and minimum sizes a split must respect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SplitParams {
    pub lambda_l1: f64,
    pub lambda_l2: f64,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian_in_leaf: f64,
    pub min_gain_to_split: f64,
}

impl SplitParams {
    #[inline]
    fn threshold_l1(&self, g: f64) -> f64 {
        let r = (g.abs() - self.lambda_l1).max(0.0);
        if g < 0.0 { -r } else { r }
    }

    /// Output of a leaf with sums `(g, h)` (before shrinkage), `extra_l2` added to the L2
    /// penalty (leaves made by a many-vs-many categorical split, as LightGBM; 0 otherwise).
    #[inline]
    pub fn leaf_output_with(&self, g: f64, h: f64, extra_l2: f64) -> f64 {
        let denom = h + self.lambda_l2 + extra_l2;
        if denom <= 0.0 {
            return 0.0;
        }
        -self.threshold_l1(g) / denom
    }

    /// Loss reduction of a leaf with sums `(g, h)` relative to no leaf.
    #[inline]
    pub fn leaf_gain(&self, g: f64, h: f64) -> f64 {
        self.leaf_gain_with(g, h, 0.0)
    }

    /// [`leaf_gain`](Self::leaf_gain) with `extra_l2` added to the L2 penalty.
    #[inline]
    pub fn leaf_gain_with(&self, g: f64, h: f64, extra_l2: f64) -> f64 {
        let denom = h + self.lambda_l2 + extra_l2;
        if denom <= 0.0 {
            return 0.0;
        }
        let t = self.threshold_l1(g);
        t * t / denom
    }
}

/// The best split of one leaf on one feature: a plain record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SplitInfo {
    /// Used-feature index.
    pub feature: usize,
    /// Rows with bin `<= threshold_bin` go left (NaN bin: see `default_left`).
    pub threshold_bin: usize,
    /// Whether the NaN bin goes left.
    pub default_left: bool,
    /// Gain over the parent (minus `min_gain_to_split`), `> 0`.
    pub gain: f64,
    /// `(Σ grad, Σ hess)` of the left side.
    pub left: [f64; 2],
    /// `(Σ grad, Σ hess)` of the right side.
    pub right: [f64; 2],
    /// Categorical split: the bins that go left (bit `b % 64` of word `b / 64`); the missing
    /// bin never does. `None` for a numerical split.
    pub left_bins: Option<[u64; 4]>,
    /// L2 penalty added to both children's outputs (`cat_l2` for many-vs-many splits).
    pub extra_l2: f64,
}

/// LightGBM's categorical split parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatParams {
    pub max_cat_to_onehot: usize,
    pub max_cat_threshold: usize,
    pub cat_l2: f64,
    pub cat_smooth: f64,
    pub min_data_per_group: usize,
}

/// LightGBM's `kEpsilon`, added to a side's hessian in categorical splits.
const EPSILON: f64 = 1e-15;

/// Best categorical split of `hist` (`n_cats` category bins, then the missing bin, which
/// always goes right), LightGBM's `FindBestThresholdCategorical`: one category against the
/// rest when the feature has at most `max_cat_to_onehot` bins; otherwise categories with at
/// least `cat_smooth` rows are sorted by `Σgrad / (Σhess + cat_smooth)` and the best prefix
/// from either end (at most `max_cat_threshold` categories, groups of `min_data_per_group`
/// rows) goes left, scored with `cat_l2` added to the L2 penalty.
pub(crate) fn best_categorical(
    feature: usize,
    hist: &[[f64; 2]],
    n_cats: usize,
    leaf: LeafSums,
    p: &SplitParams,
    c: &CatParams,
) -> Option<SplitInfo> {
    let min_gain_shift = p.leaf_gain(leaf.grad, leaf.hess) + p.min_gain_to_split;
    let cnt_factor = leaf.count as f64 / leaf.hess;
    let count = |h: f64| (h * cnt_factor + 0.5) as i64;
    let min_data = p.min_data_in_leaf as i64;
    let total = leaf.count as i64;
    let mut best: Option<SplitInfo> = None;
    let mut best_gain = min_gain_shift;
    let set_of = |bins: &mut dyn Iterator<Item = usize>| {
        let mut set = [0u64; 4];
        for b in bins {
            set[b / 64] |= 1 << (b % 64);
        }
        set
    };
    if n_cats < c.max_cat_to_onehot {
        for t in (0..n_cats).rev() {
            let [g, h] = hist[t];
            let cnt = count(h);
            if cnt < min_data || h < p.min_sum_hessian_in_leaf {
                continue;
            }
            if total - cnt < min_data {
                continue;
            }
            let other_h = leaf.hess - h - EPSILON;
            if other_h < p.min_sum_hessian_in_leaf {
                continue;
            }
            let other_g = leaf.grad - g;
            let gain = p.leaf_gain(other_g, other_h) + p.leaf_gain(g, h + EPSILON);
            if gain <= min_gain_shift || gain <= best_gain {
                continue;
            }
            best_gain = gain;
            best = Some(SplitInfo {
                feature,
                threshold_bin: t,
                default_left: false,
                gain: gain - min_gain_shift,
                left: [g, h + EPSILON],
                right: [other_g, other_h],
                left_bins: Some(set_of(&mut std::iter::once(t))),
                extra_l2: 0.0,
            });
        }
        return best;
    }
    let mut sorted: Vec<usize> = (0..n_cats)
        .filter(|&b| count(hist[b][1]) as f64 >= c.cat_smooth)
        .collect();
    let ctr = |b: usize| hist[b][0] / (hist[b][1] + c.cat_smooth);
    sorted.sort_by(|&a, &b| ctr(a).total_cmp(&ctr(b)));
    let used = sorted.len();
    let max_num_cat = c.max_cat_threshold.min(used.div_ceil(2));
    let mut best_run: Option<(bool, usize)> = None;
    for forward in [true, false] {
        let (mut lg, mut lh) = (0.0, EPSILON);
        let (mut left_cnt, mut group_cnt) = (0i64, 0i64);
        for i in 0..used.min(max_num_cat) {
            let t = if forward {
                sorted[i]
            } else {
                sorted[used - 1 - i]
            };
            let [g, h] = hist[t];
            let cnt = count(h);
            lg += g;
            lh += h;
            left_cnt += cnt;
            group_cnt += cnt;
            if left_cnt < min_data || lh < p.min_sum_hessian_in_leaf {
                continue;
            }
            let right_cnt = total - left_cnt;
            if right_cnt < min_data || right_cnt < c.min_data_per_group as i64 {
                break;
            }
            let rh = leaf.hess - lh;
            if rh < p.min_sum_hessian_in_leaf {
                break;
            }
            if group_cnt < c.min_data_per_group as i64 {
                continue;
            }
            group_cnt = 0;
            let rg = leaf.grad - lg;
            let gain = p.leaf_gain_with(lg, lh, c.cat_l2) + p.leaf_gain_with(rg, rh, c.cat_l2);
            if gain <= min_gain_shift || gain <= best_gain {
                continue;
            }
            best_gain = gain;
            best_run = Some((forward, i));
            best = Some(SplitInfo {
                feature,
                threshold_bin: i,
                default_left: false,
                gain: gain - min_gain_shift,
                left: [lg, lh],
                right: [rg, rh],
                left_bins: None,
                extra_l2: c.cat_l2,
            });
        }
    }
    if let (Some(b), Some((forward, last))) = (best.as_mut(), best_run) {
        let mut bins = (0..=last).map(|i| {
            if forward {
                sorted[i]
            } else {
                sorted[used - 1 - i]
            }
        });
        b.left_bins = Some(set_of(&mut bins));
    }
    best
}

/// The leaf being split: its sums and row count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeafSums {
    pub grad: f64,
    pub hess: f64,
    pub count: usize,
}

/// Best split of `hist` (one feature: `n_value_bins` value bins, then the NaN bin when
/// `has_nan`), or `None` when no threshold passes the constraints.
pub(crate) fn best_for_feature(
    feature: usize,
    hist: &[[f64; 2]],
    n_value_bins: usize,
    has_nan: bool,
    first_bin: FirstBin,
    leaf: LeafSums,
    p: &SplitParams,
) -> Option<SplitInfo> {
    if n_value_bins < 2 && !has_nan {
        return None;
    }
    let min_gain_shift = p.leaf_gain(leaf.grad, leaf.hess) + p.min_gain_to_split;
    let mut scan = Scan {
        feature,
        leaf,
        p,
        min_gain_shift,
        cnt_factor: leaf.count as f64 / leaf.hess,
        best: None,
        best_gain: min_gain_shift,
    };
    let min_data = p.min_data_in_leaf as i64;
    let total = leaf.count as i64;
    // Right to left: the right side accumulates value bins, NaN stays left.
    let mut acc = [0.0f64; 2];
    let mut acc_cnt = 0i64;
    for b in (1..n_value_bins).rev() {
        let e = hist[b];
        acc[0] += e[0];
        acc[1] += e[1];
        acc_cnt += scan.count(e[1]);
        if acc_cnt < min_data || acc[1] < p.min_sum_hessian_in_leaf {
            continue;
        }
        let left_cnt = total - acc_cnt;
        let left_h = leaf.hess - acc[1];
        if left_cnt < min_data || left_h < p.min_sum_hessian_in_leaf {
            break;
        }
        let left = [leaf.grad - acc[0], left_h];
        scan.consider(b - 1, true, left);
    }
    if has_nan {
        scan.nan_right(hist, n_value_bins, first_bin);
    }
    scan.best
}

/// One feature's split search: the leaf, the best candidate so far and its gain.
struct Scan<'a> {
    feature: usize,
    leaf: LeafSums,
    p: &'a SplitParams,
    /// The parent's gain plus `min_gain_to_split`: what a split must beat.
    min_gain_shift: f64,
    /// Rows per unit of hessian, for the estimated row counts.
    cnt_factor: f64,
    best: Option<SplitInfo>,
    best_gain: f64,
}

impl Scan<'_> {
    /// The estimated row count of hessian `h`: `round(h · rows / H)`, by `+ 0.5` and
    /// truncation rather than `round()`, a libm call on the baseline x86-64 target (no
    /// SSE4.1); hessians are >= 0, so both round half up (as LightGBM).
    #[inline(always)]
    fn count(&self, h: f64) -> i64 {
        (h * self.cnt_factor + 0.5) as i64
    }

    /// Keeps the split at bin `t` with left sums `left` when its gain beats the best so far
    /// (ties keep the first).
    #[inline(always)]
    fn consider(&mut self, t: usize, default_left: bool, left: [f64; 2]) {
        let (leaf, p) = (self.leaf, self.p);
        let right = [leaf.grad - left[0], leaf.hess - left[1]];
        let gain = p.leaf_gain(left[0], left[1]) + p.leaf_gain(right[0], right[1]);
        if gain > self.best_gain {
            self.best_gain = gain;
            self.best = Some(SplitInfo {
                feature: self.feature,
                threshold_bin: t,
                default_left,
                gain: gain - self.min_gain_shift,
                left,
                right,
                left_bins: None,
                extra_l2: 0.0,
            });
        }
    }

    /// Left to right over the value bins, NaN going right. Where LightGBM leaves the first bin
    /// out of its histogram ([`FirstBin`]), the left side starts as the leaf's sums and rows
    /// minus every stored bin's (NaN's included), as in its scan. Kept out of line: the scan
    /// without NaN is the hot one, and the compiler laid it out worse with this inlined.
    #[inline(never)]
    fn nan_right(&mut self, hist: &[[f64; 2]], n_value_bins: usize, first_bin: FirstBin) {
        let (leaf, p) = (self.leaf, self.p);
        let min_data = p.min_data_in_leaf as i64;
        let total = leaf.count as i64;
        let mut acc = [0.0f64; 2];
        let mut acc_cnt = 0i64;
        if first_bin != FirstBin::Stored {
            // The stored bins: all of them, or all but bin 0 when it is the implicit one.
            let from = usize::from(first_bin == FirstBin::Implicit);
            acc = [leaf.grad, leaf.hess];
            acc_cnt = total;
            for e in &hist[from..=n_value_bins] {
                acc[0] -= e[0];
                acc[1] -= e[1];
                acc_cnt -= self.count(e[1]);
            }
        }
        for (b, e) in hist[..n_value_bins].iter().enumerate() {
            // An implicit bin 0 is already the left side's whole content.
            if !(b == 0 && first_bin == FirstBin::Implicit) {
                acc[0] += e[0];
                acc[1] += e[1];
                acc_cnt += self.count(e[1]);
            }
            if acc_cnt < min_data || acc[1] < p.min_sum_hessian_in_leaf {
                continue;
            }
            let right_cnt = total - acc_cnt;
            let right_h = leaf.hess - acc[1];
            if right_cnt < min_data || right_h < p.min_sum_hessian_in_leaf {
                break;
            }
            self.consider(b, false, acc);
        }
    }
}

/// Pick the better of two candidates: higher gain, then smaller feature index.
#[inline]
pub(crate) fn better(a: Option<SplitInfo>, b: Option<SplitInfo>) -> Option<SplitInfo> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => {
            if y.gain > x.gain || (y.gain == x.gain && y.feature < x.feature) {
                Some(y)
            } else {
                Some(x)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::FeatureHist;

    fn params() -> SplitParams {
        SplitParams {
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            min_data_in_leaf: 1,
            min_sum_hessian_in_leaf: 0.0,
            min_gain_to_split: 0.0,
        }
    }

    #[test]
    fn finds_the_separating_threshold() {
        let mut h: FeatureHist = [[0.0; 2]; 256];
        // Bins 0..2 have negative gradients, 2..4 positive.
        h[0] = [-2.0, 2.0];
        h[1] = [-2.0, 2.0];
        h[2] = [2.0, 2.0];
        h[3] = [2.0, 2.0];
        let leaf = LeafSums {
            grad: 0.0,
            hess: 8.0,
            count: 8,
        };
        let s = best_for_feature(0, &h, 4, false, FirstBin::Stored, leaf, &params()).unwrap();
        assert_eq!(s.threshold_bin, 1);
        assert!((s.gain - (16.0 / 4.0 + 16.0 / 4.0)).abs() < 1e-12);
        assert_eq!(s.left, [-4.0, 4.0]);
    }

    #[test]
    fn learns_the_missing_direction() {
        let mut h: FeatureHist = [[0.0; 2]; 256];
        h[0] = [-3.0, 3.0];
        h[1] = [3.0, 3.0];
        h[2] = [-3.0, 3.0]; // NaN bin behaves like bin 0
        let leaf = LeafSums {
            grad: -3.0,
            hess: 9.0,
            count: 9,
        };
        let s = best_for_feature(0, &h, 2, true, FirstBin::Stored, leaf, &params()).unwrap();
        assert_eq!(s.threshold_bin, 0);
        assert!(s.default_left, "NaN joins bin 0 on the left");
        h[2] = [3.0, 3.0];
        let leaf = LeafSums {
            grad: 3.0,
            hess: 9.0,
            count: 9,
        };
        let s = best_for_feature(0, &h, 2, true, FirstBin::Stored, leaf, &params()).unwrap();
        assert!(!s.default_left, "NaN joins bin 1 on the right");
    }

    #[test]
    fn min_data_blocks_small_sides() {
        let mut h: FeatureHist = [[0.0; 2]; 256];
        h[0] = [-5.0, 1.0];
        h[1] = [1.0, 10.0];
        let leaf = LeafSums {
            grad: -4.0,
            hess: 11.0,
            count: 11,
        };
        let mut p = params();
        p.min_data_in_leaf = 2;
        assert!(best_for_feature(0, &h, 2, false, FirstBin::Stored, leaf, &p).is_none());
        p.min_data_in_leaf = 1;
        assert!(best_for_feature(0, &h, 2, false, FirstBin::Stored, leaf, &p).is_some());
        p.min_gain_to_split = 1e9;
        assert!(best_for_feature(0, &h, 2, false, FirstBin::Stored, leaf, &p).is_none());
    }

    #[test]
    fn l1_l2_shrink_outputs() {
        let mut p = params();
        assert_eq!(p.leaf_output_with(-4.0, 2.0, 0.0), 2.0);
        p.lambda_l2 = 2.0;
        assert_eq!(p.leaf_output_with(-4.0, 2.0, 0.0), 1.0);
        p.lambda_l1 = 1.0;
        assert_eq!(p.leaf_output_with(-4.0, 2.0, 0.0), 0.75);
        assert_eq!(p.leaf_output_with(0.5, 2.0, 0.0), 0.0);
    }

    #[test]
    fn ties_prefer_the_smaller_feature() {
        let s = |feature, gain| SplitInfo {
            feature,
            threshold_bin: 0,
            default_left: false,
            gain,
            left: [0.0; 2],
            right: [0.0; 2],
            left_bins: None,
            extra_l2: 0.0,
        };
        assert_eq!(better(Some(s(3, 1.0)), Some(s(1, 1.0))).unwrap().feature, 1);
        assert_eq!(better(Some(s(1, 1.0)), Some(s(3, 1.0))).unwrap().feature, 1);
        assert_eq!(better(Some(s(1, 1.0)), Some(s(3, 2.0))).unwrap().feature, 3);
    }
}
