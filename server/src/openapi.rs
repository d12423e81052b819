//! The OpenAPI 3 document, served at `/api/openapi.json`: its info, security
//! scheme, tags and shared components are declared here; each operation is
//! added where its handler is registered (`routes::configure`, through
//! utoipa-actix-web), so a route is listed once.

use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::error::{ErrorBody, ErrorDetail};
use crate::http::responses::{
    BadBody, BadBodyOrKey, BadKey, BadQuery, Forbidden, KeyholderFailed, MethodNotAllowed,
    NotFound, RateLimited, Suspended, TooLarge, Unauthenticated, Unavailable, UnsupportedMediaType,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document's frame: everything but the operations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cipherpool API",
        description = "Privacy-preserving data contribution platform: accounts, campaigns, token ledger, encrypted contributions, statistics reports. Errors are `{\"error\": {\"code\", \"message\"}}`; a 405 carries `Allow`."
    ),
    components(
        schemas(ErrorBody, ErrorDetail),
        responses(
            Unauthenticated, Suspended, Forbidden, NotFound, BadQuery, BadBody, BadKey,
            BadBodyOrKey, TooLarge, UnsupportedMediaType, RateLimited, Unavailable,
            KeyholderFailed, MethodNotAllowed
        )
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "wallet", description = "Token balances and history"),
        (name = "campaigns", description = "Data campaigns and their lifecycle"),
        (name = "admin", description = "Admin review, minting and audits"),
        (name = "registry", description = "Contributor identity registry (Merkle tree of commitments)"),
        (name = "contributions", description = "Encrypted, attested contributions"),
        (name = "notes", description = "Reward notes: the notes tree and claims into wallets"),
        (name = "reports", description = "Statistics reports: purchase, progress, released results (JSON, CSV)"),
    )
)]
pub struct ApiDoc;

/// The finished document, as served.
pub struct Document(pub utoipa::openapi::OpenApi);

/// The OpenAPI document as JSON.
#[get("/api/openapi.json")]
pub async fn openapi_json(doc: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().json(&doc.0)
}
