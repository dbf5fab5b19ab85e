//! The per-dialect seam (sqlx's `Migrate` trait, reshaped): the lock, the tracking table's DDL and queries, raw
//! statement execution and manual transactions, implemented once per connection type in `sqlite.rs`,
//! `postgres.rs` and `mysql.rs`. Everything above it (`migrator.rs`, `apply.rs`) is written once, generically.
//!
//! Every method returns a `Send` future so that a migrator run can be spawned on a multi-threaded runtime.

use std::future::Future;
use std::time::Duration;

use driftless_core::Dialect;
use driftless_core::data::Value;

use crate::error::Error;
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::{NewRow, TrackingTable};

/// One database connection the migrator drives for a whole run.
pub(crate) trait DialectConnection: Send {
    /// The dialect.
    const DIALECT: Dialect;

    /// What holding the lock takes (a key to release, or a guard that releases on drop).
    type Lock: Send;

    /// Takes the migration lock, waiting at most `timeout`.
    fn lock(
        &mut self,
        table: &TrackingTable,
        timeout: Duration,
    ) -> impl Future<Output = Result<Self::Lock, Error>> + Send;

    /// Releases the lock.
    fn unlock(&mut self, lock: Self::Lock) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether another migrator holds the lock right now: one attempt without waiting, released at once.
    fn lock_held(&mut self, table: &TrackingTable) -> impl Future<Output = Result<bool, Error>> + Send {
        async move {
            match self.lock(table, Duration::ZERO).await {
                Ok(lock) => self.unlock(lock).await.map(|()| false),
                Err(Error::LockTimeout { .. }) => Ok(true),
                Err(e) => Err(e),
            }
        }
    }

    /// Creates the tracking table if it does not exist, and adds the columns later versions added to one that does
    /// (`backfill_key`).
    fn ensure_table(&mut self, table: &TrackingTable) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Whether the tracking table exists (read-only operations do not create it).
    fn table_exists(&mut self, table: &TrackingTable) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    /// Every row of the tracking table, in the order they were recorded.
    fn applied(
        &mut self,
        table: &TrackingTable,
    ) -> impl Future<Output = Result<Vec<AppliedMigration>, sqlx::Error>> + Send;

    /// Runs one statement (or a script of several, for hand-written SQL).
    fn execute(&mut self, sql: &str) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Starts a transaction that holds the write lock from the start (SQLite: `BEGIN IMMEDIATE`).
    fn begin(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Commits.
    fn commit(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Rolls back.
    fn rollback(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Inserts a row (applied now, UTC).
    fn insert_row(
        &mut self,
        table: &TrackingTable,
        row: &NewRow<'_>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Deletes a migration's row.
    fn delete_row(&mut self, table: &TrackingTable, name: &str)
    -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Records step-by-step progress: the row is dirty in `direction` with `done` of `total` statements completed,
    /// and `failed` is the statement that failed, if one did.
    fn set_progress(
        &mut self,
        table: &TrackingTable,
        name: &str,
        direction: Direction,
        done: i64,
        total: i64,
        failed: Option<&str>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Marks a row clean (completely applied), with its duration and current checksum.
    fn finish_row(
        &mut self,
        table: &TrackingTable,
        name: &str,
        duration_ms: i64,
        checksum: &str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// SQLite: whether foreign keys are enforced on this connection (`true` elsewhere).
    fn foreign_keys(&mut self) -> impl Future<Output = Result<bool, sqlx::Error>> + Send {
        async { Ok(true) }
    }

    /// SQLite: switches foreign-key enforcement (a no-op elsewhere). Has no effect inside a transaction.
    fn set_foreign_keys(&mut self, _on: bool) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        async { Ok(()) }
    }

    /// Runs a read-only query whose columns are all text (or NULL), as data probes are written, and returns its
    /// rows.
    fn fetch_text(&mut self, sql: &str) -> impl Future<Output = Result<Vec<Vec<Option<String>>>, sqlx::Error>> + Send;

    /// SQLite: the tables holding rows that violate a foreign key (`PRAGMA foreign_key_check`); empty elsewhere.
    fn foreign_key_check(&mut self) -> impl Future<Output = Result<Vec<String>, sqlx::Error>> + Send {
        async { Ok(Vec::new()) }
    }

    /// PostgreSQL: whether an index named `name`, visible on the search path, is INVALID (`pg_index.indisvalid`
    /// false: left by an interrupted `CREATE INDEX CONCURRENTLY`); `false` elsewhere.
    fn invalid_index(&mut self, _name: &str) -> impl Future<Output = Result<bool, sqlx::Error>> + Send {
        async { Ok(false) }
    }

    /// Runs a query whose columns are all text (or NULL), binding `params` as text in order, and returns its rows.
    fn fetch_text_bound(
        &mut self,
        sql: &str,
        params: &[String],
    ) -> impl Future<Output = Result<Vec<Vec<Option<String>>>, sqlx::Error>> + Send;

    /// Runs a query returning one integer (a `COUNT(*)`), binding `params` as text in order.
    fn fetch_count(&mut self, sql: &str, params: &[String]) -> impl Future<Output = Result<i64, sqlx::Error>> + Send;

    /// Runs one statement, binding `params` as text in order, and returns the rows it changed.
    fn execute_bound(&mut self, sql: &str, params: &[String]) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs one statement with `?` placeholders (numbered for PostgreSQL) bound to `params`, for a Rust data step;
    /// returns the rows it changed.
    fn execute_values(&mut self, sql: &str, params: &[Value]) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Runs a query with `?` placeholders bound to `params`, for a Rust data step; returns its rows as values.
    fn fetch_values(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Vec<Value>>, sqlx::Error>> + Send;

    /// The last key a backfill of migration `name` recorded (`backfill_key`, see `backfill.rs`), if one is running.
    fn backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send;

    /// Whether the tracking table has the `backfill_key` column (a table made by an older driftless may not; only
    /// `ensure_table` adds it, read-only commands do not).
    fn has_backfill_key(&mut self, table: &TrackingTable) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;

    /// [`backfill_key`](Self::backfill_key) for a reader that did not run `ensure_table` (`migrate-status`): `None`
    /// on a tracking table from before that column, where no backfill can have recorded a key.
    fn recorded_backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, sqlx::Error>> + Send {
        async move {
            if !self.has_backfill_key(table).await? {
                return Ok(None);
            }
            self.backfill_key(table, name).await
        }
    }

    /// Records (or, with `None`, clears) the last key of a backfill of migration `name`.
    fn set_backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
        key: Option<&str>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// SQLite: every trigger as `(name, table, CREATE text)`, in creation order; empty elsewhere.
    fn sqlite_triggers(&mut self) -> impl Future<Output = Result<Vec<(String, String, String)>, sqlx::Error>> + Send {
        async { Ok(Vec::new()) }
    }
}
