//! API tests: the real server on a random port, a fresh database per test in
//! the local PostgreSQL cluster (`scripts/pg start`).

mod auth;
mod bad_input;
mod browser;
mod campaigns;
mod cli;
mod contributions;
mod crates;
mod decoders;
mod e2e;
mod eligibility;
mod keyholder;
mod ledger;
mod ledger_props;
mod limits;
mod notes;
mod openapi;
mod oversight;
mod reports;
mod verification;
mod withdrawals;
