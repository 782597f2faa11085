//! The row-block kernels shared by Lloyd, Elkan, k-means++ and prediction.
//!
//! Every kernel walks the data in blocks of [`BLOCK_ROWS`] rows. Block boundaries depend on the
//! number of rows only, each block writes its own partial sums, and partial sums are combined
//! in block order (in `f64`), so results are the same bits with 1 or 64 threads.

use crate::nearest::{self, Moves, Nearest16, NearestTable};
#[cfg(target_arch = "x86_64")]
use crate::sums;
use cartera_core::Float;
use cartera_core::dots::DotTable;
use cartera_core::memory::LineAligned;
use rayon::prelude::*;

/// Whether [`nearest`]'s kernel runs for `F` on this CPU: the `f64` one needs AVX-512F, the
/// `f32` one AVX2 and FMA.
fn nearest_kernel_runs<F: Float>() -> bool {
    if std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>() {
        cartera_core::dots::has_avx512()
    } else {
        cartera_core::dots::has_avx2_fma()
    }
}

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
    /// `n * d` values, row-major, centred; from [`new`](Self::new) on a cache-line boundary,
    /// so that a 160-byte row's 32-byte loads in the block sums never split a line.
    pub data: LineAligned<F>,
    /// Sample weights (all one when none were given).
    pub weights: Vec<F>,
    /// Whether every weight is exactly one (the sums then skip the product `x * 1 = x`).
    pub unit: bool,
    /// Column means that were subtracted (as `F`, the values actually subtracted).
    pub mean: Vec<F>,
    /// Rows.
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// [`mean_variance`](Self::mean_variance), when taken while centring.
    mean_variance: Option<f64>,
}

impl<F: Float> Prepared<F> {
    /// The `len` rows of block `b` (rows `b * BLOCK_ROWS ..`), row-major.
    #[inline(always)]
    fn block(&self, b: usize, len: usize) -> &[F] {
        let start = b * BLOCK_ROWS;
        &self.data[start * self.d..(start + len) * self.d]
    }

    /// Copies `x` (any layout) into a centred row-major buffer. Means are accumulated in `f64`
    /// per block and combined in block order.
    pub fn new(x: ndarray::ArrayView2<'_, F>, weights: Vec<F>) -> Self {
        let (n, d) = x.dim();
        // Rows as slices when `x` is row-major and contiguous (the loops below then vectorise),
        // else through ndarray's strided row views.
        let flat = x.as_slice();
        let partial: Vec<Vec<f64>> = (0..n_blocks(n))
            .into_par_iter()
            .map(|b| {
                let mut s = vec![0.0f64; d];
                let rows = b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n);
                if let Some(flat) = flat {
                    for row in flat[rows.start * d..rows.end * d].chunks_exact(d) {
                        for (acc, v) in s.iter_mut().zip(row) {
                            *acc += v.as_f64();
                        }
                    }
                } else {
                    for r in rows {
                        for (acc, v) in s.iter_mut().zip(x.row(r)) {
                            *acc += v.as_f64();
                        }
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
        // A fresh copy of the data: on huge pages when large, from a line boundary (see
        // `cartera_core::memory`).
        let mut data = LineAligned::<F>::zeroed(n * d);
        // Each block is centred, then its column moments are taken while it is in cache (for
        // `mean_variance`, which would otherwise read all the data again).
        let moments: Vec<Moments> = data
            .par_chunks_mut(BLOCK_ROWS * d)
            .enumerate()
            .map(|(b, chunk)| {
                if let Some(flat) = flat {
                    let start = b * BLOCK_ROWS * d;
                    let src = &flat[start..start + chunk.len()];
                    for (row, v) in chunk.chunks_exact_mut(d).zip(src.chunks_exact(d)) {
                        for ((o, v), m) in row.iter_mut().zip(v).zip(&mean) {
                            *o = *v - *m;
                        }
                    }
                } else {
                    for (i, row) in chunk.chunks_exact_mut(d).enumerate() {
                        let src = x.row(b * BLOCK_ROWS + i);
                        for ((o, v), m) in row.iter_mut().zip(src).zip(&mean) {
                            *o = *v - *m;
                        }
                    }
                }
                Moments::of(chunk, d)
            })
            .collect();
        Prepared {
            mean_variance: Some(Moments::mean_variance(&moments, n, d)),
            data,
            unit: all_one(&weights),
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
            data: LineAligned::from_vec(data),
            unit: all_one(&weights),
            weights,
            mean: vec![F::zero(); d],
            mean_variance: None,
            n,
            d,
        }
    }

    /// Row-major `centres` (any number, in the data's units) in the centred coordinates of
    /// the prepared rows.
    pub fn centred(&self, centres: ndarray::ArrayView2<'_, F>) -> Vec<F> {
        centres
            .rows()
            .into_iter()
            .flat_map(|c| {
                c.iter()
                    .zip(&self.mean)
                    .map(|(&v, &m)| v - m)
                    .collect::<Vec<F>>()
            })
            .collect()
    }

    /// Mean over columns of the (population) column variances, in `f64`: scikit-learn's scale
    /// for `tol`. Taken while centring in [`new`](Self::new); computed here for
    /// [`raw`](Self::raw) rows.
    pub fn mean_variance(&self) -> f64 {
        if let Some(v) = self.mean_variance {
            return v;
        }
        let d = self.d;
        let moments: Vec<Moments> = self
            .data
            .par_chunks(BLOCK_ROWS * d)
            .map(|chunk| Moments::of(chunk, d))
            .collect();
        Moments::mean_variance(&moments, self.n, d)
    }
}

/// Per-column sums of values and of their squares over one block of rows, in `f64`.
struct Moments {
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
}

impl Moments {
    /// The moments of the `d`-column rows of `chunk` (two arrays rather than pairs, so that
    /// the column loop vectorises).
    fn of<F: Float>(chunk: &[F], d: usize) -> Self {
        let (mut sum, mut sum_sq) = (vec![0.0f64; d], vec![0.0f64; d]);
        for row in chunk.chunks_exact(d) {
            for ((s, q), v) in sum.iter_mut().zip(sum_sq.iter_mut()).zip(row) {
                let v = v.as_f64();
                *s += v;
                *q += v * v;
            }
        }
        Moments { sum, sum_sq }
    }

    /// Blocks' moments combined in block order, then the mean over columns of the variances.
    fn mean_variance(blocks: &[Moments], n: usize, d: usize) -> f64 {
        let (mut sum, mut sum_sq) = (vec![0.0f64; d], vec![0.0f64; d]);
        for b in blocks {
            for (t, v) in sum.iter_mut().zip(&b.sum) {
                *t += v;
            }
            for (t, v) in sum_sq.iter_mut().zip(&b.sum_sq) {
                *t += v;
            }
        }
        let n = n as f64;
        sum.iter()
            .zip(&sum_sq)
            .map(|(s, q)| (q / n - (s / n).powi(2)).max(0.0))
            .sum::<f64>()
            / d as f64
    }
}

/// Whether every weight is exactly one.
fn all_one<F: Float>(weights: &[F]) -> bool {
    weights.iter().all(|&w| w == F::one())
}

/// Centres laid out for the distance kernel ([`DotTable`], shared with PCA's projection), with
/// their squared norms.
pub(crate) struct CentreTable<F> {
    /// `‖c‖²` per centre.
    pub norms: Vec<F>,
    table: DotTable<F>,
    /// The same centres for the E-step's nearest-centre kernel, when it applies: at most
    /// [`nearest::LANES`] centres, `f64` on a CPU with AVX-512 or `f32` on one with AVX2 + FMA.
    nearest: Option<NearestTable<F>>,
    /// The same for 9 to 16 centres in `f64` on a CPU with AVX-512.
    nearest16: Option<Nearest16>,
}

impl<F: Float> CentreTable<F> {
    /// Builds the table from row-major centres (`k * d`).
    pub fn new(centres: &[F], k: usize, d: usize) -> Self {
        let norms: Vec<F> = (0..k)
            .map(|c| sq_norm(&centres[c * d..(c + 1) * d]))
            .collect();
        // Zero features (never reaches a fit, which rejects empty data) stay on the general
        // path.
        let nearest = (k <= nearest::LANES && d > 0 && nearest_kernel_runs::<F>())
            .then(|| NearestTable::new(centres, &norms, k, d));
        // For `f64`, `nearest_kernel_runs` is the AVX-512 check this kernel needs too.
        let is_f64 = std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>();
        let nearest16 = (k > nearest::LANES
            && k <= nearest::LANES16
            && d > 0
            && is_f64
            && nearest_kernel_runs::<F>())
        .then(|| {
            // `F` is `f64`: the values carry over exactly.
            let c: Vec<f64> = centres[..k * d].iter().map(|v| v.as_f64()).collect();
            let n: Vec<f64> = norms.iter().map(|v| v.as_f64()).collect();
            Nearest16::new(&c, &n, k, d)
        });
        CentreTable {
            norms,
            table: DotTable::new(centres, k, d),
            nearest,
            nearest16,
        }
    }

    /// The centres laid out for the 9-to-16-centre kernel, when it runs (`f64`, AVX-512).
    #[inline]
    pub fn nearest16(&self) -> Option<&Nearest16> {
        self.nearest16.as_ref()
    }

    /// The centres laid out for the nearest-centre kernel, when it runs on this CPU.
    #[inline]
    pub fn nearest(&self) -> Option<&NearestTable<F>> {
        self.nearest.as_ref()
    }

    /// Number of centres.
    #[inline]
    pub fn k(&self) -> usize {
        self.table.k()
    }

    /// Dot products of every row of `rows` (`m * d`, row-major) with every centre into `dots`
    /// (`m * k`, row-major): [`DotTable::dots`].
    #[inline]
    pub fn dots(&self, rows: &[F], d: usize, dots: &mut [F]) {
        self.table.dots(rows, d, dots);
    }

    /// [`dots`](Self::dots) with the build chosen by the caller ([`DotTable::dots_with`]).
    #[inline(always)]
    pub fn dots_with<const FMA: bool>(&self, rows: &[F], d: usize, dots: &mut [F]) {
        self.table.dots_with::<FMA>(rows, d, dots);
    }

    /// Whether [`dots`](Self::dots) runs its AVX2 + FMA build.
    pub fn uses_fma(&self) -> bool {
        self.table.uses_fma()
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

    /// [`argmin`](Self::argmin), in one 256-bit register when the centres fill exactly one
    /// (8 in `f32`, 4 in `f64`): the smallest distance, then the first centre holding it. The
    /// distances are computed with the same two roundings, and "first centre equal to the
    /// smallest" is "first on ties", so the answer is the scalar one (a test checks it, ties and
    /// all). Only for callers compiled with AVX2 ([`assign_block`]'s AVX2 build), which checked
    /// the CPU.
    #[inline(always)]
    pub fn argmin_avx(&self, dots: &[F]) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            use std::any::TypeId;
            let found = if TypeId::of::<F>() == TypeId::of::<f32>() {
                // SAFETY: `F` is `f32` (same TypeId), so the slices are reinterpreted as
                // themselves; the caller runs in an AVX2 build on a CPU that has AVX2.
                #[allow(unsafe_code)]
                unsafe {
                    argmin_f32_avx2(cast(&self.norms), cast(dots))
                }
            } else {
                // SAFETY: `Float` is implemented only for `f32` and `f64`, and `F` is not
                // `f32`; AVX2 as above.
                #[allow(unsafe_code)]
                unsafe {
                    argmin_f64_avx2(cast(&self.norms), cast(dots))
                }
            };
            if let Some(c) = found {
                return c;
            }
        }
        // Other numbers of centres, and NaN distances (finite data and centres give none), take
        // the scalar loop, whose handling of NaN is the reference.
        self.argmin(dots)
    }
}

/// `&[A]` as `&[B]`.
///
/// # Safety
/// `A` and `B` must be the same type.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) unsafe fn cast<A, B>(s: &[A]) -> &[B] {
    // SAFETY: the caller guarantees `A == B`, so layout, length and lifetime carry over.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<B>(), s.len()) }
}

/// `&mut [A]` as `&mut [B]`.
///
/// # Safety
/// `A` and `B` must be the same type.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline(always)]
pub(crate) unsafe fn cast_mut<A, B>(s: &mut [A]) -> &mut [B] {
    // SAFETY: as `cast`, and the borrow is handed on unchanged.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<B>(), s.len()) }
}

/// The AVX2 arg-min when the centres fill exactly one register (8 `f32` or 4 `f64`): the
/// distances, their minimum spread to every lane (two or three swaps and minimums), then the
/// first lane equal to it. No branch on the data: which centre wins is unpredictable from row
/// to row. `None` when a distance is NaN, or for any other number of centres: measured on
/// 371,589 x 20 blobs, register-by-register versions for more centres (with a branch per
/// register, or a bit mask over all of them) were slower than the scalar loop.
macro_rules! argmin_one_register {
    ($name:ident, $t:ty, $lanes:expr, $load:ident, $add:ident, $sub:ident, $spread_min:ident,
     $cmpeq:expr, $cmpunord:expr, $movemask:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(unsafe_code)]
        fn $name(norms: &[$t], dots: &[$t]) -> Option<usize> {
            if norms.len() != $lanes || dots.len() != $lanes {
                return None;
            }
            // SAFETY: both slices hold exactly `$lanes` values (checked above).
            let (a, nc) = unsafe { ($load(dots.as_ptr()), $load(norms.as_ptr())) };
            let dist = $sub(nc, $add(a, a));
            let eq = $movemask($cmpeq(dist, $spread_min(dist)));
            let nan = $movemask($cmpunord(dist, dist));
            if nan != 0 || eq == 0 {
                return None;
            }
            Some(eq.trailing_zeros() as usize)
        }
    };
}

/// The minimum of 8 `f32` lanes in every lane (finite lanes; NaN is checked by the caller).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn spread_min_f32(v: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let v = _mm256_min_ps(v, _mm256_permute2f128_ps::<1>(v, v));
    let v = _mm256_min_ps(v, _mm256_permute_ps::<0b0100_1110>(v));
    _mm256_min_ps(v, _mm256_permute_ps::<0b1011_0001>(v))
}

/// The minimum of 4 `f64` lanes in every lane (as [`spread_min_f32`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn spread_min_f64(v: std::arch::x86_64::__m256d) -> std::arch::x86_64::__m256d {
    use std::arch::x86_64::*;
    let v = _mm256_min_pd(v, _mm256_permute2f128_pd::<1>(v, v));
    _mm256_min_pd(v, _mm256_permute_pd::<0b0101>(v))
}

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    _CMP_EQ_OQ, _CMP_UNORD_Q, _mm256_add_pd, _mm256_add_ps, _mm256_cmp_pd, _mm256_cmp_ps,
    _mm256_loadu_pd, _mm256_loadu_ps, _mm256_movemask_pd, _mm256_movemask_ps, _mm256_sub_pd,
    _mm256_sub_ps,
};

argmin_one_register!(
    argmin_f32_avx2,
    f32,
    8,
    _mm256_loadu_ps,
    _mm256_add_ps,
    _mm256_sub_ps,
    spread_min_f32,
    |a, b| _mm256_cmp_ps::<_CMP_EQ_OQ>(a, b),
    |a, b| _mm256_cmp_ps::<_CMP_UNORD_Q>(a, b),
    _mm256_movemask_ps
);
argmin_one_register!(
    argmin_f64_avx2,
    f64,
    4,
    _mm256_loadu_pd,
    _mm256_add_pd,
    _mm256_sub_pd,
    spread_min_f64,
    |a, b| _mm256_cmp_pd::<_CMP_EQ_OQ>(a, b),
    |a, b| _mm256_cmp_pd::<_CMP_UNORD_Q>(a, b),
    _mm256_movemask_pd
);

/// `sums += x * w`, element by element, in fixed-size groups of 8 then 4 so that the loop
/// compiles to whole 256-bit registers (left to itself, the compiler used 128-bit ones for a
/// run-time length). Each element gets the same multiply and add as a plain loop, so the bits
/// are the same.
#[inline(always)]
fn add_scaled<F: Float>(sums: &mut [F], x: &[F], w: F) {
    let x = &x[..sums.len()];
    let mut s8 = sums.chunks_exact_mut(8);
    let mut x8 = x.chunks_exact(8);
    for (s, v) in (&mut s8).zip(&mut x8) {
        for l in 0..8 {
            s[l] += v[l] * w;
        }
    }
    let mut s4 = s8.into_remainder().chunks_exact_mut(4);
    let mut x4 = x8.remainder().chunks_exact(4);
    for (s, v) in (&mut s4).zip(&mut x4) {
        for l in 0..4 {
            s[l] += v[l] * w;
        }
    }
    for (s, &v) in s4.into_remainder().iter_mut().zip(x4.remainder()) {
        *s += v * w;
    }
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
///
/// A block none of whose labels changed keeps its slot as it is (its sums would be the same
/// bits). So `partial` must hold the previous call's slots for the same rows and labels, or
/// `labels` must start as `u32::MAX` (no label yet), which makes every block write its slot.
pub(crate) fn assign<F: Float>(
    p: &Prepared<F>,
    table: &CentreTable<F>,
    labels: &mut [u32],
    partial: Option<&mut [F]>,
) -> usize {
    let plen = partial_len(table.k(), p.d);
    // Per-thread scratch for a block's dot products, sized by the first block that needs it
    // (only scratch: results do not depend on which thread used which buffer).
    let scratch = Vec::new;
    match partial {
        Some(partial) => labels
            .par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .zip(partial.par_chunks_mut(plen))
            .map_init(scratch, |dots, ((b, lab), part)| {
                assign_one_block(p, table, dots, b, lab, Some(part))
            })
            .sum(),
        None => labels
            .par_chunks_mut(BLOCK_ROWS)
            .enumerate()
            .map_init(scratch, |dots, (b, lab)| {
                assign_one_block(p, table, dots, b, lab, None)
            })
            .sum(),
    }
}

/// One E-step (labels and block sums) for several runs on the same data at once, each with
/// its own centres (`tables[r]`), labels and block sums (`runs[r]`): how many labels each
/// run's step changed.
///
/// Block by block, every run visits the block's rows while they are in cache, so the rows
/// stream from memory once per step for all runs instead of once per run. Each run's labels,
/// block sums and counts are exactly those of [`assign`] with its table (the same kernel on
/// the same block), so a restart does not depend on which others it ran beside.
///
/// # Panics
/// If `tables` and `runs` differ in length, or a run's slices do not match the data
/// (programming errors).
pub(crate) fn assign_many<F: Float>(
    p: &Prepared<F>,
    tables: &[CentreTable<F>],
    runs: Vec<(&mut [u32], &mut [F])>,
) -> Vec<usize> {
    assert_eq!(tables.len(), runs.len(), "one table per run");
    let Some(k) = tables.first().map(CentreTable::k) else {
        return Vec::new();
    };
    let plen = partial_len(k, p.d);
    let chunks = runs
        .into_iter()
        .map(|(labels, partial)| {
            assert!(
                labels.len() == p.n && partial.len() == n_blocks(p.n) * plen,
                "run sized for the data"
            );
            labels.chunks_mut(BLOCK_ROWS).zip(partial.chunks_mut(plen))
        })
        .collect();
    let per_block = over_blocks_of_runs(p.n, chunks, |dots, b, slices, out| {
        for (((lab, part), table), o) in slices.iter_mut().zip(tables).zip(out) {
            *o = assign_one_block(p, table, dots, b, lab, Some(part));
        }
    });
    (0..tables.len())
        .map(|r| per_block.iter().skip(r).step_by(tables.len()).sum())
        .collect()
}

/// The block-by-block pass of the lock-step functions over `n` rows: `runs[r]` yields run
/// `r`'s slices of the blocks, in block order; `work(dots, b, slices, out)` gets block `b`'s
/// slice of every run (in run order), a per-thread scratch for a block's dot products (empty
/// until a kernel sizes it), and the block's result slot of every run. Blocks run in
/// parallel. Returns the results block-major: run `r`'s result for block `b` at
/// `b * runs.len() + r`.
///
/// Two allocations per pass (the slices in block-major order and the results), whatever the
/// number of blocks.
///
/// # Panics
/// If a run yields fewer slices than there are blocks (a programming error).
fn over_blocks_of_runs<F: Float, T: Send, R: Send + Default + Clone>(
    n: usize,
    mut runs: Vec<impl Iterator<Item = T>>,
    work: impl Fn(&mut Vec<F>, usize, &mut [T], &mut [R]) + Sync + Send,
) -> Vec<R> {
    let (nb, nr) = (n_blocks(n), runs.len());
    let mut slices = Vec::with_capacity(nb * nr);
    for _ in 0..nb {
        for run in runs.iter_mut() {
            slices.push(run.next().expect("one slice per block in every run"));
        }
    }
    let mut out = vec![R::default(); nb * nr];
    slices
        .par_chunks_mut(nr.max(1))
        .zip(out.par_chunks_mut(nr.max(1)))
        .enumerate()
        .for_each_init(Vec::new, |dots, (b, (slices, out))| {
            work(dots, b, slices, out)
        });
    out
}

/// Block `b` of the E-step with the fastest kernel `table` has: labels into `lab` and, with
/// `part`, the block's sums. Returns how many labels changed.
///
/// `dots` is per-thread scratch, grown here to a block's dot products only when the kernel
/// is the general one: the nearest-centre kernels (`k <= 16`) keep them in registers, and a
/// 16 KB buffer zeroed for every rayon split cost them time for nothing.
fn assign_one_block<F: Float>(
    p: &Prepared<F>,
    table: &CentreTable<F>,
    dots: &mut Vec<F>,
    b: usize,
    lab: &mut [u32],
    part: Option<&mut [F]>,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if let Some(near) = table.nearest() {
        // SAFETY: the table has a nearest-centre layout only when the CPU has what its
        // kernel for `F` needs (`nearest_kernel_runs`), AVX2 and FMA included.
        #[allow(unsafe_code)]
        return unsafe { assign_block_nearest(p, near, b, lab, part) };
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(near) = table.nearest16() {
        // SAFETY: the table has this layout only for `F = f64` on a CPU with AVX-512F,
        // AVX2 and FMA (`CentreTable::new`).
        #[allow(unsafe_code)]
        return unsafe { assign_block_nearest16(p, near, b, lab, part) };
    }
    let want = BLOCK_ROWS * table.k();
    if dots.len() < want {
        dots.resize(want, F::zero());
    }
    #[cfg(target_arch = "x86_64")]
    if table.uses_fma() {
        // SAFETY: the table uses its FMA build only when the CPU reported AVX2 and FMA,
        // which is all `assign_block_avx2_fma` requires.
        #[allow(unsafe_code)]
        return unsafe { assign_block_avx2_fma(p, table, dots, b, lab, part) };
    }
    assign_block::<F, false>(p, table, dots, b, lab, part)
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

/// [`assign_block`] through the nearest-centre kernel (`k <= 8`): labels and moves from
/// [`NearestTable`], then the same sums.
///
/// # Safety
/// The CPU must have what the kernel for `F` needs: AVX-512F for `f64`; AVX2 and FMA for both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code)]
unsafe fn assign_block_nearest<F: Float>(
    p: &Prepared<F>,
    near: &NearestTable<F>,
    b: usize,
    lab: &mut [u32],
    part: Option<&mut [F]>,
) -> usize {
    use std::any::TypeId;
    let d = p.d;
    let rows = p.block(b, lab.len());
    let moves = if TypeId::of::<F>() == TypeId::of::<f64>() {
        // SAFETY: `F` is `f64` (same TypeId), so the table and slice are reinterpreted as
        // themselves; the caller guarantees AVX-512F, AVX2 and FMA.
        unsafe {
            let near = &*(near as *const NearestTable<F>).cast::<NearestTable<f64>>();
            near.assign_avx512(cast(rows), d, lab)
        }
    } else {
        // SAFETY: `Float` is implemented only for `f32` and `f64`, and `F` is not `f64`; the
        // caller guarantees AVX2 and FMA.
        unsafe {
            let near = &*(near as *const NearestTable<F>).cast::<NearestTable<f32>>();
            if near.narrow() {
                // The same distances as the paired kernel, in 256-bit registers: the table is
                // narrow only on a CPU with AVX-512F and AVX-512VL.
                near.assign_narrow(cast(rows), d, lab)
            } else if near.pairs() {
                // The table has the paired layout only on a CPU with AVX-512F.
                near.assign_avx512(cast(rows), d, lab)
            } else {
                near.assign_avx2(cast(rows), d, lab)
            }
        }
    };
    block_sums(p, b, lab, part, moves)
}

/// [`assign_block`] through the 9-to-16-centre kernel: labels and moves from [`Nearest16`],
/// then the same sums.
///
/// # Safety
/// `F` must be `f64` and the CPU must have AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(unsafe_code)]
unsafe fn assign_block_nearest16<F: Float>(
    p: &Prepared<F>,
    near: &Nearest16,
    b: usize,
    lab: &mut [u32],
    part: Option<&mut [F]>,
) -> usize {
    let d = p.d;
    let rows = p.block(b, lab.len());
    // SAFETY: the caller guarantees `F == f64` and the CPU features.
    let moves = unsafe { near.assign_avx512(cast(rows), d, lab) };
    block_sums(p, b, lab, part, moves)
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
    part: Option<&mut [F]>,
) -> usize {
    let (d, k) = (p.d, table.k());
    let rows = p.block(b, lab.len());
    table.dots_with::<FMA>(rows, d, dots);
    let mut moves = Moves::default();
    for (l, dx) in lab.iter_mut().zip(dots.chunks_exact(k)) {
        let c = if FMA {
            table.argmin_avx(dx)
        } else {
            table.argmin(dx)
        } as u32;
        moves.update(l, c);
    }
    block_sums(p, b, lab, part, moves)
}

/// The block's weighted sums per cluster into its slot `part` (when the caller wants them),
/// given the labels just written and the `moves` that led to them; returns how many labels
/// changed, the E-step's answer for the block.
///
/// A cluster none of whose rows in this block moved has the sums already in the block's slot
/// (the same rows, in the same order): only the touched clusters are summed again, and a block
/// where no label changed (most blocks in late iterations) is not read at all.
#[inline(always)]
pub(crate) fn block_sums<F: Float>(
    p: &Prepared<F>,
    b: usize,
    lab: &[u32],
    part: Option<&mut [F]>,
    moves: Moves,
) -> usize {
    let Some(part) = part.filter(|_| moves.changed > 0) else {
        return moves.changed;
    };
    let d = p.d;
    let k = part.len() / (d + 1);
    let start = b * BLOCK_ROWS;
    let rows = p.block(b, lab.len());
    let w = &p.weights[start..start + lab.len()];
    let (sums, weights) = part.split_at_mut(k * d);
    #[cfg(target_arch = "x86_64")]
    if let Some(run) = sums_kernel::<F>(k, d) {
        // SAFETY: `sums_kernel` answers only on a CPU with AVX-512F, AVX-512VL and POPCNT, for
        // `k <= MAX_K` and `d` within its registers; labels are `< k` (written by the E-step).
        #[allow(unsafe_code)]
        unsafe {
            run(rows, lab, w, d, moves.touched, p.unit, sums, weights)
        };
        return moves.changed;
    }
    let redo = |c: u32| moves.touched & cluster_bit(c) != 0;
    for c in (0..k).filter(|&c| redo(c as u32)) {
        sums[c * d..(c + 1) * d].fill(F::zero());
        weights[c] = F::zero();
    }
    for ((x, &l), &wi) in rows.chunks_exact(d).zip(lab.iter()).zip(w) {
        let c = l as usize;
        if redo(l) {
            add_scaled(&mut sums[c * d..(c + 1) * d], x, wi);
            weights[c] += wi;
        }
    }
    moves.changed
}

/// The signature of [`sums::sums_f64`] and [`sums::sums_f32`], over `F`.
#[cfg(target_arch = "x86_64")]
type SumsKernel<F> = unsafe fn(&[F], &[u32], &[F], usize, u64, bool, &mut [F], &mut [F]);

/// The AVX-512 sums kernel for `F`, when the CPU has AVX-512F, AVX-512VL and POPCNT and the
/// shape fits it (`k <= 64` clusters, at most eight 256-bit registers of features).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sums_kernel<F: Float>(k: usize, d: usize) -> Option<SumsKernel<F>> {
    use std::any::{Any, TypeId};
    let lanes = 32 / std::mem::size_of::<F>();
    if k > sums::MAX_K || d > sums::MAX_VECTORS * lanes || !sums::runs_here() {
        return None;
    }
    let f64_kernel: SumsKernel<f64> = sums::sums_f64;
    let f32_kernel: SumsKernel<f32> = sums::sums_f32;
    // The kernel for `F` itself (`Float` is implemented for `f32` and `f64` only).
    let any: &dyn Any = if TypeId::of::<F>() == TypeId::of::<f64>() {
        &f64_kernel
    } else {
        &f32_kernel
    };
    any.downcast_ref::<SumsKernel<F>>().copied()
}

/// Bit `label` of a cluster mask, or every bit for "no label yet" and labels past 63: a
/// cluster past 63 is then summed again whenever any label of its block changed (the same bits,
/// only more work), and a row without a previous label makes every cluster be summed again.
#[inline(always)]
pub(crate) fn cluster_bit(label: u32) -> u64 {
    if label < 64 { 1 << label } else { u64::MAX }
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

/// Total weighted inertia `Σ wᵢ ‖xᵢ − c(ᵢ)‖²`, computed directly (not by the expansion).
///
/// Each difference is taken and squared in `F`, as scikit-learn does, then weighted and added
/// in `f64` to a per-column sum of the block (the sums over a block's rows run down the columns,
/// so the loop vectorises whatever the width: about ten times faster than summing each row's
/// distance on its own, which is a chain of scalar adds). A block's column sums are added in
/// column order and blocks in block order, so the total does not depend on threads.
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
        .map(|((rows, lab), w)| block_inertia(rows, lab, w, centres, d))
        .collect();
    parts.iter().sum()
}

/// The end of several runs in one pass over the data: for each run `r` whose `relabel[r]` is
/// set, the labels from its final centres (`centres[r]`, row-major `k x d`; an E-step
/// without sums), then the inertia of every run against its centres. The same labels and the
/// same inertia, to the bit, as [`assign`] then [`inertia`] run by run: the same block
/// kernels, and each run's block sums added in block order.
///
/// # Panics
/// If the slices differ in length (programming errors).
pub(crate) fn finish_many<F: Float>(
    p: &Prepared<F>,
    centres: &[&[F]],
    k: usize,
    labels: Vec<&mut [u32]>,
    relabel: &[bool],
) -> Vec<f64> {
    let runs = centres.len();
    assert!(labels.len() == runs && relabel.len() == runs);
    let d = p.d;
    // Only the runs to relabel need a kernel's table of their centres.
    let tables: Vec<Option<CentreTable<F>>> = centres
        .iter()
        .zip(relabel)
        .map(|(c, &r)| r.then(|| CentreTable::new(c, k, d)))
        .collect();
    let chunks = labels
        .into_iter()
        .map(|lab| lab.chunks_mut(BLOCK_ROWS))
        .collect();
    let per_block = over_blocks_of_runs(p.n, chunks, |dots, b, labs, out| {
        let rows = p.block(b, labs.first().map_or(0, |l| l.len()));
        let start = b * BLOCK_ROWS;
        for (r, (lab, o)) in labs.iter_mut().zip(out).enumerate() {
            if let Some(table) = &tables[r] {
                assign_one_block(p, table, dots, b, lab, None);
            }
            let w = &p.weights[start..start + lab.len()];
            *o = block_inertia(rows, lab, w, centres[r], d);
        }
    });
    (0..runs)
        .map(|r| per_block.iter().skip(r).step_by(runs).sum())
        .collect()
}

/// The weighted squared distances of a block's rows to their centres, summed as
/// [`block_inertia_with`] does, in the widest vector build the CPU runs (the same sums in each:
/// no fused multiply-add).
fn block_inertia<F: Float>(rows: &[F], labels: &[u32], w: &[F], centres: &[F], d: usize) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if cartera_core::dots::has_avx512() {
            // SAFETY: the CPU reported AVX-512F, which is all the build requires.
            #[allow(unsafe_code)]
            return unsafe { block_inertia_avx512(rows, labels, w, centres, d) };
        }
        if cartera_core::dots::has_avx2_fma() {
            // SAFETY: the CPU reported AVX2, which is all the build requires.
            #[allow(unsafe_code)]
            return unsafe { block_inertia_avx2(rows, labels, w, centres, d) };
        }
    }
    block_inertia_with(rows, labels, w, centres, d)
}

/// A build of [`block_inertia_with`] for the target features `$features`.
macro_rules! block_inertia_build {
    ($name:ident, $features:literal) => {
        #[doc = concat!("[`block_inertia_with`] compiled for ", $features, ".")]
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name<F: Float>(rows: &[F], labels: &[u32], w: &[F], centres: &[F], d: usize) -> f64 {
            block_inertia_with(rows, labels, w, centres, d)
        }
    };
}

block_inertia_build!(block_inertia_avx512, "avx512f");
block_inertia_build!(block_inertia_avx2, "avx2");

/// The sums of [`block_inertia`]: groups of 8 columns go to 8 lanes, a group of 4 to 4 more,
/// the last 0-3 columns to one more; all fixed-size locals, so they stay in registers (a
/// `d`-long accumulator in memory made every row wait for the previous row's store).
#[inline(always)]
fn block_inertia_with<F: Float>(
    rows: &[F],
    labels: &[u32],
    w: &[F],
    centres: &[F],
    d: usize,
) -> f64 {
    let mut l8 = [0.0f64; 8];
    let mut l4 = [0.0f64; 4];
    let mut l1 = 0.0f64;
    let sq = |x: F, c: F| {
        let t = x - c;
        (t * t).as_f64()
    };
    for ((x, &l), &wi) in rows.chunks_exact(d).zip(labels).zip(w) {
        let l = l as usize;
        let c = &centres[l * d..(l + 1) * d];
        let wi = wi.as_f64();
        let (mut xs, mut cs) = (x.chunks_exact(8), c.chunks_exact(8));
        for (xg, cg) in xs.by_ref().zip(cs.by_ref()) {
            for j in 0..8 {
                l8[j] += sq(xg[j], cg[j]) * wi;
            }
        }
        let (mut xs, mut cs) = (
            xs.remainder().chunks_exact(4),
            cs.remainder().chunks_exact(4),
        );
        for (xg, cg) in xs.by_ref().zip(cs.by_ref()) {
            for j in 0..4 {
                l4[j] += sq(xg[j], cg[j]) * wi;
            }
        }
        for (&xv, &cv) in xs.remainder().iter().zip(cs.remainder()) {
            l1 += sq(xv, cv) * wi;
        }
    }
    l8.iter().sum::<f64>() + l4.iter().sum::<f64>() + l1
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::CarteraRng;

    /// A block whose labels did not change keeps its slot, a block where some did re-sums only
    /// the clusters that gained or lost a row, and the slots then hold exactly what a call from
    /// scratch writes: labels and sums, bit for bit. 70 centres cover the clusters past the
    /// 64 bits of the mask.
    #[test]
    fn unchanged_blocks_keep_their_sums() {
        for k in [4, 70] {
            blocks_keep_their_sums(k);
        }
    }

    fn blocks_keep_their_sums(k: usize) {
        let (n, d) = (10 * BLOCK_ROWS + 37, 5);
        let mut rng = CarteraRng::seed_from_u64(11);
        let x = ndarray::Array2::from_shape_fn((n, d), |_| rng.uniform() * 10.0);
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        let p = Prepared::new(x.view(), weights);
        let mut centres: Vec<f64> = p.data[..k * d].to_vec();
        let mut labels = vec![u32::MAX; n];
        let mut partial = vec![0.0; n_blocks(n) * partial_len(k, d)];
        let first = assign(
            &p,
            &CentreTable::new(&centres, k, d),
            &mut labels,
            Some(&mut partial),
        );
        assert_eq!(first, n);
        // Small moves of the centres: some blocks change labels, others do not.
        let mut moved_blocks = 0;
        for step in 0..4 {
            centres[step % (k * d)] += 0.3;
            // And the last centre, past the mask's 64 bits when k = 70.
            centres[(k - 1) * d + step % d] -= 0.3;
            let table = CentreTable::new(&centres, k, d);
            let before = labels.clone();
            let changed = assign(&p, &table, &mut labels, Some(&mut partial));
            let mut fresh_labels = vec![u32::MAX; n];
            let mut fresh = vec![0.0; partial.len()];
            assign(&p, &table, &mut fresh_labels, Some(&mut fresh));
            // The call from scratch against sums written out here, row by row.
            let mut direct = vec![0.0; partial.len()];
            let plen = partial_len(k, d);
            for (r, (x, &l)) in p.data.chunks_exact(d).zip(&fresh_labels).enumerate() {
                let slot = &mut direct[r / BLOCK_ROWS * plen..][..plen];
                let c = l as usize;
                for (s, &v) in slot[c * d..(c + 1) * d].iter_mut().zip(x) {
                    *s += v * p.weights[r];
                }
                slot[k * d + c] += p.weights[r];
            }
            assert_eq!(fresh, direct, "step {step}");
            assert_eq!(labels, fresh_labels, "step {step}");
            assert_eq!(
                partial.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                fresh.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "step {step}"
            );
            let diff = before.iter().zip(&labels).filter(|(a, b)| a != b).count();
            assert_eq!(changed, diff);
            moved_blocks += before
                .chunks(BLOCK_ROWS)
                .zip(labels.chunks(BLOCK_ROWS))
                .filter(|(a, b)| a != b)
                .count();
        }
        // The test means something only if some blocks kept their slot and others did not.
        assert!(
            moved_blocks > 0 && moved_blocks < 4 * n_blocks(n),
            "{moved_blocks}"
        );
    }

    /// The AVX2 arg-min picks the scalar one's centre for every `k` around the register widths,
    /// with ties (equal distances, many of them exactly zero) going to the first centre.
    fn argmin_builds_agree<F: Float>() {
        if !cartera_core::dots::has_avx2_fma() {
            return;
        }
        let mut rng = CarteraRng::seed_from_u64(3);
        for k in (1..=19).chain([64, 65, 70]) {
            for trial in 0..200 {
                // Few distinct values make ties common.
                let centres: Vec<F> = (0..k * 2)
                    .map(|_| F::cast_from_f64((rng.uniform() * 4.0).floor() - 2.0))
                    .collect();
                let table = CentreTable::new(&centres, k, 2);
                let dots: Vec<F> = (0..k)
                    .map(|c| {
                        if trial % 5 == 0 {
                            // Every distance exactly zero: all ties.
                            table.norms[c] * F::cast_from_f64(0.5)
                        } else {
                            F::cast_from_f64((rng.uniform() * 6.0).floor() - 3.0)
                        }
                    })
                    .collect();
                let mut dots = dots;
                if trial % 7 == 3 {
                    // A NaN distance: the scalar arg-min's answer stands.
                    dots[trial % k] = F::nan();
                }
                assert_eq!(
                    table.argmin_avx(&dots),
                    table.argmin(&dots),
                    "k = {k}, trial {trial}, dots {dots:?}"
                );
            }
        }
    }

    #[test]
    fn avx2_argmin_matches_scalar_f32() {
        argmin_builds_agree::<f32>();
    }

    #[test]
    fn avx2_argmin_matches_scalar_f64() {
        argmin_builds_agree::<f64>();
    }

    /// Centres of zero features build a table (on the general path), and up to 8 centres of
    /// some features get the nearest-centre layout where the CPU runs its kernel.
    #[test]
    fn nearest_layout_only_where_it_applies() {
        assert!(CentreTable::<f64>::new(&[], 3, 0).nearest().is_none());
        let centres = vec![1.0f64; 9 * 2];
        assert!(CentreTable::new(&centres, 9, 2).nearest().is_none());
        // 9 to 16 centres: the two-register kernel, in `f64` on AVX-512 only.
        let wide: Vec<f64> = (0..34).map(f64::from).collect();
        let avx512 = cartera_core::dots::has_avx512();
        assert_eq!(CentreTable::new(&wide, 9, 2).nearest16().is_some(), avx512);
        assert_eq!(CentreTable::new(&wide, 16, 2).nearest16().is_some(), avx512);
        assert!(CentreTable::new(&wide, 17, 2).nearest16().is_none());
        assert!(CentreTable::new(&wide, 8, 2).nearest16().is_none());
        let wide32: Vec<f32> = (0..34u16).map(f32::from).collect();
        assert!(CentreTable::new(&wide32, 12, 2).nearest16().is_none());
        assert_eq!(
            CentreTable::new(&centres, 8, 2).nearest().is_some(),
            cartera_core::dots::has_avx512()
        );
        let centres32 = vec![1.0f32; 8 * 2];
        assert_eq!(
            CentreTable::new(&centres32, 8, 2).nearest().is_some(),
            cartera_core::dots::has_avx2_fma()
        );
    }

    /// `add_scaled` adds every element once, whatever the length's remainder by 8 and 4.
    #[test]
    fn add_scaled_covers_every_element() {
        for len in 0..30 {
            let x: Vec<f64> = (0..len).map(|i| i as f64 + 0.5).collect();
            let mut s: Vec<f64> = (0..len).map(|i| -(i as f64)).collect();
            add_scaled(&mut s, &x, 2.0);
            let want: Vec<f64> = (0..len)
                .map(|i| -(i as f64) + (i as f64 + 0.5) * 2.0)
                .collect();
            assert_eq!(s, want, "len {len}");
        }
    }

    /// The inertia kernel adds every column of every row once, with its weight and its own
    /// centre, whatever the width's remainder by 8 and 4: it matches the sum written row by
    /// row, for both precisions and the plain build as well as the vector ones.
    #[test]
    fn inertia_matches_the_row_by_row_sum() {
        inertia_widths::<f64>(1e-12);
        inertia_widths::<f32>(1e-6);
    }

    fn inertia_widths<F: Float>(rel: f64) {
        let mut rng = CarteraRng::seed_from_u64(3);
        for d in 1..=21 {
            let (n, k) = (2 * BLOCK_ROWS + 19, 3);
            let data: Vec<F> = (0..n * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let centres: Vec<F> = (0..k * d)
                .map(|_| F::cast_from_f64(rng.uniform()))
                .collect();
            let labels: Vec<u32> = (0..n).map(|i| (i * 7 % k) as u32).collect();
            let weights: Vec<F> = (0..n)
                .map(|i| F::cast_from_f64(0.5 + (i % 4) as f64))
                .collect();
            let mut want = 0.0f64;
            for i in 0..n {
                let l = labels[i] as usize;
                let mut row = 0.0f64;
                for j in 0..d {
                    let t = (data[i * d + j] - centres[l * d + j]).as_f64();
                    row += t * t;
                }
                want += row * weights[i].as_f64();
            }
            let got = inertia(&data, &weights, d, &centres, &labels);
            assert!((got - want).abs() <= rel * want, "d {d}: {got} vs {want}");
            let plain: f64 = data
                .chunks(BLOCK_ROWS * d)
                .zip(labels.chunks(BLOCK_ROWS))
                .zip(weights.chunks(BLOCK_ROWS))
                .map(|((r, l), w)| block_inertia_with(r, l, w, &centres, d))
                .sum();
            assert_eq!(
                got.to_bits(),
                plain.to_bits(),
                "d {d}: vector and plain builds"
            );
        }
    }

    /// The column variances taken while centring are those of the centred data, and those of
    /// `raw` rows are computed from them: both agree with the textbook formula.
    #[test]
    fn mean_variance_of_new_and_raw_rows() {
        let mut rng = CarteraRng::seed_from_u64(5);
        let (n, d) = (3 * BLOCK_ROWS + 5, 4);
        let x =
            ndarray::Array2::from_shape_fn((n, d), |(_, j)| rng.uniform() * (j + 1) as f64 + 100.0);
        let want = (0..d)
            .map(|j| {
                let c = x.column(j);
                let m = c.sum() / n as f64;
                c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64
            })
            .sum::<f64>()
            / d as f64;
        let p = Prepared::new(x.view(), vec![1.0; n]);
        assert!((p.mean_variance() - want).abs() <= 1e-12 * want);
        // A column-major view goes through the strided path: the same data, the same bits.
        let f = x.t().as_standard_layout().t().to_owned();
        assert!(f.as_slice().is_none());
        let q = Prepared::new(f.view(), vec![1.0; n]);
        assert_eq!(q.data, p.data);
        assert_eq!(q.mean_variance().to_bits(), p.mean_variance().to_bits());
        let r = Prepared::raw(p.data.to_vec(), vec![1.0; n], d);
        assert!((r.mean_variance() - want).abs() <= 1e-12 * want);
    }
}
