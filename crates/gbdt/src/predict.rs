//! Batch prediction from a flattened forest: every tree's nodes in one array of 24-byte nodes,
//! rows scored in blocks so a tree stays in cache while it scores the block, blocks in parallel.
//!
//! The decision rule is [`Tree::goes_left`](crate::tree::Tree::goes_left)'s, categorical and
//! zero-as-missing splits of imported LightGBM models included; tests compare every row with
//! [`Ensemble::predict_raw_row`].

use cartera_core::Float;
use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::tree::{Child, Ensemble, MissingType, ZERO_THRESHOLD, child};

/// Rows scored together against each tree.
const ROW_BLOCK: usize = 64;

const DEFAULT_LEFT: u32 = 1;
const MISSING_ZERO: u32 = 2;
const MISSING_NAN: u32 = 4;
const CATEGORICAL: u32 = 8;

/// One internal node. Children: `>= 0` node index in the forest, `< 0` the complement of a
/// leaf index in the forest. Categorical nodes keep their bitset's first word in `threshold`
/// and its word count in `flags >> 8`.
#[derive(Debug, Clone, Copy)]
struct FlatNode {
    threshold: f64,
    feature: u32,
    flags: u32,
    left: i32,
    right: i32,
}

/// The compact prediction layout of an [`Ensemble`].
#[derive(Debug, Clone, Default)]
pub(crate) struct FlatForest {
    nodes: Vec<FlatNode>,
    leaves: Vec<f64>,
    /// Per tree: its root (node or complement of a leaf) and its first leaf.
    roots: Vec<(i32, u32)>,
    cat_words: Vec<u32>,
    k: usize,
    init: Vec<f64>,
}

impl FlatForest {
    /// Flatten a validated ensemble.
    pub fn new(e: &Ensemble) -> Self {
        let mut f = FlatForest {
            k: e.n_outputs(),
            init: e.init_score.clone(),
            ..Default::default()
        };
        for t in &e.trees {
            let node0 = f.nodes.len() as i32;
            let leaf0 = f.leaves.len() as i32;
            let map = |ptr: i32| match child(ptr) {
                Child::Node(n) => node0 + n as i32,
                Child::Leaf(l) => !(leaf0 + l as i32),
            };
            f.roots.push((
                if t.num_internal() == 0 { !leaf0 } else { node0 },
                leaf0 as u32,
            ));
            for i in 0..t.num_internal() {
                let d = t.decision[i];
                let mut flags = 0;
                let mut threshold = t.threshold[i];
                if d.default_left {
                    flags |= DEFAULT_LEFT;
                }
                match d.missing {
                    MissingType::None => {}
                    MissingType::Zero => flags |= MISSING_ZERO,
                    MissingType::NaN => flags |= MISSING_NAN,
                }
                if d.categorical {
                    let set = t.threshold[i] as usize;
                    let (lo, hi) = (
                        t.cat_boundaries[set] as usize,
                        t.cat_boundaries[set + 1] as usize,
                    );
                    threshold = f.cat_words.len() as f64;
                    flags |= CATEGORICAL | (((hi - lo) as u32) << 8);
                    f.cat_words.extend_from_slice(&t.cat_threshold[lo..hi]);
                }
                f.nodes.push(FlatNode {
                    threshold,
                    feature: t.split_feature[i],
                    flags,
                    left: map(t.left_child[i]),
                    right: map(t.right_child[i]),
                });
            }
            f.leaves.extend_from_slice(&t.leaf_value);
        }
        f
    }

    #[inline]
    fn goes_left(&self, n: &FlatNode, x: f64) -> bool {
        if n.flags & CATEGORICAL != 0 {
            if x.is_nan() || x < 0.0 {
                return false;
            }
            let cat = x as u64;
            let word = (cat / 32) as usize;
            if word >= (n.flags >> 8) as usize {
                return false;
            }
            return (self.cat_words[n.threshold as usize + word] >> (cat % 32)) & 1 == 1;
        }
        let mut v = x;
        if v.is_nan() {
            if n.flags & MISSING_NAN != 0 {
                return n.flags & DEFAULT_LEFT != 0;
            }
            v = 0.0;
        }
        if n.flags & MISSING_ZERO != 0 && v.abs() <= ZERO_THRESHOLD {
            return n.flags & DEFAULT_LEFT != 0;
        }
        v <= n.threshold
    }

    /// Leaf (index into the forest's leaves) of `row` in the tree rooted at `root`.
    #[inline]
    fn leaf(&self, root: i32, row: &[f64]) -> usize {
        let mut ptr = root;
        while ptr >= 0 {
            let n = &self.nodes[ptr as usize];
            ptr = if self.goes_left(n, row[n.feature as usize]) {
                n.left
            } else {
                n.right
            };
        }
        (!ptr) as usize
    }

    /// Copy a block of rows into a row-major f64 buffer.
    fn load<F: Float>(x: &ArrayView2<F>, start: usize, rows: usize, buf: &mut Vec<f64>) {
        buf.clear();
        for r in start..start + rows {
            buf.extend(x.row(r).iter().map(|v| v.as_f64()));
        }
    }

    /// Raw scores, row-major `n x k` (width checked by the caller).
    pub fn predict_raw<F: Float>(&self, x: ArrayView2<F>) -> Vec<f64> {
        let (n, d) = x.dim();
        let k = self.k;
        let mut out = vec![0.0; n * k];
        out.par_chunks_mut(ROW_BLOCK * k)
            .enumerate()
            .for_each(|(b, out)| {
                let start = b * ROW_BLOCK;
                let rows = out.len() / k;
                let mut buf = Vec::with_capacity(rows * d);
                Self::load(&x, start, rows, &mut buf);
                for o in out.chunks_mut(k) {
                    o.copy_from_slice(&self.init);
                }
                for (t, &(root, _)) in self.roots.iter().enumerate() {
                    let c = t % k;
                    for i in 0..rows {
                        let row = &buf[i * d..(i + 1) * d];
                        out[i * k + c] += self.leaves[self.leaf(root, row)];
                    }
                }
            });
        out
    }

    /// Leaf index (within its tree) of every row in every tree, row-major `n x n_trees`.
    pub fn predict_leaf<F: Float>(&self, x: ArrayView2<F>) -> Vec<u32> {
        let (n, d) = x.dim();
        let nt = self.roots.len();
        let mut out = vec![0u32; n * nt];
        if nt == 0 {
            return out;
        }
        out.par_chunks_mut(ROW_BLOCK * nt)
            .enumerate()
            .for_each(|(b, out)| {
                let rows = out.len() / nt;
                let mut buf = Vec::with_capacity(rows * d);
                Self::load(&x, b * ROW_BLOCK, rows, &mut buf);
                for (t, &(root, leaf0)) in self.roots.iter().enumerate() {
                    for i in 0..rows {
                        let row = &buf[i * d..(i + 1) * d];
                        out[i * nt + t] = self.leaf(root, row) as u32 - leaf0;
                    }
                }
            });
        out
    }
}
