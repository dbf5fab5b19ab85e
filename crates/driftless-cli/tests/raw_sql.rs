//! Hand-written SQL and the commands that replay the migrations in memory: declared (`changes_nothing`,
//! `amounts_to`), `migrate`, `migrate-status`, `migrate-sql`, `migrate-verify` and `snapshot-repair` go on past it;
//! undeclared, they stop and say where (migration and step) and how to declare it, and exit non-zero
//! (`migrate-status`, `migrate-verify` and `snapshot-repair --check` 1; `migrate-sql` and `snapshot-repair` 2;
//! `migrate` 2, refusing the later migration).

use std::path::Path;
use std::process::ExitCode;

use driftless_cli::{Project, run};
use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, SchemaBuilder};
use driftless_migrate::{Database, Migrator};
use driftless_testdb::{Backend, TestDb};

const CREATE: &str = "m20260101T000000_create_users";
const HAND: &str = "m20260102T000000_hand_written";
const EMAIL: &str = "m20260103T000000_add_email";

/// What every command says about the undeclared step 1 of `HAND`.
const UNDECLARED: &str = "step 1 is hand-written SQL that does not declare its effect on the schema, so the schema \
                          after it is unknown; declare it in the migration file: `raw_sql(...).changes_nothing()` if \
                          it changes nothing driftless models (data, grants), or `raw_sql(...).amounts_to([...])` \
                          with the model steps it amounts to";

fn users() -> driftless_core::Table {
    table("users")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("name", ColumnType::Text))
        .primary_key("users_pkey", &["id"])
}

fn tz() -> driftless_core::Column {
    column("tz", ColumnType::Text).nullable()
}

fn email() -> driftless_core::Column {
    column("email", ColumnType::Text).nullable()
}

/// The registry: a generated table, a hand-written migration adding a column and filling it, and a generated
/// migration after it. `declared` says whether the hand-written steps declare their effect.
fn registry(declared: bool, with_email: bool) -> Vec<Migration> {
    let add = raw_sql(sql("ALTER TABLE users ADD COLUMN tz TEXT"));
    let fill = raw_sql(sql("UPDATE users SET tz = 'UTC'"));
    let drop = raw_sql(sql("ALTER TABLE users DROP COLUMN tz"));
    let (add, fill, drop) = if declared {
        (
            add.amounts_to([add_column("users", tz())]),
            fill.changes_nothing(),
            drop.amounts_to([drop_column("users", tz())]),
        )
    } else {
        (add, fill, drop)
    };
    let mut out = vec![
        Migration::new(CREATE).up([create_table(users())]).down([drop_table(users())]),
        Migration::new(HAND).class(Class::ReviewRequired).up([add, fill]).down([drop]),
    ];
    if with_email {
        out.push(Migration::new(EMAIL).up([add_column("users", email())]).down([drop_column("users", email())]));
    }
    out
}

fn project(root: &Path, registry: Vec<Migration>) -> Project {
    Project::new(root, SchemaBuilder::new()).with_migrations(root.join("migrations"), registry)
}

async fn command(project: &Project, args: &[&str]) -> ExitCode {
    let project = project.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || run(&project, args)).await.unwrap()
}

async fn declared_raw_sql_is_replayed(backend: Backend) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), registry(true, true));

    assert_eq!(command(&p, &["migrate", "--database-url", &url]).await, ExitCode::SUCCESS, "{backend}");
    // No drift: the database has `users.tz` and `users.email`, as the replay says.
    assert_eq!(command(&p, &["migrate-status", "--database-url", &url]).await, ExitCode::SUCCESS, "{backend}");
    let db = Database::connect(&url).await.unwrap();
    let drift = driftless_introspect::drift(&db, &p.registry).await.unwrap();
    assert!(drift.is_clean(), "{backend}: {drift}");
    let users = drift.expected.table("users").unwrap();
    assert_eq!(users.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "name", "tz", "email"]);

    // The SQL of the later migration renders against the replayed schema; the snapshot is the replay.
    let dialect = backend.to_string();
    for name in [EMAIL, HAND] {
        let code = command(&p, &["migrate-sql", name, "--dialect", &dialect]).await;
        assert_eq!(code, ExitCode::SUCCESS, "{backend}: migrate-sql {name}");
        let code = command(&p, &["migrate-sql", name, "--dialect", &dialect, "--down"]).await;
        assert_eq!(code, ExitCode::SUCCESS, "{backend}: migrate-sql {name} --down");
    }
    assert_eq!(command(&p, &["snapshot-repair"]).await, ExitCode::SUCCESS);
    assert_eq!(command(&p, &["snapshot-repair", "--check"]).await, ExitCode::SUCCESS);
    let snap = driftless_write::files::read_snapshot(&p.snapshot).unwrap();
    assert!(snap.table("users").unwrap().column("tz").is_some());

    // Every migration up and down on a scratch database, compared with the replay after each.
    let scratch = TestDb::new(backend).await.unwrap();
    let code = command(&p, &["migrate-verify", "--database-url", scratch.url()]).await;
    assert_eq!(code, ExitCode::SUCCESS, "{backend}: migrate-verify");
    scratch.close().await.unwrap();
    db.close().await;
    testdb.close().await.unwrap();
}

async fn undeclared_raw_sql_stops_the_replay_and_says_where(backend: Backend) {
    let Some(testdb) = TestDb::new(backend).await else { return };
    let url = testdb.url().to_owned();
    let dir = tempfile::tempdir().unwrap();

    // Hand-written SQL at the end needs no schema: it applies.
    let p = project(dir.path(), registry(false, false));
    assert_eq!(command(&p, &["migrate", "--database-url", &url]).await, ExitCode::SUCCESS, "{backend}");
    // Drift cannot be checked past it: a problem, exit 1 (it used to print "drift not checked" and exit 0).
    assert_eq!(command(&p, &["migrate-status", "--database-url", &url]).await, ExitCode::from(1), "{backend}");
    let db = Database::connect(&url).await.unwrap();
    let err = driftless_introspect::drift(&db, &p.registry).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot compute the schema expected after migration `{HAND}`: {UNDECLARED}; drift is not checked")
    );

    // A generated migration after it needs the schema: the migrator refuses it, naming the migration and step.
    let p = project(dir.path(), registry(false, true));
    assert_eq!(command(&p, &["migrate", "--database-url", &url]).await, ExitCode::from(2), "{backend}");
    let err = Migrator::new(db.clone(), p.registry.clone()).migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migration {EMAIL}: cannot judge migration {EMAIL}: the schema before it cannot be \
             computed, because replaying migration {HAND} failed: {UNDECLARED}"
        )
    );
    let applied: Vec<String> =
        Migrator::new(db.clone(), p.registry.clone()).history().await.unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(applied, [CREATE, HAND], "{backend}: nothing ran");

    // The in-memory commands stop there too: `snapshot-repair` cannot write (2), checking it is a finding (1).
    let dialect = backend.to_string();
    assert_eq!(command(&p, &["migrate-sql", EMAIL, "--dialect", &dialect]).await, ExitCode::from(2));
    let committed = driftless_core::Schema { tables: vec![users().with_column(tz())], enums: vec![] };
    driftless_write::files::write_snapshot(&p.snapshot, &committed).unwrap();
    let before = std::fs::read_to_string(&p.snapshot).unwrap();
    assert_eq!(command(&p, &["snapshot-repair"]).await, ExitCode::from(2));
    assert_eq!(command(&p, &["snapshot-repair", "--check"]).await, ExitCode::from(1));
    assert_eq!(std::fs::read_to_string(&p.snapshot).unwrap(), before, "nothing written");
    let err = driftless_introspect::history::replay_all(&p.registry).unwrap_err();
    assert_eq!(err.to_string(), format!("migration `{HAND}` cannot be replayed in memory: {UNDECLARED}"));
    let scratch = TestDb::new(backend).await.unwrap();
    let code = command(&p, &["migrate-verify", "--database-url", scratch.url()]).await;
    assert_eq!(code, ExitCode::from(1), "{backend}: migrate-verify");
    // The library's words, on another empty scratch database (the command applied the first migration to its own).
    let other = TestDb::new(backend).await.unwrap();
    let scratch_db = Database::connect(other.url()).await.unwrap();
    let err = driftless_introspect::verify(&scratch_db, &p.registry).await.unwrap_err();
    assert_eq!(err.to_string(), format!("up of migration `{HAND}` cannot be replayed in memory: {UNDECLARED}"));
    scratch_db.close().await;
    other.close().await.unwrap();

    // Declared afterwards: the checksum is the same (nothing the database runs changed), drift is checked and
    // clean, and the later migration applies.
    let p = project(dir.path(), registry(true, true));
    assert_eq!(command(&p, &["migrate-status", "--database-url", &url]).await, ExitCode::from(0), "{backend}");
    assert_eq!(command(&p, &["migrate", "--database-url", &url]).await, ExitCode::SUCCESS, "{backend}");
    let drift = driftless_introspect::drift(&db, &p.registry).await.unwrap();
    assert!(drift.is_clean(), "{backend}: {drift}");
    scratch.close().await.unwrap();
    db.close().await;
    testdb.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_raw_sql_is_replayed_on_sqlite() {
    declared_raw_sql_is_replayed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_raw_sql_is_replayed_on_postgres() {
    declared_raw_sql_is_replayed(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_raw_sql_is_replayed_on_mysql() {
    declared_raw_sql_is_replayed(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_raw_sql_stops_the_replay_on_sqlite() {
    undeclared_raw_sql_stops_the_replay_and_says_where(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_raw_sql_stops_the_replay_on_postgres() {
    undeclared_raw_sql_stops_the_replay_and_says_where(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_raw_sql_stops_the_replay_on_mysql() {
    undeclared_raw_sql_stops_the_replay_and_says_where(Backend::Mysql).await;
}
