//! Accounts: register, login, logout, me. The rules are
//! `services::accounts` (and the login guard's); these handlers extract,
//! keep argon2 off the executor and out of any transaction, and answer.

use actix_web::{get, post, web, HttpResponse};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{password, Email, Role};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::services::accounts::{self, AccountError};
use crate::services::accounts::{new_password_hash, LoginResponse, UserView};
use crate::services::login_guard;
use crate::store::{sessions, users};
use crate::throttle::ClientAddr;

/// Registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address (the login name).
    #[schema(
        min_length = 3,
        max_length = 254,
        pattern = r"^\s*[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+\s*$"
    )]
    pub email: String,
    /// 8-128 characters, not a common password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// `contributor` or `buyer` (admins are created with the CLI).
    pub role: Role,
}

/// Login request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// The answer to every well-formed registration, whether or not the e-mail
/// already had an account (so it does not tell which e-mails do).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisterAnswer {
    /// The login name, normalised.
    pub email: String,
    /// What happens next.
    pub message: String,
}

/// Register a contributor or buyer account. A well-formed registration is
/// always answered `202` the same way: if the e-mail already has an
/// account, nothing changes and its owner is notified out of band
/// (`account_notices`); otherwise the account exists now. Either way the
/// next step is to log in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 202, body = RegisterAnswer),
              (status = 400, response = resp::BadBody),
              (status = 413, description = "payload_too_large", body = ErrorBody),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_email, invalid_role, password_too_short, password_too_long, password_too_weak", body = ErrorBody),
              (status = 429, response = resp::RateLimited),
              (status = 503, response = resp::Unavailable)))]
#[post(
    "/api/auth/register",
    wrap = "actix_web::middleware::from_fn(crate::throttle::registrations)"
)]
pub async fn register(
    pool: web::Data<PgPool>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let email = Email::parse(&req.email).map_err(|e| AccountError::InvalidEmail(e.to_string()))?;
    let role = accounts::registrable(req.role)?;
    // argon2 (tens of milliseconds) with no database connection held; a
    // taken e-mail costs the same hash.
    let hash = {
        let (password, email) = (req.password, email.clone());
        web::block(move || new_password_hash(password, &email))
            .await
            .map_err(ApiError::internal)??
    };
    let address = email.as_str().to_string();
    db::run_tx(&pool, "register", move |c| {
        Ok(accounts::register(c, &email, &hash, role)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(RegisterAnswer {
        email: address,
        message: "If this e-mail had no account, it has one now: log in with it. \
                  If it had one, nothing changed and its owner was told."
            .into(),
    }))
}

/// Log in and get a bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse),
              (status = 400, response = resp::BadBody),
              (status = 401, description = "invalid_credentials", body = ErrorBody),
              (status = 403, description = "account_suspended, account_locked", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 429, description = "too_many_attempts (backoff per address), rate_limited (Retry-After)", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post(
    "/api/auth/login",
    wrap = "actix_web::middleware::from_fn(crate::throttle::logins)"
)]
pub async fn login(
    client: ClientAddr,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let account = email.trim().to_lowercase();
    let address = client.key();
    let limits = settings.login.clone();
    let ttl = settings.session_ttl_secs;

    // 1. Admit the attempt (counted as a failure until it succeeds) and
    //    read the account.
    let user = {
        let (limits, address, account) = (limits.clone(), address.clone(), account.clone());
        db::run_tx(&pool, "login_admit", move |conn| {
            login_guard::admit(conn, &limits, &address, &account)?;
            Ok(users::by_email(conn, &account)?)
        })
        .await?
    };
    // 2. argon2 with no connection held. Unknown accounts verify against a
    //    dummy hash: the same cost.
    let stored = user.as_ref().map_or_else(
        || password::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let ok = web::block(move || password::verify(&stored, &SecretString::from(password)))
        .await
        .map_err(ApiError::internal)?;
    let user = user.filter(|_| ok);
    // 3. Record the outcome; a session for the right password.
    let resp = db::run_tx(&pool, "login_outcome", move |conn| {
        if user.is_some() {
            login_guard::succeeded(conn, &limits, &address, &account)?;
        } else if login_guard::failed(conn, &limits, &account)? {
            tracing::warn!("login name locked after repeated failed logins");
        }
        Ok(accounts::open_session(conn, user.clone(), ttl)?)
    })
    .await??;
    Ok(HttpResponse::Ok().json(resp))
}

/// Revoke the current session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "logged out"),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/auth/logout")]
pub async fn logout(pool: web::Data<PgPool>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    db::with_conn(&pool, move |conn| {
        Ok(sessions::revoke(conn, user.session_id)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Suspended),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/auth/me")]
pub async fn me(pool: web::Data<PgPool>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let created_at = db::with_conn(&pool, move |conn| Ok(users::created_at(conn, id)?)).await?;
    Ok(HttpResponse::Ok().json(UserView {
        id: user.id,
        email: user.email,
        role: user.role,
        created_at,
    }))
}
