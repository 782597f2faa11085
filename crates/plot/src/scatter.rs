//! The 2-D scatter of customers coloured by segment.

use plotters::prelude::*;

use crate::check;
use crate::palette::segment_color;
use crate::render::{
    Marker, axis_tick, caption_font, draw_err, drawable, house_mesh, legend_width, min_max, padded,
    render, side_legend, thousands,
};
use crate::sample::stratified_sample;
use crate::{PlotOptions, Result};

impl PlotOptions {
    /// The segment scatter (see [`crate::scatter`]) drawn with these options; at most
    /// [`PlotOptions::point_budget`] points.
    pub fn scatter(
        &self,
        x: &[f64],
        y: &[f64],
        labels: &[usize],
        names: &[String],
        x_label: &str,
        y_label: &str,
    ) -> Result<String> {
        check::non_empty(x.len(), "scatter: x")?;
        check::same_len(y.len(), x.len(), "scatter: y values (one per x)")?;
        check::same_len(labels.len(), x.len(), "scatter: labels (one per point)")?;
        check::non_empty(names.len(), "scatter: segment names")?;
        check::finite(x, "x")?;
        check::finite(y, "y")?;
        check::labels_named(labels, names.len(), "labels")?;

        let rows = stratified_sample(labels, self.point_budget());
        let mut sizes = vec![0usize; names.len()];
        for &l in labels {
            sizes[l] += 1;
        }
        let entries: Vec<(String, crate::Rgb)> = (0..names.len())
            .filter(|&s| sizes[s] > 0)
            .map(|s| {
                (
                    format!("{} ({})", names[s], thousands(sizes[s])),
                    segment_color(s),
                )
            })
            .collect();
        let note = (rows.len() < x.len()).then(|| {
            format!(
                "{} of {} points shown",
                thousands(rows.len()),
                thousands(x.len())
            )
        });

        render(self, "Segments", |root, title| {
            let body = root.titled(title, caption_font()).map_err(draw_err)?;
            let (w, _) = body.dim_in_pixel();
            let strip = legend_width(entries.iter().map(|(l, _)| l.as_str()), note.as_deref(), w);
            let (plot, legend) = body.split_horizontally(w - strip);

            // Axes span every point, not only the drawn ones, so they describe the data.
            let (x_lo, x_hi) = min_max(x.iter().copied());
            let (y_lo, y_hi) = min_max(y.iter().copied());
            let x_axis = drawable(padded(x_lo, x_hi, 0.04), "x axis")?;
            let y_axis = drawable(padded(y_lo, y_hi, 0.04), "y axis")?;
            let (x_span, y_span) = (x_axis.end - x_axis.start, y_axis.end - y_axis.start);
            let mut chart = ChartBuilder::on(&plot)
                .margin(10)
                .x_label_area_size(44)
                .y_label_area_size(60)
                .build_cartesian_2d(x_axis, y_axis)
                .map_err(draw_err)?;
            house_mesh!(chart)
                .x_desc(x_label)
                .y_desc(y_label)
                .x_label_formatter(&|v| axis_tick(*v, x_span))
                .y_label_formatter(&|v| axis_tick(*v, y_span))
                .draw()
                .map_err(draw_err)?;

            // Smaller, translucent points when there are many, so density stays visible.
            let (radius, alpha) = if rows.len() > 1_000 {
                (2, 0.6)
            } else {
                (3, 0.85)
            };
            chart
                .draw_series(rows.iter().map(|&i| {
                    Circle::new(
                        (x[i], y[i]),
                        radius,
                        segment_color(labels[i]).plotters().mix(alpha).filled(),
                    )
                }))
                .map_err(draw_err)?;
            side_legend(&legend, &entries, Marker::Dot, note.as_deref())
        })
    }
}
