//! Writers under a schema change on PostgreSQL: driftless's online migration against the plain SQL that
//! drizzle-kit, Prisma and Alembic generate for the same change (driftless's own plain rendering, `.online(false)`:
//! `CREATE INDEX`, `ADD CONSTRAINT … UNIQUE`, `ADD CONSTRAINT … FOREIGN KEY`, `ALTER COLUMN … SET NOT NULL`,
//! `ADD CONSTRAINT … CHECK`, `DROP INDEX`, `ALTER COLUMN … TYPE bigint`, in one transaction). A column added with a volatile default is measured
//! as the generator writes it (`driftless_core::diff`, `diff/backfills.rs`: `ADD COLUMN` nullable, `SET DEFAULT`,
//! a batched backfill with `DEFAULT`, NOT NULL online) against the one statement the other tools write, `ADD COLUMN
//! … NOT NULL DEFAULT gen_random_uuid()`, which rewrites the table.
//!
//! A fresh database (through `driftless-testdb`, on the local server) gets a table of `DRIFTLESS_BENCH_ROWS`
//! (default 1,000,000) rows. Eight writer connections then loop without pause, each a random single-row `UPDATE`
//! or an `INSERT` (half each), and record every write's latency. For each change the online migration runs, is
//! reverted, then the plain one runs and is reverted; the writes that overlap each run are summarised: p50, p99 and
//! max latency, writes completed, and the change's duration. Prints a Markdown table.
//!
//! `cargo bench -p driftless-migrate --bench online_pg` (needs PostgreSQL at 127.0.0.1:5432, as the tests do);
//! `DRIFTLESS_BENCH_ONLY=bigint` runs only the changes whose name contains the text.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, Table};
use driftless_core::step::Step;
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::Mutex;

const WRITERS: usize = 8;

fn orders() -> Table {
    table("orders")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("customer_id", ColumnType::Integer))
        .with_column(column("email", ColumnType::Text).nullable())
        .with_column(column("n", ColumnType::Integer))
        .primary_key("orders_pkey", &["id"])
}

fn customers() -> Table {
    table("customers").with_column(column("id", ColumnType::Integer)).primary_key("customers_pkey", &["id"])
}

fn base() -> Migration {
    Migration::new("m20260101T000000_base")
        .up([create_table(customers()), create_table(orders())])
        .down([drop_table(orders()), drop_table(customers())])
}

/// A measured change: name, up, down, steps to run (plainly) before it and after reverting it, and, when the plain
/// SQL is other steps than the online migration's, those (up, down).
type Change = (&'static str, Vec<Step>, Vec<Step>, Vec<Step>, Vec<Step>, Option<(Vec<Step>, Vec<Step>)>);

/// "Add a column with a volatile default": the steps the generator writes for a `token UUID NOT NULL DEFAULT
/// gen_random_uuid()` added to `orders` (the diff of the schema before and after, as `migrate-generate` computes
/// it), their inverse, and the plain `ADD COLUMN` with its inverse.
fn volatile_default() -> (Vec<Step>, Vec<Step>, Vec<Step>, Vec<Step>) {
    let token = column("token", ColumnType::Uuid).default_expr(driftless_core::DefaultExpr::GenRandomUuid);
    let plain_up = vec![add_column("orders", token.clone())];
    let plain_down = vec![drop_column("orders", token)];
    let before = driftless_core::replay::apply_steps(&driftless_core::Schema::empty(), &base().up).unwrap();
    let after = driftless_core::replay::apply_steps(&before, &plain_up).unwrap();
    let diff = driftless_core::diff::diff(&before, &after, &Default::default()).unwrap();
    let up: Vec<Step> = diff.changes.into_iter().map(|c| c.step).collect();
    let down: Vec<Step> = up.iter().rev().map(Step::inverse).filter(|s| !s.does_nothing()).collect();
    (up, down, plain_up, plain_down)
}

fn changes() -> Vec<Change> {
    let email_idx = index("orders_email_idx", &["email"]);
    let fk = foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"]);
    let email = column("email", ColumnType::Text).nullable();
    let email_not_null = column("email", ColumnType::Text);
    let (volatile_up, volatile_down, plain_up, plain_down) = volatile_default();
    let fk_again = foreign_key("orders_customer_id_fkey", &["customer_id"], "customers", &["id"]);
    let customer_id = |ty| column("customer_id", ty);
    let key = |ty| column("id", ty);
    vec![
        (
            "create index",
            vec![create_index("orders", email_idx.clone())],
            vec![drop_index("orders", email_idx.clone())],
            vec![],
            vec![],
            None,
        ),
        (
            "add unique",
            vec![add_unique("orders", unique("orders_email_key", &["email"]))],
            vec![drop_unique("orders", unique("orders_email_key", &["email"]))],
            vec![],
            vec![],
            None,
        ),
        (
            "add foreign key",
            vec![add_foreign_key("orders", fk.clone())],
            vec![drop_foreign_key("orders", fk)],
            vec![],
            vec![],
            None,
        ),
        (
            "set NOT NULL",
            vec![alter_column("orders", email.clone(), email_not_null.clone())],
            vec![alter_column("orders", email_not_null, email)],
            vec![],
            vec![],
            None,
        ),
        (
            "add check",
            vec![add_check("orders", check("orders_n_check", "n >= 0"))],
            vec![drop_check("orders", check("orders_n_check", "n >= 0"))],
            vec![],
            vec![],
            None,
        ),
        (
            "int → bigint on a referenced key",
            vec![
                alter_column("orders", customer_id(ColumnType::Integer), customer_id(ColumnType::BigInt)),
                alter_column("customers", key(ColumnType::Integer), key(ColumnType::BigInt)),
            ],
            vec![
                alter_column("customers", key(ColumnType::BigInt), key(ColumnType::Integer)),
                alter_column("orders", customer_id(ColumnType::BigInt), customer_id(ColumnType::Integer)),
            ],
            vec![add_foreign_key("orders", fk_again.clone())],
            vec![drop_foreign_key("orders", fk_again)],
            None,
        ),
        (
            "drop index",
            vec![drop_index("orders", email_idx.clone())],
            vec![create_index("orders", email_idx.clone())],
            vec![create_index("orders", email_idx.clone())],
            vec![drop_index("orders", email_idx)],
            None,
        ),
        (
            "add column with volatile default + backfill",
            volatile_up,
            volatile_down,
            vec![],
            vec![],
            Some((plain_up, plain_down)),
        ),
    ]
}

/// One write: when it started and how long it took.
type Sample = (Instant, Duration);

async fn writer(url: String, seed: u64, rows: i64, stop: Arc<AtomicBool>, out: Arc<Mutex<Vec<Sample>>>) {
    let mut conn = PgConnection::connect(&url).await.unwrap();
    conn.execute("SET statement_timeout = '120s'").await.unwrap();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut mine = Vec::new();
    let mut k = 0u64;
    while !stop.load(Ordering::Relaxed) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let start = Instant::now();
        let result = if x.is_multiple_of(2) {
            sqlx::query("UPDATE orders SET n = n + 1 WHERE id = $1")
                .bind((x / 2 % rows as u64) as i64 + 1)
                .execute(&mut conn)
                .await
        } else {
            k += 1;
            sqlx::query("INSERT INTO orders (customer_id, email, n) VALUES ($1, $2, 1)")
                .bind((x / 2 % 1000) as i64 + 1)
                .bind(format!("w{seed}-{k}@example.com"))
                .execute(&mut conn)
                .await
        };
        match result {
            Ok(_) => mine.push((start, start.elapsed())),
            // A plain type change of a referenced key locks the parent, then the child: a writer inserting into the
            // child (which then locks the parent for its foreign-key check) can be the deadlock's victim.
            Err(e) if e.as_database_error().and_then(|d| d.code()).as_deref() == Some("40P01") => {
                eprintln!("writer {seed}: {e}")
            }
            Err(e) => panic!("writer {seed}: {e}"),
        }
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
    let Some(testdb) = TestDb::postgres().await else {
        eprintln!("no PostgreSQL at 127.0.0.1:5432: nothing measured");
        return;
    };
    let url = testdb.url().to_owned();
    let db = Database::connect(&url).await.unwrap();
    Migrator::new(db.clone(), [base()]).migrate().await.unwrap();
    let mut setup = PgConnection::connect(&url).await.unwrap();
    let seed = Instant::now();
    setup.execute("INSERT INTO customers SELECT g FROM generate_series(1, 1000) g").await.unwrap();
    let fill = format!(
        "INSERT INTO orders (customer_id, email, n) SELECT g % 1000 + 1, 'u' || g || '@example.com', g % 100 \
         FROM generate_series(1, {rows}) g"
    );
    setup.execute(sqlx::AssertSqlSafe(fill)).await.unwrap();
    setup.execute("VACUUM ANALYZE orders").await.unwrap();
    eprintln!("seeded {rows} rows in {:?}", seed.elapsed());

    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| tokio::spawn(writer(url.clone(), i as u64 + 1, rows, stop.clone(), samples.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut windows = Vec::new();
    // `DRIFTLESS_BENCH_ONLY=<text>`: only the changes whose name contains it.
    let only = std::env::var("DRIFTLESS_BENCH_ONLY").unwrap_or_default();
    for (i, (change, up, down, before, after, plain)) in changes().into_iter().enumerate() {
        if !change.contains(only.as_str()) {
            continue;
        }
        for (j, online) in [true, false].into_iter().enumerate() {
            let (up, down) = match (&plain, online) {
                (Some((up, down)), false) => (up.clone(), down.clone()),
                _ => (up.clone(), down.clone()),
            };
            if plain.is_some() {
                let mode = if online { "online" } else { "plain" };
                let kinds: Vec<&str> = up.iter().map(|s| s.kind()).collect();
                eprintln!("{change} ({mode}): steps {}", kinds.join(", "));
            }
            let setup_name = format!("m20260102T{i:02}{j}000_setup");
            let name = format!("m20260102T{i:02}{j}001_change");
            let mut registry = vec![base()];
            if !before.is_empty() {
                registry.push(migration(&setup_name, before.clone(), after.clone(), false));
                Migrator::new(db.clone(), registry.clone()).migrate().await.unwrap();
            }
            registry.push(migration(&name, up.clone(), down.clone(), online));
            // Expand and contract in the one measured run (a rewriting type change, `expand_contract.rs`).
            let migrator = Migrator::new(db.clone(), registry.clone()).contract_now(true);
            tokio::time::sleep(Duration::from_millis(500)).await;
            let from = Instant::now();
            migrator.migrate().await.unwrap();
            let to = Instant::now();
            windows.push((change, if online { "driftless online" } else { "plain SQL" }, from, to));
            tokio::time::sleep(Duration::from_millis(500)).await;
            // The revert (a plain narrowing of a referenced key for the type change) can lose a deadlock to a
            // writer: try again.
            let mut attempt = 0;
            while let Err(e) = migrator.down().await {
                attempt += 1;
                assert!(attempt < 5, "revert of {change}: {e}");
                eprintln!("revert of {change} failed (rolled back), again: {e}");
            }
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
    let samples = samples.lock().await;
    let table: Vec<Row> = windows
        .into_iter()
        .map(|(change, mode, from, to)| {
            let (p50, p99, max, writes) = summarise(&samples, from, to);
            Row { change, mode, p50, p99, max, writes, took: to - from }
        })
        .collect();
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    println!("{rows} rows, {WRITERS} writers (random single-row UPDATE or INSERT, no pause)\n");
    println!("| change | mode | writer p50 ms | writer p99 ms | writer max ms | writes completed | change took ms |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for r in &table {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.change,
            r.mode,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.writes,
            ms(r.took)
        );
    }
    db.close().await;
    testdb.close().await.unwrap();
}
