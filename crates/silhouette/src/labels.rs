//! Cluster labels as the kernels want them: compact ids `0..k` in the order of the sorted
//! original labels (scikit-learn's `LabelEncoder`), with the checks every score shares.

use cartera_core::{Error, Result};
use ndarray::ArrayView1;

/// Labels mapped to `0..k`, with each cluster's size.
#[derive(Clone, Debug)]
pub(crate) struct Labels {
    /// Compact id of each row, `0..k`.
    pub ids: Vec<u32>,
    /// The original label of each compact id, increasing.
    pub classes: Vec<usize>,
    /// Rows per compact id.
    pub sizes: Vec<usize>,
}

impl Labels {
    /// Maps `labels` (any values, need not be contiguous) to compact ids.
    ///
    /// Errors: [`Error::ShapeMismatch`] when `labels` does not have `n_rows` entries.
    pub fn new(labels: ArrayView1<'_, usize>, n_rows: usize) -> Result<Self> {
        if labels.len() != n_rows {
            return Err(Error::ShapeMismatch {
                what: "number of labels (one per row of X)".into(),
                expected: n_rows,
                found: labels.len(),
            });
        }
        let max = labels.iter().copied().max().unwrap_or(0);
        let (classes, ids): (Vec<usize>, Vec<u32>) = if max < 4 * n_rows.max(16) {
            // Small label values (the usual 0..k): a presence table and a direct lookup, no
            // sort of the n labels.
            // `u32::MAX` marks an absent value, 0 a present one until it is numbered below.
            let mut table = vec![u32::MAX; max + 1];
            for &l in labels.iter() {
                table[l] = 0;
            }
            let mut classes = Vec::new();
            for (value, slot) in table.iter_mut().enumerate() {
                if *slot == 0 {
                    *slot = classes.len() as u32;
                    classes.push(value);
                }
            }
            let ids = labels.iter().map(|&l| table[l]).collect();
            (classes, ids)
        } else {
            let mut classes: Vec<usize> = labels.iter().copied().collect();
            classes.sort_unstable();
            classes.dedup();
            let ids = labels
                .iter()
                // The label is in `classes` by construction, so the search always succeeds.
                .map(|l| classes.binary_search(l).unwrap_or(0) as u32)
                .collect();
            (classes, ids)
        };
        let mut sizes = vec![0usize; classes.len()];
        for &i in &ids {
            sizes[i as usize] += 1;
        }
        Ok(Labels {
            ids,
            classes,
            sizes,
        })
    }

    /// Number of clusters `k`.
    pub fn k(&self) -> usize {
        self.classes.len()
    }

    /// scikit-learn's `check_number_of_labels`: the scores need `2 <= k <= n - 1`
    /// ([`has_scores`]).
    ///
    /// Errors: [`Error::TooFewSamples`] for one cluster, [`Error::InvalidParameter`]
    /// (`labels`) when every sample is its own cluster.
    pub fn check_number(&self) -> Result<()> {
        let (k, n) = (self.k(), self.ids.len());
        if k < 2 {
            return Err(Error::TooFewSamples {
                what: "distinct cluster labels".into(),
                needed: 2,
                found: k,
            });
        }
        if k >= n {
            return Err(Error::invalid_param(
                "labels",
                format!("{k} clusters for {n} samples"),
                "the number of clusters must be at most the number of samples - 1 \
                 (scikit-learn raises the same)",
            ));
        }
        debug_assert!(has_scores(k, n));
        Ok(())
    }
}

/// Whether `k` clusters of `n` rows have a silhouette (and the other scores): `2 <= k <= n - 1`,
/// the rule [`Labels::check_number`] enforces with an error naming the side broken.
pub(crate) fn has_scores(k: usize, n: usize) -> bool {
    k >= 2 && k < n
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ndarray::aview1;

    #[test]
    fn non_contiguous_labels_are_mapped_in_sorted_order() {
        let l = Labels::new(aview1(&[7, 3, 7, 100, 3]), 5).unwrap();
        assert_eq!(l.classes, vec![3, 7, 100]);
        assert_eq!(l.ids, vec![1, 0, 1, 2, 0]);
        assert_eq!(l.sizes, vec![2, 2, 1]);
        let big = Labels::new(aview1(&[usize::MAX, 5, 5]), 3).unwrap();
        assert_eq!(big.ids, vec![1, 0, 0]);
        assert_eq!(big.classes, vec![5, usize::MAX]);
    }

    #[test]
    fn number_of_clusters_is_checked() {
        let one = Labels::new(aview1(&[4, 4, 4]), 3).unwrap();
        assert!(matches!(
            one.check_number(),
            Err(Error::TooFewSamples {
                needed: 2,
                found: 1,
                ..
            })
        ));
        let all = Labels::new(aview1(&[0, 1, 2]), 3).unwrap();
        assert!(matches!(
            all.check_number(),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(
            Labels::new(aview1(&[0, 1, 1]), 3)
                .unwrap()
                .check_number()
                .is_ok()
        );
        assert!(matches!(
            Labels::new(aview1(&[0, 1]), 3),
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
    }
}
