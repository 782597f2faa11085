//! The silhouette plot: each cluster's sorted silhouette values as a filled profile.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::check;
use crate::palette::segment_color;
use crate::render::{
    FONT, KeyedAxis, LABEL_SIZE, REFERENCE, axis_tick, caption_font, draw_err, house_mesh, min_max,
    render, shorten,
};
use crate::sample::quotas;
use crate::{PlotOptions, Result};

/// Longest cluster name on the y axis.
const MAX_NAME_CHARS: usize = 18;

/// `q` positions in `0..n` evenly spaced *including both ends* (a profile keeps its extremes).
fn spaced_with_ends(n: usize, q: usize) -> impl Iterator<Item = usize> {
    let q = q.min(n);
    (0..q).map(move |j| {
        if q == 1 {
            n / 2
        } else {
            // j (n - 1) / (q - 1) <= n - 1; u128 keeps the product exact.
            (j as u128 * (n as u128 - 1) / (q as u128 - 1)) as usize
        }
    })
}

impl PlotOptions {
    /// The silhouette plot (see [`crate::silhouette`]) drawn with these options; at most
    /// [`PlotOptions::point_budget`] profile vertices (plus two per cluster).
    pub fn silhouette(&self, values: &[f64], labels: &[usize], names: &[String]) -> Result<String> {
        check::non_empty(values.len(), "silhouette: values")?;
        check::same_len(
            labels.len(),
            values.len(),
            "silhouette: labels (one per value)",
        )?;
        check::non_empty(names.len(), "silhouette: cluster names")?;
        check::finite_in(values, -1.0, 1.0, "silhouette values")?;
        check::labels_named(labels, names.len(), "labels")?;

        let mut by_cluster: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        for (&v, &l) in values.iter().zip(labels) {
            by_cluster[l].push(v);
        }
        for c in &mut by_cluster {
            c.sort_unstable_by(|a, b| b.total_cmp(a));
        }
        let sizes: Vec<usize> = by_cluster.iter().map(Vec::len).collect();
        let kept = quotas(&sizes, self.point_budget());
        // Mean over every sample (not the drawn ones), summed in input order.
        let mean = values.iter().sum::<f64>() / values.len() as f64;

        // Clusters stacked bottom to top in name order, a gap of 2% of the samples between.
        let n = values.len() as f64;
        let gap = (n * 0.02).max(1.0);
        let mut bottoms = Vec::with_capacity(names.len());
        let mut y = gap;
        for &s in &sizes {
            bottoms.push(y);
            if s > 0 {
                y += s as f64 + gap;
            }
        }
        // Room above the last cluster for the mean's label.
        let y_top = y + 2.0 * gap;
        let middles: Vec<f64> = (0..names.len())
            .filter(|&c| sizes[c] > 0)
            .map(|c| bottoms[c] + sizes[c] as f64 / 2.0)
            .collect();
        let shown: Vec<usize> = (0..names.len()).filter(|&c| sizes[c] > 0).collect();
        let longest = shown
            .iter()
            .map(|&c| names[c].chars().count().min(MAX_NAME_CHARS))
            .max()
            .unwrap_or(1) as u32;

        render(self, "Silhouette per cluster", |root, title| {
            let (lo, _) = min_max(values.iter().copied());
            let x_lo = (lo - 0.05).min(-0.1);
            let mut chart = ChartBuilder::on(root)
                .caption(title, caption_font())
                .margin(14)
                .x_label_area_size(46)
                .y_label_area_size((longest * 7 + 24).min(root.dim_in_pixel().0 / 3))
                .build_cartesian_2d(x_lo..1.0, KeyedAxis::new(0.0..y_top, middles.clone()))
                .map_err(draw_err)?;
            // The y axis counts samples, which says nothing; its labels are the cluster names.
            let name_at = |v: &f64| {
                middles
                    .iter()
                    .position(|m| (m - v).abs() < 1e-9)
                    .map(|i| shorten(&names[shown[i]], MAX_NAME_CHARS))
                    .unwrap_or_default()
            };
            house_mesh!(chart)
                .disable_y_mesh()
                .x_desc("silhouette value")
                .y_desc("cluster")
                .x_label_formatter(&|v| axis_tick(*v, 1.0 - x_lo))
                .y_label_formatter(&name_at)
                .draw()
                .map_err(draw_err)?;

            for &c in &shown {
                let (s, bottom) = (sizes[c], bottoms[c]);
                // Highest value at the top of the band; position p of the sorted (descending)
                // values sits at bottom + (s - 1 - p) + 0.5.
                let mut outline: Vec<(f64, f64)> = Vec::with_capacity(kept[c] + 2);
                outline.push((0.0, bottom));
                let mut picks: Vec<usize> = spaced_with_ends(s, kept[c]).collect();
                picks.reverse();
                for p in picks {
                    outline.push((by_cluster[c][p], bottom + (s - 1 - p) as f64 + 0.5));
                }
                outline.push((0.0, bottom + s as f64));
                let color = segment_color(c).plotters();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        color.mix(0.85).filled(),
                    )))
                    .map_err(draw_err)?;
            }

            chart
                .draw_series(DashedLineSeries::new(
                    vec![(mean, 0.0), (mean, y_top)],
                    6,
                    4,
                    REFERENCE.stroke_width(2),
                ))
                .map_err(draw_err)?;
            let style = (FONT, LABEL_SIZE)
                .into_font()
                .color(&REFERENCE)
                .pos(Pos::new(HPos::Left, VPos::Top));
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((mean, y_top))
                        + Text::new(format!("mean = {mean:.3}"), (6, 4), style),
                ))
                .map_err(draw_err)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_with_ends_keeps_extremes() {
        assert_eq!(
            spaced_with_ends(10, 4).collect::<Vec<_>>(),
            vec![0, 3, 6, 9]
        );
        assert_eq!(
            spaced_with_ends(5, 9).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(spaced_with_ends(7, 1).collect::<Vec<_>>(), vec![3]);
        assert_eq!(spaced_with_ends(0, 3).count(), 0);
    }
}
