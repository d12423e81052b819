//! What contributors need: a campaign's key material, the attestation
//! proving key, and the submission endpoint itself (no session needed).

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::prelude::*;
use protocol::attestation::{CIRCUIT_VERSION, TREE_DEPTH};
use protocol::record::layout;
use protocol::schema::RawSchema;
use protocol::CampaignSchema;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::sync::Arc;

use crate::db::{self, PgPool};
use crate::domain::CampaignId;
use crate::http::cached::{cached_response, Cached};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::services::contributions::{self, Acceptor, RootWindow};
use crate::state::{AppState, CampaignMaterial};
use crate::store::campaigns::{self, Status};
use protocol::wire::{CircuitKeys, Receipt, Submission};

pub use protocol::wire::Material;

/// The keyholders' identities (share index, key set id, Ed25519 signing
/// key), asked of each keyholder now. What the pages show as fingerprints;
/// a client that trusts this server for them gains nothing — the extension
/// and the native client pin the keys out of band.
#[utoipa::path(get, path = "/api/keyholders", tag = "contributions",
    responses((status = 200, body = KeyholderList),
              (status = 502, response = resp::KeyholderFailed)))]
#[get("/api/keyholders")]
pub async fn keyholders(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ids = state.keyholder.identities().await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(KeyholderList {
            keyholders: ids.into_iter().map(KeyholderView::from).collect(),
        }))
}

/// The keyholders, in share order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyholderList {
    /// Each keyholder's identity.
    pub keyholders: Vec<KeyholderView>,
}

/// Who a keyholder is: its share of which key set, and the Ed25519 key it
/// signs with (`keyholder_api::KeyholderIdentity` as the API answers it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyholderView {
    /// Its share index, `0..parties`.
    pub index: u32,
    /// How many keyholders hold a share of the key set.
    pub parties: u32,
    /// The key set's id (SHA-256 of its public key), hex.
    pub key_id: String,
    /// Its Ed25519 public key, hex: what clients pin.
    pub signing_key: String,
    /// SHA-256 of the attestation circuit's verifying key it checks
    /// contributors' eligibility with, hex.
    pub attestation_key: String,
    /// SHA-256 of the claim circuit's verifying key (reward-note claims), hex.
    pub claim_key: String,
}

impl From<keyholder_api::KeyholderIdentity> for KeyholderView {
    fn from(k: keyholder_api::KeyholderIdentity) -> Self {
        // Destructured whole: a field added to the identity fails to compile here.
        let keyholder_api::KeyholderIdentity {
            index,
            parties,
            key_id,
            signing_key,
            attestation_key,
            claim_key,
        } = k;
        Self {
            index,
            parties,
            key_id,
            signing_key,
            attestation_key,
            claim_key,
        }
    }
}

/// The status of campaign `id`: 404 when it does not exist, 409 when it is
/// not open (one indexed row; the material itself is cached).
async fn require_open(pool: &PgPool, id: CampaignId) -> Result<(), ApiError> {
    match db::with_conn(pool, move |conn| Ok(campaigns::status(conn, id)?)).await? {
        None => Err(ApiError::not_found(format!("campaign {id} does not exist"))),
        Some(s) if s != Status::Open => Err(ApiError::conflict(
            "campaign_not_open",
            format!("campaign {id} is {}, not open", s.as_str()),
        )),
        Some(_) => Ok(()),
    }
}

/// Builds campaign `id`'s material once: the JSON answer and the binary
/// public key and CRS, each with its strong ETag.
fn load_material(conn: &mut PgConnection, id: CampaignId) -> Result<CampaignMaterial, ApiError> {
    let campaigns::MaterialRow {
        title,
        schema,
        schema_version,
        reward,
        eligibility,
    } = campaigns::material_row(conn, id)?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id} does not exist")))?;
    let campaigns::SignedKeys {
        public_key,
        crs,
        key_fingerprint: fp,
        signed_terms,
        signatures,
    } = campaigns::signed_keys(conn, id)?
        .ok_or_else(|| ApiError::internal(format!("open campaign {id} has no keys")))?;
    let terms = signed_terms
        .map(serde_json::from_value)
        .transpose()
        .map_err(ApiError::internal)?;
    let signatures = serde_json::from_value(signatures).map_err(ApiError::internal)?;
    let raw: RawSchema = serde_json::from_value(schema).map_err(ApiError::internal)?;
    let parsed = CampaignSchema::parse(raw).map_err(ApiError::internal)?;
    let fp32 = <[u8; 32]>::try_from(fp.as_slice()).map_err(ApiError::internal)?;
    let (public_key_bytes, crs_bytes) = (Cached::of(public_key), Cached::of(crs));
    let m = Material {
        campaign_id: id.get(),
        title,
        layout: layout(&parsed),
        // The very form the keyholders were sent and signed.
        schema: parsed.to_raw(),
        schema_version,
        reward,
        eligibility: protocol::attestation::Tier::parse(&eligibility)
            .ok_or_else(|| ApiError::internal(format!("stored eligibility {eligibility:?}")))?,
        key_fingerprint: hex::encode(&fp),
        proof_metadata: STANDARD.encode(fhe_compute::keys::proof_metadata(
            id.get() as u64,
            schema_version as u32,
            &fp32,
        )),
        circuit_version: CIRCUIT_VERSION,
        tree_depth: TREE_DEPTH,
        circuit_keys_url: crate::attestation::CIRCUIT_KEYS_PATH.into(),
        public_key_url: format!("/api/campaigns/{id}/material/public-key"),
        public_key_sha256: public_key_bytes.sha256_hex().to_string(),
        crs_url: format!("/api/campaigns/{id}/material/crs"),
        crs_sha256: crs_bytes.sha256_hex().to_string(),
        terms,
        signatures,
    };
    Ok(CampaignMaterial {
        json: Cached::of(serde_json::to_vec(&m).map_err(ApiError::internal)?),
        public_key: public_key_bytes,
        crs: crs_bytes,
    })
}

/// Campaign `id`'s material if it is open: built once per process (a
/// campaign's keys, schema and terms never change once approved), so a
/// request costs one status lookup, not a CRS read and encoding.
async fn open_material(
    pool: &PgPool,
    state: &AppState,
    id: CampaignId,
) -> Result<Arc<CampaignMaterial>, ApiError> {
    if let Err(e) = require_open(pool, id).await {
        // A campaign that is no longer open gives its memory back.
        state.material.forget(id);
        return Err(e);
    }
    let cell = state.material.cell(id)?;
    let m = cell
        .get_or_try_init(|| {
            let pool = pool.clone();
            async move {
                db::with_conn(&pool, move |conn| load_material(conn, id))
                    .await
                    .map(Arc::new)
            }
        })
        .await?;
    Ok(m.clone())
}

/// Key material of an open campaign (cache-friendly: ETag / If-None-Match).
/// The public key and CRS are also served alone, as binary, at
/// `public_key_url` and `crs_url` with their SHA-256 as strong ETags.
#[utoipa::path(get, path = "/api/campaigns/{id}/material", tag = "contributions",
    params(("id" = i64, Path, description = "campaign id")),
    responses((status = 200, body = Material),
              (status = 304, description = "not modified"),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "campaign_not_open", body = ErrorBody),
              (status = 429, response = resp::RateLimited),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, response = resp::Unavailable)))]
#[get(
    "/api/campaigns/{id}/material",
    wrap = "actix_web::middleware::from_fn(crate::throttle::material)"
)]
pub async fn material(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let m = open_material(&pool, &state, path.into_inner()).await?;
    // Revalidated on every use: the campaign may close.
    Ok(cached_response(
        &req,
        &m.json,
        "application/json",
        "no-cache",
    ))
}

/// Which binary part of a campaign's material.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaterialPart {
    /// The compact public key.
    PublicKey,
    /// The zk-pok CRS.
    Crs,
}

/// The public key or the CRS of an open campaign, as binary
/// (`application/octet-stream`), immutable: the strong ETag is its SHA-256,
/// named in the material JSON, and caches may keep it for a year.
#[utoipa::path(get, path = "/api/campaigns/{id}/material/{part}", tag = "contributions",
    params(("id" = i64, Path, description = "campaign id"),
           ("part" = String, Path, description = "`public-key` or `crs`")),
    responses((status = 200, description = "application/octet-stream"),
              (status = 304, description = "not modified"),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "campaign_not_open", body = ErrorBody),
              (status = 429, response = resp::RateLimited),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, response = resp::Unavailable)))]
#[get(
    "/api/campaigns/{id}/material/{part}",
    wrap = "actix_web::middleware::from_fn(crate::throttle::material)"
)]
pub async fn material_part(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    path: web::Path<(CampaignId, MaterialPart)>,
) -> Result<HttpResponse, ApiError> {
    let (id, part) = path.into_inner();
    let m = open_material(&pool, &state, id).await?;
    let c = match part {
        MaterialPart::PublicKey => &m.public_key,
        MaterialPart::Crs => &m.crs,
    };
    Ok(cached_response(
        &req,
        c,
        "application/octet-stream",
        "public, max-age=31536000, immutable",
    ))
}

/// The Groth16 proving keys' hashes as every keyholder signed them, and
/// where the keys are served: a client proves only with key bytes whose
/// SHA-256 every keyholder it pins signed.
#[utoipa::path(get, path = "/api/attestation/keys", tag = "contributions",
    responses((status = 200, body = CircuitKeys),
              (status = 502, response = resp::KeyholderFailed)))]
#[get("/api/attestation/keys")]
pub async fn circuit_keys(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let keys = state.attestation.get(state.keyholder.as_ref()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(&keys.circuit_keys))
}

/// `?sha256=`: the hash of the key the client expects.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    /// SHA-256 of the key, hex, as `GET /api/attestation/keys` names it: the
    /// key is served only if it is that one, and then marked immutable.
    pub sha256: Option<String>,
}

/// One of the proving keys, content-addressed when `?sha256=` names it.
pub fn proving_key_response(
    req: &HttpRequest,
    key: &Cached,
    query: &KeyQuery,
) -> Result<HttpResponse, ApiError> {
    let cache =
        match &query.sha256 {
            None => "public, max-age=86400",
            Some(h) if h.eq_ignore_ascii_case(key.sha256_hex()) => {
                "public, max-age=31536000, immutable"
            }
            Some(_) => return Err(ApiError::not_found(
                "this server holds no proving key of that hash: fetch /api/attestation/keys again",
            )),
        };
    Ok(cached_response(req, key, "application/octet-stream", cache))
}

/// The Groth16 proving key of the attestation circuit, uncompressed
/// arkworks bytes (the form whose SHA-256 the keyholders signed).
#[utoipa::path(get, path = "/api/attestation/proving-key", tag = "contributions",
    params(KeyQuery),
    responses((status = 200, description = "application/octet-stream"),
              (status = 304, description = "not modified"),
              (status = 400, response = resp::BadQuery),
              (status = 404, response = resp::NotFound),
              (status = 502, response = resp::KeyholderFailed)))]
#[get("/api/attestation/proving-key")]
pub async fn proving_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<KeyQuery>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.attestation.get(state.keyholder.as_ref()).await?;
    proving_key_response(&req, &keys.proving_key, &query)
}

/// Submit an encrypted, attested contribution (no session: the Groth16
/// proof shows eligibility anonymously). Pays the reward into a reward note
/// bound by the attestation (`note_key`), to be claimed later: no account is
/// named.
#[utoipa::path(post, path = "/api/campaigns/{id}/contributions", tag = "contributions",
    params(("id" = i64, Path, description = "campaign id")),
    request_body = Submission,
    responses((status = 201, body = Receipt),
              (status = 400, response = resp::BadBody),
              (status = 402, description = "escrow_empty", body = ErrorBody),
              (status = 403, description = "not_eligible: the campaign admits verified identities only (or the proof goes through a verified leaf for an open campaign)", body = ErrorBody),
              (status = 404, response = resp::NotFound),
              (status = 409, description = "campaign_not_open, stale_root, nullifier_used, ciphertext_duplicate, campaign_full", body = ErrorBody),
              (status = 413, description = "payload_too_large, ciphertext_too_large", body = ErrorBody),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "ciphertext_malformed, ciphertext_layout_mismatch, zk_proof_invalid, attestation_public_inputs, attestation_malformed, attestation_invalid, attestation_wrong_campaign, attestation_binding_mismatch, invalid_note_key", body = ErrorBody),
              (status = 429, response = resp::RateLimited),
              (status = 502, response = resp::KeyholderFailed),
              (status = 503, description = "busy (Retry-After): too many submissions being verified; database_unavailable", body = ErrorBody)))]
pub async fn submit(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    path: web::Path<CampaignId>,
    body: web::Json<Submission>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let sub = body.into_inner();
    // Bounded: at most one verification per core at a time and a short
    // queue; beyond it `503 busy` with Retry-After, so reads stay fast.
    let _permit = state.verifications.enter().await?;
    let keys = state.attestation.get(state.keyholder.as_ref()).await?;
    let acceptor = Acceptor {
        crypto: state.campaign_crypto.clone(),
        verifying_key: keys,
        roots: RootWindow {
            count: state.recent_roots,
            max_age_secs: state.recent_root_secs,
        },
        notes: state.notes.clone(),
    };
    let result = contributions::accept(&pool, acceptor, id, sub)
        .await
        .map_err(ApiError::from);
    // Refusals of a submission (4xx) count as the campaign's quality
    // signals; an unknown campaign records nothing.
    if let Err(e) = &result {
        use actix_web::ResponseError;
        if e.status_code().is_client_error() && e.code() != "not_found" {
            contributions::record_rejection(&pool, id, e.code()).await;
        }
    }
    Ok(HttpResponse::Created().json(result?))
}
