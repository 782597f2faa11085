//! The study's charts, drawn by `cartera-plot` (SVG documents as strings). One function per
//! chart so that the studies depend on these names only.

use cartera_core::Result;
use ndarray::ArrayView2;

/// Elbow curve with the knee marked.
pub(crate) fn elbow(ks: &[usize], inertia: &[f64], knee: Option<usize>) -> Result<String> {
    cartera_plot::elbow(ks, inertia, knee)
}

/// Silhouette plot per cluster.
pub(crate) fn silhouette(values: &[f64], labels: &[usize], names: &[String]) -> Result<String> {
    cartera_plot::silhouette(values, labels, names)
}

/// 2-D scatter coloured by segment.
pub(crate) fn scatter(
    x: &[f64],
    y: &[f64],
    labels: &[usize],
    names: &[String],
    x_label: &str,
    y_label: &str,
) -> Result<String> {
    cartera_plot::scatter(x, y, labels, names, x_label, y_label)
}

/// Cumulative gains curve.
pub(crate) fn gains(population: &[f64], captured: &[f64]) -> Result<String> {
    cartera_plot::gains(population, captured)
}

/// Lift per bucket.
pub(crate) fn lift(buckets: &[String], lift: &[f64]) -> Result<String> {
    cartera_plot::lift(buckets, lift)
}

/// Mean |SHAP| bars.
pub(crate) fn shap_bar(
    features: &[String],
    mean_abs: &[f64],
    max_features: usize,
) -> Result<String> {
    cartera_plot::shap_bar(features, mean_abs, max_features)
}

/// SHAP beeswarm.
pub(crate) fn shap_beeswarm(
    features: &[String],
    shap: ArrayView2<'_, f64>,
    values: ArrayView2<'_, f64>,
    max_features: usize,
) -> Result<String> {
    cartera_plot::shap_beeswarm(features, shap, values, max_features)
}

/// Risk tiers stacked per group.
pub(crate) fn stacked_tiers(
    groups: &[String],
    tiers: &[String],
    counts: &[Vec<usize>],
) -> Result<String> {
    cartera_plot::stacked_tiers(groups, tiers, counts)
}

/// Effectiveness per score band.
pub(crate) fn band_effectiveness(bands: &[String], effectiveness: &[f64]) -> Result<String> {
    cartera_plot::band_effectiveness(bands, effectiveness)
}
