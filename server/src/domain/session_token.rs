//! Session tokens: 256 random bits behind a recognisable prefix, stored
//! only as their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of every session token, so leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "cps_";

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

/// Why a request's session does not authorise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// No `Authorization` header.
    #[error("missing Authorization: Bearer <token> header")]
    Missing,
    /// The header is not text.
    #[error("malformed Authorization header")]
    Malformed,
    /// The header is not `Bearer <token>`.
    #[error("Authorization must be 'Bearer <token>'")]
    NotBearer,
    /// No live session has this token.
    #[error("invalid session token")]
    Invalid,
    /// The session was logged out.
    #[error("this session was logged out; log in again")]
    Revoked,
    /// The session expired.
    #[error("this session has expired; log in again")]
    Expired,
    /// The account is suspended.
    #[error("this account is suspended")]
    Suspended,
    /// The caller's role may not do this.
    #[error("this action needs the role {needed}; you are {actual}")]
    WrongRole {
        /// The roles that may (`a or b`).
        needed: String,
        /// The caller's role.
        actual: &'static str,
    },
}
