//! Withdrawals of earned tokens to an external address, pending an
//! administrator's decision. A request moves the amount from the wallet
//! into the holding account (`withdrawals`) in the same transaction that
//! records it; an administrator approves (holding → mint: paid out, the
//! tokens leave the platform) or rejects with a reason (holding → wallet).
//! Only pending requests can be decided, under a row lock, so nothing is
//! paid or refunded twice.

use protocol::TokenAmount;

use crate::domain::UserId;
use crate::store::audit;
use crate::store::ledger::{self, LedgerError, TransferKind};
use crate::store::withdrawals::{self as store, WithdrawalStatus, WithdrawalView};

/// Longest external address, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// Why a withdrawal was not requested or decided.
#[derive(Debug, thiserror::Error)]
pub enum WithdrawalError {
    /// The amount is not a whole number of tokens above 0.
    #[error("amount: {0}")]
    InvalidAmount(#[from] protocol::AmountError),
    /// The address is empty, too long or has control characters.
    #[error("address must be 1-{MAX_ADDRESS_CHARS} characters without control characters")]
    InvalidAddress,
    /// No such withdrawal.
    #[error("withdrawal {0} does not exist")]
    NotFound(i64),
    /// The withdrawal was decided already.
    #[error("withdrawal {id} is already {}", .status.as_str())]
    AlreadyDecided {
        /// The withdrawal.
        id: i64,
        /// Its state.
        status: WithdrawalStatus,
    },
    /// Moving the tokens failed (insufficient funds, above all).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The address as stored: trimmed, 1-200 characters, no control characters.
pub fn valid_address(raw: &str) -> Result<String, WithdrawalError> {
    let address = raw.trim();
    if address.is_empty()
        || address.chars().count() > MAX_ADDRESS_CHARS
        || address.chars().any(char::is_control)
    {
        return Err(WithdrawalError::InvalidAddress);
    }
    Ok(address.to_string())
}

/// A checked withdrawal request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Tokens.
    pub amount: TokenAmount,
    /// Where to pay them.
    pub address: String,
}

impl Request {
    /// Checks a requested amount and address.
    pub fn new(amount: i64, address: &str) -> Result<Self, WithdrawalError> {
        Ok(Self {
            amount: TokenAmount::parse(amount)?,
            address: valid_address(address)?,
        })
    }
}

/// `user_id` requests a withdrawal: the amount moves from its wallet to the
/// holding account and the request is recorded, in the caller's transaction.
pub fn request(
    conn: &mut diesel::PgConnection,
    user_id: UserId,
    req: &Request,
) -> Result<WithdrawalView, WithdrawalError> {
    let wallet = ledger::wallet_of(conn, user_id)?;
    let hold = ledger::withdrawals_account(conn)?;
    let t = ledger::transfer(
        conn,
        wallet,
        hold,
        req.amount,
        TransferKind::WithdrawalHold,
        &req.address,
    )?;
    Ok(store::insert_pending(
        conn,
        user_id,
        req.amount.get(),
        &req.address,
        t.id,
    )?)
}

/// An administrator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Pay out.
    Approve,
    /// Return the tokens to the wallet, for this reason.
    Reject(&'a str),
}

impl Decision<'_> {
    /// The state a pending withdrawal moves to, the transfer's kind and the
    /// audit action; any other state refuses the decision.
    pub fn apply(
        self,
        id: i64,
        current: WithdrawalStatus,
    ) -> Result<(WithdrawalStatus, TransferKind, &'static str), WithdrawalError> {
        if current != WithdrawalStatus::Pending {
            return Err(WithdrawalError::AlreadyDecided {
                id,
                status: current,
            });
        }
        Ok(match self {
            Self::Approve => (
                WithdrawalStatus::Approved,
                TransferKind::WithdrawalPaid,
                "approve_withdrawal",
            ),
            Self::Reject(_) => (
                WithdrawalStatus::Rejected,
                TransferKind::WithdrawalRefund,
                "reject_withdrawal",
            ),
        })
    }
}

/// `admin` decides withdrawal `id` (row-locked in the caller's transaction):
/// the held tokens are paid out or returned, and the decision audited.
pub fn decide(
    conn: &mut diesel::PgConnection,
    admin: UserId,
    id: i64,
    decision: Decision<'_>,
) -> Result<WithdrawalView, WithdrawalError> {
    let w = store::lock(conn, id)?.ok_or(WithdrawalError::NotFound(id))?;
    let (status, kind, action) = decision.apply(id, w.status)?;
    let reason = match decision {
        Decision::Approve => None,
        Decision::Reject(r) => Some(r),
    };
    let hold = ledger::withdrawals_account(conn)?;
    let amount = TokenAmount::parse(w.amount)?;
    let to = match decision {
        Decision::Approve => ledger::mint_account(conn)?,
        Decision::Reject(_) => ledger::wallet_of(conn, w.user_id)?,
    };
    let t = ledger::transfer(conn, hold, to, amount, kind, &format!("withdrawal {id}"))?;
    let view = store::settle(conn, id, status, t.id, reason, admin)?;
    audit::record(
        conn,
        Some(admin),
        action,
        &format!("withdrawal:{id}"),
        serde_json::json!({"user_id": w.user_id, "amount": w.amount, "address": w.address, "reason": reason}),
    )?;
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_bounded_and_printable() {
        assert_eq!(valid_address("  acct-1 ").unwrap(), "acct-1");
        assert_eq!(
            valid_address(&"é".repeat(200)).unwrap().chars().count(),
            200
        );
        for bad in ["", "   ", "a\tb", "a\nb", "\u{7f}x"] {
            assert!(
                matches!(valid_address(bad), Err(WithdrawalError::InvalidAddress)),
                "{bad:?}"
            );
        }
        assert!(valid_address(&"x".repeat(201)).is_err());
    }

    #[test]
    fn requests_need_a_positive_amount_and_an_address() {
        assert!(Request::new(5, "acct").is_ok());
        assert!(matches!(
            Request::new(0, "acct"),
            Err(WithdrawalError::InvalidAmount(_))
        ));
        assert!(matches!(
            Request::new(-3, "acct"),
            Err(WithdrawalError::InvalidAmount(_))
        ));
        assert!(matches!(
            Request::new(5, " "),
            Err(WithdrawalError::InvalidAddress)
        ));
    }

    #[test]
    fn only_pending_withdrawals_are_decided_and_each_decision_has_its_outcome() {
        use WithdrawalStatus::*;
        assert_eq!(
            Decision::Approve.apply(1, Pending).unwrap(),
            (Approved, TransferKind::WithdrawalPaid, "approve_withdrawal")
        );
        assert_eq!(
            Decision::Reject("no").apply(1, Pending).unwrap(),
            (
                Rejected,
                TransferKind::WithdrawalRefund,
                "reject_withdrawal"
            )
        );
        for decided in [Approved, Rejected] {
            for d in [Decision::Approve, Decision::Reject("again")] {
                assert!(matches!(
                    d.apply(7, decided),
                    Err(WithdrawalError::AlreadyDecided { id: 7, status }) if status == decided
                ));
            }
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for s in [
            WithdrawalStatus::Pending,
            WithdrawalStatus::Approved,
            WithdrawalStatus::Rejected,
        ] {
            assert_eq!(WithdrawalStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(WithdrawalStatus::parse("paid"), None);
    }
}
