//! Cleaning a customer table before any model sees it: exact duplicate rows, sentinel values,
//! identifier columns and constant columns (the steps study 004 spent most of its time on).
//!
//! ```
//! use cartera_preprocess::{clean, CsvOptions, Table};
//!
//! let csv = "imei,days,plan\n350001,3,a\n350002,9999,b\n350001,3,a\n350003,5,a\n350004,7,b\n";
//! let t = Table::read_csv_bytes(csv.as_bytes(), "t.csv", &CsvOptions::default())?;
//!
//! let (t, dups) = clean::drop_duplicates(&t)?;
//! assert_eq!(dups.removed, 1);
//!
//! let mut t = t;
//! let n = clean::replace_sentinel(&mut t, "days", "9999")?;
//! assert_eq!(n, 1);
//! assert!(t.column("days")?.is_missing(1));
//! # Ok::<(), cartera_core::Error>(())
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use cartera_core::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::table::{CategoricalColumn, Column, FastHash, MISSING_CODE, StringColumnBuilder, Table};

/// What [`drop_duplicates`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicatesReport {
    /// Rows removed (each an exact copy of an earlier row).
    pub removed: usize,
    /// Original indices of the rows kept, ascending (use them to join results back).
    pub kept_rows: Vec<usize>,
}

fn row_hashes(t: &Table) -> Vec<u64> {
    const BLOCK: usize = 8192;
    let n = t.n_rows();
    let build = FastHash::default();
    (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let rows = b * BLOCK..((b + 1) * BLOCK).min(n);
            rows.map(|i| {
                let mut h = build.build_hasher();
                for col in t.columns() {
                    match col {
                        Column::Numeric(v) => {
                            let x = v[i];
                            // All NaNs are one "missing" value, and 0.0 equals -0.0.
                            let bits = if x.is_nan() {
                                u64::MAX
                            } else if x == 0.0 {
                                0
                            } else {
                                x.to_bits()
                            };
                            h.write_u64(bits);
                        }
                        Column::Categorical(c) => h.write_u32(c.codes()[i]),
                        Column::Text(tc) => match tc.get(i) {
                            None => h.write_u8(0),
                            Some(s) => {
                                h.write_u8(1);
                                h.write(s.as_bytes());
                                h.write_usize(s.len());
                            }
                        },
                    }
                }
                h.finish()
            })
            .collect::<Vec<_>>()
        })
        .collect()
}

fn rows_equal(t: &Table, a: usize, b: usize) -> bool {
    t.columns().iter().all(|col| match col {
        Column::Numeric(v) => v[a] == v[b] || (v[a].is_nan() && v[b].is_nan()),
        Column::Categorical(c) => c.codes()[a] == c.codes()[b],
        Column::Text(tc) => tc.get(a) == tc.get(b),
    })
}

/// Remove rows that exactly repeat an earlier row (every column equal, missing equal to
/// missing), keeping the first occurrence as pandas' `drop_duplicates()` does.
pub fn drop_duplicates(t: &Table) -> Result<(Table, DuplicatesReport)> {
    let hashes = row_hashes(t);
    let kept = first_occurrences(&hashes, |i, j| rows_equal(t, i, j));
    let removed = t.n_rows() - kept.len();
    let out = if removed == 0 {
        t.clone()
    } else {
        t.take_rows(&kept)?
    };
    Ok((
        out,
        DuplicatesReport {
            removed,
            kept_rows: kept,
        },
    ))
}

/// Indices of the rows that are the first of their kind, in order: rows with different hashes
/// differ, rows with the same hash are compared with `equal`.
fn first_occurrences(hashes: &[u64], equal: impl Fn(usize, usize) -> bool) -> Vec<usize> {
    // The first row seen with each hash; the other distinct rows sharing a hash (true
    // collisions, rare) go to a second map, so the common case allocates nothing per row.
    let mut first: HashMap<u64, usize, FastHash> =
        HashMap::with_capacity_and_hasher(hashes.len(), FastHash::default());
    let mut others: HashMap<u64, Vec<usize>, FastHash> = HashMap::default();
    let mut kept = Vec::with_capacity(hashes.len());
    for (i, &h) in hashes.iter().enumerate() {
        let j = *first.entry(h).or_insert(i);
        if j == i {
            kept.push(i);
            continue;
        }
        if equal(i, j) {
            continue;
        }
        let same_hash = others.entry(h).or_default();
        if !same_hash.iter().any(|&j| equal(i, j)) {
            same_hash.push(i);
            kept.push(i);
        }
    }
    kept
}

/// Turn every occurrence of `value` in column `name` into a missing value and return how many
/// were replaced.
///
/// On a numeric column `value` must be a number (`9999`, `-1`); on a categorical or text column
/// it is compared as text (`"desconocido"`).
pub fn replace_sentinel(t: &mut Table, name: &str, value: &str) -> Result<usize> {
    let col = t.column(name)?;
    let (replaced, new_col) = match col {
        Column::Numeric(v) => {
            let s: f64 = value.trim().parse().map_err(|_| {
                Error::invalid_param(
                    "sentinel",
                    format!("{name}={value}"),
                    format!("column `{name}` is numeric, so the sentinel must be a number"),
                )
            })?;
            let mut out = v.clone();
            let mut n = 0;
            for x in out.iter_mut() {
                if *x == s {
                    *x = f64::NAN;
                    n += 1;
                }
            }
            (n, Column::Numeric(out))
        }
        Column::Categorical(c) => {
            let Some(code) = c.levels().iter().position(|l| l == value) else {
                return Ok(0);
            };
            let code = code as u32;
            let n = c.codes().iter().filter(|&&k| k == code).count();
            let codes = c
                .codes()
                .iter()
                .map(|&k| if k == code { MISSING_CODE } else { k })
                .collect();
            // from_codes keeps only levels still in use and re-sorts.
            let levels: Vec<String> = c.levels().to_vec();
            (
                n,
                Column::Categorical(CategoricalColumn::from_codes(codes, levels)),
            )
        }
        Column::Text(tc) => {
            let mut b = StringColumnBuilder::with_capacity(tc.len(), 0);
            let mut n = 0;
            for v in tc.iter() {
                if v == Some(value) {
                    n += 1;
                    b.push(None);
                } else {
                    b.push(v);
                }
            }
            (n, Column::Text(b.into_text()))
        }
    };
    t.replace_column(name, new_col)?;
    Ok(replaced)
}

/// Why a column was judged to be an identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdColumn {
    /// Column name.
    pub name: String,
    /// Distinct non-missing values divided by non-missing values.
    pub unique_ratio: f64,
    /// The rule that matched, in words.
    pub reason: String,
}

/// The share of distinct values from which [`find_id_columns`] considers a column, unless told
/// otherwise: the pipeline's default and what the command line and the studies use.
pub const DEFAULT_ID_UNIQUE_RATIO: f64 = 0.95;

/// Find identifier columns: they carry no signal a model should learn, and a clustering that
/// sees them splits customers by sign-up order.
///
/// A column is an identifier when at least `min_unique_ratio` ([`DEFAULT_ID_UNIQUE_RATIO`]
/// unless told otherwise) of its
/// non-missing values are distinct **and** it is
/// * text (customer codes, e-mails), or
/// * integers that fill at least half their range (a row number `1, 2, …, n`, with gaps, or a
///   shuffled sample of at least half such rows, as a train/test split leaves), or
/// * integers in a column named like an identifier: a word of the name is `id` (`ID`, `ID#`,
///   `customerID`, `client_id`), `uuid` or `identifier`, or
/// * integers that all have the same number of digits, at least 6 (fixed-width codes such as
///   an IMEI or an account number).
///
/// Measured integers are not flagged by the range rule: `n` values drawn from a range of `R`
/// repeat about `n² / 2R` times, so being 95 % distinct needs a range of about ten times `n`,
/// a fill of about 10 %. Continuous measurements (amounts with decimals) and integer counts of
/// varying width are never flagged, however unique. Tables with fewer than 20 rows are not
/// judged.
pub fn find_id_columns(t: &Table, min_unique_ratio: f64) -> Vec<IdColumn> {
    if t.n_rows() < 20 {
        return Vec::new();
    }
    t.names()
        .par_iter()
        .zip(t.columns().par_iter())
        .filter_map(|(name, col)| {
            id_rule(name, col, min_unique_ratio).map(|(ratio, reason)| IdColumn {
                name: name.clone(),
                unique_ratio: ratio,
                reason,
            })
        })
        .collect()
}

/// Whether a word of `name` is `id`, `uuid` or `identifier` (any case). Words are split at
/// characters other than letters and digits and where a lowercase letter meets an uppercase
/// one: `customerID` is `customer` `ID`, `client_id` is `client` `id`; `Paid` and `Idle` are one
/// word each.
fn named_like_an_id(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut word));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase();
        word.push(c);
    }
    words.push(word);
    words
        .iter()
        .any(|w| matches!(w.to_lowercase().as_str(), "id" | "uuid" | "identifier"))
}

fn id_rule(name: &str, col: &Column, min_ratio: f64) -> Option<(f64, String)> {
    match col {
        Column::Categorical(_) => None,
        Column::Text(tc) => {
            let mut seen = std::collections::HashSet::with_hasher(FastHash::default());
            let mut n = 0usize;
            for v in tc.iter().flatten() {
                n += 1;
                seen.insert(v);
            }
            let ratio = seen.len() as f64 / n.max(1) as f64;
            (n > 0 && ratio >= min_ratio)
                .then(|| (ratio, "text with (nearly) all values distinct".into()))
        }
        Column::Numeric(v) => {
            let vals: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            if vals.is_empty() || vals.iter().any(|x| x.fract() != 0.0 || x.abs() >= 9.0e15) {
                return None;
            }
            // Count distinct values, giving up as soon as the repeats rule out an identifier:
            // a count column (few distinct values) is rejected after a few hundred rows.
            let allowed_repeats = ((1.0 - min_ratio) * vals.len() as f64).floor() as usize;
            let mut seen = std::collections::HashSet::with_capacity_and_hasher(
                vals.len().min(1 << 16),
                FastHash::default(),
            );
            let mut repeats = 0usize;
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for x in &vals {
                if !seen.insert(x.to_bits()) {
                    repeats += 1;
                    if repeats > allowed_repeats {
                        return None;
                    }
                }
                lo = lo.min(*x);
                hi = hi.max(*x);
            }
            let distinct = seen.len();
            let ratio = distinct as f64 / vals.len() as f64;
            if ratio < min_ratio {
                return None;
            }
            // A row number, possibly with gaps left by deleted records or by sampling rows:
            // distinct integers that fill at least half their range.
            if hi - lo + 1.0 <= distinct as f64 / 0.5 {
                return Some((
                    ratio,
                    "distinct integers filling at least half their range, like row numbers".into(),
                ));
            }
            if named_like_an_id(name) {
                return Some((ratio, "distinct integers named like an identifier".into()));
            }
            let digits = |x: f64| {
                if x <= 0.0 {
                    0
                } else {
                    x.log10().floor() as i64 + 1
                }
            };
            let d = digits(lo);
            if lo > 0.0 && d >= 6 && digits(hi) == d {
                return Some((ratio, format!("fixed-width {d}-digit integer code")));
            }
            None
        }
    }
}

/// Names of the columns with at most one distinct non-missing value: they cannot separate
/// customers, and a scaler would divide by their zero spread.
pub fn find_constant_columns(t: &Table) -> Vec<String> {
    t.names()
        .iter()
        .zip(t.columns())
        .filter(|(_, col)| match col {
            Column::Numeric(v) => at_most_one_distinct(v.iter().filter(|x| !x.is_nan())),
            Column::Categorical(c) => {
                at_most_one_distinct(c.codes().iter().filter(|&&k| k != MISSING_CODE))
            }
            Column::Text(tc) => at_most_one_distinct(tc.iter().flatten()),
        })
        .map(|(n, _)| n.clone())
        .collect()
}

/// True when every item equals the first (or there is none).
fn at_most_one_distinct<T: PartialEq>(mut it: impl Iterator<Item = T>) -> bool {
    match it.next() {
        None => true,
        Some(first) => it.all(|x| x == first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::CsvOptions;

    fn read(s: &str) -> Table {
        Table::read_csv_bytes(s.as_bytes(), "t.csv", &CsvOptions::default()).unwrap()
    }

    #[test]
    fn hash_collisions_are_told_apart_by_the_rows() {
        // Values 0..4 all hash to 7: equal values are duplicates, different ones are not.
        let values = [3, 1, 3, 2, 1, 1, 0, 2];
        let hashes = vec![7u64; values.len()];
        let kept = first_occurrences(&hashes, |i, j| values[i] == values[j]);
        assert_eq!(kept, vec![0, 1, 3, 6]);
        // Different hashes are never compared.
        let hashes: Vec<u64> = (0..values.len() as u64).collect();
        let kept = first_occurrences(&hashes, |_, _| panic!("compared rows with other hashes"));
        assert_eq!(kept, (0..values.len()).collect::<Vec<_>>());
    }

    #[test]
    fn duplicates_keep_first_and_treat_missing_as_equal() {
        let t = read("a,b,c\n1,x,\n2,y,q\n1,x,\n1,x,z\n2,y,q\n");
        let (d, r) = drop_duplicates(&t).unwrap();
        assert_eq!(r.removed, 2);
        assert_eq!(r.kept_rows, vec![0, 1, 3]);
        assert_eq!(d.n_rows(), 3);
        let (_, none) = drop_duplicates(&d).unwrap();
        assert_eq!(none.removed, 0);
    }

    #[test]
    fn duplicates_on_generated_telco() {
        let t = crate::datasets::telco_churn(20_000, 3).unwrap();
        let (d, r) = drop_duplicates(&t).unwrap();
        assert_eq!(r.removed, 100); // round(0.005 * 20,000)
        assert_eq!(d.n_rows(), 19_900);
    }

    #[test]
    fn sentinels_become_missing() {
        let mut t = read("days,plan,note\n3,a,x\n9999,b,y\n9999,a,desconocido\n4,a,z\n5,b,w\n");
        assert_eq!(replace_sentinel(&mut t, "days", "9999").unwrap(), 2);
        assert_eq!(t.column("days").unwrap().missing_count(), 2);
        assert_eq!(replace_sentinel(&mut t, "note", "desconocido").unwrap(), 1);
        assert_eq!(replace_sentinel(&mut t, "plan", "b").unwrap(), 2);
        assert_eq!(replace_sentinel(&mut t, "plan", "zzz").unwrap(), 0);
        assert!(matches!(
            replace_sentinel(&mut t, "days", "abc"),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            replace_sentinel(&mut t, "nope", "1"),
            Err(Error::UnknownColumn { .. })
        ));
    }

    #[test]
    fn id_columns_on_real_and_generated_tables() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let bank =
            Table::read_csv(root.join("universal_bank.csv"), &CsvOptions::default()).unwrap();
        let ids: Vec<String> = find_id_columns(&bank, 0.95)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(ids, vec!["ID"]);
        let telco = Table::read_csv(
            root.join("telco_customer_churn.csv"),
            &CsvOptions::default(),
        )
        .unwrap();
        let ids: Vec<String> = find_id_columns(&telco, 0.95)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(ids, vec!["customerID"]);
        let air = Table::read_csv(
            root.join("eastwest_airlines_cluster.csv"),
            &CsvOptions::default(),
        )
        .unwrap();
        let ids: Vec<String> = find_id_columns(&air, 0.95)
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(ids, vec!["ID#"]);
        let generated = crate::datasets::telco_churn(5_000, 1).unwrap();
        let found = find_id_columns(&generated, 0.95);
        let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&"IMEI"), "{found:?}");
        assert!(!names.contains(&"PRECIO_EQUIPO"));
        // A shuffled 70 % and 30 % of the bank's rows (a train/test split): ID is still one,
        // by its range in the first, by its name in the second; nothing else is.
        let mut order: Vec<usize> = (0..bank.n_rows()).collect();
        let mut rng = cartera_core::CarteraRng::seed_from_u64(7);
        rng.shuffle(&mut order);
        for part in [&order[..3500], &order[3500..]] {
            let sample = bank.take_rows(part).unwrap();
            let found = find_id_columns(&sample, 0.95);
            let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(names, ["ID"], "{found:?}");
        }
        // The same unique integers under another name, filling a tenth of their range: kept.
        let t = read(&format!(
            "Paid,Idle,Balance\n{}",
            (0..100)
                .map(|i| format!("{0},{0},{0}\n", i * 10 + i % 7))
                .collect::<String>()
        ));
        assert!(find_id_columns(&t, 0.95).is_empty());
    }

    #[test]
    fn identifier_names() {
        for n in [
            "ID",
            "id",
            "ID#",
            "customerID",
            "CustomerId",
            "client_id",
            "user id",
            "UUID",
        ] {
            assert!(named_like_an_id(n), "{n}");
        }
        for n in [
            "Paid", "Idle", "Valid", "Ideal", "Bid", "Width", "Balance", "Age",
        ] {
            assert!(!named_like_an_id(n), "{n}");
        }
    }

    #[test]
    fn constant_columns() {
        let t = read("a,b,c,d\n1,x,5,\n2,x,5,\n3,x,,\n");
        assert_eq!(find_constant_columns(&t), vec!["b", "c", "d"]);
    }
}
