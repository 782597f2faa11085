//! Size, title and point budget shared by every chart.

use cartera_core::Error;

use crate::Result;

/// Default chart width in pixels.
pub const DEFAULT_WIDTH: u32 = 720;
/// Default chart height in pixels.
pub const DEFAULT_HEIGHT: u32 = 440;
/// Default upper bound on the marks of a point chart (scatter points, beeswarm points,
/// silhouette vertices).
pub const DEFAULT_MAX_POINTS: usize = 5_000;

/// Smallest canvas on which axes, labels and a legend still fit.
const MIN_SIDE: (u32, u32) = (240, 160);
/// Largest canvas accepted: far beyond any screen, small enough that no coordinate overflows.
const MAX_SIDE: u32 = 8_192;

/// How a chart is drawn: size, title and the point budget of point charts.
///
/// Defaults: 720 x 440 pixels, each chart's own title, at most 5,000 points. Every chart
/// function of the crate is also a method here:
///
/// ```
/// use cartera_plot::PlotOptions;
///
/// let names = vec!["regular".to_string(), "frequent".to_string()];
/// let svg = PlotOptions::new()
///     .size(480, 320)
///     .title("ATM customers")
///     .scatter(&[0.1, 0.9, 0.2], &[1.0, 0.0, 0.8], &[0, 1, 0], &names, "frequency", "amount")?;
/// assert!(svg.contains("ATM customers") && svg.contains(r#"height="320""#));
///
/// // Options are checked when a chart is drawn.
/// assert!(PlotOptions::new().size(10, 10).lift(&["1".into()], &[1.2]).is_err());
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotOptions {
    width: u32,
    height: u32,
    title: Option<String>,
    max_points: usize,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
            title: None,
            max_points: DEFAULT_MAX_POINTS,
        }
    }
}

impl PlotOptions {
    /// The defaults (same as [`PlotOptions::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Canvas size in pixels, width x height (240 x 160 up to 8192 x 8192; default 720 x 440).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// Title drawn above the chart and written as the SVG `<title>` (default: the chart's own,
    /// e.g. "Elbow curve").
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    cartera_core::setter!(
        /// Upper bound on the marks of a point chart (at least 1; default 5,000).
        max_points: usize
    );

    /// Canvas width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Canvas height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The point budget of point charts.
    pub fn point_budget(&self) -> usize {
        self.max_points
    }

    /// The title given, if any (each chart falls back to its own).
    pub fn title_text(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Checks every option; charts call this before drawing.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_SIDE.0..=MAX_SIDE).contains(&self.width) {
            return Err(Error::invalid_param(
                "width",
                self.width,
                format!("must lie in [{}, {MAX_SIDE}] pixels", MIN_SIDE.0),
            ));
        }
        if !(MIN_SIDE.1..=MAX_SIDE).contains(&self.height) {
            return Err(Error::invalid_param(
                "height",
                self.height,
                format!("must lie in [{}, {MAX_SIDE}] pixels", MIN_SIDE.1),
            ));
        }
        cartera_core::validate::check_at_least("max_points", self.max_points, 1)?;
        Ok(())
    }

    /// The title to draw: the caller's, else the chart's default.
    pub(crate) fn title_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.title.as_deref().unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let o = PlotOptions::default();
        assert_eq!((o.width(), o.height(), o.point_budget()), (720, 440, 5_000));
        assert!(o.validate().is_ok());
        assert_eq!(o.title_or("Elbow curve"), "Elbow curve");
        assert_eq!(o.clone().title("x").title_or("Elbow curve"), "x");
    }

    #[test]
    fn width_too_small_is_rejected() {
        let e = PlotOptions::new().size(100, 440).validate().unwrap_err();
        assert!(e.to_string().contains("`width` = 100"), "{e}");
    }

    #[test]
    fn height_too_large_is_rejected() {
        let e = PlotOptions::new().size(720, 9_000).validate().unwrap_err();
        assert!(e.to_string().contains("`height` = 9000"), "{e}");
    }

    #[test]
    fn max_points_cannot_be_zero() {
        let e = PlotOptions::new().max_points(0).validate().unwrap_err();
        assert!(e.to_string().contains("`max_points` = 0"), "{e}");
    }
}
