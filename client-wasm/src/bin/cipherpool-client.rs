//! `cipherpool-client`: the native contributor client, for people without a
//! browser and for tests.
//!
//! ```text
//! cipherpool-client identity --out secret.hex
//! cipherpool-client register   --server URL --token TOKEN --secret secret.hex
//! cipherpool-client contribute --server URL --token TOKEN --secret secret.hex --campaign ID --record '{"age": 40}' \
//!     --keyholder-keys HEX,HEX
//! cipherpool-client verify-report --results results.json --keyholder-keys HEX,HEX
//! ```
//! The session token (from `POST /api/auth/login`) is used only to register
//! the commitment and read one's own Merkle path and wallet; the submission
//! itself carries no session. `--keyholder-keys` (or
//! `CIPHERPOOL_KEYHOLDER_KEYS`) pins the keyholders' Ed25519 public keys:
//! material they did not all sign is refused, and a report's values are
//! accepted only if every pinned keyholder signed its share of them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use cipherpool_client_wasm::{prepare_contribution, Stage};
use clap::{Parser, Subcommand};
use fhe_compute::keys::PublicMaterial;
use fhe_compute::threshold::proof::ReleaseProof;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret, ProvingKey};
use protocol::signing::{parse_keys, VerifyingKey};
use protocol::wire::{IdentityView, Material, Receipt};

#[derive(Parser)]
#[command(version, about = "Cipherpool contributor client")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new identity secret (kept on this device) and print its commitment.
    Identity {
        /// Where to write the secret (hex, mode 0600). Refuses to overwrite.
        #[arg(long)]
        out: PathBuf,
    },
    /// Register the identity commitment with the server.
    Register {
        #[arg(long)]
        server: String,
        /// Session token of the contributor account.
        #[arg(long, env = "CIPHERPOOL_TOKEN")]
        token: String,
        #[arg(long)]
        secret: PathBuf,
    },
    /// Encrypt, prove and submit one record to a campaign.
    Contribute {
        #[arg(long)]
        server: String,
        /// Session token of the contributor account.
        #[arg(long, env = "CIPHERPOOL_TOKEN")]
        token: String,
        #[arg(long)]
        secret: PathBuf,
        #[arg(long)]
        campaign: i64,
        /// The record, a JSON object of field name to value.
        #[arg(long)]
        record: String,
        /// Ledger account paid the reward (default: your wallet).
        #[arg(long)]
        payout: Option<i64>,
        /// Only print the submission JSON instead of sending it.
        #[arg(long)]
        dry_run: bool,
        /// The keyholders' Ed25519 public keys (hex, comma separated), obtained
        /// from the keyholders' operators, not from the server.
        #[arg(long, env = "CIPHERPOOL_KEYHOLDER_KEYS")]
        keyholder_keys: String,
    },
    /// Check a report's results (the JSON of `GET /api/reports/{id}/results`):
    /// every pinned keyholder signed its partial decryption, and those
    /// partials combine to exactly the values reported.
    VerifyReport {
        /// The results JSON file (`-` for standard input).
        #[arg(long)]
        results: PathBuf,
        /// The keyholders' Ed25519 public keys (hex, comma separated).
        #[arg(long, env = "CIPHERPOOL_KEYHOLDER_KEYS")]
        keyholder_keys: String,
    },
}

/// A reported value: a JSON number, or a string beyond ±2⁵³.
fn reported_value(v: &serde_json::Value) -> anyhow::Result<i128> {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .context("a value is not an integer"),
        serde_json::Value::String(s) => s.parse().context("a value is not an integer"),
        _ => bail!("a value is neither a number nor a string"),
    }
}

/// Checks `results` against its keyholders' signed shares; the number of
/// values verified.
fn verify_report(results: &serde_json::Value, pinned: &[VerifyingKey]) -> anyhow::Result<usize> {
    let proof: ReleaseProof = serde_json::from_value(
        results
            .get("proof")
            .cloned()
            .context("the results carry no keyholder signatures (no \"proof\")")?,
    )
    .context("the results' proof is malformed")?;
    let h = &proof.header;
    if results["report_id"].as_u64() != Some(h.job_id)
        || results["campaign_id"].as_u64() != Some(h.campaign_id)
        || results["count"].as_u64() != Some(h.records)
        || results["epsilon"].as_f64() != Some(protocol::epsilon::epsilon_f64(h.epsilon_micro))
    {
        bail!("the report's id, campaign, count or ε are not the ones the keyholders signed");
    }
    let verified = proof.verify(pinned)?;
    let reported = results["values"]
        .as_array()
        .context("the results have no values")?;
    if reported.len() != verified.len() {
        bail!(
            "the report lists {} values; the keyholders released {}",
            reported.len(),
            verified.len()
        );
    }
    for (r, v) in reported.iter().zip(&verified) {
        if r["key"].as_str() != Some(v.key.as_str()) || reported_value(&r["value"])? != v.value {
            bail!(
                "{}: the report says {}, the keyholders' signed shares give {}",
                v.key,
                r["value"],
                v.value
            );
        }
    }
    Ok(verified.len())
}

fn read_secret(path: &PathBuf) -> anyhow::Result<IdentitySecret> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes = hex::decode(text.trim()).context("the secret file must hold 64 hex characters")?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .context("the secret must be 32 bytes")?;
    Ok(IdentitySecret::from_bytes(arr))
}

async fn check(resp: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    if resp.status().is_success() {
        return Ok(resp);
    }
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    bail!("server answered {status}: {body}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let http = reqwest::Client::new();
    match cli.command {
        Command::Identity { out } => {
            if out.exists() {
                bail!(
                    "{} exists; refusing to overwrite an identity secret",
                    out.display()
                );
            }
            let secret = IdentitySecret::random(&mut rand::rngs::OsRng);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            use std::io::Write;
            opts.open(&out)?
                .write_all(hex::encode(secret.to_bytes()).as_bytes())?;
            println!(
                "{}",
                hex::encode(fr_to_bytes(&attestation::commitment(&secret)))
            );
        }
        Command::Register {
            server,
            token,
            secret,
        } => {
            let secret = read_secret(&secret)?;
            let commitment = hex::encode(fr_to_bytes(&attestation::commitment(&secret)));
            let resp = http
                .post(format!("{server}/api/registry/identities"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "commitment": commitment }))
                .send()
                .await?;
            let view: IdentityView = check(resp).await?.json().await?;
            println!("{}", serde_json::to_string_pretty(&view)?);
        }
        Command::Contribute {
            server,
            token,
            secret,
            campaign,
            record,
            payout,
            dry_run,
            keyholder_keys,
        } => {
            let pinned = parse_keys(&keyholder_keys)?;
            let secret = read_secret(&secret)?;
            let record: serde_json::Value =
                serde_json::from_str(&record).context("--record must be JSON")?;
            let material: Material = check(
                http.get(format!("{server}/api/campaigns/{campaign}/material"))
                    .send()
                    .await?,
            )
            .await?
            .json()
            .await?;
            let get_bytes = |path: &str| {
                let request = http.get(format!("{server}{path}"));
                async move { anyhow::Ok(check(request.send().await?).await?.bytes().await?) }
            };
            let proving_key = ProvingKey::from_bytes(&get_bytes(&material.proving_key_url).await?)?;
            // The public key and CRS, served apart (immutable) and checked
            // against the hashes the keyholders signed before any use.
            let public = PublicMaterial {
                public_key: get_bytes(&material.public_key_url).await?.to_vec(),
                crs: get_bytes(&material.crs_url).await?.to_vec(),
            };
            let identity: IdentityView = check(
                http.get(format!("{server}/api/registry/me"))
                    .bearer_auth(&token)
                    .send()
                    .await?,
            )
            .await?
            .json()
            .await?;
            let payout = match payout {
                Some(p) => p,
                None => {
                    let w: serde_json::Value = check(
                        http.get(format!("{server}/api/wallet?limit=1"))
                            .bearer_auth(&token)
                            .send()
                            .await?,
                    )
                    .await?
                    .json()
                    .await?;
                    w["account_id"]
                        .as_i64()
                        .context("wallet has no account id")?
                }
            };
            let started = Instant::now();
            let submission = tokio::task::spawn_blocking(move || {
                prepare_contribution(
                    &material,
                    &public,
                    &proving_key,
                    &secret,
                    &identity,
                    &record,
                    payout as u64,
                    &pinned,
                    &mut |s: Stage| {
                        eprintln!(
                            "[{:>3}%] {} ({:.1}s)",
                            s.percent(),
                            s.name(),
                            started.elapsed().as_secs_f64()
                        );
                    },
                )
            })
            .await??;
            if dry_run {
                println!("{}", serde_json::to_string(&submission)?);
                return Ok(());
            }
            let resp = http
                .post(format!("{server}/api/campaigns/{campaign}/contributions"))
                .json(&submission)
                .send()
                .await?;
            let receipt: Receipt = check(resp).await?.json().await?;
            println!("{}", serde_json::to_string_pretty(&receipt)?);
        }
        Command::VerifyReport {
            results,
            keyholder_keys,
        } => {
            let pinned = parse_keys(&keyholder_keys)?;
            let text = if results.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&results)
                    .with_context(|| format!("reading {}", results.display()))?
            };
            let json: serde_json::Value =
                serde_json::from_str(&text).context("the results are not JSON")?;
            let n = verify_report(&json, &pinned)?;
            println!(
                "verified: {n} values, each keyholder's signed share recombined ({} keyholders)",
                pinned.len()
            );
        }
    }
    Ok(())
}
