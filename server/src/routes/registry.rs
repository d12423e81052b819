//! The contributor registry: register an identity commitment, read one's
//! Merkle path, read the current root.

use actix_web::{get, post, web, HttpResponse};
use diesel::prelude::*;
use protocol::attestation::{fr_from_bytes, fr_to_bytes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Contributor;
use crate::db::{self, PgPool};
use crate::http::error::{ApiError, ErrorBody};
use crate::schema::{identities, registry_roots};
use crate::state::AppState;

/// Registration of an identity commitment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIdentity {
    /// Poseidon commitment of the device-held secret: hex of 32 little-endian bytes.
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
) -> Result<IdentityView, ApiError> {
    let (path, current_root) = state.registry.path(conn, leaf_index)?;
    Ok(IdentityView {
        leaf_index,
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
              (status = 409, description = "identity_exists, commitment_taken", body = ErrorBody),
              (status = 422, description = "invalid_commitment", body = ErrorBody)))]
#[post("/api/registry/identities")]
pub async fn register(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Contributor,
    body: web::Json<RegisterIdentity>,
) -> Result<HttpResponse, ApiError> {
    let bytes = hex::decode(body.commitment.trim())
        .map_err(|_| ApiError::unprocessable("invalid_commitment", "commitment must be hex"))?;
    let commitment = fr_from_bytes(&bytes)
        .map_err(|e| ApiError::unprocessable("invalid_commitment", e.to_string()))?;
    let keyholders = state.keyholder.clone();
    let view = db::with_conn(&pool, move |conn| {
        let reg = state.registry.register(conn, user.id, commitment)?;
        identity_view(&state, conn, reg.leaf_index, &fr_to_bytes(&commitment))
    })
    .await?;
    // The new root is usable once every keyholder computed it; if one
    // cannot be reached now, the server's release loop keeps trying.
    if let Err(e) = crate::registry::announce_pending(&pool, keyholders.as_ref()).await {
        tracing::warn!("announcing the registry to the keyholders: {e}");
    }
    Ok(HttpResponse::Created().json(view))
}

/// This contributor's identity, with its current Merkle path.
#[utoipa::path(get, path = "/api/registry/me", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = IdentityView), (status = 404, description = "no identity registered", body = ErrorBody)))]
#[get("/api/registry/me")]
pub async fn me(
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
    user: Contributor,
) -> Result<HttpResponse, ApiError> {
    let view = db::with_conn(&pool, move |conn| {
        let row: Option<(i64, Vec<u8>)> = identities::table
            .filter(identities::user_id.eq(user.id))
            .select((identities::leaf_index, identities::commitment))
            .first(conn)
            .optional()?;
        let (leaf_index, commitment) =
            row.ok_or_else(|| ApiError::not_found("no identity registered for this account"))?;
        identity_view(&state, conn, leaf_index as u64, &commitment)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The current registry root.
#[utoipa::path(get, path = "/api/registry/root", tag = "registry", responses((status = 200, body = RootView)))]
#[get("/api/registry/root")]
pub async fn root(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let view = db::with_conn(&pool, |conn| {
        let row: Option<(Vec<u8>, i64)> = registry_roots::table
            .order(registry_roots::id.desc())
            .select((registry_roots::root, registry_roots::leaf_count))
            .first(conn)
            .optional()?;
        Ok(match row {
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
