//! Column rules: adding, dropping, renaming and altering columns (type, nullability, default, auto increment,
//! comment).

use crate::dialect::Dialect;
use crate::schema::{Column, ColumnType, DefaultValue, Schema};

use super::{LITE, MY, PG, combine, q};
use crate::classify::{Classification as C, Context};

/// How to give the existing rows of a column that becomes NOT NULL a value, so that the generator writes a batched
/// backfill before NOT NULL.
const BACKFILL_HINT: &str = "give the existing rows a value with #[model(backfill = \"<SQL>\")] on the field, or a \"backfills\": [{\"table\", \"column\", \"value\"}] entry in the answers file (migrate-generate --answers FILE), and regenerate: driftless then adds it nullable, backfills it in batches and makes it NOT NULL online";

pub(super) fn default_kind(c: &Column) -> &'static str {
    match &c.default {
        None => "none",
        Some(DefaultValue::Value(_)) => "constant",
        Some(DefaultValue::Expr(e)) if e.is_volatile() => "volatile",
        Some(DefaultValue::Expr(_)) => "current",
        Some(DefaultValue::Sql(_)) => "sql",
    }
}

pub(super) fn add_column(table: &str, col: &Column, d: Dialect, table_is_new: bool) -> C {
    let name = q(&format!("{table}.{}", col.name));
    if table_is_new {
        return C::safe("add_column", format!("adds column {name} to a table created in this migration (no rows yet)"));
    }
    if col.auto_increment {
        return C::review(
            "add_column_auto_increment",
            format!(
                "adds auto-increment column {name}: {}",
                match d {
                    PG =>
                        "every existing row is numbered from a new sequence, rewriting the table under an exclusive lock",
                    MY => "MySQL copies the table to number the existing rows",
                    _ => "every existing row is numbered",
                }
            ),
        );
    }
    match default_kind(col) {
        "none" if !col.nullable => C::dangerous(
            "add_column_not_null_no_default",
            format!(
                "adds NOT NULL column {name} without a default: {}",
                match d {
                    PG => "PostgreSQL fails as soon as the table holds a row",
                    MY => "MySQL fills existing rows with the type's implicit default (0, '' or a zero date): silently wrong data",
                    _ => "SQLite refuses it as soon as the table holds a row",
                }
            ),
        )
        .or(format!("{BACKFILL_HINT}; or give it a default")),
        "none" => C::safe(
            "add_column_nullable",
            format!(
                "adds nullable column {name}: {}",
                match d {
                    PG => "a catalog change; existing rows read NULL",
                    MY => "an instant change (ALGORITHM=INSTANT); existing rows read NULL",
                    _ => "existing rows read NULL",
                }
            ),
        ),
        "constant" => C::safe(
            "add_column_constant_default",
            format!(
                "adds column {name} with a constant default: {}",
                match d {
                    PG => "PostgreSQL 11+ stores the default in the catalog, no rewrite",
                    MY => "MySQL 8.0.12+ and MariaDB 10.3+ add it instantly, no table copy",
                    _ => "SQLite stores the default in the schema, no rewrite",
                }
            ),
        ),
        "current" => match d {
            PG => C::safe(
                "add_column_constant_default",
                format!("adds column {name} with a current date/time default, which PostgreSQL 11+ evaluates once for the existing rows: no rewrite"),
            ),
            MY => C::review(
                "add_column_expression_default",
                format!("adds column {name} with a current date/time default: MySQL may copy the table to fill the existing rows"),
            ),
            _ => C::review(
                "add_column_expression_default",
                format!("adds column {name} with a current date/time default, which SQLite's ADD COLUMN refuses on a table with rows"),
            ),
        },
        "volatile" => C::review(
            "add_column_volatile_default",
            format!(
                "adds column {name} with a per-row default (gen_random_uuid): {}",
                match d {
                    PG => "PostgreSQL computes it for every row, rewriting the table under an exclusive lock",
                    MY => "MySQL copies the table to fill it",
                    _ => "SQLite's ADD COLUMN refuses a non-constant default on a table with rows",
                }
            ),
        )
        .or("let driftless generate it (it adds the column nullable without the default, sets the default, backfills the existing rows in batches, then makes it NOT NULL online), or write those steps by hand"),
        _ => C::review(
            "add_column_sql_default",
            format!(
                "adds column {name} with an SQL default that driftless cannot judge: {}",
                match d {
                    PG | MY => "a volatile expression rewrites (copies) the table",
                    _ => "SQLite's ADD COLUMN refuses an expression default on a table with rows",
                }
            ),
        ),
    }
}

/// How a change of type affects the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeChange {
    /// Every value fits the new type.
    Widen,
    /// Some values may not fit (length, range, precision or a fraction is lost).
    Narrow,
    /// The types hold different kinds of values.
    Incompatible,
    /// The values fit but mean something else (a time zone is added or removed).
    Reinterpret,
    /// A custom type: driftless cannot tell.
    Unknown,
}

pub(super) fn int_rank(t: &ColumnType) -> Option<u32> {
    match t {
        ColumnType::SmallInt => Some(1),
        ColumnType::Integer => Some(2),
        ColumnType::BigInt => Some(3),
        _ => None,
    }
}

/// Decimal digits needed for any value of an integer type of this rank (a `decimal(p,0)` of up to `digits - 1`
/// digits always fits).
pub(super) fn int_digits(rank: u32) -> u32 {
    match rank {
        1 => 5,
        2 => 10,
        _ => 19,
    }
}

/// The longest text form of a value of `t`, where it is bounded.
pub(super) fn text_width(t: &ColumnType, schema: &Schema) -> Option<u32> {
    use ColumnType as T;
    Some(match t {
        T::SmallInt => 6,
        T::Integer => 11,
        T::BigInt => 20,
        T::Boolean => 5,
        T::Date => 10,
        T::Time => 15,
        T::DateTime => 26,
        T::TimestampTz => 32,
        T::Uuid => 36,
        T::Varchar(n) | T::Char(n) => *n,
        T::Decimal { precision, .. } => precision + 2,
        T::Enum(e) => {
            schema.enum_type(e).map(|e| e.values.iter().map(|v| v.chars().count() as u32).max().unwrap_or(0))?
        }
        _ => return None,
    })
}

pub(super) fn judge_type(from: &ColumnType, to: &ColumnType, schema: &Schema) -> TypeChange {
    use ColumnType as T;
    use TypeChange::*;
    let by = |ok: bool| if ok { Widen } else { Narrow };
    match (from, to) {
        _ if from == to => Widen,
        (T::Custom(_), _) | (_, T::Custom(_)) => Unknown,
        (T::Varchar(a) | T::Char(a), T::Varchar(b) | T::Char(b)) => by(b >= a),
        (T::Varchar(_) | T::Char(_), T::Text) => Widen,
        (T::Text, T::Varchar(_) | T::Char(_)) => Narrow,
        (T::Bytes, _) | (_, T::Bytes) => Incompatible,
        (T::Json, T::Text) => Widen,
        (_, T::Text) => Widen,
        (_, T::Varchar(n) | T::Char(n)) => match text_width(from, schema) {
            Some(w) => by(*n >= w),
            None => Narrow,
        },
        (T::Boolean, t) if t.is_integer() => Widen,
        (f, T::Boolean) if f.is_integer() => Narrow,
        _ => match (int_rank(from), int_rank(to)) {
            (Some(a), Some(b)) => by(b >= a),
            (Some(a), None) => match to {
                T::Real => by(a == 1),
                T::Double => by(a <= 2),
                T::Decimal { precision, scale } => by(precision.saturating_sub(*scale) >= int_digits(a)),
                _ => Incompatible,
            },
            (None, Some(b)) => match from {
                T::Decimal { precision, scale } => by(*scale == 0 && *precision < int_digits(b)),
                T::Real | T::Double => Narrow,
                _ => Incompatible,
            },
            (None, None) => match (from, to) {
                (T::Real, T::Double) => Widen,
                (T::Double, T::Real) => Narrow,
                (T::Real | T::Double, T::Decimal { .. }) | (T::Decimal { .. }, T::Real | T::Double) => Narrow,
                (T::Decimal { precision: p, scale: s }, T::Decimal { precision: p2, scale: s2 }) => {
                    by(p2.saturating_sub(*s2) >= p.saturating_sub(*s) && s2 >= s)
                }
                (T::Date, T::DateTime | T::TimestampTz) => Widen,
                (T::DateTime | T::TimestampTz, T::Date) => Narrow,
                (T::DateTime, T::TimestampTz) | (T::TimestampTz, T::DateTime) => Reinterpret,
                _ => Incompatible,
            },
        },
    }
}

/// Whether PostgreSQL changes the type without rewriting the table (binary-coercible changes).
pub(super) fn pg_no_rewrite(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType as T;
    match (from, to) {
        (T::Varchar(a), T::Varchar(b)) => b >= a,
        (T::Varchar(_), T::Text) => true,
        (T::Decimal { precision: p, scale: s }, T::Decimal { precision: p2, scale: s2 }) => s == s2 && p2 >= p,
        _ => false,
    }
}

/// Whether MySQL changes the type in place without a table copy: a VARCHAR that grows without its length prefix
/// growing (255 bytes = 63 characters in utf8mb4).
pub(super) fn mysql_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    match (from, to) {
        (ColumnType::Varchar(a), ColumnType::Varchar(b)) => b >= a && ((*a <= 63) == (*b <= 63)),
        _ => false,
    }
}

pub(super) fn type_rule(name: &str, from: &ColumnType, to: &ColumnType, d: Dialect, schema: &Schema) -> C {
    let what = format!("changes {name} from {from} to {to}");
    let judgement = judge_type(from, to, schema);
    if d == LITE && judgement != TypeChange::Unknown {
        let same_class = crate::dialect::sqlite_storage_class(from) == crate::dialect::sqlite_storage_class(to);
        return match judgement {
            TypeChange::Widen => C::safe("widen_type", format!("{what}: every value fits")),
            TypeChange::Reinterpret => C::review(
                "change_type_reinterpret",
                format!("{what}: values are copied unchanged, but the application now reads them with a different time-zone meaning"),
            ),
            _ if same_class && matches!(to, ColumnType::Enum(_)) => C::review(
                "incompatible_type_change",
                format!("{what}: the rebuild adds a CHECK on the enum's values, which fails if a row holds any other text"),
            ),
            _ if same_class => C::review(
                if judgement == TypeChange::Narrow { "narrow_type" } else { "incompatible_type_change" },
                format!("{what}: SQLite does not enforce the declared type, so values are copied unchanged, but some may not fit it (and will not fit on other dialects)"),
            ),
            TypeChange::Narrow => C::dangerous(
                "narrow_type",
                format!("{what}: values are converted with CAST to {}, which truncates or zeroes those that do not fit", crate::dialect::sqlite_storage_class(to).unwrap_or("the new type")),
            )
            .or("check that every value fits first, or add a new column and convert the data yourself"),
            _ => C::dangerous(
                "incompatible_type_change",
                format!("{what}: values are converted with CAST to {}; those that do not convert become 0 or lose their content", crate::dialect::sqlite_storage_class(to).unwrap_or("the new type")),
            )
            .or("add a new column, convert the data yourself, then drop the old one"),
        };
    }
    match judgement {
        TypeChange::Unknown => C::dangerous(
            "custom_type_change",
            format!("{what}: a custom type is involved, so driftless cannot tell whether every value converts"),
        )
        .or("check the conversion by hand on a copy of the data"),
        TypeChange::Widen => match d {
            PG if pg_no_rewrite(from, to) => C::safe("widen_type", format!("{what}: every value fits and PostgreSQL changes only the catalog")),
            PG => C::review("widen_type_rewrite", format!("{what}: every value fits, but PostgreSQL rewrites the table and its indexes under an exclusive lock"))
                .or("on a large table, add a new column, backfill it in batches and swap"),
            _ if mysql_in_place(from, to) => C::safe("widen_type", format!("{what}: every value fits and MySQL changes it in place")),
            _ => C::review("widen_type_rewrite", format!("{what}: every value fits, but MySQL copies the table"))
                .or("on a large table, use an online schema change tool (gh-ost, pt-online-schema-change)"),
        },
        TypeChange::Narrow => C::dangerous(
            "narrow_type",
            format!(
                "{what}: {}",
                if d == PG {
                    "PostgreSQL fails on values that do not fit (and rewrites the table)"
                } else {
                    "MySQL fails on values that do not fit in strict mode and truncates or rounds them otherwise (and copies the table)"
                }
            ),
        )
        .or("check that every value fits first, or add a new column and convert the data yourself"),
        TypeChange::Incompatible => C::dangerous(
            "incompatible_type_change",
            format!(
                "{what}: {}",
                if d == PG {
                    "PostgreSQL fails on values that do not convert"
                } else {
                    "MySQL fails on values that do not convert in strict mode and stores 0, '' or NULL otherwise"
                }
            ),
        )
        .or("add a new column, convert the data yourself, then drop the old one"),
        TypeChange::Reinterpret => C::review(
            "change_type_reinterpret",
            format!(
                "{what}: existing values are reinterpreted through the session time zone{}",
                if d == PG { " and the table is rewritten" } else { " and MySQL copies the table" }
            ),
        ),
    }
}

pub(super) fn alter_column(
    table: &str,
    from: &Column,
    to: &Column,
    backfill: Option<&str>,
    d: Dialect,
    ctx: &Context<'_>,
) -> C {
    let name = q(&format!("{table}.{}", to.name));
    let mut findings: Vec<C> = Vec::new();
    if from.ty != to.ty {
        findings.push(type_rule(&name, &from.ty, &to.ty, d, ctx.before));
    }
    if from.nullable && !to.nullable {
        findings.push(match (backfill, d) {
            (None, _) if let Some(c) = super::backfilled_columns::set_not_null_after_backfill(table, to, d, ctx) => c,
            (Some(fill), PG) => C::safe(
                "set_not_null_backfill",
                format!("makes {name} NOT NULL after filling NULLs with `{fill}`, so it cannot fail; PostgreSQL scans the table to check"),
            ),
            (Some(fill), MY) => C::review(
                "set_not_null_backfill",
                format!("makes {name} NOT NULL after filling NULLs with `{fill}`; MySQL rebuilds the table in place"),
            ),
            (Some(fill), _) => C::safe("set_not_null_backfill", format!("makes {name} NOT NULL after filling NULLs with `{fill}`")),
            (None, PG) => C::review(
                "set_not_null",
                format!("makes {name} NOT NULL, which fails if a row holds NULL; PostgreSQL scans the table under an exclusive lock"),
            )
            .or(BACKFILL_HINT),
            (None, MY) => C::review(
                "set_not_null",
                format!("makes {name} NOT NULL, which fails on NULLs in strict mode (outside it MySQL silently writes 0 or ''); MySQL rebuilds the table in place"),
            )
            .or(BACKFILL_HINT),
            (None, _) => C::review("set_not_null", format!("makes {name} NOT NULL, which fails if a row holds NULL"))
                .or(BACKFILL_HINT),
        });
    }
    if !from.nullable && to.nullable {
        findings.push(match d {
            MY => C::review("drop_not_null", format!("makes {name} nullable: MySQL rebuilds the table in place")),
            PG => C::safe("drop_not_null", format!("makes {name} nullable: a catalog change")),
            _ => C::safe("drop_not_null", format!("makes {name} nullable")),
        });
    }
    if let Some(c) = super::backfilled_columns::default_before_backfill(table, from, to, d, ctx) {
        findings.push(c);
    } else if from.default != to.default {
        findings.push(C::safe(
            "change_default",
            format!(
                "changes the default of {name}: only rows inserted later are affected{}",
                if d == LITE { "" } else { "; a catalog change" }
            ),
        ));
    }
    if from.auto_increment != to.auto_increment {
        findings.push(if to.auto_increment {
            C::review(
                "change_auto_increment",
                format!(
                    "makes {name} auto-increment: {}",
                    match d {
                        PG => "the new identity starts at 1 and collides with existing ids until it is moved past the largest one",
                        MY => "MySQL copies the table",
                        _ => "the counter starts after the largest existing id",
                    }
                ),
            )
        } else {
            C::review("change_auto_increment", format!("stops generating values for {name}: inserts that leave it out fail"))
        });
    }
    if from.comment != to.comment {
        findings.push(C::safe(
            "change_comment",
            if d == LITE {
                format!("changes the comment of {name}; SQLite does not store comments, so nothing runs")
            } else {
                format!("changes the comment of {name}: a catalog change")
            },
        ));
    }
    combine(findings, || C::safe("alter_column", format!("restates {name} without a change")))
}

pub(super) fn drop_column(table: &str, column: &Column) -> C {
    C::dangerous(
        "drop_column",
        format!("drops column {} and its data; code still reading it fails", q(&format!("{table}.{}", column.name))),
    )
    .or(format!(
        "stop reading the column in code and deploy first, then drop it; if it was renamed, add #[model(renamed_from = \"{}\")] to the new field",
        column.name
    ))
}

pub(super) fn rename_column(table: &str, from: &str, to: &str) -> C {
    C::review(
        "rename_column",
        format!(
            "renames column {} to {}: code still running against the old name fails until the new code is deployed",
            q(&format!("{table}.{from}")),
            q(to)
        ),
    )
    .or("add the new column, write both from code, backfill, then drop the old one in a later migration")
}
