//! Hooks for `benches/` (hidden from the docs, not a stable API): one Lloyd iteration at a
//! time, so a benchmark can set it beside the memory floor (one read pass over the same
//! matrix).

use cartera_core::Float;
use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::kernel::{CentreTable, Prepared, assign, n_blocks, partial_len, update_centres};

/// The data prepared as a fit prepares it, fixed centres, and the buffers of one iteration.
pub struct LloydIteration<F> {
    p: Prepared<F>,
    centres: Vec<F>,
    k: usize,
    labels: Vec<u32>,
    partial: Vec<F>,
    new: Vec<F>,
}

impl<F: Float> LloydIteration<F> {
    /// Prepares `x` (unit weights) and takes `centres` (`k x d`, in `x`'s units).
    ///
    /// # Panics
    /// If the widths differ (benchmarks pass matching shapes).
    pub fn new(x: ArrayView2<'_, F>, centres: ArrayView2<'_, F>) -> Self {
        let (n, d) = x.dim();
        assert_eq!(centres.ncols(), d, "centres and data of different widths");
        let k = centres.nrows();
        let p = Prepared::new(x, vec![F::one(); n]);
        let centres = p.centred(centres);
        LloydIteration {
            labels: vec![u32::MAX; n],
            partial: vec![F::zero(); n_blocks(n) * partial_len(k, d)],
            new: vec![F::zero(); k * d],
            p,
            centres,
            k,
        }
    }

    /// Forgets the labels, so that the next [`step`](Self::step) assigns and sums every row
    /// (the most work an iteration can do: no block keeps its sums).
    pub fn forget_labels(&mut self) {
        self.labels.fill(u32::MAX);
    }

    /// One iteration from the fixed centres: the E-step (labels and block sums) and the
    /// M-step (new centres, empty clusters relocated). Returns how many labels changed.
    pub fn step(&mut self) -> usize {
        let (k, d) = (self.k, self.p.d);
        let table = CentreTable::new(&self.centres, k, d);
        let changed = assign(&self.p, &table, &mut self.labels, Some(&mut self.partial));
        update_centres(
            &self.p,
            &self.centres,
            &self.labels,
            &self.partial,
            k,
            &mut self.new,
        );
        changed
    }

    /// One read pass over the matrix that [`step`](Self::step) reads (the prepared, centred
    /// copy, in the same memory): every value loaded once and summed, in blocks of
    /// [`READ_BLOCK`] values on the current rayon pool, the blocks' sums added in order. No
    /// iteration can take less time, so `step`'s time over this one is how far the iteration
    /// is from the machine's memory floor, both measured in the same run.
    pub fn read_pass(&self) -> f64 {
        read_pass(&self.p.data)
    }
}

/// Values per parallel block of [`read_pass`]: a fixed size (not a function of the thread
/// count), large enough that scheduling is negligible, small enough for two threads to balance.
pub const READ_BLOCK: usize = 64 * 1024;

/// One read pass over `values`: each loaded once and summed, blocks of [`READ_BLOCK`] values
/// in parallel on the current rayon pool, the blocks' sums added in order. The memory floor of
/// `benches/memory_floor.rs` and of [`LloydIteration::read_pass`].
pub fn read_pass<F: Float>(values: &[F]) -> f64 {
    let blocks: Vec<f64> = values.par_chunks(READ_BLOCK).map(sum_block).collect();
    blocks.iter().sum()
}

/// Eight independent accumulators, so the pass waits on memory, not on one chain of additions
/// (the compiler also vectorises the eight lanes).
pub fn sum_block<F: Float>(values: &[F]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v.as_f64();
        }
    }
    let tail: f64 = chunks.remainder().iter().map(|v| v.as_f64()).sum();
    acc.iter().sum::<f64>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// The read pass sums the prepared (centred) values, all of them: a pass that skipped a
    /// block or a tail would not be a floor.
    #[test]
    fn read_pass_sums_every_prepared_value() {
        let n = 70_001;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * 7 + j * 13) % 101) as f64);
        let c = Array2::from_shape_fn((2, 3), |(i, j)| (i + j) as f64);
        let it = LloydIteration::new(x.view(), c.view());
        // Centred data sum to zero up to rounding; the absolute values say nothing was skipped.
        let want: f64 = it.p.data.iter().sum();
        assert!((it.read_pass() - want).abs() < 1e-6);
        let abs = LloydIteration {
            p: Prepared::raw(it.p.data.iter().map(|v| v.abs()).collect(), vec![1.0; n], 3),
            ..it
        };
        let want_abs: f64 = abs.p.data.iter().sum();
        assert!(want_abs > 1e5);
        assert!((abs.read_pass() - want_abs).abs() <= 1e-9 * want_abs);
    }
}
