#![allow(clippy::unwrap_used)]
//! Study 000's business tables reproduced with its exact figures: the score-band table (and
//! the total its own rows give), the three band strategies, the multi-product offer matrix and
//! the mass vs targeted campaign table.

use cartera_scoring::Groups;
use cartera_scoring::bands::{BandRule, BandTable, Effectiveness, assign_bands, bands_by_group};
use cartera_scoring::campaign::{CampaignParams, Economics, profit_curve};
use cartera_scoring::gains::gains;
use cartera_scoring::offers::{OfferMatrix, OfferRule};
use cartera_scoring::strategy::{
    SellingTarget, commissions, prioritised_selling, retention_rewards,
};
use ndarray::array;

const OFFERS: [u64; 5] = [321, 563, 1456, 2514, 5214];
const RATES: [f64; 5] = [0.036, 0.021, 0.018, 0.010, 0.005];

fn study_table() -> BandTable {
    BandTable::from_counts(&OFFERS, &RATES).unwrap()
}

#[test]
fn band_table_total_row() {
    let t = study_table();
    assert_eq!(t.effectiveness, Effectiveness::Given);
    assert_eq!(t.total.offers, 10_068);
    // 11.556 + 11.823 + 26.208 + 25.14 + 26.07 = 100.797 expected sales.
    assert!((t.total.expected_sales - 100.797).abs() < 1e-9);
    // 1.0 %, not the 1.2 % the source prints.
    assert_eq!((t.total.effectiveness * 1000.0).round() / 10.0, 1.0);
    assert!((t.rows[0].expected_sales - 11.556).abs() < 1e-12);
    // The CSV view has the total row labelled.
    let csv = t.to_table(None);
    assert_eq!(csv.n_rows(), 6);
    assert_eq!(
        csv.column("band").unwrap().get_string(5).as_deref(),
        Some("Total")
    );
}

#[test]
fn prioritised_selling_takes_the_best_bands_first() {
    let t = study_table();
    // 1,000 offers: bands 1 and 2 whole (884), 116 from band 3.
    let p = prioritised_selling(&t, SellingTarget::Offers(1_000)).unwrap();
    assert_eq!(p.offers, 1_000);
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.rows[2].offers, 116);
    let want = 321.0 * 0.036 + 563.0 * 0.021 + 116.0 * 0.018;
    assert!((p.expected_sales - want).abs() < 1e-12);
    // 2.5 % effectiveness against 1.0 % for offering to everyone.
    assert!(p.effectiveness > 2.0 * t.total.effectiveness);
    // A budget of 22,100 at 25 per offer buys 884 offers: bands 1 and 2.
    let b = prioritised_selling(
        &t,
        SellingTarget::Budget {
            budget: 22_100.0,
            cost_per_offer: 25.0,
        },
    )
    .unwrap();
    assert_eq!(b.offers, 884);
    assert_eq!(b.rows.len(), 2);
    // Asking for more than exists gives everything.
    let all = prioritised_selling(&t, SellingTarget::Offers(50_000)).unwrap();
    assert_eq!(all.offers, 10_068);
}

#[test]
fn differentiated_commissions() {
    let t = study_table();
    let c = commissions(&t, &[50.0, 60.0, 70.0, 90.0, 120.0]).unwrap();
    let want = 11.556 * 50.0 + 11.823 * 60.0 + 26.208 * 70.0 + 25.14 * 90.0 + 26.07 * 120.0;
    assert!((c.total_cost - want).abs() < 1e-9);
    assert!((c.cost_per_sale - want / 100.797).abs() < 1e-9);
    assert!(commissions(&t, &[1.0, 2.0]).is_err());
    assert!(commissions(&t, &[1.0, 2.0, 3.0, 4.0, -5.0]).is_err());
}

#[test]
fn tiered_retention_rewards() {
    // Same table read as churn ratios: reward only bands 1-3.
    let t = study_table();
    let r = retention_rewards(
        &t,
        &[100.0, 50.0, 20.0, 0.0, 0.0],
        &[0.5, 0.4, 0.3, 0.0, 0.0],
    )
    .unwrap();
    assert!((r.total_cost - (32_100.0 + 28_150.0 + 29_120.0)).abs() < 1e-9);
    let saved = 11.556 * 0.5 + 11.823 * 0.4 + 26.208 * 0.3;
    assert!((r.churners_saved - saved).abs() < 1e-12);
    assert!((r.expected_churners - 100.797).abs() < 1e-9);
    assert!(retention_rewards(&t, &[1.0; 5], &[1.5; 5]).is_err());
}

#[test]
fn offer_matrix_of_the_study() {
    let products: Vec<String> = ["vehicle_insurance", "savings_account", "loan"]
        .map(String::from)
        .to_vec();
    // Raúl, Grecia, Carmen, Gonzalo, Erika (bands as printed; churn band 1 = riskiest).
    let bands = array![[2u8, 3, 4], [4, 1, 4], [1, 2, 4], [5, 4, 1], [5, 5, 2]];
    let churn = vec![5u8, 5, 4, 1, 4];
    let m = OfferMatrix::from_bands(
        &products,
        bands.clone(),
        Some(churn.clone()),
        None,
        &OfferRule::default(),
    )
    .unwrap();
    let got: Vec<&str> = (0..5).map(|i| m.offer_name(i)).collect();
    assert_eq!(
        got,
        [
            "vehicle_insurance",
            "savings_account",
            "vehicle_insurance",
            "retention",
            "loan"
        ]
    );
    // Without the override Gonzalo is offered the loan (band 1).
    let rule = OfferRule {
        churn_override_band: None,
        ..OfferRule::default()
    };
    let m = OfferMatrix::from_bands(&products, bands, Some(churn), None, &rule).unwrap();
    assert_eq!(m.offer_name(3), "loan");
    let t = m.to_table();
    assert_eq!(
        t.names().last().map(String::as_str),
        Some("next_best_offer")
    );
}

#[test]
fn offer_matrix_from_scores() {
    let products: Vec<String> = ["a", "b"].map(String::from).to_vec();
    let scores = array![[0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [0.2, 0.3]];
    let churn = [0.1, 0.2, 0.3, 0.95];
    let m = OfferMatrix::from_scores(
        &products,
        scores.view(),
        Some(&churn),
        &BandRule::Quantiles(4),
        &OfferRule::default(),
    )
    .unwrap();
    assert_eq!(m.bands.column(0).to_vec(), [1, 4, 2, 3]);
    assert_eq!(m.churn_bands.as_ref().unwrap(), &[4, 3, 2, 1]);
    assert_eq!(
        (0..4).map(|i| m.offer_name(i)).collect::<Vec<_>>(),
        ["a", "b", "a", "retention"]
    );
}

#[test]
fn campaign_table_exactly() {
    let mass = CampaignParams::default().evaluate().unwrap();
    assert_eq!(mass.audience, 30_000);
    assert_eq!(mass.discount_cost, 750_000.0);
    assert_eq!(mass.project_cost, 0.0);
    assert_eq!(mass.total_cost, 750_000.0);
    assert_eq!(mass.sales, 300.0);
    assert_eq!(mass.total_gain, 405_600.0);
    assert_eq!(mass.profit, -344_400.0);
    assert_eq!(mass.roi, Some(-344_400.0 / 750_000.0));

    let targeted = CampaignParams::default()
        .audience(3_600)
        .share(Some(0.2))
        .base(Some(30_000))
        .project_cost(40_000.0)
        .response_rate(0.03)
        .evaluate()
        .unwrap();
    assert_eq!(targeted.discount_cost, 90_000.0);
    assert_eq!(targeted.total_cost, 130_000.0);
    assert_eq!(targeted.sales, 108.0);
    assert_eq!(targeted.total_gain, 146_016.0);
    assert_eq!(targeted.profit, 16_016.0);
    // Printed as 20 %; the audience implies 12 %.
    assert_eq!(targeted.share, Some(0.2));
    assert_eq!(targeted.implied_share, Some(0.12));
    // An audience larger than the base is refused.
    assert!(
        CampaignParams::default()
            .base(Some(100))
            .evaluate()
            .is_err()
    );
}

#[test]
fn profit_curve_agrees_with_the_gains_table() {
    // 10,068 scored customers whose bands and response rates are study 000's: band b's
    // customers have score 6 - b and responders are the first round(offers × rate) of each.
    let mut score = Vec::new();
    let mut y = Vec::new();
    for (b, (&o, &r)) in OFFERS.iter().zip(&RATES).enumerate() {
        let hits = (o as f64 * r).round() as u64;
        for k in 0..o {
            score.push((5 - b) as f64);
            y.push(k < hits);
        }
    }
    let bands = assign_bands(&score, &BandRule::CutPoints(vec![1.5, 2.5, 3.5, 4.5])).unwrap();
    assert_eq!(bands[0], 1);
    assert_eq!(*bands.last().unwrap(), 5);
    let groups = Groups::single(score.len(), "all");
    let t = &bands_by_group(
        &score,
        Some(&y),
        &groups,
        &BandRule::CutPoints(vec![1.5, 2.5, 3.5, 4.5]),
    )
    .unwrap()[0]
        .table;
    assert_eq!(t.rows.iter().map(|r| r.offers).collect::<Vec<_>>(), OFFERS);
    assert_eq!(t.rows[0].expected_sales, 12.0); // round(11.556)
    let e = Economics {
        unit_cost: 25.0,
        project_cost: 0.0,
        profit_per_sale: 1352.0,
    };
    let c = profit_curve(&y, &score, 10, e).unwrap();
    let g = gains(&y, &score, 10).unwrap();
    for (p, row) in c.points.iter().zip(&g.rows) {
        assert_eq!(p.depth, row.cum_customers);
        assert_eq!(p.responders, row.cum_responders);
        assert_eq!(
            p.profit,
            row.cum_responders as f64 * 1352.0 - row.cum_customers as f64 * 25.0
        );
    }
    // Responders come first inside each band (row order breaks the score tie), so profit peaks
    // after the 26 responders of band 3: 321 + 563 + 26 = 910 customers, 12 + 12 + 26 = 50
    // sales, 50 × 1,352 − 910 × 25 = 44,850. Brute force agrees.
    assert_eq!(c.best.depth, 910);
    assert_eq!(c.best.profit, 44_850.0);
    let mut best = (0u64, 0.0f64);
    let mut resp = 0u64;
    for (k, &hit) in y.iter().enumerate() {
        resp += u64::from(hit);
        let p = resp as f64 * 1352.0 - (k + 1) as f64 * 25.0;
        if p > best.1 {
            best = ((k + 1) as u64, p);
        }
    }
    assert_eq!((c.best.depth, c.best.profit), best);
}
