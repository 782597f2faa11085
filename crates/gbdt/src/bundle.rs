//! Feature groups: the column-major layout the histograms are built from, with mutually
//! exclusive sparse features bundled into one column (LightGBM's Exclusive Feature Bundling).
//!
//! Every used feature has a *default* bin, its most frequent one. A group is one `u8` column;
//! group bin 0 means "every member at its default bin", and each member's other bins sit at
//! its own offset. A dense feature is a group of its own; sparse features (one-hot columns,
//! mostly-zero counts) share a group when no training row has two of them away from their
//! default bins. Exclusivity is checked on every training row, not on a sample, so bundling is
//! lossless: the trees are those of the unbundled data (LightGBM's default
//! `max_conflict_rate = 0`, but exact).
//!
//! Histograms are built per group, so the one-hot columns of a categorical feature cost one
//! histogram instead of one per level. A member's default bin is never read from the group
//! histogram: it is the leaf's total minus the member's other bins, which is why group bin 0
//! can be skipped when building (most rows of a sparse group sit there).

use rayon::prelude::*;

use crate::binning::BinnedData;
use crate::histogram::GroupKind;

/// Rows per block when counting bins or listing non-default rows.
const BLOCK: usize = 16384;
/// A feature is a bundling candidate when at most this share of rows is off its default bin.
const SPARSE_SHARE: f64 = 0.5;
/// Bundles a candidate is tried against before it starts a new one (bounds the search).
const MAX_TRIES: usize = 64;
/// Group bins available in a `u8` column.
const GROUP_BINS: usize = 256;
/// A group's histogram skips bin 0 when at least this share of rows sits there.
const SKIP_ZERO_SHARE: f64 = 0.5;

/// Where one used feature lives in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Group index.
    pub group: usize,
    /// Group bin of the feature's first non-default bin.
    pub offset: usize,
    /// The feature's default (most frequent) bin.
    pub default_bin: usize,
    /// The feature's bins, NaN bin included.
    pub n_bins: usize,
    /// The group holds this feature alone with its bins as they are (default bin 0, bin 0
    /// in the histogram): its histogram is read directly, with no default-bin arithmetic.
    pub direct: bool,
}

impl Slot {
    /// The feature bin of group bin `gb`.
    #[inline]
    pub fn feature_bin(&self, gb: usize) -> usize {
        if gb < self.offset || gb >= self.offset + self.n_bins - 1 {
            return self.default_bin;
        }
        let k = gb - self.offset;
        if k < self.default_bin { k } else { k + 1 }
    }

    /// The group bin of feature bin `b` (`0` for the default bin).
    #[inline]
    pub fn group_bin(&self, b: usize) -> usize {
        if b == self.default_bin {
            0
        } else if b < self.default_bin {
            self.offset + b
        } else {
            self.offset + b - 1
        }
    }
}

/// The used features arranged into groups, with the group columns.
pub(crate) struct FeatureGroups {
    /// Column-major group bins: `cols[g * n_rows + r]`.
    pub cols: Vec<u8>,
    /// Rows.
    pub n_rows: usize,
    /// Group bins in use per group (`1 + Σ (n_bins - 1)` over its members).
    pub group_bins: Vec<usize>,
    /// Whether a group's histogram leaves bin 0 out (it is never read).
    pub skip_zero: Vec<bool>,
    /// Where each used feature lives.
    pub slots: Vec<Slot>,
}

impl FeatureGroups {
    /// Number of groups.
    #[inline]
    pub fn n_groups(&self) -> usize {
        self.group_bins.len()
    }

    /// The column of group `g`.
    #[inline]
    pub fn col(&self, g: usize) -> &[u8] {
        &self.cols[g * self.n_rows..(g + 1) * self.n_rows]
    }

    /// Arrange the used features of `data` (bundling when `bundle`) and build the columns.
    pub fn build(data: &BinnedData, bundle: bool) -> Self {
        let n = data.n_rows;
        let nu = data.n_used();
        let n_bins: Vec<usize> = data
            .used
            .iter()
            .map(|&f| data.mappers[f].n_bins())
            .collect();
        let counts = bin_counts(&data.bins, n, nu);
        // Most frequent bin; ties go to the smaller bin.
        let default_bin: Vec<usize> = counts
            .iter()
            .zip(&n_bins)
            .map(|(c, &nb)| (0..nb).fold(0, |best, b| if c[b] > c[best] { b } else { best }))
            .collect();
        let nnz: Vec<usize> = (0..nu).map(|j| n - counts[j][default_bin[j]]).collect();

        // Greedy bundling, densest candidates first (LightGBM's order); dense features and
        // everything when bundling is off get groups of their own.
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        for (j, &off) in nnz.iter().enumerate() {
            if bundle && n > 0 && (off as f64) <= SPARSE_SHARE * n as f64 {
                candidates.push(j);
            } else {
                members.push(vec![j]);
            }
        }
        let mut direct = vec![true; nu];
        for &j in &candidates {
            direct[j] = false;
        }
        candidates.sort_by_key(|&j| (std::cmp::Reverse(nnz[j]), j));
        if !candidates.is_empty() {
            let rows = nonzero_rows(&data.bins, n, nu, &candidates, &default_bin);
            let words = n.div_ceil(64);
            // (members, bins used, occupied rows)
            let mut bundles: Vec<(Vec<usize>, usize, Vec<u64>)> = Vec::new();
            for (&j, nz) in candidates.iter().zip(&rows) {
                let need = n_bins[j] - 1;
                let fits = bundles
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, used, _))| used + need <= GROUP_BINS)
                    .take(MAX_TRIES)
                    .find(|(_, (_, _, occ))| {
                        nz.iter()
                            .all(|&r| occ[r as usize / 64] & (1u64 << (r % 64)) == 0)
                    })
                    .map(|(i, _)| i);
                let i = fits.unwrap_or_else(|| {
                    bundles.push((Vec::new(), 1, vec![0u64; words]));
                    bundles.len() - 1
                });
                let (m, used, occ) = &mut bundles[i];
                m.push(j);
                *used += need;
                for &r in nz {
                    occ[r as usize / 64] |= 1u64 << (r % 64);
                }
            }
            members.extend(bundles.into_iter().map(|(m, _, _)| m));
        }
        // Groups in order of their first member, so the layout follows the input's order
        // (then grouped by how their histograms are built, below).
        members.iter_mut().for_each(|m| m.sort_unstable());
        members.sort_by_key(|m| m[0]);

        let mut slots = vec![
            Slot {
                group: 0,
                offset: 0,
                default_bin: 0,
                n_bins: 0,
                direct: false,
            };
            nu
        ];
        let mut group_bins = Vec::with_capacity(members.len());
        let mut skip_zero = Vec::with_capacity(members.len());
        for (g, m) in members.iter().enumerate() {
            if let [j] = m[..]
                && direct[j]
            {
                // Identity layout: bin b at group bin b, every bin summed.
                slots[j] = Slot {
                    group: g,
                    offset: 1,
                    default_bin: 0,
                    n_bins: n_bins[j],
                    direct: true,
                };
                group_bins.push(n_bins[j]);
                skip_zero.push(false);
                continue;
            }
            let mut offset = 1;
            let mut off_default = 0;
            for &j in m {
                slots[j] = Slot {
                    group: g,
                    offset,
                    default_bin: default_bin[j],
                    n_bins: n_bins[j],
                    direct: false,
                };
                offset += n_bins[j] - 1;
                off_default += nnz[j];
            }
            group_bins.push(offset);
            // Members are exclusive, so the rows off bin 0 are the sum of their rows.
            skip_zero.push(n > 0 && (n - off_default) as f64 >= SKIP_ZERO_SHARE * n as f64);
        }

        // Groups by how their histograms are built (`histogram::GroupKind`: wide ones summed
        // in full, then narrow ones, then wide ones skipping bin 0), so each pass of
        // `histogram::Plan` covers a contiguous run; the sort is stable, so within a kind they
        // stay in order of their first member.
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|&g| GroupKind::of(group_bins[g], skip_zero[g]));
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        for s in &mut slots {
            s.group = new_index[s.group];
        }
        let members: Vec<Vec<usize>> = order
            .iter()
            .map(|&g| std::mem::take(&mut members[g]))
            .collect();
        let group_bins: Vec<usize> = order.iter().map(|&g| group_bins[g]).collect();
        let skip_zero: Vec<bool> = order.iter().map(|&g| skip_zero[g]).collect();

        let cols = group_columns(data, &members, &slots);
        FeatureGroups {
            cols,
            n_rows: n,
            group_bins,
            skip_zero,
            slots,
        }
    }
}

/// Rows per tile when the group columns are written: the tile's row-major bins (`TILE` rows of
/// one byte per used feature) stay in L1 while every member reads its bins out of it.
const TILE: usize = 128;

/// The column-major group bins (`cols[g * n + r]`) of `members`, laid out by `slots`.
///
/// Each thread takes a block of rows and writes that block's part of every group column, a
/// tile of rows at a time: the row-major bins are then read once, from cache, instead of once
/// per member with a stride of a whole row.
fn group_columns(data: &BinnedData, members: &[Vec<usize>], slots: &[Slot]) -> Vec<u8> {
    let n = data.n_rows;
    let nu = data.n_used();
    let ng = members.len();
    let mut cols = vec![0u8; n * ng];
    if n == 0 || ng == 0 {
        return cols;
    }
    // Feature bin -> group bin, per used feature. Group bins are < GROUP_BINS by construction
    // (checked when the groups are formed), so they fit a u8.
    let luts: Vec<[u8; 256]> = slots
        .iter()
        .map(|s| {
            let mut lut = [0u8; 256];
            for (b, l) in lut.iter_mut().enumerate().take(s.n_bins) {
                *l = s.group_bin(b) as u8;
            }
            lut
        })
        .collect();
    // Each group column cut into row blocks; block b gets its piece of every column.
    let n_blocks = n.div_ceil(BLOCK);
    let mut pieces: Vec<Vec<&mut [u8]>> = (0..n_blocks).map(|_| Vec::with_capacity(ng)).collect();
    for col in cols.chunks_mut(n) {
        for (b, piece) in col.chunks_mut(BLOCK).enumerate() {
            pieces[b].push(piece);
        }
    }
    pieces
        .into_par_iter()
        .enumerate()
        .for_each(|(b, mut block)| {
            let r0 = b * BLOCK;
            let len = block[0].len();
            for t0 in (0..len).step_by(TILE) {
                let t1 = (t0 + TILE).min(len);
                let tile = &data.bins[(r0 + t0) * nu..(r0 + t1) * nu];
                for (col, m) in block.iter_mut().zip(members) {
                    let out = &mut col[t0..t1];
                    for &j in m {
                        let lut = &luts[j];
                        for (o, row) in out.iter_mut().zip(tile.chunks_exact(nu)) {
                            let gb = lut[row[j] as usize];
                            if gb != 0 {
                                *o = gb;
                            }
                        }
                    }
                }
            }
        });
    cols
}

/// Rows per bin of every used feature (`counts[j][b]`), summed over row blocks (integer sums:
/// the order does not matter).
fn bin_counts(bins: &[u8], n: usize, nu: usize) -> Vec<[usize; 256]> {
    if nu == 0 {
        return Vec::new();
    }
    bins.par_chunks(BLOCK * nu)
        .map(|block| {
            let mut c = vec![[0usize; 256]; nu];
            for row in block.chunks_exact(nu) {
                for (cj, &b) in c.iter_mut().zip(row) {
                    cj[b as usize] += 1;
                }
            }
            c
        })
        .reduce(
            || vec![[0usize; 256]; nu],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                a
            },
        )
        .into_iter()
        .inspect(|c| debug_assert_eq!(c.iter().sum::<usize>(), n))
        .collect()
}

/// The rows (ascending) where each of `features` is off its default bin.
fn nonzero_rows(
    bins: &[u8],
    n: usize,
    nu: usize,
    features: &[usize],
    default_bin: &[usize],
) -> Vec<Vec<u32>> {
    let parts: Vec<Vec<Vec<u32>>> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|blk| {
            let mut out = vec![Vec::new(); features.len()];
            for r in blk * BLOCK..((blk + 1) * BLOCK).min(n) {
                let row = &bins[r * nu..(r + 1) * nu];
                for (o, &j) in out.iter_mut().zip(features) {
                    if row[j] as usize != default_bin[j] {
                        o.push(r as u32);
                    }
                }
            }
            out
        })
        .collect();
    (0..features.len())
        .map(|i| parts.iter().flat_map(|p| p[i].iter().copied()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every feature bin of `d` is recovered from its group column in `g`, on every row.
    fn assert_bins_recovered(g: &FeatureGroups, d: &BinnedData) {
        let nu = d.n_used();
        for r in 0..d.n_rows {
            for (j, s) in g.slots.iter().enumerate() {
                let gb = g.col(s.group)[r] as usize;
                assert_eq!(
                    s.feature_bin(gb),
                    d.bins[r * nu + j] as usize,
                    "row {r} feature {j}"
                );
            }
        }
    }

    #[test]
    fn slots_map_bins_both_ways() {
        let s = Slot {
            group: 0,
            offset: 5,
            default_bin: 2,
            n_bins: 4,
            direct: false,
        };
        for b in 0..4 {
            assert_eq!(s.feature_bin(s.group_bin(b)), b);
        }
        assert_eq!(s.group_bin(2), 0);
        assert_eq!(s.feature_bin(0), 2);
        assert_eq!(s.feature_bin(4), 2);
        assert_eq!(s.feature_bin(8), 2);
    }

    #[test]
    fn one_hot_columns_share_a_group_and_keep_every_bin() {
        // Feature 0 dense (4 bins); features 1..4 one-hot of a 3-level category; feature 4
        // sparse but overlapping feature 1 on row 0.
        let n = 60;
        let mut bins = Vec::new();
        for r in 0..n {
            let level = r % 3;
            bins.extend_from_slice(&[
                (r % 4) as u8,
                u8::from(level == 0),
                u8::from(level == 1),
                u8::from(level == 2),
                u8::from(r == 0),
            ]);
        }
        let d = BinnedData::from_bins(bins, &[4, 2, 2, 2, 2]);
        let g = FeatureGroups::build(&d, true);
        let group_of: Vec<usize> = g.slots.iter().map(|s| s.group).collect();
        assert_eq!(group_of, [0, 1, 1, 1, 2], "row 0 keeps feature 4 apart");
        assert_eq!(g.group_bins, [4, 4, 2]);
        assert_eq!(g.skip_zero, [false, false, true]);
        assert!(g.slots[0].direct && !g.slots[1].direct && !g.slots[4].direct);
        assert_bins_recovered(&g, &d);
        let off = FeatureGroups::build(&d, false);
        assert_eq!(off.n_groups(), 5);
        assert!(off.slots.iter().all(|s| s.direct));
        for r in 0..n {
            for (j, s) in off.slots.iter().enumerate() {
                assert_eq!(off.col(s.group)[r], d.bins[r * 5 + j]);
            }
        }
    }

    #[test]
    fn group_columns_span_row_blocks_and_tiles() {
        // Several row blocks, the last one ending inside a tile: every feature bin must be
        // recovered from its group column on every row (a dense feature, three one-hot
        // features bundled together, and a sparse one that bundles with nothing).
        let n = 2 * BLOCK + 3 * TILE + 5;
        let mut bins = Vec::with_capacity(n * 5);
        for r in 0..n {
            let level = (r * 7 + r / 3) % 3;
            bins.extend_from_slice(&[
                (r % 251) as u8,
                u8::from(level == 0),
                u8::from(level == 1),
                u8::from(level == 2),
                u8::from(r % 1000 == 0),
            ]);
        }
        let d = BinnedData::from_bins(bins, &[251, 2, 2, 2, 2]);
        let g = FeatureGroups::build(&d, true);
        assert!(g.n_groups() < 5, "the one-hot features are bundled");
        assert_bins_recovered(&g, &d);
    }
}
