//! Applies 1,000 small migrations to a fresh SQLite file, with driftless's migrator and with sqlx's own migrator
//! running the same SQL, alternating which goes first, and prints the medians and their ratios (target: driftless
//! at most 1.2× sqlx).
//!
//! Two driftless figures: **generated** migrations, as `migrate-generate` writes them (builder steps: each creates a
//! table with `Step::CreateTable`, so the migrator replays the registry in memory and renders every migration
//! inside the timed call), and the same SQL as **raw SQL** steps (no replay, no rendering). sqlx runs that SQL,
//! rendered from the steps before timing starts.
//!
//! A fourth figure checks where the difference with sqlx comes from: the same number of single-row `UPDATE`s, each
//! committed on its own, on a fresh file — the write sqlx adds after each migration (see below).
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

use driftless_core::Dialect;
use driftless_core::migration::{Class, Migration};
use driftless_core::render::render_steps;
use driftless_core::schema::{Column, ColumnType, Schema, Table};
use driftless_core::step::{DialectSql, Step};
use driftless_migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, SqlSafeStr};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Migration `i` as generated: one table with an auto-increment key and a nullable text column, in builder steps.
fn generated_steps(i: usize) -> Vec<Step> {
    let mut table = Table::new(format!("t{i:04}"));
    table.columns.push(Column { auto_increment: true, ..Column::new("id", ColumnType::BigInt) });
    table.columns.push(Column { nullable: true, ..Column::new("v", ColumnType::Text) });
    table.primary_key =
        Some(driftless_core::schema::PrimaryKey { name: format!("t{i:04}_pkey"), columns: vec!["id".to_owned()] });
    vec![Step::CreateTable { table }]
}

fn generated(n: usize) -> Vec<Migration> {
    (0..n)
        .map(|i| {
            let up = generated_steps(i);
            let down: Vec<Step> = up.iter().rev().map(Step::inverse).collect();
            Migration::new(format!("m{i:04}_t{i:04}")).up(up).down(down)
        })
        .collect()
}

/// The SQL of migration `i` on SQLite, rendered from its steps (each creates a new table, so against the empty
/// schema).
fn statement(i: usize) -> String {
    let rendered = render_steps(&generated_steps(i), Dialect::Sqlite, &Schema::empty()).expect("render");
    rendered.statements.iter().map(|s| s.sql.as_str()).collect::<Vec<_>>().join(";\n")
}

fn raw(statements: &[String]) -> Vec<Migration> {
    statements
        .iter()
        .enumerate()
        .map(|(i, sql)| {
            let sql = DialectSql { default: Some(sql.clone()), ..DialectSql::default() };
            Migration::new(format!("m{i:04}_t{i:04}"))
                .class(Class::ReviewRequired)
                .up([Step::RawSql { sql, effect: None }])
        })
        .collect()
}

fn theirs(statements: &[String]) -> sqlx::migrate::Migrator {
    let migrations = statements
        .iter()
        .enumerate()
        .map(|(i, sql)| {
            sqlx::migrate::Migration::new(
                i as i64 + 1,
                Cow::Owned(format!("t{i:04}")),
                sqlx::migrate::MigrationType::Simple,
                AssertSqlSafe(sql.clone()).into_sql_str(),
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

/// `n` single-row `UPDATE`s on a fresh file, each committed on its own: what sqlx's extra write per migration costs.
async fn time_extra_writes(dir: &std::path::Path, n: usize) -> Duration {
    let pool = fresh_pool(dir, "writes").await;
    sqlx::raw_sql("CREATE TABLE w (id INTEGER PRIMARY KEY, t INTEGER); INSERT INTO w VALUES (1, 0)")
        .execute(&pool)
        .await
        .expect("create");
    let start = Instant::now();
    for i in 0..n {
        sqlx::query("UPDATE w SET t = ?1 WHERE id = 1").bind(i as i64).execute(&pool).await.expect("update");
    }
    let took = start.elapsed();
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
    let statements: Vec<String> = (0..n).map(statement).collect();
    let generated = generated(n);
    let raw = raw(&statements);
    let sqlx_migrator = theirs(&statements);

    let (mut g, mut r, mut x, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        // Rotate the order, so that no side always runs on a warmer cache.
        for k in 0..4 {
            match (run + k) % 4 {
                0 => g.push(time_ours(&dir, &generated).await),
                1 => r.push(time_ours(&dir, &raw).await),
                2 => x.push(time_theirs(&dir, &sqlx_migrator, n).await),
                _ => w.push(time_extra_writes(&dir, n).await),
            }
        }
        eprintln!(
            "run {}/{runs}: driftless generated {}, driftless raw SQL {}, sqlx {}, {n} extra writes {}",
            run + 1,
            ms(g[run]),
            ms(r[run]),
            ms(x[run]),
            ms(w[run])
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (g, r, x, w) = (median(g), median(r), median(x), median(w));
    let ratio = |a: Duration| a.as_secs_f64() / x.as_secs_f64();
    println!("apply {n} migrations to a fresh SQLite file, median of {runs} runs:");
    println!("  driftless-migrate, generated (replayed + rendered)  {}  {:.2}x sqlx", ms(g), ratio(g));
    println!("  driftless-migrate, the same SQL as raw SQL          {}  {:.2}x sqlx", ms(r), ratio(r));
    println!("  sqlx::migrate, the same SQL                         {}", ms(x));
    println!("  (target <= 1.20x sqlx)");
    println!(
        "  sqlx commits one more write per migration (the execution-time UPDATE after COMMIT); {n} such writes \
         alone take {}, against {} between sqlx and driftless raw SQL",
        ms(w),
        ms(x.saturating_sub(r))
    );
}
