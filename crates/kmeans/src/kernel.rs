//! The row-block kernels shared by Lloyd, Elkan, k-means++ and prediction.
//!
//! Every kernel walks the data in blocks of [`BLOCK_ROWS`] rows. Block boundaries depend on the
//! number of rows only, each block writes its own partial sums, and partial sums are combined
//! in block order (in `f64`), so results are the same bits with 1 or 64 threads.

use cartera_core::Float;
use rayon::prelude::*;

/// Rows per block: small enough that a block of a few dozen columns stays in L1/L2 cache, large
/// enough that per-block bookkeeping is negligible.
pub(crate) const BLOCK_ROWS: usize = 256;

/// Number of row blocks for `n` rows.
pub(crate) fn n_blocks(n: usize) -> usize {
    n.div_ceil(BLOCK_ROWS)
}

/// Training data as the kernels want it: row-major, contiguous and centred on the column
/// means (as scikit-learn does, so that `‖x‖² − 2x·c + ‖c‖²` does not lose precision to
/// cancellation when the data sit far from the origin).
pub(crate) struct Prepared<F> {
    /// `n * d` values, row-major, centred.
    pub data: Vec<F>,
    /// Sample weights (all one when none were given).
    pub weights: Vec<F>,
    /// Column means that were subtracted (as `F`, the values actually subtracted).
    pub mean: Vec<F>,
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
}

impl<F: Float> Prepared<F> {
    /// Copies `x` (any layout) into a centred row-major buffer. Means are accumulated in `f64`
    /// per block and combined in block order.
    pub fn new(x: ndarray::ArrayView2<'_, F>, weights: Vec<F>) -> Self {
        let (n, d) = x.dim();
        let partial: Vec<Vec<f64>> = (0..n_blocks(n))
            .into_par_iter()
            .map(|b| {
                let mut s = vec![0.0f64; d];
                for r in b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n) {
                    for (acc, v) in s.iter_mut().zip(x.row(r)) {
                        *acc += v.as_f64();
                    }
                }
                s
            })
            .collect();
        let mut sum = vec![0.0f64; d];
        for p in &partial {
            for (s, v) in sum.iter_mut().zip(p) {
                *s += v;
            }
        }
        let mean: Vec<F> = sum.iter().map(|s| F::cast_from_f64(s / n as f64)).collect();
        let mut data = vec![F::zero(); n * d];
        data.par_chunks_mut(BLOCK_ROWS * d)
            .enumerate()
            .for_each(|(b, chunk)| {
                for (i, row) in chunk.chunks_exact_mut(d).enumerate() {
                    for ((o, v), m) in row.iter_mut().zip(x.row(b * BLOCK_ROWS + i)).zip(&mean) {
                        *o = *v - *m;
                    }
                }
            });
        Prepared {
            data,
            weights,
            mean,
            n,
            d,
        }
    }

    /// Rows already gathered into a row-major buffer, used as they are (not centred): the
    /// mini-batches and the k-means++ subsample of mini-batch K-Means.
    pub fn raw(data: Vec<F>, weights: Vec<F>, d: usize) -> Self {
        let n = weights.len();
        Prepared {
            data,
            weights,
            mean: vec![F::zero(); d],
            n,
            d,
        }
    }

    /// Mean over columns of the (population) column variances, in `f64`: scikit-learn's scale
    /// for `tol`.
    pub fn mean_variance(&self) -> f64 {
        let d = self.d;
        let partial: Vec<Vec<[f64; 2]>> = self
            .data
            .par_chunks(BLOCK_ROWS * d)
            .map(|chunk| {
                let mut s = vec![[0.0f64; 2]; d];
                for row in chunk.chunks_exact(d) {
                    for (acc, v) in s.iter_mut().zip(row) {
                        let v = v.as_f64();
                        acc[0] += v;
                        acc[1] += v * v;
                    }
                }
                s
            })
            .collect();
        let mut tot = vec![[0.0f64; 2]; d];
        for p in &partial {
            for (t, v) in tot.iter_mut().zip(p) {
                t[0] += v[0];
                t[1] += v[1];
            }
        }
        let n = self.n as f64;
        tot.iter()
            .map(|t| (t[1] / n - (t[0] / n).powi(2)).max(0.0))
            .sum::<f64>()
            / d as f64
    }
}

/// Whether the CPU running us has AVX2 and FMA (`std` caches the answer after the first call).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Centres laid out for the distance kernel: transposed in register tiles (so the inner loop
/// runs over centres and vectorises), with their squared norms.
pub(crate) struct CentreTable<F> {
    /// `‖c‖²` per centre.
    pub norms: Vec<F>,
    /// Number of centres.
    pub k: usize,
    /// Centres per register tile: 32 bytes' worth (4 `f64` or 8 `f32`); with AVX2, 64 bytes'
    /// worth when there are more centres than one register holds (two 256-bit registers per
    /// row: 8 independent sums keep both FMA units busy).
    tile: usize,
    /// Whether the CPU has AVX2 and FMA (the kernel is then run in its AVX2 build).
    fma: bool,
    /// The centres in tiles: tile `t` holds `d x tile` values, entry `j * tile + l` is
    /// feature `j` of centre `t * tile + l` (0 past the last centre).
    tiles: Vec<F>,
}

impl<F: Float> CentreTable<F> {
    /// Builds the table from row-major centres (`k * d`).
    pub fn new(centres: &[F], k: usize, d: usize) -> Self {
        Self::with_fma(centres, k, d, true)
    }

    /// [`new`](Self::new) with the AVX2 + FMA build of the kernel allowed or not (used only
    /// when the CPU has both; the tests compare the two builds).
    fn with_fma(centres: &[F], k: usize, d: usize, fma: bool) -> Self {
        let norms: Vec<F> = (0..k)
            .map(|c| sq_norm(&centres[c * d..(c + 1) * d]))
            .collect();
        let fma = fma && has_avx2_fma();
        let lanes = if std::mem::size_of::<F>() == 4 { 8 } else { 4 };
        // Two registers per row only pay when there are centres to fill them (k-means++ scores
        // 2-5 candidates at a time).
        let tile = if fma && k > lanes { 2 * lanes } else { lanes };
        let n_tiles = k.div_ceil(tile);
        let mut tiles = vec![F::zero(); n_tiles * d * tile];
        for c in 0..k {
            let (tt, l) = (c / tile, c % tile);
            for j in 0..d {
                tiles[(tt * d + j) * tile + l] = centres[c * d + j];
            }
        }
        CentreTable {
            norms,
            k,
            tile,
            fma,
            tiles,
        }
    }

    /// Dot products of every row of `rows` (`m * d`, row-major) with every centre into `dots`
    /// (`m * k`, row-major).
    ///
    /// Register-tiled: 4 rows against a tile of centres at a time, with fixed-size
    /// accumulators that the compiler keeps in vector registers without spilling. Each `x·c` is
    /// still summed over features in order, so the result does not depend on the tiling or the
    /// threads. (A BLAS-style `general_mat_mul` spends more time packing a block than
    /// multiplying it when `k` is small.)
    ///
    /// On x86-64 CPUs with AVX2 and FMA (detected at run time, so the same binary runs on older
    /// CPUs) the same loop is compiled for 256-bit registers with fused multiply-adds: about
    /// twice the throughput. Fused products round once instead of twice, so the last bits of a
    /// distance can differ between a machine with FMA and one without; on one machine the
    /// results stay the same whatever the thread count.
    #[inline]
    pub fn dots(&self, rows: &[F], d: usize, dots: &mut [F]) {
        // `dots_with` falls back to the portable build itself when the CPU lacks AVX2 + FMA.
        self.dots_with::<true>(rows, d, dots);
    }

    /// [`dots`](Self::dots) with the build chosen by the caller: `FMA` asks for the AVX2 + FMA
    /// kernels, used only if the CPU has them (`self.fma`).
    #[inline(always)]
    pub fn dots_with<const FMA: bool>(&self, rows: &[F], d: usize, dots: &mut [F]) {
        if d == 0 {
            dots.fill(F::zero());
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if FMA && self.fma {
            // SAFETY: `self.fma` is true only when the CPU reported AVX2 and FMA (see
            // `with_fma`), which is all `tiled_fma` requires.
            #[allow(unsafe_code)]
            unsafe {
                // Tile widths are whole registers: one or two per row.
                match self.tile {
                    16 => self.tiled_fma::<16>(rows, d, dots),
                    8 => self.tiled_fma::<8>(rows, d, dots),
                    _ => self.tiled_fma::<4>(rows, d, dots),
                }
            }
            return;
        }
        match self.tile {
            8 => self.dots_tiled::<8, false>(rows, d, dots),
            _ => self.dots_tiled::<4, false>(rows, d, dots),
        }
    }

    /// Whether [`dots`](Self::dots) runs its AVX2 + FMA build.
    pub fn uses_fma(&self) -> bool {
        self.fma
    }

    /// The tiled kernel compiled for AVX2 + FMA, one function per tile shape: compiled on its
    /// own, each shape vectorises into packed FMAs (inlined together into one caller, the
    /// larger shapes fell back to scalar code).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    fn tiled_fma<const W: usize>(&self, rows: &[F], d: usize, dots: &mut [F]) {
        self.dots_tiled::<W, true>(rows, d, dots);
    }

    /// The tiled kernel: 4 rows against a tile of `W` centres at a time; `FMA` selects fused
    /// multiply-adds (only ever true inside a function compiled with the `fma` target feature:
    /// elsewhere `mul_add` would be a slow library call). The four rows are walked by four
    /// zipped iterators, which compiles to packed multiply-adds without bounds checks (taller
    /// groups, or indexing the rows, fell back to scalar code with spills).
    #[inline(always)]
    fn dots_tiled<const W: usize, const FMA: bool>(&self, rows: &[F], d: usize, dots: &mut [F]) {
        let k = self.k;
        let madd = |acc: F, a: F, b: F| {
            if FMA {
                a.fused_mul_add(b, acc)
            } else {
                acc + a * b
            }
        };
        for (ch, t) in self.tiles.chunks_exact(W * d).enumerate() {
            let c0 = ch * W;
            let width = (k - c0).min(W);
            let mut quads = rows.chunks_exact(4 * d);
            let mut r = 0;
            for quad in quads.by_ref() {
                let (x0, rest) = quad.split_at(d);
                let (x1, rest) = rest.split_at(d);
                let (x2, x3) = rest.split_at(d);
                let mut a = [[F::zero(); W]; 4];
                for ((((tj, &v0), &v1), &v2), &v3) in
                    t.chunks_exact(W).zip(x0).zip(x1).zip(x2).zip(x3)
                {
                    for l in 0..W {
                        a[0][l] = madd(a[0][l], v0, tj[l]);
                        a[1][l] = madd(a[1][l], v1, tj[l]);
                        a[2][l] = madd(a[2][l], v2, tj[l]);
                        a[3][l] = madd(a[3][l], v3, tj[l]);
                    }
                }
                for (rr, acc) in a.iter().enumerate() {
                    store(&mut dots[(r + rr) * k + c0..], acc, width);
                }
                r += 4;
            }
            for x in quads.remainder().chunks_exact(d) {
                let mut a = [F::zero(); W];
                for (tj, &v) in t.chunks_exact(W).zip(x) {
                    for l in 0..W {
                        a[l] = madd(a[l], v, tj[l]);
                    }
                }
                store(&mut dots[r * k + c0..], &a, width);
                r += 1;
            }
        }
    }

    /// Arg-min over centres of `‖c‖² − 2x·c` given the dot products `x·c` (first on ties).
    #[inline(always)]
    pub fn argmin(&self, dots: &[F]) -> usize {
        // Written as selects rather than branches: on shuffled customers the winner changes
        // unpredictably from row to row, and mispredicted branches cost more than the compare.
        let mut best = 0usize;
        let mut best_d = F::infinity();
        for (c, (&a, &nc)) in dots.iter().zip(&self.norms).enumerate() {
            let dist = nc - (a + a);
            let better = dist < best_d;
            best = if better { c } else { best };
            best_d = if better { dist } else { best_d };
        }
        best
    }
}

/// Writes the first `width` accumulators of a tile to `out`. A full tile is copied as a
/// fixed-size array (a few vector stores); a `copy_from_slice` of a run-time length would call
/// `memmove` once per row.
#[inline(always)]
fn store<F: Float, const W: usize>(out: &mut [F], acc: &[F; W], width: usize) {
    if width == W
        && let Some(o) = out.first_chunk_mut::<W>()
    {
        *o = *acc;
        return;
    }
    out[..width].copy_from_slice(&acc[..width]);
}

/// `‖x‖²`, summed in order (the centres' norms of the distance kernel, the rows' norms of
/// k-means++).
#[inline]
pub(crate) fn sq_norm<F: Float>(x: &[F]) -> F {
    let mut s = F::zero();
    for &v in x {
        s += v * v;
    }
    s
}

/// Squared Euclidean distance, summed as scikit-learn's `_euclidean_dense_dense` (groups of
/// four terms added to the running sum, then the remainder), which gives the same bits as
/// scikit-learn and four independent products per step.
#[inline]
pub(crate) fn sq_dist<F: Float>(a: &[F], b: &[F]) -> F {
    let mut s = F::zero();
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (a4.remainder(), b4.remainder());
    for (x, y) in a4.zip(b4) {
        let t0 = x[0] - y[0];
        let t1 = x[1] - y[1];
        let t2 = x[2] - y[2];
        let t3 = x[3] - y[3];
        s += t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3;
    }
    for (&x, &y) in ra.iter().zip(rb) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// Per-block partial results of an assignment step: `k * d` weighted sums then `k` weights.
pub(crate) fn partial_len(k: usize, d: usize) -> usize {
    k * d + k
}

/// Lloyd's E-step (and the sums for its M-step) over all blocks in parallel.
///
/// Writes each row's nearest centre into `labels` and, when `partial` is given, each block's
/// weighted sums into its slot. Returns how many labels changed.
pub(crate) fn assign<F: Float>(
    p: &Prepared<F>,
    table: &CentreTable<F>,
    labels: &mut [u32],
    partial: Option<&mut [F]>,
) -> usize {
    let (d, k) = (p.d, table.k);
    let plen = partial_len(k, d);
    // Per-thread scratch for a block's dot products (only scratch: results do not depend on
    // which thread used which buffer).
    let scratch = || vec![F::zero(); BLOCK_ROWS * k];
    let work = |dots: &mut Vec<F>, (b, lab): (usize, &mut [u32]), part: Option<&mut [F]>| {
        #[cfg(target_arch = "x86_64")]
        if table.uses_fma() {
            // SAFETY: the table uses its FMA build only when the CPU reported AVX2 and FMA,
            // which is all `assign_block_avx2_fma` requires.
            #[allow(unsafe_code)]
            return unsafe { assign_block_avx2_fma(p, table, dots, b, lab, part) };
        }
        assign_block::<F, false>(p, table, dots, b, lab, part)
    };
    match partial {
        Some(partial) => labels
            .par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .zip(partial.par_chunks_mut(plen))
            .map_init(scratch, |dots, (bl, part)| work(dots, bl, Some(part)))
            .sum(),
        None => labels
            .par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .map_init(scratch, |dots, bl| work(dots, bl, None))
            .sum(),
    }
}

/// [`assign_block`] compiled for AVX2 + FMA: the dot products, the arg-min and the
/// per-cluster sums all in 256-bit registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn assign_block_avx2_fma<F: Float>(
    p: &Prepared<F>,
    table: &CentreTable<F>,
    dots: &mut [F],
    b: usize,
    lab: &mut [u32],
    part: Option<&mut [F]>,
) -> usize {
    assign_block::<F, true>(p, table, dots, b, lab, part)
}

/// One block of the E-step: labels of rows `b * BLOCK_ROWS ..` and, with `part`, the block's
/// weighted sums per cluster. Returns how many labels changed.
#[inline(always)]
fn assign_block<F: Float, const FMA: bool>(
    p: &Prepared<F>,
    table: &CentreTable<F>,
    dots: &mut [F],
    b: usize,
    lab: &mut [u32],
    mut part: Option<&mut [F]>,
) -> usize {
    let (d, k) = (p.d, table.k);
    let start = b * BLOCK_ROWS;
    let rows = &p.data[start * d..(start + lab.len()) * d];
    let w = &p.weights[start..start + lab.len()];
    if let Some(part) = part.as_deref_mut() {
        part.fill(F::zero());
    }
    table.dots_with::<FMA>(rows, d, dots);
    let mut changed = 0;
    for (((x, l), &wi), dx) in rows
        .chunks_exact(d)
        .zip(lab.iter_mut())
        .zip(w)
        .zip(dots.chunks_exact(k))
    {
        let c = table.argmin(dx);
        if *l != c as u32 {
            changed += 1;
            *l = c as u32;
        }
        if let Some(part) = part.as_deref_mut() {
            let (sums, weights) = part.split_at_mut(k * d);
            for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(x) {
                *s += v * wi;
            }
            weights[c] += wi;
        }
    }
    changed
}

/// The M-step: combines block sums in block order (in `f64`), relocates empty clusters and
/// writes the new centres (row-major `k * d`) into `new`. Returns each centre's shift
/// (Euclidean distance between old and new centre).
///
/// Empty clusters are handled as scikit-learn's `_relocate_empty_clusters`: the points farthest
/// from their assigned centre (ties: lower row index first) are moved, one per empty cluster in
/// cluster order, to become that cluster's only member; their weight and coordinates are taken
/// out of the cluster they came from.
pub(crate) fn update_centres<F: Float>(
    p: &Prepared<F>,
    old: &[F],
    labels: &[u32],
    partial: &[F],
    k: usize,
    new: &mut [F],
) -> Vec<F> {
    let d = p.d;
    let plen = partial_len(k, d);
    let mut sums = vec![0.0f64; k * d];
    let mut weights = vec![0.0f64; k];
    for part in partial.chunks_exact(plen) {
        for (s, v) in sums.iter_mut().zip(&part[..k * d]) {
            *s += v.as_f64();
        }
        for (s, v) in weights.iter_mut().zip(&part[k * d..]) {
            *s += v.as_f64();
        }
    }
    let empty: Vec<usize> = (0..k).filter(|&c| weights[c] <= 0.0).collect();
    if !empty.is_empty() {
        let far = farthest_points(p, old, labels, empty.len());
        for (&c_new, &i) in empty.iter().zip(&far) {
            let wi = p.weights[i].as_f64();
            let c_old = labels[i] as usize;
            let x = &p.data[i * d..(i + 1) * d];
            for j in 0..d {
                let v = x[j].as_f64() * wi;
                sums[c_old * d + j] -= v;
                sums[c_new * d + j] = v;
            }
            weights[c_new] = wi;
            weights[c_old] -= wi;
        }
    }
    for c in 0..k {
        let row = &mut new[c * d..(c + 1) * d];
        if weights[c] > 0.0 {
            let alpha = 1.0 / weights[c];
            for (o, s) in row.iter_mut().zip(&sums[c * d..(c + 1) * d]) {
                *o = F::cast_from_f64(s * alpha);
            }
        } else {
            // Only reachable when every candidate point has weight zero: keep the sums (zero),
            // as scikit-learn does.
            for (o, s) in row.iter_mut().zip(&sums[c * d..(c + 1) * d]) {
                *o = F::cast_from_f64(*s);
            }
        }
    }
    (0..k)
        .map(|c| sq_dist(&old[c * d..(c + 1) * d], &new[c * d..(c + 1) * d]).sqrt())
        .collect()
}

/// Indices of the `m` rows farthest from their assigned centre, farthest first (ties: lower
/// index first).
fn farthest_points<F: Float>(
    p: &Prepared<F>,
    centres: &[F],
    labels: &[u32],
    m: usize,
) -> Vec<usize> {
    let d = p.d;
    let dist: Vec<F> = p
        .data
        .par_chunks(d)
        .zip(labels.par_iter())
        .map(|(x, &l)| sq_dist(x, &centres[l as usize * d..(l as usize + 1) * d]))
        .collect();
    let mut idx: Vec<usize> = (0..p.n).collect();
    idx.sort_by(|&a, &b| {
        dist[b]
            .as_f64()
            .total_cmp(&dist[a].as_f64())
            .then(a.cmp(&b))
    });
    idx.truncate(m);
    idx
}

/// Total weighted inertia `Σ wᵢ ‖xᵢ − c(ᵢ)‖²`, computed directly (not by the expansion) and
/// accumulated in `f64` per block, blocks combined in order.
pub(crate) fn inertia<F: Float>(
    data: &[F],
    weights: &[F],
    d: usize,
    centres: &[F],
    labels: &[u32],
) -> f64 {
    let parts: Vec<f64> = data
        .par_chunks(BLOCK_ROWS * d)
        .zip(labels.par_chunks(BLOCK_ROWS))
        .zip(weights.par_chunks(BLOCK_ROWS))
        .map(|((rows, lab), w)| {
            let mut s = 0.0f64;
            for ((x, &l), &wi) in rows.chunks_exact(d).zip(lab).zip(w) {
                let l = l as usize;
                s += sq_dist(x, &centres[l * d..(l + 1) * d]).as_f64() * wi.as_f64();
            }
            s
        })
        .collect();
    parts.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::CarteraRng;

    /// The AVX2 + FMA build and the portable build compute the same dot products up to the
    /// rounding of fused products, for every tile width and a ragged last tile and quad.
    fn builds_agree<F: Float>(tol: f64) {
        let mut rng = CarteraRng::seed_from_u64(7);
        for (m, k, d) in [(13, 3, 5), (9, 8, 20), (31, 11, 7), (4, 17, 1), (6, 5, 33)] {
            let rows: Vec<F> = (0..m * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let centres: Vec<F> = (0..k * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let mut fast = vec![F::zero(); m * k];
            let mut plain = vec![F::zero(); m * k];
            CentreTable::with_fma(&centres, k, d, true).dots(&rows, d, &mut fast);
            CentreTable::with_fma(&centres, k, d, false).dots(&rows, d, &mut plain);
            for i in 0..m {
                for c in 0..k {
                    let exact: f64 = (0..d)
                        .map(|j| rows[i * d + j].as_f64() * centres[c * d + j].as_f64())
                        .sum();
                    let scale = d as f64 * 4.0;
                    for got in [fast[i * k + c], plain[i * k + c]] {
                        assert!(
                            (got.as_f64() - exact).abs() <= tol * scale,
                            "row {i} centre {c} (m {m} k {k} d {d}): {got} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fused_and_portable_dot_products_agree_f64() {
        builds_agree::<f64>(1e-14);
    }

    #[test]
    fn fused_and_portable_dot_products_agree_f32() {
        builds_agree::<f32>(1e-6);
    }
}
