#![allow(clippy::unwrap_used)]
//! TreeSHAP on random ensembles: the fast algorithm agrees with Algorithm 2 (the oracle) within
//! 1e-9 on thousands of rows, and contributions plus expected value sum to the raw score within
//! 1e-9 — with repeated features on a path, categorical splits, every missing type, NaN inputs,
//! single-leaf trees, multiclass, and trees too deep for the fast tables (Algorithm 2 fallback).

use cartera_core::rng::CarteraRng;
use cartera_gbdt::shap::{ShapAlgorithm, TreeShap, tree_shap_reference};
use cartera_gbdt::{Decision, Ensemble, MissingType, Objective, Tree};
use ndarray::Array2;

/// Grow a tree leaf-wise as LightGBM numbers it: splitting leaf `l` makes a new internal node
/// whose left child is leaf `l` and right child a new leaf.
fn random_tree(rng: &mut CarteraRng, n_leaves: usize, d: usize, features: &[usize]) -> Tree {
    let mut t = Tree::constant(rng.normal(), 1000.0, 1000.0);
    // Parent pointer of each leaf: (internal node, is_left); None for the root leaf.
    let mut leaf_parent: Vec<Option<(usize, bool)>> = vec![None];
    while t.num_leaves() < n_leaves {
        let candidates: Vec<usize> = (0..t.num_leaves())
            .filter(|&l| t.leaf_count[l] >= 2.0)
            .collect();
        if candidates.is_empty() {
            break;
        }
        let l = candidates[rng.index(candidates.len())];
        let node = t.num_internal();
        let new_leaf = t.num_leaves();
        let total = t.leaf_count[l];
        let left = 1.0 + rng.below(total as u64 - 1) as f64;
        let f = features[rng.index(features.len())];
        debug_assert!(f < d);
        let categorical = rng.bernoulli(0.2);
        let missing = [MissingType::None, MissingType::Zero, MissingType::NaN][rng.index(3)];
        t.split_feature.push(f as u32);
        if categorical {
            let set = t.cat_boundaries.len().saturating_sub(1);
            if t.cat_boundaries.is_empty() {
                t.cat_boundaries.push(0);
            }
            let words = 1 + rng.index(2);
            for _ in 0..words {
                t.cat_threshold.push(rng.next_u64() as u32);
            }
            t.cat_boundaries.push(t.cat_threshold.len() as u32);
            t.threshold.push(set as f64);
        } else {
            t.threshold.push((rng.normal() * 2.0).round() / 2.0);
        }
        t.decision.push(Decision {
            categorical,
            default_left: rng.bernoulli(0.5),
            missing,
        });
        t.left_child.push(!(l as i32));
        t.right_child.push(!(new_leaf as i32));
        t.split_gain.push(1.0);
        t.internal_value.push(0.0);
        t.internal_weight.push(total);
        t.internal_count.push(total);
        if let Some((p, is_left)) = leaf_parent[l] {
            if is_left {
                t.left_child[p] = node as i32;
            } else {
                t.right_child[p] = node as i32;
            }
        }
        leaf_parent[l] = Some((node, true));
        leaf_parent.push(Some((node, false)));
        t.leaf_count[l] = left;
        t.leaf_weight[l] = left;
        t.leaf_count.push(total - left);
        t.leaf_weight.push(total - left);
        t.leaf_value[l] = rng.normal();
        t.leaf_value.push(rng.normal());
    }
    t
}

fn random_rows(rng: &mut CarteraRng, n: usize, d: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, d), |_| match rng.index(10) {
        0 => f64::NAN,
        1 => 0.0,
        2 => rng.index(70) as f64, // categories, some beyond any bitset
        _ => (rng.normal() * 2.0).round() / 2.0 + if rng.bernoulli(0.5) { 0.25 } else { 0.0 },
    })
}

fn check(e: &Ensemble, x: &Array2<f64>, expect_fallback: bool) {
    e.validate().unwrap();
    let k = e.n_outputs();
    let d = e.n_features;
    let fast = TreeShap::new(e).unwrap();
    assert_eq!(fast.n_reference_trees() > 0, expect_fallback);
    let slow = TreeShap::with_algorithm(e, ShapAlgorithm::Reference).unwrap();
    let a = fast.shap_values(x.view()).unwrap();
    let b = slow.shap_values(x.view()).unwrap();
    let mut raw = vec![0.0; k];
    let mut oracle = vec![0.0; k * (d + 1)];
    for (i, row) in x.outer_iter().enumerate() {
        let row = row.as_slice().unwrap();
        e.predict_raw_row(row, &mut raw);
        tree_shap_reference(e, row, &mut oracle).unwrap();
        for c in 0..k {
            let fa = a.for_output(c);
            let fb = b.for_output(c);
            let scale = 1.0 + raw[c].abs();
            assert!(
                (fa.row(i).sum() - raw[c]).abs() <= 1e-9 * scale,
                "row {i} class {c}: sum"
            );
            for j in 0..=d {
                let o = oracle[c * (d + 1) + j];
                assert!(
                    (fa[[i, j]] - o).abs() <= 1e-9 * scale,
                    "row {i} class {c} feature {j}: fast {} vs oracle {o}",
                    fa[[i, j]]
                );
                assert!(
                    (fb[[i, j]] - o).abs() <= 1e-12 * scale,
                    "row {i} class {c} feature {j}"
                );
            }
        }
    }
}

#[test]
fn fast_matches_oracle_on_random_binary_ensembles() {
    let mut rng = CarteraRng::seed_from_u64(42);
    let d = 12;
    let all: Vec<usize> = (0..d).collect();
    for round in 0..4 {
        // Few features per tree: many repeats on a path.
        let feats: Vec<usize> = if round % 2 == 0 {
            all.clone()
        } else {
            vec![1, 4, 7]
        };
        let mut trees: Vec<Tree> = (0..20)
            .map(|_| random_tree(&mut rng, 31, d, &feats))
            .collect();
        trees.push(Tree::constant(0.7, 10.0, 10.0));
        let e = Ensemble {
            trees,
            n_features: d,
            feature_names: (0..d).map(|i| format!("f{i}")).collect(),
            objective: Objective::Binary { sigmoid: 1.0 },
            init_score: vec![-0.3],
        };
        check(&e, &random_rows(&mut rng, 1500, d), false);
    }
}

#[test]
fn fast_matches_oracle_on_random_multiclass() {
    let mut rng = CarteraRng::seed_from_u64(7);
    let d = 9;
    let all: Vec<usize> = (0..d).collect();
    let trees: Vec<Tree> = (0..4 * 10)
        .map(|_| random_tree(&mut rng, 15, d, &all))
        .collect();
    let e = Ensemble {
        trees,
        n_features: d,
        feature_names: (0..d).map(|i| format!("f{i}")).collect(),
        objective: Objective::Multiclass { n_classes: 4 },
        init_score: vec![0.1, -0.2, 0.3, 0.0],
    };
    check(&e, &random_rows(&mut rng, 2000, d), false);
}

#[test]
fn deep_trees_fall_back_to_algorithm_2() {
    // A chain on 20 distinct features: 20 > MAX_TABLE_FEATURES distinct features on a path.
    let mut rng = CarteraRng::seed_from_u64(3);
    let d = 24;
    let mut t = Tree::constant(0.0, f64::from(1u32 << 21), 1.0);
    t.leaf_value = vec![];
    t.leaf_count = vec![];
    t.leaf_weight = vec![];
    let n_int: usize = 20;
    for n in 0..n_int {
        t.split_feature.push(n as u32);
        t.threshold.push(0.0);
        t.decision.push(Decision {
            categorical: false,
            default_left: n % 2 == 0,
            missing: MissingType::NaN,
        });
        t.split_gain.push(1.0);
        t.internal_value.push(0.0);
        let count = (1u64 << (21 - n)) as f64;
        t.internal_count.push(count);
        t.internal_weight.push(count);
        // Left is a leaf, right continues the chain (the last node ends in two leaves).
        t.left_child.push(!(n as i32));
        t.right_child.push(if n + 1 < n_int {
            n as i32 + 1
        } else {
            !(n_int as i32)
        });
        t.leaf_value.push(rng.normal());
        t.leaf_count.push(count / 2.0 + 1.0);
        t.leaf_weight.push(1.0);
    }
    t.leaf_value.push(rng.normal());
    t.leaf_count.push(3.0);
    t.leaf_weight.push(1.0);
    let all: Vec<usize> = (0..d).collect();
    let e = Ensemble {
        trees: vec![t, random_tree(&mut rng, 31, d, &all)],
        n_features: d,
        feature_names: (0..d).map(|i| format!("f{i}")).collect(),
        objective: Objective::Regression,
        init_score: vec![0.0],
    };
    let mut x = random_rows(&mut rng, 800, d);
    // Rows that walk far down the chain.
    for i in 0..200 {
        for j in 0..20 {
            x[[i, j]] = if (i + j) % 17 == 0 { -1.0 } else { 1.0 };
        }
    }
    check(&e, &x, true);
}
