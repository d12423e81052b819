//! Login sessions (their tokens stored only as SHA-256).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::sessions;

/// Opens a session of user `user_id` whose token hashes to `token_hash`.
pub fn insert(
    conn: &mut PgConnection,
    user_id: i64,
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
