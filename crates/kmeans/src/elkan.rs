//! Elkan's algorithm (Elkan 2003): Lloyd's iterations, skipping distance computations that the
//! triangle inequality proves useless. Same labels, centres and iteration count as Lloyd (up to
//! exact distance ties), mirroring scikit-learn's `_kmeans_single_elkan`.
//!
//! Memory: one upper bound per row and one lower bound per (row, centre), `n * (k + 1)` values.

use cartera_core::Float;
use rayon::prelude::*;

use crate::kernel::{
    BLOCK_ROWS, Prepared, block_sums, inertia, n_blocks, partial_len, sq_dist, update_centres,
};
use crate::lloyd::Run;
use crate::nearest::Moves;

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
    // The centres' last shifts, not yet applied to the bounds: each step moves a row's bounds
    // as it reaches the row (the same operations as a separate pass before the step, without
    // reading and writing all `n * (k + 1)` bounds once more per iteration).
    let mut shift: Option<Vec<F>> = None;
    for it in 0..max_iter {
        n_iter = it + 1;
        let c = Centres::of(&centres, &half, &next, shift.as_deref(), d);
        let bounds = (&mut labels[..], &mut upper[..], &mut lower[..]);
        let changed = elkan_step(p, c, bounds, Some(&mut partial), it == 0);
        let moved = update_centres(p, &centres, &labels, &partial, k, &mut new);
        (half, next) = half_distances(&new, k, d);
        std::mem::swap(&mut centres, &mut new);
        let shift_tot: f64 = moved.iter().map(|s| s.as_f64().powi(2)).sum();
        shift = Some(moved);
        // The first iteration compares with "no labels yet", as scikit-learn's `labels_old = -1`.
        if it > 0 && changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if shift_tot <= tol {
            converged = true;
            break;
        }
    }
    if !strict {
        let c = Centres::of(&centres, &half, &next, shift.as_deref(), d);
        elkan_step(p, c, (&mut labels, &mut upper, &mut lower), None, false);
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

/// What an Elkan step knows of the centres: their values (`k x d`, row-major), half the
/// distance between every pair ([`half_distances`]) and to each one's nearest other centre, and
/// their shifts in the last M-step, not yet applied to the bounds (`None` before the first
/// step).
#[derive(Clone, Copy)]
struct Centres<'a, F> {
    at: &'a [F],
    half: &'a [F],
    next: &'a [F],
    shift: Option<&'a [F]>,
    k: usize,
    d: usize,
}

impl<'a, F> Centres<'a, F> {
    /// The centres `at` (`k x d`) with their [`half_distances`] and pending `shift`.
    fn of(at: &'a [F], half: &'a [F], next: &'a [F], shift: Option<&'a [F]>, d: usize) -> Self {
        Centres {
            at,
            half,
            next,
            shift,
            k: next.len(),
            d,
        }
    }
}

/// One block of rows (`lab.len()` of them, `d` values each) with its labels and bounds: one
/// upper bound per row, `k` lower bounds per row.
struct Block<'a, F> {
    rows: &'a [F],
    lab: &'a mut [u32],
    up: &'a mut [F],
    low: &'a mut [F],
}

/// The first pass of an Elkan step over one block: moves each row's bounds by the centres'
/// shift (the upper bound up by its own centre's, each lower bound down by its centre's, not
/// below zero: scikit-learn's update after the M-step), then writes to `doubt` the rows (block
/// indices, in order) whose bounds leave some other centre in doubt: the upper bound is above
/// half the distance to the nearest other centre (scikit-learn's first test) and, for `k <= 64`,
/// some centre `j` has both its lower bound and half its distance to the row's centre below the
/// upper bound. Prefetches the listed rows' values. Returns how many rows it listed.
fn move_bounds<F: Float>(
    c: Centres<'_, F>,
    blk: &mut Block<'_, F>,
    doubt: &mut [u16; BLOCK_ROWS],
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if c.k <= 8
        && std::any::TypeId::of::<F>() == std::any::TypeId::of::<f64>()
        && cartera_core::dots::has_avx512()
    {
        // SAFETY: `F` is `f64` (same TypeId), so every slice is reinterpreted as itself; the
        // CPU has AVX-512F (checked) and `k <= 8`.
        #[allow(unsafe_code)]
        unsafe {
            use crate::kernel::{cast, cast_mut};
            let c = Centres {
                at: cast(c.at),
                half: cast(c.half),
                next: cast(c.next),
                shift: c.shift.map(|s| cast(s)),
                k: c.k,
                d: c.d,
            };
            let mut blk = Block {
                rows: cast(blk.rows),
                lab: &mut *blk.lab,
                up: cast_mut(blk.up),
                low: cast_mut(blk.low),
            };
            return move_bounds_avx512(c, &mut blk, doubt);
        }
    }
    move_bounds_scalar(c, blk, doubt)
}

/// [`move_bounds`], one row and one centre at a time (any type, any `k`).
fn move_bounds_scalar<F: Float>(
    c: Centres<'_, F>,
    blk: &mut Block<'_, F>,
    doubt: &mut [u16; BLOCK_ROWS],
) -> usize {
    let (k, d) = (c.k, c.d);
    let mut n = 0;
    for (i, ((&l, u), lb)) in blk
        .lab
        .iter()
        .zip(blk.up.iter_mut())
        .zip(blk.low.chunks_exact_mut(k))
        .enumerate()
    {
        let l = l as usize;
        if let Some(shift) = c.shift {
            *u += shift[l];
            for (v, &s) in lb.iter_mut().zip(shift) {
                *v -= s;
                if *v < F::zero() {
                    *v = F::zero();
                }
            }
        }
        // Bounds are finite (finite data), so this is scikit-learn's `not (s(c) >= u)`.
        if c.next[l] < *u
            && (k > 64 || candidates(lb, &c.half[l * k..(l + 1) * k], *u, 0) & !(1u64 << l) != 0)
        {
            doubt[n] = i as u16;
            n += 1;
            prefetch_row(blk.rows, i * d, d);
        }
    }
    n
}

/// [`move_bounds`] for `f64` and `k <= 8` with AVX-512: a row's lower bounds are one register,
/// moved with one subtraction and one maximum (`max(v - s, 0)`, the scalar loop's value; a zero
/// of either sign compares the same), and tested against the upper bound and the row's centre's
/// half distances with two masked compares. The same rows come out as from the scalar loop, and
/// the same bounds (tested).
///
/// # Safety
/// The CPU has AVX-512F; `k <= 8`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(unsafe_code)]
unsafe fn move_bounds_avx512(
    c: Centres<'_, f64>,
    blk: &mut Block<'_, f64>,
    doubt: &mut [u16; BLOCK_ROWS],
) -> usize {
    use std::arch::x86_64::*;
    let (k, d) = (c.k, c.d);
    let rows = blk.lab.len();
    assert!(
        k <= 8
            && blk.low.len() == rows * k
            && blk.up.len() == rows
            && c.half.len() == k * k
            && c.next.len() == k
            && c.shift.is_none_or(|s| s.len() == k)
    );
    let lanes: __mmask8 = ((1u32 << k) - 1) as __mmask8;
    // SAFETY (the masked loads and stores below): the mask `lanes` touches the first `k`
    // values only, and each pointer has `k` values from it (`shift`, a row of `half`, a row's
    // lower bounds: asserted above).
    let sv = unsafe { c.shift.map(|s| _mm512_maskz_loadu_pd(lanes, s.as_ptr())) };
    let zero = _mm512_setzero_pd();
    let mut n = 0;
    for (i, (&l, u)) in blk.lab.iter().zip(blk.up.iter_mut()).enumerate() {
        let l = l as usize;
        // The lower bounds are the one large stream of this pass (a cache line per row at
        // k = 8); the hardware's prefetch alone left it waiting on memory.
        prefetch_row(blk.low, (i + BOUNDS_AHEAD) * k, k);
        let lbp = blk.low[i * k..].as_mut_ptr();
        let mut lbv = unsafe { _mm512_maskz_loadu_pd(lanes, lbp) };
        if let (Some(shift), Some(sv)) = (c.shift, sv) {
            *u += shift[l];
            lbv = _mm512_max_pd(_mm512_sub_pd(lbv, sv), zero);
            unsafe { _mm512_mask_storeu_pd(lbp, lanes, lbv) };
        }
        // A branch per listed row, not a branch-free count: measured, the branch was faster.
        if c.next[l] < *u {
            let ub = _mm512_set1_pd(*u);
            let hv = unsafe { _mm512_maskz_loadu_pd(lanes, c.half[l * k..].as_ptr()) };
            let m = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(
                _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(lanes & !(1u8 << l), lbv, ub),
                hv,
                ub,
            );
            if m != 0 {
                doubt[n] = i as u16;
                n += 1;
                prefetch_row(blk.rows, i * d, d);
            }
        }
    }
    n
}

/// Rows ahead whose lower bounds [`move_bounds_avx512`] prefetches.
#[cfg(target_arch = "x86_64")]
const BOUNDS_AHEAD: usize = 16;

/// Prefetches the `d` values from `start` (nothing past the slice's end; no-op off x86-64).
#[inline(always)]
fn prefetch_row<F>(data: &[F], start: usize, d: usize) {
    #[cfg(target_arch = "x86_64")]
    cartera_core::dots::prefetch_rows(data, start, d);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, start, d);
}

/// The centres `j >= from` (bits of the answer, `k <= 64`) that the bounds do not rule out:
/// `ub > lb[j]` and `ub > half_row[j]`.
#[inline(always)]
fn candidates<F: Float>(lb: &[F], half_row: &[F], ub: F, from: usize) -> u64 {
    let mut m = 0u64;
    for (j, (&l, &h)) in lb.iter().zip(half_row).enumerate().skip(from) {
        m |= u64::from((ub > l) & (ub > h)) << j;
    }
    m
}

/// One row of an Elkan step in doubt: its values, lower bounds, label and upper bound, and
/// whether the bound is the exact distance yet.
struct Row<'a, F> {
    x: &'a [F],
    lb: &'a mut [F],
    label: usize,
    ub: F,
    tight: bool,
}

impl<F: Float> Row<'_, F> {
    /// scikit-learn's loop over the centres for a row in doubt: each centre `j` (other than the
    /// row's) whose lower bound and half distance to the row's centre are both below the upper
    /// bound is visited, in order; the label and bound a visit leaves are those the next
    /// centres are tested against.
    fn visit_all(&mut self, c: Centres<'_, F>) {
        let k = c.k;
        if k <= 64 {
            // The centres the loop would visit, found without a branch per centre (those
            // mispredicted): the first centre from `from` on that passes both tests for the
            // current label and bound. Only a visit changes the label or the bound, so the set
            // is taken again after each one.
            let mut from = 0;
            loop {
                let l = self.label;
                let m =
                    candidates(self.lb, &c.half[l * k..(l + 1) * k], self.ub, from) & !(1u64 << l);
                if m == 0 {
                    break;
                }
                let j = m.trailing_zeros() as usize;
                self.visit(j, c);
                from = j + 1;
            }
        } else {
            for j in 0..k {
                if j != self.label && self.ub > self.lb[j] && self.ub > c.half[self.label * k + j] {
                    self.visit(j, c);
                }
            }
        }
    }

    /// scikit-learn's visit of centre `j`: tighten the upper bound to the exact distance (once),
    /// then, if the bounds still allow it, compute the distance to `j`, which becomes its lower
    /// bound and, when nearer, the row's label and upper bound.
    #[inline(always)]
    fn visit(&mut self, j: usize, c: Centres<'_, F>) {
        let (k, d) = (c.k, c.d);
        let label = self.label;
        if !self.tight {
            self.ub = sq_dist(self.x, &c.at[label * d..(label + 1) * d]).sqrt();
            self.lb[label] = self.ub;
            self.tight = true;
        }
        if self.ub > self.lb[j] || self.ub > c.half[label * k + j] {
            let dist = sq_dist(self.x, &c.at[j * d..(j + 1) * d]).sqrt();
            self.lb[j] = dist;
            if dist < self.ub {
                self.label = j;
                self.ub = dist;
            }
        }
    }
}

/// One bounded assignment pass (scikit-learn's `elkan_iter_chunked_dense`) over the rows'
/// labels, upper and lower bounds; returns how many labels changed. Each row's bounds are
/// first moved by the centres' shift ([`move_bounds`]). With `partial`, also writes each
/// block's weighted sums: as Lloyd's E-step, only for the clusters that gained or lost a row
/// of the block (all of them when `fresh`, the slots then holding nothing yet), so the sums are
/// the same bits as summing every row again, and a block where no label moved is not read for
/// them at all.
fn elkan_step<F: Float>(
    p: &Prepared<F>,
    c: Centres<'_, F>,
    (labels, upper, lower): (&mut [u32], &mut [F], &mut [F]),
    partial: Option<&mut [F]>,
    fresh: bool,
) -> usize {
    let (k, d) = (c.k, c.d);
    let plen = partial_len(k, d);
    let work = |b: usize, lab: &mut [u32], up: &mut [F], low: &mut [F], part| -> usize {
        let start = b * BLOCK_ROWS;
        let mut blk = Block {
            rows: &p.data[start * d..(start + lab.len()) * d],
            lab,
            up,
            low,
        };
        // Two passes over the block. The first moves every row's bounds and lists the rows
        // whose bounds leave some centre in doubt (in late iterations most rows have none),
        // prefetching their values; the second visits the listed rows' centres as
        // scikit-learn's loop does. The block's bounds stay in cache between the two.
        let mut doubt = [0u16; BLOCK_ROWS];
        let n_doubt = move_bounds(c, &mut blk, &mut doubt);
        let mut moves = Moves::default();
        for &i in &doubt[..n_doubt] {
            let i = usize::from(i);
            let begin = blk.lab[i];
            let mut row = Row {
                x: &blk.rows[i * d..(i + 1) * d],
                lb: &mut blk.low[i * k..(i + 1) * k],
                label: begin as usize,
                ub: blk.up[i],
                tight: false,
            };
            row.visit_all(c);
            let label = row.label as u32;
            blk.up[i] = row.ub;
            blk.lab[i] = label;
            if label != begin {
                moves.record(begin, label);
            }
        }
        let changed = moves.changed;
        if fresh {
            moves = Moves {
                changed: 1,
                touched: u64::MAX,
            };
        }
        block_sums(p, b, blk.lab, part, moves);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lloyd::lloyd;
    use cartera_core::CarteraRng;
    use cartera_core::datasets::Blobs;

    /// Elkan from the same centres takes Lloyd's path: the same labels, centres (to the bit:
    /// the kept block sums add the same rows in the same order) and iteration count, with unit
    /// and with other weights, in `f64` (the AVX-512 bounds pass where the CPU has it) and
    /// `f32`, and for `k` above the vector pass's 8.
    #[test]
    fn elkan_takes_lloyds_path_to_the_bit() {
        let (x, _) = Blobs::new(3_001)
            .n_features(6)
            .centers(5)
            .cluster_std(2.5)
            .seed(3)
            .generate()
            .unwrap();
        let mut rng = CarteraRng::seed_from_u64(9);
        for k in [2, 5, 8, 11] {
            for weighted in [false, true] {
                let w: Vec<f64> = (0..x.nrows())
                    .map(|_| if weighted { 0.5 + rng.uniform() } else { 1.0 })
                    .collect();
                let p = Prepared::new(x.view(), w.clone());
                let init: Vec<f64> = p.data[..k * 6].to_vec();
                let a = lloyd(&p, init.clone(), k, 300, 0.0);
                let b = elkan(&p, init, k, 300, 0.0);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(b.labels, a.labels, "k {k} weighted {weighted}");
                assert_eq!(
                    bits(&b.centres),
                    bits(&a.centres),
                    "k {k} weighted {weighted}"
                );
                assert_eq!(b.n_iter, a.n_iter, "k {k} weighted {weighted}");
                assert!(a.n_iter > 3, "the test should run several iterations");
                let x32 = x.mapv(|v| v as f32);
                let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
                let p = Prepared::new(x32.view(), w32);
                let init: Vec<f32> = p.data[..k * 6].to_vec();
                let a = lloyd(&p, init.clone(), k, 300, 0.0);
                let b = elkan(&p, init, k, 300, 0.0);
                assert_eq!(b.labels, a.labels, "f32 k {k} weighted {weighted}");
                assert_eq!(b.centres, a.centres, "f32 k {k} weighted {weighted}");
            }
        }
    }

    /// The AVX-512 bounds pass lists the same rows and leaves the same bounds, to the bit, as
    /// the scalar one: every `k` it takes, with and without shifts, full and short blocks,
    /// bounds near their thresholds and at zero.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_bounds_pass_is_the_scalar_one() {
        if !cartera_core::dots::has_avx512() {
            return;
        }
        let mut rng = CarteraRng::seed_from_u64(21);
        let d = 3;
        for k in 1..=8 {
            for rows in [BLOCK_ROWS, 37] {
                for with_shift in [false, true] {
                    let at: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
                    let (half, next) = half_distances(&at, k, d);
                    let shift: Vec<f64> = (0..k).map(|_| rng.uniform() * 0.5).collect();
                    let data: Vec<f64> = (0..rows * d).map(|_| rng.normal()).collect();
                    let lab: Vec<u32> = (0..rows)
                        .map(|_| (rng.uniform() * k as f64) as u32)
                        .collect();
                    // Coarse values, so that bounds often tie with half distances or fall to 0.
                    let coarse = |rng: &mut CarteraRng| (rng.uniform() * 8.0).floor() * 0.25;
                    let up: Vec<f64> = (0..rows).map(|_| coarse(&mut rng) * 2.0).collect();
                    let low: Vec<f64> = (0..rows * k).map(|_| coarse(&mut rng)).collect();
                    let c = Centres {
                        at: &at,
                        half: &half,
                        next: &next,
                        shift: with_shift.then_some(&shift[..]),
                        k,
                        d,
                    };
                    let run = |vector: bool| {
                        let (mut lab, mut up, mut low) = (lab.clone(), up.clone(), low.clone());
                        let mut blk = Block {
                            rows: &data,
                            lab: &mut lab,
                            up: &mut up,
                            low: &mut low,
                        };
                        let mut doubt = [0u16; BLOCK_ROWS];
                        let n = if vector {
                            // SAFETY: the CPU has AVX-512F (checked above) and k <= 8.
                            #[allow(unsafe_code)]
                            unsafe {
                                move_bounds_avx512(c, &mut blk, &mut doubt)
                            }
                        } else {
                            move_bounds_scalar(c, &mut blk, &mut doubt)
                        };
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        (doubt[..n].to_vec(), bits(&up), bits(&low))
                    };
                    let (want, got) = (run(false), run(true));
                    assert_eq!(
                        got.0, want.0,
                        "listed rows, k {k} rows {rows} shift {with_shift}"
                    );
                    assert_eq!(got.1, want.1, "upper bounds, k {k}");
                    // A zero's sign may differ (the vector maximum returns +0 for -0); the
                    // values compare the same everywhere they are used.
                    let strip = |v: &[u64]| {
                        v.iter()
                            .map(|&b| if b == 1 << 63 { 0 } else { b })
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(strip(&got.2), strip(&want.2), "lower bounds, k {k}");
                    if k > 1 && rows == BLOCK_ROWS {
                        assert!(
                            !want.0.is_empty() && want.0.len() < rows,
                            "k {k}: {} listed",
                            want.0.len()
                        );
                    }
                }
            }
        }
    }
}
