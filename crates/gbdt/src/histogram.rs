//! Gradient/hessian histograms of a leaf: one `(Σ grad, Σ hess)` pair per bin per feature.
//!
//! Built over fixed row blocks in parallel (the block size depends on the leaf's row count
//! only), each block into its own buffer, then summed in block order: the bits do not depend on
//! the number of threads. The learner builds the smaller child of a split and derives the
//! larger one by subtraction from the parent ([`subtract_into`]).

use rayon::prelude::*;

/// The histogram of one feature: 256 `(grad, hess)` pairs, indexed by the `u8` bin directly
/// (no bounds check in the inner loop).
pub(crate) type FeatureHist = [[f64; 2]; 256];

/// Smallest row block of a parallel build.
const MIN_BLOCK: usize = 16384;
/// Most blocks a build is cut into (bounds the scratch memory).
pub(crate) const MAX_BLOCKS: usize = 16;

/// A zeroed histogram for `n_features` features.
pub(crate) fn new_hist(n_features: usize) -> Vec<FeatureHist> {
    vec![[[0.0; 2]; 256]; n_features]
}

fn accumulate(bins: &[u8], nu: usize, gh: &[[f64; 2]], rows: &[u32], out: &mut [FeatureHist]) {
    for h in out.iter_mut() {
        *h = [[0.0; 2]; 256];
    }
    for &r in rows {
        let r = r as usize;
        let g = gh[r];
        let row = &bins[r * nu..(r + 1) * nu];
        for (h, &b) in out.iter_mut().zip(row) {
            let e = &mut h[b as usize];
            e[0] += g[0];
            e[1] += g[1];
        }
    }
}

/// Build the histogram of the rows `rows` into `out`, using `scratch` (at least
/// `MAX_BLOCKS - 1` histograms of the same width) for the parallel blocks.
pub(crate) fn build(
    bins: &[u8],
    nu: usize,
    gh: &[[f64; 2]],
    rows: &[u32],
    out: &mut [FeatureHist],
    scratch: &mut [Vec<FeatureHist>],
) {
    let block = MIN_BLOCK.max(rows.len().div_ceil(MAX_BLOCKS));
    let n_blocks = rows.len().div_ceil(block).max(1);
    if n_blocks == 1 {
        accumulate(bins, nu, gh, rows, out);
        return;
    }
    let (first, rest) = rows.split_at(block);
    let scratch = &mut scratch[..n_blocks - 1];
    rayon::join(
        || accumulate(bins, nu, gh, first, out),
        || {
            scratch
                .par_iter_mut()
                .zip(rest.par_chunks(block))
                .for_each(|(s, chunk)| accumulate(bins, nu, gh, chunk, s));
        },
    );
    // Sum blocks in block order, feature by feature (parallel over features only).
    let scratch = &*scratch;
    out.par_iter_mut().enumerate().for_each(|(f, h)| {
        for s in scratch {
            for (a, b) in h.iter_mut().zip(s[f].iter()) {
                a[0] += b[0];
                a[1] += b[1];
            }
        }
    });
}

/// `parent -= child`, turning the parent's histogram into its other child's.
pub(crate) fn subtract_into(parent: &mut [FeatureHist], child: &[FeatureHist], n_bins: &[usize]) {
    for ((p, c), &nb) in parent.iter_mut().zip(child).zip(n_bins) {
        for (a, b) in p[..nb].iter_mut().zip(&c[..nb]) {
            a[0] -= b[0];
            a[1] -= b[1];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_sum_to_the_serial_histogram() {
        let n = 60_000usize;
        let nu = 3;
        let bins: Vec<u8> = (0..n * nu).map(|i| ((i * 7919) % 256) as u8).collect();
        let gh: Vec<[f64; 2]> = (0..n).map(|i| [(i % 13) as f64 - 6.0, 1.0]).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).collect();
        let mut serial = new_hist(nu);
        accumulate(&bins, nu, &gh, &rows, &mut serial);
        let mut par = new_hist(nu);
        let mut scratch: Vec<_> = (0..MAX_BLOCKS).map(|_| new_hist(nu)).collect();
        build(&bins, nu, &gh, &rows, &mut par, &mut scratch);
        for f in 0..nu {
            for b in 0..256 {
                assert_eq!(serial[f][b][1], par[f][b][1]);
                assert!((serial[f][b][0] - par[f][b][0]).abs() < 1e-9);
            }
        }
        let total: f64 = (0..256).map(|b| par[0][b][1]).sum();
        assert_eq!(total, rows.len() as f64);
    }
}
