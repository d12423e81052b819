//! The server's side of the wire: [`Keyholders`] (what the server asks of
//! the keyholders) and [`KeyholderClient`], its implementation over HTTP.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use protocol::CampaignSchema;

use crate::{KeyTerms, KeysRequest, KeysResponse, ReleaseRequest, ReleaseResponse};

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

    /// The decryption log (releases and refusals), newest first.
    async fn decryptions(&self) -> Result<Vec<serde_json::Value>, CallError>;
}

/// HTTP client of one keyholder.
#[derive(Clone)]
pub struct KeyholderClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for KeyholderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyholderClient")
            .field("base", &self.base)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl KeyholderClient {
    /// A client of the keyholder at `base` (e.g. `http://127.0.0.1:8081`).
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
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
            .bearer_auth(&self.token)
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

#[async_trait::async_trait]
impl Keyholders for KeyholderClient {
    async fn campaign_keys(
        &self,
        campaign_id: i64,
        schema: &CampaignSchema,
        terms: KeyTerms,
    ) -> Result<CampaignMaterial, CallError> {
        let body = KeysRequest {
            schema: schema.to_raw(),
            terms,
        };
        let keys: KeysResponse = self
            .send(
                self.http
                    .post(format!("{}/campaigns/{campaign_id}/keys", self.base))
                    .json(&body),
            )
            .await?
            .json()
            .await
            .map_err(CallError::unavailable)?;
        let public_key = STANDARD
            .decode(keys.public_key)
            .map_err(CallError::unavailable)?;
        let crs = STANDARD.decode(keys.crs).map_err(CallError::unavailable)?;
        let fp = hex::decode(keys.key_fingerprint).map_err(CallError::unavailable)?;
        let key_fingerprint =
            <[u8; 32]>::try_from(fp.as_slice()).map_err(CallError::unavailable)?;
        let server_key = self
            .send(
                self.http
                    .get(format!("{}/campaigns/{campaign_id}/server-key", self.base)),
            )
            .await?
            .bytes()
            .await
            .map_err(CallError::unavailable)?
            .to_vec();
        Ok(CampaignMaterial {
            public_key,
            crs,
            key_fingerprint,
            server_key,
        })
    }

    async fn release(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &ReleaseRequest,
    ) -> Result<ReleaseResponse, CallError> {
        self.send(
            self.http
                .post(format!(
                    "{}/campaigns/{campaign_id}/releases/{job_id}",
                    self.base
                ))
                .json(request),
        )
        .await?
        .json()
        .await
        .map_err(CallError::unavailable)
    }

    async fn decryptions(&self) -> Result<Vec<serde_json::Value>, CallError> {
        self.send(self.http.get(format!("{}/decryptions", self.base)))
            .await?
            .json()
            .await
            .map_err(CallError::unavailable)
    }
}
