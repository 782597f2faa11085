//! The four cartera studies end to end (work in progress in this commit).

pub mod report;
