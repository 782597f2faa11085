//! Lloyd's algorithm, iteration for iteration as scikit-learn's `_kmeans_single_lloyd`.

use cartera_core::Float;

use crate::kernel::{
    CentreTable, Prepared, assign_many, finish_many, n_blocks, partial_len, update_centres,
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
#[cfg(test)]
pub(crate) fn lloyd<F: Float>(
    p: &Prepared<F>,
    init: Vec<F>,
    k: usize,
    max_iter: usize,
    tol: f64,
) -> Run<F> {
    use crate::kernel::{assign, inertia};
    // The one-run loop the lock-step version must reproduce (kept as its reference).
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

/// One restart's state between iterations.
struct State<F> {
    centres: Vec<F>,
    new: Vec<F>,
    labels: Vec<u32>,
    partial: Vec<F>,
    n_iter: usize,
    strict: bool,
    /// Stopped by its own rule (a restart still iterating has not converged).
    converged: bool,
}

/// [`lloyd`] for several restarts at once (`inits[r]` the initial centres of restart `r`), in
/// lock step: each iteration's E-step is one pass over the data for every restart still
/// running ([`assign_many`]), so a fit of ten restarts streams the rows from memory about
/// as often as its slowest restart iterates, instead of once per iteration of every restart.
/// A restart stops by its own rule and its result is the one [`lloyd`] gives it alone, to the
/// bit (tested).
pub(crate) fn lloyd_many<F: Float>(
    p: &Prepared<F>,
    inits: Vec<Vec<F>>,
    k: usize,
    max_iter: usize,
    tol: f64,
) -> Vec<Run<F>> {
    let d = p.d;
    let plen = n_blocks(p.n) * partial_len(k, d);
    let mut states: Vec<State<F>> = inits
        .into_iter()
        .map(|centres| State {
            centres,
            new: vec![F::zero(); k * d],
            labels: vec![u32::MAX; p.n],
            partial: vec![F::zero(); plen],
            n_iter: 0,
            strict: false,
            converged: false,
        })
        .collect();
    for it in 0..max_iter {
        let mut running: Vec<&mut State<F>> = states.iter_mut().filter(|s| !s.converged).collect();
        if running.is_empty() {
            break;
        }
        let tables: Vec<CentreTable<F>> = running
            .iter()
            .map(|s| CentreTable::new(&s.centres, k, d))
            .collect();
        let slices = running
            .iter_mut()
            .map(|s| (&mut s.labels[..], &mut s.partial[..]))
            .collect();
        let changed = assign_many(p, &tables, slices);
        for (s, changed) in running.into_iter().zip(changed) {
            s.n_iter = it + 1;
            let shift = update_centres(p, &s.centres, &s.labels, &s.partial, k, &mut s.new);
            std::mem::swap(&mut s.centres, &mut s.new);
            if changed == 0 {
                s.strict = true;
                s.converged = true;
                continue;
            }
            let shift_tot: f64 = shift.iter().map(|s| s.as_f64().powi(2)).sum();
            s.converged = shift_tot <= tol;
        }
    }
    // The last E-step of the runs that did not stop on unchanged labels, and every run's
    // inertia, in one more pass.
    let relabel: Vec<bool> = states.iter().map(|s| !s.strict).collect();
    let (centres, labels): (Vec<&[F]>, Vec<&mut [u32]>) = states
        .iter_mut()
        .map(|s| (&s.centres[..], &mut s.labels[..]))
        .unzip();
    let inertias = finish_many(p, &centres, k, labels, &relabel);
    states
        .into_iter()
        .zip(inertias)
        .map(|(s, inertia)| Run {
            centres: s.centres,
            labels: s.labels,
            inertia,
            n_iter: s.n_iter,
            converged: s.converged,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::CarteraRng;

    /// Restarts run together stop at different iterations, by each rule (unchanged labels,
    /// the tolerance, `max_iter`), some with an empty cluster to relocate; each must come out
    /// exactly as it does alone, over several blocks of rows, in `f64` and `f32`, for k in
    /// the 8-centre kernel's range and the 16-centre one.
    #[test]
    fn restarts_in_lock_step_are_the_restarts_alone() {
        fn check<F: Float>(to: impl Fn(f64) -> F) {
            let (n, d) = (1_300, 5);
            let mut rng = CarteraRng::seed_from_u64(11);
            let data: Vec<F> = (0..n * d)
                .map(|i| to(rng.normal() + ((i / d) % 4) as f64 * 3.0))
                .collect();
            let p = Prepared::raw(data.clone(), vec![F::one(); n], d);
            for k in [3, 8, 12] {
                let mut inits: Vec<Vec<F>> = (0..6)
                    .map(|r| {
                        (0..k)
                            .flat_map(|c| {
                                let i = (c * 97 + r * 31) % n;
                                data[i * d..(i + 1) * d].to_vec()
                            })
                            .collect()
                    })
                    .collect();
                // A centre far from every row: its cluster is empty at the first step.
                inits[1][..d].iter_mut().for_each(|v| *v = to(1e3));
                for (max_iter, tol) in [(300, 0.0), (300, 1e-3), (3, 0.0)] {
                    let many = lloyd_many(&p, inits.clone(), k, max_iter, tol);
                    let mut iters = Vec::new();
                    for (init, got) in inits.iter().zip(&many) {
                        let want = lloyd(&p, init.clone(), k, max_iter, tol);
                        assert_eq!(got.labels, want.labels, "k {k}");
                        assert_eq!(got.centres, want.centres, "k {k}");
                        assert_eq!(got.inertia.to_bits(), want.inertia.to_bits(), "k {k}");
                        assert_eq!((got.n_iter, got.converged), (want.n_iter, want.converged));
                        iters.push(got.n_iter);
                    }
                    if max_iter == 300 {
                        iters.sort_unstable();
                        iters.dedup();
                        assert!(iters.len() > 1, "the restarts stop at different iterations");
                    }
                }
            }
        }
        check::<f64>(|v| v);
        check::<f32>(|v| v as f32);
    }
}
