//! Gradient/hessian histograms of a leaf: one `(Σ grad, Σ hess)` pair per bin per feature
//! group (see [`crate::bundle`]).
//!
//! Built column by column (LightGBM's col-wise mode): each group's histogram is one pass over
//! its `u8` column for the leaf's rows, with the leaf's gradient pairs gathered once into row
//! order ("ordered gradients") so the inner loop reads them sequentially and the 4 KB
//! histograms stay in L1. Dense groups go four at a time, so each gradient pair is read once
//! for four histograms. Groups are built in parallel; each entry is summed in row order by
//! one thread, so the bits never depend on the number of threads. The learner builds the
//! smaller child of a split and derives the larger one by subtraction from the parent
//! ([`subtract_into`]).

use rayon::prelude::*;

use crate::bundle::FeatureGroups;

/// The histogram of one group: 256 `(grad, hess)` pairs, indexed by the `u8` bin directly
/// (no bounds check in the inner loop).
pub(crate) type FeatureHist = [[f64; 2]; 256];

/// A zeroed histogram for `n_groups` groups.
pub(crate) fn new_hist(n_groups: usize) -> Vec<FeatureHist> {
    vec![[[0.0; 2]; 256]; n_groups]
}

/// The rows of a histogram build with their gradient pairs.
#[derive(Clone, Copy)]
pub(crate) enum LeafRows<'a> {
    /// Every row in order: `gh[r]` is row `r`'s pair.
    All(&'a [[f64; 2]]),
    /// `rows[i]` with its pair at `ordered[i]`.
    Some {
        rows: &'a [u32],
        ordered: &'a [[f64; 2]],
    },
}

#[inline]
fn add(e: &mut [f64; 2], g: &[f64; 2]) {
    e[0] += g[0];
    e[1] += g[1];
}

fn accumulate(col: &[u8], leaf: LeafRows<'_>, skip_zero: bool, h: &mut FeatureHist) {
    *h = [[0.0; 2]; 256];
    // Bin 0 of a sparse group is never read (see `crate::bundle`); skipping it also breaks
    // the store-to-load chain of consecutive rows adding into the same entry.
    match (leaf, skip_zero) {
        (LeafRows::All(gh), false) => {
            for (&b, g) in col.iter().zip(gh) {
                add(&mut h[b as usize], g);
            }
        }
        (LeafRows::All(gh), true) => {
            for (&b, g) in col.iter().zip(gh) {
                if b != 0 {
                    add(&mut h[b as usize], g);
                }
            }
        }
        (LeafRows::Some { rows, ordered }, false) => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[col]);
                add(&mut h[col[r as usize] as usize], g);
            }
        }
        (LeafRows::Some { rows, ordered }, true) => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[col]);
                let b = col[r as usize];
                if b != 0 {
                    add(&mut h[b as usize], g);
                }
            }
        }
    }
}

/// Leaf rows ahead of the current one whose bins are requested (LightGBM's dense bins do the
/// same): a small leaf's rows are far apart, one cache line of each column per row.
#[cfg(target_arch = "x86_64")]
const PREFETCH_ROWS: usize = 32;

/// Requests the bins in `cols` of the leaf row `PREFETCH_ROWS` after the `i`-th (none past
/// the leaf's end).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn request_ahead(rows: &[u32], i: usize, cols: &[&[u8]]) {
    if let Some(&ahead) = rows.get(i + PREFETCH_ROWS) {
        for col in cols {
            cartera_core::dots::prefetch_rows(col, ahead as usize, 1);
        }
    }
}

/// Groups built together in one pass over the rows (their histograms, 16 KB, stay in L1).
const COL_CHUNK: usize = 4;

/// Col-wise build of `COL_CHUNK` groups from `g0` in one pass: each row's gradient pair is
/// read once for all of them.
fn accumulate4(groups: &FeatureGroups, g0: usize, leaf: LeafRows<'_>, out: &mut [FeatureHist]) {
    // `build` passes exactly COL_CHUNK histograms.
    let [h0, h1, h2, h3] = out else {
        return;
    };
    for h in [&mut *h0, &mut *h1, &mut *h2, &mut *h3] {
        *h = [[0.0; 2]; 256];
    }
    let (c0, c1, c2, c3) = (
        groups.col(g0),
        groups.col(g0 + 1),
        groups.col(g0 + 2),
        groups.col(g0 + 3),
    );
    match leaf {
        LeafRows::All(gh) => {
            for (r, g) in gh.iter().enumerate() {
                add(&mut h0[c0[r] as usize], g);
                add(&mut h1[c1[r] as usize], g);
                add(&mut h2[c2[r] as usize], g);
                add(&mut h3[c3[r] as usize], g);
            }
        }
        LeafRows::Some { rows, ordered } => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[c0, c1, c2, c3]);
                let r = r as usize;
                add(&mut h0[c0[r] as usize], g);
                add(&mut h1[c1[r] as usize], g);
                add(&mut h2[c2[r] as usize], g);
                add(&mut h3[c3[r] as usize], g);
            }
        }
    }
}

/// Build every group's histogram of `leaf` into `out` (one entry per group): chunks of
/// `COL_CHUNK` dense groups in one pass, groups whose bin 0 is skipped on their own.
pub(crate) fn build(groups: &FeatureGroups, leaf: LeafRows<'_>, out: &mut [FeatureHist]) {
    out.par_chunks_mut(COL_CHUNK)
        .enumerate()
        .for_each(|(c, hs)| {
            let g0 = c * COL_CHUNK;
            if hs.len() == COL_CHUNK && !groups.skip_zero[g0..g0 + COL_CHUNK].contains(&true) {
                accumulate4(groups, g0, leaf, hs);
            } else {
                for (i, h) in hs.iter_mut().enumerate() {
                    accumulate(groups.col(g0 + i), leaf, groups.skip_zero[g0 + i], h);
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
    use crate::binning::{BinMapper, BinnedData};

    #[test]
    fn four_at_a_time_matches_one_at_a_time() {
        let (n, nu) = (3000usize, 7usize);
        let bins: Vec<u8> = (0..n * nu).map(|i| ((i * 7919) % 200) as u8).collect();
        let mappers = (0..nu)
            .map(|_| {
                BinMapper::numerical(
                    (0..200)
                        .map(|b| if b == 199 { f64::INFINITY } else { b as f64 })
                        .collect(),
                    false,
                )
            })
            .collect();
        let data = BinnedData {
            mappers,
            used: (0..nu).collect(),
            bins,
            n_rows: n,
        };
        let groups = FeatureGroups::build(&data, true);
        assert_eq!(groups.n_groups(), nu);
        let gh: Vec<[f64; 2]> = (0..n).map(|i| [(i % 11) as f64 - 5.0, 0.5]).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 4 != 1).collect();
        let ordered: Vec<[f64; 2]> = rows.iter().map(|&r| gh[r as usize]).collect();
        for leaf in [
            LeafRows::All(&gh),
            LeafRows::Some {
                rows: &rows,
                ordered: &ordered,
            },
        ] {
            let mut got = new_hist(nu);
            build(&groups, leaf, &mut got);
            for (g, h) in got.iter().enumerate() {
                let mut want = [[0.0; 2]; 256];
                accumulate(groups.col(g), leaf, false, &mut want);
                assert_eq!(h, &want, "group {g}");
            }
        }
    }

    #[test]
    fn ordered_rows_match_a_direct_sum() {
        let n = 5000usize;
        let col: Vec<u8> = (0..n).map(|i| ((i * 7919) % 13) as u8).collect();
        let gh: Vec<[f64; 2]> = (0..n).map(|i| [(i % 7) as f64 - 3.0, 1.0]).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).collect();
        let ordered: Vec<[f64; 2]> = rows.iter().map(|&r| gh[r as usize]).collect();
        for skip in [false, true] {
            let mut h = [[0.0; 2]; 256];
            accumulate(
                &col,
                LeafRows::Some {
                    rows: &rows,
                    ordered: &ordered,
                },
                skip,
                &mut h,
            );
            let mut want = [[0.0; 2]; 256];
            for &r in &rows {
                let b = col[r as usize] as usize;
                if !(skip && b == 0) {
                    add(&mut want[b], &gh[r as usize]);
                }
            }
            assert_eq!(h, want);
            let mut all = [[0.0; 2]; 256];
            accumulate(&col, LeafRows::All(&gh), skip, &mut all);
            let total: f64 = all.iter().map(|e| e[1]).sum();
            let zeros = col.iter().filter(|&&b| b == 0).count();
            assert_eq!(total, (n - if skip { zeros } else { 0 }) as f64);
        }
    }
}
