//! Online PostgreSQL expand/contract of `integer` → `bigint` on a primary key that another table references (and
//! on the referencing column), under a concurrent writer with `lock_timeout = 200ms` that inserts parents and
//! children and updates rows the whole time. The expand runs in one `migrate`, which stops before the contract and
//! says so; the contract runs in the next. The plain `ALTER COLUMN … TYPE bigint` (`.online(false)`) is the control:
//! it rewrites both tables under ACCESS EXCLUSIVE and the same writer times out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{AssertSqlSafe, Executor, PgPool};

#[path = "common/orders.rs"]
mod orders;
#[path = "common/pg_db.rs"]
mod pg_db;
use orders::{CREATE, Db, WIDEN, count, create, widen, writer};

const ORDERS: i64 = 50_000;
const ITEMS: i64 = 100_000;

async fn seeded() -> Option<Db> {
    orders::seeded(&format!(
        "INSERT INTO orders (note) SELECT repeat('o', 100) FROM generate_series(1, {ORDERS}); \
         INSERT INTO items (order_id, note) SELECT (g % {ORDERS}) + 1, repeat('i', 100) FROM generate_series(1, {ITEMS}) g"
    ))
    .await
}

/// Runs `f` while the writer writes (it has written before `f` starts); returns `f`'s result and the counts.
async fn while_writing<T>(d: &Db, f: impl std::future::Future<Output = T>) -> (T, (usize, usize)) {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = writer(d.url.clone(), stop.clone(), None);
    for _ in 0..500 {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE note = 'u'").fetch_one(&d.pool).await.unwrap();
        if n > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let out = f.await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::SeqCst);
    (out, handle.await.unwrap())
}

async fn text(pool: &PgPool, sql: &str) -> String {
    sqlx::query_scalar(AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

async fn column_type(pool: &PgPool, table: &str, column: &str) -> String {
    sqlx::query_scalar(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 \
         AND NOT attisdropped",
    )
    .bind(table)
    .bind(column)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The seeded rows as one digest per table, to compare before and after.
async fn digests(pool: &PgPool) -> (String, String) {
    (
        text(
            pool,
            &format!("SELECT md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM orders WHERE id <= {ORDERS}"),
        )
        .await,
        text(
            pool,
            &format!("SELECT md5(string_agg(id || ':' || order_id, ',' ORDER BY id)) FROM items WHERE id <= {ITEMS}"),
        )
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expand_then_contract_keeps_the_writer_writing_and_swaps_the_key() {
    let Some(d) = seeded().await else { return };
    let before = digests(&d.pool).await;

    // Expand: the run stops before the contract and says so; the row stays dirty at the contract marker.
    let migrator = Migrator::new(d.db.clone(), [create(), widen(true)]);
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    let report = report.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(WIDEN));
    assert!(report.applied().is_empty(), "{report:?}");
    assert!(report.summary().contains(&format!("expanded {WIDEN}")), "{}", report.summary());
    assert!(report.summary().contains("the contract of"), "{}", report.summary());
    println!("expand: writer (ok, timed out) = {counts:?}");
    assert_eq!(counts.1, 0, "no write timed out during the expand: {counts:?}");
    assert!(counts.0 > 0, "{counts:?}");
    assert_eq!(column_type(&d.pool, "orders", "id").await, "integer");
    assert_eq!(column_type(&d.pool, "orders", "id__driftless_new").await, "bigint");
    assert_eq!(column_type(&d.pool, "items", "order_id__driftless_new").await, "bigint");
    // Every row, including those the writer wrote during the expand, has its shadow value.
    assert_eq!(count(&d.pool, "SELECT COUNT(*) FROM orders WHERE id__driftless_new IS DISTINCT FROM id").await, 0);
    assert_eq!(
        count(&d.pool, "SELECT COUNT(*) FROM items WHERE order_id__driftless_new IS DISTINCT FROM order_id").await,
        0
    );
    let dirty: Option<String> = sqlx::query_scalar("SELECT dirty FROM driftless_migrations WHERE name = $1")
        .bind(WIDEN)
        .fetch_one(&d.pool)
        .await
        .unwrap();
    assert_eq!(dirty.as_deref(), Some("up"));
    let status = migrator.status().await.unwrap();
    assert_eq!(
        status.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [format!(
            "{WIDEN}: expanded (online expand/contract); its contract runs on the next `migrate` (or `migrate --contract`); `migrate-down` undoes the expand instead"
        )]
    );
    // `down` here would undo the expand: `expand_abandon.rs`.

    // Contract: the next run resumes at the marker, in one short transaction, then validates the foreign key.
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    let report = report.unwrap();
    assert_eq!(report.applied(), vec![WIDEN]);
    assert_eq!(report.contract_pending, None);
    println!("contract: writer (ok, timed out) = {counts:?}");
    assert_eq!(counts.1, 0, "no write timed out during the contract: {counts:?}");
    assert!(counts.0 > 0, "{counts:?}");

    assert_eq!(column_type(&d.pool, "orders", "id").await, "bigint");
    assert_eq!(column_type(&d.pool, "items", "order_id").await, "bigint");
    assert_eq!(digests(&d.pool).await, before, "the seeded rows are unchanged");
    assert_eq!(orders::shadow_objects(&d.pool).await, 0, "no shadow column, trigger, function or index left");
    assert_eq!(
        text(&d.pool, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'orders_pkey'").await,
        "PRIMARY KEY (id)"
    );
    assert_eq!(
        text(
            &d.pool,
            "SELECT pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE conname = 'items_order_id_fkey'"
        )
        .await,
        "FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE true"
    );
    assert_eq!(
        text(&d.pool, "SELECT indexdef FROM pg_indexes WHERE indexname = 'items_order_id_idx'").await,
        "CREATE INDEX items_order_id_idx ON public.items USING btree (order_id)"
    );
    // The identity carries on after the last id the old sequence gave.
    let max = count(&d.pool, "SELECT MAX(id) FROM orders").await;
    let next = count(&d.pool, "INSERT INTO orders (note) VALUES ('after') RETURNING id").await;
    assert_eq!(next, max + 1);
    assert_eq!(
        text(
            &d.pool,
            "SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'id'"
        )
        .await,
        "d"
    );
    // The cascade still works through the foreign key that was added back.
    d.pool.execute(AssertSqlSafe(format!("DELETE FROM orders WHERE id = {next} - 1"))).await.unwrap();
    let row = sqlx::query_as::<_, (Option<String>, i64, i64)>(
        "SELECT dirty, statements_done, statements_total FROM driftless_migrations WHERE name = $1",
    )
    .bind(WIDEN)
    .fetch_one(&d.pool)
    .await
    .unwrap();
    assert_eq!((row.0, row.1), (None, row.2));

    // Down: the plain narrowing back to integer.
    let report = migrator.down().await.unwrap();
    assert_eq!(report.reverted(), vec![WIDEN]);
    assert_eq!(column_type(&d.pool, "orders", "id").await, "integer");
    assert_eq!(column_type(&d.pool, "items", "order_id").await, "integer");
    let again = count(&d.pool, "INSERT INTO orders (note) VALUES ('down') RETURNING id::bigint").await;
    assert_eq!(again, next + 1);
    assert_eq!(digests(&d.pool).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_type_change_times_the_writer_out() {
    let Some(d) = seeded().await else { return };
    let before = digests(&d.pool).await;
    let migrator = Migrator::new(d.db.clone(), [create(), widen(false)]);
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    assert_eq!(report.unwrap().applied(), vec![WIDEN]);
    println!("plain: writer (ok, timed out) = {counts:?}");
    assert!(counts.1 > 0, "the rewrite under ACCESS EXCLUSIVE timed the writer out: {counts:?}");
    assert_eq!(column_type(&d.pool, "orders", "id").await, "bigint");
    assert_eq!(digests(&d.pool).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_now_runs_both_phases_and_a_table_created_in_the_same_run_stays_plain() {
    let Some(d) = seeded().await else { return };
    let migrator = Migrator::new(d.db.clone(), [create(), widen(true)]).contract_now(true);
    let report = migrator.migrate().await.unwrap();
    assert_eq!((report.applied(), report.contract_pending.clone()), (vec![WIDEN], None));
    assert_eq!(column_type(&d.pool, "orders", "id").await, "bigint");
    assert_eq!(orders::shadow_objects(&d.pool).await, 0);

    // A fresh database: the table is created by the same run, so the type change is the plain one and nothing
    // stops.
    let Some(fresh) = TestDb::postgres().await else { return };
    let db = Database::connect(fresh.url()).await.unwrap();
    let report = Migrator::new(db.clone(), [create(), widen(true)]).migrate().await.unwrap();
    assert_eq!((report.applied(), report.contract_pending.clone()), (vec![CREATE, WIDEN], None));
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    assert_eq!(column_type(pool, "orders", "id").await, "bigint");
}
