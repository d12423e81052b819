//! The server's client of the keyholder.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use protocol::CampaignSchema;

use super::api::{KeyTerms, KeysRequest, KeysResponse};
use super::release::{ReleaseRequest, ReleaseResponse};
use crate::error::ApiError;

/// Public key material of a campaign, as fetched from the keyholder.
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

/// HTTP client of the keyholder.
#[derive(Clone)]
pub struct KeyholderClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("keyholder: {e}");
    ApiError::new(
        actix_web::http::StatusCode::BAD_GATEWAY,
        "keyholder_unavailable",
        "the keyholder could not provide the campaign keys; try again",
    )
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

    /// Has the keyholder generate (or return) a campaign's keys, then
    /// downloads the server key.
    pub async fn campaign_keys(
        &self,
        campaign_id: i64,
        schema: &CampaignSchema,
        terms: KeyTerms,
    ) -> Result<CampaignMaterial, ApiError> {
        let resp = self
            .http
            .post(format!("{}/campaigns/{campaign_id}/keys", self.base))
            .bearer_auth(&self.token)
            .json(&KeysRequest {
                schema: schema.to_raw(),
                terms,
            })
            .send()
            .await
            .map_err(unavailable)?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("status {}", resp.status())));
        }
        let keys: KeysResponse = resp.json().await.map_err(unavailable)?;
        let public_key = STANDARD.decode(keys.public_key).map_err(unavailable)?;
        let crs = STANDARD.decode(keys.crs).map_err(unavailable)?;
        let fp = hex::decode(keys.key_fingerprint).map_err(unavailable)?;
        let key_fingerprint = <[u8; 32]>::try_from(fp.as_slice()).map_err(unavailable)?;
        let resp = self
            .http
            .get(format!("{}/campaigns/{campaign_id}/server-key", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unavailable)?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("server key: status {}", resp.status())));
        }
        let server_key = resp.bytes().await.map_err(unavailable)?.to_vec();
        Ok(CampaignMaterial {
            public_key,
            crs,
            key_fingerprint,
            server_key,
        })
    }

    /// Asks the keyholder to release a job's aggregate. `Ok(Err(..))` is the
    /// keyholder's refusal (status, code, message): final, the job is refused.
    /// `Err` means the keyholder could not be reached: try again later.
    pub async fn release(
        &self,
        campaign_id: i64,
        job_id: i64,
        request: &ReleaseRequest,
    ) -> Result<Result<ReleaseResponse, (u16, String, String)>, ApiError> {
        let resp = self
            .http
            .post(format!(
                "{}/campaigns/{campaign_id}/releases/{job_id}",
                self.base
            ))
            .bearer_auth(&self.token)
            .json(request)
            .send()
            .await
            .map_err(unavailable)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(Ok(resp.json().await.map_err(unavailable)?));
        }
        if status.is_client_error() && status.as_u16() != 401 {
            let body: serde_json::Value = resp.json().await.unwrap_or_default();
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or("refused")
                .to_string();
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("the keyholder refused the release")
                .to_string();
            return Ok(Err((status.as_u16(), code, message)));
        }
        Err(unavailable(format!("release: status {status}")))
    }

    /// The keyholder's decryption log, newest first.
    pub async fn decryptions(&self) -> Result<Vec<serde_json::Value>, ApiError> {
        let resp = self
            .http
            .get(format!("{}/decryptions", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unavailable)?;
        if !resp.status().is_success() {
            return Err(unavailable(format!(
                "decryptions: status {}",
                resp.status()
            )));
        }
        resp.json().await.map_err(unavailable)
    }
}
