//! `driftless::testing`: the schema text and migration SQL for snapshots, and a migrated database per test on
//! SQLite, PostgreSQL and MySQL/MariaDB that is gone afterwards.

use driftless::migration::prelude::*;
use driftless::prelude::*;
use driftless::sqlx::{self, Connection as _};
use driftless::testing::{self, Dialect, Direction, Error};
use driftless::{Column, Table};

#[derive(Model)]
#[model(table = "tags")]
#[allow(dead_code)]
struct Tag {
    #[model(primary_key, auto_increment)]
    id: i32,
    #[model(unique, max_length = 50)]
    name: String,
}

#[derive(Model)]
#[model(table = "notes")]
#[allow(dead_code)]
struct Note {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(references = "tags.id", on_delete = "cascade")]
    tag_id: i32,
    body: String,
    #[model(default = false)]
    pinned: bool,
}

fn tags() -> Table {
    table("tags")
        .with_column(column("id", ColumnType::Integer).auto_increment())
        .with_column(column("name", ColumnType::Varchar(50)))
        .primary_key("tags_pkey", &["id"])
        .unique("tags_name_key", &["name"])
}

fn notes() -> Table {
    table("notes")
        .with_column(column("id", ColumnType::BigInt).auto_increment())
        .with_column(column("tag_id", ColumnType::Integer))
        .with_column(column("body", ColumnType::Text))
        .primary_key("notes_pkey", &["id"])
        .foreign_key(
            foreign_key("notes_tag_id_fkey", &["tag_id"], "tags", &["id"]).on_delete(ReferentialAction::Cascade),
        )
}

fn pinned() -> Column {
    column("pinned", ColumnType::Boolean).default_value(Literal::Bool(false))
}

/// Two migrations, as `migrate-generate` would write them for the models above.
fn migrations() -> Vec<Migration> {
    vec![
        Migration::new("m20260101_090000_init")
            .up([create_table(tags()), create_table(notes())])
            .down([drop_table(notes()), drop_table(tags())]),
        Migration::new("m20260102_090000_add_pinned")
            .up([add_column("notes", pinned())])
            .down([drop_column("notes", pinned())]),
    ]
}

#[test]
fn schema_json_is_the_snapshot_text_of_the_models_and_of_their_migrations() {
    let text = testing::schema_json(&driftless::schema![Tag, Note]).unwrap();
    // The same bytes whatever order the models are listed in, and the same schema the migrations build.
    assert_eq!(text, testing::schema_json(&driftless::schema![Note, Tag]).unwrap());
    let mut replayed = driftless::Schema::empty();
    for m in migrations() {
        replayed = driftless_core::replay::apply_steps(&replayed, &m.up).unwrap();
    }
    assert_eq!(text, driftless::snapshot::to_string(&replayed));
    insta::assert_snapshot!(text);
}

#[test]
fn an_invalid_schema_is_reported_with_every_problem() {
    #[derive(Model)]
    #[model(table = "orphans")]
    #[allow(dead_code)]
    struct Orphan {
        #[model(primary_key)]
        id: i32,
        #[model(references = "parents.id")]
        parent_id: i32,
    }
    let err = testing::schema_json(&driftless::schema![Orphan]).unwrap_err();
    assert!(err.to_string().starts_with("the schema has 1 problem:\n  - "), "{err}");
    assert!(err.to_string().contains("parents"), "{err}");
}

#[test]
fn migration_sql_is_what_the_migrator_runs_on_each_dialect() {
    let m = migrations();
    insta::assert_snapshot!(testing::migration_sql_all(&m, "init").unwrap());
    insta::assert_snapshot!("add_pinned", testing::migration_sql_all(&m, "add_pinned").unwrap());
    let sql = |dialect, direction| testing::migration_sql(&m, "add_pinned", dialect, direction).unwrap();
    assert_eq!(
        sql(Dialect::Sqlite, Direction::Up),
        "-- m20260102_090000_add_pinned (up, sqlite)\n\
         -- unit 1 of 1: in one transaction, with the tracking-table row\n\
         -- lock: database write lock (SQLite has one writer): writers wait until commit (blocking)\n\
         ALTER TABLE \"notes\" ADD COLUMN \"pinned\" BOOLEAN NOT NULL DEFAULT 0;\n"
    );
    assert_eq!(
        sql(Dialect::Postgres, Direction::Up),
        "-- m20260102_090000_add_pinned (up, postgres)\n\
         -- unit 1 of 1: in one transaction, with the tracking-table row\n\
         -- lock: ACCESS EXCLUSIVE, brief (no scan or rewrite) (online)\n\
         ALTER TABLE \"notes\" ADD COLUMN \"pinned\" BOOLEAN NOT NULL DEFAULT FALSE;\n"
    );
    // MySQL's ALTER carries the algorithm the migrator runs it with; the plain SQL does not.
    assert_eq!(
        sql(Dialect::Mysql, Direction::Up),
        "-- m20260102_090000_add_pinned (up, mysql)\n\
         -- unit 1 of 1: on its own (MySQL commits each DDL statement; progress recorded after it)\n\
         -- lock: metadata lock, brief (ALGORITHM=INSTANT, LOCK=NONE) (online)\n\
         ALTER TABLE `notes` ADD COLUMN `pinned` TINYINT(1) NOT NULL DEFAULT 0, ALGORITHM=INSTANT, LOCK=NONE;\n"
    );
    assert_eq!(
        testing::migration_sql_plain(&m, "add_pinned", Dialect::Mysql, Direction::Up).unwrap(),
        "-- m20260102_090000_add_pinned (up, mysql, plain)\n\
         ALTER TABLE `notes` ADD COLUMN `pinned` TINYINT(1) NOT NULL DEFAULT 0;\n"
    );
    assert_eq!(
        testing::migration_sql_plain(&m, "add_pinned", Dialect::Mysql, Direction::Down).unwrap(),
        "-- m20260102_090000_add_pinned (down, mysql, plain)\nALTER TABLE `notes` DROP COLUMN `pinned`;\n"
    );
    // The full name and the part after the timestamp name the same migration.
    assert_eq!(
        testing::migration_sql(&m, "m20260102_090000_add_pinned", Dialect::Postgres, Direction::Up).unwrap(),
        sql(Dialect::Postgres, Direction::Up)
    );
}

#[test]
fn an_irreversible_down_is_shown_as_the_refusal_in_the_all_dialects_text() {
    let m = vec![
        Migration::new("m20260101_090000_backfill")
            .up([raw_sql(sql("UPDATE notes SET body = ''"))])
            .down([irreversible("the old bodies are gone")]),
    ];
    let err = testing::migration_sql(&m, "backfill", Dialect::Sqlite, Direction::Down).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot revert migration m20260101_090000_backfill: the old bodies are gone; restore from a backup, or \
         write a new migration instead"
    );
    let all = testing::migration_sql_all(&m, "backfill").unwrap();
    assert!(
        all.contains(
            "-- m20260101_090000_backfill (down, postgres)\n-- cannot revert migration m20260101_090000_backfill: \
             the old bodies are gone; restore from a backup, or write a new migration instead\n"
        ),
        "{all}"
    );
    assert!(
        all.contains(
            "-- m20260101_090000_backfill (up, mysql)\n-- unit 1 of 1: on its own (MySQL commits each DDL statement; \
             progress recorded after it)\n-- lock: unknown (hand-written SQL) (blocking)\nUPDATE notes SET body = '';\n"
        ),
        "{all}"
    );
}

#[test]
fn unknown_and_ambiguous_migration_names_are_errors_that_say_what_to_pass() {
    let err = testing::migration_sql(&migrations(), "add_title", Dialect::Sqlite, Direction::Up).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no migration named `add_title` among the 2 migration(s) given; pass its full name (m<timestamp>_<name>) \
         or the part after the timestamp"
    );
    let twice = vec![
        Migration::new("m20260101_090000_init").up([create_table(tags())]),
        Migration::new("m20260301_090000_init").up([create_table(notes())]),
    ];
    let err = testing::migration_sql_all(&twice, "init").unwrap_err();
    assert!(matches!(err, Error::AmbiguousMigration { .. }));
    assert_eq!(
        err.to_string(),
        "`init` matches several migrations (m20260101_090000_init, m20260301_090000_init); pass the full name"
    );
}

#[tokio::test]
async fn sqlite_database_is_migrated_private_and_gone_after_close() {
    let db = testing::sqlite(migrations()).await.unwrap();
    assert_eq!(db.name(), None);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(tables, ["driftless_migrations", "notes", "tags"]);
    let applied: Vec<String> =
        sqlx::query_scalar("SELECT name FROM driftless_migrations ORDER BY name").fetch_all(&*db).await.unwrap();
    assert_eq!(applied, ["m20260101_090000_init", "m20260102_090000_add_pinned"]);
    sqlx::query("INSERT INTO tags (name) VALUES ('rust')").execute(&*db).await.unwrap();
    sqlx::query("INSERT INTO notes (tag_id, body) VALUES (1, 'hello')").execute(&*db).await.unwrap();
    let pinned: bool = sqlx::query_scalar("SELECT pinned FROM notes").fetch_one(&*db).await.unwrap();
    assert!(!pinned, "the column default applies");

    // Another test's database is another database.
    let other = testing::sqlite(migrations()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tags").fetch_one(&*other).await.unwrap();
    assert_eq!(n, 0);
    other.close().await.unwrap();

    // A new connection to the same in-memory database sees it while the handle lives, and nothing after close.
    let options = db.pool().connect_options().as_ref().clone();
    let count_tables = |options: sqlx::sqlite::SqliteConnectOptions| async move {
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tags'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        n
    };
    assert_eq!(count_tables(options.clone()).await, 1);
    db.close().await.unwrap();
    assert_eq!(count_tables(options).await, 0, "the in-memory database is gone with its pool");
}

#[tokio::test]
async fn a_failing_migration_is_an_error_naming_it() {
    let mut m = migrations();
    m.push(
        Migration::new("m20260103_090000_broken")
            .class(Class::ReviewRequired)
            .up([raw_sql(sql("INSERT INTO missing VALUES (1)"))]),
    );
    let err = testing::sqlite(m).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("m20260103_090000_broken"), "{text}");
    assert!(text.contains("no such table: missing"), "{text}");
}

#[tokio::test]
async fn postgres_database_is_migrated_and_dropped_afterwards() {
    let Some(db) = testing::postgres(migrations()).await.unwrap() else { return };
    let name = db.name().unwrap().to_owned();
    assert!(db.url().unwrap().ends_with(&format!("/{name}")), "{:?}", db.url());
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         ORDER BY table_name",
    )
    .fetch_all(&*db)
    .await
    .unwrap();
    assert_eq!(tables, ["driftless_migrations", "notes", "tags"]);
    let current: String = sqlx::query_scalar("SELECT current_database()::text").fetch_one(&*db).await.unwrap();
    assert_eq!(current, name);
    db.close().await.unwrap();
    assert_eq!(postgres_databases_named(&name).await, 0, "{name} is dropped by close");

    // Dropping the handle, as a failing test does when it unwinds, drops the database too.
    let db = testing::postgres(migrations()).await.unwrap().expect("the server was there a moment ago");
    let name = db.name().unwrap().to_owned();
    assert_eq!(postgres_databases_named(&name).await, 1);
    drop(db);
    assert_eq!(postgres_databases_named(&name).await, 0, "{name} is dropped on drop");
}

async fn postgres_databases_named(name: &str) -> i64 {
    let mut admin = sqlx::PgConnection::connect(&driftless_testdb::postgres_url()).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    n
}

#[tokio::test]
async fn mysql_database_is_migrated_and_dropped_afterwards() {
    let Some(db) = testing::mysql(migrations()).await.unwrap() else { return };
    let name = db.name().unwrap().to_owned();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE() \
         ORDER BY table_name",
    )
    .fetch_all(&*db)
    .await
    .unwrap();
    assert_eq!(tables, ["driftless_migrations", "notes", "tags"]);
    sqlx::query("INSERT INTO tags (name) VALUES ('rust')").execute(&*db).await.unwrap();
    let pinned: bool = {
        sqlx::query("INSERT INTO notes (tag_id, body) VALUES (1, 'hello')").execute(&*db).await.unwrap();
        sqlx::query_scalar("SELECT pinned FROM notes").fetch_one(&*db).await.unwrap()
    };
    assert!(!pinned);
    db.close().await.unwrap();
    assert_eq!(mysql_databases_named(&name).await, 0, "{name} is dropped by close");

    let db = testing::mysql(migrations()).await.unwrap().expect("the server was there a moment ago");
    let name = db.name().unwrap().to_owned();
    assert_eq!(mysql_databases_named(&name).await, 1);
    drop(db);
    assert_eq!(mysql_databases_named(&name).await, 0, "{name} is dropped on drop");
}

async fn mysql_databases_named(name: &str) -> i64 {
    let mut admin = sqlx::MySqlConnection::connect(&driftless_testdb::mysql_url()).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    n
}
