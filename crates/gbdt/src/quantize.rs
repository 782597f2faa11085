//! Quantized gradients, LightGBM's `use_quantized_grad` (Shi et al., "Quantized Training of
//! Gradient Boosting Decision Trees", NeurIPS 2022).
//!
//! Before each tree, a class's gradients are mapped to integers in `[-B/2, B/2]` and its
//! hessians to `[0, B]` (`B` = `num_grad_quant_bins`, scale `max |g| / (B/2)` and
//! `max h / B`), rounded stochastically by default, so each integer is an unbiased estimate of
//! the value it stands for. Both integers of a row are packed in one `i64` (gradient in the
//! high 32 bits, hessian in the low 32), so a histogram entry is one integer, summed with one
//! add, exactly and in any order: half the bytes of an `f64` pair per row gathered and per
//! histogram entry. The split search reads the sums back in gradient units (the integer sums
//! times the scales); leaf values come from those sums too, or from the rows' true gradients
//! when `quant_train_renew_leaf` asks (LightGBM's renewal).
//!
//! The random offsets of the rounding are drawn once per fit, two 16-bit uniforms per row from a
//! hash of the seed and the row ([`Offsets`]), and each tree reads them from its own starting
//! row (a hash of the seed, round and class), as LightGBM does: so they depend on nothing else,
//! whatever the thread count, and a tree costs no hashing.

use cartera_core::rng::splitmix64;
use rayon::prelude::*;

use crate::objective::GradPair;

/// Rows per parallel block of the quantization pass.
const BLOCK: usize = 16_384;

/// Mask of the packed hessian (the low 32 bits).
const LOW: i64 = 0xFFFF_FFFF;

/// The packed sum `(g, h)` as `(Σ g, Σ h)`: valid while `0 <= Σ h < 2^32` and `|Σ g| < 2^31`,
/// which [`check_rows`] guarantees for any sum of the training rows.
#[inline(always)]
pub(crate) fn unpack(v: i64) -> (i64, i64) {
    let h = v & LOW;
    ((v - h) >> 32, h)
}

/// Whether `n` rows can be summed in the packed form with `bins` quantization bins: every
/// hessian is at most `bins` and every gradient at most `bins / 2` in size, so with
/// `n * bins < 2^32` a sum of hessians fits the low 32 bits and a sum of gradients lies within
/// `±2^31`.
pub(crate) fn check_rows(n: usize, bins: usize) -> bool {
    (n as u128) * (bins as u128) < (1u128 << 32)
}

/// The gradients of one tree, quantized and packed, with the scales back to gradient units.
pub(crate) struct Quantized {
    /// One packed `(g, h)` per row.
    pub packed: Vec<i64>,
    /// Gradient and hessian units of one integer step.
    pub scale: [f64; 2],
}

impl Quantized {
    /// An empty buffer for `n` rows.
    pub fn new(n: usize) -> Self {
        Quantized {
            packed: vec![0; n],
            scale: [1.0, 1.0],
        }
    }

    /// Quantizes `gh` (one `(g, h)` per row, finite, `h >= 0`) with `bins` bins. With
    /// `offsets` (the fit's table and this tree's starting row) values round stochastically,
    /// else to nearest (ties to even). A constant hessian (L2 regression without weights) is
    /// kept as one step of its own value, exactly.
    pub fn fill(&mut self, gh: &[GradPair], bins: usize, offsets: Option<(&Offsets, usize)>) {
        let (max_g, min_h, max_h) = gh.par_chunks(BLOCK).map(extremes).reduce(
            || (0.0, f64::INFINITY, 0.0),
            |a, b| (a.0.max(b.0), a.1.min(b.1), a.2.max(b.2)),
        );
        let half = (bins / 2) as f64;
        let g_scale = if max_g > 0.0 { max_g / half } else { 1.0 };
        let constant_h = min_h == max_h && max_h > 0.0;
        let h_scale = match () {
            _ if constant_h => max_h,
            _ if max_h > 0.0 => max_h / bins as f64,
            _ => 1.0,
        };
        self.scale = [g_scale, h_scale];
        let k = Steps {
            inv: [1.0 / g_scale, 1.0 / h_scale],
            max: [half, bins as f64],
            constant_h,
        };
        let n = gh.len();
        self.packed
            .par_chunks_mut(BLOCK)
            .zip(gh.par_chunks(BLOCK))
            .enumerate()
            .for_each(|(b, (out, gh))| match offsets {
                None => pack_rows(out, gh, None, &k),
                Some((t, start)) => {
                    // This block's offsets: the table read as a ring from `start`, in at most
                    // two runs.
                    let first = (b * BLOCK + start) % n;
                    let len = out.len();
                    let run = len.min(n - first);
                    let (o1, o2) = out.split_at_mut(run);
                    let (g1, g2) = gh.split_at(run);
                    pack_rows(o1, g1, Some(&t.0[first..first + run]), &k);
                    pack_rows(o2, g2, Some(&t.0[..len - run]), &k);
                }
            });
    }
}

/// What turns a row's `(g, h)` into its two integers.
struct Steps {
    /// Integer steps per unit of gradient and of hessian.
    inv: [f64; 2],
    /// Largest integers: `bins / 2` and `bins`.
    max: [f64; 2],
    /// Every hessian is the same: each is one step.
    constant_h: bool,
}

/// Packs rows `gh` into `out`, rounding with the offsets `offs` (one per row) or to nearest.
/// Through an AVX2 build where the CPU has it (the same arithmetic, four rows at a time).
fn pack_rows(out: &mut [i64], gh: &[GradPair], offs: Option<&[u32]>, k: &Steps) {
    #[cfg(target_arch = "x86_64")]
    if cartera_core::dots::has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked just above), all `pack_rows_avx2` needs.
        #[allow(unsafe_code)]
        unsafe {
            pack_rows_avx2(out, gh, offs, k)
        };
        return;
    }
    pack_rows_with(out, gh, offs, k);
}

/// [`pack_rows_with`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pack_rows_avx2(out: &mut [i64], gh: &[GradPair], offs: Option<&[u32]>, k: &Steps) {
    pack_rows_with(out, gh, offs, k);
}

/// The rounding itself, in operations the compiler can vectorise: the floor of `x + u` is
/// the nearest integer to `x + u - 0.5`, capped in floating point and read from the low bits
/// of a sum with `1.5 * 2^52` (see [`floor_plus`]); the sign goes back with integer bit
/// operations, no branch.
#[inline(always)]
fn pack_rows_with(out: &mut [i64], gh: &[GradPair], offs: Option<&[u32]>, k: &Steps) {
    let one = |o: &mut i64, p: &GradPair, (ug, uh): (f64, f64)| {
        let p = p.map(f64::from);
        let qg = floor_plus((p[0].abs() * k.inv[0]).min(k.max[0]), ug);
        let neg = (p[0].to_bits() >> 63) as i64;
        let qg = (qg ^ -neg) + neg;
        let qh = if k.constant_h {
            1
        } else {
            floor_plus((p[1] * k.inv[1]).clamp(0.0, k.max[1]), uh)
        };
        *o = (qg << 32) + qh;
    };
    match offs {
        Some(offs) => {
            for ((o, p), &u) in out.iter_mut().zip(gh).zip(offs) {
                one(o, p, unit_pair(u));
            }
        }
        None => {
            for (o, p) in out.iter_mut().zip(gh) {
                one(o, p, (0.5, 0.5));
            }
        }
    }
}

/// The random offsets of stochastic rounding for a fit: per row, two 16-bit uniforms in one
/// `u32` (gradient high, hessian low).
pub(crate) struct Offsets(Vec<u32>);

impl Offsets {
    /// The table of `n` rows for `seed` (SplitMix64 of the seed and the row).
    pub fn new(n: usize, seed: u64) -> Self {
        let mut t = vec![0u32; n];
        t.par_chunks_mut(BLOCK).enumerate().for_each(|(b, c)| {
            for (i, u) in c.iter_mut().enumerate() {
                *u = (mix(seed ^ ((b * BLOCK + i) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                    >> 32) as u32;
            }
        });
        Offsets(t)
    }
}

/// The two offsets of a table entry, each the middle of one of 2^16 equal steps of `[0, 1)`.
#[inline(always)]
fn unit_pair(u: u32) -> (f64, f64) {
    const STEP: f64 = 1.0 / 65_536.0;
    (
        (f64::from(u >> 16) + 0.5) * STEP,
        (f64::from(u & 0xFFFF) + 0.5) * STEP,
    )
}

/// SplitMix64's output of `z` itself: [`splitmix64`] adds its increment to the state before
/// mixing, taken back here.
#[inline(always)]
fn mix(z: u64) -> u64 {
    splitmix64(&mut z.wrapping_sub(0x9E37_79B9_7F4A_7C15))
}

/// The starting row in a table of `n` rows of the tree of class `class` in round `round`.
pub(crate) fn start(seed: u64, round: usize, class: usize, n_classes: usize, n: usize) -> usize {
    const SALT: u64 = 0x051A_7C0D_E0F6_EAD5;
    let tree = (round as u64)
        .wrapping_mul(n_classes as u64)
        .wrapping_add(class as u64);
    (mix(seed ^ SALT ^ tree.wrapping_mul(0xD1B5_4A32_D192_ED03)) % n.max(1) as u64) as usize
}

/// `floor(x + u)` for `0 <= x < 2^50` and `u` in `[0, 1]`, as the nearest integer to
/// `x + u - 0.5` (the same except where `x + u` is a whole number: that is a tie, rounded to
/// even): adding `1.5 * 2^52` leaves that integer in the low bits of the sum.
/// This is plain arithmetic the compiler can vectorise, where `as i64` (saturating, with a NaN
/// check) is a dozen scalar instructions per value on a baseline x86-64 build.
#[inline(always)]
fn floor_plus(x: f64, u: f64) -> i64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    ((x + (u - 0.5)) + MAGIC).to_bits() as i64 - MAGIC.to_bits() as i64
}

/// `(max |g|, min h, max h)` of `gh`, in 8 independent lanes (one chain of compares would wait
/// on itself at every row); max and min do not depend on the order.
fn extremes(gh: &[GradPair]) -> (f64, f64, f64) {
    const L: usize = 8;
    let (mut g, mut lo, mut hi) = ([0.0f64; L], [f64::INFINITY; L], [0.0f64; L]);
    let mut chunks = gh.chunks_exact(L);
    for c in chunks.by_ref() {
        for l in 0..L {
            let [pg, ph] = c[l].map(f64::from);
            g[l] = g[l].max(pg.abs());
            lo[l] = lo[l].min(ph);
            hi[l] = hi[l].max(ph);
        }
    }
    for (l, p) in chunks.remainder().iter().enumerate() {
        let [pg, ph] = p.map(f64::from);
        g[l] = g[l].max(pg.abs());
        lo[l] = lo[l].min(ph);
        hi[l] = hi[l].max(ph);
    }
    (
        g.into_iter().fold(0.0, f64::max),
        lo.into_iter().fold(f64::INFINITY, f64::min),
        hi.into_iter().fold(0.0, f64::max),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_sums_unpack_to_both_sums() {
        let pairs = [(-2i64, 0i64), (2, 4), (-1, 3), (0, 1), (-2, 4), (1, 2)];
        let mut sum = 0i64;
        let (mut g, mut h) = (0, 0);
        for &(a, b) in &pairs {
            sum = sum.wrapping_add((a << 32) + b);
            g += a;
            h += b;
            assert_eq!(unpack(sum), (g, h));
        }
        // A difference of two sums (a parent minus its child) is a sum too.
        let child = ((-2i64) << 32) + 4 + ((-1i64) << 32) + 3;
        assert_eq!(unpack(sum.wrapping_sub(child)), (g + 3, h - 7));
    }

    #[test]
    fn quantized_values_are_bounded_and_unbiased() {
        // Skewed, as boosting's gradients are late in a fit: most rows small, a few large
        // (which set the scale). Rounding to nearest sends the small ones to 0, so its sums
        // are far off; stochastic rounding keeps them within a few steps per thousand rows.
        let n = 200_000;
        let gh: Vec<GradPair> = (0..n)
            .map(|i| {
                let t = (i as f32 * 0.618_034).fract();
                if i % 10 == 0 {
                    [-1.0 + 0.5 * t, 0.25]
                } else {
                    [0.02 + 0.1 * t, 0.01 + 0.02 * t]
                }
            })
            .collect();
        let (tg, th) = gh.iter().fold((0.0, 0.0), |(g, h), p| {
            (g + f64::from(p[0]), h + f64::from(p[1]))
        });
        let sums = |q: &Quantized| {
            q.packed.iter().fold((0.0, 0.0), |(g, h), &v| {
                let (a, b) = unpack(v);
                assert!((-2..=2).contains(&a) && (0..=4).contains(&b), "{a} {b}");
                (g + a as f64 * q.scale[0], h + b as f64 * q.scale[1])
            })
        };
        let table = Offsets::new(n, 3);
        let mut q = Quantized::new(n);
        q.fill(&gh, 4, Some((&table, start(3, 0, 0, 1, n))));
        let (sg, sh) = sums(&q);
        // Each stochastic rounding errs by at most one step with variance at most 1/4 step²,
        // so a sum is off by less than 4 standard deviations, 4 sqrt(n / 4) steps, unless biased.
        let bound = |step: f64| 4.0 * (n as f64 / 4.0).sqrt() * step;
        assert!(
            (sg - tg).abs() < bound(q.scale[0]),
            "stochastic: {sg} vs {tg}"
        );
        assert!(
            (sh - th).abs() < bound(q.scale[1]),
            "stochastic: {sh} vs {th}"
        );
        let mut nearest = Quantized::new(n);
        nearest.fill(&gh, 4, None);
        let (ng, nh) = sums(&nearest);
        assert!(
            (ng - tg).abs() > 10.0 * bound(q.scale[0]),
            "nearest: {ng} vs {tg}"
        );
        assert!(
            (nh - th).abs() > 10.0 * bound(q.scale[1]),
            "nearest: {nh} vs {th}"
        );
        // To nearest: each value within half a step.
        for (p, &v) in gh.iter().zip(&nearest.packed) {
            let (a, b) = unpack(v);
            let (sg, sh) = (nearest.scale[0], nearest.scale[1]);
            let [pg, ph] = p.map(f64::from);
            assert!((a as f64 * sg - pg).abs() <= 0.5 * sg * (1.0 + 1e-12));
            assert!((b as f64 * sh - ph).abs() <= 0.5 * sh * (1.0 + 1e-12));
        }
        // Same seed and tree, same integers; another tree, others.
        let mut again = Quantized::new(n);
        again.fill(&gh, 4, Some((&Offsets::new(n, 3), start(3, 0, 0, 1, n))));
        assert_eq!(again.packed, q.packed);
        again.fill(&gh, 4, Some((&table, start(3, 1, 0, 1, n))));
        assert_ne!(again.packed, q.packed);
    }

    #[test]
    fn constant_hessians_are_one_step_each() {
        let gh = vec![[0.5, 2.0], [-1.5, 2.0], [0.0, 2.0]];
        let mut q = Quantized::new(3);
        q.fill(&gh, 8, None);
        assert_eq!(q.scale, [1.5 / 4.0, 2.0]);
        let got: Vec<(i64, i64)> = q.packed.iter().map(|&v| unpack(v)).collect();
        assert_eq!(got, [(1, 1), (-4, 1), (0, 1)]);
    }

    #[test]
    fn floor_plus_is_the_floor() {
        for (x, u, want) in [
            (0.0, 0.0, 0),
            (0.0, 0.999, 0),
            (1.25, 0.7, 1),
            (1.25, 0.8, 2),
            (3.999, 0.0, 3),
            (2.0, 0.0, 2),
            (4.0, 0.5, 4),
            (127.0, 0.99, 127),
        ] {
            assert_eq!(floor_plus(x, u), want, "{x} + {u}");
        }
    }

    #[test]
    fn row_limit_keeps_sums_in_their_halves() {
        assert!(check_rows(33_000_000, 127));
        assert!(!check_rows(34_000_000, 127));
        // The largest sums they allow still unpack: n * bins just under 2^32.
        let (n, bins) = ((1i64 << 32) / 4 - 1, 4i64);
        let hess = n * bins;
        let grad = -n * (bins / 2);
        assert_eq!(unpack((grad << 32) + hess), (grad, hess));
    }
}
