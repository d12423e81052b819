//! Wire types of the contribution protocol, shared by the client (browser
//! and native) and the server.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::schema::RawSchema;
use crate::signing::{
    verify_all, CircuitKeysStatement, KeyholderSignature, MaterialStatement, SignatureError,
    SignedTerms, VerifyingKey,
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
    /// Which identities it admits: `open` (every registered one) or
    /// `verified` (accounts an admin verified); the attestation proves
    /// membership through a leaf of this tier.
    pub eligibility: crate::attestation::Tier,
    /// SHA-256 of the public key, hex.
    pub key_fingerprint: String,
    /// The zk-pok metadata the proof must bind, base64.
    pub proof_metadata: String,
    /// Attestation circuit version.
    pub circuit_version: u32,
    /// Registry tree depth.
    pub tree_depth: usize,
    /// Where to fetch the circuits' keys as the keyholders signed them
    /// ([`CircuitKeys`]: the proving key's SHA-256 and URL): a client proves
    /// only with a proving key whose SHA-256 every pinned keyholder signed.
    pub circuit_keys_url: String,
    /// SHA-256 of the compact public key's bytes, hex (signed by the
    /// keyholders; the strong ETag of `public_key_url`).
    pub public_key_sha256: String,
    /// Where the compact public key is served as `application/octet-stream`
    /// (immutable, cacheable): fetched once, checked against
    /// `public_key_sha256` ([`Material::check_bytes`]).
    pub public_key_url: String,
    /// SHA-256 of the zk-pok CRS's bytes, hex (signed; the strong ETag of
    /// `crs_url`).
    pub crs_sha256: String,
    /// Where the zk-pok CRS is served as `application/octet-stream`
    /// (immutable, cacheable), checked against `crs_sha256`.
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
    /// campaign, schema and version, the SHA-256 of the public key and of
    /// the CRS, key fingerprint and terms. Unsigned material is refused.
    /// The key and CRS bytes, fetched apart, are then held to the signed
    /// hashes by [`Material::check_bytes`].
    pub fn verify_signatures(&self, pinned: &[VerifyingKey]) -> Result<(), MaterialError> {
        let terms = self.terms.as_ref().ok_or(MaterialError::Unsigned)?;
        let fp = hash32(&self.key_fingerprint, "key_fingerprint")?;
        let pk_sha = hash32(&self.public_key_sha256, "public_key_sha256")?;
        let crs_sha = hash32(&self.crs_sha256, "crs_sha256")?;
        let statement = MaterialStatement {
            campaign_id: u64::try_from(self.campaign_id)
                .map_err(|_| MaterialError::Malformed("campaign_id"))?,
            schema_version: u32::try_from(self.schema_version)
                .map_err(|_| MaterialError::Malformed("schema_version"))?,
            schema: &self.schema,
            key_fingerprint: &fp,
            public_key_sha256: &pk_sha,
            crs_sha256: &crs_sha,
            terms,
        };
        verify_all(&statement.message(), &self.signatures, pinned)?;
        Ok(())
    }

    /// Checks the public key and CRS bytes fetched from `public_key_url`
    /// and `crs_url` against the hashes this material names (and its
    /// signatures cover): a server or a cache handing out other bytes is
    /// caught here, before anything is encrypted under them.
    pub fn check_bytes(&self, public_key: &[u8], crs: &[u8]) -> Result<(), MaterialError> {
        check_sha256(
            public_key,
            &self.public_key_sha256,
            "public_key_sha256",
            "public key",
        )?;
        check_sha256(crs, &self.crs_sha256, "crs_sha256", "CRS")
    }
}

/// The Groth16 proving keys of the attestation and claim circuits as every
/// keyholder vouched for them (`GET /api/attestation/keys`): their versions,
/// the SHA-256 of each key's bytes, where the bytes are served, and every
/// keyholder's signature over [`crate::signing::CircuitKeysStatement`].
///
/// A client proves only with key bytes this names, signed by every pinned
/// keyholder ([`CircuitKeys::verify_signatures`], then
/// [`CircuitKeys::check_proving_key`] or
/// [`CircuitKeys::check_claim_proving_key`]): a proving key the server made
/// itself could turn a proof into a label of the prover.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CircuitKeys {
    /// The attestation circuit's version.
    pub circuit_version: u32,
    /// SHA-256 of its proving key's bytes, hex.
    pub proving_key_sha256: String,
    /// Where its proving key is served (immutable, cacheable).
    pub proving_key_url: String,
    /// The claim circuit's version.
    pub claim_circuit_version: u32,
    /// SHA-256 of its proving key's bytes, hex.
    pub claim_proving_key_sha256: String,
    /// Where its proving key is served (immutable, cacheable).
    pub claim_proving_key_url: String,
    /// Every keyholder's signature over the statement, in share order.
    pub signatures: Vec<KeyholderSignature>,
}

impl CircuitKeys {
    /// Checks that the keys are for the circuits this client proves and that
    /// every pinned keyholder signed their hashes.
    pub fn verify_signatures(&self, pinned: &[VerifyingKey]) -> Result<(), MaterialError> {
        use crate::attestation::{CIRCUIT_VERSION, CLAIM_CIRCUIT_VERSION};
        for (got, expected) in [
            (self.circuit_version, CIRCUIT_VERSION),
            (self.claim_circuit_version, CLAIM_CIRCUIT_VERSION),
        ] {
            if got != expected {
                return Err(MaterialError::CircuitVersion { got, expected });
            }
        }
        let pk = hash32(&self.proving_key_sha256, "proving_key_sha256")?;
        let claim = hash32(&self.claim_proving_key_sha256, "claim_proving_key_sha256")?;
        let statement = CircuitKeysStatement {
            circuit_version: self.circuit_version,
            proving_key_sha256: &pk,
            claim_circuit_version: self.claim_circuit_version,
            claim_proving_key_sha256: &claim,
        };
        verify_all(&statement.message(), &self.signatures, pinned)?;
        Ok(())
    }

    /// Checks attestation proving key bytes against the signed hash.
    pub fn check_proving_key(&self, bytes: &[u8]) -> Result<(), MaterialError> {
        check_sha256(
            bytes,
            &self.proving_key_sha256,
            "proving_key_sha256",
            "proving key",
        )
    }

    /// Checks claim proving key bytes against the signed hash.
    pub fn check_claim_proving_key(&self, bytes: &[u8]) -> Result<(), MaterialError> {
        check_sha256(
            bytes,
            &self.claim_proving_key_sha256,
            "claim_proving_key_sha256",
            "claim proving key",
        )
    }
}

fn check_sha256(
    bytes: &[u8],
    hex_str: &str,
    field: &'static str,
    what: &'static str,
) -> Result<(), MaterialError> {
    if <[u8; 32]>::from(Sha256::digest(bytes)) != hash32(hex_str, field)? {
        return Err(MaterialError::BytesDiffer(what));
    }
    Ok(())
}

fn hash32(hex_str: &str, what: &'static str) -> Result<[u8; 32], MaterialError> {
    hex::decode(hex_str)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(MaterialError::Malformed(what))
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
    /// Fetched bytes are not the ones the material names.
    #[error("the {0} fetched is not the one the keyholders signed")]
    BytesDiffer(&'static str),
    /// Keys for a circuit version this client does not prove.
    #[error("the keys are for circuit version {got}, this client proves version {expected}")]
    CircuitVersion {
        /// The version the keys name.
        got: u32,
        /// The client's.
        expected: u32,
    },
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
    /// The leaf's tier (the tree holds `H_leaf(commitment, tier)` there).
    pub tier: crate::attestation::Tier,
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
    /// The reward note's key (`NoteSecret::key`), a 32-byte field element, hex.
    /// The reward is paid into a note of the notes tree, not to an account.
    pub note_key: String,
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

/// What an accepted contribution answers (to the anonymous submitter only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// Contribution id.
    pub contribution_id: i64,
    /// Campaign id.
    pub campaign_id: i64,
    /// SHA-256 of the ciphertext bytes as received, hex.
    pub digest: String,
    /// The reward transfer (campaign escrow to the unclaimed-rewards account).
    pub transfer_id: i64,
    /// Tokens paid into the note.
    pub reward: i64,
    /// Position of the reward note's commitment in the notes tree.
    pub note_index: u64,
    /// The note's commitment `H_note(note_key, reward)`, hex.
    pub note_commitment: String,
}

/// A page of the notes tree's leaves (`GET /api/notes`): every client
/// downloads them all and builds its paths itself, so asking reveals no note.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotesPage {
    /// Index of the first commitment of the page.
    pub first_index: u64,
    /// Note commitments, hex, in leaf order.
    pub commitments: Vec<String>,
    /// The number of leaves the root below covers; the page never goes past it.
    pub leaf_count: u64,
    /// The notes-tree root over the first `leaf_count` leaves, hex: a root
    /// claims may prove under.
    pub root: String,
}

/// A campaign that paid reward notes, with its reward (`GET
/// /api/notes/campaigns`): what a device needs to find its notes again from
/// its identity secret alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteCampaign {
    /// Campaign id.
    pub campaign_id: i64,
    /// Tokens per accepted contribution.
    pub reward: i64,
}

/// A claim of up to four reward notes into a wallet (`POST /api/claims`).
/// It carries no session: the proof alone says the notes are the claimant's.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// The claim circuit's Groth16 proof, base64.
    pub proof: String,
    /// The notes-tree root the proof is under, hex.
    pub root: String,
    /// Exactly four note nullifiers, hex (padding slots included).
    pub nullifiers: Vec<String>,
    /// The sum of the claimed notes.
    pub total: i64,
    /// The wallet account paid.
    pub destination: i64,
}

/// Why a [`ClaimRequest`] is not a claim statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimWireError {
    /// A member is malformed.
    #[error("{0}")]
    Malformed(String),
}

impl ClaimRequest {
    /// The request for a proven claim.
    pub fn new(proof: &crate::attestation::Proof, st: &crate::attestation::ClaimStatement) -> Self {
        use crate::attestation::fr_to_hex;
        use base64::Engine;
        Self {
            proof: base64::engine::general_purpose::STANDARD.encode(proof.to_bytes()),
            root: fr_to_hex(&st.root),
            nullifiers: st.nullifiers.iter().map(fr_to_hex).collect(),
            total: i64::try_from(st.total).unwrap_or(i64::MAX),
            destination: i64::try_from(st.destination).unwrap_or(i64::MAX),
        }
    }

    /// The proof bytes and the statement the request makes; checks shapes
    /// and the statement's own rules, not the proof.
    pub fn statement(
        &self,
    ) -> Result<(Vec<u8>, crate::attestation::ClaimStatement), ClaimWireError> {
        use crate::attestation::{fr_from_hex, ClaimStatement, CLAIM_ARITY};
        use base64::Engine;
        let bad = |m: &str| ClaimWireError::Malformed(m.to_string());
        let proof = base64::engine::general_purpose::STANDARD
            .decode(&self.proof)
            .map_err(|_| bad("proof is not base64"))?;
        let root = fr_from_hex(&self.root).map_err(|_| bad("root is not a field element"))?;
        if self.nullifiers.len() != CLAIM_ARITY {
            return Err(bad("a claim carries exactly 4 nullifiers"));
        }
        let mut nullifiers = [root; CLAIM_ARITY];
        for (slot, text) in nullifiers.iter_mut().zip(&self.nullifiers) {
            *slot = fr_from_hex(text).map_err(|_| bad("a nullifier is not a field element"))?;
        }
        let total = u64::try_from(self.total)
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| bad("total must be a positive amount"))?;
        let destination = u64::try_from(self.destination)
            .ok()
            .filter(|d| *d > 0)
            .ok_or_else(|| bad("destination must be an account id"))?;
        let statement = ClaimStatement {
            root,
            nullifiers,
            total,
            destination,
        };
        statement
            .check()
            .map_err(|e| ClaimWireError::Malformed(e.to_string()))?;
        Ok((proof, statement))
    }
}

/// What an accepted claim answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimReceipt {
    /// Claim id.
    pub claim_id: i64,
    /// The transfer from the unclaimed-rewards account to the wallet.
    pub transfer_id: i64,
    /// Tokens paid.
    pub amount: i64,
    /// The wallet paid.
    pub destination: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::{CIRCUIT_VERSION, CLAIM_CIRCUIT_VERSION};
    use crate::signing::{sign, SigningKey};

    fn signed(keys: &[&SigningKey], pk: &[u8], claim: &[u8]) -> CircuitKeys {
        let (pk_sha, claim_sha): ([u8; 32], [u8; 32]) =
            (Sha256::digest(pk).into(), Sha256::digest(claim).into());
        let message = CircuitKeysStatement {
            circuit_version: CIRCUIT_VERSION,
            proving_key_sha256: &pk_sha,
            claim_circuit_version: CLAIM_CIRCUIT_VERSION,
            claim_proving_key_sha256: &claim_sha,
        }
        .message();
        CircuitKeys {
            circuit_version: CIRCUIT_VERSION,
            proving_key_sha256: hex::encode(pk_sha),
            proving_key_url: "/pk".into(),
            claim_circuit_version: CLAIM_CIRCUIT_VERSION,
            claim_proving_key_sha256: hex::encode(claim_sha),
            claim_proving_key_url: "/claim".into(),
            signatures: keys.iter().map(|k| sign(k, &message)).collect(),
        }
    }

    #[test]
    fn circuit_keys_are_trusted_only_as_every_pinned_keyholder_signed_them() {
        let (a, b) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        );
        let pinned = [a.verifying_key(), b.verifying_key()];
        let keys = signed(&[&a, &b], b"pk", b"claim");
        assert_eq!(keys.verify_signatures(&pinned), Ok(()));
        assert_eq!(keys.check_proving_key(b"pk"), Ok(()));
        assert_eq!(keys.check_claim_proving_key(b"claim"), Ok(()));
        // Other bytes (a key the server made), or the two keys swapped.
        assert_eq!(
            keys.check_proving_key(b"pk2"),
            Err(MaterialError::BytesDiffer("proving key"))
        );
        assert_eq!(
            keys.check_claim_proving_key(b"pk"),
            Err(MaterialError::BytesDiffer("claim proving key"))
        );
        // A hash the server rewrote no longer carries the signatures.
        let mut swapped = keys.clone();
        swapped.proving_key_sha256 = hex::encode(Sha256::digest(b"pk2"));
        assert!(matches!(
            swapped.verify_signatures(&pinned),
            Err(MaterialError::Signature(SignatureError::Invalid(_)))
        ));
        // One pinned keyholder missing; nothing pinned.
        let only_a = signed(&[&a], b"pk", b"claim");
        assert!(matches!(
            only_a.verify_signatures(&pinned),
            Err(MaterialError::Signature(SignatureError::Missing(_)))
        ));
        assert!(matches!(
            keys.verify_signatures(&[]),
            Err(MaterialError::Signature(SignatureError::NothingPinned))
        ));
        // Keys for another circuit version, even signed, are not used.
        let mut old = keys.clone();
        old.circuit_version = CIRCUIT_VERSION - 1;
        assert_eq!(
            old.verify_signatures(&pinned),
            Err(MaterialError::CircuitVersion {
                got: CIRCUIT_VERSION - 1,
                expected: CIRCUIT_VERSION
            })
        );
        let mut bad = keys;
        bad.claim_proving_key_sha256 = "zz".into();
        assert_eq!(
            bad.verify_signatures(&pinned),
            Err(MaterialError::Malformed("claim_proving_key_sha256"))
        );
    }
}
