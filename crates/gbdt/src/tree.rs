//! One regression tree and a tree ensemble: the interchange type shared by the trainer, the
//! model files, TreeSHAP and the LightGBM importer.
//!
//! The layout follows LightGBM's own (struct of arrays over the internal nodes, leaves
//! addressed by `!leaf`), so an imported LightGBM model is stored without translation and
//! predicts exactly as LightGBM does, missing-value rules included. Thresholds are in feature
//! units (not bins), so a tree can score raw rows.
//!
//! Node addressing: `left_child[i]` and `right_child[i]` are either an internal node index
//! (`>= 0`) or the bitwise complement of a leaf index (`< 0`, leaf `l` is stored as `!l`, i.e.
//! `-(l + 1)`). The root is internal node 0, except for a single-leaf tree, which has no
//! internal nodes and predicts `leaf_value[0]`.

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// LightGBM's zero threshold: a value whose magnitude is at most this counts as zero for
/// [`MissingType::Zero`] splits.
pub const ZERO_THRESHOLD: f64 = 1e-35;

/// Which values a split treats as missing (LightGBM's `missing_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingType {
    /// No missing values were seen in training: NaN is read as 0.0 and compared normally.
    None,
    /// Zero (and NaN, read as zero) goes the default direction.
    Zero,
    /// NaN goes the default direction.
    NaN,
}

/// The rule of one internal node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `true`: categorical split (category in the node's set goes left); `false`: numerical
    /// (`x <= threshold` goes left).
    pub categorical: bool,
    /// Where missing values (as [`Decision::missing`] defines them) go for numerical splits.
    pub default_left: bool,
    /// Which values count as missing.
    pub missing: MissingType,
}

/// Where a node points: an internal node or a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Child {
    /// Internal node index.
    Node(usize),
    /// Leaf index.
    Leaf(usize),
}

/// Decode a child pointer (`>= 0` internal node, `< 0` complement of a leaf index).
#[inline]
pub fn child(ptr: i32) -> Child {
    if ptr >= 0 {
        Child::Node(ptr as usize)
    } else {
        Child::Leaf((!ptr) as usize)
    }
}

/// One regression tree, LightGBM's layout (see the module docs for node addressing).
///
/// All `internal_*`, `split_*`, `threshold`, `decision`, `*_child` vectors have one entry per
/// internal node (`num_leaves - 1`); `leaf_*` vectors one per leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Feature index tested at each internal node.
    pub split_feature: Vec<u32>,
    /// Numerical split: go left when `x <= threshold`. Categorical split: the index of the
    /// node's category set in [`Tree::cat_boundaries`] (stored as an exact small integer).
    pub threshold: Vec<f64>,
    /// Categorical or numerical, default direction, missing type.
    pub decision: Vec<Decision>,
    /// Left child pointer of each internal node.
    pub left_child: Vec<i32>,
    /// Right child pointer of each internal node.
    pub right_child: Vec<i32>,
    /// Loss reduction of each split (for gain importance).
    pub split_gain: Vec<f64>,
    /// Output the node would give if it were a leaf (used by path-dependent TreeSHAP only
    /// through covers; kept for LightGBM parity and debugging).
    pub internal_value: Vec<f64>,
    /// Sum of hessians of the training rows reaching each internal node.
    pub internal_weight: Vec<f64>,
    /// Number of training rows reaching each internal node: the "cover" path-dependent
    /// TreeSHAP weighs branches by (as LightGBM and shap do).
    pub internal_count: Vec<f64>,
    /// Output of each leaf (already multiplied by the learning rate).
    pub leaf_value: Vec<f64>,
    /// Sum of hessians of the training rows in each leaf.
    pub leaf_weight: Vec<f64>,
    /// Number of training rows in each leaf.
    pub leaf_count: Vec<f64>,
    /// Category sets: set `j` is the bitset `cat_threshold[cat_boundaries[j]..cat_boundaries[j + 1]]`
    /// (bit `c % 32` of word `c / 32` set means category `c` goes left).
    pub cat_boundaries: Vec<u32>,
    /// The words of every category bitset, concatenated.
    pub cat_threshold: Vec<u32>,
}

impl Tree {
    /// A tree with a single leaf predicting `value` for every row.
    pub fn constant(value: f64, count: f64, weight: f64) -> Self {
        Self {
            split_feature: Vec::new(),
            threshold: Vec::new(),
            decision: Vec::new(),
            left_child: Vec::new(),
            right_child: Vec::new(),
            split_gain: Vec::new(),
            internal_value: Vec::new(),
            internal_weight: Vec::new(),
            internal_count: Vec::new(),
            leaf_value: vec![value],
            leaf_weight: vec![weight],
            leaf_count: vec![count],
            cat_boundaries: Vec::new(),
            cat_threshold: Vec::new(),
        }
    }

    /// Number of leaves.
    #[inline]
    pub fn num_leaves(&self) -> usize {
        self.leaf_value.len()
    }

    /// Number of internal nodes (`num_leaves - 1`).
    #[inline]
    pub fn num_internal(&self) -> usize {
        self.split_feature.len()
    }

    /// Whether internal node `node` sends feature value `x` to its left child.
    ///
    /// Numerical splits follow LightGBM's `NumericalDecision`, categorical splits its
    /// `CategoricalDecision` (NaN and negative categories go right).
    #[inline]
    pub fn goes_left(&self, node: usize, x: f64) -> bool {
        let d = self.decision[node];
        if d.categorical {
            if x.is_nan() || x < 0.0 {
                return false;
            }
            // Categories are integers; LightGBM truncates toward zero the same way.
            let cat = x as u64;
            let set = self.threshold[node] as usize;
            let (lo, hi) = (
                self.cat_boundaries[set] as usize,
                self.cat_boundaries[set + 1] as usize,
            );
            let word = (cat / 32) as usize;
            if word >= hi - lo {
                return false;
            }
            (self.cat_threshold[lo + word] >> (cat % 32)) & 1 == 1
        } else {
            let mut v = x;
            if d.missing != MissingType::NaN && v.is_nan() {
                v = 0.0;
            }
            if (d.missing == MissingType::Zero && v.abs() <= ZERO_THRESHOLD)
                || (d.missing == MissingType::NaN && v.is_nan())
            {
                return d.default_left;
            }
            v <= self.threshold[node]
        }
    }

    /// The leaf a row (one value per feature) falls into.
    ///
    /// The row must be at least as wide as the largest feature index used (checked by
    /// [`Tree::validate`] against the ensemble's width).
    #[inline]
    pub fn leaf_index(&self, row: &[f64]) -> usize {
        if self.split_feature.is_empty() {
            return 0;
        }
        let mut node = 0usize;
        loop {
            let x = row[self.split_feature[node] as usize];
            let next = if self.goes_left(node, x) {
                self.left_child[node]
            } else {
                self.right_child[node]
            };
            match child(next) {
                Child::Node(n) => node = n,
                Child::Leaf(l) => return l,
            }
        }
    }

    /// The tree's output for a row.
    #[inline]
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        self.leaf_value[self.leaf_index(row)]
    }

    /// Check that the arrays are consistent and the nodes form one tree rooted at node 0:
    /// every internal node except the root and every leaf is referenced exactly once, child
    /// indices are in range (so no cycle is possible), features are below `n_features`, values
    /// are finite, and category sets exist. A model file or a LightGBM import that fails this
    /// is rejected with a [`Error::ModelFormat`] naming the tree and node, never evaluated.
    pub fn validate(&self, tree_index: usize, n_features: usize) -> Result<()> {
        let bad = |msg: String| Err(Error::model_format(format!("tree {tree_index}: {msg}")));
        let n_int = self.split_feature.len();
        let n_leaves = self.leaf_value.len();
        if n_leaves == 0 {
            return bad("has no leaves".into());
        }
        if n_int + 1 != n_leaves {
            return bad(format!(
                "{n_int} internal nodes but {n_leaves} leaves (expected leaves = internal + 1)"
            ));
        }
        let lens = [
            ("threshold", self.threshold.len()),
            ("decision_type", self.decision.len()),
            ("left_child", self.left_child.len()),
            ("right_child", self.right_child.len()),
            ("split_gain", self.split_gain.len()),
            ("internal_value", self.internal_value.len()),
            ("internal_weight", self.internal_weight.len()),
            ("internal_count", self.internal_count.len()),
        ];
        for (name, len) in lens {
            if len != n_int {
                return bad(format!("{name} has {len} entries, expected {n_int}"));
            }
        }
        for (name, len) in [
            ("leaf_weight", self.leaf_weight.len()),
            ("leaf_count", self.leaf_count.len()),
        ] {
            if len != n_leaves {
                return bad(format!("{name} has {len} entries, expected {n_leaves}"));
            }
        }
        if let Some((i, v)) = self
            .leaf_value
            .iter()
            .enumerate()
            .find(|(_, v)| !v.is_finite())
        {
            return bad(format!("leaf {i} has a non-finite value {v}"));
        }
        let n_sets = self.cat_boundaries.len().saturating_sub(1);
        if !self.cat_boundaries.is_empty()
            && (self.cat_boundaries[0] != 0
                || self.cat_boundaries.windows(2).any(|w| w[0] > w[1])
                || *self.cat_boundaries.last().unwrap_or(&0) as usize != self.cat_threshold.len())
        {
            return bad(
                "category set boundaries are not increasing from 0 to the bitset length".into(),
            );
        }
        let mut node_refs = vec![0u32; n_int];
        let mut leaf_refs = vec![0u32; n_leaves];
        for i in 0..n_int {
            let f = self.split_feature[i] as usize;
            if f >= n_features {
                return bad(format!(
                    "node {i} splits on feature {f}, but the model has {n_features} features"
                ));
            }
            let d = self.decision[i];
            let t = self.threshold[i];
            if d.categorical {
                if !(t >= 0.0 && t.fract() == 0.0 && (t as usize) < n_sets) {
                    return bad(format!(
                        "node {i} refers to category set {t}, but there are {n_sets}"
                    ));
                }
            } else if t.is_nan() {
                return bad(format!("node {i} has a NaN threshold"));
            }
            for ptr in [self.left_child[i], self.right_child[i]] {
                match child(ptr) {
                    Child::Node(n) if n < n_int && n > i => node_refs[n] += 1,
                    // Children always come after their parent in LightGBM's and our numbering,
                    // which is what rules out cycles with one comparison.
                    Child::Node(n) => {
                        return bad(format!(
                            "node {i} points to internal node {n} (out of range or not after its parent)"
                        ));
                    }
                    Child::Leaf(l) if l < n_leaves => leaf_refs[l] += 1,
                    Child::Leaf(l) => {
                        return bad(format!(
                            "node {i} points to leaf {l}, but there are {n_leaves}"
                        ));
                    }
                }
            }
        }
        if let Some(n) = (1..n_int).find(|&n| node_refs[n] != 1) {
            return bad(format!(
                "internal node {n} is referenced {} times (expected once)",
                node_refs[n]
            ));
        }
        if n_int > 0 && node_refs[0] != 0 {
            return bad("the root is referenced as a child".into());
        }
        if n_int > 0
            && let Some(l) = (0..n_leaves).find(|&l| leaf_refs[l] != 1)
        {
            return bad(format!(
                "leaf {l} is referenced {} times (expected once)",
                leaf_refs[l]
            ));
        }
        Ok(())
    }
}

/// What the raw score of an [`Ensemble`] means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// Binary log-loss: probability = 1 / (1 + exp(-sigmoid * raw)); `sigmoid` is 1 unless a
    /// LightGBM model says otherwise.
    Binary {
        /// Slope of the sigmoid (LightGBM's `sigmoid` parameter).
        sigmoid: f64,
    },
    /// Softmax over `n_classes` raw scores (one tree per class per round).
    Multiclass {
        /// Number of classes (at least 3; binary problems use [`Objective::Binary`]).
        n_classes: usize,
    },
    /// L2 regression: the raw score is the prediction.
    Regression,
}

impl Objective {
    /// Raw scores per row: 1, or the number of classes for multiclass.
    pub fn n_outputs(&self) -> usize {
        match self {
            Objective::Multiclass { n_classes } => *n_classes,
            _ => 1,
        }
    }
}

/// A boosted ensemble: `raw[c] = init_score[c] + Σ trees[i]` over the trees with
/// `i % n_outputs == c`.
///
/// The trainer keeps the initial score (LightGBM's `boost_from_average`) in `init_score`; an
/// imported LightGBM model has it folded into its first trees' leaves and `init_score` zero,
/// exactly as LightGBM stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    /// The trees, round by round; within a round, one per output (class).
    pub trees: Vec<Tree>,
    /// Number of input features each row must have.
    pub n_features: usize,
    /// Feature names, one per feature (may be generated as `Column_0`, …).
    pub feature_names: Vec<String>,
    /// What the raw scores mean.
    pub objective: Objective,
    /// Constant added to each output's raw score.
    pub init_score: Vec<f64>,
}

impl Ensemble {
    /// Number of raw scores per row.
    pub fn n_outputs(&self) -> usize {
        self.objective.n_outputs()
    }

    /// Number of boosting rounds (trees per output).
    pub fn n_rounds(&self) -> usize {
        self.trees.len() / self.n_outputs().max(1)
    }

    /// Validate every tree and the ensemble's own shape (see [`Tree::validate`]).
    pub fn validate(&self) -> Result<()> {
        let k = self.n_outputs();
        if k == 0 || !self.trees.len().is_multiple_of(k) {
            return Err(Error::model_format(format!(
                "{} trees is not a multiple of the {k} outputs per round",
                self.trees.len()
            )));
        }
        if self.init_score.len() != k || self.init_score.iter().any(|v| !v.is_finite()) {
            return Err(Error::model_format(format!(
                "init_score must hold {k} finite values, found {:?}",
                self.init_score
            )));
        }
        if self.feature_names.len() != self.n_features {
            return Err(Error::model_format(format!(
                "{} feature names for {} features",
                self.feature_names.len(),
                self.n_features
            )));
        }
        match self.objective {
            Objective::Multiclass { n_classes } if n_classes < 2 => {
                return Err(Error::model_format(format!(
                    "multiclass objective with {n_classes} classes"
                )));
            }
            Objective::Binary { sigmoid } if !crate::objective::valid_sigmoid(sigmoid) => {
                return Err(Error::model_format(format!(
                    "binary sigmoid {sigmoid} must be finite and > 0"
                )));
            }
            _ => {}
        }
        for (i, t) in self.trees.iter().enumerate() {
            t.validate(i, self.n_features)?;
        }
        // Each leaf is finite, but a row's raw score adds one leaf per round: bound the sum by
        // the largest leaf of each tree, so that no row can score an infinity (which would
        // print as a probability of 0 or 1, or a NaN contribution in the explanations).
        let mut reach = self
            .init_score
            .iter()
            .map(|v| v.abs())
            .collect::<Vec<f64>>();
        for (i, t) in self.trees.iter().enumerate() {
            reach[i % k] += t.leaf_value.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        }
        if let Some(c) = reach.iter().position(|r| !r.is_finite()) {
            return Err(Error::model_format(format!(
                "the leaf values of output {c} can add up to an infinite raw score"
            )));
        }
        Ok(())
    }

    /// Raw scores of one row into `out` (length [`Ensemble::n_outputs`]), the plain reference
    /// path: the trainer's fast batch predictor is tested against it.
    pub fn predict_raw_row(&self, row: &[f64], out: &mut [f64]) {
        let k = self.n_outputs();
        out.copy_from_slice(&self.init_score[..k]);
        for (i, t) in self.trees.iter().enumerate() {
            out[i % k] += t.predict_row(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump(threshold: f64, missing: MissingType, default_left: bool) -> Tree {
        Tree {
            split_feature: vec![0],
            threshold: vec![threshold],
            decision: vec![Decision {
                categorical: false,
                default_left,
                missing,
            }],
            left_child: vec![!0],
            right_child: vec![!1],
            split_gain: vec![1.0],
            internal_value: vec![0.0],
            internal_weight: vec![2.0],
            internal_count: vec![2.0],
            leaf_value: vec![-1.0, 1.0],
            leaf_weight: vec![1.0, 1.0],
            leaf_count: vec![1.0, 1.0],
            cat_boundaries: vec![],
            cat_threshold: vec![],
        }
    }

    #[test]
    fn numerical_missing_rules_follow_lightgbm() {
        let t = stump(0.5, MissingType::NaN, false);
        assert_eq!(t.predict_row(&[0.5]), -1.0);
        assert_eq!(t.predict_row(&[0.6]), 1.0);
        assert_eq!(
            t.predict_row(&[f64::NAN]),
            1.0,
            "NaN goes the default (right) way"
        );
        let t = stump(0.5, MissingType::None, false);
        assert_eq!(t.predict_row(&[f64::NAN]), -1.0, "NaN read as 0 <= 0.5");
        let t = stump(-0.5, MissingType::Zero, true);
        assert_eq!(t.predict_row(&[0.0]), -1.0, "zero goes default left");
        assert_eq!(t.predict_row(&[f64::NAN]), -1.0);
        assert_eq!(t.predict_row(&[0.1]), 1.0);
    }

    #[test]
    fn categorical_sets() {
        let mut t = stump(0.0, MissingType::None, false);
        t.decision[0].categorical = true;
        t.cat_boundaries = vec![0, 2];
        t.cat_threshold = vec![0b1010, 1]; // categories 1, 3 and 32 go left
        t.validate(0, 1).unwrap();
        for (x, left) in [
            (1.0, true),
            (3.0, true),
            (32.0, true),
            (0.0, false),
            (2.0, false),
            (64.0, false),
            (-1.0, false),
            (f64::NAN, false),
        ] {
            assert_eq!(t.predict_row(&[x]) < 0.0, left, "category {x}");
        }
    }

    #[test]
    fn validate_rejects_cycles_and_bad_indices() {
        let mut t = stump(0.5, MissingType::NaN, false);
        t.validate(0, 1).unwrap();
        assert!(t.validate(0, 0).is_err(), "feature out of range");
        t.left_child[0] = 0;
        assert!(t.validate(0, 1).is_err(), "self loop");
        let mut t = stump(0.5, MissingType::NaN, false);
        t.right_child[0] = !7;
        assert!(t.validate(0, 1).is_err(), "leaf out of range");
        let mut t = stump(0.5, MissingType::NaN, false);
        t.right_child[0] = !0;
        assert!(t.validate(0, 1).is_err(), "leaf referenced twice");
        assert!(Tree::constant(0.3, 10.0, 5.0).validate(0, 0).is_ok());
    }

    #[test]
    fn ensemble_sums_trees_per_class() {
        let e = Ensemble {
            trees: vec![
                stump(0.5, MissingType::NaN, false),
                Tree::constant(2.0, 1.0, 1.0),
            ],
            n_features: 1,
            feature_names: vec!["x".into()],
            objective: Objective::Multiclass { n_classes: 2 },
            init_score: vec![0.25, -0.25],
        };
        e.validate().unwrap();
        let mut out = [0.0; 2];
        e.predict_raw_row(&[0.0], &mut out);
        assert_eq!(out, [-0.75, 1.75]);
        assert_eq!(e.n_rounds(), 1);
    }

    /// An edited objective or leaves that could add up past the largest `f64` are refused
    /// (a model file with them loaded and scored wrongly: probabilities turned around, 0.5 for
    /// every row, or infinite raw scores).
    #[test]
    fn validate_rejects_bad_slopes_and_unbounded_scores() {
        let binary = |sigmoid: f64, leaf: f64, trees: usize| Ensemble {
            trees: (0..trees).map(|_| Tree::constant(leaf, 1.0, 1.0)).collect(),
            n_features: 1,
            feature_names: vec!["x".into()],
            objective: Objective::Binary { sigmoid },
            init_score: vec![0.0],
        };
        binary(1.0, 1.0, 3).validate().unwrap();
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = binary(s, 1.0, 3).validate().unwrap_err().to_string();
            assert!(e.contains("sigmoid"), "{s}: {e}");
        }
        // Each leaf is finite; two of them already overflow.
        binary(1.0, 1.5e308, 1).validate().unwrap();
        let e = binary(1.0, 1.5e308, 2).validate().unwrap_err().to_string();
        assert!(e.contains("infinite raw score"), "{e}");
        let e = binary(1.0, -1.5e308, 2).validate().unwrap_err().to_string();
        assert!(e.contains("infinite raw score"), "{e}");
    }
}
