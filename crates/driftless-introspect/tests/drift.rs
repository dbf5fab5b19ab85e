//! Drift on a live database: clean right after migrating; a hand-made column, a dropped index and an altered
//! default each show up with what to do about them (exact messages).

mod common;

use driftless_core::Dialect;
use driftless_introspect::drift;
use driftless_migrate::Migrator;
use driftless_testdb::Backend;

const EXTRA_COLUMN: &str = "drift    column `users`.`nickname` is in the database but not in the expected schema\n         \
fix: made by hand outside the migrations: add it to the models and run `cargo xtask migrate-generate` (then \
`migrate-resolve --applied` that migration on this database), or drop it from the database\n";

const MISSING_INDEX: &str = "drift    index `users_active_idx` on `users` is missing from the database\n         \
fix: dropped or never created outside the migrations: recreate it by hand as the migrations define it, or remove \
it from the models and run `cargo xtask migrate-generate` to record the removal\n";

const ALTERED_DEFAULT: &str = "drift    column `messages`.`input_tokens`: default differs (expected 0, database has 5)\n         \
fix: the default was changed outside the migrations: change it back by hand, or change the models to match and run \
`cargo xtask migrate-generate`\n";

async fn drift_is_reported(backend: Backend) {
    let Some((_guard, db)) = common::open(backend).await else { return };
    let migrations = example_app::migrations::migrations();
    Migrator::new(db.clone(), migrations.clone()).migrate().await.unwrap();
    let clean = drift(&db, &migrations).await.unwrap();
    assert!(clean.is_clean(), "{backend}: no drift right after migrating, got:\n{clean}");
    assert_eq!(clean.to_string(), "no drift: the database matches the schema of its applied migrations\n");

    common::exec(&db, "ALTER TABLE users ADD COLUMN nickname VARCHAR(20)").await.unwrap();
    let d = drift(&db, &migrations).await.unwrap();
    assert_eq!(d.to_string(), EXTRA_COLUMN, "{backend}");

    let drop_index = match db.dialect() {
        Dialect::Mysql => "DROP INDEX users_active_idx ON users",
        _ => "DROP INDEX users_active_idx",
    };
    common::exec(&db, drop_index).await.unwrap();
    let d = drift(&db, &migrations).await.unwrap();
    assert_eq!(d.to_string(), format!("{EXTRA_COLUMN}{MISSING_INDEX}"), "{backend}");

    if db.dialect() != Dialect::Sqlite {
        // SQLite cannot alter a default in place (it would take a table rebuild by hand).
        common::exec(&db, "ALTER TABLE messages ALTER COLUMN input_tokens SET DEFAULT 5").await.unwrap();
        let d = drift(&db, &migrations).await.unwrap();
        assert_eq!(d.to_string(), format!("{ALTERED_DEFAULT}{EXTRA_COLUMN}{MISSING_INDEX}"), "{backend}");
    }
    db.close().await;
}

#[tokio::test]
async fn drift_on_sqlite() {
    drift_is_reported(Backend::Sqlite).await;
}

#[tokio::test]
async fn drift_on_postgres() {
    drift_is_reported(Backend::Postgres).await;
}

#[tokio::test]
async fn drift_on_mysql() {
    drift_is_reported(Backend::Mysql).await;
}

/// A changed type shows with both types.
#[tokio::test]
async fn a_changed_type_is_drift_on_postgres() {
    let Some((_guard, db)) = common::open(Backend::Postgres).await else { return };
    let migrations = example_app::migrations::migrations();
    Migrator::new(db.clone(), migrations.clone()).migrate().await.unwrap();
    common::exec(&db, "ALTER TABLE tags ALTER COLUMN name TYPE VARCHAR(80)").await.unwrap();
    let d = drift(&db, &migrations).await.unwrap();
    assert_eq!(
        d.differences.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["column `tags`.`name`: type differs (expected varchar(50), database has varchar(80))"]
    );
    db.close().await;
}

/// A default holding a 4-byte character (an emoji) reads back intact — MariaDB's catalog shows it as `?` — so it
/// is no drift, and a real change of it is reported with both values.
async fn four_byte_defaults_round_trip(backend: Backend) {
    use driftless_core::define::*;
    use driftless_core::migration::Migration;
    use driftless_core::schema::{ColumnType, DefaultValue, Literal};

    let Some((_guard, db)) = common::open(backend).await else { return };
    let text = |name: &str, ty: ColumnType, value: &str| {
        let mut c = column(name, ty);
        c.default = Some(DefaultValue::Value(Literal::String(value.into())));
        c
    };
    let notes = table("notes")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(text("label", ColumnType::Varchar(20), "🦀 ok"))
        .with_column(text("mark", ColumnType::Char(4), "🦀"))
        .with_column(text("body", ColumnType::Text, "🦀 ok"))
        .with_column(text("asked", ColumnType::Varchar(20), "why? 🦀?"))
        .with_column(text("plain", ColumnType::Varchar(20), "really?"))
        .primary_key("notes_pkey", &["id"]);
    let migrations =
        vec![Migration::new("m20260101T000000_notes").up([create_table(notes.clone())]).down([drop_table(notes)])];
    Migrator::new(db.clone(), migrations.clone()).migrate().await.unwrap();

    let live = driftless_introspect::introspect(&db).await.unwrap();
    let defaults: Vec<(&str, Option<&DefaultValue>)> =
        live.table("notes").unwrap().columns.iter().map(|c| (c.name.as_str(), c.default.as_ref())).collect();
    let s = |v: &str| DefaultValue::Value(Literal::String(v.into()));
    assert_eq!(
        defaults,
        [
            ("id", None),
            ("label", Some(&s("🦀 ok"))),
            ("mark", Some(&s("🦀"))),
            ("body", Some(&s("🦀 ok"))),
            ("asked", Some(&s("why? 🦀?"))),
            ("plain", Some(&s("really?"))),
        ],
        "{backend}"
    );
    let clean = drift(&db, &migrations).await.unwrap();
    assert!(clean.is_clean(), "{backend}: no drift, got:\n{clean}");

    if db.dialect() != Dialect::Sqlite {
        common::exec(&db, "ALTER TABLE notes ALTER COLUMN label SET DEFAULT '🦀 no'").await.unwrap();
        let d = drift(&db, &migrations).await.unwrap();
        assert_eq!(
            d.differences.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["column `notes`.`label`: default differs (expected '🦀 ok', database has '🦀 no')"],
            "{backend}"
        );
    }
    db.close().await;
}

#[tokio::test]
async fn four_byte_defaults_round_trip_on_mysql() {
    four_byte_defaults_round_trip(Backend::Mysql).await;
}

#[tokio::test]
async fn four_byte_defaults_round_trip_on_postgres() {
    four_byte_defaults_round_trip(Backend::Postgres).await;
}

#[tokio::test]
async fn four_byte_defaults_round_trip_on_sqlite() {
    four_byte_defaults_round_trip(Backend::Sqlite).await;
}
