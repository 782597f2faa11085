//! Helpers shared by the `cartera` binary's integration tests: run the binary, find the
//! repository and a per-test-file temporary folder, check a one-line error.

// Each test file compiles this module on its own and uses a subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `cartera ARGS…`, require success (the failure shows its stderr) and parse the JSON it
/// printed on stdout.
pub fn ok_json(args: &[&str]) -> serde_json::Value {
    let out = cartera(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `cartera ARGS…`, require success (the failure shows its stderr) and return its output.
pub fn ok(args: &[&str]) -> Output {
    let out = cartera(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run `cartera ARGS…` and capture its output.
pub fn cartera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cartera"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the cartera binary runs")
}

/// The repository root (for `data/` and `tests/fixtures/`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name` inside a temporary folder of this test file and process.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cartera-{}-tests-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// A path as `&str` for an argument list.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// A failed command: exit code 1 and exactly one stderr line containing `contains`; returns
/// that line for further checks.
pub fn one_line_error(out: &Output, contains: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.contains(contains), "expected {contains:?} in {err}");
    err
}

/// [`one_line_error`], starting with `error: ` and without a panic message.
pub fn assert_one_line_error(out: &Output, contains: &str) {
    let err = one_line_error(out, contains);
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
