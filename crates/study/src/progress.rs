//! Step-by-step progress of a study, reported to whoever runs it (the CLI draws a spinner).

use std::time::Instant;

use cartera_core::Result;

/// Receives the start and the end of every step of a study.
///
/// Steps are reported in order, one at a time, from the thread that called
/// [`StudyParams::run`](crate::StudyParams::run); a step that fails is not finished (the error
/// comes back from `run`). Implementations need interior mutability if they keep state.
pub trait Progress {
    /// Step `name` (e.g. `"fitting the churn model"`) begins.
    fn start(&self, name: &str);
    /// Step `name` ended after `seconds` of wall time.
    fn finish(&self, name: &str, seconds: f64);
}

/// Progress that reports nothing (tests, libraries, `--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _name: &str) {}
    fn finish(&self, _name: &str, _seconds: f64) {}
}

/// Run `f` as step `name`, timing it; the step's time is also recorded in `times`.
pub(crate) fn step<T>(
    progress: &dyn Progress,
    times: &mut Vec<StepTime>,
    name: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    progress.start(name);
    let t0 = Instant::now();
    let out = f()?;
    let seconds = t0.elapsed().as_secs_f64();
    progress.finish(name, seconds);
    times.push(StepTime {
        step: name.to_string(),
        seconds,
    });
    Ok(out)
}

/// Wall time of one step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepTime {
    /// The step's name, as reported to [`Progress::start`].
    pub step: String,
    /// Seconds of wall time.
    pub seconds: f64,
}
