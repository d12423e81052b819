//! Database access: the r2d2 pool, embedded migrations, and the helpers
//! through which handlers answering `ApiError` reach the store (named,
//! traced transactions, retried on serialization failure and deadlock,
//! always off the async executor). Services use `store::tx` directly with
//! their own error types.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::http::error::ApiError;
use crate::store::tx;
pub use crate::store::tx::PgPool;

/// One pooled connection.
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// The SQL migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Builds a pool of `size` connections to `url`.
pub fn build_pool(url: &str, size: u32) -> anyhow::Result<PgPool> {
    let manager = ConnectionManager::<PgConnection>::new(url);
    Ok(Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?)
}

/// Applies every pending migration.
pub fn run_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied.iter().map(|m| m.to_string()).collect())
}

/// Runs `f` on a pooled connection on the blocking thread pool, outside any transaction.
pub async fn with_conn<T, F>(pool: &PgPool, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tx::with_conn(pool, f).await
}

/// Runs `f` in one database transaction named `name`, on the blocking thread
/// pool, retrying the whole transaction when PostgreSQL reports a
/// serialization failure or deadlock (or `f` marks its error retryable).
pub async fn run_tx<T, F>(pool: &PgPool, name: &'static str, f: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    tx::run_tx(pool, name, f).await
}

/// The synchronous core of [`run_tx`], for callers already off the executor.
pub fn run_tx_sync<T, F>(conn: &mut PgConnection, name: &'static str, f: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError>,
{
    tx::run_tx_sync(conn, name, f)
}
