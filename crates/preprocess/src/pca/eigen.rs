//! Symmetric eigen-decomposition for PCA, written on plain slices (no LAPACK).
//!
//! Two stages, as in LAPACK's `dsyev`:
//!
//! 1. **Householder tridiagonalisation**: `A = Q T Qᵀ` with `T` symmetric tridiagonal, in
//!    `n - 2` reflections (about `4/3 n³` flops, plus `4/3 n³` to form `Qᵀ`).
//! 2. **Implicit symmetric QR with Wilkinson shifts** on `T`, chasing the bulge with Givens
//!    rotations and deflating from the bottom; the rotations are accumulated into `Qᵀ`.
//!
//! Why not cyclic Jacobi, which is simpler: one Jacobi sweep costs about as much as the whole
//! tridiagonal reduction, and it needs 6 to 10 sweeps, so at the few hundred features PCA's
//! covariance path serves it is 3 to 5 times slower. Both are backward stable (eigenvalue
//! errors of order `ε·‖A‖`), which is all PCA needs; Jacobi's extra relative accuracy on tiny
//! eigenvalues buys nothing once they are clipped or discarded.
//!
//! Eigenvectors are kept as *rows* (the transpose of the usual layout): every Householder and
//! Givens update then touches two contiguous rows, which the compiler vectorises.

use ndarray::{Array2, ArrayView2};

/// Eigenvalues and unit eigenvectors of a symmetric matrix.
#[derive(Debug, Clone)]
pub(crate) struct SymmetricEigen {
    /// Eigenvalues in decreasing order (ties keep the order the QR iteration produced).
    pub values: Vec<f64>,
    /// Unit eigenvectors, one per row, row `i` belonging to `values[i]`; mutually orthogonal.
    pub vectors: Array2<f64>,
}

/// Upper bound on implicit QR steps per eigenvalue. The Wilkinson-shifted iteration converges
/// cubically and needs about 1.5 steps per eigenvalue on average; the bound only guards against
/// an endless loop on pathological input (the result is then returned as far as it got).
const MAX_STEPS_PER_EIGENVALUE: usize = 60;

/// Eigen-decomposition of the symmetric part `(A + Aᵀ) / 2` of the square matrix `a`.
///
/// The caller guarantees `a` is square and finite. A 0 x 0 matrix gives empty results.
pub(crate) fn symmetric_eigen(a: ArrayView2<'_, f64>) -> SymmetricEigen {
    let n = a.nrows().min(a.ncols());
    // Row-major working copy, symmetrised so that rounding asymmetry in the caller's matrix
    // (a Gram matrix from a blocked product, say) cannot bias the result.
    let mut w = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            w[i * n + j] = 0.5 * (a[[i, j]] + a[[j, i]]);
        }
    }
    let (mut d, mut e, mut qt) = tridiagonalise(&mut w, n);
    tridiagonal_qr(&mut d, &mut e, &mut qt, n);

    // Decreasing order; `total_cmp` gives a total order, and the sort is stable.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[j].total_cmp(&d[i]));
    let values = order.iter().map(|&i| d[i]).collect();
    let mut vectors = Array2::zeros((n, n));
    for (row, &i) in order.iter().enumerate() {
        for (dst, src) in vectors.row_mut(row).iter_mut().zip(&qt[i * n..(i + 1) * n]) {
            *dst = *src;
        }
    }
    SymmetricEigen { values, vectors }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Reduces the symmetric row-major `w` (n x n, overwritten) to tridiagonal form.
///
/// Returns the diagonal `d` (length n), the off-diagonal `e` (length n, `e[k]` couples `k` and
/// `k + 1`, `e[n - 1] = 0`) and `Qᵀ` (row-major n x n) with `T = Qᵀ A Q`.
fn tridiagonalise(w: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut e = vec![0.0f64; n];
    // Householder vectors and their 2 / vᵀv, one per reduced column.
    let mut reflectors: Vec<(usize, Vec<f64>, f64)> = Vec::new();
    let mut p = vec![0.0f64; n];
    for k in 0..n.saturating_sub(2) {
        let m = n - k - 1;
        // Column k below the diagonal equals row k right of it (symmetry): contiguous.
        let mut v: Vec<f64> = w[k * n + k + 1..k * n + n].to_vec();
        // Scale before squaring so that huge or tiny entries neither overflow nor underflow.
        let scale = v.iter().fold(0.0f64, |s, x| s.max(x.abs()));
        if scale == 0.0 {
            e[k] = 0.0;
            continue;
        }
        let tail: f64 = v[1..].iter().map(|x| (x / scale) * (x / scale)).sum();
        if tail == 0.0 {
            // Already tridiagonal in this column: the reflection would be the identity.
            e[k] = v[0];
            continue;
        }
        let head = v[0] / scale;
        let norm = scale * (head * head + tail).sqrt();
        // The sign opposite to v[0] makes v[0] - alpha a sum, never a cancellation.
        let alpha = if v[0] > 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vtv = v.iter().map(|x| x * x).sum::<f64>();
        let beta = 2.0 / vtv;
        // Two-sided update of the trailing block A22 <- H A22 H with H = I - beta v vᵀ,
        // written as A22 - v wᵀ - w vᵀ where w = p - (beta pᵀv / 2) v and p = beta A22 v.
        let p = &mut p[..m];
        for (i, pi) in p.iter_mut().enumerate() {
            let row = (k + 1 + i) * n + k + 1;
            *pi = beta * dot(&w[row..row + m], &v);
        }
        let half = 0.5 * beta * dot(p, &v);
        for (pi, vi) in p.iter_mut().zip(&v) {
            *pi -= half * vi;
        }
        for i in 0..m {
            let row = (k + 1 + i) * n + k + 1;
            let (vi, pi) = (v[i], p[i]);
            for ((a, vj), pj) in w[row..row + m].iter_mut().zip(&v).zip(p.iter()) {
                *a -= vi * pj + pi * vj;
            }
        }
        e[k] = alpha;
        reflectors.push((k, v, beta));
    }
    let d: Vec<f64> = (0..n).map(|i| w[i * n + i]).collect();
    if n >= 2 {
        e[n - 2] = w[(n - 2) * n + n - 1];
    }

    // Qᵀ = H_last ··· H_1 H_0: apply the reflections to the identity from the left, in order.
    let mut qt = vec![0.0f64; n * n];
    for i in 0..n {
        qt[i * n + i] = 1.0;
    }
    let mut u = vec![0.0f64; n];
    for (k, v, beta) in &reflectors {
        u.iter_mut().for_each(|x| *x = 0.0);
        for (i, vi) in v.iter().enumerate() {
            let row = &qt[(k + 1 + i) * n..(k + 2 + i) * n];
            for (uj, rj) in u.iter_mut().zip(row) {
                *uj += vi * rj;
            }
        }
        for (i, vi) in v.iter().enumerate() {
            let f = beta * vi;
            let row = &mut qt[(k + 1 + i) * n..(k + 2 + i) * n];
            for (rj, uj) in row.iter_mut().zip(&u) {
                *rj -= f * uj;
            }
        }
    }
    (d, e, qt)
}

/// `|e| <= ε (|a| + |b|)`: the coupling is below the rounding level of its neighbours (or
/// underflows), so setting it to zero perturbs the matrix by less than rounding already did.
fn negligible(e: f64, a: f64, b: f64) -> bool {
    e.abs() <= f64::EPSILON * (a.abs() + b.abs()) || e.abs() < f64::MIN_POSITIVE
}

/// Diagonalises the symmetric tridiagonal `(d, e)` in place, applying every rotation to the
/// rows of `zt` (row-major n x n), which therefore ends holding the eigenvectors as rows.
fn tridiagonal_qr(d: &mut [f64], e: &mut [f64], zt: &mut [f64], n: usize) {
    if n < 2 {
        return;
    }
    let mut steps = 0usize;
    let max_steps = MAX_STEPS_PER_EIGENVALUE * n;
    let mut hi = n - 1;
    while hi > 0 {
        if negligible(e[hi - 1], d[hi - 1], d[hi]) {
            // d[hi] has converged: deflate.
            e[hi - 1] = 0.0;
            hi -= 1;
            continue;
        }
        // The unreduced block [lo, hi] ending at hi.
        let mut lo = hi - 1;
        while lo > 0 && !negligible(e[lo - 1], d[lo - 1], d[lo]) {
            lo -= 1;
        }
        if lo > 0 {
            e[lo - 1] = 0.0;
        }
        if steps >= max_steps {
            break;
        }
        steps += 1;
        qr_step(d, e, zt, n, lo, hi);
    }
}

/// One implicit QR step with Wilkinson shift on the unreduced block `[lo, hi]`.
fn qr_step(d: &mut [f64], e: &mut [f64], zt: &mut [f64], n: usize, lo: usize, hi: usize) {
    // Wilkinson shift: the eigenvalue of the trailing 2 x 2 block nearer to d[hi].
    let half_gap = 0.5 * (d[hi - 1] - d[hi]);
    let b = e[hi - 1];
    let r = half_gap.hypot(b);
    let denom = if half_gap >= 0.0 {
        half_gap + r
    } else {
        half_gap - r
    };
    // denom != 0: |denom| >= r >= |b| > 0 because the block is unreduced.
    let shift = d[hi] - b * (b / denom);

    let mut x = d[lo] - shift;
    let mut z = e[lo];
    for k in lo..hi {
        // Givens rotation G with Gᵀ (x, z) = (r, 0).
        let r = x.hypot(z);
        let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (x / r, z / r) };
        if k > lo {
            // Annihilates the bulge at (k - 1, k + 1).
            e[k - 1] = r;
        }
        let (a0, a1, b0) = (d[k], d[k + 1], e[k]);
        d[k] = c * c * a0 + 2.0 * c * s * b0 + s * s * a1;
        d[k + 1] = s * s * a0 - 2.0 * c * s * b0 + c * c * a1;
        e[k] = c * s * (a1 - a0) + (c * c - s * s) * b0;
        if k + 1 < hi {
            // The rotation of rows k, k+1 moves part of e[k+1] to (k, k+2): the new bulge.
            z = s * e[k + 1];
            e[k + 1] *= c;
        }
        x = e[k];
        // Z <- Z G, i.e. rows k and k+1 of Zᵀ mix.
        let (top, bottom) = zt.split_at_mut((k + 1) * n);
        let rk = &mut top[k * n..];
        let rk1 = &mut bottom[..n];
        for (p, q) in rk.iter_mut().zip(rk1.iter_mut()) {
            let (u, v) = (*p, *q);
            *p = c * u + s * v;
            *q = c * v - s * u;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::rng::CarteraRng;

    fn random_matrix(n: usize, m: usize, seed: u64) -> Array2<f64> {
        let mut rng = CarteraRng::seed_from_u64(seed);
        let data: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
        Array2::from_shape_vec((n, m), data).unwrap_or_else(|_| Array2::zeros((n, m)))
    }

    /// A random orthogonal matrix: the eigenvectors of a random symmetric matrix.
    fn random_orthogonal(n: usize, seed: u64) -> Array2<f64> {
        let g = random_matrix(n, n, seed);
        symmetric_eigen((&g + &g.t()).view()).vectors
    }

    /// Checks A vᵢ = λᵢ vᵢ, VVᵀ = I and the decreasing order, relative to ‖A‖.
    fn assert_decomposes(a: &Array2<f64>, eig: &SymmetricEigen, tol: f64) {
        let n = a.nrows();
        let norm = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
        assert_eq!(eig.values.len(), n);
        for w in eig.values.windows(2) {
            assert!(w[0] >= w[1], "not decreasing: {:?}", eig.values);
        }
        for (i, lambda) in eig.values.iter().enumerate() {
            let v = eig.vectors.row(i);
            let av = a.dot(&v);
            let worst = av
                .iter()
                .zip(v.iter())
                .map(|(x, y)| (x - lambda * y).abs())
                .fold(0.0f64, f64::max);
            assert!(worst <= tol * norm, "residual {worst:e} for eigenvalue {i}");
        }
        let vvt = eig.vectors.dot(&eig.vectors.t());
        for i in 0..n {
            for j in 0..n {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (vvt[[i, j]] - expected).abs() <= tol,
                    "VVᵀ[{i},{j}] = {}",
                    vvt[[i, j]]
                );
            }
        }
    }

    #[test]
    fn random_symmetric_matrices() {
        for (n, seed) in [(1, 1), (2, 2), (3, 3), (7, 4), (42, 5), (120, 6)] {
            let g = random_matrix(n, n, seed);
            let a = &g + &g.t();
            let eig = symmetric_eigen(a.view());
            assert_decomposes(&a, &eig, 1e-12);
            // The trace is the sum of the eigenvalues.
            let trace: f64 = a.diag().sum();
            let sum: f64 = eig.values.iter().sum();
            assert!((trace - sum).abs() <= 1e-11 * (1.0 + trace.abs()));
        }
    }

    #[test]
    fn covariance_like_matrices() {
        // Positive semi-definite, rank 5 in dimension 30: 25 eigenvalues at (rounding) zero.
        let g = random_matrix(5, 30, 9);
        let a = g.t().dot(&g);
        let eig = symmetric_eigen(a.view());
        assert_decomposes(&a, &eig, 1e-12);
        assert!(eig.values[4] > 1e-3);
        assert!(
            eig.values[5..]
                .iter()
                .all(|v| v.abs() < 1e-12 * eig.values[0])
        );
    }

    #[test]
    fn repeated_eigenvalues() {
        let q = random_orthogonal(6, 11);
        let lambda = [5.0, 2.0, 2.0, 1.0, 1.0, 1.0];
        let mut a = Array2::<f64>::zeros((6, 6));
        for (k, l) in lambda.iter().enumerate() {
            let v = q.row(k);
            for i in 0..6 {
                for j in 0..6 {
                    a[[i, j]] += l * v[i] * v[j];
                }
            }
        }
        let eig = symmetric_eigen(a.view());
        assert_decomposes(&a, &eig, 1e-12);
        for (got, want) in eig.values.iter().zip(lambda) {
            assert!((got - want).abs() < 1e-12, "{:?}", eig.values);
        }
        // The identity: every vector is an eigenvector; the basis must still be orthonormal.
        let id = Array2::<f64>::eye(9);
        let eig = symmetric_eigen(id.view());
        assert_decomposes(&id, &eig, 1e-14);
    }

    #[test]
    fn zero_and_diagonal_matrices() {
        let z = Array2::<f64>::zeros((8, 8));
        let eig = symmetric_eigen(z.view());
        assert!(eig.values.iter().all(|v| *v == 0.0));
        assert_decomposes(&z, &eig, 0.0);

        let mut dia = Array2::<f64>::zeros((4, 4));
        for (i, v) in [3.0, -1.0, 7.0, 0.5].iter().enumerate() {
            dia[[i, i]] = *v;
        }
        let eig = symmetric_eigen(dia.view());
        assert_eq!(eig.values, vec![7.0, 3.0, 0.5, -1.0]);
        assert_decomposes(&dia, &eig, 0.0);

        let empty = Array2::<f64>::zeros((0, 0));
        assert!(symmetric_eigen(empty.view()).values.is_empty());
    }

    #[test]
    fn badly_scaled_matrices() {
        // Entries spanning many orders of magnitude (graded), and huge/tiny overall scales.
        let n = 10;
        let graded = Array2::from_shape_fn((n, n), |(i, j)| {
            10f64.powi(-((i + j) as i32)) * (1.0 + ((i * 7 + j * 3) % 5) as f64)
        });
        let a = &graded + &graded.t();
        assert_decomposes(&a, &symmetric_eigen(a.view()), 1e-13);
        for scale in [1e-150, 1e150] {
            let g = random_matrix(12, 12, 21);
            let a = (&g + &g.t()) * scale;
            let eig = symmetric_eigen(a.view());
            assert!(eig.values.iter().all(|v| v.is_finite()));
            let unscaled = (&g + &g.t()).to_owned();
            let eig1 = symmetric_eigen(unscaled.view());
            for (x, y) in eig.values.iter().zip(&eig1.values) {
                assert!((x / scale - y).abs() < 1e-12 * (1.0 + y.abs()));
            }
        }
    }
}
