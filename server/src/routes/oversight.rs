//! Admin oversight: users (suspend / unsuspend), campaign quality signals,
//! the audit log of admin actions and the keyholder's decryption log.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::db::{self, PgPool};
use crate::domain::Role;
use crate::http::error::{ApiError, ErrorBody};
use crate::schema::{audit_log, jobs, sessions, users};
use crate::state::AppState;
use crate::store::audit;

/// A user as admins see it.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserView {
    /// User id.
    pub id: i64,
    /// E-mail (login name).
    pub email: String,
    /// `contributor`, `buyer` or `admin`.
    pub role: String,
    /// When the account was suspended (it cannot log in or use a session).
    pub suspended_at: Option<DateTime<Utc>>,
    /// When the account was locked after many failed logins (unlock it with
    /// `POST /api/admin/users/{id}/unlock`).
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Nullable<Timestamptz>>(
        "(SELECT t.locked_at FROM login_throttle t WHERE t.scope = 'account' AND t.key = users.email)"
    ))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Nullable<Timestamptz>>)]
    pub locked_at: Option<DateTime<Utc>>,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

/// Listing filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Only this role.
    pub role: Option<String>,
    /// Most users returned (1-500, default 200).
    pub limit: Option<i64>,
}

fn limit(l: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let l = l.unwrap_or(default);
    if !(1..=max).contains(&l) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {max}"),
        ));
    }
    Ok(l)
}

/// Users, newest first (admin).
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
#[get("/api/admin/users")]
pub async fn users_list(
    pool: web::Data<PgPool>,
    _admin: Admin,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(query.limit, 200, 500)?;
    let role = query.role.clone();
    if let Some(r) = &role {
        if Role::parse(r).is_none() {
            return Err(ApiError::bad_request(
                "invalid_query",
                "role must be contributor, buyer or admin",
            ));
        }
    }
    let list = db::with_conn(&pool, move |conn| {
        let mut q = users::table
            .select(UserView::as_select())
            .order(users::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(r) = role {
            q = q.filter(users::role.eq(r));
        }
        Ok(q.load(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Why an account is suspended.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// The reason (1-2,000 characters), kept in the audit log.
    pub reason: String,
}

/// Suspend an account (admin): its sessions stop working and it cannot log in.
#[utoipa::path(post, path = "/api/admin/users/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")), request_body = SuspendRequest,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody),
              (status = 409, description = "cannot_suspend_admin", body = ErrorBody),
              (status = 422, description = "invalid_reason", body = ErrorBody)))]
#[post("/api/admin/users/{id}/suspend")]
pub async fn suspend(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<i64>,
    body: web::Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = super::required_reason(&body.into_inner().reason, "suspension")?;
    set_suspended(&pool, state, user.id, path.into_inner(), Some(reason)).await
}

/// Lift an account's suspension (admin).
#[utoipa::path(post, path = "/api/admin/users/{id}/unsuspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
#[post("/api/admin/users/{id}/unsuspend")]
pub async fn unsuspend(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    set_suspended(&pool, state, user.id, path.into_inner(), None).await
}

async fn set_suspended(
    pool: &PgPool,
    state: web::Data<AppState>,
    admin: i64,
    id: i64,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let registry = state.clone();
    let view = db::run_tx(pool, "suspend_user", move |conn| {
        let target: Option<UserView> = users::table
            .find(id)
            .select(UserView::as_select())
            .for_update()
            .first(conn)
            .optional()?;
        let target =
            target.ok_or_else(|| ApiError::not_found(format!("user {id} does not exist")))?;
        if target.role == Role::Admin.as_str() {
            return Err(ApiError::conflict(
                "cannot_suspend_admin",
                "admin accounts cannot be suspended here",
            ));
        }
        let suspended = reason.is_some();
        diesel::update(users::table.find(id))
            .set(users::suspended_at.eq(suspended.then(Utc::now)))
            .execute(conn)?;
        // Its identity leaf leaves the registry (new proofs under any
        // earlier root are refused), or comes back when the suspension
        // is lifted.
        registry.registry.set_revoked(conn, id, suspended)?;
        if suspended {
            // End its sessions too, so nothing it holds keeps working.
            diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(id))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(Some(Utc::now())))
            .execute(conn)?;
        }
        audit::record(
            conn,
            Some(admin),
            if suspended {
                "suspend_user"
            } else {
                "unsuspend_user"
            },
            &format!("user:{id}"),
            serde_json::json!({"reason": reason}),
        )?;
        Ok(users::table
            .find(id)
            .select(UserView::as_select())
            .first(conn)?)
    })
    .await?;
    // The keyholders learn the change now (or from the release loop, which
    // retries): until they confirm the new root, no root is usable.
    if let Err(e) = crate::registry::announce_pending(pool, state.keyholder.as_ref()).await {
        tracing::warn!("registry revocation not yet confirmed by the keyholders: {e}");
    }
    Ok(HttpResponse::Ok().json(view))
}

/// Unlock an account locked after many failed logins (admin).
#[utoipa::path(post, path = "/api/admin/users/{id}/unlock", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody),
              (status = 409, description = "not_locked", body = ErrorBody)))]
#[post("/api/admin/users/{id}/unlock")]
pub async fn unlock(
    pool: web::Data<PgPool>,
    user: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (admin, id) = (user.id, path.into_inner());
    let view = db::run_tx(&pool, "unlock_user", move |conn| {
        let target: UserView = users::table
            .find(id)
            .select(UserView::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("user {id} does not exist")))?;
        if !crate::login_guard::unlock(conn, &target.email)? {
            return Err(ApiError::conflict(
                "not_locked",
                "this account is not locked",
            ));
        }
        audit::record(
            conn,
            Some(admin),
            "unlock_user",
            &format!("user:{id}"),
            serde_json::json!({}),
        )?;
        Ok(users::table
            .find(id)
            .select(UserView::as_select())
            .first(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// One admin action.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// The admin (none for the CLI).
    pub actor_id: Option<i64>,
    /// The admin's e-mail.
    pub actor_email: Option<String>,
    /// What was done (`approve_campaign`, `reject_campaign`, `close_campaign`,
    /// `mint`, `suspend_user`, `unsuspend_user`, `unlock_user`, `create_admin`).
    pub action: String,
    /// To what (`campaign:7`, `user:3`).
    pub subject: String,
    /// Details (reason, amount, ...).
    pub detail: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Most entries (1-500, default 100).
    pub limit: Option<i64>,
    /// Only entries with an id below this (next page).
    pub before: Option<i64>,
}

/// The audit log of admin actions, newest first (admin).
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)))]
#[get("/api/admin/audit")]
pub async fn audit_list(
    pool: web::Data<PgPool>,
    _admin: Admin,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(query.limit, 100, 500)?;
    let before = query.before;
    let list = db::with_conn(&pool, move |conn| {
        let mut q = audit_log::table
            .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
            .select((
                audit_log::id,
                audit_log::actor_id,
                users::email.nullable(),
                audit_log::action,
                audit_log::subject,
                audit_log::detail,
                audit_log::created_at,
            ))
            .order(audit_log::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(b) = before {
            q = q.filter(audit_log::id.lt(b));
        }
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            Option<i64>,
            Option<String>,
            String,
            String,
            serde_json::Value,
            DateTime<Utc>,
        )> = q.load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, actor_id, actor_email, action, subject, detail, created_at)| AuditEntry {
                    id,
                    actor_id,
                    actor_email,
                    action,
                    subject,
                    detail,
                    created_at,
                },
            )
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The keyholder's decryption log (every release and refusal), newest
/// first, as the keyholder keeps it (admin).
#[utoipa::path(get, path = "/api/admin/decryptions", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody),
              (status = 502, description = "keyholder_unavailable", body = ErrorBody)))]
#[get("/api/admin/decryptions")]
pub async fn decryptions(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let entries = state.keyholder.decryptions().await?;
    Ok(HttpResponse::Ok().json(entries))
}

/// Refusals of one reason.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct ReasonCount {
    /// The refusal code (`zk_proof_invalid`, `nullifier_used`, ...).
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Submissions in one hour.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct HourCount {
    /// Start of the hour.
    #[diesel(sql_type = Timestamptz)]
    pub hour: DateTime<Utc>,
    /// Accepted contributions.
    #[diesel(sql_type = BigInt)]
    pub accepted: i64,
    /// Refused submissions.
    #[diesel(sql_type = BigInt)]
    pub rejected: i64,
}

/// An out-of-range count, as released (noised) with a report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutOfRange {
    /// The field.
    pub field: String,
    /// Released (noised) count of values outside the declared range.
    pub count: serde_json::Value,
    /// The report that released it.
    pub report_id: i64,
}

/// Quality signals of a campaign.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Quality {
    /// The campaign.
    pub campaign_id: i64,
    /// Accepted contributions.
    pub accepted: i64,
    /// Refused submissions by reason.
    pub rejected: Vec<ReasonCount>,
    /// Accepted and refused per hour, oldest first (last 7 days).
    pub per_hour: Vec<HourCount>,
    /// The homomorphic out-of-range counts of the latest released report.
    pub out_of_range: Vec<OutOfRange>,
}

/// Quality signals of a campaign (admin): acceptance and refusals by reason,
/// submissions per hour, released out-of-range counts.
#[utoipa::path(get, path = "/api/admin/campaigns/{id}/quality", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = Quality), (status = 404, body = ErrorBody)))]
#[get("/api/admin/campaigns/{id}/quality")]
pub async fn quality(
    pool: web::Data<PgPool>,
    _admin: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let q = db::with_conn(&pool, move |conn| {
        let campaign = crate::campaigns::get(conn, id)?
            .ok_or_else(|| ApiError::not_found(format!("campaign {id} does not exist")))?;
        let rejected: Vec<ReasonCount> = diesel::sql_query(
            "SELECT reason, sum(count)::BIGINT AS count FROM rejection_counts \
             WHERE campaign_id = $1 GROUP BY reason ORDER BY sum(count) DESC, reason",
        )
        .bind::<BigInt, _>(id)
        .load(conn)?;
        let per_hour: Vec<HourCount> = diesel::sql_query(
            "SELECT hour, sum(a)::BIGINT AS accepted, sum(r)::BIGINT AS rejected FROM ( \
               SELECT date_trunc('hour', created_at) AS hour, 1 AS a, 0 AS r FROM contributions \
                 WHERE campaign_id = $1 AND created_at > now() - interval '7 days' \
               UNION ALL \
               SELECT hour, 0, count FROM rejection_counts \
                 WHERE campaign_id = $1 AND hour > now() - interval '7 days') t \
             GROUP BY hour ORDER BY hour",
        )
        .bind::<BigInt, _>(id)
        .load(conn)?;
        let latest: Option<(i64, Option<serde_json::Value>)> = jobs::table
            .filter(jobs::campaign_id.eq(id))
            .filter(jobs::status.eq(crate::store::jobs::JobState::Released))
            .order(jobs::id.desc())
            .select((jobs::id, jobs::result))
            .first(conn)
            .optional()?;
        let out_of_range = match latest {
            Some((report_id, Some(result))) => result["derived"]["out_of_range"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| OutOfRange {
                            field: e["field"].as_str().unwrap_or_default().to_string(),
                            count: e["count"].clone(),
                            report_id,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(Quality {
            campaign_id: id,
            accepted: campaign.contributions,
            rejected,
            per_hour,
            out_of_range,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(q))
}

/// Suspend an open or approved campaign (admin): contributions are refused
/// (`campaign_not_open`) until it is resumed. The reason is shown as its
/// `review_reason`.
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/suspend", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")), request_body = SuspendRequest,
    responses((status = 200, body = crate::campaigns::CampaignView), (status = 404, body = ErrorBody),
              (status = 409, description = "invalid_state", body = ErrorBody),
              (status = 422, description = "invalid_reason", body = ErrorBody)))]
#[post("/api/admin/campaigns/{id}/suspend")]
pub async fn suspend_campaign(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<i64>,
    body: web::Json<SuspendRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = super::required_reason(&body.into_inner().reason, "suspension")?;
    campaign_suspension(&pool, &state, user.id, path.into_inner(), Some(reason)).await
}

/// Resume a suspended campaign (admin): open again.
#[utoipa::path(post, path = "/api/admin/campaigns/{id}/resume", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = crate::campaigns::CampaignView), (status = 404, body = ErrorBody),
              (status = 409, description = "invalid_state", body = ErrorBody)))]
#[post("/api/admin/campaigns/{id}/resume")]
pub async fn resume_campaign(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    campaign_suspension(&pool, &state, user.id, path.into_inner(), None).await
}

async fn campaign_suspension(
    pool: &PgPool,
    state: &AppState,
    admin: i64,
    id: i64,
    reason: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let view = db::run_tx(pool, "suspend_campaign", move |conn| {
        let v = crate::campaigns::set_suspended(conn, admin, id, reason.as_deref())?;
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
