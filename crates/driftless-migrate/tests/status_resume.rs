//! `migrate-status` tells a dirty row the next run resumes from one whose progress is unknown, by the migrator's own
//! decision (`resume.rs`): a resumable row is [`Problem::Resumable`], saying where it stopped and which command
//! resumes it; a truly dirty row stays [`Problem::Dirty`] (the control in each test). A revert stopped in its
//! backfill (listed as resumed by `migrate-down`, and refused by `migrate` saying so) is in `backfill_down.rs`.

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::ColumnType;
use driftless_migrate::{Error, Migrator, Problem};
use driftless_testdb::TestDb;
use sqlx::{Executor, MySqlPool, PgPool};

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

/// Three statements: a column on `orders`, a unique index on `orders.n` (fails on duplicates), a column on `notes`.
fn registry() -> Vec<Migration> {
    vec![
        Migration::new(CREATE)
            .up([create_table(orders()), create_table(notes())])
            .down([drop_table(notes()), drop_table(orders())]),
        Migration::new(CHANGE)
            .up([
                add_column("orders", column("tz", ColumnType::Varchar(40)).nullable()),
                create_index("orders", index("orders_n_key", &["n"]).unique()),
                add_column("notes", column("lang", ColumnType::Varchar(8)).nullable()),
            ])
            .class(Class::ReviewRequired),
    ]
}

fn problems(status: &driftless_migrate::Status) -> Vec<String> {
    status.problems.iter().map(ToString::to_string).collect()
}

/// PostgreSQL, online: the unique index's concurrent build fails on duplicates (probes skipped) at statement 2 of 3.
/// Status says the next `migrate` resumes there, and it does once the duplicates are gone. Control: the same row
/// against an edited migration (another checksum) is not resumed, and status says dirty.
#[tokio::test]
async fn postgres_a_failed_online_unit_is_listed_as_resumable() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let pool = PgPool::connect(testdb.url()).await.unwrap();
    Migrator::new(pool.clone(), registry()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO orders (id, n) SELECT g, g % 10 FROM generate_series(1, 100) g").await.unwrap();
    let migrator = Migrator::new(pool.clone(), registry()).skip_data_probes(true);
    migrator.migrate().await.unwrap_err();
    let status = migrator.status().await.unwrap();
    assert_eq!(
        problems(&status),
        [format!(
            "{CHANGE}: stopped at statement 2 of 3 (CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"orders_n_key\" ON \"orders\" \
             (\"n\") failed); the next `migrate` resumes there"
        )]
    );

    // Control: an edited migration is not resumed; its row is dirty.
    let mut edited = registry();
    edited[1] = edited[1].clone().up([add_column("orders", column("tz", ColumnType::Text).nullable())]);
    let status = Migrator::new(pool.clone(), edited).status().await.unwrap();
    assert_eq!(problems(&status), [format!("{CHANGE}: did not finish applying; the database may be partly migrated")]);

    // What status said is what happens: the next `migrate` resumes at statement 2.
    pool.execute("UPDATE orders SET n = id").await.unwrap();
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), [CHANGE]);
    assert!(migrator.status().await.unwrap().problems.is_empty());
    pool.close().await;
    testdb.close().await.unwrap();
}

/// MariaDB: statement 2 of 3 refused by every online algorithm (a FULLTEXT table) left nothing and was recorded:
/// status says the next `migrate` resumes there. Control: the same row without its failed statement (a kill) is dirty.
#[tokio::test]
async fn mysql_a_failed_atomic_statement_is_listed_as_resumable() {
    let Some(testdb) = TestDb::mysql().await else { return };
    let pool = MySqlPool::connect(testdb.url()).await.unwrap();
    let mut reg = registry();
    reg[1] = reg[1].clone().up([
        add_column("orders", column("tz", ColumnType::Varchar(40)).nullable()),
        add_column("notes", column("lang", ColumnType::Varchar(8)).nullable()),
        create_index("orders", index("orders_tz_idx", &["tz"])),
    ]);
    Migrator::new(pool.clone(), reg[..1].to_vec()).migrate().await.unwrap();
    pool.execute("ALTER TABLE notes ADD FULLTEXT INDEX notes_body_ft (body)").await.unwrap();
    let migrator = Migrator::new(pool.clone(), reg);
    let err = migrator.migrate().await.unwrap_err();
    assert!(matches!(err, Error::MysqlOnline { index: 1, total: 3, .. }), "{err:?}");
    let status = migrator.status().await.unwrap();
    assert_eq!(
        problems(&status),
        [format!(
            "{CHANGE}: stopped at statement 2 of 3 (ALTER TABLE `notes` ADD COLUMN `lang` VARCHAR(8), \
             ALGORITHM=INPLACE, LOCK=NONE failed); the next `migrate` resumes there"
        )]
    );
    assert!(matches!(status.problems[0], Problem::Resumable { statements_done: 1, .. }));

    // Control: progress unknown (no failed statement recorded, as after a kill).
    let kill = format!("UPDATE driftless_migrations SET failed_statement = NULL WHERE name = '{CHANGE}'");
    pool.execute(sqlx::AssertSqlSafe(kill)).await.unwrap();
    let status = migrator.status().await.unwrap();
    assert_eq!(problems(&status), [format!("{CHANGE}: did not finish applying; the database may be partly migrated")]);
    pool.close().await;
    testdb.close().await.unwrap();
}
