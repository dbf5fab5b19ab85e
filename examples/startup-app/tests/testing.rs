//! `driftless::testing` on the example application: its schema text is the committed `snapshots/schema.json`, a
//! migration's SQL is what the migrator runs, and a migrated database has every table on all three backends.

use driftless::sqlx;
use driftless::testing::{self, Dialect, Direction};

const TABLES: [&str; 9] =
    ["agent_sessions", "chats", "driftless_migrations", "messages", "post_tags", "posts", "roles", "tags", "users"];

#[test]
fn schema_text_is_the_committed_snapshot() {
    let committed = concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots/schema.json");
    let committed = std::fs::read_to_string(committed).unwrap();
    assert_eq!(testing::schema_json(&example_app::schema()).unwrap(), committed);
}

#[test]
fn migration_sql_is_the_rendered_migration() {
    let migrations = example_app::migrations::migrations();
    assert_eq!(
        testing::migration_sql(&migrations, "add_post_view_count", Dialect::Postgres, Direction::Up).unwrap(),
        "-- m20261106_090000_add_post_view_count (up, postgres)\n\
         -- unit 1 of 1: in one transaction, with the tracking-table row\n\
         -- lock: ACCESS EXCLUSIVE, brief (no scan or rewrite) (online)\n\
         ALTER TABLE \"posts\" ADD COLUMN \"view_count\" BIGINT NOT NULL DEFAULT 0;\n"
    );
    assert_eq!(
        testing::migration_sql(&migrations, "add_post_view_count", Dialect::Mysql, Direction::Down).unwrap(),
        "-- m20261106_090000_add_post_view_count (down, mysql)\n\
         -- unit 1 of 1: on its own (MySQL commits each DDL statement; progress recorded after it)\n\
         -- lock: metadata lock; the server chooses in-place or a table copy (no ALGORITHM/LOCK clause) (blocking)\n\
         ALTER TABLE `posts` DROP COLUMN `view_count`;\n"
    );
}

#[tokio::test]
async fn a_migrated_sqlite_database_has_every_table() {
    let db = testing::sqlite(example_app::migrations::migrations()).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&*db)
    .await
    .unwrap();
    assert_eq!(tables, TABLES);
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_migrated_postgres_database_has_every_table() {
    let Some(db) = testing::postgres(example_app::migrations::migrations()).await.unwrap() else { return };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         ORDER BY table_name",
    )
    .fetch_all(&*db)
    .await
    .unwrap();
    assert_eq!(tables, TABLES);
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_migrated_mysql_database_has_every_table() {
    let Some(db) = testing::mysql(example_app::migrations::migrations()).await.unwrap() else { return };
    let mut tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .fetch_all(&*db)
    .await
    .unwrap();
    // Sorted here: MySQL's collation puts `posts` before `post_tags`.
    tables.sort();
    assert_eq!(tables, TABLES);
    db.close().await.unwrap();
}
