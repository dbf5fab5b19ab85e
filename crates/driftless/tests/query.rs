//! The derived `<Struct>Iden` enums work in sea-query queries on every dialect, with no migration involved.

use driftless::prelude::*;
use driftless::sea_query::{Expr, ExprTrait, MysqlQueryBuilder, PostgresQueryBuilder, Query, SqliteQueryBuilder};

#[derive(DbEnum)]
#[allow(dead_code)] // Variants are only read through the derived impls.
enum Plan {
    Free,
    Pro,
}

#[derive(Model)]
#[model(table = "users")]
#[allow(dead_code)] // Fields describe columns; no test reads them.
struct User {
    #[model(primary_key, auto_increment)]
    id: i64,
    #[model(column = "display_name")]
    name: String,
    active: bool,
    plan: Plan,
}

#[test]
fn select_with_where_on_derived_columns() {
    let query = Query::select()
        .column(UserIden::Name)
        .from(UserIden::Table)
        .and_where(Expr::col(UserIden::Active).eq(true))
        .to_owned();
    assert_eq!(query.to_string(PostgresQueryBuilder), r#"SELECT "display_name" FROM "users" WHERE "active" = TRUE"#);
    assert_eq!(query.to_string(MysqlQueryBuilder), "SELECT `display_name` FROM `users` WHERE `active` = TRUE");
    assert_eq!(query.to_string(SqliteQueryBuilder), r#"SELECT "display_name" FROM "users" WHERE "active" = TRUE"#);
}

#[test]
fn db_enum_values_bind_as_their_stored_text() {
    let query = Query::select()
        .columns([UserIden::Id, UserIden::Plan])
        .from(UserIden::Table)
        .and_where(Expr::col((UserIden::Table, UserIden::Plan)).eq(Plan::Pro))
        .to_owned();
    assert_eq!(
        query.to_string(PostgresQueryBuilder),
        r#"SELECT "id", "plan" FROM "users" WHERE "users"."plan" = 'pro'"#
    );
    let (sql, values) = query.build(SqliteQueryBuilder);
    assert_eq!(sql, r#"SELECT "id", "plan" FROM "users" WHERE "users"."plan" = ?"#);
    assert_eq!(values.0, vec![driftless::sea_query::Value::String(Some("pro".into()))]);
}
