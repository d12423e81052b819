//! The keyholder: the decryption authority, a separate process with its own
//! storage (a directory, never the server's database) and its own crate, so
//! that the server never links key generation or decryption code.
//!
//! Each keyholder holds one share of a dealt key set ([`deal`]; n-of-n
//! threshold decryption, `fhe_compute::threshold`), sealed at rest. When
//! the server reports a campaign approved, the keyholder checks the
//! campaign's release terms and registers the campaign under its key set
//! (the first keyholder generates the campaign's zk-pok CRS, the others
//! adopt it), handing out only public material. It has no endpoint that
//! returns key material or decrypts a single record; for a release it
//! verifies the job itself ([`verify`]), adds its own differential-privacy
//! noise under encryption ([`noise`]) and answers only a partial decryption
//! of the noised, verified aggregate ([`release`]): no keyholder alone can
//! decrypt anything.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod deal;
pub mod error;
pub mod noise;
pub mod registry;
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
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// The one-shot dealer: generate a key set, write one bundle per
    /// keyholder into OUT (public/ and party-<i>/), and exit.
    Deal {
        /// How many keyholders share the key set (all are needed to decrypt).
        #[arg(long)]
        parties: u32,
        /// Output directory (must be new or empty).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

/// The body of the keyholder binaries: command line, configuration,
/// logging, then serve the keyholder that `build` makes.
pub fn serve(build: fn(&KeyholderSettings) -> anyhow::Result<Keyholder>) -> anyhow::Result<()> {
    use anyhow::Context;
    use clap::Parser;
    let cli = Cli::parse();
    if let Some(Command::Deal { parties, out }) = cli.command {
        init_logging();
        let key_id = deal::deal_bundles(parties, &out)?;
        println!("{key_id}");
        return Ok(());
    }
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
