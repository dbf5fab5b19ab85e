//! The `orders`/`items` fixture of the expand/contract tests (`expand_contract.rs`, `expand_contract_file.rs`,
//! `expand_abandon.rs`): the tables of `driftless_core::testing::orders_items` with a `note` column each, the
//! migration creating them, the migration widening both keys to `bigint`, a seeded PostgreSQL database, the
//! lock-timeout writer and the count of shadow objects an expand leaves. Included with
//! `#[path = "common/orders.rs"] mod orders;` next to `#[path = "common/pg_db.rs"] mod pg_db;`.
#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, Table};
use driftless_core::testing::orders_items;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

pub use crate::pg_db::Db;
use crate::pg_db::seeded_with;

pub use driftless_core::testing::orders_items::{CREATE, WIDEN, items as items_without_note};

/// `orders (id, note)`.
pub fn orders(ty: ColumnType) -> Table {
    orders_items::orders(ty).with_column(column("note", ColumnType::Text))
}

/// `items (id, order_id, note)`.
pub fn items(ty: ColumnType) -> Table {
    items_without_note(ty).with_column(column("note", ColumnType::Text))
}

/// `CREATE`: both tables with `integer` keys.
pub fn create() -> Migration {
    Migration::new(CREATE)
        .up([create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))])
        .down([drop_table(items(ColumnType::Integer)), drop_table(orders(ColumnType::Integer))])
}

/// `WIDEN`: `orders.id` and `items.order_id` from `integer` to `bigint` (the two frozen `alter_column` steps).
pub fn widen(online: bool) -> Migration {
    widen_default().online(online)
}

/// `WIDEN` without `.online(…)` (the migrator's default).
pub fn widen_default() -> Migration {
    Migration::new(WIDEN).class(Class::ReviewRequired).up(orders_items::widen_up()).down(orders_items::widen_down())
}

/// A PostgreSQL test database with `CREATE` applied and `seed` run.
pub async fn seeded(seed: &str) -> Option<Db> {
    seeded_with(create(), seed).await
}

/// A writer with `lock_timeout = 200ms` that loops until stopped: insert an order, insert an item of it, update
/// the order, then sleep `pause` if given. Returns (writes that succeeded, writes that failed on a lock timeout);
/// any other error fails the test.
pub fn writer(url: String, stop: Arc<AtomicBool>, pause: Option<Duration>) -> tokio::task::JoinHandle<(usize, usize)> {
    tokio::spawn(async move {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        conn.execute("SET lock_timeout = '200ms'").await.unwrap();
        let (mut ok, mut timed_out) = (0, 0);
        let mut count = |r: Result<(), sqlx::Error>| match r {
            Ok(()) => ok += 1,
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => timed_out += 1,
            Err(e) => panic!("writer: {e}"),
        };
        while !stop.load(Ordering::SeqCst) {
            let id: Result<i64, _> = sqlx::query_scalar("INSERT INTO orders (note) VALUES ('w') RETURNING id::bigint")
                .fetch_one(&mut conn)
                .await;
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    count(Err(e));
                    continue;
                }
            };
            count(Ok(()));
            let r =
                sqlx::query("INSERT INTO items (order_id, note) VALUES ($1::bigint, 'w')").bind(id).execute(&mut conn);
            count(r.await.map(|_| ()));
            let r = sqlx::query("UPDATE orders SET note = 'u' WHERE id = $1::bigint").bind(id).execute(&mut conn);
            count(r.await.map(|_| ()));
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
        }
        (ok, timed_out)
    })
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// Shadow columns, triggers, functions and indexes the expand creates (0 when none is left).
pub async fn shadow_objects(pool: &PgPool) -> i64 {
    count(
        pool,
        "SELECT (SELECT COUNT(*) FROM pg_attribute WHERE attname LIKE '%driftless_new%' AND NOT attisdropped) \
         + (SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE '%driftless%') \
         + (SELECT COUNT(*) FROM pg_proc WHERE proname LIKE '%driftless%') \
         + (SELECT COUNT(*) FROM pg_class WHERE relname LIKE '%driftless_new%')",
    )
    .await
}
