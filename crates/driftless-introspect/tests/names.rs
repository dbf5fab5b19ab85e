//! The names `Schema::validate` refuses are refused by the servers themselves (each rule names a dialect; this
//! checks it there), and the temporary names driftless's own rebuilds use never collide with a user's table or type.

mod common;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, DefaultValue, Literal, Schema, Table};
use driftless_migrate::Migrator;
use driftless_testdb::Backend;

fn one(table: Table) -> Schema {
    Schema { tables: vec![table], enums: vec![] }
}

fn texts(name: &str, columns: &[&str]) -> Table {
    columns.iter().fold(table(name), |t, c| t.with_column(column(c, ColumnType::Varchar(20))))
}

/// Each schema fails `validate` naming `dialect`, and creating it on that server fails too.
async fn refused_by(backend: Backend, dialect: &str, cases: Vec<Schema>) {
    let Some((_guard, db)) = common::open(backend).await else { return };
    for schema in cases {
        let errors = schema.validate().expect_err("validate refuses it").to_string();
        assert!(errors.contains(dialect), "{errors}");
        let created = common::create(&db, &schema).await;
        assert!(created.is_err(), "{backend} accepted what validate refuses: {errors}");
        common::wipe(&db).await;
    }
    db.close().await;
}

#[tokio::test]
async fn mysql_refuses_what_validate_refuses_for_it() {
    let checks = texts("c", &["a"]).check("c1", "a <> 'x'").check("C1", "a <> 'y'");
    let indexes = texts("i", &["a", "b"]).index(index("ix", &["a"])).index(index("IX", &["b"]));
    let cases = vec![
        one(texts("t", &["a "])),
        one(texts("t ", &["a"])),
        one(texts("t", &["🦀"])),
        one(texts("🦀", &["a"])),
        one(texts("t", &["ÄRGER", "ärger"])),
        one(texts("t", &["Email", "email"])),
        one(indexes),
        one(checks),
        one(texts("t\0", &["a"])),
    ];
    refused_by(Backend::Mysql, "MySQL/MariaDB", cases).await;
}

#[tokio::test]
async fn sqlite_refuses_what_validate_refuses_for_it() {
    let tables = Schema { tables: vec![texts("users", &["a"]), texts("Users", &["a"])], enums: vec![] };
    let table_and_index =
        Schema { tables: vec![texts("ix", &["a"]), texts("t", &["a"]).index(index("IX", &["a"]))], enums: vec![] };
    let cases = vec![one(texts("t", &["Email", "email"])), tables, table_and_index, one(texts("t\0", &["a"]))];
    refused_by(Backend::Sqlite, "SQLite", cases).await;
}

#[tokio::test]
async fn postgres_refuses_a_nul_in_a_name() {
    refused_by(Backend::Postgres, "PostgreSQL", vec![one(texts("t", &["a\0b"]))]).await;
}

/// A user table named like the SQLite rebuild's temporary table (`__new_<table>`) survives the rebuild.
#[tokio::test]
async fn the_sqlite_rebuild_does_not_collide_with_a_user_table() {
    let Some((_guard, db)) = common::open(Backend::Sqlite).await else { return };
    let users = table("users").with_column(column("id", ColumnType::BigInt)).primary_key("users_pkey", &["id"]);
    let decoy = table("__new_users").with_column(column("note", ColumnType::Text));
    let name = column("name", ColumnType::Varchar(20)).nullable();
    let mut named = name.clone();
    named.nullable = false;
    named.default = Some(DefaultValue::Value(Literal::String("x".into())));
    let migrations = vec![
        Migration::new("m1_create")
            .up([create_table(users.clone()), create_table(decoy.clone()), add_column("users", name.clone())])
            .down([drop_column("users", name.clone()), drop_table(decoy), drop_table(users)]),
        Migration::new("m2_not_null")
            .class(Class::ReviewRequired)
            .up([alter_column_with_backfill("users", name.clone(), named.clone(), "'x'")])
            .down([alter_column("users", named, name)]),
    ];
    let migrator = Migrator::new(db.clone(), migrations[..1].to_vec());
    migrator.migrate().await.unwrap();
    common::exec(&db, "INSERT INTO \"__new_users\" (note) VALUES ('keep me'); INSERT INTO users (id) VALUES (1)")
        .await
        .unwrap();
    let migrator = Migrator::new(db.clone(), migrations);
    migrator.migrate().await.unwrap();
    let Some(driftless_migrate::Database::Sqlite(pool)) = Some(&db) else { unreachable!() };
    let kept: Vec<String> = sqlx::query_scalar("SELECT note FROM \"__new_users\"").fetch_all(pool).await.unwrap();
    assert_eq!(kept, ["keep me"]);
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM users").fetch_all(pool).await.unwrap();
    assert_eq!(names, ["x"]);
    migrator.down().await.unwrap();
    db.close().await;
}

/// A user table named like the PostgreSQL enum rebuild's temporary type (`<enum>__old`) does not stop it.
#[tokio::test]
async fn the_postgres_enum_rebuild_does_not_collide_with_a_user_table() {
    let Some((_guard, db)) = common::open(Backend::Postgres).await else { return };
    let (before, after) = (enum_type("mood", &["happy", "sad", "meh"]), enum_type("mood", &["happy", "sad"]));
    let people = table("people").with_column(column("mood", ColumnType::Enum("mood".into())));
    let decoy = table("mood__old").with_column(column("note", ColumnType::Text));
    let migrations = vec![
        Migration::new("m1_create")
            .up([create_enum(before.clone()), create_table(people.clone()), create_table(decoy.clone())])
            .down([drop_table(decoy), drop_table(people), drop_enum(before.clone())]),
        Migration::new("m2_drop_meh")
            .class(Class::Dangerous)
            .acknowledged("the test", "no row holds the dropped value")
            .up([alter_enum(before.clone(), after.clone(), &[])])
            .down([alter_enum(after, before, &[])]),
    ];
    let migrator = Migrator::new(db.clone(), migrations);
    migrator.migrate().await.unwrap();
    let live = driftless_introspect::introspect(&db).await.unwrap();
    assert_eq!(
        live.enums.iter().map(|e| (e.name.as_str(), e.values.clone())).collect::<Vec<_>>(),
        [("mood", vec!["happy".to_owned(), "sad".to_owned()])]
    );
    assert!(live.table("mood__old").is_some());
    migrator.down().await.unwrap();
    db.close().await;
}
