//! Statistics reports: buy, follow, read (buyer; admins may read).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::auth::{AuthUser, Buyer};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{CampaignId, JobId, Role};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::idempotency::{self, IdempotencyKey};
use crate::services::reports::{self, PurchaseRequest};
use crate::store::reports::{self as store, ReportView};
use protocol::report as derive;

/// Buy a statistics report of a campaign (its buyer). The price moves from
/// the buyer's wallet to the platform; the job starts at once.
#[utoipa::path(post, path = "/api/campaigns/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"),
           ("Idempotency-Key" = String, Header, description = "unique per purchase: 1-255 visible ASCII characters", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    request_body = PurchaseRequest,
    responses((status = 201, body = ReportView),
              (status = 400, response = resp::BadBodyOrKey),
              (status = 401, response = resp::Unauthenticated),
              (status = 402, description = "insufficient_funds (nothing debited)", body = ErrorBody),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "below_min_contributors, privacy_budget_exhausted, invalid_state", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_epsilon, invalid_weights, nothing_to_release, idempotency_key_reused", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/campaigns/{id}/reports")]
pub async fn purchase(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    state: web::Data<crate::state::AppState>,
    user: Buyer,
    path: web::Path<CampaignId>,
    body: web::Json<PurchaseRequest>,
) -> Result<HttpResponse, ApiError> {
    let key = IdempotencyKey::from_request(&req)?;
    let body = body.into_inner();
    let hash = idempotency::request_hash(
        &req,
        &serde_json::to_value(&body).map_err(ApiError::internal)?,
    );
    let id = path.into_inner();
    let price = settings.report_price;
    let shard_size = settings.report_shard_size;
    let parties = state.keyholder.parties();
    idempotency::run_once(&pool, "purchase_report", user.id, key, hash, move |conn| {
        let view = reports::purchase(conn, user.id, id, &body, price, shard_size, parties)?;
        Ok((
            StatusCode::CREATED,
            serde_json::to_value(view).map_err(ApiError::internal)?,
        ))
    })
    .await
}

/// `?epsilon=&weights=`: the ε a report would spend (default: the
/// campaign's whole budget) and how it is split.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EstimateQuery {
    /// 0 < ε ≤ the campaign's budget.
    pub epsilon: Option<f64>,
    /// Budget weights by kind, `kind:weight,kind:weight` (e.g.
    /// `sum:4,count:1`); default: evenly.
    pub weights: Option<String>,
}

/// The accuracy a report bought now would have (its buyer or an admin):
/// every released value's noise scale, standard deviation and 95%/99%
/// error, the derived figures' approximate errors at the current count of
/// contributions, and a warning for each figure the noise would dominate.
/// Spends nothing.
#[utoipa::path(get, path = "/api/campaigns/{id}/reports/estimate", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id"), EstimateQuery),
    responses((status = 200, body = reports::ReportEstimate),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 422, description = "invalid_epsilon, invalid_weights, nothing_to_release", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/campaigns/{id}/reports/estimate")]
pub async fn estimate(
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    state: web::Data<crate::state::AppState>,
    user: AuthUser,
    path: web::Path<CampaignId>,
    query: web::Query<EstimateQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let EstimateQuery { epsilon, weights } = query.into_inner();
    let asked = PurchaseRequest {
        epsilon,
        weights: Some(
            protocol::report::weights::Weights::parse(weights.as_deref().unwrap_or(""))
                .map_err(reports::ReportError::from)?,
        ),
    };
    let parties = state.keyholder.parties();
    let price = settings.report_price;
    let estimate = db::with_conn(&pool, move |conn| {
        Ok(reports::estimate(
            conn,
            user.id,
            user.role == Role::Admin,
            id,
            &asked,
            parties,
            price,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(estimate))
}

/// A campaign's reports, newest first (its buyer or an admin).
#[utoipa::path(get, path = "/api/campaigns/{id}/reports", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = Vec<ReportView>),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/campaigns/{id}/reports")]
pub async fn list(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let views = db::with_conn(&pool, move |conn| {
        match crate::store::campaigns::get(conn, id)? {
            Some(c) if user.role == Role::Admin || c.buyer_id == user.id => {}
            _ => return Err(ApiError::not_found(format!("campaign {id} does not exist"))),
        }
        Ok(store::list_for_campaign(conn, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(views))
}

async fn visible(pool: &PgPool, user: AuthUser, id: JobId) -> Result<ReportView, ApiError> {
    let v = db::with_conn(pool, move |conn| Ok(store::view(conn, id)?)).await?;
    match v {
        Some(v) if user.role == Role::Admin || v.buyer_id == user.id => Ok(v),
        _ => Err(ApiError::not_found(format!("report {id} does not exist"))),
    }
}

/// A report's status and progress (shards done / total, ETA).
#[utoipa::path(get, path = "/api/reports/{id}", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses((status = 200, body = ReportView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/reports/{id}")]
pub async fn get(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<JobId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(visible(&pool, user, path.into_inner()).await?))
}

async fn released(
    pool: &PgPool,
    user: AuthUser,
    id: JobId,
) -> Result<crate::services::release::ReportResults, ApiError> {
    let v = visible(pool, user, id).await?;
    if v.status != crate::store::jobs::JobState::Released {
        return Err(ApiError::conflict(
            "report_not_released",
            format!(
                "report {id} is {}; results exist once it is released",
                v.status.as_str()
            ),
        ));
    }
    let value = db::with_conn(pool, move |conn| Ok(store::results(conn, id)?))
        .await?
        .ok_or_else(|| ApiError::internal("released report without results"))?;
    serde_json::from_value(value).map_err(ApiError::internal)
}

/// The released statistics as JSON: the noised aggregates (with each one's
/// noise scale and 99% bound), the exact count, and what is derived from
/// them (means, variances, histograms, regression coefficients).
#[utoipa::path(get, path = "/api/reports/{id}/results", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses((status = 200, body = crate::services::release::ReportResults),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "report_not_released", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/reports/{id}/results")]
pub async fn results_json(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<JobId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(released(&pool, user, path.into_inner()).await?))
}

/// The released statistics as CSV (`statistic,field,category,value,noise_scale,noise_bound_99`).
#[utoipa::path(get, path = "/api/reports/{id}/results.csv", tag = "reports", security(("bearer" = [])),
    params(("id" = i64, Path, description = "report id")),
    responses((status = 200, content_type = "text/csv", body = String),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "report_not_released", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/reports/{id}/results.csv")]
pub async fn results_csv(
    pool: web::Data<PgPool>,
    user: AuthUser,
    path: web::Path<JobId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = released(&pool, user, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"report-{id}.csv\""),
        ))
        .body(derive::to_csv(&r.derived, &r.values)))
}
