//! # cartera-preprocess
//!
//! Customer tables in, clean numeric matrices out. This crate holds:
//!
//! * [`table`]: the columnar [`Table`] (numeric, categorical and text columns) with a fast,
//!   parallel CSV reader that detects the delimiter, infers column types and reports bad input
//!   with file, line and column; CSV writing; selection, appending, grouping and conversion to
//!   row-major `ndarray` matrices;
//! * [`datasets`]: deterministic customer-table generators shaped like the studies cartera is
//!   built for (telco churn, bank marketing, ATM usage);
//! * [`clean`]: duplicates, sentinels, identifier and constant columns;
//! * [`impute`], [`scale`], [`outliers`], [`encode`], [`pca`]: the transformers, each
//!   params → fit → fitted model, matching scikit-learn;
//! * [`split`]: a stratified, seeded train/validation split;
//! * [`pipeline`]: the steps bound to column names, saved as JSON and re-applied to next
//!   month's file (what `cartera prep` runs).
//!
//! ```
//! use cartera_preprocess::{datasets, CsvOptions, Table};
//!
//! // A generated bank table, written to CSV and read back: same table.
//! let bank = datasets::bank_customers(2_000, 1)?;
//! let mut csv = Vec::new();
//! bank.write_csv_to(&mut csv)?;
//! let back = Table::read_csv_bytes(&csv, "bank.csv", &CsvOptions::default())?;
//! assert_eq!(back, bank);
//!
//! // Per-column statistics, as pandas' describe().
//! let stats = back.describe();
//! let age = stats.iter().find(|s| s.name == "age").unwrap();
//! assert!(age.mean.unwrap() > 18.0);
//! # Ok::<(), cartera_core::Error>(())
//! ```

pub mod clean;
pub mod datasets;
pub mod encode;
pub mod impute;
pub mod outliers;
pub mod pca;
pub mod pipeline;
pub mod scale;
pub mod split;
pub mod table;

pub use table::{
    CategoricalColumn, CategoricalRule, Column, ColumnSummary, ColumnType, CsvOptions,
    DEFAULT_MISSING, Group, NumbersAsText, Table, TextColumn,
};
