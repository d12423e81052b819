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
//! aggregate is refused); the job itself verifies ([`crate::verify`]: every
//! contribution's digest and zk-pok proof, the aggregation re-executed and
//! equal byte for byte). Then it decrypts and adds discrete Laplace noise to
//! every value (ε split evenly over the values, each calibrated to its
//! sensitivity from the schema's widths), records the spent ε durably, writes
//! the decryption-log entry durably (fail closed: if it cannot be written,
//! nothing is answered), stores the release and answers. Refusals are logged
//! too.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use fhe_compute::keys::{from_bytes, CLIENT_KEY_LIMIT};
use fhe_compute::stats::{decrypt_partial, Partial, StatsPlan};
use keyholder_api::{ReleaseRequest, ReleaseResponse, Released};
use protocol::epsilon::epsilon_f64;
use protocol::CampaignSchema;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::noise::{self, Scale};
use crate::store::{KeyStore, StoreError};
use crate::verify;

/// Why the keyholder refuses a release (each a stable code, logged).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The keyholder has no keys for the campaign.
    #[error("no keys for campaign {0}")]
    NoCampaignKeys(u64),
    /// The campaign's keys carry no release terms.
    #[error("campaign {0} has no recorded release terms")]
    TermsUnknown(u64),
    /// The job was released before, for a different request.
    #[error("job {0} was already released for a different request")]
    ReleaseConflict(u64),
    /// The job asks for statistics outside the campaign's terms.
    #[error("the job asks for statistics the campaign does not release{0}")]
    StatisticsNotInTerms(String),
    /// The manifest is not a list of distinct digests.
    #[error("the manifest must list distinct contribution digests (64 hex characters)")]
    InvalidManifest,
    /// Fewer distinct contributions than the campaign's threshold.
    #[error(
        "the job covers {records} contributions; the campaign releases only over at least {min}"
    )]
    BelowMinContributors {
        /// Distinct contributions listed.
        records: u64,
        /// The campaign's threshold.
        min: u64,
    },
    /// A release must spend some ε.
    #[error("a release must spend ε > 0")]
    InvalidEpsilon,
    /// The campaign's privacy budget does not cover the release.
    #[error("the campaign's privacy budget is ε = {total}, {spent} already spent; this release asks for {asked}")]
    BudgetExhausted {
        /// Total ε.
        total: f64,
        /// ε already spent.
        spent: f64,
        /// ε asked for.
        asked: f64,
    },
    /// The statistics need no encrypted aggregate.
    #[error("these statistics need no encrypted aggregate")]
    NothingToDecrypt,
    /// What was sent is not this job's aggregate.
    #[error("refusing to decrypt: {0}")]
    NotAJobAggregate(String),
    /// A manifest digest is not the SHA-256 of the bytes sent with it.
    #[error("the manifest's digest {0} is not the SHA-256 of its ciphertext")]
    DigestMismatch(String),
    /// A contribution of the manifest is not a valid proven list of this campaign.
    #[error("{0}")]
    ContributionInvalid(String),
    /// The aggregate is not the fold of the manifest's contributions.
    #[error("the aggregate is not the aggregation of the manifest's contributions")]
    AggregateMismatch,
    /// An earlier release of the campaign failed verification.
    #[error("campaign {campaign} is frozen at this keyholder since job {job}'s aggregate did not match its contributions; an operator must investigate and clear it")]
    CampaignFrozen {
        /// The campaign.
        campaign: u64,
        /// The job whose aggregate did not match.
        job: u64,
    },
}

impl Refusal {
    /// The stable code, in the decryption log and the error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCampaignKeys(_) => "no_campaign_keys",
            Self::TermsUnknown(_) => "campaign_terms_unknown",
            Self::ReleaseConflict(_) => "release_conflict",
            Self::StatisticsNotInTerms(_) => "statistics_not_in_terms",
            Self::InvalidManifest => "invalid_manifest",
            Self::BelowMinContributors { .. } => "below_min_contributors",
            Self::InvalidEpsilon => "invalid_epsilon",
            Self::BudgetExhausted { .. } => "privacy_budget_exhausted",
            Self::NothingToDecrypt => "nothing_to_decrypt",
            Self::NotAJobAggregate(_) => "not_a_job_aggregate",
            Self::DigestMismatch(_) => "digest_mismatch",
            Self::ContributionInvalid(_) => "contribution_invalid",
            Self::AggregateMismatch => "aggregate_mismatch",
            Self::CampaignFrozen { .. } => "campaign_frozen",
        }
    }
}

/// A release that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// Refused by the policy (final for this request).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The keyholder failed (storage, keys); nothing was answered.
    #[error("release failed: {0}")]
    Failed(String),
}

impl From<StoreError> for ReleaseError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// A failure of the keyholder itself (not a refusal), from any error.
pub(crate) fn failed(e: impl std::fmt::Display) -> ReleaseError {
    ReleaseError::Failed(e.to_string())
}

/// Probability bound reported with each value: |noise| ≤ bound with 99%.
const BOUND_DELTA_INV: u64 = 100;

fn scale_f64(s: Scale) -> f64 {
    s.num as f64 / s.den as f64
}

/// Whether releases carry differential-privacy noise. `Disabled` exists only
/// in builds with the `test-only-no-noise` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseMode {
    /// Exact discrete Laplace noise on every value (always, in production).
    DiscreteLaplace,
    /// TEST-ONLY: exact values.
    #[cfg(feature = "test-only-no-noise")]
    Disabled,
}

/// Runs the release policy for `job` of `campaign`. Every outcome is
/// appended to the decryption log: a release before it is answered (if that
/// entry cannot be written the release fails), a refusal best-effort.
pub fn release(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    mode: NoiseMode,
) -> Result<ReleaseResponse, ReleaseError> {
    let digest = hex::encode(Sha256::digest(serde_json::to_vec(req).map_err(failed)?));
    let entry = |outcome: &str, reason: &str, eps: u64| {
        serde_json::json!({
            "at": Utc::now(),
            "campaign": campaign,
            "job": job,
            "requested_by": req.requested_by,
            "caller": "server",
            "statistics": req.statistics,
            "records": req.contributions().count(),
            "epsilon_micro": eps,
            "outcome": outcome,
            "reason": reason,
        })
    };
    let result = decide(store, campaign, job, req, &digest, mode, |eps| {
        store.log(&entry("released", "", eps))
    });
    if let Err(ReleaseError::Refused(r)) = &result {
        if let Err(e) = store.log(&entry("refused", r.code(), 0)) {
            tracing::error!("decryption log: {e}");
        }
    }
    result
}

fn decide(
    store: &KeyStore,
    campaign: u64,
    job: u64,
    req: &ReleaseRequest,
    digest: &str,
    mode: NoiseMode,
    log_release: impl FnOnce(u64) -> Result<(), StoreError>,
) -> Result<ReleaseResponse, ReleaseError> {
    if !store.has(campaign) {
        return Err(Refusal::NoCampaignKeys(campaign).into());
    }
    let terms = store
        .terms(campaign)?
        .ok_or(Refusal::TermsUnknown(campaign))?;
    if let Some(stored) = store.release(campaign, job)? {
        let stored: ReleaseResponse = serde_json::from_slice(&stored).map_err(failed)?;
        if stored.request_digest != digest {
            return Err(Refusal::ReleaseConflict(job).into());
        }
        return Ok(stored);
    }
    if let Some(job) = store.frozen(campaign)? {
        return Err(Refusal::CampaignFrozen { campaign, job }.into());
    }
    if req.statistics.is_empty() || req.statistics.iter().any(|s| !terms.statistics.contains(s)) {
        return Err(Refusal::StatisticsNotInTerms(String::new()).into());
    }
    let records = verify::manifest_digests(req)?;
    if records < terms.min_contributors {
        return Err(Refusal::BelowMinContributors {
            records,
            min: terms.min_contributors,
        }
        .into());
    }
    if req.epsilon_micro == 0 {
        return Err(Refusal::InvalidEpsilon.into());
    }
    let spent = store.spent(campaign)?;
    let after = spent.saturating_add(req.epsilon_micro);
    if after > terms.epsilon_micro {
        return Err(Refusal::BudgetExhausted {
            total: epsilon_f64(terms.epsilon_micro),
            spent: epsilon_f64(spent),
            asked: epsilon_f64(req.epsilon_micro),
        }
        .into());
    }
    let schema = CampaignSchema::parse(terms.schema.clone()).map_err(failed)?;
    let plan = StatsPlan::new(&schema, &req.statistics, terms.max_contributions)
        .map_err(|e| Refusal::StatisticsNotInTerms(format!(": {e}")))?;
    if plan.aggregates.is_empty() {
        return Err(Refusal::NothingToDecrypt.into());
    }
    let bytes = STANDARD
        .decode(&req.aggregate)
        .map_err(|_| Refusal::NotAJobAggregate("the aggregate is not base64".into()))?;
    let partial =
        Partial::from_bytes(&bytes, &plan).map_err(|e| Refusal::NotAJobAggregate(e.to_string()))?;
    if partial.records != records {
        return Err(Refusal::NotAJobAggregate(format!(
            "the aggregate folds {} contributions, the manifest lists {records}",
            partial.records
        ))
        .into());
    }
    // The expensive part: every contribution checked, the aggregation
    // re-executed and compared byte for byte. Only a verified aggregate is
    // decrypted; a mismatch freezes the campaign.
    match verify::verify_job(store, campaign, &terms, &plan, req, &bytes) {
        Err(ReleaseError::Refused(Refusal::AggregateMismatch)) => {
            store.freeze(campaign, job)?;
            return Err(Refusal::AggregateMismatch.into());
        }
        other => other?,
    };
    let client = store.client_key(campaign)?;
    let client_key: tfhe::ClientKey =
        from_bytes(client.expose_secret(), CLIENT_KEY_LIMIT, "client key").map_err(failed)?;
    let plain = decrypt_partial(&client_key, &plan, &partial).map_err(failed)?;
    let m = u32::try_from(plan.aggregates.len()).map_err(failed)?;
    let mut rng = rand::rngs::OsRng;
    let mut values = Vec::with_capacity(plain.len());
    for (spec, v) in plan.aggregates.iter().zip(plain) {
        let scale = noise::laplace_scale(spec.sensitivity, m, req.epsilon_micro).map_err(failed)?;
        let exact = i128::try_from(v).map_err(failed)?;
        let (value, noise_scale, bound) = match mode {
            NoiseMode::DiscreteLaplace => (
                exact + noise::discrete_laplace(&mut rng, scale),
                scale_f64(scale),
                noise::tail_bound(scale, BOUND_DELTA_INV) as f64,
            ),
            #[cfg(feature = "test-only-no-noise")]
            NoiseMode::Disabled => (exact, 0.0, 0.0),
        };
        values.push(Released {
            key: spec.kind.key(),
            value,
            noise_scale,
            noise_bound_99: bound,
        });
    }
    // ε is spent durably first, then the release is logged durably; only
    // then is anything stored for the answer. A failure in between loses
    // budget but never releases a value that is not in the log.
    store.set_spent(campaign, after)?;
    log_release(req.epsilon_micro)?;
    let resp = ReleaseResponse {
        job_id: job,
        campaign_id: campaign,
        records,
        epsilon_micro: req.epsilon_micro,
        noise: match mode {
            NoiseMode::DiscreteLaplace => "discrete_laplace".into(),
            #[cfg(feature = "test-only-no-noise")]
            NoiseMode::Disabled => "disabled".into(),
        },
        values,
        released_at: Utc::now(),
        budget_spent_micro: after,
        budget_total_micro: terms.epsilon_micro,
        request_digest: digest.to_string(),
    };
    store.put_release(campaign, job, &serde_json::to_vec(&resp).map_err(failed)?)?;
    Ok(resp)
}
