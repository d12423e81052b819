//! Use cases: each takes what a route extracted (the caller, validated
//! input) and a connection inside the caller's transaction, applies the
//! rules, calls the store, and returns its own error enum, which
//! `http::error` maps to a status and a code. Nothing here knows HTTP.
//!
//! One module per use case area, each with its own error enum.

pub mod accounts;
pub mod campaigns;
pub mod contributions;
pub mod login_guard;
pub mod notes;
pub mod oversight;
pub mod registry;
pub mod release;
pub mod reports;
pub mod withdrawals;
