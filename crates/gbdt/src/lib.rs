//! # cartera-gbdt
//!
//! Histogram gradient-boosted trees (LightGBM's method), TreeSHAP explanations and LightGBM
//! model import. (Crate overview and runnable example: written with the trainer.)

pub mod explain;
pub mod lightgbm;
pub mod shap;
pub mod tree;

pub use tree::{Decision, Ensemble, MissingType, Objective, Tree};
