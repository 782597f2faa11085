//! Reading a CSV file larger than memory in chunks of rows, and a uniform row sample of a
//! stream.
//!
//! [`CsvChunks`] yields the file as a sequence of [`Table`]s of at most `chunk_rows` rows each,
//! holding one chunk (plus a read buffer) in memory at a time. Every chunk is parsed by the
//! same reader as [`Table::read_csv`] (same number syntax, missing markers, quoting, UTF-8
//! rules), so reading a file in chunks and concatenating them gives the values of reading it
//! whole.
//!
//! # The schema is fixed by the first chunk
//! The delimiter (unless given) and each column's type are decided on the first chunk, as
//! [`Table::read_csv`] decides them on the whole file, and every later chunk is read with that
//! schema: a column that was numeric in the first chunk must stay numeric. A later value that
//! is not a number in such a column is an [`Error::Parse`] naming its line in the file and its
//! column, never a silent change of type. To avoid surprises, declare the types that matter
//! with [`CsvOptions::column_type`]: declared types are kept as declared.
//!
//! Categorical columns keep one dictionary per chunk (each chunk's levels are the ones that
//! occur in it): compare values with [`Column::get_string`](super::Column::get_string), not
//! codes, across chunks.
//!
//! # Row counting
//! A chunk holds `chunk_rows` records; blank lines are skipped and not counted, as by the whole
//! reader. Chunk boundaries fall on record ends outside quotes, so quoted fields may contain
//! newlines. Boundaries depend on the bytes and `chunk_rows` only, never on the thread count.
//!
//! ```
//! use cartera_preprocess::table::CsvChunks;
//! use cartera_preprocess::CsvOptions;
//!
//! let csv = "id,spend\n1,10.5\n2,3\n3,NA\n4,7\n5,1\n";
//! let chunks = CsvChunks::from_reader(csv.as_bytes(), "mem.csv", &CsvOptions::default(), 2)?;
//! let sizes: Vec<usize> = chunks.map(|t| t.map(|t| t.n_rows())).collect::<Result<_, _>>()?;
//! assert_eq!(sizes, vec![2, 2, 1]);
//!
//! // A text value in a column the first chunk read as numeric is an error naming the cell.
//! let bad = "id,spend\n1,10\n2,3\n3,ten\n";
//! let mut chunks = CsvChunks::from_reader(bad.as_bytes(), "bad.csv", &CsvOptions::default(), 2)?;
//! assert!(chunks.next().unwrap().is_ok());
//! let err = chunks.next().unwrap().unwrap_err().to_string();
//! assert!(err.starts_with("bad.csv:4:2:"), "{err}");
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::fs::File;
use std::io::Read;
use std::path::Path;

use cartera_core::{CarteraRng, Error, Result, validate};
use ndarray::{Array2, ArrayView2};

use super::csv_read::{CsvOptions, cr_to_lf, detect_delimiter};
use super::{ColumnType, Table};

/// Bytes asked of the underlying reader at a time.
const READ_BYTES: usize = 4 << 20;

/// A CSV file read as a sequence of tables of at most `chunk_rows` rows (see the
/// [module docs](self)).
///
/// An iterator of `Result<Table>`; after the first error it yields nothing more.
pub struct CsvChunks<R: Read> {
    reader: R,
    source: String,
    chunk_rows: usize,
    /// The options of the first chunk; after it, the options fixing its delimiter and types.
    options: CsvOptions,
    /// The header record, with its line end.
    header: Vec<u8>,
    /// Lines (newlines) in the header.
    header_lines: u64,
    /// Bytes read from `reader` and not yet handed out in a chunk.
    buf: Vec<u8>,
    eof: bool,
    done: bool,
    schema: Option<Vec<(String, ColumnType)>>,
    delimiter: Option<u8>,
    /// 1-based line in the file of the first byte of `buf`.
    next_line: u64,
    rows_read: u64,
    /// Whether lines end with CR alone (classic Mac OS), decided on the first bytes holding a
    /// line end: `None` until then. Such bytes are read with each CR turned into LF, as the
    /// whole-file reader does.
    cr_only: Option<bool>,
}

impl CsvChunks<File> {
    /// Open a file to read in chunks of `chunk_rows` rows; reads the header only.
    pub fn open(
        path: impl AsRef<Path>,
        options: &CsvOptions,
        chunk_rows: usize,
    ) -> Result<CsvChunks<File>> {
        let path = path.as_ref();
        let file =
            File::open(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        CsvChunks::from_reader(file, &path.display().to_string(), options, chunk_rows)
    }
}

impl<R: Read> CsvChunks<R> {
    /// Read CSV from any reader in chunks of `chunk_rows` rows; `source_name` is used in error
    /// messages. Reads the header only.
    pub fn from_reader(
        reader: R,
        source_name: &str,
        options: &CsvOptions,
        chunk_rows: usize,
    ) -> Result<CsvChunks<R>> {
        if chunk_rows == 0 {
            return Err(Error::invalid_param("chunk_rows", 0, "must be at least 1"));
        }
        let mut c = CsvChunks {
            reader,
            source: source_name.to_string(),
            chunk_rows,
            options: options.clone(),
            header: Vec::new(),
            header_lines: 0,
            buf: Vec::new(),
            eof: false,
            done: false,
            schema: None,
            delimiter: None,
            next_line: 1,
            rows_read: 0,
            cr_only: None,
        };
        if !options.header() {
            // No header to hold back: every record is data, and each chunk is read with the
            // same options, so its columns are named `0`, `1`, ... as the whole file's would
            // be. Only a byte-order mark is dropped.
            while c.buf.len() < 3 && c.fill()? {}
            if c.buf.starts_with(b"\xEF\xBB\xBF") {
                c.buf.drain(..3);
            }
            return Ok(c);
        }
        // The header: the first record, quotes honoured.
        let mut in_quotes = false;
        let mut scanned = 0;
        let end = loop {
            if let Some(e) = scan_header(&c.buf[scanned..], &mut in_quotes) {
                break scanned + e;
            }
            scanned = c.buf.len();
            let undecided = c.cr_only.is_none();
            if !c.fill()? {
                break c.buf.len();
            }
            if undecided && c.cr_only == Some(true) {
                // The read that found the file's CR-only line ends turned every CR already in
                // `buf` into a line end, the first one among them: scan again from the start.
                scanned = 0;
                in_quotes = false;
            }
        };
        let bom = if c.buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        c.header = c.buf[bom.min(end)..end].to_vec();
        if c.header.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::empty(format!(
                "{source_name}: the file (no header, no rows)"
            )));
        }
        c.header_lines = c.header.iter().filter(|&&b| b == b'\n').count() as u64;
        c.next_line = c.header_lines + 1;
        c.buf.drain(..end);
        Ok(c)
    }

    /// The column names and types, fixed by the first chunk (`None` before it is read).
    pub fn schema(&self) -> Option<&[(String, ColumnType)]> {
        self.schema.as_deref()
    }

    /// The delimiter in use (`None` before the first chunk when it is detected).
    pub fn delimiter(&self) -> Option<u8> {
        self.delimiter.or(self.options.given_delimiter())
    }

    /// Rows handed out so far (the 0-based index of the next chunk's first row).
    pub fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Read more bytes into `buf`; false at end of input.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_BYTES, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(Error::io(format!("reading {}", self.source), e));
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        if self.cr_only.is_none() {
            // The new bytes and the one before them: a CR read last time is decided by the
            // byte after it (LF or not). Nothing is handed out before a line end is found, so
            // that byte is still in `buf`.
            let seen = &self.buf[old.saturating_sub(1)..];
            if seen.contains(&b'\n') {
                self.cr_only = Some(false);
            } else if seen
                .iter()
                .position(|&b| b == b'\r')
                .is_some_and(|i| i + 1 < seen.len())
                || (self.eof && self.buf.contains(&b'\r'))
            {
                self.cr_only = Some(true);
                cr_to_lf(&mut self.buf);
            }
        } else if self.cr_only == Some(true) {
            cr_to_lf(&mut self.buf[old..]);
        }
        Ok(n > 0)
    }

    /// The end (exclusive) of the next chunk's bytes in `buf` and its record count.
    fn next_boundary(&mut self) -> Result<(usize, usize)> {
        let mut in_quotes = false;
        let mut content = false;
        let mut rows = 0usize;
        let mut i = 0usize;
        loop {
            while i < self.buf.len() {
                let b = self.buf[i];
                i += 1;
                match b {
                    b'"' => {
                        in_quotes = !in_quotes;
                        content = true;
                    }
                    b'\n' if !in_quotes => {
                        if content {
                            rows += 1;
                            content = false;
                            if rows == self.chunk_rows {
                                return Ok((i, rows));
                            }
                        }
                    }
                    b'\r' => {}
                    _ => content = true,
                }
            }
            if !self.fill()? {
                // The last record may lack its line end.
                return Ok((self.buf.len(), rows + usize::from(content)));
            }
        }
    }

    fn read_chunk(&mut self) -> Result<Option<Table>> {
        let (end, rows) = self.next_boundary()?;
        if rows == 0 {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(self.header.len() + end + 1);
        bytes.extend_from_slice(&self.header);
        // The header line as the chunk reads it: none without a header, or the header with a
        // line end.
        let header_lines = if self.header.is_empty() || self.header.ends_with(b"\n") {
            self.header_lines
        } else {
            bytes.push(b'\n');
            self.header_lines + 1
        };
        bytes.extend_from_slice(&self.buf[..end]);
        let body_lines = self.buf[..end].iter().filter(|&&b| b == b'\n').count() as u64;
        let first_line = self.next_line;
        if self.delimiter.is_none() {
            let d = match self.options_delimiter_given() {
                Some(d) => d,
                None => {
                    // The header and the first record, or without a header the first two
                    // records, as the whole-file reader does.
                    let body = &self.buf[..end];
                    let (first, rest) = if self.header.is_empty() {
                        body.split_at(first_record_end(body))
                    } else {
                        (&self.header[..], body)
                    };
                    detect_delimiter(first, &rest[..first_record_end(rest)])
                }
            };
            self.options = self.options.clone().delimiter(d);
            self.delimiter = Some(d);
        }
        let table = Table::read_csv_bytes(&bytes, &self.source, &self.options)
            .map_err(|e| self.relocate(e, first_line, header_lines))?;
        drop(bytes);
        self.buf.drain(..end);
        self.next_line += body_lines;
        self.rows_read += table.n_rows() as u64;
        if self.schema.is_none() {
            let schema: Vec<(String, ColumnType)> = table
                .names()
                .iter()
                .zip(table.columns())
                .map(|(n, c)| (n.clone(), c.column_type()))
                .collect();
            for (n, ty) in &schema {
                self.options = self.options.clone().column_type(n, *ty);
            }
            self.schema = Some(schema);
        }
        Ok(Some(table))
    }

    /// The delimiter the caller gave in the options, if any.
    fn options_delimiter_given(&self) -> Option<u8> {
        self.options.given_delimiter()
    }

    /// Turn a parse error inside a chunk into one naming the line of the file.
    fn relocate(&self, e: Error, first_line: u64, header_lines: u64) -> Error {
        match e {
            Error::Parse {
                source_name,
                line,
                column,
                message,
            } => {
                let line = if line > header_lines {
                    first_line + (line - header_lines - 1)
                } else {
                    line
                };
                let message = if self.schema.is_some() && message.contains("is declared numeric") {
                    format!(
                        "{message} (the column's type was fixed on the first rows of the file; \
                         declare its type to read it otherwise)"
                    )
                } else {
                    message
                };
                Error::Parse {
                    source_name,
                    line,
                    column,
                    message,
                }
            }
            other => other,
        }
    }
}

impl<R: Read> Iterator for CsvChunks<R> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Result<Table>> {
        if self.done {
            return None;
        }
        match self.read_chunk() {
            Ok(Some(t)) => Some(Ok(t)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// End (exclusive) of the first record of `bytes` in the header scan, continuing a quote state.
fn scan_header(bytes: &[u8], in_quotes: &mut bool) -> Option<usize> {
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => *in_quotes = !*in_quotes,
            b'\n' if !*in_quotes => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// End (exclusive) of the first record of `bytes`, or its length.
fn first_record_end(bytes: &[u8]) -> usize {
    let mut q = false;
    scan_header(bytes, &mut q).unwrap_or(bytes.len())
}

/// A uniform random sample of at most `capacity` rows of a stream of numeric rows (reservoir
/// sampling, Vitter's algorithm R), the way a bin or scaler statistic is estimated on a file
/// too large to hold.
///
/// The sample depends only on the seed and the sequence of rows, never on how the rows are cut
/// into chunks or on the thread count. While at most `capacity` rows have been seen, the sample
/// is every row, in order.
///
/// ```
/// use cartera_preprocess::table::RowSample;
/// use ndarray::array;
///
/// let mut s = RowSample::new(2, 3, 7)?;
/// s.push(array![[1.0, 2.0], [3.0, 4.0]].view())?;
/// assert_eq!(s.rows_seen(), 2);
/// assert_eq!(s.to_array().nrows(), 2);             // all rows so far
/// s.push(array![[5.0, 6.0], [7.0, 8.0]].view())?;
/// assert_eq!(s.to_array().nrows(), 3);             // capped
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RowSample {
    d: usize,
    capacity: usize,
    data: Vec<f64>,
    seen: u64,
    rng: CarteraRng,
}

impl RowSample {
    /// A sample of at most `capacity` rows of width `d`, drawn with `seed`.
    pub fn new(d: usize, capacity: usize, seed: u64) -> Result<RowSample> {
        if capacity == 0 {
            return Err(Error::invalid_param("sample size", 0, "must be at least 1"));
        }
        Ok(RowSample {
            d,
            capacity,
            data: Vec::with_capacity(capacity.min(1 << 20) * d),
            seen: 0,
            rng: CarteraRng::seed_from_u64(seed),
        })
    }

    /// Offer the next rows of the stream.
    pub fn push(&mut self, rows: ArrayView2<'_, f64>) -> Result<()> {
        validate::check_width(rows, self.d, "rows to sample")?;
        for r in rows.rows() {
            let seen = self.seen as usize;
            if seen < self.capacity {
                self.data.extend(r.iter().copied());
            } else {
                let j = self.rng.index(seen + 1);
                if j < self.capacity {
                    self.data[j * self.d..(j + 1) * self.d]
                        .iter_mut()
                        .zip(r.iter())
                        .for_each(|(o, v)| *o = *v);
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

    /// The sampled rows (row-major, `min(rows_seen, capacity) x d`).
    pub fn to_array(&self) -> Array2<f64> {
        let n = self.data.len() / self.d.max(1);
        // The buffer holds exactly n whole rows of width d by construction.
        Array2::from_shape_vec((n, self.d), self.data.clone())
            .unwrap_or_else(|_| Array2::zeros((0, self.d)))
    }

    /// The sampled rows, consuming the sample.
    pub fn into_array(self) -> Array2<f64> {
        let n = self.data.len() / self.d.max(1);
        let d = self.d;
        Array2::from_shape_vec((n, d), self.data).unwrap_or_else(|_| Array2::zeros((0, d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Column;

    fn chunks(text: &str, n: usize) -> Result<Vec<Table>> {
        CsvChunks::from_reader(text.as_bytes(), "t.csv", &CsvOptions::default(), n)?.collect()
    }

    fn same_values(a: &Table, parts: &[Table]) {
        assert_eq!(parts.iter().map(Table::n_rows).sum::<usize>(), a.n_rows());
        for (j, name) in a.names().iter().enumerate() {
            let whole = &a.columns()[j];
            let mut i = 0;
            for p in parts {
                assert_eq!(p.names(), a.names());
                let c = p.column(name).unwrap();
                for r in 0..p.n_rows() {
                    match (whole, c) {
                        (Column::Numeric(w), Column::Numeric(v)) => {
                            assert_eq!(w[i].to_bits(), v[r].to_bits(), "{name} row {i}")
                        }
                        _ => assert_eq!(whole.get_string(i), c.get_string(r), "{name} row {i}"),
                    }
                    i += 1;
                }
            }
        }
    }

    #[test]
    fn chunks_equal_the_whole_read() {
        let mut text = String::from("\u{feff}id;name;spend;note\r\n");
        for i in 0..53 {
            let spend = if i % 11 == 3 {
                "NA".to_string()
            } else {
                format!("{}.{}", i * 7, i % 10)
            };
            let name = ["ana", "luis", "\"o;k\"", "zoe"][i % 4];
            let note = if i % 9 == 0 {
                "\"two\nlines\"".to_string()
            } else {
                format!("n{i}")
            };
            text.push_str(&format!("{i};{name};{spend};{note}\r\n"));
            if i == 20 {
                text.push_str("\r\n\n");
            }
        }
        let whole =
            Table::read_csv_bytes(text.as_bytes(), "t.csv", &CsvOptions::default()).unwrap();
        for n in [1, 2, 7, 52, 53, 54, 1000] {
            let parts = chunks(&text, n).unwrap();
            assert_eq!(parts.len(), 53usize.div_ceil(n), "n = {n}");
            same_values(&whole, &parts);
        }
    }

    #[test]
    fn chunks_without_a_header_equal_the_whole_read() {
        // `;`-separated, a byte-order mark, a quoted line break and a blank line: every line
        // is data, in chunks as in one read, and a ragged line is named by its file line.
        let mut text = String::from("\u{feff}");
        for i in 0..29 {
            let note = if i % 7 == 0 {
                "\"a\nb\"".to_string()
            } else {
                format!("n{i}")
            };
            text.push_str(&format!("{i};{}.5;{note}\n", i * 3));
            if i == 10 {
                text.push('\n');
            }
        }
        let opts = CsvOptions::default().has_header(false);
        let whole = Table::read_csv_bytes(text.as_bytes(), "t.csv", &opts).unwrap();
        assert_eq!(whole.names(), ["0", "1", "2"]);
        assert_eq!(whole.n_rows(), 29);
        assert_eq!(whole.column("0").unwrap().as_numeric().unwrap()[0], 0.0);
        for n in [1, 4, 28, 29, 100] {
            let parts: Vec<Table> = CsvChunks::from_reader(text.as_bytes(), "t.csv", &opts, n)
                .unwrap()
                .collect::<Result<_>>()
                .unwrap();
            assert_eq!(parts.len(), 29usize.div_ceil(n), "n = {n}");
            same_values(&whole, &parts);
        }
        // Line 1 + 4 quoted breaks (rows 0, 7, 14, 21) + 1 blank line: row 24 is on line 30.
        let bad = text.replacen("24;72.5;n24\n", "24;72.5\n", 1);
        let err = CsvChunks::from_reader(bad.as_bytes(), "t.csv", &opts, 5)
            .unwrap()
            .collect::<Result<Vec<Table>>>()
            .unwrap_err();
        match err {
            Error::Parse { line, message, .. } => {
                assert_eq!(line, 30);
                assert_eq!(message, "expected 3 fields (as in the first line), found 2");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cr_only_line_ends_read_as_lines() {
        let text = "a,b\r1,2\r3,4\r5,6\r";
        let parts = chunks(text, 2).unwrap();
        assert_eq!(parts.iter().map(Table::n_rows).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(parts[1].column("b").unwrap().as_numeric(), Some(&[6.0][..]));
        // A reader handing out one byte at a time: the CR of each CRLF arrives alone.
        struct Drip<'a>(&'a [u8]);
        impl std::io::Read for Drip<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                out[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        for (text, rows) in [
            ("a,b\r\n1,2\r\n3,4\r\n", 2),
            ("a,b\r1,2\r3,4", 2),
            ("a,b\r1,2\r3,4\r5,6\r7,8\r", 4),
        ] {
            let got: usize =
                CsvChunks::from_reader(Drip(text.as_bytes()), "t", &CsvOptions::default(), 1)
                    .unwrap()
                    .map(|t| t.unwrap().n_rows())
                    .sum();
            assert_eq!(got, rows, "{text:?}");
        }
    }

    /// A reader handing out one line per read: the first read ends on the header's CR, which
    /// the second read decides is a line end. The header is `a,b` alone (it took the first
    /// row along, repeated in every chunk).
    #[test]
    fn cr_only_lines_read_one_at_a_time() {
        struct Lines<'a>(std::str::SplitInclusive<'a, char>);
        impl std::io::Read for Lines<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let Some(line) = self.0.next() else {
                    return Ok(0);
                };
                out[..line.len()].copy_from_slice(line.as_bytes());
                Ok(line.len())
            }
        }
        let text = "a,b\r1,2\r3,4\r5,6\r7,8\r";
        for rows in [1, 2, 3] {
            let parts: Vec<Table> = CsvChunks::from_reader(
                Lines(text.split_inclusive('\r')),
                "t",
                &CsvOptions::default(),
                rows,
            )
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
            let a: Vec<f64> = parts
                .iter()
                .flat_map(|t| t.column("a").unwrap().as_numeric().unwrap().to_vec())
                .collect();
            assert_eq!(a, [1.0, 3.0, 5.0, 7.0], "chunks of {rows}");
        }
    }

    #[test]
    fn last_record_without_line_end_and_blank_tail() {
        let parts = chunks("a,b\n1,2\n3,4", 7).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].n_rows(), 2);
        let parts = chunks("a,b\n1,2\n3,4\n\n\n", 2).unwrap();
        assert_eq!(parts.len(), 1);
    }

    #[test]
    fn later_text_in_a_numeric_column_names_line_and_column() {
        let mut text = String::from("x,y\n");
        for i in 0..20 {
            text.push_str(&format!("{i},{}\n", i * 2));
        }
        text.push_str("21,oops\n");
        match chunks(&text, 7) {
            Err(Error::Parse {
                line,
                column,
                message,
                ..
            }) => {
                assert_eq!((line, column), (22, 2), "{message}");
                assert!(message.contains("first rows"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Declared text: read as text everywhere.
        let opts = CsvOptions::default().column_type("y", ColumnType::Text);
        let parts: Vec<Table> = CsvChunks::from_reader(text.as_bytes(), "t", &opts, 7)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].column_type("y").unwrap(), ColumnType::Text);
    }

    #[test]
    fn ragged_row_in_a_later_chunk_names_its_line() {
        let text = "a,b\n1,2\n3,4\n5\n";
        match chunks(text, 2) {
            Err(Error::Parse { line, .. }) => assert_eq!(line, 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_inputs_and_bad_sizes() {
        assert!(matches!(chunks("", 3), Err(Error::EmptyInput { .. })));
        assert!(chunks("a,b\n", 3).unwrap().is_empty());
        assert!(matches!(
            CsvChunks::from_reader(&b"a\n1\n"[..], "t", &CsvOptions::default(), 0),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn sample_ignores_chunking() {
        let x = Array2::from_shape_fn((1000, 3), |(i, j)| (i * 3 + j) as f64);
        let mut a = RowSample::new(3, 100, 5).unwrap();
        a.push(x.view()).unwrap();
        let mut b = RowSample::new(3, 100, 5).unwrap();
        for s in (0..1000).step_by(7) {
            b.push(x.slice(ndarray::s![s..(s + 7).min(1000), ..]))
                .unwrap();
        }
        assert_eq!(a.to_array(), b.to_array());
        assert_eq!(a.rows_seen(), 1000);
        // Roughly uniform: the sample's mean row index is near the middle.
        let mean = a.to_array().column(0).mean().unwrap() / 3.0;
        assert!((mean - 500.0).abs() < 100.0, "{mean}");
        let mut small = RowSample::new(3, 2000, 5).unwrap();
        small.push(x.view()).unwrap();
        assert_eq!(small.into_array(), x);
    }
}
