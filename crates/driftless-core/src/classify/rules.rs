//! The classification rules, one function per step kind. Each returns the verdict for one dialect; the SQLite
//! rebuild rule is applied on top for SQLite (see [`needs_sqlite_rebuild`]).
//!
//! Versions assumed: PostgreSQL 12+, MySQL 8.0.12+ (instant ADD COLUMN) or MariaDB 10.6+, SQLite 3.35+.

use crate::dialect::Dialect;
use crate::diff::{PossibleRename, RenameKind};
use crate::schema::{
    Column, ColumnType, DefaultValue, EnumType, ForeignKey, Literal, ReferentialAction, Schema, Table,
};
use crate::step::Step;

use super::{Class, Classification as C, Context};

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;
const LITE: Dialect = Dialect::Sqlite;

fn q(name: &str) -> String {
    format!("`{name}`")
}

fn list(names: &[String]) -> String {
    names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
}

/// The values an `AlterEnum` step adds (not those it renames) that a later step of the same migration uses, in
/// the enum's order; empty for any other step. PostgreSQL 12+ runs `ALTER TYPE ... ADD VALUE` inside a transaction,
/// but refuses to *use* the new value before that transaction commits ("unsafe use of new value"): as a default,
/// in a check or an index predicate, a backfill, a conversion of a column to the enum, or hand-written SQL that
/// names it. Then the renderer runs the `ADD VALUE` outside the transaction (so the migration is not atomic on
/// PostgreSQL) and the classifier says so. The one decision the renderer and the classifier share.
pub fn enum_values_used_later<'a>(step: &Step, later: impl IntoIterator<Item = &'a Step>) -> Vec<String> {
    let Step::AlterEnum { from, to, renamed_values } = step else { return Vec::new() };
    let added: Vec<&String> = to
        .values
        .iter()
        .filter(|v| !from.values.contains(v) && !renamed_values.iter().any(|(_, new)| new == *v))
        .collect();
    if added.is_empty() {
        return Vec::new();
    }
    let later: Vec<&Step> = later.into_iter().collect();
    added.into_iter().filter(|v| later.iter().any(|s| uses_enum_value(s, &to.name, v))).cloned().collect()
}

/// Whether `step` uses the value `value` of enum `name` (see [`enum_values_used_later`]). Text (checks,
/// predicates, raw SQL) is searched for the quoted literal: a false match only costs atomicity, never correctness.
fn uses_enum_value(step: &Step, name: &str, value: &str) -> bool {
    let quoted = format!("'{}'", value.replace('\'', "''"));
    let in_text = |s: &str| s.contains(&quoted);
    let enum_ty = ColumnType::Enum(name.to_owned());
    let column_uses = |c: &Column| match &c.default {
        Some(DefaultValue::Value(Literal::String(v))) => c.ty == enum_ty && v == value,
        Some(DefaultValue::Sql(sql)) => in_text(sql),
        _ => false,
    };
    match step {
        Step::CreateTable { table } => {
            table.columns.iter().any(column_uses)
                || table.checks.iter().any(|c| in_text(&c.expr))
                || table.indexes.iter().any(|i| i.predicate.as_deref().is_some_and(in_text))
        }
        Step::AddColumn { column, .. } => column_uses(column),
        Step::AlterColumn { from, to, backfill, .. } => {
            column_uses(to) || backfill.as_deref().is_some_and(in_text) || (to.ty == enum_ty && from.ty != enum_ty)
        }
        Step::AddCheck { check, .. } => in_text(&check.expr),
        Step::CreateIndex { index, .. } => index.predicate.as_deref().is_some_and(in_text),
        Step::RawSql { sql, .. } => sql.postgres.as_deref().or(sql.default.as_deref()).is_some_and(in_text),
        _ => false,
    }
}

/// The PostgreSQL verdict for an `AlterEnum` whose added values a later step uses (see [`enum_values_used_later`]).
pub(crate) fn enum_value_added_then_used(step: &Step, used: &[String]) -> C {
    let name = match step {
        Step::AlterEnum { to, .. } => q(&to.name),
        _ => String::new(),
    };
    C::review(
        "enum_value_added_used",
        format!(
            "adds {} to enum {name}, and a later change in this migration uses it: PostgreSQL cannot use a value \
             added in the same transaction, so ALTER TYPE ... ADD VALUE runs on its own and the migration runs step \
             by step, not atomically (a failure part-way leaves it applied up to that statement)",
            list(used)
        ),
    )
    .or("add the enum value in a migration of its own, and use it in the next one")
}

pub(crate) fn classify(step: &Step, d: Dialect, ctx: &Context<'_>) -> C {
    let base = base(step, d, ctx);
    if d == LITE { sqlite_rebuild_rule(step, base, ctx) } else { base }
}

fn base(step: &Step, d: Dialect, ctx: &Context<'_>) -> C {
    let is_new = |t: &str| ctx.new_tables.contains(t);
    match step {
        Step::CreateEnum { r#enum } => create_enum(r#enum, d),
        Step::DropEnum { r#enum } => C::safe(
            "drop_enum",
            match d {
                PG => format!("drops enum type {}, which no column uses any more", q(&r#enum.name)),
                _ => format!("nothing to run: {} keeps enum values in the columns, and none uses {} any more", d.display_name(), q(&r#enum.name)),
            },
        ),
        Step::AlterEnum { from, to, renamed_values } => alter_enum(from, to, renamed_values, d),
        Step::CreateTable { table } => C::safe("create_table", format!("creates the new, empty table {}", q(&table.name))),
        Step::DropTable { table } => C::dangerous("drop_table", format!("drops table {} and every row in it", q(&table.name)))
            .or(format!(
                "stop using {} in code and deploy first; if the table was renamed, add #[model(renamed_from = \"{}\")] to the model of its new name",
                q(&table.name),
                table.name
            )),
        Step::RenameTable { from, to } => C::review(
            "rename_table",
            format!("renames table {} to {}: code still running against the old name fails until the new code is deployed", q(from), q(to)),
        )
        .or("deploy code that works with both names first (for example through a view with the old name), then rename"),
        Step::AddColumn { table, column } => add_column(table, column, d, is_new(table)),
        Step::DropColumn { table, column } => C::dangerous(
            "drop_column",
            format!("drops column {} and its data; code still reading it fails", q(&format!("{table}.{}", column.name))),
        )
        .or(format!(
            "stop reading the column in code and deploy first, then drop it; if it was renamed, add #[model(renamed_from = \"{}\")] to the new field",
            column.name
        )),
        Step::RenameColumn { table, from, to } => C::review(
            "rename_column",
            format!(
                "renames column {} to {}: code still running against the old name fails until the new code is deployed",
                q(&format!("{table}.{from}")),
                q(to)
            ),
        )
        .or("add the new column, write both from code, backfill, then drop the old one in a later migration"),
        Step::AlterColumn { table, from, to, backfill } => alter_column(table, from, to, backfill.as_deref(), d, ctx),
        Step::SetPrimaryKey { table, from, to } => set_primary_key(table, from.as_ref(), to.as_ref(), d, is_new(table)),
        Step::CreateIndex { table, index } => {
            let what = format!("creates {}index {} on {}", if index.unique { "unique " } else { "" }, q(&index.name), q(table));
            if is_new(table) {
                return C::safe("create_index_new_table", format!("{what}, a table created in this migration (no rows yet)"));
            }
            if index.unique
                && let Some(c) = unique_on_constant_column(table, &index.columns, ctx)
            {
                return c;
            }
            let mut c = match d {
                PG => C::review(
                    "create_index_blocking",
                    format!("{what} without CONCURRENTLY, which blocks writes to the table while the index builds"),
                )
                .or("create the index CONCURRENTLY in a migration that does not run in a transaction"),
                MY => C::safe("create_index", format!("{what}; InnoDB builds it online (ALGORITHM=INPLACE, LOCK=NONE)")),
                _ => C::safe("create_index", format!("{what}; SQLite builds it in one write transaction")),
            };
            if index.unique {
                c = C::review(
                    "create_unique_index",
                    format!("{what}, which fails if existing rows hold duplicates{}", if d == PG { " and blocks writes while it builds" } else { "" }),
                )
                .or("check for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1)");
            }
            if index.predicate.is_some() && d == MY {
                c = C::review(
                    "partial_index_unsupported",
                    format!("{what} with a WHERE predicate, which MySQL/MariaDB cannot express: the index cannot be created as written"),
                );
            }
            c
        }
        Step::DropIndex { table, index } => {
            if d == MY
                && let Some(fk) = mysql_foreign_key_needing(table, index, ctx)
            {
                return C::review(
                    "drop_index_used_by_foreign_key",
                    format!(
                        "drops index {} on {}, which MySQL needs for foreign key {}: the drop fails while that foreign key exists and no other index starts with its columns",
                        q(&index.name),
                        q(table),
                        q(&fk)
                    ),
                )
                .or("create the replacement index first, or drop the foreign key in the same migration before the index");
            }
            if index.unique {
                C::review(
                    "drop_unique_index",
                    format!("drops unique index {} on {}: duplicates become possible, and the down fails once they exist", q(&index.name), q(table)),
                )
            } else {
                C::safe("drop_index", format!("drops index {} on {}; queries that used it get slower", q(&index.name), q(table)))
            }
        }
        Step::RenameIndex { table, from, to } => C::safe(
            "rename_index",
            match d {
                LITE => format!("renames index {} to {} on {}; SQLite has no ALTER INDEX, so it is dropped and built again", q(from), q(to), q(table)),
                _ => format!("renames index {} to {} on {}: a catalog change only", q(from), q(to), q(table)),
            },
        ),
        Step::AddUnique { table, unique } => {
            let what = format!("adds unique constraint {} on {} ({})", q(&unique.name), q(table), unique.columns.join(", "));
            if is_new(table) {
                return C::safe("add_unique_new_table", format!("{what}, a table created in this migration (no rows yet)"));
            }
            if let Some(c) = unique_on_constant_column(table, &unique.columns, ctx) {
                return c;
            }
            C::review(
                "add_unique",
                format!(
                    "{what}, which fails if existing rows hold duplicates{}",
                    match d {
                        PG => " and blocks writes while its index builds",
                        MY => "; the index builds online",
                        _ => "",
                    }
                ),
            )
            .or(if d == PG {
                "check for duplicates first; on a large table create a unique index CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"
            } else {
                "check for duplicates first (SELECT ... GROUP BY ... HAVING count(*) > 1)"
            })
        }
        Step::DropUnique { table, unique } => C::review(
            "drop_unique",
            format!("drops unique constraint {} on {}: duplicates become possible, and the down fails once they exist", q(&unique.name), q(table)),
        ),
        Step::AddForeignKey { table, foreign_key } => add_foreign_key(table, foreign_key, d, is_new(table)),
        Step::DropForeignKey { table, foreign_key } => C::review(
            "drop_foreign_key",
            format!(
                "drops foreign key {} on {}: orphan rows become possible, and the down fails once they exist",
                q(&foreign_key.name),
                q(table)
            ),
        ),
        Step::AlterForeignKey { table, from, to } => alter_foreign_key(table, from, to, d, is_new(table)),
        Step::AddCheck { table, check } => {
            let what = format!("adds check {} on {}", q(&check.name), q(table));
            if is_new(table) {
                return C::safe("add_check_new_table", format!("{what}, a table created in this migration (no rows yet)"));
            }
            match d {
                PG => C::review("add_check", format!("{what}, which fails if a row violates it and scans the table under an exclusive lock"))
                    .or("add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation does not block writes)"),
                MY => C::review("add_check", format!("{what}, which fails if a row violates it; MySQL copies the table to check it")),
                _ => C::review("add_check", format!("{what}, which fails if a row violates it")),
            }
        }
        Step::DropCheck { table, check } => C::review(
            "drop_check",
            format!("drops check {} on {}: violating rows become possible, and the down fails once they exist", q(&check.name), q(table)),
        ),
        Step::SetTableComment { table, .. } => C::safe(
            "change_comment",
            match d {
                LITE => format!("changes the comment of {}; SQLite does not store comments, so nothing runs", q(table)),
                _ => format!("changes the comment of {}: a catalog change only", q(table)),
            },
        ),
        Step::RawSql { .. } => C::review("raw_sql", "hand-written SQL: driftless cannot judge it, so a reviewer must"),
        Step::Irreversible { reason } => C::dangerous("irreversible", format!("cannot be undone: {reason}")),
    }
}

fn create_enum(e: &EnumType, d: Dialect) -> C {
    C::safe(
        "create_enum",
        match d {
            PG => format!("creates enum type {} ({})", q(&e.name), e.values.join(", ")),
            MY => format!("nothing to run: MySQL spells enum {} inline in each column that uses it", q(&e.name)),
            _ => format!(
                "nothing to run: SQLite checks enum {}'s values with a CHECK on each column that uses it",
                q(&e.name)
            ),
        },
    )
}

fn alter_enum(from: &EnumType, to: &EnumType, renamed: &[(String, String)], d: Dialect) -> C {
    let name = q(&from.name);
    let renamed_from = |v: &String| renamed.iter().any(|(f, _)| f == v);
    let renamed_to = |v: &String| renamed.iter().any(|(_, t)| t == v);
    let removed: Vec<String> =
        from.values.iter().filter(|v| !to.values.contains(v) && !renamed_from(v)).cloned().collect();
    let added: Vec<String> = to.values.iter().filter(|v| !from.values.contains(v) && !renamed_to(v)).cloned().collect();
    // The kept values in old order (renamed ones under their new names) against their order in the new list.
    let kept_old: Vec<String> = from
        .values
        .iter()
        .filter(|v| !removed.contains(v))
        .map(|v| renamed.iter().find(|(f, _)| f == v).map(|(_, t)| t.clone()).unwrap_or_else(|| v.clone()))
        .collect();
    let kept_new: Vec<String> = to.values.iter().filter(|v| !added.contains(v)).cloned().collect();
    let reordered = kept_old != kept_new;
    let appended = to.values.ends_with(&added) && to.values[..to.values.len() - added.len()] == kept_new[..];

    if !removed.is_empty() {
        return C::dangerous(
            "enum_value_removed",
            format!(
                "removes {} from enum {name}: {}",
                list(&removed),
                match d {
                    PG => "the type is recreated and every column converted; a row holding a removed value makes it fail",
                    MY => "each column using it is redefined with a table copy; rows holding a removed value are rejected, or blanked to '' outside strict mode",
                    _ => "each table using it is rebuilt with the new CHECK, which fails on rows holding a removed value",
                }
            ),
        )
        .or("move rows off the removed values in an earlier migration (or declare a rename in the renames file), then remove them");
    }
    if reordered {
        return C::review(
            "enum_values_reordered",
            format!(
                "reorders the values of enum {name}, which changes how they sort and compare; {}",
                match d {
                    PG => "PostgreSQL recreates the type and rewrites every column using it",
                    MY => "MySQL copies every table using it",
                    _ => "SQLite rebuilds every table using it",
                }
            ),
        );
    }
    if !renamed.is_empty() {
        let pairs: Vec<String> = renamed.iter().map(|(f, t)| format!("`{f}` -> `{t}`")).collect();
        return C::review(
            "enum_value_renamed",
            format!(
                "renames {} in enum {name}: code still writing the old value fails; {}",
                pairs.join(", "),
                match d {
                    PG => "ALTER TYPE ... RENAME VALUE is a catalog change",
                    MY => "MySQL redefines each column using it (a table copy) and updates the rows",
                    _ => "SQLite rebuilds each table using it and updates the rows",
                }
            ),
        )
        .or("add the new value, write it from code, update the rows, then remove the old value");
    }
    match d {
        PG => C::safe(
            "enum_value_added",
            format!(
                "adds {} to enum {name} with ALTER TYPE ... ADD VALUE inside the migration's transaction: a catalog change (the value is usable once the migration commits)",
                list(&added)
            ),
        ),
        MY if appended => C::safe(
            "enum_value_added",
            format!("adds {} at the end of enum {name}: an instant change to each column's definition", list(&added)),
        ),
        MY => C::review(
            "enum_value_inserted",
            format!("adds {} in the middle of enum {name}: MySQL copies every table using it", list(&added)),
        )
        .or("add new values at the end of the enum"),
        _ => C::safe("enum_value_added", format!("adds {} to enum {name}", list(&added))),
    }
}

fn default_kind(c: &Column) -> &'static str {
    match &c.default {
        None => "none",
        Some(DefaultValue::Value(_)) => "constant",
        Some(DefaultValue::Expr(e)) if e.is_volatile() => "volatile",
        Some(DefaultValue::Expr(_)) => "current",
        Some(DefaultValue::Sql(_)) => "sql",
    }
}

fn add_column(table: &str, col: &Column, d: Dialect, table_is_new: bool) -> C {
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
        .or("add it nullable (Option<T>), backfill it, then make it NOT NULL in a later migration; or give it a default"),
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
        .or("add the column nullable without default, backfill it in batches, then set the default (and NOT NULL) in a later migration"),
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
enum TypeChange {
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

fn int_rank(t: &ColumnType) -> Option<u32> {
    match t {
        ColumnType::SmallInt => Some(1),
        ColumnType::Integer => Some(2),
        ColumnType::BigInt => Some(3),
        _ => None,
    }
}

/// Decimal digits needed for any value of an integer type of this rank (a `decimal(p,0)` of up to `digits - 1`
/// digits always fits).
fn int_digits(rank: u32) -> u32 {
    match rank {
        1 => 5,
        2 => 10,
        _ => 19,
    }
}

/// The longest text form of a value of `t`, where it is bounded.
fn text_width(t: &ColumnType, schema: &Schema) -> Option<u32> {
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

fn judge_type(from: &ColumnType, to: &ColumnType, schema: &Schema) -> TypeChange {
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
fn pg_no_rewrite(from: &ColumnType, to: &ColumnType) -> bool {
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
fn mysql_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    match (from, to) {
        (ColumnType::Varchar(a), ColumnType::Varchar(b)) => b >= a && ((*a <= 63) == (*b <= 63)),
        _ => false,
    }
}

fn type_rule(name: &str, from: &ColumnType, to: &ColumnType, d: Dialect, schema: &Schema) -> C {
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

fn alter_column(table: &str, from: &Column, to: &Column, backfill: Option<&str>, d: Dialect, ctx: &Context<'_>) -> C {
    let name = q(&format!("{table}.{}", to.name));
    let mut findings: Vec<C> = Vec::new();
    if from.ty != to.ty {
        findings.push(type_rule(&name, &from.ty, &to.ty, d, ctx.before));
    }
    if from.nullable && !to.nullable {
        findings.push(match (backfill, d) {
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
            .or("give a backfill, or fill the NULLs in an earlier migration; on a large table add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL"),
            (None, MY) => C::review(
                "set_not_null",
                format!("makes {name} NOT NULL, which fails on NULLs in strict mode (outside it MySQL silently writes 0 or ''); MySQL rebuilds the table in place"),
            )
            .or("give a backfill, or fill the NULLs in an earlier migration"),
            (None, _) => C::review("set_not_null", format!("makes {name} NOT NULL, which fails if a row holds NULL"))
                .or("give a backfill, or fill the NULLs in an earlier migration"),
        });
    }
    if !from.nullable && to.nullable {
        findings.push(match d {
            MY => C::review("drop_not_null", format!("makes {name} nullable: MySQL rebuilds the table in place")),
            PG => C::safe("drop_not_null", format!("makes {name} nullable: a catalog change")),
            _ => C::safe("drop_not_null", format!("makes {name} nullable")),
        });
    }
    if from.default != to.default {
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

/// The worst finding decides class, code and safer alternative; the reasons of every finding are joined.
fn combine(findings: Vec<C>, empty: impl FnOnce() -> C) -> C {
    let Some(worst) = findings.iter().enumerate().max_by_key(|(i, c)| (c.class, std::cmp::Reverse(*i))).map(|(i, _)| i)
    else {
        return empty();
    };
    let reason = findings.iter().map(|c| c.reason.as_str()).collect::<Vec<_>>().join("; ");
    let mut c = findings[worst].clone();
    c.reason = reason;
    c
}

fn set_primary_key(
    table: &str,
    from: Option<&crate::schema::PrimaryKey>,
    to: Option<&crate::schema::PrimaryKey>,
    d: Dialect,
    table_is_new: bool,
) -> C {
    if table_is_new {
        return C::safe(
            "set_primary_key_new_table",
            format!("sets the primary key of {}, a table created in this migration", q(table)),
        );
    }
    match (from, to) {
        (Some(f), Some(t)) if f.columns == t.columns => {
            let what = format!("renames the primary key of {} from {} to {}", q(table), q(&f.name), q(&t.name));
            match d {
                MY => C::safe(
                    "rename_primary_key",
                    format!("{what}; MySQL always names a primary key PRIMARY, so there is nothing to run"),
                ),
                PG => C::safe(
                    "rename_primary_key",
                    format!("{what} with RENAME CONSTRAINT: a catalog change, the index and its rows are untouched"),
                ),
                _ => C::review("rename_primary_key", what),
            }
        }
        (None, Some(t)) => C::review(
            "add_primary_key",
            format!(
                "adds primary key ({}) to {}, which fails on duplicate or NULL keys; {}",
                t.columns.join(", "),
                q(table),
                match d {
                    PG => "PostgreSQL builds its index under an exclusive lock",
                    MY => "MySQL rebuilds the table around the new clustered key",
                    _ => "existing rows are checked",
                }
            ),
        ),
        (Some(f), None) => C::review(
            "drop_primary_key",
            format!(
                "drops the primary key ({}) of {}: duplicate rows become possible and the down fails once they exist{}",
                f.columns.join(", "),
                q(table),
                if d == MY { "; MySQL rebuilds the table" } else { "" }
            ),
        ),
        (Some(f), Some(t)) => C::review(
            "change_primary_key",
            format!(
                "changes the primary key of {} from ({}) to ({}), which fails on duplicate keys; {}",
                q(table),
                f.columns.join(", "),
                t.columns.join(", "),
                match d {
                    PG => "PostgreSQL builds the new index under an exclusive lock",
                    MY => "MySQL rebuilds the table around the new clustered key",
                    _ => "existing rows are checked",
                }
            ),
        ),
        (None, None) => C::safe("set_primary_key", format!("leaves {} without a primary key", q(table))),
    }
}

fn add_foreign_key(table: &str, fk: &ForeignKey, d: Dialect, table_is_new: bool) -> C {
    let what = format!(
        "adds foreign key {} on {} ({}) -> {}({})",
        q(&fk.name),
        q(table),
        fk.columns.join(", "),
        fk.ref_table,
        fk.ref_columns.join(", ")
    );
    if table_is_new {
        return C::safe(
            "add_foreign_key_new_table",
            format!("{what} to a table created in this migration (no rows yet)"),
        );
    }
    match d {
        PG => C::review(
            "add_foreign_key",
            format!(
                "{what}: PostgreSQL checks every row (failing on orphans) while locking both tables against writes"
            ),
        )
        .or("add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation does not block writes)"),
        MY => C::review(
            "add_foreign_key",
            format!("{what}: MySQL checks every row (failing on orphans) and copies the table"),
        )
        .or("delete or fix orphan rows first"),
        _ => C::review("add_foreign_key", format!("{what}: rows that violate it make the migration fail"))
            .or("delete or fix orphan rows first"),
    }
}

fn alter_foreign_key(table: &str, from: &ForeignKey, to: &ForeignKey, d: Dialect, table_is_new: bool) -> C {
    if table_is_new {
        return C::safe(
            "alter_foreign_key_new_table",
            format!("changes foreign key {} on {}, a table created in this migration", q(&to.name), q(table)),
        );
    }
    let relock = match d {
        PG => "; it is dropped and added again, which checks every row while locking both tables against writes",
        MY => "; it is dropped and added again, which checks every row and copies the table",
        _ => "",
    };
    if from.on_delete == to.on_delete && from.on_update == to.on_update {
        return C::review(
            "rename_foreign_key",
            format!("renames foreign key {} to {} on {}{relock}", q(&from.name), q(&to.name), q(table)),
        );
    }
    let mut parts = Vec::new();
    if from.on_delete != to.on_delete {
        parts.push(format!("ON DELETE {} -> {}", from.on_delete.sql(), to.on_delete.sql()));
    }
    if from.on_update != to.on_update {
        parts.push(format!("ON UPDATE {} -> {}", from.on_update.sql(), to.on_update.sql()));
    }
    C::review(
        "change_foreign_key_action",
        format!(
            "changes foreign key {} on {} ({}): what happens to child rows on delete or update changes{relock}",
            q(&to.name),
            q(table),
            parts.join(", ")
        ),
    )
}

/// On MySQL every foreign key needs an index whose leading columns are the key's columns. Returns the foreign key of
/// `table` that only `index` serves, if any (the unique constraints and other indexes are checked as alternatives).
fn mysql_foreign_key_needing(table: &str, index: &crate::schema::Index, ctx: &Context<'_>) -> Option<String> {
    let t = ctx.before.table(table)?;
    let serves =
        |cols: &[String], fk: &ForeignKey| cols.len() >= fk.columns.len() && cols[..fk.columns.len()] == fk.columns[..];
    t.foreign_keys
        .iter()
        .find(|fk| {
            serves(&index.columns, fk)
                && !t.indexes.iter().any(|i| i.name != index.name && serves(&i.columns, fk))
                && !t.uniques.iter().any(|u| serves(&u.columns, fk))
                && !t.primary_key.as_ref().is_some_and(|pk| serves(&pk.columns, fk))
        })
        .map(|fk| fk.name.clone())
}

/// A unique constraint or index whose columns were all added in this plan with one constant default: every existing
/// row holds the same value, so it fails as soon as the table has two rows.
fn unique_on_constant_column(table: &str, columns: &[String], ctx: &Context<'_>) -> Option<C> {
    let t = ctx.before.table(table)?;
    let all_constant = !columns.is_empty()
        && columns.iter().all(|c| {
            ctx.new_columns.contains(&(table.to_owned(), c.clone()))
                && t.column(c).is_some_and(|col| {
                    matches!(col.default, Some(DefaultValue::Value(_)))
                        || matches!(col.default, Some(DefaultValue::Expr(e)) if !e.is_volatile())
                })
        });
    all_constant.then(|| {
        C::dangerous(
            "add_unique_constant_default",
            format!(
                "makes ({}) of {} unique right after adding it with a constant default: every existing row holds the same value, so this fails as soon as the table has two rows",
                columns.join(", "),
                q(table)
            ),
        )
        .or("add the column nullable without default (NULLs do not collide), fill unique values, then add the constraint")
    })
}

/// The verdict on one half of an unhinted drop + add that may be a rename.
pub(crate) fn possible_rename(step: &Step, notes: &[PossibleRename]) -> C {
    let advice: Vec<String> = notes.iter().map(PossibleRename::advice).collect();
    let files: Vec<String> = notes.iter().map(PossibleRename::renames_file_entry).collect();
    let kind = if notes.iter().all(|n| n.kind == RenameKind::Table) { "table" } else { "column" };
    let reason = match step {
        Step::DropColumn { table, column } => format!(
            "drops column {} while {} of a compatible type is added: if this is a rename, {}; as written, the data in {} is lost",
            q(&format!("{table}.{}", column.name)),
            list(&notes.iter().map(|n| n.to.clone()).collect::<Vec<_>>()),
            advice.join(" or "),
            q(&column.name)
        ),
        Step::AddColumn { table, column } => format!(
            "adds column {} while {} of a compatible type is dropped: if this is a rename, {}; as written, the new column starts empty and the old data is lost",
            q(&format!("{table}.{}", column.name)),
            list(&notes.iter().map(|n| n.from.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        Step::DropTable { table } => format!(
            "drops table {} while {} with the same columns is created: if this is a rename, {}; as written, every row is lost",
            q(&table.name),
            list(&notes.iter().map(|n| n.to.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        Step::CreateTable { table } => format!(
            "creates table {} while {} with the same columns is dropped: if this is a rename, {}; as written, the old rows are lost",
            q(&table.name),
            list(&notes.iter().map(|n| n.from.clone()).collect::<Vec<_>>()),
            advice.join(" or ")
        ),
        _ => format!("may be half of an unhinted {kind} rename: {}", advice.join(" or ")),
    };
    C::dangerous("possible_rename", reason).or(format!(
        "declare the rename: {}, or pass a renames file with {}",
        advice.join(" or "),
        files.join(" / ")
    ))
}

// ---------------------------------------------------------------------------------------------------------------
// SQLite rebuilds.

/// Whether SQLite needs a table rebuild (create a new table, copy the rows, drop the old one, rename) for `step`,
/// given the schema just before it. The renderer and the classifier share this decision.
///
/// SQLite's `ALTER TABLE` can add a column (unless it is auto-increment or has a non-constant default), drop a
/// column that no key, index, constraint or CHECK uses, and rename tables, columns (and, by drop + create, indexes).
/// Every other change to an existing table is a rebuild: a column's type, nullability, default or auto increment
/// (a comment-only change is a no-op: SQLite stores no comments), the primary key (even a name-only change), unique
/// constraints (not indexes), foreign keys, checks, and enum values (every table with a column of the enum, whose
/// values live in a CHECK).
pub fn needs_sqlite_rebuild(step: &Step, before: &Schema) -> bool {
    match step {
        Step::AddColumn { column, .. } => {
            column.auto_increment || column.default.as_ref().is_some_and(|d| !matches!(d, DefaultValue::Value(_)))
        }
        Step::DropColumn { table, column } => before.table(table).is_some_and(|t| column_is_constrained(t, column)),
        Step::AlterColumn { from, to, .. } => Column { comment: to.comment.clone(), ..from.clone() } != *to,
        Step::AlterEnum { .. }
        | Step::SetPrimaryKey { .. }
        | Step::AddUnique { .. }
        | Step::DropUnique { .. }
        | Step::AddForeignKey { .. }
        | Step::DropForeignKey { .. }
        | Step::AlterForeignKey { .. }
        | Step::AddCheck { .. }
        | Step::DropCheck { .. } => true,
        _ => false,
    }
}

/// SQLite's DROP COLUMN fails when the column is in the primary key, a unique constraint, an index, a foreign key or
/// a CHECK (an enum column carries one). Expressions are matched by name, which can only err towards a rebuild.
fn column_is_constrained(t: &Table, column: &Column) -> bool {
    let name = column.name.as_str();
    let has = |cols: &[String]| cols.iter().any(|c| c == name);
    matches!(column.ty, ColumnType::Enum(_))
        || t.primary_key.as_ref().is_some_and(|pk| has(&pk.columns))
        || t.indexes.iter().any(|i| has(&i.columns) || i.predicate.as_ref().is_some_and(|p| p.contains(name)))
        || t.uniques.iter().any(|u| has(&u.columns))
        || t.foreign_keys.iter().any(|f| has(&f.columns))
        || t.checks.iter().any(|c| c.expr.contains(name))
}

/// The tables SQLite rebuilds for `step` (empty when it needs no rebuild).
pub fn sqlite_rebuild_tables(step: &Step, before: &Schema) -> Vec<String> {
    if !needs_sqlite_rebuild(step, before) {
        return Vec::new();
    }
    match step {
        Step::AlterEnum { from, .. } => before
            .tables
            .iter()
            .filter(|t| t.columns.iter().any(|c| c.ty == ColumnType::Enum(from.name.clone())))
            .map(|t| t.name.clone())
            .collect(),
        other => other.table().map(|t| vec![t.to_owned()]).unwrap_or_default(),
    }
}

fn sqlite_rebuild_rule(step: &Step, mut c: C, ctx: &Context<'_>) -> C {
    let tables: Vec<String> =
        sqlite_rebuild_tables(step, ctx.before).into_iter().filter(|t| !ctx.new_tables.contains(t)).collect();
    if tables.is_empty() {
        return c;
    }
    let note = format!(
        "SQLite cannot ALTER this, so {} rebuilt (a new table is created, the rows copied, the old table dropped)",
        if tables.len() == 1 { format!("table {} is", q(&tables[0])) } else { format!("tables {} are", list(&tables)) }
    );
    if c.class < Class::ReviewRequired {
        c = C {
            class: Class::ReviewRequired,
            code: "sqlite_rebuild",
            reason: format!("{}; {note}", c.reason),
            safer_alternative: c.safer_alternative,
        };
    } else {
        c.reason = format!("{}; {note}", c.reason);
    }
    let mut referencing = Vec::new();
    for t in &tables {
        for other in ctx.before.tables.iter().filter(|o| o.name != *t) {
            for f in other.foreign_keys.iter().filter(|f| f.ref_table == *t) {
                if matches!(
                    f.on_delete,
                    ReferentialAction::Cascade | ReferentialAction::SetNull | ReferentialAction::SetDefault
                ) {
                    referencing.push(format!("{}.{} (ON DELETE {})", other.name, f.name, f.on_delete.sql()));
                }
            }
        }
    }
    if !referencing.is_empty() {
        c.reason = format!(
            "{}; {} referenced by {}: the rebuild runs with PRAGMA foreign_keys=OFF (set outside the transaction) and PRAGMA foreign_key_check before COMMIT, so dropping the old table deletes or changes no child rows",
            c.reason,
            if tables.len() == 1 { "it is" } else { "they are" },
            referencing.join(", ")
        );
        if c.code == "sqlite_rebuild" {
            c.code = "sqlite_rebuild_cascade";
        }
    }
    c
}
