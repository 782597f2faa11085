//! Gradient/hessian histograms of a leaf: one `(Σ grad, Σ hess)` pair per bin per feature
//! group (see [`crate::bundle`]).
//!
//! Histograms are built column by column (LightGBM's col-wise mode): each group's histogram
//! is one pass over its `u8` column for the leaf's rows, with the leaf's gradient pairs
//! gathered once into row order ("ordered gradients") so the inner loop reads them
//! sequentially and the 4 KB histograms stay in L1. Wide groups go four at a time, so each
//! gradient pair is read once for four histograms, from a copy of their bins interleaved four
//! to a row (one cache line per scattered row instead of four); narrow groups (few bins, where
//! consecutive rows keep adding into the same entry) up to eight at a time
//! ([`accumulate_narrow`]). Every entry is summed in the leaf's row order by one thread, so
//! the bits never depend on the number of threads (nor on how groups share a pass). The
//! learner builds the smaller child of a split and derives the larger one by subtraction from
//! the parent ([`subtract_into`]).

use rayon::prelude::*;

use crate::bundle::FeatureGroups;
use crate::objective::GradPair;

/// One histogram entry: the sum of the gradient pairs of the rows in a bin.
pub(crate) trait Entry: Copy + Send + Sync + PartialEq + std::fmt::Debug {
    /// One row's gradient pair, as the histogram passes read it (possibly narrower than the
    /// sums, see [`GradPair`]).
    type Pair: Copy + Send + Sync + PartialEq + std::fmt::Debug;
    /// The empty sum.
    const ZERO: Self;
    /// A zero pair (buffer filler).
    const ZERO_PAIR: Self::Pair;
    /// `self += g` for a row's pair `g`.
    fn add_pair(&mut self, g: &Self::Pair);
    /// `self += g`.
    fn add(&mut self, g: &Self);
    /// `self -= g`.
    fn sub(&mut self, g: &Self);
    /// The entry in gradient units, as the split search reads it (`scale`: the gradient and
    /// hessian of one integer step; `f64` pairs ignore it).
    fn pair(&self, scale: [f64; 2]) -> [f64; 2];
    /// The entries themselves when they are `f64` pairs already (no conversion needed).
    fn as_pairs(h: &[Self]) -> Option<&[[f64; 2]]>;
}

/// Gradient and hessian sums in `f64` (the default training) of `f32` row pairs (each
/// converts exactly, so the sums are those of the pairs widened first).
impl Entry for [f64; 2] {
    type Pair = GradPair;
    const ZERO: Self = [0.0; 2];
    const ZERO_PAIR: GradPair = [0.0; 2];
    #[inline(always)]
    fn add_pair(&mut self, g: &GradPair) {
        self[0] += f64::from(g[0]);
        self[1] += f64::from(g[1]);
    }
    #[inline(always)]
    fn add(&mut self, g: &Self) {
        self[0] += g[0];
        self[1] += g[1];
    }
    #[inline(always)]
    fn sub(&mut self, g: &Self) {
        self[0] -= g[0];
        self[1] -= g[1];
    }
    #[inline(always)]
    fn pair(&self, _: [f64; 2]) -> [f64; 2] {
        *self
    }
    #[inline(always)]
    fn as_pairs(h: &[Self]) -> Option<&[[f64; 2]]> {
        Some(h)
    }
}

/// A quantized pair packed in one integer (see [`crate::quantize`]): one integer add sums
/// both, exactly and in any order.
impl Entry for i64 {
    type Pair = i64;
    const ZERO: Self = 0;
    const ZERO_PAIR: i64 = 0;
    #[inline(always)]
    fn add_pair(&mut self, g: &i64) {
        self.add(g);
    }
    #[inline(always)]
    fn add(&mut self, g: &Self) {
        *self = self.wrapping_add(*g);
    }
    #[inline(always)]
    fn sub(&mut self, g: &Self) {
        *self = self.wrapping_sub(*g);
    }
    #[inline(always)]
    fn pair(&self, scale: [f64; 2]) -> [f64; 2] {
        let (g, h) = crate::quantize::unpack(*self);
        [g as f64 * scale[0], h as f64 * scale[1]]
    }
    #[inline(always)]
    fn as_pairs(_: &[Self]) -> Option<&[[f64; 2]]> {
        None
    }
}

/// The histogram of one group: 256 entries, indexed by the `u8` bin directly (no bounds check
/// in the inner loop).
pub(crate) type Hist<E> = [E; 256];

/// The `f64` histogram the split search reads: 256 `(grad, hess)` pairs.
pub(crate) type FeatureHist = Hist<[f64; 2]>;

/// A zeroed histogram for `n_groups` groups.
pub(crate) fn new_hist<E: Entry>(n_groups: usize) -> Vec<Hist<E>> {
    vec![[E::ZERO; 256]; n_groups]
}

/// The rows of a histogram build with their gradient pairs.
#[derive(Clone, Copy)]
pub(crate) enum LeafRows<'a, E: Entry> {
    /// Every row in order: `gh[r]` is row `r`'s pair.
    All(&'a [E::Pair]),
    /// `rows[i]` with its pair at `ordered[i]`.
    Some {
        rows: &'a [u32],
        ordered: &'a [E::Pair],
    },
}

fn accumulate<E: Entry>(col: &[u8], leaf: LeafRows<'_, E>, skip_zero: bool, h: &mut Hist<E>) {
    *h = [E::ZERO; 256];
    // Bin 0 of a sparse group is never read (see `crate::bundle`); skipping it also breaks
    // the store-to-load chain of consecutive rows adding into the same entry.
    match (leaf, skip_zero) {
        (LeafRows::All(gh), false) => {
            for (&b, g) in col.iter().zip(gh) {
                h[b as usize].add_pair(g);
            }
        }
        (LeafRows::All(gh), true) => {
            for (&b, g) in col.iter().zip(gh) {
                if b != 0 {
                    h[b as usize].add_pair(g);
                }
            }
        }
        (LeafRows::Some { rows, ordered }, false) => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[col]);
                h[col[r as usize] as usize].add_pair(g);
            }
        }
        (LeafRows::Some { rows, ordered }, true) => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[col]);
                let b = col[r as usize];
                if b != 0 {
                    h[b as usize].add_pair(g);
                }
            }
        }
    }
}

/// Leaf rows ahead of the current one whose bins are requested (LightGBM's dense bins do the
/// same): a small leaf's rows are far apart, one cache line of each column per row.
#[cfg(target_arch = "x86_64")]
const PREFETCH_ROWS: usize = 32;

/// Requests the bins in `cols` (columns, or interleaved rows of bins) of the leaf row
/// `PREFETCH_ROWS` after the `i`-th (none past the leaf's end).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn request_ahead<T>(rows: &[u32], i: usize, cols: &[&[T]]) {
    if let Some(&ahead) = rows.get(i + PREFETCH_ROWS) {
        for col in cols {
            cartera_core::dots::prefetch_rows(col, ahead as usize, 1);
        }
    }
}

/// Wide groups built together in one pass over the rows (their histograms, 16 KB with `f64`
/// pairs, stay in L1; eight quantized histograms would fit too, but measured no faster).
const COL_CHUNK: usize = 4;

/// The bins of the `COL_CHUNK` groups of a wide pass side by side, one `u32` per row (group
/// `g0 + i` in byte `i`, by value, whatever the platform's byte order): a leaf's rows are
/// scattered over the table, and one load (one cache line) per row brings all four bins where
/// four columns took four lines. Built once per fit ([`Plan::new`]), `n_rows` x 4 bytes per
/// wide pass.
fn interleave(cols: [&[u8]; COL_CHUNK]) -> Vec<u32> {
    let [c0, c1, c2, c3] = cols;
    c0.iter()
        .zip(c1)
        .zip(c2)
        .zip(c3)
        .map(|(((&a, &b), &c), &d)| u32::from_le_bytes([a, b, c, d]))
        .collect()
}

/// Group `i`'s bin in an interleaved row ([`interleave`]).
#[inline(always)]
fn quad_bin(q: u32, i: u32) -> usize {
    ((q >> (8 * i)) & 0xff) as usize
}

/// Col-wise build of the `COL_CHUNK` wide groups of a pass from their interleaved bins
/// `quad` in one pass: each row's gradient pair and bins are read once for all four.
fn accumulate4<E: Entry>(quad: &[u32], leaf: LeafRows<'_, E>, out: &mut [Hist<E>]) {
    // `build` passes exactly COL_CHUNK histograms.
    let [h0, h1, h2, h3] = out else {
        return;
    };
    for h in [&mut *h0, &mut *h1, &mut *h2, &mut *h3] {
        *h = [E::ZERO; 256];
    }
    let mut add = |q: u32, g: &E::Pair| {
        h0[quad_bin(q, 0)].add_pair(g);
        h1[quad_bin(q, 1)].add_pair(g);
        h2[quad_bin(q, 2)].add_pair(g);
        h3[quad_bin(q, 3)].add_pair(g);
    };
    match leaf {
        LeafRows::All(gh) => {
            for (&q, g) in quad.iter().zip(gh) {
                add(q, g);
            }
        }
        LeafRows::Some { rows, ordered } => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &[quad]);
                add(quad[r as usize], g);
            }
        }
    }
}

/// Groups of at most this many bins are *narrow* (see [`accumulate_narrow`]).
const NARROW_BINS: usize = 64;

/// Narrow groups built together in one pass (their histograms of [`NARROW_BINS`] entries take
/// 1 KB each).
const NARROW_CHUNK: usize = 8;

/// Col-wise build of up to [`NARROW_CHUNK`] narrow groups in one pass. With few bins,
/// consecutive rows often add into the same entry, and each add then waits for the previous
/// one's store (a 2-bin flag or a one-hot bundle: nearly every row); with many groups in the
/// pass, each row brings enough independent adds to cover that wait. Each entry is still
/// summed in row order, so the result is the one-group-at-a-time sum, bit for bit. Bin 0 of a
/// group in `skip` is cleared (never read, see [`crate::bundle`]).
fn accumulate_narrow<E: Entry>(
    groups: &FeatureGroups,
    g0: usize,
    leaf: LeafRows<'_, E>,
    out: &mut [Hist<E>],
) {
    // Narrow groups' bins are < NARROW_BINS, so masking never changes a bin; it only spares
    // the bounds checks.
    const MASK: usize = NARROW_BINS - 1;
    let len = out.len();
    if len == 0 {
        return;
    }
    // A short pass repeats its last group into the spare slots, so the inner loop has a
    // fixed length (unrolled); the spare sums are dropped.
    let cols: [&[u8]; NARROW_CHUNK] = std::array::from_fn(|i| groups.col(g0 + i.min(len - 1)));
    let mut parts = [[E::ZERO; NARROW_BINS]; NARROW_CHUNK];
    match leaf {
        LeafRows::All(gh) => {
            for (r, g) in gh.iter().enumerate() {
                for (p, col) in parts.iter_mut().zip(&cols) {
                    p[col[r] as usize & MASK].add_pair(g);
                }
            }
        }
        LeafRows::Some { rows, ordered } => {
            for (i, (&r, g)) in rows.iter().zip(ordered).enumerate() {
                #[cfg(target_arch = "x86_64")]
                request_ahead(rows, i, &cols[..len]);
                for (p, col) in parts.iter_mut().zip(&cols) {
                    p[col[r as usize] as usize & MASK].add_pair(g);
                }
            }
        }
    }
    for ((h, p), &skip) in out.iter_mut().zip(&parts).zip(&groups.skip_zero[g0..]) {
        *h = [E::ZERO; 256];
        h[..NARROW_BINS].copy_from_slice(p);
        if skip {
            h[0] = E::ZERO;
        }
    }
}

/// How a group's histogram is built, in the order [`FeatureGroups::build`] lays groups out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum GroupKind {
    /// More than [`NARROW_BINS`] bins, every bin summed: four per pass ([`accumulate4`]).
    Full,
    /// At most [`NARROW_BINS`] bins: [`NARROW_CHUNK`] per pass ([`accumulate_narrow`]).
    Narrow,
    /// More than [`NARROW_BINS`] bins, bin 0 skipped: one per pass ([`accumulate`]).
    Skip,
}

impl GroupKind {
    /// The kind of a group of `bins` bins that skips bin 0 when `skip_zero`.
    pub(crate) fn of(bins: usize, skip_zero: bool) -> GroupKind {
        if bins <= NARROW_BINS {
            GroupKind::Narrow
        } else if skip_zero {
            GroupKind::Skip
        } else {
            GroupKind::Full
        }
    }
}

/// How one col-wise pass covers its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassKind {
    /// [`COL_CHUNK`] wide groups summed in full ([`accumulate4`]).
    Wide,
    /// Up to [`NARROW_CHUNK`] narrow groups ([`accumulate_narrow`]).
    Narrow,
    /// One wide group on its own, bin 0 skipped when its group says so ([`accumulate`]).
    Single,
}

/// The col-wise passes over a set of groups, fixed when the groups are: `(kind, first group,
/// groups)`, contiguous and in group order, every group in exactly one; `order` is the order
/// they are handed to the threads.
pub(crate) struct Plan {
    passes: Vec<(PassKind, usize, usize)>,
    order: Vec<usize>,
    /// Per pass, its groups' interleaved bins when it is a wide pass ([`interleave`]), else
    /// empty.
    quads: Vec<Vec<u32>>,
}

impl Plan {
    /// Each run of consecutive groups of one kind, cut into passes: wide groups summed in full
    /// four at a time (a last short run one at a time), narrow ones `NARROW_CHUNK` at a time,
    /// wide ones skipping bin 0 one at a time. [`FeatureGroups::build`] orders the groups by
    /// kind, so there are three runs at most.
    pub fn new(groups: &FeatureGroups) -> Plan {
        let kind = |g: usize| GroupKind::of(groups.group_bins[g], groups.skip_zero[g]);
        let ng = groups.n_groups();
        let mut passes = Vec::new();
        let mut start = 0;
        while start < ng {
            let k = kind(start);
            let end = (start..ng).find(|&g| kind(g) != k).unwrap_or(ng);
            let (pass, width) = match k {
                GroupKind::Full => (PassKind::Wide, COL_CHUNK),
                GroupKind::Narrow => (PassKind::Narrow, NARROW_CHUNK),
                GroupKind::Skip => (PassKind::Single, 1),
            };
            let mut g = start;
            while g < end {
                let len = width.min(end - g);
                if pass == PassKind::Wide && len < COL_CHUNK {
                    passes.extend((g..end).map(|s| (PassKind::Single, s, 1)));
                } else {
                    passes.push((pass, g, len));
                }
                g += len;
            }
            start = end;
        }
        // Costliest passes first (about one unit per group; a single group's pass still
        // streams every gradient pair): rayon hands each thread a contiguous half of the list
        // and then steals halves of halves, and a heavy pass left at the end of the list would
        // run while the other thread waits.
        let cost = |i: usize| match passes[i] {
            (PassKind::Single, _, _) => 2,
            (_, _, len) => len,
        };
        let mut order: Vec<usize> = (0..passes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(cost(i)));
        let quads = passes
            .par_iter()
            .map(|&(kind, g0, _)| match kind {
                PassKind::Wide => interleave(std::array::from_fn(|i| groups.col(g0 + i))),
                PassKind::Narrow | PassKind::Single => Vec::new(),
            })
            .collect();
        Plan {
            passes,
            order,
            quads,
        }
    }
}

/// Build the histogram of `leaf` of every group with `need[g]` into `out` (one entry per
/// group), by the passes of `plan` run in parallel. A pass with no needed group is skipped; a
/// four-group pass with at most two needed builds those one at a time (same sums, bit for bit).
/// The histograms of the other groups are left as they were or built (when they share a pass
/// with needed ones): the caller does not read them.
///
/// With `parent` (the histograms of `leaf`'s parent), each pass then subtracts its needed
/// groups from the parent's ([`subtract_into`]), turning them into the sibling's while the
/// child's are still in cache: the subtraction of a whole split, on one thread between two
/// parallel steps, had left the other thread idle.
pub(crate) fn build<E: Entry>(
    groups: &FeatureGroups,
    plan: &Plan,
    leaf: LeafRows<'_, E>,
    out: &mut [Hist<E>],
    need: &[bool],
    parent: Option<&mut [Hist<E>]>,
) {
    // Each pass's histograms (and its part of the parent's), cut from `out` in group order,
    // then handed out in the plan's order (costliest first).
    type Cut<'h, E> = Option<(
        PassKind,
        usize,
        &'h [u32],
        &'h mut [Hist<E>],
        Option<&'h mut [Hist<E>]>,
    )>;
    let mut rest = out;
    let mut rest_parent = parent;
    let mut cut: Vec<Cut<'_, E>> = Vec::with_capacity(plan.passes.len());
    for (&(kind, g0, len), quad) in plan.passes.iter().zip(&plan.quads) {
        let (hs, tail) = std::mem::take(&mut rest).split_at_mut(len);
        rest = tail;
        let ps = rest_parent.take().map(|p| {
            let (ps, tail) = p.split_at_mut(len);
            rest_parent = Some(tail);
            ps
        });
        cut.push(Some((kind, g0, quad, hs, ps)));
    }
    let work: Vec<_> = plan
        .order
        .iter()
        .filter_map(|&i| cut[i].take())
        .filter(|(_, g0, _, hs, _)| need[*g0..*g0 + hs.len()].contains(&true))
        .collect();
    work.into_par_iter().for_each(|(kind, g0, quad, hs, ps)| {
        let needed = need[g0..g0 + hs.len()].iter().filter(|&&n| n).count();
        match kind {
            // One group alone streams every gradient pair as four do, at about half the cost
            // of the four (see `Plan::new`): below three needed groups, build them alone.
            PassKind::Wide if needed > 2 => accumulate4(quad, leaf, hs),
            PassKind::Narrow => accumulate_narrow(groups, g0, leaf, hs),
            PassKind::Wide | PassKind::Single => {
                for (i, h) in hs.iter_mut().enumerate() {
                    if need[g0 + i] {
                        accumulate(groups.col(g0 + i), leaf, groups.skip_zero[g0 + i], h);
                    }
                }
            }
        }
        if let Some(ps) = ps {
            let groups_here = g0..g0 + hs.len();
            subtract_into(
                ps,
                hs,
                &groups.group_bins[groups_here.clone()],
                &need[groups_here],
            );
        }
    });
}

/// `parent -= child` on the groups with `need[g]`, turning the parent's histogram into its
/// other child's (the other groups are left as they were).
pub(crate) fn subtract_into<E: Entry>(
    parent: &mut [Hist<E>],
    child: &[Hist<E>],
    n_bins: &[usize],
    need: &[bool],
) {
    for (((p, c), &nb), _) in parent
        .iter_mut()
        .zip(child)
        .zip(n_bins)
        .zip(need)
        .filter(|(_, n)| **n)
    {
        for (a, b) in p[..nb].iter_mut().zip(&c[..nb]) {
            a.sub(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binning::BinnedData;

    #[test]
    fn four_at_a_time_matches_one_at_a_time() {
        let (n, nu) = (3000usize, 7usize);
        let bins: Vec<u8> = (0..n * nu).map(|i| ((i * 7919) % 200) as u8).collect();
        let data = BinnedData::from_bins(bins, &[200; 7]);
        let groups = FeatureGroups::build(&data, true);
        assert_eq!(groups.n_groups(), nu);
        let gh: Vec<GradPair> = (0..n).map(|i| [(i % 11) as f32 - 5.0, 0.5]).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 4 != 1).collect();
        let ordered: Vec<GradPair> = rows.iter().map(|&r| gh[r as usize]).collect();
        for leaf in [
            LeafRows::All(&gh),
            LeafRows::Some {
                rows: &rows,
                ordered: &ordered,
            },
        ] {
            // Every group; groups of the four-group pass (0-3) and of the single ones (4-6)
            // left out: the needed ones are built, bit for bit, the others left untouched or
            // built in full (the fourth group of a pass with three needed).
            for need in [
                [true; 7],
                [false, true, false, false, false, false, true],
                [true, false, true, false, true, false, false],
                [true, true, false, true, false, false, false],
                [false; 7],
            ] {
                let mut got = vec![[[-1.0; 2]; 256]; nu];
                build(&groups, &Plan::new(&groups), leaf, &mut got, &need, None);
                for (g, h) in got.iter().enumerate() {
                    let mut want = [[0.0; 2]; 256];
                    accumulate(groups.col(g), leaf, false, &mut want);
                    let untouched = h == &[[-1.0; 2]; 256];
                    let three_of_four = g < 4 && need[..4].iter().filter(|&&n| n).count() == 3;
                    if need[g] || three_of_four {
                        assert_eq!(h, &want, "group {g}, {need:?}");
                    } else {
                        assert!(untouched, "group {g}, {need:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn subtraction_skips_groups_not_needed() {
        let mut parent = vec![[[5.0, 3.0]; 256]; 3];
        let child = vec![[[1.0, 1.0]; 256]; 3];
        subtract_into(&mut parent, &child, &[4, 4, 4], &[true, false, true]);
        for (g, want) in [(0, [4.0, 2.0]), (1, [5.0, 3.0]), (2, [4.0, 2.0])] {
            assert_eq!(parent[g][..4], [want; 4], "group {g}");
            assert_eq!(parent[g][4], [5.0, 3.0], "only the group's bins");
        }
    }

    #[test]
    fn subtraction_in_the_passes_is_the_subtraction_after_them() {
        // A parent's histograms, a child built with and without `parent`: the parent left
        // behind must be the parent minus the child on the needed groups, the same bits as
        // `subtract_into` after the build, and untouched elsewhere.
        let n = 9_001;
        let (groups, plan) = mixed_groups(n);
        let ng = groups.n_groups();
        let gh: Vec<GradPair> = (0..n)
            .map(|i| {
                [
                    ((i * 7919) % 113) as f32 * 0.01 - 0.5,
                    0.25 + (i % 3) as f32,
                ]
            })
            .collect();
        let mut parent = new_hist::<[f64; 2]>(ng);
        build(
            &groups,
            &plan,
            LeafRows::All(&gh),
            &mut parent,
            &vec![true; ng],
            None,
        );
        let some: Vec<u32> = (0..n as u32).filter(|r| r % 4 == 1).collect();
        let ordered: Vec<GradPair> = some.iter().map(|&r| gh[r as usize]).collect();
        let leaf = LeafRows::Some {
            rows: &some,
            ordered: &ordered,
        };
        let need: Vec<bool> = (0..ng).map(|g| g % 3 != 1).collect();
        let (mut child_a, mut child_b) = (new_hist(ng), new_hist(ng));
        let mut after = parent.clone();
        build(&groups, &plan, leaf, &mut child_a, &need, None);
        subtract_into(&mut after, &child_a, &groups.group_bins, &need);
        let mut fused = parent.clone();
        build(&groups, &plan, leaf, &mut child_b, &need, Some(&mut fused));
        let bits = |h: &[Hist<[f64; 2]>]| {
            h.iter()
                .flat_map(|g| g.iter().flat_map(|e| e.map(f64::to_bits)))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&fused), bits(&after));
        for g in (0..ng).filter(|&g| !need[g]) {
            assert_eq!(bits(&fused[g..g + 1]), bits(&parent[g..g + 1]), "group {g}");
        }
        assert!(need.iter().any(|&n| n) && fused != parent);
    }

    /// The groups of [`mixed_data`]`(n)` and their plan.
    fn mixed_groups(n: usize) -> (FeatureGroups, Plan) {
        let groups = FeatureGroups::build(&mixed_data(n), true);
        let plan = Plan::new(&groups);
        (groups, plan)
    }

    /// `n` rows of: a 3-bin dense feature, a wide dense one (200 bins) and a 40-bin dense one,
    /// five exclusive one-hot columns set on 40 % of the rows (they bundle into one narrow
    /// group skipping bin 0), and a 100-bin feature off its bin 0 on 10 % of the rows (a wide
    /// group skipping bin 0); columns are given feature by feature.
    fn mixed_data(n: usize) -> BinnedData {
        let n_bins = [3usize, 200, 40, 2, 2, 2, 2, 2, 100];
        let nu = n_bins.len();
        let mut bins = vec![0u8; n * nu];
        for r in 0..n {
            let h = (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
            let row = &mut bins[r * nu..(r + 1) * nu];
            // Runs of equal bins, the case the narrow passes are for.
            row[0] = ((r / 7) % 3) as u8;
            row[1] = (h % 200) as u8;
            row[2] = ((h >> 8) % 40) as u8;
            // Columns 3-6 set on 40 % of the rows; column 7 on none (a constant column,
            // bundled all the same).
            let c = (h >> 16) % 10;
            if c < 4 {
                row[3 + c as usize] = 1;
            }
            if (h >> 24).is_multiple_of(10) {
                row[8] = 1 + ((h >> 28) % 99) as u8;
            }
        }
        BinnedData::from_bins(bins, &n_bins)
    }

    #[test]
    fn every_path_sums_each_entry_in_row_order() {
        let n = 20_037;
        let (groups, plan) = mixed_groups(n);
        // Groups by kind: the wide feature, then the narrow ones (the 3-bin and 40-bin
        // features, the one-hot bundle), then the wide sparse feature (bundled with the
        // constant column, which fits anywhere).
        let group_of: Vec<usize> = groups.slots.iter().map(|s| s.group).collect();
        assert_eq!(group_of, [1, 0, 2, 3, 3, 3, 3, 4, 4]);
        let narrow: Vec<bool> = groups
            .group_bins
            .iter()
            .map(|&b| b <= NARROW_BINS)
            .collect();
        assert_eq!(narrow, [false, true, true, true, false]);
        assert_eq!(groups.skip_zero, [false, false, false, true, true]);
        assert_eq!(
            plan.passes,
            [
                (PassKind::Single, 0, 1),
                (PassKind::Narrow, 1, 3),
                (PassKind::Single, 4, 1)
            ]
        );
        assert_eq!(plan.order, [1, 0, 2], "the costliest pass first");

        let gh: Vec<GradPair> = (0..n)
            .map(|i| {
                [
                    ((i * 37) % 101) as f32 / 7.0 - 7.0,
                    0.25 + (i % 5) as f32 / 8.0,
                ]
            })
            .collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let most: Vec<u32> = (0..n as u32).filter(|r| r % 5 != 2).collect();
        let few: Vec<u32> = (0..n as u32).filter(|r| r % 13 == 4).collect();
        for (rows, all_rows) in [(&all, true), (&most, false), (&few, false)] {
            let ordered: Vec<GradPair> = rows.iter().map(|&r| gh[r as usize]).collect();
            let leaf: LeafRows<'_, [f64; 2]> = if all_rows {
                LeafRows::All(&gh)
            } else {
                LeafRows::Some {
                    rows,
                    ordered: &ordered,
                }
            };
            let mut got = new_hist(5);
            build(&groups, &plan, leaf, &mut got, &[true; 5], None);
            for (g, h) in got.iter().enumerate() {
                // Four wide groups or many narrow ones at a time: each entry is the plain sum
                // in the leaf's row order, bit for bit.
                let skip = groups.skip_zero[g];
                let mut want = [[0.0; 2]; 256];
                for &r in rows.iter() {
                    let b = groups.col(g)[r as usize] as usize;
                    if !(skip && b == 0) {
                        want[b].add_pair(&gh[r as usize]);
                    }
                }
                assert_eq!(h, &want, "group {g}, {} rows", rows.len());
            }
        }
    }

    #[test]
    fn quantized_entries_sum_exactly_on_every_path() {
        // Packed integer pairs through the same passes (wide, narrow, single, bin 0 skipped):
        // each entry is the exact integer sum of its rows, whatever the pass.
        let n = 20_037;
        let (groups, plan) = mixed_groups(n);
        let gh: Vec<i64> = (0..n)
            .map(|i| ((((i * 37) % 5) as i64 - 2) << 32) + (i % 5) as i64)
            .collect();
        let some: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 1).collect();
        let ordered: Vec<i64> = some.iter().map(|&r| gh[r as usize]).collect();
        for (rows, leaf) in [
            ((0..n as u32).collect::<Vec<_>>(), LeafRows::All(&gh[..])),
            (
                some.clone(),
                LeafRows::Some {
                    rows: &some,
                    ordered: &ordered,
                },
            ),
        ] {
            let mut got = new_hist::<i64>(groups.n_groups());
            build(
                &groups,
                &plan,
                leaf,
                &mut got,
                &vec![true; groups.n_groups()],
                None,
            );
            for (g, h) in got.iter().enumerate() {
                let mut want = [(0i64, 0i64); 256];
                for &r in &rows {
                    let b = groups.col(g)[r as usize] as usize;
                    if !(groups.skip_zero[g] && b == 0) {
                        let (a, c) = crate::quantize::unpack(gh[r as usize]);
                        want[b].0 += a;
                        want[b].1 += c;
                    }
                }
                let unpacked: Vec<(i64, i64)> =
                    h.iter().map(|&v| crate::quantize::unpack(v)).collect();
                assert_eq!(unpacked, want, "group {g}, {} rows", rows.len());
                let [gs, hs] = h[1].pair([0.5, 0.25]);
                assert_eq!([gs, hs], [want[1].0 as f64 * 0.5, want[1].1 as f64 * 0.25]);
            }
        }
    }

    #[test]
    fn ordered_rows_match_a_direct_sum() {
        let n = 5000usize;
        let col: Vec<u8> = (0..n).map(|i| ((i * 7919) % 13) as u8).collect();
        let gh: Vec<GradPair> = (0..n).map(|i| [(i % 7) as f32 - 3.0, 1.0]).collect();
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 3 != 0).collect();
        let ordered: Vec<GradPair> = rows.iter().map(|&r| gh[r as usize]).collect();
        for skip in [false, true] {
            let mut h = [[0.0; 2]; 256];
            accumulate(
                &col,
                LeafRows::Some {
                    rows: &rows,
                    ordered: &ordered,
                },
                skip,
                &mut h,
            );
            let mut want = [[0.0; 2]; 256];
            for &r in &rows {
                let b = col[r as usize] as usize;
                if !(skip && b == 0) {
                    want[b].add_pair(&gh[r as usize]);
                }
            }
            assert_eq!(h, want);
            let mut all = [[0.0; 2]; 256];
            accumulate(&col, LeafRows::All(&gh), skip, &mut all);
            let total: f64 = all.iter().map(|e| e[1]).sum();
            let zeros = col.iter().filter(|&&b| b == 0).count();
            assert_eq!(total, (n - if skip { zeros } else { 0 }) as f64);
        }
    }
}
