//! A MySQL/MariaDB migration stopped part-way by a statement that failed (and, being atomic, left nothing) resumes
//! at that statement on the next run (`resume.rs`): statement 1 is not run again (it would fail: the column exists),
//! and the row ends clean. Stopped by a kill (no failed statement recorded), the row stays dirty: the control.

use std::time::Duration;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::ColumnType;
use driftless_migrate::{Error, Migrator};
use driftless_testdb::TestDb;
use sqlx::{Connection, Executor, MySqlConnection, MySqlPool};

const CREATE: &str = "m20260101T000000_create";
const CHANGE: &str = "m20260102T000000_change";

fn orders() -> driftless_core::schema::Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("n", ColumnType::Integer))
        .primary_key("orders_pkey", &["id"])
}

fn notes() -> driftless_core::schema::Table {
    table("notes")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("body", ColumnType::Text))
        .primary_key("notes_pkey", &["id"])
}

/// Three statements: a column on `orders` (instant), a column on `notes`, an index on `orders`.
fn registry() -> Vec<Migration> {
    vec![
        Migration::new(CREATE)
            .up([create_table(orders()), create_table(notes())])
            .down([drop_table(notes()), drop_table(orders())]),
        Migration::new(CHANGE)
            .up([
                add_column("orders", column("tz", ColumnType::Varchar(40)).nullable()),
                add_column("notes", column("lang", ColumnType::Varchar(8)).nullable()),
                create_index("orders", index("orders_tz_idx", &["tz"])),
            ])
            .class(Class::ReviewRequired),
    ]
}

async fn setup() -> Option<(TestDb, MySqlPool)> {
    let testdb = TestDb::mysql().await?;
    let pool = MySqlPool::connect(testdb.url()).await.unwrap();
    Migrator::new(pool.clone(), registry()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO orders (id, n) SELECT seq, seq FROM seq_1_to_1000").await.unwrap();
    pool.execute("INSERT INTO notes (id, body) SELECT seq, CONCAT('note ', seq) FROM seq_1_to_100").await.unwrap();
    Some((testdb, pool))
}

async fn columns(pool: &MySqlPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND COLUMN_NAME IN ('tz', 'lang') ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn row(pool: &MySqlPool) -> (Option<String>, i64, i64, Option<String>) {
    sqlx::query_as(
        "SELECT dirty, statements_done, statements_total, failed_statement FROM driftless_migrations WHERE name = ?",
    )
    .bind(CHANGE)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Statement 2 is refused by every online algorithm (a FULLTEXT index on `notes`): the run stops with statement 1
/// applied and recorded; with the FULLTEXT index dropped, `migrate` resumes at statement 2.
#[tokio::test]
async fn a_statement_refused_part_way_resumes_there_once_the_cause_is_fixed() {
    let Some((_db, pool)) = setup().await else { return };
    pool.execute("ALTER TABLE notes ADD FULLTEXT INDEX notes_body_ft (body)").await.unwrap();
    let migrator = Migrator::new(pool.clone(), registry());
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::MysqlOnline { index: 1, total: 3, .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "Statement 1 ran and is recorded; the next run of m20260102T000000_change resumes at statement 2. \
             To run it anyway, in a quiet period, let the server choose (it may copy the table and block writes): \
             `migrate --no-online`, `Migrator::online(false)`, or `.online(false)` on the migration."
        ),
        "{err}"
    );
    assert_eq!(columns(&pool).await, ["orders.tz"]);
    let (dirty, done, total, failed) = row(&pool).await;
    assert_eq!((dirty.as_deref(), done, total), (Some("up"), 1, 3));
    assert_eq!(
        failed.as_deref(),
        Some("ALTER TABLE `notes` ADD COLUMN `lang` VARCHAR(8), ALGORITHM=INPLACE, LOCK=NONE")
    );

    // Fixed: it resumes at statement 2 (running statement 1 again would fail: `tz` exists).
    pool.execute("ALTER TABLE notes DROP INDEX notes_body_ft").await.unwrap();
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), [CHANGE]);
    let statements: Vec<usize> = report.steps[0].algorithms.iter().map(|a| a.statement).collect();
    assert_eq!(statements, [1, 2], "statement 1 did not run again");
    assert_eq!(columns(&pool).await, ["notes.lang", "orders.tz"]);
    let (dirty, done, total, failed) = row(&pool).await;
    assert_eq!((dirty, done, total, failed), (None, 3, 3, None));
    let status = migrator.status().await.unwrap();
    assert!(status.pending.is_empty() && status.problems.is_empty(), "{status:?}");
}

/// Statement 2 waits for a metadata lock another session holds until it gives up (lock_wait_timeout 1 s, two
/// attempts); once the session commits, `migrate` resumes at statement 2.
#[tokio::test]
async fn a_lock_wait_timeout_part_way_resumes_there_once_the_table_is_free() {
    let Some((db, pool)) = setup().await else { return };
    let mut blocker = MySqlConnection::connect(db.url()).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    blocker.execute("UPDATE notes SET body = 'held' WHERE id = 1").await.unwrap();
    let migrator =
        || Migrator::new(pool.clone(), registry()).statement_lock_timeout(Duration::from_secs(1)).lock_attempts(2);
    let err = migrator().migrate().await.unwrap_err();
    assert!(matches!(err, Error::MysqlOnline { index: 1, total: 3, .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(
            "it gave up after 2 attempt(s) under lock_wait_timeout 1 s: another session holds a lock on the table \
             (see SHOW PROCESSLIST); the statement left nothing; statement 1 ran and is recorded: when the table is \
             free, run the migrator again, it resumes at statement 2"
        ),
        "{err}"
    );
    assert_eq!(columns(&pool).await, ["orders.tz"]);
    blocker.execute("COMMIT").await.unwrap();
    let report = migrator().migrate().await.unwrap();
    assert_eq!(report.applied(), [CHANGE]);
    assert_eq!(columns(&pool).await, ["notes.lang", "orders.tz"]);
    assert_eq!(row(&pool).await, (None, 3, 3, None));
}

/// The control: a run that stopped without the migrator seeing the statement fail (killed: no failed statement
/// recorded) may have run it, so the row stays dirty and the migrator refuses, as before.
#[tokio::test]
async fn a_killed_run_stays_dirty() {
    let Some((_db, pool)) = setup().await else { return };
    let migrator = Migrator::new(pool.clone(), registry());
    pool.execute("ALTER TABLE orders ADD COLUMN tz VARCHAR(40)").await.unwrap();
    let checksum = migrator.migrations()[1].checksum();
    sqlx::query(
        "INSERT INTO driftless_migrations (name, batch, checksum, class, applied_at, dirty, statements_done, \
         statements_total) VALUES (?, 2, ?, 'review_required', UTC_TIMESTAMP(6), 'up', 1, 3)",
    )
    .bind(CHANGE)
    .bind(&checksum)
    .execute(&pool)
    .await
    .unwrap();
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::Dirty { statements_done: 1, statements_total: 3, .. }), "{err:?}");
    // Recorded as failed, the same row resumes.
    sqlx::query("UPDATE driftless_migrations SET failed_statement = ? WHERE name = ?")
        .bind("ALTER TABLE `notes` ADD COLUMN `lang` VARCHAR(8), ALGORITHM=INSTANT, LOCK=NONE")
        .bind(CHANGE)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(migrator.migrate().await.unwrap().applied(), [CHANGE]);
    assert_eq!(columns(&pool).await, ["notes.lang", "orders.tz"]);
}

/// Run plain (`online(false)`, statement by statement without clauses), statement 2 fails on duplicates (the data
/// probes are off, so the server's own error stops it): the run stops at statement 2, says the next run resumes
/// there, and once the duplicates are gone it does.
#[tokio::test]
async fn a_plain_run_that_failed_part_way_resumes_too() {
    let Some((_db, pool)) = setup().await else { return };
    pool.execute("UPDATE orders SET n = 1 WHERE id IN (3, 4)").await.unwrap();
    let mut all = registry();
    all[1] = Migration::new(CHANGE)
        .up([
            add_column("orders", column("tz", ColumnType::Varchar(40)).nullable()),
            add_unique("orders", unique("orders_n_key", &["n"])),
            create_index("orders", index("orders_tz_idx", &["tz"])),
        ])
        .class(Class::ReviewRequired);
    let migrator = Migrator::new(pool.clone(), all).online(false).skip_data_probes(true);
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::Statement { index: 1, partial: true, resumable: true, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "while applying migration m20260102T000000_change: statement 2 of 3 failed: 1062 (23000): Duplicate entry \
         '1' for key 'orders_n_key'\n    ALTER TABLE `orders` ADD CONSTRAINT `orders_n_key` UNIQUE (`n`)\nstatement 1 \
         stayed applied and is recorded; the failed statement left nothing (MySQL runs each DDL statement \
         atomically), so m20260102T000000_change is marked dirty at it and the next run resumes there: fix the cause \
         and run the migrator again"
    );
    pool.execute("UPDATE orders SET n = id").await.unwrap();
    assert_eq!(migrator.migrate().await.unwrap().applied(), [CHANGE]);
    assert_eq!(row(&pool).await, (None, 3, 3, None));
    let unique: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = \
         'orders_n_key'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unique, 1);
}
