//! Losses: gradients, hessians and initial scores (LightGBM's `binary`, `multiclass` and
//! `regression` objectives, with `boost_from_average`).

use rayon::prelude::*;

use crate::tree::Objective;

/// Rows per parallel block.
const BLOCK: usize = 16384;
/// Probability clamp of the initial score (LightGBM's `kEpsilon` for `BoostFromScore`).
const EPS: f64 = 1e-15;

/// A gradient or hessian as LightGBM stores it: `score_t`, a `float` (its default build), so
/// rounded to `f32` once computed in `f64`; the histograms then sum them in `f64` (`hist_t`).
/// Split gains that differ only by rounding (a split of a leaf whose rows all have the same
/// gradient ratio has a gain of a few ulps) then come out as LightGBM's, and so do the trees.
#[inline]
fn score_t(v: f64) -> f32 {
    v as f32
}

/// One row's gradient and hessian, as stored between computing them and summing them: two
/// [`score_t`] values. Kept in `f32` rather than widened to `f64` on the way in: every
/// histogram pass streams the pairs, and half the bytes is half the traffic; each `f32`
/// converts to `f64` exactly, so the `f64` sums are the same bits.
pub(crate) type GradPair = [f32; 2];

/// The training loss with its per-row weights.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loss {
    pub objective: Objective,
    pub scale_pos_weight: f64,
}

/// Sum of `f(row)` over rows in fixed blocks combined in block order.
fn ordered_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| (b * BLOCK..((b + 1) * BLOCK).min(n)).map(&f).sum())
        .collect();
    parts.iter().sum()
}

impl Loss {
    /// Number of raw scores per row.
    pub fn k(&self) -> usize {
        self.objective.n_outputs()
    }

    /// The initial score of each output from the (weighted) label mean.
    pub fn init_scores(&self, y: &[f64], w: Option<&[f64]>) -> Vec<f64> {
        let n = y.len();
        let wt = |i: usize| w.map_or(1.0, |w| w[i]);
        let sw = ordered_sum(n, wt);
        match self.objective {
            Objective::Binary { sigmoid } => {
                let pos = ordered_sum(n, |i| if y[i] > 0.5 { wt(i) } else { 0.0 });
                let p = (pos / sw).clamp(EPS, 1.0 - EPS);
                vec![(p / (1.0 - p)).ln() / sigmoid]
            }
            Objective::Multiclass { n_classes } => (0..n_classes)
                .map(|k| {
                    let c = ordered_sum(n, |i| if y[i] as usize == k { wt(i) } else { 0.0 });
                    (c / sw).max(EPS).ln()
                })
                .collect(),
            Objective::Regression => vec![ordered_sum(n, |i| y[i] * wt(i)) / sw],
        }
    }

    /// Gradients and hessians of every output for raw scores `score` (row-major, `n x k`):
    /// `gh[c][row]` for output `c`.
    pub fn gradients(&self, score: &[f64], y: &[f64], w: Option<&[f64]>, gh: &mut [Vec<GradPair>]) {
        let k = self.k();
        match self.objective {
            Objective::Binary { sigmoid } => {
                let spw = self.scale_pos_weight;
                gh[0]
                    .par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(b, out)| {
                        let rows = b * BLOCK..b * BLOCK + out.len();
                        let block = BinaryBlock {
                            score: &score[rows.clone()],
                            y: &y[rows.clone()],
                            w: w.map(|w| &w[rows]),
                            sigmoid,
                            spw,
                        };
                        block.gradients(out);
                    });
            }
            Objective::Regression => {
                gh[0]
                    .par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(b, out)| {
                        for (i, o) in out.iter_mut().enumerate() {
                            let r = b * BLOCK + i;
                            let wr = w.map_or(1.0, |w| w[r]);
                            *o = [score_t((score[r] - y[r]) * wr), score_t(wr)];
                        }
                    });
            }
            Objective::Multiclass { .. } => {
                let factor = k as f64 / (k as f64 - 1.0);
                // One softmax per row serves all k outputs (k + 1 exponentials per output
                // otherwise): hand each block of rows its slice of every output.
                let mut blocks: Vec<Vec<&mut [GradPair]>> = Vec::new();
                for g in gh.iter_mut() {
                    for (b, chunk) in g.chunks_mut(BLOCK).enumerate() {
                        if b == blocks.len() {
                            blocks.push(Vec::with_capacity(k));
                        }
                        blocks[b].push(chunk);
                    }
                }
                blocks
                    .into_par_iter()
                    .enumerate()
                    .for_each(|(b, mut outs)| {
                        let mut p = vec![0.0; k];
                        let rows = outs.first().map_or(0, |o| o.len());
                        for i in 0..rows {
                            let r = b * BLOCK + i;
                            softmax(&score[r * k..(r + 1) * k], &mut p);
                            let wr = w.map_or(1.0, |w| w[r]);
                            for (c, (out, &pc)) in outs.iter_mut().zip(&p).enumerate() {
                                let t = if y[r] as usize == c { 1.0 } else { 0.0 };
                                out[i] = [
                                    score_t((pc - t) * wr),
                                    score_t(factor * pc * (1.0 - pc) * wr),
                                ];
                            }
                        }
                    });
            }
        }
    }
}

/// One block of rows of the binary log-loss gradients: LightGBM's formulas (`response =
/// -label·σ / (1 + exp(label·σ·score))`, hessian `|response|·(σ − |response|)`, both times the
/// label weight), computed in `f64` and stored as [`score_t`].
struct BinaryBlock<'a> {
    score: &'a [f64],
    y: &'a [f64],
    w: Option<&'a [f64]>,
    sigmoid: f64,
    spw: f64,
}

impl BinaryBlock<'_> {
    /// Writes the block's pairs into `out`: a build for AVX2 and FMA where the CPU has them
    /// (four rows per instruction), else the same operations one row at a time (the same
    /// bits: [`exp_fused`] uses fused multiply-adds only, which are exact either way).
    fn gradients(&self, out: &mut [GradPair]) {
        #[cfg(target_arch = "x86_64")]
        if cartera_core::dots::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above), all the build needs.
            #[allow(unsafe_code)]
            unsafe {
                self.gradients_avx2(out)
            };
            return;
        }
        self.gradients_with(out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn gradients_avx2(&self, out: &mut [GradPair]) {
        self.gradients_with(out);
    }

    /// The loop: no call and no branch on the label, so the compiler vectorises it (the
    /// library `exp`, one call per row, and a mispredicted branch on every other label took
    /// about 13 ns per row, a tenth of a fit).
    #[inline(always)]
    fn gradients_with(&self, out: &mut [GradPair]) {
        let (sigmoid, spw) = (self.sigmoid, self.spw);
        let one_row = |o: &mut GradPair, score: f64, y: f64, w: f64| {
            let pos = y > 0.5;
            let label = if pos { 1.0 } else { -1.0 };
            let lw = if pos { spw } else { 1.0 } * w;
            let response = -label * sigmoid / (1.0 + exp_fused(label * sigmoid * score));
            let a = response.abs();
            *o = [score_t(response * lw), score_t(a * (sigmoid - a) * lw)];
        };
        match self.w {
            None => {
                for ((o, &s), &y) in out.iter_mut().zip(self.score).zip(self.y) {
                    one_row(o, s, y, 1.0);
                }
            }
            Some(w) => {
                for (((o, &s), &y), &w) in out.iter_mut().zip(self.score).zip(self.y).zip(w) {
                    one_row(o, s, y, w);
                }
            }
        }
    }
}

/// `exp(x)` within 2 ulp (tested against the library's), from additions and fused
/// multiply-adds only, so every CPU gets the same bits, with or without FMA hardware (Rust's
/// `mul_add` is exact either way), and the compiler can vectorise a loop of it.
///
/// `x = k·ln 2 + r` with `k` the nearest integer to `x / ln 2` (read from the low bits of a
/// sum with `1.5·2^52`) and `|r| <= ln 2 / 2` (Cody and Waite's two-part `ln 2`); `exp(r)` by
/// its Taylor polynomial of degree 13 (truncation below 5e-18); then `2^k` in two factors so
/// that `k` down to −1,076 and up to 1,024 needs no special case: overflow gives `+∞`,
/// underflow `0` or a subnormal, NaN stays NaN. Results below the smallest normal `f64` (x <
/// −708) may lose bits; the gradients only ever add 1 to them.
#[inline(always)]
fn exp_fused(x: f64) -> f64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    // ln 2 in two parts: the first with its low 32 bits zero (fdlibm's `ln2_hi`).
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Past these bounds the result is +inf or 0 anyway; inside them `k` fits the two factors.
    let x = x.clamp(-746.0, 710.0);
    let t = x.mul_add(LOG2_E, SHIFT);
    let kd = t - SHIFT;
    // `t` lies in [2^52, 2^53) (|k| < 2^51), where one unit is one step of the low bits.
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let r = (-kd).mul_add(LN2_HI, x);
    let r = (-kd).mul_add(LN2_LO, r);
    // 1/n! for n = 13 down to 2.
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let mut p = C[0];
    for &c in &C[1..] {
        p = p.mul_add(r, c);
    }
    let p = p.mul_add(r, 1.0).mul_add(r, 1.0);
    let half = k >> 1;
    let scale = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    p * scale(half) * scale(k - half)
}

/// Softmax probability of class `c` for raw scores `s` (the per-output formula the gradient
/// loop used before it shared one softmax per row; kept to test that they agree).
#[cfg(test)]
fn softmax_one(s: &[f64], c: usize) -> f64 {
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let den: f64 = s.iter().map(|v| (v - m).exp()).sum();
    (s[c] - m).exp() / den
}

/// Softmax of `s` into `out`.
#[inline]
pub(crate) fn softmax(s: &[f64], out: &mut [f64]) {
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut den = 0.0;
    for (o, v) in out.iter_mut().zip(s) {
        *o = (v - m).exp();
        den += *o;
    }
    for o in out.iter_mut() {
        *o /= den;
    }
}

/// Whether `slope` can be a binary objective's sigmoid: finite and positive (0 gives 0.5 for
/// every row, a negative slope turns the probabilities around). The trainer, the LightGBM
/// importer and the model file check all ask this.
pub(crate) fn valid_sigmoid(slope: f64) -> bool {
    slope.is_finite() && slope > 0.0
}

/// `P(1)` of a binary raw score.
#[inline]
pub(crate) fn sigmoid(raw: f64, slope: f64) -> f64 {
    1.0 / (1.0 + (-slope * raw).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_gradient_is_p_minus_y() {
        let loss = Loss {
            objective: Objective::Binary { sigmoid: 1.0 },
            scale_pos_weight: 1.0,
        };
        let y = [1.0, 0.0];
        let score = [0.3, -1.2];
        let mut gh = vec![vec![[0.0; 2]; 2]];
        loss.gradients(&score, &y, None, &mut gh);
        for r in 0..2 {
            let p = sigmoid(score[r], 1.0);
            // Stored as LightGBM's `float` gradients: within an `f32` rounding.
            assert!((f64::from(gh[0][r][0]) - (p - y[r])).abs() < 1e-7);
            assert!((f64::from(gh[0][r][1]) - p * (1.0 - p)).abs() < 1e-7);
        }
        let init = loss.init_scores(&[1.0, 0.0, 0.0, 0.0], None);
        assert!((init[0] - (1.0f64 / 3.0).ln()).abs() < 1e-12);
    }

    /// Distance in units in the last place between two finite `f64` of one sign.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn fused_exp_is_the_library_exp_within_two_ulp() {
        let mut rng = cartera_core::CarteraRng::seed_from_u64(11);
        let mut worst = 0;
        for i in 0..200_000 {
            // Wide and narrow ranges: scores and their products with ±sigmoid.
            let x = if i % 2 == 0 {
                rng.uniform_range(-708.0, 709.0)
            } else {
                rng.uniform_range(-40.0, 40.0)
            };
            worst = worst.max(ulps(exp_fused(x), x.exp()));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e-300,
            709.78,
            -708.0,
            0.5 * std::f64::consts::LN_2,
        ] {
            assert!(ulps(exp_fused(x), x.exp()) <= 2, "exp({x})");
        }
        assert_eq!(exp_fused(0.0), 1.0);
        assert_eq!(exp_fused(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_fused(710.0), f64::INFINITY);
        assert_eq!(exp_fused(1e300), f64::INFINITY);
        assert_eq!(exp_fused(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_fused(-1e300), 0.0);
        assert!(exp_fused(f64::NAN).is_nan());
        // Subnormal results: small, never negative, never above the smallest normal.
        let sub = exp_fused(-720.0);
        assert!(sub > 0.0 && sub < f64::MIN_POSITIVE);
    }

    /// The binary gradients as first written: the library `exp` and a branch on the label.
    fn reference_binary(score: f64, y: f64, w: f64, sigmoid: f64, spw: f64) -> GradPair {
        let (label, lw) = if y > 0.5 { (1.0, spw) } else { (-1.0, 1.0) };
        let lw = lw * w;
        let response = -label * sigmoid / (1.0 + (label * sigmoid * score).exp());
        let a = response.abs();
        [score_t(response * lw), score_t(a * (sigmoid - a) * lw)]
    }

    #[test]
    fn binary_gradients_are_the_library_formulas_bit_for_bit() {
        // The pairs are rounded to `f32`, so the fused exp's last-bit differences from the
        // library's vanish; every pair of 60,000 rows must be the same bits, with and
        // without weights, in both builds.
        let mut rng = cartera_core::CarteraRng::seed_from_u64(5);
        let n = 60_000;
        let score: Vec<f64> = (0..n).map(|_| rng.normal_with(0.0, 4.0)).collect();
        let y: Vec<f64> = (0..n).map(|_| f64::from(rng.uniform() < 0.3)).collect();
        let w: Vec<f64> = (0..n).map(|_| rng.uniform_range(0.1, 3.0)).collect();
        for (sigmoid, spw, weighted) in [(1.0, 1.0, false), (0.7, 2.5, true)] {
            let block = BinaryBlock {
                score: &score,
                y: &y,
                w: weighted.then_some(&w[..]),
                sigmoid,
                spw,
            };
            let mut fast = vec![[0.0; 2]; n];
            block.gradients(&mut fast);
            let mut plain = vec![[0.0; 2]; n];
            block.gradients_with(&mut plain);
            for r in 0..n {
                let wr = if weighted { w[r] } else { 1.0 };
                let want = reference_binary(score[r], y[r], wr, sigmoid, spw);
                assert_eq!(fast[r].map(f32::to_bits), want.map(f32::to_bits), "row {r}");
                assert_eq!(
                    plain[r].map(f32::to_bits),
                    want.map(f32::to_bits),
                    "row {r}"
                );
            }
        }
    }

    #[test]
    fn multiclass_and_l2() {
        let loss = Loss {
            objective: Objective::Multiclass { n_classes: 3 },
            scale_pos_weight: 1.0,
        };
        let init = loss.init_scores(&[0.0, 1.0, 1.0, 2.0], None);
        assert!((init[1] - 0.5f64.ln()).abs() < 1e-12);
        let mut gh = vec![vec![[0.0; 2]; 1]; 3];
        loss.gradients(&[0.0, 0.0, 0.0], &[2.0], None, &mut gh);
        assert!((f64::from(gh[2][0][0]) - (1.0 / 3.0 - 1.0)).abs() < 1e-7);
        assert!((f64::from(gh[0][0][1]) - 1.5 * (2.0 / 9.0)).abs() < 1e-7);
        // Several blocks, weights: every gradient and hessian has the bits of the per-output
        // formula.
        let (n, k) = (2 * BLOCK + 37, 4);
        let score: Vec<f64> = (0..n * k)
            .map(|i| ((i * 37) % 101) as f64 / 17.0 - 3.0)
            .collect();
        let y: Vec<f64> = (0..n).map(|i| (i % k) as f64).collect();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
        let loss4 = Loss {
            objective: Objective::Multiclass { n_classes: k },
            scale_pos_weight: 1.0,
        };
        let mut gh = vec![vec![[0.0; 2]; n]; k];
        loss4.gradients(&score, &y, Some(&w), &mut gh);
        let factor = k as f64 / (k as f64 - 1.0);
        for (c, ghc) in gh.iter().enumerate() {
            for r in 0..n {
                let p = softmax_one(&score[r * k..(r + 1) * k], c);
                let t = if y[r] as usize == c { 1.0 } else { 0.0 };
                let want = [(p - t) * w[r], factor * p * (1.0 - p) * w[r]].map(score_t);
                assert_eq!(ghc[r].map(f32::to_bits), want.map(f32::to_bits), "{c} {r}");
            }
        }
        let loss = Loss {
            objective: Objective::Regression,
            scale_pos_weight: 1.0,
        };
        assert_eq!(loss.init_scores(&[1.0, 3.0], Some(&[1.0, 3.0])), vec![2.5]);
    }
}
