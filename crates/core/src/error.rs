//! The one error type of the workspace.
//!
//! Every fallible public function in cartera returns [`Result`]. Messages name *what* went wrong
//! and *where* (row, column, parameter, file and line), because the people reading them are
//! analysts looking at a spreadsheet export, not at our source code.

use std::fmt;

/// Convenience alias used by every cartera crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in cartera.
///
/// Rows and columns in messages are 0-based indices into the array or table handed to the
/// function, except in [`Error::Parse`], whose `line` and `column` are 1-based like an editor's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input has no rows (or no columns) where at least one is required.
    #[error("{what} is empty")]
    EmptyInput {
        /// What was empty, e.g. `"training data"`.
        what: String,
    },

    /// A NaN or infinite value where only finite values are allowed.
    #[error("{what} contains a non-finite value ({value}) at row {row}, column {column} (0-based)")]
    NonFinite {
        /// Which input held it.
        what: String,
        /// 0-based row index.
        row: usize,
        /// 0-based column index.
        column: usize,
        /// The offending value as text (`NaN`, `inf`, `-inf`).
        value: String,
    },

    /// Two sizes that must agree do not.
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// What was compared, e.g. `"number of features"`.
        what: String,
        /// The size required.
        expected: usize,
        /// The size received.
        found: usize,
    },

    /// A parameter outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name as the user wrote it (builder setter or CLI flag).
        name: String,
        /// The rejected value, formatted.
        value: String,
        /// Why it was rejected, phrased as the rule it broke.
        reason: String,
    },

    /// The data break a rule no parameter can fix: a column with missing values where none
    /// are allowed, a category unseen at fit time, repeated IDs, a file without the model's
    /// columns. Unlike [`Error::InvalidParameter`], nothing the user typed is wrong; the message
    /// names the data and what to do with it.
    #[error("{what}: {reason}")]
    InvalidData {
        /// The data at fault: a column, a file, a row.
        what: String,
        /// The rule it broke, and the way out when there is one.
        reason: String,
    },

    /// Fewer samples (or classes, or distinct values) than the method needs.
    #[error("{what}: needs at least {needed}, found {found}")]
    TooFewSamples {
        /// What was counted.
        what: String,
        /// The minimum required.
        needed: usize,
        /// The number received.
        found: usize,
    },

    /// Text input (CSV, model files) that cannot be read.
    #[error("{source_name}:{line}:{column}: {message}")]
    Parse {
        /// File name or a description such as `"<memory>"`.
        source_name: String,
        /// 1-based line number (0 when the problem is not tied to a line).
        line: u64,
        /// 1-based column (field) number (0 when the whole line is at fault).
        column: u64,
        /// What is wrong with it.
        message: String,
    },

    /// A column (or feature) named by the user does not exist.
    #[error("no column named `{name}`{}", available_hint(available))]
    UnknownColumn {
        /// The name asked for.
        name: String,
        /// The names that do exist (may be truncated for display).
        available: Vec<String>,
    },

    /// A column exists but has the wrong type for the operation.
    #[error("column `{name}` is {found}, but {expected} is required")]
    ColumnType {
        /// Column name.
        name: String,
        /// The type required, e.g. `"numeric"`.
        expected: String,
        /// The type it has.
        found: String,
    },

    /// A saved model or pipeline file that is truncated, corrupted or of another version.
    #[error("model file: {message}")]
    ModelFormat {
        /// What is wrong with it.
        message: String,
    },

    /// An I/O failure, with the path involved when there is one.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing (usually `reading PATH` or `writing PATH`).
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

fn available_hint(available: &[String]) -> String {
    if available.is_empty() {
        return String::new();
    }
    const SHOWN: usize = 12;
    let mut s = String::from(" (columns: ");
    for (i, name) in available.iter().take(SHOWN).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(name);
    }
    if available.len() > SHOWN {
        s.push_str(&format!(", … {} more", available.len() - SHOWN));
    }
    s.push(')');
    s
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid_param(
        name: impl Into<String>,
        value: impl fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidData`].
    pub fn invalid_data(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidData {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::Io`] with a context such as `"reading data.csv"`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Shorthand for [`Error::EmptyInput`].
    pub fn empty(what: impl Into<String>) -> Self {
        Error::EmptyInput { what: what.into() }
    }

    /// Shorthand for [`Error::ModelFormat`].
    pub fn model_format(message: impl Into<String>) -> Self {
        Error::ModelFormat {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_and_where() {
        let e = Error::NonFinite {
            what: "X".into(),
            row: 3,
            column: 1,
            value: "NaN".into(),
        };
        assert_eq!(
            e.to_string(),
            "X contains a non-finite value (NaN) at row 3, column 1 (0-based)"
        );
        // Data errors name the data, not a parameter the user did not set.
        let e = Error::invalid_data("column `tenure`", "has 11 missing values: impute first");
        assert_eq!(
            e.to_string(),
            "column `tenure`: has 11 missing values: impute first"
        );
        let e = Error::Parse {
            source_name: "a.csv".into(),
            line: 7,
            column: 2,
            message: "expected 3 fields, found 2".into(),
        };
        assert_eq!(e.to_string(), "a.csv:7:2: expected 3 fields, found 2");
        let e = Error::invalid_param("n_clusters", 0, "must be at least 1");
        assert_eq!(
            e.to_string(),
            "invalid parameter `n_clusters` = 0: must be at least 1"
        );
    }

    #[test]
    fn unknown_column_lists_what_exists() {
        let e = Error::UnknownColumn {
            name: "agee".into(),
            available: vec!["age".into(), "job".into()],
        };
        assert_eq!(e.to_string(), "no column named `agee` (columns: age, job)");
        let many: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let e = Error::UnknownColumn {
            name: "x".into(),
            available: many,
        };
        assert!(e.to_string().ends_with("c11, … 8 more)"), "{e}");
    }
}
