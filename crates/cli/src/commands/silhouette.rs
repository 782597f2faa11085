//! `cartera silhouette`: cluster-quality scores of a labelled CSV.

use cartera_core::{Error, Result};

/// Flags of `cartera silhouette`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run the command.
pub fn run(_args: Args) -> Result<()> {
    Err(Error::invalid_param(
        "command",
        "silhouette",
        "not built yet",
    ))
}
