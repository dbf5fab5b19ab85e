//! Shared helpers: the three databases, running rendered SQL, and emptying a database between cases.
#![allow(dead_code)]

use driftless_core::Dialect;
use driftless_core::render::{self, RenderedMigration};
use driftless_core::schema::Schema;
use driftless_migrate::Database;
use driftless_testdb::{Backend, TestDb};
use sqlx::AssertSqlSafe;

/// A test database and an open pool on it (`None` when the server is unavailable: skipped loudly by testdb).
pub async fn open(backend: Backend) -> Option<(TestDb, Database)> {
    let db = TestDb::new(backend).await?;
    let pool = Database::connect(db.url()).await.expect("connect to the test database");
    Some((db, pool))
}

/// Runs one statement.
pub async fn exec(db: &Database, sql: &str) -> Result<(), sqlx::Error> {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
}

/// Runs a rendered migration's statements in order (no transaction; SQLite's foreign keys off when asked).
pub async fn run(db: &Database, m: &RenderedMigration) -> Result<(), String> {
    if m.sqlite_foreign_keys_off {
        exec(db, render::SQLITE_FOREIGN_KEYS_OFF).await.map_err(|e| e.to_string())?;
    }
    for s in &m.statements {
        exec(db, &s.sql).await.map_err(|e| format!("{e} in: {}", s.sql))?;
    }
    if m.sqlite_foreign_keys_off {
        exec(db, render::SQLITE_FOREIGN_KEYS_ON).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Creates `schema` from empty.
pub async fn create(db: &Database, schema: &Schema) -> Result<(), String> {
    let rendered = render::create_schema(schema, db.dialect()).map_err(|e| e.to_string())?;
    run(db, &rendered).await
}

/// Drops every table (and PostgreSQL type) so the next case starts empty.
pub async fn wipe(db: &Database) {
    match db.dialect() {
        Dialect::Postgres => {
            exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public").await.expect("reset the public schema");
        }
        Dialect::Mysql => {
            // One script, so the session setting applies to the drops (a pool may hand out another connection).
            let s = driftless_introspect::introspect_skipping(db, &[]).await.expect("introspect");
            let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;");
            for t in &s.tables {
                sql.push_str(&format!("DROP TABLE `{}`;", t.name));
            }
            sql.push_str("SET FOREIGN_KEY_CHECKS = 1");
            exec(db, &sql).await.expect("drop every table");
        }
        _ => {
            let s = driftless_introspect::introspect_skipping(db, &[]).await.expect("introspect");
            let mut sql = String::from("PRAGMA foreign_keys = OFF;");
            for t in &s.tables {
                sql.push_str(&format!("DROP TABLE \"{}\";", t.name));
            }
            sql.push_str("PRAGMA foreign_keys = ON");
            exec(db, &sql).await.expect("drop every table");
        }
    }
}

/// A schema the dialect can create: MySQL/MariaDB have no partial indexes.
pub fn creatable(schema: &Schema, dialect: Dialect) -> Schema {
    let mut s = schema.clone();
    if dialect == Dialect::Mysql {
        for t in &mut s.tables {
            for i in &mut t.indexes {
                i.predicate = None;
            }
        }
    }
    s
}
