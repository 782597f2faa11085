//! The human summary `cartera train` prints on stderr: what was fitted on how many rows, the
//! main metrics, where the model went, and a warning when the logistic fit did not converge.
//!
//! It goes to stderr, as every command's summary does, so that `--json -` keeps stdout a
//! single JSON document.

use cartera_logistic::{LogisticRegression, StopReason};
use serde_json::{Map, Value};

use super::Args;

/// What the summary reports about one run.
#[derive(Debug, Clone)]
pub struct Summary<'a> {
    /// `logistic` or `gbdt`.
    pub kind: &'a str,
    /// Rows the model was fitted on.
    pub n_train: usize,
    /// Rows held out for the metrics (0: the metrics are on the training rows).
    pub n_valid: usize,
    /// Columns of the matrix the model was fitted on (after one-hot encoding).
    pub n_features: usize,
    /// What the fit did, in a few words ("37 iterations", "200 trees").
    pub fit_detail: String,
    /// Wall-clock seconds of the fit.
    pub fit_seconds: f64,
    /// The metrics JSON of [`super::metrics_json`].
    pub metrics: &'a Map<String, Value>,
}

impl Summary<'_> {
    /// The summary lines (no trailing newlines), for `input` and the model file `out`.
    pub fn lines(&self, input: &str, out: &str) -> Vec<String> {
        let on = if self.n_valid > 0 {
            format!("validation ({} rows)", self.n_valid)
        } else {
            "training rows (no validation part)".to_string()
        };
        let metric = |key: &str, label: &str| {
            self.metrics
                .get(key)
                .and_then(Value::as_f64)
                .map(|v| format!("{label} {v:.4}"))
        };
        let shown: Vec<String> = [
            metric("auc", "AUC"),
            metric("accuracy", "accuracy"),
            metric("log_loss", "log loss"),
        ]
        .into_iter()
        .flatten()
        .collect();
        vec![
            format!(
                "{input}: {} on {} training rows x {} features, {} (fit {:.2} s)",
                self.kind, self.n_train, self.n_features, self.fit_detail, self.fit_seconds
            ),
            format!("metrics on {on}: {}", shown.join(", ")),
            format!("model written to {out}"),
        ]
    }
}

/// The warning when boosting kept no tree: no leaf could split (as LightGBM stops), so the
/// model scores every row with the class frequencies of the training rows.
pub const NO_TREE_WARNING: &str = "warning: no tree was grown: no split left --min-data-in-leaf \
     rows on both sides (with enough hessian and gain, LightGBM's other two limits) on the \
     training rows, so the model gives every row the training class frequencies; lower \
     --min-data-in-leaf or train on more rows";

/// A warning line when the logistic fit stopped before converging, saying why and which flag
/// to change; `None` when it converged.
pub fn convergence_warning(m: &LogisticRegression<f64>, a: &Args) -> Option<String> {
    let unscaled = a.scale.is_none();
    let (why, advice) = match m.stop_reason() {
        StopReason::GradientTolerance => return None,
        StopReason::MaxIter => (
            format!(
                "--max-iter {} reached with the largest gradient entry {} still above --tol {}",
                a.max_iter,
                number(m.grad_norm()),
                number(a.tol)
            ),
            if unscaled {
                "raise --max-iter or scale the features with --scale standard"
            } else {
                "raise --max-iter"
            },
        ),
        StopReason::LineSearchFailed => (
            format!("no step decreased the loss after {} iterations", m.n_iter()),
            if unscaled {
                "scale the features with --scale standard"
            } else {
                // Scaled columns that still stall the line search are usually duplicated or
                // near-constant.
                "look for duplicated or near-constant feature columns"
            },
        ),
        StopReason::Separable => (
            "the classes are linearly separable, so the unpenalised fit has no finite optimum"
                .to_string(),
            "drop --no-penalty",
        ),
    };
    Some(format!(
        "warning: the logistic fit did not converge: {why}; {advice}"
    ))
}

/// `v` with four significant digits, in scientific notation only when small or large.
fn number(v: f64) -> String {
    if (1e-3..1e4).contains(&v.abs()) {
        format!("{:.4}", v)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_name_the_metrics_and_the_model_file() {
        let metrics = json!({"auc": 0.91234, "accuracy": 0.8, "log_loss": 0.3})
            .as_object()
            .cloned()
            .unwrap();
        let s = Summary {
            kind: "logistic",
            n_train: 800,
            n_valid: 200,
            n_features: 12,
            fit_detail: "37 iterations".into(),
            fit_seconds: 0.5,
            metrics: &metrics,
        };
        let lines = s.lines("bank.csv", "m.json");
        assert_eq!(
            lines,
            vec![
                "bank.csv: logistic on 800 training rows x 12 features, 37 iterations (fit 0.50 s)",
                "metrics on validation (200 rows): AUC 0.9123, accuracy 0.8000, log loss 0.3000",
                "model written to m.json",
            ]
        );
        let multiclass = json!({"accuracy": 0.5, "log_loss": 1.0})
            .as_object()
            .cloned()
            .unwrap();
        let s = Summary {
            n_valid: 0,
            metrics: &multiclass,
            ..s
        };
        assert_eq!(
            s.lines("x.csv", "m.json")[1],
            "metrics on training rows (no validation part): accuracy 0.5000, log loss 1.0000"
        );
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(2.1894), "2.1894");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1e-4), "1e-4");
        assert_eq!(number(123_456.0), "1.23456e5");
    }
}
