//! Elkan's algorithm (Elkan 2003): Lloyd's iterations, skipping distance computations that the
//! triangle inequality proves useless. Same labels, centres and iteration count as Lloyd (up to
//! exact distance ties), mirroring scikit-learn's `_kmeans_single_elkan`.
//!
//! Memory: one upper bound per row and one lower bound per (row, centre), `n * (k + 1)` values.

use cartera_core::Float;
use rayon::prelude::*;

use crate::kernel::{
    BLOCK_ROWS, Prepared, inertia, n_blocks, partial_len, sq_dist, update_centres,
};
use crate::lloyd::Run;

/// Half the distance between every pair of centres (`k * k`) and, per centre, half the distance
/// to its nearest other centre.
fn half_distances<F: Float>(centres: &[F], k: usize, d: usize) -> (Vec<F>, Vec<F>) {
    let two = F::one() + F::one();
    let mut half = vec![F::zero(); k * k];
    for a in 0..k {
        for b in a + 1..k {
            let h =
                sq_dist(&centres[a * d..(a + 1) * d], &centres[b * d..(b + 1) * d]).sqrt() / two;
            half[a * k + b] = h;
            half[b * k + a] = h;
        }
    }
    let next = (0..k)
        .map(|a| {
            (0..k)
                .filter(|&b| b != a)
                .map(|b| half[a * k + b])
                .fold(F::infinity(), |m, v| if v < m { v } else { m })
        })
        .collect();
    (half, next)
}

/// Runs Elkan iterations from `init` (requires `k >= 2`; the caller falls back to Lloyd).
pub(crate) fn elkan<F: Float>(
    p: &Prepared<F>,
    init: Vec<F>,
    k: usize,
    max_iter: usize,
    tol: f64,
) -> Run<F> {
    let (n, d) = (p.n, p.d);
    let mut centres = init;
    let mut new = vec![F::zero(); k * d];
    let mut labels = vec![0u32; n];
    let mut upper = vec![F::zero(); n];
    let mut lower = vec![F::zero(); n * k];
    let mut partial = vec![F::zero(); n_blocks(n) * partial_len(k, d)];
    let (mut half, mut next) = half_distances(&centres, k, d);

    // Exact initial labels and bounds (scikit-learn's `init_bounds_dense`).
    labels
        .par_chunks_mut(BLOCK_ROWS)
        .zip(upper.par_chunks_mut(BLOCK_ROWS))
        .zip(lower.par_chunks_mut(BLOCK_ROWS * k))
        .enumerate()
        .for_each(|(b, ((lab, up), low))| {
            for (i, ((l, u), lb)) in lab
                .iter_mut()
                .zip(up)
                .zip(low.chunks_exact_mut(k))
                .enumerate()
            {
                let r = b * BLOCK_ROWS + i;
                let x = &p.data[r * d..(r + 1) * d];
                let mut best = 0;
                let mut min = sq_dist(x, &centres[..d]).sqrt();
                lb[0] = min;
                for j in 1..k {
                    if min > half[best * k + j] {
                        let dist = sq_dist(x, &centres[j * d..(j + 1) * d]).sqrt();
                        lb[j] = dist;
                        if dist < min {
                            min = dist;
                            best = j;
                        }
                    }
                }
                *l = best as u32;
                *u = min;
            }
        });

    let (mut n_iter, mut strict, mut converged) = (0, false, false);
    for it in 0..max_iter {
        n_iter = it + 1;
        let changed = elkan_step(
            p,
            &centres,
            &half,
            &next,
            &mut labels,
            &mut upper,
            &mut lower,
            Some(&mut partial),
        );
        let shift = update_centres(p, &centres, &labels, &partial, k, &mut new);
        // Move the bounds with the centres.
        labels
            .par_chunks(BLOCK_ROWS)
            .zip(upper.par_chunks_mut(BLOCK_ROWS))
            .zip(lower.par_chunks_mut(BLOCK_ROWS * k))
            .for_each(|((lab, up), low)| {
                for ((&l, u), lb) in lab.iter().zip(up).zip(low.chunks_exact_mut(k)) {
                    *u += shift[l as usize];
                    for (v, &s) in lb.iter_mut().zip(&shift) {
                        *v -= s;
                        if *v < F::zero() {
                            *v = F::zero();
                        }
                    }
                }
            });
        (half, next) = half_distances(&new, k, d);
        std::mem::swap(&mut centres, &mut new);
        // The first iteration compares with "no labels yet", as scikit-learn's `labels_old = -1`.
        if it > 0 && changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        let shift_tot: f64 = shift.iter().map(|s| s.as_f64().powi(2)).sum();
        if shift_tot <= tol {
            converged = true;
            break;
        }
    }
    if !strict {
        elkan_step(
            p,
            &centres,
            &half,
            &next,
            &mut labels,
            &mut upper,
            &mut lower,
            None,
        );
    }
    let inertia = inertia(&p.data, &p.weights, d, &centres, &labels);
    Run {
        centres,
        labels,
        inertia,
        n_iter,
        converged,
    }
}

/// One bounded assignment pass (scikit-learn's `elkan_iter_chunked_dense`); returns how many
/// labels changed. With `partial`, also writes each block's weighted sums.
#[allow(clippy::too_many_arguments)]
fn elkan_step<F: Float>(
    p: &Prepared<F>,
    centres: &[F],
    half: &[F],
    next: &[F],
    labels: &mut [u32],
    upper: &mut [F],
    lower: &mut [F],
    partial: Option<&mut [F]>,
) -> usize {
    let d = p.d;
    let k = next.len();
    let plen = partial_len(k, d);
    let work = |b: usize,
                lab: &mut [u32],
                up: &mut [F],
                low: &mut [F],
                mut part: Option<&mut [F]>|
     -> usize {
        if let Some(part) = part.as_deref_mut() {
            part.fill(F::zero());
        }
        let mut changed = 0;
        for (i, ((l, u), lb)) in lab
            .iter_mut()
            .zip(up.iter_mut())
            .zip(low.chunks_exact_mut(k))
            .enumerate()
        {
            let r = b * BLOCK_ROWS + i;
            let x = &p.data[r * d..(r + 1) * d];
            let start = *l as usize;
            let mut label = start;
            let mut ub = *u;
            let mut tight = false;
            // Bounds are finite (finite data), so this is scikit-learn's `not (s(c) >= u)`.
            if next[label] < ub {
                for j in 0..k {
                    if j != label && ub > lb[j] && ub > half[label * k + j] {
                        if !tight {
                            ub = sq_dist(x, &centres[label * d..(label + 1) * d]).sqrt();
                            lb[label] = ub;
                            tight = true;
                        }
                        if ub > lb[j] || ub > half[label * k + j] {
                            let dist = sq_dist(x, &centres[j * d..(j + 1) * d]).sqrt();
                            lb[j] = dist;
                            if dist < ub {
                                label = j;
                                ub = dist;
                            }
                        }
                    }
                }
                *l = label as u32;
                *u = ub;
            }
            if label != start {
                changed += 1;
            }
            if let Some(part) = part.as_deref_mut() {
                let wi = p.weights[r];
                let (sums, weights) = part.split_at_mut(k * d);
                for (s, &v) in sums[label * d..(label + 1) * d].iter_mut().zip(x) {
                    *s += v * wi;
                }
                weights[label] += wi;
            }
        }
        changed
    };
    match partial {
        Some(partial) => labels
            .par_chunks_mut(BLOCK_ROWS)
            .zip(upper.par_chunks_mut(BLOCK_ROWS))
            .zip(lower.par_chunks_mut(BLOCK_ROWS * k))
            .zip(partial.par_chunks_mut(plen))
            .enumerate()
            .map(|(b, (((lab, up), low), part))| work(b, lab, up, low, Some(part)))
            .sum(),
        None => labels
            .par_chunks_mut(BLOCK_ROWS)
            .zip(upper.par_chunks_mut(BLOCK_ROWS))
            .zip(lower.par_chunks_mut(BLOCK_ROWS * k))
            .enumerate()
            .map(|(b, ((lab, up), low))| work(b, lab, up, low, None))
            .sum(),
    }
}
