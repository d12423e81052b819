//! Database access: the r2d2 pool, embedded migrations, and the one helper
//! through which every transaction runs (named, traced, retried on
//! serialization failure and deadlock, always off the async executor).

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::http::error::ApiError;

/// The connection pool.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;
/// One pooled connection.
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// The SQL migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// How often a transaction is retried after a serialization failure or deadlock.
const MAX_ATTEMPTS: u32 = 8;

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
    let pool = pool.clone();
    let span = tracing::Span::current();
    actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get().map_err(ApiError::from_pool)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// Runs `f` in one database transaction named `name`, on the blocking thread
/// pool, retrying the whole transaction when PostgreSQL reports a
/// serialization failure or deadlock (or `f` marks its error retryable).
pub async fn run_tx<T, F>(pool: &PgPool, name: &'static str, f: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let span = tracing::info_span!("db_tx", tx = name);
    actix_web::web::block(move || {
        let _entered = span.enter();
        let mut conn = pool.get().map_err(ApiError::from_pool)?;
        run_tx_sync(&mut conn, name, &f)
    })
    .await
    .map_err(|e| ApiError::internal(format!("blocking task failed: {e}")))?
}

/// The synchronous core of [`run_tx`], for callers already off the executor.
pub fn run_tx_sync<T, F>(conn: &mut PgConnection, name: &'static str, f: F) -> Result<T, ApiError>
where
    F: Fn(&mut PgConnection) -> Result<T, ApiError>,
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
