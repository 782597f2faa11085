//! Initial centres: greedy k-means++ (as scikit-learn's `_kmeans_plusplus`) and plain random.

use cartera_core::{CarteraRng, Float};
use rayon::prelude::*;

use crate::kernel::{BLOCK_ROWS, CentreTable, Prepared, n_blocks, sq_dist, sq_norm};

/// Greedy k-means++ (Arthur and Vassilvitskii 2007, with scikit-learn's greedy variant): the
/// first centre is a row drawn with probability proportional to its weight; each next centre is
/// the best of `2 + ⌊ln k⌋` candidates drawn with probability proportional to
/// `w · D(x)²`, "best" meaning the smallest resulting potential (ties: first candidate).
///
/// All random draws come from `rng` in a fixed order; distances are computed per row block in
/// parallel and potentials reduced in block order, so the result does not depend on threads.
/// Returns `k * d` row-major centres (in the centred coordinates of `p`).
pub(crate) fn kmeans_plusplus<F: Float>(p: &Prepared<F>, k: usize, rng: &mut CarteraRng) -> Vec<F> {
    let (n, d) = (p.n, p.d);
    let trials = 2 + (k as f64).ln().floor() as usize;
    let weights: Vec<f64> = p.weights.iter().map(|w| w.as_f64()).collect();
    let mut centres = Vec::with_capacity(k * d);
    let first = rng.weighted_index(&weights);
    centres.extend_from_slice(&p.data[first * d..(first + 1) * d]);
    let row = |i: usize| &p.data[i * d..(i + 1) * d];

    // Squared distance of each row to its closest chosen centre, and per-block potentials.
    let mut closest = vec![F::zero(); n];
    let mut block_pot = vec![0.0f64; n_blocks(n)];
    closest
        .par_chunks_mut(BLOCK_ROWS)
        .zip(block_pot.par_iter_mut())
        .enumerate()
        .for_each(|(b, (cl, pot))| {
            let mut s = 0.0;
            for (i, c) in cl.iter_mut().enumerate() {
                let r = b * BLOCK_ROWS + i;
                *c = sq_dist(row(r), row(first));
                s += c.as_f64() * weights[r];
            }
            *pot = s;
        });
    let mut current: f64 = block_pot.iter().sum();

    // Squared norms of the rows, for `‖x − c‖² = ‖x‖² + ‖c‖² − 2x·c` (as scikit-learn's
    // `_kmeans_plusplus`, which calls `euclidean_distances` with the norms precomputed).
    let norms: Vec<F> = p.data.par_chunks(d.max(1)).map(sq_norm).collect();

    // Distances of every row to every candidate (n x trials), reused for the winner.
    let mut cand_dist = vec![F::zero(); n * trials];
    let mut cand_pot = vec![0.0f64; n_blocks(n) * trials];
    let mut cand = vec![0usize; trials];
    let mut cand_rows = vec![F::zero(); trials * d];
    for _ in 1..k {
        for (t, c) in cand.iter_mut().enumerate() {
            *c = sample(&closest, &weights, &block_pot, rng.uniform() * current);
            cand_rows[t * d..(t + 1) * d].copy_from_slice(row(*c));
        }
        // All candidates against a block of rows at once with the register-tiled dot-product
        // kernel of the Lloyd step: the candidates play the centres.
        let table = CentreTable::new(&cand_rows, trials, d);
        let two = F::cast_from_f64(2.0);
        cand_dist
            .par_chunks_mut(BLOCK_ROWS * trials)
            .zip(cand_pot.par_chunks_mut(trials))
            .enumerate()
            .for_each_init(
                || vec![F::zero(); BLOCK_ROWS * trials],
                |dots, (b, (cd, pot))| {
                    let start = b * BLOCK_ROWS;
                    let m = cd.len() / trials;
                    table.dots(
                        &p.data[start * d..(start + m) * d],
                        d,
                        &mut dots[..m * trials],
                    );
                    pot.fill(0.0);
                    for (i, (out, dx)) in cd
                        .chunks_exact_mut(trials)
                        .zip(dots.chunks_exact(trials))
                        .enumerate()
                    {
                        let r = start + i;
                        let (cl, wr, nx) = (closest[r], weights[r], norms[r]);
                        for (((o, &dt), &nc), pt) in
                            out.iter_mut().zip(dx).zip(&table.norms).zip(pot.iter_mut())
                        {
                            // Rounding can make the expansion slightly negative for a row
                            // that is itself the candidate.
                            let dist = (nx + nc - two * dt).max(F::zero());
                            *o = if dist < cl { dist } else { cl };
                            *pt += o.as_f64() * wr;
                        }
                    }
                },
            );
        let mut totals = vec![0.0f64; trials];
        for pot in cand_pot.chunks_exact(trials) {
            for (t, v) in totals.iter_mut().zip(pot) {
                *t += v;
            }
        }
        let mut best = 0;
        for t in 1..trials {
            if totals[t] < totals[best] {
                best = t;
            }
        }
        current = totals[best];
        closest
            .par_chunks_mut(BLOCK_ROWS)
            .zip(block_pot.par_iter_mut())
            .enumerate()
            .for_each(|(b, (cl, pot))| {
                for (i, c) in cl.iter_mut().enumerate() {
                    *c = cand_dist[(b * BLOCK_ROWS + i) * trials + best];
                }
                *pot = cand_pot[b * trials + best];
            });
        centres.extend_from_slice(row(cand[best]));
    }
    centres
}

/// The first row whose running sum of `w · D²` reaches `target` (scikit-learn's
/// `searchsorted` on the cumulative sum), found block by block. Falls back to the last row with
/// a positive contribution when rounding leaves `target` above the total.
fn sample<F: Float>(closest: &[F], weights: &[f64], block_pot: &[f64], target: f64) -> usize {
    let mut acc = 0.0f64;
    for (b, &pot) in block_pot.iter().enumerate() {
        if acc + pot >= target && pot > 0.0 {
            let start = b * BLOCK_ROWS;
            let end = (start + BLOCK_ROWS).min(closest.len());
            for i in start..end {
                acc += closest[i].as_f64() * weights[i];
                if acc >= target {
                    return i;
                }
            }
            return end - 1;
        }
        acc += pot;
    }
    (0..closest.len())
        .rev()
        .find(|&i| closest[i].as_f64() * weights[i] > 0.0)
        .unwrap_or(closest.len() - 1)
}

/// `k` distinct rows drawn without replacement with probability proportional to their weight
/// (scikit-learn's `init='random'`).
pub(crate) fn random_rows<F: Float>(p: &Prepared<F>, k: usize, rng: &mut CarteraRng) -> Vec<F> {
    let d = p.d;
    let mut weights: Vec<f64> = p.weights.iter().map(|w| w.as_f64()).collect();
    let mut centres = Vec::with_capacity(k * d);
    for _ in 0..k {
        let i = rng.weighted_index(&weights);
        weights[i] = 0.0;
        centres.extend_from_slice(&p.data[i * d..(i + 1) * d]);
    }
    centres
}
