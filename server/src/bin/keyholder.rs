//! `cipherpool-keyholder`: the decryption authority as its own process.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use cipherpool_server::keyholder::api::Keyholder;
use cipherpool_server::keyholder::config::KeyholderSettings;
use cipherpool_server::telemetry;

/// Cipherpool keyholder: generates campaign keys and keeps client keys.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file; CIPHERPOOL_KEYHOLDER_* variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings =
        KeyholderSettings::load(cli.config.as_deref()).context("loading configuration")?;
    telemetry::init("pretty");
    actix_web::rt::System::new().block_on(async move {
        let kh = Keyholder::build(&settings)?;
        tracing::info!(port = kh.port(), dir = %settings.data_dir.display(), "keyholder listening");
        kh.run_until_stopped().await?;
        Ok(())
    })
}
