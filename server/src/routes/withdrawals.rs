//! Withdrawals of earned tokens to an external address, pending admin
//! approval. A request moves the amount from the wallet into the holding
//! account (`withdrawals`) in the same transaction that records it; an admin
//! approves (holding → mint: paid out, the tokens leave the platform) or
//! rejects with a reason (holding → wallet). Only pending requests can be
//! decided, under a row lock, so nothing is paid or refunded twice.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::TokenAmount;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit;
use crate::auth::AuthUser;
use crate::db::{self, PgPool};
use crate::domain::Role;
use crate::error::{ApiError, ErrorBody};
use crate::idempotency::{self, IdempotencyKey};
use crate::ledger;
use crate::schema::{users, withdrawals};

/// A withdrawal request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWithdrawal {
    /// Tokens to withdraw (> 0, at most the wallet's balance).
    pub amount: i64,
    /// External address to pay to (1-200 visible characters).
    pub address: String,
}

/// A withdrawal as the API answers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = withdrawals)]
pub struct WithdrawalView {
    /// Withdrawal id.
    pub id: i64,
    /// The requesting user.
    pub user_id: i64,
    /// Tokens.
    pub amount: i64,
    /// External address.
    pub address: String,
    /// `pending`, `approved` (paid out) or `rejected` (returned to the wallet).
    pub status: String,
    /// Wallet → holding transfer.
    pub hold_transfer_id: i64,
    /// Holding → mint (approved) or → wallet (rejected).
    pub settle_transfer_id: Option<i64>,
    /// The admin's reason when rejected.
    pub reason: Option<String>,
    /// The deciding admin.
    pub decided_by: Option<i64>,
    /// Requested.
    pub created_at: DateTime<Utc>,
    /// Decided.
    pub decided_at: Option<DateTime<Utc>>,
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Request a withdrawal (contributor or buyer, Idempotency-Key): the amount
/// leaves the wallet at once and waits for an admin.
#[utoipa::path(post, path = "/api/withdrawals", tag = "wallet", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "unique per request")),
    request_body = NewWithdrawal,
    responses((status = 201, body = WithdrawalView),
              (status = 402, description = "insufficient_funds (nothing moved)", body = ErrorBody),
              (status = 422, description = "invalid_amount, invalid_address", body = ErrorBody)))]
#[post("/api/withdrawals")]
pub async fn request(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: AuthUser,
    body: web::Json<NewWithdrawal>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Contributor, Role::Buyer])?;
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(&req, &json(&body)?);
    let amount = TokenAmount::parse(body.amount)
        .map_err(|e| ApiError::unprocessable("invalid_amount", format!("amount: {e}")))?;
    let address = body.address.trim().to_string();
    if address.is_empty()
        || address.chars().count() > 200
        || address.chars().any(|c| c.is_control())
    {
        return Err(ApiError::unprocessable(
            "invalid_address",
            "address must be 1-200 characters without control characters",
        ));
    }
    let uid = user.id;
    idempotency::run_once(&pool, "request_withdrawal", uid, key, hash, move |conn| {
        let wallet = ledger::wallet_of(conn, uid)?;
        let hold = ledger::withdrawals_account(conn)?;
        let t = ledger::transfer(conn, wallet, hold, amount, "withdrawal_hold", &address)?;
        let view: WithdrawalView = diesel::insert_into(withdrawals::table)
            .values((
                withdrawals::user_id.eq(uid),
                withdrawals::amount.eq(amount.get()),
                withdrawals::address.eq(&address),
                withdrawals::status.eq("pending"),
                withdrawals::hold_transfer_id.eq(t.id),
            ))
            .returning(WithdrawalView::as_returning())
            .get_result(conn)?;
        Ok((StatusCode::CREATED, json(&view)?))
    })
    .await
}

/// Listing filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalQuery {
    /// Only this state (`pending`, `approved`, `rejected`).
    pub status: Option<String>,
}

fn list_query(
    conn: &mut PgConnection,
    user: Option<i64>,
    status: Option<String>,
) -> Result<Vec<WithdrawalView>, ApiError> {
    let mut q = withdrawals::table
        .select(WithdrawalView::as_select())
        .order(withdrawals::id.desc())
        .limit(500)
        .into_boxed();
    if let Some(u) = user {
        q = q.filter(withdrawals::user_id.eq(u));
    }
    if let Some(s) = status {
        if !matches!(s.as_str(), "pending" | "approved" | "rejected") {
            return Err(ApiError::bad_request(
                "invalid_query",
                "status must be pending, approved or rejected",
            ));
        }
        q = q.filter(withdrawals::status.eq(s));
    }
    Ok(q.load(conn)?)
}

/// The caller's withdrawals, newest first.
#[utoipa::path(get, path = "/api/withdrawals", tag = "wallet", security(("bearer" = [])), params(WithdrawalQuery),
    responses((status = 200, body = Vec<WithdrawalView>), (status = 401, body = ErrorBody)))]
#[get("/api/withdrawals")]
pub async fn mine(
    pool: web::Data<PgPool>,
    user: AuthUser,
    query: web::Query<WithdrawalQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query.into_inner().status;
    let uid = user.id;
    let list = db::with_conn(&pool, move |conn| list_query(conn, Some(uid), status)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Every withdrawal, newest first, with the requester's e-mail (admin).
#[utoipa::path(get, path = "/api/admin/withdrawals", tag = "admin", security(("bearer" = [])), params(WithdrawalQuery),
    responses((status = 200, body = Vec<AdminWithdrawalView>), (status = 403, body = ErrorBody)))]
#[get("/api/admin/withdrawals")]
pub async fn all(
    pool: web::Data<PgPool>,
    user: AuthUser,
    query: web::Query<WithdrawalQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let status = query.into_inner().status;
    let list = db::with_conn(&pool, move |conn| {
        let list = list_query(conn, None, status)?;
        list.into_iter()
            .map(|w| {
                let email: String = users::table
                    .find(w.user_id)
                    .select(users::email)
                    .first(conn)?;
                Ok(AdminWithdrawalView {
                    withdrawal: w,
                    email,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()
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
    pub reason: String,
}

fn decide(
    conn: &mut PgConnection,
    admin: i64,
    id: i64,
    reason: Option<&str>,
) -> Result<WithdrawalView, ApiError> {
    let w: Option<WithdrawalView> = withdrawals::table
        .find(id)
        .select(WithdrawalView::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    let w = w.ok_or_else(|| ApiError::not_found(format!("withdrawal {id} does not exist")))?;
    if w.status != "pending" {
        return Err(ApiError::conflict(
            "invalid_state",
            format!("withdrawal {id} is already {}", w.status),
        ));
    }
    let hold = ledger::withdrawals_account(conn)?;
    let amount = TokenAmount::parse(w.amount)?;
    let (to, kind, status) = match reason {
        None => (ledger::mint_account(conn)?, "withdrawal_paid", "approved"),
        Some(_) => (
            ledger::wallet_of(conn, w.user_id)?,
            "withdrawal_refund",
            "rejected",
        ),
    };
    let t = ledger::transfer(conn, hold, to, amount, kind, &format!("withdrawal {id}"))?;
    let view: WithdrawalView = diesel::update(withdrawals::table.find(id))
        .set((
            withdrawals::status.eq(status),
            withdrawals::settle_transfer_id.eq(Some(t.id)),
            withdrawals::reason.eq(reason),
            withdrawals::decided_by.eq(Some(admin)),
            withdrawals::decided_at.eq(Some(Utc::now())),
        ))
        .returning(WithdrawalView::as_returning())
        .get_result(conn)?;
    audit::record(
        conn,
        Some(admin),
        if reason.is_none() {
            "approve_withdrawal"
        } else {
            "reject_withdrawal"
        },
        &format!("withdrawal:{id}"),
        serde_json::json!({"user_id": w.user_id, "amount": w.amount, "address": w.address, "reason": reason}),
    )?;
    Ok(view)
}

/// Approve a pending withdrawal (admin): the tokens are paid out.
#[utoipa::path(post, path = "/api/admin/withdrawals/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "withdrawal id")),
    responses((status = 200, body = WithdrawalView), (status = 404, body = ErrorBody),
              (status = 409, description = "invalid_state (already decided)", body = ErrorBody)))]
#[post("/api/admin/withdrawals/{id}/approve")]
pub async fn approve(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "approve_withdrawal", move |conn| {
        decide(conn, admin, id, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a pending withdrawal with a reason (admin): the tokens go back to the wallet.
#[utoipa::path(post, path = "/api/admin/withdrawals/{id}/reject", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "withdrawal id")), request_body = RejectWithdrawal,
    responses((status = 200, body = WithdrawalView), (status = 404, body = ErrorBody),
              (status = 409, description = "invalid_state (already decided)", body = ErrorBody),
              (status = 422, description = "invalid_reason", body = ErrorBody)))]
#[post("/api/admin/withdrawals/{id}/reject")]
pub async fn reject(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<i64>,
    body: web::Json<RejectWithdrawal>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let reason = super::required_reason(&body.into_inner().reason, "rejection")?;
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "reject_withdrawal", move |conn| {
        decide(conn, admin, id, Some(&reason))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
