//! Stored answers of requests made with an `Idempotency-Key`, per user.

use diesel::prelude::*;

use crate::domain::UserId;
use crate::schema::idempotency_keys;

/// A stored answer.
#[derive(Debug, Queryable)]
pub struct Stored {
    /// Hash of the request it answered.
    pub request_hash: String,
    /// Its HTTP status.
    pub response_status: i16,
    /// Its JSON body.
    pub response_body: serde_json::Value,
}

/// The answer stored for `user_id`'s `key`, locked until the caller's
/// transaction ends.
pub fn lock(conn: &mut PgConnection, user_id: UserId, key: &str) -> QueryResult<Option<Stored>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .for_update()
        .first(conn)
        .optional()
}

/// Stores the answer to `user_id`'s `key` (loses on the unique key when a
/// concurrent request with the same key committed first).
pub fn insert(
    conn: &mut PgConnection,
    user_id: UserId,
    key: &str,
    request_hash: &str,
    status: i16,
    body: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}
