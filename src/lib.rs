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

pub use cartera_core as core;
pub use cartera_kmeans as kmeans;
pub use cartera_preprocess as preprocess;

pub use cartera_core::{Error, Result};
