//! The Groth16 proving keys a client proves with, taken only as the
//! keyholders signed them.
//!
//! A proving key cannot be checked from its points: the server that serves
//! it could have made one itself (zeroing δ, or choosing the query points)
//! so that each proof made with it says whose identity, or which reward
//! notes, it proves. Such a proof fails verification, but the server has
//! seen it by then. So the client takes the key's SHA-256 from
//! [`CircuitKeys`], checks that every keyholder it pins signed it, checks the
//! fetched bytes against it, and only then reads them; a [`PinnedKey`] exists
//! only through [`PinnedKey::load`], and the contribution and claim code take
//! nothing else.

use protocol::attestation::{
    Attestation, AttestationError, CircuitKind, CircuitProvingKey, Claim, ClaimProvingKey,
    ProvingKey,
};
use protocol::signing::VerifyingKey;
use protocol::wire::{CircuitKeys, MaterialError};

/// A proving key whose bytes every pinned keyholder signed the hash of.
pub struct PinnedKey<C: CircuitKind>(CircuitProvingKey<C>);

/// The attestation circuit's proving key, checked.
pub type PinnedProvingKey = PinnedKey<Attestation>;

/// The claim circuit's proving key, checked.
pub type PinnedClaimKey = PinnedKey<Claim>;

impl<C: CircuitKind> Clone for PinnedKey<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: CircuitKind> std::fmt::Debug for PinnedKey<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PinnedKey").finish_non_exhaustive()
    }
}

/// Why a proving key is not used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not signed by every pinned keyholder, or not the bytes they signed.
    #[error("{0}")]
    Untrusted(#[from] MaterialError),
    /// The signed bytes do not read as a key of this circuit.
    #[error("{0}")]
    Malformed(#[from] AttestationError),
}

impl PinnedKey<Attestation> {
    /// Checks `keys` against `pinned`, then `bytes` (fetched from
    /// `keys.proving_key_url`) against the signed hash, then reads them.
    pub fn load(
        keys: &CircuitKeys,
        bytes: &[u8],
        pinned: &[VerifyingKey],
    ) -> Result<Self, KeyError> {
        keys.verify_signatures(pinned)?;
        keys.check_proving_key(bytes)?;
        Ok(Self(ProvingKey::from_trusted_bytes(bytes)?))
    }
}

impl PinnedKey<Claim> {
    /// Checks `keys` against `pinned`, then `bytes` (fetched from
    /// `keys.claim_proving_key_url`) against the signed hash, then reads them.
    pub fn load(
        keys: &CircuitKeys,
        bytes: &[u8],
        pinned: &[VerifyingKey],
    ) -> Result<Self, KeyError> {
        keys.verify_signatures(pinned)?;
        keys.check_claim_proving_key(bytes)?;
        Ok(Self(ClaimProvingKey::from_trusted_bytes(bytes)?))
    }
}

impl<C: CircuitKind> PinnedKey<C> {
    /// The key.
    pub fn key(&self) -> &CircuitProvingKey<C> {
        &self.0
    }

    /// A key the test made itself (no keyholder to sign it).
    #[cfg(test)]
    pub(crate) fn for_tests(key: CircuitProvingKey<C>) -> Self {
        Self(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::attestation::{setup, CIRCUIT_VERSION, CLAIM_CIRCUIT_VERSION};
    use protocol::signing::{sign, CircuitKeysStatement, SigningKey};
    use sha2::{Digest, Sha256};

    fn keys_signed_by(signers: &[&SigningKey], pk: &[u8], claim: &[u8]) -> CircuitKeys {
        let (a, b): ([u8; 32], [u8; 32]) =
            (Sha256::digest(pk).into(), Sha256::digest(claim).into());
        let m = CircuitKeysStatement {
            circuit_version: CIRCUIT_VERSION,
            proving_key_sha256: &a,
            claim_circuit_version: CLAIM_CIRCUIT_VERSION,
            claim_proving_key_sha256: &b,
        }
        .message();
        CircuitKeys {
            circuit_version: CIRCUIT_VERSION,
            proving_key_sha256: hex::encode(a),
            proving_key_url: String::new(),
            claim_circuit_version: CLAIM_CIRCUIT_VERSION,
            claim_proving_key_sha256: hex::encode(b),
            claim_proving_key_url: String::new(),
            signatures: signers.iter().map(|k| sign(k, &m)).collect(),
        }
    }

    #[test]
    fn only_the_signed_key_is_read() {
        let mut rng = rand::rngs::OsRng;
        let (pk, _) = setup(&mut rng).unwrap();
        let (theirs, _) = setup(&mut rng).unwrap();
        let bytes = pk.to_trusted_bytes();
        let keyholder = SigningKey::from_bytes(&[4; 32]);
        let pinned = [keyholder.verifying_key()];
        let keys = keys_signed_by(&[&keyholder], &bytes, b"claim");
        let loaded = PinnedProvingKey::load(&keys, &bytes, &pinned).unwrap();
        assert_eq!(loaded.key().to_bytes(), pk.to_bytes());
        // A key made by whoever serves it: valid points, another setup.
        assert!(matches!(
            PinnedProvingKey::load(&keys, &theirs.to_trusted_bytes(), &pinned),
            Err(KeyError::Untrusted(MaterialError::BytesDiffer(_)))
        ));
        // ... even with its hash written into the keys by the server.
        let swapped = keys_signed_by(&[], &theirs.to_trusted_bytes(), b"claim");
        let mut forged = swapped.clone();
        forged.signatures = keys.signatures.clone();
        assert!(matches!(
            PinnedProvingKey::load(&forged, &theirs.to_trusted_bytes(), &pinned),
            Err(KeyError::Untrusted(MaterialError::Signature(_)))
        ));
        // One flipped byte; signed by a keyholder the client does not pin.
        let mut flipped = bytes.clone();
        flipped[1000] ^= 1;
        assert!(PinnedProvingKey::load(&keys, &flipped, &pinned).is_err());
        let stranger = SigningKey::from_bytes(&[5; 32]);
        let by_stranger = keys_signed_by(&[&stranger], &bytes, b"claim");
        assert!(matches!(
            PinnedProvingKey::load(&by_stranger, &bytes, &pinned),
            Err(KeyError::Untrusted(MaterialError::Signature(_)))
        ));
        // The attestation key is not taken as the claim key.
        assert!(PinnedClaimKey::load(&keys, &bytes, &pinned).is_err());
    }
}
