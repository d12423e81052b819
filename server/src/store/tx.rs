//! How the store is reached from async code: a pooled connection on the
//! blocking thread pool, and transactions retried when PostgreSQL reports a
//! serialization failure or a deadlock. Generic over the caller's error
//! type, so that services keep their own error enums (`crate::db` has the
//! same helpers for handlers that answer `ApiError`).

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::Connection;

/// The connection pool.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// How often a transaction is retried after a serialization failure or deadlock.
const MAX_ATTEMPTS: u32 = 8;

/// No connection could be had, or the blocking task running the work died:
/// what a service's error enum carries when the database was not reached.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// The pool had no connection within its timeout, or PostgreSQL refused one.
    #[error("database pool: {0}")]
    Pool(String),
    /// The blocking task panicked or was cancelled.
    #[error("blocking task failed: {0}")]
    Blocking(String),
}

/// An error a transaction may be retried for: a serialization failure or a
/// deadlock reported by PostgreSQL, or one the closure marked retryable.
pub trait Retryable {
    /// Whether [`run_tx_sync`] should run the transaction again.
    fn is_retryable(&self) -> bool;
}

/// Whether PostgreSQL answered a serialization failure or a deadlock: the
/// transaction may succeed if run again.
pub fn is_transient(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        // diesel reports SQLSTATE 40P01 as `Unknown`; PostgreSQL's message is stable.
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

/// Whether a write lost on the unique constraint `name`.
pub fn is_unique_violation(e: &diesel::result::Error, name: &str) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info
        ) if info.constraint_name() == Some(name)
    )
}

/// Runs `f` on the blocking thread pool (CPU-bound work such as proof
/// verification, kept off the async executor), in the caller's span.
pub async fn blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        f()
    })
    .await
    .map_err(|e| E::from(Unavailable::Blocking(e.to_string())))?
}

/// Runs `f` on a pooled connection on the blocking thread pool, outside
/// any transaction.
pub async fn with_conn<T, E, F>(pool: &PgPool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Unavailable> + Send + 'static,
{
    let pool = pool.clone();
    blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| E::from(Unavailable::Pool(e.to_string())))?;
        f(&mut conn)
    })
    .await
}

/// Runs `f` in one database transaction named `name`, on the blocking
/// thread pool, retrying as [`run_tx_sync`] does.
pub async fn run_tx<T, E, F>(pool: &PgPool, name: &'static str, f: F) -> Result<T, E>
where
    F: Fn(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Retryable
        + From<Unavailable>
        + From<diesel::result::Error>
        + std::fmt::Display
        + Send
        + 'static,
{
    let span = tracing::info_span!("db_tx", tx = name);
    with_conn(pool, move |conn| {
        let _entered = span.enter();
        run_tx_sync(conn, name, &f)
    })
    .await
}

/// Runs `f` in one transaction on `conn`, again (up to 8 times, with a
/// short growing pause) while it fails with a retryable error.
pub fn run_tx_sync<T, E, F>(conn: &mut PgConnection, name: &'static str, f: F) -> Result<T, E>
where
    F: Fn(&mut PgConnection) -> Result<T, E>,
    E: Retryable + From<diesel::result::Error> + std::fmt::Display,
{
    let mut attempt = 1;
    loop {
        match conn.transaction(|c| f(c)) {
            Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                tracing::debug!(tx = name, attempt, "retrying transaction: {e}");
                std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                attempt += 1;
            }
            other => return other,
        }
    }
}
