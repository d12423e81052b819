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
