//! The error responses many operations share, as OpenAPI response
//! components (`#/components/responses/...`), each an [`ErrorBody`] with the
//! codes it can carry. Operations name them in their `responses(...)`; the
//! document lists them once (see `crate::openapi`).

use utoipa::ToResponse;

use super::error::ErrorBody;

/// `unauthenticated` (no, malformed or unknown bearer token),
/// `session_revoked`, `session_expired`.
#[derive(ToResponse)]
pub struct Unauthenticated(pub ErrorBody);

/// `account_suspended`: the caller's account is suspended.
#[derive(ToResponse)]
pub struct Suspended(pub ErrorBody);

/// `forbidden`: the caller's role may not do this; `account_suspended`.
#[derive(ToResponse)]
pub struct Forbidden(pub ErrorBody);

/// `not_found`: no such resource, or a path segment that is not a valid id.
#[derive(ToResponse)]
pub struct NotFound(pub ErrorBody);

/// `invalid_query`: an unknown query parameter, a value of the wrong type or
/// out of its range.
#[derive(ToResponse)]
pub struct BadQuery(pub ErrorBody);

/// `malformed_json`, `unknown_field`, `invalid_body`: the JSON body does not
/// parse or does not fit its schema.
#[derive(ToResponse)]
pub struct BadBody(pub ErrorBody);

/// `idempotency_key_missing`, `idempotency_key_invalid`: the operation moves
/// tokens and needs a valid `Idempotency-Key` header.
#[derive(ToResponse)]
pub struct BadKey(pub ErrorBody);

/// `malformed_json`, `unknown_field`, `invalid_body` (the JSON body),
/// `idempotency_key_missing`, `idempotency_key_invalid` (the header).
#[derive(ToResponse)]
pub struct BadBodyOrKey(pub ErrorBody);

/// `payload_too_large`: the body exceeds the server's limit.
#[derive(ToResponse)]
pub struct TooLarge(pub ErrorBody);

/// `unsupported_media_type`: the body must be sent as `application/json`.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(pub ErrorBody);

/// `rate_limited`: too many requests from this address; see `Retry-After`.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32, description = "seconds to wait")))]
pub struct RateLimited(pub ErrorBody);

/// `database_unavailable`: no database connection could be had; try again.
#[derive(ToResponse)]
pub struct Unavailable(pub ErrorBody);

/// `keyholder_unavailable`, `keyholder_unauthorized`, `keyholder_refused`:
/// the keyholder could not be reached or refused.
#[derive(ToResponse)]
pub struct KeyholderFailed(pub ErrorBody);

/// `method_not_allowed`: the path does not support this method; `Allow`
/// lists those it does.
#[derive(ToResponse)]
#[response(headers(("Allow" = String, description = "the methods the path supports")))]
pub struct MethodNotAllowed(pub ErrorBody);
