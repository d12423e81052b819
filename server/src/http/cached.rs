//! A response body served with a strong ETag (the campaigns' material,
//! the attestation proving key).

/// Bytes served as they are, with their strong ETag.
pub struct Cached {
    /// The body.
    pub bytes: actix_web::web::Bytes,
    /// Its strong ETag: the quoted SHA-256 of the body, hex.
    pub etag: String,
}

impl Cached {
    /// `bytes` with the SHA-256 of them as ETag.
    pub fn of(bytes: impl Into<actix_web::web::Bytes>) -> Self {
        use sha2::Digest;
        let bytes = bytes.into();
        let etag = format!("\"{}\"", hex::encode(sha2::Sha256::digest(&bytes)));
        Self { bytes, etag }
    }

    /// The SHA-256 of the body, hex (the ETag without its quotes).
    pub fn sha256_hex(&self) -> &str {
        self.etag.trim_matches('"')
    }
}
