//! `cipherpool-keyholder`: the decryption authority as its own process.
//! Every release it makes carries differential-privacy noise; there is no
//! setting that turns it off.

use std::path::PathBuf;

use clap::Parser;

/// Cipherpool keyholder: generates campaign keys and releases noised aggregates.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file; CIPHERPOOL_KEYHOLDER_* variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if std::env::var_os("CIPHERPOOL_KEYHOLDER_TEST_ONLY_DISABLE_NOISE").is_some() {
        anyhow::bail!(
            "CIPHERPOOL_KEYHOLDER_TEST_ONLY_DISABLE_NOISE is set, but this keyholder always adds \
             noise; releases without noise exist only in the test build \
             (cipherpool-keyholder-test-only-no-noise)"
        );
    }
    cipherpool_keyholder::serve(
        cli.config.as_deref(),
        cipherpool_keyholder::Keyholder::build,
    )
}
