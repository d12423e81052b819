//! The keyholder's HTTP API (for the server only; bearer-token authenticated).
//!
//! - `POST /campaigns/{id}/keys` `{schema}`: generate the campaign's keys if
//!   absent (idempotent) and answer the public key, CRS and key fingerprint.
//! - `GET /campaigns/{id}/server-key`: the compressed evaluation key.
//! - `POST /campaigns/{id}/releases/{job}`: release a job's aggregate under
//!   the campaign's terms (see [`super::release`]).
//! - `GET /decryptions`: the decryption log (releases and refusals), newest first.
//!
//! There is deliberately no endpoint that returns a client key or decrypts a
//! single record.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fhe_compute::keys::{CampaignKeys, PublicMaterial};
use protocol::schema::RawSchema;
use protocol::CampaignSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tracing_actix_web::TracingLogger;

use super::config::KeyholderSettings;
use super::release::{self, ReleaseRequest};
use super::store::{CampaignTerms, KeyStore, StoredPublic};
use crate::error::{self, ApiError};

/// Request to generate a campaign's keys.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysRequest {
    /// The campaign's schema (sizes the CRS).
    pub schema: RawSchema,
    /// What the campaign may release; recorded with the keys.
    pub terms: KeyTerms,
}

/// The release terms sent with a key request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyTerms {
    /// The statistics the campaign may release.
    pub statistics: Vec<protocol::Statistic>,
    /// Fewest distinct contributions a release must cover.
    pub min_contributors: u64,
    /// Total privacy budget, in millionths of ε.
    pub epsilon_micro: u64,
    /// Most contributions the campaign accepts.
    pub max_contributions: u64,
}

/// The public key material of a campaign.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeysResponse {
    /// Compact public key, base64 (tfhe safe serialization).
    pub public_key: String,
    /// zk-pok CRS, base64 (tfhe safe serialization).
    pub crs: String,
    /// SHA-256 of the public key bytes, hex.
    pub key_fingerprint: String,
}

struct State {
    store: KeyStore,
    token_hash: [u8; 32],
    /// Key generation is CPU-bound and rare: one at a time.
    keygen: Mutex<()>,
    /// Releases run one at a time (budget accounting).
    releases: Mutex<()>,
    /// False only under the test-only setting.
    noise_enabled: bool,
}

fn authorize(req: &HttpRequest, state: &State) -> Result<(), ApiError> {
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthenticated("keyholder: missing bearer token"))?;
    let h: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    if bool::from(h.ct_eq(&state.token_hash)) {
        Ok(())
    } else {
        Err(ApiError::unauthenticated("keyholder: wrong token"))
    }
}

fn response(public_key: &[u8], crs: &[u8]) -> KeysResponse {
    let m = PublicMaterial {
        public_key: public_key.to_vec(),
        crs: crs.to_vec(),
    };
    KeysResponse {
        public_key: STANDARD.encode(public_key),
        crs: STANDARD.encode(crs),
        key_fingerprint: hex::encode(m.key_fingerprint()),
    }
}

/// Generates (once) and answers a campaign's public key material.
#[post("/campaigns/{id}/keys")]
async fn keys(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<u64>,
    body: web::Json<KeysRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let raw_schema = body.schema.clone();
    let schema = CampaignSchema::parse(body.schema)?;
    let statistics = schema.check_statistics(&body.terms.statistics)?;
    if body.terms.min_contributors == 0
        || body.terms.epsilon_micro == 0
        || body.terms.max_contributions == 0
    {
        return Err(ApiError::unprocessable(
            "invalid_terms",
            "min_contributors, epsilon_micro and max_contributions must be positive",
        ));
    }
    let terms = CampaignTerms {
        schema: raw_schema,
        statistics,
        min_contributors: body.terms.min_contributors,
        epsilon_micro: body.terms.epsilon_micro,
        max_contributions: body.terms.max_contributions,
    };
    let state = state.get_ref().clone();
    let resp = web::block(move || -> Result<KeysResponse, ApiError> {
        let _one_at_a_time = state
            .keygen
            .lock()
            .map_err(|_| ApiError::internal("keygen lock poisoned"))?;
        if !state.store.has(id) {
            let started = std::time::Instant::now();
            let k = CampaignKeys::generate(&schema).map_err(ApiError::internal)?;
            let m = k.public_material().map_err(ApiError::internal)?;
            let public = StoredPublic {
                public_key: m.public_key,
                crs: m.crs,
                server_key: k.server_key_bytes().map_err(ApiError::internal)?,
            };
            let client = k.client_key_bytes().map_err(ApiError::internal)?;
            state
                .store
                .put(id, &client, &public)
                .map_err(ApiError::internal)?;
            tracing::info!(
                campaign = id,
                secs = started.elapsed().as_secs_f64(),
                "generated campaign keys"
            );
        }
        state
            .store
            .put_terms(id, &terms)
            .map_err(ApiError::internal)?;
        let pk = state
            .store
            .read_public(id, "public_key.bin")
            .map_err(ApiError::internal)?;
        let crs = state
            .store
            .read_public(id, "crs.bin")
            .map_err(ApiError::internal)?;
        Ok(response(&pk, &crs))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(resp))
}

/// The campaign's compressed server key.
#[get("/campaigns/{id}/server-key")]
async fn server_key(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<u64>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let id = path.into_inner();
    if !state.store.has(id) {
        return Err(ApiError::not_found(format!("no keys for campaign {id}")));
    }
    let state = state.get_ref().clone();
    let bytes = web::block(move || state.store.read_public(id, "server_key.bin"))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(bytes))
}

/// Releases a job's aggregate (decrypt + noise) under the campaign's terms.
/// Mounted under the `/campaigns/{id}/releases` scope (its own body limit).
#[post("/{job}")]
async fn release_job(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<(u64, u64)>,
    body: web::Json<ReleaseRequest>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let (campaign, job) = path.into_inner();
    let body = body.into_inner();
    let state = state.get_ref().clone();
    let resp = web::block(move || {
        let _one_at_a_time = state
            .releases
            .lock()
            .map_err(|_| ApiError::internal("release lock poisoned"))?;
        release::release(&state.store, campaign, job, &body, state.noise_enabled)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(HttpResponse::Ok().json(resp))
}

/// The decryption log, newest first (at most the last 1,000 entries).
#[get("/decryptions")]
async fn decryptions(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
) -> Result<HttpResponse, ApiError> {
    authorize(&req, &state)?;
    let state = state.get_ref().clone();
    let mut entries = web::block(move || state.store.log_entries())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    entries.reverse();
    entries.truncate(1000);
    Ok(HttpResponse::Ok().json(entries))
}

/// Liveness.
#[get("/health")]
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// A keyholder bound to its port.
pub struct Keyholder {
    port: u16,
    server: Server,
}

impl Keyholder {
    /// Opens the store and binds `settings.listen` (port 0 picks one).
    pub fn build(settings: &KeyholderSettings) -> anyhow::Result<Self> {
        if settings.token.len() < 16 {
            anyhow::bail!(
                "the keyholder token must have at least 16 characters (CIPHERPOOL_KEYHOLDER_TOKEN)"
            );
        }
        let store = KeyStore::open(&settings.data_dir, &settings.kek_hex)?;
        let state = Arc::new(State {
            store,
            token_hash: Sha256::digest(settings.token.as_bytes()).into(),
            keygen: Mutex::new(()),
            releases: Mutex::new(()),
            noise_enabled: !settings.test_only_disable_noise,
        });
        if settings.test_only_disable_noise {
            tracing::warn!(
                "TEST-ONLY SETTING: releases carry NO differential-privacy noise \
                 (CIPHERPOOL_KEYHOLDER_TEST_ONLY_DISABLE_NOISE); never use this in production"
            );
        }
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state);
        let server =
            HttpServer::new(move || {
                App::new()
                    .wrap(TracingLogger::default())
                    .app_data(data.clone())
                    .app_data(
                        web::JsonConfig::default()
                            .limit(256 * 1024)
                            .error_handler(|e, _| error::json_error(e)),
                    )
                    .app_data(web::PathConfig::default().error_handler(|e, _| {
                        ApiError::not_found(format!("invalid path: {e}")).into()
                    }))
                    .service(keys)
                    .service(
                        web::scope("/campaigns/{id}/releases")
                            .app_data(
                                web::JsonConfig::default()
                                    .limit(256 * 1024 * 1024)
                                    .error_handler(|e, _| error::json_error(e)),
                            )
                            .service(release_job),
                    )
                    .service(server_key)
                    .service(decryptions)
                    .service(health)
                    .default_service(web::to(|| async {
                        Err::<HttpResponse, ApiError>(ApiError::new(
                            StatusCode::NOT_FOUND,
                            "not_found",
                            "no such endpoint",
                        ))
                    }))
            })
            .keep_alive(std::time::Duration::from_secs(120))
            .listen(listener)?
            .run();
        Ok(Self { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
