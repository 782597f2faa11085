//! One module per subcommand: its flags (`Args`) and its `run`.

pub mod business;
pub mod describe;
pub mod explain;
pub mod generate;
pub mod kmeans;
pub mod predict;
pub mod prep;
pub mod silhouette;
pub mod study;
pub mod train;

use std::io::Write;
use std::path::Path;

use cartera_core::{Error, Result};
use cartera_preprocess::{ColumnType, CsvOptions, Table};

/// `--scale` choices, shared by every command that scales.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScaleArg {
    /// Mean 0, standard deviation 1.
    Standard,
    /// Range [0, 1].
    Minmax,
    /// Median 0, IQR 1.
    Robust,
}

impl From<ScaleArg> for cartera_preprocess::scale::ScalerKind {
    fn from(s: ScaleArg) -> Self {
        match s {
            ScaleArg::Standard => Self::Standard,
            ScaleArg::Minmax => Self::MinMax,
            ScaleArg::Robust => Self::Robust,
        }
    }
}

/// How to read an input CSV: the flags every command that reads one shares.
#[derive(Debug, clap::Args)]
pub struct CsvArgs {
    /// Field delimiter (`,` `;` `|` `tab`); detected from the header when omitted.
    #[arg(long)]
    delimiter: Option<String>,
    /// Missing-value markers, comma-separated, replacing the defaults: pandas' markers
    /// (#N/A, #N/A N/A, #NA, <NA>, N/A, NA, NULL, NaN, None, n/a, null) and ?. An empty field
    /// is always missing. A column read as categories or text although most of its values
    /// are numbers is noted on stderr with the flag to add its marker.
    #[arg(long, value_delimiter = ',')]
    missing: Option<Vec<String>>,
    /// Declare a column's type instead of inferring it: `NAME=numeric|categorical|text`
    /// (repeatable).
    #[arg(long = "type", value_name = "NAME=TYPE")]
    types: Vec<String>,
    /// The file has no header line: every line is data and the columns are named 0, 1, ...
    /// (pandas' `header=None`), the names `--columns`, `--target` and `--type` then use. Like
    /// `--delimiter`, it applies to every CSV file the command reads.
    #[arg(long)]
    no_header: bool,
}

impl CsvArgs {
    /// The reading settings a results file records, so that it says how its input was read:
    /// `missing` (the markers given, `null` for the defaults), `types` (each declared column
    /// type by name; `{}` when none) and `no_header`.
    pub fn settings_json(&self) -> serde_json::Value {
        let types: serde_json::Map<String, serde_json::Value> = self
            .types
            .iter()
            .filter_map(|t| t.rsplit_once('='))
            .map(|(name, ty)| (name.to_string(), serde_json::json!(ty)))
            .collect();
        serde_json::json!({
            "missing": self.missing,
            "types": types,
            "no_header": self.no_header,
        })
    }

    /// The reader options these flags ask for.
    pub fn options(&self) -> Result<CsvOptions> {
        let mut o = CsvOptions::default().has_header(!self.no_header);
        if let Some(d) = &self.delimiter {
            o = o.delimiter(CsvOptions::parse_delimiter(d)?);
        }
        if let Some(m) = &self.missing {
            let refs: Vec<&str> = m.iter().map(String::as_str).collect();
            o = o.missing_values(&refs);
        }
        for t in &self.types {
            let (name, ty) = t.rsplit_once('=').ok_or_else(|| {
                Error::invalid_param("--type", t, "expected NAME=numeric|categorical|text")
            })?;
            o = o.column_type(name, ty.parse::<ColumnType>()?);
        }
        Ok(o)
    }
}

/// Whether an `--out` path means stdout (`-`, as for `--json`).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads the CSV `path` with `opts`, then notes on stderr each column read as text although
/// most of its values are numbers (a missing-value marker the reader did not know turns a
/// numeric column into categories, which one-hot encoding then multiplies and `kmeans`
/// without `--columns` leaves out), unless the user declared its type.
pub fn read_table(path: &Path, opts: &CsvOptions) -> Result<Table> {
    let table = Table::read_csv(path, opts)?;
    for note in numbers_as_text_notes(&table, opts) {
        eprintln!("{note}");
    }
    Ok(table)
}

/// The notes of [`read_table`].
fn numbers_as_text_notes(table: &Table, opts: &CsvOptions) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, col) in table.names().iter().zip(table.columns()) {
        if opts.declared_type(name).is_some() {
            continue;
        }
        let Some(n) = col.numbers_as_text() else {
            continue;
        };
        let quoted: Vec<String> = n.others.iter().map(|v| format!("`{v}`")).collect();
        let markers: Vec<&str> = opts
            .missing_markers()
            .iter()
            .map(String::as_str)
            .chain(n.others.iter().map(String::as_str))
            .collect();
        // A column of many distinct values is held as text (not a feature unless declared),
        // a few as categories: the note says which, as `describe` does.
        let read_as = match col.column_type() {
            ColumnType::Text => "text",
            _ => "categories",
        };
        notes.push(format!(
            "note: column `{name}` is read as {read_as}: {} of its values are numbers, {} {} \
             ({}); if {} marks a missing value, read with --missing {} (or --type {name}=numeric \
             to be told which cells are not numbers)",
            n.numeric_rows,
            n.other_rows,
            if n.other_rows == 1 {
                "is not"
            } else {
                "are not"
            },
            quoted.join(", "),
            if quoted.len() == 1 { "it" } else { "one" },
            cli_list(&markers),
        ));
    }
    notes
}

/// `values` as one comma-separated flag value in single quotes, ready for a shell (the default
/// markers hold `#`, `<` and `?`).
fn cli_list(values: &[&str]) -> String {
    format!("'{}'", values.join(",").replace('\'', "'\\''"))
}

/// Writes `table` as CSV to the file `out`, or to stdout for `-`.
pub fn write_table(table: &Table, out: &Path) -> Result<()> {
    if !is_stdout(out) {
        return table.write_csv(out);
    }
    let mut lock = std::io::stdout().lock();
    table.write_csv_to(&mut lock)?;
    lock.flush().map_err(|e| Error::io("writing to stdout", e))
}

/// Refuses, before any work, outputs that cannot be written: `--out -` with `--json -` (both
/// would go to stdout, one after the other, and neither could be read back), and an `--out` or
/// `--json` naming a directory (found out only at the end of a long fit otherwise).
pub fn check_outputs(out: Option<&Path>, json: Option<&str>) -> Result<()> {
    if out.is_some_and(is_stdout) && json == Some("-") {
        return Err(Error::invalid_param(
            "--out",
            "-",
            "`--json -` already writes to stdout; send one of the two to a file",
        ));
    }
    for p in out.into_iter().chain(json.map(Path::new)) {
        if !is_stdout(p) {
            cartera_core::validate::check_output_file(p)?;
        }
    }
    Ok(())
}

/// Whether `output` is the very file `input` (the same path, another path to it, or a hard
/// link): a command that writes its output while still reading its input would destroy the
/// input. False when `output` does not exist yet.
pub fn same_file(input: &Path, output: &Path) -> bool {
    let (Ok(a), Ok(b)) = (std::fs::metadata(input), std::fs::metadata(output)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// Refuses an infinite value (and, unless `missing_ok`, a missing one) in the numeric columns
/// of `t` among `names`, naming the column and the data row (1-based, as the CSV's rows after
/// the header; `t`'s first row is data row `first_row + 1`, for a chunk of a streamed file).
/// The library reports the same once the rows are selected, split, encoded and reordered,
/// where neither its row nor its column index is the file's.
pub fn check_finite(t: &Table, names: &[&str], missing_ok: bool, first_row: u64) -> Result<()> {
    for &name in names {
        let Ok(cartera_preprocess::Column::Numeric(v)) = t.column(name) else {
            continue;
        };
        let bad = |x: &f64| x.is_infinite() || (!missing_ok && x.is_nan());
        if let Some(i) = v.iter().position(bad) {
            let why = if v[i].is_nan() {
                "is missing: every value is needed here (impute first, e.g. with `cartera prep \
                 --impute median`)"
            } else {
                "is infinite: values must be finite (leave the cell empty for a missing value)"
            };
            return Err(Error::invalid_data(
                format!("column `{name}`"),
                format!("data row {} {why}", first_row + i as u64 + 1),
            ));
        }
    }
    Ok(())
}

/// Refuses a `--columns` list that names a column twice.
pub fn no_repeats(names: &[String]) -> Result<()> {
    if let Some((i, n)) = names
        .iter()
        .enumerate()
        .find(|(i, n)| names[..*i].contains(n))
    {
        return Err(Error::invalid_param(
            "--columns",
            n,
            format!(
                "column {} repeats an earlier one: a column is named twice",
                i + 1
            ),
        ));
    }
    Ok(())
}

/// Write JSON to a file, or to stdout for `-`.
pub fn write_json(target: &str, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::io("formatting JSON", std::io::Error::other(e)))?;
    if target == "-" {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").map_err(|e| Error::io("writing JSON to stdout", e))
    } else {
        cartera_core::output::write_text(Path::new(target), &(text + "\n"))
    }
}

/// `t` without those of `names` it has: the columns an earlier run wrote, which this run
/// writes again at the end of its output (`kmeans`' `cluster`, `predict`'s `score`). Returns
/// the names dropped, in the table's order, for the caller's note. Takes the table by value so
/// that the usual case, nothing to drop, costs no copy.
pub fn drop_earlier_output(t: Table, names: &[&str]) -> Result<(Table, Vec<String>)> {
    let earlier: Vec<String> = t
        .names()
        .iter()
        .filter(|n| names.contains(&n.as_str()))
        .cloned()
        .collect();
    if earlier.is_empty() {
        return Ok((t, earlier));
    }
    let refs: Vec<&str> = earlier.iter().map(String::as_str).collect();
    Ok((t.drop(&refs)?, earlier))
}

/// A "column is text, but numeric is required" error made specific: the first data row (1-based,
/// as the CSV's rows after the header) whose value is not a number, and that value. A numeric
/// column with one stray cell ("abc", "n/a ") is read as text; the bare type names no cell.
/// Other errors pass through unchanged.
pub fn explain_type(e: Error, t: &Table) -> Error {
    match e {
        Error::ColumnType {
            name,
            expected,
            found,
        } if expected.contains("numeric") => {
            // The reader's rule for a number: the trimmed text parses as one.
            let stray = t.column(&name).ok().and_then(|col| {
                (0..col.len()).find_map(|i| {
                    let v = col.get_string(i).filter(|_| !col.is_missing(i))?;
                    v.trim().parse::<f64>().is_err().then(|| (i + 1, v))
                })
            });
            let found = match stray {
                Some((row, v)) => format!("{found} (data row {row} holds {v:?}, not a number)"),
                None => found,
            };
            Error::ColumnType {
                name,
                expected,
                found,
            }
        }
        // A one-hot column meeting a new category: say how to encode it anyway.
        Error::InvalidData { what, reason } if reason.contains("a category not seen at fit") => {
            Error::InvalidData {
                what,
                reason: format!(
                    "{reason}; --unknown-categories ignore encodes such a value as no known \
                     category (all indicators 0)"
                ),
            }
        }
        e => e,
    }
}

/// Names of `t`'s identifier columns (a row number, an account code, an IMEI:
/// [`find_id_columns`](cartera_preprocess::clean::find_id_columns) at its default ratio), which
/// the commands leave out of their default features: a model would memorise customers, a
/// clustering split them by sign-up order.
pub fn id_column_names(t: &Table) -> Vec<String> {
    cartera_preprocess::clean::find_id_columns(
        t,
        cartera_preprocess::clean::DEFAULT_ID_UNIQUE_RATIO,
    )
    .into_iter()
    .map(|c| c.name)
    .collect()
}

/// The numeric columns a command computes on: the user's `--columns`, or every numeric column
/// except `exclude` (a label column, say) and identifier columns (a row number, an account
/// code: [`find_id_columns`](cartera_preprocess::clean::find_id_columns), as `train` leaves
/// them out), which would split customers by sign-up order. Each must be numeric, complete and
/// named once; `what` names the use in the empty-set error ("cluster on", "score on").
pub fn numeric_features(
    t: &Table,
    cols: &Option<Vec<String>>,
    exclude: &[&str],
    what: &str,
) -> Result<Vec<String>> {
    let names: Vec<String> = match cols {
        Some(c) => c.clone(),
        None => {
            let ids = id_column_names(t);
            t.numeric_names()
                .iter()
                .filter(|n| !exclude.contains(n) && !ids.iter().any(|i| i == *n))
                .map(|s| s.to_string())
                .collect()
        }
    };
    if names.is_empty() {
        return Err(Error::empty(format!(
            "set of numeric columns to {what} (identifier columns are left out unless named \
             with --columns)"
        )));
    }
    no_repeats(&names)?;
    for n in &names {
        let col = t.column(n)?;
        if col.column_type() != ColumnType::Numeric {
            return Err(explain_type(
                Error::ColumnType {
                    name: n.clone(),
                    expected: "numeric".into(),
                    found: col.column_type().to_string(),
                },
                t,
            ));
        }
        let missing = col.missing_count();
        if missing > 0 && missing == col.len() {
            // Imputing cannot help a column with no value at all.
            return Err(Error::invalid_data(
                format!("column `{n}`"),
                "has no value at all: name the other columns with --columns, or drop it \
                 (cartera prep --drop-constant-columns)",
            ));
        }
        if missing > 0 {
            // Named as the infinite-value check names its cell: the first data row (1-based).
            let first = (0..col.len()).find(|&r| col.is_missing(r)).unwrap_or(0) + 1;
            let what = if missing == 1 {
                "a missing value".to_string()
            } else {
                format!("{missing} missing values")
            };
            return Err(Error::invalid_data(
                format!("column `{n}`"),
                format!(
                    "has {what} (the first at data row {first}): impute first (cartera prep \
                     --impute mean)"
                ),
            ));
        }
    }
    Ok(names)
}
