//! Backfills (`Step::Backfill`) on real databases: batches in key order with exact final rows, idempotence through
//! the predicate, `down` with an inverse and refused when irreversible, a backfill on a table created in the same
//! migration, SQLite's rowid and the others' refusal of a table without a primary key, and a run killed after a few
//! batches (a separate process, `driftless-migrate-backfill`, SIGKILLed) that the next run resumes after its
//! recorded key without redoing a batch; and, on PostgreSQL and MariaDB, a writer under a short lock timeout that
//! keeps writing during a backfill and times out during the plain `UPDATE` (the control).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use common::*;
use driftless_core::Dialect;
use driftless_core::migration::prelude::*;
use driftless_migrate::{BackfillProgress, Progress};

const FIXTURE: &str = env!("CARGO_BIN_EXE_driftless-migrate-backfill");

/// One backfill report: `(batches, rows_done, rows_total, finished)`.
type Report = (u64, u64, u64, bool);

/// Every backfill report of a run.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Report>>>);

impl Progress for Recorder {
    fn backfill_progress(&self, p: &BackfillProgress) {
        self.0.lock().unwrap().push((p.batches, p.rows_done, p.rows_total, p.finished));
    }
}

impl Recorder {
    fn take(&self) -> Vec<Report> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn items() -> driftless_core::Table {
    table("items")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("n", ColumnType::Integer))
        .with_column(column("tz", ColumnType::Text).nullable())
        .primary_key("items_pkey", &["id"])
}

const CREATE: &str = "m20260101T000000_create_items";
const FILL: &str = "m20260102T000000_fill_items";
const AGAIN: &str = "m20260103T000000_fill_items_again";

/// `tz` and `n` for the rows without a `tz`, undone by the inverse backfill.
fn fill() -> Step {
    backfill("items", &[("tz", "'UTC'"), ("n", "n * 2")])
        .when("tz IS NULL")
        .batch_size(1000)
        .undo(&[("tz", "NULL"), ("n", "n / 2")], Some("tz = 'UTC'"))
}

fn history() -> Vec<Migration> {
    vec![
        Migration::new(CREATE).up([create_table(items())]).down([drop_table(items())]),
        Migration::new(FILL).class(Class::ReviewRequired).up([fill()]).down([fill().inverse()]),
    ]
}

/// Inserts `n` rows into `table` (`id` from 1, `n = id`, `tz` NULL for even ids and 'X' for odd ones), 1000 a statement.
async fn seed(t: &Target, table: &str, n: i64) {
    for start in (1..=n).step_by(1000) {
        let values: Vec<String> = (start..(start + 1000).min(n + 1))
            .map(|i| format!("({i}, {i}, {})", if i % 2 == 0 { "NULL" } else { "'X'" }))
            .collect();
        t.exec(&format!("INSERT INTO {table} (id, n, tz) VALUES {}", values.join(", "))).await;
    }
}

/// `(rows with tz 'UTC', rows with tz 'X', rows with tz NULL, sum of n)`.
async fn state(t: &Target) -> (i64, i64, i64, i64) {
    let sum = if t.dialect == Dialect::Mysql { "CAST(SUM(n) AS SIGNED)" } else { "SUM(n)" };
    (
        t.count("SELECT COUNT(*) FROM items WHERE tz = 'UTC'").await,
        t.count("SELECT COUNT(*) FROM items WHERE tz = 'X'").await,
        t.count("SELECT COUNT(*) FROM items WHERE tz IS NULL").await,
        t.count(&format!("SELECT {sum} FROM items")).await,
    )
}

const ROWS: i64 = 20_000;
/// The sum of `n` after the backfill: odd ids keep `n = id`, even ids double it.
const SUM_AFTER: i64 = (ROWS / 2) * (ROWS / 2) + 2 * (ROWS / 2) * (ROWS / 2 + 1);
const SUM_BEFORE: i64 = ROWS * (ROWS + 1) / 2;

async fn batches_exact_rows_idempotence_and_down(t: Target) {
    let rec = Recorder::default();
    let migrator = |m: Vec<Migration>| t.migrator(m).progress(rec.clone());
    migrator(history()).to(CREATE).await.unwrap();
    seed(&t, "items", ROWS).await;
    assert_eq!(state(&t).await, (0, ROWS / 2, ROWS / 2, SUM_BEFORE));

    // `migrate --dry-run` shows the readable UPDATE and the rows it would fill.
    let dry = migrator(history()).dry_run().await.unwrap();
    let text = dry.to_string();
    assert!(text.contains("backfill [outside the transaction]: -- backfill: runs in batches of 1000 rows"), "{text}");
    assert!(text.contains("; 10000 rows to fill"), "{text}");
    assert!(rec.take().is_empty(), "a dry run runs no batch");

    migrator(history()).migrate().await.unwrap();
    assert_eq!(state(&t).await, (ROWS / 2, ROWS / 2, 0, SUM_AFTER));
    // 10 batches of 1000 matching rows, then one that finds none after the last key and ends it.
    let reports = rec.take();
    let mut expected = vec![(0, 0, 10_000, false)];
    expected.extend((1..=10).map(|b| (b, b * 1000, 10_000, false)));
    expected.push((11, 10_000, 10_000, true));
    assert_eq!(reports, expected);
    let rows = t.migrator([]).history().await.unwrap();
    assert!(rows.iter().all(|r| r.dirty.is_none()), "{rows:?}");
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NOT NULL").await, 0);

    // Idempotent through its predicate: the same backfill again finds nothing to do and changes nothing.
    let mut again = history();
    again.push(Migration::new(AGAIN).class(Class::ReviewRequired).up([fill()]).down([fill().inverse()]));
    migrator(again.clone()).migrate().await.unwrap();
    assert_eq!(state(&t).await, (ROWS / 2, ROWS / 2, 0, SUM_AFTER));
    assert_eq!(rec.take(), vec![(0, 0, 0, false), (1, 0, 0, true)]);

    // `down` runs the inverse backfill (the idempotent second one first, which finds its rows and undoes them:
    // the inverse's predicate is all it knows), and the rows are exactly as seeded.
    migrator(again.clone()).down().await.unwrap();
    assert_eq!(state(&t).await, (0, ROWS / 2, ROWS / 2, SUM_BEFORE));
    rec.take();
    migrator(again.clone()).down().await.unwrap();
    assert_eq!(state(&t).await, (0, ROWS / 2, ROWS / 2, SUM_BEFORE));
    assert_eq!(rec.take(), vec![(0, 0, 0, false), (1, 0, 0, true)]);

    // An irreversible backfill: `down` refuses, naming the reason, and changes nothing.
    let mut history_irreversible = history();
    history_irreversible[1] =
        Migration::new(FILL)
            .class(Class::ReviewRequired)
            .up([fill()])
            .down([backfill("items", &[("tz", "'UTC'")]).cannot_undo("the old zones are gone").inverse()]);
    migrator(history_irreversible.clone()).migrate().await.unwrap();
    let err = migrator(history_irreversible).down().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot revert migration {FILL}: the old zones are gone; restore from a backup, or write a new \
             migration instead"
        )
    );
    assert_eq!(state(&t).await, (ROWS / 2, ROWS / 2, 0, SUM_AFTER));
}

on_every_backend!(batches_exact_rows_idempotence_and_down);

/// A table created and filled in the same migration, then backfilled in it; and a table without a primary key:
/// SQLite batches by rowid, PostgreSQL and MariaDB refuse before anything runs, naming the table.
async fn same_migration_and_tables_without_a_key(t: Target) {
    let fresh = table("fresh")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("label", ColumnType::Text).nullable())
        .primary_key("fresh_pkey", &["id"]);
    let m = Migration::new("m20260201T000000_fresh").class(Class::ReviewRequired).up([
        create_table(fresh),
        raw_sql(driftless_core::define::sql("INSERT INTO fresh (id) VALUES (1), (2), (3)")).changes_nothing(),
        backfill("fresh", &[("label", "'new'")]).when("label IS NULL").batch_size(2),
    ]);
    let rec = Recorder::default();
    t.migrator([m.clone()]).progress(rec.clone()).migrate().await.unwrap();
    assert_eq!(t.strings("SELECT label FROM fresh ORDER BY id").await, ["new", "new", "new"]);
    assert_eq!(rec.take(), vec![(0, 0, 3, false), (1, 2, 3, false), (2, 3, 3, true)]);

    let loose = table("loose").with_column(column("v", ColumnType::Text).nullable());
    let m2 = Migration::new("m20260202T000000_loose").class(Class::ReviewRequired).up([
        create_table(loose),
        raw_sql(driftless_core::define::sql("INSERT INTO loose (v) VALUES (NULL), (NULL), (NULL), ('keep')"))
            .changes_nothing(),
        backfill("loose", &[("v", "'set'")]).when("v IS NULL").batch_size(2),
    ]);
    let result = t.migrator([m.clone(), m2]).migrate().await;
    match t.dialect {
        Dialect::Sqlite => {
            result.unwrap();
            assert_eq!(t.strings("SELECT v FROM loose ORDER BY rowid").await, ["set", "set", "set", "keep"]);
        }
        d => {
            let dialect = if d == Dialect::Postgres { "postgres" } else { "mysql" };
            assert_eq!(
                result.unwrap_err().to_string(),
                format!(
                    "while applying migration m20260202T000000_loose: cannot render it for {dialect}: backfill on \
                     table `loose` cannot be rendered for {dialect}: the table has no primary key, and a backfill \
                     runs in primary-key order; add a primary key first, or write the UPDATE as raw SQL"
                )
            );
            assert!(!t.has_table("loose").await, "a refusal changes nothing");
        }
    }
}

on_every_backend!(same_migration_and_tables_without_a_key);

/// The fixture's progress lines, parsed: `(batches, rows_done, rows_total, last key, resumed, finished)`.
type Line = (u64, u64, u64, String, bool, bool);

fn parse(line: &str) -> Option<Line> {
    let w: Vec<&str> = line.split(' ').collect();
    (w.len() == 12 && w[0] == "batch").then(|| {
        (
            w[1].parse().unwrap(),
            w[3].parse().unwrap(),
            w[5].parse().unwrap(),
            w[7].to_owned(),
            w[9] == "true",
            w[11] == "true",
        )
    })
}

fn fixture(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(FIXTURE);
    cmd.arg(url).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// A run killed (SIGKILL) after three committed batches leaves exactly the rows up to its recorded key done; the
/// next run resumes after that key, redoes no batch (`hits` would be 2) and ends with every row done once.
async fn a_killed_backfill_resumes_after_its_recorded_key(t: Target) {
    let url = t.db.url().to_owned();
    let out = fixture(&url, &["--first"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for start in (1..=ROWS).step_by(1000) {
        let values: Vec<String> = (start..start + 1000).map(|i| format!("({i})")).collect();
        t.exec(&format!("INSERT INTO bf (id) VALUES {}", values.join(", "))).await;
    }

    let killed_after = tokio::task::spawn_blocking(move || {
        let mut child = fixture(&url, &["--batch", "1000", "--throttle", "150"]).spawn().unwrap();
        let mut seen = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = parse(&line.unwrap()).expect("a progress line");
            seen.push(line.clone());
            if line.0 == 3 {
                child.kill().unwrap();
                break;
            }
        }
        child.wait().unwrap();
        seen
    })
    .await
    .unwrap();
    assert_eq!(killed_after.first().map(|l| (l.0, l.2, l.4)), Some((0, ROWS as u64, false)));
    assert_eq!(killed_after.last().map(|l| (l.0, l.1, l.3.as_str())), Some((3, 3000, "3000")));

    // The tracking row is dirty and holds the last committed batch's key (3000, or 4000 if the fourth batch
    // committed before the kill landed); exactly the rows up to it are done.
    let key = t.strings("SELECT backfill_key FROM driftless_migrations WHERE dirty = 'up'").await;
    assert!(key == ["[\"3000\"]"] || key == ["[\"4000\"]"], "{key:?}");
    let upto: i64 = key[0].trim_matches(|c| c == '[' || c == ']' || c == '"').parse().unwrap();
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM bf WHERE id <= {upto} AND hits = 1 AND tz = 'UTC'")).await, upto);
    assert_eq!(
        t.count(&format!("SELECT COUNT(*) FROM bf WHERE id > {upto} AND hits = 0 AND tz IS NULL")).await,
        ROWS - upto
    );

    // The next run resumes after the key: it counts and does only the rest, in (rest / 1000) full batches and a
    // last one that finds nothing more.
    let out = fixture(t.db.url(), &["--batch", "1000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Line> = String::from_utf8_lossy(&out.stdout).lines().filter_map(parse).collect();
    let rest = (ROWS - upto) as u64;
    assert_eq!(lines.first().map(|l| (l.0, l.2, l.3.clone(), l.4)), Some((0, rest, upto.to_string(), true)));
    assert_eq!(lines.last().map(|l| (l.0, l.1, l.5)), Some((rest / 1000 + 1, rest, true)));
    assert_eq!(t.count("SELECT COUNT(*) FROM bf WHERE hits = 1 AND tz = 'UTC'").await, ROWS);
    assert_eq!(t.count("SELECT COUNT(*) FROM bf WHERE hits <> 1 OR tz IS NULL").await, 0);
    let rows = t.migrator([]).history().await.unwrap();
    assert!(rows.iter().all(|r| r.dirty.is_none()), "{rows:?}");
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NOT NULL").await, 0);
}

on_every_backend!(a_killed_backfill_resumes_after_its_recorded_key);

/// A tracking table made before `backfill_key` existed gets the column on the next run, and its rows stay.
async fn an_older_tracking_table_gets_the_backfill_key_column(t: Target) {
    t.migrator(history()).to(CREATE).await.unwrap();
    t.exec("ALTER TABLE driftless_migrations DROP COLUMN backfill_key").await;
    seed(&t, "items", 10).await;
    t.migrator(history()).migrate().await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE tz = 'UTC'").await, 5);
    let rows = t.migrator([]).history().await.unwrap();
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), [CREATE, FILL]);
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NULL").await, 2);
}

on_every_backend!(an_older_tracking_table_gets_the_backfill_key_column);

/// The generator's shape for a NOT NULL column added to a populated table: add it nullable, backfill it, make it
/// NOT NULL (online on PostgreSQL: the backfill is a unit of its own between the others). Its `down` loosens and
/// drops the column and needs nothing for the backfill (its inverse does nothing and is left out).
async fn add_nullable_backfill_then_not_null(t: Target) {
    let rec = Recorder::default();
    t.migrator(history()[..1].to_vec()).migrate().await.unwrap();
    seed(&t, "items", 2_500).await;
    let nullable = column("region", ColumnType::Varchar(16)).nullable();
    let required = column("region", ColumnType::Varchar(16));
    let fill = backfill("items", &[("region", "'eu'")]).when("region IS NULL").batch_size(1000);
    let up = vec![
        add_column("items", nullable.clone()),
        fill.clone(),
        alter_column("items", nullable.clone(), required.clone()),
    ];
    let down: Vec<Step> = up.iter().rev().map(Step::inverse).filter(|s| !s.does_nothing()).collect();
    assert_eq!(down, [alter_column("items", required, nullable.clone()), drop_column("items", nullable)]);
    let m = Migration::new("m20260301T000000_region").class(Class::ReviewRequired).up(up).down(down);
    let registry = vec![history().remove(0), m];
    t.migrator(registry.clone()).progress(rec.clone()).migrate().await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE region = 'eu'").await, 2_500);
    // The backfill's last progress event: 3 batches, every row. (On MariaDB the NOT NULL after it then copies the
    // table through a shadow table, which reports its own chunks after.)
    let events = rec.take();
    assert!(events.contains(&(3, 2_500, 2_500, true)), "{events:?}");
    // NOT NULL holds.
    let insert = t.pool.clone();
    let refused = match &insert {
        driftless_migrate::Database::Sqlite(p) => {
            sqlx::raw_sql("INSERT INTO items (id, n) VALUES (0, 0)").execute(p).await.is_err()
        }
        driftless_migrate::Database::Postgres(p) => {
            sqlx::raw_sql("INSERT INTO items (id, n) VALUES (0, 0)").execute(p).await.is_err()
        }
        driftless_migrate::Database::Mysql(p) => {
            sqlx::raw_sql("INSERT INTO items (id, n) VALUES (0, 0)").execute(p).await.is_err()
        }
        _ => unreachable!(),
    };
    assert!(refused, "region is NOT NULL without a default");
    t.migrator(registry).down().await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM items").await, 2_500);
    let columns = match t.dialect {
        Dialect::Sqlite => "SELECT COUNT(*) FROM pragma_table_info('items') WHERE name = 'region'",
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'region'"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'items' AND column_name = 'region'"
        }
    };
    assert_eq!(t.count(columns).await, 0);
}

on_every_backend!(add_nullable_backfill_then_not_null);

/// A backfill that fails part-way (a check rejects a row of its fifth batch) names the key it recorded; the batches
/// before stay done. Once the data is fixed, the next run resumes after that key and redoes none of them (a redone
/// row would hold `n * 100`). A migration resolved by hand as applied forgets its backfill key.
async fn a_failed_backfill_resumes_after_the_fix(t: Target) {
    let checked = items().check("items_n_small", "n < 5000");
    let create = Migration::new(CREATE).up([create_table(checked.clone())]).down([drop_table(checked)]);
    let times_ten = |name: &str| {
        Migration::new(name)
            .class(Class::ReviewRequired)
            .up([backfill("items", &[("n", "n * 10")]).batch_size(100)])
            .down([irreversible("no way back")])
    };
    t.migrator([create.clone()]).migrate().await.unwrap();
    seed(&t, "items", 1_000).await;
    let registry = vec![create.clone(), times_ten(FILL)];
    let err = t.migrator(registry.clone()).migrate().await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "while applying migration {FILL}: the backfill of `items` (statement 1 of 1) failed after 4 batch(es) of \
             this run (400 rows): "
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            "each batch commits on its own: the rows up to key [\"400\"] are done and that key is recorded, so the \
             next run resumes there without redoing a batch; fix the cause and run the migrator again"
        ),
        "{err}"
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE id <= 400 AND n = id * 10").await, 400);
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE id > 400 AND n = id").await, 600);
    assert_eq!(t.strings("SELECT backfill_key FROM driftless_migrations WHERE dirty = 'up'").await, ["[\"400\"]"]);

    t.exec("UPDATE items SET n = 1 WHERE id > 400").await;
    t.migrator(registry.clone()).migrate().await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE id <= 400 AND n = id * 10").await, 400);
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE id > 400 AND n = 10").await, 600);

    let mut again = registry;
    again.push(times_ten(AGAIN));
    t.migrator(again.clone()).migrate().await.unwrap_err();
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NOT NULL").await, 1);
    t.migrator(again).resolve_applied(AGAIN).await.unwrap();
    assert_eq!(t.count("SELECT COUNT(*) FROM driftless_migrations WHERE backfill_key IS NOT NULL").await, 0);
}

on_every_backend!(a_failed_backfill_resumes_after_the_fix);

/// PostgreSQL, under a writer with `lock_timeout = 200ms` on rows an early batch did: while a later batch is held up
/// (its SET expression sleeps 3 s on one row), the writer keeps writing, because the earlier batches have
/// committed; the control — the same change as one plain `UPDATE`, what `migrate-sql` shows and other tools run —
/// holds those rows until it ends, and the writer times out every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_writer_keeps_writing_during_a_backfill_and_not_during_the_plain_update() {
    use sqlx::{Connection, Executor, PgConnection};
    let Some(t) = Target::new(driftless_testdb::Backend::Postgres).await else { return };
    let driftless_migrate::Database::Postgres(pool) = t.pool.clone() else { unreachable!() };
    t.migrator(history()[..1].to_vec()).migrate().await.unwrap();
    pool.execute("INSERT INTO items (id, n) SELECT g, g FROM generate_series(1, 20000) g").await.unwrap();
    let slow = backfill("items", &[("n", "n + CASE WHEN id = 4500 THEN (SELECT 0 FROM pg_sleep(3)) ELSE 0 END")])
        .batch_size(1000);
    let writer = |url: String| async move {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        conn.execute("SET lock_timeout = '200ms'").await.unwrap();
        let (mut ok, mut timed_out) = (0, 0);
        for id in 100..110i64 {
            match sqlx::query("UPDATE items SET n = n + 1 WHERE id = $1").bind(id).execute(&mut conn).await {
                Ok(_) => ok += 1,
                Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("55P03") => timed_out += 1,
                Err(e) => panic!("writer: {e}"),
            }
        }
        (ok, timed_out)
    };
    let sleeping = || async {
        for _ in 0..500 {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE '%UPDATE \"items\"%' AND wait_event = 'PgSleep' \
                 AND pid <> pg_backend_pid()",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the UPDATE never reached its sleep");
    };

    let m = Migration::new(FILL).class(Class::ReviewRequired).up([slow.clone()]);
    let migrator = t.migrator([history().remove(0), m]);
    let run = tokio::spawn(async move { migrator.migrate().await });
    sleeping().await;
    assert_eq!(writer(t.db.url().to_owned()).await, (10, 0), "the writer kept writing during the backfill");
    run.await.unwrap().unwrap();

    // The control: the plain UPDATE, as `migrate-sql` shows it. The table is put back in key order first, so that
    // the UPDATE's scan reaches the writer's rows before the row it sleeps on.
    pool.execute("CLUSTER items USING items_pkey").await.unwrap();
    let schema = driftless_core::migration::schemas_along(&history()[..1]).pop().flatten().unwrap();
    let plain = driftless_core::render::render_steps(&[slow], Dialect::Postgres, &schema).unwrap();
    let text = plain.statements[0].sql.clone();
    assert!(text.contains("\nUPDATE \"items\" SET \"n\" = n + CASE"), "{text}");
    let control = pool.clone();
    let run = tokio::spawn(async move { control.execute(sqlx::AssertSqlSafe(text)).await.map(drop) });
    sleeping().await;
    assert_eq!(writer(t.db.url().to_owned()).await, (0, 10), "the plain UPDATE blocked every write");
    run.await.unwrap().unwrap();
}

/// MariaDB, the same proof with `innodb_lock_wait_timeout = 1` (whole seconds there): a writer on rows an early
/// batch did keeps writing while a later batch sleeps, and times out during the plain `UPDATE` (the control).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_a_writer_keeps_writing_during_a_backfill_and_not_during_the_plain_update() {
    use sqlx::{Connection, Executor, MySqlConnection};
    let Some(t) = Target::new(driftless_testdb::Backend::Mysql).await else { return };
    let driftless_migrate::Database::Mysql(pool) = t.pool.clone() else { unreachable!() };
    t.migrator(history()[..1].to_vec()).migrate().await.unwrap();
    seed(&t, "items", 20_000).await;
    let slow = backfill("items", &[("n", "n + IF(id = 4500, SLEEP(4), 0)")]).batch_size(1000);
    let writer = |url: String| async move {
        let mut conn = MySqlConnection::connect(&url).await.unwrap();
        conn.execute("SET SESSION innodb_lock_wait_timeout = 1").await.unwrap();
        let (mut ok, mut timed_out) = (0, 0);
        for id in 100..102i64 {
            match sqlx::query("UPDATE items SET n = n + 1 WHERE id = ?").bind(id).execute(&mut conn).await {
                Ok(_) => ok += 1,
                Err(e) if e.to_string().contains("Lock wait timeout exceeded") => timed_out += 1,
                Err(e) => panic!("writer: {e}"),
            }
        }
        (ok, timed_out)
    };
    let sleeping = || async {
        for _ in 0..500 {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%UPDATE `items`%' \
                 AND state = 'User sleep' AND id <> CONNECTION_ID()",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the UPDATE never reached its sleep");
    };

    let m = Migration::new(FILL).class(Class::ReviewRequired).up([slow.clone()]);
    let migrator = t.migrator([history().remove(0), m]);
    let run = tokio::spawn(async move { migrator.migrate().await });
    sleeping().await;
    assert_eq!(writer(t.db.url().to_owned()).await, (2, 0), "the writer kept writing during the backfill");
    run.await.unwrap().unwrap();

    let schema = driftless_core::migration::schemas_along(&history()[..1]).pop().flatten().unwrap();
    let plain = driftless_core::render::render_steps(&[slow], Dialect::Mysql, &schema).unwrap();
    let text = plain.statements[0].sql.clone();
    let control = pool.clone();
    let run = tokio::spawn(async move { control.execute(sqlx::AssertSqlSafe(text)).await.map(drop) });
    sleeping().await;
    assert_eq!(writer(t.db.url().to_owned()).await, (0, 2), "the plain UPDATE blocked every write");
    run.await.unwrap().unwrap();
}
