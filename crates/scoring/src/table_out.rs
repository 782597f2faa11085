//! Small helpers to turn result rows into a [`cartera_preprocess::Table`] for CSV output.

use cartera_preprocess::{Column, Table, TextColumn};

/// Builds a table column by column; names are fixed by the callers and unique.
pub(crate) struct TableBuilder {
    columns: Vec<(String, Column)>,
}

impl TableBuilder {
    pub(crate) fn new() -> Self {
        TableBuilder {
            columns: Vec::new(),
        }
    }

    pub(crate) fn text(mut self, name: &str, values: impl Iterator<Item = String>) -> Self {
        let v: Vec<Option<String>> = values.map(Some).collect();
        self.columns
            .push((name.to_string(), Column::Text(TextColumn::from_options(&v))));
        self
    }

    pub(crate) fn num(mut self, name: &str, values: impl Iterator<Item = f64>) -> Self {
        self.columns
            .push((name.to_string(), Column::Numeric(values.collect())));
        self
    }

    /// The table. Names are distinct literals and every column has one value per result row,
    /// so `from_columns` cannot fail; an error would be a bug in this crate, reported as such.
    pub(crate) fn build(self) -> Table {
        Table::from_columns(self.columns).unwrap_or_else(|e| {
            unreachable!("result table columns are built with equal lengths: {e}")
        })
    }
}
