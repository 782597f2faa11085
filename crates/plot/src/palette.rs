//! The colours shared by every chart, so that a segment keeps its colour from chart to chart
//! (and in the HTML report's tables, through [`Rgb::hex`]).

use std::fmt;

use plotters::style::RGBColor;

/// An sRGB colour, 8 bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// CSS form, e.g. `#0072b2`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    pub(crate) fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Segment colours: the Okabe-Ito palette (distinguishable with the common colour-vision
/// deficiencies), ordered so that the first segments get the strongest contrasts on white;
/// black is left out because axes and text use it.
pub const SEGMENT_COLORS: [Rgb; 7] = [
    Rgb(0, 114, 178),   // blue
    Rgb(230, 159, 0),   // orange
    Rgb(0, 158, 115),   // bluish green
    Rgb(213, 94, 0),    // vermillion
    Rgb(204, 121, 167), // reddish purple
    Rgb(86, 180, 233),  // sky blue
    Rgb(240, 228, 66),  // yellow
];

/// Colour of segment (cluster) `index`; the palette repeats after 7 segments.
pub fn segment_color(index: usize) -> Rgb {
    SEGMENT_COLORS[index % SEGMENT_COLORS.len()]
}

/// Colour of a missing (NaN) value in the beeswarm.
pub const MISSING_COLOR: Rgb = Rgb(170, 170, 170);

/// Ramp anchors: Okabe-Ito blue, reddish purple, vermillion. Blue against vermillion stays
/// distinct for red-green colour blindness, and the purple middle keeps the ramp monotone in
/// hue rather than passing through a grey that would read as "missing".
const RAMP: [Rgb; 3] = [Rgb(0, 114, 178), Rgb(204, 121, 167), Rgb(213, 94, 0)];

/// Colour for an ordered quantity at position `t` in `[0, 1]` (0 = low = blue, 1 = high =
/// vermillion), used for tiers and feature values. `t` is clamped; NaN gives [`MISSING_COLOR`].
pub fn ramp_color(t: f64) -> Rgb {
    if t.is_nan() {
        return MISSING_COLOR;
    }
    let t = t.clamp(0.0, 1.0) * (RAMP.len() - 1) as f64;
    // t is in [0, 2], so the index is 0 or 1 and index + 1 stays inside RAMP.
    let i = (t.floor() as usize).min(RAMP.len() - 2);
    let f = t - i as f64;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Colour of position `i` among `n` ordered classes (risk tiers, quantile bins), spread evenly
/// along [`ramp_color`]: the first is blue, the last vermillion (a single class is blue).
pub fn ordinal_color(i: usize, n: usize) -> Rgb {
    if n <= 1 {
        ramp_color(0.0)
    } else {
        ramp_color(i as f64 / (n - 1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_colours_repeat_after_the_palette() {
        assert_eq!(segment_color(0), segment_color(7));
        assert_ne!(segment_color(0), segment_color(1));
        assert_eq!(segment_color(0).hex(), "#0072b2");
    }

    #[test]
    fn ramp_runs_from_blue_to_vermillion() {
        assert_eq!(ramp_color(0.0), RAMP[0]);
        assert_eq!(ramp_color(0.5), RAMP[1]);
        assert_eq!(ramp_color(1.0), RAMP[2]);
        assert_eq!(ramp_color(7.0), RAMP[2]);
        assert_eq!(ramp_color(f64::NAN), MISSING_COLOR);
        assert_eq!(ordinal_color(0, 4), RAMP[0]);
        assert_eq!(ordinal_color(3, 4), RAMP[2]);
        assert_eq!(ordinal_color(0, 1), RAMP[0]);
    }
}
