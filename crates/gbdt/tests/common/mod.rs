//! Shared test data and checks.

#![allow(dead_code)]

pub mod data;

use cartera_core::Error;
use cartera_gbdt::GbdtModel;

/// Assert `r` is an [`Error::InvalidData`] about `what`, naming row `row` (0-based).
pub fn is_bad_data(r: Result<GbdtModel, Error>, what: &str, row: usize) {
    match r {
        Err(Error::InvalidData { what: w, reason }) => {
            assert_eq!(w, what);
            assert!(reason.contains(&format!("row {row} ")), "{reason}");
        }
        other => panic!("expected InvalidData({what}), got {other:?}"),
    }
}

/// Assert `r` is an [`Error::InvalidParameter`] naming `name`.
pub fn is_invalid(r: Result<GbdtModel, Error>, name: &str) {
    match r {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}
