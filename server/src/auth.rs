//! Sessions: opaque random bearer tokens (stored only as SHA-256), the
//! `AuthUser` extractor that every protected handler takes, and the role
//! extractors (`Admin`, `Buyer`, `Contributor`, `WalletHolder`,
//! `BuyerOrAdmin`) that refuse any other role (403) before the handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::{self, PgPool};
use crate::domain::session_token::{hash_token, TOKEN_PREFIX};
use crate::domain::Role;
use crate::http::error::ApiError;
use crate::schema::{sessions, users};

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

/// Declares an extractor for callers of the given roles: a live session
/// (`AuthUser`: 401 without one) of one of `roles` (403 otherwise),
/// checked before the handler runs and before its body is read.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident: $($role:ident),+) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl $name {
            /// The roles this extractor admits.
            pub const ROLES: &'static [Role] = &[$(Role::$role),+];
        }

        impl std::ops::Deref for $name {
            type Target = AuthUser;
            fn deref(&self) -> &AuthUser {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

            fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
                let user = AuthUser::from_request(req, payload);
                Box::pin(async move {
                    let user = user.await?;
                    user.require(Self::ROLES)?;
                    Ok(Self(user))
                })
            }
        }
    };
}

role_extractor!(
    /// An administrator.
    Admin: Admin
);
role_extractor!(
    /// A buyer.
    Buyer: Buyer
);
role_extractor!(
    /// A contributor.
    Contributor: Contributor
);
role_extractor!(
    /// An account with a wallet to withdraw from: a contributor or a buyer.
    WalletHolder: Contributor, Buyer
);
role_extractor!(
    /// A buyer (acting on its own campaigns) or an administrator.
    BuyerOrAdmin: Buyer, Admin
);
