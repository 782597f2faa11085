//! The E-step's nearest-centre kernels for up to 8 centres (and, in `f64` with AVX-512, 9 to
//! 16 through [`Nearest16`]): dot products, distances and arg-min of 8 rows at a time without
//! leaving the registers.
//!
//! The general path ([`CentreTable::dots`](crate::kernel::CentreTable::dots) then an arg-min
//! per row) writes every row's dot products to memory and reads them back, and its arg-min runs
//! along one row at a time, a chain of compares across the centres. Here 8 rows' dot products
//! stay in 8 registers (one register holds a row's 8 centres: 512 bits of `f64` with AVX-512,
//! 256 bits of `f32` with AVX2), become distances there, and an 8 x 8 transpose turns them
//! into one register per centre holding the 8 rows. The arg-min is then 8 vertical compares,
//! each deciding 8 rows at once. With AVX-512, `f32` goes 16 rows at a time and two features
//! per multiply-add (`NearestTable::<f32>::assign_avx512`), so that it does half the `f64`
//! kernel's multiply-adds per row rather than as many. [`Nearest16`] keeps two registers per
//! row (16 centres) and transposes each half.
//!
//! The `f64` kernels (8 and 16 centres) and the AVX2 kernel do the general path's arithmetic,
//! operation for operation: each dot product is the in-order fused sum over features, the
//! distance is `‖c‖² − (x·c + x·c)`, and the compare is "strictly less" against a running best
//! that starts at `+∞`, centre by centre in order. So the labels are the same, ties (first
//! centre wins) and NaN distances (never chosen) included; a test compares them on data built
//! to tie. The `f32` AVX-512 kernel sums the even and the odd features apart (each in order,
//! fused) and adds the two sums: the same compare, but its distances can differ from the
//! general path's in the last bits, so a near-tie may go the other way. It is deterministic
//! all the same (the sum depends on the row and the centres only, never on the block or the
//! thread), and a test checks its distances bit for bit against the scalar
//! [`NearestTable::paired_sums`]. On a CPU that splits 512-bit multiply-adds in two (AMD Zen
//! 4), the same paired sums come from 256-bit registers instead
//! ([`NearestTable::assign_narrow`]: even and odd features in two chains per row, broadcasts
//! folded into the multiply-adds), also tested bit for bit, so the labels do not depend on
//! which of the two a CPU runs.

use cartera_core::Float;
#[cfg(target_arch = "x86_64")]
use cartera_core::dots::{prefetch_past, prefetch_rows};
use cartera_core::memory::LineAligned;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Centres per register: the kernel handles `k <= LANES`.
pub(crate) const LANES: usize = 8;

/// Rows per group: one register of dot products each.
const H: usize = 8;

/// Rows ahead of the current group whose cache lines are prefetched (as the dot kernels).
#[cfg(target_arch = "x86_64")]
const AHEAD: usize = 16;

/// Rows ahead of the current group whose cache lines are requested into L2, past the block's
/// end ([`prefetch_past`]).
#[cfg(target_arch = "x86_64")]
const FAR: usize = 128;

/// Centres laid out for the kernel: `d x LANES` values, entry `j * LANES + c` is feature `j` of
/// centre `c` (0 past the last centre), and the squared norms (`+∞` past the last centre, so
/// padding is never nearer than a real centre). Both layouts start a cache line, so that a
/// register's worth of centres (64 bytes of `f64`) is one line, never two.
#[derive(Debug, Clone)]
pub(crate) struct NearestTable<F> {
    tab: LineAligned<F>,
    norms: [F; LANES],
    /// The `f32` AVX-512 kernel's layout, two features per register: `ceil(d / 2) x 2 LANES`
    /// values, entry `m * 2 LANES + 2c + t` is feature `2m + t` of centre `c` (0 past the last
    /// feature or centre). Empty unless that kernel runs (`f32` on a CPU with AVX-512F): see
    /// [`Self::pairs`].
    tab2: LineAligned<F>,
    /// Whether the `f32` AVX-512 distances come from [`NearestTable::assign_narrow`] (the
    /// same bits in 256-bit registers) rather than the 512-bit paired kernel: on CPUs that
    /// split 512-bit multiply-adds ([`cartera_core::dots::splits_512_bit_fma`]).
    narrow: bool,
}

/// What one call did to a block's labels: how many changed, and the clusters that gained or
/// lost a row (bits of [`cluster_bit`](crate::kernel::cluster_bit)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Moves {
    pub changed: usize,
    pub touched: u64,
}

impl Moves {
    /// Records the rows whose bits are set in `diff` (of a group of `N`) as moved from `old[h]`
    /// to `new()[h]`. Once every cluster is marked (a row without a previous label marks them
    /// all: the first E-step of a run), only the count is kept up, and `new()`, which spells
    /// the new labels out of a register, is not called.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn record_rows<const N: usize>(
        &mut self,
        mut diff: u32,
        old: &[u32; N],
        new: impl FnOnce() -> [u32; N],
    ) {
        self.changed += diff.count_ones() as usize;
        if self.touched == u64::MAX {
            return;
        }
        let new = new();
        while diff != 0 && self.touched != u64::MAX {
            let h = diff.trailing_zeros() as usize;
            self.touched |= crate::kernel::cluster_bit(old[h]) | crate::kernel::cluster_bit(new[h]);
            diff &= diff - 1;
        }
    }

    /// Records that a row went from cluster `old` to `new` (a different one).
    #[inline(always)]
    pub(crate) fn record(&mut self, old: u32, new: u32) {
        self.changed += 1;
        self.touched |= crate::kernel::cluster_bit(old) | crate::kernel::cluster_bit(new);
    }

    /// Sets a row's label `l` to `new`, recording the move when it changes.
    #[inline(always)]
    pub(crate) fn update(&mut self, l: &mut u32, new: u32) {
        if *l != new {
            self.record(*l, new);
            *l = new;
        }
    }
}

impl<F: Float> NearestTable<F> {
    /// Lays out `k <= LANES` row-major centres of `d` features with their squared norms.
    ///
    /// # Panics
    /// If `k > LANES`, `d == 0` (the kernels walk rows in chunks of `d`) or the slices are
    /// shorter than `k * d` and `k` (programming errors: fits reject empty data first).
    pub(crate) fn new(centres: &[F], norms: &[F], k: usize, d: usize) -> Self {
        assert!(k <= LANES && d > 0 && norms.len() == k && centres.len() >= k * d);
        let mut tab = LineAligned::<F>::zeroed(d * LANES);
        for c in 0..k {
            for j in 0..d {
                tab[j * LANES + c] = centres[c * d + j];
            }
        }
        let mut n = [F::infinity(); LANES];
        n[..k].copy_from_slice(norms);
        let pairs = std::mem::size_of::<F>() == 4 && cartera_core::dots::has_avx512();
        let mut tab2 = LineAligned::from_vec(Vec::new());
        if pairs {
            tab2 = LineAligned::zeroed(d.div_ceil(2) * 2 * LANES);
            for c in 0..k {
                for j in 0..d {
                    tab2[(j / 2) * 2 * LANES + 2 * c + j % 2] = centres[c * d + j];
                }
            }
        }
        NearestTable {
            tab,
            norms: n,
            tab2,
            narrow: pairs && cartera_core::dots::splits_512_bit_fma(),
        }
    }

    /// Whether the table has the two-features-per-register layout, so that the `f32` AVX-512
    /// kernel runs (decided once, when the table is built on this CPU).
    #[inline]
    pub(crate) fn pairs(&self) -> bool {
        !self.tab2.is_empty()
    }

    /// Whether the paired (`f32` AVX-512) distances run in 256-bit registers on this CPU
    /// ([`NearestTable::assign_narrow`]); decided when the table is built.
    #[inline]
    pub(crate) fn narrow(&self) -> bool {
        self.narrow
    }

    /// The rows that do not fill a group: the same operations one row at a time (fused
    /// multiply-adds in feature order, then the strict compare from `+∞`).
    #[inline(always)]
    fn rest(&self, rows: &[F], d: usize, lab: &mut [u32], moves: &mut Moves) {
        for (x, l) in rows.chunks_exact(d).zip(lab.iter_mut()) {
            let best = first_nearest(LANES, |c| {
                let mut a = F::zero();
                for (j, &v) in x.iter().enumerate() {
                    a = v.mul_add(self.tab[j * LANES + c], a);
                }
                self.norms[c] - (a + a)
            });
            moves.update(l, best);
        }
    }
}

/// The first of the `lanes` centres strictly nearer than every earlier one, from `+∞`: the
/// scalar arg-min every kernel's vector compare reproduces (ties: the first; NaN: never).
#[inline(always)]
fn first_nearest<F: Float>(lanes: usize, dist: impl Fn(usize) -> F) -> u32 {
    let mut best = 0u32;
    let mut best_d = F::infinity();
    for c in 0..lanes {
        let dc = dist(c);
        if dc < best_d {
            best = c as u32;
            best_d = dc;
        }
    }
    best
}

/// Compares 8 new labels with the old ones, records and writes the changes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn update_labels(new: __m256i, lab: &mut [u32; H], moves: &mut Moves) {
    // SAFETY: `lab` holds 8 `u32`, one unaligned 256-bit load.
    #[allow(unsafe_code)]
    let old = unsafe { _mm256_loadu_si256(lab.as_ptr().cast()) };
    let same = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(old, new))) as u32;
    let diff = !same & 0xff;
    if diff == 0 {
        return;
    }
    moves.record_rows(diff, lab, || {
        let mut fresh = [0u32; H];
        // SAFETY: `fresh` holds 8 `u32`, one unaligned 256-bit store.
        #[allow(unsafe_code)]
        unsafe {
            _mm256_storeu_si256(fresh.as_mut_ptr().cast(), new)
        };
        fresh
    });
    // SAFETY: `lab` holds 8 `u32`, one unaligned 256-bit store.
    #[allow(unsafe_code)]
    unsafe {
        _mm256_storeu_si256(lab.as_mut_ptr().cast(), new)
    };
}

/// The group loop of every nearest-centre kernel: `group(g, offs, lab)` for each whole group
/// of `G` rows of `rows` (`d` values each; row `h` of the first 8 at `g + offs[h]`, the next 8
/// at the same offsets from row 8) with the group's labels, after requesting the rows 16 rows
/// ahead into L1 and 128 rows ahead into L2 (past the block's end). Returns the rows and labels
/// that do not fill a group.
///
/// The offsets sit in registers of their own (`black_box` keeps the compiler from walking
/// from row to row with a chain of dependent adds). Inlined into each kernel, whose
/// `target_feature` the closure inherits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn for_groups<'a, T, const G: usize>(
    rows: &'a [T],
    d: usize,
    lab: &'a mut [u32],
    mut group: impl FnMut(*const T, &[usize; H], &mut [u32; G]),
) -> (&'a [T], &'a mut [u32]) {
    let offs: [usize; H] = std::hint::black_box(std::array::from_fn(|h| h * d));
    let mut groups = rows.chunks_exact(G * d);
    let mut labs = lab.chunks_exact_mut(G);
    let mut r = 0;
    for (g, l) in groups.by_ref().zip(labs.by_ref()) {
        prefetch_rows(rows, (r + AHEAD) * d, G * d);
        prefetch_past(rows, (r + FAR) * d, G * d);
        group(g.as_ptr(), &offs, l.try_into().expect("chunks of G labels"));
        r += G;
    }
    (groups.remainder(), labs.into_remainder())
}

/// Generates the 8-row kernel `$name(rows, d, lab) -> Moves` for one element type: the dot
/// products of 8 rows against one register of centres (one fused multiply-add per feature, in
/// order), the distances `‖c‖² − (a + a)`, the 8 x 8 `$transpose`, then `$pick` (the first
/// strictly nearest centre of each of the 8 rows, as eight 32-bit lanes) and the labels'
/// update. The last rows that do not fill a group go through `rest`.
macro_rules! eight_rows {
    ($(#[$doc:meta])* $name:ident, $features:literal, $t:ty, $zero:ident, $set1:ident,
     $load:ident, $fmadd:ident, $add:ident, $sub:ident, $transpose:ident, $pick:ident) => {
        impl NearestTable<$t> {
            $(#[$doc])*
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = $features)]
            pub(crate) fn $name(&self, rows: &[$t], d: usize, lab: &mut [u32]) -> Moves {
                let mut moves = Moves::default();
                let tab = &self.tab[..d * LANES];
                // SAFETY (all loads below): `norms` holds 8 values; `tab` chunks hold 8.
                #[allow(unsafe_code)]
                let norms = unsafe { $load(self.norms.as_ptr()) };
                let (rest, rest_lab) = for_groups::<$t, H>(rows, d, lab, |g, offs, lab8| {
                    let mut a = [$zero(); H];
                    for (j, tj) in tab.chunks_exact(LANES).enumerate() {
                        #[allow(unsafe_code)]
                        let tv = unsafe { $load(tj.as_ptr()) };
                        for (acc, &o) in a.iter_mut().zip(offs) {
                            // SAFETY: `j < d` (tab holds d chunks) and `o <= 7 d`, so `o + j`
                            // lies in the group (H * d values).
                            #[allow(unsafe_code)]
                            let v = unsafe { *g.add(o + j) };
                            *acc = $fmadd($set1(v), tv, *acc);
                        }
                    }
                    let dist = a.map(|acc| $sub(norms, $add(acc, acc)));
                    update_labels($pick($transpose(dist)), lab8, &mut moves);
                });
                self.rest(rest, d, rest_lab, &mut moves);
                moves
            }
        }
    };
}

eight_rows!(
    /// Nearest centre of every row of `rows` (`lab.len()` rows of `d` features) into `lab`,
    /// with the moves against the labels `lab` held before. AVX-512 build (512-bit registers
    /// of 8 `f64`): the caller checked that the CPU has AVX-512F, AVX2 and FMA.
    assign_avx512,
    "avx512f,avx2,fma",
    f64,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    _mm512_sub_pd,
    transpose_f64,
    pick_f64
);

eight_rows!(
    /// As the `f64` kernel, with 256-bit registers of 8 `f32`: AVX2 build, the caller checked
    /// that the CPU has AVX2 and FMA.
    assign_avx2,
    "avx2,fma",
    f32,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    _mm256_sub_ps,
    transpose_f32,
    pick_f32
);

/// The first centre strictly nearer than every earlier one (starting from `+∞`), for each of
/// the 8 rows of `col` (register `c` holds the rows' distances to centre `c`; 8 centres, or 16
/// for [`Nearest16`]), as 32-bit lanes: the scalar arg-min's answer, ties and NaN included.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
#[inline]
fn pick_f64<const C: usize>(col: [__m512d; C]) -> __m256i {
    let mut best = _mm512_set1_pd(f64::INFINITY);
    let mut idx = _mm512_setzero_si512();
    for (c, &v) in col.iter().enumerate() {
        let m = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(v, best);
        // `min(v, best)` is `v` exactly where `v < best` (`vminpd` returns its second operand
        // on a tie or a NaN), so it is the masked move's result; it waits for `best` only,
        // not for the compare, which shortens the chain from centre to centre.
        best = _mm512_min_pd(v, best);
        idx = _mm512_mask_mov_epi64(idx, m, _mm512_set1_epi64(c as i64));
    }
    _mm512_cvtepi64_epi32(idx)
}

/// [`pick_f64`] for 8 rows of `f32` distances in 256-bit registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn pick_f32(col: [__m256; 8]) -> __m256i {
    let mut best = _mm256_set1_ps(f32::INFINITY);
    let mut idx = _mm256_setzero_ps();
    for (c, &v) in col.iter().enumerate() {
        let m = _mm256_cmp_ps::<_CMP_LT_OQ>(v, best);
        // As in `pick_f64`: `vminps` returns `best` on a tie or a NaN, `v` where `v < best`.
        best = _mm256_min_ps(v, best);
        idx = _mm256_blendv_ps(idx, _mm256_castsi256_ps(_mm256_set1_epi32(c as i32)), m);
    }
    _mm256_castps_si256(idx)
}

/// 8 x 8 transpose of `f64`: `out[c]` lane `h` is `rows[h]` lane `c`. Pairs, then 256-bit
/// halves, then 512-bit halves (24 shuffles).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn transpose_f64(r: [__m512d; 8]) -> [__m512d; 8] {
    // a0 = (r0, r1) at columns 0 2 4 6, a1 at columns 1 3 5 7; the same for rows 2-3, 4-5, 6-7.
    let a = [
        _mm512_unpacklo_pd(r[0], r[1]),
        _mm512_unpackhi_pd(r[0], r[1]),
        _mm512_unpacklo_pd(r[2], r[3]),
        _mm512_unpackhi_pd(r[2], r[3]),
        _mm512_unpacklo_pd(r[4], r[5]),
        _mm512_unpackhi_pd(r[4], r[5]),
        _mm512_unpacklo_pd(r[6], r[7]),
        _mm512_unpackhi_pd(r[6], r[7]),
    ];
    // 128-bit lane i of a0 is column 2i of rows 0-1. Even lanes (columns 0, 4 / 1, 5) and odd
    // lanes (columns 2, 6 / 3, 7) of rows 0-3, then of rows 4-7.
    const EVEN: i32 = 0b10_00_10_00;
    const ODD: i32 = 0b11_01_11_01;
    let b = [
        _mm512_shuffle_f64x2::<EVEN>(a[0], a[2]), // cols 0, 4 of rows 0-1, 2-3
        _mm512_shuffle_f64x2::<ODD>(a[0], a[2]),  // cols 2, 6
        _mm512_shuffle_f64x2::<EVEN>(a[1], a[3]), // cols 1, 5
        _mm512_shuffle_f64x2::<ODD>(a[1], a[3]),  // cols 3, 7
        _mm512_shuffle_f64x2::<EVEN>(a[4], a[6]), // the same for rows 4-7
        _mm512_shuffle_f64x2::<ODD>(a[4], a[6]),
        _mm512_shuffle_f64x2::<EVEN>(a[5], a[7]),
        _mm512_shuffle_f64x2::<ODD>(a[5], a[7]),
    ];
    [
        _mm512_shuffle_f64x2::<EVEN>(b[0], b[4]), // col 0
        _mm512_shuffle_f64x2::<EVEN>(b[2], b[6]), // col 1
        _mm512_shuffle_f64x2::<EVEN>(b[1], b[5]), // col 2
        _mm512_shuffle_f64x2::<EVEN>(b[3], b[7]), // col 3
        _mm512_shuffle_f64x2::<ODD>(b[0], b[4]),  // col 4
        _mm512_shuffle_f64x2::<ODD>(b[2], b[6]),  // col 5
        _mm512_shuffle_f64x2::<ODD>(b[1], b[5]),  // col 6
        _mm512_shuffle_f64x2::<ODD>(b[3], b[7]),  // col 7
    ]
}

impl NearestTable<f32> {
    /// The sums of the `f32` AVX-512 kernel for one row `x` (`d` features): lane `2c` is the
    /// fused in-order sum of `x_j c_j` over the even features `j` of centre `c`, lane `2c + 1`
    /// over the odd ones. The rows that do not fill a group of the kernel go through this, and
    /// the tests take it as the kernel's definition.
    pub(crate) fn paired_sums(&self, x: &[f32], d: usize) -> [f32; 2 * LANES] {
        let mut acc = [0.0f32; 2 * LANES];
        for (m, t) in self.tab2.chunks_exact(2 * LANES).enumerate() {
            for (l, a) in acc.iter_mut().enumerate() {
                let j = 2 * m + l % 2;
                // Past the last feature (odd `d`) the kernel leaves the odd lanes as they are.
                if j < d {
                    *a = x[j].mul_add(t[l], *a);
                }
            }
        }
        acc
    }

    /// The rows that do not fill a group of the AVX-512 kernel: [`Self::paired_sums`], the
    /// distance `‖c‖² − (s + s)` with `s` the even sum plus the odd one, then the strict
    /// compare from `+∞`.
    fn rest_paired(&self, rows: &[f32], d: usize, lab: &mut [u32], moves: &mut Moves) {
        for (x, l) in rows.chunks_exact(d).zip(lab.iter_mut()) {
            let acc = self.paired_sums(x, d);
            let best = first_nearest(LANES, |c| {
                let s = acc[2 * c] + acc[2 * c + 1];
                self.norms[c] - (s + s)
            });
            moves.update(l, best);
        }
    }

    /// The distances of 16 rows to the 8 centres: register `c`, lane `h` is row `h` against
    /// centre `c`, as `‖c‖² − (s + s)` with `s` the sum of the two lanes of
    /// [`Self::paired_sums`].
    ///
    /// One 64-bit broadcast puts a row's features `2m` and `2m + 1` in every lane pair, against
    /// the table's pair `m` of every centre: one multiply-add per two features and row, read
    /// straight from the rows (an earlier version paired two rows instead, which needed the
    /// rows interleaved through memory first, a third of its time). Then 40 shuffles turn the
    /// 16 registers of (centre, even / odd) lanes into 8 registers of rows: the two halves of
    /// each sum side by side and added, then rows 4 at a time, then the 128-bit lanes across
    /// row quadruples.
    ///
    /// # Safety
    /// The CPU has AVX-512F and FMA; `g` points to 16 rows of `d >= 1` readable values, row
    /// `h` at `g + offs[h % 8] + (h / 8) * 8 d`; the table has the paired layout for `d`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    #[allow(unsafe_code)]
    unsafe fn distances16(&self, g: *const f32, d: usize, offs: &[usize; H]) -> [__m512; LANES] {
        let mut a = [_mm512_setzero_ps(); 2 * H];
        // Rows 0-7, then rows 8-15: 8 chains of multiply-adds at a time, each row a base plus
        // its offset (16 chains in one loop ran out of registers: the compiler kept a pointer
        // per row, reloaded from the stack before every broadcast, and spilled accumulators).
        for (half, acc8) in a.chunks_exact_mut(H).enumerate() {
            let base = g.wrapping_add(half * H * d);
            let acc8: &mut [__m512; H] = acc8.try_into().expect("8 accumulators");
            let whole = d / 2;
            for (m, t) in self.tab2.chunks_exact(2 * LANES).take(whole).enumerate() {
                // SAFETY: `t` holds 16 values; `2m + 1 < d`, so each 8-byte read lies in its
                // row.
                unsafe {
                    let tv = _mm512_loadu_ps(t.as_ptr());
                    for (acc, &o) in acc8.iter_mut().zip(offs) {
                        let v = base.add(o + 2 * m).cast::<f64>().read_unaligned();
                        *acc = _mm512_fmadd_ps(_mm512_castpd_ps(_mm512_set1_pd(v)), tv, *acc);
                    }
                }
            }
            if d % 2 == 1 {
                // The last feature goes to the even lanes only: a masked multiply-add leaves
                // the odd ones as they are (multiplying by the table's zero there would turn
                // an infinite value into NaN).
                const EVEN: __mmask16 = 0x5555;
                // SAFETY: the table's last pair exists (`ceil(d / 2)` pairs); `d - 1` is in
                // the row.
                unsafe {
                    let tv = _mm512_loadu_ps(self.tab2.as_ptr().add(whole * 2 * LANES));
                    for (acc, &o) in acc8.iter_mut().zip(offs) {
                        let v = _mm512_set1_ps(*base.add(o + d - 1));
                        *acc = _mm512_mask3_fmadd_ps(v, tv, *acc, EVEN);
                    }
                }
            }
        }
        // Per 128-bit lane L, register h holds (e, o) of centre 2L, then of centre 2L + 1.
        // s[p]: rows 2p and 2p + 1, each with its sums for centres 2L and 2L + 1.
        let s: [__m512; H] = std::array::from_fn(|p| {
            let (x, y) = (a[2 * p], a[2 * p + 1]);
            _mm512_add_ps(
                _mm512_shuffle_ps::<0x88>(x, y),
                _mm512_shuffle_ps::<0xDD>(x, y),
            )
        });
        // Rows 4q .. 4q + 4 against centre 2L (even) and 2L + 1 (odd), per 128-bit lane L.
        let even: [__m512; 4] =
            std::array::from_fn(|q| _mm512_shuffle_ps::<0x88>(s[2 * q], s[2 * q + 1]));
        let odd: [__m512; 4] =
            std::array::from_fn(|q| _mm512_shuffle_ps::<0xDD>(s[2 * q], s[2 * q + 1]));
        let mut col = [_mm512_setzero_ps(); LANES];
        for (first, r) in [(0, even), (1, odd)] {
            let t = [
                _mm512_shuffle_f32x4::<0x44>(r[0], r[1]), // lanes 0, 1 of quads 0, 1
                _mm512_shuffle_f32x4::<0xEE>(r[0], r[1]), // lanes 2, 3
                _mm512_shuffle_f32x4::<0x44>(r[2], r[3]), // the same for quads 2, 3
                _mm512_shuffle_f32x4::<0xEE>(r[2], r[3]),
            ];
            col[first] = _mm512_shuffle_f32x4::<0x88>(t[0], t[2]);
            col[first + 2] = _mm512_shuffle_f32x4::<0xDD>(t[0], t[2]);
            col[first + 4] = _mm512_shuffle_f32x4::<0x88>(t[1], t[3]);
            col[first + 6] = _mm512_shuffle_f32x4::<0xDD>(t[1], t[3]);
        }
        // ‖c‖² − 2s in one rounding, the same bits as ‖c‖² − (s + s) (doubling is exact).
        let two = _mm512_set1_ps(2.0);
        std::array::from_fn(|c| _mm512_fnmadd_ps(col[c], two, _mm512_set1_ps(self.norms[c])))
    }

    /// As the `f64` kernel, 16 rows at a time with 512-bit registers of 16 `f32`, two features
    /// per multiply-add: see [`Self::distances16`]. AVX-512 build: the caller checked
    /// AVX-512F, AVX2 and FMA (the table has the paired layout only then: [`Self::pairs`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(crate) fn assign_avx512(&self, rows: &[f32], d: usize, lab: &mut [u32]) -> Moves {
        let mut moves = Moves::default();
        let (rest, rest_lab) = for_groups::<f32, { 2 * H }>(rows, d, lab, |g, offs, lab16| {
            // SAFETY: the caller checked the CPU; the group holds 16 rows of `d` values, row
            // `h` at `h * d`; the table has the paired layout (the caller's `pairs()`).
            #[allow(unsafe_code)]
            let col = unsafe { self.distances16(g, d, offs) };
            let mut best = _mm512_set1_ps(f32::INFINITY);
            let mut idx = _mm512_setzero_si512();
            for (c, &v) in col.iter().enumerate() {
                let m = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(v, best);
                // As in `pick_f64`: the minimum is the masked move's result.
                best = _mm512_min_ps(v, best);
                idx = _mm512_mask_mov_epi32(idx, m, _mm512_set1_epi32(c as i32));
            }
            update_labels16(idx, lab16, &mut moves);
        });
        self.rest_paired(rest, d, rest_lab, &mut moves);
        moves
    }
}

impl NearestTable<f32> {
    /// The distances of 8 rows to the 8 centres, the `f32` AVX-512 kernel's to the bit (the
    /// sums of [`Self::paired_sums`]), in 256-bit registers: register `h`, lane `c` is row `h`
    /// against centre `c`. Each row's even and odd features run in two chains of multiply-adds
    /// whose broadcasts fold into them (AVX-512VL embedded broadcasts); then the sum of the
    /// two and `‖c‖² − 2s` in one rounding, as in [`Self::distances16`].
    ///
    /// # Safety
    /// The CPU has AVX-512F, AVX-512VL and FMA; `g` points to 8 rows of `d >= 1` readable
    /// values, row `h` at `g + offs[h]`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    #[inline]
    #[allow(unsafe_code)]
    unsafe fn distances8(&self, g: *const f32, d: usize, offs: &[usize; H]) -> [__m256; H] {
        let tab = &self.tab[..d * LANES];
        let mut even = [_mm256_setzero_ps(); H];
        let mut odd = [_mm256_setzero_ps(); H];
        for m in 0..d / 2 {
            // SAFETY: `2m + 1 < d`: both runs of 8 are in `tab` (`d` runs), both features in
            // every row.
            unsafe {
                let te = _mm256_loadu_ps(tab.as_ptr().add(2 * m * LANES));
                let to = _mm256_loadu_ps(tab.as_ptr().add((2 * m + 1) * LANES));
                for ((e, o), &off) in even.iter_mut().zip(odd.iter_mut()).zip(offs) {
                    *e = _mm256_fmadd_ps(_mm256_set1_ps(*g.add(off + 2 * m)), te, *e);
                    *o = _mm256_fmadd_ps(_mm256_set1_ps(*g.add(off + 2 * m + 1)), to, *o);
                }
            }
        }
        if d % 2 == 1 {
            // The last feature joins the even chain, as in the paired layout.
            // SAFETY: feature `d - 1` is in `tab` and in every row.
            unsafe {
                let te = _mm256_loadu_ps(tab.as_ptr().add((d - 1) * LANES));
                for (e, &off) in even.iter_mut().zip(offs) {
                    *e = _mm256_fmadd_ps(_mm256_set1_ps(*g.add(off + d - 1)), te, *e);
                }
            }
        }
        // SAFETY: `norms` holds 8 values.
        let norms = unsafe { _mm256_loadu_ps(self.norms.as_ptr()) };
        let two = _mm256_set1_ps(2.0);
        std::array::from_fn(|h| _mm256_fnmadd_ps(_mm256_add_ps(even[h], odd[h]), two, norms))
    }

    /// [`Self::assign_avx512`]'s labels and moves, the same bits, 8 rows at a time in 256-bit
    /// registers ([`Self::distances8`]), then the `f32` AVX2 kernel's transpose and arg-min.
    ///
    /// For CPUs that split a 512-bit multiply-add in two (AMD Zen 4): there the paired
    /// kernel's 64-bit broadcasts, which cannot fold into a 32-bit multiply-add, took issue
    /// slots of their own, and its 8 chains per pass did not hide the multiply-add's latency.
    /// One thread, 371,589 x 20, k = 8: 4.9-5.4 ns per row against 5.9-7.0 for the E-step.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    pub(crate) fn assign_narrow(&self, rows: &[f32], d: usize, lab: &mut [u32]) -> Moves {
        let mut moves = Moves::default();
        let (rest, rest_lab) = for_groups::<f32, H>(rows, d, lab, |g, offs, lab8| {
            // SAFETY: the caller checked the CPU; the group holds 8 rows of `d` values.
            #[allow(unsafe_code)]
            let dist = unsafe { self.distances8(g, d, offs) };
            update_labels(pick_f32(transpose_f32(dist)), lab8, &mut moves);
        });
        self.rest_paired(rest, d, rest_lab, &mut moves);
        moves
    }
}

/// [`update_labels`] for 16 labels in a 512-bit register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn update_labels16(new: __m512i, lab: &mut [u32; 2 * H], moves: &mut Moves) {
    // SAFETY: `lab` holds 16 `u32`, one unaligned 512-bit load.
    #[allow(unsafe_code)]
    let old = unsafe { _mm512_loadu_si512(lab.as_ptr().cast()) };
    let diff = u32::from(_mm512_cmpneq_epi32_mask(old, new));
    if diff == 0 {
        return;
    }
    moves.record_rows(diff, lab, || {
        let mut fresh = [0u32; 2 * H];
        // SAFETY: `fresh` holds 16 `u32`, one unaligned 512-bit store.
        #[allow(unsafe_code)]
        unsafe {
            _mm512_storeu_si512(fresh.as_mut_ptr().cast(), new)
        };
        fresh
    });
    // SAFETY: `lab` holds 16 `u32`, one unaligned 512-bit store.
    #[allow(unsafe_code)]
    unsafe {
        _mm512_storeu_si512(lab.as_mut_ptr().cast(), new)
    };
}

/// 8 x 8 transpose of `f32` in 256-bit registers: `out[c]` lane `h` is `rows[h]` lane `c`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn transpose_f32(r: [__m256; 8]) -> [__m256; 8] {
    let t = [
        _mm256_unpacklo_ps(r[0], r[1]),
        _mm256_unpackhi_ps(r[0], r[1]),
        _mm256_unpacklo_ps(r[2], r[3]),
        _mm256_unpackhi_ps(r[2], r[3]),
        _mm256_unpacklo_ps(r[4], r[5]),
        _mm256_unpackhi_ps(r[4], r[5]),
        _mm256_unpacklo_ps(r[6], r[7]),
        _mm256_unpackhi_ps(r[6], r[7]),
    ];
    const LO: i32 = 0b01_00_01_00;
    const HI: i32 = 0b11_10_11_10;
    let u = [
        _mm256_shuffle_ps::<LO>(t[0], t[2]), // cols 0, 4 of rows 0-3
        _mm256_shuffle_ps::<HI>(t[0], t[2]), // cols 1, 5
        _mm256_shuffle_ps::<LO>(t[1], t[3]), // cols 2, 6
        _mm256_shuffle_ps::<HI>(t[1], t[3]), // cols 3, 7
        _mm256_shuffle_ps::<LO>(t[4], t[6]), // the same for rows 4-7
        _mm256_shuffle_ps::<HI>(t[4], t[6]),
        _mm256_shuffle_ps::<LO>(t[5], t[7]),
        _mm256_shuffle_ps::<HI>(t[5], t[7]),
    ];
    [
        _mm256_permute2f128_ps::<0x20>(u[0], u[4]),
        _mm256_permute2f128_ps::<0x20>(u[1], u[5]),
        _mm256_permute2f128_ps::<0x20>(u[2], u[6]),
        _mm256_permute2f128_ps::<0x20>(u[3], u[7]),
        _mm256_permute2f128_ps::<0x31>(u[0], u[4]),
        _mm256_permute2f128_ps::<0x31>(u[1], u[5]),
        _mm256_permute2f128_ps::<0x31>(u[2], u[6]),
        _mm256_permute2f128_ps::<0x31>(u[3], u[7]),
    ]
}

/// Centres per [`Nearest16`] table: two registers of 8 `f64`.
pub(crate) const LANES16: usize = 2 * LANES;

/// The `f64` nearest-centre kernel for 9 to 16 centres (AVX-512): the 8-row kernel of
/// [`NearestTable::assign_avx512`] with two registers of centres per feature, so 8 rows keep
/// 16 accumulators, two 8 x 8 transposes, and one arg-min over 16 column registers. The same
/// arithmetic as the general path, operation for operation (in-order fused dot products,
/// `‖c‖² − (a + a)`, the strict compare from `+∞` centre by centre), so the same labels, ties
/// and NaN included (tested against it). Without it, k = 9 to 16 took the general path, which
/// writes every row's dot products to memory and takes an arg-min one row at a time: on the
/// elbow's k = 2..10, k = 9 and 10 cost more than k = 2 to 8 together.
#[derive(Debug, Clone)]
pub(crate) struct Nearest16 {
    /// `d x LANES16` values: entry `j * LANES16 + c` is feature `j` of centre `c` (0 past the
    /// last centre).
    tab: LineAligned<f64>,
    /// `‖c‖²`, `+∞` past the last centre (padding is never nearer than a real centre).
    norms: [f64; LANES16],
}

impl Nearest16 {
    /// Lays out `LANES < k <= LANES16` row-major centres of `d` features with their squared
    /// norms.
    ///
    /// # Panics
    /// If `k` is outside that range, `d == 0`, or the slices are shorter than `k * d` and `k`
    /// (programming errors: [`CentreTable`](crate::kernel::CentreTable) checks first).
    pub(crate) fn new(centres: &[f64], norms: &[f64], k: usize, d: usize) -> Self {
        assert!(k > LANES && k <= LANES16 && d > 0 && norms.len() == k && centres.len() >= k * d);
        let mut tab = LineAligned::<f64>::zeroed(d * LANES16);
        for c in 0..k {
            for j in 0..d {
                tab[j * LANES16 + c] = centres[c * d + j];
            }
        }
        let mut n = [f64::INFINITY; LANES16];
        n[..k].copy_from_slice(norms);
        Nearest16 { tab, norms: n }
    }

    /// The rows that do not fill a group, one at a time with the same operations.
    fn rest(&self, rows: &[f64], d: usize, lab: &mut [u32], moves: &mut Moves) {
        for (x, l) in rows.chunks_exact(d).zip(lab.iter_mut()) {
            let best = first_nearest(LANES16, |c| {
                let mut a = 0.0f64;
                for (j, &v) in x.iter().enumerate() {
                    a = v.mul_add(self.tab[j * LANES16 + c], a);
                }
                self.norms[c] - (a + a)
            });
            moves.update(l, best);
        }
    }

    /// Nearest centre of every row of `rows` (`lab.len()` rows of `d` features) into `lab`,
    /// with the moves against the labels `lab` held before. The caller checked that the CPU
    /// has AVX-512F, AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(crate) fn assign_avx512(&self, rows: &[f64], d: usize, lab: &mut [u32]) -> Moves {
        let mut moves = Moves::default();
        let tab = &self.tab[..d * LANES16];
        // SAFETY: `norms` holds 16 values, two loads of 8.
        #[allow(unsafe_code)]
        let (n_lo, n_hi) = unsafe {
            (
                _mm512_loadu_pd(self.norms.as_ptr()),
                _mm512_loadu_pd(self.norms.as_ptr().add(LANES)),
            )
        };
        let (rest, rest_lab) = for_groups::<f64, H>(rows, d, lab, |g, offs, lab8| {
            let mut lo = [_mm512_setzero_pd(); H];
            let mut hi = [_mm512_setzero_pd(); H];
            for (j, tj) in tab.chunks_exact(LANES16).enumerate() {
                // SAFETY: `tj` holds 16 values, two loads of 8.
                #[allow(unsafe_code)]
                let (t_lo, t_hi) = unsafe {
                    (
                        _mm512_loadu_pd(tj.as_ptr()),
                        _mm512_loadu_pd(tj.as_ptr().add(LANES)),
                    )
                };
                for ((a_lo, a_hi), &o) in lo.iter_mut().zip(hi.iter_mut()).zip(offs) {
                    // SAFETY: `j < d` and `o <= 7 d`, so `o + j` lies in the group (H * d
                    // values).
                    #[allow(unsafe_code)]
                    let v = _mm512_set1_pd(unsafe { *g.add(o + j) });
                    *a_lo = _mm512_fmadd_pd(v, t_lo, *a_lo);
                    *a_hi = _mm512_fmadd_pd(v, t_hi, *a_hi);
                }
            }
            let c_lo = transpose_f64(lo.map(|a| _mm512_sub_pd(n_lo, _mm512_add_pd(a, a))));
            let c_hi = transpose_f64(hi.map(|a| _mm512_sub_pd(n_hi, _mm512_add_pd(a, a))));
            let cols: [__m512d; LANES16] =
                std::array::from_fn(|c| if c < LANES { c_lo[c] } else { c_hi[c - LANES] });
            update_labels(pick_f64(cols), lab8, &mut moves);
        });
        self.rest(rest, d, rest_lab, &mut moves);
        moves
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::kernel::CentreTable;
    use cartera_core::CarteraRng;

    /// Labels and moves of the general path: the dot-product table, then the scalar arg-min.
    fn reference<F: cartera_core::Float>(
        table: &CentreTable<F>,
        rows: &[F],
        d: usize,
        lab: &mut [u32],
    ) -> Moves {
        let k = table.k();
        let mut dots = vec![F::zero(); lab.len() * k];
        table.dots(rows, d, &mut dots);
        let mut moves = Moves::default();
        for (l, dx) in lab.iter_mut().zip(dots.chunks_exact(k)) {
            let c = table.argmin(dx) as u32;
            if *l != c {
                moves.record(*l, c);
                *l = c;
            }
        }
        moves
    }

    /// Values from a few levels, so that distances tie often (many exactly).
    fn coarse(rng: &mut CarteraRng) -> f64 {
        (rng.uniform() * 5.0).floor() - 2.0
    }

    fn agrees<F: cartera_core::Float>(
        run: impl Fn(&CentreTable<F>, &[F], usize, &mut [u32]) -> Moves,
    ) {
        agrees_for(1..=LANES, run);
    }

    fn agrees_for<F: cartera_core::Float>(
        ks: std::ops::RangeInclusive<usize>,
        run: impl Fn(&CentreTable<F>, &[F], usize, &mut [u32]) -> Moves,
    ) {
        let mut rng = CarteraRng::seed_from_u64(5);
        for k in ks {
            for (m, d) in [
                (8, 1),
                (19, 3),
                (64, 7),
                (37, 20),
                (3, 28),
                (33, 16),
                (16, 9),
            ] {
                for trial in 0..20 {
                    let centres: Vec<F> = (0..k * d)
                        .map(|_| F::cast_from_f64(coarse(&mut rng)))
                        .collect();
                    let mut rows: Vec<F> = (0..m * d)
                        .map(|_| F::cast_from_f64(coarse(&mut rng)))
                        .collect();
                    if trial == 7 {
                        // A NaN and an infinity in some rows: NaN distances are never chosen
                        // by either path.
                        rows[0] = F::nan();
                        rows[(m - 1) * d] = F::infinity();
                    }
                    let table = CentreTable::new(&centres, k, d);
                    let start: Vec<u32> = (0..m)
                        .map(|i| match i % 3 {
                            0 => u32::MAX,
                            _ => (rng.uniform() * k as f64) as u32,
                        })
                        .collect();
                    let (mut want, mut got) = (start.clone(), start.clone());
                    let mw = reference(&table, &rows, d, &mut want);
                    let mg = run(&table, &rows, d, &mut got);
                    assert_eq!(got, want, "k {k} m {m} d {d} trial {trial}");
                    assert_eq!(mg, mw, "k {k} m {m} d {d} trial {trial}");
                }
            }
        }
    }

    #[test]
    fn f64_kernel_gives_the_general_labels() {
        if !cartera_core::dots::has_avx512() {
            return;
        }
        agrees::<f64>(|table, rows, d, lab| {
            let near = table.nearest().expect("k <= 8 on an AVX-512 CPU");
            // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked above).
            #[allow(unsafe_code)]
            unsafe {
                near.assign_avx512(rows, d, lab)
            }
        });
    }

    #[test]
    fn f64_16_centre_kernel_gives_the_general_labels() {
        if !cartera_core::dots::has_avx512() {
            return;
        }
        agrees_for::<f64>(LANES + 1..=LANES16, |table, rows, d, lab| {
            let near = table
                .nearest16()
                .expect("8 < k <= 16 in f64 on an AVX-512 CPU");
            // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked above).
            #[allow(unsafe_code)]
            unsafe {
                near.assign_avx512(rows, d, lab)
            }
        });
    }

    #[test]
    fn f32_kernel_gives_the_general_labels() {
        if !cartera_core::dots::has_avx2_fma() {
            return;
        }
        agrees::<f32>(|table, rows, d, lab| {
            let near = table.nearest().expect("k <= 8 on an AVX2 CPU");
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            #[allow(unsafe_code)]
            unsafe {
                near.assign_avx2(rows, d, lab)
            }
        });
    }

    #[test]
    fn f32_avx512_kernel_gives_the_general_labels() {
        if !cartera_core::dots::has_avx512() {
            return;
        }
        agrees::<f32>(|table, rows, d, lab| {
            let near = table.nearest().expect("k <= 8 on an AVX-512 CPU");
            // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked above).
            #[allow(unsafe_code)]
            unsafe {
                near.assign_avx512(rows, d, lab)
            }
        });
    }

    #[test]
    fn f32_narrow_kernel_gives_the_general_labels() {
        if !cartera_core::dots::has_avx512() || !std::arch::is_x86_feature_detected!("avx512vl") {
            return;
        }
        agrees::<f32>(|table, rows, d, lab| {
            let near = table.nearest().expect("k <= 8 on an AVX-512 CPU");
            // SAFETY: the CPU has AVX-512F, AVX-512VL, AVX2 and FMA (checked above).
            #[allow(unsafe_code)]
            unsafe {
                near.assign_narrow(rows, d, lab)
            }
        });
    }

    /// Checks a kernel's distances against the scalar [`NearestTable::paired_sums`], to the bit,
    /// on data that round at every step (the coarse levels of `agrees` add exactly in any
    /// order, so they cannot tell one summation order from another), for every width from 1 to
    /// 21 (odd and even, one pair and many) and every number of centres. `distances(near,
    /// rows, d)` gets `m` rows of `d` values and returns row `h`'s distance to centre `c` at
    /// `h * LANES + c`.
    fn paired_distances_agree(
        seed: u64,
        m: usize,
        distances: impl Fn(&NearestTable<f32>, &[f32], usize) -> Vec<f32>,
    ) {
        let mut rng = CarteraRng::seed_from_u64(seed);
        for d in 1..=21 {
            for k in 1..=LANES {
                let centres: Vec<f32> = (0..k * d).map(|_| rng.normal() as f32).collect();
                let rows: Vec<f32> = (0..m * d).map(|_| (rng.normal() * 3.0) as f32).collect();
                let norms: Vec<f32> = centres
                    .chunks_exact(d)
                    .map(crate::kernel::sq_norm)
                    .collect();
                let near = NearestTable::new(&centres, &norms, k, d);
                let got = distances(&near, &rows, d);
                for (h, x) in rows.chunks_exact(d).enumerate() {
                    let acc = near.paired_sums(x, d);
                    for c in 0..LANES {
                        let s = acc[2 * c] + acc[2 * c + 1];
                        let want = near.norms[c] - (s + s);
                        let have = got[h * LANES + c];
                        assert_eq!(
                            have.to_bits(),
                            want.to_bits(),
                            "d {d} k {k} row {h} centre {c}"
                        );
                        if c < k {
                            // The pairing is a reordering of the dot product, nothing else.
                            let dot: f64 = (0..d)
                                .map(|j| f64::from(x[j]) * f64::from(centres[c * d + j]))
                                .sum();
                            let exact = f64::from(norms[c]) - 2.0 * dot;
                            assert!((f64::from(have) - exact).abs() <= 1e-4 * (1.0 + exact.abs()));
                        }
                    }
                }
            }
        }
    }

    /// The 256-bit distances of [`NearestTable::distances8`] are the paired sums too, so that
    /// the kernel a CPU runs does not change the labels.
    #[test]
    fn f32_narrow_distances_are_the_paired_sums() {
        if !cartera_core::dots::has_avx512() || !std::arch::is_x86_feature_detected!("avx512vl") {
            return;
        }
        paired_distances_agree(12, H, |near, rows, d| {
            let offs: [usize; H] = std::array::from_fn(|h| h * d);
            // SAFETY: the CPU has AVX-512F, AVX-512VL, AVX2 and FMA (checked above); `rows`
            // holds 8 rows of `d` values.
            #[allow(unsafe_code)]
            unsafe {
                let dist = near.distances8(rows.as_ptr(), d, &offs);
                let mut o = vec![0.0; H * LANES];
                for (h, v) in dist.iter().enumerate() {
                    _mm256_storeu_ps(o[h * LANES..].as_mut_ptr(), *v);
                }
                o
            }
        });
    }

    /// The `f32` AVX-512 kernel's distances are the paired sums.
    #[test]
    fn f32_avx512_distances_are_the_paired_sums() {
        if !cartera_core::dots::has_avx512() {
            return;
        }
        paired_distances_agree(11, 2 * H, |near, rows, d| {
            let offs: [usize; H] = std::array::from_fn(|h| h * d);
            // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked above); `rows` holds 16 rows
            // of `d` values; the table was built on this CPU, so it is paired.
            #[allow(unsafe_code)]
            unsafe {
                let col = near.distances16(rows.as_ptr(), d, &offs);
                // Register `c` holds the 16 rows' distances to centre `c`.
                let mut by_centre = vec![0.0; 2 * H * LANES];
                for (c, v) in col.iter().enumerate() {
                    _mm512_storeu_ps(by_centre[c * 2 * H..].as_mut_ptr(), *v);
                }
                (0..2 * H * LANES)
                    .map(|i| by_centre[(i % LANES) * 2 * H + i / LANES])
                    .collect()
            }
        });
    }

    /// The transposes put row `h`, lane `c` at register `c`, lane `h`.
    #[test]
    fn transposes_are_transposes() {
        if cartera_core::dots::has_avx512() {
            let m: Vec<f64> = (0..64).map(f64::from).collect();
            #[allow(unsafe_code)]
            let out: Vec<f64> = unsafe {
                let r: [__m512d; 8] = std::array::from_fn(|h| _mm512_loadu_pd(m[h * 8..].as_ptr()));
                let t = transpose_f64(r);
                let mut o = vec![0.0; 64];
                for (c, v) in t.iter().enumerate() {
                    _mm512_storeu_pd(o[c * 8..].as_mut_ptr(), *v);
                }
                o
            };
            for h in 0..8 {
                for c in 0..8 {
                    assert_eq!(out[c * 8 + h], m[h * 8 + c], "f64 row {h} col {c}");
                }
            }
        }
        if cartera_core::dots::has_avx2_fma() {
            let m: Vec<f32> = (0..64u16).map(f32::from).collect();
            #[allow(unsafe_code)]
            let out: Vec<f32> = unsafe {
                let r: [__m256; 8] = std::array::from_fn(|h| _mm256_loadu_ps(m[h * 8..].as_ptr()));
                let t = transpose_f32(r);
                let mut o = vec![0.0; 64];
                for (c, v) in t.iter().enumerate() {
                    _mm256_storeu_ps(o[c * 8..].as_mut_ptr(), *v);
                }
                o
            };
            for h in 0..8 {
                for c in 0..8 {
                    assert_eq!(out[c * 8 + h], m[h * 8 + c], "f32 row {h} col {c}");
                }
            }
        }
    }
}
