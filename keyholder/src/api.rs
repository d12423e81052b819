//! The keyholder's HTTP API (for the server only; bearer-token authenticated).
//!
//! - `POST /campaigns/{id}/keys` `{schema, terms, crs?}`: register the
//!   campaign under this keyholder's key set if absent (idempotent; the CRS
//!   generated here, or adopted from the first keyholder) and answer the
//!   public key, CRS, key fingerprint and this keyholder's share index.
//! - `GET /campaigns/{id}/server-key`: the compressed evaluation key.
//! - `POST /campaigns/{id}/releases/{job}/noise`: release round 1 (verify
//!   the job, answer this keyholder's encrypted noise).
//! - `POST /campaigns/{id}/releases/{job}/decrypt`: release round 2 (this
//!   keyholder's partial decryption of the noised, verified aggregate); see
//!   [`crate::release`].
//! - `GET /decryptions`: the decryption log (releases and refusals), newest first.
//! - `GET /identity`: its share index, the key set's id, its Ed25519
//!   signing key (campaign material and release shares carry its signature)
//!   and the id of the attestation verifying key it checks eligibility with.
//! - `GET /attestation`: the attestation and claim circuits' Groth16 keys,
//!   made by the dealer with the key set (public), and this keyholder's
//!   signature over the SHA-256 of each proving key in the form clients
//!   fetch: clients prove only with keys every keyholder signed.
//! - `POST /registry/leaves` `{first_index, commitments}`: the server pushes
//!   every registered identity commitment, in leaf order; the keyholder
//!   builds the registry tree itself and answers its leaf count and root
//!   ([`crate::registry`]).
//! - `POST /registry/revocations` `{index, commitment, revoked}`: the server
//!   revokes a suspended account's leaf (the tree holds the empty leaf
//!   there) or restores it; answers the leaf count and the new root.
//!
//! There is deliberately no endpoint that returns key material or decrypts
//! anything alone: a partial decryption is useless without every other
//! keyholder's.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{get, post, web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fhe_compute::keys::{campaign_crs, PublicMaterial, CRS_LIMIT};
use keyholder_api::{
    AttestationKeys, DecryptRequest, KeyholderIdentity, KeysRequest, KeysResponse, RegistryLeaves,
    RegistryRevocation, RegistryState, ReleaseRequest,
};
use protocol::signing::{sign, CircuitKeysStatement, MaterialStatement, SignedTerms, SigningKey};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tracing_actix_web::TracingLogger;

use crate::config::KeyholderSettings;
use crate::error::{self, KeyholderError};
use crate::registry::{Eligibility, Registry, RegistryError};
use crate::release::{self, NoiseMode};
use crate::store::{KeySetInfo, KeyStore, ATTESTATION_PK_FILE, CLAIM_PK_FILE};
use crate::terms::CampaignTerms;

struct State {
    store: KeyStore,
    token_hash: [u8; 32],
    /// Campaign registration (CRS generation) is CPU-bound and rare: one at a time.
    keygen: Mutex<()>,
    /// Releases run one at a time (budget accounting).
    releases: Mutex<()>,
    /// Always noise, except in a test-only build that asked for none.
    noise: NoiseMode,
    /// Signs campaign material and release shares.
    signing: SigningKey,
    /// The attestation verifying key and this keyholder's registry.
    eligibility: Eligibility,
    /// The circuits' proving keys in the form clients fetch, and this
    /// keyholder's signature over their hashes: made on first request.
    circuit_keys: Mutex<Option<Arc<AttestationKeys>>>,
}

fn authorize(req: &HttpRequest, state: &State) -> Result<(), KeyholderError> {
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| KeyholderError::unauthenticated("keyholder: missing bearer token"))?;
    let h: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    if bool::from(h.ct_eq(&state.token_hash)) {
        Ok(())
    } else {
        Err(KeyholderError::unauthenticated("keyholder: wrong token"))
    }
}

/// Checks the bearer token before anything reads a request's body, so a
/// caller without the token cannot make the keyholder buffer the large
/// bodies its endpoints accept. (Each handler checks again.)
async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path() != "/health" {
        let state = req
            .app_data::<web::Data<Arc<State>>>()
            .ok_or_else(|| KeyholderError::internal("keyholder state missing"))?;
        authorize(req.request(), state)?;
    }
    next.call(req).await
}

/// The campaign's material, signed by this keyholder.
fn response(
    campaign: u64,
    public_key: &[u8],
    crs: &[u8],
    info: &KeySetInfo,
    terms: &CampaignTerms,
    signing: &SigningKey,
) -> KeysResponse {
    let m = PublicMaterial {
        public_key: public_key.to_vec(),
        crs: crs.to_vec(),
    };
    let fingerprint = m.key_fingerprint();
    let signed_terms = SignedTerms {
        statistics: terms.statistics.clone(),
        min_contributors: terms.min_contributors,
        epsilon_micro: terms.epsilon_micro,
        max_contributions: terms.max_contributions,
        delta: terms.delta,
    };
    let statement = MaterialStatement {
        campaign_id: campaign,
        schema_version: terms.schema_version,
        schema: &terms.schema,
        key_fingerprint: &fingerprint,
        public_key_sha256: &Sha256::digest(public_key).into(),
        crs_sha256: &Sha256::digest(crs).into(),
        terms: &signed_terms,
    };
    KeysResponse {
        public_key: STANDARD.encode(public_key),
        crs: STANDARD.encode(crs),
        key_fingerprint: hex::encode(fingerprint),
        index: info.index,
        parties: info.parties,
        signature: sign(signing, &statement.message()),
        terms: signed_terms,
        schema_version: terms.schema_version,
    }
}

/// Generates (once) and answers a campaign's public key material.
#[post("/campaigns/{id}/keys")]
async fn keys(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<u64>,
    body: web::Json<KeysRequest>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let (schema, terms) = CampaignTerms::parse(body.schema, &body.terms)?;
    let crs = body
        .crs
        .map(|c| STANDARD.decode(c))
        .transpose()
        .map_err(|_| KeyholderError::bad_request("invalid_crs", "the CRS is not base64"))?;
    let state = state.get_ref().clone();
    let resp = web::block(move || -> Result<KeysResponse, KeyholderError> {
        let _one_at_a_time = state
            .keygen
            .lock()
            .map_err(|_| KeyholderError::internal("keygen lock poisoned"))?;
        let info = state
            .store
            .keyset()?
            .ok_or_else(|| KeyholderError::internal("this keyholder holds no key set"))?;
        // Terms are recorded right after the campaign, so existing terms
        // mean a registered campaign: nothing is regenerated, and other
        // terms are refused below before anything is handed out.
        // Keyholder 0 makes the campaign's CRS; the others adopt it. A CRS
        // sent to keyholder 0 is refused, so that a server cannot have every
        // keyholder adopt a CRS whose trapdoor it knows: all signatures are
        // over one CRS, so it must be keyholder 0's own.
        match (info.index, &crs) {
            (0, Some(_)) => {
                return Err(KeyholderError::bad_request(
                    "crs_not_adopted",
                    "keyholder 0 generates each campaign's CRS itself and adopts none",
                ))
            }
            (i, None) if i > 0 && !state.store.has(id) => {
                return Err(KeyholderError::bad_request(
                    "crs_missing",
                    format!(
                        "keyholder {i} adopts the CRS keyholder 0 generated: send it \
                         (configure the keyholders in share order)"
                    ),
                ))
            }
            _ => {}
        }
        if !state.store.has(id) {
            let crs = match &crs {
                // Adopted from the first keyholder: parsed within limits.
                // It must prove every block below 4, as the statistics
                // engine's sums before the cast rely on it.
                Some(bytes) => {
                    let parsed = fhe_compute::keys::from_bytes::<tfhe::zk::CompactPkeCrs>(
                        bytes, CRS_LIMIT, "crs",
                    )
                    .map_err(|e| KeyholderError::bad_request("invalid_crs", e.to_string()))?;
                    if !fhe_compute::keys::proves_blocks(&parsed) {
                        return Err(KeyholderError::bad_request(
                            "invalid_crs",
                            "the CRS does not prove every block of a list below 4",
                        ));
                    }
                    bytes.clone()
                }
                None => {
                    let started = std::time::Instant::now();
                    let crs = campaign_crs(&schema).map_err(KeyholderError::internal)?;
                    tracing::info!(
                        campaign = id,
                        secs = started.elapsed().as_secs_f64(),
                        "generated the campaign's CRS"
                    );
                    fhe_compute::keys::to_bytes(&crs, CRS_LIMIT, "crs")
                        .map_err(KeyholderError::internal)?
                }
            };
            state.store.put_campaign(id, &crs)?;
        }
        state.store.put_terms(id, &terms)??;
        let pk = state.store.keyset_file("public_key.bin")?;
        let crs = state.store.crs(id)?;
        Ok(response(id, &pk, &crs, &info, &terms, &state.signing))
    })
    .await
    .map_err(KeyholderError::internal)??;
    Ok(HttpResponse::Ok().json(resp))
}

/// The campaign's compressed server key.
#[get("/campaigns/{id}/server-key")]
async fn server_key(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<u64>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let id = path.into_inner();
    if !state.store.has(id) {
        return Err(KeyholderError::not_found(format!(
            "no keys for campaign {id}"
        )));
    }
    let state = state.get_ref().clone();
    let bytes = web::block(move || state.store.keyset_file("server_key.bin"))
        .await
        .map_err(KeyholderError::internal)?
        .map_err(KeyholderError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .body(bytes))
}

/// Largest body of `POST /campaigns/{id}/keys`: the terms and schema
/// (well under 256 KiB) and an adopted CRS in base64.
const KEYS_BODY_LIMIT: usize = 256 * 1024 + (CRS_LIMIT as usize).div_ceil(3) * 4;

/// Runs one release round on the blocking pool, one release at a time
/// (budget accounting).
async fn one_release_at_a_time<T: Send + 'static>(
    state: &web::Data<Arc<State>>,
    round: impl FnOnce(&State) -> Result<T, release::ReleaseError> + Send + 'static,
) -> Result<T, KeyholderError> {
    let state = state.get_ref().clone();
    web::block(move || -> Result<T, KeyholderError> {
        let _one_at_a_time = state
            .releases
            .lock()
            .map_err(|_| KeyholderError::internal("release lock poisoned"))?;
        Ok(round(&state)?)
    })
    .await
    .map_err(KeyholderError::internal)?
}

/// Release round 1: verify the job, answer this keyholder's encrypted
/// noise. Mounted under the `/campaigns/{id}/releases` scope (its own body
/// limit).
#[post("/{job}/noise")]
async fn release_noise(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<(u64, u64)>,
    body: web::Json<ReleaseRequest>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let (campaign, job) = path.into_inner();
    let body = body.into_inner();
    let resp = one_release_at_a_time(&state, move |s| {
        release::prepare(&s.store, &s.eligibility, campaign, job, &body, s.noise)
    })
    .await?;
    Ok(HttpResponse::Ok().json(resp))
}

/// Release round 2: this keyholder's partial decryption.
#[post("/{job}/decrypt")]
async fn release_decrypt(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    path: web::Path<(u64, u64)>,
    body: web::Json<DecryptRequest>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let (campaign, job) = path.into_inner();
    let body = body.into_inner();
    let resp = one_release_at_a_time(&state, move |s| {
        release::decrypt(&s.store, campaign, job, &body, s.noise, &s.signing)
    })
    .await?;
    Ok(HttpResponse::Ok().json(resp))
}

/// Who this keyholder is: its share and its signing key.
#[get("/identity")]
async fn identity(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let info = state
        .store
        .keyset()?
        .ok_or_else(|| KeyholderError::internal("this keyholder holds no key set"))?;
    Ok(HttpResponse::Ok().json(KeyholderIdentity {
        index: info.index,
        parties: info.parties,
        key_id: info.key_id,
        signing_key: hex::encode(state.signing.verifying_key().as_bytes()),
        attestation_key: hex::encode(Sha256::digest(state.eligibility.verifying_key.to_bytes())),
        claim_key: hex::encode(Sha256::digest(
            state.eligibility.claim_verifying_key.to_bytes(),
        )),
    }))
}

/// The attestation and claim circuits' keys (public; the dealer made them),
/// with this keyholder's signature over the SHA-256 of each proving key in
/// the form clients fetch ([`protocol::signing::CircuitKeysStatement`]).
#[get("/attestation")]
async fn attestation(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let state = state.get_ref().clone();
    let answer = web::block(move || -> Result<Arc<AttestationKeys>, KeyholderError> {
        let mut cached = state
            .circuit_keys
            .lock()
            .map_err(|_| KeyholderError::internal("circuit keys lock poisoned"))?;
        if let Some(answer) = cached.as_ref() {
            return Ok(answer.clone());
        }
        let answer = Arc::new(circuit_keys(&state)?);
        *cached = Some(answer.clone());
        Ok(answer)
    })
    .await
    .map_err(KeyholderError::internal)??;
    Ok(HttpResponse::Ok().json(answer.as_ref()))
}

/// Reads the dealt proving keys, and signs the hashes of the form clients
/// fetch.
fn circuit_keys(state: &State) -> Result<AttestationKeys, KeyholderError> {
    use protocol::attestation::{ClaimProvingKey, ProvingKey};
    let proving_key = state.store.keyset_file(ATTESTATION_PK_FILE)?;
    let claim_proving_key = state.store.keyset_file(CLAIM_PK_FILE)?;
    let trusted_sha256 = |form: Vec<u8>| -> [u8; 32] { Sha256::digest(form).into() };
    let pk_sha = trusted_sha256(
        ProvingKey::from_bytes(&proving_key)
            .map_err(KeyholderError::internal)?
            .to_trusted_bytes(),
    );
    let claim_sha = trusted_sha256(
        ClaimProvingKey::from_bytes(&claim_proving_key)
            .map_err(KeyholderError::internal)?
            .to_trusted_bytes(),
    );
    let statement = CircuitKeysStatement {
        circuit_version: protocol::attestation::CIRCUIT_VERSION,
        proving_key_sha256: &pk_sha,
        claim_circuit_version: protocol::attestation::CLAIM_CIRCUIT_VERSION,
        claim_proving_key_sha256: &claim_sha,
    };
    Ok(AttestationKeys {
        circuit_version: protocol::attestation::CIRCUIT_VERSION,
        proving_key: STANDARD.encode(proving_key),
        verifying_key: STANDARD.encode(state.eligibility.verifying_key.to_bytes()),
        claim_circuit_version: protocol::attestation::CLAIM_CIRCUIT_VERSION,
        claim_proving_key: STANDARD.encode(claim_proving_key),
        claim_verifying_key: STANDARD.encode(state.eligibility.claim_verifying_key.to_bytes()),
        proving_key_sha256: hex::encode(pk_sha),
        claim_proving_key_sha256: hex::encode(claim_sha),
        signature: sign(&state.signing, &statement.message()),
    })
}

fn registry_error(e: RegistryError) -> KeyholderError {
    match e {
        RegistryError::Gap { .. } => {
            KeyholderError::new(StatusCode::CONFLICT, "registry_gap", e.to_string())
        }
        RegistryError::Conflict(_) | RegistryError::Full => {
            KeyholderError::new(StatusCode::CONFLICT, "registry_conflict", e.to_string())
        }
        RegistryError::UnknownLeaf(_) => {
            KeyholderError::new(StatusCode::CONFLICT, "registry_gap", e.to_string())
        }
        RegistryError::InvalidLeaf { .. } => {
            KeyholderError::bad_request("invalid_leaf", e.to_string())
        }
        RegistryError::Store(e) => KeyholderError::internal(e),
    }
}

/// The server revokes or restores a registry leaf (see [`crate::registry`]).
#[post("/registry/revocations")]
async fn registry_revocations(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    body: web::Json<RegistryRevocation>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let body = body.into_inner();
    let commitment = commitment_bytes(&body.commitment).ok_or_else(|| {
        KeyholderError::bad_request("invalid_leaf", "the commitment is not 64 hex characters")
    })?;
    let answer = change_registry(&state, move |registry, store| {
        registry.set_revoked(store, body.index, &commitment, body.revoked)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A leaf commitment from its hex form (32 bytes), or `None`.
fn commitment_bytes(hex_str: &str) -> Option<[u8; 32]> {
    hex::decode(hex_str)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
}

/// Applies `change` to the registry under its lock, off the executor, and
/// answers the registry's state after it.
async fn change_registry<F>(
    state: &web::Data<Arc<State>>,
    change: F,
) -> Result<RegistryState, KeyholderError>
where
    F: FnOnce(&mut Registry, &KeyStore) -> Result<(), RegistryError> + Send + 'static,
{
    let state = state.get_ref().clone();
    web::block(move || -> Result<RegistryState, KeyholderError> {
        let mut registry = state
            .eligibility
            .registry
            .lock()
            .map_err(|_| KeyholderError::internal("registry lock poisoned"))?;
        change(&mut registry, &state.store).map_err(registry_error)?;
        Ok(RegistryState {
            leaf_count: registry.len(),
            root: hex::encode(protocol::attestation::fr_to_bytes(&registry.root())),
        })
    })
    .await
    .map_err(KeyholderError::internal)?
}

/// Most commitments one registry push may carry.
pub const MAX_REGISTRY_PUSH: usize = 4096;

/// The server pushes registry leaves (see [`crate::registry`]).
#[post("/registry/leaves")]
async fn registry_leaves(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
    body: web::Json<RegistryLeaves>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let body = body.into_inner();
    if body.commitments.len() > MAX_REGISTRY_PUSH {
        return Err(KeyholderError::bad_request(
            "too_many_leaves",
            format!("push at most {MAX_REGISTRY_PUSH} leaves at a time"),
        ));
    }
    let leaves = body
        .commitments
        .iter()
        .map(|c| commitment_bytes(c))
        .collect::<Option<Vec<[u8; 32]>>>()
        .ok_or_else(|| {
            KeyholderError::bad_request("invalid_leaf", "a commitment is not 64 hex characters")
        })?;
    let answer = change_registry(&state, move |registry, store| {
        registry.append(store, body.first_index, &leaves)
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The decryption log, newest first (at most the last 1,000 entries).
#[get("/decryptions")]
async fn decryptions(
    req: HttpRequest,
    state: web::Data<Arc<State>>,
) -> Result<HttpResponse, KeyholderError> {
    authorize(&req, &state)?;
    let state = state.get_ref().clone();
    let mut entries = web::block(move || state.store.log_entries())
        .await
        .map_err(KeyholderError::internal)?
        .map_err(KeyholderError::internal)?;
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
    /// Opens the store and binds `settings.listen` (port 0 picks one);
    /// every release carries differential-privacy noise.
    pub fn build(settings: &KeyholderSettings) -> anyhow::Result<Self> {
        Self::build_with(settings, NoiseMode::Exact)
    }

    /// TEST-ONLY: a keyholder whose releases carry no noise, so that tests
    /// can compare released values with plaintext aggregates. Exists only in
    /// builds with the `test-only-no-noise` feature; logged loudly.
    #[cfg(feature = "test-only-no-noise")]
    pub fn build_without_noise(settings: &KeyholderSettings) -> anyhow::Result<Self> {
        tracing::warn!(
            "TEST-ONLY BUILD: releases carry NO differential-privacy noise; never use this in production"
        );
        Self::build_with(settings, NoiseMode::Disabled)
    }

    fn build_with(settings: &KeyholderSettings, noise: NoiseMode) -> anyhow::Result<Self> {
        if settings.token.expose_secret().len() < 16 {
            anyhow::bail!(
                "the keyholder token must have at least 16 characters (CIPHERPOOL_KEYHOLDER_TOKEN)"
            );
        }
        let store = KeyStore::open(&settings.data_dir, &settings.kek_source()?)?;
        if !settings.keyset_bundle.as_os_str().is_empty() {
            let info = store.import_keyset(&settings.keyset_bundle)?;
            tracing::info!(key_id = %info.key_id, index = info.index, parties = info.parties, "key set imported");
        }
        let Some(info) = store.keyset()? else {
            anyhow::bail!(
                "this keyholder holds no key set: deal one (cipherpool-keyholder deal --parties N \
                 --out DIR) and start with CIPHERPOOL_KEYHOLDER_KEYSET_BUNDLE=DIR/party-<i>"
            );
        };
        store.share()?;
        let signing = store.signing_key()?;
        let eligibility = Eligibility::load(&store)?;
        tracing::info!(
            key_id = %info.key_id,
            index = info.index,
            parties = info.parties,
            signing_key = %hex::encode(signing.verifying_key().as_bytes()),
            "holding a share of the key set"
        );
        let state = Arc::new(State {
            store,
            token_hash: Sha256::digest(settings.token.expose_secret().as_bytes()).into(),
            keygen: Mutex::new(()),
            releases: Mutex::new(()),
            noise,
            signing,
            eligibility,
            circuit_keys: Mutex::new(None),
        });
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(require_token))
                .wrap(TracingLogger::default())
                .app_data(data.clone())
                // A campaign's terms, and the CRS a keyholder adopts
                // (base64 of at most CRS_LIMIT bytes).
                .app_data(
                    web::JsonConfig::default()
                        .limit(KEYS_BODY_LIMIT)
                        .error_handler(|e, _| error::json_error(e)),
                )
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    KeyholderError::not_found(format!("invalid path: {e}")).into()
                }))
                .service(keys)
                .service(
                    web::scope("/campaigns/{id}/releases")
                        .app_data(
                            web::JsonConfig::default()
                                .limit(256 * 1024 * 1024)
                                .error_handler(|e, _| error::json_error(e)),
                        )
                        .service(release_noise)
                        .service(release_decrypt),
                )
                .service(server_key)
                .service(decryptions)
                .service(identity)
                .service(attestation)
                .service(registry_leaves)
                .service(registry_revocations)
                .service(health)
                .default_service(web::to(|| async {
                    Err::<HttpResponse, KeyholderError>(KeyholderError::new(
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
