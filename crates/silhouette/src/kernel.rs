//! The exact pairwise engine: for every row, the sum of its Euclidean distances to the rows of
//! each cluster, without ever holding an `n x n` matrix.
//!
//! # How it works
//!
//! 1. The rows are copied, centred on the column means (so `‖a‖² + ‖b‖² − 2a·b` loses no
//!    precision to cancellation when the data sit far from the origin), and **sorted by
//!    cluster**. Within a block of sorted rows a cluster is then a contiguous run, so adding a
//!    row of distances to per-cluster sums is a plain reduction over a slice, not a scatter.
//! 2. The rows are cut into blocks of [`BLOCK`] rows. The distance between two blocks is a
//!    *tile*; only tiles on or above the diagonal are computed (the distance matrix is
//!    symmetric), and each off-diagonal tile feeds both its row block (row sums) and its column
//!    block (column sums).
//! 3. A tile's distances are computed 4 rows x one register tile of columns at a time (32
//!    bytes of columns: 4 `f64` or 8 `f32`), with fixed-size accumulators the compiler keeps in
//!    vector registers, then `sqrt(max(‖a‖² + ‖b‖² − 2a·b, 0))`.
//! 4. Determinism with symmetry: the off-diagonal tiles are scheduled in rounds of a
//!    round-robin tournament (the circle method), so within a round no two tiles touch the same
//!    block. Tiles of a round run in parallel, each with exclusive access to its two blocks'
//!    sums; rounds run in a fixed order. Every sum is thus added to in the same order whatever
//!    the number of threads, and the result is the same bits with 1 or 64 threads.
//!
//! Memory: the sorted copy and its packed twin (`2·n·d` values), the sums (`n·k` `f64`) and a
//! per-thread scratch of `(4 + r) · BLOCK` values, `r ≤ min(k, BLOCK)` the most runs of a block.

use cartera_core::Float;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// Rows per block. Fixed (never derived from the thread count). A tile of 256 x 256 distances
/// is about 65,000 pairs: big enough to amortise the per-tile bookkeeping, and a strip of
/// 4 rows x 256 columns stays in L1.
pub(crate) const BLOCK: usize = 256;

/// A contiguous run of rows of one cluster inside a block: `(cluster, start, end)` with
/// `start..end` relative to the block's first row.
type Run = (usize, usize, usize);

/// The rows sorted by cluster and laid out for the tile kernel.
pub(crate) struct SortedRows<F> {
    /// `n * d` centred values, row-major, rows sorted by cluster (stable: ties keep row order).
    data: Vec<F>,
    /// `‖row‖²` of each sorted row (centred).
    norms: Vec<F>,
    /// The same rows in register tiles: tile `t` holds `d x W` values, entry `j * W + l` is
    /// feature `j` of sorted row `t * W + l` (zero past the last row).
    packed: Vec<F>,
    /// Cluster of each sorted row.
    ids: Vec<u32>,
    /// Position in `ids` (and in `rows`, when given) of each sorted row.
    pub order: Vec<usize>,
    /// The runs of each block.
    runs: Vec<Vec<Run>>,
    n: usize,
    d: usize,
    k: usize,
}

/// Register-tile width for `F`: 32 bytes' worth.
fn tile_width<F>() -> usize {
    if std::mem::size_of::<F>() == 4 { 8 } else { 4 }
}

impl<F: Float> SortedRows<F> {
    /// Sorts the rows `rows` of `x` (all rows when `None`) by their cluster `ids` (indexed like
    /// `rows`, values `< k`), centres and packs them.
    pub fn new(x: ArrayView2<'_, F>, rows: Option<&[usize]>, ids: &[u32], k: usize) -> Self {
        let n = ids.len();
        let d = x.ncols();
        let src = |i: usize| rows.map_or(i, |r| r[i]);
        // Counting sort by cluster (stable).
        let mut start = vec![0usize; k + 1];
        for &c in ids {
            start[c as usize + 1] += 1;
        }
        for c in 0..k {
            start[c + 1] += start[c];
        }
        let mut order = vec![0usize; n];
        let mut sorted_ids = vec![0u32; n];
        let mut next = start.clone();
        for (i, &c) in ids.iter().enumerate() {
            let slot = next[c as usize];
            next[c as usize] += 1;
            order[slot] = i;
            sorted_ids[slot] = c;
        }

        // Column means in f64, per block, blocks combined in order.
        let partial: Vec<Vec<f64>> = order
            .par_chunks(BLOCK)
            .map(|blk| {
                let mut s = vec![0.0f64; d];
                for &i in blk {
                    for (acc, v) in s.iter_mut().zip(x.row(src(i))) {
                        *acc += v.as_f64();
                    }
                }
                s
            })
            .collect();
        let mut mean = vec![0.0f64; d];
        for p in &partial {
            for (m, v) in mean.iter_mut().zip(p) {
                *m += v;
            }
        }
        let mean: Vec<F> = mean
            .iter()
            .map(|s| F::cast_from_f64(s / n.max(1) as f64))
            .collect();

        let mut data = vec![F::zero(); n * d];
        let mut norms = vec![F::zero(); n];
        if d > 0 {
            data.par_chunks_mut(BLOCK * d)
                .zip(norms.par_chunks_mut(BLOCK))
                .zip(order.par_chunks(BLOCK))
                .for_each(|((out, nrm), blk)| {
                    for ((o, nr), &i) in out.chunks_exact_mut(d).zip(nrm.iter_mut()).zip(blk) {
                        let mut s = F::zero();
                        for ((o, &v), &m) in o.iter_mut().zip(x.row(src(i))).zip(&mean) {
                            *o = v - m;
                            s += *o * *o;
                        }
                        *nr = s;
                    }
                });
        }

        let w = tile_width::<F>();
        let n_tiles = n.div_ceil(w);
        let mut packed = vec![F::zero(); n_tiles * d * w];
        if d > 0 {
            packed
                .par_chunks_mut(d * w)
                .enumerate()
                .for_each(|(t, tile)| {
                    for l in 0..w {
                        let r = t * w + l;
                        if r >= n {
                            break;
                        }
                        for j in 0..d {
                            tile[j * w + l] = data[r * d + j];
                        }
                    }
                });
        }

        let runs = sorted_ids
            .chunks(BLOCK)
            .map(|blk| {
                let mut v: Vec<Run> = Vec::new();
                for (i, &c) in blk.iter().enumerate() {
                    match v.last_mut() {
                        Some(last) if last.0 == c as usize => last.2 = i + 1,
                        _ => v.push((c as usize, i, i + 1)),
                    }
                }
                v
            })
            .collect();

        SortedRows {
            data,
            norms,
            packed,
            ids: sorted_ids,
            order,
            runs,
            n,
            d,
            k,
        }
    }

    /// Cluster of sorted row `i`.
    pub fn id(&self, i: usize) -> usize {
        self.ids[i] as usize
    }

    /// For every sorted row, the sum of its distances to the rows of each cluster: `n * k`
    /// values, row-major in sorted order (the distance of a row to itself counts as 0).
    pub fn cluster_distance_sums(&self) -> Vec<f64> {
        self.cluster_distance_sums_by_block().concat()
    }

    /// The same sums, one vector per block of [`BLOCK`] sorted rows (not copied into one).
    pub fn cluster_distance_sums_by_block(&self) -> Vec<Vec<f64>> {
        let (n, k) = (self.n, self.k);
        let nb = n.div_ceil(BLOCK);
        let mut acc: Vec<Vec<f64>> = (0..nb)
            .map(|b| vec![0.0f64; (BLOCK.min(n - b * BLOCK)) * k])
            .collect();
        // Sized by the runs of a block, not by k: rayon may build a scratch per tile.
        let max_runs = self.runs.iter().map(Vec::len).max().unwrap_or(0);
        let scratch = || Scratch::<F>::new(max_runs);

        // Diagonal tiles first (each touches one block only).
        acc.par_iter_mut()
            .enumerate()
            .for_each_init(scratch, |sc, (b, a)| self.tile(b, b, a, None, sc));

        for round in tournament(nb) {
            let mut work: Vec<(usize, usize, Vec<f64>, Vec<f64>)> = round
                .iter()
                .map(|&(i, j)| {
                    (
                        i,
                        j,
                        std::mem::take(&mut acc[i]),
                        std::mem::take(&mut acc[j]),
                    )
                })
                .collect();
            work.par_iter_mut()
                .for_each_init(scratch, |sc, (i, j, ai, aj)| {
                    self.tile(*i, *j, ai, Some(aj), sc)
                });
            for (i, j, ai, aj) in work {
                acc[i] = ai;
                acc[j] = aj;
            }
        }
        acc
    }

    /// One tile: rows of block `bi` against columns of block `bj`. Adds each row's per-cluster
    /// sums over the tile's columns into `acc_i`; when `acc_j` is given (off-diagonal tiles),
    /// also each column's per-cluster sums over the tile's rows.
    fn tile(
        &self,
        bi: usize,
        bj: usize,
        acc_i: &mut [f64],
        acc_j: Option<&mut [f64]>,
        sc: &mut Scratch<F>,
    ) {
        if tile_width::<F>() == 8 {
            self.tile_w::<8>(bi, bj, acc_i, acc_j, sc);
        } else {
            self.tile_w::<4>(bi, bj, acc_i, acc_j, sc);
        }
    }

    fn tile_w<const W: usize>(
        &self,
        bi: usize,
        bj: usize,
        acc_i: &mut [f64],
        acc_j: Option<&mut [f64]>,
        sc: &mut Scratch<F>,
    ) {
        let (n, d, k) = (self.n, self.d, self.k);
        let r0 = bi * BLOCK;
        let m = BLOCK.min(n - r0);
        let c0 = bj * BLOCK;
        let w = BLOCK.min(n - c0);
        let wp = w.div_ceil(W) * W;
        // BLOCK is a multiple of W, so the column block starts on a tile boundary.
        let tiles = &self.packed[(c0 / W) * d * W..(c0 / W + wp / W) * d * W];
        let cn = &self.norms[c0..c0 + w];
        let runs_i = &self.runs[bi];
        let runs_j = &self.runs[bj];
        let diag = bi == bj;
        let col_side = acc_j.is_some();
        if col_side {
            sc.cols[..runs_i.len() * wp].fill(F::zero());
        }
        let strip = &mut sc.strip[..4 * wp];

        let mut run_of_row = 0usize;
        let mut r = 0usize;
        while r < m {
            let h = if m - r >= 4 { 4 } else { 1 };
            let rows = &self.data[(r0 + r) * d..(r0 + r + h) * d];
            let rn = &self.norms[r0 + r..r0 + r + h];
            if h == 4 {
                distances::<F, W, 4>(rows, rn, tiles, cn, d, strip, wp);
            } else {
                distances::<F, W, 1>(rows, rn, tiles, cn, d, strip, wp);
            }
            for rr in 0..h {
                let row = r + rr;
                let dist = &mut strip[rr * wp..rr * wp + w];
                if diag {
                    // A row's distance to itself is 0 (scikit-learn zeroes the diagonal too);
                    // the expansion would leave rounding noise of order sqrt(eps)·‖x‖.
                    dist[row] = F::zero();
                }
                let out = &mut acc_i[row * k..(row + 1) * k];
                for &(c, lo, hi) in runs_j {
                    out[c] += sum(&dist[lo..hi]).as_f64();
                }
                if col_side {
                    while runs_i[run_of_row].2 <= row {
                        run_of_row += 1;
                    }
                    let cols = &mut sc.cols[run_of_row * wp..run_of_row * wp + w];
                    for (s, &v) in cols.iter_mut().zip(dist.iter()) {
                        *s += v;
                    }
                }
            }
            r += h;
        }
        if let Some(acc_j) = acc_j {
            // Column by column, so that the runs' adds to one column land in one row of
            // `acc_j` (with many clusters, run by run strode over the whole block each time).
            // A cluster has one run per block: each sum still gets one add per tile, the same.
            for (j, out) in acc_j.chunks_exact_mut(k).enumerate() {
                for (q, &(c, _, _)) in runs_i.iter().enumerate() {
                    out[c] += sc.cols[q * wp + j].as_f64();
                }
            }
        }
    }
}

/// Per-thread scratch of the tile kernel (contents never carried from one tile to the next).
struct Scratch<F> {
    /// Distances of up to 4 rows to the tile's columns.
    strip: Vec<F>,
    /// Column sums of the tile, one row of `BLOCK` per run of the row block.
    cols: Vec<F>,
}

impl<F: Float> Scratch<F> {
    /// Scratch for blocks of at most `runs` runs.
    fn new(runs: usize) -> Self {
        Scratch {
            strip: vec![F::zero(); 4 * BLOCK],
            cols: vec![F::zero(); runs * BLOCK],
        }
    }
}

/// Euclidean distances of `R` rows (`rows`, `R * d`, row norms `rn`) to the columns held in
/// `tiles` (register tiles of `W` columns, norms `cn`), written to `out` (`R` rows of `wp`).
#[inline(always)]
fn distances<F: Float, const W: usize, const R: usize>(
    rows: &[F],
    rn: &[F],
    tiles: &[F],
    cn: &[F],
    d: usize,
    out: &mut [F],
    wp: usize,
) {
    for (t, tile) in tiles.chunks_exact(W * d).enumerate() {
        let a = if R == 4 {
            dots4::<F, W>(rows, tile, d)
        } else {
            let mut a = [[F::zero(); W]; 4];
            a[0] = dots1::<F, W>(rows, tile);
            a
        };
        finish::<F, W, R>(&a, rn, cn, t * W, out, wp);
    }
}

/// Dot products of 4 rows with one register tile of `W` columns. The four rows are walked by
/// zipped iterators (no index arithmetic, no bounds checks) and the `4 x W` accumulators are
/// fixed-size arrays the compiler keeps in vector registers.
#[inline(always)]
fn dots4<F: Float, const W: usize>(rows: &[F], tile: &[F], d: usize) -> [[F; W]; 4] {
    let (x0, rest) = rows.split_at(d);
    let (x1, rest) = rest.split_at(d);
    let (x2, x3) = rest.split_at(d);
    let mut a = [[F::zero(); W]; 4];
    for ((((tj, &v0), &v1), &v2), &v3) in tile.chunks_exact(W).zip(x0).zip(x1).zip(x2).zip(x3) {
        for l in 0..W {
            a[0][l] += v0 * tj[l];
            a[1][l] += v1 * tj[l];
            a[2][l] += v2 * tj[l];
            a[3][l] += v3 * tj[l];
        }
    }
    a
}

/// Dot products of one row with one register tile of `W` columns.
#[inline(always)]
fn dots1<F: Float, const W: usize>(row: &[F], tile: &[F]) -> [F; W] {
    let mut a = [F::zero(); W];
    for (tj, &v) in tile.chunks_exact(W).zip(row) {
        for l in 0..W {
            a[l] += v * tj[l];
        }
    }
    a
}

/// `sqrt(max(‖r‖² + ‖c‖² − 2 r·c, 0))` for the first `R` rows of `a`, columns `c0..c0 + W`.
#[inline(always)]
fn finish<F: Float, const W: usize, const R: usize>(
    a: &[[F; W]; 4],
    rn: &[F],
    cn: &[F],
    c0: usize,
    out: &mut [F],
    wp: usize,
) {
    let two = F::one() + F::one();
    let mut nc = [F::zero(); W];
    let width = W.min(cn.len().saturating_sub(c0));
    nc[..width].copy_from_slice(&cn[c0..c0 + width]);
    for rr in 0..R {
        let o = &mut out[rr * wp + c0..rr * wp + c0 + W];
        for l in 0..W {
            let d2 = rn[rr] + nc[l] - two * a[rr][l];
            o[l] = if d2 > F::zero() { d2.sqrt() } else { F::zero() };
        }
    }
}

/// Sum of a short slice with four independent accumulators (fixed association, so the result
/// does not depend on anything but the slice).
#[inline]
fn sum<F: Float>(v: &[F]) -> F {
    let mut s = [F::zero(); 4];
    let mut it = v.chunks_exact(4);
    for q in it.by_ref() {
        for l in 0..4 {
            s[l] += q[l];
        }
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for &x in it.remainder() {
        t += x;
    }
    t
}

/// The off-diagonal pairs `(i, j)`, `i < j < nb`, in rounds of a round-robin tournament
/// (circle method): every pair appears exactly once, and no block appears twice in a round.
pub(crate) fn tournament(nb: usize) -> Vec<Vec<(usize, usize)>> {
    if nb < 2 {
        return Vec::new();
    }
    let m = nb + nb % 2;
    (0..m - 1)
        .map(|r| {
            (0..m / 2)
                .filter_map(|i| {
                    let (a, b) = if i == 0 {
                        (r, m - 1)
                    } else {
                        ((r + i) % (m - 1), (r + m - 1 - i) % (m - 1))
                    };
                    (a < nb && b < nb).then_some((a.min(b), a.max(b)))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn tournament_covers_every_pair_once_and_rounds_are_disjoint() {
        for nb in 0..24 {
            let rounds = tournament(nb);
            let mut seen = vec![vec![0u32; nb]; nb];
            for round in &rounds {
                let mut used = vec![false; nb];
                for &(i, j) in round {
                    assert!(i < j && j < nb);
                    assert!(!used[i] && !used[j], "nb {nb}: block twice in a round");
                    used[i] = true;
                    used[j] = true;
                    seen[i][j] += 1;
                }
            }
            for (i, row) in seen.iter().enumerate() {
                for (j, &times) in row.iter().enumerate().skip(i + 1) {
                    assert_eq!(times, 1, "nb {nb}: pair ({i}, {j})");
                }
            }
        }
    }

    /// Brute-force sums by the direct formula, in original row order.
    fn brute(x: &Array2<f64>, ids: &[u32], k: usize) -> Vec<f64> {
        let n = x.nrows();
        let mut s = vec![0.0; n * k];
        for i in 0..n {
            for j in 0..n {
                let d: f64 = x
                    .row(i)
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    .sqrt();
                s[i * k + ids[j] as usize] += d;
            }
        }
        s
    }

    #[test]
    fn sums_match_brute_force_across_block_edges() {
        // 600 rows: 3 blocks, the last one partial and not a multiple of 4 or 8 rows; shuffled
        // clusters of very different sizes, one of them a single row.
        let n = 603;
        let d = 5;
        let mut rng = cartera_core::CarteraRng::seed_from_u64(3);
        let x = Array2::from_shape_fn((n, d), |_| rng.normal() * 3.0 + 100.0);
        let mut ids: Vec<u32> = (0..n).map(|i| [0, 1, 1, 2, 2, 2, 3][i % 7]).collect();
        ids[17] = 4;
        let k = 5;
        let want = brute(&x, &ids, k);
        let s = SortedRows::new(x.view(), None, &ids, k);
        let got = s.cluster_distance_sums();
        for (si, &orig) in s.order.iter().enumerate() {
            assert_eq!(s.id(si), ids[orig] as usize);
            for c in 0..k {
                let (g, w) = (got[si * k + c], want[orig * k + c]);
                assert!(
                    (g - w).abs() <= 1e-10 * w.max(1.0),
                    "row {orig} cluster {c}: {g} vs {w}"
                );
            }
        }
        // f32: same sums to f32 accuracy.
        let xf = x.mapv(|v| v as f32);
        let s32 = SortedRows::new(xf.view(), None, &ids, k);
        let got32 = s32.cluster_distance_sums();
        for (si, &orig) in s32.order.iter().enumerate() {
            for c in 0..k {
                let (g, w) = (got32[si * k + c], want[orig * k + c]);
                assert!(
                    (g - w).abs() <= 1e-4 * w.max(1.0),
                    "f32 row {orig} cluster {c}: {g} vs {w}"
                );
            }
        }
    }
}
