//! # cartera-logistic
//!
//! Logistic regression for purchase and churn propensity: binary (sigmoid) and multinomial
//! (softmax) models fitted by our own L-BFGS with a strong-Wolfe line search, with scikit-learn's
//! meaning of `C`, class weights and sample weights, and the coefficient table a statsmodels
//! user expects (standard errors, z, p-values, 95 % intervals, odds ratios).
//!
//! ```
//! use cartera_core::datasets::Classification;
//! use cartera_logistic::{ClassWeight, LogisticRegressionParams};
//!
//! let (x, y) = Classification::new(2_000).n_features(4).n_informative(3).n_redundant(1)
//!     .seed(7).generate()?;
//! let model = LogisticRegressionParams::new()
//!     .c(1.0)
//!     .class_weight(ClassWeight::Balanced)
//!     .fit(x.view(), y.view())?;
//! assert!(model.converged());
//! assert_eq!(model.coefficients().dim(), (1, 4));
//!
//! let proba = model.predict_proba(x.view())?; // n x 2: P(0), P(1)
//! let hits = model.predict(x.view())?.iter().zip(&y).filter(|(a, b)| a == b).count();
//! assert!(hits as f64 / 2_000.0 > 0.8);
//! assert!((proba[[0, 0]] + proba[[0, 1]] - 1.0).abs() < 1e-12);
//!
//! // Standard errors from the observed information at the optimum.
//! let table = model.coefficient_table(x.view(), y.view(), None)?;
//! assert_eq!(table.rows[0].term, "intercept");
//! assert!(table.rows.iter().all(|r| r.std_err > 0.0 && r.p_value <= 1.0));
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! ## What is computed, exactly
//! * The objective is scikit-learn 1.9's for `solver="lbfgs"`:
//!   `(1/S) Σ s_i ℓ_i + ‖w‖²/(2 C S)` with `S` the sum of the (sample × class) weights, the
//!   intercepts unpenalised; `tol` bounds the largest absolute gradient entry of that objective
//!   (scipy's `pgtol`). See [`LogisticRegressionParams`].
//! * Multinomial models have one coefficient row per class (no reference class), as
//!   scikit-learn's `coef_`; binary models have one row, for class 1.
//! * Without penalty, linearly separable data has no finite optimum: the fit stops with
//!   [`StopReason::Separable`] (finite coefficients, `converged() == false`).
//! * Standard errors: see [`inference`].
//!
//! ## Speed
//! The gradient is one fused pass per block of 1,024 rows (`X·w`, log-loss, residual and
//! `Xᵀr` while the row is in cache), blocks in parallel with rayon and summed in block order,
//! so the result is bit-identical for any thread count. `f32` input runs `f32` kernels (half
//! the memory traffic); the optimiser state is always `f64`.

pub mod inference;
mod lbfgs;
mod model;
mod objective;
mod params;

pub use inference::{CoefficientRow, CoefficientTable, erfc, normal_p_value};
pub use model::{LogisticRegression, StopReason};
pub use params::{ClassWeight, LogisticRegressionParams, Penalty};
