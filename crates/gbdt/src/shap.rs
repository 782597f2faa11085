//! Exact path-dependent TreeSHAP for an [`Ensemble`].
//!
//! Two exact algorithms compute the same Shapley values of the path-dependent value function
//! (Lundberg, Erion & Lee 2018): the expectation of a tree given a coalition `S` follows the
//! row's own direction at splits on features in `S` and weighs both branches by their training
//! covers (`internal_count` / `leaf_count`, as LightGBM and shap do) at the other splits.
//!
//! * [`ShapAlgorithm::Reference`]: Algorithm 2 of the paper, `O(leaves · depth²)` per row and
//!   tree. Kept as the test oracle ([`tree_shap_reference`]).
//! * [`ShapAlgorithm::Fast`] (default): the per-leaf subset tables of Fast TreeSHAP v2 (Yang
//!   2021), `O(leaves · depth)` per row and tree after a one-off precomputation in
//!   [`TreeShap::new`]. For one leaf with value `v` whose root path tests the distinct
//!   features `P` (`D = |P|`), let `z_j` be the product of the cover ratios on the path at the
//!   splits on `j` and `H ⊆ P` the features at which the row follows the path everywhere
//!   ("hot"). The leaf's Shapley contribution to `j ∈ P` is
//!   `(1 - z_j) / z_j · C(H \ {j})` if `j ∈ H` and `-C(H)` otherwise, with
//!   `C(T) = v Σ_{S ⊆ T} |S|! (D - |S| - 1)! / D! · Π_{k ∈ P \ S} z_k`.
//!   `C` is tabulated over all `2^D` subsets (a subset-sum transform, `O(D 2^D)`); a row then
//!   needs its hot set per leaf (one pass over the tree's nodes, children after parents) and
//!   `D` table look-ups per leaf. Trees with a leaf deeper than [`MAX_TABLE_FEATURES`]
//!   distinct features or a zero cover ratio on a path fall back to Algorithm 2, so the result
//!   is exact for every tree.
//!
//! Output follows LightGBM's `pred_contrib`: per row and output, one value per feature, then
//! the expected value; contributions plus expected value equal the raw score.
//!
//! ```
//! use cartera_gbdt::lightgbm::read_lightgbm_model;
//! use cartera_gbdt::shap::TreeShap;
//! use ndarray::array;
//! let text = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n\
//!             max_feature_idx=1\nobjective=regression\nfeature_names=a b\n\n\
//!             Tree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=1\nsplit_gain=1\nthreshold=0.5\n\
//!             decision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=-1 1\n\
//!             leaf_weight=1 3\nleaf_count=1 3\ninternal_value=0\ninternal_weight=4\n\
//!             internal_count=4\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";
//! let model = read_lightgbm_model(text, "stump.txt").unwrap();
//! let shap = TreeShap::new(&model).unwrap();
//! let values = shap.shap_values(array![[0.0, 0.9]].view()).unwrap();
//! // Expected value 0.25 · (-1) + 0.75 · 1 = 0.5; the row scores 1, all of it due to `b`.
//! assert_eq!(values.for_output(0).row(0).to_vec(), vec![0.0, 0.5, 0.5]);
//! ```

use cartera_core::{Error, Float, Result};
use ndarray::{Array3, ArrayView2, ArrayView3, Axis};
use rayon::prelude::*;
use serde::Serialize;

use crate::tree::{Child, Ensemble, Tree, child};

/// Largest number of distinct features on one root-to-leaf path for which the fast algorithm
/// tabulates the leaf (`2^D` values); deeper trees use Algorithm 2.
pub const MAX_TABLE_FEATURES: usize = 14;

/// Deepest tree that Algorithm 2 explains (trees without a table). Its workspace grows with
/// the square of the depth (`path_buffer_len`, 32 bytes an element): 270 MB per thread at
/// this depth, 40 GB at 50,000. Gradient-boosted trees of a few hundred leaves are far
/// shallower; deeper ones are refused with an error naming the tree.
pub const MAX_SHAP_DEPTH: usize = 4096;

/// Values (`f64`) the fast algorithm's tables may hold over all trees, 1 GiB: a tree whose
/// tables would pass it runs Algorithm 2 instead (same values, slower). A complete tree of
/// depth 14 alone tabulates 2^14 values for each of its 16,384 leaves, 2 GiB.
const TABLE_BUDGET: usize = 1 << 27;

/// Rows per parallel block: sized for the data, never by the thread count, so results do not
/// depend on the number of threads (each row is computed independently anyway).
const ROW_BLOCK: usize = 256;

/// Which exact algorithm [`TreeShap`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ShapAlgorithm {
    /// Per-leaf subset tables (Fast TreeSHAP v2), `O(leaves · depth)` per row and tree.
    #[default]
    Fast,
    /// Lundberg et al.'s Algorithm 2 for every tree, `O(leaves · depth²)` per row and tree.
    Reference,
}

/// SHAP values of a batch of rows: `values[[row, output, j]]` is feature `j`'s contribution
/// for `j < n_features` and the expected value for `j = n_features`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapValues {
    /// `n_rows x n_outputs x (n_features + 1)`, standard (row-major) layout.
    pub values: Array3<f64>,
    /// Feature names, one per feature.
    pub feature_names: Vec<String>,
}

impl ShapValues {
    /// Number of explained rows.
    pub fn n_rows(&self) -> usize {
        self.values.len_of(Axis(0))
    }

    /// Number of outputs (1, or the number of classes).
    pub fn n_outputs(&self) -> usize {
        self.values.len_of(Axis(1))
    }

    /// Number of features (the last axis holds one more entry, the expected value; 0 for a
    /// hand-built value of an empty last axis).
    pub fn n_features(&self) -> usize {
        self.values.len_of(Axis(2)).saturating_sub(1)
    }

    /// All values, `n_rows x n_outputs x (n_features + 1)`.
    pub fn view(&self) -> ArrayView3<'_, f64> {
        self.values.view()
    }

    /// The `n_rows x (n_features + 1)` matrix of one output (class): contributions, then the
    /// expected value in the last column (LightGBM's `pred_contrib` layout for one class).
    ///
    /// # Panics
    /// If `output >= self.n_outputs()`.
    pub fn for_output(&self, output: usize) -> ArrayView2<'_, f64> {
        self.values.index_axis(Axis(1), output)
    }

    /// The `n_rows x n_features` contributions of one output, without the expected value.
    ///
    /// # Panics
    /// If `output >= self.n_outputs()`.
    pub fn contributions(&self, output: usize) -> ArrayView2<'_, f64> {
        let d = self.n_features();
        self.for_output(output).slice_move(ndarray::s![.., ..d])
    }

    /// Expected value (base value) of one output: the same for every row. NaN when there are
    /// no rows (it is stored per row; [`TreeShap::expected_values`] has it regardless).
    ///
    /// # Panics
    /// If `output >= self.n_outputs()`.
    pub fn expected_value(&self, output: usize) -> f64 {
        let d = self.n_features();
        if self.n_rows() == 0 {
            // Not stored without rows; callers wanting it then use TreeShap::expected_values.
            return f64::NAN;
        }
        self.values[[0, output, d]]
    }

    /// LightGBM's flat layout, `n_rows x n_outputs·(n_features + 1)`: for each row, output 0's
    /// contributions and expected value, then output 1's, and so on.
    pub fn flat(&self) -> ArrayView2<'_, f64> {
        let (n, k, w) = self.values.dim();
        // `values` is always built in standard layout, so this reshape cannot fail.
        ArrayView2::from_shape((n, k * w), self.values.as_slice().unwrap_or(&[]))
            .unwrap_or_else(|_| unreachable!("values is contiguous n x k x (d+1)"))
    }
}

/// A TreeSHAP explainer for one ensemble, with the fast algorithm's tables precomputed.
///
/// Build it once ([`TreeShap::new`]) and call [`TreeShap::shap_values`] on as many batches as
/// needed; it holds its own copy of the trees and does not borrow the ensemble.
#[derive(Debug, Clone)]
pub struct TreeShap {
    trees: Vec<ShapTree>,
    n_features: usize,
    n_outputs: usize,
    expected: Vec<f64>,
    feature_names: Vec<String>,
    algorithm: ShapAlgorithm,
    max_internal: usize,
    max_leaves: usize,
    max_depth: usize,
}

#[derive(Debug, Clone)]
struct ShapTree {
    tree: Tree,
    output: usize,
    /// Longest root-to-leaf path, in internal nodes.
    depth: usize,
    /// `None`: the tree runs Algorithm 2 (single-leaf trees are skipped entirely).
    table: Option<LeafTables>,
}

/// One tabulated leaf.
#[derive(Debug, Clone, Copy)]
struct LeafInfo {
    /// Number of distinct features on the leaf's path, `D`.
    dim: u8,
    /// Offset of its `D` slots in [`LeafTables::slots`].
    slot_start: u32,
    /// Offset of its `2^D` table in [`LeafTables::c`].
    table_start: u32,
}

/// One distinct feature on a leaf's path.
#[derive(Debug, Clone, Copy)]
struct Slot {
    feature: u32,
    /// `(1 - z_j) / z_j`.
    ratio: f64,
}

/// Fast TreeSHAP v2 tables of one tree.
#[derive(Debug, Clone)]
struct LeafTables {
    /// For each internal node, the position of its feature among the distinct features of the
    /// root path down to it (order of first appearance; shared by every leaf below).
    pos: Vec<u8>,
    /// Per leaf: where its path features and table are.
    leaves: Vec<LeafInfo>,
    /// Path features by position with their `(1 - z_j) / z_j`, leaf after leaf.
    slots: Vec<Slot>,
    /// `C(T)` for every subset `T` of each leaf's path features, leaf after leaf.
    c: Vec<f64>,
}

impl TreeShap {
    /// Precompute the fast algorithm's tables ([`ShapAlgorithm::Fast`]).
    ///
    /// Errors: [`Error::ModelFormat`] if the ensemble is invalid ([`Ensemble::validate`]) or a
    /// cover is not usable (an internal node's count must be positive and finite, a leaf's
    /// count finite and non-negative); [`Error::InvalidData`] for a tree deeper than
    /// [`MAX_SHAP_DEPTH`] that runs Algorithm 2 (one that cannot be tabulated).
    pub fn new(ensemble: &Ensemble) -> Result<Self> {
        Self::with_algorithm(ensemble, ShapAlgorithm::Fast)
    }

    /// Build an explainer running the given algorithm (both are exact; `Reference` is the
    /// slower oracle).
    pub fn with_algorithm(ensemble: &Ensemble, algorithm: ShapAlgorithm) -> Result<Self> {
        ensemble.validate()?;
        let k = ensemble.n_outputs();
        let mut expected = ensemble.init_score.clone();
        let mut trees = Vec::with_capacity(ensemble.trees.len());
        let (mut max_internal, mut max_leaves, mut max_depth) = (0, 0, 0);
        let mut budget = TABLE_BUDGET;
        for (i, t) in ensemble.trees.iter().enumerate() {
            check_covers(t, i)?;
            expected[i % k] += tree_expected_value(t);
            if t.num_internal() == 0 {
                continue;
            }
            let depth = tree_depth(t);
            let table = match algorithm {
                ShapAlgorithm::Fast => build_tables(t, &mut budget),
                ShapAlgorithm::Reference => None,
            };
            max_internal = max_internal.max(t.num_internal());
            max_leaves = max_leaves.max(t.num_leaves());
            if table.is_none() {
                // Only Algorithm 2 needs the path workspace.
                check_depth(depth, i)?;
                max_depth = max_depth.max(depth);
            }
            trees.push(ShapTree {
                tree: t.clone(),
                output: i % k,
                depth,
                table,
            });
        }
        Ok(Self {
            trees,
            n_features: ensemble.n_features,
            n_outputs: k,
            expected,
            feature_names: ensemble.feature_names.clone(),
            algorithm,
            max_internal,
            max_leaves,
            max_depth,
        })
    }

    /// Number of features each row must have.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of outputs (1, or the number of classes).
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// The expected value (base value) of each output: the initial score plus each tree's
    /// cover-weighted mean leaf value.
    pub fn expected_values(&self) -> &[f64] {
        &self.expected
    }

    /// The algorithm this explainer runs.
    pub fn algorithm(&self) -> ShapAlgorithm {
        self.algorithm
    }

    /// Number of trees (with at least one split) that run Algorithm 2 although the fast
    /// algorithm was asked for: those too deep to tabulate, with a zero cover ratio, or whose
    /// tables would pass the 1 GiB the tables of all trees may take.
    pub fn n_reference_trees(&self) -> usize {
        self.trees.iter().filter(|t| t.table.is_none()).count()
    }

    /// SHAP values of every row of `x` (`n_rows x n_features`; NaN is a missing value, routed
    /// as the model's splits say).
    ///
    /// Parallel over blocks of rows; each row's values plus the expected value sum to the
    /// ensemble's raw score ([`Ensemble::predict_raw_row`]) up to rounding.
    ///
    /// Errors: [`Error::ShapeMismatch`] if `x` does not have `n_features` columns,
    /// [`Error::NonFinite`] at the first ±inf (NaN is a missing value, as in prediction).
    pub fn shap_values<F: Float>(&self, x: ArrayView2<'_, F>) -> Result<ShapValues> {
        let d = self.n_features;
        if x.ncols() != d {
            return Err(Error::ShapeMismatch {
                what: "number of features in the rows to explain".into(),
                expected: d,
                found: x.ncols(),
            });
        }
        // As prediction: NaN is missing, ±inf is refused (a split on it has no direction).
        crate::binning::scan_input(x, "rows to explain")?;
        let n = x.nrows();
        let k = self.n_outputs;
        let stride = k * (d + 1);
        let mut out = vec![0.0f64; n * stride];
        out.par_chunks_mut(ROW_BLOCK * stride)
            .enumerate()
            .for_each(|(b, block)| {
                let start = b * ROW_BLOCK;
                let rows = block.len() / stride;
                self.explain_block(x.slice(ndarray::s![start..start + rows, ..]), block);
            });
        let values = Array3::from_shape_vec((n, k, d + 1), out)
            .unwrap_or_else(|_| unreachable!("out has n * k * (d + 1) entries"));
        Ok(ShapValues {
            values,
            feature_names: self.feature_names.clone(),
        })
    }

    /// One block of rows: tree after tree, so each tree's tables stay in cache for the block.
    fn explain_block<F: Float>(&self, x: ArrayView2<'_, F>, out: &mut [f64]) {
        let d = self.n_features;
        let stride = self.n_outputs * (d + 1);
        let n = x.nrows();
        let mut rows = vec![0.0f64; n * d];
        for (r, xr) in x.outer_iter().enumerate() {
            for (dst, v) in rows[r * d..(r + 1) * d].iter_mut().zip(xr.iter()) {
                *dst = v.as_f64();
            }
        }
        let mut node_mask = vec![0u64; self.max_internal];
        let mut leaf_mask = vec![0u64; self.max_leaves];
        let mut path = vec![PathElement::default(); path_buffer_len(self.max_depth)];
        for t in &self.trees {
            let off = t.output * (d + 1);
            for r in 0..n {
                let row = &rows[r * d..(r + 1) * d];
                let phi = &mut out[r * stride + off..r * stride + off + d];
                match &t.table {
                    Some(tab) => fast_tree(&t.tree, tab, row, phi, &mut node_mask, &mut leaf_mask),
                    None => {
                        reference_tree(&t.tree, row, phi, &mut path[..path_buffer_len(t.depth)])
                    }
                }
            }
        }
        for r in 0..n {
            for c in 0..self.n_outputs {
                out[r * stride + c * (d + 1) + d] = self.expected[c];
            }
        }
    }
}

/// The oracle: Algorithm 2 of Lundberg, Erion & Lee (2018) on every tree, for one row.
///
/// `out` receives `n_outputs x (n_features + 1)` values (row-major: per output, the
/// contributions then the expected value), overwriting what it held.
///
/// Errors: [`Error::ShapeMismatch`] for a row or output buffer of the wrong length, and the
/// errors of [`TreeShap::new`].
pub fn tree_shap_reference(ensemble: &Ensemble, row: &[f64], out: &mut [f64]) -> Result<()> {
    ensemble.validate()?;
    let d = ensemble.n_features;
    let k = ensemble.n_outputs();
    if row.len() != d {
        return Err(Error::ShapeMismatch {
            what: "row length".into(),
            expected: d,
            found: row.len(),
        });
    }
    if out.len() != k * (d + 1) {
        return Err(Error::ShapeMismatch {
            what: "output length (n_outputs x (n_features + 1))".into(),
            expected: k * (d + 1),
            found: out.len(),
        });
    }
    out.fill(0.0);
    for (c, v) in ensemble.init_score.iter().enumerate() {
        out[c * (d + 1) + d] = *v;
    }
    for (i, t) in ensemble.trees.iter().enumerate() {
        check_covers(t, i)?;
        let c = i % k;
        out[c * (d + 1) + d] += tree_expected_value(t);
        if t.num_internal() == 0 {
            continue;
        }
        let depth = tree_depth(t);
        check_depth(depth, i)?;
        let mut path = vec![PathElement::default(); path_buffer_len(depth)];
        reference_tree(t, row, &mut out[c * (d + 1)..c * (d + 1) + d], &mut path);
    }
    Ok(())
}

/// Refuses a tree deeper than [`MAX_SHAP_DEPTH`] for Algorithm 2.
fn check_depth(depth: usize, index: usize) -> Result<()> {
    if depth > MAX_SHAP_DEPTH {
        let gb = path_buffer_len(depth) as f64 * std::mem::size_of::<PathElement>() as f64 / 1e9;
        return Err(Error::invalid_data(
            "model",
            format!(
                "tree {index} is {depth} levels deep and has no fast table (more than \
                 {MAX_TABLE_FEATURES} features on a path, a zero cover, or past the tables' \
                 1 GiB); the exact algorithm's workspace grows with the square of the depth \
                 ({gb:.1} GB per thread here), so it explains trees of at most {MAX_SHAP_DEPTH} \
                 levels"
            ),
        ));
    }
    Ok(())
}

fn check_covers(t: &Tree, index: usize) -> Result<()> {
    if let Some((n, c)) = t
        .internal_count
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.is_finite() && **c > 0.0))
    {
        return Err(Error::model_format(format!(
            "tree {index}: internal node {n} has cover (count) {c}; TreeSHAP needs positive covers"
        )));
    }
    if t.num_internal() > 0
        && let Some((l, c)) = t
            .leaf_count
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.is_finite() && **c >= 0.0))
    {
        return Err(Error::model_format(format!(
            "tree {index}: leaf {l} has cover (count) {c}; TreeSHAP needs non-negative covers"
        )));
    }
    Ok(())
}

fn cover(t: &Tree, ptr: i32) -> f64 {
    match child(ptr) {
        Child::Node(n) => t.internal_count[n],
        Child::Leaf(l) => t.leaf_count[l],
    }
}

/// The tree's mean output under the path-dependent distribution: each leaf weighted by the
/// product of cover ratios on its path (LightGBM's count-weighted mean when covers add up).
fn tree_expected_value(t: &Tree) -> f64 {
    if t.num_internal() == 0 {
        return t.leaf_value[0];
    }
    // Children come after their parents, so one forward pass assigns each node its weight.
    let mut w = vec![0.0f64; t.num_internal()];
    w[0] = 1.0;
    let mut e = 0.0;
    for n in 0..t.num_internal() {
        let total = t.internal_count[n];
        for ptr in [t.left_child[n], t.right_child[n]] {
            let wc = w[n] * cover(t, ptr) / total;
            match child(ptr) {
                Child::Node(m) => w[m] = wc,
                Child::Leaf(l) => e += wc * t.leaf_value[l],
            }
        }
    }
    e
}

/// Longest root-to-leaf path in internal nodes.
fn tree_depth(t: &Tree) -> usize {
    let mut depth = vec![0usize; t.num_internal()];
    depth[0] = 1;
    let mut max = 1;
    for n in 0..t.num_internal() {
        for ptr in [t.left_child[n], t.right_child[n]] {
            if let Child::Node(m) = child(ptr) {
                depth[m] = depth[n] + 1;
                max = max.max(depth[m]);
            }
        }
    }
    max
}

// ---------------------------------------------------------------------------------------------
// Algorithm 2 (the oracle and the fallback for deep trees).

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Workspace for Algorithm 2 on a tree of the given depth: each recursion level owns a
/// segment one element longer than its parent's.
fn path_buffer_len(depth: usize) -> usize {
    (depth + 2) * (depth + 3) / 2 + 1
}

fn reference_tree(t: &Tree, row: &[f64], phi: &mut [f64], path: &mut [PathElement]) {
    recurse(t, row, phi, 0, 0, path, 0, 1.0, 1.0, usize::MAX);
}

fn extend_path(p: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: usize) {
    p[depth] = PathElement {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let l1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        p[i + 1].weight += one * p[i].weight * (i + 1) as f64 / l1;
        p[i].weight = zero * p[i].weight * (depth - i) as f64 / l1;
    }
}

fn unwind_path(p: &mut [PathElement], depth: usize, index: usize) {
    let (one, zero) = (p[index].one, p[index].zero);
    let l1 = (depth + 1) as f64;
    let mut next = p[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = p[i].weight;
            p[i].weight = next * l1 / ((i + 1) as f64 * one);
            next = tmp - p[i].weight * zero * (depth - i) as f64 / l1;
        } else {
            p[i].weight = p[i].weight * l1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        p[i].feature = p[i + 1].feature;
        p[i].zero = p[i + 1].zero;
        p[i].one = p[i + 1].one;
    }
}

fn unwound_path_sum(p: &[PathElement], depth: usize, index: usize) -> f64 {
    let (one, zero) = (p[index].one, p[index].zero);
    let l1 = (depth + 1) as f64;
    let mut next = p[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next * l1 / ((i + 1) as f64 * one);
            total += tmp;
            next = p[i].weight - tmp * zero * (depth - i) as f64 / l1;
        } else {
            total += p[i].weight / zero * l1 / (depth - i) as f64;
        }
    }
    total
}

/// One call of Algorithm 2's RECURSE. `node` is a child pointer (`>= 0` internal, `< 0` leaf);
/// the path of this call lives in `buf[start..]`, copied from the parent's at `parent`.
#[allow(clippy::too_many_arguments)]
fn recurse(
    t: &Tree,
    row: &[f64],
    phi: &mut [f64],
    node: i32,
    depth: usize,
    buf: &mut [PathElement],
    parent: usize,
    zero: f64,
    one: f64,
    feature: usize,
) {
    let start = parent + depth + 1;
    if depth > 0 {
        buf.copy_within(parent..parent + depth, start);
    }
    let mut depth = depth;
    extend_path(&mut buf[start..], depth, zero, one, feature);
    match child(node) {
        Child::Leaf(l) => {
            let v = t.leaf_value[l];
            let p = &buf[start..];
            for i in 1..=depth {
                let w = unwound_path_sum(p, depth, i);
                phi[p[i].feature] += w * (p[i].one - p[i].zero) * v;
            }
        }
        Child::Node(n) => {
            let f = t.split_feature[n] as usize;
            let (hot, cold) = if t.goes_left(n, row[f]) {
                (t.left_child[n], t.right_child[n])
            } else {
                (t.right_child[n], t.left_child[n])
            };
            let total = t.internal_count[n];
            let hot_zero = cover(t, hot) / total;
            let cold_zero = cover(t, cold) / total;
            let (mut in_zero, mut in_one) = (1.0, 1.0);
            if let Some(k) = (1..=depth).find(|&k| buf[start + k].feature == f) {
                in_zero = buf[start + k].zero;
                in_one = buf[start + k].one;
                unwind_path(&mut buf[start..], depth, k);
                depth -= 1;
            }
            recurse(
                t,
                row,
                phi,
                hot,
                depth + 1,
                buf,
                start,
                hot_zero * in_zero,
                in_one,
                f,
            );
            // A branch with zero cover on the cold side adds nothing to any coalition's value
            // (its product has a factor that is 0 whether or not the feature is present), and
            // Algorithm 2's unwinding would divide 0 by 0 on it.
            if cold_zero * in_zero > 0.0 {
                recurse(
                    t,
                    row,
                    phi,
                    cold,
                    depth + 1,
                    buf,
                    start,
                    cold_zero * in_zero,
                    0.0,
                    f,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fast TreeSHAP v2 tables.

/// Tabulate a tree, or `None` when a leaf is too deep for a table, a path has a zero cover
/// ratio (the division by `z_j` would be undefined), or the tables would take more than is
/// left of `budget` (values; taken from it when they are built): Algorithm 2 handles those
/// trees.
fn build_tables(t: &Tree, budget: &mut usize) -> Option<LeafTables> {
    let n_int = t.num_internal();
    let n_leaves = t.num_leaves();
    // Distinct features on the path to each node (order of first appearance) and their
    // cover-ratio products; built top-down since children follow their parents.
    let mut node_feats: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_int];
    let mut leaf_feats: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_leaves];
    let mut pos = vec![0u8; n_int];
    for n in 0..n_int {
        let f = t.split_feature[n];
        let mut path = std::mem::take(&mut node_feats[n]);
        let p = match path.iter().position(|&(g, _)| g == f) {
            Some(p) => p,
            None => {
                path.push((f, 1.0));
                path.len() - 1
            }
        };
        if p >= MAX_TABLE_FEATURES {
            return None;
        }
        pos[n] = p as u8;
        for ptr in [t.left_child[n], t.right_child[n]] {
            let ratio = cover(t, ptr) / t.internal_count[n];
            if ratio <= 0.0 {
                return None;
            }
            let mut child_path = path.clone();
            child_path[p].1 *= ratio;
            match child(ptr) {
                Child::Node(m) => node_feats[m] = child_path,
                Child::Leaf(l) => leaf_feats[l] = child_path,
            }
        }
    }
    // The tables' size is known before they are built: within what is left of the budget,
    // or this tree runs Algorithm 2.
    let needed = leaf_feats
        .iter()
        .try_fold(0usize, |acc, f| acc.checked_add(1usize << f.len()))?;
    *budget = budget.checked_sub(needed)?;
    let mut tab = LeafTables {
        pos,
        leaves: Vec::with_capacity(n_leaves),
        slots: Vec::new(),
        c: Vec::new(),
    };
    let mut zprod = Vec::new();
    for (l, feats) in leaf_feats.iter().enumerate() {
        let dim = feats.len();
        tab.leaves.push(LeafInfo {
            dim: dim as u8,
            slot_start: u32::try_from(tab.slots.len()).ok()?,
            table_start: u32::try_from(tab.c.len()).ok()?,
        });
        for &(feature, z) in feats {
            tab.slots.push(Slot {
                feature,
                ratio: (1.0 - z) / z,
            });
        }
        // zprod[m] = Π_{k ∈ m} z_k.
        let size = 1usize << dim;
        zprod.clear();
        zprod.resize(size, 1.0);
        for m in 1..size {
            let low = m.trailing_zeros() as usize;
            zprod[m] = zprod[m & (m - 1)] * feats[low].1;
        }
        // Shapley weights |S|! (D - |S| - 1)! / D! by |S|.
        let mut weight = vec![0.0f64; dim.max(1)];
        if dim > 0 {
            weight[0] = 1.0 / dim as f64;
            for s in 1..dim {
                weight[s] = weight[s - 1] * s as f64 / (dim - s) as f64;
            }
        }
        let v = t.leaf_value[l];
        let full = size - 1;
        let base = tab.c.len();
        for s in 0..size {
            // The full set never appears as S (S excludes at least the explained feature).
            let g = if s == full {
                0.0
            } else {
                v * weight[s.count_ones() as usize] * zprod[full ^ s]
            };
            tab.c.push(g);
        }
        // Subset-sum (zeta) transform: C(T) = Σ_{S ⊆ T} g(S).
        let c = &mut tab.c[base..];
        for b in 0..dim {
            let bit = 1usize << b;
            for m in 0..size {
                if m & bit != 0 {
                    c[m] += c[m ^ bit];
                }
            }
        }
    }
    if u32::try_from(tab.c.len()).is_err() {
        return None;
    }
    Some(tab)
}

/// One row through one tabulated tree.
fn fast_tree(
    t: &Tree,
    tab: &LeafTables,
    row: &[f64],
    phi: &mut [f64],
    node_mask: &mut [u64],
    leaf_mask: &mut [u64],
) {
    // Cold mask of each node: the path positions at which the row leaves the path to it.
    node_mask[0] = 0;
    for n in 0..t.num_internal() {
        let m = node_mask[n];
        let bit = 1u64 << tab.pos[n];
        let left = t.goes_left(n, row[t.split_feature[n] as usize]);
        let (ml, mr) = if left { (m, m | bit) } else { (m | bit, m) };
        for (ptr, mask) in [(t.left_child[n], ml), (t.right_child[n], mr)] {
            if ptr >= 0 {
                node_mask[ptr as usize] = mask;
            } else {
                leaf_mask[(!ptr) as usize] = mask;
            }
        }
    }
    for (leaf, &cold) in tab.leaves.iter().zip(leaf_mask.iter()) {
        let dim = leaf.dim as usize;
        let full = (1u64 << dim) - 1;
        let hot = full & !cold;
        let start = leaf.table_start as usize;
        let c = &tab.c[start..start + (1 << dim)];
        let fs = leaf.slot_start as usize;
        let cold_value = c[hot as usize];
        for (j, slot) in tab.slots[fs..fs + dim].iter().enumerate() {
            let f = slot.feature as usize;
            if hot >> j & 1 == 1 {
                phi[f] += slot.ratio * c[(hot ^ (1 << j)) as usize];
            } else {
                phi[f] -= cold_value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Decision, MissingType, Objective};

    /// x0 <= 0 ? (x1 <= 0 ? 1 : 2) : 3, covers 10 / (4: 3 + 1) / 6.
    fn small_tree() -> Tree {
        let num = Decision {
            categorical: false,
            default_left: false,
            missing: MissingType::None,
        };
        Tree {
            split_feature: vec![0, 1],
            threshold: vec![0.0, 0.0],
            decision: vec![num, num],
            left_child: vec![1, !0],
            right_child: vec![!2, !1],
            split_gain: vec![1.0, 1.0],
            internal_value: vec![0.0, 0.0],
            internal_weight: vec![10.0, 4.0],
            internal_count: vec![10.0, 4.0],
            leaf_value: vec![1.0, 2.0, 3.0],
            leaf_weight: vec![3.0, 1.0, 6.0],
            leaf_count: vec![3.0, 1.0, 6.0],
            cat_boundaries: vec![],
            cat_threshold: vec![],
        }
    }

    /// A chain: node `i` splits on feature `i % n_features` at 0, sends `x <= 0` to leaf `i`
    /// and the rest down to node `i + 1`; the last node's right child is leaf `depth`. Every
    /// leaf covers one row.
    fn chain(depth: usize, n_features: usize) -> Tree {
        let num = Decision {
            categorical: false,
            default_left: false,
            missing: MissingType::None,
        };
        let n = depth;
        Tree {
            split_feature: (0..n).map(|i| (i % n_features) as u32).collect(),
            threshold: vec![0.0; n],
            decision: vec![num; n],
            left_child: (0..n).map(|i| !(i as i32)).collect(),
            right_child: (0..n)
                .map(|i| {
                    if i + 1 < n {
                        (i + 1) as i32
                    } else {
                        !(n as i32)
                    }
                })
                .collect(),
            split_gain: vec![1.0; n],
            internal_value: vec![0.0; n],
            internal_weight: (0..n).map(|i| (n + 1 - i) as f64).collect(),
            internal_count: (0..n).map(|i| (n + 1 - i) as f64).collect(),
            leaf_value: (0..=n).map(|l| (l % 7) as f64 - 3.0).collect(),
            leaf_weight: vec![1.0; n + 1],
            leaf_count: vec![1.0; n + 1],
            cat_boundaries: vec![],
            cat_threshold: vec![],
        }
    }

    /// A tree too deep for Algorithm 2's workspace is an error naming it, not an allocation
    /// abort (a 50,000-level chain asked for 160 GB); a deep chain over few features has
    /// small tables and is explained exactly.
    #[test]
    fn deep_trees_are_refused_or_tabulated() {
        let wide = |t: Tree, d: usize| Ensemble {
            trees: vec![t],
            n_features: d,
            feature_names: (0..d).map(|j| format!("x{j}")).collect(),
            objective: Objective::Regression,
            init_score: vec![0.0],
        };
        let deep = wide(chain(MAX_SHAP_DEPTH + 1, 20), 20);
        let e = TreeShap::new(&deep).unwrap_err().to_string();
        assert!(e.contains("tree 0 is 4097 levels deep"), "{e}");
        let mut out = vec![0.0; 21];
        assert!(tree_shap_reference(&deep, &[1.0; 20], &mut out).is_err());

        // 5,000 levels over 3 features: tables of at most 8 values a leaf.
        let e3 = wide(chain(5_000, 3), 3);
        let shap = TreeShap::new(&e3).unwrap();
        assert!(shap.trees[0].table.is_some());
        let x = ndarray::array![[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]];
        let v = shap.shap_values(x.view()).unwrap();
        for r in 0..2 {
            let mut pred = [0.0];
            e3.predict_raw_row(x.row(r).as_slice().unwrap(), &mut pred);
            let sum: f64 = v.for_output(0).row(r).iter().sum();
            assert!((sum - pred[0]).abs() < 1e-9, "{sum} vs {}", pred[0]);
        }
    }

    /// Tables are built within the budget; past it, the tree runs Algorithm 2.
    #[test]
    fn tables_stay_within_their_budget() {
        // Leaves' path features: {0, 1}, {0, 1}, {0}: 4 + 4 + 2 values.
        let t = small_tree();
        let mut budget = 9;
        assert!(build_tables(&t, &mut budget).is_none());
        assert_eq!(budget, 9);
        let mut budget = 25;
        assert!(build_tables(&t, &mut budget).is_some());
        assert_eq!(budget, 15);
    }

    fn ensemble(trees: Vec<Tree>) -> Ensemble {
        Ensemble {
            trees,
            n_features: 2,
            feature_names: vec!["a".into(), "b".into()],
            objective: Objective::Regression,
            init_score: vec![0.5],
        }
    }

    /// Brute-force Shapley values of the path-dependent value function.
    fn brute_force(t: &Tree, row: &[f64]) -> Vec<f64> {
        fn value(t: &Tree, row: &[f64], s: u32, ptr: i32) -> f64 {
            match child(ptr) {
                Child::Leaf(l) => t.leaf_value[l],
                Child::Node(n) => {
                    let f = t.split_feature[n] as usize;
                    let (l, r) = (t.left_child[n], t.right_child[n]);
                    if s >> f & 1 == 1 {
                        value(t, row, s, if t.goes_left(n, row[f]) { l } else { r })
                    } else {
                        let tot = t.internal_count[n];
                        cover(t, l) / tot * value(t, row, s, l)
                            + cover(t, r) / tot * value(t, row, s, r)
                    }
                }
            }
        }
        let d = row.len();
        let fact = |k: usize| (1..=k).product::<usize>() as f64;
        let mut phi = vec![0.0; d];
        for (j, p) in phi.iter_mut().enumerate() {
            for s in 0u32..(1 << d) {
                if s >> j & 1 == 1 {
                    continue;
                }
                let size = s.count_ones() as usize;
                let w = fact(size) * fact(d - size - 1) / fact(d);
                *p += w * (value(t, row, s | 1 << j, 0) - value(t, row, s, 0));
            }
        }
        phi
    }

    #[test]
    fn matches_brute_force_and_sums_to_prediction() {
        let e = ensemble(vec![small_tree()]);
        for algo in [ShapAlgorithm::Fast, ShapAlgorithm::Reference] {
            let ts = TreeShap::with_algorithm(&e, algo).unwrap();
            for row in [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]] {
                let sv = ts.shap_values(ndarray::arr2(&[row]).view()).unwrap();
                let bf = brute_force(&e.trees[0], &row);
                let got = sv.for_output(0);
                for (j, b) in bf.iter().enumerate() {
                    assert!((got[[0, j]] - b).abs() < 1e-12, "{algo:?} {row:?}");
                }
                let mut raw = [0.0];
                e.predict_raw_row(&row, &mut raw);
                assert!((got.sum() - raw[0]).abs() < 1e-12);
            }
        }
        // E = 0.5 + 0.3 * 1 + 0.1 * 2 + 0.6 * 3
        assert!((TreeShap::new(&e).unwrap().expected_values()[0] - 2.8).abs() < 1e-12);
    }

    #[test]
    fn repeated_feature_and_zero_cover() {
        // Split twice on feature 0, and give a leaf zero cover (fast tables refuse the tree,
        // Algorithm 2 runs it with the empty branch skipped).
        let mut t = small_tree();
        t.split_feature[1] = 0;
        t.threshold[1] = -0.5;
        let e = ensemble(vec![t.clone()]);
        let ts = TreeShap::new(&e).unwrap();
        assert_eq!(ts.n_reference_trees(), 0);
        for row in [[-1.0, 0.0], [-0.2, 0.0], [1.0, 0.0]] {
            let sv = ts.shap_values(ndarray::arr2(&[row]).view()).unwrap();
            let bf = brute_force(&t, &row);
            assert!((sv.values[[0, 0, 0]] - bf[0]).abs() < 1e-12);
            assert_eq!(sv.values[[0, 0, 1]], 0.0);
        }
        let mut z = small_tree();
        z.leaf_count = vec![4.0, 0.0, 6.0];
        let e = ensemble(vec![z.clone()]);
        let ts = TreeShap::new(&e).unwrap();
        assert_eq!(ts.n_reference_trees(), 1);
        for row in [[-1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]] {
            let sv = ts.shap_values(ndarray::arr2(&[row]).view()).unwrap();
            let bf = brute_force(&z, &row);
            for (j, b) in bf.iter().enumerate() {
                assert!((sv.values[[0, 0, j]] - b).abs() < 1e-12, "{row:?}");
            }
        }
    }

    #[test]
    fn wrong_width_and_bad_covers_are_errors() {
        let e = ensemble(vec![small_tree()]);
        let ts = TreeShap::new(&e).unwrap();
        assert!(matches!(
            ts.shap_values(ndarray::Array2::<f64>::zeros((2, 3)).view()),
            Err(Error::ShapeMismatch {
                expected: 2,
                found: 3,
                ..
            })
        ));
        let mut out = [0.0; 3];
        assert!(tree_shap_reference(&e, &[0.0], &mut out).is_err());
        let mut t = small_tree();
        t.internal_count[1] = 0.0;
        assert!(matches!(
            TreeShap::new(&ensemble(vec![t])),
            Err(Error::ModelFormat { .. })
        ));
        let empty = ts
            .shap_values(ndarray::Array2::<f32>::zeros((0, 2)).view())
            .unwrap();
        assert_eq!(empty.n_rows(), 0);
        assert_eq!(empty.flat().dim(), (0, 3));
    }
}
