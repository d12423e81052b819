//! The keyholders' Ed25519 signatures: on a campaign's material (what a
//! client encrypts under) and on each keyholder's share of a release (what
//! a buyer reads). The signed messages are built here, once, for signers
//! and verifiers alike; each starts with its own domain tag, so a signature
//! of one kind never verifies as the other.
//!
//! Verification is *n-of-n*: every pinned keyholder key must have signed.
//! A client pins the keys out of band (configuration, the extension's
//! settings); material the server serves with a signature missing, made by
//! another key, or over other bytes is refused.

use ed25519_dalek::{Signature, Signer};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::schema::{RawSchema, Statistic};

/// Domain tag of a campaign-material statement.
const MATERIAL_DOMAIN: &[u8] = b"cipherpool/material/v1\0";
/// Domain tag of a release-share statement.
const RELEASE_DOMAIN: &[u8] = b"cipherpool/release/v1\0";
/// Domain tag of a circuit-keys statement.
const CIRCUIT_KEYS_DOMAIN: &[u8] = b"cipherpool/circuit-keys/v1\0";

/// One keyholder's signature, as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyholderSignature {
    /// The keyholder's Ed25519 public key, hex (64 characters): also its
    /// fingerprint, as the pages show it.
    pub key: String,
    /// The signature, hex (128 characters).
    pub signature: String,
}

/// Why signatures do not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No keyholder key is pinned: nothing can be trusted.
    #[error("no keyholder keys are pinned: configure the keyholders' public keys")]
    NothingPinned,
    /// A pinned or presented key is not a valid Ed25519 key.
    #[error("not an Ed25519 public key (64 hex characters): {0}")]
    BadKey(String),
    /// A pinned keyholder did not sign.
    #[error("keyholder {0} did not sign")]
    Missing(String),
    /// A pinned keyholder's signature does not verify.
    #[error("keyholder {0}'s signature does not verify")]
    Invalid(String),
}

/// Signs `message` (a keyholder).
pub fn sign(key: &SigningKey, message: &[u8]) -> KeyholderSignature {
    KeyholderSignature {
        key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(key.sign(message).to_bytes()),
    }
}

/// Parses a hex Ed25519 public key.
pub fn parse_key(hex_key: &str) -> Result<VerifyingKey, SignatureError> {
    let bad = || SignatureError::BadKey(hex_key.chars().take(80).collect());
    let bytes = hex::decode(hex_key.trim()).map_err(|_| bad())?;
    let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
    VerifyingKey::from_bytes(&arr).map_err(|_| bad())
}

/// Parses a comma- or whitespace-separated list of hex keys (at least one).
pub fn parse_keys(list: &str) -> Result<Vec<VerifyingKey>, SignatureError> {
    let keys = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(parse_key)
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() {
        return Err(SignatureError::NothingPinned);
    }
    Ok(keys)
}

/// Checks that every key of `pinned` signed `message` among `signatures`
/// (strict Ed25519 verification). Signatures by other keys are ignored.
pub fn verify_all(
    message: &[u8],
    signatures: &[KeyholderSignature],
    pinned: &[VerifyingKey],
) -> Result<(), SignatureError> {
    if pinned.is_empty() {
        return Err(SignatureError::NothingPinned);
    }
    for key in pinned {
        let name = hex::encode(key.as_bytes());
        let s = signatures
            .iter()
            .find(|s| s.key.eq_ignore_ascii_case(&name))
            .ok_or_else(|| SignatureError::Missing(name.clone()))?;
        verify_one(message, &s.signature, key).map_err(|_| SignatureError::Invalid(name))?;
    }
    Ok(())
}

/// A signature that is not hex, not 64 bytes, or not `key`'s over the
/// message ([`verify_one`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify")]
pub struct BadSignature;

/// Checks one hex signature of `message` by `key`.
pub fn verify_one(
    message: &[u8],
    signature_hex: &str,
    key: &VerifyingKey,
) -> Result<(), BadSignature> {
    let bytes = hex::decode(signature_hex).map_err(|_| BadSignature)?;
    let arr: [u8; 64] = bytes.as_slice().try_into().map_err(|_| BadSignature)?;
    key.verify_strict(message, &Signature::from_bytes(&arr))
        .map_err(|_| BadSignature)
}

/// A campaign's release terms as the keyholders fixed and signed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignedTerms {
    /// The statistics the campaign may release.
    pub statistics: Vec<Statistic>,
    /// Fewest distinct contributions a release must cover.
    pub min_contributors: u64,
    /// Total privacy budget, in millionths of ε.
    pub epsilon_micro: u64,
    /// Most contributions the campaign accepts.
    pub max_contributions: u64,
    /// δ of the campaign's (ε, δ) promise; 0 (the default, left out of the
    /// JSON) for pure ε-differential privacy. With δ > 0 a report may be
    /// released under the discrete Gaussian mechanism
    /// ([`crate::report::mechanism`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn put_bytes(m: &mut Vec<u8>, bytes: &[u8]) {
    m.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    m.extend_from_slice(bytes);
}

/// What every keyholder signs when it registers a campaign, and what a
/// client checks before encrypting anything under the campaign's key.
#[derive(Debug, Clone, Copy)]
pub struct MaterialStatement<'a> {
    /// The campaign.
    pub campaign_id: u64,
    /// The schema version contributions' proofs bind to.
    pub schema_version: u32,
    /// The record schema.
    pub schema: &'a RawSchema,
    /// SHA-256 of the public key (the key set's id).
    pub key_fingerprint: &'a [u8; 32],
    /// SHA-256 of the compact public key's bytes.
    pub public_key_sha256: &'a [u8; 32],
    /// SHA-256 of the zk-pok CRS's bytes.
    pub crs_sha256: &'a [u8; 32],
    /// The release terms.
    pub terms: &'a SignedTerms,
}

impl MaterialStatement<'_> {
    /// The signed bytes: domain tag, campaign id, schema version, SHA-256 of
    /// the schema's JSON, the key fingerprint, SHA-256 of the public key and
    /// of the CRS, then the terms (statistics by name, length-prefixed).
    pub fn message(&self) -> Vec<u8> {
        let mut m = MATERIAL_DOMAIN.to_vec();
        m.extend_from_slice(&self.campaign_id.to_be_bytes());
        m.extend_from_slice(&self.schema_version.to_be_bytes());
        let schema = serde_json::to_vec(self.schema).expect("a schema serializes");
        m.extend_from_slice(&Sha256::digest(schema));
        m.extend_from_slice(self.key_fingerprint);
        m.extend_from_slice(self.public_key_sha256);
        m.extend_from_slice(self.crs_sha256);
        m.extend_from_slice(&(self.terms.statistics.len() as u64).to_be_bytes());
        for s in &self.terms.statistics {
            put_bytes(&mut m, s.to_string().as_bytes());
        }
        m.extend_from_slice(&self.terms.min_contributors.to_be_bytes());
        m.extend_from_slice(&self.terms.epsilon_micro.to_be_bytes());
        m.extend_from_slice(&self.terms.max_contributions.to_be_bytes());
        // δ only when promised, so that statements signed before δ existed
        // (every one of them pure ε) still verify; the fields before it are
        // fixed-length, so the two forms cannot be confused.
        if self.terms.delta != 0.0 {
            m.extend_from_slice(b"delta");
            m.extend_from_slice(&self.terms.delta.to_bits().to_be_bytes());
        }
        m
    }
}

/// What every keyholder signs about the Groth16 proving keys the dealer
/// made with its key set, and what a client checks before proving anything
/// with a key the server handed it. A proving key is not checkable from its
/// points alone: one made by whoever serves it (a trapdoor known, or query
/// points chosen to make a proof carry the prover's identity) would link a
/// contribution, or a reward-note claim, to who made it. Clients use only
/// keys whose SHA-256 every pinned keyholder signed.
#[derive(Debug, Clone, Copy)]
pub struct CircuitKeysStatement<'a> {
    /// The attestation circuit's version.
    pub circuit_version: u32,
    /// SHA-256 of its proving key's bytes.
    pub proving_key_sha256: &'a [u8; 32],
    /// The claim circuit's version.
    pub claim_circuit_version: u32,
    /// SHA-256 of its proving key's bytes.
    pub claim_proving_key_sha256: &'a [u8; 32],
}

impl CircuitKeysStatement<'_> {
    /// The signed bytes: domain tag, then each circuit's version and the
    /// SHA-256 of its proving key.
    pub fn message(&self) -> Vec<u8> {
        let mut m = CIRCUIT_KEYS_DOMAIN.to_vec();
        m.extend_from_slice(&self.circuit_version.to_be_bytes());
        m.extend_from_slice(self.proving_key_sha256);
        m.extend_from_slice(&self.claim_circuit_version.to_be_bytes());
        m.extend_from_slice(self.claim_proving_key_sha256);
        m
    }
}

/// One released value as one keyholder signs it: its key and that
/// keyholder's noise scale and 99% bound.
#[derive(Debug, Clone, Copy)]
pub struct SignedValue<'a> {
    /// The aggregate's key (e.g. `sum:age`).
    pub key: &'a str,
    /// The keyholder's noise scale.
    pub noise_scale: f64,
    /// The keyholder's 99% bound.
    pub noise_bound_99: f64,
}

/// What each keyholder signs with its partial decryption: a buyer who has
/// every keyholder's signed partial recombines them and compares with the
/// values the server reported.
#[derive(Debug, Clone)]
pub struct ReleaseStatement<'a> {
    /// The campaign.
    pub campaign_id: u64,
    /// The job.
    pub job_id: u64,
    /// SHA-256 of the release request (manifest, aggregate, statistics, ε) the
    /// keyholder verified, hex.
    pub request_digest: &'a str,
    /// Contributions covered.
    pub records: u64,
    /// ε spent, in millionths.
    pub epsilon_micro: u64,
    /// The keyholder's share index and the number of keyholders.
    pub index: u32,
    /// How many keyholders hold a share.
    pub parties: u32,
    /// SHA-256 of the keyholder's partial decryption (its JSON).
    pub partial_digest: &'a [u8; 32],
    /// The values, in plan order.
    pub values: Vec<SignedValue<'a>>,
    /// The noise mechanism (every value's).
    pub mechanism: crate::report::mechanism::Mechanism,
    /// δ the release spends (0 under Laplace).
    pub delta: f64,
    /// ρ of its zCDP (0 under Laplace).
    pub rho: f64,
}

impl ReleaseStatement<'_> {
    /// The signed bytes: domain tag and every field, length-prefixed where
    /// variable.
    pub fn message(&self) -> Vec<u8> {
        let mut m = RELEASE_DOMAIN.to_vec();
        m.extend_from_slice(&self.campaign_id.to_be_bytes());
        m.extend_from_slice(&self.job_id.to_be_bytes());
        put_bytes(&mut m, self.request_digest.as_bytes());
        m.extend_from_slice(&self.records.to_be_bytes());
        m.extend_from_slice(&self.epsilon_micro.to_be_bytes());
        m.extend_from_slice(&self.index.to_be_bytes());
        m.extend_from_slice(&self.parties.to_be_bytes());
        m.extend_from_slice(self.partial_digest);
        m.extend_from_slice(&(self.values.len() as u64).to_be_bytes());
        for v in &self.values {
            put_bytes(&mut m, v.key.as_bytes());
            m.extend_from_slice(&v.noise_scale.to_bits().to_be_bytes());
            m.extend_from_slice(&v.noise_bound_99.to_bits().to_be_bytes());
        }
        // The mechanism and what it spends beyond ε, only when it is not
        // the discrete Laplace (so that releases signed before the Gaussian
        // existed still verify). Every value before it is self-delimiting,
        // so the two forms cannot be confused.
        if !self.mechanism.is_laplace() {
            put_bytes(&mut m, self.mechanism.name().as_bytes());
            m.extend_from_slice(&self.delta.to_bits().to_be_bytes());
            m.extend_from_slice(&self.rho.to_bits().to_be_bytes());
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn statement_bytes(campaign_id: u64, terms: &SignedTerms, crs: &[u8]) -> Vec<u8> {
        let schema: RawSchema =
            serde_json::from_str(r#"{"fields":[{"type":"numeric","name":"a","bits":8}]}"#).unwrap();
        MaterialStatement {
            campaign_id,
            schema_version: 1,
            schema: &schema,
            key_fingerprint: &[7; 32],
            public_key_sha256: &Sha256::digest(b"pk").into(),
            crs_sha256: &Sha256::digest(crs).into(),
            terms,
        }
        .message()
    }

    fn terms() -> SignedTerms {
        SignedTerms {
            statistics: vec![Statistic::Count, Statistic::Sum],
            min_contributors: 10,
            epsilon_micro: 1_000_000,
            max_contributions: 100,
            delta: 0.0,
        }
    }

    #[test]
    fn every_pinned_keyholder_must_sign_these_very_bytes() {
        let (a, b, c) = (key(1), key(2), key(3));
        let m = statement_bytes(5, &terms(), b"crs");
        let pinned = [a.verifying_key(), b.verifying_key()];
        let both = [sign(&a, &m), sign(&b, &m)];
        assert_eq!(verify_all(&m, &both, &pinned), Ok(()));
        // In any order, with an extra signature by someone else.
        let mixed = [sign(&c, &m), sign(&b, &m), sign(&a, &m)];
        assert_eq!(verify_all(&m, &mixed, &pinned), Ok(()));
        // One missing, one by an unpinned key instead, nothing pinned.
        assert!(matches!(
            verify_all(&m, &[sign(&a, &m)], &pinned),
            Err(SignatureError::Missing(_))
        ));
        assert!(matches!(
            verify_all(&m, &[sign(&a, &m), sign(&c, &m)], &pinned),
            Err(SignatureError::Missing(_))
        ));
        assert_eq!(
            verify_all(&m, &both, &[]),
            Err(SignatureError::NothingPinned)
        );
        // A signature moved onto b's key, or over other material, fails.
        let mut forged = both.clone();
        forged[1].signature = both[0].signature.clone();
        assert!(matches!(
            verify_all(&m, &forged, &pinned),
            Err(SignatureError::Invalid(_))
        ));
        for other in [
            statement_bytes(6, &terms(), b"crs"),
            statement_bytes(5, &terms(), b"crs2"),
            statement_bytes(
                5,
                &SignedTerms {
                    epsilon_micro: 2_000_000,
                    ..terms()
                },
                b"crs",
            ),
            statement_bytes(
                5,
                &SignedTerms {
                    statistics: vec![Statistic::Count],
                    ..terms()
                },
                b"crs",
            ),
            statement_bytes(
                5,
                &SignedTerms {
                    delta: 1e-6,
                    ..terms()
                },
                b"crs",
            ),
        ] {
            assert_ne!(other, m);
            assert!(matches!(
                verify_all(&other, &both, &pinned),
                Err(SignatureError::Invalid(_))
            ));
        }
        // A release statement never verifies as material.
        let release = ReleaseStatement {
            campaign_id: 5,
            job_id: 1,
            request_digest: "ab",
            records: 10,
            epsilon_micro: 1,
            index: 0,
            parties: 2,
            partial_digest: &[0; 32],
            values: vec![],
            mechanism: Default::default(),
            delta: 0.0,
            rho: 0.0,
        }
        .message();
        assert!(verify_all(&release, &both, &pinned).is_err());
    }

    #[test]
    fn a_release_statement_binds_its_mechanism() {
        use crate::report::mechanism::Mechanism;
        let value = SignedValue {
            key: "sum:a",
            noise_scale: 3.0,
            noise_bound_99: 20.0,
        };
        let statement = |mechanism, delta, rho| {
            ReleaseStatement {
                campaign_id: 5,
                job_id: 1,
                request_digest: "ab",
                records: 10,
                epsilon_micro: 1_000_000,
                index: 0,
                parties: 2,
                partial_digest: &[0; 32],
                values: vec![value],
                mechanism,
                delta,
                rho,
            }
            .message()
        };
        let laplace = statement(Mechanism::DiscreteLaplace, 0.0, 0.0);
        let gaussian = statement(Mechanism::DiscreteGaussian, 1e-6, 0.02);
        // Laplace statements are the bytes signed before the Gaussian existed.
        assert!(!laplace.windows(17).any(|w| w == b"discrete_gaussian"));
        assert!(gaussian.starts_with(&laplace));
        assert_ne!(gaussian, statement(Mechanism::DiscreteGaussian, 2e-6, 0.02));
        assert_ne!(gaussian, statement(Mechanism::DiscreteGaussian, 1e-6, 0.03));
        let a = key(1);
        let signed = [sign(&a, &gaussian)];
        assert!(verify_all(&laplace, &signed, &[a.verifying_key()]).is_err());
    }

    #[test]
    fn circuit_keys_statements_bind_each_key_and_version() {
        let a = key(1);
        let (pk, claim) = ([1; 32], [2; 32]);
        let statement = |v: u32, pk: &[u8; 32], cv: u32, claim: &[u8; 32]| {
            CircuitKeysStatement {
                circuit_version: v,
                proving_key_sha256: pk,
                claim_circuit_version: cv,
                claim_proving_key_sha256: claim,
            }
            .message()
        };
        let m = statement(3, &pk, 1, &claim);
        let signed = [sign(&a, &m)];
        let pinned = [a.verifying_key()];
        assert_eq!(verify_all(&m, &signed, &pinned), Ok(()));
        // Another key in either slot, the two swapped, another version: refused.
        for other in [
            statement(3, &[9; 32], 1, &claim),
            statement(3, &pk, 1, &[9; 32]),
            statement(3, &claim, 1, &pk),
            statement(4, &pk, 1, &claim),
            statement(3, &pk, 2, &claim),
        ] {
            assert!(matches!(
                verify_all(&other, &signed, &pinned),
                Err(SignatureError::Invalid(_))
            ));
        }
        // Campaign material signed by the same key never verifies as circuit keys.
        let material = statement_bytes(5, &terms(), b"crs");
        assert!(verify_all(&m, &[sign(&a, &material)], &pinned).is_err());
    }

    #[test]
    fn keys_parse_strictly() {
        let k = hex::encode(key(1).verifying_key().as_bytes());
        let k2 = hex::encode(key(2).verifying_key().as_bytes());
        assert_eq!(parse_keys(&format!("{k}, {k2}")).unwrap().len(), 2);
        assert_eq!(parse_keys(" \n"), Err(SignatureError::NothingPinned));
        assert!(matches!(parse_key("zz"), Err(SignatureError::BadKey(_))));
        assert!(matches!(
            parse_key(&k[..62]),
            Err(SignatureError::BadKey(_))
        ));
    }
}
