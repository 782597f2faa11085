//! Typed columns: numeric (`f64`, NaN = missing), categorical (dictionary-encoded) and text.

use std::collections::HashMap;

use cartera_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Refuses a row index of `rows` at or past `n` rows, naming the first (`take` of a column or a
/// table).
pub(crate) fn check_rows(rows: &[usize], n: usize) -> Result<()> {
    match rows.iter().find(|&&r| r >= n) {
        Some(&bad) => Err(Error::invalid_param(
            "row",
            bad,
            format!("must be below the number of rows ({n})"),
        )),
        None => Ok(()),
    }
}

/// The type of a [`Column`], as inferred from a CSV file or declared by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Numbers, stored as `f64`; missing values are NaN.
    Numeric,
    /// A small set of repeated labels (plan, region, store), stored as `u32` codes into a sorted
    /// dictionary of levels.
    Categorical,
    /// Free or unique text (IDs, addresses, dates), stored as one contiguous buffer.
    Text,
}

impl ColumnType {
    /// Lower-case name used in messages, `describe` output and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Numeric => "numeric",
            ColumnType::Categorical => "categorical",
            ColumnType::Text => "text",
        }
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ColumnType {
    type Err = cartera_core::Error;
    fn from_str(s: &str) -> cartera_core::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "numeric" | "number" | "num" | "float" => Ok(ColumnType::Numeric),
            "categorical" | "category" | "cat" => Ok(ColumnType::Categorical),
            "text" | "string" | "str" => Ok(ColumnType::Text),
            _ => Err(cartera_core::Error::invalid_param(
                "column type",
                s,
                "must be numeric, categorical or text",
            )),
        }
    }
}

/// Code marking a missing value in a [`CategoricalColumn`].
pub const MISSING_CODE: u32 = u32::MAX;

/// Dictionary-encoded labels: `codes[i]` indexes `levels`, or is [`MISSING_CODE`].
///
/// Levels are kept sorted (byte order), so one-hot columns and group orders are the same
/// whatever the row order of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoricalColumn {
    codes: Vec<u32>,
    levels: Vec<String>,
}

impl CategoricalColumn {
    /// Build from optional strings (`None` = missing).
    pub fn from_options<S: AsRef<str>>(values: &[Option<S>]) -> Self {
        let mut b = StringColumnBuilder::with_capacity(values.len(), 0);
        for v in values {
            b.push(v.as_ref().map(|s| s.as_ref()));
        }
        b.into_categorical()
    }

    /// Build from codes into `levels` (levels are sorted and de-duplicated; codes are remapped).
    /// Codes out of range become missing.
    pub fn from_codes(codes: Vec<u32>, levels: Vec<String>) -> Self {
        let mut order: Vec<usize> = (0..levels.len()).collect();
        order.sort_by(|&a, &b| levels[a].cmp(&levels[b]));
        let mut sorted: Vec<String> = Vec::with_capacity(levels.len());
        let mut remap = vec![MISSING_CODE; levels.len()];
        for &old in &order {
            if sorted.last() != Some(&levels[old]) {
                sorted.push(levels[old].clone());
            }
            remap[old] = (sorted.len() - 1) as u32;
        }
        let codes = codes
            .into_iter()
            .map(|c| remap.get(c as usize).copied().unwrap_or(MISSING_CODE))
            .collect();
        CategoricalColumn {
            codes,
            levels: sorted,
        }
    }

    /// The codes, one per row.
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The sorted levels.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// Whether each level occurs in some row (in [`levels`](Self::levels)' order). A column
    /// keeps its whole dictionary when rows are taken out of it (`Table::take_rows`), so a
    /// level can have no row left: an encoder or a check of "categories seen" counts only the
    /// used ones.
    pub fn used_levels(&self) -> Vec<bool> {
        let mut used = vec![false; self.levels.len()];
        for &k in &self.codes {
            // MISSING_CODE (and nothing else) lies past the levels.
            if let Some(u) = used.get_mut(k as usize) {
                *u = true;
            }
        }
        used
    }

    /// Value of row `i` (`None` when missing).
    pub fn get(&self, i: usize) -> Option<&str> {
        self.levels.get(self.codes[i] as usize).map(|s| s.as_str())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    fn take(&self, rows: &[usize]) -> Self {
        CategoricalColumn {
            codes: rows.iter().map(|&r| self.codes[r]).collect(),
            levels: self.levels.clone(),
        }
    }
}

/// Text values in one contiguous buffer (no allocation per value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextColumn {
    data: String,
    /// `offsets[i]..offsets[i + 1]` is row `i`; length `n + 1`.
    offsets: Vec<usize>,
    missing: Vec<bool>,
}

impl TextColumn {
    /// Build from optional strings (`None` = missing).
    pub fn from_options<S: AsRef<str>>(values: &[Option<S>]) -> Self {
        let mut b = StringColumnBuilder::with_capacity(values.len(), 0);
        for v in values {
            b.push(v.as_ref().map(|s| s.as_ref()));
        }
        b.into_text()
    }

    /// Value of row `i` (`None` when missing).
    pub fn get(&self, i: usize) -> Option<&str> {
        if self.missing[i] {
            None
        } else {
            Some(&self.data[self.offsets[i]..self.offsets[i + 1]])
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.missing.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
    }

    /// Iterate over the values.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    fn take(&self, rows: &[usize]) -> Self {
        let mut b = StringColumnBuilder::with_capacity(rows.len(), 0);
        for &r in rows {
            b.push(self.get(r));
        }
        b.into_text()
    }
}

/// Accumulates string values (with missing) and turns them into a categorical or text column.
///
/// Used by the CSV reader and the data generators, so that a generated table and the same table
/// read back from CSV get exactly the same column types.
#[derive(Debug, Default, Clone)]
pub struct StringColumnBuilder {
    data: String,
    offsets: Vec<usize>,
    missing: Vec<bool>,
}

impl StringColumnBuilder {
    /// Room for `rows` values totalling about `bytes` bytes.
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringColumnBuilder {
            data: String::with_capacity(bytes),
            offsets,
            missing: Vec::with_capacity(rows),
        }
    }

    /// Append one value (`None` = missing).
    #[inline]
    pub fn push(&mut self, value: Option<&str>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        if let Some(v) = value {
            self.data.push_str(v);
        }
        self.offsets.push(self.data.len());
        self.missing.push(value.is_none());
    }

    /// Append every value of another builder.
    pub fn append(&mut self, other: &StringColumnBuilder) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let base = self.data.len();
        self.data.push_str(&other.data);
        // `other.offsets[0]` is 0; its remaining offsets shift by what we held before.
        self.offsets
            .extend(other.offsets.iter().skip(1).map(|o| o + base));
        self.missing.extend_from_slice(&other.missing);
    }

    /// Number of values pushed.
    pub fn len(&self) -> usize {
        self.missing.len()
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
    }

    fn get(&self, i: usize) -> Option<&str> {
        if self.missing[i] {
            None
        } else {
            Some(&self.data[self.offsets[i]..self.offsets[i + 1]])
        }
    }

    /// Finish as text.
    pub fn into_text(mut self) -> TextColumn {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        TextColumn {
            data: self.data,
            offsets: self.offsets,
            missing: self.missing,
        }
    }

    /// Finish as categorical (levels sorted).
    pub fn into_categorical(self) -> CategoricalColumn {
        match self.encode(usize::MAX) {
            Some((codes, levels)) => CategoricalColumn::from_codes(codes, levels),
            // Unreachable with an unlimited level count; fall back to an all-missing column
            // rather than panic.
            None => CategoricalColumn::from_codes(vec![MISSING_CODE; self.len()], Vec::new()),
        }
    }

    /// Dictionary-encode in first-seen order, giving up (`None`) once there are more than
    /// `max_levels` distinct values.
    fn encode(&self, max_levels: usize) -> Option<(Vec<u32>, Vec<String>)> {
        let mut index: HashMap<&str, u32, FastHash> = HashMap::default();
        let mut levels: Vec<String> = Vec::new();
        let mut codes = Vec::with_capacity(self.len());
        for i in 0..self.len() {
            match self.get(i) {
                None => codes.push(MISSING_CODE),
                Some(v) => {
                    let code = match index.get(v) {
                        Some(&c) => c,
                        None => {
                            if levels.len() >= max_levels {
                                return None;
                            }
                            let c = levels.len() as u32;
                            levels.push(v.to_string());
                            index.insert(v, c);
                            c
                        }
                    };
                    codes.push(code);
                }
            }
        }
        Some((codes, levels))
    }

    /// Finish as categorical or text by `rule`, in one pass over the values in the common case.
    pub fn finish(self, rule: &CategoricalRule) -> Column {
        let non_missing = self.missing.iter().filter(|&&m| !m).count();
        let limit = rule
            .max_levels
            .min((rule.max_unique_ratio * non_missing as f64) as usize);
        match self.encode(limit) {
            Some((codes, levels)) if rule.is_categorical(levels.len(), non_missing) => {
                Column::Categorical(CategoricalColumn::from_codes(codes, levels))
            }
            _ => Column::Text(self.into_text()),
        }
    }
}

/// FxHash (as in rustc): a fast, non-cryptographic hash for dictionary-encoding strings.
/// Deliberately chosen over SipHash here: encoding categorical columns is on the CSV hot path,
/// and the worst case of a crafted file is a slower read, not a wrong result.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastHash = std::hash::BuildHasherDefault<FxHasher>;

/// When a string column is categorical rather than text.
///
/// A column is categorical when it has at most `max_levels` distinct values **and** those make
/// at most `max_unique_ratio` of its non-missing values; otherwise it is text (IDs, addresses,
/// free comments). Defaults: 1,000 levels and a ratio of 0.5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CategoricalRule {
    /// Most distinct values a categorical column may have.
    pub max_levels: usize,
    /// Largest `distinct / non-missing` ratio a categorical column may have.
    pub max_unique_ratio: f64,
}

impl Default for CategoricalRule {
    fn default() -> Self {
        CategoricalRule {
            max_levels: 1000,
            max_unique_ratio: 0.5,
        }
    }
}

impl CategoricalRule {
    /// Apply the rule to counted values.
    pub fn is_categorical(&self, unique: usize, non_missing: usize) -> bool {
        unique <= self.max_levels && (unique as f64) <= self.max_unique_ratio * non_missing as f64
    }
}

/// A column read as text whose values are mostly numbers: the sign of a missing-value marker
/// the reader did not know (`-`, `n.d.`, `sin dato`), which turned a numeric column into
/// categories. See [`Column::numbers_as_text`].
#[derive(Debug, Clone, PartialEq)]
pub struct NumbersAsText {
    /// Non-missing rows whose value reads as a number.
    pub numeric_rows: usize,
    /// Non-missing rows whose value does not.
    pub other_rows: usize,
    /// The values that do not read as numbers, most frequent first (at most
    /// [`NumbersAsText::MAX_OTHERS`]).
    pub others: Vec<String>,
}

impl NumbersAsText {
    /// Most distinct non-numeric values a column may hold to be reported: a marker or two,
    /// not a column of mixed codes.
    pub const MAX_OTHERS: usize = 3;
}

/// One column of a [`crate::Table`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Column {
    /// Numbers; NaN marks a missing value.
    Numeric(Vec<f64>),
    /// Dictionary-encoded labels.
    Categorical(CategoricalColumn),
    /// Text.
    Text(TextColumn),
}

impl PartialEq for Column {
    /// Numeric columns compare NaN equal to NaN (both are "missing").
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Column::Numeric(a), Column::Numeric(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            (Column::Categorical(a), Column::Categorical(b)) => a == b,
            (Column::Text(a), Column::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Categorical(c) => c.len(),
            Column::Text(t) => t.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's type.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Column::Numeric(_) => ColumnType::Numeric,
            Column::Categorical(_) => ColumnType::Categorical,
            Column::Text(_) => ColumnType::Text,
        }
    }

    /// True when row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Numeric(v) => v[i].is_nan(),
            Column::Categorical(c) => c.codes[i] == MISSING_CODE,
            Column::Text(t) => t.missing[i],
        }
    }

    /// Number of missing values.
    pub fn missing_count(&self) -> usize {
        match self {
            Column::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            Column::Categorical(c) => c.codes.iter().filter(|&&x| x == MISSING_CODE).count(),
            Column::Text(t) => t.missing.iter().filter(|&&m| m).count(),
        }
    }

    /// For a categorical or text column, when at least half of its non-missing rows read as
    /// numbers (after trimming spaces, as the reader trims them) and the others hold at most
    /// [`NumbersAsText::MAX_OTHERS`] distinct values: how many of each, and those values.
    /// `None` for numeric columns and for columns of text.
    ///
    /// ```
    /// use cartera_preprocess::{CsvOptions, Table};
    /// let t = Table::read_csv_bytes(b"income\n1200\n-\n900\n", "x.csv", &CsvOptions::default())?;
    /// let note = t.column("income")?.numbers_as_text().unwrap();
    /// assert_eq!((note.numeric_rows, note.other_rows), (2, 1));
    /// assert_eq!(note.others, vec!["-".to_string()]);
    /// # Ok::<(), cartera_core::Error>(())
    /// ```
    pub fn numbers_as_text(&self) -> Option<NumbersAsText> {
        let is_number = |v: &str| v.trim_matches([' ', '\t']).parse::<f64>().is_ok();
        // (value, rows) of the values that are not numbers, and the rows that are.
        let mut others: Vec<(String, usize)> = Vec::new();
        let mut numeric_rows = 0;
        let add_other = |v: &str, rows: usize, others: &mut Vec<(String, usize)>| match others
            .iter_mut()
            .find(|(o, _)| o == v)
        {
            Some(o) => o.1 += rows,
            None => others.push((v.to_string(), rows)),
        };
        match self {
            Column::Numeric(_) => return None,
            Column::Categorical(c) => {
                let mut rows = vec![0usize; c.levels.len()];
                for &k in &c.codes {
                    if let Some(r) = rows.get_mut(k as usize) {
                        *r += 1;
                    }
                }
                for (level, &r) in c.levels.iter().zip(&rows).filter(|(_, r)| **r > 0) {
                    if is_number(level) {
                        numeric_rows += r;
                    } else {
                        add_other(level, r, &mut others);
                        if others.len() > NumbersAsText::MAX_OTHERS {
                            return None;
                        }
                    }
                }
            }
            Column::Text(t) => {
                for v in (0..t.len()).filter_map(|i| t.get(i)) {
                    if is_number(v) {
                        numeric_rows += 1;
                    } else {
                        add_other(v, 1, &mut others);
                        if others.len() > NumbersAsText::MAX_OTHERS {
                            return None;
                        }
                    }
                }
            }
        }
        let other_rows: usize = others.iter().map(|o| o.1).sum();
        if other_rows == 0 || numeric_rows < other_rows {
            return None;
        }
        // Most frequent first; equal counts in byte order.
        others.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Some(NumbersAsText {
            numeric_rows,
            other_rows,
            others: others.into_iter().map(|o| o.0).collect(),
        })
    }

    /// Numeric values, or `None` for other types.
    pub fn as_numeric(&self) -> Option<&[f64]> {
        match self {
            Column::Numeric(v) => Some(v),
            _ => None,
        }
    }

    /// Row `i` as text (`None` when missing); numbers are formatted as in CSV output.
    pub fn get_string(&self, i: usize) -> Option<String> {
        match self {
            Column::Numeric(v) => {
                let x = v[i];
                if x.is_nan() {
                    None
                } else {
                    let mut s = String::new();
                    crate::table::csv_write::format_f64(x, &mut s);
                    Some(s)
                }
            }
            Column::Categorical(c) => c.get(i).map(str::to_string),
            Column::Text(t) => t.get(i).map(str::to_string),
        }
    }

    /// The rows `rows` (in that order, repeats allowed). A row past the end is an
    /// [`Error::InvalidParameter`] naming it, as [`Table::take_rows`](crate::Table::take_rows)
    /// gives.
    pub fn take(&self, rows: &[usize]) -> Result<Column> {
        check_rows(rows, self.len())?;
        Ok(self.take_checked(rows))
    }

    /// [`Self::take`] for rows known to be in range.
    pub(crate) fn take_checked(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Column::Categorical(c) => Column::Categorical(c.take(rows)),
            Column::Text(t) => Column::Text(t.take(rows)),
        }
    }

    /// Heap bytes held by this column (for memory reporting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Column::Numeric(v) => v.capacity() * 8,
            Column::Categorical(c) => {
                c.codes.capacity() * 4 + c.levels.iter().map(|l| l.capacity() + 24).sum::<usize>()
            }
            Column::Text(t) => t.data.capacity() + t.offsets.capacity() * 8 + t.missing.capacity(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Levels without a row (a dictionary kept after rows were taken out) are not used; a
    /// missing value marks nothing.
    #[test]
    fn used_levels_are_those_some_row_holds() {
        let c = CategoricalColumn::from_codes(
            vec![2, MISSING_CODE, 0, 2],
            vec!["a".into(), "b".into(), "c".into()],
        );
        assert_eq!(c.used_levels(), [true, false, true]);
        let none = CategoricalColumn::from_codes(vec![MISSING_CODE], vec!["a".into()]);
        assert_eq!(none.used_levels(), [false]);
    }

    #[test]
    fn categorical_levels_are_sorted_and_codes_follow() {
        let c = CategoricalColumn::from_options(&[Some("b"), None, Some("a"), Some("b")]);
        assert_eq!(c.levels(), &["a".to_string(), "b".to_string()]);
        assert_eq!(c.codes(), &[1, MISSING_CODE, 0, 1]);
        assert_eq!(c.get(1), None);
        assert_eq!(c.get(3), Some("b"));
    }

    #[test]
    fn from_codes_merges_duplicate_levels() {
        let c = CategoricalColumn::from_codes(
            vec![0, 1, 2, 7],
            vec!["z".into(), "a".into(), "z".into()],
        );
        assert_eq!(c.levels(), &["a".to_string(), "z".to_string()]);
        assert_eq!(c.codes(), &[1, 0, 1, MISSING_CODE]);
    }

    #[test]
    fn text_round_trip_and_take() {
        let t = TextColumn::from_options(&[Some("Ñandú"), None, Some("")]);
        assert_eq!(t.get(0), Some("Ñandú"));
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(2), Some(""));
        let col = Column::Text(t);
        assert_eq!(col.missing_count(), 1);
        let taken = col.take(&[2, 0, 0]).unwrap();
        assert_eq!(taken.get_string(1).as_deref(), Some("Ñandú"));
        assert_eq!(taken.len(), 3);
        // A row past the end is an error naming it, not a panic.
        match col.take(&[0, 9]) {
            Err(Error::InvalidParameter { name, value, .. }) => {
                assert_eq!((name.as_str(), value.as_str()), ("row", "9"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn inference_rule() {
        let rule = CategoricalRule::default();
        assert!(rule.is_categorical(3, 100));
        assert!(!rule.is_categorical(60, 100)); // mostly unique: an ID
        assert!(!rule.is_categorical(1001, 1_000_000)); // too many levels
        let mut b = StringColumnBuilder::default();
        for v in ["x", "y", "x", "x"] {
            b.push(Some(v));
        }
        assert_eq!(b.finish(&rule).column_type(), ColumnType::Categorical);
    }

    #[test]
    fn numeric_equality_treats_nan_as_missing() {
        assert_eq!(
            Column::Numeric(vec![1.0, f64::NAN]),
            Column::Numeric(vec![1.0, f64::NAN])
        );
        assert_ne!(Column::Numeric(vec![1.0]), Column::Numeric(vec![2.0]));
        assert_eq!(
            "Category".parse::<ColumnType>().unwrap(),
            ColumnType::Categorical
        );
        assert!("blob".parse::<ColumnType>().is_err());
    }

    /// Mostly numbers with a marker or two is reported, most frequent marker first, for
    /// categorical and text columns; numbers alone, more markers than numbers, or more than
    /// three distinct non-numbers (a column of codes) are not.
    #[test]
    fn numbers_as_text_reports_markers_only() {
        let cat = |v: &[&str]| {
            Column::Categorical(CategoricalColumn::from_options(
                &v.iter()
                    .map(|s| (!s.is_empty()).then_some(*s))
                    .collect::<Vec<_>>(),
            ))
        };
        let got = cat(&["1", "-", "2.5", "n.d.", "-", " 7 ", "", "3"]).numbers_as_text();
        assert_eq!(
            got,
            Some(NumbersAsText {
                numeric_rows: 4,
                other_rows: 3,
                others: vec!["-".into(), "n.d.".into()],
            })
        );
        let text = Column::Text(TextColumn::from_options(&[Some("1"), Some("x"), Some("2")]));
        assert_eq!(
            text.numbers_as_text().unwrap().others,
            vec!["x".to_string()]
        );
        assert_eq!(cat(&["1", "2"]).numbers_as_text(), None);
        assert_eq!(cat(&["1", "-", "-"]).numbers_as_text(), None);
        assert_eq!(
            cat(&["1", "2", "3", "4", "a", "b", "c", "d"]).numbers_as_text(),
            None
        );
        assert_eq!(Column::Numeric(vec![1.0, f64::NAN]).numbers_as_text(), None);
    }
}
