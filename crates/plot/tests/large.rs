//! Study-sized inputs stay small, bounded SVGs: the telco table's 371,589 customers in a
//! scatter and a beeswarm, 100,000 silhouette values.
#![allow(clippy::unwrap_used)]

mod common;

use cartera_plot::{DEFAULT_MAX_POINTS, PlotOptions, segment_color};
use common::{assert_well_formed, count, count_filled, names, texts};
use ndarray::Array2;

const TELCO_ROWS: usize = 371_589;

/// Four segments of very different sizes (60%, 30%, 9.9%, 0.1%), interleaved.
fn telco_labels(n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| match i % 1000 {
            0..600 => 0,
            600..900 => 1,
            900..999 => 2,
            _ => 3,
        })
        .collect()
}

#[test]
fn scatter_of_the_telco_table_is_a_stratified_sample_of_at_most_5000_points() {
    let labels = telco_labels(TELCO_ROWS);
    let x: Vec<f64> = (0..TELCO_ROWS).map(|i| (i as f64 * 0.001).sin()).collect();
    let y: Vec<f64> = (0..TELCO_ROWS).map(|i| (i as f64 * 0.0007).cos()).collect();
    let seg = names(&["loyal", "price sensitive", "heavy users", "at risk"]);
    let start = std::time::Instant::now();
    let svg = cartera_plot::scatter(&x, &y, &labels, &seg, "pc1", "pc2").unwrap();
    eprintln!(
        "scatter of {TELCO_ROWS} points: {:?}, {} bytes",
        start.elapsed(),
        svg.len()
    );
    assert_well_formed(&svg);
    let points = count(&svg, "circle") - 4;
    assert!(
        (DEFAULT_MAX_POINTS - 10..=DEFAULT_MAX_POINTS).contains(&points),
        "{points}"
    );
    assert!(svg.len() < 700_000, "{} bytes", svg.len());
    // Shares kept: 60% / 30% / 9.9%, and the 0.1% segment is still there.
    let share =
        |s: usize| (count_filled(&svg, "circle", segment_color(s)) - 1) as f64 / points as f64;
    assert!((share(0) - 0.6).abs() < 0.01, "{}", share(0));
    assert!((share(1) - 0.3).abs() < 0.01, "{}", share(1));
    assert!((share(2) - 0.099).abs() < 0.01, "{}", share(2));
    assert!(count_filled(&svg, "circle", segment_color(3)) > 1);
    // The legend counts every customer, and says how many points are drawn.
    let t = texts(&svg);
    // 371 full blocks of 1,000 hold 600 "loyal" each, and the last 589 rows are all "loyal".
    assert!(t.contains(&"loyal (223,189)".to_string()), "{t:?}");
    assert!(t.contains(&"at risk (371)".to_string()), "{t:?}");
    assert!(
        t.contains(&format!(
            "{},{:03} of 371,589 points shown",
            points / 1000,
            points % 1000
        )),
        "{t:?}"
    );
}

#[test]
fn a_smaller_point_budget_is_honoured() {
    let labels = telco_labels(50_000);
    let x: Vec<f64> = (0..50_000).map(|i| i as f64).collect();
    let svg = PlotOptions::new()
        .max_points(800)
        .scatter(&x, &x, &labels, &names(&["a", "b", "c", "d"]), "x", "y")
        .unwrap();
    assert!(count(&svg, "circle") - 4 <= 800);
}

#[test]
fn beeswarm_of_the_telco_table_draws_at_most_5000_points() {
    let p = 10;
    let features: Vec<String> = (0..p).map(|j| format!("feature_{j}")).collect();
    let values = Array2::from_shape_fn((TELCO_ROWS, p), |(i, j)| ((i * 31 + j * 17) % 997) as f64);
    let shap = Array2::from_shape_fn((TELCO_ROWS, p), |(i, j)| {
        (values[[i, j]] - 498.0) / 498.0 / (j + 1) as f64
    });
    let start = std::time::Instant::now();
    let svg = cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 8).unwrap();
    eprintln!(
        "beeswarm of {TELCO_ROWS} x {p}: {:?}, {} bytes",
        start.elapsed(),
        svg.len()
    );
    assert_well_formed(&svg);
    let points = count(&svg, "circle");
    // 8 rows, the same 625 customers in each.
    assert_eq!(points, 8 * (DEFAULT_MAX_POINTS / 8));
    assert!(svg.len() < 700_000, "{} bytes", svg.len());
    assert!(texts(&svg).contains(&"625 of 371,589 rows shown".to_string()));
}

#[test]
fn silhouette_of_100k_samples_keeps_each_profile_with_a_bounded_outline() {
    let n = 100_000;
    let labels: Vec<usize> = (0..n)
        .map(|i| if i % 10 < 7 { 0 } else { 1 + i % 2 })
        .collect();
    let values: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0 * 1.3 - 0.3)
        .collect();
    let start = std::time::Instant::now();
    let svg =
        cartera_plot::silhouette(&values, &labels, &names(&["big", "small a", "small b"])).unwrap();
    eprintln!(
        "silhouette of {n}: {:?}, {} bytes",
        start.elapsed(),
        svg.len()
    );
    assert_well_formed(&svg);
    assert_eq!(count(&svg, "polygon"), 3);
    let vertices: usize = svg
        .lines()
        .filter(|l| l.starts_with("<polygon"))
        .map(|l| {
            l.split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .split_whitespace()
                .count()
        })
        .sum();
    // Up to the budget, plus the two points on the zero line per cluster (plotters may merge
    // points that land on the same pixel, never add any).
    assert!(vertices <= DEFAULT_MAX_POINTS + 6, "{vertices}");
    assert!(vertices > 100, "{vertices}");
    assert!(svg.len() < 200_000, "{} bytes", svg.len());
}
