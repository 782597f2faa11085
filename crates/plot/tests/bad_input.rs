//! Bad input is a typed error naming the input, never a panic.
#![allow(clippy::unwrap_used)]

mod common;

use cartera_core::Error;
use cartera_plot::PlotOptions;
use common::names;
use ndarray::Array2;

fn is_shape(e: &Error) -> bool {
    matches!(e, Error::ShapeMismatch { .. })
}
fn is_empty(e: &Error) -> bool {
    matches!(e, Error::EmptyInput { .. })
}
fn is_param(e: &Error, name: &str) -> bool {
    matches!(e, Error::InvalidParameter { name: n, .. } if n == name)
}
fn is_non_finite(e: &Error, row: usize) -> bool {
    matches!(e, Error::NonFinite { row: r, .. } if *r == row)
}

#[test]
fn elbow_rejects_bad_input() {
    let e = cartera_plot::elbow(&[1, 2, 3], &[3.0, 2.0], None).unwrap_err();
    assert!(is_shape(&e), "{e}");
    assert!(is_empty(&cartera_plot::elbow(&[], &[], None).unwrap_err()));
    let e = cartera_plot::elbow(&[1, 2], &[3.0, f64::NAN], None).unwrap_err();
    assert!(is_non_finite(&e, 1), "{e}");
    let e = cartera_plot::elbow(&[1, 2], &[f64::INFINITY, 1.0], None).unwrap_err();
    assert!(is_non_finite(&e, 0), "{e}");
    let e = cartera_plot::elbow(&[1, 2], &[3.0, -1.0], None).unwrap_err();
    assert!(is_param(&e, "inertia[1]"), "{e}");
    let e = cartera_plot::elbow(&[1, 3, 3], &[3.0, 2.0, 1.0], None).unwrap_err();
    assert!(is_param(&e, "ks[2]"), "{e}");
    let e = cartera_plot::elbow(&[1, 2, 3], &[3.0, 2.0, 1.0], Some(7)).unwrap_err();
    assert!(is_param(&e, "knee"), "{e}");
    assert_eq!(
        e.to_string(),
        "invalid parameter `knee` = 7: must be one of ks"
    );
}

#[test]
fn silhouette_rejects_bad_input() {
    let n = names(&["a", "b"]);
    let e = cartera_plot::silhouette(&[0.1, 0.2], &[0], &n).unwrap_err();
    assert!(is_shape(&e), "{e}");
    assert!(is_empty(
        &cartera_plot::silhouette(&[], &[], &n).unwrap_err()
    ));
    assert!(is_empty(
        &cartera_plot::silhouette(&[0.1], &[0], &[]).unwrap_err()
    ));
    let e = cartera_plot::silhouette(&[0.1, f64::NAN], &[0, 1], &n).unwrap_err();
    assert!(is_non_finite(&e, 1), "{e}");
    let e = cartera_plot::silhouette(&[0.1, 1.5], &[0, 1], &n).unwrap_err();
    assert!(is_param(&e, "silhouette values[1]"), "{e}");
    let e = cartera_plot::silhouette(&[0.1, 0.5], &[0, 2], &n).unwrap_err();
    assert!(is_param(&e, "labels[1]"), "{e}");
}

#[test]
fn scatter_rejects_bad_input() {
    let n = names(&["a", "b"]);
    let e = cartera_plot::scatter(&[0.0, 1.0], &[0.0], &[0, 1], &n, "x", "y").unwrap_err();
    assert!(is_shape(&e), "{e}");
    let e = cartera_plot::scatter(&[0.0, 1.0], &[0.0, 1.0], &[0], &n, "x", "y").unwrap_err();
    assert!(is_shape(&e), "{e}");
    assert!(is_empty(
        &cartera_plot::scatter(&[], &[], &[], &n, "x", "y").unwrap_err()
    ));
    assert!(is_empty(
        &cartera_plot::scatter(&[1.0], &[1.0], &[0], &[], "x", "y").unwrap_err()
    ));
    let e = cartera_plot::scatter(
        &[0.0, 1.0],
        &[f64::NEG_INFINITY, 1.0],
        &[0, 1],
        &n,
        "x",
        "y",
    )
    .unwrap_err();
    assert!(is_non_finite(&e, 0), "{e}");
    assert!(
        e.to_string()
            .starts_with("y contains a non-finite value (-inf)"),
        "{e}"
    );
    let e = cartera_plot::scatter(&[0.0, 1.0], &[0.0, 1.0], &[0, 5], &n, "x", "y").unwrap_err();
    assert!(is_param(&e, "labels[1]"), "{e}");
}

#[test]
fn gains_and_lift_reject_bad_input() {
    let e = cartera_plot::gains(&[0.5, 1.0], &[1.0]).unwrap_err();
    assert!(is_shape(&e), "{e}");
    assert!(is_empty(&cartera_plot::gains(&[], &[]).unwrap_err()));
    let e = cartera_plot::gains(&[0.5, f64::NAN], &[0.5, 1.0]).unwrap_err();
    assert!(is_non_finite(&e, 1), "{e}");
    let e = cartera_plot::gains(&[0.5, 1.0], &[0.5, 1.2]).unwrap_err();
    assert!(is_param(&e, "captured[1]"), "{e}");
    let e = cartera_plot::gains(&[0.6, 0.5], &[0.5, 1.0]).unwrap_err();
    assert!(is_param(&e, "population[1]"), "{e}");

    let b = names(&["1", "2"]);
    assert!(is_shape(&cartera_plot::lift(&b, &[1.0]).unwrap_err()));
    assert!(is_empty(&cartera_plot::lift(&[], &[]).unwrap_err()));
    let e = cartera_plot::lift(&b, &[1.0, f64::NAN]).unwrap_err();
    assert!(is_non_finite(&e, 1), "{e}");
    let e = cartera_plot::lift(&b, &[1.0, -0.1]).unwrap_err();
    assert!(is_param(&e, "lift[1]"), "{e}");
}

#[test]
fn shap_charts_reject_bad_input() {
    let f = names(&["a", "b"]);
    assert!(is_shape(
        &cartera_plot::shap_bar(&f, &[0.1], 5).unwrap_err()
    ));
    assert!(is_empty(&cartera_plot::shap_bar(&[], &[], 5).unwrap_err()));
    let e = cartera_plot::shap_bar(&f, &[0.1, f64::NAN], 5).unwrap_err();
    assert!(is_non_finite(&e, 1), "{e}");
    let e = cartera_plot::shap_bar(&f, &[0.1, -0.2], 5).unwrap_err();
    assert!(is_param(&e, "mean |SHAP|[1]"), "{e}");
    let e = cartera_plot::shap_bar(&f, &[0.1, 0.2], 0).unwrap_err();
    assert!(is_param(&e, "max_features"), "{e}");
    let e = cartera_plot::shap_bar(&f, &[0.1, 0.2], 21).unwrap_err();
    assert!(is_param(&e, "max_features"), "{e}");

    let shap = Array2::<f64>::zeros((4, 2));
    let values = Array2::<f64>::zeros((4, 2));
    let bee = |f: &[String], s: &Array2<f64>, v: &Array2<f64>, m: usize| {
        cartera_plot::shap_beeswarm(f, s.view(), v.view(), m)
    };
    assert!(bee(&f, &shap, &values, 2).is_ok());
    assert!(is_empty(&bee(&[], &shap, &values, 2).unwrap_err()));
    assert!(is_empty(
        &bee(&f, &Array2::zeros((0, 2)), &Array2::zeros((0, 2)), 2).unwrap_err()
    ));
    assert!(is_shape(
        &bee(&names(&["a"]), &shap, &values, 2).unwrap_err()
    ));
    assert!(is_shape(
        &bee(&f, &shap, &Array2::zeros((3, 2)), 2).unwrap_err()
    ));
    assert!(is_shape(
        &bee(&f, &shap, &Array2::zeros((4, 3)), 2).unwrap_err()
    ));
    let mut bad = shap.clone();
    bad[[2, 1]] = f64::NAN;
    let e = bee(&f, &bad, &values, 2).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                row: 2,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    let mut bad = values.clone();
    bad[[3, 0]] = f64::INFINITY;
    let e = bee(&f, &shap, &bad, 2).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFinite {
                row: 3,
                column: 0,
                ..
            }
        ),
        "{e}"
    );
    assert!(is_param(
        &bee(&f, &shap, &values, 0).unwrap_err(),
        "max_features"
    ));
}

#[test]
fn bar_charts_reject_bad_input() {
    let g = names(&["g1", "g2"]);
    let t = names(&["Low", "High"]);
    let e = cartera_plot::stacked_tiers(&g, &t, &[vec![1, 2]]).unwrap_err();
    assert!(is_shape(&e), "{e}");
    let e = cartera_plot::stacked_tiers(&g, &t, &[vec![1, 2], vec![3]]).unwrap_err();
    assert!(is_shape(&e), "{e}");
    assert!(e.to_string().contains("counts[1]"), "{e}");
    assert!(is_empty(
        &cartera_plot::stacked_tiers(&[], &t, &[]).unwrap_err()
    ));
    assert!(is_empty(
        &cartera_plot::stacked_tiers(&g, &[], &[vec![], vec![]]).unwrap_err()
    ));
    let e = cartera_plot::stacked_tiers(&g, &t, &[vec![usize::MAX, 1], vec![0, 0]]).unwrap_err();
    assert!(is_param(&e, "counts[0]"), "{e}");

    assert!(is_shape(
        &cartera_plot::band_effectiveness(&g, &[0.1]).unwrap_err()
    ));
    assert!(is_empty(
        &cartera_plot::band_effectiveness(&[], &[]).unwrap_err()
    ));
    let e = cartera_plot::band_effectiveness(&g, &[0.1, 1.1]).unwrap_err();
    assert!(is_param(&e, "effectiveness[1]"), "{e}");
    let e = cartera_plot::band_effectiveness(&g, &[f64::NAN, 0.1]).unwrap_err();
    assert!(is_non_finite(&e, 0), "{e}");
}

#[test]
fn options_are_checked_by_every_chart() {
    let small = PlotOptions::new().size(100, 100);
    assert!(is_param(
        &small.elbow(&[1], &[1.0], None).unwrap_err(),
        "width"
    ));
    assert!(is_param(&small.gains(&[1.0], &[1.0]).unwrap_err(), "width"));
    let zero = PlotOptions::new().max_points(0);
    let e = zero
        .scatter(&[1.0], &[1.0], &[0], &names(&["a"]), "x", "y")
        .unwrap_err();
    assert!(is_param(&e, "max_points"), "{e}");
}

#[test]
fn the_smallest_canvas_still_draws_every_chart() {
    let o = PlotOptions::new().size(240, 160);
    let long = vec!["a very long segment name indeed, longer than any legend".to_string(); 3];
    let svg = o
        .scatter(
            &[0.0, 1.0, 2.0],
            &[1.0, 0.0, 2.0],
            &[0, 1, 2],
            &long,
            "x",
            "y",
        )
        .unwrap();
    common::assert_well_formed(&svg);
    let svg = o
        .stacked_tiers(&long, &long, &vec![vec![1, 2, 3]; 3])
        .unwrap();
    common::assert_well_formed(&svg);
    let svg = o.shap_bar(&long, &[0.1, 0.2, 0.3], 3).unwrap();
    common::assert_well_formed(&svg);
}

#[test]
fn values_whose_span_overflows_are_errors_not_hangs() {
    let n = names(&["a", "b"]);
    let e = cartera_plot::elbow(&[1, 2], &[f64::MAX, 1.0], None).unwrap_err();
    assert!(is_param(&e, "inertia axis"), "{e}");
    let e =
        cartera_plot::scatter(&[-1e308, 1e308], &[0.0, 1.0], &[0, 1], &n, "x", "y").unwrap_err();
    assert!(is_param(&e, "x axis"), "{e}");
    let e = cartera_plot::lift(&n, &[f64::MAX, 1.0]).unwrap_err();
    assert!(is_param(&e, "lift axis"), "{e}");
    let e = cartera_plot::shap_bar(&n, &[f64::MAX, 1.0], 2).unwrap_err();
    assert!(is_param(&e, "mean |SHAP| axis"), "{e}");
    let shap = ndarray::array![[f64::MAX, 0.0], [-f64::MAX, 0.0]];
    let e = cartera_plot::shap_beeswarm(&n, shap.view(), shap.view(), 2).unwrap_err();
    assert!(is_param(&e, "SHAP axis"), "{e}");
}

#[test]
fn huge_and_tiny_but_drawable_values_are_drawn() {
    let n = names(&["a", "b"]);
    let svg =
        cartera_plot::scatter(&[-5e307, 5e307], &[1e-300, 2e-300], &[0, 1], &n, "x", "y").unwrap();
    common::assert_well_formed(&svg);
    assert_eq!(common::count(&svg, "circle"), 4);
    let svg = cartera_plot::elbow(&[1, usize::MAX], &[1e200, 1.0], Some(usize::MAX)).unwrap();
    common::assert_well_formed(&svg);
    let svg = cartera_plot::silhouette(&[1e-300, -1e-300], &[0, 1], &n).unwrap();
    common::assert_well_formed(&svg);
    // A span of a few float steps at a huge magnitude (tick steps below the resolution).
    let svg = cartera_plot::scatter(&[1e17, 1e17 + 16.0], &[1e300, 1e300], &[0, 1], &n, "x", "y")
        .unwrap();
    common::assert_well_formed(&svg);
}
