//! The `cartera` command line: thin glue that parses flags, validates them and calls the
//! library crates. No algorithm lives here.
//!
//! Every error leaves through one path: a single `error: …` line on stderr and exit code 1
//! (2 for a command line clap cannot parse).

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Cluster-quality scores (silhouette, Calinski-Harabasz, Davies-Bouldin) of labelled rows.
    Silhouette(commands::silhouette::Args),
    /// Fit a logistic regression or gradient-boosted trees on a CSV; save the model with its
    /// preprocessing and report held-out metrics.
    Train(commands::train::Args),
    /// Score a CSV with a model file from `train`: the rows plus `score` and `predicted`.
    Predict(commands::predict::Args),
    /// TreeSHAP contributions of a GBDT (or LightGBM) model for the rows of a CSV, and the
    /// features ranked by mean |SHAP|.
    Explain(commands::explain::Args),
    /// Score bands 1..5 with offers and expected effectiveness, and the strategies on them.
    Bands(commands::business::BandsArgs),
    /// Gains and lift table by decile (or any number of bins) of a score.
    Gains(commands::business::GainsArgs),
    /// Retention-risk tiers (Low, Moderate, High, Critical), optionally per group.
    Tiers(commands::business::TiersArgs),
    /// Multi-product offer matrix: a band per product score and the next best offer.
    Offers(commands::business::OffersArgs),
    /// Campaign economics: mass versus targeted campaign cost, sales and profit.
    Campaign(commands::business::CampaignArgs),
    /// Segment profiles: size, per-feature statistics and relative means per cluster.
    Profile(commands::business::ProfileArgs),
    /// A whole study (telco churn, bank or ATM segmentation, purchase propensity) on the
    /// embedded table or your CSV: tables, charts, report.html and CRM campaign lists.
    Study(commands::study::Args),
}

/// Whether a panic is `println!`'s on a closed pipe.
fn broken_pipe(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.contains("failed printing to stdout") && text.contains("Broken pipe")
}

fn main() -> ExitCode {
    // A panic is a bug in cartera, never the user's fault: say so in one line, without a
    // backtrace, and still exit non-zero.
    std::panic::set_hook(Box::new(|info| {
        // `println!` panics when stdout is a pipe whose reader has gone (`cartera describe
        // big.csv | head`): not a bug, and the reader wants no more output. Exit as a process
        // killed by SIGPIPE would (128 + 13), without a message, as coreutils do.
        if broken_pipe(info) {
            std::process::exit(141);
        }
        eprintln!("error: internal error in cartera ({info}); please report it");
    }));
    let definition = Cli::command();
    let matches = definition.clone().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Generate(a) => commands::generate::run(a),
        Command::Describe(a) => commands::describe::run(a),
        Command::Prep(a) => commands::prep::run(a),
        Command::Kmeans(a) => commands::kmeans::run(a),
        Command::Silhouette(a) => commands::silhouette::run(a),
        Command::Train(a) => {
            // Flags of the other model are only detectable on the matches (each has a
            // default), so the check runs here, before the command.
            let checked = match (
                definition.find_subcommand("train"),
                matches.subcommand_matches("train"),
            ) {
                (Some(cmd), Some(m)) => commands::train::check_model_flags(cmd, m, &a),
                // Unreachable: the parsed subcommand is `train`.
                _ => Ok(()),
            };
            checked.and_then(|()| commands::train::run(a))
        }
        Command::Predict(a) => commands::predict::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Bands(a) => commands::business::run_bands(a),
        Command::Gains(a) => commands::business::run_gains(a),
        Command::Tiers(a) => commands::business::run_tiers(a),
        Command::Offers(a) => commands::business::run_offers(a),
        Command::Campaign(a) => commands::business::run_campaign(a),
        Command::Profile(a) => commands::business::run_profile(a),
        Command::Study(a) => commands::study::run(a),
    };
    let result = result.map_err(|e| as_flag(e, &definition, &matches));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our stdout went away (`cartera gains … | head -1`): as for the
        // `println!` panic above, exit as SIGPIPE would, quietly.
        Err(e) if closed_pipe(&e) => ExitCode::from(141),
        Err(e) => {
            eprintln!("error: {}", shorten(e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Most characters of an error line. A message that quotes a huge value (a 200 KB cell, the
/// one line of a model file read as LightGBM text) keeps its start and its end.
const MAX_ERROR_CHARS: usize = 1_000;

/// `text` cut in the middle when longer than [`MAX_ERROR_CHARS`], saying how much was cut.
fn shorten(text: String) -> String {
    let n = text.chars().count();
    if n <= MAX_ERROR_CHARS {
        return text;
    }
    let (head, tail) = (700, 200);
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(n - tail).collect();
    format!("{start} … [{} characters cut] … {end}", n - head - tail)
}

/// Library parameters whose command-line flag is not the name with dashes.
const FLAG_OF: &[(&str, &str)] = &[
    ("bin_construct_sample_cnt", "--bin-sample-rows"),
    ("column type", "--type"),
    ("commission_per_sale", "--commissions"),
    ("cut points", "--cuts"),
    ("early_stopping_rounds", "--early-stopping"),
    ("n_components", "--pca"),
    ("num_grad_quant_bins", "--grad-quant-bins"),
    ("n_samples", "--rows"),
    ("margin", "--margins"),
    ("reward", "--rewards"),
    ("save_rate", "--save-rates"),
];

/// An `InvalidParameter` raised by a library crate names its parameter (`num_leaves`); on the
/// command line the user typed a flag (`--num-leaves`): the error names the flag when the
/// subcommand has one for it.
fn as_flag(
    e: cartera_core::Error,
    definition: &clap::Command,
    matches: &clap::ArgMatches,
) -> cartera_core::Error {
    let cartera_core::Error::InvalidParameter {
        name,
        value,
        reason,
    } = e
    else {
        return e;
    };
    let flag = FLAG_OF
        .iter()
        .find(|(param, _)| *param == name)
        .map_or_else(
            || format!("--{}", name.replace('_', "-")),
            |(_, f)| f.to_string(),
        );
    let has_flag = matches
        .subcommand_name()
        .and_then(|sub| definition.find_subcommand(sub))
        .is_some_and(|cmd| {
            cmd.get_arguments().any(|a| {
                a.get_long()
                    .is_some_and(|l| flag.strip_prefix("--") == Some(l))
            })
        });
    let name = if !name.starts_with('-') && has_flag {
        flag
    } else {
        name
    };
    cartera_core::Error::InvalidParameter {
        name,
        value,
        reason,
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn closed_pipe(e: &cartera_core::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        source = s.source();
    }
    false
}
