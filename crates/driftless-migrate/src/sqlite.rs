//! SQLite: the tracking table's DDL and queries, `BEGIN IMMEDIATE` transactions, the foreign-key pragmas, and the
//! lock (an exclusive OS file lock on a lock file beside the database file, see `lock.rs`).
//!
//! Tracking table:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "driftless_migrations" (
//!     "id" INTEGER PRIMARY KEY AUTOINCREMENT,
//!     "name" TEXT NOT NULL UNIQUE,
//!     "batch" INTEGER NOT NULL,
//!     "checksum" TEXT NOT NULL,
//!     "class" TEXT NOT NULL,
//!     "applied_at" TEXT NOT NULL,            -- UTC, RFC 3339 with milliseconds
//!     "duration_ms" INTEGER NOT NULL DEFAULT 0,
//!     "dirty" TEXT NULL,                     -- NULL, or 'up'/'down': a run in that direction did not finish
//!     "statements_done" INTEGER NOT NULL DEFAULT 0,
//!     "statements_total" INTEGER NOT NULL DEFAULT 0,
//!     "failed_statement" TEXT NULL,
//!     "backfill_key" TEXT NULL               -- a running backfill's last key (JSON array of text), see backfill.rs
//! )
//! ```
//!
//! `backfill_key` came later: `ensure_table` adds it to a tracking table that lacks it.

use std::time::Duration;

use driftless_core::Dialect;
use driftless_core::data::Value;
use sqlx::{AssertSqlSafe, SqliteConnection};

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::lock::{SqliteLock, sqlite_lock, sqlite_lock_held};
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::{NewRow, RowTuple, TrackingTable, from_tuple, select_rows};

fn ddl(t: &TrackingTable) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n    \"name\" TEXT NOT NULL \
         UNIQUE,\n    \"batch\" INTEGER NOT NULL,\n    \"checksum\" TEXT NOT NULL,\n    \"class\" TEXT NOT NULL,\n    \
         \"applied_at\" TEXT NOT NULL,\n    \"duration_ms\" INTEGER NOT NULL DEFAULT 0,\n    \"dirty\" TEXT NULL,\n    \
         \"statements_done\" INTEGER NOT NULL DEFAULT 0,\n    \"statements_total\" INTEGER NOT NULL DEFAULT 0,\n    \
         \"failed_statement\" TEXT NULL,\n    \"backfill_key\" TEXT NULL\n)",
        t.quoted
    )
}

/// The main database's file (`None` or empty in memory).
async fn database_file(conn: &mut SqliteConnection) -> Result<Option<String>, Error> {
    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_optional(&mut *conn)
        .await
        .map_err(Error::db("finding the SQLite database file"))
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

impl DialectConnection for SqliteConnection {
    const DIALECT: Dialect = Dialect::Sqlite;
    type Lock = SqliteLock;

    async fn lock(&mut self, _table: &TrackingTable, timeout: Duration) -> Result<SqliteLock, Error> {
        let file = database_file(self).await?;
        sqlite_lock(file.as_deref(), timeout).await
    }

    async fn lock_held(&mut self, _table: &TrackingTable) -> Result<bool, Error> {
        let file = database_file(self).await?;
        sqlite_lock_held(file.as_deref())
    }

    async fn unlock(&mut self, lock: SqliteLock) -> Result<(), Error> {
        drop(lock);
        Ok(())
    }

    async fn ensure_table(&mut self, table: &TrackingTable) -> Result<(), sqlx::Error> {
        self.execute(&ddl(table)).await?;
        if !self.has_backfill_key(table).await? {
            self.execute(&format!("ALTER TABLE {} ADD COLUMN \"backfill_key\" TEXT NULL", table.quoted)).await?;
        }
        Ok(())
    }

    async fn has_backfill_key(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        let has: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = 'backfill_key'")
            .bind(&table.base)
            .fetch_one(&mut *self)
            .await?;
        Ok(has > 0)
    }

    async fn table_exists(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1")
            .bind(&table.base)
            .fetch_one(&mut *self)
            .await?;
        Ok(n > 0)
    }

    async fn applied(&mut self, table: &TrackingTable) -> Result<Vec<AppliedMigration>, sqlx::Error> {
        let rows: Vec<RowTuple> =
            sqlx::query_as(AssertSqlSafe(select_rows(table, "applied_at"))).fetch_all(&mut *self).await?;
        Ok(rows.into_iter().map(from_tuple).collect())
    }

    async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut *self).await.map(drop)
    }

    async fn fetch_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        crate::probes::text_rows(sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).fetch_all(&mut *self).await?)
    }

    crate::data::bound_queries!(|sql: &str| sql.to_owned());

    async fn backfill_key(&mut self, table: &TrackingTable, name: &str) -> Result<Option<String>, sqlx::Error> {
        let sql = format!("SELECT backfill_key FROM {} WHERE name = ?1", table.quoted);
        Ok(sqlx::query_scalar(AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *self).await?.flatten())
    }

    async fn set_backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
        key: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = format!("UPDATE {} SET backfill_key = ?1 WHERE name = ?2", table.quoted);
        sqlx::query(AssertSqlSafe(sql)).bind(key).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn begin(&mut self) -> Result<(), sqlx::Error> {
        self.execute("BEGIN IMMEDIATE").await
    }

    async fn commit(&mut self) -> Result<(), sqlx::Error> {
        self.execute("COMMIT").await
    }

    async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        self.execute("ROLLBACK").await
    }

    async fn insert_row(&mut self, table: &TrackingTable, row: &NewRow<'_>) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO {} (name, batch, checksum, class, applied_at, duration_ms, dirty, statements_total) \
             VALUES (?1, ?2, ?3, ?4, {NOW}, ?5, ?6, ?7)",
            table.quoted
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(row.name)
            .bind(row.batch)
            .bind(row.checksum)
            .bind(row.class)
            .bind(row.duration_ms)
            .bind(row.dirty.map(Direction::as_str))
            .bind(row.statements_total)
            .execute(&mut *self)
            .await
            .map(drop)
    }

    async fn delete_row(&mut self, table: &TrackingTable, name: &str) -> Result<(), sqlx::Error> {
        let sql = format!("DELETE FROM {} WHERE name = ?1", table.quoted);
        sqlx::query(AssertSqlSafe(sql)).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn set_progress(
        &mut self,
        table: &TrackingTable,
        name: &str,
        direction: Direction,
        done: i64,
        total: i64,
        failed: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = format!(
            "UPDATE {} SET dirty = ?1, statements_done = ?2, statements_total = ?3, failed_statement = ?4 \
             WHERE name = ?5",
            table.quoted
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(direction.as_str())
            .bind(done)
            .bind(total)
            .bind(failed)
            .bind(name)
            .execute(&mut *self)
            .await
            .map(drop)
    }

    async fn finish_row(
        &mut self,
        table: &TrackingTable,
        name: &str,
        duration_ms: i64,
        checksum: &str,
    ) -> Result<(), sqlx::Error> {
        let sql = format!(
            "UPDATE {} SET dirty = NULL, duration_ms = ?1, checksum = ?2, statements_done = statements_total, \
             failed_statement = NULL, backfill_key = NULL WHERE name = ?3",
            table.quoted
        );
        sqlx::query(AssertSqlSafe(sql)).bind(duration_ms).bind(checksum).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn foreign_keys(&mut self) -> Result<bool, sqlx::Error> {
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *self).await?;
        Ok(on != 0)
    }

    async fn set_foreign_keys(&mut self, on: bool) -> Result<(), sqlx::Error> {
        self.execute(if on { "PRAGMA foreign_keys = ON" } else { "PRAGMA foreign_keys = OFF" }).await
    }

    async fn foreign_key_check(&mut self) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_check ORDER BY 1")
            .fetch_all(&mut *self)
            .await
    }

    async fn sqlite_triggers(&mut self) -> Result<Vec<(String, String, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid",
        )
        .fetch_all(&mut *self)
        .await
    }
}
