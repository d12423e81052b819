//! Groth16 keys of the contributor attestation circuit: generated once per
//! circuit version by whichever server process starts first, persisted in
//! PostgreSQL, and loaded by every process.
//!
//! The generating process knows the setup's toxic waste only for the moment
//! of generation (it is dropped). An operator who kept it could forge
//! *eligibility* proofs (contribute without being registered, or more than
//! once per campaign) but learns nothing about records: production needs a
//! multi-party ceremony instead (see the README).

use diesel::prelude::*;
use protocol::attestation::{self, ProvingKey, VerifyingKey, CIRCUIT_VERSION};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::schema::attestation_keys;

/// Advisory-lock key serialising the one-time setup across processes.
const SETUP_LOCK: i64 = 0x6369_7068_6572_0002;

/// The loaded keys.
pub struct AttestationKeys {
    /// For verifying submissions.
    pub verifying_key: VerifyingKey,
    /// Serialized proving key, served to clients.
    pub proving_key_bytes: Vec<u8>,
    /// Strong ETag of the proving key.
    pub proving_key_etag: String,
}

/// Loads the keys of the current circuit version, generating and storing
/// them first if this database has none.
pub fn ensure_keys(conn: &mut PgConnection) -> anyhow::Result<AttestationKeys> {
    let (pk_bytes, vk_bytes) = conn.transaction(|conn| -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SETUP_LOCK})")).execute(conn)?;
        let existing: Option<(Vec<u8>, Vec<u8>)> = attestation_keys::table
            .find(CIRCUIT_VERSION as i32)
            .select((
                attestation_keys::proving_key,
                attestation_keys::verifying_key,
            ))
            .first(conn)
            .optional()?;
        if let Some(keys) = existing {
            return Ok(keys);
        }
        tracing::info!(
            circuit_version = CIRCUIT_VERSION,
            "generating Groth16 keys for the attestation circuit"
        );
        let (pk, vk) = attestation::setup(&mut rand::rngs::OsRng)?;
        let pk_bytes = pk.to_bytes();
        let vk_bytes = vk.to_bytes();
        diesel::insert_into(attestation_keys::table)
            .values((
                attestation_keys::circuit_version.eq(CIRCUIT_VERSION as i32),
                attestation_keys::proving_key.eq(&pk_bytes),
                attestation_keys::verifying_key.eq(&vk_bytes),
            ))
            .execute(conn)?;
        Ok((pk_bytes, vk_bytes))
    })?;
    load(pk_bytes, vk_bytes)
}

/// Builds the key set from stored bytes.
pub fn load(
    proving_key_bytes: Vec<u8>,
    verifying_key_bytes: Vec<u8>,
) -> anyhow::Result<AttestationKeys> {
    let verifying_key = VerifyingKey::from_bytes(&verifying_key_bytes)?;
    // The proving key is only served; parse it once to be sure it is sound.
    ProvingKey::from_bytes(&proving_key_bytes)?;
    let proving_key_etag = format!("\"{}\"", hex::encode(Sha256::digest(&proving_key_bytes)));
    Ok(AttestationKeys {
        verifying_key,
        proving_key_bytes,
        proving_key_etag,
    })
}

impl From<attestation::AttestationError> for ApiError {
    fn from(e: attestation::AttestationError) -> Self {
        ApiError::unprocessable("attestation_invalid", e.to_string())
    }
}
