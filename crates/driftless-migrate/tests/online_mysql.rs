//! Online MySQL/MariaDB under a concurrent writer, on a seeded table of 100,000 rows (about 80 MB, so that a table
//! copy takes over two seconds here). The writer runs its UPDATEs with `max_statement_time = 1` (MariaDB's
//! statement timeout, which also ends a wait for the table's metadata lock): a DDL statement that keeps writers out
//! makes it fail with error 1969. 1 s rather than PostgreSQL's 200 ms: on this shared 2-core machine the brief
//! exclusive phase at the end of an online rebuild (INPLACE) was measured up to 0.4 s, while a table copy blocks
//! writes for its whole length. The tests run one at a time (`SERIAL`).
//!
//! Each online step runs while the writer writes; the explicit table copy (`ALGORITHM=COPY, LOCK=SHARED`, what the server does for a
//! change with no online algorithm: here adding a check) is the control that proves the test can fail. Also: the exact SQL per change,
//! the fallback to a weaker online algorithm (a compressed table refuses INSTANT and NOCOPY for ADD COLUMN), and
//! the refusal when no online algorithm works (a table with a FULLTEXT index refuses LOCK=NONE).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_core::classify::MysqlAlgorithm;
use driftless_core::define::*;
use driftless_core::migration::Migration;
use driftless_core::schema::{ColumnType, Literal};
use driftless_core::step::Step;
use driftless_migrate::{Error, Migrator};
use sqlx::{Connection, Executor, MySqlConnection};

const CREATE: &str = "m20260101T000000_create_orders";

fn orders() -> driftless_core::schema::Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Varchar(200)).nullable())
        .with_column(column("n", ColumnType::Integer))
        .with_column(column("pad", ColumnType::Varchar(1000)))
        .primary_key("orders_pkey", &["id"])
}

fn create() -> Migration {
    Migration::new(CREATE).up([create_table(orders())]).down([drop_table(orders())])
}

use common::MysqlDb as Db;

async fn seeded() -> Option<Db> {
    common::mysql_seeded(
        vec![create()],
        "INSERT INTO orders (id, email, n, pad) SELECT seq, CONCAT('user', seq, '@example.com'), seq % 100, \
         REPEAT('x', 800) FROM seq_1_to_100000",
    )
    .await
}

/// One test at a time: each seeds and rewrites a 40 MB table, and the writer's timeout must measure locks, not a
/// machine busy with the other tests.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs `migrate` while a writer updates random rows with `max_statement_time = 1`, from just before the
/// migration starts until it ends; returns its result and the writer's (succeeded, timed out) counts.
async fn under_writer<T>(url: &str, migrate: impl Future<Output = T>) -> (T, usize, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut conn = MySqlConnection::connect(url).await.unwrap();
    conn.execute("SET SESSION max_statement_time = 1").await.unwrap();
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
    // The writer is running before the migration starts.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let result = migrate.await;
    stop.store(true, Ordering::Relaxed);
    let (ok, timed_out) = writer.await.unwrap();
    (result, ok, timed_out)
}

/// Records the algorithm reports a run sends to its `Progress`.
struct Seen(Arc<std::sync::Mutex<Vec<String>>>);

impl driftless_migrate::Progress for Seen {
    fn statement_algorithm(&self, name: &str, used: &driftless_migrate::AlgorithmUsed) {
        self.0.lock().unwrap().push(format!("{name}: {used}"));
    }
}

fn registry(changes: &[(&str, Vec<Step>)]) -> Vec<Migration> {
    let mut all = vec![create()];
    for (name, up) in changes {
        all.push(Migration::new(*name).up(up.clone()).class(driftless_core::migration::Class::ReviewRequired));
    }
    all
}

/// Each change of the online set, with the exact statement driftless runs and the algorithm the server used.
#[tokio::test]
async fn each_online_alter_keeps_the_writer_running_and_a_table_copy_does_not() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded().await else { return };
    db.pool.execute("UPDATE orders SET email = CONCAT('u', id) WHERE email IS NULL").await.unwrap();
    let email = column("email", ColumnType::Varchar(200)).nullable();
    let changes: Vec<(&str, Vec<Step>, &str, MysqlAlgorithm)> = vec![
        (
            "m20260102T000000_index",
            vec![create_index("orders", index("orders_email_idx", &["email"]))],
            "CREATE INDEX `orders_email_idx` ON `orders` (`email`) ALGORITHM=NOCOPY LOCK=NONE",
            MysqlAlgorithm::Nocopy,
        ),
        (
            "m20260103T000000_unique",
            vec![add_unique("orders", unique("orders_email_key", &["email"]))],
            "ALTER TABLE `orders` ADD CONSTRAINT `orders_email_key` UNIQUE (`email`), ALGORITHM=NOCOPY, LOCK=NONE",
            MysqlAlgorithm::Nocopy,
        ),
        (
            "m20260104T000000_column",
            vec![add_column(
                "orders",
                column("note", ColumnType::Varchar(40)).default_value(Literal::String(String::new())),
            )],
            "ALTER TABLE `orders` ADD COLUMN `note` VARCHAR(40) NOT NULL DEFAULT '', ALGORITHM=INSTANT, LOCK=NONE",
            MysqlAlgorithm::Instant,
        ),
        (
            "m20260105T000000_drop_index",
            vec![drop_index("orders", index("orders_email_idx", &["email"]))],
            "ALTER TABLE `orders` DROP INDEX `orders_email_idx`, ALGORITHM=NOCOPY, LOCK=NONE",
            MysqlAlgorithm::Nocopy,
        ),
        (
            "m20260106T000000_not_null",
            vec![alter_column("orders", email.clone(), column("email", ColumnType::Varchar(200)))],
            "ALTER TABLE `orders` MODIFY COLUMN `email` VARCHAR(200) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE",
            MysqlAlgorithm::Inplace,
        ),
    ];
    let mut done: Vec<(&str, Vec<Step>)> = Vec::new();
    for (name, up, sql, algorithm) in changes {
        done.push((name, up));
        // The in-place forms (`set NOT NULL` would otherwise go through a shadow table: `online_mysql_shadow.rs`).
        let migrator = Migrator::new(db.db.clone(), registry(&done)).mysql_shadow_table(false);
        let (report, ok, timed_out) = under_writer(&db.url, migrator.up()).await;
        let report = report.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.applied(), [name]);
        let used = &report.steps[0].algorithms;
        assert_eq!(used.len(), 1, "{name}: {used:?}");
        assert_eq!((used[0].sql.as_str(), used[0].algorithm), (sql, algorithm), "{name}");
        assert!(used[0].refused.is_empty(), "{name}: {used:?}");
        assert_eq!(timed_out, 0, "{name}: the writer timed out {timed_out} times ({ok} writes went through)");
        assert!(ok > 0, "{name}: the writer wrote nothing");
    }

    // The control: a change the server can only make by copying the table (a check), rendered explicitly as such.
    // Its expression hashes 16 KB per row, so that the copy lasts seconds however fast the machine is.
    let expr = "SHA2(REPEAT(pad, 20), 256) <> ''";
    done.push(("m20260107T000000_check", vec![add_check("orders", check("orders_pad_check", expr))]));
    let migrator = Migrator::new(db.db.clone(), registry(&done));
    let (report, ok, timed_out) = under_writer(&db.url, migrator.up()).await;
    let report = report.unwrap();
    let used = &report.steps[0].algorithms;
    assert_eq!(
        (used[0].sql.as_str(), used[0].algorithm),
        (
            "ALTER TABLE `orders` ADD CONSTRAINT `orders_pad_check` CHECK (SHA2(REPEAT(pad, 20), 256) <> ''), \
             ALGORITHM=COPY, LOCK=SHARED",
            MysqlAlgorithm::Copy
        )
    );
    assert!(timed_out > 0, "the table copy never kept the writer waiting ({ok} writes went through)");

    // A type change the server can only copy for is written as a copy too.
    let after = driftless_core::replay::apply_steps(
        &driftless_core::schema::Schema::empty(),
        &registry(&done).iter().flat_map(|m| m.up.clone()).collect::<Vec<_>>(),
    )
    .unwrap();
    let bigint = [alter_column("orders", column("n", ColumnType::Integer), column("n", ColumnType::BigInt))];
    let plain = driftless_core::render::render_steps(&bigint, driftless_core::Dialect::Mysql, &after).unwrap();
    let online = driftless_core::render::mysql_online::online_mysql(&bigint, &plain);
    assert_eq!(
        online.statements[0].sql,
        "ALTER TABLE `orders` MODIFY COLUMN `n` BIGINT NOT NULL, ALGORITHM=COPY, LOCK=SHARED"
    );
}

/// A compressed table refuses INSTANT and NOCOPY for ADD COLUMN (1845): the migrator falls back to INPLACE with
/// LOCK=NONE and reports it.
#[tokio::test]
async fn a_refused_algorithm_falls_back_to_the_next_online_one() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded().await else { return };
    db.pool.execute("ALTER TABLE orders ROW_FORMAT=COMPRESSED").await.unwrap();
    let done =
        vec![("m20260102T000000_column", vec![add_column("orders", column("tz", ColumnType::Varchar(40)).nullable())])];
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let migrator = Migrator::new(db.db.clone(), registry(&done)).progress(Seen(seen.clone()));
    // The dry run shows the clause as written (INSTANT) and its lock; it cannot know the server will refuse it.
    let dry = migrator.dry_run().await.unwrap();
    let statement = &dry.migrations[0].statements[0];
    assert_eq!(statement.sql, "ALTER TABLE `orders` ADD COLUMN `tz` VARCHAR(40), ALGORITHM=INSTANT, LOCK=NONE");
    assert_eq!(
        (statement.lock.as_str(), statement.online),
        ("metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE)", true)
    );
    let (report, ok, timed_out) = under_writer(&db.url, migrator.up()).await;
    let report = report.unwrap();
    let used = &report.steps[0].algorithms;
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].sql, "ALTER TABLE `orders` ADD COLUMN `tz` VARCHAR(40), ALGORITHM=INPLACE, LOCK=NONE");
    assert_eq!(used[0].algorithm, MysqlAlgorithm::Inplace);
    assert_eq!(used[0].refused, [MysqlAlgorithm::Instant, MysqlAlgorithm::Nocopy]);
    assert_eq!(used[0].to_string(), "statement 1: ALGORITHM=INPLACE, LOCK=NONE (the server refused INSTANT, NOCOPY)");
    assert_eq!(
        *seen.lock().unwrap(),
        ["m20260102T000000_column: statement 1: ALGORITHM=INPLACE, LOCK=NONE (the server refused INSTANT, NOCOPY)"]
    );
    assert_eq!(timed_out, 0, "the writer timed out {timed_out} times ({ok} writes went through)");
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' \
         AND COLUMN_NAME = 'tz'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(n, 1);
}

/// A table with a FULLTEXT index refuses LOCK=NONE for every algorithm (1846): the migrator stops before changing
/// anything, says why and how to run it anyway; `online(false)` then lets the server choose.
#[tokio::test]
async fn no_online_algorithm_is_a_clear_refusal_and_nothing_changes() {
    let _serial = SERIAL.lock().await;
    let Some(db) = seeded().await else { return };
    db.pool.execute("ALTER TABLE orders ADD FULLTEXT INDEX orders_pad_ft (pad)").await.unwrap();
    let name = "m20260102T000000_column";
    let done = vec![(name, vec![add_column("orders", column("tz", ColumnType::Varchar(40)).nullable())])];
    let migrator = Migrator::new(db.db.clone(), registry(&done));
    let err = migrator.up().await.unwrap_err();
    assert!(matches!(err, Error::MysqlOnline { index: 0, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "while applying migration m20260102T000000_column online: statement 1 of 1 failed: 1846 (0A000): \
         LOCK=NONE is not supported. Reason: Fulltext index creation requires a lock. Try LOCK=SHARED\n    ALTER \
         TABLE `orders` ADD COLUMN `tz` VARCHAR(40), ALGORITHM=INPLACE, LOCK=NONE\nthe server refused every \
         online algorithm for it (ALGORITHM=INSTANT, ALGORITHM=NOCOPY, ALGORITHM=INPLACE, each with LOCK=NONE): it \
         can only run this change by copying the table or locking writers out, and driftless does not do that \
         silently. Nothing of the migration ran; it is still pending. To run it anyway, in a quiet period, let the \
         server choose (it may copy the table and block writes): `migrate --no-online`, `Migrator::online(false)`, \
         or `.online(false)` on the migration."
    );
    let status = migrator.status().await.unwrap();
    assert_eq!(status.pending, [name]);
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' \
         AND COLUMN_NAME = 'tz'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(n, 0, "nothing changed");
    let report = migrator.online(false).up().await.unwrap();
    assert_eq!(report.applied(), [name]);
    assert!(report.steps[0].algorithms.is_empty());
}
