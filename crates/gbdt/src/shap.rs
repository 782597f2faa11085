//! Exact path-dependent TreeSHAP.
