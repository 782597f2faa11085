//! The `cartera` command line: thin glue that parses flags, validates them and calls the
//! library crates. No algorithm lives here.
//!
//! Every error leaves through one path: a single `error: …` line on stderr and exit code 1
//! (2 for a command line clap cannot parse).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// Customer analytics from the command line: generate, describe, segment and score CSV files.
#[derive(Debug, Parser)]
#[command(name = "cartera", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a generated customer or numeric data set to CSV.
    Generate(commands::generate::Args),
    /// Per-column type, missing and unique counts and statistics of a CSV file (as pandas'
    /// describe()).
    Describe(commands::describe::Args),
    /// Clean, impute, treat outliers, scale, one-hot encode and reduce a CSV; save the fitted
    /// steps and apply them to the next file.
    Prep(commands::prep::Args),
    /// Segment the rows of a CSV with K-Means (or fit a range of k and pick the elbow).
    Kmeans(commands::kmeans::Args),
}

fn main() -> ExitCode {
    // A panic is a bug in cartera, never the user's fault: say so in one line, without a
    // backtrace, and still exit non-zero.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in cartera ({info}); please report it");
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(a) => commands::generate::run(a),
        Command::Describe(a) => commands::describe::run(a),
        Command::Prep(a) => commands::prep::run(a),
        Command::Kmeans(a) => commands::kmeans::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
