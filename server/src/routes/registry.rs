//! The contributor registry: register an identity commitment, read one's
//! Merkle path, read the current root.

use actix_web::{get, post, web, HttpResponse};
use diesel::PgConnection;
use protocol::attestation::{fr_to_bytes, Tier};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Contributor;
use crate::db::{self, PgPool};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses as resp;
use crate::services::registry::{self, RegistryError};
use crate::state::AppState;
use crate::store::registry as store;

/// Registration of an identity commitment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIdentity {
    /// Poseidon commitment of the device-held secret: hex of 32 little-endian bytes.
    #[schema(pattern = r"^\s*[0-9a-fA-F]{64}\s*$")]
    pub commitment: String,
}

pub use protocol::wire::IdentityView;

/// The current root.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RootView {
    /// Root, hex (absent while the registry is empty).
    pub root: Option<String>,
    /// Leaves in the tree.
    pub leaf_count: i64,
}

/// The view of leaf `leaf_index` with its current path and root.
fn identity_view(
    state: &AppState,
    conn: &mut PgConnection,
    leaf_index: u64,
    commitment: &[u8],
    tier: Tier,
) -> Result<IdentityView, ApiError> {
    let (path, current_root) = state.registry.path(conn, leaf_index)?;
    Ok(IdentityView {
        leaf_index,
        tier,
        commitment: hex::encode(commitment),
        root: hex::encode(fr_to_bytes(&current_root)),
        siblings: path
            .siblings
            .iter()
            .map(|s| hex::encode(fr_to_bytes(s)))
            .collect(),
    })
}

/// Register this contributor's identity commitment (once per account; the secret never leaves the device).
#[utoipa::path(post, path = "/api/registry/identities", tag = "registry", security(("bearer" = [])),
    request_body = RegisterIdentity,
    responses((status = 201, body = IdentityView),
              (status = 400, response = resp::BadBody),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 409, description = "identity_exists, commitment_taken", body = ErrorBody),
              (status = 413, response = resp::TooLarge),
              (status = 415, response = resp::UnsupportedMediaType),
              (status = 422, description = "invalid_commitment", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[post("/api/registry/identities")]
pub async fn register(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Contributor,
    body: web::Json<RegisterIdentity>,
) -> Result<HttpResponse, ApiError> {
    let commitment = registry::parse_commitment(&body.commitment)?;
    let keyholders = state.keyholder.clone();
    let view = db::with_conn(&pool, move |conn| {
        let verified = crate::store::users::is_verified(conn, user.id)?;
        let reg = state
            .registry
            .register(conn, user.id, commitment, verified)?;
        identity_view(
            &state,
            conn,
            reg.leaf_index,
            &fr_to_bytes(&commitment),
            Tier::Open,
        )
    })
    .await?;
    // The new root is usable once every keyholder computed it; if one
    // cannot be reached now, the server's release loop keeps trying.
    if let Err(e) = registry::announce_pending(&pool, keyholders.as_ref()).await {
        tracing::warn!("announcing the registry to the keyholders: {e}");
    }
    Ok(HttpResponse::Created().json(view))
}

/// Which leaf of one's identity to read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TierQuery {
    /// `open` (default: every registered identity has one) or `verified`
    /// (an admin verified the account).
    pub tier: Option<Tier>,
}

/// This contributor's identity leaf of a tier, with its current Merkle path.
#[utoipa::path(get, path = "/api/registry/me", tag = "registry", security(("bearer" = [])),
    params(TierQuery),
    responses((status = 200, body = IdentityView),
              (status = 400, response = resp::BadQuery),
              (status = 401, response = resp::Unauthenticated),
              (status = 403, response = resp::Forbidden),
              (status = 404, description = "no identity registered (or not verified, for the verified tier)", body = ErrorBody),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/registry/me")]
pub async fn me(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Contributor,
    query: web::Query<TierQuery>,
) -> Result<HttpResponse, ApiError> {
    let tier = query.tier.unwrap_or(Tier::Open);
    let view = db::with_conn(&pool, move |conn| {
        let leaf = store::leaf_of(conn, user.id, tier)?.ok_or(RegistryError::NoIdentity)?;
        identity_view(&state, conn, leaf.leaf_index as u64, &leaf.commitment, tier)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The current registry root.
#[utoipa::path(get, path = "/api/registry/root", tag = "registry", responses((status = 200, body = RootView),
              (status = 503, response = resp::Unavailable)))]
#[get("/api/registry/root")]
pub async fn root(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let view = db::with_conn(&pool, |conn| {
        Ok(match store::latest_root(conn)? {
            Some((r, n)) => RootView {
                root: Some(hex::encode(r)),
                leaf_count: n,
            },
            None => RootView {
                root: None,
                leaf_count: 0,
            },
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
