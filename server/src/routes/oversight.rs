//! Admin oversight: users (suspend / unsuspend), campaign quality signals,
//! the audit log of admin actions and the keyholder's decryption log.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use protocol::Statistic;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::db::{self, PgPool};
use crate::domain::input::page_limit;
use crate::domain::{CampaignId, Role, UserId};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::services::oversight;
use crate::state::AppState;
use crate::store::audit;
use crate::store::users::{self, AccountView};

/// Listing filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only this role (another name is a 400 `invalid_query`).
    pub role: Option<Role>,
    /// Most users returned (1-500, default 200).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Users, newest first (admin).
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Vec<AccountView>),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/users")]
pub async fn users_list(
    pool: web::Data<PgPool>,
    _admin: Admin,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(query.limit, 200, 500)?;
    let role = query.role;
    let list = db::with_conn(&pool, move |conn| Ok(users::accounts(conn, role, limit)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Why an account is suspended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// The reason (1-2,000 characters), kept in the audit log.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// Suspend an account (admin): its sessions stop working and it cannot log in.
#[utoipa::path(post, path = "/api/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")), request_body = SuspendRequest,
    responses((status = 200, body = AccountView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "cannot_suspend_admin", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_reason", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/users/{id}/suspend")]
pub async fn suspend(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<UserId>,
    body: web::Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = crate::domain::input::reason(&body.into_inner().reason, "suspension")?;
    set_suspended(&pool, state, user.id, path.into_inner(), Some(reason)).await
}

/// Lift an account's suspension (admin).
#[utoipa::path(post, path = "/api/admin/users/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = AccountView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "cannot_suspend_admin", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/users/{id}/unsuspend")]
pub async fn unsuspend(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    set_suspended(&pool, state, user.id, path.into_inner(), None).await
}

async fn set_suspended(
    pool: &PgPool,
    state: web::Data<AppState>,
    admin: UserId,
    id: UserId,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let st = state.clone();
    let view = db::run_tx(pool, "suspend_user", move |conn| {
        Ok(oversight::set_suspended(
            conn,
            &st.registry,
            admin,
            id,
            reason.as_deref(),
        )?)
    })
    .await?;
    // The keyholders learn the change now (or from the release loop, which
    // retries): until they confirm the new root, no root is usable.
    if let Err(e) =
        crate::services::registry::announce_pending(pool, state.keyholder.as_ref()).await
    {
        tracing::warn!("registry revocation not yet confirmed by the keyholders: {e}");
    }
    Ok(HttpResponse::Ok().json(view))
}

/// Verify a contributor account (admin; the reason — what was checked, off
/// the platform — goes to the audit log): it may then contribute to
/// campaigns for verified accounts.
#[utoipa::path(post, path = "/api/admin/users/{id}/verify", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")), request_body = SuspendRequest,
    responses((status = 200, body = AccountView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "already_verified, not_a_contributor", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_reason", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/users/{id}/verify")]
pub async fn verify(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<UserId>,
    body: web::Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = crate::domain::input::reason(&body.into_inner().reason, "verification")?;
    let (admin, id, st) = (user.id, path.into_inner(), state.clone());
    let view = db::run_tx(&pool, "verify_user", move |conn| {
        Ok(oversight::verify(conn, &st.registry, admin, id, &reason)?)
    })
    .await?;
    if let Err(e) =
        crate::services::registry::announce_pending(&pool, state.keyholder.as_ref()).await
    {
        tracing::warn!("verified leaf not yet confirmed by the keyholders: {e}");
    }
    Ok(HttpResponse::Ok().json(view))
}

/// Unlock an account locked after many failed logins (admin).
#[utoipa::path(post, path = "/api/admin/users/{id}/unlock", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = AccountView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "not_locked", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/users/{id}/unlock")]
pub async fn unlock(
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "unlock_user", move |conn| {
        Ok(oversight::unlock(conn, admin, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Most entries (1-500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Only entries with an id below this (next page).
    pub before: Option<i64>,
}

/// The audit log of admin actions, newest first (admin).
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<audit::AuditEntry>),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/audit")]
pub async fn audit_list(
    pool: web::Data<PgPool>,
    _admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(query.limit, 100, 500)?;
    let before = query.before;
    let list = db::with_conn(&pool, move |conn| Ok(audit::list(conn, limit, before)?)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The keyholder's decryption log (every release and refusal), newest
/// first, as the keyholder keeps it (admin).
#[utoipa::path(get, path = "/api/admin/decryptions", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<DecryptionEntry>),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/decryptions")]
pub async fn decryptions(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let entries = state.keyholder.decryptions().await?;
    let entries = entries
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<Vec<DecryptionEntry>, _>>()
        .map_err(|e| ApiError::internal(format!("keyholder decryption log: {e}")))?;
    Ok(HttpResponse::Ok().json(entries))
}

/// One entry of the keyholder's decryption log: a release, or a refusal of
/// one of its two rounds. Fields the keyholder did not write are absent;
/// any it writes besides these are passed on as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecryptionEntry {
    /// When the keyholder logged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The campaign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<u64>,
    /// The report (job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<u64>,
    /// The release round: `noise` or `decrypt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    /// Who asked (`server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// `released` or `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The refusal's code (empty when released).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The buyer the report was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<i64>,
    /// The statistics asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Vec<Statistic>>,
    /// Contributions covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// ε spent, in millionths (0 for a refusal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_micro: Option<u64>,
    /// SHA-256 of the squashed ciphertext it partially decrypted (releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub squashed_digest: Option<String>,
    /// Anything else the keyholder logged, as it logged it.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Quality signals of a campaign (admin): acceptance and refusals by reason,
/// submissions per hour, released out-of-range counts.
#[utoipa::path(get, path = "/api/admin/campaigns/{id}/quality", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = oversight::Quality),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/admin/campaigns/{id}/quality")]
pub async fn quality(
    pool: web::Data<PgPool>,
    _admin: Admin,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let q = db::with_conn(&pool, move |conn| Ok(oversight::quality(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(q))
}

/// Suspend an open or approved campaign (admin): contributions are refused
/// (`campaign_not_open`) until it is resumed. The reason is shown as its
/// `review_reason`.
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")), request_body = SuspendRequest,
    responses((status = 200, body = crate::store::campaigns::CampaignView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_reason", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/campaigns/{id}/suspend")]
pub async fn suspend_campaign(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<CampaignId>,
    body: web::Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = crate::domain::input::reason(&body.into_inner().reason, "suspension")?;
    campaign_suspension(&pool, &state, user.id, path.into_inner(), Some(reason)).await
}

/// Resume a suspended campaign (admin): open again.
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/resume", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = crate::store::campaigns::CampaignView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/admin/campaigns/{id}/resume")]
pub async fn resume_campaign(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    campaign_suspension(&pool, &state, user.id, path.into_inner(), None).await
}

async fn campaign_suspension(
    pool: &PgPool,
    state: &AppState,
    admin: UserId,
    id: CampaignId,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let view = db::run_tx(pool, "suspend_campaign", move |conn| {
        let v = crate::services::campaigns::set_suspended(conn, admin, id, reason.as_deref())?;
        audit::record(
            conn,
            Some(admin),
            if reason.is_some() {
                "suspend_campaign"
            } else {
                "resume_campaign"
            },
            &format!("campaign:{id}"),
            serde_json::json!({"reason": reason}),
        )?;
        Ok(v)
    })
    .await?;
    state.open_list.clear();
    Ok(HttpResponse::Ok().json(view))
}
