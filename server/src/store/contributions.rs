//! Accepted contributions (ciphertext, digest, nullifier, registry root,
//! attestation proof, note key) and the per-hour counts of refused ones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::CampaignId;
use crate::schema::contributions;

/// The unique index on a campaign's ciphertext digests (the other unique
/// index, on a campaign's nullifiers, is the only other one an insert can
/// lose on).
pub const DIGEST_UNIQUE: &str = "contributions_campaign_digest";

/// Whether campaign `campaign_id` holds a contribution with `nullifier`.
pub fn nullifier_used(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    nullifier: &[u8],
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contributions::table
            .filter(contributions::campaign_id.eq(campaign_id))
            .filter(contributions::nullifier.eq(nullifier)),
    ))
    .get_result(conn)
}

/// Whether campaign `campaign_id` holds a contribution whose ciphertext
/// has SHA-256 `digest`.
pub fn digest_taken(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    digest: &[u8],
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        contributions::table
            .filter(contributions::campaign_id.eq(campaign_id))
            .filter(contributions::digest.eq(digest)),
    ))
    .get_result(conn)
}

/// The ids of campaign `campaign_id`'s contributions, oldest first.
pub fn ids(conn: &mut PgConnection, campaign_id: CampaignId) -> QueryResult<Vec<i64>> {
    contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .order(contributions::id.asc())
        .select(contributions::id)
        .load(conn)
}

/// How many contributions campaign `campaign_id` has accepted.
pub fn count(conn: &mut PgConnection, campaign_id: CampaignId) -> QueryResult<i64> {
    contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .count()
        .get_result(conn)
}

/// A contribution to store.
#[derive(Debug, Insertable)]
#[diesel(table_name = contributions)]
pub struct NewContribution<'a> {
    /// The campaign.
    pub campaign_id: CampaignId,
    /// The ciphertext list as the client sent it.
    pub ciphertext: &'a [u8],
    /// SHA-256 of `ciphertext`.
    pub digest: &'a [u8],
    /// The attestation's per-campaign nullifier.
    pub nullifier: &'a [u8],
    /// The registry root the attestation was proven under.
    pub registry_root: &'a [u8],
    /// The reward note's key the attestation binds (no account is named).
    pub note_key: &'a [u8],
    /// The note's leaf in the notes tree.
    pub note_index: i64,
    /// The reward's transfer (escrow to the unclaimed-rewards account).
    pub transfer_id: i64,
    /// The Groth16 proof (kept for the keyholders' re-verification).
    pub attestation_proof: &'a [u8],
}

/// Stores `c` and answers its id. Loses on [`DIGEST_UNIQUE`] or on the
/// nullifier index when a concurrent duplicate won.
pub fn insert(conn: &mut PgConnection, c: &NewContribution<'_>) -> QueryResult<i64> {
    diesel::insert_into(contributions::table)
        .values(c)
        .returning(contributions::id)
        .get_result(conn)
}

/// Counts a refused submission of an existing campaign, by reason and hour
/// (quality signals; nothing of the submission is kept). One upsert: the
/// table holds a row per campaign, reason and hour, however many refusals;
/// an unknown campaign adds nothing.
pub fn record_rejection(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    reason: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO rejection_counts (campaign_id, reason, hour, count) \
         SELECT id, $2, date_trunc('hour', now()), 1 FROM campaigns WHERE id = $1 \
         ON CONFLICT (campaign_id, reason, hour) \
         DO UPDATE SET count = rejection_counts.count + 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(campaign_id)
    .bind::<diesel::sql_types::Text, _>(reason)
    .execute(conn)
}

/// A contribution as a release's manifest lists it.
#[derive(Debug, Queryable)]
pub struct ManifestRow {
    /// SHA-256 of the ciphertext.
    pub digest: Vec<u8>,
    /// The ciphertext list.
    pub ciphertext: Vec<u8>,
    /// The attestation's nullifier.
    pub nullifier: Vec<u8>,
    /// The registry root it was proven under.
    pub registry_root: Vec<u8>,
    /// The Groth16 proof (absent for contributions accepted before proofs were kept).
    pub attestation_proof: Option<Vec<u8>>,
    /// The reward note's key the attestation binds (absent for
    /// contributions paid to a wallet before reward notes).
    pub note_key: Option<Vec<u8>>,
}

/// Campaign `campaign_id`'s contributions with ids in `first..=last`, in id order.
pub fn manifest_range(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    first: i64,
    last: i64,
) -> QueryResult<Vec<ManifestRow>> {
    contributions::table
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
            contributions::note_key,
        ))
        .load(conn)
}

/// Up to `limit` of campaign `campaign_id`'s contributions with ids in
/// `ids`, in id order, as (id, ciphertext).
pub fn ciphertexts(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
    ids: std::ops::RangeInclusive<i64>,
    limit: i64,
) -> QueryResult<Vec<(i64, Vec<u8>)>> {
    contributions::table
        .filter(contributions::campaign_id.eq(campaign_id))
        .filter(contributions::id.ge(*ids.start()))
        .filter(contributions::id.le(*ids.end()))
        .order(contributions::id.asc())
        .limit(limit)
        .select((contributions::id, contributions::ciphertext))
        .load(conn)
}

/// Refusals of one reason.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct ReasonCount {
    /// The refusal code (`zk_proof_invalid`, `nullifier_used`, ...).
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Submissions in one hour.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct HourCount {
    /// Start of the hour.
    #[diesel(sql_type = Timestamptz)]
    pub hour: DateTime<Utc>,
    /// Accepted contributions.
    #[diesel(sql_type = BigInt)]
    pub accepted: i64,
    /// Refused submissions.
    #[diesel(sql_type = BigInt)]
    pub rejected: i64,
}

/// Campaign `campaign_id`'s refused submissions by reason, most frequent first.
pub fn rejections_by_reason(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
) -> QueryResult<Vec<ReasonCount>> {
    diesel::sql_query(
        "SELECT reason, sum(count)::BIGINT AS count FROM rejection_counts \
         WHERE campaign_id = $1 GROUP BY reason ORDER BY sum(count) DESC, reason",
    )
    .bind::<BigInt, _>(campaign_id)
    .load(conn)
}

/// Campaign `campaign_id`'s accepted and refused submissions per hour over
/// the last 7 days, oldest first.
pub fn per_hour(conn: &mut PgConnection, campaign_id: CampaignId) -> QueryResult<Vec<HourCount>> {
    diesel::sql_query(
        "SELECT hour, sum(a)::BIGINT AS accepted, sum(r)::BIGINT AS rejected FROM ( \
           SELECT date_trunc('hour', created_at) AS hour, 1 AS a, 0 AS r FROM contributions \
             WHERE campaign_id = $1 AND created_at > now() - interval '7 days' \
           UNION ALL \
           SELECT hour, 0, count FROM rejection_counts \
             WHERE campaign_id = $1 AND hour > now() - interval '7 days') t \
         GROUP BY hour ORDER BY hour",
    )
    .bind::<BigInt, _>(campaign_id)
    .load(conn)
}
