//! An index on an expression cannot be described by the model (its elements are columns), so introspection refuses
//! it by name and with its SQL rather than reading back a column named after the expression.

mod common;

use driftless_introspect::introspect;
use driftless_testdb::Backend;

#[tokio::test]
async fn postgres_expression_index_is_refused_by_name() {
    let Some((_guard, db)) = common::open(Backend::Postgres).await else { return };
    common::exec(
        &db,
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT NOT NULL);
         INSERT INTO users VALUES (1, 'A@x.org'), (2, 'b@x.org');
         CREATE INDEX users_email_idx ON users (email);",
    )
    .await
    .unwrap();
    // A plain column index still reads back.
    let s = introspect(&db).await.unwrap();
    assert_eq!(s.table("users").unwrap().indexes[0].columns, ["email"]);
    common::exec(&db, "CREATE INDEX users_lower_email_idx ON users (id, lower(email))").await.unwrap();
    let e = introspect(&db).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "index `users_lower_email_idx` on table `users` indexes an expression (CREATE INDEX users_lower_email_idx ON \
         public.users USING btree (id, lower(email))), which the driftless model cannot describe (an index element \
         is a column); drop it, or index a generated column that stores the expression, then read the schema again"
    );
    db.close().await;
}

#[tokio::test]
async fn sqlite_expression_index_is_refused_by_name() {
    let Some((_guard, db)) = common::open(Backend::Sqlite).await else { return };
    common::exec(
        &db,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
         INSERT INTO users VALUES (1, 'A@x.org'), (2, 'b@x.org');
         CREATE INDEX users_email_idx ON users (email);",
    )
    .await
    .unwrap();
    let s = introspect(&db).await.unwrap();
    assert_eq!(s.table("users").unwrap().indexes[0].columns, ["email"]);
    common::exec(&db, "CREATE INDEX users_lower_email_idx ON users (id, lower(email))").await.unwrap();
    let e = introspect(&db).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "index `users_lower_email_idx` on table `users` indexes an expression (CREATE INDEX users_lower_email_idx ON \
         users (id, lower(email))), which the driftless model cannot describe (an index element is a column); drop \
         it, or index a generated column that stores the expression, then read the schema again"
    );
    db.close().await;
}
