//! Feature binning: bin boundaries from quantiles of a row sample, and the row-major `u8` bin
//! matrix the histograms are built from.
//!
//! A numerical feature's bin `b` holds the values `v` with `upper[b - 1] < v <= upper[b]` (the
//! last value bin is unbounded above), so a split "bin `<= t`" is exactly the raw rule
//! "`x <= upper[t]`" stored in the tree. As in LightGBM (`BinMapper::FindBin`), a feature has a
//! bin for missing values (NaN) when the bin-construction sample holds a NaN, and that bin counts
//! within `max_bin`: such a feature gets at most `max_bin - 1` value bins plus the NaN bin, the
//! others at most `max_bin` value bins. A NaN in a feature without a NaN bin (none in the
//! sample) is read as 0.0, as LightGBM's `MissingType::None`. Zeros are never missing here
//! (LightGBM's defaults `use_missing = true`, `zero_as_missing = false`): a feature whose only
//! "missing" values are zeros has no NaN bin, and zero gets a value bin of its own. Features
//! with a single bin cannot split and are left out of the matrix.
//!
//! Every feature has at most 256 bins (bin indices fit a `u8`): a numerical one at most
//! `max_bin <= 255`, a categorical one at most 255 categories plus its missing bin.

use cartera_core::{CarteraRng, Error, Float, Result};

use crate::tree::ZERO_THRESHOLD;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// Rows per parallel block when scanning or binning (fixed: results never depend on threads).
const SCAN_BLOCK: usize = 8192;
/// RNG stream index of the bin-construction sample (apart from bagging's streams).
pub(crate) const SAMPLE_STREAM: u64 = 0xB15A_3B1E;

/// Largest category code a categorical feature may hold, plus one: category sets are bitsets
/// over codes in the model, so codes are kept small (LightGBM allows up to `i32::MAX`, at the
/// price of huge bitsets).
pub const MAX_CATEGORY: u32 = 1 << 20;

/// The bins of a categorical feature: one per kept category, most frequent first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CategoryBins {
    /// The code of each value bin.
    pub codes: Vec<u32>,
    /// `(code, bin)` sorted by code, for look-up.
    lookup: Vec<(u32, u8)>,
}

impl CategoryBins {
    /// Bins for codes in the order given (at most 255).
    pub fn new(codes: Vec<u32>) -> Self {
        let mut lookup: Vec<(u32, u8)> = codes
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect();
        lookup.sort_unstable();
        CategoryBins { codes, lookup }
    }

    /// The codes of the bins in `left_bins` (bit `b % 64` of word `b / 64`) as a bitset over
    /// codes, LightGBM's layout of a category set (bit `c % 32` of word `c / 32`).
    pub fn code_bitset(&self, left_bins: &[u64; 4]) -> Vec<u32> {
        let codes: Vec<u32> = (0..self.codes.len())
            .filter(|&b| left_bins[b / 64] >> (b % 64) & 1 == 1)
            .map(|b| self.codes[b])
            .collect();
        let words = codes.iter().max().map_or(1, |&m| m as usize / 32 + 1);
        let mut bits = vec![0u32; words];
        for c in codes {
            bits[c as usize / 32] |= 1 << (c % 32);
        }
        bits
    }

    /// The bin of code `c`, if it was kept.
    #[inline]
    fn bin(&self, c: u32) -> Option<u8> {
        self.lookup
            .binary_search_by_key(&c, |&(code, _)| code)
            .ok()
            .map(|i| self.lookup[i].1)
    }
}

/// The category code of a value as trees read it (LightGBM's rule): NaN and negative values
/// are missing, others are truncated toward zero.
#[inline]
pub(crate) fn category_code(v: f64) -> Option<u32> {
    if v.is_nan() || v < 0.0 {
        None
    } else if v >= MAX_CATEGORY as f64 {
        Some(MAX_CATEGORY)
    } else {
        Some(v as u32)
    }
}

/// The bin boundaries of one feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinMapper {
    /// Upper bound of each value bin; the last is `+inf`. Empty for a categorical feature.
    pub upper: Vec<f64>,
    /// Whether NaN has its own bin (index `n_value_bins()`). Always true for a categorical
    /// feature, whose extra bin holds missing values and the categories not kept.
    pub has_nan: bool,
    /// The categories of a categorical feature (`None`: numerical).
    pub categories: Option<CategoryBins>,
    /// How LightGBM's histogram of this feature holds its first bin, which decides how its
    /// split search counts rows when missing values go right (see [`FirstBin`]).
    pub first_bin: FirstBin,
}

/// Whether LightGBM leaves a feature's first bin out of its histograms: it does when the
/// feature's `most_freq_bin` is 0 (the bin of zero, for a feature without negative values,
/// unless another bin holds at least 70 % of the sampled rows), and then recovers that bin as
/// the leaf's sums minus every stored bin. The one place this shows is the scan that sends
/// missing values right: its left side starts from that remainder, so the left side's row
/// count is the leaf's rows minus the estimated counts of the bins to its right, not the sum
/// of the estimated counts of its own bins. The two differ by the rounding of each bin's
/// estimate (`round(h · rows / H)`), enough to move a side across `min_data_in_leaf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstBin {
    /// LightGBM stores every bin (its `most_freq_bin` is not 0), or the feature is categorical.
    Stored,
    /// LightGBM's implicit first bin is this mapper's bin 0.
    Implicit,
    /// LightGBM's implicit first bin is the empty zero bin this mapper drops (a feature whose
    /// sampled values are all positive): every bin of this mapper is stored.
    ImplicitEmpty,
}

impl BinMapper {
    /// Value bins (without the NaN bin).
    #[inline]
    pub fn n_value_bins(&self) -> usize {
        match &self.categories {
            Some(c) => c.codes.len(),
            None => self.upper.len(),
        }
    }

    /// A numerical mapper.
    pub fn numerical(upper: Vec<f64>, has_nan: bool) -> Self {
        BinMapper {
            upper,
            has_nan,
            categories: None,
            first_bin: FirstBin::Stored,
        }
    }

    /// All bins, NaN bin included.
    #[inline]
    pub fn n_bins(&self) -> usize {
        self.n_value_bins() + usize::from(self.has_nan)
    }

    /// Whether the feature can split at all.
    pub fn is_trivial(&self) -> bool {
        self.n_bins() < 2
    }

    /// The bin of a value. NaN goes to the NaN bin when there is one, else it is read as 0.0
    /// (what the tree's [`MissingType::None`](crate::tree::MissingType::None) rule does).
    #[inline]
    pub fn bin(&self, v: f64) -> u8 {
        if let Some(cats) = &self.categories {
            let other = cats.codes.len() as u8;
            return category_code(v).and_then(|c| cats.bin(c)).unwrap_or(other);
        }
        if v.is_nan() {
            if self.has_nan {
                return self.upper.len() as u8;
            }
            return self.value_bin(0.0);
        }
        self.value_bin(v)
    }

    #[inline]
    fn value_bin(&self, v: f64) -> u8 {
        value_bin(&self.upper, v) as u8
    }

    /// The raw threshold of the split "bin `<= t`": the bin's upper bound, or the largest finite
    /// value for the last value bin (every value goes left; only NaN goes right).
    pub fn threshold(&self, t: usize) -> f64 {
        let u = self.upper[t];
        if u.is_finite() { u } else { f64::MAX }
    }
}

/// The value bin of `v` among the bins with upper bounds `upper`: the first whose bound is `>=
/// v` (the last bound is +inf, so this is in range).
#[inline]
fn value_bin(upper: &[f64], v: f64) -> usize {
    upper.partition_point(|&u| u < v).min(upper.len() - 1)
}

/// LightGBM's `kSparseThreshold`: a bin other than zero's is the most frequent one only when it
/// holds at least this share of the sampled rows.
const SPARSE_THRESHOLD: f64 = 0.7;

/// [`FirstBin`] of a numerical feature, as LightGBM's `BinMapper::FindBin` sets
/// `most_freq_bin_`: the bin with the most sampled rows (the first of equals; the NaN bin
/// counts), replaced by the bin of zero unless it holds at least [`SPARSE_THRESHOLD`] of them.
/// `dropped_zero`: the mapper dropped LightGBM's empty first zero bin.
fn first_bin(
    upper: &[f64],
    dropped_zero: bool,
    distinct: &[f64],
    counts: &[usize],
    nan_cnt: usize,
) -> FirstBin {
    let shift = usize::from(dropped_zero);
    let mut cnt = vec![0usize; shift + upper.len() + usize::from(nan_cnt > 0)];
    // Both are sorted: one walk (LightGBM's own loop), not a search per value.
    let mut b = 0;
    for (&v, &c) in distinct.iter().zip(counts) {
        while b + 1 < upper.len() && v > upper[b] {
            b += 1;
        }
        cnt[shift + b] += c;
    }
    if nan_cnt > 0 {
        let last = cnt.len() - 1;
        cnt[last] = nan_cnt;
    }
    let total: usize = cnt.iter().sum();
    let zero_bin = if dropped_zero {
        0
    } else {
        value_bin(upper, 0.0)
    };
    let mut most = 0;
    for (b, &c) in cnt.iter().enumerate() {
        if c > cnt[most] {
            most = b;
        }
    }
    if most != zero_bin && (cnt[most] as f64 / total.max(1) as f64) < SPARSE_THRESHOLD {
        most = zero_bin;
    }
    match (most, dropped_zero) {
        (0, false) => FirstBin::Implicit,
        (0, true) => FirstBin::ImplicitEmpty,
        _ => FirstBin::Stored,
    }
}

/// LightGBM's `min_data_in_bin`: a bin boundary is only placed after at least this many
/// sampled values, so rare values do not get thresholds of their own.
const MIN_DATA_IN_BIN: usize = 3;

/// Midpoint of two adjacent distinct values, never rounded up onto the larger one.
fn mid(a: f64, b: f64) -> f64 {
    let m = a + (b - a) / 2.0;
    if m < b { m } else { a }
}

/// Greedy equal-count bins over distinct values (LightGBM's `GreedyFindBin`): values heavier
/// than the mean bin get a bin of their own. Returns upper bounds, the last one `+inf`.
fn greedy_bins(distinct: &[f64], counts: &[usize], max_bin: usize, total: usize) -> Vec<f64> {
    let nd = distinct.len();
    let mut upper = Vec::new();
    if nd <= max_bin {
        let mut cur = 0;
        for i in 0..nd.saturating_sub(1) {
            cur += counts[i];
            if cur >= MIN_DATA_IN_BIN {
                upper.push(mid(distinct[i], distinct[i + 1]));
                cur = 0;
            }
        }
    } else {
        let max_bin = max_bin.min(total / MIN_DATA_IN_BIN).max(1);
        let mean = total as f64 / max_bin as f64;
        let big: Vec<bool> = counts.iter().map(|&c| c as f64 >= mean).collect();
        let n_big = big.iter().filter(|b| **b).count();
        let mut rest_bins = max_bin.saturating_sub(n_big).max(1) as f64;
        let mut rest_cnt = (total
            - (0..nd)
                .filter(|&i| big[i])
                .map(|i| counts[i])
                .sum::<usize>()) as f64;
        let mut mean = rest_cnt / rest_bins;
        let mut cur = 0usize;
        for i in 0..nd - 1 {
            if !big[i] {
                rest_cnt -= counts[i] as f64;
            }
            cur += counts[i];
            if big[i] || cur as f64 >= mean || (big[i + 1] && cur as f64 >= (mean * 0.5).max(1.0)) {
                upper.push(mid(distinct[i], distinct[i + 1]));
                if upper.len() >= max_bin - 1 {
                    break;
                }
                cur = 0;
                if !big[i] {
                    rest_bins -= 1.0;
                    mean = if rest_bins > 0.0 {
                        rest_cnt / rest_bins
                    } else {
                        f64::INFINITY
                    };
                }
            }
        }
    }
    upper.push(f64::INFINITY);
    upper
}

/// Bin boundaries from the sorted finite sample values of one feature: negative values,
/// zero (its own bin, `[-1e-35, 1e-35]`) and positive values binned apart, as LightGBM's
/// `FindBinWithZeroAsOneBin`. With a NaN bin (`has_nan`) the value bins get `max_bin - 1`, so
/// that the NaN bin counts within `max_bin` (LightGBM's `FindBin` for `MissingType::NaN`).
fn mapper_from_sorted(values: &[f64], nan_cnt: usize, max_bin: usize) -> BinMapper {
    let has_nan = nan_cnt > 0;
    // Runs of equal values (`==`, so -0.0 and 0.0 share a run, as in a comparison with the
    // run's first value), with room for every value up front: on 200,000 distinct sampled
    // values this function took half the time of a loop pushing into growing vectors.
    let mut distinct: Vec<f64> = Vec::with_capacity(values.len());
    let mut counts: Vec<usize> = Vec::with_capacity(values.len());
    for run in values.chunk_by(|a, b| a == b) {
        distinct.push(run[0]);
        counts.push(run.len());
    }
    // Value bins: every bin but the NaN bin (`max_bin >= 2`, so at least one).
    let max_bin = max_bin - usize::from(has_nan);
    let total = values.len();
    let neg_end = distinct.partition_point(|&v| v < -ZERO_THRESHOLD);
    let pos_start = distinct.partition_point(|&v| v <= ZERO_THRESHOLD);
    let cnt_neg: usize = counts[..neg_end].iter().sum();
    let cnt_pos: usize = counts[pos_start..].iter().sum();
    let cnt_zero = total - cnt_neg - cnt_pos;
    let nonzero = (total - cnt_zero).max(1) as f64;
    let mut upper = Vec::new();
    if neg_end > 0 && max_bin > 1 {
        let left_max = ((cnt_neg as f64 / nonzero * (max_bin - 1) as f64) as usize).max(1);
        upper = greedy_bins(&distinct[..neg_end], &counts[..neg_end], left_max, cnt_neg);
        if let Some(last) = upper.last_mut() {
            *last = -ZERO_THRESHOLD;
        }
    }
    // LightGBM's `right_max_bin`: what is left after the negative bins and the zero bin. With
    // none left (max_bin 2 with negative values, or a single value bin), the last bin takes
    // zero and the positive values together.
    let right_max = (max_bin - 1).saturating_sub(upper.len());
    if pos_start < distinct.len() && right_max > 0 {
        upper.push(ZERO_THRESHOLD);
        upper.extend(greedy_bins(
            &distinct[pos_start..],
            &counts[pos_start..],
            right_max,
            cnt_pos,
        ));
    } else {
        upper.push(f64::INFINITY);
    }
    // Drop the zero bin when no sampled value falls in it and it comes first (no negative
    // value): LightGBM keeps it empty, which shifts its bin indices by one but changes no
    // boundary nor any split, so the feature has one bin fewer than LightGBM's here.
    let dropped_zero = neg_end == 0 && cnt_zero == 0 && upper.len() > 1;
    if dropped_zero {
        upper.remove(0);
    }
    let first = first_bin(&upper, dropped_zero, &distinct, &counts, nan_cnt);
    BinMapper {
        first_bin: first,
        ..BinMapper::numerical(upper, has_nan)
    }
}

/// Most categories a categorical feature keeps: with its missing bin, 256 bins, the most a
/// `u8` holds. LightGBM may keep more (see [`category_mapper`]), in wider bins.
const MAX_KEPT_CATEGORIES: usize = 255;

/// Category bins from the sampled values of a categorical feature (NaN allowed), as
/// LightGBM's categorical `BinMapper::FindBin`: categories by count, most frequent first (ties:
/// smaller code); after the first two, only categories seen at least `MIN_DATA_IN_BIN` times.
/// The missing bin (NaN, negative codes and the categories not kept) counts within `max_bin`,
/// and categories are taken until they both cover 99 % of the non-missing sampled values and
/// fill `max_bin` bins: at most `max_bin - 1` categories once they cover 99 %, more while they
/// do not (up to [`MAX_KEPT_CATEGORIES`], where LightGBM would go on).
fn category_mapper(values: &[f64], max_bin: usize) -> BinMapper {
    let mut codes: Vec<u32> = values.iter().filter_map(|&v| category_code(v)).collect();
    codes.sort_unstable();
    let n_codes = codes.len();
    let n_missing = values.len() - n_codes;
    let mut counted: Vec<(usize, u32)> = Vec::new();
    for c in codes {
        match counted.last_mut() {
            Some((n, last)) if *last == c => *n += 1,
            _ => counted.push((1, c)),
        }
    }
    counted.sort_by_key(|&(n, c)| (std::cmp::Reverse(n), c));
    // LightGBM's `cut_cnt`: 99 % of the non-missing values, computed in `f32` (`0.99f`) and
    // rounded half up.
    let cut = ((n_codes as f32 * 0.99f32) as f64 + 0.5) as usize;
    // Bins available: at most one per distinct category plus the missing bin (when there are
    // missing values).
    let max_bin = max_bin.min(counted.len() + usize::from(n_missing > 0));
    let mut kept: Vec<u32> = Vec::new();
    let mut used = 0usize;
    for (i, &(n, c)) in counted.iter().enumerate() {
        // Bins so far: the kept categories and the missing bin.
        if used >= cut && kept.len() + 1 >= max_bin {
            break;
        }
        if i > 1 && n < MIN_DATA_IN_BIN {
            break;
        }
        if kept.len() == MAX_KEPT_CATEGORIES {
            break;
        }
        kept.push(c);
        used += n;
    }
    BinMapper {
        upper: Vec::new(),
        has_nan: true,
        categories: Some(CategoryBins::new(kept)),
        first_bin: FirstBin::Stored,
    }
}

/// The binned training data.
pub(crate) struct BinnedData {
    /// One mapper per input feature (trivial ones included, so indices match the input).
    pub mappers: Vec<BinMapper>,
    /// Input feature index of each used (non-trivial) feature.
    pub used: Vec<usize>,
    /// Row-major bins: `bins[r * used.len() + j]` for used feature `j`.
    pub bins: Vec<u8>,
    /// Rows.
    pub n_rows: usize,
}

impl BinnedData {
    /// Used features per row.
    #[inline]
    pub fn n_used(&self) -> usize {
        self.used.len()
    }

    /// Test data from row-major `bins`, every feature used, feature `j` with `n_bins[j]`
    /// numerical bins (upper bounds `b + 0.5`, the last +inf).
    #[cfg(test)]
    pub(crate) fn from_bins(bins: Vec<u8>, n_bins: &[usize]) -> BinnedData {
        let nu = n_bins.len();
        let mappers = n_bins
            .iter()
            .map(|&nb| {
                BinMapper::numerical(
                    (0..nb)
                        .map(|b| {
                            if b + 1 == nb {
                                f64::INFINITY
                            } else {
                                b as f64 + 0.5
                            }
                        })
                        .collect(),
                    false,
                )
            })
            .collect();
        BinnedData {
            mappers,
            used: (0..nu).collect(),
            n_rows: bins.len() / nu,
            bins,
        }
    }
}

/// Refuse ±inf (NaN is missing, allowed); returns which columns hold a NaN.
pub(crate) fn scan_input<F: Float>(x: ArrayView2<F>, what: &str) -> Result<Vec<bool>> {
    let (n, d) = x.dim();
    let n_blocks = n.div_ceil(SCAN_BLOCK);
    let parts: Vec<std::result::Result<Vec<bool>, (usize, usize, f64)>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let mut nan = vec![false; d];
            let (start, end) = (b * SCAN_BLOCK, ((b + 1) * SCAN_BLOCK).min(n));
            // The common case, a contiguous block without ±inf, is scanned without a branch
            // per value (the flags are or-ed in, which vectorises across a row); the loop
            // below, which finds the first infinite cell, only runs on a block that has one.
            if let Some(values) = x.slice(ndarray::s![start..end, ..]).to_slice()
                && d > 0
            {
                let mut inf = false;
                for row in values.chunks_exact(d) {
                    for (h, v) in nan.iter_mut().zip(row) {
                        *h |= v.is_nan();
                        inf |= v.is_infinite();
                    }
                }
                if !inf {
                    return Ok(nan);
                }
            }
            for r in start..end {
                for (c, v) in x.row(r).iter().enumerate() {
                    let v = v.as_f64();
                    if v.is_nan() {
                        nan[c] = true;
                    } else if v.is_infinite() {
                        return Err((r, c, v));
                    }
                }
            }
            Ok(nan)
        })
        .collect();
    let mut has_nan = vec![false; d];
    // Blocks in order, so the first bad value in row-major order is the one reported.
    for p in parts {
        match p {
            Ok(nan) => {
                for (h, n) in has_nan.iter_mut().zip(nan) {
                    *h |= n;
                }
            }
            Err((row, column, v)) => {
                return Err(Error::NonFinite {
                    what: what.into(),
                    row,
                    column,
                    value: v.to_string(),
                });
            }
        }
    }
    Ok(has_nan)
}

/// Find bin boundaries on a sample of at most `sample_cnt` rows and bin every row.
pub(crate) fn bin_training<F: Float>(
    x: ArrayView2<F>,
    is_cat: &[bool],
    max_bin: usize,
    sample_cnt: usize,
    seed: u64,
) -> BinnedData {
    let (n, d) = x.dim();
    let sample: Vec<usize> = if n <= sample_cnt {
        (0..n).collect()
    } else {
        let mut rng = CarteraRng::stream(seed, SAMPLE_STREAM);
        let mut idx = rng.permutation(n);
        idx.truncate(sample_cnt);
        idx.sort_unstable();
        idx
    };
    let mappers = build_mappers(d, is_cat, max_bin, |c| {
        let col = x.column(c);
        sample.iter().map(|&r| col[r].as_f64()).collect()
    });
    let used: Vec<usize> = (0..d).filter(|&c| !mappers[c].is_trivial()).collect();
    let bins = bin_rows(x, &mappers, &used);
    BinnedData {
        mappers,
        used,
        bins,
        n_rows: n,
    }
}

/// One mapper per feature from the sampled values of each (`sample_values(c)`, NaN allowed),
/// in parallel over features. A numerical feature gets a NaN bin when its sampled values hold
/// a NaN, as LightGBM decides `MissingType::NaN` from the bin-construction sample.
pub(crate) fn build_mappers(
    d: usize,
    is_cat: &[bool],
    max_bin: usize,
    sample_values: impl Fn(usize) -> Vec<f64> + Sync,
) -> Vec<BinMapper> {
    (0..d)
        .into_par_iter()
        .map(|c| {
            let mut vals = sample_values(c);
            if is_cat.get(c).copied().unwrap_or(false) {
                return category_mapper(&vals, max_bin);
            }
            let n = vals.len();
            vals.retain(|v| !v.is_nan());
            let nan_cnt = n - vals.len();
            sort_total(&mut vals);
            if vals.is_empty() {
                // All sampled values missing: one (empty) value bin, and NaN's own bin.
                return BinMapper::numerical(vec![f64::INFINITY], nan_cnt > 0);
            }
            mapper_from_sorted(&vals, nan_cnt, max_bin)
        })
        .collect()
}

/// Sorts `vals` in `f64::total_cmp` order, by sorting integer keys with that order (the sign
/// bit flipped for positive values, every bit for negative ones): about twice as fast as
/// sorting by `total_cmp` on 200,000 sampled values, and the same sequence, since equal keys
/// are equal values.
fn sort_total(vals: &mut [f64]) {
    const SIGN: u64 = 1 << 63;
    let key = |v: f64| {
        let b = v.to_bits();
        if b & SIGN == 0 { b | SIGN } else { !b }
    };
    let value = |k: u64| f64::from_bits(if k & SIGN != 0 { k & !SIGN } else { !k });
    let mut keys: Vec<u64> = vals.iter().map(|&v| key(v)).collect();
    keys.sort_unstable();
    for (v, k) in vals.iter_mut().zip(keys) {
        *v = value(k);
    }
}

/// Row-major bins of `x` for the `used` features.
pub(crate) fn bin_rows<F: Float>(
    x: ArrayView2<F>,
    mappers: &[BinMapper],
    used: &[usize],
) -> Vec<u8> {
    let n = x.nrows();
    let nu = used.len();
    let mut bins = vec![0u8; n * nu];
    if nu == 0 {
        return bins;
    }
    let searches: Vec<Option<ValueSearch>> = used
        .iter()
        .map(|&f| match mappers[f].categories {
            None => ValueSearch::new(&mappers[f].upper),
            Some(_) => None,
        })
        .collect();
    let rows = RowBins {
        mappers,
        used,
        searches: &searches,
    };
    bins.par_chunks_mut(SCAN_BLOCK * nu)
        .enumerate()
        .for_each(|(b, chunk)| rows.block(x, b * SCAN_BLOCK, chunk));
    bins
}

/// What [`bin_rows`] reads for each row: the mappers, the used features and their searches.
struct RowBins<'a> {
    mappers: &'a [BinMapper],
    used: &'a [usize],
    searches: &'a [Option<ValueSearch>],
}

impl RowBins<'_> {
    /// Bins the rows from `first` into `out` (one row of `used.len()` bins after another): by
    /// [`ValueSearch`] in an AVX-512 or AVX2 build where the CPU has it (its counts of bounds
    /// below a value become vector compares), else by each mapper's binary search. Compares
    /// only, so every build gives the same bins (tested).
    fn block<F: Float>(&self, x: ArrayView2<F>, first: usize, out: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        {
            if cartera_core::dots::has_avx512() {
                // SAFETY: the CPU has AVX-512F (checked just above), all the build needs.
                #[allow(unsafe_code)]
                unsafe {
                    self.block_avx512(x, first, out)
                };
                return;
            }
            if cartera_core::dots::has_avx2_fma() {
                // SAFETY: the CPU has AVX2 (checked just above), all the build needs.
                #[allow(unsafe_code)]
                unsafe {
                    self.block_avx2(x, first, out)
                };
                return;
            }
        }
        self.block_plain(x, first, out);
    }

    /// AVX-512 build: two 512-bit compares per level (a loop of 16 scalar compares took 15 to
    /// 30 ns per value here, the compiler moving each mask through vector registers).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,popcnt")]
    fn block_avx512<F: Float>(&self, x: ArrayView2<F>, first: usize, out: &mut [u8]) {
        // SAFETY: this build runs where the CPU has AVX-512F and POPCNT.
        #[allow(unsafe_code)]
        self.block_with(x, first, out, |s, v| unsafe { s.bin_avx512(v) });
    }

    /// AVX2 build: the compiler turns [`ValueSearch::bin`]'s counts into vector compares.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn block_avx2<F: Float>(&self, x: ArrayView2<F>, first: usize, out: &mut [u8]) {
        self.block_with(x, first, out, ValueSearch::bin);
    }

    /// The loop without vector compares: each mapper's binary search.
    fn block_plain<F: Float>(&self, x: ArrayView2<F>, first: usize, out: &mut [u8]) {
        for (i, out) in out.chunks_mut(self.used.len()).enumerate() {
            let row = x.row(first + i);
            for (o, &f) in out.iter_mut().zip(self.used) {
                *o = self.mappers[f].bin(row[f].as_f64());
            }
        }
    }

    /// The loop: `bin(search, v)` for a numerical value (not NaN), the mapper otherwise.
    #[inline(always)]
    fn block_with<F: Float>(
        &self,
        x: ArrayView2<F>,
        first: usize,
        out: &mut [u8],
        bin: impl Fn(&ValueSearch, f64) -> usize,
    ) {
        for (i, out) in out.chunks_mut(self.used.len()).enumerate() {
            let row = x.row(first + i);
            for ((o, &f), search) in out.iter_mut().zip(self.used).zip(self.searches) {
                let v = row[f].as_f64();
                *o = match search {
                    // The bin of a value (not NaN) is below 256: the cast is exact.
                    Some(s) if !v.is_nan() => bin(s, v) as u8,
                    _ => self.mappers[f].bin(v),
                };
            }
        }
    }
}

/// Bounds per block of [`ValueSearch`].
const SEARCH_BLOCK: usize = 16;

/// A numerical feature's bin bounds laid out for a two-level search without branches: the
/// last bound of each block of 16 (`+inf` past the end), then the bounds themselves padded
/// with `+inf` to 256. The number of bounds below `v` is 16 times the number of blocks whose
/// last bound is below it, plus the count within the next block: two runs of 16 compares,
/// where a binary search over 255 bounds took eight dependent steps (about 20 ns per value).
struct ValueSearch {
    top: [f64; SEARCH_BLOCK],
    all: [[f64; SEARCH_BLOCK]; SEARCH_BLOCK],
    /// The last value bin (`upper.len() - 1`).
    last: usize,
}

impl ValueSearch {
    /// The search over `upper` (sorted, at most 256 bounds, else `None`).
    fn new(upper: &[f64]) -> Option<ValueSearch> {
        if upper.is_empty() || upper.len() > SEARCH_BLOCK * SEARCH_BLOCK {
            return None;
        }
        let mut all = [[f64::INFINITY; SEARCH_BLOCK]; SEARCH_BLOCK];
        for (i, &u) in upper.iter().enumerate() {
            all[i / SEARCH_BLOCK][i % SEARCH_BLOCK] = u;
        }
        Some(ValueSearch {
            top: all.map(|b| b[SEARCH_BLOCK - 1]),
            all,
            last: upper.len() - 1,
        })
    }

    /// [`value_bin`] of `v` (not NaN): the number of bounds below `v`, at most the last bin.
    #[inline(always)]
    fn bin(&self, v: f64) -> usize {
        self.locate(|b| b.iter().map(|&u| usize::from(u < v)).sum())
    }

    /// The bin from `below(block)`, the number of a block's bounds below the value: blocks are
    /// sorted, so those wholly below it come first, then the block holding the first bound
    /// `>=` it; `min` keeps a value above every bound in the last block.
    #[inline(always)]
    fn locate(&self, below: impl Fn(&[f64; SEARCH_BLOCK]) -> usize) -> usize {
        let j = below(&self.top).min(SEARCH_BLOCK - 1);
        (j * SEARCH_BLOCK + below(&self.all[j])).min(self.last)
    }

    /// [`Self::bin`] with AVX-512: each count of 16 is two 512-bit compares and two popcounts.
    ///
    /// # Safety
    /// The CPU has AVX-512F and POPCNT.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,popcnt")]
    #[inline]
    #[allow(unsafe_code)]
    unsafe fn bin_avx512(&self, v: f64) -> usize {
        use std::arch::x86_64::{_CMP_LT_OQ, _mm512_cmp_pd_mask, _mm512_loadu_pd, _mm512_set1_pd};
        let vv = _mm512_set1_pd(v);
        // "Less than, ordered": `u < v` as the scalar compare (never true with NaN).
        let below = |b: &[f64; SEARCH_BLOCK]| {
            // SAFETY: `b` holds 16 values, two unaligned 512-bit loads.
            let (lo, hi) = unsafe {
                (
                    _mm512_loadu_pd(b.as_ptr()),
                    _mm512_loadu_pd(b.as_ptr().add(8)),
                )
            };
            let m = [
                _mm512_cmp_pd_mask::<_CMP_LT_OQ>(lo, vv),
                _mm512_cmp_pd_mask::<_CMP_LT_OQ>(hi, vv),
            ];
            (m[0].count_ones() + m[1].count_ones()) as usize
        };
        self.locate(below)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_level_search_is_the_binary_search() {
        let mut rng = CarteraRng::seed_from_u64(3);
        for len in [1, 2, 15, 16, 17, 31, 32, 200, 255, 256] {
            let mut upper: Vec<f64> = (0..len - 1).map(|_| rng.normal_with(0.0, 10.0)).collect();
            upper.sort_by(f64::total_cmp);
            upper.dedup();
            upper.push(f64::INFINITY);
            let s = ValueSearch::new(&upper).expect("at most 256 bounds");
            let mut probes: Vec<f64> = upper.clone();
            probes.extend(upper.iter().map(|u| u - 1e-9));
            probes.extend(upper.iter().map(|u| u + 1e-9));
            probes.extend((0..500).map(|_| rng.normal_with(0.0, 15.0)));
            probes.extend([
                f64::NEG_INFINITY,
                f64::INFINITY,
                0.0,
                -0.0,
                f64::MAX,
                f64::MIN,
            ]);
            for v in probes {
                let want = value_bin(&upper, v);
                assert_eq!(s.bin(v), want, "{len} bounds, value {v}");
                #[cfg(target_arch = "x86_64")]
                if cartera_core::dots::has_avx512() {
                    // SAFETY: the CPU has AVX-512F (checked), and POPCNT with it.
                    #[allow(unsafe_code)]
                    let got = unsafe { s.bin_avx512(v) };
                    assert_eq!(got, want, "AVX-512, {len} bounds, value {v}");
                }
            }
        }
        assert!(ValueSearch::new(&[0.0; 257]).is_none());
    }

    #[test]
    fn rows_bin_as_each_value_does() {
        // Numerical features with and without a NaN bin, a categorical one, NaN cells.
        let mut rng = CarteraRng::seed_from_u64(4);
        let (n, d) = (3 * SCAN_BLOCK / 2, 4);
        let x = ndarray::Array2::from_shape_fn((n, d), |(i, j)| match (j, i % 11) {
            (_, 0) if j != 2 => f64::NAN,
            (2, _) => (i % 7) as f64,
            (3, _) => (rng.uniform() * 300.0).floor(),
            _ => rng.normal_with(0.0, 3.0),
        });
        let data = bin_training(x.view(), &[false, false, true, false], 255, 200_000, 1);
        for i in (0..n).step_by(37) {
            for (u, &f) in data.used.iter().enumerate() {
                assert_eq!(
                    data.bins[i * data.used.len() + u],
                    data.mappers[f].bin(x[[i, f]]),
                    "row {i}, feature {f}"
                );
            }
        }
    }

    #[test]
    fn sort_total_is_the_total_cmp_sort() {
        let mut rng = CarteraRng::seed_from_u64(9);
        let mut vals: Vec<f64> = (0..5000)
            .map(|i| match i % 7 {
                0 => (rng.uniform() * 20.0).floor() - 10.0,
                1 => -0.0,
                2 => 0.0,
                3 => f64::INFINITY,
                4 => f64::NEG_INFINITY,
                5 => f64::MIN_POSITIVE * rng.uniform_range(-2.0, 2.0),
                _ => rng.normal_with(0.0, 1e6),
            })
            .collect();
        let mut want = vals.clone();
        want.sort_unstable_by(f64::total_cmp);
        sort_total(&mut vals);
        assert_eq!(
            vals.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn few_values_get_one_bin_each() {
        let m = mapper_from_sorted(&[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 5.0, 5.0, 5.0], 0, 255);
        assert_eq!(m.n_value_bins(), 3);
        assert_eq!(m.bin(1.0), 0);
        assert_eq!(m.bin(1.5), 0);
        assert_eq!(m.bin(1.6), 1);
        assert_eq!(m.bin(100.0), 2);
        assert_eq!(m.bin(-100.0), 0);
        assert_eq!(m.bin(f64::NAN), 0, "no NaN bin: read as 0.0");
        // Raw rule agrees with bins.
        for v in [0.0, 1.0, 1.5, 1.6, 2.0, 3.4, 3.5, 3.6, 5.0, 9.0] {
            for t in 0..2 {
                assert_eq!(m.bin(v) as usize <= t, v <= m.threshold(t), "v {v} t {t}");
            }
        }
    }

    /// LightGBM's `most_freq_bin == 0` (checked against LightGBM's trees by the
    /// `nan_counts` test): the bin of zero unless another bin holds 70 % of the rows.
    #[test]
    fn first_bin_is_implicit_where_lightgbm_leaves_it_out() {
        let ints = |lo: i32, hi: i32| (lo..=hi).map(f64::from).collect::<Vec<f64>>();
        // Integers with zeros: bin 0 is zero's.
        assert_eq!(
            mapper_from_sorted(&ints(0, 40), 5, 255).first_bin,
            FirstBin::Implicit
        );
        // Positive only: LightGBM's first bin is the empty zero bin this mapper drops.
        assert_eq!(
            mapper_from_sorted(&ints(1, 40), 5, 255).first_bin,
            FirstBin::ImplicitEmpty
        );
        // Both signs: zero's bin comes after the negative ones.
        assert_eq!(
            mapper_from_sorted(&ints(-20, 20), 5, 255).first_bin,
            FirstBin::Stored
        );
        // One value holding 85 % of the rows: it is the most frequent bin, not bin 0.
        let mut heavy = vec![3.0; 85];
        heavy.extend(ints(4, 18));
        heavy.sort_by(f64::total_cmp);
        assert_eq!(
            mapper_from_sorted(&heavy, 0, 255).first_bin,
            FirstBin::Stored
        );
        // ... but at 60 % the bin of zero stays the most frequent one.
        let mut light = vec![3.0; 60];
        light.extend(ints(4, 43));
        light.sort_by(f64::total_cmp);
        assert_eq!(
            mapper_from_sorted(&light, 0, 255).first_bin,
            FirstBin::ImplicitEmpty
        );
        // Missing values in 80 % of the rows: the NaN bin is the most frequent one.
        assert_eq!(
            mapper_from_sorted(&ints(0, 19), 80, 255).first_bin,
            FirstBin::Stored
        );
        assert_eq!(
            mapper_from_sorted(&ints(0, 19), 40, 255).first_bin,
            FirstBin::Implicit
        );
    }

    #[test]
    fn many_values_are_capped_and_balanced() {
        let vals: Vec<f64> = (1..=10_000).map(|i| i as f64).collect();
        let m = mapper_from_sorted(&vals, 1, 16);
        // 16 bins: the NaN bin, LightGBM's empty zero bin (dropped here) and 14 value bins.
        assert_eq!(m.n_value_bins(), 14);
        assert_eq!(m.n_bins(), m.n_value_bins() + 1);
        assert_eq!(m.bin(f64::NAN) as usize, m.n_value_bins());
        let mut counts = vec![0usize; m.n_value_bins()];
        for &v in &vals {
            counts[m.bin(v) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (500..=800).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn rare_values_share_bins_and_zero_is_alone() {
        let m = mapper_from_sorted(&[-2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0], 0, 255);
        assert_eq!(m.bin(-2.0), m.bin(-1.0), "fewer than 3 values: one bin");
        assert_ne!(m.bin(-1.0), m.bin(0.0));
        assert_ne!(m.bin(0.0), m.bin(1.0));
        assert_eq!(m.bin(1.0), m.bin(2.0));
        assert_ne!(m.bin(3.0), m.bin(4.0));
    }

    #[test]
    fn nan_bin_counts_within_max_bin() {
        // 1,000 distinct values around zero (LightGBM: 255 bins either way, checked with
        // LightGBM 4.7): with a NaN in the sample, 254 value bins and the NaN bin.
        let mut x: Vec<f64> = (-500..500).map(f64::from).collect();
        let m = build_mappers(1, &[], 255, |_| x.clone()).remove(0);
        assert!(!m.has_nan);
        assert_eq!(m.n_value_bins(), 255);
        x.push(f64::NAN);
        let m = build_mappers(1, &[], 255, |_| x.clone()).remove(0);
        assert!(m.has_nan);
        assert_eq!(m.n_value_bins(), 254);
        assert_eq!(m.n_bins(), 255);
        assert_eq!(m.bin(f64::NAN), 254, "the NaN bin is the last, within u8");
        // Zeros are values, not missing: no NaN bin, zero in a bin of its own.
        let z: Vec<f64> = [0.0; 10]
            .into_iter()
            .chain((1..=40).map(f64::from))
            .collect();
        let m = build_mappers(1, &[], 8, |_| z.clone()).remove(0);
        assert!(!m.has_nan);
        assert_eq!(m.n_bins(), 8);
        assert_ne!(m.bin(0.0), m.bin(1.0));
        // Smallest max_bin with NaN: one value bin and the NaN bin.
        let m = build_mappers(1, &[], 2, |_| x.clone()).remove(0);
        assert_eq!((m.n_value_bins(), m.n_bins()), (1, 2));
    }

    #[test]
    fn nan_bin_comes_from_the_sample() {
        // Row 0 holds the only NaN; a sample of 20 of the 40 rows that leaves it out gives no
        // NaN bin (LightGBM decides the missing type from the sampled values), and the NaN is
        // then binned as 0.0.
        let x =
            ndarray::Array2::from_shape_fn(
                (40, 1),
                |(i, _)| {
                    if i == 0 { f64::NAN } else { (i % 2) as f64 }
                },
            );
        let all = bin_training(x.view(), &[], 255, 100, 0);
        assert!(all.mappers[0].has_nan);
        let missed = (0..64)
            .map(|seed| bin_training(x.view(), &[], 255, 20, seed))
            .find(|b| !b.mappers[0].has_nan)
            .expect("some seed's sample leaves row 0 out");
        assert_eq!(missed.used, vec![0]);
        assert_eq!(missed.bins[0], missed.mappers[0].bin(0.0));
        assert_eq!(missed.bins[0], missed.bins[2], "NaN binned with 0.0");
    }

    /// LightGBM's bins of single columns (`tests/fixtures/gbdt_bins_lightgbm.json`, made by
    /// `scripts/fixtures_gbdt_bins.py`).
    fn lightgbm_bins() -> serde_json::Value {
        cartera_core::testkit::fixture("gbdt_bins_lightgbm.json")
    }

    /// The values of a fixture case: runs of `[value, count]` (`null` = NaN), or a column of a
    /// CSV in the repository (blank = NaN).
    fn case_values(doc: &serde_json::Value, case: &serde_json::Value) -> Vec<f64> {
        let column = case["column"].as_str().unwrap();
        if let Some(csv) = case["csv"].as_str() {
            let path = format!("{}/../../{csv}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            let mut lines = text.lines();
            let header = lines.next().unwrap().trim_start_matches('\u{feff}');
            let j = header.split(',').position(|h| h == column).unwrap();
            return lines
                .map(|l| {
                    l.split(',')
                        .nth(j)
                        .unwrap()
                        .trim()
                        .parse()
                        .unwrap_or(f64::NAN)
                })
                .collect();
        }
        let mut x = Vec::new();
        for run in doc["columns"][column].as_array().unwrap() {
            let v = run[0].as_f64().unwrap_or(f64::NAN);
            x.extend(std::iter::repeat_n(v, run[1].as_u64().unwrap() as usize));
        }
        x
    }

    #[test]
    fn numerical_bins_match_lightgbm() {
        let doc = lightgbm_bins();
        for case in doc["numerical"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let max_bin = case["max_bin"].as_u64().unwrap() as usize;
            let x = case_values(&doc, case);
            let m = build_mappers(1, &[], max_bin, |_| x.clone()).remove(0);
            // LightGBM's largest value of each value bin; its empty zero bin, first when no
            // value is <= 1e-35, is dropped here.
            let theirs: Vec<Option<f64>> = case["bin_max"]
                .as_array()
                .unwrap()
                .iter()
                .map(serde_json::Value::as_f64)
                .collect();
            let dropped =
                theirs[0].is_none() && x.iter().all(|&v| v.is_nan() || v > ZERO_THRESHOLD);
            let mut ours: Vec<Option<f64>> = vec![None; m.n_value_bins()];
            for &v in x.iter().filter(|v| !v.is_nan()) {
                let b = &mut ours[m.bin(v) as usize];
                *b = Some(b.map_or(v, |m| m.max(v)));
            }
            assert_eq!(ours, theirs[usize::from(dropped)..], "{name}: value bins");
            let num_bin = case["num_bin"].as_u64().unwrap() as usize;
            assert_eq!(m.n_bins() + usize::from(dropped), num_bin, "{name}: bins");
            assert_eq!(m.has_nan, !case["nan_bin"].is_null(), "{name}: NaN bin");
            if m.has_nan {
                assert_eq!(m.bin(f64::NAN) as usize, m.n_value_bins(), "{name}");
            }
        }
    }

    #[test]
    fn categorical_bins_match_lightgbm() {
        let doc = lightgbm_bins();
        for case in doc["categorical"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let max_bin = case["max_bin"].as_u64().unwrap() as usize;
            let x = case_values(&doc, case);
            let m = build_mappers(1, &[true], max_bin, |_| x.clone()).remove(0);
            let theirs: Vec<u32> = case["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap() as u32)
                .collect();
            let ours = &m.categories.as_ref().unwrap().codes;
            // LightGBM's bin 0 is the missing bin, cartera's the last; past 255 categories
            // LightGBM goes on in wider bins, cartera keeps the first 255.
            let kept = theirs.len().min(MAX_KEPT_CATEGORIES);
            assert_eq!(ours[..], theirs[..kept], "{name}: categories");
            if kept == theirs.len() {
                let num_bin = case["num_bin"].as_u64().unwrap() as usize;
                assert_eq!(m.n_bins(), num_bin, "{name}: bins");
            }
        }
    }

    #[test]
    fn heavy_value_gets_its_own_bin() {
        let mut vals = vec![0.0; 5000];
        vals.extend((1..=5000).map(|i| i as f64));
        let m = mapper_from_sorted(&vals, 0, 10);
        assert_ne!(m.bin(0.0), m.bin(1.0));
    }

    #[test]
    fn scan_finds_first_inf_and_nan_columns() {
        let x = array![[1.0, f64::NAN], [2.0, 3.0]];
        assert_eq!(scan_input(x.view(), "X").unwrap(), vec![false, true]);
        // A view that is not contiguous in row-major order takes the cell-by-cell path.
        assert_eq!(scan_input(x.t(), "X").unwrap(), vec![true, false]);
        // Many blocks, the first infinite cell in row-major order (block 2) is reported.
        let mut big = ndarray::Array2::<f64>::zeros((3 * SCAN_BLOCK, 3));
        big[[2 * SCAN_BLOCK + 7, 2]] = f64::INFINITY;
        big[[2 * SCAN_BLOCK + 9, 0]] = f64::NEG_INFINITY;
        big[[5, 1]] = f64::NAN;
        match scan_input(big.view(), "X") {
            Err(Error::NonFinite { row, column: 2, .. }) => assert_eq!(row, 2 * SCAN_BLOCK + 7),
            other => panic!("{other:?}"),
        }
        big[[2 * SCAN_BLOCK + 7, 2]] = 1.0;
        big[[2 * SCAN_BLOCK + 9, 0]] = 1.0;
        assert_eq!(
            scan_input(big.view(), "X").unwrap(),
            vec![false, true, false]
        );
        let x = array![[1.0, 2.0], [f64::NEG_INFINITY, f64::INFINITY]];
        match scan_input(x.view(), "X") {
            Err(Error::NonFinite {
                row: 1, column: 0, ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn constant_columns_are_skipped() {
        let x = array![
            [1.0, 5.0, f64::NAN],
            [1.0, 5.0, 1.0],
            [1.0, 5.0, 1.0],
            [2.0, 5.0, 1.0],
            [2.0, 5.0, 1.0],
            [2.0, 5.0, 1.0]
        ];
        let b = bin_training(x.view(), &[], 255, 100, 0);
        assert_eq!(
            b.used,
            vec![0, 2],
            "constant column 1 skipped, NaN column kept"
        );
        assert_eq!(b.bins.len(), 12);
        assert_eq!(&b.bins[..2], &[0, 1]);
    }
}
