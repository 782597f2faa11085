//! A columnar customer table with typed columns, read from and written to CSV.
//!
//! ```
//! use cartera_preprocess::{Table, CsvOptions, ColumnType};
//!
//! let csv = "id;plan;monthly;region\n1;básico;29.9;Lima\n2;plus;NA;Cusco\n3;básico;35.5;Lima\n4;plus;12;Lima\n";
//! let mut t = Table::read_csv_bytes(csv.as_bytes(), "customers.csv", &CsvOptions::default())?;
//! assert_eq!(t.column_type("plan")?, ColumnType::Categorical);   // `;` was detected
//! assert_eq!(t.column("monthly")?.missing_count(), 1);
//!
//! let x = t.to_array::<f64>(&["id", "monthly"])?;                // row-major, NaN = missing
//! assert_eq!(x[[2, 1]], 35.5);
//!
//! t.push_column("segment", cartera_preprocess::Column::Numeric(vec![0.0, 1.0, 0.0, 1.0]))?;
//! let groups = t.group_by("plan")?;
//! assert_eq!(groups[0].key.as_deref(), Some("básico"));
//! assert_eq!(groups[0].rows, vec![0, 2]);
//! # Ok::<(), cartera_core::Error>(())
//! ```

mod column;
pub mod csv_chunks;
pub(crate) use column::FastHash;
pub mod csv_read;
pub(crate) mod csv_write;
mod describe;

use std::collections::HashSet;

use cartera_core::{Error, Float, Result};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use column::{
    CategoricalColumn, CategoricalRule, Column, ColumnType, MISSING_CODE, NumbersAsText,
    StringColumnBuilder, TextColumn,
};
pub use csv_chunks::{CsvChunks, RowSample};
pub use csv_read::{CsvOptions, DEFAULT_MISSING};
pub use describe::{ColumnSummary, describe_column};

/// A table of named, typed columns of equal length.
///
/// Column names are unique. Rows are indexed from 0. Numeric missing values are NaN, as in
/// pandas; categorical and text columns track missing values explicitly.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
    n_rows: usize,
}

/// The rows sharing one value of a grouping column (see [`Table::group_by`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The shared value (`None` for the missing-value group).
    pub key: Option<String>,
    /// Row indices, ascending.
    pub rows: Vec<usize>,
}

impl Column {
    /// Rows grouped by value, groups in sorted key order (categories in level order, text by
    /// bytes, numbers increasing, their keys printed as the CSV writer prints them, so the
    /// groups of K-Means labels are `"0"`, `"1"`, ...), the missing-value group (if any) last.
    /// Nothing is dropped: the groups' rows cover the column. `Table::group_by` and the
    /// scoring crate's `Groups` both group through this.
    pub fn group_rows(&self) -> Vec<Group> {
        match self {
            Column::Categorical(c) => {
                let mut groups: Vec<Group> = c
                    .levels()
                    .iter()
                    .map(|l| Group {
                        key: Some(l.clone()),
                        rows: Vec::new(),
                    })
                    .collect();
                let mut missing = Vec::new();
                for (i, &code) in c.codes().iter().enumerate() {
                    match groups.get_mut(code as usize) {
                        Some(g) => g.rows.push(i),
                        None => missing.push(i),
                    }
                }
                groups.retain(|g| !g.rows.is_empty());
                if !missing.is_empty() {
                    groups.push(Group {
                        key: None,
                        rows: missing,
                    });
                }
                groups
            }
            Column::Text(t) => {
                let mut map: std::collections::BTreeMap<Option<&str>, Vec<usize>> =
                    Default::default();
                for i in 0..t.len() {
                    map.entry(t.get(i)).or_default().push(i);
                }
                let mut groups: Vec<Group> = map
                    .into_iter()
                    .map(|(k, rows)| Group {
                        key: k.map(str::to_string),
                        rows,
                    })
                    .collect();
                // BTreeMap puts None first; the missing group goes last.
                if groups.first().is_some_and(|g| g.key.is_none()) {
                    let g = groups.remove(0);
                    groups.push(g);
                }
                groups
            }
            Column::Numeric(v) => {
                // By value, in increasing order (cluster labels, store numbers): the key is the
                // value as the CSV writer prints it; -0 and 0 are one group.
                let mut order: Vec<usize> = (0..v.len()).filter(|&i| !v[i].is_nan()).collect();
                let key = |i: usize| if v[i] == 0.0 { 0.0 } else { v[i] };
                order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
                let mut groups: Vec<Group> = Vec::new();
                for i in order {
                    match groups.last_mut() {
                        Some(g) if v[g.rows[0]] == v[i] => g.rows.push(i),
                        _ => {
                            let mut label = String::new();
                            csv_write::format_f64(key(i), &mut label);
                            groups.push(Group {
                                key: Some(label),
                                rows: vec![i],
                            });
                        }
                    }
                }
                let missing: Vec<usize> = (0..v.len()).filter(|&i| v[i].is_nan()).collect();
                if !missing.is_empty() {
                    groups.push(Group {
                        key: None,
                        rows: missing,
                    });
                }
                groups
            }
        }
    }
}

impl Table {
    /// An empty table (no columns, no rows).
    pub fn new() -> Self {
        Table::default()
    }

    /// Build from `(name, column)` pairs; names must be unique and lengths equal.
    pub fn from_columns(columns: Vec<(String, Column)>) -> Result<Self> {
        let mut t = Table::new();
        for (name, col) in columns {
            t.push_column(&name, col)?;
        }
        Ok(t)
    }

    /// The `(name, column)` pairs, in order: the inverse of [`Table::from_columns`], moving
    /// the columns out without copying them.
    pub fn into_columns(self) -> Vec<(String, Column)> {
        self.names.into_iter().zip(self.columns).collect()
    }

    /// A numeric table from a matrix, one column per matrix column.
    pub fn from_array<F: Float>(names: &[&str], x: ArrayView2<'_, F>) -> Result<Self> {
        cartera_core::validate::check_len(names.len(), x.ncols(), "number of column names")?;
        let cols = names
            .iter()
            .enumerate()
            .map(|(j, n)| {
                (
                    n.to_string(),
                    Column::Numeric(x.column(j).iter().map(|v| v.as_f64()).collect()),
                )
            })
            .collect();
        Self::from_columns(cols)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// Column names in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Columns in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Position of the column called `name`.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| Error::UnknownColumn {
                name: name.to_string(),
                available: self.names.clone(),
            })
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(&self.columns[self.index_of(name)?])
    }

    /// The type of the column called `name`.
    pub fn column_type(&self, name: &str) -> Result<ColumnType> {
        Ok(self.column(name)?.column_type())
    }

    /// Names of the numeric columns, in order.
    pub fn numeric_names(&self) -> Vec<&str> {
        self.names_of_type(ColumnType::Numeric)
    }

    /// Names of the columns of type `ty`, in order.
    pub fn names_of_type(&self, ty: ColumnType) -> Vec<&str> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter(|(_, c)| c.column_type() == ty)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// Append a column (cluster labels, scores); its length must equal [`Table::n_rows`] unless
    /// the table has no columns yet, and its name must be new.
    pub fn push_column(&mut self, name: &str, column: Column) -> Result<()> {
        if self.names.iter().any(|n| n == name) {
            return Err(Error::invalid_param(
                "column name",
                name,
                "a column with this name already exists",
            ));
        }
        if self.columns.is_empty() {
            self.n_rows = column.len();
        } else {
            cartera_core::validate::check_len(
                column.len(),
                self.n_rows,
                &format!("length of new column `{name}`"),
            )?;
        }
        self.names.push(name.to_string());
        self.columns.push(column);
        Ok(())
    }

    /// Replace the column called `name` by `column` (same length), keeping its position.
    pub fn replace_column(&mut self, name: &str, column: Column) -> Result<Column> {
        let j = self.index_of(name)?;
        cartera_core::validate::check_len(
            column.len(),
            self.n_rows,
            &format!("length of column `{name}`"),
        )?;
        Ok(std::mem::replace(&mut self.columns[j], column))
    }

    /// A table with only `names`, in that order.
    pub fn select(&self, names: &[&str]) -> Result<Table> {
        let mut seen = HashSet::new();
        let mut out = Table::new();
        for n in names {
            if !seen.insert(*n) {
                return Err(Error::invalid_param(
                    "columns",
                    n,
                    "a column is named twice",
                ));
            }
            out.push_column(n, self.column(n)?.clone())?;
        }
        out.n_rows = self.n_rows;
        Ok(out)
    }

    /// A table without `names` (each must exist).
    pub fn drop(&self, names: &[&str]) -> Result<Table> {
        for n in names {
            self.index_of(n)?;
        }
        let mut out = Table::new();
        for (n, c) in self.names.iter().zip(&self.columns) {
            if !names.contains(&n.as_str()) {
                out.push_column(n, c.clone())?;
            }
        }
        out.n_rows = self.n_rows;
        Ok(out)
    }

    /// Remove the columns `names` in place (each must exist); no data is copied.
    pub fn remove_columns(&mut self, names: &[&str]) -> Result<()> {
        for n in names {
            self.index_of(n)?;
        }
        let mut keep = self.names.iter().map(|n| !names.contains(&n.as_str()));
        let flags: Vec<bool> = keep.by_ref().collect();
        let mut i = 0;
        self.names.retain(|_| {
            i += 1;
            flags[i - 1]
        });
        let mut i = 0;
        self.columns.retain(|_| {
            i += 1;
            flags[i - 1]
        });
        Ok(())
    }

    /// A table with the rows `rows`, in that order (repeats allowed).
    pub fn take_rows(&self, rows: &[usize]) -> Result<Table> {
        column::check_rows(rows, self.n_rows)?;
        let columns: Vec<Column> = self
            .columns
            .par_iter()
            .map(|c| c.take_checked(rows))
            .collect();
        Ok(Table {
            names: self.names.clone(),
            columns,
            n_rows: rows.len(),
        })
    }

    /// The numeric columns `names` as a row-major `n_rows x names.len()` matrix.
    ///
    /// Missing values become NaN; call [`cartera_core::validate::check_finite`] (every `fit`
    /// does) or impute first. A non-numeric column is a [`Error::ColumnType`] error; a finite
    /// value beyond `F`'s range (above about 3.4e38 for `f32`) is [`Error::InvalidData`].
    pub fn to_array<F: Float>(&self, names: &[&str]) -> Result<Array2<F>> {
        let cols: Vec<&[f64]> = names
            .iter()
            .map(|n| {
                let c = self.column(n)?;
                c.as_numeric().ok_or_else(|| Error::ColumnType {
                    name: n.to_string(),
                    expected: "numeric".into(),
                    found: c.column_type().to_string(),
                })
            })
            .collect::<Result<_>>()?;
        let d = cols.len();
        if d == 0 {
            return Ok(Array2::<F>::zeros((self.n_rows, 0)));
        }
        // A finite value beyond the type's range (1e300 as f32) would become ±inf, and a later
        // check would then report an infinity the file does not hold.
        let max = F::max_value().as_f64();
        if max < f64::MAX {
            for (name, col) in names.iter().zip(&cols) {
                if let Some(r) = col.iter().position(|v| v.is_finite() && v.abs() > max) {
                    return Err(Error::invalid_data(
                        format!("column `{name}`"),
                        format!(
                            "row {r} (0-based) holds {}, beyond the range of {}: read the \
                             column as f64 or divide it by a constant",
                            col[r],
                            F::NAME
                        ),
                    ));
                }
            }
        }
        // Fresh memory on huge pages when large (see `cartera_core::memory`): the matrix is
        // written once, and 4 KiB page faults cost as much as the copy on the VMs we measure.
        let buf = cartera_core::memory::zeroed::<F>(self.n_rows * d);
        // The buffer holds exactly `n_rows * d` values, the shape's size.
        let mut out = Array2::from_shape_vec((self.n_rows, d), buf).expect("n_rows * d values");
        // Fill blocks of rows in parallel; within a block write row by row so every store is
        // sequential in the output.
        const BLOCK: usize = 2048;
        if let Some(buf) = out.as_slice_mut() {
            buf.par_chunks_mut(BLOCK * d)
                .enumerate()
                .for_each(|(b, chunk)| {
                    let r0 = b * BLOCK;
                    for (i, row) in chunk.chunks_mut(d).enumerate() {
                        for (j, v) in row.iter_mut().enumerate() {
                            *v = F::cast_from_f64(cols[j][r0 + i]);
                        }
                    }
                });
        }
        Ok(out)
    }

    /// Rows grouped by the value of column `name`: [`Column::group_rows`].
    pub fn group_by(&self, name: &str) -> Result<Vec<Group>> {
        Ok(self.column(name)?.group_rows())
    }

    /// Summary statistics of every column, as pandas' `describe(include="all")` plus type and
    /// missing counts. Columns are summarised in parallel.
    pub fn describe(&self) -> Vec<ColumnSummary> {
        self.names
            .par_iter()
            .zip(self.columns.par_iter())
            .map(|(n, c)| describe_column(n, c))
            .collect()
    }

    /// Heap bytes held by the columns (data only, not names).
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum()
    }

    pub(crate) fn from_parts_unchecked(
        names: Vec<String>,
        columns: Vec<Column>,
        n_rows: usize,
    ) -> Self {
        Table {
            names,
            columns,
            n_rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Table {
        Table::from_columns(vec![
            ("age".into(), Column::Numeric(vec![30.0, f64::NAN, 45.0])),
            (
                "plan".into(),
                Column::Categorical(CategoricalColumn::from_options(&[
                    Some("plus"),
                    Some("basic"),
                    None,
                ])),
            ),
            (
                "id".into(),
                Column::Text(TextColumn::from_options(&[Some("a"), Some("b"), Some("c")])),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn select_drop_push() {
        let t = sample();
        let s = t.select(&["id", "age"]).unwrap();
        assert_eq!(s.names(), &["id".to_string(), "age".to_string()]);
        let d = t.drop(&["plan"]).unwrap();
        assert_eq!(d.n_cols(), 2);
        assert!(matches!(
            t.drop(&["nope"]),
            Err(Error::UnknownColumn { .. })
        ));
        assert!(t.select(&["age", "age"]).is_err());
        let mut t2 = t.clone();
        assert!(
            t2.push_column("age", Column::Numeric(vec![0.0; 3]))
                .is_err()
        );
        assert!(matches!(
            t2.push_column("x", Column::Numeric(vec![0.0; 2])),
            Err(Error::ShapeMismatch {
                expected: 3,
                found: 2,
                ..
            })
        ));
        t2.push_column("cluster", Column::Numeric(vec![1.0, 2.0, 3.0]))
            .unwrap();
        assert_eq!(t2.n_cols(), 4);
    }

    #[test]
    fn array_round_trip() {
        let x = array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.5]];
        let t = Table::from_array(&["a", "b"], x.view()).unwrap();
        let back: Array2<f32> = t.to_array(&["a", "b"]).unwrap();
        assert_eq!(back, x);
        let swapped: Array2<f64> = t.to_array(&["b", "a"]).unwrap();
        assert_eq!(swapped[[2, 0]], 6.5);
        assert!(Table::from_array(&["a"], x.view()).is_err());
        let t = sample();
        assert!(matches!(
            t.to_array::<f64>(&["plan"]),
            Err(Error::ColumnType { .. })
        ));
        assert!(t.to_array::<f64>(&["age"]).unwrap()[[1, 0]].is_nan());
    }

    /// A finite value beyond f32's range is an error naming the column and row in f32, and
    /// fine in f64.
    #[test]
    fn to_array_refuses_values_beyond_f32() {
        let t = Table::from_columns(vec![(
            "amount".into(),
            Column::Numeric(vec![1.0, f64::NAN, 1e300]),
        )])
        .unwrap();
        let e = t.to_array::<f32>(&["amount"]).unwrap_err();
        assert!(matches!(e, Error::InvalidData { .. }), "{e}");
        assert!(e.to_string().contains("row 2"), "{e}");
        assert_eq!(t.to_array::<f64>(&["amount"]).unwrap()[[2, 0]], 1e300);
    }

    #[test]
    fn to_array_is_row_major_across_blocks() {
        let n = 5000;
        let t = Table::from_columns(vec![
            (
                "i".into(),
                Column::Numeric((0..n).map(|v| v as f64).collect()),
            ),
            (
                "j".into(),
                Column::Numeric((0..n).map(|v| -(v as f64)).collect()),
            ),
        ])
        .unwrap();
        let x: Array2<f64> = t.to_array(&["i", "j"]).unwrap();
        for r in [0, 2047, 2048, 4999] {
            assert_eq!(x[[r, 0]], r as f64);
            assert_eq!(x[[r, 1]], -(r as f64));
        }
    }

    #[test]
    fn group_by_categorical_and_text() {
        let t = sample();
        let g = t.group_by("plan").unwrap();
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].key.as_deref(), Some("basic"));
        assert_eq!(g[2].key, None);
        assert_eq!(g[2].rows, vec![2]);
        let g = t.group_by("id").unwrap();
        assert_eq!(g.len(), 3);
    }

    /// A numeric column (K-Means labels) groups by value, in increasing order, NaN last and
    /// -0 with 0.
    #[test]
    fn group_by_numeric_values() {
        let mut t = Table::new();
        t.push_column(
            "cluster",
            Column::Numeric(vec![2.0, 0.0, f64::NAN, 2.0, -0.0, 1.5, 10.0]),
        )
        .unwrap();
        let g = t.group_by("cluster").unwrap();
        let keys: Vec<Option<&str>> = g.iter().map(|g| g.key.as_deref()).collect();
        assert_eq!(keys, [Some("0"), Some("1.5"), Some("2"), Some("10"), None]);
        let rows: Vec<&[usize]> = g.iter().map(|g| g.rows.as_slice()).collect();
        assert_eq!(rows, [&[1, 4][..], &[5], &[0, 3], &[6], &[2]]);
    }

    #[test]
    fn take_rows_checks_bounds() {
        let t = sample();
        let s = t.take_rows(&[2, 0]).unwrap();
        assert_eq!(s.n_rows(), 2);
        assert_eq!(s.column("id").unwrap().get_string(0).as_deref(), Some("c"));
        assert!(t.take_rows(&[3]).is_err());
    }
}
