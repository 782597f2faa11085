//! # cartera-kmeans
//!
//! K-Means for customer segmentation, built to agree with scikit-learn's `KMeans` and to run
//! faster than it:
//!
//! * [`KMeansParams`] → [`KMeans`]: greedy k-means++ (or random rows, or your own centres),
//!   restarts, Lloyd or Elkan iterations, optional sample weights;
//! * [`MiniBatchKMeansParams`] → [`MiniBatchKMeans`]: mini-batch steps with small-cluster
//!   reassignment and early stopping, and [`MiniBatchKMeans::partial_fit`] for tables that are
//!   read chunk by chunk;
//! * [`elbow()`]: inertia for a range of `k` and the knee of that curve
//!   ([Kneedle](kneedle_decreasing_convex)).
//!
//! ```
//! use cartera_core::datasets::Blobs;
//! use cartera_kmeans::{elbow, Algorithm, KMeansParams};
//!
//! // 600 customers described by 3 standardized features, in 4 groups.
//! let (x, _) = Blobs::new(600).n_features(3).centers(4).seed(1).generate()?;
//!
//! let model = KMeansParams::new(4).n_init(10).seed(7).fit(x.view())?;
//! assert_eq!(model.centroids().dim(), (4, 3));
//! assert_eq!(model.cluster_sizes().iter().sum::<usize>(), 600);
//! assert!(model.converged());
//! // Inertia is the total (as scikit-learn's `inertia_`), and `score` is its negative.
//! assert!((model.score(x.view())? + model.inertia()).abs() < 1e-6 * model.inertia());
//! // New customers get the nearest segment; `transform` gives the distance to each.
//! let segment = model.predict(x.view())?;
//! assert_eq!(segment.to_vec(), model.labels());
//!
//! // Elkan takes the same path as Lloyd with fewer distance computations.
//! let elkan = KMeansParams::new(4).n_init(10).seed(7).algorithm(Algorithm::Elkan).fit(x.view())?;
//! assert_eq!(elkan.labels(), model.labels());
//!
//! // Models are saved as JSON.
//! let json = serde_json::to_string(&model).expect("a model serialises");
//! let back: cartera_kmeans::KMeans<f64> = serde_json::from_str(&json).expect("and reloads");
//! assert_eq!(back, model);
//!
//! // Choosing k: the elbow of the inertia curve.
//! let curve = elbow(x.view(), &[1, 2, 3, 4, 5, 6, 7, 8], &KMeansParams::default().n_init(3))?;
//! assert_eq!(curve.inertias.len(), 8);
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! ## Compared with scikit-learn
//!
//! | cartera | scikit-learn 1.9 |
//! |---|---|
//! | `KMeansParams::new(k)` | `KMeans(n_clusters=k)` |
//! | `n_init` "auto": 1 for k-means++ and given centres, 10 for random | `n_init='auto'` (same) |
//! | `tol` relative to the mean column variance | same |
//! | `seed(s)`, default 0 | `random_state` (default `None`, not reproducible) |
//! | [`KMeans::inertia`]: total | `inertia_` (total) |
//! | [`KMeans::converged`], [`KMeans::cluster_sizes`] | (none) |
//! | fewer distinct rows than `k`: [`cartera_core::Error::TooFewSamples`] | a `ConvergenceWarning` |
//!
//! With the same initial centres, Lloyd and Elkan reproduce scikit-learn's labels, its
//! `n_iter_` and its inertia to 1e-9 relative (`tests/vs_sklearn.rs`). Like scikit-learn, `fit`
//! centres a copy of the data on the column means before iterating (one extra copy of `x` in
//! memory), so distances lose no precision when the data sit far from the origin; `predict`,
//! `score` and the mini-batch steps measure from the centres' mean for the same reason.
//!
//! ## Empty clusters
//!
//! When an iteration leaves a cluster without members, the row farthest from its own centre
//! becomes that cluster's only member (one row per empty cluster, farthest first, ties to the
//! lower row index), as scikit-learn's `_relocate_empty_clusters`.
//!
//! ## Determinism
//!
//! Rows are processed in blocks of 256 whose boundaries depend on the number of rows only;
//! block sums are combined in block order in `f64`; restart `r` draws from
//! `CarteraRng::stream(seed, r)`; the restart with the lowest inertia wins (ties: the lower
//! restart index). The same seed gives the same model with 1 or 64 threads.

#[doc(hidden)]
pub mod bench_support;
mod elbow;
mod elkan;
mod init;
mod kernel;
mod lloyd;
mod minibatch;
mod model;
mod nearest;
mod params;
mod sums;

pub use elbow::{
    DEFAULT_SENSITIVITY, ElbowCurve, elbow, elbow_with_sensitivity, kneedle_decreasing_convex,
};
pub use minibatch::{MiniBatchKMeans, MiniBatchKMeansParams};
pub use model::KMeans;
pub use params::{Algorithm, Init, KMeansParams, MAX_N_INIT};
