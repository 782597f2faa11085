//! # cartera-core
//!
//! The foundation every cartera crate stands on:
//!
//! * [`Error`] and [`Result`]: one error type whose messages say what went wrong and where;
//! * [`Float`]: kernels written once, compiled for `f32` and `f64`;
//! * [`validate`]: the checks every `fit` and `predict` starts with;
//! * [`rng`]: seeded, platform- and release-stable randomness with per-block streams, so parallel
//!   code gives the same result with 1 or N threads;
//! * [`datasets`]: `make_blobs` and `make_classification` generators;
//! * [`dots`]: the register-tiled `X · Vᵀ` kernel of K-Means distances and PCA projections;
//! * [`memory`]: large output buffers that are cheap to fill the first time;
//! * `testkit` (feature `testkit`): the conformance checks every estimator runs.
//!
//! ```
//! use cartera_core::{datasets::Blobs, validate, Error};
//!
//! let (x, _labels) = Blobs::new(200).n_features(3).centers(4).seed(7).generate()?;
//! validate::check_non_empty(x.view(), "customers")?;
//! validate::check_finite(x.view(), "customers")?;
//!
//! let mut bad = x.clone();
//! bad[[10, 2]] = f64::NAN;
//! let err = validate::check_finite(bad.view(), "customers").unwrap_err();
//! assert!(matches!(err, Error::NonFinite { row: 10, column: 2, .. }));
//! assert_eq!(err.to_string(), "customers contains a non-finite value (NaN) at row 10, column 2 (0-based)");
//! # Ok::<(), Error>(())
//! ```

pub mod datasets;
pub mod dots;
mod error;
mod float;
pub mod memory;
pub mod output;
pub mod rng;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;

pub use error::{Error, Result};

/// A builder setter: `setter!(/// doc\n field: Type);` inside an `impl` block expands to
/// `pub fn field(mut self, v: Type) -> Self`, so params structs with many plain fields keep one
/// line per setter. Used by the params builders across the workspace.
///
/// ```
/// #[derive(Default)]
/// struct Params { k: usize }
/// impl Params {
///     cartera_core::setter!(/// Number of clusters.
///         k: usize);
/// }
/// assert_eq!(Params::default().k(3).k, 3);
/// ```
#[macro_export]
macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $t:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, v: $t) -> Self {
            self.$name = v;
            self
        }
    };
}
pub use float::Float;
pub use rng::CarteraRng;
