//! Index prefix lengths: MariaDB builds a prefixed index on a TEXT column over existing rows, and introspection
//! reads the prefix back (`STATISTICS.SUB_PART`) so drift sees no difference; PostgreSQL and SQLite index the whole
//! column for the same model, and drift ignores the prefix there.

mod common;

use driftless_core::Dialect;
use driftless_core::classify;
use driftless_core::render;
use driftless_core::schema::{RenameHints, Schema};
use driftless_introspect::{compare, introspect};
use driftless_testdb::Backend;

fn schema(json: &str) -> Schema {
    serde_json::from_str::<Schema>(json).expect("a schema").normalized()
}

fn posts(index: &str) -> Schema {
    schema(&format!(
        r#"{{"tables": [{{"name": "posts", "columns": [{{"name": "id", "type": "i64"}}, {{"name": "body", "type": "text"}},
            {{"name": "title", "type": "text"}}],
            "primary_key": {{"name": "posts_pkey", "columns": ["id"]}}, "indexes": [{index}]}}]}}"#
    ))
}

fn prefixed(len: u32) -> Schema {
    posts(&format!(r#"{{"name": "posts_body_idx", "columns": ["body", "id"], "prefixes": {{"body": {len}}}}}"#))
}

const ROWS: &str = "INSERT INTO posts (id, body, title) VALUES (1, 'first post', 'a'), (2, 'second post', 'b')";

#[tokio::test]
async fn mariadb_builds_a_prefixed_text_index_over_rows_and_reads_it_back() {
    let Some((_guard, db)) = common::open(Backend::Mysql).await else { return };
    let plain = posts("");
    common::create(&db, &plain).await.unwrap();
    common::exec(&db, ROWS).await.unwrap();
    let plan = classify::plan(&plain, &prefixed(100), &RenameHints::default()).unwrap();
    let up: Vec<_> = plan.up_steps();
    let sql = render::render_steps(&up, Dialect::Mysql, &plain).unwrap();
    assert_eq!(sql.script().trim(), "CREATE INDEX `posts_body_idx` ON `posts` (`body` (100), `id`);");
    common::run(&db, &sql).await.unwrap();
    let got = introspect(&db).await.unwrap();
    let index = &got.table("posts").unwrap().indexes[0];
    assert_eq!(
        (index.name.as_str(), index.columns.as_slice()),
        ("posts_body_idx", &["body".to_owned(), "id".to_owned()][..])
    );
    assert_eq!(index.prefixes.iter().map(|(c, n)| (c.as_str(), *n)).collect::<Vec<_>>(), [("body", 100)]);
    assert_eq!(compare(&prefixed(100), &got, Dialect::Mysql), []);
    // Another prefix length is a difference, and the plan to it drops and re-creates the index.
    let diffs: Vec<String> = compare(&prefixed(50), &got, Dialect::Mysql).iter().map(ToString::to_string).collect();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].contains("(body(50), id)") && diffs[0].contains("(body(100), id)"), "{diffs:?}");
    let change = classify::plan(&prefixed(100), &prefixed(50), &RenameHints::default()).unwrap();
    let sql = render::render_steps(&change.up_steps(), Dialect::Mysql, &prefixed(100)).unwrap();
    assert_eq!(
        sql.script().trim(),
        "DROP INDEX `posts_body_idx` ON `posts`;\nCREATE INDEX `posts_body_idx` ON `posts` (`body` (50), `id`);"
    );
    common::run(&db, &sql).await.unwrap();
    assert_eq!(compare(&prefixed(50), &introspect(&db).await.unwrap(), Dialect::Mysql), []);
    assert_eq!(common::count(&db, "posts").await.unwrap(), 2);
    db.close().await;
}

#[tokio::test]
async fn mariadb_plan_with_rows_through_the_common_case() {
    let Some((_guard, db)) = common::open(Backend::Mysql).await else { return };
    common::case(&db, &posts(""), &prefixed(100), &RenameHints::default()).await.unwrap();
    common::wipe(&db).await;
    common::case(&db, &prefixed(100), &prefixed(20), &RenameHints::default()).await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn postgres_and_sqlite_index_the_whole_column() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let Some((_guard, db)) = common::open(backend).await else { continue };
        let d = db.dialect();
        let plain = posts("");
        common::create(&db, &plain).await.unwrap();
        common::exec(&db, ROWS).await.unwrap();
        let up = classify::plan(&plain, &prefixed(100), &RenameHints::default()).unwrap().up_steps();
        let sql = render::render_steps(&up, d, &plain).unwrap();
        assert_eq!(sql.script().trim(), r#"CREATE INDEX "posts_body_idx" ON "posts" ("body", "id");"#, "{d}");
        common::run(&db, &sql).await.unwrap();
        let got = introspect(&db).await.unwrap();
        assert!(got.table("posts").unwrap().indexes[0].prefixes.is_empty(), "{d}");
        assert_eq!(compare(&prefixed(100), &got, d), [], "{d}");
        assert_eq!(common::count(&db, "posts").await.unwrap(), 2, "{d}");
        common::wipe(&db).await;
        common::case(&db, &posts(""), &prefixed(100), &RenameHints::default()).await.unwrap();
        db.close().await;
    }
}
