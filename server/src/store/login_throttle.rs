//! Failed-login counters: one row per client address and per login name
//! (`scope`, `key`), with the window they count over, the address's
//! backoff and the account's lock.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::login_throttle;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Failures from one client address.
    Address,
    /// Failures of one login name.
    Account,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Account => "account",
        }
    }
}

/// A counter row.
#[derive(Debug, Queryable)]
pub struct Counter {
    /// Failures in the current window.
    pub failures: i32,
    /// When the current window started.
    pub window_start: DateTime<Utc>,
    /// Until when an address must wait.
    pub blocked_until: Option<DateTime<Utc>>,
    /// When an account was locked.
    pub locked_at: Option<DateTime<Utc>>,
}

/// Locks (creating it if needed) the counter of `scope`/`key`.
pub fn lock(conn: &mut PgConnection, scope: Scope, key: &str) -> QueryResult<Counter> {
    diesel::insert_into(login_throttle::table)
        .values((
            login_throttle::scope.eq(scope.as_str()),
            login_throttle::key.eq(key),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    login_throttle::table
        .find((scope.as_str(), key))
        .select((
            login_throttle::failures,
            login_throttle::window_start,
            login_throttle::blocked_until,
            login_throttle::locked_at,
        ))
        .for_update()
        .first(conn)
}

/// Stores the counter of `scope`/`key`.
pub fn store(conn: &mut PgConnection, scope: Scope, key: &str, c: &Counter) -> QueryResult<()> {
    diesel::update(login_throttle::table.find((scope.as_str(), key)))
        .set((
            login_throttle::failures.eq(c.failures),
            login_throttle::window_start.eq(c.window_start),
            login_throttle::blocked_until.eq(c.blocked_until),
            login_throttle::locked_at.eq(c.locked_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the failures of login name `account` unless it is locked.
pub fn clear_unlocked(conn: &mut PgConnection, account: &str) -> QueryResult<()> {
    diesel::delete(
        login_throttle::table
            .find((Scope::Account.as_str(), account))
            .filter(login_throttle::locked_at.is_null()),
    )
    .execute(conn)?;
    Ok(())
}

/// When the login name `email` was locked, if it is.
pub fn locked_since(conn: &mut PgConnection, email: &str) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(login_throttle::table
        .find((Scope::Account.as_str(), email))
        .select(login_throttle::locked_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .optional()?
        .flatten())
}

/// Lifts the lock of the login name `email` and forgets its failures;
/// true if it was locked.
pub fn unlock(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    let was = locked_since(conn, email)?.is_some();
    diesel::delete(login_throttle::table.find((Scope::Account.as_str(), email))).execute(conn)?;
    Ok(was)
}
