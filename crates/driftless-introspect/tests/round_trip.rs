//! Introspection round trips on SQLite, PostgreSQL and MySQL/MariaDB: every state of the example application's
//! migration history, created from the replayed schema, reads back equal; the history applied by the migrator reads
//! back equal after every migration up and down (`verify`).

mod common;

use driftless_core::replay;
use driftless_core::schema::Schema;
use driftless_introspect::{compare, introspect};
use driftless_testdb::Backend;

async fn example_states(backend: Backend) {
    let Some((_guard, db)) = common::open(backend).await else { return };
    let migrations = example_app::migrations::migrations();
    assert!(migrations.len() >= 6, "the example history has its migrations");
    let mut state = Schema::empty();
    for m in &migrations {
        state = replay::apply_steps(&state, &m.up).expect("the example history replays");
        common::wipe(&db).await;
        common::create(&db, &state).await.unwrap_or_else(|e| panic!("create the state after {}: {e}", m.name));
        let actual = introspect(&db).await.expect("introspect");
        let diffs = compare(&state, &actual, db.dialect());
        assert!(diffs.is_empty(), "{backend} after {}: {:#?}\nactual: {actual:#?}", m.name, diffs);
        assert_eq!(actual.tables.len(), state.tables.len());
        if std::env::var_os("DRIFTLESS_DUMP").is_some() {
            eprintln!("{backend} {}:\n{}", m.name, driftless_core::snapshot::to_string(&actual));
        }
    }
    db.close().await;
}

async fn example_history_verifies(backend: Backend) {
    let Some((_guard, db)) = common::open(backend).await else { return };
    let migrations = example_app::migrations::migrations();
    let report = driftless_introspect::verify(&db, &migrations).await.unwrap_or_else(|e| panic!("{backend}: {e}"));
    assert_eq!(report.applied, migrations.len());
    assert_eq!(report.reverted, migrations.iter().rev().take_while(|m| m.is_reversible()).count());
    assert!(report.reverted > 0, "the example history has reversible migrations");
    db.close().await;
}

#[tokio::test]
async fn example_states_round_trip_on_sqlite() {
    example_states(Backend::Sqlite).await;
}

#[tokio::test]
async fn example_states_round_trip_on_postgres() {
    example_states(Backend::Postgres).await;
}

#[tokio::test]
async fn example_states_round_trip_on_mysql() {
    example_states(Backend::Mysql).await;
}

#[tokio::test]
async fn example_history_verifies_on_sqlite() {
    example_history_verifies(Backend::Sqlite).await;
}

#[tokio::test]
async fn example_history_verifies_on_postgres() {
    example_history_verifies(Backend::Postgres).await;
}

#[tokio::test]
async fn example_history_verifies_on_mysql() {
    example_history_verifies(Backend::Mysql).await;
}

#[tokio::test]
async fn verify_refuses_a_database_that_is_not_empty() {
    let Some((_guard, db)) = common::open(Backend::Sqlite).await else { return };
    common::exec(&db, "CREATE TABLE kept (id INTEGER)").await.unwrap();
    let e = driftless_introspect::verify(&db, &example_app::migrations::migrations()).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "the scratch database is not empty (it has table `kept`); give migrate-verify an empty database"
    );
    db.close().await;
}
