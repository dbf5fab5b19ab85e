//! How each dialect spells the small things: quoted identifiers, escaped string literals, column types, defaults
//! and the conversion expression used when a column changes type.
//!
//! Everything a statement interpolates goes through here, so quoting and escaping are decided in one place.

use crate::dialect::Dialect;
use crate::schema::{Column, ColumnType, DefaultExpr, DefaultValue, EnumType, Literal, Schema};

use super::RenderError;

/// Quotes an identifier: `"name"` on SQLite and PostgreSQL, `` `name` `` on MySQL, doubling the quote character.
pub(crate) fn ident(d: Dialect, name: &str) -> String {
    let q = match d {
        Dialect::Mysql => '`',
        _ => '"',
    };
    let mut out = String::with_capacity(name.len() + 2);
    out.push(q);
    for c in name.chars() {
        if c == q {
            out.push(q);
        }
        out.push(c);
    }
    out.push(q);
    out
}

/// Quotes a list of identifiers, comma-separated.
pub(crate) fn idents(d: Dialect, names: &[String]) -> String {
    names.iter().map(|n| ident(d, n)).collect::<Vec<_>>().join(", ")
}

/// A string literal. Every dialect doubles `'`; MySQL also treats `\` as an escape character inside literals by
/// default (unless `NO_BACKSLASH_ESCAPES` is set, which driftless does not support), so there `\` is doubled and
/// NUL is written `\0`.
pub(crate) fn string(d: Dialect, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' if d == Dialect::Mysql => out.push_str("\\\\"),
            '\0' if d == Dialect::Mysql => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Refuses names that sea-query would write without escaping (index and constraint names) when they contain the
/// dialect's quote character, so that no statement can be broken out of by a name.
pub(crate) fn check_raw_name(d: Dialect, name: &str) -> Result<(), RenderError> {
    let q = if d == Dialect::Mysql { '`' } else { '"' };
    if name.contains(q) || name.contains('\0') {
        return Err(RenderError::InvalidIdentifier { name: name.to_owned(), dialect: d });
    }
    Ok(())
}

/// The values of an enum, looked up in the schema state.
pub(crate) fn enum_values<'a>(schema: &'a Schema, name: &str, table: &str) -> Result<&'a EnumType, RenderError> {
    schema.enum_type(name).ok_or_else(|| RenderError::UnknownEnum { name: name.to_owned(), table: table.to_owned() })
}

/// `ENUM('a', 'b')` on MySQL.
pub(crate) fn mysql_enum(values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| string(Dialect::Mysql, v)).collect();
    format!("ENUM({})", list.join(", "))
}

/// `"col" IN ('a', 'b')`: the CHECK that stands in for an enum type on SQLite.
pub(crate) fn sqlite_enum_check(column: &str, values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| string(Dialect::Sqlite, v)).collect();
    format!("{} IN ({})", ident(Dialect::Sqlite, column), list.join(", "))
}

/// The column type as the dialect spells it (without auto increment decoration).
///
/// Mapping decisions (see the module docs of `render` for the reasons):
///
/// | portable | SQLite | PostgreSQL | MySQL/MariaDB |
/// |---|---|---|---|
/// | i16 / i32 / i64 | SMALLINT / INT / BIGINT | SMALLINT / INTEGER / BIGINT | SMALLINT / INT / BIGINT |
/// | f32 / f64 | REAL / DOUBLE | REAL / DOUBLE PRECISION | FLOAT / DOUBLE |
/// | bool | BOOLEAN | BOOLEAN | TINYINT(1) |
/// | text | TEXT | TEXT | LONGTEXT |
/// | bytes | BLOB | BYTEA | LONGBLOB |
/// | uuid | TEXT | UUID | CHAR(36) |
/// | json | TEXT | JSONB | JSON |
/// | date / time | TEXT | DATE / TIME | DATE / TIME(6) |
/// | datetime / timestamptz | TEXT | TIMESTAMP / TIMESTAMPTZ | DATETIME(6) / DATETIME(6) |
/// | decimal(p,s) | DECIMAL(p,s) | NUMERIC(p,s) | DECIMAL(p,s) |
/// | enum(e) | TEXT + CHECK | "e" (CREATE TYPE) | ENUM('a', ...) |
pub(crate) fn column_type(d: Dialect, ty: &ColumnType, schema: &Schema, table: &str) -> Result<String, RenderError> {
    use ColumnType as T;
    Ok(match (d, ty) {
        (_, T::SmallInt) => "SMALLINT".into(),
        // Not `INTEGER` on SQLite: a column declared exactly `INTEGER PRIMARY KEY` becomes the rowid and fills
        // itself in, which only an auto-increment column should do.
        (Dialect::Postgres, T::Integer) => "INTEGER".into(),
        (_, T::Integer) => "INT".into(),
        (_, T::BigInt) => "BIGINT".into(),
        (Dialect::Mysql, T::Real) => "FLOAT".into(),
        (_, T::Real) => "REAL".into(),
        (Dialect::Postgres, T::Double) => "DOUBLE PRECISION".into(),
        (_, T::Double) => "DOUBLE".into(),
        (Dialect::Mysql, T::Boolean) => "TINYINT(1)".into(),
        (_, T::Boolean) => "BOOLEAN".into(),
        (Dialect::Mysql, T::Text) => "LONGTEXT".into(),
        (_, T::Text) => "TEXT".into(),
        (_, T::Varchar(n)) => format!("VARCHAR({n})"),
        (_, T::Char(n)) => format!("CHAR({n})"),
        (Dialect::Postgres, T::Bytes) => "BYTEA".into(),
        (Dialect::Mysql, T::Bytes) => "LONGBLOB".into(),
        (_, T::Bytes) => "BLOB".into(),
        (Dialect::Postgres, T::Uuid) => "UUID".into(),
        (Dialect::Mysql, T::Uuid) => "CHAR(36)".into(),
        (Dialect::Postgres, T::Json) => "JSONB".into(),
        (Dialect::Mysql, T::Json) => "JSON".into(),
        (Dialect::Sqlite, T::Uuid | T::Json | T::Date | T::Time | T::DateTime | T::TimestampTz) => "TEXT".into(),
        (_, T::Date) => "DATE".into(),
        (Dialect::Mysql, T::Time) => "TIME(6)".into(),
        (_, T::Time) => "TIME".into(),
        (Dialect::Postgres, T::DateTime) => "TIMESTAMP".into(),
        (Dialect::Postgres, T::TimestampTz) => "TIMESTAMPTZ".into(),
        (_, T::DateTime | T::TimestampTz) => "DATETIME(6)".into(),
        (Dialect::Postgres, T::Decimal { precision, scale }) => format!("NUMERIC({precision},{scale})"),
        (_, T::Decimal { precision, scale }) => format!("DECIMAL({precision},{scale})"),
        (Dialect::Postgres, T::Enum(name)) => {
            enum_values(schema, name, table)?;
            ident(d, name)
        }
        (Dialect::Mysql, T::Enum(name)) => mysql_enum(&enum_values(schema, name, table)?.values),
        (_, T::Enum(name)) => {
            enum_values(schema, name, table)?;
            "TEXT".into()
        }
        (_, T::Custom(c)) => {
            let own = match d {
                Dialect::Sqlite => c.sqlite.as_ref(),
                Dialect::Postgres => c.postgres.as_ref(),
                _ => c.mysql.as_ref(),
            };
            own.unwrap_or(&c.default).clone()
        }
    })
}

/// The type with PostgreSQL's identity clause when the column is auto increment. PostgreSQL gets
/// `GENERATED BY DEFAULT AS IDENTITY` (SQL standard, PostgreSQL 10+, no separately owned sequence to forget, and
/// explicit ids can still be inserted, as with MySQL and SQLite).
pub(crate) fn column_type_decorated(
    d: Dialect,
    col: &Column,
    schema: &Schema,
    table: &str,
) -> Result<String, RenderError> {
    if col.auto_increment && d == Dialect::Sqlite && col.ty.is_integer() {
        // SQLite's AUTOINCREMENT only works on a column declared exactly `INTEGER PRIMARY KEY`.
        return Ok("INTEGER".into());
    }
    let ty = column_type(d, &col.ty, schema, table)?;
    if col.auto_increment && d == Dialect::Postgres {
        return Ok(format!("{ty} GENERATED BY DEFAULT AS IDENTITY"));
    }
    Ok(ty)
}

/// Whether MySQL refuses a plain literal default on this type (TEXT, BLOB and JSON on MySQL 8 take only an
/// expression default; MariaDB accepts both, so the parenthesised form works on both).
fn mysql_needs_expression_default(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Text | ColumnType::Bytes | ColumnType::Json)
}

/// A literal in SQL.
pub(crate) fn literal(d: Dialect, lit: &Literal) -> String {
    match lit {
        Literal::Bool(b) => match (d, b) {
            (Dialect::Postgres, true) => "TRUE".into(),
            (Dialect::Postgres, false) => "FALSE".into(),
            (_, true) => "1".into(),
            (_, false) => "0".into(),
        },
        Literal::Int(i) => i.to_string(),
        // `Display` for f64 never uses exponent notation, so the text is a valid numeric literal everywhere.
        Literal::Float(f) => f.to_string(),
        Literal::String(s) => string(d, s),
    }
}

/// The text after `DEFAULT` for a column default.
pub(crate) fn default_sql(d: Dialect, ty: &ColumnType, value: &DefaultValue) -> String {
    match value {
        DefaultValue::Value(lit) => {
            let text = literal(d, lit);
            if d == Dialect::Mysql && mysql_needs_expression_default(ty) { format!("({text})") } else { text }
        }
        DefaultValue::Expr(e) => default_expr(d, ty, *e),
        // Parenthesised: SQLite requires it for any expression, MySQL treats it as an expression default, and
        // PostgreSQL accepts it.
        DefaultValue::Sql(sql) => format!("({sql})"),
    }
}

/// A portable default expression.
pub(crate) fn default_expr(d: Dialect, ty: &ColumnType, e: DefaultExpr) -> String {
    match (d, e) {
        // MySQL requires the fractional-seconds precision of CURRENT_TIMESTAMP to match the column's.
        (Dialect::Mysql, DefaultExpr::CurrentTimestamp)
            if matches!(ty, ColumnType::DateTime | ColumnType::TimestampTz) =>
        {
            "CURRENT_TIMESTAMP(6)".into()
        }
        (Dialect::Mysql, DefaultExpr::CurrentTimestamp) => "(CURRENT_TIMESTAMP)".into(),
        (Dialect::Mysql, DefaultExpr::CurrentDate) => "(CURRENT_DATE)".into(),
        (Dialect::Mysql, DefaultExpr::CurrentTime) => "(CURRENT_TIME)".into(),
        (Dialect::Mysql, DefaultExpr::GenRandomUuid) => "(uuid())".into(),
        (_, DefaultExpr::CurrentTimestamp) => "CURRENT_TIMESTAMP".into(),
        (_, DefaultExpr::CurrentDate) => "CURRENT_DATE".into(),
        (Dialect::Postgres, DefaultExpr::CurrentTime) => "LOCALTIME".into(),
        (_, DefaultExpr::CurrentTime) => "CURRENT_TIME".into(),
        (Dialect::Postgres, DefaultExpr::GenRandomUuid) => "gen_random_uuid()".into(),
        // A version-4 UUID in its canonical lowercase 8-4-4-4-12 form, built from random bytes.
        (_, DefaultExpr::GenRandomUuid) => SQLITE_UUID_V4.into(),
    }
}

/// SQLite's spelling of a random version-4 UUID (lowercase, hyphenated).
pub(crate) const SQLITE_UUID_V4: &str = "(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))";

/// The expression that converts the old value of `column` to the new type, for PostgreSQL's `USING`.
pub(crate) fn postgres_using(column: &str, from: &ColumnType, to: &ColumnType, schema: &Schema) -> String {
    postgres_convert(&ident(Dialect::Postgres, column), from, to, schema)
}

/// The expression that converts `c` (an SQL expression of type `from`: a column, or `NEW."col"` in a trigger) to
/// `to` on PostgreSQL: the `USING` of [`postgres_using`], and the value of an expand/contract shadow column.
pub(crate) fn postgres_convert(c: &str, from: &ColumnType, to: &ColumnType, schema: &Schema) -> String {
    let d = Dialect::Postgres;
    // A VARCHAR that grows: the value itself. `USING c::text` would make PostgreSQL rewrite the table, where the
    // column alone lets it change only the catalog (binary coercible).
    if let (ColumnType::Varchar(a), ColumnType::Varchar(b)) = (from, to)
        && b >= a
    {
        return c.to_owned();
    }
    // An explicit cast to VARCHAR(n) or CHAR(n) silently truncates longer values, so for those targets the
    // expression stops at `text` and PostgreSQL's assignment coercion to the column type applies, which fails on a
    // value that does not fit instead of cutting it.
    let target = match to {
        ColumnType::Varchar(_) | ColumnType::Char(_) => "text".to_owned(),
        _ => column_type(d, to, schema, "").unwrap_or_else(|_| "TEXT".into()),
    };
    let numeric = |t: &ColumnType| {
        t.is_integer() || matches!(t, ColumnType::Real | ColumnType::Double | ColumnType::Decimal { .. })
    };
    let temporal = |t: &ColumnType| matches!(t, ColumnType::Date | ColumnType::DateTime | ColumnType::TimestampTz);
    match (from, to) {
        (ColumnType::Boolean, t) if t.is_integer() => format!("CASE WHEN {c} THEN 1 ELSE 0 END"),
        // PostgreSQL casts boolean only to and from integer.
        (ColumnType::Boolean, t) if numeric(t) => format!("(CASE WHEN {c} THEN 1 ELSE 0 END)::{target}"),
        (f, ColumnType::Boolean) if numeric(f) => format!("{c} <> 0"),
        (ColumnType::Bytes, t) if t.is_textual() => format!("convert_from({c}, 'UTF8')::{target}"),
        (f, ColumnType::Bytes) if f.is_textual() => format!("convert_to({c}::text, 'UTF8')"),
        // Enum values, JSON and most other types convert through their text form.
        (ColumnType::Enum(_) | ColumnType::Json, _) | (_, ColumnType::Enum(_)) => format!("{c}::text::{target}"),
        // Direct casts exist within the numeric and the date/time families, to and from text, and to custom types.
        (f, t)
            if f.is_textual()
                || t.is_textual()
                || (numeric(f) && numeric(t))
                || (temporal(f) && temporal(t))
                || matches!(f, ColumnType::Custom(_))
                || matches!(t, ColumnType::Custom(_)) =>
        {
            format!("{c}::{target}")
        }
        // No direct cast (a date to a number, a boolean to a date, ...): through text, so PostgreSQL accepts the
        // statement and converts the values it can, failing on the rows it cannot instead of refusing the migration.
        _ => format!("{c}::text::{target}"),
    }
}

/// The expression that converts the old value for the SELECT of an SQLite table rebuild: a CAST to the new
/// type's storage class when the type changes, so that, say, `'42'` becomes the integer 42 in an INTEGER column.
pub(crate) fn sqlite_convert(column_sql: &str, from: &ColumnType, to: &ColumnType) -> String {
    let class = crate::dialect::sqlite_storage_class;
    match (class(from), class(to)) {
        (f, t) if f == t => column_sql.to_owned(),
        (_, None) => column_sql.to_owned(),
        (_, Some("BOOLEAN")) => {
            format!("CASE WHEN {column_sql} IS NULL THEN NULL WHEN {column_sql} THEN 1 ELSE 0 END")
        }
        (_, Some(class)) => format!("CAST({column_sql} AS {class})"),
    }
}

/// A backfill's value on `d`: the expression as written, except `DEFAULT` (the column's own default, evaluated per
/// row, which the differ uses for a column added with a per-row default) on SQLite, whose `UPDATE` has no `DEFAULT`:
/// there it is the default's expression itself (`NULL` for a column without one, as `DEFAULT` would be).
pub(crate) fn backfill_value(d: Dialect, column: &crate::schema::Column, expr: &str) -> String {
    if d != Dialect::Sqlite || !expr.trim().eq_ignore_ascii_case(crate::diff::BACKFILL_DEFAULT) {
        return expr.to_owned();
    }
    match &column.default {
        Some(value) => default_sql(d, &column.ty, value),
        None => "NULL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_double_their_quote() {
        assert_eq!(ident(Dialect::Postgres, r#"we"ird"#), r#""we""ird""#);
        assert_eq!(ident(Dialect::Mysql, "we`ird"), "`we``ird`");
        assert_eq!(ident(Dialect::Sqlite, "plain"), "\"plain\"");
    }

    #[test]
    fn strings_escape_quotes_everywhere_and_backslashes_on_mysql() {
        let s = r"it's a \ test";
        assert_eq!(string(Dialect::Postgres, s), r"'it''s a \ test'");
        assert_eq!(string(Dialect::Sqlite, s), r"'it''s a \ test'");
        assert_eq!(string(Dialect::Mysql, s), r"'it''s a \\ test'");
    }

    #[test]
    fn raw_names_with_quotes_are_refused() {
        assert!(check_raw_name(Dialect::Postgres, "a\"b").is_err());
        assert!(check_raw_name(Dialect::Mysql, "a\"b").is_ok());
        assert!(check_raw_name(Dialect::Mysql, "a`b").is_err());
    }
}
