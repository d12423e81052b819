//! Releasing a report: aggregated jobs go to the keyholders.
//!
//! [`release_one`] leases one aggregated job (`FOR UPDATE SKIP LOCKED`, so
//! several releasers may run, see `crate::releaser`), sends the aggregate with the
//! manifest (the digests of the snapshot's contributions), and stores the
//! keyholder's noised values together with what is derived from them. A
//! refusal ends the job (`refused`, price refunded); an unreachable keyholder
//! leaves the job leased until the lease expires, then it is retried (the
//! keyholder answers a repeated job from its stored release, spending
//! nothing twice).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::Statistic;
use serde::{Deserialize, Serialize};

use super::reports::{campaign_plan, end_without_results, ReportError, SpecFields};
use crate::domain::{CampaignId, JobId};
use crate::store::jobs::{self as job_store, JobState};
use crate::store::tx::{self, PgPool, Retryable, Unavailable};
use crate::store::{contributions, reports};
use keyholder_api::{
    CallError, Keyholders, ManifestEntry, ManifestShard, ReleaseRequest, ReleaseResponse, Released,
};
use protocol::report::{self as derive, Derived, ReportSpec};

/// Why a release could not be handled (the job stays leased until its
/// lease expires, and the release is tried again).
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The keyholders could not be reached.
    #[error(transparent)]
    Keyholder(#[from] CallError),
    /// Planning or refunding the job failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A stored job that breaks an invariant.
    #[error("{0}")]
    Corrupt(String),
    /// The database was not reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for ReleaseError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => tx::is_transient(e),
            Self::Report(r) => r.is_retryable(),
            _ => false,
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> ReleaseError {
    ReleaseError::Corrupt(e.to_string())
}

/// What a buyer reads: the released values and what follows from them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReportResults {
    /// The report (job).
    pub report_id: JobId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Contributions covered (public, exact).
    pub count: u64,
    /// ε spent by this release.
    pub epsilon: f64,
    /// The mechanism: `discrete_laplace`, `discrete_gaussian` (or
    /// `disabled` under the keyholder's test-only setting).
    pub noise: String,
    /// δ spent by this release (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delta: f64,
    /// ρ of the release's zCDP (absent: 0, the Laplace).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rho: f64,
    /// When the keyholder released the values.
    pub released_at: DateTime<Utc>,
    /// The noised aggregates, each with its noise scale and 99% bound.
    pub values: Vec<Released>,
    /// Means, variances, histograms, out-of-range counts, regression.
    pub derived: Derived,
    /// Every keyholder's signed partial decryption: `cipherpool-client
    /// verify-report` checks the signatures against pinned keys and
    /// recombines the values (absent for reports released before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub proof: Option<keyholder_api::ReleaseProof>,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

struct Prepared {
    campaign_id: CampaignId,
    request: ReleaseRequest,
    fields: SpecFields,
}

fn prepare(conn: &mut PgConnection, job_id: JobId) -> Result<Prepared, ReleaseError> {
    let job = reports::release_row(conn, job_id)?;
    let statistics: Vec<Statistic> = serde_json::from_value(job.statistics).map_err(corrupt)?;
    let aggregate = job
        .aggregate
        .ok_or_else(|| corrupt("aggregated job without aggregate"))?;
    let (campaign_id, n) = (job.campaign_id, job.contributions);
    // The manifest: each shard's contributions in the order its worker
    // folded them (id order), shards in the order the reduce merged them.
    // Every contribution was admitted through a leaf of the campaign's tier.
    let tier = crate::store::campaigns::terms(conn, campaign_id)?
        .and_then(|t| protocol::attestation::Tier::parse(&t.eligibility))
        .ok_or_else(|| corrupt(format!("campaign {campaign_id} has no eligibility")))?;
    let mut shards = Vec::new();
    for (first, last) in reports::shard_ranges(conn, job_id)? {
        let rows = contributions::manifest_range(conn, campaign_id, first, last)?;
        shards.push(ManifestShard {
            contributions: rows
                .into_iter()
                .map(|r| ManifestEntry {
                    digest: hex::encode(r.digest),
                    ciphertext: STANDARD.encode(r.ciphertext),
                    nullifier: hex::encode(r.nullifier),
                    root: hex::encode(r.registry_root),
                    // Contributions accepted before proofs (or reward
                    // notes) were kept carry none: the keyholders refuse them.
                    proof: STANDARD.encode(r.attestation_proof.unwrap_or_default()),
                    note_key: r.note_key.map(hex::encode).unwrap_or_default(),
                    tier,
                })
                .collect(),
        });
    }
    let listed: usize = shards.iter().map(|s| s.contributions.len()).sum();
    if listed as i64 != n {
        return Err(corrupt(format!(
            "job {job_id}: the shards hold {listed} contributions, the job {n}"
        )));
    }
    let (schema, _) = campaign_plan(conn, campaign_id, &statistics, job.max_records as u64)?;
    let fields = SpecFields::of(&schema, &statistics);
    Ok(Prepared {
        campaign_id,
        request: ReleaseRequest {
            statistics,
            requested_by: job.buyer_id.get(),
            epsilon_micro: job.epsilon_micro as u64,
            weights: serde_json::from_value(job.weights).map_err(corrupt)?,
            shards,
            aggregate: STANDARD.encode(aggregate),
        },
        fields,
    })
}

/// Releases one aggregated job, if any. True when a job was handled.
pub async fn release_one(
    pool: &PgPool,
    keyholder: &dyn Keyholders,
    owner: &str,
    lease_secs: f64,
) -> Result<bool, ReleaseError> {
    let o = owner.to_string();
    let leased = tx::with_conn(pool, move |c| {
        Ok::<_, ReleaseError>(job_store::lease_release(c, &o, lease_secs)?)
    })
    .await?;
    let Some(job_id) = leased else {
        return Ok(false);
    };
    let prepared = tx::with_conn(pool, move |c| prepare(c, job_id)).await?;
    let answer = keyholder
        .release(prepared.campaign_id.get(), job_id.get(), &prepared.request)
        .await;
    match answer {
        Err(CallError::Refused {
            status: code_status,
            code,
            message,
        }) => {
            tracing::warn!(job = job_id.get(), status = code_status, %code, "keyholder refused the release");
            tx::run_tx(pool, "refuse_job", move |c| {
                Ok::<_, ReleaseError>(end_without_results(
                    c,
                    job_id,
                    JobState::Refused,
                    &code,
                    &message,
                )?)
            })
            .await?;
        }
        // No retry mends a token the keyholder does not accept: the job
        // fails (price refunded) with an error saying so.
        Err(e @ CallError::Unauthorized) => {
            tracing::error!(job = job_id.get(), "{e}");
            let message = e.to_string();
            tx::run_tx(pool, "fail_job_unauthorized", move |c| {
                Ok::<_, ReleaseError>(end_without_results(
                    c,
                    job_id,
                    JobState::Failed,
                    "keyholder_unauthorized",
                    &message,
                )?)
            })
            .await?;
        }
        // Unreachable: the lease expires and the release is tried again.
        Err(e @ CallError::Unavailable(_)) => return Err(e.into()),
        Ok(resp) => {
            let spent = protocol::report::mechanism::Mechanism::from_name(&resp.noise)
                .map(|m| (m, resp.delta, resp.rho));
            let results =
                serde_json::to_value(results_of(job_id, &prepared, resp)).map_err(corrupt)?;
            let o = owner.to_string();
            let stored = tx::run_tx(pool, "store_release", move |c| {
                Ok::<_, ReleaseError>(reports::complete_release(
                    c,
                    job_id,
                    &o,
                    results.clone(),
                    spent,
                )?)
            })
            .await?;
            tracing::info!(job = job_id.get(), stored, "report released");
        }
    }
    Ok(true)
}

fn results_of(job_id: JobId, p: &Prepared, resp: ReleaseResponse) -> ReportResults {
    let f = &p.fields;
    let spec = ReportSpec {
        count: resp.records,
        numeric_fields: &f.numeric,
        categorical_fields: &f.categorical,
        regression: f
            .regression
            .as_ref()
            .map(|(f, t)| (f.as_slice(), t.as_str())),
        crosstabs: &f.crosstabs,
        group_sums: &f.group_sums,
    };
    let derived = derive::derive(&spec, &resp.values);
    ReportResults {
        report_id: job_id,
        campaign_id: p.campaign_id,
        count: resp.records,
        epsilon: protocol::epsilon::Epsilon::from_micro(resp.epsilon_micro).as_f64(),
        noise: resp.noise,
        delta: resp.delta,
        rho: resp.rho,
        released_at: resp.released_at,
        values: resp.values,
        derived,
        proof: Some(resp.proof),
    }
}
