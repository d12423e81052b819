//! A user's wallet: balance and transfer history.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::{self, PgPool};
use crate::http::error::ApiError;
use crate::http::responses as resp;
use crate::store::ledger::{self, Transfer};

/// Paging of the history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Most transfers returned (1-200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Only transfers with an id below this (for the next page).
    pub before: Option<i64>,
}

/// Balance and history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WalletView {
    /// The wallet's ledger account id.
    pub account_id: ledger::AccountId,
    /// Tokens held.
    pub balance: i64,
    /// Transfers in and out, newest first (`to_account_id == account_id` is incoming).
    pub transfers: Vec<Transfer>,
}

/// The caller's wallet.
#[utoipa::path(get, path = "/api/wallet", tag = "wallet", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, body = WalletView),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/wallet")]
pub async fn wallet(
    pool: web::Data<PgPool>,
    user: AuthUser,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = crate::domain::input::page_limit(query.limit, 50, 200)?;
    let before = query.before;
    let view = db::with_conn(&pool, move |conn| {
        let account_id = ledger::wallet_of(conn, user.id)?;
        let balance = ledger::balance(conn, account_id)?;
        let transfers = ledger::history(conn, account_id, limit, before)?;
        Ok(WalletView {
            account_id,
            balance,
            transfers,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
