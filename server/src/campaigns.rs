//! Campaign storage and lifecycle:
//! draft → pending_review (escrow funded) → approved | rejected (escrow
//! refunded) → open → closed (remaining escrow refunded).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::schema::RawSchema;
use protocol::{CampaignSchema, Statistic, TokenAmount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::schema::{accounts, campaigns};
use crate::store::ledger;

/// Campaign states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::PendingReview => "pending_review",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Suspended => "suspended",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "pending_review" => Self::PendingReview,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            "open" => Self::Open,
            "closed" => Self::Closed,
            "suspended" => Self::Suspended,
            _ => return None,
        })
    }
}

/// Smallest allowed `min_contributors` (the keyholders enforce it too).
pub const MIN_CONTRIBUTORS: i32 = protocol::terms::MIN_CONTRIBUTORS as i32;
/// Largest allowed privacy budget ε (the keyholders enforce it too).
pub const MAX_EPSILON: f64 = protocol::terms::MAX_EPSILON;

/// Most contributions a campaign accepts: its budget pays this many rewards.
/// Every statistics plan of the campaign is sized for this bound, and the
/// server refuses contributions past it (the escrow could not pay them either).
pub fn max_contributions(budget: i64, reward: i64) -> u64 {
    let n = if reward > 0 { budget / reward } else { 0 };
    (n.max(1) as u64).min(fhe_compute::stats::MAX_PLAN_RECORDS)
}

/// A campaign as requested by a buyer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Short title (1-200 characters).
    pub title: String,
    /// What is asked of contributors and why (at most 10,000 characters).
    #[serde(default)]
    pub description: String,
    /// The record schema.
    pub schema: RawSchema,
    /// Statistics the buyer wants computed.
    pub statistics: Vec<Statistic>,
    /// Tokens paid per accepted contribution.
    pub reward: i64,
    /// Tokens moved into escrow when the campaign is submitted (≥ reward).
    pub budget: i64,
    /// Fewest distinct contributions before any statistic is released (≥ 10).
    pub min_contributors: i32,
    /// Total differential-privacy budget ε (0 < ε ≤ 10).
    pub epsilon: f64,
}

/// A validated campaign request.
pub struct ValidCampaign {
    title: String,
    description: String,
    schema: CampaignSchema,
    statistics: Vec<Statistic>,
    reward: TokenAmount,
    budget: TokenAmount,
    min_contributors: i32,
    epsilon: f64,
}

impl NewCampaign {
    /// Checks every field, returning the first problem.
    pub fn validate(self) -> Result<ValidCampaign, ApiError> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(ApiError::unprocessable(
                "invalid_title",
                "title must be 1-200 characters",
            ));
        }
        if self.description.chars().count() > 10_000 {
            return Err(ApiError::unprocessable(
                "invalid_description",
                "description must be at most 10,000 characters",
            ));
        }
        let schema = CampaignSchema::parse(self.schema)?;
        let statistics = schema.check_statistics(&self.statistics)?;
        let reward = TokenAmount::parse(self.reward)
            .map_err(|e| ApiError::unprocessable("invalid_amount", format!("reward: {e}")))?;
        let budget = TokenAmount::parse(self.budget)
            .map_err(|e| ApiError::unprocessable("invalid_amount", format!("budget: {e}")))?;
        if budget < reward {
            return Err(ApiError::unprocessable(
                "invalid_amount",
                "budget must cover at least one reward",
            ));
        }
        if !(MIN_CONTRIBUTORS..=protocol::terms::MAX_MIN_CONTRIBUTORS as i32)
            .contains(&self.min_contributors)
        {
            return Err(ApiError::unprocessable(
                "invalid_min_contributors",
                format!("min_contributors must be between {MIN_CONTRIBUTORS} and 1,000,000"),
            ));
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon <= MAX_EPSILON) {
            return Err(ApiError::unprocessable(
                "invalid_epsilon",
                format!("epsilon must be a number with 0 < ε ≤ {MAX_EPSILON}"),
            ));
        }
        Ok(ValidCampaign {
            title,
            description: self.description,
            schema,
            statistics,
            reward,
            budget,
            min_contributors: self.min_contributors,
            epsilon: self.epsilon,
        })
    }
}

/// A campaign as answered by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    /// Campaign id.
    pub id: i64,
    /// The buyer who created it.
    pub buyer_id: i64,
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
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: i64,
    buyer_id: i64,
    title: String,
    description: String,
    schema: serde_json::Value,
    schema_version: i32,
    statistics: serde_json::Value,
    reward: i64,
    budget: i64,
    min_contributors: i32,
    epsilon: f64,
    status: String,
    review_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    accepted: i64,
}

impl CampaignRow {
    fn status(&self) -> Result<Status, ApiError> {
        Status::parse(&self.status)
            .ok_or_else(|| ApiError::internal(format!("bad status {}", self.status)))
    }

    fn view(self, escrow_balance: i64) -> Result<CampaignView, ApiError> {
        let contributions = self.accepted;
        let status = self.status()?;
        let raw: RawSchema = serde_json::from_value(self.schema)
            .map_err(|e| ApiError::internal(format!("stored schema: {e}")))?;
        let encrypted_values = CampaignSchema::parse(raw.clone())
            .map_err(|e| ApiError::internal(format!("stored schema: {e}")))?
            .encrypted_values();
        let statistics = serde_json::from_value(self.statistics)
            .map_err(|e| ApiError::internal(format!("stored statistics: {e}")))?;
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
            status,
            review_reason: self.review_reason,
            escrow_balance,
            encrypted_values,
            contributions,
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

/// Stores a new draft campaign of `buyer_id`.
pub fn create(
    conn: &mut PgConnection,
    buyer_id: i64,
    c: &ValidCampaign,
) -> Result<CampaignView, ApiError> {
    let schema = serde_json::to_value(c.schema.to_raw()).map_err(ApiError::internal)?;
    let statistics = serde_json::to_value(&c.statistics).map_err(ApiError::internal)?;
    let row: CampaignRow = diesel::insert_into(campaigns::table)
        .values((
            campaigns::buyer_id.eq(buyer_id),
            campaigns::title.eq(&c.title),
            campaigns::description.eq(&c.description),
            campaigns::schema.eq(schema),
            campaigns::statistics.eq(statistics),
            campaigns::reward.eq(c.reward.get()),
            campaigns::budget.eq(c.budget.get()),
            campaigns::min_contributors.eq(c.min_contributors),
            campaigns::epsilon.eq(c.epsilon),
            campaigns::status.eq(Status::Draft.as_str()),
        ))
        .returning(CampaignRow::as_returning())
        .get_result(conn)?;
    row.view(0)
}

/// Reads one campaign.
pub fn get(conn: &mut PgConnection, id: i64) -> Result<Option<CampaignView>, ApiError> {
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
    Buyer(i64, Option<Status>),
    /// Campaigns open for contributions.
    Open,
}

/// Lists campaigns, newest first.
pub fn list(
    conn: &mut PgConnection,
    filter: ListFilter,
    limit: i64,
) -> Result<Vec<CampaignView>, ApiError> {
    // One query for the page: rows, escrow balances and counts.
    let mut q = campaigns::table
        .left_join(escrow_join())
        .select((CampaignRow::as_select(), accounts::balance.nullable()))
        .order(campaigns::id.desc())
        .limit(limit)
        .into_boxed();
    match filter {
        ListFilter::All(status) => {
            if let Some(s) = status {
                q = q.filter(campaigns::status.eq(s.as_str()));
            }
        }
        ListFilter::Buyer(buyer, status) => {
            q = q.filter(campaigns::buyer_id.eq(buyer));
            if let Some(s) = status {
                q = q.filter(campaigns::status.eq(s.as_str()));
            }
        }
        ListFilter::Open => q = q.filter(campaigns::status.eq(Status::Open.as_str())),
    }
    let rows: Vec<(CampaignRow, Option<i64>)> = q.load(conn)?;
    rows.into_iter()
        .map(|(r, escrow)| r.view(escrow.unwrap_or(0)))
        .collect()
}

/// Locks a campaign row for a state change.
fn lock(conn: &mut PgConnection, id: i64) -> Result<CampaignRow, ApiError> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("campaign {id} does not exist")))
}

fn wrong_state(row: &CampaignRow, action: &str) -> ApiError {
    ApiError::conflict(
        "invalid_state",
        format!(
            "cannot {action} campaign {} in state {}",
            row.id, row.status
        ),
    )
}

fn set_status(
    conn: &mut PgConnection,
    id: i64,
    status: Status,
    reason: Option<&str>,
    reviewer: Option<i64>,
) -> Result<(), ApiError> {
    let target = campaigns::table.find(id);
    diesel::update(target)
        .set((
            campaigns::status.eq(status.as_str()),
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

/// The buyer submits a draft for review, funding its escrow from the
/// buyer's wallet. Returns the campaign and the funding transfer.
pub fn submit(
    conn: &mut PgConnection,
    buyer_id: i64,
    id: i64,
) -> Result<(CampaignView, ledger::Transfer), ApiError> {
    let row = lock(conn, id)?;
    if row.buyer_id != buyer_id {
        return Err(ApiError::not_found(format!("campaign {id} does not exist")));
    }
    if row.status()? != Status::Draft {
        return Err(wrong_state(&row, "submit"));
    }
    let wallet = ledger::wallet_of(conn, buyer_id)?;
    let escrow = ledger::escrow_of(conn, id)?;
    let budget = TokenAmount::parse(row.budget)?;
    let t = ledger::transfer(
        conn,
        wallet,
        escrow,
        budget,
        "campaign_funding",
        &format!("campaign {id}"),
    )?;
    set_status(conn, id, Status::PendingReview, None, None)?;
    let view = get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))?;
    Ok((view, t))
}

/// An admin approves a campaign pending review.
pub fn approve(
    conn: &mut PgConnection,
    admin_id: i64,
    id: i64,
    note: Option<&str>,
) -> Result<CampaignView, ApiError> {
    let row = lock(conn, id)?;
    if row.status()? != Status::PendingReview {
        return Err(wrong_state(&row, "approve"));
    }
    set_status(conn, id, Status::Approved, note, Some(admin_id))?;
    get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))
}

/// An admin rejects a campaign pending review; its escrow goes back to the buyer.
pub fn reject(
    conn: &mut PgConnection,
    admin_id: i64,
    id: i64,
    reason: &str,
) -> Result<(CampaignView, Option<ledger::Transfer>), ApiError> {
    let row = lock(conn, id)?;
    if row.status()? != Status::PendingReview {
        return Err(wrong_state(&row, "reject"));
    }
    let refund = refund_escrow(conn, &row)?;
    set_status(conn, id, Status::Rejected, Some(reason), Some(admin_id))?;
    let view = get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))?;
    Ok((view, refund))
}

fn refund_escrow(
    conn: &mut PgConnection,
    row: &CampaignRow,
) -> Result<Option<ledger::Transfer>, ApiError> {
    let escrow = ledger::escrow_of(conn, row.id)?;
    let wallet = ledger::wallet_of(conn, row.buyer_id)?;
    Ok(ledger::sweep(
        conn,
        escrow,
        wallet,
        "campaign_refund",
        &format!("campaign {}", row.id),
    )?)
}

/// The buyer opens an approved campaign for contributions.
pub fn open(conn: &mut PgConnection, buyer_id: i64, id: i64) -> Result<CampaignView, ApiError> {
    let row = lock(conn, id)?;
    if row.buyer_id != buyer_id {
        return Err(ApiError::not_found(format!("campaign {id} does not exist")));
    }
    if row.status()? != Status::Approved {
        return Err(wrong_state(&row, "open"));
    }
    set_status(conn, id, Status::Open, None, None)?;
    get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))
}

/// The buyer (or an admin, `is_admin`) closes an approved or open campaign;
/// the remaining escrow goes back to the buyer.
pub fn close(
    conn: &mut PgConnection,
    caller_id: i64,
    is_admin: bool,
    id: i64,
) -> Result<(CampaignView, Option<ledger::Transfer>), ApiError> {
    let row = lock(conn, id)?;
    if !is_admin && row.buyer_id != caller_id {
        return Err(ApiError::not_found(format!("campaign {id} does not exist")));
    }
    let closable = matches!(row.status()?, Status::Approved | Status::Open)
        || (is_admin && row.status()? == Status::Suspended);
    if !closable {
        return Err(wrong_state(&row, "close"));
    }
    let refund = refund_escrow(conn, &row)?;
    set_status(conn, id, Status::Closed, None, None)?;
    let view = get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))?;
    Ok((view, refund))
}

/// An admin suspends an open or approved campaign (`reason` kept in
/// `review_reason`), or resumes a suspended one to the state it was
/// suspended from (an approved campaign is not opened without its buyer).
pub fn set_suspended(
    conn: &mut PgConnection,
    admin_id: i64,
    id: i64,
    reason: Option<&str>,
) -> Result<CampaignView, ApiError> {
    let row = lock(conn, id)?;
    let current = row.status()?;
    let (allowed, to, action) = match reason {
        Some(_) => (
            matches!(current, Status::Open | Status::Approved),
            Status::Suspended,
            "suspend",
        ),
        None => {
            let from: Option<String> = campaigns::table
                .find(id)
                .select(campaigns::suspended_from)
                .first(conn)?;
            let back = match from.as_deref().and_then(Status::parse) {
                Some(Status::Approved) => Status::Approved,
                _ => Status::Open,
            };
            (current == Status::Suspended, back, "resume")
        }
    };
    if !allowed {
        return Err(wrong_state(&row, action));
    }
    set_status(conn, id, to, reason, Some(admin_id))?;
    diesel::update(campaigns::table.find(id))
        .set(campaigns::suspended_from.eq(reason.map(|_| current.as_str())))
        .execute(conn)?;
    get(conn, id)?.ok_or_else(|| ApiError::internal("campaign vanished"))
}
