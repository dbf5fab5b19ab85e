//! Helpers for an application's own tests: a fresh in-memory SQLite database with every migration applied, and
//! the SQL a migration runs, for snapshots.

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::render::{RenderedMigration, Statement};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::error::Error;
use crate::migrator::Migrator;
use crate::progress::ProgressMode;
use crate::report::Direction;

/// A new in-memory SQLite database, private to the returned pool, with `migrations` applied (quietly). The
/// database lives as long as the pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), driftless_migrate::Error> {
/// use driftless_core::migration::{Class, Migration};
/// use driftless_core::step::{DialectSql, Step};
///
/// let create = Step::RawSql { sql: DialectSql { default: Some("CREATE TABLE t (id INTEGER)".into()), ..Default::default() }, effect: None };
/// // Hand-written SQL is at least review_required, and its label must say so.
/// let m = Migration::new("m1_t").class(Class::ReviewRequired).up([create]);
/// let pool = driftless_migrate::testing::sqlite_memory([m]).await?;
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

/// The SQL the migrator runs for the migration named `name` (its full name) of `registry` in `direction` on
/// `dialect`, as a script for people to read (the form `migrate-sql` prints). It comes from the same planning the
/// migrator does before it applies anything (the registry replayed in memory, then rendered), so a snapshot of it
/// is what runs.
///
/// ```
/// use driftless_core::Dialect;
/// use driftless_core::migration::prelude::*;
/// use driftless_migrate::Direction;
///
/// let registry = [Migration::new("m1_t").up([raw_sql(sql("CREATE TABLE t (id INTEGER)"))])];
/// let sql = driftless_migrate::testing::migration_sql(&registry, "m1_t", Direction::Up, Dialect::Sqlite).unwrap();
/// assert_eq!(sql, "CREATE TABLE t (id INTEGER);\n");
/// ```
pub fn migration_sql(
    registry: &[Migration],
    name: &str,
    direction: Direction,
    dialect: Dialect,
) -> Result<String, Error> {
    let Some(index) = registry.iter().position(|m| m.name == name) else {
        return Err(Error::Render {
            name: name.to_owned(),
            direction,
            dialect,
            reason: format!(
                "it is not in the registry ({} migration(s)); pass a migration's full name",
                registry.len()
            ),
        });
    };
    let plan = crate::plan::plans(registry, &[(index, direction)], dialect)?.pop().unwrap_or_default();
    let rendered = RenderedMigration {
        dialect,
        statements: plan
            .statements
            .into_iter()
            .map(|s| Statement { sql: s.sql, transactional: s.transactional, step: 0 })
            .collect(),
        sqlite_foreign_keys_off: plan.sqlite_foreign_keys_off,
    };
    Ok(rendered.script())
}
