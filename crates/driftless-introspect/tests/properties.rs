//! Property tests on real databases. For random schema pairs (A, B) with rename hints: build A and check it reads
//! back as A; seed one row per table; apply the generated plan and check the database reads back as B; apply the
//! plan's `down` and check it reads back as A; and, wherever the plan is not dangerous, check that the seeded rows
//! of the tables on both sides are still there.
//!
//! Case counts come from `DRIFTLESS_PROPTEST_CASES_SQLITE` (default 300), `DRIFTLESS_PROPTEST_CASES_POSTGRES` and
//! `DRIFTLESS_PROPTEST_CASES_MYSQL` (default 50 each). The soak run is the same test with the SQLite count raised:
//! `DRIFTLESS_PROPTEST_CASES_SQLITE=10000 cargo test -p driftless-introspect --test properties sqlite`.

mod common;

use std::time::Instant;

use driftless_core::testing;
use driftless_migrate::Database;
use driftless_testdb::Backend;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn cases(var: &str, default: u32) -> u32 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn fresh(backend: Backend, server: Option<&Database>) -> Database {
    match (backend, server) {
        (Backend::Sqlite, _) => {
            // A private in-memory database per case, alive as long as the pool keeps a connection.
            let options: sqlx::sqlite::SqliteConnectOptions = "sqlite::memory:".parse().unwrap();
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .min_connections(1)
                .max_connections(2)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
                .unwrap();
            Database::Sqlite(pool)
        }
        (_, Some(db)) => {
            common::wipe(db).await;
            db.clone()
        }
        (_, None) => unreachable!("a server database is open"),
    }
}

fn property(backend: Backend, var: &str, default: u32) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = match backend {
        Backend::Sqlite => None,
        _ => match rt.block_on(common::open(backend)) {
            Some(pair) => Some(pair),
            None => return,
        },
    };
    let n = cases(var, default);
    let mut runner = TestRunner::new(Config { cases: n, failure_persistence: None, ..Config::default() });
    let started = Instant::now();
    let result = runner.run(&testing::schema_pair(), |(a, b, hints)| {
        rt.block_on(async {
            let db = fresh(backend, server.as_ref().map(|(_, db)| db)).await;
            let r = common::case(&db, &a, &b, &hints).await;
            if backend == Backend::Sqlite {
                db.close().await;
            }
            r
        })
        .map_err(TestCaseError::fail)
    });
    eprintln!("{backend}: {n} schema-pair cases in {:.1} s", started.elapsed().as_secs_f64());
    if let Some((_guard, db)) = &server {
        rt.block_on(db.close());
    }
    if let Err(e) = result {
        panic!("{backend}: {e}");
    }
}

#[test]
fn schema_pairs_round_trip_on_sqlite() {
    property(Backend::Sqlite, "DRIFTLESS_PROPTEST_CASES_SQLITE", 300);
}

#[test]
fn schema_pairs_round_trip_on_postgres() {
    property(Backend::Postgres, "DRIFTLESS_PROPTEST_CASES_POSTGRES", 50);
}

#[test]
fn schema_pairs_round_trip_on_mysql() {
    property(Backend::Mysql, "DRIFTLESS_PROPTEST_CASES_MYSQL", 50);
}
