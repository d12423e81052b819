//! Reports as rows: a purchase's job and its shards, the report as the API
//! shows it (with its progress), its stored results, the privacy budget a
//! campaign's jobs hold, and a job's end without results. The leases the
//! workers take on the same rows are in [`super::jobs`].

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use protocol::epsilon::Epsilon;
use protocol::report::mechanism::Mechanism;
use protocol::Statistic;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::jobs::{JobState, ShardState};
use crate::domain::{CampaignId, JobId, UserId};
use crate::schema::{job_shards, jobs};

/// Progress of a job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Shards computed.
    pub shards_done: i64,
    /// Shards in the job.
    pub shards_total: i64,
    /// Contributions folded into computed shards.
    pub contributions_done: i64,
    /// Contributions the job covers.
    pub contributions_total: i64,
    /// Estimated seconds until every shard is computed (from the pace so
    /// far; absent before the first shard is done).
    pub eta_seconds: Option<f64>,
}

/// An error that ended a job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobError {
    /// Machine-readable code (e.g. `below_min_contributors`, `privacy_budget_exhausted`).
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// A report as the API answers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    /// Report (job) id.
    pub id: JobId,
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The buyer.
    pub buyer_id: UserId,
    /// `computing`, `reducing`, `aggregated`, `releasing`, `released`, `refused` or `failed`.
    pub status: JobState,
    /// The statistics computed.
    pub statistics: Vec<Statistic>,
    /// Contributions covered (the snapshot at purchase).
    pub contributions: i64,
    /// Privacy budget the release spends.
    pub epsilon: f64,
    /// How that ε is split over the released values, by kind (`{}`: evenly).
    #[schema(value_type = std::collections::BTreeMap<String, u32>)]
    pub weights: protocol::report::weights::Weights,
    /// The noise mechanism: `discrete_laplace` (pure ε-DP) or
    /// `discrete_gaussian` (ρ-zCDP within (ε, δ)).
    pub mechanism: String,
    /// δ the release spends (0 under Laplace): the campaign's δ in
    /// proportion to the ε spent.
    pub delta: f64,
    /// ρ of the release's zCDP (0 under Laplace).
    pub rho: f64,
    /// Tokens paid.
    pub price: i64,
    /// The payment transfer.
    pub payment_transfer_id: Option<i64>,
    /// The refund transfer, when the job was refused or failed.
    pub refund_transfer_id: Option<i64>,
    /// Computation progress.
    pub progress: Progress,
    /// Why the job ended without results.
    pub error: Option<JobError>,
    /// Purchased.
    pub created_at: DateTime<Utc>,
    /// Released, refused or failed.
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct JobRow {
    id: JobId,
    campaign_id: CampaignId,
    buyer_id: UserId,
    statistics: serde_json::Value,
    contributions: i64,
    epsilon_micro: i64,
    weights: serde_json::Value,
    mechanism: String,
    delta: f64,
    rho: f64,
    price: i64,
    payment_transfer_id: Option<i64>,
    refund_transfer_id: Option<i64>,
    status: JobState,
    shards_total: i32,
    error_code: Option<String>,
    error_message: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = BigInt)]
    micro: i64,
    #[diesel(sql_type = Double)]
    delta: f64,
}

/// ε (in millionths) and δ reserved by a campaign's jobs that were not
/// refused and did not fail.
pub fn reserved(conn: &mut PgConnection, campaign_id: CampaignId) -> QueryResult<(i64, f64)> {
    let r: Reserved = diesel::sql_query(
        "SELECT COALESCE(sum(epsilon_micro), 0)::BIGINT AS micro, \
         COALESCE(sum(delta), 0)::FLOAT8 AS delta FROM jobs \
         WHERE campaign_id = $1 AND status NOT IN ($2, $3)",
    )
    .bind::<BigInt, _>(campaign_id)
    .bind::<Text, _>(JobState::Refused)
    .bind::<Text, _>(JobState::Failed)
    .get_result(conn)?;
    Ok((r.micro, r.delta))
}

/// A purchased job.
#[derive(Debug, Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The buyer.
    pub buyer_id: UserId,
    /// Statistics JSON.
    pub statistics: serde_json::Value,
    /// The bound its plan is sized for.
    pub max_records: i64,
    /// The newest contribution of the snapshot.
    pub last_contribution_id: i64,
    /// Contributions in the snapshot.
    pub contributions: i64,
    /// ε it spends, in millionths.
    pub epsilon_micro: i64,
    /// Its budget weights (`{}`: evenly).
    pub weights: serde_json::Value,
    /// The noise mechanism the keyholders release it with.
    pub mechanism: &'static str,
    /// δ it spends (0 under Laplace).
    pub delta: f64,
    /// ρ of its zCDP (0 under Laplace).
    pub rho: f64,
    /// Tokens paid.
    pub price: i64,
    /// The payment.
    pub payment_transfer_id: Option<i64>,
    /// Initial state.
    pub status: JobState,
    /// Shards.
    pub shards_total: i32,
}

/// Stores `job` and one pending shard per run of contiguous contribution
/// ids in `shards`; answers the job's id.
pub fn insert(conn: &mut PgConnection, job: &NewJob, shards: &[&[i64]]) -> QueryResult<JobId> {
    let job_id: JobId = diesel::insert_into(jobs::table)
        .values(job)
        .returning(jobs::id)
        .get_result(conn)?;
    let rows: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                job_shards::job_id.eq(job_id),
                job_shards::shard_index.eq(i as i32),
                job_shards::first_contribution_id.eq(s[0]),
                job_shards::last_contribution_id.eq(s[s.len() - 1]),
                job_shards::records.eq(s.len() as i32),
                job_shards::status.eq(ShardState::Pending),
            )
        })
        .collect();
    diesel::insert_into(job_shards::table)
        .values(&rows)
        .execute(conn)?;
    Ok(job_id)
}

#[derive(QueryableByName)]
struct ProgressRow {
    #[diesel(sql_type = BigInt)]
    shards_done: i64,
    #[diesel(sql_type = BigInt)]
    records_done: i64,
    #[diesel(sql_type = Double)]
    elapsed: f64,
}

/// A job as the API answers it.
pub fn view(conn: &mut PgConnection, job_id: JobId) -> QueryResult<Option<ReportView>> {
    let Some(row) = jobs::table
        .find(job_id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let p: ProgressRow = diesel::sql_query(
        "SELECT count(s.id)::BIGINT AS shards_done, COALESCE(sum(s.records), 0)::BIGINT AS records_done, \
         EXTRACT(EPOCH FROM (COALESCE(max(s.done_at), now()) - j.created_at))::FLOAT8 AS elapsed \
         FROM jobs j LEFT JOIN job_shards s ON s.job_id = j.id AND s.status = $2 \
         WHERE j.id = $1 GROUP BY j.created_at",
    )
    .bind::<BigInt, _>(job_id)
    .bind::<Text, _>(ShardState::Done)
    .get_result(conn)?;
    let remaining = row.contributions - p.records_done;
    let eta_seconds = if remaining == 0 {
        Some(0.0)
    } else {
        (p.records_done > 0 && remaining > 0)
            .then(|| p.elapsed / p.records_done as f64 * remaining as f64)
    };
    let statistics = serde_json::from_value(row.statistics).map_err(|e| {
        diesel::result::Error::DeserializationError(format!("stored statistics: {e}").into())
    })?;
    Ok(Some(ReportView {
        id: row.id,
        campaign_id: row.campaign_id,
        buyer_id: row.buyer_id,
        status: row.status,
        statistics,
        contributions: row.contributions,
        epsilon: Epsilon::from_micro(row.epsilon_micro.max(0) as u64).as_f64(),
        weights: serde_json::from_value(row.weights).map_err(|e| {
            diesel::result::Error::DeserializationError(format!("stored weights: {e}").into())
        })?,
        mechanism: row.mechanism,
        delta: row.delta,
        rho: row.rho,
        price: row.price,
        payment_transfer_id: row.payment_transfer_id,
        refund_transfer_id: row.refund_transfer_id,
        progress: Progress {
            shards_done: p.shards_done,
            shards_total: i64::from(row.shards_total),
            contributions_done: p.records_done,
            contributions_total: row.contributions,
            eta_seconds,
        },
        error: row.error_code.map(|code| JobError {
            code,
            message: row.error_message.unwrap_or_default(),
        }),
        created_at: row.created_at,
        finished_at: row.finished_at,
    }))
}

/// A campaign's reports, newest first.
pub fn list_for_campaign(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
) -> QueryResult<Vec<ReportView>> {
    let ids: Vec<JobId> = jobs::table
        .filter(jobs::campaign_id.eq(campaign_id))
        .order(jobs::id.desc())
        .select(jobs::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = view(conn, id)? {
            out.push(v);
        }
    }
    Ok(out)
}

/// The stored results of a released job.
pub fn results(conn: &mut PgConnection, job_id: JobId) -> QueryResult<Option<serde_json::Value>> {
    Ok(jobs::table
        .find(job_id)
        .select(jobs::result)
        .first::<Option<serde_json::Value>>(conn)
        .optional()?
        .flatten())
}

/// What ending a job without results reads of it, under a row lock.
#[derive(Debug, Queryable)]
pub struct Payment {
    /// The buyer.
    pub buyer_id: UserId,
    /// Tokens paid.
    pub price: i64,
    /// The payment.
    pub payment_transfer_id: Option<i64>,
    /// The refund, once made.
    pub refund_transfer_id: Option<i64>,
}

/// Locks job `job_id` and answers its payment.
pub fn lock_payment(conn: &mut PgConnection, job_id: JobId) -> QueryResult<Payment> {
    jobs::table
        .find(job_id)
        .select((
            jobs::buyer_id,
            jobs::price,
            jobs::payment_transfer_id,
            jobs::refund_transfer_id,
        ))
        .for_update()
        .first(conn)
}

/// Ends job `job_id` in `status` with an error and its refund (if any),
/// releasing any lease.
pub fn finish_without_results(
    conn: &mut PgConnection,
    job_id: JobId,
    status: JobState,
    code: &str,
    message: &str,
    refund_transfer_id: Option<i64>,
) -> QueryResult<()> {
    diesel::update(jobs::table.find(job_id))
        .set((
            jobs::status.eq(status),
            jobs::error_code.eq(code),
            jobs::error_message.eq(message),
            jobs::refund_transfer_id.eq(refund_transfer_id),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
            jobs::finished_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a worker reads of a job to plan it.
#[derive(Debug, Queryable)]
pub struct SpecRow {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// Statistics JSON.
    pub statistics: serde_json::Value,
    /// The bound its plan is sized for.
    pub max_records: i64,
    /// Contributions in the snapshot.
    pub contributions: i64,
}

/// Job `job_id`'s planning inputs.
pub fn spec_row(conn: &mut PgConnection, job_id: JobId) -> QueryResult<SpecRow> {
    jobs::table
        .find(job_id)
        .select((
            jobs::campaign_id,
            jobs::statistics,
            jobs::max_records,
            jobs::contributions,
        ))
        .first(conn)
}

/// What a release sends the keyholders about a job.
#[derive(Debug, Queryable)]
pub struct ReleaseRow {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The buyer.
    pub buyer_id: UserId,
    /// Statistics JSON.
    pub statistics: serde_json::Value,
    /// The bound its plan is sized for.
    pub max_records: i64,
    /// Contributions in the snapshot.
    pub contributions: i64,
    /// ε it spends, in millionths.
    pub epsilon_micro: i64,
    /// Its budget weights.
    pub weights: serde_json::Value,
    /// The reduced aggregate (absent before the reduce).
    pub aggregate: Option<Vec<u8>>,
}

/// Job `job_id` as its release needs it.
pub fn release_row(conn: &mut PgConnection, job_id: JobId) -> QueryResult<ReleaseRow> {
    jobs::table
        .find(job_id)
        .select((
            jobs::campaign_id,
            jobs::buyer_id,
            jobs::statistics,
            jobs::max_records,
            jobs::contributions,
            jobs::epsilon_micro,
            jobs::weights,
            jobs::aggregate,
        ))
        .first(conn)
}

/// Job `job_id`'s shards as (first, last) contribution ids, in the order
/// the reduce merged them.
pub fn shard_ranges(conn: &mut PgConnection, job_id: JobId) -> QueryResult<Vec<(i64, i64)>> {
    job_shards::table
        .filter(job_shards::job_id.eq(job_id))
        .order(job_shards::shard_index.asc())
        .select((
            job_shards::first_contribution_id,
            job_shards::last_contribution_id,
        ))
        .load(conn)
}

/// Stores a release's results if `owner` still holds the job's release
/// lease; true when stored.
pub fn complete_release(
    conn: &mut PgConnection,
    job_id: JobId,
    owner: &str,
    results: serde_json::Value,
    spent: Option<(Mechanism, f64, f64)>,
) -> QueryResult<bool> {
    // What the keyholders say the release spent is the record (their
    // choice is the one the purchase predicted, computed again by them).
    if let Some((mechanism, delta, rho)) = spent {
        diesel::update(
            jobs::table
                .filter(jobs::id.eq(job_id))
                .filter(jobs::status.eq(JobState::Releasing))
                .filter(jobs::lease_owner.eq(owner)),
        )
        .set((
            jobs::mechanism.eq(mechanism.name()),
            jobs::delta.eq(delta),
            jobs::rho.eq(rho),
        ))
        .execute(conn)?;
    }
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::status.eq(JobState::Releasing))
            .filter(jobs::lease_owner.eq(owner)),
    )
    .set((
        jobs::status.eq(JobState::Released),
        jobs::result.eq(results),
        jobs::lease_owner.eq(None::<String>),
        jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
        jobs::finished_at.eq(Some(Utc::now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The newest released job of campaign `campaign_id`, with its stored results.
pub fn latest_released(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
) -> QueryResult<Option<(JobId, Option<serde_json::Value>)>> {
    jobs::table
        .filter(jobs::campaign_id.eq(campaign_id))
        .filter(jobs::status.eq(JobState::Released))
        .order(jobs::id.desc())
        .select((jobs::id, jobs::result))
        .first(conn)
        .optional()
}
