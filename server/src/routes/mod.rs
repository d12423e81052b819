//! HTTP routes, one module per resource, and the one list that registers
//! and documents them. Handlers are thin: parse, check the caller's role,
//! call domain and store functions, answer JSON.

pub mod admin;
pub mod auth;
pub mod campaigns;
pub mod contributions;
pub mod health;
pub mod notes;
pub mod oversight;
pub mod registry;
pub mod reports;
pub mod wallet;
pub mod withdrawals;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::web;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::OpenApiFactory;

use crate::http::error::{self, ApiError};

/// Registers every route and adds its operation to the OpenAPI document:
/// this is the one route list (`startup` serves the document beside it).
/// `max_contribution_bytes` caps submission bodies.
pub fn configure(cfg: &mut ServiceConfig, max_contribution_bytes: usize) {
    cfg.service(Contributions {
        max_bytes: max_contribution_bytes,
    })
    .service(health::health)
    .service(health::ready)
    .service(auth::register)
    .service(auth::login)
    .service(auth::logout)
    .service(auth::me)
    .service(wallet::wallet)
    .service(campaigns::create)
    .service(campaigns::list)
    .service(campaigns::get)
    .service(campaigns::submit)
    .service(campaigns::open)
    .service(campaigns::close)
    .service(admin::mint)
    .service(admin::approve)
    .service(admin::reject)
    .service(admin::ledger_audit)
    .service(contributions::material)
    .service(contributions::material_part)
    .service(contributions::keyholders)
    .service(contributions::proving_key)
    .service(contributions::circuit_keys)
    .service(registry::register)
    .service(registry::me)
    .service(registry::root)
    .service(notes::page)
    .service(notes::campaigns)
    .service(notes::proving_key)
    .service(notes::claim)
    .service(withdrawals::request)
    .service(withdrawals::mine)
    .service(withdrawals::all)
    .service(withdrawals::approve)
    .service(withdrawals::reject)
    .service(oversight::users_list)
    .service(oversight::suspend)
    .service(oversight::unsuspend)
    .service(oversight::unlock)
    .service(oversight::verify)
    .service(oversight::audit_list)
    .service(oversight::decryptions)
    .service(oversight::quality)
    .service(oversight::suspend_campaign)
    .service(oversight::resume_campaign)
    .service(reports::purchase)
    .service(reports::estimate)
    .service(reports::list)
    .service(reports::get)
    .service(reports::results_csv)
    .service(reports::results_json);
}

/// `POST /api/campaigns/{id}/contributions` ([`contributions::submit`]) as a
/// resource of its own: the per-address limit runs before the (up to 4 MB)
/// body is read, the body has its own size limit, and other methods answer
/// 405.
struct Contributions {
    max_bytes: usize,
}

impl HttpServiceFactory for Contributions {
    fn register(self, config: &mut AppService) {
        web::resource("/api/campaigns/{id}/contributions")
            // Per-address limit, checked before the (up to 4 MB) body is read.
            .wrap(actix_web::middleware::from_fn(crate::throttle::submissions))
            .app_data(
                web::JsonConfig::default()
                    .limit(self.max_bytes)
                    .error_handler(|e, _| error::json_error(e)),
            )
            .route(web::post().to(contributions::submit))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, ApiError>(ApiError::new(
                    actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "use POST",
                ))
            }))
            .register(config)
    }
}

impl OpenApiFactory for Contributions {
    fn paths(&self) -> utoipa::openapi::path::Paths {
        contributions::__path_submit.paths()
    }

    fn schemas(
        &self,
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        contributions::__path_submit.schemas(schemas)
    }
}
