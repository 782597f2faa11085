//! The penalised log-loss and its gradient: fused, block-parallel, deterministic.
//!
//! One pass over each block of rows computes `z = X·w + b`, the loss and the residual
//! `r = s (p − y)`, and accumulates `Xᵀ r` while the row is still in cache. Blocks have a fixed
//! number of rows ([`BLOCK_ROWS`]), their partial sums are added in block order in `f64`, so
//! the result has the same bits on 1 or 64 threads.

use cartera_core::Float;
use rayon::prelude::*;

/// Rows per block: fixed by the data, never by the thread count.
pub(crate) const BLOCK_ROWS: usize = 1024;

/// Everything the loss needs; parameters are laid out class by class as
/// `[w_k0 .. w_k(d-1), b_k]` (`n_out` classes: 1 for binary, K for multinomial).
pub(crate) struct Objective<'a, F> {
    pub(crate) x: &'a [F],
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) y: &'a [usize],
    pub(crate) sw: &'a [F],
    pub(crate) sw_total: f64,
    pub(crate) n_out: usize,
    pub(crate) fit_intercept: bool,
    /// Penalty on `‖w‖²/2` in the scaled objective (`1 / (C S)`), 0 for none.
    pub(crate) l2: f64,
    /// Report whether the current parameters separate the training rows (no penalty only).
    pub(crate) check_separation: bool,
    /// Number of evaluations so far (reported on the model).
    pub(crate) evals: std::sync::atomic::AtomicUsize,
    /// With an intercept: the origin `m` the parameters are measured from (the weighted
    /// column means of a sample of rows; any origin gives the same optimum).
    /// The optimiser then sees `(w, c)` with intercept `b = c − m·w`: the same optimum, but
    /// columns far from zero (incomes, years) no longer tie the intercept to every weight,
    /// which made the problem so ill-conditioned that L-BFGS met its gradient tolerance
    /// far from the optimum. Empty without an intercept.
    pub(crate) centre: Vec<f64>,
    /// `centre` as `F` when the kernels subtract it from each row as they read it (the `f32`
    /// fit: in `f32`, `x·w` and `Σ r x` on raw columns far from zero lose the digits the chain
    /// rule below would need); empty otherwise. With it, `(w, c)` score the centred rows
    /// directly and no chain rule applies. In `f64` the chain rule on the raw rows is exact
    /// enough and costs nothing.
    pub(crate) row_centre: Vec<F>,
}

/// One evaluation: the scaled objective, and whether every row with positive weight is
/// classified strictly correctly (then the unpenalised optimum does not exist).
pub(crate) struct Eval {
    pub(crate) f: f64,
    pub(crate) separated: bool,
}

struct BlockOut<F> {
    loss: f64,
    grad: Vec<F>,
    misclassified: usize,
}

impl<F: Float> Objective<'_, F> {
    /// Number of parameters.
    pub(crate) fn dim(&self) -> usize {
        self.n_out * (self.d + 1)
    }

    /// Objective at `w`, gradient written to `grad`.
    pub(crate) fn eval(&self, w: &[f64], grad: &mut [f64]) -> Eval {
        self.evals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = self.d + 1;
        let centre_rows = !self.row_centre.is_empty();
        let params = if centre_rows {
            w.to_vec()
        } else {
            self.intercepts_of(w)
        };
        let wf: Vec<F> = params.iter().map(|&v| F::cast_from_f64(v)).collect();
        let m = centre_rows.then_some(&self.row_centre[..]);
        let n_blocks = self.n.div_ceil(BLOCK_ROWS);
        let parts: Vec<BlockOut<F>> = (0..n_blocks)
            .into_par_iter()
            .map(|b| {
                let start = b * BLOCK_ROWS;
                let end = (start + BLOCK_ROWS).min(self.n);
                let rows = &self.x[start * self.d..end * self.d];
                let y = &self.y[start..end];
                let s = &self.sw[start..end];
                // The centring variant is its own instance: no test per row without it.
                match (self.n_out, m) {
                    (1, Some(m)) => binary_block::<F, true>(rows, self.d, y, s, &wf, m),
                    (1, None) => binary_block::<F, false>(rows, self.d, y, s, &wf, &[]),
                    (k, Some(m)) => multinomial_block::<F, true>(rows, self.d, y, s, &wf, k, m),
                    (k, None) => multinomial_block::<F, false>(rows, self.d, y, s, &wf, k, &[]),
                }
            })
            .collect();
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        let mut misclassified = 0;
        for part in &parts {
            loss += part.loss;
            misclassified += part.misclassified;
            for (g, v) in grad.iter_mut().zip(&part.grad) {
                *g += v.as_f64();
            }
        }
        let scale = 1.0 / self.sw_total;
        let mut penalty = 0.0;
        for k in 0..self.n_out {
            for j in 0..p {
                let i = k * p + j;
                grad[i] *= scale;
                if j < self.d {
                    penalty += w[i] * w[i];
                    grad[i] += self.l2 * w[i];
                } else if !self.fit_intercept {
                    grad[i] = 0.0;
                }
            }
        }
        // Chain rule for b = c − m·w: ∂f/∂w = ∂f/∂w|_b − m ∂f/∂b, ∂f/∂c = ∂f/∂b.
        if !self.centre.is_empty() && !centre_rows {
            for k in 0..self.n_out {
                let gb = grad[k * p + self.d];
                for (g, m) in grad[k * p..k * p + self.d].iter_mut().zip(&self.centre) {
                    *g -= m * gb;
                }
            }
        }
        Eval {
            f: loss * scale + 0.5 * self.l2 * penalty,
            separated: self.check_separation && misclassified == 0,
        }
    }

    /// The parameters `[w, b]` per class from the optimiser's `[w, c]` (`b = c − m·w`; the
    /// same vector without a centre).
    pub(crate) fn intercepts_of(&self, theta: &[f64]) -> Vec<f64> {
        let mut out = theta.to_vec();
        if !self.centre.is_empty() {
            let p = self.d + 1;
            for k in 0..self.n_out {
                let shift: f64 = theta[k * p..k * p + self.d]
                    .iter()
                    .zip(&self.centre)
                    .map(|(w, m)| w * m)
                    .sum();
                out[k * p + self.d] -= shift;
            }
        }
        out
    }
}

/// `Σ a_i b_i` with 4 independent accumulators, so the compiler can vectorise it.
#[inline(always)]
pub(crate) fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    let b = &b[..a.len()];
    let mut acc = [F::zero(); 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut tail = F::zero();
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += *x * *y;
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

#[inline(always)]
fn axpy<F: Float>(acc: &mut [F], r: F, x: &[F]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a += r * *v;
    }
}

/// `log(1 + e^z)` and `σ(z)` from one exponential, without overflow.
#[inline(always)]
pub(crate) fn log1pexp_sigmoid<F: Float>(z: F) -> (F, F) {
    let e = (-z.abs()).exp();
    let lse = z.max(F::zero()) + e.ln_1p();
    let p = if z >= F::zero() {
        F::one() / (F::one() + e)
    } else {
        e / (F::one() + e)
    };
    (lse, p)
}

/// Loss, residual and "misclassified" flag of one binary row with score `z`.
#[inline(always)]
fn binary_row<F: Float>(z: F, label: usize, si: F) -> (f64, F, bool) {
    let (lse, p) = log1pexp_sigmoid(z);
    let positive = label == 1;
    let yf = if positive { F::one() } else { F::zero() };
    let loss = (si * (lse - yf * z)).as_f64();
    let wrong = si > F::zero() && (z == F::zero() || (z > F::zero()) != positive);
    (loss, si * (p - yf), wrong)
}

/// How far ahead of the current row the blocks request cache lines: two rows plus this many
/// bytes. The rows stream from memory once per evaluation, and a core alone keeps too few
/// misses in flight: on 258,812 x 114 `f64` (the telco study's baseline) an evaluation read
/// about 10 GB/s on 2 threads without the requests and about 20 GB/s with them (fit 1.99 s
/// against 0.97-1.05 s). Measured there with 2, 4, 8, 16 and 32 rows ahead: 2-4 best (the
/// lines of a pair requested together matter more than the distance), 32 clearly worse.
#[cfg(target_arch = "x86_64")]
const PREFETCH_BYTES: usize = 1024;

/// Rows ahead of the current one whose lines are requested, for rows of `d` values of `F`;
/// `None` for rows narrower than [`PREFETCH_MIN_ROW_BYTES`], a stream the hardware prefetcher
/// follows on its own (the requests there are only extra instructions: +11 % on 2,000 x 10).
#[cfg(target_arch = "x86_64")]
pub(crate) fn rows_ahead<F>(d: usize) -> Option<usize> {
    let row = d * std::mem::size_of::<F>();
    (row >= PREFETCH_MIN_ROW_BYTES).then(|| 2 + PREFETCH_BYTES / row)
}

/// Narrowest row (bytes) whose lines are requested ahead: two cache lines.
#[cfg(target_arch = "x86_64")]
const PREFETCH_MIN_ROW_BYTES: usize = 128;

/// `row` less `m` into `buf` when `CENTRE` (the rows as the kernels see them), else `row`.
#[inline(always)]
fn less<'a, F: Float, const CENTRE: bool>(row: &'a [F], m: &[F], buf: &'a mut [F]) -> &'a [F] {
    if CENTRE {
        for ((o, &v), &mj) in buf.iter_mut().zip(row).zip(m) {
            *o = v - mj;
        }
        buf
    } else {
        row
    }
}

fn binary_block<F: Float, const CENTRE: bool>(
    rows: &[F],
    d: usize,
    y: &[usize],
    s: &[F],
    w: &[F],
    m: &[F],
) -> BlockOut<F> {
    let (coef, b) = (&w[..d], w[d]);
    let scratch = if CENTRE { d } else { 0 };
    let (mut c0, mut c1) = (vec![F::zero(); scratch], vec![F::zero(); scratch]);
    let mut grad = vec![F::zero(); d + 1];
    let mut loss = 0.0f64;
    let mut gb = F::zero();
    let mut misclassified = 0;
    #[cfg(target_arch = "x86_64")]
    let ahead = rows_ahead::<F>(d);
    // Two rows per step: one read-modify-write of the gradient serves both rows.
    let mut pairs = rows.chunks_exact(2 * d);
    let mut i = 0;
    for pair in &mut pairs {
        #[cfg(target_arch = "x86_64")]
        if let Some(ahead) = ahead {
            cartera_core::dots::prefetch_rows(rows, (i + ahead) * d, 2 * d);
        }
        let (r0, r1) = pair.split_at(d);
        let r0 = less::<F, CENTRE>(r0, m, &mut c0);
        let r1 = less::<F, CENTRE>(r1, m, &mut c1);
        let (l0, q0, w0) = binary_row(dot(r0, coef) + b, y[i], s[i]);
        let (l1, q1, w1) = binary_row(dot(r1, coef) + b, y[i + 1], s[i + 1]);
        loss += l0 + l1;
        misclassified += usize::from(w0) + usize::from(w1);
        for ((g, a), c) in grad[..d].iter_mut().zip(r0).zip(r1) {
            *g += q0 * *a + q1 * *c;
        }
        gb += q0 + q1;
        i += 2;
    }
    let rest = pairs.remainder();
    if !rest.is_empty() {
        let rest = less::<F, CENTRE>(rest, m, &mut c0);
        let (l0, q0, w0) = binary_row(dot(rest, coef) + b, y[i], s[i]);
        loss += l0;
        misclassified += usize::from(w0);
        axpy(&mut grad[..d], q0, rest);
        gb += q0;
    }
    grad[d] = gb;
    BlockOut {
        loss,
        grad,
        misclassified,
    }
}

fn multinomial_block<F: Float, const CENTRE: bool>(
    rows: &[F],
    d: usize,
    y: &[usize],
    s: &[F],
    w: &[F],
    k: usize,
    m: &[F],
) -> BlockOut<F> {
    let p = d + 1;
    let mut grad = vec![F::zero(); k * p];
    let mut c0 = vec![F::zero(); if CENTRE { d } else { 0 }];
    let mut z = vec![F::zero(); k];
    let mut loss = 0.0f64;
    let mut misclassified = 0;
    #[cfg(target_arch = "x86_64")]
    let ahead = rows_ahead::<F>(d);
    for (i, row) in rows.chunks_exact(d).enumerate() {
        #[cfg(target_arch = "x86_64")]
        if let Some(ahead) = ahead {
            cartera_core::dots::prefetch_rows(rows, (i + ahead) * d, d);
        }
        let row = less::<F, CENTRE>(row, m, &mut c0);
        let mut zmax = F::neg_infinity();
        for c in 0..k {
            let wc = &w[c * p..(c + 1) * p];
            z[c] = dot(row, &wc[..d]) + wc[d];
            zmax = zmax.max(z[c]);
        }
        let yi = y[i];
        let zy = z[yi] - zmax;
        let mut sum = F::zero();
        for zc in z.iter_mut() {
            *zc = (*zc - zmax).exp();
            sum += *zc;
        }
        let si = s[i];
        // z now holds exp(z_c − zmax): the loss log Σ exp(z_c) − z_y never overflows.
        loss += (si * (sum.ln() - zy)).as_f64();
        let inv = F::one() / sum;
        let mut wins = true;
        for c in 0..k {
            let pc = z[c] * inv;
            if c != yi && z[c] >= z[yi] {
                wins = false;
            }
            let r = si * (pc - if c == yi { F::one() } else { F::zero() });
            let g = &mut grad[c * p..(c + 1) * p];
            axpy(&mut g[..d], r, row);
            g[d] += r;
        }
        if si > F::zero() && !wins {
            misclassified += 1;
        }
    }
    BlockOut {
        loss,
        grad,
        misclassified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective<'a>(
        x: &'a [f64],
        n: usize,
        d: usize,
        y: &'a [usize],
        sw: &'a [f64],
        n_out: usize,
        l2: f64,
    ) -> Objective<'a, f64> {
        Objective {
            x,
            n,
            d,
            y,
            sw,
            sw_total: sw.iter().sum(),
            n_out,
            fit_intercept: true,
            l2,
            check_separation: false,
            evals: Default::default(),
            centre: Vec::new(),
            row_centre: Vec::new(),
        }
    }

    /// The analytic gradient matches central differences (binary and multinomial, with and
    /// without a centre).
    #[test]
    fn gradient_matches_finite_differences() {
        let n = 2500; // more than two blocks
        let d = 5;
        let x: Vec<f64> = (0..n * d)
            .map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0)
            .collect();
        // Also with the parameters measured from a centre (the fit's chain rule for
        // b = c − m·w), binary and multinomial, weighted.
        // And with the kernels centring the rows themselves (the f32 fit's way).
        for (k, centred, rows) in [
            (2usize, false, false),
            (4, false, false),
            (2, true, false),
            (4, true, false),
            (2, true, true),
            (4, true, true),
        ] {
            let y: Vec<usize> = (0..n).map(|i| (i * 31 + i / 7) % k).collect();
            let sw: Vec<f64> = (0..n).map(|i| 0.5 + (i % 3) as f64).collect();
            let n_out = if k == 2 { 1 } else { k };
            let mut obj = objective(&x, n, d, &y, &sw, n_out, 0.3);
            if centred {
                obj.centre = vec![0.7, -1.3, 2.0, 0.1, -0.4];
                if rows {
                    obj.row_centre = obj.centre.clone();
                }
            }
            let w: Vec<f64> = (0..obj.dim()).map(|i| 0.1 * i as f64 - 0.4).collect();
            let mut g = vec![0.0; obj.dim()];
            obj.eval(&w, &mut g);
            let mut tmp = vec![0.0; obj.dim()];
            for i in 0..obj.dim() {
                let h = 1e-6;
                let mut wp = w.clone();
                wp[i] += h;
                let fp = obj.eval(&wp, &mut tmp).f;
                wp[i] -= 2.0 * h;
                let fm = obj.eval(&wp, &mut tmp).f;
                let fd = (fp - fm) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-7,
                    "k={k} centred={centred} rows={rows} i={i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn large_margins_do_not_overflow() {
        for z in [-1000.0f64, -40.0, 0.0, 40.0, 1000.0] {
            let (l, p) = log1pexp_sigmoid(z);
            assert!(l.is_finite() && p.is_finite(), "{z}");
            assert!((0.0..=1.0).contains(&p));
        }
        let (l, _) = log1pexp_sigmoid(1000.0f64);
        assert_eq!(l, 1000.0);
        let (l, p) = log1pexp_sigmoid(-1000.0f32);
        assert_eq!((l, p), (0.0, 0.0));
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 3.0 - i as f64).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-12);
    }
}
