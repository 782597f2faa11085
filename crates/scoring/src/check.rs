//! Input checks shared by the scoring tables: every one returns a typed error naming the input
//! and the row.

use cartera_core::{Error, Result};

/// `found == expected`, else a shape mismatch naming `what`.
pub(crate) fn same_len(what: &str, expected: usize, found: usize) -> Result<()> {
    cartera_core::validate::check_len(found, expected, what)
}

/// At least one row.
pub(crate) fn non_empty(what: &str, n: usize) -> Result<()> {
    if n == 0 {
        Err(Error::empty(what))
    } else {
        Ok(())
    }
}

/// Every value finite (scores may be any real number: logits, linear scores).
pub(crate) fn finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(row) => Err(Error::NonFinite {
            what: what.to_string(),
            row,
            column: 0,
            value: values[row].to_string(),
        }),
    }
}

/// Every value a probability: finite and inside [0, 1].
pub(crate) fn probabilities(what: &str, values: &[f64]) -> Result<()> {
    finite(what, values)?;
    match values.iter().position(|v| !(0.0..=1.0).contains(v)) {
        None => Ok(()),
        Some(row) => Err(Error::invalid_data(
            what,
            format!(
                "row {row} (0-based) holds {}: a probability must lie in [0, 1]",
                values[row]
            ),
        )),
    }
}

/// A money amount or rate that cannot be negative (and must be finite).
pub(crate) fn non_negative(name: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_param(
            name,
            value,
            "must be a finite number >= 0",
        ))
    }
}

/// A rate inside [0, 1].
pub(crate) fn unit_interval(name: &str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid_param(name, value, "must lie in [0, 1]"))
    }
}

/// Outcomes read as numbers must be exactly 0 or 1.
pub fn outcomes_from_f64(what: &str, values: &[f64]) -> Result<Vec<bool>> {
    values
        .iter()
        .enumerate()
        .map(|(row, &v)| {
            if v == 0.0 {
                Ok(false)
            } else if v == 1.0 {
                Ok(true)
            } else {
                Err(Error::invalid_data(
                    what,
                    format!("row {row} (0-based) holds {v}: an outcome must be 0 or 1"),
                ))
            }
        })
        .collect()
}
