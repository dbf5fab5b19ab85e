//! A PostgreSQL schema other than `public`, selected by the URL's `schema=` parameter: `db-pull` adopts the tables
//! of that schema only, `migrate-status` records the baseline there and sees no drift, `migrate-diff` reads that
//! schema, and a schema that does not exist is refused by name.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::schema::SchemaBuilder;
use driftless_migrate::Database;
use driftless_testdb::TestDb;
use sqlx::AssertSqlSafe;

fn project(root: &Path) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), Vec::new())
}

fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}

async fn cli(dir: &Path, args: Vec<String>) -> ExitCode {
    let p = project(dir);
    tokio::task::spawn_blocking(move || run(&p, args)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_pull_status_and_diff_work_in_the_schema_the_url_names() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let Database::Postgres(pool) = Database::connect(testdb.url()).await.unwrap() else { unreachable!() };
    sqlx::raw_sql(AssertSqlSafe(
        "CREATE SCHEMA app;
         CREATE TABLE app.things (id BIGINT PRIMARY KEY, label VARCHAR(40) NOT NULL);
         CREATE INDEX things_label_idx ON app.things (label);
         CREATE TABLE public.elsewhere (id INT PRIMARY KEY);"
            .to_owned(),
    ))
    .execute(&pool)
    .await
    .unwrap();
    let url = with_schema(testdb.url(), "app");

    let schema = driftless_introspect::schema_from_url(&url).await.unwrap();
    assert_eq!(schema.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["things"]);
    assert_eq!(schema.tables[0].indexes[0].name, "things_label_idx");
    let public = driftless_introspect::schema_from_url(testdb.url()).await.unwrap();
    assert_eq!(public.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["elsewhere"]);

    let dir = tempfile::tempdir().unwrap();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let code = cli(dir.path(), args(&["db-pull", "--database-url", &url, "--timestamp", "20261129_070000"])).await;
    assert_eq!(code, ExitCode::SUCCESS);
    let pulled = driftless_write::files::read_snapshot(&dir.path().join("snapshots/schema.json")).unwrap();
    assert_eq!(pulled.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["things"]);
    // The baseline is recorded in the tracking table of `app`, not of `public`.
    let tracking: Vec<String> = sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname = 'driftless_migrations' AND c.relkind = 'r'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tracking, ["app"], "the tracking table is in schema app only");
    let recorded: Vec<String> =
        sqlx::query_scalar("SELECT name FROM app.driftless_migrations").fetch_all(&pool).await.unwrap();
    assert_eq!(recorded, ["m20261129_070000_baseline"]);
    let snapshot = dir.path().join("snapshots/schema.json").display().to_string();
    let code = cli(dir.path(), args(&["migrate-diff", "--from", &url, "--to", &snapshot, "--exit-code"])).await;
    assert_eq!(code, ExitCode::SUCCESS, "no difference between schema app and the pulled snapshot");
    let code = cli(dir.path(), args(&["migrate-diff", "--from", testdb.url(), "--to", &snapshot, "--exit-code"])).await;
    assert_eq!(code, ExitCode::from(1), "public differs from the snapshot of app");

    let err = Database::connect(&with_schema(testdb.url(), "no_such")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the schema `no_such` named by `schema=` in {} does not exist in that database; create it (CREATE \
             SCHEMA) or fix the URL",
            driftless_migrate::redact(&with_schema(testdb.url(), "no_such"))
        )
    );
    pool.close().await;
    testdb.close().await.unwrap();
}
