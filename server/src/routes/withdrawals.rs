//! Withdrawal routes: extract, call `services::withdrawals`, answer. The
//! rules (what a request needs, who decides what, exactly once) are the
//! service's; its errors become statuses in `http::error`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Admin, AuthUser, WalletHolder};
use crate::db::{self, PgPool};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::idempotency::{self, IdempotencyKey};
use crate::services::withdrawals::{self as service, Decision, Request};
pub use crate::store::withdrawals::WithdrawalView;
use crate::store::withdrawals::{self as store, WithdrawalStatus};

/// A withdrawal request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWithdrawal {
    /// Tokens to withdraw (> 0, at most the wallet's balance).
    #[schema(minimum = 1)]
    pub amount: i64,
    /// External address to pay to (1-200 visible characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub address: String,
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Request a withdrawal (contributor or buyer, Idempotency-Key): the amount
/// leaves the wallet at once and waits for an admin.
#[utoipa::path(post, path = "/api/withdrawals", tag = "wallet", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "unique per request: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    request_body = NewWithdrawal,
    responses((status = 201, body = WithdrawalView),
              (status = 400, response = resp::BadBodyOrKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 402, description = "insufficient_funds (nothing moved)", body = ErrorBody),
              (status = 403, response = resp::Forbidden),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_amount, invalid_address, idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/withdrawals")]
pub async fn request(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: WalletHolder,
    body: web::Json<NewWithdrawal>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(&req, &json(&body)?);
    let checked = Request::new(body.amount, &body.address)?;
    let uid = user.id;
    idempotency::run_once(&pool, "request_withdrawal", uid, key, hash, move |conn| {
        let view = service::request(conn, uid, &checked)?;
        Ok((StatusCode::CREATED, json(&view)?))
    })
    .await
}

/// Listing filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalQuery {
    /// Only this state (another name is a 400 `invalid_query`).
    pub status: Option<WithdrawalStatus>,
}

/// The caller's withdrawals, newest first.
#[utoipa::path(get, path = "/api/withdrawals", tag = "wallet", security(("bearer" = [])), params(WithdrawalQuery),
    responses((status = 200, body = Vec<WithdrawalView>),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/withdrawals")]
pub async fn mine(
    pool: web::Data<PgPool>,
    user: AuthUser,
    query: web::Query<WithdrawalQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query.status;
    let uid = user.id;
    let list = db::with_conn(&pool, move |conn| Ok(store::list(conn, Some(uid), status)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Every withdrawal, newest first, with the requester's e-mail (admin).
#[utoipa::path(get, path = "/api/admin/withdrawals", tag = "admin", security(("bearer" = [])), params(WithdrawalQuery),
    responses((status = 200, body = Vec<AdminWithdrawalView>),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/withdrawals")]
pub async fn all(
    pool: web::Data<PgPool>,
    _admin: Admin,
    query: web::Query<WithdrawalQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query.status;
    let list = db::with_conn(&pool, move |conn| {
        Ok(store::list_with_emails(conn, status)?
            .into_iter()
            .map(|(withdrawal, email)| AdminWithdrawalView { withdrawal, email })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A withdrawal with its requester's e-mail.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminWithdrawalView {
    /// The withdrawal.
    #[serde(flatten)]
    pub withdrawal: WithdrawalView,
    /// The requester's e-mail.
    pub email: String,
}

/// Why a withdrawal is rejected.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectWithdrawal {
    /// The reason (1-2,000 characters), shown to the requester.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// Approve a pending withdrawal (admin): the tokens are paid out.
#[utoipa::path(post, path = "/api/admin/withdrawals/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "withdrawal id")),
    responses((status = 200, body = WithdrawalView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state (already decided)", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/withdrawals/{id}/approve")]
pub async fn approve(
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "approve_withdrawal", move |conn| {
        Ok(service::decide(conn, admin, id, Decision::Approve)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a pending withdrawal with a reason (admin): the tokens go back to the wallet.
#[utoipa::path(post, path = "/api/admin/withdrawals/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "withdrawal id")), request_body = RejectWithdrawal,
    responses((status = 200, body = WithdrawalView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state (already decided)", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_reason", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/withdrawals/{id}/reject")]
pub async fn reject(
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<i64>,
    body: web::Json<RejectWithdrawal>,
) -> Result<HttpResponse, ApiError> {
    let reason = crate::domain::input::reason(&body.into_inner().reason, "rejection")?;
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "reject_withdrawal", move |conn| {
        Ok(service::decide(conn, admin, id, Decision::Reject(&reason))?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
