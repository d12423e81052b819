//! Idempotency keys for state-changing payment endpoints.
//!
//! The client sends `Idempotency-Key: <1-255 visible ASCII characters>`. The
//! key is scoped to the caller. Within the same transaction as the payment we
//! look the key up: the same key with the same request (method, path, body)
//! answers the stored response without doing anything again; the same key with
//! a different request is refused with 422 `idempotency_key_reused`. A new key
//! runs the operation and stores its response in that transaction, so the
//! record exists exactly when the payment does. Two racing requests with one
//! new key: the second's insert conflicts, its transaction rolls back and is
//! retried, and it then answers the stored response. Failed requests store
//! nothing and may be retried with the same key.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::PgConnection;
use sha2::{Digest, Sha256};

use crate::db::{self, PgPool};
use crate::domain::UserId;
use crate::http::error::ApiError;
use crate::store::idempotency as store;

/// The header name.
pub const HEADER: &str = "Idempotency-Key";

/// A parsed idempotency key.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a raw key: 1-255 visible ASCII characters.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ApiError::bad_request(
                "idempotency_key_invalid",
                "Idempotency-Key must be 1-255 visible ASCII characters",
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// Reads and checks the header.
    pub fn from_request(req: &HttpRequest) -> Result<Self, ApiError> {
        let value = req.headers().get(HEADER).ok_or_else(|| {
            ApiError::bad_request(
                "idempotency_key_missing",
                "this endpoint moves tokens: send an Idempotency-Key header",
            )
        })?;
        Self::parse(value.to_str().unwrap_or_default())
    }
}

/// Hash identifying a request: method, path and the canonical JSON body.
pub fn request_hash(req: &HttpRequest, body: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    // serde_json's Value keeps object keys sorted (no preserve_order), so
    // this is canonical for equal bodies.
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Runs `op` at most once per (user, key) inside the caller's transaction.
/// Returns the status, the body, and whether it was a replay.
pub fn run_once_in_tx<F>(
    conn: &mut PgConnection,
    user_id: UserId,
    key: &IdempotencyKey,
    hash: &str,
    op: F,
) -> Result<(StatusCode, serde_json::Value, bool), ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<(StatusCode, serde_json::Value), ApiError>,
{
    if let Some(stored) = store::lock(conn, user_id, &key.0)? {
        let (status, body) = (stored.response_status, stored.response_body);
        if stored.request_hash != hash {
            return Err(ApiError::unprocessable(
                "idempotency_key_reused",
                "this Idempotency-Key was already used for a different request",
            ));
        }
        let status = StatusCode::from_u16(status as u16)
            .map_err(|e| ApiError::internal(format!("stored status: {e}")))?;
        return Ok((status, body, true));
    }
    let (status, body) = op(conn)?;
    store::insert(conn, user_id, &key.0, hash, status.as_u16() as i16, &body).map_err(
        |e| match e {
            // A concurrent request with the same key committed first: roll
            // back and retry, which then replays its response.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict("idempotency_conflict", "concurrent request with this key")
                    .retryable()
            }
            other => other.into(),
        },
    )?;
    Ok((status, body, false))
}

/// Runs `op` at most once per (user, key) in its own transaction and answers
/// the (possibly replayed) response: see the module docs.
pub async fn run_once<F>(
    pool: &PgPool,
    name: &'static str,
    user_id: UserId,
    key: IdempotencyKey,
    hash: String,
    op: F,
) -> Result<HttpResponse, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<(StatusCode, serde_json::Value), ApiError> + Send + 'static,
{
    let (status, body, replayed) = db::run_tx(pool, name, move |conn| {
        run_once_in_tx(conn, user_id, &key, &hash, &op)
    })
    .await?;
    let mut resp = HttpResponse::build(status);
    if replayed {
        resp.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(resp.json(body))
}
