//! Sessions: opaque random bearer tokens (stored only as SHA-256), and the
//! `AuthUser` extractor that every protected handler takes.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{self, PgPool};
use crate::domain::Role;
use crate::error::ApiError;
use crate::schema::{sessions, users};

/// Prefix of every session token, so leaked tokens are easy to recognise.
const TOKEN_PREFIX: &str = "cps_";

/// A fresh session token and its stored hash.
pub struct NewToken {
    /// Given to the client once.
    pub token: String,
    /// Stored in `sessions.token_hash`.
    pub hash: String,
}

/// Generates a 256-bit random token.
pub fn new_token() -> NewToken {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&token);
    NewToken { token, hash }
}

/// SHA-256 of a token, hex-encoded. Tokens are 256-bit random values, so a
/// fast hash suffices (no dictionary to attack).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id.
    pub id: i64,
    /// E-mail address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// The session used.
    pub session_id: i64,
}

impl AuthUser {
    /// Refuses the request unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "this action needs the role {}; you are {}",
                names.join(" or "),
                self.role.as_str()
            )))
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("missing Authorization: Bearer <token> header"))?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthenticated("Authorization must be 'Bearer <token>'"))?
        .trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(ApiError::unauthenticated("invalid session token"));
    }
    Ok(token.to_string())
}

type SessionRow = (
    i64,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i64,
    String,
    String,
    Option<DateTime<Utc>>,
);

/// Looks a token up: live session of a non-suspended user.
pub fn lookup(conn: &mut PgConnection, token: &str) -> Result<AuthUser, ApiError> {
    let row: Option<SessionRow> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(hash_token(token)))
        .select((
            sessions::id,
            sessions::expires_at,
            sessions::revoked_at,
            users::id,
            users::email,
            users::role,
            users::suspended_at,
        ))
        .first(conn)
        .optional()?;
    let (session_id, expires_at, revoked_at, id, email, role, suspended_at) =
        row.ok_or_else(|| ApiError::unauthenticated("invalid session token"))?;
    if revoked_at.is_some() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "session_revoked",
            "this session was logged out; log in again",
        ));
    }
    if expires_at <= Utc::now() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "session_expired",
            "this session has expired; log in again",
        ));
    }
    if suspended_at.is_some() {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "account_suspended",
            "this account is suspended",
        ));
    }
    let role =
        Role::parse(&role).ok_or_else(|| ApiError::internal(format!("bad role {role:?}")))?;
    Ok(AuthUser {
        id,
        email,
        role,
        session_id,
    })
}

/// A request's session token, not yet looked up: for handlers that read
/// the database anyway, so the session check runs on the same pooled
/// connection as the handler's own query (`Bearer::user`) instead of in a
/// checkout of its own, as `AuthUser` does.
#[derive(Clone)]
pub struct Bearer(String);

impl Bearer {
    /// The live session's user (see `lookup`), on `conn`.
    pub fn user(&self, conn: &mut PgConnection) -> Result<AuthUser, ApiError> {
        lookup(conn, &self.0)
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(bearer(req).map(Bearer))
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let pool = req.app_data::<web::Data<PgPool>>().cloned();
        Box::pin(async move {
            let token = token?;
            let pool = pool.ok_or_else(|| ApiError::internal("no database pool configured"))?;
            db::with_conn(&pool, move |conn| lookup(conn, &token)).await
        })
    }
}
