//! The conformance test-kit: the checks every cartera estimator must pass (feature `testkit`).
//!
//! An estimator's tests describe how to fit it and how to read its output by implementing
//! [`Subject`], then call [`assert_conforms`]. The kit feeds it empty input, NaN and ±inf,
//! a single sample, a single feature, the wrong width at predict time; checks that fitting twice
//! gives the same model, that a serde JSON round trip gives the same output, and that 1 and 4
//! rayon threads agree within [`Subject::thread_tolerance`]. A panic anywhere is reported as a
//! failure of that check, never as a crash of the whole run.
//!
//! ```
//! use cartera_core::testkit::{Subject, assert_conforms};
//! use cartera_core::{validate, Result};
//! use ndarray::{Array2, ArrayView2, Axis};
//!
//! /// Centres each column on its training mean.
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Centre { means: Vec<f64> }
//!
//! struct CentreSubject;
//! impl Subject for CentreSubject {
//!     type Model = Centre;
//!     fn name(&self) -> &str { "Centre" }
//!     fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Centre> {
//!         validate::check_non_empty(x, "X")?;
//!         validate::check_finite(x, "X")?;
//!         Ok(Centre { means: x.mean_axis(Axis(0)).unwrap().to_vec() })
//!     }
//!     fn output(&self, m: &Centre, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
//!         validate::check_width(x, m.means.len(), "X")?;
//!         validate::check_finite(x, "X")?;
//!         Ok(Array2::from_shape_fn(x.dim(), |(i, j)| x[[i, j]] - m.means[j]))
//!     }
//! }
//! assert_conforms(&CentreSubject);
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};

use ndarray::{Array2, ArrayView2, s};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::datasets::Blobs;
use crate::{Error, Result};

/// How the kit drives one estimator.
///
/// Supervised estimators derive their target from `x` inside [`Subject::fit`] (for example
/// `y = x[:, 0] > 0`), so the kit only ever hands over a matrix.
pub trait Subject: Sync {
    /// The fitted model.
    type Model: Serialize + DeserializeOwned;

    /// Name shown in failure messages.
    fn name(&self) -> &str;

    /// Validate and fit on `x`.
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Model>;

    /// What the model produces for `x` (predictions, probabilities, transformed columns, labels
    /// as `f64`), one row per sample.
    fn output(&self, model: &Self::Model, x: ArrayView2<'_, f64>) -> Result<Array2<f64>>;

    /// Training data the estimator fits well. Default: 120 x 3 blobs around 3 centres.
    fn data(&self) -> Array2<f64> {
        // Fixed valid parameters: generation cannot fail.
        Blobs::new(120)
            .n_features(3)
            .centers(3)
            .seed(17)
            .generate()
            .map(|(x, _)| x)
            .unwrap_or_else(|_| Array2::zeros((120, 3)))
    }

    /// Whether NaN is accepted in `x` as a missing value (imputers). ±inf must still be refused.
    fn accepts_nan(&self) -> bool {
        false
    }

    /// Largest absolute difference allowed between 1-thread and 4-thread outputs (0 for
    /// estimators whose reductions are fully ordered).
    fn thread_tolerance(&self) -> f64 {
        1e-9
    }
}

/// Outcome of [`run_checks`]: which checks passed and why the others failed.
#[derive(Debug, Default)]
pub struct Report {
    /// Names of the checks that passed.
    pub passed: Vec<&'static str>,
    /// `(check, reason)` for each failure.
    pub failed: Vec<(&'static str, String)>,
}

impl Report {
    /// True when nothing failed.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

type CheckFn<S> = fn(&S) -> std::result::Result<(), String>;

/// Run every check and collect the results (use [`assert_conforms`] in tests).
pub fn run_checks<S: Subject>(subject: &S) -> Report {
    let checks: [(&'static str, CheckFn<S>); 9] = [
        ("empty input is EmptyInput", check_empty),
        ("NaN in X is NonFinite", check_nan),
        ("+inf and -inf in X are NonFinite", check_inf),
        ("one sample fits or is refused cleanly", check_one_sample),
        ("one feature fits", check_one_feature),
        ("wrong width at predict is ShapeMismatch", check_wrong_width),
        ("fit twice gives the same model", check_refit),
        ("serde JSON round trip keeps the output", check_serde),
        ("1 and 4 threads agree", check_threads),
    ];
    let mut report = Report::default();
    for (name, check) in checks {
        match catch_unwind(AssertUnwindSafe(|| check(subject))) {
            Ok(Ok(())) => report.passed.push(name),
            Ok(Err(why)) => report.failed.push((name, why)),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic)".into());
                report.failed.push((name, format!("panicked: {msg}")));
            }
        }
    }
    report
}

/// Panic with every failed check listed unless `subject` passes all of them.
pub fn assert_conforms<S: Subject>(subject: &S) {
    let report = run_checks(subject);
    if !report.ok() {
        let lines: Vec<String> = report
            .failed
            .iter()
            .map(|(c, why)| format!("  - {c}: {why}"))
            .collect();
        panic!(
            "{} fails {} conformance check(s):\n{}",
            subject.name(),
            report.failed.len(),
            lines.join("\n")
        );
    }
}

fn describe_result<T>(r: &Result<T>) -> String {
    match r {
        Ok(_) => "Ok".into(),
        Err(e) => format!("Err({e:?})"),
    }
}

fn check_empty<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let d = s.data().ncols();
    for shape in [(0, d), (5, 0)] {
        let x = Array2::<f64>::zeros(shape);
        let r = s.fit(x.view());
        if !matches!(r, Err(Error::EmptyInput { .. })) {
            return Err(format!("fit on {shape:?} gave {}", describe_result(&r)));
        }
    }
    Ok(())
}

fn poisoned_fit<S: Subject>(s: &S, value: f64) -> std::result::Result<(), String> {
    let mut x = s.data();
    let (r0, c0) = (x.nrows() / 2, x.ncols() - 1);
    x[[r0, c0]] = value;
    match s.fit(x.view()) {
        Err(Error::NonFinite { row, column, .. }) if row == r0 && column == c0 => Ok(()),
        other => Err(format!(
            "fit with {value} at ({r0}, {c0}) gave {}",
            describe_result(&other)
        )),
    }
}

fn check_nan<S: Subject>(s: &S) -> std::result::Result<(), String> {
    if s.accepts_nan() {
        let mut x = s.data();
        x[[0, 0]] = f64::NAN;
        return s
            .fit(x.view())
            .map(|_| ())
            .map_err(|e| format!("declared to accept NaN but fit failed: {e}"));
    }
    poisoned_fit(s, f64::NAN)
}

fn check_inf<S: Subject>(s: &S) -> std::result::Result<(), String> {
    poisoned_fit(s, f64::INFINITY)?;
    poisoned_fit(s, f64::NEG_INFINITY)?;
    // And at predict time: a fitted model must refuse ±inf too.
    let x = s.data();
    let m = s
        .fit(x.view())
        .map_err(|e| format!("fit on valid data: {e}"))?;
    let mut bad = x.slice(s![..4, ..]).to_owned();
    bad[[2, 0]] = f64::INFINITY;
    match s.output(&m, bad.view()) {
        Err(Error::NonFinite {
            row: 2, column: 0, ..
        }) => Ok(()),
        other => Err(format!(
            "predict with inf at (2, 0) gave {}",
            describe_result(&other)
        )),
    }
}

fn check_one_sample<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let one = x.slice(s![..1, ..]);
    match s.fit(one) {
        Ok(m) => {
            let out = s
                .output(&m, one)
                .map_err(|e| format!("predict after one-sample fit: {e}"))?;
            if out.nrows() != 1 || out.iter().any(|v| v.is_nan()) {
                return Err(format!("one-sample output {out:?}"));
            }
            Ok(())
        }
        Err(Error::TooFewSamples { .. } | Error::InvalidParameter { .. }) => Ok(()),
        Err(e) => Err(format!(
            "expected Ok, TooFewSamples or InvalidParameter, got {e:?}"
        )),
    }
}

fn check_one_feature<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let col = x.slice(s![.., ..1]).to_owned();
    let m = s
        .fit(col.view())
        .map_err(|e| format!("fit on one feature: {e}"))?;
    let out = s
        .output(&m, col.view())
        .map_err(|e| format!("predict on one feature: {e}"))?;
    if out.nrows() != col.nrows() {
        return Err(format!(
            "{} output rows for {} inputs",
            out.nrows(),
            col.nrows()
        ));
    }
    Ok(())
}

fn check_wrong_width<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let m = s.fit(x.view()).map_err(|e| format!("fit: {e}"))?;
    let wider = Array2::<f64>::zeros((3, x.ncols() + 1));
    match s.output(&m, wider.view()) {
        Err(Error::ShapeMismatch {
            expected, found, ..
        }) if expected == x.ncols() && found == x.ncols() + 1 => Ok(()),
        other => Err(format!(
            "predict with {} columns (trained on {}) gave {}",
            x.ncols() + 1,
            x.ncols(),
            describe_result(&other)
        )),
    }
}

fn to_json<T: Serialize>(m: &T) -> std::result::Result<String, String> {
    serde_json::to_string(m).map_err(|e| format!("model does not serialize: {e}"))
}

fn check_refit<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let a = s.fit(x.view()).map_err(|e| format!("fit: {e}"))?;
    let b = s.fit(x.view()).map_err(|e| format!("second fit: {e}"))?;
    if to_json(&a)? != to_json(&b)? {
        return Err("two fits on the same data serialize differently".into());
    }
    Ok(())
}

fn check_serde<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let m = s.fit(x.view()).map_err(|e| format!("fit: {e}"))?;
    let json = to_json(&m)?;
    let back: S::Model =
        serde_json::from_str(&json).map_err(|e| format!("model does not deserialize: {e}"))?;
    let a = s
        .output(&m, x.view())
        .map_err(|e| format!("predict: {e}"))?;
    let b = s
        .output(&back, x.view())
        .map_err(|e| format!("predict after reload: {e}"))?;
    if a != b {
        return Err("outputs differ after a JSON round trip".into());
    }
    Ok(())
}

fn check_threads<S: Subject>(s: &S) -> std::result::Result<(), String> {
    let x = s.data();
    let run = || -> std::result::Result<Array2<f64>, String> {
        let m = s.fit(x.view()).map_err(|e| format!("fit: {e}"))?;
        s.output(&m, x.view()).map_err(|e| format!("predict: {e}"))
    };
    let one = in_pool(1, &run)?;
    let four = in_pool(4, &run)?;
    if one.dim() != four.dim() {
        return Err(format!(
            "shapes differ: {:?} vs {:?}",
            one.dim(),
            four.dim()
        ));
    }
    let tol = s.thread_tolerance();
    let worst = one
        .iter()
        .zip(four.iter())
        .map(|(a, b)| if a == b { 0.0 } else { (a - b).abs() })
        .fold(
            0.0f64,
            |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) },
        );
    if worst > tol {
        return Err(format!(
            "largest difference {worst:e} exceeds tolerance {tol:e}"
        ));
    }
    Ok(())
}

fn in_pool<T: Send>(
    n: usize,
    f: &(dyn Fn() -> std::result::Result<T, String> + Sync),
) -> std::result::Result<T, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| format!("cannot build a {n}-thread pool: {e}"))?;
    // `install` runs `f` inside the pool, so the estimator's parallel iterators use exactly
    // `n` threads.
    pool.install(f)
}

/// Path of a committed reference fixture: `tests/fixtures/{name}` at the workspace root (the
/// files `scripts/make_fixtures.sh` writes from scikit-learn, LightGBM, shap and pandas).
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// A reference fixture parsed as JSON.
///
/// Test-only: panics, naming the file, when it is missing or not JSON (the fixtures are
/// committed; `scripts/make_fixtures.sh` rewrites them).
pub fn fixture(name: &str) -> serde_json::Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/make_fixtures.sh writes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture's rows of numbers as a matrix; `null` is read as NaN (a missing value).
///
/// Test-only: panics when `v` is not a non-empty array of equally long arrays of numbers.
pub fn fixture_matrix(v: &serde_json::Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .unwrap_or_else(|| panic!("fixture matrix: expected an array of rows"))
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap_or_else(|| panic!("fixture matrix: expected a row array"))
                .iter()
                .map(|x| {
                    if x.is_null() {
                        f64::NAN
                    } else {
                        x.as_f64()
                            .unwrap_or_else(|| panic!("fixture matrix: {x} is not a number"))
                    }
                })
                .collect()
        })
        .collect();
    let d = rows.first().map_or(0, Vec::len);
    assert!(
        rows.iter().all(|r| r.len() == d),
        "fixture matrix: ragged rows"
    );
    Array2::from_shape_vec((rows.len(), d), rows.concat())
        .unwrap_or_else(|e| panic!("fixture matrix: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate;
    use ndarray::Axis;
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Scale {
        std: Vec<f64>,
    }

    /// A well-behaved estimator: divides by the column standard deviation, with a parallel,
    /// block-ordered reduction.
    struct Good;
    impl Subject for Good {
        type Model = Scale;
        fn name(&self) -> &str {
            "Good"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Scale> {
            validate::check_non_empty(x, "X")?;
            validate::check_finite(x, "X")?;
            let n = x.nrows() as f64;
            let means = x.mean_axis(Axis(0)).expect("non-empty checked above");
            let std = (0..x.ncols())
                .map(|j| {
                    let blocks: Vec<f64> = x
                        .column(j)
                        .to_vec()
                        .par_chunks(16)
                        .map(|c| c.iter().map(|v| (v - means[j]).powi(2)).sum::<f64>())
                        .collect();
                    let s = (blocks.iter().sum::<f64>() / n).sqrt();
                    if s > 0.0 { s } else { 1.0 }
                })
                .collect();
            Ok(Scale { std })
        }
        fn output(&self, m: &Scale, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            validate::check_width(x, m.std.len(), "X")?;
            validate::check_finite(x, "X")?;
            Ok(Array2::from_shape_fn(x.dim(), |(i, j)| {
                x[[i, j]] / m.std[j]
            }))
        }
    }

    #[test]
    fn a_good_estimator_passes_everything() {
        let r = run_checks(&Good);
        assert!(r.ok(), "{:?}", r.failed);
        assert_eq!(r.passed.len(), 9);
        assert_conforms(&Good);
    }

    /// Skips validation entirely: must fail the input checks (and panic on empty input).
    struct Careless;
    impl Subject for Careless {
        type Model = Scale;
        fn name(&self) -> &str {
            "Careless"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Scale> {
            let first = x[[0, 0]]; // panics on empty input
            Ok(Scale {
                std: vec![first.abs() + 1.0; x.ncols()],
            })
        }
        fn output(&self, m: &Scale, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            Ok(Array2::from_shape_fn(x.dim(), |(i, j)| {
                x[[i, j]] / m.std[j % m.std.len()]
            }))
        }
    }

    #[test]
    fn a_careless_estimator_is_caught() {
        let r = run_checks(&Careless);
        let failed: Vec<&str> = r.failed.iter().map(|(c, _)| *c).collect();
        assert!(failed.contains(&"empty input is EmptyInput"));
        assert!(r.failed.iter().any(|(_, why)| why.starts_with("panicked")));
        assert!(failed.contains(&"NaN in X is NonFinite"));
        assert!(failed.contains(&"+inf and -inf in X are NonFinite"));
        assert!(failed.contains(&"wrong width at predict is ShapeMismatch"));
    }

    /// Different every time it is fitted: must fail refit and thread checks.
    struct Drifting(AtomicU64);
    impl Subject for Drifting {
        type Model = Scale;
        fn name(&self) -> &str {
            "Drifting"
        }
        fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Scale> {
            Good.fit(x).map(|mut m| {
                let k = self.0.fetch_add(1, Ordering::SeqCst) as f64;
                m.std[0] += k * 1e-3;
                m
            })
        }
        fn output(&self, m: &Scale, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
            Good.output(m, x)
        }
    }

    #[test]
    fn a_non_deterministic_estimator_is_caught() {
        let r = run_checks(&Drifting(AtomicU64::new(0)));
        let failed: Vec<&str> = r.failed.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            failed,
            vec!["fit twice gives the same model", "1 and 4 threads agree"]
        );
    }

    #[test]
    #[should_panic(expected = "Careless fails")]
    fn assert_conforms_panics_with_the_list() {
        assert_conforms(&Careless);
    }
}
