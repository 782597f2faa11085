//! Bar charts over categories: lift per bucket, risk tiers stacked per group, effectiveness per
//! score band. Category `i` spans `[i, i + 1]` on the x axis, its bar the middle 70%.

use cartera_core::Error;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::check;
use crate::palette::{ordinal_color, segment_color};
use crate::render::{
    KeyedAxis, Marker, REFERENCE, axis_tick, caption_font, category_at, category_centres, draw_err,
    drawable, house_mesh, label_font, legend_width, min_max, percent, render, shorten, side_legend,
    thousands,
};
use crate::{PlotOptions, Result};

/// Longest category name on the x axis.
const MAX_CATEGORY_CHARS: usize = 24;
/// Category names are never cut shorter than this.
const MIN_CATEGORY_CHARS: usize = 4;
/// Half the width of a bar, in category units.
const HALF_BAR: f64 = 0.35;
/// Above this many bars, values are not written on them (they would overlap).
const MAX_VALUE_LABELS: usize = 24;

type BarChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<KeyedAxis, RangedCoordf64>>;

/// Axes for `categories` along x and `0..y_top` along y, in the house style.
fn bar_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    categories: &[String],
    y_top: f64,
    x_desc: &str,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> Result<BarChart<'a, 'b>> {
    let n = categories.len();
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(46)
        .y_label_area_size(64)
        .build_cartesian_2d(
            KeyedAxis::new(0.0..n as f64, category_centres(n)),
            0.0..y_top,
        )
        .map_err(draw_err)?;
    // As many characters as the category's width holds (about 7 px each), within bounds.
    let room = (area.dim_in_pixel().0.saturating_sub(90) as usize / n.max(1) / 7)
        .clamp(MIN_CATEGORY_CHARS, MAX_CATEGORY_CHARS);
    let name_at = |v: &f64| {
        category_at(*v, n)
            .map(|i| shorten(&categories[i], room))
            .unwrap_or_default()
    };
    house_mesh!(chart)
        .disable_x_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&name_at)
        .y_label_formatter(y_format)
        .draw()
        .map_err(draw_err)?;
    Ok(chart)
}

/// The bar of category `i` from `y0` to `y1`.
fn bar(i: usize, y0: f64, y1: f64, color: crate::Rgb) -> Rectangle<(f64, f64)> {
    let c = i as f64 + 0.5;
    Rectangle::new(
        [(c - HALF_BAR, y0), (c + HALF_BAR, y1)],
        color.plotters().filled(),
    )
}

/// Writes `text` just above the top of category `i`'s bar.
fn value_label(chart: &mut BarChart<'_, '_>, i: usize, top: f64, text: String) -> Result<()> {
    let style = label_font().pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(std::iter::once(
            EmptyElement::at((i as f64 + 0.5, top)) + Text::new(text, (0, -4), style),
        ))
        .map_err(draw_err)?;
    Ok(())
}

/// The top of a value axis whose largest value is `max`, leaving room for value labels.
fn headroom(max: f64, floor: f64) -> f64 {
    (max * 1.15).max(floor)
}

impl PlotOptions {
    /// The lift chart (see [`crate::lift`]) drawn with these options.
    pub fn lift(&self, buckets: &[String], lift: &[f64]) -> Result<String> {
        check::non_empty(buckets.len(), "lift: buckets")?;
        check::same_len(lift.len(), buckets.len(), "lift: values (one per bucket)")?;
        check::finite_non_negative(lift, "lift")?;

        render(self, "Lift per bucket", |root, title| {
            let body = root.titled(title, caption_font()).map_err(draw_err)?;
            let (_, max) = min_max(lift.iter().copied());
            let y_top = drawable(0.0..headroom(max.max(1.0), 1.2), "lift axis")?.end;
            let mut chart = bar_chart(
                &body,
                buckets,
                y_top,
                "bucket (best scores first)",
                "lift (times the average rate)",
                &|v| axis_tick(*v, y_top),
            )?;
            let color = segment_color(0);
            chart
                .draw_series(lift.iter().enumerate().map(|(i, &v)| bar(i, 0.0, v, color)))
                .map_err(draw_err)?;
            if buckets.len() <= MAX_VALUE_LABELS {
                for (i, &v) in lift.iter().enumerate() {
                    value_label(&mut chart, i, v, format!("{v:.2}"))?;
                }
            }
            let n = buckets.len() as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, 1.0), (n, 1.0)],
                    6,
                    4,
                    REFERENCE.stroke_width(2),
                ))
                .map_err(draw_err)?;
            let style = label_font()
                .color(&REFERENCE)
                .pos(Pos::new(HPos::Right, VPos::Bottom));
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((n, 1.0)) + Text::new("random = 1.0", (-4, -4), style),
                ))
                .map_err(draw_err)?;
            Ok(())
        })
    }

    /// The stacked tiers chart (see [`crate::stacked_tiers`]) drawn with these options.
    pub fn stacked_tiers(
        &self,
        groups: &[String],
        tiers: &[String],
        counts: &[Vec<usize>],
    ) -> Result<String> {
        check::non_empty(groups.len(), "stacked_tiers: groups")?;
        check::non_empty(tiers.len(), "stacked_tiers: tiers")?;
        check::same_len(
            counts.len(),
            groups.len(),
            "stacked_tiers: rows of counts (one per group)",
        )?;
        for (g, row) in counts.iter().enumerate() {
            check::same_len(
                row.len(),
                tiers.len(),
                &format!("stacked_tiers: counts[{g}] (one per tier)"),
            )?;
        }
        let totals: Vec<usize> = counts
            .iter()
            .enumerate()
            .map(|(g, row)| {
                row.iter()
                    .try_fold(0usize, |acc, &c| acc.checked_add(c))
                    .ok_or_else(|| {
                        Error::invalid_param(
                            format!("counts[{g}]"),
                            "(overflow)",
                            "must sum to at most usize::MAX",
                        )
                    })
            })
            .collect::<Result<_>>()?;
        let colors: Vec<crate::Rgb> = (0..tiers.len())
            .map(|t| ordinal_color(t, tiers.len()))
            .collect();
        // Legend top to bottom as the stack reads: last tier on top.
        let entries: Vec<(String, crate::Rgb)> = (0..tiers.len())
            .rev()
            .map(|t| (tiers[t].clone(), colors[t]))
            .collect();

        render(self, "Customers per tier", |root, title| {
            let body = root.titled(title, caption_font()).map_err(draw_err)?;
            let (w, _) = body.dim_in_pixel();
            let strip = legend_width(tiers.iter().map(String::as_str), None, w);
            let (plot, legend) = body.split_horizontally(w - strip);
            let max = totals.iter().copied().max().unwrap_or(0) as f64;
            let y_top = headroom(max, 1.0);
            let mut chart = bar_chart(&plot, groups, y_top, "group", "customers", &|v| {
                axis_tick(*v, y_top)
            })?;
            for (g, row) in counts.iter().enumerate() {
                let mut base = 0usize;
                let mut segments = Vec::with_capacity(row.len());
                for (t, &c) in row.iter().enumerate() {
                    if c > 0 {
                        segments.push(bar(g, base as f64, (base + c) as f64, colors[t]));
                        base += c;
                    }
                }
                chart.draw_series(segments).map_err(draw_err)?;
            }
            if groups.len() <= MAX_VALUE_LABELS {
                for (g, &total) in totals.iter().enumerate() {
                    value_label(&mut chart, g, total as f64, thousands(total))?;
                }
            }
            side_legend(&legend, &entries, Marker::Square, None)
        })
    }

    /// The effectiveness per score band chart (see [`crate::band_effectiveness`]) drawn with
    /// these options.
    pub fn band_effectiveness(&self, bands: &[String], effectiveness: &[f64]) -> Result<String> {
        check::non_empty(bands.len(), "band_effectiveness: bands")?;
        check::same_len(
            effectiveness.len(),
            bands.len(),
            "band_effectiveness: values (one per band)",
        )?;
        check::finite_in(effectiveness, 0.0, 1.0, "effectiveness")?;

        render(
            self,
            "Expected effectiveness per score band",
            |root, title| {
                let body = root.titled(title, caption_font()).map_err(draw_err)?;
                let (_, max) = min_max(effectiveness.iter().copied());
                let y_top = headroom(max, 0.05);
                let mut chart = bar_chart(
                    &body,
                    bands,
                    y_top,
                    "score band",
                    "expected effectiveness",
                    &|v| percent(*v),
                )?;
                let color = segment_color(2);
                chart
                    .draw_series(
                        effectiveness
                            .iter()
                            .enumerate()
                            .map(|(i, &v)| bar(i, 0.0, v, color)),
                    )
                    .map_err(draw_err)?;
                if bands.len() <= MAX_VALUE_LABELS {
                    for (i, &v) in effectiveness.iter().enumerate() {
                        value_label(&mut chart, i, v, percent(v))?;
                    }
                }
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_leaves_space_and_never_collapses() {
        assert!((headroom(10.0, 1.0) - 11.5).abs() < 1e-12);
        assert_eq!(headroom(0.0, 1.0), 1.0);
    }
}
