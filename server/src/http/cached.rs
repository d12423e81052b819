//! A response body served with a strong ETag (the campaigns' material,
//! the attestation and claim proving keys), and its answer to a request
//! (`304 Not Modified` when the client holds it already).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

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

/// Whether the request's `If-None-Match` names `etag` (or `*`).
fn etag_matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// `c` as the answer to `req`: 304 when the client holds it, else the
/// bytes, each with the ETag and `cache` as `Cache-Control`.
pub fn cached_response(
    req: &HttpRequest,
    c: &Cached,
    content_type: &str,
    cache: &str,
) -> HttpResponse {
    if etag_matches(req, &c.etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, c.etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache.to_string()))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, c.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache.to_string()))
        .content_type(content_type.to_string())
        .body(c.bytes.clone())
}
