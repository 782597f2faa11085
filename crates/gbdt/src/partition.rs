//! Which training rows sit in which leaf (LightGBM's `DataPartition`).
//!
//! All rows of the current tree live in one index array; each leaf owns a contiguous range of
//! it. Splitting a leaf partitions its range stably (rows keep their order), the left child
//! keeping the leaf's index and the range's front, so the layout is the same whatever the
//! number of threads.

use rayon::prelude::*;

/// Rows per parallel block when deciding sides.
const BLOCK: usize = 8192;

/// Row ranges of the leaves of the tree being grown.
pub(crate) struct DataPartition {
    indices: Vec<u32>,
    begin: Vec<usize>,
    count: Vec<usize>,
    goes_left: Vec<bool>,
    right_tmp: Vec<u32>,
}

impl DataPartition {
    /// An empty partition able to hold `n_rows` rows and `max_leaves` leaves.
    pub fn new(n_rows: usize, max_leaves: usize) -> Self {
        DataPartition {
            indices: Vec::with_capacity(n_rows),
            begin: Vec::with_capacity(max_leaves),
            count: Vec::with_capacity(max_leaves),
            goes_left: vec![false; n_rows],
            right_tmp: Vec::with_capacity(n_rows),
        }
    }

    /// Start a tree: every row of `rows` (all rows when `None`) in leaf 0.
    pub fn reset(&mut self, n_rows: usize, rows: Option<&[u32]>) {
        self.indices.clear();
        match rows {
            Some(r) => self.indices.extend_from_slice(r),
            None => self.indices.extend(0..n_rows as u32),
        }
        self.begin.clear();
        self.count.clear();
        self.begin.push(0);
        self.count.push(self.indices.len());
    }

    /// The rows of `leaf`.
    #[inline]
    pub fn rows(&self, leaf: usize) -> &[u32] {
        &self.indices[self.begin[leaf]..self.begin[leaf] + self.count[leaf]]
    }

    /// Number of leaves so far.
    #[cfg(test)]
    pub fn n_leaves(&self) -> usize {
        self.begin.len()
    }

    /// Split `leaf`: rows for which `left(row)` holds stay in `leaf`, the others form a new
    /// leaf (index `n_leaves()` before the call). Returns `(left rows, right rows)`.
    pub fn split<P>(&mut self, leaf: usize, left: P) -> (usize, usize)
    where
        P: Fn(u32) -> bool + Sync,
    {
        let (b, c) = (self.begin[leaf], self.count[leaf]);
        let range = &mut self.indices[b..b + c];
        let mask = &mut self.goes_left[..c];
        mask.par_chunks_mut(BLOCK)
            .zip(range.par_chunks(BLOCK))
            .for_each(|(m, rows)| {
                for (m, &r) in m.iter_mut().zip(rows) {
                    *m = left(r);
                }
            });
        self.right_tmp.clear();
        let mut n_left = 0;
        for i in 0..c {
            let r = range[i];
            if mask[i] {
                range[n_left] = r;
                n_left += 1;
            } else {
                self.right_tmp.push(r);
            }
        }
        range[n_left..].copy_from_slice(&self.right_tmp);
        self.count[leaf] = n_left;
        self.begin.push(b + n_left);
        self.count.push(c - n_left);
        (n_left, c - n_left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stable_and_complete() {
        let mut p = DataPartition::new(10, 4);
        p.reset(10, None);
        let (l, r) = p.split(0, |r| r % 3 == 0);
        assert_eq!((l, r), (4, 6));
        assert_eq!(p.rows(0), &[0, 3, 6, 9]);
        assert_eq!(p.rows(1), &[1, 2, 4, 5, 7, 8]);
        p.split(1, |r| r < 5);
        assert_eq!(p.rows(1), &[1, 2, 4]);
        assert_eq!(p.rows(2), &[5, 7, 8]);
        assert_eq!(p.n_leaves(), 3);
        p.reset(10, Some(&[2, 4, 8]));
        assert_eq!(p.rows(0), &[2, 4, 8]);
    }
}
