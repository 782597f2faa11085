//! `cartera kmeans --algorithm minibatch --chunk-rows N`: mini-batch K-Means on a CSV larger
//! than memory, streamed chunk by chunk.
//!
//! Passes over the file (each holds one chunk in memory at a time):
//! 1. with `--scale` only: a seeded uniform sample of `--sample-rows` rows (reservoir), on
//!    which the scaler is fitted — a file with at most that many rows is used whole, so its
//!    scaler is the in-memory one;
//! 2. the fit: the rows, in file order, cut into consecutive batches of `--batch-size` rows
//!    (a batch may straddle two chunks), each one `partial_fit` step; the first batch also
//!    chooses the initial centres (k-means++). The result depends on the file, the batch size
//!    and the seed, never on `--chunk-rows` or the thread count;
//! 3. the assignment: every row's nearest centre, the total inertia and the sizes, and with
//!    `--out` the rows with their `cluster` written chunk by chunk.
//!
//! One pass of consecutive batches is one epoch of mini-batch K-Means: a file sorted by
//! segment would bias the early steps, so shuffle such a file first.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use cartera_core::{Error, Result};
use cartera_kmeans::{MiniBatchKMeans, MiniBatchKMeansParams};
use cartera_preprocess::scale::{FittedScaler, ScalerKind};
use cartera_preprocess::table::{CsvChunks, RowSample};
use cartera_preprocess::{ColumnType, CsvOptions, Table};
use ndarray::{Array2, ArrayView2};
use serde_json::json;

use super::{Algo, Args, rows};

/// The numeric matrix of `names` in one chunk; a missing value is an error naming its data row
/// in the file (1-based, header excluded) and its column.
pub fn chunk_matrix(table: &Table, names: &[String], first_row: u64) -> Result<Array2<f64>> {
    for n in names {
        let col = table.column(n)?;
        if col.column_type() != ColumnType::Numeric {
            return Err(Error::ColumnType {
                name: n.clone(),
                expected: "numeric".into(),
                found: col.column_type().to_string(),
            });
        }
        if let Some(i) = (0..col.len()).find(|&i| col.is_missing(i)) {
            return Err(Error::invalid_param(
                "column",
                n,
                format!(
                    "data row {} has a missing value: impute first (cartera prep --impute mean)",
                    first_row + i as u64 + 1
                ),
            ));
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    super::super::check_finite(table, &refs, true, first_row)?;
    table.to_array::<f64>(&refs)
}

/// Feeds rows to `partial_fit` in consecutive batches of `batch` rows, whatever the chunking.
struct Batcher {
    params: MiniBatchKMeansParams,
    batch: usize,
    d: usize,
    pending: Vec<f64>,
    model: Option<MiniBatchKMeans<f64>>,
}

impl Batcher {
    fn step(&mut self, x: ArrayView2<'_, f64>) -> Result<()> {
        match &mut self.model {
            Some(m) => m.partial_fit(x),
            None => {
                self.model = Some(self.params.partial_fit(x)?);
                Ok(())
            }
        }
    }

    fn push(&mut self, x: ArrayView2<'_, f64>) -> Result<()> {
        let mut r = 0;
        // Complete a batch left over from the previous chunk first.
        if !self.pending.is_empty() {
            let need = self.batch - self.pending.len() / self.d;
            let take = need.min(x.nrows());
            for row in x.rows().into_iter().take(take) {
                self.pending.extend(row.iter().copied());
            }
            r = take;
            if self.pending.len() / self.d == self.batch {
                let b = std::mem::take(&mut self.pending);
                let v = ArrayView2::from_shape((self.batch, self.d), &b)
                    .map_err(|e| Error::invalid_param("batch", self.batch, e.to_string()))?;
                self.step(v)?;
            }
        }
        while x.nrows() - r >= self.batch {
            self.step(x.slice(ndarray::s![r..r + self.batch, ..]))?;
            r += self.batch;
        }
        for row in x.rows().into_iter().skip(r) {
            self.pending.extend(row.iter().copied());
        }
        Ok(())
    }

    /// The last, shorter batch. When no batch was full, it is the whole input, and it must
    /// hold at least `k` rows (`source` names the input in that error).
    fn finish(mut self, k: usize, source: &Path) -> Result<Option<MiniBatchKMeans<f64>>> {
        if !self.pending.is_empty() {
            let n = self.pending.len() / self.d;
            if self.model.is_none() && n < k {
                return Err(Error::invalid_param(
                    "--k",
                    k,
                    format!(
                        "asks for {k} clusters, but {} has {n} rows (at most one cluster per row)",
                        source.display()
                    ),
                ));
            }
            let b = std::mem::take(&mut self.pending);
            let v = ArrayView2::from_shape((n, self.d), &b)
                .map_err(|e| Error::invalid_param("batch", n, e.to_string()))?;
            self.step(v)?;
        }
        Ok(self.model)
    }
}

/// Rows read to decide the column types (and, for `train`, the identifier columns), whatever
/// the chunk size, so that the schema, and every result, do not depend on `--chunk-rows`.
pub const PROBE_ROWS: usize = 10_000;

/// The first `max(chunk_rows, PROBE_ROWS)` rows of `path`, and `opts` with every column's type
/// declared as read there: every later pass reads the file with this schema.
pub fn probe(path: &Path, opts: &CsvOptions, chunk_rows: usize) -> Result<(Table, CsvOptions)> {
    let first = CsvChunks::open(path, opts, chunk_rows.max(PROBE_ROWS))?
        .next()
        .transpose()?
        .ok_or_else(|| Error::empty(format!("{}: data rows", path.display())))?;
    let mut fixed = opts.clone();
    for (n, c) in first.names().iter().zip(first.columns()) {
        fixed = fixed.column_type(n, c.column_type());
    }
    Ok((first, fixed))
}

fn chunks(a: &Args, opts: &CsvOptions, chunk_rows: usize) -> Result<CsvChunks<File>> {
    CsvChunks::open(&a.input, opts, chunk_rows)
}

/// Run `cartera kmeans` streaming (see the module docs).
pub fn run(a: &Args, ks: &[usize], chunk_rows: usize) -> Result<()> {
    // The labelled rows are written while the input is read again: the same file as both
    // would be emptied before its last pass (the in-memory path reads everything first).
    if let Some(out) = a
        .out
        .as_deref()
        .filter(|p| super::super::same_file(&a.input, p))
    {
        return Err(Error::invalid_param(
            "--out",
            out.display(),
            "is the input file, which a streamed fit reads again while writing; write \
             the labelled rows to another file",
        ));
    }
    if !matches!(a.algorithm, Algo::Minibatch) {
        return Err(Error::invalid_param(
            "--chunk-rows",
            chunk_rows,
            "streaming needs --algorithm minibatch (Lloyd and Elkan read every row each iteration)",
        ));
    }
    let &[k] = ks else {
        return Err(Error::invalid_param(
            "--k",
            &a.k,
            "streaming fits a single k (a range would read the file once per k)",
        ));
    };
    if chunk_rows == 0 {
        return Err(Error::invalid_param(
            "--chunk-rows",
            0,
            "must be at least 1",
        ));
    }
    if a.sample_rows == 0 {
        return Err(Error::invalid_param(
            "--sample-rows",
            0,
            "must be at least 1",
        ));
    }
    if a.batch_size() < k {
        return Err(Error::invalid_param(
            "--batch-size",
            a.batch_size(),
            format!(
                "is below --k {k}: a streamed fit seeds its centres on the first batch, which \
                 needs at least k rows; raise --batch-size"
            ),
        ));
    }
    let params = MiniBatchKMeansParams::new(k)
        .batch_size(a.batch_size())
        .n_init(a.n_init)
        .seed(a.seed);
    params.check()?;
    let t0 = Instant::now();
    let (first, opts) = probe(&a.input, &a.csv.options()?, chunk_rows)?;
    let names =
        super::super::numeric_features(&first, &a.columns, &[super::LABEL_COLUMN], "cluster on")?;
    drop(first);
    let d = names.len();

    // Pass 1: the scaler, on a sample.
    let t_scale = Instant::now();
    let mut sample_size = 0usize;
    let scaler: Option<FittedScaler<f64>> = match a.scale {
        None => None,
        Some(s) => {
            let mut sample = RowSample::new(d, a.sample_rows, a.seed)?;
            let mut it = chunks(a, &opts, chunk_rows)?;
            while let Some(t) = it.next().transpose()? {
                let first_row = it.rows_read() - t.n_rows() as u64;
                sample.push(chunk_matrix(&t, &names, first_row)?.view())?;
            }
            let x = sample.into_array();
            sample_size = x.nrows();
            Some(ScalerKind::from(s).fit(x.view())?)
        }
    };
    let mut scale_seconds = t_scale.elapsed().as_secs_f64();
    let scale = |x: Array2<f64>| -> Result<Array2<f64>> {
        match &scaler {
            Some(s) => s.transform(x.view()),
            None => Ok(x),
        }
    };

    // Pass 2: the fit. Reading, scaling and fitting alternate chunk by chunk; each is timed
    // apart, so `fit_seconds` is the mini-batch steps alone, as for an in-memory fit.
    let (mut read_seconds, mut fit_seconds) = (0.0f64, 0.0f64);
    let mut batcher = Batcher {
        params: params.clone(),
        batch: a.batch_size(),
        d,
        pending: Vec::new(),
        model: None,
    };
    let mut n_chunks = 0usize;
    let mut it = chunks(a, &opts, chunk_rows)?;
    loop {
        let t = Instant::now();
        let Some(chunk) = it.next().transpose()? else {
            read_seconds += t.elapsed().as_secs_f64();
            break;
        };
        let first_row = it.rows_read() - chunk.n_rows() as u64;
        let x = chunk_matrix(&chunk, &names, first_row)?;
        let t = {
            let now = Instant::now();
            read_seconds += now.duration_since(t).as_secs_f64();
            now
        };
        let x = scale(x)?;
        let t = {
            let now = Instant::now();
            scale_seconds += now.duration_since(t).as_secs_f64();
            now
        };
        batcher.push(x.view())?;
        fit_seconds += t.elapsed().as_secs_f64();
        n_chunks += 1;
    }
    let t = Instant::now();
    let model = batcher
        .finish(k, &a.input)?
        .ok_or_else(|| Error::empty(format!("{}: data rows", a.input.display())))?;
    fit_seconds += t.elapsed().as_secs_f64();

    // Pass 3: labels, inertia, sizes, and the labelled rows.
    let t2 = Instant::now();
    let mut out: Option<BufWriter<Box<dyn Write>>> = match &a.out {
        Some(p) if super::super::is_stdout(p) => {
            Some(BufWriter::new(Box::new(std::io::stdout().lock())))
        }
        Some(p) => {
            cartera_core::validate::check_output_file(p)?;
            Some(BufWriter::new(Box::new(File::create(p).map_err(|e| {
                Error::io(format!("writing {}", p.display()), e)
            })?)))
        }
        None => None,
    };
    let mut sizes = vec![0usize; k];
    let mut inertia = 0.0f64;
    let mut n_rows = 0u64;
    let mut it = chunks(a, &opts, chunk_rows)?;
    while let Some(t) = it.next().transpose()? {
        let rows = t.n_rows() as u64;
        let first_row = it.rows_read() - rows;
        let x = scale(chunk_matrix(&t, &names, first_row)?)?;
        let labels = model.predict(x.view())?;
        // Summed row by row in file order, so the total does not depend on the chunking.
        let c = model.centroids();
        for (row, &l) in x.rows().into_iter().zip(&labels) {
            sizes[l] += 1;
            inertia += row
                .iter()
                .zip(c.row(l))
                .map(|(v, m)| (v - m) * (v - m))
                .sum::<f64>();
        }
        if let Some(w) = &mut out {
            let t = super::with_labels(t, labels.iter().copied(), n_rows == 0)?;
            let mut bytes = Vec::new();
            t.write_csv_to(&mut bytes)?;
            // The header once: later chunks are written without theirs.
            let skip = if n_rows == 0 {
                0
            } else {
                let mut h = Vec::new();
                t.take_rows(&[])?.write_csv_to(&mut h)?;
                h.len()
            };
            w.write_all(&bytes[skip..])
                .map_err(|e| Error::io("writing the labelled rows", e))?;
        }
        n_rows += rows;
    }
    if let Some(mut w) = out {
        w.flush()
            .map_err(|e| Error::io("writing the labelled rows", e))?;
    }
    let assign_seconds = t2.elapsed().as_secs_f64();
    let seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "{}: {n_rows} rows in {n_chunks} chunks, k = {k}, inertia {inertia:.6e}, sizes {sizes:?} \
         (read {read_seconds:.2} s, fit {fit_seconds:.2} s, assign {assign_seconds:.2} s, \
         total {seconds:.2} s)",
        a.input.display(),
    );
    if let Some(target) = &a.json {
        let centroids = model.centroids();
        let mut v = json!({
            "input": a.input.display().to_string(),
            "columns": names,
            "k": k,
            "inertia": inertia,
            "n_iter": model.n_iter(),
            "n_steps": model.n_steps(),
            "converged": false,
            "sizes": sizes,
            "centroids": rows(centroids),
            "read_seconds": read_seconds,
            "fit_seconds": fit_seconds,
            "scale_seconds": scale_seconds,
            "assign_seconds": assign_seconds,
            "seconds": seconds,
            "stream": {
                "rows": n_rows,
                "chunk_rows": chunk_rows,
                "chunks": n_chunks,
                "batch_size": a.batch_size(),
                "epochs": 1,
                "scaler_sample_rows": scaler.as_ref().map(|_| sample_size),
            },
        });
        if let (Some(s), Some(obj)) = (&scaler, v.as_object_mut()) {
            obj.insert(
                "centroids_original".into(),
                json!(rows(&s.inverse_transform(centroids.view())?)),
            );
        }
        super::super::write_json(target, &v)?;
    }
    Ok(())
}
