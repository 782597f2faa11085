//! Group columns as dense codes: the common currency of every per-group table.
//!
//! A [`Groups`] maps each row to a code `0..n_groups` and each code to a label. Label order:
//! categorical columns keep their level order (the order of the CSV reader, i.e. sorted),
//! numeric columns are ordered by value (labels formatted as in CSV output, so cluster `2`
//! reads `2`), text columns by byte order. Missing values form their own group labelled
//! [`MISSING_LABEL`], last. Unlike pandas' `groupby` (which drops NaN keys by default),
//! nothing is dropped: the per-group counts always add up to the table.

use cartera_core::{Error, Result};
use cartera_preprocess::{Column, Table};
use serde::{Deserialize, Serialize};

/// Label of the group of rows whose key is missing.
pub const MISSING_LABEL: &str = "NA";

/// Rows sorted into groups: one code per row, one label per code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Groups {
    codes: Vec<u32>,
    labels: Vec<String>,
}

impl Groups {
    /// Every row in one group labelled `label` (a table without a group column).
    pub fn single(n_rows: usize, label: &str) -> Self {
        Groups {
            codes: vec![0; n_rows],
            labels: vec![label.to_string()],
        }
    }

    /// From codes and labels; every code must index a label, and no label may repeat.
    pub fn from_codes(codes: Vec<u32>, labels: Vec<String>) -> Result<Self> {
        if let Some(row) = codes.iter().position(|&c| c as usize >= labels.len()) {
            return Err(Error::invalid_data(
                "group codes",
                format!(
                    "row {row} (0-based) holds {}: a code must be below the number of labels ({})",
                    codes[row],
                    labels.len()
                ),
            ));
        }
        if let Some(dup) = cartera_core::validate::first_repeat(&labels) {
            return Err(Error::invalid_data(
                "group labels",
                format!("`{dup}` is named twice: two segments would print as one"),
            ));
        }
        Ok(Groups { codes, labels })
    }

    /// Groups of the column `name` of `table` (an unknown name is [`Error::UnknownColumn`]).
    pub fn from_table(table: &Table, name: &str) -> Result<Self> {
        Ok(Self::from_column(table.column(name)?))
    }

    /// Groups of one column (see the module documentation for the label order): the column's
    /// own [`Column::group_rows`], as codes.
    pub fn from_column(column: &Column) -> Self {
        let mut codes = vec![0u32; column.len()];
        let labels = column
            .group_rows()
            .into_iter()
            .enumerate()
            .map(|(g, group)| {
                for r in group.rows {
                    codes[r] = g as u32;
                }
                group.key.unwrap_or_else(|| MISSING_LABEL.to_string())
            })
            .collect();
        Groups { codes, labels }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.codes.len()
    }

    /// Number of groups.
    pub fn n_groups(&self) -> usize {
        self.labels.len()
    }

    /// Code of each row.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Label of each code.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Rows of each group, each list ascending, in one allocation: `(offsets, rows)` where the
    /// rows of group `g` are `rows[offsets[g]..offsets[g + 1]]`. `order` gives the row sequence
    /// to distribute (ascending rows, or a score order): the order inside each group follows it.
    pub(crate) fn bucket(&self, order: impl Iterator<Item = usize>) -> (Vec<usize>, Vec<usize>) {
        let k = self.n_groups();
        let mut offsets = vec![0usize; k + 1];
        for &c in &self.codes {
            offsets[c as usize + 1] += 1;
        }
        for g in 0..k {
            offsets[g + 1] += offsets[g];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0usize; self.codes.len()];
        for r in order {
            let g = self.codes[r] as usize;
            rows[next[g]] = r;
            next[g] += 1;
        }
        (offsets, rows)
    }
}

/// Rows per block for per-group partial sums: fixed by the data, never by the thread count, so
/// sums are combined in the same order on every machine.
pub(crate) const BLOCK: usize = 16_384;

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_preprocess::{CategoricalColumn, TextColumn};

    #[test]
    fn numeric_text_and_categorical_keys() {
        let g = Groups::from_column(&Column::Numeric(vec![2.0, 0.0, f64::NAN, 2.0, 1.5]));
        assert_eq!(g.labels(), ["0", "1.5", "2", "NA"]);
        assert_eq!(g.codes(), [2, 0, 3, 2, 1]);
        let g = Groups::from_column(&Column::Text(TextColumn::from_options(&[
            Some("b"),
            None,
            Some("a"),
        ])));
        assert_eq!(g.labels(), ["a", "b", "NA"]);
        assert_eq!(g.codes(), [1, 2, 0]);
        let g = Groups::from_column(&Column::Categorical(CategoricalColumn::from_options(&[
            Some("x"),
            Some("y"),
            Some("x"),
        ])));
        assert_eq!(g.codes(), [0, 1, 0]);
        let (off, rows) = g.bucket(0..3);
        assert_eq!(off, [0, 2, 3]);
        assert_eq!(rows, [0, 2, 1]);
    }

    #[test]
    fn bad_codes_are_rejected() {
        assert!(Groups::from_codes(vec![0, 2], vec!["a".into(), "b".into()]).is_err());
        // Two segments named alike would print as one.
        let e = Groups::from_codes(vec![0, 1], vec!["a".into(), "a".into()]).unwrap_err();
        assert!(e.to_string().contains("`a` is named twice"), "{e}");
    }
}
