//! The keyholder: the decryption authority, a separate process with its own
//! storage (a directory, never the server's database) and its own crate, so
//! that the server never links key generation or decryption code.
//!
//! When the server reports a campaign approved, the keyholder checks the
//! campaign's release terms, generates its TFHE keys, keeps the client key
//! encrypted at rest, and hands out only the public key, the zk-pok CRS and
//! the server (evaluation) key. It has no endpoint that returns a client key
//! or decrypts a single record; it releases only job aggregates that pass its
//! policy ([`release`]), with differential-privacy noise ([`noise`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod error;
pub mod noise;
pub mod release;
pub mod store;
pub mod terms;
pub mod verify;

pub use api::Keyholder;
pub use config::KeyholderSettings;

/// Installs the log subscriber (`RUST_LOG` filters; default `info`), once.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The keyholder binaries' command line.
#[derive(clap::Parser)]
#[command(
    version,
    about = "Cipherpool keyholder: generates campaign keys and releases verified, noised aggregates."
)]
struct Cli {
    /// TOML configuration file; CIPHERPOOL_KEYHOLDER_* variables override it.
    #[arg(long)]
    config: Option<std::path::PathBuf>,
}

/// The body of the keyholder binaries: command line, configuration,
/// logging, then serve the keyholder that `build` makes.
pub fn serve(build: fn(&KeyholderSettings) -> anyhow::Result<Keyholder>) -> anyhow::Result<()> {
    use anyhow::Context;
    use clap::Parser;
    let cli = Cli::parse();
    let settings =
        KeyholderSettings::load(cli.config.as_deref()).context("loading configuration")?;
    init_logging();
    actix_web::rt::System::new().block_on(async move {
        let kh = build(&settings)?;
        tracing::info!(port = kh.port(), dir = %settings.data_dir.display(), "keyholder listening");
        kh.run_until_stopped().await?;
        Ok(())
    })
}
