//! The E-step's per-cluster sums of a block, cluster by cluster in registers (AVX-512).
//!
//! The general loop adds each row into its cluster's sums in memory: per row, a load, an add
//! and a store of every feature, and the next row of the same cluster waits for that store.
//! Here the block's rows are first ordered by cluster (a counting sort of at most 256 labels),
//! then each touched cluster's rows are added into at most eight 256-bit registers (up to 32
//! `f64` or 64 `f32` features) and stored once.
//!
//! The registers are 256 bits wide although the CPU has AVX-512 (AVX-512VL gives the masked
//! 256-bit loads and 32 registers): a row of 20 `f64` (160 bytes) starts on every other
//! 64-byte line boundary plus 32, so two of its three 512-bit loads split a cache line, where
//! no 256-bit load does. On an AMD EPYC (Zen 4) one 256-row block took 2.4-2.8 ns per row with
//! 512-bit registers and 1.8-2.3 with 256-bit ones (`f32`: 1.8-2.0 against 1.3-1.7), the
//! same bits.
//!
//! That holds when the buffer starts a line, which the allocator does not promise (glibc puts
//! a large block 16 bytes past a page boundary): the prepared data are therefore a
//! [`LineAligned`](cartera_core::memory::LineAligned) buffer. When every row's registers start
//! on 32-byte boundaries (rows that fill whole registers, from such a buffer) the loads are
//! whole; otherwise masked, which cost the same wherever they fall.
//!
//! Each sum gets the general loop's operations in the general loop's order: it starts at zero,
//! and the cluster's rows are added in row order, each as `s + x * w` (a product rounded, then
//! the sum; with unit weights `x * 1 = x` exactly, so the product is skipped). The sums are
//! therefore the same bits (tested).

use crate::kernel::BLOCK_ROWS;

/// Most clusters the kernel handles (touched clusters are bits of a `u64`).
pub(crate) const MAX_K: usize = 64;

/// Whether this CPU runs the kernels: AVX-512F (the picking of rows), AVX-512VL (the masked
/// 256-bit loads and stores), and POPCNT for the counts of picked rows.
#[cfg(target_arch = "x86_64")]
pub(crate) fn runs_here() -> bool {
    cartera_core::dots::has_avx512()
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("popcnt")
}

/// Most 256-bit registers of features per row.
pub(crate) const MAX_VECTORS: usize = 8;

/// Rows of a block in cluster order: `order[start[c]..start[c + 1]]` are the rows labelled `c`,
/// in row order.
struct ByCluster {
    order: [u32; BLOCK_ROWS],
    start: [u16; MAX_K + 1],
}

impl ByCluster {
    /// Counting sort of `lab` (`lab.len() <= BLOCK_ROWS`, labels `< k <= MAX_K`).
    #[inline(always)]
    fn new(lab: &[u32], k: usize) -> Self {
        let mut start = [0u16; MAX_K + 1];
        for &l in lab {
            start[l as usize + 1] += 1;
        }
        for c in 0..k {
            start[c + 1] += start[c];
        }
        let mut next = start;
        let mut order = [0u32; BLOCK_ROWS];
        for (i, &l) in lab.iter().enumerate() {
            let slot = &mut next[l as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        ByCluster { order, start }
    }

    /// Rows labelled `c`.
    #[inline(always)]
    fn rows(&self, c: usize) -> &[u32] {
        &self.order[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

/// Most clusters for which the rows of each touched cluster are picked out with vector compares
/// ([`rows_labelled`]) rather than a counting sort of the whole block: the compares cost `k`
/// passes over 16 labels at a time, the sort two passes of one label at a time, each waiting for
/// the count it increments when consecutive rows share a cluster (as they mostly do). At
/// k = 8 on 371,589 x 20 blobs, the sort took two thirds of the kernel.
const COMPARE_MAX_K: usize = 16;

// `rows_labelled` stores 16 row numbers at a time into `BLOCK_ROWS` slots.
const _: () = assert!(BLOCK_ROWS.is_multiple_of(16));

/// The rows of `lab` labelled `c1`, and those labelled `c2` when given, each in row order:
/// from the block's counting sort when there is one, else picked out into `b1` and `b2`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
#[inline]
fn pick_two<'a>(
    by: Option<&'a ByCluster>,
    lab: &[u32],
    (c1, c2): (usize, Option<usize>),
    b1: &'a mut [u32; BLOCK_ROWS],
    b2: &'a mut [u32; BLOCK_ROWS],
) -> (&'a [u32], &'a [u32]) {
    match (by, c2) {
        (Some(by), c2) => (by.rows(c1), c2.map_or(&[][..], |c| by.rows(c))),
        (None, None) => {
            let [n] = rows_labelled(lab, [c1 as u32], [&mut *b1]);
            (&b1[..n], &[])
        }
        (None, Some(c2)) => {
            let [n1, n2] = rows_labelled(lab, [c1 as u32, c2 as u32], [&mut *b1, &mut *b2]);
            (&b1[..n1], &b2[..n2])
        }
    }
}

/// Writes the rows of `lab` labelled `c[m]`, in row order, to the start of `out[m]`, for each
/// of the `N` clusters, and returns how many each has: 16 labels loaded and compared at a time,
/// the matching row numbers packed together (AVX-512F `vpcompressd`) and stored whole, each
/// next store starting where the last ended. Two clusters per pass (`N = 2`) keep two
/// independent chains going: one cluster's next store waits for its previous count.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
#[inline]
fn rows_labelled<const N: usize>(
    lab: &[u32],
    c: [u32; N],
    mut out: [&mut [u32; BLOCK_ROWS]; N],
) -> [usize; N] {
    use std::arch::x86_64::*;
    assert!(lab.len() <= BLOCK_ROWS);
    let want = c.map(|c| _mm512_set1_epi32(c as i32));
    let mut idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let mut n = [0usize; N];
    for (q, chunk) in lab.chunks(16).enumerate() {
        let valid = ((1u32 << chunk.len()) - 1) as u16;
        // SAFETY: the mask reads the chunk's `chunk.len()` labels only. Each store writes
        // `out[m][n[m]..n[m] + 16]`: `n[m]` counts matches among the `16 q` labels before this
        // chunk, so `n[m] + 16 <= 16 q + 16 <= lab.len() <= BLOCK_ROWS` whenever the chunk is
        // whole, and a short last chunk starts at `16 q <= lab.len() - 1`, which also leaves
        // 16 slots because `lab.len() <= BLOCK_ROWS` and `BLOCK_ROWS` is a multiple of 16.
        #[allow(unsafe_code)]
        unsafe {
            let v = _mm512_maskz_loadu_epi32(valid, chunk.as_ptr().cast());
            for ((o, n), want) in out.iter_mut().zip(n.iter_mut()).zip(&want) {
                let hit = _mm512_mask_cmpeq_epi32_mask(valid, v, *want);
                _mm512_storeu_si512(
                    o.as_mut_ptr().add(*n).cast(),
                    _mm512_maskz_compress_epi32(hit, idx),
                );
                *n += hit.count_ones() as usize;
            }
        }
        idx = _mm512_add_epi32(idx, _mm512_set1_epi32(16));
        debug_assert!(n.iter().all(|&n| n <= 16 * (q + 1)));
    }
    n
}

/// `$body::<NV, UNIT, WHOLE>(args)` for the register count `nv` (at most `$widest`; 0 goes
/// to the narrowest), `unit` and `whole`: one arm per count, weighting and load, each a
/// monomorphised body.
macro_rules! by_width {
    (@call $body:ident, $n:literal, $u:literal, $w:literal, ($($a:expr),*)) => {
        $body::<$n, $u, $w>($($a),*)
    };
    (@flags $body:ident, $n:literal, $unit:expr, $whole:expr, $args:tt) => {
        match ($unit, $whole) {
            (true, true) => by_width!(@call $body, $n, true, true, $args),
            (true, false) => by_width!(@call $body, $n, true, false, $args),
            (false, true) => by_width!(@call $body, $n, false, true, $args),
            (false, false) => by_width!(@call $body, $n, false, false, $args),
        }
    };
    ($body:ident, $nv:expr, $unit:expr, $whole:expr, $args:tt, [$($n:literal),*],
     $widest:literal) => {
        match $nv.max(1) {
            $($n => by_width!(@flags $body, $n, $unit, $whole, $args),)*
            _ => by_width!(@flags $body, $widest, $unit, $whole, $args),
        }
    };
}

/// Generates the kernel for one element type: `$name(rows, lab, w, d, touched, unit, sums,
/// weights)` writes, for every cluster `c < weights.len()` whose bit is set in `touched`,
/// `sums[c * d..(c + 1) * d]` and `weights[c]`. Callers check `weights.len() <= MAX_K`, `d <=
/// MAX_VECTORS * $lanes`, labels `< weights.len()`, and the CPU's AVX-512F, AVX-512VL and POPCNT.
macro_rules! sums_kernel {
    ($name:ident, $body:ident, $t:ty, $v:ty, $lanes:expr, $mask:ty, $zero:ident, $set1:ident,
     $load:ident, $mload:ident, $mstore:ident, $mul:ident, $add:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma,popcnt")]
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name(
            rows: &[$t],
            lab: &[u32],
            w: &[$t],
            d: usize,
            touched: u64,
            unit: bool,
            sums: &mut [$t],
            weights: &mut [$t],
        ) {
            // Whole-register loads when every row's registers start on 32-byte boundaries:
            // the rows start there and fill whole registers. Masked loads cost more than
            // whole ones on a line boundary, and less than whole ones split across two lines
            // (AMD EPYC Zen 4, 256-row blocks of 20 `f64`: 1.9-2.2 ns per row whole and
            // aligned, 2.8-3.0 masked at any offset, 3.5 whole at 16 bytes past a line).
            let whole = (rows.as_ptr() as usize).is_multiple_of(32) && d.is_multiple_of($lanes);
            // `d <= MAX_VECTORS * $lanes` (the callers' check): the last arm is the widest.
            by_width!(
                $body,
                d.div_ceil($lanes),
                unit,
                whole,
                (rows, lab, w, d, touched, sums, weights),
                [1, 2, 3, 4, 5, 6, 7],
                8
            )
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx2,fma,popcnt")]
        #[inline]
        fn $body<const NV: usize, const UNIT: bool, const WHOLE: bool>(
            rows: &[$t],
            lab: &[u32],
            w: &[$t],
            d: usize,
            touched: u64,
            sums: &mut [$t],
            weights: &mut [$t],
        ) {
            use std::arch::x86_64::*;
            let k = weights.len();
            assert!(
                k <= MAX_K
                    && d <= NV * $lanes
                    && rows.len() == lab.len() * d
                    && w.len() == lab.len()
                    && sums.len() == k * d
                    && (!WHOLE || d == NV * $lanes)
            );
            let by = (k > COMPARE_MAX_K).then(|| ByCluster::new(lab, k));
            let mut bufs = [[0u32; BLOCK_ROWS]; 2];
            // Lanes of register `q` that hold features (`d` may end inside a register).
            let masks: [$mask; NV] = std::array::from_fn(|q| {
                let left = d.saturating_sub(q * $lanes).min($lanes);
                ((1u64 << left) - 1) as $mask
            });
            // Adds row `i` (times its weight) to `acc`, and the weight to `ws`.
            let add_row = |acc: &mut [$v; NV], ws: &mut $t, i: u32| {
                let i = i as usize;
                // `i < lab.len()` (rows are picked from `lab`), so row `i` lies in `rows`
                // (asserted above: `lab.len() * d` values) and `w[i]` exists.
                let x = rows[i * d..].as_ptr();
                let wi = if UNIT { 1.0 } else { w[i] };
                if !UNIT {
                    *ws += wi;
                }
                for (q, a) in acc.iter_mut().enumerate() {
                    // SAFETY: the mask selects the lanes `q * $lanes + l < d` only, all
                    // inside row `i` (masked-off lanes are not read and cannot fault); with
                    // `WHOLE`, `d == NV * $lanes` (asserted), so every lane is inside it.
                    #[allow(unsafe_code)]
                    let v = unsafe {
                        if WHOLE {
                            $load(x.add(q * $lanes))
                        } else {
                            $mload(masks[q], x.add(q * $lanes))
                        }
                    };
                    let v = if UNIT { v } else { $mul(v, $set1(wi)) };
                    *a = $add(*a, v);
                }
            };
            let mut store = |c: usize, acc: [$v; NV], ws: $t| {
                let out = sums[c * d..(c + 1) * d].as_mut_ptr();
                for (q, a) in acc.into_iter().enumerate() {
                    // SAFETY: as for the loads, the mask keeps the stores inside the cluster's
                    // `d` sums.
                    #[allow(unsafe_code)]
                    unsafe {
                        $mstore(out.add(q * $lanes), masks[q], a)
                    };
                }
                weights[c] = ws;
            };
            // Touched clusters two at a time: each cluster's sums are one chain of dependent
            // adds, and two chains side by side keep the adder busy while each waits. Each
            // cluster still adds its own rows in row order.
            let mut clusters = (0..k).filter(|&c| touched & (1u64 << c) != 0);
            while let Some(c1) = clusters.next() {
                let c2 = clusters.next();
                let [b1, b2] = &mut bufs;
                let (r1, r2) = pick_two(by.as_ref(), lab, (c1, c2), b1, b2);
                // Unit weights add up to the count exactly (integers below 2^24).
                let count = |r: &[u32]| if UNIT { r.len() as $t } else { 0.0 };
                let (mut a1, mut w1) = ([$zero(); NV], count(r1));
                let (mut a2, mut w2) = ([$zero(); NV], count(r2));
                let both = r1.len().min(r2.len());
                for (&i1, &i2) in r1[..both].iter().zip(&r2[..both]) {
                    add_row(&mut a1, &mut w1, i1);
                    add_row(&mut a2, &mut w2, i2);
                }
                for &i in &r1[both..] {
                    add_row(&mut a1, &mut w1, i);
                }
                for &i in &r2[both..] {
                    add_row(&mut a2, &mut w2, i);
                }
                store(c1, a1, w1);
                if let Some(c2) = c2 {
                    store(c2, a2, w2);
                }
            }
        }
    };
}

sums_kernel!(
    sums_f64,
    sums_f64_body,
    f64,
    __m256d,
    4,
    u8,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_maskz_loadu_pd,
    _mm256_mask_storeu_pd,
    _mm256_mul_pd,
    _mm256_add_pd
);
sums_kernel!(
    sums_f32,
    sums_f32_body,
    f32,
    __m256,
    8,
    u8,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_maskz_loadu_ps,
    _mm256_mask_storeu_ps,
    _mm256_mul_ps,
    _mm256_add_ps
);

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use cartera_core::CarteraRng;
    use cartera_core::memory::LineAligned;

    /// The general loop: rows in order, `s += x * w` into zeroed sums of touched clusters.
    fn reference<T>(
        rows: &[T],
        lab: &[u32],
        w: &[T],
        d: usize,
        touched: u64,
        k: usize,
    ) -> (Vec<T>, Vec<T>)
    where
        T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    {
        let mut sums = vec![T::default(); k * d];
        let mut weights = vec![T::default(); k];
        for ((x, &l), &wi) in rows.chunks_exact(d).zip(lab).zip(w) {
            let c = l as usize;
            if touched & (1u64 << c) != 0 {
                for (s, &v) in sums[c * d..(c + 1) * d].iter_mut().zip(x) {
                    *s = *s + v * wi;
                }
                weights[c] = weights[c] + wi;
            }
        }
        (sums, weights)
    }

    macro_rules! agrees {
        ($test:ident, $t:ty, $kernel:ident, $lanes:expr) => {
            /// Same bits as the general loop for every width up to eight registers, unit and
            /// other weights, all and some clusters touched, full and short blocks.
            #[test]
            fn $test() {
                if !runs_here() {
                    return;
                }
                let mut rng = CarteraRng::seed_from_u64(17);
                for d in 1..=MAX_VECTORS * $lanes {
                    for (m, k) in [(BLOCK_ROWS, 8), (37, 3), (BLOCK_ROWS, MAX_K), (5, 1)] {
                        for unit in [true, false] {
                            let rows: Vec<$t> = (0..m * d)
                                .map(|_| (rng.uniform() * 20.0 - 10.0) as $t)
                                .collect();
                            let lab: Vec<u32> =
                                (0..m).map(|_| (rng.uniform() * k as f64) as u32).collect();
                            let w: Vec<$t> = (0..m)
                                .map(|_| {
                                    if unit {
                                        1.0
                                    } else {
                                        (0.1 + rng.uniform() * 3.0) as $t
                                    }
                                })
                                .collect();
                            let touched = if m == 37 { 0b101 } else { u64::MAX };
                            let (want_s, want_w) = reference(&rows, &lab, &w, d, touched, k);
                            // From a line boundary (whole loads when `d` fills its registers)
                            // and one value past it (masked loads).
                            let mut aligned = LineAligned::<$t>::zeroed(m * d + 1);
                            aligned[..m * d].copy_from_slice(&rows);
                            let mut shifted = LineAligned::<$t>::zeroed(m * d + 1);
                            shifted[1..].copy_from_slice(&rows);
                            for (at, rows) in [(0, &aligned[..m * d]), (1, &shifted[1..])] {
                                let mut sums = vec![0.0; k * d];
                                let mut weights = vec![0.0; k];
                                // SAFETY: the CPU has AVX-512F, AVX-512VL and POPCNT (checked
                                // above).
                                #[allow(unsafe_code)]
                                unsafe {
                                    $kernel(
                                        rows,
                                        &lab,
                                        &w,
                                        d,
                                        touched,
                                        unit,
                                        &mut sums,
                                        &mut weights,
                                    )
                                };
                                let bits =
                                    |v: &[$t]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                                let case = format!("d {d} m {m} k {k} unit {unit} at {at}");
                                assert_eq!(bits(&sums), bits(&want_s), "{case}");
                                assert_eq!(bits(&weights), bits(&want_w), "{case}");
                            }
                        }
                    }
                }
            }
        };
    }

    agrees!(f64_sums_are_the_general_bits, f64, sums_f64, 4);
    agrees!(f32_sums_are_the_general_bits, f32, sums_f32, 8);
}
