//! TEST-ONLY keyholder whose releases carry NO differential-privacy noise,
//! so end-to-end tests can compare released values with plaintext. Built
//! only with the `test-only-no-noise` feature (the test crate enables it);
//! never deploy it.

use std::path::PathBuf;

use clap::Parser;

/// TEST-ONLY Cipherpool keyholder: releases exact values (no noise).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file; CIPHERPOOL_KEYHOLDER_* variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cipherpool_keyholder::serve(
        cli.config.as_deref(),
        cipherpool_keyholder::Keyholder::build_without_noise,
    )
}
