//! Accounts: register, login, logout, me.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, AuthUser};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{password, Email, PasswordError, PasswordPlain, Role};
use crate::error::{ApiError, ErrorBody};
use crate::ledger;
use crate::schema::{login_failures, sessions, users};

/// Registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address (the login name).
    pub email: String,
    /// At least 8 characters, not a common password.
    pub password: String,
    /// `contributor` or `buyer` (admins are created with the CLI).
    pub role: Role,
}

/// A user as answered by the API.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// User id.
    pub id: i64,
    /// E-mail address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Created.
    pub created_at: DateTime<Utc>,
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

/// A new session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token: send `Authorization: Bearer <token>`.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: UserView,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    email: String,
    password_hash: String,
    role: String,
    created_at: DateTime<Utc>,
    suspended_at: Option<DateTime<Utc>>,
}

fn password_error(e: PasswordError) -> ApiError {
    let code = match e {
        PasswordError::TooShort => "password_too_short",
        PasswordError::TooLong => "password_too_long",
        PasswordError::TooWeak(_) => "password_too_weak",
    };
    ApiError::unprocessable(code, e.to_string())
}

/// Creates a user with a wallet. Shared by the API and the CLI.
pub fn create_user(
    conn: &mut PgConnection,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<UserView, ApiError> {
    let (id, created_at): (i64, DateTime<Utc>) = diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
        ))
        .returning((users::id, users::created_at))
        .get_result(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict("email_taken", "an account with this e-mail already exists")
            }
            other => other.into(),
        })?;
    ledger::wallet_of(conn, id)?;
    Ok(UserView {
        id,
        email: email.as_str().to_string(),
        role,
        created_at,
    })
}

/// Parses and hashes a new password (slow: call off the executor).
pub fn new_password_hash(raw: String, email: &Email) -> Result<String, ApiError> {
    let pw = PasswordPlain::parse(raw, email.as_str()).map_err(password_error)?;
    password::hash(pw.secret()).map_err(ApiError::internal)
}

/// Register a contributor or buyer account.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = UserView),
              (status = 409, description = "email_taken", body = ErrorBody),
              (status = 422, description = "invalid_email, invalid_role, password_too_short, password_too_weak", body = ErrorBody)))]
#[post("/api/auth/register")]
pub async fn register(
    pool: web::Data<PgPool>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let email = Email::parse(&req.email)
        .map_err(|e| ApiError::unprocessable("invalid_email", e.to_string()))?;
    if req.role == Role::Admin {
        return Err(ApiError::unprocessable(
            "invalid_role",
            "admins are created by an operator with `cipherpool create-admin`",
        ));
    }
    let user = db::with_conn(&pool, move |conn| {
        let hash = new_password_hash(req.password, &email)?;
        db::run_tx_sync(conn, "register", |c| {
            create_user(c, &email, &hash, req.role)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(user))
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "too many failed logins; wait a few minutes and try again",
    )
}

/// Log in and get a bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse),
              (status = 401, description = "invalid_credentials", body = ErrorBody),
              (status = 403, description = "account_suspended", body = ErrorBody),
              (status = 429, description = "too_many_attempts", body = ErrorBody)))]
#[post("/api/auth/login")]
pub async fn login(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    let account_key = email.trim().to_lowercase();
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let limits = settings.login.clone();
    let ttl = settings.session_ttl_secs;
    let resp = db::with_conn(&pool, move |conn| {
        let since = Utc::now() - Duration::seconds(limits.window_secs);
        let count = |conn: &mut PgConnection, scope: &str, key: &str| -> Result<i64, ApiError> {
            Ok(login_failures::table
                .filter(login_failures::scope.eq(scope))
                .filter(login_failures::key.eq(key))
                .filter(login_failures::failed_at.gt(since))
                .count()
                .get_result(conn)?)
        };
        if count(conn, "account", &account_key)? >= limits.max_per_account
            || count(conn, "ip", &ip)? >= limits.max_per_ip
        {
            return Err(too_many());
        }
        let user: Option<UserRow> = users::table
            .filter(users::email.eq(&account_key))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?;
        let candidate = SecretString::from(password);
        // Unknown accounts verify against a dummy hash: same argon2 cost.
        let stored = user
            .as_ref()
            .map(|u| u.password_hash.as_str())
            .unwrap_or(password::dummy_hash());
        let ok = password::verify(stored, &candidate) && user.is_some();
        let Some(UserRow {
            id,
            email,
            role,
            created_at,
            suspended_at,
            ..
        }) = user.filter(|_| ok)
        else {
            diesel::insert_into(login_failures::table)
                .values(&vec![
                    (
                        login_failures::scope.eq("account"),
                        login_failures::key.eq(&account_key),
                    ),
                    (login_failures::scope.eq("ip"), login_failures::key.eq(&ip)),
                ])
                .execute(conn)?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong e-mail or password",
            ));
        };
        if suspended_at.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "account_suspended",
                "this account is suspended",
            ));
        }
        let role =
            Role::parse(&role).ok_or_else(|| ApiError::internal(format!("bad role {role}")))?;
        diesel::delete(
            login_failures::table
                .filter(login_failures::scope.eq("account"))
                .filter(login_failures::key.eq(&account_key)),
        )
        .execute(conn)?;
        let token = auth::new_token();
        let expires_at = Utc::now() + Duration::seconds(ttl);
        diesel::insert_into(sessions::table)
            .values((
                sessions::user_id.eq(id),
                sessions::token_hash.eq(&token.hash),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(LoginResponse {
            token: token.token,
            expires_at,
            user: UserView {
                id,
                email,
                role,
                created_at,
            },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(resp))
}

/// Revoke the current session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "logged out"), (status = 401, body = ErrorBody)))]
#[post("/api/auth/logout")]
pub async fn logout(pool: web::Data<PgPool>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    db::with_conn(&pool, move |conn| {
        diesel::update(sessions::table.find(user.session_id))
            .set(sessions::revoked_at.eq(Utc::now()))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
#[get("/api/auth/me")]
pub async fn me(pool: web::Data<PgPool>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let created_at: DateTime<Utc> = db::with_conn(&pool, move |conn| {
        Ok(users::table
            .find(user.id)
            .select(users::created_at)
            .first(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserView {
        id: user.id,
        email: user.email,
        role: user.role,
        created_at,
    }))
}
