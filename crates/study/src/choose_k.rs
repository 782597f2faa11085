//! Choosing the number of segments: K-Means for every k of a range, the inertia curve's knee
//! (Kneedle) and each clustering's silhouette, then one k by a stated rule.
//!
//! It combines two crates (`cartera-kmeans` fits, `cartera-silhouette` judges), so it lives
//! here, above both; `cartera kmeans --k 2..10` is this function. The fitted model of every k
//! is returned, so the chosen one is not fitted twice.
//!
//! ```
//! use cartera_core::datasets::Blobs;
//! use cartera_kmeans::KMeansParams;
//! use cartera_study::choose_k::{ChosenBy, KRule, search_k};
//!
//! let (x, _) = Blobs::new(600).n_features(5).centers(4).cluster_std(0.5).seed(3).generate()?;
//! let ks: Vec<usize> = (1..=8).collect();
//! let (search, models) = search_k(x.view(), &ks, &KMeansParams::new(2).seed(0), KRule::Knee)?;
//! assert_eq!(search.k, 4);
//! assert_eq!(search.chosen_by, ChosenBy::Knee);
//! assert_eq!(search.best_silhouette(), Some(4));
//! // The model of the chosen k is among those returned, in the order of `ks`.
//! let model = &models[ks.iter().position(|&k| k == search.k).unwrap()];
//! assert_eq!(model.centroids().nrows(), 4);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::time::Instant;

use cartera_core::{Error, Float, Result};
use cartera_kmeans::{DEFAULT_SENSITIVITY, KMeans, KMeansParams, kneedle_decreasing_convex};
use cartera_silhouette::SilhouetteParams;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Above this many rows the silhouette of each k is estimated from a sample.
pub const EXACT_SILHOUETTE_ROWS: usize = 20_000;
/// Rows drawn for that estimate (about 5·10⁷ distances per k).
pub const SILHOUETTE_SAMPLE: usize = 10_000;

/// How [`search_k`] picks one k from the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KRule {
    /// The knee of the inertia curve; when the curve has none (a straight line, too few k),
    /// the best silhouette, and failing that the smallest k ([`ChosenBy`] says which).
    #[default]
    Knee,
    /// The best silhouette (ties: the smaller k); an error when no k of the range has one.
    Silhouette,
}

/// What decided the k of a [`KSearch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChosenBy {
    /// The knee of the inertia curve.
    Knee,
    /// The best silhouette, as asked ([`KRule::Silhouette`]).
    Silhouette,
    /// The best silhouette, because the curve has no knee.
    SilhouetteNoKnee,
    /// The smallest k: no knee, and no k of at least 2 has a silhouette.
    SmallestNoKnee,
}

impl ChosenBy {
    /// As the command line's JSON `chosen_by` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChosenBy::Knee => "knee",
            ChosenBy::Silhouette => "silhouette",
            ChosenBy::SilhouetteNoKnee => "silhouette (no knee)",
            ChosenBy::SmallestNoKnee => "smallest k (no knee)",
        }
    }
}

/// Every k of a range with its inertia and silhouette, the knee, and the k chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KSearch {
    /// The candidate numbers of clusters, increasing.
    pub ks: Vec<usize>,
    /// Total inertia of the fit of each k.
    pub inertias: Vec<f64>,
    /// `(silhouette, standard error)` of each k's clustering (the error is 0 when exact);
    /// `None` for k = 1, k >= rows, or when the clusters leave it undefined (a single
    /// cluster, only singletons).
    pub silhouettes: Vec<Option<(f64, f64)>>,
    /// Whether the silhouettes are estimated from a sample ([`EXACT_SILHOUETTE_ROWS`]).
    pub sampled: bool,
    /// Rows the silhouettes are computed on: [`SILHOUETTE_SAMPLE`] when sampled, else all.
    pub sample_size: usize,
    /// The knee of the inertia curve (Kneedle at [`DEFAULT_SENSITIVITY`]), if it has one.
    pub knee: Option<usize>,
    /// The k chosen.
    pub k: usize,
    /// What chose it.
    pub chosen_by: ChosenBy,
    /// Seconds of the K-Means fits (every k).
    pub elbow_seconds: f64,
    /// Seconds of the silhouettes (every k).
    pub silhouette_seconds: f64,
}

impl KSearch {
    /// The k with the highest silhouette (ties: the smaller k), if any k has one.
    pub fn best_silhouette(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (&k, s) in self.ks.iter().zip(&self.silhouettes) {
            if let Some((v, _)) = s
                && best.is_none_or(|(_, b)| *v > b)
            {
                best = Some((k, *v));
            }
        }
        best.map(|(k, _)| k)
    }
}

/// Fits `params` for every k of `ks` (every other parameter, the seed included, unchanged, as
/// [`cartera_kmeans::elbow`]), scores each clustering's silhouette (exact up to
/// [`EXACT_SILHOUETTE_ROWS`] rows, else on a sample of [`SILHOUETTE_SAMPLE`] drawn with the
/// params' seed), locates the knee, and picks a k by `rule`. Returns the search and the fitted
/// model of each k, in the order of `ks`.
///
/// Errors: [`Error::InvalidParameter`] (`ks`) for an empty or not strictly increasing `ks`;
/// those of [`KMeansParams::fit_each_k`] (k above the distinct rows, non-finite data); [`Error::InvalidParameter`] (`rule`) for
/// [`KRule::Silhouette`] when no k of the range has a silhouette.
pub fn search_k<F: Float>(
    x: ArrayView2<'_, F>,
    ks: &[usize],
    params: &KMeansParams,
    rule: KRule,
) -> Result<(KSearch, Vec<KMeans<F>>)> {
    if ks.is_empty() || ks.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid_param(
            "ks",
            format!("{ks:?}"),
            "must be a non-empty, strictly increasing list of cluster counts",
        ));
    }
    let n = x.nrows();
    let sampled = n > EXACT_SILHOUETTE_ROWS;
    let sil = SilhouetteParams::new()
        .sample_size(sampled.then_some(SILHOUETTE_SAMPLE))
        .seed(params.get_seed());
    // One fit per k on data checked and prepared once.
    let t = Instant::now();
    let models = params.fit_each_k(x, ks)?;
    let elbow_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut silhouettes = Vec::with_capacity(ks.len());
    for (&k, m) in ks.iter().zip(&models) {
        let s = if k >= 2 && k < n {
            match sil.evaluate(x, m.labels()) {
                Ok(s) => Some((s.score(), s.std_error())),
                // Fewer distinct rows than k can leave (or a sample can hold) a single cluster
                // or only singletons: the silhouette is undefined there.
                Err(Error::TooFewSamples { .. } | Error::InvalidParameter { .. }) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        silhouettes.push(s);
    }
    let silhouette_seconds = t.elapsed().as_secs_f64();
    let xs: Vec<f64> = ks.iter().map(|&k| k as f64).collect();
    let inertias: Vec<f64> = models.iter().map(KMeans::inertia).collect();
    let knee = kneedle_decreasing_convex(&xs, &inertias, DEFAULT_SENSITIVITY).map(|i| ks[i]);
    let mut search = KSearch {
        ks: ks.to_vec(),
        inertias,
        silhouettes,
        sampled,
        sample_size: if sampled { SILHOUETTE_SAMPLE } else { n },
        knee,
        // Set below.
        k: ks[0],
        chosen_by: ChosenBy::Knee,
        elbow_seconds,
        silhouette_seconds,
    };
    (search.k, search.chosen_by) = match (rule, knee, search.best_silhouette()) {
        (KRule::Knee, Some(knee), _) => (knee, ChosenBy::Knee),
        // Kneedle finds no knee on a curve without one: the smallest k would be an arbitrary
        // answer, so the silhouette decides.
        (KRule::Knee, None, Some(best)) => (best, ChosenBy::SilhouetteNoKnee),
        (KRule::Knee, None, None) => (ks[0], ChosenBy::SmallestNoKnee),
        (KRule::Silhouette, _, Some(best)) => (best, ChosenBy::Silhouette),
        (KRule::Silhouette, _, None) => {
            return Err(Error::invalid_param(
                "rule",
                "silhouette",
                "needs a k of at least 2 (and below the number of rows) in the range",
            ));
        }
    };
    Ok((search, models))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::datasets::Blobs;
    use ndarray::Array2;

    /// The silhouette rule picks the best silhouette even where the knee says otherwise; a
    /// range of one k has no knee and falls back; the silhouette rule without a k >= 2 is an
    /// error naming the rule.
    #[test]
    fn rules_and_fallbacks() {
        let (x, _) = Blobs::new(400)
            .centers(3)
            .cluster_std(0.4)
            .seed(5)
            .generate()
            .unwrap();
        let params = KMeansParams::new(2).seed(1);
        let ks: Vec<usize> = (1..=7).collect();
        let (s, models) = search_k(x.view(), &ks, &params, KRule::Silhouette).unwrap();
        assert_eq!((s.k, s.chosen_by), (3, ChosenBy::Silhouette));
        assert_eq!(models.len(), ks.len());
        assert_eq!(s.silhouettes[0], None, "k = 1 has no silhouette");
        assert!(!s.sampled && s.sample_size == 400);
        for (m, &inertia) in models.iter().zip(&s.inertias) {
            assert_eq!(m.inertia(), inertia);
        }
        let (one, _) = search_k(x.view(), &[4], &params, KRule::Knee).unwrap();
        assert_eq!((one.k, one.chosen_by), (4, ChosenBy::SilhouetteNoKnee));
        let (single, _) = search_k(x.view(), &[1], &params, KRule::Knee).unwrap();
        assert_eq!((single.k, single.chosen_by), (1, ChosenBy::SmallestNoKnee));
        match search_k(x.view(), &[1], &params, KRule::Silhouette) {
            Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "rule"),
            other => panic!("{other:?}"),
        }
        for bad in [&[3usize, 2][..], &[2, 2], &[]] {
            match search_k(x.view(), bad, &params, KRule::Knee) {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "ks"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(search_k(empty.view(), &[2, 3], &params, KRule::Knee).is_err());
    }
}
