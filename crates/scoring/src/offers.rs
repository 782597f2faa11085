//! The multi-product offer matrix of study 000 and the next best offer.
//!
//! Each product's scores are banded independently (band 1 = most likely to buy); the churn
//! score, when given, is banded the same way, so churn band 1 = **most likely to leave**.
//!
//! **Next-best-offer rule**, applied in order:
//! 1. *Churn-risk override*: if the customer's churn band is at or better than
//!    [`OfferRule::churn_override_band`] (e.g. 1 = the riskiest fifth), the offer is
//!    [`RETENTION_OFFER`]: keep the customer before selling more.
//! 2. *Best band*: the product with the best (lowest) band.
//! 3. Ties between products on band: the highest expected margin (probability × margin per
//!    product, when probabilities and margins are given), then the product listed first.
//!
//! With [`OfferRule::by_expected_margin`], step 2 is replaced by the highest expected margin
//! (ties: best band, then the product listed first).

use cartera_core::{Error, Result};
use cartera_preprocess::Table;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::bands::{BandRule, assign_bands};
use crate::check;
use crate::table_out::TableBuilder;

/// The offer name chosen by the churn-risk override.
pub const RETENTION_OFFER: &str = "retention";

/// How the next best offer is chosen (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferRule {
    /// Churn band at or better than which the offer is retention (`None`: never).
    pub churn_override_band: Option<u8>,
    /// Margin per sale of each product (same order as the products); `None`: all equal.
    pub margins: Option<Vec<f64>>,
    /// Rank by expected margin first instead of by band.
    pub by_expected_margin: bool,
}

impl Default for OfferRule {
    /// Best band, churn band 1 overrides, no margins.
    fn default() -> Self {
        OfferRule {
            churn_override_band: Some(1),
            margins: None,
            by_expected_margin: false,
        }
    }
}

/// Bands per customer and product, and the next best offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferMatrix {
    /// Product names, in column order.
    pub products: Vec<String>,
    /// `n × products` bands (1 = best).
    pub bands: Array2<u8>,
    /// Churn band per customer (1 = most likely to leave), when a churn score was given.
    pub churn_bands: Option<Vec<u8>>,
    /// Index of the chosen product per customer; `None` = [`RETENTION_OFFER`].
    pub next_best: Vec<Option<usize>>,
}

/// Each product becomes columns of its own (`band_<name>`, ...): a name given twice would make
/// two columns of one name.
fn check_names(products: &[String]) -> Result<()> {
    if let Some((j, name)) = products
        .iter()
        .enumerate()
        .find(|(j, name)| products[..*j].contains(name))
    {
        return Err(Error::invalid_param(
            "products",
            name,
            format!(
                "product {} repeats an earlier name; each product must be named once",
                j + 1
            ),
        ));
    }
    Ok(())
}

impl OfferMatrix {
    /// Band each product's scores (`n × p`, column j = product j) and the churn score with
    /// `bands`, then choose the next best offer by `rule`. Expected margins need the scores
    /// to be probabilities.
    pub fn from_scores(
        products: &[String],
        scores: ArrayView2<'_, f64>,
        churn: Option<&[f64]>,
        bands: &BandRule,
        rule: &OfferRule,
    ) -> Result<Self> {
        let (n, p) = scores.dim();
        check::same_len("score columns (vs products)", products.len(), p)?;
        check::non_empty("products", p)?;
        check_names(products)?;
        let mut band = Array2::<u8>::zeros((n, p));
        for (j, name) in products.iter().enumerate() {
            let col: Vec<f64> = scores.column(j).to_vec();
            let b = assign_bands(&col, bands).map_err(|e| rename(e, name))?;
            band.column_mut(j)
                .iter_mut()
                .zip(b)
                .for_each(|(d, s)| *d = s);
        }
        let churn_bands = churn
            .map(|c| {
                check::same_len("length of churn scores (vs rows)", n, c.len())?;
                assign_bands(c, bands)
            })
            .transpose()?;
        Self::from_bands(products, band, churn_bands, Some(scores), rule)
    }

    /// From bands already assigned (e.g. study 000's table), optionally with the product
    /// probabilities for expected margins.
    pub fn from_bands(
        products: &[String],
        bands: Array2<u8>,
        churn_bands: Option<Vec<u8>>,
        proba: Option<ArrayView2<'_, f64>>,
        rule: &OfferRule,
    ) -> Result<Self> {
        let (n, p) = bands.dim();
        check::same_len("band columns (vs products)", products.len(), p)?;
        check::non_empty("products", p)?;
        check_names(products)?;
        if let Some(c) = &churn_bands {
            check::same_len("length of churn bands (vs rows)", n, c.len())?;
        }
        if let Some((i, _)) = bands.indexed_iter().find(|(_, b)| **b == 0) {
            return Err(Error::invalid_data(
                "bands",
                format!(
                    "row {} (0-based), product {}: band 0; bands start at 1",
                    i.0, products[i.1]
                ),
            ));
        }
        if let Some(m) = &rule.margins {
            check::same_len("number of margins (vs products)", p, m.len())?;
            for &x in m {
                check::non_negative("margin", x)?;
            }
        }
        if let Some(pr) = &proba {
            check::same_len("rows of probabilities (vs bands)", n, pr.nrows())?;
            check::same_len("columns of probabilities (vs products)", p, pr.ncols())?;
            for (j, name) in products.iter().enumerate() {
                let col: Vec<f64> = pr.column(j).to_vec();
                check::probabilities(name, &col)?;
            }
        } else if rule.by_expected_margin {
            return Err(Error::invalid_param(
                "by_expected_margin",
                true,
                "needs the product probabilities",
            ));
        }
        let margin = |i: usize, j: usize| -> f64 {
            let m = rule.margins.as_ref().map_or(1.0, |m| m[j]);
            proba.as_ref().map_or(m, |pr| pr[[i, j]] * m)
        };
        let next_best = (0..n)
            .map(|i| {
                if let (Some(cb), Some(limit)) = (&churn_bands, rule.churn_override_band)
                    && cb[i] <= limit
                {
                    return None;
                }
                let mut best = 0usize;
                for j in 1..p {
                    let (bj, bb) = (bands[[i, j]], bands[[i, best]]);
                    let (mj, mb) = (margin(i, j), margin(i, best));
                    let better = if rule.by_expected_margin {
                        mj > mb || (mj == mb && bj < bb)
                    } else {
                        bj < bb || (bj == bb && mj > mb)
                    };
                    if better {
                        best = j;
                    }
                }
                Some(best)
            })
            .collect();
        Ok(OfferMatrix {
            products: products.to_vec(),
            bands,
            churn_bands,
            next_best,
        })
    }

    /// Name of the next best offer of customer `i` (the retention offer when no product
    /// qualifies).
    ///
    /// # Panics
    /// If `i` is not below the number of customers, as indexing a slice does (it returned
    /// the retention offer before, a wrong answer rather than an error).
    pub fn offer_name(&self, i: usize) -> &str {
        match self.next_best[i] {
            Some(j) => &self.products[j],
            None => RETENTION_OFFER,
        }
    }

    /// The matrix as columns: `band_<product>` per product, `band_churn`, `next_best_offer`.
    pub fn to_table(&self) -> Table {
        let mut b = TableBuilder::new();
        for (j, name) in self.products.iter().enumerate() {
            b = b.num(
                &format!("band_{name}"),
                self.bands.column(j).iter().map(|&x| f64::from(x)),
            );
        }
        if let Some(c) = &self.churn_bands {
            b = b.num("band_churn", c.iter().map(|&x| f64::from(x)));
        }
        b.text(
            "next_best_offer",
            (0..self.next_best.len()).map(|i| self.offer_name(i).to_string()),
        )
        .build()
    }
}

/// Name the product in a score error.
fn rename(e: Error, product: &str) -> Error {
    match e {
        Error::NonFinite {
            row, column, value, ..
        } => Error::NonFinite {
            what: format!("scores of {product}"),
            row,
            column,
            value,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// A product named twice is an error naming it (it used to reach the result table's
    /// builder, which found two columns of one name and panicked).
    #[test]
    fn a_product_named_twice_is_an_error() {
        let products: Vec<String> = ["p1", "p2", "p1"].map(String::from).to_vec();
        let bands = array![[1u8, 2, 3], [3, 2, 1]];
        let e = OfferMatrix::from_bands(&products, bands, None, None, &OfferRule::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("p1") && e.contains("product 3"), "{e}");
        let scores = array![[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]];
        // Five bands for two rows would be an error too: the names are checked first.
        let rule = BandRule::default();
        let e =
            OfferMatrix::from_scores(&products, scores.view(), None, &rule, &OfferRule::default())
                .unwrap_err()
                .to_string();
        assert!(e.contains("repeats"), "{e}");
    }

    #[test]
    fn study_000_matrix() {
        // Raúl, Grecia, Carmen, Gonzalo, Erika: vehicle, savings, loan; churn.
        let products: Vec<String> = ["vehicle", "savings", "loan"].map(String::from).to_vec();
        let bands = array![[2u8, 3, 4], [4, 1, 4], [1, 2, 4], [5, 4, 1], [5, 5, 2]];
        let churn = vec![5u8, 5, 4, 1, 4];
        let m = OfferMatrix::from_bands(&products, bands, Some(churn), None, &OfferRule::default())
            .unwrap();
        let names: Vec<&str> = (0..5).map(|i| m.offer_name(i)).collect();
        assert_eq!(
            names,
            ["vehicle", "savings", "vehicle", "retention", "loan"]
        );
    }

    #[test]
    fn margin_breaks_band_ties() {
        let products: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let proba = array![[0.1, 0.1]];
        let rule = OfferRule {
            churn_override_band: None,
            margins: Some(vec![100.0, 300.0]),
            by_expected_margin: false,
        };
        let m =
            OfferMatrix::from_bands(&products, array![[2u8, 2]], None, Some(proba.view()), &rule)
                .unwrap();
        assert_eq!(m.offer_name(0), "b");
    }
}
