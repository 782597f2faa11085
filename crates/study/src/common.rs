//! Pieces every study shares: target and identifier columns, model matrices, segment names
//! and the CRM campaign lists.

use cartera_core::{Error, Result};
use cartera_preprocess::{Column, ColumnType, Table, TextColumn};
use cartera_scoring::Groups;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Whether a class name reads as the positive outcome.
pub(crate) fn reads_as_yes(v: &str) -> bool {
    ["1", "yes", "si", "sí", "true", "y", "churn", "churned"].contains(&v.to_lowercase().as_str())
}

/// The study's target `name` as [`binary_target`] reads it with the study's positive class
/// (`StudyParams::positive_class`), with a note when none was given and neither class name
/// reads as "yes", so that the larger one was taken.
pub(crate) fn study_target(
    cx: &mut crate::Context<'_>,
    table: &Table,
    name: &str,
) -> Result<(Vec<bool>, [String; 2])> {
    let given = cx.params.positive_class.as_deref();
    let (y, classes) = binary_target(table, name, given)?;
    if given.is_none() && !reads_as_yes(&classes[1]) {
        cx.notes.push(format!(
            "target `{name}`: `{}` is taken as the positive class (the larger of `{}` and `{}`); \
             --positive-class chooses the other",
            classes[1], classes[0], classes[1]
        ));
    }
    Ok((y, classes))
}

/// A 0/1 target: `true` for the positive class, and the two class names (negative, positive).
/// The positive class is `positive` when given (it must be one of the two values), else the
/// value that reads as "yes" (`1`, `yes`, `true`, `churn`, ...), else the larger one.
pub(crate) fn binary_target(
    table: &Table,
    name: &str,
    positive: Option<&str>,
) -> Result<(Vec<bool>, [String; 2])> {
    let col = table.column(name)?;
    if let Some(row) = (0..col.len()).find(|&i| col.is_missing(i)) {
        return Err(Error::invalid_param(
            "target",
            name,
            format!(
                "row {} has no value: drop or fill rows without a target",
                row + 1
            ),
        ));
    }
    let values: Vec<String> = (0..col.len())
        .map(|i| col.get_string(i).unwrap_or_default())
        .collect();
    let mut distinct: Vec<&str> = values.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    match distinct.len() {
        0 => Err(Error::empty(format!("target column `{name}`"))),
        1 => Err(Error::invalid_param(
            "target",
            name,
            format!(
                "has a single class (`{}`): a model needs customers of both outcomes",
                distinct[0]
            ),
        )),
        2 => {
            let pos = match positive {
                Some(p) => distinct.iter().position(|d| *d == p).ok_or_else(|| {
                    Error::invalid_param(
                        "positive class",
                        p,
                        format!(
                            "is not a value of `{name}` (its values: `{}`, `{}`)",
                            distinct[0], distinct[1]
                        ),
                    )
                })?,
                // The one that reads as "yes"; otherwise the larger value.
                None => distinct.iter().position(|d| reads_as_yes(d)).unwrap_or(1),
            };
            let positive = distinct[pos].to_string();
            let negative = distinct[1 - pos].to_string();
            let y = values.iter().map(|v| *v == positive).collect();
            Ok((y, [negative, positive]))
        }
        k => Err(Error::invalid_param(
            "target",
            name,
            format!("has {k} distinct values: a yes/no outcome (two classes) is expected"),
        )),
    }
}

/// Each row's customer identifier as text: the id column's value, or the 1-based row number.
/// An error names two rows that share an ID (the campaign lists and the report look customers
/// up by it).
pub(crate) fn customer_ids(table: &Table, id: Option<&str>) -> Result<Vec<String>> {
    match id {
        None => Ok((1..=table.n_rows()).map(|i| i.to_string()).collect()),
        Some(name) => {
            let col = table.column(name)?;
            let ids: Vec<String> = (0..col.len())
                .map(|i| match col {
                    // Whole numbers (an IMEI) print without a fractional part.
                    Column::Numeric(v)
                        if v[i].is_finite() && v[i].fract() == 0.0 && v[i].abs() < 1e17 =>
                    {
                        format!("{}", v[i] as i64)
                    }
                    _ => col.get_string(i).unwrap_or_default(),
                })
                .collect();
            // A campaign list or the report's look-up cannot tell two customers of one ID apart.
            let mut first = std::collections::HashMap::with_capacity(ids.len());
            for (i, v) in ids.iter().enumerate() {
                if let Some(j) = first.insert(v.as_str(), i) {
                    return Err(Error::invalid_data(
                        format!("id column `{name}`"),
                        format!(
                            "customer IDs must be unique, but rows {} and {} both have {v:?} \
                             (map id= to a column with one value per customer, or leave it out \
                             to number the rows)",
                            j + 1,
                            i + 1
                        ),
                    ));
                }
            }
            Ok(ids)
        }
    }
}

/// A store (group) column with at least two values.
pub(crate) fn store_groups(table: &Table, name: &str) -> Result<Groups> {
    let g = Groups::from_table(table, name)?;
    if g.n_groups() < 2 {
        return Err(Error::invalid_param(
            "store",
            name,
            format!(
                "has a single value (`{}`): churn per store needs at least two stores",
                g.labels().first().map(String::as_str).unwrap_or("")
            ),
        ));
    }
    Ok(g)
}

/// Numeric and categorical feature columns for a tree model, in `names` order: numeric values
/// as they are (missing = NaN), categorical columns as level codes (missing = NaN).
pub(crate) fn tree_matrix(table: &Table, names: &[String]) -> Result<Array2<f64>> {
    let n = table.n_rows();
    let mut x = Array2::<f64>::zeros((n, names.len()));
    for (j, name) in names.iter().enumerate() {
        match table.column(name)? {
            Column::Numeric(v) => x.column_mut(j).iter_mut().zip(v).for_each(|(d, s)| *d = *s),
            Column::Categorical(c) => {
                let levels = c.levels().len() as u32;
                x.column_mut(j)
                    .iter_mut()
                    .zip(c.codes())
                    .for_each(|(d, &code)| {
                        *d = if code < levels {
                            f64::from(code)
                        } else {
                            f64::NAN
                        }
                    });
            }
            Column::Text(_) => {
                return Err(Error::ColumnType {
                    name: name.clone(),
                    expected: "numeric or categorical".into(),
                    found: "text".into(),
                });
            }
        }
    }
    Ok(x)
}

/// The numeric columns of `table` except `exclude`, in table order.
pub(crate) fn numeric_columns(table: &Table, exclude: &[&str]) -> Vec<String> {
    table
        .names_of_type(ColumnType::Numeric)
        .into_iter()
        .filter(|n| !exclude.contains(n))
        .map(str::to_string)
        .collect()
}

/// Check that every named column is numeric.
pub(crate) fn check_numeric(table: &Table, names: &[String]) -> Result<()> {
    for n in names {
        let t = table.column_type(n)?;
        if t != ColumnType::Numeric {
            return Err(Error::ColumnType {
                name: n.clone(),
                expected: "numeric (a feature to cluster on)".into(),
                found: t.to_string(),
            });
        }
    }
    Ok(())
}

/// One line of a CRM campaign list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignEntry {
    /// Customer identifier (the id column, or the row number).
    pub customer_id: String,
    /// The customer's segment name.
    pub segment: String,
    /// What to offer.
    pub offer: String,
    /// How to reach the customer.
    pub channel: String,
    /// Score band (1 = best prospect or most at risk); `None` when the study has no score.
    pub score_band: Option<u8>,
}

/// The campaign of one segment: what every customer of it gets, and who they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignList {
    /// Segment name.
    pub segment: String,
    /// File name of the list in the output folder.
    pub file: String,
    /// The customers, in table order.
    pub entries: Vec<CampaignEntry>,
}

impl CampaignList {
    /// The list as a table (`customer_id, segment, offer, channel, score_band`).
    pub fn to_table(&self) -> Result<Table> {
        let text = |f: &dyn Fn(&CampaignEntry) -> String| {
            Column::Text(TextColumn::from_options(
                &self.entries.iter().map(|e| Some(f(e))).collect::<Vec<_>>(),
            ))
        };
        Table::from_columns(vec![
            ("customer_id".into(), text(&|e| e.customer_id.clone())),
            ("segment".into(), text(&|e| e.segment.clone())),
            ("offer".into(), text(&|e| e.offer.clone())),
            ("channel".into(), text(&|e| e.channel.clone())),
            (
                "score_band".into(),
                Column::Numeric(
                    self.entries
                        .iter()
                        .map(|e| e.score_band.map_or(f64::NAN, f64::from))
                        .collect(),
                ),
            ),
        ])
    }
}

/// A file-name-safe form of a segment name (`frequent spenders` → `frequent_spenders`,
/// `high balance, older` → `high_balance_older`): ASCII letters and digits, other runs of
/// characters as one `_`.
pub(crate) fn slug(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_end_matches('_').to_string();
    if s.is_empty() { "segment".into() } else { s }
}

/// Split customers into one campaign list per segment (segments in `names` order), each
/// customer in exactly one list.
pub(crate) fn campaign_lists(
    ids: &[String],
    segment: &[usize],
    names: &[String],
    offer: impl Fn(usize) -> (String, String, Option<u8>),
) -> Vec<CampaignList> {
    let mut lists: Vec<CampaignList> = names
        .iter()
        .map(|n| CampaignList {
            segment: n.clone(),
            file: format!("campaign_{}.csv", slug(n)),
            entries: Vec::new(),
        })
        .collect();
    for (i, (&s, id)) in segment.iter().zip(ids).enumerate() {
        let (offer, channel, band) = offer(i);
        lists[s].entries.push(CampaignEntry {
            customer_id: id.clone(),
            segment: names[s].clone(),
            offer,
            channel,
            score_band: band,
        });
    }
    lists
}

/// Count of each label `0..k`.
pub(crate) fn counts(labels: &[usize], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for &l in labels {
        c[l] += 1;
    }
    c
}

/// Rows `0..n` sampled without replacement (at most `m`, increasing), the same for a seed.
pub(crate) fn sample_rows(n: usize, m: usize, seed: u64) -> Vec<usize> {
    if m >= n {
        return (0..n).collect();
    }
    let mut rng = cartera_core::rng::CarteraRng::stream(seed, 0x5A4D_504C);
    // Floyd's algorithm would need a set; a partial Fisher-Yates over indices is simple and
    // fast enough for the sizes here (one pass, n indices).
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = i + rng.index(n - i);
        idx.swap(i, j);
    }
    let mut out = idx[..m].to_vec();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IDs print whole numbers without a fraction; two rows sharing one are an error naming
    /// both rows and the value.
    #[test]
    fn customer_ids_are_unique_or_an_error() {
        let t = Table::from_columns(vec![(
            "id".into(),
            Column::Numeric(vec![7.0, 12.0, 30.0, 12.0]),
        )])
        .unwrap();
        let e = customer_ids(&t, Some("id")).unwrap_err().to_string();
        assert!(e.contains("rows 2 and 4") && e.contains("\"12\""), "{e}");
        let t = Table::from_columns(vec![("id".into(), Column::Numeric(vec![7.0, 12.0]))]).unwrap();
        assert_eq!(customer_ids(&t, Some("id")).unwrap(), ["7", "12"]);
        assert_eq!(customer_ids(&t, None).unwrap(), ["1", "2"]);
    }

    #[test]
    fn target_with_one_class_is_an_error() {
        let t = Table::from_columns(vec![("y".into(), Column::Numeric(vec![0.0, 0.0]))]).unwrap();
        let e = binary_target(&t, "y", None).unwrap_err().to_string();
        assert!(e.contains("single class"), "{e}");
        let t = Table::from_columns(vec![("y".into(), Column::Numeric(vec![0.0, 1.0]))]).unwrap();
        let (y, names) = binary_target(&t, "y", None).unwrap();
        assert_eq!(y, vec![false, true]);
        assert_eq!(names, ["0".to_string(), "1".to_string()]);
    }

    #[test]
    fn slugs_are_file_names() {
        assert_eq!(slug("high balance, older (2)"), "high_balance_older_2");
        assert_eq!(slug("frequent spenders"), "frequent_spenders");
        assert_eq!(slug("¿?"), "segment");
    }

    #[test]
    fn samples_are_sorted_and_distinct() {
        let s = sample_rows(100, 10, 3);
        assert_eq!(s.len(), 10);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_rows(5, 10, 3), vec![0, 1, 2, 3, 4]);
    }
}
