//! The business tables of cartera-scoring as commands: `bands`, `gains`, `tiers`, `offers`,
//! `campaign`, `profile`.

use cartera_core::{Error, Result};

/// Flags of `cartera bands`.
#[derive(Debug, clap::Args)]
pub struct BandsArgs {}

/// Run `cartera bands`.
pub fn run_bands(_args: BandsArgs) -> Result<()> {
    Err(Error::invalid_param("command", "bands", "not built yet"))
}

/// Flags of `cartera gains`.
#[derive(Debug, clap::Args)]
pub struct GainsArgs {}

/// Run `cartera gains`.
pub fn run_gains(_args: GainsArgs) -> Result<()> {
    Err(Error::invalid_param("command", "gains", "not built yet"))
}

/// Flags of `cartera tiers`.
#[derive(Debug, clap::Args)]
pub struct TiersArgs {}

/// Run `cartera tiers`.
pub fn run_tiers(_args: TiersArgs) -> Result<()> {
    Err(Error::invalid_param("command", "tiers", "not built yet"))
}

/// Flags of `cartera offers`.
#[derive(Debug, clap::Args)]
pub struct OffersArgs {}

/// Run `cartera offers`.
pub fn run_offers(_args: OffersArgs) -> Result<()> {
    Err(Error::invalid_param("command", "offers", "not built yet"))
}

/// Flags of `cartera campaign`.
#[derive(Debug, clap::Args)]
pub struct CampaignArgs {}

/// Run `cartera campaign`.
pub fn run_campaign(_args: CampaignArgs) -> Result<()> {
    Err(Error::invalid_param("command", "campaign", "not built yet"))
}

/// Flags of `cartera profile`.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {}

/// Run `cartera profile`.
pub fn run_profile(_args: ProfileArgs) -> Result<()> {
    Err(Error::invalid_param("command", "profile", "not built yet"))
}
