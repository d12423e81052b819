//! Accounts: register, login, logout, me.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
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
use crate::login_guard;
use crate::schema::{account_notices, sessions, users};
use crate::throttle::ClientAddr;

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

#[derive(Clone, Queryable, Selectable)]
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
              (status = 422, description = "invalid_email, invalid_role, password_too_short, password_too_weak", body = ErrorBody),
              (status = 429, description = "rate_limited (Retry-After)", body = ErrorBody)))]
#[post(
    "/api/auth/register",
    wrap = "actix_web::middleware::from_fn(crate::throttle::registrations)"
)]
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
    // argon2 (tens of milliseconds) with no database connection held; a
    // taken e-mail costs the same hash.
    let hash = {
        let (password, email) = (req.password, email.clone());
        web::block(move || new_password_hash(password, &email))
            .await
            .map_err(ApiError::internal)??
    };
    let address = email.as_str().to_string();
    let role = req.role;
    db::run_tx(&pool, "register", move |c| {
        let created: Option<i64> = diesel::insert_into(users::table)
            .values((
                users::email.eq(email.as_str()),
                users::password_hash.eq(&hash),
                users::role.eq(role.as_str()),
            ))
            .on_conflict(users::email)
            .do_nothing()
            .returning(users::id)
            .get_result(c)
            .optional()?;
        match created {
            Some(id) => {
                ledger::wallet_of(c, id)?;
            }
            None => {
                let owner: i64 = users::table
                    .filter(users::email.eq(email.as_str()))
                    .select(users::id)
                    .first(c)?;
                diesel::insert_into(account_notices::table)
                    .values((
                        account_notices::user_id.eq(owner),
                        account_notices::kind.eq("registration_attempt"),
                    ))
                    .execute(c)?;
                tracing::info!(
                    user_id = owner,
                    "registration attempted with a taken e-mail"
                );
            }
        }
        Ok(())
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
              (status = 401, description = "invalid_credentials", body = ErrorBody),
              (status = 403, description = "account_suspended, account_locked", body = ErrorBody),
              (status = 429, description = "too_many_attempts (backoff per address), rate_limited (Retry-After)", body = ErrorBody)))]
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
    let user: Option<UserRow> = {
        let (limits, address, account) = (limits.clone(), address.clone(), account.clone());
        db::run_tx(&pool, "login_admit", move |conn| {
            login_guard::admit(conn, &limits, &address, &account)?;
            Ok(users::table
                .filter(users::email.eq(&account))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?)
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
        .map_err(ApiError::internal)?
        && user.is_some();
    // 3. Record the outcome; a session for the right password.
    let resp = db::run_tx(&pool, "login_outcome", move |conn| {
        let Some(UserRow {
            id,
            email,
            role,
            created_at,
            suspended_at,
            ..
        }) = user.clone().filter(|_| ok)
        else {
            if login_guard::failed(conn, &limits, &account)? {
                tracing::warn!("login name locked after repeated failed logins");
            }
            return Ok(Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong e-mail or password",
            )));
        };
        login_guard::succeeded(conn, &limits, &address, &account)?;
        if suspended_at.is_some() {
            return Ok(Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "account_suspended",
                "this account is suspended",
            )));
        }
        let role =
            Role::parse(&role).ok_or_else(|| ApiError::internal(format!("bad role {role}")))?;
        let token = auth::new_token();
        let expires_at = Utc::now() + Duration::seconds(ttl);
        diesel::insert_into(sessions::table)
            .values((
                sessions::user_id.eq(id),
                sessions::token_hash.eq(&token.hash),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(Ok(LoginResponse {
            token: token.token,
            expires_at,
            user: UserView {
                id,
                email,
                role,
                created_at,
            },
        }))
    })
    .await??;
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
