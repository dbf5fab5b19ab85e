//! Online PostgreSQL under a concurrent writer, on a seeded table of 50,000 rows. The writer uses
//! `lock_timeout = 200ms`, as the ONLINE.md measuring note says: a DDL statement that holds or queues a lock
//! conflicting with its UPDATEs makes it fail with "canceling statement due to lock timeout". Each online step is
//! run while the writer writes, then the plain SQL (`.online(false)`, what drizzle-kit, Prisma and Alembic
//! generate) as the control that proves the test can fail. The moment the writer writes is chosen
//! deterministically: while the migration's backend waits (`pg_stat_activity`) behind a transaction the test
//! holds, or inside a `pg_sleep` in the scan of a check expression.

use std::time::Duration;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::ColumnType;
use driftless_migrate::{Error, Migrator};
use sqlx::{Connection, Executor, PgConnection, PgPool};

#[path = "common/pg_db.rs"]
mod pg_db;
use pg_db::{Db, seeded_with};

const CREATE: &str = "m20260101T000000_create_orders";

fn orders() -> driftless_core::schema::Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Text).nullable())
        .with_column(column("n", ColumnType::Integer))
        .primary_key("orders_pkey", &["id"])
}

fn create() -> Migration {
    Migration::new(CREATE).up([create_table(orders())]).down([drop_table(orders())])
}

async fn seeded() -> Option<Db> {
    seeded_with(
        create(),
        "INSERT INTO orders (id, email, n) SELECT g, 'user' || g || '@example.com', g % 100 \
         FROM generate_series(1, 50000) g",
    )
    .await
}

/// Waits until a backend other than the test's runs a statement starting with `prefix` and waits on `event`
/// (`pg_stat_activity.wait_event`).
async fn wait_for(pool: &PgPool, prefix: &str, event: &str) {
    for _ in 0..500 {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE $1 || '%' AND wait_event = $2 \
             AND pid <> pg_backend_pid()",
        )
        .bind(prefix)
        .bind(event)
        .fetch_one(pool)
        .await
        .unwrap();
        if n > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no backend ran {prefix}... waiting on {event} within 5 s");
}

/// A writer with `lock_timeout = 200ms`: 20 short UPDATEs of rows the blocker does not hold; returns
/// (succeeded, failed on a lock timeout).
async fn write(url: &str) -> (usize, usize) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    conn.execute("SET lock_timeout = '200ms'").await.unwrap();
    let (mut ok, mut timed_out) = (0, 0);
    for i in 0..20i64 {
        match sqlx::query("UPDATE orders SET n = n + 1 WHERE id = $1").bind(100 + i).execute(&mut conn).await {
            Ok(_) => ok += 1,
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => timed_out += 1,
            Err(e) => panic!("writer: {e}"),
        }
    }
    (ok, timed_out)
}

async fn index_valid(pool: &PgPool, name: &str) -> Option<bool> {
    sqlx::query_scalar(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await
    .unwrap()
}

fn add_index(online: bool) -> Migration {
    Migration::new("m20260102T000000_index_email")
        .online(online)
        .class(Class::ReviewRequired)
        .up([create_index("orders", index("orders_email_idx", &["email"]))])
        .down([drop_index("orders", index("orders_email_idx", &["email"]))])
}

/// Runs `migration` while a transaction that updated row 1 stays open, waits until the migration's `prefix`
/// statement waits on `event`, lets the writer write, then ends the blocker; returns the writer's counts.
async fn under_a_long_transaction(d: &Db, migration: Migration, prefix: &str, event: &str) -> (usize, usize) {
    let mut blocker = PgConnection::connect(&d.url).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    blocker.execute("UPDATE orders SET n = n + 1 WHERE id = 1").await.unwrap();
    let migrator = Migrator::new(d.db.clone(), [create(), migration]);
    let run = tokio::spawn(async move { migrator.migrate().await });
    wait_for(&d.pool, prefix, event).await;
    let counts = write(&d.url).await;
    blocker.execute("COMMIT").await.unwrap();
    run.await.unwrap().unwrap();
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_built_concurrently_lets_the_writer_write_and_the_plain_build_does_not() {
    let Some(d) = seeded().await else { return };
    // Online: CREATE INDEX CONCURRENTLY waits for the open transaction without blocking writers.
    let counts = under_a_long_transaction(&d, add_index(true), "CREATE INDEX CONCURRENTLY", "virtualxid").await;
    assert_eq!(counts, (20, 0), "the writer kept writing during the online build");
    assert_eq!(index_valid(&d.pool, "orders_email_idx").await, Some(true));

    // The control: the plain CREATE INDEX queues for SHARE behind the open transaction, and the writer queues
    // behind it.
    d.pool
        .execute("DROP INDEX orders_email_idx; DELETE FROM driftless_migrations WHERE name LIKE '%index%'")
        .await
        .unwrap();
    let counts = under_a_long_transaction(&d, add_index(false), "CREATE INDEX", "relation").await;
    assert_eq!(counts, (0, 20), "the plain build blocked every write");
    assert_eq!(index_valid(&d.pool, "orders_email_idx").await, Some(true));
    d.db.close().await;
}

/// A check whose expression sleeps 1.5 s on one row (`n = -1`): the validating scan takes that long.
async fn slow_check_setup(pool: &PgPool) {
    pool.execute(
        "CREATE FUNCTION slow_ok(v integer) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF v = -1 THEN \
         PERFORM pg_sleep(1.5); END IF; RETURN true; END $$; UPDATE orders SET n = -1 WHERE id = 50000",
    )
    .await
    .unwrap();
}

fn add_slow_check(online: bool) -> Migration {
    Migration::new("m20260103T000000_check_n")
        .online(online)
        .class(Class::ReviewRequired)
        .up([add_check("orders", check("orders_n_check", "slow_ok(n)"))])
        .down([drop_check("orders", check("orders_n_check", "slow_ok(n)"))])
}

async fn during_the_scan(d: &Db, migration: Migration) -> (usize, usize) {
    let migrator = Migrator::new(d.db.clone(), [create(), migration]);
    let run = tokio::spawn(async move { migrator.migrate().await });
    wait_for(&d.pool, "ALTER TABLE \"orders\"", "PgSleep").await;
    let counts = write(&d.url).await;
    run.await.unwrap().unwrap();
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_validated_online_lets_the_writer_write_and_the_plain_check_does_not() {
    let Some(d) = seeded().await else { return };
    slow_check_setup(&d.pool).await;
    // Online: ADD ... NOT VALID is instant; VALIDATE scans under SHARE UPDATE EXCLUSIVE.
    let counts = during_the_scan(&d, add_slow_check(true)).await;
    assert_eq!(counts, (20, 0), "the writer kept writing during VALIDATE CONSTRAINT");
    let valid: bool = sqlx::query_scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'orders_n_check'")
        .fetch_one(&d.pool)
        .await
        .unwrap();
    assert!(valid);

    // The control: the plain ADD CONSTRAINT scans under ACCESS EXCLUSIVE.
    d.pool
        .execute(
            "ALTER TABLE orders DROP CONSTRAINT orders_n_check; \
             DELETE FROM driftless_migrations WHERE name LIKE '%check%'",
        )
        .await
        .unwrap();
    let counts = during_the_scan(&d, add_slow_check(false)).await;
    assert!(counts.1 > 0 && counts.0 + counts.1 == 20, "the plain check blocked the writer: {counts:?}");
    d.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_foreign_key_and_not_null_run_online_and_leave_valid_constraints() {
    let Some(d) = seeded().await else { return };
    let customers =
        table("customers").with_column(column("id", ColumnType::BigInt)).primary_key("customers_pkey", &["id"]);
    let email = column("email", ColumnType::Text).nullable();
    let n = column("customer_id", ColumnType::BigInt).nullable();
    let m = Migration::new("m20260104T000000_constraints")
        .class(Class::ReviewRequired)
        .up([
            create_table(customers.clone()),
            add_column("orders", n.clone()),
            raw_sql(sql("INSERT INTO customers SELECT g FROM generate_series(1, 10) g")).changes_nothing(),
            add_unique("orders", unique("orders_email_key", &["email"])),
            add_foreign_key("orders", foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"])),
            alter_column("orders", email.clone(), column("email", ColumnType::Text)),
        ])
        .down([
            alter_column("orders", column("email", ColumnType::Text), email),
            drop_foreign_key("orders", foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"])),
            drop_unique("orders", unique("orders_email_key", &["email"])),
            drop_column("orders", n),
            drop_table(customers),
        ]);
    let migrator = Migrator::new(d.db.clone(), [create(), m]);
    migrator.migrate().await.unwrap();
    let constraints: Vec<(String, bool)> = sqlx::query_as(
        "SELECT conname::text, convalidated FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY 1",
    )
    .fetch_all(&d.pool)
    .await
    .unwrap();
    assert_eq!(
        constraints,
        [
            ("orders_customer_id_fkey".to_owned(), true),
            ("orders_email_key".to_owned(), true),
            ("orders_pkey".to_owned(), true),
        ],
        "the NOT NULL helper check is gone and every constraint is validated"
    );
    let not_null: bool = sqlx::query_scalar(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'email'",
    )
    .fetch_one(&d.pool)
    .await
    .unwrap();
    assert!(not_null);
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!((row.dirty, row.statements_done, row.statements_total), (None, 11, 11));
    d.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_concurrent_build_is_dropped_and_rebuilt_and_finished_units_do_not_run_again() {
    let Some(d) = seeded().await else { return };
    d.pool
        .execute("CREATE TABLE audit (note text); UPDATE orders SET email = 'dup@example.com' WHERE id IN (7, 8)")
        .await
        .unwrap();
    let m = Migration::new("m20260105T000000_unique_email")
        .class(Class::ReviewRequired)
        .up([
            raw_sql(sql("INSERT INTO audit VALUES ('ran')")).changes_nothing(),
            create_index("orders", index("orders_n_idx", &["n"])),
            add_unique("orders", unique("orders_email_key", &["email"])),
        ])
        .down([
            drop_unique("orders", unique("orders_email_key", &["email"])),
            drop_index("orders", index("orders_n_idx", &["n"])),
        ]);
    let migrator = Migrator::new(d.db.clone(), [create(), m]);
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::OnlineStatement { index: 2, total: 4, .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("while applying migration m20260105T000000_unique_email online: statement 3 of 4 failed: "),
        "{msg}"
    );
    assert!(msg.contains("the next run resumes at this statement"), "{msg}");
    // The interrupted build left an INVALID index; the row records the two finished units.
    assert_eq!(index_valid(&d.pool, "orders_email_key").await, Some(false));
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!((row.dirty, row.statements_done, row.statements_total), (Some(driftless_migrate::Direction::Up), 2, 4));

    // Fixed data, next run: resumes at the unique index, drops the INVALID one, builds it again.
    d.pool.execute("UPDATE orders SET email = 'other@example.com' WHERE id = 8").await.unwrap();
    migrator.migrate().await.unwrap();
    assert_eq!(index_valid(&d.pool, "orders_email_key").await, Some(true));
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit").fetch_one(&d.pool).await.unwrap();
    assert_eq!(audit, 1, "the finished unit did not run again");
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!((row.dirty, row.statements_done, row.statements_total), (None, 4, 4));
    d.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_too_long_gives_up_after_the_retries_with_a_clear_error_and_resumes() {
    let Some(d) = seeded().await else { return };
    let m = Migration::new("m20260106T000000_check")
        .class(Class::ReviewRequired)
        .up([add_check("orders", check("orders_n_check", "n >= -100"))])
        .down([drop_check("orders", check("orders_n_check", "n >= -100"))]);
    let mut blocker = PgConnection::connect(&d.url).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    blocker.execute("SELECT COUNT(*) FROM orders").await.unwrap();
    let migrator =
        Migrator::new(d.db.clone(), [create(), m]).statement_lock_timeout(Duration::from_millis(50)).lock_attempts(3);
    let err = migrator.migrate().await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(
            "it gave up after 3 attempt(s) under lock_timeout 50 ms: another session holds a conflicting lock"
        ),
        "{msg}"
    );
    assert!(matches!(err, Error::OnlineStatement { index: 0, total: 2, .. }), "{err}");
    blocker.execute("COMMIT").await.unwrap();
    migrator.migrate().await.unwrap();
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!((row.dirty, row.statements_done), (None, 2));
    d.db.close().await;
}
