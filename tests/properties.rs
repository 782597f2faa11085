//! Property tests (proptest) through the facade: invariants that must hold for every input,
//! not just for the fixtures.
//!
//! * Lloyd never increases the inertia from one iteration to the next;
//! * silhouette values lie in [-1, 1];
//! * every scaler's inverse transform round-trips;
//! * TreeSHAP contributions plus the expected value equal the raw score, on random trees and
//!   random rows (missing values included);
//! * ROC AUC is invariant to strictly increasing transforms of the score (and equals the
//!   pairwise Mann-Whitney count);
//! * the gains table's cumulative capture ends at 100 %;
//! * risk-tier counts add up to the number of customers, per group and in total.
//!
//! Sizes are small and case counts moderate so that the file runs in seconds in a debug build.
#![allow(clippy::unwrap_used)]

use cartera::core::rng::CarteraRng;
use cartera::gbdt::shap::{ShapAlgorithm, TreeShap};
use cartera::gbdt::{Decision, Ensemble, MissingType, Objective, Tree};
use cartera::kmeans::{Algorithm, Init, KMeansParams};
use cartera::preprocess::scale::{MinMaxScaler, RobustScaler, StandardScaler};
use cartera::scoring::Groups;
use cartera::scoring::gains::gains;
use cartera::scoring::metrics::roc_auc;
use cartera::scoring::tiers::{TierBounds, risk_tiers};
use cartera::silhouette::{silhouette_samples, silhouette_score};
use ndarray::Array2;
use proptest::prelude::*;

/// A matrix strategy: `rows x cols` with values from `values`.
fn matrix(
    rows: std::ops::RangeInclusive<usize>,
    cols: std::ops::RangeInclusive<usize>,
    values: impl Strategy<Value = f64> + Clone,
) -> impl Strategy<Value = Array2<f64>> {
    (rows, cols).prop_flat_map(move |(n, d)| {
        proptest::collection::vec(values.clone(), n * d)
            .prop_map(move |v| Array2::from_shape_vec((n, d), v).unwrap())
    })
}

/// Values on a coarse grid (many exact ties and duplicate rows) or spread out.
fn cell() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        (-3i32..=3).prop_map(f64::from),
        -1.0e3..1.0e3f64,
        -1.0e6..1.0e6f64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Lloyd from the same initial centres: running one more iteration never raises the
    /// inertia (each E-step and M-step can only lower the objective; empty clusters are
    /// relocated to a row, which also lowers it).
    #[test]
    fn lloyd_inertia_never_increases(
        x in matrix(8..=40, 1..=4, cell()),
        k in 1usize..=5,
        pick in proptest::collection::vec(any::<u64>(), 5),
    ) {
        let n = x.nrows();
        let k = k.min(n);
        // Initial centres: rows of x (possibly the same row twice, which empties a cluster).
        let mut init = Array2::zeros((k, x.ncols()));
        for (c, &p) in pick.iter().take(k).enumerate() {
            init.row_mut(c).assign(&x.row((p % n as u64) as usize));
        }
        let mut previous = f64::INFINITY;
        for max_iter in 1..=8 {
            let model = KMeansParams::new(k)
                .init(Init::Given(init.clone()))
                .algorithm(Algorithm::Lloyd)
                .tol(0.0)
                .max_iter(max_iter)
                .fit(x.view())
                .unwrap();
            let inertia = model.inertia();
            prop_assert!(inertia.is_finite() && inertia >= 0.0);
            // Rounding in the distance kernel may reorder near-ties: allow a few ulps of the
            // data's total squared norm, never a real increase.
            let scale: f64 = x.iter().map(|v| v * v).sum::<f64>() + 1.0;
            prop_assert!(
                inertia <= previous + 1e-9 * scale,
                "max_iter {max_iter}: inertia {inertia} > previous {previous}"
            );
            previous = inertia;
        }
    }

    /// Every silhouette value lies in [-1, 1], and so does their mean.
    #[test]
    fn silhouette_values_in_range(
        x in matrix(3..=40, 1..=3, cell()),
        labels_seed in any::<u64>(),
        k in 2usize..=5,
    ) {
        let n = x.nrows();
        let k = k.min(n - 1);
        // Labels 0..k, each cluster non-empty (the first k rows), fewer clusters than rows.
        let mut rng = CarteraRng::seed_from_u64(labels_seed);
        let labels: Vec<usize> = (0..n).map(|i| if i < k { i } else { rng.index(k) }).collect();
        let s = silhouette_samples(x.view(), labels.as_slice()).unwrap();
        prop_assert_eq!(s.len(), n);
        for (i, v) in s.iter().enumerate() {
            prop_assert!((-1.0..=1.0).contains(v), "row {i}: silhouette {v}");
        }
        let mean = silhouette_score(x.view(), labels.as_slice()).unwrap();
        prop_assert!((-1.0..=1.0).contains(&mean));
    }

    /// inverse_transform(transform(x)) == x for the three scalers, with constant columns and
    /// any feature or quantile range.
    #[test]
    fn scalers_round_trip(
        x in matrix(2..=30, 1..=4, cell()),
        constant_col in any::<bool>(),
        range in (-5.0..5.0f64, 0.1..10.0f64),
        quantiles in (1.0..45.0f64, 55.0..99.0f64),
        with_mean in any::<bool>(),
        with_std in any::<bool>(),
    ) {
        let mut x = x;
        if constant_col {
            x.column_mut(0).fill(42.5);
        }
        let fitted = [
            StandardScaler::new().with_mean(with_mean).with_std(with_std).fit(x.view()).unwrap(),
            MinMaxScaler::new().feature_range(range.0, range.0 + range.1).fit(x.view()).unwrap(),
            RobustScaler::new().quantile_range(quantiles.0, quantiles.1).fit(x.view()).unwrap(),
        ];
        for scaler in &fitted {
            let back = scaler.inverse_transform(scaler.transform(x.view()).unwrap().view()).unwrap();
            prop_assert_eq!(back.dim(), x.dim());
            for j in 0..x.ncols() {
                let col = x.column(j);
                let mag = col.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                for i in 0..x.nrows() {
                    let (a, b) = (x[[i, j]], back[[i, j]]);
                    prop_assert!(
                        (a - b).abs() <= 1e-9 * mag,
                        "{:?}: cell ({i}, {j}) {a} came back as {b}", scaler.kind()
                    );
                }
            }
        }
    }
}

/// A random tree in LightGBM's layout: internal nodes numbered parent before child, leaves in
/// visiting order, consistent covers (an internal count is the sum of its leaves' counts).
fn random_tree(rng: &mut CarteraRng, n_features: usize, max_depth: usize) -> Tree {
    let mut t = Tree::constant(0.0, 0.0, 0.0);
    t.leaf_value.clear();
    t.leaf_weight.clear();
    t.leaf_count.clear();
    // Category set 0: a random bitset over categories 0..64.
    t.cat_boundaries = vec![0, 2];
    t.cat_threshold = vec![rng.next_u64() as u32, rng.next_u64() as u32];
    fn grow(t: &mut Tree, rng: &mut CarteraRng, n_features: usize, depth: usize) -> (i32, f64) {
        let split = depth > 0 && (t.split_feature.is_empty() || rng.bernoulli(0.7));
        if !split {
            let l = t.leaf_value.len();
            let count = 1.0 + rng.index(50) as f64;
            t.leaf_value.push(rng.normal_with(0.0, 2.0));
            t.leaf_weight.push(count);
            t.leaf_count.push(count);
            return (!(l as i32), count);
        }
        let node = t.split_feature.len();
        let categorical = rng.bernoulli(0.2);
        let missing = [MissingType::None, MissingType::Zero, MissingType::NaN][rng.index(3)];
        t.split_feature.push(rng.index(n_features) as u32);
        t.threshold.push(if categorical {
            0.0
        } else {
            (rng.index(7) as f64 - 3.0) * 0.5
        });
        t.decision.push(Decision {
            categorical,
            default_left: rng.bernoulli(0.5),
            missing,
        });
        t.left_child.push(0);
        t.right_child.push(0);
        t.split_gain.push(1.0);
        t.internal_value.push(0.0);
        t.internal_weight.push(0.0);
        t.internal_count.push(0.0);
        let (left, lc) = grow(t, rng, n_features, depth - 1);
        let (right, rc) = grow(t, rng, n_features, depth - 1);
        t.left_child[node] = left;
        t.right_child[node] = right;
        t.internal_weight[node] = lc + rc;
        t.internal_count[node] = lc + rc;
        (node as i32, lc + rc)
    }
    grow(&mut t, rng, n_features, max_depth);
    t
}

fn random_ensemble(seed: u64, n_features: usize, n_outputs: usize, rounds: usize) -> Ensemble {
    let mut rng = CarteraRng::seed_from_u64(seed);
    let trees = (0..rounds * n_outputs)
        .map(|_| {
            let depth = 1 + rng.index(6);
            random_tree(&mut rng, n_features, depth)
        })
        .collect();
    let objective = if n_outputs == 1 {
        Objective::Binary { sigmoid: 1.0 }
    } else {
        Objective::Multiclass {
            n_classes: n_outputs,
        }
    };
    let e = Ensemble {
        trees,
        n_features,
        feature_names: (0..n_features).map(|j| format!("f{j}")).collect(),
        objective,
        init_score: (0..n_outputs).map(|c| 0.25 * c as f64 - 0.1).collect(),
    };
    e.validate().unwrap();
    e
}

/// Row values hitting every branch kind: thresholds exactly, zero, NaN, negative and
/// category codes.
fn shap_cell() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        (-3i32..=3).prop_map(|v| f64::from(v) * 0.5),
        Just(f64::NAN),
        Just(0.0),
        (0u32..64).prop_map(f64::from),
        -5.0..5.0f64,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Local accuracy: for every row and output, the contributions plus the expected value
    /// equal the ensemble's raw score, for both exact algorithms.
    #[test]
    fn treeshap_sums_to_margin(
        seed in any::<u64>(),
        n_outputs in prop_oneof![Just(1usize), Just(3usize)],
        rounds in 1usize..=3,
        x in matrix(1..=6, 1..=5, shap_cell()),
    ) {
        let e = random_ensemble(seed, x.ncols(), n_outputs, rounds);
        let mut raw = vec![0.0; n_outputs];
        for algorithm in [ShapAlgorithm::Fast, ShapAlgorithm::Reference] {
            let values = TreeShap::with_algorithm(&e, algorithm)
                .unwrap()
                .shap_values(x.view())
                .unwrap();
            prop_assert_eq!(values.n_outputs(), n_outputs);
            for (i, row) in x.rows().into_iter().enumerate() {
                e.predict_raw_row(row.as_slice().unwrap(), &mut raw);
                for (c, &margin) in raw.iter().enumerate() {
                    let total: f64 = values.for_output(c).row(i).sum();
                    let scale = 1.0 + e.trees.iter().map(|t| {
                        t.leaf_value.iter().fold(0.0f64, |m, v| m.max(v.abs()))
                    }).sum::<f64>();
                    prop_assert!(
                        (total - margin).abs() <= 1e-9 * scale,
                        "{algorithm:?} row {i} output {c}: sum {total} vs raw score {margin}"
                    );
                }
            }
        }
    }
}

/// Mann-Whitney AUC: the share of (positive, negative) pairs ordered correctly, ties half.
fn pairwise_auc(y: &[bool], s: &[f64]) -> f64 {
    let (mut num, mut pairs) = (0.0, 0.0);
    for (i, &yi) in y.iter().enumerate() {
        for (j, &yj) in y.iter().enumerate() {
            if yi && !yj {
                pairs += 1.0;
                if s[i] > s[j] {
                    num += 1.0;
                } else if s[i] == s[j] {
                    num += 0.5;
                }
            }
        }
    }
    num / pairs
}

/// Outcomes with both classes and integer scores (ties likely).
fn labelled_scores() -> impl Strategy<Value = (Vec<bool>, Vec<f64>)> {
    (2usize..=120).prop_flat_map(|n| {
        (
            proptest::collection::vec(any::<bool>(), n),
            proptest::collection::vec((-20i32..=20).prop_map(f64::from), n),
        )
            .prop_map(|(mut y, s)| {
                // Both outcomes present.
                y[0] = true;
                y[1] = false;
                (y, s)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// AUC depends on the order of the scores only: strictly increasing transforms leave it
    /// unchanged (exactly: it is computed from counts), a decreasing one turns it into
    /// 1 − AUC, and it equals the pairwise count.
    #[test]
    fn auc_invariant_to_monotone_transforms((y, s) in labelled_scores(), a in 0.01..100.0f64) {
        let auc = roc_auc(&y, &s).unwrap();
        prop_assert!((auc - pairwise_auc(&y, &s)).abs() <= 1e-12);
        // Strictly increasing on the integer grid -20..=20 (distinct inputs stay distinct).
        let transforms: [&dyn Fn(f64) -> f64; 4] = [
            &|v| a * v - 7.0,
            &|v| v * v * v,
            &|v| (v / 10.0).exp(),
            &|v| 1.0 / (1.0 + (-v / 4.0).exp()),
        ];
        for f in transforms {
            let t: Vec<f64> = s.iter().map(|&v| f(v)).collect();
            prop_assert_eq!(roc_auc(&y, &t).unwrap(), auc);
        }
        let flipped: Vec<f64> = s.iter().map(|v| -v).collect();
        prop_assert!((roc_auc(&y, &flipped).unwrap() - (1.0 - auc)).abs() <= 1e-12);
    }

    /// The gains curve ends at 100 % of the responders, every row lands in one bin, and the
    /// cumulative capture never decreases.
    #[test]
    fn gains_capture_ends_at_100((y, s) in labelled_scores(), bins in 1usize..=12) {
        let bins = bins.min(y.len());
        let g = gains(&y, &s, bins).unwrap();
        let last = g.rows.last().unwrap();
        prop_assert!((last.cum_capture - 1.0).abs() <= 1e-12, "ends at {}", last.cum_capture);
        prop_assert_eq!(last.cum_customers, y.len() as u64);
        prop_assert_eq!(last.cum_responders, y.iter().filter(|&&v| v).count() as u64);
        prop_assert_eq!(g.rows.iter().map(|r| r.customers).sum::<u64>(), y.len() as u64);
        for w in g.rows.windows(2) {
            prop_assert!(w[1].cum_capture >= w[0].cum_capture);
        }
    }

    /// Tier counts add up to the number of customers in every group and in the total, and
    /// each group's counts equal a direct count with the bounds' rule.
    #[test]
    fn risk_tier_counts_sum_to_n(
        retention in proptest::collection::vec(
            prop_oneof![0.0..=1.0f64, Just(0.5), Just(0.7), Just(0.85), Just(0.0), Just(1.0)],
            1..300,
        ),
        n_groups in 1usize..=4,
        group_seed in any::<u64>(),
    ) {
        let n = retention.len();
        let mut rng = CarteraRng::seed_from_u64(group_seed);
        let codes: Vec<u32> = (0..n).map(|_| rng.index(n_groups) as u32).collect();
        let labels: Vec<String> = (0..n_groups).map(|g| format!("g{g}")).collect();
        let groups = Groups::from_codes(codes.clone(), labels).unwrap();
        let bounds = TierBounds::default();
        let table = risk_tiers(&retention, Some(&groups), bounds).unwrap();
        let t = &table.total;
        prop_assert_eq!(t.total, n as u64);
        prop_assert_eq!(t.low + t.moderate + t.high + t.critical, n as u64);
        prop_assert_eq!(table.rows.iter().map(|r| r.total).sum::<u64>(), n as u64);
        for (g, row) in table.rows.iter().enumerate() {
            prop_assert_eq!(row.low + row.moderate + row.high + row.critical, row.total);
            let mut direct = [0u64; 4];
            for (i, &r) in retention.iter().enumerate() {
                if codes[i] as usize == g {
                    direct[bounds.tier(r) as usize] += 1;
                }
            }
            prop_assert_eq!([row.low, row.moderate, row.high, row.critical], direct);
        }
    }
}
