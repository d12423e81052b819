//! `cipherpool-client`: the native contributor client, for people without a
//! browser and for tests.
//!
//! ```text
//! cipherpool-client identity --out secret.hex
//! cipherpool-client register   --server URL --token TOKEN --secret secret.hex
//! cipherpool-client contribute --server URL --token TOKEN --secret secret.hex --campaign ID --record '{"age": 40}' \
//!     --keyholder-keys HEX,HEX
//! cipherpool-client notes      --secret secret.hex [--recover --server URL]
//! cipherpool-client claim      --server URL --token TOKEN --secret secret.hex [--max 4] [--delay-secs 3600]
//! cipherpool-client verify-report --results results.json --keyholder-keys HEX,HEX
//! ```
//! The session token (from `POST /api/auth/login`) is used only to register
//! the commitment and read one's own Merkle path and wallet; the submission
//! itself carries no session and no account: its reward goes into a note
//! that only this identity can claim. Notes are kept in `<secret>.notes.json`
//! (rebuilt from the identity secret alone with `notes --recover`); `claim`
//! spends up to four at once into the wallet, after a random delay if asked,
//! so that neither which campaigns paid them nor when shows in the claim. `--keyholder-keys` (or
//! `CIPHERPOOL_KEYHOLDER_KEYS`) pins the keyholders' Ed25519 public keys:
//! material they did not all sign is refused, and a report's values are
//! accepted only if every pinned keyholder signed its share of them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use cipherpool_client_wasm::notes::{self, HeldNote, NotesTree};
use cipherpool_client_wasm::{prepare_contribution, PinnedClaimKey, PinnedProvingKey, Stage};
use clap::{Parser, Subcommand};
use fhe_compute::keys::PublicMaterial;
use fhe_compute::threshold::proof::ReleaseProof;
use protocol::attestation::{self, fr_to_bytes, IdentitySecret};
use protocol::signing::{parse_keys, VerifyingKey};
use protocol::wire::{
    CircuitKeys, ClaimReceipt, IdentityView, Material, NoteCampaign, NotesPage, Receipt,
};

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
        /// Only print the submission JSON instead of sending it.
        #[arg(long)]
        dry_run: bool,
        /// The keyholders' Ed25519 public keys (hex, comma separated), obtained
        /// from the keyholders' operators, not from the server.
        #[arg(long, env = "CIPHERPOOL_KEYHOLDER_KEYS")]
        keyholder_keys: String,
    },
    /// List the reward notes kept beside the secret; with `--recover`, find
    /// them again in the server's notes tree from the secret alone.
    Notes {
        #[arg(long)]
        secret: PathBuf,
        /// Rebuild the notes file from the notes tree and the campaigns' rewards.
        #[arg(long, requires = "server")]
        recover: bool,
        #[arg(long)]
        server: Option<String>,
    },
    /// Claim unclaimed reward notes into a wallet with one proof.
    Claim {
        #[arg(long)]
        server: String,
        /// Session token, only to look up your wallet's account id when
        /// `--to` is not given (the claim itself carries no session).
        #[arg(long, env = "CIPHERPOOL_TOKEN")]
        token: Option<String>,
        #[arg(long)]
        secret: PathBuf,
        /// The wallet account to pay (default: your wallet).
        #[arg(long)]
        to: Option<i64>,
        /// Spend at most this many notes (1 to 4) in this claim.
        #[arg(long, default_value_t = 4)]
        max: usize,
        /// Wait a random time up to this many seconds before sending, so the
        /// claim's time says less about the contributions it pays.
        #[arg(long, default_value_t = 0)]
        delay_secs: u64,
        /// The keyholders' Ed25519 public keys (hex, comma separated): the
        /// claim is proved only with a proving key they all signed.
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
    // The privacy the report claims is the one signed: its mechanism (a
    // test-only noiseless release says `disabled`), δ and ρ.
    let noise = results["noise"].as_str().unwrap_or_default();
    let mechanism = protocol::report::mechanism::Mechanism::from_name(noise);
    if (noise != "disabled" && mechanism != Some(h.mechanism))
        || results["delta"].as_f64().unwrap_or(0.0) != h.delta
        || results["rho"].as_f64().unwrap_or(0.0) != h.rho
    {
        bail!("the report's noise mechanism, δ or ρ are not the ones the keyholders signed");
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

/// Where the notes of the identity in `secret` are kept.
fn notes_file(secret: &std::path::Path) -> PathBuf {
    let mut name = secret.as_os_str().to_owned();
    name.push(".notes.json");
    PathBuf::from(name)
}

fn read_notes(path: &std::path::Path) -> anyhow::Result<Vec<HeldNote>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a notes file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the notes file whole (a temporary file renamed over it, mode 0600).
fn write_notes(path: &std::path::Path, held: &[HeldNote]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut file = opts.open(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(held)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Downloads every leaf of the notes tree, page by page, up to the root the
/// last page names.
async fn download_notes(http: &reqwest::Client, server: &str) -> anyhow::Result<NotesTree> {
    let mut tree = NotesTree::new();
    loop {
        let page: NotesPage = check(
            http.get(format!("{server}/api/notes?from={}", tree.len()))
                .send()
                .await?,
        )
        .await?
        .json()
        .await?;
        if tree.add_page(&page)? {
            return Ok(tree);
        }
        if page.commitments.is_empty() {
            bail!("the notes tree stopped before its root");
        }
    }
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
            dry_run,
            keyholder_keys,
        } => {
            let pinned = parse_keys(&keyholder_keys)?;
            let secret_path = secret;
            let secret = read_secret(&secret_path)?;
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
            // The proving key, only as every pinned keyholder signed it.
            let circuit_keys: CircuitKeys = check(
                http.get(format!("{server}{}", material.circuit_keys_url))
                    .send()
                    .await?,
            )
            .await?
            .json()
            .await?;
            let proving_key = PinnedProvingKey::load(
                &circuit_keys,
                &get_bytes(&circuit_keys.proving_key_url).await?,
                &pinned,
            )
            .context("the attestation proving key")?;
            // The public key and CRS, served apart (immutable) and checked
            // against the hashes the keyholders signed before any use.
            let public = PublicMaterial {
                public_key: get_bytes(&material.public_key_url).await?.to_vec(),
                crs: get_bytes(&material.crs_url).await?.to_vec(),
            };
            // The leaf of the tier the campaign admits (a verified campaign
            // needs the account to be verified by an admin).
            let identity: IdentityView = check(
                http.get(format!(
                    "{server}/api/registry/me?tier={}",
                    material.eligibility.as_str()
                ))
                .bearer_auth(&token)
                .send()
                .await?,
            )
            .await?
            .json()
            .await?;
            let started = Instant::now();
            let notes_path = notes_file(&secret_path);
            let keep = IdentitySecret::from_bytes(secret.to_bytes());
            let submission = tokio::task::spawn_blocking(move || {
                prepare_contribution(
                    &material,
                    &public,
                    &proving_key,
                    &secret,
                    &identity,
                    &record,
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
            let note = notes::note_from_receipt(&keep, &receipt)?;
            let mut held = read_notes(&notes_path)?;
            held.retain(|n| n.index != note.index);
            held.push(note);
            write_notes(&notes_path, &held)?;
            println!("{}", serde_json::to_string_pretty(&receipt)?);
        }
        Command::Notes {
            secret: secret_path,
            recover,
            server,
        } => {
            let path = notes_file(&secret_path);
            if recover {
                let server = server.context("--recover needs --server")?;
                let secret = read_secret(&secret_path)?;
                // Every campaign that ever paid a note, with its reward.
                let rewards: Vec<NoteCampaign> = check(
                    http.get(format!("{server}/api/notes/campaigns"))
                        .send()
                        .await?,
                )
                .await?
                .json()
                .await?;
                let rewards: Vec<(u64, u64)> = rewards
                    .iter()
                    .filter_map(|c| {
                        Some((
                            u64::try_from(c.campaign_id).ok()?,
                            u64::try_from(c.reward).ok()?,
                        ))
                    })
                    .collect();
                let tree = download_notes(&http, &server).await?;
                let old = read_notes(&path)?;
                let found = notes::find_notes(&secret, &rewards, &tree)
                    .into_iter()
                    .map(|n| HeldNote {
                        claimed: old.iter().any(|o| o.index == n.index && o.claimed),
                        ..n
                    })
                    .collect::<Vec<_>>();
                write_notes(&path, &found)?;
            }
            let held = read_notes(&path)?;
            let unclaimed: u64 = held.iter().filter(|n| !n.claimed).map(|n| n.amount).sum();
            println!("{}", serde_json::to_string_pretty(&held)?);
            eprintln!("unclaimed rewards: {unclaimed}");
        }
        Command::Claim {
            server,
            token,
            secret: secret_path,
            to,
            max,
            delay_secs,
            keyholder_keys,
        } => {
            let pinned = parse_keys(&keyholder_keys)?;
            if !(1..=attestation::CLAIM_ARITY).contains(&max) {
                bail!("--max must be 1 to {}", attestation::CLAIM_ARITY);
            }
            let secret = read_secret(&secret_path)?;
            let path = notes_file(&secret_path);
            let mut held = read_notes(&path)?;
            let chosen: Vec<HeldNote> = held
                .iter()
                .filter(|n| !n.claimed)
                .take(max)
                .cloned()
                .collect();
            if chosen.is_empty() {
                bail!("no unclaimed notes in {}", path.display());
            }
            let destination = match to {
                Some(to) => to,
                None => {
                    let token = token.context("--to or a session --token is needed")?;
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
            let destination = u64::try_from(destination).context("--to must be an account id")?;
            if delay_secs > 0 {
                use rand::Rng;
                let wait = rand::rngs::OsRng.gen_range(0..=delay_secs);
                eprintln!("waiting {wait} s before claiming");
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            }
            // The claim key, only as every pinned keyholder signed it.
            let circuit_keys: CircuitKeys = check(
                http.get(format!("{server}/api/attestation/keys"))
                    .send()
                    .await?,
            )
            .await?
            .json()
            .await?;
            let pk = PinnedClaimKey::load(
                &circuit_keys,
                &check(
                    http.get(format!("{server}{}", circuit_keys.claim_proving_key_url))
                        .send()
                        .await?,
                )
                .await?
                .bytes()
                .await?,
                &pinned,
            )
            .context("the claim proving key")?;
            let tree = download_notes(&http, &server).await?;
            let started = Instant::now();
            let picked = chosen.clone();
            let request = tokio::task::spawn_blocking(move || {
                notes::prepare_claim(&pk, &secret, &picked, &tree, destination)
            })
            .await??;
            eprintln!("claim proved in {:.1}s", started.elapsed().as_secs_f64());
            let resp = http
                .post(format!("{server}/api/claims"))
                .json(&request)
                .send()
                .await?;
            let receipt: ClaimReceipt = check(resp).await?.json().await?;
            for n in held.iter_mut() {
                if chosen.iter().any(|c| c.index == n.index) {
                    n.claimed = true;
                }
            }
            write_notes(&path, &held)?;
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
