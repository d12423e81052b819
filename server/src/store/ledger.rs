//! The double-entry token ledger: accounts, transfers, balances, history.
//!
//! Every movement is one row in the append-only `transfers` table plus the
//! matching update of the two cached balances, in the caller's transaction.
//! Both account rows are locked `FOR UPDATE` in id order first, so concurrent
//! transfers never deadlock on each other and never overdraw: the balance is
//! checked under the lock, and a CHECK constraint backs it up.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use protocol::TokenAmount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tx::Retryable;
pub use crate::domain::AccountId;
use crate::domain::{CampaignId, UserId};
use crate::schema::{accounts, transfers};

/// A ledger failure.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The paying account holds less than the amount.
    #[error("insufficient funds: balance {available}, needed {needed}")]
    InsufficientFunds {
        /// Balance of the paying account.
        available: i64,
        /// Amount requested.
        needed: i64,
    },
    /// A transfer must move between two different accounts.
    #[error("a transfer needs two different accounts")]
    SameAccount,
    /// The account does not exist.
    #[error("ledger account {0} does not exist")]
    NoSuchAccount(AccountId),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Retryable for LedgerError {
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(e) if super::tx::is_transient(e))
    }
}

/// Kinds of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Source of all tokens; the only account whose balance may be negative.
    Mint,
    /// Platform fees.
    Platform,
    /// A user's wallet.
    Wallet,
    /// A campaign's escrow.
    Escrow,
    /// Withdrawals awaiting an admin's decision.
    Withdrawals,
    /// Rewards paid into reward notes and not claimed yet.
    Unclaimed,
}

impl AccountKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Mint => "mint",
            Self::Platform => "platform",
            Self::Wallet => "wallet",
            Self::Escrow => "escrow",
            Self::Withdrawals => "withdrawals",
            Self::Unclaimed => "unclaimed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Mint,
            Self::Platform,
            Self::Wallet,
            Self::Escrow,
            Self::Withdrawals,
            Self::Unclaimed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Why tokens moved (stored in `transfers.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferKind {
    /// New tokens from the mint (an admin's decision).
    Mint,
    /// A buyer's budget into a campaign's escrow.
    CampaignFunding,
    /// What is left of an escrow back to the buyer.
    CampaignRefund,
    /// A reward from an escrow into the unclaimed-rewards account (a reward
    /// note); before reward notes, to the contributor's wallet.
    ContributionReward,
    /// Reward notes claimed: from the unclaimed-rewards account to a wallet.
    NoteClaim,
    /// A report's price from the buyer's wallet to the platform.
    ReportPurchase,
    /// A report's price back when it ended without results.
    ReportRefund,
    /// A requested withdrawal, held until an admin decides.
    WithdrawalHold,
    /// An approved withdrawal, paid out (back to the mint).
    WithdrawalPaid,
    /// A rejected withdrawal, back to the wallet.
    WithdrawalRefund,
}

impl TransferKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mint => "mint",
            Self::CampaignFunding => "campaign_funding",
            Self::CampaignRefund => "campaign_refund",
            Self::ContributionReward => "contribution_reward",
            Self::NoteClaim => "note_claim",
            Self::ReportPurchase => "report_purchase",
            Self::ReportRefund => "report_refund",
            Self::WithdrawalHold => "withdrawal_hold",
            Self::WithdrawalPaid => "withdrawal_paid",
            Self::WithdrawalRefund => "withdrawal_refund",
        }
    }
}

/// One recorded transfer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = transfers)]
pub struct Transfer {
    /// Transfer id.
    pub id: i64,
    /// Paying account.
    pub from_account_id: AccountId,
    /// Receiving account.
    pub to_account_id: AccountId,
    /// Tokens moved (always positive).
    pub amount: i64,
    /// Why: `mint`, `campaign_funding`, `campaign_refund`, ...
    pub kind: String,
    /// Free text.
    pub memo: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn singleton(conn: &mut PgConnection, kind: AccountKind) -> Result<AccountId, LedgerError> {
    Ok(accounts::table
        .filter(accounts::kind.eq(kind.as_str()))
        .select(accounts::id)
        .first(conn)?)
}

/// The mint account.
pub fn mint_account(conn: &mut PgConnection) -> Result<AccountId, LedgerError> {
    singleton(conn, AccountKind::Mint)
}

/// The platform fee account.
pub fn platform_account(conn: &mut PgConnection) -> Result<AccountId, LedgerError> {
    singleton(conn, AccountKind::Platform)
}

/// The account holding rewards paid into notes until they are claimed.
pub fn unclaimed_account(conn: &mut PgConnection) -> Result<AccountId, LedgerError> {
    singleton(conn, AccountKind::Unclaimed)
}

/// The account holding requested withdrawals until an admin decides.
pub fn withdrawals_account(conn: &mut PgConnection) -> Result<AccountId, LedgerError> {
    singleton(conn, AccountKind::Withdrawals)
}

/// The wallet of `user_id`, created on first use.
pub fn wallet_of(conn: &mut PgConnection, user_id: UserId) -> Result<AccountId, LedgerError> {
    diesel::insert_into(accounts::table)
        .values((
            accounts::kind.eq(AccountKind::Wallet.as_str()),
            accounts::user_id.eq(user_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(accounts::table
        .filter(accounts::kind.eq(AccountKind::Wallet.as_str()))
        .filter(accounts::user_id.eq(user_id))
        .select(accounts::id)
        .first(conn)?)
}

/// The escrow account of `campaign_id`, created on first use.
pub fn escrow_of(
    conn: &mut PgConnection,
    campaign_id: CampaignId,
) -> Result<AccountId, LedgerError> {
    diesel::insert_into(accounts::table)
        .values((
            accounts::kind.eq(AccountKind::Escrow.as_str()),
            accounts::campaign_id.eq(campaign_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(accounts::table
        .filter(accounts::kind.eq(AccountKind::Escrow.as_str()))
        .filter(accounts::campaign_id.eq(campaign_id))
        .select(accounts::id)
        .first(conn)?)
}

/// The kind of account `id` and the user owning it (`None`: no such
/// account; an unknown stored kind reads as no account).
pub fn kind_and_owner(
    conn: &mut PgConnection,
    id: AccountId,
) -> Result<Option<(AccountKind, Option<UserId>)>, LedgerError> {
    let row: Option<(String, Option<UserId>)> = accounts::table
        .find(id)
        .select((accounts::kind, accounts::user_id))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(kind, owner)| Some((AccountKind::parse(&kind)?, owner))))
}

/// Balance of an account (without locking it).
pub fn balance(conn: &mut PgConnection, account_id: AccountId) -> Result<i64, LedgerError> {
    accounts::table
        .find(account_id)
        .select(accounts::balance)
        .first(conn)
        .optional()?
        .ok_or(LedgerError::NoSuchAccount(account_id))
}

/// Moves `amount` from `from` to `to` in the caller's transaction.
pub fn transfer(
    conn: &mut PgConnection,
    from: AccountId,
    to: AccountId,
    amount: TokenAmount,
    kind: TransferKind,
    memo: &str,
) -> Result<Transfer, LedgerError> {
    if from == to {
        return Err(LedgerError::SameAccount);
    }
    // Lock both rows in id order: two transfers over the same pair of
    // accounts always queue instead of deadlocking.
    let locked: Vec<(AccountId, String, i64)> = accounts::table
        .filter(accounts::id.eq_any([from, to]))
        .order(accounts::id.asc())
        .select((accounts::id, accounts::kind, accounts::balance))
        .for_update()
        .load(conn)?;
    let find = |id: AccountId| {
        locked
            .iter()
            .find(|(aid, _, _)| *aid == id)
            .ok_or(LedgerError::NoSuchAccount(id))
    };
    let (_, from_kind, from_balance) = find(from)?;
    find(to)?;
    let needed = amount.get();
    if from_kind != AccountKind::Mint.as_str() && *from_balance < needed {
        return Err(LedgerError::InsufficientFunds {
            available: *from_balance,
            needed,
        });
    }
    diesel::update(accounts::table.find(from))
        .set(accounts::balance.eq(accounts::balance - needed))
        .execute(conn)?;
    diesel::update(accounts::table.find(to))
        .set(accounts::balance.eq(accounts::balance + needed))
        .execute(conn)?;
    Ok(diesel::insert_into(transfers::table)
        .values((
            transfers::from_account_id.eq(from),
            transfers::to_account_id.eq(to),
            transfers::amount.eq(needed),
            transfers::kind.eq(kind.as_str()),
            transfers::memo.eq(memo),
        ))
        .returning(Transfer::as_returning())
        .get_result(conn)?)
}

/// Moves the whole balance of `from` to `to`, if there is any. Returns the
/// transfer, or `None` for an empty account.
pub fn sweep(
    conn: &mut PgConnection,
    from: AccountId,
    to: AccountId,
    kind: TransferKind,
    memo: &str,
) -> Result<Option<Transfer>, LedgerError> {
    let current: i64 = accounts::table
        .find(from)
        .select(accounts::balance)
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(LedgerError::NoSuchAccount(from))?;
    match TokenAmount::parse(current) {
        Ok(amount) => transfer(conn, from, to, amount, kind, memo).map(Some),
        Err(_) => Ok(None),
    }
}

/// Transfers touching `account_id`, newest first, with ids below `before`.
pub fn history(
    conn: &mut PgConnection,
    account_id: AccountId,
    limit: i64,
    before: Option<i64>,
) -> Result<Vec<Transfer>, LedgerError> {
    let mut q = transfers::table
        .filter(
            transfers::from_account_id
                .eq(account_id)
                .or(transfers::to_account_id.eq(account_id)),
        )
        .order(transfers::id.desc())
        .limit(limit)
        .select(Transfer::as_select())
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(transfers::id.lt(b));
    }
    Ok(q.load(conn)?)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    id: i64,
}

/// Audits the whole ledger: the sum of all balances (zero when consistent),
/// non-mint accounts below zero, and accounts whose cached balance differs
/// from the sum of their transfers.
pub fn check_consistency(conn: &mut PgConnection) -> Result<LedgerAudit, LedgerError> {
    let balances: Vec<(String, i64)> = accounts::table
        .select((accounts::kind, accounts::balance))
        .load(conn)?;
    let total: i64 = balances.iter().map(|(_, b)| *b).sum();
    let negative_accounts = balances
        .iter()
        .filter(|(kind, b)| kind != "mint" && *b < 0)
        .count();
    let mismatched: Vec<IdRow> = diesel::sql_query(
        "SELECT a.id FROM accounts a \
         LEFT JOIN (SELECT to_account_id AS id, SUM(amount) AS s FROM transfers GROUP BY 1) i ON i.id = a.id \
         LEFT JOIN (SELECT from_account_id AS id, SUM(amount) AS s FROM transfers GROUP BY 1) o ON o.id = a.id \
         WHERE a.balance <> COALESCE(i.s, 0) - COALESCE(o.s, 0) ORDER BY a.id",
    )
    .load(conn)?;
    let unclaimed: i64 = balances
        .iter()
        .filter(|(kind, _)| kind == "unclaimed")
        .map(|(_, b)| *b)
        .sum();
    let notes: UnclaimedRow = diesel::sql_query(
        "SELECT \
           (SELECT COALESCE(SUM(t.amount), 0) FROM contributions c \
              JOIN transfers t ON t.id = c.transfer_id WHERE c.note_key IS NOT NULL)::BIGINT AS paid, \
           (SELECT COALESCE(SUM(amount), 0) FROM claims)::BIGINT AS claimed",
    )
    .get_result(conn)?;
    Ok(LedgerAudit {
        total,
        negative_accounts,
        mismatched_accounts: mismatched.into_iter().map(|r| AccountId(r.id)).collect(),
        unclaimed,
        notes_paid: notes.paid,
        notes_claimed: notes.claimed,
        unclaimed_consistent: unclaimed == notes.paid - notes.claimed,
    })
}

/// Result of [`check_consistency`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerAudit {
    /// Sum of every account's balance; always 0.
    pub total: i64,
    /// Non-mint accounts below zero; always 0.
    pub negative_accounts: usize,
    /// Accounts whose cached balance differs from their transfers.
    pub mismatched_accounts: Vec<AccountId>,
    /// The unclaimed-rewards account's balance: rewards paid into notes
    /// and not claimed yet.
    pub unclaimed: i64,
    /// Every reward paid into a note.
    pub notes_paid: i64,
    /// Every claim's amount.
    pub notes_claimed: i64,
    /// Whether `unclaimed` is exactly `notes_paid - notes_claimed`; always true.
    pub unclaimed_consistent: bool,
}

#[derive(QueryableByName)]
struct UnclaimedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    paid: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    claimed: i64,
}
