//! Applies 1,000 small migrations to a fresh SQLite file, with driftless's migrator and with sqlx's own migrator
//! running the same SQL, alternating which goes first, and prints both medians and their ratio (target: driftless
//! at most 1.2× sqlx).
//!
//! `cargo bench -p driftless-migrate --bench apply_1000`; `DRIFTLESS_BENCH_RUNS` (default 5) sets the number of
//! runs of each, `DRIFTLESS_BENCH_MIGRATIONS` (default 1000) the number of migrations.
//!
//! What each side does per migration: driftless takes its lock once per run, then per migration `BEGIN IMMEDIATE`,
//! the statement, one `INSERT` into its tracking table, `COMMIT`; it also computes every migration's checksum
//! (SHA-256 of the steps) and renders the steps inside the timed call. sqlx computes checksums when the migrations
//! are built (outside the timing), and per migration runs `BEGIN`, the statement, one `INSERT`, `COMMIT`, then an
//! `UPDATE` of the execution time outside the transaction.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use driftless_core::migration::{Class, Migration};
use driftless_core::step::{DialectSql, Step};
use driftless_migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, SqlSafeStr};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn statement(i: usize) -> String {
    format!("CREATE TABLE t{i:04} (id INTEGER PRIMARY KEY, v TEXT)")
}

fn ours(n: usize) -> Vec<Migration> {
    (0..n)
        .map(|i| {
            let sql = DialectSql { default: Some(statement(i)), ..DialectSql::default() };
            Migration::new(format!("m{i:04}_t{i:04}")).class(Class::ReviewRequired).up([Step::RawSql { sql }])
        })
        .collect()
}

fn theirs(n: usize) -> sqlx::migrate::Migrator {
    let migrations = (0..n)
        .map(|i| {
            sqlx::migrate::Migration::new(
                i as i64 + 1,
                Cow::Owned(format!("t{i:04}")),
                sqlx::migrate::MigrationType::Simple,
                AssertSqlSafe(statement(i)).into_sql_str(),
                false,
            )
        })
        .collect();
    sqlx::migrate::Migrator::with_migrations(migrations)
}

async fn fresh_pool(dir: &std::path::Path, name: &str) -> SqlitePool {
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-journal", "-wal", "-shm", ".driftless-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let options = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("open the benchmark database")
}

async fn time_ours(dir: &std::path::Path, migrations: &[Migration]) -> Duration {
    let pool = fresh_pool(dir, "driftless").await;
    let migrator = Migrator::new(pool.clone(), migrations.to_vec());
    let start = Instant::now();
    let report = migrator.migrate().await.expect("driftless migrates");
    let took = start.elapsed();
    assert_eq!(report.applied().len(), migrations.len());
    pool.close().await;
    took
}

async fn time_theirs(dir: &std::path::Path, migrator: &sqlx::migrate::Migrator, n: usize) -> Duration {
    let pool = fresh_pool(dir, "sqlx").await;
    let start = Instant::now();
    migrator.run(&pool).await.expect("sqlx migrates");
    let took = start.elapsed();
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.expect("count");
    assert_eq!(applied as usize, n);
    pool.close().await;
    took
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 { xs[mid] } else { (xs[mid - 1] + xs[mid]) / 2 }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let runs = env_usize("DRIFTLESS_BENCH_RUNS", 5).max(1);
    let n = env_usize("DRIFTLESS_BENCH_MIGRATIONS", 1000);
    let dir = std::env::temp_dir().join(format!("driftless_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the benchmark directory");
    let migrations = ours(n);
    let sqlx_migrator = theirs(n);

    let (mut a, mut b) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Alternate the order, so that neither side always runs on a warmer cache.
        if run % 2 == 0 {
            a.push(time_ours(&dir, &migrations).await);
            b.push(time_theirs(&dir, &sqlx_migrator, n).await);
        } else {
            b.push(time_theirs(&dir, &sqlx_migrator, n).await);
            a.push(time_ours(&dir, &migrations).await);
        }
        eprintln!("run {}/{runs}: driftless {}, sqlx {}", run + 1, ms(a[run]), ms(b[run]));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (ours, theirs) = (median(a), median(b));
    println!("apply {n} migrations to a fresh SQLite file, median of {runs} runs:");
    println!("  driftless-migrate  {}", ms(ours));
    println!("  sqlx::migrate      {}", ms(theirs));
    println!("  ratio              {:.2}x (target <= 1.20x)", ours.as_secs_f64() / theirs.as_secs_f64());
}
