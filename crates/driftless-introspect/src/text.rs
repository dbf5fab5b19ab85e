//! Reading back what a dialect's catalog says in text: declared column types, default expressions and SQL
//! expressions (checks, partial-index predicates), turned into the portable model or a comparable canonical form.
//!
//! One reverse mapping per dialect, the inverse of `render`'s type table, so that a column rendered from a portable
//! type reads back as that type wherever the dialect keeps it apart.

use driftless_core::Dialect;
use driftless_core::schema::{ColumnType, CustomType, DefaultExpr, DefaultValue, Literal};

/// Strips every pair of parentheses that encloses the whole text: `((a > 0))` → `a > 0`.
pub(crate) fn strip_outer_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') && encloses(s) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// Whether the opening parenthesis at 0 closes at the last character (not earlier, as in `(a) + (b)`).
fn encloses(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let n = s.len();
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i != n - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Reads a single-quoted string literal at the start of `s`; returns the value and the rest. `backslash`
/// interprets MySQL's backslash escapes.
pub(crate) fn string_literal(s: &str, backslash: bool) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let mut out = String::new();
    let mut escaped = false;
    let mut pending_quote = false;
    for (i, c) in chars {
        if pending_quote {
            if c == '\'' {
                out.push('\'');
                pending_quote = false;
                continue;
            }
            return Some((out, &s[i..]));
        }
        if escaped {
            out.push(match c {
                '0' => '\0',
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            escaped = false;
            continue;
        }
        match c {
            '\\' if backslash => escaped = true,
            '\'' => pending_quote = true,
            c => out.push(c),
        }
    }
    pending_quote.then_some((out, ""))
}

/// A canonical form of an SQL expression for comparison: whitespace, identifier quotes, parentheses and
/// PostgreSQL `::type` casts are dropped and keywords lowercased (string literals are kept as written), so
/// `CHECK ((score >= 0))`, `` `score` >= 0 `` and `"score" >= 0` all read `score>=0`.
pub(crate) fn canonical_sql(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                out.push('\'');
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push('\'');
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                // A cast: skip the type name (letters, digits, spaces, underscores and a parenthesised length).
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == ' ' || d == '"' {
                        chars.next();
                    } else if d == '(' {
                        for e in chars.by_ref() {
                            if e == ')' {
                                break;
                            }
                        }
                    } else {
                        break;
                    }
                }
            }
            '"' | '`' | '(' | ')' | '[' | ']' => {}
            c if c.is_whitespace() => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The portable type of a declared type, as the dialect's catalog spells it (case-insensitive). A type no
/// portable type renders as comes back as a custom type holding the declared text.
pub(crate) fn column_type(d: Dialect, declared: &str) -> ColumnType {
    use ColumnType as T;
    let raw = declared.trim();
    let lower = raw.to_ascii_lowercase();
    let (head, args) = match lower.find('(') {
        Some(open) if lower.ends_with(')') => (lower[..open].trim(), Some(&lower[open + 1..lower.len() - 1])),
        _ => (lower.as_str(), None),
    };
    let nums: Vec<u32> = args.map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect()).unwrap_or_default();
    let custom = || T::Custom(CustomType { default: raw.to_owned(), sqlite: None, postgres: None, mysql: None });
    let decimal = |nums: &[u32]| match nums {
        [p, s] => T::Decimal { precision: *p, scale: *s },
        [p] => T::Decimal { precision: *p, scale: 0 },
        _ => custom(),
    };
    match d {
        Dialect::Sqlite => match (head, nums.as_slice()) {
            ("smallint" | "int2", _) => T::SmallInt,
            ("int" | "mediumint" | "int4", _) => T::Integer,
            ("integer" | "bigint" | "int8", _) => T::BigInt,
            ("real" | "float", _) => T::Real,
            ("double" | "double precision", _) => T::Double,
            ("boolean" | "bool", _) => T::Boolean,
            ("text" | "clob", _) => T::Text,
            ("varchar" | "character varying" | "nvarchar", [n]) => T::Varchar(*n),
            ("char" | "character" | "nchar", [n]) => T::Char(*n),
            ("blob", _) => T::Bytes,
            ("decimal" | "numeric", n) if !n.is_empty() => decimal(n),
            _ => custom(),
        },
        Dialect::Postgres => match (head, nums.as_slice()) {
            ("smallint" | "int2", _) => T::SmallInt,
            ("integer" | "int" | "int4", _) => T::Integer,
            ("bigint" | "int8", _) => T::BigInt,
            ("real" | "float4", _) => T::Real,
            ("double precision" | "float8", _) => T::Double,
            ("boolean" | "bool", _) => T::Boolean,
            ("text", _) => T::Text,
            ("character varying" | "varchar", [n]) => T::Varchar(*n),
            ("character" | "char" | "bpchar", [n]) => T::Char(*n),
            ("bytea", _) => T::Bytes,
            ("uuid", _) => T::Uuid,
            ("jsonb" | "json", _) => T::Json,
            ("date", _) => T::Date,
            ("time" | "time without time zone", _) => T::Time,
            ("timestamp" | "timestamp without time zone", _) => T::DateTime,
            ("timestamptz" | "timestamp with time zone", _) => T::TimestampTz,
            ("numeric" | "decimal", n) if !n.is_empty() => decimal(n),
            _ => custom(),
        },
        _ => match (head, nums.as_slice()) {
            ("tinyint", [1]) | ("boolean" | "bool", _) => T::Boolean,
            ("smallint", _) => T::SmallInt,
            ("int" | "integer", _) => T::Integer,
            ("bigint", _) => T::BigInt,
            ("float", _) => T::Real,
            ("double" | "double precision", _) => T::Double,
            ("longtext" | "text", _) => T::Text,
            ("json", _) => T::Json,
            ("varchar", [n]) => T::Varchar(*n),
            ("char", [n]) => T::Char(*n),
            ("longblob" | "blob", _) => T::Bytes,
            ("date", _) => T::Date,
            ("time", _) => T::Time,
            ("datetime" | "timestamp", _) => T::DateTime,
            ("decimal" | "numeric", n) if !n.is_empty() => decimal(n),
            _ => custom(),
        },
    }
}

/// The values of MySQL's `enum('a','b')` column type.
#[cfg_attr(not(feature = "mysql"), allow(dead_code, reason = "used by the MySQL reader"))]
pub(crate) fn mysql_enum_values(column_type: &str) -> Option<Vec<String>> {
    let t = column_type.trim();
    if !t.to_ascii_lowercase().starts_with("enum(") || !t.ends_with(')') {
        return None;
    }
    let mut rest = t[5..t.len() - 1].trim();
    let mut values = Vec::new();
    while !rest.is_empty() {
        let (v, after) = string_literal(rest, true)?;
        values.push(v);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(values)
}

/// Whether the text is a call of a sequence (PostgreSQL `serial`), which means auto increment rather than a default.
#[cfg_attr(not(feature = "postgres"), allow(dead_code, reason = "used by the PostgreSQL reader"))]
pub(crate) fn is_sequence_default(raw: &str) -> bool {
    raw.trim_start().to_ascii_lowercase().starts_with("nextval(")
}

/// Reads a default as the catalog gives it back into the portable model, interpreted for a column of type `ty`:
/// literals become typed values (`'draft'::post_status` → `"draft"`, `1` on a boolean → `true`), the current
/// date/time and random-UUID calls in each dialect's spellings become portable expressions, anything else is kept
/// as SQL with its outer parentheses removed. `None` when the text says NULL.
pub(crate) fn default_value(d: Dialect, raw: &str, ty: &ColumnType) -> Option<DefaultValue> {
    let text = strip_outer_parens(raw);
    if text.eq_ignore_ascii_case("null") || text.is_empty() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let call = lower.trim_end_matches("()");
    let expr = match call {
        "current_timestamp" | "now" | "localtimestamp" | "current_timestamp(6)" | "now(6)" | "localtimestamp(6)" => {
            Some(DefaultExpr::CurrentTimestamp)
        }
        "current_date" | "curdate" => Some(DefaultExpr::CurrentDate),
        "current_time" | "localtime" | "curtime" | "current_time(6)" | "curtime(6)" | "localtime(6)" => {
            Some(DefaultExpr::CurrentTime)
        }
        "gen_random_uuid" | "uuid" => Some(DefaultExpr::GenRandomUuid),
        _ if d == Dialect::Sqlite && lower.contains("randomblob(") && lower.contains("'-4'") => {
            Some(DefaultExpr::GenRandomUuid)
        }
        _ => None,
    };
    if let Some(e) = expr {
        return Some(DefaultValue::Expr(e));
    }
    if let Some(lit) = literal(d, text) {
        return Some(DefaultValue::Value(coerce(lit, ty)));
    }
    Some(DefaultValue::Sql(text.to_owned()))
}

/// A literal default text: a quoted string (with PostgreSQL casts after it), a number, or a boolean keyword.
fn literal(d: Dialect, text: &str) -> Option<Literal> {
    if text.starts_with('\'') {
        let (value, rest) = string_literal(text, d == Dialect::Mysql)?;
        let rest = rest.trim();
        // PostgreSQL appends casts (`'a'::text`, `'a'::character varying`); nothing else may follow a literal.
        let cast = d == Dialect::Postgres
            && rest.starts_with("::")
            && rest[2..].chars().all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == '"');
        if !rest.is_empty() && !cast {
            return None;
        }
        return Some(Literal::String(value));
    }
    let text = strip_outer_parens(text);
    match text.to_ascii_lowercase().as_str() {
        "true" => return Some(Literal::Bool(true)),
        "false" => return Some(Literal::Bool(false)),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Literal::Int(i));
    }
    if text.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && let Ok(f) = text.parse::<f64>()
        && f.is_finite()
    {
        return Some(Literal::Float(f));
    }
    None
}

/// Interprets a literal for the column's type: numbers on numeric columns, booleans on boolean columns.
pub(crate) fn coerce(lit: Literal, ty: &ColumnType) -> Literal {
    use ColumnType as T;
    let numeric_text = |s: &str| -> Option<Literal> {
        if let Ok(i) = s.trim().parse::<i64>() {
            return Some(Literal::Int(i));
        }
        s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Literal::Float)
    };
    match (ty, lit) {
        (T::Boolean, Literal::Int(i)) => Literal::Bool(i != 0),
        (T::Boolean, Literal::String(s)) => match s.to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "y" | "yes" | "on" => Literal::Bool(true),
            "f" | "false" | "0" | "n" | "no" | "off" => Literal::Bool(false),
            _ => Literal::String(s),
        },
        (T::SmallInt | T::Integer | T::BigInt, Literal::String(s)) => numeric_text(&s).unwrap_or(Literal::String(s)),
        (T::Real | T::Double | T::Decimal { .. }, Literal::String(s)) => match numeric_text(&s) {
            Some(Literal::Int(i)) => Literal::Float(i as f64),
            Some(other) => other,
            None => Literal::String(s),
        },
        (T::Real | T::Double | T::Decimal { .. }, Literal::Int(i)) => Literal::Float(i as f64),
        (_, lit) => lit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parentheses_around_the_whole_text_are_stripped() {
        assert_eq!(strip_outer_parens("((a > 0))"), "a > 0");
        assert_eq!(strip_outer_parens("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_outer_parens("(')')"), "')'");
    }

    #[test]
    fn expressions_compare_across_dialect_spellings() {
        assert_eq!(canonical_sql("CHECK ((score >= 0))").trim_start_matches("check"), "score>=0");
        assert_eq!(canonical_sql("`score` >= 0"), "score>=0");
        assert_eq!(canonical_sql("\"id\" > 0"), canonical_sql("(id > 0)"));
        assert_eq!(canonical_sql("'A b'::text"), "'A b'");
    }

    #[test]
    fn defaults_read_back_per_dialect() {
        let v = |d, raw, ty: ColumnType| default_value(d, raw, &ty);
        let s = |x: &str| Some(DefaultValue::Value(Literal::String(x.into())));
        assert_eq!(v(Dialect::Postgres, "'draft'::post_status", ColumnType::Enum("post_status".into())), s("draft"));
        assert_eq!(v(Dialect::Postgres, "'it''s'::character varying", ColumnType::Varchar(3)), s("it's"));
        assert_eq!(v(Dialect::Mysql, r"'a\\b'", ColumnType::Text), s(r"a\b"));
        assert_eq!(v(Dialect::Sqlite, "('-')", ColumnType::Text), s("-"));
        assert_eq!(
            v(Dialect::Mysql, "current_timestamp(6)", ColumnType::DateTime),
            Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp))
        );
        assert_eq!(
            v(Dialect::Mysql, "curdate()", ColumnType::Date),
            Some(DefaultValue::Expr(DefaultExpr::CurrentDate))
        );
        assert_eq!(v(Dialect::Mysql, "1", ColumnType::Boolean), Some(DefaultValue::Value(Literal::Bool(true))));
        assert_eq!(
            v(Dialect::Postgres, "'-1'::integer", ColumnType::Integer),
            Some(DefaultValue::Value(Literal::Int(-1)))
        );
        assert_eq!(
            v(Dialect::Mysql, "1.50", ColumnType::Decimal { precision: 10, scale: 2 }),
            Some(DefaultValue::Value(Literal::Float(1.5)))
        );
        assert_eq!(v(Dialect::Mysql, "NULL", ColumnType::Text), None);
        assert_eq!(v(Dialect::Sqlite, "lower('X')", ColumnType::Text), Some(DefaultValue::Sql("lower('X')".into())));
    }

    #[test]
    fn declared_types_map_back() {
        assert_eq!(column_type(Dialect::Postgres, "character varying(32)"), ColumnType::Varchar(32));
        assert_eq!(column_type(Dialect::Mysql, "tinyint(1)"), ColumnType::Boolean);
        assert_eq!(column_type(Dialect::Mysql, "decimal(10,2)"), ColumnType::Decimal { precision: 10, scale: 2 });
        assert_eq!(column_type(Dialect::Sqlite, "INT"), ColumnType::Integer);
        assert!(matches!(column_type(Dialect::Mysql, "int(10) unsigned"), ColumnType::Custom(_)));
        assert_eq!(mysql_enum_values("enum('a','it''s')"), Some(vec!["a".to_owned(), "it's".to_owned()]));
    }
}
