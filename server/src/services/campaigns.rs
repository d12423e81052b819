//! The campaign lifecycle and its rules:
//! draft → pending_review (escrow funded) → approved (keys made by the
//! keyholders) | rejected (escrow refunded) → open → closed (remaining
//! escrow refunded); an admin may suspend an approved or open campaign and
//! resume it to the state it was suspended from.

use protocol::{CampaignSchema, Statistic, TokenAmount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{CampaignId, UserId};
use crate::store::audit;
use crate::store::campaigns::{self as store, CampaignRow, CampaignView, NewCampaignRow, Status};
use crate::store::ledger::{self, LedgerError, Transfer, TransferKind};
use crate::store::tx::{self, PgPool, Retryable, Unavailable};
use protocol::schema::RawSchema;

/// Smallest allowed `min_contributors` (the keyholders enforce it too).
pub const MIN_CONTRIBUTORS: i32 = protocol::terms::MIN_CONTRIBUTORS as i32;
/// Largest allowed privacy budget ε (the keyholders enforce it too).
pub const MAX_EPSILON: f64 = protocol::terms::MAX_EPSILON;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Longest approval note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Why a campaign was not created or its state not changed.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// Title empty or too long.
    #[error("title must be 1-{MAX_TITLE_CHARS} characters")]
    InvalidTitle,
    /// Description too long.
    #[error("description must be at most 10,000 characters")]
    InvalidDescription,
    /// The schema or the requested statistics are not acceptable.
    #[error(transparent)]
    Schema(#[from] protocol::SchemaError),
    /// Reward or budget not a whole number of tokens above 0.
    #[error("{what}: {source}")]
    InvalidAmount {
        /// Which amount.
        what: &'static str,
        /// Why.
        source: protocol::AmountError,
    },
    /// The budget cannot pay one reward.
    #[error("budget must cover at least one reward")]
    BudgetBelowReward,
    /// `min_contributors` out of range.
    #[error("min_contributors must be between {MIN_CONTRIBUTORS} and 1,000,000")]
    InvalidMinContributors,
    /// ε out of range.
    #[error("epsilon must be a number with 0 < ε ≤ {MAX_EPSILON}")]
    InvalidEpsilon,
    /// δ out of range.
    #[error(transparent)]
    InvalidDelta(#[from] protocol::terms::DeltaError),
    /// The approval note is too long.
    #[error("note must be at most 2,000 characters")]
    NoteTooLong,
    /// No such campaign, or not the caller's.
    #[error("campaign {0} does not exist")]
    NotFound(CampaignId),
    /// The campaign is not in a state that allows the action.
    #[error("cannot {action} campaign {id} in state {}", .status.as_str())]
    WrongState {
        /// The campaign.
        id: CampaignId,
        /// Its state.
        status: Status,
        /// What was asked.
        action: &'static str,
    },
    /// The keyholders did not make the campaign's keys.
    #[error(transparent)]
    Keyholder(#[from] keyholder_api::CallError),
    /// Moving the escrow failed (the buyer's wallet short of the budget).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A stored value breaks an invariant (the campaign vanished mid-transaction).
    #[error("{0}")]
    Corrupt(String),
    /// The database was not reached.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for CampaignError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Db(e) => tx::is_transient(e),
            Self::Ledger(e) => e.is_retryable(),
            _ => false,
        }
    }
}

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
    /// Short title (1-200 characters, not blank).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    /// What is asked of contributors and why (at most 10,000 characters).
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// The record schema.
    pub schema: RawSchema,
    /// Statistics the buyer wants computed.
    pub statistics: Vec<Statistic>,
    /// Tokens paid per accepted contribution.
    #[schema(minimum = 1)]
    pub reward: i64,
    /// Tokens moved into escrow when the campaign is submitted (≥ reward).
    #[schema(minimum = 1)]
    pub budget: i64,
    /// Fewest distinct contributions before any statistic is released (≥ 10).
    #[schema(minimum = 10, maximum = 1000000)]
    pub min_contributors: i32,
    /// Total differential-privacy budget ε (0 < ε ≤ 10).
    #[schema(exclusive_minimum = 0.0, maximum = 10.0)]
    pub epsilon: f64,
    /// δ of the (ε, δ) promise: 0 (the default) for pure ε-differential
    /// privacy (the discrete Laplace mechanism only), else between 1e-15
    /// and 1e-4 and below 1 / (the most contributions the budget pays).
    /// With δ > 0 a report may be released under the discrete Gaussian
    /// mechanism when that is more accurate.
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 0.0001)]
    pub delta: f64,
    /// Which contributors it admits: `open` (default: any registered
    /// identity) or `verified` (accounts an admin verified).
    #[serde(default)]
    pub eligibility: Option<protocol::attestation::Tier>,
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
    delta: f64,
    eligibility: protocol::attestation::Tier,
}

impl NewCampaign {
    /// Checks every field, returning the first problem.
    pub fn validate(self) -> Result<ValidCampaign, CampaignError> {
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
            return Err(CampaignError::InvalidTitle);
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(CampaignError::InvalidDescription);
        }
        let schema = CampaignSchema::parse(self.schema)?;
        let statistics = schema.check_statistics(&self.statistics)?;
        let reward =
            TokenAmount::parse(self.reward).map_err(|source| CampaignError::InvalidAmount {
                what: "reward",
                source,
            })?;
        let budget =
            TokenAmount::parse(self.budget).map_err(|source| CampaignError::InvalidAmount {
                what: "budget",
                source,
            })?;
        if budget < reward {
            return Err(CampaignError::BudgetBelowReward);
        }
        if !(MIN_CONTRIBUTORS..=protocol::terms::MAX_MIN_CONTRIBUTORS as i32)
            .contains(&self.min_contributors)
        {
            return Err(CampaignError::InvalidMinContributors);
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0 && self.epsilon <= MAX_EPSILON) {
            return Err(CampaignError::InvalidEpsilon);
        }
        protocol::terms::check_delta(self.delta, max_contributions(budget.get(), reward.get()))?;
        Ok(ValidCampaign {
            title,
            description: self.description,
            schema,
            statistics,
            reward,
            budget,
            min_contributors: self.min_contributors,
            epsilon: self.epsilon,
            delta: self.delta,
            eligibility: self
                .eligibility
                .unwrap_or(protocol::attestation::Tier::Open),
        })
    }
}

/// Stores a new draft campaign of `buyer_id`.
pub fn create(
    conn: &mut diesel::PgConnection,
    buyer_id: UserId,
    c: &ValidCampaign,
) -> Result<CampaignView, CampaignError> {
    let encode = |e: serde_json::Error| CampaignError::Corrupt(e.to_string());
    Ok(store::insert(
        conn,
        &NewCampaignRow {
            buyer_id,
            title: &c.title,
            description: &c.description,
            schema: serde_json::to_value(c.schema.to_raw()).map_err(encode)?,
            statistics: serde_json::to_value(&c.statistics).map_err(encode)?,
            reward: c.reward.get(),
            budget: c.budget.get(),
            min_contributors: c.min_contributors,
            epsilon: c.epsilon,
            delta: c.delta,
            status: Status::Draft,
            eligibility: c.eligibility.as_str(),
        },
    )?)
}

/// The campaign as it is after a change in this transaction.
fn reread(conn: &mut diesel::PgConnection, id: CampaignId) -> Result<CampaignView, CampaignError> {
    store::get(conn, id)?.ok_or_else(|| CampaignError::Corrupt(format!("campaign {id} vanished")))
}

/// Locks campaign `id` for a change by `caller` (`None`: any caller, an
/// admin); another buyer's campaign does not exist for them.
fn lock(
    conn: &mut diesel::PgConnection,
    id: CampaignId,
    owner: Option<UserId>,
) -> Result<CampaignRow, CampaignError> {
    match store::lock(conn, id)? {
        Some(row) if owner.is_none_or(|o| o == row.buyer_id) => Ok(row),
        _ => Err(CampaignError::NotFound(id)),
    }
}

fn wrong_state(row: &CampaignRow, action: &'static str) -> CampaignError {
    CampaignError::WrongState {
        id: row.id,
        status: row.status,
        action,
    }
}

/// Whether a campaign in state `from` may take `action`, and the state it
/// goes to. The lifecycle in one table.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (action, from) {
        (A::Submit, S::Draft) => Some(S::PendingReview),
        (A::Approve, S::PendingReview) => Some(S::Approved),
        (A::Reject, S::PendingReview) => Some(S::Rejected),
        (A::Open, S::Approved) => Some(S::Open),
        (A::Close { .. }, S::Approved | S::Open) => Some(S::Closed),
        (A::Close { admin: true }, S::Suspended) => Some(S::Closed),
        (A::Suspend, S::Approved | S::Open) => Some(S::Suspended),
        _ => None,
    }
}

/// What is asked of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The buyer submits a draft for review.
    Submit,
    /// An admin approves.
    Approve,
    /// An admin rejects.
    Reject,
    /// The buyer opens it.
    Open,
    /// The buyer (or an admin) closes it.
    Close {
        /// Whether an admin closes it (admins may close a suspended one).
        admin: bool,
    },
    /// An admin suspends it.
    Suspend,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Open => "open",
            Self::Close { .. } => "close",
            Self::Suspend => "suspend",
        }
    }
}

/// The state `row` goes to on `action`, or why it cannot.
fn next(row: &CampaignRow, action: Action) -> Result<Status, CampaignError> {
    transition(row.status, action).ok_or_else(|| wrong_state(row, action.verb()))
}

/// The buyer submits a draft for review, funding its escrow from the
/// buyer's wallet. Returns the campaign and the funding transfer.
pub fn submit(
    conn: &mut diesel::PgConnection,
    buyer_id: UserId,
    id: CampaignId,
) -> Result<(CampaignView, Transfer), CampaignError> {
    let row = lock(conn, id, Some(buyer_id))?;
    let to = next(&row, Action::Submit)?;
    let wallet = ledger::wallet_of(conn, buyer_id)?;
    let escrow = ledger::escrow_of(conn, id)?;
    let budget = TokenAmount::parse(row.budget).map_err(|source| CampaignError::InvalidAmount {
        what: "budget",
        source,
    })?;
    let t = ledger::transfer(
        conn,
        wallet,
        escrow,
        budget,
        TransferKind::CampaignFunding,
        &format!("campaign {id}"),
    )?;
    store::set_status(conn, id, to, None, None)?;
    Ok((reread(conn, id)?, t))
}

/// The approval note as stored: blank is none; at most 2,000 characters.
pub fn approval_note(raw: Option<String>) -> Result<Option<String>, CampaignError> {
    let note = raw.filter(|n| !n.trim().is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS)
    {
        return Err(CampaignError::NoteTooLong);
    }
    Ok(note)
}

/// An admin approves a campaign pending review: the keyholders make its
/// keys and sign its release terms (idempotent on their side: a retry after
/// a failure here gets the same keys), then one transaction stores the keys,
/// the new state and the audit entry. Nothing is written unless the keys
/// arrived, and the keyholders do no work for a campaign not pending review.
pub async fn approve(
    pool: &PgPool,
    keyholders: &dyn keyholder_api::Keyholders,
    admin_id: UserId,
    id: CampaignId,
    note: Option<String>,
) -> Result<CampaignView, CampaignError> {
    let note = approval_note(note)?;
    let pending = tx::with_conn(pool, move |conn| {
        store::get(conn, id).map_err(CampaignError::from)
    })
    .await?
    .ok_or(CampaignError::NotFound(id))?;
    if transition(pending.status, Action::Approve).is_none() {
        return Err(CampaignError::WrongState {
            id,
            status: pending.status,
            action: "approve",
        });
    }
    let corrupt = |e: &dyn std::fmt::Display| CampaignError::Corrupt(format!("campaign {id}: {e}"));
    let schema = CampaignSchema::parse(pending.schema.clone()).map_err(|e| corrupt(&e))?;
    let terms = keyholder_api::KeyTerms {
        statistics: pending.statistics.clone(),
        min_contributors: u64::try_from(pending.min_contributors).map_err(|e| corrupt(&e))?,
        epsilon_micro: protocol::epsilon::Epsilon::parse(pending.epsilon)
            .map_err(|e| corrupt(&e))?
            .micro(),
        max_contributions: max_contributions(pending.budget, pending.reward),
        delta: pending.delta,
        schema_version: u32::try_from(pending.schema_version).map_err(|e| corrupt(&e))?,
    };
    let material = keyholders.campaign_keys(id.get(), &schema, terms).await?;
    tx::run_tx(pool, "approve_campaign", move |conn| {
        let row = lock(conn, id, None)?;
        let to = next(&row, Action::Approve)?;
        store::set_status(conn, id, to, note.as_deref(), Some(admin_id))?;
        store::insert_keys(conn, id, &material)?;
        audit::record(
            conn,
            Some(admin_id),
            "approve_campaign",
            &format!("campaign:{id}"),
            serde_json::json!({ "note": note }),
        )?;
        reread(conn, id)
    })
    .await
}

/// An admin rejects a campaign pending review; its escrow goes back to the buyer.
pub fn reject(
    conn: &mut diesel::PgConnection,
    admin_id: UserId,
    id: CampaignId,
    reason: &str,
) -> Result<(CampaignView, Option<Transfer>), CampaignError> {
    let row = lock(conn, id, None)?;
    let to = next(&row, Action::Reject)?;
    let refund = refund_escrow(conn, &row)?;
    store::set_status(conn, id, to, Some(reason), Some(admin_id))?;
    Ok((reread(conn, id)?, refund))
}

fn refund_escrow(
    conn: &mut diesel::PgConnection,
    row: &CampaignRow,
) -> Result<Option<Transfer>, CampaignError> {
    let escrow = ledger::escrow_of(conn, row.id)?;
    let wallet = ledger::wallet_of(conn, row.buyer_id)?;
    Ok(ledger::sweep(
        conn,
        escrow,
        wallet,
        TransferKind::CampaignRefund,
        &format!("campaign {}", row.id),
    )?)
}

/// The buyer opens an approved campaign for contributions.
pub fn open(
    conn: &mut diesel::PgConnection,
    buyer_id: UserId,
    id: CampaignId,
) -> Result<CampaignView, CampaignError> {
    let row = lock(conn, id, Some(buyer_id))?;
    let to = next(&row, Action::Open)?;
    store::set_status(conn, id, to, None, None)?;
    reread(conn, id)
}

/// The buyer (or an admin, `is_admin`) closes an approved or open campaign
/// (an admin also a suspended one); the remaining escrow goes back to the buyer.
pub fn close(
    conn: &mut diesel::PgConnection,
    caller_id: UserId,
    is_admin: bool,
    id: CampaignId,
) -> Result<(CampaignView, Option<Transfer>), CampaignError> {
    let row = lock(conn, id, (!is_admin).then_some(caller_id))?;
    let to = next(&row, Action::Close { admin: is_admin })?;
    let refund = refund_escrow(conn, &row)?;
    store::set_status(conn, id, to, None, None)?;
    Ok((reread(conn, id)?, refund))
}

/// An admin suspends an open or approved campaign (`reason` kept in
/// `review_reason`), or, with `None`, resumes a suspended one to the state
/// it was suspended from (an approved campaign is not opened without its
/// buyer).
pub fn set_suspended(
    conn: &mut diesel::PgConnection,
    admin_id: UserId,
    id: CampaignId,
    reason: Option<&str>,
) -> Result<CampaignView, CampaignError> {
    let row = lock(conn, id, None)?;
    let current = row.status;
    let to = match reason {
        Some(_) => next(&row, Action::Suspend)?,
        None if current == Status::Suspended => match store::suspended_from(conn, id)? {
            Some(Status::Approved) => Status::Approved,
            _ => Status::Open,
        },
        None => return Err(wrong_state(&row, "resume")),
    };
    store::set_status(conn, id, to, reason, Some(admin_id))?;
    store::set_suspended_from(conn, id, reason.map(|_| current))?;
    reread(conn, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Status; 7] = [
        Status::Draft,
        Status::PendingReview,
        Status::Approved,
        Status::Rejected,
        Status::Open,
        Status::Closed,
        Status::Suspended,
    ];

    #[test]
    fn the_lifecycle_allows_exactly_its_transitions() {
        use Action as A;
        use Status as S;
        let actions = [
            A::Submit,
            A::Approve,
            A::Reject,
            A::Open,
            A::Close { admin: false },
            A::Close { admin: true },
            A::Suspend,
        ];
        let mut allowed = Vec::new();
        for from in ALL {
            for action in actions {
                if let Some(to) = transition(from, action) {
                    allowed.push((from, action, to));
                }
            }
        }
        assert_eq!(
            allowed,
            vec![
                (S::Draft, A::Submit, S::PendingReview),
                (S::PendingReview, A::Approve, S::Approved),
                (S::PendingReview, A::Reject, S::Rejected),
                (S::Approved, A::Open, S::Open),
                (S::Approved, A::Close { admin: false }, S::Closed),
                (S::Approved, A::Close { admin: true }, S::Closed),
                (S::Approved, A::Suspend, S::Suspended),
                (S::Open, A::Close { admin: false }, S::Closed),
                (S::Open, A::Close { admin: true }, S::Closed),
                (S::Open, A::Suspend, S::Suspended),
                (S::Suspended, A::Close { admin: true }, S::Closed),
            ]
        );
    }

    fn request() -> NewCampaign {
        serde_json::from_value(serde_json::json!({
            "title": "Commute",
            "schema": {"fields": [{"type": "numeric", "name": "minutes", "bits": 8}]},
            "statistics": ["count", "sum"],
            "reward": 10,
            "budget": 100,
            "min_contributors": 10,
            "epsilon": 1.0
        }))
        .expect("request")
    }

    #[test]
    fn a_campaign_request_is_checked_field_by_field() {
        assert!(request().validate().is_ok());
        type Edit = fn(&mut NewCampaign);
        let cases: Vec<(Edit, &str)> = vec![
            (|c| c.title = "  ".into(), "title"),
            (|c| c.title = "x".repeat(201), "title"),
            (|c| c.description = "x".repeat(10_001), "description"),
            (|c| c.statistics = vec![], "statistics"),
            (|c| c.reward = 0, "reward"),
            (|c| c.budget = -5, "budget"),
            (|c| c.budget = 9, "cover"),
            (|c| c.min_contributors = 9, "min_contributors"),
            (|c| c.epsilon = 0.0, "epsilon"),
            (|c| c.epsilon = f64::NAN, "epsilon"),
            (|c| c.epsilon = MAX_EPSILON * 2.0, "epsilon"),
        ];
        for (edit, word) in cases {
            let mut c = request();
            edit(&mut c);
            let err = c.validate().err().expect("refused").to_string();
            assert!(err.contains(word), "{word}: {err}");
        }
    }

    #[test]
    fn an_approval_note_is_optional_and_bounded() {
        assert_eq!(approval_note(None).unwrap(), None);
        assert_eq!(approval_note(Some(" \n".into())).unwrap(), None);
        assert_eq!(
            approval_note(Some("ok".into())).unwrap().as_deref(),
            Some("ok")
        );
        assert!(approval_note(Some("é".repeat(2_000))).is_ok());
        assert!(matches!(
            approval_note(Some("é".repeat(2_001))),
            Err(CampaignError::NoteTooLong)
        ));
    }

    #[test]
    fn the_contribution_bound_is_what_the_budget_pays() {
        assert_eq!(max_contributions(100, 10), 10);
        assert_eq!(max_contributions(105, 10), 10);
        assert_eq!(max_contributions(5, 10), 1);
        assert_eq!(max_contributions(10, 0), 1);
        assert_eq!(
            max_contributions(i64::MAX, 1),
            fhe_compute::stats::MAX_PLAN_RECORDS
        );
    }
}
