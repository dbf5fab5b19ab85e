//! `migrate --dry-run` prints each pending migration's statements with their locks, the rows of the tables they
//! touch and the data probes' results, and changes nothing: against a SQLite file that does not exist it plans
//! against an empty database and creates no file. Run in a child process (this test binary, filtered to this test)
//! so that its standard output can be read.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType, SchemaBuilder};

fn email() -> Column {
    column("email", ColumnType::Text).nullable()
}

fn registry() -> Vec<Migration> {
    let users = table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(email())
        .primary_key("users_pkey", &["id"]);
    vec![
        Migration::new("m20260101T000000_users").up([create_table(users.clone())]).down([drop_table(users)]),
        Migration::new("m20260102T000000_email_required")
            .class(Class::Dangerous)
            .acknowledged("test", "the dry-run test")
            .up([alter_column("users", email(), Column { nullable: false, ..email() })])
            .down([alter_column("users", Column { nullable: false, ..email() }, email())]),
    ]
}

fn project(root: &Path, registry: Vec<Migration>) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry)
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    const NAME: &str = "a_dry_run_prints_the_plan_and_changes_nothing";
    if let Some(root) = std::env::var_os("DRIFTLESS_TEST_PROJECT_ROOT") {
        let root = std::path::PathBuf::from(root);
        let file = root.join("driftless.db");
        let project = project(&root, registry());
        println!("====");
        assert_eq!(run(&project, ["migrate", "--dry-run"]), ExitCode::SUCCESS);
        assert!(!file.exists(), "a dry run created the database file");
        println!("----");
        // Apply the first migration, add rows, and plan the second: its probe finds the NULLs.
        let first = self::project(&root, registry()[..1].to_vec());
        assert_eq!(run(&first, ["migrate"]), ExitCode::SUCCESS);
        let url = format!("sqlite://{}", file.display());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::raw_sql("INSERT INTO users (id, email) VALUES (1, NULL), (2, 'a'), (3, NULL)")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
        let before = std::fs::read(&file).unwrap();
        assert_eq!(run(&project, ["migrate", "--dry-run"]), ExitCode::SUCCESS);
        assert_eq!(std::fs::read(&file).unwrap(), before, "a dry run changed the database file");
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
    let plan = stdout.split_once("====\n").unwrap().1;
    let (fresh, populated) = plan.split_once("----").unwrap();
    assert!(
        fresh.starts_with(
            "m20260101T000000_users (safe, one transaction)\n  1. step 1 create_table: CREATE TABLE \"users\""
        ),
        "{fresh}"
    );
    assert!(
        fresh.contains("\n  probe step 1: rows where email is NULL: not run: the table is not there yet\n"),
        "{fresh}"
    );
    assert!(fresh.contains("     lock: database write lock (SQLite has one writer): writers wait until commit (blocking); users: not there yet\n"), "{fresh}");
    assert!(fresh.contains("\ndry run on sqlite: 2 pending migration(s); nothing has changed"), "{fresh}");
    assert!(populated.contains("\nm20260102T000000_email_required (dangerous, "), "{populated}");
    assert!(populated.contains("; users: 3 rows now\n"), "{populated}");
    assert!(
        populated.contains("\n  probe step 1: 2 rows where email is NULL (examples: 1; 3): would be refused\n"),
        "{populated}"
    );
    assert!(populated.contains("\ndry run on sqlite: 1 pending migration(s); nothing has changed"), "{populated}");
    assert!(stderr.contains("planning against an empty database"), "{stderr}");
}
