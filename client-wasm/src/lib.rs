//! Cipherpool's contributor client.
//!
//! The same code runs in the browser (the [`wasm`] bindings, built with
//! wasm-bindgen) and natively (the `cipherpool-client` command): check a
//! record against the campaign schema, encrypt it as a proven compact
//! ciphertext list under the campaign key, and attest eligibility with a
//! Groth16 proof bound to the ciphertext digest and a reward note's key; then
//! keep the notes ([`notes`]) and claim them into a wallet with a second
//! Groth16 proof that does not say which notes, nor which campaigns paid them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod contribute;
pub mod keys;
pub mod notes;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use contribute::{prepare_contribution, ClientError, LoadedCampaign, Stage};
pub use keys::{KeyError, PinnedClaimKey, PinnedKey, PinnedProvingKey};

use protocol::CampaignSchema;

/// Parses a campaign schema from its JSON text with the server's own rules,
/// returning the number of encrypted values one record will carry.
pub fn encrypted_values_of(schema_json: &str) -> Result<usize, String> {
    CampaignSchema::from_json(schema_json).map(|s| s.encrypted_values())
}
