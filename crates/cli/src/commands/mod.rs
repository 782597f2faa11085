//! One module per subcommand: its flags (`Args`) and its `run`.

pub mod describe;
pub mod generate;
pub mod prep;

use std::io::Write;

use cartera_core::{Error, Result};

/// Write JSON to a file, or to stdout for `-`.
pub fn write_json(target: &str, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::io("formatting JSON", std::io::Error::other(e)))?;
    if target == "-" {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").map_err(|e| Error::io("writing JSON to stdout", e))
    } else {
        std::fs::write(target, text + "\n").map_err(|e| Error::io(format!("writing {target}"), e))
    }
}
