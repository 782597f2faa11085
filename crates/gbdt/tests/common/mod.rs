//! Shared test data and checks.

#![allow(dead_code)]

pub mod data;

use cartera_core::Error;
use cartera_gbdt::GbdtModel;

/// Assert `r` is an [`Error::InvalidParameter`] naming `name`.
pub fn is_invalid(r: Result<GbdtModel, Error>, name: &str) {
    match r {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}
