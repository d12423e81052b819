//! Groth16 keys of the contributor attestation circuit and of the
//! reward-note claim circuit. The dealer makes
//! them with the keyholders' key set (`cipherpool-keyholder deal`); the
//! keyholders check every attestation with the verifying key before a
//! release. The server fetches them from the keyholders on first use —
//! every keyholder must name the same verifying key, and the proving key
//! must be that key's — and keeps them for the life of the process.
//!
//! The server never sees the setup's randomness, so it cannot forge an
//! eligibility proof (contribute without a registered identity, or twice
//! to one campaign) that the keyholders would accept. Whoever ran the
//! dealer could; see the README's setup assumption.

use std::sync::Arc;

use keyholder_api::Keyholders;
use protocol::attestation::{ClaimVerifyingKey, VerifyingKey};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::http::cached::Cached;
use crate::http::error::ApiError;

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
                Ok::<_, ApiError>(Arc::new(AttestationKeys {
                    verifying_key: m.verifying_key,
                    proving_key: Cached::of(m.proving_key_bytes),
                    claim_verifying_key: Arc::new(m.claim_verifying_key),
                    claim_proving_key: Cached::of(m.claim_proving_key_bytes),
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
