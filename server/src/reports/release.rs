//! The server's release loop: aggregated jobs go to the keyholder.
//!
//! The loop leases one aggregated job at a time (`FOR UPDATE SKIP LOCKED`,
//! so several server processes may run it), sends the aggregate with the
//! manifest (the digests of the snapshot's contributions), and stores the
//! keyholder's noised values together with what is derived from them. A
//! refusal ends the job (`refused`, price refunded); an unreachable keyholder
//! leaves the job leased until the lease expires, then it is retried (the
//! keyholder answers a repeated job from its stored release, spending
//! nothing twice).

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::schema::FieldKind;
use protocol::Statistic;
use serde::{Deserialize, Serialize};

use super::derive::{self, Derived, ReportSpec};
use super::{campaign_plan, end_without_results};
use crate::db::{self, PgPool};
use crate::http::error::ApiError;
use crate::schema::{contributions, job_shards, jobs};
use crate::store::jobs::{self as job_store, JobState};
use keyholder_api::{
    CallError, Keyholders, ManifestEntry, ManifestShard, ReleaseRequest, ReleaseResponse, Released,
};

/// What a buyer reads: the released values and what follows from them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportResults {
    /// The report (job).
    pub report_id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// Contributions covered (public, exact).
    pub count: u64,
    /// ε spent by this release.
    pub epsilon: f64,
    /// `discrete_laplace` (or `disabled` under the keyholder's test-only setting).
    pub noise: String,
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
    pub proof: Option<keyholder_api::ReleaseProof>,
}

/// The schema's fields as derivation needs them.
struct SpecFields {
    numeric: Vec<String>,
    categorical: Vec<(String, Vec<String>)>,
    regression: Option<(Vec<String>, String)>,
}

struct Prepared {
    campaign_id: i64,
    request: ReleaseRequest,
    fields: SpecFields,
}

fn prepare(conn: &mut PgConnection, job_id: i64) -> Result<Prepared, ApiError> {
    #[allow(clippy::type_complexity)]
    let (campaign_id, buyer, statistics, max_records, n, eps, aggregate): (
        i64,
        i64,
        serde_json::Value,
        i64,
        i64,
        i64,
        Option<Vec<u8>>,
    ) = jobs::table
        .find(job_id)
        .select((
            jobs::campaign_id,
            jobs::buyer_id,
            jobs::statistics,
            jobs::max_records,
            jobs::contributions,
            jobs::epsilon_micro,
            jobs::aggregate,
        ))
        .first(conn)?;
    let statistics: Vec<Statistic> =
        serde_json::from_value(statistics).map_err(ApiError::internal)?;
    let aggregate =
        aggregate.ok_or_else(|| ApiError::internal("aggregated job without aggregate"))?;
    // The manifest: each shard's contributions in the order its worker
    // folded them (id order), shards in the order the reduce merged them.
    let ranges: Vec<(i64, i64)> = job_shards::table
        .filter(job_shards::job_id.eq(job_id))
        .order(job_shards::shard_index.asc())
        .select((
            job_shards::first_contribution_id,
            job_shards::last_contribution_id,
        ))
        .load(conn)?;
    let mut shards = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        type Row = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>, i64);
        let rows: Vec<Row> = contributions::table
            .filter(contributions::campaign_id.eq(campaign_id))
            .filter(contributions::id.ge(first))
            .filter(contributions::id.le(last))
            .order(contributions::id.asc())
            .select((
                contributions::digest,
                contributions::ciphertext,
                contributions::nullifier,
                contributions::registry_root,
                contributions::attestation_proof,
                contributions::payout_account_id,
            ))
            .load(conn)?;
        shards.push(ManifestShard {
            contributions: rows
                .into_iter()
                .map(
                    |(digest, ciphertext, nullifier, root, proof, payout)| ManifestEntry {
                        digest: hex::encode(digest),
                        ciphertext: STANDARD.encode(ciphertext),
                        nullifier: hex::encode(nullifier),
                        root: hex::encode(root),
                        // Contributions accepted before proofs were kept
                        // carry none: the keyholders refuse them.
                        proof: STANDARD.encode(proof.unwrap_or_default()),
                        payout_account: payout as u64,
                    },
                )
                .collect(),
        });
    }
    let listed: usize = shards.iter().map(|s| s.contributions.len()).sum();
    if listed as i64 != n {
        return Err(ApiError::internal(format!(
            "job {job_id}: the shards hold {listed} contributions, the job {n}"
        )));
    }
    let (schema, _) = campaign_plan(conn, campaign_id, &statistics, max_records as u64)?;
    let mut numeric = Vec::new();
    let mut categorical = Vec::new();
    for f in schema.fields() {
        match &f.kind {
            FieldKind::Numeric(_) => numeric.push(f.name.clone()),
            FieldKind::Categorical(c) => categorical.push((f.name.clone(), c.categories.clone())),
        }
    }
    let regression = schema
        .regression()
        .filter(|_| statistics.contains(&Statistic::Regression))
        .map(|r| (r.features.clone(), r.target.clone()));
    Ok(Prepared {
        campaign_id,
        request: ReleaseRequest {
            statistics,
            requested_by: buyer,
            epsilon_micro: eps as u64,
            shards,
            aggregate: STANDARD.encode(aggregate),
        },
        fields: SpecFields {
            numeric,
            categorical,
            regression,
        },
    })
}

/// Stores a release (if this server still holds the job's release lease).
fn store(
    conn: &mut PgConnection,
    job_id: i64,
    owner: &str,
    results: &ReportResults,
) -> Result<bool, ApiError> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::status.eq(JobState::Releasing))
            .filter(jobs::lease_owner.eq(owner)),
    )
    .set((
        jobs::status.eq(JobState::Released),
        jobs::result.eq(serde_json::to_value(results).map_err(ApiError::internal)?),
        jobs::lease_owner.eq(None::<String>),
        jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
        jobs::finished_at.eq(Some(Utc::now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Releases one aggregated job, if any. True when a job was handled.
pub async fn release_one(
    pool: &PgPool,
    keyholder: &dyn Keyholders,
    owner: &str,
    lease_secs: f64,
) -> Result<bool, ApiError> {
    let o = owner.to_string();
    let leased = db::with_conn(pool, move |c| {
        Ok(job_store::lease_release(c, &o, lease_secs)?)
    })
    .await?;
    let Some(job_id) = leased else {
        return Ok(false);
    };
    let prepared = db::with_conn(pool, move |c| prepare(c, job_id)).await?;
    let answer = keyholder
        .release(prepared.campaign_id, job_id, &prepared.request)
        .await;
    match answer {
        Err(CallError::Refused {
            status: code_status,
            code,
            message,
        }) => {
            tracing::warn!(job = job_id, status = code_status, %code, "keyholder refused the release");
            db::run_tx(pool, "refuse_job", move |c| {
                end_without_results(c, job_id, JobState::Refused, &code, &message)
            })
            .await?;
        }
        // No retry mends a token the keyholder does not accept: the job
        // fails (price refunded) with an error saying so.
        Err(e @ CallError::Unauthorized) => {
            tracing::error!(job = job_id, "{e}");
            let message = e.to_string();
            db::run_tx(pool, "fail_job_unauthorized", move |c| {
                end_without_results(
                    c,
                    job_id,
                    JobState::Failed,
                    "keyholder_unauthorized",
                    &message,
                )
            })
            .await?;
        }
        // Unreachable: the lease expires and the release is tried again.
        Err(e @ CallError::Unavailable(_)) => return Err(e.into()),
        Ok(resp) => {
            let results = results_of(job_id, &prepared, resp);
            let o = owner.to_string();
            let stored = db::run_tx(pool, "store_release", move |c| {
                store(c, job_id, &o, &results)
            })
            .await?;
            tracing::info!(job = job_id, stored, "report released");
        }
    }
    Ok(true)
}

fn results_of(job_id: i64, p: &Prepared, resp: ReleaseResponse) -> ReportResults {
    let f = &p.fields;
    let spec = ReportSpec {
        count: resp.records,
        numeric_fields: &f.numeric,
        categorical_fields: &f.categorical,
        regression: f
            .regression
            .as_ref()
            .map(|(f, t)| (f.as_slice(), t.as_str())),
    };
    let derived = derive::derive(&spec, &resp.values);
    ReportResults {
        report_id: job_id,
        campaign_id: p.campaign_id,
        count: resp.records,
        epsilon: protocol::epsilon::epsilon_f64(resp.epsilon_micro),
        noise: resp.noise,
        released_at: resp.released_at,
        values: resp.values,
        derived,
        proof: Some(resp.proof),
    }
}

/// The release loop (never returns): polls every `poll` when idle.
pub async fn run(pool: PgPool, keyholder: Arc<dyn Keyholders>, poll: Duration, lease_secs: f64) {
    let owner = format!(
        "server:{}:{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    loop {
        // Registry roots the keyholders have not computed yet (one of them
        // was unreachable when an identity registered).
        if let Err(e) = crate::registry::announce_pending(&pool, keyholder.as_ref()).await {
            tracing::warn!("announcing the registry to the keyholders: {e}");
        }
        match release_one(&pool, keyholder.as_ref(), &owner, lease_secs).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!("release loop: {e}"),
        }
        tokio::time::sleep(poll).await;
    }
}
