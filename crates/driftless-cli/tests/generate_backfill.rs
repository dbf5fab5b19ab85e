//! Backfill values from the model (`#[model(backfill = "...")]`, here `ModelDef::column_backfills`) and from the
//! answers file (`--answers FILE`, `"backfills"`), end to end: `migrate-generate` writes the expand steps (add
//! nullable, batched backfill, NOT NULL; a per-row default set before its backfill), the file is the committed
//! fixture byte for byte (so it is frozen and compiles: it is a module of this test), and `migrate` runs it on
//! SQLite, PostgreSQL and MariaDB against a populated table: every row filled, the columns NOT NULL, and `down`
//! back to the start. Bad answers are refused with their exact messages, writing nothing.
//!
//! Regenerate the fixtures with `DRIFTLESS_UPDATE_FIXTURES=1 cargo test -p driftless-cli --test generate_backfill`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::Migration;
use driftless_core::schema::{ColumnType, DefaultExpr, ModelDef, SchemaBuilder, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;
use sqlx::AssertSqlSafe;

mod common;
use common::{command, number as count};

#[path = "fixtures/backfill/m20261129_110000_fill_users.rs"]
mod fill_file;
#[path = "fixtures/backfill/m20261129_100000_init.rs"]
mod init_file;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/backfill");
const ANSWERS: &str = r#"{"backfills": [{"table": "users", "column": "nick", "value": "email"}]}"#;

fn users_v1() -> Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("email", ColumnType::Varchar(255)))
        .with_column(column("nick", ColumnType::Varchar(255)).nullable())
        .primary_key("users_pkey", &["id"])
}

/// Version 2: `tz` added NOT NULL (the model's backfill `'UTC'`), `nick` made NOT NULL (the answers file's backfill
/// `email`), `public_id` added with a per-row default.
fn users_v2() -> Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("email", ColumnType::Varchar(255)))
        .with_column(column("nick", ColumnType::Varchar(255)))
        .with_column(column("tz", ColumnType::Varchar(64)))
        .with_column(column("public_id", ColumnType::Uuid).default_expr(DefaultExpr::GenRandomUuid))
        .primary_key("users_pkey", &["id"])
}

fn project(dir: &Path, table: Table, backfills: &[(&str, &str)]) -> Project {
    let mut models = SchemaBuilder::new();
    models.model(ModelDef {
        column_backfills: backfills.iter().map(|(c, v)| ((*c).to_owned(), (*v).to_owned())).collect(),
        ..ModelDef::new("User", table)
    });
    let mut p = Project::new(dir, models);
    p.crate_path = "driftless_core".into();
    p.registered.clear();
    p
}

fn answers(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("answers.json");
    std::fs::write(&path, text).unwrap();
    path
}

/// Generates both migrations in `dir` and returns their texts.
fn generate(dir: &Path) -> (String, String) {
    let p = project(dir, users_v1(), &[]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"]), ExitCode::SUCCESS);
    let p = project(dir, users_v2(), &[("tz", "'UTC'")]);
    let file = answers(dir, ANSWERS);
    let args = ["migrate-generate", "--name", "fill_users", "--timestamp", "20261129_110000", "--answers"];
    assert_eq!(run(&p, args.into_iter().chain([file.to_str().unwrap()])), ExitCode::SUCCESS);
    let read = |name: &str| std::fs::read_to_string(dir.join("migrations").join(name)).unwrap();
    (read("m20261129_100000_init.rs"), read("m20261129_110000_fill_users.rs"))
}

#[test]
fn the_generated_files_are_the_fixtures_and_rustfmt_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (init, fill) = generate(dir.path());
    for (name, text) in [("m20261129_100000_init.rs", &init), ("m20261129_110000_fill_users.rs", &fill)] {
        let formatted = driftless_write::rustfmt(text, dir.path()).unwrap();
        assert_eq!(&formatted, text, "{name} is not rustfmt-clean as written");
        let path = Path::new(FIXTURES).join(name);
        if std::env::var_os("DRIFTLESS_UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all(FIXTURES).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            &committed, text,
            "{name} differs from the fixture; regenerate with DRIFTLESS_UPDATE_FIXTURES=1 and review the diff"
        );
    }
    // The expand steps, literal: nothing refers to the model.
    for line in [
        "add_column(\"users\", column(\"tz\", ColumnType::Varchar(64)).nullable())",
        "backfill(\"users\", &[(\"tz\", \"'UTC'\")]).when(\"tz IS NULL\")",
        "backfill(\"users\", &[(\"public_id\", \"DEFAULT\")]).when(\"public_id IS NULL\")",
        "backfill(\"users\", &[(\"nick\", \"email\")]).when(\"nick IS NULL\")",
        ".class(Class::ReviewRequired)",
    ] {
        assert!(fill.contains(line), "missing {line}:\n{fill}");
    }
    assert!(!fill.contains("Class::Dangerous"), "{fill}");
    // The compiled fixture is the plan the generator wrote.
    let m = fill_file::migration();
    let kinds: Vec<&str> = m.up.iter().map(|s| s.kind()).collect();
    assert_eq!(
        kinds,
        [
            "add_column",
            "backfill",
            "alter_column",
            "add_column",
            "alter_column",
            "backfill",
            "alter_column",
            "backfill",
            "alter_column"
        ]
    );
    let down: Vec<&str> = m.down.iter().map(|s| s.kind()).collect();
    assert_eq!(down, ["alter_column", "alter_column", "alter_column", "drop_column", "alter_column", "drop_column"]);
}

fn registry() -> Vec<Migration> {
    vec![init_file::migration(), fill_file::migration()]
}

async fn exec(db: &Database, sql: &str) -> Result<(), String> {
    let sql = AssertSqlSafe(sql.to_owned());
    match db {
        Database::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        Database::Mysql(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        _ => unreachable!("three dialects"),
    }
    .map_err(|e| e.to_string())
}

fn seed_sql() -> String {
    let rows: Vec<String> = (1..=2500)
        .map(|i| {
            let nick = if i % 3 == 0 { "NULL".to_owned() } else { format!("'nick{i}'") };
            format!("('user{i}@example.com', {nick})")
        })
        .collect();
    format!("INSERT INTO users (email, nick) VALUES {}", rows.join(", "))
}

async fn end_to_end(testdb: TestDb) {
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), users_v2(), &[]).with_migrations(dir.path().join("migrations"), registry());
    let db = Database::connect(&url).await.unwrap();
    let args = |cmd: &str| vec![cmd.to_owned(), "--database-url".to_owned(), url.clone()];

    assert_eq!(command(&project, args("migrate-up")).await, ExitCode::SUCCESS, "the first migration");
    exec(&db, &seed_sql()).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE nick IS NULL").await, 833);

    // PostgreSQL rewrites a table into a new file (`relfilenode`) for `ADD COLUMN … DEFAULT gen_random_uuid()`; the
    // expand steps must not.
    let is_pg = matches!(db, Database::Postgres(_));
    const FILE: &str = "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'users'";
    let file_before = if is_pg { count(&db, FILE).await } else { 0 };
    assert_eq!(command(&project, args("migrate")).await, ExitCode::SUCCESS, "the backfills run");
    if is_pg {
        assert_eq!(count(&db, FILE).await, file_before, "the table was not rewritten");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users").await, 2500);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE tz = 'UTC'").await, 2500, "tz backfilled");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE nick = email").await, 833, "the NULL nicks took the email");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM users WHERE nick LIKE 'nick%'").await, 1667, "the others kept theirs");
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT public_id) FROM users").await,
        2500,
        "every existing row got its own public_id"
    );
    // The columns are NOT NULL now, and a new row gets its public_id from the default.
    for sql in [
        "INSERT INTO users (email, nick, tz) VALUES ('a@example.com', NULL, 'UTC')",
        "INSERT INTO users (email, nick, tz) VALUES ('a@example.com', 'a', NULL)",
        "INSERT INTO users (email, nick, tz, public_id) VALUES ('a@example.com', 'a', 'UTC', NULL)",
    ] {
        assert!(exec(&db, sql).await.is_err(), "{sql} must fail on a NOT NULL column");
    }
    exec(&db, "INSERT INTO users (email, nick, tz) VALUES ('new@example.com', 'new', 'UTC')").await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(DISTINCT public_id) FROM users").await, 2501);
    let history = Migrator::new(db.clone(), registry()).history().await.unwrap();
    assert_eq!(history.iter().filter(|r| r.dirty.is_none()).count(), 2, "{history:?}");

    // Down: the added columns go, `nick` is nullable again (the backfilled values stay).
    assert_eq!(command(&project, args("migrate-down")).await, ExitCode::SUCCESS, "down");
    assert!(exec(&db, "SELECT tz FROM users").await.is_err(), "tz was dropped");
    assert!(exec(&db, "SELECT public_id FROM users").await.is_err(), "public_id was dropped");
    exec(&db, "INSERT INTO users (email, nick) VALUES ('b@example.com', NULL)").await.unwrap();
    if is_pg {
        // The control: the plain statement does rewrite it, so the check above can fail.
        let before = count(&db, FILE).await;
        exec(&db, "ALTER TABLE users ADD COLUMN plain_id uuid NOT NULL DEFAULT gen_random_uuid()").await.unwrap();
        assert_ne!(count(&db, FILE).await, before, "a volatile default in ADD COLUMN rewrites the table");
    }
    db.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_populated_table() {
    end_to_end(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_populated_table() {
    let Some(testdb) = TestDb::postgres().await else { return };
    end_to_end(testdb).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_populated_table() {
    let Some(testdb) = TestDb::mysql().await else { return };
    end_to_end(testdb).await;
}

/// Without a backfill value, adding `tz` NOT NULL stays dangerous and the file says how to give one; bad answers
/// are refused with their messages (exact, checked in a child process that captures stderr), writing nothing.
#[test]
fn without_a_value_it_is_dangerous_and_bad_answers_are_refused() {
    const NAME: &str = "without_a_value_it_is_dangerous_and_bad_answers_are_refused";
    if std::env::var_os("DRIFTLESS_BACKFILL_CHILD").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env("DRIFTLESS_BACKFILL_CHILD", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(
            errors,
            [
                "error: ANSWERS: the backfill for `users.timezone` names a column the models do not have: table \
                 `users` has no column `timezone`; nothing was written",
                "error: ANSWERS: the backfill for `people.tz` names a table the models do not have: there is no \
                 table `people`; nothing was written",
                "error: conflicting backfill values for `users.tz`: the model says #[model(backfill = \"'UTC'\")] \
                 and ANSWERS says \"'GMT'\"; remove one of them; nothing was written",
                "error: ANSWERS is not a renames file (expected {\"tables\": [{\"from\": \"a\", \"to\": \"b\"}], \
                 \"columns\": [{\"table\": \"t\", \"from\": \"x\", \"to\": \"y\"}], \"backfills\": [{\"table\": \"t\", \
                 \"column\": \"c\", \"value\": \"'SQL'\"}]}): unknown field `default`, expected one of `table`, \
                 `column`, `value` at line 1 column 59",
            ],
            "{stderr}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    let p = project(&root, users_v1(), &[]);
    assert_eq!(run(&p, ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"]), ExitCode::SUCCESS);
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(root.join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let snapshot = std::fs::read_to_string(root.join("snapshots/schema.json")).unwrap();
    // The file's path is shown as given: a relative `ANSWERS` in the temporary folder keeps the messages exact.
    std::env::set_current_dir(dir.path()).unwrap();
    let p2 = project(&root, users_v2(), &[("tz", "'UTC'")]);
    for bad in [
        r#"{"backfills": [{"table": "users", "column": "timezone", "value": "'UTC'"}]}"#,
        r#"{"backfills": [{"table": "people", "column": "tz", "value": "'UTC'"}]}"#,
        r#"{"backfills": [{"table": "users", "column": "tz", "value": "'GMT'"}]}"#,
        r#"{"backfills": [{"table": "users", "column": "tz", "default": "'GMT'"}]}"#,
    ] {
        std::fs::write(dir.path().join("ANSWERS"), bad).unwrap();
        let code = run(&p2, ["migrate-generate", "--name", "bad", "--answers", "ANSWERS"]);
        assert_eq!(code, ExitCode::from(2), "{bad}");
        assert_eq!(listing(), ["m20261129_100000_init.rs", "mod.rs"], "nothing written for {bad}");
        assert_eq!(std::fs::read_to_string(root.join("snapshots/schema.json")).unwrap(), snapshot);
    }
    // No value for `tz` (nor for `nick`): the old dangerous verdict, with the new hint.
    let p3 = project(&root, users_v2(), &[]);
    let args = ["migrate-generate", "--name", "no_values", "--timestamp", "20261129_120000"];
    assert_eq!(run(&p3, args), ExitCode::SUCCESS);
    let file = std::fs::read_to_string(root.join("migrations/m20261129_120000_no_values.rs")).unwrap();
    assert!(file.contains(".class(Class::Dangerous)"), "{file}");
    assert!(file.contains("add_column_not_null_no_default"), "{file}");
    // The header wraps its lines: read it as one.
    let header = file.replace("\n//!   ", " ");
    assert!(
        header.contains("give the existing rows a value with #[model(backfill = \"<SQL>\")] on the field"),
        "{file}"
    );
    // The per-row default needs no value: it is still added without a rewrite.
    assert!(file.contains("backfill(\"users\", &[(\"public_id\", \"DEFAULT\")])"), "{file}");
    assert!(!file.contains("(\"tz\", \"") && !file.contains("(\"nick\", \""), "{file}");
}
