//! Input validation shared by every `fit`, `predict` and `transform`.
//!
//! Each helper returns the typed [`Error`] a user should see, naming the input (`what`) and,
//! where it applies, the first offending row and column. Estimators call these first, so that a
//! kernel never sees data it was not written for.

use ndarray::{ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use crate::{Error, Float, Result};

/// Rows per block when scanning in parallel; fixed so that the *first* offending cell reported
/// does not depend on the thread count.
const BLOCK_ROWS: usize = 4096;

/// Fails with [`Error::EmptyInput`] unless `x` has at least one row and one column.
pub fn check_non_empty<F>(x: ArrayView2<'_, F>, what: &str) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::empty(format!(
            "{what} ({} rows x {} columns)",
            x.nrows(),
            x.ncols()
        )));
    }
    Ok(())
}

/// Fails with [`Error::NonFinite`] naming the first (row-major order) NaN or ±inf in `x`.
///
/// Scans blocks of rows in parallel; the reported cell is always the first in row-major order,
/// whatever the thread count.
pub fn check_finite<F: Float>(x: ArrayView2<'_, F>, what: &str) -> Result<()> {
    let n = x.nrows();
    let first = (0..n.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .find_map_first(|b| {
            let start = b * BLOCK_ROWS;
            let end = (start + BLOCK_ROWS).min(n);
            // The common case, a contiguous block with no bad value, is checked without a
            // branch per value (which vectorises); the cell is searched only when one is bad.
            if let Some(values) = x.slice(ndarray::s![start..end, ..]).to_slice()
                && all_finite(values)
            {
                return None;
            }
            for r in start..end {
                for (c, v) in x.row(r).iter().enumerate() {
                    if !v.is_finite() {
                        return Some((r, c, *v));
                    }
                }
            }
            None
        });
    match first {
        None => Ok(()),
        Some((row, column, v)) => Err(Error::NonFinite {
            what: what.to_string(),
            row,
            column,
            value: format_non_finite(v.as_f64()),
        }),
    }
}

/// Whether every value of `values` is finite, tested in chunks without an early exit inside
/// a chunk, so that the test compiles to vector compares.
fn all_finite<F: Float>(values: &[F]) -> bool {
    values
        .chunks(256)
        .all(|c| c.iter().map(|v| usize::from(!v.is_finite())).sum::<usize>() == 0)
}

/// Fails with [`Error::NonFinite`] naming the first NaN or ±inf in a vector (column 0).
pub fn check_finite_1d<F: Float>(y: ArrayView1<'_, F>, what: &str) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(Error::NonFinite {
            what: what.to_string(),
            row,
            column: 0,
            value: format_non_finite(y[row].as_f64()),
        }),
    }
}

fn format_non_finite(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Fails with [`Error::ShapeMismatch`] unless `x` has `expected` columns.
pub fn check_width<F>(x: ArrayView2<'_, F>, expected: usize, what: &str) -> Result<()> {
    if x.len_of(Axis(1)) != expected {
        return Err(Error::ShapeMismatch {
            what: format!("{what}: number of features"),
            expected,
            found: x.ncols(),
        });
    }
    Ok(())
}

/// Fails with [`Error::ShapeMismatch`] unless `found == expected` (e.g. rows of X vs length of y).
pub fn check_len(found: usize, expected: usize, what: &str) -> Result<()> {
    if found != expected {
        return Err(Error::ShapeMismatch {
            what: what.to_string(),
            expected,
            found,
        });
    }
    Ok(())
}

/// Fails with [`Error::TooFewSamples`] unless `found >= needed`.
pub fn check_min_samples(found: usize, needed: usize, what: &str) -> Result<()> {
    if found < needed {
        return Err(Error::TooFewSamples {
            what: what.to_string(),
            needed,
            found,
        });
    }
    Ok(())
}

/// Fails unless `value` is finite and strictly positive.
pub fn check_positive(name: &str, value: f64) -> Result<()> {
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::invalid_param(
            name,
            value,
            "must be a finite number greater than 0",
        ));
    }
    Ok(())
}

/// Fails unless `value` is finite and `>= 0`.
pub fn check_non_negative(name: &str, value: f64) -> Result<()> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(Error::invalid_param(
            name,
            value,
            "must be a finite number greater than or equal to 0",
        ));
    }
    Ok(())
}

/// Fails unless `low <= value <= high` (and `value` is not NaN).
pub fn check_in_range(name: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if !(value >= low && value <= high) {
        return Err(Error::invalid_param(
            name,
            value,
            format!("must lie in [{low}, {high}]"),
        ));
    }
    Ok(())
}

/// Fails unless the integer `value >= min`.
pub fn check_at_least(name: &str, value: usize, min: usize) -> Result<()> {
    if value < min {
        return Err(Error::invalid_param(
            name,
            value,
            format!("must be at least {min}"),
        ));
    }
    Ok(())
}

/// The first item of `items` equal to an earlier one, for the "named twice" checks of column
/// lists, class names and category lists (linear, through a hash set).
pub fn first_repeat<'a, T, I>(items: I) -> Option<&'a T>
where
    T: Eq + std::hash::Hash + ?Sized + 'a,
    I: IntoIterator<Item = &'a T>,
{
    let mut seen = std::collections::HashSet::new();
    items.into_iter().find(|x| !seen.insert(*x))
}

/// Fails when `path` names an existing directory (a file is about to be written there, and
/// the operating system's own answer, "Is a directory", or "Not a directory" for a path with a
/// trailing `/`, does not say what to do), or a file in a folder that does not exist. Other
/// paths pass; whether they can be written is learnt by writing. Commands call it for every
/// output before they start, so that a bad path fails fast and leaves no other output behind.
pub fn check_output_file(path: &std::path::Path) -> Result<()> {
    if path.is_dir() {
        return Err(Error::io(
            format!("writing {}", path.display()),
            std::io::Error::other("that is a directory; name a file in it"),
        ));
    }
    // A missing folder would otherwise only show when the file is written, after the work
    // (and after the command's other outputs were written).
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Error::io(
            format!("writing {}", path.display()),
            std::io::Error::other(format!(
                "the folder {} does not exist (create it first)",
                dir.display()
            )),
        ));
    }
    Ok(())
}

/// Whether `path` exists and is not a regular file: a device such as `/dev/null`, a FIFO or a
/// socket. Writers that replace their output by renaming a temporary file onto it (so that an
/// interrupted write never leaves half a file) must write such a path directly instead: a
/// rename would replace the device itself, and `--out /dev/null` run as root turned
/// `/dev/null` into a regular file that every later reader of `/dev/null` saw the text of.
pub fn is_special_file(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    /// An output in a folder that does not exist is refused before any work, naming it; a
    /// bare file name (the current folder) and a folder that exists are fine.
    #[test]
    fn output_folders_must_exist() {
        let dir = std::env::temp_dir();
        check_output_file(std::path::Path::new("out.csv")).unwrap();
        check_output_file(&dir.join("cartera-out.csv")).unwrap();
        let missing = dir.join("cartera-no-such-folder-7d1").join("x.json");
        let e = check_output_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains("does not exist") && e.contains("cartera-no-such-folder-7d1"),
            "{e}"
        );
        let e = check_output_file(&dir).unwrap_err().to_string();
        assert!(e.contains("directory"), "{e}");
    }

    #[test]
    fn the_first_repeat_is_found() {
        assert_eq!(first_repeat(["a", "b", "c", "b", "a"].iter()), Some(&"b"));
        assert_eq!(first_repeat(["a", "b"].iter()), None);
        let names = [String::from("x"), String::from("x")];
        assert_eq!(first_repeat(names.iter().map(String::as_str)), Some("x"));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_special_files() {
        assert!(is_special_file(std::path::Path::new("/dev/null")));
        assert!(!is_special_file(&std::env::temp_dir()));
        assert!(!is_special_file(
            &std::env::temp_dir().join("cartera-no-such-file")
        ));
    }

    #[test]
    fn a_directory_is_not_an_output_file() {
        let dir = std::env::temp_dir();
        let e = check_output_file(&dir).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");
        assert!(e.contains(&dir.display().to_string()), "{e}");
        assert!(check_output_file(&dir.join("cartera-no-such-file.csv")).is_ok());
    }

    #[test]
    fn empty_is_rejected() {
        let x = Array2::<f64>::zeros((0, 3));
        let e = check_non_empty(x.view(), "training data").unwrap_err();
        assert_eq!(e.to_string(), "training data (0 rows x 3 columns) is empty");
        let x = Array2::<f64>::zeros((3, 0));
        assert!(check_non_empty(x.view(), "X").is_err());
        assert!(check_non_empty(Array2::<f64>::zeros((1, 1)).view(), "X").is_ok());
    }

    #[test]
    fn first_non_finite_cell_is_named() {
        let mut x = Array2::<f32>::zeros((10_000, 3));
        x[[9000, 0]] = f32::INFINITY;
        x[[5000, 2]] = f32::NAN;
        x[[5000, 1]] = f32::NEG_INFINITY;
        match check_finite(x.view(), "X").unwrap_err() {
            Error::NonFinite {
                row, column, value, ..
            } => {
                assert_eq!((row, column, value.as_str()), (5000, 1, "-inf"));
            }
            e => panic!("wrong error {e}"),
        }
        assert!(check_finite(array![[1.0, 2.0]].view(), "X").is_ok());
        // The last cell of a block, and a strided (column-major) view, which is searched
        // cell by cell.
        let mut x = Array2::<f64>::zeros((2 * BLOCK_ROWS, 3));
        assert!(check_finite(x.view(), "X").is_ok());
        x[[BLOCK_ROWS - 1, 2]] = f64::NAN;
        assert!(matches!(
            check_finite(x.view(), "X"),
            Err(Error::NonFinite { row, column: 2, .. }) if row == BLOCK_ROWS - 1
        ));
        assert!(matches!(
            check_finite(x.t(), "X"),
            Err(Error::NonFinite { row: 2, column, .. }) if column == BLOCK_ROWS - 1
        ));
        let y = array![1.0, f64::NAN];
        assert!(matches!(
            check_finite_1d(y.view(), "y"),
            Err(Error::NonFinite { row: 1, .. })
        ));
    }

    #[test]
    fn shapes_and_params() {
        let x = Array2::<f64>::zeros((2, 3));
        assert!(check_width(x.view(), 3, "X").is_ok());
        let e = check_width(x.view(), 4, "X at predict").unwrap_err();
        assert_eq!(
            e.to_string(),
            "X at predict: number of features: expected 4, found 3"
        );
        assert!(check_len(3, 2, "length of y").is_err());
        assert!(check_min_samples(1, 2, "samples").is_err());
        assert!(check_positive("tol", 0.0).is_err());
        assert!(check_positive("tol", f64::NAN).is_err());
        assert!(check_positive("tol", 1e-4).is_ok());
        assert!(check_non_negative("alpha", 0.0).is_ok());
        assert!(check_non_negative("alpha", -1.0).is_err());
        assert!(check_in_range("frac", 1.5, 0.0, 1.0).is_err());
        assert!(check_in_range("frac", f64::NAN, 0.0, 1.0).is_err());
        assert!(check_at_least("k", 0, 1).is_err());
    }
}
