//! Enum rules: creating, altering and dropping enum types, and the PostgreSQL rule for added values used in
//! the same migration.

use crate::dialect::Dialect;
use crate::schema::{Column, ColumnType, DefaultValue, EnumType, Literal};
use crate::step::Step;

use super::super::Classification as C;
use super::{MY, PG, list, q};

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
pub(super) fn uses_enum_value(step: &Step, name: &str, value: &str) -> bool {
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

pub(super) fn create_enum(e: &EnumType, d: Dialect) -> C {
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

pub(super) fn alter_enum(from: &EnumType, to: &EnumType, renamed: &[(String, String)], d: Dialect) -> C {
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

pub(super) fn drop_enum(r#enum: &EnumType, d: Dialect) -> C {
    C::safe(
        "drop_enum",
        match d {
            PG => format!("drops enum type {}, which no column uses any more", q(&r#enum.name)),
            _ => format!(
                "nothing to run: {} keeps enum values in the columns, and none uses {} any more",
                d.display_name(),
                q(&r#enum.name)
            ),
        },
    )
}
