//! Accepting a contribution: every check runs before anything is written,
//! in the order of the design (size, campaign open, ciphertext conformance,
//! zk-pok, Groth16, root, nullifier, escrow); then one transaction stores the
//! ciphertext, records the nullifier and pays the reward.

use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use fhe_compute::keys::{proof_metadata, PublicMaterial};
use fhe_compute::ContributionError;
use protocol::attestation::{self, fr_from_bytes, Fr, PUBLIC_INPUTS};
use protocol::record::layout;
use protocol::{CampaignSchema, TokenAmount};
use tfhe::zk::CompactPkeCrs;
use tfhe::CompactPublicKey;

use crate::attestation::AttestationKeys;
use crate::campaigns::Status;
use crate::error::ApiError;
use crate::ledger;
use crate::schema::{
    accounts, campaign_keys, campaigns, contributions, registry_roots, rejections,
};
use crate::state::AppState;

/// Parsed key material of one campaign, cached per process.
pub struct CampaignCrypto {
    /// The campaign's compact public key.
    pub public_key: CompactPublicKey,
    /// The campaign's CRS.
    pub crs: CompactPkeCrs,
    /// zk-pok metadata (campaign id, schema version, key fingerprint).
    pub metadata: Vec<u8>,
    /// Entry widths of one record.
    pub layout: Vec<u32>,
}

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
    if let Some(c) = state
        .campaign_crypto
        .lock()
        .map_err(|_| ApiError::internal("cache lock"))?
        .get(&id)
    {
        return Ok((c.clone(), reward, max));
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
    state
        .campaign_crypto
        .lock()
        .map_err(|_| ApiError::internal("cache lock"))?
        .insert(id, crypto.clone());
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

/// Records why a submission was refused (quality signals; nothing of the
/// submission is kept).
pub fn record_rejection(conn: &mut PgConnection, campaign_id: Option<i64>, reason: &str) {
    let r = diesel::insert_into(rejections::table)
        .values((
            rejections::campaign_id.eq(campaign_id),
            rejections::reason.eq(reason),
        ))
        .execute(conn);
    if let Err(e) = r {
        tracing::warn!("could not record a rejection: {e}");
    }
}

/// Runs every check and, if all pass, the accepting transaction. Blocking:
/// call on the blocking pool.
pub fn accept(
    state: &AppState,
    keys: &AttestationKeys,
    conn: &mut PgConnection,
    campaign_id: i64,
    sub: &Submission,
) -> Result<Receipt, ApiError> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    let started = std::time::Instant::now();
    // Campaign open (and its key material).
    let (crypto, reward, max_contributions) = campaign_crypto(state, conn, campaign_id)?;
    let t_campaign = started.elapsed();
    // Bounded, conformance-checked deserialization, then the zk-pok.
    let ciphertext = STANDARD
        .decode(&sub.ciphertext)
        .map_err(|_| refuse(422, "ciphertext_malformed", "ciphertext must be base64"))?;
    let t_decode = started.elapsed();
    let digest = fhe_compute::verify_contribution(
        &ciphertext,
        &crypto.layout,
        &crypto.public_key,
        &crypto.crs,
        &crypto.metadata,
    )?;
    let t_zk = started.elapsed();
    // Groth16: exact public-input count, statement bound to this campaign,
    // these bytes and this payout account, checked point decoding.
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
    let t_verified = started.elapsed();
    // Root among the recent roots every keyholder computed (announced):
    // the keyholders refuse any other at release.
    let root = attestation::fr_to_bytes(&inputs[0]).to_vec();
    let recent: Vec<Vec<u8>> = registry_roots::table
        .filter(registry_roots::announced_at.is_not_null())
        .order(registry_roots::id.desc())
        .limit(state.recent_roots)
        .select(registry_roots::root)
        .load(conn)?;
    if !recent.contains(&root) {
        return Err(refuse(
            409,
            "stale_root",
            "the registry root is unknown, too old, or not yet confirmed by every keyholder; \
             fetch a fresh path and retry",
        ));
    }
    // Nullifier unused for this campaign.
    let nullifier = attestation::fr_to_bytes(&inputs[1]).to_vec();
    let used: i64 = contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .filter(contributions::nullifier.eq(&nullifier))
        .count()
        .get_result(conn)?;
    if used > 0 {
        return Err(nullifier_used());
    }
    // The payout account is a wallet; the escrow can pay.
    let kind: Option<String> = accounts::table
        .find(sub.payout_account)
        .select(accounts::kind)
        .first(conn)
        .optional()?;
    if kind.as_deref() != Some("wallet") {
        return Err(refuse(
            422,
            "invalid_payout_account",
            "payout_account must be a wallet account",
        ));
    }
    let escrow = ledger::escrow_of(conn, campaign_id)?;
    if ledger::balance(conn, escrow)? < reward {
        return Err(escrow_empty());
    }
    let amount = TokenAmount::parse(reward)?;
    let t_checked = started.elapsed();
    // One transaction: store, record the nullifier, pay.
    let payout_account = sub.payout_account;
    let receipt = crate::db::run_tx_sync(conn, "accept_contribution", |c| {
        let status: String = campaigns::table
            .find(campaign_id)
            .select(campaigns::status)
            .for_share()
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
        // The statistics' overflow bound. The transfer above holds the
        // escrow's row lock, so concurrent submissions count one at a time.
        let accepted: i64 = contributions::table
            .filter(contributions::campaign_id.eq(campaign_id))
            .count()
            .get_result(c)?;
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
                contributions::ciphertext.eq(&ciphertext),
                contributions::digest.eq(digest.to_vec()),
                contributions::nullifier.eq(&nullifier),
                contributions::registry_root.eq(&root),
                contributions::payout_account_id.eq(payout_account),
                contributions::transfer_id.eq(t.id),
                contributions::attestation_proof.eq(&proof),
            ))
            .returning(contributions::id)
            .get_result(c)
            .map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    nullifier_used()
                }
                other => other.into(),
            })?;
        Ok(Receipt {
            contribution_id: id,
            campaign_id,
            digest: hex::encode(digest),
            transfer_id: t.id,
            reward,
            payout_account,
        })
    })?;
    tracing::debug!(
        campaign = ?t_campaign,
        decode = ?(t_decode - t_campaign),
        zk = ?(t_zk - t_decode),
        groth16 = ?(t_verified - t_zk),
        checks = ?(t_checked - t_verified),
        tx = ?(started.elapsed() - t_checked),
        "contribution accepted"
    );
    Ok(receipt)
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
