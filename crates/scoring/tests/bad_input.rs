#![allow(clippy::unwrap_used)]
//! Bad input gives typed errors naming what and where, never a panic: scores outside [0, 1]
//! where probabilities are required, NaN scores, outcomes that are not 0/1, cut points not
//! increasing, a group column that does not exist, negative costs or counts, lengths that
//! disagree.

use cartera_core::Error;
use cartera_preprocess::{Column, Table};
use cartera_scoring::bands::{BandRule, BandTable, assign_bands};
use cartera_scoring::campaign::{CampaignParams, Economics, profit_curve};
use cartera_scoring::gains::gains;
use cartera_scoring::metrics::{ClassificationReport, brier_score, log_loss, roc_auc};
use cartera_scoring::profile::profile;
use cartera_scoring::strategy::{SellingTarget, prioritised_selling};
use cartera_scoring::tiers::{TierBounds, risk_tiers};
use cartera_scoring::{Groups, outcomes_from_f64};
use ndarray::array;

#[test]
fn probabilities_outside_the_unit_interval() {
    let e = brier_score(&[true, false], &[0.5, 1.2]).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { what, .. } if what == "prob"),
        "{e}"
    );
    assert!(e.to_string().contains("row 1"), "{e}");
    let e = risk_tiers(&[0.5, -0.1], None, TierBounds::default()).unwrap_err();
    assert!(e.to_string().contains("row 1"), "{e}");
    // Bands without outcomes use the mean score as effectiveness: it must be a probability.
    assert!(BandTable::from_scores(&[0.5, 3.0], None, &BandRule::Quantiles(2)).is_err());
    assert!(BandTable::from_counts(&[10], &[1.5]).is_err());
    let e = log_loss(&[0, 1], array![[0.5, 0.5], [0.7, 0.7]].view()).unwrap_err();
    assert!(e.to_string().contains("sum to 1"), "{e}");
    assert!(log_loss(&[0, 2], array![[0.5, 0.5], [0.3, 0.7]].view()).is_err());
}

#[test]
fn nan_scores() {
    let e = roc_auc(&[true, false, true], &[0.1, f64::NAN, 0.3]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { row: 1, .. }), "{e}");
    assert!(matches!(
        gains(&[true, false], &[f64::INFINITY, 0.1], 2).unwrap_err(),
        Error::NonFinite { row: 0, .. }
    ));
    assert!(matches!(
        assign_bands(&[0.1, f64::NAN], &BandRule::Quantiles(2)).unwrap_err(),
        Error::NonFinite { row: 1, .. }
    ));
    assert!(risk_tiers(&[f64::NAN], None, TierBounds::default()).is_err());
    let g = Groups::single(2, "all");
    assert!(profile(&[("x", &[1.0, f64::INFINITY])], &g, None).is_err());
}

#[test]
fn outcomes_that_are_not_zero_or_one() {
    let e = outcomes_from_f64("Churn", &[0.0, 1.0, 2.0]).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { what, .. } if what == "Churn"),
        "{e}"
    );
    assert!(e.to_string().contains("row 2"), "{e}");
    assert!(outcomes_from_f64("y", &[0.0, f64::NAN]).is_err());
    assert_eq!(outcomes_from_f64("y", &[0.0, 1.0]).unwrap(), [false, true]);
    // Class labels beyond n_classes.
    assert!(ClassificationReport::new(&[0, 3], &[0, 1], 2).is_err());
    // A class count whose confusion matrix cannot be held is an error, not an abort.
    let e = ClassificationReport::new(&[0], &[0], usize::MAX).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidParameter { name, .. } if name == "n_classes"),
        "{e}"
    );
}

#[test]
fn cut_points_not_increasing() {
    for cuts in [vec![0.2, 0.2], vec![0.5, 0.3], vec![0.1, f64::NAN]] {
        let e = assign_bands(&[0.5], &BandRule::CutPoints(cuts.clone())).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidParameter { .. } | Error::NonFinite { .. }),
            "{cuts:?}: {e}"
        );
    }
    assert!(TierBounds::new([0.7, 0.5, 0.85]).is_err());
    assert!(assign_bands(&[0.5], &BandRule::Quantiles(0)).is_err());
    assert!(assign_bands(&[0.5], &BandRule::Quantiles(101)).is_err());
}

#[test]
fn group_column_that_does_not_exist() {
    let t = Table::from_columns(vec![("cluster".into(), Column::Numeric(vec![0.0, 1.0]))]).unwrap();
    let e = Groups::from_table(&t, "clustr").unwrap_err();
    assert!(
        matches!(&e, Error::UnknownColumn { name, .. } if name == "clustr"),
        "{e}"
    );
    assert!(e.to_string().contains("cluster"), "{e}");
}

#[test]
fn negative_costs_and_counts() {
    for p in [
        CampaignParams::default().unit_cost(-25.0),
        CampaignParams::default().project_cost(-1.0),
        CampaignParams::default().profit_per_sale(f64::NAN),
        CampaignParams::default().response_rate(-0.01),
        CampaignParams::default().share(Some(1.5)),
    ] {
        assert!(
            matches!(p.evaluate(), Err(Error::InvalidParameter { .. })),
            "{p:?}"
        );
    }
    let t = BandTable::from_counts(&[10, 20], &[0.1, 0.05]).unwrap();
    assert!(
        prioritised_selling(
            &t,
            SellingTarget::Budget {
                budget: -5.0,
                cost_per_offer: 1.0
            }
        )
        .is_err()
    );
    assert!(
        prioritised_selling(
            &t,
            SellingTarget::Budget {
                budget: 5.0,
                cost_per_offer: 0.0
            }
        )
        .is_err()
    );
    let e = Economics {
        unit_cost: -1.0,
        project_cost: 0.0,
        profit_per_sale: 1.0,
    };
    assert!(profit_curve(&[true, false], &[0.9, 0.1], 2, e).is_err());
}

#[test]
fn lengths_that_disagree() {
    assert!(matches!(
        roc_auc(&[true, false], &[0.5]).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    let g = Groups::single(3, "all");
    assert!(matches!(
        risk_tiers(&[0.5, 0.6], Some(&g), TierBounds::default()).unwrap_err(),
        Error::ShapeMismatch { .. }
    ));
    assert!(matches!(
        gains(&[], &[], 10).unwrap_err(),
        Error::EmptyInput { .. }
    ));
}
