//! `cartera describe`: what is in a CSV file.

use std::path::PathBuf;
use std::time::Instant;

use cartera_core::Result;
use cartera_preprocess::{ColumnSummary, Table};
use serde_json::json;

/// Flags of `cartera describe`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    file: PathBuf,
    /// Also write the summary as JSON to this file (`-` for stdout, which then carries only
    /// the JSON).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    #[command(flatten)]
    csv: super::CsvArgs,
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(x) if x != 0.0 && (x.abs() >= 1e7 || x.abs() < 1e-3) => format!("{x:.4e}"),
        Some(x) => format!("{x:.4}"),
    }
}

fn print_text(path: &str, t: &Table, stats: &[ColumnSummary]) {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    println!(
        "{path}: {} x {}",
        plural(t.n_rows(), "row"),
        plural(t.n_cols(), "column")
    );
    let w = stats
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(6);
    println!(
        "{:<w$}  {:<11}  {:>9}  {:>8}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  top",
        "column", "type", "missing", "unique", "mean", "std", "min", "25%", "50%", "75%", "max"
    );
    for s in stats {
        println!(
            "{:<w$}  {:<11}  {:>9}  {:>8}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}  {}",
            s.name,
            s.column_type.name(),
            s.missing,
            s.unique,
            fmt_num(s.mean),
            fmt_num(s.std),
            fmt_num(s.min),
            fmt_num(s.q25),
            fmt_num(s.q50),
            fmt_num(s.q75),
            fmt_num(s.max),
            match (&s.top, s.freq) {
                (Some(top), Some(f)) => format!("{top} ({f})"),
                _ => String::new(),
            }
        );
    }
}

/// Run the command.
pub fn run(a: Args) -> Result<()> {
    super::check_outputs(None, a.json.as_deref())?;
    let opts = a.csv.options()?;
    let t0 = Instant::now();
    let table = super::read_table(&a.file, &opts)?;
    let read_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let stats = table.describe();
    let describe_seconds = t1.elapsed().as_secs_f64();
    let path = a.file.display().to_string();
    if a.json.as_deref() != Some("-") {
        print_text(&path, &table, &stats);
    }
    if let Some(target) = a.json {
        let value = json!({
            "file": path,
            "rows": table.n_rows(),
            "table_bytes": table.heap_bytes(),
            "columns": stats,
            "read_seconds": read_seconds,
            "describe_seconds": describe_seconds,
        });
        super::write_json(&target, &value)?;
    }
    Ok(())
}
