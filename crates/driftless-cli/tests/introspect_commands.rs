//! `db-pull`, `migrate-verify`, `snapshot-repair`, branch conflicts in `migrate-generate --check`, and drift in
//! `migrate-status`.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::classify;
use driftless_core::migration::Migration;
use driftless_core::schema::{RenameHints, Schema, SchemaBuilder};
use driftless_core::snapshot;
use driftless_migrate::{Database, Migrator};
use driftless_testdb::{Backend, TestDb};
use sqlx::AssertSqlSafe;

/// A project with no models. This test binary links the example application, whose derived models register
/// themselves; they are not this project's, so they are left out of its registrations.
fn project(root: &Path, registry: Vec<Migration>) -> Project {
    let mut p = Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry);
    p.registered.clear();
    p
}

async fn exec_script(db: &Database, sql: &str) {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
    .expect("the hand-written schema runs");
}

const SQLITE_SQL: &str = "
CREATE TABLE authors (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(100) NOT NULL, email TEXT UNIQUE,
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE books (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id BIGINT REFERENCES authors (id) ON DELETE CASCADE,
  title TEXT NOT NULL DEFAULT 'untitled', pages INT CHECK (pages > 0),
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')), price DECIMAL(8,2) DEFAULT 9.5);
CREATE INDEX books_title_idx ON books (title);
CREATE INDEX books_long ON books (author_id) WHERE pages > 100;
";

const POSTGRES_SQL: &str = "
CREATE TYPE book_status AS ENUM ('draft', 'published');
CREATE TABLE authors (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL, email TEXT UNIQUE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE books (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id INT REFERENCES authors (id) ON DELETE CASCADE, title TEXT NOT NULL DEFAULT 'untitled',
  pages INT CHECK (pages > 0), status book_status NOT NULL DEFAULT 'draft', price NUMERIC(8,2) DEFAULT 9.5,
  tags JSONB, uid UUID DEFAULT gen_random_uuid());
CREATE INDEX books_title_idx ON books (title);
CREATE INDEX books_long ON books (author_id) WHERE pages > 100;
";

const MYSQL_SQL: &str = "
CREATE TABLE authors (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200) UNIQUE,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));
CREATE TABLE books (id BIGINT AUTO_INCREMENT PRIMARY KEY, author_id INT,
  title VARCHAR(200) NOT NULL DEFAULT 'untitled', pages INT CHECK (pages > 0),
  status ENUM('draft', 'published') NOT NULL DEFAULT 'draft', price DECIMAL(8,2) DEFAULT 9.5, tags JSON,
  CONSTRAINT books_author_fk FOREIGN KEY (author_id) REFERENCES authors (id) ON DELETE CASCADE);
CREATE INDEX books_title_idx ON books (title);
";

/// `db-pull` on a database built by plain SQL: the snapshot it writes has no difference from the database (what
/// `migrate-generate --check` would see once the models match it), the baseline is recorded as applied, and
/// `migrate-status` then reports nothing pending and no drift.
async fn db_pull_adopts(backend: Backend, sql: &str) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    exec_script(&db, sql).await;
    let dir = tempfile::tempdir().unwrap();
    let url = testdb.url().to_owned();
    let code = tokio::task::spawn_blocking({
        let p = project(dir.path(), Vec::new());
        let url = url.clone();
        move || run(&p, ["db-pull", "--database-url", &url, "--timestamp", "20261122_040000"])
    })
    .await
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS, "{backend}: db-pull succeeds");

    let pulled = driftless_write::files::read_snapshot(&dir.path().join("snapshots/schema.json")).unwrap();
    assert_eq!(pulled.tables.len(), 2, "{backend}: both tables adopted");
    let live = driftless_introspect::introspect(&db).await.unwrap();
    let plan = classify::plan(&pulled, &live, &RenameHints::default()).unwrap();
    assert!(plan.is_empty(), "{backend}: the snapshot matches the database: {:?}", plan.changes);
    // The snapshot is faithful: built from it on a fresh database, the schema reads back the same.
    let fresh = TestDb::new(backend).await.unwrap();
    let fresh_db = Database::connect(fresh.url()).await.unwrap();
    // Built in the differ's order, as a first generated migration would.
    let steps: Vec<_> = driftless_core::diff::diff(&driftless_core::Schema::empty(), &pulled, &RenameHints::default())
        .unwrap()
        .steps()
        .cloned()
        .collect();
    let script =
        driftless_core::render::render_steps(&steps, fresh_db.dialect(), &driftless_core::Schema::empty()).unwrap();
    for s in &script.statements {
        exec_script(&fresh_db, &s.sql).await;
    }
    let rebuilt = driftless_introspect::introspect(&fresh_db).await.unwrap();
    let diffs = driftless_introspect::compare(&pulled, &rebuilt, fresh_db.dialect());
    assert!(diffs.is_empty(), "{backend}: {diffs:?}");
    fresh_db.close().await;
    if std::env::var_os("DRIFTLESS_DUMP").is_some() {
        eprintln!("{}", snapshot::to_string(&pulled));
    }
    let file = std::fs::read_to_string(dir.path().join("migrations/m20261122_040000_baseline.rs")).unwrap();
    assert!(file.contains("Migration::new(\"m20261122_040000_baseline\")"));
    let registry = std::fs::read_to_string(dir.path().join("migrations/mod.rs")).unwrap();
    assert!(registry.contains("m20261122_040000_baseline"));

    // The baseline, as the written file builds it.
    let up_plan = classify::plan(&Schema::empty(), &pulled, &RenameHints::default()).unwrap();
    let baseline = Migration::new("m20261122_040000_baseline")
        .parent(snapshot::hash(&Schema::empty()))
        .snapshot(snapshot::hash(&pulled))
        .class(up_plan.class())
        .up(up_plan.up_steps())
        .down(up_plan.down_steps());
    let status = Migrator::new(db.clone(), [baseline.clone()]).status().await.unwrap();
    assert_eq!(status.applied.len(), 1, "{backend}: the baseline is recorded");
    assert_eq!(status.applied[0].name, "m20261122_040000_baseline");
    assert!(status.pending.is_empty() && status.problems.is_empty(), "{backend}: {status:?}");
    let code = tokio::task::spawn_blocking({
        let p = project(dir.path(), vec![baseline]);
        move || run(&p, ["migrate-status", "--database-url", &url])
    })
    .await
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS, "{backend}: no problem and no drift after the pull");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_pull_adopts_a_hand_made_sqlite_database() {
    db_pull_adopts(Backend::Sqlite, SQLITE_SQL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_pull_adopts_a_hand_made_postgres_database() {
    db_pull_adopts(Backend::Postgres, POSTGRES_SQL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_pull_adopts_a_hand_made_mysql_database() {
    db_pull_adopts(Backend::Mysql, MYSQL_SQL).await;
}

#[test]
fn db_pull_refuses_a_project_with_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), vec![Migration::new("m1")]);
    assert_eq!(run(&p, ["db-pull", "--database-url", "sqlite::memory:"]), ExitCode::from(2));
    assert!(!dir.path().join("snapshots/schema.json").exists());
}

#[test]
fn migrate_verify_passes_on_the_example_history() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut p = project(dir.path(), example_app::migrations::migrations());
    p.snapshot = root.join("snapshots/schema.json");
    assert_eq!(run(&p, ["migrate-verify"]), ExitCode::SUCCESS);
}

#[test]
fn snapshot_repair_detects_and_rewrites_a_hand_edited_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut schema = driftless_write::files::read_snapshot(&root.join("snapshots/schema.json")).unwrap();
    let users = schema.table_mut("users").unwrap();
    users.columns.retain(|c| c.name != "timezone");
    let p = project(dir.path(), example_app::migrations::migrations());
    driftless_write::files::write_snapshot(&p.snapshot, &schema).unwrap();
    assert_eq!(run(&p, ["snapshot-repair", "--check"]), ExitCode::from(1));
    assert_eq!(run(&p, ["migrate-verify"]), ExitCode::from(1), "verify also checks the snapshot");
    assert_eq!(run(&p, ["snapshot-repair"]), ExitCode::SUCCESS);
    assert_eq!(run(&p, ["snapshot-repair", "--check"]), ExitCode::SUCCESS);
    let repaired = driftless_write::files::read_snapshot(&p.snapshot).unwrap();
    assert!(repaired.table("users").unwrap().column("timezone").is_some());
}

#[test]
fn branch_conflicts_fail_migrate_generate_check() {
    let dir = tempfile::tempdir().unwrap();
    let clean = project(dir.path(), vec![Migration::new("m1_a").parent("p0"), Migration::new("m2_b").parent("p1")]);
    assert_eq!(run(&clean, ["migrate-generate", "--check"]), ExitCode::SUCCESS);
    let conflicted =
        project(dir.path(), vec![Migration::new("m1_a").parent("p0"), Migration::new("m2_b").parent("p0")]);
    assert_eq!(run(&conflicted, ["migrate-generate", "--check"]), ExitCode::from(1));
}

/// `migrate-verify` on a database that already has tables cannot verify anything: that is an error (exit 2), not
/// a failed verification (exit 1), and the table is left alone.
async fn migrate_verify_refuses_a_database_that_is_not_empty(backend: Backend) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let db = Database::connect(testdb.url()).await.unwrap();
    exec_script(&db, "CREATE TABLE keep_me (id INTEGER PRIMARY KEY)").await;
    let dir = tempfile::tempdir().unwrap();
    let url = testdb.url().to_owned();
    let code = tokio::task::spawn_blocking({
        let p = project(dir.path(), example_app::migrations::migrations());
        move || run(&p, ["migrate-verify", "--database-url", &url])
    })
    .await
    .unwrap();
    assert_eq!(code, ExitCode::from(2), "{backend}");
    let live = driftless_introspect::introspect(&db).await.unwrap();
    assert_eq!(live.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["keep_me"], "{backend}");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_verify_refuses_a_postgres_database_that_is_not_empty() {
    migrate_verify_refuses_a_database_that_is_not_empty(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_verify_refuses_a_mysql_database_that_is_not_empty() {
    migrate_verify_refuses_a_database_that_is_not_empty(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_verify_refuses_a_sqlite_database_that_is_not_empty() {
    migrate_verify_refuses_a_database_that_is_not_empty(Backend::Sqlite).await;
}
