//! A seeded PostgreSQL test database for the online tests (`online.rs`, `expand_retype.rs` and, through
//! `common/orders.rs`, the expand/contract tests). Included with `#[path = "common/pg_db.rs"] mod pg_db;`.
#![allow(dead_code, reason = "each test binary uses a different part of this module")]

use driftless_core::migration::Migration;
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::{AssertSqlSafe, Executor, PgPool};

/// A PostgreSQL test database, its URL, and two handles on it.
pub struct Db {
    _testdb: TestDb,
    pub url: String,
    pub db: Database,
    pub pool: PgPool,
}

/// A fresh PostgreSQL database with `create` applied and `seed` run (`None` without PostgreSQL).
pub async fn seeded_with(create: Migration, seed: &str) -> Option<Db> {
    let testdb = TestDb::postgres().await?;
    let url = testdb.url().to_owned();
    let db = Database::connect(&url).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let pool = pool.clone();
    Migrator::new(db.clone(), [create]).migrate().await.unwrap();
    pool.execute(AssertSqlSafe(seed.to_owned())).await.unwrap();
    Some(Db { _testdb: testdb, url, db, pool })
}
