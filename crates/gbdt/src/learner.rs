//! Leaf-wise (best-first) growth of one tree on binned data (LightGBM's serial tree learner).
//!
//! Each round: build the smaller child's histogram, derive the larger child's by subtraction
//! from the parent's, search both children's best splits, then split the leaf with the largest
//! gain (ties: the smaller leaf index) until `num_leaves` is reached or no split passes the
//! constraints.
//!
//! A feature is searched in a leaf's children only if the leaf's own search found a valid split
//! on it (a threshold passing the size constraints with a gain above the leaf's plus
//! `min_gain_to_split`), as LightGBM's `SerialTreeLearner::FindBestSplits` does with
//! `FeatureHistogram::is_splittable`: the root searches every feature of the tree (those drawn
//! by `feature_fraction`), and once a feature has no valid split in a leaf it is searched in
//! none of the leaf's descendants, numerical and categorical features alike. Nor are their
//! histograms built or subtracted there (LightGBM builds none either): a group's histogram is
//! built only when one of its features is searched.

use rayon::prelude::*;

use crate::binning::BinnedData;
use crate::bundle::FeatureGroups;
use crate::histogram::{self, Entry, FeatureHist, Hist, LeafRows};
use crate::objective::GradPair;
use crate::partition::DataPartition;
use crate::split::{
    CatParams, LeafSums, SplitInfo, SplitParams, best_categorical, best_for_feature, better,
};
use crate::tree::{Decision, MissingType, Tree};

/// A split in bin units, for scoring binned rows (training and validation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BinSplit {
    /// Used-feature index.
    pub feature: usize,
    /// Bins `<= threshold_bin` go left.
    pub threshold_bin: u8,
    /// Whether the NaN bin goes left.
    pub default_left: bool,
    /// The NaN bin of the feature, if any.
    pub nan_bin: Option<u8>,
    /// Categorical split: the bins that go left (see [`SplitInfo::left_bins`]).
    pub left_bins: Option<[u64; 4]>,
}

impl BinSplit {
    #[inline]
    fn goes_left(&self, b: u8) -> bool {
        if let Some(set) = &self.left_bins {
            return set[b as usize / 64] >> (b % 64) & 1 == 1;
        }
        if Some(b) == self.nan_bin {
            self.default_left
        } else {
            b <= self.threshold_bin
        }
    }
}

/// A grown tree (leaf values before shrinkage) and its splits in bin units.
pub(crate) struct GrownTree {
    pub tree: Tree,
    pub bin_splits: Vec<BinSplit>,
}

impl GrownTree {
    /// The leaf of a binned row (used features only).
    #[inline]
    pub fn leaf_of_binned(&self, row: &[u8]) -> usize {
        if self.bin_splits.is_empty() {
            return 0;
        }
        let mut node = 0usize;
        loop {
            let s = &self.bin_splits[node];
            let next = if s.goes_left(row[s.feature]) {
                self.tree.left_child[node]
            } else {
                self.tree.right_child[node]
            };
            if next < 0 {
                return (!next) as usize;
            }
            node = next as usize;
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct LeafState {
    sums: LeafSums,
    depth: usize,
    /// Internal node pointing at this leaf and whether as its left child.
    parent: Option<(usize, bool)>,
    best: Option<SplitInfo>,
    /// L2 penalty added to this leaf's output (made by a many-vs-many categorical split).
    extra_l2: f64,
}

/// Tree-growth limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GrowParams {
    pub split: SplitParams,
    pub cat: CatParams,
    pub num_leaves: usize,
    /// `None` = no depth limit.
    pub max_depth: Option<usize>,
}

/// How the histograms of a training set are built: its feature groups and the col-wise
/// passes over them. Fixed for a fit, read by every [`Learner`] of it.
pub(crate) struct Layout {
    groups: FeatureGroups,
    /// The col-wise histogram passes over `groups`.
    plan: histogram::Plan,
}

impl Layout {
    /// The groups of `data` (Exclusive Feature Bundling when `bundle`, see [`crate::bundle`])
    /// and their histogram plan.
    pub fn new(data: &BinnedData, bundle: bool) -> Self {
        let groups = FeatureGroups::build(data, bundle);
        Layout {
            plan: histogram::Plan::new(&groups),
            groups,
        }
    }
}

/// The reusable state of tree growth: histograms pool and partition, over a shared
/// [`Layout`]. A multiclass fit keeps up to one per thread, so a round's trees can grow side
/// by side. `E` is a histogram entry: `f64` sums of `f32` gradient pairs, or packed quantized
/// sums (`i64`, see [`crate::quantize`]).
pub(crate) struct Learner<'a, E: Entry> {
    data: &'a BinnedData,
    params: GrowParams,
    groups: &'a FeatureGroups,
    plan: &'a histogram::Plan,
    /// One group histogram set per leaf.
    hists: Vec<Vec<Hist<E>>>,
    /// Gradient and hessian of one step of the tree being grown's entries (quantized pairs).
    scale: [f64; 2],
    /// Per leaf, per used feature: whether the leaf's search found a valid split on it
    /// (LightGBM's `FeatureHistogram::is_splittable`); only those are searched in its children.
    splittable: Vec<Vec<bool>>,
    /// The features searched in the leaves being searched (scratch).
    search: Vec<bool>,
    /// The groups whose histograms those leaves need: the groups of the searched features
    /// (scratch).
    need: Vec<bool>,
    /// The gradient pairs of the leaf being built, in its row order, at the front: as long as
    /// the table from the start, so that a gather never writes zeros first.
    ordered: Vec<E::Pair>,
    partition: DataPartition,
}

/// The rows a histogram build reads ([`Learner::build_hist`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Every row of the table, in order.
    All,
    /// The leaf's rows, whose pairs are to be gathered first.
    Gather,
    /// The leaf's rows, whose pairs the partition gathered already.
    Gathered,
}

/// Rows per parallel block of [`gather`]: below two blocks the leaf is gathered on the
/// calling thread (a fork-join costs about as much as gathering a few thousand pairs).
const GATHER_BLOCK: usize = 16_384;

/// `out[i] = gh[rows[i]]`, in parallel blocks for a large leaf. Each pair is copied, so the
/// result does not depend on the blocks; the random reads of `gh` (a table of several MB)
/// are what takes the time, and two threads issue twice as many.
fn gather<P: Copy + Send + Sync>(gh: &[P], rows: &[u32], out: &mut [P]) {
    let copy = |out: &mut [P], rows: &[u32]| {
        for (o, &r) in out.iter_mut().zip(rows) {
            *o = gh[r as usize];
        }
    };
    if rows.len() < 2 * GATHER_BLOCK {
        copy(out, rows);
    } else {
        out.par_chunks_mut(GATHER_BLOCK)
            .zip(rows.par_chunks(GATHER_BLOCK))
            .for_each(|(o, r)| copy(o, r));
    }
}

/// Rows per block of [`sum_of_rows`]. Part of the models' arithmetic: the blocks fix the
/// association of the root's sums, so changing it can move a model's last bits.
const SUM_BLOCK: usize = 16_384;

/// The sum of the pairs of `rows`: blocks of [`SUM_BLOCK`] rows summed in row order in
/// parallel, then the block sums in block order, so the association is fixed by the rows
/// alone, whatever the thread count. (One thread summing a 300,000-row root took about 3 ns
/// per row, 4 % of a fit.)
fn sum_of_rows<E: Entry>(gh: &[E::Pair], rows: &[u32]) -> E {
    let sum = |rows: &[u32]| {
        rows.iter().fold(E::ZERO, |mut s, &r| {
            s.add_pair(&gh[r as usize]);
            s
        })
    };
    let blocks: Vec<E> = rows.par_chunks(SUM_BLOCK).map(sum).collect();
    blocks.iter().fold(E::ZERO, |mut s, b| {
        s.add(b);
        s
    })
}

impl<'a, E: Entry> Learner<'a, E> {
    /// Allocate every buffer once for trees of at most `params.num_leaves` leaves on `data`
    /// laid out by `layout` (built from `data`).
    pub fn new(data: &'a BinnedData, layout: &'a Layout, params: GrowParams) -> Self {
        let ng = layout.groups.n_groups();
        Learner {
            data,
            params,
            plan: &layout.plan,
            groups: &layout.groups,
            hists: (0..params.num_leaves)
                .map(|_| histogram::new_hist(ng))
                .collect(),
            scale: [1.0, 1.0],
            splittable: vec![vec![false; data.n_used()]; params.num_leaves],
            search: vec![false; data.n_used()],
            need: vec![false; ng],
            ordered: vec![E::ZERO_PAIR; data.n_rows],
            partition: DataPartition::new(data.n_rows, params.num_leaves),
        }
    }

    /// The partition of the last grown tree (rows per leaf).
    pub fn partition(&self) -> &DataPartition {
        &self.partition
    }

    fn can_split(&self, s: &LeafState) -> bool {
        let p = &self.params.split;
        self.params.max_depth.is_none_or(|d| s.depth < d)
            && s.sums.count >= 2 * p.min_data_in_leaf.max(1)
            && s.sums.hess >= 2.0 * p.min_sum_hessian_in_leaf
    }

    /// The best split of leaf `leaf` (sums `sums`) on used feature `j`; `fh` is scratch for
    /// a bundled feature's own histogram.
    fn best_on(
        &self,
        leaf: usize,
        sums: LeafSums,
        j: usize,
        fh: &mut FeatureHist,
    ) -> Option<SplitInfo> {
        let p = &self.params.split;
        // The feature's histogram from its group's: its own bins at its offset, the default
        // bin as the leaf's total minus the others.
        let s = self.groups.slots[j];
        let gh = &self.hists[leaf][s.group];
        let scale = self.scale;
        let m = &self.data.mappers[self.data.used[j]];
        let (nv, nan) = (m.n_value_bins(), m.has_nan);
        // The feature's `f64` histogram: the group's own entries when they are `f64` pairs and
        // the feature has the group to itself, else converted (and, in a bundle, its default
        // bin rebuilt) in `fh`; then one call of the search.
        let h: &[[f64; 2]] = match (s.direct, E::as_pairs(&gh[..s.n_bins])) {
            (true, Some(pairs)) => pairs,
            (true, None) => {
                for (f, e) in fh.iter_mut().zip(&gh[..s.n_bins]) {
                    *f = e.pair(scale);
                }
                &fh[..s.n_bins]
            }
            (false, _) => {
                let mut rest = [sums.grad, sums.hess];
                for b in (0..s.n_bins).filter(|&b| b != s.default_bin) {
                    let e = gh[s.group_bin(b)].pair(scale);
                    fh[b] = e;
                    rest[0] -= e[0];
                    rest[1] -= e[1];
                }
                fh[s.default_bin] = rest;
                &fh[..s.n_bins]
            }
        };
        if m.categories.is_some() {
            best_categorical(j, h, nv, sums, p, &self.params.cat)
        } else {
            best_for_feature(j, h, nv, nan, m.first_bin, sums, p)
        }
    }

    /// The best split of each leaf of `leaves` (`None` entries are not searched) on the
    /// features of `self.search`, searched in one parallel pass over (leaf, feature) pairs: one
    /// fork-join per split of the tree rather than one per child, which matters when a fork
    /// costs as much as a small leaf's search. Records which features each searched leaf can
    /// split on (`self.splittable`).
    fn find_best(&mut self, leaves: [Option<(usize, LeafSums)>; 2]) -> [Option<SplitInfo>; 2] {
        let nu = self.data.n_used();
        let this = &*self;
        let found: Vec<Option<SplitInfo>> = (0..2 * nu)
            .into_par_iter()
            .map_init(
                || [[0.0f64; 2]; 256],
                |fh, i| {
                    let (side, j) = (i / nu, i % nu);
                    let (leaf, sums) = leaves[side]?;
                    if !this.search[j] {
                        return None;
                    }
                    this.best_on(leaf, sums, j, fh)
                },
            )
            .collect();
        // A feature not searched (or without a valid split) is not splittable in the leaf.
        for (side, found) in found.chunks(nu.max(1)).enumerate() {
            if let Some((leaf, _)) = leaves[side] {
                for (s, f) in self.splittable[leaf].iter_mut().zip(found) {
                    *s = f.is_some();
                }
            }
        }
        // Reduce in feature order so ties go to the smaller feature index.
        let (left, right) = found.split_at(nu);
        let pick = |h: &[Option<SplitInfo>]| h.iter().copied().fold(None, better);
        [pick(left), pick(right)]
    }

    /// Mark the groups of the features of `self.search` in `self.need`.
    fn need_searched_groups(&mut self) {
        self.need.fill(false);
        for (j, _) in self.search.iter().enumerate().filter(|(_, s)| **s) {
            self.need[self.groups.slots[j].group] = true;
        }
    }

    /// Build the histograms of the groups of `self.need` on the rows of partition leaf `leaf`
    /// into `hists[slot]`; with `parent` (a slot before `slot`), subtract them from that
    /// slot's as they are built.
    fn build_hist(
        &mut self,
        gh: &[E::Pair],
        leaf: usize,
        slot: usize,
        rows: Rows,
        parent: Option<usize>,
    ) {
        let leaf_rows = match rows {
            Rows::All => LeafRows::All(gh),
            Rows::Gather | Rows::Gathered => {
                let of_leaf = self.partition.rows(leaf);
                if rows == Rows::Gather {
                    gather(gh, of_leaf, &mut self.ordered[..of_leaf.len()]);
                }
                LeafRows::Some {
                    rows: of_leaf,
                    ordered: &self.ordered[..of_leaf.len()],
                }
            }
        };
        let (head, tail) = self.hists.split_at_mut(slot);
        histogram::build(
            self.groups,
            self.plan,
            leaf_rows,
            &mut tail[0],
            &self.need,
            parent.map(|p| &mut head[p][..]),
        );
    }

    /// Grow one tree on gradients `gh` (one pair per training row; `scale`: the gradient and
    /// hessian of one step of a quantized pair, ignored by `f64` sums) over `rows` (all rows
    /// when `None`), searching only the used features with `features[j]`. With `renew` (the
    /// rows' unquantized pairs), each leaf's value is taken from the sums of its rows' pairs
    /// rather than from the sums of `gh`, with `lambda_l1` and `lambda_l2` only (LightGBM's
    /// `quant_train_renew_leaf`).
    pub fn grow(
        &mut self,
        gh: &[E::Pair],
        scale: [f64; 2],
        rows: Option<&[u32]>,
        features: &[bool],
        renew: Option<&[GradPair]>,
    ) -> GrownTree {
        let data = self.data;
        let nu = data.n_used();
        self.scale = scale;
        self.partition.reset(data.n_rows, rows);
        let root_rows = self.partition.rows(0);
        let root_count = root_rows.len();
        let [g, h] = sum_of_rows::<E>(gh, root_rows).pair(scale);
        // The root searches every feature of the tree.
        self.search.copy_from_slice(features);
        self.need_searched_groups();
        if nu > 0 {
            let all = if rows.is_none() {
                Rows::All
            } else {
                Rows::Gather
            };
            self.build_hist(gh, 0, 0, all, None);
        }
        let p = self.params.split;
        let root_sums = LeafSums {
            grad: g,
            hess: h,
            count: root_count,
        };
        let mut leaves = vec![LeafState {
            sums: root_sums,
            depth: 0,
            parent: None,
            best: None,
            extra_l2: 0.0,
        }];
        if nu > 0 && self.can_split(&leaves[0]) {
            leaves[0].best = self.find_best([Some((0, root_sums)), None])[0];
        }

        let mut tree = Tree::constant(0.0, 0.0, 0.0);
        tree.leaf_value.clear();
        tree.leaf_weight.clear();
        tree.leaf_count.clear();
        let mut bin_splits = Vec::new();

        while leaves.len() < self.params.num_leaves {
            // Largest gain; ties go to the smaller leaf index.
            let mut pick: Option<(usize, f64)> = None;
            for (l, s) in leaves.iter().enumerate() {
                if let Some(b) = s.best
                    && pick.is_none_or(|(_, g)| b.gain > g)
                {
                    pick = Some((l, b.gain));
                }
            }
            let Some((leaf, _)) = pick else { break };
            let state = leaves[leaf];
            let Some(split) = state.best else { break };
            let node = tree.split_feature.len();
            let new_leaf = leaves.len();

            // Record the internal node and rewire the parent to it.
            let j = split.feature;
            let f = data.used[j];
            let mapper = &data.mappers[f];
            tree.split_feature.push(f as u32);
            match (&mapper.categories, split.left_bins) {
                (Some(cats), Some(set)) => {
                    let bits = cats.code_bitset(&set);
                    if tree.cat_boundaries.is_empty() {
                        tree.cat_boundaries.push(0);
                    }
                    tree.threshold.push((tree.cat_boundaries.len() - 1) as f64);
                    tree.cat_threshold.extend_from_slice(&bits);
                    tree.cat_boundaries.push(tree.cat_threshold.len() as u32);
                    tree.decision.push(Decision {
                        categorical: true,
                        default_left: false,
                        missing: MissingType::NaN,
                    });
                }
                _ => {
                    tree.threshold.push(mapper.threshold(split.threshold_bin));
                    tree.decision.push(Decision {
                        categorical: false,
                        default_left: split.default_left,
                        missing: if mapper.has_nan {
                            MissingType::NaN
                        } else {
                            MissingType::None
                        },
                    });
                }
            }
            tree.left_child.push(!(leaf as i32));
            tree.right_child.push(!(new_leaf as i32));
            tree.split_gain.push(split.gain);
            tree.internal_value.push(p.leaf_output_with(
                state.sums.grad,
                state.sums.hess,
                state.extra_l2,
            ));
            tree.internal_weight.push(state.sums.hess);
            tree.internal_count.push(state.sums.count as f64);
            if let Some((parent, is_left)) = state.parent {
                if is_left {
                    tree.left_child[parent] = node as i32;
                } else {
                    tree.right_child[parent] = node as i32;
                }
            }
            let bs = BinSplit {
                feature: j,
                threshold_bin: split.threshold_bin as u8,
                default_left: split.default_left,
                nan_bin: mapper.has_nan.then_some(mapper.n_value_bins() as u8),
                left_bins: split.left_bins,
            };
            bin_splits.push(bs);

            // Which group bins go left, read once per group bin rather than per row.
            let slot = self.groups.slots[j];
            let mut goes_left = [false; 256];
            for (gb, l) in goes_left
                .iter_mut()
                .enumerate()
                .take(self.groups.group_bins[slot.group])
            {
                // Feature bins are < 256 (u8 storage), so the cast is exact.
                *l = bs.goes_left(slot.feature_bin(gb) as u8);
            }
            let col = self.groups.col(slot.group);
            // After the tree's last split no leaf is split again: its children's histograms
            // and searches would go unused (LightGBM skips them too). Otherwise the partition
            // also gathers the smaller child's pairs for its histogram.
            let more = leaves.len() + 1 < self.params.num_leaves;
            let (n_left, n_right) = self.partition.split_gathering(
                leaf,
                |r| goes_left[col[r as usize] as usize],
                more.then_some((gh, &mut self.ordered[..])),
            );
            let depth = state.depth + 1;
            let left = LeafState {
                sums: LeafSums {
                    grad: split.left[0],
                    hess: split.left[1],
                    count: n_left,
                },
                depth,
                parent: Some((node, true)),
                best: None,
                extra_l2: split.extra_l2,
            };
            let right = LeafState {
                sums: LeafSums {
                    grad: split.right[0],
                    hess: split.right[1],
                    count: n_right,
                },
                depth,
                parent: Some((node, false)),
                best: None,
                extra_l2: split.extra_l2,
            };
            leaves[leaf] = left;
            leaves.push(right);

            let split_left = more && self.can_split(&left);
            let split_right = more && self.can_split(&right);
            if split_left || split_right {
                // The children search only the features the parent could split on (LightGBM's
                // `is_splittable`), and need only their groups' histograms.
                for (s, (&f, &p)) in self
                    .search
                    .iter_mut()
                    .zip(features.iter().zip(&self.splittable[leaf]))
                {
                    *s = f && p;
                }
                self.need_searched_groups();
                // Build the smaller child into the new leaf's buffer, subtracting it from the
                // parent's (kept in `leaf`'s buffer) pass by pass, then swap if the smaller one
                // was left. Groups not needed hold stale sums in either buffer: no descendant
                // reads them, since a feature not searched here is not searched below.
                let small_is_left = n_left < n_right;
                let small = if small_is_left { leaf } else { new_leaf };
                self.build_hist(gh, small, new_leaf, Rows::Gathered, Some(leaf));
                if small_is_left {
                    self.hists.swap(leaf, new_leaf);
                }
                let [l, r] = self.find_best([
                    split_left.then_some((leaf, left.sums)),
                    split_right.then_some((new_leaf, right.sums)),
                ]);
                leaves[leaf].best = l;
                leaves[new_leaf].best = r;
            }
        }
        // Renewed leaves: each leaf's true sums in its row order (fixed, whatever the thread
        // count), the leaves side by side.
        let part = &self.partition;
        let renewed: Option<Vec<[f64; 2]>> = renew.map(|pairs| {
            (0..leaves.len())
                .into_par_iter()
                .map(|l| {
                    part.rows(l).iter().fold([0.0f64; 2], |mut a, &r| {
                        a.add_pair(&pairs[r as usize]);
                        a
                    })
                })
                .collect()
        });
        for (l, s) in leaves.iter().enumerate() {
            // A renewed leaf drops the extra L2 of a many-vs-many categorical split, as
            // LightGBM's `RenewIntGradTreeOutput` does (it applies `lambda_l1` and `lambda_l2`
            // only).
            let value = match &renewed {
                Some(r) => p.leaf_output_with(r[l][0], r[l][1], 0.0),
                None => p.leaf_output_with(s.sums.grad, s.sums.hess, s.extra_l2),
            };
            tree.leaf_value.push(value);
            tree.leaf_weight.push(s.sums.hess);
            tree.leaf_count.push(s.sums.count as f64);
        }
        GrownTree { tree, bin_splits }
    }
}
