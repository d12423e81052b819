//! HTTP routes, one module per resource. Handlers are thin: parse, check the
//! caller's role, call domain and store functions, answer JSON.

pub mod admin;
pub mod auth;
pub mod campaigns;
pub mod contributions;
pub mod health;
pub mod oversight;
pub mod registry;
pub mod reports;
pub mod wallet;
pub mod withdrawals;

use actix_web::web;

use crate::http::error::{self, ApiError};

/// Registers every route (the OpenAPI document, which lists them, is
/// registered beside them by `startup`). `max_contribution_bytes` caps
/// submission bodies.
pub fn configure(cfg: &mut web::ServiceConfig, max_contribution_bytes: usize) {
    cfg.service(
        web::resource("/api/campaigns/{id}/contributions")
            // Per-address limit, checked before the (up to 4 MB) body is read.
            .wrap(actix_web::middleware::from_fn(crate::throttle::submissions))
            .app_data(
                web::JsonConfig::default()
                    .limit(max_contribution_bytes)
                    .error_handler(|e, _| error::json_error(e)),
            )
            .route(web::post().to(contributions::submit))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, ApiError>(ApiError::new(
                    actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "use POST",
                ))
            })),
    );
    cfg.service(health::health)
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
        .service(registry::register)
        .service(registry::me)
        .service(registry::root)
        .service(withdrawals::request)
        .service(withdrawals::mine)
        .service(withdrawals::all)
        .service(withdrawals::approve)
        .service(withdrawals::reject)
        .service(oversight::users_list)
        .service(oversight::suspend)
        .service(oversight::unsuspend)
        .service(oversight::unlock)
        .service(oversight::audit_list)
        .service(oversight::decryptions)
        .service(oversight::quality)
        .service(oversight::suspend_campaign)
        .service(oversight::resume_campaign)
        .service(reports::purchase)
        .service(reports::list)
        .service(reports::get)
        .service(reports::results_csv)
        .service(reports::results_json);
}

/// Checks an admin's reason (rejection, suspension): trimmed, 1-2,000
/// characters, else 422 `invalid_reason` naming `what`.
pub(crate) fn required_reason(
    raw: &str,
    what: &str,
) -> Result<String, crate::http::error::ApiError> {
    let reason = raw.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(crate::http::error::ApiError::unprocessable(
            "invalid_reason",
            format!("a {what} needs a reason of 1-2,000 characters"),
        ));
    }
    Ok(reason)
}
