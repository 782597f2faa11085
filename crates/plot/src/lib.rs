//! SVG charts for cartera studies (work in progress in this commit: filled by the plot module).
