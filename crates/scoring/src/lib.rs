//! # cartera-scoring
//!
//! (Overview and runnable example: to be written with the crate.)
