//! Line charts: the elbow curve and cumulative gains.

use cartera_core::Error;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::check;
use crate::palette::segment_color;
use crate::render::{
    FONT, KeyedAxis, LABEL_SIZE, REFERENCE, axis_tick, caption_font, draw_err, drawable,
    house_mesh, label_font, min_max, padded, render,
};
use crate::{PlotOptions, Result};

/// At most this many k values get a tick label, so that labels never overlap.
const MAX_K_TICKS: usize = 15;

impl PlotOptions {
    /// The elbow curve (see [`crate::elbow`]) drawn with these options.
    pub fn elbow(&self, ks: &[usize], inertia: &[f64], knee: Option<usize>) -> Result<String> {
        check::non_empty(ks.len(), "elbow: ks")?;
        check::same_len(inertia.len(), ks.len(), "elbow: inertia values (one per k)")?;
        check::finite_non_negative(inertia, "inertia")?;
        if let Some(i) = ks.windows(2).position(|w| w[0] >= w[1]) {
            return Err(Error::invalid_param(
                format!("ks[{}]", i + 1),
                ks[i + 1],
                format!("must be greater than ks[{i}] = {}", ks[i]),
            ));
        }
        let knee_at = match knee {
            None => None,
            Some(k) => Some(
                ks.iter()
                    .position(|&x| x == k)
                    .ok_or_else(|| Error::invalid_param("knee", k, "must be one of ks"))?,
            ),
        };

        render(self, "Elbow curve", |root, title| {
            let (k_lo, k_hi) = (ks[0] as f64, ks[ks.len() - 1] as f64);
            let x_range = padded(k_lo, k_hi, 0.06);
            let (_, top) = min_max(inertia.iter().copied());
            let y_top = drawable(
                0.0..if top > 0.0 { top * 1.12 } else { 1.0 },
                "inertia axis",
            )?
            .end;
            let stride = ks.len().div_ceil(MAX_K_TICKS);
            let key_points: Vec<f64> = ks.iter().step_by(stride).map(|&k| k as f64).collect();

            let mut chart = ChartBuilder::on(root)
                .caption(title, caption_font())
                .margin(14)
                .x_label_area_size(46)
                .y_label_area_size(70)
                .build_cartesian_2d(KeyedAxis::new(x_range.clone(), key_points), 0.0..y_top)
                .map_err(draw_err)?;
            house_mesh!(chart)
                .x_desc("k (number of segments)")
                .y_desc("inertia (within-segment sum of squares)")
                .x_label_formatter(&|v| format!("{}", v.round() as i64))
                .y_label_formatter(&|v| axis_tick(*v, y_top))
                .draw()
                .map_err(draw_err)?;

            let line = segment_color(0).plotters();
            let points: Vec<(f64, f64)> = ks
                .iter()
                .zip(inertia)
                .map(|(&k, &v)| (k as f64, v))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    line.stroke_width(2),
                ))
                .map_err(draw_err)?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, line.filled())))
                .map_err(draw_err)?;

            if let Some(i) = knee_at {
                let p = points[i];
                let accent = segment_color(3).plotters();
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(p.0, 0.0), (p.0, y_top)],
                        6,
                        4,
                        REFERENCE.stroke_width(1),
                    ))
                    .map_err(draw_err)?;
                chart
                    .draw_series(std::iter::once(Circle::new(p, 9, accent.stroke_width(3))))
                    .map_err(draw_err)?;
                // Label on the side with more room, so that it never leaves the canvas.
                let right_half = p.0 > 0.5 * (x_range.start + x_range.end);
                let (anchor, dx) = if right_half {
                    (HPos::Right, -14)
                } else {
                    (HPos::Left, 14)
                };
                let style = (FONT, LABEL_SIZE + 2)
                    .into_font()
                    .color(&accent)
                    .pos(Pos::new(anchor, VPos::Bottom));
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(p)
                            + Text::new(format!("knee: k = {}", ks[i]), (dx, -12), style),
                    ))
                    .map_err(draw_err)?;
            }
            Ok(())
        })
    }

    /// The cumulative gains chart (see [`crate::gains`]) drawn with these options.
    pub fn gains(&self, population: &[f64], captured: &[f64]) -> Result<String> {
        check::non_empty(population.len(), "gains: population")?;
        check::same_len(
            captured.len(),
            population.len(),
            "gains: captured values (one per population fraction)",
        )?;
        check::finite_in(population, 0.0, 1.0, "population")?;
        check::finite_in(captured, 0.0, 1.0, "captured")?;
        if let Some(i) = population.windows(2).position(|w| w[1] < w[0]) {
            return Err(Error::invalid_param(
                format!("population[{}]", i + 1),
                population[i + 1],
                format!(
                    "must not be below population[{i}] = {} (the curve is cumulative)",
                    population[i]
                ),
            ));
        }
        let mut curve = Vec::with_capacity(population.len() + 1);
        if population[0] != 0.0 || captured[0] != 0.0 {
            curve.push((0.0, 0.0));
        }
        curve.extend(population.iter().copied().zip(captured.iter().copied()));

        render(self, "Cumulative gains", |root, title| {
            let mut chart = ChartBuilder::on(root)
                .caption(title, caption_font())
                .margin(14)
                .x_label_area_size(46)
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..1.0, 0.0..1.02)
                .map_err(draw_err)?;
            house_mesh!(chart)
                .x_desc("customers targeted (best scores first)")
                .y_desc("positives captured")
                .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
                .draw()
                .map_err(draw_err)?;

            let model = segment_color(0).plotters().stroke_width(2);
            chart
                .draw_series(LineSeries::new(curve.iter().copied(), model))
                .map_err(draw_err)?
                .label("model")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], model));
            let baseline = REFERENCE.stroke_width(1);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, 0.0), (1.0, 1.0)],
                    6,
                    4,
                    baseline,
                ))
                .map_err(draw_err)?
                .label("random")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], baseline));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.9))
                .border_style(REFERENCE)
                .label_font(label_font())
                .draw()
                .map_err(draw_err)?;
            Ok(())
        })
    }
}
