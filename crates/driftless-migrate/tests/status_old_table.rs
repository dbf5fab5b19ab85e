//! A tracking table made before the `backfill_key` column existed: `migrate-status` (read-only: it never runs
//! `ensure_table`) still reads it and tells a resumable row apart, and leaves the table as it found it; the next
//! `migrate` adds the column and resumes. The old table is the real one with that column dropped.

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::ColumnType;
use driftless_migrate::{Migrator, Problem};
use driftless_testdb::TestDb;
use sqlx::{Executor, MySqlPool, PgPool};

const CREATE: &str = "m20260101T000000_create";
const CHANGE: &str = "m20260102T000000_change";

fn orders() -> driftless_core::schema::Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("n", ColumnType::Integer))
        .with_column(column("body", ColumnType::Text))
        .primary_key("orders_pkey", &["id"])
}

fn notes() -> driftless_core::schema::Table {
    table("notes").with_column(column("id", ColumnType::BigInt)).primary_key("notes_pkey", &["id"])
}

/// Statement 1 changes `notes`; then, on PostgreSQL, statement 2 of 3 (a unique index built concurrently, online) fails on duplicates. MariaDB: statement
/// 2 of 3 is refused by every online algorithm (a FULLTEXT index on the table).
fn registry(mysql: bool) -> Vec<Migration> {
    let second = if mysql {
        add_column("orders", column("lang", ColumnType::Varchar(8)).nullable())
    } else {
        create_index("orders", index("orders_n_key", &["n"]).unique())
    };
    vec![
        Migration::new(CREATE)
            .up([create_table(orders()), create_table(notes())])
            .down([drop_table(notes()), drop_table(orders())]),
        Migration::new(CHANGE)
            .up([
                add_column("notes", column("tz", ColumnType::Varchar(40)).nullable()),
                second,
                add_column("orders", column("note", ColumnType::Varchar(8)).nullable()),
            ])
            .class(Class::ReviewRequired),
    ]
}

const HAS_COLUMN: &str = "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'driftless_migrations' \
                          AND column_name = 'backfill_key'";

fn resumable(status: &driftless_migrate::Status) -> bool {
    matches!(status.problems[..], [Problem::Resumable { statements_done: 1, in_backfill: false, .. }])
}

#[tokio::test]
async fn postgres_status_reads_a_tracking_table_without_backfill_key() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let pool = PgPool::connect(testdb.url()).await.unwrap();
    Migrator::new(pool.clone(), registry(false)[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO orders (id, n, body) SELECT g, g % 10, 'x' FROM generate_series(1, 100) g")
        .await
        .unwrap();
    let migrator = Migrator::new(pool.clone(), registry(false)).skip_data_probes(true);
    migrator.migrate().await.unwrap_err();
    pool.execute("ALTER TABLE driftless_migrations DROP COLUMN backfill_key").await.unwrap();

    let status = migrator.status().await.unwrap();
    assert!(resumable(&status), "{:?}", status.problems);
    let has: i64 = sqlx::query_scalar(HAS_COLUMN).fetch_one(&pool).await.unwrap();
    assert_eq!(has, 0, "status is read-only: it does not add the column");

    pool.execute("UPDATE orders SET n = id").await.unwrap();
    assert_eq!(migrator.migrate().await.unwrap().applied(), [CHANGE]);
    let has: i64 = sqlx::query_scalar(HAS_COLUMN).fetch_one(&pool).await.unwrap();
    assert_eq!(has, 1, "migrate adds the column");
    assert!(migrator.status().await.unwrap().problems.is_empty());
    pool.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test]
async fn mysql_status_reads_a_tracking_table_without_backfill_key() {
    let Some(testdb) = TestDb::mysql().await else { return };
    let pool = MySqlPool::connect(testdb.url()).await.unwrap();
    Migrator::new(pool.clone(), registry(true)[..1].to_vec()).migrate().await.unwrap();
    pool.execute("ALTER TABLE orders ADD FULLTEXT INDEX orders_body_ft (body)").await.unwrap();
    let migrator = Migrator::new(pool.clone(), registry(true));
    migrator.migrate().await.unwrap_err();
    pool.execute("ALTER TABLE driftless_migrations DROP COLUMN backfill_key").await.unwrap();

    let status = migrator.status().await.unwrap();
    assert!(resumable(&status), "{:?}", status.problems);
    let has_column = format!("{HAS_COLUMN} AND table_schema = DATABASE()");
    let has: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(has_column.clone())).fetch_one(&pool).await.unwrap();
    assert_eq!(has, 0, "status is read-only: it does not add the column");

    pool.execute("ALTER TABLE orders DROP INDEX orders_body_ft").await.unwrap();
    assert_eq!(migrator.migrate().await.unwrap().applied(), [CHANGE]);
    let has: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(has_column)).fetch_one(&pool).await.unwrap();
    assert_eq!(has, 1, "migrate adds the column");
    assert!(migrator.status().await.unwrap().problems.is_empty());
    pool.close().await;
    testdb.close().await.unwrap();
}
