//! Wire types of the contribution protocol, shared by the client (browser
//! and native) and the server.

use serde::{Deserialize, Serialize};

use crate::schema::RawSchema;
use crate::signing::{
    verify_all, KeyholderSignature, MaterialStatement, SignatureError, SignedTerms, VerifyingKey,
};

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
    /// SHA-256 of the public key bytes, hex: the strong ETag of
    /// `public_key_url`, where the same key is served as binary.
    #[serde(default)]
    pub public_key_sha256: String,
    /// The public key as `application/octet-stream` (immutable, cacheable).
    #[serde(default)]
    pub public_key_url: String,
    /// SHA-256 of the CRS bytes, hex: the strong ETag of `crs_url`.
    #[serde(default)]
    pub crs_sha256: String,
    /// The CRS as `application/octet-stream` (immutable, cacheable).
    #[serde(default)]
    pub crs_url: String,
    /// The release terms the keyholders fixed and signed (absent for a
    /// campaign approved before material was signed: clients refuse it).
    #[serde(default)]
    pub terms: Option<SignedTerms>,
    /// Every keyholder's signature over the material
    /// ([`crate::signing::MaterialStatement`]), in share order.
    #[serde(default)]
    pub signatures: Vec<KeyholderSignature>,
}

impl Material {
    /// Checks that every pinned keyholder signed this material: the
    /// campaign, schema and version, public key and CRS (base64-decoded
    /// here), key fingerprint and terms. Unsigned material is refused.
    pub fn verify_signatures(&self, pinned: &[VerifyingKey]) -> Result<(), MaterialError> {
        use base64::Engine;
        let terms = self.terms.as_ref().ok_or(MaterialError::Unsigned)?;
        let b64 = |s: &str, what: &'static str| {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| MaterialError::Malformed(what))
        };
        let public_key = b64(&self.public_key, "public_key")?;
        let crs = b64(&self.crs, "crs")?;
        let fp: [u8; 32] = hex::decode(&self.key_fingerprint)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(MaterialError::Malformed("key_fingerprint"))?;
        let statement = MaterialStatement {
            campaign_id: u64::try_from(self.campaign_id)
                .map_err(|_| MaterialError::Malformed("campaign_id"))?,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| MaterialError::Malformed("schema_version"))?,
            schema: &self.schema,
            key_fingerprint: &fp,
            public_key: &public_key,
            crs: &crs,
            terms,
        };
        verify_all(&statement.message(), &self.signatures, pinned)?;
        Ok(())
    }
}

/// Why campaign material is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaterialError {
    /// No signed terms: the keyholders never signed it.
    #[error("the campaign material is not signed by the keyholders")]
    Unsigned,
    /// A field does not decode.
    #[error("the campaign material's {0} is malformed")]
    Malformed(&'static str),
    /// The signatures do not verify against the pinned keys.
    #[error(transparent)]
    Signature(#[from] SignatureError),
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
