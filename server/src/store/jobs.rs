//! Statistics jobs and their shards as leases: workers lease a shard (or a
//! job's reduce, or the release loop a job's release) with
//! `FOR UPDATE SKIP LOCKED` and an expiry, extend it while they work, and
//! write their result only while they still hold it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{JobId, ShardId};
use crate::schema::{job_shards, jobs};

/// A job's state.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Shards are being computed.
    Computing,
    /// A worker merges the shards' partials.
    Reducing,
    /// The aggregate is ready for the keyholders.
    Aggregated,
    /// The release loop is asking the keyholders.
    Releasing,
    /// Results are available.
    Released,
    /// The keyholders refused (price refunded).
    Refused,
    /// The computation failed (price refunded).
    Failed,
}

super::text_enum!(JobState {
    Computing => "computing",
    Reducing => "reducing",
    Aggregated => "aggregated",
    Releasing => "releasing",
    Released => "released",
    Refused => "refused",
    Failed => "failed",
});

/// A shard's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ShardState {
    /// Waiting for a worker.
    Pending,
    /// A worker holds it (until its lease expires).
    Leased,
    /// Its partial is stored.
    Done,
}

super::text_enum!(ShardState {
    Pending => "pending",
    Leased => "leased",
    Done => "done",
});

/// A leased shard.
#[derive(Debug, Clone, QueryableByName)]
pub struct ShardLease {
    /// Shard row id.
    #[diesel(sql_type = BigInt)]
    pub id: ShardId,
    /// The job.
    #[diesel(sql_type = BigInt)]
    pub job_id: JobId,
    /// First contribution id of the range (inclusive).
    #[diesel(sql_type = BigInt)]
    pub first_contribution_id: i64,
    /// Last contribution id of the range (inclusive).
    #[diesel(sql_type = BigInt)]
    pub last_contribution_id: i64,
    /// Contributions in the range.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub records: i32,
    /// Attempts so far, this one included.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// Leases the next shard nobody holds (pending, or whose lease expired).
pub fn lease_shard(
    conn: &mut PgConnection,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<Option<ShardLease>> {
    diesel::sql_query(
        "UPDATE job_shards SET status = $3, lease_owner = $1, \
           lease_expires_at = now() + make_interval(secs => $2), attempts = attempts + 1, leased_at = now() \
         WHERE id = (SELECT s.id FROM job_shards s JOIN jobs j ON j.id = s.job_id \
                     WHERE j.status = $4 AND (s.status = $5 \
                       OR (s.status = $3 AND s.lease_expires_at < now())) \
                     ORDER BY s.job_id, s.shard_index LIMIT 1 FOR UPDATE OF s SKIP LOCKED) \
         RETURNING id, job_id, first_contribution_id, last_contribution_id, records, attempts",
    )
    .bind::<Text, _>(owner)
    .bind::<Double, _>(lease_secs)
    .bind::<Text, _>(ShardState::Leased)
    .bind::<Text, _>(JobState::Computing)
    .bind::<Text, _>(ShardState::Pending)
    .get_result(conn)
    .optional()
}

/// Extends the lease of row `id` of `table` (in state `leased_status`) that
/// `owner` still holds. False: the lease was lost.
fn extend_lease(
    conn: &mut PgConnection,
    table: &str,
    leased_status: &str,
    id: i64,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<bool> {
    let n = diesel::sql_query(format!(
        "UPDATE {table} SET lease_expires_at = now() + make_interval(secs => $3) \
         WHERE id = $1 AND lease_owner = $2 AND status = $4"
    ))
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(owner)
    .bind::<Double, _>(lease_secs)
    .bind::<Text, _>(leased_status)
    .execute(conn)?;
    Ok(n == 1)
}

/// Extends a shard lease the caller still holds. False: the lease was lost.
pub fn extend_shard_lease(
    conn: &mut PgConnection,
    shard_id: ShardId,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<bool> {
    extend_lease(
        conn,
        "job_shards",
        ShardState::Leased.as_str(),
        shard_id.get(),
        owner,
        lease_secs,
    )
}

/// Stores a shard's partial if the caller still holds its lease (else
/// nothing is written and false is answered: another worker owns the shard).
pub fn complete_shard(
    conn: &mut PgConnection,
    shard_id: ShardId,
    owner: &str,
    partial: &[u8],
    secs: f64,
) -> QueryResult<bool> {
    let n = diesel::update(
        job_shards::table
            .filter(job_shards::id.eq(shard_id))
            .filter(job_shards::lease_owner.eq(owner))
            .filter(job_shards::status.eq(ShardState::Leased)),
    )
    .set((
        job_shards::status.eq(ShardState::Done),
        job_shards::partial.eq(partial),
        job_shards::computed_by.eq(owner),
        job_shards::compute_secs.eq(secs),
        job_shards::done_at.eq(Utc::now()),
        job_shards::lease_owner.eq(None::<String>),
        job_shards::lease_expires_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(QueryableByName)]
struct LeasedJob {
    #[diesel(sql_type = BigInt)]
    id: JobId,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    reduce_attempts: i32,
}

/// Leases a job step: the reduce of a job whose shards are all done (or whose
/// reducer's lease expired), or the release of an aggregated job (or whose
/// releaser's lease expired). `from` is `computing` (reduce) or `aggregated`
/// (release); `to` the step's state.
fn lease_job_step(
    conn: &mut PgConnection,
    from: JobState,
    to: JobState,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<Option<LeasedJob>> {
    let (ready, count) = if from == JobState::Computing {
        (
            " AND NOT EXISTS (SELECT 1 FROM job_shards s WHERE s.job_id = j.id AND s.status <> $5)",
            ", reduce_attempts = reduce_attempts + 1",
        )
    } else {
        ("", "")
    };
    let sql = format!(
        "UPDATE jobs SET status = $2, lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4){count} \
         WHERE id = (SELECT j.id FROM jobs j WHERE (j.status = $1{ready}) \
                       OR (j.status = $2 AND j.lease_expires_at < now()) \
                     ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, reduce_attempts"
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .bind::<Text, _>(owner)
        .bind::<Double, _>(lease_secs);
    if from == JobState::Computing {
        q = q.bind::<Text, _>(ShardState::Done);
    }
    q.get_result::<LeasedJob>(conn).optional()
}

/// Leases the reduce step of a job whose shards are all computed; answers
/// the job and how many times its reduce was leased, this time included.
pub fn lease_reduce(
    conn: &mut PgConnection,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<Option<(JobId, i32)>> {
    Ok(lease_job_step(
        conn,
        JobState::Computing,
        JobState::Reducing,
        owner,
        lease_secs,
    )?
    .map(|j| (j.id, j.reduce_attempts)))
}

/// Extends the reduce lease the caller still holds. False: it was lost.
pub fn extend_reduce_lease(
    conn: &mut PgConnection,
    job_id: JobId,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<bool> {
    extend_lease(
        conn,
        "jobs",
        JobState::Reducing.as_str(),
        job_id.get(),
        owner,
        lease_secs,
    )
}

/// Leases the release of an aggregated job.
pub fn lease_release(
    conn: &mut PgConnection,
    owner: &str,
    lease_secs: f64,
) -> QueryResult<Option<JobId>> {
    Ok(lease_job_step(
        conn,
        JobState::Aggregated,
        JobState::Releasing,
        owner,
        lease_secs,
    )?
    .map(|j| j.id))
}

/// Stores the job's aggregate if the caller still holds the reduce lease.
pub fn complete_reduce(
    conn: &mut PgConnection,
    job_id: JobId,
    owner: &str,
    aggregate: &[u8],
) -> QueryResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::lease_owner.eq(owner))
            .filter(jobs::status.eq(JobState::Reducing)),
    )
    .set((
        jobs::status.eq(JobState::Aggregated),
        jobs::aggregate.eq(aggregate),
        jobs::aggregated_at.eq(Utc::now()),
        jobs::lease_owner.eq(None::<String>),
        jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Job `job_id`'s shard ids, in shard order.
pub fn shard_ids(conn: &mut PgConnection, job_id: JobId) -> QueryResult<Vec<ShardId>> {
    job_shards::table
        .filter(job_shards::job_id.eq(job_id))
        .order(job_shards::shard_index.asc())
        .select(job_shards::id)
        .load(conn)
}

/// Shard `id`'s stored partial (absent until computed).
pub fn shard_partial(conn: &mut PgConnection, id: ShardId) -> QueryResult<Option<Vec<u8>>> {
    job_shards::table
        .find(id)
        .select(job_shards::partial)
        .first(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_stored_names() {
        use JobState::*;
        for s in [
            Computing, Reducing, Aggregated, Releasing, Released, Refused, Failed,
        ] {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
            // The API answers the stored name.
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in [ShardState::Pending, ShardState::Leased, ShardState::Done] {
            assert_eq!(ShardState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("done"), None);
        assert_eq!(ShardState::parse("computing"), None);
    }
}
