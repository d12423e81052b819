//! Admin actions: minting tokens, reviewing campaigns, auditing the ledger.
//! Every action is written to the audit log in its own transaction.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use protocol::TokenAmount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::db::{self, PgPool};
use crate::domain::{CampaignId, UserId};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::idempotency::{self, IdempotencyKey};
use crate::routes::campaigns::CampaignWithTransfer;
use crate::services::campaigns;
use crate::state::AppState;
use crate::store::audit;
use crate::store::campaigns::CampaignView;
use crate::store::ledger::{self, LedgerAudit, Transfer, TransferKind};
use crate::store::users;

/// Mint request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// The user whose wallet receives the tokens.
    pub user_id: UserId,
    /// Tokens to create (> 0).
    #[schema(minimum = 1)]
    pub amount: i64,
    /// Optional note (at most 500 characters).
    #[serde(default)]
    #[schema(max_length = 500)]
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
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Mint tokens into a user's wallet (admin).
#[utoipa::path(post, path = "/api/admin/mint", tag = "admin", security(("bearer" = [])),
    request_body = MintRequest,
    params(("Idempotency-Key" = String, Header, description = "unique per payment: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    responses((status = 200, body = MintResponse),
              (status = 400, response = resp::BadBodyOrKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, description = "no such user", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_amount, invalid_memo, idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
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
    crate::domain::input::memo(&body.memo)?;
    let admin = user.id;
    idempotency::run_once(&pool, "mint", user.id, key, hash, move |conn| {
        if !users::exists(conn, body.user_id)? {
            return Err(ApiError::not_found(format!(
                "user {} does not exist",
                body.user_id
            )));
        }
        let mint = ledger::mint_account(conn)?;
        let wallet = ledger::wallet_of(conn, body.user_id)?;
        let transfer =
            ledger::transfer(conn, mint, wallet, amount, TransferKind::Mint, &body.memo)?;
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
    responses((status = 200, body = CampaignView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/campaigns/{id}/approve")]
pub async fn approve(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<CampaignId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    // The body is optional; when present it must be a valid ApproveRequest.
    let body: ApproveRequest =
        if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
            ApproveRequest::default()
        } else {
            serde_json::from_slice(&body).map_err(|e| crate::http::error::body_error(&e))?
        };
    let view = campaigns::approve(&pool, state.keyholder.as_ref(), user.id, id, body.note).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a campaign pending review and refund its escrow to the buyer (admin).
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"),
           ("Idempotency-Key" = String, Header, description = "unique per payment: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    request_body = RejectRequest,
    responses((status = 200, body = CampaignWithTransfer),
              (status = 400, response = resp::BadBodyOrKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_reason, idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/campaigns/{id}/reject")]
pub async fn reject(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<CampaignId>,
    body: web::Json<RejectRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(&req, &json(&body)?);
    let reason = crate::domain::input::reason(&body.reason, "rejection")?;
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
    responses((status = 200, body = LedgerAudit),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/ledger/audit")]
pub async fn ledger_audit(
    pool: web::Data<PgPool>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let audit = db::with_conn(&pool, |conn| Ok(ledger::check_consistency(conn)?)).await?;
    Ok(HttpResponse::Ok().json(audit))
}
