//! The project's setting for online migrations (`Project::online(false)`): every command treats a migration that
//! does not say `.online(...)` itself as `--no-online` would. `migrate-generate` writes the plain statements' locks
//! in the header, and `migrate` runs the plain SQL (here: a unique constraint on duplicate rows fails inside the
//! transaction and leaves nothing, where online it leaves an INVALID index and a row to resume).

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, SchemaBuilder, Table};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::TestDb;

mod common;

fn people(indexed: bool) -> Table {
    let t = table("people")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Varchar(200)))
        .primary_key("people_pkey", &["id"]);
    if indexed { t.index(index("people_email_idx", &["email"])) } else { t }
}

fn model_project(dir: &Path, indexed: bool) -> Project {
    common::project(dir, vec![("Person", people(indexed))])
}

/// The header's lock line of the index added to an existing table, with the project's setting `online`.
fn index_lock_line(online: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let init = model_project(dir.path(), false).online(online);
    assert_eq!(run(&init, ["migrate-generate", "--name", "init", "--timestamp", "20261129_100000"]), ExitCode::SUCCESS);
    let index = model_project(dir.path(), true).online(online);
    let args = ["migrate-generate", "--name", "email_idx", "--timestamp", "20261129_110000"];
    assert_eq!(run(&index, args), ExitCode::SUCCESS);
    let text = std::fs::read_to_string(dir.path().join("migrations/m20261129_110000_email_idx.rs")).unwrap();
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with("//!")).collect();
    let joined = header.join("\n").replace("\n//!   ", " ");
    joined.lines().find(|l| l.contains("step 1,")).unwrap_or_else(|| panic!("no lock line:\n{joined}")).to_owned()
}

#[test]
fn the_header_shows_the_plain_locks_when_the_project_turns_online_off() {
    let online = index_lock_line(true);
    assert!(online.contains("PostgreSQL") && online.contains("SHARE UPDATE EXCLUSIVE"), "{online}");
    assert!(online.contains(", online"), "{online}");
    let plain = index_lock_line(false);
    assert!(plain.contains("PostgreSQL SHARE: blocks writes"), "{plain}");
    assert!(!plain.contains("SHARE UPDATE EXCLUSIVE") && plain.contains(", blocking"), "{plain}");
}

fn registry() -> Vec<Migration> {
    vec![
        Migration::new("m20260101T000000_people")
            .class(Class::ReviewRequired)
            .up([
                create_table(people(false)),
                raw_sql(sql("INSERT INTO people VALUES (1, 'a@example.com'), (2, 'a@example.com')")).changes_nothing(),
            ])
            .down([drop_table(people(false))]),
        Migration::new("m20260102T000000_unique_email")
            .class(Class::ReviewRequired)
            .up([add_unique("people", unique("people_email_key", &["email"]))])
            .down([drop_unique("people", unique("people_email_key", &["email"]))]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_runs_the_plain_sql_when_the_project_turns_online_off() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = Project::new(dir.path(), SchemaBuilder::new())
        .with_migrations(dir.path().join("migrations"), registry())
        .online(false);
    let db = Database::connect(&url).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let args: Vec<String> =
        ["migrate", "--database-url", &url, "--skip-data-probes"].iter().map(|a| (*a).to_owned()).collect();
    let p = project.clone();
    let code = tokio::task::spawn_blocking(move || run(&p, args)).await.unwrap();
    assert_eq!(code, ExitCode::from(2), "the duplicates fail the constraint");
    let history = Migrator::new(db.clone(), registry()).history().await.unwrap();
    let names: Vec<&str> = history.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["m20260101T000000_people"], "plain: the failed migration rolled back, no row");
    let invalid: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(invalid, Vec::<String>::new(), "no concurrent build was started");
    db.close().await;
    testdb.close().await.unwrap();
}
