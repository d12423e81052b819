//! Releasing a job's aggregate: the keyholder's policy, with no HTTP in it.
//!
//! The keyholder decrypts only when every check passes, in this order:
//! keys and terms exist for the campaign; a repeated request for the same job
//! is answered from the stored release (nothing decrypted again, no ε spent);
//! the statistics are among the campaign's; the job covers at least
//! `min_contributors` distinct contributions; the campaign's remaining
//! privacy budget covers the ε asked for; the aggregate parses as the
//! partial of exactly this plan over exactly that many contributions (a
//! single record's ciphertext, another campaign's or another plan's
//! aggregate is refused). Then it decrypts, adds discrete Laplace noise to
//! every value (ε split evenly over the values, each calibrated to its
//! sensitivity from the schema's widths), records the spent ε durably, stores
//! the release and logs it. Refusals are logged too.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use fhe_compute::keys::{from_bytes, CLIENT_KEY_LIMIT};
use fhe_compute::stats::{decrypt_partial, Partial, StatsPlan};
use protocol::{CampaignSchema, Statistic};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::noise::{self, Scale};
use super::store::KeyStore;
use crate::error::ApiError;
use crate::reports::derive::Released;

/// What the server sends to have a job's aggregate released.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// The statistics the job computed.
    pub statistics: Vec<Statistic>,
    /// The buyer the release is for (logged).
    pub requested_by: i64,
    /// Privacy budget to spend, in millionths of ε.
    pub epsilon_micro: u64,
    /// Digests (hex) of the contributions the aggregate covers: the manifest.
    pub contributions: Vec<String>,
    /// The job's final aggregate (a serialized partial), base64.
    pub aggregate: String,
}

/// The keyholder's answer: noised values in plan order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseResponse {
    /// The job.
    pub job_id: u64,
    /// The campaign.
    pub campaign_id: u64,
    /// Contributions covered.
    pub records: u64,
    /// ε spent by this release, in millionths.
    pub epsilon_micro: u64,
    /// `discrete_laplace`, or `disabled` under the test-only setting.
    pub noise: String,
    /// The released values.
    pub values: Vec<Released>,
    /// When the keyholder released them.
    pub released_at: DateTime<Utc>,
    /// The campaign's ε spent after this release, in millionths.
    pub budget_spent_micro: u64,
    /// The campaign's total ε, in millionths.
    pub budget_total_micro: u64,
    /// SHA-256 of the request (a repeated job id must repeat the request).
    pub request_digest: String,
}

fn refuse(status: u16, code: &'static str, msg: impl Into<String>) -> ApiError {
    // Unwrap safety: callers pass valid 4xx constants.
    ApiError::new(
        actix_web::http::StatusCode::from_u16(status).expect("status"),
        code,
        msg,
    )
}

/// Probability bound reported with each value: |noise| ≤ bound with 99%.
const BOUND_DELTA_INV: u64 = 100;

fn scale_f64(s: Scale) -> f64 {
    s.num as f64 / s.den as f64
}

/// Runs the release policy for `job` of `campaign`. `noise_enabled` is false
/// only under the keyholder's explicit test-only setting. Every outcome,
/// release or refusal, is appended to the decryption log.
pub fn release(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    noise_enabled: bool,
) -> Result<ReleaseResponse, ApiError> {
    let digest = hex::encode(Sha256::digest(
        serde_json::to_vec(req).map_err(ApiError::internal)?,
    ));
    let log = |outcome: &str, reason: &str, eps: u64| {
        let entry = serde_json::json!({
            "at": Utc::now(),
            "campaign": campaign,
            "job": job,
            "requested_by": req.requested_by,
            "caller": "server",
            "statistics": req.statistics,
            "records": req.contributions.len(),
            "epsilon_micro": eps,
            "outcome": outcome,
            "reason": reason,
        });
        if let Err(e) = store.log(&entry) {
            tracing::error!("decryption log: {e}");
        }
    };
    let result = decide(store, campaign, job, req, &digest, noise_enabled);
    match &result {
        Ok((resp, replayed)) => {
            if !replayed {
                log("released", "", resp.epsilon_micro);
            }
        }
        Err(e) => log("refused", e.code(), 0),
    }
    result.map(|(r, _)| r)
}

fn decide(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    digest: &str,
    noise_enabled: bool,
) -> Result<(ReleaseResponse, bool), ApiError> {
    if !store.has(campaign) {
        return Err(refuse(
            404,
            "no_campaign_keys",
            format!("no keys for campaign {campaign}"),
        ));
    }
    let terms = store
        .terms(campaign)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            refuse(
                409,
                "campaign_terms_unknown",
                format!("campaign {campaign} has no recorded release terms"),
            )
        })?;
    if let Some(stored) = store.release(campaign, job).map_err(ApiError::internal)? {
        let stored: ReleaseResponse =
            serde_json::from_slice(&stored).map_err(ApiError::internal)?;
        if stored.request_digest != digest {
            return Err(refuse(
                409,
                "release_conflict",
                format!("job {job} was already released for a different request"),
            ));
        }
        return Ok((stored, true));
    }
    if req.statistics.is_empty() || req.statistics.iter().any(|s| !terms.statistics.contains(s)) {
        return Err(refuse(
            422,
            "statistics_not_in_terms",
            "the job asks for statistics the campaign does not release",
        ));
    }
    let mut seen = HashSet::new();
    for d in &req.contributions {
        let ok = d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok || !seen.insert(d.to_ascii_lowercase()) {
            return Err(refuse(
                422,
                "invalid_manifest",
                "the manifest must list distinct contribution digests (64 hex characters)",
            ));
        }
    }
    let records = seen.len() as u64;
    if records < terms.min_contributors {
        return Err(refuse(
            422,
            "below_min_contributors",
            format!(
                "the job covers {records} contributions; the campaign releases only over at least {}",
                terms.min_contributors
            ),
        ));
    }
    if req.epsilon_micro == 0 {
        return Err(refuse(422, "invalid_epsilon", "a release must spend ε > 0"));
    }
    let spent = store.spent(campaign).map_err(ApiError::internal)?;
    let after = spent.saturating_add(req.epsilon_micro);
    if after > terms.epsilon_micro {
        return Err(refuse(
            409,
            "privacy_budget_exhausted",
            format!(
                "the campaign's privacy budget is ε = {}, {} already spent; this release asks for {}",
                micro_str(terms.epsilon_micro),
                micro_str(spent),
                micro_str(req.epsilon_micro)
            ),
        ));
    }
    let schema = CampaignSchema::parse(terms.schema.clone()).map_err(ApiError::internal)?;
    let plan = StatsPlan::new(&schema, &req.statistics, terms.max_contributions)
        .map_err(|e| refuse(422, "statistics_not_in_terms", e.to_string()))?;
    if plan.aggregates.is_empty() {
        return Err(refuse(
            422,
            "nothing_to_decrypt",
            "these statistics need no encrypted aggregate",
        ));
    }
    let not_aggregate = |detail: String| {
        refuse(
            422,
            "not_a_job_aggregate",
            format!("refusing to decrypt: {detail}"),
        )
    };
    let bytes = STANDARD
        .decode(&req.aggregate)
        .map_err(|_| not_aggregate("the aggregate is not base64".into()))?;
    let partial = Partial::from_bytes(&bytes, &plan).map_err(|e| not_aggregate(e.to_string()))?;
    if partial.records != records {
        return Err(not_aggregate(format!(
            "the aggregate folds {} contributions, the manifest lists {records}",
            partial.records
        )));
    }
    let client = store.client_key(campaign).map_err(ApiError::internal)?;
    let client_key: tfhe::ClientKey =
        from_bytes(client.expose_secret(), CLIENT_KEY_LIMIT, "client key")
            .map_err(ApiError::internal)?;
    let plain = decrypt_partial(&client_key, &plan, &partial).map_err(ApiError::internal)?;
    let m = u32::try_from(plan.aggregates.len()).map_err(ApiError::internal)?;
    let mut rng = rand::rngs::OsRng;
    let mut values = Vec::with_capacity(plain.len());
    for (spec, v) in plan.aggregates.iter().zip(plain) {
        let scale = noise::laplace_scale(spec.sensitivity, m, req.epsilon_micro)
            .map_err(ApiError::internal)?;
        let exact = i128::try_from(v).map_err(ApiError::internal)?;
        let (value, noise_scale, bound) = if noise_enabled {
            (
                exact + noise::discrete_laplace(&mut rng, scale),
                scale_f64(scale),
                noise::tail_bound(scale, BOUND_DELTA_INV) as f64,
            )
        } else {
            (exact, 0.0, 0.0)
        };
        values.push(Released {
            key: spec.kind.key(),
            value,
            noise_scale,
            noise_bound_99: bound,
        });
    }
    // ε is spent durably before anything is answered.
    store
        .set_spent(campaign, after)
        .map_err(ApiError::internal)?;
    let resp = ReleaseResponse {
        job_id: job,
        campaign_id: campaign,
        records,
        epsilon_micro: req.epsilon_micro,
        noise: if noise_enabled {
            "discrete_laplace".into()
        } else {
            "disabled".into()
        },
        values,
        released_at: Utc::now(),
        budget_spent_micro: after,
        budget_total_micro: terms.epsilon_micro,
        request_digest: digest.to_string(),
    };
    store
        .put_release(
            campaign,
            job,
            &serde_json::to_vec(&resp).map_err(ApiError::internal)?,
        )
        .map_err(ApiError::internal)?;
    Ok((resp, false))
}

fn micro_str(micro: u64) -> String {
    format!("{}", micro as f64 / noise::EPSILON_UNIT as f64)
}
