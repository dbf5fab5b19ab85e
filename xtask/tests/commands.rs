//! driftless's commands run as a user runs them, through this repository's xtask binary on the example: exit codes
//! and the exact messages.

use std::process::Command;

fn xtask(args: &[&str]) -> (i32, String, String) {
    xtask_with_db(args, None)
}

fn xtask_with_db(args: &[&str], database_url: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).env("NO_COLOR", "1").env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().expect("xtask runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn generate_check_is_clean_on_main() {
    let (code, stdout, stderr) = xtask(&["migrate-generate", "--check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("up to date: the models match "), "{stdout}");
    assert!(stdout.trim_end().ends_with("snapshots/schema.json"), "{stdout}");
    // The example keeps its `renamed_from`s after the migrations that applied them: each note names the migration
    // and says when the hint can go.
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "note: the rename column `messages.completion_tokens` -> `output_tokens` was applied by migration \
             `m20261105_090000_rename_token_columns`; its `renamed_from` can be removed once every database has \
             applied that migration",
            "note: the rename column `messages.prompt_tokens` -> `input_tokens` was applied by migration \
             `m20261105_090000_rename_token_columns`; its `renamed_from` can be removed once every database has \
             applied that migration",
            "note: the rename column `messages.reasoning` -> `thinking_text` was applied by migration \
             `m20261103_090000_rename_reasoning_to_thinking_text`; its `renamed_from` can be removed once every \
             database has applied that migration",
        ]
    );
}

#[test]
fn diff_json_from_empty_lists_every_table_and_enum() {
    let (code, stdout, stderr) = xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["format"], 1);
    assert_eq!(v["class"], "safe");
    assert_eq!(v["changes"].as_array().unwrap().len(), 10, "8 tables and 2 enums");
}

#[test]
fn diff_exit_code_reports_changes_only_when_asked() {
    assert_eq!(xtask(&["migrate-diff", "--from", "empty", "--to", "models"]).0, 0);
    assert_eq!(xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--exit-code"]).0, 1);
    let (code, stdout, _) = xtask(&["migrate-diff", "--from", "snapshot", "--to", "models", "--exit-code"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("No schema changes"), "{stdout}");
}

#[test]
fn diff_markdown_is_a_pr_comment() {
    let (code, stdout, _) = xtask(&[
        "migrate-diff",
        "--from",
        "snapshot",
        "--to",
        "empty",
        "--format",
        "markdown",
        "--dialect",
        "postgres",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("### driftless: 10 schema changes — ⛔ dangerous\n"), "{stdout}");
    assert!(
        stdout.contains(
            "| 1 | drop table `agent_sessions` | PostgreSQL | ⛔ dangerous | `drop_table` | drops table \
             `agent_sessions` and every row in it |"
        ),
        "{stdout}"
    );
}

#[test]
fn bad_input_exits_2_with_a_message_naming_it() {
    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "no/such/schema.json", "--to", "models"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: reading --from no/such/schema.json: no/such/schema.json: "), "{stderr}");
    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--format", "yaml"]);
    assert_eq!(code, 2);
    assert_eq!(stderr.trim_end(), "error: --format: `yaml` is not one of text, markdown, json, sql");
    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "empty", "--to", "models", "--dialect", "oracle"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: --dialect: "), "{stderr}");
    let (code, _, stderr) = xtask(&["migrate-sql", "no_such_migration"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no migration named `no_such_migration` in the registry (6 migration(s))"), "{stderr}");
}

#[test]
fn migrate_sql_prints_a_migration_per_dialect() {
    let (code, stdout, stderr) = xtask(&["migrate-sql", "rename_token_columns", "--dialect", "mysql"]);
    assert_eq!(code, 0, "{stderr}");
    // As the migrator runs it: each MySQL statement a unit of its own, with its algorithm and lock.
    assert_eq!(
        stdout,
        "-- m20261105_090000_rename_token_columns (up, mysql)\n\
         -- unit 1 of 2: on its own (MySQL commits each DDL statement; progress recorded after it)\n\
         -- lock: metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE) (online)\n\
         ALTER TABLE `messages` RENAME COLUMN `completion_tokens` TO `output_tokens`, ALGORITHM=INSTANT, LOCK=NONE;\n\
         -- unit 2 of 2: on its own (MySQL commits each DDL statement; progress recorded after it)\n\
         -- lock: metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE) (online)\n\
         ALTER TABLE `messages` RENAME COLUMN `prompt_tokens` TO `input_tokens`, ALGORITHM=INSTANT, LOCK=NONE;\n"
    );
    // `--plain`: the steps' plain SQL; `--no-online`: the plain statements in the migrator's units.
    let (code, stdout, _) = xtask(&["migrate-sql", "rename_token_columns", "--dialect", "mysql", "--plain"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "-- m20261105_090000_rename_token_columns (up, mysql, plain)\n\
         ALTER TABLE `messages` RENAME COLUMN `completion_tokens` TO `output_tokens`;\n\
         ALTER TABLE `messages` RENAME COLUMN `prompt_tokens` TO `input_tokens`;\n"
    );
    let (code, stdout, _) = xtask(&["migrate-sql", "rename_token_columns", "--dialect", "mysql", "--no-online"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("-- unit 2 of 2: on its own"), "{stdout}");
    assert!(stdout.contains("RENAME COLUMN `prompt_tokens` TO `input_tokens`;\n"), "{stdout}");
    assert!(!stdout.contains("ALGORITHM="), "{stdout}");
    let (code, stdout, _) = xtask(&["migrate-sql", "add_user_timezone", "--dialect", "sqlite", "--down"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "-- m20261102_090000_add_user_timezone (down, sqlite)\n\
         -- unit 1 of 1: in one transaction, with the tracking-table row\n\
         -- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)\n\
         ALTER TABLE \"users\" DROP COLUMN \"timezone\";\n"
    );
}

/// `migrate-diff` reads a live database: after `migrate`, the database and the models agree; a hand-made column
/// is the one difference.
async fn diff_against_live_database(db: driftless_testdb::TestDb, add_column: &str) {
    let url = db.url().to_owned();
    let (code, _, stderr) = xtask_with_db(&["migrate"], Some(&url));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = xtask(&["migrate-diff", "--from", &url, "--to", "models", "--exit-code"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("No schema changes"), "{stdout}");
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(add_column.to_owned())).execute(&pool).await.unwrap();
    pool.close().await;
    let (code, stdout, _) = xtask(&["migrate-diff", "--from", &url, "--to", "models", "--exit-code"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.starts_with("1 change, worst: dangerous"), "{stdout}");
    assert!(stdout.contains("drop column `users.hand_made`"), "{stdout}");
    db.close().await.unwrap();
}

#[tokio::test]
async fn diff_reads_a_live_sqlite_database() {
    sqlx::any::install_default_drivers();
    diff_against_live_database(driftless_testdb::TestDb::sqlite().await, "ALTER TABLE users ADD COLUMN hand_made TEXT")
        .await;
}

#[tokio::test]
async fn diff_reads_a_live_postgres_database() {
    sqlx::any::install_default_drivers();
    let Some(db) = driftless_testdb::TestDb::postgres().await else { return };
    diff_against_live_database(db, "ALTER TABLE users ADD COLUMN hand_made TEXT").await;
}

#[test]
fn review_against_head_runs_and_bad_input_exits_2_with_a_message() {
    let (code, stdout, stderr) = xtask(&["migrate-review", "--base", "HEAD", "--format", "text"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("migration review against HEAD (merge base "), "{stdout}");
    let (code, _, stderr) = xtask(&["migrate-review", "--base", "no-such-ref-anywhere"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: --base `no-such-ref-anywhere` is not a commit in the repository "), "{stderr}");
    assert!(
        stderr.trim_end().ends_with(
            "check the name, and fetch it first (in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
        ),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["migrate-review", "--base", "main"])
        .env("GIT_DIR", "/nonexistent/driftless-test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: the migrations folder "), "{stderr}");
    assert!(
        stderr
            .trim_end()
            .ends_with("migrate-review compares the migrations with a base commit, so run it in a git checkout"),
        "{stderr}"
    );
}

/// The xtask binary run in `dir`, with `DATABASE_URL` set or not.
fn xtask_in(dir: &std::path::Path, args: &[&str], database_url: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().expect("xtask runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(driftless_testdb::unique_name(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `DATABASE_URL=sqlite://new.db`: `migrate` creates the file (and leaves no lock file beside it); `migrate-status`
/// on a missing file creates nothing.
#[test]
fn migrate_creates_a_named_sqlite_file_and_status_does_not() {
    let dir = scratch_dir("driftless_newdb");
    let (code, stdout, stderr) = xtask_in(&dir, &["migrate-status"], Some("sqlite://new.db"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.starts_with("no SQLite database at new.db: nothing is applied there yet"), "{stderr}");
    assert!(stdout.contains(" pending, 0 problem(s)"), "{stdout}");
    assert_eq!(files_in(&dir), Vec::<String>::new());

    let (code, _, stderr) = xtask_in(&dir, &["migrate"], Some("sqlite://new.db"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(files_in(&dir), ["new.db"]);
    let (code, stdout, stderr) = xtask_in(&dir, &["migrate-status", "--lock-timeout", "1"], Some("sqlite://new.db"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(" applied, 0 pending, 0 problem(s), 0 drift(s)"), "{stdout}");
    assert_eq!(files_in(&dir), ["new.db"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// No password reaches any message, whether percent-encoded, in a parameter, or unencoded with `/` and `@` (which
/// a URL parser splits in the wrong place); a refused port is named at once, and the cause is said once.
#[test]
fn connection_errors_name_the_address_and_hide_the_password() {
    let refused = |shown: &str| {
        format!(
            "could not connect to {shown}: connection refused at 127.0.0.1:1; check DATABASE_URL and that the \
             database is running"
        )
    };
    let url = "postgres://postgres:pa%2Fss%40w@127.0.0.1:1/test";
    let shown = "postgres://postgres:***@127.0.0.1:1/test";
    let start = std::time::Instant::now();
    let (code, _, stderr) = xtask_with_db(&["migrate"], Some(url));
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "{:?}", start.elapsed());
    assert_eq!((code, stderr), (2, format!("error: {}\n", refused(shown))));

    let (code, _, stderr) = xtask(&["migrate-diff", "--from", url, "--to", "models"]);
    assert_eq!((code, stderr), (2, format!("error: reading --from {shown}: {}\n", refused(shown))));

    let url = "mysql://root@127.0.0.1:1/test?password=hunter2";
    let (code, _, stderr) = xtask(&["migrate-diff", "--from", "models", "--to", url]);
    assert_eq!(
        (code, stderr),
        (
            2,
            format!(
                "error: reading --to {0}: {1}\n",
                "mysql://root@127.0.0.1:1/test?password=***",
                refused("mysql://root@127.0.0.1:1/test?password=***")
            )
        )
    );

    for args in [
        &["migrate-status"][..],
        &["migrate-diff", "--from", "postgres://postgres:pa/ss@w@127.0.0.1:1/test", "--to", "models"],
    ] {
        let (code, _, stderr) = xtask_with_db(args, Some("postgres://postgres:pa/ss@w@127.0.0.1:1/test"));
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("postgres://postgres:***@127.0.0.1:1/test"), "{stderr}");
        assert!(!stderr.contains("pa/ss") && !stderr.contains("ss@w"), "{stderr}");
    }
}

#[test]
fn a_lock_timeout_must_be_seconds() {
    let (code, _, stderr) = xtask_with_db(&["migrate", "--lock-timeout=-1"], Some("sqlite::memory:"));
    assert_eq!((code, stderr.as_str()), (2, "error: --lock-timeout: `-1` is not a number of seconds (0 or more)\n"));
}
