//! The bridge to sea-query: builds its statement values from the portable schema and prints them per dialect.
//!
//! Only statements sea-query prints correctly on the dialect in question are built here; every function that
//! sea-query's SQLite backend would panic on refuses SQLite with an error before sea-query is called. Column types
//! and defaults are spelled by `spell` and passed as custom text, so quoting and escaping stay in one place.
//! Names sea-query writes without escaping (index and constraint names) are checked with `check_raw_name`.

use sea_query::{
    Alias, ColumnDef, ConditionalStatement, Expr, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index,
    MysqlQueryBuilder, PostgresQueryBuilder, SchemaStatementBuilder, SqliteQueryBuilder, Table, TableCreateStatement,
};

use crate::dialect::Dialect;
use crate::schema::{self, Column, ReferentialAction, Schema};

use super::RenderError;
use super::spell;

/// Prints a sea-query schema statement for the dialect.
pub(crate) fn to_sql(d: Dialect, stmt: &impl SchemaStatementBuilder) -> String {
    match d {
        Dialect::Sqlite => stmt.to_string(SqliteQueryBuilder),
        Dialect::Postgres => stmt.to_string(PostgresQueryBuilder),
        Dialect::Mysql => stmt.to_string(MysqlQueryBuilder),
    }
}

fn alias(name: &str) -> Alias {
    // An owned name: sea-query escapes quote characters only in owned identifiers.
    Alias::new(name.to_owned())
}

fn unsupported_on_sqlite(step: &'static str, table: &str) -> RenderError {
    RenderError::Unsupported {
        step,
        table: table.to_owned(),
        dialect: Dialect::Sqlite,
        reason: "sqlite cannot alter constraints; this needs a table rebuild".into(),
    }
}

/// Whether the table's primary key is one auto-increment column, which SQLite must declare inline as
/// `INTEGER PRIMARY KEY AUTOINCREMENT`.
pub(crate) fn sqlite_inline_pk(table: &schema::Table) -> Option<&str> {
    let pk = table.primary_key.as_ref()?;
    match pk.columns.as_slice() {
        [only] if table.column(only).is_some_and(|c| c.auto_increment) => Some(only),
        _ => None,
    }
}

/// A column definition for `CREATE TABLE`, `ADD COLUMN` and MySQL's `MODIFY COLUMN`.
pub(crate) fn column_def(
    d: Dialect,
    col: &Column,
    schema: &Schema,
    table: &str,
    inline_pk: bool,
) -> Result<ColumnDef, RenderError> {
    // The type text is `spell`'s, given to sea-query's custom column type, which prints it as written.
    let ty = spell::column_type_decorated(d, col, schema, table)?;
    let mut def = ColumnDef::new(alias(&col.name));
    def.custom(ty);
    if !col.nullable {
        def.not_null();
    }
    // The default and SQLite's enum CHECK are SQL text `spell` already wrote, so they are appended as written
    // (`ColumnDef::extra`) rather than through an expression sea-query would parenthesise (`DEFAULT ('x')`). They
    // come right after NOT NULL, where sea-query would print them: a column with a default is never the inline
    // `PRIMARY KEY AUTOINCREMENT` one, nor MySQL's `AUTO_INCREMENT`.
    let mut extra = Vec::new();
    if let Some(default) = &col.default {
        // An identity / auto-increment column takes its values from the database; a default would conflict.
        if !col.auto_increment {
            extra.push(format!("DEFAULT {}", spell::default_sql(d, &col.ty, default)));
        }
    }
    if inline_pk {
        def.primary_key().auto_increment();
    } else if col.auto_increment && d == Dialect::Mysql {
        def.auto_increment();
    }
    if let (Dialect::Sqlite, schema::ColumnType::Enum(name)) = (d, &col.ty) {
        let values = &spell::enum_values(schema, name, table)?.values;
        extra.push(format!("CHECK ({})", spell::sqlite_enum_check(&col.name, values)));
    }
    if !extra.is_empty() {
        def.extra(extra.join(" "));
    }
    if let (Dialect::Mysql, Some(comment)) = (d, &col.comment) {
        def.comment(comment.clone());
    }
    Ok(def)
}

fn fk_action(a: ReferentialAction) -> ForeignKeyAction {
    match a {
        ReferentialAction::NoAction => ForeignKeyAction::NoAction,
        ReferentialAction::Restrict => ForeignKeyAction::Restrict,
        ReferentialAction::Cascade => ForeignKeyAction::Cascade,
        ReferentialAction::SetNull => ForeignKeyAction::SetNull,
        ReferentialAction::SetDefault => ForeignKeyAction::SetDefault,
    }
}

fn foreign_key(d: Dialect, table: &str, fk: &schema::ForeignKey) -> Result<ForeignKeyCreateStatement, RenderError> {
    spell::check_raw_name(d, &fk.name)?;
    let mut stmt = ForeignKey::create();
    stmt.name(fk.name.clone()).from_tbl(alias(table)).to_tbl(alias(&fk.ref_table));
    for c in &fk.columns {
        stmt.from_col(alias(c));
    }
    for c in &fk.ref_columns {
        stmt.to_col(alias(c));
    }
    if fk.on_delete != ReferentialAction::NoAction {
        stmt.on_delete(fk_action(fk.on_delete));
    }
    if fk.on_update != ReferentialAction::NoAction {
        stmt.on_update(fk_action(fk.on_update));
    }
    Ok(stmt)
}

/// `CREATE TABLE` with columns, primary key, uniques, foreign keys and checks (indexes are separate statements).
/// `name` overrides the table's name (the SQLite rebuild creates `__new_<table>`).
pub(crate) fn create_table(
    d: Dialect,
    table: &schema::Table,
    schema: &Schema,
    name: Option<&str>,
) -> Result<String, RenderError> {
    let mut stmt: TableCreateStatement = Table::create();
    stmt.table(alias(name.unwrap_or(&table.name)));
    let inline_pk = if d == Dialect::Sqlite { sqlite_inline_pk(table) } else { None };
    for col in &table.columns {
        stmt.col(column_def(d, col, schema, &table.name, inline_pk == Some(col.name.as_str()))?);
    }
    if let (Some(pk), None) = (&table.primary_key, inline_pk) {
        let mut index = Index::create();
        // MySQL's grammar has no name after PRIMARY KEY (the key is always called PRIMARY).
        if d != Dialect::Mysql {
            spell::check_raw_name(d, &pk.name)?;
            index.name(pk.name.clone());
        }
        for c in &pk.columns {
            index.col(alias(c));
        }
        stmt.primary_key(&mut index);
    }
    for u in &table.uniques {
        spell::check_raw_name(d, &u.name)?;
        let mut index = Index::create();
        index.unique().name(u.name.clone());
        for c in &u.columns {
            index.col(alias(c));
        }
        stmt.index(&mut index);
    }
    for fk in &table.foreign_keys {
        stmt.foreign_key(&mut foreign_key(d, &table.name, fk)?);
    }
    for check in &table.checks {
        stmt.check(sea_query::Check::named(alias(&check.name), Expr::cust(check.expr.clone())));
    }
    if let (Dialect::Mysql, Some(comment)) = (d, &table.comment) {
        stmt.comment(comment.clone());
    }
    Ok(to_sql(d, &stmt))
}

/// `CREATE [UNIQUE] INDEX`. MySQL/MariaDB have no partial indexes, so a predicate there is an error; prefix lengths
/// are written on MySQL/MariaDB only.
pub(crate) fn create_index(d: Dialect, table: &str, index: &schema::Index) -> Result<String, RenderError> {
    spell::check_raw_name(d, &index.name)?;
    if let Some(expression) = &index.expression {
        return create_expression_index(d, table, index, expression);
    }
    let mut stmt = Index::create();
    stmt.name(index.name.clone()).table(alias(table));
    for c in &index.columns {
        // Only MySQL/MariaDB have prefix indexes; PostgreSQL and SQLite index the whole column.
        match index.prefix_of(c) {
            Some(len) if d == Dialect::Mysql => stmt.col((alias(c), len)),
            _ => stmt.col(alias(c)),
        };
    }
    if index.unique {
        stmt.unique();
    }
    if let Some(predicate) = &index.predicate {
        if d == Dialect::Mysql {
            return Err(RenderError::Unsupported {
                step: "create_index",
                table: table.to_owned(),
                dialect: d,
                reason: format!(
                    "index `{}` is partial (WHERE {predicate}), and mysql/mariadb have no partial indexes; \
                     drop the predicate or use a generated column",
                    index.name
                ),
            });
        }
        stmt.and_where(Expr::cust(predicate.clone()));
    }
    Ok(to_sql(d, &stmt))
}

/// `CREATE [UNIQUE] INDEX name ON table ((expression)) [WHERE predicate]` on PostgreSQL and SQLite; MySQL/MariaDB
/// are refused (MariaDB has no functional indexes, and MySQL's differ in what they accept).
fn create_expression_index(
    d: Dialect,
    table: &str,
    index: &schema::Index,
    expression: &str,
) -> Result<String, RenderError> {
    if d == Dialect::Mysql {
        return Err(RenderError::Unsupported {
            step: "create_index",
            table: table.to_owned(),
            dialect: d,
            reason: format!(
                "index `{}` is on the expression ({expression}), and mysql/mariadb have no expression indexes \
                 (MariaDB has none at all); index a generated column holding the expression instead",
                index.name
            ),
        });
    }
    let q = |n: &str| spell::ident(d, n);
    let unique = if index.unique { "UNIQUE " } else { "" };
    let mut sql = format!("CREATE {unique}INDEX {} ON {} (({expression}))", q(&index.name), q(table));
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    Ok(sql)
}

/// `DROP INDEX` (`... ON table` on MySQL).
pub(crate) fn drop_index(d: Dialect, table: &str, name: &str) -> Result<String, RenderError> {
    spell::check_raw_name(d, name)?;
    let mut stmt = Index::drop();
    stmt.name(name.to_owned()).table(alias(table));
    Ok(to_sql(d, &stmt))
}

/// `DROP TABLE`.
pub(crate) fn drop_table(d: Dialect, table: &str) -> String {
    to_sql(d, Table::drop().table(alias(table)))
}

/// Renames a table (`ALTER TABLE .. RENAME TO` / `RENAME TABLE`).
pub(crate) fn rename_table(d: Dialect, from: &str, to: &str) -> String {
    to_sql(d, Table::rename().table(alias(from), alias(to)))
}

/// `ALTER TABLE .. ADD COLUMN`. On SQLite the caller has checked that ADD COLUMN can express the column.
pub(crate) fn add_column(d: Dialect, table: &str, col: &Column, schema: &Schema) -> Result<String, RenderError> {
    let def = column_def(d, col, schema, table, false)?;
    Ok(to_sql(d, Table::alter().table(alias(table)).add_column(def)))
}

/// `ALTER TABLE .. DROP COLUMN`.
pub(crate) fn drop_column(d: Dialect, table: &str, column: &str) -> String {
    to_sql(d, Table::alter().table(alias(table)).drop_column(alias(column)))
}

/// `ALTER TABLE .. RENAME COLUMN .. TO ..`.
pub(crate) fn rename_column(d: Dialect, table: &str, from: &str, to: &str) -> String {
    to_sql(d, Table::alter().table(alias(table)).rename_column(alias(from), alias(to)))
}

/// `ALTER TABLE .. ADD CONSTRAINT .. FOREIGN KEY` (PostgreSQL and MySQL only).
pub(crate) fn add_foreign_key(d: Dialect, table: &str, fk: &schema::ForeignKey) -> Result<String, RenderError> {
    if d == Dialect::Sqlite {
        return Err(unsupported_on_sqlite("add_foreign_key", table));
    }
    Ok(to_sql(d, &foreign_key(d, table, fk)?))
}

/// `ALTER TABLE .. DROP CONSTRAINT` / `DROP FOREIGN KEY` (PostgreSQL and MySQL only).
pub(crate) fn drop_foreign_key(d: Dialect, table: &str, name: &str) -> Result<String, RenderError> {
    if d == Dialect::Sqlite {
        return Err(unsupported_on_sqlite("drop_foreign_key", table));
    }
    spell::check_raw_name(d, name)?;
    Ok(to_sql(d, ForeignKey::drop().name(name.to_owned()).table(alias(table))))
}

/// MySQL's `ALTER TABLE .. MODIFY COLUMN` with the full new definition.
pub(crate) fn mysql_modify_column(table: &str, col: &Column, schema: &Schema) -> Result<String, RenderError> {
    let def = column_def(Dialect::Mysql, col, schema, table, false)?;
    Ok(to_sql(Dialect::Mysql, Table::alter().table(alias(table)).modify_column(def)))
}
