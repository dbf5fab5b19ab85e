//! A backfill through the CLI: `migrate` shows its progress as plain lines on stderr when stderr is not a terminal
//! (when it starts, at most every 5 s, and when it is done), and `migrate-sql` shows the readable equivalent (one
//! `UPDATE`, with a comment that it runs in batches). Run in a child process (this test binary, filtered to this
//! test) so that its output can be read.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, SchemaBuilder};

const FILL: &str = "m20260102T000000_fill_users";

fn registry() -> Vec<Migration> {
    let users = table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("tz", ColumnType::Text).nullable())
        .primary_key("users_pkey", &["id"]);
    vec![
        Migration::new("m20260101T000000_users").up([create_table(users.clone())]).down([drop_table(users)]),
        Migration::new(FILL)
            .class(Class::ReviewRequired)
            .up([backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL").batch_size(2)])
            .down([]),
    ]
}

fn project(root: &Path, registry: Vec<Migration>) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry)
}

#[test]
fn a_backfill_shows_plain_progress_lines_and_readable_sql() {
    const NAME: &str = "a_backfill_shows_plain_progress_lines_and_readable_sql";
    if let Some(root) = std::env::var_os("DRIFTLESS_TEST_PROJECT_ROOT") {
        let root = std::path::PathBuf::from(root);
        let first = project(&root, registry()[..1].to_vec());
        assert_eq!(run(&first, ["migrate"]), ExitCode::SUCCESS);
        let url = format!("sqlite://{}", root.join("driftless.db").display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::raw_sql("INSERT INTO users (id, tz) VALUES (1, NULL), (2, 'X'), (3, NULL), (4, NULL)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
        eprintln!("====");
        assert_eq!(run(&project(&root, registry()), ["migrate"]), ExitCode::SUCCESS);
        println!("====");
        assert_eq!(run(&project(&root, registry()), ["migrate-sql", FILL, "--dialect", "mysql"]), ExitCode::SUCCESS);
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env("DRIFTLESS_TEST_PROJECT_ROOT", root.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stderr.split_once("====\n").unwrap().1.lines().collect();
    assert!(lines[0].starts_with(&format!("backfill users ({FILL}): 0 of 3 rows, 0 batch(es), 0 rows/s")), "{stderr}");
    assert!(lines[1].starts_with(&format!("backfill users ({FILL}): 3 of 3 rows, 2 batch(es), ")), "{stderr}");
    assert!(lines[1].contains(" rows/s, done in "), "{stderr}");
    assert!(lines[2].starts_with(&format!("applied {FILL} (review_required) in ")), "{stderr}");
    let sql = stdout.split_once("====\n").unwrap().1;
    assert!(
        sql.contains(&format!(
            "-- {FILL} (up, mysql)\n-- unit 1 of 1: outside a transaction: in batches of 2 rows, each batch its own \
             transaction\n-- lock: row locks on one batch of 2 rows at a time, each committed (online)\n-- backfill: \
             runs in batches of 2 rows in (`id`) order, each committed on its own\nUPDATE `users` SET `tz` = 'UTC' \
             WHERE (tz IS NULL);\n"
        )),
        "{sql}"
    );
}
