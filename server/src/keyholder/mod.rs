//! The keyholder: the decryption authority, a separate process with its own
//! storage (a directory, never the server's database).
//!
//! When the server reports a campaign approved, the keyholder generates the
//! campaign's TFHE keys, keeps the client key encrypted at rest, and hands out
//! only the public key, the zk-pok CRS and the server (evaluation) key. It has
//! no endpoint that returns a client key or decrypts a single record.

pub mod api;
pub mod client;
pub mod config;
pub mod noise;
pub mod release;
pub mod store;
