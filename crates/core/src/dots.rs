//! Dot products of many rows with a few fixed vectors: `X · Vᵀ` for a tall `X` and a short `V`.
//!
//! K-Means needs every row's dot product with each of `k` centres, PCA every row's projection
//! on `k` components; in both `k` is small (2 to a few dozen) and `X` has up to millions of rows.
//! A BLAS-style `general_mat_mul` spends more time packing each block of `X` than multiplying
//! it at that shape, so [`DotTable`] lays `V` out once, transposed in register tiles, and
//! multiplies rows straight from the caller's row-major buffer.
//!
//! ```
//! use cartera_core::dots::DotTable;
//!
//! // Two vectors of 3 features, row-major.
//! let v = [1.0, 0.0, 2.0, 0.5, 1.0, -1.0];
//! let table = DotTable::new(&v, 2, 3);
//! let rows = [1.0, 2.0, 3.0, 0.0, 1.0, 0.0];
//! let mut out = [0.0; 4];
//! table.dots(&rows, 3, &mut out);
//! assert_eq!(out, [7.0, -0.5, 0.0, 1.0]);
//! ```

use crate::Float;

/// Whether the CPU running us has AVX2 and FMA (`std` caches the answer after the first call).
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU running us has AVX-512F besides AVX2 and FMA (cached by `std` as above).
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2_fma() && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the CPU runs a 512-bit multiply-add as two 256-bit halves: AMD's Zen 4 (family
/// 0x19 with AVX-512). Kernels whose 512-bit form needs extra shuffles or broadcasts per
/// multiply-add then do better in 256-bit registers, with AVX-512VL's embedded broadcasts.
/// A performance choice only: the kernels that consult it give the same bits either way.
/// Read once (CPUID), then cached.
pub fn splits_512_bit_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static SPLITS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *SPLITS.get_or_init(|| {
            use std::arch::x86_64::__cpuid;
            if !has_avx512() || !std::arch::is_x86_feature_detected!("avx512vl") {
                return false;
            }
            let vendor = __cpuid(0);
            let amd = [vendor.ebx, vendor.edx, vendor.ecx]
                .iter()
                .flat_map(|r| r.to_le_bytes())
                .eq(*b"AuthenticAMD");
            // Family = base family (bits 8-11) + extended family (bits 20-27) when base is 0xF.
            let eax = __cpuid(1).eax;
            let base = (eax >> 8) & 0xF;
            let family = if base == 0xF {
                base + ((eax >> 20) & 0xFF)
            } else {
                base
            };
            amd && family == 0x19
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `k` vectors of `d` features laid out for [`dots`](Self::dots): transposed in register tiles,
/// so the inner loop runs over vectors and vectorises.
#[derive(Debug, Clone)]
pub struct DotTable<F> {
    k: usize,
    /// Vectors per register tile: 32 bytes' worth (4 `f64` or 8 `f32`); with AVX2, 64 bytes'
    /// worth when there are more vectors than one register holds (two 256-bit registers per
    /// row: 8 independent sums keep both FMA units busy).
    tile: usize,
    /// Whether the CPU has AVX2 and FMA (the kernel then runs in its AVX2 build).
    fma: bool,
    /// Whether tiles are one 512-bit register (AVX-512 CPUs, more vectors than a 256-bit
    /// register holds): then the kernel runs in its AVX-512 build.
    zmm: bool,
    /// Tile `t` holds `d x tile` values, entry `j * tile + l` is feature `j` of vector
    /// `t * tile + l` (0 past the last vector).
    tiles: Vec<F>,
}

impl<F: Float> DotTable<F> {
    /// Builds the table from `k` row-major vectors of `d` features (`vectors.len() == k * d`).
    ///
    /// # Panics
    /// If `vectors` holds fewer than `k * d` values (a programming error, not user input).
    pub fn new(vectors: &[F], k: usize, d: usize) -> Self {
        Self::with_fma(vectors, k, d, true, true)
    }

    /// [`new`](Self::new) with the AVX2 + FMA build allowed or not (it is used only when the
    /// CPU has both; tests compare the two builds).
    fn with_fma(vectors: &[F], k: usize, d: usize, allow_fma: bool, allow_zmm: bool) -> Self {
        let fma = allow_fma && has_avx2_fma();
        let lanes = if std::mem::size_of::<F>() == 4 { 8 } else { 4 };
        // A 512-bit register holds twice the lanes: one register per row replaces two
        // 256-bit ones, half the fused multiply-adds for the same sums.
        let zmm = fma && allow_zmm && k > lanes && has_avx512();
        // Two registers per row only pay when there are vectors to fill them (k-means++ scores
        // 2-5 candidates at a time).
        let tile = if fma && k > lanes { 2 * lanes } else { lanes };
        let n_tiles = k.div_ceil(tile);
        let mut tiles = vec![F::zero(); n_tiles * d * tile];
        for c in 0..k {
            let (tt, l) = (c / tile, c % tile);
            for j in 0..d {
                tiles[(tt * d + j) * tile + l] = vectors[c * d + j];
            }
        }
        DotTable {
            k,
            tile,
            fma,
            zmm,
            tiles,
        }
    }

    /// Number of vectors.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Whether [`dots`](Self::dots) runs its AVX2 + FMA build.
    pub fn uses_fma(&self) -> bool {
        self.fma
    }

    /// Dot products of every row of `rows` (`m * d`, row-major) with every vector into `out`
    /// (`m * k`, row-major).
    ///
    /// Register-tiled: 4 rows against a tile of vectors at a time, with fixed-size accumulators
    /// that the compiler keeps in vector registers without spilling. Each `x·v` is summed over
    /// features in order, so the result does not depend on the tiling or on how the caller
    /// splits rows between threads.
    ///
    /// On x86-64 CPUs with AVX2 and FMA (detected at run time, so the same binary runs on older
    /// CPUs) the same loop is compiled for 256-bit registers with fused multiply-adds: about
    /// twice the throughput. Fused products round once instead of twice, so the last bits can
    /// differ between a machine with FMA and one without; on one machine the results stay the
    /// same whatever the thread count.
    #[inline]
    pub fn dots(&self, rows: &[F], d: usize, out: &mut [F]) {
        // `dots_with` falls back to the portable build itself when the CPU lacks AVX2 + FMA.
        self.dots_with::<true>(rows, d, out);
    }

    /// [`dots`](Self::dots) with the build chosen by the caller: `FMA` asks for the AVX2 + FMA
    /// kernels, used only if the CPU has them. A caller that is itself compiled for AVX2 + FMA
    /// (a `#[target_feature]` function) passes `true` and gets the loop inlined into its own
    /// build; `false` forces the portable loop.
    #[inline(always)]
    pub fn dots_with<const FMA: bool>(&self, rows: &[F], d: usize, out: &mut [F]) {
        if d == 0 {
            out.fill(F::zero());
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if FMA && self.zmm {
            // SAFETY: `self.zmm` is true only when the CPU reported AVX-512F, AVX2 and FMA.
            #[allow(unsafe_code)]
            unsafe {
                self.dots_avx512(rows, d, out);
            }
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if FMA && self.fma {
            // SAFETY: `self.fma` is true only when the CPU reported AVX2 and FMA (see
            // `with_fma`), which is all `dots_avx` requires.
            #[allow(unsafe_code)]
            unsafe {
                // Tile widths are whole registers: one or two per row.
                let lanes = 32 / std::mem::size_of::<F>();
                self.dots_avx(self.tile == 2 * lanes, rows, d, out);
            }
            return;
        }
        match self.tile {
            8 => self.dots_tiled::<8>(rows, d, out),
            _ => self.dots_tiled::<4>(rows, d, out),
        }
    }

    /// The AVX2 kernels, written with explicit intrinsics (module `avx`): `wide` selects two
    /// registers of vectors by 4 rows (16 `f32` or 8 `f64` vectors), otherwise one register by
    /// 8 rows (8 independent sums, where a generic 4-row loop left one of the two FMA units
    /// waiting on the previous sum). Written generically, the wide shape compiled to scalar
    /// fused multiply-adds with about 400 stack spills for `f32` in the release build, which
    /// made f32 k-means++ with many candidates 3x slower than f64. Each product is still
    /// summed over features in order, one fused multiply-add per feature, so the results are
    /// bit for bit the in-order fused sums (tested for every shape).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn dots_avx(&self, wide: bool, rows: &[F], d: usize, out: &mut [F]) {
        use std::any::TypeId;
        if TypeId::of::<F>() == TypeId::of::<f32>() {
            // SAFETY: `F` is `f32` (same TypeId), so the slices are reinterpreted as themselves.
            #[allow(unsafe_code)]
            let (t, x, o) = unsafe { (cast::<F, f32>(&self.tiles), cast(rows), cast_mut(out)) };
            if wide {
                avx::wide_f32(t, self.k, x, d, o);
            } else {
                avx::tall_f32(t, self.k, x, d, o);
            }
        } else {
            // SAFETY: `Float` is implemented only for `f32` and `f64`, and `F` is not `f32`.
            #[allow(unsafe_code)]
            let (t, x, o) = unsafe { (cast::<F, f64>(&self.tiles), cast(rows), cast_mut(out)) };
            if wide {
                avx::wide_f64(t, self.k, x, d, o);
            } else {
                avx::tall_f64(t, self.k, x, d, o);
            }
        }
    }

    /// The AVX-512 kernels: one 512-bit register of vectors (8 `f64` or 16 `f32`) by 8 rows,
    /// each product summed over features in order with one fused multiply-add per feature,
    /// so the sums are the same bits as the AVX2 kernels'.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn dots_avx512(&self, rows: &[F], d: usize, out: &mut [F]) {
        use std::any::TypeId;
        if TypeId::of::<F>() == TypeId::of::<f32>() {
            // SAFETY: `F` is `f32` (same TypeId), so the slices are reinterpreted as themselves.
            #[allow(unsafe_code)]
            let (t, x, o) = unsafe { (cast::<F, f32>(&self.tiles), cast(rows), cast_mut(out)) };
            avx512::tall_f32(t, self.k, x, d, o);
        } else {
            // SAFETY: `Float` is implemented only for `f32` and `f64`, and `F` is not `f32`.
            #[allow(unsafe_code)]
            let (t, x, o) = unsafe { (cast::<F, f64>(&self.tiles), cast(rows), cast_mut(out)) };
            avx512::tall_f64(t, self.k, x, d, o);
        }
    }

    /// The portable tiled kernel (CPUs without AVX2 + FMA): 4 rows against a tile of `W`
    /// vectors at a time, separate multiply and add. The four rows are walked by four zipped
    /// iterators, which compiles to packed SSE2 arithmetic without bounds checks (taller
    /// groups, or indexing the rows, fell back to scalar code with spills).
    #[inline(always)]
    fn dots_tiled<const W: usize>(&self, rows: &[F], d: usize, out: &mut [F]) {
        let k = self.k;
        let madd = |acc: F, a: F, b: F| acc + a * b;
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
                    store(&mut out[(r + rr) * k + c0..], acc, width);
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
                store(&mut out[r * k + c0..], &a, width);
                r += 1;
            }
        }
    }
}

/// `&[A]` as `&[B]`.
///
/// # Safety
/// `A` and `B` must be the same type.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
unsafe fn cast<A, B>(s: &[A]) -> &[B] {
    // SAFETY: the caller guarantees `A == B`, so layout, length and lifetime carry over.
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<B>(), s.len()) }
}

/// `&mut [A]` as `&mut [B]`.
///
/// # Safety
/// `A` and `B` must be the same type.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
unsafe fn cast_mut<A, B>(s: &mut [A]) -> &mut [B] {
    // SAFETY: as in `cast`.
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast::<B>(), s.len()) }
}

/// Asks the CPU to start loading `rows[from..from + len]` into L1 (nothing past the end of
/// `rows`). The AVX2 and AVX-512 kernels (here and in K-Means) call it for the rows 16 ahead of
/// the ones they multiply: on the 2-core VMs we measure on, the hardware prefetcher alone
/// left the fused multiply-adds waiting on row loads (K-Means on 371,589 x 28 standard-scaled telco: 3.39 s without,
/// 2.84 s with, medians of 3 alternating runs).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn prefetch_rows<T>(rows: &[T], from: usize, len: usize) {
    use std::arch::x86_64::_MM_HINT_T0;
    if let Some(ahead) = rows.get(from..from.saturating_add(len)) {
        prefetch_lines::<_MM_HINT_T0>(ahead.as_ptr().cast(), std::mem::size_of_val(ahead));
    }
}

/// Asks the CPU to start loading into L2 the `len` values that start `from` values past
/// `rows`' start, also past its end. K-Means gives its kernels one block of a buffer that holds
/// the blocks one after the other, so the values past a block are the next block's, which the
/// thread most often takes next. With the table in memory (371,589 x 20 `f64`, past the L3),
/// the kernel otherwise computed and waited for memory in turn: one thread took 17.8 ns per row
/// against 12.8 with the table in L3; with these requests 128 rows ahead, 14.4 (AMD EPYC,
/// 2026-12-03). The address is only computed (`wrapping_add`) and prefetched, never read.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn prefetch_past<T>(rows: &[T], from: usize, len: usize) {
    use std::arch::x86_64::_MM_HINT_T1;
    let p = rows.as_ptr().wrapping_add(from).cast();
    prefetch_lines::<_MM_HINT_T1>(p, len * std::mem::size_of::<T>());
}

/// One prefetch (hint `HINT`) per 64-byte line of the `bytes` bytes from `p`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn prefetch_lines<const HINT: i32>(p: *const i8, bytes: usize) {
    for off in (0..bytes).step_by(64) {
        // SAFETY: a prefetch hint has no architectural effect and never faults, whatever the
        // address (`wrapping_add` only computes it).
        #[allow(unsafe_code)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<HINT>(p.wrapping_add(off))
        };
    }
}

/// Generates the one-register kernel `$name(tiles, k, rows, d, out)` of a build (`$features`):
/// `H` rows at a time against a tile of `$lanes` vectors, `H` independent accumulators; the
/// last rows one at a time. `$put(out, acc, width)` writes the first `width` sums of a row.
/// Each row's offset from its group's start is kept in its own register: the compiler
/// otherwise walked from row to row adding `d` each time, a chain of 8 dependent adds per
/// feature that bounded the loop.
#[cfg(target_arch = "x86_64")]
macro_rules! tall {
    ($name:ident, $features:literal, $t:ty, $v:ty, $lanes:expr, $zero:ident, $set1:ident,
     $load:ident, $put:ident, $fmadd:ident) => {
        #[target_feature(enable = $features)]
        pub(super) fn $name(tiles: &[$t], k: usize, rows: &[$t], d: usize, out: &mut [$t]) {
            const W: usize = $lanes;
            const H: usize = 8;
            let load = |s: &[$t; W]| -> $v {
                // SAFETY: `s` holds `$lanes` values; an unaligned load.
                #[allow(unsafe_code)]
                unsafe {
                    $load(s.as_ptr())
                }
            };
            let offs: [usize; H] = std::hint::black_box(std::array::from_fn(|h| h * d));
            for (ch, t) in tiles.chunks_exact(W * d).enumerate() {
                let c0 = ch * W;
                let width = (k - c0).min(W);
                let mut groups = rows.chunks_exact(H * d);
                let mut r = 0;
                for group in groups.by_ref() {
                    super::prefetch_rows(rows, (r + AHEAD) * d, H * d);
                    let mut a = [$zero(); H];
                    let g = group.as_ptr();
                    for (j, tj) in t.chunks_exact(W).enumerate() {
                        // The chunk has exactly `W` values (chunks_exact).
                        let tv = load(tj.try_into().expect("chunk of W"));
                        for (acc, &o) in a.iter_mut().zip(&offs) {
                            // SAFETY: `t` holds `W * d` values, so `j < d`, and `group` holds
                            // `H * d` (chunks_exact), so `o + j < H * d`. Checked indexing
                            // cost 7 compares per feature in the f64 build.
                            #[allow(unsafe_code)]
                            let v = unsafe { *g.add(o + j) };
                            *acc = $fmadd($set1(v), tv, *acc);
                        }
                    }
                    for (h, acc) in a.into_iter().enumerate() {
                        $put(&mut out[(r + h) * k + c0..], acc, width);
                    }
                    r += H;
                }
                for x in groups.remainder().chunks_exact(d) {
                    let mut acc = $zero();
                    for (tj, &v) in t.chunks_exact(W).zip(x) {
                        acc = $fmadd($set1(v), load(tj.try_into().expect("chunk of W")), acc);
                    }
                    $put(&mut out[r * k + c0..], acc, width);
                    r += 1;
                }
            }
        }
    };
}

/// The AVX2 kernels, one per shape and element type (`DotTable::dots_avx`).
#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// Rows ahead of the current group whose cache lines are prefetched.
    const AHEAD: usize = 16;

    /// Generates `$name(tiles, k, rows, d, out)`: 4 rows at a time against tiles of
    /// `2 * $lanes` vectors, 8 independent accumulators (enough to keep both FMA units busy).
    /// Loads go through `chunks_exact` slices of known length, so they are bounds-checked
    /// once per feature and never read past the table or the rows.
    macro_rules! wide {
        ($name:ident, $t:ty, $v:ty, $lanes:expr, $zero:ident, $set1:ident, $load:ident, $store:ident, $fmadd:ident) => {
            #[target_feature(enable = "avx2,fma")]
            pub(super) fn $name(tiles: &[$t], k: usize, rows: &[$t], d: usize, out: &mut [$t]) {
                const W: usize = 2 * $lanes;
                let load = |s: &[$t; W]| -> ($v, $v) {
                    // SAFETY: `s` holds `2 * $lanes` values; unaligned loads of the two halves.
                    #[allow(unsafe_code)]
                    unsafe {
                        ($load(s.as_ptr()), $load(s.as_ptr().add($lanes)))
                    }
                };
                // Writes the first `width` sums of a row to `o`. A full tile is two register
                // stores; going through a buffer and a slice copy instead compiled to a call to
                // `memcpy` (with a `vzeroupper`) per row, a fifth of a K-Means fit in f64.
                let put = |o: &mut [$t], a: ($v, $v), width: usize| {
                    if width == W && o.len() >= W {
                        // SAFETY: `o` holds at least `2 * $lanes` values (checked just above).
                        #[allow(unsafe_code)]
                        unsafe {
                            $store(o.as_mut_ptr(), a.0);
                            $store(o.as_mut_ptr().add($lanes), a.1);
                        }
                        return;
                    }
                    let mut buf = [0.0; W];
                    // SAFETY: `buf` holds `2 * $lanes` values; unaligned stores of two halves.
                    #[allow(unsafe_code)]
                    unsafe {
                        $store(buf.as_mut_ptr(), a.0);
                        $store(buf.as_mut_ptr().add($lanes), a.1);
                    }
                    super::store(o, &buf, width);
                };
                for (ch, t) in tiles.chunks_exact(W * d).enumerate() {
                    let c0 = ch * W;
                    let width = (k - c0).min(W);
                    let mut quads = rows.chunks_exact(4 * d);
                    let mut r = 0;
                    for quad in quads.by_ref() {
                        super::prefetch_rows(rows, (r + AHEAD) * d, 4 * d);
                        let (x0, rest) = quad.split_at(d);
                        let (x1, rest) = rest.split_at(d);
                        let (x2, x3) = rest.split_at(d);
                        let mut a = [($zero(), $zero()); 4];
                        for ((((tj, &v0), &v1), &v2), &v3) in
                            t.chunks_exact(W).zip(x0).zip(x1).zip(x2).zip(x3)
                        {
                            // The chunk has exactly `W` values (chunks_exact).
                            let (t0, t1) = load(tj.try_into().expect("chunk of W"));
                            for (acc, v) in a.iter_mut().zip([v0, v1, v2, v3]) {
                                let b = $set1(v);
                                *acc = ($fmadd(b, t0, acc.0), $fmadd(b, t1, acc.1));
                            }
                        }
                        for (rr, acc) in a.into_iter().enumerate() {
                            put(&mut out[(r + rr) * k + c0..], acc, width);
                        }
                        r += 4;
                    }
                    for x in quads.remainder().chunks_exact(d) {
                        let mut acc = ($zero(), $zero());
                        for (tj, &v) in t.chunks_exact(W).zip(x) {
                            let (t0, t1) = load(tj.try_into().expect("chunk of W"));
                            let b = $set1(v);
                            acc = ($fmadd(b, t0, acc.0), $fmadd(b, t1, acc.1));
                        }
                        put(&mut out[r * k + c0..], acc, width);
                        r += 1;
                    }
                }
            }
        };
    }

    /// Generates `$name(o, a, width)`: the first `width` sums of a 256-bit register into `o`.
    /// A full tile is one register store; going through a buffer and a slice copy compiled to a
    /// call to `memcpy` (with a `vzeroupper`) per row.
    macro_rules! put {
        ($name:ident, $t:ty, $v:ty, $lanes:expr, $store:ident) => {
            #[target_feature(enable = "avx2,fma")]
            #[inline]
            fn $name(o: &mut [$t], a: $v, width: usize) {
                if width == $lanes && o.len() >= $lanes {
                    // SAFETY: `o` holds at least `$lanes` values (checked just above).
                    #[allow(unsafe_code)]
                    unsafe {
                        $store(o.as_mut_ptr(), a)
                    };
                    return;
                }
                let mut buf = [0.0; $lanes];
                // SAFETY: `buf` holds `$lanes` values; an unaligned store.
                #[allow(unsafe_code)]
                unsafe {
                    $store(buf.as_mut_ptr(), a)
                };
                super::store(o, &buf, width);
            }
        };
    }

    put!(put_f32, f32, __m256, 8, _mm256_storeu_ps);
    put!(put_f64, f64, __m256d, 4, _mm256_storeu_pd);
    tall!(
        tall_f32,
        "avx2,fma",
        f32,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        put_f32,
        _mm256_fmadd_ps
    );
    tall!(
        tall_f64,
        "avx2,fma",
        f64,
        __m256d,
        4,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        put_f64,
        _mm256_fmadd_pd
    );
    wide!(
        wide_f32,
        f32,
        __m256,
        8,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_fmadd_ps
    );
    wide!(
        wide_f64,
        f64,
        __m256d,
        4,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_fmadd_pd
    );
}

/// The AVX-512 kernel (`DotTable::dots_avx512`): the AVX2 `tall` shape with 512-bit registers.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Rows ahead of the current group whose cache lines are prefetched.
    const AHEAD: usize = 16;

    /// Generates `$name(o, a, width)`: the first `width` sums of a 512-bit register into `o`,
    /// with a masked store for a ragged tile.
    macro_rules! put {
        ($name:ident, $t:ty, $v:ty, $lanes:expr, $store:ident, $mstore:ident) => {
            #[target_feature(enable = "avx512f,avx2,fma")]
            #[inline]
            fn $name(o: &mut [$t], a: $v, width: usize) {
                let o = &mut o[..width];
                if width == $lanes {
                    // SAFETY: `o` holds `$lanes` values.
                    #[allow(unsafe_code)]
                    unsafe {
                        $store(o.as_mut_ptr(), a)
                    };
                } else {
                    // SAFETY: the mask has the low `width` bits, and `o` holds `width` values:
                    // only those lanes are written.
                    #[allow(unsafe_code)]
                    unsafe {
                        $mstore(o.as_mut_ptr(), ((1u32 << width) - 1) as _, a)
                    };
                }
            }
        };
    }

    put!(
        put_f32,
        f32,
        __m512,
        16,
        _mm512_storeu_ps,
        _mm512_mask_storeu_ps
    );
    put!(
        put_f64,
        f64,
        __m512d,
        8,
        _mm512_storeu_pd,
        _mm512_mask_storeu_pd
    );
    tall!(
        tall_f32,
        "avx512f,avx2,fma",
        f32,
        __m512,
        16,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        put_f32,
        _mm512_fmadd_ps
    );
    tall!(
        tall_f64,
        "avx512f,avx2,fma",
        f64,
        __m512d,
        8,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        put_f64,
        _mm512_fmadd_pd
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CarteraRng;

    /// The AVX2 + FMA build and the portable build compute the same dot products up to the
    /// rounding of fused products, for every tile width and a ragged last tile and quad.
    fn builds_agree<F: Float>(tol: f64) {
        let mut rng = CarteraRng::seed_from_u64(7);
        for (m, k, d) in [(13, 3, 5), (9, 8, 20), (31, 11, 7), (4, 17, 1), (6, 5, 33)] {
            let rows: Vec<F> = (0..m * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let vectors: Vec<F> = (0..k * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let mut fast = vec![F::zero(); m * k];
            let mut plain = vec![F::zero(); m * k];
            DotTable::with_fma(&vectors, k, d, true, true).dots(&rows, d, &mut fast);
            DotTable::with_fma(&vectors, k, d, false, false).dots(&rows, d, &mut plain);
            for i in 0..m {
                for c in 0..k {
                    let exact: f64 = (0..d)
                        .map(|j| rows[i * d + j].as_f64() * vectors[c * d + j].as_f64())
                        .sum();
                    let scale = d as f64 * 4.0;
                    for got in [fast[i * k + c], plain[i * k + c]] {
                        assert!(
                            (got.as_f64() - exact).abs() <= tol * scale,
                            "row {i} vector {c} (m {m} k {k} d {d}): {got} vs {exact}"
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

    /// With AVX2 + FMA, every tile shape (one and two registers per row, full and ragged
    /// tiles, whole quads of rows and the remainder) gives exactly the in-order fused sum.
    fn fused_build_is_the_in_order_fused_sum<F: Float>() {
        if !has_avx2_fma() {
            return;
        }
        let mut rng = CarteraRng::seed_from_u64(11);
        for (m, k, d) in [
            (9, 3, 6),
            (7, 8, 20),
            (10, 9, 5),
            (13, 16, 7),
            (6, 21, 3),
            (5, 40, 11),
        ] {
            let rows: Vec<F> = (0..m * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let vectors: Vec<F> = (0..k * d)
                .map(|_| F::cast_from_f64(rng.uniform() * 4.0 - 2.0))
                .collect();
            let mut out = vec![F::zero(); m * k];
            DotTable::new(&vectors, k, d).dots(&rows, d, &mut out);
            for i in 0..m {
                for c in 0..k {
                    let want = (0..d).fold(F::zero(), |acc, j| {
                        num_traits::Float::mul_add(rows[i * d + j], vectors[c * d + j], acc)
                    });
                    assert_eq!(
                        out[i * k + c],
                        want,
                        "row {i} vector {c} (m {m} k {k} d {d})"
                    );
                }
            }
        }
    }

    #[test]
    fn fused_build_is_exact_f64() {
        fused_build_is_the_in_order_fused_sum::<f64>();
    }

    #[test]
    fn fused_build_is_exact_f32() {
        fused_build_is_the_in_order_fused_sum::<f32>();
    }

    #[test]
    fn zero_features_give_zero_dots() {
        let t = DotTable::<f64>::new(&[], 3, 0);
        let mut out = [1.0; 6];
        t.dots(&[], 0, &mut out);
        assert_eq!(out, [0.0; 6]);
    }
}
