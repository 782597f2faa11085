//! SHAP summaries: mean |SHAP| bars and the beeswarm.

use cartera_core::Error;
use cartera_core::validate::{check_finite, check_len, check_non_empty, check_width};
use ndarray::ArrayView2;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::check;
use crate::palette::{MISSING_COLOR, ordinal_color, segment_color};
use crate::render::{
    KeyedAxis, Marker, REFERENCE, axis_tick, caption_font, category_at, category_centres, draw_err,
    drawable, house_mesh, label_font, legend_width, min_max, padded, render, shorten, side_legend,
    thousands, tick,
};
use crate::sample::spaced;
use crate::{PlotOptions, Result};

/// Most features a SHAP summary shows (more would not be readable at the default size).
pub(crate) const MAX_FEATURES: usize = 20;
/// Quantile bins of a feature's values in the beeswarm (colours low..high).
pub(crate) const VALUE_BINS: usize = 5;
/// Longest feature name on the y axis.
const MAX_NAME_CHARS: usize = 24;
/// Horizontal bins used to shape the swarm (points in the same bin are spread vertically).
const SWARM_BINS: usize = 80;
/// Half the height of a swarm row, in row units (rows are 1 apart).
const SWARM_HALF_HEIGHT: f64 = 0.4;

/// Feature indices by mean |SHAP| descending; ties keep feature order (stable sort).
fn ranking(mean_abs: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..mean_abs.len()).collect();
    order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]));
    order
}

/// Width of the y label area for these feature names, at most `max` pixels.
fn name_area(features: &[String], shown: &[usize], max: u32) -> u32 {
    let longest = shown
        .iter()
        .map(|&f| features[f].chars().count().min(MAX_NAME_CHARS))
        .max()
        .unwrap_or(1) as u32;
    (longest * 7 + 24).min(max)
}

/// Quantile bin (0..VALUE_BINS) of each value among the non-NaN `values`; NaN gives `None`.
/// A value's bin is its rank (number of smaller values) scaled to the bins, so equal values
/// share a bin.
fn value_bins(values: &[f64]) -> Vec<Option<usize>> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let m = sorted.len();
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                None
            } else {
                let below = sorted.partition_point(|&s| s < v);
                Some((below * VALUE_BINS / m.max(1)).min(VALUE_BINS - 1))
            }
        })
        .collect()
}

/// Vertical offsets (within ±[`SWARM_HALF_HEIGHT`]) that shape points at `xs` into a swarm:
/// the k-th point of an x bin goes alternately above and below the row's centre line, one
/// step further out each time, the step sized so that the fullest bin fills the row.
fn swarm_offsets(xs: &[f64], x_lo: f64, x_hi: f64) -> Vec<f64> {
    let width = (x_hi - x_lo).max(f64::MIN_POSITIVE);
    let bin_of = |x: f64| (((x - x_lo) / width * SWARM_BINS as f64) as usize).min(SWARM_BINS - 1);
    let mut counts = [0usize; SWARM_BINS];
    for &x in xs {
        counts[bin_of(x)] += 1;
    }
    let fullest = counts.iter().copied().max().unwrap_or(0);
    let step = SWARM_HALF_HEIGHT / fullest.div_ceil(2).max(1) as f64;
    let mut seen = [0usize; SWARM_BINS];
    xs.iter()
        .map(|&x| {
            let b = bin_of(x);
            let k = seen[b];
            seen[b] += 1;
            let out = k.div_ceil(2) as f64 * step;
            if k % 2 == 1 { out } else { -out }
        })
        .collect()
}

impl PlotOptions {
    /// The SHAP summary bar chart (see [`crate::shap_bar`]) drawn with these options.
    pub fn shap_bar(
        &self,
        features: &[String],
        mean_abs: &[f64],
        max_features: usize,
    ) -> Result<String> {
        check::non_empty(features.len(), "shap_bar: features")?;
        check::same_len(
            mean_abs.len(),
            features.len(),
            "shap_bar: mean |SHAP| values (one per feature)",
        )?;
        check::finite_non_negative(mean_abs, "mean |SHAP|")?;
        check::max_features(max_features)?;
        let shown: Vec<usize> = ranking(mean_abs).into_iter().take(max_features).collect();
        let m = shown.len();

        render(self, "Feature importance (mean |SHAP|)", |root, title| {
            let (_, max) = min_max(shown.iter().map(|&f| mean_abs[f]));
            let x_top = drawable(
                0.0..if max > 0.0 { max * 1.18 } else { 1.0 },
                "mean |SHAP| axis",
            )?
            .end;
            let mut chart = ChartBuilder::on(root)
                .caption(title, caption_font())
                .margin(14)
                .x_label_area_size(46)
                .y_label_area_size(name_area(features, &shown, root.dim_in_pixel().0 / 3))
                .build_cartesian_2d(
                    0.0..x_top,
                    KeyedAxis::new(0.0..m as f64, category_centres(m)),
                )
                .map_err(draw_err)?;
            // Row r from the top holds the r-th most important feature.
            let name_at = |v: &f64| {
                category_at(*v, m)
                    .map(|row| shorten(&features[shown[m - 1 - row]], MAX_NAME_CHARS))
                    .unwrap_or_default()
            };
            house_mesh!(chart)
                .disable_y_mesh()
                .x_desc("mean |SHAP value| (average impact on the model output)")
                .x_label_formatter(&|v| axis_tick(*v, x_top))
                .y_label_formatter(&name_at)
                .draw()
                .map_err(draw_err)?;
            let color = segment_color(0).plotters().filled();
            chart
                .draw_series(shown.iter().enumerate().map(|(rank, &f)| {
                    let c = (m - 1 - rank) as f64 + 0.5;
                    Rectangle::new([(0.0, c - 0.35), (mean_abs[f], c + 0.35)], color)
                }))
                .map_err(draw_err)?;
            let style = label_font().pos(Pos::new(HPos::Left, VPos::Center));
            chart
                .draw_series(shown.iter().enumerate().map(|(rank, &f)| {
                    let c = (m - 1 - rank) as f64 + 0.5;
                    EmptyElement::at((mean_abs[f], c))
                        + Text::new(tick(mean_abs[f]), (4, 0), style.clone())
                }))
                .map_err(draw_err)?;
            Ok(())
        })
    }

    /// The SHAP beeswarm (see [`crate::shap_beeswarm`]) drawn with these options; at most
    /// [`PlotOptions::point_budget`] points in all.
    pub fn shap_beeswarm(
        &self,
        features: &[String],
        shap: ArrayView2<f64>,
        values: ArrayView2<f64>,
        max_features: usize,
    ) -> Result<String> {
        let p = features.len();
        check::non_empty(p, "shap_beeswarm: features")?;
        check_non_empty(shap, "SHAP values")?;
        check_width(shap, p, "SHAP values")?;
        check_len(
            values.nrows(),
            shap.nrows(),
            "feature values: rows (one per SHAP row)",
        )?;
        check_width(values, p, "feature values")?;
        check_finite(shap, "SHAP values")?;
        // NaN feature values are missing values (drawn grey); only infinities are errors.
        // The plain scan first: locating the cell (indexed_iter) is only paid on failure.
        if values.iter().any(|v| v.is_infinite())
            && let Some(((row, column), v)) = values.indexed_iter().find(|(_, v)| v.is_infinite())
        {
            return Err(Error::NonFinite {
                what: "feature values".into(),
                row,
                column,
                value: if *v > 0.0 { "inf" } else { "-inf" }.into(),
            });
        }
        check::max_features(max_features)?;

        let n = shap.nrows();
        // Mean |SHAP| per feature, rows accumulated in order (row-major, deterministic).
        let mut mean_abs = vec![0.0; p];
        for row in shap.rows() {
            for (acc, v) in mean_abs.iter_mut().zip(row) {
                *acc += v.abs();
            }
        }
        for acc in &mut mean_abs {
            *acc /= n as f64;
        }
        let shown: Vec<usize> = ranking(&mean_abs).into_iter().take(max_features).collect();
        let m = shown.len();
        // The same evenly spaced rows for every feature, so a customer is in every row or none.
        let per_feature = (self.point_budget() / m).max(1);
        let rows: Vec<usize> = spaced(n, per_feature).collect();
        let (x_lo, x_hi) = min_max(
            rows.iter()
                .flat_map(|&r| shown.iter().map(move |&f| shap[[r, f]])),
        );
        let x_range = drawable(padded(x_lo.min(0.0), x_hi.max(0.0), 0.05), "SHAP axis")?;
        let any_missing = rows
            .iter()
            .any(|&r| shown.iter().any(|&f| values[[r, f]].is_nan()));
        let mut entries: Vec<(String, crate::Rgb)> = (0..VALUE_BINS)
            .rev()
            .map(|b| {
                let label = match b {
                    0 => "low feature value",
                    b if b == VALUE_BINS - 1 => "high feature value",
                    _ => "",
                };
                (label.to_string(), ordinal_color(b, VALUE_BINS))
            })
            .collect();
        if any_missing {
            entries.push(("missing".into(), MISSING_COLOR));
        }
        let note = (rows.len() < n)
            .then(|| format!("{} of {} rows shown", thousands(rows.len()), thousands(n)));

        render(self, "SHAP values per feature", |root, title| {
            let body = root.titled(title, caption_font()).map_err(draw_err)?;
            let (w, _) = body.dim_in_pixel();
            let strip = legend_width(entries.iter().map(|(l, _)| l.as_str()), note.as_deref(), w);
            let (plot, legend) = body.split_horizontally(w - strip);
            let mut chart = ChartBuilder::on(&plot)
                .margin(10)
                .x_label_area_size(46)
                .y_label_area_size(name_area(features, &shown, plot.dim_in_pixel().0 / 3))
                .build_cartesian_2d(
                    x_range.clone(),
                    KeyedAxis::new(0.0..m as f64, category_centres(m)),
                )
                .map_err(draw_err)?;
            let name_at = |v: &f64| {
                category_at(*v, m)
                    .map(|row| shorten(&features[shown[m - 1 - row]], MAX_NAME_CHARS))
                    .unwrap_or_default()
            };
            house_mesh!(chart)
                .x_desc("SHAP value (impact on the model output)")
                .x_label_formatter(&|v| axis_tick(*v, x_range.end - x_range.start))
                .y_label_formatter(&name_at)
                .draw()
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, 0.0), (0.0, m as f64)],
                    REFERENCE.stroke_width(1),
                )))
                .map_err(draw_err)?;

            let radius = if rows.len() * m > 2_000 { 2 } else { 3 };
            for (rank, &f) in shown.iter().enumerate() {
                let centre = (m - 1 - rank) as f64 + 0.5;
                let xs: Vec<f64> = rows.iter().map(|&r| shap[[r, f]]).collect();
                let vs: Vec<f64> = rows.iter().map(|&r| values[[r, f]]).collect();
                let bins = value_bins(&vs);
                let offsets = swarm_offsets(&xs, x_range.start, x_range.end);
                chart
                    .draw_series(xs.iter().zip(&offsets).zip(&bins).map(|((&x, &dy), bin)| {
                        let color = match bin {
                            Some(b) => ordinal_color(*b, VALUE_BINS),
                            None => MISSING_COLOR,
                        };
                        Circle::new((x, centre + dy), radius, color.plotters().mix(0.8).filled())
                    }))
                    .map_err(draw_err)?;
            }
            side_legend(&legend, &entries, Marker::Square, note.as_deref())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking_is_descending_with_ties_in_feature_order() {
        assert_eq!(ranking(&[0.1, 0.5, 0.1, 0.9]), vec![3, 1, 0, 2]);
    }

    #[test]
    fn value_bins_follow_ranks_and_keep_ties_together() {
        let b = value_bins(&[10.0, 1.0, f64::NAN, 5.0, 5.0, 3.0]);
        assert_eq!(b[2], None);
        // Five non-NaN values: ranks 4, 0, 2, 2, 1 of 5 bins.
        assert_eq!(b, vec![Some(4), Some(0), None, Some(2), Some(2), Some(1)]);
        assert_eq!(value_bins(&[7.0, 7.0]), vec![Some(0), Some(0)]);
        assert_eq!(value_bins(&[f64::NAN]), vec![None]);
    }

    #[test]
    fn swarm_offsets_stay_in_the_row_and_spread_dense_bins() {
        let xs: Vec<f64> = (0..100)
            .map(|i| if i < 60 { 0.5 } else { i as f64 / 100.0 })
            .collect();
        let off = swarm_offsets(&xs, 0.0, 1.0);
        assert!(off.iter().all(|o| o.abs() <= SWARM_HALF_HEIGHT + 1e-12));
        // The 60 points at 0.5 spread to the full height; a lone point sits on the line.
        let dense: Vec<f64> = off[..60].to_vec();
        let spread = dense.iter().fold(0.0f64, |a, &o| a.max(o.abs()));
        assert!((spread - SWARM_HALF_HEIGHT).abs() < 1e-9, "{spread}");
        assert_eq!(off[99], 0.0);
        assert_eq!(off, swarm_offsets(&xs, 0.0, 1.0));
    }
}
