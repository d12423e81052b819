//! Cipherpool's server: the REST API (actix-web), PostgreSQL storage
//! (diesel), accounts and sessions, campaigns and the token ledger.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attestation;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod idempotency;
pub mod openapi;
pub mod releaser;
pub mod routes;
pub mod schema;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod worker;
