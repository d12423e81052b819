//! Sessions: opaque random bearer tokens (stored only as SHA-256), the
//! `AuthUser` extractor that every protected handler takes, and the role
//! extractors (`Admin`, `Buyer`, `Contributor`, `WalletHolder`,
//! `BuyerOrAdmin`) that refuse any other role (403) before the handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::prelude::*;

use crate::db::{self, PgPool};
use crate::domain::session_token::{hash_token, SessionError, TOKEN_PREFIX};
use crate::domain::{Role, UserId};
use crate::http::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id.
    pub id: UserId,
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
            Err(SessionError::WrongRole {
                needed: names.join(" or "),
                actual: self.role.as_str(),
            }
            .into())
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<String, SessionError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(SessionError::Missing)?;
    let value = header.to_str().map_err(|_| SessionError::Malformed)?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or(SessionError::NotBearer)?
        .trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(SessionError::Invalid);
    }
    Ok(token.to_string())
}

/// Looks a token up: live session of a non-suspended user.
pub fn lookup(conn: &mut PgConnection, token: &str) -> Result<AuthUser, ApiError> {
    let crate::store::sessions::SessionOwner {
        session_id,
        expires_at,
        revoked_at,
        id,
        email,
        role,
        suspended_at,
    } = crate::store::sessions::by_token_hash(conn, &hash_token(token))?
        .ok_or(SessionError::Invalid)?;
    if revoked_at.is_some() {
        return Err(SessionError::Revoked.into());
    }
    if expires_at <= Utc::now() {
        return Err(SessionError::Expired.into());
    }
    if suspended_at.is_some() {
        return Err(SessionError::Suspended.into());
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
        std::future::ready(bearer(req).map(Bearer).map_err(ApiError::from))
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req).map_err(ApiError::from);
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
/// checked before the handler runs. (Actix extracts a handler's arguments
/// together: a malformed or mistyped JSON body may be answered 400/415
/// before the role is; the handler itself never runs for another role.)
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
