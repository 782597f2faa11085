//! Agreement between two labelings of the same rows: the adjusted Rand index.
//!
//! Used to check that a segmentation recovers known groups (a generator's latent groups, a
//! reference clustering), where label numbers are arbitrary and only the partition matters.

use std::collections::HashMap;

use cartera_core::{Error, Result};

/// Adjusted Rand index of two labelings (Hubert and Arabie, 1985), as scikit-learn's
/// `adjusted_rand_score`: 1 for the same partition whatever the label numbers, about 0 for
/// chance agreement, negative below chance. Label values may be any `usize` (they are
/// renumbered first, so large or sparse labels cost nothing). When both labelings are trivial
/// in the same way (one cluster each, or every row alone) the index is 1, as scikit-learn.
///
/// ```
/// use cartera_silhouette::adjusted_rand_index;
///
/// // The same partition with the labels swapped.
/// assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0])?, 1.0);
/// // scikit-learn: adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285715
/// let ari = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2])?;
/// assert!((ari - 0.5714285714285715).abs() < 1e-12);
/// # Ok::<(), cartera_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::ShapeMismatch`] when the two labelings differ in length, [`Error::EmptyInput`]
/// when they are empty.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> Result<f64> {
    if a.len() != b.len() {
        return Err(Error::ShapeMismatch {
            what: "length of the second labeling (adjusted Rand index)".into(),
            expected: a.len(),
            found: b.len(),
        });
    }
    if a.is_empty() {
        return Err(Error::empty(
            "labelings compared by the adjusted Rand index",
        ));
    }
    let (ca, ka) = dense_codes(a);
    let (cb, kb) = dense_codes(b);
    // Contingency table: at most n non-empty cells, so a map keeps memory O(n) even when both
    // labelings have many distinct values.
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    let (mut rows, mut cols) = (vec![0u64; ka], vec![0u64; kb]);
    for (&i, &j) in ca.iter().zip(&cb) {
        *cells.entry((i, j)).or_insert(0) += 1;
        rows[i] += 1;
        cols[j] += 1;
    }
    let pairs = |c: u64| (c as f64) * (c as f64 - 1.0) / 2.0;
    // Summed in a fixed order (sorted cells) so the result does not depend on hash order.
    let mut counts: Vec<u64> = cells.into_values().collect();
    counts.sort_unstable();
    let sum_cells: f64 = counts.iter().map(|&c| pairs(c)).sum();
    let sum_a: f64 = rows.iter().map(|&c| pairs(c)).sum();
    let sum_b: f64 = cols.iter().map(|&c| pairs(c)).sum();
    let total = pairs(a.len() as u64);
    let expected = if total > 0.0 {
        sum_a * sum_b / total
    } else {
        0.0
    };
    let max = 0.5 * (sum_a + sum_b);
    if max == expected {
        return Ok(1.0);
    }
    Ok((sum_cells - expected) / (max - expected))
}

/// Labels renumbered `0..k` in order of first appearance, and `k`.
fn dense_codes(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut map: HashMap<usize, usize> = HashMap::new();
    let codes = labels
        .iter()
        .map(|&l| {
            let next = map.len();
            *map.entry(l).or_insert(next)
        })
        .collect();
    (codes, map.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn matches_scikit_learn_values() {
        // Values from sklearn.metrics.adjusted_rand_score.
        let cases: [(&[usize], &[usize], f64); 5] = [
            (&[0, 0, 1, 1], &[0, 0, 1, 2], 0.5714285714285715),
            (&[0, 1, 0, 1], &[0, 0, 1, 1], -0.5),
            (&[0, 0, 1, 2], &[0, 0, 1, 1], 0.5714285714285715),
            (&[0, 0, 0, 0], &[0, 1, 2, 3], 0.0),
            (
                &[0, 0, 1, 1, 2, 2],
                &[7, 7, 7, 9, 9, 1_000_000],
                0.07407407407407407,
            ),
        ];
        for (a, b, want) in cases {
            let got = adjusted_rand_index(a, b).unwrap();
            assert!((got - want).abs() < 1e-12, "{a:?} {b:?}: {got} vs {want}");
        }
    }

    #[test]
    fn trivial_partitions_agree() {
        assert_eq!(adjusted_rand_index(&[3, 3, 3], &[5, 5, 5]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 1, 2], &[2, 0, 1]).unwrap(), 1.0);
        assert_eq!(adjusted_rand_index(&[4], &[9]).unwrap(), 1.0);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            adjusted_rand_index(&[0, 1], &[0]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            adjusted_rand_index(&[], &[]),
            Err(Error::EmptyInput { .. })
        ));
    }
}
