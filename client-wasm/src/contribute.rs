//! Preparing one contribution: encode → encrypt + zk-prove → attest.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fhe_compute::keys::{proof_metadata, PublicMaterial};
use protocol::attestation::{self, fr_from_bytes, fr_to_bytes, IdentitySecret, MerklePath};
use protocol::record::{encode, layout, RecordError};
use protocol::signing::VerifyingKey;
use protocol::wire::{AttestationWire, IdentityView, Material, Submission};
use protocol::CampaignSchema;
use sha2::{Digest, Sha256};

use crate::keys::PinnedProvingKey;

/// Why a contribution could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The record does not fit the schema (nothing was encrypted).
    #[error("{0}")]
    Record(#[from] RecordError),
    /// The campaign material is inconsistent or malformed.
    #[error("campaign material: {0}")]
    Material(String),
    /// The identity (secret or Merkle path) is malformed or not in the tree.
    #[error("identity: {0}")]
    Identity(String),
    /// Encryption failed.
    #[error("encryption: {0}")]
    Encrypt(String),
    /// The attestation proof failed.
    #[error("attestation: {0}")]
    Attest(String),
}

/// Steps reported to a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Checking the record against the schema.
    Encode,
    /// Encrypting and proving the ranges (zk-pok): the slow part.
    Encrypt,
    /// Building the Groth16 eligibility proof.
    Attest,
    /// Ready to submit.
    Done,
}

impl Stage {
    /// A short name for the UI.
    pub fn name(self) -> &'static str {
        match self {
            Self::Encode => "encode",
            Self::Encrypt => "encrypt",
            Self::Attest => "attest",
            Self::Done => "done",
        }
    }

    /// Rough share of the total work done when the stage starts (0-100).
    pub fn percent(self) -> u32 {
        match self {
            Self::Encode => 0,
            Self::Encrypt => 5,
            Self::Attest => 85,
            Self::Done => 100,
        }
    }
}

fn b64(s: &str, what: &str) -> Result<Vec<u8>, ClientError> {
    STANDARD
        .decode(s)
        .map_err(|_| ClientError::Material(format!("{what} is not base64")))
}

/// A campaign's material checked and parsed once, ready to encrypt and
/// attest any number of records: the page's worker loads it while the
/// contributor fills in the form, so the click pays only for encryption and
/// proofs ([`LoadedCampaign::prepare`]).
pub struct LoadedCampaign {
    material: Material,
    schema: CampaignSchema,
    campaign_id: u64,
    metadata: Vec<u8>,
    public_key: tfhe::CompactPublicKey,
    crs: tfhe::zk::CompactPkeCrs,
    proving_key: PinnedProvingKey,
}

impl LoadedCampaign {
    /// Checks that every keyholder key in `pinned` signed the material (the
    /// campaign, schema, public key and CRS hashes and release terms;
    /// unsigned or mis-signed material is refused before anything is
    /// parsed), that `public` (the key and CRS fetched from the material's
    /// URLs) are the bytes it names, and the material against itself
    /// (layout, key fingerprint, proof metadata); then parses the key, the
    /// CRS and the schema.
    pub fn load(
        material: &Material,
        public: &PublicMaterial,
        proving_key: PinnedProvingKey,
        pinned: &[VerifyingKey],
    ) -> Result<Self, ClientError> {
        material
            .verify_signatures(pinned)
            .and_then(|()| material.check_bytes(&public.public_key, &public.crs))
            .map_err(|e| ClientError::Material(e.to_string()))?;
        let schema = CampaignSchema::parse(material.schema.clone())
            .map_err(|e| ClientError::Material(e.to_string()))?;
        if layout(&schema) != material.layout {
            return Err(ClientError::Material(
                "layout does not match the schema".into(),
            ));
        }
        let fingerprint = public.key_fingerprint();
        if hex::encode(fingerprint) != material.key_fingerprint {
            return Err(ClientError::Material(
                "the public key does not match its fingerprint".into(),
            ));
        }
        let campaign_id = u64::try_from(material.campaign_id)
            .map_err(|_| ClientError::Material("bad campaign id".into()))?;
        let schema_version = u32::try_from(material.schema_version)
            .map_err(|_| ClientError::Material("bad schema version".into()))?;
        let metadata = proof_metadata(campaign_id, schema_version, &fingerprint);
        if b64(&material.proof_metadata, "proof_metadata")? != metadata {
            return Err(ClientError::Material(
                "the proof metadata does not bind this campaign".into(),
            ));
        }
        let public_key = public
            .public_key()
            .map_err(|e| ClientError::Material(e.to_string()))?;
        let crs = public
            .crs()
            .map_err(|e| ClientError::Material(e.to_string()))?;
        Ok(Self {
            material: material.clone(),
            schema,
            campaign_id,
            metadata,
            public_key,
            crs,
            proving_key,
        })
    }

    /// Builds a submission for `record` (a JSON object of field → value):
    /// encrypts it with the campaign key under the zk-pok CRS, and proves
    /// eligibility with `secret` and its Merkle path, binding the proof to
    /// the ciphertext digest and the key of the reward note derived from
    /// `secret` and the campaign ([`attestation::NoteSecret::derive`]): the
    /// submission names no account; the reward is claimed later
    /// ([`crate::notes`]).
    pub fn prepare(
        &self,
        secret: &IdentitySecret,
        identity: &IdentityView,
        record: &serde_json::Value,
        progress: &mut dyn FnMut(Stage),
    ) -> Result<Submission, ClientError> {
        let material = &self.material;
        progress(Stage::Encode);
        let encoded = encode(&self.schema, record)?;

        progress(Stage::Encrypt);
        let ciphertext =
            fhe_compute::encrypt_record(&encoded, &self.public_key, &self.crs, &self.metadata)
                .map_err(|e| ClientError::Encrypt(e.to_string()))?;
        let digest: [u8; 32] = Sha256::digest(&ciphertext).into();

        progress(Stage::Attest);
        let campaign_id = self.campaign_id;
        let proving_key = self.proving_key.key();
        let siblings = identity
            .siblings
            .iter()
            .map(|h| {
                let b = hex::decode(h)
                    .map_err(|_| ClientError::Identity("sibling is not hex".into()))?;
                fr_from_bytes(&b).map_err(|e| ClientError::Identity(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let path = MerklePath {
            siblings,
            index: identity.leaf_index,
        };
        let commitment = attestation::commitment(secret);
        if hex::encode(fr_to_bytes(&commitment)) != identity.commitment {
            return Err(ClientError::Identity(
                "this secret is not the registered identity".into(),
            ));
        }
        if identity.tier != material.eligibility {
            return Err(ClientError::Identity(format!(
                "this campaign admits {} identities: prove through that leaf (GET /api/registry/me?tier={})",
                material.eligibility.as_str(),
                material.eligibility.as_str()
            )));
        }
        let mut rng = rand::rngs::OsRng;
        let note_key = attestation::NoteSecret::derive(secret, campaign_id).key();
        let (proof, public_inputs) = attestation::prove(
            proving_key,
            secret,
            &path,
            campaign_id,
            &digest,
            note_key,
            material.eligibility,
            &mut rng,
        )
        .map_err(|e| ClientError::Attest(e.to_string()))?;
        let proof_bytes = proof.to_bytes();
        progress(Stage::Done);
        Ok(Submission {
            ciphertext: STANDARD.encode(&ciphertext),
            note_key: hex::encode(fr_to_bytes(&note_key)),
            attestation: AttestationWire {
                proof: STANDARD.encode(proof_bytes),
                public_inputs: public_inputs
                    .to_field_elements()
                    .iter()
                    .map(|x| hex::encode(fr_to_bytes(x)))
                    .collect(),
            },
        })
    }
}

/// Loads the campaign ([`LoadedCampaign::load`]) and prepares one
/// submission for `record` ([`LoadedCampaign::prepare`]).
#[allow(clippy::too_many_arguments)]
pub fn prepare_contribution(
    material: &Material,
    public: &PublicMaterial,
    proving_key: &PinnedProvingKey,
    secret: &IdentitySecret,
    identity: &IdentityView,
    record: &serde_json::Value,
    pinned: &[VerifyingKey],
    progress: &mut dyn FnMut(Stage),
) -> Result<Submission, ClientError> {
    LoadedCampaign::load(material, public, proving_key.clone(), pinned)?
        .prepare(secret, identity, record, progress)
}
