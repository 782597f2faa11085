//! # cartera
//!
//! Customer-analytics machine learning in Rust: segment customers, predict who buys or leaves,
//! and turn scores into campaigns. This facade re-exports every cartera crate under a module:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`core`] | `cartera-core` | errors, `Float`, validation, seeded RNG, generators, test-kit |
//! | [`preprocess`] | `cartera-preprocess` | `Table` and CSV, generators, cleaning, imputation, scaling, outliers, encoding, PCA, the fitted pipeline |
//! | [`kmeans`] | `cartera-kmeans` | K-Means (k-means++, Lloyd, Elkan, mini-batch) and the elbow |
//! | [`silhouette`] | `cartera-silhouette` | silhouette (exact, sampled, per sample), Calinski-Harabasz, Davies-Bouldin |
//! | [`logistic`] | `cartera-logistic` | L-BFGS logistic regression, weights, odds ratios, standard errors |
//! | [`gbdt`] | `cartera-gbdt` | histogram GBDT, early stopping, TreeSHAP, LightGBM model import |
//! | [`scoring`] | `cartera-scoring` | metrics, gains and lift, bands, risk tiers, offers, campaign economics, profiles |
//! | [`plot`] | `cartera-plot` | SVG charts: elbow, silhouette, segment scatter, gains and lift, SHAP, tiers, bands |
//! | [`study`] | `cartera-study` | the four studies end to end, their tables, plots and HTML report |
//!
//! ```
//! use cartera::preprocess::datasets::atm_customers;
//!
//! let table = atm_customers(1_000, 0)?;
//! assert_eq!(table.n_rows(), 1_000);
//! let x = table.to_array::<f64>(&["TransactionFrequency", "AverageTransactionAmount"])?;
//! assert_eq!(x.dim(), (1_000, 2));
//! # Ok::<(), cartera::core::Error>(())
//! ```
//!
//! Each crate's own examples name it by its crate name (`cartera_kmeans::KMeansParams`);
//! through this facade the same item is `cartera::kmeans::KMeansParams`. The arrays every API
//! takes and returns are those of [`ndarray`], re-exported here so that a project uses the same
//! version (`cartera::ndarray::array!`). Import the modules by name rather than with
//! `use cartera::*`: the glob brings this facade's [`core`] into scope, which shadows Rust's
//! own `core` crate in that file.
//!
//! ```
//! use cartera::kmeans::KMeansParams;
//! use cartera::ndarray::array;
//!
//! let x = array![[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]];
//! let model = KMeansParams::new(2).seed(0).fit(x.view())?;
//! assert_eq!(model.predict(x.view())?.len(), 4);
//! # Ok::<(), cartera::Error>(())
//! ```

pub use cartera_core as core;
pub use cartera_gbdt as gbdt;
pub use cartera_kmeans as kmeans;
pub use cartera_logistic as logistic;
pub use cartera_plot as plot;
pub use cartera_preprocess as preprocess;
pub use cartera_scoring as scoring;
pub use cartera_silhouette as silhouette;
pub use cartera_study as study;

pub use cartera_core::{Error, Result};
/// The `ndarray` crate cartera is built on (arrays in, arrays out), re-exported.
pub use ndarray;
