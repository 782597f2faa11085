//! The one score order every table uses: score descending, ties by row ascending.
//!
//! Sorting `(key, row)` pairs where the key is an order-preserving integer image of the score
//! makes the order total and independent of the sort algorithm and of the thread count, so
//! every table built on it is reproducible bit for bit.

use rayon::prelude::*;

/// Maps a finite score to a `u64` that sorts the same way (`-0.0` and `0.0` map together).
#[inline]
fn key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits(); // `+ 0.0` turns -0.0 into 0.0
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// Below this many rows a sequential sort is faster than spreading the work.
const PAR_SORT_MIN: usize = 50_000;

/// Rows in score-descending order, ties by row ascending. Scores must be finite (checked by
/// the callers).
pub(crate) fn descending(score: &[f64]) -> Vec<u32> {
    // `!key` sorts descending by score; the row index breaks ties ascending.
    let mut pairs: Vec<(u64, u32)> = score
        .iter()
        .enumerate()
        .map(|(i, &s)| (!key(s), i as u32))
        .collect();
    if pairs.len() >= PAR_SORT_MIN {
        pairs.par_sort_unstable();
    } else {
        pairs.sort_unstable();
    }
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// True when two finite scores are the same threshold (`-0.0 == 0.0`).
#[inline]
pub(crate) fn same(a: f64, b: f64) -> bool {
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_total_and_stable_on_ties() {
        let s = [0.5, -1.0, 0.5, 3.0, -0.0, 0.0, f64::MIN_POSITIVE];
        assert_eq!(descending(&s), [3, 0, 2, 6, 4, 5, 1]);
    }
}
