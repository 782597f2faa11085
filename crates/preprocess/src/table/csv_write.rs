//! CSV writing.

use std::io::Write;
use std::path::Path;

use cartera_core::{Error, Result};
use rayon::prelude::*;

use super::Table;
use super::column::Column;

/// Format a number so that reading it back gives the same `f64`: integers without a decimal
/// point, other values in the shortest round-trip form, exponent notation for very large or
/// very small magnitudes.
pub(crate) fn format_f64(x: f64, out: &mut String) {
    use std::fmt::Write as _;
    let a = x.abs();
    // Writing to a String cannot fail.
    let _ = if x.fract() == 0.0 && a < 1e15 && !(x == 0.0 && x.is_sign_negative()) {
        // Integers (counts, IDs, labels) are most of a customer table; integer formatting is
        // several times faster than float formatting and prints the same digits.
        write!(out, "{}", x as i64)
    } else if a == 0.0 || (1e-5..1e16).contains(&a) {
        write!(out, "{x}")
    } else if x.is_infinite() {
        write!(out, "{}", if x > 0.0 { "inf" } else { "-inf" })
    } else {
        write!(out, "{x:e}")
    };
}

impl Table {
    /// Write the table as comma-separated CSV with a header to `path`.
    ///
    /// The file is written under a temporary name in the same folder and renamed at the end, so
    /// an interrupted write never leaves a half file under the final name. Missing values are
    /// written as empty fields.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        cartera_core::output::write_file(path.as_ref(), |w| self.write_csv_to(w))
    }

    /// Write the table as comma-separated CSV with a header to any writer.
    pub fn write_csv_to<W: Write>(&self, writer: W) -> Result<()> {
        self.write_csv_with(writer, b',')
    }

    /// Write the table as CSV with the given delimiter.
    ///
    /// Blocks of rows are formatted in parallel into memory and written in order, so the output
    /// is the same bytes whatever the thread count.
    pub fn write_csv_with<W: Write>(&self, mut writer: W, delimiter: u8) -> Result<()> {
        const BLOCK_ROWS: usize = 16_384;
        let io = |e: csv::Error| Error::io("writing CSV", std::io::Error::other(e));
        let header = {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(Vec::new());
            w.write_record(self.names()).map_err(io)?;
            w.into_inner()
                .map_err(|e| Error::io("writing CSV", std::io::Error::other(e.to_string())))?
        };
        writer
            .write_all(&header)
            .map_err(|e| Error::io("writing CSV", e))?;
        let n_blocks = self.n_rows().div_ceil(BLOCK_ROWS);
        // Format a few blocks at a time (a window), so memory stays bounded on huge tables.
        let window = rayon::current_num_threads().max(1) * 2;
        for first in (0..n_blocks).step_by(window) {
            let last = (first + window).min(n_blocks);
            let parts: Vec<Result<Vec<u8>>> = (first..last)
                .into_par_iter()
                .map(|b| {
                    let rows = b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(self.n_rows());
                    self.format_rows(rows, delimiter)
                })
                .collect();
            for part in parts {
                writer
                    .write_all(&part?)
                    .map_err(|e| Error::io("writing CSV", e))?;
            }
        }
        writer.flush().map_err(|e| Error::io("writing CSV", e))?;
        Ok(())
    }

    fn format_rows(&self, rows: std::ops::Range<usize>, delimiter: u8) -> Result<Vec<u8>> {
        let io = |e: csv::Error| Error::io("writing CSV", std::io::Error::other(e));
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(Vec::with_capacity(rows.len() * 64));
        let mut record = csv::ByteRecord::new();
        let mut buf = String::new();
        for i in rows {
            record.clear();
            for col in self.columns() {
                match col {
                    Column::Numeric(v) => {
                        buf.clear();
                        if !v[i].is_nan() {
                            format_f64(v[i], &mut buf);
                        }
                        record.push_field(buf.as_bytes());
                    }
                    Column::Categorical(c) => record.push_field(c.get(i).unwrap_or("").as_bytes()),
                    Column::Text(t) => record.push_field(t.get(i).unwrap_or("").as_bytes()),
                }
            }
            w.write_byte_record(&record).map_err(io)?;
        }
        w.into_inner()
            .map_err(|e| Error::io("writing CSV", std::io::Error::other(e.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(x: f64) -> String {
        let mut s = String::new();
        format_f64(x, &mut s);
        s
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(fmt(3.0), "3");
        assert_eq!(fmt(-0.25), "-0.25");
        assert_eq!(fmt(354_123_456_789_012.0), "354123456789012");
        assert_eq!(fmt(1e300), "1e300");
        assert_eq!(fmt(f64::INFINITY), "inf");
        assert_eq!(fmt(-0.0), "-0");
        assert_eq!(fmt(-42.0), "-42");
        assert_eq!(fmt(999_999_999_999_999.0), "999999999999999");
        for x in [0.1, 1.0 / 3.0, 1e-7, 123456.789, 2.5e17, f64::MIN_POSITIVE] {
            assert_eq!(fmt(x).parse::<f64>().unwrap(), x);
        }
    }
}
