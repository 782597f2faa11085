//! Initial centres: greedy k-means++ (as scikit-learn's `_kmeans_plusplus`) and plain random.

use cartera_core::{CarteraRng, Float};
use rayon::prelude::*;

use crate::kernel::{BLOCK_ROWS, Prepared, n_blocks, sq_dist};

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
    // Which chosen centre each row is closest to (for pruning).
    let mut owner = vec![0u32; n];

    // Distances of every row to every candidate (n x trials), reused for the winner.
    let mut cand_dist = vec![F::zero(); n * trials];
    let mut cand_pot = vec![0.0f64; n_blocks(n) * trials];
    let mut cand = vec![0usize; trials];
    for _ in 1..k {
        for c in cand.iter_mut() {
            *c = sample(&closest, &weights, &block_pot, rng.uniform() * current);
        }
        // Squared distances from every chosen centre to every candidate, for pruning: when
        // `‖x − a‖ <= ‖a − c‖ / 2` for the centre `a` closest to `x`, the triangle inequality
        // gives `‖x − c‖ >= ‖x − a‖`, so candidate `c` cannot bring `x` closer and its row is
        // not even read. On segmented data most rows are skipped after the first centres.
        let m = centres.len() / d;
        let dcc: Vec<F> = (0..m)
            .flat_map(|a| {
                let ca = &centres[a * d..(a + 1) * d];
                cand.iter().map(move |&ci| sq_dist(ca, row(ci)))
            })
            .collect();
        let four = F::cast_from_f64(4.0);
        cand_dist
            .par_chunks_mut(BLOCK_ROWS * trials)
            .zip(cand_pot.par_chunks_mut(trials))
            .enumerate()
            .for_each(|(b, (cd, pot))| {
                pot.fill(0.0);
                for (i, out) in cd.chunks_exact_mut(trials).enumerate() {
                    let r = b * BLOCK_ROWS + i;
                    let (cl, wr) = (closest[r], weights[r]);
                    let o = owner[r] as usize;
                    let near = &dcc[o * trials..(o + 1) * trials];
                    let bound = four * cl;
                    for (((o, &ci), pt), &dc) in
                        out.iter_mut().zip(&cand).zip(pot.iter_mut()).zip(near)
                    {
                        *o = if bound <= dc {
                            cl
                        } else {
                            let dist = sq_dist(row(r), row(ci));
                            if dist < cl { dist } else { cl }
                        };
                        *pt += o.as_f64() * wr;
                    }
                }
            });
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
            .zip(owner.par_chunks_mut(BLOCK_ROWS))
            .zip(block_pot.par_iter_mut())
            .enumerate()
            .for_each(|(b, ((cl, ow), pot))| {
                for (i, (c, o)) in cl.iter_mut().zip(ow).enumerate() {
                    let new = cand_dist[(b * BLOCK_ROWS + i) * trials + best];
                    if new < *c {
                        *o = m as u32;
                    }
                    *c = new;
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
