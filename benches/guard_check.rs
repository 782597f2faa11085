//! Compares the guard's instruction counts with the committed baseline; `scripts/guard.sh` runs it.
//!
//! ```text
//! guard_check compare  BASELINE.json SUMMARY.jsonl   # table; exit 1 if a kernel regressed
//! guard_check refresh  BASELINE.json SUMMARY.jsonl   # rewrite the baseline from this run
//! guard_check self-test                              # the comparison logic on synthetic counts
//! ```
//!
//! `SUMMARY.jsonl` is gungraun's machine-readable output (`--output-format=json`: one JSON
//! object per benchmark). The baseline is a small, reviewable JSON file: one instruction count
//! (callgrind's `Ir`) per kernel, plus the toolchain that produced it.
//!
//! A kernel fails when its count grows by more than [`THRESHOLD_PERCENT`], the only place the
//! threshold is written. A kernel listed in the baseline but absent from the run also fails (a
//! renamed or deleted kernel must be removed from the baseline on purpose, with `--refresh`). A
//! kernel absent from the baseline is reported as new and does not fail, so adding a kernel and
//! its baseline can be two steps.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

/// Instruction count per kernel name.
type Counts = BTreeMap<String, u64>;

/// The largest allowed growth of a kernel's instruction count, in percent of its baseline.
const THRESHOLD_PERCENT: f64 = 5.0;

/// What happened to one kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Within the threshold either way.
    Ok,
    /// Fewer instructions by more than the threshold: passes; refresh to lock the gain in.
    Improved,
    /// More instructions by more than the threshold: fails.
    Regressed,
    /// In the run but not in the baseline: passes, reported.
    New,
    /// In the baseline but not in the run: fails.
    Missing,
}

impl Status {
    fn fails(self) -> bool {
        matches!(self, Status::Regressed | Status::Missing)
    }

    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Improved => "improved (refresh to keep)",
            Status::Regressed => "REGRESSED",
            Status::New => "new (not in baseline)",
            Status::Missing => "MISSING from run",
        }
    }
}

/// One row of the comparison table.
#[derive(Debug, PartialEq)]
struct Row {
    kernel: String,
    baseline: Option<u64>,
    current: Option<u64>,
    /// Relative change in percent, when both counts exist.
    change_percent: Option<f64>,
    status: Status,
}

/// Compares every kernel of `current` with `baseline` (both: kernel name to instruction count).
fn compare(baseline: &Counts, current: &Counts, threshold_percent: f64) -> Vec<Row> {
    let mut names: Vec<&String> = baseline.keys().chain(current.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let b = baseline.get(name).copied();
            let c = current.get(name).copied();
            let (change_percent, status) = match (b, c) {
                (Some(b), Some(c)) => {
                    // A zero baseline cannot be a real kernel; any growth from it is a regression.
                    let change = if b == 0 {
                        if c == 0 { 0.0 } else { f64::INFINITY }
                    } else {
                        (c as f64 - b as f64) / b as f64 * 100.0
                    };
                    let status = if change > threshold_percent {
                        Status::Regressed
                    } else if change < -threshold_percent {
                        Status::Improved
                    } else {
                        Status::Ok
                    };
                    (Some(change), status)
                }
                (None, Some(_)) => (None, Status::New),
                (Some(_), None) => (None, Status::Missing),
                (None, None) => unreachable!("every name comes from one of the two maps"),
            };
            Row {
                kernel: name.clone(),
                baseline: b,
                current: c,
                change_percent,
                status,
            }
        })
        .collect()
}

/// The comparison as a Markdown table.
fn table(rows: &[Row], threshold_percent: f64) -> String {
    let fmt = |v: Option<u64>| v.map_or_else(|| "-".to_string(), group_thousands);
    let mut out = format!(
        "| kernel | baseline Ir | current Ir | change | status (fails above +{threshold_percent}%) |\n|---|---:|---:|---:|---|\n"
    );
    for r in rows {
        let change = r
            .change_percent
            .map_or_else(|| "-".to_string(), |p| format!("{p:+.2}%"));
        out += &format!(
            "| {} | {} | {} | {} | {} |\n",
            r.kernel,
            fmt(r.baseline),
            fmt(r.current),
            change,
            r.status.label()
        );
    }
    out
}

fn group_thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The kernel name and instruction count of one line of gungraun's JSON output, or why not.
///
/// The name is `group::function::id` (the benchmark file's name is left out, it is always
/// `guard`); the count is the `Ir` of callgrind's total over all threads.
fn parse_summary_line(line: &str) -> Result<(String, u64), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
    let module = v["module_path"]
        .as_str()
        .ok_or("no `module_path` in gungraun's summary")?;
    let function = v["function_name"]
        .as_str()
        .ok_or("no `function_name` in gungraun's summary")?;
    // `module_path` is `guard::<group>::<function>`: keep the group.
    let group = module
        .split("::")
        .nth(1)
        .ok_or_else(|| format!("unexpected module path `{module}`"))?;
    let mut name = format!("{group}::{function}");
    if let Some(id) = v["id"].as_str() {
        name += "::";
        name += id;
    }
    let ir = find_ir(&v).ok_or_else(|| format!("no callgrind `Ir` for `{name}`"))?;
    Ok((name, ir))
}

/// Callgrind's `Ir` total in gungraun's summary (schema v6, gungraun 0.16 and later):
/// `profiles[tool = "Callgrind"].data.total.metrics.Ir.values.new`; `old` is gungraun's own
/// previous run in the target directory, which the guard ignores (it compares with the
/// committed baseline instead). The total covers every thread of the benchmark.
fn find_ir(v: &Value) -> Option<u64> {
    let profiles = v["profiles"].as_array()?;
    let callgrind = profiles
        .iter()
        .find(|p| p["tool"].as_str() == Some("Callgrind"))?;
    callgrind["data"]["total"]["metrics"]["Ir"]["values"]["new"].as_u64()
}

fn read_summaries(path: &str) -> Result<Counts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('{')) {
        let (name, ir) = parse_summary_line(line)?;
        if out.insert(name.clone(), ir).is_some() {
            return Err(format!("kernel `{name}` appears twice in {path}"));
        }
    }
    if out.is_empty() {
        return Err(format!("no benchmark summaries in {path}"));
    }
    Ok(out)
}

fn read_baseline(path: &str) -> Result<(Counts, Map<String, Value>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{path}: not a JSON object"))?;
    let kernels = obj
        .get("kernels")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{path}: no `kernels` object"))?;
    let mut out = BTreeMap::new();
    for (k, ir) in kernels {
        let ir = ir
            .as_u64()
            .ok_or_else(|| format!("{path}: `{k}` is not a non-negative integer"))?;
        out.insert(k.clone(), ir);
    }
    Ok((out, obj.clone()))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn run(args: &[String]) -> Result<bool, String> {
    match args {
        [cmd, baseline_path, summary_path] if cmd == "compare" => {
            let (baseline, meta) = read_baseline(baseline_path)?;
            let current = read_summaries(summary_path)?;
            let here = env_or("GUARD_RUSTC", "unknown rustc");
            if let Some(there) = meta.get("rustc").and_then(Value::as_str)
                && there != here
            {
                println!(
                    "note: baseline made with `{there}`, this run uses `{here}`; a compiler \
                     change alone can move instruction counts\n"
                );
            }
            let rows = compare(&baseline, &current, THRESHOLD_PERCENT);
            print!("{}", table(&rows, THRESHOLD_PERCENT));
            let failed: Vec<&Row> = rows.iter().filter(|r| r.status.fails()).collect();
            if failed.is_empty() {
                println!("\nguard: {} kernels within +{THRESHOLD_PERCENT}% of the baseline", rows.len());
                Ok(true)
            } else {
                println!(
                    "\nguard: FAILED: {} of {} kernels regressed or are missing (threshold \
                     +{THRESHOLD_PERCENT}%). If the change is meant, run `scripts/guard.sh \
                     --refresh` and commit benches/guard_baseline.json.",
                    failed.len(),
                    rows.len()
                );
                Ok(false)
            }
        }
        [cmd, baseline_path, summary_path] if cmd == "refresh" => {
            let current = read_summaries(summary_path)?;
            let kernels: Map<String, Value> =
                current.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let doc = json!({
                "what": "callgrind instruction counts (Ir) of benches/guard.rs; compared by scripts/guard.sh",
                "rustc": env_or("GUARD_RUSTC", "unknown rustc"),
                "valgrind": env_or("GUARD_VALGRIND", "unknown valgrind"),
                "gungraun": env_or("GUARD_GUNGRAUN", "unknown gungraun"),
                "kernels": kernels,
            });
            let text = serde_json::to_string_pretty(&doc)
                .map_err(|e| format!("cannot serialise the baseline: {e}"))?;
            std::fs::write(baseline_path, text + "\n")
                .map_err(|e| format!("cannot write {baseline_path}: {e}"))?;
            println!("guard: wrote {} kernels to {baseline_path}", current.len());
            Ok(true)
        }
        [cmd] if cmd == "self-test" => {
            self_test()?;
            println!("guard: comparison self-test passed");
            Ok(true)
        }
        _ => Err(
            "usage: guard_check compare|refresh BASELINE.json SUMMARY.jsonl | guard_check self-test"
                .into(),
        ),
    }
}

/// The comparison on synthetic counts: proves the guard can fail, and on what.
fn self_test() -> Result<(), String> {
    fn check(cond: bool, what: &str) -> Result<(), String> {
        if cond {
            Ok(())
        } else {
            Err(format!("self-test failed: {what}"))
        }
    }
    let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    };
    let base = map(&[
        ("a", 1_000_000),
        ("b", 1_000_000),
        ("c", 1_000_000),
        ("gone", 10),
    ]);
    let cur = map(&[
        ("a", 1_050_000), // exactly +5 %: allowed
        ("b", 1_050_001), // just above +5 %: fails
        ("c", 900_000),   // -10 %: improved, passes
        ("fresh", 42),    // not in the baseline: passes
    ]);
    let rows = compare(&base, &cur, 5.0);
    let status = |k: &str| rows.iter().find(|r| r.kernel == k).map(|r| r.status);
    check(
        status("a") == Some(Status::Ok),
        "+5.0 % is within a 5 % threshold",
    )?;
    check(
        status("b") == Some(Status::Regressed),
        "+5.0001 % must fail",
    )?;
    check(
        status("c") == Some(Status::Improved),
        "-10 % is an improvement",
    )?;
    check(
        status("fresh") == Some(Status::New),
        "a kernel without baseline is new",
    )?;
    check(
        status("gone") == Some(Status::Missing),
        "a vanished kernel is missing",
    )?;
    check(
        rows.iter().filter(|r| r.status.fails()).count() == 2,
        "exactly the regressed and the missing kernel fail",
    )?;
    // A deliberately slower kernel (a doubled loop) fails; the same counts pass.
    let slow = compare(
        &map(&[("k", 500)]),
        &map(&[("k", 1_000)]),
        THRESHOLD_PERCENT,
    );
    check(
        slow[0].status.fails(),
        "a doubled count fails at the real threshold",
    )?;
    let same = compare(&base, &base, THRESHOLD_PERCENT);
    check(
        same.iter().all(|r| r.status == Status::Ok),
        "identical counts pass",
    )?;
    let zero = compare(&map(&[("z", 0)]), &map(&[("z", 1)]), THRESHOLD_PERCENT);
    check(
        zero[0].status == Status::Regressed,
        "growth from zero fails",
    )?;
    // Parsing gungraun's JSON: the new count is taken, never gungraun's own previous run.
    let line = |values: &str| {
        format!(
            r#"{{"module_path":"guard::kmeans::kmeans_lloyd_fit","function_name":"kmeans_lloyd_fit","id":"blobs","profiles":[{{"tool":"Callgrind","data":{{"total":{{"metrics":{{"Ir":{{"values":{values}}}}}}}}}}}]}}"#
        )
    };
    let name = "kmeans::kmeans_lloyd_fit::blobs".to_string();
    check(
        parse_summary_line(&line(r#"{"new":1234,"old":null}"#)) == Ok((name.clone(), 1234)),
        "parse a first-run summary",
    )?;
    check(
        parse_summary_line(&line(r#"{"new":1300,"old":1234}"#)) == Ok((name, 1300)),
        "parse a summary with gungraun's previous run",
    )?;
    check(
        parse_summary_line(r#"{"module_path":"guard::x::y","function_name":"y"}"#).is_err(),
        "a summary without Ir is an error, not a zero",
    )?;
    check(
        group_thousands(1_234_567) == "1,234,567",
        "thousands separators",
    )?;
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Cargo passes `--bench` when this target is run through `cargo bench`; ignore it.
    let args: Vec<String> = args.into_iter().filter(|a| a != "--bench").collect();
    if args.is_empty() {
        // A plain `cargo bench` runs every bench target; this one only works for scripts/guard.sh.
        println!("guard_check: nothing to do without arguments (see scripts/guard.sh)");
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("guard_check: {e}");
            ExitCode::from(2)
        }
    }
}
