//! Lloyd's algorithm, iteration for iteration as scikit-learn's `_kmeans_single_lloyd`.

use cartera_core::Float;

use crate::kernel::{
    CentreTable, Prepared, assign, inertia, n_blocks, partial_len, update_centres,
};

/// One k-means run from given initial centres.
pub(crate) struct Run<F> {
    /// Final centres, row-major `k * d`, in the centred coordinates.
    pub centres: Vec<F>,
    /// Nearest final centre of each row.
    pub labels: Vec<u32>,
    /// Total weighted inertia.
    pub inertia: f64,
    /// Iterations run.
    pub n_iter: usize,
    /// Whether labels stopped changing or the centre shift fell to `tol` before `max_iter`.
    pub converged: bool,
}

/// Runs Lloyd iterations: assign (E), then average and relocate empty clusters (M). Stops when
/// no label changed since the previous iteration ("strict convergence") or when the total
/// squared centre shift is `<= tol` (already scaled by the data variance). Without strict
/// convergence a last E-step makes the labels match the returned centres, as scikit-learn.
pub(crate) fn lloyd<F: Float>(
    p: &Prepared<F>,
    init: Vec<F>,
    k: usize,
    max_iter: usize,
    tol: f64,
) -> Run<F> {
    let d = p.d;
    let mut centres = init;
    let mut new = vec![F::zero(); k * d];
    let mut labels = vec![u32::MAX; p.n];
    let mut partial = vec![F::zero(); n_blocks(p.n) * partial_len(k, d)];
    let (mut n_iter, mut strict, mut converged) = (0, false, false);
    for it in 0..max_iter {
        n_iter = it + 1;
        let table = CentreTable::new(&centres, k, d);
        let changed = assign(p, &table, &mut labels, Some(&mut partial));
        let shift = update_centres(p, &centres, &labels, &partial, k, &mut new);
        std::mem::swap(&mut centres, &mut new);
        if changed == 0 {
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
        let table = CentreTable::new(&centres, k, d);
        assign(p, &table, &mut labels, None);
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
