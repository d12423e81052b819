//! Campaign rows, their escrow balance as the API shows it, their key
//! material (`campaign_keys`) and the counter of accepted contributions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::schema::RawSchema;
use protocol::{CampaignSchema, Statistic};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{CampaignId, UserId};
use crate::schema::{accounts, campaign_keys, campaigns};

/// Campaign states.
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
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created, not yet funded or submitted.
    Draft,
    /// Funded and waiting for an admin.
    PendingReview,
    /// Approved by an admin; the buyer may open it.
    Approved,
    /// Refused by an admin; escrow refunded.
    Rejected,
    /// Accepting contributions.
    Open,
    /// Finished; remaining escrow refunded.
    Closed,
    /// Stopped by an admin (no contributions accepted) until resumed.
    Suspended,
}

super::text_enum!(Status {
    Draft => "draft",
    PendingReview => "pending_review",
    Approved => "approved",
    Rejected => "rejected",
    Open => "open",
    Closed => "closed",
    Suspended => "suspended",
});

/// A campaign as answered by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    /// Campaign id.
    pub id: CampaignId,
    /// The buyer who created it.
    pub buyer_id: UserId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The record schema.
    pub schema: RawSchema,
    /// Schema version the contributions bind to.
    pub schema_version: i32,
    /// Requested statistics.
    pub statistics: Vec<Statistic>,
    /// Tokens per accepted contribution.
    pub reward: i64,
    /// Tokens funded into escrow.
    pub budget: i64,
    /// Release threshold.
    pub min_contributors: i32,
    /// Privacy budget ε.
    pub epsilon: f64,
    /// δ of the (ε, δ) promise; 0 for pure ε-differential privacy.
    pub delta: f64,
    /// Lifecycle state.
    pub status: Status,
    /// The admin's reason when rejected (or a note when approved).
    pub review_reason: Option<String>,
    /// Tokens currently in escrow (0 before funding).
    pub escrow_balance: i64,
    /// Encrypted values per record.
    pub encrypted_values: usize,
    /// Accepted contributions so far (reports need `min_contributors`).
    pub contributions: i64,
    /// Which contributors it admits: `open` or `verified`.
    pub eligibility: protocol::attestation::Tier,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A campaign row.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    /// Campaign id.
    pub id: CampaignId,
    /// The buyer.
    pub buyer_id: UserId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The record schema as stored (`RawSchema` JSON).
    pub schema: serde_json::Value,
    /// Schema version.
    pub schema_version: i32,
    /// Requested statistics as stored (JSON).
    pub statistics: serde_json::Value,
    /// Tokens per contribution.
    pub reward: i64,
    /// Tokens funded.
    pub budget: i64,
    /// Release threshold.
    pub min_contributors: i32,
    /// Privacy budget ε.
    pub epsilon: f64,
    /// Lifecycle state.
    pub status: Status,
    /// The admin's reason or note.
    pub review_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Accepted contributions.
    pub accepted: i64,
    /// `open` or `verified`.
    pub eligibility: String,
    /// δ of the (ε, δ) promise.
    pub delta: f64,
}

/// A stored value that does not parse, as diesel reports unreadable rows.
fn corrupt(what: &str, e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what}: {e}").into())
}

impl CampaignRow {
    /// The row as the API shows it, with its escrow's balance.
    pub fn view(self, escrow_balance: i64) -> QueryResult<CampaignView> {
        let raw: RawSchema =
            serde_json::from_value(self.schema).map_err(|e| corrupt("schema", e))?;
        let encrypted_values = CampaignSchema::parse(raw.clone())
            .map_err(|e| corrupt("schema", e))?
            .encrypted_values();
        let statistics =
            serde_json::from_value(self.statistics).map_err(|e| corrupt("statistics", e))?;
        Ok(CampaignView {
            id: self.id,
            buyer_id: self.buyer_id,
            title: self.title,
            description: self.description,
            schema: raw,
            schema_version: self.schema_version,
            statistics,
            reward: self.reward,
            budget: self.budget,
            min_contributors: self.min_contributors,
            epsilon: self.epsilon,
            delta: self.delta,
            status: self.status,
            review_reason: self.review_reason,
            escrow_balance,
            encrypted_values,
            contributions: self.accepted,
            eligibility: protocol::attestation::Tier::parse(&self.eligibility)
                .ok_or_else(|| corrupt("eligibility", &self.eligibility))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A campaign's escrow account, joined to its row (absent before submit).
type EscrowJoin = diesel::dsl::On<
    accounts::table,
    diesel::dsl::And<
        diesel::dsl::Eq<accounts::campaign_id, diesel::dsl::Nullable<campaigns::id>>,
        diesel::dsl::Eq<accounts::kind, &'static str>,
    >,
>;

fn escrow_join() -> EscrowJoin {
    accounts::table.on(accounts::campaign_id
        .eq(campaigns::id.nullable())
        .and(accounts::kind.eq("escrow")))
}

/// A new draft campaign's columns.
#[derive(Debug, Insertable)]
#[diesel(table_name = campaigns)]
pub struct NewCampaignRow<'a> {
    /// The buyer.
    pub buyer_id: UserId,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// `RawSchema` JSON.
    pub schema: serde_json::Value,
    /// Statistics JSON.
    pub statistics: serde_json::Value,
    /// Tokens per contribution.
    pub reward: i64,
    /// Tokens to fund.
    pub budget: i64,
    /// Release threshold.
    pub min_contributors: i32,
    /// Privacy budget ε.
    pub epsilon: f64,
    /// δ of the (ε, δ) promise.
    pub delta: f64,
    /// Initial state.
    pub status: Status,
    /// `open` or `verified`.
    pub eligibility: &'a str,
}

/// Inserts a campaign and answers it as the API shows it (no escrow yet).
pub fn insert(conn: &mut PgConnection, c: &NewCampaignRow<'_>) -> QueryResult<CampaignView> {
    let row: CampaignRow = diesel::insert_into(campaigns::table)
        .values(c)
        .returning(CampaignRow::as_returning())
        .get_result(conn)?;
    row.view(0)
}

/// Reads one campaign.
pub fn get(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<CampaignView>> {
    let row: Option<(CampaignRow, Option<i64>)> = campaigns::table
        .left_join(escrow_join())
        .filter(campaigns::id.eq(id))
        .select((CampaignRow::as_select(), accounts::balance.nullable()))
        .first(conn)
        .optional()?;
    row.map(|(r, escrow)| r.view(escrow.unwrap_or(0)))
        .transpose()
}

/// Which campaigns a listing shows.
pub enum ListFilter {
    /// Everything (admins), optionally one state.
    All(Option<Status>),
    /// One buyer's campaigns, optionally one state.
    Buyer(UserId, Option<Status>),
    /// Campaigns open for contributions.
    Open,
}

/// Lists campaigns, newest first, in one query (rows, escrow balances and counts).
pub fn list(
    conn: &mut PgConnection,
    filter: ListFilter,
    limit: i64,
) -> QueryResult<Vec<CampaignView>> {
    let mut q = campaigns::table
        .left_join(escrow_join())
        .select((CampaignRow::as_select(), accounts::balance.nullable()))
        .order(campaigns::id.desc())
        .limit(limit)
        .into_boxed();
    match filter {
        ListFilter::All(status) => {
            if let Some(s) = status {
                q = q.filter(campaigns::status.eq(s));
            }
        }
        ListFilter::Buyer(buyer, status) => {
            q = q.filter(campaigns::buyer_id.eq(buyer));
            if let Some(s) = status {
                q = q.filter(campaigns::status.eq(s));
            }
        }
        ListFilter::Open => q = q.filter(campaigns::status.eq(Status::Open)),
    }
    let rows: Vec<(CampaignRow, Option<i64>)> = q.load(conn)?;
    rows.into_iter()
        .map(|(r, escrow)| r.view(escrow.unwrap_or(0)))
        .collect()
}

/// Locks a campaign row for a state change (`None`: no such campaign).
pub fn lock(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<CampaignRow>> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The state campaign `id` is in (`None`: no such campaign).
pub fn status(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<Status>> {
    campaigns::table
        .find(id)
        .select(campaigns::status)
        .first(conn)
        .optional()
}

/// Sets a campaign's state (and, when given, the reviewer and their reason).
pub fn set_status(
    conn: &mut PgConnection,
    id: CampaignId,
    status: Status,
    reason: Option<&str>,
    reviewer: Option<UserId>,
) -> QueryResult<()> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::status.eq(status),
            campaigns::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    if reason.is_some() || reviewer.is_some() {
        diesel::update(campaigns::table.find(id))
            .set((
                campaigns::review_reason.eq(reason),
                campaigns::reviewed_by.eq(reviewer),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The state a suspended campaign was suspended from.
pub fn suspended_from(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<Status>> {
    let from: Option<String> = campaigns::table
        .find(id)
        .select(campaigns::suspended_from)
        .first(conn)?;
    Ok(from.as_deref().and_then(Status::parse))
}

/// Records (or, with `None`, clears) the state a campaign was suspended from.
pub fn set_suspended_from(
    conn: &mut PgConnection,
    id: CampaignId,
    from: Option<Status>,
) -> QueryResult<()> {
    diesel::update(campaigns::table.find(id))
        .set(campaigns::suspended_from.eq(from.map(Status::as_str)))
        .execute(conn)?;
    Ok(())
}

/// Campaign `id`'s stored schema (`RawSchema` JSON).
pub fn schema(conn: &mut PgConnection, id: CampaignId) -> QueryResult<serde_json::Value> {
    campaigns::table
        .find(id)
        .select(campaigns::schema)
        .first(conn)
}

/// What accepting a contribution reads of its campaign.
#[derive(Debug, Queryable)]
pub struct Terms {
    /// Lifecycle state.
    pub status: Status,
    /// Tokens per contribution.
    pub reward: i64,
    /// Tokens funded.
    pub budget: i64,
    /// Schema version (bound into the zk-pok metadata).
    pub schema_version: i32,
    /// `RawSchema` JSON.
    pub schema: serde_json::Value,
    /// `open` or `verified`.
    pub eligibility: String,
}

/// Campaign `id`'s terms for accepting a contribution.
pub fn terms(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<Terms>> {
    campaigns::table
        .find(id)
        .select((
            campaigns::status,
            campaigns::reward,
            campaigns::budget,
            campaigns::schema_version,
            campaigns::schema,
            campaigns::eligibility,
        ))
        .first(conn)
        .optional()
}

/// Locks campaign `id`'s row for an acceptance (the lock orders concurrent
/// acceptances and state changes) and answers its state and count.
pub fn lock_acceptance(conn: &mut PgConnection, id: CampaignId) -> QueryResult<(Status, i64)> {
    campaigns::table
        .find(id)
        .select((campaigns::status, campaigns::accepted))
        .for_update()
        .first(conn)
}

/// Sets campaign `id`'s count of accepted contributions.
pub fn set_accepted(conn: &mut PgConnection, id: CampaignId, accepted: i64) -> QueryResult<()> {
    diesel::update(campaigns::table.find(id))
        .set(campaigns::accepted.eq(accepted))
        .execute(conn)?;
    Ok(())
}

/// Campaign `id`'s compact public key and CRS (`None` before approval).
pub fn keys(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<(Vec<u8>, Vec<u8>)>> {
    campaign_keys::table
        .find(id)
        .select((campaign_keys::public_key, campaign_keys::crs))
        .first(conn)
        .optional()
}

/// Stores the key material the keyholders made for campaign `id` (once: a
/// retried approval that got the same keys again writes nothing).
pub fn insert_keys(
    conn: &mut PgConnection,
    id: CampaignId,
    m: &keyholder_api::CampaignMaterial,
) -> QueryResult<()> {
    let encode = |e: serde_json::Error| diesel::result::Error::SerializationError(Box::new(e));
    diesel::insert_into(campaign_keys::table)
        .values((
            campaign_keys::campaign_id.eq(id),
            campaign_keys::public_key.eq(&m.public_key),
            campaign_keys::crs.eq(&m.crs),
            campaign_keys::server_key.eq(&m.server_key),
            campaign_keys::key_fingerprint.eq(m.key_fingerprint.to_vec()),
            campaign_keys::signed_terms.eq(Some(serde_json::to_value(&m.terms).map_err(encode)?)),
            campaign_keys::signatures.eq(serde_json::to_value(&m.signatures).map_err(encode)?),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

/// What a campaign's material shows of its row.
#[derive(Debug, Queryable)]
pub struct MaterialRow {
    /// Title.
    pub title: String,
    /// `RawSchema` JSON.
    pub schema: serde_json::Value,
    /// Schema version.
    pub schema_version: i32,
    /// Tokens per contribution.
    pub reward: i64,
    /// `open` or `verified`.
    pub eligibility: String,
}

/// Campaign `id`'s row as its material shows it.
pub fn material_row(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<MaterialRow>> {
    campaigns::table
        .find(id)
        .select((
            campaigns::title,
            campaigns::schema,
            campaigns::schema_version,
            campaigns::reward,
            campaigns::eligibility,
        ))
        .first(conn)
        .optional()
}

/// A campaign's keys as the keyholders signed them.
#[derive(Debug, Queryable)]
pub struct SignedKeys {
    /// Serialized compact public key.
    pub public_key: Vec<u8>,
    /// Serialized CRS.
    pub crs: Vec<u8>,
    /// SHA-256 of the public key.
    pub key_fingerprint: Vec<u8>,
    /// The signed release terms (JSON).
    pub signed_terms: Option<serde_json::Value>,
    /// The keyholders' signatures (JSON).
    pub signatures: serde_json::Value,
}

/// Campaign `id`'s signed keys (`None` before approval).
pub fn signed_keys(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Option<SignedKeys>> {
    campaign_keys::table
        .find(id)
        .select((
            campaign_keys::public_key,
            campaign_keys::crs,
            campaign_keys::key_fingerprint,
            campaign_keys::signed_terms,
            campaign_keys::signatures,
        ))
        .first(conn)
        .optional()
}

/// Campaign `id`'s compressed server key (what workers compute with).
pub fn server_key(conn: &mut PgConnection, id: CampaignId) -> QueryResult<Vec<u8>> {
    campaign_keys::table
        .find(id)
        .select(campaign_keys::server_key)
        .first(conn)
}
