//! Randomized truncated SVD (Halko, Martinsson and Tropp, 2011, algorithms 4.4 and 5.1) for
//! PCA on wide data, where forming the `p x p` covariance matrix would cost too much.
//!
//! With `l = k + oversamples` random probes `Ω` (`p x l`), the range finder builds an
//! orthonormal `Q` (`n x l`) with `range(Q) ≈ range(A)` by subspace iteration:
//! `Q = orth(A Ω)`, then `q` times `Q = orth(A (orth(Aᵀ Q)))`. Then `B = Qᵀ A` (`l x p`) is
//! small, and its SVD `B = Û Σ Vᵀ` gives the top singular values and right singular vectors
//! of `A` (the PCA components). `Û Σ` comes from the eigen-decomposition of `B Bᵀ` (`l x l`),
//! and `Vᵀ = Σ⁻¹ Ûᵀ B`.
//!
//! Thin matrices are stored transposed (`l` rows, each a contiguous basis vector), so the
//! modified Gram–Schmidt orthonormalisation walks contiguous rows. Products are split into
//! fixed-size blocks of rows or columns of `A`, each block writing its own slice of the result
//! (no reduction across blocks), so the result does not depend on the thread count.

use cartera_core::rng::CarteraRng;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::eigen::symmetric_eigen;

/// Rows (or columns) of `A` per parallel block in the products; fixed so the split, hence the
/// result, does not depend on the number of threads.
const PRODUCT_BLOCK: usize = 1024;

/// Top `k` singular values (decreasing) and right singular vectors (rows, unit norm, before
/// any sign convention) of the `n x p` matrix `a`.
///
/// Preconditions (checked by the caller): `1 <= k <= min(n, p)`, `a` finite.
pub(crate) fn randomized_svd(
    a: ArrayView2<'_, f64>,
    k: usize,
    n_oversamples: usize,
    n_power_iterations: usize,
    seed: u64,
) -> (Vec<f64>, Array2<f64>) {
    let (n, p) = a.dim();
    let l = (k + n_oversamples).min(n.min(p)).max(k);

    // Ωᵀ: l x p standard normal probes, drawn in row-major order from one seeded stream.
    let mut rng = CarteraRng::seed_from_u64(seed);
    let omega: Vec<f64> = (0..l * p).map(|_| rng.normal()).collect();
    let mut probes = Array2::from_shape_vec((l, p), omega).unwrap_or_else(|_| {
        // Unreachable: the vector has exactly l * p elements.
        Array2::zeros((l, p))
    });

    let mut range_t = times_a_transposed(probes.view(), a); // (A Ω)ᵀ, l x n
    orthonormalise_rows(&mut range_t);
    for _ in 0..n_power_iterations {
        probes = times_a(range_t.view(), a); // (Aᵀ Q)ᵀ, l x p
        orthonormalise_rows(&mut probes);
        range_t = times_a_transposed(probes.view(), a);
        orthonormalise_rows(&mut range_t);
    }
    let b = times_a(range_t.view(), a); // B = Qᵀ A, l x p

    // SVD of B from B Bᵀ = Û Σ² Ûᵀ: then Ûᵀ B = Σ Vᵀ, whose row norms are the singular values
    // (more accurate than the square roots of the eigenvalues, which lose half the digits of
    // the small ones).
    let bbt = b.dot(&b.t());
    let eig = symmetric_eigen(bbt.view());
    let top = eig.vectors.slice(ndarray::s![..k, ..]);
    let mut vt = top.dot(&b);
    let mut singular = Vec::with_capacity(k);
    for row in vt.rows() {
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        singular.push(norm);
    }
    // Ûᵀ B has orthogonal rows in exact arithmetic; rows for singular values near the rounding
    // level of σ₁ are not, so re-orthonormalise (the leading rows, already orthogonal to
    // working precision, barely move) and fill rows that vanish (rank below k).
    orthonormalise_rows(&mut vt);
    complete_basis(&mut vt);
    (singular, vt)
}

/// `m · Aᵀ` for `m` (l x p) and `A` (n x p): l x n, computed in column blocks of the result.
fn times_a_transposed(m: ArrayView2<'_, f64>, a: ArrayView2<'_, f64>) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((m.nrows(), a.nrows()));
    out.axis_chunks_iter_mut(Axis(1), PRODUCT_BLOCK)
        .into_par_iter()
        .zip(a.axis_chunks_iter(Axis(0), PRODUCT_BLOCK).into_par_iter())
        .for_each(|(mut o, rows)| general_mat_mul(1.0, &m, &rows.t(), 0.0, &mut o));
    out
}

/// `m · A` for `m` (l x n) and `A` (n x p): l x p, computed in column blocks of `A`.
fn times_a(m: ArrayView2<'_, f64>, a: ArrayView2<'_, f64>) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((m.nrows(), a.ncols()));
    out.axis_chunks_iter_mut(Axis(1), PRODUCT_BLOCK)
        .into_par_iter()
        .zip(a.axis_chunks_iter(Axis(1), PRODUCT_BLOCK).into_par_iter())
        .for_each(|(mut o, cols)| general_mat_mul(1.0, &m, &cols, 0.0, &mut o));
    out
}

/// Modified Gram–Schmidt on the rows of `m`, each row projected twice ("twice is enough",
/// Giraud et al. 2005) and a third time if the second pass still removed more than half its
/// norm. A row that is numerically in the span of the earlier ones becomes zero (it carries no
/// new direction, and normalising rounding noise would break orthogonality).
pub(crate) fn orthonormalise_rows(m: &mut Array2<f64>) {
    let l = m.nrows();
    for i in 0..l {
        let (done, mut rest) = m.view_mut().split_at(Axis(0), i);
        let mut row = rest.row_mut(0);
        let original = row.dot(&row).sqrt();
        if original == 0.0 {
            continue;
        }
        let mut norm = original;
        for pass in 0..3 {
            for prev in done.rows() {
                let r = row.dot(&prev);
                row.scaled_add(-r, &prev);
            }
            let before = norm;
            norm = row.dot(&row).sqrt();
            if pass >= 1 && norm > 0.5 * before {
                break;
            }
        }
        if norm <= original * 1e-13 {
            row.fill(0.0);
        } else {
            row.mapv_inplace(|x| x / norm);
        }
    }
}

/// Replaces the zero rows of `vt` (whose other rows are orthonormal) with unit vectors
/// orthogonal to all other rows, built from the standard basis in order, so that the
/// components always form an orthonormal set even when the data has rank below `k`.
pub(crate) fn complete_basis(vt: &mut Array2<f64>) {
    let (k, p) = vt.dim();
    let zero: Vec<bool> = vt
        .rows()
        .into_iter()
        .map(|r| r.iter().all(|x| *x == 0.0))
        .collect();
    let mut next_axis = 0usize;
    for i in 0..k {
        if !zero[i] {
            continue;
        }
        while next_axis < p {
            let mut candidate = ndarray::Array1::<f64>::zeros(p);
            candidate[next_axis] = 1.0;
            next_axis += 1;
            for _ in 0..2 {
                for (j, other) in vt.rows().into_iter().enumerate() {
                    if j != i && (j < i || !zero[j]) {
                        let r = candidate.dot(&other);
                        candidate.scaled_add(-r, &other);
                    }
                }
            }
            let norm = candidate.dot(&candidate).sqrt();
            if norm > 1e-8 {
                vt.row_mut(i).assign(&(candidate / norm));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_matrix(n: usize, m: usize, seed: u64) -> Array2<f64> {
        let mut rng = CarteraRng::seed_from_u64(seed);
        let data: Vec<f64> = (0..n * m).map(|_| rng.normal()).collect();
        Array2::from_shape_vec((n, m), data).unwrap()
    }

    #[test]
    fn gram_schmidt_gives_orthonormal_rows_and_zeroes_dependent_ones() {
        let mut m = random_matrix(6, 40, 3);
        // Row 4 is a combination of rows 0 and 2.
        let combo = &m.row(0) * 2.0 - m.row(2);
        m.row_mut(4).assign(&combo);
        orthonormalise_rows(&mut m);
        let g = m.dot(&m.t());
        for i in 0..6 {
            for j in 0..6 {
                let want = if i == j && i != 4 { 1.0 } else { 0.0 };
                assert!(
                    (g[[i, j]] - want).abs() < 1e-14,
                    "G[{i},{j}] = {}",
                    g[[i, j]]
                );
            }
        }
    }

    #[test]
    fn exact_on_a_low_rank_matrix() {
        // Rank 3: the range finder captures it exactly, singular values match the eigenvalues
        // of AᵀA.
        let a = random_matrix(80, 3, 1).dot(&random_matrix(3, 50, 2));
        let (s, vt) = randomized_svd(a.view(), 3, 5, 2, 0);
        let eig = symmetric_eigen(a.t().dot(&a).view());
        for (i, si) in s.iter().enumerate() {
            assert!((si * si - eig.values[i]).abs() < 1e-9 * eig.values[0]);
            let cos = vt.row(i).dot(&eig.vectors.row(i)).abs();
            assert!((cos - 1.0).abs() < 1e-12, "component {i}: |cos| = {cos}");
        }
    }

    #[test]
    fn rank_deficient_request_still_gives_an_orthonormal_basis() {
        let a = random_matrix(30, 2, 4).dot(&random_matrix(2, 12, 5));
        let (s, vt) = randomized_svd(a.view(), 5, 0, 1, 3);
        assert_eq!(s.len(), 5);
        let g = vt.dot(&vt.t());
        for i in 0..5 {
            for j in 0..5 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (g[[i, j]] - want).abs() < 1e-10,
                    "G[{i},{j}] = {}",
                    g[[i, j]]
                );
            }
        }
    }
}
