//! Campaigns: create, list, read, and the buyer's lifecycle steps.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Bearer, Buyer, BuyerOrAdmin};
use crate::db::{self, PgPool};
use crate::domain::{CampaignId, Role};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::idempotency::{self, IdempotencyKey};
use crate::services::campaigns::{self, NewCampaign};
use crate::state::AppState;
use crate::store::campaigns::{self as store, CampaignView, ListFilter, Status};
use crate::store::ledger::Transfer;

/// Listing filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only campaigns in this state (admins and buyers).
    pub status: Option<Status>,
    /// Most campaigns returned (1-200, default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A campaign with the transfer a lifecycle step made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignWithTransfer {
    /// The campaign after the step.
    pub campaign: CampaignView,
    /// The ledger transfer (funding or refund), if tokens moved.
    pub transfer: Option<Transfer>,
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// Create a draft campaign (buyer).
#[utoipa::path(post, path = "/api/campaigns", tag = "campaigns", security(("bearer" = [])),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_schema, invalid_amount, invalid_epsilon, ...", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/campaigns")]
pub async fn create(
    pool: web::Data<PgPool>,
    user: Buyer,
    body: web::Json<NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let valid = body.into_inner().validate()?;
    let view = db::run_tx(&pool, "create_campaign", move |conn| {
        Ok(campaigns::create(conn, user.id, &valid)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// List campaigns: admins see all, buyers their own, contributors the open ones.
#[utoipa::path(get, path = "/api/campaigns", tag = "campaigns", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Vec<CampaignView>),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/campaigns")]
pub async fn list(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    session: Bearer,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(100);
    let status = query.status;
    // The session and the page on one pooled connection; contributors'
    // page (the open campaigns, the same for all) briefly from memory.
    let page = db::with_conn(&pool, move |conn| {
        let user = session.user(conn)?;
        crate::domain::input::page_limit(Some(limit), 100, 200)?;
        let filter = match user.role {
            Role::Admin => ListFilter::All(status),
            Role::Buyer => ListFilter::Buyer(user.id, status),
            Role::Contributor => ListFilter::Open,
        };
        let generation = match filter {
            ListFilter::Open => match state.open_list.get(limit) {
                Ok(page) => return Ok(page),
                Err(generation) => Some(generation),
            },
            _ => None,
        };
        let views = store::list(conn, filter, limit)?;
        let page = web::Bytes::from(serde_json::to_vec(&views).map_err(ApiError::internal)?);
        if let Some(generation) = generation {
            state.open_list.put(limit, generation, page.clone());
        }
        Ok(page)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(page))
}

/// Read one campaign (its buyer, an admin, or anyone while it is open).
#[utoipa::path(get, path = "/api/campaigns/{id}", tag = "campaigns", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/campaigns/{id}")]
pub async fn get(
    pool: web::Data<PgPool>,
    session: Bearer,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (user, view) = db::with_conn(&pool, move |conn| {
        let user = session.user(conn)?;
        Ok((user, store::get(conn, id)?))
    })
    .await?;
    match view {
        Some(v)
            if user.role == Role::Admin || v.buyer_id == user.id || v.status == Status::Open =>
        {
            Ok(HttpResponse::Ok().json(v))
        }
        _ => Err(ApiError::not_found(format!("campaign {id} does not exist"))),
    }
}

/// Submit a draft for review, moving its budget from the buyer's wallet into escrow.
#[utoipa::path(post, path = "/api/campaigns/{id}/submit", tag = "campaigns", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"),
           ("Idempotency-Key" = String, Header, description = "unique per payment: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    responses((status = 200, body = CampaignWithTransfer),
              (status = 400, response = resp::BadKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 402, description = "insufficient_funds", body = ErrorBody),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 422, description = "idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/campaigns/{id}/submit")]
pub async fn submit(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    user: Buyer,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let hash = idempotency::request_hash(&req, &serde_json::Value::Null);
    let id = path.into_inner();
    let buyer = user.id;
    idempotency::run_once(&pool, "submit_campaign", user.id, key, hash, move |conn| {
        let (campaign, transfer) = campaigns::submit(conn, buyer, id)?;
        Ok((
            StatusCode::OK,
            json(&CampaignWithTransfer {
                campaign,
                transfer: Some(transfer),
            })?,
        ))
    })
    .await
}

/// Open an approved campaign for contributions (its buyer).
#[utoipa::path(post, path = "/api/campaigns/{id}/open", tag = "campaigns", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/campaigns/{id}/open")]
pub async fn open(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Buyer,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let view = db::run_tx(&pool, "open_campaign", move |conn| {
        Ok(campaigns::open(conn, user.id, id)?)
    })
    .await?;
    state.open_list.clear();
    Ok(HttpResponse::Ok().json(view))
}

/// Close an approved or open campaign, refunding the remaining escrow to its buyer (buyer or admin).
#[utoipa::path(post, path = "/api/campaigns/{id}/close", tag = "campaigns", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"),
           ("Idempotency-Key" = String, Header, description = "unique per payment: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    responses((status = 200, body = CampaignWithTransfer),
              (status = 400, response = resp::BadKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 422, description = "idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/campaigns/{id}/close")]
pub async fn close(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: BuyerOrAdmin,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let hash = idempotency::request_hash(&req, &serde_json::Value::Null);
    let id = path.into_inner();
    let (caller, is_admin) = (user.id, user.role == Role::Admin);
    let answer = idempotency::run_once(&pool, "close_campaign", user.id, key, hash, move |conn| {
        let (campaign, transfer) = campaigns::close(conn, caller, is_admin, id)?;
        if is_admin {
            crate::store::audit::record(
                conn,
                Some(caller),
                "close_campaign",
                &format!("campaign:{id}"),
                serde_json::json!({}),
            )?;
        }
        Ok((
            StatusCode::OK,
            json(&CampaignWithTransfer { campaign, transfer })?,
        ))
    })
    .await;
    state.open_list.clear();
    answer
}
