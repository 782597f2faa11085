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
    /// Where each block of a split partitions its rows before they are copied into place.
    tmp: Vec<u32>,
}

impl DataPartition {
    /// An empty partition able to hold `n_rows` rows and `max_leaves` leaves.
    pub fn new(n_rows: usize, max_leaves: usize) -> Self {
        DataPartition {
            indices: Vec::with_capacity(n_rows),
            begin: Vec::with_capacity(max_leaves),
            count: Vec::with_capacity(max_leaves),
            tmp: vec![0; n_rows],
        }
    }

    /// Start a tree: every row of `rows` (all rows when `None`) in leaf 0.
    pub fn reset(&mut self, n_rows: usize, rows: Option<&[u32]>) {
        self.indices.clear();
        match rows {
            Some(r) => self.indices.extend_from_slice(r),
            None => self.indices.extend(0..n_rows as u32),
        }
        if self.tmp.len() < self.indices.len() {
            self.tmp.resize(self.indices.len(), 0);
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

    /// [`split_gathering`](Self::split_gathering) without gathering.
    #[cfg(test)]
    pub fn split<P>(&mut self, leaf: usize, left: P) -> (usize, usize)
    where
        P: Fn(u32) -> bool + Sync,
    {
        self.split_gathering::<u32, P>(leaf, left, None)
    }

    /// Split `leaf`: rows for which `left(row)` holds stay in `leaf`, the others form a new
    /// leaf (index `n_leaves()` before the call). Returns `(left rows, right rows)`.
    ///
    /// Two parallel passes over blocks of `BLOCK` rows. First each block partitions its rows
    /// into its own part of the scratch: left rows from the front in order, right rows from
    /// the back, so in reverse order. The prefix sums of the blocks' left counts then give
    /// every block its destinations in the leaf's range, where the second pass copies its left
    /// rows, and its right rows back into order: the serial stable partition, whatever the
    /// number of threads. (Deciding the sides into a mask, scattering by it, then copying the
    /// scatter back took three passes.)
    ///
    /// With `gather = (gh, ordered)` the second pass also writes `ordered[i] = gh[row]` for
    /// the `i`-th row of the smaller child (the right one on a tie) as it puts the row in
    /// place: the pairs its histogram reads in its row order, gathered in this parallel pass
    /// rather than in a pass of their own (on one thread for a leaf under 32,768 rows).
    pub fn split_gathering<E, P>(
        &mut self,
        leaf: usize,
        left: P,
        gather: Option<(&[E], &mut [E])>,
    ) -> (usize, usize)
    where
        E: Copy + Send + Sync,
        P: Fn(u32) -> bool + Sync,
    {
        let (b, c) = (self.begin[leaf], self.count[leaf]);
        let range = &mut self.indices[b..b + c];
        // As long as the table from the start; every slot of `tmp[..c]` is written before it
        // is read, so it needs no clearing per split.
        let tmp = &mut self.tmp[..c];
        let counts: Vec<usize> = tmp
            .par_chunks_mut(BLOCK)
            .zip(range.par_chunks(BLOCK))
            .map(|(t, rows)| {
                // Branch-free on the side: every row is written to both sides' next slot and
                // only its own side's cursor moves (a branch on a split that sends rows either
                // way is mispredicted about every other row). Before row `j`, `il + ir = j`,
                // so both slots lie in the block, and a slot written for the other side is a
                // free one, filled later by its own row.
                let n = rows.len();
                let (mut il, mut ir) = (0usize, 0usize);
                for &row in rows {
                    let go = usize::from(left(row));
                    t[il] = row;
                    t[n - 1 - ir] = row;
                    il += go;
                    ir += 1 - go;
                }
                il
            })
            .collect();
        let n_left: usize = counts.iter().sum();
        let small_left = n_left < c - n_left;
        let (gh, mut ordered, gathering) = match gather {
            Some((gh, o)) => (gh, &mut o[..n_left.min(c - n_left)], true),
            None => (&[][..], &mut [][..], false),
        };
        // Carve the leaf's range into one (left part, right part) pair per block, and the
        // smaller child's pairs into the blocks' shares of it.
        let (mut left_dst, mut right_dst) = range.split_at_mut(n_left);
        let mut dst = Vec::with_capacity(counts.len());
        for (i, &nl) in counts.iter().enumerate() {
            let len = BLOCK.min(c - i * BLOCK);
            let (l, lrest) = std::mem::take(&mut left_dst).split_at_mut(nl);
            let (r, rrest) = std::mem::take(&mut right_dst).split_at_mut(len - nl);
            left_dst = lrest;
            right_dst = rrest;
            let share = if !gathering {
                0
            } else if small_left {
                nl
            } else {
                len - nl
            };
            let (o, orest) = std::mem::take(&mut ordered).split_at_mut(share);
            ordered = orest;
            dst.push((l, r, o));
        }
        dst.into_par_iter()
            .zip(tmp.par_chunks(BLOCK))
            .for_each(|((l, r, o), t)| {
                let (front, back) = t.split_at(l.len());
                l.copy_from_slice(front);
                for (d, &s) in r.iter_mut().zip(back.iter().rev()) {
                    *d = s;
                }
                let small: &[u32] = if small_left { l } else { r };
                for (o, &row) in o.iter_mut().zip(small) {
                    *o = gh[row as usize];
                }
            });
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
        // Many blocks: the parallel scatter is the serial stable partition.
        let n = 5 * BLOCK + 123;
        let mut p = DataPartition::new(n, 2);
        p.reset(n, None);
        let keep = |r: u32| (r.wrapping_mul(2_654_435_761) >> 7).is_multiple_of(3);
        let (l, r) = p.split(0, keep);
        let want_left: Vec<u32> = (0..n as u32).filter(|&r| keep(r)).collect();
        let want_right: Vec<u32> = (0..n as u32).filter(|&r| !keep(r)).collect();
        assert_eq!((l, r), (want_left.len(), want_right.len()));
        assert_eq!(p.rows(0), &want_left[..]);
        assert_eq!(p.rows(1), &want_right[..]);
        // Gathering: the smaller child's pairs in its row order, left or right.
        let gh: Vec<u64> = (0..n as u64).map(|r| r * 10 + 7).collect();
        for keep_left in [true, false] {
            let mut p = DataPartition::new(n, 2);
            p.reset(n, None);
            let mut ordered = vec![0u64; n];
            let (l, r) = p.split_gathering(
                0,
                |r| keep(r) == keep_left,
                Some((&gh[..], &mut ordered[..])),
            );
            let small = if l < r { 0 } else { 1 };
            let want: Vec<u64> = p.rows(small).iter().map(|&r| gh[r as usize]).collect();
            assert_eq!(&ordered[..want.len()], &want[..], "keep_left {keep_left}");
            assert!(!want.is_empty());
        }
        p.reset(10, Some(&[2, 4, 8]));
        assert_eq!(p.rows(0), &[2, 4, 8]);
    }
}
