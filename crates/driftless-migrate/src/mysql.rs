//! MySQL/MariaDB: the tracking table's DDL and queries, and the lock — `GET_LOCK(name, timeout)` (the server does
//! the bounded wait), named after a stable hash of the database and tracking table, released by `RELEASE_LOCK` or
//! when the session ends.
//!
//! MySQL commits every DDL statement implicitly, so migrations never run as one transaction here: `apply.rs`
//! records progress after each statement instead.
//!
//! Tracking table:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS `driftless_migrations` (
//!     `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
//!     `name` VARCHAR(255) NOT NULL,
//!     `batch` BIGINT NOT NULL,
//!     `checksum` VARCHAR(64) NOT NULL,
//!     `class` VARCHAR(32) NOT NULL,
//!     `applied_at` DATETIME(6) NOT NULL,     -- UTC (UTC_TIMESTAMP(6))
//!     `duration_ms` BIGINT NOT NULL DEFAULT 0,
//!     `dirty` VARCHAR(8) NULL,               -- NULL, or 'up'/'down': a run in that direction did not finish
//!     `statements_done` BIGINT NOT NULL DEFAULT 0,
//!     `statements_total` BIGINT NOT NULL DEFAULT 0,
//!     `failed_statement` TEXT NULL,
//!     `backfill_key` TEXT NULL,              -- a running backfill's last key (JSON array of text), see backfill.rs
//!     UNIQUE KEY `driftless_migrations_name` (`name`)
//! ) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
//! ```
//!
//! `backfill_key` came later: `ensure_table` adds it to a tracking table that lacks it.

use std::time::{Duration, Instant};

use driftless_core::Dialect;
use driftless_core::data::Value;
use sqlx::{AssertSqlSafe, MySqlConnection};

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::lock::stable_hash;
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::{NewRow, RowTuple, TrackingTable, from_tuple, select_rows};

fn ddl(t: &TrackingTable) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n    `name` \
         VARCHAR(255) NOT NULL,\n    `batch` BIGINT NOT NULL,\n    `checksum` VARCHAR(64) NOT NULL,\n    `class` \
         VARCHAR(32) NOT NULL,\n    `applied_at` DATETIME(6) NOT NULL,\n    `duration_ms` BIGINT NOT NULL DEFAULT \
         0,\n    `dirty` VARCHAR(8) NULL,\n    `statements_done` BIGINT NOT NULL DEFAULT 0,\n    `statements_total` \
         BIGINT NOT NULL DEFAULT 0,\n    `failed_statement` TEXT NULL,\n    `backfill_key` TEXT NULL,\n    UNIQUE KEY `{}_name` (`name`)\n) \
         DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin",
        t.quoted, t.base
    )
}

const APPLIED_AT: &str = "DATE_FORMAT(applied_at, '%Y-%m-%dT%H:%i:%s.%fZ')";

impl DialectConnection for MySqlConnection {
    const DIALECT: Dialect = Dialect::Mysql;
    /// The `GET_LOCK` name.
    type Lock = String;

    async fn lock(&mut self, table: &TrackingTable, timeout: Duration) -> Result<String, Error> {
        let database: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
            .fetch_one(&mut *self)
            .await
            .map_err(Error::db("reading the current database for the migration lock"))?;
        let database = table.schema.clone().or(database).unwrap_or_default();
        // Lock names are limited to 64 characters, so the database and table go in as a hash.
        let name = format!("driftless_{:016x}", stable_hash(&["driftless", &database, &table.base]));
        let start = Instant::now();
        let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
            .bind(&name)
            .bind(seconds)
            .fetch_one(&mut *self)
            .await
            .map_err(Error::db(format!("taking the MySQL lock {name} (GET_LOCK)")))?;
        match got {
            Some(1) => Ok(name),
            _ => Err(Error::LockTimeout { lock: format!("MySQL GET_LOCK('{name}')"), waited: start.elapsed() }),
        }
    }

    async fn unlock(&mut self, name: String) -> Result<(), Error> {
        let _: Option<i64> = sqlx::query_scalar("SELECT RELEASE_LOCK(?)")
            .bind(&name)
            .fetch_one(&mut *self)
            .await
            .map_err(Error::db(format!("releasing the MySQL lock {name} (RELEASE_LOCK)")))?;
        Ok(())
    }

    async fn ensure_table(&mut self, table: &TrackingTable) -> Result<(), sqlx::Error> {
        self.execute(&ddl(table)).await?;
        // MySQL has no `ADD COLUMN IF NOT EXISTS` (MariaDB has): look first.
        if !self.has_backfill_key(table).await? {
            self.execute(&format!("ALTER TABLE {} ADD COLUMN `backfill_key` TEXT NULL", table.quoted)).await?;
        }
        Ok(())
    }

    async fn has_backfill_key(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        let has: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = COALESCE(?, DATABASE()) \
             AND table_name = ? AND column_name = 'backfill_key'",
        )
        .bind(table.schema.as_deref())
        .bind(&table.base)
        .fetch_one(&mut *self)
        .await?;
        Ok(has > 0)
    }

    async fn table_exists(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = COALESCE(?, DATABASE()) \
             AND table_name = ?",
        )
        .bind(table.schema.as_deref())
        .bind(&table.base)
        .fetch_one(&mut *self)
        .await?;
        Ok(n > 0)
    }

    async fn applied(&mut self, table: &TrackingTable) -> Result<Vec<AppliedMigration>, sqlx::Error> {
        let rows: Vec<RowTuple> =
            sqlx::query_as(AssertSqlSafe(select_rows(table, APPLIED_AT))).fetch_all(&mut *self).await?;
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
        let sql = format!("SELECT backfill_key FROM {} WHERE name = ?", table.quoted);
        Ok(sqlx::query_scalar(AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *self).await?.flatten())
    }

    async fn set_backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
        key: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = format!("UPDATE {} SET backfill_key = ? WHERE name = ?", table.quoted);
        sqlx::query(AssertSqlSafe(sql)).bind(key).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn begin(&mut self) -> Result<(), sqlx::Error> {
        self.execute("START TRANSACTION").await
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
             VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), ?, ?, ?)",
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
        let sql = format!("DELETE FROM {} WHERE name = ?", table.quoted);
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
            "UPDATE {} SET dirty = ?, statements_done = ?, statements_total = ?, failed_statement = ? WHERE name = ?",
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
            "UPDATE {} SET dirty = NULL, duration_ms = ?, checksum = ?, statements_done = statements_total, \
             failed_statement = NULL, backfill_key = NULL WHERE name = ?",
            table.quoted
        );
        sqlx::query(AssertSqlSafe(sql)).bind(duration_ms).bind(checksum).bind(name).execute(&mut *self).await.map(drop)
    }
}
