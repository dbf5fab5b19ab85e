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

/// A primary key whose columns change while another table's foreign key references it: the key was re-created with
/// the foreign key in place, which PostgreSQL ("cannot drop constraint alpha_pkey on table alpha because other
/// objects depend on it") and MySQL refuse. The differ now drops the foreign key first and adds it back after, in
/// `up` and in `down`. Here the key moves from `id` to `num` while `beta.alpha_id` keeps referencing `alpha.id`
/// (unique from now on), with a referencing row that must survive both ways and stay enforced.
#[tokio::test]
async fn primary_key_change_under_a_foreign_key() {
    let a = schema(
        r#"{"tables": [{"name": "alpha", "columns": [{"name": "id", "type": "i64"}, {"name": "num", "type": "i64"}],
            "primary_key": {"name": "alpha_pkey", "columns": ["id"]},
            "uniques": [{"name": "alpha_num_key", "columns": ["num"]}]},
            {"name": "beta", "columns": [{"name": "id", "type": "i64"}, {"name": "alpha_id", "type": "i64", "nullable": true}],
            "primary_key": {"name": "beta_pkey", "columns": ["id"]},
            "foreign_keys": [{"name": "beta_alpha_id_fkey", "columns": ["alpha_id"], "ref_table": "alpha",
                "ref_columns": ["id"]}]}]}"#,
    );
    let b = schema(
        r#"{"tables": [{"name": "alpha", "columns": [{"name": "id", "type": "i64"}, {"name": "num", "type": "i64"}],
            "primary_key": {"name": "alpha_pkey", "columns": ["num"]},
            "uniques": [{"name": "alpha_id_key", "columns": ["id"]}]},
            {"name": "beta", "columns": [{"name": "id", "type": "i64"}, {"name": "alpha_id", "type": "i64", "nullable": true}],
            "primary_key": {"name": "beta_pkey", "columns": ["id"]},
            "foreign_keys": [{"name": "beta_alpha_id_fkey", "columns": ["alpha_id"], "ref_table": "alpha",
                "ref_columns": ["id"]}]}]}"#,
    );
    let none = RenameHints::default();
    let plan = driftless_core::classify::plan(&a, &b, &none).unwrap();
    let up = plan.up_steps();
    let kinds: Vec<&str> = up.iter().map(|s| s.kind()).collect();
    assert_eq!(
        kinds,
        ["drop_foreign_key", "drop_unique", "set_primary_key", "add_unique", "add_foreign_key"],
        "{up:#?}"
    );
    let down = plan.down_steps();
    let kinds: Vec<&str> = down.iter().map(|s| s.kind()).collect();
    assert_eq!(kinds[0], "drop_foreign_key", "{down:#?}");
    assert_eq!(kinds[kinds.len() - 1], "add_foreign_key", "{down:#?}");
    on_all(&a, &b, &none).await;

    for backend in [Backend::Sqlite, Backend::Postgres, Backend::Mysql] {
        let Some((_guard, db)) = common::open(backend).await else { continue };
        let d = db.dialect();
        common::create(&db, &a).await.unwrap();
        common::exec(&db, "INSERT INTO alpha (id, num) VALUES (1, 10), (2, 20)").await.unwrap();
        common::exec(&db, "INSERT INTO beta (id, alpha_id) VALUES (1, 2)").await.unwrap();
        let up_sql = driftless_core::render::render_steps(&up, d, &a).unwrap();
        common::run(&db, &up_sql).await.unwrap_or_else(|e| panic!("{backend} up: {e}"));
        let after = driftless_core::replay::apply_steps(&a, &up).unwrap();
        assert!(common::exec(&db, "INSERT INTO beta (id, alpha_id) VALUES (2, 99)").await.is_err(), "{backend}");
        let down_sql = driftless_core::render::render_steps(&down, d, &after).unwrap();
        common::run(&db, &down_sql).await.unwrap_or_else(|e| panic!("{backend} down: {e}"));
        assert!(common::exec(&db, "INSERT INTO beta (id, alpha_id) VALUES (3, 99)").await.is_err(), "{backend}");
        common::exec(&db, "DELETE FROM alpha WHERE id = 1").await.unwrap();
        // The referenced row cannot go: the foreign key is back, on the same row.
        assert!(common::exec(&db, "DELETE FROM alpha WHERE id = 2").await.is_err(), "{backend}");
        let schema_now = driftless_introspect::introspect(&db).await.unwrap();
        assert!(driftless_introspect::compare(&a, &schema_now, d).is_empty(), "{backend}");
        db.close().await;
    }
}

/// The same with the foreign key on the table itself (a parent row in the same table): dropped before the key
/// changes and added back after, on every database.
#[tokio::test]
async fn primary_key_change_under_a_self_reference() {
    let a = schema(
        r#"{"tables": [{"name": "node", "columns": [{"name": "id", "type": "i64"}, {"name": "num", "type": "i64"},
            {"name": "parent_id", "type": "i64", "nullable": true}],
            "primary_key": {"name": "node_pkey", "columns": ["id"]},
            "uniques": [{"name": "node_num_key", "columns": ["num"]}],
            "foreign_keys": [{"name": "node_parent_id_fkey", "columns": ["parent_id"], "ref_table": "node",
                "ref_columns": ["id"]}]}]}"#,
    );
    let b = schema(
        r#"{"tables": [{"name": "node", "columns": [{"name": "id", "type": "i64"}, {"name": "num", "type": "i64"},
            {"name": "parent_id", "type": "i64", "nullable": true}],
            "primary_key": {"name": "node_pkey", "columns": ["num"]},
            "uniques": [{"name": "node_id_key", "columns": ["id"]}],
            "foreign_keys": [{"name": "node_parent_id_fkey", "columns": ["parent_id"], "ref_table": "node",
                "ref_columns": ["id"]}]}]}"#,
    );
    let none = RenameHints::default();
    let up = driftless_core::classify::plan(&a, &b, &none).unwrap().up_steps();
    let kinds: Vec<&str> = up.iter().map(|s| s.kind()).collect();
    assert_eq!(
        kinds,
        ["drop_foreign_key", "drop_unique", "set_primary_key", "add_unique", "add_foreign_key"],
        "{up:#?}"
    );
    on_all(&a, &b, &none).await;
}
