//! Statistics reports: a buyer's purchase is one statistics job.
//!
//! Purchase (one transaction): the campaign row is locked; the job must
//! cover at least `min_contributors` accepted contributions and fit the
//! campaign's remaining privacy budget; the price moves from the buyer's
//! wallet to the platform account; the job snapshots the campaign's
//! contributions (ids up to the newest) and splits them into shards of
//! contiguous ids.
//!
//! Workers ([`crate::worker`]) lease shards ([`crate::store::jobs`]) with `FOR UPDATE SKIP LOCKED`
//! and a lease expiry, extend the lease while they compute, and store the
//! shard's partial only while they still hold the lease: a worker that died
//! or lost its lease writes nothing, another worker redoes the shard, and a
//! shard has exactly one partial. When every shard is done, one worker
//! leases the reduce step and merges the partials into the job's aggregate.
//! The server's release loop ([`release`]) then leases the release, sends the
//! aggregate and the manifest (the digests of the covered contributions) to
//! the keyholder, and stores the released values with what is derived from
//! them. A refusal by the keyholder refunds the price.

pub mod derive;
pub mod release;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use fhe_compute::stats::StatsPlan;
use protocol::{CampaignSchema, Statistic, TokenAmount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::{self, Status};
use crate::http::error::ApiError;
use crate::schema::{campaigns as campaigns_t, contributions, job_shards, jobs};
use crate::store::jobs::{JobState, ShardState};
use crate::store::ledger;
use protocol::epsilon::{self, EPSILON_UNIT};

/// A report purchase request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// Privacy budget this report spends (0 < ε ≤ the campaign's remaining
    /// budget). Default: the campaign's whole budget ε.
    pub epsilon: Option<f64>,
}

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
    pub id: i64,
    /// The campaign.
    pub campaign_id: i64,
    /// The buyer.
    pub buyer_id: i64,
    /// `computing`, `reducing`, `aggregated`, `releasing`, `released`, `refused` or `failed`.
    pub status: JobState,
    /// The statistics computed.
    pub statistics: Vec<Statistic>,
    /// Contributions covered (the snapshot at purchase).
    pub contributions: i64,
    /// Privacy budget the release spends.
    pub epsilon: f64,
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
    id: i64,
    campaign_id: i64,
    buyer_id: i64,
    statistics: serde_json::Value,
    contributions: i64,
    epsilon_micro: i64,
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

fn refuse(status: u16, code: &'static str, msg: impl Into<String>) -> ApiError {
    // Unwrap safety: callers pass valid 4xx constants.
    ApiError::new(
        actix_web::http::StatusCode::from_u16(status).expect("status"),
        code,
        msg,
    )
}

/// The campaign's schema and the plan of its statistics.
pub fn campaign_plan(
    conn: &mut PgConnection,
    campaign_id: i64,
    statistics: &[Statistic],
    max_records: u64,
) -> Result<(CampaignSchema, StatsPlan), ApiError> {
    let raw: serde_json::Value = campaigns_t::table
        .find(campaign_id)
        .select(campaigns_t::schema)
        .first(conn)?;
    let schema = CampaignSchema::parse(serde_json::from_value(raw).map_err(ApiError::internal)?)
        .map_err(ApiError::internal)?;
    let plan = StatsPlan::new(&schema, statistics, max_records).map_err(ApiError::internal)?;
    Ok((schema, plan))
}

#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = BigInt)]
    micro: i64,
}

/// ε reserved by a campaign's jobs that were not refused and did not fail.
fn reserved_micro(conn: &mut PgConnection, campaign_id: i64) -> Result<i64, ApiError> {
    let r: Reserved = diesel::sql_query(
        "SELECT COALESCE(sum(epsilon_micro), 0)::BIGINT AS micro FROM jobs \
         WHERE campaign_id = $1 AND status NOT IN ('refused', 'failed')",
    )
    .bind::<BigInt, _>(campaign_id)
    .get_result(conn)?;
    Ok(r.micro)
}

/// Buys a statistics report of `campaign_id` for `buyer_id`, in the caller's
/// transaction: checks, payment, snapshot and shards.
pub fn purchase(
    conn: &mut PgConnection,
    buyer_id: i64,
    campaign_id: i64,
    req: &PurchaseRequest,
    price: i64,
    shard_size: i64,
) -> Result<ReportView, ApiError> {
    // Serialize purchases of one campaign (budget accounting), then read it.
    campaigns_t::table
        .find(campaign_id)
        .select(campaigns_t::id)
        .for_update()
        .first::<i64>(conn)
        .optional()?;
    let campaign = campaigns::get(conn, campaign_id)?
        .filter(|c| c.buyer_id == buyer_id)
        .ok_or_else(|| ApiError::not_found(format!("campaign {campaign_id} does not exist")))?;
    if !matches!(campaign.status, Status::Open | Status::Closed) {
        return Err(refuse(
            409,
            "invalid_state",
            format!(
                "campaign {campaign_id} is {}; reports are sold for open or closed campaigns",
                campaign.status.as_str()
            ),
        ));
    }
    let max_records = campaigns::max_contributions(campaign.budget, campaign.reward);
    let (_, plan) = campaign_plan(conn, campaign_id, &campaign.statistics, max_records)?;
    if plan.aggregates.is_empty() {
        return Err(refuse(
            422,
            "nothing_to_release",
            "this campaign asks only for the count, which is public (contributions on the campaign)",
        ));
    }
    let ids: Vec<i64> = contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .order(contributions::id.asc())
        .select(contributions::id)
        .load(conn)?;
    let n = ids.len() as i64;
    if n < i64::from(campaign.min_contributors) {
        return Err(refuse(
            409,
            "below_min_contributors",
            format!(
                "the campaign has {n} contributions; statistics are released only over at least {}",
                campaign.min_contributors
            ),
        ));
    }
    let total = epsilon::epsilon_micro(campaign.epsilon).map_err(ApiError::internal)? as i64;
    let wanted = match req.epsilon {
        None => total,
        Some(e) => {
            let m = epsilon::epsilon_micro(e).map_err(|_| {
                ApiError::unprocessable("invalid_epsilon", "epsilon must be a number with ε > 0")
            })? as i64;
            if m > total {
                return Err(ApiError::unprocessable(
                    "invalid_epsilon",
                    format!(
                        "epsilon must be at most the campaign's budget ε = {}",
                        campaign.epsilon
                    ),
                ));
            }
            m
        }
    };
    let reserved = reserved_micro(conn, campaign_id)?;
    if reserved + wanted > total {
        return Err(refuse(
            409,
            "privacy_budget_exhausted",
            format!(
                "the campaign's privacy budget ε = {} has {} left; this report needs {}",
                campaign.epsilon,
                (total - reserved) as f64 / EPSILON_UNIT as f64,
                wanted as f64 / EPSILON_UNIT as f64
            ),
        ));
    }
    let payment = if price > 0 {
        let wallet = ledger::wallet_of(conn, buyer_id)?;
        let platform = ledger::platform_account(conn)?;
        let t = ledger::transfer(
            conn,
            wallet,
            platform,
            TokenAmount::parse(price)?,
            "report_purchase",
            &format!("campaign {campaign_id}"),
        )
        .map_err(|e| match e {
            ledger::LedgerError::InsufficientFunds { available, needed } => refuse(
                402,
                "insufficient_funds",
                format!("a report costs {needed} tokens; the wallet holds {available}"),
            ),
            other => other.into(),
        })?;
        Some(t.id)
    } else {
        None
    };
    let shards: Vec<&[i64]> = ids.chunks(shard_size.max(1) as usize).collect();
    let job_id: i64 = diesel::insert_into(jobs::table)
        .values((
            jobs::campaign_id.eq(campaign_id),
            jobs::buyer_id.eq(buyer_id),
            jobs::statistics
                .eq(serde_json::to_value(&campaign.statistics).map_err(ApiError::internal)?),
            jobs::max_records.eq(max_records as i64),
            jobs::last_contribution_id.eq(ids[ids.len() - 1]),
            jobs::contributions.eq(n),
            jobs::epsilon_micro.eq(wanted),
            jobs::price.eq(price),
            jobs::payment_transfer_id.eq(payment),
            jobs::status.eq(JobState::Computing),
            jobs::shards_total.eq(shards.len() as i32),
        ))
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
    view(conn, job_id)?.ok_or_else(|| ApiError::internal("job vanished"))
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
pub fn view(conn: &mut PgConnection, job_id: i64) -> Result<Option<ReportView>, ApiError> {
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
    let eta_seconds = (p.records_done > 0 && remaining > 0)
        .then(|| p.elapsed / p.records_done as f64 * remaining as f64);
    let eta_seconds = if remaining == 0 {
        Some(0.0)
    } else {
        eta_seconds
    };
    Ok(Some(ReportView {
        id: row.id,
        campaign_id: row.campaign_id,
        buyer_id: row.buyer_id,
        status: row.status,
        statistics: serde_json::from_value(row.statistics).map_err(ApiError::internal)?,
        contributions: row.contributions,
        epsilon: row.epsilon_micro as f64 / EPSILON_UNIT as f64,
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

/// A buyer's reports, newest first.
pub fn list_for_campaign(
    conn: &mut PgConnection,
    campaign_id: i64,
) -> Result<Vec<ReportView>, ApiError> {
    let ids: Vec<i64> = jobs::table
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
pub fn results(
    conn: &mut PgConnection,
    job_id: i64,
) -> Result<Option<serde_json::Value>, ApiError> {
    Ok(jobs::table
        .find(job_id)
        .select(jobs::result)
        .first::<Option<serde_json::Value>>(conn)
        .optional()?
        .flatten())
}

/// Ends a job without results, refunding its price, in the caller's transaction.
pub fn end_without_results(
    conn: &mut PgConnection,
    job_id: i64,
    final_status: JobState,
    code: &str,
    message: &str,
) -> Result<(), ApiError> {
    let (buyer, price, payment, refunded): (i64, i64, Option<i64>, Option<i64>) = jobs::table
        .find(job_id)
        .select((
            jobs::buyer_id,
            jobs::price,
            jobs::payment_transfer_id,
            jobs::refund_transfer_id,
        ))
        .for_update()
        .first(conn)?;
    let refund = if payment.is_some() && refunded.is_none() && price > 0 {
        let wallet = ledger::wallet_of(conn, buyer)?;
        let platform = ledger::platform_account(conn)?;
        Some(
            ledger::transfer(
                conn,
                platform,
                wallet,
                TokenAmount::parse(price)?,
                "report_refund",
                &format!("job {job_id}: {code}"),
            )?
            .id,
        )
    } else {
        refunded
    };
    diesel::update(jobs::table.find(job_id))
        .set((
            jobs::status.eq(final_status),
            jobs::error_code.eq(code),
            jobs::error_message.eq(message),
            jobs::refund_transfer_id.eq(refund),
            jobs::lease_owner.eq(None::<String>),
            jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
            jobs::finished_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a worker needs to compute a job's shards or reduce it.
pub struct JobSpec {
    /// The campaign.
    pub campaign_id: i64,
    /// The plan.
    pub plan: StatsPlan,
    /// The snapshot's size.
    pub contributions: i64,
}

/// Loads a job's plan.
pub fn job_spec(conn: &mut PgConnection, job_id: i64) -> Result<JobSpec, ApiError> {
    let (campaign_id, statistics, max_records, contributions): (i64, serde_json::Value, i64, i64) =
        jobs::table
            .find(job_id)
            .select((
                jobs::campaign_id,
                jobs::statistics,
                jobs::max_records,
                jobs::contributions,
            ))
            .first(conn)?;
    let statistics: Vec<Statistic> =
        serde_json::from_value(statistics).map_err(ApiError::internal)?;
    let (_, plan) = campaign_plan(conn, campaign_id, &statistics, max_records as u64)?;
    Ok(JobSpec {
        campaign_id,
        plan,
        contributions,
    })
}
