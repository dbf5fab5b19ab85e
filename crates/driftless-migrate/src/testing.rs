//! Helpers for an application's own tests: a fresh in-memory SQLite database with every migration applied.

use driftless_core::migration::Migration;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::error::Error;
use crate::migrator::Migrator;
use crate::progress::ProgressMode;

/// A new in-memory SQLite database, private to the returned pool, with `migrations` applied (quietly). The
/// database lives as long as the pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), driftless_migrate::Error> {
/// use driftless_core::migration::Migration;
/// use driftless_core::step::{DialectSql, Step};
///
/// let create = Step::RawSql { sql: DialectSql { default: Some("CREATE TABLE t (id INTEGER)".into()), ..Default::default() } };
/// let pool = driftless_migrate::testing::sqlite_memory([Migration::new("m1_t").up([create])]).await?;
/// let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&pool).await.unwrap();
/// assert_eq!(n, 0);
/// # Ok(()) }
/// ```
pub async fn sqlite_memory(migrations: impl IntoIterator<Item = Migration>) -> Result<SqlitePool, Error> {
    let url = "sqlite::memory:";
    let options: SqliteConnectOptions = url.parse().map_err(|cause| Error::Connect { url: url.to_owned(), cause })?;
    // Connections to one in-memory database share it; keeping them forever keeps the database.
    let pool = SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(4)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|cause| Error::Connect { url: url.to_owned(), cause })?;
    Migrator::new(pool.clone(), migrations).progress(ProgressMode::Quiet).migrate().await?;
    Ok(pool)
}
