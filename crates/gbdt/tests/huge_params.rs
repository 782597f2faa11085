//! Parameters far past any real use must not exhaust memory before the first tree.

#![allow(clippy::unwrap_used)]

use cartera_gbdt::GbdtParams;
use ndarray::{Array1, Array2};

/// Boosting stops when no leaf can split, as LightGBM does; asking for 2^60 rounds must then
/// return at once instead of reserving room for every tree up front (10^8 rounds asked for
/// 33 GB, and 2^60 overflowed the capacity).
#[test]
fn a_huge_round_count_reserves_nothing_up_front() {
    let x = Array2::from_shape_fn((60, 2), |(i, j)| (i * (j + 3) % 17) as f64);
    let y = Array1::from_shape_fn(60, |i| (i % 2) as f64);
    let model = GbdtParams::new()
        .n_estimators(1 << 60)
        .min_data_in_leaf(1_000)
        .fit(x.view(), y.view())
        .unwrap();
    assert!(model.ensemble().trees.is_empty());
}
