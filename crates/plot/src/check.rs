//! Input checks shared by the charts: each returns the typed error naming the input.

use cartera_core::validate::{check_finite_1d, check_len};
use cartera_core::{Error, Result};
use ndarray::ArrayView1;

/// Fails with [`Error::EmptyInput`] when `len == 0`.
pub(crate) fn non_empty(len: usize, what: &str) -> Result<()> {
    if len == 0 {
        return Err(Error::empty(what));
    }
    Ok(())
}

/// Fails with [`Error::ShapeMismatch`] unless `found == expected`.
pub(crate) fn same_len(found: usize, expected: usize, what: &str) -> Result<()> {
    check_len(found, expected, what)
}

/// Fails with [`Error::NonFinite`] at the first NaN or ±inf.
pub(crate) fn finite(values: &[f64], what: &str) -> Result<()> {
    check_finite_1d(ArrayView1::from(values), what)
}

/// Fails unless every value is finite and in `[low, high]`.
pub(crate) fn finite_in(values: &[f64], low: f64, high: f64, what: &str) -> Result<()> {
    finite(values, what)?;
    if let Some((i, v)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !(low..=high).contains(*v))
    {
        return Err(Error::invalid_param(
            format!("{what}[{i}]"),
            v,
            format!("must lie in [{low}, {high}]"),
        ));
    }
    Ok(())
}

/// Fails unless every value is finite and `>= 0`.
pub(crate) fn finite_non_negative(values: &[f64], what: &str) -> Result<()> {
    finite(values, what)?;
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| **v < 0.0) {
        return Err(Error::invalid_param(
            format!("{what}[{i}]"),
            v,
            "must be greater than or equal to 0",
        ));
    }
    Ok(())
}

/// Fails unless every label names one of `n_names` segments.
pub(crate) fn labels_named(labels: &[usize], n_names: usize, what: &str) -> Result<()> {
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l >= n_names) {
        return Err(Error::invalid_param(
            format!("{what}[{i}]"),
            l,
            format!("must be below the number of names ({n_names})"),
        ));
    }
    Ok(())
}

/// Fails unless `1 <= max_features <= 20`.
pub(crate) fn max_features(value: usize) -> Result<()> {
    if !(1..=crate::shap::MAX_FEATURES).contains(&value) {
        return Err(Error::invalid_param(
            "max_features",
            value,
            format!("must lie in [1, {}]", crate::shap::MAX_FEATURES),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_value_names_its_index() {
        let e = finite_in(&[0.5, 1.5], 0.0, 1.0, "captured").unwrap_err();
        assert!(e.to_string().contains("`captured[1]` = 1.5"), "{e}");
    }

    #[test]
    fn nan_is_non_finite_not_out_of_range() {
        let e = finite_in(&[0.5, f64::NAN], 0.0, 1.0, "captured").unwrap_err();
        assert!(matches!(e, Error::NonFinite { row: 1, .. }), "{e}");
    }

    #[test]
    fn negative_value_is_rejected() {
        assert!(finite_non_negative(&[0.0, 2.0], "lift").is_ok());
        let e = finite_non_negative(&[0.0, -2.0], "lift").unwrap_err();
        assert!(e.to_string().contains("`lift[1]` = -2"), "{e}");
    }

    #[test]
    fn label_without_a_name_is_rejected() {
        assert!(labels_named(&[0, 1, 1], 2, "labels").is_ok());
        let e = labels_named(&[0, 2], 2, "labels").unwrap_err();
        assert!(e.to_string().contains("`labels[1]` = 2"), "{e}");
    }

    #[test]
    fn max_features_bounds() {
        assert!(max_features(0).is_err());
        assert!(max_features(1).is_ok());
        assert!(max_features(20).is_ok());
        assert!(max_features(21).is_err());
    }
}
