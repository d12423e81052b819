//! Login sessions (their tokens stored only as SHA-256).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::domain::UserId;
use crate::schema::{sessions, users};

/// Opens a session of user `user_id` whose token hashes to `token_hash`.
pub fn insert(
    conn: &mut PgConnection,
    user_id: UserId,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::token_hash.eq(token_hash),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Ends session `id` now.
pub fn revoke(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::revoked_at.eq(Utc::now()))
        .execute(conn)
        .map(|_| ())
}

/// Ends every open session of user `user_id` now.
pub fn revoke_all_of(conn: &mut PgConnection, user_id: UserId) -> QueryResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Some(Utc::now())))
    .execute(conn)
    .map(|_| ())
}

/// A session with its user, as a token lookup reads it.
#[derive(Debug, Queryable)]
pub struct SessionOwner {
    /// The session.
    pub session_id: i64,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// When it was logged out.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user.
    pub id: UserId,
    /// The user's e-mail.
    pub email: String,
    /// The user's stored role.
    pub role: String,
    /// When the user was suspended.
    pub suspended_at: Option<DateTime<Utc>>,
}

/// The session whose token hashes to `token_hash`, with its user.
pub fn by_token_hash(
    conn: &mut PgConnection,
    token_hash: &str,
) -> QueryResult<Option<SessionOwner>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
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
        .optional()
}
