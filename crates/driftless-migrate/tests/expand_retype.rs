//! Online PostgreSQL expand/contract of the rewriting type changes other than an integer widening
//! (`src/expand_contract.rs`): `integer` → `numeric(12,2)` on a non-key column with an index, a default and a
//! comment, and `text` → `uuid` on a column with a unique constraint, in one migration on a seeded table of 50,000
//! rows, under a writer with `lock_timeout = 200ms`. The shadow columns get the plain ALTER's own `USING`
//! conversion. The controls: the plain `ALTER … TYPE` (`.online(false)`) times the same writer out, and its catalog
//! is the one the contract must reach; a value that does not convert makes the probe refuse before anything runs;
//! `migrate-down` of the paused expand restores the catalog exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

#[path = "common/pg_db.rs"]
mod pg_db;
use pg_db::{Db, seeded_with};

const CREATE: &str = "m20260101T000000_create_accounts";
const RETYPE: &str = "m20260102T000000_accounts_retype";
const ROWS: i64 = 50_000;
const MONEY: ColumnType = ColumnType::Decimal { precision: 12, scale: 2 };

fn amount(ty: ColumnType) -> Column {
    column("amount", ty).default_sql("0").comment("in cents")
}

fn token(ty: ColumnType) -> Column {
    column("token", ty).comment("the public id")
}

fn accounts(amount_ty: ColumnType, token_ty: ColumnType) -> Table {
    table("accounts")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(amount(amount_ty))
        .with_column(token(token_ty))
        .with_column(column("note", ColumnType::Text))
        .primary_key("accounts_pkey", &["id"])
        .index(index("accounts_amount_idx", &["amount"]))
        .unique("accounts_token_key", &["token"])
}

fn create() -> Migration {
    let t = accounts(ColumnType::Integer, ColumnType::Text);
    Migration::new(CREATE).up([create_table(t.clone())]).down([drop_table(t)])
}

fn retype(online: bool) -> Migration {
    Migration::new(RETYPE)
        .online(online)
        .class(Class::Dangerous)
        .acknowledged("the test", "text to uuid fails on a value that is not one; the probe refuses first")
        .up([
            alter_column("accounts", amount(ColumnType::Integer), amount(MONEY)),
            alter_column("accounts", token(ColumnType::Text), token(ColumnType::Uuid)),
        ])
        .down([
            alter_column("accounts", token(ColumnType::Uuid), token(ColumnType::Text)),
            alter_column("accounts", amount(MONEY), amount(ColumnType::Integer)),
        ])
}

/// A database with the table and 50,000 rows; the tokens are valid uuid input in two spellings (32 upper-case hex
/// digits, or the canonical form), so the cast changes their text.
async fn seeded() -> Option<Db> {
    seeded_with(
        create(),
        &format!(
            "INSERT INTO accounts (amount, token, note) SELECT g * 7, CASE WHEN g % 2 = 0 THEN upper(md5(g::text)) \
         ELSE md5(g::text)::uuid::text END, repeat('n', 1000) FROM generate_series(1, {ROWS}) g"
        ),
    )
    .await
}

/// A writer with `lock_timeout = 200ms` that loops until stopped: insert an account, then update its amount.
/// Returns (writes that succeeded, writes that timed out); any other error fails the test.
fn writer(url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(usize, usize)> {
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
            let id: Result<i64, _> =
                sqlx::query_scalar("INSERT INTO accounts (token, note) VALUES (gen_random_uuid(), 'w') RETURNING id")
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
            let r = sqlx::query("UPDATE accounts SET amount = amount + 1 WHERE id = $1").bind(id).execute(&mut conn);
            count(r.await.map(|_| ()));
        }
        (ok, timed_out)
    })
}

/// Runs `f` while the writer writes (it has written before `f` starts); returns `f`'s result and the counts.
async fn while_writing<T>(d: &Db, f: impl std::future::Future<Output = T>) -> (T, (usize, usize)) {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = writer(d.url.clone(), stop.clone());
    for _ in 0..500 {
        if count(&d.pool, "SELECT COUNT(*) FROM accounts WHERE note = 'w' AND amount > 0").await > 0 {
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

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.unwrap()
}

/// The seeded rows, each as the text of its values, as one digest.
async fn digest(pool: &PgPool, amount: &str, token: &str) -> String {
    text(
        pool,
        &format!(
            "SELECT md5(string_agg(id || ':' || ({amount}) || ':' || ({token}), ',' ORDER BY id)) FROM accounts \
             WHERE id <= {ROWS}"
        ),
    )
    .await
}

/// The schema as the catalog says it (columns with types, nullability, defaults, identity and comments; indexes;
/// constraints; triggers; functions; sequences), one line each, sorted.
async fn catalog(pool: &PgPool) -> String {
    text(
        pool,
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ( \
           SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) \
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' identity=' || a.attidentity::text \
             || ' default=' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '') \
             || ' comment=' || COALESCE(col_description(c.oid, a.attnum), '') AS line \
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
           WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped \
             AND c.relname = 'accounts' \
           UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = 'accounts' \
           UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
             || ' validated=' || convalidated::text FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
           UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal \
           UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace \
           UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = current_schema() \
         ) lines",
    )
    .await
}

async fn leftovers(pool: &PgPool) -> i64 {
    // In this test's schema only: the other tests of the file run at the same time in schemas of their own.
    count(
        pool,
        "SELECT (SELECT COUNT(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 WHERE c.relnamespace = current_schema()::regnamespace AND attname LIKE '%driftless_new%' \
                 AND NOT attisdropped) \
         + (SELECT COUNT(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
            WHERE c.relnamespace = current_schema()::regnamespace AND tgname LIKE '%driftless%') \
         + (SELECT COUNT(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace \
            AND proname LIKE '%driftless%') \
         + (SELECT COUNT(*) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
            AND conname LIKE '%driftless_new%') \
         + (SELECT COUNT(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace \
            AND relname LIKE '%driftless_new%')",
    )
    .await
}

/// The catalog the plain `ALTER … TYPE … USING` reaches, on a database of its own.
async fn plain_catalog() -> Option<String> {
    let d = seeded().await?;
    Migrator::new(d.db.clone(), [create(), retype(false)]).migrate().await.unwrap();
    Some(catalog(&d.pool).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_and_uuid_expand_then_contract_under_a_writer_and_reach_the_plain_catalog() {
    let Some(d) = seeded().await else { return };
    let Some(plain) = plain_catalog().await else { return };
    // The seeded rows converted as the plain ALTER converts them, and (the control) as they are before.
    let expected = digest(&d.pool, "amount::numeric(12,2)", "token::uuid").await;
    assert_ne!(digest(&d.pool, "amount", "token").await, expected, "the cast changes the text of the rows");

    // Expand: the run stops before the contract.
    let migrator = Migrator::new(d.db.clone(), [create(), retype(true)]);
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    let report = report.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(RETYPE), "{report:?}");
    println!("expand: writer (ok, timed out) = {counts:?}");
    assert_eq!(counts.1, 0, "no write timed out during the expand: {counts:?}");
    assert!(counts.0 > 0, "{counts:?}");
    // Every row, those the writer wrote during the expand included, holds the plain ALTER's conversion.
    let differ = "SELECT COUNT(*) FROM accounts WHERE amount__driftless_new IS DISTINCT FROM amount::numeric(12,2) \
                  OR token__driftless_new IS DISTINCT FROM token::uuid";
    assert_eq!(count(&d.pool, differ).await, 0);
    // While both columns exist, a write whose value does not convert fails in the trigger, and is not written.
    let err = d.pool.execute("INSERT INTO accounts (token, note) VALUES ('not-a-uuid', 'bad')").await.unwrap_err();
    assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("22P02"), "{err}");
    assert!(err.to_string().contains("invalid input syntax for type uuid: \"not-a-uuid\""), "{err}");
    assert_eq!(count(&d.pool, "SELECT COUNT(*) FROM accounts WHERE note = 'bad'").await, 0);

    // Contract.
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    assert_eq!(report.unwrap().applied(), vec![RETYPE]);
    println!("contract: writer (ok, timed out) = {counts:?}");
    assert_eq!(counts.1, 0, "no write timed out during the contract: {counts:?}");
    assert!(counts.0 > 0, "{counts:?}");

    assert_eq!(digest(&d.pool, "amount", "token").await, expected, "the values are the cast of the old ones");
    assert_eq!(leftovers(&d.pool).await, 0, "no shadow column, trigger, function, check or index left");
    assert_eq!(catalog(&d.pool).await, plain, "the catalog is the plain ALTER's");
    for line in [
        "column accounts.amount numeric(12,2) not null identity= default=0 comment=in cents",
        "column accounts.token uuid not null identity= default= comment=the public id",
        "index CREATE INDEX accounts_amount_idx ON public.accounts USING btree (amount)",
        "constraint accounts accounts_token_key UNIQUE (token) validated=true",
    ] {
        assert!(plain.lines().any(|l| l == line), "{line} in:\n{plain}");
    }
    // The default and the identity work after the swap.
    let amount =
        text(&d.pool, "INSERT INTO accounts (token, note) VALUES (gen_random_uuid(), 'x') RETURNING amount::text")
            .await;
    assert_eq!(amount, "0.00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_type_change_times_the_writer_out() {
    let Some(d) = seeded().await else { return };
    let expected = digest(&d.pool, "amount::numeric(12,2)", "token::uuid").await;
    let migrator = Migrator::new(d.db.clone(), [create(), retype(false)]);
    let (report, counts) = while_writing(&d, migrator.migrate()).await;
    assert_eq!(report.unwrap().applied(), vec![RETYPE]);
    println!("plain: writer (ok, timed out) = {counts:?}");
    assert!(counts.1 > 0, "the rewrite under ACCESS EXCLUSIVE timed the writer out: {counts:?}");
    assert_eq!(digest(&d.pool, "amount", "token").await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_is_not_a_uuid_refuses_at_the_probe_and_changes_nothing() {
    let Some(d) = seeded().await else { return };
    d.pool.execute("UPDATE accounts SET token = 'not-a-uuid' WHERE id = 17").await.unwrap();
    let before = catalog(&d.pool).await;
    let rows = digest(&d.pool, "amount", "token").await;
    let err = Migrator::new(d.db.clone(), [create(), retype(true)]).migrate().await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "refusing to apply migration {RETYPE}: step 2 (alter_column on accounts) would fail on existing data: 1 \
             rows where token does not fit uuid (examples, id: 17); changing the type from text to uuid would fail on \
             them or change them; fix those rows first, or keep the wider type. Nothing of {RETYPE} has run"
        )
    );
    assert_eq!(catalog(&d.pool).await, before, "nothing changed");
    assert_eq!(digest(&d.pool, "amount", "token").await, rows);
    assert_eq!(leftovers(&d.pool).await, 0);
    let tracked: i64 =
        count(&d.pool, &format!("SELECT COUNT(*) FROM driftless_migrations WHERE name = '{RETYPE}'")).await;
    assert_eq!(tracked, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_of_the_paused_expand_restores_the_catalog_exactly() {
    let Some(d) = seeded().await else { return };
    let before = catalog(&d.pool).await;
    let rows = digest(&d.pool, "amount", "token").await;
    let migrator = Migrator::new(d.db.clone(), [create(), retype(true)]);
    let report = migrator.migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(RETYPE));
    assert_ne!(catalog(&d.pool).await, before, "the control: the expand changed the catalog");
    let report = migrator.down().await.unwrap();
    assert_eq!(report.reverted(), vec![RETYPE]);
    assert_eq!(catalog(&d.pool).await, before);
    assert_eq!(digest(&d.pool, "amount", "token").await, rows);
    // Pending again: `migrate` expands and, with `contract_now`, contracts.
    let report = migrator.contract_now(true).migrate().await.unwrap();
    assert_eq!((report.applied(), report.contract_pending.clone()), (vec![RETYPE], None));
    assert_eq!(leftovers(&d.pool).await, 0);
}

/// `timestamp` → `timestamptz` reinterprets each value in a session time zone: the trigger converts a writer's row
/// in the migrator's zone (its function is pinned to it), as the backfill and the plain ALTER do, not in the
/// writer's. The control: the same conversion in the writer's session gives another instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_to_timestamptz_converts_a_writers_row_in_the_migrators_time_zone() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let at = |ty| column("at", ty);
    let events = table("events")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(at(ColumnType::DateTime))
        .primary_key("events_pkey", &["id"]);
    let create = Migration::new(CREATE).up([create_table(events.clone())]).down([drop_table(events)]);
    let retype = Migration::new(RETYPE)
        .class(Class::ReviewRequired)
        .up([alter_column("events", at(ColumnType::DateTime), at(ColumnType::TimestampTz))])
        .down([alter_column("events", at(ColumnType::TimestampTz), at(ColumnType::DateTime))]);
    Migrator::new(db.clone(), [create.clone()]).migrate().await.unwrap();
    pool.execute("INSERT INTO events (at) SELECT '2026-01-01'::timestamp + g * interval '1 hour' FROM generate_series(1, 1000) g")
        .await
        .unwrap();
    let migrator_zone = text(pool, "SELECT current_setting('TimeZone')").await;
    assert_ne!(migrator_zone, "Asia/Tokyo");
    let report = Migrator::new(db.clone(), [create.clone(), retype.clone()]).migrate().await.unwrap();
    assert_eq!(report.contract_pending.as_deref(), Some(RETYPE));

    let mut writer = PgConnection::connect(testdb.url()).await.unwrap();
    writer.execute("SET TimeZone = 'Asia/Tokyo'").await.unwrap();
    let written: String = sqlx::query_scalar(
        "INSERT INTO events (at) VALUES ('2026-06-01 12:00') RETURNING (at__driftless_new AT TIME ZONE 'UTC')::text",
    )
    .fetch_one(&mut writer)
    .await
    .unwrap();
    let in_migrator_zone =
        text(pool, "SELECT (('2026-06-01 12:00'::timestamp::timestamptz) AT TIME ZONE 'UTC')::text").await;
    let in_writer_zone: String =
        sqlx::query_scalar("SELECT (('2026-06-01 12:00'::timestamp::timestamptz) AT TIME ZONE 'UTC')::text")
            .fetch_one(&mut writer)
            .await
            .unwrap();
    assert_eq!(written, in_migrator_zone);
    assert_ne!(written, in_writer_zone, "the control: the writer's own zone gives another instant");

    let report = Migrator::new(db.clone(), [create, retype]).migrate().await.unwrap();
    assert_eq!(report.applied(), vec![RETYPE]);
    let differ = count(
        pool,
        "SELECT COUNT(*) FROM events WHERE id <= 1000 \
         AND at IS DISTINCT FROM ('2026-01-01'::timestamp + id * interval '1 hour')::timestamptz",
    )
    .await;
    assert_eq!(differ, 0, "the backfilled rows are the plain ALTER's conversion in the migrator's zone");
    assert_eq!(leftovers(pool).await, 0);
}

/// A smaller `numeric` precision can overflow: the probe (PostgreSQL's rounding to the new scale, then the integer
/// digits) refuses before anything runs; once the row fits, the same migration expands and contracts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_numeric_that_does_not_fit_the_smaller_precision_refuses_at_the_probe() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let total = |ty| column("total", ty);
    let wide = ColumnType::Decimal { precision: 10, scale: 2 };
    let narrow = ColumnType::Decimal { precision: 8, scale: 2 };
    let orders = table("orders")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(total(wide.clone()))
        .primary_key("orders_pkey", &["id"]);
    let create = Migration::new(CREATE).up([create_table(orders.clone())]).down([drop_table(orders)]);
    let retype = Migration::new(RETYPE)
        .class(Class::Dangerous)
        .acknowledged("the test", "a smaller precision fails on a value that does not fit; the probe refuses first")
        .up([alter_column("orders", total(wide.clone()), total(narrow.clone()))])
        .down([alter_column("orders", total(narrow), total(wide))]);
    Migrator::new(db.clone(), [create.clone()]).migrate().await.unwrap();
    pool.execute("INSERT INTO orders (total) SELECT g * 1.25 FROM generate_series(1, 1000) g").await.unwrap();
    // 999999.995 rounds to 1000000.00: 7 integer digits, one more than numeric(8,2) holds.
    pool.execute("UPDATE orders SET total = 999999.995 WHERE id = 5").await.unwrap();
    let migrator = Migrator::new(db.clone(), [create, retype]).contract_now(true);
    let err = migrator.migrate().await.unwrap_err().to_string();
    assert!(
        err.contains(
            "would fail on existing data: 1 rows where total does not fit decimal(8,2) (examples, id: 5); changing \
             the type from decimal(10,2) to decimal(8,2) would fail on them or change them"
        ),
        "{err}"
    );
    assert_eq!(leftovers(pool).await, 0, "nothing ran");
    pool.execute("UPDATE orders SET total = 999999.99 WHERE id = 5").await.unwrap();
    let report = migrator.migrate().await.unwrap();
    assert_eq!((report.applied(), report.contract_pending.clone()), (vec![RETYPE], None));
    assert_eq!(text(pool, "SELECT total::text FROM orders WHERE id = 5").await, "999999.99");
    assert_eq!(count(pool, "SELECT COUNT(*) FROM orders WHERE id <> 5 AND total <> id * 1.25").await, 0);
    assert_eq!(leftovers(pool).await, 0);
}
