//! The server's side of the wire: [`Keyholders`] (what the server asks of
//! the keyholders), [`KeyholderClient`] (one keyholder over HTTP) and
//! [`KeyholderGroup`], the implementation the server uses: all `n`
//! keyholders of a key set, each verifying every release itself, their
//! partial decryptions combined here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use protocol::report::mechanism::Mechanism;
use protocol::CampaignSchema;

use fhe_compute::threshold::combine;
use fhe_compute::threshold::proof::{ReleaseHeader, ReleaseProof, SignedShare};
use futures::future::join_all;
use protocol::signing::{
    parse_key, verify_one, CircuitKeysStatement, KeyholderSignature, MaterialStatement, SignedTerms,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::{
    AttestationKeys, DecryptRequest, DecryptResponse, KeyTerms, KeyholderIdentity, KeysRequest,
    KeysResponse, NoiseResponse, RegistryLeaves, RegistryRevocation, RegistryState, ReleaseRequest,
    ReleaseResponse, Released,
};

/// The attestation circuit's keys, as every keyholder vouched for them.
pub struct AttestationMaterial {
    /// The proving key, parsed and checked.
    pub proving_key: protocol::attestation::ProvingKey,
    /// The form served to clients (`ProvingKey::to_trusted_bytes`).
    pub proving_key_bytes: Vec<u8>,
    /// Its SHA-256, which every keyholder signed.
    pub proving_key_sha256: [u8; 32],
    /// The verifying key (the proving key's own).
    pub verifying_key: protocol::attestation::VerifyingKey,
    /// The claim circuit's proving key, parsed and checked.
    pub claim_proving_key: protocol::attestation::ClaimProvingKey,
    /// The form served to clients (`ClaimProvingKey::to_trusted_bytes`).
    pub claim_proving_key_bytes: Vec<u8>,
    /// Its SHA-256, which every keyholder signed.
    pub claim_proving_key_sha256: [u8; 32],
    /// The claim circuit's verifying key (the proving key's own).
    pub claim_verifying_key: protocol::attestation::ClaimVerifyingKey,
    /// Every keyholder's signature over both hashes
    /// ([`protocol::signing::CircuitKeysStatement`]), in share order.
    pub signatures: Vec<KeyholderSignature>,
}

/// Public key material of a campaign, as fetched from the keyholders.
pub struct CampaignMaterial {
    /// Serialized compact public key.
    pub public_key: Vec<u8>,
    /// Serialized CRS.
    pub crs: Vec<u8>,
    /// SHA-256 of the public key.
    pub key_fingerprint: [u8; 32],
    /// Serialized compressed server key.
    pub server_key: Vec<u8>,
    /// The release terms the keyholders fixed and signed.
    pub terms: SignedTerms,
    /// The schema version they signed.
    pub schema_version: u32,
    /// Every keyholder's signature over the campaign's
    /// [`protocol::signing::MaterialStatement`], in share order.
    pub signatures: Vec<KeyholderSignature>,
}

/// Why a call to the keyholders did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Not reached, or an answer that was not understood: try again later.
    #[error("keyholder unavailable: {0}")]
    Unavailable(String),
    /// The keyholder does not accept the server's token: a configuration
    /// error no retry mends.
    #[error("the keyholder refused the server's token (401): check CIPHERPOOL_KEYHOLDER_TOKEN")]
    Unauthorized,
    /// The keyholder refused the request itself (final).
    #[error("keyholder refused ({status} {code}): {message}")]
    Refused {
        /// HTTP status of the refusal.
        status: u16,
        /// The keyholder's machine-readable code.
        code: String,
        /// The keyholder's message.
        message: String,
    },
}

impl CallError {
    fn unavailable(e: impl std::fmt::Display) -> Self {
        Self::Unavailable(e.to_string())
    }

    /// The keyholders' answers do not fit together (another key set, other
    /// material, partial decryptions of different ciphertexts): final.
    fn disagree(message: impl Into<String>) -> Self {
        Self::Refused {
            status: 502,
            code: "keyholders_disagree".into(),
            message: message.into(),
        }
    }
}

/// What the server asks of "the keyholders".
#[async_trait::async_trait]
pub trait Keyholders: Send + Sync {
    /// Has the keyholders generate (or return) a campaign's keys under
    /// `terms`, and fetches the public material and the server key.
    async fn campaign_keys(
        &self,
        campaign_id: i64,
        schema: &CampaignSchema,
        terms: KeyTerms,
    ) -> Result<CampaignMaterial, CallError>;

    /// Asks for a job's aggregate to be released.
    async fn release(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &ReleaseRequest,
    ) -> Result<ReleaseResponse, CallError>;

    /// How many keyholders hold a share (each adds its own noise to every
    /// released value).
    fn parties(&self) -> u32;

    /// The decryption log (releases and refusals), newest first.
    async fn decryptions(&self) -> Result<Vec<serde_json::Value>, CallError>;

    /// Every keyholder's identity, in share order.
    async fn identities(&self) -> Result<Vec<KeyholderIdentity>, CallError>;

    /// The attestation circuit's keys, the ones every keyholder checks
    /// attestations with.
    async fn attestation_keys(&self) -> Result<AttestationMaterial, CallError>;

    /// Pushes registry leaves `first_index..` to every keyholder; answers
    /// the root they all computed (they must agree).
    async fn push_registry(
        &self,
        first_index: u64,
        commitments: &[[u8; 32]],
    ) -> Result<RegistryState, CallError>;

    /// Revokes or restores registry leaf `index` (whose commitment is
    /// `commitment`) at every keyholder; answers the root they all
    /// computed (they must agree).
    async fn revoke_registry_leaf(
        &self,
        index: u64,
        commitment: &[u8; 32],
        revoked: bool,
    ) -> Result<RegistryState, CallError>;
}

/// HTTP client of one keyholder (`Debug` redacts the token).
#[derive(Debug, Clone)]
pub struct KeyholderClient {
    base: String,
    token: SecretString,
    http: reqwest::Client,
}

impl KeyholderClient {
    /// A client of the keyholder at `base` (e.g. `http://127.0.0.1:8081`).
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.into(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(600))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends a request; a non-success answer becomes a [`CallError`]: 401 is
    /// [`CallError::Unauthorized`], other 4xx a final [`CallError::Refused`],
    /// anything else retryable.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, CallError> {
        let resp = req
            .bearer_auth(self.token.expose_secret())
            .send()
            .await
            .map_err(CallError::unavailable)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(CallError::Unauthorized);
        }
        if status.is_client_error() {
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            let field =
                |k: &str, default: &str| body["error"][k].as_str().unwrap_or(default).to_string();
            return Err(CallError::Refused {
                status: status.as_u16(),
                code: field("code", "refused"),
                message: field("message", "the keyholder refused the request"),
            });
        }
        Err(CallError::Unavailable(format!(
            "{} answered {status}",
            resp.url().path()
        )))
    }
}

impl KeyholderClient {
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, CallError> {
        self.send(req)
            .await?
            .json()
            .await
            .map_err(CallError::unavailable)
    }

    /// Registers a campaign (keys of the dealt set, the CRS, the terms).
    pub async fn keys(
        &self,
        campaign_id: i64,
        body: &KeysRequest,
    ) -> Result<KeysResponse, CallError> {
        self.json(
            self.http
                .post(format!("{}/campaigns/{campaign_id}/keys", self.base))
                .json(body),
        )
        .await
    }

    /// Who this keyholder is.
    pub async fn identity(&self) -> Result<KeyholderIdentity, CallError> {
        self.json(self.http.get(format!("{}/identity", self.base)))
            .await
    }

    /// The compressed evaluation key.
    pub async fn server_key(&self, campaign_id: i64) -> Result<Vec<u8>, CallError> {
        Ok(self
            .send(
                self.http
                    .get(format!("{}/campaigns/{campaign_id}/server-key", self.base)),
            )
            .await?
            .bytes()
            .await
            .map_err(CallError::unavailable)?
            .to_vec())
    }

    /// Release, first round: the keyholder verifies the job and answers its
    /// encrypted noise.
    pub async fn noise(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &ReleaseRequest,
    ) -> Result<NoiseResponse, CallError> {
        self.json(
            self.http
                .post(format!(
                    "{}/campaigns/{campaign_id}/releases/{job_id}/noise",
                    self.base
                ))
                .json(request),
        )
        .await
    }

    /// Release, second round: every keyholder's noise in, this keyholder's
    /// partial decryption out.
    pub async fn decrypt(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &DecryptRequest,
    ) -> Result<DecryptResponse, CallError> {
        self.json(
            self.http
                .post(format!(
                    "{}/campaigns/{campaign_id}/releases/{job_id}/decrypt",
                    self.base
                ))
                .json(request),
        )
        .await
    }

    /// The attestation circuit's keys the dealer made with the key set.
    pub async fn attestation_keys(&self) -> Result<AttestationKeys, CallError> {
        self.json(self.http.get(format!("{}/attestation", self.base)))
            .await
    }

    /// Revokes or restores a registry leaf; answers the keyholder's
    /// registry after it.
    pub async fn revoke_registry_leaf(
        &self,
        body: &RegistryRevocation,
    ) -> Result<RegistryState, CallError> {
        self.json(
            self.http
                .post(format!("{}/registry/revocations", self.base))
                .json(body),
        )
        .await
    }

    /// Pushes registry leaves; answers the keyholder's registry after them.
    pub async fn push_registry(&self, body: &RegistryLeaves) -> Result<RegistryState, CallError> {
        self.json(
            self.http
                .post(format!("{}/registry/leaves", self.base))
                .json(body),
        )
        .await
    }

    /// This keyholder's decryption log, newest first.
    pub async fn decryptions(&self) -> Result<Vec<serde_json::Value>, CallError> {
        self.json(self.http.get(format!("{}/decryptions", self.base)))
            .await
    }
}

/// All keyholders of a key set, in any order (their answers say their index).
#[derive(Debug, Clone)]
pub struct KeyholderGroup {
    members: Vec<KeyholderClient>,
}

impl KeyholderGroup {
    /// The group of `members` (at least one).
    pub fn new(members: Vec<KeyholderClient>) -> Self {
        assert!(!members.is_empty(), "a keyholder group needs a keyholder");
        Self { members }
    }

    /// The members, in configuration order.
    pub fn members(&self) -> &[KeyholderClient] {
        &self.members
    }
}

/// The first error of `results`, preferring a refusal (final) over a
/// keyholder that could not be reached.
fn first_error<T>(results: Vec<Result<T, CallError>>) -> Result<Vec<T>, CallError> {
    let mut ok = Vec::with_capacity(results.len());
    let mut error: Option<CallError> = None;
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => {
                let better = matches!(
                    (&error, &e),
                    (None, _)
                        | (Some(CallError::Unavailable(_)), CallError::Refused { .. })
                        | (Some(CallError::Unavailable(_)), CallError::Unauthorized)
                );
                if better {
                    error = Some(e);
                }
            }
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(ok),
    }
}

/// Checks that `indices` are exactly `0..parties`, each once.
fn one_per_share(indices: impl Iterator<Item = (u32, u32)>, n: usize) -> Result<(), CallError> {
    let mut seen = vec![false; n];
    for (index, parties) in indices {
        if parties as usize != n
            || index as usize >= n
            || std::mem::replace(&mut seen[index as usize], true)
        {
            return Err(CallError::disagree(format!(
                "the {n} configured keyholders are not the {parties} share holders of one key set"
            )));
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Keyholders for KeyholderGroup {
    fn parties(&self) -> u32 {
        u32::try_from(self.members.len()).unwrap_or(u32::MAX)
    }

    /// The first keyholder generates the campaign's CRS; the others adopt
    /// it. Every keyholder must answer the same public key (the same dealt
    /// key set) and CRS, and the shares must be one per keyholder.
    async fn campaign_keys(
        &self,
        campaign_id: i64,
        schema: &CampaignSchema,
        terms: KeyTerms,
    ) -> Result<CampaignMaterial, CallError> {
        let mut body = KeysRequest {
            schema: schema.to_raw(),
            terms,
            crs: None,
        };
        let first = self.members[0].keys(campaign_id, &body).await?;
        body.crs = Some(first.crs.clone());
        let rest = first_error(
            join_all(self.members[1..].iter().map(|m| m.keys(campaign_id, &body))).await,
        )?;
        for other in &rest {
            if other.key_fingerprint != first.key_fingerprint
                || other.crs != first.crs
                || other.terms != first.terms
                || other.schema_version != first.schema_version
            {
                return Err(CallError::disagree(
                    "the keyholders answered different key material or terms",
                ));
            }
        }
        let all: Vec<&KeysResponse> = std::iter::once(&first).chain(&rest).collect();
        if all.iter().enumerate().any(|(i, k)| k.index as usize != i) {
            return Err(CallError::disagree(
                "the keyholders must be configured in share order (keyholder 0 first)",
            ));
        }
        one_per_share(all.iter().map(|k| (k.index, k.parties)), self.members.len())?;
        let public_key = STANDARD
            .decode(&first.public_key)
            .map_err(CallError::unavailable)?;
        let crs = STANDARD
            .decode(&first.crs)
            .map_err(CallError::unavailable)?;
        let fp = hex::decode(&first.key_fingerprint).map_err(CallError::unavailable)?;
        let key_fingerprint =
            <[u8; 32]>::try_from(fp.as_slice()).map_err(CallError::unavailable)?;
        // Each keyholder signed the very material every client will check.
        let raw = schema.to_raw();
        let message = MaterialStatement {
            campaign_id: u64::try_from(campaign_id).map_err(CallError::unavailable)?,
            schema_version: first.schema_version,
            schema: &raw,
            key_fingerprint: &key_fingerprint,
            public_key_sha256: &Sha256::digest(&public_key).into(),
            crs_sha256: &Sha256::digest(&crs).into(),
            terms: &first.terms,
        }
        .message();
        for k in &all {
            let key =
                parse_key(&k.signature.key).map_err(|e| CallError::disagree(e.to_string()))?;
            verify_one(&message, &k.signature.signature, &key).map_err(|_| {
                CallError::disagree(format!(
                    "keyholder {}'s signature of the campaign material does not verify",
                    k.index
                ))
            })?;
        }
        let signatures = all.iter().map(|k| k.signature.clone()).collect();
        let server_key = self.members[0].server_key(campaign_id).await?;
        Ok(CampaignMaterial {
            public_key,
            crs,
            key_fingerprint,
            server_key,
            terms: first.terms.clone(),
            schema_version: first.schema_version,
            signatures,
        })
    }

    /// Two rounds: every keyholder verifies the job and answers its
    /// encrypted noise; then every keyholder gets all the noises, adds them
    /// to the verified aggregate, squashes and answers its partial
    /// decryption. Combined here: no single answer decrypts anything.
    async fn release(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &ReleaseRequest,
    ) -> Result<ReleaseResponse, CallError> {
        let n = self.members.len();
        let noises = first_error(
            join_all(
                self.members
                    .iter()
                    .map(|m| m.noise(campaign_id, job_id, request)),
            )
            .await,
        )?;
        one_per_share(noises.iter().map(|r| (r.index, r.parties)), n)?;
        let digest = noises[0].request_digest.clone();
        if noises.iter().any(|r| r.request_digest != digest) {
            return Err(CallError::disagree(
                "the keyholders verified different requests",
            ));
        }
        let mut ordered = vec![String::new(); n];
        for r in noises {
            ordered[r.index as usize] = r.noise;
        }
        let round2 = DecryptRequest {
            request_digest: digest,
            noises: ordered,
        };
        let parts = first_error(
            join_all(
                self.members
                    .iter()
                    .map(|m| m.decrypt(campaign_id, job_id, &round2)),
            )
            .await,
        )?;
        let values = combine(&parts.iter().map(|p| p.partial.clone()).collect::<Vec<_>>())
            .map_err(|e| CallError::disagree(e.to_string()))?;
        let first = &parts[0];
        if parts.iter().any(|p| {
            p.values.len() != values.len()
                || p.records != first.records
                || p.epsilon_micro != first.epsilon_micro
                || p.noise != first.noise
                || p.delta.to_bits() != first.delta.to_bits()
                || p.rho.to_bits() != first.rho.to_bits()
                || p.request_digest != first.request_digest
                || (p.campaign_id, p.job_id) != (first.campaign_id, first.job_id)
        }) {
            return Err(CallError::disagree(
                "the keyholders released different values",
            ));
        }
        // Every share signed by the key it names (the buyer checks those
        // keys against the ones it pinned).
        let header = ReleaseHeader {
            campaign_id: first.campaign_id,
            job_id: first.job_id,
            request_digest: first.request_digest.clone(),
            records: first.records,
            epsilon_micro: first.epsilon_micro,
            mechanism: Mechanism::from_name(&first.noise).unwrap_or_default(),
            delta: first.delta,
            rho: first.rho,
        };
        let gaussian = header.mechanism == Mechanism::DiscreteGaussian;
        let mut shares: Vec<SignedShare> = parts.iter().map(|p| p.signed_share()).collect();
        shares.sort_by_key(|s| s.partial.index);
        for share in &shares {
            let key =
                parse_key(&share.signature.key).map_err(|e| CallError::disagree(e.to_string()))?;
            verify_one(&share.message(&header), &share.signature.signature, &key).map_err(
                |_| {
                    CallError::disagree(format!(
                        "keyholder {}'s signature of its release share does not verify",
                        share.partial.index
                    ))
                },
            )?;
        }
        let proof = ReleaseProof { header, shares };
        let released = values
            .into_iter()
            .enumerate()
            .map(|(k, value)| Released {
                key: first.values[k].key.clone(),
                value,
                noise_scale: first.values[k].noise_scale,
                noise_bound_99: parts.iter().map(|p| p.values[k].noise_bound_99).sum(),
                noise_sd: Some(
                    parts
                        .iter()
                        .map(|p| {
                            let scale = p.values[k].noise_scale;
                            if gaussian {
                                // A discrete Gaussian's variance is below σ².
                                scale * scale
                            } else {
                                protocol::report::accuracy::discrete_laplace_variance(scale)
                            }
                        })
                        .sum::<f64>()
                        .sqrt(),
                ),
            })
            .collect();
        Ok(ReleaseResponse {
            job_id: first.job_id,
            campaign_id: first.campaign_id,
            records: first.records,
            epsilon_micro: first.epsilon_micro,
            noise: first.noise.clone(),
            delta: first.delta,
            rho: first.rho,
            values: released,
            released_at: parts
                .iter()
                .map(|p| p.released_at)
                .max()
                .unwrap_or(first.released_at),
            budget_spent_micro: parts
                .iter()
                .map(|p| p.budget_spent_micro)
                .max()
                .unwrap_or(0),
            budget_total_micro: first.budget_total_micro,
            request_digest: first.request_digest.clone(),
            keyholders: n as u32,
            proof,
        })
    }

    async fn identities(&self) -> Result<Vec<KeyholderIdentity>, CallError> {
        let ids = first_error(join_all(self.members.iter().map(|m| m.identity())).await)?;
        one_per_share(ids.iter().map(|k| (k.index, k.parties)), self.members.len())?;
        let mut ids = ids;
        ids.sort_by_key(|k| k.index);
        Ok(ids)
    }

    /// Keyholder 0's keys, accepted only if every keyholder names the same
    /// verifying key and the proving key is that key's.
    async fn attestation_keys(&self) -> Result<AttestationMaterial, CallError> {
        use sha2::Digest;
        let ids = self.identities().await?;
        let all = first_error(join_all(self.members.iter().map(|m| m.attestation_keys())).await)?;
        let keys = &all[0];
        if keys.circuit_version != protocol::attestation::CIRCUIT_VERSION {
            return Err(CallError::disagree(format!(
                "the keyholders' attestation keys are for circuit version {}, this server \
                 speaks version {}",
                keys.circuit_version,
                protocol::attestation::CIRCUIT_VERSION
            )));
        }
        let decode = |b64: &str| STANDARD.decode(b64).map_err(CallError::unavailable);
        let proving_key_bytes = decode(&keys.proving_key)?;
        let vk_bytes = decode(&keys.verifying_key)?;
        let vk_id = hex::encode(Sha256::digest(&vk_bytes));
        if ids.iter().any(|k| k.attestation_key != vk_id) {
            return Err(CallError::disagree(
                "the keyholders check attestations with different verifying keys",
            ));
        }
        let verifying_key = protocol::attestation::VerifyingKey::from_bytes(&vk_bytes)
            .map_err(|e| CallError::disagree(format!("attestation verifying key: {e}")))?;
        let proving_key = protocol::attestation::ProvingKey::from_bytes(&proving_key_bytes)
            .map_err(|e| CallError::disagree(format!("attestation proving key: {e}")))?;
        if proving_key.verifying_key() != verifying_key {
            return Err(CallError::disagree(
                "the attestation proving key is not the verifying key's",
            ));
        }
        if keys.claim_circuit_version != protocol::attestation::CLAIM_CIRCUIT_VERSION {
            return Err(CallError::disagree(format!(
                "the keyholders' claim keys are for circuit version {}, this server speaks \
                 version {}",
                keys.claim_circuit_version,
                protocol::attestation::CLAIM_CIRCUIT_VERSION
            )));
        }
        let claim_proving_key_bytes = decode(&keys.claim_proving_key)?;
        let claim_vk_bytes = decode(&keys.claim_verifying_key)?;
        let claim_vk_id = hex::encode(Sha256::digest(&claim_vk_bytes));
        if ids.iter().any(|k| k.claim_key != claim_vk_id) {
            return Err(CallError::disagree(
                "the keyholders vouch for different claim verifying keys",
            ));
        }
        let claim_verifying_key =
            protocol::attestation::ClaimVerifyingKey::from_bytes(&claim_vk_bytes)
                .map_err(|e| CallError::disagree(format!("claim verifying key: {e}")))?;
        let claim_proving_key =
            protocol::attestation::ClaimProvingKey::from_bytes(&claim_proving_key_bytes)
                .map_err(|e| CallError::disagree(format!("claim proving key: {e}")))?;
        if claim_proving_key.verifying_key() != claim_verifying_key {
            return Err(CallError::disagree(
                "the claim proving key is not the claim verifying key's",
            ));
        }
        // Every keyholder signed the SHA-256 of each proving key in the form
        // clients fetch, as computed here from keyholder 0's keys.
        let proving_key_bytes = proving_key.to_trusted_bytes();
        let claim_proving_key_bytes = claim_proving_key.to_trusted_bytes();
        let proving_key_sha256: [u8; 32] = Sha256::digest(&proving_key_bytes).into();
        let claim_proving_key_sha256: [u8; 32] = Sha256::digest(&claim_proving_key_bytes).into();
        let message = CircuitKeysStatement {
            circuit_version: keys.circuit_version,
            proving_key_sha256: &proving_key_sha256,
            claim_circuit_version: keys.claim_circuit_version,
            claim_proving_key_sha256: &claim_proving_key_sha256,
        }
        .message();
        let mut signatures = Vec::with_capacity(all.len());
        for (i, k) in all.iter().enumerate() {
            let id = ids
                .iter()
                .find(|id| id.signing_key.eq_ignore_ascii_case(&k.signature.key))
                .ok_or_else(|| {
                    CallError::disagree(format!(
                        "keyholder {i} signed the circuit keys with a key no keyholder names"
                    ))
                })?;
            let key = parse_key(&id.signing_key).map_err(|e| CallError::disagree(e.to_string()))?;
            verify_one(&message, &k.signature.signature, &key).map_err(|_| {
                CallError::disagree(format!(
                    "keyholder {}'s signature of the circuit keys does not verify: it holds \
                     other proving keys than keyholder 0",
                    id.index
                ))
            })?;
            signatures.push((id.index, k.signature.clone()));
        }
        signatures.sort_by_key(|(index, _)| *index);
        signatures.dedup_by_key(|(index, _)| *index);
        if signatures.len() != self.members.len() {
            return Err(CallError::disagree(
                "the circuit keys are not signed by every keyholder",
            ));
        }
        Ok(AttestationMaterial {
            proving_key,
            proving_key_bytes,
            proving_key_sha256,
            verifying_key,
            claim_proving_key,
            claim_proving_key_bytes,
            claim_proving_key_sha256,
            claim_verifying_key,
            signatures: signatures.into_iter().map(|(_, s)| s).collect(),
        })
    }

    async fn push_registry(
        &self,
        first_index: u64,
        commitments: &[[u8; 32]],
    ) -> Result<RegistryState, CallError> {
        let body = RegistryLeaves {
            first_index,
            commitments: commitments.iter().map(hex::encode).collect(),
        };
        let states =
            first_error(join_all(self.members.iter().map(|m| m.push_registry(&body))).await)?;
        if states.iter().any(|s| *s != states[0]) {
            return Err(CallError::disagree(
                "the keyholders computed different registry roots",
            ));
        }
        Ok(states[0].clone())
    }

    async fn revoke_registry_leaf(
        &self,
        index: u64,
        commitment: &[u8; 32],
        revoked: bool,
    ) -> Result<RegistryState, CallError> {
        let body = RegistryRevocation {
            index,
            commitment: hex::encode(commitment),
            revoked,
        };
        let states = first_error(
            join_all(self.members.iter().map(|m| m.revoke_registry_leaf(&body))).await,
        )?;
        if states.iter().any(|s| *s != states[0]) {
            return Err(CallError::disagree(
                "the keyholders computed different registry roots",
            ));
        }
        Ok(states[0].clone())
    }

    /// Every keyholder's log, each entry tagged with the keyholder's
    /// position in the configuration, newest first.
    async fn decryptions(&self) -> Result<Vec<serde_json::Value>, CallError> {
        let logs = first_error(join_all(self.members.iter().map(|m| m.decryptions())).await)?;
        let mut all: Vec<serde_json::Value> = logs
            .into_iter()
            .enumerate()
            .flat_map(|(i, log)| {
                log.into_iter().map(move |mut e| {
                    e["keyholder"] = serde_json::json!(i);
                    e
                })
            })
            .collect();
        all.sort_by(|a, b| b["at"].as_str().cmp(&a["at"].as_str()));
        Ok(all)
    }
}
