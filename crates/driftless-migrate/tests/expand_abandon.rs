//! Abandoning a paused expand (`src/abandon.rs`): on PostgreSQL online, `integer` → `bigint` on a referenced key
//! runs its expand and stops before the contract; `migrate-down` then undoes the expand (the copied indexes dropped
//! concurrently, the sync triggers and functions, the shadow columns and checks, the tracking row) while a writer
//! keeps writing, and the schema is exactly the one before the migration (the catalog, compared as text), the rows
//! unchanged. `migrate` afterwards expands again and contracts. The controls: the catalog after the expand differs
//! from the one before (the comparison can fail), and an undo interrupted part-way (half of it done by hand) is
//! finished by the next `migrate-down`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use driftless_core::define::*;
use driftless_core::migration::Migration;
use driftless_core::schema::ColumnType;
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

#[path = "common/orders.rs"]
mod orders;
#[path = "common/pg_db.rs"]
mod pg_db;
use orders::{CREATE, WIDEN, items_without_note as items, orders, widen_default};

const ORDERS: i64 = 20_000;

fn registry() -> [Migration; 2] {
    [
        Migration::new(CREATE)
            .up([create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))])
            .down([drop_table(items(ColumnType::Integer)), drop_table(orders(ColumnType::Integer))]),
        widen_default(),
    ]
}

async fn text(pool: &PgPool, sql: &str) -> String {
    sqlx::query_scalar(AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// The schema as the catalog says it (columns with types, nullability, defaults and identity; indexes; constraints;
/// triggers; functions; sequences), one line each, sorted.
async fn catalog(pool: &PgPool) -> String {
    text(
        pool,
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ( \
           SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' identity=' || a.attidentity::text \
             || ' default=' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '') AS line \
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
           WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped \
             AND c.relname IN ('orders', 'items') \
           UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ('orders', 'items') \
           UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
             || ' validated=' || convalidated::text FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
           UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal \
           UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace \
           UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = current_schema() \
         ) lines",
    )
    .await
}

async fn digest(pool: &PgPool) -> String {
    text(
        pool,
        &format!(
            "SELECT md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM orders WHERE id <= {ORDERS} UNION ALL \
             SELECT md5(string_agg(id || ':' || order_id, ',' ORDER BY id)) FROM items WHERE order_id <= {ORDERS}"
        ),
    )
    .await
}

async fn tracking_rows(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM driftless_migrations ORDER BY name").fetch_all(pool).await.unwrap()
}

/// A writer without lock waits allowed (`lock_timeout = 200ms`): inserts an order and an item of it, until stopped;
/// returns (writes that succeeded, writes that timed out).
fn writer(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(usize, usize)> {
    tokio::spawn(async move {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        conn.execute("SET lock_timeout = '200ms'").await.unwrap();
        let (mut ok, mut timed_out) = (0, 0);
        while !stop.load(Ordering::SeqCst) {
            let r = conn
                .execute(
                    "WITH o AS (INSERT INTO orders (note) VALUES ('w') RETURNING id) \
                     INSERT INTO items (order_id) SELECT id FROM o",
                )
                .await;
            match r {
                Ok(_) => ok += 1,
                Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => timed_out += 1,
                Err(e) => panic!("writer: {e}"),
            }
        }
        (ok, timed_out)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_of_a_paused_expand_restores_the_schema_and_migrate_runs_it_again() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let pool = pool.clone();
    let [create, widen] = registry();
    Migrator::new(db.clone(), [create.clone()]).migrate().await.unwrap();
    pool.execute(AssertSqlSafe(format!(
        "INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, {ORDERS}) g; \
         INSERT INTO items (order_id) SELECT (g % {ORDERS}) + 1 FROM generate_series(1, {}) g",
        2 * ORDERS
    )))
    .await
    .unwrap();
    let (schema_before, rows_before) = (catalog(&pool).await, digest(&pool).await);

    let migrator = Migrator::new(db.clone(), [create, widen]);
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(WIDEN));
    // The control: the expand shows in the catalog.
    let expanded = catalog(&pool).await;
    assert_ne!(expanded, schema_before);
    for part in [
        "column orders.id__driftless_new bigint",
        "index CREATE UNIQUE INDEX orders_pkey__driftless_new",
        "index CREATE INDEX items_order_id_idx__driftless_new",
        "trigger orders_id__driftless_new",
        "function items_order_id__driftless_new",
        "constraint items items_order_id__driftless_new_not_null CHECK ((order_id__driftless_new IS NOT NULL))",
    ] {
        assert!(expanded.contains(part), "{part} missing from:\n{expanded}");
    }
    let status = migrator.status().await.unwrap();
    assert_eq!(
        status.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [format!(
            "{WIDEN}: expanded (online expand/contract); its contract runs on the next `migrate` (or `migrate \
             --contract`); `migrate-down` undoes the expand instead"
        )]
    );

    // Down undoes the expand, with a writer running.
    let stop = Arc::new(AtomicBool::new(false));
    let handle = writer(testdb.url().to_owned(), stop.clone());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let report = migrator.down().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stop.store(true, Ordering::SeqCst);
    let (ok, timed_out) = handle.await.unwrap();
    assert_eq!(report.reverted(), vec![WIDEN]);
    assert!(ok > 0 && timed_out == 0, "writer (ok, timed out) = ({ok}, {timed_out})");
    assert_eq!(catalog(&pool).await, schema_before);
    assert_eq!(digest(&pool).await, rows_before);
    assert_eq!(tracking_rows(&pool).await, [CREATE]);
    assert!(migrator.status().await.unwrap().problems.is_empty());

    // `migrate` runs the migration again: the expand, then the contract.
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(WIDEN));
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), vec![WIDEN]);
    let widened = catalog(&pool).await;
    assert!(widened.contains("column orders.id bigint not null identity=d"), "{widened}");
    assert!(widened.contains("column items.order_id bigint not null"), "{widened}");
    assert!(!widened.contains("driftless_new"), "{widened}");
    assert!(
        widened.contains(
            "constraint items items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE \
             validated=true"
        ),
        "{widened}"
    );
    assert_eq!(digest(&pool).await, rows_before);
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_interrupted_part_way_is_finished_by_the_next_down() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let pool = pool.clone();
    let [create, widen] = registry();
    Migrator::new(db.clone(), [create.clone()]).migrate().await.unwrap();
    pool.execute("INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, 100) g").await.unwrap();
    let schema_before = catalog(&pool).await;
    let migrator = Migrator::new(db.clone(), [create, widen]);
    assert_eq!(migrator.migrate().await.unwrap().contract_pending.as_deref(), Some(WIDEN));
    // Part of the undo, as a run killed in the middle would leave it: one index, one trigger and function gone.
    pool.execute(
        "DROP INDEX orders_pkey__driftless_new; DROP TRIGGER orders_id__driftless_new ON orders; \
         DROP FUNCTION orders_id__driftless_new()",
    )
    .await
    .unwrap();
    assert_eq!(tracking_rows(&pool).await, [CREATE, WIDEN]);
    let report = migrator.down().await.unwrap();
    assert_eq!(report.reverted(), vec![WIDEN]);
    assert_eq!(catalog(&pool).await, schema_before);
    assert_eq!(tracking_rows(&pool).await, [CREATE]);
    // Once undone, `down` reverts the migration before it, as usual.
    assert_eq!(migrator.down().await.unwrap().reverted(), vec![CREATE]);
    db.close().await;
}
