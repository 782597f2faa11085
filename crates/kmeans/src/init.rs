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
    let first = first_row(rng, &weights, p.unit);
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
    for step in 1..k {
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
        centres.extend_from_slice(row(cand[best]));
        // The last centre is chosen: no step reads the distances to it.
        if step + 1 == k {
            break;
        }
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
        .map(|rng| first_row(rng, &weights, p.unit))
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
    let first_lanes = FirstCentres::new(&firsts.iter().map(|&f| row(f)).collect::<Vec<_>>());
    closest
        .par_chunks_mut(BLOCK_ROWS * nr)
        .zip(block_pot.par_chunks_mut(nr))
        .enumerate()
        .for_each(|(b, (cl, pot))| {
            let start = b * BLOCK_ROWS;
            let m = cl.len() / nr;
            first_lanes.distances(&p.data[start * d..(start + m) * d], cl);
            pot.fill(0.0);
            for (i, c) in cl.chunks_exact(nr).enumerate() {
                for (&c, pt) in c.iter().zip(pot.iter_mut()) {
                    *pt += c.as_f64() * weights[start + i];
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
    for step in 1..k {
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
                || vec![F::zero(); BLOCK_ROWS * nc + score_scratch(nr, trials)],
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
                    block.score(&table, &mut dots[..m * nc], acc, pot, kept);
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
        // The last centres are chosen: no step reads the distances to them.
        if step + 1 == k {
            break;
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

/// Lanes of the widest register the scoring loop uses (16 `f32`).
const SCORE_LANES: usize = 16;

/// Scratch values [`ScoreBlock::score`] needs for its sums: every trial's `nr` candidates
/// rounded up to whole registers, so that the 512-bit loop stores each register's sums whole
/// (see [`score_rows_f32`]).
fn score_scratch(nr: usize, trials: usize) -> usize {
    trials * nr.div_ceil(SCORE_LANES) * SCORE_LANES
}

impl<F: Float> ScoreBlock<'_, F> {
    /// Fills `kept` (`m * nc`, when given) with every row's squared distance to each
    /// candidate, or to its restart's closest centre when that is nearer, and `pot` (`nc`) with
    /// their weighted sums over the block's rows (in row order). Candidate `j` belongs to
    /// restart `j % nr`. `dx` (`m * nc`) is scratch for the dot products.
    ///
    /// The sums run in `F` (in `acc`, [`score_scratch`] values of scratch) and are widened
    /// once per block:
    /// in `f32`, widening every term would run the loop at `f64`'s 4 lanes instead of 8, which
    /// made f32 seeding barely faster than f64. A block has 256 rows, so an `f32` block sum
    /// is good to about 1e-5 relative, enough to rank candidates (scikit-learn sums these
    /// potentials in the data's own precision too); the blocks are combined in `f64`.
    fn score(
        &self,
        table: &CentreTable<F>,
        dx: &mut [F],
        acc: &mut [F],
        pot: &mut [f64],
        kept: Option<&mut [F]>,
    ) {
        #[cfg(target_arch = "x86_64")]
        if table.uses_fma() {
            if cartera_core::dots::has_avx512() {
                // SAFETY: the CPU reported AVX-512F besides AVX2 and FMA, all that
                // `score_avx512` requires.
                #[allow(unsafe_code)]
                return unsafe { self.score_avx512(table, dx, acc, pot, kept) };
            }
            // SAFETY: the table uses its FMA build only when the CPU reported AVX2 and FMA,
            // which is all `score_avx2_fma` requires.
            #[allow(unsafe_code)]
            return unsafe { self.score_avx2_fma(table, dx, acc, pot, kept) };
        }
        self.score_with::<false>(table, dx, acc, pot, kept);
    }

    /// [`score`](Self::score) compiled for AVX2 + FMA: the distance loop then runs 4 `f64`
    /// (8 `f32`) lanes wide instead of SSE2's 2 (4).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn score_avx2_fma(
        &self,
        table: &CentreTable<F>,
        dx: &mut [F],
        acc: &mut [F],
        pot: &mut [f64],
        kept: Option<&mut [F]>,
    ) {
        self.score_with::<true>(table, dx, acc, pot, kept);
    }

    /// [`score`](Self::score) compiled for AVX-512F, with the loop over the candidates in
    /// masked 512-bit registers ([`score_rows_f32`] or [`score_rows_f64`]): the same
    /// operations on every candidate, so the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn score_avx512(
        &self,
        table: &CentreTable<F>,
        dx: &mut [F],
        acc: &mut [F],
        pot: &mut [f64],
        kept: Option<&mut [F]>,
    ) {
        use crate::kernel::{cast, cast_mut};
        use std::any::TypeId;
        table.dots_with::<true>(self.rows, self.d, dx);
        acc.fill(F::zero());
        let nr = self.closest.len() / self.norms.len().max(1);
        // Candidates per 512-bit register: 8 `f64`, 16 `f32`.
        let lanes = 64 / std::mem::size_of::<F>();
        // The same call for either type, every slice reinterpreted as its own type.
        macro_rules! call_score_rows {
            ($f:ident) => {
                $f(
                    cast(dx),
                    cast(self.closest),
                    cast(&table.norms),
                    cast(self.norms),
                    cast(self.weights),
                    nr,
                    cast_mut(acc),
                    kept.map(|k| cast_mut(k)),
                )
            };
        }
        if TypeId::of::<F>() == TypeId::of::<f64>() {
            // SAFETY: `F` is `f64` (same TypeId), so every slice is reinterpreted as itself;
            // the CPU has AVX-512F (this function's own requirement).
            #[allow(unsafe_code)]
            unsafe {
                call_score_rows!(score_rows_f64)
            }
        } else {
            // SAFETY: `Float` is implemented only for `f32` and `f64`, and `F` is not `f64`.
            #[allow(unsafe_code)]
            unsafe {
                call_score_rows!(score_rows_f32)
            }
        }
        // Candidate `q * lanes + l` of a trial is lane `l` of the trial's register `q`.
        let slots = nr.div_ceil(lanes);
        for (t, pt) in pot.chunks_exact_mut(nr).enumerate() {
            for (j, p) in pt.iter_mut().enumerate() {
                *p = acc[(t * slots + j / lanes) * lanes + j % lanes].as_f64();
            }
        }
    }

    #[inline(always)]
    fn score_with<const FMA: bool>(
        &self,
        table: &CentreTable<F>,
        dx: &mut [F],
        acc: &mut [F],
        pot: &mut [f64],
        kept: Option<&mut [F]>,
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
        if let Some(out) = kept {
            out.copy_from_slice(dx);
        }
    }
}

/// Generates `$name(dx, closest, cnorms, norms, weights, nr, acc)`: the per-row loop of
/// [`ScoreBlock::score_with`] with each trial's `nr` candidates in `$lanes`-wide registers,
/// the last one masked. The portable loop runs a trial's candidates one at a time whenever
/// `nr` is below a register (10 restarts in 16 `f32` lanes: all scalar, so `f32` seeding was
/// no faster than `f64`'s). Each candidate gets the portable loop's operations in its order
/// (`nx + cn`, minus `2 dt`, floored at 0 with NaN to 0, the strict compare, the sum of
/// `dt · w` unfused), so the distances and sums are the same bits; a test checks.
///
/// Memory that is read back soon is never written with a masked store, which cannot forward
/// its data to a later load that overlaps its 64 bytes: such a load waits for the store to
/// reach the cache (a first version, updating the dot products in place and the sums with
/// masked stores, was slower than the scalar loop). So the dot products `dx` are only read,
/// the distances go to `kept` (the caller's copy of them, when it keeps them), and the sums
/// stay in registers through a pass over the rows, up to 8 registers of candidates per pass
/// (the lanes past `nr` add zeros). Register `q` of trial `t` (`s = t * ceil(nr / $lanes) +
/// q`) ends in slot `s` of `acc`, `$lanes` values from `s * $lanes`.
macro_rules! score_rows {
    ($(#[$doc:meta])* $name:ident, $group:ident, $t:ty, $lanes:literal, $mask:ty, $set1:ident,
     $loadz:ident, $store:ident, $storeu:ident, $add:ident, $sub:ident, $mul:ident,
     $max:ident, $cmp:ident, $mov:ident, $zero:ident) => {
        /// One pass over the block's rows for registers `s0 .. s0 + S` of candidates, their
        /// sums held in registers and stored to `acc` (`S` whole registers) at the end.
        /// Register `s` holds restarts `q ..` of trial `t`, `s = t * ceil(nr / $lanes) + q /
        /// $lanes`: candidates `t * nr + q ..`, masked to the trial's `nr`.
        ///
        /// # Safety
        /// The CPU has AVX-512F; `dx` holds rows of `cn.len()` candidates, a multiple of `nr`,
        /// and `closest` rows of `nr`; registers up to `s0 + S` exist; `kept` is null or holds
        /// as many values as `dx`; `acc` holds `S` registers.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        #[allow(unsafe_code, clippy::too_many_arguments)]
        unsafe fn $group<const S: usize>(
            dx: &[$t],
            closest: &[$t],
            cn: &[$t],
            norms: &[$t],
            weights: &[$t],
            nr: usize,
            s0: usize,
            kept: *mut $t,
            acc: &mut [$t],
        ) {
            use std::arch::x86_64::*;
            let nc = cn.len();
            let per_trial = nr.div_ceil($lanes);
            // Each register's first candidate, first restart and lane mask.
            let sl: [(usize, usize, $mask); S] = std::array::from_fn(|i| {
                let (t, q) = ((s0 + i) / per_trial, (s0 + i) % per_trial * $lanes);
                (t * nr + q, q, ((1u32 << (nr - q).min($lanes)) - 1) as $mask)
            });
            // SAFETY (every access below): the caller's bounds, masked lane by lane.
            let cns: [_; S] =
                std::array::from_fn(|s| unsafe { $loadz(sl[s].2, cn.as_ptr().add(sl[s].0)) });
            let (two, zero) = ($set1(2.0), $zero());
            let mut sums = [$zero(); S];
            for (i, ((dx, cl), (&nx, &wr))) in dx
                .chunks_exact(nc)
                .zip(closest.chunks_exact(nr))
                .zip(norms.iter().zip(weights))
                .enumerate()
            {
                let (vx, vw) = ($set1(nx), $set1(wr));
                for (sum, (&(j, q, m), &c)) in sums.iter_mut().zip(sl.iter().zip(&cns)) {
                    unsafe {
                        let dt = $loadz(m, dx.as_ptr().add(j));
                        let best = $loadz(m, cl.as_ptr().add(q));
                        let dist = $max($sub($add(vx, c), $mul(two, dt)), zero);
                        let near = $mov(best, $cmp::<_CMP_LT_OQ>(dist, best), dist);
                        if !kept.is_null() {
                            $store(kept.add(i * nc + j), m, near);
                        }
                        *sum = $add(*sum, $mul(near, vw));
                    }
                }
            }
            for (s, sum) in sums.iter().enumerate() {
                unsafe { $storeu(acc.as_mut_ptr().add(s * $lanes), *sum) };
            }
        }

        $(#[$doc])*
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        fn $name(
            dx: &[$t],
            closest: &[$t],
            cn: &[$t],
            norms: &[$t],
            weights: &[$t],
            nr: usize,
            acc: &mut [$t],
            kept: Option<&mut [$t]>,
        ) {
            let nc = cn.len();
            let per_trial = nr.div_ceil($lanes);
            assert!(
                nr > 0 && nc % nr == 0 && acc.len() >= nc / nr * per_trial * $lanes,
                "candidates by restart, and a slot per register"
            );
            assert!(kept.as_ref().is_none_or(|k| k.len() == dx.len()), "kept like dx");
            let kept = kept.map_or(std::ptr::null_mut(), |k| k.as_mut_ptr());
            // Up to 8 registers of sums per pass over the rows (4 for 10 restarts of k = 8
            // in `f32`, 8 in `f64`), so that they stay in registers.
            let registers = nc / nr * per_trial;
            for s0 in (0..registers).step_by(8) {
                let acc = &mut acc[s0 * $lanes..];
                // SAFETY: this function's own AVX-512F; each register's masked lanes lie in
                // its trial (`j + lane < t0 + nr <= nc`, `q + lane < nr`); `kept` is null or as
                // long as `dx` (asserted); `acc` holds every register (asserted), so the
                // pass's.
                #[allow(unsafe_code)]
                unsafe {
                    let a = (dx, closest, cn, norms, weights);
                    match registers - s0 {
                        1 => $group::<1>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        2 => $group::<2>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        3 => $group::<3>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        4 => $group::<4>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        5 => $group::<5>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        6 => $group::<6>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        7 => $group::<7>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                        _ => $group::<8>(a.0, a.1, a.2, a.3, a.4, nr, s0, kept, acc),
                    }
                }
            }
        }
    };
}

score_rows!(
    /// [`score_rows`] for `f32`: 16 candidates per register.
    score_rows_f32,
    score_group_f32,
    f32,
    16,
    u16,
    _mm512_set1_ps,
    _mm512_maskz_loadu_ps,
    _mm512_mask_storeu_ps,
    _mm512_storeu_ps,
    _mm512_add_ps,
    _mm512_sub_ps,
    _mm512_mul_ps,
    _mm512_max_ps,
    _mm512_cmp_ps_mask,
    _mm512_mask_mov_ps,
    _mm512_setzero_ps
);

score_rows!(
    /// [`score_rows`] for `f64`: 8 candidates per register.
    score_rows_f64,
    score_group_f64,
    f64,
    8,
    u8,
    _mm512_set1_pd,
    _mm512_maskz_loadu_pd,
    _mm512_mask_storeu_pd,
    _mm512_storeu_pd,
    _mm512_add_pd,
    _mm512_sub_pd,
    _mm512_mul_pd,
    _mm512_max_pd,
    _mm512_cmp_pd_mask,
    _mm512_mask_mov_pd,
    _mm512_setzero_pd
);

/// The first centre's row: a row drawn with probability proportional to its weight, as
/// [`CarteraRng::weighted_index`] draws it. With every weight exactly one (`unit`), that walk
/// subtracts one at a time from `u · n` (exactly, below 2^53) and stops at its integer part,
/// so the index is `⌊u · n⌋` (the last row when rounding makes `u · n` reach `n`): the same
/// draw without the two serial passes over `n` weights, which cost several milliseconds per
/// restart on tables of 10^5 rows.
fn first_row(rng: &mut CarteraRng, weights: &[f64], unit: bool) -> usize {
    let n = weights.len();
    if unit && n > 0 && (n as u64) < (1u64 << 53) {
        // The sum of `n` ones is exactly `n` below 2^53.
        let target = rng.uniform() * n as f64;
        return (target as usize).min(n - 1);
    }
    rng.weighted_index(weights)
}

/// Restarts whose first centres [`FirstCentres`] holds side by side: [`LOCKSTEP_RESTARTS`].
const FIRST_LANES: usize = LOCKSTEP_RESTARTS;

/// The first centres of up to [`FIRST_LANES`] restarts, transposed: `cols[j][r]` is feature
/// `j` of restart `r`'s centre (zero past the restarts). The distances of a row to all of them
/// are then computed with the restarts in vector lanes, each lane with the very operations,
/// in the same order, of [`sq_dist`] (so the same bits), instead of one scalar [`sq_dist`]
/// per restart: the seeding's first pass took about a fifth of a 10-restart seeding.
struct FirstCentres<F> {
    cols: Vec<[F; FIRST_LANES]>,
    n: usize,
}

impl<F: Float> FirstCentres<F> {
    /// # Panics
    /// With more than [`FIRST_LANES`] centres or centres of different widths (programming
    /// errors: the lock-step seeding groups at most that many restarts).
    fn new(centres: &[&[F]]) -> Self {
        assert!(centres.len() <= FIRST_LANES, "at most FIRST_LANES restarts");
        let d = centres.first().map_or(0, |c| c.len());
        let mut cols = vec![[F::zero(); FIRST_LANES]; d];
        for (r, c) in centres.iter().enumerate() {
            assert_eq!(c.len(), d, "centres of one width");
            for (col, &v) in cols.iter_mut().zip(c.iter()) {
                col[r] = v;
            }
        }
        FirstCentres {
            cols,
            n: centres.len(),
        }
    }

    /// `out[i * n + r] = sq_dist(row i, centre r)` for the rows of `rows` (row-major, as wide
    /// as the centres) and the `n` centres, bit for bit.
    ///
    /// # Panics
    /// If `out` does not hold `n` values per row (a programming error).
    fn distances(&self, rows: &[F], out: &mut [F]) {
        #[cfg(target_arch = "x86_64")]
        {
            if cartera_core::dots::has_avx512() {
                // SAFETY: the CPU reported AVX-512F, all `distances_avx512` requires.
                #[allow(unsafe_code)]
                return unsafe { self.distances_avx512(rows, out) };
            }
            if cartera_core::dots::has_avx2_fma() {
                // SAFETY: the CPU reported AVX2, all `distances_avx2` requires.
                #[allow(unsafe_code)]
                return unsafe { self.distances_avx2(rows, out) };
            }
        }
        self.distances_with(rows, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn distances_avx512(&self, rows: &[F], out: &mut [F]) {
        self.distances_with(rows, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn distances_avx2(&self, rows: &[F], out: &mut [F]) {
        self.distances_with(rows, out);
    }

    #[inline(always)]
    fn distances_with(&self, rows: &[F], out: &mut [F]) {
        // Rows have at least one column (K-Means rejects empty input).
        let (d, n) = (self.cols.len().max(1), self.n.max(1));
        assert_eq!(rows.len() / d * n, out.len(), "n values per row");
        for (x, o) in rows.chunks_exact(d).zip(out.chunks_exact_mut(n)) {
            o.copy_from_slice(&self.lanes(x)[..n]);
        }
    }

    /// [`sq_dist`]'s sums in every lane: groups of four squared differences added left to
    /// right, each group added to the running sum, then the remaining features one by one.
    /// No multiply-add is fused (Rust never contracts `a * b + c`), as in [`sq_dist`].
    #[inline(always)]
    fn lanes(&self, x: &[F]) -> [F; FIRST_LANES] {
        let mut s = [F::zero(); FIRST_LANES];
        let (x4, c4) = (x.chunks_exact(4), self.cols.chunks_exact(4));
        let (rx, rc) = (x4.remainder(), c4.remainder());
        for (xg, cg) in x4.zip(c4) {
            for (l, acc) in s.iter_mut().enumerate() {
                let t0 = xg[0] - cg[0][l];
                let t1 = xg[1] - cg[1][l];
                let t2 = xg[2] - cg[2][l];
                let t3 = xg[3] - cg[3][l];
                *acc += t0 * t0 + t1 * t1 + t2 * t2 + t3 * t3;
            }
        }
        for (&xv, col) in rx.iter().zip(rc) {
            for (l, acc) in s.iter_mut().enumerate() {
                let t = xv - col[l];
                *acc += t * t;
            }
        }
        s
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

    /// The masked 512-bit scoring loop gives the portable loop's distances and block sums, bit
    /// for bit, for restart counts below, at and past a register's lanes (1 to 33) and blocks
    /// whose rows are nearer to their current centre than to some candidates and farther from
    /// others.
    fn avx512_scoring_is_the_portable_one<F: Float>() {
        if !(cartera_core::dots::has_avx512() && cartera_core::dots::has_avx2_fma()) {
            return;
        }
        let mut rng = CarteraRng::seed_from_u64(3);
        let (m, d) = (37, 5);
        let mut draw = |n: usize, scale: f64| -> Vec<F> {
            (0..n)
                .map(|_| F::cast_from_f64(rng.normal() * scale))
                .collect()
        };
        let rows = draw(m * d, 1.0);
        let norms: Vec<F> = rows.chunks_exact(d).map(sq_norm).collect();
        for nr in [1, 3, 8, 10, 16, 17, 33] {
            for trials in [1, 3] {
                let nc = nr * trials;
                let cand = draw(nc * d, 1.0);
                let table = CentreTable::new(&cand, nc, d);
                // Current distances about as large as the candidates', so both sides win.
                let closest: Vec<F> = draw(m * nr, 1.0)
                    .into_iter()
                    .map(|v| v * v * F::cast_from_f64(8.0))
                    .collect();
                let weights: Vec<F> = draw(m, 1.0).into_iter().map(|v| v.abs()).collect();
                let block = ScoreBlock {
                    rows: &rows,
                    d,
                    norms: &norms,
                    weights: &weights,
                    closest: &closest,
                };
                let run = |wide: bool| {
                    let mut dx = vec![F::zero(); m * nc];
                    let mut acc = vec![F::zero(); score_scratch(nr, trials)];
                    let mut score = |pot: &mut [f64], kept: Option<&mut [F]>| {
                        // SAFETY: the CPU has AVX-512F, AVX2 and FMA (checked above).
                        #[allow(unsafe_code)]
                        unsafe {
                            if wide {
                                block.score_avx512(&table, &mut dx, &mut acc, pot, kept);
                            } else {
                                block.score_avx2_fma(&table, &mut dx, &mut acc, pot, kept);
                            }
                        }
                    };
                    let (mut pot, mut kept) = (vec![0.0; nc], vec![F::zero(); m * nc]);
                    score(&mut pot, Some(&mut kept));
                    // The sums do not depend on whether the distances are kept.
                    let mut again = vec![0.0; nc];
                    score(&mut again, None);
                    assert_eq!(again, pot);
                    (kept, pot)
                };
                let (want_dx, want_pot) = run(false);
                let (got_dx, got_pot) = run(true);
                let bits = |v: &[F]| v.iter().map(|x| x.as_f64().to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&got_dx),
                    bits(&want_dx),
                    "distances, nr {nr}, trials {trials}"
                );
                assert_eq!(got_pot, want_pot, "sums, nr {nr}, trials {trials}");
                // Both branches of the compare were taken: some rows kept their current
                // distance, some took a candidate's.
                let current = |i: usize| closest[(i / nc) * nr + (i % nc) % nr];
                assert!((0..m * nc).any(|i| want_dx[i] == current(i)));
                assert!((0..m * nc).any(|i| want_dx[i] < current(i)));
            }
        }
    }

    #[test]
    fn avx512_scoring_is_the_portable_one_f64() {
        avx512_scoring_is_the_portable_one::<f64>();
    }

    #[test]
    fn avx512_scoring_is_the_portable_one_f32() {
        avx512_scoring_is_the_portable_one::<f32>();
    }

    /// With unit weights the first centre's draw skips the walk over the weights: it must be
    /// the row the walk picks, for the same stream, whatever `n` (powers of two and not).
    #[test]
    fn unit_weight_draw_is_the_weighted_walk() {
        for n in [1usize, 2, 3, 7, 256, 1000, 4097, 371_589] {
            let weights = vec![1.0f64; n];
            let mut a = CarteraRng::stream(11, n as u64);
            let mut b = a.clone();
            for _ in 0..200 {
                assert_eq!(
                    first_row(&mut a, &weights, true),
                    b.weighted_index(&weights)
                );
            }
        }
        // Other weights take the walk itself.
        let weights = [0.5, 0.0, 2.0, 1.0];
        let mut a = CarteraRng::stream(3, 0);
        let mut b = a.clone();
        for _ in 0..50 {
            assert_eq!(
                first_row(&mut a, &weights, false),
                b.weighted_index(&weights)
            );
        }
    }

    /// The first pass's distances, restarts in lanes, are `sq_dist`'s to the bit: every width
    /// from 1 to 21 (whole groups of four and remainders) and 1 to 16 centres, values that
    /// round differently when summed in another order.
    fn first_centres_are_sq_dist<F: Float>() {
        let mut rng = CarteraRng::seed_from_u64(5);
        for d in 1..=21 {
            let rows: Vec<F> = (0..40 * d)
                .map(|_| F::cast_from_f64((rng.uniform() - 0.5f64) * 1e3f64))
                .collect();
            for nc in [1usize, 2, 5, 10, 16] {
                let centres: Vec<&[F]> = (0..nc).map(|r| &rows[r * d..(r + 1) * d]).collect();
                let first = FirstCentres::new(&centres);
                let mut out = vec![F::zero(); 40 * nc];
                first.distances(&rows, &mut out);
                for (i, o) in out.chunks_exact(nc).enumerate() {
                    for (r, &v) in o.iter().enumerate() {
                        let want = sq_dist(&rows[i * d..(i + 1) * d], centres[r]);
                        assert_eq!(
                            v.as_f64().to_bits(),
                            want.as_f64().to_bits(),
                            "d {d}, row {i}, centre {r}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn first_centres_are_sq_dist_f64() {
        first_centres_are_sq_dist::<f64>();
    }

    #[test]
    fn first_centres_are_sq_dist_f32() {
        first_centres_are_sq_dist::<f32>();
    }
}
