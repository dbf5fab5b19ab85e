//! Helpers shared by the end-to-end tests of `migrate-generate` (`generate_bigint.rs`, `generate_split.rs`).
#![allow(dead_code)]

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::schema::{ModelDef, SchemaBuilder, Table};
use driftless_migrate::Database;
use sqlx::AssertSqlSafe;

/// A project in `dir` whose models are `tables` (each named by its Rust struct), with the registry cleared and
/// `driftless_core` as the crate path of the generated files.
pub fn project(dir: &Path, tables: Vec<(&'static str, Table)>) -> Project {
    let mut models = SchemaBuilder::new();
    for (rust_name, table) in tables {
        models.model(ModelDef::new(rust_name, table));
    }
    let mut p = Project::new(dir, models);
    p.crate_path = "driftless_core".into();
    p.registered.clear();
    p
}

/// The file's header: its doc comment lines.
pub fn header(text: &str) -> String {
    text.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n")
}

/// Runs a CLI command off the async runtime.
pub async fn command(project: &Project, args: Vec<String>) -> ExitCode {
    let project = project.clone();
    tokio::task::spawn_blocking(move || run(&project, args)).await.unwrap()
}

/// Runs `sql` (one or more statements).
pub async fn exec(db: &Database, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
    .unwrap()
}

/// The one integer `sql` selects.
pub async fn number(db: &Database, sql: &str) -> i64 {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Database::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        Database::Mysql(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        _ => unreachable!("three dialects"),
    }
    .unwrap()
}

/// Compares the generated file `name` in `dir`'s migrations with the committed fixture in `fixtures` (rewritten
/// with `DRIFTLESS_UPDATE_FIXTURES=1`), after checking it is rustfmt-clean as written; returns its text.
pub fn check_fixture(dir: &Path, fixtures: &str, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join("migrations").join(name)).unwrap();
    let formatted = driftless_write::rustfmt(&text, dir).unwrap();
    assert_eq!(formatted, text, "{name} is not rustfmt-clean as written");
    let path = Path::new(fixtures).join(name);
    if std::env::var_os("DRIFTLESS_UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(fixtures).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(committed, text, "{name} differs from the fixture; regenerate with DRIFTLESS_UPDATE_FIXTURES=1");
    text
}
