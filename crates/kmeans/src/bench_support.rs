//! Hooks for `benches/` (hidden from the docs, not a stable API): one Lloyd iteration at a
//! time, so a benchmark can set it beside the memory floor (one read pass over the same
//! matrix).

use cartera_core::Float;
use ndarray::ArrayView2;

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
}
