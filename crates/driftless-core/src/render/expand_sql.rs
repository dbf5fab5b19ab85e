//! The renderer's PostgreSQL spellings that the migrator's expand/contract plan (`driftless-migrate`'s
//! `expand_contract.rs`) reuses, so that the shadow column gets exactly what the plain `ALTER COLUMN … TYPE … USING`
//! would have given the column: its type, the `USING` conversion, the default and the comment.

use crate::dialect::Dialect;
use crate::schema::{ColumnType, DefaultValue, Schema};

use super::{RenderError, spell};

const D: Dialect = Dialect::Postgres;

/// The conversion of `value` (an SQL expression of type `from`: `"col"`, or `NEW."col"` in a trigger) to `to`:
/// the expression the plain `ALTER COLUMN … TYPE … USING` uses, with `value` for the column.
pub fn postgres_cast(value: &str, from: &ColumnType, to: &ColumnType, schema: &Schema) -> String {
    spell::postgres_convert(value, from, to, schema)
}

/// PostgreSQL's spelling of `ty` for a column of `table`.
pub fn postgres_type(ty: &ColumnType, schema: &Schema, table: &str) -> Result<String, RenderError> {
    spell::column_type(D, ty, schema, table)
}

/// PostgreSQL's spelling of `default` for a column of type `ty` (for `SET DEFAULT`).
pub fn postgres_default(ty: &ColumnType, default: &DefaultValue) -> String {
    spell::default_sql(D, ty, default)
}

/// PostgreSQL's spelling of `text` as a string literal.
pub fn postgres_string(text: &str) -> String {
    spell::string(D, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cast_is_the_using_of_the_plain_alter() {
        let s = Schema::empty();
        assert_eq!(postgres_cast(r#"NEW."c""#, &ColumnType::Text, &ColumnType::Uuid, &s), r#"NEW."c"::UUID"#);
        assert_eq!(
            postgres_cast(r#""c""#, &ColumnType::Integer, &ColumnType::Decimal { precision: 12, scale: 2 }, &s),
            r#""c"::NUMERIC(12,2)"#
        );
        // A growing VARCHAR stays the column itself: PostgreSQL then changes only the catalog.
        assert_eq!(postgres_cast(r#""c""#, &ColumnType::Varchar(10), &ColumnType::Varchar(20), &s), r#""c""#);
        assert_eq!(postgres_cast(r#""c""#, &ColumnType::Varchar(20), &ColumnType::Varchar(10), &s), r#""c"::text"#);
    }
}
