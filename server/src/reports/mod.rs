//! What is derived from a report's released values ([`derive`], pure
//! post-processing). The purchase rules are in `services::reports`, the
//! release in `services::release`, the rows in `store::reports` and
//! `store::jobs`.

pub mod derive;
