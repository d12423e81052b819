//! Withdrawal rows: insert a held request, list, lock one for a decision,
//! record the decision.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::UserId;
use crate::schema::{users, withdrawals};

/// A withdrawal's state.
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
pub enum WithdrawalStatus {
    /// Held, waiting for an administrator.
    Pending,
    /// Paid out (the tokens left the platform).
    Approved,
    /// Refused; the tokens went back to the wallet.
    Rejected,
}

super::text_enum!(WithdrawalStatus {
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
});

/// A withdrawal as stored (and as the API answers it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = withdrawals)]
pub struct WithdrawalView {
    /// Withdrawal id.
    pub id: i64,
    /// The requesting user.
    pub user_id: UserId,
    /// Tokens.
    pub amount: i64,
    /// External address.
    pub address: String,
    /// `pending`, `approved` (paid out) or `rejected` (returned to the wallet).
    pub status: WithdrawalStatus,
    /// Wallet → holding transfer.
    pub hold_transfer_id: i64,
    /// Holding → mint (approved) or → wallet (rejected).
    pub settle_transfer_id: Option<i64>,
    /// The admin's reason when rejected.
    pub reason: Option<String>,
    /// The deciding admin.
    // Inline, so that the document keeps the description (a `$ref` in a
    // `oneOf` with null drops it).
    #[schema(value_type = Option<i64>)]
    pub decided_by: Option<UserId>,
    /// Requested.
    pub created_at: DateTime<Utc>,
    /// Decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Most withdrawals one listing answers (newest first).
pub const LIST_LIMIT: i64 = 500;

/// Records a pending withdrawal whose amount transfer `hold_transfer_id` holds.
pub fn insert_pending(
    conn: &mut PgConnection,
    user_id: UserId,
    amount: i64,
    address: &str,
    hold_transfer_id: i64,
) -> QueryResult<WithdrawalView> {
    diesel::insert_into(withdrawals::table)
        .values((
            withdrawals::user_id.eq(user_id),
            withdrawals::amount.eq(amount),
            withdrawals::address.eq(address),
            withdrawals::status.eq(WithdrawalStatus::Pending),
            withdrawals::hold_transfer_id.eq(hold_transfer_id),
        ))
        .returning(WithdrawalView::as_returning())
        .get_result(conn)
}

/// Withdrawals, newest first (at most [`LIST_LIMIT`]): one user's or
/// everyone's, in one state or all.
pub fn list(
    conn: &mut PgConnection,
    user_id: Option<UserId>,
    status: Option<WithdrawalStatus>,
) -> QueryResult<Vec<WithdrawalView>> {
    let mut q = withdrawals::table
        .select(WithdrawalView::as_select())
        .order(withdrawals::id.desc())
        .limit(LIST_LIMIT)
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(withdrawals::user_id.eq(u));
    }
    if let Some(s) = status {
        q = q.filter(withdrawals::status.eq(s));
    }
    q.load(conn)
}

/// Like [`list`] for everyone, each with its requester's e-mail.
pub fn list_with_emails(
    conn: &mut PgConnection,
    status: Option<WithdrawalStatus>,
) -> QueryResult<Vec<(WithdrawalView, String)>> {
    let mut q = withdrawals::table
        .inner_join(users::table)
        .select((WithdrawalView::as_select(), users::email))
        .order(withdrawals::id.desc())
        .limit(LIST_LIMIT)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(withdrawals::status.eq(s));
    }
    q.load(conn)
}

/// Withdrawal `id`, row-locked until the transaction ends (`None`: no such one).
pub fn lock(conn: &mut PgConnection, id: i64) -> QueryResult<Option<WithdrawalView>> {
    withdrawals::table
        .find(id)
        .select(WithdrawalView::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Records the decision on withdrawal `id`.
pub fn settle(
    conn: &mut PgConnection,
    id: i64,
    status: WithdrawalStatus,
    settle_transfer_id: i64,
    reason: Option<&str>,
    admin: UserId,
) -> QueryResult<WithdrawalView> {
    diesel::update(withdrawals::table.find(id))
        .set((
            withdrawals::status.eq(status),
            withdrawals::settle_transfer_id.eq(Some(settle_transfer_id)),
            withdrawals::reason.eq(reason),
            withdrawals::decided_by.eq(Some(admin)),
            withdrawals::decided_at.eq(Some(Utc::now())),
        ))
        .returning(WithdrawalView::as_returning())
        .get_result(conn)
}
