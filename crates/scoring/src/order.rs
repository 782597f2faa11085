//! The one score order every table uses: score descending, ties by row ascending.
//!
//! Scores are mapped to order-preserving integer keys and sorted with a stable LSD radix sort
//! (11-bit digits, passes where every key shares the digit skipped): rows start in index order
//! and every pass is stable, so equal scores keep ascending rows. The order is total and does
//! not depend on the thread count; the sort is O(n), several times faster than a comparison
//! sort on the 371,589 rows of study 004.

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

const DIGIT: u32 = 11;
const BUCKETS: usize = 1 << DIGIT;
const PASSES: u32 = 64_u32.div_ceil(DIGIT);

/// Rows in score-descending order, ties by row ascending. Scores must be finite (checked by
/// the callers); at most `u32::MAX` rows.
pub(crate) fn descending(score: &[f64]) -> Vec<u32> {
    let n = score.len();
    // Descending by score = ascending by the complemented key.
    let mut keys: Vec<u64> = score.iter().map(|&s| !key(s)).collect();
    let mut rows: Vec<u32> = (0..n as u32).collect();
    if n < 2 {
        return rows;
    }
    // All histograms in one read of the keys.
    let mut hist = vec![[0usize; BUCKETS]; PASSES as usize];
    for &k in &keys {
        for (p, h) in hist.iter_mut().enumerate() {
            h[((k >> (p as u32 * DIGIT)) as usize) & (BUCKETS - 1)] += 1;
        }
    }
    let mut keys2 = vec![0u64; n];
    let mut rows2 = vec![0u32; n];
    for (p, h) in hist.iter().enumerate() {
        // Every key has the same digit here: the pass would not move anything.
        if h.contains(&n) {
            continue;
        }
        let mut next = [0usize; BUCKETS];
        let mut sum = 0;
        for (d, &c) in h.iter().enumerate() {
            next[d] = sum;
            sum += c;
        }
        let shift = p as u32 * DIGIT;
        for (&k, &r) in keys.iter().zip(&rows) {
            let d = ((k >> shift) as usize) & (BUCKETS - 1);
            keys2[next[d]] = k;
            rows2[next[d]] = r;
            next[d] += 1;
        }
        std::mem::swap(&mut keys, &mut keys2);
        std::mem::swap(&mut rows, &mut rows2);
    }
    rows
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
        let s = [
            0.5,
            -1.0,
            0.5,
            3.0,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            -1e300,
            1e-300,
        ];
        assert_eq!(descending(&s), [3, 0, 2, 8, 6, 4, 5, 1, 7]);
    }

    #[test]
    fn agrees_with_a_comparison_sort() {
        let mut state = 7u64;
        let s: Vec<f64> = (0..5000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                ((u - 0.3) * 2000.0).round() / 100.0
            })
            .collect();
        let mut want: Vec<u32> = (0..s.len() as u32).collect();
        want.sort_by(|&a, &b| s[b as usize].total_cmp(&s[a as usize]).then(a.cmp(&b)));
        // -0.0 and 0.0 are equal for us but not for total_cmp: none occur here (0.0 only).
        assert_eq!(descending(&s), want);
    }
}
