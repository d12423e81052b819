//! Groth16 keys of the contributor attestation circuit and of the
//! reward-note claim circuit. The dealer makes
//! them with the keyholders' key set (`cipherpool-keyholder deal`); the
//! keyholders check every attestation with the verifying key before a
//! release. The server fetches them from the keyholders on first use —
//! every keyholder must name the same verifying key, and the proving key
//! must be that key's, and every keyholder must have signed the hash of
//! each proving key as clients fetch it — and keeps them for the life of
//! the process. Clients prove only with proving keys whose hash every
//! keyholder they pin signed: a proving key the server made itself could
//! make a proof carry who made it.
//!
//! The server never sees the setup's randomness, so it cannot forge an
//! eligibility proof (contribute without a registered identity, or twice
//! to one campaign) that the keyholders would accept. Whoever ran the
//! dealer could; see the README's setup assumption.

use std::sync::Arc;

use keyholder_api::Keyholders;
use protocol::attestation::{ClaimVerifyingKey, VerifyingKey};
use protocol::wire::CircuitKeys;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::http::cached::Cached;
use crate::http::error::ApiError;

/// Where the attestation circuit's proving key is served.
pub const PROVING_KEY_PATH: &str = "/api/attestation/proving-key";
/// Where the claim circuit's proving key is served.
pub const CLAIM_PROVING_KEY_PATH: &str = "/api/claims/proving-key";
/// Where the keyholders' signed hashes of both are served.
pub const CIRCUIT_KEYS_PATH: &str = "/api/attestation/keys";

/// The loaded keys.
pub struct AttestationKeys {
    /// For verifying submissions.
    pub verifying_key: VerifyingKey,
    /// Serialized proving key, served to clients with its strong ETag.
    pub proving_key: Cached,
    /// For verifying claims of reward notes.
    pub claim_verifying_key: Arc<ClaimVerifyingKey>,
    /// The claim circuit's serialized proving key, served to clients.
    pub claim_proving_key: Cached,
    /// Both proving keys' hashes and URLs as every keyholder signed them
    /// (`GET /api/attestation/keys`).
    pub circuit_keys: CircuitKeys,
}

impl AsRef<VerifyingKey> for AttestationKeys {
    fn as_ref(&self) -> &VerifyingKey {
        &self.verifying_key
    }
}

/// The keys, fetched from the keyholders once.
#[derive(Default)]
pub struct AttestationCache(OnceCell<Arc<AttestationKeys>>);

impl AttestationCache {
    /// The keys, fetching them from the keyholders the first time (a
    /// keyholder that cannot be reached fails this call, not the next).
    pub async fn get(&self, keyholders: &dyn Keyholders) -> Result<Arc<AttestationKeys>, ApiError> {
        self.0
            .get_or_try_init(|| async {
                let m = keyholders.attestation_keys().await?;
                tracing::info!(
                    verifying_key = %hex::encode(Sha256::digest(m.verifying_key.to_bytes())),
                    "attestation keys fetched from the keyholders"
                );
                let (pk_sha, claim_sha) = (
                    hex::encode(m.proving_key_sha256),
                    hex::encode(m.claim_proving_key_sha256),
                );
                let circuit_keys = CircuitKeys {
                    circuit_version: protocol::attestation::CIRCUIT_VERSION,
                    proving_key_url: format!("{PROVING_KEY_PATH}?sha256={pk_sha}"),
                    proving_key_sha256: pk_sha,
                    claim_circuit_version: protocol::attestation::CLAIM_CIRCUIT_VERSION,
                    claim_proving_key_url: format!("{CLAIM_PROVING_KEY_PATH}?sha256={claim_sha}"),
                    claim_proving_key_sha256: claim_sha,
                    signatures: m.signatures,
                };
                Ok::<_, ApiError>(Arc::new(AttestationKeys {
                    verifying_key: m.verifying_key,
                    proving_key: Cached::of(m.proving_key_bytes),
                    claim_verifying_key: Arc::new(m.claim_verifying_key),
                    claim_proving_key: Cached::of(m.claim_proving_key_bytes),
                    circuit_keys,
                }))
            })
            .await
            .cloned()
    }
}

impl From<protocol::attestation::AttestationError> for ApiError {
    fn from(e: protocol::attestation::AttestationError) -> Self {
        ApiError::unprocessable("attestation_invalid", e.to_string())
    }
}
