//! # cartera-plot
//!
//! The charts of the cartera studies, drawn with [plotters](https://docs.rs/plotters) into an SVG
//! string: no files, no font files, no Python. Text is written as SVG `<text>` elements and
//! laid out by the viewer, so a chart renders the same on every machine and can be inlined in
//! an HTML report as it is.
//!
//! ```
//! // Inertia for k = 1..=6 and the knee found at k = 3 (e.g. by `cartera_kmeans::elbow`).
//! let ks = [1, 2, 3, 4, 5, 6];
//! let inertia = [980.0, 420.0, 150.0, 130.0, 118.0, 110.0];
//! let svg = cartera_plot::elbow(&ks, &inertia, Some(3))?;
//! assert!(svg.starts_with("<svg"));
//! assert!(svg.contains("knee: k = 3"));
//!
//! // The same chart wider, with a title of our own.
//! let svg = cartera_plot::PlotOptions::new()
//!     .size(960, 540)
//!     .title("Choosing the number of segments")
//!     .elbow(&ks, &inertia, Some(3))?;
//! assert!(svg.contains(r#"width="960""#));
//! assert!(svg.contains("Choosing the number of segments"));
//!
//! // Bad input is a typed error, never a panic.
//! assert!(cartera_plot::elbow(&ks, &inertia[..5], None).is_err());
//! # Ok::<(), cartera_core::Error>(())
//! ```
//!
//! ## The charts
//!
//! | function | chart | study |
//! |---|---|---|
//! | [`elbow`] | inertia against k, the knee marked | 001, 003, 004 |
//! | [`silhouette`] | silhouette values per cluster, mean line | 001, 003 |
//! | [`scatter`] | 2-D points coloured by segment, legend | 002, 003 |
//! | [`gains`], [`lift`] | cumulative gains with the random baseline; lift per decile | 000 |
//! | [`shap_bar`], [`shap_beeswarm`] | SHAP summaries | 004 |
//! | [`stacked_tiers`] | risk tiers stacked per cluster or store | 004 |
//! | [`band_effectiveness`] | expected effectiveness per score band | 000 |
//!
//! Every function has a method of the same name on [`PlotOptions`] (size, title, point budget);
//! the free functions use [`PlotOptions::default`] (720 x 440 pixels, each chart's own title).
//! `cargo run -p cartera-plot --example gallery -- DIR` writes every chart to `DIR` as SVG.
//!
//! ## What the caller may rely on
//!
//! * **Determinism**: the same input gives byte-identical SVG (no clock, no RNG, no hash
//!   order).
//! * **Bounded size**: point charts draw at most [`PlotOptions::max_points`] marks
//!   ([`DEFAULT_MAX_POINTS`] = 5,000 by default), chosen deterministically: [`scatter`] keeps a
//!   stratified sample ([`stratified_sample`]: every segment its share and at least one point),
//!   [`silhouette`] evenly spaced order statistics of each cluster (its profile and height are
//!   kept), [`shap_beeswarm`] the same evenly spaced rows for every feature. A chart of the
//!   371,589 telco customers is about 480 KB and is drawn in about 40 ms (scatter) or 130 ms
//!   (10-feature beeswarm, most of it checking and averaging the 3.7 million SHAP values) in a
//!   release build (`cargo bench -p cartera-plot`).
//! * **No panic on bad input**: mismatched lengths, empty input, NaN or infinite values, labels
//!   without a name, out-of-range parameters and values whose span overflows an `f64` are
//!   [`cartera_core::Error`]s naming the input.
//! * **Errors**: a failure inside plotters (not expected when drawing into a `String`) is
//!   returned as [`cartera_core::Error::Io`] with the context `drawing an SVG chart`.
//! * **Colours**: segments use the Okabe-Ito colour-blind-safe palette ([`segment_color`]), so
//!   segment 2 has the same colour in the scatter and the silhouette plot (and in an HTML table,
//!   through [`Rgb::hex`]); ordered quantities (risk tiers, feature values) use a
//!   blue-to-vermillion ramp ([`ordinal_color`], [`ramp_color`]).
#![deny(missing_docs)]

mod bars;
mod check;
mod curves;
mod options;
mod palette;
mod render;
mod sample;
mod scatter;
mod shap;
mod silhouette;

pub use options::{DEFAULT_HEIGHT, DEFAULT_MAX_POINTS, DEFAULT_WIDTH, PlotOptions};
pub use palette::{MISSING_COLOR, Rgb, SEGMENT_COLORS, ordinal_color, ramp_color, segment_color};
pub use sample::stratified_sample;

/// The result type of every chart: the SVG document as a `String`, or a [`cartera_core::Error`].
pub type Result<T> = cartera_core::Result<T>;

use ndarray::ArrayView2;

/// Elbow curve: inertia against k, the knee (if any) marked with a distinct ring and a label
/// `knee: k = K`, with a dashed vertical guide.
///
/// `ks` must be strictly increasing and as long as `inertia`; inertia values finite and `>= 0`;
/// `knee`, when given, one of `ks`. See [`PlotOptions::elbow`].
pub fn elbow(ks: &[usize], inertia: &[f64], knee: Option<usize>) -> Result<String> {
    PlotOptions::default().elbow(ks, inertia, knee)
}

/// Silhouette plot: per cluster, its samples' silhouette values sorted in descending order as a
/// filled horizontal profile, clusters stacked bottom to top, and a dashed vertical line at the
/// mean silhouette (the mean over *all* samples).
///
/// `values[i]` in `[-1, 1]` is sample `i`'s silhouette and `labels[i] < names.len()` its
/// cluster. Large clusters are drawn from evenly spaced order statistics (at most
/// [`PlotOptions::max_points`] vertices in all), which keeps each profile's shape and height.
/// See [`PlotOptions::silhouette`].
pub fn silhouette(values: &[f64], labels: &[usize], names: &[String]) -> Result<String> {
    PlotOptions::default().silhouette(values, labels, names)
}

/// 2-D scatter coloured by segment, with a legend of segment names (and sizes).
///
/// At most [`PlotOptions::max_points`] (5,000 by default) points are drawn: above that a
/// deterministic stratified sample keeps every segment's share (and at least one point per
/// segment), drawn in the original row order so that no segment is painted over the others
/// wholesale. See [`PlotOptions::scatter`].
pub fn scatter(
    x: &[f64],
    y: &[f64],
    labels: &[usize],
    names: &[String],
    x_label: &str,
    y_label: &str,
) -> Result<String> {
    PlotOptions::default().scatter(x, y, labels, names, x_label, y_label)
}

/// Cumulative gains: fraction of positives captured against fraction of population targeted,
/// both in `[0, 1]`, with the random (diagonal) baseline.
///
/// `population` must be non-decreasing; if the curve does not start at `(0, 0)` that point is
/// added. See [`PlotOptions::gains`].
pub fn gains(population: &[f64], captured: &[f64]) -> Result<String> {
    PlotOptions::default().gains(population, captured)
}

/// Lift per bucket (e.g. decile labels `"1"`..`"10"`) as bars, with a dashed line at 1.0 (no
/// better than random). Lift values must be finite and `>= 0`. See [`PlotOptions::lift`].
pub fn lift(buckets: &[String], lift: &[f64]) -> Result<String> {
    PlotOptions::default().lift(buckets, lift)
}

/// SHAP summary bar: mean |SHAP| per feature as horizontal bars, sorted in descending order
/// (ties by feature order), the top `max_features` (1 to 20) shown. See
/// [`PlotOptions::shap_bar`].
pub fn shap_bar(features: &[String], mean_abs: &[f64], max_features: usize) -> Result<String> {
    PlotOptions::default().shap_bar(features, mean_abs, max_features)
}

/// SHAP beeswarm: one row per feature (sorted by mean |SHAP| over all rows, top
/// `max_features`, 1 to 20), x = SHAP value, each point coloured by its feature value's
/// quantile bin (5 bins over the drawn rows' values, equal values in the same bin; low = blue ..
/// high = vermillion, see [`ordinal_color`]; a NaN feature value, i.e. missing, is grey).
///
/// `shap` and `values` are both n x p with `features.len() == p`. SHAP values must be finite;
/// feature values may be NaN (missing) but not infinite. Vertical spread is a deterministic
/// density-shaped swarm (no RNG). At most [`PlotOptions::max_points`] points in all: the same
/// evenly spaced rows are shown for every feature. See [`PlotOptions::shap_beeswarm`].
pub fn shap_beeswarm(
    features: &[String],
    shap: ArrayView2<f64>,
    values: ArrayView2<f64>,
    max_features: usize,
) -> Result<String> {
    PlotOptions::default().shap_beeswarm(features, shap, values, max_features)
}

/// Stacked bars: one bar per group (cluster or store), one stacked segment per tier (bottom to
/// top in the order of `tiers`), legend of tiers. `counts[g][t]` is the number of customers of
/// group `g` in tier `t`; zero counts draw nothing. See [`PlotOptions::stacked_tiers`].
pub fn stacked_tiers(groups: &[String], tiers: &[String], counts: &[Vec<usize>]) -> Result<String> {
    PlotOptions::default().stacked_tiers(groups, tiers, counts)
}

/// Expected effectiveness (a rate in `[0, 1]`) per score band as bars, each labelled with its
/// percentage (one decimal). See [`PlotOptions::band_effectiveness`].
pub fn band_effectiveness(bands: &[String], effectiveness: &[f64]) -> Result<String> {
    PlotOptions::default().band_effectiveness(bands, effectiveness)
}
