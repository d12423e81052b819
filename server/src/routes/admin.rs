//! Admin actions: minting tokens, reviewing campaigns, auditing the ledger.
//! Every action is written to the audit log in its own transaction.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use protocol::TokenAmount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::campaigns::{self, CampaignView};
use crate::db::{self, PgPool};
use crate::http::error::{ApiError, ErrorBody};
use crate::idempotency::{self, IdempotencyKey};
use crate::routes::campaigns::CampaignWithTransfer;
use crate::schema::{campaign_keys, users};
use crate::state::AppState;
use crate::store::audit;
use crate::store::ledger::{self, LedgerAudit, Transfer};
use diesel::prelude::*;

/// Mint request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// The user whose wallet receives the tokens.
    pub user_id: i64,
    /// Tokens to create (> 0).
    pub amount: i64,
    /// Optional note.
    #[serde(default)]
    pub memo: String,
}

/// Result of a mint.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MintResponse {
    /// The transfer from the mint.
    pub transfer: Transfer,
    /// The wallet's balance afterwards.
    pub balance: i64,
}

/// Approval note.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Optional note kept with the review.
    #[serde(default)]
    pub note: Option<String>,
}

/// Rejection reason.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why (1-2,000 characters), shown to the buyer.
    pub reason: String,
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Mint tokens into a user's wallet (admin).
#[utoipa::path(post, path = "/api/admin/mint", tag = "admin", security(("bearer" = [])),
    request_body = MintRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per payment")),
    responses((status = 200, body = MintResponse),
              (status = 403, body = ErrorBody),
              (status = 404, description = "no such user", body = ErrorBody),
              (status = 422, description = "invalid_amount, idempotency_key_reused", body = ErrorBody)))]
#[post("/api/admin/mint")]
pub async fn mint(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: Admin,
    body: web::Json<MintRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(&req, &json(&body)?);
    let amount = TokenAmount::parse(body.amount)?;
    if body.memo.chars().count() > 500 {
        return Err(ApiError::unprocessable(
            "invalid_memo",
            "memo must be at most 500 characters",
        ));
    }
    let admin = user.id;
    idempotency::run_once(&pool, "mint", user.id, key, hash, move |conn| {
        let exists: Option<i64> = users::table
            .find(body.user_id)
            .select(users::id)
            .first(conn)
            .optional()?;
        if exists.is_none() {
            return Err(ApiError::not_found(format!(
                "user {} does not exist",
                body.user_id
            )));
        }
        let mint = ledger::mint_account(conn)?;
        let wallet = ledger::wallet_of(conn, body.user_id)?;
        let transfer = ledger::transfer(conn, mint, wallet, amount, "mint", &body.memo)?;
        let balance = ledger::balance(conn, wallet)?;
        audit::record(
            conn,
            Some(admin),
            "mint",
            &format!("user:{}", body.user_id),
            serde_json::json!({"amount": amount.get(), "transfer_id": transfer.id}),
        )?;
        Ok((StatusCode::OK, json(&MintResponse { transfer, balance })?))
    })
    .await
}

/// Approve a campaign pending review (admin).
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    request_body(content = Option<ApproveRequest>),
    responses((status = 200, body = CampaignView), (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 502, description = "keyholder_unavailable", body = ErrorBody)))]
#[post("/api/admin/campaigns/{id}/approve")]
pub async fn approve(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    // The body is optional; when present it must be a valid ApproveRequest.
    let body: ApproveRequest =
        if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
            ApproveRequest::default()
        } else {
            serde_json::from_slice(&body).map_err(|e| {
                if e.is_syntax() || e.is_eof() {
                    ApiError::bad_request("malformed_json", format!("malformed JSON: {e}"))
                } else if e.to_string().starts_with("unknown field") {
                    ApiError::bad_request("unknown_field", e.to_string())
                } else {
                    ApiError::bad_request("invalid_body", e.to_string())
                }
            })?
        };
    let note = body.note.filter(|n| !n.trim().is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::unprocessable(
            "invalid_reason",
            "note must be at most 2,000 characters",
        ));
    }
    let admin = user.id;
    // The campaign must be pending review before the keyholder does any work.
    let pending = db::with_conn(&pool, move |conn| campaigns::get(conn, id)).await?;
    let pending = match pending {
        Some(c) if c.status == campaigns::Status::PendingReview => c,
        Some(c) => {
            return Err(ApiError::conflict(
                "invalid_state",
                format!(
                    "cannot approve campaign {id} in state {}",
                    c.status.as_str()
                ),
            ))
        }
        None => return Err(ApiError::not_found(format!("campaign {id} does not exist"))),
    };
    let schema = protocol::CampaignSchema::parse(pending.schema).map_err(ApiError::internal)?;
    // Key generation is idempotent at the keyholder: if this request fails
    // after it, a retry gets the same keys. Nothing is written here unless
    // the keys arrived.
    let terms = keyholder_api::KeyTerms {
        statistics: pending.statistics.clone(),
        min_contributors: u64::try_from(pending.min_contributors).map_err(ApiError::internal)?,
        epsilon_micro: protocol::epsilon::epsilon_micro(pending.epsilon)
            .map_err(ApiError::internal)?,
        max_contributions: campaigns::max_contributions(pending.budget, pending.reward),
        schema_version: u32::try_from(pending.schema_version).map_err(ApiError::internal)?,
    };
    let material = state.keyholder.campaign_keys(id, &schema, terms).await?;
    let view = db::run_tx(&pool, "approve_campaign", move |conn| {
        let v = campaigns::approve(conn, admin, id, note.as_deref())?;
        diesel::insert_into(campaign_keys::table)
            .values((
                campaign_keys::campaign_id.eq(id),
                campaign_keys::public_key.eq(&material.public_key),
                campaign_keys::crs.eq(&material.crs),
                campaign_keys::server_key.eq(&material.server_key),
                campaign_keys::key_fingerprint.eq(material.key_fingerprint.to_vec()),
                campaign_keys::signed_terms.eq(Some(
                    serde_json::to_value(&material.terms).map_err(ApiError::internal)?,
                )),
                campaign_keys::signatures
                    .eq(serde_json::to_value(&material.signatures).map_err(ApiError::internal)?),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        audit::record(
            conn,
            Some(admin),
            "approve_campaign",
            &format!("campaign:{id}"),
            serde_json::json!({"note": note}),
        )?;
        Ok(v)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a campaign pending review and refund its escrow to the buyer (admin).
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"),
           ("Idempotency-Key" = String, Header, description = "unique per payment")),
    request_body = RejectRequest,
    responses((status = 200, body = CampaignWithTransfer),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 422, description = "invalid_reason", body = ErrorBody)))]
#[post("/api/admin/campaigns/{id}/reject")]
pub async fn reject(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<i64>,
    body: web::Json<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(&req, &json(&body)?);
    let reason = super::required_reason(&body.reason, "rejection")?;
    let id = path.into_inner();
    let admin = user.id;
    idempotency::run_once(&pool, "reject_campaign", user.id, key, hash, move |conn| {
        let (campaign, transfer) = campaigns::reject(conn, admin, id, &reason)?;
        audit::record(
            conn,
            Some(admin),
            "reject_campaign",
            &format!("campaign:{id}"),
            serde_json::json!({"reason": reason}),
        )?;
        Ok((
            StatusCode::OK,
            json(&CampaignWithTransfer { campaign, transfer })?,
        ))
    })
    .await
}

/// Audit the whole ledger: the sum of balances, negative accounts, cached
/// balances that disagree with the transfers (admin).
#[utoipa::path(get, path = "/api/admin/ledger/audit", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = LedgerAudit), (status = 403, body = ErrorBody)))]
#[get("/api/admin/ledger/audit")]
pub async fn ledger_audit(
    pool: web::Data<PgPool>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let audit = db::with_conn(&pool, |conn| Ok(ledger::check_consistency(conn)?)).await?;
    Ok(HttpResponse::Ok().json(audit))
}
