//! The canvas every chart draws on: an SVG document in a `String`, white background, title.

use std::ops::Range;

use cartera_core::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::PlotOptions;

/// The drawing area handed to each chart.
pub(crate) type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Font family of every text element: the viewer's sans-serif, so no font file is needed.
pub(crate) const FONT: &str = "sans-serif";
/// Caption (title) size in pixels.
pub(crate) const TITLE_SIZE: u32 = 20;
/// Axis description, tick label and legend size in pixels.
pub(crate) const LABEL_SIZE: u32 = 13;

/// Text and axis colour: a dark grey that reads as black without its harshness.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
/// Reference lines (random baseline, lift 1.0, mean silhouette).
pub(crate) const REFERENCE: RGBColor = RGBColor(110, 110, 110);

/// A plotters failure as a cartera error. Drawing into a `String` has no I/O that can fail, so
/// this only reports plotters' own layout errors; they are passed on rather than unwrapped.
pub(crate) fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::io("drawing an SVG chart", std::io::Error::other(e.to_string()))
}

/// Draws a chart: validates the options, creates the canvas, fills it white, hands it and the
/// title to `draw`, and returns the finished SVG with the title also written as its `<title>`.
pub(crate) fn render<F>(opts: &PlotOptions, default_title: &str, draw: F) -> Result<String>
where
    F: FnOnce(&Canvas<'_>, &str) -> Result<()>,
{
    opts.validate()?;
    let title = opts.title_or(default_title);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (opts.width(), opts.height())).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root, title)?;
        root.present().map_err(draw_err)?;
    }
    Ok(with_svg_title(svg, title))
}

/// Inserts `<title>` right after the opening `<svg …>` tag: screen readers and browsers' tool
/// tips use it, and the HTML report gets an accessible name for each inlined chart.
fn with_svg_title(svg: String, title: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg;
    };
    let mut out = String::with_capacity(svg.len() + title.len() + 32);
    out.push_str(&svg[..=end]);
    out.push_str("\n<title>");
    escape_into(&mut out, title);
    out.push_str("</title>");
    out.push_str(&svg[end + 1..]);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// `[low, high]` widened by `frac` of its span on each side; a single value (or an empty
/// span) gets a unit-sized window around it, so that no axis is ever degenerate.
pub(crate) fn padded(low: f64, high: f64, frac: f64) -> Range<f64> {
    if high > low {
        let pad = (high - low) * frac;
        (low - pad)..(high + pad)
    } else {
        let half = 0.5 * low.abs().max(1.0);
        (low - half)..(low + half)
    }
}

/// `range` if it and its span are finite. Values near `f64::MAX` are finite, but padding
/// them or taking their span overflows, and plotters would then search ticks forever.
pub(crate) fn drawable(range: Range<f64>, axis: &str) -> Result<Range<f64>> {
    if range.start.is_finite() && range.end.is_finite() && (range.end - range.start).is_finite() {
        Ok(range)
    } else {
        Err(Error::invalid_param(
            axis,
            format!("[{:e}, {:e}]", range.start, range.end),
            "cannot be drawn: the values' span overflows a 64-bit float; rescale them",
        ))
    }
}

/// `(min, max)` of finite values (callers have checked finiteness); `(0, 0)` when empty.
pub(crate) fn min_max(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold(None, |acc: Option<(f64, f64)>, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
        .unwrap_or((0.0, 0.0))
}

/// A tick label without trailing zeros: 0.25 → "0.25", 3.0 → "3", 1e6 → "1000000".
pub(crate) fn tick(v: f64) -> String {
    if v == 0.0 {
        // Also turns -0 into 0.
        return "0".into();
    }
    let magnitude = v.abs();
    if !(1e-3..1e6).contains(&magnitude) {
        // Scientific notation, mantissa without trailing zeros: 1.5e-5, 2e7.
        let s = format!("{v:.3e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        return format!("{mantissa}e{exponent}");
    }
    let decimals = if magnitude >= 100.0 {
        0
    } else if magnitude >= 1.0 {
        2
    } else {
        // Enough decimals for 3 significant digits of a small value.
        (2 - magnitude.log10().floor() as i32).clamp(2, 8) as usize
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    // A value that rounds to zero (e.g. -5e-17 from float steps) is written "0", not "-0".
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A tick label on an axis spanning `span`: like [`tick`], except that a value within a
/// billionth of the span of zero is the zero tick that float steps missed (e.g. -5.5e-17 on
/// an axis from -0.5 to 0.5).
pub(crate) fn axis_tick(v: f64, span: f64) -> String {
    if v.abs() <= span.abs() * 1e-9 {
        "0".into()
    } else {
        tick(v)
    }
}

/// A fraction as a percentage label: 0.125 → "12.5%".
pub(crate) fn percent(v: f64) -> String {
    let s = format!("{:.1}", v * 100.0);
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_goes_right_after_the_svg_tag_and_is_escaped() {
        let s = with_svg_title("<svg a=\"1\">\n<rect/>\n</svg>".into(), "A & <B>");
        assert_eq!(
            s,
            "<svg a=\"1\">\n<title>A &amp; &lt;B&gt;</title>\n<rect/>\n</svg>"
        );
    }

    #[test]
    fn padded_never_returns_an_empty_range() {
        assert_eq!(padded(0.0, 10.0, 0.1), -1.0..11.0);
        assert_eq!(padded(4.0, 4.0, 0.1), 2.0..6.0);
        assert_eq!(padded(0.0, 0.0, 0.1), -0.5..0.5);
    }

    #[test]
    fn ticks_and_percentages_are_short() {
        assert_eq!(tick(3.0), "3");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(axis_tick(-5.5e-17, 1.0), "0");
        assert_eq!(axis_tick(1.5e-300, 1e-299), "1.5e-300");
        assert_eq!(tick(1234.567), "1235");
        assert_eq!(tick(0.00123), "0.00123");
        assert_eq!(tick(0.000015), "1.5e-5");
        assert_eq!(tick(-2.0e7), "-2e7");
        assert_eq!(tick(999_999.0), "999999");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.5), "50%");
    }

    #[test]
    fn overflowing_axes_are_errors() {
        assert!(drawable(0.0..1.0, "x").is_ok());
        assert!(drawable(0.0..f64::INFINITY, "x").is_err());
        let e = drawable(-f64::MAX..f64::MAX, "y axis").unwrap_err();
        assert!(
            e.to_string().starts_with("invalid parameter `y axis`"),
            "{e}"
        );
    }

    #[test]
    fn min_max_of_nothing_is_zero() {
        assert_eq!(min_max([]), (0.0, 0.0));
        assert_eq!(min_max([3.0, -1.0, 2.0]), (-1.0, 3.0));
    }
}

/// The house look of axes: dark axis, light grid without minor lines, readable labels.
/// Expands to `chart.configure_mesh()` with the style applied, ready for more settings and
/// `.draw()` in the same expression (the mesh builder borrows the chart).
macro_rules! house_mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .axis_style($crate::render::INK)
            .bold_line_style($crate::render::GRID)
            .max_light_lines(0)
            .label_style(
                ($crate::render::FONT, $crate::render::LABEL_SIZE)
                    .into_font()
                    .color(&$crate::render::INK),
            )
            .axis_desc_style(
                ($crate::render::FONT, $crate::render::LABEL_SIZE + 1)
                    .into_font()
                    .color(&$crate::render::INK),
            )
    };
}
pub(crate) use house_mesh;

/// Caption style of every chart.
pub(crate) fn caption_font() -> TextStyle<'static> {
    (FONT, TITLE_SIZE).into_font().color(&INK)
}

/// Tick, legend and annotation style.
pub(crate) fn label_font() -> TextStyle<'static> {
    (FONT, LABEL_SIZE).into_font().color(&INK)
}

/// Shape of a legend key.
#[derive(Clone, Copy)]
pub(crate) enum Marker {
    /// A filled circle, for point charts.
    Dot,
    /// A filled square, for bars and areas.
    Square,
}

/// Legend text longer than this is shortened with an ellipsis.
const MAX_LEGEND_CHARS: usize = 28;
/// Approximate advance of one character of [`LABEL_SIZE`] text, used only to size the legend
/// strip (the viewer lays the text out).
const CHAR_WIDTH: u32 = 7;

/// `text` cut to `max` characters, an ellipsis marking the cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Width of a legend strip holding `labels` (and `note`), at most a third of `total`.
pub(crate) fn legend_width<'s>(
    labels: impl IntoIterator<Item = &'s str>,
    note: Option<&str>,
    total: u32,
) -> u32 {
    let longest = labels
        .into_iter()
        .map(|l| l.chars().count().min(MAX_LEGEND_CHARS))
        .chain(note.map(|n| n.chars().count().min(MAX_LEGEND_CHARS)))
        .max()
        .unwrap_or(0) as u32;
    // max then min, not clamp: on the narrowest canvas a third is below 90 px.
    (longest * CHAR_WIDTH + 44).max(90).min(total / 3)
}

/// Draws a legend (key and label per entry, top to bottom) in its own strip, so that it never
/// hides data, and an optional grey note under it (e.g. how many points are shown).
pub(crate) fn side_legend(
    area: &Canvas<'_>,
    entries: &[(String, crate::Rgb)],
    marker: Marker,
    note: Option<&str>,
) -> Result<()> {
    let left = 8;
    let mut y = 40;
    let text = label_font().pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Left,
        plotters::style::text_anchor::VPos::Center,
    ));
    for (label, color) in entries {
        let c = color.plotters();
        match marker {
            Marker::Dot => area
                .draw(&Circle::new((left + 6, y), 5, c.filled()))
                .map_err(draw_err)?,
            Marker::Square => area
                .draw(&Rectangle::new(
                    [(left, y - 6), (left + 12, y + 6)],
                    c.filled(),
                ))
                .map_err(draw_err)?,
        }
        area.draw(&Text::new(
            shorten(label, MAX_LEGEND_CHARS),
            (left + 20, y),
            text.clone(),
        ))
        .map_err(draw_err)?;
        y += 22;
    }
    if let Some(note) = note {
        let style = (FONT, LABEL_SIZE - 2).into_font().color(&REFERENCE).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Left,
                plotters::style::text_anchor::VPos::Center,
            ),
        );
        area.draw(&Text::new(
            shorten(note, MAX_LEGEND_CHARS + 8),
            (left, y + 6),
            style,
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// `1234567` → `"1,234,567"`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Key points at the centres of `n` categories laid out on `0..n` (category `i` spans
/// `[i, i + 1]`).
pub(crate) fn category_centres(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64 + 0.5).collect()
}

/// The category whose centre is at `v` (see [`category_centres`]), if any.
pub(crate) fn category_at(v: f64, n: usize) -> Option<usize> {
    let i = (v - 0.5).round();
    (i >= 0.0 && (i as usize) < n).then_some(i as usize)
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(371_589), "371,589");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn shorten_marks_the_cut() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdefgh", 5), "abcd…");
    }

    #[test]
    fn categories_round_trip() {
        let c = category_centres(3);
        assert_eq!(c, vec![0.5, 1.5, 2.5]);
        assert_eq!(category_at(1.5, 3), Some(1));
        assert_eq!(category_at(3.5, 3), None);
        assert_eq!(category_at(-0.5, 3), None);
    }

    #[test]
    fn keyed_axis_maps_linearly_and_ticks_at_its_keys() {
        use plotters::coord::ranged1d::Ranged;
        let axis = KeyedAxis::new(0.0..4.0, vec![0.5, 1.5]);
        assert_eq!(axis.map(&1.0, (0, 100)), 25);
        assert_eq!(axis.map(&4.0, (100, 0)), 0);
        assert_eq!(axis.key_points(3usize), vec![0.5, 1.5]);
        // A degenerate range maps to the middle instead of dividing by zero.
        assert_eq!(KeyedAxis::new(1.0..1.0, vec![]).map(&1.0, (0, 100)), 50);
    }

    #[test]
    fn legend_width_is_bounded() {
        assert_eq!(legend_width(["a"], None, 720), 90);
        assert_eq!(legend_width(["a".repeat(200).as_str()], None, 720), 240);
    }
}

/// A linear f64 axis whose ticks sit exactly at the given values (the k values of an elbow
/// curve, the centres of categories), labelled by the chart's own formatter.
///
/// plotters' `with_key_points` does the same but loses the label formatter on f64 axes.
#[derive(Clone)]
pub(crate) struct KeyedAxis {
    range: Range<f64>,
    keys: Vec<f64>,
}

impl KeyedAxis {
    pub(crate) fn new(range: Range<f64>, keys: Vec<f64>) -> Self {
        KeyedAxis { range, keys }
    }
}

impl plotters::coord::ranged1d::Ranged for KeyedAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span.is_nan() || span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (value - self.range.start) / span;
        // Saturating float-to-int cast: a point far outside the range lands at the border.
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.keys.clone()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}
