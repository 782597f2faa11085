//! # cartera-scoring
//!
//! From model outputs to the business tables that end every project in the studies: which
//! customers to call, what to pay the sales force, whom to reward to keep them, which product
//! to offer, and whether the campaign pays. The crate takes scores, labels and group columns,
//! never models.
//!
//! * [`metrics`]: confusion matrix, accuracy, per-class precision/recall/F1, ROC AUC (ties as
//!   scikit-learn), average precision, log-loss, Brier score, KS, best threshold.
//! * [`gains`]: gains and lift by decile (or any number of bins), overall or per group.
//! * [`bands`] and [`strategy`]: score bands 1..k with offers and expected effectiveness, and
//!   study 000's prioritised selling, differentiated commissions and tiered retention rewards.
//! * [`tiers`]: retention-risk tiers (Low, Moderate, High, Critical) per group.
//! * [`offers`]: the multi-product offer matrix and the next best offer.
//! * [`campaign`]: mass versus targeted campaign economics; profit over targeting depth.
//! * [`profile`]: per-segment size, share, `describe` statistics and relative means.
//!
//! Every table is deterministic: one score order (highest first, ties by row index), sums in
//! fixed-size row blocks combined in block order, whatever the thread count.
//!
//! ```
//! use cartera_scoring::bands::BandTable;
//! use cartera_scoring::campaign::CampaignParams;
//! use cartera_scoring::metrics::roc_auc;
//!
//! // Study 000: offers and expected effectiveness per score band.
//! let t = BandTable::from_counts(&[321, 563, 1456, 2514, 5214], &[0.036, 0.021, 0.018, 0.010, 0.005])?;
//! assert_eq!(t.total.offers, 10_068);
//! assert!((t.total.expected_sales - 100.797).abs() < 1e-9);
//!
//! // Study 000: the targeted mailing.
//! let r = CampaignParams::default().audience(3_600).project_cost(40_000.0).response_rate(0.03).evaluate()?;
//! assert_eq!((r.total_cost, r.sales, r.profit), (130_000.0, 108.0, 16_016.0));
//!
//! assert_eq!(roc_auc(&[false, true, true], &[0.2, 0.9, 0.4])?, 1.0);
//! # Ok::<(), cartera_core::Error>(())
//! ```

pub mod bands;
pub mod campaign;
mod check;
pub mod gains;
pub mod groups;
pub mod metrics;
pub mod offers;
mod order;
pub mod profile;
pub mod strategy;
mod table_out;
pub mod tiers;

pub use check::outcomes_from_f64;
pub use groups::Groups;
