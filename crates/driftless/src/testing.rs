//! Helpers for your application's own tests (feature `testing`).
//!
//! - [`schema_json`]: the canonical text of your models' schema, the same bytes `migrate-generate` writes to
//!   `snapshots/schema.json`, for `insta::assert_snapshot!`.
//! - [`migration_sql`] and [`migration_sql_all`]: the SQL a migration runs, per dialect and direction, computed by
//!   the migrator's own planning (the registry replayed in memory, then rendered), so the snapshot is what runs: the
//!   online forms on PostgreSQL and MySQL, unit by unit, with each unit's transaction and each statement's lock;
//!   [`migration_sql_plain`] gives the plain SQL of the steps.
//! - [`sqlite`], [`postgres`], [`mysql`]: a fresh database per test with every migration applied, like
//!   `#[sqlx::test]`. The handle derefs to the sqlx pool and removes the database when dropped (or, reporting
//!   failures, on [`TestDatabase::close`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), driftless::testing::Error> {
//! use driftless::migration::prelude::*;
//! use driftless::testing::{Dialect, Direction};
//!
//! let migrations = vec![
//!     Migration::new("m20260101_090000_init")
//!         .up([create_table(table("tags").with_column(column("name", ColumnType::Text)))])
//!         .down([drop_table(table("tags").with_column(column("name", ColumnType::Text)))]),
//! ];
//! let sql = driftless::testing::migration_sql(&migrations, "init", Dialect::Postgres, Direction::Up)?;
//! assert_eq!(
//!     sql,
//!     "-- m20260101_090000_init (up, postgres)\n\
//!      -- unit 1 of 1: in one transaction, with the tracking-table row\n\
//!      -- lock: none on existing tables (new object) (online)\n\
//!      CREATE TABLE \"tags\" ( \"name\" TEXT NOT NULL );\n"
//! );
//! let plain = driftless::testing::migration_sql_plain(&migrations, "init", Dialect::Postgres, Direction::Up)?;
//! assert_eq!(plain, "-- m20260101_090000_init (up, postgres, plain)\nCREATE TABLE \"tags\" ( \"name\" TEXT NOT NULL );\n");
//!
//! let db = driftless::testing::sqlite(migrations).await?;
//! let n: i64 = driftless::sqlx::query_scalar("SELECT COUNT(*) FROM tags").fetch_one(db.pool()).await.unwrap();
//! assert_eq!(n, 0);
//! # Ok(()) }
//! ```
//!
//! # Servers
//!
//! [`postgres`] and [`mysql`] create a uniquely named database on the server named by `DRIFTLESS_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`) or `DRIFTLESS_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`). When the server cannot be reached they print a `SKIPPED: ...` line and
//! return `Ok(None)`, so the test can return early; with `DRIFTLESS_REQUIRE_DBS=1` (for CI) they panic instead, so
//! a suite can never pass by skipping.

use std::fmt;
use std::ops::Deref;
use std::time::Duration;

use driftless_core::migration::Migration;
use driftless_core::schema::{SchemaBuilder, SchemaErrors};
use driftless_migrate::Migrator;
use driftless_testdb::{Backend, TestDb};
#[cfg(feature = "mysql")]
use sqlx::mysql::{MySql, MySqlPoolOptions};
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgPoolOptions, Postgres};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::Sqlite;
use sqlx::{Pool, pool::PoolOptions};

pub use driftless_core::Dialect;
pub use driftless_migrate::Direction;

/// What can go wrong in a test helper; each message names the migration or database and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No migration has this name (in full, or the part after the timestamp).
    #[error(
        "no migration named `{name}` among the {count} migration(s) given; pass its full name \
         (m<timestamp>_<name>) or the part after the timestamp"
    )]
    UnknownMigration {
        /// The name asked for.
        name: String,
        /// How many migrations were given.
        count: usize,
    },
    /// Several migrations share the short name asked for.
    #[error("`{name}` matches several migrations ({}); pass the full name", matches.join(", "))]
    AmbiguousMigration {
        /// The name asked for.
        name: String,
        /// The full names it matches.
        matches: Vec<String>,
    },
    /// The test database could not be opened.
    #[error("cannot connect to the test database {name}: {source}")]
    Connect {
        /// The database.
        name: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The migrator failed: rendering, applying or refusing a migration.
    #[error(transparent)]
    Migrate(#[from] driftless_migrate::Error),
    /// The test database could not be removed.
    #[error("could not remove the test database {name}: {reason}; drop it by hand")]
    Remove {
        /// The database.
        name: String,
        /// Why.
        reason: String,
    },
}

/// The canonical `schema.json` text of `models` (`driftless::schema![...]`): sorted, pretty, with a trailing
/// newline, the same bytes `migrate-generate` writes to `snapshots/schema.json`. Every problem of an invalid schema
/// is reported at once.
pub fn schema_json(models: &SchemaBuilder) -> Result<String, SchemaErrors> {
    Ok(driftless_core::snapshot::to_string(&models.build()?))
}

/// The SQL that migration `name` (its full name, or the part after the timestamp: `add_user_timezone`) of
/// `migrations` (the registry, oldest first) runs on `dialect` in `direction`, after a `-- <name> (<direction>,
/// <dialect>)` line, as `migrate` runs it with its defaults and as `migrate-sql` prints it: the online forms
/// (PostgreSQL's concurrent index builds, `NOT VALID` then `VALIDATE`, the NOT NULL recipe; MySQL's
/// `ALGORITHM=…, LOCK=…`) unless the migration says `.online(false)`, unit by unit, each unit after a `-- unit k of
/// n: …` line saying whether it runs in a transaction, each statement after a `-- lock: …` line. Statements end with
/// `;`.
pub fn migration_sql(
    migrations: &[Migration],
    name: &str,
    dialect: Dialect,
    direction: Direction,
) -> Result<String, Error> {
    let full = full_name(migrations, name)?;
    let script = driftless_migrate::testing::migration_sql(migrations, full, direction, dialect)?;
    Ok(format!("-- {full} ({}, {dialect})\n{script}", direction.as_str()))
}

/// [`migration_sql`] as the plain SQL of the steps (what drizzle-kit, Prisma or Alembic would run; `migrate-sql
/// --plain`), after a `-- <name> (<direction>, <dialect>, plain)` line: one script, statements that must run
/// outside a transaction and SQLite's foreign-key pragmas around a table rebuild marked with comments.
pub fn migration_sql_plain(
    migrations: &[Migration],
    name: &str,
    dialect: Dialect,
    direction: Direction,
) -> Result<String, Error> {
    let full = full_name(migrations, name)?;
    let script = driftless_migrate::testing::migration_sql_plain(migrations, full, direction, dialect)?;
    Ok(format!("-- {full} ({}, {dialect}, plain)\n{script}", direction.as_str()))
}

/// [`migration_sql`] for every dialect (SQLite, PostgreSQL, MySQL), `up` then `down`, separated by blank lines:
/// one snapshot per migration. A `down` that cannot be undone is shown as the migrator's refusal.
pub fn migration_sql_all(migrations: &[Migration], name: &str) -> Result<String, Error> {
    let mut sections = Vec::new();
    for dialect in Dialect::ALL {
        for direction in [Direction::Up, Direction::Down] {
            sections.push(match migration_sql(migrations, name, dialect, direction) {
                Err(Error::Migrate(e @ driftless_migrate::Error::Irreversible { .. })) => {
                    let full = full_name(migrations, name)?;
                    format!("-- {full} ({}, {dialect})\n-- {e}\n", direction.as_str())
                }
                other => other?,
            });
        }
    }
    Ok(sections.join("\n"))
}

fn full_name<'a>(migrations: &'a [Migration], name: &str) -> Result<&'a str, Error> {
    if let Some(m) = migrations.iter().find(|m| m.name == name) {
        return Ok(&m.name);
    }
    let matches: Vec<&str> = migrations
        .iter()
        .filter(|m| driftless_core::migration::short_name(&m.name) == Some(name))
        .map(|m| m.name.as_str())
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::UnknownMigration { name: name.to_owned(), count: migrations.len() }),
        _ => Err(Error::AmbiguousMigration {
            name: name.to_owned(),
            matches: matches.iter().map(|s| (*s).to_owned()).collect(),
        }),
    }
}

/// A database that exists for one test, with the migrations applied. It derefs to the sqlx pool; dropping it
/// removes the database (a server database is dropped; an in-memory SQLite one goes with its last connection).
pub struct TestDatabase<DB: sqlx::Database> {
    // Declared before `server`, so the pool's connections go before the database is dropped.
    pool: Pool<DB>,
    server: Option<TestDb>,
}

impl<DB: sqlx::Database> fmt::Debug for TestDatabase<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase").field("name", &self.name()).finish_non_exhaustive()
    }
}

impl<DB: sqlx::Database> TestDatabase<DB> {
    /// The pool on the test database.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The database's name on its server (`None` for in-memory SQLite).
    pub fn name(&self) -> Option<&str> {
        self.server.as_ref().map(TestDb::name)
    }

    /// The database's connection URL, for code under test that opens its own connections (`None` for in-memory
    /// SQLite, which only this pool's connections can see).
    pub fn url(&self) -> Option<&str> {
        self.server.as_ref().map(TestDb::url)
    }

    /// Closes the pool and removes the database now, reporting a failure (dropping does the same but can only
    /// print it).
    pub async fn close(self) -> Result<(), Error> {
        let TestDatabase { pool, server } = self;
        pool.close().await;
        match server {
            Some(db) => {
                let name = db.name().to_owned();
                db.close().await.map_err(|reason| Error::Remove { name, reason })
            }
            None => Ok(()),
        }
    }
}

impl<DB: sqlx::Database> Deref for TestDatabase<DB> {
    type Target = Pool<DB>;

    fn deref(&self) -> &Pool<DB> {
        &self.pool
    }
}

/// A fresh in-memory SQLite database, private to the returned handle, with `migrations` applied (quietly).
#[cfg(feature = "sqlite")]
pub async fn sqlite(migrations: impl IntoIterator<Item = Migration>) -> Result<TestDatabase<Sqlite>, Error> {
    let pool = driftless_migrate::testing::sqlite_memory(migrations).await?;
    Ok(TestDatabase { pool, server: None })
}

/// A fresh database on the PostgreSQL test server with `migrations` applied, or `Ok(None)` after a `SKIPPED` line
/// when the server is unavailable (a panic under `DRIFTLESS_REQUIRE_DBS=1`).
#[cfg(feature = "postgres")]
pub async fn postgres(
    migrations: impl IntoIterator<Item = Migration>,
) -> Result<Option<TestDatabase<Postgres>>, Error> {
    server(Backend::Postgres, PgPoolOptions::new(), migrations).await
}

/// A fresh database on the MySQL/MariaDB test server with `migrations` applied, or `Ok(None)` after a `SKIPPED`
/// line when the server is unavailable (a panic under `DRIFTLESS_REQUIRE_DBS=1`).
#[cfg(feature = "mysql")]
pub async fn mysql(migrations: impl IntoIterator<Item = Migration>) -> Result<Option<TestDatabase<MySql>>, Error> {
    server(Backend::Mysql, MySqlPoolOptions::new(), migrations).await
}

#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(dead_code, reason = "used by the server databases only")
)]
async fn server<DB>(
    backend: Backend,
    options: PoolOptions<DB>,
    migrations: impl IntoIterator<Item = Migration>,
) -> Result<Option<TestDatabase<DB>>, Error>
where
    DB: sqlx::Database,
    driftless_migrate::Database: From<Pool<DB>>,
{
    let Some(db) = TestDb::new(backend).await else { return Ok(None) };
    // Small, because every test has its own pool on the same server; a failed migration drops `db` on return.
    let pool = options
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .connect(db.url())
        .await
        .map_err(|source| Error::Connect { name: db.name().to_owned(), source })?;
    Migrator::new(pool.clone(), migrations).migrate().await?;
    Ok(Some(TestDatabase { pool, server: Some(db) }))
}
