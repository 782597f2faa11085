//! Training on data larger than memory: bin boundaries from a sample, then the rows binned
//! chunk by chunk into one byte per cell, then boosting on the binned matrix.
//!
//! This is LightGBM's own recipe (`bin_construct_sample_cnt`): the histograms the trees are
//! grown from only ever see bin indices, so once the boundaries are fixed a row is one `u8` per
//! used feature and its label — 10,000,000 rows of 40 features hold in about 400 MB instead of
//! 3.2 GB of `f64`.
//!
//! 1. [`BinSampler`]: offer every training row once (in chunks of any size); it keeps a seeded
//!    uniform sample of [`GbdtParams::bin_construct_sample_cnt`] rows (reservoir sampling) and
//!    refuses ±inf naming the row. [`BinSampler::finish`] turns it into [`BinMappers`]; a
//!    feature gets a bin for missing values (NaN) when the sample holds one, as in LightGBM.
//! 2. [`BinnedDataset::new`], then [`BinnedDataset::push_chunk`] for every training chunk (and
//!    a second dataset for validation rows, if any).
//! 3. [`GbdtParams::fit_binned`] trains; the model's thresholds are raw feature values, so it
//!    predicts on raw (unbinned) rows as any other model.
//!
//! When the data has at most `bin_construct_sample_cnt` rows, the sample is every row and the
//! model is the one [`GbdtParams::fit`] trains on the same rows in memory (tested). Beyond,
//! the sample differs from the in-memory one (a reservoir rather than a permutation), so the
//! bins, and the model, may differ slightly. Sample weights are not supported here.
//!
//! ```
//! use cartera_gbdt::{BinSampler, BinnedDataset, GbdtParams, Objective};
//! use ndarray::{Array1, Array2};
//!
//! let x = Array2::from_shape_fn((300, 2), |(i, j)| ((i * 7 + j * 13) % 50) as f64);
//! let y = Array1::from_shape_fn(300, |i| f64::from(x[[i, 0]] > 20.0));
//! let params = GbdtParams::new().objective(Objective::Binary { sigmoid: 1.0 }).n_estimators(5);
//!
//! let mut sampler = BinSampler::new(&params, 2)?;
//! for start in (0..300).step_by(64) {
//!     let end = (start + 64).min(300);
//!     sampler.push(x.slice(ndarray::s![start..end, ..]))?;
//! }
//! let mappers = sampler.finish()?;
//! let mut data = BinnedDataset::new(&mappers);
//! for start in (0..300).step_by(64) {
//!     let end = (start + 64).min(300);
//!     data.push_chunk(x.slice(ndarray::s![start..end, ..]), y.slice(ndarray::s![start..end]))?;
//! }
//! let model = params.fit_binned(data, None)?;
//! assert_eq!(model, params.fit(x.view(), y.view())?);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use cartera_core::{CarteraRng, Error, Float, Result, validate};
use ndarray::{ArrayView1, ArrayView2};

use crate::binning::{BinMapper, BinnedData, SAMPLE_STREAM, bin_rows, build_mappers};
use crate::boosting::{check_labels, train_binned};
use crate::model::GbdtModel;
use crate::params::{GbdtParams, Metric};

/// What the training rows are called in error messages.
const WHAT: &str = "training data";

/// Collects the bin-construction sample of a stream of training rows (see the
/// [module docs](self)).
#[derive(Debug, Clone)]
pub struct BinSampler {
    d: usize,
    capacity: usize,
    max_bin: usize,
    sample: Vec<f64>,
    seen: u64,
    rng: CarteraRng,
}

impl BinSampler {
    /// A sampler for rows of `n_features` features, with the sample size
    /// ([`GbdtParams::bin_construct_sample_cnt`]), `max_bin` and seed of `params` (which are
    /// validated).
    pub fn new(params: &GbdtParams, n_features: usize) -> Result<BinSampler> {
        params.validate()?;
        if n_features == 0 {
            return Err(Error::empty("set of features"));
        }
        let capacity = params.bin_construct_sample_cnt;
        Ok(BinSampler {
            d: n_features,
            capacity,
            max_bin: params.max_bin,
            sample: Vec::with_capacity(capacity.min(1 << 16) * n_features),
            seen: 0,
            rng: CarteraRng::stream(params.seed, SAMPLE_STREAM),
        })
    }

    /// Offer the next training rows. NaN is a missing value; ±inf is an
    /// [`Error::NonFinite`] naming the row (counted from the first row ever offered) and column.
    pub fn push<F: Float>(&mut self, x: ArrayView2<'_, F>) -> Result<()> {
        validate::check_width(x, self.d, WHAT)?;
        for (i, r) in x.rows().into_iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                let v = v.as_f64();
                if v.is_infinite() {
                    return Err(Error::NonFinite {
                        what: WHAT.into(),
                        row: self.seen as usize + i,
                        column: c,
                        value: v.to_string(),
                    });
                }
            }
        }
        for r in x.rows() {
            let seen = self.seen as usize;
            if seen < self.capacity {
                self.sample.extend(r.iter().map(|v| v.as_f64()));
            } else {
                // Algorithm R: row `seen` replaces a kept row with probability capacity/(seen+1).
                let j = self.rng.index(seen + 1);
                if j < self.capacity {
                    for (o, v) in self.sample[j * self.d..(j + 1) * self.d]
                        .iter_mut()
                        .zip(r.iter())
                    {
                        *o = v.as_f64();
                    }
                }
            }
            self.seen += 1;
        }
        Ok(())
    }

    /// Rows offered so far.
    pub fn rows_seen(&self) -> u64 {
        self.seen
    }

    /// The bin boundaries of every feature, from the sample.
    pub fn finish(self) -> Result<BinMappers> {
        if self.seen == 0 {
            return Err(Error::empty(WHAT));
        }
        let d = self.d;
        let n = self.sample.len() / d;
        let sample = &self.sample;
        let mappers = build_mappers(d, &[], self.max_bin, |c| {
            (0..n).map(|r| sample[r * d + c]).collect()
        });
        let used = (0..d).filter(|&c| !mappers[c].is_trivial()).collect();
        Ok(BinMappers {
            mappers,
            used,
            max_bin: self.max_bin,
        })
    }
}

/// The bin boundaries of every feature, found by a [`BinSampler`].
#[derive(Debug, Clone, PartialEq)]
pub struct BinMappers {
    mappers: Vec<BinMapper>,
    used: Vec<usize>,
    max_bin: usize,
}

impl BinMappers {
    /// Input features.
    pub fn n_features(&self) -> usize {
        self.mappers.len()
    }

    /// Features that can split (more than one bin); the others take no storage.
    pub fn n_used(&self) -> usize {
        self.used.len()
    }

    /// Bins of feature `j` (its NaN bin included), or `None` out of range.
    pub fn n_bins(&self, j: usize) -> Option<usize> {
        self.mappers.get(j).map(BinMapper::n_bins)
    }
}

/// Rows binned to one byte per used feature, with their labels (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct BinnedDataset {
    mappers: BinMappers,
    bins: Vec<u8>,
    labels: Vec<f64>,
}

impl BinnedDataset {
    /// An empty dataset binned with `mappers`.
    pub fn new(mappers: &BinMappers) -> BinnedDataset {
        BinnedDataset {
            mappers: mappers.clone(),
            bins: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Bin and append rows `x` with labels `y`. A row with ±inf is an error (as at training);
    /// a value outside the sampled range falls in the first or last bin.
    pub fn push_chunk<F: Float>(
        &mut self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, f64>,
    ) -> Result<()> {
        validate::check_width(x, self.mappers.n_features(), WHAT)?;
        validate::check_len(y.len(), x.nrows(), "number of labels")?;
        let first = self.labels.len();
        if (first + x.nrows()) as u64 > u64::from(u32::MAX) {
            return Err(Error::invalid_param(
                "rows",
                first + x.nrows(),
                "at most 4,294,967,295 rows",
            ));
        }
        for (i, r) in x.rows().into_iter().enumerate() {
            if let Some((c, v)) = r.iter().enumerate().find(|(_, v)| v.as_f64().is_infinite()) {
                return Err(Error::NonFinite {
                    what: WHAT.into(),
                    row: first + i,
                    column: c,
                    value: v.as_f64().to_string(),
                });
            }
        }
        let bins = bin_rows(x, &self.mappers.mappers, &self.mappers.used);
        self.bins.extend_from_slice(&bins);
        self.labels.extend(y.iter().copied());
        Ok(())
    }

    /// Rows so far.
    pub fn n_rows(&self) -> usize {
        self.labels.len()
    }

    /// The labels, in row order.
    pub fn labels(&self) -> &[f64] {
        &self.labels
    }

    /// Bytes of bin storage (rows × used features).
    pub fn bin_bytes(&self) -> usize {
        self.bins.len()
    }
}

impl GbdtParams {
    /// Train on binned rows, consuming them (see [`crate::stream`]); `valid`, binned with the same
    /// [`BinMappers`], serves early stopping and the validation history as in
    /// [`fit_with_validation`](Self::fit_with_validation).
    ///
    /// The bin boundaries are the data's, not these parameters': `max_bin`,
    /// `bin_construct_sample_cnt` and the sampling seed were used by the [`BinSampler`].
    pub fn fit_binned(
        &self,
        train: BinnedDataset,
        valid: Option<&BinnedDataset>,
    ) -> Result<GbdtModel> {
        self.validate()?;
        let n = train.n_rows();
        if n == 0 {
            return Err(Error::empty(WHAT));
        }
        if train.mappers.max_bin != self.max_bin {
            return Err(Error::invalid_param(
                "max_bin",
                self.max_bin,
                format!(
                    "the data was binned with max_bin = {}",
                    train.mappers.max_bin
                ),
            ));
        }
        let d = train.mappers.n_features();
        check_labels(
            ArrayView1::from(&train.labels),
            self.objective,
            "labels",
            true,
        )?;
        if let Some(names) = &self.feature_names {
            validate::check_len(names.len(), d, "number of feature names")?;
        }
        if let Some(&f) = self.categorical_features.first() {
            return Err(Error::invalid_param(
                "categorical_features",
                format!("{:?}", self.categorical_features),
                format!(
                    "categorical features (feature {f}) need the in-memory fit; streamed \
                     training bins every feature as numbers"
                ),
            ));
        }
        if self.early_stopping_rounds.is_some() && valid.is_none() {
            return Err(Error::invalid_param(
                "early_stopping_rounds",
                format!("{:?}", self.early_stopping_rounds),
                "early stopping needs a validation set",
            ));
        }
        if let Some(v) = valid {
            if v.mappers != train.mappers {
                return Err(Error::invalid_param(
                    "valid",
                    "binned dataset",
                    "validation rows must be binned with the training rows' mappers",
                ));
            }
            if v.n_rows() == 0 {
                return Err(Error::empty("validation data"));
            }
            // As the in-memory fit: AUC needs both classes among the validation labels.
            check_labels(
                ArrayView1::from(&v.labels),
                self.objective,
                "validation labels",
                self.effective_metric() == Metric::Auc,
            )?;
        }
        let labels = train.labels;
        let data = BinnedData {
            mappers: train.mappers.mappers,
            used: train.mappers.used,
            bins: train.bins,
            n_rows: n,
        };
        train_binned(
            self,
            &data,
            &labels,
            None,
            valid.map(|v| (v.bins.as_slice(), v.labels.as_slice())),
            d,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Objective;
    use ndarray::{Array1, Array2, s};

    /// 3 features with NaN, a constant column, and a noisy rule.
    fn data(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
        let mut rng = CarteraRng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, 4), |(_, j)| match j {
            0 => rng.uniform_range(-3.0, 3.0),
            1 if rng.bernoulli(0.1) => f64::NAN,
            1 => (rng.index(20) as f64).round(),
            2 => 5.0,
            _ => rng.uniform(),
        });
        let y = Array1::from_shape_fn(n, |i| {
            let v = x[[i, 0]]
                + if x[[i, 1]].is_nan() {
                    1.0
                } else {
                    x[[i, 1]] / 10.0
                };
            f64::from(v > 0.7)
        });
        (x, y)
    }

    fn chunked(
        params: &GbdtParams,
        x: &Array2<f64>,
        y: &Array1<f64>,
        chunk: usize,
    ) -> (BinMappers, BinnedDataset) {
        let n = x.nrows();
        let mut sampler = BinSampler::new(params, x.ncols()).unwrap();
        for a in (0..n).step_by(chunk) {
            sampler
                .push(x.slice(s![a..(a + chunk).min(n), ..]))
                .unwrap();
        }
        assert_eq!(sampler.rows_seen(), n as u64);
        let mappers = sampler.finish().unwrap();
        let mut data = BinnedDataset::new(&mappers);
        for a in (0..n).step_by(chunk) {
            let e = (a + chunk).min(n);
            data.push_chunk(x.slice(s![a..e, ..]), y.slice(s![a..e]))
                .unwrap();
        }
        (mappers, data)
    }

    #[test]
    fn chunks_give_the_in_memory_model() {
        let (x, y) = data(500, 1);
        let (xv, yv) = data(200, 2);
        let params = GbdtParams::new()
            .objective(Objective::Binary { sigmoid: 1.0 })
            .n_estimators(30)
            .num_leaves(7)
            .min_data_in_leaf(5)
            .bagging_fraction(0.8)
            .bagging_freq(2)
            .feature_fraction(0.7)
            .early_stopping_rounds(Some(5))
            .seed(9);
        for chunk in [7, 64, 500] {
            let (mappers, train) = chunked(&params, &x, &y, chunk);
            assert_eq!(mappers.n_used(), 3, "the constant column takes no storage");
            assert_eq!(train.bin_bytes(), 500 * 3);
            let mut valid = BinnedDataset::new(&mappers);
            valid.push_chunk(xv.view(), yv.view()).unwrap();
            let streamed = params.fit_binned(train, Some(&valid)).unwrap();
            let whole = params
                .fit_with_validation(x.view(), y.view(), xv.view(), yv.view())
                .unwrap();
            assert_eq!(streamed, whole, "chunk {chunk}");
            // Predictions are on raw rows.
            assert_eq!(
                streamed.predict_proba(xv.view()).unwrap(),
                whole.predict_proba(xv.view()).unwrap()
            );
        }
    }

    #[test]
    fn multiclass_chunks_give_the_in_memory_model() {
        let (x, y0) = data(300, 3);
        let y = Array1::from_shape_fn(300, |i| y0[i] + f64::from(x[[i, 3]] > 0.5));
        let params = GbdtParams::new()
            .objective(Objective::Multiclass { n_classes: 3 })
            .n_estimators(10)
            .min_data_in_leaf(5);
        let (_, train) = chunked(&params, &x, &y, 7);
        assert_eq!(
            params.fit_binned(train, None).unwrap(),
            params.fit(x.view(), y.view()).unwrap()
        );
    }

    #[test]
    fn a_sample_smaller_than_the_data_still_learns() {
        let (x, y) = data(3000, 4);
        let params = GbdtParams::new()
            .objective(Objective::Binary { sigmoid: 1.0 })
            .n_estimators(20)
            .bin_construct_sample_cnt(250);
        let (mappers, train) = chunked(&params, &x, &y, 97);
        assert!(mappers.n_bins(0).unwrap() > 10);
        let m = params.fit_binned(train, None).unwrap();
        let p = m.predict_proba(x.view()).unwrap();
        let right = (0..3000)
            .filter(|&i| (p[[i, 1]] > 0.5) == (y[i] == 1.0))
            .count();
        assert!(right > 2700, "{right}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let params = GbdtParams::new().objective(Objective::Binary { sigmoid: 1.0 });
        let mut sampler = BinSampler::new(&params, 2).unwrap();
        sampler
            .push(ndarray::array![[1.0, 2.0], [3.0, 4.0]].view())
            .unwrap();
        match sampler.push(ndarray::array![[1.0, f64::INFINITY]].view()) {
            Err(Error::NonFinite {
                row: 2, column: 1, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            sampler.push(ndarray::array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        let mappers = sampler.finish().unwrap();
        let mut data = BinnedDataset::new(&mappers);
        data.push_chunk(
            ndarray::array![[1.0, 2.0]].view(),
            ndarray::array![1.0].view(),
        )
        .unwrap();
        match data.push_chunk(
            ndarray::array![[1.0, 2.0], [f64::NEG_INFINITY, 0.0]].view(),
            ndarray::array![0.0, 1.0].view(),
        ) {
            Err(Error::NonFinite {
                row: 2, column: 0, ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // One class only.
        assert!(matches!(
            params.fit_binned(data.clone(), None),
            Err(Error::TooFewSamples { .. })
        ));
        data.push_chunk(
            ndarray::array![[3.0, 2.0]].view(),
            ndarray::array![2.0].view(),
        )
        .unwrap();
        // A label other than 0/1 is bad data, not a bad parameter.
        assert!(matches!(
            params.fit_binned(data, None),
            Err(Error::InvalidData { .. })
        ));
        assert!(BinSampler::new(&params, 0).is_err());
        assert!(BinSampler::new(&params, 2).unwrap().finish().is_err());
    }
}
