//! Initial centres: greedy k-means++ (as scikit-learn's `_kmeans_plusplus`) and plain random.

use cartera_core::{CarteraRng, Float};
use rayon::prelude::*;

use crate::kernel::{BLOCK_ROWS, CentreTable, Prepared, n_blocks, sq_dist, sq_norm};

/// Candidates drawn per k-means++ step: scikit-learn's `2 + ⌊ln k⌋`.
fn n_trials(k: usize) -> usize {
    2 + (k as f64).ln().floor() as usize
}

/// The squared distance of a row (squared norm `nx`) to a candidate (squared norm `nc`, dot
/// product `dt`), or the row's current closest `cl` when that is nearer.
#[inline(always)]
fn nearer<F: Float>(nx: F, nc: F, dt: F, cl: F) -> F {
    // Rounding can make the expansion slightly negative for a row that is itself the
    // candidate.
    let dist = (nx + nc - F::cast_from_f64(2.0) * dt).max(F::zero());
    if dist < cl { dist } else { cl }
}

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
    let trials = n_trials(k);
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
            *c = sample(
                &closest,
                1,
                0,
                &weights,
                &block_pot,
                rng.uniform() * current,
            );
            cand_rows[t * d..(t + 1) * d].copy_from_slice(row(*c));
        }
        // All candidates against a block of rows at once with the register-tiled dot-product
        // kernel of the Lloyd step: the candidates play the centres.
        let table = CentreTable::new(&cand_rows, trials, d);
        cand_dist
            .par_chunks_mut(BLOCK_ROWS * trials)
            .zip(cand_pot.par_chunks_mut(trials))
            .enumerate()
            .for_each_init(
                || vec![F::zero(); BLOCK_ROWS * trials + trials],
                |scratch, (b, (cd, pot))| {
                    let start = b * BLOCK_ROWS;
                    let m = cd.len() / trials;
                    let (dots, acc) = scratch.split_at_mut(BLOCK_ROWS * trials);
                    table.dots(
                        &p.data[start * d..(start + m) * d],
                        d,
                        &mut dots[..m * trials],
                    );
                    // Summed in `F` within the block (see `ScoreBlock::score`).
                    acc.fill(F::zero());
                    for (i, (out, dx)) in cd
                        .chunks_exact_mut(trials)
                        .zip(dots.chunks_exact(trials))
                        .enumerate()
                    {
                        let r = start + i;
                        let (cl, wr, nx) = (closest[r], p.weights[r], norms[r]);
                        for (((o, &dt), &nc), a) in
                            out.iter_mut().zip(dx).zip(&table.norms).zip(acc.iter_mut())
                        {
                            *o = nearer(nx, nc, dt, cl);
                            *a += *o * wr;
                        }
                    }
                    for (pt, a) in pot.iter_mut().zip(acc.iter()) {
                        *pt = a.as_f64();
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

/// [`kmeans_plusplus`] for several restarts at once, one random stream each, in lock step:
/// every step draws each restart's candidates from its own stream, then one pass over the rows
/// scores all restarts' candidates together (and a second updates each restart's distances to
/// its winner). The rows are read once or twice per step instead of once per step and
/// restart, and the dot-product kernel gets `restarts x (2 + ⌊ln k⌋)` vectors at a time rather than 2-5,
/// which it multiplies far more efficiently. Each restart's centres are exactly those of
/// [`kmeans_plusplus`] with its stream (a dot product does not depend on the other vectors of
/// the table, and every sum keeps its order). Costs `restarts x n` extra distances of memory.
pub(crate) fn kmeans_plusplus_many<F: Float>(
    p: &Prepared<F>,
    k: usize,
    rngs: &mut [CarteraRng],
) -> Vec<Vec<F>> {
    // One restart has its own loop, which keeps its candidates' distances in place.
    if rngs.len() == 1 {
        return rngs
            .iter_mut()
            .map(|rng| kmeans_plusplus(p, k, rng))
            .collect();
    }
    let mut out = Vec::with_capacity(rngs.len());
    for group in rngs.chunks_mut(LOCKSTEP_RESTARTS) {
        let keep = p.n * group.len() * n_trials(k) <= KEEP_MAX;
        out.extend(seed_in_lock_step(p, k, group, keep));
    }
    out
}

/// Restarts seeded together (each costs one distance per row of extra memory).
const LOCKSTEP_RESTARTS: usize = 16;

/// Candidate distances (rows x candidates) small enough to keep between the scoring pass and
/// the update (32 MB of `f64`); beyond, the update recomputes the winners' distances instead.
const KEEP_MAX: usize = 1 << 22;

/// [`kmeans_plusplus_many`] with the choice made: `keep` stores every candidate's distances
/// during scoring and copies the winner's, otherwise they are recomputed (the same bits).
fn seed_in_lock_step<F: Float>(
    p: &Prepared<F>,
    k: usize,
    rngs: &mut [CarteraRng],
    keep: bool,
) -> Vec<Vec<F>> {
    let (n, d) = (p.n, p.d);
    let nr = rngs.len();
    let nb = n_blocks(n);
    let trials = n_trials(k);
    let nc = nr * trials;
    let weights: Vec<f64> = p.weights.iter().map(|w| w.as_f64()).collect();
    let row = |i: usize| &p.data[i * d..(i + 1) * d];
    let firsts: Vec<usize> = rngs
        .iter_mut()
        .map(|rng| rng.weighted_index(&weights))
        .collect();
    let mut centres: Vec<Vec<F>> = firsts
        .iter()
        .map(|&f| {
            let mut c = Vec::with_capacity(k * d);
            c.extend_from_slice(row(f));
            c
        })
        .collect();

    // Squared distance of each row to each restart's closest chosen centre (`closest[i * nr +
    // r]`) and per-block potentials (`block_pot[b * nr + r]`): a block's values are contiguous.
    let mut closest = vec![F::zero(); n * nr];
    let mut block_pot = vec![0.0f64; nb * nr];
    closest
        .par_chunks_mut(BLOCK_ROWS * nr)
        .zip(block_pot.par_chunks_mut(nr))
        .enumerate()
        .for_each(|(b, (cl, pot))| {
            pot.fill(0.0);
            for (i, c) in cl.chunks_exact_mut(nr).enumerate() {
                let r = b * BLOCK_ROWS + i;
                for ((c, &f), pt) in c.iter_mut().zip(&firsts).zip(pot.iter_mut()) {
                    *c = sq_dist(row(r), row(f));
                    *pt += c.as_f64() * weights[r];
                }
            }
        });
    let mut current = vec![0.0f64; nr];
    for pot in block_pot.chunks_exact(nr) {
        for (c, v) in current.iter_mut().zip(pot) {
            *c += v;
        }
    }

    // Squared norms of the rows, for `‖x − c‖² = ‖x‖² + ‖c‖² − 2x·c` (as scikit-learn's
    // `_kmeans_plusplus`, which calls `euclidean_distances` with the norms precomputed).
    let norms: Vec<F> = p.data.par_chunks(d.max(1)).map(sq_norm).collect();

    // Candidates are numbered trial-major, `j = t * nr + r` (trial `t` of restart `r`), so that
    // each trial's `nr` candidates line up with the row's `nr` closest distances and the loop
    // over them vectorises. Potential of every candidate per block: `cand_pot[b * nc + j]`.
    let mut cand_pot = vec![0.0f64; nb * nc];
    let mut cand = vec![0usize; nc];
    let mut cand_rows = vec![F::zero(); nc * d];
    let mut win_rows = vec![F::zero(); nr * d];
    let mut best = vec![0usize; nr];
    // One restart's candidate potentials summed over blocks.
    let mut totals = vec![0.0f64; trials];
    // The scored distances of every (row, candidate), `kept[i * nc + j]`, when kept.
    let mut kept = vec![F::zero(); if keep { n * nc } else { 0 }];
    for _ in 1..k {
        for (r, rng) in rngs.iter_mut().enumerate() {
            for t in 0..trials {
                let target = rng.uniform() * current[r];
                let c = sample(&closest, nr, r, &weights, &block_pot, target);
                let j = t * nr + r;
                cand[j] = c;
                cand_rows[j * d..(j + 1) * d].copy_from_slice(row(c));
            }
        }
        // All candidates against a block of rows at once with the register-tiled dot-product
        // kernel of the Lloyd step: the candidates play the centres.
        let table = CentreTable::new(&cand_rows, nc, d);
        let kept_blocks: Vec<Option<&mut [F]>> = if keep {
            kept.chunks_mut(BLOCK_ROWS * nc).map(Some).collect()
        } else {
            (0..nb).map(|_| None).collect()
        };
        cand_pot
            .par_chunks_mut(nc)
            .zip(closest.par_chunks(BLOCK_ROWS * nr))
            .zip(kept_blocks)
            .enumerate()
            .for_each_init(
                || vec![F::zero(); BLOCK_ROWS * nc + nc],
                |scratch, (b, ((pot, cl), kept))| {
                    let start = b * BLOCK_ROWS;
                    let m = cl.len() / nr;
                    let (dots, acc) = scratch.split_at_mut(BLOCK_ROWS * nc);
                    let block = ScoreBlock {
                        rows: &p.data[start * d..(start + m) * d],
                        d,
                        norms: &norms[start..start + m],
                        weights: &p.weights[start..start + m],
                        closest: cl,
                    };
                    block.score(&table, &mut dots[..m * nc], acc, pot);
                    if let Some(out) = kept {
                        out.copy_from_slice(&dots[..m * nc]);
                    }
                },
            );
        for r in 0..nr {
            totals.fill(0.0);
            for pot in cand_pot.chunks_exact(nc) {
                for (t, v) in totals.iter_mut().zip(pot[r..].iter().step_by(nr)) {
                    *t += v;
                }
            }
            let mut b = 0;
            for t in 1..trials {
                if totals[t] < totals[b] {
                    b = t;
                }
            }
            best[r] = b;
            current[r] = totals[b];
            let w = cand[b * nr + r];
            centres[r].extend_from_slice(row(w));
            win_rows[r * d..(r + 1) * d].copy_from_slice(row(w));
        }
        if keep {
            closest
                .par_chunks_mut(BLOCK_ROWS * nr)
                .zip(block_pot.par_chunks_mut(nr))
                .zip(cand_pot.par_chunks(nc))
                .zip(kept.par_chunks(BLOCK_ROWS * nc))
                .for_each(|(((cl, pot), cpot), kd)| {
                    for (cl, kd) in cl.chunks_exact_mut(nr).zip(kd.chunks_exact(nc)) {
                        for (r, c) in cl.iter_mut().enumerate() {
                            *c = kd[best[r] * nr + r];
                        }
                    }
                    for (r, pt) in pot.iter_mut().enumerate() {
                        *pt = cpot[best[r] * nr + r];
                    }
                });
            continue;
        }
        // Each restart's distances to its winner again (bit for bit those scored above), and
        // its block potentials from the scoring pass.
        let winners = CentreTable::new(&win_rows, nr, d);
        closest
            .par_chunks_mut(BLOCK_ROWS * nr)
            .zip(block_pot.par_chunks_mut(nr))
            .zip(cand_pot.par_chunks(nc))
            .enumerate()
            .for_each_init(
                || vec![F::zero(); BLOCK_ROWS * nr],
                |dots, (b, ((cl, pot), cpot))| {
                    let start = b * BLOCK_ROWS;
                    let m = cl.len() / nr;
                    winners.dots(&p.data[start * d..(start + m) * d], d, &mut dots[..m * nr]);
                    for (i, (cl, dx)) in cl
                        .chunks_exact_mut(nr)
                        .zip(dots.chunks_exact(nr))
                        .enumerate()
                    {
                        let nx = norms[start + i];
                        for ((c, &dt), &nc) in cl.iter_mut().zip(dx).zip(&winners.norms) {
                            *c = nearer(nx, nc, dt, *c);
                        }
                    }
                    for (r, pt) in pot.iter_mut().enumerate() {
                        *pt = cpot[best[r] * nr + r];
                    }
                },
            );
    }
    centres
}

/// One block of rows as the lock-step scoring pass sees it.
struct ScoreBlock<'a, F> {
    /// The block's rows, row-major (`m * d`).
    rows: &'a [F],
    d: usize,
    /// `‖x‖²` per row.
    norms: &'a [F],
    /// Weight per row.
    weights: &'a [F],
    /// Each row's squared distance to each restart's closest centre (`m * nr`).
    closest: &'a [F],
}

impl<F: Float> ScoreBlock<'_, F> {
    /// Fills `dx` (`m * nc`) with every row's squared distance to each candidate, or to its
    /// restart's closest centre when that is nearer, and `pot` (`nc`) with their weighted sums
    /// over the block's rows (in row order). Candidate `j` belongs to restart `j % nr`.
    ///
    /// The sums run in `F` (in `acc`, `nc` values of scratch) and are widened once per block:
    /// in `f32`, widening every term would run the loop at `f64`'s 4 lanes instead of 8, which
    /// made f32 seeding barely faster than f64. A block has 256 rows, so an `f32` block sum
    /// is good to about 1e-5 relative, enough to rank candidates (scikit-learn sums these
    /// potentials in the data's own precision too); the blocks are combined in `f64`.
    fn score(&self, table: &CentreTable<F>, dx: &mut [F], acc: &mut [F], pot: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if table.uses_fma() {
            if cartera_core::dots::has_avx512() {
                // SAFETY: the CPU reported AVX-512F besides AVX2 and FMA, all that
                // `score_avx512` requires.
                #[allow(unsafe_code)]
                return unsafe { self.score_avx512(table, dx, acc, pot) };
            }
            // SAFETY: the table uses its FMA build only when the CPU reported AVX2 and FMA,
            // which is all `score_avx2_fma` requires.
            #[allow(unsafe_code)]
            return unsafe { self.score_avx2_fma(table, dx, acc, pot) };
        }
        self.score_with::<false>(table, dx, acc, pot);
    }

    /// [`score`](Self::score) compiled for AVX2 + FMA: the distance loop then runs 4 `f64`
    /// (8 `f32`) lanes wide instead of SSE2's 2 (4).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn score_avx2_fma(&self, table: &CentreTable<F>, dx: &mut [F], acc: &mut [F], pot: &mut [f64]) {
        self.score_with::<true>(table, dx, acc, pot);
    }

    /// [`score`](Self::score) compiled for AVX-512F: the distance loop over the candidates runs
    /// 8 `f64` (16 `f32`) lanes wide, the same operations (the builds never fuse on their own).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn score_avx512(&self, table: &CentreTable<F>, dx: &mut [F], acc: &mut [F], pot: &mut [f64]) {
        self.score_with::<true>(table, dx, acc, pot);
    }

    #[inline(always)]
    fn score_with<const FMA: bool>(
        &self,
        table: &CentreTable<F>,
        dx: &mut [F],
        acc: &mut [F],
        pot: &mut [f64],
    ) {
        let nr = self.closest.len() / self.norms.len().max(1);
        table.dots_with::<FMA>(self.rows, self.d, dx);
        acc.fill(F::zero());
        let nc = pot.len();
        for (((dx, cl), &nx), &wr) in dx
            .chunks_exact_mut(nc)
            .zip(self.closest.chunks_exact(nr))
            .zip(self.norms)
            .zip(self.weights)
        {
            // One trial of every restart at a time: its `nr` candidates line up with `cl`.
            for ((dx, cn), acc) in dx
                .chunks_exact_mut(nr)
                .zip(table.norms.chunks_exact(nr))
                .zip(acc.chunks_exact_mut(nr))
            {
                for (((dt, &cn), &c), a) in dx.iter_mut().zip(cn).zip(cl).zip(acc.iter_mut()) {
                    *dt = nearer(nx, cn, *dt, c);
                    *a += *dt * wr;
                }
            }
        }
        for (pt, a) in pot.iter_mut().zip(acc.iter()) {
            *pt = a.as_f64();
        }
    }
}

/// The first row whose running sum of `w · D²` reaches `target` (scikit-learn's
/// `searchsorted` on the cumulative sum), found block by block, for restart `r` of `nr` whose
/// values are interleaved (`closest[i * nr + r]`, `block_pot[b * nr + r]`). Falls back to the
/// last row with a positive contribution when rounding leaves `target` above the total.
fn sample<F: Float>(
    closest: &[F],
    nr: usize,
    r: usize,
    weights: &[f64],
    block_pot: &[f64],
    target: f64,
) -> usize {
    let n = weights.len();
    let contribution = |i: usize| closest[i * nr + r].as_f64() * weights[i];
    let mut acc = 0.0f64;
    for b in 0..block_pot.len() / nr {
        let pot = block_pot[b * nr + r];
        if acc + pot >= target && pot > 0.0 {
            let start = b * BLOCK_ROWS;
            let end = (start + BLOCK_ROWS).min(n);
            for i in start..end {
                acc += contribution(i);
                if acc >= target {
                    return i;
                }
            }
            return end - 1;
        }
        acc += pot;
    }
    (0..n)
        .rev()
        .find(|&i| contribution(i) > 0.0)
        .unwrap_or(n - 1)
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

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::datasets::Blobs;
    use ndarray::Array2;

    /// Seeding restarts in lock step must give each restart exactly the centres it gets alone:
    /// `fit` relies on it to keep results independent of how restarts are grouped.
    fn lock_step_equals_one_at_a_time<F: Float>() {
        // 1,000 rows: not a multiple of BLOCK_ROWS, so the last block is short.
        let x: Array2<f64> = Blobs::new(1000)
            .n_features(5)
            .centers(6)
            .seed(11)
            .generate()
            .map(|(x, _)| x)
            .expect("valid blob parameters");
        let x = x.mapv(F::cast_from_f64);
        // Uneven weights, some zero, so sampling must skip rows.
        let weights: Vec<F> = (0..1000)
            .map(|i| F::cast_from_f64([0.0, 1.0, 2.5][i % 3]))
            .collect();
        let p = Prepared::new(x.view(), weights);
        for k in [1, 2, 8] {
            // Kept distances and recomputed ones, against the one-restart loop.
            for keep in [true, false] {
                let mut rngs: Vec<CarteraRng> = (0..5).map(|r| CarteraRng::stream(7, r)).collect();
                let together = seed_in_lock_step(&p, k, &mut rngs, keep);
                assert_eq!(together.len(), 5);
                for (r, centres) in together.iter().enumerate() {
                    let alone = kmeans_plusplus(&p, k, &mut CarteraRng::stream(7, r as u64));
                    assert_eq!(centres.len(), k * 5);
                    // Centres are copies of rows, so equal means bit for bit.
                    assert_eq!(centres, &alone, "restart {r}, k = {k}, keep {keep}");
                }
                // The restarts' centres differ (the test would pass trivially otherwise).
                if k > 1 {
                    assert_ne!(together[0], together[1]);
                }
            }
        }
    }

    #[test]
    fn lock_step_restarts_equal_one_at_a_time_f64() {
        lock_step_equals_one_at_a_time::<f64>();
    }

    #[test]
    fn lock_step_restarts_equal_one_at_a_time_f32() {
        lock_step_equals_one_at_a_time::<f32>();
    }
}
