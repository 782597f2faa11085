//! Shared test data.
pub mod data;
