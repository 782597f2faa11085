//! Holding out rows for validation: a stratified, seeded train/validation split.
//!
//! As scikit-learn's `train_test_split(..., stratify=y)`, each class keeps (as nearly as
//! rounding allows) the same share in both parts, so a rare churn class is never missing from
//! the validation metrics. Unlike scikit-learn the split is defined by cartera's own RNG, so
//! the same seed gives the same rows on every machine and thread count.
//!
//! ```
//! use cartera_preprocess::split::stratified_split;
//!
//! let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 10 == 0)).collect(); // 10 % positives
//! let s = stratified_split(&labels, 0.2, 7)?;
//! assert_eq!(s.valid.len(), 20);
//! assert_eq!(s.valid.iter().filter(|&&i| labels[i] == 1).count(), 2);
//! assert_eq!(s.train.len() + s.valid.len(), 100);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::rng::CarteraRng;
use cartera_core::{Error, Result};

/// Row indices of the two parts, each in increasing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows to fit on.
    pub train: Vec<usize>,
    /// Rows held out.
    pub valid: Vec<usize>,
}

/// Split rows labelled `0..K` into a training and a validation part, stratified by label.
///
/// Class `c` with `n_c` rows sends `round(fraction * n_c)` of them to validation, but never all
/// of them: every class present keeps at least one training row, and (when `fraction > 0` and
/// the class has two or more rows) at least one validation row. `fraction = 0` puts every row in
/// training. Rows are chosen by a seeded permutation per class.
///
/// Errors: `fraction` outside `[0, 1)`, or no rows.
pub fn stratified_split(labels: &[usize], fraction: f64, seed: u64) -> Result<Split> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(Error::invalid_param(
            "valid_fraction",
            fraction,
            "must be in [0, 1): 0 trains on every row",
        ));
    }
    if labels.is_empty() {
        return Err(Error::empty("rows to split"));
    }
    // Rows by label, in label order; a map, so that a label of any size (a product code
    // rather than 0..K) costs one entry rather than a slot per smaller value.
    let mut by_class: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, &c) in labels.iter().enumerate() {
        by_class.entry(c).or_default().push(i);
    }
    let mut in_valid = vec![false; labels.len()];
    for (&c, rows) in by_class.iter_mut() {
        let n = rows.len();
        if n == 0 || fraction == 0.0 {
            continue;
        }
        let mut take = (fraction * n as f64).round() as usize;
        if n >= 2 {
            take = take.clamp(1, n - 1);
        } else {
            take = 0;
        }
        // One stream per class: adding a class does not move the rows chosen for another.
        let mut rng = CarteraRng::stream(seed, c as u64);
        rng.shuffle(rows);
        for &i in &rows[..take] {
            in_valid[i] = true;
        }
    }
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, v) in in_valid.into_iter().enumerate() {
        if v { valid.push(i) } else { train.push(i) }
    }
    Ok(Split { train, valid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_class_shares_and_is_deterministic() {
        let labels: Vec<usize> = (0..1000).map(|i| [0, 0, 0, 1, 2][i % 5]).collect();
        let a = stratified_split(&labels, 0.25, 3).unwrap();
        let b = stratified_split(&labels, 0.25, 3).unwrap();
        assert_eq!(a, b);
        let count = |rows: &[usize], c| rows.iter().filter(|&&i| labels[i] == c).count();
        assert_eq!(count(&a.valid, 0), 150);
        assert_eq!(count(&a.valid, 1), 50);
        assert_eq!(count(&a.valid, 2), 50);
        let c = stratified_split(&labels, 0.25, 4).unwrap();
        assert_ne!(a.valid, c.valid, "another seed, other rows");
        let mut all: Vec<usize> = a.train.iter().chain(&a.valid).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn zero_fraction_and_tiny_classes() {
        let labels = [0, 1, 1, 0, 0];
        let s = stratified_split(&labels, 0.0, 0).unwrap();
        assert!(s.valid.is_empty());
        let s = stratified_split(&[0, 0, 0, 1], 0.5, 0).unwrap();
        assert_eq!(s.valid.len(), 2, "class 1 (one row) stays in training");
        assert!(s.train.contains(&3));
        let s = stratified_split(&[0, 0, 1, 1], 0.01, 0).unwrap();
        assert_eq!(s.valid.len(), 2, "at least one validation row per class");
    }

    /// Labels need not be 0..K: codes up to usize::MAX split by class as small labels do
    /// (before, they overflowed or allocated a slot per smaller value).
    #[test]
    fn labels_of_any_size() {
        let small: Vec<usize> = (0..200).map(|i| i % 3).collect();
        let codes = [7usize, 1_000_000_000_000, usize::MAX];
        let large: Vec<usize> = small.iter().map(|&c| codes[c]).collect();
        let a = stratified_split(&large, 0.3, 5).unwrap();
        let count = |rows: &[usize], c| rows.iter().filter(|&&i| large[i] == c).count();
        for &c in &codes[1..] {
            assert_eq!(count(&a.valid, c), 20, "{c}");
        }
        assert_eq!(a.train.len() + a.valid.len(), 200);
        assert_eq!(
            stratified_split(&small, 0.3, 5).unwrap().valid.len(),
            a.valid.len()
        );
    }

    #[test]
    fn bad_fraction() {
        assert!(stratified_split(&[0, 1], 1.0, 0).is_err());
        assert!(stratified_split(&[0, 1], -0.1, 0).is_err());
        assert!(stratified_split(&[0, 1], f64::NAN, 0).is_err());
        assert!(stratified_split(&[], 0.2, 0).is_err());
    }
}
