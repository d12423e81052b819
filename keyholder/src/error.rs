//! The one place where the keyholder's errors become HTTP responses, with
//! the server's body shape: `{"error": {"code": "...", "message": "..."}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::release::{Refusal, ReleaseError};
use crate::store::StoreError;
use crate::terms::TermsError;

/// An error answered to the caller.
#[derive(Debug)]
pub struct KeyholderError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl KeyholderError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 422 with a code: a malformed part of a request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 `internal`; the detail is logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal keyholder error",
        )
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for KeyholderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl ResponseError for KeyholderError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .json(json!({"error": {"code": self.code, "message": self.message}}))
    }
}

impl From<Refusal> for KeyholderError {
    fn from(r: Refusal) -> Self {
        use Refusal as R;
        let status = match &r {
            R::NoCampaignKeys(_) => StatusCode::NOT_FOUND,
            R::TermsUnknown(_)
            | R::ReleaseConflict(_)
            | R::BudgetExhausted { .. }
            | R::CampaignFrozen { .. }
            | R::NotPrepared(_) => StatusCode::CONFLICT,
            R::StatisticsNotInTerms(_)
            | R::InvalidManifest
            | R::BelowMinContributors { .. }
            | R::InvalidEpsilon
            | R::InvalidWeights(_)
            | R::NothingToDecrypt
            | R::NotAJobAggregate(_)
            | R::DigestMismatch(_)
            | R::ContributionInvalid(_)
            | R::AggregateMismatch
            | R::NoiseInvalid(_)
            | R::AttestationInvalid(_)
            | R::UnknownRoot(_)
            | R::NullifierReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, r.code(), r.to_string())
    }
}

impl From<ReleaseError> for KeyholderError {
    fn from(e: ReleaseError) -> Self {
        match e {
            ReleaseError::Refused(r) => r.into(),
            ReleaseError::Failed(detail) => Self::internal(detail),
        }
    }
}

impl From<TermsError> for KeyholderError {
    fn from(e: TermsError) -> Self {
        let status = match e {
            TermsError::Differ => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<StoreError> for KeyholderError {
    fn from(e: StoreError) -> Self {
        Self::internal(e)
    }
}

/// Turns actix's JSON extractor failures into the error body.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => KeyholderError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            err.to_string(),
        ),
        _ => KeyholderError::new(StatusCode::BAD_REQUEST, "invalid_body", err.to_string()),
    };
    e.into()
}
