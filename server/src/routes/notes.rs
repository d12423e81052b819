//! Reward notes: the notes tree every device downloads whole, the campaigns
//! that paid notes, the claim circuit's proving key, and claims.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::db::PgPool;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::routes::contributions::{proving_key_response, KeyQuery};
use crate::services::notes::{self, MAX_PAGE};
use crate::state::AppState;
use crate::store::tx;
use protocol::wire::{ClaimReceipt, ClaimRequest, NoteCampaign, NotesPage};

/// Which leaves to read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Index of the first leaf (default 0).
    #[param(minimum = 0)]
    pub from: Option<u64>,
    /// At most this many leaves (1 to 10,000; default 10,000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

/// Leaves of the notes tree from `from` on, with the root over the first
/// `leaf_count` leaves (no session: every device downloads every leaf, so
/// reading says nothing about which notes are one's own).
#[utoipa::path(get, path = "/api/notes", tag = "notes", params(PageQuery),
    responses((status = 200, body = NotesPage),
              (status = 400, response = resp::BadQuery),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/notes")]
pub async fn page(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let from = query.from.unwrap_or(0);
    let limit = crate::domain::input::page_limit(
        query.limit.map(|l| l.min(i64::MAX as u64) as i64),
        MAX_PAGE as i64,
        MAX_PAGE as i64,
    )? as u64;
    let page = tx::with_conn(&pool, move |conn| state.notes.page(conn, from, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Every campaign that paid reward notes, with its reward: what a device
/// needs to find its notes again from its identity secret alone.
#[utoipa::path(get, path = "/api/notes/campaigns", tag = "notes",
    responses((status = 200, body = Vec<NoteCampaign>),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/notes/campaigns")]
pub async fn campaigns(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let list = tx::with_conn(&pool, notes::paying_campaigns).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The Groth16 proving key of the claim circuit, uncompressed arkworks
/// bytes (the form whose SHA-256 the keyholders signed, `GET
/// /api/attestation/keys`).
#[utoipa::path(get, path = "/api/claims/proving-key", tag = "notes",
    params(KeyQuery),
    responses((status = 200, description = "application/octet-stream"),
              (status = 304, description = "not modified"),
              (status = 400, response = resp::BadQuery),
              (status = 404, response = resp::NotFound),
              (status = 502, response = resp::KeyholderFailed)))]
#[get("/api/claims/proving-key")]
pub async fn proving_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.attestation.get(state.keyholder.as_ref()).await?;
    proving_key_response(&req, &keys.claim_proving_key, &query)
}

/// Claim up to four reward notes into a wallet. No session: the Groth16
/// proof shows the notes are the claimant's without saying which notes they
/// are, and reveals each note's nullifier so it is paid once.
#[utoipa::path(post, path = "/api/claims", tag = "notes",
    request_body = ClaimRequest,
    responses((status = 201, body = ClaimReceipt),
              (status = 400, response = resp::BadBody),
              (status = 403, description = "destination_suspended", body = ErrorBody),
              (status = 409, description = "stale_notes_root, note_spent", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_claim, invalid_destination, claim_invalid", body = ErrorBody),
              (status = 429, response = resp::RateLimited),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, response = resp::Unavailable)))]
#[post(
    "/api/claims",
    // Claims share the anonymous submissions' per-client limit: both ask
    // the server to verify a proof for nobody in particular.
    wrap = "actix_web::middleware::from_fn(crate::throttle::submissions)"
)]
pub async fn claim(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    body: web::Json<ClaimRequest>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.attestation.get(state.keyholder.as_ref()).await?;
    let receipt = notes::claim(
        &pool,
        keys.claim_verifying_key.clone(),
        body.into_inner(),
        state.recent_root_secs,
    )
    .await?;
    Ok(HttpResponse::Created().json(receipt))
}
