//! driftless-migrate: the runtime migrator. It applies and rolls back driftless migrations on SQLite, PostgreSQL and
//! MySQL/MariaDB through sqlx, and records what it did in a tracking table.
//!
//! ```no_run
//! # async fn demo(migrations: Vec<driftless_core::migration::Migration>) -> Result<(), driftless_migrate::Error> {
//! let migrator = driftless_migrate::Migrator::connect("sqlite://app.db?mode=rwc", migrations).await?;
//! let report = migrator.migrate().await?;
//! println!("{}", report.summary());
//! # Ok(()) }
//! ```
//!
//! # Why it is shaped like this
//!
//! The shape is sqlx's own migrator (`sqlx-core/src/migrate/`), because its order of operations is the one that has
//! survived production: **lock → ensure the tracking table → refuse if a migration is dirty → validate the applied
//! migrations against the registry (missing, edited, out of order) → refuse unacknowledged dangerous migrations →
//! apply → unlock.** What differs, and why:
//!
//! - Migrations come from the registry (the journal), in its order, never from scanning a folder, and they are
//!   data ([`driftless_core::migration::Migration`]): the SQL is rendered per dialect when it runs, and the checksum
//!   covers the normalised steps, not the text.
//! - Batches: `migrate` applies everything pending as one batch and `down` reverts the last batch, so a deploy that
//!   applied three migrations is rolled back as one unit.
//! - SQLite gets a real lock. sqlx's SQLite lock is a no-op, so two replicas starting at once both apply the same
//!   migration. Here a migrator holds an exclusive OS file lock beside the database file for the whole run (released
//!   by the kernel if the process dies), and each migration runs in its own `BEGIN IMMEDIATE` transaction.
//! - MySQL/MariaDB commit every DDL statement implicitly, so a migration cannot be atomic there. The migrator records
//!   progress statement by statement, leaves the row *dirty* when a statement fails, names that statement, and
//!   refuses to run until someone resolves it (`migrate-resolve`).
//!
//! The pieces, one concept per file: [`Migrator`] (`migrator.rs`) holds the configuration and the operations;
//! `backend.rs` is the per-dialect seam that `sqlite.rs`, `postgres.rs` and `mysql.rs` implement; `lock.rs`,
//! `validate.rs`, `plan.rs` (steps → statements), `apply.rs` (transactions and progress), [`Progress`] (what the
//! caller is told while a run works), [`outcome`] (what an operation returns) and [`Error`] (`error.rs`).
//!
//! # Quiet by default
//!
//! The library writes nothing to stdout or stderr and reads no environment variable on its own. It emits
//! [`tracing`](https://docs.rs/tracing) events (target `driftless_migrate`: the lock wait, each migration applied
//! or reverted, warnings, the summary), calls the [`Progress`] the caller installs, and applies the production
//! guard only for an environment the caller names ([`Migrator::environment`]). The only functions that read the
//! process environment say so in their name and are called explicitly: [`Migrator::from_env`] and
//! [`Database::from_env`] (`DATABASE_URL`).
//!
//! Architecture Invariant: the migrator never panics on user input, and a refusal changes nothing in the database.
//!
//! # Features
//!
//! `sqlite`, `postgres` and `mysql` (all on by default) compile sqlx's driver for each database; an application
//! that uses one database enables only its feature (`default-features = false, features = ["sqlite"]`) and builds
//! only that driver. [`Database::connect`] on a URL for a disabled driver fails with
//! [`Error::DriverNotEnabled`].
#![deny(missing_docs)]

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "driftless-migrate needs at least one database driver: enable its `sqlite`, `postgres` or `mysql` feature \
     (through driftless or driftless-cli, which pass them on)"
);

mod abandon;
mod apply;
mod backfill;
mod connection;
pub mod contract_file;
mod data;
mod database;
pub mod dry_run;
mod error;
pub mod expand_contract;
mod guard;
mod lock;
mod migrator;
#[cfg(feature = "mysql")]
mod mysql;
pub mod online;
mod online_mysql;
mod online_mysql_fk;
mod online_mysql_shadow;
pub mod outcome;
mod plan;
#[cfg(feature = "postgres")]
mod postgres;
mod probes;
mod progress;
mod redact;
mod resume;
mod resume_mysql;
pub mod script;
mod shadow_setting;
#[cfg(feature = "sqlite")]
mod sqlite;
mod status;
pub mod testing;
mod tracking;
mod validate;

pub use database::{CONNECT_TIMEOUT, DEFAULT_DATABASE_URL, Database};
pub use error::{BackfillFailure, Error, ProbeFinding};
pub use guard::{ENV_VARS, environment_from};
pub use migrator::{DEFAULT_LOCK_TIMEOUT, DEFAULT_TABLE, Migrator, migrate_on_startup};
pub use outcome::{AlgorithmUsed, AppliedMigration, Direction, Operation, Problem, Report, Status};
pub use progress::{BackfillProgress, NoProgress, Progress};
pub use redact::redact;
