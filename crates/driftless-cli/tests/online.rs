//! `migrate` on PostgreSQL runs online by default; `--no-online` runs the plain SQL in one transaction, and
//! `--statement-lock-timeout` is checked. Observed through a unique constraint that cannot be built (duplicate
//! rows): online, the concurrent build leaves an INVALID index and a dirty row to resume from; plain, the
//! transaction rolls back and nothing is recorded.

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, SchemaBuilder};
use driftless_migrate::{Database, Direction, Migrator};
use driftless_testdb::TestDb;

fn registry() -> Vec<Migration> {
    let people = table("people")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("email", ColumnType::Text))
        .primary_key("people_pkey", &["id"]);
    vec![
        Migration::new("m20260101T000000_people")
            .class(Class::ReviewRequired)
            .up([
                create_table(people.clone()),
                raw_sql(sql("INSERT INTO people VALUES (1, 'a@example.com'), (2, 'a@example.com')")).changes_nothing(),
            ])
            .down([drop_table(people)]),
        Migration::new("m20260102T000000_unique_email")
            .class(Class::ReviewRequired)
            .up([add_unique("people", unique("people_email_key", &["email"]))])
            .down([drop_unique("people", unique("people_email_key", &["email"]))]),
    ]
}

fn project(root: &Path) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry())
}

async fn command(project: &Project, args: &[&str]) -> ExitCode {
    let project = project.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run(&project, args)).await.unwrap()
}

async fn invalid_indexes(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_online_runs_the_plain_sql_and_online_leaves_a_run_to_resume() {
    let Some(testdb) = TestDb::postgres().await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let db = Database::connect(&url).await.unwrap();
    let Database::Postgres(pool) = &db else { unreachable!("a PostgreSQL URL") };
    let migrator = Migrator::new(db.clone(), registry());

    let args = ["migrate", "--database-url", &url, "--statement-lock-timeout", "0"];
    assert_eq!(command(&project, &args).await, ExitCode::from(2), "a zero statement lock timeout is refused");
    assert!(migrator.history().await.unwrap().is_empty(), "refused before anything ran");

    // The duplicate emails are found by the data probe before anything runs; skipped, the database finds them.
    assert_eq!(command(&project, &["migrate", "--database-url", &url]).await, ExitCode::from(2));
    assert_eq!(migrator.history().await.unwrap().len(), 1, "the probe refused before anything of it ran");
    let args = ["migrate", "--database-url", &url, "--no-online", "--skip-data-probes"];
    assert_eq!(command(&project, &args).await, ExitCode::from(2));
    let names: Vec<String> = migrator.history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["m20260101T000000_people"], "plain: the failed migration rolled back, no row");
    assert_eq!(invalid_indexes(pool).await, Vec::<String>::new());

    let args = ["migrate", "--database-url", &url, "--statement-lock-timeout", "0.5", "--skip-data-probes"];
    assert_eq!(command(&project, &args).await, ExitCode::from(2));
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!(
        (row.name.as_str(), row.dirty, row.statements_done),
        ("m20260102T000000_unique_email", Some(Direction::Up), 0)
    );
    assert_eq!(invalid_indexes(pool).await, ["people_email_key"], "online: the interrupted build left its index");

    sqlx::query("UPDATE people SET email = 'b@example.com' WHERE id = 2").execute(pool).await.unwrap();
    assert_eq!(command(&project, &["migrate", "--database-url", &url]).await, ExitCode::SUCCESS, "resumed");
    assert_eq!(invalid_indexes(pool).await, Vec::<String>::new());
    let row = migrator.history().await.unwrap().pop().unwrap();
    assert_eq!((row.dirty, row.statements_done, row.statements_total), (None, 2, 2));
    db.close().await;
    testdb.close().await.unwrap();
}
