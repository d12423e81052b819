//! Failed-login throttling: exponential backoff per client address, and a
//! lock per account only after many failures (lifted by an admin).
//!
//! Each attempt is counted as a failure *before* the password is checked,
//! under a row lock, and given back when it succeeds: concurrent guesses
//! from one address cannot all slip past the check, and the argon2
//! verification itself runs with no database connection held. Accounts are
//! keyed by the e-mail as typed (lowercased), so an e-mail with no account
//! is throttled and locked exactly like one with an account.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::config::LoginLimits;
use crate::http::error::ApiError;
use crate::schema::login_throttle;

const ADDRESS: &str = "address";
const ACCOUNT: &str = "account";
/// Failures of one account are counted over a day.
const ACCOUNT_WINDOW_SECS: i64 = 24 * 3600;

#[derive(Queryable)]
struct Row {
    failures: i32,
    window_start: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
    locked_at: Option<DateTime<Utc>>,
}

/// Locks (creating it if needed) the counter row of `scope`/`key`.
fn lock_row(conn: &mut PgConnection, scope: &str, key: &str) -> QueryResult<Row> {
    diesel::insert_into(login_throttle::table)
        .values((login_throttle::scope.eq(scope), login_throttle::key.eq(key)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    login_throttle::table
        .find((scope, key))
        .select((
            login_throttle::failures,
            login_throttle::window_start,
            login_throttle::blocked_until,
            login_throttle::locked_at,
        ))
        .for_update()
        .first(conn)
}

fn locked() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "account_locked",
        "this account is locked after many failed logins; an administrator can unlock it",
    )
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
/// failure until [`succeeded`] gives it back. Refuses `403 account_locked`
/// for a locked account and `429 too_many_attempts` (with `Retry-After`)
/// while the address backs off. Run it in a transaction.
pub fn admit(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    address: &str,
    account: &str,
) -> Result<(), ApiError> {
    if locked_since(conn, account)?.is_some() {
        return Err(locked());
    }
    let row = lock_row(conn, ADDRESS, address)?;
    let now = Utc::now();
    if let Some(until) = row.blocked_until.filter(|u| *u > now) {
        let secs = (until - now).num_milliseconds().div_euclid(1000) + 1;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many failed logins from your address; wait and try again",
        )
        .with_retry_after(u32::try_from(secs).unwrap_or(u32::MAX)));
    }
    let fresh = row.window_start < now - Duration::seconds(limits.window_secs);
    let failures = if fresh { 1 } else { row.failures + 1 };
    let blocked_until = (failures > limits.free_failures)
        .then(|| now + backoff(limits, failures - limits.free_failures));
    diesel::update(login_throttle::table.find((ADDRESS, address)))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(if fresh { now } else { row.window_start }),
            login_throttle::blocked_until.eq(blocked_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// The password was right: gives the address its attempt back and clears
/// the account's failures. Run it in a transaction.
pub fn succeeded(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    address: &str,
    account: &str,
) -> Result<(), ApiError> {
    let row = lock_row(conn, ADDRESS, address)?;
    let failures = (row.failures - 1).max(0);
    diesel::update(login_throttle::table.find((ADDRESS, address)))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::blocked_until.eq(if failures > limits.free_failures {
                row.blocked_until
            } else {
                None
            }),
        ))
        .execute(conn)?;
    diesel::delete(
        login_throttle::table
            .find((ACCOUNT, account))
            .filter(login_throttle::locked_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// The password was wrong: counts a failure of `account`; at
/// `lock_after` failures within a day the account is locked (returns
/// true when this failure locked it). Run it in a transaction.
pub fn failed(
    conn: &mut PgConnection,
    limits: &LoginLimits,
    account: &str,
) -> Result<bool, ApiError> {
    let row = lock_row(conn, ACCOUNT, account)?;
    let now = Utc::now();
    let fresh = row.window_start < now - Duration::seconds(ACCOUNT_WINDOW_SECS);
    let failures = if fresh { 1 } else { row.failures + 1 };
    let lock_now =
        row.locked_at.is_none() && limits.lock_after > 0 && failures >= limits.lock_after;
    diesel::update(login_throttle::table.find((ACCOUNT, account)))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::window_start.eq(if fresh { now } else { row.window_start }),
            login_throttle::locked_at.eq(if lock_now { Some(now) } else { row.locked_at }),
        ))
        .execute(conn)?;
    Ok(lock_now)
}

/// When the login name `email` was locked, if it is.
pub fn locked_since(conn: &mut PgConnection, email: &str) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(login_throttle::table
        .find((ACCOUNT, email))
        .select(login_throttle::locked_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .optional()?
        .flatten())
}

/// Lifts the lock of the login name `email` and forgets its failures;
/// true if it was locked.
pub fn unlock(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    let was = locked_since(conn, email)?.is_some();
    diesel::delete(login_throttle::table.find((ACCOUNT, email))).execute(conn)?;
    Ok(was)
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
