//! The contract phase as a later migration of its own (`contract_file.rs`): migration N changes `orders.id` and
//! `items.order_id` from `integer` to `bigint` (the two frozen `alter_column` steps) and migration N+1 holds
//! `contract(N)`. On online PostgreSQL the first `migrate` runs N's expand under a writer with
//! `lock_timeout = 200ms`, records N applied (not dirty) and stops; the next runs N+1, which swaps the columns. N+1's
//! down changes nothing, N's down abandons the expand while it is expanded and is the reverse type change after the
//! contract. `migrate --contract` runs both in one run; SQLite and MariaDB run N in full and N+1 as nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{AssertSqlSafe, Executor, PgPool};

#[path = "common/orders.rs"]
mod orders;
#[path = "common/pg_db.rs"]
mod pg_db;
use orders::{CREATE, Db, WIDEN, count, shadow_objects, widen, writer};

const CONTRACT: &str = "m20260102T000001_contract_orders_id_bigint";
const ORDERS: i64 = 5_000;
const ITEMS: i64 = 10_000;

fn contract_migration() -> Migration {
    Migration::new(CONTRACT).class(Class::ReviewRequired).up([contract(WIDEN)])
}

fn registry(online: bool) -> Vec<Migration> {
    vec![orders::create(), widen(online), contract_migration()]
}

const SEED: &str = "INSERT INTO orders (note) SELECT 'o' || g FROM generate_series(1, 5000) g; \
     INSERT INTO items (order_id, note) SELECT (g % 5000) + 1, 'i' || g FROM generate_series(1, 10000) g";

async fn seeded() -> Option<Db> {
    orders::seeded(SEED).await
}

async fn while_writing<T>(d: &Db, f: impl std::future::Future<Output = T>) -> (T, (usize, usize)) {
    let stop = Arc::new(AtomicBool::new(false));
    let updated = "SELECT COUNT(*) FROM orders WHERE note = 'u'";
    let already = count(&d.pool, updated).await;
    let handle = writer(d.url.clone(), stop.clone(), Some(Duration::from_millis(2)));
    for _ in 0..500 {
        if count(&d.pool, updated).await > already {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let out = f.await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.store(true, Ordering::SeqCst);
    (out, handle.await.unwrap())
}

async fn types(pool: &PgPool) -> (String, String) {
    let ty = |t: &str, c: &str| {
        format!(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '{t}'::regclass AND attname = \
             '{c}' AND NOT attisdropped"
        )
    };
    let one = |sql: String| async move { sqlx::query_scalar::<_, String>(AssertSqlSafe(sql)).fetch_one(pool).await };
    (one(ty("orders", "id")).await.unwrap(), one(ty("items", "order_id")).await.unwrap())
}

/// The seeded rows, one digest per table.
async fn digests(pool: &PgPool) -> (String, String) {
    let digest = |sql: String| async move { sqlx::query_scalar::<_, String>(AssertSqlSafe(sql)).fetch_one(pool).await };
    (
        digest(format!("SELECT md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM orders WHERE id <= {ORDERS}"))
            .await
            .unwrap(),
        digest(format!(
            "SELECT md5(string_agg(id || ':' || order_id || ':' || note, ',' ORDER BY id)) FROM items WHERE id <= {ITEMS}"
        ))
        .await
        .unwrap(),
    )
}

fn int() -> (String, String) {
    ("integer".to_owned(), "integer".to_owned())
}

fn bigint() -> (String, String) {
    ("bigint".to_owned(), "bigint".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expand_is_applied_and_the_contract_runs_in_the_next_migration() {
    let Some(d) = seeded().await else { return };
    let seeded = digests(&d.pool).await;
    let migrator = Migrator::new(d.db.clone(), registry(true));

    // N: the expand only, recorded applied; the run stops before N+1 and names it.
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    let report = report.unwrap();
    assert_eq!(report.applied(), [WIDEN], "{report:?}");
    assert_eq!(report.contract_pending.as_deref(), Some(CONTRACT));
    assert_eq!(report.expanded.as_deref(), Some(WIDEN));
    assert!(
        report.summary().contains(&format!(
            "{WIDEN} is expanded and its contract migration {CONTRACT} is pending: the run stops here"
        )),
        "{}",
        report.summary()
    );
    assert!(counts.0 > 0 && counts.1 == 0, "the writer wrote, and no write timed out during the expand: {counts:?}");
    let history = migrator.history().await.unwrap();
    let row = history.iter().find(|r| r.name == WIDEN).expect("N's row");
    assert_eq!(row.dirty, None, "N is recorded applied: {row:?}");
    assert!(!history.iter().any(|r| r.name == CONTRACT));
    assert_eq!(types(&d.pool).await, int(), "the columns are not swapped yet");
    assert_eq!(count(&d.pool, "SELECT COUNT(*) FROM orders WHERE id__driftless_new IS DISTINCT FROM id").await, 0);
    let status = migrator.status().await.unwrap();
    assert_eq!(status.pending, [CONTRACT]);
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    // The dry run shows what N+1 runs: the contract.
    let dry = migrator.dry_run().await.unwrap().to_string();
    assert!(dry.contains(CONTRACT) && dry.contains(r#"ALTER TABLE "orders" DROP COLUMN "id""#), "{dry}");
    assert!(!dry.contains("ADD COLUMN"), "{dry}");

    // N+1: the contract, under the same writer.
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    let report = report.unwrap();
    assert_eq!(report.applied(), [CONTRACT]);
    assert_eq!(report.contract_pending, None);
    assert!(counts.0 > 0 && counts.1 == 0, "the writer wrote, and no write timed out during the contract: {counts:?}");
    assert_eq!(types(&d.pool).await, bigint());
    assert_eq!(shadow_objects(&d.pool).await, 0);
    assert_eq!(digests(&d.pool).await, seeded, "the seeded rows are exactly as before");
    let fk: bool = sqlx::query_scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'items_order_id_fkey'")
        .fetch_one(&d.pool)
        .await
        .unwrap();
    assert!(fk, "the foreign key is validated");
    assert!(migrator.status().await.unwrap().is_up_to_date());

    // Redo N+1: its down changes nothing; its up again finds the columns contracted and does nothing.
    let down = migrator.down().await.unwrap();
    assert_eq!(down.reverted(), [CONTRACT]);
    assert_eq!(types(&d.pool).await, bigint(), "reverting the contract changes nothing");
    let up = migrator.migrate().await.unwrap();
    assert_eq!(up.applied(), [CONTRACT]);
    assert_eq!(types(&d.pool).await, bigint());
    assert_eq!(shadow_objects(&d.pool).await, 0);

    // Down N+1, then down N: the reverse type change, rows intact.
    assert_eq!(migrator.down().await.unwrap().reverted(), [CONTRACT]);
    assert_eq!(migrator.down().await.unwrap().reverted(), [WIDEN]);
    assert_eq!(types(&d.pool).await, int());
    assert_eq!(digests(&d.pool).await, seeded);
    sqlx::query("INSERT INTO orders (note) VALUES ('after')").execute(&d.pool).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_of_an_expanded_migration_abandons_the_expand_and_contract_now_runs_both() {
    let Some(d) = seeded().await else { return };
    let seeded = digests(&d.pool).await;
    let migrator = Migrator::new(d.db.clone(), registry(true));
    migrator.migrate().await.unwrap();
    assert!(shadow_objects(&d.pool).await > 0, "expanded");

    // Down of N while expanded: the expand is undone, not the reverse ALTER.
    let down = migrator.down().await.unwrap();
    assert_eq!(down.reverted(), [WIDEN]);
    assert_eq!(shadow_objects(&d.pool).await, 0);
    assert_eq!(types(&d.pool).await, int());
    assert!(!migrator.history().await.unwrap().iter().any(|r| r.name == WIDEN));
    assert_eq!(digests(&d.pool).await, seeded);

    // `--contract`: both in one run.
    let report = migrator.clone().contract_now(true).migrate().await.unwrap();
    assert_eq!(report.applied(), [WIDEN, CONTRACT]);
    assert_eq!(report.contract_pending, None);
    assert_eq!(types(&d.pool).await, bigint());
    assert_eq!(shadow_objects(&d.pool).await, 0);
    assert_eq!(digests(&d.pool).await, seeded);
    assert!(migrator.history().await.unwrap().iter().all(|r| r.dirty.is_none()));
}

/// N run plain (online off for it): N+1 finds the columns already `bigint` and no shadow column, and does nothing;
/// N's down is then the reverse type change. The columns put back to `integer` by hand under an applied N: N+1
/// (reverted, then applied again) finds the old type and no shadow column, and runs the expand and the contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_migration_runs_against_what_it_finds() {
    let Some(d) = seeded().await else { return };
    let seeded = digests(&d.pool).await;
    let plain = Migrator::new(d.db.clone(), registry(false));
    let report = plain.migrate().await.unwrap();
    assert_eq!(report.applied(), [WIDEN, CONTRACT], "no stop: N ran plain");
    assert_eq!(report.contract_pending, None);
    assert_eq!(types(&d.pool).await, bigint());
    assert_eq!(shadow_objects(&d.pool).await, 0);
    assert_eq!(plain.down().await.unwrap().reverted(), [CONTRACT, WIDEN]);
    assert_eq!(types(&d.pool).await, int());
    assert_eq!(digests(&d.pool).await, seeded);

    plain.migrate().await.unwrap();
    d.pool
        .execute(
            "ALTER TABLE items ALTER COLUMN order_id TYPE integer; ALTER TABLE orders ALTER COLUMN id TYPE integer",
        )
        .await
        .unwrap();
    let migrator = Migrator::new(d.db.clone(), registry(true));
    assert_eq!(migrator.to(WIDEN).await.unwrap().reverted(), [CONTRACT]);
    assert_eq!(types(&d.pool).await, int());
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), [CONTRACT]);
    assert_eq!(types(&d.pool).await, bigint(), "expanded and contracted in one go");
    assert_eq!(shadow_objects(&d.pool).await, 0);
    assert_eq!(digests(&d.pool).await, seeded);
    let history = migrator.history().await.unwrap();
    assert!(history.iter().all(|r| r.dirty.is_none()), "{history:?}");
}

async fn exec(db: &Database, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
    .unwrap()
}

async fn strings(db: &Database, sql: &str) -> Vec<String> {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        Database::Mysql(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        _ => unreachable!("SQLite and MariaDB"),
    }
    .unwrap()
}

/// The types of `orders.id` and `items.order_id`, lowercased, and every row of both tables.
async fn state(db: &Database) -> (Vec<String>, Vec<String>) {
    let types = match db {
        Database::Sqlite(_) => {
            "SELECT lower(type) FROM pragma_table_info('orders') WHERE name = 'id' UNION ALL SELECT lower(type) FROM \
             pragma_table_info('items') WHERE name = 'order_id'"
        }
        _ => {
            "SELECT lower(CAST(DATA_TYPE AS CHAR)) FROM information_schema.columns WHERE table_schema = DATABASE() AND \
             ((table_name = 'orders' AND column_name = 'id') OR (table_name = 'items' AND column_name = 'order_id')) \
             ORDER BY table_name DESC"
        }
    };
    let rows = "SELECT CONCAT(CAST(id AS CHAR), ':', note) FROM orders UNION ALL SELECT CONCAT(CAST(id AS CHAR), ':', \
                CAST(order_id AS CHAR), ':', note) FROM items";
    let rows = if matches!(db, Database::Sqlite(_)) {
        rows.replace("CONCAT(", "(").replace(", ':', ", " || ':' || ")
    } else {
        rows.to_owned()
    };
    let mut rows = strings(db, &rows).await;
    rows.sort();
    (strings(db, types).await, rows)
}

/// SQLite and MariaDB: N runs the type change in full, N+1 runs nothing (both recorded); down N+1 changes nothing,
/// down N restores the type; the rows are the same throughout.
async fn elsewhere(testdb: TestDb) {
    let db = Database::connect(testdb.url()).await.unwrap();
    let migrator = Migrator::new(db.clone(), registry(true));
    migrator.to(CREATE).await.unwrap();
    exec(&db, "INSERT INTO orders (note) VALUES ('a'), ('b'), ('c')").await;
    exec(&db, "INSERT INTO items (order_id, note) VALUES (1, 'x'), (2, 'y'), (2, 'z')").await;
    let (before, rows) = state(&db).await;
    assert!(before.len() == 2 && before.iter().all(|t| t.starts_with("int")), "{before:?}");
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.applied(), [WIDEN, CONTRACT], "no stop off PostgreSQL");
    assert_eq!((report.contract_pending, report.expanded), (None, None));
    // SQLite spells an auto-increment key `integer` whatever its width (the rowid).
    let widened = if matches!(db, Database::Sqlite(_)) { ["integer", "bigint"] } else { ["bigint", "bigint"] };
    let widened: Vec<String> = widened.map(str::to_owned).to_vec();
    assert_ne!(before, widened);
    assert_eq!(state(&db).await, (widened.clone(), rows.clone()));
    assert_eq!(migrator.to(WIDEN).await.unwrap().reverted(), [CONTRACT]);
    assert_eq!(state(&db).await.0, widened, "reverting the contract changes nothing");
    assert_eq!(migrator.down().await.unwrap().reverted(), [WIDEN]);
    assert_eq!(state(&db).await, (before, rows));
    db.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_the_change_in_n_and_nothing_in_the_contract() {
    elsewhere(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_runs_the_change_in_n_and_nothing_in_the_contract() {
    let Some(testdb) = TestDb::mysql().await else { return };
    elsewhere(testdb).await;
}

/// `migrate-sql` (`script::migration_script`, as run online): N shows its expand only, N+1 the contract. The control:
/// N without its contract migration shows both phases, the marker between them.
#[test]
fn migrate_sql_shows_the_expand_in_n_and_the_contract_in_its_contract_migration() {
    use driftless_core::Dialect;
    use driftless_migrate::Direction;
    use driftless_migrate::script::{View, migration_script};
    let sql = |registry: &[Migration], name: &str| {
        migration_script(registry, name, Direction::Up, Dialect::Postgres, View::AsRun { online: true }).unwrap()
    };
    let n = sql(&registry(true), WIDEN);
    assert!(n.contains(r#"ALTER TABLE "orders" ADD COLUMN "id__driftless_new" bigint;"#), "{n}");
    assert!(!n.contains(r#"DROP COLUMN "id""#) && !n.contains("contract phase starts here"), "{n}");
    let n1 = sql(&registry(true), CONTRACT);
    assert!(n1.contains(r#"ALTER TABLE "orders" DROP COLUMN "id";"#), "{n1}");
    assert!(n1.contains(r#"ALTER TABLE "items" VALIDATE CONSTRAINT "items_order_id_fkey";"#), "{n1}");
    assert!(!n1.contains("ADD COLUMN"), "{n1}");
    let alone = sql(&registry(true)[..2], WIDEN);
    assert!(alone.contains(r#"DROP COLUMN "id""#) && alone.contains("contract phase starts here"), "{alone}");
    // Elsewhere N+1 is empty.
    let sqlite =
        migration_script(&registry(true), CONTRACT, Direction::Up, Dialect::Sqlite, View::AsRun { online: true });
    assert!(!sqlite.unwrap().contains("ALTER"));
}
