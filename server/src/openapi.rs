//! The OpenAPI 3 document, generated from the handlers and types, served at
//! `/api/openapi.json`.

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

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

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cipherpool API",
        description = "Privacy-preserving data contribution platform: accounts, campaigns, token ledger, encrypted contributions, statistics reports. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        routes::health::health,
        routes::health::ready,
        routes::auth::register,
        routes::auth::login,
        routes::auth::logout,
        routes::auth::me,
        routes::wallet::wallet,
        routes::campaigns::create,
        routes::campaigns::list,
        routes::campaigns::get,
        routes::campaigns::submit,
        routes::campaigns::open,
        routes::campaigns::close,
        routes::admin::mint,
        routes::admin::approve,
        routes::admin::reject,
        routes::admin::ledger_audit,
        routes::registry::register,
        routes::registry::me,
        routes::registry::root,
        routes::contributions::material,
        routes::contributions::material_part,
        routes::contributions::keyholders,
        routes::contributions::proving_key,
        routes::contributions::submit,
        routes::withdrawals::request,
        routes::withdrawals::mine,
        routes::withdrawals::all,
        routes::withdrawals::approve,
        routes::withdrawals::reject,
        routes::oversight::users_list,
        routes::oversight::suspend,
        routes::oversight::unsuspend,
        routes::oversight::unlock,
        routes::oversight::audit_list,
        routes::oversight::decryptions,
        routes::oversight::quality,
        routes::oversight::suspend_campaign,
        routes::oversight::resume_campaign,
        routes::reports::purchase,
        routes::reports::list,
        routes::reports::get,
        routes::reports::results_json,
        routes::reports::results_csv,
    ),
    components(schemas(crate::http::error::ErrorBody, crate::http::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "wallet", description = "Token balances and history"),
        (name = "campaigns", description = "Data campaigns and their lifecycle"),
        (name = "admin", description = "Admin review, minting and audits"),
        (name = "registry", description = "Contributor identity registry (Merkle tree of commitments)"),
        (name = "contributions", description = "Encrypted, attested contributions"),
        (name = "reports", description = "Statistics reports: purchase, progress, released results (JSON, CSV)"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document as JSON.
#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
