//! The self-contained HTML report (work in progress in this commit).
