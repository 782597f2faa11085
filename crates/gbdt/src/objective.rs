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
fn score_t(v: f64) -> f64 {
    v as f32 as f64
}

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
    pub fn gradients(&self, score: &[f64], y: &[f64], w: Option<&[f64]>, gh: &mut [Vec<[f64; 2]>]) {
        let k = self.k();
        match self.objective {
            Objective::Binary { sigmoid } => {
                let spw = self.scale_pos_weight;
                gh[0]
                    .par_chunks_mut(BLOCK)
                    .enumerate()
                    .for_each(|(b, out)| {
                        for (i, o) in out.iter_mut().enumerate() {
                            let r = b * BLOCK + i;
                            let (label, lw) = if y[r] > 0.5 { (1.0, spw) } else { (-1.0, 1.0) };
                            let lw = lw * w.map_or(1.0, |w| w[r]);
                            let response =
                                -label * sigmoid / (1.0 + (label * sigmoid * score[r]).exp());
                            let a = response.abs();
                            *o = [score_t(response * lw), score_t(a * (sigmoid - a) * lw)];
                        }
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
                let mut blocks: Vec<Vec<&mut [[f64; 2]]>> = Vec::new();
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
            assert!((gh[0][r][0] - (p - y[r])).abs() < 1e-7);
            assert!((gh[0][r][1] - p * (1.0 - p)).abs() < 1e-7);
            // Stored as LightGBM's `float` gradients.
            assert_eq!(gh[0][r].map(|v| v as f32 as f64), gh[0][r]);
        }
        let init = loss.init_scores(&[1.0, 0.0, 0.0, 0.0], None);
        assert!((init[0] - (1.0f64 / 3.0).ln()).abs() < 1e-12);
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
        assert!((gh[2][0][0] - (1.0 / 3.0 - 1.0)).abs() < 1e-7);
        assert!((gh[0][0][1] - 1.5 * (2.0 / 9.0)).abs() < 1e-7);
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
                assert_eq!(ghc[r].map(f64::to_bits), want.map(f64::to_bits), "{c} {r}");
            }
        }
        let loss = Loss {
            objective: Objective::Regression,
            scale_pos_weight: 1.0,
        };
        assert_eq!(loss.init_scores(&[1.0, 3.0], Some(&[1.0, 3.0])), vec![2.5]);
    }
}
