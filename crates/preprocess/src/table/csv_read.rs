//! Parallel CSV reading with delimiter detection and type inference.
//!
//! # How a file is read
//! 1. The whole file is read into memory and a UTF-8 byte-order mark is skipped.
//! 2. The delimiter is taken from [`CsvOptions`] or detected from the header line (`,` `;` tab
//!    `|`, outside quotes, cross-checked against the second line).
//! 3. The body is cut into blocks of about 2 MiB at record boundaries (a newline outside quotes,
//!    so quoted fields may contain newlines). Block boundaries depend on the bytes only, never on
//!    the thread count; blocks are parsed in parallel and joined in order, and the error reported
//!    is always the first one in the file.
//! 4. Each column starts out numeric. Its first value that is neither missing nor a number turns
//!    it into a string column (values already seen in that block are re-read as text). After
//!    all blocks, a string column becomes categorical or text by [`CategoricalRule`], unless
//!    the user declared its type.
//!
//! # Values
//! * Missing: after trimming ASCII spaces and tabs, an empty field or one of
//!   [`CsvOptions::missing_values`] (default [`DEFAULT_MISSING`]: pandas' markers and `?`).
//!   Numbers are trimmed too; text values are kept as written.
//! * Numbers: Rust's `f64` syntax (`12`, `-3.5`, `1e-3`, `.5`, `inf`, `-inf`); `nan` in any case
//!   is read as missing. Thousands separators and decimal commas (`1.234,56`) are **not** numbers:
//!   such a column is read as text (declare it numeric to get an error naming the cell).
//! * Text must be UTF-8; any other encoding is an error naming the line and column.
//! * An empty header name becomes `Unnamed: J` (0-based column index), as pandas does.
//! * A file without a header ([`CsvOptions::has_header`] `false`, pandas' `header=None`): every
//!   line is data, the columns are named `0`, `1`, ... (0-based, as pandas numbers them) by the
//!   first record's field count, and the delimiter is detected from the first two records.

use std::collections::HashMap;
use std::path::Path;

use cartera_core::{Error, Result};
use rayon::prelude::*;

use super::Table;
use super::column::{CategoricalRule, Column, ColumnType, StringColumnBuilder};

/// Target size of a parsing block. Large enough that per-block overhead (one builder per
/// column) is negligible, small enough that 2–64 cores all get work on a 10 MB file.
const BLOCK_BYTES: usize = 2 << 20;

/// The missing-value markers a file is read with unless told otherwise: those pandas'
/// `read_csv` reads as NaN by default (`#N/A`, `#N/A N/A`, `#NA`, `<NA>`, `N/A`, `NA`,
/// `NULL`, `NaN`, `None`, `n/a`, `null`; its `nan` and `-nan` in any case are read as missing
/// numbers anyway; its `1.#IND` family, from old Windows C libraries, is left out, since
/// markers starting like numbers would slow every number down), and `?` (the UCI repository's
/// marker). An empty field is always missing.
pub const DEFAULT_MISSING: &[&str] = &[
    "#N/A", "#N/A N/A", "#NA", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "null", "?",
];

/// Options for [`Table::read_csv`].
///
/// Defaults: delimiter detected, missing markers [`DEFAULT_MISSING`] (and `""`), types
/// inferred, [`CategoricalRule::default`].
///
/// ```
/// use cartera_preprocess::{CsvOptions, ColumnType, Table};
/// let opts = CsvOptions::default()
///     .delimiter(b';')
///     .missing_values(&["", "-", "n/d"])
///     .column_type("zip", ColumnType::Categorical);
/// let t = Table::read_csv_bytes(b"zip;income\n28001;-\n08001;1200\n", "x.csv", &opts)?;
/// assert_eq!(t.column("zip")?.get_string(1).as_deref(), Some("08001"));
/// assert!(t.column("income")?.is_missing(0));
/// # Ok::<(), cartera_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvOptions {
    delimiter: Option<u8>,
    missing: Vec<String>,
    types: Vec<(String, ColumnType)>,
    /// Types for columns that may be absent: applied to those the file has.
    known_types: Vec<(String, ColumnType)>,
    rule: CategoricalRule,
    header: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: None,
            missing: DEFAULT_MISSING.iter().map(|m| m.to_string()).collect(),
            types: Vec::new(),
            known_types: Vec::new(),
            rule: CategoricalRule::default(),
            header: true,
        }
    }
}

impl CsvOptions {
    /// Use this delimiter instead of detecting it (any ASCII punctuation or tab except `"`).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// Replace the missing-value markers (an empty field is always missing).
    pub fn missing_values(mut self, markers: &[&str]) -> Self {
        self.missing = markers.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Declare the type of a column instead of inferring it.
    pub fn column_type(mut self, name: &str, ty: ColumnType) -> Self {
        self.types.retain(|(n, _)| n != name);
        self.types.push((name.to_string(), ty));
        self
    }

    /// Declare the types of the columns in `types` that have none yet: a fitted pipeline's
    /// or a model file's input types ([`FittedPipeline::input_types`]), so that a file is read
    /// as the table they were fitted on was, however few rows it has, while a type the user
    /// gave still wins. Unlike [`column_type`](Self::column_type), a column the file lacks
    /// is no error here: the caller's own check names what is missing.
    ///
    /// [`FittedPipeline::input_types`]: crate::pipeline::FittedPipeline::input_types
    pub fn column_types_unless_set(mut self, types: &[(String, ColumnType)]) -> Self {
        for (name, ty) in types {
            self.known_types.retain(|(n, _)| n != name);
            self.known_types.push((name.clone(), *ty));
        }
        self
    }

    /// Whether the first record names the columns (the default, `true`). With `false` every
    /// record is data and the columns are named `0`, `1`, ... in file order, as pandas'
    /// `read_csv(header=None)` numbers them; declare types and select columns by those names.
    ///
    /// ```
    /// use cartera_preprocess::{CsvOptions, Table};
    /// let opts = CsvOptions::default().has_header(false);
    /// let t = Table::read_csv_bytes(b"1,a\n2,b\n", "x.csv", &opts)?;
    /// assert_eq!(t.names(), ["0", "1"]);
    /// assert_eq!(t.n_rows(), 2);
    /// # Ok::<(), cartera_core::Error>(())
    /// ```
    pub fn has_header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// Whether the first record is read as the header ([`has_header`](Self::has_header)).
    pub fn header(&self) -> bool {
        self.header
    }

    /// Change the rule that tells categorical from text columns.
    pub fn categorical_rule(mut self, rule: CategoricalRule) -> Self {
        self.rule = rule;
        self
    }

    /// The delimiter given with [`delimiter`](Self::delimiter), if any.
    pub(crate) fn given_delimiter(&self) -> Option<u8> {
        self.delimiter
    }

    /// The missing-value markers in use.
    pub fn missing_markers(&self) -> &[String] {
        &self.missing
    }

    /// The type declared for column `name` ([`column_type`](Self::column_type) or
    /// [`column_types_unless_set`](Self::column_types_unless_set)), if any.
    pub fn declared_type(&self, name: &str) -> Option<ColumnType> {
        self.types
            .iter()
            .chain(&self.known_types)
            .find(|(n, _)| n == name)
            .map(|&(_, ty)| ty)
    }

    /// Parse a delimiter as a user types it: `,` `;` `|` `:` a tab, or the words `tab`, `\t`,
    /// `comma`, `semicolon`, `pipe`.
    pub fn parse_delimiter(text: &str) -> Result<u8> {
        let d = match text {
            "tab" | "\\t" | "\t" => b'\t',
            "comma" => b',',
            "semicolon" => b';',
            "pipe" => b'|',
            s if s.len() == 1 => s.as_bytes()[0],
            _ => 0,
        };
        check_delimiter(d).map_err(|_| {
            Error::invalid_param(
                "delimiter",
                format!("{text:?}"),
                "unknown delimiter: use one ASCII punctuation character such as , ; | or tab",
            )
        })?;
        Ok(d)
    }
}

fn check_delimiter(d: u8) -> Result<()> {
    if d == b'\t' || (d.is_ascii_punctuation() && d != b'"') {
        Ok(())
    } else {
        Err(Error::invalid_param(
            "delimiter",
            format!("{:?}", d as char),
            "unknown delimiter: use one ASCII punctuation character such as , ; | or tab",
        ))
    }
}

impl Table {
    /// Read a CSV file with a header row (see [`crate::table::csv_read`] for the rules).
    pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Table> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::read_csv_bytes(&bytes, &path.display().to_string(), options)
    }

    /// Read CSV from memory; `source_name` is used in error messages.
    ///
    /// Line ends may be LF, CRLF, or CR alone (classic Mac OS files, which pandas reads too).
    pub fn read_csv_bytes(bytes: &[u8], source_name: &str, options: &CsvOptions) -> Result<Table> {
        if cr_line_ends(bytes) {
            let mut lf = bytes.to_vec();
            cr_to_lf(&mut lf);
            return Reader::new(&lf, source_name, options)?.read();
        }
        Reader::new(bytes, source_name, options)?.read()
    }
}

/// Whether `bytes` end their lines with CR alone: a CR and no LF anywhere. The reader splits
/// records on LF, so such a file would otherwise read as one long header. The first LF ends
/// the search, so for ordinary files this costs one line's scan.
pub(crate) fn cr_line_ends(bytes: &[u8]) -> bool {
    !bytes.contains(&b'\n') && bytes.contains(&b'\r')
}

/// Turns every CR of a CR-only file into LF, the line end the reader splits on.
pub(crate) fn cr_to_lf(bytes: &mut [u8]) {
    for b in bytes.iter_mut().filter(|b| **b == b'\r') {
        *b = b'\n';
    }
}

/// How a column is parsed, fixed before reading.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Auto,
    Numeric,
    Categorical,
    Text,
}

struct Reader<'a> {
    body: &'a [u8],
    source: &'a str,
    delimiter: u8,
    names: Vec<String>,
    kinds: Vec<Kind>,
    missing: Vec<Vec<u8>>,
    missing_max_len: usize,
    /// `missing_first[b]` is true when some marker starts with byte `b`: most fields are
    /// rejected as non-missing by one table lookup.
    missing_first: [bool; 256],
    rule: CategoricalRule,
    /// Line number (1-based) of the first line of the body.
    first_body_line: u64,
    /// Where the expected field count came from, for the ragged-row message: `the header`,
    /// or `the first line` of a file without one.
    width_from: &'static str,
}

/// One block's parsed columns.
enum BlockCol {
    Num(Vec<f64>),
    Str(StringColumnBuilder),
}

struct Block {
    cols: Vec<BlockCol>,
}

/// A parse failure inside a block, at the byte offset (in the block) where its record starts.
/// The line number is worked out from the bytes only when the error is reported: the csv
/// crate's own line count is one short after CRLF line ends.
struct BlockError {
    byte_in_block: u64,
    column: u64,
    message: String,
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| *c != b' ' && *c != b'\t')
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| *c != b' ' && *c != b'\t')
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// Exact powers of ten representable in `f64` (10^0 ..= 10^22).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parse a number. Plain decimals with at most 15 significant digits (almost every value in a
/// customer table: counts, amounts, IDs) take Clinger's fast path: the digits form an integer
/// below 2^53 and the power of ten is exact, so one correctly rounded division gives the same
/// `f64` as the full parser. Everything else (exponents, long mantissas, `inf`) goes to
/// Rust's parser.
#[inline]
fn parse_number(t: &[u8]) -> Option<f64> {
    let first = *t.first()?;
    // Cheap rejection of words before the UTF-8 check and the float parser.
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N'))
    {
        return None;
    }
    let (negative, digits) = match first {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let mut mantissa: u64 = 0;
    let mut n_digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    let mut fast = !digits.is_empty() && digits.len() <= 17;
    if fast {
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    n_digits += 1;
                    frac_digits += usize::from(seen_dot);
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => {
                    fast = false;
                    break;
                }
            }
        }
    }
    if fast && n_digits > 0 && n_digits <= 15 {
        let v = mantissa as f64 / POW10[frac_digits];
        return Some(if negative { -v } else { v });
    }
    std::str::from_utf8(t).ok()?.parse::<f64>().ok()
}

/// Whether `t` is an integer literal from 2^53 up (`x` its parsed value), where `f64` stops
/// holding every integer exactly: a 16- to 19-digit customer or account number. A column of those is read as
/// text (unless declared numeric), so that an ID is written back as it was read rather than
/// rounded to its nearest `f64` (`9007199254740993` as `9007199254740992`).
fn inexact_integer(t: &[u8], x: f64) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.abs() < EXACT {
        return false;
    }
    let digits = t
        .strip_prefix(b"-")
        .or_else(|| t.strip_prefix(b"+"))
        .unwrap_or(t);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

fn describe_bytes(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(40).collect();
        format!("{cut}…")
    } else {
        s.into_owned()
    }
}

/// Index just past the end of the first record (its newline), honouring quotes; `len` if none.
fn end_of_first_record(bytes: &[u8]) -> usize {
    let mut in_quotes = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

fn count_outside_quotes(line: &[u8], d: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == d && !in_quotes {
            n += 1;
        }
    }
    n
}

pub(crate) fn detect_delimiter(header: &[u8], second: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    // Prefer a delimiter that splits the header and the first data line alike, then the one
    // that splits the header most; ties go to the earlier candidate.
    let mut best: Option<(bool, usize, u8)> = None;
    for d in CANDIDATES {
        let h = count_outside_quotes(header, d);
        if h == 0 {
            continue;
        }
        let consistent = second.is_empty() || count_outside_quotes(second, d) == h;
        if best.is_none_or(|(c, n, _)| (consistent, h) > (c, n)) {
            best = Some((consistent, h, d));
        }
    }
    best.map_or(b',', |(_, _, d)| d)
}

/// Where a quoted field opens that is still open at the end of `block` (which starts at a
/// record boundary), as its byte offset; `None` when every quoted field closes. The rules are
/// the CSV parser's: a quote opens a field only at the field's start, `""` inside quotes is an
/// escaped quote, and a quote inside an unquoted field is a plain character. Only the quotes
/// are visited, found by a fast search, so a block without quotes costs one pass of `memchr`.
fn unclosed_quote(block: &[u8], delimiter: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(q) = find_quote(block, i) {
        let at_field_start =
            q == 0 || matches!(block[q - 1], b'\n' | b'\r') || block[q - 1] == delimiter;
        if !at_field_start {
            i = q + 1;
            continue;
        }
        // An opening quote: its field ends at the next quote not followed by another.
        let mut j = q + 1;
        loop {
            let Some(r) = find_quote(block, j) else {
                return Some(q);
            };
            if block.get(r + 1) == Some(&b'"') {
                j = r + 2;
            } else {
                i = r + 1;
                break;
            }
        }
    }
    None
}

/// The first `"` of `block` at or after `from`, eight bytes at a time: in `w ^ "…"` a byte is
/// zero where `w` holds a quote, and `(x - 0x01…) & !x & 0x80…` marks the first zero byte
/// exactly (a false mark can only follow a true one).
fn find_quote(block: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = LO * b'"' as u64;
    let mut i = from;
    while let Some(bytes) = block.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes);
        let x = u64::from_le_bytes(w) ^ QUOTES;
        let marks = x.wrapping_sub(LO) & !x & HI;
        if marks != 0 {
            return Some(i + (marks.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    block
        .get(i..)?
        .iter()
        .position(|&b| b == b'"')
        .map(|k| i + k)
}

fn block_boundaries(body: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut scanned = 0; // quote parity is known up to here
    while start < body.len() {
        let target = start + BLOCK_BYTES;
        if target >= body.len() {
            out.push((start, body.len()));
            break;
        }
        let quotes = body[scanned..target].iter().filter(|&&b| b == b'"').count();
        if quotes % 2 == 1 {
            in_quotes = !in_quotes;
        }
        let mut end = body.len();
        for (i, &b) in body[target..].iter().enumerate() {
            match b {
                b'"' => in_quotes = !in_quotes,
                b'\n' if !in_quotes => {
                    end = target + i + 1;
                    break;
                }
                _ => {}
            }
        }
        out.push((start, end));
        start = end;
        scanned = end;
    }
    out
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], source: &'a str, options: &CsvOptions) -> Result<Self> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            let what = if options.header {
                "no header, no rows"
            } else {
                "no rows"
            };
            return Err(Error::empty(format!("{source}: the file ({what})")));
        }
        // Without a header, the first record gives the column count and is read as data; blank
        // lines before it are skipped (as the body's are), so a chunk may start on one.
        let lead = if options.header {
            0
        } else {
            let text = bytes
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(0);
            bytes[..text]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        };
        let first_end = lead + end_of_first_record(&bytes[lead..]);
        let (header, body) = if options.header {
            (&bytes[..first_end], &bytes[first_end..])
        } else {
            (&b""[..], bytes)
        };
        let header_lines = header.iter().filter(|&&b| b == b'\n').count() as u64;
        let first = &bytes[lead..first_end];
        let after_first = &bytes[first_end..];
        let second = &after_first[..end_of_first_record(after_first)];
        let delimiter = match options.delimiter {
            Some(d) => {
                check_delimiter(d)?;
                d
            }
            None => detect_delimiter(first, second),
        };

        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(first);
        let mut rec = csv::ByteRecord::new();
        let ok = rdr.read_byte_record(&mut rec).map_err(|e| Error::Parse {
            source_name: source.to_string(),
            line: 1,
            column: 0,
            message: format!("cannot read the header: {e}"),
        })?;
        if !ok {
            return Err(Error::empty(format!(
                "{source}: the file (no header, no rows)"
            )));
        }
        if !options.header {
            // The first record only counts the columns here; the body reads it again as data.
            let names: Vec<String> = (0..rec.len()).map(|j| j.to_string()).collect();
            return Self::with_names(source, options, delimiter, names, header_lines, body);
        }
        let mut names: Vec<String> = Vec::with_capacity(rec.len());
        // Name -> column, so that the duplicate check stays linear for very wide headers.
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(rec.len());
        for (j, field) in rec.iter().enumerate() {
            let name = std::str::from_utf8(field).map_err(|_| Error::Parse {
                source_name: source.to_string(),
                line: 1,
                column: j as u64 + 1,
                message: "column name is not valid UTF-8; save the file as UTF-8".into(),
            })?;
            let name = if name.trim().is_empty() {
                format!("Unnamed: {j}")
            } else {
                name.to_string()
            };
            if let Some(&i) = seen.get(&name) {
                return Err(Error::Parse {
                    source_name: source.to_string(),
                    line: 1,
                    column: j as u64 + 1,
                    message: format!("duplicate column name `{name}` (also column {})", i + 1),
                });
            }
            seen.insert(name.clone(), j);
            names.push(name);
        }
        Self::with_names(source, options, delimiter, names, header_lines, body)
    }

    /// The reader of `body` once the column names are known: declared types applied, the
    /// missing markers indexed. `header_lines` is the number of lines before `body` (0
    /// without a header).
    fn with_names(
        source: &'a str,
        options: &CsvOptions,
        delimiter: u8,
        names: Vec<String>,
        header_lines: u64,
        body: &'a [u8],
    ) -> Result<Self> {
        let mut kinds = vec![Kind::Auto; names.len()];
        let known = options.known_types.iter().filter(|(name, _)| {
            names.contains(name) && !options.types.iter().any(|(n, _)| n == name)
        });
        for (name, ty) in options.types.iter().chain(known) {
            let j = names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| Error::UnknownColumn {
                    name: name.clone(),
                    available: names.clone(),
                })?;
            kinds[j] = match ty {
                ColumnType::Numeric => Kind::Numeric,
                ColumnType::Categorical => Kind::Categorical,
                ColumnType::Text => Kind::Text,
            };
        }

        // Without a header the body holds the first record, never blank here.
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Error::empty(format!(
                "{source}: data (the file has a header but no rows)"
            )));
        }

        let missing: Vec<Vec<u8>> = options
            .missing
            .iter()
            .map(|m| m.as_bytes().to_vec())
            .collect();
        let missing_max_len = missing.iter().map(Vec::len).max().unwrap_or(0);
        let mut missing_first = [false; 256];
        for m in &missing {
            if let Some(&b) = m.first() {
                missing_first[usize::from(b)] = true;
            }
        }
        Ok(Reader {
            body,
            source,
            delimiter,
            names,
            kinds,
            missing,
            missing_max_len,
            missing_first,
            rule: options.rule,
            first_body_line: header_lines + 1,
            width_from: if options.header {
                "the header"
            } else {
                "the first line"
            },
        })
    }

    #[inline]
    fn is_missing(&self, t: &[u8]) -> bool {
        match t.first() {
            None => true,
            Some(&b) => {
                self.missing_first[usize::from(b)]
                    && t.len() <= self.missing_max_len
                    && self.missing.iter().any(|m| m == t)
            }
        }
    }

    fn csv_reader<'b>(&self, bytes: &'b [u8]) -> csv::Reader<&'b [u8]> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(self.delimiter)
            .flexible(true)
            .from_reader(bytes)
    }

    fn text_value<'b>(
        &self,
        field: &'b [u8],
        at: u64,
        j: usize,
    ) -> std::result::Result<Option<&'b str>, BlockError> {
        if self.is_missing(trim_ascii(field)) {
            return Ok(None);
        }
        std::str::from_utf8(field)
            .map(Some)
            .map_err(|e| BlockError {
                byte_in_block: at,
                column: j as u64 + 1,
                message: format!(
                    "invalid UTF-8 (byte 0x{:02X}) in column `{}`; save the file as UTF-8",
                    field[e.valid_up_to()],
                    self.names[j]
                ),
            })
    }

    /// Column `j` of the first `rows` records of `bytes`, as text.
    fn reread_text(
        &self,
        bytes: &[u8],
        j: usize,
        rows: usize,
    ) -> std::result::Result<StringColumnBuilder, BlockError> {
        let mut b = StringColumnBuilder::with_capacity(rows, rows * 8);
        let mut rdr = self.csv_reader(bytes);
        let mut rec = csv::ByteRecord::new();
        for _ in 0..rows {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {
                    let at = rec.position().map_or(0, |p| p.byte());
                    b.push(self.text_value(&rec[j], at, j)?);
                }
                // Already read successfully once: the same bytes cannot fail now.
                _ => break,
            }
        }
        Ok(b)
    }

    fn parse_block(&self, bytes: &[u8]) -> std::result::Result<Block, BlockError> {
        let ncols = self.names.len();
        let est_rows = bytes.len() / (ncols * 4).max(1) + 1;
        let mut cols: Vec<BlockCol> = self
            .kinds
            .iter()
            .map(|k| match k {
                Kind::Auto | Kind::Numeric => BlockCol::Num(Vec::with_capacity(est_rows)),
                Kind::Categorical | Kind::Text => {
                    BlockCol::Str(StringColumnBuilder::with_capacity(est_rows, est_rows * 8))
                }
            })
            .collect();
        let mut rdr = self.csv_reader(bytes);
        let mut rec = csv::ByteRecord::new();
        let mut row = 0usize;
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let at = e.position().map_or(0, |p| p.byte());
                    return Err(BlockError {
                        byte_in_block: at,
                        column: 0,
                        message: e.to_string(),
                    });
                }
            }
            let at = rec.position().map_or(0, |p| p.byte());
            if rec.len() != ncols {
                return Err(BlockError {
                    byte_in_block: at,
                    column: 0,
                    message: format!(
                        "expected {ncols} fields (as in {}), found {}",
                        self.width_from,
                        rec.len()
                    ),
                });
            }
            for (j, field) in rec.iter().enumerate() {
                match &mut cols[j] {
                    BlockCol::Num(v) => {
                        let t = trim_ascii(field);
                        if self.is_missing(t) {
                            v.push(f64::NAN);
                        } else if let Some(x) = parse_number(t)
                            .filter(|&x| self.kinds[j] == Kind::Numeric || !inexact_integer(t, x))
                        {
                            v.push(x);
                        } else if self.kinds[j] == Kind::Numeric {
                            return Err(BlockError {
                                byte_in_block: at,
                                column: j as u64 + 1,
                                message: format!(
                                    "`{}` is not a number, but column `{}` is declared numeric",
                                    describe_bytes(field),
                                    self.names[j]
                                ),
                            });
                        } else {
                            // First non-number in this block: this column is text here.
                            let mut b = self.reread_text(bytes, j, row)?;
                            b.push(self.text_value(field, at, j)?);
                            cols[j] = BlockCol::Str(b);
                        }
                    }
                    BlockCol::Str(b) => b.push(self.text_value(field, at, j)?),
                }
            }
            row += 1;
        }
        Ok(Block { cols })
    }

    /// 1-based file line of the record starting at byte `at` of the body. A record's start
    /// may sit on the line end of the record before (CRLF) or on skipped blank lines: the
    /// record proper begins at the first byte that is neither.
    fn line_at(&self, at: usize) -> u64 {
        let at = at.min(self.body.len());
        let start = self.body[at..]
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(self.body.len(), |k| at + k);
        let before = self.body[..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.first_body_line + before
    }

    fn read(self) -> Result<Table> {
        let blocks_at = block_boundaries(self.body);
        // A quote that never closes swallows the rest of the file into one field; the CSV
        // parser accepts that, so it is checked here, on the last block only (it runs to the
        // end of the file). An error on an earlier line is reported first: the first error
        // in file order, whatever the kind.
        let unclosed = blocks_at.last().and_then(|&(s, e)| {
            unclosed_quote(&self.body[s..e], self.delimiter).map(|open| s + open)
        });
        let unclosed_error = |at: usize| Error::Parse {
            source_name: self.source.to_string(),
            line: self.line_at(at),
            column: 0,
            message: "this quoted field is never closed: the quote runs to the end of the file \
                      (a missing `\"`)"
                .to_string(),
        };
        let parsed: Vec<std::result::Result<Block, BlockError>> = blocks_at
            .par_iter()
            .map(|&(s, e)| self.parse_block(&self.body[s..e]))
            .collect();
        let mut blocks = Vec::with_capacity(parsed.len());
        for (i, p) in parsed.into_iter().enumerate() {
            match p {
                Ok(b) => blocks.push(b),
                Err(err) => {
                    let at = blocks_at[i].0 + err.byte_in_block as usize;
                    if let Some(open) =
                        unclosed.filter(|&open| self.line_at(open) <= self.line_at(at))
                    {
                        return Err(unclosed_error(open));
                    }
                    return Err(Error::Parse {
                        source_name: self.source.to_string(),
                        line: self.line_at(at),
                        column: err.column,
                        message: err.message,
                    });
                }
            }
        }
        if let Some(open) = unclosed {
            return Err(unclosed_error(open));
        }
        let n_rows: usize = blocks
            .iter()
            .map(|b| match b.cols.first() {
                Some(BlockCol::Num(v)) => v.len(),
                Some(BlockCol::Str(s)) => s.len(),
                None => 0,
            })
            .sum();

        // Regroup block pieces by column so that each column's merge owns, and frees, its
        // pieces as soon as it is done: peak memory stays near one copy of the table.
        let mut by_column: Vec<Vec<BlockCol>> = (0..self.names.len())
            .map(|_| Vec::with_capacity(blocks.len()))
            .collect();
        for block in blocks {
            for (j, piece) in block.cols.into_iter().enumerate() {
                by_column[j].push(piece);
            }
        }
        let columns: Vec<Column> = by_column
            .into_par_iter()
            .enumerate()
            .map(|(j, pieces)| self.merge_column(j, pieces, &blocks_at, n_rows))
            .collect::<Result<_>>()?;
        Ok(Table::from_parts_unchecked(self.names, columns, n_rows))
    }

    fn merge_column(
        &self,
        j: usize,
        pieces: Vec<BlockCol>,
        at: &[(usize, usize)],
        n_rows: usize,
    ) -> Result<Column> {
        let all_numeric = pieces.iter().all(|p| matches!(p, BlockCol::Num(_)));
        if all_numeric {
            let mut v = Vec::with_capacity(n_rows);
            for p in pieces {
                if let BlockCol::Num(x) = p {
                    v.extend_from_slice(&x);
                }
            }
            return Ok(Column::Numeric(v));
        }
        let mut all = StringColumnBuilder::with_capacity(n_rows, n_rows * 8);
        for (p, &(s, e)) in pieces.into_iter().zip(at) {
            match p {
                BlockCol::Str(sb) => all.append(&sb),
                BlockCol::Num(x) => {
                    // Numeric in this block, text in another: read its raw text again so that
                    // values such as `007` keep their spelling.
                    let sb = self
                        .reread_text(&self.body[s..e], j, x.len())
                        .map_err(|err| Error::Parse {
                            source_name: self.source.to_string(),
                            line: self.line_at(s + err.byte_in_block as usize),
                            column: err.column,
                            message: err.message,
                        })?;
                    all.append(&sb);
                }
            }
        }
        Ok(match self.kinds[j] {
            Kind::Categorical => Column::Categorical(all.into_categorical()),
            Kind::Text => Column::Text(all.into_text()),
            Kind::Auto | Kind::Numeric => all.finish(&self.rule),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_core::rng::CarteraRng;

    /// The fast path must give exactly the bits of Rust's correctly rounded parser.
    #[test]
    fn fast_number_path_agrees_with_std() {
        let mut rng = CarteraRng::seed_from_u64(1);
        let check = |s: &str| {
            let ours = parse_number(s.as_bytes());
            let std = s.parse::<f64>().ok();
            assert_eq!(ours.map(f64::to_bits), std.map(f64::to_bits), "{s}");
        };
        for _ in 0..200_000 {
            let int_digits = rng.index(16);
            let frac_digits = rng.index(18);
            let mut s = String::new();
            if rng.bernoulli(0.3) {
                s.push('-');
            }
            for _ in 0..int_digits {
                s.push(char::from(b'0' + rng.index(10) as u8));
            }
            if frac_digits > 0 || rng.bernoulli(0.1) {
                s.push('.');
            }
            for _ in 0..frac_digits {
                s.push(char::from(b'0' + rng.index(10) as u8));
            }
            if s.is_empty() || s == "-" || s == "." || s == "-." {
                continue;
            }
            check(&s);
        }
        for s in [
            "0",
            "-0",
            "+7",
            "1e5",
            "2.5E-3",
            "inf",
            "-inf",
            "NaN",
            "1.2.3",
            "12a",
            "0.1",
            "9007199254740993",
            "123456789012345.6",
        ] {
            check(s);
        }
        assert!(inexact_integer(
            b"9007199254740993",
            9_007_199_254_740_992.0
        ));
        assert!(inexact_integer(
            b"-12345678901234567",
            -1.2345678901234568e16
        ));
        assert!(!inexact_integer(
            b"9007199254740991",
            9_007_199_254_740_991.0
        ));
        assert!(!inexact_integer(b"1e17", 1e17));
        assert!(!inexact_integer(
            b"12345678901234567.5",
            1.2345678901234568e16
        ));
        assert_eq!(parse_number(b"abc"), None);
        assert_eq!(parse_number(b"1,5"), None);
    }

    #[test]
    fn find_quote_finds_the_first_quote_from_any_start() {
        let mut rng = CarteraRng::seed_from_u64(3);
        for _ in 0..2_000 {
            let n = (rng.next_u64() % 40) as usize;
            let block: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.next_u64().is_multiple_of(9) {
                        b'"'
                    } else {
                        b'a' + (rng.next_u64() % 26) as u8
                    }
                })
                .collect();
            for from in 0..=n {
                let want = block[from..]
                    .iter()
                    .position(|&b| b == b'"')
                    .map(|k| from + k);
                assert_eq!(find_quote(&block, from), want, "{block:?} from {from}");
            }
        }
    }

    /// The first error in file order is the one reported: a short row before an unclosed
    /// quote (the quote was reported, whatever came first), and the quote before a later one.
    #[test]
    fn the_first_error_in_the_file_is_reported() {
        let mut text = String::from("a,b\n");
        for i in 0..60_000 {
            if i == 15_000 {
                text.push_str("7\n");
            } else if i == 25_000 {
                text.push_str("\"open,2\n");
            } else {
                text.push_str(&format!("{i},{}\n", i % 9));
            }
        }
        let e = Table::read_csv_bytes(text.as_bytes(), "t.csv", &CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.csv:15002:"), "{e}");
        let fixed = text.replacen("\n7\n", "\n7,7\n", 1);
        let e = Table::read_csv_bytes(fixed.as_bytes(), "t.csv", &CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.csv:25002:") && e.contains("never closed"),
            "{e}"
        );
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let mut csv = String::from("id,amount,note\n");
        for i in 0..30 {
            if i == 10 {
                csv.push_str("10,5.5,\"call back\n");
            } else {
                csv.push_str(&format!("{i},1.0,ok\n"));
            }
        }
        let e = Table::read_csv_bytes(csv.as_bytes(), "q.csv", &CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("q.csv:12:") && e.contains("never closed"),
            "{e}"
        );
        // Closed quotes, escaped quotes and a quote inside an unquoted field are fine.
        let ok = "a,b\n\"x, \"\"y\"\"\n z\",1\n5\" screen,2\n";
        let t = Table::read_csv_bytes(ok.as_bytes(), "ok", &CsvOptions::default()).unwrap();
        assert_eq!(t.n_rows(), 2);
    }

    #[test]
    fn integers_beyond_f64_stay_text_and_round_trip() {
        let csv = "id,x\n9007199254740993,1\n12345678901234567,2\n3,3\n";
        let t = Table::read_csv_bytes(csv.as_bytes(), "ids", &CsvOptions::default()).unwrap();
        assert_ne!(t.column_type("id").unwrap(), ColumnType::Numeric);
        assert_eq!(t.column_type("x").unwrap(), ColumnType::Numeric);
        let mut out = Vec::new();
        t.write_csv_to(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), csv);
        // Declared numeric, the user's choice stands (rounded to the nearest f64).
        let o = CsvOptions::default().column_type("id", ColumnType::Numeric);
        let t = Table::read_csv_bytes(csv.as_bytes(), "ids", &o).unwrap();
        assert_eq!(t.column_type("id").unwrap(), ColumnType::Numeric);
    }

    #[test]
    fn cr_only_line_ends_read_as_lines() {
        let opts = CsvOptions::default();
        let t = Table::read_csv_bytes(b"a,b\r1,2\r3,\"x\ry\"\r", "mac.csv", &opts).unwrap();
        assert_eq!(t.names(), ["a", "b"]);
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.column("a").unwrap().as_numeric(), Some(&[1.0, 3.0][..]));
        // A CR inside a quoted field of a CR-only file becomes a line break there.
        assert_eq!(
            t.column("b").unwrap().get_string(1).as_deref(),
            Some("x\ny")
        );
        let crlf = Table::read_csv_bytes(b"a,b\r\n1,2\r\n", "dos.csv", &opts).unwrap();
        assert_eq!((crlf.names().len(), crlf.n_rows()), (2, 1));
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter(b"a,b,c\n", b"1,2,3\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\n", b"1,5;2;3\n"), b';');
        assert_eq!(detect_delimiter(b"\"x;y\",b\n", b"1,2\n"), b',');
        assert_eq!(detect_delimiter(b"a\tb\n", b""), b'\t');
        assert_eq!(detect_delimiter(b"single\n", b"1\n"), b',');
    }

    #[test]
    fn blocks_end_on_record_boundaries() {
        // Records with quoted newlines, about 3 blocks' worth.
        let rec = "\"line one\nline two\",12345\n";
        let body = rec.repeat((3 * BLOCK_BYTES) / rec.len());
        let blocks = block_boundaries(body.as_bytes());
        assert!(blocks.len() >= 3);
        for (s, e) in &blocks {
            assert_eq!((e - s) % rec.len(), 0, "a block splits a record");
        }
        assert_eq!(blocks.last().map(|b| b.1), Some(body.len()));
    }
}
