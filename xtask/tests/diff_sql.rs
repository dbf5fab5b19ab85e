//! `migrate-diff --format sql`: the script between any two sources, applied to the real databases. `empty → models`
//! builds a database whose introspected schema is the models' (as the dialect can represent them), and
//! `snapshot → B` (with `--down` back) moves a database the migrator built at the snapshot to B and back.

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_testdb::TestDb;

fn xtask(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("xtask runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn migrate(url: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("migrate")
        .env("NO_COLOR", "1")
        .env("DATABASE_URL", url)
        .output()
        .expect("xtask runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

fn scratch_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(driftless_testdb::unique_name(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Schema B: the committed snapshot plus a nullable column and its index on `users`, a new table `badges`, and a
/// value appended to the enum `post_status` (on PostgreSQL, an `ALTER TYPE … ADD VALUE` that runs outside the
/// transaction, since the new table's default uses the value).
fn schema_b(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("snapshots/schema.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let tables = v["tables"].as_array_mut().unwrap();
    let users = tables.iter_mut().find(|t| t["name"] == "users").expect("the example has a users table");
    users["columns"].as_array_mut().unwrap().push(serde_json::json!({
        "name": "nickname", "type": "varchar(50)", "nullable": true
    }));
    if users.get("indexes").is_none() {
        users["indexes"] = serde_json::json!([]);
    }
    users["indexes"].as_array_mut().unwrap().push(serde_json::json!({
        "name": "users_nickname_idx", "columns": ["nickname"]
    }));
    tables.push(serde_json::json!({
        "name": "badges",
        "columns": [
            {"name": "id", "type": "i64"},
            {"name": "label", "type": "varchar(40)"},
            {"name": "status", "type": "enum(post_status)", "default": {"value": "hidden"}}
        ],
        "primary_key": {"name": "badges_pkey", "columns": ["id"]}
    }));
    let statuses = v["enums"].as_array_mut().unwrap().iter_mut().find(|e| e["name"] == "post_status").unwrap();
    statuses["values"].as_array_mut().unwrap().push("hidden".into());
    let tables = v["tables"].as_array_mut().unwrap();
    tables.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let path = dir.join("b.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    path
}

/// Runs the script a statement at a time, each in its own implicit transaction, as `psql -f`, `mysql <` and
/// `sqlite3` do (one multi-statement query would be one transaction on PostgreSQL).
async fn apply(url: &str, script: &str) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    for statement in script.split(";\n").filter(|s| !s.trim().is_empty()) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("the script runs on {url}: {e}\n{statement}"));
    }
    drop(conn);
    pool.close().await;
}

/// No difference between the database at `url` and `side`.
fn assert_same(url: &str, side: &str) {
    let (code, stdout, stderr) = xtask(&["migrate-diff", "--from", url, "--to", side, "--exit-code"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("No schema changes"), "{stdout}");
}

async fn empty_to_models_builds_the_models(db: TestDb, dialect: &str) {
    let url = db.url().to_owned();
    let (code, script, stderr) =
        xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--format", "sql", "--dialect", dialect]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        script.lines().next(),
        Some(format!("-- driftless: up, the empty schema to the models ({dialect})").as_str())
    );
    assert!(script.contains("CREATE TABLE"), "{script}");
    apply(&url, &script).await;
    assert_same(&url, "models");
    db.close().await.unwrap();
}

async fn snapshot_to_b_and_back(db: TestDb, dialect: &str) {
    let url = db.url().to_owned();
    let dir = scratch_dir("driftless_diff_sql");
    let b = schema_b(&dir);
    let b = b.to_str().unwrap();
    migrate(&url);
    assert_same(&url, "snapshot");
    let (code, up, stderr) =
        xtask(&["migrate-diff", "--from", "snapshot", "--to", b, "--format", "sql", "--dialect", dialect]);
    assert_eq!(code, 0, "{stderr}");
    apply(&url, &up).await;
    assert_same(&url, b);
    let (code, down, stderr) =
        xtask(&["migrate-diff", "--from", "snapshot", "--to", b, "--format", "sql", "--dialect", dialect, "--down"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(down.lines().next(), Some(format!("-- driftless: down, `{b}` to the snapshot ({dialect})").as_str()));
    apply(&url, &down).await;
    assert_same(&url, "snapshot");
    db.close().await.unwrap();
}

#[tokio::test]
async fn empty_to_models_sql_builds_the_models_on_sqlite() {
    sqlx::any::install_default_drivers();
    empty_to_models_builds_the_models(TestDb::sqlite().await, "sqlite").await;
}

#[tokio::test]
async fn empty_to_models_sql_builds_the_models_on_postgres() {
    sqlx::any::install_default_drivers();
    let Some(db) = TestDb::postgres().await else { return };
    empty_to_models_builds_the_models(db, "postgres").await;
}

#[tokio::test]
async fn empty_to_models_sql_builds_the_models_on_mysql() {
    sqlx::any::install_default_drivers();
    let Some(db) = TestDb::mysql().await else { return };
    empty_to_models_builds_the_models(db, "mysql").await;
}

#[tokio::test]
async fn snapshot_to_b_sql_moves_a_sqlite_database_and_down_moves_it_back() {
    sqlx::any::install_default_drivers();
    snapshot_to_b_and_back(TestDb::sqlite().await, "sqlite").await;
}

#[tokio::test]
async fn snapshot_to_b_sql_moves_a_postgres_database_and_down_moves_it_back() {
    sqlx::any::install_default_drivers();
    let Some(db) = TestDb::postgres().await else { return };
    snapshot_to_b_and_back(db, "postgres").await;
}

#[tokio::test]
async fn snapshot_to_b_sql_moves_a_mysql_database_and_down_moves_it_back() {
    sqlx::any::install_default_drivers();
    let Some(db) = TestDb::mysql().await else { return };
    snapshot_to_b_and_back(db, "mysql").await;
}

/// The exact script, the header of an empty diff, and the refusals with their fix.
#[test]
fn sql_scripts_and_refusals_are_exact() {
    let dir = scratch_dir("driftless_diff_sql");
    let b = schema_b(&dir);
    let b = b.to_str().unwrap();
    let (code, stdout, stderr) =
        xtask(&["migrate-diff", "--from", "snapshot", "--to", b, "--format", "sql", "--dialect", "postgres"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "-- driftless: up, the snapshot to `{b}` (postgres)\n\
             -- run outside a transaction:\n\
             ALTER TYPE \"post_status\" ADD VALUE 'hidden' AFTER 'archived';\n\
             ALTER TABLE \"users\" ADD COLUMN \"nickname\" VARCHAR(50);\n\
             CREATE INDEX \"users_nickname_idx\" ON \"users\" (\"nickname\");\n\
             CREATE TABLE \"badges\" ( \"id\" BIGINT NOT NULL, \"label\" VARCHAR(40) NOT NULL, \"status\" \"post_status\" \
             NOT NULL DEFAULT 'hidden', CONSTRAINT \"badges_pkey\" PRIMARY KEY (\"id\") );\n"
        )
    );
    // A database URL side gives the dialect when --dialect is left out.
    let sqlite = dir.join("empty.db");
    std::fs::File::create(&sqlite).unwrap();
    let url = format!("sqlite://{}", sqlite.display());
    let (code, stdout, stderr) = xtask(&["migrate-diff", "--from", &url, "--to", b, "--format", "sql"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!("-- driftless: up, the database to `{b}` (sqlite)\nCREATE TABLE ")),
        "{stdout}"
    );

    let (code, stdout, _) =
        xtask(&["migrate-diff", "--from", "snapshot", "--to", "models", "--format", "sql", "--dialect", "mysql"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "-- driftless: up, the snapshot to the models (mysql)\n-- no schema changes\n");

    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--format", "sql"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "error: --format sql prints a script for one database: give --dialect sqlite, postgres or mysql (neither side \
         is a database URL to take it from)"
    );
    let (code, _, stderr) =
        xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--format", "sql", "--dialect", "all"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "error: --format sql prints a script for one database: give --dialect sqlite, postgres or mysql instead of \
         `all`"
    );
    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--down"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "error: --down only applies to --format sql (the reports already show each change's down SQL)"
    );
}
