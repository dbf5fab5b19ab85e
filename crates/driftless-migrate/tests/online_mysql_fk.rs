//! An online foreign key on MariaDB (`online_mysql_fk.rs`): the orphan probe, `foreign_key_checks = 0`, `ALTER
//! TABLE … ADD CONSTRAINT … FOREIGN KEY …, ALGORITHM=INPLACE, LOCK=NONE`, `foreign_key_checks = 1`, the probe
//! again. On a seeded table of 100,000 rows (about 80 MB) a writer whose UPDATEs run with `max_statement_time = 0.5`
//! (half of `online_mysql.rs`'s second: on a quiet server the control's plain copy can take little more than a
//! second, and the online key never holds the writer for more than a few milliseconds) completes every write while the online foreign key is added, and times out against
//! the same step run plain (the control: the server copies the table, `LOCK=SHARED`). Orphans refuse with the exact
//! message and nothing changed, found before the `ALTER` or written while it ran (the foreign key is dropped
//! again); `foreign_key_checks` is 1 again on the migrator's connection after each run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_core::classify::MysqlAlgorithm;
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::ColumnType;
use driftless_migrate::{Error, Migrator};
use driftless_testdb::TestDb;
use sqlx::mysql::MySqlPoolOptions;
use sqlx::{Connection, Executor, MySqlConnection, MySqlPool};

const CREATE: &str = "m20260101T000000_create";
const FK: &str = "m20260102T000000_fk";

fn customers() -> driftless_core::schema::Table {
    table("customers").with_column(column("id", ColumnType::BigInt)).primary_key("customers_pkey", &["id"])
}

fn orders() -> driftless_core::schema::Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("customer_id", ColumnType::BigInt).nullable())
        .with_column(column("n", ColumnType::Integer))
        .with_column(column("pad", ColumnType::Varchar(1000)))
        .primary_key("orders_pkey", &["id"])
}

fn fk(name: &str) -> driftless_core::schema::ForeignKey {
    foreign_key(name, &["customer_id"], "customers", &["id"])
}

fn registry(fks: &[&str], online: bool) -> Vec<Migration> {
    let mut all = vec![
        Migration::new(CREATE)
            .up([create_table(customers()), create_table(orders())])
            .down([drop_table(orders()), drop_table(customers())]),
    ];
    for (k, name) in fks.iter().enumerate() {
        let m = Migration::new(format!("m2026010{}T000000_fk", k + 2))
            .up([add_foreign_key("orders", fk(name))])
            .class(Class::ReviewRequired);
        all.push(if online { m } else { m.online(false) });
    }
    all
}

struct Db {
    _testdb: TestDb,
    url: String,
    /// One connection: the migrator's session is the one the test reads `@@foreign_key_checks` on.
    pool: MySqlPool,
}

/// The tables, with `rows` orders each pointing at one of 1,000 customers.
async fn seeded(rows: u32) -> Option<Db> {
    let testdb = TestDb::mysql().await?;
    let url = testdb.url().to_owned();
    let pool = MySqlPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    Migrator::new(pool.clone(), registry(&[], true)).migrate().await.unwrap();
    pool.execute("INSERT INTO customers (id) SELECT seq FROM seq_1_to_1000").await.unwrap();
    let insert = format!(
        "INSERT INTO orders (id, customer_id, n, pad) SELECT seq, seq % 1000 + 1, seq % 100, REPEAT('x', 800) FROM \
         seq_1_to_{rows}"
    );
    pool.execute(sqlx::AssertSqlSafe(insert)).await.unwrap();
    Some(Db { _testdb: testdb, url, pool })
}

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fk_checks(pool: &MySqlPool) -> i64 {
    sqlx::query_scalar("SELECT @@SESSION.foreign_key_checks").fetch_one(pool).await.unwrap()
}

async fn count(pool: &MySqlPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

const FOREIGN_KEYS: &str = "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = \
                            DATABASE() AND TABLE_NAME = 'orders'";
const FK_INDEXES: &str = "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND \
                          TABLE_NAME = 'orders' AND INDEX_NAME LIKE 'orders_customer_id_fkey%'";

/// Runs `migrate` while a writer updates random orders with `max_statement_time = 0.5`; returns its result and the
/// writer's (succeeded, timed out) counts.
async fn under_writer<T>(url: &str, migrate: impl Future<Output = T>) -> (T, usize, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut conn = MySqlConnection::connect(url).await.unwrap();
    conn.execute("SET SESSION max_statement_time = 0.5").await.unwrap();
    let flag = stop.clone();
    let writer = tokio::spawn(async move {
        let (mut ok, mut timed_out) = (0usize, 0usize);
        let mut id = 7u64;
        while !flag.load(Ordering::Relaxed) {
            id = (id * 7919 + 13) % 100_000 + 1;
            let sql = sqlx::AssertSqlSafe(format!("UPDATE orders SET n = n + 1 WHERE id = {id}"));
            match conn.execute(sql).await {
                Ok(_) => ok += 1,
                Err(e) => {
                    let number = e
                        .as_database_error()
                        .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
                        .map(|d| d.number());
                    assert!(matches!(number, Some(1969 | 1205)), "unexpected writer error: {e}");
                    timed_out += 1;
                }
            }
        }
        (ok, timed_out)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let result = migrate.await;
    stop.store(true, Ordering::Relaxed);
    let (ok, timed_out) = writer.await.unwrap();
    (result, ok, timed_out)
}

#[tokio::test]
async fn an_online_foreign_key_keeps_the_writer_running_and_the_plain_one_does_not() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded(100_000).await else { return };
    let migrator = Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey"], true));
    let dry = migrator.dry_run().await.unwrap();
    let planned = &dry.migrations[0].statements[0];
    assert_eq!(
        (planned.lock.as_str(), planned.online),
        (
            "metadata lock, brief at start and end; no table copy, no row check (foreign_key_checks=0 between two \
             orphan probes; ALGORITHM=INPLACE, LOCK=NONE)",
            true
        )
    );
    let (report, ok, timed_out) = under_writer(&db.url, migrator.up()).await;
    let report = report.unwrap();
    assert_eq!(report.applied(), [FK]);
    let used = &report.steps[0].algorithms;
    assert_eq!(
        (used[0].sql.as_str(), used[0].algorithm),
        (
            "ALTER TABLE `orders` ADD CONSTRAINT `orders_customer_id_fkey` FOREIGN KEY (`customer_id`) REFERENCES \
             `customers` (`id`), ALGORITHM=INPLACE, LOCK=NONE",
            MysqlAlgorithm::Inplace
        )
    );
    assert_eq!(timed_out, 0, "the writer timed out {timed_out} times ({ok} writes went through)");
    assert!(ok > 0, "the writer wrote nothing");
    assert_eq!(fk_checks(&db.pool).await, 1, "foreign_key_checks is back on on the migrator's connection");
    assert_eq!(count(&db.pool, FOREIGN_KEYS).await, 1);
    // The key is enforced from now on.
    let orphan = db.pool.execute("INSERT INTO orders (id, customer_id, n, pad) VALUES (200001, 5000, 0, '')").await;
    assert!(orphan.unwrap_err().to_string().contains("foreign key constraint fails"));

    // The control: the same step run plain; the server copies the table (foreign_key_checks on), LOCK=SHARED.
    let migrator =
        Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey", "orders_customer_id_fkey2"], false));
    let (report, ok, timed_out) = under_writer(&db.url, migrator.up()).await;
    assert_eq!(report.unwrap().applied(), ["m20260103T000000_fk"]);
    assert!(timed_out > 0, "the plain foreign key never kept the writer waiting ({ok} writes went through)");
}

#[tokio::test]
async fn orphans_refuse_with_counts_and_examples_and_nothing_changes() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded(1_000).await else { return };
    db.pool.execute("UPDATE orders SET customer_id = 5000 + id WHERE id IN (17, 4, 900)").await.unwrap();
    // The data probe before the migration says it first.
    let migrator = Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey"], true));
    let err = migrator.up().await.unwrap_err();
    assert!(matches!(err, Error::DataProbe { .. }), "{err:?}");
    // With the data probes off, the online recipe's own probe refuses, before changing anything.
    let err = migrator.skip_data_probes(true).up().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "refusing to run statement 1 of 1 (step 1, add_foreign_key on orders: added online with \
         foreign_key_checks=0, which checks no existing row) of migration m20260102T000000_fk: 3 rows whose \
         (customer_id) has no row in customers (examples, id: 4; 17; 900); the foreign key orders_customer_id_fkey \
         would fail on them; delete those rows, set the column to NULL, or add the missing customers rows first. \
         Nothing of m20260102T000000_fk has run; it is still pending"
    );
    let migrator = Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey"], true));
    let status = migrator.status().await.unwrap();
    assert_eq!(status.pending, [FK]);
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert_eq!(count(&db.pool, FOREIGN_KEYS).await, 0);
    assert_eq!(count(&db.pool, FK_INDEXES).await, 0);
    assert_eq!(fk_checks(&db.pool).await, 1);
    // Fixed, it runs.
    db.pool.execute("UPDATE orders SET customer_id = NULL WHERE customer_id > 1000").await.unwrap();
    assert_eq!(migrator.up().await.unwrap().applied(), [FK]);
    assert_eq!(count(&db.pool, FOREIGN_KEYS).await, 1);
}

/// An orphan written while the `ALTER` runs: a session holds the table's metadata lock in an open transaction, so
/// the `ALTER` (after the first probe) waits for it; the session then writes an orphan and commits, the `ALTER`
/// adds the key without checking it, and the second probe finds it: the key and its index are dropped again.
#[tokio::test]
async fn an_orphan_written_during_the_alter_drops_the_key_again() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded(1_000).await else { return };
    let mut blocker = MySqlConnection::connect(&db.url).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    blocker.execute("UPDATE orders SET n = n + 1 WHERE id = 1").await.unwrap();
    let migrator = Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey"], true))
        .statement_lock_timeout(Duration::from_secs(20));
    let run = tokio::spawn(async move { migrator.up().await });
    let mut watcher = MySqlConnection::connect(&db.url).await.unwrap();
    let mut waited = 0;
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE `orders` ADD \
             CONSTRAINT%' AND STATE LIKE 'Waiting for table metadata lock%'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        waited += 1;
        assert!(waited < 200, "the ALTER never waited for the metadata lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    blocker.execute("UPDATE orders SET customer_id = 7777 WHERE id = 42").await.unwrap();
    blocker.execute("COMMIT").await.unwrap();
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "while applying migration m20260102T000000_fk: statement 1 of 1 (step 1, add_foreign_key on orders: added \
         online with foreign_key_checks=0, which checks no existing row) was undone: 1 rows whose (customer_id) has \
         no row in customers (examples, id: 42) were written while it was being added; the foreign key was dropped \
         again (with the index it created), so nothing of the statement is left; the foreign key \
         orders_customer_id_fkey would fail on them; delete those rows, set the column to NULL, or add the missing \
         customers rows first. Nothing of m20260102T000000_fk has run; it is still pending"
    );
    assert_eq!(count(&db.pool, FOREIGN_KEYS).await, 0);
    assert_eq!(count(&db.pool, FK_INDEXES).await, 0);
    assert_eq!(fk_checks(&db.pool).await, 1);
    let migrator = Migrator::new(db.pool.clone(), registry(&["orders_customer_id_fkey"], true));
    assert_eq!(migrator.status().await.unwrap().pending, [FK]);
}
