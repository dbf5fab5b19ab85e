//! driftless-introspect: read a live SQLite, PostgreSQL or MySQL/MariaDB database back into the portable
//! [`Schema`], compare it with the schema the migrations promise, and check a migration history end to end.
//!
//! - [`introspect`] / [`schema_from_url`]: the database's tables (driftless's tracking table skipped), columns with
//!   portable types, nullability, defaults, auto increment, keys, indexes (partial ones included where the dialect
//!   has them), foreign keys with actions, checks and enums.
//! - [`compare`]: the dialect-aware comparison — the expected schema is brought to what the dialect can represent
//!   (MySQL has no uuid type, SQLite no enum names, ...) so a round trip compares equal, and every remaining
//!   [`Difference`] says what to do about it.
//! - [`drift`]: the live database against the schema expected after its applied migrations, computed by replaying
//!   their frozen `up` steps in memory.
//! - [`verify`]: every migration applied up and down on a scratch database, introspected after each step and
//!   compared with the replayed state.
//! - [`history`]: snapshot repair (the snapshot against the replay of the migrations) and branch conflicts (two
//!   migrations generated from the same parent snapshot).
//!
//! Why catalog queries through sqlx rather than sea-schema: sea-schema skips non-unique indexes on PostgreSQL,
//! strips quotes from SQLite defaults, reads no CHECKs on SQLite/MySQL and no partial-index predicates — each a
//! false "no drift" or a false drift. The catalogs used are named in each dialect's module and in ARCHITECTURE.md.
//!
//! Architecture Invariant: introspection only reads (`SELECT` and read-only pragmas); nothing here changes the
//! database except [`verify`], which works on the scratch database it is given.
//!
//! Features `sqlite`, `postgres`, `mysql` (all on by default) compile the reader for each database, with its sqlx
//! driver (passed on to driftless-migrate).
#![deny(missing_docs)]

mod compare;
pub mod drift;
pub mod history;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod text;
pub mod verify;

pub use compare::{Change, Difference, Object, compare, representable};
pub use drift::{Drift, ExpandInProgress, drift};
pub use verify::{VerifyFailure, VerifyReport, verify};

use driftless_core::schema::{EnumType, Schema};
use driftless_migrate::{DEFAULT_TABLE, Database};

/// Why a database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening the database failed (bad URL, server down, wrong credentials).
    #[error(transparent)]
    Connect(#[from] driftless_migrate::Error),
    /// A catalog query failed.
    #[error("could not read {what} from the database catalog: {source}; check that the user may read it")]
    Query {
        /// What was being read (`the columns of table \`users\``).
        what: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// An index with an expression that the model cannot describe: an index is over columns, or over exactly one
    /// expression on PostgreSQL and SQLite ([`driftless_core::schema::Index::expression`]); one that mixes columns
    /// and expressions, has several expressions, or is a MySQL functional index cannot be read back without
    /// misdescribing it.
    #[error(
        "index `{index}` on table `{table}` indexes an expression ({definition}), which the driftless model cannot \
         describe (an index is over columns, or over exactly one expression on PostgreSQL and SQLite); drop it, or \
         index a generated column that stores the expression, then read the schema again"
    )]
    ExpressionIndex {
        /// The table.
        table: String,
        /// The index.
        index: String,
        /// The index's SQL, as the database reports it.
        definition: String,
    },
    /// The database is of a kind introspection does not read yet.
    #[error("introspection does not support {dialect} databases yet; use sqlite, postgres or mysql")]
    UnsupportedDatabase {
        /// The dialect's name.
        dialect: &'static str,
    },
}

/// Reads the database's schema, skipping driftless's own tracking table (`driftless_migrations`).
pub async fn introspect(db: &Database) -> Result<Schema, Error> {
    introspect_skipping(db, &[DEFAULT_TABLE]).await
}

/// Reads the database's schema, skipping the named tables (a tracking table under another name).
pub async fn introspect_skipping(db: &Database, skip: &[&str]) -> Result<Schema, Error> {
    match db {
        #[cfg(feature = "sqlite")]
        Database::Sqlite(pool) => sqlite::introspect(pool, skip).await,
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => postgres::introspect(pool, skip).await,
        #[cfg(feature = "mysql")]
        Database::Mysql(pool) => mysql::introspect(pool, skip).await,
        #[allow(unreachable_patterns, reason = "`Database` may gain variants")]
        other => Err(Error::UnsupportedDatabase { dialect: other.dialect().name() }),
    }
}

/// Opens `url` (`sqlite:`, `postgres:`, `mysql:`/`mariadb:`), reads its schema and closes the connection. What
/// `migrate-diff --from <url>` / `--to <url>` calls.
pub async fn schema_from_url(url: &str) -> Result<Schema, Error> {
    let db = Database::connect(url).await?;
    let schema = introspect(&db).await;
    db.close().await;
    schema
}

/// The name an inline enum (MySQL `ENUM(...)`, SQLite `CHECK (col IN (...))`) gets: an existing enum with the same
/// values, else the column's name, else `<table>_<column>`.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "mysql")),
    allow(dead_code, reason = "used by the SQLite and MySQL readers")
)]
pub(crate) fn enum_name(enums: &mut Vec<EnumType>, table: &str, column: &str, values: Vec<String>) -> String {
    if let Some(e) = enums.iter().find(|e| e.values == values) {
        return e.name.clone();
    }
    let name = if enums.iter().any(|e| e.name == column) { format!("{table}_{column}") } else { column.to_owned() };
    enums.push(EnumType { name: name.clone(), values });
    name
}
