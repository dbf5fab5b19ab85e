//! One smoke test per backend: a test database is created, usable, and gone after `close`.

use driftless_testdb::{TestDb, mysql_url, postgres_url};
use sqlx::{Connection, Row};

#[tokio::test]
async fn sqlite_database_is_created_used_and_removed() {
    let db = TestDb::sqlite().await;
    let mut conn = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
    sqlx::raw_sql("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (41), (1)")
        .execute(&mut conn)
        .await
        .unwrap();
    let sum: i64 = sqlx::query("SELECT SUM(n) AS s FROM t").fetch_one(&mut conn).await.unwrap().get("s");
    assert_eq!(sum, 42);
    conn.close().await.unwrap();
    let path = db.url().trim_start_matches("sqlite://").trim_end_matches("?mode=rwc").to_owned();
    assert!(std::path::Path::new(&path).exists());
    db.close().await.unwrap();
    assert!(!std::path::Path::new(&path).exists(), "{path} should be removed");
}

#[tokio::test]
async fn postgres_database_is_created_used_and_dropped() {
    let Some(db) = TestDb::postgres().await else { return };
    let name = db.name().to_owned();
    let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let current: String = sqlx::query("SELECT current_database() AS d").fetch_one(&mut conn).await.unwrap().get("d");
    assert_eq!(current, name);
    sqlx::raw_sql("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (41), (1)")
        .execute(&mut conn)
        .await
        .unwrap();
    let sum: i64 = sqlx::query("SELECT SUM(n)::BIGINT AS s FROM t").fetch_one(&mut conn).await.unwrap().get("s");
    assert_eq!(sum, 42);
    conn.close().await.unwrap();
    db.close().await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
    let left: i64 = sqlx::query("SELECT COUNT(*) AS c FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
        .get("c");
    assert_eq!(left, 0, "database {name} should be dropped");
}

#[tokio::test]
async fn mysql_database_is_created_used_and_dropped() {
    let Some(db) = TestDb::mysql().await else { return };
    let name = db.name().to_owned();
    let mut conn = sqlx::MySqlConnection::connect(db.url()).await.unwrap();
    let current: String = sqlx::query("SELECT DATABASE() AS d").fetch_one(&mut conn).await.unwrap().get("d");
    assert_eq!(current, name);
    sqlx::raw_sql("CREATE TABLE t (n INTEGER NOT NULL); INSERT INTO t VALUES (41), (1)")
        .execute(&mut conn)
        .await
        .unwrap();
    let sum: i64 =
        sqlx::query("SELECT CAST(SUM(n) AS SIGNED) AS s FROM t").fetch_one(&mut conn).await.unwrap().get("s");
    assert_eq!(sum, 42);
    conn.close().await.unwrap();
    db.close().await.unwrap();
    let mut admin = sqlx::MySqlConnection::connect(&mysql_url()).await.unwrap();
    let left: i64 = sqlx::query("SELECT COUNT(*) AS c FROM information_schema.schemata WHERE schema_name = ?")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
        .get("c");
    assert_eq!(left, 0, "database {name} should be dropped");
}

#[tokio::test]
async fn dropping_without_close_removes_the_database() {
    let Some(db) = TestDb::postgres().await else { return };
    let name = db.name().to_owned();
    drop(db);
    let mut admin = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
    let left: i64 = sqlx::query("SELECT COUNT(*) AS c FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap()
        .get("c");
    assert_eq!(left, 0);
}
