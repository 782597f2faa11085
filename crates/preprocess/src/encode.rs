//! Categorical columns to numbers: one-hot (indicator columns) and ordinal (codes).
//!
//! Encoders are fitted on a [`Table`] and bound to column names, so next month's file is encoded
//! with this month's categories. Categories are sorted (byte order), as scikit-learn's
//! `categories='auto'`. A missing value encodes as all zeros (one-hot) or NaN (ordinal): impute
//! first when that is not what you want.
//!
//! ```
//! use cartera_preprocess::encode::{OneHotEncoder, UnknownCategory};
//! use cartera_preprocess::{CsvOptions, Table};
//!
//! let t = Table::read_csv_bytes(b"plan,age\nplus,30\nbasic,41\nplus,25\nbasic,52\n", "t.csv", &CsvOptions::default())?;
//! let enc = OneHotEncoder::new().unknown(UnknownCategory::Ignore).fit(&t, &["plan"])?;
//! assert_eq!(enc.feature_names(), vec!["plan_basic", "plan_plus"]);
//! let out = enc.transform(&t)?;
//! assert_eq!(out.names(), &["plan_basic", "plan_plus", "age"]);
//! assert_eq!(out.column("plan_plus")?.as_numeric().unwrap(), &[1.0, 0.0, 1.0, 0.0]);
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::collections::HashMap;

use cartera_core::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::table::{Column, FastHash, Table};

/// What to do with a category not seen at fit time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownCategory {
    /// Fail with an error naming the column, the row and the value (the default).
    #[default]
    Error,
    /// One-hot: all indicators 0. Ordinal: NaN.
    Ignore,
}

/// The categories of one encoded column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedColumn {
    /// Column name.
    pub name: String,
    /// Sorted categories seen at fit time.
    pub categories: Vec<String>,
}

fn string_values<'a>(t: &'a Table, name: &str) -> Result<Vec<Option<&'a str>>> {
    match t.column(name)? {
        Column::Categorical(c) => Ok((0..c.len()).map(|i| c.get(i)).collect()),
        Column::Text(tc) => Ok(tc.iter().collect()),
        Column::Numeric(_) => Err(Error::ColumnType {
            name: name.to_string(),
            expected: "categorical or text".into(),
            found: "numeric".into(),
        }),
    }
}

fn fit_categories(t: &Table, columns: &[&str]) -> Result<Vec<EncodedColumn>> {
    if columns.is_empty() {
        return Err(Error::empty("list of columns to encode"));
    }
    columns
        .iter()
        .map(|name| {
            let mut cats: Vec<String> = match t.column(name)? {
                Column::Categorical(c) => c
                    .levels()
                    .iter()
                    .zip(c.used_levels())
                    .filter(|(_, u)| *u)
                    .map(|(l, _)| l.clone())
                    .collect(),
                _ => {
                    let mut v: Vec<String> = string_values(t, name)?
                        .into_iter()
                        .flatten()
                        .map(str::to_string)
                        .collect();
                    v.sort_unstable();
                    v.dedup();
                    v
                }
            };
            cats.sort_unstable();
            if cats.is_empty() {
                return Err(Error::TooFewSamples {
                    what: format!("non-missing values in column `{name}` to encode"),
                    needed: 1,
                    found: 0,
                });
            }
            Ok(EncodedColumn {
                name: name.to_string(),
                categories: cats,
            })
        })
        .collect()
}

/// Code `codes_for` gives a row with no category: missing, or unknown and ignored.
const NO_CATEGORY: u32 = u32::MAX;

/// Codes of a column's values in `col.categories` ([`NO_CATEGORY`] for missing); unknown
/// values follow `policy`.
/// `dropped`: the category a one-hot encoder with `drop_first` leaves out. All-zero indicators
/// mean that category there, so an unseen one cannot be ignored (it would read as it): it is
/// an error whatever the policy.
fn codes_for(
    t: &Table,
    col: &EncodedColumn,
    policy: UnknownCategory,
    dropped: Option<&str>,
) -> Result<Vec<u32>> {
    let index: HashMap<&str, u32, FastHash> = col
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    let unknown = |row: usize, s: &str| match (policy, dropped) {
        (UnknownCategory::Ignore, None) => Ok(NO_CATEGORY),
        (UnknownCategory::Ignore, Some(first)) => Err(Error::invalid_data(
            format!("column `{}`", col.name),
            format!(
                "row {row} (0-based) holds {s:?}, which fitting never saw; with drop_first it \
                 cannot be ignored, since all-zero indicators mean {first:?}"
            ),
        )),
        (UnknownCategory::Error, _) => Err(Error::invalid_data(
            format!("column `{}`", col.name),
            format!(
                "row {row} (0-based) holds {s:?}, a category not seen at fit time (known: {})",
                col.categories.join(", ")
            ),
        )),
    };
    match t.column(&col.name)? {
        Column::Categorical(c) => {
            // A dictionary column has few levels and many rows: look each level up once.
            let by_level: Vec<Option<u32>> = c
                .levels()
                .iter()
                .map(|l| index.get(l.as_str()).copied())
                .collect();
            c.codes()
                .iter()
                .enumerate()
                .map(|(row, &k)| match by_level.get(k as usize) {
                    // Out of range is the missing code.
                    None => Ok(NO_CATEGORY),
                    Some(Some(v)) => Ok(*v),
                    Some(None) => unknown(row, &c.levels()[k as usize]),
                })
                .collect()
        }
        Column::Text(tc) => tc
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => Ok(NO_CATEGORY),
                Some(s) => index.get(s).copied().map_or_else(|| unknown(row, s), Ok),
            })
            .collect(),
        Column::Numeric(_) => Err(Error::ColumnType {
            name: col.name.clone(),
            expected: "categorical or text".into(),
            found: "numeric".into(),
        }),
    }
}

/// Replace each encoded column of `t`, at its position, by `make(column)`'s columns. `t` is
/// taken by value so the columns that pass through are moved, not copied.
fn splice(
    t: Table,
    encoded: &[EncodedColumn],
    make: impl Fn(&Table, &EncodedColumn) -> Result<Vec<(String, Column)>> + Sync,
) -> Result<Table> {
    // Encode first (columns in parallel: each is independent), then move the rest in.
    let mut made: Vec<Option<Vec<(String, Column)>>> = encoded
        .par_iter()
        .map(|e| make(&t, e).map(Some))
        .collect::<Result<_>>()?;
    for (n, _) in made.iter().flatten().flatten() {
        if !encoded.iter().any(|e| &e.name == n) && t.names().contains(n) {
            return Err(Error::invalid_param(
                "column name",
                n,
                "the encoded column's name is already taken in the table",
            ));
        }
    }
    let mut out = Table::new();
    for (name, col) in t.into_columns() {
        match encoded.iter().position(|e| e.name == name) {
            Some(i) => {
                for (n, c) in made[i].take().into_iter().flatten() {
                    out.push_column(&n, c)?;
                }
            }
            None => out.push_column(&name, col)?,
        }
    }
    Ok(out)
}

/// One-hot encoder. Defaults: unknown categories are an error, no category dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    unknown: UnknownCategory,
    drop_first: bool,
}

/// A fitted one-hot encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOneHot {
    columns: Vec<EncodedColumn>,
    unknown: UnknownCategory,
    drop_first: bool,
}

impl OneHotEncoder {
    /// The defaults listed on the type.
    pub fn new() -> Self {
        Self::default()
    }
    /// Policy for categories not seen at fit time.
    pub fn unknown(mut self, policy: UnknownCategory) -> Self {
        self.unknown = policy;
        self
    }
    /// Drop the first category of each column (k - 1 indicators), as scikit-learn's
    /// `drop='first'`; avoids perfectly collinear columns in an unpenalised linear model.
    pub fn drop_first(mut self, drop: bool) -> Self {
        self.drop_first = drop;
        self
    }
    /// Learn the categories of `columns` (categorical or text).
    pub fn fit(&self, t: &Table, columns: &[&str]) -> Result<FittedOneHot> {
        Ok(FittedOneHot {
            columns: fit_categories(t, columns)?,
            unknown: self.unknown,
            drop_first: self.drop_first,
        })
    }
}

impl FittedOneHot {
    /// The same fitted encoder (same categories, same indicator columns) with another policy
    /// for categories not seen at fit time.
    pub fn with_unknown(mut self, policy: UnknownCategory) -> Self {
        self.unknown = policy;
        self
    }

    /// The encoded columns and their categories.
    pub fn columns(&self) -> &[EncodedColumn] {
        &self.columns
    }

    /// Whether each column's first category is left out ([`OneHotEncoder::drop_first`]).
    pub fn drops_first(&self) -> bool {
        self.drop_first
    }

    fn kept<'a>(&self, e: &'a EncodedColumn) -> &'a [String] {
        if self.drop_first {
            // A fitted column has at least one category (checked when a file is loaded).
            e.categories.get(1..).unwrap_or(&[])
        } else {
            &e.categories
        }
    }

    /// Names of the indicator columns, `{column}_{category}`, as scikit-learn's
    /// `get_feature_names_out`.
    pub fn feature_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .flat_map(|e| self.kept(e).iter().map(move |c| format!("{}_{c}", e.name)))
            .collect()
    }

    /// `t` with each encoded column replaced, at its position, by its indicator columns
    /// (numeric 0/1). Other columns pass through unchanged.
    pub fn transform(&self, t: &Table) -> Result<Table> {
        self.transform_owned(t.clone())
    }

    /// [`transform`](Self::transform) of a table the caller no longer needs: the columns that
    /// pass through are moved instead of copied.
    pub fn transform_owned(&self, t: Table) -> Result<Table> {
        let offset = usize::from(self.drop_first);
        splice(t, &self.columns, |t, e| {
            let dropped = self
                .drop_first
                .then(|| e.categories.first().map(String::as_str))
                .flatten();
            let codes = codes_for(t, e, self.unknown, dropped)?;
            Ok(self
                .kept(e)
                .par_iter()
                .enumerate()
                .map(|(i, cat)| {
                    let k = (i + offset) as u32;
                    let v = codes.iter().map(|&c| f64::from(u8::from(c == k))).collect();
                    (format!("{}_{cat}", e.name), Column::Numeric(v))
                })
                .collect())
        })
    }
}

/// Ordinal encoder: each category becomes its index in the sorted categories. Default: unknown
/// categories are an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OrdinalEncoder {
    unknown: UnknownCategory,
}

/// A fitted ordinal encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOrdinal {
    columns: Vec<EncodedColumn>,
    unknown: UnknownCategory,
}

impl OrdinalEncoder {
    /// The defaults listed on the type.
    pub fn new() -> Self {
        Self::default()
    }
    /// Policy for categories not seen at fit time (`Ignore` gives NaN).
    pub fn unknown(mut self, policy: UnknownCategory) -> Self {
        self.unknown = policy;
        self
    }
    /// Learn the categories of `columns` (categorical or text).
    pub fn fit(&self, t: &Table, columns: &[&str]) -> Result<FittedOrdinal> {
        Ok(FittedOrdinal {
            columns: fit_categories(t, columns)?,
            unknown: self.unknown,
        })
    }
}

impl FittedOrdinal {
    /// The encoded columns and their categories.
    pub fn columns(&self) -> &[EncodedColumn] {
        &self.columns
    }

    /// `t` with each encoded column replaced by a numeric column of codes (NaN for missing).
    pub fn transform(&self, t: &Table) -> Result<Table> {
        self.transform_owned(t.clone())
    }

    /// [`transform`](Self::transform) of a table the caller no longer needs: the columns that
    /// pass through are moved instead of copied.
    pub fn transform_owned(&self, t: Table) -> Result<Table> {
        splice(t, &self.columns, |t, e| {
            let codes = codes_for(t, e, self.unknown, None)?;
            let v = codes
                .iter()
                .map(|&c| {
                    if c == NO_CATEGORY {
                        f64::NAN
                    } else {
                        f64::from(c)
                    }
                })
                .collect();
            Ok(vec![(e.name.clone(), Column::Numeric(v))])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::CsvOptions;

    fn read(s: &str) -> Table {
        Table::read_csv_bytes(s.as_bytes(), "t.csv", &CsvOptions::default()).unwrap()
    }

    fn train() -> Table {
        read(
            "id,plan,region\n1,plus,Lima\n2,basic,Cusco\n3,plus,\n4,datos,Lima\n5,plus,Lima\n6,basic,Cusco\n",
        )
    }

    #[test]
    fn one_hot_with_missing_and_drop_first() {
        let t = train();
        let enc = OneHotEncoder::new().fit(&t, &["plan", "region"]).unwrap();
        assert_eq!(
            enc.feature_names(),
            vec![
                "plan_basic",
                "plan_datos",
                "plan_plus",
                "region_Cusco",
                "region_Lima"
            ]
        );
        let out = enc.transform(&t).unwrap();
        assert_eq!(out.n_cols(), 6);
        // Row 2 has a missing region: all region indicators are 0.
        assert_eq!(
            out.column("region_Lima").unwrap().as_numeric().unwrap()[2],
            0.0
        );
        assert_eq!(
            out.column("region_Cusco").unwrap().as_numeric().unwrap()[2],
            0.0
        );
        let dropped = OneHotEncoder::new()
            .drop_first(true)
            .fit(&t, &["plan"])
            .unwrap();
        assert_eq!(dropped.feature_names(), vec!["plan_datos", "plan_plus"]);
    }

    #[test]
    fn unknown_categories_follow_the_policy() {
        let t = train();
        let next = read("id,plan,region\n7,premium,Lima\n");
        let strict = OneHotEncoder::new().fit(&t, &["plan"]).unwrap();
        let e = strict.transform(&next).unwrap_err();
        assert!(
            e.to_string().contains("column `plan`: row 0 (0-based)"),
            "{e}"
        );
        let lenient = OneHotEncoder::new()
            .unknown(UnknownCategory::Ignore)
            .fit(&t, &["plan"])
            .unwrap();
        let out = lenient.transform(&next).unwrap();
        for n in lenient.feature_names() {
            assert_eq!(out.column(&n).unwrap().as_numeric().unwrap(), &[0.0]);
        }
        let ord = OrdinalEncoder::new()
            .unknown(UnknownCategory::Ignore)
            .fit(&t, &["plan"])
            .unwrap();
        assert!(
            ord.transform(&next)
                .unwrap()
                .column("plan")
                .unwrap()
                .as_numeric()
                .unwrap()[0]
                .is_nan()
        );
    }

    /// Dictionary (categorical) and text columns take different lookup paths: same values,
    /// same output, and an unknown value is reported at its row either way.
    #[test]
    fn categorical_and_text_columns_encode_alike() {
        use crate::table::{CategoricalColumn, TextColumn};
        let values = [Some("b"), None, Some("a"), Some("c"), Some("b")];
        let fit_on = Table::from_columns(vec![(
            "k".into(),
            Column::Categorical(CategoricalColumn::from_options(&values[..3])),
        )])
        .unwrap();
        let as_cat = Table::from_columns(vec![(
            "k".into(),
            Column::Categorical(CategoricalColumn::from_options(&values)),
        )])
        .unwrap();
        let as_text = Table::from_columns(vec![(
            "k".into(),
            Column::Text(TextColumn::from_options(&values)),
        )])
        .unwrap();
        let strict = OneHotEncoder::new().fit(&fit_on, &["k"]).unwrap();
        for t in [&as_cat, &as_text] {
            let e = strict.transform(t).unwrap_err().to_string();
            assert!(
                e.contains("column `k`: row 3 (0-based)") && e.contains("\"c\""),
                "{e}"
            );
        }
        let lenient = OneHotEncoder::new()
            .unknown(UnknownCategory::Ignore)
            .fit(&fit_on, &["k"])
            .unwrap();
        let a = lenient.transform(&as_cat).unwrap();
        assert_eq!(a, lenient.transform_owned(as_text.clone()).unwrap());
        assert_eq!(
            a.column("k_a").unwrap().as_numeric().unwrap(),
            &[0.0, 0.0, 1.0, 0.0, 0.0]
        );
        assert_eq!(
            a.column("k_b").unwrap().as_numeric().unwrap(),
            &[1.0, 0.0, 0.0, 0.0, 1.0]
        );
        let ord = OrdinalEncoder::new()
            .unknown(UnknownCategory::Ignore)
            .fit(&fit_on, &["k"])
            .unwrap();
        for t in [&as_cat, &as_text] {
            let out = ord.transform(t).unwrap();
            let v = out.column("k").unwrap().as_numeric().unwrap();
            assert_eq!(&v[..1], &[1.0]);
            assert!(v[1].is_nan() && v[3].is_nan(), "{v:?}");
            assert_eq!((v[2], v[4]), (0.0, 1.0));
        }
    }

    #[test]
    fn ordinal_codes_follow_sorted_categories() {
        let t = train();
        let ord = OrdinalEncoder::new().fit(&t, &["plan"]).unwrap();
        let out = ord.transform(&t).unwrap();
        assert_eq!(
            out.column("plan").unwrap().as_numeric().unwrap(),
            &[2.0, 0.0, 2.0, 1.0, 2.0, 0.0]
        );
    }

    #[test]
    fn bad_input() {
        let t = train();
        assert!(matches!(
            OneHotEncoder::new().fit(&t, &["id"]),
            Err(Error::ColumnType { .. })
        ));
        assert!(matches!(
            OneHotEncoder::new().fit(&t, &["nope"]),
            Err(Error::UnknownColumn { .. })
        ));
        assert!(OneHotEncoder::new().fit(&t, &[]).is_err());
        let clash = read("p,p_a\na,1\nb,2\na,3\nb,4\n");
        let enc = OneHotEncoder::new().fit(&clash, &["p"]).unwrap();
        assert!(enc.transform(&clash).is_err());
        // A fitted encoder round-trips through JSON.
        let enc = OneHotEncoder::new().fit(&t, &["plan"]).unwrap();
        let back: FittedOneHot =
            serde_json::from_str(&serde_json::to_string(&enc).unwrap()).unwrap();
        assert_eq!(back, enc);
    }

    #[test]
    fn matches_pandas_get_dummies_on_real_data() {
        // pd.get_dummies(df["Contract"]).sum() on telco_customer_churn.csv:
        // Month-to-month 3875, One year 1473, Two year 1695.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let t = Table::read_csv(
            root.join("telco_customer_churn.csv"),
            &CsvOptions::default(),
        )
        .unwrap();
        let enc = OneHotEncoder::new().fit(&t, &["Contract"]).unwrap();
        let out = enc.transform(&t).unwrap();
        let sum = |n: &str| {
            out.column(n)
                .unwrap()
                .as_numeric()
                .unwrap()
                .iter()
                .sum::<f64>()
        };
        assert_eq!(sum("Contract_Month-to-month"), 3875.0);
        assert_eq!(sum("Contract_One year"), 1473.0);
        assert_eq!(sum("Contract_Two year"), 1695.0);
    }
}
