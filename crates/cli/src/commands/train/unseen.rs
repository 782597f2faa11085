//! Categories that only the validation part of `cartera train` holds.
//!
//! The train/validation split is internal to `train`, so a rare category can land in the
//! validation rows only. The model learns nothing about it, but those rows must still be
//! scored: they are encoded as no known category (all one-hot columns 0, scikit-learn's
//! `OneHotEncoder(handle_unknown='ignore')`; with native categorical splits, a missing code)
//! and the user is told which values and rows were affected, counted as data rows of the
//! input file. The saved model keeps rejecting unknown categories in `cartera predict`.

use std::collections::HashSet;

use cartera_core::Result;
use cartera_preprocess::{Column, Table};

/// Examples of rows listed in the note per column before "and N more".
const ROWS_SHOWN: usize = 3;

/// The values of one feature column found in the validation rows but not in the training rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnseenCategories {
    /// Feature column name.
    pub column: String,
    /// The unseen values, in order of first appearance in the validation part.
    pub values: Vec<String>,
    /// Data rows of the input file holding them (1-based, header not counted, as the
    /// missing-target error counts them), ascending.
    pub rows: Vec<usize>,
}

/// The distinct non-missing values of a categorical (or text) column; numeric columns have
/// none.
fn distinct_values(col: &Column) -> HashSet<&str> {
    match col {
        Column::Categorical(c) => {
            // A dictionary column may keep levels that none of its rows use (after
            // `take_rows`): only the used ones count as seen.
            c.levels()
                .iter()
                .zip(c.used_levels())
                .filter(|(_, u)| *u)
                .map(|(l, _)| l.as_str())
                .collect()
        }
        Column::Text(t) => t.iter().flatten().collect(),
        Column::Numeric(_) => HashSet::new(),
    }
}

/// For each of `columns`, the values of `valid` absent from `train`. `valid_rows[i]` is the
/// 0-based index in the input file's data rows of `valid`'s row `i`. Columns without such
/// values are left out; an empty result means the validation part holds nothing new.
pub fn unseen_categories(
    train: &Table,
    valid: &Table,
    valid_rows: &[usize],
    columns: &[String],
) -> Result<Vec<UnseenCategories>> {
    let mut found = Vec::new();
    for name in columns {
        let seen = distinct_values(train.column(name)?);
        let col = valid.column(name)?;
        let value_at = |i: usize| match col {
            Column::Categorical(c) => c.get(i),
            Column::Text(t) => t.get(i),
            Column::Numeric(_) => None,
        };
        let mut values: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for (i, &file_row) in valid_rows.iter().enumerate().take(col.len()) {
            if let Some(v) = value_at(i).filter(|v| !seen.contains(v)) {
                if !values.iter().any(|u| u == v) {
                    values.push(v.to_string());
                }
                rows.push(file_row + 1);
            }
        }
        if !values.is_empty() {
            rows.sort_unstable();
            found.push(UnseenCategories {
                column: name.clone(),
                values,
                rows,
            });
        }
    }
    Ok(found)
}

impl UnseenCategories {
    /// A one-line note for stderr: the column, the values, the first rows and what was done.
    pub fn note(&self) -> String {
        let values: Vec<String> = self.values.iter().map(|v| format!("{v:?}")).collect();
        let shown: Vec<String> = self
            .rows
            .iter()
            .take(ROWS_SHOWN)
            .map(usize::to_string)
            .collect();
        let more = match self.rows.len().saturating_sub(ROWS_SHOWN) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let (noun, it) = if self.values.len() == 1 {
            ("category", "it")
        } else {
            ("categories", "them")
        };
        format!(
            "note: column `{}`: {noun} {} only in validation rows (data row{} {}{more}): scored \
             as no known category; the model never saw {it} and `cartera predict` will reject {it}",
            self.column,
            values.join(", "),
            if self.rows.len() == 1 { "" } else { "s" },
            shown.join(", "),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartera_preprocess::CategoricalColumn;

    fn table(values: &[Option<&str>]) -> Table {
        Table::from_columns(vec![(
            "plan".into(),
            Column::Categorical(CategoricalColumn::from_options(values)),
        )])
        .unwrap()
    }

    #[test]
    fn finds_values_of_validation_rows_only_and_counts_file_rows() {
        let all = table(&[
            Some("a"),
            Some("b"),
            Some("rare"),
            None,
            Some("a"),
            Some("new"),
            Some("rare"),
        ]);
        let train_rows = [0, 1, 4];
        let valid_rows = [2, 3, 5, 6];
        let train = all.take_rows(&train_rows).unwrap();
        let valid = all.take_rows(&valid_rows).unwrap();
        let found = unseen_categories(&train, &valid, &valid_rows, &["plan".into()]).unwrap();
        assert_eq!(
            found,
            vec![UnseenCategories {
                column: "plan".into(),
                values: vec!["rare".into(), "new".into()],
                rows: vec![3, 6, 7],
            }]
        );
        let note = found[0].note();
        assert!(
            note.contains("categories \"rare\", \"new\"") && note.contains("data rows 3, 6, 7"),
            "{note}"
        );
        // A missing value is not an unseen category; nothing new, nothing reported.
        let valid_rows = [3, 4];
        let valid = all.take_rows(&valid_rows).unwrap();
        assert!(
            unseen_categories(&train, &valid, &valid_rows, &["plan".into()])
                .unwrap()
                .is_empty()
        );
    }
}
