//! Wire types of the contribution protocol, shared by the client (browser
//! and native) and the server.

use serde::{Deserialize, Serialize};

use crate::schema::RawSchema;

/// Everything a client needs to contribute to a campaign
/// (`GET /api/campaigns/{id}/material`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Material {
    /// Campaign id (a public input of the attestation).
    pub campaign_id: i64,
    /// Title.
    pub title: String,
    /// The record schema.
    pub schema: RawSchema,
    /// Schema version the proof binds to.
    pub schema_version: i32,
    /// Entry widths of one encrypted record, in order.
    pub layout: Vec<u32>,
    /// Tokens paid per accepted contribution.
    pub reward: i64,
    /// Campaign compact public key, base64.
    pub public_key: String,
    /// zk-pok CRS, base64.
    pub crs: String,
    /// SHA-256 of the public key, hex.
    pub key_fingerprint: String,
    /// The zk-pok metadata the proof must bind, base64.
    pub proof_metadata: String,
    /// Attestation circuit version.
    pub circuit_version: u32,
    /// Registry tree depth.
    pub tree_depth: usize,
    /// Where to fetch the Groth16 proving key.
    pub proving_key_url: String,
    /// Current registry root, hex (absent while empty).
    pub registry_root: Option<String>,
}

/// A contributor's identity and its Merkle path (`GET /api/registry/me`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityView {
    /// Leaf position.
    pub leaf_index: u64,
    /// The commitment, hex.
    pub commitment: String,
    /// Current registry root, hex.
    pub root: String,
    /// Sibling hashes from the leaf up, hex.
    pub siblings: Vec<String>,
}

/// A submission (`POST /api/campaigns/{id}/contributions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The proven compact ciphertext list, base64 (tfhe safe serialization).
    pub ciphertext: String,
    /// Ledger account that receives the reward (a wallet).
    pub payout_account: i64,
    /// The Groth16 eligibility proof.
    pub attestation: AttestationWire,
}

/// A Groth16 proof and its public inputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttestationWire {
    /// Compressed proof, base64.
    pub proof: String,
    /// Exactly 4 field elements, hex of 32 little-endian bytes each:
    /// registry root, nullifier, campaign id, binding.
    pub public_inputs: Vec<String>,
}

/// What an accepted contribution answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// Contribution id.
    pub contribution_id: i64,
    /// Campaign id.
    pub campaign_id: i64,
    /// SHA-256 of the ciphertext bytes as received, hex.
    pub digest: String,
    /// The reward transfer.
    pub transfer_id: i64,
    /// Tokens paid.
    pub reward: i64,
    /// Payout account.
    pub payout_account: i64,
}
