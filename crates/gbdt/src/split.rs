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
    if n_value_bins <= MAX_CANDIDATES + 1 && vector_gains() {
        scan.right_to_left_batched(hist, n_value_bins);
    } else {
        scan.right_to_left(hist, n_value_bins);
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
    /// The estimated row count of hessian `h` ([`estimated_rows`]).
    #[inline(always)]
    fn count(&self, h: f64) -> i64 {
        estimated_rows(h, self.cnt_factor)
    }

    /// Keeps the split at bin `t` with left sums `left` when its gain beats the best so far
    /// (ties keep the first).
    #[inline(always)]
    fn consider(&mut self, t: usize, default_left: bool, left: [f64; 2]) {
        let gain = self.gain(left);
        if gain > self.best_gain {
            self.keep(t, default_left, left, gain);
        }
    }

    /// Right to left over the value bins, NaN staying left: the right side accumulates bins
    /// until it holds enough rows and hessian, and the scan stops when the left side no
    /// longer does. Each threshold in between is considered in turn.
    fn right_to_left(&mut self, hist: &[[f64; 2]], n_value_bins: usize) {
        Walk::new(self).run(hist, n_value_bins, |t, left| self.consider(t, true, left));
    }

    /// [`right_to_left`](Self::right_to_left) in three passes, the same result to the bit:
    /// the walk lists the thresholds it would consider, then every listed threshold's gain is
    /// computed in a loop of independent operations (vectorised where the CPU has AVX-512),
    /// then the first largest gain is kept. The one-threshold-at-a-time scan spent most of
    /// its time on the two gains' scalar arithmetic, two divisions included.
    fn right_to_left_batched(&mut self, hist: &[[f64; 2]], n_value_bins: usize) {
        let mut list = Candidates::new();
        // At most `n_value_bins - 1 <= MAX_CANDIDATES` pushes (the caller checked).
        Walk::new(self).run(hist, n_value_bins, |t, left| list.push(t, left));
        let n = list.n;
        let mut gains = [0.0f64; MAX_CANDIDATES];
        let listed = Listed {
            g: &list.g[..n],
            h: &list.h[..n],
            leaf: self.leaf,
            p: self.p,
        };
        let pick = listed.gains(&mut gains[..n], self.best_gain);
        if let Some(i) = pick {
            self.keep(
                usize::from(list.t[i]),
                true,
                [list.g[i], list.h[i]],
                gains[i],
            );
        }
    }

    /// The gain of the split with left sums `left`: both sides' leaf gains, as LightGBM.
    #[inline(always)]
    fn gain(&self, left: [f64; 2]) -> f64 {
        split_gain(self.leaf, self.p, left)
    }

    /// Records the split at bin `t` with left sums `left` and gain `gain` as the best.
    #[inline(always)]
    fn keep(&mut self, t: usize, default_left: bool, left: [f64; 2], gain: f64) {
        let leaf = self.leaf;
        self.best_gain = gain;
        self.best = Some(SplitInfo {
            feature: self.feature,
            threshold_bin: t,
            default_left,
            gain: gain - self.min_gain_shift,
            left,
            right: [leaf.grad - left[0], leaf.hess - left[1]],
            left_bins: None,
            extra_l2: 0.0,
        });
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

/// Gain of a split of `leaf` with left sums `left` (the right side is the rest).
#[inline(always)]
fn split_gain(leaf: LeafSums, p: &SplitParams, left: [f64; 2]) -> f64 {
    let right = [leaf.grad - left[0], leaf.hess - left[1]];
    p.leaf_gain(left[0], left[1]) + p.leaf_gain(right[0], right[1])
}

/// Most thresholds one batched scan lists: a feature has at most 256 value bins (bins are
/// stored as `u8`), so at most 255 thresholds; wider histograms take the scalar scan.
const MAX_CANDIDATES: usize = 256;

/// The thresholds a right-to-left walk lets through, in walk order: the left side's gradient
/// and hessian sums and the threshold bin of each.
struct Candidates {
    g: [f64; MAX_CANDIDATES],
    h: [f64; MAX_CANDIDATES],
    t: [u16; MAX_CANDIDATES],
    n: usize,
}

impl Candidates {
    fn new() -> Self {
        Candidates {
            g: [0.0; MAX_CANDIDATES],
            h: [0.0; MAX_CANDIDATES],
            t: [0; MAX_CANDIDATES],
            n: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, t: usize, left: [f64; 2]) {
        let i = self.n;
        self.g[i] = left[0];
        self.h[i] = left[1];
        // `t < MAX_CANDIDATES <= u16::MAX`.
        self.t[i] = t as u16;
        self.n = i + 1;
    }
}

/// The right-to-left walk's running sums: the right side's gradient, hessian and estimated
/// rows.
struct Walk {
    acc: [f64; 2],
    acc_cnt: i64,
    leaf: LeafSums,
    cnt_factor: f64,
    min_data: i64,
    min_hess: f64,
}

impl Walk {
    fn new(scan: &Scan<'_>) -> Self {
        Walk {
            acc: [0.0; 2],
            acc_cnt: 0,
            leaf: scan.leaf,
            cnt_factor: scan.cnt_factor,
            min_data: scan.p.min_data_in_leaf as i64,
            min_hess: scan.p.min_sum_hessian_in_leaf,
        }
    }

    /// Walks the value bins right to left, NaN staying left: the right side accumulates bins
    /// until it holds enough rows and hessian, and the walk stops when the left side no longer
    /// does. `visit(t, left)` sees each threshold `t` in between with the left side's sums.
    #[inline(always)]
    fn run(
        mut self,
        hist: &[[f64; 2]],
        n_value_bins: usize,
        mut visit: impl FnMut(usize, [f64; 2]),
    ) {
        for b in (1..n_value_bins).rev() {
            let e = hist[b];
            self.acc[0] += e[0];
            self.acc[1] += e[1];
            self.acc_cnt += estimated_rows(e[1], self.cnt_factor);
            if self.acc_cnt < self.min_data || self.acc[1] < self.min_hess {
                continue;
            }
            let left_cnt = self.leaf.count as i64 - self.acc_cnt;
            let left_h = self.leaf.hess - self.acc[1];
            if left_cnt < self.min_data || left_h < self.min_hess {
                break;
            }
            visit(b - 1, [self.leaf.grad - self.acc[0], left_h]);
        }
    }
}

/// The estimated row count of hessian `h`, `round(h · rows / H)` with `factor = rows / H`, by
/// `+ 0.5` and truncation rather than `round()`, a libm call on the baseline x86-64 target (no
/// SSE4.1); hessians are >= 0, so both round half up (as LightGBM).
#[inline(always)]
fn estimated_rows(h: f64, factor: f64) -> i64 {
    (h * factor + 0.5) as i64
}

/// Whether [`Listed::gains`] runs a vector build here (AVX2, or AVX-512 where present).
/// Without one, the gains loop is the scalar arithmetic of the fused scan plus the listing's
/// cost, so the scan considers thresholds one at a time instead.
fn vector_gains() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        cartera_core::dots::has_avx2_fma()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A feature's listed thresholds: the left side's gradient and hessian sums of each, with
/// the leaf they split and the parameters.
struct Listed<'a> {
    g: &'a [f64],
    h: &'a [f64],
    leaf: LeafSums,
    p: &'a SplitParams,
}

impl Listed<'_> {
    /// `out[i]` = the gain of the split with left sums `(g[i], h[i])`, and the first `i` of
    /// the largest gain above `floor` ([`first_largest`]): an AVX-512 or AVX2 build where the
    /// CPU has it (the same operations on eight or four thresholds at a time, so the same
    /// bits).
    fn gains(&self, out: &mut [f64], floor: f64) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        {
            if cartera_core::dots::has_avx512() {
                // SAFETY: the CPU has AVX-512F (checked just above), all the build needs.
                #[allow(unsafe_code)]
                return unsafe { self.gains_avx512(out, floor) };
            }
            if cartera_core::dots::has_avx2_fma() {
                // SAFETY: the CPU has AVX2 (checked just above), all the build needs.
                #[allow(unsafe_code)]
                return unsafe { self.gains_avx2(out, floor) };
            }
        }
        self.gains_with(out, floor)
    }

    /// [`Self::gains_with`] compiled for AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn gains_avx512(&self, out: &mut [f64], floor: f64) -> Option<usize> {
        self.gains_with(out, floor)
    }

    /// [`Self::gains_with`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn gains_avx2(&self, out: &mut [f64], floor: f64) -> Option<usize> {
        self.gains_with(out, floor)
    }

    /// The gains loop (each threshold independent of the others, so the compiler vectorises
    /// it), then the pick.
    #[inline(always)]
    fn gains_with(&self, out: &mut [f64], floor: f64) -> Option<usize> {
        // The parameters copied first: read through `self` inside the loop, the compiler could
        // not tell that the writes to `out` leave them alone, and neither vectorised the loop
        // nor kept them in registers (16 % more instructions in a whole small fit).
        let (leaf, p) = (self.leaf, *self.p);
        for ((o, &g), &h) in out.iter_mut().zip(self.g).zip(self.h) {
            *o = split_gain(leaf, &p, [g, h]);
        }
        first_largest(out, floor)
    }
}

/// The first `i` whose `gains[i]` is the largest gain and above `floor` (NaN never), which a
/// scan keeping each gain above the best so far picks, in two passes without a branch on the
/// data: the lane-wise maxima (vectorised), then the first gain equal to their largest. The
/// scan's branch was taken about every other threshold while the gains climbed to their peak,
/// a fifth of the split search in mispredictions.
#[inline(always)]
fn first_largest(gains: &[f64], floor: f64) -> Option<usize> {
    const W: usize = 8;
    let mut lanes = [f64::NEG_INFINITY; W];
    let chunks = gains.chunks_exact(W);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &g) in lanes.iter_mut().zip(c) {
            *l = if g > *l { g } else { *l };
        }
    }
    for (l, &g) in lanes.iter_mut().zip(rest) {
        *l = if g > *l { g } else { *l };
    }
    let m = lanes
        .iter()
        .fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
    if m > floor {
        gains.iter().position(|&g| g == m)
    } else {
        None
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

    /// The batched right-to-left scan (walk, gains in a vector loop, first largest gain)
    /// picks the same threshold with the same sums and gain, to the bit, as considering one
    /// threshold at a time: over random histograms with empty bins, repeated entries (ties),
    /// hessians that rounding left slightly negative (subtracted histograms), and regularised,
    /// size-constrained parameters. Fails if the gains loop drifts from `consider`'s arithmetic
    /// or the pick stops keeping the first of equal gains.
    #[test]
    fn batched_scan_is_the_scalar_scan() {
        let mut rng = cartera_core::CarteraRng::seed_from_u64(11);
        let mut u = move || rng.uniform();
        let mut found = 0;
        for case in 0..3000 {
            let n_bins = 2 + (u() * 255.0) as usize;
            let p = SplitParams {
                lambda_l1: if case % 3 == 0 { u() * 2.0 } else { 0.0 },
                lambda_l2: if case % 4 == 0 { u() * 5.0 } else { 0.0 },
                min_data_in_leaf: [1, 5, 20, 200][case % 4],
                min_sum_hessian_in_leaf: [1e-3, 0.0, 1.0][case % 3],
                min_gain_to_split: 0.0,
            };
            let repeated = [u() - 0.5, 0.1 + u()];
            let hist: Vec<[f64; 2]> = (0..n_bins)
                .map(|_| match (u() * 10.0) as usize {
                    0 => [0.0, 0.0],
                    1 => [1e-17 * (u() - 0.5), -1e-17 * u()],
                    2 | 3 => repeated,
                    _ => {
                        let h = u() * 3.0;
                        [(u() - 0.5) * h, h]
                    }
                })
                .collect();
            let leaf = LeafSums {
                grad: hist.iter().map(|e| e[0]).sum(),
                hess: hist.iter().map(|e| e[1]).sum::<f64>().max(1e-3),
                count: 10 + (u() * 5000.0) as usize,
            };
            let scan = |batched: bool| {
                let min_gain_shift = p.leaf_gain(leaf.grad, leaf.hess);
                let mut s = Scan {
                    feature: 0,
                    leaf,
                    p: &p,
                    min_gain_shift,
                    cnt_factor: leaf.count as f64 / leaf.hess,
                    best: None,
                    best_gain: min_gain_shift,
                };
                if batched {
                    s.right_to_left_batched(&hist, n_bins);
                } else {
                    s.right_to_left(&hist, n_bins);
                }
                (s.best, s.best_gain.to_bits())
            };
            let (one, batched) = (scan(false), scan(true));
            assert_eq!(one, batched, "case {case}");
            if let Some(b) = one.0 {
                found += 1;
                assert_eq!(b.gain.to_bits(), batched.0.unwrap().gain.to_bits());
            }
        }
        // Most cases split somewhere, so the comparison is not only of `None`s.
        assert!(found > 1500, "{found} splits");
    }

    /// Every build of the gains loop (scalar, AVX2, AVX-512 where the CPU has them) gives each
    /// threshold `split_gain`'s bits, including sides whose hessian plus L2 is not positive
    /// (gain 0) and L1-thresholded gradients.
    #[test]
    fn every_gains_build_is_split_gain() {
        let mut rng = cartera_core::CarteraRng::seed_from_u64(5);
        let mut u = move || rng.uniform();
        for case in 0..200 {
            let p = SplitParams {
                lambda_l1: if case % 2 == 0 { u() } else { 0.0 },
                lambda_l2: if case % 3 == 0 { u() * 3.0 } else { 0.0 },
                min_data_in_leaf: 1,
                min_sum_hessian_in_leaf: 0.0,
                min_gain_to_split: 0.0,
            };
            let n = 1 + case % 37;
            let g: Vec<f64> = (0..n).map(|_| (u() - 0.5) * 4.0).collect();
            let h: Vec<f64> = (0..n)
                .map(|_| if u() < 0.2 { -1e-17 } else { u() * 4.0 })
                .collect();
            let leaf = LeafSums {
                grad: u() - 0.5,
                hess: 2.0 + u(),
                count: 100,
            };
            let want: Vec<u64> = (0..n)
                .map(|i| split_gain(leaf, &p, [g[i], h[i]]).to_bits())
                .collect();
            let bits = |out: &[f64]| out.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let floor = (u() - 0.5) * 2.0;
            let pick = scan_pick(
                &want.iter().map(|&b| f64::from_bits(b)).collect::<Vec<_>>(),
                floor,
            );
            let listed = Listed {
                g: &g,
                h: &h,
                leaf,
                p: &p,
            };
            let mut out = vec![0.0; n];
            assert_eq!(listed.gains_with(&mut out, floor), pick);
            assert_eq!(bits(&out), want);
            assert_eq!(listed.gains(&mut out, floor), pick);
            assert_eq!(bits(&out), want);
            #[cfg(target_arch = "x86_64")]
            {
                if cartera_core::dots::has_avx2_fma() {
                    out.fill(0.0);
                    // SAFETY: the CPU has AVX2 (checked just above).
                    #[allow(unsafe_code)]
                    let got = unsafe { listed.gains_avx2(&mut out, floor) };
                    assert_eq!(got, pick);
                    assert_eq!(bits(&out), want);
                }
                if cartera_core::dots::has_avx512() {
                    out.fill(0.0);
                    // SAFETY: the CPU has AVX-512F (checked just above).
                    #[allow(unsafe_code)]
                    let got = unsafe { listed.gains_avx512(&mut out, floor) };
                    assert_eq!(got, pick);
                    assert_eq!(bits(&out), want);
                }
            }
        }
    }

    /// The pick of a scan that keeps each gain above the best so far (the first of equals).
    fn scan_pick(gains: &[f64], floor: f64) -> Option<usize> {
        let (mut best, mut pick) = (floor, None);
        for (i, &g) in gains.iter().enumerate() {
            if g > best {
                best = g;
                pick = Some(i);
            }
        }
        pick
    }

    #[test]
    fn first_largest_is_the_scans_pick() {
        let mut rng = cartera_core::CarteraRng::seed_from_u64(8);
        for case in 0..3000 {
            let n = case % 40;
            // Few distinct values so that ties are common; NaN and signed zeros mixed in.
            let gains: Vec<f64> = (0..n)
                .map(|_| match (rng.uniform() * 10.0) as u32 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f64::NEG_INFINITY,
                    k => f64::from(k) - 6.0 + (rng.uniform() * 3.0).floor(),
                })
                .collect();
            for floor in [f64::NEG_INFINITY, -1.0, -0.0, 0.0, 1.5] {
                assert_eq!(
                    first_largest(&gains, floor),
                    scan_pick(&gains, floor),
                    "{gains:?} above {floor}"
                );
            }
        }
    }
}
