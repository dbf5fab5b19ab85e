//! Writers under a schema change on MariaDB: driftless's online migration (each `ALTER` with its
//! `ALGORITHM=…, LOCK=NONE`) against the plain SQL that drizzle-kit and Prisma generate for the same change
//! (driftless's own plain rendering, `.online(false)`: `CREATE INDEX`, `ADD CONSTRAINT … UNIQUE`, `ADD COLUMN`,
//! `MODIFY COLUMN … NOT NULL`, `DROP INDEX`, no clause: the server chooses). Only the changes MariaDB can make
//! online; adding a check needs a table copy (`mysql_table_copy`), whichever SQL runs it. Adding a foreign key is
//! measured too: online it runs with `foreign_key_checks=0` between two orphan probes (`online_mysql_fk.rs`); plain,
//! the server copies the table.
//!
//! Two attributions of the writers' stalls: a first window with no change at all (writers only: the stalls the
//! machine and the harness make by themselves), and, during every window, a sampler reading
//! `information_schema.PROCESSLIST` every 10 ms for the longest wait of any session in the state `Waiting for table
//! metadata lock` (the server-side part of a stall that the `ALTER`'s metadata lock causes).
//!
//! A fresh database (through `driftless-testdb`, on the local server) gets a table of `DRIFTLESS_BENCH_ROWS`
//! (default 1,000,000) rows. Eight writer connections then loop without pause, each a random single-row `UPDATE`
//! or an `INSERT` (half each), and record every write's latency. For each change the online migration runs, is
//! reverted, then the plain one runs and is reverted; the writes that overlap each run are summarised: p50, p99 and
//! max latency, writes completed, and the change's duration. Prints a Markdown table.
//!
//! `set NOT NULL` online runs through the shadow-table recipe (`online_mysql_shadow.rs`: triggers, primary-key
//! chunks, a cut-over rename); plain, MariaDB rebuilds the table in place.
//!
//! `cargo bench -p driftless-migrate --bench online_mysql` (needs MariaDB at 127.0.0.1:3306, as the tests do);
//! `DRIFTLESS_BENCH_ONLY=<substring>` measures only the changes whose name contains it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, Table};
use driftless_core::step::Step;
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{Connection, Executor, MySqlConnection};
use tokio::sync::Mutex;

const WRITERS: usize = 8;

fn orders() -> Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("customer_id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Varchar(200)).nullable())
        .with_column(column("n", ColumnType::Integer))
        .primary_key("orders_pkey", &["id"])
}

fn customers() -> Table {
    table("customers").with_column(column("id", ColumnType::BigInt)).primary_key("customers_pkey", &["id"])
}

fn base() -> Migration {
    Migration::new("m20260101T000000_base")
        .up([create_table(customers()), create_table(orders())])
        .down([drop_table(orders()), drop_table(customers())])
}

/// A measured change: name, up, down, and steps to run (plainly) before it and after reverting it.
type Change = (&'static str, Vec<Step>, Vec<Step>, Vec<Step>, Vec<Step>);

fn changes() -> Vec<Change> {
    let email_idx = index("orders_email_idx", &["email"]);
    let email = column("email", ColumnType::Varchar(200)).nullable();
    let email_not_null = column("email", ColumnType::Varchar(200));
    let note = column("note", ColumnType::Varchar(40)).nullable();
    vec![
        (
            "create index",
            vec![create_index("orders", email_idx.clone())],
            vec![drop_index("orders", email_idx.clone())],
            vec![],
            vec![],
        ),
        (
            "add unique",
            vec![add_unique("orders", unique("orders_email_key", &["email"]))],
            vec![drop_unique("orders", unique("orders_email_key", &["email"]))],
            vec![],
            vec![],
        ),
        ("add column", vec![add_column("orders", note.clone())], vec![drop_column("orders", note)], vec![], vec![]),
        (
            "set NOT NULL",
            vec![alter_column("orders", email.clone(), email_not_null.clone())],
            vec![alter_column("orders", email_not_null, email)],
            vec![],
            vec![],
        ),
        (
            "add foreign key",
            vec![add_foreign_key(
                "orders",
                foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"]),
            )],
            vec![drop_foreign_key(
                "orders",
                foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"]),
            )],
            vec![],
            vec![],
        ),
        (
            "drop index",
            vec![drop_index("orders", email_idx.clone())],
            vec![create_index("orders", email_idx.clone())],
            vec![create_index("orders", email_idx.clone())],
            vec![drop_index("orders", email_idx)],
        ),
    ]
}

/// One write: when it started and how long it took.
type Sample = (Instant, Duration);

async fn writer(url: String, seed: u64, rows: i64, stop: Arc<AtomicBool>, out: Arc<Mutex<Vec<Sample>>>) {
    let mut conn = MySqlConnection::connect(&url).await.unwrap();
    conn.execute("SET SESSION max_statement_time = 120").await.unwrap();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut mine = Vec::new();
    let mut k = 0u64;
    while !stop.load(Ordering::Relaxed) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let start = Instant::now();
        let done = if x.is_multiple_of(2) {
            sqlx::query("UPDATE orders SET n = n + 1 WHERE id = ?")
                .bind((x / 2 % rows as u64) as i64 + 1)
                .execute(&mut conn)
                .await
        } else {
            k += 1;
            sqlx::query("INSERT INTO orders (customer_id, email, n) VALUES (?, ?, 1)")
                .bind((x / 2 % 1000) as i64 + 1)
                .bind(format!("w{seed}-{k}@example.com"))
                .execute(&mut conn)
                .await
        };
        // A failed write is reported (and counted as a sample), not fatal: the table says how many there were.
        if let Err(e) = done {
            eprintln!("writer {seed}: write failed: {e}");
        }
        mine.push((start, start.elapsed()));
    }
    out.lock().await.extend(mine);
}

fn migration(name: &str, up: Vec<Step>, down: Vec<Step>, online: bool) -> Migration {
    Migration::new(name).class(Class::Dangerous).acknowledged("bench", "benchmark").online(online).up(up).down(down)
}

struct Row {
    change: &'static str,
    mode: &'static str,
    p50: Duration,
    p99: Duration,
    max: Duration,
    writes: usize,
    took: Duration,
    mdl: Duration,
}

/// Samples, every 10 ms, the longest current wait of any session waiting for a table metadata lock.
async fn mdl_sampler(url: String, stop: Arc<AtomicBool>, out: Arc<Mutex<Vec<(Instant, Duration)>>>) {
    let mut conn = MySqlConnection::connect(&url).await.unwrap();
    let mut mine = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let at = Instant::now();
        let ms: f64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(TIME_MS), 0) AS DOUBLE) FROM information_schema.PROCESSLIST WHERE STATE LIKE \
             'Waiting for table metadata lock%' AND INFO NOT LIKE 'ALTER%' AND INFO NOT LIKE 'CREATE%'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        mine.push((at, Duration::from_secs_f64(ms / 1000.0)));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    out.lock().await.extend(mine);
}

fn summarise(samples: &[Sample], from: Instant, to: Instant) -> (Duration, Duration, Duration, usize) {
    let mut lat: Vec<Duration> = samples.iter().filter(|(s, d)| *s <= to && *s + *d >= from).map(|(_, d)| *d).collect();
    lat.sort();
    let done = samples.iter().filter(|(s, d)| *s + *d >= from && *s + *d <= to).count();
    if lat.is_empty() {
        return (Duration::ZERO, Duration::ZERO, Duration::ZERO, 0);
    }
    let at = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), *lat.last().unwrap(), done)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let rows: i64 = std::env::var("DRIFTLESS_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let Some(testdb) = TestDb::mysql().await else {
        eprintln!("no MariaDB at 127.0.0.1:3306: nothing measured");
        return;
    };
    let url = testdb.url().to_owned();
    let db = Database::connect(&url).await.unwrap();
    Migrator::new(db.clone(), [base()]).migrate().await.unwrap();
    let mut setup = MySqlConnection::connect(&url).await.unwrap();
    let seed = Instant::now();
    setup.execute("INSERT INTO customers SELECT seq FROM seq_1_to_1000").await.unwrap();
    let fill = format!(
        "INSERT INTO orders (customer_id, email, n) SELECT seq % 1000 + 1, CONCAT('u', seq, '@example.com'), \
         seq % 100 FROM seq_1_to_{rows}"
    );
    setup.execute(sqlx::AssertSqlSafe(fill)).await.unwrap();
    setup.execute("ANALYZE TABLE orders").await.unwrap();
    eprintln!("seeded {rows} rows in {:?}", seed.elapsed());

    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| tokio::spawn(writer(url.clone(), i as u64 + 1, rows, stop.clone(), samples.clone())))
        .collect();
    let mdl = Arc::new(Mutex::new(Vec::new()));
    let sampler = tokio::spawn(mdl_sampler(url.clone(), stop.clone(), mdl.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut windows = Vec::new();
    // The control: writers only, no change, for 3 s.
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    windows.push(("no change (writers only)", "—", from, Instant::now()));
    // `DRIFTLESS_BENCH_ONLY=<substring>`: only the changes whose name contains it.
    let only = std::env::var("DRIFTLESS_BENCH_ONLY").unwrap_or_default();
    for (i, (change, up, down, before, after)) in changes().into_iter().enumerate() {
        if !change.contains(only.as_str()) {
            continue;
        }
        for (j, online) in [true, false].into_iter().enumerate() {
            let setup_name = format!("m20260102T{i:02}{j}000_setup");
            let name = format!("m20260102T{i:02}{j}001_change");
            let mut registry = vec![base()];
            if !before.is_empty() {
                registry.push(migration(&setup_name, before.clone(), after.clone(), false));
                Migrator::new(db.clone(), registry.clone()).migrate().await.unwrap();
            }
            registry.push(migration(&name, up.clone(), down.clone(), online));
            let migrator = Migrator::new(db.clone(), registry.clone()).mysql_shadow_table(true);
            tokio::time::sleep(Duration::from_millis(500)).await;
            let from = Instant::now();
            let report = migrator.migrate().await.unwrap();
            let to = Instant::now();
            for used in report.steps.iter().flat_map(|s| &s.algorithms) {
                eprintln!("  {change}: {used}");
            }
            windows.push((change, if online { "driftless online" } else { "plain SQL" }, from, to));
            tokio::time::sleep(Duration::from_millis(500)).await;
            migrator.down().await.unwrap();
            if !before.is_empty() {
                Migrator::new(db.clone(), registry[..2].to_vec()).down().await.unwrap();
            }
            eprintln!("{change} ({}): {:?}", if online { "online" } else { "plain" }, to - from);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    sampler.await.unwrap();
    let mdl = mdl.lock().await;
    let samples = samples.lock().await;
    let table: Vec<Row> = windows
        .into_iter()
        .map(|(change, mode, from, to)| {
            let (p50, p99, max, writes) = summarise(&samples, from, to);
            let mdl = mdl.iter().filter(|(at, _)| *at >= from && *at <= to).map(|(_, d)| *d).max().unwrap_or_default();
            Row { change, mode, p50, p99, max, writes, took: to - from, mdl }
        })
        .collect();
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    println!("{rows} rows, {WRITERS} writers (random single-row UPDATE or INSERT, no pause)\n");
    println!(
        "| change | mode | writer p50 ms | writer p99 ms | writer max ms | longest metadata-lock wait ms (sampled) | \
         writes completed | change took ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &table {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.change,
            r.mode,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ms(r.mdl),
            r.writes,
            ms(r.took)
        );
    }
    db.close().await;
    testdb.close().await.unwrap();
}
