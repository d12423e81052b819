//! The one place where errors become HTTP responses: a stable machine-readable
//! `code`, a human message, and the status. Body shape:
//! `{"error": {"code": "insufficient_funds", "message": "..."}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::Error as DieselError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::input::InputError;
use crate::domain::session_token::SessionError;
use crate::domain::PasswordError;
use crate::services::accounts::AccountError;
use crate::services::campaigns::CampaignError;
use crate::services::contributions::SubmissionError;
use crate::services::login_guard::Throttled;
use crate::services::notes::NotesError;
use crate::services::oversight::OversightError;
use crate::services::registry::RegistryError;
use crate::services::reports::ReportError;
use crate::services::withdrawals::WithdrawalError;
use crate::store::ledger::LedgerError;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retryable: bool,
    retry_after: Option<u32>,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `insufficient_funds`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }

    /// 503 `busy`, with a `Retry-After` of `secs` seconds.
    pub fn busy(message: impl Into<String>, secs: u32) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message);
        e.retry_after = Some(secs);
        e
    }

    /// 429 `rate_limited`, with a `Retry-After` of `secs` seconds.
    pub fn rate_limited(message: impl Into<String>, secs: u32) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after = Some(secs);
        e
    }

    /// This error with a `Retry-After` of `secs` seconds.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409 with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 with `code`.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 500 `internal`; the detail is logged, not sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }

    /// 503 when no database connection could be had.
    pub fn from_pool(e: impl std::fmt::Display) -> Self {
        tracing::error!("database pool: {e}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; try again",
        )
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(length: usize, limit: usize) -> Self {
        let msg = if length > 0 {
            format!("body of {length} bytes exceeds the limit of {limit} bytes")
        } else {
            format!("body exceeds the limit of {limit} bytes")
        };
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", msg)
    }

    /// Marks this error as worth retrying the whole transaction for.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl crate::store::tx::Retryable for ApiError {
    /// Whether [`crate::db::run_tx`] should retry the transaction.
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            r.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        r.json(ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
            },
        })
    }
}

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match &e {
            e if crate::store::is_transient(e) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "concurrent update; try again",
            )
            .retryable(),
            // Every lookup whose absence is the client's business answers
            // `Option` and its service names what is missing (404 with
            // that name); a row missing anywhere else is a broken
            // invariant, not a client error.
            DieselError::NotFound => Self::internal("a row the request needs is missing"),
            _ => Self::internal(e),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::InsufficientFunds { .. } => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_funds",
                e.to_string(),
            ),
            LedgerError::SameAccount => Self::unprocessable("same_account", e.to_string()),
            LedgerError::NoSuchAccount(_) => Self::not_found(e.to_string()),
            LedgerError::Db(db) => db.into(),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        use AccountError as A;
        match e {
            A::InvalidEmail(_) => Self::unprocessable("invalid_email", e.to_string()),
            A::AdminSelfRegistration => Self::unprocessable("invalid_role", e.to_string()),
            A::Password(ref p) => {
                let code = match p {
                    PasswordError::TooShort => "password_too_short",
                    PasswordError::TooLong => "password_too_long",
                    PasswordError::TooWeak(_) => "password_too_weak",
                };
                Self::unprocessable(code, e.to_string())
            }
            A::EmailTaken => Self::conflict("email_taken", e.to_string()),
            A::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                e.to_string(),
            ),
            A::Suspended => Self::new(StatusCode::FORBIDDEN, "account_suspended", e.to_string()),
            A::Hash(_) | A::Corrupt(_) => Self::internal(e),
            A::Ledger(l) => l.into(),
            A::Db(db) => db.into(),
        }
    }
}

impl From<WithdrawalError> for ApiError {
    fn from(e: WithdrawalError) -> Self {
        use WithdrawalError as W;
        match e {
            W::InvalidAmount(_) => Self::unprocessable("invalid_amount", e.to_string()),
            W::InvalidAddress => Self::unprocessable("invalid_address", e.to_string()),
            W::NotFound(_) => Self::not_found(e.to_string()),
            W::AlreadyDecided { .. } => Self::conflict("invalid_state", e.to_string()),
            W::Ledger(l) => l.into(),
            W::Db(db) => db.into(),
        }
    }
}

impl From<CampaignError> for ApiError {
    fn from(e: CampaignError) -> Self {
        use CampaignError as C;
        match e {
            C::InvalidTitle => Self::unprocessable("invalid_title", e.to_string()),
            C::InvalidDescription => Self::unprocessable("invalid_description", e.to_string()),
            C::Schema(s) => s.into(),
            C::InvalidAmount { .. } | C::BudgetBelowReward => {
                Self::unprocessable("invalid_amount", e.to_string())
            }
            C::InvalidMinContributors => {
                Self::unprocessable("invalid_min_contributors", e.to_string())
            }
            C::InvalidEpsilon => Self::unprocessable("invalid_epsilon", e.to_string()),
            C::InvalidDelta(_) => Self::unprocessable("invalid_delta", e.to_string()),
            C::NoteTooLong => Self::unprocessable("invalid_reason", e.to_string()),
            C::NotFound(_) => Self::not_found(e.to_string()),
            C::WrongState { .. } => Self::conflict("invalid_state", e.to_string()),
            C::Keyholder(k) => k.into(),
            C::Ledger(l) => l.into(),
            C::Corrupt(_) => Self::internal(e),
            C::Unavailable(u) => u.into(),
            C::Db(db) => db.into(),
        }
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        let msg = e.to_string();
        match e {
            InputError::Limit { .. } => Self::bad_request("invalid_query", msg),
            InputError::Reason { .. } => Self::unprocessable("invalid_reason", msg),
            InputError::Memo => Self::unprocessable("invalid_memo", msg),
        }
    }
}

/// The 400 for a JSON body that does not parse into the expected type
/// (also what the JSON extractor answers, through [`json_error`]).
pub fn body_error(e: &serde_json::Error) -> ApiError {
    if e.is_syntax() || e.is_eof() {
        ApiError::bad_request("malformed_json", format!("malformed JSON: {e}"))
    } else if e.to_string().starts_with("unknown field") {
        ApiError::bad_request("unknown_field", e.to_string())
    } else {
        ApiError::bad_request("invalid_body", e.to_string())
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        use SessionError as S;
        let msg = e.to_string();
        match e {
            S::Missing | S::Malformed | S::NotBearer | S::Invalid => Self::unauthenticated(msg),
            S::Revoked => Self::new(StatusCode::UNAUTHORIZED, "session_revoked", msg),
            S::Expired => Self::new(StatusCode::UNAUTHORIZED, "session_expired", msg),
            S::Suspended => Self::new(StatusCode::FORBIDDEN, "account_suspended", msg),
            S::WrongRole { .. } => Self::forbidden(msg),
        }
    }
}

impl From<Throttled> for ApiError {
    fn from(e: Throttled) -> Self {
        let msg = e.to_string();
        match e {
            Throttled::Locked => Self::new(StatusCode::FORBIDDEN, "account_locked", msg),
            Throttled::Backoff { retry_after_secs } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", msg)
                    .with_retry_after(retry_after_secs)
            }
            Throttled::Db(db) => db.into(),
        }
    }
}

impl From<OversightError> for ApiError {
    fn from(e: OversightError) -> Self {
        use OversightError as O;
        let msg = e.to_string();
        match e {
            O::UserNotFound(_) | O::CampaignNotFound(_) => Self::not_found(msg),
            O::CannotSuspendAdmin => Self::conflict("cannot_suspend_admin", msg),
            O::NotLocked => Self::conflict("not_locked", msg),
            O::NotAContributor => Self::conflict("not_a_contributor", msg),
            O::AlreadyVerified => Self::conflict("already_verified", msg),
            O::Registry(r) => r.into(),
            O::Db(db) => db.into(),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        use RegistryError as R;
        let msg = e.to_string();
        match e {
            R::IdentityExists => Self::conflict("identity_exists", msg),
            R::CommitmentTaken => Self::conflict("commitment_taken", msg),
            R::InvalidCommitment(_) => Self::unprocessable("invalid_commitment", msg),
            R::NoIdentity | R::NoLeaf(_) => Self::not_found(msg),
            R::Corrupt(_) => Self::internal(msg),
            R::Keyholder(k) => k.into(),
            R::Unavailable(u) => u.into(),
            R::Db(db) => db.into(),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        use ReportError as R;
        let msg = e.to_string();
        match e {
            R::CampaignNotFound(_) => Self::not_found(msg),
            R::WrongState { .. } => Self::conflict("invalid_state", msg),
            R::NothingToRelease => Self::unprocessable("nothing_to_release", msg),
            R::BelowMinContributors { .. } => Self::conflict("below_min_contributors", msg),
            R::InvalidEpsilon | R::EpsilonAboveBudget(_) => {
                Self::unprocessable("invalid_epsilon", msg)
            }
            R::InvalidWeights(_) => Self::unprocessable("invalid_weights", msg),
            R::BudgetExhausted { .. } => Self::conflict("privacy_budget_exhausted", msg),
            R::InsufficientFunds { .. } => {
                Self::new(StatusCode::PAYMENT_REQUIRED, "insufficient_funds", msg)
            }
            R::Amount(a) => a.into(),
            R::Corrupt(_) => Self::internal(msg),
            R::Ledger(l) => l.into(),
            R::Db(db) => db.into(),
        }
    }
}

impl From<SubmissionError> for ApiError {
    fn from(e: SubmissionError) -> Self {
        use fhe_compute::ContributionError as Ct;
        use StatusCode as H;
        use SubmissionError as S;
        let msg = e.to_string();
        let (status, code) = match e {
            S::CampaignNotFound(_) => return Self::not_found(msg),
            S::CampaignNotOpen { .. } | S::ClosedMeanwhile => (H::CONFLICT, "campaign_not_open"),
            S::CampaignFull(_) => (H::CONFLICT, "campaign_full"),
            S::StaleRoot => (H::CONFLICT, "stale_root"),
            S::NullifierUsed => (H::CONFLICT, "nullifier_used"),
            S::CiphertextDuplicate => (H::CONFLICT, "ciphertext_duplicate"),
            S::Ciphertext(Ct::TooLarge { .. }) => (H::PAYLOAD_TOO_LARGE, "ciphertext_too_large"),
            S::CiphertextNotBase64 | S::Ciphertext(Ct::Malformed(_)) => {
                (H::UNPROCESSABLE_ENTITY, "ciphertext_malformed")
            }
            S::Ciphertext(Ct::LayoutMismatch(_)) => {
                (H::UNPROCESSABLE_ENTITY, "ciphertext_layout_mismatch")
            }
            S::Ciphertext(Ct::ProofInvalid) => (H::UNPROCESSABLE_ENTITY, "zk_proof_invalid"),
            S::PublicInputCount(_) => (H::UNPROCESSABLE_ENTITY, "attestation_public_inputs"),
            S::AttestationMalformed(_) => (H::UNPROCESSABLE_ENTITY, "attestation_malformed"),
            S::WrongCampaign => (H::UNPROCESSABLE_ENTITY, "attestation_wrong_campaign"),
            S::WrongTier(_) => (H::FORBIDDEN, "not_eligible"),
            S::BindingMismatch => (H::UNPROCESSABLE_ENTITY, "attestation_binding_mismatch"),
            S::AttestationInvalid => (H::UNPROCESSABLE_ENTITY, "attestation_invalid"),
            S::InvalidNoteKey => (H::UNPROCESSABLE_ENTITY, "invalid_note_key"),
            S::Notes(n) => return n.into(),
            S::EscrowEmpty => (H::PAYMENT_REQUIRED, "escrow_empty"),
            S::Amount(a) => return a.into(),
            S::Corrupt(_) => return Self::internal(msg),
            S::Ledger(l) => return l.into(),
            S::Unavailable(u) => return u.into(),
            S::Db(db) => return db.into(),
        };
        Self::new(status, code, msg)
    }
}

impl From<NotesError> for ApiError {
    fn from(e: NotesError) -> Self {
        use NotesError as N;
        use StatusCode as H;
        let msg = e.to_string();
        let (status, code) = match e {
            N::Malformed(_) => (H::UNPROCESSABLE_ENTITY, "invalid_claim"),
            N::StaleRoot => (H::CONFLICT, "stale_notes_root"),
            N::NoteSpent => (H::CONFLICT, "note_spent"),
            N::InvalidDestination => (H::UNPROCESSABLE_ENTITY, "invalid_destination"),
            N::DestinationSuspended => (H::FORBIDDEN, "destination_suspended"),
            N::InvalidProof => (H::UNPROCESSABLE_ENTITY, "claim_invalid"),
            // Every note was paid into the unclaimed account, so it always
            // covers a valid claim: a refusal is a broken invariant.
            N::Corrupt(_) | N::Ledger(LedgerError::InsufficientFunds { .. }) => {
                return Self::internal(msg)
            }
            N::Ledger(l) => return l.into(),
            N::Unavailable(u) => return u.into(),
            N::Db(db) => return db.into(),
        };
        Self::new(status, code, msg)
    }
}

impl From<crate::store::Unavailable> for ApiError {
    fn from(e: crate::store::Unavailable) -> Self {
        match e {
            crate::store::Unavailable::Pool(p) => Self::from_pool(p),
            crate::store::Unavailable::Blocking(_) => Self::internal(e),
        }
    }
}

impl From<keyholder_api::CallError> for ApiError {
    fn from(e: keyholder_api::CallError) -> Self {
        use keyholder_api::CallError as C;
        tracing::error!("keyholder: {e}");
        match e {
            C::Unavailable(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "keyholder_unavailable",
                "the keyholder could not be reached or did not answer; try again",
            ),
            C::Unauthorized => Self::new(
                StatusCode::BAD_GATEWAY,
                "keyholder_unauthorized",
                "the keyholder does not accept this server's token (CIPHERPOOL_KEYHOLDER_TOKEN)",
            ),
            C::Refused { code, message, .. } => Self::new(
                StatusCode::BAD_GATEWAY,
                "keyholder_refused",
                format!("the keyholder refused ({code}): {message}"),
            ),
        }
    }
}

impl From<protocol::SchemaError> for ApiError {
    fn from(e: protocol::SchemaError) -> Self {
        Self::unprocessable("invalid_schema", e.to_string())
    }
}

impl From<protocol::AmountError> for ApiError {
    fn from(e: protocol::AmountError) -> Self {
        Self::unprocessable("invalid_amount", e.to_string())
    }
}

/// Turns actix's JSON extractor failures into our error body.
pub fn json_error(err: actix_web::error::JsonPayloadError) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let api = match &err {
        J::OverflowKnownLength { length, limit } => ApiError::payload_too_large(*length, *limit),
        J::Overflow { limit } => ApiError::payload_too_large(0, *limit),
        J::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ),
        J::Deserialize(e) => body_error(e),
        other => ApiError::bad_request("invalid_body", other.to_string()),
    };
    api.into()
}
