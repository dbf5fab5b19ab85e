//! PostgreSQL: the tracking table's DDL and queries, transactions, and the lock — a session-level advisory lock
//! (`pg_try_advisory_lock`, polled with back-off up to the lock timeout) keyed by a stable hash of the database,
//! schema and tracking table, released by `pg_advisory_unlock` or when the session ends (a crashed migrator's lock
//! goes with its connection).
//!
//! Tracking table:
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS "driftless_migrations" (
//!     "id" BIGSERIAL PRIMARY KEY,
//!     "name" TEXT NOT NULL UNIQUE,
//!     "batch" BIGINT NOT NULL,
//!     "checksum" TEXT NOT NULL,
//!     "class" TEXT NOT NULL,
//!     "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
//!     "duration_ms" BIGINT NOT NULL DEFAULT 0,
//!     "dirty" TEXT NULL,                     -- NULL, or 'up'/'down': a run in that direction did not finish
//!     "statements_done" BIGINT NOT NULL DEFAULT 0,
//!     "statements_total" BIGINT NOT NULL DEFAULT 0,
//!     "failed_statement" TEXT NULL,
//!     "backfill_key" TEXT NULL               -- a running backfill's last key (JSON array of text), see backfill.rs
//! )
//! ```
//!
//! `backfill_key` came later: `ensure_table` adds it to a tracking table that lacks it.

use std::time::Duration;

use driftless_core::Dialect;
use driftless_core::data::Value;
use sqlx::{AssertSqlSafe, PgConnection};

use crate::connection::DialectConnection;
use crate::error::Error;
use crate::lock::{Backoff, stable_hash};
use crate::outcome::{AppliedMigration, Direction};
use crate::tracking::{NewRow, RowTuple, TrackingTable, from_tuple, select_rows};

fn ddl(t: &TrackingTable) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    \"id\" BIGSERIAL PRIMARY KEY,\n    \"name\" TEXT NOT NULL UNIQUE,\n    \
         \"batch\" BIGINT NOT NULL,\n    \"checksum\" TEXT NOT NULL,\n    \"class\" TEXT NOT NULL,\n    \
         \"applied_at\" TIMESTAMPTZ NOT NULL DEFAULT now(),\n    \"duration_ms\" BIGINT NOT NULL DEFAULT 0,\n    \
         \"dirty\" TEXT NULL,\n    \"statements_done\" BIGINT NOT NULL DEFAULT 0,\n    \"statements_total\" BIGINT \
         NOT NULL DEFAULT 0,\n    \"failed_statement\" TEXT NULL,\n    \"backfill_key\" TEXT NULL\n)",
        t.quoted
    )
}

const APPLIED_AT: &str = "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

impl DialectConnection for PgConnection {
    const DIALECT: Dialect = Dialect::Postgres;
    /// The advisory lock key.
    type Lock = i64;

    async fn lock(&mut self, table: &TrackingTable, timeout: Duration) -> Result<i64, Error> {
        let (database, schema): (String, Option<String>) =
            sqlx::query_as("SELECT current_database()::text, current_schema()::text")
                .fetch_one(&mut *self)
                .await
                .map_err(Error::db("reading the current database for the migration lock"))?;
        let schema = table.schema.clone().or(schema).unwrap_or_default();
        let key = stable_hash(&["driftless", &database, &schema, &table.base]) as i64;
        let label = format!("PostgreSQL advisory lock {key}");
        let mut backoff = Backoff::new(&label, timeout);
        loop {
            let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut *self)
                .await
                .map_err(Error::db(format!("taking the {label}")))?;
            if taken {
                break;
            }
            backoff.wait().await?;
        }
        Ok(key)
    }

    async fn unlock(&mut self, key: i64) -> Result<(), Error> {
        let _: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .fetch_one(&mut *self)
            .await
            .map_err(Error::db(format!("releasing the PostgreSQL advisory lock {key}")))?;
        Ok(())
    }

    async fn ensure_table(&mut self, table: &TrackingTable) -> Result<(), sqlx::Error> {
        self.execute(&ddl(table)).await?;
        if !self.has_backfill_key(table).await? {
            self.execute(&format!("ALTER TABLE {} ADD COLUMN IF NOT EXISTS \"backfill_key\" TEXT NULL", table.quoted))
                .await?;
        }
        Ok(())
    }

    async fn has_backfill_key(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) \
             AND attname = 'backfill_key' AND NOT attisdropped)",
        )
        .bind(&table.quoted)
        .fetch_one(&mut *self)
        .await
    }

    async fn table_exists(&mut self, table: &TrackingTable) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL").bind(&table.quoted).fetch_one(&mut *self).await
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

    crate::data::bound_queries!(crate::data::numbered);

    async fn backfill_key(&mut self, table: &TrackingTable, name: &str) -> Result<Option<String>, sqlx::Error> {
        let sql = format!("SELECT backfill_key FROM {} WHERE name = $1", table.quoted);
        Ok(sqlx::query_scalar(AssertSqlSafe(sql)).bind(name).fetch_optional(&mut *self).await?.flatten())
    }

    async fn set_backfill_key(
        &mut self,
        table: &TrackingTable,
        name: &str,
        key: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = format!("UPDATE {} SET backfill_key = $1 WHERE name = $2", table.quoted);
        sqlx::query(AssertSqlSafe(sql)).bind(key).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn begin(&mut self) -> Result<(), sqlx::Error> {
        self.execute("BEGIN").await
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
             VALUES ($1, $2, $3, $4, now(), $5, $6, $7)",
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
        let sql = format!("DELETE FROM {} WHERE name = $1", table.quoted);
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
            "UPDATE {} SET dirty = $1, statements_done = $2, statements_total = $3, failed_statement = $4 \
             WHERE name = $5",
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
            "UPDATE {} SET dirty = NULL, duration_ms = $1, checksum = $2, statements_done = statements_total, \
             failed_statement = NULL, backfill_key = NULL WHERE name = $3",
            table.quoted
        );
        sqlx::query(AssertSqlSafe(sql)).bind(duration_ms).bind(checksum).bind(name).execute(&mut *self).await.map(drop)
    }

    async fn invalid_index(&mut self, name: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = $1 AND pg_catalog.pg_table_is_visible(c.oid) AND NOT i.indisvalid)",
        )
        .bind(name)
        .fetch_one(&mut *self)
        .await
    }
}
