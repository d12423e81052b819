//! HTTP routes, one module per resource. Handlers are thin: parse, check the
//! caller's role, call domain and store functions, answer JSON.

pub mod admin;
pub mod auth;
pub mod campaigns;
pub mod health;
pub mod wallet;

use actix_web::web;

use crate::openapi;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::health)
        .service(openapi::openapi_json)
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
        .service(admin::ledger_audit);
}
