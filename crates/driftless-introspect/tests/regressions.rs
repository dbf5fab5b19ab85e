//! Failing cases the property tests found, kept as regression tests on every database (each was a bug in the
//! renderer or differ, fixed in place; see the comment on each).

mod common;

use driftless_core::schema::{RenameHints, Schema};
use driftless_testdb::Backend;

fn schema(json: &str) -> Schema {
    serde_json::from_str::<Schema>(json).expect("a schema").normalized()
}

async fn on_all(a: &Schema, b: &Schema, hints: &RenameHints) {
    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some((_guard, db)) = common::open(backend).await else { continue };
        let r = common::case(&db, a, b, hints).await;
        db.close().await;
        if let Err(e) = r {
            panic!("{backend}: {e}");
        }
    }
}

/// PostgreSQL has no cast from boolean to real: a column renamed from `active` (bool) to `price` (f32) was
/// rendered `USING "price"::REAL` and refused. Now `(CASE WHEN .. THEN 1 ELSE 0 END)::REAL`.
#[tokio::test]
async fn boolean_to_float_converts_on_postgres() {
    let a = schema(
        r#"{"tables": [{"name": "delta", "columns": [{"name": "id", "type": "i64"}, {"name": "active", "type": "bool"}],
            "primary_key": {"name": "delta_pkey", "columns": ["id"]}}]}"#,
    );
    let b = schema(
        r#"{"tables": [{"name": "delta", "columns": [{"name": "id", "type": "i64"}, {"name": "price", "type": "f32"}],
            "primary_key": {"name": "delta_pkey", "columns": ["id"]}}]}"#,
    );
    let hints: RenameHints =
        serde_json::from_str(r#"{"tables": [], "columns": [{"table": "delta", "from": "active", "to": "price"}]}"#)
            .unwrap();
    on_all(&a, &b, &hints).await;
}

/// A table rename plus an enum value rename whose old column default is the renamed value. The differ put the
/// default change after the enum change, so `down` set the default `'ok'` back before the enum had `ok` again
/// (PostgreSQL: invalid input value for enum). Now a default the enum loses is dropped before the enum changes.
#[tokio::test]
async fn enum_value_rename_with_a_table_rename() {
    let a = schema(
        r#"{"tables": [{"name": "beta", "columns": [{"name": "id", "type": "i64"},
            {"name": "mood", "type": "enum(mood)", "default": {"value": "ok"}}],
            "primary_key": {"name": "beta_pkey", "columns": ["id"]}}],
            "enums": [{"name": "mood", "values": ["ok"]}]}"#,
    );
    let b = schema(
        r#"{"tables": [{"name": "delta", "columns": [{"name": "id", "type": "i64"}, {"name": "mood", "type": "enum(mood)"}],
            "primary_key": {"name": "delta_pkey", "columns": ["id"]}}],
            "enums": [{"name": "mood", "values": ["happy", "meh"]}]}"#,
    );
    let hints: RenameHints = serde_json::from_str(
        r#"{"tables": [{"from": "beta", "to": "delta"}], "columns": [],
            "enum_values": [{"enum": "mood", "from": "ok", "to": "happy"}]}"#,
    )
    .unwrap();
    on_all(&a, &b, &hints).await;
}

/// A column dropped in the same plan that drops the enum value its default names: MySQL's `MODIFY COLUMN ...
/// ENUM('ok') DEFAULT 'meh'` ran before the column was dropped and was refused. Now the default is dropped before
/// the enum changes.
#[tokio::test]
async fn enum_value_dropped_with_a_dropped_column_default() {
    let a = schema(
        r#"{"tables": [{"name": "alpha", "columns": [{"name": "id", "type": "i64"},
            {"name": "mood", "type": "enum(mood)", "default": {"value": "meh"}}],
            "primary_key": {"name": "alpha_pkey", "columns": ["id"]}}],
            "enums": [{"name": "mood", "values": ["meh"]}]}"#,
    );
    let b = schema(
        r#"{"tables": [{"name": "alpha", "columns": [{"name": "id", "type": "i64"}],
            "primary_key": {"name": "alpha_pkey", "columns": ["id"]}},
            {"name": "delta", "columns": [{"name": "id", "type": "i64"}],
            "primary_key": {"name": "delta_pkey", "columns": ["id"]}}],
            "enums": [{"name": "mood", "values": ["ok"]}]}"#,
    );
    on_all(&a, &b, &RenameHints::default()).await;
}

/// SQLite keeps a table's `CREATE` text with its comments, and the reader took words inside `/* ... */` for
/// syntax: a comment mentioning `unique` or `references` made `db-pull` invent a constraint. Block comments are now
/// skipped like `--` comments.
#[tokio::test]
async fn sqlite_block_comments_are_not_constraints() {
    let Some((_guard, db)) = common::open(Backend::Sqlite).await else { return };
    let driftless_migrate::Database::Sqlite(pool) = &db else { unreachable!("a SQLite test database") };
    sqlx::query(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY /* unique, references users (id) */, \
         body TEXT NOT NULL /* was: , CONSTRAINT phantom CHECK (length(body) > 0) */, -- references nothing\n \
         tag TEXT /* , CHECK (tag IN ('x')) */, CONSTRAINT notes_body_key UNIQUE (body) /* , CONSTRAINT \
         renamed UNIQUE (body) */)",
    )
    .execute(pool)
    .await
    .unwrap();
    let schema = driftless_introspect::introspect(&db).await.unwrap();
    db.close().await;
    let notes = schema.tables.iter().find(|t| t.name == "notes").expect("the table is read");
    assert_eq!(notes.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id", "body", "tag"]);
    assert_eq!(notes.uniques.len(), 1, "{:?}", notes.uniques);
    assert_eq!(notes.uniques[0].name, "notes_body_key");
    assert!(notes.foreign_keys.is_empty(), "{:?}", notes.foreign_keys);
    assert!(notes.checks.is_empty(), "{:?}", notes.checks);
    assert!(notes.indexes.is_empty(), "{:?}", notes.indexes);
}
