//! Each chart seen from outside: a well-formed SVG with the expected marks, titles and legend,
//! byte-identical when drawn twice.
#![allow(clippy::unwrap_used)]

mod common;

use cartera_plot::{MISSING_COLOR, PlotOptions, ordinal_color, segment_color};
use common::{assert_well_formed, count, count_filled, names, text_y, texts};
use ndarray::Array2;

/// `(cx, cy, fill)` of every circle.
fn circles(svg: &str) -> Vec<(i64, i64, String)> {
    let attr = |line: &str, key: &str| -> String {
        line.split(&format!(" {key}=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    svg.lines()
        .filter(|l| l.starts_with("<circle "))
        .map(|l| {
            (
                attr(l, "cx").parse().unwrap(),
                attr(l, "cy").parse().unwrap(),
                attr(l, "fill"),
            )
        })
        .collect()
}

#[test]
fn elbow_draws_one_point_per_k_and_rings_the_knee() {
    let ks = [2, 3, 4, 5, 6, 7];
    let inertia = [900.0, 500.0, 210.0, 190.0, 180.0, 172.0];
    let svg = cartera_plot::elbow(&ks, &inertia, Some(4)).unwrap();
    assert_well_formed(&svg);
    let all = circles(&svg);
    assert_eq!(all.len(), ks.len() + 1);
    let ring: Vec<_> = all.iter().filter(|c| c.2 == "none").collect();
    assert_eq!(ring.len(), 1, "one unfilled ring marks the knee");
    // The ring is centred on the third point (k = 4), whose inertia is third-highest on screen.
    let points: Vec<_> = all.iter().filter(|c| c.2 != "none").collect();
    assert_eq!((ring[0].0, ring[0].1), (points[2].0, points[2].1));
    let t = texts(&svg);
    assert!(t.contains(&"knee: k = 4".to_string()), "{t:?}");
    assert!(t.contains(&"Elbow curve".to_string()));
    assert!(t.iter().any(|s| s.starts_with("k (number")));
    assert!(t.iter().any(|s| s.starts_with("inertia")));
    // Every k is a tick label.
    for k in ks {
        assert!(t.contains(&k.to_string()), "tick {k} missing: {t:?}");
    }
}

#[test]
fn elbow_without_a_knee_has_no_ring_and_no_label() {
    let svg = cartera_plot::elbow(&[1, 2, 3], &[3.0, 2.0, 1.5], None).unwrap();
    assert_well_formed(&svg);
    assert_eq!(circles(&svg).len(), 3);
    assert!(!svg.contains("knee"));
}

#[test]
fn elbow_with_a_single_k_or_zero_inertia_still_draws() {
    let svg = cartera_plot::elbow(&[3], &[0.0], Some(3)).unwrap();
    assert_well_formed(&svg);
    assert_eq!(circles(&svg).len(), 2);
}

#[test]
fn scatter_draws_every_point_in_its_segment_colour_and_names_the_segments() {
    let n = 300;
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| (i as f64 * 0.11).cos() + labels[i] as f64)
        .collect();
    let seg = names(&["regular users", "frequent spenders", "occasional users"]);
    let svg = cartera_plot::scatter(&x, &y, &labels, &seg, "frequency", "amount").unwrap();
    assert_well_formed(&svg);
    // One circle per point plus one legend key per segment.
    assert_eq!(count(&svg, "circle"), n + 3);
    for s in 0..3 {
        assert_eq!(count_filled(&svg, "circle", segment_color(s)), n / 3 + 1);
    }
    let t = texts(&svg);
    assert!(t.contains(&"regular users (100)".to_string()), "{t:?}");
    assert!(t.contains(&"frequency".to_string()) && t.contains(&"amount".to_string()));
    assert!(
        !svg.contains("points shown"),
        "no downsampling note below the budget"
    );
}

#[test]
fn scatter_leaves_unused_segment_names_out_of_the_legend() {
    let seg = names(&["a", "b", "c"]);
    let svg = cartera_plot::scatter(&[0.0, 1.0], &[0.0, 1.0], &[0, 2], &seg, "x", "y").unwrap();
    let t = texts(&svg);
    assert!(t.contains(&"a (1)".to_string()) && t.contains(&"c (1)".to_string()));
    assert!(!t.iter().any(|s| s.starts_with("b (")));
    assert_eq!(count(&svg, "circle"), 2 + 2);
}

#[test]
fn silhouette_fills_one_profile_per_cluster_and_marks_the_mean() {
    let labels: Vec<usize> = (0..90).map(|i| i % 3).collect();
    let values: Vec<f64> = (0..90).map(|i| (i as f64 / 90.0) * 1.2 - 0.2).collect();
    let mean = values.iter().sum::<f64>() / 90.0;
    let clusters = names(&["low", "mid", "high", "empty"]);
    let svg = cartera_plot::silhouette(&values, &labels, &clusters).unwrap();
    assert_well_formed(&svg);
    assert_eq!(count(&svg, "polygon"), 3, "the empty cluster draws nothing");
    for c in 0..3 {
        assert_eq!(count_filled(&svg, "polygon", segment_color(c)), 1);
    }
    let t = texts(&svg);
    assert!(t.contains(&format!("mean = {mean:.3}")), "{t:?}");
    for name in ["low", "mid", "high"] {
        assert!(t.contains(&name.to_string()));
    }
    assert!(!t.contains(&"empty".to_string()));
    // Cluster 0 at the bottom (larger y on screen), cluster 2 at the top.
    assert!(text_y(&svg, "low").unwrap() > text_y(&svg, "high").unwrap());
}

#[test]
fn gains_draws_the_curve_the_baseline_and_a_legend() {
    let pop = [0.1, 0.2, 0.5, 1.0];
    let cap = [0.3, 0.5, 0.8, 1.0];
    let svg = cartera_plot::gains(&pop, &cap).unwrap();
    assert_well_formed(&svg);
    let t = texts(&svg);
    for s in [
        "Cumulative gains",
        "model",
        "random",
        "100%",
        "positives captured",
    ] {
        assert!(t.contains(&s.to_string()), "{s} missing: {t:?}");
    }
    // The model curve starts at (0, 0) even though the input does not: 5 points.
    let model = svg
        .lines()
        .find(|l| l.starts_with("<polyline") && l.contains("stroke-width=\"2\""))
        .unwrap();
    let points = model
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(points.split_whitespace().count(), 5, "{points}");
}

#[test]
fn lift_draws_one_bar_per_bucket_and_the_baseline() {
    let buckets: Vec<String> = (1..=10).map(|d| d.to_string()).collect();
    let lift: Vec<f64> = (0..10).map(|d| 2.5 - 0.2 * d as f64).collect();
    let svg = cartera_plot::lift(&buckets, &lift).unwrap();
    assert_well_formed(&svg);
    assert_eq!(count_filled(&svg, "rect", segment_color(0)), 10);
    let t = texts(&svg);
    assert!(t.contains(&"random = 1.0".to_string()));
    assert!(t.contains(&"2.50".to_string()) && t.contains(&"0.70".to_string()));
    for b in &buckets {
        assert!(t.contains(b), "bucket {b} missing");
    }
}

#[test]
fn shap_bar_shows_the_top_features_in_descending_order() {
    let features = names(&["age", "tenure", "calls", "charges", "plan"]);
    let mean_abs = [0.05, 0.40, 0.10, 0.25, 0.0];
    let svg = cartera_plot::shap_bar(&features, &mean_abs, 3).unwrap();
    assert_well_formed(&svg);
    assert_eq!(count_filled(&svg, "rect", segment_color(0)), 3);
    let t = texts(&svg);
    assert!(!t.contains(&"age".to_string()) && !t.contains(&"plan".to_string()));
    let (tenure, charges, calls) = (
        text_y(&svg, "tenure").unwrap(),
        text_y(&svg, "charges").unwrap(),
        text_y(&svg, "calls").unwrap(),
    );
    assert!(
        tenure < charges && charges < calls,
        "{tenure} {charges} {calls}"
    );
    // More features asked for than exist: all of them.
    let svg = cartera_plot::shap_bar(&features, &mean_abs, 20).unwrap();
    assert_eq!(count_filled(&svg, "rect", segment_color(0)), 5);
}

/// n x 3 SHAP values where feature 1 matters most, then 0, then 2; values rise with i.
fn shap_fixture(n: usize) -> (Vec<String>, Array2<f64>, Array2<f64>) {
    let features = names(&["tenure", "charges", "calls"]);
    let values = Array2::from_shape_fn((n, 3), |(i, j)| ((i * (j + 1) * 7919) % 1000) as f64);
    let scale = [0.5, 1.0, 0.1];
    let shap = Array2::from_shape_fn((n, 3), |(i, j)| (values[[i, j]] - 500.0) / 500.0 * scale[j]);
    (features, shap, values)
}

#[test]
fn beeswarm_draws_every_point_coloured_by_value_bin() {
    let n = 400;
    let (features, shap, values) = shap_fixture(n);
    let svg = cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 20).unwrap();
    assert_well_formed(&svg);
    assert_eq!(
        count(&svg, "circle"),
        3 * n,
        "legend keys are squares, not circles"
    );
    // Values are spread evenly, so every quantile bin holds about a fifth of each row.
    for b in 0..5 {
        let k = count_filled(&svg, "circle", ordinal_color(b, 5));
        assert!(
            (3 * n / 5 - 30..=3 * n / 5 + 30).contains(&k),
            "bin {b}: {k}"
        );
    }
    let (charges, tenure, calls) = (
        text_y(&svg, "charges").unwrap(),
        text_y(&svg, "tenure").unwrap(),
        text_y(&svg, "calls").unwrap(),
    );
    assert!(charges < tenure && tenure < calls);
    let t = texts(&svg);
    assert!(t.contains(&"high feature value".to_string()));
    assert!(!t.contains(&"missing".to_string()));
    // Top 2 only.
    let svg = cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 2).unwrap();
    assert_eq!(count(&svg, "circle"), 2 * n);
    assert!(text_y(&svg, "calls").is_none());
}

#[test]
fn beeswarm_draws_missing_feature_values_grey() {
    let n = 50;
    let (features, shap, mut values) = shap_fixture(n);
    for i in (0..n).step_by(5) {
        values[[i, 0]] = f64::NAN;
    }
    let svg = cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 3).unwrap();
    assert_well_formed(&svg);
    assert_eq!(count_filled(&svg, "circle", MISSING_COLOR), 10);
    assert!(texts(&svg).contains(&"missing".to_string()));
}

#[test]
fn stacked_tiers_draw_one_segment_per_non_zero_count() {
    let groups = names(&["store 1", "store 2", "store 3"]);
    let tiers = names(&["Low", "Moderate", "High", "Critical"]);
    let counts = vec![vec![10, 0, 5, 1], vec![0, 0, 0, 0], vec![3, 4, 0, 9]];
    let svg = cartera_plot::stacked_tiers(&groups, &tiers, &counts).unwrap();
    assert_well_formed(&svg);
    for t in 0..4 {
        let non_zero = counts.iter().filter(|row| row[t] > 0).count();
        // Plus the tier's legend key.
        assert_eq!(
            count_filled(&svg, "rect", ordinal_color(t, 4)),
            non_zero + 1,
            "tier {t}"
        );
    }
    let t = texts(&svg);
    for s in [
        "Low",
        "Critical",
        "store 2",
        "16",
        "0",
        "Customers per tier",
    ] {
        assert!(t.contains(&s.to_string()), "{s} missing: {t:?}");
    }
    // Legend reads like the stack: Critical (top tier) above Low.
    let legend_y = |name: &str| {
        svg.lines()
            .filter(|l| l.starts_with("<text"))
            .zip(texts(&svg))
            .find(|(_, s)| s == name)
            .map(|(l, _)| l.to_string())
            .unwrap()
    };
    let y_of = |l: String| -> i64 {
        l.split(" y=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(y_of(legend_y("Critical")) < y_of(legend_y("Low")));
}

#[test]
fn band_effectiveness_labels_bars_as_percentages() {
    let bands = names(&["A", "B", "C", "D", "E"]);
    let eff = [0.42, 0.27, 0.15, 0.06, 0.012];
    let svg = cartera_plot::band_effectiveness(&bands, &eff).unwrap();
    assert_well_formed(&svg);
    assert_eq!(count_filled(&svg, "rect", segment_color(2)), 5);
    let t = texts(&svg);
    for s in ["42%", "27%", "15%", "6%", "1.2%", "A", "E", "score band"] {
        assert!(t.contains(&s.to_string()), "{s} missing: {t:?}");
    }
}

#[test]
fn options_set_size_and_title_and_titles_are_escaped() {
    let opts = PlotOptions::new()
        .size(960, 540)
        .title("Churn & tiers <2026>");
    let svg = opts
        .stacked_tiers(&names(&["a & b"]), &names(&["Low"]), &[vec![3]])
        .unwrap();
    assert_well_formed(&svg);
    assert!(svg.contains(r#"width="960" height="540""#));
    assert!(svg.contains("<title>Churn &amp; tiers &lt;2026&gt;</title>"));
    assert!(texts(&svg).contains(&"a &amp; b".to_string()));
}

#[test]
fn every_chart_is_byte_identical_when_drawn_twice() {
    let seg = names(&["a", "b"]);
    let (features, shap, values) = shap_fixture(120);
    let labels: Vec<usize> = (0..120).map(|i| i % 2).collect();
    let x: Vec<f64> = (0..120).map(|i| i as f64).collect();
    let sil: Vec<f64> = (0..120).map(|i| (i as f64 / 60.0) - 1.0).collect();
    let draw = || {
        vec![
            cartera_plot::elbow(&[1, 2, 3], &[3.0, 1.0, 0.5], Some(2)).unwrap(),
            cartera_plot::silhouette(&sil, &labels, &seg).unwrap(),
            cartera_plot::scatter(&x, &sil, &labels, &seg, "x", "y").unwrap(),
            cartera_plot::gains(&[0.5, 1.0], &[0.7, 1.0]).unwrap(),
            cartera_plot::lift(&seg, &[1.5, 0.5]).unwrap(),
            cartera_plot::shap_bar(&features, &[0.3, 0.2, 0.1], 3).unwrap(),
            cartera_plot::shap_beeswarm(&features, shap.view(), values.view(), 3).unwrap(),
            cartera_plot::stacked_tiers(&seg, &seg, &[vec![1, 2], vec![3, 4]]).unwrap(),
            cartera_plot::band_effectiveness(&seg, &[0.5, 0.25]).unwrap(),
        ]
    };
    let (first, second) = (draw(), draw());
    for (a, b) in first.iter().zip(&second) {
        assert_well_formed(a);
        assert_eq!(a, b);
    }
}

#[test]
fn the_svg_checker_rejects_broken_documents() {
    let ok = "<svg a=\"1\">\n<title>A &amp; B</title>\n<rect x=\"1\"/>\n</svg>\n";
    assert_well_formed(ok);
    for bad in [
        "<svg a=\"1\">\n<rect x=\"1\">\n</svg>\n",
        "<svg a=\"1\">\n<text>A & B</text>\n</svg>\n",
        "<svg a=\"1>\n</svg>\n",
        "<svg a=\"1\">\n</svg>\n<svg a=\"1\">\n</svg>\n",
        "<g>\n</g>\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| assert_well_formed(bad)).is_err(),
            "{bad}"
        );
    }
}
