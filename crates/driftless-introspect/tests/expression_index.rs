//! Expression indexes (`CREATE INDEX … ((lower(email)))`) are read back as expressions on PostgreSQL and SQLite:
//! introspection gives `Index::expression`, the introspected schema renders onto a fresh database and reads back the
//! same, and drift compares the expression as canonical SQL (no false difference from the database's added casts and
//! parentheses). What the model still cannot describe (an index mixing columns and expressions) is refused by name.
//! MySQL/MariaDB render refuses an expression index with the reason.

mod common;

use driftless_core::Dialect;
use driftless_core::classify;
use driftless_core::render;
use driftless_core::schema::{Index, RenameHints, Schema};
use driftless_introspect::{compare, introspect};
use driftless_migrate::Database;
use driftless_testdb::Backend;

fn schema(json: &str) -> Schema {
    serde_json::from_str::<Schema>(json).expect("a schema").normalized()
}

fn users(index: &str) -> Schema {
    schema(&format!(
        r#"{{"tables": [{{"name": "users", "columns": [{{"name": "id", "type": "i64"}},
            {{"name": "email", "type": "varchar(200)"}}, {{"name": "a", "type": "i64"}}, {{"name": "b", "type": "i64"}}],
            "primary_key": {{"name": "users_pkey", "columns": ["id"]}}, "indexes": [{index}]}}]}}"#
    ))
}

fn lower_email() -> Schema {
    users(r#"{"name": "users_lower_email_idx", "columns": [], "unique": true, "expression": "lower(email)"}"#)
}

const TABLE_PG: &str = "CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL, a BIGINT NOT NULL, \
                        b BIGINT NOT NULL)";
const TABLE_SQLITE: &str = "CREATE TABLE users (id INTEGER NOT NULL, email VARCHAR(200) NOT NULL, a INTEGER NOT NULL, \
                            b INTEGER NOT NULL, CONSTRAINT users_pkey PRIMARY KEY (id))";

fn expression_indexes(s: &Schema) -> Vec<(String, Vec<String>, Option<String>, bool)> {
    s.table("users")
        .unwrap()
        .indexes
        .iter()
        .map(|i: &Index| (i.name.clone(), i.columns.clone(), i.expression.clone(), i.unique))
        .collect()
}

/// Hand-written SQL creates the indexes; introspection reads them as expressions; the introspected schema, rendered
/// onto a fresh database (as after `db-pull`), reads back with no difference.
async fn reads_back(backend: Backend, table_sql: &str, dialect: Dialect, lower: &str, sum: &str) {
    let Some((_guard, db)) = common::open(backend).await else { return };
    common::exec(&db, table_sql).await.unwrap();
    common::exec(
        &db,
        "INSERT INTO users VALUES (1, 'A@x.org', 1, 2), (2, 'b@x.org', 3, 4);
         CREATE UNIQUE INDEX users_lower_email_idx ON users ((lower(email)));
         CREATE INDEX users_sum_idx ON users ((a + b)) WHERE a > 0;",
    )
    .await
    .unwrap();
    let got = introspect(&db).await.unwrap();
    assert_eq!(
        expression_indexes(&got),
        [
            ("users_lower_email_idx".to_owned(), vec![], Some(lower.to_owned()), true),
            ("users_sum_idx".to_owned(), vec![], Some(sum.to_owned()), false),
        ]
    );
    assert_eq!(got.table("users").unwrap().indexes[1].predicate.as_deref(), Some("a > 0"));
    // The model written by hand compares equal to the database: no false difference from casts or parentheses.
    assert_eq!(compare(&lower_email(), &drop_index(&got, "users_sum_idx"), dialect), []);
    // A different expression is a difference, naming both.
    let other =
        users(r#"{"name": "users_lower_email_idx", "columns": [], "unique": true, "expression": "upper(email)"}"#);
    let diffs: Vec<String> =
        compare(&other, &drop_index(&got, "users_sum_idx"), dialect).iter().map(ToString::to_string).collect();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].contains("unique ((upper(email)))") && diffs[0].contains("lower("), "{diffs:?}");
    // db-pull round trip: the introspected schema creates a fresh database that reads back the same.
    let Some((_guard2, fresh)) = common::open(backend).await else { return };
    common::create(&fresh, &got).await.unwrap();
    let again = introspect(&fresh).await.unwrap();
    assert_eq!(compare(&got, &again, dialect), []);
    assert_eq!(expression_indexes(&again), expression_indexes(&got));
    // The unique expression index is enforced on the fresh database too.
    common::exec(&fresh, "INSERT INTO users VALUES (1, 'A@x.org', 1, 2)").await.unwrap();
    let dup = common::exec(&fresh, "INSERT INTO users VALUES (2, 'a@X.org', 1, 2)").await.unwrap_err().to_string();
    assert!(dup.to_lowercase().contains("unique"), "{dup}");
    fresh.close().await;
    refuses_mixed(&db).await;
    db.close().await;
}

fn drop_index(s: &Schema, name: &str) -> Schema {
    let mut s = s.clone();
    for t in &mut s.tables {
        t.indexes.retain(|i| i.name != name);
    }
    s
}

/// An index mixing a column and an expression has no form in the model: refused by name, with its SQL.
async fn refuses_mixed(db: &Database) {
    common::exec(db, "CREATE INDEX users_mixed_idx ON users (id, lower(email))").await.unwrap();
    let e = introspect(db).await.unwrap_err().to_string();
    assert!(
        e.starts_with(
            "index `users_mixed_idx` on table `users` indexes an expression (CREATE INDEX users_mixed_idx ON "
        ) && e.contains("(id, lower(")
            && e.ends_with(
                "))), which the driftless model cannot describe (an index is over columns, or over \
                 exactly one expression on PostgreSQL and SQLite); drop it, or index a generated column that stores \
                 the expression, then read the schema again"
            ),
        "{e}"
    );
}

#[tokio::test]
async fn postgres_reads_expression_indexes_back() {
    // PostgreSQL adds the cast of the varchar column (`lower((email)::text)`).
    reads_back(Backend::Postgres, TABLE_PG, Dialect::Postgres, "lower((email)::text)", "a + b").await;
}

#[tokio::test]
async fn sqlite_reads_expression_indexes_back() {
    reads_back(Backend::Sqlite, TABLE_SQLITE, Dialect::Sqlite, "lower(email)", "a + b").await;
}

#[test]
fn expression_indexes_render_on_postgres_and_sqlite_and_are_refused_on_mysql() {
    let plan = classify::plan(&users(""), &lower_email(), &RenameHints::default()).unwrap();
    let up = plan.up_steps();
    let sql = |d| render::render_steps(&up, d, &users("")).map(|m| m.script().trim().to_owned());
    assert_eq!(
        sql(Dialect::Postgres).unwrap(),
        r#"CREATE UNIQUE INDEX "users_lower_email_idx" ON "users" ((lower(email)));"#
    );
    assert_eq!(
        sql(Dialect::Sqlite).unwrap(),
        r#"CREATE UNIQUE INDEX "users_lower_email_idx" ON "users" ((lower(email)));"#
    );
    assert_eq!(
        sql(Dialect::Mysql).unwrap_err().to_string(),
        "create_index on table `users` cannot be rendered for mysql: index `users_lower_email_idx` is on the expression \
         (lower(email)), and mysql/mariadb have no expression indexes (MariaDB has none at all); index a generated \
         column holding the expression instead"
    );
    // Another expression is an index change: the plan drops and re-creates the index.
    let upper =
        users(r#"{"name": "users_lower_email_idx", "columns": [], "unique": true, "expression": "upper(email)"}"#);
    let change = classify::plan(&lower_email(), &upper, &RenameHints::default()).unwrap();
    let sql = render::render_steps(&change.up_steps(), Dialect::Postgres, &lower_email()).unwrap();
    assert_eq!(
        sql.script().trim(),
        "DROP INDEX \"users_lower_email_idx\";\nCREATE UNIQUE INDEX \"users_lower_email_idx\" ON \"users\" ((upper(email)));"
    );
    // The same expression is no change.
    assert!(classify::plan(&lower_email(), &lower_email(), &RenameHints::default()).unwrap().up_steps().is_empty());
}
