//! Failed-login throttling: exponential backoff per client address, and a
//! lock per account only after many failures (lifted by an admin).
//!
//! Each attempt is counted as a failure *before* the password is checked,
//! under a row lock, and given back when it succeeds: concurrent guesses
//! from one address cannot all slip past the check, and the argon2
//! verification itself runs with no database connection held. Accounts are
//! keyed by the e-mail as typed (lowercased), so an e-mail with no account
//! is throttled and locked exactly like one with an account.

use chrono::{Duration, Utc};
use diesel::PgConnection;

use crate::config::LoginLimits;
use crate::store::login_throttle::{self as store, Counter, Scope};

/// Failures of one account are counted over a day.
const ACCOUNT_WINDOW_SECS: i64 = 24 * 3600;

/// Why a login attempt is not admitted.
#[derive(Debug, thiserror::Error)]
pub enum Throttled {
    /// The account is locked until an admin unlocks it.
    #[error("this account is locked after many failed logins; an administrator can unlock it")]
    Locked,
    /// The address must wait this many seconds.
    #[error("too many failed logins from your address; wait and try again")]
    Backoff {
        /// Seconds until the next attempt is admitted.
        retry_after_secs: u32,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The wait after the `n`-th failure past the free ones (n ≥ 1).
fn backoff(limits: &LoginLimits, n: i32) -> Duration {
    let doublings = u32::try_from(n - 1).unwrap_or(0).min(30);
    let secs = limits
        .backoff_secs
        .max(1)
        .saturating_mul(1_i64 << doublings)
        .min(limits.max_backoff_secs.max(1));
    Duration::seconds(secs)
}

/// Admits one login attempt of `account` from `address`, counting it as a
/// failure until [`succeeded`] gives it back. Refuses a locked account, and
/// an address while it backs off. Run it in a transaction.
pub fn admit(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    address: &str,
    account: &str,
) -> Result<(), Throttled> {
    if store::locked_since(conn, account)?.is_some() {
        return Err(Throttled::Locked);
    }
    let row = store::lock(conn, Scope::Address, address)?;
    let now = Utc::now();
    if let Some(until) = row.blocked_until.filter(|u| *u > now) {
        let secs = (until - now).num_milliseconds().div_euclid(1000) + 1;
        return Err(Throttled::Backoff {
            retry_after_secs: u32::try_from(secs).unwrap_or(u32::MAX),
        });
    }
    let fresh = row.window_start < now - Duration::seconds(limits.window_secs);
    let failures = if fresh { 1 } else { row.failures + 1 };
    let blocked_until = (failures > limits.free_failures)
        .then(|| now + backoff(limits, failures - limits.free_failures));
    store::store(
        conn,
        Scope::Address,
        address,
        &Counter {
            failures,
            window_start: if fresh { now } else { row.window_start },
            blocked_until,
            ..row
        },
    )?;
    Ok(())
}

/// The password was right: gives the address its attempt back and clears
/// the account's failures. Run it in a transaction.
pub fn succeeded(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    address: &str,
    account: &str,
) -> Result<(), Throttled> {
    let row = store::lock(conn, Scope::Address, address)?;
    let failures = (row.failures - 1).max(0);
    let blocked_until = if failures > limits.free_failures {
        row.blocked_until
    } else {
        None
    };
    store::store(
        conn,
        Scope::Address,
        address,
        &Counter {
            failures,
            blocked_until,
            ..row
        },
    )?;
    store::clear_unlocked(conn, account)?;
    Ok(())
}

/// The password was wrong: counts a failure of `account`; at
/// `lock_after` failures within a day the account is locked (returns
/// true when this failure locked it). Run it in a transaction.
pub fn failed(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    account: &str,
) -> Result<bool, Throttled> {
    let row = store::lock(conn, Scope::Account, account)?;
    let now = Utc::now();
    let fresh = row.window_start < now - Duration::seconds(ACCOUNT_WINDOW_SECS);
    let failures = if fresh { 1 } else { row.failures + 1 };
    let lock_now =
        row.locked_at.is_none() && limits.lock_after > 0 && failures >= limits.lock_after;
    store::store(
        conn,
        Scope::Account,
        account,
        &Counter {
            failures,
            window_start: if fresh { now } else { row.window_start },
            locked_at: if lock_now { Some(now) } else { row.locked_at },
            ..row
        },
    )?;
    Ok(lock_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let limits = crate::config::Settings::default().login;
        let waits: Vec<i64> = (1..=12)
            .map(|n| backoff(&limits, n).num_seconds())
            .collect();
        assert_eq!(&waits[..5], &[1, 2, 4, 8, 16]);
        assert_eq!(waits[10], 900, "capped at 15 minutes");
        assert_eq!(backoff(&limits, 1000).num_seconds(), 900);
    }
}
