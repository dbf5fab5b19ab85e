//! Helpers for tests: a fresh in-memory SQLite database with every migration applied, the SQL a migration runs
//! (for snapshots), and one rendered migration applied through the migrator's own apply code.

use driftless_core::Dialect;
use driftless_core::migration::Migration;
use driftless_core::render::RenderedMigration;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::database::Database;
use crate::error::Error;
use crate::migrator::Migrator;
use crate::outcome::Direction;
use crate::script::View;

/// A new in-memory SQLite database, private to the returned pool, with `migrations` applied. The
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
#[cfg(feature = "sqlite")]
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
    Migrator::new(pool.clone(), migrations).migrate().await?;
    Ok(pool)
}

/// The SQL the migrator runs for the migration named `name` (its full name) of `registry` in `direction` on
/// `dialect`, as a script for people to read (the form `migrate-sql` prints): the statements `migrate` runs with
/// its defaults (online on PostgreSQL and MySQL unless the migration says `.online(false)`), unit by unit, each unit
/// after a comment saying whether it runs in a transaction and each statement after a comment naming the lock it
/// takes (see [`crate::script`]). It comes from the same planning the migrator does before it applies anything (the
/// registry replayed in memory, then rendered), so a snapshot of it is what runs. [`migration_sql_plain`] gives the
/// plain SQL; [`crate::script::migration_script`] takes the project's online setting too.
///
/// ```
/// use driftless_core::Dialect;
/// use driftless_core::migration::prelude::*;
/// use driftless_migrate::Direction;
///
/// let registry = [Migration::new("m1_t").up([raw_sql(sql("CREATE TABLE t (id INTEGER)"))])];
/// let sql = driftless_migrate::testing::migration_sql(&registry, "m1_t", Direction::Up, Dialect::Postgres).unwrap();
/// assert_eq!(
///     sql,
///     "-- unit 1 of 1: in one transaction, with the tracking-table row\n\
///      -- lock: unknown (hand-written SQL) (blocking)\n\
///      CREATE TABLE t (id INTEGER);\n"
/// );
/// ```
pub fn migration_sql(
    registry: &[Migration],
    name: &str,
    direction: Direction,
    dialect: Dialect,
) -> Result<String, Error> {
    crate::script::migration_script(registry, name, direction, dialect, View::AsRun { online: true })
}

/// [`migration_sql`] without the migrator's online forms and units: the plain rendering of the steps, one script
/// (statements that must run outside a transaction and SQLite's foreign-key pragmas marked with comments), as
/// `migrate-sql --plain` prints it.
///
/// ```
/// use driftless_core::Dialect;
/// use driftless_core::migration::prelude::*;
/// use driftless_migrate::Direction;
///
/// let registry = [Migration::new("m1_t").up([raw_sql(sql("CREATE TABLE t (id INTEGER)"))])];
/// let sql = driftless_migrate::testing::migration_sql_plain(&registry, "m1_t", Direction::Up, Dialect::Sqlite);
/// assert_eq!(sql.unwrap(), "CREATE TABLE t (id INTEGER);\n");
/// ```
pub fn migration_sql_plain(
    registry: &[Migration],
    name: &str,
    direction: Direction,
    dialect: Dialect,
) -> Result<String, Error> {
    crate::script::migration_script(registry, name, direction, dialect, View::Plain)
}

/// Applies one already-rendered migration that is not in a registry to `db`, through the migrator's own apply
/// code: under the migration lock, with exactly the transaction rules `migrate` uses for each migration (SQLite:
/// `BEGIN IMMEDIATE`, with foreign keys switched off before it and `PRAGMA foreign_key_check` before `COMMIT` when
/// the migration asks for it; PostgreSQL: one transaction, or statement by statement with progress recorded when a
/// statement must run outside one; MySQL: statement by statement), and recorded in the tracking table under `name`
/// (which must not be recorded yet). The registry is neither read nor validated.
///
/// It exists so that tests of the renderer against real databases run the statements the way the migrator does,
/// instead of a copy of its transaction handling. An application applies its registry with
/// [`Migrator::migrate`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), driftless_migrate::Error> {
/// use driftless_core::render::render_steps;
/// use driftless_core::schema::{Column, ColumnType, Schema, Table};
/// use driftless_core::{Dialect, step::Step};
///
/// let pool = driftless_migrate::testing::sqlite_memory([]).await?;
/// let mut table = Table::new("t");
/// table.columns.push(Column::new("id", ColumnType::BigInt));
/// let rendered = render_steps(&[Step::CreateTable { table }], Dialect::Sqlite, &Schema::empty()).unwrap();
/// driftless_migrate::testing::apply_rendered(&pool.clone().into(), "create_t", &rendered).await?;
/// let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&pool).await.unwrap();
/// assert_eq!(n, 0);
/// # Ok(()) }
/// ```
pub async fn apply_rendered(db: &Database, name: &str, rendered: &RenderedMigration) -> Result<(), Error> {
    Migrator::new(db.clone(), []).apply_rendered(name, rendered).await.map(drop)
}
