//! Accepting a contribution: every check runs before anything is written,
//! cheapest first (size, campaign open, Groth16 attestation, root,
//! nullifier, duplicate ciphertext, payout account, escrow, then the
//! ciphertext's conformance and zk-pok); then one transaction stores the
//! ciphertext, records the nullifier and pays the reward.

use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use fhe_compute::keys::{proof_metadata, PublicMaterial};
use fhe_compute::ContributionError;
use protocol::attestation::{self, fr_from_bytes, Fr, PUBLIC_INPUTS};
use protocol::record::layout;
use protocol::{CampaignSchema, TokenAmount};

use actix_web::web;

use crate::attestation::AttestationKeys;
use crate::campaigns::Status;
use crate::db::{self, PgPool};
use crate::http::error::ApiError;
use crate::schema::{accounts, campaign_keys, campaigns, contributions, users};
use crate::state::{AppState, CampaignCrypto};
use crate::store::ledger;

pub use protocol::wire::{AttestationWire, Receipt, Submission};

fn refuse(status: u16, code: &'static str, msg: impl Into<String>) -> ApiError {
    // Unwrap safety: callers pass valid 4xx constants.
    ApiError::new(
        actix_web::http::StatusCode::from_u16(status).expect("status"),
        code,
        msg,
    )
}

impl From<ContributionError> for ApiError {
    fn from(e: ContributionError) -> Self {
        match e {
            ContributionError::TooLarge { .. } => {
                refuse(413, "ciphertext_too_large", e.to_string())
            }
            ContributionError::Malformed(_) => refuse(422, "ciphertext_malformed", e.to_string()),
            ContributionError::LayoutMismatch(_) => {
                refuse(422, "ciphertext_layout_mismatch", e.to_string())
            }
            ContributionError::ProofInvalid => refuse(422, "zk_proof_invalid", e.to_string()),
        }
    }
}

/// Loads (or takes from the cache) the parsed key material of an open campaign.
fn campaign_crypto(
    state: &AppState,
    conn: &mut PgConnection,
    id: i64,
) -> Result<(Arc<CampaignCrypto>, i64, u64), ApiError> {
    let row: Option<(String, i64, i64, i32, serde_json::Value)> = campaigns::table
        .find(id)
        .select((
            campaigns::status,
            campaigns::reward,
            campaigns::budget,
            campaigns::schema_version,
            campaigns::schema,
        ))
        .first(conn)
        .optional()?;
    let (status, reward, budget, schema_version, schema) =
        row.ok_or_else(|| ApiError::not_found(format!("campaign {id} does not exist")))?;
    let max = crate::campaigns::max_contributions(budget, reward);
    if status != Status::Open.as_str() {
        return Err(refuse(
            409,
            "campaign_not_open",
            format!("campaign {id} is {status}, not open"),
        ));
    }
    if let Some(c) = state.campaign_crypto.get(id) {
        return Ok((c, reward, max));
    }
    let (public_key, crs): (Vec<u8>, Vec<u8>) = campaign_keys::table
        .find(id)
        .select((campaign_keys::public_key, campaign_keys::crs))
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::internal(format!("open campaign {id} has no keys")))?;
    let material = PublicMaterial { public_key, crs };
    let schema = CampaignSchema::parse(serde_json::from_value(schema).map_err(ApiError::internal)?)
        .map_err(ApiError::internal)?;
    let crypto = Arc::new(CampaignCrypto {
        public_key: material.public_key().map_err(ApiError::internal)?,
        crs: material.crs().map_err(ApiError::internal)?,
        metadata: proof_metadata(
            id as u64,
            schema_version as u32,
            &material.key_fingerprint(),
        ),
        layout: layout(&schema),
    });
    state.campaign_crypto.insert(id, crypto.clone());
    Ok((crypto, reward, max))
}

fn parse_inputs(wire: &[String]) -> Result<Vec<Fr>, ApiError> {
    if wire.len() != PUBLIC_INPUTS {
        return Err(refuse(
            422,
            "attestation_public_inputs",
            format!(
                "the attestation needs exactly {PUBLIC_INPUTS} public inputs, got {}",
                wire.len()
            ),
        ));
    }
    wire.iter()
        .map(|h| {
            let bytes = hex::decode(h)
                .map_err(|_| refuse(422, "attestation_malformed", "public inputs are hex"))?;
            fr_from_bytes(&bytes)
                .map_err(|e| refuse(422, "attestation_malformed", format!("public input: {e}")))
        })
        .collect()
}

/// Counts a refused submission of an existing campaign, by reason and hour
/// (quality signals; nothing of the submission is kept). One upsert: the
/// table holds a row per campaign, reason and hour, however many refusals.
pub fn record_rejection(conn: &mut PgConnection, campaign_id: i64, reason: &str) {
    let r = diesel::sql_query(
        "INSERT INTO rejection_counts (campaign_id, reason, hour, count) \
         SELECT id, $2, date_trunc('hour', now()), 1 FROM campaigns WHERE id = $1 \
         ON CONFLICT (campaign_id, reason, hour) \
         DO UPDATE SET count = rejection_counts.count + 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(campaign_id)
    .bind::<diesel::sql_types::Text, _>(reason)
    .execute(conn);
    if let Err(e) = r {
        tracing::warn!("could not record a rejection: {e}");
    }
}

/// What the cheap checks established about a submission.
struct Attested {
    ciphertext: Vec<u8>,
    digest: [u8; 32],
    root: Vec<u8>,
    nullifier: Vec<u8>,
    proof: Vec<u8>,
}

/// CPU only, no connection: size, digest, and the Groth16 attestation
/// (exact public inputs, this campaign, bound to these bytes and this
/// payout account).
fn attest(
    keys: &AttestationKeys,
    crypto: &CampaignCrypto,
    campaign_id: i64,
    sub: &Submission,
) -> Result<Attested, ApiError> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    let ciphertext = STANDARD
        .decode(&sub.ciphertext)
        .map_err(|_| refuse(422, "ciphertext_malformed", "ciphertext must be base64"))?;
    let max = fhe_compute::contribution::max_list_bytes(crypto.layout.len());
    if ciphertext.len() > max {
        return Err(ContributionError::TooLarge {
            got: ciphertext.len(),
            max,
        }
        .into());
    }
    let digest: [u8; 32] = Sha256::digest(&ciphertext).into();
    let inputs = parse_inputs(&sub.attestation.public_inputs)?;
    let payout = u64::try_from(sub.payout_account).map_err(|_| {
        refuse(
            422,
            "invalid_payout_account",
            "payout_account must be a ledger account id",
        )
    })?;
    if inputs[2] != Fr::from(campaign_id as u64) {
        return Err(refuse(
            422,
            "attestation_wrong_campaign",
            "the attestation is for another campaign",
        ));
    }
    if inputs[3] != attestation::binding(&digest, payout) {
        return Err(refuse(
            422,
            "attestation_binding_mismatch",
            "the attestation is bound to other ciphertext bytes or another payout account",
        ));
    }
    let proof = STANDARD
        .decode(&sub.attestation.proof)
        .map_err(|_| refuse(422, "attestation_malformed", "proof must be base64"))?;
    attestation::verify_raw(&keys.verifying_key, &proof, &inputs).map_err(|e| match e {
        attestation::AttestationError::InvalidProof => refuse(
            422,
            "attestation_invalid",
            "the eligibility proof does not verify",
        ),
        other => refuse(422, "attestation_malformed", other.to_string()),
    })?;
    Ok(Attested {
        ciphertext,
        digest,
        root: attestation::fr_to_bytes(&inputs[0]).to_vec(),
        nullifier: attestation::fr_to_bytes(&inputs[1]).to_vec(),
        proof,
    })
}

/// Lookups after the attestation: the root among the recent roots (by age,
/// with a count cap) every keyholder computed (the keyholders refuse any other at release), the
/// nullifier unused and the ciphertext new for this campaign, the payout
/// account a wallet, the escrow able to pay. Answers the escrow account.
fn lookups(
    state: &AppState,
    conn: &mut PgConnection,
    campaign_id: i64,
    a: &Attested,
    payout_account: i64,
    reward: i64,
) -> Result<i64, ApiError> {
    let recent = crate::registry::recent_roots(conn, state.recent_roots, state.recent_root_secs)?;
    if !recent.contains(&a.root) {
        return Err(refuse(
            409,
            "stale_root",
            "the registry root is unknown, too old, or not yet confirmed by every keyholder; \
             fetch a fresh path and retry",
        ));
    }
    let used: i64 = contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .filter(contributions::nullifier.eq(&a.nullifier))
        .count()
        .get_result(conn)?;
    if used > 0 {
        return Err(nullifier_used());
    }
    let taken: i64 = contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .filter(contributions::digest.eq(a.digest.to_vec()))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(ciphertext_duplicate());
    }
    let wallet: Option<(String, Option<i64>)> = accounts::table
        .find(payout_account)
        .select((accounts::kind, accounts::user_id))
        .first(conn)
        .optional()?;
    let owner = match wallet {
        Some((kind, owner)) if kind == "wallet" => owner,
        _ => {
            return Err(refuse(
                422,
                "invalid_payout_account",
                "payout_account must be a wallet account",
            ))
        }
    };
    if let Some(owner) = owner {
        let suspended: Option<Option<chrono::DateTime<chrono::Utc>>> = users::table
            .find(owner)
            .select(users::suspended_at)
            .first(conn)
            .optional()?;
        if matches!(suspended, Some(Some(_))) {
            return Err(refuse(
                403,
                "payout_account_suspended",
                "the payout account belongs to a suspended account",
            ));
        }
    }
    let escrow = ledger::escrow_of(conn, campaign_id)?;
    if ledger::balance(conn, escrow)? < reward {
        return Err(escrow_empty());
    }
    Ok(escrow)
}

/// Runs every check, cheapest first, and, if all pass, the accepting
/// transaction: campaign open (cached key material) → Groth16 attestation
/// → root, nullifier and duplicate-ciphertext lookups → conformance and
/// zk-pok (the expensive check) → one transaction. No pooled connection is
/// held while a proof is verified: the database phases and the CPU phases
/// alternate.
pub async fn accept(
    state: web::Data<AppState>,
    pool: &PgPool,
    keys: Arc<AttestationKeys>,
    campaign_id: i64,
    sub: Submission,
) -> Result<Receipt, ApiError> {
    let started = std::time::Instant::now();
    let st = state.clone();
    let (crypto, reward, max_contributions) =
        db::with_conn(pool, move |conn| campaign_crypto(&st, conn, campaign_id)).await?;
    let t_campaign = started.elapsed();
    let payout_account = sub.payout_account;
    let (c, k) = (crypto.clone(), keys.clone());
    let attested = blocking(move || attest(&k, &c, campaign_id, &sub)).await?;
    let t_groth16 = started.elapsed();
    let st = state.clone();
    let a = Arc::new(attested);
    let a2 = a.clone();
    let escrow = db::with_conn(pool, move |conn| {
        lookups(&st, conn, campaign_id, &a2, payout_account, reward)
    })
    .await?;
    let t_lookups = started.elapsed();
    let a2 = a.clone();
    blocking(move || {
        fhe_compute::verify_contribution(
            &a2.ciphertext,
            &crypto.layout,
            &crypto.public_key,
            &crypto.crs,
            &crypto.metadata,
        )
        .map_err(ApiError::from)
    })
    .await?;
    let t_zk = started.elapsed();
    let amount = TokenAmount::parse(reward)?;
    let receipt = db::with_conn(pool, move |conn| {
        store(
            conn,
            campaign_id,
            &a,
            escrow,
            payout_account,
            amount,
            reward,
            max_contributions,
        )
    })
    .await?;
    tracing::debug!(
        campaign = ?t_campaign,
        groth16 = ?(t_groth16 - t_campaign),
        lookups = ?(t_lookups - t_groth16),
        zk = ?(t_zk - t_lookups),
        tx = ?(started.elapsed() - t_zk),
        "contribution accepted"
    );
    Ok(receipt)
}

/// Runs CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f).await.map_err(ApiError::internal)?
}

/// The accepting transaction: the campaign still open, the reward paid,
/// the contribution bound checked, the contribution stored with its
/// nullifier, root and proof. A concurrent duplicate (same nullifier or
/// same ciphertext) loses on the unique indexes and pays nothing.
#[allow(clippy::too_many_arguments)]
fn store(
    conn: &mut PgConnection,
    campaign_id: i64,
    a: &Attested,
    escrow: i64,
    payout_account: i64,
    amount: TokenAmount,
    reward: i64,
    max_contributions: u64,
) -> Result<Receipt, ApiError> {
    crate::db::run_tx_sync(conn, "accept_contribution", |c| {
        // The campaign row's lock orders concurrent acceptances (and
        // status changes, which lock it the same way) one at a time.
        let (status, accepted): (String, i64) = campaigns::table
            .find(campaign_id)
            .select((campaigns::status, campaigns::accepted))
            .for_update()
            .first(c)?;
        if status != Status::Open.as_str() {
            return Err(refuse(
                409,
                "campaign_not_open",
                "the campaign closed meanwhile",
            ));
        }
        let t = ledger::transfer(
            c,
            escrow,
            payout_account,
            amount,
            "contribution_reward",
            &format!("campaign {campaign_id}"),
        )
        .map_err(|e| match e {
            ledger::LedgerError::InsufficientFunds { .. } => escrow_empty(),
            other => other.into(),
        })?;
        // The statistics' overflow bound (counted under the row lock).
        if accepted as u64 >= max_contributions {
            return Err(refuse(
                409,
                "campaign_full",
                format!("the campaign accepts at most {max_contributions} contributions"),
            ));
        }
        let id: i64 = diesel::insert_into(contributions::table)
            .values((
                contributions::campaign_id.eq(campaign_id),
                contributions::ciphertext.eq(&a.ciphertext),
                contributions::digest.eq(a.digest.to_vec()),
                contributions::nullifier.eq(&a.nullifier),
                contributions::registry_root.eq(&a.root),
                contributions::payout_account_id.eq(payout_account),
                contributions::transfer_id.eq(t.id),
                contributions::attestation_proof.eq(&a.proof),
            ))
            .returning(contributions::id)
            .get_result(c)
            .map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                    if info.constraint_name() == Some(DIGEST_UNIQUE) =>
                {
                    ciphertext_duplicate()
                }
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    nullifier_used()
                }
                other => other.into(),
            })?;
        diesel::update(campaigns::table.find(campaign_id))
            .set(campaigns::accepted.eq(accepted + 1))
            .execute(c)?;
        Ok(Receipt {
            contribution_id: id,
            campaign_id,
            digest: hex::encode(a.digest),
            transfer_id: t.id,
            reward,
            payout_account,
        })
    })
}

/// The unique index on a campaign's ciphertext digests.
const DIGEST_UNIQUE: &str = "contributions_campaign_digest";

fn ciphertext_duplicate() -> ApiError {
    refuse(
        409,
        "ciphertext_duplicate",
        "this ciphertext was already contributed to this campaign",
    )
}

fn nullifier_used() -> ApiError {
    refuse(
        409,
        "nullifier_used",
        "this contributor already contributed to this campaign",
    )
}

fn escrow_empty() -> ApiError {
    refuse(
        402,
        "escrow_empty",
        "the campaign's escrow cannot pay another reward",
    )
}
